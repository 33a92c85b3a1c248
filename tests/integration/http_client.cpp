#include "http_client.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace itest {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto io_timeout = std::chrono::seconds(10);

// Large enough for any list or page the server sends; small enough that a
// runaway body fails the test instead of eating memory.
constexpr std::uint64_t response_body_limit = 16 * 1024 * 1024;

beast::tcp_stream connect(asio::io_context& io, std::uint16_t port) {
  beast::tcp_stream stream{io};
  stream.expires_after(io_timeout);
  beast::error_code ec;
  stream.connect(tcp::endpoint{asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec)
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port)
                             + " failed: " + ec.message());
  return stream;
}

http_response to_response(const http::response<http::string_body>& msg) {
  http_response out;
  out.status = static_cast<int>(msg.result_int());
  for (const auto& field : msg)
    out.headers.emplace_back(std::string{field.name_string()},
                             std::string{field.value()});
  out.body = msg.body();
  return out;
}

// Reads one response; `write_ec` is the outcome of the write before it, so
// the error names both when the server answered nothing.
http_response read_response(beast::tcp_stream& stream,
                            const beast::error_code& write_ec) {
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(response_body_limit);
  stream.expires_after(io_timeout);
  beast::error_code ec;
  http::read(stream, buffer, parser, ec);
  if (ec) {
    std::string what = "reading the response failed: " + ec.message();
    if (write_ec)
      what += " (after the write failed: " + write_ec.message() + ")";
    throw std::runtime_error(what);
  }
  return to_response(parser.get());
}

void close(beast::tcp_stream& stream) {
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.socket().close(ignored);
}

// Beast 1.74's string_view is Boost's, not std's: compare by hand.
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i]))
        != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

bool needs_length(const std::string& method, const std::string& body) {
  return !body.empty() || method == "POST" || method == "PUT"
         || method == "PATCH";
}

} // namespace

std::string http_response::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (iequals(key, name))
      return value;
  return {};
}

std::vector<std::string>
http_response::headers_named(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [key, value] : headers)
    if (iequals(key, name))
      out.push_back(value);
  return out;
}

bool http_response::has_header(std::string_view name) const {
  for (const auto& field : headers)
    if (iequals(field.first, name))
      return true;
  return false;
}

nlohmann::json http_response::json() const {
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded())
    throw std::runtime_error("response " + std::to_string(status)
                             + " is not JSON: " + body.substr(0, 500));
  return parsed;
}

http_response request(std::uint16_t port, const std::string& method,
                      const std::string& target, const std::string& body,
                      const header_list& headers) {
  asio::io_context io;
  auto stream = connect(io, port);
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http::field::user_agent, "parley-integration-tests");
  for (const auto& [name, value] : headers)
    req.insert(name, value);
  req.body() = body;
  if (needs_length(method, body))
    req.prepare_payload();
  stream.expires_after(io_timeout);
  beast::error_code write_ec;
  http::write(stream, req, write_ec);
  // A server may reject a request (413, 431) before reading all of it and
  // close: the write then fails, yet its answer is already on the wire.
  auto response = read_response(stream, write_ec);
  close(stream);
  return response;
}

http_response raw_request(std::uint16_t port, const std::string& bytes) {
  asio::io_context io;
  auto stream = connect(io, port);
  stream.expires_after(io_timeout);
  beast::error_code write_ec;
  asio::write(stream, asio::buffer(bytes), write_ec);
  auto response = read_response(stream, write_ec);
  close(stream);
  return response;
}

std::string url_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                      || (c >= '0' && c <= '9') || c == '-' || c == '.'
                      || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0x0F]);
    }
  }
  return out;
}

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::string form_decode(std::string_view raw) {
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '%' && i + 2 < raw.size() && hex_digit(raw[i + 1]) >= 0
        && hex_digit(raw[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(raw[i + 1]) * 16
                               + hex_digit(raw[i + 2]));
      i += 2;
    } else {
      out += raw[i] == '+' ? ' ' : raw[i];
    }
  }
  return out;
}

} // namespace

std::string form_value(std::string_view text, std::string_view name) {
  while (!text.empty()) {
    auto pair = text.substr(0, text.find('&'));
    text.remove_prefix(std::min(text.size(), pair.size() + 1));
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name)
      return form_decode(pair.substr(eq + 1));
  }
  return {};
}

std::string query_param(std::string_view url, std::string_view name) {
  auto q = url.find('?');
  return q == std::string_view::npos ? std::string{}
                                     : form_value(url.substr(q + 1), name);
}

} // namespace itest
