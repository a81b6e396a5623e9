"""Writing query results: one registry of formats for the command line and the endpoint.

Everything here works on the neutral `Result` of `cskg.query.engines`, so the output of a query
is the same whichever engine answered it. Nothing here imports rdflib.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from cskg.errors import CskgError
from cskg.query.model import Result, Row, Term
from cskg.query.text import prefixed_name
from cskg.vocab import PREFIXES as VOCAB_PREFIXES
from cskg.vocab import SPARQL_RESULTS, XSD, XSD_FLOATS, XSD_INTEGERS, XSD_STRING

# The project's prefixes, for display; a copy so callers may add their own.
PREFIXES: dict[str, str] = dict(VOCAB_PREFIXES)

NUMERIC = XSD_INTEGERS | XSD_FLOATS


@lru_cache(maxsize=1 << 16)  # pages name the same classes and properties thousands of times
def compact(iri: str) -> str:
    """The name of an IRI as a person reads it and can paste back into a query or a Turtle
    file: `agency:miit`, `unit:percent`, the longest namespace of `PREFIXES` first, where that
    prefixed name is valid as written (`cskg.query.text.prefixed_name`); else `<iri>`. The one
    rule for names shown to people: the table and Markdown formats, the pages, describe.

    >>> compact("https://w3id.org/cskg/id/concept/area/china")
    'area:china'
    >>> compact("https://w3id.org/cskg/graph/data/data/paper")
    '<https://w3id.org/cskg/graph/data/data/paper>'
    """
    return prefixed_name(iri) or f"<{iri}>"


def display(term: Term | None) -> str:
    """A term as a person reads it in a table: prefixed names, bare literal values."""
    if term is None:
        return ""
    if term.kind == "iri":
        return compact(term.value)
    if term.kind == "bnode":
        return f"_:{term.value}"
    if term.kind == "triple":
        return "<< " + " ".join(display(t) for t in term.value) + " >>"
    text = " ".join(str(term.value).split())  # one line per row
    # a control character (an ANSI escape from the data or an endpoint) is shown, not obeyed
    return _CONTROL.sub(lambda c: f"\\u{ord(c[0]):04x}", text)


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def plain(term: Term | None) -> Any:
    """A term as a JSON value: IRIs in full, numbers and booleans as JSON numbers and booleans."""
    if term is None:
        return None
    if term.kind == "bnode":
        return f"_:{term.value}"
    if term.kind == "triple":
        return [plain(t) for t in term.value]
    if term.kind == "literal":
        if term.datatype == XSD + "boolean":
            return term.value in ("true", "1")
        if term.datatype in NUMERIC:
            try:
                number = Decimal(term.value)
            except InvalidOperation:
                return term.value
            if number == number.to_integral_value() and "." not in term.value.lower().strip("e"):
                return int(number)
            return float(number)
    return term.value


def display_width(text: str) -> int:
    """Columns `text` takes in a terminal: wide and full-width characters (Chinese) take two."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


# -- SELECT -------------------------------------------------------------------------------------


def format_table(result: Result, count: bool = True, width: int | None = None) -> str:
    """The rows as a text table, columns two spaces apart, each cell on one line (what scripts
    parse). With `width` (a terminal's columns), a table wider than that is fitted to it: the
    narrow columns keep their width, the wide ones share the rest (`_fit`), and a cell wider
    than its column wraps within it (`_wrap`). A row then takes several lines, and the rows are
    set apart by an empty line. Nothing is cut."""
    cells = [[display(t) for t in row] for row in result.rows]
    widths = [display_width(v) for v in result.variables]
    for row in cells:
        widths = [max(w, display_width(c)) for w, c in zip(widths, row, strict=True)]
    if width is not None:
        widths = _fit(widths, width - 2 * (len(widths) - 1))
    header = _table_row(result.variables, widths)
    rows = [_table_row(row, widths) for row in cells]
    gap = [""] if any(len(row) > 1 for row in [header, *rows]) else []
    lines = [*header, "  ".join("-" * w for w in widths)]
    for i, row in enumerate(rows):
        lines += (gap if i else []) + row
    if count:
        n = len(result.rows)
        lines.append(f"({n} row{'s' if n != 1 else ''})")
    return "\n".join(lines) + "\n"


#: the columns a fitted table gives every column first (or its whole width, if less)
MIN_COLUMN = 6


