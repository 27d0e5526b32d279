// The io_uring echo server of wl_uring and wl_uring_sqpoll: accept, recv, send and close all
// go through the ring; the thread waits for completions in io_uring_enter (GETEVENTS).
// With SQPOLL a kernel thread submits the SQEs and the loop enters only to wait.
#pragma once
#include <liburing.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <vector>

#include "load_client.hpp"

namespace wl {

enum UringOp : uint64_t { op_accept = 1, op_recv = 2, op_send = 3, op_close = 4 };

inline io_uring_sqe* get_sqe(io_uring& ring) {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  if (!sqe) {
    io_uring_submit(&ring);
    sqe = io_uring_get_sqe(&ring);
  }
  if (!sqe) die("io_uring_get_sqe");
  return sqe;
}

inline uint64_t tag(int fd, UringOp op) { return (static_cast<uint64_t>(fd) << 8) | op; }

inline int run_uring_server(bool sqpoll, int conns = 8, int rounds = 400) {
  uint16_t port = 0;
  int l = tcp_listener(&port);
  LoadClient client({port, conns, rounds});
  io_uring ring;
  io_uring_params params{};
  if (sqpoll) {
    params.flags = IORING_SETUP_SQPOLL;
    params.sq_thread_idle = 200;  // ms
  }
  if (int rc = io_uring_queue_init_params(256, &ring, &params); rc < 0) {
    errno = -rc;
    die("io_uring_queue_init_params");
  }
  ready();
  wait_go();
  client.go();
  std::vector<std::array<char, 4096>> bufs(1024);
  int accepted = 0, closed = 0;
  auto arm_accept = [&] {
    io_uring_sqe* sqe = get_sqe(ring);
    io_uring_prep_accept(sqe, l, nullptr, nullptr, 0);
    io_uring_sqe_set_data64(sqe, tag(l, op_accept));
  };
  auto arm_recv = [&](int fd) {
    io_uring_sqe* sqe = get_sqe(ring);
    io_uring_prep_recv(sqe, fd, bufs[fd].data(), bufs[fd].size(), 0);
    io_uring_sqe_set_data64(sqe, tag(fd, op_recv));
  };
  arm_accept();
  while (closed < conns) {
    if (int rc = io_uring_submit_and_wait(&ring, 1); rc < 0 && rc != -EINTR) {
      errno = -rc;
      die("io_uring_submit_and_wait");
    }
    io_uring_cqe* cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      uint64_t d = io_uring_cqe_get_data64(cqe);
      int fd = static_cast<int>(d >> 8);
      int res = cqe->res;
      switch (static_cast<UringOp>(d & 0xff)) {
        case op_accept:
          if (res < 0 || res >= 1024) die("accept");
          arm_recv(res);
          if (++accepted < conns) arm_accept();
          break;
        case op_recv:
          if (res > 0) {
            io_uring_sqe* sqe = get_sqe(ring);
            io_uring_prep_send(sqe, fd, bufs[fd].data(), static_cast<size_t>(res), 0);
            io_uring_sqe_set_data64(sqe, tag(fd, op_send));
          } else {
            io_uring_sqe* sqe = get_sqe(ring);
            io_uring_prep_close(sqe, fd);
            io_uring_sqe_set_data64(sqe, tag(fd, op_close));
          }
          break;
        case op_send:
          arm_recv(fd);
          break;
        case op_close:
          ++closed;
          break;
      }
    }
    io_uring_cq_advance(&ring, seen);
  }
  client.wait();
  done();
  wait_stdin_eof();
  io_uring_queue_exit(&ring);
  return 0;
}

}  // namespace wl
