// select(): one thread multiplexes a listener and its connections with select(), level
// semantics, blocking until something is ready. 8 connections, 400 requests each.
#include <sys/select.h>
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
  std::vector<int> conns;
  int closed = 0;
  char buf[4096];
  while (closed < k_conns) {
    fd_set rd;
    FD_ZERO(&rd);
    int maxfd = -1;
    if (static_cast<int>(conns.size()) < k_conns) {
      FD_SET(l, &rd);
      maxfd = l;
    }
    for (int fd : conns)
      if (fd >= 0) {
        FD_SET(fd, &rd);
        if (fd > maxfd) maxfd = fd;
      }
    if (select(maxfd + 1, &rd, nullptr, nullptr, nullptr) < 0) wl::die("select");
    if (static_cast<int>(conns.size()) < k_conns && FD_ISSET(l, &rd)) {
      int fd = accept4(l, nullptr, nullptr, SOCK_NONBLOCK);
      if (fd >= 0) conns.push_back(fd);
    }
    for (int& fd : conns) {
      if (fd < 0 || !FD_ISSET(fd, &rd)) continue;
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n > 0) {
        if (write(fd, buf, static_cast<size_t>(n)) != n) wl::die("write");
      } else if (n == 0) {
        close(fd);
        fd = -1;
        ++closed;
      }
    }
  }
  client.wait();
  wl::done();
  wl::wait_stdin_eof();
  return 0;
}
