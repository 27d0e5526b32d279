// The web configuration file is read as the exporter-toolkit reads it, and a wrong one is
// refused with its line.
#include "cli/exporter/web_config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli/errors.hpp"
#include "cli/exporter/basic_auth.hpp"

using namespace iotrace::cli;

namespace {

// htpasswd -nbBC 10 prometheus secret
const char* k_hash = "$2y$10$YLiuC78ZCKhXYkkk19.0G./GSfGfzE30pCEPvhPgMKf1YIFCPmIDW";

std::string error_of(const std::string& text, const std::string& path = "/etc/web.yml") {
  try {
    parse_web_config(text, path);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

class WebConfigFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/iotrace-webcfg-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ + "/cert.pem") << "x";
    std::ofstream(dir_ + "/key.pem") << "x";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(WebConfigFiles, TheToolkitsKeysAreReadAndPathsAreTakenFromTheFilesDirectory) {
  std::string text = std::string("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n") +
                     "  min_version: TLS13\n  curve_preferences: [X25519, CurveP256]\n" +
                     "  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n" +
                     "http_server_config:\n  http2: false\n  headers:\n    X-Frame-Options: deny\n" +
                     "basic_auth_users:\n  prometheus: " + k_hash + "\n";
  WebConfig c = parse_web_config(text, dir_ + "/web.yml");
  ASSERT_TRUE(c.tls);
  EXPECT_EQ(c.tls->cert_file, dir_ + "/cert.pem");
  EXPECT_EQ(c.tls->min_version, 0x0304);
  EXPECT_EQ(c.tls->curve_preferences, (std::vector<std::string>{"X25519", "P-256"}));
  EXPECT_EQ(c.tls->cipher_suites, (std::vector<std::string>{"ECDHE-RSA-AES128-GCM-SHA256"}));
  EXPECT_EQ(c.basic_auth_users.at("prometheus"), k_hash);
  ASSERT_EQ(c.headers.size(), 1u);
  EXPECT_EQ(c.headers[0].second, "deny");
}

TEST_F(WebConfigFiles, AWrongFileIsRefusedWithTheLineThatIsWrong) {
  std::string p = dir_ + "/web.yml";
  EXPECT_NE(error_of("tls_server_config:\n  cert_file: cert.pem\n  key_fil: key.pem\n", p).find(":3: unknown key 'key_fil'"),
            std::string::npos);
  EXPECT_NE(error_of("tls_server_config:\n  cert_file: cert.pem\n", p).find("missing key_file"), std::string::npos);
  EXPECT_NE(error_of("tls_server_config:\n  cert_file: nope.pem\n  key_file: key.pem\n", p).find(":2: cert_file: cannot read"),
            std::string::npos);
  EXPECT_NE(error_of("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  min_version: TLS9\n", p)
                .find(":4: min_version"),
            std::string::npos);
  EXPECT_NE(error_of(std::string("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n") +
                         "  client_ca_file: cert.pem\n",
                     p)
                .find("client_auth_type is not"),
            std::string::npos);
  EXPECT_NE(error_of("basic_auth_users:\n  alice: plaintext\n", p).find(":2: basic_auth_users: the password of 'alice'"),
            std::string::npos);
  EXPECT_NE(error_of("http_server_config:\n  headers:\n    Set-Cookie: a\n", p).find("cannot be set"), std::string::npos);
  EXPECT_NE(error_of("tls_server_config: [1, 2\n", p).find("not YAML"), std::string::npos);
  EXPECT_NE(error_of("basic_auth: {}\n", p).find(":1: unknown key 'basic_auth'"), std::string::npos);
}

TEST(WebConfig, AnEmptyFileOrTlsSectionMeansPlainHttp) {
  EXPECT_FALSE(parse_web_config("", "/x/web.yml").tls);
  EXPECT_FALSE(parse_web_config("tls_server_config: {}\n", "/x/web.yml").tls);
}

TEST(BasicAuth, OnlyTheRightUserAndPasswordPass) {
  BasicAuth auth(std::map<std::string, std::string>{{"prometheus", k_hash}});
  EXPECT_TRUE(auth.allows("Basic cHJvbWV0aGV1czpzZWNyZXQ="));    // prometheus:secret
  EXPECT_TRUE(auth.allows("Basic cHJvbWV0aGV1czpzZWNyZXQ="));    // again, from the verdicts kept
  EXPECT_FALSE(auth.allows("Basic cHJvbWV0aGV1czpzZWNyZXU="));   // prometheus:secreu
  EXPECT_FALSE(auth.allows("Basic YWxpY2U6c2VjcmV0"));           // alice:secret
  EXPECT_FALSE(auth.allows("Bearer cHJvbWV0aGV1czpzZWNyZXQ="));
  EXPECT_FALSE(auth.allows("Basic !!!!"));
  EXPECT_FALSE(auth.allows(""));
}

}  // namespace
