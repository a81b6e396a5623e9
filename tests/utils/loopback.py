"""Servers on loopback for tests: an HTTP server with a handler of the test's own, and a bare TCP
listener that records what it is sent (to prove that nothing reaches the network)."""

from __future__ import annotations

import http.client
import http.server
import socket
import socketserver
import threading
import urllib.parse
from collections.abc import Callable
from typing import Self


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gives up or resets a connection mid-answer: expected in tests


class LoopbackHTTPServer:
    """A threaded HTTP server on a free loopback port, serving `handler` from `start()` (or in a
    `with` block) until `close()`; `url` is its origin (no trailing slash)."""

    def __init__(self, handler: Callable[..., socketserver.BaseRequestHandler]) -> None:
        self.server = _QuietServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Self:
        self.thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


class Listener:
    """A loopback TCP listener that records every connection it gets (its first bytes)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(1)
            try:
                self.received.append(conn.recv(65536))
            except OSError:
                self.received.append(b"")
            conn.close()

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.sock.close()


def plain_request(
    url: str, path: str, accept: str | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    """One plain HTTP request to the server at `url`: redirects not followed, `path` sent as is
    (no normalisation); its status, headers (lower-cased names) and body."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request(method, path, headers={"Accept": accept} if accept is not None else {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body
