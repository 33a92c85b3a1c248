#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include "actors/atoms.hpp"
#include "actors/errors.hpp"
#include "persistence/db_worker.hpp"

using namespace parley;
using namespace std::chrono_literals;

namespace {

// A database that cannot be reached: every worker answers db_unavailable
// at once (a socket directory that does not exist; no network).
const std::string no_database
  = "postgresql://nobody@/none?host=/nonexistent-parley-test-dir";

std::vector<caf::actor> workers_of(caf::scoped_actor& self,
                                   const caf::actor& pool) {
  std::vector<caf::actor> out;
  self->request(pool, 5s, caf::sys_atom::value, caf::get_atom::value)
    .receive([&](std::vector<caf::actor>& ws) { out = std::move(ws); },
             [](caf::error&) {});
  return out;
}

// Its actors run on real threads. Under TSan the test is hidden (not
// discovered, not run): libcaf_core.so is not built with TSan, so the
// atomics that hand each message from one thread to the next are invisible
// to it, and it reports CAF's own message and actor objects as races.
#if defined(__SANITIZE_THREAD__)
#define PARLEY_POOL_TAGS "[persistence][pool][.]"
#else
#define PARLEY_POOL_TAGS "[persistence][pool]"
#endif

} // namespace

TEST_CASE("the database pool still routes posts and reads when workers "
          "died, writers among them",
          PARLEY_POOL_TAGS) {
  caf::actor_system_config cfg;
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  caf::actor_system sys{cfg};
  auto pool = spawn_db_pool(sys, no_database, 4, 2, caf::actor{}, nullptr,
                            std::chrono::milliseconds{0});
  caf::scoped_actor self{sys};
  auto workers = workers_of(self, pool);
  REQUIRE(workers.size() == 4);
  // Both writers and one reader die; the pool drops them.
  for (size_t i = 0; i < 3; ++i)
    caf::anon_send_exit(workers[i], caf::exit_reason::kill);
  for (int i = 0; i < 500 && workers_of(self, pool).size() != 1; ++i)
    std::this_thread::sleep_for(10ms);
  REQUIRE(workers_of(self, pool).size() == 1);
  // Conversations 0 to 3 mapped to writers 0 and 1; now all go to the one
  // left, which answers (no database: db_unavailable).
  for (int64_t conv = 0; conv < 4; ++conv) {
    caf::error got;
    self
      ->request(pool, 5s, msg_post_atom::value, int64_t{1}, conv,
                std::string{"hello"}, std::string{})
      .receive([](posted_message&) {}, [&](caf::error& err) { got = err; });
    INFO("conversation " << conv << ": " << sys.render(got));
    CHECK(is(got, ec::db_unavailable));
  }
  caf::error got;
  self->request(pool, 5s, health_atom::value)
    .receive([](bool) {}, [&](caf::error& err) { got = err; });
  CHECK(is(got, ec::db_unavailable));
  caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
}
