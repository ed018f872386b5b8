#pragma once
// "Did you mean": the known word nearest to a misspelt one (Levenshtein distance).
#include <cstddef>
#include <string>
#include <vector>

namespace ebap {

std::size_t edit_distance(const std::string& a, const std::string& b);
// The first of `known` at the smallest distance from `word`; "" when known is empty.
std::string closest(const std::string& word, const std::vector<std::string>& known);

} // namespace ebap
