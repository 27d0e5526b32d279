#include "cli/exporter/web_config.hpp"

#include <crypt.h>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cli/errors.hpp"

namespace iotrace::cli {
namespace {

const char* k_hint =
    "see EXPORTER in iotrace(8) for the file's keys (those of the Prometheus exporter-toolkit); "
    "`promtool check web-config FILE` checks it too";

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {
    std::filesystem::path p(path_);
    dir_ = p.has_parent_path() ? p.parent_path().string() : ".";
  }

  [[noreturn]] void fail(const YAML::Node& at, const std::string& what) const {
    const int line = at.Mark().line;
    std::string where = line >= 0 ? fmt::format("{}:{}", path_, line + 1) : path_;
    throw UsageError(fmt::format("--web-config: {}: {}", where, what), k_hint);
  }

  // Every key of a mapping, refusing those not in `known`.
  std::vector<std::pair<std::string, YAML::Node>> entries(const YAML::Node& map, const std::string& name,
                                                          const std::set<std::string>& known) const {
    std::vector<std::pair<std::string, YAML::Node>> out;
    if (map.IsNull()) return out;
    if (!map.IsMap()) fail(map, fmt::format("{} must be a mapping", name));
    for (const auto& kv : map) {
      std::string key = kv.first.as<std::string>();
      if (!known.empty() && !known.count(key))
        fail(kv.first, fmt::format("unknown key '{}' in {}", key, name));
      out.emplace_back(key, kv.second);
    }
    return out;
  }

  std::string text(const YAML::Node& n, const std::string& key) const {
    if (n.IsNull()) return "";
    if (!n.IsScalar()) fail(n, fmt::format("{} must be a string", key));
    return n.as<std::string>();
  }

  bool boolean(const YAML::Node& n, const std::string& key) const {
    bool b = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, b)) fail(n, fmt::format("{} must be true or false", key));
    return b;
  }

  std::vector<std::string> list(const YAML::Node& n, const std::string& key) const {
    std::vector<std::string> out;
    if (n.IsNull()) return out;
    if (!n.IsSequence()) fail(n, fmt::format("{} must be a list", key));
    for (const auto& item : n) out.push_back(text(item, key));
    return out;
  }

  // A file the exporter must be able to read, relative to the configuration's directory.
  std::string file(const YAML::Node& n, const std::string& key) const {
    std::string f = text(n, key);
    if (f.empty()) return f;
    std::filesystem::path p(f);
    if (p.is_relative()) p = std::filesystem::path(dir_) / p;
    std::ifstream probe(p);
    if (!probe) fail(n, fmt::format("{}: cannot read {}", key, p.string()));
    return p.string();
  }

 private:
  std::string path_, dir_;
};

int tls_version(const Reader& r, const YAML::Node& n, const std::string& key) {
  static const std::map<std::string, int> versions = {
      {"TLS10", 0x0301}, {"TLS11", 0x0302}, {"TLS12", 0x0303}, {"TLS13", 0x0304}};
  std::string v = r.text(n, key);
  auto it = versions.find(v);
  if (it == versions.end()) r.fail(n, fmt::format("{}: '{}' is not one of TLS10, TLS11, TLS12, TLS13", key, v));
  return it->second;
}

