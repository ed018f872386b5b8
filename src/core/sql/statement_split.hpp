#pragma once
// Splits SQL text into statements at ';' outside quotes ('…', "…", PostgreSQL's $tag$…$tag$)
// and comments (-- to the end of the line, /* … */).
#include <string>
#include <string_view>
#include <vector>

namespace ebap::sql {

struct Split {
    std::vector<std::string> statements; // trimmed, without their ';'; comment-only ones dropped
    std::string rest;                    // text after the last ';' (an unterminated statement)
    bool rest_open = false;              // rest ends inside a quote or a /* comment */
};

Split split_statements(std::string_view text);

// True when the text is only blanks and comments.
bool is_blank_sql(std::string_view text);

} // namespace ebap::sql
