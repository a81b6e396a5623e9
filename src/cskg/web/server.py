"""`cskg serve`: the application on uvicorn, with the connection rules a server facing the
internet needs and uvicorn does not have.

- **A deadline for every request head.** From the moment a connection opens, or a response on it
  is complete, the next request's line and headers must have arrived within `header_timeout`,
  however slowly they trickle in; otherwise the connection is closed. (uvicorn closes kept-alive
  connections that send nothing, but a byte every few seconds keeps them, and a fresh connection
  that sends nothing is kept for ever.)
- **Idle connections give way.** At most `max_connections` are open. A new one beyond the limit
  closes the connection that has waited longest without a request in progress, so a flood of idle
  or slow sockets pushes out its own oldest sockets, not the real clients; only when every open
  connection has a request in progress is the new one refused (503).
- Requests in progress are capped by the application (`app.ReadOnlySite`, `max_requests`), not
  by counting connections, so held sockets never turn real requests into 503s.

Request bodies have their own deadline (`body_timeout`, `sparql.read_body`) and answers are sent
at the client's pace with `send_timeout` per chunk (`sparql.FileAnswer`).
"""

from __future__ import annotations

import asyncio
import copy
import resource
import sys
from collections import OrderedDict
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from cskg.web.settings import Settings

_BUSY = b"every open connection has a request in progress; try again\n"
_REFUSED = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(_BUSY), _BUSY)
)


class GuardedProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a request-head deadline and idle-first eviction.

    `header_timeout`, `max_connections` and `waiting` (the connections without a request in
    progress, oldest first) are set per server by `protocol_for`."""

    header_timeout = 10.0
    max_connections = 1000
    waiting: OrderedDict[GuardedProtocol, None]

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        if len(self.connections) > self.max_connections and not self._evict_one():
            transport.write(_REFUSED)
            transport.close()
            return
        self._follow()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.waiting.pop(self, None)
        self._disarm()

    def _busy(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _follow(self) -> None:
        """Keep `waiting` and the head deadline in step with whether a request is in hand."""
        if self.transport.is_closing():
            return
        if self._busy():
            self.waiting.pop(self, None)
            self._disarm()
        elif self not in self.waiting:
            self.waiting[self] = None
            self._deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        if not self._busy() and not self.transport.is_closing():
            self.transport.close()

    def _evict_one(self) -> bool:
        """Close the connection that has waited longest without a request; False if none."""
        for other in self.waiting:
            if other is not self:
                self.waiting.pop(other)
                other._disarm()
                other.transport.close()
                return True
        return False


def protocol_for(settings: Settings) -> type[GuardedProtocol]:
    """A protocol class holding one server's limits and its own list of waiting connections."""
    attributes: dict[str, Any] = {
        "header_timeout": settings.header_timeout,
        "max_connections": settings.max_connections,
        "waiting": OrderedDict(),
    }
    return type("CskgProtocol", (GuardedProtocol,), attributes)


def raise_open_files_limit(wanted: int) -> None:
    """Let the process hold `wanted` sockets and then some, as far as the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted + 256
    if soft != resource.RLIM_INFINITY and soft < target:
        ceiling = target if hard == resource.RLIM_INFINITY else min(target, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, ceiling), hard))


def serve(settings: Settings, host: str, port: int) -> None:
    """Run the site and endpoint until interrupted."""
    import uvicorn

    from cskg.web.app import create_app

    raise_open_files_limit(settings.max_connections)
    logging = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    logging["loggers"]["cskg.serve"] = {"handlers": ["default"], "level": "INFO"}
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        http=protocol_for(settings),
        workers=1,  # one event loop; the queries run in the worker processes it manages
        proxy_headers=False,  # behind a proxy, --base gives the public origin
        server_header=False,
        limit_concurrency=None,  # requests are capped by the app, connections by the protocol
        timeout_keep_alive=5,
        timeout_graceful_shutdown=5,
        h11_max_incomplete_event_size=64 * 1024,  # request line and headers
        log_level="info",
        log_config=logging,
    )
    uvicorn.Server(config).run()
    sys.stderr.flush()
