#include "persistence/conninfo.hpp"

#include <cstdlib>
#include <map>
#include <memory>

#include <catch2/catch.hpp>
#include <libpq-fe.h>

using namespace parley;

namespace {

// What libpq reads from `conninfo`: the options that are set.
std::map<std::string, std::string> parsed(const std::string& conninfo) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> options{
    PQconninfoParse(conninfo.c_str(), &error), PQconninfoFree};
  if (error)
    PQfreemem(error);
  std::map<std::string, std::string> out;
  if (options)
    for (auto* o = options.get(); o->keyword; ++o)
      if (o->val)
        out[o->keyword] = o->val;
  return out;
}

} // namespace

TEST_CASE("a URI gets the timeouts it does not set and keeps everything else",
          "[persistence][conninfo]") {
  auto out = parsed(with_connection_defaults(
    "postgresql://parley:s3cr'et\\x@db.example:6543/chat?sslmode=require"
    "&connect_timeout=9"));
  CHECK(out["host"] == "db.example");
  CHECK(out["port"] == "6543");
  CHECK(out["user"] == "parley");
  CHECK(out["password"] == "s3cr'et\\x"); // quoted and escaped
  CHECK(out["dbname"] == "chat");
  CHECK(out["sslmode"] == "require");
  CHECK(out["connect_timeout"] == "9"); // the operator's choice wins
  CHECK(out["keepalives"] == "1");
  CHECK(out["keepalives_idle"] == "30");
  CHECK(out["keepalives_interval"] == "10");
  CHECK(out["keepalives_count"] == "3");
  CHECK(out["tcp_user_timeout"] == "20000");
}

TEST_CASE("a key=value string and a socket directory get the same defaults",
          "[persistence][conninfo]") {
  auto out = parsed(with_connection_defaults(
    "host='/tmp/pg sockets' port=5433 dbname=parley keepalives_idle=5"));
  CHECK(out["host"] == "/tmp/pg sockets");
  CHECK(out["port"] == "5433");
  CHECK(out["keepalives_idle"] == "5");
  CHECK(out["connect_timeout"] == "5");
  CHECK(out["tcp_user_timeout"] == "20000");
}

TEST_CASE("a string libpq cannot parse comes back unchanged",
          "[persistence][conninfo]") {
  CHECK(with_connection_defaults("host='unterminated") == "host='unterminated");
  CHECK(with_connection_defaults("nonsense_option=1") == "nonsense_option=1");
}

TEST_CASE("an option set in libpq's environment is left to libpq",
          "[persistence][conninfo]") {
  setenv("PGCONNECT_TIMEOUT", "7", 1);
  auto out = parsed(with_connection_defaults("dbname=parley"));
  unsetenv("PGCONNECT_TIMEOUT");
  CHECK(out.count("connect_timeout") == 0); // libpq reads the variable
  CHECK(out["keepalives"] == "1");
}
