#include "src/output/exporter_metrics.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <set>
#include <tuple>

#include "src/capture/capture_json.hpp"
#include "src/capture/capture_split.hpp"
#include "src/capture/fd_kind.hpp"
#include "src/output/report.hpp"
#include "src/capture/syscall_table.hpp"
#include "src/findings/finding_common.hpp"
#include "src/stacks/program_frame.hpp"

namespace iotrace {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr const char* k_other = "other";
// Every second log2 slot: bucket b ends at 2^(k_first_bound_slot + 2b) ns.
constexpr int k_first_bound_slot = 10;
constexpr int k_bounds = 13;  // up to 2^34 ns (17.2 s); longer calls count in +Inf only

struct CallKey {
  std::string syscall, fd_kind, kind, frame;  // frame: the program's innermost frame of the site
  bool operator<(const CallKey& o) const {
    return std::tie(syscall, fd_kind, kind, frame) < std::tie(o.syscall, o.fd_kind, o.kind, o.frame);
  }
};
struct CallSeries {
  double calls = 0, seconds = 0;
};
struct ThreadSeries {
  double iterations = 0, stalls = 0, stall_seconds = 0;
  std::map<CallKey, CallSeries> blocking;
};
struct HistSeries {
  std::array<double, k_hist_slots> slots{};
  double count = 0, sum_seconds = 0;
};

struct ProcSeries {
  std::string pid, comm, cgroup;
  // counters
  double syscalls = 0, io_syscalls = 0, operations = 0, eagain = 0, waits = 0, wait_events = 0;
  double iowq_punts = 0, et_undrained = 0;
  std::map<std::string, ThreadSeries> threads;  // by thread name (event-loop threads)
  std::map<std::string, HistSeries> hists;      // by syscall name
  // gauges of the last window with calls
  bool have_model = false;
  std::string model, trigger, runtime;
  uint32_t loop_threads = 0;
  std::map<std::string, double> ratios;
  std::set<std::pair<std::string, std::string>> findings;  // id, severity
  bool published_dead = false;  // expire(): seen exited; forgotten at the next expire()
};

}  // namespace

struct ExporterMetrics::State {
  ExporterLimits limits;
  std::map<std::pair<uint32_t, uint64_t>, ProcSeries> procs;  // by (pid, start time)
  ProcSeries other;
  bool other_used = false;
  double folded_processes = 0, folded_threads = 0, folded_syscalls = 0;
  double windows = 0, traced_seconds = 0;
  bool loop_watch = false;
  Losses losses;

  void add_losses(const Losses& l) {
    losses.stats_full += l.stats_full;
    losses.threads_full += l.threads_full;
    losses.ringbuf += l.ringbuf;
    losses.stack += l.stack;
    losses.flagged_full += l.flagged_full;
    losses.stack_copy += l.stack_copy;
  }

