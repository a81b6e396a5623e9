"""`cskg push`: load the release into a SPARQL 1.1 store, one named graph at a time, and check it.

Each named graph of `dist/cskg.nq` is written whole, by one of two methods:

- the SPARQL 1.1 Graph Store HTTP Protocol (`gsp`): `PUT <graph-store>?graph=IRI` with the graph
  as N-Triples (sent as `text/turtle`, of which N-Triples is a subset and which every store
  accepts), so the store replaces the graph in one request;
- SPARQL 1.1 Update (`update`), for stores without a graph store or when asked:
  `DROP SILENT GRAPH <g>` and then the graph's triples in batches of `--batch` triples. A batch
  without blank nodes is `INSERT DATA { GRAPH <g> { ... } }`; a batch with blank nodes is
  `INSERT { GRAPH <g> { ... } } WHERE {}` (Virtuoso refuses blank nodes in INSERT DATA), and the
  triples that share a blank node always travel in the same batch, because a blank node label
  only means the same node within one request.

Both methods replace each graph, so pushing twice leaves the same data (idempotent). Graphs of the
store that the release does not have are left alone. A blank node shared by two graphs of the
release could not survive a per-graph push; the release has none, and push refuses such data.

Afterwards the triple count of every graph written is read back with
`SELECT ?g (COUNT(*) AS ?n) WHERE { VALUES ?g { ... } GRAPH ?g { ?s ?p ?o } } GROUP BY ?g`
(GROUP BY rather than `SELECT DISTINCT ?g`, which Virtuoso 7 answers very slowly) and compared
with the release. A difference is a failed push: `cskg push` lists the graphs and exits with 2.

Profiles (`--profile`) turn the query endpoint into the other URLs; `--graph-store` and
`--update` override them:

- `virtuoso`: `--endpoint http://host:8890/sparql`; graph store `/sparql-graph-crud-auth`
  (`/sparql-graph-crud` without credentials), update `/sparql-auth` (`/sparql` without
  credentials); HTTP digest authentication.
- `fuseki`: `--endpoint http://host:3030/{dataset}/sparql` (or `/query`, or the dataset URL);
  graph store `/{dataset}/data`, update `/{dataset}/update`; HTTP basic authentication.
- `graphdb`: `--endpoint http://host:7200/repositories/{repo}`; graph store
  `/repositories/{repo}/rdf-graphs/service`, update `/repositories/{repo}/statements`; basic.
- `generic`: any SPARQL 1.1 store; graph store only with `--graph-store` (without it, Update
  is used), update at `--update` or else the endpoint; digest or basic, as the server asks.

Store quirks met on Virtuoso 7.2 (the tested store):

- the writing services need authentication (`/sparql-graph-crud-auth`, `/sparql-auth`, HTTP
  digest; the user needs the SPARQL_UPDATE role, as `dba` has); `/sparql` is read-only;
- blank nodes are refused in `INSERT DATA` ("not allowed in a constant clause"): hence
  `INSERT ... WHERE {}` for batches with blank nodes; through the graph store they load as usual;
- language tags come back in lower case (`zh-CN` becomes `zh-cn`); the release's tags are already
  lower case, so nothing changes;
- Chinese text round-trips intact through both methods when sent as UTF-8;
- a graph store PUT holding one very long literal (200 kB; 60 kB still passes) is refused with
  "the submitted resource is of unsupported type text/plain" (HTTP 500), whatever the
  Content-Type; SPARQL Update takes it, so push such a release with `--method update`;
- `SELECT DISTINCT ?g` over the graphs is pathologically slow; `GROUP BY ?g` answers at once.

Fuseki needs a dataset with a graph store and update service enabled (`fuseki-server --update`);
GraphDB takes Update at `/statements` (form parameter `update`) and GSP at `/rdf-graphs/service`.

Credentials are never printed, logged or put in an exception message. They are offered only to
the origins (scheme, host and port) of the URLs push itself calls, only when the server asks
(HTTP 401 challenge, digest or basic), and redirects are never followed: a 3xx answer is an
error, so a store cannot send the credentials, or the data, elsewhere.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cskg.errors import CskgError
from cskg.store import server_message

PROFILES = ("virtuoso", "fuseki", "graphdb", "generic")
METHODS = ("auto", "gsp", "update")

#: called after each graph is written: (graphs done, graphs in all, graph IRI, its triples)
Progress = Callable[[int, int, str, int], None]

_COUNT_CHUNK = 200  # graphs per verification query (VALUES), to keep the query text bounded


@dataclass(frozen=True)
class Target:
    """Where and how to write: the URLs of one store and the credentials for them."""

    endpoint: str  # SPARQL query endpoint, for the verification
    graph_store: str | None  # Graph Store Protocol service, if any
    update: str  # SPARQL Update service
    user: str | None = None
    password: str | None = field(default=None, repr=False)  # never shown
    timeout: float = 60.0
    profile: str = "generic"


@dataclass(frozen=True)
class Mismatch:
    graph: str
    expected: int
    found: int


@dataclass
class PushReport:
    method: str
    graphs: int = 0
    triples: int = 0
    write_seconds: float = 0.0
    verify_seconds: float = 0.0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def seconds(self) -> float:
        return self.write_seconds + self.verify_seconds


# -- targets --------------------------------------------------------------------------------


def _check_url(url: str, what: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CskgError(f"{what} {url!r} is not an http(s) URL")
    if parts.username is not None or parts.password is not None:
        # not echoed: the URL holds a secret
        raise CskgError(f"{what} has credentials in it; give --user and --password-env instead")
    return parts


def _origin(parts: urllib.parse.SplitResult) -> str:
    return f"{parts.scheme}://{parts.netloc}"


def make_target(
    endpoint: str,
    *,
    profile: str = "generic",
    graph_store: str | None = None,
    update: str | None = None,
    user: str | None = None,
    password: str | None = None,
    timeout: float = 60.0,
) -> Target:
    """The URLs of a store from its query endpoint and profile (see the table above)."""
    if profile not in PROFILES:
        raise CskgError(f"unknown profile {profile!r}; one of {', '.join(PROFILES)}")
    if (user is None) != (password is None):
        raise CskgError("give both a user and a password, or neither")
    if timeout <= 0:
        raise CskgError("the timeout must be positive")
    parts = _check_url(endpoint, "the endpoint")
    origin, path = _origin(parts), parts.path.rstrip("/")
    authenticated = user is not None
    default_gsp: str | None = None
    default_update = endpoint
    if profile == "virtuoso":
        default_gsp = origin + (
            "/sparql-graph-crud-auth" if authenticated else "/sparql-graph-crud"
        )
        default_update = origin + ("/sparql-auth" if authenticated else "/sparql")
    elif profile == "fuseki":
        dataset = re.sub(r"/(sparql|query)$", "", path)
        if not dataset:
            raise CskgError(
                "fuseki: the endpoint must name a dataset, e.g. http://host:3030/ds/sparql"
            )
        default_gsp, default_update = origin + dataset + "/data", origin + dataset + "/update"
    elif profile == "graphdb":
        match = re.search(r"^(.*/repositories/[^/]+)", path)
        if not match:
            raise CskgError(
                "graphdb: the endpoint must be a repository, e.g. http://host:7200/repositories/cskg"
            )
        default_gsp = origin + match.group(1) + "/rdf-graphs/service"
        default_update = origin + match.group(1) + "/statements"
    graph_store = graph_store or default_gsp
    update = update or default_update
    if graph_store:
        _check_url(graph_store, "the graph store")
    _check_url(update, "the update endpoint")
    return Target(endpoint, graph_store, update, user, password, timeout, profile)


# -- HTTP -----------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: the request would carry data (and maybe credentials) elsewhere."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _short(url: str) -> str:
    """A URL for messages: without its query string (graph IRIs are named separately)."""
    return url.split("?", 1)[0]


class _Client:
    """urllib with credentials scoped to the store's URLs, no redirects, strict bodies."""

    def __init__(self, target: Target) -> None:
        self.target = target
        handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
        if target.user is not None:
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            urls = [target.endpoint, target.update, target.graph_store]
            for url in filter(None, urls):
                # the manager matches by scheme, host, port and path prefix: the origin of each
                manager.add_password(
                    None, _origin(urllib.parse.urlsplit(url)), target.user, target.password
                )  # type: ignore[arg-type]
            handlers += [
                urllib.request.HTTPDigestAuthHandler(manager),
                urllib.request.HTTPBasicAuthHandler(manager),
            ]
        self.opener = urllib.request.build_opener(*handlers)

    def send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        what: str,
    ) -> bytes:
        """One request; any answer but a complete 2xx (206 excepted) is a CskgError."""
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        where = f"{method} {_short(url)} ({what})"
        try:
            with self.opener.open(request, timeout=self.target.timeout) as response:
                status = response.status
                length = response.headers.get("Content-Length")
                data = response.read()
        except urllib.error.HTTPError as error:
            raise self._http_error(error, where) from None
        except http.client.IncompleteRead as error:
            raise CskgError(
                f"{where}: the answer was cut short ({len(error.partial)} bytes received, "
                f"{error.expected} more announced)"
            ) from None
        except urllib.error.URLError as error:
            raise self._network_error(error.reason, where) from None
        except (TimeoutError, ConnectionError, http.client.HTTPException) as error:
            raise self._network_error(error, where) from None
        except ValueError as error:  # urllib: an authentication scheme it does not speak
            raise CskgError(f"{where}: {error}") from None
        if status == 206:
            raise CskgError(f"{where}: the store answered 206 Partial Content; nothing is certain")
        if length is not None and length.isdigit() and len(data) < int(length):
            raise CskgError(f"{where}: the answer was cut short ({len(data)} of {length} bytes)")
        return data

    def _http_error(self, error: urllib.error.HTTPError, where: str) -> CskgError:
        try:
            message = server_message(error.read(), 300) if error.fp is not None else ""
        except (OSError, http.client.HTTPException):
            message = ""
        code = error.code
        user = self.target.user
        if code == 401:
            if user is None:
                hint = (
                    "the store needs credentials: give --user with --password-env (or --password)"
                )
            else:
                hint = f"the store rejected the credentials of user {user!r}"
            return CskgError(f"{where}: HTTP 401 Unauthorized: {hint}")
        if code == 403:
            if user is None:
                hint = "the store refuses anonymous writes: give --user with --password-env"
            else:
                hint = f"user {user!r} is not allowed to do this (Virtuoso: role SPARQL_UPDATE)"
            return CskgError(
                f"{where}: HTTP 403 Forbidden: {hint}" + (f" ({message})" if message else "")
            )
        if 300 <= code < 400:
            location = error.headers.get("Location", "") if error.headers else ""
            return CskgError(
                f"{where}: HTTP {code} redirect to {_short(location) or '(no Location)'} "
                "not followed; give the store's final URL"
            )
        reason = error.reason if isinstance(error.reason, str) else ""
        return CskgError(
            f"{where}: HTTP {code} {reason}".rstrip() + (f": {message}" if message else "")
        )

    def _network_error(self, reason: object, where: str) -> CskgError:
        if isinstance(reason, TimeoutError):
            return CskgError(f"{where}: no answer within {self.target.timeout:g} s")
        if isinstance(reason, ConnectionRefusedError):
            return CskgError(f"{where}: connection refused (is the store running?)")
        return CskgError(f"{where}: {reason}")


