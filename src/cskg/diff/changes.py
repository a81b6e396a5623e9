"""What changed between two sides, grouped for people, and the formats a diff is written in.

`diff(old, new)` compares the two datasets as sets of quads, every blank node named by its
content (`cskg.diff.canonical`): blank-node labels make no difference, and a blank node whose
content changed (a list with an item more) shows as its old quads removed and its new ones added.
`Diff` holds the quads removed and added, all of them (the patch, `to_patch`, has every one). For
people (`to_text`, `to_markdown`) they are grouped (`Diff.entities`):

- by entity: the subject; for a blank node, the IRI that reaches it (`Side.anchor`);
- within an entity, by the graph that states them: its kind (`cskg.release.graph_kind`:
  evidence, editorial, inferred, ontology, document, other) and, for an evidence graph, its
  sentence's section and verbatim quote, read on the side the statement is in (the old side for
  a removed statement, the new one for an added one);
- a label that changed is one change "old → new": the same subject, label property
  (`vocab.LABEL_PROPERTIES`), language and graph, one value removed and one added;
- inferred statements are counted per entity, or listed too when asked (`inferred=True`).

Entities and properties are shown by prefixed name and label (the release's label rule,
`Release.labels`, the new side's label first). `DIFF_FORMATS` is the one list of the formats.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox

from cskg.diff.patch import MEDIA_TYPE, PATCH_MARK, write_patch
from cskg.diff.sides import Anchor, Side, open_side
from cskg.query.describe import value_text
from cskg.query.model import Term, ox_term
from cskg.query.results import compact, display
from cskg.release import Evidence, graph_kind
from cskg.vocab import BASE, LABEL_PROPERTIES, RDF_TYPE

#: how the text and Markdown outputs begin (and a file cskg wrote them to)
TEXT_MARK = "cskg diff: "
MARKDOWN_MARK = "<!-- cskg diff: "
#: the order of the graphs of an entity: the paper's sentences first, the reasoner's last
_KINDS = ("evidence", "editorial", "document", "ontology", "other", "default", "inferred")
_LABELS = frozenset(LABEL_PROPERTIES)


@dataclass(frozen=True)
class Change:
    """A statement removed ("-") or added ("+"), or a label changed ("~": `quad` is the added
    statement, `old` the value it replaces)."""

    sign: str
    quad: ox.Quad
    old: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None = None


@dataclass(frozen=True)
class Source:
    """The graph a change is stated in: its IRI ("" for the default graph), kind, and for an
    evidence graph its sentence, on the side the change is in."""

    graph: str
    kind: str
    evidence: Evidence | None = None


@dataclass
class EntityChanges:
    """The changes of one entity, by the graph they are in; inferred ones only counted unless
    they were asked for."""

    entity: Anchor
    sources: dict[Source, list[Change]] = field(default_factory=dict)
    inferred_added: int = 0
    inferred_removed: int = 0


@dataclass(frozen=True)
class Summary:
    """The numbers of a diff: entities changed, asserted statements added and removed, labels
    changed (counted apart), inferred statements added and removed."""

    entities: int
    added: int
    removed: int
    labels: int
    inferred_added: int
    inferred_removed: int

    def text(self) -> str:
        """`2 entities: 7 statements added, 1 removed, 1 label changed; inferred: 6 added, 0
        removed`."""
        out = f"{_count(self.entities, 'entity', 'entities')}: "
        out += f"{_count(self.added, 'statement', 'statements')} added, {self.removed} removed, "
        out += f"{_count(self.labels, 'label', 'labels')} changed; "
        return out + f"inferred: {self.inferred_added} added, {self.inferred_removed} removed"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@dataclass(frozen=True)
class Shown:
    """What the text and Markdown outputs show: inferred statements listed, labels' language."""

    inferred: bool = False
    lang: str = "en"