  // Each process of c with its report, busiest first: new processes get their own series in
  // that order, so the limit folds the quiet ones.
  static std::vector<std::pair<Capture, Report>> reports_of(const Capture& c) {
    std::vector<std::pair<Capture, Report>> parts;
    for (auto& one : split_by_process(c)) {
      if (one.processes.empty()) continue;
      Report r = build_report(one);
      parts.emplace_back(std::move(one), std::move(r));
    }
    std::stable_sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) {
      uint64_t ca = a.second.processes.empty() ? 0 : a.second.processes[0].total.calls;
      uint64_t cb = b.second.processes.empty() ? 0 : b.second.processes[0].total.calls;
      return ca > cb;
    });
    return parts;
  }

  ThreadSeries& thread_series(ProcSeries& s, const Capture& one, uint32_t tid) {
    std::string name = k_other;
    for (const auto& t : one.threads)
      if (t.tid == tid) name = t.comm;
    if (!s.threads.count(name) && s.threads.size() >= limits.max_threads) {
      folded_threads += 1;
      name = k_other;
    }
    return s.threads[name];
  }

  // Iterations, stalls and blocking calls of the process's event-loop threads (as its report
  // judges them: a thread waiting on one connection is no loop, whatever the kernel marked).
  void add_loop_health(const Capture& one, const ProcessReport& pr, ProcSeries& s, double scale) {
    const std::set<uint32_t> loops = loop_threads(pr);
    for (const auto& t : one.threads) {
      if (!loops.count(t.tid)) continue;
      if (t.iterations) thread_series(s, one, t.tid).iterations += scale * static_cast<double>(t.iterations);
      if (t.stalls) thread_series(s, one, t.tid).stalls += scale * static_cast<double>(t.stalls);
    }
    for (const auto& st : one.stalls)
      if (loops.count(st.tid))
        thread_series(s, one, st.tid).stall_seconds += scale * static_cast<double>(st.dur_ns) / 1e9;
    for (const auto& f : one.flagged) {
      if (f.kind == FlagKind::et_undrained || !f.count || !loops.count(f.tid)) continue;
      CallKey k{syscall_name(one.arch, f.nr), std::string(fd_kind_name(f.fd_kind)), flag_kind_name(f.kind),
                program_frame(f.stack)};
      auto& c = thread_series(s, one, f.tid).blocking[k];
      c.calls += scale * static_cast<double>(f.count);
      c.seconds += scale * static_cast<double>(f.total_ns) / 1e9;
    }
  }

  ProcSeries& series_for(const ProcessRecord& p, const std::string& cgroup) {
    auto key = std::make_pair(p.pid, p.start_time_ticks);
    if (auto it = procs.find(key); it != procs.end()) return it->second;
    if (procs.size() >= limits.max_processes) {
      folded_processes += 1;
      other_used = true;
      return other;
    }
    ProcSeries& s = procs[key];
    s.pid = std::to_string(p.pid);
    s.comm = p.comm;
    s.cgroup = cgroup;
    return s;
  }

  void add_process(const Capture& one, const ProcessReport& pr, ProcSeries& s, double scale) {
    bool folded = &s == &other;
    s.syscalls += scale * static_cast<double>(pr.total.calls);
    s.operations += scale * std::max(0.0, pr.metrics.get("operations"));
    s.io_syscalls += scale * std::max(0.0, pr.metrics.get("io_syscalls"));
    s.iowq_punts += scale * std::max(0.0, pr.metrics.get("iowq_punts"));
    for (const auto& r : one.syscalls) {
      s.eagain += scale * static_cast<double>(r.err_eagain);
      if (syscall_category(one.arch, r.nr, r.fd_kind) == Category::mux) {
        s.waits += scale * static_cast<double>(r.calls);
        s.wait_events += scale * static_cast<double>(r.ret_sum);
      }
    }
    // Histograms are 16 series each: kept for processes with an event loop, the ones whose
    // latencies the findings are about, so a host's other processes add none.
    bool has_loop = std::any_of(one.threads.begin(), one.threads.end(), [](const auto& t) { return t.loop; });
    if (has_loop) add_histograms(one, s, scale);
    for (const auto& t : one.threads) s.et_undrained += scale * static_cast<double>(t.et_undrained);
    if (!loop_watch) add_loop_health(one, pr, s, scale);
    if (folded || !pr.total.calls) return;
    s.have_model = true;
    s.model = pr.model.model;
    s.trigger = pr.model.trigger;
    s.runtime = pr.model.runtime;
    s.loop_threads = 0;
    for (const auto& t : one.threads) s.loop_threads += t.loop ? 1 : 0;
    s.ratios.clear();
    for (const char* id : {"syscalls_per_op", "events_per_wait", "eagain_share", "sqes_per_enter"}) {
      double v = pr.metrics.get(id);
      if (v >= 0) s.ratios[id] = v;
    }
    s.findings.clear();
    for (const auto& f : pr.findings) s.findings.emplace(f.id, std::string(severity_name(f.severity)));
  }

  // Per syscall name, busiest by time first; those past the limit go to "other".
  void add_histograms(const Capture& one, ProcSeries& s, double scale) {
    std::map<std::string, std::pair<Histogram, uint64_t>> by_name;
    for (const auto& r : one.syscalls) {
      auto& [h, ns] = by_name[syscall_name(one.arch, r.nr)];
      h.merge(r.hist);
      ns += r.total_ns;
    }
    std::vector<std::pair<uint64_t, std::string>> order;
    for (const auto& [name, v] : by_name) order.emplace_back(v.second, name);
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (const auto& [ns, name] : order) {
      std::string label = name;
      if (!s.hists.count(label) && s.hists.size() >= limits.max_syscalls) {
        folded_syscalls += 1;
        label = k_other;
      }
      auto& hs = s.hists[label];
      const auto& h = by_name[name].first;
      for (int i = 0; i < k_hist_slots; ++i) hs.slots[i] += scale * static_cast<double>(h.slots[i]);
      hs.count += scale * static_cast<double>(h.count());
      hs.sum_seconds += scale * static_cast<double>(ns) / 1e9;
    }
  }
};

