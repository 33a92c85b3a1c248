#include "net/server.hpp"

#include <thread>
#include <vector>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <caf/send.hpp>

#include "actors/events.hpp"
#include "net/listener.hpp"

namespace parley {

namespace {

// How long a stop waits for in-flight requests before it cuts them.
constexpr auto drain_limit = std::chrono::seconds(10);

// Polls until no request is in flight and every stream has closed, or the
// limit passes, then stops `ioc`.
void drain(asio::io_context& ioc, std::shared_ptr<asio::steady_timer> timer,
           std::shared_ptr<server_state> state,
           std::shared_ptr<metrics> counters,
           std::chrono::steady_clock::time_point deadline) {
  bool idle = state->in_flight == 0 && counters->open_streams == 0;
  if (idle || std::chrono::steady_clock::now() >= deadline) {
    if (state->in_flight != 0)
      spdlog::warn("stopping with {} requests in flight",
                   state->in_flight.load());
    ioc.stop();
    return;
  }
  timer->expires_after(std::chrono::milliseconds(20));
  timer->async_wait(
    [&ioc, timer, state, counters, deadline](beast::error_code) {
      drain(ioc, timer, state, counters, deadline);
    });
}

} // namespace

server::server(caf::actor_system& sys, settings cfg, caf::actor db,
               caf::actor broker, std::shared_ptr<metrics> counters)
  : sys_(sys),
    cfg_(std::move(cfg)),
    db_(std::move(db)),
    broker_(std::move(broker)),
    counters_(std::move(counters)) {
}

bool server::run() {
  auto threads = static_cast<int>(cfg_.io_threads);
  asio::io_context ioc{threads};
  auto state = std::make_shared<server_state>();
  auto files = std::make_shared<const static_files>(cfg_.web_root);
  if (files->size() == 0)
    spdlog::warn("web root '{}' has no files: no web client", cfg_.web_root);
  auto handler = std::make_shared<api>(sys_, db_, broker_, cfg_, state, files,
                                      counters_);
  session_limits limits{cfg_.max_body, cfg_.max_header,
                        std::chrono::seconds(30)};
  std::shared_ptr<listener> lst;
  try {
    asio::ip::tcp::endpoint ep{asio::ip::make_address(cfg_.host), cfg_.port};
    lst = std::make_shared<listener>(ioc, ep, handler, state, limits);
  } catch (const std::exception& e) {
    spdlog::error("cannot listen on {}:{}: {}", cfg_.host, cfg_.port,
                  e.what());
    return false;
  }
  auto ep = lst->local_endpoint();
  spdlog::info("listening on http://{}:{}", ep.address().to_string(),
               ep.port());
  lst->run();
  asio::signal_set signals{ioc, SIGINT, SIGTERM};
  auto timer = std::make_shared<asio::steady_timer>(ioc);
  signals.async_wait([&](beast::error_code ec, int sig) {
    if (ec)
      return;
    spdlog::info("signal {}: draining", sig);
    state->draining = true;
    lst->stop();
    // Streams close cleanly, so browsers reconnect (with Last-Event-ID).
    caf::anon_send(broker_, shutdown_atom::value);
    drain(ioc, timer, state, counters_,
          std::chrono::steady_clock::now() + drain_limit);
  });
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i)
    pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool)
    t.join();
  spdlog::info("stopped");
  return true;
}

} // namespace parley
