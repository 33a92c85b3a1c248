#include "sse_client.hpp"

#include <array>
#include <cctype>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

namespace itest {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

// Bounds a non-200 answer's body (an error reply is small).
constexpr std::size_t error_body_limit = 1024 * 1024;
// Bounds the response head.
constexpr std::size_t head_limit = 64 * 1024;

bool all_digits(std::string_view text) {
  if (text.empty())
    return false;
  for (char c : text)
    if (c < '0' || c > '9')
      return false;
  return true;
}

std::string trim(std::string_view text) {
  auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos)
    return {};
  auto end = text.find_last_not_of(" \t");
  return std::string{text.substr(begin, end - begin + 1)};
}

} // namespace

// --- sse_event -----------------------------------------------------------

std::int64_t sse_event::seq() const {
  if (!all_digits(last_event_id) || last_event_id.size() > 18)
    throw std::runtime_error("event's lastEventId is not a seq: '"
                             + last_event_id + "' (data: " + data + ")");
  return std::stoll(last_event_id);
}

nlohmann::json sse_event::json() const {
  auto parsed = nlohmann::json::parse(data, nullptr, false);
  if (parsed.is_discarded())
    throw std::runtime_error("event data is not JSON: " + data.substr(0, 500));
  return parsed;
}

// --- sse_parser ----------------------------------------------------------

void sse_parser::feed(std::string_view bytes) {
  static constexpr std::string_view bom = "\xEF\xBB\xBF";
  if (at_start_) {
    // One leading U+FEFF is not part of the stream.
    while (!bytes.empty() && bom_candidate_.size() < bom.size()) {
      bom_candidate_.push_back(bytes.front());
      bytes.remove_prefix(1);
      if (bom.compare(0, bom_candidate_.size(), bom_candidate_) != 0)
        break;
    }
    bool is_prefix = bom.compare(0, bom_candidate_.size(), bom_candidate_) == 0;
    if (is_prefix && bom_candidate_.size() < bom.size())
      return; // need more bytes to decide
    at_start_ = false;
    std::string replay = is_prefix ? std::string{} : bom_candidate_;
    bom_candidate_.clear();
    if (!replay.empty())
      feed(replay);
  }
  for (char c : bytes) {
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n')
        continue; // CRLF is one line end
    }
    if (c == '\r') {
      after_cr_ = true;
      on_line(line_);
      line_.clear();
    } else if (c == '\n') {
      on_line(line_);
      line_.clear();
    } else {
      line_.push_back(c);
    }
  }
}

void sse_parser::on_line(std::string_view line) {
  if (line.empty())
    return dispatch();
  if (line.front() == ':') {
    ++comment_count_;
    if (line.size() == 1)
      ++heartbeats_;
    if (comments_.size() < 1000)
      comments_.emplace_back(line.substr(1));
    return;
  }
  std::string_view field = line;
  std::string_view value;
  if (auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
  }
  if (field == "event") {
    event_type_ = std::string{value};
  } else if (field == "data") {
    data_ += value;
    data_ += '\n';
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos)
      id_buffer_ = std::string{value};
  } else if (field == "retry") {
    if (all_digits(value) && value.size() <= 18)
      retry_ms_ = std::stoll(std::string{value});
  }
  // Any other field is ignored.
}

void sse_parser::dispatch() {
  ++blocks_;
  last_event_id_ = id_buffer_;
  if (data_.empty()) {
    event_type_.clear();
    return;
  }
  if (data_.back() == '\n')
    data_.pop_back();
  sse_event event;
  event.type = event_type_.empty() ? "message" : event_type_;
  event.data = std::move(data_);
  event.last_event_id = last_event_id_;
  data_.clear();
  event_type_.clear();
  ++fired_;
  events_.push_back(std::move(event));
}

// --- sse_client ----------------------------------------------------------

struct sse_client::io {
  asio::io_context context;
  tcp::socket socket{context};
  std::array<char, 16384> buffer{};

  // Runs the context until `done` or `deadline`; on timeout cancels the
  // pending operation and lets its handler run. True if done in time.
  bool run(const bool& done, clock_type::time_point deadline) {
    context.restart();
    context.run_until(deadline);
    if (done)
      return true;
    boost::system::error_code ignored;
    socket.cancel(ignored);
    context.restart();
    context.run();
    return false;
  }
};

