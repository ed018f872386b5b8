// The parts of `ebapctl sql` that need no server: statement splitting, Trino type
// spellings, the caret under an error's column, the printers' formats, completion.
#include "core/sql/printer.hpp"
#include "cli/sql_repl.hpp"
#include "core/sql/names.hpp"
#include "cli/sql_runner.hpp"
#include "core/sql/error_location.hpp"
#include "core/sql/pg_client.hpp"
#include "core/sql/statement_split.hpp"
#include "core/sql/trino_value.hpp"

#include <gtest/gtest.h>

namespace ebap {
namespace {

using sql::split_statements;

TEST(StatementSplit, SemicolonsOutsideQuotesAndComments) {
    auto s = split_statements("select 1; select ';' ; select \"a;b\" from t -- x;y\n; /* ; */ select 4");
    ASSERT_EQ(s.statements.size(), 3u);
    EXPECT_EQ(s.statements[0], "select 1");
    EXPECT_EQ(s.statements[1], "select ';'");
    EXPECT_EQ(s.statements[2], "select \"a;b\" from t -- x;y");
    EXPECT_EQ(s.rest, "/* ; */ select 4");
    EXPECT_FALSE(s.rest_open);
}

TEST(StatementSplit, DoubledQuotesDollarQuotesAndOpenText) {
    auto s = split_statements("select 'it''s;'; do $$ begin; end $$; select $tag$;$tag$, $1;");
    ASSERT_EQ(s.statements.size(), 3u);
    EXPECT_EQ(s.statements[0], "select 'it''s;'");
    EXPECT_EQ(s.statements[1], "do $$ begin; end $$");
    EXPECT_EQ(s.statements[2], "select $tag$;$tag$, $1");
    auto open = split_statements("select 'abc;");
    EXPECT_TRUE(open.statements.empty());
    EXPECT_TRUE(open.rest_open);
    EXPECT_TRUE(split_statements("/* still open ;").rest_open);
    // Comment-only pieces are no statements.
    EXPECT_TRUE(split_statements("-- a\n;  ; /* b */;").statements.empty());
    EXPECT_TRUE(sql::is_blank_sql(" -- only\n /* c */ "));
    EXPECT_FALSE(sql::is_blank_sql("select"));
}

TEST(TrinoType, NestedSpellings) {
    auto t = sql::parse_trino_type("array(row(x bigint, \"two words\" map(varchar(3), double)))");
    EXPECT_EQ(t.raw, "array");
    ASSERT_EQ(t.args.size(), 1u);
    const auto& row = t.args[0];
    EXPECT_EQ(row.raw, "row");
    ASSERT_EQ(row.field_names.size(), 2u);
    EXPECT_EQ(row.field_names[0], "x");
    EXPECT_EQ(row.field_names[1], "two words");
    EXPECT_EQ(row.args[1].raw, "map");
    EXPECT_EQ(row.args[1].args[0].raw, "varchar");
    EXPECT_EQ(sql::parse_trino_type("timestamp(3) with time zone").raw, "timestamp with time zone");
    EXPECT_EQ(sql::parse_trino_type("row(bigint, double)").field_names,
              (std::vector<std::string>{"", ""}));
    EXPECT_TRUE(sql::trino_numeric(sql::parse_trino_type("decimal(15,5)")));
    EXPECT_FALSE(sql::trino_numeric(sql::parse_trino_type("varchar")));
    EXPECT_EQ(sql::base64_to_hex_pairs("YWJj"), "61 62 63");
}

TEST(Caret, UnderTheColumnOnItsLine) {
    EXPECT_EQ(sql::caret_lines("select *\nfrom t x y", 2, 10), "from t x y\n         ^\n");
    EXPECT_EQ(sql::caret_lines("select", 1, 7), "select <EOF>\n      ^\n");
    EXPECT_EQ(sql::caret_lines("select 'é' frm", 1, 12), "select 'é' frm\n           ^\n");
    EXPECT_EQ(sql::caret_lines("select", 3, 1), "");
    EXPECT_EQ(sql::line_column_of("select\n  é frm", 12), (std::pair<int, int>{2, 5}));
}

struct StringOut : sql::OutputSink {
    std::string text;
    bool write(std::string_view t) override {
        text += t;
        return true;
    }
    bool flush() override { return true; }
};

std::string print(sql::SqlFormat f, int width = 0) {
    StringOut out;
    sql::RowPrinter p(f, out, width);
    p.on_columns({{"id", "bigint", true}, {"name", "varchar", false}});
    sql::RowPage page(2);
    page.add(sql::CellKind::Literal, "1");
    page.add(sql::CellKind::String, "a \"quoted\"\tvalue");
    page.add(sql::CellKind::Literal, "22");
    page.add_null();
    p.on_page(page);
    p.finish();
    return out.text;
}

TEST(Printers, QuotingEscapingAndNull) {
    EXPECT_EQ(print(sql::SqlFormat::Csv), "\"1\",\"a \"\"quoted\"\"\tvalue\"\n\"22\",\"\"\n");
    EXPECT_EQ(print(sql::SqlFormat::TsvHeader), "id\tname\n1\ta \"quoted\"\\tvalue\n22\t\n");
    EXPECT_EQ(print(sql::SqlFormat::Json),
              "{\"id\":1,\"name\":\"a \\\"quoted\\\"\\tvalue\"}\n{\"id\":22,\"name\":null}\n");
    // Numbers right-aligned; the tab shown escaped, so a value cannot move the columns.
    EXPECT_EQ(print(sql::SqlFormat::Aligned), " id |       name        \n"
                                              "----+-------------------\n"
                                              "  1 | a \"quoted\"\\tvalue \n"
                                              " 22 | NULL              \n"
                                              "(2 rows)\n");
    EXPECT_EQ(print(sql::SqlFormat::Vertical), "-[ RECORD 1 ]-----------\n"
                                               "id   | 1\n"
                                               "name | a \"quoted\"\\tvalue\n"
                                               "-[ RECORD 2 ]-----------\n"
                                               "id   | 22\n"
                                               "name | NULL\n");
    // auto: vertical when the aligned table would not fit the width.
    EXPECT_EQ(print(sql::SqlFormat::Auto, 20), print(sql::SqlFormat::Vertical));
    EXPECT_EQ(print(sql::SqlFormat::Auto, 80), print(sql::SqlFormat::Aligned));
    EXPECT_EQ(print(sql::SqlFormat::Null), "");
}

TEST(Printers, EmptyResults) {
    StringOut out;
    sql::RowPrinter p(sql::SqlFormat::Aligned, out);
    p.on_columns({{"_col0", "bigint", true}});
    p.finish();
    EXPECT_EQ(out.text, " _col0 \n-------\n(0 rows)\n");
    StringOut v;
    sql::RowPrinter pv(sql::SqlFormat::Vertical, v);
    pv.on_columns({{"_col0", "bigint", true}});
    pv.finish();
    EXPECT_EQ(v.text, "(no rows)\n");
}

TEST(Printers, FormatNames) {
    EXPECT_EQ(sql::parse_sql_format("CSV_HEADER"), sql::SqlFormat::CsvHeader);
    EXPECT_FALSE(sql::parse_sql_format("xml"));
    EXPECT_EQ(sql::sql_format_name(sql::SqlFormat::TsvHeader), "tsv-header");
}

TEST(Errors, QueryErrorWithNameAndCaret) {
    sql::QueryError e{sql::QueryError::Query, "syntax error at or near \"frm\"", "42601", "ERROR", 1, 10};
    EXPECT_EQ(sql::format_query_error(e, "select 1 frm t", ""),
              "Query failed (42601): syntax error at or near \"frm\"\nselect 1 frm t\n         ^\n");
    sql::StatementResult r;
    r.update_type = "DELETE";
    r.update_count = 1;
    EXPECT_EQ(sql::update_summary(r), "DELETE: 1 row");
}

TEST(Completion, KeywordsInTheTypedCaseAndNames) {
    auto m = sql::sql_completions("sel", {"selected_users", "orders"});
    EXPECT_EQ(m, (std::vector<std::string>{"select", "selected_users"}));
    EXPECT_EQ(sql::sql_completions("SEL", {}), (std::vector<std::string>{"SELECT"}));
    EXPECT_EQ(sql::sql_completions("ord", {"orders", "ORDER_ITEMS"}),
              (std::vector<std::string>{"ORDER_ITEMS", "order", "orders"}));
}

} // namespace
} // namespace ebap
