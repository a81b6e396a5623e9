"""Dereferenceable IRIs and HTML pages of `cskg serve`.

URL scheme ("Cool URIs for the Semantic Web", 303 URIs forwarding to different documents):

- a resource IRI `https://w3id.org/cskg/id/agency/miit` is served at `/id/agency/miit`, which
  answers `303 See Other` (with `Vary: Accept`) to one of its documents
  `/id/agency/miit.html`, `.ttl`, `.jsonld`, `.nt`, `.rdf`, `.trig`, `.nq`, chosen by the
  Accept header; the same for `/graph/...` (evidence sentences, named graphs) and `/ontology`
  (whose terms are `/ontology#Term`: the fragment stays with the client);
- an Accept header that none of the formats satisfies gets `406` with the list of documents;
  no Accept header, or `*/*`, gets HTML;
- an IRI that the release does not mention, or a path that is not a plain slug path (dot
  segments, encoded dots, other characters), gets 404; no path is ever mapped to a file,
  except the fixed list of dumps.

The same document paths are the files of the static site (`cskg publish`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from cskg.errors import CskgError
from cskg.vocab import BASE, DCAT, DCTERMS, ONTOLOGY, RDF_TYPE, VOID
from cskg.web.endpoint import ProtocolError, form_pairs, read_body
from cskg.web.pages import (
    FORMATS,
    PAGES,
    QUERY,
    SAFE_PATH,
    Linker,
    NotFound,
    Page,
    ReleaseView,
    TermView,
    document_page,
    environment,
    links,
    literal_view,
    negotiate,
    serialize,
)
from cskg.web.settings import DEFAULT_BASE, Settings

if TYPE_CHECKING:
    from cskg.web.workers import SparqlService

#: release files served as downloads: URL name -> file in dist/
DUMPS = {
    "cskg.nq": ("cskg.nq", "application/n-quads"),
    "cskg.trig": ("cskg.trig", "application/trig"),
    "ontology.ttl": ("ontology.ttl", "text/turtle"),
    "ontology.jsonld": ("ontology.jsonld", "application/ld+json"),
    "shapes.ttl": ("shapes.ttl", "text/turtle"),
    "void.ttl": ("void.ttl", "text/turtle"),
}
CORS = {"Access-Control-Allow-Origin": "*"}
RDF_ONLY = [ext for ext in FORMATS if ext != "html"]


def _media(ext: str) -> str:
    media = FORMATS[ext].media
    return f"{media}; charset=utf-8" if media.startswith("text/") or ext == "jsonld" else media


def void_graph(release: ReleaseView, public: str) -> list[Any]:
    """void.ttl plus the endpoint, the dumps and the site's own URLs (for `/.well-known/void`).

    `public` is the absolute public base (no trailing slash) the endpoint and dumps live under.
    """
    import pyoxigraph as ox

    dataset = ox.NamedNode(BASE + "dataset")
    void, dcat, dcterms = VOID, DCAT, DCTERMS
    source = release.dist / "void.ttl"
    triples = (
        list(ox.parse(path=str(source), format=ox.RdfFormat.TURTLE)) if source.exists() else []
    )
    endpoint = ox.NamedNode(public + "/sparql")
    triples.append(ox.Triple(dataset, ox.NamedNode(void + "sparqlEndpoint"), endpoint))
    triples.append(ox.Triple(dataset, ox.NamedNode(void + "rootResource"), ox.NamedNode(ONTOLOGY)))
    triples.append(ox.Triple(dataset, ox.NamedNode(void + "uriSpace"), ox.Literal(BASE + "id/")))
    # labelled, so that the same release gives the same file (apart from `void.ttl`'s own)
    service = ox.BlankNode("published-sparql-endpoint")
    triples += [
        ox.Triple(dataset, ox.NamedNode(dcat + "distribution"), service),
        ox.Triple(service, ox.NamedNode(RDF_TYPE), ox.NamedNode(dcat + "Distribution")),
        ox.Triple(service, ox.NamedNode(dcat + "accessURL"), endpoint),
        ox.Triple(
            service, ox.NamedNode(dcterms + "title"), ox.Literal("SPARQL endpoint", language="en")
        ),
    ]
    for name in ("cskg.nq", "cskg.trig"):
        url = ox.NamedNode(f"{public}/dumps/{name}")
        dist = ox.BlankNode(f"published-{name.replace('.', '-')}")
        triples += [
            ox.Triple(dataset, ox.NamedNode(void + "dataDump"), url),
            ox.Triple(dataset, ox.NamedNode(dcat + "distribution"), dist),
            ox.Triple(dist, ox.NamedNode(RDF_TYPE), ox.NamedNode(dcat + "Distribution")),
            ox.Triple(dist, ox.NamedNode(dcat + "downloadURL"), url),
            ox.Triple(dist, ox.NamedNode(dcat + "mediaType"), ox.Literal(DUMPS[name][1])),
        ]
    return triples


class LinkedData:
    """The linked-data half of the application: the pages of `cskg.web.pages.PAGES` rendered
    for the server (`routes()`) and for the static site (`render`, `document`)."""

    def __init__(self, settings: Settings, sparql: SparqlService | None) -> None:
        self.settings = settings
        self.sparql = sparql
        self.release = ReleaseView(settings.dist, root=settings.root)
        # Without --base the pages link root-relative, so they work on whatever origin serves them.
        prefix = "" if settings.base.rstrip("/") == DEFAULT_BASE else settings.base.rstrip("/")
        self.linker = Linker(prefix)
        self.env = environment()
        # the documents the server made, each kept for the next client that asks
        self.cached_document = lru_cache(maxsize=4096)(self.document)

    def render(self, page: Page, linker: Linker, params: dict[str, Any] | None = None) -> bytes:
        """`page` as HTML; NotFound when its parameters name nothing in the release."""
        view = page.view(self.release, linker, params or {})
        view["links"] = links(linker)
        return self.env.get_template(page.template).render(**view).encode("utf-8")

    def document(self, path: str, ext: str, linker: Linker | None = None) -> bytes:
        """The document `path.ext` (path under the base: `id/agency/miit`, `ontology`)."""
        linker = linker or self.linker
        fmt = FORMATS[ext]
        if fmt.rdf is not None:
            return serialize(self.release.describe(BASE + path), fmt)
        return self.render(document_page(path), linker, {"path": path})

    def query_page(self, **params: Any) -> bytes:
        return self.render(QUERY, self.linker, params)

    # -- handlers -----------------------------------------------------------------------------

    def not_found(self, message: str = "The release does not describe this IRI.") -> Response:
        body = self.env.get_template("error.html").render(
            title="Not found", message=message, links=links(self.linker)
        )
        return HTMLResponse(body, status_code=404)

    async def resource(self, request: Request) -> Response:
        """`/id/...`, `/graph/...`, `/ontology`, with or without a format extension."""
        path = request.url.path.lstrip("/")
        stem, dot, ext = path.rpartition(".")
        if not dot or "/" in ext:
            stem, ext = path, ""
        if not (stem == "ontology" or SAFE_PATH.fullmatch(stem)) or (ext and ext not in FORMATS):
            return self.not_found()
        if not self.release.exists(stem):
            return self.not_found()
        if not ext:  # the IRI itself: 303 to the document in the negotiated format
            chosen = negotiate(request.headers.get("accept"))
            headers = {"Vary": "Accept", **CORS}
            if chosen is None:
                listing = "\n".join(
                    f"{f.media}: {self.linker.document(stem, f.ext)}" for f in FORMATS.values()
                )
                return Response(
                    f"406 Not Acceptable; available:\n{listing}\n",
                    status_code=406,
                    media_type="text/plain",
                    headers=headers,
                )
            target = self.linker.document(stem, chosen)
            return RedirectResponse(target, status_code=303, headers=headers)
        body = await run_in_threadpool(self.cached_document, stem, ext)
        return Response(body, media_type=_media(ext), headers=CORS if ext != "html" else None)

    async def options(self, request: Request) -> Response:
        """CORS preflight for resource data (read-only)."""
        return Response(
            status_code=204,
            headers={
                **CORS,
                "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
                "Access-Control-Allow-Headers": "Accept",
                "Access-Control-Max-Age": "86400",
            },
        )

    def page_handler(self, page: Page) -> Callable[[Request], Awaitable[Response]]:
        """The GET handler of a page whose parameters are those of its route."""

        async def handler(request: Request) -> Response:
            params = dict(request.path_params)
            try:
                body = await run_in_threadpool(self.render, page, self.linker, params)
            except NotFound as missing:
                return self.not_found(str(missing))
            return HTMLResponse(body)

        return handler

    async def query(self, request: Request) -> Response:
        """The query page: GET shows the form (`?example=` loads a library query), POST runs it
        through the SPARQL service and shows a table; it works without JavaScript."""
        texts = {q.name: q.text for q in self.release.library}
        if request.method == "GET":
            name = request.query_params.get("example", "")
            text = texts.get(name, "")
            return HTMLResponse(self.query_page(text=text, selected=name if text else ""))
        # The page's form is url-encoded (parsed here, without python-multipart).
        if request.headers.get("content-type", "").split(";")[0].strip() != (
            "application/x-www-form-urlencoded"
        ):
            return HTMLResponse(
                self.query_page(error="The form must be url-encoded."),
                status_code=415,
            )
        try:
            body = await read_body(request, self.settings.max_body, self.settings.body_timeout)
            pairs = form_pairs(body.decode("utf-8"), "the form")
        except ProtocolError as error:
            page = self.query_page(error=error.message)
            return HTMLResponse(page, status_code=error.status, headers=error.headers)
        except UnicodeDecodeError:
            page = self.query_page(error="The form is not UTF-8.")
            return HTMLResponse(page, status_code=400)
        form: dict[str, list[str]] = {}
        for name, value in pairs:
            form.setdefault(name, []).append(value)
        text = (form.get("query") or [""])[0]
        selected = (form.get("example") or [""])[0]
        if not text.strip() and selected in texts:
            text = texts[selected]
        if not text.strip():
            body = self.query_page(selected=selected, error="No query given.")
            return HTMLResponse(body, status_code=400)
        if self.sparql is None:
            return HTMLResponse(self.query_page(text=text, selected=selected, error="No endpoint."))
        start = time.perf_counter()
        try:
            answer = await self.sparql.query(text, max_rows=self.release.html_rows)
        except CskgError as error:
            status = getattr(error, "status", 400)
            body = self.query_page(text=text, selected=selected, error=str(error))
            return HTMLResponse(body, status_code=status)
        ms = (time.perf_counter() - start) * 1000
        result = await run_in_threadpool(self._result_view, answer, ms)
        return HTMLResponse(self.query_page(text=text, selected=selected, result=result))

    def _result_view(self, answer: Any, ms: float) -> dict[str, Any]:
        from cskg.query.model import Term

        def view(term: Term | None) -> TermView | None:
            if term is None:
                return None
            if term.kind == "iri":
                return self.release.iri_view(term.value, self.linker)
            if term.kind == "literal":
                return literal_view(str(term.value), term.lang, term.datatype)
            return TermView("bnode", f"_:{term.value}" if term.kind == "bnode" else str(term.value))

        if answer.kind == "ask":
            return {"kind": "ask", "boolean": answer.boolean}
        if answer.kind == "select":
            columns, rows = answer.variables, answer.rows
        else:
            columns, rows = ["subject", "predicate", "object"], answer.triples
        return {
            "kind": answer.kind,
            "columns": columns,
            "rows": [[view(t) for t in row] for row in rows],
            "count": len(rows),
            "capped": bool(getattr(answer, "truncated", False)),
            "ms": ms,
        }

    async def void(self, request: Request) -> Response:
        """VoID and DCAT, Turtle unless another RDF format is asked for."""
        chosen = negotiate(request.headers.get("accept"))
        ext = chosen if chosen in RDF_ONLY and chosen not in ("trig", "nq") else "ttl"
        public = self.linker.prefix or f"{request.url.scheme}://{request.url.netloc}"
        body = serialize(void_graph(self.release, public), FORMATS[ext])
        return Response(body, media_type=_media(ext), headers={"Vary": "Accept", **CORS})

    async def dataset(self, request: Request) -> Response:
        return RedirectResponse(
            self.linker.page("/.well-known/void") or "/.well-known/void", status_code=303
        )

    async def dump(self, request: Request) -> Response:
        entry = DUMPS.get(request.path_params["name"])
        if entry is None:
            return self.not_found("No such download.")
        path = self.settings.dist / entry[0]
        if not path.is_file():
            return self.not_found("No such download.")
        return FileResponse(path, media_type=entry[1], headers=CORS, filename=entry[0])

    def routes(self) -> list[BaseRoute]:
        """The routes of every page of `PAGES`, then the dataset description and the dumps."""
        out: list[BaseRoute] = []
        for page in PAGES:
            if page is QUERY:  # the form posts back to it
                out += [Route(r, self.query, methods=["GET", "POST"]) for r in page.routes]
            elif page.document:  # negotiated, in every format, and open to other origins
                out += [Route(r, self.resource, methods=["GET"]) for r in page.routes]
                out += [
                    Route(r, self.options, methods=["OPTIONS"])
                    for r in page.routes
                    if "{ext}" not in r
                ]
            else:
                out += [Route(r, self.page_handler(page), methods=["GET"]) for r in page.routes]
        return [
            *out,
            Route("/.well-known/void", self.void, methods=["GET"]),
            Route("/dataset", self.dataset, methods=["GET"]),
            Route("/dumps/{name}", self.dump, methods=["GET"]),
            Route("/dist/{name}", self.dump, methods=["GET"]),  # the dump IRIs void.ttl names
        ]


def routes(settings: Settings, sparql: SparqlService | None) -> list[BaseRoute]:
    """The linked-data routes of `cskg serve` (the SPARQL endpoint's are in sparql.py)."""
    return LinkedData(settings, sparql).routes()
