// epoll and io_uring in one thread: the loop waits in epoll_wait on its sockets and on an
// eventfd registered with an io_uring; each request becomes an io_uring file read
// (submitted without waiting), and the completion, peeked from the CQ when the eventfd
// fires, becomes the reply. 8 connections, 300 requests each.
#include <liburing.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "epoll_server.hpp"

int main() {
  constexpr int k_conns = 8;
  char path[] = "/var/tmp/iotrace-wl-mixed-XXXXXX";
  int file = mkstemp(path);
  if (file < 0) wl::die("mkstemp");
  unlink(path);
  static char block[4096];
  memset(block, 'm', sizeof(block));
  for (int i = 0; i < 64; ++i)
    if (write(file, block, sizeof(block)) != sizeof(block)) wl::die("write");
  uint16_t port = 0;
  int l = wl::tcp_listener(&port);
  wl::set_nonblock(l);
  wl::LoadClient client({port, k_conns, 300});
  io_uring ring;
  if (io_uring_queue_init(64, &ring, 0) < 0) wl::die("io_uring_queue_init");
  int efd = eventfd(0, EFD_NONBLOCK);
  if (io_uring_register_eventfd(&ring, efd) < 0) wl::die("io_uring_register_eventfd");
  int ep = epoll_create1(0);
  wl::epoll_add(ep, l, EPOLLIN);
  wl::epoll_add(ep, efd, EPOLLIN);
  static char bufs[1024][4096];
  wl::ready();
  wl::wait_go();
  client.go();
  int closed = 0;
  unsigned seq = 0;
  epoll_event evs[64];
  while (closed < k_conns) {
    int n = epoll_wait(ep, evs, 64, -1);
    for (int i = 0; i < n; ++i) {
      int fd = evs[i].data.fd;
      if (fd == l) {
        int c;
        while ((c = accept4(l, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) wl::epoll_add(ep, c, EPOLLIN);
      } else if (fd == efd) {
        uint64_t v;
        if (read(efd, &v, sizeof(v)) != sizeof(v)) continue;
        io_uring_cqe* cqe;
        while (io_uring_peek_cqe(&ring, &cqe) == 0) {
          int c = static_cast<int>(io_uring_cqe_get_data64(cqe));
          io_uring_cqe_seen(&ring, cqe);
          if (write(c, bufs[c], 64) != 64) wl::die("reply");
        }
      } else {
        ssize_t got = read(fd, bufs[fd], 64);
        if (got > 0) {
          io_uring_sqe* sqe = io_uring_get_sqe(&ring);
          if (!sqe) wl::die("io_uring_get_sqe");
          io_uring_prep_read(sqe, file, bufs[fd], 4096, static_cast<uint64_t>(seq++ % 64) * 4096);
          io_uring_sqe_set_data64(sqe, static_cast<uint64_t>(fd));
          io_uring_submit(&ring);
        } else if (got == 0) {
          close(fd);
          ++closed;
        }
      }
    }
  }
  client.wait();
  wl::done();
  wl::wait_stdin_eof();
  io_uring_queue_exit(&ring);
  return 0;
}
