// A reference epoll server for the throughput benchmark (bench/run_throughput.sh): the I/O model
// of redis and most event-loop servers, with nothing else in it.
//
//   epoll_server [--port P] [--request-size B] [--response-size B]
//
// One thread, one level-triggered epoll set, non-blocking TCP sockets on 127.0.0.1. Every
// connection sends fixed-size requests (default 64 bytes) and gets one fixed-size response
// (default 64 bytes) per request; the first 8 bytes of each response echo the first 8 bytes of
// its request, so a client can check that replies match. Per readiness event a connection gets
// one read() (level-triggered: what is left is reported again by the next epoll_wait) and its
// responses are written at once; a response that does not fit in the socket is finished on
// EPOLLOUT, and the connection is not read until it is.
//
// stdout: "ready port=P" once listening (P is the real port: --port 0, the default, picks one).
// At SIGINT or SIGTERM it prints "served connections=N requests=M" and exits 0.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "epoll_server: error: %s: %s\n", what, std::strerror(errno));
  std::exit(2);
}

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: epoll_server [--port P] [--request-size B] [--response-size B]\n");
  std::exit(64);
}

long parse_num(const char* s, long lo, long hi) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) usage();
  return v;
}

constexpr size_t k_echo_bytes = 8;  // request bytes echoed at the start of each response
constexpr size_t k_read_chunk = 16384;

struct Conn {
  int fd = -1;
  std::vector<char> in;   // bytes of a request not yet complete (less than one request)
  std::vector<char> out;  // responses not yet written
  size_t out_off = 0;
  bool want_out = false;  // registered for EPOLLOUT (and not EPOLLIN) until out is written
};

class Server {
 public:
  Server(size_t req_size, size_t resp_size) : req_size_(req_size), resp_size_(resp_size), buf_(k_read_chunk) {}

  void listen_on(int port) {
    lfd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd_ < 0) die("socket");
    int one = 1;
    setsockopt(lfd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd_, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) die("bind");
    if (listen(lfd_, 1024) < 0) die("listen");
    socklen_t len = sizeof a;
    if (getsockname(lfd_, reinterpret_cast<sockaddr*>(&a), &len) < 0) die("getsockname");
    port_ = ntohs(a.sin_port);
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) die("epoll_create1");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = lfd_;
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, lfd_, &ev) < 0) die("epoll_ctl(listen)");
  }

  int port() const { return port_; }

  void run() {
    std::vector<epoll_event> evs(256);
    while (!g_stop) {
      int n = epoll_wait(ep_, evs.data(), static_cast<int>(evs.size()), -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        die("epoll_wait");
      }
      for (int i = 0; i < n; ++i) {
        int fd = evs[i].data.fd;
        if (fd == lfd_) {
          accept_all();
          continue;
        }
        auto it = conns_.find(fd);
        if (it == conns_.end()) continue;  // closed earlier in this batch
        Conn& c = *it->second;
        uint32_t e = evs[i].events;
        bool ok = true;
        if (c.want_out) {
          if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP)) ok = flush(c);
        } else if (e & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
          ok = on_readable(c);
        }
        if (!ok) close_conn(fd);
      }
    }
    std::printf("served connections=%llu requests=%llu\n", static_cast<unsigned long long>(accepted_),
                static_cast<unsigned long long>(served_));
  }

 private:
  void accept_all() {
    for (;;) {
      int fd = accept4(lfd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        if (errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) return;
        die("accept4");
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      if (epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl(add)");
      auto c = std::make_unique<Conn>();
      c->fd = fd;
      c->in.reserve(req_size_);
      conns_[fd] = std::move(c);
      ++accepted_;
    }
  }

  // One read(); answers every complete request in it. false: close the connection.
  bool on_readable(Conn& c) {
    ssize_t r = read(c.fd, buf_.data(), buf_.size());
    if (r == 0) return false;
    if (r < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    const char* p = buf_.data();
    size_t left = static_cast<size_t>(r);
    while (left > 0) {
      size_t take = std::min(left, req_size_ - c.in.size());
      c.in.insert(c.in.end(), p, p + take);
      p += take;
      left -= take;
      if (c.in.size() == req_size_) {
        size_t at = c.out.size();
        c.out.resize(at + resp_size_, 'r');
        std::memcpy(c.out.data() + at, c.in.data(), std::min({k_echo_bytes, req_size_, resp_size_}));
        c.in.clear();
        ++served_;
      }
    }
    return c.out.empty() || flush(c);
  }

  // Writes what it can of c.out; waits for EPOLLOUT (without reading) while some is left.
  bool flush(Conn& c) {
    while (c.out_off < c.out.size()) {
      ssize_t w = write(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return false;
      }
      c.out_off += static_cast<size_t>(w);
    }
    bool pending = c.out_off < c.out.size();
    if (!pending) {
      c.out.clear();
      c.out_off = 0;
    }
    if (pending != c.want_out) {
      epoll_event ev{};
      ev.events = pending ? EPOLLOUT : EPOLLIN;
      ev.data.fd = c.fd;
      if (epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev) < 0) return false;
      c.want_out = pending;
    }
    return true;
  }

  void close_conn(int fd) {
    epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns_.erase(fd);
  }

  size_t req_size_;
  size_t resp_size_;
  std::vector<char> buf_;
  int lfd_ = -1;
  int ep_ = -1;
  int port_ = 0;
  uint64_t accepted_ = 0;
  uint64_t served_ = 0;
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;
};

}  // namespace

int main(int argc, char** argv) {
  long port = 0, req = 64, resp = 64;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) usage();
    if (a == "--port") port = parse_num(argv[++i], 0, 65535);
    else if (a == "--request-size") req = parse_num(argv[++i], 1, 1 << 20);
    else if (a == "--response-size") resp = parse_num(argv[++i], 1, 1 << 20);
    else usage();
  }
  struct sigaction sa{};
  sa.sa_handler = on_signal;  // no SA_RESTART: epoll_wait returns EINTR and the loop ends
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  Server s(static_cast<size_t>(req), static_cast<size_t>(resp));
  s.listen_on(static_cast<int>(port));
  std::printf("ready port=%d\n", s.port());
  std::fflush(stdout);
  s.run();
  return 0;
}
