#include "parley_config.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <thread>
#include <utility>

#include <openssl/rand.h>

#include "config/url.hpp"

namespace parley {

parley_config::parley_config() {
  // CAF's default work-stealing workers poll (and sleep 50 us between polls)
  // while idle: on two cores that cost more CPU than the messages. Work
  // sharing waits on a condition variable instead. Still overridable with
  // --scheduler.policy=stealing.
  set("scheduler.policy", caf::atom("sharing"));
  // CAF starts at least four workers; more workers than cores only contend
  // for the shared queue's lock (--scheduler.max-threads overrides).
  set("scheduler.max-threads",
      std::max<size_t>(2, std::thread::hardware_concurrency()));
  opt_group{custom_options_, "parley"}
    .add(host, "host", "listen address")
    .add(port, "port", "listen port (0: pick a free one and log it)")
    .add(io_threads, "io-threads", "Asio threads (0: number of cores)")
    .add(db_url, "db-url",
         "PostgreSQL URL (empty: libpq defaults, PGHOST etc.)")
    .add(db_pool_size, "db-pool-size", "database actors, one connection each")
    .add(db_writers, "db-writers",
         "of those, how many commit message posts (the rest serve reads)")
    .add(db_statement_timeout, "db-statement-timeout",
         "longest a database statement may run (a lock wait included)")
    .add(jwt_key, "jwt-key", "HS256 key (empty: random key per start)")
    .add(token_lifetime, "token-lifetime", "token lifetime, e.g. 14d")
    .add(dev_login, "dev-login", "enable POST /api/login")
    .add(origin, "origin", "public origin, for OAuth redirects and CORS")
    .add(github_client_id, "github-client-id",
         "GitHub OAuth app's client id (empty: no GitHub login)")
    .add(github_client_secret, "github-client-secret",
         "GitHub OAuth app's client secret")
    .add(github_authorize_url, "github-authorize-url",
         "GitHub's sign-in page, where the browser is sent")
    .add(github_token_url, "github-token-url",
         "GitHub's endpoint that trades the sign-in code for a token")
    .add(github_user_url, "github-user-url",
         "GitHub's API endpoint of the signed-in user")
    .add(sse_heartbeat, "sse-heartbeat", "silence before a heartbeat comment")
    .add(sse_retry, "sse-retry", "retry: sent to event-stream clients")
    .add(sse_queue_limit, "sse-queue-limit",
         "per-stream queued bytes before the stream is cut")
    .add(sse_streams_per_user, "sse-streams-per-user",
         "event streams one user may have open at once (0: no limit)")
    .add(sse_open_rate, "sse-open-rate",
         "event streams one user may open per second, sustained (0: no limit)")
    .add(sse_open_burst, "sse-open-burst",
         "event streams one user may open at once above sse-open-rate")
    .add(max_body, "max-body", "largest accepted request body")
    .add(post_rate, "post-rate",
         "message posts per second per user, sustained (0: no limit)")
    .add(post_burst, "post-burst",
         "message posts per user allowed at once above post-rate")
    .add(request_rate, "request-rate",
         "other API requests per second per user, sustained (0: no limit)")
    .add(request_burst, "request-burst",
         "other API requests per user allowed at once above request-rate")
    .add(web_root, "web-root", "folder of the static web client")
    .add(log_level, "log-level", "trace, debug, info, warn, error or off");
}

namespace {

// Splits "64KiB" into 64 and "KiB"; false if there is no leading number.
bool split_number(const std::string& text, uint64_t& number,
                  std::string& unit) {
  size_t i = 0;
  number = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (number > (UINT64_MAX - 9) / 10)
      return false;
    number = number * 10 + static_cast<uint64_t>(text[i] - '0');
    ++i;
  }
  if (i == 0)
    return false;
  unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ')
    unit.erase(0, 1);
  return true;
}

// 0 (no limit) or a rate whose wait for one token (1 / rate seconds) fits
// a timespan comfortably; NaN is not valid.
bool valid_rate(double per_second) {
  return per_second == 0 || (per_second >= 0.001 && per_second <= 1e6);
}

// The three provider URLs must be absolute http(s) URLs (the tests' stand-in
// provider is plain http on loopback), and the origin too: the callback
// URL is made from it.
bool github_urls_valid(const settings& s, std::string& error) {
  const std::pair<const char*, const std::string*> urls[] = {
    {"origin", &s.origin},
    {"github-authorize-url", &s.github_authorize_url},
    {"github-token-url", &s.github_token_url},
    {"github-user-url", &s.github_user_url},
  };
  for (const auto& [key, url] : urls) {
    if (!parse_url(*url)) {
      error = std::string{"parley."} + key + ": expected an http:// or "
              + "https:// URL";
      return false;
    }
  }
  // Paths are appended to the origin: it is scheme, host and port only.
  if (parse_url(s.origin)->target != "/") {
    error = "parley.origin: expected scheme://host[:port], without a path";
    return false;
  }
  return true;
}

std::string random_key() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1)
    return {};
  std::string key;
  static constexpr char hex[] = "0123456789abcdef";
  for (unsigned char b : bytes) {
    key += hex[b >> 4];
    key += hex[b & 0x0f];
  }
  return key;
}

} // namespace

std::optional<size_t> parse_size(const std::string& text) {
  uint64_t n = 0;
  std::string unit;
  if (!split_number(text, n, unit))
    return std::nullopt;
  uint64_t factor = 0;
  if (unit.empty() || unit == "B")
    factor = 1;
  else if (unit == "KiB" || unit == "kB" || unit == "K" || unit == "k")
    factor = 1024;
  else if (unit == "MiB" || unit == "MB" || unit == "M")
    factor = 1024 * 1024;
  else if (unit == "GiB" || unit == "GB" || unit == "G")
    factor = 1024ull * 1024 * 1024;
  else
    return std::nullopt;
  if (n > UINT64_MAX / factor)
    return std::nullopt;
  return static_cast<size_t>(n * factor);
}

