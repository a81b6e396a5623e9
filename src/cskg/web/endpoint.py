"""The SPARQL 1.1 Protocol endpoint at `/sparql` (read-only).

- Query by GET (`?query=`), POST form (`application/x-www-form-urlencoded`, `query=`) or POST
  direct (`application/sparql-query`, UTF-8). `default-graph-uri` and `named-graph-uri` (from the
  URL, or from the form body) choose among the store's own graphs and replace the query's FROM /
  FROM NAMED; a graph the store does not hold is empty — nothing is ever fetched. A
  percent-escape that is not UTF-8 is refused (400), never run with U+FFFD in its place.
- Results by `Accept` (`cskg.web.negotiation`): SELECT and ASK as SPARQL JSON (default), XML,
  CSV or TSV; CONSTRUCT and DESCRIBE as Turtle (default), N-Triples, JSON-LD or RDF/XML. The
  negotiation happens here, the writing in the worker that ran the query, which knows the kind of
  the answer: nothing acceptable for it, or a format that cannot carry it (XML and a control
  character), is 406.
- Errors: 400 with the parser's message (syntax), nesting too deep or SERVICE; 403 for SPARQL
  Update (GET or POST, form or direct) and for Graph Store writes (PUT, DELETE, PATCH); 408 for a
  body that does not arrive within `body_timeout`; 413 for a body over the limit (counted as it
  arrives and refused as soon as it is too long); 415 for another Content-Type or charset; 503
  when the query outlives the timeout or no worker is free; 507 when it needs more memory than a
  worker may have; 500 when its worker crashed.
- Limits on the answer: at most `max_rows` rows or triples and `max_bytes` bytes. A cut answer is
  still a 200, but never a silent one: the header `Cskg-Results-Truncated: <rows returned>`, a
  top-level member `"cskg:truncated": {"limit": <rows returned>, "reason": "rows"|"bytes", ...}`
  in SPARQL JSON, and a closing comment in XML, Turtle and N-Triples.
- Without `query`, `/sparql` answers with its service description (SPARQL 1.1 Service
  Description, Turtle by default).
- CORS: GET and POST from any origin (with a preflight answer for POST); nothing else.
- A browser (a GET whose Accept prefers HTML to every answer format, as a link followed by a
  browser) gets the query page instead, with `query` run on it; with `format=NAME` as well (a
  name of `DOWNLOADS`: a link cannot set Accept) it gets the answer in that format, to save.
  Every other client gets the protocol above, `format` ignored (SPARQLWrapper sends
  `format=json`).
"""

from __future__ import annotations

import asyncio
import os
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable
from typing import IO, TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from cskg.query.results import RESULT_FORMATS, RESULTS_WRITERS
from cskg.vocab import DCTERMS, FORMATS, RDFS, SD, VOID, XSD
from cskg.web.answer import GRAPH_TYPES, graph_format
from cskg.web.negotiation import Offer, negotiate
from cskg.web.workers import QueryRefused, SparqlService

if TYPE_CHECKING:
    from cskg.web.settings import Settings

TRUNCATED_HEADER = "Cskg-Results-Truncated"

#: other names clients use for the result formats and the graph formats
RESULT_ALIASES = {"application/json": "application/sparql-results+json"} | {
    "application/xml": "application/sparql-results+xml"
}
GRAPH_ALIASES = {
    "application/x-turtle": "text/turtle",
    "application/turtle": "text/turtle",
    "text/plain": "application/n-triples",
    "application/x-json+ld": "application/ld+json",
}


def _offer(types: Iterable[str], aliases: dict[str, str]) -> Offer:
    return [(media, [media, *(a for a, t in aliases.items() if t == media)]) for media in types]


#: what the endpoint offers, in its order of preference (the first is the default)
RESULT_OFFER = _offer(RESULTS_WRITERS, RESULT_ALIASES)
GRAPH_OFFER = _offer(GRAPH_TYPES, GRAPH_ALIASES)
#: the query page offered after every answer format: only a client that prefers HTML to all of
#: them gets it (`*/*` and no Accept keep the SPARQL JSON default)
BROWSER_OFFER = [*RESULT_OFFER, *GRAPH_OFFER, ("html", ["text/html", "application/xhtml+xml"])]
#: the formats a browser's `format=NAME` may name: those of `RESULT_FORMATS` the endpoint serves
DOWNLOADS = {
    name: fmt
    for name, fmt in RESULT_FORMATS.items()
    if fmt.streaming is not None or fmt.media in GRAPH_TYPES
}

