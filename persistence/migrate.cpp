#include "persistence/migrations.hpp"

#include "persistence/conninfo.hpp"

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

namespace parley {

namespace {

// Held to commit: another process migrating the same database waits here.
void lock_migrations(pqxx::work& tx) {
  tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(migration_lock_key)
          + ")");
}

} // namespace

void migrate(const std::string& db_url) {
  pqxx::connection conn{with_connection_defaults(db_url)};
  pqxx::work setup{conn};
  setup.exec("SET client_min_messages TO warning");
  // Locked first: CREATE TABLE IF NOT EXISTS is not safe against itself. Of
  // two servers on a new database, the second failed on pg_type's unique
  // index once the first committed the table.
  lock_migrations(setup);
  setup.exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
             " version INT PRIMARY KEY,"
             " name TEXT NOT NULL,"
             " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
  setup.commit();
  for (const auto& m : migrations()) {
    pqxx::work tx{conn};
    lock_migrations(tx); // a second server waits, then sees the row below
    auto done = tx.exec_params(
      "SELECT 1 FROM schema_migrations WHERE version = $1", m.version);
    if (!done.empty())
      continue;
    spdlog::info("applying migration {} ({})", m.version, m.name);
    tx.exec(m.sql);
    tx.exec_params("INSERT INTO schema_migrations (version, name) "
                   "VALUES ($1, $2)",
                   m.version, m.name);
    tx.commit();
  }
}

} // namespace parley