std::optional<std::chrono::milliseconds>
parse_duration(const std::string& text) {
  uint64_t n = 0;
  std::string unit;
  if (!split_number(text, n, unit))
    return std::nullopt;
  uint64_t factor = 0;
  if (unit == "ms")
    factor = 1;
  else if (unit == "s" || unit.empty())
    factor = 1000;
  else if (unit == "min" || unit == "m")
    factor = 60 * 1000;
  else if (unit == "h")
    factor = 3600 * 1000;
  else if (unit == "d")
    factor = 24 * 3600 * 1000;
  else
    return std::nullopt;
  if (n > UINT64_MAX / factor / 2)
    return std::nullopt;
  return std::chrono::milliseconds{static_cast<int64_t>(n * factor)};
}

std::optional<bool> take_dev_login_argument(std::vector<char*>& args) {
  std::optional<bool> value;
  auto kept = args.begin();
  for (auto* arg : args) {
    std::string_view text{arg};
    if (text == "--parley.dev-login=true")
      value = true;
    else if (text == "--parley.dev-login=false")
      value = false;
    else
      *kept++ = arg;
  }
  args.erase(kept, args.end());
  return value;
}

std::optional<settings> make_settings(const parley_config& cfg,
                                      std::string& error) {
  settings s;
  s.host = cfg.host;
  s.port = cfg.port;
  s.io_threads = cfg.io_threads != 0
                   ? cfg.io_threads
                   : std::max(1u, std::thread::hardware_concurrency());
  s.db_url = cfg.db_url;
  s.db_pool_size = cfg.db_pool_size == 0 ? 1 : cfg.db_pool_size;
  s.db_writers = std::clamp<size_t>(cfg.db_writers, 1, s.db_pool_size);
  s.jwt_key = cfg.jwt_key;
  if (s.jwt_key.empty()) {
    s.jwt_key = random_key();
    s.jwt_key_generated = true;
  }
  s.dev_login = cfg.dev_login;
  s.origin = cfg.origin;
  s.github_client_id = cfg.github_client_id;
  s.github_client_secret = cfg.github_client_secret;
  s.github_authorize_url = cfg.github_authorize_url;
  s.github_token_url = cfg.github_token_url;
  s.github_user_url = cfg.github_user_url;
  s.web_root = cfg.web_root;
  s.log_level = cfg.log_level;
  auto lifetime = parse_duration(cfg.token_lifetime);
  auto heartbeat = parse_duration(cfg.sse_heartbeat);
  auto retry = parse_duration(cfg.sse_retry);
  auto queue = parse_size(cfg.sse_queue_limit);
  auto body = parse_size(cfg.max_body);
  auto statement = parse_duration(cfg.db_statement_timeout);
  if (!lifetime || lifetime->count() < 1000)
    error = "parley.token-lifetime: expected a duration of at least 1s";
  else if (!heartbeat || heartbeat->count() == 0)
    error = "parley.sse-heartbeat: expected a positive duration";
  else if (!retry)
    error = "parley.sse-retry: expected a duration";
  else if (!queue || *queue == 0)
    error = "parley.sse-queue-limit: expected a positive size";
  else if (!body)
    error = "parley.max-body: expected a size";
  else if (!statement || statement->count() < 100)
    error
      = "parley.db-statement-timeout: expected a duration of at least 100ms";
  else if (!valid_rate(cfg.sse_open_rate))
    error = "parley.sse-open-rate: expected 0 (no limit) or 0.001 to 1000000";
  else if (cfg.sse_open_rate > 0 && cfg.sse_open_burst == 0)
    error = "parley.sse-open-burst: expected at least 1";
  else if (!valid_rate(cfg.post_rate))
    error = "parley.post-rate: expected 0 (no limit) or 0.001 to 1000000";
  else if (cfg.post_rate > 0 && cfg.post_burst == 0)
    error = "parley.post-burst: expected at least 1";
  else if (!valid_rate(cfg.request_rate))
    error = "parley.request-rate: expected 0 (no limit) or 0.001 to 1000000";
  else if (cfg.request_rate > 0 && cfg.request_burst == 0)
    error = "parley.request-burst: expected at least 1";
  else if (!s.github_client_id.empty() && s.github_client_secret.empty())
    error = "parley.github-client-secret: required with github-client-id";
  else if (s.jwt_key.empty())
    error = "parley.jwt-key: could not generate a random key";
  if (error.empty() && !s.github_client_id.empty())
    github_urls_valid(s, error);
  if (!error.empty())
    return std::nullopt;
  s.token_lifetime
    = std::chrono::duration_cast<std::chrono::seconds>(*lifetime);
  s.sse_heartbeat = *heartbeat;
  s.sse_retry = *retry;
  s.sse_queue_limit = *queue;
  s.max_body = *body;
  s.db_statement_timeout = *statement;
  s.sse_streams_per_user = cfg.sse_streams_per_user;
  s.sse_open_rate = cfg.sse_open_rate;
  s.sse_open_burst = cfg.sse_open_burst;
  s.post_rate = cfg.post_rate;
  s.post_burst = cfg.post_burst;
  s.request_rate = cfg.request_rate;
  s.request_burst = cfg.request_burst;
  return s;
}

} // namespace parley
