#pragma once
// Human tables and colour for scripted output. JSON goes through nlohmann::json.
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ebap {

// Colour only on a terminal, never with NO_COLOR set or TERM=dumb.
bool color_enabled(std::FILE* stream);

enum class Tone { Plain, Ok, Warn, Crit, Dim, Accent };
// Tone for a health or status word: UP/OK/ok -> Ok, DEGRADED/WARN/warn -> Warn, ...
Tone tone_of(const std::string& word);

// Display width of a UTF-8 string (wcwidth per code point).
int display_width(const std::string& s);

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
// Prints a table to stdout, coloured when stdout allows it.
void print_table(const Table& t);

// Small formatting helpers shared by every view.
std::string fmt_duration_ms(double ms); // "850 ms", "2.1 s", "3m 05s", "2h 01m"
std::string fmt_count(double n);        // 950, 1.2K, 3.4M
std::string fmt_bytes(double n);        // 512 B, 1.2 KiB, 3.4 MiB
std::int64_t now_ms();                  // wall clock epoch ms

} // namespace ebap
