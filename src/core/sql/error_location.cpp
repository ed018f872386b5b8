#include "core/sql/error_location.hpp"

#include "core/base/format.hpp"

namespace ebap::sql {

std::string caret_lines(const std::string& statement, int line, int column) {
    if (line < 1 || column < 1) return {};
    std::size_t from = 0;
    for (int l = 1; l < line; ++l) {
        from = statement.find('\n', from);
        if (from == std::string::npos) return {};
        ++from;
    }
    const std::size_t end = statement.find('\n', from);
    std::string text = statement.substr(from, end == std::string::npos ? end : end - from);
    // Columns count characters: find the byte where the column starts.
    std::size_t at = 0;
    for (int c = 1; c < column && at < text.size(); ++c) {
        ++at;
        while (at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) ++at;
    }
    std::string good = text.substr(0, at), bad = text.substr(at);
    if (bad.find_first_not_of(" \t\r") == std::string::npos && end == std::string::npos)
        bad = " <EOF>";
    std::string pad;
    for (char c : good) pad += c == '\t' ? '\t' : ' ';
    const std::string shown_good = printable(good);
    // printable() may widen the prefix (an escaped control character): pad to its width.
    pad = std::string(std::size_t(display_width(shown_good)), ' ');
    if (good.find('\t') != std::string::npos && shown_good == good) {
        pad.clear();
        for (char c : good) pad += c == '\t' ? '\t' : ' ';
    }
    return shown_good + printable(bad) + "\n" + pad + "^\n";
}

} // namespace ebap::sql
