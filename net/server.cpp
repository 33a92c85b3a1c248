#include "net/server.hpp"

#include <future>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include "actors/events.hpp"
#include "net/listener.hpp"

namespace parley {

namespace {

// How long a stop waits for in-flight requests before it cuts them.
constexpr auto drain_limit = std::chrono::seconds(10);

// Polls until no request is in flight and every stream has closed, or the
// limit passes; then fulfils `drained`.
void drain(std::shared_ptr<asio::steady_timer> timer,
           std::shared_ptr<server_state> state,
           std::shared_ptr<metrics> counters,
           std::shared_ptr<std::promise<void>> drained,
           std::chrono::steady_clock::time_point deadline) {
  bool idle = state->in_flight == 0 && counters->open_streams == 0;
  if (idle || std::chrono::steady_clock::now() >= deadline) {
    if (!idle)
      spdlog::warn("stopping with {} requests and {} streams open",
                   state->in_flight.load(), counters->open_streams.load());
    drained->set_value();
    return;
  }
  timer->expires_after(std::chrono::milliseconds(20));
  timer->async_wait(
    [timer, state, counters, drained, deadline](beast::error_code) {
      drain(timer, state, counters, drained, deadline);
    });
}

} // namespace

server::server(caf::actor_system& sys, settings cfg, caf::actor db,
               caf::actor broker, std::shared_ptr<metrics> counters)
    : sys_(sys),
      cfg_(std::move(cfg)),
      db_(std::move(db)),
      broker_(std::move(broker)),
      counters_(std::move(counters)) {}

bool server::run() {
  auto threads = static_cast<int>(cfg_.io_threads);
  asio::io_context ioc{threads};
  auto state = std::make_shared<server_state>();
  auto files = std::make_shared<const static_files>(cfg_.web_root);
  if (files->size() == 0)
    spdlog::warn("web root '{}' has no files: no web client", cfg_.web_root);
  auto handler = std::make_shared<api>(sys_, ioc, db_, broker_, cfg_, state,
                                       files, counters_);
  session_limits limits{cfg_.max_body, cfg_.max_header,
                        std::chrono::seconds(30)};
  std::shared_ptr<listener> lst;
  try {
    asio::ip::tcp::endpoint ep{asio::ip::make_address(cfg_.host), cfg_.port};
    lst = std::make_shared<listener>(ioc, ep, handler, state, limits);
  } catch (const std::exception& e) {
    spdlog::error("cannot listen on {}:{}: {}", cfg_.host, cfg_.port, e.what());
    return false;
  }
  auto ep = lst->local_endpoint();
  spdlog::info("listening on http://{}:{}", ep.address().to_string(),
               ep.port());
  lst->run();
  asio::signal_set signals{ioc, SIGINT, SIGTERM};
  auto timer = std::make_shared<asio::steady_timer>(ioc);
  auto drained = std::make_shared<std::promise<void>>();
  signals.async_wait([&](beast::error_code ec, int sig) {
    if (ec)
      return;
    spdlog::info("signal {}: draining", sig);
    state->draining = true;
    lst->stop();
    // Streams close cleanly, so browsers reconnect (with Last-Event-ID).
    caf::anon_send(broker_, shutdown_atom::value);
    drain(timer, state, counters_, drained,
          std::chrono::steady_clock::now() + drain_limit);
  });
  auto work = asio::make_work_guard(ioc);
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i)
    pool.emplace_back([&ioc] { ioc.run(); });
  drained->get_future().wait();
  // Actors may still post replies to sessions: stop them while the io
  // threads run, and only then stop Asio. Sessions left in the io_context
  // die with it, while the actor system still exists.
  handler->stop();
  caf::anon_send_exit(db_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(broker_, caf::exit_reason::user_shutdown);
  sys_.await_all_actors_done();
  work.reset();
  ioc.stop();
  for (auto& t : pool)
    t.join();
  spdlog::info("stopped");
  return true;
}

} // namespace parley
