"""The SPARQL 1.1 Protocol endpoint at `/sparql` (read-only).

- Query by GET (`?query=`), POST form (`application/x-www-form-urlencoded`, `query=`) or POST
  direct (`application/sparql-query`, UTF-8). `default-graph-uri` and `named-graph-uri` (from the
  URL, or from the form body) choose among the store's own graphs and replace the query's FROM /
  FROM NAMED; a graph the store does not hold is empty — nothing is ever fetched.
- Results by `Accept`: SELECT and ASK as SPARQL JSON (default), XML, CSV or TSV; CONSTRUCT and
  DESCRIBE as Turtle (default), N-Triples, JSON-LD or RDF/XML. Nothing acceptable: 406.
- Errors: 400 with the parser's message (syntax), 403 for SPARQL Update (GET or POST, form or
  direct) and for Graph Store writes (PUT, DELETE, PATCH), 413 for a body over the limit (the body
  is counted as it arrives and refused as soon as it is too long), 415 for another Content-Type or
  charset, 503 when the query outlives the timeout or no worker is free.
- Row cap: an answer cut at `max_rows` is still a 200, but never a silent one: the response has
  the header `Cskg-Results-Truncated: <max_rows>`, a SPARQL JSON answer has a top-level member
  `"cskg:truncated": {"limit": <max_rows>, "message": ...}`, and XML and Turtle answers start with
  a comment saying so.
- Without `query`, `/sparql` answers with its service description (SPARQL 1.1 Service
  Description, Turtle by default).
- CORS: GET and POST from any origin (with a preflight answer for POST); nothing else.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from cskg.publish.workers import Answer, QueryRefused, SparqlService
from cskg.store import keywords

if TYPE_CHECKING:
    from cskg.publish.settings import Settings

TRUNCATED_HEADER = "Cskg-Results-Truncated"

#: media types offered, in order of preference (the first is the default)
RESULT_TYPES = [
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
]
#: other names clients use for the same formats
RESULT_ALIASES = {"application/json": RESULT_TYPES[0], "application/xml": RESULT_TYPES[1]}
GRAPH_TYPES = ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]
GRAPH_ALIASES = {
    "application/x-turtle": "text/turtle",
    "application/turtle": "text/turtle",
    "text/plain": "application/n-triples",
    "application/x-json+ld": "application/ld+json",
}

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


class ProtocolError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


# -- content negotiation ----------------------------------------------------------------------


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """`Accept` as (media range, q) pairs; no header means `*/*`."""
    if not header or not header.strip():
        return [("*/*", 1.0)]
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append((media, q))
    return ranges


def negotiate(header: str | None, offered: list[str], aliases: dict[str, str]) -> str | None:
    """The offered media type the client prefers (ties: the server's order), or None."""
    ranges = parse_accept(header)
    best, best_q = None, 0.0
    for media in offered:
        names = [media] + [alias for alias, target in aliases.items() if target == media]
        q, specificity = 0.0, -1
        for accepted, weight in ranges:
            if accepted in names:
                level = 2
            elif accepted.endswith("/*") and media.startswith(accepted[:-1]):
                level = 1
            elif accepted == "*/*":
                level = 0
            else:
                continue
            if level > specificity:
                q, specificity = weight, level
        if q > best_q:
            best, best_q = media, q
    return best


# -- serialisation ----------------------------------------------------------------------------


def _truncation_note(answer: Answer) -> str:
    return (
        f"the answer was cut at this endpoint's limit of {answer.limit} "
        f"{'rows' if answer.kind == 'select' else 'triples'}; refine the query or page it "
        "with LIMIT/OFFSET"
    )


def serialise_results(answer: Answer, media: str) -> bytes:
    from cskg.results import format_csv, format_sparql_xml, format_tsv, sparql_json

    if media == "application/sparql-results+json":
        doc = sparql_json(answer)
        if answer.truncated:
            doc["cskg:truncated"] = {"limit": answer.limit, "message": _truncation_note(answer)}
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")
    if media == "application/sparql-results+xml":
        text = format_sparql_xml(answer)
        if answer.truncated:
            declaration, _, rest = text.partition("\n")
            text = f"{declaration}\n<!-- {_truncation_note(answer)} -->\n{rest}"
        return text.encode("utf-8")
    if answer.kind == "ask":  # CSV/TSV define no boolean form; the usual one-cell table
        value = "true" if answer.boolean else "false"
        if media == "text/csv":
            return f"_askResult\r\n{value}\r\n".encode()
        return f"?_askResult\n{value}\n".encode()
    if media == "text/csv":
        return format_csv(answer).encode("utf-8")
    return format_tsv(answer).encode("utf-8")


def serialise_graph(answer: Answer, media: str) -> bytes:
    import pyoxigraph as ox

    from cskg.results import PREFIXES, _to_ox

    triples = [ox.Triple(*(_to_ox(t) for t in triple)) for triple in answer.triples]
    if media == "application/n-triples":
        data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    elif media == "application/ld+json":
        data = ox.serialize(triples, format=ox.RdfFormat.JSON_LD) or b"[]"
    elif media == "application/rdf+xml":
        data = ox.serialize(triples, format=ox.RdfFormat.RDF_XML) or b""
    else:
        used = {t.value for triple in answer.triples for t in triple if t.kind == "iri"}
        prefixes = {p: ns for p, ns in PREFIXES.items() if any(i.startswith(ns) for i in used)}
        data = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes) or b""
    if answer.truncated and media in ("text/turtle", "application/n-triples"):
        data = f"# {_truncation_note(answer)}\n".encode() + data
    return data