def _fit(widths: list[int], room: int) -> list[int]:
    """Column widths that fill at most `room` columns: each gets `MIN_COLUMN` first (so many
    columns may still take more), then the rest is shared by the square root of each column's
    width, a column keeping its whole width when its share holds it (so a long quote gets more
    than a name, but not everything)."""
    if sum(widths) <= room:
        return widths
    fitted = [min(w, MIN_COLUMN) for w in widths]
    left = room - sum(fitted)
    pending = {i for i, w in enumerate(widths) if w > fitted[i]}
    while pending and left > 0:
        weight = sum(math.sqrt(widths[i]) for i in pending)
        shares = {i: left * math.sqrt(widths[i]) / weight for i in pending}
        whole = [i for i in pending if widths[i] - fitted[i] <= shares[i]]
        for i in whole or sorted(pending):
            grown = widths[i] - fitted[i] if whole else int(shares[i])
            fitted[i] += grown
            left -= grown
            pending.discard(i)
    return fitted


def _table_row(cells: list[str], widths: list[int]) -> list[str]:
    """The lines of one table row, each cell wrapped to its column's width."""
    wrapped = [_wrap(c, w) for c, w in zip(cells, widths, strict=True)]
    height = max((len(lines) for lines in wrapped), default=1)
    return [
        "  ".join(
            _pad(lines[k] if k < len(lines) else "", w)
            for lines, w in zip(wrapped, widths, strict=True)
        ).rstrip()
        for k in range(height)
    ]