ExporterMetrics::ExporterMetrics(ExporterLimits limits) : s_(std::make_unique<State>()) {
  s_->limits = limits;
  s_->other.pid = k_other;
  s_->other.comm = k_other;
  s_->other.cgroup = k_other;
}
ExporterMetrics::~ExporterMetrics() = default;
ExporterMetrics::ExporterMetrics(ExporterMetrics&&) noexcept = default;
ExporterMetrics& ExporterMetrics::operator=(ExporterMetrics&&) noexcept = default;

void ExporterMetrics::add_window(const Capture& c, double scale,
                                 const std::map<uint32_t, std::string>& cgroup_of) {
  State& st = *s_;
  st.windows += 1;
  st.traced_seconds += static_cast<double>(c.duration_ns) / 1e9;
  st.add_losses(c.losses);
  for (const auto& [one, r] : State::reports_of(c))
    for (const auto& pr : r.processes) {
      if (!pr.total.calls && pr.process.exited) continue;
      auto cg = cgroup_of.find(pr.process.pid);
      ProcSeries& s = st.series_for(pr.process, cg == cgroup_of.end() ? "" : cg->second);
      st.add_process(one, pr, s, scale);
    }
}

void ExporterMetrics::set_loop_watch(bool on) { s_->loop_watch = on; }

void ExporterMetrics::add_loop_watch(const Capture& c, const std::map<uint32_t, std::string>& cgroup_of) {
  State& st = *s_;
  st.add_losses(c.losses);
  for (const auto& [one, r] : State::reports_of(c))
    for (const auto& pr : r.processes) {
      if (loop_threads(pr).empty()) continue;
      auto cg = cgroup_of.find(pr.process.pid);
      ProcSeries& s = st.series_for(pr.process, cg == cgroup_of.end() ? "" : cg->second);
      st.add_loop_health(one, pr, s, 1.0);
    }
}

size_t ExporterMetrics::expire(const std::function<bool(uint32_t, uint64_t)>& alive) {
  State& st = *s_;
  size_t forgotten = 0;
  for (auto it = st.procs.begin(); it != st.procs.end();) {
    if (it->second.published_dead) {
      it = st.procs.erase(it);
      ++forgotten;
      continue;
    }
    if (!alive(it->first.first, it->first.second)) it->second.published_dead = true;
    ++it;
  }
  return forgotten;
}

size_t ExporterMetrics::processes() const { return s_->procs.size(); }

std::vector<double> exporter_bucket_bounds() {
  std::vector<double> b;
  for (int i = 0; i < k_bounds; ++i)
    b.push_back(std::ldexp(1.0, k_first_bound_slot + 2 * i) / 1e9);
  return b;
}

