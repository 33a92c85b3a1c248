// parley-bench: the load generator of docs/benchmarks.md. One thread, one
// io_context, everything asynchronous; phases run one after the other.
#include <cstdio>
#include <ctime>
#include <fstream>

#include "options.hpp"
#include "proc_stats.hpp"
#include "report.hpp"
#include "runner.hpp"
#include "scenarios.hpp"

using namespace parley::bench;

namespace {

std::string utc_now() {
  char buf[32];
  std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// Raises the soft open-files limit to the hard one and caps the streams
// so that every socket fits under it.
ojson fit_fd_limit(options& o) {
  auto fd = raise_fd_limit();
  ojson limits;
  limits["nofile_soft_at_start"] = fd.soft_before;
  limits["nofile_soft"] = fd.soft;
  limits["nofile_hard"] = fd.hard;
  uint64_t reserve = 64 + o.posters + o.setup_concurrency;
  uint64_t budget = fd.soft > reserve ? fd.soft - reserve : 0;
  std::fprintf(stderr,
               "parley-bench: open files: soft %llu -> %llu (hard %llu); "
               "room for %llu streams\n",
               static_cast<unsigned long long>(fd.soft_before),
               static_cast<unsigned long long>(fd.soft),
               static_cast<unsigned long long>(fd.hard),
               static_cast<unsigned long long>(budget));
  if (o.streams > budget) {
    auto note = "streams capped from " + std::to_string(o.streams) + " to "
                + std::to_string(budget) + " by RLIMIT_NOFILE";
    std::fprintf(stderr, "parley-bench: %s\n", note.c_str());
    limits["capped"] = note;
    o.streams = static_cast<uint32_t>(budget);
  }
  return limits;
}

// The machine's load: other work on a 2-core box skews every figure.
std::string loadavg() {
  std::ifstream in{"/proc/loadavg"};
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

ojson echo_options(const options& o) {
  return {{"users", o.users},
          {"streams", o.streams},
          {"tabs", o.tabs},
          {"posters", o.posters},
          {"rate", o.rate},
          {"duration", o.duration},
          {"drain", o.drain},
          {"sweep", o.sweep},
          {"pace_advisory", o.pace_advisory},
          {"rounds", o.rounds},
          {"sources", o.sources},
          {"port", o.port},
          {"connect_concurrency", o.connect_concurrency},
          {"deadline", o.deadline}};
}

} // namespace

int main(int argc, char** argv) {
  std::string error;
  auto parsed = parse_options(argc, argv, error);
  if (!parsed) {
    if (error == "help") {
      std::puts(usage());
      return 0;
    }
    std::fprintf(stderr, "parley-bench: %s\n%s\n", error.c_str(), usage());
    return 2;
  }
  auto o = *parsed;
  if (o.scenario == "compare")
    return compare_results(o.files[0], o.files[1]);
  if (o.scenario == "median")
    return median_results(o.files[0], {o.files.begin() + 1, o.files.end()});
  apply_defaults(o);
  auto limits = fit_fd_limit(o);
  auto load_before = loadavg();
  outcome out;
  int rc = 0;
  try {
    runner r{o};
    if (o.scenario == "idle")
      run_idle(r, out);
    else if (o.scenario == "chat")
      run_chat(r, out);
    else if (o.scenario == "fanout")
      run_fanout(r, out);
    else
      run_reconnect(r, out);
  } catch (const std::exception& e) {
    out.failures.push_back(std::string{"aborted: "} + e.what());
    rc = 3;
  }
  ojson result;
  result["scenario"] = o.scenario;
  result["target"] = to_string(o.target);
  result["date"] = utc_now();
  result["label"] = o.label;
  result["options"] = echo_options(o);
  result["limits"] = limits;
  result["loadavg_before"] = load_before;
  result["loadavg_after"] = loadavg();
  result["figures"] = out.figures;
  result["steps"] = out.steps;
  result["checks"] = out.checks;
  result["failures"] = out.failures;
  result["notes"] = out.notes;
  result["ok"] = out.failures.empty();
  if (!o.json_path.empty()) {
    std::ofstream file{o.json_path};
    file << result.dump(2) << "\n";
    if (!file)
      std::fprintf(stderr, "parley-bench: cannot write %s\n",
                   o.json_path.c_str());
  }
  print_result(result);
  if (rc == 0 && !out.failures.empty())
    rc = 1;
  return rc;
}
