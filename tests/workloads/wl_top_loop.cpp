// An epoll event loop that runs until stdin closes: a listener, as a server's loop has, and
// one TCP pair carrying a byte every other iteration, and every 40th iteration a 30 ms sleep
// on the loop (a stall and a blocking call).
// With argv[1] == "offload" the sleep runs on a worker thread the loop hands it to through a
// pipe, and the loop never stalls: the offloaded twin.
// With "rare SECONDS" (after "offload" or alone) the sleep is 200 ms once every SECONDS of wall
// time instead, made by rare_stall(), and each one is announced on stdout ("stall N") once it
// ended: a rare stall, for watching what is seen between sampled windows.
// For tests that watch a process over time (iotrace top, attach --interval, exporter).
#include <sys/epoll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "workload_common.hpp"

extern "C" __attribute__((noinline)) void rare_stall(int ms) {
  usleep(ms * 1000);
  asm volatile("" ::: "memory");  // not a tail call: the frame stays on the stack
}

int main(int argc, char** argv) {
  const bool offload = argc > 1 && strcmp(argv[1], "offload") == 0;
  int rare_s = 0;
  for (int i = 1; i + 1 < argc; ++i)
    if (strcmp(argv[i], "rare") == 0) rare_s = atoi(argv[i + 1]);
  const int sleep_ms = rare_s ? 200 : 30;
  int rare_count = 0;
  int work[2];
  if (pipe(work)) wl::die("pipe");
  if (offload)
    std::thread([&] {
      wl::name_thread("sleeper");
      char c;
      while (read(work[0], &c, 1) == 1) rare_stall(sleep_ms);
    }).detach();
  int fds[2];
  wl::tcp_pair(fds);
  wl::set_nonblock(fds[1]);
  uint16_t port = 0;
  const int listener = wl::tcp_listener(&port);
  wl::set_nonblock(listener);
  wl::ready();
  wl::wait_go();
  auto next_rare = std::chrono::steady_clock::now() + std::chrono::seconds(rare_s);  // from "go"
  int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fds[1];
  epoll_ctl(ep, EPOLL_CTL_ADD, fds[1], &ev);
  ev.data.fd = listener;  // no client connects: the loop serves the connection it has
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  ev.data.fd = 0;
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);  // stdin closing ends the loop
  char buf[64];
  for (unsigned long i = 0;; ++i) {
    if (i % 2 == 0 && write(fds[0], "x", 1) != 1) wl::die("write");
    epoll_event got[4];
    int n = epoll_wait(ep, got, 4, 1);  // odd iterations wait out the 1 ms timeout
    for (int k = 0; k < n; ++k) {
      if (got[k].data.fd == 0) {
        if (read(0, buf, sizeof(buf)) <= 0) return 0;
        continue;
      }
      while (read(fds[1], buf, sizeof(buf)) > 0) {
      }
    }
    const bool due = rare_s ? std::chrono::steady_clock::now() >= next_rare : i % 40 == 39;
    if (due) {
      if (!offload)
        rare_stall(sleep_ms);
      else if (write(work[1], "s", 1) != 1)
        wl::die("write");
      if (rare_s) {
        next_rare += std::chrono::seconds(rare_s);
        printf("stall %d\n", ++rare_count);
        fflush(stdout);
      }
    }
  }
}
