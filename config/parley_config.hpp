#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/config_option_adder.hpp>

namespace parley {

/// Every `parley.*` key of SPEC §6, as CAF reads them from the INI file and
/// the command line. Sizes and durations are strings ("64KiB", "14d") because
/// CAF 0.17 knows neither unit; `settings()` turns them into numbers.
struct parley_config : caf::actor_system_config {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  size_t io_threads = 0; // 0: number of cores
  std::string db_url;
  size_t db_pool_size = 4;
  size_t db_writers = 2;
  std::string db_statement_timeout = "15s";
  std::string jwt_key;
  std::string token_lifetime = "14d";
  bool dev_login = false;
  std::string origin = "http://localhost:8080";
  std::string github_client_id; // empty: no GitHub login
  std::string github_client_secret;
  std::string github_authorize_url = "https://github.com/login/oauth/authorize";
  std::string github_token_url = "https://github.com/login/oauth/access_token";
  std::string github_user_url = "https://api.github.com/user";
  std::string sse_heartbeat = "15s";
  std::string sse_retry = "2s";
  std::string sse_queue_limit = "1MiB";
  size_t sse_streams_per_user = 64; // 0: no limit
  double sse_open_rate = 1;         // stream opens per second per user
  size_t sse_open_burst = 64;       // of those, allowed at once above it
  std::string max_body = "64KiB";
  double post_rate = 5;       // messages per second per user; 0: no limit
  size_t post_burst = 20;     // posts allowed at once above the rate
  double request_rate = 50;   // other API requests per second per user
  size_t request_burst = 100; // of those, allowed at once above the rate
  std::string web_root = "web/";
  std::string log_level = "info";

  parley_config();
};

/// The validated, typed form of `parley_config` that the rest of the server
/// uses (plain values, cheap to copy into actors and sessions).
struct settings {
  std::string host;
  uint16_t port = 0;
  size_t io_threads = 1;
  std::string db_url;
  size_t db_pool_size = 4;
  size_t db_writers = 2; ///< of the pool's workers, those that commit posts
  std::chrono::milliseconds db_statement_timeout{0}; ///< per statement
  std::string jwt_key;
  bool jwt_key_generated = false;
  std::chrono::seconds token_lifetime{0};
  bool dev_login = false;
  std::string origin;
  /// GitHub OAuth (SPEC §3); off while the client id is empty.
  std::string github_client_id;
  std::string github_client_secret;
  std::string github_authorize_url; ///< where the browser signs in
  std::string github_token_url;     ///< where the server trades the code
  std::string github_user_url;      ///< where it reads the GitHub user
  std::chrono::milliseconds sse_heartbeat{0};
  std::chrono::milliseconds sse_retry{0};
  size_t sse_queue_limit = 0;
  size_t sse_streams_per_user = 64; ///< open at once; 0: no limit
  double sse_open_rate = 1;   ///< stream opens per s per user; 0: no limit
  size_t sse_open_burst = 64; ///< opens at once before sse_open_rate applies
  size_t max_body = 0;
  size_t max_header = 8 * 1024;
  double post_rate = 5;       ///< messages per second per user; 0: no limit
  size_t post_burst = 20;     ///< posts at once before the rate applies
  double request_rate = 50;   ///< other API requests per s per user; 0: none
  size_t request_burst = 100; ///< at once before request_rate applies
  std::string web_root;
  std::string log_level;
};

/// Parses "64KiB", "1MiB", "512", "2kB" into bytes; nullopt if malformed.
std::optional<size_t> parse_size(const std::string& text);

/// Parses "14d", "3h", "15min", "2s", "250ms" into milliseconds.
std::optional<std::chrono::milliseconds>
parse_duration(const std::string& text);

/// CAF 0.17 takes a boolean option on the command line only as a bare flag
/// (`--parley.dev-login` sets it): `--parley.dev-login=false` is refused, so
/// the INI file's `true` could not be turned off. This removes every
/// `--parley.dev-login=true|false` from `args` and returns the last value,
/// for the caller to set after CAF's parse; other spellings stay, for CAF
/// to refuse.
std::optional<bool> take_dev_login_argument(std::vector<char*>& args);

/// Validates the raw config; on error, `error` names the bad key.
std::optional<settings> make_settings(const parley_config& cfg,
                                      std::string& error);

} // namespace parley
