#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "tls_identity.hpp"

namespace itest {

/// A stand-in for GitHub's OAuth endpoints on 127.0.0.1 (the one fake the
/// tests may use: GitHub is outside the machine). Plain HTTP, or HTTPS with
/// a given certificate; one request per connection, each connection on a
/// thread of its own (all joined by the destructor).
///
/// - `GET /login/oauth/authorize?redirect_uri=…&state=…` signs in at once
///   as the account of `authorize_code`: 302 to redirect_uri with that code.
/// - `POST /login/oauth/access_token` (form: client_id, client_secret,
///   code, redirect_uri) answers like GitHub: 200 {"access_token": …} for a
///   code given to add_account, 200 {"error": "bad_verification_code"} for
///   any other (or a wrong client), and for the codes below:
///   "token-500" 500, "token-garbage" a 200 that is not JSON,
///   "token-huge" a good token in a 2 MiB reply (an account of that code
///   would sign in without the server's size limit), "token-slow" a reply
///   after 11 s, "token-hold" see
///   hold().
/// - `GET /user` with `Authorization: Bearer <that token>`: the account's
///   JSON; a code whose account is "user-401" gets 401 here.
class fake_github {
public:
  static constexpr const char* client_id = "test-client-id";
  static constexpr const char* client_secret = "test-client-secret";

  /// Plain HTTP, or HTTPS presenting `tls` when given.
  explicit fake_github(const tls_identity* tls = nullptr);
  ~fake_github();

  fake_github(const fake_github&) = delete;
  fake_github& operator=(const fake_github&) = delete;

  std::uint16_t port() const {
    return port_;
  }

  /// "http://<host>:<port>" (https with a certificate). It listens on
  /// 127.0.0.1: `host` is that address or a name for it ("localhost").
  std::string base_url(const std::string& host = "127.0.0.1") const;

  /// The server's --parley.github-* arguments for this stand-in at `host`.
  std::vector<std::string> server_args(const std::string& host
                                       = "127.0.0.1") const;

  /// `code` signs in as the account `user_json` (GitHub's /user reply).
  void add_account(const std::string& code, const std::string& user_json);

  /// The code /login/oauth/authorize hands out.
  void set_authorize_code(const std::string& code);

  /// Every token request body received so far. Thread-safe.
  std::vector<std::string> token_requests() const;

  /// TLS handshakes that failed (the client refused our certificate).
  int failed_handshakes() const;

  /// While held, token requests for code "token-hold" get no answer (for
  /// at most 15 s): the server's sign-ins stay at GitHub. They are in
  /// token_requests() already. release() lets them all go. Thread-safe.
  void hold();
  void release();

private:
  void serve();
  void serve_one(boost::asio::ip::tcp::socket& socket);
  template <class Stream>
  void answer(Stream& stream);

  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  bool stopping_ = false; // guarded by mutex_
  mutable std::mutex mutex_;
  std::map<std::string, std::string> accounts_; // code -> /user JSON
  std::string authorize_code_;
  std::vector<std::string> token_requests_;
  int failed_handshakes_ = 0;
  bool holding_ = false;
  std::set<int> open_; // connections' sockets, while their threads run
  std::condition_variable released_;
  std::thread thread_;
};

} // namespace itest
