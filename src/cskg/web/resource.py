"""A resource's page, in the way of Wikidata's item pages.

First what the resource is: its label in the page's language with the label in the other
language beside it, its aliases, its description (summary, definition or comment; an evidence
sentence's quote) and its types. Then its statements grouped by property, the properties in a
fixed order of groups (`GROUPS`: types, names, relations, causes and effects, provenance, other
vocabularies), each named in the page's language; the causal claims it takes part in, with
their modality and sentence; and the statements that point to it, grouped by property too.

Each value carries where it comes from: a numbered mark for each sentence of the paper that
states it, whose quote (with its section) is printed once on the page, under the first group
that cites it; a badge for an editorial statement; a badge and a "why?" disclosure for an
inferred one, with the rule and premises `cskg.explain` finds, each premise with its own quote.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pyoxigraph as ox

from cskg.explain import MAX_STEPS, Explanation
from cskg.query.results import compact
from cskg.release import graph_kind
from cskg.vocab import (
    CSKG,
    DCTERMS,
    GRAPH_INFERRED,
    LABEL_PROPERTIES,
    OWL,
    PROV,
    QB,
    RDF_TYPE,
    RDFS,
    SKOS,
    SKOS_ALT_LABEL,
)
from cskg.web import datacube
from cskg.web.release_view import Linker, ReleaseView, SourceView, TermView

#: the groups of a page's statements, in their order, and the heading above each
GROUPS = ("types", "names", "core", "causal", "provenance", "external")
HEADINGS = {
    "names": "Names and descriptions",
    "core": "Relations",
    "causal": "Causes and effects",
    "provenance": "Provenance",
    "external": "Other vocabularies",
}

#: what describes a resource in a sentence, most preferred first
DESCRIPTIONS = (CSKG + "summary", SKOS + "definition", RDFS + "comment", DCTERMS + "description")
#: the names group, in this order: the names, then what describes
NAMES = (*LABEL_PROPERTIES, *DESCRIPTIONS, SKOS + "note", SKOS + "scopeNote")
#: the dates, first among the core relations
DATES = tuple(CSKG + n for n in ("date", "endDate", "earliest", "latest"))
DATE_AS_STATED = CSKG + "dateAsStated"
#: provenance beyond the PROV vocabulary and the properties of an evidence sentence
PROVENANCE = (DCTERMS + "source", DCTERMS + "references", RDFS + "isDefinedBy")
DERIVED_FROM = PROV + "wasDerivedFrom"
#: the qualified causal claim (docs/modelling.md, "Causal claims")
CLAIM_PARTS = {n: CSKG + n for n in ("cause", "causalRelation", "effect", "modality")}

#: the most inferred statements a page explains (each takes a few queries); the rest have
#: their badge without the disclosure
EXPLAINED_PER_PAGE = 200


# -- views ----------------------------------------------------------------------------------------


@dataclass
class QuoteView:
    """A sentence of the paper, printed once per page: its number on the page, section, quote."""

    number: int
    graph: TermView
    section: TermView | None
    text: str | None


@dataclass
class PremiseView:
    subject: TermView
    predicate: TermView
    value: TermView
    sources: list[SourceView]
    because: WhyView | None = None


@dataclass
class WhyView:
    """An explanation (`cskg.explain.Explanation`) as the page shows it."""

    rule: str  # the OWL 2 RL rule's name
    axiom: str  # the term of the axiom it applies
    says: str  # in English: the template translates it
    steps: int | None  # None: more than `max_steps`
    premises: list[PremiseView]
    max_steps: int = MAX_STEPS


@dataclass
class ValueView:
    term: TermView
    marks: list[QuoteView] = field(default_factory=list)  # the sentences that state it
    kinds: list[str] = field(default_factory=list)  # editorial, inferred, ontology, document
    graphs: list[TermView] = field(default_factory=list)  # the graphs that are not sentences
    why: WhyView | None = None
    note: list[TermView] = field(default_factory=list)  # the date as the paper states it

    @property
    def inferred(self) -> bool:
        return self.kinds == ["inferred"]


@dataclass
class GroupView:
    """One property's values (or, for incoming links, its subjects)."""

    property: TermView
    short: str  # the prefixed name
    anchor: str
    group: str  # one of GROUPS
    values: list[ValueView]
    quotes: list[QuoteView] = field(default_factory=list)  # first printed here


@dataclass
class ClaimView:
    claim: TermView
    cause: TermView | None
    relation: TermView | None
    effect: TermView | None
    modality: TermView | None
    modality_key: str  # realised, expected, proposed, forecast (a CSS class)
    marks: list[QuoteView]


