"""The paper's tables as tables: an RDF Data Cube data set laid out from its observations.

A data set's dimensions come from its structure (`qb:structure`, `qb:component`, `qb:dimension`,
in `qb:order`). The dimensions with one value among its observations are said once above the
table (Table 2 is all 2014); of the others, the last in `qb:order` other than `qb:measureType`
runs across (the years of Tables 1 and 3, the product segments of Tables 2 and 4) and the rest
run down, in order, with a header cell spanning the rows that share it. Each cell holds the
observation's `cskg:printedValue`, the cell exactly as printed, and links to the observation;
a unit or status that every observation of a row (or of the table) shares is said once, in
the row's header (or above the table). Values of a dimension are in the order the paper prints
them: years by year; codes by their place in a `skos:OrderedCollection` (`skos:memberList`, e.g.
Globe before China), measures by their component's `qb:order`; anything else by name.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from cskg.vocab import CSKG, QB, RDF, SKOS
from cskg.web.release_view import Linker, ReleaseView, TermView

MEASURE_TYPE = QB + "measureType"
UNIT, STATUS, PRINTED = CSKG + "unit", CSKG + "observationStatus", CSKG + "printedValue"


@dataclass
class Cell:
    text: str  # as printed
    href: str | None
    anchor: str  # the cell's id on the table's page
    title: str  # the observation's name
    status: TermView | None = None  # when the table's cells differ in status


@dataclass
class Row:
    headers: list[tuple[TermView, int]]  # (value, rows it spans); 0: spanned by the one above
    unit: TermView | None
    cells: list[Cell | None]


@dataclass
class Table:
    dataset: TermView
    fixed: list[tuple[TermView, TermView]]  # (dimension, its one value)
    down: list[TermView]  # the dimensions of the rows
    across: TermView | None  # the dimension of the columns
    columns: list[TermView]
    rows: list[Row]
    unit: TermView | None  # the unit of every cell, if they share one
    status: TermView | None  # the status of every cell, if they share one
    cells: dict[str, tuple[Row, int]] = field(default_factory=dict)  # observation -> place


def _objects(release: ReleaseView, subject: Any, predicate: str) -> list[Any]:
    return [q.object for q in release.named_quads(subject, ox.NamedNode(predicate), None)]


def dimensions(release: ReleaseView, dataset: str) -> list[str]:
    """The dimensions of a data set's structure, in `qb:order`."""
    found = []
    for structure in _objects(release, ox.NamedNode(dataset), QB + "structure"):
        for component in _objects(release, structure, QB + "component"):
            for dimension in _objects(release, component, QB + "dimension"):
                order = _objects(release, component, QB + "order")
                rank = int(order[0].value) if order and order[0].value.isdigit() else 99
                found.append((rank, dimension.value))
    return [iri for _, iri in sorted(set(found))]


def observations(release: ReleaseView, dataset: str) -> dict[str, dict[str, Any]]:
    """observation IRI -> property IRI -> its value (the first, if several)."""
    out: dict[str, dict[str, Any]] = {}
    for quad in release.named_quads(None, ox.NamedNode(QB + "dataSet"), ox.NamedNode(dataset)):
        if isinstance(quad.subject, ox.NamedNode):
            values: dict[str, Any] = {}
            for statement in release.named_quads(quad.subject, None, None):
                values.setdefault(statement.predicate.value, statement.object)
            out[quad.subject.value] = values
    return out


def table(release: ReleaseView, linker: Linker, dataset: str, lang: str) -> Table | None:
    """The data set laid out as the module docstring says; None when it has no observations."""
    found = observations(release, dataset)
    dims = [d for d in dimensions(release, dataset) if any(d in o for o in found.values())]
    if not found or not dims:
        return None

    def view(term: Any) -> TermView:
        return release.term(term, linker, lang=lang)

    order = _order(release, lang)
    values = {d: sorted({o[d] for o in found.values() if d in o}, key=order) for d in dims}
    varying = [d for d in dims if len(values[d]) > 1]
    across = next((d for d in reversed(varying) if d != MEASURE_TYPE), None)
    down = [d for d in varying if d != across]
    grid: dict[tuple[Any, ...], dict[Any, str]] = defaultdict(dict)
    for iri, obs in found.items():
        grid[tuple(obs.get(d) for d in down)][obs.get(across) if across else None] = iri
    columns = values[across] if across else [None]
    keys = sorted(grid, key=lambda k: [order(v) for v in k])
    out = Table(
        view(ox.NamedNode(dataset)),
        [(view(ox.NamedNode(d)), view(values[d][0])) for d in dims if len(values[d]) == 1],
        [view(ox.NamedNode(d)) for d in down],
        view(ox.NamedNode(across)) if across else None,
        [view(c) for c in columns if c is not None],
        [],
        _shared(found.values(), UNIT, view),
        _shared(found.values(), STATUS, view),
    )
    for index, key in enumerate(keys):
        spans = [_span(keys, index, level) for level in range(len(key))]
        in_row = [found[i] for i in grid[key].values()]
        row = Row(
            [(view(v), span) for v, span in zip(key, spans, strict=True)],
            None if out.unit else _shared(in_row, UNIT, view),
            [],
        )
        for column in columns:
            at = grid[key].get(column)
            row.cells.append(_cell(release, linker, at, found, out, lang) if at else None)
            if at:
                out.cells[at] = (row, len(row.cells) - 1)
        out.rows.append(row)
    return out


