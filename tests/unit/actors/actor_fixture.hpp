#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "actors/events.hpp"
#include "actors/stream_sink.hpp"

namespace parley::test {

/// An actor system on CAF's deterministic test scheduler: nothing runs until
/// the test says so, all on this thread, so every interleaving is chosen.
/// (caf/test/dsl.hpp cannot be used under Catch2; see STYLE.md.)
struct actor_fixture {
  static caf::actor_system_config& make_config(caf::actor_system_config& cfg) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    return cfg;
  }

  caf::actor_system_config cfg;
  caf::actor_system sys{make_config(cfg)};
  caf::scheduler::test_coordinator& sched
    = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  std::vector<caf::actor> spawned;

  /// Runs every pending message; does not fire timeouts.
  void run() {
    sched.run();
  }

  /// Fires due delayed messages (heartbeats, gap checks), then runs.
  void advance(caf::timespan by) {
    sched.advance_time(by);
    run();
  }

  template <class... Ts>
  caf::actor spawn(Ts&&... xs) {
    auto a = sys.spawn(std::forward<Ts>(xs)...);
    spawned.push_back(a);
    return a;
  }

  /// Stops every actor and drains messages and timeouts, so that
  /// ~actor_system does not wait forever on a pending request.
  ~actor_fixture() {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    for (int i = 0;
         i < 1000 && (sched.has_job() || sched.has_pending_timeout()); ++i) {
      sched.run();
      sched.trigger_timeouts();
    }
  }
};

/// A stream sink that records what it was given (single-threaded tests).
struct recording_sink : stream_sink {
  std::vector<std::string> writes;
  bool closed = false;

  void write(shared_bytes bytes) override {
    writes.push_back(*bytes);
  }
  void close() override {
    closed = true;
  }
  void open() override {
    ++opens;
  }
  int opens = 0;
  void refuse(refusal why) override {
    refused = why;
  }
  std::optional<refusal> refused;
  void notify_drained(caf::actor listener) override {
    ++drain_requests;
    caf::anon_send(listener, drained_atom::value); // written at once
  }
  int drain_requests = 0;

  /// The seqs of the `id:` lines written, in order (data events only).
  std::vector<int64_t> data_ids() const {
    std::vector<int64_t> ids;
    for (const auto& w : writes)
      if (w.rfind("id: ", 0) == 0 && w.find("\ndata: ") != std::string::npos)
        ids.push_back(std::stoll(w.substr(4)));
    return ids;
  }
};

/// Formats an event the way the tests can read back: "id: N\ndata: <msg>".
inline std::string test_format(const message& m, int64_t receiver,
                               int64_t seq) {
  return "id: " + std::to_string(seq) + "\ndata: " + std::to_string(m.id)
         + (m.user_id == receiver ? " own" : "") + "\n\n";
}

using release_atom = caf::atom_constant<caf::atom("release")>;

/// A stand-in for the database pool's inbox: answers (replay_atom, …) from
/// `inbox`, either at once or, with `hold`, only on (release_atom) — so a
/// test can deliver live events while a replay is "in flight".
struct fake_inbox_state {
  static inline const char* name = "fake_inbox";
  std::shared_ptr<std::map<int64_t, message>> inbox; // seq -> message
  bool hold = false;
  std::vector<std::pair<caf::response_promise, std::vector<int64_t>>> held;
  int requests = 0;
};

inline inbox_page read_page(const std::map<int64_t, message>& inbox,
                            int64_t after, int64_t limit) {
  inbox_page page;
  page.last_seq = inbox.empty() ? 0 : inbox.rbegin()->first;
  page.min_seq = inbox.empty() ? 0 : inbox.begin()->first;
  if (after < 0 || limit <= 0)
    return page;
  for (auto it = inbox.upper_bound(after);
       it != inbox.end() && static_cast<int64_t>(page.events.size()) < limit;
       ++it)
    page.events.push_back(inbox_event{it->first, it->second});
  return page;
}

inline caf::behavior
fake_inbox(caf::stateful_actor<fake_inbox_state>* self,
           std::shared_ptr<std::map<int64_t, message>> inbox, bool hold) {
  self->state.inbox = std::move(inbox);
  self->state.hold = hold;
  return {
    [self](replay_atom, int64_t, int64_t after,
           int64_t limit) -> caf::result<inbox_page> {
      auto& st = self->state;
      ++st.requests;
      if (!st.hold)
        return read_page(*st.inbox, after, limit);
      auto rp = self->make_response_promise();
      st.held.emplace_back(rp, std::vector<int64_t>{after, limit});
      return caf::delegated<inbox_page>{};
    },
    [self](release_atom) {
      auto& st = self->state;
      st.hold = false;
      for (auto& [rp, args] : st.held)
        rp.deliver(read_page(*st.inbox, args[0], args[1]));
      st.held.clear();
    },
  };
}

/// A message `id` in conversation 1 from `sender`.
inline message msg(int64_t id, int64_t sender) {
  return message{id, "m" + std::to_string(id), sender, 1, "t"};
}

} // namespace parley::test
