"""Linked-data views of the release, shared by `cskg serve` and `cskg publish`.

A resource's description is its concise bounded description (outgoing statements, following
blank nodes), its incoming statements, the statements of the named graph it names (for an
evidence sentence), and the section and quote of every evidence graph those statements sit in.
RDF formats serialise those quads (TriG and N-Quads keep the graph names); the HTML page shows
each statement with where it comes from.

Every page is declared once in `PAGES`: its routes on the server, its file in the static site,
its view-model function (below, over `ReleaseView`) and its template (templates/). `cskg serve`
(`cskg.web.linkeddata`) and `cskg publish` (`cskg.web.static_site`) both derive what they serve
or write from that table: adding a page is one `Page`, one view-model function, one template.

Every page is rendered by Jinja2 with autoescaping on; an IRI whose scheme is not http or https
is shown as text and never becomes a link.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from jinja2 import Environment, FileSystemLoader

from cskg.query.results import NUMERIC, compact
from cskg.search import DEFAULT_RESULTS, MAX_QUERY, Result, find, index_of
from cskg.vocab import (
    BASE,
    GRAPH_ONTOLOGY,
    ONTOLOGY,
    OWL,
    PREFIXES,
    RDF,
    RDF_TYPE,
    RDFS,
    prefixes_used,
)
from cskg.web import catalogue
from cskg.web.i18n import LANGUAGES, data, fill, translations
from cskg.web.ontology_page import OntologyPage
from cskg.web.release_view import SAFE_PATH as SAFE_PATH
from cskg.web.release_view import Linker as Linker
from cskg.web.release_view import NotFound as NotFound
from cskg.web.release_view import ReleaseView as ReleaseView
from cskg.web.release_view import TermView as TermView
from cskg.web.release_view import instance_path
from cskg.web.release_view import literal_view as literal_view
from cskg.web.resource import ResourcePage

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Format:
    """A variant of a resource document: its extension, media type (and the aliases clients
    send for it), name, and pyoxigraph format."""

    ext: str
    media: str
    name: str
    rdf: ox.RdfFormat | None  # None: the HTML page
    quads: bool = False  # keeps graph names
    aliases: tuple[str, ...] = ()


#: the variants, in the server's order of preference (HTML first, so `*/*` and no Accept
#: header get the page)
FORMATS: dict[str, Format] = {
    f.ext: f
    for f in (
        Format("html", "text/html", "HTML", None, aliases=("application/xhtml+xml",)),
        Format(
            "ttl", "text/turtle", "Turtle", ox.RdfFormat.TURTLE, aliases=("application/x-turtle",)
        ),
        Format(
            "jsonld",
            "application/ld+json",
            "JSON-LD",
            ox.RdfFormat.JSON_LD,
            aliases=("application/json",),
        ),
        Format("nt", "application/n-triples", "N-Triples", ox.RdfFormat.N_TRIPLES),
        Format("rdf", "application/rdf+xml", "RDF/XML", ox.RdfFormat.RDF_XML),
        Format("trig", "application/trig", "TriG", ox.RdfFormat.TRIG, quads=True),
        Format("nq", "application/n-quads", "N-Quads", ox.RdfFormat.N_QUADS, quads=True),
    )
}
#: what a client may ask for: each variant with its media types
OFFER = [(f.ext, [f.media, *f.aliases]) for f in FORMATS.values()]


def negotiate(accept: str | None) -> str | None:
    """The variant (file extension) that best fits an Accept header; None when none fits
    (`cskg.web.negotiation`: `text/html;q=0, */*` never gets the page)."""
    from cskg.web.negotiation import negotiate as choose

    return choose(accept, OFFER)


def serialize(statements: Sequence[ox.Triple | ox.Quad], fmt: Format) -> bytes:
    """Triples or quads in the RDF format `fmt` (quads as triples when it has no graphs),
    declaring the prefixes their IRIs use."""
    assert fmt.rdf is not None
    data: Iterable[Any] = (
        statements
        if fmt.quads
        else dict.fromkeys(s.triple if isinstance(s, ox.Quad) else s for s in statements)
    )
    if fmt.rdf in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS):
        return ox.serialize(data, format=fmt.rdf) or b""
    iris = {t.value for s in statements for t in s if type(t) is ox.NamedNode}
    return ox.serialize(data, format=fmt.rdf, prefixes=prefixes_used(iris)) or b""


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every template, whatever its name
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["compact"] = compact
    env.globals["fill"] = fill  # interface text with data in it: `fill(t("…{n}…"), n=…)`
    env.globals["data"] = data
    env.globals["translations"] = translations
    env.globals["max_query"] = MAX_QUERY  # the search boxes' maxlength
    return env


# -- the pages ----------------------------------------------------------------------------------


def links(linker: Linker) -> dict[str, str | None]:
    """The site's own pages every page links to (None: not in this site)."""
    return {
        "home": linker.page("/", "index.html"),
        "ontology": linker.resource(ONTOLOGY),
        "query": linker.page("/query", "query.html"),
        "static": linker.file("/static", "static"),
        "sparql": linker.file("/sparql"),
        "void": linker.file("/.well-known/void", ".well-known/void"),
        "dataset": linker.page("/dataset", DATASET_FILE),
        "dump": linker.file("/dumps/cskg.nq", "dumps/cskg.nq"),
        "search": linker.page("/search", SEARCH_FILE),
    }


