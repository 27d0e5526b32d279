#include "cli/exporter/http_server.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

#include <unordered_map>
#include <vector>

#include "cli/exporter/basic_auth.hpp"
#include "cli/exporter/tls_context.hpp"
#include "src/util/gzip.hpp"
#include "src/util/clock.hpp"

namespace iotrace::cli {
namespace {

constexpr uint64_t k_drain_ns = 1'000'000'000ull;  // to read what follows a refused request
constexpr int k_accepts_per_pass = 64;
constexpr size_t k_gzip_from = 1024;

enum class Phase { reading, writing, draining };
enum class Io { done, again, eof, error };

struct Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  bool peer_checked = false;
  Phase phase = Phase::reading;
  std::string in, out;
  size_t out_off = 0;
  bool close_after = false;
  bool read_wants_write = false, write_wants_read = false;  // TLS records in the other direction
  bool served = false;
  uint64_t deadline = 0, last_active = 0;
  uint32_t events = 0;
};

}  // namespace

struct HttpServer::Impl {
  HttpLimits limits;
  std::unique_ptr<TlsContext> tls;
  BasicAuth auth;
  std::vector<std::pair<std::string, std::string>> extra_headers;
  std::map<std::string, Handler> routes;
  int listen_fd = -1, epoll_fd = -1, stop_fd = -1;
  std::unordered_map<int, std::unique_ptr<Conn>> conns;
  std::map<std::string, HttpResponse> memo;  // this pass's answers, by path
  std::atomic<uint64_t> accepted{0}, evicted{0}, timed_out{0}, bad_requests{0}, unauthorized{0}, tls_failed{0},
      open{0};
  uint64_t now = 0;

  Impl(HttpLimits l, const WebConfig& web) : limits(l), auth(web.basic_auth_users), extra_headers(web.headers) {
    if (web.tls) tls = std::make_unique<TlsContext>(*web.tls);
  }

  ~Impl() {
    while (!conns.empty()) close_conn(*conns.begin()->second);
    for (int fd : {listen_fd, epoll_fd, stop_fd})
      if (fd >= 0) ::close(fd);
  }

  void close_conn(Conn& c) {
    if (c.ssl) SSL_free(c.ssl);
    ::close(c.fd);  // also leaves the epoll set
    open.store(conns.size() - 1);
    conns.erase(c.fd);
  }