sse_client::sse_client(std::uint16_t port) : port_(port) {}

sse_client::~sse_client() {
  close();
}

http_response sse_client::open(const std::string& target,
                               const header_list& headers, millis timeout) {
  if (io_)
    throw std::logic_error("sse_client::open called twice");
  io_ = std::make_unique<io>();
  auto deadline = clock_type::now() + timeout;
  auto& socket = io_->socket;
  socket.open(tcp::v4());
  if (receive_buffer_ > 0)
    socket.set_option(asio::socket_base::receive_buffer_size{receive_buffer_});

  bool done = false;
  boost::system::error_code ec;
  socket.async_connect({asio::ip::make_address("127.0.0.1"), port_},
                       [&](boost::system::error_code e) {
                         ec = e;
                         done = true;
                       });
  if (!io_->run(done, deadline) || ec)
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port_)
                             + " failed: "
                             + (ec ? ec.message() : std::string{"timeout"}));

  std::string request
    = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_)
      + "\r\nUser-Agent: parley-integration-tests\r\n";
  for (const auto& [name, value] : headers)
    request += name + ": " + value + "\r\n";
  request += "\r\n";
  done = false;
  asio::async_write(socket, asio::buffer(request),
                    [&](boost::system::error_code e, std::size_t) {
                      ec = e;
                      done = true;
                    });
  if (!io_->run(done, deadline) || ec)
    throw std::runtime_error("writing the stream request failed: "
                             + (ec ? ec.message() : std::string{"timeout"}));

  std::string raw;
  std::size_t head_end = std::string::npos;
  while ((head_end = raw.find("\r\n\r\n")) == std::string::npos) {
    if (raw.size() > head_limit)
      throw std::runtime_error("response head over 64 KiB");
    if (read_some(raw, deadline) == 0
        && (ended_ || clock_type::now() >= deadline))
      throw std::runtime_error(
        "no complete response head "
        + (ended_ ? "before the connection ended (" + end_reason_ + ")"
                  : std::string{"within the timeout"})
        + "; received: " + raw.substr(0, 500));
  }

  http_response response;
  auto status_end = raw.find("\r\n");
  auto status_line = raw.substr(0, status_end);
  // "HTTP/1.1 200 OK"
  auto space = status_line.find(' ');
  if (status_line.compare(0, 5, "HTTP/") != 0 || space == std::string::npos)
    throw std::runtime_error("bad status line: " + status_line);
  response.status = std::atoi(status_line.c_str() + space + 1);
  std::size_t at = status_end + 2;
  while (at < head_end) {
    auto end = raw.find("\r\n", at);
    auto line = raw.substr(at, end - at);
    at = end + 2;
    auto colon = line.find(':');
    if (colon == std::string::npos)
      throw std::runtime_error("bad header line: " + line);
    response.headers.emplace_back(
      line.substr(0, colon), trim(std::string_view{line}.substr(colon + 1)));
  }
  std::string rest = raw.substr(head_end + 4);

  if (response.status == 200) {
    open_ = true;
    body_bytes_ += rest.size();
    parser_.feed(rest);
    return response;
  }
  // An error answer: read its body, then close.
  std::optional<std::size_t> length;
  auto length_text = response.header("Content-Length");
  if (!length_text.empty())
    length = static_cast<std::size_t>(std::stoull(length_text));
  while ((!length || rest.size() < *length) && rest.size() < error_body_limit
         && !ended_ && clock_type::now() < deadline)
    read_some(rest, deadline);
  if (length && rest.size() > *length)
    rest.resize(*length);
  response.body = std::move(rest);
  close();
  return response;
}

http_response
sse_client::connect(const std::string& token, const std::string& query,
                    const std::optional<std::string>& last_event_id,
                    millis timeout) {
  header_list headers{{"Accept", "text/event-stream"}};
  if (!token.empty())
    headers.emplace_back("Authorization", "Bearer " + token);
  if (last_event_id) {
    headers.emplace_back("Last-Event-ID", *last_event_id);
    parser_.seed_last_event_id(*last_event_id);
  }
  return open(stream_target(query), headers, timeout);
}

