#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>

namespace itest {

/// A byte-for-byte Unix-socket forwarder, run on its own thread, that a
/// test can cut and restore: the database outage test puts it between the
/// server and PostgreSQL. Not thread-safe: start/stop from one thread.
class unix_proxy {
public:
  /// Listens at `listen_path` (once started) and forwards every accepted
  /// connection to `target_path`.
  unix_proxy(std::string listen_path, std::string target_path);

  /// Stops (and joins) if still running.
  ~unix_proxy();

  unix_proxy(const unix_proxy&) = delete;
  unix_proxy& operator=(const unix_proxy&) = delete;

  /// Binds the listening socket and starts forwarding; throws on failure.
  void start();

  /// Closes the listener and every forwarded connection (both ends), joins
  /// the thread and removes the socket file, so new connects fail at once.
  void stop();

  /// Connections accepted since construction.
  /// Thread-safe: yes.
  std::size_t accepted() const {
    return accepted_;
  }

private:
  struct state;

  std::string listen_path_;
  std::string target_path_;
  std::shared_ptr<state> state_;
  std::thread thread_;
  std::atomic<std::size_t> accepted_{0};
};

} // namespace itest
