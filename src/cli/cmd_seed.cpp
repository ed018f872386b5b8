// ebapctl seed: public.users in PostgreSQL, the table Debezium captures into
// ebap.cdc.users. Profiles come from the generator's model, so for the same
// seed `gen` and `seed` agree on every user's region and tier. Idempotent: a
// rerun touches (and re-stamps updated_at of) only rows that differ.
#include "cli/command.hpp"
#include "cli/options.hpp"
#include "core/base/error.hpp"
#include "cli/output.hpp"
#include "pipeline/gen/generator.hpp"

#include <CLI/CLI.hpp>
#include <libpq-fe.h>

#include <memory>

namespace ebap::cli {
using namespace ebap::pipeline;
namespace {

struct SeedOptions {
    std::int64_t users = 1000;
    std::uint64_t seed = 1;
};

using PgConn = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using PgResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

std::string where(PGconn* c) {
    return std::string(PQhost(c)) + ":" + PQport(c) + "/" + PQdb(c);
}

PgResult exec(PGconn* c, const std::string& sql, ExecStatusType want = PGRES_COMMAND_OK) {
    PgResult r(PQexec(c, sql.c_str()), &PQclear);
    if (PQresultStatus(r.get()) != want)
        throw Error("PostgreSQL " + where(c) + ": " + PQerrorMessage(c));
    return r;
}

const char* kCreate = R"(CREATE TABLE IF NOT EXISTS public.users (
    id bigint PRIMARY KEY, name text, email text, region text, tier text,
    updated_at timestamptz DEFAULT now()))";

// Debezium needs the whole old row in update/delete events (before != null).
bool ensure_replica_identity_full(PGconn* c) {
    PgResult r = exec(c, "SELECT relreplident FROM pg_class WHERE oid = 'public.users'::regclass",
                      PGRES_TUPLES_OK);
    if (std::string(PQgetvalue(r.get(), 0, 0)) == "f") return false;
    exec(c, "ALTER TABLE public.users REPLICA IDENTITY FULL");
    return true;
}

void copy_profiles(PGconn* c, const SeedOptions& o) {
    exec(c, "CREATE TEMP TABLE ebap_seed_users (id bigint, name text, email text, region text, "
            "tier text) "
            "ON COMMIT DROP");
    exec(c, "COPY ebap_seed_users FROM STDIN", PGRES_COPY_IN);
    std::string buf;
    for (std::int64_t id = 1; id <= o.users; ++id) {
        GenProfile p = make_profile(o.seed, id); // names are plain ASCII: no COPY escaping needed
        buf += std::to_string(id) + '\t' + p.name + '\t' + p.email + '\t' + p.region + '\t' +
               p.tier + '\n';
        if (buf.size() > (1 << 16) || id == o.users) {
            if (PQputCopyData(c, buf.data(), static_cast<int>(buf.size())) != 1)
                throw Error("PostgreSQL " + where(c) + ": COPY failed: " + PQerrorMessage(c));
            buf.clear();
        }
    }
    if (PQputCopyEnd(c, nullptr) != 1)
        throw Error("PostgreSQL " + where(c) + ": " + PQerrorMessage(c));
    PgResult r(PQgetResult(c), &PQclear);
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
        throw Error("PostgreSQL " + where(c) + ": COPY failed: " + PQerrorMessage(c));
    while (PGresult* extra = PQgetResult(c))
        PQclear(extra);
}

struct SeedResult {
    long inserted = 0, updated = 0, unchanged = 0;
    bool identity_changed = false;
    bool table_created = false;
};

SeedResult seed(PGconn* c, const SeedOptions& o) {
    SeedResult res;
    exec(c, "SET client_min_messages = warning"); // no NOTICE for an existing table
    PgResult before = exec(c, "SELECT to_regclass('public.users') IS NULL", PGRES_TUPLES_OK);
    res.table_created = std::string(PQgetvalue(before.get(), 0, 0)) == "t";
    exec(c, kCreate);
    res.identity_changed = ensure_replica_identity_full(c);
    exec(c, "BEGIN");
    copy_profiles(c, o);
    PgResult r =
        exec(c,
             "INSERT INTO public.users AS u (id, name, email, region, tier) "
             "SELECT id, name, email, region, tier FROM ebap_seed_users "
             "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, "
             "region = EXCLUDED.region, tier = EXCLUDED.tier, updated_at = now() "
             "WHERE (u.name, u.email, u.region, u.tier) IS DISTINCT FROM "
             "(EXCLUDED.name, EXCLUDED.email, EXCLUDED.region, EXCLUDED.tier) "
             "RETURNING (xmax = 0)",
             PGRES_TUPLES_OK);
    exec(c, "COMMIT");
    for (int i = 0; i < PQntuples(r.get()); ++i)
        (std::string(PQgetvalue(r.get(), i, 0)) == "t" ? res.inserted : res.updated)++;
    res.unchanged = static_cast<long>(o.users) - res.inserted - res.updated;
    return res;
}

int run_seed(Context& ctx, const SeedOptions& o) {
    PgConn conn(PQconnectdb(ctx.config().pg_conninfo().c_str()), &PQfinish);
    if (PQstatus(conn.get()) != CONNECTION_OK) {
        const Config& cfg = ctx.config();
        throw Error("cannot connect to PostgreSQL at " + cfg.str("postgres.host") + ":" +
                    cfg.str("postgres.port") + "/" + cfg.str("postgres.dbname") + ": " +
                    PQerrorMessage(conn.get()));
    }
    SeedResult r = seed(conn.get(), o);
    std::string at = where(conn.get());
    if (ctx.global.json) {
        print_json({{"database", at},
                    {"table", "public.users"},
                    {"users", o.users},
                    {"seed", o.seed},
                    {"table_created", r.table_created},
                    {"inserted", r.inserted},
                    {"updated", r.updated},
                    {"unchanged", r.unchanged},
                    {"replica_identity", "full"},
                    {"replica_identity_changed", r.identity_changed}});
    } else {
        std::printf(
            "seed: public.users at %s%s: %lld users (%ld inserted, %ld updated, %ld unchanged); "
            "replica identity FULL%s\n",
            at.c_str(), r.table_created ? " (table created)" : "", static_cast<long long>(o.users),
            r.inserted, r.updated, r.unchanged, r.identity_changed ? " (set now)" : "");
    }
    return kExitOk;
}

} // namespace

CommandDef seed_command() {
    return {"seed", "create and fill public.users in PostgreSQL (the CDC source of user profiles)",
            true, [](CLI::App& sub, Context& ctx) -> Action {
                auto o = std::make_shared<SeedOptions>();
                sub.add_option("--users", o->users, "user ids 1..U (default 1000)")
                    ->check(integer_range(1, kMaxUsers));
                sub.add_option("--seed", o->seed,
                               "random seed; use gen's seed so profiles agree (default 1)")
                    ->check(unsigned_integer());
                return [&ctx, o] { return run_seed(ctx, *o); };
            }};
}

} // namespace ebap::cli
