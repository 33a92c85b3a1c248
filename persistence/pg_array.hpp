#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parley {

/// PostgreSQL array literals, so a whole batch travels as one parameter
/// (`unnest($1::bigint[])`) of a prepared statement. libpqxx 6 parses
/// arrays but does not write them.

/// `{1,2,3}`.
std::string pg_array(const std::vector<int64_t>& values);

/// `{"a","b \"c\""}`: every element quoted, `"` and `\` escaped, so any
/// text (commas, braces, newlines, the word NULL) arrives unchanged.
std::string pg_array(const std::vector<std::string>& values);

} // namespace parley
