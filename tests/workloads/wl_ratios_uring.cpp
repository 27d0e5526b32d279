// Exact syscall-per-operation patterns, chosen by argv[1]:
//   epoll64      64 sockets ready at every epoll_wait (maxevents 64), 100 rounds: 64 events/wait
//   select_high  select() on an fd numbered 1500 (nfds 1501), 200 calls, with an fd_set large
//                enough for it (glibc's fixed 1024-bit fd_set would be overrun)
//   select_low   the same on a low fd
//   poll_idle    poll() on 2,000 idle fds and 2 ready ones, 200 calls
//   poll_small   poll() on 10 fds, 2 of them ready, 200 calls
//   uring32      io_uring NOPs submitted 32 per io_uring_enter, 200 rounds
//   uring1       io_uring NOPs submitted one per io_uring_enter, 6,400 of them
//   uring_fail   io_uring: 100 reads of a closed fd (100 failed completions, -EBADF), then 64
//                4 KiB writes to a file with IOSQE_ASYNC (each one punted to io-wq), 8 per enter
#include <liburing.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "workload_common.hpp"

namespace {

void epoll64() {
  int ep = epoll_create1(0);
  std::vector<int> rd;
  for (int i = 0; i < 64; ++i) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) wl::die("socketpair");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = sv[0];
    epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev);
    rd.push_back(sv[0]);
    rd.push_back(sv[1]);
  }
  wl::ready();
  wl::wait_go();
  epoll_event out[64];
  char c = 'x';
  for (int round = 0; round < 100; ++round) {
    for (size_t i = 0; i < rd.size(); i += 2)
      if (write(rd[i + 1], &c, 1) != 1) wl::die("write");
    int n = epoll_wait(ep, out, 64, 1000);
    if (n != 64) wl::die("expected 64 events");
    for (int i = 0; i < n; ++i)
      if (read(out[i].data.fd, &c, 1) != 1) wl::die("read");
  }
}

void select_on(int fd) {
  // 4096 bits: room for fd 1500 without overrunning anything
  std::vector<unsigned long> bits(4096 / (8 * sizeof(unsigned long)));
  wl::ready();
  wl::wait_go();
  for (int i = 0; i < 200; ++i) {
    std::fill(bits.begin(), bits.end(), 0);
    bits[fd / (8 * sizeof(unsigned long))] |= 1ul << (fd % (8 * sizeof(unsigned long)));
#ifdef SYS_select
    timeval tv{0, 0};
    syscall(SYS_select, fd + 1, bits.data(), nullptr, nullptr, &tv);
#else  // arm64 has only pselect6: with no signal mask it is select
    timespec ts{0, 0};
    syscall(SYS_pselect6, fd + 1, bits.data(), nullptr, nullptr, &ts, nullptr);
#endif
  }
}

void poll_on(int idle_fds) {
  std::vector<pollfd> fds;
  for (int i = 0; i < idle_fds / 2; ++i) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) wl::die("socketpair");
    fds.push_back({sv[0], POLLIN, 0});
    fds.push_back({sv[1], POLLIN, 0});
  }
  for (int i = 0; i < 2; ++i) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) wl::die("socketpair");
    if (write(sv[1], "r", 1) != 1) wl::die("write");  // stays readable: never read
    fds.push_back({sv[0], POLLIN, 0});
  }
  wl::ready();
  wl::wait_go();
  for (int i = 0; i < 200; ++i)
    if (poll(fds.data(), fds.size(), 0) != 2) wl::die("expected 2 ready");
}

void uring(unsigned batch) {
  io_uring ring;
  if (io_uring_queue_init(64, &ring, 0)) wl::die("io_uring_queue_init");
  wl::ready();
  wl::wait_go();
  const unsigned total = 6400;
  for (unsigned done = 0; done < total; done += batch) {
    for (unsigned i = 0; i < batch; ++i) io_uring_prep_nop(io_uring_get_sqe(&ring));
    if (io_uring_submit(&ring) != static_cast<int>(batch)) wl::die("submit");
    for (unsigned i = 0; i < batch; ++i) {
      io_uring_cqe* cqe;
      if (io_uring_wait_cqe(&ring, &cqe)) wl::die("wait_cqe");
      io_uring_cqe_seen(&ring, cqe);
    }
  }
  io_uring_queue_exit(&ring);
}

void uring_fail() {
  io_uring ring;
  if (io_uring_queue_init(64, &ring, 0)) wl::die("io_uring_queue_init");
  char path[] = "/tmp/iotrace-uring-XXXXXX";
  int file = mkstemp(path);
  if (file < 0) wl::die("mkstemp");
  unlink(path);
  int closed = dup(file);
  close(closed);  // a number no file has: every read of it fails with EBADF
  static char buf[4096];
  wl::ready();
  wl::wait_go();
  auto round = [&](unsigned n, auto prep) {
    for (unsigned i = 0; i < n; ++i) prep(io_uring_get_sqe(&ring), i);
    if (io_uring_submit(&ring) != static_cast<int>(n)) wl::die("submit");
    for (unsigned i = 0; i < n; ++i) {
      io_uring_cqe* cqe;
      if (io_uring_wait_cqe(&ring, &cqe)) wl::die("wait_cqe");
      io_uring_cqe_seen(&ring, cqe);
    }
  };
  for (int r = 0; r < 10; ++r)
    round(10, [&](io_uring_sqe* sqe, unsigned) { io_uring_prep_read(sqe, closed, buf, sizeof(buf), 0); });
  for (int r = 0; r < 8; ++r)
    round(8, [&](io_uring_sqe* sqe, unsigned i) {
      io_uring_prep_write(sqe, file, buf, sizeof(buf), (r * 8 + i) * sizeof(buf));
      sqe->flags |= IOSQE_ASYNC;
    });
  io_uring_queue_exit(&ring);
  close(file);
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "epoll64";
  rlimit rl{8192, 8192};
  setrlimit(RLIMIT_NOFILE, &rl);
  if (mode == "epoll64") epoll64();
  else if (mode == "select_high" || mode == "select_low") {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) wl::die("socketpair");
    int fd = sv[0];
    if (mode == "select_high") {
      if (dup2(sv[0], 1500) != 1500) wl::die("dup2");
      fd = 1500;
    }
    select_on(fd);
  } else if (mode == "poll_idle") poll_on(2000);
  else if (mode == "poll_small") poll_on(8);
  else if (mode == "uring32") uring(32);
  else if (mode == "uring1") uring(1);
  else if (mode == "uring_fail") uring_fail();
  else wl::die("unknown mode");
  wl::done();
  wl::wait_stdin_eof();
  return 0;
}
