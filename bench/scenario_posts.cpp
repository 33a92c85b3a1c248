// chat (and its sweep) and fanout: scenarios about posting and delivering.
#include <algorithm>

#include "posters.hpp"
#include "scenarios.hpp"

namespace parley::bench {

namespace {

double ms(int64_t us) {
  return round_to(static_cast<double>(us) / 1e3, 2);
}

// One open-loop run at `rate` for --duration, then a drain. Returns the
// step's figures; `kept_up` tells whether the server kept pace.
ojson chat_step(runner& r, poster_pool& pool, double rate, bool& kept_up) {
  const auto& o = r.opt;
  r.latency.clear();
  pool.reset_counters();
  auto delivered0 = r.deliveries;
  auto cpu0 = sample_servers(r);
  r.measuring = true;
  pool.start_rate(rate);
  r.set_progress([&r, &pool, rate] {
    return "rate " + std::to_string(static_cast<int64_t>(rate))
           + "/s: " + std::to_string(pool.ok) + " posted, "
           + std::to_string(r.deliveries) + " delivered, backlog "
           + std::to_string(pool.backlog()) + ", p99 "
           + std::to_string(r.latency.quantile(0.99) / 1000) + " ms";
  });
  r.run_until([] { return false; }, o.duration);
  pool.stop_rate();
  auto cpu1 = sample_servers(r);
  auto window = cpu1.at - cpu0.at;
  auto delivered = r.deliveries - delivered0;
  auto sent = pool.sent; // the backlog may still go out in the drain
  bool drained = settle(r, pool, o.drain);
  r.measuring = false;
  ojson f;
  f["rate_target_per_s"] = rate;
  f["posts_ok"] = pool.ok;
  f["posts_per_s"] = round_to(static_cast<double>(sent) / window, 0);
  f["delivered_per_s"] = round_to(static_cast<double>(delivered) / window, 0);
  f["latency_p50_ms"] = ms(r.latency.quantile(0.5));
  f["latency_p99_ms"] = ms(r.latency.quantile(0.99));
  f["latency_p999_ms"] = ms(r.latency.quantile(0.999));
  f["latency_max_ms"] = ms(r.latency.max());
  f["post_p50_ms"] = ms(pool.post_latency.quantile(0.5));
  f["post_p99_ms"] = ms(pool.post_latency.quantile(0.99));
  f["send_lag_p99_ms"] = ms(pool.send_lag.quantile(0.99));
  f["http_errors"] = pool.failed;
  f["max_backlog"] = pool.max_backlog;
  f["drained"] = drained;
  add_cpu_figures(r, cpu0, cpu1, f);
  // Kept up: 99 % of the messages went out within 100 ms of their slot
  // (no standing backlog), all were answered without error, and all were
  // delivered within the drain.
  kept_up = drained && pool.failed == 0 && pool.discarded == 0
            && pool.send_lag.quantile(0.99) <= 100'000
            && static_cast<double>(sent) >= 0.95 * rate * o.duration;
  return f;
}

} // namespace

void run_chat(runner& r, outcome& out) {
  if (!prepare_streams(r, out))
    return;
  const auto& o = r.opt;
  poster_pool pool{r, o.posters};
  uint64_t http_errors = 0;
  if (!o.sweep) {
    bool kept_up = false;
    auto f = chat_step(r, pool, o.rate, kept_up);
    http_errors = pool.failed;
    for (auto& [k, v] : f.items())
      out.figures[k] = v;
    if (!kept_up)
      (o.pace_advisory ? out.notes : out.failures)
        .push_back("the server did not keep up with "
                   + std::to_string(static_cast<int64_t>(o.rate)) + " msgs/s");
  } else {
    // Climb by --sweep-factor until p99 passes the target, then bisect.
    double rate = o.rate, good = 0, bad = 0;
    ojson best;
    for (uint32_t step = 0; step < o.sweep_steps; ++step) {
      bool kept_up = false;
      auto f = chat_step(r, pool, rate, kept_up);
      http_errors += pool.failed;
      bool ok = kept_up && f["latency_p99_ms"].get<double>() <= o.p99_target_ms;
      f["within_target"] = ok;
      out.steps.push_back(f);
      if (ok) {
        good = rate;
        best = f;
      } else {
        bad = rate;
      }
      if (bad > 0 && good > 0 && bad / good < 1.1)
        break;
      rate = bad == 0    ? rate * o.sweep_factor
             : good == 0 ? rate / o.sweep_factor
                         : (good + bad) / 2;
      rate = std::max(1.0, std::round(rate));
    }
    out.figures["best_rate_per_s"] = good;
    for (auto& [k, v] : best.items())
      if (k != "rate_target_per_s" && k != "within_target")
        out.figures[k] = v;
    // An overloaded step fails posts by design; only count errors as a
    // failure when even the best step had them.
    http_errors = best.is_null() ? http_errors : best.value("http_errors", 0);
  }
  add_delivery_checks(r, out, http_errors);
}

void run_fanout(runner& r, outcome& out) {
  if (!prepare_streams(r, out))
    return;
  const auto& o = r.opt;
  poster_pool pool{r, o.posters};
  auto users = static_cast<uint32_t>(r.users.size());
  uint64_t total_deliveries = 0;
  double total_seconds = 0, worst_ms = 0;
  std::vector<double> round_ms;
  auto start = r.elapsed();
  // Rounds run back to back: CPU over all of them says which side is bound.
  auto cpu0 = sample_servers(r);
  r.measuring = true;
  for (uint32_t round = 0; round < o.rounds; ++round) {
    if (round > 0 && r.elapsed() - start >= o.duration)
      break;
    r.set_progress([&r, &pool, round] {
      return "round " + std::to_string(round + 1) + ": "
             + std::to_string(pool.ok) + " posted, "
             + std::to_string(r.deliveries) + " delivered";
    });
    auto d0 = r.deliveries;
    auto t0 = now_ns();
    for (uint32_t u = 0; u < users; ++u)
      pool.enqueue(u);
    bool done = r.run_until(
      [&] { return pool.idle() && r.book.delivered() >= r.book.expected(); },
      o.drain + o.duration);
    auto secs = static_cast<double>(r.last_delivery_ns - t0) / 1e9;
    auto d = r.deliveries - d0;
    total_deliveries += d;
    total_seconds += std::max(secs, 0.0);
    round_ms.push_back(secs * 1000);
    worst_ms = std::max(worst_ms, secs * 1000);
    out.steps.push_back({{"round", round + 1},
                         {"deliveries", d},
                         {"last_delivery_ms", round_to(secs * 1000, 1)},
                         {"complete", done}});
    if (!done)
      break;
  }
  auto cpu1 = sample_servers(r);
  settle(r, pool, o.drain); // a round that timed out may still deliver
  r.measuring = false;
  std::sort(round_ms.begin(), round_ms.end());
  out.figures["tabs_per_user"] = o.tabs;
  out.figures["messages_per_round"] = users;
  out.figures["deliveries_per_s"]
    = round_to(total_seconds > 0 ? total_deliveries / total_seconds : 0, 0);
  out.figures["last_delivery_p50_ms"]
    = round_ms.empty() ? 0 : round_to(round_ms[round_ms.size() / 2], 1);
  out.figures["last_delivery_max_ms"] = round_to(worst_ms, 1);
  out.figures["latency_p50_ms"] = ms(r.latency.quantile(0.5));
  out.figures["latency_p99_ms"] = ms(r.latency.quantile(0.99));
  out.figures["post_p50_ms"] = ms(pool.post_latency.quantile(0.5));
  add_cpu_figures(r, cpu0, cpu1, out.figures);
  add_delivery_checks(r, out, pool.failed);
}

} // namespace parley::bench
