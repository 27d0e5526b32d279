// The exporter behind TLS and basic auth, from a web configuration file: Debian's Prometheus
// scrapes it over HTTPS with a password and its query API has the series; a wrong password
// gets 401 and no metrics; plain HTTP to the TLS port gets no metrics; promtool accepts every
// web configuration the man page shows, and so does the exporter.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "exporter_fixture.hpp"

using namespace itest;
using nlohmann::json;

namespace {

// The web configuration examples of the man page (an .EX block whose first line names a
// web.yml file), un-escaped from troff.
std::vector<std::string> man_page_web_configs() {
  std::ifstream in(std::string(IOTRACE_SOURCE_DIR) + "/man/iotrace.8");
  std::vector<std::string> out;
  std::string line, block;
  bool in_block = false;
  while (std::getline(in, line)) {
    if (line == ".EX") {
      in_block = true;
      block.clear();
      continue;
    }
    if (line == ".EE") {
      in_block = false;
      if (block.rfind("# ", 0) == 0 && block.substr(0, block.find('\n')).find("web.yml") != std::string::npos)
        out.push_back(block);
      continue;
    }
    if (!in_block) continue;
    line = std::regex_replace(line, std::regex(R"(\\-)"), "-");
    line = std::regex_replace(line, std::regex(R"(\\\(aq)"), "'");
    line = std::regex_replace(line, std::regex(R"(\\\(dq)"), "\"");
    line = std::regex_replace(line, std::regex(R"(\\e)"), "\\");
    block += line + "\n";
  }
  return out;
}

class ExporterTls : public ::testing::Test {
 protected:
  void SetUp() override {
    // A CA, a server certificate for 127.0.0.1 it signed, and a client certificate, named as
    // the man page's examples name them (relative to the configuration's directory).
    int rc = 0;
    std::string out = shell("cd " + dir_ +
                             " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
                             " -subj /CN=iotrace-test-ca -keyout ca.key -out clients-ca.crt"
                             " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1"
                             " -keyout iotrace.key -out server.csr"
                             " && printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san.ext"
                             " && openssl x509 -req -in server.csr -CA clients-ca.crt -CAkey ca.key -CAcreateserial"
                             " -days 2 -extfile san.ext -out iotrace.crt"
                             " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=prometheus"
                             " -keyout client.key -out client.csr"
                             " && printf 'subjectAltName=DNS:prometheus.example\\n' > client.ext"
                             " && openssl x509 -req -in client.csr -CA clients-ca.crt -CAkey ca.key -CAcreateserial"
                             " -days 2 -extfile client.ext -out client.crt",
                         &rc);
    ASSERT_EQ(rc, 0) << out;
  }
  void TearDown() override {
    for (pid_t p : {exporter_.pid, prometheus_.pid})
      if (p > 0) {
        kill(p, SIGTERM);
        if (wait_exit(p, 15000) < 0) kill(p, SIGKILL);
      }
    if (target_.pid > 0) {
      close(target_.in);
      if (wait_exit(target_.pid, 5000) < 0) kill(target_.pid, SIGKILL);
    }
  }

  void start_target() {
    target_ = spawn({workload_bin("wl_top_loop")});
    std::string ready = read_line(target_.out);
    ASSERT_EQ(ready.rfind("ready ", 0), 0u) << ready;
    ASSERT_EQ(write(target_.in, "go\n", 3), 3);
    target_pid_ = ready.substr(6);
  }

  // Starts the exporter with a web configuration; waits until it answers over TLS.
  void start_exporter(const std::string& web_config, const std::string& curl_auth) {
    port_ = free_port();
    exporter_ = spawn({iotrace_bin(), "exporter", "--listen", "127.0.0.1:" + std::to_string(port_), "-p",
                       target_pid_, "--duty", "1s/2s", "--web-config", web_config});
    ASSERT_TRUE(eventually(20, [&] { return curl("/healthz", curl_auth).first == 200; }))
        << "the exporter never answered /healthz over TLS";
  }

  // GET over HTTPS with curl, trusting the test CA: (status, body).
  std::pair<int, std::string> curl(const std::string& path, const std::string& extra, bool https = true) {
    std::string out = shell("curl -s -m 5 -o " + dir_ + "/body -w '%{http_code}' --cacert " + dir_ + "/clients-ca.crt " +
                         extra + (https ? " https://" : " http://") + "127.0.0.1:" + std::to_string(port_) + path);
    std::ifstream in(dir_ + "/body");
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::filesystem::remove(dir_ + "/body");
    return {atoi(out.c_str()), body};
  }


