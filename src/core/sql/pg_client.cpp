#include "core/sql/pg_client.hpp"

#include "core/base/error.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <cstring>
#include <string_view>

namespace ebap::sql {
namespace {

// Rows per page handed to the sink (or fewer once a page holds this many bytes).
constexpr std::size_t kPageRows = 4096, kPageBytes = 1u << 20;

struct TypeInfo {
    const char* name;
    bool numeric;
};

TypeInfo type_of(Oid oid) {
    switch (oid) {
    case 16: return {"boolean", false};
    case 17: return {"bytea", false};
    case 18: return {"char", false};
    case 19: return {"name", false};
    case 20: return {"bigint", true};
    case 21: return {"smallint", true};
    case 23: return {"integer", true};
    case 25: return {"text", false};
    case 26: return {"oid", true};
    case 114: return {"json", false};
    case 700: return {"real", true};
    case 701: return {"double precision", true};
    case 1042: return {"character", false};
    case 1043: return {"character varying", false};
    case 1082: return {"date", false};
    case 1083: return {"time", false};
    case 1114: return {"timestamp", false};
    case 1184: return {"timestamp with time zone", false};
    case 1186: return {"interval", false};
    case 1700: return {"numeric", true};
    case 2950: return {"uuid", false};
    case 3802: return {"jsonb", false};
    case 1000: return {"boolean[]", false};
    case 1005: return {"smallint[]", false};
    case 1007: return {"integer[]", false};
    case 1016: return {"bigint[]", false};
    case 1009: return {"text[]", false};
    case 1015: return {"character varying[]", false};
    case 1021: return {"real[]", false};
    case 1022: return {"double precision[]", false};
    case 1231: return {"numeric[]", false};
    default: return {nullptr, false};
    }
}

// A JSON number as PostgreSQL prints it ("NaN", "Infinity" are not).
bool json_number(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.' ||
              c == 'e' || c == 'E'))
            return false;
    return true;
}

std::string first_line(const char* msg) {
    std::string s = msg ? msg : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

} // namespace