#: where an instance list cut at `html_rows` is whole: (name, key of `links`)
COMPLETE_LISTS = (("the SPARQL endpoint", "sparql"), ("the N-Quads dump", "dump"))

ViewModel = dict[str, Any]


def _lang(params: dict[str, Any]) -> str:
    """The page's language: `params["lang"]` if the site has it, else the default."""
    lang = params.get("lang")
    return lang if lang in LANGUAGES else LANGUAGES[0]


def home_view(release: ReleaseView, linker: Linker, params: dict[str, Any]) -> ViewModel:
    """The dataset's title, counts, licence and source, and its classes with their instances."""
    return {**catalogue.home(release, linker, _lang(params)), "lang": _lang(params)}


def dataset_view(release: ReleaseView, linker: Linker, params: dict[str, Any]) -> ViewModel:
    """The dataset description for people, with its schema.org JSON-LD (VoID for machines)."""
    void = links(linker)["void"]
    return {**catalogue.dataset_page(release, linker, _lang(params), void), "lang": _lang(params)}


def resource_view(release: ReleaseView, linker: Linker, params: dict[str, Any]) -> ViewModel:
    """A resource's page (`cskg.web.resource`), with its documents in every format."""
    path = params["path"]
    view = ResourcePage(release, linker, BASE + path, _lang(params)).model()
    view["path"], view["iri"], view["lang"] = path, BASE + path, _lang(params)
    view["formats"] = [(f.name, f.media, linker.document(path, f.ext)) for f in FORMATS.values()]
    # where a table cut at `html_rows` is whole: the documents of every statement
    view["complete"] = [
        (f"the {f.name} document", linker.document(path, f.ext), f.media)
        for f in (FORMATS["ttl"], FORMATS["nq"])
    ]
    return view


def ontology_view(release: ReleaseView, linker: Linker, params: dict[str, Any]) -> ViewModel:
    view = OntologyPage(release, linker, _lang(params)).model()
    view["title"] = release.label(ONTOLOGY, _lang(params))  # None: the template says "Ontology"
    view["lang"] = _lang(params)
    view["formats"] = [
        (f.name, f.media, linker.document("ontology", f.ext)) for f in FORMATS.values()
    ]
    return view


def instances_view(release: ReleaseView, linker: Linker, params: dict[str, Any]) -> ViewModel:
    """The instances of the class `params["prefix"]:params["local"]` as a table with filters
    (`cskg.web.catalogue`), the first `html_rows` of them."""
    view = catalogue.instance_list(release, linker, params, _lang(params))
    found = links(linker)
    # where they all are: the SPARQL endpoint if any (a static site has none), the dump
    view["complete"] = [(name, found[key], None) for name, key in COMPLETE_LISTS if found[key]]
    view["lang"] = _lang(params)
    return view


