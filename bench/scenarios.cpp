#include "scenarios.hpp"

#include <cmath>

namespace parley::bench {

double round_to(double v, int digits) {
  double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

double cpu_percent(const proc_sample& a, const proc_sample& b, double seconds) {
  if (seconds <= 0 || a.processes == 0 || b.processes == 0)
    return 0;
  auto ticks = static_cast<double>(b.cpu_ticks - a.cpu_ticks);
  return round_to(100.0 * ticks / static_cast<double>(clock_ticks()) / seconds,
                  1);
}

server_sample sample_servers(runner& r) {
  server_sample s;
  s.server = sample_processes(r.opt.server_pids);
  s.db = sample_processes(r.opt.db_pids);
  s.self_cpu = self_cpu_seconds();
  s.at = r.elapsed();
  return s;
}

void add_cpu_figures(runner& r, const server_sample& a, const server_sample& b,
                     ojson& into) {
  double secs = b.at - a.at;
  if (!r.opt.server_pids.empty())
    into["server_cpu_percent"] = cpu_percent(a.server, b.server, secs);
  if (!r.opt.db_pids.empty())
    into["db_cpu_percent"] = cpu_percent(a.db, b.db, secs);
  into["bench_cpu_percent"]
    = secs > 0 ? round_to(100.0 * (b.self_cpu - a.self_cpu) / secs, 1) : 0.0;
}

bool prepare_streams(runner& r, outcome& out) {
  const auto& o = r.opt;
  std::string error;
  auto t0 = r.elapsed();
  r.set_progress(
    [&r] { return "setup: " + std::to_string(r.users.size()) + " users"; });
  if (!r.setup_users(o.users, error)) {
    out.failures.push_back("setup: " + error);
    return false;
  }
  out.figures["setup_seconds"] = round_to(r.elapsed() - t0, 2);
  r.create_streams(o.streams);
  auto n = static_cast<uint32_t>(r.streams.size());
  r.set_progress([&r, n] {
    return "connecting: " + std::to_string(r.live) + "/" + std::to_string(n)
           + " live, " + std::to_string(r.faults.stream_drops) + " drops";
  });
  auto t1 = r.elapsed();
  for (uint32_t i = 0; i < n; ++i)
    r.connect(i);
  bool all = r.run_until([&r, n] { return r.live >= n; }, 60 + n / 200.0);
  auto secs = r.elapsed() - t1;
  out.figures["streams"] = n;
  out.figures["connect_seconds"] = round_to(secs, 3);
  out.figures["connects_per_s"] = round_to(n / std::max(secs, 1e-6), 0);
  if (!all) {
    out.failures.push_back("only " + std::to_string(r.live) + " of "
                           + std::to_string(n) + " streams went live; "
                           + r.faults.first_stream_error);
    return false;
  }
  // Let the server finish subscribing before anything is posted.
  r.run_until([] { return false; }, 0.5);
  return true;
}

void add_delivery_checks(runner& r, outcome& out, uint64_t http_errors) {
  // A last grace period: a delivery still on its way is late, not lost.
  auto t0 = r.elapsed();
  r.run_until([&r] { return r.book.delivered() >= r.book.expected(); },
              r.opt.drain);
  out.figures["final_wait_seconds"] = round_to(r.elapsed() - t0, 2);
  const auto& f = r.faults;
  auto lost = r.book.lost();
  auto& c = out.checks;
  c["http_errors"] = http_errors;
  c["deliveries_expected"] = r.book.expected();
  c["deliveries_seen"] = r.book.delivered();
  c["lost"] = lost;
  c["duplicates"] = r.book.duplicates();
  c["out_of_order"] = f.out_of_order;
  c["stream_drops"] = f.stream_drops;
  c["bad_stream_status"] = f.bad_status;
  c["resets"] = f.resets;
  c["misrouted"] = f.misrouted;
  c["unparsable"] = f.unparsable;
  auto fail_if = [&out](bool bad, std::string what) {
    if (bad)
      out.failures.push_back(std::move(what));
  };
  fail_if(http_errors > 0, std::to_string(http_errors) + " HTTP errors");
  fail_if(lost > 0, std::to_string(lost) + " deliveries lost");
  fail_if(r.book.duplicates() > 0,
          std::to_string(r.book.duplicates()) + " duplicate deliveries");
  fail_if(f.out_of_order > 0,
          std::to_string(f.out_of_order) + " events out of order");
  fail_if(f.stream_drops > 0, std::to_string(f.stream_drops)
                                + " streams ended on their own (first: "
                                + f.first_stream_error + ")");
  fail_if(f.bad_status > 0,
          std::to_string(f.bad_status) + " stream answers not 200");
  fail_if(f.resets > 0, std::to_string(f.resets) + " event: reset");
  fail_if(f.misrouted + f.unparsable > 0,
          std::to_string(f.misrouted + f.unparsable)
            + " events misrouted or unparsable");
}

} // namespace parley::bench
