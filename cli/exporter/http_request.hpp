// HTTP/1.x requests as the exporter reads them: parsed from what has arrived so far, so a
// request that is already wrong (binary garbage, a line too long, a body too large) is
// answered at once instead of after a read timeout.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iotrace::cli {

struct HttpLimits {
  size_t max_connections = 256;       // beyond it the connection idle the longest is closed
  size_t max_request_line = 8192;     // longer: 414
  size_t max_header_bytes = 16384;    // request line and headers; longer: 431
  size_t max_body_bytes = 65536;      // read and dropped (no route takes a body); longer: 413
  uint64_t header_timeout_ns = 5'000'000'000ull;   // connect (or first byte) to whole request
  uint64_t idle_timeout_ns = 300'000'000'000ull;   // keep-alive with nothing asked
  uint64_t write_timeout_ns = 10'000'000'000ull;   // to send a response
};

struct HttpRequest {
  std::string method, target, version;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  size_t content_length = 0;

  // The value of a header (name lower-case), or "".
  std::string_view header(std::string_view name) const;
  std::string_view path() const;  // the target without its query
  bool keep_alive() const;        // HTTP/1.1 unless "close"; HTTP/1.0 only with "keep-alive"
  bool accepts_gzip() const;
};

struct ParsedRequest {
  enum class State { incomplete, complete, error } state = State::incomplete;
  int status = 0;         // with error: the status to answer (400, 413, 414, 431, 501, 505)
  std::string reason;     // with error: a line for the response body
  size_t consumed = 0;    // with complete: bytes of the request, body included
  HttpRequest request;
};

// Parses the request at the start of `data` (all that has arrived on the connection).
ParsedRequest parse_request(std::string_view data, const HttpLimits& limits);

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool compressible = true;  // false for bodies that are compressed already (pprof)
};

// The bytes of a response; the body is left out for HEAD (its length is still given).
std::string serialize_response(const HttpResponse& r, bool keep_alive, bool head,
                               const std::vector<std::pair<std::string, std::string>>& extra_headers);

}  // namespace iotrace::cli