std::size_t sse_client::read_some(std::string& raw,
                                  clock_type::time_point deadline) {
  if (!io_ || ended_ || closed_ || clock_type::now() >= deadline)
    return 0;
  bool done = false;
  boost::system::error_code ec;
  std::size_t n = 0;
  io_->socket.async_read_some(asio::buffer(io_->buffer),
                              [&](boost::system::error_code e, std::size_t k) {
                                ec = e;
                                n = k;
                                done = true;
                              });
  io_->run(done, deadline);
  raw.append(io_->buffer.data(), n);
  if (ec && ec != asio::error::operation_aborted) {
    ended_ = true;
    end_reason_ = ec == asio::error::eof ? "eof" : ec.message();
  }
  return n;
}

bool sse_client::pump(clock_type::time_point deadline) {
  std::string chunk;
  auto n = read_some(chunk, deadline);
  if (n == 0)
    return false;
  body_bytes_ += n;
  parser_.feed(chunk);
  return true;
}

std::optional<sse_event> sse_client::next_event(millis timeout) {
  auto deadline = clock_type::now() + timeout;
  auto& queue = parser_.events();
  for (;;) {
    if (!queue.empty()) {
      auto event = std::move(queue.front());
      queue.pop_front();
      return event;
    }
    if (!is_open() || clock_type::now() >= deadline)
      return std::nullopt;
    pump(deadline);
  }
}

std::vector<sse_event> sse_client::read_events(std::size_t count,
                                               millis timeout) {
  auto deadline = clock_type::now() + timeout;
  std::vector<sse_event> out;
  while (out.size() < count) {
    auto left
      = std::chrono::duration_cast<millis>(deadline - clock_type::now());
    auto event = next_event(std::max(left, millis{0}));
    if (!event)
      break;
    out.push_back(std::move(*event));
  }
  return out;
}

std::vector<sse_event>
sse_client::read_until(const std::function<bool(const sse_event&)>& done,
                       millis timeout) {
  auto deadline = clock_type::now() + timeout;
  std::vector<sse_event> out;
  for (;;) {
    auto left
      = std::chrono::duration_cast<millis>(deadline - clock_type::now());
    auto event = next_event(std::max(left, millis{0}));
    if (!event)
      return out;
    out.push_back(std::move(*event));
    if (done(out.back()))
      return out;
  }
}

bool sse_client::wait_until(const std::function<bool()>& condition,
                            millis timeout) {
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    if (condition())
      return true;
    if (!is_open() || clock_type::now() >= deadline)
      return condition();
    pump(deadline);
  }
}

bool sse_client::wait_closed(millis timeout) {
  auto deadline = clock_type::now() + timeout;
  while (is_open() && clock_type::now() < deadline)
    pump(deadline);
  return ended_;
}

void sse_client::drain_for(millis window) {
  auto deadline = clock_type::now() + window;
  while (is_open() && clock_type::now() < deadline)
    pump(deadline);
}

void sse_client::close() {
  if (io_ && !closed_) {
    boost::system::error_code ignored;
    io_->socket.shutdown(tcp::socket::shutdown_both, ignored);
    io_->socket.close(ignored);
  }
  closed_ = true;
}

// --- sse_recorder --------------------------------------------------------

sse_recorder::~sse_recorder() {
  stop();
}

http_response
sse_recorder::start(std::uint16_t port, const std::string& token,
                    const std::string& query,
                    const std::optional<std::string>& last_event_id) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (running_)
      throw std::logic_error("sse_recorder::start while still reading");
  }
  if (thread_.joinable())
    thread_.join();
  auto client = std::make_shared<sse_client>(port);
  auto response = client->connect(token, query, last_event_id);
  if (response.status != 200)
    return response;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    running_ = true;
    stopping_ = false;
    client_ = client;
    port_ = port;
    token_ = token;
    query_ = query;
    end_reason_.clear();
    ++connections_;
  }
  thread_ = std::thread{[this, client] { run(client); }};
  return response;
}

