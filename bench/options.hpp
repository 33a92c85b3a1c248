#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::bench {

/// Which server the generator talks to.
enum class target_kind { parley, nchan };

/// Everything the command line says (docs/benchmarks.md lists each flag).
struct options {
  std::string scenario; // idle, chat, fanout, reconnect, compare
  target_kind target = target_kind::parley;
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  uint32_t users = 0;   // 0: the scenario's default
  uint32_t streams = 0; // 0: users × tabs
  uint32_t tabs = 0;    // 0: the scenario's default
  uint32_t posters = 64;
  double rate = 0; // messages/s; 0: the scenario's default
  double duration = 0;
  double drain = 5;
  bool sweep = false;
  // A chat run that does not keep its rate is noted, not failed: for the
  // smoke, which checks that the tool and both servers work, on a host that
  // may be busy (speed belongs to the full runs).
  bool pace_advisory = false;
  double sweep_factor = 1.5;
  uint32_t sweep_steps = 8;
  double p99_target_ms = 50;
  uint32_t rounds = 5;
  uint32_t sources = 4;
  uint32_t connect_concurrency = 500;
  uint32_t setup_concurrency = 32;
  std::vector<int> server_pids;
  std::vector<int> db_pids;
  std::string json_path;
  std::string prefix; // username prefix; empty: derived from the clock
  std::string label;  // free text copied into the JSON (e.g. the command)
  double progress = 5;
  double request_timeout = 10;
  double deadline = 0;            // hard stop for the whole run; 0: computed
  std::vector<std::string> files; // compare: parley.json nchan.json;
                                  // median: out.json run.json...
};

/// Parses argv; on error returns nullopt and fills `error` ("help" when
/// help was asked for).
std::optional<options> parse_options(int argc, char** argv, std::string& error);

/// The usage text.
const char* usage();

/// Fills scenario defaults and the computed deadline.
void apply_defaults(options& o);

/// "parley" or "nchan".
const char* to_string(target_kind k);

} // namespace parley::bench
