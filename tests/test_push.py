"""`cskg push`: the release into a real Virtuoso (Graph Store Protocol and SPARQL Update), read
back graph by graph and query by query; and the failures a store can answer with, on loopback
HTTP servers these tests run (401, 403, 500, 206, a cut body, silence, refusal, redirects).
"""

from __future__ import annotations

import http.client
import http.server
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Self

import pyoxigraph as ox
import pytest
from conftest import REAL_ROOT
from utils.expected import canonical

from cskg.cli import main
from cskg.errors import CskgError
from cskg.lab.virtuoso import TempVirtuoso, available
from cskg.query.engines import EmbeddedStore
from cskg.query.library import parse_query_file
from cskg.query.model import Result, ox_term
from cskg.query.push import Target, batches, count_graphs, make_target, push
from cskg.query.remote import RemoteStore, parse_sparql_json
from cskg.query.text import query_form

LIBRARY = sorted((REAL_ROOT / "queries").glob("*.rq"))
NAMES = [path.stem for path in LIBRARY]
USER, PASSWORD = "pusher", "Zq7-secret-Xylophone-91"  # distinctive, to be searched for in output
MIIT = "https://w3id.org/cskg/id/agency/miit"
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
ALL_QUADS = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"

needs_virtuoso = [
    pytest.mark.virtuoso,
    pytest.mark.skipif(not available(), reason="virtuoso-t / isql-vt not on PATH"),
]


def release_counts(nquads: Path) -> dict[str, int]:
    """Triples per named graph, read from the release file itself."""
    quads = ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    return dict(Counter(quad.graph_name.value for quad in quads))


def start_virtuoso() -> TempVirtuoso:
    """A fresh Virtuoso with a writing user that is not dba and has a distinctive password."""
    server = TempVirtuoso().start()
    try:
        server.isql(
            f"DB.DBA.USER_CREATE ('{USER}', '{PASSWORD}');\n"
            f'GRANT SPARQL_UPDATE TO "{USER}";\n'
            f"DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('{USER}', 3);\n"
        )
    except BaseException:
        server.stop()
        raise
    return server


def virtuoso_target(server: TempVirtuoso, password: str = PASSWORD) -> Target:
    return make_target(server.endpoint, profile="virtuoso", user=USER, password=password)


# -- the round trip on Virtuoso ---------------------------------------------------------------


@pytest.fixture(scope="module")
def embedded(release: Path) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(release / "store") as store:
        yield store


@pytest.fixture(scope="module")
def gsp_store(release: Path) -> Iterator[tuple[TempVirtuoso, object]]:
    """A Virtuoso the release was pushed into through the Graph Store Protocol (the API)."""
    if not available():
        pytest.skip("virtuoso-t / isql-vt not on PATH (Debian: virtuoso-opensource-7-bin)")
    server = start_virtuoso()
    try:
        report = push(release / "cskg.nq", virtuoso_target(server), method="gsp")
        yield server, report
    finally:
        server.stop()


@pytest.fixture(scope="module")
def update_store(release: Path) -> Iterator[tuple[TempVirtuoso, object]]:
    """Another Virtuoso, written through SPARQL Update in small batches (blank nodes split)."""
    if not available():
        pytest.skip("virtuoso-t / isql-vt not on PATH (Debian: virtuoso-opensource-7-bin)")
    server = start_virtuoso()
    try:
        report = push(release / "cskg.nq", virtuoso_target(server), method="update", batch=7)
        yield server, report
    finally:
        server.stop()


def test_library_is_the_cases():
    from cskg.query.library import load_library

    assert [query.name for query in load_library(REAL_ROOT / "queries")] == NAMES
    assert len(NAMES) >= 35  # 37 library queries today (rules a shape states live in the shapes)


@pytest.mark.slow
@pytest.mark.virtuoso
@pytest.mark.parametrize("fixture", ["gsp_store", "update_store"])
def test_every_graph_has_the_release_count(request, release, fixture):
    server, report = request.getfixturevalue(fixture)
    expected = release_counts(release / "cskg.nq")
    assert report.ok and report.mismatches == []
    assert (report.graphs, report.triples) == (len(expected), sum(expected.values()))
    assert report.method == fixture.split("_")[0]
    assert count_graphs(virtuoso_target(server), expected) == expected
    # nothing else was written: the store's whole default graph is the release
    [[total]] = RemoteStore(server.endpoint).query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }").rows
    assert int(total.value) == sum(expected.values())


