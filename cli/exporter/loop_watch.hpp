// The exporter's loop watch: a tracer of the loop-watch tier (bpf/loop_watch.bpf.h) that runs
// for the exporter's whole life, between and during the sampled windows of the full tracer,
// so a loop that stalls or blocks at any moment is in the metrics. It costs the host a program
// per multiplexer wait and per context switch, not per syscall.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "probes/tracer/tracer.hpp"
#include "src/capture/capture.hpp"

namespace iotrace::cli {

class LoopWatch {
 public:
  struct Settings {
    probes::TraceOptions trace;  // loop_watch is set; pids ignored when targets is set
    uint64_t every_ns = 5'000'000'000ull;  // how often what it saw is published
    // The processes to watch now (called every every_ns; new ones are added); null: host-wide.
    std::function<std::vector<uint32_t>()> targets;
    // What it saw since the last call (a capture delta).
    std::function<void(const Capture&)> publish;
    // Whether it runs: true once started, false when it could not start or stopped.
    std::function<void(bool)> running;
  };
  // Starts a thread that starts the tracer (once there is a target) and publishes.
  explicit LoopWatch(Settings s);
  // Stops the thread; the tracer is detached.
  ~LoopWatch();
  LoopWatch(const LoopWatch&) = delete;
  LoopWatch& operator=(const LoopWatch&) = delete;

 private:
  void run();
  void watch();
  Settings s_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace iotrace::cli
