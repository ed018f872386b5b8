#pragma once
// Human formatting shared by every view: durations, counts, bytes, display width.
#include <string>
#include <string_view>

namespace ebap {

std::string fmt_duration_ms(double ms); // "850 ms", "2.1 s", "3m 05s", "2h 01m"
std::string fmt_count(double n);        // 950, 1.2K, 3.4M
std::string fmt_bytes(double n);        // 512 B, 1.2 KiB, 3.4 MiB

// %XX (upper-case hex) for every byte but A-Z a-z 0-9 and the characters in `keep`.
std::string percent_encode(std::string_view s, std::string_view keep);

// Text from events, Redis, catalogs or servers made safe for a terminal: C0 and C1 control
// characters, DEL and bytes that are not UTF-8 become visible escapes (\x1b, \n, \t),
// so no string can clear the screen, set the title, colour or split a row.
std::string printable(std::string_view s);

// Display width of a UTF-8 string (wcwidth per code point).
int display_width(const std::string& s);

// Every URL's password in `text` as "***": "http://admin:secret@host/x" reads
// "http://admin:***@host/x" (a user without a password is kept). Works on a bare URL and on
// URLs inside a longer message; used wherever an endpoint is shown or logged.
std::string mask_url_credentials(std::string_view text);

// At most `max_width` display columns: longer text ends in "…" (cells of tables).
std::string truncate_display(const std::string& s, int max_width);

// Appends `s` as a JSON string literal: quotes, backslash, \n \r \t, other controls as \u00XX.
void json_quote(std::string& out, std::string_view s);

} // namespace ebap
