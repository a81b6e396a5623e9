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
  segments, encoded dots, other characters), gets 404 (suggesting the entities the path's last
  segment finds, `cskg.search`); no path is ever mapped to a file, except the fixed list of
  dumps;
- `/search?q=TEXT` answers the entities the text finds, as a page or as JSON.

The same document paths are the files of the static site (`cskg publish`).
"""

from __future__ import annotations

import hashlib
import posixpath
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from cskg.errors import CskgError
from cskg.query.results import RESULT_FORMATS
from cskg.search import MAX_QUERY, Result, index_of
from cskg.vocab import BASE, DCAT, DCTERMS, ONTOLOGY, RDF_TYPE, VOID
from cskg.web.endpoint import ProtocolError, form_pairs, read_body
from cskg.web.i18n import LANGUAGES, NATIVE_NAMES, Message, translator
from cskg.web.negotiation import language
from cskg.web.negotiation import negotiate as choose
from cskg.web.pages import (
    DATASET_FILE,
    FORMATS,
    PAGES,
    QUERY,
    SAFE_PATH,
    SEARCH,
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
    search_results,
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
#: what `/search` answers: the results page, or their JSON (`cskg.search.Result.as_json`)
SEARCH_OFFER = [("html", ["text/html", "application/xhtml+xml"]), ("json", ["application/json"])]
#: entities a 404 suggests
SUGGESTIONS = 5
RDF_ONLY = [ext for ext in FORMATS if ext != "html"]
#: what `/.well-known/void` answers: VoID in an RDF format, or (to a client preferring HTML)
#: the dataset's page; RDF first, so that `*/*` and no Accept get VoID
VOID_OFFER = [
    *((ext, [FORMATS[ext].media, *FORMATS[ext].aliases]) for ext in RDF_ONLY),
    ("html", [FORMATS["html"].media, *FORMATS["html"].aliases]),
]
#: the GET parameters a page reads (an instance list's filters): at most so many, so long
PAGE_PARAMS, PAGE_PARAM_LENGTH = 8, 200

#: the front-end files served at /static/NAME, from the package's static/ folder: only these
#: names (any other is 404; no request path ever names a file), read once when the site starts
STATIC_FILES = (
    "site.css",
    "pages.css",
    "search.js",
    "query.css",
    "query.js",
    "chart.js",
    "yasgui.min.js",
    "yasgui.min.css",
    "yasgui.LICENSE.txt",
)
#: the 404's message for an IRI the release does not describe
NOT_DESCRIBED = Message("The release does not describe this IRI.")
#: what the query page's form may be refused for (its own messages; the endpoint's are English)
FORM_ERRORS = ("The form must be url-encoded.", "The form is not UTF-8.")
#: the longest answer (in characters) the query page also hands its editor
EDITOR_ANSWER_CHARS = 4_000_000
#: the ones the published pages use, which `cskg publish` copies (the editor needs the endpoint)
PUBLISHED_STATIC = ("site.css", "pages.css", "search.js")
STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


def static_file(name: str) -> bytes:
    """One of `STATIC_FILES`, as the package holds it."""
    from importlib.resources import files

    return files("cskg.web").joinpath("static", name).read_bytes()


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


# -- the language of the pages ------------------------------------------------------------------


@dataclass(frozen=True)
class Asked:
    """What a request asks of its page: its language, `kept` when chosen with `?lang=` (the
    page's links then keep it; None when `Accept-Language` chose), and its path."""

    lang: str = LANGUAGES[0]
    kept: str | None = None
    path: str = "/"


def asked(query_string: str, accept_language: str | None, path: str = "/") -> Asked:
    """The one rule for a page's language: `?lang=` when it names a language of the site,
    else the one `Accept-Language` prefers (`cskg.web.negotiation.language`)."""
    for part in query_string.split("&"):
        name, _, value = part.partition("=")
        if name == "lang":
            if unquote(value) in LANGUAGES:
                return Asked(unquote(value), unquote(value), path)
            break  # anything else: as if not given
    return Asked(language(accept_language, LANGUAGES), None, path)


#: the request being answered, as `PageLanguage` read it (outside a request: the default)
DEFAULT: Asked = Asked()
ASKED: ContextVar[Asked] = ContextVar("asked", default=DEFAULT)


class PageLanguage:
    """Reads each request's language once (`asked`), for whichever handler renders a page (the
    endpoint's query page for browsers among them); an HTML answer whose language
    `Accept-Language` chose says `Vary: Accept-Language`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = next((v for k, v in scope["headers"] if k == b"accept-language"), None)
        found = asked(
            scope.get("query_string", b"").decode("latin-1"),
            header.decode("latin-1") if header is not None else None,
            scope["path"],
        )

        async def send_varied(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start" and found.kept is None:
                message = {**message, "headers": _vary_language(message.get("headers", []))}
            await send(message)

        token = ASKED.set(found)
        try:
            await self.app(scope, receive, send_varied)
        finally:
            ASKED.reset(token)


def _vary_language(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """An HTML answer's headers with Accept-Language in its Vary (beside Accept, if there)."""
    if not any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers):
        return headers
    vary = [v for k, v in headers if k.lower() == b"vary"]
    named = b", ".join([*vary, b"Accept-Language"])
    return [(k, v) for k, v in headers if k.lower() != b"vary"] + [(b"vary", named)]


