#pragma once
// Byte-level scanning of JSON text that is already known to be (mostly) valid: skipping
// members for the enriched-line splice, and pinning down where a record is broken when
// simdjson's structural pass reports an error without a position.
#include <cstddef>
#include <string_view>

namespace ebap::pipeline::json_scan {

inline constexpr std::size_t npos = std::string_view::npos;

std::size_t skip_ws(std::string_view s, std::size_t pos);
// pos at an opening quote: the index just past the closing quote, or npos.
std::size_t skip_string(std::string_view s, std::size_t pos);
// pos at the first byte of a value: the index just past it, or npos when it never ends.
std::size_t skip_value(std::string_view s, std::size_t pos);

// Offsets of the first fault of each kind, npos when there is none.
std::size_t first_invalid_utf8(std::string_view s);
std::size_t first_control_in_string(std::string_view s); // unescaped byte < 0x20
std::size_t unclosed_string_start(std::string_view s);   // opening quote never closed

} // namespace ebap::pipeline::json_scan
