"""The W3C SPARQL 1.1 Protocol tests (tests/conformance/sparql11-protocol/) against `cskg serve`.

The server runs on a small release made of the suite's own data: data1.nt, data2.nt and data3.nt,
each loaded as the named graph the manifest names it by. Each test's requests are sent as written
(the `/sparql/` prefix of the path replaced by the endpoint's path).

- Query tests pass as the manifest says: status class, result format, boolean.
- Update tests: the endpoint is read-only, so the update request must be refused with a 4xx, and
  the store must hold exactly the same quads afterwards (the manifest's follow-up requests, which
  check that the update took effect, are not sent).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import RunningServer
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection

from cskg.outdir import MARKER, marker_text

SUITE = Path(__file__).parent / "conformance" / "sparql11-protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")

RESULT_TYPES = {
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
}
RDF_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[str]  # "2xx", "4xx", ...
    boolean: bool | None = None
    format: str | None = None

    @property
    def is_update(self) -> bool:
        kind = self.headers.get("content-type", "")
        body = (self.body or b"").decode("utf-8", errors="replace")
        return "sparql-update" in kind or body.startswith("update=") or "?update=" in self.path


@dataclass
class ProtocolTest:
    name: str
    requests: list[Request] = field(default_factory=list)

    @property
    def is_update(self) -> bool:
        """The suite's own division: tests named *update* test the update operation."""
        return "update" in self.name


def load_manifest() -> tuple[list[ProtocolTest], dict[str, Path]]:
    graph = Graph().parse(SUITE / "manifest.ttl", format="turtle")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        test = ProtocolTest(str(entry).rsplit("#", 1)[-1])
        action = graph.value(entry, MF.action)
        for node in Collection(graph, graph.value(action, HT.requests)):
            headers = {}
            header_list = graph.value(node, HT.headers)
            if header_list is not None:
                for header in Collection(graph, header_list):
                    name = str(graph.value(header, HT.fieldName)).lower()
                    headers[name] = str(graph.value(header, HT.fieldValue))
            body = None
            content = graph.value(node, HT.body)
            if content is not None:
                encoding = str(graph.value(content, CNT.characterEncoding) or "UTF-8")
                body = str(graph.value(content, CNT.chars)).encode(encoding)
            response = graph.value(node, HT.resp)
            statuses = {
                str(s).rsplit("StatusCode", 1)[-1]
                for s in graph.objects(response, MF.expectedStatus)
            }
            boolean = graph.value(response, MF.expectedBoolean)
            fmt = graph.value(response, MF.expectedFormat)
            test.requests.append(
                Request(
                    method=str(graph.value(node, HT.methodName)),
                    path=str(graph.value(node, HT.absolutePath)),
                    headers=headers,
                    body=body,
                    statuses=statuses,
                    boolean=None if boolean is None else bool(boolean.toPython()),
                    format=None if fmt is None else str(fmt),
                )
            )
        tests.append(test)
    # the data files, by the graph IRI the manifest gives them
    data = {}
    for graph_data in graph.objects(None, UT.graphData):
        file = graph.value(graph_data, UT.graph)
        label = graph.value(graph_data, RDFS.label)
        if isinstance(file, URIRef) and label is not None:
            data[str(label)] = SUITE / str(file).rsplit("/", 1)[-1]
    return tests, data


TESTS, DATA = load_manifest()


def test_the_manifest_is_read_in_full() -> None:
    assert len(TESTS) == 34
    assert sum(not t.is_update for t in TESTS) == 20
    assert all(
        t.requests[0].is_update or t.name == "bad_update_wrong_media_type"
        for t in TESTS
        if t.is_update
    )
    assert sum(t.is_update for t in TESTS) == 14
    assert {p.name for p in DATA.values()} == {"data1.nt", "data2.nt", "data3.nt"}
    assert DATA["http://kasei.us/2009/09/sparql/data/data1.rdf"].name == "data1.nt"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    dist = tmp_path_factory.mktemp("protocol") / "dist"
    dist.mkdir()
    store = ox.Store(str(dist / "store"))
    for iri, path in DATA.items():
        store.load(path=str(path), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(iri))
    store.flush()
    del store
    (dist / MARKER).write_bytes(marker_text("release"))  # a release, as cskg build marks it
    running = RunningServer(dist)
    yield running.url + "/sparql"
    running.close()


def all_quads(endpoint: str) -> set[str]:
    response = httpx.get(
        endpoint,
        params={"query": "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"},
        headers={"Accept": "text/tab-separated-values"},
    )
    assert response.status_code == 200
    return set(response.text.splitlines()[1:])


def send(endpoint: str, request: Request) -> httpx.Response:
    assert request.path.startswith("/sparql/")
    url = endpoint + request.path[len("/sparql/") :]
    return httpx.request(
        request.method, url, content=request.body, headers=request.headers, timeout=30
    )


def check_response(response: httpx.Response, request: Request) -> None:
    status_class = f"{response.status_code // 100}xx"
    assert status_class in request.statuses, (response.status_code, response.text)
    if status_class != "2xx":
        return
    media = response.headers["content-type"].split(";")[0].strip()
    if request.format == "boolean":
        assert media in RESULT_TYPES
    if request.format == "tabular":
        assert media in RESULT_TYPES
    if request.format == "RDF":
        assert media in RDF_TYPES
        list(ox.parse(response.content, format=RDF_TYPES[media]))  # it parses
    if request.boolean is not None:
        assert media == "application/sparql-results+json"
        assert json.loads(response.content)["boolean"] is request.boolean


@pytest.mark.parametrize("test", [t for t in TESTS if not t.is_update], ids=lambda t: t.name)
def test_query(endpoint: str, test: ProtocolTest) -> None:
    for request in test.requests:
        check_response(send(endpoint, request), request)


@pytest.mark.parametrize("test", [t for t in TESTS if t.is_update], ids=lambda t: t.name)
def test_update_is_refused_and_changes_nothing(endpoint: str, test: ProtocolTest) -> None:
    before = all_quads(endpoint)
    assert len(before) == sum(len(p.read_text().splitlines()) for p in DATA.values())
    update = test.requests[0]  # the update; the others would check that it took effect
    response = send(endpoint, update)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert all_quads(endpoint) == before
