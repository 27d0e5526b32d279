// Floods the tracer with rare events after "go" (the small twin of bench/flood_target.cpp):
//   stall N       a thread "stall-loop": epoll_wait(timeout 0) on an always-readable eventfd,
//                 then a 1.2 us spin, N times, and one more wait: exactly N iterations, each a
//                 stall at a 1us threshold.
//   stacks N D    a thread "stack-flood": one epoll_wait (so its calls are checked), then N
//                 1-byte pread64()s of a regular file (flagged: can block a loop), call i from
//                 one of 2^D distinct stacks (path i % 2^D).
// The flood thread makes no call after its counted ones but its exit. Prints "done" when the
// flood thread has ended.
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "workload_common.hpp"

#define NOIPA __attribute__((noipa))

namespace {

int g_file = -1;
volatile uint64_t g_sink_a = 0, g_sink_b = 0;

void stall_loop(uint64_t n) {
  wl::name_thread("stall-loop");
  int efd = eventfd(1, 0);  // never read: always readable
  int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  if (efd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) != 0) wl::die("epoll");
  epoll_event out[1];
  if (epoll_wait(ep, out, 1, 0) != 1) wl::die("epoll_wait");
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t start = wl::now_ns();
    while (wl::now_ns() - start < 1200) {
    }
    if (epoll_wait(ep, out, 1, 0) != 1) wl::die("epoll_wait");
  }
}

NOIPA void leaf() {
  char byte;
  if (syscall(SYS_pread64, g_file, &byte, 1, 0) != 1) wl::die("pread64");
}

NOIPA void node_b(uint32_t path, int depth);

// The return addresses spell the path: 2^depth paths are 2^depth distinct stacks. The store
// after each call keeps it from being a tail call and makes the two bodies differ.
NOIPA void node_a(uint32_t path, int depth) {
  if (depth == 0) leaf();
  else if (path & 1) node_a(path >> 1, depth - 1);
  else node_b(path >> 1, depth - 1);
  g_sink_a = g_sink_a + 1;
}

NOIPA void node_b(uint32_t path, int depth) {
  if (depth == 0) leaf();
  else if (path & 1) node_a(path >> 1, depth - 1);
  else node_b(path >> 1, depth - 1);
  g_sink_b = g_sink_b + 2;
}

void stack_flood(uint64_t n, int depth) {
  wl::name_thread("stack-flood");
  int ep = epoll_create1(0);
  epoll_event out[1];
  epoll_wait(ep, out, 1, 0);
  uint32_t mask = (1u << depth) - 1;
  for (uint64_t i = 0; i < n; ++i) node_a(static_cast<uint32_t>(i) & mask, depth);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return 64;
  std::string mode = argv[1];
  uint64_t n = std::strtoull(argv[2], nullptr, 10);
  int depth = argc > 3 ? std::atoi(argv[3]) : 12;
  if (mode == "stacks") {
    char path[] = "/tmp/iotrace-wl-XXXXXX";
    g_file = mkstemp(path);
    unlink(path);
    if (g_file < 0 || write(g_file, "x", 1) != 1) wl::die("temp file");
  }
  wl::ready();
  wl::wait_go();
  std::thread t([&] {
    if (mode == "stall") stall_loop(n);
    else stack_flood(n, depth);
  });
  t.join();
  wl::done();
  wl::wait_stdin_eof();
  return 0;
}
