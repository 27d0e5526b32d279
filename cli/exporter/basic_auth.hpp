// HTTP basic authentication against bcrypt hashes, as the exporter-toolkit checks it.
//
// bcrypt is slow on purpose (tens of milliseconds at cost 10) and the exporter answers on
// one thread, so each (user, password) pair's verdict is kept, keyed by a keyed hash of the
// pair (never the password itself): a scraper pays bcrypt once, and a client repeating a
// wrong password pays nothing. An unknown user is checked against a dummy hash, so the time
// of an answer does not tell which users exist.
#pragma once
#include <map>
#include <string>
#include <string_view>

namespace iotrace::cli {

class BasicAuth {
 public:
  explicit BasicAuth(std::map<std::string, std::string> users);
  bool enabled() const { return !users_.empty(); }
  // Whether an Authorization header's value carries a known user and its password.
  bool allows(std::string_view authorization);

 private:
  bool check(const std::string& user, const std::string& password);

  std::map<std::string, std::string> users_;
  std::string key_;                        // random, for the verdicts' keys
  std::map<std::string, bool> verdicts_;   // bounded: cleared when full
};

}  // namespace iotrace::cli
