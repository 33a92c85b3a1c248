#pragma once

#include <algorithm>
#include <cstdint>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

namespace parley {

/// Domain errors that cross actor boundaries as `caf::error`.
enum class ec : uint8_t {
  not_found = 1,  ///< no such resource, or the caller may not see it
  forbidden,      ///< e.g. a conversation with yourself
  db_unavailable, ///< no database connection right now
  db_error,       ///< the database refused a statement (bug or constraint)
  unknown_caller, ///< the token's user does not exist (any more)
  rate_limited,   ///< too many requests; the context holds the seconds to wait
  too_many_streams, ///< the user has as many event streams open as allowed
  key_reused, ///< an idempotency key already saved a post with other content
};

/// The error category of `ec` values inside a `caf::error`.
constexpr caf::atom_value error_category = caf::atom("parley");

/// Lets handlers `return make_error(ec::not_found);`.
inline caf::error make_error(ec code) {
  return caf::error{static_cast<uint8_t>(code), error_category};
}

/// A refusal for now: try again in `retry_after_seconds` (Retry-After).
inline caf::error make_rate_limited(int64_t retry_after_seconds) {
  return caf::error{static_cast<uint8_t>(ec::rate_limited), error_category,
                    caf::make_message(retry_after_seconds)};
}

/// The seconds to wait that make_rate_limited put in `err` (at least 1).
inline int64_t retry_after(const caf::error& err) {
  if (err.context().match_elements<int64_t>())
    return std::max<int64_t>(1, err.context().get_as<int64_t>(0));
  return 1;
}

/// Whether `err` carries `code`.
inline bool is(const caf::error& err, ec code) {
  return err.category() == error_category
         && err.code() == static_cast<uint8_t>(code);
}

} // namespace parley
