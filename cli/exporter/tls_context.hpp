// The exporter's TLS side (OpenSSL), made from a web configuration's tls_server_config.
#pragma once
#include <string>
#include <vector>

#include "cli/exporter/web_config.hpp"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace iotrace::cli {

class TlsContext {
 public:
  // Loads the certificate, key and client CAs; throws UsageError when one is unusable.
  explicit TlsContext(const TlsServerConfig& config);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A server session on a connected non-blocking socket (nullptr when OpenSSL fails).
  SSL* session(int fd) const;
  // Whether the handshake's client certificate has one of client_allowed_sans (true when
  // none are configured).
  bool peer_allowed(SSL* ssl) const;

 private:
  SSL_CTX* ctx_ = nullptr;
  std::vector<std::string> allowed_sans_;
};

}  // namespace iotrace::cli