namespace {

class FamilyBuilder {
 public:
  FamilyBuilder(std::vector<MetricFamily>& out, std::string name, std::string help, MetricType type)
      : out_(out) {
    out_.push_back({std::move(name), std::move(help), type, {}});
    index_ = out_.size() - 1;
  }
  ClientMetric& add(std::vector<ClientMetric::Label> labels) {
    auto& f = out_[index_];
    f.metric.emplace_back();
    f.metric.back().label = std::move(labels);
    return f.metric.back();
  }
  void counter(std::vector<ClientMetric::Label> labels, double v) { add(std::move(labels)).counter.value = v; }
  void gauge(std::vector<ClientMetric::Label> labels, double v) { add(std::move(labels)).gauge.value = v; }

 private:
  std::vector<MetricFamily>& out_;
  size_t index_;
};

std::vector<ClientMetric::Label> proc_labels(const ProcSeries& s) {
  return {{"pid", s.pid}, {"comm", s.comm}, {"cgroup", s.cgroup}};
}

std::vector<ClientMetric::Label> with(std::vector<ClientMetric::Label> l,
                                      std::initializer_list<ClientMetric::Label> more) {
  l.insert(l.end(), more.begin(), more.end());
  return l;
}

uint64_t whole(double v) { return static_cast<uint64_t>(std::llround(v)); }

}  // namespace

