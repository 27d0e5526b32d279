// Thread-per-connection: a blocking accept loop in the main thread and one thread per
// connection doing blocking reads and writes until the client closes. 8 connections,
// 400 echoed requests each.
#include <sys/socket.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "load_client.hpp"

static void serve(int fd) {
  wl::name_thread("conn");
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0)
    if (write(fd, buf, static_cast<size_t>(n)) != n) wl::die("write");
  close(fd);
}

int main() {
  constexpr int k_conns = 8;
  uint16_t port = 0;
  int l = wl::tcp_listener(&port);
  wl::LoadClient client({port, k_conns, 400});
  wl::ready();
  wl::wait_go();
  client.go();
  std::vector<std::thread> threads;
  for (int i = 0; i < k_conns; ++i) {
    int fd = accept(l, nullptr, nullptr);
    if (fd < 0) wl::die("accept");
    threads.emplace_back(serve, fd);
  }
  for (auto& t : threads) t.join();
  client.wait();
  wl::done();
  wl::wait_stdin_eof();
  return 0;
}
