"""`cskg describe TERM`: everything the release says about one entity, with its evidence.

A term is a full IRI, a prefixed name (`agency:miit`) or a label (rdfs:label, skos:prefLabel or
skos:altLabel, English or Chinese, case-insensitive). Each statement is shown with where it comes
from: the named graph it sits in is either an evidence sentence (section number and quote),
the curation graph ("editorial"), the inferred graph ("inferred"), or the ontology or document
graph.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from cskg.errors import CskgError
from cskg.query.engines import INFERRED_GRAPH, QueryStore, Term
from cskg.query.results import PREFIXES, compact, display, plain
from cskg.vocab import CSKG, EV, GRAPH_CURATION, GRAPH_DOCUMENT, GRAPH_ONTOLOGY

CURATION_GRAPH = GRAPH_CURATION
EVIDENCE_NS = EV
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL_PROPERTIES = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2004/02/skos/core#altLabel",
)


class AmbiguousTerm(CskgError):
    """The term names no entity, or several; carries the candidates."""

    def __init__(self, message: str, candidates: list[tuple[str, str]]) -> None:
        self.candidates = candidates
        listed = "".join(f"\n  {compact(iri)}  {label}" for iri, label in candidates)
        super().__init__(message + listed)


@dataclass(frozen=True)
class Source:
    """Where one statement comes from."""

    graph: str
    kind: str  # evidence, editorial, inferred, ontology, document, other
    section: str | None = None
    quote: str | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"graph": self.graph, "kind": self.kind}
        if self.section is not None:
            data["section"] = self.section
        if self.quote is not None:
            data["quote"] = self.quote
        return data


@dataclass
class Statement:
    property: Term
    value: Term
    sources: list[Source] = field(default_factory=list)


@dataclass
class Description:
    iri: str
    labels: list[Term]
    types: list[Statement]
    outgoing: list[Statement]
    incoming: list[Statement]
    names: dict[str, str]  # IRI -> label of the linked entities, in the language asked for


def _kind(graph: str) -> str:
    if graph == INFERRED_GRAPH:
        return "inferred"
    if graph == CURATION_GRAPH:
        return "editorial"
    if graph.startswith(EVIDENCE_NS):
        return "evidence"
    if graph == GRAPH_ONTOLOGY:
        return "ontology"
    if graph == GRAPH_DOCUMENT:
        return "document"
    return "other"


def _iri_literal(text: str) -> str:
    if any(c in text for c in '<>"{}|^`\\ \n'):
        raise CskgError(f"{text!r} is not a valid IRI")
    return f"<{text}>"


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def resolve(store: QueryStore, term: str) -> str:
    """The IRI a term names; AmbiguousTerm (exit 2) with candidates if it names none or several."""
    term = term.strip()
    iri: str | None = None
    if term.startswith("<") and term.endswith(">"):
        iri = term[1:-1]
    elif term.startswith(("http://", "https://", "urn:")):
        iri = term
    else:
        prefix, colon, local = term.partition(":")
        if colon and prefix in PREFIXES and " " not in term:
            iri = PREFIXES[prefix] + local
    if iri is not None:
        known = store.query(
            f"ASK {{ {{ {_iri_literal(iri)} ?p ?o }} UNION {{ ?s ?p {_iri_literal(iri)} }} }}"
        )
        if known.boolean:
            return iri
        raise AmbiguousTerm(f"nothing in the release is named {compact(iri)}", [])

    labels = _all_labels(store)
    wanted = term.casefold()
    matches = sorted({iri for iri, label, _ in labels if label.casefold() == wanted})
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise AmbiguousTerm(
            f"{term!r} names {len(matches)} entities; give one of their IRIs",
            [(m, _first_label(labels, m)) for m in matches],
        )
    # No exact label: a label that contains the term (from a word start for Latin script, so
    # "Loongsun" finds "Loongsun Technology Co., Ltd." but "sun" does not) names it if unique.
    pattern = re.compile(("" if not term.isascii() else r"(?<!\w)") + re.escape(wanted))
    partial = sorted({iri for iri, label, _ in labels if pattern.search(label.casefold())})
    if len(partial) == 1:
        return partial[0]
    if partial:
        raise AmbiguousTerm(
            f"{term!r} is part of the labels of {len(partial)} entities; give one of their IRIs",
            [(m, _first_label(labels, m)) for m in partial],
        )
    by_label: dict[str, set[str]] = {}
    for iri_, label, _ in labels:
        by_label.setdefault(label.casefold(), set()).add(iri_)
    near = difflib.get_close_matches(wanted, list(by_label), n=6, cutoff=0.5)
    near += [k for k in by_label if wanted and wanted in k and k not in near][: 6 - len(near)]
    candidates = sorted({(i, _first_label(labels, i)) for k in near for i in by_label[k]})
    raise AmbiguousTerm(
        f"no entity is labelled {term!r}" + ("; closest labels:" if candidates else ""),
        candidates,
    )


def _all_labels(store: QueryStore) -> list[tuple[str, str, int]]:
    """(entity, label, rank): rank 0 for an English rdfs:label, then other labels, then others."""
    values = " ".join(f"<{p}>" for p in LABEL_PROPERTIES)
    result = store.query(
        f"SELECT DISTINCT ?e ?p ?l WHERE {{ VALUES ?p {{ {values} }} ?e ?p ?l FILTER(isIRI(?e)) }}"
    )
    labels = []
    for e, p, lab in result.rows:
        if e is None or p is None or lab is None:
            continue
        rank = LABEL_PROPERTIES.index(p.value) * 2 + (0 if lab.lang == "en" else 1)
        labels.append((e.value, str(lab.value), rank))
    return labels


def _first_label(labels: list[tuple[str, str, int]], iri: str) -> str:
    found = sorted((rank, label) for i, label, rank in labels if i == iri)
    return found[0][1] if found else ""


def _statements(store: QueryStore, pattern: str, other: str) -> list[Statement]:
    """Statements matching `pattern` (?p, and `other` at the far end) with their sources."""
    result = store.query(
        f"""SELECT ?p ?{other} ?g ?n ?q WHERE {{
  GRAPH ?g {{ {pattern} }}
  OPTIONAL {{ ?g <{CSKG}section>/<{CSKG}sectionNumber> ?n }}
  OPTIONAL {{ ?g <{CSKG}quote> ?q }}
}}"""
    )
    grouped: dict[tuple[Term, Term], Statement] = {}
    for p, value, g, n, q in result.rows:
        if p is None or value is None or g is None:
            continue
        statement = grouped.setdefault((p, value), Statement(p, value))
        graph = g.value
        source = Source(
            graph,
            _kind(graph),
            None if n is None else str(n.value),
            None if q is None else str(q.value),
        )
        if source not in statement.sources:
            statement.sources.append(source)
    for statement in grouped.values():
        statement.sources.sort(key=lambda s: (s.kind != "evidence", s.section or "", s.graph))
    return sorted(
        grouped.values(), key=lambda s: (display(s.property), display(s.value), s.value.n3())
    )


def describe(store: QueryStore, term: str, lang: str = "en") -> Description:
    iri = resolve(store, term)
    node = _iri_literal(iri)
    outgoing = _statements(store, f"{node} ?p ?o", "o")
    incoming = _statements(store, f"?o ?p {node}", "o")
    labels = sorted(
        {s.value for s in outgoing if s.property.value in LABEL_PROPERTIES[:2]},
        key=lambda t: (t.lang != lang, t.lang or "", t.value),
    )
    types = [s for s in outgoing if s.property.value == RDF_TYPE]
    outgoing = [s for s in outgoing if s.property.value != RDF_TYPE]
    linked = {s.value.value for s in types + outgoing + incoming if s.value.kind == "iri"} | {
        s.property.value for s in types + outgoing + incoming
    }
    return Description(iri, labels, types, outgoing, incoming, _names(store, linked, lang))


def _names(store: QueryStore, iris: set[str], lang: str) -> dict[str, str]:
    if not iris:
        return {}
    values = " ".join(_iri_literal(i) for i in sorted(iris))
    result = store.query(
        "SELECT ?x ?l WHERE { VALUES ?x { " + values + " } "
        "?x <http://www.w3.org/2000/01/rdf-schema#label> ?l "
        f'FILTER(LANGMATCHES(LANG(?l), {_string(lang)}) || LANG(?l) = "en") }}'
    )
    names: dict[str, str] = {}
    for x, label in sorted(
        result.rows, key=lambda r: (r[1] is None or r[1].lang != lang, str(r[1] and r[1].value))
    ):
        if x is not None and label is not None:
            names.setdefault(x.value, str(label.value))
    return names


# -- output -------------------------------------------------------------------------------------


def _value_text(term: Term, names: dict[str, str]) -> str:
    if term.kind == "iri":
        name = names.get(term.value)
        return f"{compact(term.value)}" + (f" ({name})" if name else "")
    if term.kind == "literal":
        text = display(term)
        if term.lang:
            return f"“{text}”@{term.lang}"
        if term.datatype and not term.datatype.endswith("#string"):
            return f"{text} ({compact(term.datatype)})"
        return f"“{text}”"
    return display(term)


def format_text(description: Description) -> str:
    notes: dict[Source, int] = {}

    def marks(statement: Statement) -> str:
        out = []
        for source in statement.sources:
            if source.kind == "evidence":
                if source not in notes:
                    notes[source] = len(notes) + 1
                out.append(f"[{notes[source]}]")
            else:
                out.append(source.kind)
        return "  " + " ".join(out) if out else ""

    names = description.names
    lines = [f"{compact(description.iri)}  <{description.iri}>"]
    for label in description.labels:
        lines.append(f"  {label.value}" + (f"  @{label.lang}" if label.lang else ""))
    if description.types:
        lines += ["", "Types"]
        lines += [f"  {_value_text(s.value, names)}{marks(s)}" for s in description.types]
    if description.outgoing:
        lines += ["", "Statements"]
        width = max(len(compact(s.property.value)) for s in description.outgoing)
        for s in description.outgoing:
            prop = compact(s.property.value).ljust(width)
            lines.append(f"  {prop}  {_value_text(s.value, names)}{marks(s)}")
    if description.incoming:
        lines += ["", "Referenced by (subject, property, this entity)"]
        width = max(len(compact(s.property.value)) for s in description.incoming)
        for s in description.incoming:
            prop = compact(s.property.value).ljust(width)
            lines.append(f"  {prop}  ← {_value_text(s.value, names)}{marks(s)}")
    if notes:
        lines += ["", "Evidence"]
        for source, number in notes.items():
            section = f"§{source.section} " if source.section else ""
            lines.append(f"  [{number}] {section}{compact(source.graph)}")
            if source.quote:
                lines.append(f"      “{source.quote}”")
    return "\n".join(lines) + "\n"


def _statement_json(statement: Statement, end: str) -> dict[str, Any]:
    value = statement.value
    data: dict[str, Any] = {
        "property": statement.property.value,
        end: plain(value) if value.kind != "literal" else value.value,
    }
    if value.kind == "literal":
        if value.lang:
            data["lang"] = value.lang
        else:
            data["datatype"] = value.datatype
    data["sources"] = [s.as_json() for s in statement.sources]
    return data


def format_json(description: Description) -> str:
    data = {
        "iri": description.iri,
        "name": compact(description.iri),
        "labels": [{"value": t.value, "lang": t.lang} for t in description.labels],
        "types": [_statement_json(s, "value") for s in description.types],
        "outgoing": [_statement_json(s, "value") for s in description.outgoing],
        "incoming": [_statement_json(s, "subject") for s in description.incoming],
        "names": description.names,
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