void sse_recorder::run(std::shared_ptr<sse_client> client) {
  try {
    for (;;) {
      {
        std::lock_guard<std::mutex> guard{mutex_};
        if (stopping_)
          break;
      }
      auto event = client->next_event(std::chrono::milliseconds(100));
      std::unique_lock<std::mutex> guard{mutex_};
      if (event) {
        last_event_id_ = event->last_event_id;
        events_.push_back(std::move(*event));
        changed_.notify_all();
        continue;
      }
      // Nothing queued: the parser's id is the stream's (an `id:` block
      // that fired no event moves it too).
      if (last_event_id_ != client->last_event_id()) {
        last_event_id_ = client->last_event_id();
        changed_.notify_all();
      }
      if (client->ended()) {
        ++ends_;
        end_reason_ = client->end_reason();
        if (resumes_left_ <= 0 || stopping_)
          break;
        // Like EventSource: reconnect with the last id (after a short
        // pause, as `retry:` asks).
        --resumes_left_;
        auto cursor = last_event_id_;
        auto port = port_;
        auto token = token_;
        auto query = query_;
        guard.unlock();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        auto next = std::make_shared<sse_client>(port);
        std::optional<std::string> header;
        if (!cursor.empty())
          header = cursor;
        auto response = next->connect(token, query, header);
        guard.lock();
        if (response.status != 200) {
          error_ = "resume answered " + std::to_string(response.status) + " "
                   + response.body;
          break;
        }
        client = next;
        client_ = next;
        end_reason_.clear();
        ++connections_;
      }
    }
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> guard{mutex_};
    error_ = e.what();
  }
  std::lock_guard<std::mutex> guard{mutex_};
  running_ = false;
  changed_.notify_all();
}

void sse_recorder::auto_resume(int times) {
  std::lock_guard<std::mutex> guard{mutex_};
  resumes_left_ = times;
}

bool sse_recorder::wait_ended(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock{mutex_};
  bool ended = changed_.wait_for(lock, timeout, [this] { return !running_; });
  lock.unlock();
  if (ended && thread_.joinable())
    thread_.join();
  return ended;
}

void sse_recorder::request_stop() {
  std::lock_guard<std::mutex> guard{mutex_};
  stopping_ = true;
}

void sse_recorder::stop() {
  request_stop();
  if (thread_.joinable())
    thread_.join();
  std::shared_ptr<sse_client> client;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    client = std::move(client_);
    running_ = false;
  }
  if (client)
    client->close();
}

std::vector<sse_event> sse_recorder::events() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return events_;
}

std::size_t sse_recorder::count() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return events_.size();
}

std::string sse_recorder::last_event_id() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return last_event_id_;
}

bool sse_recorder::wait_for(
  const std::function<bool(const std::vector<sse_event>&)>& condition,
  std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock{mutex_};
  return changed_.wait_for(lock, timeout, [&] { return condition(events_); });
}

bool sse_recorder::wait_last_event_id(const std::string& id,
                                      std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock{mutex_};
  return changed_.wait_for(lock, timeout, [&] { return last_event_id_ == id; });
}

int sse_recorder::ends() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return ends_;
}

std::string sse_recorder::end_reason() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return end_reason_;
}

int sse_recorder::connections() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return connections_;
}

std::string sse_recorder::error() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return error_;
}

// --- helpers -------------------------------------------------------------

std::string stream_target(const std::string& query) {
  return query.empty() ? std::string{"/api/messages"}
                       : "/api/messages?" + query;
}

std::int64_t metric_value(std::uint16_t port, const std::string& name) {
  auto response = request(port, "GET", "/metrics");
  if (response.status != 200)
    throw std::runtime_error("/metrics answered "
                             + std::to_string(response.status));
  std::size_t at = 0;
  const auto& text = response.body;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string::npos)
      end = text.size();
    std::string_view line{text.data() + at, end - at};
    at = end + 1;
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0
        && line[name.size()] == ' ')
      return std::stoll(std::string{line.substr(name.size() + 1)});
  }
  throw std::runtime_error("metric " + name + " not in /metrics:\n"
                           + text.substr(0, 2000));
}

} // namespace itest
