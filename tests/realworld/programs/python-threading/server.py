"""A hello server on the standard library's http.server.ThreadingHTTPServer: one new
thread per connection, blocking socket I/O in each (HTTP/1.0, one request per connection).

Usage: python3 server.py PORT
"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = b"hello from ThreadingHTTPServer\n"


class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: server.py PORT")
    with ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Hello) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
