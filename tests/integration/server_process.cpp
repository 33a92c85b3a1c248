#include "server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <catch2/catch.hpp>

namespace itest {

namespace {

using namespace std::chrono_literals;

constexpr auto startup_timeout = 30s;
constexpr auto shutdown_timeout = 10s;
constexpr const char* listening_marker = "listening on http://127.0.0.1:";
// The whole stdout is kept for failure reports, but bounded: a runaway
// logger must not eat the test's memory.
constexpr std::size_t output_cap = 4 * 1024 * 1024;

bool overrides(const std::vector<std::string>& extra, const std::string& key) {
  auto prefix = "--parley." + key + "=";
  for (const auto& arg : extra)
    if (arg.compare(0, prefix.size(), prefix) == 0)
      return true;
  return false;
}

std::vector<std::string> command_line(const std::vector<std::string>& extra) {
  auto source = require_env("PARLEY_SOURCE_DIR");
  std::vector<std::string> args{require_env("PARLEY_BINARY"),
                                "--config-file=" + source
                                  + "/config/parley.ini"};
  auto add_default = [&](const std::string& key, auto make_value) {
    if (!overrides(extra, key))
      args.push_back("--parley." + key + "=" + make_value());
  };
  add_default("host", [] { return std::string{"127.0.0.1"}; });
  add_default("port", [] { return std::string{"0"}; });
  // Only required when the test does not bring its own database URL.
  add_default("db-url", [] { return require_env("PARLEY_TEST_DB_URL"); });
  add_default("jwt-key", [] { return std::string{"integration-test-key"}; });
  add_default("web-root", [&] { return source + "/web"; });
  // Tests post, read and open streams thousands of times as one user, as
  // fast as they can; the limits have tests of their own
  // (rate_limit_test.cpp).
  add_default("post-rate", [] { return std::string{"0"}; });
  add_default("request-rate", [] { return std::string{"0"}; });
  add_default("sse-open-rate", [] { return std::string{"0"}; });
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::string tail(const std::string& text, std::size_t n) {
  return text.size() <= n ? text : "…" + text.substr(text.size() - n);
}

std::string joined(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& arg : args)
    out += (out.empty() ? "" : " ") + arg;
  return out;
}

// Runs in the forked child of a multi-threaded parent: async-signal-safe
// calls only, no allocation, until execv.
[[noreturn]] void exec_child(char* const* argv, int stdout_fd, int max_fd) {
  // If the test process dies (ctest timeout), the server must not outlive it.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0)
    dup2(null_fd, STDIN_FILENO);
  dup2(stdout_fd, STDOUT_FILENO);
  // Asio opens sockets without CLOEXEC: a leaked proxy or client socket
  // would keep that socket alive in the server and change what it sees.
  if (close_range(3, ~0U, 0) != 0)
    for (int fd = 3; fd < max_fd; ++fd)
      close(fd);
  // Ignored signals and the signal mask survive exec; give the server a
  // clean slate (Catch2 and the tests may have changed both).
  signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execv(argv[0], argv);
  _exit(127);
}

} // namespace

std::string require_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0')
    throw std::runtime_error(
      std::string{"environment variable "} + name
      + " is not set: the integration tests need the server binary and the "
        "test database that scripts/test provides; run them through "
        "scripts/test (or ctest from a build configured by it)");
  return value;
}

server_process::server_process(std::vector<std::string> extra_args) {
  auto args = command_line(extra_args);
  try {
    spawn(args);
    auto seen = read_until_listening();
    {
      std::lock_guard<std::mutex> guard{output_mutex_};
      output_ = std::move(seen);
    }
    drainer_ = std::thread{[this] { drain(); }};
  } catch (const std::exception& e) {
    kill_now();
    throw std::runtime_error(std::string{e.what()}
                             + "\ncommand: " + joined(args));
  }
}

server_process::~server_process() {
  int status = stop();
  if (killed_hard_)
    return; // a deliberate crash: its status is the test's business
  // Not INFO: during stack unwinding Catch2 v2 never pops scoped messages,
  // and they would then decorate the unrelated exception's report.
  if (status != 0)
    FAIL_CHECK("the server must exit with status 0 within 10 s of SIGTERM, "
               "but its status was "
               << status << " (negative: killed by that signal)\n"
               << "server stdout (tail):\n"
               << tail(output(), 4000));
}

