#include "cli/app.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include "cli/errors.hpp"
#include "probes/kernel/features.hpp"
#include "probes/trace_error.hpp"
#include "probes/tracer/tracer.hpp"

namespace iotrace::cli {
namespace {

// An empty DURATION would otherwise read as "not given" (until Ctrl-C, no interval).
const CLI::Validator k_non_empty_duration(
    [](std::string& s) { return s.empty() ? std::string("invalid duration '': empty") : std::string(); },
    "DURATION");

// Digits only: an unsigned option would otherwise take "-3" as 2^64 - 3.
const CLI::Validator k_positive_count(
    [](std::string& s) {
      bool digits = !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
      return digits && s.find_first_not_of('0') != std::string::npos
                 ? std::string()
                 : "expected a positive whole number, not '" + s + "'";
    },
    "");

}  // namespace

void add_picture_options(CLI::App* cmd, PictureArgs& p) {
  cmd->add_flag("--hist", p.hist,
                "Also print a log2 latency histogram per syscall and fd kind (text report)");
  cmd->add_option("--folded", p.folded,
                  "Also write folded stacks of blocked event-loop time (flagged calls and stalls, "
                  "in microseconds) to FILE, for flamegraph.pl, inferno or speedscope")
      ->type_name("FILE");
  cmd->add_option("--pprof", p.pprof,
                  "Also write the same blocked event-loop time as a gzipped pprof profile to FILE, "
                  "for go tool pprof, Pyroscope, Parca or Grafana (thread and finding as labels)")
      ->type_name("FILE");
}

void add_save_capture_option(CLI::App* cmd, std::string& file) {
  cmd->add_option("--save-capture", file,
                  "Also save the raw capture as JSON (render it again with 'iotrace report', "
                  "compare runs with 'iotrace diff')")
      ->type_name("FILE");
}

void add_timeline_options(CLI::App* cmd, TimelineArgs& t) {
  cmd->add_option("--timeline", t.file,
                  "Also write a timeline of every thread to FILE (Trace Event JSON: open it in "
                  "ui.perfetto.dev or chrome://tracing): loop waits, iterations (stalls in red), "
                  "flagged calls with their stacks, syscalls/s, events per wait, run-queue delay")
      ->type_name("FILE");
  cmd->add_option("--timeline-limit", t.limit,
                  "Write at most N timeline events, the first ones; later ones are counted, not "
                  "written (default 1000000: about 200 MB of JSON, which a browser tab still "
                  "opens; memory stays bounded by it)")
      ->type_name("N")
      ->check(k_positive_count);
}

void add_output_options(CLI::App* cmd, bool& json, std::string& output) {
  cmd->add_flag("--json", json, "Write the report as JSON (schema in iotrace(8))");
  cmd->add_option("-o,--output", output, "Write the report to FILE instead of stdout")
      ->type_name("FILE");
}

void add_all_threads_flag(CLI::App* cmd, bool& all_threads) {
  cmd->add_flag("--all-threads", all_threads,
                "Give every thread its own entry in the report (default: short-lived threads "
                "with one role and name are folded into one entry)");
}

void add_loop_watch_flag(CLI::App* cmd, bool& loop_watch) {
  cmd->add_flag("--loop-watch", loop_watch,
                "Watch event loops only: hook the multiplexers' waits and loop threads' context "
                "switches, not every syscall (stalls and blocking calls on loops, with stacks, at "
                "a fraction of the cost; no I/O models or syscall ratios)");
}

std::unique_ptr<CLI::App> build_app(AppArgs& a) {
  auto app = std::make_unique<CLI::App>(
      "iotrace: which I/O model a process uses, what blocks its event loops, and what each "
      "operation costs in syscalls",
      "iotrace");
  app->set_version_flag("--version", std::string("iotrace ") + IOTRACE_VERSION);
  app->require_subcommand(1);
  app->add_flag("-v,--verbose", a.verbose, "Log probe strategies and libbpf messages to stderr");
  app->add_option("--no-feature", a.no_feature,
                  "Developer: treat a kernel feature as absent (tp_btf, io_uring, sched_info, unwind, kfuncs) to "
                  "test fallbacks")
      ->type_name("FEATURE")
      ->check(CLI::IsMember({"tp_btf", "io_uring", "sched_info", "unwind", "kfuncs"}));
  app->footer("Exit status: 0 ok, 1 policy violated, 2 usage, 3 target, 4 environment, "
              "5 command failed to start, 70 internal error, 130 a second Ctrl-C. See iotrace(8).");

  auto* attach = app->add_subcommand("attach", "Trace running processes and report");
  attach->add_option("pid", a.attach.pids, "Process ids to trace (all their threads)")
      ->required()
      ->type_name("PID");
  attach->add_option("-d,--duration", a.attach.duration,
                     "Stop after this long: 10 (seconds), 500ms, 2m (default: until Ctrl-C)")
      ->type_name("DURATION")
      ->check(k_non_empty_duration);
  add_output_options(attach, a.attach.json, a.attach.output);
  attach->add_flag("-f,--follow-children", a.attach.follow_children,
                   "Also trace the targets' child processes, existing and new");
  attach->add_option("--stall-threshold", a.attach.stall_threshold,
                     "Event-loop iterations longer than this are stalls (default 20ms)")
      ->type_name("DURATION");
  attach->add_option("--block-threshold", a.attach.block_threshold,
                     "Calls on an event-loop thread slower than this are flagged (default 5ms)")
      ->type_name("DURATION");
  add_save_capture_option(attach, a.attach.save_capture);
  attach->add_option("-i,--interval", a.attach.interval,
                     "Also print a compact report this often while tracing: 5 (seconds), 500ms")
      ->type_name("DURATION")
      ->check(k_non_empty_duration);
  add_all_threads_flag(attach, a.attach.all_threads);
  add_loop_watch_flag(attach, a.attach.loop_watch);
  add_picture_options(attach, a.attach.pictures);
  add_timeline_options(attach, a.attach.timeline);
  add_policy_options(attach, a.attach.policy);

  add_run_command(*app, a.run);

  add_top_command(*app, a.top);
  add_exporter_command(*app, a.exporter);
  add_doctor_command(*app, a.doctor);

  auto* demo = app->add_subcommand("demo", "Trace a bundled sample event-loop server and report");
  demo->add_option("-d,--duration", a.demo.duration, "How long to run the sample (default 3s)")
      ->type_name("DURATION");
  add_output_options(demo, a.demo.json, a.demo.output);

  auto* report = app->add_subcommand(
      "report", "Render a capture saved with --save-capture (a JSON report is already rendered: diff compares two)");
  report->add_option("capture", a.report.capture, "Capture file (JSON)")
      ->required()
      ->type_name("FILE");
  add_output_options(report, a.report.json, a.report.output);
  add_all_threads_flag(report, a.report.all_threads);
  add_picture_options(report, a.report.pictures);
  add_policy_options(report, a.report.policy);
  report->add_option("--debug-dir", a.report.debug_dirs,
                     "Name stack frames of stripped binaries from separate debug files in DIR "
                     "(DIR/.build-id/xx/rest.debug, or the binary's .gnu_debuglink name in DIR, "
                     "DIR/.debug or DIR/<binary's directory>); may be given more than once")
      ->type_name("DIR")
      ->allow_extra_args(false);

  add_diff_command(*app, a.diff);
  return app;
}

namespace {

// CLI11 reports an unknown option as the arguments left over ("The following arguments were
// not expected: -- --bogus"), which names the command's own arguments as often as the option.
// The user needs the option that is wrong and the command it was given to.
std::string unknown_option(const CLI::App& app, int argc, char** argv, std::string* command) {
  const CLI::App* cmd = &app;
  *command = "iotrace";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") break;  // the command iotrace runs and its arguments
    if (a.size() < 2 || a[0] != '-') {
      auto subs = cmd->get_subcommands([&](const CLI::App* sub) { return sub->get_name() == a; });
      if (!subs.empty()) {  // options from here on are that command's
        cmd = subs.front();
        *command += " " + a;
      }
      continue;
    }
    std::string name = a.rfind("--", 0) == 0 ? a.substr(0, a.find('=')) : a.substr(0, 2);
    if (!cmd->get_option_no_throw(name) && !app.get_option_no_throw(name)) return name;
  }
  return "";
}

}  // namespace

