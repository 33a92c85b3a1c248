#include "fake_github.hpp"

#include <sys/socket.h>

#include <cctype>
#include <chrono>

#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "http_client.hpp"

namespace itest {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

http::response<http::string_body> reply(http::status status, std::string body) {
  http::response<http::string_body> res{status, 11};
  res.set(http::field::content_type, "application/json; charset=utf-8");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

} // namespace

fake_github::fake_github(const tls_identity* tls)
    : acceptor_(io_, tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0}) {
  if (tls) {
    tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    tls_->use_certificate_chain(asio::buffer(tls->cert_pem));
    tls_->use_private_key(asio::buffer(tls->key_pem), asio::ssl::context::pem);
  }
  port_ = acceptor_.local_endpoint().port();
  thread_ = std::thread([this] { serve(); });
}

fake_github::~fake_github() {
  {
    std::lock_guard<std::mutex> lock{mutex_};
    stopping_ = true;
    // Asio's blocking reads and writes outwait SO_RCVTIMEO: a client that
    // went quiet is cut here, or its thread would never end.
    for (int fd : open_)
      ::shutdown(fd, SHUT_RDWR);
  }
  released_.notify_all();
  // Wakes the blocking accept; serve() sees stopping_ and returns.
  try {
    asio::io_context io;
    tcp::socket wake{io};
    wake.connect(tcp::endpoint{asio::ip::make_address("127.0.0.1"), port_});
  } catch (const std::exception&) {
    // Nothing listens any more: serve() has already returned.
  }
  thread_.join();
}

std::string fake_github::base_url(const std::string& host) const {
  return (tls_ ? "https://" : "http://") + host + ":" + std::to_string(port_);
}

std::vector<std::string>
fake_github::server_args(const std::string& host) const {
  auto base = base_url(host);
  return {std::string{"--parley.github-client-id="} + client_id,
          std::string{"--parley.github-client-secret="} + client_secret,
          "--parley.github-authorize-url=" + base + "/login/oauth/authorize",
          "--parley.github-token-url=" + base + "/login/oauth/access_token",
          "--parley.github-user-url=" + base + "/user"};
}

void fake_github::add_account(const std::string& code,
                              const std::string& user_json) {
  std::lock_guard<std::mutex> lock{mutex_};
  accounts_[code] = user_json;
}

void fake_github::set_authorize_code(const std::string& code) {
  std::lock_guard<std::mutex> lock{mutex_};
  authorize_code_ = code;
}

void fake_github::hold() {
  std::lock_guard<std::mutex> lock{mutex_};
  holding_ = true;
}

void fake_github::release() {
  {
    std::lock_guard<std::mutex> lock{mutex_};
    holding_ = false;
  }
  released_.notify_all();
}

int fake_github::failed_handshakes() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return failed_handshakes_;
}

std::vector<std::string> fake_github::token_requests() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return token_requests_;
}

void fake_github::serve() {
  std::vector<std::thread> connections;
  for (;;) {
    tcp::socket socket{io_};
    beast::error_code ec;
    acceptor_.accept(socket, ec);
    {
      // One lock for both: a stop cuts every connection it can see.
      std::lock_guard<std::mutex> lock{mutex_};
      if (stopping_)
        break;
      if (ec)
        continue;
      open_.insert(socket.native_handle());
    }
    connections.emplace_back([this, socket = std::move(socket)]() mutable {
      serve_one(socket);
      // Out of the set while still open: the number is not reused yet.
      std::lock_guard<std::mutex> lock{mutex_};
      open_.erase(socket.native_handle());
    });
  }
  for (auto& c : connections)
    c.join();
}

void fake_github::serve_one(tcp::socket& socket) {
  if (!tls_)
    return answer(socket);
  asio::ssl::stream<tcp::socket&> secure{socket, *tls_};
  beast::error_code ec;
  secure.handshake(asio::ssl::stream_base::server, ec);
  if (ec) {
    std::lock_guard<std::mutex> lock{mutex_};
    ++failed_handshakes_;
    return;
  }
  answer(secure);
}

template <class Stream>
void fake_github::answer(Stream& socket) {
  beast::flat_buffer buffer;
  http::request<http::string_body> req;
  beast::error_code ec;
  http::read(socket, buffer, req, ec);
  if (ec)
    return;
  std::string target{req.target()};
  auto path = target.substr(0, target.find('?'));
  auto query = target.find('?') == std::string::npos
                 ? std::string{}
                 : target.substr(target.find('?') + 1);
  std::unique_lock<std::mutex> lock{mutex_};
  // A GitHub that takes longer than the server waits (10 s); a stop ends
  // the wait.
  if (path == "/login/oauth/access_token"
      && form_value(req.body(), "code") == "token-slow")
    released_.wait_for(lock, std::chrono::seconds(11),
                       [this] { return stopping_; });
  bool token_request
    = path == "/login/oauth/access_token" && req.method() == http::verb::post;
  if (token_request)
    token_requests_.push_back(req.body());
  if (token_request && form_value(req.body(), "code") == "token-hold")
    released_.wait_for(lock, std::chrono::seconds(15),
                       [this] { return !holding_ || stopping_; });
  http::response<http::string_body> res;
  if (path == "/login/oauth/authorize") {
    res = reply(http::status::found, "");
    res.set(http::field::location, form_value(query, "redirect_uri")
                                     + "?code=" + authorize_code_
                                     + "&state=" + form_value(query, "state"));
  } else if (token_request) {
    auto code = form_value(req.body(), "code");
    bool our_app = form_value(req.body(), "client_id") == client_id
                   && form_value(req.body(), "client_secret") == client_secret;
    if (code == "token-500")
      res = reply(http::status::internal_server_error, "{}");
    else if (code == "token-garbage")
      res = reply(http::status::ok, "access_token=x&token_type=bearer");
    else if (code == "token-huge") // a good token, past the 1 MiB limit
      res = reply(http::status::ok,
                  R"({"access_token":"tok-token-huge","pad":")"
                    + std::string(2 * 1024 * 1024, 'x') + R"("})");
    else if (!our_app || accounts_.count(code) == 0)
      res = reply(http::status::ok, R"({"error":"bad_verification_code"})");
    else
      res = reply(http::status::ok, R"({"access_token":"tok-)" + code
                                      + R"(","token_type":"bearer"})");
  } else if (path == "/user") {
    std::string auth{req[http::field::authorization]};
    auto code = auth.rfind("Bearer tok-", 0) == 0 ? auth.substr(11) : "";
    auto it = accounts_.find(code);
    if (it == accounts_.end() || it->second == "user-401")
      res
        = reply(http::status::unauthorized, R"({"message":"Bad credentials"})");
    else
      res = reply(http::status::ok, it->second);
  } else {
    res = reply(http::status::not_found, R"({"message":"Not Found"})");
  }
  lock.unlock();
  res.keep_alive(false);
  http::write(socket, res, ec);
  beast::get_lowest_layer(socket).shutdown(tcp::socket::shutdown_both, ec);
}

} // namespace itest
