# A small HTTP/1.1 keep-alive server on asyncio, for the compatibility tests: the same code runs on
# the standard event loop or, with --uvloop, on uvloop (libuv). Routes: / answers "hello", /resolve
# resolves localhost through the loop (a thread pool, or libuv's uv_getaddrinfo on uvloop),
# /block?ms=N runs slow_checksum on the loop for N ms. Usage: asyncio_http.py PORT [--uvloop]
import asyncio
import signal
import socket
import sys
import time


def slow_checksum(ms):
    """CPU on the loop thread for ms milliseconds: what blocks an event loop."""
    end = time.monotonic() + ms / 1000
    h = 0
    while time.monotonic() < end:
        for i in range(1000):
            h = (h * 31 + i) & 0xFFFFFFFF
    return h


async def answer(loop, target):
    path, _, query = target.partition("?")
    if path == "/":
        return 200, b"hello\n"
    if path == "/resolve":
        infos = await loop.getaddrinfo("localhost", 80, family=socket.AF_INET, type=socket.SOCK_STREAM)
        return 200, ("%s\n" % sorted({i[4][0] for i in infos})).encode()
    if path == "/block":
        ms = int(query.partition("ms=")[2] or "0")
        slow_checksum(ms)
        return 200, b"blocked %d ms\n" % ms
    return 404, b"not found\n"


async def serve_client(reader, writer):
    loop = asyncio.get_running_loop()
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
            status, body = await answer(loop, target)
            reason = "OK" if status == 200 else "Not Found"
            writer.write(b"HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
                         % (status, reason.encode(), len(body), body if method != "HEAD" else b""))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set_result, None)
    server = await asyncio.start_server(serve_client, "127.0.0.1", port)
    print("listening on %d (%s)" % (port, type(loop).__module__.split(".")[0]), flush=True)
    await stop
    server.close()
    await server.wait_closed()
    print("bye", flush=True)


if __name__ == "__main__":
    if "--uvloop" in sys.argv[2:]:
        import uvloop
        uvloop.install()
    asyncio.run(main(int(sys.argv[1])))
