// Runs iotrace against real workload processes, as root with real BPF.
#pragma once
#include <gtest/gtest.h>
#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace itest {

// Skips when BPF cannot be had (not root); with CI=true that is a failure instead.
#define REQUIRE_BPF()                                                                  \
  do {                                                                                 \
    if (!::itest::bpf_available()) {                                                   \
      if (::itest::in_ci()) FAIL() << "BPF is unavailable (not root) but CI=true";   \
      GTEST_SKIP() << "needs root for BPF";                                            \
    }                                                                                  \
  } while (0)

bool bpf_available();
bool in_ci();
std::string iotrace_bin();
std::string workload_bin(const std::string& name);

struct Child {
  pid_t pid = -1;
  int in = -1;   // its stdin (write end)
  int out = -1;  // its stdout (read end)
  int err = -1;  // its stderr (read end), when captured
};

Child spawn(const std::vector<std::string>& argv, bool capture_err = true);
// Reads one line (without '\n'); throws on timeout or EOF.
std::string read_line(int fd, int timeout_ms = 10000);
// Reads until EOF.
std::string read_all(int fd);
// Waits for exit; returns the exit code, or 128+signal.
int wait_exit(pid_t pid, int timeout_ms = 30000);

struct TraceResult {
  int exit_code = -1;
  std::string out, err;
  nlohmann::json report;  // parsed stdout when --json was given
};

// Starts the workload, attaches iotrace (extra args appended), waits for "attached", sends
// "go", waits for "done", then ends the trace with SIGINT (or lets it end by itself when the
// workload exits). Returns iotrace's result; the workload is reaped.
struct TraceSpec {
  std::string workload{};
  std::vector<std::string> workload_args{};
  std::vector<std::string> iotrace_args{};  // after "attach <pid>"
  bool workload_exits = false;            // the workload exits after "done"
  int settle_ms = 100;                    // wait after "done" before stopping the trace
  std::vector<std::string> global_args{};   // before "attach", e.g. --no-feature
};
TraceResult trace_workload(const TraceSpec& spec);

// A scratch directory under /tmp (mode 0755: workloads run as another user can enter it),
// removed with everything in it at the end.
struct TempDir {
  std::string path;
  explicit TempDir(const std::string& prefix = "iotrace");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// Runs a shell command; returns its stdout and stderr together, and its exit code in *rc.
std::string shell(const std::string& cmd, int* rc = nullptr);

// Runs iotrace with args to completion.
TraceResult run_iotrace(const std::vector<std::string>& args, int timeout_ms = 60000);

// Names of loaded BPF programs that belong to iotrace (prefix iot_).
std::vector<std::string> leftover_programs();

// The process entry of a report, and a thread's syscall row.
const nlohmann::json& process_of(const nlohmann::json& report, int pid);
uint64_t syscall_calls(const nlohmann::json& proc, const std::string& name,
                       const std::string& fd_kind = "", const char* field = "calls");

}  // namespace itest