// Go's names of the TLS 1.0-1.2 suites it offers, as OpenSSL names them (TLS 1.3's suites
// are not configurable, in Go as here).
const std::map<std::string, std::string>& go_cipher_suites() {
  static const std::map<std::string, std::string> m = {
      {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
      {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
      {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
      {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
      {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
      {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
      {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
      {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
      {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
      {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
      {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
      {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
      {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "ECDHE-ECDSA-CHACHA20-POLY1305"},
      {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
      {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"},
      {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
  };
  return m;
}

TlsServerConfig read_tls(const Reader& r, const YAML::Node& node) {
  TlsServerConfig t;
  for (const auto& [key, v] : r.entries(node, "tls_server_config",
                                        {"cert_file", "key_file", "client_auth_type", "client_ca_file",
                                         "client_allowed_sans", "min_version", "max_version", "cipher_suites",
                                         "curve_preferences", "prefer_server_cipher_suites"})) {
    if (key == "cert_file") {
      t.cert_file = r.file(v, key);
    } else if (key == "key_file") {
      t.key_file = r.file(v, key);
    } else if (key == "client_ca_file") {
      t.client_ca_file = r.file(v, key);
    } else if (key == "client_auth_type") {
      static const std::set<std::string> types = {"NoClientCert", "RequestClientCert", "RequireAnyClientCert",
                                                  "RequireClientCert", "VerifyClientCertIfGiven",
                                                  "RequireAndVerifyClientCert"};
      std::string a = r.text(v, key);
      if (a.empty()) a = "NoClientCert";
      if (!types.count(a))
        r.fail(v, fmt::format("client_auth_type: '{}' is not one of NoClientCert, RequestClientCert, "
                              "RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert",
                              a));
      t.client_auth_type = a == "RequireClientCert" ? "RequireAnyClientCert" : a;
    } else if (key == "client_allowed_sans") {
      t.client_allowed_sans = r.list(v, key);
    } else if (key == "min_version") {
      t.min_version = tls_version(r, v, key);
    } else if (key == "max_version") {
      t.max_version = tls_version(r, v, key);
    } else if (key == "cipher_suites") {
      for (const auto& s : r.list(v, key)) {
        auto it = go_cipher_suites().find(s);
        if (it == go_cipher_suites().end()) r.fail(v, fmt::format("cipher_suites: unknown suite '{}'", s));
        t.cipher_suites.push_back(it->second);
      }
    } else if (key == "curve_preferences") {
      static const std::map<std::string, std::string> curves = {
          {"CurveP256", "P-256"}, {"CurveP384", "P-384"}, {"CurveP521", "P-521"}, {"X25519", "X25519"}};
      for (const auto& c : r.list(v, key)) {
        auto it = curves.find(c);
        if (it == curves.end())
          r.fail(v, fmt::format("curve_preferences: '{}' is not one of CurveP256, CurveP384, CurveP521, X25519", c));
        t.curve_preferences.push_back(it->second);
      }
    } else if (key == "prefer_server_cipher_suites") {
      t.prefer_server_cipher_suites = r.boolean(v, key);
    }
  }
  if (t.cert_file.empty()) r.fail(node, "tls_server_config: missing cert_file");
  if (t.key_file.empty()) r.fail(node, "tls_server_config: missing key_file");
  if (!t.client_ca_file.empty() && t.client_auth_type == "NoClientCert")
    r.fail(node, "tls_server_config: client_ca_file is set but client_auth_type is not (say which clients "
                 "must present a certificate, e.g. RequireAndVerifyClientCert)");
  if (!t.client_allowed_sans.empty() && t.client_auth_type != "RequireAndVerifyClientCert")
    r.fail(node, "tls_server_config: client_allowed_sans needs client_auth_type RequireAndVerifyClientCert");
  if (t.max_version && t.max_version < t.min_version)
    r.fail(node, "tls_server_config: max_version is older than min_version");
  return t;
}

// The headers the toolkit lets a file add, with the values it allows (empty: any).
const std::map<std::string, std::set<std::string>>& allowed_headers() {
  static const std::map<std::string, std::set<std::string>> m = {
      {"Strict-Transport-Security", {}},
      {"X-Content-Type-Options", {"nosniff"}},
      {"X-Frame-Options", {"deny", "sameorigin"}},
      {"X-XSS-Protection", {}},
      {"Content-Security-Policy", {}},
  };
  return m;
}

}  // namespace

WebConfig parse_web_config(const std::string& text, const std::string& path) {
  Reader r(path);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw UsageError(fmt::format("--web-config: {}:{}: not YAML: {}", path, e.mark.line + 1, e.msg), k_hint);
  }
  WebConfig c;
  for (const auto& [key, v] : r.entries(root, "the file", {"tls_server_config", "http_server_config", "basic_auth_users"})) {
    if (key == "tls_server_config") {
      // An empty section is plain HTTP, as for the toolkit.
      bool empty = v.IsNull() || (v.IsMap() && v.size() == 0);
      if (!empty) c.tls = read_tls(r, v);
    } else if (key == "http_server_config") {
      for (const auto& [hk, hv] : r.entries(v, "http_server_config", {"http2", "headers"})) {
        if (hk == "http2") {
          r.boolean(hv, hk);  // HTTP/2 is offered by Go's server; this one answers HTTP/1.1
        } else {
          for (const auto& [name, value] : r.entries(hv, "headers", {})) {
            auto it = std::find_if(allowed_headers().begin(), allowed_headers().end(), [&](const auto& a) {
              return strcasecmp(a.first.c_str(), name.c_str()) == 0;
            });
            if (it == allowed_headers().end())
              r.fail(hv, fmt::format("headers: '{}' cannot be set (allowed: Strict-Transport-Security, "
                                     "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, "
                                     "Content-Security-Policy)",
                                     name));
            std::string val = r.text(value, name);
            if (!it->second.empty() && !it->second.count(val))
              r.fail(value, fmt::format("headers: '{}' is not a value {} takes", val, it->first));
            c.headers.emplace_back(it->first, val);
          }
        }
      }
    } else if (key == "basic_auth_users") {
      for (const auto& [user, hv] : r.entries(v, "basic_auth_users", {})) {
        std::string hash = r.text(hv, user);
        bool bcrypt = hash.rfind("$2a$", 0) == 0 || hash.rfind("$2b$", 0) == 0 || hash.rfind("$2y$", 0) == 0;
        if (!bcrypt || crypt_checksalt(hash.c_str()) != CRYPT_SALT_OK)
          r.fail(hv, fmt::format("basic_auth_users: the password of '{}' is not a bcrypt hash ($2y$...; make "
                                 "one with `htpasswd -nBC 10 {}`)",
                                 user, user));
        if (user.find(':') != std::string::npos) r.fail(hv, fmt::format("basic_auth_users: '{}' has a colon", user));
        c.basic_auth_users[user] = hash;
      }
    }
  }
  return c;
}

WebConfig load_web_config(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw UsageError(fmt::format("--web-config: cannot read {}: {}", path, strerror(errno)),
                     "give the path of a web configuration file (see EXPORTER in iotrace(8))");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_web_config(ss.str(), path);
}

}  // namespace iotrace::cli
