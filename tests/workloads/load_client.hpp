// The load client of the model workloads: an echo client in a separate process, so that the
// traced server process holds only the server's threads.
//
// The client is double-forked: its parent exits at once and it is re-parented to init, so
// `attach --follow-children` on the server does not pick it up either. Fork it before the
// server starts any thread.
#pragma once
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "workload_common.hpp"

namespace wl {

struct LoadSpec {
  uint16_t port = 0;
  int conns = 8;             // connections, all open at once
  int rounds = 400;          // requests per connection; each is echoed back before the next
  int request_bytes = 64;
  bool connect_first = false;  // connect before "go" (so the server can register them early)
};

class LoadClient {
 public:
  explicit LoadClient(const LoadSpec& spec) {
    int go[2], fin[2];
    if (pipe(go) || pipe(fin)) die("pipe");
    pid_t mid = fork();
    if (mid < 0) die("fork");
    if (mid == 0) {
      if (fork() == 0) {
        close(go[1]);
        close(fin[0]);
        run(spec, go[0], fin[1]);
        _exit(0);
      }
      _exit(0);
    }
    waitpid(mid, nullptr, 0);
    close(go[0]);
    close(fin[1]);
    go_ = go[1];
    fin_ = fin[0];
  }
  LoadClient(const LoadClient&) = delete;
  LoadClient& operator=(const LoadClient&) = delete;

  void go() {
    if (write(go_, "g", 1) != 1) die("client go");
  }
  // Blocks until the client has sent every request and read every reply.
  void wait() {
    char c;
    if (read(fin_, &c, 1) != 1) die("client finished");
  }
  int fin_fd() const { return fin_; }

 private:
  static void read_full(int fd, char* buf, int n) {
    for (int got = 0; got < n;) {
      ssize_t r = read(fd, buf + got, static_cast<size_t>(n - got));
      if (r <= 0) die("client read");
      got += static_cast<int>(r);
    }
  }

  static void run(const LoadSpec& s, int go_fd, int fin_fd) {
    std::vector<int> fds;
    if (s.connect_first)
      for (int i = 0; i < s.conns; ++i) fds.push_back(tcp_connect(s.port));
    char c;
    if (read(go_fd, &c, 1) != 1) _exit(0);
    if (!s.connect_first)
      for (int i = 0; i < s.conns; ++i) fds.push_back(tcp_connect(s.port));
    std::vector<char> buf(static_cast<size_t>(s.request_bytes), 'r');
    for (int r = 0; r < s.rounds; ++r) {
      for (int fd : fds)
        if (write(fd, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size())) die("client write");
      for (int fd : fds) read_full(fd, buf.data(), s.request_bytes);
    }
    for (int fd : fds) close(fd);
    if (write(fin_fd, "f", 1) != 1) _exit(1);
  }

  int go_ = -1, fin_ = -1;
};

}  // namespace wl
