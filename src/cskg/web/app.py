"""The ASGI application behind `cskg serve`: the SPARQL endpoint and the linked-data site.

One server process (uvicorn) runs this app; queries run in `settings.workers` separate worker
processes (see `cskg.web.workers`), started when the app starts and stopped with it.

One release per answer: the app pins the release it starts with (`cskg.outdir.pin_release`) and
serves every page, query and dump from that one until it stops, even when a build replaces the
release folder meanwhile (the build then keeps the pinned release aside, and the server deletes
it when it stops). A newer release is logged once; restarting the server serves it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager, suppress
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from cskg.outdir import PinnedRelease, pin_release
from cskg.web import endpoint
from cskg.web.settings import Settings
from cskg.web.workers import SparqlService, WorkerSpec

log = logging.getLogger("cskg.serve")

#: methods that would change something: refused everywhere (the site is read-only)
WRITE_METHODS = frozenset({"PUT", "DELETE", "PATCH"})

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer-when-downgrade"),
    (b"x-frame-options", b"SAMEORIGIN"),
]

#: the inline styles a page may hold: the two `<style>` elements YASR's result table inserts
#: (column-resizer's layout, and its cursor while a column is dragged), allowed by the hashes of
#: their fixed texts, so that no other inline style is (tests/test_workbench.py finds both texts
#: in the vendored yasgui.min.js and draws the table in Chromium without a violation)
YASR_STYLES = (
    "sha256-zCK2EVMoPc04mRF/g5CotUvxbJPWS+8V0b+s9ptqQIk=",
    "sha256-c0O6TmFAkgpNbHxKAa1BrveWHHopjEtC47i0PzMudxg=",
)
#: what a page of the site may load and do: the site's own files, nothing from elsewhere
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": " ".join(["'self'", *(f"'{digest}'" for digest in YASR_STYLES)]),
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "frame-ancestors": "'self'",
    "base-uri": "'none'",
    "form-action": "'self'",
}


def content_security_policy(*, meta: bool = False) -> str:
    """The policy as a header's value, or (`meta`) for a `<meta http-equiv>` where no header can
    be set (`cskg publish`): a meta element cannot carry frame-ancestors."""
    return "; ".join(
        f"{name} {value}"
        for name, value in CONTENT_SECURITY_POLICY.items()
        if not (meta and name == "frame-ancestors")
    )


#: added to every HTML response
HTML_HEADERS = [(b"content-security-policy", content_security_policy().encode())]


async def _plain(send: Send, status: int, text: str) -> None:
    body = (text + "\n").encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class ReadOnlySite:
    """Refuse writes (403) on every path, cap the requests in progress (503 beyond
    `max_requests`), and add a few security headers to every response (and the
    Content-Security-Policy to every page)."""

    def __init__(self, app: ASGIApp, max_requests: int) -> None:
        self.app, self.max_requests, self.in_progress = app, max_requests, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] in WRITE_METHODS:
            await _plain(send, 403, endpoint.UPDATE_REFUSAL)
            return
        if self.in_progress >= self.max_requests:
            await _plain(send, 503, "the server has too many requests in progress; try again")
            return

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = {name.lower(): value for name, value in message.get("headers", [])}
                html = headers.get(b"content-type", b"").startswith(b"text/html")
                wanted = SECURITY_HEADERS + HTML_HEADERS if html else SECURITY_HEADERS
                extra = [(n, v) for n, v in wanted if n not in headers]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        self.in_progress += 1
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            self.in_progress -= 1


async def _watch(pin: PinnedRelease, every: float = 1.0) -> None:
    """Log once when a build has put a newer release where the pinned one was."""

    def same() -> bool:
        try:
            return os.path.samestat(os.stat(pin.folder), os.fstat(pin.fd))
        except OSError:
            return False

    while same():
        await asyncio.sleep(every)
    log.warning(
        "a newer release is in %s; this server keeps serving the one it started with until it "
        "is restarted",
        pin.folder,
    )


def create_app(settings: Settings, *, linked_data: bool = True) -> Starlette:
    """The whole site; `linked_data=False` gives the SPARQL endpoint alone."""
    pin = pin_release(settings.dist)
    pinned = dataclasses.replace(settings, dist=pin.path())
    service = SparqlService(
        WorkerSpec(pin.path(), pin.fd, settings.max_memory, settings.memory),
        timeout=settings.query_timeout,
        max_rows=settings.max_rows,
        max_bytes=settings.max_bytes,
        max_nesting=settings.max_nesting,
        workers=settings.workers,
        queue_timeout=settings.queue_timeout,
    )
    if linked_data:  # browsers at /sparql get its query page
        from cskg.web.linkeddata import LinkedData

        site = LinkedData(pinned, service)
        routes = endpoint.routes(pinned, service, site.answer_page) + site.routes()
    else:
        routes = endpoint.routes(pinned, service)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await service.start()
        for what, how in service.pool.confinement.items():
            log.info("query workers: %s: %s", what, how)
        watcher = asyncio.ensure_future(_watch(pin))
        try:
            yield
        finally:
            watcher.cancel()
            with suppress(asyncio.CancelledError):
                await watcher
            await service.close()
            pin.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    if linked_data:  # each page in the language the request asks for
        from cskg.web.linkeddata import PageLanguage

        app.add_middleware(PageLanguage)
    app.add_middleware(ReadOnlySite, max_requests=settings.max_requests)
    app.state.settings = pinned
    app.state.sparql = service
    app.state.pin = pin
    return app
