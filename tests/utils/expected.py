"""Expected results of the query library, compared as data rather than as text.

A library query `queries/NAME.rq` has its expected answer in `queries/expected/NAME.srj`
(SPARQL 1.1 Query Results JSON, for SELECT and ASK) or `queries/expected/NAME.ttl` (for CONSTRUCT).
Engines print the same answer differently (decimal lexical forms, `typed-literal`, row order
among ties), so both sides are reduced to normalised terms before comparison, by the rules every
engine comparison uses (`normalise` below): IRIs by value; literals by lexical form,
language tag (lower case) and datatype, with `xsd:string` and simple literals equal; numbers and
booleans by value; blank nodes all equal (the library never projects them, and a CONSTRUCT result
is compared by graph isomorphism). A term is kept as a readable tuple of that normal form:
`("uri", IRI)`, `("bnode",)`, `("number", "8.7")`, `("literal", "text", "@en")` or
`("literal", lexical form, datatype)`.

SELECT rows are compared as a multiset; when the query has ORDER BY, also the sequence of sort
keys, which is the same for every correct engine even where the ordering is not total (up to the
first key that binds a blank node, since blank nodes sort by engine-internal labels).

Whole datasets (a release, a patched one) are compared by `canonical_quads`: canonical N-Quads,
blank nodes included.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from cskg.query.model import Result
from cskg.query.model import Row as QueryRow
from cskg.query.model import Term as QueryTerm
from cskg.query.remote import parse_sparql_json
from cskg.query.results import NUMERIC
from cskg.query.text import tokens
from cskg.vocab import RDF_LANGSTRING, XSD, XSD_STRING

Term = tuple[str, ...]
Row = tuple[tuple[str, Term], ...]

#: keywords that end an ORDER BY clause
_AFTER_ORDER = frozenset({"LIMIT", "OFFSET", "VALUES"})


def order_keys(query: str) -> list[str]:
    """Variables of the query's ORDER BY clause, in order (`?x`, `ASC(?x)`, `DESC(?x)`), read
    from its tokens (`cskg.query.text`); a sub-select's ORDER BY is not the query's.

    Raises ValueError when a key is an expression: the library orders by projected variables
    only, so that the order of rows can be checked on the results alone.
    """
    read = list(tokens(query))
    starts = [
        i
        for i, token in enumerate(read[:-1])
        if token.depth == 0 and _word(token.text) == "ORDER" and _word(read[i + 1].text) == "BY"
    ]
    if not starts:
        return []
    keys = []
    for token in read[starts[-1] + 2 :]:
        if token.depth == 0 and token.kind == "word" and _word(token.text) in _AFTER_ORDER:
            break
        if token.kind == "var":
            keys.append(token.text[1:])
        elif not (
            (token.kind == "word" and _word(token.text) in ("ASC", "DESC"))
            or (token.kind == "punct" and token.text in "()")
        ):
            raise ValueError(f"ORDER BY key {token.text!r} is not a variable")
    return keys


def _word(text: str) -> str:
    return text.upper()


# -- normalisation --------------------------------------------------------------------------


def normalise_term(term: QueryTerm | None) -> Term:
    """A term's normal form (`normalise` below) as a readable tuple."""
    normal = normalise(term)
    if normal[0] == "iri":
        return ("uri", normal[1])
    if normal[0] != "literal":  # ("bnode",), or an RDF-star triple
        return tuple(str(part) for part in normal)
    value, datatype = normal[1], normal[2]
    if isinstance(value, Decimal):
        return ("number", format(value.normalize(), "f"))
    if isinstance(value, bool):
        return ("literal", str(value).lower(), datatype)
    if datatype == RDF_LANGSTRING:
        return ("literal", value, "@" + normal[3])
    return ("literal", value, datatype)


@dataclass(frozen=True)
class SelectResult:
    variables: tuple[str, ...]
    rows: tuple[Row, ...]

    def keys(self, names: Sequence[str]) -> list[tuple[Term | None, ...]]:
        """The sort key of each row, in row order."""
        return [tuple(dict(row).get(name) for name in names) for row in self.rows]


def parse_srj(document: Mapping[str, Any]) -> SelectResult | bool:
    """A SPARQL 1.1 Query Results JSON document as a SelectResult, or the boolean of an ASK
    (read by the same reader as any endpoint's answer, `cskg.query.remote.parse_sparql_json`)."""
    result = parse_sparql_json(json.dumps(document))
    if result.kind == "ask":
        return bool(result.boolean)
    rows = tuple(
        tuple(sorted((name, normalise_term(term)) for name, term in binding.items()))
        for binding in result.dicts()
    )
    return SelectResult(tuple(result.variables), rows)


