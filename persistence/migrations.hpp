#pragma once

#include <string>
#include <vector>

namespace parley {

/// One schema change: `version` is the number its file name starts with.
struct migration {
  int version;
  const char* name;
  const char* sql;
};

/// Every migration, in version order (generated from migrations/*.sql).
const std::vector<migration>& migrations();

/// The advisory lock a migration run holds (pg_advisory_xact_lock): any
/// fixed number, the same in every Parley process.
constexpr long long migration_lock_key = 0x7061726c6579; // "parley"

/// Applies every migration the database at `db_url` lacks, each in its own
/// transaction, under an advisory lock so concurrent servers do not race.
/// Throws std::exception on failure (called from main, before serving).
void migrate(const std::string& db_url);

} // namespace parley
