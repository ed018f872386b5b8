#include "core/sql/printer.hpp"

#include "core/sql/error_location.hpp"

#include "core/base/format.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ebap::sql {
namespace {

constexpr std::size_t kFlushBytes = 64u << 10;

std::vector<std::string> split_lines(std::string_view s) {
    std::vector<std::string> lines;
    std::size_t from = 0;
    for (;;) {
        const auto nl = s.find('\n', from);
        lines.push_back(printable(s.substr(from, nl == std::string_view::npos ? nl : nl - from)));
        if (nl == std::string_view::npos) return lines;
        from = nl + 1;
    }
}

std::string spaces(int n) { return std::string(std::size_t(std::max(0, n)), ' '); }

// Markdown's special characters escaped, line breaks as <br>.
std::string markdown_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '\n') {
            out += "<br>";
            continue;
        }
        if (std::string_view("\\`*_{}[]<>()#+!|").find(c) != std::string_view::npos) out += '\\';
        out += c;
    }
    return printable(out);
}

} // namespace

const std::vector<std::pair<std::string, SqlFormat>>& sql_formats() {
    static const std::vector<std::pair<std::string, SqlFormat>> all = {
        {"aligned", SqlFormat::Aligned},
        {"vertical", SqlFormat::Vertical},
        {"auto", SqlFormat::Auto},
        {"csv", SqlFormat::Csv},
        {"csv-header", SqlFormat::CsvHeader},
        {"csv-unquoted", SqlFormat::CsvUnquoted},
        {"csv-header-unquoted", SqlFormat::CsvHeaderUnquoted},
        {"tsv", SqlFormat::Tsv},
        {"tsv-header", SqlFormat::TsvHeader},
        {"json", SqlFormat::Json},
        {"markdown", SqlFormat::Markdown},
        {"null", SqlFormat::Null},
    };
    return all;
}

std::optional<SqlFormat> parse_sql_format(const std::string& name) {
    std::string n;
    for (char c : name) n += c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const auto& [k, v] : sql_formats())
        if (k == n) return v;
    return std::nullopt;
}

std::string sql_format_name(SqlFormat f) {
    for (const auto& [k, v] : sql_formats())
        if (v == f) return k;
    return "?";
}

std::string sql_format_choices() {
    std::string s;
    for (const auto& [k, v] : sql_formats()) s += (s.empty() ? "" : ", ") + k;
    return s;
}

struct RowPrinter::Impl {
    SqlFormat format;
    OutputSink& out;
    int width;
    std::vector<Column> columns;
    std::string buf;
    bool lost = false;
    bool header_done = false;
    std::int64_t rows = 0;
    std::optional<bool> auto_vertical;
    // Table formats: the block not yet printed.
    std::vector<RowPage> block;
    std::size_t block_rows = 0;

    bool table_format() const {
        return format == SqlFormat::Aligned || format == SqlFormat::Vertical ||
               format == SqlFormat::Auto || format == SqlFormat::Markdown;
    }

    void emit() {
        if (lost || buf.empty()) return;
        if (!out.write(buf)) lost = true;
        buf.clear();
    }
    void maybe_emit() {
        if (buf.size() >= kFlushBytes) emit();
    }

    std::string_view text(const RowPage& p, const Cell& c) const { return p.text(c); }
    std::string display(const RowPage& p, const Cell& c) const {
        return c.kind == CellKind::Null ? std::string("NULL") : std::string(p.text(c));
    }

