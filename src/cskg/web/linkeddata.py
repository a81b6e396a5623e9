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

import json
import time
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from cskg.errors import CskgError
from cskg.query.results import compact
from cskg.vocab import BASE, ONTOLOGY, PREFIXES
from cskg.web.endpoint import ProtocolError, form_pairs, read_body
from cskg.web.pages import (
    FORMATS,
    SAFE_PATH,
    Linker,
    Release,
    TermView,
    environment,
    instance_path,
    negotiate,
)
from cskg.web.settings import DEFAULT_BASE, Settings

#: where an instance list cut at `Release.html_rows` is whole: (name, key of `LinkedData.links`)
COMPLETE_LISTS = (("the SPARQL endpoint", "sparql"), ("the N-Quads dump", "dump"))

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


def void_graph(release: Release, public: str) -> list[Any]:
    """void.ttl plus the endpoint, the dumps and the site's own URLs (for `/.well-known/void`).

    `public` is the absolute public base (no trailing slash) the endpoint and dumps live under.
    """
    import pyoxigraph as ox

    dataset = ox.NamedNode(BASE + "dataset")
    void, dcat, dcterms = PREFIXES["void"], PREFIXES["dcat"], PREFIXES["dcterms"]
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
        ox.Triple(
            service, ox.NamedNode(PREFIXES["rdf"] + "type"), ox.NamedNode(dcat + "Distribution")
        ),
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
            ox.Triple(
                dist, ox.NamedNode(PREFIXES["rdf"] + "type"), ox.NamedNode(dcat + "Distribution")
            ),
            ox.Triple(dist, ox.NamedNode(dcat + "downloadURL"), url),
            ox.Triple(dist, ox.NamedNode(dcat + "mediaType"), ox.Literal(DUMPS[name][1])),
        ]
    return triples


