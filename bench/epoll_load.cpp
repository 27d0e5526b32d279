// Closed-loop load generator for bench/epoll_server (bench/run_throughput.sh).
//
//   epoll_load --port P [--host ADDR] [-c CONNECTIONS] [-n REQUESTS] [-d SECONDS]
//              [--request-size B] [--response-size B]
//
// Opens CONNECTIONS (default 50) TCP connections, then each one sends a request, waits for the
// whole response, and sends the next: one request in flight per connection, driven by one
// epoll loop (level-triggered, non-blocking sockets) in one thread. Stops after REQUESTS
// responses in total (default 100000) or after SECONDS, whichever comes first (-d alone: no
// request limit). Request and response sizes must match the server's (default 64 bytes each).
// Every request carries a sequence number in its first 8 bytes; the response must echo it.
//
// stdout, one line: "epoll_load requests=N connections=C seconds=S rps=R" (responses received,
// time from the first request to the last response). Exit 1 on a wrong or missing response.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "epoll_load: error: %s: %s\n", what, std::strerror(errno));
  std::exit(2);
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: epoll_load --port P [--host ADDR] [-c CONNECTIONS] [-n REQUESTS] [-d SECONDS]\n"
               "                  [--request-size B] [--response-size B]\n");
  std::exit(64);
}

double parse_num(const char* s, double lo, double hi) {
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s, &end);
  if (errno || end == s || *end || v < lo || v > hi) usage();
  return v;
}

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);  // vDSO: no syscall
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

struct Conn {
  int fd = -1;
  uint64_t seq = 0;       // sequence number of the request in flight
  bool busy = false;      // a request is in flight
  size_t sent = 0;        // bytes of the request written
  size_t got = 0;         // bytes of the response read
  bool want_out = false;  // waiting for EPOLLOUT to finish writing the request
};

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  long port = -1, conns_n = 50, req_size = 64, resp_size = 64;
  uint64_t limit = 0;
  double seconds = 0;
  bool have_n = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) usage();
    const char* v = argv[++i];
    if (a == "--port") port = static_cast<long>(parse_num(v, 1, 65535));
    else if (a == "--host") host = v;
    else if (a == "-c") conns_n = static_cast<long>(parse_num(v, 1, 10000));
    else if (a == "-n") limit = static_cast<uint64_t>(parse_num(v, 1, 1e15)), have_n = true;
    else if (a == "-d") seconds = parse_num(v, 0.001, 1e6);
    else if (a == "--request-size") req_size = static_cast<long>(parse_num(v, 8, 1 << 20));
    else if (a == "--response-size") resp_size = static_cast<long>(parse_num(v, 8, 1 << 20));
    else usage();
  }
  if (port < 0) usage();
  if (!have_n && seconds == 0) limit = 100000;
  std::signal(SIGPIPE, SIG_IGN);

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) usage();

  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  std::vector<Conn> conns(static_cast<size_t>(conns_n));
  for (size_t i = 0; i < conns.size(); ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int fl = 1;
    if (ioctl(fd, FIONBIO, &fl) < 0) die("ioctl(FIONBIO)");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
    conns[i].fd = fd;
  }

  std::vector<char> req(static_cast<size_t>(req_size), 'q');
  std::vector<char> resp(static_cast<size_t>(resp_size));
  uint64_t issued = 0, done = 0, next_seq = 1;

  auto set_out = [&](Conn& c, bool out) {
    if (c.want_out == out) return;
    epoll_event ev{};
    ev.events = out ? EPOLLOUT : EPOLLIN;
    ev.data.u64 = static_cast<uint64_t>(&c - conns.data());
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev) < 0) die("epoll_ctl(mod)");
    c.want_out = out;
  };
  // Writes (the rest of) the request in flight; false on a dead connection.
  auto push = [&](Conn& c) {
    std::memcpy(req.data(), &c.seq, sizeof c.seq);
    while (c.sent < req.size()) {
      ssize_t w = write(c.fd, req.data() + c.sent, req.size() - c.sent);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return false;
      }
      c.sent += static_cast<size_t>(w);
    }
    set_out(c, c.sent < req.size());
    return true;
  };
  auto start = [&](Conn& c) {
    if (limit && issued >= limit) return true;
    c.seq = next_seq++;
    c.busy = true;
    c.sent = c.got = 0;
    ++issued;
    return push(c);
  };

  uint64_t t0 = now_ns();
  uint64_t deadline = seconds > 0 ? t0 + static_cast<uint64_t>(seconds * 1e9) : UINT64_MAX;
  for (auto& c : conns)
    if (!start(c)) die("write");

  std::vector<epoll_event> evs(256);
  uint64_t t1 = t0;
  while (done < issued) {
    int n = epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 10000);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    if (n == 0) {
      std::fprintf(stderr, "epoll_load: error: no response for 10 s (%llu of %llu requests answered)\n",
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(issued));
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      Conn& c = conns[evs[i].data.u64];
      if (c.want_out) {
        if (!push(c)) die("write");
        continue;
      }
      if (!c.busy) continue;
      ssize_t r = read(c.fd, resp.data() + c.got, resp.size() - c.got);
      if (r == 0) {
        std::fprintf(stderr, "epoll_load: error: server closed a connection\n");
        return 1;
      }
      if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
        die("read");
      }
      c.got += static_cast<size_t>(r);
      if (c.got < resp.size()) continue;
      uint64_t echo = 0;
      std::memcpy(&echo, resp.data(), sizeof echo);
      if (echo != c.seq) {
        std::fprintf(stderr, "epoll_load: error: response to request %llu carries %llu\n",
                     static_cast<unsigned long long>(c.seq), static_cast<unsigned long long>(echo));
        return 1;
      }
      c.busy = false;
      ++done;
      if (!start(c)) die("write");
    }
    t1 = now_ns();
    if (t1 >= deadline) break;  // requests still in flight are not counted
  }
  double s = static_cast<double>(t1 - t0) / 1e9;
  std::printf("epoll_load requests=%llu connections=%ld seconds=%.3f rps=%.0f\n",
              static_cast<unsigned long long>(done), conns_n, s, s > 0 ? static_cast<double>(done) / s : 0.0);
  for (auto& c : conns) close(c.fd);
  return 0;
}
