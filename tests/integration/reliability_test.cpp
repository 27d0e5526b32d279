// Reliability and security: every kind of target, bad input, signals, scale, and what iotrace
// leaves behind. The table in tests/RELIABILITY.md names the test for each case.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "harness.hpp"

using namespace itest;

namespace {

class Reliability : public ::testing::Test {
 protected:
  void TearDown() override {
    if (bpf_available()) {
      EXPECT_TRUE(leftover_programs().empty()) << "iotrace left programs loaded";
    }
  }
};

int count_of(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Runs any program to completion, capturing both streams.
TraceResult run_argv(const std::vector<std::string>& argv, int timeout_ms = 30000) {
  Child c = spawn(argv, true);
  close(c.in);
  std::string out, err;
  std::thread t([&] { err = read_all(c.err); });
  out = read_all(c.out);
  t.join();
  close(c.out);
  close(c.err);
  TraceResult r;
  r.exit_code = wait_exit(c.pid, timeout_ms);
  r.out = out;
  r.err = err;
  return r;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// An iotrace attached to a workload that is ready but not yet started.
struct Attached {
  Child w, t;
  explicit Attached(const std::string& workload, std::vector<std::string> wargs = {},
                    std::vector<std::string> iargs = {"--json"}) {
    std::vector<std::string> wargv{workload_bin(workload)};
    wargv.insert(wargv.end(), wargs.begin(), wargs.end());
    w = spawn(wargv, false);
    std::string ready = read_line(w.out, 30000);
    if (ready.rfind("ready ", 0) != 0) throw std::runtime_error("workload said: " + ready);
    std::vector<std::string> args{iotrace_bin(), "attach", std::to_string(w.pid)};
    args.insert(args.end(), iargs.begin(), iargs.end());
    t = spawn(args, true);
    wait_attached(t);
  }
  static void wait_attached(const Child& t) {
    while (true) {
      std::string line = read_line(t.err, 30000);
      if (line.find("attached to") != std::string::npos) return;
      if (line.find("error:") != std::string::npos) throw std::runtime_error(line);
    }
  }
  void go_and_wait_done() {
    if (write(w.in, "go\n", 3) != 3) throw std::runtime_error("cannot start the workload");
    std::string done = read_line(w.out, 60000);
    if (done != "done") throw std::runtime_error("workload said: " + done);
  }
  void end_workload() {
    close(w.in);
    wait_exit(w.pid);
    close(w.out);
  }
};

// Whether a signal is still pending for a process (not yet delivered to its handler).
bool signal_pending(pid_t pid, int sig) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("ShdPnd:", 0) == 0 || line.rfind("SigPnd:", 0) == 0) {
      unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
      if (mask & (1ull << (sig - 1))) return true;
    }
  return false;
}

const std::vector<std::string> k_as_nobody{"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                                           "--clear-groups"};

}  // namespace

// --- targets ---------------------------------------------------------------------------------

TEST_F(Reliability, NoSuchPidIsOneTargetError) {
  // the highest pid the kernel can hand out, plus one, never exists; a high unused one:
  pid_t pid = 4194000;
  while (kill(pid, 0) == 0 || errno != ESRCH) --pid;
  TraceResult r = run_iotrace({"attach", std::to_string(pid)});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(count_of(r.err, "iotrace: error:"), 1) << r.err;
  EXPECT_NE(r.err.find("no process with pid " + std::to_string(pid)), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(Reliability, KernelThreadIsRefused) {
  std::string comm = read_text("/proc/2/comm");
  if (comm != "kthreadd\n") GTEST_SKIP() << "pid 2 is not kthreadd here (a pid namespace)";
  TraceResult r = run_iotrace({"attach", "2"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(count_of(r.err, "iotrace: error:"), 1) << r.err;
  EXPECT_NE(r.err.find("kernel thread"), std::string::npos) << r.err;
}

TEST_F(Reliability, ZombieIsRefused) {
  pid_t z = fork();
  if (z == 0) _exit(0);
  // wait until it is a zombie (state Z) without reaping it
  for (int i = 0; i < 500; ++i) {
    siginfo_t si{};
    if (waitid(P_PID, static_cast<id_t>(z), &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == z)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  TraceResult r = run_iotrace({"attach", std::to_string(z)});
  waitpid(z, nullptr, 0);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(count_of(r.err, "iotrace: error:"), 1) << r.err;
  EXPECT_NE(r.err.find("zombie"), std::string::npos) << r.err;
}

TEST_F(Reliability, ThreadIdNamesItsProcess) {
  std::atomic<pid_t> tid{0};
  std::atomic<bool> stop{false};
  std::thread t([&] {
    tid = static_cast<pid_t>(syscall(SYS_gettid));
    while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  while (!tid) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  TraceResult r = run_iotrace({"attach", std::to_string(tid.load())});
  stop = true;
  t.join();
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(count_of(r.err, "iotrace: error:"), 1) << r.err;
  EXPECT_NE(r.err.find(std::to_string(tid.load()) + " is a thread of process " +
                       std::to_string(getpid())),
            std::string::npos)
      << r.err;
}

TEST_F(Reliability, PidOneIsTraced) {
  REQUIRE_BPF();
  TraceResult r = run_iotrace({"attach", "1", "-d", "200ms", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(r.report.is_object()) << r.out;
  EXPECT_EQ(process_of(r.report, 1).at("pid"), 1);
}

TEST_F(Reliability, OwnPidIsRefused) {
  // the shell execs iotrace, so $$ is iotrace's own pid
  TraceResult r = run_argv({"/bin/sh", "-c", "exec \"$0\" attach $$", iotrace_bin()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(count_of(r.err, "iotrace: error:"), 1) << r.err;
  EXPECT_NE(r.err.find("is iotrace itself"), std::string::npos) << r.err;
}

// --- bad input -------------------------------------------------------------------------------

TEST_F(Reliability, NonsensePidsAreUsageErrors) {
  for (const std::string pid : {"abc", "-5", "0", "12x", "99999999999", ""}) {
    TraceResult r = run_iotrace({"attach", pid});
    EXPECT_EQ(r.exit_code, 2) << "pid '" << pid << "': " << r.err;
    EXPECT_EQ(count_of(r.err, "iotrace: error:"), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST_F(Reliability, BadDurationsAndOptionsAreUsageErrors) {
  const std::string self = std::to_string(getppid());
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"attach", self, "-d", "-5"},
           {"attach", self, "-d", "5x"},
           {"attach", self, "-d", "999999h"},
           {"attach", self, "-d", "0"},
           {"attach", self, "-d", ""},
           {"attach", self, "--bogus"},
           {"attach", self, "--stall-threshold", "nan"},
           {"--bogus"},
           {"frobnicate"},
           {}}) {
    TraceResult r = run_iotrace(args);
    std::string line;
    for (const auto& a : args) line += " '" + a + "'";
    EXPECT_EQ(r.exit_code, 2) << line << ": " << r.err;
    EXPECT_EQ(count_of(r.err, "iotrace: error:"), 1) << line << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << line << ": " << r.out;
  }
  TraceResult r = run_iotrace({"attach", self, "-d", "5x"});
  EXPECT_NE(r.err.find("'5x'"), std::string::npos) << r.err;
  r = run_iotrace({"attach", self, "-d", "999999h"});
  EXPECT_NE(r.err.find("longer than 30 days"), std::string::npos) << r.err;
}

// --- security --------------------------------------------------------------------------------

TEST_F(Reliability, WithoutPrivilegesSaysWhatIsNeeded) {
  REQUIRE_BPF();  // needs root to drop to nobody
  std::vector<std::string> argv = k_as_nobody;
  argv.insert(argv.end(), {iotrace_bin(), "attach", std::to_string(getpid()), "-d", "200ms"});
  TraceResult r = run_argv(argv);
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_EQ(count_of(r.err, "iotrace: error:"), 1) << r.err;
  EXPECT_NE(r.err.find("iotrace: hint:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("CAP_BPF"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(Reliability, RefusesToRunSetuid) {
  REQUIRE_BPF();  // needs root to make a setuid-root copy
  TempDir dir;
  std::string copy = dir.path + "/iotrace", id = dir.path + "/id";
  ASSERT_EQ(system(("cp '" + iotrace_bin() + "' '" + copy + "' && cp /usr/bin/id '" + id + "'").c_str()), 0);
  ASSERT_EQ(chmod(copy.c_str(), 04755), 0);
  ASSERT_EQ(chmod(id.c_str(), 04755), 0);
  // the setuid bit only takes effect where the file system and no_new_privs allow it
  std::vector<std::string> argv = k_as_nobody;
  argv.insert(argv.end(), {id, "-u"});
  if (run_argv(argv).out != "0\n") GTEST_SKIP() << "setuid bits are not honoured here (nosuid?)";
  argv = k_as_nobody;
  argv.insert(argv.end(), {copy, "attach", std::to_string(getpid()), "-d", "200ms"});
  TraceResult r = run_argv(argv);
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_EQ(count_of(r.err, "iotrace: error:"), 1) << r.err;
  EXPECT_NE(r.err.find("refusing to run setuid"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(Reliability, OutputFileReplacesAPlantedSymlink) {
  REQUIRE_BPF();
  TempDir dir;
  std::string victim = dir.path + "/victim", out = dir.path + "/report.txt";
  { std::ofstream(victim) << "precious\n"; }
  ASSERT_EQ(symlink(victim.c_str(), out.c_str()), 0);
  TraceResult r = trace_workload({"wl_counted", {}, {"-o", out}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_text(victim), "precious\n");
  struct stat st{};
  ASSERT_EQ(lstat(out.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode)) << "the symlink was followed";
  EXPECT_NE(read_text(out).find("late-thread"), std::string::npos);
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// --- targets that change under the trace ------------------------------------------------------

TEST_F(Reliability, ExecMidTraceReportsTheNewProgram) {
  REQUIRE_BPF();
  TraceResult r = trace_workload({"wl_exec", {}, {"--json"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(r.report.is_object()) << r.out;
  const auto& procs = r.report.at("processes");
  ASSERT_EQ(procs.size(), 1u);
  const auto& p = procs[0];
  EXPECT_EQ(p.at("comm"), "wl_exec_target");
  EXPECT_NE(p.at("exe").get<std::string>().find("wl_exec_target"), std::string::npos) << p.at("exe");
  // 5 calls before the exec and 7 after, all under the same pid
  EXPECT_EQ(syscall_calls(p, "getppid"), 12u);
  EXPECT_EQ(syscall_calls(p, "execve"), 1u);
  EXPECT_EQ(r.report.at("losses").at("total"), 0);
}

TEST_F(Reliability, ThreadChurnCountsStayExact) {
  REQUIRE_BPF();
  auto t0 = std::chrono::steady_clock::now();
  TempDir dir;
  std::string capture = dir.path + "/churn.json";
  TraceResult r =
      trace_workload({"wl_churn", {"2000"}, {"--json", "--all-threads", "--save-capture", capture}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(r.report.is_object()) << r.out;
  const auto& p = r.report.at("processes").at(0);
  EXPECT_EQ(syscall_calls(p, "getppid"), 20000u);  // the main thread makes none
  uint64_t per_thread_ok = 0;
  for (const auto& t : p.at("threads")) {
    uint64_t n = 0;
    for (const auto& s : t.at("syscalls"))
      if (s.at("syscall") == "getppid") n += s.at("calls").get<uint64_t>();
    if (n == 10) ++per_thread_ok;
  }
  EXPECT_EQ(per_thread_ok, 2000u);
  EXPECT_EQ(r.report.at("losses").at("total"), 0);
  // without --all-threads the 2000 short-lived workers fold into a few entries, every call kept
  TraceResult folded = run_iotrace({"report", "--json", capture});
  ASSERT_EQ(folded.exit_code, 0) << folded.err;
  auto fj = nlohmann::json::parse(folded.out, nullptr, false);
  ASSERT_TRUE(fj.is_object()) << folded.out.substr(0, 2000);
  const auto& fp = fj.at("processes").at(0);
  EXPECT_EQ(syscall_calls(fp, "getppid"), 20000u);
  EXPECT_LE(fp.at("threads").size(), 20u);
  uint64_t threads = fp.at("threads").size(), getppid = 0;
  for (const auto& g : fp.at("thread_groups")) {
    threads += g.at("threads").get<uint64_t>();
    for (const auto& s : g.at("syscalls"))
      if (s.at("syscall") == "getppid") getppid += s.at("calls").get<uint64_t>();
  }
  for (const auto& t : fp.at("threads"))
    for (const auto& s : t.at("syscalls"))
      if (s.at("syscall") == "getppid") getppid += s.at("calls").get<uint64_t>();
  EXPECT_EQ(threads, fp.at("threads_seen").get<uint64_t>());
  EXPECT_EQ(getppid, 20000u);
  // report takes --all-threads as attach does: every worker its own entry again
  TraceResult all = run_iotrace({"report", "--json", "--all-threads", capture});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  auto aj = nlohmann::json::parse(all.out, nullptr, false);
  ASSERT_TRUE(aj.is_object());
  EXPECT_GE(aj.at("processes").at(0).at("threads").size(), 2000u);
  RecordProperty("seconds", std::to_string(std::chrono::duration<double>(
                                std::chrono::steady_clock::now() - t0).count()));
}

TEST_F(Reliability, TenThousandThreadsExactAndReadable) {
  REQUIRE_BPF();
  TempDir dir;
  std::string capture = dir.path + "/c10k.json";
  TraceResult r = trace_workload(
      {"wl_c10k", {"10000"}, {"--json", "--all-threads", "--save-capture", capture}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(r.report.is_object()) << r.out.substr(0, 2000);
  const auto& p = r.report.at("processes").at(0);
  EXPECT_EQ(syscall_calls(p, "getppid"), 10000u);
  uint64_t one_each = 0;
  for (const auto& t : p.at("threads"))
    for (const auto& s : t.at("syscalls"))
      if (s.at("syscall") == "getppid" && s.at("calls") == 1) ++one_each;
  EXPECT_EQ(one_each, 10000u);
  // the reads each thread was blocked in when iotrace attached are not counted: only calls
  // that start while traced are (their latency would be unknown)
  EXPECT_EQ(r.report.at("losses").at("total"), 0);
  // the text report shows the top threads, then one line for the rest
  TraceResult text = run_iotrace({"report", capture});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_LT(count_of(text.out, "\n"), 200) << text.out;
  EXPECT_NE(text.out.find("more threads"), std::string::npos) << text.out;
}

TEST_F(Reliability, TargetInItsOwnPidAndMountNamespace) {
  REQUIRE_BPF();
  Child u = spawn({"/usr/bin/unshare", "--pid", "--mount", "--fork", workload_bin("wl_counted")}, false);
  std::string ready = read_line(u.out, 30000);
  ASSERT_EQ(ready, "ready 1");  // pid 1 in its namespace
  std::string children = read_text("/proc/" + std::to_string(u.pid) + "/task/" +
                                   std::to_string(u.pid) + "/children");
  int host_pid = atoi(children.c_str());
  ASSERT_GT(host_pid, 1) << children;
  Child t = spawn({iotrace_bin(), "attach", std::to_string(host_pid), "--json"}, true);
  Attached::wait_attached(t);
  ASSERT_EQ(write(u.in, "go\n", 3), 3);
  ASSERT_EQ(read_line(u.out, 60000), "done");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(t.pid, SIGINT);
  std::string out = read_all(t.out);
  EXPECT_EQ(wait_exit(t.pid), 0);
  close(u.in);
  wait_exit(u.pid);
  auto report = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << out;
  const auto& p = process_of(report, host_pid);
  EXPECT_EQ(p.at("ns_pid"), 1);  // the pid it knows itself by
  EXPECT_EQ(syscall_calls(p, "write", "tcp"), 10000u);
  EXPECT_EQ(syscall_calls(p, "read", "tcp"), 10007u);
  EXPECT_EQ(syscall_calls(p, "pread64", "regular"), 3u);
  EXPECT_EQ(syscall_calls(p, "getppid"), 50u);
}

// The kernel side forgets a target in sched_process_exit once its whole thread group is gone,
// so a new process that gets the pid before iotrace stops is not counted as the old one.
TEST_F(Reliability, ReusedPidIsNotTheOldProcess) {
  REQUIRE_BPF();
  // The target exits; a new process gets its pid at once (ns_last_pid) and makes calls while
  // iotrace is still attached. None of them may be counted for the old process.
  Attached a("wl_counted", {"exit"});
  pid_t old_pid = a.w.pid;
  a.go_and_wait_done();
  wait_exit(old_pid);
  {
    std::ofstream last("/proc/sys/kernel/ns_last_pid");
    last << old_pid - 1;
  }
  pid_t reused = fork();
  if (reused == 0) {
    for (int i = 0; i < 3000000; ++i) syscall(SYS_getppid);
    _exit(0);
  }
  std::string out = read_all(a.t.out);
  int code = wait_exit(a.t.pid);
  kill(reused, SIGKILL);
  waitpid(reused, nullptr, 0);
  close(a.w.in);
  close(a.w.out);
  if (reused != old_pid) GTEST_SKIP() << "another process took pid " << old_pid << " first";
  ASSERT_EQ(code, 0);
  auto report = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << out;
  ASSERT_EQ(report.at("processes").size(), 1u);
  const auto& p = process_of(report, old_pid);
  EXPECT_TRUE(p.at("exited").get<bool>());
  EXPECT_EQ(p.at("comm"), "wl_counted");
  EXPECT_EQ(syscall_calls(p, "write", "tcp"), 10000u);
  EXPECT_EQ(syscall_calls(p, "getppid"), 50u) << "calls of the new process with the same pid were counted";
}

// --- iotrace under pressure ------------------------------------------------------------------

TEST_F(Reliability, SigtermReportsAndExitsZero) {
  REQUIRE_BPF();
  Attached a("wl_counted");
  a.go_and_wait_done();
  kill(a.t.pid, SIGTERM);
  std::string out = read_all(a.t.out);
  EXPECT_EQ(wait_exit(a.t.pid), 0);
  a.end_workload();
  auto report = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << out;
  EXPECT_EQ(syscall_calls(process_of(report, a.w.pid), "write", "tcp"), 10000u);
}

TEST_F(Reliability, SecondSigintExitsAtOnceWith130) {
  REQUIRE_BPF();
  Attached a("wl_c10k", {"3000"});  // a big target keeps the first report busy for a while
  a.go_and_wait_done();
  kill(a.t.pid, SIGINT);
  for (int i = 0; i < 2000 && signal_pending(a.t.pid, SIGINT); ++i)
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  auto t0 = std::chrono::steady_clock::now();
  kill(a.t.pid, SIGINT);
  // the message comes at once; the process exit after it takes the kernel about a second to
  // detach the programs, as it does after SIGKILL
  std::string err;
  while (err.find("interrupted again") == std::string::npos) err += read_line(a.t.err, 5000) + "\n";
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  int code = wait_exit(a.t.pid);
  std::string out = read_all(a.t.out);
  a.end_workload();
  EXPECT_EQ(code, 130) << err;
  EXPECT_LT(ms.count(), 300);
  EXPECT_TRUE(out.empty()) << "a report after the second Ctrl-C: " << out.substr(0, 500);
  RecordProperty("ms_to_message", std::to_string(ms.count()));
}

TEST_F(Reliability, SigkillLeavesNoProgramBehind) {
  REQUIRE_BPF();
  Attached a("wl_counted");
  kill(a.t.pid, SIGKILL);
  EXPECT_EQ(wait_exit(a.t.pid), 128 + SIGKILL);
  a.end_workload();
  EXPECT_TRUE(leftover_programs().empty());
}

TEST_F(Reliability, ReaderClosingEarlyIsNoCrash) {
  REQUIRE_BPF();
  Attached a("wl_counted", {}, {});
  close(a.t.out);  // like '| head -1' that has already gone
  a.go_and_wait_done();
  kill(a.t.pid, SIGINT);
  int code = wait_exit(a.t.pid);
  std::string err = read_all(a.t.err);
  a.end_workload();
  EXPECT_EQ(code, 0) << err;
  EXPECT_EQ(err.find("internal error"), std::string::npos) << err;
}

TEST_F(Reliability, TwoInstancesOnOneTargetCountTheSame) {
  REQUIRE_BPF();
  Attached a("wl_counted");
  Child second = spawn({iotrace_bin(), "attach", std::to_string(a.w.pid), "--json"}, true);
  Attached::wait_attached(second);
  a.go_and_wait_done();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(a.t.pid, SIGINT);
  kill(second.pid, SIGINT);
  std::string out1, out2;
  std::thread drain([&] { out2 = read_all(second.out); });
  out1 = read_all(a.t.out);
  drain.join();
  EXPECT_EQ(wait_exit(a.t.pid), 0);
  EXPECT_EQ(wait_exit(second.pid), 0);
  a.end_workload();
  auto r1 = nlohmann::json::parse(out1, nullptr, false), r2 = nlohmann::json::parse(out2, nullptr, false);
  ASSERT_TRUE(r1.is_object() && r2.is_object()) << out1 << "\n---\n" << out2;
  for (const auto* r : {&r1, &r2}) {
    const auto& p = process_of(*r, a.w.pid);
    EXPECT_EQ(syscall_calls(p, "write", "tcp"), 10000u);
    EXPECT_EQ(syscall_calls(p, "read", "tcp"), 10007u);
    EXPECT_EQ(syscall_calls(p, "read", "tcp", "eagain"), 7u);
    EXPECT_EQ(syscall_calls(p, "epoll_wait", "epoll"), 200u);
    EXPECT_EQ(syscall_calls(p, "pread64", "regular"), 3u);
    EXPECT_EQ(syscall_calls(p, "getppid"), 50u);
    EXPECT_EQ(r->at("losses").at("total"), 0);
  }
}

// The leader called pthread_exit(): it is a zombie, but the process lives on in its other
// thread, which is traced until the process ends.
TEST_F(Reliability, ZombieLeaderWithALiveThreadIsStillTraced) {
  REQUIRE_BPF();
  TraceResult r = trace_workload({"wl_thread_exit", {"zombie"}, {"--json"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(r.report.is_object()) << r.out;
  uint64_t duration = r.report.at("duration_ns");
  EXPECT_GE(duration, 350'000'000u) << "the trace must not end when the leader does";
  bool seen = false;
  for (const auto& t : r.report.at("processes").at(0).at("threads")) {
    uint64_t cpu = t.at("oncpu_ns"), sleep = t.at("sleep_ns"), runq = t.at("runq_ns");
    EXPECT_LE(cpu + sleep + runq, duration + 20'000'000u) << t.dump(1);
    if (t.at("comm") == "survivor") seen = true;
  }
  EXPECT_TRUE(seen) << r.out;
}