# -- the page ----------------------------------------------------------------------------------


class ResourcePage:
    """The view model of one resource page (see the module docstring)."""

    def __init__(self, release: ReleaseView, linker: Linker, iri: str, lang: str) -> None:
        self.release, self.linker, self.iri, self.lang = release, linker, iri, lang
        self.node = ox.NamedNode(iri)
        self.quads = release.describe(iri)
        self.quotes: dict[str, QuoteView] = {}  # graph -> its quote, numbered in order of use
        self.explained = 0
        self.keys: dict[str, tuple[int, int, str]] = {}
        self.bnodes: dict[Any, list[ox.Quad]] = defaultdict(list)
        for quad in self.quads:
            if isinstance(quad.subject, ox.BlankNode):
                self.bnodes[quad.subject].append(quad)

    def term(self, term: Any) -> TermView:
        return self.release.term(term, self.linker, self.bnodes, self.lang)

    def quote(self, graph: str) -> QuoteView:
        """The numbered quote of an evidence graph (numbered on first use)."""
        found = self.quotes.get(graph)
        if found is None:
            source = self.release.source(ox.NamedNode(graph), self.linker, self.lang)
            found = QuoteView(len(self.quotes) + 1, source.graph, source.section, source.quote)
            self.quotes[graph] = found
        return found

    def new_quotes(self, before: set[str]) -> list[QuoteView]:
        """The quotes numbered since `before` was taken: printed where they were first used."""
        return [quote for graph, quote in self.quotes.items() if graph not in before]

    # -- values with their sources ---------------------------------------------------------

    def value(self, triple: ox.Triple, shown: Any, graphs: Iterable[Any]) -> ValueView:
        """`shown` (the object, or the subject of an incoming link) with where the statement
        `triple` comes from: each of `graphs`."""
        view = ValueView(self.term(shown))
        for graph in sorted(graphs, key=str):
            iri = graph.value if isinstance(graph, ox.NamedNode) else ""
            if iri in self.release.data.evidence:
                view.marks.append(self.quote(iri))
            else:
                view.kinds.append(graph_kind(iri))
                view.graphs.append(self.term(graph))
        if view.inferred and self.explained < EXPLAINED_PER_PAGE:
            self.explained += 1
            found = self.release.why(triple)
            view.why = self.why_view(found) if found else None
        return view

    def why_view(self, explanation: Explanation) -> WhyView:
        rule = explanation.rule
        premises = []
        for premise in explanation.premises:
            s, p, o = (_ox(t) for t in premise.triple)
            sources = [
                self.release.source(ox.NamedNode(g), self.linker, self.lang) for g in premise.graphs
            ]
            because = self.why_view(premise.because) if premise.because else None
            premises.append(PremiseView(self.term(s), self.term(p), self.term(o), sources, because))
        return WhyView(
            rule.name if rule else "",
            rule.axiom if rule else "",
            rule.says if rule else "",
            explanation.steps,
            premises,
        )

    # -- statements grouped by property ------------------------------------------------------

    def groups(
        self, quads: Iterable[ox.Quad], incoming: bool = False
    ) -> tuple[list[GroupView], int]:
        """One group per property of `quads`, each statement once with all its graphs, the
        first `html_rows` statements in page order; and how many statements there are."""
        by_statement: dict[ox.Triple, list[Any]] = defaultdict(list)
        for quad in quads:
            by_statement[quad.triple].append(quad.graph_name)

        def shown(triple: ox.Triple) -> Any:
            return triple.subject if incoming else triple.object

        inferred = ox.NamedNode(GRAPH_INFERRED)
        ordered = sorted(
            by_statement,
            key=lambda t: (
                self.property_key(t.predicate.value),
                by_statement[t] == [inferred],  # asserted values first
                self.sort_key(shown(t)),
            ),
        )
        out: list[GroupView] = []
        for triple in ordered[: self.release.html_rows]:
            predicate = triple.predicate.value
            if not out or out[-1].property.iri != predicate:
                out.append(self.group(predicate, incoming))
            before = set(self.quotes)
            out[-1].values.append(self.value(triple, shown(triple), by_statement[triple]))
            out[-1].quotes += self.new_quotes(before)
        return out, len(ordered)

    def group(self, predicate: str, incoming: bool) -> GroupView:
        return GroupView(
            self.release.iri_view(predicate, self.linker, self.lang),
            compact(predicate),
            ("in-" if incoming else "p-") + _anchor(predicate),
            self.classify(predicate),
            [],
        )

    def classify(self, predicate: str) -> str:
        """Which of `GROUPS` a property belongs to."""
        causal, evidence = ontology_sets(self.release)
        if predicate == RDF_TYPE:
            return "types"
        if predicate in NAMES:
            return "names"
        if predicate in causal:
            return "causal"
        if predicate.startswith(PROV) or predicate in PROVENANCE or predicate in evidence:
            return "provenance"
        return "core" if predicate.startswith(CSKG) else "external"

    def sort_key(self, term: Any) -> str:
        """Resources by name, literals as written (dates in ISO order), in the page's language."""
        if isinstance(term, ox.NamedNode):
            return self.release.name(term.value, self.lang).lower()
        return term.value if isinstance(term, ox.Literal) else str(term)

    def property_key(self, predicate: str) -> tuple[int, int, str]:
        """Groups in `GROUPS` order; names and dates in their fixed order; then by name."""
        found = self.keys.get(predicate)
        if found is None:
            fixed = (*NAMES, *DATES, DATE_AS_STATED, *CLAIM_PARTS.values())
            rank = fixed.index(predicate) if predicate in fixed else len(fixed)
            name = self.release.name(predicate, self.lang).lower()
            found = self.keys[predicate] = (GROUPS.index(self.classify(predicate)), rank, name)
        return found

    # -- what the resource is ----------------------------------------------------------------

    def header(self, outgoing: list[ox.Quad]) -> dict[str, Any]:
        """Label (and its language), the label in the other language, aliases, description."""
        labels = self.release.data.labels_in(self.iri)
        other = "zh" if self.lang != "zh" else "en"
        label_lang = next((code for code in (self.lang, "en", "") if code in labels), None)
        return {
            "title": self.release.label(self.iri, self.lang) or compact(self.iri),
            "label": labels[label_lang] if label_lang is not None else None,
            "label_lang": label_lang or self.lang,
            "other_lang": other,
            "other_label": labels.get(other) if label_lang != other else None,
            "aliases": [
                self.term(q.object) for q in outgoing if q.predicate.value == SKOS_ALT_LABEL
            ],
            "description": self.description(outgoing),
        }

    def description(self, outgoing: list[ox.Quad]) -> TermView | None:
        """The first of `DESCRIPTIONS` it has, in the page's language if it can; for an
        evidence sentence, its quote."""
        evidence = self.release.data.evidence.get(self.iri)
        if evidence is not None and evidence.quote:
            return TermView("literal", evidence.quote, lang="en")
        preference = {self.lang: 0, "en": 1, "": 2}
        found = [
            (DESCRIPTIONS.index(q.predicate.value), preference.get(q.object.language or "", 3), q)
            for q in outgoing
            if q.predicate.value in DESCRIPTIONS and isinstance(q.object, ox.Literal)
        ]
        if not found:
            return None
        return self.term(min(found, key=lambda f: (f[0], f[1], str(f[2].object)))[2].object)

    # -- causal claims -------------------------------------------------------------------------

    def claims(self) -> tuple[list[ClaimView], list[QuoteView]]:
        """The qualified causal claims this resource is the cause or effect of (or is), with
        the quotes of their sentences first used here."""
        before = set(self.quotes)
        cause, effect = ox.NamedNode(CLAIM_PARTS["cause"]), ox.NamedNode(CLAIM_PARTS["effect"])
        found = {
            q.subject for p in (cause, effect) for q in self.release.named_quads(None, p, self.node)
        }
        if any(True for _ in self.release.named_quads(self.node, cause, None)):
            found.add(self.node)
        views = [self.claim(c) for c in found if isinstance(c, ox.NamedNode)]
        views.sort(key=lambda c: (c.claim.iri != self.iri, c.modality_key, c.claim.text.lower()))
        return views[: self.release.html_rows], self.new_quotes(before)

    def claim(self, node: ox.NamedNode) -> ClaimView:
        parts: dict[str, Any] = {}
        graphs: set[str] = set()
        names = {iri: name for name, iri in CLAIM_PARTS.items()}
        for quad in self.release.named_quads(node, None, None):
            name = names.get(quad.predicate.value)
            if name is not None:
                parts.setdefault(name, quad.object)
                if isinstance(quad.graph_name, ox.NamedNode):
                    graphs.add(quad.graph_name.value)
            elif quad.predicate.value == DERIVED_FROM and isinstance(quad.object, ox.NamedNode):
                graphs.add(quad.object.value)
        modality = parts.get("modality")
        key = modality.value.rsplit("#", 1)[-1] if isinstance(modality, ox.NamedNode) else ""

        def part(name: str) -> TermView | None:
            return self.term(parts[name]) if name in parts else None

        return ClaimView(
            self.term(node),
            part("cause"),
            part("causalRelation"),
            part("effect"),
            part("modality"),
            "".join(c for c in key if c.isalnum()).lower(),
            [self.quote(g) for g in sorted(graphs) if g in self.release.data.evidence],
        )

    # -- the dates as the paper states them ------------------------------------------------------

    def fold_dates(self, groups: list[GroupView]) -> list[GroupView]:
        """`cskg:dateAsStated` beside the date it states, instead of a group of its own."""
        stated = next((g for g in groups if g.property.iri == DATE_AS_STATED), None)
        dated = next((g for g in groups if g.property.iri == CSKG + "date"), None)
        if stated is None or dated is None:
            return groups
        for value in dated.values:
            value.note = [v.term for v in stated.values]
            value.marks += [m for v in stated.values for m in v.marks if m not in value.marks]
        dated.quotes += stated.quotes
        return [g for g in groups if g is not stated]

    # -- the page ----------------------------------------------------------------------------------

    def model(self) -> dict[str, Any]:
        """What resource.html shows (the page's links and formats aside)."""
        outgoing = [q for q in self.quads if q.subject == self.node]
        view = self.header(outgoing)
        types = {
            q.object.value
            for q in outgoing
            if q.predicate.value == RDF_TYPE and isinstance(q.object, ox.NamedNode)
        }
        if QB + "DataSet" in types:
            view["table"] = datacube.table(self.release, self.linker, self.iri, self.lang)
        if QB + "Observation" in types:
            view["printed"] = datacube.place(self.release, self.linker, self.iri, self.lang)
        statements, total = self.groups(outgoing)
        view["claims"], view["claim_quotes"] = self.claims()
        parts = {ox.NamedNode(CLAIM_PARTS["cause"]), ox.NamedNode(CLAIM_PARTS["effect"])}
        incoming, incoming_total = self.groups(
            (
                q
                for q in self.quads
                if q.object == self.node and q.subject != self.node and q.predicate not in parts
            ),
            incoming=True,
        )
        contents = [q for q in self.quads if q.graph_name == self.node and q.subject != self.node]
        typed = next((g for g in statements if g.property.iri == RDF_TYPE), None)
        view.update(
            types=typed.values if typed else [],
            statements=self.fold_dates(statements),
            incoming=incoming,
            contents=self.contents(contents),
            totals={"statements": total, "incoming": incoming_total, "contents": len(contents)},
            shown={
                "statements": sum(len(g.values) for g in statements),
                "incoming": sum(len(g.values) for g in incoming),
            },
            headings=HEADINGS,
            is_graph=self.iri in self.release.graphs,
            kind=graph_kind(self.iri) if self.iri in self.release.graphs else None,
        )
        return view

    def contents(self, quads: list[ox.Quad]) -> list[tuple[TermView, TermView, TermView]]:
        """The statements of the graph the resource names (the first `html_rows`)."""
        rows = sorted(
            quads,
            key=lambda q: (str(q.subject), self.property_key(q.predicate.value), str(q.object)),
        )
        return [
            (self.term(q.subject), self.term(q.predicate), self.term(q.object))
            for q in rows[: self.release.html_rows]
        ]