def _guess_kind(query: str) -> str:
    """ "graph" for CONSTRUCT/DESCRIBE, "results" otherwise (the parser has the last word)."""
    for word in keywords(query):
        if word in ("CONSTRUCT", "DESCRIBE"):
            return "graph"
        if word in ("SELECT", "ASK"):
            return "results"
    return "results"


# -- the request ------------------------------------------------------------------------------


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is longer than `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise ProtocolError(400, "invalid Content-Length") from None
        if length > limit:
            raise ProtocolError(413, f"the request body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ProtocolError(413, f"the request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


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


async def parse_request(request: Request, max_body: int) -> Operation:
    operation = Operation()
    operation.take(list(request.query_params.multi_items()))
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
        body = await read_body(request, max_body)
        if media == "application/sparql-query":
            operation.queries.append(_utf8(body, "the query"))
        else:
            text = _utf8(body, "the form")
            try:
                pairs = urllib.parse.parse_qsl(
                    text, keep_blank_values=True, strict_parsing=False, errors="strict"
                )
            except UnicodeDecodeError:
                raise ProtocolError(415, "the form is not UTF-8") from None
            operation.take(pairs)
    if operation.updates:
        raise ProtocolError(403, UPDATE_REFUSAL)
    if len(operation.queries) > 1:
        raise ProtocolError(400, "give exactly one query (the request has several)")
    return operation


# -- service description ----------------------------------------------------------------------

FORMATS = "http://www.w3.org/ns/formats/"


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
@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix void: <http://rdfs.org/ns/void#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<{endpoint}> a sd:Service ;
    rdfs:label "cskg SPARQL endpoint (read-only)"@en ;
    sd:endpoint <{endpoint}> ;
    sd:supportedLanguage sd:SPARQL11Query ;
    sd:feature sd:UnionDefaultGraph ;
    sd:resultFormat {formats} ;
    rdfs:comment \"\"\"Read-only: SPARQL Update is refused (403). The default graph is the merge of
the named graphs (a triple several graphs state is in it once); default-graph-uri and
named-graph-uri select among the store's own graphs.
SERVICE is refused. A query may run {settings.query_timeout:g} s (then 503); answers are cut at
{settings.max_rows} rows or triples (header {TRUNCATED_HEADER}); request bodies are limited to
{settings.max_body} bytes (413); brackets may nest {settings.max_nesting} deep (400).\"\"\"@en ;
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
    media = negotiate(accept, GRAPH_TYPES, GRAPH_ALIASES)
    if media is None:
        if "text/html" not in (accept or ""):
            raise ProtocolError(
                406, "the service description is Turtle, N-Triples, JSON-LD or RDF/XML"
            )
        media = "text/turtle"  # a browser: show the Turtle
    if media == "text/turtle":
        data = text.encode("utf-8")
    else:
        fmt = {
            "application/n-triples": ox.RdfFormat.N_TRIPLES,
            "application/ld+json": ox.RdfFormat.JSON_LD,
            "application/rdf+xml": ox.RdfFormat.RDF_XML,
        }[media]
        data = ox.serialize(ox.parse(text, format=ox.RdfFormat.TURTLE), format=fmt) or b""
    return Response(data, media_type=_with_charset(media), headers={"Vary": "Accept"})


def _with_charset(media: str) -> str:
    if media.startswith("text/") or media.endswith("json") or media.endswith("xml"):
        return f"{media}; charset=utf-8"
    return media


# -- the endpoint -----------------------------------------------------------------------------


def endpoint(settings: Settings, service: SparqlService) -> Callable[[Request], object]:
    async def sparql(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=PREFLIGHT_HEADERS)
        try:
            response = await _answer(request, settings, service)
        except ProtocolError as error:
            response = PlainTextResponse(
                error.message + "\n", status_code=error.status, headers=error.headers
            )
        except QueryRefused as error:
            response = PlainTextResponse(str(error) + "\n", status_code=error.status)
        response.headers.update(CORS_HEADERS)
        return response

    return sparql


async def _answer(request: Request, settings: Settings, service: SparqlService) -> Response:
    if request.method in ("PUT", "DELETE", "PATCH"):
        raise ProtocolError(403, UPDATE_REFUSAL)
    operation = await parse_request(request, settings.max_body)
    if not operation.queries:
        return _service_description_response(request, settings)
    query = operation.queries[0]
    if not query.strip():
        raise ProtocolError(400, "the query is empty")
    accept = request.headers.get("accept")
    offered, aliases = (
        (GRAPH_TYPES, GRAPH_ALIASES)
        if _guess_kind(query) == "graph"
        else (RESULT_TYPES, RESULT_ALIASES)
    )
    if negotiate(accept, offered, aliases) is None:
        raise ProtocolError(406, f"this query's results are available as {', '.join(offered)}")
    answer = await service.query(
        query,
        default_graphs=operation.default_graphs or None,
        named_graphs=operation.named_graphs or None,
        base_iri=str(request.url.replace(query="")),
    )
    if answer.kind == "graph":
        media = negotiate(accept, GRAPH_TYPES, GRAPH_ALIASES)
        if media is None:
            raise ProtocolError(
                406, f"this query's results are available as {', '.join(GRAPH_TYPES)}"
            )
        body = serialise_graph(answer, media)
    else:
        media = negotiate(accept, RESULT_TYPES, RESULT_ALIASES)
        if media is None:
            raise ProtocolError(
                406, f"this query's results are available as {', '.join(RESULT_TYPES)}"
            )
        body = serialise_results(answer, media)
    headers = {"Vary": "Accept", "Cache-Control": "no-store"}
    if answer.truncated:
        headers[TRUNCATED_HEADER] = str(answer.limit)
    if request.method == "HEAD":
        body = b""
    return Response(body, media_type=_with_charset(media), headers=headers)


def routes(settings: Settings, service: SparqlService) -> list[BaseRoute]:
    return [
        Route(
            "/sparql",
            endpoint(settings, service),
            methods=["GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"],
            name="sparql",
        )
    ]
