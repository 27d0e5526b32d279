// The exporter's HTTP(S) server: one thread, one epoll instance, non-blocking sockets.
//
// A scrape must be answered whatever other local clients do, so nothing a client does can
// hold the server: every connection has a deadline (whole request within header_timeout of
// its first byte, keep-alive idle, response written), requests are parsed as they arrive so
// garbage and oversized requests are answered at once, and connections are bounded: past
// max_connections the connection idle the longest is closed, never the new one refused. A
// thread pool would give each slow client a thread to hold; this loop gives it a buffer.
//
// Handlers run on the loop (they are quick: rendering the last window's metrics), one at a
// time, and the requests completed in one pass of the loop share one answer per path, so a
// burst of scrapes costs one rendering.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "cli/exporter/http_request.hpp"
#include "cli/exporter/web_config.hpp"

namespace iotrace::cli {

struct HttpCounters {
  uint64_t open = 0;          // connections now
  uint64_t accepted = 0;
  uint64_t evicted = 0;       // closed to make room for a new one
  uint64_t timed_out = 0;     // a deadline passed
  uint64_t bad_requests = 0;  // answered 4xx/5xx by the parser
  uint64_t unauthorized = 0;  // answered 401
  uint64_t tls_failed = 0;    // handshake or record errors, plain HTTP on the TLS port
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Throws UsageError when the web configuration's certificate or key is unusable.
  HttpServer(HttpLimits limits, const WebConfig& web);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void route(std::string path, Handler handler);
  // Binds and listens; false with errno set when the address cannot be had.
  bool listen(const std::string& host, int port);
  bool tls() const;
  // Serves until stop(); call from one thread.
  void run();
  // Ends run() soon; safe from any thread.
  void stop();
  HttpCounters counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace iotrace::cli
