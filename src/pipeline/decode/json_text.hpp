#pragma once
// Writing JSON text by hand (string splicing for enriched events, Redis values):
// the one escaping routine every writer shares, so output always re-parses.
#include <string>
#include <string_view>

namespace ebap::pipeline {

// Appends s as a quoted JSON string. s must be valid UTF-8 (everything simdjson hands
// out is); '"', '\\' and control characters are escaped, the rest copied as is.
void append_json_string(std::string& out, std::string_view s);

} // namespace ebap::pipeline
