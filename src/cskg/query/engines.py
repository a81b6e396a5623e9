"""One query interface over three engines, with results in one neutral form.

`open_release_store` is the one way to open a release's pyoxigraph store (read-only on disk, or
loaded in memory), for the command line, the server's query workers and the pages; `open_store`
picks an engine by name from one registry (`ENGINES`). Answers come as the neutral `Term` and
`Result` of `cskg.query.model`.

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

Every query may use the project's prefixes (`cskg.vocab.PREFIXES`, `cskg prefixes`) without
declaring them: both engines are given them as predeclared prefixes (pyoxigraph's `prefixes`,
rdflib's `initNs`), so the text that runs, and that the guard reads, is the user's own, and a
PREFIX in the query wins over a predeclared one (both engines take the last declaration). A
prefix neither predeclared nor declared is refused by the guard, naming it; a syntax error is
one sentence with line and column (`cskg.query.messages`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cskg.errors import CskgError
from cskg.project import BUILD_FIRST
from cskg.query import text as querytext
from cskg.query.messages import oxigraph_error, rdflib_error

# `name as name`: re-exported for the modules that still import these from here (query/results.py,
# query/remote.py, query/describe.py, export/graph.py, some tests); their homes are
# `cskg.query.model`, `cskg.query.text` and `cskg.vocab`.
from cskg.query.model import QueryStore, Result, Term, ox_node, ox_result
from cskg.vocab import GRAPH_INFERRED, PREFIXES, XSD_STRING

if TYPE_CHECKING:
    import pyoxigraph

INFERRED_GRAPH = GRAPH_INFERRED


def open_release_store(dist: Path, *, memory: bool = False) -> pyoxigraph.Store:
    """The release in `dist` as a pyoxigraph store: its `store/` opened read-only, or with
    `memory` its `cskg.nq` loaded into memory (`load_in_memory`). The one way a release's store
    is opened, by the command line, the server's workers and the pages."""
    if memory:
        return load_in_memory(dist)
    return read_only_store(Path(dist) / "store")


def read_only_store(path: Path) -> pyoxigraph.Store:
    """The pyoxigraph store at `path`, opened read-only; a `CskgError` saying why not."""
    import pyoxigraph as ox

    if not (path / "CURRENT").exists():
        raise CskgError(f"no store at {path}: {BUILD_FIRST}")
    try:
        return ox.Store.read_only(str(path))
    except OSError as error:
        raise CskgError(f"cannot open the store at {path}: {error}") from error


class EmbeddedStore(QueryStore):
    """The release's pyoxigraph store, opened read-only."""

    name = "oxigraph"

    def __init__(
        self, path: Path, *, allow_remote: bool = False, store: pyoxigraph.Store | None = None
    ) -> None:
        """The store on disk at `path`, or `store` when given (already open)."""
        self.store = read_only_store(path) if store is None else store
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
        self = cls(dist, allow_remote=allow_remote, store=load_in_memory(dist))
        self.name = "oxigraph-memory"
        return self

    def asserted_store(self) -> pyoxigraph.Store:
        """The release without its inferred graph: an in-memory copy of the store whose default
        graph is the merge of the other graphs (pyoxigraph, given those graphs as the default
        graph, would repeat a triple once per graph that states it), made on first use."""
        if self._asserted is None:
            self._asserted = asserted_merge(self.store)
        return self._asserted

    def raw(
        self, text: str, *, asserted: bool = False, bindings: Mapping[str, Term] | None = None
    ) -> Any:
        """Run a query and return pyoxigraph's own result object; `bindings` are given to
        pyoxigraph's `substitutions`."""
        shape = checked(text, self.allow_remote)
        # A FROM clause defines the dataset itself; pyoxigraph would let the options override it.
        store, options = self.store, dict[str, Any]()
        if bindings:
            options["substitutions"] = substitutions(bindings)
        if not shape.has_from:
            if asserted:
                store = self.asserted_store()
            else:
                if self._union is None:
                    self._union = union_options(self.store)
                options.update(self._union)
        try:
            return store.query(text, prefixes=PREFIXES, **options)
        except SyntaxError as error:
            raise oxigraph_error(text, str(error)) from None
        except (OSError, RuntimeError, ValueError) as error:
            raise CskgError(f"query failed: {error}") from error

    def query(
        self, text: str, *, asserted: bool = False, bindings: Mapping[str, Term] | None = None
    ) -> Result:
        answer = self.raw(text, asserted=asserted, bindings=bindings)
        try:
            return ox_result(answer)
        except (OSError, RuntimeError) as error:
            raise CskgError(f"query failed: {error}") from error

    def close(self) -> None:
        del self.store


