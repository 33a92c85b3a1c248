// The composition root: reads the configuration, prepares the database,
// wires actors and the HTTP server together, and nothing else.
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/broker.hpp"
#include "config/parley_config.hpp"
#include "net/json_mapping.hpp"
#include "net/server.hpp"
#include "persistence/db_worker.hpp"
#include "persistence/migrations.hpp"

namespace {

// Waits for the database a little at start (it may still be booting).
bool migrate_with_retry(const std::string& url) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  for (;;) {
    try {
      parley::migrate(url);
      return true;
    } catch (const std::exception& e) {
      if (std::chrono::steady_clock::now() >= deadline) {
        spdlog::error("database not ready: {}", e.what());
        return false;
      }
      spdlog::warn("database not ready, retrying: {}", e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
}

int run(caf::actor_system& sys, const parley::settings& cfg) {
  if (cfg.jwt_key_generated)
    spdlog::warn("parley.jwt-key is empty: using a random key, tokens end "
                 "with this process");
  if (cfg.dev_login && !cfg.github_client_id.empty())
    spdlog::warn("parley.dev-login is on beside GitHub login: anyone may log "
                 "in as any user who has not signed in with GitHub "
                 "(--parley.dev-login=false turns it off)");
  if (!migrate_with_retry(cfg.db_url))
    return 1;
  auto counters = std::make_shared<parley::metrics>();
  auto broker = sys.spawn(
    parley::broker, parley::event_formatter{parley::format_event}, counters,
    parley::stream_limits{
      cfg.sse_streams_per_user,
      parley::rate_limit{cfg.sse_open_rate, cfg.sse_open_burst}});
  auto db
    = parley::spawn_db_pool(sys, cfg.db_url, cfg.db_pool_size, cfg.db_writers,
                            broker, counters, cfg.db_statement_timeout);
  parley::server http{sys, cfg, db, broker, counters};
  // run() stops the actors too, in the order shutdown needs (server.cpp).
  bool ok = http.run();
  if (!ok) {
    caf::anon_send_exit(db, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(broker, caf::exit_reason::user_shutdown);
  }
  return ok ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  // CAF's --help shows only its global options; --long-help shows ours too.
  std::vector<char*> args{argv, argv + argc};
  static char long_help[] = "--long-help";
  for (auto& arg : args)
    if (std::strcmp(arg, "--help") == 0 || std::strcmp(arg, "-h") == 0)
      arg = long_help;
  auto dev_login = parley::take_dev_login_argument(args);
  parley::parley_config cfg;
  if (auto err = cfg.parse(static_cast<int>(args.size()), args.data())) {
    std::fprintf(stderr, "parley: bad configuration: %s\n",
                 caf::actor_system_config::render(err).c_str());
    return 2;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  if (dev_login)
    cfg.dev_login = *dev_login;
  std::string error;
  auto settings = parley::make_settings(cfg, error);
  if (!settings) {
    std::fprintf(stderr, "parley: %s\n", error.c_str());
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(settings->log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  caf::actor_system sys{cfg};
  return run(sys, *settings);
}
