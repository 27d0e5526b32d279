#include "cli/exporter/loop_watch.hpp"

#include <pthread.h>
#include <time.h>

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "cli/signals.hpp"
#include "probes/trace_error.hpp"
#include "src/capture/capture_delta.hpp"
#include "src/util/clock.hpp"

namespace iotrace::cli {

LoopWatch::LoopWatch(Settings s) : s_(std::move(s)) {
  s_.trace.loop_watch = true;
  s_.trace.targets_change = static_cast<bool>(s_.targets);
  thread_ = std::thread([this] { run(); });
}

LoopWatch::~LoopWatch() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void LoopWatch::run() {
  pthread_setname_np(pthread_self(), "iotrace-loops");
  // An exception must not leave the thread (std::terminate would end the exporter): the
  // watch stops, says why, and the windows carry loop health again.
  try {
    watch();
  } catch (const std::exception& e) {
    fmt::print(stderr, "iotrace exporter: the loop watch stopped: {}; loop health comes from the sampled "
                       "windows only\n", e.what());
  }
  s_.running(false);
}

void LoopWatch::watch() {
  auto stopping = [&] { return stop_.load() || stop_requested(); };
  std::unique_ptr<probes::Tracer> tracer;
  std::set<uint32_t> traced;
  Capture prev;
  while (!stopping()) {
    const uint64_t deadline = monotonic_ns() + s_.every_ns;
    std::vector<uint32_t> now_targets;
    if (s_.targets) now_targets = s_.targets();
    if (!tracer && (!s_.targets || !now_targets.empty())) {
      probes::TraceOptions t = s_.trace;
      t.pids = now_targets;
      t.all_processes = !s_.targets;
      try {
        tracer = probes::Tracer::start(t);
      } catch (const probes::TraceError& e) {
        if (e.kind() != probes::TraceError::Kind::target) throw;  // this kernel cannot run it
      }
      if (tracer) {
        traced.insert(now_targets.begin(), now_targets.end());
        prev = tracer->collect();
        tracer->forget_exited(prev);
        s_.running(true);
      }
    } else if (tracer) {
      // processes that left the selection (exited: their pid may come back as another)
      std::erase_if(traced, [&](uint32_t p) {
        return std::find(now_targets.begin(), now_targets.end(), p) == now_targets.end();
      });
      for (uint32_t p : now_targets)
        if (traced.insert(p).second) {
          try {
            tracer->add_target(p);
          } catch (const probes::TraceError&) {
            traced.erase(p);  // gone before it was added: tried again next time
          }
        }
    }
    while (!stopping() && monotonic_ns() < deadline) {
      if (tracer)
        tracer->poll(100);
      else
        usleep(100'000);
    }
    if (!tracer || stopping()) continue;
    Capture cur = tracer->collect();
    tracer->forget_exited(cur);
    Capture d = capture_delta(prev, cur);
    prev = std::move(cur);
    s_.publish(d);
  }
}

}  // namespace iotrace::cli
