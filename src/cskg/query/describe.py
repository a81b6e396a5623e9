"""`cskg describe TERM`: everything the release says about one entity, with its evidence.

A term is a full IRI, a prefixed name (`agency:miit`) or a label (any of
`cskg.vocab.LABEL_PROPERTIES`, in any language, case-insensitive). Each statement is shown with
where it comes from (`cskg.release`): the named graph it sits in is either an evidence sentence
(section number and quote), the curation graph ("editorial"), the inferred graph ("inferred"),
or the ontology or document graph.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cskg.errors import CskgError
from cskg.query.model import QueryStore, Term
from cskg.query.results import PREFIXES, compact, display, plain
from cskg.release import Release, graph_kind
from cskg.vocab import LABEL_PROPERTIES, RDF_TYPE

#: the labels a description lists first: the preferred names, not the alternative ones
NAME_PROPERTIES = LABEL_PROPERTIES[:2]


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


@dataclass(repr=False)
class Description:
    iri: str
    labels: list[Term]
    types: list[Statement]
    outgoing: list[Statement]
    incoming: list[Statement]
    names: dict[str, str]  # IRI -> label of the linked entities, in the language asked for

    def __repr__(self) -> str:
        label = next((t.value for t in self.labels), "")
        text = (
            f"<Description {compact(self.iri)} {label!r}: {len(self.types)} types, "
            f"{len(self.outgoing)} statements, {len(self.incoming)} referenced by"
        )
        return text + ">"

    def _repr_html_(self) -> str:
        """The statements as one table (at most 50 rows), for a notebook: direction,
        property, value (`value_text`) and where each comes from."""
        from cskg.query.frames import table

        rows = [
            (direction, compact(s.property.value), value_text(s.value, self.names), _where(s))
            for direction, statements in (
                ("type", self.types),
                ("→", self.outgoing),
                ("←", self.incoming),
            )
            for s in statements
        ]
        labels = "; ".join(t.value for t in self.labels)
        caption = f"{compact(self.iri)}  {labels}"
        headers = ("", "property", "value", "from")
        return table(headers, rows, len(rows), 50, caption=caption)


def _where(statement: Statement) -> str:
    """Where a statement comes from, in short: `§section` per evidence sentence, else the
    kind of graph (editorial, inferred, …)."""
    return ", ".join(
        f"§{s.section}" if s.kind == "evidence" and s.section else s.kind for s in statement.sources
    )


def _iri_literal(text: str) -> str:
    if any(c in text for c in '<>"{}|^`\\ \n'):
        raise CskgError(f"{text!r} is not a valid IRI")
    return f"<{text}>"


def _release(source: Release | QueryStore) -> Release:
    return source if isinstance(source, Release) else Release(source)


def resolve(source: Release | QueryStore, term: str) -> str:
    """The IRI a term names; AmbiguousTerm (exit 2) with candidates if it names none or several."""
    release = _release(source)
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
        known = release.store.query(
            f"ASK {{ {{ {_iri_literal(iri)} ?p ?o }} UNION {{ ?s ?p {_iri_literal(iri)} }} }}"
        )
        if known.boolean:
            return iri
        raise AmbiguousTerm(f"nothing in the release is named {compact(iri)}", [])
    return _resolve_label(release, term)


def _resolve_label(release: Release, term: str) -> str:
    """The entity a label names, found by the site's search (`cskg.search`) in the labels and
    aliases: a label equal to the term (case, accents and punctuation aside), else the only label
    holding it from a word start (anywhere in Chinese: "Loongsun" finds "Loongsun Technology
    Co., Ltd." but "sun" does not); several: ambiguous; none: the closest labels suggested."""
    from cskg.search import index_of

    hits = index_of(release).search(term, limit=None, fields=("label", "alias"))

    def candidates(iris: Iterable[str]) -> list[tuple[str, str]]:
        return sorted(release.labels(set(iris)).items())

    matches = sorted(h.iri for h in hits if h.kind == "exact")
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise AmbiguousTerm(
            f"{term!r} names {len(matches)} entities; give one of their IRIs", candidates(matches)
        )
    partial = sorted(h.iri for h in hits if h.kind in ("prefix", "phrase"))
    if len(partial) == 1:
        return partial[0]
    if partial:
        raise AmbiguousTerm(
            f"{term!r} is part of the labels of {len(partial)} entities; give one of their IRIs",
            candidates(partial),
        )
    found = candidates(h.iri for h in hits[:6])
    raise AmbiguousTerm(
        f"no entity is labelled {term!r}" + ("; closest labels:" if found else ""), found
    )


def _statements(release: Release, pattern: str) -> list[Statement]:
    """Statements matching `pattern` (?p, and ?o at the far end) with their sources."""
    result = release.store.query(f"SELECT ?p ?o ?g WHERE {{ GRAPH ?g {{ {pattern} }} }}")
    grouped: dict[tuple[Term, Term], Statement] = {}
    for p, value, g in result.rows:
        if p is None or value is None or g is None:
            continue
        statement = grouped.setdefault((p, value), Statement(p, value))
        evidence = release.evidence.get(g.value)
        source = Source(
            g.value,
            graph_kind(g.value),
            evidence.number if evidence else None,
            evidence.quote if evidence else None,
        )
        if source not in statement.sources:
            statement.sources.append(source)
    for statement in grouped.values():
        statement.sources.sort(key=lambda s: (s.kind != "evidence", s.section or "", s.graph))
    return sorted(
        grouped.values(), key=lambda s: (display(s.property), display(s.value), s.value.n3())
    )


def describe(source: Release | QueryStore, term: str, lang: str = "en") -> Description:
    release = _release(source)
    iri = resolve(release, term)
    node = _iri_literal(iri)
    outgoing = _statements(release, f"{node} ?p ?o")
    incoming = _statements(release, f"?o ?p {node}")
    labels = sorted(
        {s.value for s in outgoing if s.property.value in NAME_PROPERTIES},
        key=lambda t: (t.lang != lang, t.lang or "", t.value),
    )
    types = [s for s in outgoing if s.property.value == RDF_TYPE]
    outgoing = [s for s in outgoing if s.property.value != RDF_TYPE]
    linked = {s.value.value for s in types + outgoing + incoming if s.value.kind == "iri"} | {
        s.property.value for s in types + outgoing + incoming
    }
    return Description(iri, labels, types, outgoing, incoming, release.labels(linked, lang))


# -- output -------------------------------------------------------------------------------------


def value_text(term: Term, names: dict[str, str]) -> str:
    """A term as the text outputs show it: `prefix:name (label)`, “literal”@lang; `names` maps
    IRIs to their labels (shared with `cskg diff`)."""
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
        lines += [f"  {value_text(s.value, names)}{marks(s)}" for s in description.types]
    sections = (
        ("Statements", description.outgoing, ""),
        ("Referenced by (subject, property, this entity)", description.incoming, "← "),
    )
    for title, statements, arrow in sections:
        if statements:
            lines += ["", title]
            width = max(len(compact(s.property.value)) for s in statements)
            for s in statements:
                prop = compact(s.property.value).ljust(width)
                lines.append(f"  {prop}  {arrow}{value_text(s.value, names)}{marks(s)}")
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
