// iotrace exporter: serves what iotrace finds (I/O models, loop stalls, blocking calls on
// loops, syscalls per operation) as Prometheus metrics, for a fleet's monitoring.
//
// Tracing every syscall of a busy server costs it a tenth to a fifth of its throughput
// (bench/RESULTS.md section 5), too much for always-on use. So by default the probes are
// attached for ON seconds out of every PERIOD (--duty, 5s/60s): between windows nothing is
// attached and the host pays nothing; counters are scaled by PERIOD over the time traced and
// iotrace_exporter_sampling_ratio says so. Each window loads fresh programs and maps, so
// nothing accumulates in the kernel across windows; the series follow live processes.
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <pthread.h>
#include <regex>
#include <set>
#include <thread>

#include "cli/app.hpp"
#include "cli/errors.hpp"
#include "cli/exporter/http_server.hpp"
#include "cli/exporter/loop_watch.hpp"
#include "cli/exporter/privileges.hpp"
#include "cli/exporter/web_config.hpp"
#include "cli/options.hpp"
#include "cli/signals.hpp"
#include "probes/proc_reader.hpp"
#include "probes/trace_error.hpp"
#include "probes/tracer/tracer.hpp"
#include "src/capture/capture_delta.hpp"
#include "src/util/duration.hpp"
#include "src/output/exporter_metrics.hpp"
#include "src/output/pprof_profile.hpp"
#include "src/util/clock.hpp"

namespace iotrace::cli {
namespace {

std::atomic<bool> g_rescan{false};
void on_hup(int) { g_rescan.store(true); }

struct Duty {
  uint64_t on_ns = 0, period_ns = 0;
  bool always() const { return on_ns >= period_ns; }
};

Duty parse_duty(const std::string& text) {
  Duty d;
  if (text == "always") {
    d.on_ns = d.period_ns = 15'000'000'000ull;
    return d;
  }
  size_t slash = text.find('/');
  if (slash == std::string::npos)
    throw UsageError(fmt::format("--duty: '{}' is not ON/PERIOD", text),
                     "give how long to trace out of how long, e.g. 5s/60s, or 'always'");
  d.on_ns = parse_duration_option("--duty", text.substr(0, slash));
  d.period_ns = parse_duration_option("--duty", text.substr(slash + 1));
  if (d.on_ns == 0 || d.period_ns == 0 || d.on_ns > d.period_ns)
    throw UsageError(fmt::format("--duty: '{}': ON must be positive and at most PERIOD", text),
                     "e.g. 5s/60s traces 5 seconds of every minute");
  if (d.on_ns < 500'000'000ull)
    throw UsageError(fmt::format("--duty: '{}': windows shorter than 500ms see little", text),
                     "loading the probes alone takes ~150ms; use at least 1s");
  return d;
}

struct Listen {
  std::string host;
  int port = 0;
};

Listen parse_listen(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 >= text.size())
    throw UsageError(fmt::format("--listen: '{}' is not ADDR:PORT", text), "e.g. 127.0.0.1:19731 or 0.0.0.0:19731");
  Listen l;
  l.host = text.substr(0, colon);
  if (l.host.size() >= 2 && l.host.front() == '[' && l.host.back() == ']') l.host = l.host.substr(1, l.host.size() - 2);
  if (l.host.empty()) l.host = "0.0.0.0";
  const std::string port = text.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoi(port) < 1 || std::stoi(port) > 65535)
    throw UsageError(fmt::format("--listen: bad port '{}'", port), "a port is 1-65535");
  l.port = std::stoi(port);
  return l;
}

