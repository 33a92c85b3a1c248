// Migrations against a database of their own on the test cluster, as a new
// deployment's first servers see it.
#include <string>
#include <thread>

#include <catch2/catch.hpp>
#include <unistd.h>

#include "persistence/migrations.hpp"
#include "psql.hpp"
#include "server_process.hpp"

using namespace itest;

namespace {

// A new, empty database, dropped at the end.
struct scratch_database {
  std::string name = "parley_migrate_" + std::to_string(getpid());

  scratch_database() {
    psql_value("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    psql_value("CREATE DATABASE " + name);
  }
  ~scratch_database() {
    psql_value("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }

  std::string url() const {
    return "postgresql://" + require_env("PARLEY_TEST_PGUSER") + "@/" + name
           + "?host=" + require_env("PARLEY_TEST_PGHOST")
           + "&port=" + require_env("PARLEY_TEST_PGPORT");
  }
};

} // namespace

TEST_CASE("a server migrating a new database waits for another one that is "
          "creating the schema, and both succeed",
          "[integration][persistence][migrate]") {
  scratch_database db;
  REQUIRE(psql_value("select count(*) from pg_class where relname = "
                     "'schema_migrations'",
                     db.name)
          == "0");
  // The other server, in the middle of its first step: the migration lock,
  // then the bookkeeping table, not yet committed.
  auto holder = "parley_migrate_holder_" + std::to_string(getpid());
  psql_session other{holder, db.name};
  other.send("BEGIN; SELECT pg_advisory_xact_lock("
             + std::to_string(parley::migration_lock_key)
             + "); CREATE TABLE IF NOT EXISTS schema_migrations ("
               " version INT PRIMARY KEY, name TEXT NOT NULL,"
               " applied_at TIMESTAMPTZ NOT NULL DEFAULT now());");
  REQUIRE(wait_for_session(holder, "CREATE TABLE"));

  std::string failure;
  std::thread second{[&] {
    try {
      parley::migrate(db.url());
    } catch (const std::exception& e) {
      failure = e.what();
    }
  }};
  release_and_join guard{other, second};
  // It waits for the first one (before, it went on, created the table too
  // and failed on pg_type's unique index when the first one committed).
  CHECK(wait_for_blocked_by(holder));
  other.send("COMMIT;");
  second.join();
  CHECK(failure == "");
  CHECK(psql_value("select count(*) from schema_migrations", db.name)
        == std::to_string(parley::migrations().size()));
  // A third run finds everything applied.
  CHECK_NOTHROW(parley::migrate(db.url()));
}