# -- the release ----------------------------------------------------------------------------


def read_graphs(nquads: Path) -> dict[str, list[object]]:
    """The release's triples by named graph (pyoxigraph Triples), graphs in IRI order."""
    import pyoxigraph as ox

    if not nquads.exists():
        raise CskgError(f"no release at {nquads}: build it first (cskg build)")
    graphs: dict[str, list[object]] = defaultdict(list)
    owner: dict[str, str] = {}  # blank node -> its graph
    try:
        for quad in ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS):
            if isinstance(quad.graph_name, ox.DefaultGraph):
                raise CskgError(f"{nquads} has triples in the default graph; push needs graphs")
            graph = quad.graph_name.value
            for term in (quad.subject, quad.object):
                if isinstance(term, ox.BlankNode) and owner.setdefault(term.value, graph) != graph:
                    raise CskgError(
                        f"blank node _:{term.value} is in graphs <{owner[term.value]}> and "
                        f"<{graph}>; a per-graph push would split it"
                    )
            graphs[graph].append(quad.triple)
    except SyntaxError as error:
        raise CskgError(f"{nquads}: {error}") from None
    return {graph: graphs[graph] for graph in sorted(graphs)}


def _ntriples(triples: Iterable[object]) -> bytes:
    import pyoxigraph as ox

    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)  # type: ignore[arg-type]


