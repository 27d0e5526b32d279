#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/app.hpp"
#include "cli/demo/demo_workload.hpp"
#include "cli/errors.hpp"
#include "cli/options.hpp"
#include "cli/commands/trace_session.hpp"

namespace iotrace::cli {

int run_demo(const AppArgs& args) {
  const auto& a = args.demo;
  uint64_t dur = parse_duration_option("--duration", a.duration);
  int pipefd[2];
  if (pipe(pipefd)) throw UsageError("cannot create a pipe for the demo workload");
  pid_t child = fork();
  if (child < 0) throw UsageError("cannot start the demo workload: fork failed");
  if (child == 0) {
    close(pipefd[1]);
    run_demo_workload(pipefd[0], dur);
  }
  close(pipefd[0]);
  print_info(fmt::format("demo: started a sample epoll server with a client (pid {}) for {}", child,
                         format_duration(dur)));
  SessionOptions s;
  s.trace.pids = {static_cast<uint32_t>(child)};
  s.trace.stall_ns = 20'000'000;
  s.trace.block_ns = 5'000'000;
  s.duration_ns = dur + 2'000'000'000ull;  // the workload exits on its own; this is a safety net
  s.out = {a.json, a.output, {}};
  Report report;
  try {
    report = run_session(s, [&](probes::Tracer&) {
      char go = 1;
      (void)!write(pipefd[1], &go, 1);
      close(pipefd[1]);
    });
  } catch (...) {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    throw;
  }
  kill(child, SIGTERM);
  waitpid(child, nullptr, 0);
  emit_report(report, s.out);
  return k_exit_ok;
}

}  // namespace iotrace::cli
