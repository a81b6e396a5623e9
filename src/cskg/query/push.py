"""`cskg push`: load the release into a SPARQL 1.1 store, one named graph at a time, and check it.

Each named graph of `dist/cskg.nq` is written whole, in requests of at most `--batch` triples
(the triples that share a blank node always travel in the same request, because a blank node
label only means the same node within one request), by one of two methods:

- the SPARQL 1.1 Graph Store HTTP Protocol (`gsp`): `PUT <graph-store>?graph=IRI` with the
  graph's first batch as N-Triples (sent as `text/turtle`, of which N-Triples is a subset and
  which every store accepts), which replaces the graph, then `POST` for each further batch,
  which adds to it; a graph of up to 10,000 triples (the default batch) is one PUT;
- SPARQL 1.1 Update (`update`), for stores without a graph store or when asked:
  `DROP SILENT GRAPH <g>` and then the graph's triples in batches (default 1,000). A batch
  without blank nodes is `INSERT DATA { GRAPH <g> { ... } }`; a batch with blank nodes is
  `INSERT { GRAPH <g> { ... } } WHERE {}` (Virtuoso refuses blank nodes in INSERT DATA).

The release is read twice and never held whole: a first pass counts the triples of each graph
and refuses what a per-graph push cannot write (triples in the default graph, a blank node in
two graphs) before anything is sent; the second pass sends the graphs in file order, one in
memory at a time (a release of 4.4 million triples is pushed in some 400 MB, not 1.9 GB).

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
  is used), update at `--update` or else the endpoint; HTTP digest authentication.

`--auth basic|digest` overrides the profile's scheme.

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

Credentials are never printed, logged or put in an exception message, and what a store says is
printed only through `cskg.query.http.server_text` (the password and anything like credentials
removed). They are offered only to the origins (scheme, host and port) of the URLs push itself
calls, only when the server asks (HTTP 401 challenge), and only in the profile's scheme (or
`--auth`'s): a store that asks a digest client for Basic gets nothing, and the push stops with a
message. Basic is refused over http:// to a host that is not loopback unless
`--allow-insecure-auth`. Redirects are never followed: a 3xx answer is an error, so a store
cannot send the credentials, or the data, elsewhere. With credentials, push first sends a HEAD
request to learn the store's challenge; every request after that carries the answer from the
start (digest: the same nonce, counted up), so each is sent once, over kept-alive connections.

Each request must be done within `--timeout` seconds (connecting, sending, the whole answer: a
store that trickles its answer does not hold push longer), and its answer is refused beyond
`MAX_ANSWER` bytes (a store's answers to push are a few kilobytes).
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter
from pathlib import Path

from cskg.errors import CskgError
from cskg.query.http import SCHEMES, Answer, Client, Credentials, short

PROFILES = ("virtuoso", "fuseki", "graphdb", "generic")
#: how each profile sends credentials (`--auth` overrides it)
PROFILE_AUTH = {"virtuoso": "digest", "fuseki": "basic", "graphdb": "basic", "generic": "digest"}
METHODS = ("auto", "gsp", "update")

#: called after each graph is written: (graphs done, graphs in all, graph IRI, its triples)
Progress = Callable[[int, int, str, int], None]

#: triples per request by default: a graph store PUT or POST costs Virtuoso some 2 ms whatever
#: its size, so large; SPARQL Update text is compiled, which costs more per triple
BATCH = {"gsp": 10_000, "update": 1_000}
_COUNT_CHUNK = 200  # graphs per verification query (VALUES), to keep the query text bounded
MAX_ANSWER = 4 * 2**20  # bytes: the largest answer push reads (a count answer is ~30 kB)


@dataclass(frozen=True)
class Target:
    """Where and how to write: the URLs of one store and the credentials for them."""

    endpoint: str  # SPARQL query endpoint, for the verification
    graph_store: str | None  # Graph Store Protocol service, if any
    update: str  # SPARQL Update service
    user: str | None = None
    password: str | None = field(default=None, repr=False)  # never shown
    timeout: float = 60.0  # seconds: the deadline of each request
    profile: str = "generic"
    auth: str = "digest"  # how the credentials are sent: "digest" or "basic"
    allow_insecure_auth: bool = False  # Basic over http:// to a host that is not loopback

    def credentials(self) -> Credentials | None:
        """The credentials for the store's URLs, or None; refuses Basic in clear text."""
        if self.user is None:
            return None
        urls = tuple(filter(None, [self.endpoint, self.update, self.graph_store]))
        return Credentials(
            self.user, self.password or "", self.auth, urls, self.allow_insecure_auth
        )


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
    auth: str | None = None,
    allow_insecure_auth: bool = False,
) -> Target:
    """The URLs of a store from its query endpoint and profile (see the table above), and how
    credentials are sent: `auth` ("digest" or "basic"), else the profile's."""
    if profile not in PROFILES:
        raise CskgError(f"unknown profile {profile!r}; one of {', '.join(PROFILES)}")
    if auth is not None and auth not in SCHEMES:
        raise CskgError(f"unknown authentication {auth!r}; one of {', '.join(SCHEMES)}")
    if (user is None) != (password is None):
        raise CskgError("give both a user and a password, or neither")
    if timeout <= 0:
        raise CskgError("the timeout must be positive")
    default_gsp, default_update = _profile_urls(profile, endpoint, authenticated=user is not None)
    graph_store = graph_store or default_gsp
    update = update or default_update
    if graph_store:
        _check_url(graph_store, "the graph store")
    _check_url(update, "the update endpoint")
    target = Target(
        endpoint,
        graph_store,
        update,
        user,
        password,
        timeout,
        profile,
        auth or PROFILE_AUTH[profile],
        allow_insecure_auth,
    )
    target.credentials()  # refuses Basic in clear text before anything is read or sent
    return target


