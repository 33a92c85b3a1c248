#pragma once

#include <cstdint>
#include <string>

#include "options.hpp"

namespace parley::bench {

/// One simulated user. For Nchan only the name is used (the channel id).
struct user {
  std::string name;
  std::string id;    // Parley user id
  std::string token; // Parley bearer token
  std::string conv;  // Parley conversation with the partner (index ^ 1)
};

/// Builds the requests both servers understand; Parley's need a token,
/// Nchan's only the user name (channel `/pub/<name>`, `/sub/<name>`).
class target {
public:
  explicit target(const options& o);

  std::string login(const std::string& name) const;
  std::string create_conversation(const user& from,
                                  const std::string& other) const;
  /// A message from `sender` to `receiver` whose content is `content`.
  std::string post(const user& sender, const user& receiver,
                   const std::string& content) const;
  /// The event-stream request of `u`, resuming after `last_id` if set.
  std::string stream(const user& u, const std::string& last_id) const;

  target_kind kind() const {
    return kind_;
  }

private:
  std::string request(const char* method, const std::string& path,
                      const std::string& token, const std::string& body) const;

  target_kind kind_;
  std::string host_;
};

/// `s` as a JSON string literal (quotes included).
std::string json_quote(const std::string& s);

} // namespace parley::bench