    // --- machine formats, row by row ---
    void csv_field(std::string_view s, bool quote) {
        if (quote) buf += '"';
        for (char c : s) {
            if (c == '"') buf += '"';
            buf += c;
        }
        if (quote) buf += '"';
    }
    void csv_row(const RowPage* p, std::size_t r, bool quote) {
        for (std::size_t i = 0; i < columns.size(); ++i) {
            if (i) buf += ',';
            if (!p) {
                csv_field(columns[i].name, quote);
                continue;
            }
            const Cell& c = p->cell(r, i);
            csv_field(c.kind == CellKind::Null ? std::string_view() : p->text(c), quote);
        }
        buf += '\n';
    }
    void tsv_field(std::string_view s) {
        for (char c : s) {
            switch (c) {
            case '\0': buf += "\\0"; break;
            case '\b': buf += "\\b"; break;
            case '\f': buf += "\\f"; break;
            case '\n': buf += "\\n"; break;
            case '\r': buf += "\\r"; break;
            case '\t': buf += "\\t"; break;
            case '\\': buf += "\\\\"; break;
            default: buf += c;
            }
        }
    }
    void tsv_row(const RowPage* p, std::size_t r) {
        for (std::size_t i = 0; i < columns.size(); ++i) {
            if (i) buf += '\t';
            if (!p) {
                tsv_field(columns[i].name);
                continue;
            }
            const Cell& c = p->cell(r, i);
            if (c.kind != CellKind::Null) tsv_field(p->text(c));
        }
        buf += '\n';
    }
    void json_row(const RowPage& p, std::size_t r) {
        buf += '{';
        for (std::size_t i = 0; i < columns.size(); ++i) {
            if (i) buf += ',';
            json_quote(buf, columns[i].name);
            buf += ':';
            const Cell& c = p.cell(r, i);
            switch (c.kind) {
            case CellKind::Null: buf += "null"; break;
            case CellKind::String: json_quote(buf, p.text(c)); break;
            case CellKind::Literal: buf += p.text(c); break;
            case CellKind::Complex: buf += p.json(c); break;
            }
        }
        buf += "}\n";
    }

    // --- table formats, block by block ---
    std::vector<int> widths() const {
        std::vector<int> w(columns.size(), 1);
        for (std::size_t i = 0; i < columns.size(); ++i)
            w[i] = std::max(1, display_width(printable(columns[i].name)));
        for (const auto& p : block)
            for (std::size_t r = 0; r < p.rows(); ++r)
                for (std::size_t i = 0; i < columns.size(); ++i)
                    for (const auto& line : split_lines(display(p, p.cell(r, i))))
                        w[i] = std::max(w[i], display_width(line));
        return w;
    }

    void aligned_block(bool complete) {
        const std::vector<int> w = widths();
        if (!header_done) {
            header_done = true;
            for (std::size_t i = 0; i < columns.size(); ++i) {
                if (i) buf += '|';
                const std::string name = printable(columns[i].name);
                const int left = (w[i] - display_width(name)) / 2;
                buf += spaces(left + 1) + name + spaces(w[i] - display_width(name) - left + 1);
            }
            buf += '\n';
            for (std::size_t i = 0; i < columns.size(); ++i) {
                if (i) buf += '+';
                buf += std::string(std::size_t(w[i] + 2), '-');
            }
            buf += '\n';
        }
        for (const auto& p : block) {
            for (std::size_t r = 0; r < p.rows(); ++r) {
                std::vector<std::vector<std::string>> cells;
                std::size_t lines = 1;
                for (std::size_t i = 0; i < columns.size(); ++i) {
                    cells.push_back(split_lines(display(p, p.cell(r, i))));
                    lines = std::max(lines, cells.back().size());
                }
                for (std::size_t l = 0; l < lines; ++l) {
                    for (std::size_t i = 0; i < columns.size(); ++i) {
                        if (i) buf += '|';
                        const std::string s = l < cells[i].size() ? cells[i][l] : "";
                        const int pad = w[i] - display_width(s);
                        std::string cell = columns[i].numeric ? spaces(pad + 1) + s + " "
                                                              : " " + s + spaces(pad + 1);
                        if ((!complete || rows > 1) && l + 1 < cells[i].size())
                            cell.back() = '+';
                        buf += cell;
                    }
                    buf += '\n';
                }
                maybe_emit();
            }
        }
    }

