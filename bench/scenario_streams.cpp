// idle and reconnect: scenarios about holding and re-opening streams.
#include <unistd.h>

#include "posters.hpp"
#include "scenarios.hpp"

namespace parley::bench {

namespace {

double kib_per(int64_t kib_delta, uint32_t n) {
  return n == 0 ? 0 : round_to(static_cast<double>(kib_delta) / n, 2);
}

} // namespace

void run_idle(runner& r, outcome& out) {
  // Baselines after the logins, so only streams are in the delta.
  std::string error;
  if (!r.setup_users(r.opt.users, error)) {
    out.failures.push_back("setup: " + error);
    return;
  }
  auto server0 = sample_processes(r.opt.server_pids);
  auto self0 = sample_processes({static_cast<int>(getpid())});
  auto sock0 = read_sockstat();
  auto slab0 = read_slab_kib();
  // prepare_streams would log in again: connect here instead.
  r.create_streams(r.opt.streams);
  auto n = static_cast<uint32_t>(r.streams.size());
  r.set_progress([&r, n] {
    return "connecting: " + std::to_string(r.live) + "/" + std::to_string(n)
           + " live";
  });
  auto t0 = r.elapsed();
  for (uint32_t i = 0; i < n; ++i)
    r.connect(i);
  bool all = r.run_until([&r, n] { return r.live >= n; }, 60 + n / 200.0);
  auto secs = r.elapsed() - t0;
  out.figures["streams"] = n;
  out.figures["connect_seconds"] = round_to(secs, 3);
  out.figures["connects_per_s"] = round_to(n / std::max(secs, 1e-6), 0);
  if (!all) {
    out.failures.push_back("only " + std::to_string(r.live) + " of "
                           + std::to_string(n) + " streams went live; "
                           + r.faults.first_stream_error);
    return;
  }
  r.run_until([] { return false; }, 1.0); // let allocations settle
  auto server1 = sample_processes(r.opt.server_pids);
  auto self1 = sample_processes({static_cast<int>(getpid())});
  auto sock1 = read_sockstat();
  auto slab1 = read_slab_kib();
  auto pages_kib = page_size() / 1024;
  if (!r.opt.server_pids.empty()) {
    out.figures["server_rss_mib"] = round_to(server1.rss_kib / 1024.0, 1);
    out.figures["server_rss_per_stream_kib"]
      = kib_per(server1.rss_kib - server0.rss_kib, n);
    out.figures["server_pss_per_stream_kib"]
      = kib_per(server1.pss_kib - server0.pss_kib, n);
  }
  // Machine-wide, both ends of each connection: a rough figure.
  out.figures["kernel_slab_per_stream_kib"] = kib_per(slab1 - slab0, n);
  out.figures["kernel_tcp_buffers_per_stream_kib"]
    = kib_per((sock1.mem_pages - sock0.mem_pages) * pages_kib, n);
  out.figures["bench_rss_per_stream_kib"]
    = kib_per(self1.rss_kib - self0.rss_kib, n);

  // Hold: every stream should see a heartbeat comment in this window.
  auto hold_start = now_ns();
  auto cpu0 = sample_servers(r);
  r.set_progress([&r, n] {
    return "holding: " + std::to_string(r.live) + "/" + std::to_string(n)
           + " live";
  });
  r.run_until([] { return false; }, r.opt.duration);
  auto cpu1 = sample_servers(r);
  uint32_t heard = 0;
  for (const auto& s : r.streams)
    heard += s->last_comment_ns > hold_start ? 1 : 0;
  out.figures["streams_with_heartbeat"] = heard;
  add_cpu_figures(r, cpu0, cpu1, out.figures);
  out.checks["live_at_end"] = r.live;
  out.checks["stream_drops"] = r.faults.stream_drops;
  out.checks["bad_stream_status"] = r.faults.bad_status;
  if (heard < n)
    out.failures.push_back(std::to_string(n - heard)
                           + " streams heard no heartbeat while held");
  if (r.live < n || r.faults.stream_drops > 0)
    out.failures.push_back(std::to_string(r.faults.stream_drops)
                           + " streams dropped while held (first: "
                           + r.faults.first_stream_error + ")");
}

void run_reconnect(runner& r, outcome& out) {
  if (!prepare_streams(r, out))
    return;
  const auto& o = r.opt;
  auto n = static_cast<uint32_t>(r.streams.size());
  poster_pool pool{r, o.posters};
  r.set_progress([&r, &pool, n] {
    return std::to_string(r.live) + "/" + std::to_string(n) + " live, "
           + std::to_string(pool.ok) + " posted, "
           + std::to_string(r.deliveries) + " delivered";
  });
  r.measuring = true;
  auto t0 = r.elapsed();
  pool.start_rate(o.rate);
  r.run_until([] { return false; }, o.duration / 3);
  // Every stream at once, as after a network blip or a server restart.
  auto t_drop = r.elapsed();
  r.drop_all();
  for (uint32_t i = 0; i < n; ++i)
    r.connect(i);
  bool back = r.run_until([&r, n] { return r.live >= n; }, o.duration);
  auto outage = r.elapsed() - t_drop;
  auto rest = o.duration - (r.elapsed() - t0);
  r.run_until([] { return false; }, std::max(rest, 1.0));
  pool.stop_rate();
  settle(r, pool, o.drain);
  r.measuring = false;
  out.figures["rate_per_s"] = o.rate;
  out.figures["reconnect_all_ms"] = round_to(outage * 1000, 1);
  out.figures["reconnects_per_s"] = round_to(n / std::max(outage, 1e-6), 0);
  out.figures["posts_ok"] = pool.ok;
  out.figures["latency_p50_ms"] = round_to(r.latency.quantile(0.5) / 1e3, 2);
  out.figures["latency_p99_ms"] = round_to(r.latency.quantile(0.99) / 1e3, 2);
  out.figures["latency_max_ms"] = round_to(r.latency.max() / 1e3, 2);
  if (!back)
    out.failures.push_back("only " + std::to_string(r.live) + " of "
                           + std::to_string(n) + " streams came back");
  add_delivery_checks(r, out, pool.failed);
}

} // namespace parley::bench
