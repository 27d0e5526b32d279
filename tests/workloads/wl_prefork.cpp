// A pre-forking server: the master opens the listener, forks 2 workers before "ready" and 2
// more after "go", then waits for them. Each worker blocks in accept, serves one connection
// with blocking reads and writes until the client closes it, and exits: process per
// connection. 4 connections, 400 echoed requests each.
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "load_client.hpp"

static void worker(int l) {
  wl::name_thread("worker");
  int fd = accept(l, nullptr, nullptr);
  if (fd < 0) wl::die("accept");
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0)
    if (write(fd, buf, static_cast<size_t>(n)) != n) wl::die("write");
  close(fd);
  _exit(0);
}

static void fork_worker(int l) {
  pid_t p = fork();
  if (p < 0) wl::die("fork");
  if (p == 0) worker(l);
}

int main() {
  constexpr int k_workers = 4;
  uint16_t port = 0;
  int l = wl::tcp_listener(&port);
  wl::LoadClient client({port, k_workers, 400});
  for (int i = 0; i < k_workers / 2; ++i) fork_worker(l);
  wl::ready();
  wl::wait_go();
  for (int i = k_workers / 2; i < k_workers; ++i) fork_worker(l);
  client.go();
  for (int i = 0; i < k_workers; ++i) wait(nullptr);
  client.wait();
  wl::done();
  wl::wait_stdin_eof();
  return 0;
}