#: the query page with a query run on it (`cskg.web.linkeddata`), for browsers
BrowserPage = Callable[[str], Awaitable[Response]]

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": TRUNCATED_HEADER,
}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST",
    "Access-Control-Allow-Headers": "Accept, Content-Type",
    "Access-Control-Max-Age": "86400",
}

UPDATE_REFUSAL = "this endpoint is read-only: SPARQL Update and Graph Store writes are refused"
#: bytes of an answer sent at a time
CHUNK = 64 * 1024


class ProtocolError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


# -- the request ------------------------------------------------------------------------------


async def read_body(request: Request, limit: int, timeout: float) -> bytes:
    """The request body, refused with 413 as soon as it is longer than `limit` bytes, and with
    408 when it has not all arrived `timeout` seconds after the headers."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise ProtocolError(400, "invalid Content-Length") from None
        if length > limit:
            raise ProtocolError(413, f"the request body is larger than {limit} bytes")

    async def receive() -> bytes:
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ProtocolError(413, f"the request body is larger than {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    try:
        return await asyncio.wait_for(receive(), timeout)
    except TimeoutError:
        raise ProtocolError(
            408, f"the request body did not arrive within {timeout:g} s", {"Connection": "close"}
        ) from None


def _media_type(header: str | None) -> tuple[str, dict[str, str]]:
    if not header:
        return "", {}
    media, *params = header.split(";")
    parsed = {}
    for param in params:
        name, _, value = param.partition("=")
        parsed[name.strip().lower()] = value.strip().strip('"').lower()
    return media.strip().lower(), parsed


def _utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(415, f"{what} is not UTF-8") from None


def form_pairs(encoded: str, what: str) -> list[tuple[str, str]]:
    """`name=value&...` decoded strictly: a percent-escape that is not UTF-8 is refused (400),
    never replaced by U+FFFD and run as another query."""
    try:
        return urllib.parse.parse_qsl(
            encoded, keep_blank_values=True, encoding="utf-8", errors="strict"
        )
    except UnicodeDecodeError:
        raise ProtocolError(400, f"{what} has a percent-escape that is not UTF-8") from None


class Operation:
    """What one protocol request asks for: a query and its dataset, or an update."""

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.updates: list[str] = []
        self.default_graphs: list[str] = []
        self.named_graphs: list[str] = []

    def take(self, pairs: list[tuple[str, str]]) -> None:
        for name, value in pairs:
            if name == "query":
                self.queries.append(value)
            elif name == "update":
                self.updates.append(value)
            elif name == "default-graph-uri":
                self.default_graphs.append(value)
            elif name == "named-graph-uri":
                self.named_graphs.append(value)


async def parse_request(request: Request, settings: Settings) -> Operation:
    operation = Operation()
    operation.take(form_pairs(request.scope["query_string"].decode("latin-1"), "the URL"))
    if request.method == "POST":
        media, params = _media_type(request.headers.get("content-type"))
        charset = params.get("charset", "utf-8")
        if media == "application/sparql-update":
            raise ProtocolError(403, UPDATE_REFUSAL)
        if media not in ("application/x-www-form-urlencoded", "application/sparql-query"):
            raise ProtocolError(
                415,
                "POST a query as application/x-www-form-urlencoded (query=...) or as "
                f"application/sparql-query, not {media or 'a body without Content-Type'}",
            )
        if charset not in ("utf-8", "utf8"):
            raise ProtocolError(415, f"the query must be UTF-8, not {charset}")
        body = await read_body(request, settings.max_body, settings.body_timeout)
        if media == "application/sparql-query":
            operation.queries.append(_utf8(body, "the query"))
        else:
            operation.take(form_pairs(_utf8(body, "the form"), "the form"))
    if operation.updates:
        raise ProtocolError(403, UPDATE_REFUSAL)
    if len(operation.queries) > 1:
        raise ProtocolError(400, "give exactly one query (the request has several)")
    return operation


# -- service description ----------------------------------------------------------------------


def service_description(endpoint: str, settings: Settings) -> str:
    formats = ", ".join(
        f"<{FORMATS}{name}>"
        for name in (
            "SPARQL_Results_JSON",
            "SPARQL_Results_XML",
            "SPARQL_Results_CSV",
            "SPARQL_Results_TSV",
            "Turtle",
            "N-Triples",
            "JSON-LD",
            "RDF_XML",
        )
    )
    dataset = settings.base.rstrip("/") + "/dataset"
    return f"""\
