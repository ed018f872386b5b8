#include "cli/options.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <optional>

namespace ebap::cli {
namespace {

std::string shown_value(const std::string& s) {
    return "'" + (s.size() <= 40 ? s : s.substr(0, 37) + "...") + "'";
}

// "12", "3.5", "1e3", "+2"; nullopt for text, nan, inf and trailing garbage.
std::optional<double> finite_number(const std::string& s) {
    const char* b = s.data();
    const char* e = b + s.size();
    if (b != e && *b == '+') ++b;
    double v = 0;
    auto [ptr, ec] = std::from_chars(b, e, v);
    if (b == e || ec != std::errc() || ptr != e || !std::isfinite(v)) return std::nullopt;
    return v;
}

template <typename T> std::optional<T> integer(const std::string& s) {
    const char* b = s.data();
    const char* e = b + s.size();
    if (b != e && *b == '+') ++b;
    T v{};
    auto [ptr, ec] = std::from_chars(b, e, v);
    if (b == e || ec != std::errc() || ptr != e) return std::nullopt;
    return v;
}

std::string number_text(double v) {
    return fmt::format("{:g}", v);
}

} // namespace

CLI::Validator positive_number() {
    return CLI::Validator(
        [](std::string& s) -> std::string {
            auto v = finite_number(s);
            return v && *v > 0 ? "" : "must be a positive number, got " + shown_value(s);
        },
        "x>0", "positive_number");
}

CLI::Validator non_negative_number() {
    return CLI::Validator(
        [](std::string& s) -> std::string {
            auto v = finite_number(s);
            return v && *v >= 0 ? "" : "must be a number >= 0, got " + shown_value(s);
        },
        "x>=0", "non_negative_number");
}

CLI::Validator number_range(double lo, double hi) {
    const std::string range = number_text(lo) + " to " + number_text(hi);
    return CLI::Validator(
        [lo, hi, range](std::string& s) -> std::string {
            auto v = finite_number(s);
            return v && *v >= lo && *v <= hi ? ""
                                             : "must be a number from " + range + ", got " +
                                                   shown_value(s);
        },
        number_text(lo) + ".." + number_text(hi), "number_range");
}

CLI::Validator integer_range(std::int64_t lo, std::int64_t hi) {
    const std::string range = std::to_string(lo) + " to " + std::to_string(hi);
    return CLI::Validator(
        [lo, hi, range](std::string& s) -> std::string {
            auto v = integer<std::int64_t>(s);
            return v && *v >= lo && *v <= hi ? ""
                                             : "must be an integer from " + range + ", got " +
                                                   shown_value(s);
        },
        std::to_string(lo) + ".." + std::to_string(hi), "integer_range");
}

CLI::Validator unsigned_integer() {
    return CLI::Validator(
        [](std::string& s) -> std::string {
            return integer<std::uint64_t>(s) ? ""
                                             : "must be an integer from 0 to "
                                               "18446744073709551615, got " +
                                                   shown_value(s);
        },
        "0..2^64-1", "unsigned_integer");
}

CLI::Validator non_empty() {
    return CLI::Validator(
        [](std::string& s) -> std::string {
            return s.find_first_not_of(" \t\r\n") == std::string::npos
                       ? "must not be empty, got " + shown_value(s)
                       : "";
        },
        "", "non_empty");
}

} // namespace ebap::cli