@pytest.mark.virtuoso
@pytest.mark.parametrize("fixture", ["gsp_store", "update_store"])
def test_every_quad_arrives(request, embedded, fixture):
    """The same quads (blank nodes up to renaming) in every graph, whichever method wrote them."""
    server, _ = request.getfixturevalue(fixture)
    theirs = RemoteStore(server.endpoint, timeout=60).query(ALL_QUADS)
    assert canonical(theirs) == canonical(embedded.query(ALL_QUADS))


@pytest.mark.virtuoso
@pytest.mark.parametrize("fixture", ["gsp_store", "update_store"])
def test_chinese_labels_intact(request, embedded, fixture):
    server, _ = request.getfixturevalue(fixture)
    query = (
        "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label "
        'FILTER(LANG(?label) = "zh") }'
    )
    theirs = RemoteStore(server.endpoint).query(query)
    assert canonical(theirs) == canonical(embedded.query(query))
    labels = {row[1].value for row in theirs.rows if row[0].value == MIIT}
    assert labels == {"工业和信息化部"}
    assert len(theirs.rows) > 100


@pytest.mark.virtuoso
def test_push_again_through_the_cli_is_idempotent(capsys, monkeypatch, release, gsp_store):
    server, _ = gsp_store
    expected = release_counts(release / "cskg.nq")
    monkeypatch.setenv("CSKG_TEST_STORE_PASSWORD", PASSWORD)
    argv = ["--dist", str(release), "push", "--endpoint", server.endpoint]
    argv += ["--profile", "virtuoso", "--user", USER, "--password-env", "CSKG_TEST_STORE_PASSWORD"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert out == ""
    summary = err.strip().splitlines()[-1]
    assert summary.startswith(
        f"cskg: {len(expected)} graphs, {sum(expected.values())} triples pushed by gsp in "
    )
    assert "counts verified" in summary
    # compact progress: a line per tenth of the graphs (stderr is not a terminal here)
    assert sum("pushed" in line and "/" in line for line in err.splitlines()) <= 11
    assert PASSWORD not in out + err
    assert count_graphs(virtuoso_target(server), expected) == expected


@pytest.mark.virtuoso
def test_update_over_gsp_leaves_the_same_data(release, update_store, embedded):
    """Pushing by the other method into a store already holding the release changes nothing."""
    server, _ = update_store
    report = push(release / "cskg.nq", virtuoso_target(server), method="gsp")
    assert report.ok
    theirs = RemoteStore(server.endpoint, timeout=60).query(ALL_QUADS)
    assert canonical(theirs) == canonical(embedded.query(ALL_QUADS))


def _through_endpoint(capsys: pytest.CaptureFixture[str], name: str, url: str) -> Result:
    path = REAL_ROOT / "queries" / f"{name}.rq"
    graph = query_form(path.read_text(encoding="utf-8")) in ("CONSTRUCT", "DESCRIBE")
    fmt = "ntriples" if graph else "sparql-json"
    # a parametrised query runs with its header's examples, bound on the endpoint's side
    params = [f"--param={p.name}={p.example}" for p in parse_query_file(path).params]
    command = ["query", str(path), "--endpoint", url, "--format", fmt, "--timeout", "60"]
    assert main([*command, *params]) == 0
    out = capsys.readouterr().out
    if not graph:
        return parse_sparql_json(out)
    parsed = ox.parse(out.encode(), format=ox.RdfFormat.N_TRIPLES)
    triples = [(ox_term(t.subject), ox_term(t.predicate), ox_term(t.object)) for t in parsed]
    return Result("graph", triples=triples)


@pytest.mark.virtuoso
@pytest.mark.parametrize("name", NAMES)
def test_library_query_agrees_after_push(capsys, embedded, gsp_store, name):
    server, _ = gsp_store
    theirs = _through_endpoint(capsys, name, server.endpoint)
    query = parse_query_file(REAL_ROOT / "queries" / f"{name}.rq")
    ours = embedded.query(query.text, bindings=query.examples)
    assert canonical(theirs) == canonical(ours)


@pytest.mark.virtuoso
def test_wrong_password_on_virtuoso(release, gsp_store):
    server, _ = gsp_store
    wrong = "Wrong-Pw-Quokka-33"
    with pytest.raises(CskgError, match=f"rejected the credentials of user '{USER}'") as caught:
        push(release / "cskg.nq", virtuoso_target(server, wrong), method="gsp")
    assert wrong not in str(caught.value) and "401" in str(caught.value)


@pytest.mark.virtuoso
def test_no_credentials_on_virtuoso(release, gsp_store):
    server, _ = gsp_store
    origin = server.endpoint.rsplit("/", 1)[0]
    target = make_target(server.endpoint, graph_store=origin + "/sparql-graph-crud-auth")
    with pytest.raises(CskgError, match="401 Unauthorized: the store needs credentials"):
        push(release / "cskg.nq", target)


@pytest.mark.virtuoso
def test_a_store_that_loses_writes_fails_the_push(capsys, tmp_path, gsp_store):
    """The graph store accepts every PUT and keeps nothing; the real store's counts say so."""
    server, _ = gsp_store
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "cskg.nq").write_text(SMALL_NQ, encoding="utf-8")
    with LoopbackStore("accept") as sink:
        argv = ["--dist", str(dist), "push", "--endpoint", server.endpoint, "-q"]
        assert main([*argv, "--graph-store", sink.url + "/store"]) == 2
    err = capsys.readouterr().err
    assert len(sink.requests) == 2  # both graphs were PUT, and acknowledged
    assert "<urn:cskg-test:g1>: 2 triples in the release, 0 in the store" in err
    assert "<urn:cskg-test:g2>: 1 triples in the release, 0 in the store" in err
    assert "2 graphs DIFFER" in err


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up (the timeout case) breaks the pipe: expected here


