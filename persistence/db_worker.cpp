#include "persistence/db_worker.hpp"

#include <algorithm>
#include <atomic>

#include <caf/all.hpp>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "actors/atoms.hpp"
#include "actors/errors.hpp"
#include "persistence/conninfo.hpp"
#include "persistence/post_batch.hpp"
#include "persistence/queries.hpp"
#include "persistence/replay_batch.hpp"
#include "persistence/transact.hpp"

namespace parley {

db_worker_state::~db_worker_state() = default;

void db_worker_state::observe(const char* statement,
                              std::chrono::nanoseconds took) {
  if (!counters)
    return;
  counters->db.observe(statement, took);
  if (self && index < metrics::max_db_workers)
    metrics::set(counters->db_mailbox[index],
                 static_cast<int64_t>(self->mailbox().size()));
}

bool db_worker_state::connect() {
  if (conn && conn->is_open()) {
    try {
      // Reads without blocking; throws if the server closed. Not the same
      // read as the one each transaction's Begin() makes: a server that
      // ends a connection sends FATAL, then closes, and one read may take
      // only the message. With this one the close shows before anything is
      // sent, where transact() retries it (a pg_terminate_backend test).
      conn->get_notifs();
      return true;
    } catch (const pqxx::broken_connection&) {
      spdlog::info("database connection closed while idle; reopening");
      conn.reset();
    }
  }
  try {
    conn = std::make_unique<pqxx::connection>(db_url);
    // Our statements are prepared once and run thousands of times a second,
    // with plans that do not depend on the values: planning them anew on
    // every execution (custom plans) cost a quarter of PostgreSQL's CPU.
    conn->set_variable("plan_cache_mode", "force_generic_plan");
    // Each statement touches a few rows by key. A generic plan assumes ten
    // array elements and, on tables of a few thousand rows, picked hash
    // joins that scan the whole table for every batch; without hash and
    // merge joins every plan is index nested loops, whatever the sizes.
    conn->set_variable("enable_hashjoin", "off");
    conn->set_variable("enable_mergejoin", "off");
    // A statement that waits for a lock or a hung server would hold this
    // worker (and everything queued behind it, and the server's stop)
    // for as long as it waits; past the HTTP deadline nobody waits for it.
    if (statement_timeout.count() > 0)
      conn->set_variable("statement_timeout",
                         std::to_string(statement_timeout.count()));
    queries::prepare(*conn);
    return true;
  } catch (const std::exception& e) {
    spdlog::warn("database connect failed: {}", e.what());
    conn.reset();
    return false;
  }
}

namespace {

// Turns an expected into what a handler returns.
template <class T>
caf::result<T> reply(caf::expected<T>&& x) {
  if (x)
    return std::move(*x);
  return std::move(x.error());
}

} // namespace

caf::behavior db_worker(caf::stateful_actor<db_worker_state>* self,
                        std::string db_url, caf::actor broker,
                        std::shared_ptr<metrics> counters, size_t index,
                        std::chrono::milliseconds statement_timeout) {
  self->state.db_url = std::move(db_url);
  self->state.broker = std::move(broker);
  self->state.counters = std::move(counters);
  self->state.index = index;
  self->state.self = self;
  self->state.statement_timeout = statement_timeout;
  auto& st = self->state;
  return {
    [&st](login_atom, const std::string& name) -> caf::result<user> {
      return reply(transact<user>(st, "login", [&](pqxx::work& tx) {
        return queries::find_or_create_user(tx, name);
      }));
    },
    [&st](github_login_atom, int64_t github_id, const std::string& login,
          const std::string& avatar_url) -> caf::result<user> {
      return reply(transact<user>(st, "gh_login", [&](pqxx::work& tx) {
        return queries::find_or_create_github_user(tx, github_id, login,
                                                   avatar_url);
      }));
    },
    [&st](user_get_atom, int64_t id) -> caf::result<user> {
      return reply(transact<user, pqxx::nontransaction>(
        st, "user_get", [&](pqxx::transaction_base& tx) {
          return queries::find_user(tx, id);
        }));
    },
    [&st](search_atom, int64_t caller,
          const std::string& prefix) -> caf::result<std::vector<std::string>> {
      using names = std::vector<std::string>;
      return reply(transact<names>(st, "search", [&](pqxx::work& tx) {
        return queries::search_usernames(tx, caller, prefix);
      }));
    },
    [&st](conv_new_atom, int64_t caller,
          const std::string& name) -> caf::result<conversation_reply> {
      return reply(
        transact<conversation_reply>(st, "conv_new", [&](pqxx::work& tx) {
          return queries::create_conversation(tx, caller, name);
        }));
    },
    [&st](conv_list_atom, int64_t caller,
          int64_t before) -> caf::result<conversation_list> {
      return reply(
        transact<conversation_list>(st, "conv_list", [&](pqxx::work& tx) {
          return queries::list_conversations(tx, caller, before);
        }));
    },
    [&st](conv_get_atom, int64_t caller,
          int64_t id) -> caf::result<conversation> {
      return reply(transact<conversation>(st, "conv_get", [&](pqxx::work& tx) {
        return queries::get_conversation(tx, caller, id);
      }));
    },
    [&st](other_atom, int64_t caller, int64_t id) -> caf::result<user> {
      return reply(transact<user>(st, "other", [&](pqxx::work& tx) {
        return queries::other_participant(tx, caller, id);
      }));
    },
    [self](msg_post_atom, int64_t caller, int64_t conv, std::string& content,
           std::string& key) -> caf::result<posted_message> {
      // Group commit: queue the post and flush after the mailbox's other
      // posts joined it (post_batch.hpp).
      auto& st = self->state;
      st.posts.push_back(pending_post{
        queries::new_message{caller, conv, std::move(content), std::move(key)},
        self->make_response_promise()});
      st.post_flush.arm(self, flush_atom::value);
      return caf::delegated<posted_message>{};
    },
    [self](flush_atom) { flush_posts(self); },
    [&st](msg_list_atom, int64_t caller, int64_t conv,
          int64_t before) -> caf::result<message_list> {
      return reply(transact<message_list>(st, "msg_list", [&](pqxx::work& tx) {
        return queries::list_messages(tx, caller, conv, before);
      }));
    },
    [&st](read_atom, int64_t caller, int64_t conv) -> caf::result<bool> {
      auto done = transact<bool>(st, "read", [&](pqxx::work& tx) {
        auto ok = queries::mark_read(tx, caller, conv);
        return ok ? caf::expected<bool>{true} : caf::expected<bool>{ok.error()};
      });
      return reply(std::move(done));
    },
    [self](replay_atom, int64_t user, int64_t after,
           int64_t limit) -> caf::result<inbox_page> {
      // Read with the others in the mailbox (replay_batch.hpp).
      auto& st = self->state;
      st.replays.push_back(
        pending_replay{queries::inbox_request{user, after, limit},
                       self->make_response_promise()});
      st.replay_flush.arm(self, replays_atom::value);
      return caf::delegated<inbox_page>{};
    },
    [self](replays_atom) { flush_replays(self); },
    [&st](health_atom) -> caf::result<bool> {
      return reply(transact<bool, pqxx::nontransaction>(
        st, "health", [&](pqxx::transaction_base& tx) {
          tx.exec("SELECT 1");
          return caf::expected<bool>{true};
        }));
    },
  };
}

namespace {

// The pool's dispatch: a post to the writer of its conversation, anything
// else round robin over the readers. Runs in the sender's context, under
// the pool's lock.
caf::actor_pool::policy shard_posts(size_t writers) {
  auto next = std::make_shared<std::atomic<size_t>>(0);
  return
    [next, writers](caf::actor_system&, caf::actor_pool::uplock& guard,
                    const caf::actor_pool::actor_vec& workers,
                    caf::mailbox_element_ptr& ptr, caf::execution_unit* host) {
      if (workers.empty())
        return; // defensive: actor_pool answers by itself when none are left
      // The pool drops a worker that dies, so there may be fewer workers,
      // even fewer than `writers`, than it started with.
      auto n = workers.size();
      auto w = std::min(writers, n);
      const auto& msg = ptr->content();
      size_t i = 0;
      if (msg.match_elements<msg_post_atom, int64_t, int64_t, std::string,
                             std::string>())
        i = static_cast<size_t>(msg.get_as<int64_t>(2)) % w;
      else if (n > w)
        i = w + (*next)++ % (n - w);
      else
        i = (*next)++ % n;
      auto worker = workers[i];
      guard.unlock();
      worker->enqueue(std::move(ptr), host);
    };
}

} // namespace

caf::actor spawn_db_pool(caf::actor_system& sys, const std::string& db_url,
                         size_t size, size_t writers, caf::actor broker,
                         std::shared_ptr<metrics> counters,
                         std::chrono::milliseconds statement_timeout) {
  caf::scoped_execution_unit ctx{&sys};
  // At least one writer (the dispatch divides by it), at most the pool.
  writers = std::clamp<size_t>(writers, 1, size);
  if (counters) {
    counters->db_workers = size;
    counters->db_writers = writers;
  }
  // Detached: each worker has its own thread, so blocking libpqxx calls
  // never stall CAF's shared scheduler threads. The pool calls the factory
  // once per worker, in order: the count is each worker's index.
  auto factory = [&sys, url = with_connection_defaults(db_url), broker,
                  counters, statement_timeout, next = size_t{0}]() mutable {
    return sys.spawn<caf::detached>(db_worker, url, broker, counters, next++,
                                    statement_timeout);
  };
  return caf::actor_pool::make(&ctx, size, factory, shard_posts(writers));
}

} // namespace parley
