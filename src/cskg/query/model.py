"""Query answers in one neutral form, whichever engine gave them: `Term`, `Result`, the
`QueryStore` interface every engine offers, and the conversion of pyoxigraph's terms and answers
into them (used by the embedded store, the server's workers and the remote client alike).

Imports nothing of cskg's query engines, so that engines, result formats and the remote client
all build on it without importing one another.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from cskg.vocab import RDF_LANGSTRING, XSD_STRING

# -- neutral results -----------------------------------------------------------------------


class Term(NamedTuple):
    """An RDF term independent of any library.

    kind is "iri", "bnode", "literal" or "triple" (RDF-star; value then holds the three terms).
    A literal always has a datatype: xsd:string when plain, rdf:langString when it has a language.
    """

    kind: str
    value: Any
    datatype: str | None = None
    lang: str | None = None

    @classmethod
    def iri(cls, value: str) -> Term:
        return cls("iri", value)

    @classmethod
    def literal(cls, value: str, datatype: str | None = None, lang: str | None = None) -> Term:
        if lang:
            return cls("literal", value, RDF_LANGSTRING, lang)
        return cls("literal", value, datatype or XSD_STRING, None)

    def n3(self) -> str:
        """The term in N-Triples syntax."""
        if self.kind == "iri":
            return f"<{self.value}>"
        if self.kind == "bnode":
            return f"_:{self.value}"
        if self.kind == "triple":
            return "<< " + " ".join(t.n3() for t in self.value) + " >>"
        text = (
            self.value.replace("\\", "\\\\")
            .replace('"', '\\"')
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
        if self.lang:
            return f'"{text}"@{self.lang}'
        if self.datatype and self.datatype != XSD_STRING:
            return f'"{text}"^^<{self.datatype}>'
        return f'"{text}"'


Row = tuple[Term | None, ...]


#: the variables of a graph answer's rows (`Result.columns`)
TRIPLE_VARIABLES = ["subject", "predicate", "object"]
#: rows shown by a result's `repr` and its HTML table in a notebook
REPR_ROWS, HTML_ROWS = 3, 50


@dataclass(repr=False)
class Result:
    """The answer to one query: kind is "select", "ask" or "graph" (CONSTRUCT and DESCRIBE).

    `len` and iteration go over its rows: a SELECT answer's solutions, a graph answer's triples
    (as rows of `subject`, `predicate`, `object`); an ASK answer has none (see `boolean`). Each
    row comes as a dict {variable: `Term` or None}, every variable in order (None: unbound).
    `to_pandas()` makes a DataFrame with typed columns; in a notebook the result shows as a
    table (`_repr_html_`)."""

    kind: str
    variables: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[tuple[Term, Term, Term]] = field(default_factory=list)

    def dicts(self) -> list[dict[str, Term]]:
        """SELECT rows as {variable: term}, unbound variables left out."""
        return [
            {v: t for v, t in zip(self.variables, row, strict=True) if t is not None}
            for row in self.rows
        ]

    @property
    def columns(self) -> list[str]:
        """The names of the rows' fields: the variables, or those of a triple."""
        return TRIPLE_VARIABLES if self.kind == "graph" else self.variables

    def table(self) -> list[Row]:
        """The rows as tuples of terms, in `columns` order (a graph answer's triples)."""
        return list(self.triples) if self.kind == "graph" else self.rows

    def __len__(self) -> int:
        return len(self.triples) if self.kind == "graph" else len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Term | None]]:
        columns = self.columns
        for row in self.table():
            yield dict(zip(columns, row, strict=True))

    def to_pandas(self, iris: str = "prefixed") -> Any:
        """The rows as a pandas DataFrame, one column per variable in order, typed from the
        literals' datatypes (`cskg.query.frames`): integers as Int64, decimals and doubles as
        float, xsd:boolean as boolean, xsd:date and xsd:dateTime as datetime64, xsd:gYear as the
        year (Int64); a language-tagged string as its text; IRIs as prefixed names (`iris=
        "prefixed"`, the names `cskg.query.results.compact` gives) or in full (`"full"`). An ASK
        answer is one row of one column, `boolean`. Needs pandas (`pip install 'cskg[notebook]'`).
        """
        from cskg.query.frames import to_pandas

        return to_pandas(self, iris)

    def __repr__(self) -> str:
        from cskg.query.frames import short_repr

        return short_repr(self, REPR_ROWS)

    def _repr_html_(self) -> str:
        from cskg.query.frames import html_table

        return html_table(self, HTML_ROWS)


