"""Dereferenceable IRIs and HTML pages of `cskg serve`, on the real server over loopback.

Expected values are computed from the release's store (pyoxigraph) and compared with what the
server sends, reloaded with rdflib.
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from conftest import RunningServer, named_quads
from markupsafe import escape
from poisoned import EVIL, JS_IRI, SCRIPT, write_poisoned_release
from utils.loopback import plain_request

from cskg.vocab import CSKG, GRAPH_CURATION, GRAPH_ONTOLOGY

MIIT = "https://w3id.org/cskg/id/agency/miit"
RDF_FORMATS = {  # extension: (Accept, rdflib parser)
    "ttl": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "nt": ("application/n-triples", "nt"),
    "rdf": ("application/rdf+xml", "xml"),
    "trig": ("application/trig", "trig"),
    "nq": ("application/n-quads", "nquads"),
}


get = plain_request


@pytest.fixture(scope="module")
def store(release: Path) -> Iterator[ox.Store]:
    opened = ox.Store.read_only(str(release / "store"))
    yield opened
    del opened


def quads_about(store: ox.Store, iri: str) -> set[ox.Quad]:
    node = ox.NamedNode(iri)
    return set(named_quads(store, node, None, None, None)) | set(
        named_quads(store, None, None, node, None)
    )


def rdflib_triples(graph: rdflib.Graph) -> set[tuple[str, str, str]]:
    return {(s.n3(), p.n3(), o.n3()) for s, p, o in graph}


def ox_triple(quad: ox.Quad) -> tuple[str, str, str]:
    """The same N-Triples-like key as rdflib's n3() for IRIs and literals."""
    graph = rdflib.Graph()
    graph.parse(data=ox.serialize([quad.triple], format=ox.RdfFormat.N_TRIPLES), format="nt")
    (s, p, o) = next(iter(graph))
    return (s.n3(), p.n3(), o.n3())


@pytest.mark.parametrize("ext", list(RDF_FORMATS))
def test_negotiation_redirects_303_and_the_document_holds_the_description(
    server: str, store: ox.Store, ext: str
) -> None:
    accept, parser = RDF_FORMATS[ext]
    status, headers, _ = get(server, "/id/agency/miit", accept)
    assert status == 303
    assert headers["location"] == f"{server}/id/agency/miit.{ext}"
    assert "accept" in headers["vary"].lower()
    status, headers, body = get(server, urllib.parse.urlsplit(headers["location"]).path)
    assert status == 200
    assert headers["content-type"].split(";")[0] == accept
    assert headers["access-control-allow-origin"] == "*"
    if ext in ("trig", "nq"):
        dataset = rdflib.Dataset()
        dataset.parse(data=body, format=parser)
        got = {
            (s.n3(), p.n3(), o.n3(), g.n3())
            for s, p, o, g in dataset.quads((None, None, None, None))
            if g != dataset.default_graph.identifier
        }
        expected = {(*ox_triple(q), f"<{q.graph_name.value}>") for q in quads_about(store, MIIT)}
    else:
        graph = rdflib.Graph()
        graph.parse(data=body, format=parser)
        got = rdflib_triples(graph)
        expected = {ox_triple(q) for q in quads_about(store, MIIT)}
    assert expected  # the agency is described in the release
    assert expected <= got


def test_turtle_carries_the_evidence_of_each_statement(server: str, store: ox.Store) -> None:
    _, _, body = get(server, "/id/agency/miit.ttl")
    graph = rdflib.Graph().parse(data=body, format="turtle")
    evidence = {
        q.graph_name.value
        for q in quads_about(store, MIIT)
        if q.graph_name.value.startswith("https://w3id.org/cskg/graph/evidence/")
    }
    assert evidence
    for name in evidence:
        quote = named_quads(store, ox.NamedNode(name), ox.NamedNode(CSKG + "quote"), None, None)[0]
        assert (
            rdflib.URIRef(name),
            rdflib.URIRef(CSKG + "quote"),
            rdflib.Literal(quote.object.value, lang="en"),
        ) in graph


