#pragma once
// The line of a statement an error points at, with a caret under its column.
#include <string>

namespace ebap::sql {

// Two lines ("<the line>\n<blanks>^\n") for a 1-based line and column, or "" when the
// position is outside the statement. Tabs before the column are kept so the caret lines up;
// a column past the line's end points at its end (" <EOF>" as the Trino CLI shows).
std::string caret_lines(const std::string& statement, int line, int column);

} // namespace ebap::sql