@dataclass
class Diff:
    """The quads `removed` from `old` and `added` in `new`, blank nodes named by content."""

    old: Side
    new: Side
    removed: list[ox.Quad]
    added: list[ox.Quad]

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.added)

    @cached_property
    def _changes(self) -> list[tuple[Side, Change]]:
        return _pair_labels(self)

    def changes(self) -> list[tuple[Side, Change]]:
        """Every change, each with the side it is read on (module docstring)."""
        return self._changes

    def entities(self, inferred: bool = False) -> list[EntityChanges]:
        """The changes by entity and by graph, in the order the outputs show them."""
        return _group(self.changes(), inferred)

    def summary(self) -> Summary:
        counts: dict[str, int] = defaultdict(int)
        for _, change in self.changes():
            if graph_kind(_graph(change.quad)) != "inferred":
                counts[change.sign] += 1
            elif change.sign == "~":  # a label inferred anew: one removed, one added
                counts["inferred -"] += 1
                counts["inferred +"] += 1
            else:
                counts["inferred " + change.sign] += 1
        entities = len(self.entities())
        return Summary(
            entities,
            counts["+"],
            counts["-"],
            counts["~"],
            counts["inferred +"],
            counts["inferred -"],
        )

    def names(self, entities: list[EntityChanges], lang: str) -> dict[str, str]:
        """IRI -> label for every IRI the entities' changes show (the new side's first)."""
        iris = {e.entity.value for e in entities if type(e.entity) is ox.NamedNode}
        for entity in entities:
            for changes in entity.sources.values():
                for change in changes:
                    iris.update(_iris(change.quad))
        names = self.old.release.labels(iris, lang)
        names.update(self.new.release.labels(iris, lang))
        return {iri: display(Term.literal(name)) for iri, name in names.items()}

    def to_text(self, *, inferred: bool = False, lang: str = "en") -> str:
        return format_text(self, Shown(inferred, lang))

    def to_markdown(self, *, inferred: bool = False, lang: str = "en") -> str:
        return format_markdown(self, Shown(inferred, lang))

    def to_patch(self) -> str:
        return write_patch(self.removed, self.added)


def diff(old: Path, new: Path) -> Diff:
    """What changed from `old` to `new`, each a release folder, a project folder (its sources
    built in memory) or an N-Quads or TriG file (`cskg.diff.sides.read_quads`)."""
    before, after = open_side(Path(old)), open_side(Path(new))
    return Diff(
        before,
        after,
        sorted(before.quads - after.quads, key=str),
        sorted(after.quads - before.quads, key=str),
    )


# -- grouping ----------------------------------------------------------------------------------


def _graph(quad: ox.Quad) -> str:
    return quad.graph_name.value if type(quad.graph_name) is ox.NamedNode else ""


def _iris(quad: ox.Quad) -> list[str]:
    return [t.value for t in (quad.subject, quad.predicate, quad.object) if type(t) is ox.NamedNode]


def _label_key(quad: ox.Quad) -> tuple[object, ...] | None:
    """(subject, property, language, graph) of a label statement; None for any other."""
    if quad.predicate.value not in _LABELS or type(quad.object) is not ox.Literal:
        return None
    return (quad.subject, quad.predicate, quad.object.language or "", quad.graph_name)


def _pair_labels(diff: Diff) -> list[tuple[Side, Change]]:
    """The changes, a label removed and another added under one key made one change "~"."""
    removed: dict[tuple[object, ...], list[ox.Quad]] = defaultdict(list)
    added: dict[tuple[object, ...], list[ox.Quad]] = defaultdict(list)
    for quads, by_key in ((diff.removed, removed), (diff.added, added)):
        for quad in quads:
            key = _label_key(quad)
            if key is not None:
                by_key[key].append(quad)
    pairs = [k for k in removed.keys() & added.keys() if len(removed[k]) == len(added[k]) == 1]
    paired = {removed[k][0] for k in pairs} | {added[k][0] for k in pairs}
    out = [(diff.new, Change("~", added[k][0], removed[k][0].object)) for k in pairs]
    out += [(diff.old, Change("-", q)) for q in diff.removed if q not in paired]
    out += [(diff.new, Change("+", q)) for q in diff.added if q not in paired]
    return out


def _source(side: Side, quad: ox.Quad) -> Source:
    graph = _graph(quad)
    if not graph:
        return Source("", "default")
    kind = graph_kind(graph)
    return Source(graph, kind, side.release.evidence.get(graph) if kind == "evidence" else None)


