#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proc_stats.hpp"
#include "runner.hpp"

namespace parley::bench {

using ojson = nlohmann::ordered_json;

/// What a scenario reports: headline figures (compared across targets),
/// checks (counts that must be zero or complete) and failed checks.
struct outcome {
  ojson figures = ojson::object();
  ojson checks = ojson::object();
  ojson steps = ojson::array(); // sweep steps or fanout rounds
  std::vector<std::string> failures;
  std::vector<std::string> notes; // shortfalls that do not fail the run
};

/// The scenarios (docs/benchmarks.md says what each measures).
void run_idle(runner& r, outcome& out);
void run_chat(runner& r, outcome& out);
void run_fanout(runner& r, outcome& out);
void run_reconnect(runner& r, outcome& out);

// Shared steps (scenarios.cpp).

/// Logs in users, opens every stream and waits until all are live; false
/// (with a failure recorded) if that does not happen in time.
bool prepare_streams(runner& r, outcome& out);

/// Adds the delivery and stream checks every scenario shares, after a
/// final drain.
void add_delivery_checks(runner& r, outcome& out, uint64_t http_errors);

/// CPU use of `pids` (and children) between two samples, in % of one core.
double cpu_percent(const proc_sample& a, const proc_sample& b, double seconds);

/// Rounds to `digits` decimals (keeps the JSON readable).
double round_to(double v, int digits);

/// The server's and database's processes, sampled together.
struct server_sample {
  proc_sample server, db;
  double self_cpu = 0;
  double at = 0; // runner.elapsed()
};
server_sample sample_servers(runner& r);

/// server_cpu_percent, db_cpu_percent and bench_cpu_percent over [a, b].
void add_cpu_figures(runner& r, const server_sample& a, const server_sample& b,
                     ojson& into);

} // namespace parley::bench
