#include "persistence/db_worker.hpp"

#include <caf/all.hpp>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "actors/atoms.hpp"
#include "actors/errors.hpp"
#include "persistence/queries.hpp"

namespace parley {

db_worker_state::~db_worker_state() = default;

bool db_worker_state::connect() {
  if (conn && conn->is_open())
    return true;
  try {
    conn = std::make_unique<pqxx::connection>(db_url);
    queries::prepare(*conn);
    return true;
  } catch (const std::exception& e) {
    spdlog::warn("database connect failed: {}", e.what());
    conn.reset();
    return false;
  }
}

namespace {

// Runs `f(tx)` in one transaction and turns every libpqxx exception into a
// caf::error here, at the actor boundary. A broken connection before commit
// rolled nothing forward, so it is retried once on a fresh connection; so are
// deadlocks and serialisation failures.
template <class T, class F>
caf::expected<T> transact(db_worker_state& st, const char* what, F f) {
  constexpr int attempts = 3;
  for (int attempt = 1;; ++attempt) {
    if (!st.connect())
      return make_error(ec::db_unavailable);
    try {
      pqxx::work tx{*st.conn};
      caf::expected<T> result = f(tx);
      if (result)
        tx.commit();
      return result;
    } catch (const pqxx::in_doubt_error& e) {
      spdlog::error("{}: commit outcome unknown: {}", what, e.what());
      st.conn.reset();
      return make_error(ec::db_unavailable);
    } catch (const pqxx::broken_connection& e) {
      spdlog::warn("{}: connection lost: {}", what, e.what());
      st.conn.reset();
      if (attempt >= 2)
        return make_error(ec::db_unavailable);
    } catch (const pqxx::transaction_rollback& e) {
      spdlog::warn("{}: rolled back, attempt {}: {}", what, attempt, e.what());
      if (attempt >= attempts)
        return make_error(ec::db_unavailable);
    } catch (const std::exception& e) {
      spdlog::error("{}: {}", what, e.what());
      if (!st.conn->is_open())
        st.conn.reset();
      return make_error(ec::db_error);
    }
  }
}

// Turns an expected into what a handler returns.
template <class T>
caf::result<T> reply(caf::expected<T>&& x) {
  if (x)
    return std::move(*x);
  return std::move(x.error());
}

} // namespace

caf::behavior db_worker(caf::stateful_actor<db_worker_state>* self,
                        std::string db_url, caf::actor broker) {
  self->state.db_url = std::move(db_url);
  self->state.broker = std::move(broker);
  auto& st = self->state;
  return {
    [&st](login_atom, const std::string& name) -> caf::result<user> {
      return reply(transact<user>(st, "login", [&](pqxx::work& tx) {
        return queries::find_or_create_user(tx, name);
      }));
    },
    [&st](user_get_atom, int64_t id) -> caf::result<user> {
      return reply(transact<user>(st, "user_get", [&](pqxx::work& tx) {
        return queries::find_user(tx, id);
      }));
    },
    [&st](search_atom, int64_t caller, const std::string& prefix)
      -> caf::result<std::vector<std::string>> {
      using names = std::vector<std::string>;
      return reply(transact<names>(st, "search", [&](pqxx::work& tx) {
        return queries::search_usernames(tx, caller, prefix);
      }));
    },
    [&st](conv_new_atom, int64_t caller, const std::string& name)
      -> caf::result<conversation_reply> {
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
    [self](msg_post_atom, int64_t caller, int64_t conv,
           const std::string& content) -> caf::result<message> {
      auto created = transact<created_message>(
        self->state, "msg_post", [&](pqxx::work& tx) {
          return queries::create_message(tx, caller, conv, content);
        });
      if (!created)
        return std::move(created.error());
      // Committed: hand it to live delivery. The broadcast is a send.
      if (self->state.broker)
        self->send(self->state.broker, deliver_atom::value, *created);
      return created->msg;
    },
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
    [&st](replay_atom, int64_t user, int64_t after,
          int64_t limit) -> caf::result<inbox_page> {
      return reply(transact<inbox_page>(st, "replay", [&](pqxx::work& tx) {
        return queries::read_inbox(tx, user, after, limit);
      }));
    },
    [&st](health_atom) -> caf::result<bool> {
      return reply(transact<bool>(st, "health", [&](pqxx::work& tx) {
        tx.exec("SELECT 1");
        return caf::expected<bool>{true};
      }));
    },
  };
}

caf::actor spawn_db_pool(caf::actor_system& sys, const std::string& db_url,
                         size_t size, caf::actor broker) {
  caf::scoped_execution_unit ctx{&sys};
  // Detached: each worker has its own thread, so blocking libpqxx calls
  // never stall CAF's shared scheduler threads.
  auto factory = [&sys, db_url, broker] {
    return sys.spawn<caf::detached>(db_worker, db_url, broker);
  };
  return caf::actor_pool::make(&ctx, size, factory,
                               caf::actor_pool::round_robin());
}

} // namespace parley