@prefix sd: <{SD}> .
@prefix void: <{VOID}> .
@prefix dcterms: <{DCTERMS}> .
@prefix rdfs: <{RDFS}> .
@prefix xsd: <{XSD}> .

<{endpoint}> a sd:Service ;
    rdfs:label "cskg SPARQL endpoint (read-only)"@en ;
    sd:endpoint <{endpoint}> ;
    sd:supportedLanguage sd:SPARQL11Query ;
    sd:feature sd:UnionDefaultGraph ;
    sd:resultFormat {formats} ;
    rdfs:comment \"\"\"Read-only: SPARQL Update is refused (403). The default graph is the merge of
the named graphs (a triple several graphs state is in it once); default-graph-uri and
named-graph-uri select among the store's own graphs.
SERVICE is refused. A query may run {settings.query_timeout:g} s (then 503) in
{settings.max_memory or "unlimited"} bytes of memory (then 507); answers are cut at
{settings.max_rows} rows or triples or {settings.max_bytes} bytes (header {TRUNCATED_HEADER});
request bodies are limited to {settings.max_body} bytes (413); brackets may nest
{settings.max_nesting} deep (400).\"\"\"@en ;
    sd:defaultDataset [
        a sd:Dataset ;
        dcterms:source <{dataset}> ;
        sd:defaultGraph [ a sd:Graph ]
    ] .

<{dataset}> a void:Dataset ; void:sparqlEndpoint <{endpoint}> .
"""


def _service_description_response(request: Request, settings: Settings) -> Response:
    import pyoxigraph as ox

    endpoint = str(request.url.replace(query=""))
    text = service_description(endpoint.rstrip("?"), settings)
    accept = request.headers.get("accept")
    media = negotiate(accept, GRAPH_OFFER)
    if media is None:
        if "text/html" not in (accept or ""):
            raise ProtocolError(
                406, "the service description is Turtle, N-Triples, JSON-LD or RDF/XML"
            )
        media = "text/turtle"  # a browser: show the Turtle
    if media == "text/turtle":
        data = text.encode("utf-8")
    else:
        parsed = ox.parse(text, format=ox.RdfFormat.TURTLE)
        data = ox.serialize(parsed, format=graph_format(media)) or b""
    return Response(data, media_type=_with_charset(media), headers={"Vary": "Accept"})


def _with_charset(media: str) -> str:
    if media.startswith("text/") or media.endswith("json") or media.endswith("xml"):
        return f"{media}; charset=utf-8"
    return media


# -- the answer -------------------------------------------------------------------------------


class FileAnswer(Response):
    """An answer a worker wrote into a file, sent a chunk at a time at the client's pace.

    A client that takes no chunk for `send_timeout` seconds is cut off. Whatever happens the
    file is closed and its bytes given back to the service's count of waiting answers."""

    def __init__(
        self,
        out: IO[bytes],
        size: int,
        headers: dict[str, str],
        media: str,
        service: SparqlService,
        send_timeout: float,
    ) -> None:
        self.out, self.size, self.service, self.send_timeout = out, size, service, send_timeout
        self.status_code, self.media_type, self.background = 200, media, None
        self.init_headers({**headers, "Content-Length": str(size)})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            offset = 0 if scope["method"] != "HEAD" else self.size
            while offset < self.size:
                chunk = os.pread(self.out.fileno(), CHUNK, offset)
                if not chunk:
                    break
                offset += len(chunk)
                more = offset < self.size
                message = {"type": "http.response.body", "body": chunk, "more_body": more}
                await asyncio.wait_for(send(message), self.send_timeout)
            if offset >= self.size and (scope["method"] == "HEAD" or self.size == 0):
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except (TimeoutError, OSError):
            pass  # the client stopped reading or went away; the server closes the connection
        finally:
            self.out.close()
            self.service.release_bytes(self.size)


