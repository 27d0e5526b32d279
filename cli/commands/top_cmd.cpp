// iotrace top: every process doing I/O (or those given with -p), refreshed every interval.
// Host-wide, the tracer runs in its light mode: /proc is read once per process and nothing
// is symbolized, so a refresh costs map reads and one /proc/PID/stat per process.
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "cli/app.hpp"
#include "cli/errors.hpp"
#include "cli/options.hpp"
#include "cli/output.hpp"
#include "cli/render/process_table.hpp"
#include "cli/signals.hpp"
#include "cli/render/terminal.hpp"
#include "probes/tracer/tracer.hpp"
#include "src/capture/capture_delta.hpp"
#include "src/capture/capture_split.hpp"
#include "src/util/duration.hpp"
#include "src/capture/losses.hpp"
#include "src/model/process_summary.hpp"

namespace iotrace::cli {
namespace {

struct SortKey {
  const char* name;
  char key;
  SummarySort sort;
};
constexpr SortKey k_sorts[] = {
    {"syscalls", 's', SummarySort::syscalls}, {"iterations", 'i', SummarySort::iterations},
    {"pid", 'p', SummarySort::pid},
    {"stalls", 't', SummarySort::stalls},     {"sys-per-op", 'o', SummarySort::sysc_per_op},
    {"model", 'm', SummarySort::model},       {"command", 'c', SummarySort::command},
};

const SortKey& sort_named(const std::string& name) {
  for (const auto& s : k_sorts)
    if (name == s.name) return s;
  throw UsageError(fmt::format("--sort: unknown column '{}'", name),
                   "accepted: syscalls, iterations, pid, stalls, sys-per-op, model, command");
}

// The default order: busiest first, by what the tier counts.
std::string sort_of(const TopArgs& a) {
  if (!a.sort.empty()) return a.sort;
  return a.loop_watch ? "iterations" : "syscalls";
}

std::string clock_now() {
  time_t t = time(nullptr);
  tm lt{};
  localtime_r(&t, &lt);
  char buf[16];
  strftime(buf, sizeof(buf), "%H:%M:%S", &lt);
  return buf;
}

class TopView {
 public:
  TopView(const TopArgs& a, bool interactive, uint64_t interval_ns)
      : interactive_(interactive), loop_watch_(a.loop_watch), interval_ns_(interval_ns),
        sort_(&sort_named(sort_of(a))) {}

  void update(const Capture& delta, size_t traced) {
    rows_.clear();
    for (const auto& one : split_by_process(delta))
      for (auto& s : summarize_processes(build_report(one))) rows_.push_back(std::move(s));
    traced_ = traced;
    losses_ = delta.losses;
    stamp_ = clock_now();
  }

  // Returns false when the user asked to quit.
  bool key(int k) {
    if (k == 'q' || k == 'Q' || k == 3 /* Ctrl-C */ || k == 28 /* Ctrl-backslash */) return false;
    if (k == ' ') paused_ = !paused_;
    for (const auto& s : k_sorts)
      if (k == s.key) sort_ = &s;
    return true;
  }
  bool paused() const { return paused_; }

  std::string render() {
    sort_summaries(rows_, sort_->sort);
    TableOptions opts;
    opts.colour = interactive_ && colour_on(1);
    opts.width = interactive_ ? static_cast<size_t>(terminal_columns(1)) : 80;
    opts.cut_last = interactive_;
    opts.loop_watch = loop_watch_;
    size_t shown = 0;
    for (const auto& r : rows_) shown += r.syscalls || r.stalls ? 1 : 0;
    std::string o;
    if (interactive_) o += "\x1b[H\x1b[2J";
    std::string title = fmt::format("iotrace top{} {} every {}: {} processes {}; sort {}{}",
                                    loop_watch_ ? " --loop-watch" : "", stamp_,
                                    format_duration(interval_ns_), shown,
                                    loop_watch_ ? "waited" : "made calls", sort_->name,
                                    paused_ ? " PAUSED" : "");
    if (interactive_ && title.size() > opts.width) title.resize(opts.width);
    o += title + "\n";
    if (losses_.total())
      o += fmt::format("{} events lost in this interval: {}\n", losses_.total(),
                       describe_losses(losses_));
    if (interactive_)
      o += loop_watch_ ? "sort: i iterations p pid t stalls m model c command; space pause; q quit\n"
                       : "sort: s syscalls p pid t stalls o sys/op m model c command; space pause; q quit\n";
    o += "\n" + render_process_header(opts);
    std::string body = render_process_rows(rows_, opts);
    // the lines above, and one spare line, so the screen never scrolls
    int above = static_cast<int>(std::count(o.begin(), o.end(), '\n'));
    if (interactive_) body = first_lines(body, static_cast<size_t>(std::max(1, rows() - above - 1)));
    o += body;
    if (!interactive_) o += "\n";
    return o;
  }

