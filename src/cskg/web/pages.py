"""Linked-data views of the release, shared by `cskg serve` and `cskg publish`.

A resource's description is its concise bounded description (outgoing statements, following
blank nodes), its incoming statements, the statements of the named graph it names (for an
evidence sentence), and the section and quote of every evidence graph those statements sit in.
RDF formats serialise those quads (TriG and N-Quads keep the graph names); the HTML page shows
each statement with where it comes from.

Every page is rendered by Jinja2 with autoescaping on; an IRI whose scheme is not http or https
is shown as text and never becomes a link.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph as ox
from jinja2 import Environment, FileSystemLoader

from cskg.errors import CskgError
from cskg.query.engines import load_in_memory, union_options
from cskg.query.results import compact
from cskg.vocab import (
    BASE,
    CSKG,
    EV,
    GRAPH_CURATION,
    GRAPH_DOCUMENT,
    GRAPH_INFERRED,
    GRAPH_ONTOLOGY,
    ONTOLOGY,
    PREFIXES,
)

RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
OWL = PREFIXES["owl"]
SKOS = PREFIXES["skos"]
DCTERMS = PREFIXES["dcterms"]
RDF_TYPE = RDF + "type"
LABELS = (RDFS + "label", SKOS + "prefLabel", DCTERMS + "title")
TEMPLATES = Path(__file__).parent / "templates"

#: a resource path under the base: slug segments of letters, digits, `-`, `_`; no dot segments
SAFE_PATH = re.compile(r"(?:id|graph)(?:/[A-Za-z0-9][A-Za-z0-9_\-]*)+")


@dataclass(frozen=True)
class Format:
    ext: str
    media: str
    name: str
    rdf: ox.RdfFormat | None  # None: the HTML page
    quads: bool = False  # keeps graph names


FORMATS: dict[str, Format] = {
    f.ext: f
    for f in (
        Format("html", "text/html", "HTML", None),
        Format("ttl", "text/turtle", "Turtle", ox.RdfFormat.TURTLE),
        Format("jsonld", "application/ld+json", "JSON-LD", ox.RdfFormat.JSON_LD),
        Format("nt", "application/n-triples", "N-Triples", ox.RdfFormat.N_TRIPLES),
        Format("rdf", "application/rdf+xml", "RDF/XML", ox.RdfFormat.RDF_XML),
        Format("trig", "application/trig", "TriG", ox.RdfFormat.TRIG, quads=True),
        Format("nq", "application/n-quads", "N-Quads", ox.RdfFormat.N_QUADS, quads=True),
    )
}
#: the variants a client may ask for, in the server's order of preference (HTML first, so `*/*`
#: and no Accept header get the page), each with its media type and the aliases clients use
OFFER: list[tuple[str, list[str]]] = [
    ("html", ["text/html", "application/xhtml+xml"]),
    ("ttl", ["text/turtle", "application/x-turtle"]),
    ("jsonld", ["application/ld+json", "application/json"]),
    ("nt", ["application/n-triples"]),
    ("rdf", ["application/rdf+xml"]),
    ("trig", ["application/trig"]),
    ("nq", ["application/n-quads"]),
]


def negotiate(accept: str | None) -> str | None:
    """The variant (file extension) that best fits an Accept header; None when none fits
    (`cskg.web.negotiation`: `text/html;q=0, */*` never gets the page)."""
    from cskg.web.negotiation import negotiate as choose

    return choose(accept, OFFER)


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


def graph_kind(graph: str) -> str:
    if graph.startswith(EV):
        return "evidence"
    return {
        GRAPH_CURATION: "editorial",
        GRAPH_INFERRED: "inferred",
        GRAPH_ONTOLOGY: "ontology",
        GRAPH_DOCUMENT: "document",
    }.get(graph, "other")


#: the most rows an HTML table or list shows; the RDF documents hold everything. A hub concept
#: of 100 synthetic papers has thousands of incoming links and the inferred graph 65,600
#: statements: a page of them all was 35 MB, more than a browser opens comfortably.
HTML_ROWS = 1_000

#: how many resource descriptions `Release.describe` keeps
DESCRIPTIONS_KEPT = 16
#: every namespace of `PREFIXES` ends with "/" or "#", so an IRI's namespaces are its prefixes
#: ending there
_PREFIX_OF_NAMESPACE = {ns: p for p, ns in PREFIXES.items()}
_NAMESPACE_END = re.compile(r"[/#]")


def prefixes_used(quads: Iterable[ox.Quad]) -> dict[str, str]:
    """The entries of `PREFIXES` whose namespace begins an IRI of the quads (a document
    declares only those)."""
    used: set[str] = set()
    seen: set[str] = set()
    for quad in quads:
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
            if type(term) is not ox.NamedNode or term.value in seen:
                continue
            iri = term.value
            seen.add(iri)
            for end in _NAMESPACE_END.finditer(iri):
                prefix = _PREFIX_OF_NAMESPACE.get(iri[: end.end()])
                if prefix is not None:
                    used.add(prefix)
    return {p: ns for p, ns in PREFIXES.items() if p in used}


class Release:
    """The release's quads with the indexes the pages need, built once (the data is small)."""

    def __init__(self, dist: Path, *, root: Path | None = None) -> None:
        self.dist = dist
        self.root = root
        store_path = dist / "store"
        if (store_path / "CURRENT").exists():
            self.store = ox.Store.read_only(str(store_path))
        elif (dist / "cskg.nq").exists():
            self.store = load_in_memory(dist)
        else:
            raise CskgError(f"no release at {dist}: build it first (cskg build)")
        self.union = union_options(self.store)  # the query options of its default graph
        # a resource is rendered in seven formats one after the other (the static site, a
        # client following the alternates): its description is made once
        self.describe = lru_cache(maxsize=DESCRIPTIONS_KEPT)(self._describe)
        self.html_rows = HTML_ROWS  # the most rows of a table or list on a page
        self.labels: dict[str, dict[str, str]] = defaultdict(dict)
        rank: dict[tuple[str, str], int] = {}
        self.known: set[str] = set()  # site paths of every project IRI in the release
        self.graphs: set[str] = set()
        for quad in self.named_quads(None, None, None):
            for term in (quad.subject, quad.object, quad.graph_name):
                if isinstance(term, ox.NamedNode):
                    found = site_path(term.value)
                    if found and SAFE_PATH.fullmatch(found[0]):
                        self.known.add(found[0])
            if isinstance(quad.graph_name, ox.NamedNode):
                self.graphs.add(quad.graph_name.value)
            predicate = quad.predicate.value
            if predicate in LABELS and isinstance(quad.object, ox.Literal):
                key = (quad.subject.value, quad.object.language or "")
                # rdfs:label wins over skos:prefLabel over dcterms:title
                if LABELS.index(predicate) < rank.get(key, 9):
                    rank[key] = LABELS.index(predicate)
                    self.labels[key[0]][key[1]] = quad.object.value
        self.known.add("ontology")
        self.evidence = self._evidence()
        self.build = self._json("build.json")

    def _json(self, name: str) -> dict[str, Any]:
        path = self.dist / name
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def _evidence(self) -> dict[str, tuple[str | None, str | None, str | None]]:
        """graph IRI -> (section IRI, section number, quote) of every evidence graph."""
        out: dict[str, tuple[str | None, str | None, str | None]] = {}
        text = f"""
            SELECT ?g ?sec ?n ?q WHERE {{
              GRAPH ?g {{ ?g a <{CSKG}Evidence> OPTIONAL {{ ?g <{CSKG}quote> ?q }}
                          OPTIONAL {{ ?g <{CSKG}section> ?sec }} }}
              OPTIONAL {{ ?sec <{CSKG}sectionNumber> ?n }}
            }}"""
        for row in self.store.query(text, **self.union):
            g, sec, n, q = (row[v] for v in ("g", "sec", "n", "q"))
            out[g.value] = (
                sec.value if sec else None,
                n.value if n else None,
                q.value if q else None,
            )
        return out

    def label(self, iri: str, lang: str = "en") -> str | None:
        labels = self.labels.get(iri, {})
        for key in (lang, "en", "", "zh"):
            if key in labels:
                return labels[key]
        return None

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
            if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in self.evidence
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

    def serialize(self, quads: Sequence[ox.Quad], fmt: Format) -> bytes:
        data: Iterable[Any] = quads if fmt.quads else dict.fromkeys(q.triple for q in quads)
        assert fmt.rdf is not None
        if fmt.rdf in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS):
            return ox.serialize(data, format=fmt.rdf)
        return ox.serialize(data, format=fmt.rdf, prefixes=prefixes_used(quads))

    # -- HTML views ------------------------------------------------------------------------

    def term(
        self, term: Any, linker: Linker, bnodes: dict[Any, list[ox.Quad]] | None = None
    ) -> TermView:
        if isinstance(term, ox.NamedNode):
            iri = term.value
            label = self.label(iri)
            text = label or compact(iri)
            if text.startswith("<"):
                text = iri
            return TermView("iri", text, iri=iri, href=linker.resource(iri))
        if isinstance(term, ox.BlankNode):
            view = TermView("bnode", "[ ]")
            for quad in (bnodes or {}).get(term, []):
                view.children.append(
                    (self.term(quad.predicate, linker), self.term(quad.object, linker))
                )
            return view
        if isinstance(term, ox.Literal):
            datatype = None if term.language else compact(term.datatype.value)
            if datatype == "xsd:string":
                datatype = None
            return TermView("literal", term.value, lang=term.language, datatype=datatype)
        return TermView("literal", str(term))

    def source(self, graph: Any, linker: Linker) -> SourceView:
        if not isinstance(graph, ox.NamedNode):
            return SourceView("other", TermView("literal", "default graph"))
        iri = graph.value
        kind = graph_kind(iri)
        view = SourceView(kind, self.term(graph, linker))
        if iri in self.evidence:
            section, number, quote = self.evidence[iri]
            if section:
                view.section = TermView(
                    "iri",
                    f"§ {number}" if number else compact(section),
                    iri=section,
                    href=linker.resource(section),
                )
            view.quote = quote
        return view

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
            grouped: dict[tuple[Any, Any, Any], list[Any]] = {}
            for quad in selected:
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
            order = {RDF_TYPE: 0, RDFS + "label": 1}
            rows.sort(
                key=lambda r: (order.get(r.predicate.iri or "", 2), r.predicate.text, r.value.text)
            )
            return rows

        outgoing = statements(q for q in quads if q.subject == node)
        types = [s for s in outgoing if s.predicate.iri == RDF_TYPE]
        outgoing = [s for s in outgoing if s.predicate.iri != RDF_TYPE]
        incoming = statements(q for q in quads if q.object == node and q.subject != node)
        contents = statements(q for q in quads if q.graph_name == node and q.subject != node)
        labels = self.labels.get(iri, {})
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

    def class_counts(self) -> list[tuple[str, int]]:
        text = "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c"
        rows = self.store.query(text, **self.union)
        counts = [
            (r["c"].value, int(r["n"].value)) for r in rows if isinstance(r["c"], ox.NamedNode)
        ]
        return sorted(counts, key=lambda c: (self.label(c[0]) or compact(c[0])).lower())

    def instances(self, cls: str) -> list[str]:
        text = f"SELECT DISTINCT ?s WHERE {{ ?s a <{cls}> FILTER(isIRI(?s)) }}"
        rows = self.store.query(text, **self.union)
        return sorted((r["s"].value for r in rows), key=lambda i: (self.label(i) or i).lower())

    # -- the home and ontology pages -------------------------------------------------------

    def dataset(self) -> dict[str, Any]:
        """Title, description, licence and source from void.ttl; counts from build.json."""
        info: dict[str, Any] = {"counts": self.build.get("counts", {}), "version": ""}
        info["version"] = self.build.get("version", "")
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
        counts = dict(self.class_counts())
        kinds = {
            "classes": (OWL + "Class",),
            "object_properties": (OWL + "ObjectProperty",),
            "datatype_properties": (OWL + "DatatypeProperty",),
            "annotation_properties": (OWL + "AnnotationProperty",),
        }
        sections: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
        sections["individuals"] = []
        sub_of: dict[str, list[Any]] = defaultdict(list)
        for subject, props in about.items():
            for parent in props.get(RDFS + "subClassOf", []) + props.get(
                RDFS + "subPropertyOf", []
            ):
                if isinstance(parent, ox.NamedNode):
                    sub_of[parent.value].append(subject)

        def views(terms: Iterable[Any]) -> list[TermView]:
            named = [t for t in terms if isinstance(t, ox.NamedNode)]
            return [self.term(t, linker) for t in sorted(named, key=lambda t: t.value)]

        for subject, props in about.items():
            if not isinstance(subject, ox.NamedNode) or not subject.value.startswith(CSKG):
                continue
            types = {t.value for t in props.get(RDF_TYPE, []) if isinstance(t, ox.NamedNode)}
            iri = subject.value
            entry = {
                "iri": iri,
                "anchor": iri[len(CSKG) :],
                "label": self.label(iri) or iri[len(CSKG) :],
                "label_zh": self.labels.get(iri, {}).get("zh"),
                "comment": [
                    o.value
                    for key in (RDFS + "comment", SKOS + "definition")
                    for o in props.get(key, [])
                    if isinstance(o, ox.Literal) and o.language in (None, "", "en")
                ],
                "types": views(props.get(RDF_TYPE, [])),
                "parents": views(
                    props.get(RDFS + "subClassOf", []) + props.get(RDFS + "subPropertyOf", [])
                ),
                "children": views(sub_of.get(iri, [])),
                "domain": views(props.get(RDFS + "domain", [])),
                "range": views(props.get(RDFS + "range", [])),
                "inverse": views(props.get(OWL + "inverseOf", [])),
                "equivalent": views(props.get(OWL + "equivalentClass", [])),
                "disjoint": views(props.get(OWL + "disjointWith", [])),
                "instances": counts.get(iri),
                "instances_href": (
                    linker.page("/" + p, p + ".html") if (p := instance_path(iri)) else None
                ),
            }
            placed = False
            for section, wanted in kinds.items():
                if types & set(wanted):
                    sections[section].append(entry)
                    placed = True
                    break
            if not placed:
                sections["individuals"].append(entry)
        for entries in sections.values():
            entries.sort(key=lambda e: e["anchor"].lower())
        header = about.get(ox.NamedNode(ONTOLOGY), {})
        meta = {
            key.rsplit("#", 1)[-1].rsplit("/", 1)[-1]: [self.term(o, linker) for o in objects]
            for key, objects in header.items()
            if key != RDF_TYPE
        }
        return {"iri": ONTOLOGY, "namespace": CSKG, "meta": meta, "sections": sections}


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


def relative_to(path: str, start: str) -> str:
    """A file path relative to another file's folder (for the static site)."""
    return os.path.relpath(path, os.path.dirname(start) or ".")
