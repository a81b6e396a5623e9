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
import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph as ox
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from cskg.query.engines import union_options
from cskg.query.results import compact
from cskg.release import Release as ReleaseData
from cskg.release import graph_kind
from cskg.vocab import (
    BASE,
    CSKG,
    GRAPH_ONTOLOGY,
    ONTOLOGY,
    OWL,
    PREFIXES,
    RDF_TYPE,
    RDFS,
    RDFS_LABEL,
    SKOS,
    prefixes_used,
)

TEMPLATES = Path(__file__).parent / "templates"

#: a resource path under the base: slug segments of letters, digits, `-`, `_`; no dot segments
SAFE_PATH = re.compile(r"(?:id|graph)(?:/[A-Za-z0-9][A-Za-z0-9_\-]*)+")


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


def is_web_iri(iri: str) -> bool:
    """http(s) IRIs may become links; javascript:, data:, file: and the rest never do."""
    try:
        return urlsplit(iri).scheme.lower() in ("http", "https")
    except ValueError:
        return False


def site_path(iri: str) -> tuple[str, str] | None:
    """(path under the base, fragment) of a project IRI: `id/agency/miit`, `ontology#Policy`."""
    if not iri.startswith(BASE):
        return None
    path, _, fragment = iri[len(BASE) :].partition("#")
    return path, fragment


class Linker:
    """Where a page links to. On the server: the IRIs themselves under the public base (the
    server negotiates); in the static site: the `.html` documents, relative to the page."""

    def __init__(self, prefix: str = "", *, static_from: str | None = None) -> None:
        self.prefix = prefix.rstrip("/")  # "" (root-relative) or the public base URL
        self.static_from = static_from  # the page's own path in the static site

    def _rel(self, target: str) -> str:
        assert self.static_from is not None
        start = posixpath.dirname(self.static_from) or "."
        return posixpath.relpath(target, start)

    def page(self, server: str, static: str | None = None) -> str | None:
        """A site page: `server` is its path on the server, `static` its file in the site."""
        if self.static_from is None:
            return self.prefix + server
        return None if static is None else self._rel(static)

    def resource(self, iri: str) -> str | None:
        """The href for an IRI, or None when it must not be a link."""
        found = site_path(iri)
        if found is None:
            return iri if is_web_iri(iri) else None
        path, fragment = found
        if self.static_from is None:
            return f"{self.prefix}/{path}" + (f"#{fragment}" if fragment else "")
        if path == "ontology" or SAFE_PATH.fullmatch(path):
            return self._rel(path + ".html") + (f"#{fragment}" if fragment else "")
        return self.prefix + "/" + path + (f"#{fragment}" if fragment else "")

    def document(self, path: str, ext: str) -> str:
        """One format variant of a resource document."""
        if self.static_from is None:
            return f"{self.prefix}/{path}.{ext}"
        return self._rel(f"{path}.{ext}")


# -- views handed to the templates ------------------------------------------------------------


@dataclass
class TermView:
    kind: str  # iri, bnode, literal
    text: str  # what is shown
    iri: str | None = None
    href: str | None = None
    lang: str | None = None
    datatype: str | None = None
    children: list[tuple[TermView, TermView]] = field(default_factory=list)


def literal_view(value: str, lang: str | None, datatype: str | None) -> TermView:
    """A literal with its language tag, or its datatype unless that is xsd:string."""
    shown = None if lang or datatype is None else compact(datatype)
    return TermView("literal", value, lang=lang, datatype=None if shown == "xsd:string" else shown)


@dataclass
class SourceView:
    kind: str  # evidence, editorial, inferred, ontology, document, other
    graph: TermView
    section: TermView | None = None
    quote: str | None = None


@dataclass
class StatementView:
    subject: TermView
    predicate: TermView
    value: TermView
    sources: list[SourceView]