  void set_events(Conn& c) {
    uint32_t ev = 0;
    switch (c.phase) {
      case Phase::reading: ev = c.read_wants_write ? EPOLLOUT : EPOLLIN; break;
      case Phase::writing: ev = c.write_wants_read ? EPOLLIN : EPOLLOUT; break;
      case Phase::draining: ev = EPOLLIN; break;
    }
    if (ev == c.events) return;
    epoll_event e{};
    e.events = ev;
    e.data.fd = c.fd;
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c.fd, &e);
    c.events = ev;
  }

  Io tls_result(Conn& c, int rc, bool reading) {
    int e = SSL_get_error(c.ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      // a read may need to send a record first, a write to receive one
      if (reading)
        c.read_wants_write = e == SSL_ERROR_WANT_WRITE;
      else
        c.write_wants_read = e == SSL_ERROR_WANT_READ;
      return Io::again;
    }
    if (e == SSL_ERROR_ZERO_RETURN) return Io::eof;
    // A plain HTTP request on the TLS port gets Go's answer in plain text, then the door.
    if (e == SSL_ERROR_SSL && ERR_GET_REASON(ERR_peek_error()) == SSL_R_HTTP_REQUEST) {
      static const char msg[] =
          "HTTP/1.0 400 Bad Request\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
      (void)!::send(c.fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    ERR_clear_error();
    ++tls_failed;
    return Io::error;
  }

  Io read_some(Conn& c, char* buf, size_t cap, size_t* n) {
    if (c.ssl) {
      c.read_wants_write = false;
      int rc = SSL_read_ex(c.ssl, buf, cap, n);
      return rc == 1 ? Io::done : tls_result(c, rc, true);
    }
    ssize_t r = ::recv(c.fd, buf, cap, 0);
    if (r > 0) return *n = static_cast<size_t>(r), Io::done;
    if (r == 0) return Io::eof;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? Io::again : Io::error;
  }

  Io write_rest(Conn& c) {
    while (c.out_off < c.out.size()) {
      size_t n = 0;
      if (c.ssl) {
        c.write_wants_read = false;
        int rc = SSL_write_ex(c.ssl, c.out.data() + c.out_off, c.out.size() - c.out_off, &n);
        if (rc != 1) return tls_result(c, rc, false);
      } else {
        ssize_t r = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
        if (r < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? Io::again : Io::error;
        n = static_cast<size_t>(r);
      }
      c.out_off += n;
      c.last_active = now;
    }
    return Io::done;
  }

  // Sends what is pending; false when the connection was closed.
  bool flush(Conn& c) {
    Io io = write_rest(c);
    if (io == Io::error || io == Io::eof) return close_conn(c), false;
    if (io == Io::again) return set_events(c), true;
    c.out.clear();
    c.out_off = 0;
    if (c.close_after) {
      // Say we are done, then read what the client still sends for a moment, so closing does
      // not reset the connection before it has read the answer.
      if (c.ssl) SSL_shutdown(c.ssl);
      ::shutdown(c.fd, SHUT_WR);
      c.phase = Phase::draining;
      c.deadline = now + k_drain_ns;
      set_events(c);
      return true;
    }
    c.phase = Phase::reading;
    c.deadline = now + (c.in.empty() ? limits.idle_timeout_ns : limits.header_timeout_ns);
    set_events(c);
    return true;
  }

  bool respond(Conn& c, const HttpResponse& r, bool keep_alive, bool head) {
    c.out = serialize_response(r, keep_alive, head, extra_headers);
    c.out_off = 0;
    c.close_after = !keep_alive;
    c.phase = Phase::writing;
    c.deadline = now + limits.write_timeout_ns;
    c.served = true;
    return flush(c);
  }

  HttpResponse answer(const HttpRequest& req) {
    if (auth.enabled() && !auth.allows(req.header("authorization"))) {
      ++unauthorized;
      HttpResponse r;
      r.status = 401;
      r.body = "Unauthorized\n";
      r.headers.emplace_back("WWW-Authenticate", "Basic");
      return r;
    }
    if (req.method != "GET" && req.method != "HEAD") {
      HttpResponse r;
      r.status = 405;
      r.body = "only GET and HEAD are served\n";
      r.headers.emplace_back("Allow", "GET, HEAD");
      return r;
    }
    const std::string path(req.path());
    auto route = routes.find(path);
    if (route == routes.end()) {
      HttpResponse r;
      r.status = 404;
      r.body = "not found; try /metrics\n";
      return r;
    }
    bool gz = req.accepts_gzip();
    const std::string key = path + (gz ? "\n+gzip" : "");
    if (auto it = memo.find(key); it != memo.end()) return it->second;
    HttpResponse r;
    if (auto plain = memo.find(path); plain != memo.end()) {
      r = plain->second;
    } else {
      r = route->second(req);
      memo[path] = r;
    }
    if (gz && r.compressible && r.status == 200 && r.body.size() >= k_gzip_from) {
      std::string z = gzip(r.body);
      if (!z.empty()) {
        r.body = std::move(z);
        r.headers.emplace_back("Content-Encoding", "gzip");
        r.headers.emplace_back("Vary", "Accept-Encoding");
      }
    }
    memo[key] = r;
    return r;
  }

  // Answers the requests that have arrived whole; false when the connection was closed.
  bool serve(Conn& c) {
    while (c.phase == Phase::reading && !c.in.empty()) {
      ParsedRequest p = parse_request(c.in, limits);
      if (p.state == ParsedRequest::State::incomplete) return true;
      if (p.state == ParsedRequest::State::error) {
        ++bad_requests;
        HttpResponse r;
        r.status = p.status;
        r.body = p.reason + "\n";
        c.in.clear();
        return respond(c, r, false, false);
      }
      c.in.erase(0, p.consumed);
      if (!respond(c, answer(p.request), p.request.keep_alive(), p.request.method == "HEAD")) return false;
    }
    return true;
  }

  void on_readable(Conn& c) {
    char buf[16384];
    const size_t cap = limits.max_header_bytes + limits.max_body_bytes + sizeof(buf);
    for (;;) {
      size_t n = 0;
      Io io = read_some(c, buf, sizeof(buf), &n);
      if (io == Io::again) break;
      if (io != Io::done) return close_conn(c);
      if (c.phase == Phase::draining) continue;  // dropped
      if (c.in.empty() && c.served) c.deadline = now + limits.header_timeout_ns;  // a new request begins
      c.in.append(buf, n);
      c.last_active = now;
      if (c.in.size() > cap) break;  // the parser refuses it
    }
    if (c.phase == Phase::draining) return set_events(c);
    if (c.ssl && !c.peer_checked && SSL_is_init_finished(c.ssl)) {
      c.peer_checked = true;
      if (!tls->peer_allowed(c.ssl)) {
        ++tls_failed;
        return close_conn(c);
      }
    }
    if (serve(c)) set_events(c);
  }

  void on_event(Conn& c) {
    switch (c.phase) {
      case Phase::reading:
      case Phase::draining:
        return on_readable(c);
      case Phase::writing:
        if (!flush(c)) return;
        if (c.phase == Phase::reading && !c.in.empty() && serve(c)) set_events(c);
        return;
    }
  }

  // Past the limit, the connection that has waited longest for its client goes; one that is
  // sending an answer is closed only when no other can be.
  void make_room() {
    Conn* victim = nullptr;
    for (auto& [fd, c] : conns) {
      bool busy = c->phase == Phase::writing;
      bool victim_busy = victim && victim->phase == Phase::writing;
      if (!victim || (victim_busy && !busy) || (busy == victim_busy && c->last_active < victim->last_active))
        victim = c.get();
    }
    if (victim) {
      ++evicted;
      close_conn(*victim);
    }
  }

  void accept_some() {
    for (int k = 0; k < k_accepts_per_pass; ++k) {
      int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if ((errno == EMFILE || errno == ENFILE) && !conns.empty()) {
          make_room();  // out of descriptors below our own limit: the same rule
          continue;
        }
        return;
      }
      while (conns.size() >= limits.max_connections) make_room();
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      auto c = std::make_unique<Conn>();
      c->fd = fd;
      c->deadline = now + limits.header_timeout_ns;
      c->last_active = now;
      if (tls && !(c->ssl = tls->session(fd))) {
        ::close(fd);
        ++tls_failed;
        continue;
      }
      epoll_event e{};
      e.events = c->events = EPOLLIN;
      e.data.fd = fd;
      epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &e);
      Conn& ref = *c;
      conns[fd] = std::move(c);
      ++accepted;
      open.store(conns.size());
      on_readable(ref);  // the request is often here already
    }
  }

  void sweep() {
    std::vector<int> late;
    for (auto& [fd, c] : conns)
      if (now >= c->deadline) late.push_back(fd);
    for (int fd : late) {
      auto it = conns.find(fd);
      if (it->second->phase != Phase::draining) ++timed_out;
      close_conn(*it->second);
    }
  }
};

