#include "cli/exporter/tls_context.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "cli/errors.hpp"

namespace iotrace::cli {
namespace {

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (!e) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

[[noreturn]] void refuse(const std::string& what) {
  throw UsageError(fmt::format("--web-config: {}: {}", what, openssl_error()),
                   "the certificate and key must be PEM files that belong together (see EXPORTER in iotrace(8))");
}

// RequestClientCert and RequireAnyClientCert take any certificate, as Go's server does.
int accept_any(int, X509_STORE_CTX*) { return 1; }

}  // namespace

TlsContext::TlsContext(const TlsServerConfig& c) : allowed_sans_(c.client_allowed_sans) {
  ctx_ = SSL_CTX_new(TLS_server_method());
  if (!ctx_) refuse("cannot make a TLS context");
  SSL_CTX_set_min_proto_version(ctx_, c.min_version);
  if (c.max_version) SSL_CTX_set_max_proto_version(ctx_, c.max_version);
  SSL_CTX_set_options(ctx_, SSL_OP_NO_RENEGOTIATION | (c.prefer_server_cipher_suites ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
  SSL_CTX_set_mode(ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(ctx_, c.cert_file.c_str()) != 1)
    refuse(fmt::format("cert_file {}", c.cert_file));
  if (SSL_CTX_use_PrivateKey_file(ctx_, c.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    refuse(fmt::format("key_file {}", c.key_file));
  if (SSL_CTX_check_private_key(ctx_) != 1) refuse(fmt::format("key_file {} is not the key of {}", c.key_file, c.cert_file));
  if (!c.cipher_suites.empty()) {
    std::string list;
    for (const auto& s : c.cipher_suites) list += (list.empty() ? "" : ":") + s;
    if (SSL_CTX_set_cipher_list(ctx_, list.c_str()) != 1) refuse("cipher_suites");
  }
  if (!c.curve_preferences.empty()) {
    std::string list;
    for (const auto& s : c.curve_preferences) list += (list.empty() ? "" : ":") + s;
    if (SSL_CTX_set1_groups_list(ctx_, list.c_str()) != 1) refuse("curve_preferences");
  }
  if (!c.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx_, c.client_ca_file.c_str(), nullptr) != 1)
      refuse(fmt::format("client_ca_file {}", c.client_ca_file));
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(c.client_ca_file.c_str()))
      SSL_CTX_set_client_CA_list(ctx_, names);
  }
  const std::string& a = c.client_auth_type;
  if (a == "RequestClientCert") {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, accept_any);
  } else if (a == "RequireAnyClientCert") {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
  } else if (a == "VerifyClientCertIfGiven") {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  } else if (a == "RequireAndVerifyClientCert") {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  } else {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  }
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

SSL* TlsContext::session(int fd) const {
  SSL* ssl = SSL_new(ctx_);
  if (!ssl) return nullptr;
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return ssl;
}

bool TlsContext::peer_allowed(SSL* ssl) const {
  if (allowed_sans_.empty()) return true;
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert) return false;
  for (const auto& san : allowed_sans_) {
    if (X509_check_host(cert, san.c_str(), san.size(), X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, nullptr) == 1 ||
        X509_check_email(cert, san.c_str(), san.size(), 0) == 1 || X509_check_ip_asc(cert, san.c_str(), 0) == 1)
      return true;
  }
  return false;
}

}  // namespace iotrace::cli
