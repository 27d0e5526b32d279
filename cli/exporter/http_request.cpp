#include "cli/exporter/http_request.hpp"

#include <fmt/format.h>
#include <strings.h>

#include <cctype>
#include <cstring>

namespace iotrace::cli {
namespace {

bool is_tchar(unsigned char c) {
  return c != 0 && (std::isalnum(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

bool has_token(std::string_view list, std::string_view token) {
  size_t i = 0;
  while (i < list.size()) {
    size_t end = list.find(',', i);
    if (end == std::string_view::npos) end = list.size();
    std::string_view item = list.substr(i, end - i);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    size_t semi = item.find(';');  // "gzip;q=0" refuses gzip
    std::string_view name = item.substr(0, semi);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (name.size() == token.size() && strncasecmp(name.data(), token.data(), token.size()) == 0) {
      if (semi == std::string_view::npos) return true;
      std::string_view q = item.substr(semi + 1);
      while (!q.empty() && q.front() == ' ') q.remove_prefix(1);
      return !(q.rfind("q=0", 0) == 0 && q.find_first_not_of("q=0.") == std::string_view::npos);
    }
    i = end + 1;
  }
  return false;
}

const char* status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

}  // namespace

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

std::string_view HttpRequest::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

bool HttpRequest::keep_alive() const {
  std::string_view c = header("connection");
  if (version == "HTTP/1.0") return has_token(c, "keep-alive");
  return !has_token(c, "close");
}

bool HttpRequest::accepts_gzip() const { return has_token(header("accept-encoding"), "gzip"); }

ParsedRequest parse_request(std::string_view d, const HttpLimits& limits) {
  ParsedRequest p;
  auto fail = [&](int status, std::string reason) {
    p.state = ParsedRequest::State::error;
    p.status = status;
    p.reason = std::move(reason);
    return p;
  };
  size_t i = 0;
  while (i < d.size() && i < 4 && (d[i] == '\r' || d[i] == '\n')) ++i;  // stray line ends before a request
  const size_t line0 = i;

  // method SP
  const size_t m0 = i;
  for (; i < d.size() && d[i] != ' '; ++i) {
    if (!is_tchar(static_cast<unsigned char>(d[i]))) return fail(400, "not an HTTP request");
    if (i - m0 >= 16) return fail(400, "not an HTTP method");
  }
  if (i == d.size()) return p;
  if (i == m0) return fail(400, "no method");
  p.request.method = std::string(d.substr(m0, i - m0));
  ++i;

  // request-target SP
  const size_t t0 = i;
  for (; i < d.size() && d[i] != ' '; ++i) {
    auto c = static_cast<unsigned char>(d[i]);
    if (c <= 0x20 || c >= 0x7f) return fail(400, "bad character in the request target");
    if (i - line0 >= limits.max_request_line)
      return fail(414, fmt::format("request line longer than {} bytes", limits.max_request_line));
  }
  if (i == d.size()) return p;
  if (i == t0) return fail(400, "no request target");
  p.request.target = std::string(d.substr(t0, i - t0));
  ++i;

  // HTTP-version CRLF
  const size_t v0 = i;
  constexpr std::string_view proto = "HTTP/";
  for (; i < d.size() && d[i] != '\r' && d[i] != '\n'; ++i) {
    if (i - v0 < proto.size() && d[i] != proto[i - v0]) return fail(400, "not an HTTP request");
    if (i - v0 >= 8) return fail(400, "bad HTTP version");
  }
  if (i == d.size()) return p;
  p.request.version = std::string(d.substr(v0, i - v0));
  const auto& v = p.request.version;
  if (v != "HTTP/1.1" && v != "HTTP/1.0") {
    if (v.size() == 8 && v.rfind("HTTP/", 0) == 0 && std::isdigit(static_cast<unsigned char>(v[5])) &&
        v[6] == '.' && std::isdigit(static_cast<unsigned char>(v[7])))
      return fail(505, "only HTTP/1.0 and HTTP/1.1 are spoken here");
    return fail(400, "bad HTTP version");
  }
  auto line_end = [&](size_t& at) -> int {  // 1: consumed a line end, 0: incomplete, -1: bad
    if (d[at] == '\n') return ++at, 1;
    if (at + 1 == d.size()) return 0;
    if (d[at + 1] != '\n') return -1;
    at += 2;
    return 1;
  };
  int le = line_end(i);
  if (le == 0) return p;
  if (le < 0) return fail(400, "bad line end");

  // header fields, then an empty line
  bool ended = false;
  while (i < d.size()) {
    if (i > limits.max_header_bytes) break;
    if (d[i] == '\r' || d[i] == '\n') {
      le = line_end(i);
      if (le == 0) break;
      if (le < 0) return fail(400, "bad line end");
      ended = true;
      break;
    }
    if (d[i] == ' ' || d[i] == '\t') return fail(400, "folded header lines are not accepted");
    const size_t n0 = i;
    for (; i < d.size() && d[i] != ':'; ++i)
      if (!is_tchar(static_cast<unsigned char>(d[i]))) return fail(400, "bad header name");
    if (i == d.size()) break;
    if (i == n0) return fail(400, "empty header name");
    std::string name(d.substr(n0, i - n0));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ++i;
    size_t eol = d.find('\n', i);
    if (eol == std::string_view::npos) {
      i = d.size();
      break;
    }
    std::string_view value = d.substr(i, eol - i);
    if (!value.empty() && value.back() == '\r') value.remove_suffix(1);
    for (unsigned char c : value)
      if ((c < 0x20 && c != '\t') || c == 0x7f) return fail(400, "bad character in a header value");
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    p.request.headers.emplace_back(std::move(name), std::string(value));
    i = eol + 1;
  }
  if (!ended || i > limits.max_header_bytes) {
    if (std::max(i, d.size()) > limits.max_header_bytes)
      return fail(431, fmt::format("request headers longer than {} bytes", limits.max_header_bytes));
    return p;
  }

  // body: Content-Length only
  if (!p.request.header("transfer-encoding").empty()) return fail(501, "Transfer-Encoding is not accepted");
  bool have_length = false;
  for (const auto& [k, val] : p.request.headers) {
    if (k != "content-length") continue;
    if (val.empty() || val.size() > 19 || val.find_first_not_of("0123456789") != std::string::npos)
      return fail(400, "bad Content-Length");
    size_t n = std::stoull(val);
    if (have_length && n != p.request.content_length) return fail(400, "conflicting Content-Length");
    have_length = true;
    p.request.content_length = n;
  }
  if (p.request.content_length > limits.max_body_bytes)
    return fail(413, fmt::format("request body longer than {} bytes", limits.max_body_bytes));
  if (d.size() - i < p.request.content_length) return p;
  p.state = ParsedRequest::State::complete;
  p.consumed = i + p.request.content_length;
  return p;
}

std::string serialize_response(const HttpResponse& r, bool keep_alive, bool head,
                               const std::vector<std::pair<std::string, std::string>>& extra_headers) {
  std::string out = fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: {}\r\n",
                                r.status, status_text(r.status), r.content_type, r.body.size(),
                                keep_alive ? "keep-alive" : "close");
  for (const auto& [k, v] : r.headers) out += fmt::format("{}: {}\r\n", k, v);
  for (const auto& [k, v] : extra_headers) out += fmt::format("{}: {}\r\n", k, v);
  out += "\r\n";
  if (!head) out += r.body;
  return out;
}

}  // namespace iotrace::cli
