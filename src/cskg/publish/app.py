"""The ASGI application behind `cskg serve`: the SPARQL endpoint and the linked-data site.

One server process (uvicorn) runs this app; queries run in `settings.workers` separate worker
processes (see `cskg.publish.workers`), started when the app starts and stopped with it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from cskg.publish import sparql
from cskg.publish.settings import Settings
from cskg.publish.workers import SparqlService

#: methods that would change something: refused everywhere (the site is read-only)
WRITE_METHODS = frozenset({"PUT", "DELETE", "PATCH"})

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer-when-downgrade"),
    (b"x-frame-options", b"SAMEORIGIN"),
]


class ReadOnlySite:
    """Refuse writes (403) on every path and add a few security headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] in WRITE_METHODS:
            body = (sparql.UPDATE_REFUSAL + "\n").encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                        *SECURITY_HEADERS,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_headers(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings, *, linked_data: bool = True) -> Starlette:
    """The whole site; `linked_data=False` gives the SPARQL endpoint alone."""
    service = SparqlService(
        settings.dist / "store",
        timeout=settings.query_timeout,
        max_rows=settings.max_rows,
        max_nesting=settings.max_nesting,
        workers=settings.workers,
        memory=settings.memory,
    )
    routes = sparql.routes(settings, service)
    if linked_data:
        from cskg.publish.linkeddata import routes as linked_data_routes

        routes += linked_data_routes(settings, service)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(ReadOnlySite)
    app.state.settings = settings
    app.state.sparql = service
    return app
