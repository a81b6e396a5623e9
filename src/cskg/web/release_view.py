"""The web's view of a release: where a page links to (`Linker`), the views of terms and sources
the templates show, and `ReleaseView`, the release (`cskg.release.Release`) as the pages read it.

A resource's description is its concise bounded description (outgoing statements, following
blank nodes), its incoming statements, the statements of the named graph it names (for an
evidence sentence), and the section and quote of every evidence graph those statements sit in.

Every term is named in the page's language: a resource by its label (the release's label rule),
a reused term by its readable name (`cskg.web.readable`), else by its prefixed name; an IRI
whose scheme is not http or https is shown as text and never becomes a link.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph as ox

from cskg.explain import Explanation, NotInferred, explain
from cskg.query.engines import union_options
from cskg.query.model import ox_triple
from cskg.query.results import compact
from cskg.release import Release as ReleaseData
from cskg.release import graph_kind
from cskg.vocab import (
    BASE,
    CSKG,
    GRAPH_ONTOLOGY,
    ONTOLOGY,
    RDF_LANGSTRING,
    RELEASE_DATASET,
    XSD,
)
from cskg.web.i18n import LANGUAGES, Message
from cskg.web.readable import READABLE_TYPES, external_name, literal_text

#: a resource path under the base: slug segments of letters, digits, `-`, `_`; no dot segments
SAFE_PATH = re.compile(r"(?:id|graph)(?:/[A-Za-z0-9][A-Za-z0-9_\-]*)+")


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


def language_folder(lang: str | None) -> str:
    """The folder of a language's pages in the static site: the top for the default language,
    `zh/` for Chinese."""
    return "" if lang in (None, LANGUAGES[0]) else f"{lang}/"


class Linker:
    """Where a page links to. On the server: the IRIs themselves under the public base (the
    server negotiates); in the static site: the `.html` documents, relative to the page.

    Pages come in every language of the site, shared files (stylesheets, dumps, RDF documents,
    the endpoint) once. `lang` is the language a page's links to pages keep: on the server a
    language chosen with `?lang=` (None: chosen by `Accept-Language`, nothing to keep), in the
    static site the language tree the page is in (the default language at the top, any other
    in its folder, `zh/`)."""

    def __init__(
        self, prefix: str = "", *, static_from: str | None = None, lang: str | None = None
    ) -> None:
        self.prefix = prefix.rstrip("/")  # "" (root-relative) or the public base URL
        self.static_from = static_from  # the page's own path in its language's tree
        self.lang = lang

    def _rel(self, target: str, *, shared: bool = False) -> str:
        assert self.static_from is not None
        start = posixpath.dirname(language_folder(self.lang) + self.static_from) or "."
        return posixpath.relpath(target if shared else language_folder(self.lang) + target, start)

    def _keep(self, url: str, lang: str | None = None) -> str:
        """A server URL of a page with the language its links keep (`lang=`)."""
        lang = lang or self.lang
        if lang is None:
            return url
        url, hash_mark, fragment = url.partition("#")
        return url + ("&" if "?" in url else "?") + f"lang={lang}" + hash_mark + fragment

    def page(self, server: str, static: str | None = None) -> str | None:
        """A site page: `server` is its path on the server, `static` its file in the site."""
        if self.static_from is None:
            return self._keep(self.prefix + server)
        return None if static is None else self._rel(static)

    def file(self, server: str | None, static: str | None = None) -> str | None:
        """A file every language shares (None: not in this site)."""
        if self.static_from is None:
            return None if server is None else self.prefix + server
        return None if static is None else self._rel(static, shared=True)

    def resource(self, iri: str) -> str | None:
        """The href for an IRI, or None when it must not be a link."""
        found = site_path(iri)
        if found is None:
            return iri if is_web_iri(iri) else None
        path, fragment = found
        anchor = f"#{fragment}" if fragment else ""
        if self.static_from is None:
            return self._keep(f"{self.prefix}/{path}{anchor}")
        if path == "ontology" or SAFE_PATH.fullmatch(path):
            return self._rel(path + ".html") + anchor
        return self.prefix + "/" + path + anchor

    def document(self, path: str, ext: str) -> str:
        """One format variant of a resource document: the page, or a shared RDF document."""
        if self.static_from is None:
            url = f"{self.prefix}/{path}.{ext}"
            return self._keep(url) if ext == "html" else url
        return self._rel(f"{path}.{ext}", shared=ext != "html")

    def in_language(self, lang: str, here: str) -> str:
        """This page in `lang` (the language switch): on the server `here` (the page's path and
        parameters) with `lang=`, in the static site the same file in the tree of `lang`."""
        if self.static_from is None:
            return self._keep(self.prefix + here, lang)
        start = posixpath.dirname(language_folder(self.lang) + self.static_from) or "."
        return posixpath.relpath(language_folder(lang) + self.static_from, start)


class NotFound(Exception):
    """The parameters of a page name nothing in the release: the server answers 404 with this
    message (translated on the page), the static site has no such file."""

    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


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
    raw: str | None = None  # a literal as written, when `text` is rewritten for people


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


#: the most rows an HTML table or list shows; the RDF documents hold everything. A hub concept
#: of 100 synthetic papers has thousands of incoming links and the inferred graph 65,600
#: statements: a page of them all was 35 MB, more than a browser opens comfortably.
HTML_ROWS = 1_000

#: how many resource descriptions `ReleaseView.describe` keeps
DESCRIPTIONS_KEPT = 16

#: how many explanations of inferred statements `ReleaseView.why` keeps
EXPLANATIONS_KEPT = 4096


def instance_path(cls: str) -> str | None:
    """`instances/cskg/Policy` for a class with a prefixed name; None otherwise."""
    name = compact(cls)
    if name.startswith("<") or "/" in name:
        return None
    prefix, _, local = name.partition(":")
    return f"instances/{prefix}/{local}" if local else None


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
        self.why = lru_cache(maxsize=EXPLANATIONS_KEPT)(self._why)
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

    def name(self, iri: str, lang: str = "en") -> str:
        """What a page calls `iri`: its label, else the readable name of a reused term, else its
        prefixed name, else the IRI itself."""
        found = self.label(iri, lang) or external_name(iri, lang)
        if found:
            return found
        short = compact(iri)
        return iri if short.startswith("<") else short

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

    @cached_property
    def axioms(self) -> dict[str, dict[str, list[str]]]:
        """The ontology's statements between IRIs: predicate -> subject -> objects."""
        found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        graph = ox.NamedNode(GRAPH_ONTOLOGY)
        for quad in self.store.quads_for_pattern(None, None, None, graph):
            if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.NamedNode):
                found[quad.predicate.value][quad.subject.value].append(quad.object.value)
        return {p: dict(by_subject) for p, by_subject in found.items()}

    def select(self, text: str) -> ox.QuerySolutions:
        """A SELECT query of the pages' own (never a visitor's) over the merged graphs."""
        rows = self.store.query(text, **self.union)
        assert isinstance(rows, ox.QuerySolutions)
        return rows

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

    def _why(self, triple: ox.Triple) -> Explanation | None:
        """Why the release holds an inferred statement (`cskg.explain`); None when it is not
        inferred. Called as `why`, which keeps the explanations made."""
        try:
            return explain(self.data, ox_triple(triple))
        except NotInferred:
            return None

    # -- HTML views ------------------------------------------------------------------------

    def term(
        self,
        term: Any,
        linker: Linker,
        bnodes: dict[Any, list[ox.Quad]] | None = None,
        lang: str = "en",
    ) -> TermView:
        """The view of a pyoxigraph term in the page's language; a blank node shows the
        statements `bnodes` holds about it."""
        if isinstance(term, ox.NamedNode):
            return self.iri_view(term.value, linker, lang)
        if isinstance(term, ox.BlankNode):
            view = TermView("bnode", "[ ]")
            for quad in (bnodes or {}).get(term, []):
                view.children.append(
                    (
                        self.term(quad.predicate, linker, lang=lang),
                        self.term(quad.object, linker, bnodes, lang),
                    )
                )
            return view
        if isinstance(term, ox.Literal):
            return self.literal(term, lang)
        return TermView("literal", str(term))

    def literal(self, literal: ox.Literal, lang: str = "en") -> TermView:
        """A literal written for people (`cskg.web.readable`), its language tag kept and its
        datatype shown unless the text already says what it is."""
        datatype = literal.datatype.value
        text = literal_text(literal.value, datatype, lang)
        shown = None if datatype in READABLE_TYPES else compact(datatype)
        raw = None
        if text != literal.value:
            raw = f'"{literal.value}"^^{compact(datatype)}'
        language = literal.language or None
        if datatype == RDF_LANGSTRING or datatype == XSD + "string":
            shown = None
        return TermView("literal", text, lang=language, datatype=shown, raw=raw)

    def iri_view(self, iri: str, linker: Linker, lang: str = "en") -> TermView:
        """An IRI shown by its name (`name`), a link unless its scheme forbids."""
        return TermView("iri", self.name(iri, lang), iri=iri, href=linker.resource(iri))

    def source(self, graph: Any, linker: Linker, lang: str = "en") -> SourceView:
        if not isinstance(graph, ox.NamedNode):
            return SourceView("other", TermView("literal", "default graph"))
        iri = graph.value
        kind = graph_kind(iri)
        view = SourceView(kind, self.term(graph, linker, lang=lang))
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

    # -- the release in figures --------------------------------------------------------------

    @cached_property
    def class_counts(self) -> list[tuple[str, int]]:
        """(class, instances) of every class with instances, by label."""
        text = "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c"
        rows = self.select(text)
        counts = [
            (r["c"].value, int(r["n"].value)) for r in rows if isinstance(r["c"], ox.NamedNode)
        ]
        return sorted(counts, key=lambda c: self.name(c[0]).lower())

    def instances(self, cls: str) -> list[str]:
        text = f"SELECT DISTINCT ?s WHERE {{ ?s a <{cls}> FILTER(isIRI(?s)) }}"
        rows = self.select(text)
        return sorted((r["s"].value for r in rows), key=lambda i: (self.label(i) or i).lower())

    def examples(self, cls: str, count: int) -> list[str]:
        """A few instances of `cls` with IRIs, the first the store holds, by IRI (`instances`
        sorts them all by label: slow for a class of thousands, asked of a hundred classes)."""
        text = f"SELECT ?s WHERE {{ ?s a <{cls}> FILTER(isIRI(?s)) }} LIMIT {count}"
        return sorted(row["s"].value for row in self.select(text))

    def dataset(self) -> dict[str, Any]:
        """Title, description, licence, source and the files it is distributed as (their name
        and media type) from void.ttl; counts, version and build time from build.json. Read once:
        void.ttl grows with the corpus (85,000 triples at 100 papers), the release does not
        change under a view."""
        return self._dataset

    @cached_property
    def _dataset(self) -> dict[str, Any]:
        info: dict[str, Any] = {"counts": self.build.get("counts", {}), "distributions": []}
        info["version"] = self.build.get("version", "")
        info["built"] = self.build.get("built", "")
        path = self.dist / "void.ttl"
        about: dict[Any, dict[str, Any]] = defaultdict(dict)
        if path.exists():
            for triple in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
                key = triple.predicate.value.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
                about[triple.subject].setdefault(key, []).append(triple.object)
        dataset = about.get(ox.NamedNode(RELEASE_DATASET), {})
        for key in ("title", "description", "license", "source"):
            if key in dataset:
                info[key] = dataset[key][0].value
        for node in dataset.get("distribution", []):
            file = about[node]
            if "title" in file and "mediaType" in file:
                # the IANA register's IRI ends with the type: …/media-types/application/trig
                media = "/".join(file["mediaType"][0].value.rsplit("/", 2)[-2:])
                info["distributions"].append((file["title"][0].value, media))
        return info