#: the longest text whose reading `checked` keeps, and how many texts it keeps
CHECKED_TEXT, CHECKED_TEXTS = 16_384, 256


def checked(text: str, allow_service: bool) -> querytext.QueryText:
    """`cskg.query.text.check` of a query with the project's prefixes, kept per text: a process
    that runs a query again (the server's workers and pages, a notebook, the benchmarks) reads
    its text once. Reading a library query's text costs about as much as pyoxigraph answering
    it (0.15 ms); a text refused is read again each time."""
    if len(text) > CHECKED_TEXT:
        return querytext.check(text, allow_service=allow_service, prefixes=PREFIXES)
    return _checked(text, allow_service)


@functools.lru_cache(maxsize=CHECKED_TEXTS)
def _checked(text: str, allow_service: bool) -> querytext.QueryText:
    return querytext.check(text, allow_service=allow_service, prefixes=PREFIXES)


def substitutions(bindings: Mapping[str, Term]) -> dict[Any, Any]:
    """`bindings` as pyoxigraph's `substitutions` (SEP-0007: the variable is replaced by its
    value throughout the query)."""
    import pyoxigraph as ox

    return {ox.Variable(name): ox_node(term) for name, term in bindings.items()}


def load_in_memory(dist: Path) -> pyoxigraph.Store:
    """A new in-memory pyoxigraph store holding the release in `dist` (its `cskg.nq`), with the
    merge of its graphs in the default graph, as in the release's store on disk."""
    import pyoxigraph as ox

    nquads = Path(dist) / "cskg.nq"
    if not nquads.is_file():
        raise CskgError(f"no release data at {nquads}: {BUILD_FIRST}")
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


def _rdflib_bindings(bindings: Mapping[str, Term] | None) -> dict[Any, Any]:
    """`bindings` as rdflib's `initBindings`."""
    from rdflib import BNode, Literal, URIRef, Variable

    def node(term: Term) -> Any:
        if term.kind == "iri":
            return URIRef(term.value)
        if term.kind == "bnode":
            return BNode(term.value)
        if term.lang:
            return Literal(term.value, lang=term.lang)
        # rdflib reads a plain literal without a datatype; xsd:string would not match it
        datatype = None if term.datatype == XSD_STRING else term.datatype
        return Literal(term.value, datatype=datatype)

    return {Variable(name): node(term) for name, term in (bindings or {}).items()}


class RdflibStore(QueryStore):
    """An rdflib Dataset loaded from the release's N-Quads; the reference engine."""

    name = "rdflib"

    def __init__(self, nquads: Path, *, allow_remote: bool = False) -> None:
        from rdflib import Dataset

        if not nquads.exists():
            raise CskgError(f"no release data at {nquads}: {BUILD_FIRST}")
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

    def query(
        self, text: str, *, asserted: bool = False, bindings: Mapping[str, Term] | None = None
    ) -> Result:
        """Run a query; `bindings` are given to rdflib's `initBindings`."""
        import rdflib.plugins.sparql as sparql
        from pyparsing import ParseException
        from rdflib.plugins.sparql.parser import parseQuery

        querytext.check(text, allow_service=self.allow_remote, prefixes=PREFIXES)
        try:
            parseQuery(text)
        except ParseException as error:
            raise rdflib_error(text, error) from None
        except RecursionError:  # pyparsing recurses per bracket: 25 nested ( are too many
            raise CskgError(
                "query: brackets nest too deep for rdflib's parser; use --engine oxigraph"
            ) from None
        target = self.asserted_dataset() if asserted else self.dataset
        # FROM <iri> naming a graph that is not in the dataset would make rdflib fetch it.
        saved = sparql.SPARQL_LOAD_GRAPHS
        sparql.SPARQL_LOAD_GRAPHS = self.allow_remote
        try:
            answer = target.query(text, initNs=PREFIXES, initBindings=_rdflib_bindings(bindings))
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


#: the embedded engines by name, each with how it opens the release in `dist`
_OPENERS: dict[str, Callable[[Path, bool], QueryStore]] = {
    "oxigraph": lambda dist, remote: EmbeddedStore(dist / "store", allow_remote=remote),
    "oxigraph-memory": lambda dist, remote: EmbeddedStore.in_memory(dist, allow_remote=remote),
    "rdflib": lambda dist, remote: RdflibStore(dist / "cskg.nq", allow_remote=remote),
}
#: their names: the store on disk, the same in memory, rdflib's own (the reference)
ENGINES = tuple(_OPENERS)


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
    opener = _OPENERS.get(engine)
    if opener is None:
        raise CskgError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    return opener(dist, allow_remote)
