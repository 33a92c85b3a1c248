#pragma once

// One database worker actor on the test database, driven directly by a
// test (post_batch_test, replay_batch_test): through the HTTP server, what
// a worker batches depends on timing.
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include "actors/atoms.hpp"
#include "actors/events.hpp"
#include "actors/metrics.hpp"
#include "api.hpp"
#include "persistence/db_worker.hpp"
#include "persistence/migrations.hpp"
#include "server_process.hpp"

namespace itest {

using namespace std::chrono_literals;

/// One detached worker on the test database, with a probe as its broker.
struct worker_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<caf::scoped_actor> self, broker;
  std::shared_ptr<parley::metrics> counters
    = std::make_shared<parley::metrics>();
  caf::actor worker;

  /// The worker's statements are cancelled after `statement_timeout`.
  explicit worker_fixture(std::chrono::milliseconds statement_timeout
                          = std::chrono::seconds{10}) {
    auto url = require_env("PARLEY_TEST_DB_URL");
    parley::migrate(
      url); // the tests share the database; migrating twice is a no-op
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    sys = std::make_unique<caf::actor_system>(cfg);
    self = std::make_unique<caf::scoped_actor>(*sys);
    broker = std::make_unique<caf::scoped_actor>(*sys);
    worker = sys->spawn<caf::detached>(parley::db_worker, url,
                                       caf::actor_cast<caf::actor>(*broker),
                                       counters, 0, statement_timeout);
  }

  ~worker_fixture() {
    caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
  }

  // The worker's answer to `xs...`; a test failure if it is an error.
  template <class T, class... Ts>
  T ask(Ts... xs) {
    T out{};
    caf::error failed;
    (*self)
      ->request(worker, 10s, xs...)
      .receive([&](T& x) { out = std::move(x); },
               [&](caf::error& err) { failed = err; });
    if (failed)
      FAIL("worker answered " << sys->render(failed));
    return out;
  }

  // New users alice and bob with their conversation, and carol outside it.
  struct cast {
    parley::user alice, bob, carol;
    int64_t conv;
  };
  cast pair_and_outsider() {
    auto alice
      = ask<parley::user>(parley::login_atom::value, unique_name("alice"));
    auto bob = ask<parley::user>(parley::login_atom::value, unique_name("bob"));
    auto carol
      = ask<parley::user>(parley::login_atom::value, unique_name("carol"));
    auto conv = ask<parley::conversation_reply>(parley::conv_new_atom::value,
                                                alice.id, bob.username)
                  .conv.id;
    return {alice, bob, carol, conv};
  }

  // The first `n` deliveries the worker handed to its broker: message id ->
  // seq per user.
  std::map<int64_t, std::map<int64_t, int64_t>> deliveries(size_t n) {
    std::map<int64_t, std::map<int64_t, int64_t>> out;
    for (size_t i = 0; i < n; ++i) {
      bool timed_out = false;
      (*broker)->receive(
        [&](parley::deliver_atom, const parley::created_message& m) {
          for (const auto& r : m.recipients)
            out[m.msg.id][r.user_id] = r.seq;
        },
        caf::after(10s) >> [&] { timed_out = true; });
      if (timed_out)
        FAIL("delivery " << i + 1 << " of " << n << " never came");
    }
    return out;
  }
};

} // namespace itest
