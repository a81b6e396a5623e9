"""One query interface over three engines, with results in one neutral form.

- `EmbeddedStore`: the release's pyoxigraph store (`dist/store`), opened read-only. The fast path:
  this module imports neither rdflib nor an HTTP client unless another engine is asked for.
  `EmbeddedStore.in_memory` loads the release into memory instead: slower to open, faster to
  query, for processes that run many queries.
- `RdflibStore`: an rdflib `Dataset` loaded from `dist/cskg.nq`; the slow reference engine.
- `cskg.query.remote.RemoteStore`: any SPARQL 1.1 endpoint, through cskg's bounded HTTP client.

All three take the default graph to be the RDF merge of the named graphs: a triple stated in
several graphs is one triple there, as in rdflib's union. The release's store holds that merge in
its default graph (the build writes it; `load_in_memory` makes it), because pyoxigraph's own
union (`use_default_graph_as_union`) yields a triple once per graph that states it, up to 0.5
(oxigraph issue 1919), which made `COUNT` and `SUM` over the default graph count restated facts
several times. Virtuoso's default graph is the bag of all its graphs' quads, by design: there a
query must say `DISTINCT` where a restated triple would count twice. `asserted=True` leaves
`<https://w3id.org/cskg/graph/inferred>` out: the embedded store then answers from an in-memory
copy of the other graphs with their merge as the default graph, made on first use (milliseconds
for the paper, some seconds per million triples), as rdflib's engine answers from a dataset
without it; a remote endpoint is given the other graphs as its default graph
(`default-graph-uri`), its named graphs unchanged.

Queries never reach the network or the file system unless `allow_remote` is set: SERVICE is
refused before evaluation (pyoxigraph and rdflib would both send the HTTP request), judged on the
query's tokens as the parsers see them (`cskg.query.text`), and FROM <iri> only reads graphs
already in the dataset (pyoxigraph always does; rdflib is told to). Nesting too deep for the
parsers' stack is refused there too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from cskg.errors import CskgError, QuerySyntaxError
from cskg.query import text as querytext
from cskg.query.text import syntax_error
from cskg.vocab import GRAPH_INFERRED

if TYPE_CHECKING:
    import pyoxigraph

INFERRED_GRAPH = GRAPH_INFERRED
#: the embedded engines: the release's store on disk, the same in memory, rdflib's own
ENGINES = ("oxigraph", "oxigraph-memory", "rdflib")
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


# -- neutral results --------------------------------------------------------------------------


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


@dataclass
class Result:
    """The answer to one query: kind is "select", "ask" or "graph" (CONSTRUCT and DESCRIBE)."""

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


# -- query text ----------------------------------------------------------------------------------


def query_form(query: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first such keyword of the query's tokens."""
    for word in querytext.keywords(query):
        if word in querytext.QUERY_FORMS:
            return word
    raise QuerySyntaxError("query: not a SPARQL query (no SELECT, ASK, CONSTRUCT or DESCRIBE)")


# -- engines ------------------------------------------------------------------------------------


class QueryStore:
    """What every engine offers."""

    name = "store"

    def query(self, text: str, *, asserted: bool = False) -> Result:
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
        converted = Term(
            "triple", (ox_term(term.subject), ox_term(term.predicate), ox_term(term.object))
        )
    else:
        raise TypeError(f"unexpected term {term!r}")
    if cache is not None:
        cache[term] = converted
    return converted