class LinkedData:
    """The linked-data half of the application; `routes()` lists its Starlette routes."""

    def __init__(self, settings: Settings, sparql: SparqlService | None) -> None:
        self.settings = settings
        self.sparql = sparql
        self.release = Release(settings.dist, root=settings.root)
        # Without --base the pages link root-relative, so they work on whatever origin serves them.
        prefix = "" if settings.base.rstrip("/") == DEFAULT_BASE else settings.base.rstrip("/")
        self.linker = Linker(prefix)
        self.env = environment()
        self.library = self._library()
        self.render = lru_cache(maxsize=4096)(self._render)

    def _library(self) -> list[Any]:
        from cskg.query.library import load_library

        if self.settings.root is None or not (self.settings.root / "queries").is_dir():
            return []
        return [q for q in load_library(self.settings.root / "queries") if not q.is_check]

    def links(self, linker: Linker) -> dict[str, str | None]:
        return {
            "home": linker.page("/", "index.html"),
            "ontology": linker.resource(ONTOLOGY),
            "query": linker.page("/query"),
            "sparql": linker.page("/sparql"),
            "void": linker.page("/.well-known/void", ".well-known/void"),
            "dump": linker.page("/dumps/cskg.nq", "dumps/cskg.nq"),
        }

    # -- rendering (shared with the static site) -------------------------------------------

    def _render(self, path: str, ext: str, linker: Linker | None = None) -> bytes:
        """The document `path.ext` (path under the base: `id/agency/miit`, `ontology`)."""
        linker = linker or self.linker
        release = self.release
        fmt = FORMATS[ext]
        if fmt.rdf is not None:
            return release.serialize(release.describe(BASE + path), fmt)
        if path == "ontology":
            view = release.ontology_page(linker)
            view["title"] = release.label(ONTOLOGY) or "Ontology"
            view["formats"] = [
                (f.name, f.media, linker.document(path, f.ext)) for f in FORMATS.values()
            ]
            template = "ontology.html"
        else:
            view = release.resource_page(path, linker)
            template = "resource.html"
        view["links"] = self.links(linker)
        return self.env.get_template(template).render(**view).encode("utf-8")

    def home_page(self, linker: Linker) -> bytes:
        release = self.release
        dataset = release.dataset()
        classes = []
        for cls, count in release.class_counts():
            target = instance_path(cls)
            classes.append(
                {
                    "label": release.label(cls) or compact(cls),
                    "name": compact(cls),
                    "count": count,
                    "href": linker.page("/" + target, target + ".html") if target else None,
                }
            )
        links = self.links(linker)
        view = {
            "title": dataset.get("title", "cskg"),
            "dataset": dataset,
            "counts": dataset["counts"],
            "source_href": dataset.get("source") if _web(dataset.get("source")) else None,
            "license_href": dataset.get("license") if _web(dataset.get("license")) else None,
            "classes": classes,
            "dumps": [
                (name, linker.page(f"/dumps/{name}", f"dumps/{name}"))
                for name in ("cskg.nq", "cskg.trig", "ontology.ttl")
            ],
            "links": links,
        }
        return self.env.get_template("home.html").render(**view).encode("utf-8")

    def instances_page(self, cls: str, linker: Linker) -> bytes:
        """The instances of `cls` by label, the first `Release.html_rows` of them."""
        release = self.release
        instances = release.instances(cls)
        links = self.links(linker)
        # where they all are: the SPARQL endpoint if any (a static site has none), the dump
        complete = [(name, links[key], None) for name, key in COMPLETE_LISTS if links[key]]
        view = {
            "title": f"{release.label(cls) or compact(cls)}: instances",
            "cls": release.term(_named(cls), linker),
            "items": [release.term(_named(i), linker) for i in instances[: release.html_rows]],
            "total": len(instances),
            "complete": complete,
            "links": links,
        }
        return self.env.get_template("instances.html").render(**view).encode("utf-8")

    def query_page(
        self,
        linker: Linker,
        text: str = "",
        selected: str = "",
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> bytes:
        library = [
            {
                "name": q.name,
                "title": q.title,
                "question": q.question,
                "href": f"{linker.page('/query')}?example={q.name}",
            }
            for q in self.library
        ]
        texts = {q.name: q.text for q in self.library}
        # JSON inside <script>: escape <, > and & so no string can close the element
        data = (
            json.dumps(texts)
            .replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
        )
        view = {
            "title": "SPARQL query",
            "library": library,
            "library_json": Markup(data),
            "text": text,
            "selected": selected,
            "result": result,
            "error": error,
            "links": self.links(linker),
        }
        return self.env.get_template("query.html").render(**view).encode("utf-8")

    # -- handlers -----------------------------------------------------------------------------

    def not_found(self, message: str = "The release does not describe this IRI.") -> Response:
        body = self.env.get_template("error.html").render(
            title="Not found", message=message, links=self.links(self.linker)
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
        body = await run_in_threadpool(self.render, stem, ext)
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

    async def home(self, request: Request) -> Response:
        return HTMLResponse(await run_in_threadpool(self.home_page, self.linker))

    async def instances(self, request: Request) -> Response:
        prefix, local = request.path_params["prefix"], request.path_params["local"]
        namespace = PREFIXES.get(prefix)
        if namespace is None or not local.replace("-", "").replace("_", "").isalnum():
            return self.not_found("No such class.")
        cls = namespace + local
        if instance_path(cls) != f"instances/{prefix}/{local}" or not self.release.instances(cls):
            return self.not_found("No instances of this class.")
        return HTMLResponse(await run_in_threadpool(self.instances_page, cls, self.linker))

    async def query(self, request: Request) -> Response:
        """The query page: GET shows the form (`?example=` loads a library query), POST runs it
        through the SPARQL service and shows a table; it works without JavaScript."""
        texts = {q.name: q.text for q in self.library}
        if request.method == "GET":
            name = request.query_params.get("example", "")
            text = texts.get(name, "")
            return HTMLResponse(self.query_page(self.linker, text, name if text else ""))
        # The page's form is url-encoded (parsed here, without python-multipart).
        if request.headers.get("content-type", "").split(";")[0].strip() != (
            "application/x-www-form-urlencoded"
        ):
            return HTMLResponse(
                self.query_page(self.linker, error="The form must be url-encoded."),
                status_code=415,
            )
        try:
            body = await read_body(request, self.settings.max_body, self.settings.body_timeout)
            pairs = form_pairs(body.decode("utf-8"), "the form")
        except ProtocolError as error:
            page = self.query_page(self.linker, error=error.message)
            return HTMLResponse(page, status_code=error.status, headers=error.headers)
        except UnicodeDecodeError:
            page = self.query_page(self.linker, error="The form is not UTF-8.")
            return HTMLResponse(page, status_code=400)
        form: dict[str, list[str]] = {}
        for name, value in pairs:
            form.setdefault(name, []).append(value)
        text = (form.get("query") or [""])[0]
        selected = (form.get("example") or [""])[0]
        if not text.strip() and selected in texts:
            text = texts[selected]
        if not text.strip():
            body = self.query_page(self.linker, "", selected, error="No query given.")
            return HTMLResponse(body, status_code=400)
        if self.sparql is None:
            return HTMLResponse(self.query_page(self.linker, text, selected, error="No endpoint."))
        start = time.perf_counter()
        try:
            answer = await self.sparql.query(text, max_rows=self.release.html_rows)
        except CskgError as error:
            status = getattr(error, "status", 400)
            body = self.query_page(self.linker, text, selected, error=str(error))
            return HTMLResponse(body, status_code=status)
        ms = (time.perf_counter() - start) * 1000
        result = await run_in_threadpool(self._result_view, answer, ms)
        return HTMLResponse(self.query_page(self.linker, text, selected, result=result))

    def _result_view(self, answer: Any, ms: float) -> dict[str, Any]:
        from cskg.query.engines import Term

        def view(term: Term | None) -> TermView | None:
            if term is None:
                return None
            if term.kind == "iri":
                label = self.release.label(term.value)
                text = label or compact(term.value)
                return TermView(
                    "iri",
                    term.value if text.startswith("<") else text,
                    iri=term.value,
                    href=self.linker.resource(term.value),
                )
            if term.kind == "literal":
                datatype = compact(term.datatype) if term.datatype and not term.lang else None
                return TermView(
                    "literal",
                    str(term.value),
                    lang=term.lang,
                    datatype=None if datatype == "xsd:string" else datatype,
                )
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
        import pyoxigraph as ox

        chosen = negotiate(request.headers.get("accept"))
        ext = chosen if chosen in RDF_ONLY and chosen not in ("trig", "nq") else "ttl"
        public = self.linker.prefix or f"{request.url.scheme}://{request.url.netloc}"
        triples = void_graph(self.release, public)
        body = ox.serialize(triples, format=FORMATS[ext].rdf, prefixes=dict(PREFIXES))
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
        return [
            Route("/", self.home, methods=["GET"]),
            Route("/query", self.query, methods=["GET", "POST"]),
            Route("/ontology", self.resource, methods=["GET"]),
            Route("/ontology.{ext}", self.resource, methods=["GET"]),
            Route("/id/{path:path}", self.resource, methods=["GET"]),
            Route("/graph/{path:path}", self.resource, methods=["GET"]),
            Route("/ontology", self.options, methods=["OPTIONS"]),
            Route("/id/{path:path}", self.options, methods=["OPTIONS"]),
            Route("/graph/{path:path}", self.options, methods=["OPTIONS"]),
            Route("/instances/{prefix}/{local}", self.instances, methods=["GET"]),
            Route("/.well-known/void", self.void, methods=["GET"]),
            Route("/dataset", self.dataset, methods=["GET"]),
            Route("/dumps/{name}", self.dump, methods=["GET"]),
            Route("/dist/{name}", self.dump, methods=["GET"]),  # the dump IRIs void.ttl names
        ]


def _web(value: Any) -> bool:
    from cskg.web.pages import is_web_iri

    return isinstance(value, str) and is_web_iri(value)


def _named(iri: str) -> Any:
    import pyoxigraph as ox

    return ox.NamedNode(iri)


def routes(settings: Settings, sparql: SparqlService | None) -> list[BaseRoute]:
    """The linked-data routes of `cskg serve` (the SPARQL endpoint's are in sparql.py)."""
    return LinkedData(settings, sparql).routes()
