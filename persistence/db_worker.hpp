#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <caf/response_promise.hpp>

#include <caf/actor.hpp>
#include <caf/stateful_actor.hpp>
#include <pqxx/connection>

#include "actors/metrics.hpp"
#include "persistence/flush_gate.hpp"
#include "persistence/inbox_queries.hpp"
#include "persistence/post_queries.hpp"

namespace parley {

/// A message post waiting for its worker's next group commit.
struct pending_post {
  queries::new_message input;
  caf::response_promise reply;
};

/// An inbox read waiting for its worker's next grouped read.
struct pending_replay {
  queries::inbox_request input;
  caf::response_promise reply;
};

/// State of one database worker: one libpqxx connection, opened lazily and
/// reopened after a failure, so a database outage heals by itself.
struct db_worker_state {
  static inline const char* name = "db_worker";
  std::string db_url;
  caf::actor broker; ///< receives `deliver` after a message commits
  std::unique_ptr<pqxx::connection> conn;
  std::vector<pending_post> posts;     ///< queued for the next group commit
  flush_gate post_flush;               ///< when they go (flush_atom)
  std::vector<pending_replay> replays; ///< queued for the next grouped read
  flush_gate replay_flush;             ///< when they go (replays_atom)
  std::shared_ptr<metrics> counters;   ///< may be null (tests)
  size_t index = 0;                    ///< place in the pool, for /metrics
  std::chrono::milliseconds statement_timeout{0}; ///< 0: the server's own
  caf::scheduled_actor* self = nullptr;

  ~db_worker_state();

  /// Records a statement's latency, and this worker's mailbox size (only
  /// the worker may read its own mailbox).
  void observe(const char* statement, std::chrono::nanoseconds took);

  /// Opens the connection if needed; false (logged) if the database is down.
  /// First reads, without blocking, what the server sent while the
  /// connection idled: one it closed (a restart, an idle timeout) is
  /// replaced here, before a statement whose outcome would then be unknown
  /// is sent on it.
  bool connect();
};

/// A database worker. Handlers (all replies are caf::error on failure, with
/// ec::db_unavailable when the database cannot be reached):
/// - (login_atom, username) -> user            find or create; forbidden
///                                             for a GitHub user
/// - (github_login_atom, github_id, login, avatar_url) -> user
///                                             find or create by GitHub id
/// - (user_get_atom, id) -> user
/// - (search_atom, caller, prefix) -> vector<string>
/// - (conv_new_atom, caller, username) -> conversation_reply
/// - (conv_list_atom, caller, before) -> conversation_list
/// - (conv_get_atom, caller, id) -> conversation
/// - (other_atom, caller, conversation_id) -> user
/// - (msg_post_atom, caller, conversation_id, content, key) ->
///   posted_message, saved with the others queued (post_batch.hpp); key: the
///   Idempotency-Key, "" for none
/// - (msg_list_atom, caller, conversation_id, before) -> message_list
/// - (read_atom, caller, conversation_id) -> bool
/// - (replay_atom, user, after_seq, limit) -> inbox_page
///                                             read with the others queued
///                                             (replay_batch.hpp)
/// - (health_atom) -> bool
/// It runs blocking libpqxx calls: spawn it `detached` in production.
/// `counters` (may be null) gets its statement latencies and mailbox size
/// as worker number `index`.
caf::behavior db_worker(caf::stateful_actor<db_worker_state>* self,
                        std::string db_url, caf::actor broker,
                        std::shared_ptr<metrics> counters, size_t index,
                        std::chrono::milliseconds statement_timeout);

/// Spawns `size` detached workers behind one pool actor. Posts go to one of
/// the first `writers` workers, chosen by conversation (so one
/// conversation's posts share a group commit and never wait for each
/// other's row locks; fewer writers make larger batches); everything else
/// goes round robin over the other workers (over all when there are none).
/// Each worker's statements are cancelled after `statement_timeout` (0:
/// the database's own setting).
caf::actor spawn_db_pool(caf::actor_system& sys, const std::string& db_url,
                         size_t size, size_t writers, caf::actor broker,
                         std::shared_ptr<metrics> counters,
                         std::chrono::milliseconds statement_timeout);

} // namespace parley
