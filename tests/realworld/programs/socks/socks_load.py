#!/usr/bin/env python3
"""A bounded load through a SOCKS5 proxy: CONNS connections, each negotiated once (no
authentication, CONNECT to TARGET_PORT on 127.0.0.1), then HTTP/1.1 keep-alive GETs of PATH
over it, one at a time, with DELAY_MS between them, for SECS seconds (a lost connection is
negotiated again); prints the requests answered, their mean latency and the connections lost.

Usage: python3 socks_load.py PROXY_PORT TARGET_PORT PATH CONNS DELAY_MS SECS
"""
import socket
import struct
import sys
import threading
import time


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def open_tunnel(proxy_port, target_port):
    s = socket.create_connection(("127.0.0.1", proxy_port))
    s.sendall(b"\x05\x01\x00")
    if recv_exact(s, 2) != b"\x05\x00":
        raise ConnectionError("proxy refused the method")
    s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack(">H", target_port))
    reply = recv_exact(s, 10)
    if reply[1] != 0:
        raise ConnectionError("proxy refused the connect: %d" % reply[1])
    return s


def get(s, path):
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        head += chunk
    header, body = head.split(b"\r\n\r\n", 1)
    length = 0
    for line in header.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        body += chunk


def worker(args, stats, lock):
    proxy_port, target_port, path, delay, end = args
    n, spent, errors, s = 0, 0.0, 0, None
    while time.time() < end:
        try:
            if s is None:
                s = open_tunnel(proxy_port, target_port)
            t0 = time.time()
            get(s, path)
            spent += time.time() - t0
            n += 1
        except OSError as e:
            errors += 1
            if s is not None:
                s.close()
            s = None
        time.sleep(delay)
    if s is not None:
        s.close()
    with lock:
        stats[0] += n
        stats[1] += spent
        stats[2] += errors


def main():
    proxy_port, target_port, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    conns, delay, secs = int(sys.argv[4]), int(sys.argv[5]) / 1000.0, float(sys.argv[6])
    end = time.time() + secs
    stats, lock = [0, 0.0, 0], threading.Lock()
    threads = [threading.Thread(target=worker, args=((proxy_port, target_port, path, delay, end), stats, lock))
               for _ in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    mean = stats[1] / stats[0] * 1000 if stats[0] else 0
    print("%d requests in %.0f s over %d connections, mean latency %.2f ms, %d connections lost"
          % (stats[0], secs, conns, mean, stats[2]))


if __name__ == "__main__":
    main()
