// What `iotrace exporter` serves: the captures of its tracing windows added up into
// Prometheus metric families, per process (pid, comm, cgroup) and per event-loop thread name.
//
// Counters are estimates over the whole time the exporter ran: each window's counts are
// multiplied by its scale (the sampling period over the time actually traced), so rate()
// gives per-second rates whatever the duty cycle. Gauges (model, ratios, findings) are those
// of the last window in which the process made calls.
//
// Cardinality is bounded: processes past max_processes and thread names past max_threads
// per process are added to an "other" series, and how many were folded is itself counted.
// Exited processes are forgotten by expire(), so the series and the memory behind them
// follow the live processes.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "src/capture/capture.hpp"

namespace iotrace {

struct ExporterLimits {
  size_t max_processes = 100;
  size_t max_threads = 16;   // distinct thread names per process
  size_t max_syscalls = 4;   // latency histograms per process (busiest by time; the rest "other")
};

// Figures about the exporter itself, gathered by its caller at scrape time.
struct ExporterSelf {
  double cpu_seconds = 0;
  double resident_bytes = 0;
  double sampling_ratio = 1;  // time traced over time run (duty cycle)
  uint64_t scrapes = 0;
  uint64_t window_errors = 0;
  double last_window_end_s = 0;  // unix time; 0: no window yet
  // The HTTP side: connections open now, and those closed or refused, by reason.
  uint64_t http_connections = 0;
  bool loop_watch = false;  // the loop watch runs between windows
  std::map<std::string, uint64_t> http_closed;  // evicted, timeout, bad_request, unauthorized, tls
};

class ExporterMetrics {
 public:
  explicit ExporterMetrics(ExporterLimits limits = {});
  ~ExporterMetrics();
  ExporterMetrics(ExporterMetrics&&) noexcept;
  ExporterMetrics& operator=(ExporterMetrics&&) noexcept;

  // Adds one window's capture; scale >= 1 turns its counts into estimates for the period.
  // cgroup_of gives the cgroup path of each pid (from /proc/PID/cgroup); missing: "".
  void add_window(const Capture& c, double scale, const std::map<uint32_t, std::string>& cgroup_of);
  // With the loop watch on, loop health (iterations, stalls, blocking calls on loops) comes
  // from add_loop_watch() alone, which sees every moment, and windows add none of it.
  void set_loop_watch(bool on);
  // Adds what the loop watch saw since its last call (a capture delta, scale 1).
  void add_loop_watch(const Capture& c, const std::map<uint32_t, std::string>& cgroup_of);
  // Marks every process alive() says has exited (pid reuse is told apart by start time) and
  // forgets those marked by the previous call: an exited process's final counts stay
  // published for one window. Returns how many were forgotten.
  size_t expire(const std::function<bool(uint32_t pid, uint64_t start_ticks)>& alive);

  std::vector<prometheus::MetricFamily> families(const ExporterSelf& self) const;
  // Processes with their own series (the "other" series not included).
  size_t processes() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// The bucket bounds, in seconds, of the latency histograms: every second log2 slot of the
// kernel's histograms (1.024 us, 4.096 us, ... 17.2 s), so each bucket is an exact sum of
// slots.
std::vector<double> exporter_bucket_bounds();

}  // namespace iotrace