  TempDir tmp_{"iotrace-tls"};
  const std::string dir_ = tmp_.path;
  std::string target_pid_;
  int port_ = 0;
  Child exporter_, prometheus_, target_;
};

TEST_F(ExporterTls, PrometheusScrapesOverTlsWithBasicAuthAndNothingLeaksWithout) {
  REQUIRE_BPF();
  REQUIRE_PROMETHEUS();
  int rc = 0;
  std::string hash = shell("htpasswd -nbBC 10 prometheus 's3cret pass' | cut -d: -f2 | tr -d '\\n'", &rc);
  ASSERT_EQ(rc, 0) << hash;
  {
    std::ofstream(dir_ + "/web.yml") << "tls_server_config:\n  cert_file: iotrace.crt\n  key_file: iotrace.key\n"
                                     << "basic_auth_users:\n  prometheus: " << hash << "\n";
  }
  start_target();
  start_exporter(dir_ + "/web.yml", "-u 'prometheus:s3cret pass'");

  auto ok = curl("/metrics", "-u 'prometheus:s3cret pass'");
  EXPECT_EQ(ok.first, 200);
  EXPECT_NE(ok.second.find("iotrace_exporter_windows_total"), std::string::npos);
  auto wrong = curl("/metrics", "-u 'prometheus:s3cret pasS'");
  EXPECT_EQ(wrong.first, 401);
  EXPECT_EQ(wrong.second.find("iotrace_"), std::string::npos) << wrong.second;
  auto none = curl("/metrics", "");
  EXPECT_EQ(none.first, 401);
  EXPECT_EQ(none.second.find("iotrace_"), std::string::npos);
  auto plain = curl("/metrics", "-u 'prometheus:s3cret pass'", false);
  EXPECT_NE(plain.first, 200);
  EXPECT_EQ(plain.second.find("iotrace_"), std::string::npos) << plain.second;

  // Prometheus: one job with the password, one with a wrong one.
  int prom_port = free_port();
  {
    std::ofstream cfg(dir_ + "/prometheus.yml");
    cfg << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n";
    for (const char* job : {"iotrace", "intruder"})
      cfg << "  - job_name: " << job << "\n    scheme: https\n    tls_config:\n      ca_file: " << dir_
          << "/clients-ca.crt\n    basic_auth:\n      username: prometheus\n      password: '"
          << (std::string(job) == "iotrace" ? "s3cret pass" : "guess") << "'\n    static_configs:\n"
          << "      - targets: ['127.0.0.1:" << port_ << "']\n";
  }
  prometheus_ = spawn({"/bin/sh", "-c",
                       "exec prometheus --config.file=" + dir_ + "/prometheus.yml --storage.tsdb.path=" + dir_ +
                           "/data --web.listen-address=127.0.0.1:" + std::to_string(prom_port) + " >" + dir_ +
                           "/prometheus.log 2>&1"},
                      false);
  json got;
  ASSERT_TRUE(eventually(60, [&] {
    return (got = prom_query(prom_port, "iotrace_exporter_windows_total{job=\"iotrace\"}")).size() > 0;
  })) << "Prometheus never scraped the exporter over TLS";
  // Each job's scrapes are its own: wait until both have been tried.
  std::map<std::string, std::string> up_of;
  ASSERT_TRUE(eventually(60, [&] {
    up_of.clear();
    for (const auto& s : prom_query(prom_port, "up")) up_of[s["metric"]["job"]] = s["value"][1];
    return up_of.count("iotrace") && up_of.count("intruder");
  })) << "Prometheus never tried both jobs";
  EXPECT_EQ(up_of["iotrace"], "1");
  EXPECT_EQ(up_of["intruder"], "0") << "a wrong password was let in";
  EXPECT_EQ(prom_query(prom_port, "iotrace_exporter_windows_total{job=\"intruder\"}").size(), 0u);
  EXPECT_TRUE(eventually(30, [&] {
    return prom_query(prom_port, "iotrace_exporter_http_refused_total{job=\"iotrace\",reason=\"unauthorized\"} > 0")
               .size() > 0;
  })) << "the exporter counts the refused scrapes";
}

TEST_F(ExporterTls, EveryWebConfigOfTheManPageIsAcceptedByPromtoolAndTheExporter) {
  REQUIRE_BPF();
  REQUIRE_PROMETHEUS();
  auto examples = man_page_web_configs();
  ASSERT_GE(examples.size(), 2u) << "the man page shows a web configuration with TLS and basic auth, and one with client certificates";
  start_target();
  for (size_t i = 0; i < examples.size(); ++i) {
    std::string path = dir_ + "/example" + std::to_string(i) + "-web.yml";
    std::ofstream(path) << examples[i];
    int rc = 0;
    std::string out = shell("promtool check web-config " + path, &rc);
    EXPECT_EQ(rc, 0) << examples[i] << out;
    // The man page's examples use the password "secret" and these file names.
    const bool mtls = examples[i].find("client_ca_file") != std::string::npos;
    std::string auth = examples[i].find("basic_auth_users") != std::string::npos ? "-u prometheus:secret" : "";
    if (mtls) auth += " --cert " + dir_ + "/client.crt --key " + dir_ + "/client.key";
    start_exporter(path, auth);
    auto r = curl("/metrics", auth);
    EXPECT_EQ(r.first, 200) << examples[i];
    if (mtls) {
      EXPECT_NE(curl("/metrics", "-u prometheus:secret").first, 200) << "no client certificate, no metrics";
    }
    kill(exporter_.pid, SIGTERM);
    EXPECT_EQ(wait_exit(exporter_.pid, 15000), 0);
    exporter_.pid = -1;
  }
}

TEST(ExporterWebConfig, AMalformedFileIsRefusedAtStartWithItsLine) {
  char tmpl[] = "/tmp/iotrace-webcfg-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::ofstream(dir + "/web.yml") << "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  clientauth: x\n";
  auto r = run_iotrace({"exporter", "--web-config", dir + "/web.yml"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("web.yml:4"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("clientauth"), std::string::npos) << r.err;
  r = run_iotrace({"exporter", "--web-config", dir + "/missing.yml"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  std::filesystem::remove_all(dir);
}

}  // namespace