void server_process::spawn(const std::vector<std::string>& args) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string{"pipe2: "} + std::strerror(errno));
  // Everything the child needs is prepared before fork: no allocation after.
  std::vector<char*> argv;
  for (const auto& arg : args)
    argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  int max_fd = static_cast<int>(sysconf(_SC_OPEN_MAX));
  pid_ = fork();
  if (pid_ < 0) {
    close(fds[0]);
    close(fds[1]);
    throw std::runtime_error(std::string{"fork: "} + std::strerror(errno));
  }
  if (pid_ == 0)
    exec_child(argv.data(), fds[1], max_fd);
  close(fds[1]);
  stdout_fd_ = fds[0];
}

std::string server_process::read_until_listening() {
  auto deadline = std::chrono::steady_clock::now() + startup_timeout;
  std::string seen;
  for (;;) {
    auto at = seen.find(listening_marker);
    if (at != std::string::npos && seen.find('\n', at) != std::string::npos) {
      auto digits = seen.substr(at + std::strlen(listening_marker));
      unsigned long port = std::strtoul(digits.c_str(), nullptr, 10);
      if (port == 0 || port > 65535)
        throw std::runtime_error("server announced no usable port:\n" + seen);
      port_ = static_cast<std::uint16_t>(port);
      return seen;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw std::runtime_error("server did not print '"
                               + std::string{listening_marker}
                               + "<port>' within 30 s; stdout:\n" + seen);
    pollfd pfd{stdout_fd_, POLLIN, 0};
    int ready = poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready <= 0)
      continue; // timeout (re-checked above) or EINTR
    char buffer[4096];
    auto n = read(stdout_fd_, buffer, sizeof buffer);
    if (n > 0) {
      seen.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
      int status = 0;
      waitpid(pid_, &status, 0);
      reaped_ = true;
      throw std::runtime_error("server exited (status "
                               + std::to_string(decode_status(status))
                               + ") before listening; stdout:\n" + seen);
    } else if (errno != EINTR) {
      throw std::runtime_error(std::string{"read: "} + std::strerror(errno));
    }
  }
}

void server_process::drain() {
  char buffer[4096];
  for (;;) {
    auto n = read(stdout_fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return; // EOF: the child (the only writer) has exited
    std::lock_guard<std::mutex> guard{output_mutex_};
    output_.append(buffer, static_cast<std::size_t>(n));
    if (output_.size() > output_cap)
      output_.erase(0, output_.size() - output_cap);
  }
}

bool server_process::running() {
  if (reaped_ || pid_ <= 0)
    return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_)
    return true;
  reaped_ = true;
  exit_status_ = decode_status(status);
  return false;
}

int server_process::stop() {
  if (pid_ > 0 && !reaped_) {
    // Only our own child, and only while it is unreaped (its pid is ours).
    kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + shutdown_timeout;
    while (running() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
    if (!reaped_) {
      kill_now();
      exit_status_ = -SIGKILL;
    }
  }
  if (drainer_.joinable())
    drainer_.join();
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
  return exit_status_;
}

int server_process::kill_hard() {
  if (pid_ > 0 && !reaped_) {
    // Only our own child, and only while it is unreaped (its pid is ours).
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    exit_status_ = decode_status(status);
    killed_hard_ = true;
  }
  // The child is gone, so the drainer sees EOF and ends.
  if (drainer_.joinable())
    drainer_.join();
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
  return exit_status_;
}

void server_process::kill_now() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
  }
  if (drainer_.joinable())
    drainer_.join();
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
}

std::string server_process::output() const {
  std::lock_guard<std::mutex> guard{output_mutex_};
  return output_;
}

bool server_process::logged(const std::string& text) const {
  auto has = [&] { return output().find(text) != std::string::npos; };
  for (int i = 0; i < 100 && !has(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return has();
}

int server_process::decode_status(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return -WTERMSIG(status);
  return -1;
}

} // namespace itest