def _group(changes: list[tuple[Side, Change]], inferred: bool) -> list[EntityChanges]:
    found: dict[Anchor, EntityChanges] = {}
    for side, change in changes:
        subject = change.quad.subject
        while type(subject) is ox.Triple:
            subject = subject.subject
        entity = side.anchor(subject)
        entry = found.setdefault(entity, EntityChanges(entity))
        source = _source(side, change.quad)
        if source.kind == "inferred" and not inferred:
            entry.inferred_added += change.sign in "+~"
            entry.inferred_removed += change.sign in "-~"
            continue
        entry.sources.setdefault(source, []).append(change)
    for entry in found.values():
        ordered = sorted(entry.sources.items(), key=lambda item: _source_key(item[0]))
        entity = entry.entity
        entry.sources = {s: sorted(c, key=lambda c: _change_key(c, entity)) for s, c in ordered}
    return sorted(found.values(), key=lambda e: (type(e.entity) is ox.BlankNode, _name(e.entity)))


def _source_key(source: Source) -> tuple[object, ...]:
    number = source.evidence.number if source.evidence and source.evidence.number else ""
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in number.split("."))
    return (_KINDS.index(source.kind), not number, parts, source.graph)


def _change_key(change: Change, entity: Anchor) -> tuple[object, ...]:
    """Label changes first, then the entity's own statements, then those of the blank nodes
    under it (`_:…n2` before `_:…n10`); type and labels before the other properties."""
    quad = change.quad
    subject, prop = str(quad.subject), quad.predicate.value
    rank = 0 if prop == RDF_TYPE else 1 if prop in _LABELS else 2
    under = (quad.subject != entity, len(subject), subject)
    return (change.sign != "~", *under, rank, compact(prop), change.sign, str(quad.object))


def _name(term: Anchor) -> str:
    return compact(term.value) if type(term) is ox.NamedNode else f"_:{term.value}"


# -- text --------------------------------------------------------------------------------------


def _value(term: object, names: dict[str, str]) -> str:
    return value_text(ox_term(term), names)


def _section(source: Source) -> str:
    """`§3.1` for an evidence graph whose sentence has a section number, else empty."""
    evidence = source.evidence
    return f"§{evidence.number}" if evidence and evidence.number else ""


def _graph_name(graph: str) -> str:
    """`ev:…` for an evidence graph, `graph/curation` for the other graphs of the project."""
    shown = compact(graph)
    return graph.removeprefix(BASE) if shown.startswith("<") and graph.startswith(BASE) else shown


def _where(source: Source) -> str:
    if source.kind == "default":
        return "default graph"
    section = _section(source)
    return f"{source.kind}{' ' + section if section else ''} {_graph_name(source.graph)}"


def _md_where(source: Source) -> str:
    if source.kind == "default":
        return "*Default graph*:"
    section = _section(source)
    kind = source.kind.capitalize() + (", " + section if section else "")
    return f"*{kind}* (`{_graph_name(source.graph)}`):"


def _quote(source: Source) -> str | None:
    evidence = source.evidence
    return display(Term.literal(evidence.quote)) if evidence and evidence.quote else None


def _statement(entity: Anchor, change: Change, names: dict[str, str]) -> tuple[str, str, str]:
    """(what, property, value) of a change: what is the subject when it is not the entity
    (a blank node under the IRI that reaches it), else empty."""
    quad = change.quad
    what = "" if quad.subject == entity else _value(quad.subject, names) + " "
    value = _value(quad.object, names)
    if change.old is not None:
        value = f"{_value(change.old, names)} → {value}"
    return what, _value(quad.predicate, names), value


def _inferred_line(entry: EntityChanges) -> str | None:
    if not (entry.inferred_added or entry.inferred_removed):
        return None
    return f"inferred: {entry.inferred_added} added, {entry.inferred_removed} removed"


