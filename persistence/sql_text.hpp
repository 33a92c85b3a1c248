#pragma once

/// SQL text shared by the statements of queries.cpp and post_queries.cpp.
/// A macro, so it joins the string literals of a statement at compile time.

/// `col` (a timestamptz) as RFC 3339 UTC with microseconds, formatted by the
/// database itself (SPEC §2).
#define PARLEY_TS(col)                                                         \
  "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