// Which processes a window traces. Empty selection: every process (host-wide).
class Selection {
 public:
  explicit Selection(const ExporterArgs& a) {
    for (const auto& p : a.pids) pids_.push_back(parse_pid(p));
    if (!a.comm.empty()) {
      try {
        comm_ = std::regex(a.comm, std::regex::extended);
      } catch (const std::regex_error& e) {
        throw UsageError(fmt::format("--comm: bad regular expression '{}': {}", a.comm, e.what()),
                         "an extended regular expression matched anywhere in the name, as pgrep does");
      }
      has_comm_ = true;
    }
    cgroup_ = a.cgroup;
    if (cgroup_.rfind("/sys/fs/cgroup", 0) == 0) cgroup_ = cgroup_.substr(14);
    if (!cgroup_.empty() && cgroup_.front() != '/') cgroup_ = "/" + cgroup_;
    while (cgroup_.size() > 1 && cgroup_.back() == '/') cgroup_.pop_back();
  }
  bool host_wide() const { return pids_.empty() && !has_comm_ && cgroup_.empty(); }
  const std::vector<uint32_t>& pids() const { return pids_; }

  // The processes to trace now; empty host-wide, where the tracer takes every process.
  std::vector<uint32_t> resolve() const {
    std::vector<uint32_t> out;
    if (host_wide()) return out;
    if (!pids_.empty()) {
      for (uint32_t p : pids_)
        if (probes::process_alive(p, 0)) out.push_back(p);
      return out;
    }
    const uint32_t self = static_cast<uint32_t>(getpid());
    for (const auto& st : probes::user_processes()) {
      if (st.pid == self) continue;
      if (has_comm_ && !std::regex_search(st.comm, comm_)) continue;
      if (!cgroup_.empty()) {
        std::string cg = probes::read_cgroup(st.pid);
        if (cg != cgroup_ && cg.rfind(cgroup_ + "/", 0) != 0 && cgroup_ != "/") continue;
      }
      out.push_back(st.pid);
    }
    return out;
  }

 private:
  std::vector<uint32_t> pids_;
  std::regex comm_;
  bool has_comm_ = false;
  std::string cgroup_;
};

double now_unix_s() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}


double self_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

double self_rss_bytes() {
  auto st = probes::read_status(static_cast<uint32_t>(getpid()));
  return st ? static_cast<double>(st->vm_rss_bytes) : 0;
}

// What the HTTP thread reads and the tracing loop writes.
class Published {
 public:
  explicit Published(ExporterLimits limits, Duty duty) : metrics_(limits), duty_(duty) {}

  template <typename F>
  void update(F&& f) {
    std::lock_guard<std::mutex> lock(mu_);
    f(metrics_);
    last_window_end_s_ = now_unix_s();
    last_window_mono_ = monotonic_ns();
  }
  // What the loop watch saw: no window ended.
  void add_loop_watch(const Capture& d, const std::map<uint32_t, std::string>& cgroup_of) {
    std::lock_guard<std::mutex> lock(mu_);
    metrics_.add_loop_watch(d, cgroup_of);
  }
  void set_loop_watch(bool on) {
    std::lock_guard<std::mutex> lock(mu_);
    metrics_.set_loop_watch(on);
    loop_watch_ = on;
  }
  // The last window's blocked loop time as a pprof profile (gzipped profile.proto).
  void set_profile(std::string pprof) {
    std::lock_guard<std::mutex> lock(mu_);
    profile_ = std::move(pprof);
  }
  std::string profile() {
    std::lock_guard<std::mutex> lock(mu_);
    return profile_;
  }
  void window_failed() {
    std::lock_guard<std::mutex> lock(mu_);
    ++window_errors_;
  }
  std::string render(const HttpCounters& http) {
    std::lock_guard<std::mutex> lock(mu_);
    ExporterSelf self;
    self.http_connections = http.open;
    self.http_closed = {{"evicted", http.evicted},         {"timeout", http.timed_out},
                        {"bad_request", http.bad_requests}, {"unauthorized", http.unauthorized},
                        {"tls", http.tls_failed}};
    self.cpu_seconds = self_cpu_s();
    self.resident_bytes = self_rss_bytes();
    self.sampling_ratio = static_cast<double>(duty_.on_ns) / static_cast<double>(duty_.period_ns);
    self.scrapes = ++scrapes_;
    self.window_errors = window_errors_;
    self.last_window_end_s = last_window_end_s_;
    self.loop_watch = loop_watch_;
    return prometheus::TextSerializer().Serialize(metrics_.families(self));
  }
  // Healthy while windows keep ending: within two periods (and the first one's load time).
  bool healthy(uint64_t started_mono, std::string* why) {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t since = last_window_mono_ ? last_window_mono_ : started_mono;
    uint64_t late = 2 * duty_.period_ns + 30'000'000'000ull;
    if (monotonic_ns() - since <= late) return true;
    *why = last_window_mono_ ? fmt::format("no tracing window has ended for {}",
                                           format_duration(monotonic_ns() - since))
                             : "the first tracing window has not ended";
    if (window_errors_) *why += fmt::format(" ({} windows failed to start)", window_errors_);
    return false;
  }

