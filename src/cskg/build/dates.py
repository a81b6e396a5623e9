"""The days a date of the paper stands for, so that dates of any precision filter and sort alike.

The paper dates things as precisely as it knows them, and `cskg:date` (or `cskg:endDate`) keeps
that precision: an `xsd:gYear` ("2011"), an `xsd:gYearMonth` ("2014-02") or an `xsd:date`.
Values of different types do not compare in SPARQL (`FILTER(?d >= "2014"^^xsd:gYear)` drops the
months and days), so the build adds, beside each, the first and last day it can mean as
`xsd:date`: `cskg:earliest` (from `cskg:date`) and `cskg:latest` (from `cskg:endDate` when there
is one, else `cskg:date`; a target with an end date only has a latest day only). They go to the
inferred graph: derived from what the data says, never written by hand.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable

import pyoxigraph as ox

from cskg.vocab import CSKG, XSD

DATE, END_DATE = ox.NamedNode(CSKG + "date"), ox.NamedNode(CSKG + "endDate")
EARLIEST, LATEST = ox.NamedNode(CSKG + "earliest"), ox.NamedNode(CSKG + "latest")
XSD_DATE = ox.NamedNode(XSD + "date")


def first_and_last_day(value: ox.Literal) -> tuple[str, str] | None:
    """The first and last day (ISO 8601) of a gYear, gYearMonth or date; None for anything else
    (a value the shapes refuse anyway)."""
    kind, text = value.datatype.value.removeprefix(XSD), value.value
    try:
        if kind == "gYear":
            return f"{int(text):04d}-01-01", f"{int(text):04d}-12-31"
        if kind == "gYearMonth":
            year, month = (int(part) for part in text.split("-"))
            last = calendar.monthrange(year, month)[1]
            return f"{year:04d}-{month:02d}-01", f"{year:04d}-{month:02d}-{last:02d}"
        if kind == "date":
            return text, text
    except ValueError:
        return None
    return None


def date_bounds(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """`cskg:earliest` and `cskg:latest` of every subject with a `cskg:date` or `cskg:endDate`."""
    starts: dict[object, ox.Literal] = {}
    ends: dict[object, ox.Literal] = {}
    for t in triples:
        if isinstance(t.object, ox.Literal) and t.predicate in (DATE, END_DATE):
            (starts if t.predicate == DATE else ends)[t.subject] = t.object
    bounds = []
    for subject in dict.fromkeys([*starts, *ends]):
        first = first_and_last_day(starts[subject]) if subject in starts else None
        last = first_and_last_day(ends.get(subject) or starts[subject])
        if first:
            bounds.append(_bound(subject, EARLIEST, first[0]))
        if last:
            bounds.append(_bound(subject, LATEST, last[1]))
    return bounds


def _bound(subject: object, predicate: ox.NamedNode, day: str) -> ox.Triple:
    return ox.Triple(subject, predicate, ox.Literal(day, datatype=XSD_DATE))  # type: ignore[arg-type]
