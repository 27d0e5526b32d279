#include "cli/commands/interval_report.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "cli/options.hpp"
#include "cli/output.hpp"
#include "cli/render/process_table.hpp"
#include "cli/render/status_line.hpp"
#include "src/capture/capture_delta.hpp"
#include "src/util/duration.hpp"
#include "src/model/process_summary.hpp"

namespace iotrace::cli {
namespace {

constexpr uint64_t k_status_every_ns = 500'000'000;

// "0.6s", "59.9s", then format_duration's "2m05s": steady width while it ticks.
std::string elapsed_text(uint64_t ns) {
  if (ns < 60'000'000'000ull) return fmt::format("{:.1f}s", static_cast<double>(ns) / 1e9);
  return format_duration(ns);
}

class Progress {
 public:
  Progress(uint64_t interval_ns, bool to_stderr) : interval_ns_(interval_ns), to_stderr_(to_stderr) {}

  void tick(probes::Tracer& t, bool final) {
    if (final) {
      status_.clear();
      return;
    }
    uint64_t now = t.elapsed_ns();
    if (interval_ns_ && now >= next_report_ns_) {
      next_report_ns_ = now + interval_ns_;
      report(t, now);
    }
    if (status_.enabled() && now >= next_status_ns_) {
      next_status_ns_ = now + k_status_every_ns;
      auto lc = t.live_counts();
      status_.show(fmt::format("iotrace: probes attached; {} threads seen, {} stalls, {} elapsed; "
                               "Ctrl-C reports",
                               lc.threads, lc.stalls, elapsed_text(now)));
    }
  }

 private:
  void report(probes::Tracer& t, uint64_t now) {
    if (!started_) {  // the first collection is the baseline
      started_ = true;
      prev_ = t.collect();
      return;
    }
    Capture cur = t.collect();
    Capture delta = capture_delta(prev_, cur);
    prev_ = std::move(cur);
    ++n_;
    Report r = build_report(delta);
    auto rows = summarize_processes(r);
    sort_summaries(rows, delta.settings.tier == TraceTier::loop_watch ? SummarySort::iterations
                                                                      : SummarySort::syscalls);
    TableOptions opts;
    opts.loop_watch = delta.settings.tier == TraceTier::loop_watch;
    std::string o = fmt::format("--- interval {} ({} to {}) ---\n", n_,
                                format_duration(now - delta.duration_ns), format_duration(now));
    std::string body = render_process_rows(rows, opts);
    o += body.empty() ? "  (no calls in this interval)\n" : render_process_header(opts) + body;
    if (delta.losses.total())
      o += fmt::format("  ({} events lost in this interval: counts are lower bounds)\n",
                       delta.losses.total());
    status_.clear();
    if (to_stderr_) {
      fflush(stderr);
      fmt::print(stderr, "{}", o);
    } else {
      write_stdout(o);
    }
  }

  StatusLine status_;
  uint64_t interval_ns_;
  bool to_stderr_;
  uint64_t next_report_ns_ = 0;
  uint64_t next_status_ns_ = 0;
  bool started_ = false;
  int n_ = 0;
  Capture prev_;
};

}  // namespace

void add_progress(SessionOptions& s, const std::string& interval) {
  uint64_t interval_ns = interval.empty() ? 0 : parse_duration_option("--interval", interval);
  bool to_stderr = s.out.json && s.out.output.empty();
  auto p = std::make_shared<Progress>(interval_ns, to_stderr);
  s.on_tick = [p](probes::Tracer& t, bool final) { p->tick(t, final); };
}

}  // namespace iotrace::cli
