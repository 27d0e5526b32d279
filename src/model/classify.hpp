// Which I/O model each process and thread uses, judged only from the calls it made.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/capture/capture.hpp"

namespace iotrace {

struct ProcessReport;

// Stable model identifiers (JSON "model"): blocking, busy-poll, select, poll, epoll, io_uring,
// linux-aio, threadpool, mixed, idle, unknown.
// Thread roles: event-loop, control-loop, async-io, blocking-io, pool-worker, acceptor, helper,
// io-wq, sqpoll, compute, idle
// (src/model/thread_role.hpp defines them).

struct Evidence {
  std::string name;  // "epoll_waits", "events_per_wait", ...
  double value = 0;
};

struct ThreadModel {
  uint32_t tid = 0;
  std::string model = "unknown";
  std::string role = "idle";
  std::string trigger;  // epoll only: level, edge, mixed
  std::string sentence;
  double confidence = 0;
  std::vector<Evidence> evidence;
};

struct ProcessModel {
  std::string model = "unknown";
  std::vector<std::string> parts;  // for mixed; otherwise the single model
  std::string trigger;             // level, edge, mixed (epoll): that of the connections
  std::string trigger_note;        // "connections; 1 internal fd (eventfd) level-triggered"
  bool oneshot = false, exclusive = false;
  std::vector<std::string> interest_kinds;  // fd kinds in epoll interest sets
  std::string runtime;                      // libuv, python-asyncio, go, ... (a hint, not evidence)
  std::string runtime_evidence;
  std::string sentence;
  double confidence = 0;
  std::vector<Evidence> evidence;
  std::vector<ThreadModel> threads;
};

ProcessModel classify_process(const Capture& c, const ProcessReport& pr);

// A traced process tree judged as one service (attach --follow-children): a pre-forking
// server's master and workers, or a supervisor and its children.
struct ServiceModel {
  uint32_t root_pid = 0;
  std::string model = "unknown";
  std::vector<std::string> parts;
  std::string sentence;
  double confidence = 0;
  std::vector<Evidence> evidence;
};

// Empty unless the report holds the traced process and at least one of its descendants.
std::optional<ServiceModel> classify_service(const std::vector<ProcessReport>& processes);

// Runtime hint from the executable path and mapped libraries.
std::string detect_runtime(const ProcessRecord& p, std::string* evidence);

}  // namespace iotrace
