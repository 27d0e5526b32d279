// The exporter's request parser: a request is answered as soon as what has arrived decides
// it, whole or wrong.
#include "cli/exporter/http_request.hpp"
#include "src/util/gzip.hpp"

#include <gtest/gtest.h>

using namespace iotrace::cli;
using State = ParsedRequest::State;

namespace {

HttpLimits limits() { return HttpLimits{}; }

TEST(HttpRequest, AWholeRequestIsParsedWithItsHeadersAndBody) {
  std::string text =
      "GET /metrics?x=1 HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip, deflate\r\nContent-Length: 3\r\n\r\nabcGET";
  auto p = parse_request(text, limits());
  ASSERT_EQ(p.state, State::complete);
  EXPECT_EQ(p.request.method, "GET");
  EXPECT_EQ(p.request.path(), "/metrics");
  EXPECT_EQ(p.request.header("host"), "h");
  EXPECT_TRUE(p.request.accepts_gzip());
  EXPECT_TRUE(p.request.keep_alive());
  EXPECT_EQ(p.consumed, text.size() - 3);  // the next request's first bytes stay
}

TEST(HttpRequest, EveryPrefixOfAGoodRequestIsIncomplete) {
  std::string text = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  for (size_t n = 0; n < text.size(); ++n)
    EXPECT_EQ(parse_request(text.substr(0, n), limits()).state, State::incomplete) << n;
  auto p = parse_request(text, limits());
  ASSERT_EQ(p.state, State::complete);
  EXPECT_TRUE(p.request.keep_alive());
  EXPECT_FALSE(parse_request("GET / HTTP/1.0\r\n\r\n", limits()).request.keep_alive());
  EXPECT_FALSE(parse_request("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", limits()).request.keep_alive());
}

TEST(HttpRequest, GarbageIsRefusedFromItsFirstBytes) {
  auto p = parse_request(std::string("\x16\x03\x01\x02", 4), limits());  // a TLS hello
  EXPECT_EQ(p.state, State::error);
  EXPECT_EQ(p.status, 400);
  EXPECT_EQ(parse_request("GE\x01", limits()).status, 400);
  EXPECT_EQ(parse_request("GET /a\x7f", limits()).status, 400);
  EXPECT_EQ(parse_request("GET / FTP/", limits()).status, 400);
  EXPECT_EQ(parse_request("GET / HTTP/2.0\r\n", limits()).status, 505);
  EXPECT_EQ(parse_request("GET / HTTP/1.1\r\n folded\r\n\r\n", limits()).status, 400);
}

TEST(HttpRequest, OversizedPartsAreRefusedBeforeTheyEnd) {
  HttpLimits l;
  std::string long_url = "GET /" + std::string(l.max_request_line, 'a');  // no end in sight
  EXPECT_EQ(parse_request(long_url, l).status, 414);
  std::string headers = "GET / HTTP/1.1\r\n";
  while (headers.size() <= l.max_header_bytes) headers += "X-Pad: " + std::string(100, 'p') + "\r\n";
  EXPECT_EQ(parse_request(headers, l).status, 431);
  auto big = parse_request("POST / HTTP/1.1\r\nContent-Length: 10000000\r\n\r\n", l);
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(parse_request("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", l).status, 501);
  EXPECT_EQ(parse_request("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", l).status, 400);
  EXPECT_EQ(parse_request("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", l).status, 400);
}

TEST(HttpRequest, GzipIsOfferedOnlyWhenNotRefused) {
  EXPECT_FALSE(parse_request("GET / HTTP/1.1\r\nAccept-Encoding: gzip;q=0\r\n\r\n", limits()).request.accepts_gzip());
  EXPECT_TRUE(parse_request("GET / HTTP/1.1\r\nAccept-Encoding: br, GZIP;q=0.5\r\n\r\n", limits()).request.accepts_gzip());
  EXPECT_FALSE(parse_request("GET / HTTP/1.1\r\n\r\n", limits()).request.accepts_gzip());
}

TEST(HttpRequest, ResponsesCarryTheirLengthAndGzipRoundTrips) {
  HttpResponse r;
  r.body = "hello";
  std::string head = serialize_response(r, true, true, {{"X-Frame-Options", "deny"}});
  EXPECT_NE(head.find("Content-Length: 5\r\n"), std::string::npos);
  EXPECT_NE(head.find("X-Frame-Options: deny\r\n"), std::string::npos);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");  // HEAD: no body
  std::string body(5000, 'x');
  std::string z = iotrace::gzip(body);
  ASSERT_FALSE(z.empty());
  EXPECT_LT(z.size(), body.size() / 10);
  EXPECT_EQ(iotrace::gunzip(z), body);
  EXPECT_EQ(iotrace::gunzip("not gzip"), "");
}

}  // namespace