int run_app(int argc, char** argv) {
  // A setuid or setgid iotrace would hand BPF tracing of any process to whoever can run it.
  if (getuid() != geteuid() || getgid() != getegid()) {
    print_error(fmt::format("refusing to run setuid or setgid (real uid {}, effective uid {})",
                            getuid(), geteuid()),
                "remove the setuid bit (chmod u-s,g-s); run iotrace as root, or grant CAP_BPF "
                "and CAP_PERFMON");
    return k_exit_environment;
  }
  AppArgs args;
  auto app = build_app(args);
  try {
    app->parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app->exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app->exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app->exit(e);
  } catch (const CLI::ExtrasError& e) {
    std::string command, name = unknown_option(*app, argc, argv, &command);
    if (!name.empty()) {
      print_error(fmt::format("unknown option '{}' for '{}'", name, command),
                  fmt::format("see '{} --help' for its options", command));
      return k_exit_usage;
    }
    std::string what = e.what();
    if (!what.empty() && what.back() == '\n') what.pop_back();
    print_error(what, "see 'iotrace --help' or 'iotrace <command> --help'");
    return k_exit_usage;
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    if (!what.empty() && what.back() == '\n') what.pop_back();
    print_error(what, "see 'iotrace --help' or 'iotrace <command> --help'");
    return k_exit_usage;
  }
  probes::set_verbose(args.verbose);
  for (const auto& f : args.no_feature) probes::disable_feature(f);
  try {
    if (app->got_subcommand("attach")) return run_attach(args);
    if (app->got_subcommand("run")) return run_run(args);
    if (app->got_subcommand("top")) return run_top(args);
    if (app->got_subcommand("exporter")) return run_exporter(args);
    if (app->got_subcommand("doctor")) return run_doctor_cmd(args);
    if (app->got_subcommand("demo")) return run_demo(args);
    if (app->got_subcommand("report")) return run_report(args);
    if (app->got_subcommand("diff")) return run_diff(args);
  } catch (const UsageError& e) {
    print_error(e.what(), e.hint);
    return k_exit_usage;
  } catch (const probes::TraceError& e) {
    print_error(e.what(), e.hint());
    switch (e.kind()) {
      case probes::TraceError::Kind::environment: return k_exit_environment;
      case probes::TraceError::Kind::target: return k_exit_target;
      case probes::TraceError::Kind::internal: return k_exit_internal;
    }
  } catch (const std::exception& e) {
    print_error(fmt::format("internal error: {}", e.what()),
                "this is a bug in iotrace; please report it with the command line used");
    return k_exit_internal;
  }
  return k_exit_usage;
}

}  // namespace iotrace::cli
