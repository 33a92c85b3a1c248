#include "posters.hpp"

namespace parley::bench {

namespace {

// The pacing timer's period: due messages are issued in small batches.
constexpr auto tick_period = std::chrono::milliseconds(1);

} // namespace

poster_pool::poster_pool(runner& r, uint32_t connections)
    : r_(r), timer_(r.ioc) {
  auto timeout = std::chrono::milliseconds(
    static_cast<int64_t>(r.opt.request_timeout * 1000));
  for (uint32_t i = 0; i < connections; ++i) {
    conns_.push_back(
      std::make_unique<http_conn>(r.ioc, r.server, r.sources, timeout));
    idle_.push_back(conns_.back().get());
  }
}

void poster_pool::reset_counters() {
  scheduled = sent = ok = failed = discarded = 0;
  max_backlog = 0;
  post_latency.clear();
  send_lag.clear();
  statuses.clear();
}

uint32_t poster_pool::next_receiver() {
  // Pairs (2k, 2k+1) in turn, alternating direction each pass, so that two
  // consecutive messages rarely share a conversation.
  auto users = static_cast<uint64_t>(r_.users.size());
  auto pairs = std::max<uint64_t>(users / 2, 1);
  auto k = turn_++;
  auto receiver = 2 * (k % pairs) + (k / pairs) % 2;
  return static_cast<uint32_t>(receiver % users);
}

void poster_pool::start_rate(double rate) {
  rate_ = rate;
  rate_start_ns_ = now_ns();
  rate_count_ = 0;
  pacing_ = true;
  tick();
}

void poster_pool::stop_rate() {
  pacing_ = false;
  timer_.cancel();
}

void poster_pool::tick() {
  if (!pacing_)
    return;
  // Open loop: message k (from 0) is due at start + k / rate, whatever
  // came back; so at time t the first floor(t * rate) + 1 are due.
  auto now = now_ns();
  auto due = static_cast<uint64_t>(static_cast<double>(now - rate_start_ns_)
                                   * rate_ / 1e9)
             + 1;
  while (rate_count_ < due) {
    auto stamp
      = rate_start_ns_
        + static_cast<int64_t>(static_cast<double>(rate_count_) * 1e9 / rate_);
    ++rate_count_;
    add(next_receiver(), stamp);
  }
  pump();
  timer_.expires_after(tick_period);
  timer_.async_wait([this](error_code ec) {
    if (!ec)
      tick();
  });
}

void poster_pool::discard_backlog() {
  // Never sent: not owed to any stream, and not an HTTP error either.
  for (const auto& j : backlog_)
    r_.book.posted(j.receiver, j.n, false);
  discarded += backlog_.size();
  backlog_.clear();
}

void poster_pool::enqueue(uint32_t receiver) {
  add(receiver, now_ns());
  pump();
}

void poster_pool::add(uint32_t receiver, int64_t stamp_ns) {
  ++scheduled;
  backlog_.push_back({receiver, r_.book.next(receiver), stamp_ns});
  max_backlog = std::max(max_backlog, backlog_.size());
}

void poster_pool::pump() {
  while (!idle_.empty() && !backlog_.empty()) {
    auto* conn = idle_.back();
    idle_.pop_back();
    auto j = backlog_.front();
    backlog_.pop_front();
    send(conn, j);
  }
}

void poster_pool::send(http_conn* conn, const job& j) {
  const auto& receiver = r_.users[j.receiver];
  // The partner (2k <-> 2k+1) sends; Nchan ignores the sender.
  auto partner = j.receiver ^ 1u;
  const auto& sender
    = r_.users[partner < r_.users.size() ? partner : j.receiver];
  auto content = format_payload({j.stamp_ns, j.receiver, j.n});
  ++sent;
  ++in_flight_;
  auto started = now_ns();
  send_lag.record((started - j.stamp_ns) / 1000);
  conn->request(r_.tgt.post(sender, receiver, content),
                [this, conn, j, started](int status, const std::string& body) {
                  --in_flight_;
                  post_latency.record((now_ns() - started) / 1000);
                  statuses[status]++;
                  bool good = status / 100 == 2;
                  (good ? ok : failed)++;
                  if (!good && first_error.empty())
                    first_error = "status " + std::to_string(status) + ": "
                                  + body.substr(0, 200);
                  r_.book.posted(j.receiver, j.n, good);
                  idle_.push_back(conn);
                  pump();
                });
}

bool settle(runner& r, poster_pool& pool, double seconds) {
  auto done
    = [&] { return pool.idle() && r.book.delivered() >= r.book.expected(); };
  if (r.run_until(done, seconds))
    return true;
  pool.discard_backlog();
  r.run_until(done, r.opt.request_timeout + 2);
  return false;
}

} // namespace parley::bench
