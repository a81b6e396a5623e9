"""Remote SPARQL 1.1 endpoints (`cskg query --endpoint URL`), through cskg's bounded client.

A query is one POST of the SPARQL 1.1 Protocol (`query`, with `default-graph-uri` and
`named-graph-uri`, form-encoded) that asks for one machine format whatever `--format` the
user wants: SPARQL 1.1 Query Results JSON for SELECT and ASK, N-Triples for CONSTRUCT and
DESCRIBE. The answer becomes the same neutral `Result` as the embedded engines', rendered by
the same code. A query may use the project's prefixes without declaring them, as on the
embedded store: those it uses are declared before it is sent. Each request is done within
`timeout` seconds, its answer within `max_bytes` (`cskg.query.http`); whatever the endpoint says
in an error is printed only through `server_text`.

Virtuoso echoes every `default-graph-uri` and `named-graph-uri` as a response header; httpcore
takes up to 100 KiB of headers, some 600 graphs for `--asserted` against Virtuoso.

This module imports no HTTP library until a `RemoteStore` is made.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cskg.errors import CskgError
from cskg.query.library import with_values
from cskg.query.model import QueryStore, Result, Term, ox_term
from cskg.query.results import RESULT_FORMATS
from cskg.query.text import declare_used, query_form
from cskg.vocab import GRAPH_INFERRED

if TYPE_CHECKING:
    from cskg.query.http import Answer

#: the largest answer read by default (`--max-bytes`): 64 MiB of SPARQL JSON is some 300,000
#: rows of the release's labels; it bounds the memory a query can take (a few times this)
MAX_BYTES = 64 * 2**20
TIMEOUT = 30.0  # seconds per request, by default (`--timeout`)

SPARQL_JSON = RESULT_FORMATS["sparql-json"].media
NTRIPLES = "application/n-triples, text/plain;q=0.5"
FORM = "application/x-www-form-urlencoded"


def protocol_form(
    text: str, default_graphs: list[str] | None = None, named_graphs: list[str] | None = None
) -> bytes:
    """The body of a SPARQL 1.1 Protocol query by POST (`FORM`-encoded)."""
    form = [("query", text)]
    form += [("default-graph-uri", graph) for graph in default_graphs or []]
    form += [("named-graph-uri", graph) for graph in named_graphs or []]
    return urllib.parse.urlencode(form).encode("ascii")


def answers(endpoint: str, timeout: float = 1.0) -> bool:
    """True when `endpoint` answers a query within `timeout` seconds (a server starting up)."""
    try:
        with RemoteStore(endpoint, timeout=timeout) as store:
            store.query("ASK { ?s ?p ?o }")
    except CskgError:
        return False
    return True


def parse_sparql_json(data: bytes | str) -> Result:
    """Read a SPARQL 1.1 Query Results JSON document."""
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


class RemoteStore(QueryStore):
    """A SPARQL 1.1 endpoint reached over HTTP, each request within `timeout` seconds and
    `max_bytes` bytes."""

    name = "remote"

    def __init__(
        self,
        endpoint: str,
        *,
        timeout: float = TIMEOUT,
        max_bytes: int | None = None,
        default_graphs: Iterable[str] | None = None,
    ) -> None:
        from cskg.query.http import Client

        parts = urllib.parse.urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CskgError(f"endpoint {endpoint!r} is not an http(s) URL")
        self.endpoint = endpoint
        self.timeout = timeout
        self.default_graphs = list(default_graphs) if default_graphs is not None else None
        self._asserted_graphs: list[str] | None = None
        self._client = Client(timeout=timeout, max_bytes=max_bytes or MAX_BYTES)

    def close(self) -> None:
        self._client.close()

    def _fetch(
        self,
        text: str,
        accept: str,
        default_graphs: list[str] | None,
        named_graphs: list[str] | None = None,
        what: str = "query",
    ) -> Answer:
        """POST the query; a complete 200 answer, or a CskgError saying what went wrong."""
        answer = self._client.send(
            "POST",
            self.endpoint,
            what,
            body=protocol_form(text, default_graphs, named_graphs),
            headers={"Content-Type": FORM, "Accept": accept},
        )
        if answer.status != 200:
            raise self._client.failure(answer)
        return answer

    def _unexpected(self, answer: Answer, kind: str) -> CskgError:
        content_type = self._client.text(answer.headers.get("Content-Type", ""), 80)
        return CskgError(
            f"{answer.where}: did not answer with {kind} (Content-Type: {content_type or 'none'})"
            f": {self._client.text(answer.body, 200)}"
        )

    def _select(
        self,
        text: str,
        default_graphs: list[str] | None,
        named_graphs: list[str] | None = None,
        what: str = "query",
    ) -> Result:
        answer = self._fetch(text, SPARQL_JSON, default_graphs, named_graphs, what)
        try:
            return parse_sparql_json(answer.body)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise self._unexpected(answer, "SPARQL results") from None

    def asserted_graphs(self) -> list[str]:
        """Every graph of the endpoint except the inferred one (for `default-graph-uri`)."""
        if self._asserted_graphs is None:
            # GROUP BY, not DISTINCT: Virtuoso 7 takes ~13 s for SELECT DISTINCT ?g over 5 k
            # quads (and lists graphs its permissions hide) but answers this form at once.
            listing = self._select(
                "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
                None,
                what="list of graphs, for --asserted",
            )
            self._asserted_graphs = sorted(
                row[0].value
                for row in listing.rows
                if row[0] is not None and row[0].value != GRAPH_INFERRED
            )
        return self._asserted_graphs

    def query(
        self, text: str, *, asserted: bool = False, bindings: Mapping[str, Term] | None = None
    ) -> Result:
        """Run a query; `asserted` leaves the inferred graph out of the dataset, as its default
        graph (`default-graph-uri`) and as a named graph (`named-graph-uri`), as the embedded
        store does. The project's prefixes that the query uses without declaring are declared
        on its first line (`cskg.query.text.declare_used`): the endpoint gets a query that
        stands on its own, and its line numbers are the user's. `bindings` become a VALUES
        block opening the WHERE group (`with_values`): the protocol has no substitution."""
        form = query_form(text)
        text = declare_used(with_values(text, bindings or {}))
        graphs = self.asserted_graphs() if asserted else self.default_graphs
        named = graphs if asserted else None
        if form in ("SELECT", "ASK"):
            result = self._select(text, graphs, named)
            if (form == "ASK") != (result.kind == "ask"):
                raise CskgError(
                    f"POST {self.endpoint} (query): answered {form} with "
                    f"{'a boolean' if result.kind == 'ask' else 'rows'}"
                )
            return result
        answer = self._fetch(text, NTRIPLES, graphs, named)
        return Result("graph", triples=list(self._triples(answer)))

    def _triples(self, answer: Answer) -> Iterator[tuple[Term, Term, Term]]:
        import pyoxigraph as ox

        try:
            for triple in ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES):
                yield (ox_term(triple.subject), ox_term(triple.predicate), ox_term(triple.object))
        except SyntaxError:
            raise self._unexpected(answer, "N-Triples") from None
