// postgres probe: connect, SELECT 1, wal_level (Debezium needs logical) and the
// lag of every replication slot; an inactive slot holding back more WAL than the
// catalog allows is DEGRADED, and so is a refused login (the server is up). libpq runs non-blocking
// against our deadline: its connect_timeout has a 2 s floor and queries have no timeout at all.
#include "core/probe/probe_kinds.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <memory>

#include <poll.h>

namespace ebap::probe_detail {
namespace {

struct ConnFree {
    void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultFree {
    void operator()(PGresult* r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnFree>;
using Result = std::unique_ptr<PGresult, ResultFree>;

// False when the deadline passed first.
bool wait_socket(PGconn* conn, bool for_write, Clock::time_point deadline) {
    pollfd p{PQsocket(conn), static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
    int n;
    do {
        n = poll(&p, 1, remaining_ms(deadline));
    } while (n < 0 && errno == EINTR);
    return n != 0;
}

// Five digits or upper-case letters, as every SQLSTATE is.
bool is_sqlstate(const std::string& s) {
    return s.size() == 5 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
               return std::isdigit(c) || std::isupper(c);
           });
}

// libpq's messages span lines and repeat the address; keep the cause.
std::string pg_error(const std::string& message) {
    std::string line = message.substr(0, message.find('\n'));
    if (line.find("Connection refused") != std::string::npos) return "connection refused";
    if (auto failed = line.find("failed: "); failed != std::string::npos)
        line = line.substr(failed + 8);
    for (const char* severity : {"FATAL:", "ERROR:"})
        if (line.rfind(severity, 0) == 0)
            line = line.substr(std::char_traits<char>::length(severity));
    line = line.substr(std::min(line.size(), line.find_first_not_of(' ')));
    if (is_sqlstate(line.substr(0, 5)) && line.compare(5, 2, ": ") == 0)
        line = line.substr(7); // verbose messages: "28P01: password authentication failed"
    return one_line(line, 160);
}

// The SQLSTATE of a verbose libpq message ("...failed: FATAL:  28P01: password ..."), or "".
std::string sqlstate_of(const std::string& message) {
    std::string line = message.substr(0, message.find('\n'));
    for (const char* severity : {"FATAL:  ", "ERROR:  "})
        if (auto at = line.find(severity); at != std::string::npos) {
            std::string code = line.substr(at + 8, 6);
            if (code.size() == 6 && code[5] == ':' && is_sqlstate(code.substr(0, 5)))
                return code.substr(0, 5);
        }
    return "";
}

// 28P01 invalid_password and 28000 invalid_authorization_specification (no pg_hba.conf
// entry, unknown role under trust) from the server; libpq's own "no password supplied"
// when the server asks for one we do not have.
bool is_auth_failure(const std::string& message) {
    std::string state = sqlstate_of(message);
    return state == "28P01" || state == "28000" ||
           message.find("fe_sendauth: no password supplied") != std::string::npos;
}

struct Query {
    Result result;
    std::string error; // empty when the query succeeded
    bool timed_out = false;
};

Query run(PGconn* conn, const char* sql, Clock::time_point deadline) {
    Query q;
    if (!PQsendQuery(conn, sql)) {
        q.error = pg_error(PQerrorMessage(conn));
        return q;
    }
    while (true) {
        while (PQisBusy(conn)) {
            if (!wait_socket(conn, false, deadline)) {
                q.timed_out = true;
                return q;
            }
            if (!PQconsumeInput(conn)) {
                q.error = pg_error(PQerrorMessage(conn));
                return q;
            }
        }
        PGresult* r = PQgetResult(conn);
        if (!r) break;
        q.result.reset(r);
    }
    if (!q.result)
        q.error = pg_error(PQerrorMessage(conn));
    else if (auto st = PQresultStatus(q.result.get());
             st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        q.error = pg_error(PQresultErrorMessage(q.result.get()));
    return q;
}

struct Slot {
    std::string name;
    double lag = -1; // bytes; -1 when unknown (standby, never flushed)
    bool active = false;
    double held = -1; // WAL bytes kept for it (current LSN - restart_lsn); -1 when unknown
};

// Inactive slots that keep more WAL than `limit` bytes: the disk fills until they are dropped.
std::string slots_holding_wal(const std::vector<Slot>& slots, std::int64_t limit) {
    std::vector<std::string> held;
    for (const Slot& s : slots)
        if (!s.active && s.held > static_cast<double>(limit))
            held.push_back(
                fmt::format("slot {} inactive, holding {} of WAL", s.name, human_bytes(s.held)));
    if (held.empty()) return "";
    std::string out = held[0];
    for (std::size_t i = 1; i < held.size(); ++i)
        out += ", " + held[i];
    return out + fmt::format(" (limit {})", human_bytes(static_cast<double>(limit)));
}

std::string describe_slots(std::vector<Slot> slots) {
    if (slots.empty()) return "no replication slots";
    std::sort(slots.begin(), slots.end(),
              [](const Slot& a, const Slot& b) { return a.lag > b.lag; });
    std::string out = "slots:";
    for (std::size_t i = 0; i < slots.size() && i < 3; ++i) {
        const Slot& s = slots[i];
        out += fmt::format("{} {} {}{}", i ? "," : "", s.name,
                           s.lag < 0 ? "lag ?" : human_bytes(s.lag) + " behind",
                           s.active ? "" : " (inactive)");
    }
    if (slots.size() > 3) out += fmt::format(" (+{} more)", slots.size() - 3);
    return out;
}

} // namespace

ProbeResult probe_postgres(const ProbeSpec& spec, const ProbeOptions& opts, int timeout_ms) {
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::milliseconds(timeout_ms);
    HostPort hp = parse_host_port(spec.endpoint, 5432);
    std::string port = std::to_string(hp.port);
    std::string connect_timeout = std::to_string(std::max(2, (timeout_ms + 999) / 1000));

    std::vector<const char*> keys{"host", "port", "connect_timeout", "application_name"};
    std::vector<const char*> values{hp.host.c_str(), port.c_str(), connect_timeout.c_str(),
                                    "ebapctl-probe"};
    auto add = [&](const char* key, const std::string& value) {
        if (value.empty()) return;
        keys.push_back(key);
        values.push_back(value.c_str());
    };
    add("user", opts.pg_user);
    add("password", opts.pg_password);
    add("dbname", opts.pg_dbname);
    keys.push_back(nullptr);
    values.push_back(nullptr);

    Conn conn(PQconnectStartParams(keys.data(), values.data(), 0));
    if (!conn) return finish(Health::Unknown, "libpq cannot allocate a connection", start);
    PQsetErrorVerbosity(conn.get(), PQERRORS_VERBOSE); // messages carry their SQLSTATE
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (PQstatus(conn.get()) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
           st != PGRES_POLLING_FAILED) {
        if (!wait_socket(conn.get(), st == PGRES_POLLING_WRITING, deadline))
            return finish(Health::Down, no_answer(timeout_ms), start);
        st = PQconnectPoll(conn.get());
    }
    if (PQstatus(conn.get()) != CONNECTION_OK) {
        std::string message = PQerrorMessage(conn.get());
        if (is_auth_failure(message)) return auth_failed(pg_error(message), start);
        return finish(Health::Down, pg_error(message), start);
    }

    auto failed = [&](const Query& q, const char* what) {
        return finish(Health::Down,
                      q.timed_out ? no_answer(timeout_ms) : fmt::format("{}: {}", what, q.error),
                      start);
    };
    Query one = run(conn.get(), "SELECT 1", deadline);
    if (!one.error.empty() || one.timed_out) return failed(one, "SELECT 1");
    Query wal = run(conn.get(), "SHOW wal_level", deadline);
    if (!wal.error.empty() || wal.timed_out) return failed(wal, "SHOW wal_level");
    std::string wal_level =
        PQntuples(wal.result.get()) > 0 ? PQgetvalue(wal.result.get(), 0, 0) : "?";

    // A standby cannot call pg_current_wal_lsn(): its lag reads as NULL.
    Query slots = run(
        conn.get(),
        "SELECT slot_name, active, CASE WHEN pg_is_in_recovery() THEN NULL ELSE "
        "pg_wal_lsn_diff(pg_current_wal_lsn(), COALESCE(confirmed_flush_lsn, restart_lsn)) END, "
        "CASE WHEN pg_is_in_recovery() THEN NULL ELSE "
        "pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) END "
        "FROM pg_replication_slots",
        deadline);
    std::string slot_text, held_text;
    if (slots.timed_out) return failed(slots, "replication slots");
    if (!slots.error.empty()) {
        slot_text = "slots: " + slots.error;
    } else {
        std::vector<Slot> list;
        for (int i = 0; i < PQntuples(slots.result.get()); ++i) {
            Slot s{PQgetvalue(slots.result.get(), i, 0), -1,
                   PQgetvalue(slots.result.get(), i, 1)[0] == 't'};
            if (!PQgetisnull(slots.result.get(), i, 2))
                s.lag = std::strtod(PQgetvalue(slots.result.get(), i, 2), nullptr);
            if (!PQgetisnull(slots.result.get(), i, 3))
                s.held = std::strtod(PQgetvalue(slots.result.get(), i, 3), nullptr);
            list.push_back(std::move(s));
        }
        held_text = slots_holding_wal(list, spec.max_slot_wal_bytes > 0 ? spec.max_slot_wal_bytes
                                                                        : kDefaultMaxSlotWalBytes);
        slot_text = describe_slots(std::move(list));
    }

    int v = PQserverVersion(conn.get());
    std::string version =
        v >= 100000 ? fmt::format("{}.{}", v / 10000, v % 10000) : fmt::format("{}", v);
    if (wal_level != "logical")
        return finish(Health::Degraded,
                      fmt::format("wal_level is {} (Debezium needs logical); PostgreSQL {}, {}",
                                  wal_level, version, slot_text),
                      start);
    if (!held_text.empty())
        return finish(Health::Degraded, fmt::format("{}; PostgreSQL {}", held_text, version),
                      start);
    return finish(Health::Up,
                  fmt::format("PostgreSQL {}, wal_level logical, {}", version, slot_text), start);
}

} // namespace ebap::probe_detail