class _LoopbackServer:
    """A threaded HTTP server on a free loopback port, serving while in a `with` block."""

    def _serve(self, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        self.server = _QuietServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class RecordingForwarder(_LoopbackServer):
    """A loopback HTTP server that passes every request on to a real store and records
    (method, path, sent credentials, body size) of each: what went over the wire."""

    def __init__(self, upstream: str) -> None:
        parts = urllib.parse.urlsplit(upstream)
        host, port = parts.hostname, parts.port
        self.requests: list[tuple[str, str, bool, int]] = []
        forwarder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # kept-alive connections, as the client asks

            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                forwarder.requests.append(
                    (self.command, self.path, "Authorization" in self.headers, len(body))
                )
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                upstream = http.client.HTTPConnection(host, port, timeout=120)
                try:
                    upstream.request(self.command, self.path, body or None, headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                finally:
                    upstream.close()
                self.send_response(answer.status, answer.reason)
                for key, value in answer.getheaders():
                    if key.lower() not in ("connection", "transfer-encoding", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_HEAD = do_PUT = do_POST = _forward

        self._serve(Handler)


def big_release(folder: Path, triples: int) -> Path:
    """A release with one graph of `triples` triples (some 240 bytes each as N-Triples) and a
    small graph with a blank node."""
    big = ox.NamedNode("urn:cskg-test:big")
    text = "网络安全产业 cyberspace security industry " * 4
    quads = [
        ox.Quad(ox.NamedNode(f"urn:cskg-test:s{i}"), RDFS_LABEL, ox.Literal(f"{text}{i}"), big)
        for i in range(triples)
    ]
    small, node = ox.NamedNode("urn:cskg-test:small"), ox.BlankNode("n")
    quads += [
        ox.Quad(ox.NamedNode("urn:cskg-test:s0"), RDFS_LABEL, ox.Literal("s0"), small),
        ox.Quad(ox.NamedNode("urn:cskg-test:s0"), ox.NamedNode("urn:cskg-test:p"), node, small),
        ox.Quad(node, RDFS_LABEL, ox.Literal("a blank node"), small),
    ]
    path = folder / "cskg.nq"
    ox.serialize(quads, str(path), format=ox.RdfFormat.N_QUADS)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("batch", [None, 40_000])
@pytest.mark.virtuoso
def test_a_large_graph_is_pushed_in_requests_sent_once(tmp_path, batch):
    """A 30,000-triple graph (7 MB) reaches Virtuoso whole: with the default batch as a PUT and
    two POSTs, with a larger one in a single PUT. Every write goes over the wire once, with the
    digest credentials the store asked for on the first request (a HEAD without a body): a
    client that sends each body first without credentials has its 7 MB PUT reset by Virtuoso."""
    if not available():
        pytest.skip("virtuoso-t / isql-vt not on PATH (Debian: virtuoso-opensource-7-bin)")
    nquads = big_release(tmp_path, 30_000)
    server = start_virtuoso()
    try:
        with RecordingForwarder(server.endpoint) as wire:
            target = make_target(
                wire.url + "/sparql", profile="virtuoso", user=USER, password=PASSWORD
            )
            report = push(nquads, target, method="gsp", batch=batch)
        stored = count_graphs(virtuoso_target(server), ["urn:cskg-test:big", "urn:cskg-test:small"])
    finally:
        server.stop()
    assert report.ok and report.triples == 30_003
    assert stored == {"urn:cskg-test:big": 30_000, "urn:cskg-test:small": 3}
    head, *rest = wire.requests
    assert head[:3] == ("HEAD", "/sparql-graph-crud-auth?graph=urn%3Acskg-test%3Abig", False)
    writes = [(method, path, signed) for method, path, signed, _ in rest if method != "HEAD"]
    graph_store = "/sparql-graph-crud-auth?graph=urn%3Acskg-test%3A"
    expected = (
        [("PUT", graph_store + "big", True)] + [("POST", graph_store + "big", True)] * 2
        if batch is None
        else [("PUT", graph_store + "big", True)]
    )
    expected += [("PUT", graph_store + "small", True), ("POST", "/sparql", True)]
    assert writes == expected
    assert [r for r in rest if r[0] == "HEAD"] == [(*head[:2], True, 0)]  # the challenge answered
    assert max(size for *_, size in wire.requests) > (7_000_000 if batch else 2_000_000)


# -- failures, on loopback servers ------------------------------------------------------------

SMALL_NQ = (
    '<urn:cskg-test:s> <http://www.w3.org/2000/01/rdf-schema#label> "网络安全"@zh '
    "<urn:cskg-test:g1> .\n"
    "_:b <urn:cskg-test:p> <urn:cskg-test:s> <urn:cskg-test:g1> .\n"
    "<urn:cskg-test:s> <urn:cskg-test:p> <urn:cskg-test:o> <urn:cskg-test:g2> .\n"
)


class LoopbackStore(_LoopbackServer):
    """An HTTP server on a free loopback port answering every request the way `mode` says.

    Records (method, path, headers) of every request it gets.
    """

    def __init__(self, mode: str, redirect_to: str = "") -> None:
        self.mode, self.redirect_to = mode, redirect_to
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        store = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                store.requests.append((self.command, self.path, dict(self.headers.items())))
                store.respond(self)

            do_GET = do_HEAD = do_PUT = do_POST = _answer

        self._serve(Handler)

    def respond(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        mode = self.mode

        def send(code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
            handler.send_response(code)
            for key, value in (headers or {}).items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(body)

        challenge = {"WWW-Authenticate": 'Basic realm="store"'}
        if mode == "accept":
            send(201)
        elif mode == "401":
            send(401, b"", challenge)
        elif mode == "403":
            send(403, b"no write rights here")
        elif mode == "500":
            page = b"<html><body><h1>Error</h1><p>SR172: Transaction deadlocked</p></body></html>"
            send(500, page + b" " * 2000)
        elif mode == "206":
            send(206, b"partial", {"Content-Range": "bytes 0-6/100"})
        elif mode == "truncated":
            handler.send_response(200)
            handler.send_header("Content-Length", "1000")
            handler.end_headers()
            handler.wfile.write(b"only a part")
            handler.close_connection = True
        elif mode == "slow":
            time.sleep(3)
            send(201)
        elif mode == "redirect":  # only once authenticated, so credentials are in play
            if "Authorization" not in handler.headers:
                send(401, b"", challenge)
            else:
                code = 307 if handler.command == "PUT" else 303
                send(code, b"", {"Location": self.redirect_to})


@pytest.fixture
def small_release(tmp_path: Path) -> Path:
    path = tmp_path / "cskg.nq"
    path.write_text(SMALL_NQ, encoding="utf-8")
    return path


def _loopback_target(url: str, *, user: bool = True, timeout: float = 5.0) -> Target:
    """A target on a `LoopbackStore`, which asks for Basic: so the client is told to send it."""
    credentials = {"user": USER, "password": PASSWORD, "auth": "basic"} if user else {}
    return make_target(url + "/sparql", graph_store=url + "/store", timeout=timeout, **credentials)


@pytest.mark.parametrize(
    ("mode", "user", "message"),
    [
        (
            "401",
            True,
            f"HTTP 401 Unauthorized: the store rejected the credentials of user '{USER}'",
        ),
        ("401", False, "HTTP 401 Unauthorized: the store needs credentials"),
        ("403", True, f"HTTP 403 Forbidden: user '{USER}' is not allowed.*no write rights here"),
        ("403", False, "HTTP 403 Forbidden: the store refuses anonymous writes"),
        ("500", True, r"HTTP 500 Internal Server Error: Error SR172: Transaction deadlocked$"),
        ("206", True, "206 Partial Content"),
        ("truncated", True, r"cut short \(11 bytes received, 989 more announced\)"),
    ],
)
def test_store_failures_are_clear_errors(small_release, mode, user, message):
    with LoopbackStore(mode) as store:
        with pytest.raises(CskgError, match=message) as caught:
            push(small_release, _loopback_target(store.url, user=user))
        assert str(caught.value).startswith(f"PUT {store.url}/store (graph <urn:cskg-test:g1>)")
        assert PASSWORD not in str(caught.value)
        g1 = "/store?graph=urn%3Acskg-test%3Ag1"
        # With credentials, a HEAD asks the store how to authenticate before any data is sent;
        # the credentials go out only after its challenge (mode 401), once per request; and the
        # PUT itself is sent once.
        wire = [(m, path, "Authorization" in h) for m, path, h in store.requests]
        if not user:
            assert wire == [("PUT", g1, False)]
        elif mode == "401":
            assert wire == [("HEAD", g1, False), ("HEAD", g1, True), ("PUT", g1, True)]
        else:
            assert wire == [("HEAD", g1, False), ("PUT", g1, False)]


def test_timeout(small_release):
    with LoopbackStore("slow") as store:
        began = time.perf_counter()
        with pytest.raises(
            CskgError,
            match=r"^HEAD .*/store \(authentication, before graph <urn:cskg-test:g1>\): "
            r"no complete answer within 0.5 s$",
        ):
            push(small_release, _loopback_target(store.url, timeout=0.5))
        assert time.perf_counter() - began < 2.5


def test_connection_refused(small_release):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(CskgError, match="connection refused"):
        push(small_release, _loopback_target(f"http://127.0.0.1:{port}"))


@pytest.mark.parametrize("method", ["gsp", "update"])
def test_redirect_is_not_followed_and_credentials_stay(small_release, method):
    with LoopbackStore("401") as elsewhere, LoopbackStore("redirect") as store:
        store.redirect_to = elsewhere.url + "/steal"
        target = make_target(
            store.url + "/sparql",
            graph_store=store.url + "/store",
            update=store.url + "/update",
            user=USER,
            password=PASSWORD,
            auth="basic",
        )
        with pytest.raises(CskgError, match=f"redirect to {elsewhere.url}/steal not followed"):
            push(small_release, target, method=method)
        assert elsewhere.requests == []
        # the store itself did get the credentials, after its challenge to the HEAD
        wire = [(m, "Authorization" in h) for m, _, h in store.requests]
        assert wire == [
            ("HEAD", False),
            ("HEAD", True),
            ("PUT" if method == "gsp" else "POST", True),
        ]


def test_credentials_in_the_url_are_refused():
    with pytest.raises(CskgError, match="has credentials in it") as caught:
        make_target(f"http://{USER}:{PASSWORD}@127.0.0.1:1/sparql")
    assert PASSWORD not in str(caught.value)
    assert PASSWORD not in repr(make_target("http://h/sparql", user=USER, password=PASSWORD))


def test_profiles_derive_the_urls():
    virtuoso = make_target("http://h:8890/sparql", profile="virtuoso", user="u", password="p")
    assert (virtuoso.graph_store, virtuoso.update) == (
        "http://h:8890/sparql-graph-crud-auth",
        "http://h:8890/sparql-auth",
    )
    fuseki = make_target("http://h:3030/cskg/sparql", profile="fuseki")
    assert (fuseki.graph_store, fuseki.update) == (
        "http://h:3030/cskg/data",
        "http://h:3030/cskg/update",
    )
    graphdb = make_target("http://h:7200/repositories/cskg", profile="graphdb")
    assert (graphdb.graph_store, graphdb.update) == (
        "http://h:7200/repositories/cskg/rdf-graphs/service",
        "http://h:7200/repositories/cskg/statements",
    )
    generic = make_target("http://h/q")
    assert (generic.graph_store, generic.update) == (None, "http://h/q")


def test_batches_keep_blank_node_clusters_together():
    s, p = ox.NamedNode("urn:s"), ox.NamedNode("urn:p")
    a, b, c = ox.BlankNode("a"), ox.BlankNode("b"), ox.BlankNode("c")
    triples = [ox.Triple(s, p, ox.Literal(str(i))) for i in range(5)]
    triples += [ox.Triple(a, p, b), ox.Triple(b, p, ox.Literal("x")), ox.Triple(s, p, a)]
    triples += [ox.Triple(c, p, s)]
    out = list(batches(triples, 2))
    assert [(len(batch), blank) for batch, blank in out] == [
        (2, False),
        (2, False),
        (1, False),
        (3, True),
        (1, True),
    ]
    assert {t for batch, _ in out for t in batch} == set(triples)
    assert set(out[3][0]) == {triples[5], triples[6], triples[7]}  # a and b: one cluster
    # a graph that fits in one request is one request, blank nodes and all
    [(whole, blank)] = batches(triples, 9)
    assert sorted(map(str, whole)) == sorted(map(str, triples)) and blank
    assert list(batches(triples[:5], 9)) == [(triples[:5], False)]


def test_cli_subprocess_error_has_no_traceback_and_no_secret(small_release):
    env = {**os.environ, "CSKG_TEST_STORE_PASSWORD": PASSWORD}
    with LoopbackStore("401") as store:
        done = subprocess.run(
            [
                *(sys.executable, "-m", "cskg.cli", "--dist", str(small_release.parent)),
                *("push", "--endpoint", store.url + "/sparql", "--graph-store", store.url + "/s"),
                *("--user", USER, "--password-env", "CSKG_TEST_STORE_PASSWORD"),
                *("--auth", "basic"),  # the loopback store asks for Basic
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"cskg: error: PUT {store.url}/s (graph <urn:cskg-test:g1>): HTTP 401 Unauthorized: "
        f"the store rejected the credentials of user '{USER}'\n"
    )
    assert [m for m, _, _ in store.requests] == ["HEAD", "HEAD", "PUT"]
    assert PASSWORD not in done.stderr


def test_cli_option_errors(capsys, small_release, monkeypatch):
    monkeypatch.delenv("CSKG_TEST_UNSET", raising=False)
    base = ["--dist", str(small_release.parent), "push", "--endpoint", "http://127.0.0.1:1/q"]
    assert main([*base, "--user", "u", "--password-env", "CSKG_TEST_UNSET"]) == 2
    assert "environment variable CSKG_TEST_UNSET is not set" in capsys.readouterr().err
    assert main([*base, "--password", PASSWORD]) == 2
    err = capsys.readouterr().err
    assert "a password needs --user" in err and PASSWORD not in err
    assert main([*base, "--method", "gsp"]) == 2
    assert "no graph store URL" in capsys.readouterr().err


@pytest.mark.virtuoso
def test_a_graph_that_comes_back_later_in_the_file_is_added_to(tmp_path):
    """Quads of one graph in two runs (not how `cskg build` writes, but valid N-Quads): the first
    run replaces the graph, the second adds to it, and the counts verify."""
    if not available():
        pytest.skip("virtuoso-t / isql-vt not on PATH (Debian: virtuoso-opensource-7-bin)")
    nquads = tmp_path / "cskg.nq"
    nquads.write_text(
        SMALL_NQ + '<urn:cskg-test:s> <urn:cskg-test:p> "again" <urn:cskg-test:g1> .\n',
        encoding="utf-8",
    )
    server = start_virtuoso()
    try:
        for method in ("gsp", "update"):
            report = push(nquads, virtuoso_target(server), method=method)
            assert (report.ok, report.graphs, report.triples) == (True, 2, 4)
            stored = count_graphs(virtuoso_target(server), ["urn:cskg-test:g1", "urn:cskg-test:g2"])
            assert stored == {"urn:cskg-test:g1": 3, "urn:cskg-test:g2": 1}
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "_:b <urn:cskg-test:p> <urn:cskg-test:o> <urn:cskg-test:g2> .\n",
            "blank node _:b is in graphs",
        ),
        (
            "<urn:cskg-test:s> <urn:cskg-test:p> <urn:cskg-test:o> .\n",
            "triples in the default graph",
        ),
    ],
)
def test_what_a_per_graph_push_cannot_write_is_refused_before_any_request(tmp_path, extra, message):
    nquads = tmp_path / "cskg.nq"
    nquads.write_text(SMALL_NQ + extra, encoding="utf-8")
    with LoopbackStore("accept") as store, pytest.raises(CskgError, match=message):
        push(nquads, _loopback_target(store.url))
    assert store.requests == []
