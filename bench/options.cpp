#include "options.hpp"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace parley::bench {

namespace {

bool to_number(const std::string& text, double& out) {
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && end && *end == '\0' && std::isfinite(out) && out >= 0;
}

template <class T>
bool to_uint(const std::string& text, T& out) {
  double d = 0;
  if (!to_number(text, d) || d != std::floor(d) || d > 4e9)
    return false;
  out = static_cast<T>(d);
  return true;
}

bool to_pids(const std::string& text, std::vector<int>& out) {
  std::stringstream in{text};
  std::string part;
  while (std::getline(in, part, ',')) {
    uint32_t pid = 0;
    if (!to_uint(part, pid) || pid == 0)
      return false;
    out.push_back(static_cast<int>(pid));
  }
  return true;
}

} // namespace

const char* usage() {
  return R"(usage: parley-bench SCENARIO [flags]
       parley-bench compare PARLEY.json NCHAN.json
       parley-bench median OUT.json RUN.json...   (the runs' median figures)
scenarios: idle | chat | fanout | reconnect   (docs/benchmarks.md)
  --target=parley|nchan   server kind (nchan: /pub/<user>, /sub/<user>, no auth)
  --host=127.0.0.1 --port=8080
  --users=U --tabs=T      U users, T streams each (streams = U x T)
  --streams=N             N streams spread over the users (idle)
  --rate=R                open-loop messages/s (chat, reconnect)
  --posters=P             keep-alive connections that post (64)
  --duration=S            measuring time per run or sweep step (seconds)
  --drain=S               wait for late deliveries after posting (5)
  --sweep                 chat: raise the rate until p99 > --p99-target
  --pace-advisory         chat: a server that does not keep the rate is a note,
                          not a failure (scripts/bench --smoke)
  --sweep-factor=1.5 --sweep-steps=8 --p99-target=50 (ms)
  --rounds=N              fanout: bursts of one message per user (5)
  --sources=K             spread connections over 127.0.0.1..K (4)
  --connect-concurrency=N connects in flight at once (500)
  --setup-concurrency=N   logins/conversation creates in flight (32)
  --server-pid=PID[,PID]  server processes (their children too) for RSS/CPU
  --db-pid=PID            PostgreSQL postmaster, for its CPU
  --json=FILE             write the results as JSON
  --prefix=NAME           username prefix (default from the clock)
  --label=TEXT            copied into the JSON
  --progress=S            progress line every S seconds on stderr (5)
  --request-timeout=S     per HTTP request (10)
  --deadline=S            hard time bound for the whole run (computed)
exit status: 0 ok, 1 errors, lost events, a server that did not keep up or a
failed setup, 2 usage, 3 the --deadline passed)";
}

const char* to_string(target_kind k) {
  return k == target_kind::parley ? "parley" : "nchan";
}

