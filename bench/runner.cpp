#include "runner.hpp"

#include <cmath>
#include <cstdio>

#include <boost/asio/post.hpp>

namespace parley::bench {

namespace {

using clock = std::chrono::steady_clock;

clock::duration seconds(double s) {
  return std::chrono::duration_cast<clock::duration>(
    std::chrono::duration<double>(s));
}

// Streams that end on their own reconnect at most this often (a bound, so
// that a dead server cannot keep the generator busy).
constexpr uint16_t max_reconnects = 5;

} // namespace

runner::runner(const options& o)
    : opt(o),
      tgt(o),
      server(asio::ip::make_address(o.host), o.port),
      sources(o.sources),
      work_(asio::make_work_guard(ioc)),
      started_(clock::now()),
      deadline_(started_ + seconds(o.deadline)),
      next_progress_(started_ + seconds(o.progress)) {}

runner::~runner() {
  // Sockets close before the io_context goes; pending handlers are then
  // destroyed without running.
  closing_ = true;
  for (auto& s : streams)
    s->drop();
  for (auto& c : setup_conns_)
    c->close();
}

double runner::elapsed() const {
  return std::chrono::duration<double>(clock::now() - started_).count();
}

void runner::set_progress(std::function<std::string()> line) {
  progress_ = std::move(line);
}

bool runner::run_until(const std::function<bool()>& done, double secs) {
  auto until = clock::now() + seconds(secs);
  while (!done()) {
    auto now = clock::now();
    if (now >= deadline_)
      throw deadline_error{"the run's time bound (--deadline "
                           + std::to_string(std::lround(opt.deadline))
                           + " s) passed"};
    if (now >= until)
      return false;
    if (opt.progress > 0 && now >= next_progress_ && progress_) {
      next_progress_ = now + seconds(opt.progress);
      std::fprintf(stderr, "[%6.1fs] %s\n", elapsed(), progress_().c_str());
    }
    ioc.run_one_for(std::chrono::milliseconds(10));
    // Then whatever else is ready, bounded so `done` is checked often.
    for (int i = 0; i < 64 && ioc.poll_one() > 0; ++i) {
    }
  }
  return true;
}

bool runner::run_requests(
  std::vector<std::string> requests,
  std::function<bool(size_t, int, const std::string&)> check,
  std::string& error) {
  while (setup_conns_.size() < opt.setup_concurrency)
    setup_conns_.push_back(std::make_unique<http_conn>(
      ioc, server, sources,
      std::chrono::milliseconds(
        static_cast<int64_t>(opt.request_timeout * 1000))));
  // Shared with the callbacks, which may outlive this call on a timeout.
  struct state {
    std::vector<std::string> requests;
    size_t next = 0, done = 0, failed = 0;
    std::string error;
  };
  auto st = std::make_shared<state>();
  st->requests = std::move(requests);
  std::function<void(http_conn*)> kick = [st, check, &kick](http_conn* c) {
    if (st->next >= st->requests.size())
      return;
    auto i = st->next++;
    c->request(std::move(st->requests[i]),
               [st, check, c, i, kick](int status, const std::string& body) {
                 if (!check(i, status, body)) {
                   if (st->failed++ == 0)
                     st->error = "status " + std::to_string(status) + ": "
                                 + body.substr(0, 200);
                 }
                 st->done++;
                 kick(c);
               });
  };
  for (auto& c : setup_conns_)
    kick(c.get());
  auto total = st->requests.size();
  bool finished = run_until([&] { return st->done == total; },
                            opt.request_timeout * 2 + total / 200.0);
  // The callbacks hold their own copy of `kick`; stop it reaching ours.
  st->next = total;
  if (!finished) {
    error = "timed out (" + std::to_string(st->done) + " of "
            + std::to_string(total) + " answered)";
    for (auto& c : setup_conns_)
      c->close();
    return false;
  }
  if (st->failed > 0) {
    error = std::to_string(st->failed) + " failed; first: " + st->error;
    return false;
  }
  return true;
}

bool runner::setup_users(uint32_t count, std::string& error) {
  users.assign(count, {});
  for (uint32_t i = 0; i < count; ++i)
    users[i].name = opt.prefix + "u" + std::to_string(i);
  if (tgt.kind() == target_kind::nchan)
    return true;
  std::vector<std::string> logins;
  for (const auto& u : users)
    logins.push_back(tgt.login(u.name));
  auto login_ok = [this](size_t i, int status, const std::string& body) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (status != 200 || !j.is_object() || !j.contains("token"))
      return false;
    users[i].token = j.value("token", "");
    users[i].id = j["authUser"].value("id", "");
    return !users[i].token.empty();
  };
  if (!run_requests(std::move(logins), login_ok, error)) {
    error = "login: " + error;
    return false;
  }
  std::vector<std::string> convs;
  for (uint32_t i = 0; i + 1 < count; i += 2)
    convs.push_back(tgt.create_conversation(users[i], users[i + 1].name));
  auto conv_ok = [this](size_t k, int status, const std::string& body) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if ((status != 200 && status != 201) || !j.is_object())
      return false;
    users[2 * k].conv = users[2 * k + 1].conv = j.value("id", "");
    return !users[2 * k].conv.empty();
  };
  if (!run_requests(std::move(convs), conv_ok, error)) {
    error = "create conversation: " + error;
    return false;
  }
  return true;
}

