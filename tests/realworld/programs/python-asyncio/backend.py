"""A slow HTTP backend for the asyncio server's sync-client mode: a threaded http.server whose
every answer takes 20 ms.

Usage: python3 backend.py PORT
"""
import http.server
import sys
import time


class Slow(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        time.sleep(0.02)
        body = b"backend\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Slow).serve_forever()
