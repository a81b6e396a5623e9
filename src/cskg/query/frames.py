"""Answers for notebooks: a `Result` as a typed pandas DataFrame, a short `repr` and an HTML
table, and the small HTML table every notebook view of cskg's objects shares (`html_table`).

`cskg.query.model.Result` calls these (`to_pandas`, `__repr__`, `_repr_html_`); this module
imports nothing of `model` (which imports it), only what reads names, so that it sees a result
through the `Answer` protocol. pandas is imported only by `to_pandas`.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from cskg.errors import CskgError
from cskg.query.text import prefixed_name
from cskg.vocab import XSD, XSD_FLOATS, XSD_INTEGERS

XSD_BOOLEAN, XSD_GYEAR = XSD + "boolean", XSD + "gYear"
XSD_DATES = frozenset({XSD + "date", XSD + "dateTime", XSD + "dateTimeStamp"})
IRI_FORMS = ("prefixed", "full")


class Answer(Protocol):
    """What these functions read of a `cskg.query.model.Result`."""

    kind: str
    boolean: bool | None

    @property
    def columns(self) -> list[str]: ...

    def table(self) -> list[tuple[Any, ...]]: ...


# -- cells ----------------------------------------------------------------------------------


def iri_name(iri: str) -> str:
    """The prefixed name of `iri` where one is valid SPARQL as written, else `<iri>`: the rule
    of `cskg.query.results.compact` (whose module builds on `Result`, so not imported here)."""
    return prefixed_name(iri) or f"<{iri}>"


def cell_text(term: Any, iris: str = "prefixed") -> str | None:
    """A term as the text of a cell: an IRI named (`iri_name`) or in full, a literal's value
    (its language tag and datatype left out), `_:id` for a blank node; None when unbound."""
    if term is None:
        return None
    if term.kind == "iri":
        return iri_name(term.value) if iris == "prefixed" else str(term.value)
    if term.kind == "bnode":
        return f"_:{term.value}"
    if term.kind == "triple":
        return "<< " + " ".join(cell_text(t, iris) or "" for t in term.value) + " >>"
    return str(term.value)


# -- pandas ----------------------------------------------------------------------------------


def to_pandas(result: Answer, iris: str = "prefixed") -> Any:
    """The result as a DataFrame (see `Result.to_pandas`)."""
    if iris not in IRI_FORMS:
        raise CskgError(f"iris={iris!r}: use one of {', '.join(IRI_FORMS)}")
    try:
        import pandas as pd
    except ImportError:
        raise CskgError(
            "Result.to_pandas needs pandas: pip install pandas (or cskg[notebook])"
        ) from None
    if result.kind == "ask":
        return pd.DataFrame({"boolean": pd.array([result.boolean], dtype="boolean")})
    rows = result.table()
    data = {
        name: typed_column([row[i] for row in rows], iris) for i, name in enumerate(result.columns)
    }
    return pd.DataFrame(data, columns=result.columns, index=pd.RangeIndex(len(rows)))


def typed_column(terms: list[Any], iris: str = "prefixed") -> Any:
    """One column's terms as a pandas array: typed when every bound term is a literal of one
    family of datatypes (`_TYPED`) that all read as such, else text (`cell_text`)."""
    import pandas as pd

    bound = [t for t in terms if t is not None]
    if bound and all(t.kind == "literal" for t in bound):
        datatypes = {t.datatype for t in bound}
        for family, convert in _TYPED:
            if datatypes <= family:
                try:
                    return convert([None if t is None else t.value for t in terms])
                except (ValueError, TypeError, OverflowError):
                    break  # a value that does not read as its datatype says: text
    return pd.array([cell_text(t, iris) for t in terms], dtype=object)


def _integers(values: list[str | None]) -> Any:
    import pandas as pd

    return pd.array([None if v is None else int(v) for v in values], dtype="Int64")


def _floats(values: list[str | None]) -> Any:
    import pandas as pd

    return pd.array([float("nan") if v is None else float(v) for v in values], dtype="float64")


def _booleans(values: list[str | None]) -> Any:
    import pandas as pd

    readings = {"true": True, "1": True, "false": False, "0": False}
    return pd.array([None if v is None else readings[v.strip()] for v in values], "boolean")


def _dates(values: list[str | None]) -> Any:
    """datetime64: naive when no value has a time zone, else every value in UTC."""
    import re

    import pandas as pd

    zoned = any(v is not None and re.search(r"(Z|[+-]\d\d:\d\d)$", v.strip()) for v in values)
    return pd.to_datetime(pd.Series(values, dtype=object), format="ISO8601", utc=zoned).array


def _years(values: list[str | None]) -> Any:
    """An xsd:gYear as its year, a number (its time zone, if any, left out)."""
    import re

    def year(value: str) -> int:
        found = re.fullmatch(r"(-?\d{4,})(Z|[+-]\d\d:\d\d)?", value.strip())
        if found is None:
            raise ValueError(value)
        return int(found[1])

    return _integers([None if v is None else str(year(v)) for v in values])


#: each family of datatypes with how a column of it is made, the first that holds all wins
_TYPED: list[tuple[frozenset[str], Callable[[list[str | None]], Any]]] = [
    (XSD_INTEGERS, _integers),
    (XSD_INTEGERS | XSD_FLOATS, _floats),
    (frozenset({XSD_BOOLEAN}), _booleans),
    (XSD_DATES, _dates),
    (frozenset({XSD_GYEAR}), _years),
]


# -- repr and HTML ---------------------------------------------------------------------------


def short_repr(result: Answer, rows: int) -> str:
    """A few lines: the kind, the columns, the row count and the first `rows` rows, each cell
    cut short (a notebook shows `_repr_html_` instead)."""
    if result.kind == "ask":
        return f"<Result ask: {result.boolean}>"
    table = result.table()
    head = f"<Result {result.kind}: {len(table)} rows × {', '.join(result.columns)}"
    lines = [_cut(head, 200)]
    lines += ["  " + _cut(" | ".join(cell_text(t) or "" for t in row), 90) for row in table[:rows]]
    if len(table) > rows:
        lines.append(f"  … {len(table) - rows} more")
    return "\n".join(lines) + ">"


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def html_table(result: Answer, rows: int) -> str:
    """The result as an HTML table of at most `rows` rows (`table`); an ASK answer as a line."""
    if result.kind == "ask":
        return f"<p>ASK: <b>{result.boolean}</b></p>"
    cells = ([cell_text(t) or "" for t in row] for row in result.table())
    return table(result.columns, cells, len(result.table()), rows)


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    count: int,
    limit: int,
    caption: str = "",
) -> str:
    """An HTML table, every text escaped: `headers`, the first `limit` of `rows` (`count` in
    all), "… N more" when there are more; `caption` above it."""
    out = ["<table>"]
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers))
    out.append("</tr></thead><tbody>")
    for index, row in enumerate(rows):
        if index == limit:
            break
        out.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>")
    out.append("</tbody></table>")
    if count > limit:
        out.append(f"<p>… {count - limit} more rows ({count} in all)</p>")
    return "".join(out)
