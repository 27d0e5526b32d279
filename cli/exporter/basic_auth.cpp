#include "cli/exporter/basic_auth.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <strings.h>

#include <cstring>
#include <memory>

namespace iotrace::cli {
namespace {

constexpr size_t k_max_verdicts = 4096;

// A bcrypt hash of a random password, cost 10 as `htpasswd -B` makes them.
const char* k_dummy_hash = "$2y$10$Yjm3e.mfXaCa7GzNW0MbbuafWj9zT4kATrq15UlmtoICrMSZN3WAe";

std::string base64_decode(std::string_view in) {
  while (!in.empty() && (in.back() == ' ' || in.back() == '\t')) in.remove_suffix(1);
  if (in.empty() || in.size() % 4 != 0 || in.size() > 4096) return {};
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return {};
  size_t pad = (in.back() == '=') + (in.size() > 1 && in[in.size() - 2] == '=');
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

}  // namespace

BasicAuth::BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)), key_(32, '\0') {
  RAND_bytes(reinterpret_cast<unsigned char*>(key_.data()), static_cast<int>(key_.size()));
}

bool BasicAuth::allows(std::string_view authorization) {
  if (authorization.size() < 6 || strncasecmp(authorization.data(), "Basic ", 6) != 0) return false;
  std::string_view b64 = authorization.substr(6);
  while (!b64.empty() && b64.front() == ' ') b64.remove_prefix(1);
  std::string pair = base64_decode(b64);
  size_t colon = pair.find(':');
  if (colon == std::string::npos) return false;
  return check(pair.substr(0, colon), pair.substr(colon + 1));
}

bool BasicAuth::check(const std::string& user, const std::string& password) {
  // The key of a verdict: HMAC-SHA256 of "user\0password" under a per-process random key.
  std::string msg = user + std::string(1, '\0') + password;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(msg.data()),
       msg.size(), mac, &mac_len);
  OPENSSL_cleanse(msg.data(), msg.size());
  std::string id(reinterpret_cast<char*>(mac), mac_len);
  if (auto it = verdicts_.find(id); it != verdicts_.end()) return it->second;

  auto known = users_.find(user);
  const std::string& hash = known != users_.end() ? known->second : std::string(k_dummy_hash);
  auto data = std::make_unique<crypt_data>();
  const char* got = crypt_r(password.c_str(), hash.c_str(), data.get());
  bool ok = got != nullptr && got[0] != '*' && std::strlen(got) == hash.size() &&
            CRYPTO_memcmp(got, hash.data(), hash.size()) == 0 && known != users_.end();
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  if (verdicts_.size() >= k_max_verdicts) verdicts_.clear();
  verdicts_[id] = ok;
  return ok;
}

}  // namespace iotrace::cli
