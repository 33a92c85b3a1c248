#pragma once

#include <string>
#include <vector>

namespace itest {

/// A self-signed certificate and its key, made in memory for one test: what
/// a stand-in HTTPS server presents, and (as SSL_CERT_FILE) what the
/// server under test may be told to trust.
struct tls_identity {
  std::string cert_pem;
  std::string key_pem;
  std::string cert_file; ///< cert_pem written to a temporary file

  /// A certificate for the subject alternative names `names` ("IP:127.0.0.1",
  /// "DNS:localhost"), valid from an hour ago for a day. Throws
  /// std::runtime_error if OpenSSL fails.
  explicit tls_identity(const std::vector<std::string>& names);
  ~tls_identity();

  tls_identity(const tls_identity&) = delete;
  tls_identity& operator=(const tls_identity&) = delete;
};

} // namespace itest
