"""The release as its readers see it: statements, what names them, where they come from.

`Release` is the one domain layer over a built release (`dist/`): the store opened on disk or in
memory (through `cskg.query.engines`), the label rule, the evidence of a statement (the sentence
graph's section, quote and document), the kind of every graph and the class hierarchy of the
ontology in the release. It reads nothing before it is asked, and each answer once.

The label rule: the values of `vocab.LABEL_PROPERTIES` stated in the asserted graphs; the
language asked for, then English, then untagged, then any other language; within a language the
properties in `LABEL_PROPERTIES` order, then the smallest value; an IRI without any is called by
the name `cskg.vocab_names` gives a reused vocabulary's term, else by its local name (`label`),
or left out (`labels`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from cskg.errors import CskgError
from cskg.vocab import (
    CSKG,
    EV,
    GRAPH_CURATION,
    GRAPH_DOCUMENT,
    GRAPH_INFERRED,
    GRAPH_ONTOLOGY,
    GRAPH_TRANSLATIONS,
    LABEL_PROPERTIES,
    RDFS,
)
from cskg.vocab_names import external_name

if TYPE_CHECKING:
    from cskg.query.engines import EmbeddedStore
    from cskg.query.model import QueryStore, Term

#: what a graph holds, by its name: a sentence of the paper ("evidence"), the curators' own
#: statements ("editorial"), the reasoner's ("inferred"), the ontology, the paper's description
GRAPH_KINDS = {
    GRAPH_CURATION: "editorial",
    GRAPH_TRANSLATIONS: "editorial",
    GRAPH_INFERRED: "inferred",
    GRAPH_ONTOLOGY: "ontology",
    GRAPH_DOCUMENT: "document",
}


def graph_kind(graph: str) -> str:
    """evidence, editorial, inferred, ontology, document or other."""
    if graph.startswith(EV):
        return "evidence"
    return GRAPH_KINDS.get(graph, "other")


def local_name(iri: str) -> str:
    """The part of an IRI after its last `#` or `/`: what an unlabelled resource is called."""
    return iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1] or iri


@dataclass(frozen=True)
class Evidence:
    """The sentence an evidence graph stands for: its section (IRI and number), its verbatim
    quote and the document it cites."""

    graph: str
    section: str | None = None
    number: str | None = None
    quote: str | None = None
    document: str | None = None


# The section's number joined within the section's OPTIONAL: outside it, an evidence graph
# without a section would take any section's number, and reading one graph would take 1 ms.
_EVIDENCE_QUERY = f"""
SELECT ?g ?sec ?n ?q ?doc WHERE {{
  GRAPH ?g {{ ?g a <{CSKG}Evidence>
              OPTIONAL {{ ?g <{CSKG}quote> ?q }}
              OPTIONAL {{ ?g <{CSKG}cites> ?doc }} }}
  OPTIONAL {{ GRAPH ?g {{ ?g <{CSKG}section> ?sec }}
             OPTIONAL {{ ?sec <{CSKG}sectionNumber> ?n }} }}
}}"""

_LABELS_QUERY = f"""
SELECT ?s ?p ?l WHERE {{
  VALUES ?p {{ {" ".join(f"<{p}>" for p in LABEL_PROPERTIES)} }}
  GRAPH ?g {{ ?s ?p ?l }}
  FILTER(isIRI(?s) && isLiteral(?l) && ?g != <{GRAPH_INFERRED}>)
}}"""

_SUBCLASS_QUERY = f"""
SELECT ?c ?d WHERE {{
  GRAPH <{GRAPH_ONTOLOGY}> {{ ?c <{RDFS}subClassOf> ?d }} FILTER(isIRI(?c) && isIRI(?d))
}}"""

#: a label statement: (language tag or "", rank of its property, value)
LabelEntry = tuple[str, int, str]


def label_entry(predicate: str, value: Term) -> LabelEntry:
    """The label statement of `value`, a literal of `predicate` (one of `LABEL_PROPERTIES`)."""
    return (value.lang or "", LABEL_PROPERTIES.index(predicate), str(value.value))


def read_evidence(store: QueryStore, graph: str | None = None) -> dict[str, Evidence]:
    """graph IRI -> the evidence sentence it stands for: every evidence graph's, or `graph`'s
    only (nothing when it is not one)."""
    from cskg.query.model import Term

    bindings = None if graph is None else {"g": Term("iri", graph)}
    out: dict[str, Evidence] = {}
    for g, sec, n, q, doc in store.query(_EVIDENCE_QUERY, bindings=bindings).rows:
        if g is None:
            continue
        out[g.value] = Evidence(
            g.value,
            sec.value if sec else None,
            str(n.value) if n else None,
            str(q.value) if q else None,
            doc.value if doc else None,
        )
    return out


class Release:
    """A built release, read through one store (see the module docstring)."""

    def __init__(self, store: QueryStore, dist: Path | None = None) -> None:
        self.store = store
        self.dist = dist

    @classmethod
    def open(cls, dist: Path) -> Release:
        """The release in `dist`: its store on disk, or else its `cskg.nq` loaded in memory."""
        from cskg.query.engines import EmbeddedStore

        if (dist / "store" / "CURRENT").exists():
            return cls(EmbeddedStore(dist / "store"), dist)
        if (dist / "cskg.nq").exists():
            return cls(EmbeddedStore.in_memory(dist), dist)
        raise CskgError(f"no release at {dist}: build the release first (cskg build)")

    @property
    def embedded(self) -> EmbeddedStore:
        """The store as an `EmbeddedStore` (the pages read its quads directly)."""
        from cskg.query.engines import EmbeddedStore

        if not isinstance(self.store, EmbeddedStore):
            raise CskgError("this needs the release's own store, not a remote endpoint")
        return self.store

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Release:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- labels -----------------------------------------------------------------------------

    @cached_property
    def label_statements(self) -> dict[str, list[LabelEntry]]:
        """IRI -> its label statements, read once for the whole release."""
        found: dict[str, list[LabelEntry]] = defaultdict(list)
        for s, p, value in self.store.query(_LABELS_QUERY).rows:
            if s is not None and p is not None and value is not None:
                found[s.value].append(label_entry(p.value, value))
        return dict(found)

    def labels(self, iris: Iterable[str], lang: str = "en") -> dict[str, str]:
        """The label of each of `iris` that has one (the rule of the module docstring)."""
        preference = {lang: 0, "en": 1, "": 2}
        out: dict[str, str] = {}
        for iri in iris:
            entries = self.label_statements.get(iri)
            if entries:
                best = min(entries, key=lambda e: (preference.get(e[0], 3), e[0], e[1], e[2]))
                out[iri] = best[2]
        return out

    def label(self, iri: str, lang: str = "en") -> str:
        """The label of `iri`; for a reused vocabulary's term without one, its name in
        `cskg.vocab_names`; else its local name."""
        return self.labels([iri], lang).get(iri) or external_name(iri, lang) or local_name(iri)

    def labels_in(self, iri: str) -> dict[str, str]:
        """language tag ("" when untagged) -> the label of `iri` in that language."""
        out: dict[str, str] = {}
        for lang, _, value in sorted(self.label_statements.get(iri, ())):
            out.setdefault(lang, value)
        return out

    # -- provenance -------------------------------------------------------------------------

    @cached_property
    def evidence(self) -> dict[str, Evidence]:
        """graph IRI -> the evidence sentence it stands for, for every evidence graph."""
        return read_evidence(self.store)

    # -- the class hierarchy ----------------------------------------------------------------

    @cached_property
    def superclasses(self) -> dict[str, frozenset[str]]:
        """class -> every class above it (rdfs:subClassOf, transitively) in the ontology."""
        parents: dict[str, set[str]] = defaultdict(set)
        for c, d in self.store.query(_SUBCLASS_QUERY).rows:
            if c is not None and d is not None and c.value != d.value:
                parents[c.value].add(d.value)
        closure: dict[str, frozenset[str]] = {}
        for cls in parents:
            seen: set[str] = set()
            todo = [cls]
            while todo:
                for parent in parents.get(todo.pop(), ()):
                    if parent not in seen:
                        seen.add(parent)
                        todo.append(parent)
            closure[cls] = frozenset(seen - {cls})
        return closure

    def subclasses(self, roots: Iterable[str]) -> frozenset[str]:
        """`roots` and every class below one of them."""
        wanted = set(roots)
        below = {cls for cls, above in self.superclasses.items() if above & wanted}
        return frozenset(wanted | below)
