#include "workload_common.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace wl {

void ready() {
  printf("ready %d\n", getpid());
  fflush(stdout);
}

void wait_go() {
  char c;
  while (read(0, &c, 1) == 1)
    if (c == '\n') return;
  exit(0);  // the test went away
}

void done() {
  printf("done\n");
  fflush(stdout);
}

void wait_stdin_eof() {
  char buf[64];
  while (read(0, buf, sizeof(buf)) > 0) {
  }
}

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

void die(const char* what) {
  perror(what);
  exit(2);
}

int tcp_listener(uint16_t* port) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (l < 0) die("socket");
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (bind(l, reinterpret_cast<sockaddr*>(&a), sizeof(a)) || listen(l, 4096) ||
      getsockname(l, reinterpret_cast<sockaddr*>(&a), &len))
    die("listen");
  *port = ntohs(a.sin_port);
  return l;
}

int tcp_connect(uint16_t port) {
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (c < 0) die("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(c, reinterpret_cast<sockaddr*>(&a), sizeof(a))) die("connect");
  int one = 1;
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return c;
}

void tcp_pair(int fds[2]) {
  uint16_t port = 0;
  int l = tcp_listener(&port);
  fds[0] = tcp_connect(port);
  fds[1] = accept(l, nullptr, nullptr);
  if (fds[1] < 0) die("accept");
  int one = 1;
  setsockopt(fds[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  close(l);
}

void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

void name_thread(const char* name) { prctl(PR_SET_NAME, name); }

}  // namespace wl
