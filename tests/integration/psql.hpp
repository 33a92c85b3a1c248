#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <thread>

namespace itest {

/// The first line psql prints for `sql` against the test database
/// (PARLEY_TEST_PG* from scripts/test), or against `database` on the same
/// cluster, without its newline; errors too.
std::string psql_value(const std::string& sql,
                       const std::string& database = "");

/// A psql process fed statements on its stdin as the test goes, for a test
/// that holds a transaction (and its row locks) open while the server
/// works. Its connection's application_name is `name`; it connects to the
/// test database, or to `database` on the same cluster. Ending it (the
/// destructor) closes psql's stdin: psql quits and an open transaction is
/// rolled back, so a failing test releases its locks.
class psql_session {
public:
  explicit psql_session(const std::string& name,
                        const std::string& database = "");

  /// Sends one line (statements end with ';'); psql runs it on arrival.
  void send(const std::string& sql);

private:
  std::unique_ptr<FILE, int (*)(FILE*)> in_;
};

/// Waits (at most 10 s) until session `name` sits in its transaction after
/// a statement containing `statement_part` (e.g. "FOR UPDATE"): only then
/// does it hold that statement's locks. (Right after its BEGIN it is idle in
/// the transaction too, before the lock.)
bool wait_for_session(const std::string& name,
                      const std::string& statement_part);

/// Waits (at most 10 s) until some session waits for a lock that session
/// `name` holds.
bool wait_for_blocked_by(const std::string& name);

/// At scope exit: rolls back `lock`'s transaction (nothing, after its
/// COMMIT), then joins `worker`, so that a failing test leaves neither a
/// lock nor a thread waiting for one.
struct release_and_join {
  psql_session& lock;
  std::thread& worker;
  ~release_and_join();
};

/// Polls `psql_value(sql)` until it prints `expected`, for at most
/// `timeout_ms`; whether it did.
bool wait_for_psql(const std::string& sql, const std::string& expected,
                   int timeout_ms = 10000);

} // namespace itest
