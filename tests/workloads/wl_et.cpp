// An edge-triggered epoll server. argv[1]:
//   nodrain  reads 100 bytes per notification, whatever is queued (the lost-wakeup bug)
//   drain    reads until EAGAIN after every notification
// After "go", a client process sends 20 messages of 300 bytes, each followed by a 5 ms pause,
// on one connection, then closes it. The server reports how many bytes it read.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "workload_common.hpp"

extern "C" __attribute__((noinline)) ssize_t read_once(int fd, char* buf) {
  return read(fd, buf, 100);
}

extern "C" __attribute__((noinline)) ssize_t read_all(int fd, char* buf) {
  ssize_t total = 0, n;
  while ((n = read(fd, buf, 100)) > 0) total += n;
  return total;
}

int main(int argc, char** argv) {
  bool drain = argc > 1 && strcmp(argv[1], "drain") == 0;
  uint16_t port = 0;
  int lfd = wl::tcp_listener(&port);
  int ep = epoll_create1(0);
  wl::ready();
  wl::wait_go();
  pid_t cl = fork();
  if (cl == 0) {
    int fd = wl::tcp_connect(port);
    char msg[300];
    memset(msg, 'm', sizeof(msg));
    for (int i = 0; i < 20; ++i) {
      if (write(fd, msg, sizeof(msg)) != sizeof(msg)) _exit(1);
      usleep(5000);
    }
    close(fd);
    _exit(0);
  }
  int c = accept(lfd, nullptr, nullptr);
  wl::set_nonblock(c);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.fd = c;
  epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
  char buf[100];
  long got = 0;
  uint64_t until = wl::now_ns() + 400000000ull;
  while (wl::now_ns() < until) {
    epoll_event out[4];
    int n = epoll_wait(ep, out, 4, 50);
    for (int i = 0; i < n; ++i) {
      ssize_t r = drain ? read_all(c, buf) : read_once(c, buf);
      if (r > 0) got += r;
    }
  }
  waitpid(cl, nullptr, 0);
  fprintf(stderr, "read %ld bytes\n", got);
  wl::done();
  wl::wait_stdin_eof();
  return 0;
}
