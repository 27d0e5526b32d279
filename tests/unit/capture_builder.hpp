// Synthetic captures for unit tests: a process, its threads and their syscall rows, built in
// code so each test states exactly the numbers its expected answer rests on.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "src/capture/capture.hpp"
#include "src/output/report.hpp"
#include "src/capture/syscall_table.hpp"

namespace iotrace::test {

inline constexpr uint64_t k_ms = 1000000;
inline constexpr uint64_t k_s = 1000000000;

inline int nr_of(std::string_view name) {
  auto nr = syscall_nr(name);
  if (!nr) throw std::invalid_argument("no syscall named " + std::string(name));
  return *nr;
}

class CaptureBuilder {
 public:
  CaptureBuilder() {
    c_.iotrace_version = "0.1.0";
    c_.kernel = "6.1.0-test";
    c_.duration_ns = 10 * k_s;
    c_.settings.stall_ns = 20 * k_ms;
    c_.settings.block_ns = 5 * k_ms;
  }

  ProcessRecord& process(uint32_t pid, std::string comm) {
    ProcessRecord p;
    p.pid = pid;
    p.ppid = 1;
    p.comm = std::move(comm);
    p.traced_ns = c_.duration_ns;
    p.stack_rlimit_bytes = 8ull << 20;
    c_.processes.push_back(std::move(p));
    return c_.processes.back();
  }

  // References stay valid only until the next thread is added.
  ThreadRecord& thread(uint32_t pid, uint32_t tid, std::string comm) {
    ThreadRecord t;
    t.pid = pid;
    t.tid = tid;
    t.comm = std::move(comm);
    t.last_ns = c_.duration_ns;
    c_.threads.push_back(std::move(t));
    return c_.threads.back();
  }

  // A row of `calls` calls of `name` on `kind`, each taking `each_ns`; the histogram puts
  // every call in the slot of each_ns.
  SyscallRow& row(uint32_t tid, std::string_view name, uint64_t calls, FdKind kind = FdKind::none,
                  uint64_t each_ns = 1000) {
    SyscallRow r;
    r.tid = tid;
    r.nr = nr_of(name);
    r.fd_kind = kind;
    r.calls = calls;
    r.total_ns = calls * each_ns;
    r.max_ns = calls ? each_ns : 0;
    r.hist.slots[log2_slot(each_ns)] = calls;
    c_.syscalls.push_back(r);
    return c_.syscalls.back();
  }

  FlaggedCall& flagged(uint32_t tid, std::string_view name, FdKind kind, FlagKind flag) {
    FlaggedCall f;
    f.tid = tid;
    f.nr = nr_of(name);
    f.fd_kind = kind;
    f.kind = flag;
    c_.flagged.push_back(std::move(f));
    return c_.flagged.back();
  }

  Capture& capture() { return c_; }
  Report report() const { return build_report(c_); }

 private:
  Capture c_;
};

// An epoll event loop: `waits` epoll_wait calls returning `events_per_wait` events each, and
// one successful non-blocking socket read of 512 bytes per event.
inline void epoll_loop(CaptureBuilder& b, uint32_t pid, uint32_t tid, uint64_t waits,
                       uint64_t events_per_wait) {
  auto& t = b.thread(pid, tid, "loop");
  t.loop = true;
  auto& w = b.row(tid, "epoll_wait", waits, FdKind::epoll, 100000);
  w.ret_sum = waits * events_per_wait;
  w.arg_sum = waits * 128;
  w.arg_max = 128;
  auto& r = b.row(tid, "read", waits * events_per_wait, FdKind::tcp);
  r.nonblock = true;
  r.bytes = waits * events_per_wait * 512;
}

}  // namespace iotrace::test
