#include "harness.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <set>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace itest {

bool bpf_available() { return geteuid() == 0; }

bool in_ci() {
  const char* ci = getenv("CI");
  return ci && (strcmp(ci, "true") == 0 || strcmp(ci, "1") == 0);
}

std::string iotrace_bin() { return IOTRACE_BIN; }
std::string workload_bin(const std::string& name) { return std::string(WORKLOAD_DIR) + "/" + name; }

Child spawn(const std::vector<std::string>& argv, bool capture_err) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
    throw std::runtime_error("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    if (capture_err) dup2(err[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  Child c;
  c.pid = pid;
  c.in = in[1];
  c.out = out[0];
  c.err = err[0];
  if (!capture_err) {
    close(c.err);
    c.err = -1;
  }
  return c;
}

std::string read_line(int fd, int timeout_ms) {
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    if (left <= 0) throw std::runtime_error("timed out waiting for a line; got: " + line);
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, left) <= 0) continue;
    char c;
    ssize_t n = read(fd, &c, 1);
    if (n <= 0) throw std::runtime_error("EOF waiting for a line; got: " + line);
    if (c == '\n') return line;
    line += c;
  }
}

std::string read_all(int fd) {
  std::string s;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) s.append(buf, static_cast<size_t>(n));
  return s;
}

