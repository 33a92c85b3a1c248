#include "psql.hpp"

#include <chrono>
#include <stdexcept>
#include <thread>

#include "server_process.hpp"

namespace itest {

namespace {

std::string psql_command(const std::string& options,
                         const std::string& database) {
  return "psql -X -q -tA -h '" + require_env("PARLEY_TEST_PGHOST") + "' -p "
         + require_env("PARLEY_TEST_PGPORT") + " -U "
         + require_env("PARLEY_TEST_PGUSER") + " -d "
         + (database.empty() ? require_env("PARLEY_TEST_PGDATABASE") : database)
         + " " + options;
}

} // namespace

std::string psql_value(const std::string& sql, const std::string& database) {
  auto command = psql_command("-c \"" + sql + "\" 2>&1", database);
  std::unique_ptr<FILE, int (*)(FILE*)> out{popen(command.c_str(), "r"),
                                            pclose};
  if (!out)
    throw std::runtime_error("cannot run psql");
  char line[256] = {};
  if (!fgets(line, sizeof line, out.get()))
    return "";
  std::string text = line;
  if (!text.empty() && text.back() == '\n')
    text.pop_back();
  return text;
}

psql_session::psql_session(const std::string& name, const std::string& database)
    : in_(nullptr, pclose) {
  auto command = "PGAPPNAME='" + name + "' "
                 + psql_command("-v ON_ERROR_STOP=1 >/dev/null 2>&1", database);
  in_.reset(popen(command.c_str(), "w"));
  if (!in_)
    throw std::runtime_error("cannot run psql");
}

void psql_session::send(const std::string& sql) {
  std::fputs((sql + "\n").c_str(), in_.get());
  std::fflush(in_.get());
}

bool wait_for_psql(const std::string& sql, const std::string& expected,
                   int timeout_ms) {
  auto deadline
    = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (psql_value(sql) != expected) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

bool wait_for_session(const std::string& name,
                      const std::string& statement_part) {
  return wait_for_psql("select count(*) from pg_stat_activity where "
                       "application_name = '"
                         + name
                         + "' and state = 'idle in transaction' and query "
                           "like '%"
                         + statement_part + "%'",
                       "1");
}

bool wait_for_blocked_by(const std::string& name) {
  return wait_for_psql(
    "select count(*) from pg_stat_activity w, pg_stat_activity h where "
    "h.application_name = '"
      + name + "' and h.pid = any(pg_blocking_pids(w.pid))",
    "1");
}

release_and_join::~release_and_join() {
  lock.send("ROLLBACK;");
  if (worker.joinable())
    worker.join();
}

} // namespace itest