def _here(path: str, pairs: Sequence[tuple[str, str]] = ()) -> str:
    """A page's own path and parameters (`lang` aside): what its language switch links to."""
    kept = [(k, v) for k, v in pairs if k != "lang"]
    return "/" + quote(path.lstrip("/"), safe="/") + ("?" + urlencode(kept) if kept else "")


class LinkedData:
    """The linked-data half of the application: the pages of `cskg.web.pages.PAGES` rendered
    for the server (`routes()`) and for the static site (`render`, `document`)."""

    def __init__(self, settings: Settings, sparql: SparqlService | None) -> None:
        self.settings = settings
        self.sparql = sparql
        self.release = ReleaseView(settings.dist, root=settings.root)
        # Without --base the pages link root-relative, so they work on whatever origin serves them.
        prefix = "" if settings.base.rstrip("/") == DEFAULT_BASE else settings.base.rstrip("/")
        # the pages' links: keeping a language chosen with ?lang=, or (None) none
        self.linkers = {kept: Linker(prefix, lang=kept) for kept in (None, *LANGUAGES)}
        self.linker = self.linkers[None]
        self.env = environment()
        self.strict = False  # True: an interface string with no translation raises Untranslated
        # the documents the server made, each kept for the next client that asks
        self.cached_document = lru_cache(maxsize=4096)(self._document)
        # each front-end file with its ETag
        self.static = {
            name: (data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"')
            for name, data in ((name, static_file(name)) for name in STATIC_FILES)
        }
        # the release's search index, built beside the first requests rather than before them
        # (seconds at 100 papers); a search that comes first waits for it
        threading.Thread(target=index_of, args=(self.release.data,), daemon=True).start()

    def render(self, page: Page, linker: Linker, params: dict[str, Any] | None = None) -> bytes:
        """`page` as HTML, in the language `params["lang"]` (`here`: its path and parameters on
        the server); NotFound when its parameters name nothing in the release."""
        params = params or {}
        view = page.view(self.release, linker, params)
        return self.html(page.template, view, linker, params.get("here", "/"))

    def html(self, template: str, view: dict[str, Any], linker: Linker, here: str) -> bytes:
        """A template rendered in the view's language, with the site's links, and the language
        switch to the same page (`here` on the server) in each other language."""
        lang = view.setdefault("lang", LANGUAGES[0])
        view["t"] = translator(lang, strict=self.strict)
        view["links"] = links(linker)
        view["kept"] = linker.lang if linker.static_from is None else None
        view["switch"] = [
            (other, NATIVE_NAMES[other], linker.in_language(other, here))
            for other in LANGUAGES
            if other != lang
        ]
        return self.env.get_template(template).render(**view).encode("utf-8")

    def document(
        self, path: str, ext: str, linker: Linker | None = None, lang: str = LANGUAGES[0]
    ) -> bytes:
        """The document `path.ext` (path under the base: `id/agency/miit`, `ontology`), a page
        in `lang`."""
        linker = linker or self.linker
        fmt = FORMATS[ext]
        if fmt.rdf is not None:
            return serialize(self.release.describe(BASE + path), fmt)
        params = {"path": path, "lang": lang, "here": f"/{path}.html"}
        return self.render(document_page(path), linker, params)

    def _document(self, path: str, ext: str, lang: str, kept: str | None) -> bytes:
        """A document of the server, its page in `lang` linking with the language `kept`
        (called as `cached_document`, which keeps them)."""
        return self.document(path, ext, self.linkers[kept], lang)

    def query_page(self, **params: Any) -> bytes:
        """The query page in the request's language; `here` is the page with the query run on
        it (`text`), or the example chosen."""
        found = ASKED.get()
        text, selected = params.get("text", ""), params.get("selected", "")
        pairs = [("query", text)] if text.strip() else [("example", selected)] if selected else []
        params.update(lang=found.lang, here=_here("/query", pairs))
        return self.render(QUERY, self.linkers[found.kept], params)

    # -- handlers -----------------------------------------------------------------------------

    def not_found(
        self,
        message: Message = NOT_DESCRIBED,
        *,
        suggestions: Sequence[Result] = (),
        searched: str = "",
    ) -> Response:
        """404, in the request's language, with the entities `searched` found."""
        found = ASKED.get()
        linker = self.linkers[found.kept]
        search = linker.page("/search?" + urlencode({"q": searched})) if searched else None
        view = {
            "lang": found.lang,
            "message": message,
            "suggestions": suggestions,
            "searched": searched,
            "search_href": search,
        }
        body = self.html("error.html", view, linker, _here(found.path))
        return HTMLResponse(body, status_code=404)

    async def missing(self, path: str) -> Response:
        """404 for a path the release does not describe, suggesting the entities its last
        segment finds (`/id/agency/miti`: MIIT)."""
        text = path.rstrip("/").rsplit("/", 1)[-1][:MAX_QUERY]
        asked_for = ASKED.get()
        linker = self.linkers[asked_for.kept]
        found = await run_in_threadpool(
            search_results, self.release, linker, text, asked_for.lang, SUGGESTIONS
        )
        return self.not_found(suggestions=found, searched=text)

    async def resource(self, request: Request) -> Response:
        """`/id/...`, `/graph/...`, `/ontology`, with or without a format extension."""
        path = request.url.path.lstrip("/")
        stem, dot, ext = path.rpartition(".")
        if not dot or "/" in ext:
            stem, ext = path, ""
        if not (stem == "ontology" or SAFE_PATH.fullmatch(stem)) or (ext and ext not in FORMATS):
            return await self.missing(stem)
        if not self.release.exists(stem):
            return await self.missing(stem)
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
            target = self.linkers[ASKED.get().kept].document(stem, chosen)
            return RedirectResponse(target, status_code=303, headers=headers)
        found = ASKED.get() if ext == "html" else DEFAULT  # RDF has one version
        body = await run_in_threadpool(self.cached_document, stem, ext, found.lang, found.kept)
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
            found = ASKED.get()
            params: dict[str, Any] = dict(request.path_params)
            # the GET parameters a page may read (an instance list's filters), bounded
            given = list(request.query_params.items())[:PAGE_PARAMS]
            params["query"] = {k[:PAGE_PARAM_LENGTH]: v[:PAGE_PARAM_LENGTH] for k, v in given}
            params.update(lang=found.lang, here=_here(found.path, list(params["query"].items())))
            linker = self.linkers[found.kept]
            try:
                body = await run_in_threadpool(self.render, page, linker, params)
            except NotFound as missing:
                return self.not_found(missing.message)
            return HTMLResponse(body)

        return handler

    async def query(self, request: Request) -> Response:
        """The query page. GET `?query=TEXT` or `?example=NAME` (a library query) runs it and
        shows the answer, a link to share; POST is the page's form (url-encoded), which works
        without JavaScript. Either way the query runs through the SPARQL service, within the
        endpoint's limits (workers, time, rows, bytes), and bad input is one line on the page."""
        try:
            if request.method == "GET":
                pairs = form_pairs(request.scope["query_string"].decode("latin-1"), "the URL")
            else:
                pairs = await self._form(request)
        except ProtocolError as error:
            said = Message(error.message) if error.message in FORM_ERRORS else error.message
            page = self.query_page(error=said)
            return HTMLResponse(page, status_code=error.status, headers=error.headers)
        form: dict[str, list[str]] = {}
        for name, value in pairs:
            form.setdefault(name, []).append(value)
        texts = {q.name: q.example_text for q in self.release.library}
        text = (form.get("query") or [""])[0]
        selected = (form.get("example") or [""])[0]
        problem: Message | None = None
        status = 400
        if len(form.get("query", [])) > 1:
            problem = Message("Give exactly one query.")
        elif selected and selected not in texts:
            problem = Message("The library has no query named {name}.", {"name": selected})
            status, selected = 404, ""
        elif not text.strip():
            text = texts.get(selected, "")
            if not text and request.method == "POST":
                problem = Message("No query given.")
        if problem is not None:
            page = self.query_page(text=text, selected=selected, error=problem)
            return HTMLResponse(page, status_code=status)
        return await self.answer_page(text, selected)

    async def _form(self, request: Request) -> list[tuple[str, str]]:
        """The fields of the page's form, read within the endpoint's body limits."""
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/x-www-form-urlencoded":
            raise ProtocolError(415, FORM_ERRORS[0])
        body = await read_body(request, self.settings.max_body, self.settings.body_timeout)
        try:
            return form_pairs(body.decode("utf-8"), "the form")
        except UnicodeDecodeError:
            raise ProtocolError(400, FORM_ERRORS[1]) from None

    async def answer_page(self, text: str, selected: str = "") -> Response:
        """The query page with `text` run and its answer shown (a blank `text`: the empty form);
        also what a browser gets at `/sparql` (`cskg.web.endpoint`)."""
        if not text.strip():
            return HTMLResponse(self.query_page(selected=selected))
        if self.sparql is None:
            page = self.query_page(text=text, selected=selected, error=Message("No endpoint."))
            return HTMLResponse(page)
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

        # the same answer for the editor's result views (SPARQL JSON, Turtle for graphs), unless
        # it would make the page too heavy: then the server's table alone shows it
        fmt = RESULT_FORMATS["turtle" if answer.kind == "graph" else "sparql-json"]
        data = fmt.write(answer)
        editor: dict[str, Any] | None = None
        if len(data) <= EDITOR_ANSWER_CHARS:
            editor = {"contentType": fmt.media, "data": data, "executionTime": round(ms)}
        if answer.kind == "ask":
            return {"kind": "ask", "boolean": answer.boolean, "editor": editor}
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
            "editor": editor,
        }

    async def search(self, request: Request) -> Response:
        """`/search?q=TEXT`: the entities the text finds, as the results page or as JSON (by
        `Accept`, or `?format=json`); a text over MAX_QUERY characters gets 414, a repeated
        parameter 400, and never a traceback."""
        try:
            given = _parameters(request.url.query)
            fmt = given.get("format", [None])[0] or choose(
                request.headers.get("accept"), SEARCH_OFFER
            )
            if fmt not in ("html", "json"):
                raise ProtocolError(406, "Not acceptable: the search answers text/html or JSON.")
        except ProtocolError as bad:
            return Response(bad.message + "\n", status_code=bad.status, media_type="text/plain")
        headers = {"Vary": "Accept", **CORS}
        text = given.get("q", [""])[0]
        refused = _search_error(given, text)
        asked_for = ASKED.get()
        linker = self.linkers[asked_for.kept]
        if fmt == "json":  # in English unless ?lang= says otherwise: Accept-Language plays no part
            if refused is not None:
                return JSONResponse({"error": refused[1]}, status_code=refused[0], headers=headers)
            lang = asked_for.kept or LANGUAGES[0]
            found = await run_in_threadpool(search_results, self.release, linker, text, lang)
            data = {"query": text, "results": [r.as_json() for r in found]}
            return JSONResponse(data, headers=headers)
        params: dict[str, Any] = {"q": text} if refused is None else {"error": refused[1]}
        params.update(lang=asked_for.lang, here=_here("/search", [("q", text)] if text else []))
        body = await run_in_threadpool(self.render, SEARCH, linker, params)
        return HTMLResponse(body, status_code=refused[0] if refused else 200, headers=headers)

    async def void(self, request: Request) -> Response:
        """VoID and DCAT, Turtle unless another RDF format is asked for; a client that prefers
        HTML to every RDF format (a browser) is sent to the dataset's page."""
        accept = request.headers.get("accept")
        if choose(accept, VOID_OFFER) == "html":
            page = self.linkers[ASKED.get().kept].page("/" + DATASET_FILE)
            return RedirectResponse(page or "/", status_code=303)
        chosen = negotiate(accept)
        ext = chosen if chosen in RDF_ONLY and chosen not in ("trig", "nq") else "ttl"
        public = self.linker.prefix or f"{request.url.scheme}://{request.url.netloc}"
        body = serialize(void_graph(self.release, public), FORMATS[ext])
        return Response(body, media_type=_media(ext), headers={"Vary": "Accept", **CORS})

    async def dataset(self, request: Request) -> Response:
        """The dataset's IRI: 303 to its page (HTML, as a resource's IRI) or to VoID."""
        html = negotiate(request.headers.get("accept")) == "html"
        target = "/" + DATASET_FILE if html else "/.well-known/void"
        headers = {"Vary": "Accept"}
        linker = self.linkers[ASKED.get().kept] if html else self.linker
        return RedirectResponse(linker.page(target) or target, 303, headers=headers)

    async def static_response(self, request: Request) -> Response:
        """One of `STATIC_FILES`, revalidated by its ETag (another version of cskg may change
        it)."""
        name = request.path_params["name"]
        if name not in self.static:
            return self.not_found(Message("No such file."))
        data, etag = self.static[name]
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(data, media_type=STATIC_TYPES[posixpath.splitext(name)[1]], headers=headers)

    async def dump(self, request: Request) -> Response:
        entry = DUMPS.get(request.path_params["name"])
        if entry is None:
            return self.not_found(Message("No such download."))
        path = self.settings.dist / entry[0]
        if not path.is_file():
            return self.not_found(Message("No such download."))
        return FileResponse(path, media_type=entry[1], headers=CORS, filename=entry[0])

    def routes(self) -> list[BaseRoute]:
        """The routes of every page of `PAGES`, then the dataset description and the dumps."""
        out: list[BaseRoute] = []
        for page in PAGES:
            if page is QUERY:  # the form posts back to it
                out += [Route(r, self.query, methods=["GET", "POST"]) for r in page.routes]
            elif page is SEARCH:  # negotiated: the page or JSON
                out += [Route(r, self.search, methods=["GET"]) for r in page.routes]
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
            Route("/static/{name}", self.static_response, methods=["GET"]),
        ]


def _parameters(query: str) -> dict[str, list[str]]:
    """The parameters of a query string, each with its values (strictly UTF-8)."""
    given: dict[str, list[str]] = {}
    for name, value in form_pairs(query, "the query string"):
        given.setdefault(name, []).append(value)
    return given


def _search_error(given: dict[str, list[str]], text: str) -> tuple[int, str] | None:
    """(status, message) when `/search` cannot take the text it was given."""
    if len(given.get("q", ())) > 1 or len(given.get("format", ())) > 1:
        return 400, "Give the search text once."
    if len(text) > MAX_QUERY:
        return 414, "The search text is too long."
    return None