def batches(triples: list[object], size: int) -> Iterator[tuple[list[object], bool]]:
    """Batches of at most `size` triples (more only for one blank-node cluster that big).

    Triples linked through blank nodes stay in one batch. Yields (batch, has blank nodes).
    """
    import pyoxigraph as ox

    parent: dict[str, str] = {}

    def find(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    plain: list[object] = []
    clustered: list[tuple[str, object]] = []
    for triple in triples:
        nodes = [t.value for t in (triple.subject, triple.object) if isinstance(t, ox.BlankNode)]  # type: ignore[attr-defined]
        if not nodes:
            plain.append(triple)
            continue
        for other in nodes[1:]:
            parent[find(other)] = find(nodes[0])
        clustered.append((nodes[0], triple))
    clusters: dict[str, list[object]] = defaultdict(list)
    for node, triple in clustered:
        clusters[find(node)].append(triple)
    for start in range(0, len(plain), size):
        yield plain[start : start + size], False
    batch: list[object] = []
    for members in clusters.values():
        if batch and len(batch) + len(members) > size:
            yield batch, True
            batch = []
        batch.extend(members)
    if batch:
        yield batch, True


# -- push -----------------------------------------------------------------------------------


def _iri(value: str) -> str:
    if re.search(r'[\x00-\x20<>"{}|^`\\]', value):
        raise CskgError(f"graph name {value!r} is not a valid IRI")
    return f"<{value}>"


def _write_gsp(client: _Client, target: Target, graph: str, triples: list[object]) -> None:
    assert target.graph_store is not None
    separator = "&" if "?" in target.graph_store else "?"
    url = target.graph_store + separator + urllib.parse.urlencode({"graph": graph})
    client.send(
        "PUT",
        url,
        _ntriples(triples),
        {"Content-Type": "text/turtle; charset=utf-8"},
        f"graph <{graph}>",
    )


def _update(client: _Client, target: Target, text: str, graph: str) -> None:
    body = urllib.parse.urlencode({"update": text}).encode("ascii")
    client.send(
        "POST",
        target.update,
        body,
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": "*/*"},
        f"update of graph <{graph}>",
    )


def _write_update(
    client: _Client, target: Target, graph: str, triples: list[object], size: int
) -> None:
    name = _iri(graph)
    prefix = f"DROP SILENT GRAPH {name} ;\n"  # one request: drop, then the first batch
    for batch, blank in batches(triples, size):
        body = _ntriples(batch).decode("utf-8")
        if blank:
            text = f"INSERT {{ GRAPH {name} {{\n{body}}} }} WHERE {{}}"
        else:
            text = f"INSERT DATA {{ GRAPH {name} {{\n{body}}} }}"
        _update(client, target, prefix + text, graph)
        prefix = ""
    if prefix:  # an empty graph: just drop it
        _update(client, target, prefix.rstrip(" ;\n"), graph)


def count_graphs(target: Target, graphs: Iterable[str]) -> dict[str, int]:
    """Triples per graph in the store, for the graphs named (absent graphs count 0)."""
    from cskg.store import parse_sparql_json

    client = _Client(target)
    names = list(graphs)
    counts = dict.fromkeys(names, 0)
    for start in range(0, len(names), _COUNT_CHUNK):
        values = " ".join(_iri(g) for g in names[start : start + _COUNT_CHUNK])
        query = (
            f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} "
            "GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
        data = client.send(
            "POST",
            target.endpoint,
            urllib.parse.urlencode({"query": query}).encode("ascii"),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/sparql-results+json",
            },
            "triple counts",
        )
        try:
            result = parse_sparql_json(data)
            for g, n in result.rows:
                counts[g.value] = int(n.value)  # type: ignore[union-attr]
        except (ValueError, KeyError, TypeError, AttributeError, json.JSONDecodeError):
            raise CskgError(
                f"{_short(target.endpoint)} did not answer the count query with SPARQL results: "
                f"{server_message(data, 200)}"
            ) from None
    return counts


def push(
    nquads: Path,
    target: Target,
    *,
    method: str = "auto",
    batch: int = 1000,
    graphs: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> PushReport:
    """Write every named graph of `nquads` (or only `graphs`) to the store and verify the counts.

    `method`: "gsp" (Graph Store Protocol PUT), "update" (SPARQL Update batches of `batch`
    triples) or "auto" (GSP when the target has a graph store). Raises CskgError when the store
    cannot be written; count differences are returned in the report's `mismatches`.
    """
    if method not in METHODS:
        raise CskgError(f"unknown method {method!r}; one of {', '.join(METHODS)}")
    if batch < 1:
        raise CskgError("the batch size must be at least 1")
    if method == "auto":
        method = "gsp" if target.graph_store else "update"
    if method == "gsp" and not target.graph_store:
        raise CskgError("no graph store URL: give --graph-store, or a profile that has one")
    release = read_graphs(nquads)
    if graphs is not None:
        wanted = set(graphs)
        missing = sorted(wanted - release.keys())
        if missing:
            raise CskgError(f"the release has no graph <{missing[0]}>")
        release = {g: t for g, t in release.items() if g in wanted}
    client = _Client(target)
    report = PushReport(method=method)
    began = time.perf_counter()
    for n, (graph, triples) in enumerate(release.items(), 1):
        if method == "gsp":
            _write_gsp(client, target, graph, triples)
        else:
            _write_update(client, target, graph, triples, batch)
        report.graphs += 1
        report.triples += len(triples)
        if progress:
            progress(n, len(release), graph, len(triples))
    report.write_seconds = time.perf_counter() - began
    began = time.perf_counter()
    found = count_graphs(target, release)
    report.mismatches = [
        Mismatch(graph, len(triples), found[graph])
        for graph, triples in release.items()
        if found[graph] != len(triples)
    ]
    report.verify_seconds = time.perf_counter() - began
    return report


def password_from(password: str | None, variable: str | None) -> str | None:
    """The password given on the command line or in an environment variable (not both)."""
    if password is not None and variable:
        raise CskgError("give --password or --password-env, not both")
    if variable:
        value = os.environ.get(variable)
        if value is None:
            raise CskgError(f"the environment variable {variable} is not set")
        return value
    return password
