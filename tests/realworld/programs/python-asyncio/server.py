"""A minimal HTTP/1.1 keep-alive server on the standard library's asyncio (one event loop,
asyncio.start_server).

Usage: python3 server.py correct|blocking PORT
       python3 server.py sync-client PORT BACKEND_PORT
  correct:     the handler never blocks the loop.
  blocking:    every 10th request calls time.sleep(0.03) in the handler, on the loop thread
               (the bug: a blocking call on the event loop).
  sync-client: every request makes a synchronous HTTP call (urllib, no timeout: a blocking
               socket) to a backend that answers in 20 ms, on the loop thread.
"""
import asyncio
import sys
import time
import urllib.request

BODY = b"hello from asyncio\n"
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
            + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)
CLOSE_RESPONSE = RESPONSE.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)

requests = 0


backend = None


def call_backend():
    with urllib.request.urlopen(backend) as r:
        return r.read()


async def handle(reader, writer, blocking):
    global requests
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                break
            requests += 1
            if blocking and requests % 10 == 0:
                time.sleep(0.03)
            if backend:
                call_backend()
            close = b"\r\nconnection: close" in head.lower()
            writer.write(CLOSE_RESPONSE if close else RESPONSE)
            await writer.drain()
            if close:
                break
    finally:
        writer.close()


async def main(mode, port):
    blocking = mode == "blocking"
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, blocking), "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "sync-client":
        backend = "http://127.0.0.1:%s/" % sys.argv[3]
    elif len(sys.argv) == 4 and sys.argv[1] == "sync-client-dns":
        # as sync-client, but the backend is named: every call resolves backend.test with
        # getaddrinfo, which asks the resolver of /etc/resolv.conf (not in /etc/hosts)
        backend = "http://backend.test:%s/" % sys.argv[3]
    elif len(sys.argv) != 3 or sys.argv[1] not in ("correct", "blocking"):
        sys.exit("usage: server.py correct|blocking PORT | sync-client|sync-client-dns PORT BACKEND_PORT")
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