void runner::create_streams(uint32_t count) {
  streams.clear();
  std::vector<uint32_t> owner;
  for (uint32_t i = 0; i < count; ++i) {
    auto u = static_cast<uint32_t>(i % users.size());
    streams.push_back(std::make_unique<sse_conn>(ioc, i, u, *this));
    owner.push_back(u);
  }
  book.init(users.size(), owner);
}

void runner::connect(uint32_t i) {
  connect_queue_.push_back(i);
  // Deferred: a listener callback must not reopen a stream in its stack.
  if (!pump_posted_) {
    pump_posted_ = true;
    asio::post(ioc, [this] {
      pump_posted_ = false;
      pump_connects();
    });
  }
}

void runner::pump_connects() {
  while (!closing_ && connecting < opt.connect_concurrency
         && !connect_queue_.empty()) {
    auto& c = *streams[connect_queue_.front()];
    connect_queue_.pop_front();
    c.resumed = !c.last_id.empty();
    c.holds_slot = true;
    ++connecting;
    c.open(server, sources.next(), tgt.stream(users[c.user], c.last_id));
  }
}

void runner::release(sse_conn& c) {
  if (c.holds_slot) {
    c.holds_slot = false;
    --connecting;
    pump_connects();
  }
}

void runner::drop_all() {
  for (auto& s : streams) {
    s->drop();
    if (s->live)
      --live;
    s->live = false;
    if (s->holds_slot) {
      s->holds_slot = false;
      --connecting;
    }
  }
  connect_queue_.clear();
}

void runner::close_all() {
  closing_ = true;
  drop_all();
}

void runner::on_head(sse_conn& c, int status) {
  if (status != 200) {
    ++faults.bad_status;
    return; // the response ends and on_closed follows
  }
  // A fresh Parley stream is live at its cursor (`id:` line); a resumed
  // one, and an Nchan one, as soon as the stream starts.
  if ((c.resumed || tgt.kind() == target_kind::nchan) && !c.live) {
    c.live = true;
    ++live;
  }
  release(c);
}

void runner::on_event(sse_conn& c, std::string_view id, bool has_id,
                      std::string_view type, std::string_view data) {
  auto now = now_ns();
  if (has_id) {
    c.last_id.assign(id);
    if (tgt.kind() == target_kind::parley) {
      int64_t seq = 0;
      for (char ch : id)
        seq = ch >= '0' && ch <= '9' ? seq * 10 + (ch - '0') : seq;
      if (c.last_seq >= 0 && seq <= c.last_seq && type != "reset")
        ++faults.out_of_order;
      c.last_seq = seq;
    }
  }
  if (type == "reset")
    ++faults.resets;
  if (!c.live) {
    c.live = true;
    ++live;
  }
  if (data.empty() || type == "reset")
    return;
  payload p;
  if (!parse_payload(data, p)) {
    ++faults.unparsable;
    return;
  }
  if (p.user != c.user) {
    ++faults.misrouted;
    return;
  }
  if (!book.received(c.index, p.user, p.n))
    return;
  ++deliveries;
  last_delivery_ns = now;
  if (measuring)
    latency.record((now - p.sent_ns) / 1000);
}

void runner::on_comment(sse_conn&) {}

void runner::on_closed(sse_conn& c, const std::string& why) {
  if (c.live)
    --live;
  c.live = false;
  release(c);
  if (closing_)
    return;
  if (faults.stream_drops++ == 0)
    faults.first_stream_error = why;
  if (c.reconnects < max_reconnects) {
    ++c.reconnects;
    connect(c.index);
  }
}

} // namespace parley::bench