#: the download links under an answer, by its kind: (label, `format=` of `/sparql`, a name of
#: `cskg.query.results.RESULT_FORMATS`)
DOWNLOADS = {
    "select": (("CSV", "csv"), ("TSV", "tsv"), ("JSON", "sparql-json")),
    "ask": (("JSON", "sparql-json"),),
    "graph": (("Turtle", "turtle"), ("N-Triples", "ntriples"), ("JSON-LD", "json-ld")),
}
#: the words YASGUI (the query page's editor and result views) writes, or their patterns with
#: {fields}, as YASGUI writes them in English: the page hands their translations to
#: static/query.js, which puts them in place of YASGUI's (a translation may leave a field out)
YASGUI_TEXTS = (
    "Run query",
    "Share query",
    "Table",
    "Response",
    "Shows {view} view",
    "View documentation of {view}",
    "This plugin doesn't have a help reference yet. Please contact the maintainer to fix this",
    "Download Results",
    "Download result",
    "Show all",
    "{count} results in {seconds} seconds",
    "{count} result in {seconds} seconds",
    "{count} results in {seconds} second",
    "{count} result in {seconds} second",
    "{count} results",
    "{count} result",
    "Response in {seconds} seconds",
    "Simple view",
    "Ellipse",
    "Page size:",
    "All",
    "Filter query results",
    "Showing {start} to {end} of {total} entries",
    "Showing {start} to {end} of {total} entry",
    "(filtered from {max} total entries)",
    "(filtered from {max} total entry)",
    "No data available in table",
    "No matching records found",
    "{column}: Activate to sort",
    "{column}: Activate to invert sorting",
    "{column}: Activate to remove sorting",
    "pagination",
    "First",
    "Previous",
    "Next",
    "Last",
    "{reason} (#{status})",
)
#: the types of the ontology's terms the query editor completes, and the kind of each
TERM_KINDS = {
    OWL + "Class": "class",
    RDFS + "Class": "class",
    OWL + "ObjectProperty": "property",
    OWL + "DatatypeProperty": "property",
    OWL + "AnnotationProperty": "property",
    RDF + "Property": "property",
}


def query_view(release: ReleaseView, linker: Linker, params: dict[str, Any]) -> ViewModel:
    """The query page: the form and its editor with the library's examples, and for a query run
    (`params`: its `text`, the `selected` example, its `result` or an `error`) the answer with
    links to download and share it. In the static site, which has no endpoint, the library's
    queries only, each linked to its text."""
    page, sparql = linker.page("/query"), linker.file("/sparql")
    text = params.get("text", "")
    result = params.get("result")
    library = [
        {
            "name": q.name,
            "title": q.title,
            "question": q.question,
            "href": linker.page(f"/query?example={quote(q.name)}")
            if sparql
            else linker.file(None, f"queries/{q.name}.rq"),
            "text": q.example_text,
        }
        for q in release.library
    ]
    view = {
        "title": "SPARQL query",
        "lang": _lang(params),
        "library": library,
        "static": sparql is None,
        "text": text,
        "selected": params.get("selected", ""),
        "result": result,
        "error": params.get("error"),
        "yasgui_texts": YASGUI_TEXTS,
    }
    if sparql is None:
        return view
    view["share"] = linker.page(f"/query?{urlencode({'query': text})}") if text.strip() else None
    kind = result["kind"] if result else None
    view["downloads"] = [
        (label, f"{sparql}?{urlencode({'query': text, 'format': name})}")
        for label, name in DOWNLOADS.get(kind or "", ())
    ]
    # what the editor's script reads (`static/query.js`)
    view["workbench"] = {
        "page": page,
        "sparql": sparql,
        # longest namespace first: YASR names an IRI by the first prefix that fits
        "prefixes": sorted(PREFIXES.items(), key=lambda item: -len(item[1])),
        "terms": _ontology_terms(release),
        "library": {q.name: q.example_text for q in release.library},
        "numeric": sorted(NUMERIC),
        "downloads": DOWNLOADS,
        "answer": result.get("editor") if result else None,
    }
    return view


@lru_cache(maxsize=4)
def _ontology_terms(release: ReleaseView) -> list[dict[str, str]]:
    """The classes and properties the ontology declares, with their English and Chinese labels:
    what the query editor completes."""
    kinds: dict[str, str] = {}
    graph = ox.NamedNode(GRAPH_ONTOLOGY)
    for quad in release.store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), None, graph):
        kind = TERM_KINDS.get(quad.object.value) if isinstance(quad.object, ox.NamedNode) else None
        if kind and isinstance(quad.subject, ox.NamedNode):
            kinds.setdefault(quad.subject.value, kind)
    english, chinese = release.data.labels(kinds, "en"), release.data.labels(kinds, "zh")
    return [
        {
            "name": compact(iri),
            "kind": kind,
            "en": english.get(iri, ""),
            "zh": chinese.get(iri, "") if chinese.get(iri) != english.get(iri) else "",
        }
        for iri, kind in sorted(kinds.items())
    ]