# -- the engines' interface ------------------------------------------------------------------------


class QueryStore:
    """What every engine offers."""

    name = "store"

    def query(
        self, text: str, *, asserted: bool = False, bindings: Mapping[str, Term] | None = None
    ) -> Result:
        """Run a query; `bindings` gives variables their values (a library query's parameters,
        `cskg.query.library.bind`) through the engine's own substitution, not the text."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the engine's resources."""

    def __enter__(self) -> QueryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def ox_term(term: Any, cache: dict[Any, Term] | None = None) -> Term:
    """A pyoxigraph term as a `Term`; `cache` memoises conversions within one result."""
    if cache is not None:
        found = cache.get(term)
        if found is not None:
            return found
    import pyoxigraph as ox

    kind = type(term)
    if kind is ox.NamedNode:
        converted = Term("iri", term.value)
    elif kind is ox.Literal:
        language = term.language
        if language:
            converted = Term("literal", term.value, RDF_LANGSTRING, language)
        else:
            converted = Term("literal", term.value, term.datatype.value)
    elif kind is ox.BlankNode:
        converted = Term("bnode", term.value)
    elif kind is ox.Triple:
        converted = Term("triple", ox_triple(term))
    else:
        raise TypeError(f"unexpected term {term!r}")
    if cache is not None:
        cache[term] = converted
    return converted


def ox_node(term: Term) -> Any:
    """A `Term` as a pyoxigraph term (the reverse of `ox_term`)."""
    import pyoxigraph as ox

    if term.kind == "iri":
        return ox.NamedNode(term.value)
    if term.kind == "bnode":
        return ox.BlankNode(term.value)
    if term.kind == "triple":
        return ox.Triple(*(ox_node(t) for t in term.value))
    if term.lang:
        return ox.Literal(term.value, language=term.lang)
    return ox.Literal(term.value, datatype=ox.NamedNode(term.datatype or XSD_STRING))


def ox_triple(triple: Any) -> tuple[Term, Term, Term]:
    """A pyoxigraph triple (or quad: its graph is left out) as three `Term`s."""
    return ox_term(triple.subject), ox_term(triple.predicate), ox_term(triple.object)


def ox_row(solution: Any, cache: dict[Any, Term]) -> Row:
    """One pyoxigraph query solution as a row of `Term`s (None where unbound)."""
    return tuple(None if t is None else ox_term(t, cache) for t in solution)


def ox_kind(answer: Any) -> str:
    """The `Result.kind` of a pyoxigraph query answer: "select", "ask" or "graph"."""
    import pyoxigraph as ox

    if isinstance(answer, ox.QuerySolutions):
        return "select"
    return "ask" if isinstance(answer, ox.QueryBoolean) else "graph"


def ox_result(answer: Any) -> Result:
    """A pyoxigraph query answer, read to its end, as a `Result`."""
    kind = ox_kind(answer)
    if kind == "select":
        cache: dict[Any, Term] = {}
        rows = [ox_row(solution, cache) for solution in answer]
        return Result(kind, [v.value for v in answer.variables], rows)
    if kind == "ask":
        return Result(kind, boolean=bool(answer))
    return Result(kind, triples=[ox_triple(t) for t in answer])


def ox_triples(triples: Iterable[Any]) -> list[tuple[Term, Term, Term]]:
    """pyoxigraph triples (a CONSTRUCT answer, a parsed document) as `Term` triples."""
    return [ox_triple(t) for t in triples]