HttpServer::HttpServer(HttpLimits limits, const WebConfig& web) : impl_(std::make_unique<Impl>(limits, web)) {}
HttpServer::~HttpServer() = default;

void HttpServer::route(std::string path, Handler handler) { impl_->routes[std::move(path)] = std::move(handler); }

bool HttpServer::tls() const { return impl_->tls != nullptr; }

bool HttpServer::listen(const std::string& host, int port) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  const std::string service = std::to_string(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &res) != 0 || !res) {
    errno = EADDRNOTAVAIL;
    return false;
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  bool ok = fd >= 0 && ::bind(fd, res->ai_addr, res->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0;
  int err = errno;
  freeaddrinfo(res);
  if (!ok) {
    if (fd >= 0) ::close(fd);
    errno = err;
    return false;
  }
  impl_->listen_fd = fd;
  impl_->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  impl_->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  for (int f : {impl_->listen_fd, impl_->stop_fd}) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.fd = f;
    epoll_ctl(impl_->epoll_fd, EPOLL_CTL_ADD, f, &e);
  }
  return true;
}

void HttpServer::run() {
  Impl& s = *impl_;
  epoll_event events[256];
  uint64_t next_sweep = 0;
  for (;;) {
    int n = epoll_wait(s.epoll_fd, events, 256, 100);
    s.now = monotonic_ns();
    s.memo.clear();
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == s.stop_fd) return;
      if (fd == s.listen_fd) {
        s.accept_some();
        continue;
      }
      auto it = s.conns.find(fd);
      if (it != s.conns.end()) s.on_event(*it->second);
    }
    if (s.now >= next_sweep) {
      s.sweep();
      next_sweep = s.now + 100'000'000ull;
    }
  }
}

void HttpServer::stop() {
  uint64_t one = 1;
  if (impl_->stop_fd >= 0) (void)!::write(impl_->stop_fd, &one, sizeof(one));
}

HttpCounters HttpServer::counters() const {
  const Impl& s = *impl_;
  return HttpCounters{s.open.load(), s.accepted.load(), s.evicted.load(), s.timed_out.load(),
                      s.bad_requests.load(), s.unauthorized.load(), s.tls_failed.load()};
}

}  // namespace iotrace::cli
