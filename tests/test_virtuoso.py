"""A throwaway Virtuoso: start, load (Chinese literals included), query through --endpoint, stop."""

from __future__ import annotations

import csv
import io
import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from minirelease import INFERRED, write_release

from cskg.cli import main
from cskg.lab.virtuoso import SYSTEM_GRAPHS, TempVirtuoso, available
from cskg.query.engines import EmbeddedStore
from cskg.query.remote import RemoteStore
from cskg.query.results import canonical

pytestmark = [
    pytest.mark.virtuoso,
    pytest.mark.skipif(not available(), reason="virtuoso-t / isql-vt not on PATH"),
]

MIIT = "https://w3id.org/cskg/id/agency/miit"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_release(tmp_path_factory.mktemp("release") / "dist")


@pytest.fixture(scope="module")
def virtuoso(dist: Path) -> Iterator[TempVirtuoso]:
    with TempVirtuoso() as server:
        server.load_nquads(dist / "cskg.nq")
        yield server


def test_every_graph_is_loaded(virtuoso, dist):
    expected = {
        line.rsplit(" ", 2)[-2].strip("<>")
        for line in (dist / "cskg.nq").read_text(encoding="utf-8").splitlines()
    }
    assert expected <= virtuoso.graphs()
    assert INFERRED in expected and len(expected) == 7


def test_chinese_literals_round_trip(capsys, virtuoso):
    query = (
        "SELECT ?label WHERE { <" + MIIT + "> <http://www.w3.org/2000/01/rdf-schema#label> ?label "
        'FILTER(LANG(?label) = "zh") }'
    )
    assert main(["query", "-e", query, "--endpoint", virtuoso.endpoint, "--format", "tsv"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == '"工业和信息化部"@zh'
    # and a Chinese literal inside the query text is matched
    ask = 'ASK { ?s <http://www.w3.org/2000/01/rdf-schema#label> "工业和信息化部"@zh }'
    assert RemoteStore(virtuoso.endpoint).query(ask).boolean is True


def test_default_graph_is_the_union(virtuoso, dist):
    query = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
    remote = RemoteStore(virtuoso.endpoint).query(query)
    embedded = EmbeddedStore(dist / "store").query(query)
    assert canonical(remote) == canonical(embedded)
    assert len(remote.rows) == 10  # labels from evidence, curation and ontology graphs
    everything = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    [[count]] = RemoteStore(virtuoso.endpoint).query(everything).rows
    assert int(count.value) == len((dist / "cskg.nq").read_text(encoding="utf-8").splitlines())


def test_asserted_leaves_inferred_out(capsys, virtuoso, dist):
    ask = "ASK { ?s a <http://www.w3.org/ns/org#Organization> }"
    assert main(["query", "-e", ask, "--endpoint", virtuoso.endpoint]) == 0
    assert capsys.readouterr().out == "true\n"
    assert main(["query", "-e", ask, "--endpoint", virtuoso.endpoint, "--asserted"]) == 0
    assert capsys.readouterr().out == "false\n"
    store = RemoteStore(virtuoso.endpoint)
    assert INFERRED not in store.asserted_graphs()
    assert "https://w3id.org/cskg/graph/curation" in store.asserted_graphs()
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?c }"
    remote = store.query(count, asserted=True)
    embedded = EmbeddedStore(dist / "store").query(count, asserted=True)
    assert canonical(remote) == canonical(embedded)


def test_asserted_graph_patterns_agree_with_the_embedded_store(virtuoso, dist):
    """In asserted mode GRAPH ?g ranges over the asserted graphs on both engines: the inferred
    graph is out of the named graphs (named-graph-uri) as well as out of the default graph.
    (Virtuoso 7 still answers a GRAPH pattern that names the inferred graph, by its IRI or by a
    filter on ?g: it does not hold constant graph names to named-graph-uri; the README says
    so.)"""
    store, embedded = RemoteStore(virtuoso.endpoint), EmbeddedStore(dist / "store")
    graphs = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    remote = store.query(graphs, asserted=True)
    assert canonical(remote) == canonical(embedded.query(graphs, asserted=True))
    assert INFERRED not in {row[0].value for row in remote.rows}
    typed = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s a ?c } }"
    assert canonical(store.query(typed, asserted=True)) == canonical(
        embedded.query(typed, asserted=True)
    )
    assert canonical(store.query(typed)) != canonical(store.query(typed, asserted=True))
    # and without asserted the inferred graph is there on both
    assert canonical(store.query(graphs)) == canonical(embedded.query(graphs))


def test_construct_through_endpoint(capsys, virtuoso, dist):
    query = f"CONSTRUCT {{ ?s a ?c }} WHERE {{ GRAPH <{INFERRED}> {{ ?s a ?c }} }}"
    remote = RemoteStore(virtuoso.endpoint).query(query)
    assert canonical(remote) == canonical(EmbeddedStore(dist / "store").query(query))
    assert (
        main(["query", "-e", query, "--endpoint", virtuoso.endpoint, "--format", "ntriples"]) == 0
    )
    assert (
        f"<{MIIT}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        "<http://www.w3.org/ns/org#Organization> ."
    ) in capsys.readouterr().out.splitlines()


def test_decimals_compare_by_value(capsys, virtuoso, dist):
    query = "SELECT ?v WHERE { ?o <https://w3id.org/cskg/ontology#marketSize> ?v }"
    assert main(["query", "-e", query, "--endpoint", virtuoso.endpoint, "--format", "csv"]) == 0
    [row] = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert float(row["v"]) == 21.64
    remote = RemoteStore(virtuoso.endpoint).query(query)
    assert canonical(remote) == canonical(EmbeddedStore(dist / "store").query(query))


def test_bad_query_is_reported(capsys, virtuoso):
    assert main(["query", "-e", "SELECT * WHERE { ?s ?p }", "--endpoint", virtuoso.endpoint]) == 2
    err = capsys.readouterr().err
    assert "(query): HTTP 400 Bad Request: Virtuoso 37000" in err and "SPARQL compiler" in err


def test_system_graphs_hidden_and_stop_removes_everything():
    server = TempVirtuoso().start()
    process = server.process
    try:
        # the empty server has its system graphs (seen by dba through isql) ...
        assert set(SYSTEM_GRAPHS) <= server.graphs()
        # ... which /sparql does not show, so its default graph is empty
        url = server.endpoint + "?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
        headers = {"Accept": "application/sparql-results+json"}
        request = urllib.request.Request(url, headers=headers)
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.load(response)["boolean"] is False
    finally:
        server.stop()
    assert process is not None and process.returncode is not None
    assert not server.folder.exists()
    with pytest.raises(OSError):
        urllib.request.urlopen(request, timeout=2)
