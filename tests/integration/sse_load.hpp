#pragma once

// Shared machinery of the event-stream load tests (concurrency, restart):
// a world of users in conversations, poster threads that record what every
// POST came to, and the checks that compare what streams received with what
// the server said it created.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "api.hpp"
#include "sse_client.hpp"

namespace itest {

/// Users on a ring, each in a conversation with its next `neighbours`
/// users (so each user has 2 × neighbours conversations).
struct load_world {
  struct conversation {
    std::string id;
    int a = 0;
    int b = 0;
  };

  std::vector<user_session> users;
  std::vector<conversation> conversations;
  std::map<std::string, int> conversation_index; // id -> index
  std::vector<std::vector<int>>
    conversations_of; // user -> conversation indices

  /// REQUIREs every login and conversation; call from the test thread.
  static load_world ring(const api& client, int users, int neighbours);

  /// True if `user` takes part in conversation `index`.
  bool in(int user, int index) const;
};

/// What one POST of the load came to.
struct post_attempt {
  enum class outcome {
    created,  ///< 201: the message exists
    rejected, ///< any other status: it was not created
    not_sent, ///< the connection was refused: no byte of it reached a server
    unknown,  ///< no answer (reset, cut, timeout): it may exist
  };

  int sender = 0;
  int conversation = 0;
  std::string content; ///< unique, already in normal form
  outcome result = outcome::unknown;
  int status = 0;
  nlohmann::json body; ///< the 201 body (a Message)
  std::string error;
};

/// Poster threads: each owns the users whose index is its number modulo
/// the thread count and posts, as a random one of them, to a random one of
/// that user's conversations. The port is read before every POST; 0 means
/// "no server right now", and the poster waits.
class poster_pool {
public:
  poster_pool(const load_world& world, std::atomic<std::uint16_t>& port,
              int threads, std::uint32_t seed);
  ~poster_pool();

  /// Starts the threads; each stops after `per_thread` attempts or stop().
  void start(int per_thread);

  /// Stops and joins the threads. Idempotent.
  void stop();

  /// Joins the threads once they did their attempts (bounded); true if
  /// they all finished in time.
  bool wait_done(std::chrono::milliseconds timeout);

  /// Number of 201s so far.
  std::size_t created() const {
    return created_;
  }

  /// Every attempt so far.
  std::vector<post_attempt> attempts() const;

private:
  void run(int thread, int per_thread);

  const load_world& world_;
  std::atomic<std::uint16_t>& port_;
  int threads_;
  std::uint32_t seed_;
  std::atomic<bool> stop_{false};
  std::atomic<int> running_{0};
  std::atomic<std::size_t> created_{0};
  mutable std::mutex mutex_;
  std::vector<post_attempt> attempts_;
  std::vector<std::thread> workers_;
};

/// Asks every recorder to stop when it goes out of scope, so that their
/// destructors (which join) do not wait for each other's poll, e.g. when a
/// REQUIRE leaves the test early. Declare it after the recorders.
struct stop_recorders {
  std::vector<std::unique_ptr<sse_recorder>>& recorders;
  ~stop_recorders() {
    for (auto& recorder : recorders)
      if (recorder)
        recorder->request_stop();
  }
};

/// What one stream of one user received, over all its connections.
struct stream_record {
  int user = 0;
  bool include_own = false;
  std::int64_t start_seq = 0; ///< the fresh stream's first `id:`
  std::vector<sse_event> events;
};

/// What the streams received, compared with the attempts. Empty: all good.
/// Per stream: seqs strictly increasing (above start_seq; gap-free with
/// include_own), no duplicate, nothing never attempted, refused or
/// rejected, nothing of another user's conversation, own messages only with
/// include_own, and every 201 that belongs there present with the 201's
/// exact JSON. Across streams: a message of unknown outcome that reached
/// one stream reached every stream it belongs on (it was committed), a
/// message has one id everywhere and one seq per user, and the two
/// participants of a conversation saw its messages in the same order
/// (commit order).
std::vector<std::string>
check_streams(const load_world& world,
              const std::vector<post_attempt>& attempts,
              const std::vector<stream_record>& records);

/// The number of events `record`'s stream must at least get: the 201s that
/// belong to it.
std::size_t expected_created(const load_world& world,
                             const std::vector<post_attempt>& attempts,
                             int user, bool include_own);

/// Waits until `recorder` (a stream of `user`) has received every created
/// message that belongs to it; false on timeout.
bool wait_complete(const load_world& world,
                   const std::vector<post_attempt>& attempts,
                   const sse_recorder& recorder, int user, bool include_own,
                   std::chrono::milliseconds timeout);

/// Writes `line` to stderr when PARLEY_TEST_VERBOSE is set (progress and
/// numbers of the load tests, for whoever tunes them).
void verbose(const std::string& line);

/// The first `limit` problems, one a line, with a count of the rest.
std::string summary(const std::vector<std::string>& problems,
                    std::size_t limit = 20);

} // namespace itest