std::optional<options> parse_options(int argc, char** argv,
                                     std::string& error) {
  options o;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      error = "help";
      return std::nullopt;
    }
    if (arg.rfind("--", 0) != 0) {
      positional.push_back(arg);
      continue;
    }
    auto eq = arg.find('=');
    std::string key = arg.substr(2, eq == std::string::npos ? eq : eq - 2);
    std::string value;
    bool flag = key == "sweep" || key == "pace-advisory";
    if (eq != std::string::npos)
      value = arg.substr(eq + 1);
    else if (!flag && i + 1 < argc)
      value = argv[++i];
    else if (!flag) {
      error = "missing value for --" + key;
      return std::nullopt;
    }
    bool ok = true;
    if (key == "target") {
      ok = value == "parley" || value == "nchan";
      o.target = value == "nchan" ? target_kind::nchan : target_kind::parley;
    } else if (key == "host")
      o.host = value;
    else if (key == "port")
      ok = to_uint(value, o.port) && o.port > 0;
    else if (key == "users")
      ok = to_uint(value, o.users);
    else if (key == "streams")
      ok = to_uint(value, o.streams);
    else if (key == "tabs")
      ok = to_uint(value, o.tabs);
    else if (key == "posters")
      ok = to_uint(value, o.posters) && o.posters > 0;
    else if (key == "rate")
      ok = to_number(value, o.rate);
    else if (key == "duration")
      ok = to_number(value, o.duration);
    else if (key == "drain")
      ok = to_number(value, o.drain);
    else if (key == "sweep")
      o.sweep = value.empty() || value == "true" || value == "1";
    else if (key == "pace-advisory")
      o.pace_advisory = value.empty() || value == "true" || value == "1";
    else if (key == "sweep-factor")
      ok = to_number(value, o.sweep_factor) && o.sweep_factor > 1;
    else if (key == "sweep-steps")
      ok = to_uint(value, o.sweep_steps) && o.sweep_steps > 0;
    else if (key == "p99-target")
      ok = to_number(value, o.p99_target_ms);
    else if (key == "rounds")
      ok = to_uint(value, o.rounds) && o.rounds > 0;
    else if (key == "sources")
      ok = to_uint(value, o.sources) && o.sources > 0 && o.sources < 255;
    else if (key == "connect-concurrency")
      ok = to_uint(value, o.connect_concurrency) && o.connect_concurrency > 0;
    else if (key == "setup-concurrency")
      ok = to_uint(value, o.setup_concurrency) && o.setup_concurrency > 0;
    else if (key == "server-pid")
      ok = to_pids(value, o.server_pids);
    else if (key == "db-pid")
      ok = to_pids(value, o.db_pids);
    else if (key == "json")
      o.json_path = value;
    else if (key == "prefix")
      o.prefix = value;
    else if (key == "label")
      o.label = value;
    else if (key == "progress")
      ok = to_number(value, o.progress);
    else if (key == "request-timeout")
      ok = to_number(value, o.request_timeout) && o.request_timeout > 0;
    else if (key == "deadline")
      ok = to_number(value, o.deadline);
    else {
      error = "unknown flag --" + key;
      return std::nullopt;
    }
    if (!ok) {
      error = "bad value for --" + key + ": '" + value + "'";
      return std::nullopt;
    }
  }
  if (positional.empty()) {
    error = "no scenario given";
    return std::nullopt;
  }
  o.scenario = positional[0];
  if (o.scenario == "compare") {
    o.files.assign(positional.begin() + 1, positional.end());
    if (o.files.size() != 2) {
      error = "compare needs two JSON files";
      return std::nullopt;
    }
  } else if (o.scenario == "median") {
    o.files.assign(positional.begin() + 1, positional.end());
    if (o.files.size() < 2) {
      error = "median needs an output file and at least one run";
      return std::nullopt;
    }
  } else if (o.scenario != "idle" && o.scenario != "chat"
             && o.scenario != "fanout" && o.scenario != "reconnect") {
    error = "unknown scenario '" + o.scenario + "'";
    return std::nullopt;
  } else if (positional.size() > 1) {
    error = "unexpected argument '" + positional[1] + "'";
    return std::nullopt;
  }
  return o;
}

void apply_defaults(options& o) {
  auto def = [](auto& field, auto value) {
    if (field == 0)
      field = value;
  };
  const auto& s = o.scenario;
  def(o.duration, s == "fanout" ? 30.0 : 10.0);
  def(o.tabs, s == "fanout" ? 10u : 1u);
  if (s == "idle") {
    def(o.streams, 1000u);
    def(o.users, std::min<uint32_t>(o.streams, 1000u));
  }
  def(o.users, 1000u);
  // Parley's users post in pairs (2k, 2k+1), each pair one conversation.
  if (o.target == target_kind::parley && o.users % 2 == 1)
    ++o.users;
  def(o.streams, o.users * o.tabs);
  def(o.rate, s == "reconnect" ? 500.0 : 1000.0);
  if (o.prefix.empty()) {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(now).count();
    o.prefix = "b" + std::to_string(secs % 100000000);
  }
  if (o.deadline == 0) {
    // Setup (logins, connects) plus the phases, each with its drain, the
    // wait for posts in flight (request timeout) and the final grace.
    double setup = 60 + (o.users + o.streams) / 200.0;
    double settle = 2 * o.drain + o.request_timeout + 4;
    double phases = o.sweep ? (o.duration + settle) * o.sweep_steps
                            : 2 * o.duration + settle;
    o.deadline = setup + phases + 30;
  }
}

} // namespace parley::bench
