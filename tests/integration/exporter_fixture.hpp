// What the exporter's integration tests share: a free port, an HTTP GET, waiting for a
// condition, and Debian's Prometheus.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "harness.hpp"

namespace itest {

inline bool have_program(const std::string& name) {
  return system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

#define REQUIRE_PROMETHEUS()                                                              \
  do {                                                                                    \
    if (!have_program("prometheus") || !have_program("promtool")) {                       \
      if (::itest::in_ci()) FAIL() << "prometheus/promtool missing (Debian package prometheus)";  \
      GTEST_SKIP() << "needs Debian's prometheus package";                                \
    }                                                                                     \
  } while (0)

inline int free_port() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  close(s);
  return port;
}

inline std::string get(int port, const std::string& path, int* status = nullptr) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2);
  c.set_read_timeout(10);
  auto r = c.Get(path.c_str());
  if (status) *status = r ? r->status : -1;
  return r ? r->body : std::string();
}

// Waits until cond() holds, up to timeout_s; returns whether it did.
template <typename F>
inline bool eventually(int timeout_s, F cond) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return cond();
}

// The series of a PromQL query's answer from a Prometheus server's HTTP API.
inline nlohmann::json prom_query(int port, const std::string& promql) {
  httplib::Client c("127.0.0.1", port);
  auto r = c.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
  if (!r || r->status != 200) return nlohmann::json::array();
  nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded() || j.value("status", "") != "success") return nlohmann::json::array();
  return j["data"]["result"];
}

// CPU time (user and system) and resident memory of a process, from /proc.
inline double proc_cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream rest(text.substr(paren + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

inline long proc_rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace itest