def _profile_urls(profile: str, endpoint: str, *, authenticated: bool) -> tuple[str | None, str]:
    """The graph store (None: the profile has none) and update URLs a profile derives from the
    query endpoint (see the table above)."""
    parts = _check_url(endpoint, "the endpoint")
    origin, path = _origin(parts), parts.path.rstrip("/")
    if profile == "virtuoso":
        if authenticated:
            return origin + "/sparql-graph-crud-auth", origin + "/sparql-auth"
        return origin + "/sparql-graph-crud", origin + "/sparql"
    if profile == "fuseki":
        dataset = re.sub(r"/(sparql|query)$", "", path)
        if not dataset:
            raise CskgError(
                "fuseki: the endpoint must name a dataset, e.g. http://host:3030/ds/sparql"
            )
        return origin + dataset + "/data", origin + dataset + "/update"
    if profile == "graphdb":
        match = re.search(r"^(.*/repositories/[^/]+)", path)
        if not match:
            raise CskgError(
                "graphdb: the endpoint must be a repository, e.g. http://host:7200/repositories/cskg"
            )
        repository = origin + match.group(1)
        return repository + "/rdf-graphs/service", repository + "/statements"
    return None, endpoint


# -- HTTP -----------------------------------------------------------------------------------


class _Client:
    """The store's HTTP client (`cskg.query.http.Client`): each request within the target's deadline
    and `MAX_ANSWER` bytes, credentials scoped to the store's origins, no redirects."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.http = Client(
            timeout=target.timeout, max_bytes=MAX_ANSWER, credentials=target.credentials()
        )

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def learn_authentication(self, url: str, what: str) -> None:
        """A HEAD request to `url`, so that a store asking for credentials says how before the
        first request with a body. Its answer does not matter (many stores do not implement
        HEAD), unless it asks for another scheme than push's; the requests that follow report
        what else goes wrong."""
        if self.target.user is not None:
            self.send("HEAD", url, None, {}, f"authentication, before {what}", check=False)

    def send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        what: str,
        *,
        check: bool = True,
    ) -> bytes:
        """One request; any answer but a complete 2xx (206 excepted) is a CskgError."""
        answer = self.http.send(method, url, what, body=body, headers=headers)
        if not check:
            return answer.body
        if answer.status == 206:
            raise CskgError(
                f"{answer.where}: the store answered 206 Partial Content; nothing is certain"
            )
        if not 200 <= answer.status < 300:
            raise self.http.failure(answer, self._hint(answer))
        return answer.body

    def _hint(self, answer: Answer) -> str:
        user = self.target.user
        if answer.status == 401:
            if user is None:
                return (
                    "the store needs credentials: give --user with --password-env (or --password)"
                )
            return f"the store rejected the credentials of user {user!r}"
        if answer.status == 403:
            if user is None:
                return "the store refuses anonymous writes: give --user with --password-env"
            return f"user {user!r} is not allowed to do this (Virtuoso: role SPARQL_UPDATE)"
        return ""


# -- the release ----------------------------------------------------------------------------


def survey_graphs(nquads: Path) -> dict[str, int]:
    """Triples per named graph of the release, in the order the file names them.

    A first pass over the file, holding nothing but the counts, that refuses what a per-graph
    push cannot write faithfully before anything is written: triples in the default graph, and
    a blank node in two graphs (each request's blank nodes are new nodes)."""
    import pyoxigraph as ox

    if not nquads.exists():
        raise CskgError(f"no release at {nquads}: build it first (cskg build)")
    counts: dict[str, int] = {}
    owner: dict[object, str] = {}  # blank node -> its graph
    named, blank = ox.NamedNode, ox.BlankNode
    try:
        for quad in ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS):
            name = quad.graph_name
            if type(name) is not named:
                raise CskgError(f"{nquads} has triples in the default graph; push needs graphs")
            graph = name.value
            counts[graph] = counts.get(graph, 0) + 1
            for term in (quad.subject, quad.object):
                if type(term) is blank and owner.setdefault(term, graph) != graph:
                    raise CskgError(
                        f"blank node {term} is in graphs <{owner[term]}> and <{graph}>; a "
                        "per-graph push would split it"
                    )
    except SyntaxError as error:
        raise CskgError(f"{nquads}: {error}") from None
    return counts