def read_srj(path: Path) -> SelectResult | bool:
    return parse_srj(json.loads(path.read_text(encoding="utf-8")))


def compare_select(
    actual: SelectResult, expected: SelectResult, ordered_by: Sequence[str] = ()
) -> list[str]:
    """Differences between two SELECT results; empty when they agree."""
    problems: list[str] = []
    if actual.variables != expected.variables:
        problems.append(f"variables {actual.variables} != expected {expected.variables}")
    missing = Counter(expected.rows) - Counter(actual.rows)
    extra = Counter(actual.rows) - Counter(expected.rows)
    problems += [f"missing row {_show(row)}" for row in sorted(missing.elements())]
    problems += [f"unexpected row {_show(row)}" for row in sorted(extra.elements())]
    keys = stable_keys(expected, ordered_by)
    if not problems and keys and actual.keys(keys) != expected.keys(keys):
        problems.append(f"rows are not in the expected order of {', '.join(keys)}")
    return problems


def stable_keys(result: SelectResult, ordered_by: Sequence[str]) -> list[str]:
    """The leading sort keys whose order is the same on every run and engine.

    Blank nodes sort by engine-internal labels, so the order is checked only up to the first key
    that binds a blank node in some row.
    """
    keys: list[str] = []
    for name in ordered_by:
        if any(dict(row).get(name) == ("bnode",) for row in result.rows):
            break
        keys.append(name)
    return keys


def _show(row: Row) -> str:
    return "{" + ", ".join(f"{name}={'|'.join(term)}" for name, term in row) + "}"


def dump_srj(document: bytes | str) -> str:
    """A Query Results JSON document laid out one binding per line block, for readable diffs."""
    return json.dumps(json.loads(document), ensure_ascii=False, indent=1) + "\n"


def summarise(problems: Iterable[str], limit: int = 20) -> str:
    problems = list(problems)
    more = f"\n... and {len(problems) - limit} more" if len(problems) > limit else ""
    return "\n".join(problems[:limit]) + more


# -- results as comparable values ---------------------------------------------------------------


def normalise(term: QueryTerm | None) -> Any:
    """A hashable form of a term that engines agree on.

    Numbers compare by value with their datatype (21.640 = 21.64), language tags are lower-cased,
    booleans compare by value, and blank nodes compare equal to each other (labels are local).
    """
    if term is None:
        return None
    if term.kind == "bnode":
        return ("bnode",)
    if term.kind == "triple":
        return ("triple", *(normalise(t) for t in term.value))
    if term.kind == "iri":
        return ("iri", term.value)
    if term.datatype == RDF_LANGSTRING or term.lang:
        return ("literal", term.value, RDF_LANGSTRING, (term.lang or "").lower())
    if term.datatype in NUMERIC:
        try:
            return ("literal", Decimal(term.value), term.datatype)
        except InvalidOperation:
            pass
    if term.datatype == XSD + "boolean":
        return ("literal", term.value in ("true", "1"), term.datatype)
    return ("literal", term.value, term.datatype or XSD_STRING)


def canonical(result: Result) -> tuple[Any, ...]:
    """A result as a comparable value: rows as a multiset, columns in sorted variable order."""
    if result.kind == "ask":
        return ("ask", bool(result.boolean))
    if result.kind == "graph":
        return ("graph", Counter(tuple(normalise(t) for t in triple) for triple in result.triples))
    order = sorted(range(len(result.variables)), key=lambda i: result.variables[i])
    rows: Counter[QueryRow] = Counter(
        tuple(normalise(row[i]) for i in order) for row in result.rows
    )
    return ("select", tuple(result.variables[i] for i in order), rows)


# -- datasets compared whole, blank nodes included ----------------------------------------------


def canonical_quads(quads: Iterable[Any]) -> set[str]:
    """pyoxigraph quads as canonical N-Quads lines (W3C RDF Dataset Canonicalization, RDFC-1.0,
    on the whole dataset): two datasets are the same, blank nodes included, exactly when their
    sets are equal. Independent of `cskg.diff.canonical`, which names blank nodes group by group;
    the tests of `cskg diff` check it against this."""
    import pyoxigraph as ox

    dataset = ox.Dataset(list(quads))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {f"{quad} ." for quad in dataset}


def read_canonical_quads(path: Path) -> set[str]:
    """`canonical_quads` of an N-Quads or TriG file."""
    import pyoxigraph as ox

    fmt = ox.RdfFormat.TRIG if path.suffix == ".trig" else ox.RdfFormat.N_QUADS
    return canonical_quads(ox.parse(path=str(path), format=fmt))
