#pragma once

#include <caf/expected.hpp>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "actors/errors.hpp"
#include "persistence/db_worker.hpp"

namespace parley {

/// What a failure while `f` runs means.
enum class when_lost {
  retry,           ///< nothing committed before COMMIT: a lost connection is
                   ///< retried once on a fresh connection
  outcome_unknown, ///< the statement was its own commit: a lost connection,
                   ///< or a failure after its result came back, is never
                   ///< retried (a retry could store it twice)
};

/// Records, when it goes out of scope, how long a statement took, retries
/// and reconnects included (db_worker_state::observe).
class statement_timer {
public:
  statement_timer(db_worker_state& st, const char* what)
      : st_(st), what_(what), started_(std::chrono::steady_clock::now()) {}
  statement_timer(const statement_timer&) = delete;
  statement_timer& operator=(const statement_timer&) = delete;
  ~statement_timer() {
    st_.observe(what_, std::chrono::steady_clock::now() - started_);
  }

private:
  db_worker_state& st_;
  const char* what_;
  std::chrono::steady_clock::time_point started_;
};

/// Runs `f(tx)` in one transaction and turns every libpqxx exception into a
/// caf::error here, at the actor boundary. Deadlocks and serialisation
/// failures undid everything and are retried, as is a connection found lost
/// before anything was sent. `Tx` = pqxx::nontransaction runs without BEGIN
/// and COMMIT (one round trip, not three): a single read, or a single write
/// that is its own transaction (see autocommit()).
template <class T, class Tx = pqxx::work, when_lost Lost = when_lost::retry,
          class F>
caf::expected<T> transact(db_worker_state& st, const char* what, F f) {
  constexpr int attempts = 3;
  statement_timer timer{st, what};
  for (int attempt = 1;; ++attempt) {
    if (!st.connect())
      return make_error(ec::db_unavailable);
    bool begun = false; // Tx began: what follows may be a commit
    try {
      Tx tx{*st.conn}; // sends at most a BEGIN: nothing to lose yet
      begun = true;
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
      if (Lost == when_lost::outcome_unknown && begun) {
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
    } catch (const pqxx::sql_error& e) {
      if (e.sqlstate() == "57014") {
        // Cancelled by statement_timeout (a lock wait, a hung server):
        // nothing written, and trying again, or post by post, would wait
        // as long again.
        spdlog::error("{}: cancelled: {}", what, e.what());
        return make_error(ec::db_unavailable);
      }
      // The database refused the statement: it wrote nothing.
      spdlog::error("{}: {}", what, e.what());
      return make_error(ec::db_error);
    } catch (const std::exception& e) {
      if (!st.conn->is_open())
        st.conn.reset();
      if (Lost == when_lost::outcome_unknown && begun) {
        // Not the database's refusal: the statement may have committed
        // before this (reading its rows, say). Unknown, so not retried.
        spdlog::error("{}: failed after the statement, outcome unknown: {}",
                      what, e.what());
        return make_error(ec::db_unavailable);
      }
      spdlog::error("{}: {}", what, e.what());
      return make_error(ec::db_error);
    }
  }
}

/// Runs `f(tx)`, one writing statement, as its own transaction: no BEGIN and
/// no COMMIT, so one round trip instead of three. Its commit travels with the
/// statement, so a connection lost while it runs leaves the outcome unknown,
/// and that is never retried (a retry could store it twice). A connection
/// the server closed while it idled (a restart) is found before anything is
/// sent, by connect() or when the statement's Tx is made, and replaced.
template <class T, class F>
caf::expected<T> autocommit(db_worker_state& st, const char* what, F f) {
  return transact<T, pqxx::nontransaction, when_lost::outcome_unknown>(
    st, what, std::move(f));
}

} // namespace parley
