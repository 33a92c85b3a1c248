#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "http_conn.hpp"
#include "options.hpp"
#include "sse_conn.hpp"
#include "stats.hpp"
#include "target.hpp"

namespace parley::bench {

/// Thrown when the run's hard time bound (--deadline) passes.
struct deadline_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Things that should not happen, counted on the receiving side.
struct fault_counters {
  uint64_t stream_drops = 0; // streams that ended without being dropped
  uint64_t bad_status = 0;   // stream answers other than 200
  uint64_t resets = 0;       // `event: reset` (the client must refetch)
  uint64_t out_of_order = 0; // a numeric id not above the previous one
  uint64_t unparsable = 0;   // data without the generator's payload
  uint64_t misrouted = 0;    // a payload meant for another user
  std::string first_stream_error;
};

/// The shared machinery of every scenario: one io_context on this thread,
/// the users, the streams, the ledger of posts and deliveries, and phases
/// run one after the other with run_until().
class runner final : public sse_listener {
public:
  explicit runner(const options& o);
  ~runner() override;

  /// Runs handlers until `done()` holds (true) or `seconds` pass (false).
  /// Throws deadline_error past the run's hard bound. Prints progress.
  bool run_until(const std::function<bool()>& done, double seconds);

  /// What the progress line shows (called every --progress seconds).
  void set_progress(std::function<std::string()> line);

  /// Creates `count` users; for Parley logs them in and opens a
  /// conversation per pair (2k, 2k+1). False (and `error`) on failure.
  bool setup_users(uint32_t count, std::string& error);

  /// Creates `count` streams, stream i belonging to user i % users.
  void create_streams(uint32_t count);
  /// Queues stream `i` to (re)connect, resuming after its last id.
  void connect(uint32_t i);
  /// Drops every stream at once (no listener calls; not counted as drops).
  void drop_all();
  /// Stops reconnecting and closes every stream.
  void close_all();

  /// Seconds since the runner started.
  double elapsed() const;

  // The event-stream listener.
  void on_head(sse_conn& c, int status) override;
  void on_event(sse_conn& c, std::string_view id, bool has_id,
                std::string_view type, std::string_view data) override;
  void on_comment(sse_conn& c) override;
  void on_closed(sse_conn& c, const std::string& why) override;

  const options& opt;
  asio::io_context ioc;
  target tgt;
  tcp::endpoint server;
  source_pool sources;
  std::vector<user> users;
  std::vector<std::unique_ptr<sse_conn>> streams;
  ledger book;
  histogram latency; // publish → receive, µs, while `measuring`
  fault_counters faults;
  uint64_t deliveries = 0; // distinct deliveries of generator messages
  int64_t last_delivery_ns = 0;
  uint32_t live = 0;       // streams currently live
  uint32_t connecting = 0; // connects in flight
  bool measuring = false;

private:
  void pump_connects();
  void release(sse_conn& c);
  /// Sends each request over the setup connections; `check` judges each
  /// answer. False if any failed or the phase timed out.
  bool run_requests(std::vector<std::string> requests,
                    std::function<bool(size_t, int, const std::string&)> check,
                    std::string& error);

  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::unique_ptr<http_conn>> setup_conns_;
  std::deque<uint32_t> connect_queue_;
  bool pump_posted_ = false;
  bool closing_ = false;
  std::function<std::string()> progress_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point deadline_;
  std::chrono::steady_clock::time_point next_progress_;
};

} // namespace parley::bench
