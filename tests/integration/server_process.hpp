#pragma once

#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace itest {

/// The value of environment variable `name`; throws std::runtime_error
/// naming the variable (and how to get it set) if it is unset or empty.
std::string require_env(const char* name);

/// The `parley` binary running as a child process of the test, on a free
/// loopback port, against the test database.
///
/// The constructor fork/execs `$PARLEY_BINARY` with the integration
/// settings plus `extra_args` (an extra `--parley.key=…` replaces the
/// default for that key), reads its stdout until the "listening on" line
/// (30 s bound) and then drains stdout on a thread so the child never
/// blocks on a full pipe. The destructor stops the child with SIGTERM and
/// CHECKs that it exits with status 0 (graceful shutdown is required).
class server_process {
public:
  explicit server_process(std::vector<std::string> extra_args = {});
  ~server_process();

  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  /// The port the server announced.
  std::uint16_t port() const {
    return port_;
  }

  /// True while the child has not exited (reaps it if it has).
  bool running();

  /// Sends SIGTERM and waits up to 10 s (then SIGKILL). Returns the exit
  /// status, or -signal if the child died by a signal. Idempotent.
  int stop();

  /// Kills the child with SIGKILL at once (a crash, not a shutdown), reaps
  /// it and returns its status (-SIGKILL). Because the kill is deliberate,
  /// the destructor then does not require exit status 0. Idempotent; a
  /// no-op returning the recorded status if the child was already reaped.
  int kill_hard();

  /// True once kill_hard() has killed the child.
  bool killed_hard() const {
    return killed_hard_;
  }

  /// Everything the child wrote to stdout so far.
  /// Thread-safe: yes.
  std::string output() const;

  /// Whether the child's output holds `text` within 2 s. A line logged
  /// before an answer may reach the test after it: it comes through a pipe
  /// that another thread drains.
  bool logged(const std::string& text) const;

private:
  void spawn(const std::vector<std::string>& args);
  std::string read_until_listening();
  void drain();
  void kill_now();
  static int decode_status(int status);

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::uint16_t port_ = 0;
  int exit_status_ = 0;
  bool reaped_ = false;
  bool killed_hard_ = false;
  std::thread drainer_;
  mutable std::mutex output_mutex_;
  std::string output_;
};

} // namespace itest