def format_text(diff: Diff, shown: Shown) -> str:
    """The changes for the terminal; nothing at all when there are none (as diff(1))."""
    if not diff.changed:
        return ""
    entities = diff.entities(shown.inferred)
    names = diff.names(entities, shown.lang)
    lines = [f"{TEXT_MARK}{diff.old.name} → {diff.new.name}", "  " + diff.summary().text()]
    for entry in entities:
        lines += ["", _value(entry.entity, names)]
        for source, changes in entry.sources.items():
            lines.append("  " + _where(source))
            quote = _quote(source)
            if quote:
                lines.append(f"    “{quote}”")
            for change in changes:
                what, prop, value = _statement(entry.entity, change, names)
                lines.append(f"    {change.sign} {what}{prop}  {value}")
        inferred = _inferred_line(entry)
        if inferred:
            lines.append(f"  {inferred} (--inferred lists them)")
    return "\n".join(lines) + "\n"


# -- Markdown ----------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_MARKDOWN_BLOCK = re.compile(r"^(?:([#+=-])|(\d+)([.)]))")
_SIGN_WORDS = {"-": "removed", "+": "added", "~": "changed"}


def _md(text: str) -> str:
    """Text shown as it is in Markdown (its special characters escaped)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _md_block(text: str) -> str:
    """Text that starts a line shown as it is: also what would start a heading or a list."""
    return _MARKDOWN_BLOCK.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", _md(text))


def _md_value(term: object, names: dict[str, str]) -> str:
    converted = ox_term(term)
    if converted.kind == "iri":
        name = names.get(converted.value)
        code = f"`{compact(converted.value)}`"
        return f"{code} ({_md(name)})" if name else code
    if converted.kind == "bnode":
        return f"`_:{converted.value}`"
    return _md(value_text(converted, names))


def _md_entity(entry: EntityChanges, names: dict[str, str]) -> list[str]:
    name = names.get(entry.entity.value) if type(entry.entity) is ox.NamedNode else None
    code = f"`{_name(entry.entity)}`"
    lines = ["", f"#### {_md(name)} ({code})" if name else f"#### {code}"]
    for source, changes in entry.sources.items():
        lines += ["", _md_where(source)]
        quote = _quote(source)
        if quote:
            lines += ["", f"> {_md_block(quote)}"]
        lines.append("")
        for change in changes:
            quad = change.quad
            what = "" if quad.subject == entry.entity else _md_value(quad.subject, names) + " "
            value = _md_value(quad.object, names)
            if change.old is not None:
                value = f"{_md_value(change.old, names)} → {value}"
            prop = _md_value(quad.predicate, names)
            lines.append(f"- {_SIGN_WORDS[change.sign]}: {what}{prop} {value}")
    inferred = _inferred_line(entry)
    if inferred:
        lines += ["", f"{inferred.capitalize()}."]
    return lines


def format_markdown(diff: Diff, shown: Shown) -> str:
    """The changes for a CHANGELOG entry: a heading per entity, a list of its changes under
    each sentence (quoted) or graph; nothing at all when there are none."""
    if not diff.changed:
        return ""
    entities = diff.entities(shown.inferred)
    names = diff.names(entities, shown.lang)
    lines = [
        f"{MARKDOWN_MARK}{_md(diff.old.name)} → {_md(diff.new.name)} -->",
        f"### Changes from `{diff.old.name}` to `{diff.new.name}`",
        "",
        diff.summary().text().capitalize() + ".",
    ]
    for entry in entities:
        lines += _md_entity(entry, names)
    return "\n".join(lines) + "\n"


# -- the registry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffFormat:
    """A format a diff is written in: its `cskg diff --format` name, media type, file extension,
    writer, and how its output begins (`mark`: a file that begins with one of the formats' marks
    is one `cskg diff` wrote, which `cskg diff -o` may replace)."""

    name: str
    media: str
    extension: str
    write: Callable[[Diff, Shown], str]
    mark: str


def _patch(diff: Diff, shown: Shown) -> str:
    return diff.to_patch()  # every change, whatever is shown


#: every format of `cskg diff`, in the order `cskg diff --help` lists them
DIFF_FORMATS: dict[str, DiffFormat] = {
    f.name: f
    for f in (
        DiffFormat("text", "text/plain", ".txt", format_text, TEXT_MARK),
        DiffFormat("markdown", "text/markdown", ".md", format_markdown, MARKDOWN_MARK),
        DiffFormat("patch", MEDIA_TYPE, ".rdfp", _patch, PATCH_MARK),
    )
}
