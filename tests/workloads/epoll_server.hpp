// The epoll echo server of wl_epoll_lt and wl_epoll_et: one thread, a listener and its
// connections in one interest list, level- or edge-triggered.
//
// With `preconnect` the client connects before "go" and the server accepts and registers
// every connection before printing "ready": a tracer attached after that sees no epoll_ctl
// and must take the triggering mode from /proc/PID/fdinfo. Those connections stay open (and
// registered) until the workload exits, since iotrace reads fdinfo when the trace ends.
#pragma once
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "load_client.hpp"

namespace wl {

inline void epoll_add(int ep, int fd, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) die("epoll_ctl");
}

// Echoes what is readable; edge-triggered servers must drain to EAGAIN. Returns false at EOF.
inline bool echo_ready(int fd, bool drain) {
  char buf[4096];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      if (write(fd, buf, static_cast<size_t>(n)) != n) die("write");
      if (!drain) return true;
      continue;
    }
    if (n == 0) return false;
    if (errno == EAGAIN) return true;
    die("read");
  }
}

inline int run_epoll_server(bool edge, bool preconnect, int conns = 8, int rounds = 400) {
  const uint32_t trig = edge ? static_cast<uint32_t>(EPOLLET) : 0u;
  uint16_t port = 0;
  int l = tcp_listener(&port);
  set_nonblock(l);
  LoadClient client({port, conns, rounds, 64, preconnect});
  int ep = epoll_create1(0);
  int accepted = 0;
  if (preconnect) {
    while (accepted < conns) {
      int fd = accept4(l, nullptr, nullptr, SOCK_NONBLOCK);
      if (fd < 0) {
        usleep(1000);
        continue;
      }
      epoll_add(ep, fd, EPOLLIN | EPOLLRDHUP | trig);
      ++accepted;
    }
  } else {
    epoll_add(ep, l, EPOLLIN | trig);
  }
  ready();
  wait_go();
  client.go();
  int closed = 0;
  epoll_event evs[64];
  while (closed < conns) {
    int n = epoll_wait(ep, evs, 64, -1);
    if (n < 0) die("epoll_wait");
    for (int i = 0; i < n; ++i) {
      int fd = evs[i].data.fd;
      if (fd == l) {
        int c;
        while ((c = accept4(l, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) {
          epoll_add(ep, c, EPOLLIN | EPOLLRDHUP | trig);
          ++accepted;
        }
        continue;
      }
      if (!echo_ready(fd, edge)) {
        // preconnect: keep the registration until exit, so fdinfo still lists it at the end
        if (!preconnect) close(fd);
        ++closed;
      }
    }
  }
  client.wait();
  done();
  wait_stdin_eof();
  return 0;
}

}  // namespace wl
