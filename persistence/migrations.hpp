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

/// Applies every migration the database at `db_url` lacks, each in its own
/// transaction, under an advisory lock so concurrent servers do not race.
/// Throws std::exception on failure (called from main, before serving).
void migrate(const std::string& db_url);

} // namespace parley