# -- search (`cskg.search`): the page, its JSON, the 404's suggestions, the static index ------

#: the search page's file in the static site, and the index its script reads
SEARCH_FILE = "search.html"
SEARCH_INDEX_FILE = "search-index.json"
#: what each field of `cskg.search` is called on the results page
FIELD_NAMES = {"label": "name", "alias": "other name", "name": "identifier", "quote": "evidence"}


def search_results(
    release: ReleaseView, linker: Linker, text: str, lang: str, limit: int = DEFAULT_RESULTS
) -> list[Result]:
    """The entities `text` finds, best first, linked to their pages."""
    return find(release.data, text, lang=lang, limit=limit, href=linker.resource)


def search_view(release: ReleaseView, linker: Linker, params: dict[str, Any]) -> ViewModel:
    """The search form and what `params["q"]` finds (none on the static site, whose page runs
    static/search.js over the index file instead); `params["error"]`: why the text was refused."""
    lang = _lang(params)
    text = params.get("q", "")
    static = linker.static_from is not None
    found = search_results(release, linker, text, lang) if text.strip() and not static else []
    return {
        "title": "Search",
        "lang": lang,
        "q": text,
        "error": params.get("error"),
        "results": found,
        "field_names": FIELD_NAMES,
        "static": static,
        "index_href": linker.file("/" + SEARCH_INDEX_FILE, SEARCH_INDEX_FILE),
    }


def search_index_json(release: ReleaseView, base: str) -> bytes:
    """The static site's search index (`cskg.search.SearchIndex.as_json`), linking from the
    search page, compact."""
    linker = Linker(base, static_from=SEARCH_FILE)
    data = index_of(release.data).as_json(release.data, linker.resource, ("en", "zh"))
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class Page:
    """A page of the site, declared once in `PAGES`: `cskg serve` answers its `routes` and
    `cskg publish` writes it to `file` (formatted with the parameters of each of `copies`).

    A `document` page is a resource's description: also served in every RDF format of
    `FORMATS`, its extensionless IRI negotiated; its `file` is the stem of those documents."""

    name: str
    routes: tuple[str, ...]  # Starlette path patterns
    template: str
    view: Callable[[ReleaseView, Linker, dict[str, Any]], ViewModel]
    file: str | None = None  # None: on the server only
    copies: Callable[[ReleaseView], Iterable[dict[str, str]]] = lambda release: [{}]
    document: bool = False


def _instance_lists(release: ReleaseView) -> list[dict[str, str]]:
    found = (instance_path(cls) for cls, _count in release.class_counts)
    return [dict(zip(("prefix", "local"), p.split("/")[1:], strict=True)) for p in found if p]


HOME = Page("home", ("/",), "home.html", home_view, file="index.html")
QUERY = Page("query", ("/query",), "query.html", query_view, file="query.html")
SEARCH = Page("search", ("/search",), "search.html", search_view, file=SEARCH_FILE)
ONTOLOGY_PAGE = Page(
    "ontology",
    ("/ontology", "/ontology.{ext}"),
    "ontology.html",
    ontology_view,
    file="ontology",
    document=True,
)
RESOURCE = Page(
    "resource",
    ("/id/{path:path}", "/graph/{path:path}"),
    "resource.html",
    resource_view,
    file="{path}",
    copies=lambda release: [{"path": p} for p in release.resource_paths()],
    document=True,
)
INSTANCES = Page(
    "instances",
    ("/instances/{prefix}/{local}",),
    "instances.html",
    instances_view,
    file="instances/{prefix}/{local}.html",
    copies=_instance_lists,
)
#: the dataset's IRI `/dataset` answers 303 to this page or to VoID (`cskg.web.linkeddata`)
DATASET_FILE = "dataset.html"
DATASET = Page("dataset", ("/" + DATASET_FILE,), "dataset.html", dataset_view, file=DATASET_FILE)
#: every page of the site (the error page aside): add one here, with its view and template
PAGES = (HOME, QUERY, SEARCH, ONTOLOGY_PAGE, RESOURCE, INSTANCES, DATASET)


def document_page(path: str) -> Page:
    """The page describing the resource at `path` (under the base)."""
    return ONTOLOGY_PAGE if path == "ontology" else RESOURCE
