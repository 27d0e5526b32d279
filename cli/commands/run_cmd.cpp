// iotrace run -- CMD: start CMD stopped before its first instruction, attach, let it run,
// stop it (and what it left running), report, and judge the report against the policy.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include "cli/app.hpp"
#include "cli/commands/ci_report.hpp"
#include "cli/errors.hpp"
#include "cli/options.hpp"
#include "cli/commands/policy_options.hpp"
#include "cli/signals.hpp"
#include "cli/commands/trace_session.hpp"
#include "probes/proc_reader.hpp"
#include "src/util/duration.hpp"
#include "src/util/text_escape.hpp"

namespace iotrace::cli {
namespace {

// CMD could not be started (exit status 5).
class CommandStartError : public std::runtime_error {
 public:
  CommandStartError(std::string what, std::string hint)
      : std::runtime_error(std::move(what)), hint(std::move(hint)) {}
  std::string hint;
};

struct RunUser {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
};

// Where execvp would find CMD, checked before any probe is loaded so a typo costs nothing.
void check_command(const std::string& cmd) {
  auto runnable = [](const std::string& path, int& err) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
      err = errno;
      return false;
    }
    if (S_ISDIR(st.st_mode)) {
      err = EISDIR;
      return false;
    }
    if (access(path.c_str(), X_OK) != 0) {
      err = errno;
      return false;
    }
    return true;
  };
  int err = ENOENT;
  if (cmd.find('/') != std::string::npos) {
    if (runnable(cmd, err)) return;
    throw CommandStartError(fmt::format("cannot run '{}': {}", escape_text(cmd), strerror(err)),
                            err == ENOENT ? "check the path" : "check the file's mode and type");
  }
  const char* path_env = getenv("PATH");
  std::string path = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t colon = path.find(':', start);
    std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (dir.empty()) dir = ".";
    int e = 0;
    if (runnable(dir + "/" + cmd, e)) return;
    if (e != ENOENT && e != ENOTDIR) err = e;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  throw CommandStartError(
      fmt::format("command not found: '{}'", escape_text(cmd)),
      err == ENOENT ? "check the name and PATH; give a path (./prog) for a program in this directory"
                    : fmt::format("a file was found but cannot be run: {}", strerror(err)));
}

// --user, or the user behind sudo; nullopt when CMD runs as iotrace's own user.
std::optional<RunUser> resolve_user(const std::string& requested) {
  std::string name = requested;
  bool explicit_user = !name.empty();
  if (!explicit_user) {
    const char* sudo_user = getenv("SUDO_USER");
    if (!sudo_user || !*sudo_user || geteuid() != 0) return std::nullopt;
    name = sudo_user;
  }
  if (geteuid() != 0)
    throw UsageError(fmt::format("--user '{}' needs iotrace to run as root", name),
                     "run iotrace with sudo, or leave out --user");
  struct passwd* pw = getpwnam(name.c_str());
  if (!pw && name.find_first_not_of("0123456789") == std::string::npos && !name.empty())
    pw = getpwuid(static_cast<uid_t>(std::stoul(name)));
  if (!pw)
    throw UsageError(fmt::format("{}: no such user '{}'", explicit_user ? "--user" : "$SUDO_USER",
                                 escape_text(name)),
                     "give a user name or uid from /etc/passwd; --user root keeps root");
  return RunUser{pw->pw_name, pw->pw_uid, pw->pw_gid, pw->pw_dir ? pw->pw_dir : "/"};
}

// In the child between fork and exec: wait for the go byte, become the user, exec.
[[noreturn]] void child_main(int go_fd, int status_fd, const std::vector<std::string>& argv,
                             const std::optional<RunUser>& user) {
  auto fail = [&](int err) {
    (void)!write(status_fd, &err, sizeof(err));
    _exit(127);
  };
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD}) sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  char go = 0;
  ssize_t n;
  do n = read(go_fd, &go, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) _exit(127);  // iotrace gave up before the probes were attached
  close(go_fd);
  if (user && user->uid != getuid()) {
    if (initgroups(user->name.c_str(), user->gid) != 0 || setgid(user->gid) != 0 ||
        setuid(user->uid) != 0)
      fail(errno);
    setenv("USER", user->name.c_str(), 1);
    setenv("LOGNAME", user->name.c_str(), 1);
    setenv("HOME", user->home.c_str(), 1);
  }
  // After the credential change, which would clear it: CMD must not outlive iotrace.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) _exit(127);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  fail(errno);
  _exit(127);
}

struct Supervisor {
  pid_t child = -1;
  int go_fd = -1;      // write end: one byte releases the child
  int status_fd = -1;  // read end: EOF when exec succeeded, an errno when it failed
  uint64_t duration_ns = 0;
  uint64_t kill_after_ns = 0;
  CommandStatus status;
  bool reaped = false;

