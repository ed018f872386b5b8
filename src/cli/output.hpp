#pragma once
// Human tables and colour for scripted output. JSON goes through nlohmann::json.
#include "core/base/format.hpp"
#include "core/base/time.hpp"

#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ebap::cli {

// Colour only on a terminal, never with NO_COLOR set or TERM=dumb.
bool color_enabled(std::FILE* stream);

enum class Tone { Plain, Ok, Warn, Crit, Dim, Accent };
// Tone for a health or status word: UP/OK/ok -> Ok, DEGRADED/WARN/warn -> Warn, ...
Tone tone_of(const std::string& word);

class Table {
  public:
    enum Align { Left, Right };
    struct Column {
        std::string title;
        Align align = Left;
    };
    explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
    // A row; `tones` is optional, one per cell.
    void add(std::vector<std::string> cells, std::vector<Tone> tones = {});
    std::string render(bool color) const;
    std::size_t size() const { return rows_.size(); }

  private:
    std::vector<Column> columns_;
    std::vector<std::vector<std::string>> rows_;
    std::vector<std::vector<Tone>> tones_;
};

// Prints a JSON document (pretty, trailing newline) to stdout.
void print_json(const nlohmann::json& doc);
// With --json, a command that fails prints this instead of its document (exit status
// unchanged): {"ok": false, "error": {"code", "kind", "message", "command"}}; kind is
// "usage" (2), "unhealthy" (3) or "failure" (anything else).
void print_json_error(int code, const std::string& message, const std::string& command);

// Widest cell a table prints (display columns); longer text ends in "…".
inline constexpr int kMaxCellWidth = 80;
// Prints a table to stdout, coloured when stdout allows it.
void print_table(const Table& t);

} // namespace ebap::cli
