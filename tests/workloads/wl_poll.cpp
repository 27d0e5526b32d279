// poll(): one thread multiplexes a listener and its connections with poll(), blocking until
// something is ready. 8 connections, 400 requests each.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "load_client.hpp"

int main() {
  constexpr int k_conns = 8;
  uint16_t port = 0;
  int l = wl::tcp_listener(&port);
  wl::LoadClient client({port, k_conns, 400});
  wl::ready();
  wl::wait_go();
  client.go();
  std::vector<pollfd> fds{{l, POLLIN, 0}};
  int accepted = 0, closed = 0;
  char buf[4096];
  while (closed < k_conns) {
    if (poll(fds.data(), fds.size(), -1) < 0) wl::die("poll");
    size_t n_before = fds.size();
    for (size_t i = 0; i < n_before; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
      if (fds[i].fd == l) {
        int fd = accept4(l, nullptr, nullptr, SOCK_NONBLOCK);
        if (fd >= 0) fds.push_back({fd, POLLIN, 0});
        if (++accepted == k_conns) fds[i].fd = -l - 1;  // stop watching the listener
        continue;
      }
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        if (write(fds[i].fd, buf, static_cast<size_t>(n)) != n) wl::die("write");
      } else if (n == 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        ++closed;
      }
    }
  }
  client.wait();
  wl::done();
  wl::wait_stdin_eof();
  return 0;
}
