#include "cli/demo/demo_workload.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace iotrace::cli {
namespace {

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// Deliberately on the loop thread: the demo's "bug".
__attribute__((noinline)) void write_audit_log(int log_fd, int n) {
  char line[64];
  int len = snprintf(line, sizeof(line), "request %d served\n", n);
  (void)!write(log_fd, line, static_cast<size_t>(len));
  fsync(log_fd);
}

__attribute__((noinline)) void lookup_upstream_config() {
  timespec ts{0, 25 * 1000 * 1000};
  nanosleep(&ts, nullptr);
}

void client(uint16_t port, uint64_t until_ns) {
  prctl(PR_SET_NAME, "demo-client");
  std::vector<int> fds;
  for (int i = 0; i < 4; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) fds.push_back(fd);
  }
  char buf[256];
  while (now_ns() < until_ns && !fds.empty()) {
    for (int fd : fds) {
      static const char req[] = "GET / HTTP/1.0\r\n\r\n";
      if (write(fd, req, sizeof(req) - 1) < 0) return;
      if (read(fd, buf, sizeof(buf)) <= 0) return;
    }
    usleep(2000);
  }
  for (int fd : fds) close(fd);
}

}  // namespace

void run_demo_workload(int start_fd, uint64_t duration_ns) {
  prctl(PR_SET_NAME, "demo-server");
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  char go = 0;
  if (read(start_fd, &go, 1) != 1) _exit(1);
  close(start_fd);

  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) || listen(lfd, 64) ||
      getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len))
    _exit(1);
  char log_path[] = "/tmp/iotrace-demo-log.XXXXXX";
  int log_fd = mkstemp(log_path);
  unlink(log_path);

  int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = lfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);

  uint64_t until = now_ns() + duration_ns;
  // The client is a process of its own, so the traced server holds only its loop.
  pid_t cl = fork();
  if (cl == 0) {
    client(ntohs(addr.sin_port), until);
    _exit(0);
  }
  int served = 0;
  epoll_event events[64];
  char buf[4096];
  static const char resp[] = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
  while (now_ns() < until) {
    int n = epoll_wait(ep, events, 64, 50);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == lfd) {
        int c;
        while ((c = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) {
          ev.events = EPOLLIN;
          ev.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
        }
        continue;
      }
      ssize_t r = read(fd, buf, sizeof(buf));
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        close(fd);
        continue;
      }
      ++served;
      if (served % 50 == 0 && log_fd >= 0) write_audit_log(log_fd, served);
      if (served % 100 == 0) lookup_upstream_config();
      (void)!write(fd, resp, sizeof(resp) - 1);
    }
  }
  if (cl > 0) waitpid(cl, nullptr, 0);
  _exit(0);
}

}  // namespace iotrace::cli
