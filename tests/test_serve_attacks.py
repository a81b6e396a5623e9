"""Hostile requests to `cskg serve`, each asserting the safe outcome.

The server here runs with a 2 s query timeout (the default is 10 s) so that runaway queries are
stopped quickly; everything else is at its default.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import REAL_ROOT, RunningServer
from utils.loopback import Listener

from cskg.query.library import load_library

TIMEOUT = 2.0
CSKG = "PREFIX cskg: <https://w3id.org/cskg/ontology#>\n"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
# every node reaches every other; chained twice this is millions of pairs (about 10 s alone)
ANY_PATH = (
    CSKG + "SELECT (COUNT(*) AS ?n) WHERE { ?a (cskg:partOf|!cskg:partOf)* ?b . "
    "?b (cskg:partOf|!cskg:partOf)* ?c }"
)
QUICK = CSKG + "SELECT (COUNT(*) AS ?n) WHERE { ?x a cskg:Agency }"


@pytest.fixture(scope="module")
def endpoint(release: Path) -> Iterator[str]:
    running = RunningServer(release, "--timeout", str(TIMEOUT))
    yield running.url + "/sparql"
    running.close()


def agency_count(endpoint: str) -> int:
    response = httpx.get(endpoint, params={"query": QUICK}, timeout=10)
    assert response.status_code == 200
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


@pytest.mark.slow
@pytest.mark.parametrize("runaway", [CARTESIAN, ANY_PATH], ids=["cartesian", "any-path"])
def test_runaway_query_is_stopped_while_others_are_served(endpoint: str, runaway: str) -> None:
    expected = agency_count(endpoint)
    assert expected > 5
    outcome: dict[str, object] = {}

    def run() -> None:
        started = time.monotonic()
        response = httpx.post(endpoint, data={"query": runaway}, timeout=30)
        outcome["status"], outcome["text"] = response.status_code, response.text
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.3)  # the runaway query now holds a worker
    for _ in range(5):
        started = time.monotonic()
        assert agency_count(endpoint) == expected
        assert time.monotonic() - started < 1.0
    thread.join()
    assert outcome["status"] == 503
    assert f"limit of {TIMEOUT:g} s" in str(outcome["text"])
    assert TIMEOUT <= float(outcome["seconds"]) < TIMEOUT + 3  # type: ignore[arg-type]
    # the stopped worker has been replaced: two queries in parallel both answer
    with httpx.Client(timeout=10) as client:
        results = []
        threads = [
            threading.Thread(target=lambda: results.append(agency_count(endpoint)))
            for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        del client
    assert results == [expected] * 4


@pytest.mark.slow
def test_client_timeout_parameter_cannot_raise_the_limit(endpoint: str) -> None:
    started = time.monotonic()
    response = httpx.get(endpoint, params={"query": CARTESIAN, "timeout": "99999"}, timeout=30)
    assert response.status_code == 503
    assert time.monotonic() - started < TIMEOUT + 3


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", "uses SERVICE"),
        ("select * where {{ service silent <{url}> {{ ?s ?p ?o }} }}", "uses SERVICE"),
        # rdflib would read the escape as SERVICE, pyoxigraph would not: such text is refused
        ("SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}", "a \\u escape outside"),
        ("SELECT * WHERE {{ BIND(<{url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}", "uses SERVICE"),
    ],
    ids=["upper", "lower-silent", "escaped", "variable"],
)
def test_service_never_reaches_the_network(
    endpoint: str, listener: Listener, template: str, reason: str
) -> None:
    url = f"http://127.0.0.1:{listener.port}/sparql"
    response = httpx.get(endpoint, params={"query": template.format(url=url)}, timeout=10)
    assert response.status_code == 400
    assert reason in response.text
    time.sleep(0.3)
    assert listener.received == []


def test_from_a_url_or_file_reads_nothing(endpoint: str, listener: Listener) -> None:
    url = f"http://127.0.0.1:{listener.port}/data.ttl"
    for query in (
        "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
        "SELECT * FROM NAMED <file:///etc/passwd> WHERE { GRAPH ?g { ?s ?p ?o } }",
        f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
    ):
        response = httpx.get(endpoint, params={"query": query}, timeout=10)
        assert response.status_code == 200
        assert response.json()["results"]["bindings"] == []
        assert "root:" not in response.text
    response = httpx.get(
        endpoint,
        params={"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": "file:///etc/passwd"},
        timeout=10,
    )
    assert response.json()["results"]["bindings"] == []
    time.sleep(0.3)
    assert listener.received == []


def _send_big_body(url: str, headers: str, chunks: Iterator[bytes]) -> tuple[bytes, int]:
    """Send a request with a huge body chunk by chunk; stop when the server answers.

    Returns the start of the response and how many body bytes went out.
    """
    parts = urllib.parse.urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    sock.sendall(headers.encode())
    sent = 0
    sock.setblocking(False)
    response = b""
    try:
        for chunk in chunks:
            with contextlib.suppress(BlockingIOError):
                response += sock.recv(65536)
            if response:
                break
            try:
                sock.sendall(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        sock.setblocking(True)
        sock.settimeout(10)
        while b"\r\n\r\n" not in response:
            data = sock.recv(65536)
            if not data:
                break
            response += data
    finally:
        sock.close()
    return response, sent


SIZE = 200 * 1024 * 1024
CHUNK = b"x" * 65536


def test_a_200_mb_body_with_its_length_is_refused_before_it_is_read(endpoint: str) -> None:
    path = urllib.parse.urlsplit(endpoint).path
    headers = (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Type: application/sparql-query\r\n"
        f"Content-Length: {SIZE}\r\n\r\n"
    )
    response, sent = _send_big_body(endpoint, headers, (CHUNK for _ in range(SIZE // len(CHUNK))))
    assert response.startswith(b"HTTP/1.1 413 ")
    assert sent < 20 * 1024 * 1024  # refused long before the end
    assert agency_count(endpoint) > 0


def test_a_200_mb_chunked_body_is_refused_once_over_the_limit(endpoint: str) -> None:
    path = urllib.parse.urlsplit(endpoint).path
    headers = (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    framed = b"%x\r\n" % len(CHUNK) + CHUNK + b"\r\n"
    response, sent = _send_big_body(endpoint, headers, (framed for _ in range(SIZE // len(CHUNK))))
    assert response.startswith(b"HTTP/1.1 413 ")
    assert sent < 20 * 1024 * 1024


def test_200_deep_nesting_is_400(endpoint: str) -> None:
    query = "SELECT * WHERE " + "{ " * 200 + "?s ?p ?o " + "} " * 200
    response = httpx.post(
        endpoint, content=query, headers={"Content-Type": "application/sparql-query"}, timeout=10
    )
    assert response.status_code == 400
    assert "nests 200 levels" in response.text
    parenthesised = "SELECT * WHERE { FILTER(" + "(" * 200 + "1" + ")" * 200 + ") }"
    response = httpx.get(endpoint, params={"query": parenthesised}, timeout=10)
    assert response.status_code == 400
    assert agency_count(endpoint) > 0


@pytest.mark.slow
def test_50_parallel_clients_for_10_s_while_a_query_runs_away(endpoint: str) -> None:
    # the examples: a parametrised query unbound would be a runaway of its own
    queries = [q.example_text for q in load_library(REAL_ROOT / "queries")]
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    runaway: Counter[int] = Counter()
    lock = threading.Lock()
    stop = time.monotonic() + 10

    def client(n: int) -> None:
        with httpx.Client(timeout=30) as session:
            i = n
            while time.monotonic() < stop:
                try:
                    response = session.post(endpoint, data={"query": queries[i % len(queries)]})
                except httpx.HTTPError as error:
                    with lock:
                        errors.append(repr(error))
                    continue
                with lock:
                    statuses[response.status_code] += 1
                i += 1

    def attacker() -> None:
        with httpx.Client(timeout=30) as session:
            while time.monotonic() < stop:
                response = session.get(endpoint, params={"query": CARTESIAN})
                runaway[response.status_code] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(50)]
    threads.append(threading.Thread(target=attacker))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert set(statuses) == {200}
    assert statuses[200] > 500  # every client was served many times
    assert runaway[503] >= 3 and set(runaway) == {503}