def _ox(term: Any) -> Any:
    """A `cskg.query.model.Term` as a pyoxigraph term."""
    if term.kind == "iri":
        return ox.NamedNode(term.value)
    if term.kind == "bnode":
        return ox.BlankNode(term.value)
    if term.lang:
        return ox.Literal(term.value, language=term.lang)
    return ox.Literal(term.value, datatype=ox.NamedNode(term.datatype))


def _anchor(iri: str) -> str:
    """An id for a property's group: its prefixed name, `:` and the like as `-`."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in compact(iri).strip("<>"))


@lru_cache(maxsize=4)
def ontology_sets(release: ReleaseView) -> tuple[frozenset[str], frozenset[str]]:
    """The causal properties (cskg:contributedTo, the properties below it and their inverses,
    the parts of a qualified claim) and the properties of an evidence sentence (those whose
    domain is cskg:Evidence: quote, section, cites), read from the release's ontology."""
    axioms = release.axioms
    parents = axioms.get(RDFS + "subPropertyOf", {})
    causal = {CSKG + "contributedTo"}
    while grown := {p for p, ups in parents.items() if set(ups) & causal} - causal:
        causal |= grown
    for a, bs in axioms.get(OWL + "inverseOf", {}).items():
        if a in causal or set(bs) & causal:
            causal |= {a, *bs}
    causal |= set(CLAIM_PARTS.values())
    domains = axioms.get(RDFS + "domain", {})
    evidence = {p for p, ds in domains.items() if CSKG + "Evidence" in ds}
    return frozenset(causal), frozenset(evidence)