def graph_runs(nquads: Path) -> Iterator[tuple[str, list[object]]]:
    """(graph, its triples) for each run of quads of one graph in the file, in file order.

    A release written by `cskg build` has one run per graph, so at most one graph is held in
    memory at a time; a file whose graph comes back later gives that graph several runs."""
    import pyoxigraph as ox

    quads = ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    for name, run in groupby(quads, key=attrgetter("graph_name")):
        yield name.value, [quad.triple for quad in run]


def _ntriples(triples: Iterable[object]) -> bytes:
    import pyoxigraph as ox

    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)  # type: ignore[arg-type, return-value]


def batches(triples: list[object], size: int) -> Iterator[tuple[list[object], bool]]:
    """Batches of at most `size` triples (more only for one blank-node cluster that big).

    Triples linked through blank nodes stay in one batch; a graph that fits in one batch is one
    batch. Yields (batch, has blank nodes).
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
    full = len(plain) - len(plain) % size
    for start in range(0, full, size):
        yield plain[start : start + size], False
    batch, blank = plain[full:], False  # the rest of the plain triples, then the clusters
    for members in clusters.values():
        if batch and len(batch) + len(members) > size:
            yield batch, blank
            batch, blank = [], False
        batch.extend(members)
        blank = True
    if batch:
        yield batch, blank


# -- push -----------------------------------------------------------------------------------


def _iri(value: str) -> str:
    if re.search(r'[\x00-\x20<>"{}|^`\\]', value):
        raise CskgError(f"graph name {value!r} is not a valid IRI")
    return f"<{value}>"


def _graph_url(target: Target, graph: str) -> str:
    """The graph store URL of one graph (`?graph=IRI`)."""
    assert target.graph_store is not None
    separator = "&" if "?" in target.graph_store else "?"
    return target.graph_store + separator + urllib.parse.urlencode({"graph": graph})


def _write_gsp(
    client: _Client, target: Target, graph: str, triples: list[object], size: int, replace: bool
) -> None:
    """PUT the graph's first batch (which replaces the graph), POST the others (which add);
    POST them all when not `replace`."""
    url = _graph_url(target, graph)
    method = "PUT" if replace else "POST"
    for batch, _ in batches(triples, size):
        client.send(
            method,
            url,
            _ntriples(batch),
            {"Content-Type": "text/turtle; charset=utf-8"},
            f"graph <{graph}>",
        )
        method = "POST"


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
    client: _Client, target: Target, graph: str, triples: list[object], size: int, replace: bool
) -> None:
    name = _iri(graph)
    # one request: drop the graph (when replacing it), then the first batch
    prefix = f"DROP SILENT GRAPH {name} ;\n" if replace else ""
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


def count_graphs(
    target: Target, graphs: Iterable[str], client: _Client | None = None
) -> dict[str, int]:
    """Triples per graph in the store, for the graphs named (absent graphs count 0)."""
    if client is None:
        with _Client(target) as own:
            return count_graphs(target, graphs, own)
    from cskg.query.remote import FORM, SPARQL_JSON, parse_sparql_json, protocol_form

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
            protocol_form(query),
            {"Content-Type": FORM, "Accept": SPARQL_JSON},
            "triple counts",
        )
        try:
            result = parse_sparql_json(data)
            for g, n in result.rows:
                counts[g.value] = int(n.value)  # type: ignore[union-attr]
        except (ValueError, KeyError, TypeError, AttributeError, json.JSONDecodeError):
            raise CskgError(
                f"{short(target.endpoint)} did not answer the count query with SPARQL results: "
                f"{client.http.text(data, 200)}"
            ) from None
    return counts


def push(
    nquads: Path,
    target: Target,
    *,
    method: str = "auto",
    batch: int | None = None,
    graphs: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> PushReport:
    """Write every named graph of `nquads` (or only `graphs`) to the store and verify the counts.

    `method`: "gsp" (Graph Store Protocol), "update" (SPARQL Update) or "auto" (GSP when the
    target has a graph store). A request carries at most `batch` triples (default
    `BATCH[method]`; more only for triples linked by one blank node). Raises CskgError when the
    store cannot be written; count differences are returned in the report's `mismatches`.
    """
    method, size = _method_and_batch(method, batch, target)
    release = survey_graphs(nquads)
    if graphs is not None:
        wanted = set(graphs)
        missing = sorted(wanted - release.keys())
        if missing:
            raise CskgError(f"the release has no graph <{missing[0]}>")
        release = {g: n for g, n in release.items() if g in wanted}
    write = _write_gsp if method == "gsp" else _write_update
    report = PushReport(method=method)
    with _Client(target) as client:
        began = time.perf_counter()
        if release:
            first = next(iter(release))
            url = _graph_url(target, first) if method == "gsp" else target.update
            client.learn_authentication(url, f"graph <{first}>")
        written: set[str] = set()
        for graph, triples in graph_runs(nquads):
            if graph not in release:
                continue
            # a graph is replaced by its first run; a later run (files not grouped by graph,
            # which `cskg build` never writes) adds to it
            write(client, target, graph, triples, size, graph not in written)
            report.triples += len(triples)
            if graph not in written:
                written.add(graph)
                report.graphs += 1
            if progress:
                progress(report.graphs, len(release), graph, len(triples))
        report.write_seconds = time.perf_counter() - began
        began = time.perf_counter()
        found = count_graphs(target, release, client)
    report.mismatches = [
        Mismatch(graph, expected, found[graph])
        for graph, expected in release.items()
        if found[graph] != expected
    ]
    report.verify_seconds = time.perf_counter() - began
    return report


def _method_and_batch(method: str, batch: int | None, target: Target) -> tuple[str, int]:
    """The method push uses ("auto" resolved) and its triples per request."""
    if method not in METHODS:
        raise CskgError(f"unknown method {method!r}; one of {', '.join(METHODS)}")
    if method == "auto":
        method = "gsp" if target.graph_store else "update"
    if method == "gsp" and not target.graph_store:
        raise CskgError("no graph store URL: give --graph-store, or a profile that has one")
    size = BATCH[method] if batch is None else batch
    if size < 1:
        raise CskgError("the batch size must be at least 1")
    return method, size


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