def _cell(
    release: ReleaseView,
    linker: Linker,
    iri: str,
    found: dict[str, dict[str, Any]],
    table: Table,
    lang: str,
) -> Cell:
    obs = found[iri]
    printed = obs.get(PRINTED)
    measure = obs.get(obs[MEASURE_TYPE].value) if MEASURE_TYPE in obs else None
    text = printed.value if printed is not None else (measure.value if measure is not None else "")
    status = obs.get(STATUS)
    return Cell(
        text,
        linker.resource(iri),
        "cell-" + iri.rstrip("/").rsplit("/", 1)[-1],
        release.name(iri, lang),
        release.term(status, linker, lang=lang)
        if status is not None and table.status is None
        else None,
    )


def _span(keys: list[tuple[Any, ...]], index: int, level: int) -> int:
    """How many rows from `index` share the header at `level` (and every level above it);
    0 when the row above already shows it."""
    prefix = keys[index][: level + 1]
    if index and keys[index - 1][: level + 1] == prefix:
        return 0
    count = 1
    while index + count < len(keys) and keys[index + count][: level + 1] == prefix:
        count += 1
    return count


def _shared(observations: Any, predicate: str, view: Any) -> TermView | None:
    found = {o.get(predicate) for o in observations}
    return view(found.pop()) if len(found) == 1 and None not in found else None


def _order(release: ReleaseView, lang: str) -> Any:
    printed = printed_order(release)

    def key(term: Any) -> tuple[int, int, str]:
        if isinstance(term, ox.Literal):
            return 0, 0, term.value
        if isinstance(term, ox.NamedNode):
            return 1, printed.get(term.value, len(printed)), release.name(term.value, lang).lower()
        return 2, 0, str(term)

    return key


def printed_order(release: ReleaseView) -> dict[str, int]:
    """IRI -> its place where the paper prints it: a code's place in an ordered collection, a
    measure's `qb:order` in its structure (see the module docstring)."""
    order: dict[str, int] = {}
    for quad in release.named_quads(None, ox.NamedNode(SKOS + "memberList"), None):
        node: Any = quad.object
        place = 0
        while isinstance(node, ox.BlankNode) and place < 1000:  # a list, bounded
            for first in _objects(release, node, RDF + "first"):
                order.setdefault(first.value, place)
            rest = _objects(release, node, RDF + "rest")
            node, place = (rest[0] if rest else None), place + 1
    for quad in release.named_quads(None, ox.NamedNode(QB + "measure"), None):
        for rank in _objects(release, quad.subject, QB + "order"):
            if isinstance(quad.object, ox.NamedNode) and rank.value.isdigit():
                order.setdefault(quad.object.value, int(rank.value))
    return order


def place(
    release: ReleaseView, linker: Linker, observation: str, lang: str
) -> dict[str, Any] | None:
    """Where an observation is printed: its table's link to the cell, and the headers of its
    row and column; None when it is in no table."""
    for dataset in _objects(release, ox.NamedNode(observation), QB + "dataSet"):
        laid = table(release, linker, dataset.value, lang)
        if laid is None or observation not in laid.cells:
            continue
        row, column = laid.cells[observation]
        cell = row.cells[column]
        assert cell is not None
        href = linker.resource(dataset.value)
        return {
            "dataset": laid.dataset,
            "href": f"{href}#{cell.anchor}" if href else None,
            "row": [header for header, _ in row.headers] + ([row.unit] if row.unit else []),
            "column": laid.columns[column] if laid.columns else None,
            "text": cell.text,
        }
    return None
