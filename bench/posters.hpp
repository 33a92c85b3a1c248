#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "http_conn.hpp"
#include "runner.hpp"
#include "stats.hpp"

namespace parley::bench {

/// Posts messages over P keep-alive connections: open-loop at a fixed rate
/// (the schedule does not wait for answers; what cannot be sent at once
/// waits in a backlog and its latency counts from the scheduled time), or
/// a burst of explicit jobs as fast as the connections allow.
class poster_pool {
public:
  poster_pool(runner& r, uint32_t connections);

  /// Schedules `rate` messages/s from now on, receivers in turn so that
  /// consecutive messages go to different conversations.
  void start_rate(double rate);
  /// Stops scheduling (posts in flight and the backlog still go out).
  void stop_rate();
  /// Queues one message to `receiver`, stamped now.
  void enqueue(uint32_t receiver);
  /// Forgets messages not sent yet (an overloaded sweep step).
  void discard_backlog();

  size_t backlog() const {
    return backlog_.size();
  }
  size_t in_flight() const {
    return in_flight_;
  }
  bool idle() const {
    return backlog_.empty() && in_flight_ == 0;
  }

  /// Clears the counters below (between sweep steps).
  void reset_counters();

  uint64_t scheduled = 0;
  uint64_t sent = 0;
  uint64_t ok = 0;
  uint64_t failed = 0;    // non-2xx or no answer
  uint64_t discarded = 0; // scheduled but never sent
  size_t max_backlog = 0;
  histogram post_latency;           // request → response, µs
  histogram send_lag;               // scheduled time → request written, µs
  std::map<int, uint64_t> statuses; // status (0: no answer) → count
  std::string first_error;

private:
  struct job {
    uint32_t receiver;
    uint32_t n;
    int64_t stamp_ns; // the scheduled send time, put in the message
  };
  void tick();
  void add(uint32_t receiver, int64_t stamp_ns);
  void pump();
  void send(http_conn* conn, const job& j);
  uint32_t next_receiver();

  runner& r_;
  std::vector<std::unique_ptr<http_conn>> conns_;
  std::vector<http_conn*> idle_;
  std::deque<job> backlog_;
  asio::steady_timer timer_;
  size_t in_flight_ = 0;
  double rate_ = 0;
  int64_t rate_start_ns_ = 0;
  uint64_t rate_count_ = 0;
  uint64_t turn_ = 0;
  bool pacing_ = false;
};

/// Waits up to `seconds` for every post to be answered and delivered. If
/// that fails, forgets the unsent backlog and waits for the posts already
/// sent (up to the request timeout), so that the loss count that follows
/// never blames the server for a delivery still on its way. Returns
/// whether the first wait sufficed.
bool settle(runner& r, poster_pool& pool, double seconds);

} // namespace parley::bench