@pytest.mark.parametrize(
    ("accept", "ext"),
    [
        (None, "html"),
        ("*/*", "html"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"),
        ("text/turtle;q=0.5, application/ld+json", "jsonld"),
        ("application/json", "jsonld"),
        ("text/*", "html"),
    ],
)
def test_accept_header_choice(server: str, accept: str | None, ext: str) -> None:
    status, headers, _ = get(server, "/id/agency/miit", accept)
    assert (status, headers["location"]) == (303, f"{server}/id/agency/miit.{ext}")


def test_unsupported_accept_is_406_listing_the_documents(server: str) -> None:
    status, headers, body = get(server, "/id/agency/miit", "image/png")
    assert status == 406
    assert "accept" in headers["vary"].lower()
    assert f"{server}/id/agency/miit.ttl".encode() in body


@pytest.mark.parametrize(
    "path",
    [
        "/id/agency/no-such-agency",
        "/id/agency/miit.exe",
        "/graph/evidence/nothing-here",
        "/id/../../etc/passwd",
        "/id/%2e%2e/%2e%2e/etc/passwd",
        "/id/agency/..%2f..%2f..%2fetc%2fpasswd",
        "/dumps/../cskg.nq",
        "/dumps/%2e%2e%2fbuild.json",
        "/dumps/build.json",
        "/dist/store",
        "/instances/cskg/NoSuchClass",
    ],
)
def test_unknown_iris_and_traversal_are_404(server: str, path: str) -> None:
    status, _, body = get(server, path)
    assert status in (404, 400)
    assert b"root:" not in body and b'"version"' not in body


def test_every_evidence_graph_and_the_ontology_dereference(server: str, store: ox.Store) -> None:
    name = next(
        g.value
        for g in store.named_graphs()
        if g.value.startswith("https://w3id.org/cskg/graph/evidence/")
    )
    path = name.removeprefix("https://w3id.org/cskg")
    status, headers, _ = get(server, path, "text/turtle")
    assert (status, headers["location"]) == (303, server + path + ".ttl")
    _, _, body = get(server, path + ".trig")
    dataset = rdflib.Dataset().parse(data=body, format="trig")
    contents = {ox_triple(q) for q in named_quads(store, None, None, None, ox.NamedNode(name))}
    got = {(s.n3(), p.n3(), o.n3()) for s, p, o, g in dataset.quads() if str(g) == name}
    assert contents == got  # the graph's own statements, with their graph name

    status, headers, _ = get(server, "/ontology", "text/turtle")
    assert (status, headers["location"]) == (303, server + "/ontology.ttl")
    _, _, body = get(server, "/ontology.ttl")
    ontology = rdflib.Graph().parse(data=body, format="turtle")
    expected = {
        ox_triple(q) for q in named_quads(store, None, None, None, ox.NamedNode(GRAPH_ONTOLOGY))
    }
    # blank nodes are relabelled: compare the ground triples
    assert {t for t in expected if "_:" not in "".join(t)} == {
        t for t in rdflib_triples(ontology) if "_:" not in "".join(t)
    }


def test_ontology_page_has_an_anchor_per_term(server: str, store: ox.Store) -> None:
    _, _, body = get(server, "/ontology.html")
    html = body.decode()
    terms = {
        q.subject.value
        for q in named_quads(store, None, None, None, ox.NamedNode(GRAPH_ONTOLOGY))
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(CSKG)
    }
    assert "https://w3id.org/cskg/ontology#Policy" in terms
    for term in terms:
        assert f'id="{term.removeprefix(CSKG)}"' in html, term


def test_resource_page_shows_labels_statements_evidence_and_incoming(
    server: str, store: ox.Store
) -> None:
    status, headers, body = get(server, "/id/agency/miit.html")
    assert status == 200 and headers["content-type"].startswith("text/html")
    html = body.decode()
    node = ox.NamedNode(MIIT)
    labels = {
        q.object.language: q.object.value
        for q in named_quads(
            store, node, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), None, None
        )
    }
    assert f'id="label-en">{escape(labels["en"])}<' in html
    assert f'id="label-zh">{escape(labels["zh"])}<' in html
    for quad in named_quads(store, node, None, None, None):
        graph = quad.graph_name.value
        if graph.startswith("https://w3id.org/cskg/graph/evidence/"):
            quote = named_quads(store, quad.graph_name, ox.NamedNode(CSKG + "quote"), None, None)[0]
            assert f'<q translate="no">{escape(quote.object.value)}</q>' in html
    if any(
        q.graph_name.value == GRAPH_CURATION for q in named_quads(store, node, None, None, None)
    ):
        assert '<span class="badge editorial">editorial</span>' in html
    incoming = html.split('id="incoming"')[1]
    for quad in named_quads(store, None, None, node, None):
        if isinstance(quad.subject, ox.NamedNode) and quad.subject.value.startswith(
            "https://w3id.org/cskg/"
        ):
            local = quad.subject.value.removeprefix("https://w3id.org/cskg")
            assert f'href="{server}{local}"' in incoming
    for ext in RDF_FORMATS:
        assert f'href="{server}/id/agency/miit.{ext}"' in html