    void vertical_block() {
        int names = 0;
        for (const auto& c : columns) names = std::max(names, display_width(printable(c.name)));
        int values = 0;
        for (const auto& p : block)
            for (std::size_t r = 0; r < p.rows(); ++r)
                for (std::size_t i = 0; i < columns.size(); ++i)
                    for (const auto& line : split_lines(display(p, p.cell(r, i))))
                        values = std::max(values, display_width(line));
        for (const auto& p : block) {
            for (std::size_t r = 0; r < p.rows(); ++r) {
                ++vertical_count;
                std::string header = "-[ RECORD " + std::to_string(vertical_count) + " ]";
                if (names + 1 >= int(header.size()))
                    header += std::string(std::size_t(names + 1 - int(header.size())), '-') + "+";
                header += std::string(std::size_t(std::max(0, names + values + 3 - int(header.size()))), '-');
                buf += header + "\n";
                for (std::size_t i = 0; i < columns.size(); ++i) {
                    std::string name = printable(columns[i].name);
                    for (const auto& line : split_lines(display(p, p.cell(r, i)))) {
                        buf += name + spaces(names - display_width(name)) + " | " + line + "\n";
                        name = spaces(display_width(name));
                    }
                }
                maybe_emit();
            }
        }
    }
    std::int64_t vertical_count = 0;

    void markdown_block() {
        std::vector<int> w(columns.size(), 1);
        for (std::size_t i = 0; i < columns.size(); ++i)
            w[i] = std::max(1, display_width(markdown_escape(columns[i].name)));
        for (const auto& p : block)
            for (std::size_t r = 0; r < p.rows(); ++r)
                for (std::size_t i = 0; i < columns.size(); ++i)
                    w[i] = std::max(w[i], display_width(markdown_escape(display(p, p.cell(r, i)))));
        auto cell = [&](const std::string& v, std::size_t i) {
            const std::string pad = spaces(w[i] - display_width(v) + 1);
            buf += '|';
            buf += columns[i].numeric ? pad + v + " " : " " + v + pad;
        };
        if (!header_done) {
            header_done = true;
            for (std::size_t i = 0; i < columns.size(); ++i) cell(markdown_escape(columns[i].name), i);
            buf += "|\n";
            for (std::size_t i = 0; i < columns.size(); ++i)
                buf += "| " + std::string(std::size_t(w[i]), '-') + (columns[i].numeric ? ':' : ' ');
            buf += "|\n";
        }
        for (const auto& p : block)
            for (std::size_t r = 0; r < p.rows(); ++r) {
                for (std::size_t i = 0; i < columns.size(); ++i)
                    cell(markdown_escape(display(p, p.cell(r, i))), i);
                buf += "|\n";
                maybe_emit();
            }
    }

    bool fits_aligned() const {
        if (width <= 0) return true;
        const std::vector<int> w = widths();
        int total = int(columns.size()) - 1;
        for (int x : w) total += x + 2;
        return total <= width;
    }

    void print_block(bool complete) {
        if (format == SqlFormat::Auto && !auto_vertical) auto_vertical = !fits_aligned();
        if (format == SqlFormat::Vertical || (format == SqlFormat::Auto && *auto_vertical))
            vertical_block();
        else if (format == SqlFormat::Markdown)
            markdown_block();
        else
            aligned_block(complete);
        block.clear();
        block_rows = 0;
        emit();
    }
};

RowPrinter::RowPrinter(SqlFormat format, OutputSink& out, int width)
    : impl_(new Impl{format, out, width}) {}
RowPrinter::~RowPrinter() = default;

bool RowPrinter::output_lost() const { return impl_->lost; }

void RowPrinter::on_columns(const std::vector<Column>& columns) {
    Impl& m = *impl_;
    m.columns = columns;
    if (m.format == SqlFormat::CsvHeader || m.format == SqlFormat::CsvHeaderUnquoted)
        m.csv_row(nullptr, 0, m.format == SqlFormat::CsvHeader);
    if (m.format == SqlFormat::TsvHeader) m.tsv_row(nullptr, 0);
    m.emit();
}