class EmbeddedStore(QueryStore):
    """The release's pyoxigraph store, opened read-only."""

    name = "oxigraph"

    def __init__(self, path: Path, *, allow_remote: bool = False) -> None:
        import pyoxigraph as ox

        if not (path / "CURRENT").exists():
            raise CskgError(f"no store at {path}: build the release first (cskg build)")
        try:
            self.store = ox.Store.read_only(str(path))
        except OSError as error:
            raise CskgError(f"cannot open the store at {path}: {error}") from error
        self.allow_remote = allow_remote
        self._asserted: pyoxigraph.Store | None = None
        self._union: dict[str, Any] | None = None

    @classmethod
    def in_memory(cls, dist: Path, *, allow_remote: bool = False) -> EmbeddedStore:
        """The release loaded into an in-memory pyoxigraph store, from its `cskg.nq`.

        For a process that runs many queries (`cskg serve --memory`, a notebook): loading
        costs about 7 s per million triples (the merge of the graphs included), and queries
        that read much of the release then run about twice as fast as on the store on disk,
        whose every lookup goes through RocksDB."""
        self = cls.__new__(cls)
        self.store, self.allow_remote = load_in_memory(dist), allow_remote
        self._asserted = self._union = None
        self.name = "oxigraph-memory"
        return self

    @classmethod
    def from_store(cls, store: pyoxigraph.Store, *, allow_remote: bool = False) -> EmbeddedStore:
        """Wrap an already open pyoxigraph store (used by the build and the tests)."""
        self = cls.__new__(cls)
        self.store, self.allow_remote = store, allow_remote
        self._asserted = self._union = None
        return self

    def asserted_store(self) -> pyoxigraph.Store:
        """The release without its inferred graph: an in-memory copy of the store whose default
        graph is the merge of the other graphs (pyoxigraph, given those graphs as the default
        graph, would repeat a triple once per graph that states it), made on first use."""
        if self._asserted is None:
            self._asserted = asserted_merge(self.store)
        return self._asserted

    def raw(self, text: str, *, asserted: bool = False) -> Any:
        """Run a query and return pyoxigraph's own result object."""
        shape = querytext.check(text, allow_service=self.allow_remote)
        # A FROM clause defines the dataset itself; pyoxigraph would let the options override it.
        store, options = self.store, {}
        if not shape.has_from:
            if asserted:
                store = self.asserted_store()
            else:
                if self._union is None:
                    self._union = union_options(self.store)
                options = self._union
        try:
            return store.query(text, **options)
        except SyntaxError as error:
            # pyoxigraph says "error at LINE:COLUMN: message"
            found = re.match(r"error at (\d+):(\d+)(?:-\d+:\d+)?: (.*)", str(error), re.DOTALL)
            if found:
                raise syntax_error(text, int(found[1]), int(found[2]), found[3]) from None
            raise syntax_error(text, None, None, str(error)) from None
        except (OSError, RuntimeError, ValueError) as error:
            raise CskgError(f"query failed: {error}") from error

    def query(self, text: str, *, asserted: bool = False) -> Result:
        import pyoxigraph as ox

        answer = self.raw(text, asserted=asserted)
        try:
            if isinstance(answer, ox.QuerySolutions):
                variables = [v.value for v in answer.variables]
                cache: dict[Any, Term] = {}
                rows = [
                    tuple(None if t is None else ox_term(t, cache) for t in solution)
                    for solution in answer
                ]
                return Result("select", variables, rows)
            if isinstance(answer, ox.QueryBoolean):
                return Result("ask", boolean=bool(answer))
            triples = [
                (ox_term(t.subject), ox_term(t.predicate), ox_term(t.object)) for t in answer
            ]
            return Result("graph", triples=triples)
        except (OSError, RuntimeError) as error:
            raise CskgError(f"query failed: {error}") from error

    def close(self) -> None:
        del self.store


def load_in_memory(dist: Path) -> pyoxigraph.Store:
    """A new in-memory pyoxigraph store holding the release in `dist` (its `cskg.nq`), with the
    merge of its graphs in the default graph, as in the release's store on disk."""
    import pyoxigraph as ox

    nquads = Path(dist) / "cskg.nq"
    if not nquads.is_file():
        raise CskgError(f"no release data at {nquads}: build the release first (cskg build)")
    store = ox.Store()
    try:
        store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    except (OSError, SyntaxError) as error:
        raise CskgError(f"cannot load {nquads}: {error}") from error
    merge_into_default_graph(store)
    return store


def merge_into_default_graph(store: pyoxigraph.Store) -> None:
    """Put the RDF merge of the store's named graphs in its default graph (a set: a triple of
    several graphs is there once, with the same blank nodes). For an in-memory store; the build
    writes the store on disk with its merge directly (`cskg.build.pipeline.load_store`)."""
    store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")