 private:
  static int rows() { return terminal_rows(1); }
  static std::string first_lines(const std::string& s, size_t n) {
    size_t pos = 0;
    for (size_t i = 0; i < n && pos != std::string::npos; ++i) {
      pos = s.find('\n', pos);
      if (pos != std::string::npos) ++pos;
    }
    return pos == std::string::npos ? s : s.substr(0, pos);
  }

  bool interactive_;
  bool loop_watch_;
  uint64_t interval_ns_;
  const SortKey* sort_;
  std::vector<ProcessSummary> rows_;
  size_t traced_ = 0;
  Losses losses_;
  bool paused_ = false;
  std::string stamp_;
};

probes::TraceOptions trace_options(const TopArgs& a) {
  probes::TraceOptions t;
  for (const auto& p : a.pids) {
    uint32_t pid = parse_pid(p);
    if (std::find(t.pids.begin(), t.pids.end(), pid) == t.pids.end()) t.pids.push_back(pid);
  }
  t.all_processes = t.pids.empty();
  t.stall_ns = parse_duration_option("--stall-threshold", a.stall_threshold);
  t.block_ns = 5'000'000;
  t.light_collect = true;
  t.loop_watch = a.loop_watch;
  return t;
}

}  // namespace

CLI::App* add_top_command(CLI::App& app, TopArgs& a) {
  auto* top = app.add_subcommand("top", "Live view of every process doing I/O, refreshed every interval");
  top->add_option("-p,--pid", a.pids, "Only these processes (repeatable; default: every process)")
      ->type_name("PID");
  top->add_option("-i,--interval", a.interval, "Refresh this often: 1 (second), 500ms (default 1s)")
      ->type_name("DURATION");
  top->add_flag("-b,--once", a.batch, "Batch mode: plain snapshots on stdout, no keys (for scripts)");
  top->add_option("-n,--iterations", a.iterations,
                  "Stop after N refreshes (batch default 1; 0: until q or Ctrl-C)")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber);
  top->add_option("-s,--sort", a.sort,
                  "Initial order: syscalls, iterations, pid, stalls, sys-per-op, model, command "
                  "(default syscalls; iterations with --loop-watch)")
      ->type_name("COLUMN");
  add_loop_watch_flag(top, a.loop_watch);
  top->add_option("--stall-threshold", a.stall_threshold,
                  "Event-loop iterations longer than this are stalls (default 20ms)")
      ->type_name("DURATION");
  return top;
}

int run_top(const AppArgs& args) {
  const TopArgs& a = args.top;
  uint64_t interval_ns = parse_duration_option("--interval", a.interval);
  sort_named(sort_of(a));  // reject a bad --sort before attaching
  bool interactive = !a.batch && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  int iterations = a.iterations >= 0 ? a.iterations : (interactive ? 0 : 1);
  install_signal_handlers();
  auto tracer = probes::Tracer::start(trace_options(a));
  TopView view(a, interactive, interval_ns);
  std::unique_ptr<RawTerminal> raw;
  if (interactive) raw = std::make_unique<RawTerminal>();
  if (interactive) write_stdout("iotrace top: probes attached; first refresh in " +
                                format_duration(interval_ns) + "\n");
  // Long host-wide sessions see many threads come and go: each refresh forgets the exited
  // ones it reported, so the maps hold live threads only.
  auto collect = [&] {
    Capture c = tracer->collect();
    size_t forgotten = tracer->forget_exited(c);
    if (args.verbose && forgotten)
      fmt::print(stderr, "iotrace: top: forgot {} exited threads after reporting them\n", forgotten);
    return c;
  };
  Capture prev = collect();
  uint64_t next_ns = tracer->elapsed_ns() + interval_ns;
  for (int done = 0; !stop_requested() && (iterations == 0 || done < iterations);) {
    if (raw && raw->active()) {
      int k = raw->read_key(50);
      if (k >= 0) {
        if (!view.key(k)) break;
        if (done > 0) write_stdout(view.render());
      }
    }
    tracer->poll(50);
    if (tracer->elapsed_ns() < next_ns) continue;
    next_ns += interval_ns;
    Capture cur = collect();
    Capture delta = capture_delta(prev, cur);
    prev = std::move(cur);
    ++done;
    if (view.paused()) continue;
    size_t live = static_cast<size_t>(std::count_if(prev.processes.begin(), prev.processes.end(),
                                                    [](const auto& p) { return !p.exited; }));
    view.update(delta, live);
    if (!write_stdout(view.render())) break;  // the reader went away
  }
  return k_exit_ok;
}

}  // namespace iotrace::cli
