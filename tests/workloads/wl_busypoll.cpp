// Busy polling: one thread spins over a non-blocking listener and non-blocking connections,
// retrying reads that return EAGAIN, with no wait call. 4 connections, 300 requests each.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "load_client.hpp"

int main() {
  constexpr int k_conns = 4;
  uint16_t port = 0;
  int l = wl::tcp_listener(&port);
  wl::set_nonblock(l);
  wl::LoadClient client({port, k_conns, 300});
  wl::ready();
  wl::wait_go();
  client.go();
  std::vector<int> conns;
  int accepted = 0, open = 0;
  char buf[4096];
  while (accepted < k_conns || open > 0) {
    if (accepted < k_conns) {
      int fd = accept4(l, nullptr, nullptr, SOCK_NONBLOCK);
      if (fd >= 0) {
        conns.push_back(fd);
        ++accepted;
        ++open;
      } else if (errno != EAGAIN) {
        wl::die("accept4");
      }
    }
    for (int& fd : conns) {
      if (fd < 0) continue;
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n > 0) {
        if (write(fd, buf, static_cast<size_t>(n)) != n) wl::die("write");
      } else if (n == 0) {
        close(fd);
        fd = -1;
        --open;
      } else if (errno != EAGAIN) {
        wl::die("read");
      }
    }
  }
  client.wait();
  wl::done();
  wl::wait_stdin_eof();
  return 0;
}