  void record(int wstatus) {
    reaped = true;
    auto& o = status.outcome;
    o.exited = WIFEXITED(wstatus);
    o.exit_code = o.exited ? WEXITSTATUS(wstatus) : 0;
    o.signal = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
    status.core_dumped = WIFSIGNALED(wstatus) && WCOREDUMP(wstatus);
  }

  // Reaps CMD and any orphaned descendant handed to us as their subreaper.
  bool try_reap() {
    int ws = 0;
    pid_t r;
    while ((r = waitpid(-1, &ws, WNOHANG)) > 0)
      if (r == child) record(ws);
    return reaped;
  }

  void release(probes::Tracer& tracer) {
    char go = 1;
    (void)!write(go_fd, &go, 1);
    close(go_fd);
    go_fd = -1;
    int err = 0;
    ssize_t n;
    do n = read(status_fd, &err, sizeof(err));
    while (n < 0 && errno == EINTR);
    close(status_fd);
    status_fd = -1;
    if (n == sizeof(err)) {
      waitpid(child, nullptr, 0);
      reaped = true;
      throw CommandStartError(
          fmt::format("cannot run '{}': {}", escape_text(status.argv[0]), strerror(err)),
          err == EPERM ? "check --user and the file's permissions" : "check the command and PATH");
    }
    // exec succeeded: read the new image's name and mappings while the process lives
    tracer.collect();
  }

  // Polls the ring buffer while waiting; refreshes mappings now and then, so stacks of a
  // process that exits before the report are symbolized against the right image.
  void wait_for_end(probes::Tracer& tracer) {
    auto last_refresh = std::chrono::steady_clock::now();
    int refresh_ms = 50;
    while (!try_reap()) {
      if (stop_requested()) {
        status.stop_reason = "interrupted";
        return;
      }
      if (duration_ns && tracer.elapsed_ns() >= duration_ns) {
        status.stop_reason = "duration";
        return;
      }
      tracer.poll(20);
      auto now = std::chrono::steady_clock::now();
      if (now - last_refresh >= std::chrono::milliseconds(refresh_ms)) {
        tracer.collect();
        last_refresh = now;
        refresh_ms = std::min(refresh_ms * 2, 1000);
      }
    }
  }

  // SIGTERM, then SIGKILL after the grace period.
  void stop_command(probes::Tracer& tracer) {
    if (try_reap()) return;
    status.outcome.stopped_by_iotrace = true;
    kill(child, SIGTERM);
    uint64_t until = tracer.elapsed_ns() + kill_after_ns;
    while (!try_reap() && tracer.elapsed_ns() < until) tracer.poll(20);
    if (try_reap()) return;
    status.killed_after_grace = true;
    kill(child, SIGKILL);
    int ws = 0;
    if (waitpid(child, &ws, 0) == child) record(ws);
  }

  // Descendants still running once CMD is gone get the same treatment, all at once.
  void stop_descendants(probes::Tracer& tracer) {
    Capture c = tracer.collect();
    std::vector<std::pair<uint32_t, uint64_t>> left;
    for (const auto& p : c.processes)
      if (!p.exited && p.pid != static_cast<uint32_t>(child) && probes::process_alive(p.pid, p.start_time_ticks))
        left.push_back({p.pid, p.start_time_ticks});
    if (left.empty()) return;
    print_info(fmt::format("stopping {} process{} the command left running", left.size(),
                           left.size() == 1 ? "" : "es"));
    for (auto [pid, ticks] : left) kill(static_cast<pid_t>(pid), SIGTERM);
    uint64_t until = tracer.elapsed_ns() + kill_after_ns;
    auto any_alive = [&] {
      for (auto [pid, ticks] : left)
        if (probes::process_alive(pid, ticks)) return true;
      return false;
    };
    while (any_alive() && tracer.elapsed_ns() < until) {
      tracer.poll(20);
      try_reap();
    }
    for (auto [pid, ticks] : left)
      if (probes::process_alive(pid, ticks)) kill(static_cast<pid_t>(pid), SIGKILL);
    // the killed ones that were orphaned are our children now: do not leave zombies
    until = tracer.elapsed_ns() + 1'000'000'000ull;
    while (any_alive() && tracer.elapsed_ns() < until) tracer.poll(10);
    try_reap();
  }

  void run(probes::Tracer& tracer) {
    release(tracer);
    print_info(fmt::format("running {} (pid {}) and its descendants under trace; {}",
                           escape_text(status.argv[0]), child,
                           duration_ns ? "stopping it after " + format_duration(duration_ns)
                                       : std::string("Ctrl-C to stop it and report")));
    wait_for_end(tracer);
    // Ctrl-C at a terminal reaches the command too: dying of it is being stopped, not failing.
    if (reaped && stop_requested() && !status.outcome.exited && status.outcome.signal == SIGINT) {
      status.outcome.stopped_by_iotrace = true;
      status.stop_reason = "interrupted";
    }
    stop_command(tracer);
    stop_descendants(tracer);
    // A process stuck in the kernel may outlive SIGKILL for a while: report without it.
    if (!tracer.all_exited()) request_stop();
  }

