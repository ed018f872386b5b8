// postgres probe: connect, SELECT 1, wal_level (Debezium needs logical) and the
// lag of every replication slot. libpq runs non-blocking against our deadline:
// its connect_timeout has a 2 s floor and queries have no timeout at all.
#include "core/probe/probe_kinds.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
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

// libpq's messages span lines and repeat the address; keep the cause.
std::string pg_error(const std::string& message) {
    std::string line = message.substr(0, message.find('\n'));
    if (line.find("Connection refused") != std::string::npos) return "connection refused";
    if (auto failed = line.find("failed: "); failed != std::string::npos)
        line = line.substr(failed + 8);
    for (const char* severity : {"FATAL:", "ERROR:"})
        if (line.rfind(severity, 0) == 0)
            line = line.substr(std::char_traits<char>::length(severity));
    return one_line(line, 160);
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
};

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
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (PQstatus(conn.get()) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
           st != PGRES_POLLING_FAILED) {
        if (!wait_socket(conn.get(), st == PGRES_POLLING_WRITING, deadline))
            return finish(Health::Down, no_answer(timeout_ms), start);
        st = PQconnectPoll(conn.get());
    }
    if (PQstatus(conn.get()) != CONNECTION_OK)
        return finish(Health::Down, pg_error(PQerrorMessage(conn.get())), start);

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
    Query slots =
        run(conn.get(),
            "SELECT slot_name, active, CASE WHEN pg_is_in_recovery() THEN NULL ELSE "
            "pg_wal_lsn_diff(pg_current_wal_lsn(), COALESCE(confirmed_flush_lsn, restart_lsn)) END "
            "FROM pg_replication_slots",
            deadline);
    std::string slot_text;
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
            list.push_back(std::move(s));
        }
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
    return finish(Health::Up,
                  fmt::format("PostgreSQL {}, wal_level logical, {}", version, slot_text), start);
}

} // namespace ebap::probe_detail