std::vector<MetricFamily> ExporterMetrics::families(const ExporterSelf& self) const {
  const State& st = *s_;
  std::vector<const ProcSeries*> all;
  for (const auto& [k, s] : st.procs) all.push_back(&s);
  if (st.other_used) all.push_back(&st.other);

  std::vector<MetricFamily> out;
  auto counter_family = [&](const char* name, const char* help, auto value) {
    FamilyBuilder f(out, name, help, MetricType::Counter);
    for (const auto* s : all) f.counter(proc_labels(*s), value(*s));
  };
  {
    FamilyBuilder f(out, "iotrace_process_io_model",
                    "I/O model of the process in its last traced window (1 per process; see iotrace(8))",
                    MetricType::Gauge);
    for (const auto* s : all)
      if (s->have_model)
        f.gauge(with(proc_labels(*s), {{"model", s->model}, {"trigger", s->trigger}, {"runtime", s->runtime}}), 1);
  }
  {
    FamilyBuilder f(out, "iotrace_process_loop_threads",
                    "Event-loop threads of the process in its last traced window", MetricType::Gauge);
    for (const auto* s : all)
      if (s->have_model) f.gauge(proc_labels(*s), s->loop_threads);
  }
  {
    FamilyBuilder f(out, "iotrace_process_finding",
                    "Findings of the process in its last traced window (1 per finding id)",
                    MetricType::Gauge);
    for (const auto* s : all)
      for (const auto& [id, sev] : s->findings)
        f.gauge(with(proc_labels(*s), {{"finding", id}, {"severity", sev}}), 1);
  }
  struct RatioDef {
    const char* id;
    const char* name;
    const char* help;
  };
  for (const RatioDef& d : {
           RatioDef{"syscalls_per_op", "iotrace_process_syscalls_per_operation",
                    "I/O syscalls per operation (event handled or request served) in the last window"},
           RatioDef{"events_per_wait", "iotrace_process_events_per_wait",
                    "Events returned per multiplexer wait in the last window"},
           RatioDef{"eagain_share", "iotrace_process_eagain_ratio",
                    "Share of non-blocking reads and writes that returned EAGAIN in the last window"},
           RatioDef{"sqes_per_enter", "iotrace_process_sqes_per_enter",
                    "io_uring submissions per io_uring_enter in the last window"},
       }) {
    FamilyBuilder f(out, d.name, d.help, MetricType::Gauge);
    for (const auto* s : all)
      if (auto it = s->ratios.find(d.id); it != s->ratios.end()) f.gauge(proc_labels(*s), it->second);
  }
  counter_family("iotrace_syscalls_total", "System calls made (estimated over sampled windows)",
                 [](const ProcSeries& s) { return s.syscalls; });
  counter_family("iotrace_io_syscalls_total", "I/O system calls made (the numerator of syscalls per operation)",
                 [](const ProcSeries& s) { return s.io_syscalls; });
  counter_family("iotrace_operations_total", "Operations: events handled and requests served",
                 [](const ProcSeries& s) { return s.operations; });
  counter_family("iotrace_eagain_errors_total", "System calls that failed with EAGAIN",
                 [](const ProcSeries& s) { return s.eagain; });
  counter_family("iotrace_multiplexer_waits_total", "Waits in epoll_wait, poll, select and io_uring_enter",
                 [](const ProcSeries& s) { return s.waits; });
  counter_family("iotrace_multiplexer_events_total", "Events and ready fds those waits returned",
                 [](const ProcSeries& s) { return s.wait_events; });
  counter_family("iotrace_io_uring_iowq_punts_total",
                 "io_uring requests the kernel punted to io-wq worker threads",
                 [](const ProcSeries& s) { return s.iowq_punts; });
  counter_family("iotrace_epoll_et_undrained_total",
                 "Waits entered with unread data left on an edge-triggered socket",
                 [](const ProcSeries& s) { return s.et_undrained; });
  {
    FamilyBuilder n(out, "iotrace_loop_iterations_total",
                    "Event-loop iterations (a wait's return to the next wait)", MetricType::Counter);
    for (const auto* s : all)
      for (const auto& [name, t] : s->threads)
        if (t.iterations > 0) n.counter(with(proc_labels(*s), {{"thread", name}}), t.iterations);
  }
  {
    FamilyBuilder n(out, "iotrace_loop_stalls_total",
                    "Event-loop iterations longer than the stall threshold", MetricType::Counter);
    for (const auto* s : all)
      for (const auto& [name, t] : s->threads)
        if (t.stalls > 0) n.counter(with(proc_labels(*s), {{"thread", name}}), t.stalls);
  }
  {
    FamilyBuilder n(out, "iotrace_loop_stall_seconds_total",
                    "Time event loops spent in stalled iterations", MetricType::Counter);
    for (const auto* s : all)
      for (const auto& [name, t] : s->threads)
        if (t.stalls > 0) n.counter(with(proc_labels(*s), {{"thread", name}}), t.stall_seconds);
  }
  for (bool seconds : {false, true}) {
    FamilyBuilder n(out, seconds ? "iotrace_loop_blocking_seconds_total" : "iotrace_loop_blocking_calls_total",
                    seconds ? "Time event-loop threads spent in calls that block or can block"
                            : "Calls on event-loop threads that blocked (slow), can block (risk) or "
                              "resolved names synchronously (dns)",
                    MetricType::Counter);
    for (const auto* s : all)
      for (const auto& [name, t] : s->threads)
        for (const auto& [k, c] : t.blocking)
          n.counter(with(proc_labels(*s), {{"thread", name}, {"syscall", k.syscall},
                                           {"fd_kind", k.fd_kind}, {"kind", k.kind}, {"frame", k.frame}}),
                    seconds ? c.seconds : c.calls);
  }
  {
    FamilyBuilder n(out, "iotrace_syscall_duration_seconds",
                    "System call latency, from the kernel's log2 histograms (busiest syscalls)",
                    MetricType::Histogram);
    auto bounds = exporter_bucket_bounds();
    for (const auto* s : all)
      for (const auto& [name, h] : s->hists) {
        auto& m = n.add(with(proc_labels(*s), {{"syscall", name}}));
        double cum = 0;
        int slot = 0;
        for (size_t b = 0; b < bounds.size(); ++b) {
          int last = k_first_bound_slot + 2 * static_cast<int>(b) - 1;  // slots below the bound
          for (; slot <= last && slot < k_hist_slots; ++slot) cum += h.slots[slot];
          m.histogram.bucket.push_back({whole(cum), bounds[b]});
        }
        m.histogram.bucket.push_back({whole(h.count), std::numeric_limits<double>::infinity()});
        m.histogram.sample_count = whole(h.count);
        m.histogram.sample_sum = h.sum_seconds;
      }
  }
  // the exporter itself
  auto single = [&](const char* name, const char* help, MetricType type, double v) {
    FamilyBuilder f(out, name, help, type);
    if (type == MetricType::Counter)
      f.counter({}, v);
    else
      f.gauge({}, v);
  };
  single("iotrace_exporter_windows_total", "Tracing windows completed", MetricType::Counter, st.windows);
  single("iotrace_exporter_traced_seconds_total", "Time the probes were attached", MetricType::Counter,
         st.traced_seconds);
  single("iotrace_exporter_sampling_ratio",
         "Time traced over time run: counters are scaled by its inverse (1: not sampled)",
         MetricType::Gauge, self.sampling_ratio);
  single("iotrace_exporter_window_errors_total", "Tracing windows that failed to start",
         MetricType::Counter, static_cast<double>(self.window_errors));
  single("iotrace_exporter_last_window_timestamp_seconds", "When the last tracing window ended",
         MetricType::Gauge, self.last_window_end_s);
  single("iotrace_exporter_cpu_seconds_total", "CPU time of the exporter (user and system)",
         MetricType::Counter, self.cpu_seconds);
  single("iotrace_exporter_resident_memory_bytes", "Resident memory of the exporter",
         MetricType::Gauge, self.resident_bytes);
  single("iotrace_exporter_scrapes_total", "Scrapes of /metrics served", MetricType::Counter,
         static_cast<double>(self.scrapes));
  single("iotrace_exporter_processes", "Processes with their own series", MetricType::Gauge,
         static_cast<double>(st.procs.size()));
  single("iotrace_exporter_loop_watch", "1 when the loop watch runs between tracing windows",
         MetricType::Gauge, self.loop_watch ? 1 : 0);
  single("iotrace_exporter_http_connections", "HTTP connections open to the exporter", MetricType::Gauge,
         static_cast<double>(self.http_connections));
  {
    FamilyBuilder f(out, "iotrace_exporter_http_refused_total",
                    "HTTP connections closed or requests refused by the exporter, by reason: evicted "
                    "(past --max-connections), timeout, bad_request, unauthorized, tls",
                    MetricType::Counter);
    for (const char* reason : {"evicted", "timeout", "bad_request", "unauthorized", "tls"}) {
      auto it = self.http_closed.find(reason);
      f.counter({{"reason", reason}}, it == self.http_closed.end() ? 0.0 : static_cast<double>(it->second));
    }
  }
  {
    FamilyBuilder f(out, "iotrace_exporter_folded_total",
                    "Processes, thread names and syscalls added to an \"other\" series past the "
                    "cardinality limits",
                    MetricType::Counter);
    f.counter({{"what", "process"}}, st.folded_processes);
    f.counter({{"what", "thread"}}, st.folded_threads);
    f.counter({{"what", "syscall"}}, st.folded_syscalls);
  }
  {
    FamilyBuilder f(out, "iotrace_exporter_lost_events_total",
                    "Events the kernel side could not store, by kind (see LOSSES in iotrace(8))",
                    MetricType::Counter);
    const Losses& l = st.losses;
    f.counter({{"kind", "stats_rows"}}, static_cast<double>(l.stats_full));
    f.counter({{"kind", "thread_rows"}}, static_cast<double>(l.threads_full));
    f.counter({{"kind", "events"}}, static_cast<double>(l.ringbuf));
    f.counter({{"kind", "stacks"}}, static_cast<double>(l.stack));
    f.counter({{"kind", "flagged_rows"}}, static_cast<double>(l.flagged_full));
    f.counter({{"kind", "stack_copies"}}, static_cast<double>(l.stack_copy));
  }
  // Families with no series say nothing; Prometheus text allows them, but they clutter.
  out.erase(std::remove_if(out.begin(), out.end(), [](const MetricFamily& f) { return f.metric.empty(); }),
            out.end());
  return out;
}

}  // namespace iotrace