int wait_exit(pid_t pid, int timeout_ms) {
  for (int waited = 0;; waited += 10) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (waited >= timeout_ms) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      throw std::runtime_error("process did not exit in time");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

namespace {

// Drains a pipe on a thread so a chatty child never blocks on a full pipe.
struct Drain {
  std::string text;
  std::thread t;
  explicit Drain(int fd) : t([this, fd] { text = read_all(fd); close(fd); }) {}
  ~Drain() {  // a test that throws (a hung iotrace) must fail, not terminate the binary
    if (t.joinable()) t.join();
  }
  std::string finish() {
    if (t.joinable()) t.join();
    return text;
  }
};

}  // namespace

TraceResult trace_workload(const TraceSpec& spec) {
  std::vector<std::string> wargv{workload_bin(spec.workload)};
  wargv.insert(wargv.end(), spec.workload_args.begin(), spec.workload_args.end());
  Child w = spawn(wargv, false);
  std::string ready = read_line(w.out);
  if (ready.rfind("ready ", 0) != 0) throw std::runtime_error("workload said: " + ready);

  std::vector<std::string> args{iotrace_bin()};
  args.insert(args.end(), spec.global_args.begin(), spec.global_args.end());
  args.insert(args.end(), {"attach", std::to_string(w.pid)});
  args.insert(args.end(), spec.iotrace_args.begin(), spec.iotrace_args.end());
  Child t = spawn(args, true);
  // stderr: wait for the "attached" line, then keep draining
  std::string err_head;
  while (true) {
    std::string line = read_line(t.err, 20000);
    err_head += line + "\n";
    if (line.find("attached to") != std::string::npos) break;
    if (line.find("error:") != std::string::npos) break;
  }
  Drain err(t.err), out(t.out);
  if (write(w.in, "go\n", 3) != 3) throw std::runtime_error("cannot start the workload");
  std::string done = read_line(w.out, 60000);
  if (done != "done") throw std::runtime_error("workload said: " + done);
  std::this_thread::sleep_for(std::chrono::milliseconds(spec.settle_ms));
  TraceResult r;
  if (spec.workload_exits) {
    r.exit_code = wait_exit(t.pid);
  } else {
    kill(t.pid, SIGINT);
    r.exit_code = wait_exit(t.pid);
  }
  close(w.in);
  close(t.in);
  wait_exit(w.pid);
  close(w.out);
  r.out = out.finish();
  r.err = err_head + err.finish();
  if (!r.out.empty() && r.out[0] == '{') r.report = nlohmann::json::parse(r.out, nullptr, false);
  return r;
}

TraceResult run_iotrace(const std::vector<std::string>& args, int timeout_ms) {
  std::vector<std::string> argv{iotrace_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  Child c = spawn(argv, true);
  close(c.in);
  Drain err(c.err), out(c.out);
  TraceResult r;
  r.exit_code = wait_exit(c.pid, timeout_ms);
  r.out = out.finish();
  r.err = err.finish();
  if (!r.out.empty() && r.out[0] == '{') r.report = nlohmann::json::parse(r.out, nullptr, false);
  return r;
}

static std::vector<std::string> iot_programs_now();

std::vector<std::string> leftover_programs() {
  // The kernel frees a program shortly after its last fd closes (RCU): allow it a moment.
  std::vector<std::string> out;
  for (int i = 0; i < 50; ++i) {
    out = iot_programs_now();
    if (out.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return out;
}

// Ids of BPF programs some process holds through a program or link fd (from fdinfo).
static std::set<int> held_prog_ids() {
  std::set<int> ids;
  DIR* proc = opendir("/proc");
  if (!proc) return ids;
  while (auto* pe = readdir(proc)) {
    if (pe->d_name[0] < '0' || pe->d_name[0] > '9') continue;
    std::string fd_dir = std::string("/proc/") + pe->d_name + "/fd";
    DIR* fds = opendir(fd_dir.c_str());
    if (!fds) continue;
    while (auto* fe = readdir(fds)) {
      if (fe->d_name[0] == '.') continue;
      char target[256];
      ssize_t n = readlink((fd_dir + "/" + fe->d_name).c_str(), target, sizeof(target) - 1);
      if (n <= 0) continue;
      target[n] = 0;
      if (!strstr(target, "bpf-prog") && !strstr(target, "bpf_link")) continue;
      std::string info = std::string("/proc/") + pe->d_name + "/fdinfo/" + fe->d_name;
      FILE* f = fopen(info.c_str(), "r");
      if (!f) continue;
      char line[256];
      while (fgets(line, sizeof(line), f))
        if (strncmp(line, "prog_id:", 8) == 0) ids.insert(atoi(line + 8));
      fclose(f);
    }
    closedir(fds);
  }
  closedir(proc);
  return ids;
}

// iotrace programs that no process holds open: left behind. Programs of other iotrace
// instances running at the same time are held by their pids and do not count.
static std::vector<std::string> iot_programs_now() {
  std::vector<std::string> out;
  FILE* p = popen("bpftool -j prog show 2>/dev/null", "r");
  if (!p) return out;
  std::string text;
  std::array<char, 65536> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) text.append(buf.data(), n);
  pclose(p);
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  std::set<int> held = held_prog_ids();
  for (const auto& prog : j) {
    std::string name = prog.value("name", "");
    if (name.rfind("iot_", 0) != 0) continue;
    if (held.count(prog.value("id", 0))) continue;
    out.push_back(name);
  }
  return out;
}

const nlohmann::json& process_of(const nlohmann::json& report, int pid) {
  for (const auto& p : report.at("processes"))
    if (p.at("pid").get<int>() == pid) return p;
  throw std::runtime_error("pid not in report: " + std::to_string(pid));
}

uint64_t syscall_calls(const nlohmann::json& proc, const std::string& name,
                       const std::string& fd_kind, const char* field) {
  uint64_t n = 0;
  for (const auto& s : proc.at("syscalls"))
    if (s.at("syscall") == name && (fd_kind.empty() || s.at("fd_kind") == fd_kind))
      n += s.at(field).get<uint64_t>();
  return n;
}

std::string shell(const std::string& cmd, int* rc) {
  std::string out;
  FILE* p = popen(("{ " + cmd + "; } 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while (p && (n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int status = p ? pclose(p) : -1;
  if (rc) *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp " + tmpl);
  path = tmpl;
  chmod(path.c_str(), 0755);
}

TempDir::~TempDir() { (void)!system(("rm -rf '" + path + "'").c_str()); }

}  // namespace itest
