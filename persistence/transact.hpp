#pragma once

#include <caf/expected.hpp>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "actors/errors.hpp"
#include "persistence/db_worker.hpp"

namespace parley {

/// Runs `f(tx)` in one transaction and turns every libpqxx exception into a
/// caf::error here, at the actor boundary. A broken connection before commit
/// rolled nothing forward, so it is retried once on a fresh connection; so are
/// deadlocks and serialisation failures. `Tx` = pqxx::nontransaction runs a
/// single read statement without BEGIN and COMMIT (one round trip, not three).
template <class T, class Tx = pqxx::work, class F>
caf::expected<T> transact(db_worker_state& st, const char* what, F f) {
  constexpr int attempts = 3;
  for (int attempt = 1;; ++attempt) {
    if (!st.connect())
      return make_error(ec::db_unavailable);
    try {
      Tx tx{*st.conn};
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

/// Runs `f(tx)`, one writing statement, as its own transaction: no BEGIN and
/// no COMMIT, so one round trip instead of three. Its commit travels with the
/// statement, so a connection lost while it runs leaves the outcome unknown,
/// and that is never retried (a retry could store it twice). A connection the
/// server closed while we idled (a restart) is replaced before anything is
/// sent on it. A rollback (deadlock, serialisation) undid the whole statement
/// and is retried.
template <class T, class F>
caf::expected<T> autocommit(db_worker_state& st, const char* what, F f) {
  constexpr int attempts = 3;
  for (int attempt = 1;; ++attempt) {
    if (!st.connect_fresh())
      return make_error(ec::db_unavailable);
    try {
      pqxx::nontransaction tx{*st.conn};
      return f(tx);
    } catch (const pqxx::broken_connection& e) {
      spdlog::error("{}: connection lost, outcome unknown: {}", what, e.what());
      st.conn.reset();
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

} // namespace parley
