"""The SPARQL 1.1 Protocol endpoint of `cskg serve`, on loopback, against the real release.

Answers are compared with what the release's own store gives for the same query, read back from
each result format with SPARQLWrapper (as any client would) or parsed from the raw bytes.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import REAL_ROOT, RunningServer
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from utils.expected import canonical

from cskg.query.engines import EmbeddedStore
from cskg.query.library import load_library
from cskg.query.model import Term
from cskg.query.remote import parse_sparql_json

CSKG = "https://w3id.org/cskg/"
MIIT = CSKG + "id/agency/miit"
AGENCIES = f"""
PREFIX cskg: <{CSKG}ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?agency ?label WHERE {{
  ?agency a cskg:Agency ; rdfs:label ?label . FILTER(lang(?label) = "en")
}} ORDER BY ?agency ?label
"""
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
DESCRIBE_MIIT = f"CONSTRUCT {{ <{MIIT}> ?p ?o }} WHERE {{ <{MIIT}> ?p ?o }}"


@pytest.fixture(scope="module")
def store(release: Path) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(release / "store") as opened:
        yield opened


@pytest.fixture(scope="module")
def endpoint(server: str) -> str:
    return server + "/sparql"


def wrapper(endpoint: str, query: str, fmt: str, method: str = "GET") -> SPARQLWrapper:
    client = SPARQLWrapper(endpoint)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    return client


def triples_of(data: bytes, fmt: ox.RdfFormat) -> set[tuple[str, str, str]]:
    return {(str(t.subject), str(t.predicate), str(t.object)) for t in ox.parse(data, format=fmt)}


def expected_triples(store: EmbeddedStore, query: str) -> set[tuple[str, str, str]]:
    return {tuple(term.n3() for term in triple) for triple in store.query(query).triples}  # type: ignore[misc]


# -- every result format through SPARQLWrapper -------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_select_json_matches_the_store(endpoint: str, store: EmbeddedStore, method: str) -> None:
    expected = store.query(AGENCIES)
    assert any(row[0].value == MIIT for row in expected.rows)  # the query is not vacuous
    answer = wrapper(endpoint, AGENCIES, JSON, method).query()
    assert answer.response.headers["Content-Type"].startswith("application/sparql-results+json")
    got = parse_sparql_json(answer.response.read())
    assert canonical(got) == canonical(expected)


def test_select_xml_matches_the_store(endpoint: str, store: EmbeddedStore) -> None:
    expected = store.query(AGENCIES)
    document = wrapper(endpoint, AGENCIES, XML).query().convert()
    ns = "{http://www.w3.org/2005/sparql-results#}"
    rows = set()
    for result in document.getElementsByTagNameNS(ns[1:-1], "result"):
        cells = {}
        for binding in result.getElementsByTagNameNS(ns[1:-1], "binding"):
            cells[binding.getAttribute("name")] = binding.firstChild.firstChild.nodeValue
        rows.add((cells["agency"], cells["label"]))
    assert rows == {(row[0].value, row[1].value) for row in expected.rows}


def test_select_csv_and_tsv_match_the_store(endpoint: str, store: EmbeddedStore) -> None:
    expected = store.query(AGENCIES)
    text = wrapper(endpoint, AGENCIES, CSV).query().convert().decode("utf-8")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["agency", "label"]
    assert {tuple(r) for r in table[1:]} == {(r[0].value, r[1].value) for r in expected.rows}
    text = wrapper(endpoint, AGENCIES, TSV).query().convert().decode("utf-8")
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "?agency\t?label"
    assert set(lines[1:]) == {f"{r[0].n3()}\t{r[1].n3()}" for r in expected.rows}


def test_ask_in_json_and_xml(endpoint: str) -> None:
    assert wrapper(endpoint, f"ASK {{ <{MIIT}> ?p ?o }}", JSON).query().convert() == {
        "head": {},
        "boolean": True,
    }
    document = wrapper(endpoint, "ASK { <urn:nothing> ?p ?o }", XML).query().convert()
    assert document.getElementsByTagName("boolean")[0].firstChild.nodeValue == "false"


@pytest.mark.parametrize(
    ("fmt", "media", "rdf_format"),
    [
        (TURTLE, "text/turtle", ox.RdfFormat.TURTLE),
        (N3, "text/turtle", ox.RdfFormat.TURTLE),  # SPARQLWrapper's N3 accepts Turtle first
        (RDFXML, "application/rdf+xml", ox.RdfFormat.RDF_XML),
        (JSONLD, "application/ld+json", ox.RdfFormat.JSON_LD),
    ],
)
def test_construct_in_every_graph_format(
    endpoint: str, store: EmbeddedStore, fmt: str, media: str, rdf_format: ox.RdfFormat
) -> None:
    expected = expected_triples(store, DESCRIBE_MIIT)
    assert (f"<{MIIT}>", "<http://www.w3.org/2000/01/rdf-schema#label>") in {
        t[:2] for t in expected
    }
    response = wrapper(endpoint, DESCRIBE_MIIT, fmt).query().response
    assert response.headers["Content-Type"].split(";")[0] == media
    assert triples_of(response.read(), rdf_format) == expected


def test_construct_as_ntriples_by_accept(endpoint: str, store: EmbeddedStore) -> None:
    response = httpx.get(
        endpoint, params={"query": DESCRIBE_MIIT}, headers={"Accept": "application/n-triples"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == "application/n-triples"
    assert triples_of(response.content, ox.RdfFormat.N_TRIPLES) == expected_triples(
        store, DESCRIBE_MIIT
    )


def assert_answers_as_the_store(endpoint: str, store: EmbeddedStore, text: str) -> None:
    expected = store.query(text)
    response = httpx.post(
        endpoint,
        content=text.encode("utf-8"),
        headers={
            "Content-Type": "application/sparql-query",
            "Accept": "application/n-triples, application/sparql-results+json;q=0.9",
        },
    )
    assert response.status_code == 200, response.text
    if expected.kind == "graph":
        got = {t for t in triples_of(response.content, ox.RdfFormat.N_TRIPLES)}
        assert got == {tuple(x.n3() for x in t) for t in expected.triples}
    else:
        assert canonical(parse_sparql_json(response.content)) == canonical(expected)


@pytest.mark.parametrize("query", load_library(REAL_ROOT / "queries"), ids=lambda q: q.name)
def test_every_library_query_answers_as_the_store_does(
    endpoint: str, store: EmbeddedStore, query: object
) -> None:
    assert_answers_as_the_store(endpoint, store, query.example_text)  # type: ignore[attr-defined]


# -- `--memory`: the workers hold the release in memory -----------------------------------------


@pytest.fixture(scope="module")
def memory_endpoint(release: Path) -> Iterator[str]:
    running = RunningServer(release, "--memory")
    yield running.url + "/sparql"
    running.close()


@pytest.mark.parametrize("query", load_library(REAL_ROOT / "queries"), ids=lambda q: q.name)
def test_every_library_query_answers_the_same_from_memory(
    memory_endpoint: str, store: EmbeddedStore, query: object
) -> None:
    assert_answers_as_the_store(memory_endpoint, store, query.example_text)  # type: ignore[attr-defined]


def test_the_protocols_dataset_applies_in_memory(memory_endpoint: str, store: EmbeddedStore):
    curation = CSKG + "graph/curation"
    expected = store.query(f"SELECT DISTINCT ?s WHERE {{ GRAPH <{curation}> {{ ?s ?p ?o }} }}")
    response = httpx.get(
        memory_endpoint,
        params={"query": "SELECT DISTINCT ?s WHERE { ?s ?p ?o }", "default-graph-uri": curation},
    )
    assert canonical(parse_sparql_json(response.content)) == canonical(expected)


def test_memory_workers_load_the_releases_nquads(release: Path, tmp_path: Path) -> None:
    # A quad added to cskg.nq alone (not to store/) tells which one the workers read.
    copy = tmp_path / "dist"
    shutil.copytree(release, copy)
    marker = CSKG + "id/test/only-in-nquads"
    with (copy / "cskg.nq").open("a", encoding="utf-8") as nquads:
        nquads.write(f'<{marker}> <{RDFS_LABEL}> "marker" <{CSKG}graph/test> .\n')
    ask = f"ASK {{ <{marker}> ?p ?o }}"
    answers = {}
    for options in ((), ("--memory",)):
        running = RunningServer(copy, *options)
        try:
            answers[options] = httpx.get(running.url + "/sparql", params={"query": ask}).json()
        finally:
            running.close()
    assert answers == {
        (): {"head": {}, "boolean": False},
        ("--memory",): {"head": {}, "boolean": True},
    }


# -- the protocol: dataset, negotiation, errors --------------------------------------------------


def test_default_graph_uri_selects_one_of_the_stores_graphs(
    endpoint: str, store: EmbeddedStore
) -> None:
    query = "SELECT DISTINCT ?s WHERE { ?s ?p ?o } ORDER BY ?s"
    curation = CSKG + "graph/curation"
    expected = store.query(f"SELECT DISTINCT ?s WHERE {{ GRAPH <{curation}> {{ ?s ?p ?o }} }}")
    assert expected.rows
    response = httpx.get(endpoint, params={"query": query, "default-graph-uri": curation})
    got = parse_sparql_json(response.content)
    assert canonical(got) == canonical(expected)
    everything = parse_sparql_json(httpx.get(endpoint, params={"query": query}).content)
    assert len(everything.rows) > len(got.rows)


def test_named_graph_uri_restricts_graph_patterns(endpoint: str) -> None:
    curation = CSKG + "graph/curation"
    response = httpx.post(
        endpoint,
        data={
            "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
            "named-graph-uri": curation,
        },
    )
    assert parse_sparql_json(response.content).rows == [(Term.iri(curation),)]


def test_a_graph_the_store_lacks_is_empty_not_fetched(endpoint: str, listener: object) -> None:
    url = f"http://127.0.0.1:{listener.port}/data.ttl"  # type: ignore[attr-defined]
    for params in (
        {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": url},
        {"query": f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}"},
        {"query": "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }"},
    ):
        response = httpx.get(endpoint, params=params)
        assert response.status_code == 200
        assert response.json()["results"]["bindings"] == []
    assert listener.received == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("application/json", "application/sparql-results+json"),
        ("text/*", "text/csv"),
        ("text/csv;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
        ("application/sparql-results+xml, */*;q=0.1", "application/sparql-results+xml"),
    ],
)
def test_accept_negotiation_for_results(endpoint: str, accept: str | None, media: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = httpx.get(endpoint, params={"query": AGENCIES}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    assert response.headers["vary"] == "Accept"


@pytest.mark.parametrize(
    ("query", "accept"),
    [(AGENCIES, "text/turtle"), (AGENCIES, "image/png"), (DESCRIBE_MIIT, "text/csv")],
)
def test_unsupported_accept_is_406(endpoint: str, query: str, accept: str) -> None:
    response = httpx.get(endpoint, params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 406
    assert "available as" in response.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        # balanced brackets, bad grammar: the engine's parser says where
        ("SELECT ?s WHERE { ?s ?p }", "line 1, column 26: syntax error at the end of the query"),
        # a bracket never closed: the tokenizer says so before any parser runs
        ("SELECT ?s WHERE { ?s ?p ?o", "line 1, column 17: this bracket is never closed"),
    ],
)
def test_syntax_error_is_400_with_the_parsers_message(
    endpoint: str, query: str, message: str
) -> None:
    response = httpx.get(endpoint, params={"query": query})
    assert response.status_code == 400
    assert response.text.startswith(message), response.text


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b"ASK {}"),
        ("application/json", b'{"query": "ASK {}"}'),
        (None, b"query=ASK%20%7B%7D"),
        ("application/sparql-query; charset=UTF-16", "ASK {}".encode("utf-16")),
    ],
)
def test_wrong_content_type_is_415(endpoint: str, content_type: str | None, body: bytes) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = httpx.post(endpoint, content=body, headers=headers)
    assert response.status_code == 415


def test_two_queries_is_400(endpoint: str) -> None:
    response = httpx.get(endpoint + "?query=ASK%20%7B%7D&query=ASK%20%7B%7D")
    assert response.status_code == 400


UPDATE = f'INSERT DATA {{ <{MIIT}> <http://www.w3.org/2000/01/rdf-schema#label> "hacked" }}'


@pytest.mark.parametrize(
    "send",
    [
        lambda e: httpx.post(
            e, content=UPDATE, headers={"Content-Type": "application/sparql-update"}
        ),
        lambda e: httpx.post(e, data={"update": UPDATE}),
        lambda e: httpx.get(e, params={"update": UPDATE}),
        lambda e: httpx.get(e, params={"query": UPDATE}),
        lambda e: httpx.post(
            e, content=UPDATE, headers={"Content-Type": "application/sparql-query"}
        ),
        lambda e: httpx.put(e, content=b"<a> <b> <c> .", headers={"Content-Type": "text/turtle"}),
        lambda e: httpx.delete(e + "?graph=" + urllib.parse.quote(CSKG + "graph/curation")),
    ],
    ids=["direct", "form", "get-update", "get-query", "as-query", "put", "delete"],
)
def test_updates_and_graph_store_writes_are_403_and_never_applied(endpoint: str, send) -> None:  # type: ignore[no-untyped-def]
    response = send(endpoint)
    assert response.status_code == 403
    assert "read-only" in response.text
    check = httpx.get(endpoint, params={"query": 'ASK { ?s ?p "hacked" }'})
    assert check.json()["boolean"] is False
    graphs = httpx.get(
        endpoint, params={"query": f"ASK {{ GRAPH <{CSKG}graph/curation> {{ ?s ?p ?o }} }}"}
    )
    assert graphs.json()["boolean"] is True


def test_service_description(endpoint: str) -> None:
    response = httpx.get(endpoint, headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = ox.Store()
    graph.load(response.content, format=ox.RdfFormat.TURTLE)
    sd = "http://www.w3.org/ns/sparql-service-description#"
    rows = graph.query(
        f"SELECT ?e ?lang WHERE {{ ?s a <{sd}Service> ; <{sd}endpoint> ?e ; "
        f"<{sd}supportedLanguage> ?lang }}"
    )
    assert [(r["e"].value, r["lang"].value) for r in rows] == [(endpoint, sd + "SPARQL11Query")]
    formats = {r["f"].value for r in graph.query(f"SELECT ?f WHERE {{ ?s <{sd}resultFormat> ?f }}")}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_JSON" in formats
    assert "http://www.w3.org/ns/formats/RDF_XML" in formats
    as_jsonld = httpx.get(endpoint, headers={"Accept": "application/ld+json"})
    assert as_jsonld.headers["content-type"].startswith("application/ld+json")

    # blank nodes get new labels in each document: compare without them
    def named(triples: set[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
        return {t for t in triples if not any(x.startswith("_:") for x in t)}

    assert named(triples_of(as_jsonld.content, ox.RdfFormat.JSON_LD)) == named(
        triples_of(response.content, ox.RdfFormat.TURTLE)
    )


def test_cors_for_sparql(endpoint: str) -> None:
    response = httpx.get(
        endpoint, params={"query": "ASK {}"}, headers={"Origin": "https://elsewhere.example"}
    )
    assert response.headers["access-control-allow-origin"] == "*"
    preflight = httpx.options(
        endpoint,
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-methods"] == "GET, POST"
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    refused = httpx.put(endpoint, headers={"Origin": "https://elsewhere.example"})
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers


# -- the row cap is never silent ----------------------------------------------------------------


@pytest.fixture(scope="module")
def capped(release: Path) -> Iterator[str]:
    running = RunningServer(release, "--max-rows", "50")
    yield running.url + "/sparql"
    running.close()


def test_a_capped_answer_says_so_in_every_format(capped: str, store: EmbeddedStore) -> None:
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    assert len(store.query(query).rows) > 50
    answer = httpx.get(capped, params={"query": query})
    assert answer.status_code == 200
    assert answer.headers["cskg-results-truncated"] == "50"
    doc = answer.json()
    assert len(doc["results"]["bindings"]) == 50
    assert doc["cskg:truncated"]["limit"] == 50
    xml = httpx.get(
        capped, params={"query": query}, headers={"Accept": "application/sparql-results+xml"}
    )
    assert xml.headers["cskg-results-truncated"] == "50"
    assert "cut at this endpoint's limit of 50 rows" in xml.text
    root = ET.fromstring(xml.content)
    assert len(root.findall(".//{http://www.w3.org/2005/sparql-results#}result")) == 50
    for accept in ("text/csv", "text/tab-separated-values"):
        table = httpx.get(capped, params={"query": query}, headers={"Accept": accept})
        assert table.headers["cskg-results-truncated"] == "50"
        assert len(table.text.strip().splitlines()) == 51
    graph = httpx.get(capped, params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
    assert graph.headers["cskg-results-truncated"] == "50"
    assert len(triples_of(graph.content, ox.RdfFormat.TURTLE)) == 50


def test_an_answer_within_the_cap_is_not_marked(capped: str) -> None:
    answer = httpx.get(capped, params={"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 50"})
    assert "cskg-results-truncated" not in answer.headers
    assert "cskg:truncated" not in answer.json()
    assert len(answer.json()["results"]["bindings"]) == 50


def test_json_answers_parse(endpoint: str) -> None:
    assert json.loads(httpx.get(endpoint, params={"query": "ASK {}"}).content)["boolean"] is True
