#pragma once

#include <string>

namespace parley {

/// `db_url` (a URI or a key=value string) as a key=value string with the
/// connection options the server needs and the operator did not set (in the
/// string or in libpq's environment variables, such as PGCONNECT_TIMEOUT): a
/// bounded connect, TCP keepalives and a bound on unacknowledged writes. A
/// database host that vanishes without closing its connections (a network
/// partition, a powered-off machine) then fails the workers' statements in
/// seconds instead of holding them for the kernel's retransmission timeout
/// (~15 minutes). Options only apply over TCP; a Unix socket ignores them.
/// A string libpq cannot parse comes back unchanged, for libpq to report.
std::string with_connection_defaults(const std::string& db_url);

} // namespace parley