std::pair<int, int> line_column_of(const std::string& text, int char_offset) {
    int line = 1, column = 1, chars = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if ((c & 0xC0) == 0x80) continue; // a UTF-8 continuation byte
        if (++chars == char_offset) return {line, column};
        if (c == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return {line, column};
}

struct PgClient::Impl {
    std::string conninfo;
    SessionOptions session;
    PGconn* conn = nullptr;
    PgClient* owner;

    ~Impl() {
        if (conn) PQfinish(conn);
    }

    bool cancelled() const { return owner->cancel_.load(); }

    std::optional<QueryError> connect() {
        if (conn && PQstatus(conn) == CONNECTION_OK) return std::nullopt;
        if (conn) PQfinish(conn);
        std::string ci = conninfo;
        if (!session.catalog.empty()) {
            std::string db;
            for (char c : session.catalog) {
                if (c == '\'' || c == '\\') db += '\\';
                db += c;
            }
            ci += " dbname='" + db + "'";
        }
        ci += " application_name='ebapctl sql'";
        conn = PQconnectdb(ci.c_str());
        if (PQstatus(conn) != CONNECTION_OK) {
            QueryError e{QueryError::Transport,
                         "postgres " + owner->endpoint() + ": " + first_line(PQerrorMessage(conn))};
            PQfinish(conn);
            conn = nullptr;
            return e;
        }
        PQsetClientEncoding(conn, "UTF8");
        std::vector<std::pair<std::string, std::string>> settings;
        if (!session.schema.empty()) settings.emplace_back("search_path", session.schema);
        if (!session.time_zone.empty()) settings.emplace_back("TimeZone", session.time_zone);
        for (const auto& kv : session.properties) settings.push_back(kv);
        for (const auto& [k, v] : settings) {
            const char* params[2] = {k.c_str(), v.c_str()};
            PGresult* res = PQexecParams(conn, "SELECT set_config($1, $2, false)", 2, nullptr,
                                         params, nullptr, nullptr, 0);
            const bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
            QueryError e{QueryError::Query, "--session " + k + "=" + v + ": " +
                                                first_line(PQresultErrorMessage(res))};
            PQclear(res);
            if (!ok) return e;
        }
        return std::nullopt;
    }

    QueryError error_of(PGresult* res, const std::string& sql, bool cancel_sent) {
        QueryError e;
        const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        const char* severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
        const char* position = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
        e.name = state ? state : "";
        e.type = severity ? severity : "ERROR";
        e.message = primary ? primary : first_line(PQresultErrorMessage(res));
        if (const char* detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL))
            e.message += std::string("\nDETAIL: ") + detail;
        if (const char* hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT))
            e.message += std::string("\nHINT: ") + hint;
        if (position) std::tie(e.line, e.column) = line_column_of(sql, std::atoi(position));
        if (cancel_sent && e.name == "57014") {
            e.kind = QueryError::Canceled;
            e.message = "Query aborted by user";
        }
        return e;
    }

    ResultSink* notices = nullptr; // the running statement's sink

    static void on_notice(void* self, const PGresult* res) {
        auto* impl = static_cast<Impl*>(self);
        if (!impl->notices) return;
        const char* severity = PQresultErrorField(res, PG_DIAG_SEVERITY);
        const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        impl->notices->on_notice(std::string(severity ? severity : "NOTICE") + ": " +
                                 (primary ? primary : ""));
    }

    StatementResult execute(const std::string& sql, ResultSink& sink) {
        StatementResult r;
        if (auto e = connect()) {
            r.error = e;
            return r;
        }
        PQsetNoticeReceiver(conn, on_notice, this);
        notices = &sink;
        struct Forget {
            ResultSink*& s;
            ~Forget() { s = nullptr; }
        } forget{notices};
        if (!PQsendQuery(conn, sql.c_str())) {
            r.error = QueryError{QueryError::Transport,
                                 "postgres " + owner->endpoint() + ": " + first_line(PQerrorMessage(conn))};
            return r;
        }
        PQsetSingleRowMode(conn);
        r.stats.state = "RUNNING";
        bool cancel_sent = false, columns_sent = false;
        std::vector<bool> numeric, boolean;
        RowPage page;
        auto flush = [&] {
            if (!page.rows()) return;
            r.rows += std::int64_t(page.rows());
            r.stats.rows_received = r.rows;
            sink.on_page(page);
            sink.on_stats(r.stats);
            page.reset(numeric.size());
        };
        auto send_columns = [&](PGresult* res) {
            if (columns_sent) return;
            columns_sent = true;
            const int n = PQnfields(res);
            for (int i = 0; i < n; ++i) {
                const Oid oid = PQftype(res, i);
                TypeInfo t = type_of(oid);
                r.columns.push_back({PQfname(res, i),
                                     t.name ? t.name : "oid " + std::to_string(oid), t.numeric});
                numeric.push_back(t.numeric);
                boolean.push_back(oid == 16);
            }
            page.reset(numeric.size());
            sink.on_columns(r.columns);
        };
        const int fd = PQsocket(conn);
        for (;;) {
            while (PQisBusy(conn)) {
                if (cancelled() && !cancel_sent) {
                    cancel_sent = true;
                    char why[256];
                    if (PGcancel* c = PQgetCancel(conn)) {
                        PQcancel(c, why, sizeof why);
                        PQfreeCancel(c);
                    }
                }
                pollfd p{fd, POLLIN, 0};
                ::poll(&p, 1, 100);
                if (!PQconsumeInput(conn)) break;
            }
            PGresult* res = PQgetResult(conn);
            if (!res) break;
            switch (PQresultStatus(res)) {
            case PGRES_SINGLE_TUPLE: {
                send_columns(res);
                const int n = PQnfields(res);
                for (int i = 0; i < n; ++i) {
                    if (PQgetisnull(res, 0, i)) {
                        page.add_null();
                        continue;
                    }
                    std::string_view v(PQgetvalue(res, 0, i), std::size_t(PQgetlength(res, 0, i)));
                    if (boolean[i])
                        page.add(CellKind::Literal, v == "t" ? "true" : "false");
                    else if (numeric[i] && json_number(v))
                        page.add(CellKind::Literal, v);
                    else
                        page.add(CellKind::String, v);
                }
                if (page.rows() >= kPageRows || page.bytes() >= kPageBytes) flush();
                // A cancel that the server has not acted on yet still stops the rows here.
                if (cancelled() && !cancel_sent) {
                    cancel_sent = true;
                    char why[256];
                    if (PGcancel* c = PQgetCancel(conn)) {
                        PQcancel(c, why, sizeof why);
                        PQfreeCancel(c);
                    }
                }
                break;
            }
            case PGRES_TUPLES_OK:
                send_columns(res);
                flush();
                break;
            case PGRES_COMMAND_OK: {
                std::string status = PQcmdStatus(res);
                const char* tuples = PQcmdTuples(res);
                // "INSERT 0 12" -> INSERT, 12; "CREATE TABLE" stays.
                const auto sp = status.find(' ');
                if (tuples && *tuples) {
                    r.update_count = std::atoll(tuples);
                    r.update_type = status.substr(0, sp);
                } else {
                    r.update_type = status;
                }
                break;
            }
            case PGRES_EMPTY_QUERY:
                break;
            case PGRES_COPY_OUT:
            case PGRES_COPY_IN:
            case PGRES_COPY_BOTH:
                r.error = QueryError{QueryError::Query,
                                     "COPY to or from the client is not supported here: use psql"};
                PQclear(res);
                PQputCopyEnd(conn, "not supported by ebapctl sql");
                continue;
            default:
                if (!r.error) r.error = error_of(res, sql, cancel_sent);
                break;
            }
            PQclear(res);
        }
        flush();
        if (PQstatus(conn) != CONNECTION_OK && !r.error)
            r.error = QueryError{QueryError::Transport,
                                 "postgres " + owner->endpoint() + ": " + first_line(PQerrorMessage(conn))};
        if (!r.error && cancel_sent) // finished before the cancel reached the server
            owner->cancel_.store(false);
        r.stats.state = r.error ? "FAILED" : "FINISHED";
        sink.on_stats(r.stats);
        return r;
    }
};

PgClient::PgClient(std::string conninfo, std::string endpoint, SessionOptions session)
    : impl_(std::make_unique<Impl>()), endpoint_(std::move(endpoint)) {
    impl_->conninfo = std::move(conninfo);
    impl_->session = std::move(session);
    impl_->owner = this;
}

PgClient::~PgClient() = default;

StatementResult PgClient::execute(const std::string& statement, ResultSink& sink) {
    cancel_.store(false);
    return impl_->execute(statement, sink);
}

std::string PgClient::current_catalog() const {
    return impl_->conn ? PQdb(impl_->conn) : impl_->session.catalog;
}

std::string PgClient::current_schema() const { return impl_->session.schema; }

} // namespace ebap::sql