 private:
  std::mutex mu_;
  ExporterMetrics metrics_;
  Duty duty_;
  uint64_t scrapes_ = 0, window_errors_ = 0;
  double last_window_end_s_ = 0;
  uint64_t last_window_mono_ = 0;
  bool loop_watch_ = false;
  std::string profile_;
};

std::map<uint32_t, std::string> cgroups_of(const Capture& c) {
  std::map<uint32_t, std::string> out;
  for (const auto& p : c.processes)
    if (!p.exited) out[p.pid] = probes::read_cgroup(p.pid);
  return out;
}

// Sleeps until deadline (monotonic) or a stop, polling the tracer when one runs. Between
// windows (no tracer) a SIGHUP ends the wait: the next window starts now, on a new scan.
void wait_until(uint64_t deadline, probes::Tracer* tracer) {
  while (!stop_requested() && !(g_rescan.load() && !tracer) && monotonic_ns() < deadline) {
    if (tracer)
      tracer->poll(100);
    else
      usleep(100'000);
  }
}

probes::TraceOptions trace_options(const ExporterArgs& a, const Selection& sel,
                                   const std::vector<uint32_t>& pids) {
  probes::TraceOptions t;
  t.pids = pids;
  t.all_processes = sel.host_wide();
  t.stall_ns = parse_duration_option("--stall-threshold", a.stall_threshold);
  t.block_ns = parse_duration_option("--block-threshold", a.block_threshold);
  t.light_collect = true;
  return t;
}

}  // namespace

CLI::App* add_exporter_command(CLI::App& app, ExporterArgs& a) {
  auto* ex = app.add_subcommand(
      "exporter", "Serve I/O models, loop stalls and blocking calls as Prometheus metrics");
  ex->add_option("--listen", a.listen,
                 "Serve /metrics and /healthz on ADDR:PORT (default 127.0.0.1:19731; the "
                 "metrics name the host's processes, so listen wider only on purpose)")
      ->type_name("ADDR:PORT");
  ex->add_option("-p,--pid", a.pids, "Only these processes (repeatable; default: every process)")
      ->type_name("PID");
  ex->add_option("--comm", a.comm,
                 "Only processes whose name matches this extended regular expression (anywhere, "
                 "as pgrep matches)")
      ->type_name("REGEX");
  ex->add_option("--cgroup", a.cgroup,
                 "Only processes in this cgroup or below it (/system.slice/nginx.service, or "
                 "its /sys/fs/cgroup path)")
      ->type_name("PATH");
  ex->add_option("--duty", a.duty,
                 "Trace ON out of every PERIOD, counters scaled to the whole period (default "
                 "5s/60s); 'always' traces without a break")
      ->type_name("ON/PERIOD");
  ex->add_option("--stall-threshold", a.stall_threshold,
                 "Event-loop iterations longer than this are stalls (default 20ms)")
      ->type_name("DURATION");
  ex->add_option("--block-threshold", a.block_threshold,
                 "Calls on an event-loop thread slower than this are flagged (default 5ms)")
      ->type_name("DURATION");
  ex->add_option("--max-processes", a.max_processes,
                 "Processes with their own series; the rest share pid=\"other\" (default 100)")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  ex->add_option("--max-threads", a.max_threads,
                 "Thread names per process with their own series; the rest share "
                 "thread=\"other\" (default 16)")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  ex->add_option("--web-config", a.web_config,
                 "TLS and basic authentication from this web configuration file (the Prometheus "
                 "exporter-toolkit's keys: tls_server_config, basic_auth_users, http_server_config)")
      ->type_name("FILE");
  ex->add_option("--max-connections", a.max_connections,
                 "HTTP connections held at once; past it the one idle the longest is closed "
                 "(default 256)")
      ->type_name("N")
      ->check(CLI::Range(size_t{1}, size_t{65536}));
  ex->add_flag("--no-loop-watch", a.no_loop_watch,
              "Do not watch event loops between windows: stalls and blocking calls on loops are "
              "then seen only while a window traces");
  ex->add_option("--windows", a.windows, "Exit after N tracing windows (default 0: until SIGTERM)")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber);
  return ex;
}

