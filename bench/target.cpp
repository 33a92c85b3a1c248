#include "target.hpp"

#include <nlohmann/json.hpp>

namespace parley::bench {

std::string json_quote(const std::string& s) {
  return nlohmann::json(s).dump();
}

target::target(const options& o)
    : kind_(o.target), host_(o.host + ":" + std::to_string(o.port)) {}

std::string target::request(const char* method, const std::string& path,
                            const std::string& token,
                            const std::string& body) const {
  std::string r;
  r.reserve(256 + body.size());
  r.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: ");
  r.append(host_).append("\r\n");
  if (!token.empty())
    r.append("Authorization: Bearer ").append(token).append("\r\n");
  if (!body.empty()) {
    r.append("Content-Type: application/json\r\nContent-Length: ");
    r.append(std::to_string(body.size())).append("\r\n");
  }
  r.append("\r\n").append(body);
  return r;
}

std::string target::login(const std::string& name) const {
  return request("POST", "/api/login", "",
                 "{\"username\":" + json_quote(name) + "}");
}

std::string target::create_conversation(const user& from,
                                        const std::string& other) const {
  return request("POST", "/api/conversations", from.token,
                 "{\"username\":" + json_quote(other) + "}");
}

std::string target::post(const user& sender, const user& receiver,
                         const std::string& content) const {
  auto body = "{\"content\":" + json_quote(content) + "}";
  if (kind_ == target_kind::nchan)
    return request("POST", "/pub/" + receiver.name, "", body);
  return request("POST", "/api/conversations/" + receiver.conv + "/messages",
                 sender.token, body);
}

std::string target::stream(const user& u, const std::string& last_id) const {
  std::string r = "GET ";
  r.append(kind_ == target_kind::nchan ? "/sub/" + u.name : "/api/messages");
  r.append(" HTTP/1.1\r\nHost: ").append(host_);
  r.append("\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n");
  if (kind_ == target_kind::parley)
    r.append("Authorization: Bearer ").append(u.token).append("\r\n");
  if (!last_id.empty())
    r.append("Last-Event-ID: ").append(last_id).append("\r\n");
  r.append("\r\n");
  return r;
}

} // namespace parley::bench
