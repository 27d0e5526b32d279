// iotrace exporter against the real thing: Debian's Prometheus server scrapes it and is asked,
// through its HTTP API, for the loop stalls of a blocking loop and of its offloaded twin;
// promtool checks the exposition; exited processes leave the series; bad input is refused.
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "exporter_fixture.hpp"
#include "harness.hpp"

using namespace itest;
using nlohmann::json;

namespace {

class ExporterTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (pid_t p : {exporter_.pid, prometheus_.pid})
      if (p > 0) {
        kill(p, SIGTERM);
        if (wait_exit(p, 15000) < 0) kill(p, SIGKILL);
      }
    for (auto* c : {&blocking_, &offloaded_})
      if (c->pid > 0) {
        close(c->in);  // the loop ends when stdin closes
        if (wait_exit(c->pid, 5000) < 0) kill(c->pid, SIGKILL);
      }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    if (bpf_available()) {
      EXPECT_TRUE(leftover_programs().empty()) << "the exporter left programs loaded";
    }
  }

  // go: start its loop now; else later with go().
  int start_loop(Child& c, const std::vector<std::string>& args, bool start = true) {
    std::vector<std::string> argv = {workload_bin("wl_top_loop")};
    argv.insert(argv.end(), args.begin(), args.end());
    c = spawn(argv);
    std::string ready = read_line(c.out);
    EXPECT_EQ(ready.rfind("ready ", 0), 0u) << ready;
    if (start) go(c);
    return std::stoi(ready.substr(6));
  }
  static void go(Child& c) {
    if (write(c.in, "go\n", 3) != 3) ADD_FAILURE() << "cannot start the workload";
  }

  // Starts the exporter and waits for /healthz.
  void start_exporter(const std::vector<std::string>& args) {
    port_ = free_port();
    std::vector<std::string> argv = {iotrace_bin(), "exporter", "--listen",
                                     "127.0.0.1:" + std::to_string(port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    exporter_ = spawn(argv);
    int status = 0;
    ASSERT_TRUE(eventually(20, [&] { return get(port_, "/healthz", &status), status == 200; }))
        << "the exporter never answered /healthz";
  }


  // Debian's Prometheus scraping the exporter every second; returns its port.
  int start_prometheus() {
    char tmpl[] = "/tmp/iotrace-prom-XXXXXX";
    if (!mkdtemp(tmpl)) return -1;
    dir_ = tmpl;
    int prom_port = free_port();
    {
      std::ofstream cfg(dir_ + "/prometheus.yml");
      cfg << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
          << "scrape_configs:\n  - job_name: iotrace\n    static_configs:\n"
          << "      - targets: ['127.0.0.1:" << port_ << "']\n";
    }
    prometheus_ = spawn({"/bin/sh", "-c",
                         "exec prometheus --config.file=" + dir_ + "/prometheus.yml --storage.tsdb.path=" +
                             dir_ + "/data --web.listen-address=127.0.0.1:" + std::to_string(prom_port) +
                             " >" + dir_ + "/prometheus.log 2>&1"},
                        false);
    return prom_port;
  }

  std::string dir_;
  int port_ = 0;
  Child blocking_, offloaded_, exporter_, prometheus_;
};

TEST_F(ExporterTest, PrometheusSeesTheBlockingLoopStallAndNotItsOffloadedTwin) {
  REQUIRE_BPF();
  REQUIRE_PROMETHEUS();
  int blocking = start_loop(blocking_, {});
  int offloaded = start_loop(offloaded_, {"offload"});
  // The loops sleep 30 ms: a threshold of 25 ms keeps a busy machine's preemptions of the
  // offloaded loop (a few ms) from counting as stalls.
  start_exporter({"-p", std::to_string(blocking), "-p", std::to_string(offloaded), "--duty", "2s/2s",
                  "--stall-threshold", "25ms"});

  int prom_port = start_prometheus();

  const std::string stalls_a = "iotrace_loop_stalls_total{pid=\"" + std::to_string(blocking) + "\"}";
  json got;
  ASSERT_TRUE(eventually(90, [&] { return (got = prom_query(prom_port, stalls_a)).size() > 0; }))
      << "Prometheus never had " << stalls_a;
  ASSERT_EQ(got.size(), 1u) << got.dump();
  EXPECT_EQ(got[0]["metric"]["comm"], "wl_top_loop");
  EXPECT_EQ(got[0]["metric"]["thread"], "wl_top_loop");
  EXPECT_EQ(got[0]["metric"]["job"], "iotrace");
  EXPECT_GT(std::stod(got[0]["value"][1].get<std::string>()), 0.0);

  const std::string sleeps = "iotrace_loop_blocking_calls_total{pid=\"" + std::to_string(blocking) +
                             "\",syscall=\"clock_nanosleep\",kind=\"slow\"}";
  EXPECT_EQ(prom_query(prom_port, sleeps).size(), 1u) << "the stalls' sleeps are blocking calls on the loop";

  // The twin was traced and scraped (its model is there), and never stalled.
  const std::string twin = "{pid=\"" + std::to_string(offloaded) + "\"}";
  json model = prom_query(prom_port, "iotrace_process_io_model" + twin);
  ASSERT_EQ(model.size(), 1u) << "the offloaded twin was not scraped";
  EXPECT_EQ(model[0]["metric"]["model"], "epoll");
  EXPECT_EQ(prom_query(prom_port, "iotrace_loop_stalls_total" + twin).size(), 0u);
  EXPECT_EQ(prom_query(prom_port, "iotrace_loop_blocking_calls_total{pid=\"" + std::to_string(offloaded) +
                                 "\",kind=\"slow\"}")
                .size(),
            0u);

  // The exposition passes Prometheus's own linter.
  std::string text = get(port_, "/metrics");
  ASSERT_NE(text.find("iotrace_loop_stalls_total"), std::string::npos);
  std::ofstream(dir_ + "/metrics.txt") << text;
  int rc = system(("promtool check metrics < " + dir_ + "/metrics.txt > " + dir_ + "/promtool.out 2>&1").c_str());
  std::ifstream out(dir_ + "/promtool.out");
  std::string lint((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rc, 0) << lint;
  EXPECT_EQ(lint, "");

  // SIGTERM: a clean exit with nothing attached (TearDown checks the programs).
  kill(exporter_.pid, SIGTERM);
  EXPECT_EQ(wait_exit(exporter_.pid, 15000), 0);
  exporter_.pid = -1;
}

// Processes that come and go leave the series: after they exited and a window published
// their last counts, nothing of them is left, and the series count follows the live processes.
TEST_F(ExporterTest, ExitedProcessesLeaveTheSeries) {
  REQUIRE_BPF();
  // duty-cycled: every window scans for matching processes anew
  start_exporter({"--comm", "^wl_top_loop$", "--duty", "1s/2s"});
  std::vector<int> gone;
  for (int round = 0; round < 3; ++round) {
    Child c;
    int pid = start_loop(c, {});
    const std::string series = "iotrace_syscalls_total{pid=\"" + std::to_string(pid) + "\"";
    EXPECT_TRUE(eventually(20, [&] { return get(port_, "/metrics").find(series) != std::string::npos; }))
        << "the exporter never served " << series;
    close(c.in);
    EXPECT_EQ(wait_exit(c.pid, 5000), 0);
    gone.push_back(pid);
  }
  int live = start_loop(blocking_, {});
  const std::string live_series = "iotrace_syscalls_total{pid=\"" + std::to_string(live) + "\"";
  std::string text;
  ASSERT_TRUE(eventually(30, [&] {
    text = get(port_, "/metrics");
    for (int pid : gone)
      if (text.find("pid=\"" + std::to_string(pid) + "\"") != std::string::npos) return false;
    return text.find(live_series) != std::string::npos;
  })) << text;
  EXPECT_NE(text.find("\niotrace_exporter_processes 1\n"), std::string::npos) << text;
}

// /debug/pprof/loop-blocked serves the last window's blocked loop time as a pprof profile
// that go tool pprof reads, with the loop's sleeping call and its thread.
TEST_F(ExporterTest, ServesTheLastWindowsBlockedLoopTimeAsAPprofProfile) {
  REQUIRE_BPF();
  if (system("go tool pprof -h >/dev/null 2>&1") != 0) {
    if (in_ci()) FAIL() << "go tool pprof missing (Debian package golang-go)";
    GTEST_SKIP() << "needs Debian's golang-go for go tool pprof";
  }
  int blocking = start_loop(blocking_, {});
  start_exporter({"-p", std::to_string(blocking), "--duty", "1s/2s", "--stall-threshold", "25ms"});
  std::string body;
  int status = 0;
  ASSERT_TRUE(eventually(20, [&] { return (body = get(port_, "/debug/pprof/loop-blocked", &status)), status == 200; }))
      << status << " " << body;
  char tmpl[] = "/tmp/iotrace-pprof-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  dir_ = tmpl;
  std::ofstream(dir_ + "/loop.pb.gz", std::ios::binary) << body;
  FILE* p = popen(("go tool pprof -symbolize=none -raw " + dir_ + "/loop.pb.gz 2>&1").c_str(), "r");
  std::string raw;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) raw.append(buf, n);
  EXPECT_EQ(pclose(p), 0) << raw;
  EXPECT_NE(raw.find("clock_nanosleep"), std::string::npos) << raw;
  EXPECT_NE(raw.find("thread:[wl_top_loop]"), std::string::npos) << raw;
  EXPECT_NE(raw.find("finding:[blocking-call-on-loop]"), std::string::npos) << raw;
}

// The value of the first series of `name` whose labels include `labels` in an exposition; -1
// when there is none.
double series_value(const std::string& text, const std::string& name, const std::string& labels) {
  size_t at = 0;
  while ((at = text.find("\n" + name + "{", at)) != std::string::npos) {
    size_t end = text.find('\n', at + 1);
    std::string line = text.substr(at + 1, end - at - 1);
    at = end;
    if (line.find(labels) == std::string::npos) continue;
    return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return -1;
}

// No blind spots: the loop watch runs between the sampled windows, so a rare stall is counted
// every time it happens, with its call and the program's frame that made it, while the windows
// trace 1 second of every 60. The offloaded twin, whose worker makes the same sleeps, has none.
TEST_F(ExporterTest, TheLoopWatchCountsEveryRareStallBetweenWindows) {
  REQUIRE_BPF();
  REQUIRE_PROMETHEUS();
  int blocking = start_loop(blocking_, {"rare", "3"}, false);
  int offloaded = start_loop(offloaded_, {"offload", "rare", "3"}, false);
  start_exporter({"-p", std::to_string(blocking), "-p", std::to_string(offloaded), "--duty", "1s/60s",
                  "--stall-threshold", "100ms"});
  int prom_port = start_prometheus();
  ASSERT_GT(prom_port, 0);
  // The loops start once the watch is attached and the first window (1 s) has ended: every
  // stall from then on falls between windows.
  ASSERT_TRUE(eventually(30, [&] {
    std::string t = get(port_, "/metrics");
    return t.find("\niotrace_exporter_loop_watch 1\n") != std::string::npos &&
           t.find("\niotrace_exporter_windows_total 1\n") != std::string::npos;
  })) << get(port_, "/metrics");
  go(blocking_);
  go(offloaded_);
  const std::string pid = "pid=\"" + std::to_string(blocking) + "\"";
  int announced = 0;
  std::string text;
  // Each stall is announced by the workload once it ended; the watch publishes every 5 s. After
  // four or more stalls, the counter must catch up with the announcements exactly.
  ASSERT_TRUE(eventually(60, [&] {
    for (pollfd pf{blocking_.out, POLLIN, 0}; poll(&pf, 1, 0) > 0; pf.revents = 0)
      if (read_line(blocking_.out, 1000).rfind("stall ", 0) == 0) ++announced;
    if (announced < 4) return false;
    text = get(port_, "/metrics");
    return series_value(text, "iotrace_loop_stalls_total", pid) == announced;
  })) << announced << " stalls announced\n" << text;
  EXPECT_NE(text.find("\niotrace_exporter_loop_watch 1\n"), std::string::npos) << text;
  const double stall_s = series_value(text, "iotrace_loop_stall_seconds_total", pid);
  EXPECT_GE(stall_s, 0.19 * announced) << text;
  EXPECT_LE(stall_s, 0.5 * announced) << text;
  const double calls = series_value(text, "iotrace_loop_blocking_calls_total",
                                    pid + ",comm=\"wl_top_loop\",cgroup=");
  EXPECT_EQ(calls, announced) << text;
  EXPECT_NE(text.find("syscall=\"clock_nanosleep\",fd_kind=\"none\",kind=\"slow\",frame=\"rare_stall\"} "),
            std::string::npos)
      << text;
  // the twin's loop ran all along, and never stalled
  const std::string twin = "pid=\"" + std::to_string(offloaded) + "\"";
  EXPECT_GT(series_value(text, "iotrace_loop_iterations_total", twin), 1000) << text;
  // and Prometheus has what was served
  json got;
  const std::string q = "iotrace_loop_stalls_total{" + pid + "}";
  EXPECT_TRUE(eventually(20, [&] {
    got = prom_query(prom_port, q);
    return got.size() == 1 && std::stod(got[0]["value"][1].get<std::string>()) >= announced;
  })) << got.dump();
  EXPECT_EQ(series_value(text, "iotrace_loop_stalls_total", twin), -1) << text;
  EXPECT_EQ(series_value(text, "iotrace_loop_blocking_calls_total", twin), -1) << text;
}

TEST(ExporterCli, RefusesBadInputWithTheDocumentedStatus) {
  auto r = run_iotrace({"exporter", "--duty", "5s"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("ON/PERIOD"), std::string::npos) << r.err;
  r = run_iotrace({"exporter", "--duty", "10s/5s"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = run_iotrace({"exporter", "--listen", "127.0.0.1"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = run_iotrace({"exporter", "--comm", "("});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  ASSERT_EQ(wait_exit(dead), 0);
  r = run_iotrace({"exporter", "-p", std::to_string(dead)});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  // a port already taken: status 4 before anything is loaded
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  listen(s, 1);
  socklen_t len = sizeof(a);
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  r = run_iotrace({"exporter", "--listen", "127.0.0.1:" + std::to_string(ntohs(a.sin_port))});
  close(s);
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("cannot listen"), std::string::npos) << r.err;
}

}  // namespace