int run_exporter(const AppArgs& args) {
  const ExporterArgs& a = args.exporter;
  const Duty duty = parse_duty(a.duty);
  const Listen listen = parse_listen(a.listen);
  Selection sel(a);
  for (uint32_t p : sel.pids()) probes::validate_target(p);
  trace_options(a, sel, {});  // reject bad thresholds before listening

  ExporterLimits limits;
  limits.max_processes = a.max_processes;
  limits.max_threads = a.max_threads;
  Published pub(limits, duty);
  const uint64_t started = monotonic_ns();

  WebConfig web;
  if (!a.web_config.empty()) web = load_web_config(a.web_config);
  HttpLimits http_limits;
  http_limits.max_connections = a.max_connections;
  HttpServer server(http_limits, web);
  server.route("/metrics", [&](const HttpRequest&) {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = pub.render(server.counters());
    return r;
  });
  server.route("/healthz", [&](const HttpRequest&) {
    HttpResponse r;
    std::string why;
    if (pub.healthy(started, &why)) {
      r.body = "ok\n";
    } else {
      r.status = 503;
      r.body = why + "\n";
    }
    return r;
  });
  server.route("/debug/pprof/loop-blocked", [&](const HttpRequest&) {
    HttpResponse r;
    r.body = pub.profile();
    if (r.body.empty()) {
      r.status = 503;
      r.body = "no tracing window has ended yet\n";
      return r;
    }
    r.content_type = "application/octet-stream";
    r.compressible = false;  // gzipped already
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"loop-blocked.pb.gz\"");
    return r;
  });
  server.route("/", [&](const HttpRequest&) {
    HttpResponse r;
    r.body = "iotrace exporter: /metrics (Prometheus text), /healthz, /debug/pprof/loop-blocked (the last "
             "window's blocked event-loop time, pprof)\n";
    return r;
  });
  if (!server.listen(listen.host, listen.port))
    throw probes::TraceError(probes::TraceError::Kind::environment,
                             fmt::format("cannot listen on {}: {}", a.listen, strerror(errno)),
                             "another program may hold the port; choose another with --listen");
  // The port is bound: from here on the process needs only what tracing windows need, and
  // the HTTP thread needs nothing.
  const std::string kept = keep_only_tracing_capabilities();
  install_signal_handlers();
  struct sigaction sa {};
  sa.sa_handler = on_hup;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGHUP, &sa, nullptr);
  std::thread http([&] {
    pthread_setname_np(pthread_self(), "iotrace-http");
    drop_all_capabilities_of_this_thread();
    server.run();
  });
  auto stop_http = [&] {
    server.stop();
    if (http.joinable()) http.join();
  };
  fmt::print(stderr, "iotrace exporter: capabilities kept for tracing windows: {}; the HTTP thread has none\n",
             kept);
  fmt::print(stderr, "iotrace exporter: serving {}://{}:{}/metrics{}; tracing {} of every {}\n",
             server.tls() ? "https" : "http", listen.host, listen.port,
             web.basic_auth_users.empty() ? "" : " (basic auth)", format_duration(duty.on_ns), format_duration(duty.period_ns));

  // Between the windows (and during them) the loop watch keeps loop health in the metrics at
  // every moment. With --duty always the full tracer already sees every moment.
  std::unique_ptr<LoopWatch> loop_watch;
  if (!a.no_loop_watch && !duty.always()) {
    LoopWatch::Settings lw;
    lw.trace = trace_options(a, sel, {});
    lw.trace.light_collect = false;  // its stacks are named: the frame label
    lw.every_ns = std::min<uint64_t>(5'000'000'000ull, duty.period_ns);
    if (!sel.host_wide()) lw.targets = [&sel] { return sel.resolve(); };
    lw.publish = [&pub](const Capture& d) {
      auto cg = cgroups_of(d);
      pub.add_loop_watch(d, cg);
    };
    lw.running = [&pub](bool on) { pub.set_loop_watch(on); };
    loop_watch = std::make_unique<LoopWatch>(std::move(lw));
  }

  int windows = 0;
  bool logged_no_target = false;
  try {
    if (duty.always()) {
      // One tracer for good; each period's counts are the difference of two collects, and
      // exited threads are forgotten after they were counted, as iotrace top does.
      std::vector<uint32_t> pids = sel.resolve();
      if (!sel.host_wide() && pids.empty())
        throw UsageError("no process matches the selection",
                         "with --duty always the targets are chosen at start; start them first, "
                         "or use a duty cycle, which looks for them at every window");
      probes::TraceOptions t = trace_options(a, sel, pids);
      t.targets_change = !sel.host_wide();  // new matching processes are added below
      auto tracer = probes::Tracer::start(t);
      std::set<uint32_t> traced(pids.begin(), pids.end());
      Capture prev = tracer->collect();
      tracer->forget_exited(prev);
      while (!stop_requested() && (a.windows == 0 || windows < a.windows)) {
        wait_until(monotonic_ns() + duty.period_ns, tracer.get());
        g_rescan.store(false);
        if (!sel.host_wide())
          for (uint32_t p : sel.resolve())
            if (traced.insert(p).second) tracer->add_target(p);  // new matching processes
        Capture cur = tracer->collect();
        tracer->forget_exited(cur);
        Capture d = capture_delta(prev, cur);
        prev = std::move(cur);
        auto cg = cgroups_of(d);
        pub.update([&](ExporterMetrics& m) {
          m.add_window(d, 1.0, cg);
          m.expire(probes::process_alive);
        });
        pub.set_profile(pprof_profile(d));
        ++windows;
      }
    } else {
      while (!stop_requested() && (a.windows == 0 || windows < a.windows)) {
        const uint64_t begin = monotonic_ns();
        g_rescan.store(false);
        std::vector<uint32_t> pids = sel.resolve();
        if (!sel.host_wide() && pids.empty()) {
          if (!logged_no_target)
            fmt::print(stderr, "iotrace exporter: no process matches the selection; waiting\n");
          logged_no_target = true;
          wait_until(begin + duty.period_ns, nullptr);
          continue;
        }
        logged_no_target = false;
        std::unique_ptr<probes::Tracer> tracer;
        try {
          tracer = probes::Tracer::start(trace_options(a, sel, pids));
        } catch (const probes::TraceError& e) {
          // The first window's failure is the answer (no BPF, no privileges); later ones
          // (a target gone between the scan and the attach) are counted and retried.
          if (windows == 0 && e.kind() != probes::TraceError::Kind::target) throw;
          pub.window_failed();
          fmt::print(stderr, "iotrace exporter: window not started: {}\n", e.what());
          wait_until(begin + duty.period_ns, nullptr);
          continue;
        }
        wait_until(begin + duty.on_ns, tracer.get());
        tracer->stop();
        Capture c = tracer->collect();
        tracer.reset();  // nothing stays attached between windows
        auto cg = cgroups_of(c);
        uint64_t traced = std::max<uint64_t>(c.duration_ns, 1);
        double scale = std::max(1.0, static_cast<double>(duty.period_ns) / static_cast<double>(traced));
        pub.update([&](ExporterMetrics& m) {
          m.add_window(c, scale, cg);
          m.expire(probes::process_alive);
        });
        pub.set_profile(pprof_profile(c));
        ++windows;
        if (a.windows == 0 || windows < a.windows) wait_until(begin + duty.period_ns, nullptr);
      }
    }
  } catch (...) {
    stop_http();
    throw;
  }
  stop_http();
  return k_exit_ok;
}

}  // namespace iotrace::cli
