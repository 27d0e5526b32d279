// The exporter's web configuration file: TLS and basic authentication with the keys and the
// meaning of the Prometheus exporter-toolkit's file (--web.config.file of node_exporter and
// the other official exporters), so one file and one Prometheus scrape config serve a fleet.
//
//   tls_server_config:   cert_file, key_file, client_auth_type, client_ca_file,
//                        client_allowed_sans, min_version, max_version, cipher_suites,
//                        curve_preferences, prefer_server_cipher_suites
//   http_server_config:  http2 (accepted; iotrace answers HTTP/1.1), headers
//   basic_auth_users:    user: bcrypt hash
//
// The file is read strictly, as the toolkit reads it: an unknown key, a value of the wrong
// kind or a bad value is refused with the line it is on. Relative paths are taken from the
// file's directory.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace iotrace::cli {

struct TlsServerConfig {
  std::string cert_file, key_file;
  std::string client_auth_type = "NoClientCert";
  std::string client_ca_file;
  std::vector<std::string> client_allowed_sans;
  int min_version = 0x0303;  // TLS 1.2, the toolkit's default
  int max_version = 0;       // 0: the newest the library speaks
  std::vector<std::string> cipher_suites;      // OpenSSL names, mapped from Go's
  std::vector<std::string> curve_preferences;  // OpenSSL group names, mapped from Go's
  bool prefer_server_cipher_suites = true;
};

struct WebConfig {
  std::optional<TlsServerConfig> tls;
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash
  std::vector<std::pair<std::string, std::string>> headers;  // added to every response
};

// Reads and checks the file; throws UsageError naming the file, the line and what is wrong.
WebConfig load_web_config(const std::string& path);
// The same, from text (path only names it in messages and anchors relative paths).
WebConfig parse_web_config(const std::string& text, const std::string& path);

}  // namespace iotrace::cli
