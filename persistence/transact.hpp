#pragma once

#include <caf/expected.hpp>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "actors/errors.hpp"
#include "persistence/db_worker.hpp"

namespace parley {

/// What a connection lost during `f` means.
enum class when_lost {
  retry,           ///< nothing committed: retried once on a fresh connection
  outcome_unknown, ///< the statement was its own commit: never retried
};

/// Runs `f(tx)` in one transaction and turns every libpqxx exception into a
/// caf::error here, at the actor boundary. Deadlocks and serialisation
/// failures undid everything and are retried. `Tx` = pqxx::nontransaction
/// runs without BEGIN and COMMIT (one round trip, not three): a single read,
/// or a single write that is its own transaction (see autocommit()).
template <class T, class Tx = pqxx::work, when_lost Lost = when_lost::retry,
          class F>
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
      st.conn.reset();
      if constexpr (Lost == when_lost::outcome_unknown) {
        spdlog::error("{}: connection lost, outcome unknown: {}", what,
                      e.what());
        return make_error(ec::db_unavailable);
      }
      spdlog::warn("{}: connection lost: {}", what, e.what());
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
/// and that is never retried (a retry could store it twice). connect() has
/// replaced a connection the server closed while it idled (a restart) before
/// anything is sent on it.
template <class T, class F>
caf::expected<T> autocommit(db_worker_state& st, const char* what, F f) {
  return transact<T, pqxx::nontransaction, when_lost::outcome_unknown>(
    st, what, std::move(f));
}

} // namespace parley
