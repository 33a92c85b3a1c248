#include "persistence/conninfo.hpp"

#include <cstdlib>
#include <map>
#include <memory>

#include <libpq-fe.h>

namespace parley {

namespace {

// Chosen to fail well after a slow but healthy commit and before the
// gateway's 10 s request timeout has long passed: seconds, not minutes.
const std::map<std::string, std::string> defaults{
  {"connect_timeout", "5"},      // seconds per host
  {"keepalives", "1"},           // probe an idle connection...
  {"keepalives_idle", "30"},     // ...after 30 s of silence,
  {"keepalives_interval", "10"}, // every 10 s,
  {"keepalives_count", "3"},     // and give up after 3 unanswered
  {"tcp_user_timeout", "20000"}, // ms that sent data may stay unacknowledged
};

// A value in a key=value string: quoted, with ' and \ escaped.
std::string quoted(const char* value) {
  std::string out = "'";
  for (const char* c = value; *c; ++c) {
    if (*c == '\'' || *c == '\\')
      out += '\\';
    out += *c;
  }
  return out + "'";
}

} // namespace

std::string with_connection_defaults(const std::string& db_url) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> options{
    PQconninfoParse(db_url.c_str(), &error), PQconninfoFree};
  if (error)
    PQfreemem(error);
  if (!options)
    return db_url;
  std::string out;
  auto missing = defaults;
  for (auto* o = options.get(); o->keyword; ++o) {
    if (!o->val) {
      // Set in the environment (PGCONNECT_TIMEOUT, …): libpq uses that.
      if (o->envvar && std::getenv(o->envvar))
        missing.erase(o->keyword);
      continue;
    }
    missing.erase(o->keyword);
    out += std::string{out.empty() ? "" : " "} + o->keyword + "="
           + quoted(o->val);
  }
  for (const auto& [key, value] : missing)
    out += std::string{out.empty() ? "" : " "} + key + "=" + value;
  return out;
}

} // namespace parley