def asserted_merge(store: pyoxigraph.Store) -> pyoxigraph.Store:
    """An in-memory copy of `store`'s named graphs but `<https://w3id.org/cskg/graph/inferred>`,
    whose default graph is their merge (see `EmbeddedStore.asserted_store`)."""
    import pyoxigraph as ox

    copy = ox.Store()
    copy.bulk_load(store.dump(format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
    copy.update(
        f"DROP DEFAULT ; DROP SILENT GRAPH <{INFERRED_GRAPH}> ; "
        "INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
    )
    return copy


def union_options(store: pyoxigraph.Store) -> dict[str, Any]:
    """pyoxigraph query options whose default graph is the merge of the store's named graphs.

    A release store's default graph already is that merge (the release's own data never sits
    in the default graph), so it is queried as it is; a store without it (a release built before
    the merge was written) falls back to pyoxigraph's union, which repeats restated triples."""
    if store.query("ASK { ?s ?p ?o }"):
        return {}
    return {"use_default_graph_as_union": True}


def _rdflib_term(term: Any) -> Term | None:
    from rdflib import BNode, Literal, URIRef

    if term is None:
        return None
    if isinstance(term, URIRef):
        return Term("iri", str(term))
    if isinstance(term, BNode):
        return Term("bnode", str(term))
    if isinstance(term, Literal):
        datatype = str(term.datatype) if term.datatype else None
        return Term.literal(str(term), datatype, term.language)
    raise TypeError(f"unexpected term {term!r}")


class RdflibStore(QueryStore):
    """An rdflib Dataset loaded from the release's N-Quads; the reference engine."""

    name = "rdflib"

    def __init__(self, nquads: Path, *, allow_remote: bool = False) -> None:
        from rdflib import Dataset

        if not nquads.exists():
            raise CskgError(f"no release data at {nquads}: build the release first (cskg build)")
        self.dataset = Dataset(default_union=True)
        self.dataset.parse(nquads, format="nquads")
        self.allow_remote = allow_remote
        self._asserted: Any = None

    def asserted_dataset(self) -> Any:
        """A copy of the dataset without the inferred graph (built once)."""
        from rdflib import Dataset, URIRef

        if self._asserted is None:
            self._asserted = Dataset(default_union=True)
            inferred = URIRef(INFERRED_GRAPH)
            for context in self.dataset.graphs():
                if context.identifier != inferred:
                    copy = self._asserted.graph(context.identifier)
                    for triple in context:
                        copy.add(triple)
        return self._asserted

    def query(self, text: str, *, asserted: bool = False) -> Result:
        import rdflib.plugins.sparql as sparql
        from pyparsing import ParseException
        from rdflib.plugins.sparql.parser import parseQuery

        querytext.check(text, allow_service=self.allow_remote)
        try:
            parseQuery(text)
        except ParseException as error:
            raise syntax_error(text, error.lineno, error.col, error.msg) from None
        except RecursionError:  # pyparsing recurses per bracket: 25 nested ( are too many
            raise CskgError(
                "query: brackets nest too deep for rdflib's parser; use --engine oxigraph"
            ) from None
        target = self.asserted_dataset() if asserted else self.dataset
        # FROM <iri> naming a graph that is not in the dataset would make rdflib fetch it.
        saved = sparql.SPARQL_LOAD_GRAPHS
        sparql.SPARQL_LOAD_GRAPHS = self.allow_remote
        try:
            answer = target.query(text)
            if answer.type == "SELECT":
                variables = [str(v) for v in answer.vars or []]
                rows = [tuple(_rdflib_term(t) for t in row) for row in answer]  # type: ignore[union-attr]
                return Result("select", variables, rows)
            if answer.type == "ASK":
                return Result("ask", boolean=bool(answer.askAnswer))
            triples = [  # type: ignore[misc]
                (_rdflib_term(s), _rdflib_term(p), _rdflib_term(o)) for s, p, o in answer
            ]
            return Result("graph", triples=triples)  # type: ignore[arg-type]
        except CskgError:
            raise
        except Exception as error:  # rdflib raises bare Exceptions from evaluation
            raise CskgError(f"query failed in rdflib: {error}") from error
        finally:
            sparql.SPARQL_LOAD_GRAPHS = saved


def open_store(
    dist: Path,
    *,
    engine: str = "oxigraph",
    endpoint: str | None = None,
    timeout: float = 30.0,
    max_bytes: int | None = None,
    allow_remote: bool = False,
) -> QueryStore:
    """The engine the command line asked for; with `endpoint`, a `cskg.query.remote.RemoteStore`
    whose requests each end within `timeout` seconds and `max_bytes` bytes."""
    if endpoint:
        from cskg.query.remote import RemoteStore

        return RemoteStore(endpoint, timeout=timeout, max_bytes=max_bytes)
    if engine == "rdflib":
        return RdflibStore(dist / "cskg.nq", allow_remote=allow_remote)
    if engine == "oxigraph-memory":
        return EmbeddedStore.in_memory(dist, allow_remote=allow_remote)
    if engine != "oxigraph":
        raise CskgError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    return EmbeddedStore(dist / "store", allow_remote=allow_remote)