  void abandon() {
    if (go_fd >= 0) close(go_fd);
    if (status_fd >= 0) close(status_fd);
    if (!reaped && child > 0) {
      kill(child, SIGKILL);
      waitpid(child, nullptr, 0);
      reaped = true;
    }
  }
};

std::string base_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

CLI::App* add_run_command(CLI::App& app, RunArgs& a) {
  auto* run = app.add_subcommand(
      "run", "Start a command, trace it and its descendants from their first syscall, and "
             "check the report against a policy (for CI)");
  run->add_option("command", a.command, "The command and its arguments (after --)")
      ->required()
      ->type_name("CMD [ARGS...]");
  run->add_option("-d,--duration", a.duration,
                  "Stop the command after this long (default: when it exits, or at Ctrl-C)")
      ->type_name("DURATION");
  run->add_flag("--json", a.json, "Write the report as JSON (schema in iotrace(8))");
  run->add_option("-o,--output", a.output, "Write the report to FILE instead of stdout")
      ->type_name("FILE");
  run->add_option("--stall-threshold", a.stall_threshold,
                  "Event-loop iterations longer than this are stalls (default 20ms)")
      ->type_name("DURATION");
  run->add_option("--block-threshold", a.block_threshold,
                  "Calls on an event-loop thread slower than this are flagged (default 5ms)")
      ->type_name("DURATION");
  run->add_option("--kill-after", a.kill_after,
                  "Grace period between SIGTERM and SIGKILL when stopping the command (default 2s)")
      ->type_name("DURATION");
  run->add_option("--user", a.user,
                  "Run the command as USER (needs root; default: $SUDO_USER when set)")
      ->type_name("USER");
  add_save_capture_option(run, a.save_capture);
  add_all_threads_flag(run, a.all_threads);
  add_loop_watch_flag(run, a.loop_watch);
  add_picture_options(run, a.pictures);
  add_timeline_options(run, a.timeline);
  add_policy_options(run, a.policy);
  run->add_flag("--require-success", a.policy.require_success,
                "Fail the policy when the command exits non-zero or is killed by a signal")
      ->group("Policy (exit status 1 when a rule fails)");
  return run;
}

int run_run(const AppArgs& args) {
  const auto& a = args.run;
  Policy policy = build_policy(a.policy);
  SessionOptions s;
  s.trace.follow_children = true;
  s.trace.loop_watch = a.loop_watch;
  s.trace.stall_ns = stall_threshold_for(policy, parse_duration_option("--stall-threshold", a.stall_threshold));
  s.trace.block_ns = parse_duration_option("--block-threshold", a.block_threshold);
  s.out = {a.json, a.output, a.save_capture, a.pictures};
  set_timeline(s, a.timeline);
  s.report.all_threads = a.all_threads;
  s.quiet = true;
  Supervisor sup;
  if (!a.duration.empty()) sup.duration_ns = parse_duration_option("--duration", a.duration);
  sup.kill_after_ns = parse_duration_option("--kill-after", a.kill_after);
  sup.status.argv = a.command;
  auto user = resolve_user(a.user);
  if (user) sup.status.user = user->name;
  try {
    check_command(a.command.at(0));
  } catch (const CommandStartError& e) {
    print_error(e.what(), e.hint);
    return k_exit_cmd_failed;
  }

  // Descendants that outlive their parents are reparented to iotrace, which reaps them.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  int go[2], st[2];
  if (pipe2(go, O_CLOEXEC) || pipe2(st, O_CLOEXEC))
    throw std::runtime_error(fmt::format("pipe: {}", strerror(errno)));
  fflush(nullptr);
  pid_t child = fork();
  if (child < 0) throw std::runtime_error(fmt::format("fork: {}", strerror(errno)));
  if (child == 0) {
    close(go[1]);
    close(st[0]);
    child_main(go[0], st[1], a.command, user);
  }
  close(go[0]);
  close(st[1]);
  sup.child = child;
  sup.go_fd = go[1];
  sup.status_fd = st[0];
  sup.status.pid = static_cast<uint32_t>(child);
  s.trace.pids = {static_cast<uint32_t>(child)};

  CiRun ci;
  ci.suite_name = "iotrace run " + base_name(a.command[0]);
  ci.timestamp = utc_timestamp_now();
  Report report;
  try {
    report = run_session(s, [&](probes::Tracer& t) { sup.run(t); });
  } catch (const CommandStartError& e) {
    sup.abandon();
    print_error(e.what(), e.hint);
    return k_exit_cmd_failed;
  } catch (...) {
    sup.abandon();
    throw;
  }
  ci.time_s = static_cast<double>(report.duration_ns) / 1e9;
  ci.command = sup.status;
  return finish_ci_run(report, s.out, policy, a.policy.junit, ci);
}

}  // namespace iotrace::cli
