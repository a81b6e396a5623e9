"""One query interface over three engines, with results in one neutral form.

- `EmbeddedStore`: the release's pyoxigraph store (`dist/store`), opened read-only. The fast path:
  this module imports neither rdflib nor SPARQLWrapper unless another engine is asked for.
  `EmbeddedStore.in_memory` loads the release into memory instead: slower to open, faster to
  query, for processes that run many queries.
- `RdflibStore`: an rdflib `Dataset` loaded from `dist/cskg.nq`; the slow reference engine.
- `RemoteStore`: any SPARQL 1.1 endpoint, through SPARQLWrapper.

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
refused before evaluation (pyoxigraph and rdflib would both send the HTTP request), and FROM
<iri> only reads graphs already in the dataset (pyoxigraph always does; rdflib is told to).
"""

from __future__ import annotations

import ast
import re
import urllib.error
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from cskg.errors import CskgError, QuerySyntaxError
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


# -- the remote-access guard -------------------------------------------------------------------

# SPARQL lexical pieces that may contain the word SERVICE without being the keyword.
_SKIP = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\x00-\x20]*>"  # IRIREF; `?a < ?b` has spaces, so it is not one
    r"|#[^\n]*"
    r"|[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+"  # variables
    r"|_:[\w.\-]+"  # blank node labels
    r"|(?:[A-Za-z\u00c0-\uffff][\w.\-\u00b7]*)?:(?:[\w\-:.%\\]|\u00b7)*",  # prefixed names
    re.DOTALL,
)
_WORD = re.compile(r"[A-Za-z_]+")


def keywords(query: str) -> list[str]:
    """The bare words of a query (keywords, function names), upper-cased, in order.

    Strings, IRIs, comments, variables and prefixed names are removed first, so a word found
    here is a keyword of the query itself, not text inside one of those.
    """
    return [w.upper() for w in _WORD.findall(_SKIP.sub(" ", query))]


def check_no_service(query: str) -> None:
    """Refuse a query that would call another endpoint (SERVICE), unless allowed elsewhere."""
    if "service" in query.lower() and "SERVICE" in keywords(query):
        raise CskgError(
            "the query uses SERVICE, which would contact another endpoint; "
            "pass --allow-remote to permit it"
        )


def query_form(query: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first such keyword after the prologue."""
    for word in keywords(query):
        if word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            return word
    raise QuerySyntaxError("query: not a SPARQL query (no SELECT, ASK, CONSTRUCT or DESCRIBE)")


def _syntax_error(
    query: str, line: int | None, column: int | None, message: str
) -> QuerySyntaxError:
    where = "query" + "".join(f":{n}" for n in (line, column) if n is not None)
    text = f"{where}: {message}"
    lines = query.splitlines()
    if line is not None and 1 <= line <= len(lines):
        text += f"\n    {lines[line - 1]}"
        if column is not None:
            text += "\n    " + " " * max(column - 1, 0) + "^"
    error = QuerySyntaxError(text)
    error.line, error.column = line, column  # type: ignore[attr-defined]
    return error


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
        if not self.allow_remote:
            check_no_service(text)
        # A FROM clause defines the dataset itself; pyoxigraph would let the options override it.
        store, options = self.store, {}
        if "from" not in text.lower() or "FROM" not in keywords(text):
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
                raise _syntax_error(text, int(found[1]), int(found[2]), found[3]) from None
            raise _syntax_error(text, None, None, str(error)) from None
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
    writes the store on disk with its merge directly (`cskg.build.load_store`)."""
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

        if not self.allow_remote:
            check_no_service(text)
        try:
            parseQuery(text)
        except ParseException as error:
            raise _syntax_error(text, error.lineno, error.col, error.msg) from None
        target = self.asserted_dataset() if asserted else self.dataset
        # FROM <iri> naming a graph that is not in the dataset would make rdflib fetch it.
        saved = sparql.SPARQL_LOAD_GRAPHS
        sparql.SPARQL_LOAD_GRAPHS = self.allow_remote
        try:
            answer = target.query(text)
            if answer.type == "SELECT":
                variables = [str(v) for v in answer.vars or []]
                rows = [tuple(_rdflib_term(t) for t in row) for row in answer]
                return Result("select", variables, rows)
            if answer.type == "ASK":
                return Result("ask", boolean=bool(answer.askAnswer))
            triples = [
                (_rdflib_term(s), _rdflib_term(p), _rdflib_term(o))  # type: ignore[misc]
                for s, p, o in answer
            ]
            return Result("graph", triples=triples)  # type: ignore[arg-type]
        except CskgError:
            raise
        except Exception as error:  # rdflib raises bare Exceptions from evaluation
            raise CskgError(f"query failed in rdflib: {error}") from error
        finally:
            sparql.SPARQL_LOAD_GRAPHS = saved


# -- remote -------------------------------------------------------------------------------------


def parse_sparql_json(data: bytes | str) -> Result:
    """Read a SPARQL 1.1 Query Results JSON document."""
    import json

    doc = json.loads(data)
    if not isinstance(doc, dict) or ("boolean" not in doc and "results" not in doc):
        raise ValueError("not a SPARQL results document")
    if "boolean" in doc:
        return Result("ask", boolean=bool(doc["boolean"]))
    variables = list(doc.get("head", {}).get("vars", []))
    rows = []
    for binding in doc["results"]["bindings"]:
        rows.append(tuple(_json_term(binding.get(v)) for v in variables))
    return Result("select", variables, rows)


def _json_term(value: dict[str, Any] | None) -> Term | None:
    if value is None:
        return None
    kind = value["type"]
    if kind == "uri":
        return Term("iri", value["value"])
    if kind == "bnode":
        return Term("bnode", value["value"])
    if kind in ("literal", "typed-literal"):  # typed-literal: SPARQL XML-era JSON (Virtuoso)
        return Term.literal(value["value"], value.get("datatype"), value.get("xml:lang"))
    if kind == "triple":
        inner = value["value"]
        return Term(
            "triple", tuple(_json_term(inner[k]) for k in ("subject", "predicate", "object"))
        )
    raise ValueError(f"unknown term type {kind!r}")


def server_message(body: bytes | None, limit: int = 600) -> str:
    """A server's error body as one readable line: HTML tags dropped, whitespace collapsed."""
    if not body:
        return ""
    text = body.decode("utf-8", errors="replace")
    if "<" in text and re.search(r"<(html|body|h1|p|pre)\b", text, re.IGNORECASE):
        text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:limit] + ("…" if len(text) > limit else "")


