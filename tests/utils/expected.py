"""Expected results of the query library, compared as data rather than as text.

A library query `queries/NAME.rq` has its expected answer in `queries/expected/NAME.srj`
(SPARQL 1.1 Query Results JSON, for SELECT and ASK) or `queries/expected/NAME.ttl` (for CONSTRUCT).
Engines print the same answer differently (decimal lexical forms, `typed-literal`, row order
among ties), so both sides are reduced to normalised terms before comparison:

- IRIs by value; literals by lexical form, language tag (lower case) and datatype, with
  `xsd:string` and simple literals equal; numeric literals by value (rounded to 1e-9, so that an
  engine computing in floating point agrees with exact decimal arithmetic); blank nodes all equal
  (the library never projects them, and a CONSTRUCT result is compared by graph isomorphism);
- SELECT rows as a multiset; when the query has ORDER BY, also the sequence of sort keys, which
  is the same for every correct engine even where the ordering is not total (up to the first key
  that binds a blank node, since blank nodes sort by engine-internal labels).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC_TYPES = frozenset(
    XSD + name
    for name in (
        *("integer", "decimal", "double", "float", "int", "long", "short", "byte"),
        *("nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger"),
        *("unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte"),
    )
)
_PRECISION = Decimal("1e-9")

Term = tuple[str, ...]
Row = tuple[tuple[str, Term], ...]


@dataclass(frozen=True)
class Header:
    """The comment header every library query starts with."""

    title: str
    question: str
    keywords: tuple[str, ...]


_HEADER_RE = re.compile(r"^#\s*(title|question|keywords):\s*(.+?)\s*$", re.MULTILINE)


def read_header(query: str) -> Header:
    """The `# title:`, `# question:` and `# keywords:` lines; KeyError if one is missing."""
    fields = {key: value for key, value in _HEADER_RE.findall(query)}
    keywords = tuple(word.strip() for word in fields["keywords"].split(",") if word.strip())
    return Header(fields["title"], fields["question"], keywords)


def query_form(query: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE, read from the query's tokens (`cskg.query.text`)."""
    from cskg.query.text import inspect

    form = inspect(query).form
    if form is None:
        raise ValueError("not a SPARQL query form")
    return form


def order_keys(query: str) -> list[str]:
    """Variables of the ORDER BY clause, in order (`?x`, `ASC(?x)`, `DESC(?x)`).

    Raises ValueError when a key is an expression: the library orders by projected variables
    only, so that the order of rows can be checked on the results alone.
    """
    body = "\n".join(line.split("#", 1)[0] for line in query.splitlines())
    match = re.search(r"\bORDER\s+BY\b(.*?)(?:\bLIMIT\b|\bOFFSET\b|$)", body, re.I | re.S)
    if match is None:
        return []
    keys = []
    for token in match.group(1).split():
        key = re.fullmatch(r"(?:(?:ASC|DESC)\()?\?(\w+)\)?", token, re.IGNORECASE)
        if key is None:
            raise ValueError(f"ORDER BY key {token!r} is not a variable")
        keys.append(key.group(1))
    return keys


# -- normalisation --------------------------------------------------------------------------


def normalise_term(term: Mapping[str, str]) -> Term:
    """One SPARQL-JSON term as a comparable tuple (see the module docstring)."""
    kind = term["type"]
    if kind == "uri":
        return ("uri", term["value"])
    if kind == "bnode":
        return ("bnode",)
    if kind not in ("literal", "typed-literal"):
        raise ValueError(f"unsupported term type {kind!r}")
    value, datatype = term["value"], term.get("datatype")
    language = term.get("xml:lang") or term.get("lang")
    if language:
        return ("literal", value, "@" + language.lower())
    if datatype in NUMERIC_TYPES:
        try:
            number = Decimal(value).quantize(_PRECISION).normalize()
        except InvalidOperation:  # NaN, INF or an ill-typed literal: compare as written
            return ("literal", value, datatype)
        return ("number", format(number, "f"))
    if datatype == XSD + "boolean":  # Virtuoso writes booleans as 1 and 0
        return ("literal", {"1": "true", "0": "false"}.get(value, value.lower()), datatype)
    if datatype in (None, XSD + "string"):
        return ("literal", value, XSD + "string")
    return ("literal", value, datatype)


@dataclass(frozen=True)
class SelectResult:
    variables: tuple[str, ...]
    rows: tuple[Row, ...]

    def keys(self, names: Sequence[str]) -> list[tuple[Term | None, ...]]:
        """The sort key of each row, in row order."""
        return [tuple(dict(row).get(name) for name in names) for row in self.rows]


def parse_srj(document: Mapping[str, Any]) -> SelectResult | bool:
    """A SPARQL 1.1 Query Results JSON document as a SelectResult, or the boolean of an ASK."""
    if "boolean" in document:
        return bool(document["boolean"])
    variables = tuple(document["head"]["vars"])
    rows = tuple(
        tuple(sorted((name, normalise_term(term)) for name, term in binding.items()))
        for binding in document["results"]["bindings"]
    )
    return SelectResult(variables, rows)


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
