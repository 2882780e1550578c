#!/usr/bin/env python3
"""N keep-alive HTTP/1.1 GETs, one after the other on one connection (one request per server poll:
a deterministic load for instruction counts). Usage: http_seq.py PORT N [PATH]"""
import socket
import sys


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: http_seq.py PORT N [PATH]")
    port, n = int(sys.argv[1]), int(sys.argv[2])
    path = sys.argv[3] if len(sys.argv) == 4 else "/"
    req = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    s = socket.create_connection(("127.0.0.1", port))
    buf = b""
    for _ in range(n):
        s.sendall(req)
        while True:
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                head = buf[:end].decode("latin-1").lower().split("\r\n")
                if not head[0].startswith("http/1.1 200"):
                    sys.exit(f"http_seq: {head[0]}")
                length = next((int(h.split(":", 1)[1]) for h in head if h.startswith("content-length:")), 0)
                if len(buf) >= end + 4 + length:
                    buf = buf[end + 4 + length:]
                    break
            data = s.recv(65536)
            if not data:
                sys.exit("http_seq: the server closed the connection")
            buf += data


if __name__ == "__main__":
    main()
