// One process whose threads use different models: "ep-loop" runs a level-triggered epoll
// server, "poll-loop" a poll() server, and a blocking accept thread hands each of its
// connections to a "conn" thread (thread per connection). Each server has its own client
// process: 4 connections, 300 echoed requests each.
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "epoll_server.hpp"

namespace {

constexpr int k_conns = 4, k_rounds = 300;

void epoll_loop(int l) {
  wl::name_thread("ep-loop");
  int ep = epoll_create1(0);
  wl::epoll_add(ep, l, EPOLLIN);
  int closed = 0;
  epoll_event evs[32];
  while (closed < k_conns) {
    int n = epoll_wait(ep, evs, 32, -1);
    for (int i = 0; i < n; ++i) {
      int fd = evs[i].data.fd;
      if (fd == l) {
        int c;
        while ((c = accept4(l, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) wl::epoll_add(ep, c, EPOLLIN);
      } else if (!wl::echo_ready(fd, false)) {
        close(fd);
        ++closed;
      }
    }
  }
}

void poll_loop(int l) {
  wl::name_thread("poll-loop");
  std::vector<pollfd> fds{{l, POLLIN, 0}};
  int closed = 0;
  while (closed < k_conns) {
    if (poll(fds.data(), fds.size(), -1) < 0) wl::die("poll");
    size_t n = fds.size();
    for (size_t i = 0; i < n; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
      if (fds[i].fd == l) {
        int c;
        while ((c = accept4(l, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) fds.push_back({c, POLLIN, 0});
      } else if (!wl::echo_ready(fds[i].fd, false)) {
        close(fds[i].fd);
        fds[i].fd = -1;
        ++closed;
      }
    }
  }
}

void conn_thread(int fd) {
  wl::name_thread("conn");
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0)
    if (write(fd, buf, static_cast<size_t>(n)) != n) wl::die("write");
  close(fd);
}

void acceptor(int l) {
  wl::name_thread("acceptor");
  std::vector<std::thread> conns;
  for (int i = 0; i < k_conns; ++i) {
    int fd = accept(l, nullptr, nullptr);
    if (fd < 0) wl::die("accept");
    conns.emplace_back(conn_thread, fd);
  }
  for (auto& t : conns) t.join();
}

}  // namespace

int main() {
  uint16_t pe = 0, pp = 0, pb = 0;
  int le = wl::tcp_listener(&pe), lp = wl::tcp_listener(&pp), lb = wl::tcp_listener(&pb);
  wl::set_nonblock(le);
  wl::set_nonblock(lp);
  wl::LoadClient ce({pe, k_conns, k_rounds}), cp({pp, k_conns, k_rounds}), cb({pb, k_conns, k_rounds});
  wl::ready();
  wl::wait_go();
  std::thread te(epoll_loop, le), tp(poll_loop, lp), tb(acceptor, lb);
  ce.go();
  cp.go();
  cb.go();
  te.join();
  tp.join();
  tb.join();
  ce.wait();
  cp.wait();
  cb.wait();
  wl::done();
  wl::wait_stdin_eof();
  return 0;
}
