#pragma once
// Trino column types (parsed from their spelling) and values rendered as the Trino CLI
// prints them: arrays [1, 2, 3], maps {k=v}, rows {x=1, y=1.1}, varbinary as hex pairs,
// NULL inside them; decimals and temporal values exactly as the server wrote them.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ebap::sql {

struct TrinoType {
    std::string raw;                      // "varchar", "array", "row", "decimal" ...
    std::vector<TrinoType> args;          // array: element; map: key, value; row: fields
    std::vector<std::string> field_names; // row only ("" for an anonymous field)
};

// "row(x bigint,y double)", "array(map(varchar, integer))", "decimal(15,5)"; an unknown or
// malformed spelling reads as its raw name with no arguments.
TrinoType parse_trino_type(std::string_view spelling);

// The types the aligned and markdown printers right-align.
bool trino_numeric(const TrinoType& t);

// Base64 (as Trino sends varbinary) to lower-case hex pairs joined by spaces.
std::string base64_to_hex_pairs(std::string_view b64);

} // namespace ebap::sql