#: the most rows an HTML table or list shows; the RDF documents hold everything. A hub concept
#: of 100 synthetic papers has thousands of incoming links and the inferred graph 65,600
#: statements: a page of them all was 35 MB, more than a browser opens comfortably.
HTML_ROWS = 1_000

#: how many resource descriptions `ReleaseView.describe` keeps
DESCRIPTIONS_KEPT = 16


class ReleaseView:
    """The web's view of a release (`cskg.release.Release`): its quads, the site paths the
    pages need, indexed once (the data is small), and the query library of the project."""

    def __init__(self, dist: Path, *, root: Path | None = None) -> None:
        self.dist = dist
        self.root = root
        self.data = ReleaseData.open(dist)
        self.store = self.data.embedded.store  # pyoxigraph's own, for quad patterns
        self.union = union_options(self.store)  # the query options of its default graph
        # a resource is rendered in seven formats one after the other (the static site, a
        # client following the alternates): its description is made once
        self.describe = lru_cache(maxsize=DESCRIPTIONS_KEPT)(self._describe)
        self.html_rows = HTML_ROWS  # the most rows of a table or list on a page
        self.known: set[str] = {"ontology"}  # site paths of every project IRI in the release
        self.graphs: set[str] = set()
        for quad in self.named_quads(None, None, None):
            for term in (quad.subject, quad.object, quad.graph_name):
                if isinstance(term, ox.NamedNode):
                    found = site_path(term.value)
                    if found and SAFE_PATH.fullmatch(found[0]):
                        self.known.add(found[0])
            if isinstance(quad.graph_name, ox.NamedNode):
                self.graphs.add(quad.graph_name.value)
        self.build = self._json("build.json")

    def _json(self, name: str) -> dict[str, Any]:
        path = self.dist / name
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def label(self, iri: str, lang: str = "en") -> str | None:
        """The label of `iri` (`cskg.release`'s rule), None when it has none."""
        return self.data.labels([iri], lang).get(iri)

    @cached_property
    def library(self) -> list[Any]:
        """The queries of the project's library (not its checks) the query page offers."""
        from cskg.query.library import load_library

        if self.root is None or not (self.root / "queries").is_dir():
            return []
        return [q for q in load_library(self.root / "queries") if not q.is_check]

    def exists(self, path: str) -> bool:
        return path in self.known

    def resource_paths(self) -> list[str]:
        return sorted(p for p in self.known if p != "ontology")

    def named_quads(self, subject: Any, predicate: Any, obj: Any) -> Iterable[ox.Quad]:
        """The quads of the named graphs matching the pattern: not the default graph, which holds
        their merge again (see `cskg.query.engines`)."""
        for quad in self.store.quads_for_pattern(subject, predicate, obj, None):
            if type(quad.graph_name) is not ox.DefaultGraph:
                yield quad

    # -- descriptions ----------------------------------------------------------------------

    def _describe(self, iri: str) -> tuple[ox.Quad, ...]:
        """The quads that describe `iri` (see the module docstring), without duplicates; called
        as `describe`, which keeps the last few."""
        node = ox.NamedNode(iri)
        if iri == ONTOLOGY:
            return tuple(
                self.store.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH_ONTOLOGY))
            )
        seen: set[ox.Quad] = set()
        out: list[ox.Quad] = []

        def add(quads: Iterable[ox.Quad]) -> None:
            for quad in quads:
                if quad not in seen:
                    seen.add(quad)
                    out.append(quad)

        frontier: list[Any] = [node]
        visited: set[Any] = set()
        while frontier:  # outgoing, following blank nodes (concise bounded description)
            subject = frontier.pop()
            if subject in visited:
                continue
            visited.add(subject)
            for quad in self.named_quads(subject, None, None):
                add([quad])
                if isinstance(quad.object, ox.BlankNode):
                    frontier.append(quad.object)
        add(self.named_quads(None, None, node))  # incoming
        add(self.store.quads_for_pattern(None, None, None, node))  # the graph it names
        evidence = {
            q.graph_name
            for q in out
            if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in self.data.evidence
        }
        cskg_section = ox.NamedNode(CSKG + "section")
        for graph in sorted(evidence, key=lambda g: g.value):  # where each statement comes from
            for predicate in ("quote", "section", "cites"):
                add(
                    self.store.quads_for_pattern(graph, ox.NamedNode(CSKG + predicate), None, graph)
                )
            for quad in self.store.quads_for_pattern(graph, cskg_section, None, graph):
                add(self.named_quads(quad.object, ox.NamedNode(CSKG + "sectionNumber"), None))
        return tuple(out)

    # -- HTML views ------------------------------------------------------------------------

    def term(
        self, term: Any, linker: Linker, bnodes: dict[Any, list[ox.Quad]] | None = None
    ) -> TermView:
        """The view of a pyoxigraph term; a blank node shows the statements `bnodes` holds
        about it."""
        if isinstance(term, ox.NamedNode):
            return self.iri_view(term.value, linker)
        if isinstance(term, ox.BlankNode):
            view = TermView("bnode", "[ ]")
            for quad in (bnodes or {}).get(term, []):
                view.children.append(
                    (self.term(quad.predicate, linker), self.term(quad.object, linker))
                )
            return view
        if isinstance(term, ox.Literal):
            return literal_view(term.value, term.language, term.datatype.value)
        return TermView("literal", str(term))

    def iri_view(self, iri: str, linker: Linker) -> TermView:
        """An IRI shown by its label, else its prefixed name, else in full."""
        text = self.label(iri) or compact(iri)
        return TermView(
            "iri", iri if text.startswith("<") else text, iri=iri, href=linker.resource(iri)
        )

    def source(self, graph: Any, linker: Linker) -> SourceView:
        if not isinstance(graph, ox.NamedNode):
            return SourceView("other", TermView("literal", "default graph"))
        iri = graph.value
        kind = graph_kind(iri)
        view = SourceView(kind, self.term(graph, linker))
        evidence = self.data.evidence.get(iri)
        if evidence is not None:
            if evidence.section:
                view.section = TermView(
                    "iri",
                    f"§ {evidence.number}" if evidence.number else compact(evidence.section),
                    iri=evidence.section,
                    href=linker.resource(evidence.section),
                )
            view.quote = evidence.quote
        return view

    def statements(
        self, quads: Iterable[ox.Quad], linker: Linker, bnodes: dict[Any, list[ox.Quad]]
    ) -> list[StatementView]:
        """One row per statement of `quads`, with every graph that states it; types first,
        then labels, then by property and value."""
        grouped: dict[tuple[Any, Any, Any], list[Any]] = {}
        for quad in quads:
            grouped.setdefault((quad.subject, quad.predicate, quad.object), []).append(
                quad.graph_name
            )
        rows = [
            StatementView(
                self.term(s, linker),
                self.term(p, linker, bnodes),
                self.term(o, linker, bnodes),
                [self.source(g, linker) for g in sorted(gs, key=str)],
            )
            for (s, p, o), gs in grouped.items()
        ]
        order = {RDF_TYPE: 0, RDFS_LABEL: 1}
        rows.sort(
            key=lambda r: (order.get(r.predicate.iri or "", 2), r.predicate.text, r.value.text)
        )
        return rows

    def resource_page(self, path: str, linker: Linker) -> dict[str, Any]:
        """What resource.html shows for the IRI at `path` under the base."""
        iri = BASE + path
        node = ox.NamedNode(iri)
        quads = self.describe(iri)
        bnodes: dict[Any, list[ox.Quad]] = defaultdict(list)
        for quad in quads:
            if isinstance(quad.subject, ox.BlankNode):
                bnodes[quad.subject].append(quad)

        def statements(selected: Iterable[ox.Quad]) -> list[StatementView]:
            return self.statements(selected, linker, bnodes)

        outgoing = statements(q for q in quads if q.subject == node)
        types = [s for s in outgoing if s.predicate.iri == RDF_TYPE]
        outgoing = [s for s in outgoing if s.predicate.iri != RDF_TYPE]
        incoming = statements(q for q in quads if q.object == node and q.subject != node)
        contents = statements(q for q in quads if q.graph_name == node and q.subject != node)
        labels = self.data.labels_in(iri)
        return {
            "iri": iri,
            "path": path,
            "title": self.label(iri) or compact(iri),
            "label_en": labels.get("en") or labels.get(""),
            "label_zh": labels.get("zh"),
            "types": types,
            # each table at most `html_rows` rows; `totals` says how many there are
            "statements": outgoing[: self.html_rows],
            "incoming": incoming[: self.html_rows],
            "contents": contents[: self.html_rows],
            "totals": {
                "statements": len(outgoing),
                "incoming": len(incoming),
                "contents": len(contents),
            },
            "is_graph": iri in self.graphs,
            "kind": graph_kind(iri) if iri in self.graphs else None,
            "formats": [(f.name, f.media, linker.document(path, f.ext)) for f in FORMATS.values()],
            # where a table cut at `html_rows` is whole: the documents of every statement
            "complete": [
                (f"the {f.name} document", linker.document(path, f.ext), f.media)
                for f in (FORMATS["ttl"], FORMATS["nq"])
            ],
        }

    def _select(self, text: str) -> ox.QuerySolutions:
        rows = self.store.query(text, **self.union)
        assert isinstance(rows, ox.QuerySolutions)
        return rows

    @cached_property
    def class_counts(self) -> list[tuple[str, int]]:
        """(class, instances) of every class with instances, by label."""
        text = "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c"
        rows = self._select(text)
        counts = [
            (r["c"].value, int(r["n"].value)) for r in rows if isinstance(r["c"], ox.NamedNode)
        ]
        return sorted(counts, key=lambda c: (self.label(c[0]) or compact(c[0])).lower())

    def instances(self, cls: str) -> list[str]:
        text = f"SELECT DISTINCT ?s WHERE {{ ?s a <{cls}> FILTER(isIRI(?s)) }}"
        rows = self._select(text)
        return sorted((r["s"].value for r in rows), key=lambda i: (self.label(i) or i).lower())

    # -- the home and ontology pages -------------------------------------------------------

    def dataset(self) -> dict[str, Any]:
        """Title, description, licence and source from void.ttl; counts from build.json."""
        info: dict[str, Any] = {"counts": self.build.get("counts", {}), "version": ""}
        info["version"] = self.build.get("version", "")
        info["built"] = self.build.get("built", "")
        path = self.dist / "void.ttl"
        if path.exists():
            for triple in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
                if triple.subject != ox.NamedNode(BASE + "dataset"):
                    continue
                key = triple.predicate.value.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
                if key in ("title", "description", "license", "source"):
                    info[key] = triple.object.value
        return info

    def ontology_page(self, linker: Linker) -> dict[str, Any]:
        """Every class, property and individual of the ontology, with its axioms."""
        graph = ox.NamedNode(GRAPH_ONTOLOGY)
        about: dict[Any, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for quad in self.store.quads_for_pattern(None, None, None, graph):
            about[quad.subject][quad.predicate.value].append(quad.object)
        counts = dict(self.class_counts)
        sections: dict[str, list[dict[str, Any]]] = {k: [] for k in ONTOLOGY_SECTIONS}
        sections["individuals"] = []
        sub_of: dict[str, list[Any]] = defaultdict(list)
        for subject, props in about.items():
            for parent in _parents(props):
                if isinstance(parent, ox.NamedNode):
                    sub_of[parent.value].append(subject)
        for subject, props in about.items():
            if not isinstance(subject, ox.NamedNode) or not subject.value.startswith(CSKG):
                continue
            iri = subject.value
            entry = self._ontology_entry(iri, props, sub_of.get(iri, []), linker)
            entry["instances"] = counts.get(iri)
            types = {t.value for t in props.get(RDF_TYPE, []) if isinstance(t, ox.NamedNode)}
            placed = next((k for k, cls in ONTOLOGY_SECTIONS.items() if cls in types), None)
            sections[placed or "individuals"].append(entry)
        for entries in sections.values():
            entries.sort(key=lambda e: e["anchor"].lower())
        header = about.get(ox.NamedNode(ONTOLOGY), {})
        meta = {
            key.rsplit("#", 1)[-1].rsplit("/", 1)[-1]: [self.term(o, linker) for o in objects]
            for key, objects in header.items()
            if key != RDF_TYPE
        }
        return {"iri": ONTOLOGY, "namespace": CSKG, "meta": meta, "sections": sections}

    def _ontology_entry(
        self, iri: str, props: dict[str, list[Any]], children: list[Any], linker: Linker
    ) -> dict[str, Any]:
        """One term of the ontology page (without its instance count)."""

        def views(terms: Iterable[Any]) -> list[TermView]:
            named = [t for t in terms if isinstance(t, ox.NamedNode)]
            return [self.term(t, linker) for t in sorted(named, key=lambda t: t.value)]

        return {
            "iri": iri,
            "anchor": iri[len(CSKG) :],
            "label": self.label(iri) or iri[len(CSKG) :],
            "label_zh": self.data.labels_in(iri).get("zh"),
            "comment": [
                o.value
                for key in (RDFS + "comment", SKOS + "definition")
                for o in props.get(key, [])
                if isinstance(o, ox.Literal) and o.language in (None, "", "en")
            ],
            "types": views(props.get(RDF_TYPE, [])),
            "parents": views(_parents(props)),
            "children": views(children),
            "domain": views(props.get(RDFS + "domain", [])),
            "range": views(props.get(RDFS + "range", [])),
            "inverse": views(props.get(OWL + "inverseOf", [])),
            "equivalent": views(props.get(OWL + "equivalentClass", [])),
            "disjoint": views(props.get(OWL + "disjointWith", [])),
            "instances_href": (
                linker.page("/" + p, p + ".html") if (p := instance_path(iri)) else None
            ),
        }


#: the sections of the ontology page and the type that puts a term in each (else: individuals)
ONTOLOGY_SECTIONS = {
    "classes": OWL + "Class",
    "object_properties": OWL + "ObjectProperty",
    "datatype_properties": OWL + "DatatypeProperty",
    "annotation_properties": OWL + "AnnotationProperty",
}


def _parents(props: dict[str, list[Any]]) -> list[Any]:
    return props.get(RDFS + "subClassOf", []) + props.get(RDFS + "subPropertyOf", [])


def instance_path(cls: str) -> str | None:
    """`instances/cskg/Policy` for a class with a prefixed name; None otherwise."""
    name = compact(cls)
    if name.startswith("<") or "/" in name:
        return None
    prefix, _, local = name.partition(":")
    return f"instances/{prefix}/{local}" if local else None


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every template, whatever its name
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["compact"] = compact
    return env


# -- the pages ----------------------------------------------------------------------------------


class NotFound(Exception):
    """The parameters of a page name nothing in the release: the server answers 404 with this
    message, the static site has no such file."""


def links(linker: Linker) -> dict[str, str | None]:
    """The site's own pages every page links to (None: not in this site)."""
    return {
        "home": linker.page("/", "index.html"),
        "ontology": linker.resource(ONTOLOGY),
        "query": linker.page("/query"),
        "sparql": linker.page("/sparql"),
        "void": linker.page("/.well-known/void", ".well-known/void"),
        "dump": linker.page("/dumps/cskg.nq", "dumps/cskg.nq"),
    }


#: where an instance list cut at `html_rows` is whole: (name, key of `links`)
COMPLETE_LISTS = (("the SPARQL endpoint", "sparql"), ("the N-Quads dump", "dump"))

#: the downloads the home page offers
HOME_DUMPS = ("cskg.nq", "cskg.trig", "ontology.ttl")

ViewModel = dict[str, Any]


def home_view(release: ReleaseView, linker: Linker, params: dict[str, Any]) -> ViewModel:
    """The dataset's title, counts, licence and source, and its classes with their instances."""
    dataset = release.dataset()
    classes = []
    for cls, count in release.class_counts:
        target = instance_path(cls)
        classes.append(
            {
                "label": release.label(cls) or compact(cls),
                "name": compact(cls),
                "count": count,
                "href": linker.page("/" + target, target + ".html") if target else None,
            }
        )
    web = {
        key: dataset.get(key) if _is_web(dataset.get(key)) else None
        for key in ("source", "license")
    }
    return {
        "title": dataset.get("title", "cskg"),
        "dataset": dataset,
        "counts": dataset["counts"],
        "source_href": web["source"],
        "license_href": web["license"],
        "classes": classes,
        "dumps": [(name, linker.page(f"/dumps/{name}", f"dumps/{name}")) for name in HOME_DUMPS],
    }


def resource_view(release: ReleaseView, linker: Linker, params: dict[str, Any]) -> ViewModel:
    return release.resource_page(params["path"], linker)


def ontology_view(release: ReleaseView, linker: Linker, params: dict[str, Any]) -> ViewModel:
    view = release.ontology_page(linker)
    view["title"] = release.label(ONTOLOGY) or "Ontology"
    view["formats"] = [
        (f.name, f.media, linker.document("ontology", f.ext)) for f in FORMATS.values()
    ]
    return view


def instances_view(release: ReleaseView, linker: Linker, params: dict[str, Any]) -> ViewModel:
    """The instances of the class `params["prefix"]:params["local"]` that have IRIs, by label,
    the first `html_rows` of them; NotFound unless it is a class with instances (the home page
    lists every such class)."""
    prefix, local = params["prefix"], params["local"]
    namespace = PREFIXES.get(prefix)
    if namespace is None or not local.replace("-", "").replace("_", "").isalnum():
        raise NotFound("No such class.")
    cls = namespace + local
    if instance_path(cls) != f"instances/{prefix}/{local}" or cls not in dict(release.class_counts):
        raise NotFound("No instances of this class.")
    instances = release.instances(cls)
    found = links(linker)
    return {
        "title": f"{release.label(cls) or compact(cls)}: instances",
        "cls": release.term(ox.NamedNode(cls), linker),
        "items": [release.term(ox.NamedNode(i), linker) for i in instances[: release.html_rows]],
        "total": len(instances),
        # where they all are: the SPARQL endpoint if any (a static site has none), the dump
        "complete": [(name, found[key], None) for name, key in COMPLETE_LISTS if found[key]],
    }


def query_view(release: ReleaseView, linker: Linker, params: dict[str, Any]) -> ViewModel:
    """The query form with the library's examples; `params` may hold the `text` and `selected`
    example shown, a `result` table or an `error`."""
    library = [
        {
            "name": q.name,
            "title": q.title,
            "question": q.question,
            "href": f"{linker.page('/query')}?example={q.name}",
        }
        for q in release.library
    ]
    texts = {q.name: q.text for q in release.library}
    # JSON inside <script>: escape <, > and & so no string can close the element
    data = json.dumps(texts).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return {
        "title": "SPARQL query",
        "library": library,
        "library_json": Markup(data),
        "text": params.get("text", ""),
        "selected": params.get("selected", ""),
        "result": params.get("result"),
        "error": params.get("error"),
    }


def _is_web(value: Any) -> bool:
    return isinstance(value, str) and is_web_iri(value)


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
QUERY = Page("query", ("/query",), "query.html", query_view)
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
#: every page of the site (the error page aside): add one here, with its view and template
PAGES = (HOME, QUERY, ONTOLOGY_PAGE, RESOURCE, INSTANCES)


def document_page(path: str) -> Page:
    """The page describing the resource at `path` (under the base)."""
    return ONTOLOGY_PAGE if path == "ontology" else RESOURCE