def test_home_page_counts_and_class_lists(server: str, release: Path, store: ox.Store) -> None:
    counts = json.loads((release / "build.json").read_text())["counts"]
    _, _, body = get(server, "/")
    html = body.decode()
    asserted, inferred = counts["asserted"], counts["inferred"]
    assert f"{counts['triples']} triples ({asserted} asserted, {inferred} inferred)" in html
    assert f'href="{server}/.well-known/void"' in html
    assert f'href="{server}/dumps/cskg.nq"' in html
    policies = store.query(
        "SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s a <https://w3id.org/cskg/ontology#Policy> }",
    )
    n = int(next(iter(policies))["n"].value)
    assert re.search(
        rf'href="{re.escape(server)}/instances/cskg/Policy">[^<]+</a>.*?</td><td>{n}</td>', html
    )
    _, _, body = get(server, "/instances/cskg/Policy")
    table = body.decode().split('<table id="instances">')[1].split("</table>")[0]
    assert table.count("<tr><td>") == n  # one row per instance


def test_query_page_runs_a_library_query_without_javascript(server: str, store: ox.Store) -> None:
    text = (Path(__file__).parents[1] / "queries" / "causal-claims.rq").read_text()
    expected = list(store.query(text))
    parts = urllib.parse.urlsplit(server)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request(
        "POST",
        "/query",
        urllib.parse.urlencode({"query": text}),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    response = connection.getresponse()
    html = response.read().decode()
    assert response.status == 200
    assert f'<p id="count">{len(expected)} rows' in html
    table = html.split('id="results"')[1].split("</table>")[0]
    assert table.count("<tr>") == len(expected) + 1  # header row + one per solution
    status, _, body = get(server, "/query?example=causal-claims")
    assert status == 200 and escape(text.splitlines()[0]) in body.decode()


def test_syntax_error_is_shown_on_the_query_page(server: str) -> None:
    parts = urllib.parse.urlsplit(server)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request(
        "POST",
        "/query",
        urllib.parse.urlencode({"query": "SELECT * WHERE { ?s"}),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    response = connection.getresponse()
    assert response.status == 400
    assert 'class="error"' in response.read().decode()


def test_void_lists_endpoint_and_dumps_which_reload(server: str, store: ox.Store) -> None:
    status, headers, body = get(server, "/.well-known/void")
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=body, format="turtle")
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    dataset = rdflib.URIRef("https://w3id.org/cskg/dataset")
    assert (dataset, void.sparqlEndpoint, rdflib.URIRef(server + "/sparql")) in graph
    dumps = {str(o) for o in graph.objects(dataset, void.dataDump)}
    assert server + "/dumps/cskg.nq" in dumps
    status, headers, body = get(server, "/dumps/cskg.nq")
    assert status == 200 and headers["access-control-allow-origin"] == "*"
    reloaded = list(ox.parse(body, format=ox.RdfFormat.N_QUADS))
    assert len(reloaded) == len(named_quads(store))


def test_cors_preflight_for_resource_data(server: str) -> None:
    status, headers, _ = get(server, "/id/agency/miit", method="OPTIONS")
    assert status == 204
    assert headers["access-control-allow-origin"] == "*"
    assert "GET" in headers["access-control-allow-methods"]
    _, headers, _ = get(server, "/id/agency/miit.html")
    assert "access-control-allow-origin" not in headers  # pages are not data


def test_base_maps_links_and_redirects(release: Path) -> None:
    running = RunningServer(release, "--base", "https://data.example.org/cskg")
    try:
        status, headers, _ = get(running.url, "/id/agency/miit", "text/turtle")
        assert (status, headers["location"]) == (
            303,
            "https://data.example.org/cskg/id/agency/miit.ttl",
        )
        _, _, body = get(running.url, "/id/agency/miit.html")
        html = body.decode()
        assert 'href="https://data.example.org/cskg/ontology"' in html
        # the data keeps the canonical IRIs
        _, _, body = get(running.url, "/id/agency/miit.nt")
        assert f"<{MIIT}>".encode() in body and b"data.example.org" not in body
    finally:
        running.close()


@pytest.fixture(scope="module")
def poisoned_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    dist = write_poisoned_release(tmp_path_factory.mktemp("poisoned") / "dist")
    running = RunningServer(dist)
    yield running.url
    running.close()


def test_hostile_literals_are_escaped_and_javascript_is_never_a_link(poisoned_server: str) -> None:
    for path in ("/id/agency/evil.html", "/id/agency/miit.html"):
        status, _, body = get(poisoned_server, path)
        assert status == 200
        html = body.decode()
        assert SCRIPT not in html
        assert "<img" not in html
        assert 'href="javascript:' not in html.lower()
        assert "onerror=alert(2)" not in html or "&#34;&gt;&lt;img" in html
    html = get(poisoned_server, "/id/agency/evil.html")[2].decode()
    assert escape(SCRIPT) in html  # shown, as text
    assert f'<span class="iri" title="{JS_IRI}" translate="no">{JS_IRI}</span>' in html
    assert (
        poisoned_server + EVIL.removeprefix("https://w3id.org/cskg") + '"'
        in get(poisoned_server, "/id/agency/miit.html")[2].decode()
    )