# -- the endpoint -----------------------------------------------------------------------------


def endpoint(
    settings: Settings, service: SparqlService, page: BrowserPage | None = None
) -> Callable[[Request], object]:
    async def sparql(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=PREFLIGHT_HEADERS)
        try:
            response = await _answer(request, settings, service, page)
        except ProtocolError as error:
            response = PlainTextResponse(
                error.message + "\n", status_code=error.status, headers=error.headers
            )
        except QueryRefused as error:
            response = PlainTextResponse(str(error) + "\n", status_code=error.status)
        response.headers.update(CORS_HEADERS)
        return response

    return sparql


async def _answer(
    request: Request, settings: Settings, service: SparqlService, page: BrowserPage | None
) -> Response:
    if request.method in ("PUT", "DELETE", "PATCH"):
        raise ProtocolError(403, UPDATE_REFUSAL)
    operation = await parse_request(request, settings)
    accept = request.headers.get("accept")
    browser = request.method in ("GET", "HEAD") and negotiate(accept, BROWSER_OFFER) == "html"
    if page is not None and browser:
        return await _for_browser(request, settings, service, operation, page)
    if not operation.queries:
        return _service_description_response(request, settings)
    query = operation.queries[0]
    if not query.strip():
        raise ProtocolError(400, "the query is empty")
    media = {"results": negotiate(accept, RESULT_OFFER), "graph": negotiate(accept, GRAPH_OFFER)}
    if media["results"] is None and media["graph"] is None:
        raise ProtocolError(
            406,
            "this endpoint's answers are available as "
            f"{', '.join(RESULTS_WRITERS)} (SELECT, ASK) and {', '.join(GRAPH_TYPES)} "
            "(CONSTRUCT, DESCRIBE)",
        )
    return await _run(request, settings, service, operation, media)


async def _for_browser(
    request: Request,
    settings: Settings,
    service: SparqlService,
    operation: Operation,
    page: BrowserPage,
) -> Response:
    """A browser's GET: the query page with the query run on it, or with `format=NAME` the
    answer in that format as a file to save (within the same limits as any other answer)."""
    query = operation.queries[0] if operation.queries else ""
    url = form_pairs(request.scope["query_string"].decode("latin-1"), "the URL")
    names = [value for name, value in url if name == "format"]
    if not names:
        response = await page(query)
        response.headers["Vary"] = "Accept"
        return response
    fmt = DOWNLOADS.get(names[0])
    if fmt is None:
        raise ProtocolError(400, f"format is one of {', '.join(DOWNLOADS)}, not {names[0]!r}")
    if not query.strip():
        raise ProtocolError(400, "the query is empty")
    graph = fmt.media in GRAPH_TYPES
    media = {"results": None if graph else fmt.media, "graph": fmt.media if graph else None}
    response = await _run(request, settings, service, operation, media)
    response.headers["Content-Disposition"] = f'attachment; filename="answer{fmt.extension}"'
    return response


async def _run(
    request: Request,
    settings: Settings,
    service: SparqlService,
    operation: Operation,
    media: dict[str, str | None],
) -> Response:
    """The query of `operation` run by a worker, its answer in `media` sent from its file."""
    header, out = await service.run(
        operation.queries[0],
        media,
        default_graphs=operation.default_graphs or None,
        named_graphs=operation.named_graphs or None,
        base_iri=str(request.url.replace(query="")),
    )
    headers = {"Vary": "Accept", "Cache-Control": "no-store"}
    if header.get("truncated"):
        headers[TRUNCATED_HEADER] = str(header["truncated"]["limit"])
    return FileAnswer(
        out,
        header["bytes"],
        headers,
        _with_charset(header["media"]),
        service,
        settings.send_timeout,
    )


def routes(
    settings: Settings, service: SparqlService, page: BrowserPage | None = None
) -> list[BaseRoute]:
    """`/sparql`; `page` gives browsers the query page (without it: the protocol to everyone)."""
    return [
        Route(
            "/sparql",
            endpoint(settings, service, page),
            methods=["GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"],
            name="sparql",
        )
    ]