def _wrapper_body(error: Exception) -> bytes | None:
    # SPARQLWrapper keeps the response only inside its message: "...Response:\nb'...'".
    message = str(error.args[0]) if error.args else ""
    _, found, tail = message.partition("Response:\n")
    if not found:
        return None
    try:
        body = ast.literal_eval(tail.strip())
    except (ValueError, SyntaxError):
        return tail.encode()
    return body if isinstance(body, bytes) else str(body).encode()


class RemoteStore(QueryStore):
    """A SPARQL 1.1 endpoint reached over HTTP."""

    name = "remote"

    def __init__(
        self,
        endpoint: str,
        *,
        timeout: float = 30.0,
        default_graphs: Iterable[str] | None = None,
    ) -> None:
        if not re.match(r"https?://", endpoint):
            raise CskgError(f"endpoint {endpoint!r} is not an http(s) URL")
        self.endpoint = endpoint
        self.timeout = timeout
        self.default_graphs = list(default_graphs) if default_graphs is not None else None
        self._asserted_graphs: list[str] | None = None

    def _wrapper(
        self,
        text: str,
        accept: str,
        default_graphs: list[str] | None,
        named_graphs: list[str] | None = None,
    ) -> Any:
        from SPARQLWrapper import POST, SPARQLWrapper

        wrapper = SPARQLWrapper(self.endpoint)
        wrapper.setMethod(POST)
        # setTimeout() truncates to whole seconds (0.5 would become "no timeout")
        wrapper.timeout = self.timeout  # type: ignore[assignment]
        wrapper.setQuery(text)
        wrapper.setOnlyConneg(True)
        wrapper.addCustomHttpHeader("Accept", accept)
        for graph in default_graphs or []:
            wrapper.addDefaultGraph(graph)
        for graph in named_graphs or []:
            wrapper.addNamedGraph(graph)
        return wrapper

    def _fetch(
        self,
        text: str,
        accept: str,
        default_graphs: list[str] | None,
        named_graphs: list[str] | None = None,
    ) -> tuple[bytes, str]:
        from SPARQLWrapper.SPARQLExceptions import (
            EndPointInternalError,
            EndPointNotFound,
            QueryBadFormed,
            SPARQLWrapperException,
            Unauthorized,
            URITooLong,
        )

        wrapper = self._wrapper(text, accept, default_graphs, named_graphs)
        where = self.endpoint
        # Virtuoso echoes each default-graph-uri and named-graph-uri as a response header
        # (X-SPARQL-default-graph, X-SPARQL-named-graph); http.client refuses responses with
        # more than _MAXHEADERS (100) headers.
        import http.client

        limit = 100 + len(default_graphs or []) + len(named_graphs or [])
        http.client._MAXHEADERS = max(getattr(http.client, "_MAXHEADERS", 100), limit)  # type: ignore[attr-defined]
        try:
            response = wrapper.query().response
            body = response.read()
            return body, response.headers.get("Content-Type", "")
        except QueryBadFormed as error:
            raise CskgError(
                f"{where} rejected the query (HTTP 400): {server_message(_wrapper_body(error))}"
            ) from None
        except (EndPointNotFound, Unauthorized, URITooLong, EndPointInternalError) as error:
            code = {
                EndPointNotFound: 404,
                Unauthorized: 401,
                URITooLong: 414,
                EndPointInternalError: 500,
            }[type(error)]
            raise CskgError(
                f"{where} answered HTTP {code}: {server_message(_wrapper_body(error))}"
            ) from None
        except urllib.error.HTTPError as error:
            raise CskgError(
                f"{where} answered HTTP {error.code} {error.reason}: {server_message(error.read())}"
            ) from None
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, TimeoutError):
                raise CskgError(f"{where} did not answer within {self.timeout:g} s") from None
            if isinstance(reason, ConnectionRefusedError):
                raise CskgError(f"cannot connect to {where}: connection refused") from None
            raise CskgError(f"cannot reach {where}: {reason}") from None
        except TimeoutError:
            raise CskgError(f"{where} did not answer within {self.timeout:g} s") from None
        except ConnectionError as error:
            raise CskgError(f"connection to {where} failed: {error}") from None
        except SPARQLWrapperException as error:  # pragma: no cover - other wrapper failures
            raise CskgError(f"{where}: {error}") from None

    def asserted_graphs(self) -> list[str]:
        """Every graph of the endpoint except the inferred one (for `default-graph-uri`)."""
        if self._asserted_graphs is None:
            # GROUP BY, not DISTINCT: Virtuoso 7 takes ~13 s for SELECT DISTINCT ?g over 5 k
            # quads (and lists graphs its permissions hide) but answers this form at once.
            listing = self._select(
                "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", None
            )
            self._asserted_graphs = sorted(
                row[0].value
                for row in listing.rows
                if row[0] is not None and row[0].value != INFERRED_GRAPH
            )
        return self._asserted_graphs

    def _select(
        self, text: str, default_graphs: list[str] | None, named_graphs: list[str] | None = None
    ) -> Result:
        body, content_type = self._fetch(
            text, "application/sparql-results+json", default_graphs, named_graphs
        )
        try:
            return parse_sparql_json(body)
        except (ValueError, KeyError, TypeError):
            raise CskgError(
                f"{self.endpoint} did not answer with SPARQL results "
                f"(Content-Type: {content_type or 'none'}): {server_message(body, 200)}"
            ) from None

    def query(self, text: str, *, asserted: bool = False) -> Result:
        """Run a query; `asserted` leaves the inferred graph out of the dataset, as its default
        graph (`default-graph-uri`) and as a named graph (`named-graph-uri`), as the embedded
        store does."""
        form = query_form(text)
        graphs = self.asserted_graphs() if asserted else self.default_graphs
        named = graphs if asserted else None
        if form in ("SELECT", "ASK"):
            result = self._select(text, graphs, named)
            if (form == "ASK") != (result.kind == "ask"):
                raise CskgError(
                    f"{self.endpoint} answered a {form} query with the wrong result kind"
                )
            return result
        body, content_type = self._fetch(
            text, "application/n-triples, text/plain;q=0.5", graphs, named
        )
        return Result("graph", triples=list(_parse_ntriples(body, self.endpoint, content_type)))


def _parse_ntriples(
    body: bytes, where: str, content_type: str
) -> Iterator[tuple[Term, Term, Term]]:
    import pyoxigraph as ox

    try:
        for triple in ox.parse(body, format=ox.RdfFormat.N_TRIPLES):
            yield (ox_term(triple.subject), ox_term(triple.predicate), ox_term(triple.object))
    except SyntaxError:
        raise CskgError(
            f"{where} did not answer with N-Triples (Content-Type: {content_type or 'none'}): "
            f"{server_message(body, 200)}"
        ) from None


def open_store(
    dist: Path,
    *,
    engine: str = "oxigraph",
    endpoint: str | None = None,
    timeout: float = 30.0,
    allow_remote: bool = False,
) -> QueryStore:
    """The engine the command line asked for."""
    if endpoint:
        return RemoteStore(endpoint, timeout=timeout)
    if engine == "rdflib":
        return RdflibStore(dist / "cskg.nq", allow_remote=allow_remote)
    if engine == "oxigraph-memory":
        return EmbeddedStore.in_memory(dist, allow_remote=allow_remote)
    if engine != "oxigraph":
        raise CskgError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    return EmbeddedStore(dist / "store", allow_remote=allow_remote)
