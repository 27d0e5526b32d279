// The event loop of the iotrace run (CI) workloads: an epoll loop over an eventfd that does
// 24 iterations; every third "request" does 30 ms of blocking work, either on the loop thread
// (a nanosleep in handle_request_blocking) or on a worker thread the loop hands it to.
// These workloads need no start handshake: iotrace run traces them from exec.
#pragma once
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "workload_common.hpp"

namespace ci {

inline constexpr int k_iterations = 24;
inline constexpr long k_block_ms = 30;

struct Options {
  bool offload = false;      // the blocking work runs on a worker thread
  bool forever = false;      // keep looping (for -d, Ctrl-C and --kill-after tests)
  bool ignore_term = false;  // ignore SIGTERM (only SIGKILL stops it)
  bool abort_at_end = false; // crash with SIGABRT after the loop
  int exit_code = 0;
};

inline Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "forever")) o.forever = true;
    else if (!strcmp(argv[i], "ignore-term")) o.ignore_term = true;
    else if (!strcmp(argv[i], "abort")) o.abort_at_end = true;
    else if (!strncmp(argv[i], "exit=", 5)) o.exit_code = atoi(argv[i] + 5);
  }
  return o;
}

// Not inlined: libc's nanosleep keeps no frame pointer, so the kernel's unwinder skips the
// frame that called it; this frame is the one skipped, and handle_request_blocking stays.
__attribute__((noinline)) inline void sleep_ms(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

// The bug iotrace must find: 30 ms of blocking on the event-loop thread.
__attribute__((noinline)) inline void handle_request_blocking() {
  sleep_ms(k_block_ms);
  asm volatile("" ::: "memory");  // keep the frame
}

// The fix: the same work on a worker thread, completion signalled through an eventfd.
struct Worker {
  int jobs[2] = {-1, -1};
  int done_fd = -1;
  std::thread t;

  void start() {
    if (pipe(jobs)) wl::die("pipe");
    wl::set_nonblock(jobs[1]);  // the loop never blocks handing work over
    done_fd = eventfd(0, EFD_NONBLOCK);
    t = std::thread([this] {
      wl::name_thread("ci-worker");
      char c;
      while (read(jobs[0], &c, 1) == 1) {
        sleep_ms(k_block_ms);
        uint64_t one = 1;
        if (write(done_fd, &one, sizeof(one)) != sizeof(one)) wl::die("eventfd write");
      }
    });
  }
  void stop() {
    close(jobs[1]);
    t.join();
  }
};

inline int run_loop(const Options& o) {
  if (o.ignore_term) signal(SIGTERM, SIG_IGN);
  wl::name_thread("ci-loop");
  int ep = epoll_create1(0);
  int tick = eventfd(0, EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = tick;
  epoll_ctl(ep, EPOLL_CTL_ADD, tick, &ev);
  Worker w;
  if (o.offload) {
    w.start();
    ev.data.fd = w.done_fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, w.done_fd, &ev);
  }
  uint64_t one = 1, v = 0;
  for (int i = 0; o.forever || i < k_iterations; ++i) {
    bool request = i % 3 == 2;
    if (request && o.offload) {
      char c = 'j';
      if (write(w.jobs[1], &c, 1) != 1) wl::die("job write");
    } else if (request && write(tick, &one, sizeof(one)) != sizeof(one)) {
      wl::die("eventfd write");
    }
    // Idle iterations pace the loop inside the wait (2 ms timeout), as a server would idle.
    epoll_event out[4];
    int n = epoll_wait(ep, out, 4, request ? 1000 : 2);
    for (int k = 0; k < n; ++k)
      if (read(out[k].data.fd, &v, sizeof(v)) != sizeof(v)) wl::die("eventfd read");
    if (request && !o.offload) handle_request_blocking();
  }
  if (o.offload) w.stop();
  if (o.abort_at_end) abort();
  return o.exit_code;
}

}  // namespace ci