void RowPrinter::on_page(const RowPage& page) {
    Impl& m = *impl_;
    if (m.lost) return;
    m.rows += std::int64_t(page.rows());
    switch (m.format) {
    case SqlFormat::Null: return;
    case SqlFormat::Csv:
    case SqlFormat::CsvHeader:
    case SqlFormat::CsvUnquoted:
    case SqlFormat::CsvHeaderUnquoted: {
        const bool quote = m.format == SqlFormat::Csv || m.format == SqlFormat::CsvHeader;
        for (std::size_t r = 0; r < page.rows(); ++r) {
            m.csv_row(&page, r, quote);
            m.maybe_emit();
        }
        return;
    }
    case SqlFormat::Tsv:
    case SqlFormat::TsvHeader:
        for (std::size_t r = 0; r < page.rows(); ++r) {
            m.tsv_row(&page, r);
            m.maybe_emit();
        }
        return;
    case SqlFormat::Json:
        for (std::size_t r = 0; r < page.rows(); ++r) {
            m.json_row(page, r);
            m.maybe_emit();
        }
        return;
    default:
        m.block.push_back(page);
        m.block_rows += page.rows();
        if (m.block_rows >= kBlockRows) m.print_block(false);
    }
}

bool RowPrinter::finish() {
    Impl& m = *impl_;
    if (m.table_format()) {
        if (m.block_rows || !m.header_done) m.print_block(true);
        if (m.format == SqlFormat::Aligned || (m.format == SqlFormat::Auto && !m.auto_vertical.value_or(false)))
            m.buf += "(" + std::to_string(m.rows) + (m.rows == 1 ? " row)\n" : " rows)\n");
        else if (m.format != SqlFormat::Markdown && m.rows == 0)
            m.buf += "(no rows)\n";
    }
    m.emit();
    if (!m.lost && !m.out.flush()) m.lost = true;
    return !m.lost;
}

std::string format_query_error(const QueryError& e, const std::string& statement,
                               const std::string& query_id) {
    if (e.kind == QueryError::Canceled) return e.message + "\n";
    if (e.kind == QueryError::Transport || e.kind == QueryError::Protocol)
        return printable(mask_url_credentials(e.message)) + "\n";
    std::string out = "Query ";
    if (!query_id.empty()) out += query_id + " ";
    out += "failed";
    if (!e.name.empty()) out += " (" + e.name + ")";
    out += ": ";
    // Multi-line messages (PostgreSQL's DETAIL/HINT) keep their lines.
    std::size_t from = 0;
    for (;;) {
        const auto nl = e.message.find('\n', from);
        out += printable(e.message.substr(from, nl == std::string::npos ? nl : nl - from)) + "\n";
        if (nl == std::string::npos) break;
        from = nl + 1;
    }
    out += caret_lines(statement, e.line, e.column);
    return out;
}

std::string update_summary(const StatementResult& r) {
    std::string s = r.update_type;
    if (r.update_count)
        s += fmt::format(": {} row{}", *r.update_count, *r.update_count == 1 ? "" : "s");
    return s;
}

void UpdateAwareSink::on_page(const RowPage& page) {
    if (update_) return;
    if (!sent_ && !held_) {
        held_ = page;
        return;
    }
    release();
    inner_.on_page(page);
}

void UpdateAwareSink::on_stats(const QueryStats& s) {
    if (!s.update_type.empty()) {
        update_ = true;
        held_.reset();
    }
    if (!update_) release();
    inner_.on_stats(s);
}

void UpdateAwareSink::finish() {
    if (!update_ && !columns_.empty()) release();
}

void UpdateAwareSink::release() {
    if (!sent_ && !columns_.empty()) {
        sent_ = true;
        inner_.on_columns(columns_);
    }
    if (held_) {
        std::optional<RowPage> page = std::move(held_);
        held_.reset();
        inner_.on_page(*page);
    }
}

} // namespace ebap::sql