def _wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` columns, broken at the last space, hyphen or slash
    that fits, and anywhere only where there is none (Chinese, a long name)."""
    lines: list[str] = []
    while display_width(text) > width:
        head = _head(text, width)
        if text[len(head)] == " ":  # the line ends with a word
            lines.append(head)
            text = text[len(head) + 1 :]
            continue
        space, mark = head.rfind(" "), max(head.rfind("-"), head.rfind("/"))
        if space > 0 and space >= mark:
            lines.append(head[:space])
            text = text[space + 1 :]
        else:
            taken = mark + 1 if mark > 0 else len(head)
            lines.append(head[:taken])
            text = text[taken:]
    return [*lines, text]


def _head(text: str, width: int) -> str:
    """The longest start of `text` within `width` columns (one character at least)."""
    taken = 0
    for i, c in enumerate(text):
        taken += display_width(c)
        if taken > width:
            return text[: max(i, 1)]
    return text


def format_markdown(result: Result) -> str:
    def cell(term: Term | None) -> str:
        text = display(term).replace("|", "\\|")
        return f"`{text}`" if term is not None and term.kind == "iri" else text

    lines = [
        "| " + " | ".join(result.variables) + " |",
        "|" + "|".join("---" for _ in result.variables) + "|",
    ]
    lines += ["| " + " | ".join(cell(t) for t in row) + " |" for row in result.rows]
    return "\n".join(lines) + "\n"


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if term.kind == "bnode":
        return f"_:{term.value}"
    if term.kind == "triple":
        return term.n3()
    return str(term.value)


@dataclass(frozen=True)
class Truncation:
    """Why and where an answer was cut: `returned` rows or triples were kept, under the
    endpoint's `limit` of rows (`reason` "rows") or of bytes (`reason` "bytes")."""

    returned: int
    reason: str
    limit: int

    def message(self) -> str:
        unit = "bytes" if self.reason == "bytes" else "rows or triples"
        return (
            f"the answer was cut at this endpoint's limit of {self.limit} {unit} after "
            f"{self.returned} rows or triples; refine the query or page it with LIMIT/OFFSET"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "limit": self.returned,
            "reason": self.reason,
            self.reason: self.limit,
            "message": self.message(),
        }


class ResultsWriter:
    """One SPARQL results format written a piece at a time: `head`, then `row` for each
    solution, then `tail` (which says whether the answer was cut), or `boolean` for ASK.

    The pieces can be written as they are made, so an answer never has to be whole in memory
    (`cskg serve` writes each piece straight to the file it sends, up to its byte limit)."""

    media = ""

    def head(self, variables: list[str]) -> str:
        raise NotImplementedError

    def row(self, row: Row) -> str:
        raise NotImplementedError

    def tail(self, truncation: Truncation | None = None) -> str:
        return ""

    def boolean(self, value: bool) -> str:
        raise NotImplementedError

    def whole(self, result: Result) -> str:
        """The whole document for a result held in memory."""
        if result.kind == "ask":
            return self.boolean(bool(result.boolean))
        return self.head(result.variables) + "".join(map(self.row, result.rows)) + self.tail()


class CsvWriter(ResultsWriter):
    """SPARQL 1.1 Query Results CSV: values without datatype or language."""

    media = "text/csv"

    def _line(self, values: list[str]) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerow(values)
        return out.getvalue()

    def head(self, variables: list[str]) -> str:
        return self._line(variables)

    def row(self, row: Row) -> str:
        return self._line([_csv_value(t) for t in row])

    def boolean(self, value: bool) -> str:  # CSV has no boolean form; the usual one-cell table
        return f"_askResult\r\n{'true' if value else 'false'}\r\n"


class TsvWriter(ResultsWriter):
    """SPARQL 1.1 Query Results TSV: terms in Turtle syntax."""

    media = "text/tab-separated-values"

    def head(self, variables: list[str]) -> str:
        return "\t".join(f"?{v}" for v in variables) + "\n"

    def row(self, row: Row) -> str:
        return "\t".join("" if t is None else t.n3().replace("\t", "\\t") for t in row) + "\n"

    def boolean(self, value: bool) -> str:
        return f"?_askResult\n{'true' if value else 'false'}\n"


class JsonWriter(ResultsWriter):
    """SPARQL 1.1 Query Results JSON; a cut answer has a top-level `"cskg:truncated"`."""

    media = "application/sparql-results+json"

    def __init__(self) -> None:
        self._variables: list[str] = []
        self._separator = ""

    def head(self, variables: list[str]) -> str:
        self._variables, self._separator = variables, ""
        return '{"head":{"vars":' + _json(variables) + '},"results":{"bindings":['

    def row(self, row: Row) -> str:
        binding = {
            v: _json_term(t) for v, t in zip(self._variables, row, strict=True) if t is not None
        }
        text = self._separator + _json(binding)
        self._separator = ","
        return text

    def tail(self, truncation: Truncation | None = None) -> str:
        note = f',"cskg:truncated":{_json(truncation.as_json())}' if truncation else ""
        return "]}" + note + "}\n"

    def boolean(self, value: bool) -> str:
        return _json(sparql_json(Result("ask", boolean=value))) + "\n"


class XmlWriter(ResultsWriter):
    """SPARQL Query Results XML; a cut answer ends with a comment saying so. XML 1.0 cannot
    carry most control characters, even escaped: an answer holding one is refused
    (`NotRepresentable`) rather than written ill-formed."""

    media = "application/sparql-results+xml"
    _OPEN = f'<?xml version="1.0"?>\n<sparql xmlns="{SPARQL_RESULTS}">\n'

    def __init__(self) -> None:
        self._variables: list[str] = []

    def head(self, variables: list[str]) -> str:
        from xml.sax.saxutils import quoteattr

        self._variables = variables
        names = "".join(f"    <variable name={quoteattr(v)}/>\n" for v in variables)
        return f"{self._OPEN}  <head>\n{names}  </head>\n  <results>\n"

    def row(self, row: Row) -> str:
        from xml.sax.saxutils import quoteattr

        bindings = "".join(
            f"      <binding name={quoteattr(v)}>{_xml_term(t)}</binding>\n"
            for v, t in zip(self._variables, row, strict=True)
            if t is not None
        )
        return f"    <result>\n{bindings}    </result>\n"

    def tail(self, truncation: Truncation | None = None) -> str:
        note = f"<!-- {truncation.message()} -->\n" if truncation else ""
        return "  </results>\n</sparql>\n" + note

    def boolean(self, value: bool) -> str:
        answer = "true" if value else "false"
        return f"{self._OPEN}  <head/>\n  <boolean>{answer}</boolean>\n</sparql>\n"


class NotRepresentable(CskgError):
    """The answer holds a character the chosen format cannot carry (XML 1.0 and controls)."""


# characters XML 1.0 allows (section 2.2); anything else cannot even be escaped
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def check_xml_text(text: str) -> str:
    """`text` when XML 1.0 can carry it; raises `NotRepresentable` naming the character."""
    found = _NOT_XML.search(text)
    if found:
        raise NotRepresentable(
            f"the answer holds U+{ord(found[0]):04X}, a character XML 1.0 cannot carry; "
            "ask for JSON, CSV or TSV (or N-Triples, Turtle or JSON-LD for a graph)"
        )
    return text


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_term(term: Term) -> dict[str, Any]:
    if term.kind == "iri":
        return {"type": "uri", "value": term.value}
    if term.kind == "bnode":
        return {"type": "bnode", "value": term.value}
    if term.kind == "triple":
        s, p, o = (_json_term(t) for t in term.value)
        return {"type": "triple", "value": {"subject": s, "predicate": p, "object": o}}
    value: dict[str, Any] = {"type": "literal", "value": term.value}
    if term.lang:
        value["xml:lang"] = term.lang
    elif term.datatype and term.datatype != XSD_STRING:
        value["datatype"] = term.datatype
    return value


def sparql_json(result: Result) -> dict[str, Any]:
    if result.kind == "ask":
        return {"head": {}, "boolean": bool(result.boolean)}
    return {
        "head": {"vars": result.variables},
        "results": {
            "bindings": [
                {
                    v: _json_term(t)
                    for v, t in zip(result.variables, row, strict=True)
                    if t is not None
                }
                for row in result.rows
            ]
        },
    }


def _xml_term(term: Term) -> str:
    from xml.sax.saxutils import escape, quoteattr

    if term.kind == "iri":
        return f"<uri>{escape(check_xml_text(term.value))}</uri>"
    if term.kind == "bnode":
        return f"<bnode>{escape(term.value)}</bnode>"
    if term.kind == "triple":
        s, p, o = (_xml_term(t) for t in term.value)
        return (
            f"<triple><subject>{s}</subject><predicate>{p}</predicate><object>{o}</object></triple>"
        )
    value = escape(check_xml_text(term.value))
    if term.lang:
        return f"<literal xml:lang={quoteattr(term.lang)}>{value}</literal>"
    if term.datatype and term.datatype != XSD_STRING:
        return f"<literal datatype={quoteattr(term.datatype)}>{value}</literal>"
    return f"<literal>{value}</literal>"


# -- graphs -------------------------------------------------------------------------------------


def _to_ox(term: Term) -> Any:
    import pyoxigraph as ox

    if term.kind == "iri":
        return ox.NamedNode(term.value)
    if term.kind == "bnode":
        return ox.BlankNode(term.value)
    if term.kind == "triple":
        return ox.Triple(*(_to_ox(t) for t in term.value))
    if term.lang:
        return ox.Literal(term.value, language=term.lang)
    return ox.Literal(term.value, datatype=ox.NamedNode(term.datatype or XSD_STRING))


def _stable(result: Result) -> list[tuple[Term, Term, Term]]:
    """CONSTRUCT/DESCRIBE triples, each once, in a stable order."""
    return sorted(set(result.triples), key=lambda t: tuple(x.n3() for x in t))


def format_ntriples(result: Result) -> str:
    return "".join(f"{s.n3()} {p.n3()} {o.n3()} .\n" for s, p, o in _stable(result))


def format_turtle(result: Result) -> str:
    """Turtle with the project's prefixes that the triples use."""
    triples = _stable(result)
    used = {t.value for triple in triples for t in triple if t.kind == "iri"}
    prefixes = {p: ns for p, ns in PREFIXES.items() if any(i.startswith(ns) for i in used)}
    return _serialize(triples, "TURTLE", prefixes)


def format_json_ld(result: Result) -> str:
    return _serialize(_stable(result), "JSON_LD")


def _serialize(
    triples: list[tuple[Term, Term, Term]], fmt: str, prefixes: dict[str, str] | None = None
) -> str:
    """The triples in pyoxigraph's RdfFormat `fmt`."""
    import pyoxigraph as ox

    ox_triples = [ox.Triple(*(_to_ox(t) for t in triple)) for triple in triples]
    data = ox.serialize(ox_triples, format=getattr(ox.RdfFormat, fmt), prefixes=prefixes)
    return data.decode("utf-8") if data else ""


# -- the registry -------------------------------------------------------------------------------


def _truth(result: Result) -> str:
    return ("true" if result.boolean else "false") + "\n"


def _for_people(write: Callable[[Result], str]) -> Callable[[Result], str]:
    """A format for people: an ASK answer is printed as `true` or `false`, whatever the format."""
    return lambda result: _truth(result) if result.kind == "ask" else write(result)


def _fitted_table(result: Result, width: int) -> str:
    return _truth(result) if result.kind == "ask" else format_table(result, width=width)


def _json_rows(result: Result) -> str:
    """Rows as a JSON list of plain objects; an ASK answer as SPARQL JSON's boolean document."""
    if result.kind == "ask":
        return JsonWriter().whole(result)
    rows = [{v: plain(t) for v, t in d.items()} for d in result.dicts()]
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


SOLUTIONS = ("select", "ask")  # the kinds of SELECT and ASK answers
GRAPHS = ("graph",)  # the kind of CONSTRUCT and DESCRIBE answers


@dataclass(frozen=True)
class ResultFormat:
    """A format a query's answer is written in: its `cskg query --format` name, media type, file
    extension, `write` for a whole `Result`, the result kinds it takes (SELECT and ASK, or
    "graph" for CONSTRUCT and DESCRIBE), and for the SPARQL results formats `cskg serve` offers
    the incremental `streaming` writer and its rank in the server's order of preference. A
    format `fitted` to a terminal's width has that writer too: `fitted(result, columns)`."""

    name: str
    media: str
    extension: str
    write: Callable[[Result], str]
    kinds: tuple[str, ...] = SOLUTIONS
    streaming: type[ResultsWriter] | None = None
    served: int = 0
    fitted: Callable[[Result, int], str] | None = None


def _whole(writer: type[ResultsWriter]) -> Callable[[Result], str]:
    return lambda result: writer().whole(result)


#: every result format, by name, in the order `cskg query --help` lists them
RESULT_FORMATS: dict[str, ResultFormat] = {
    f.name: f
    for f in (
        ResultFormat(
            "table", "text/plain", ".txt", _for_people(format_table), fitted=_fitted_table
        ),
        ResultFormat(
            "csv",
            CsvWriter.media,
            ".csv",
            _for_people(_whole(CsvWriter)),
            streaming=CsvWriter,
            served=3,
        ),
        ResultFormat(
            "tsv",
            TsvWriter.media,
            ".tsv",
            _for_people(_whole(TsvWriter)),
            streaming=TsvWriter,
            served=4,
        ),
        ResultFormat("json", "application/json", ".json", _json_rows),
        ResultFormat("md", "text/markdown", ".md", _for_people(format_markdown)),
        ResultFormat(
            "sparql-json",
            JsonWriter.media,
            ".srj",
            _whole(JsonWriter),
            streaming=JsonWriter,
            served=1,
        ),
        ResultFormat(
            "sparql-xml", XmlWriter.media, ".srx", _whole(XmlWriter), streaming=XmlWriter, served=2
        ),
        ResultFormat("turtle", "text/turtle", ".ttl", format_turtle, GRAPHS),
        ResultFormat("json-ld", "application/ld+json", ".jsonld", format_json_ld, GRAPHS),
        ResultFormat("ntriples", "application/n-triples", ".nt", format_ntriples, GRAPHS),
        ResultFormat("text", "text/plain", ".txt", _for_people(format_table), fitted=_fitted_table),
    )
}

#: the SPARQL results formats `cskg serve` offers: media type -> incremental writer, in its order
#: of preference (the first is the default)
RESULTS_WRITERS: dict[str, type[ResultsWriter]] = {
    f.media: f.streaming
    for f in sorted(RESULT_FORMATS.values(), key=lambda f: f.served)
    if f.streaming is not None
}


def render(result: Result, fmt: str | None, width: int | None = None) -> str:
    """The text to print for a result in the format asked for (None: the default for its kind),
    fitted to `width` columns if given (a terminal's) and the format can be."""
    name = fmt or {"graph": "turtle", "ask": "text"}.get(result.kind, "table")
    if name not in RESULT_FORMATS:
        raise CskgError(f"unknown format {name!r}")
    spec = RESULT_FORMATS[name]
    if result.kind not in spec.kinds:
        if result.kind == "graph":
            *some, last = (n for n, f in RESULT_FORMATS.items() if f.kinds == GRAPHS)
            raise CskgError(
                f"--format {name} is for SELECT results; CONSTRUCT/DESCRIBE give "
                f"{', '.join(some)} or {last}"
            )
        raise CskgError(f"--format {name} is for CONSTRUCT/DESCRIBE results")
    if width is not None and spec.fitted is not None:
        return spec.fitted(result, width)
    return spec.write(result)
