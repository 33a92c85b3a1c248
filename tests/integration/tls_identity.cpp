#include "tls_identity.hpp"

#include <unistd.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace itest {

namespace {

template <class T, void (*Free)(T*)>
struct openssl_deleter {
  void operator()(T* p) const {
    Free(p);
  }
};

using pkey_ptr
  = std::unique_ptr<EVP_PKEY, openssl_deleter<EVP_PKEY, EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, openssl_deleter<X509, X509_free>>;
using bio_ptr = std::unique_ptr<BIO, openssl_deleter<BIO, BIO_free_all>>;
using ext_ptr
  = std::unique_ptr<X509_EXTENSION,
                    openssl_deleter<X509_EXTENSION, X509_EXTENSION_free>>;

void check(bool ok, const char* what) {
  if (!ok)
    throw std::runtime_error(std::string{"OpenSSL: "} + what + " failed");
}

pkey_ptr make_key() {
  pkey_ptr key{EVP_EC_gen("P-256")};
  check(key != nullptr, "EC key generation");
  return key;
}

std::string to_pem(const std::function<int(BIO*)>& write) {
  bio_ptr bio{BIO_new(BIO_s_mem())};
  check(bio && write(bio.get()) == 1, "PEM encoding");
  char* data = nullptr;
  auto size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

} // namespace

tls_identity::tls_identity(const std::vector<std::string>& names) {
  auto key = make_key();
  x509_ptr cert{X509_new()};
  check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  auto* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(
    subject, "CN", MBSTRING_ASC,
    reinterpret_cast<const unsigned char*>("parley test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), subject);
  std::string san;
  for (const auto& name : names)
    san += (san.empty() ? "" : ",") + name;
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  ext_ptr ext{
    X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str())};
  check(ext != nullptr, "subjectAltName");
  X509_add_ext(cert.get(), ext.get(), -1);
  check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "X509_sign");
  cert_pem = to_pem([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); });
  key_pem = to_pem([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr,
                                    nullptr);
  });
  char path[] = "/tmp/parley-test-ca-XXXXXX";
  int fd = mkstemp(path);
  check(fd >= 0, "mkstemp");
  auto written = write(fd, cert_pem.data(), cert_pem.size());
  close(fd);
  check(written == static_cast<ssize_t>(cert_pem.size()), "writing the cert");
  cert_file = path;
}

tls_identity::~tls_identity() {
  if (!cert_file.empty())
    std::remove(cert_file.c_str());
}

} // namespace itest
