"""Formatting query results, and comparing them across engines.

Everything here works on the neutral `Result` of `cskg.query.engines`, so the output of a query
is the same whichever engine answered it. Nothing here imports rdflib.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from cskg.errors import CskgError
from cskg.query.engines import RDF_LANGSTRING, XSD, XSD_STRING, Result, Row, Term
from cskg.vocab import PREFIXES as VOCAB_PREFIXES

# The project's prefixes, for display; a copy so callers may add their own.
PREFIXES: dict[str, str] = dict(VOCAB_PREFIXES)

# Longest namespace first, so concept:unit/… is not shadowed by a shorter match.
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))
_LOCAL_OK = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")

NUMERIC = {
    XSD + name
    for name in (
        *("integer", "decimal", "double", "float", "int", "long", "short", "byte"),
        *("nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger"),
        *("unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte"),
    )
}


def compact(iri: str) -> str:
    """`agency:miit` for a project IRI; `<iri>` when no prefix gives a valid local name.

    Local names may hold `/` here (concept:unit/percent): this is display text, not Turtle.
    """
    for prefix, namespace in _BY_LENGTH:
        if iri.startswith(namespace):
            local = iri[len(namespace) :]
            if all(c in _LOCAL_OK or c == "/" for c in local) and not local.startswith("-"):
                return f"{prefix}:{local}"
    return f"<{iri}>"


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


def format_table(result: Result, count: bool = True) -> str:
    cells = [[display(t) for t in row] for row in result.rows]
    widths = [display_width(v) for v in result.variables]
    for row in cells:
        widths = [max(w, display_width(c)) for w, c in zip(widths, row, strict=True)]
    lines = [
        "  ".join(_pad(v, w) for v, w in zip(result.variables, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += [
        "  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    if count:
        n = len(result.rows)
        lines.append(f"({n} row{'s' if n != 1 else ''})")
    return "\n".join(lines) + "\n"


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
    _OPEN = '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'

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


#: the SPARQL results formats: media type -> writer class (`cskg serve` negotiates among them)
RESULTS_WRITERS: dict[str, type[ResultsWriter]] = {
    w.media: w for w in (JsonWriter, XmlWriter, CsvWriter, TsvWriter)
}


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


def format_csv(result: Result) -> str:
    """SPARQL 1.1 Query Results CSV: values without datatype or language."""
    return CsvWriter().whole(result)


def format_tsv(result: Result) -> str:
    """SPARQL 1.1 Query Results TSV: terms in Turtle syntax."""
    return TsvWriter().whole(result)


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


def format_sparql_xml(result: Result) -> str:
    return XmlWriter().whole(result)


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


def format_graph(result: Result, fmt: str) -> str:
    """CONSTRUCT/DESCRIBE results as Turtle, JSON-LD or N-Triples, triples in a stable order."""
    import pyoxigraph as ox

    triples = sorted(set(result.triples), key=lambda t: tuple(x.n3() for x in t))
    if fmt == "ntriples":
        return "".join(f"{s.n3()} {p.n3()} {o.n3()} .\n" for s, p, o in triples)
    ox_triples = [ox.Triple(*(_to_ox(t) for t in triple)) for triple in triples]
    if fmt == "turtle":
        used = {n for triple in triples for t in triple if t.kind == "iri" for n in [t.value]}
        prefixes = {p: ns for p, ns in PREFIXES.items() if any(i.startswith(ns) for i in used)}
        data = ox.serialize(ox_triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    elif fmt == "json-ld":
        data = ox.serialize(ox_triples, format=ox.RdfFormat.JSON_LD)
    else:
        raise CskgError(f"unknown graph format {fmt!r}")
    return data.decode("utf-8") if data else ""


# -- dispatch -----------------------------------------------------------------------------------


def render(result: Result, fmt: str | None) -> str:
    """The text to print for a result in the format asked for (None: the default for its kind)."""
    if result.kind == "graph":
        fmt = fmt or "turtle"
        if fmt not in ("turtle", "json-ld", "ntriples"):
            raise CskgError(
                f"--format {fmt} is for SELECT results; CONSTRUCT/DESCRIBE give turtle, json-ld "
                "or ntriples"
            )
        return format_graph(result, fmt)
    fmt = fmt or ("text" if result.kind == "ask" else "table")
    if fmt in ("turtle", "json-ld", "ntriples"):
        raise CskgError(f"--format {fmt} is for CONSTRUCT/DESCRIBE results")
    if result.kind == "ask":
        if fmt in ("sparql-json", "json"):
            return JsonWriter().whole(result)
        if fmt == "sparql-xml":
            return format_sparql_xml(result)
        return ("true" if result.boolean else "false") + "\n"
    if fmt in ("table", "text"):
        return format_table(result)
    if fmt == "md":
        return format_markdown(result)
    if fmt == "csv":
        return format_csv(result)
    if fmt == "tsv":
        return format_tsv(result)
    if fmt == "json":
        rows = [{v: plain(t) for v, t in d.items()} for d in result.dicts()]
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    if fmt == "sparql-json":
        return JsonWriter().whole(result)
    if fmt == "sparql-xml":
        return format_sparql_xml(result)
    raise CskgError(f"unknown format {fmt!r}")


# -- comparison ---------------------------------------------------------------------------------


def normalise(term: Term | None) -> Any:
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
    rows: Counter[Row] = Counter(tuple(normalise(row[i]) for i in order) for row in result.rows)
    return ("select", tuple(result.variables[i] for i in order), rows)
