"""A throwaway Virtuoso: start, load (Chinese literals included), query through --endpoint, stop."""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import REAL_ROOT
from minirelease import INFERRED, write_release
from utils.expected import canonical

from cskg.cli import main
from cskg.lab.virtuoso import SYSTEM_GRAPHS, TempVirtuoso, available
from cskg.query.engines import EmbeddedStore
from cskg.query.model import Result, Term, ox_term
from cskg.query.remote import RemoteStore, parse_sparql_json
from cskg.query.results import NUMERIC, RESULT_FORMATS, display_width
from cskg.vocab import XSD

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


def test_the_project_prefixes_reach_virtuoso_declared(capsys, virtuoso):
    """Virtuoso knows no `agency:`: the prefixes a query uses without declaring them are declared
    before it is sent, and a PREFIX of the query's own is left to win."""
    query = 'SELECT ?label WHERE {\n agency:miit rdfs:label ?label FILTER(LANG(?label) = "zh") }'
    assert main(["query", "-e", query, "--endpoint", virtuoso.endpoint, "--format", "tsv"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == ['"工业和信息化部"@zh']
    own = "PREFIX agency: <http://example.org/>\n" + query
    assert main(["query", "-e", own, "--endpoint", virtuoso.endpoint, "--format", "tsv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["?label"]


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


# -- every library query, in every --format, answers alike here and through Virtuoso -----------

LIBRARY = sorted((REAL_ROOT / "queries").glob("*.rq"))
TYPED = re.compile(r'^"([^"]*)"\^\^<http://www\.w3\.org/2001/XMLSchema#(\w+)>$')


@pytest.fixture(scope="module")
def paper_virtuoso(release: Path) -> Iterator[TempVirtuoso]:
    """A Virtuoso holding the paper's release (the library queries are written for it)."""
    with TempVirtuoso() as server:
        server.load_nquads(release / "cskg.nq")
        yield server


def _value(cell: str) -> object:
    """A printed value as data: numbers and booleans by value, blank node labels dropped (they
    are local). Virtuoso writes xsd:boolean true as `1`, which CSV and tables print bare: a
    boolean is read as True or False, and True == Decimal(1) (with the same hash) in Python."""
    if cell.startswith("_:"):
        return "_:"
    typed = TYPED.match(cell)  # TSV writes a typed literal in Turtle syntax
    if typed and typed[2] == "boolean":
        return typed[1] in ("true", "1")
    if cell in ("true", "false"):
        return cell == "true"
    text = typed[1] if typed and f"{XSD}{typed[2]}" in NUMERIC else cell
    try:
        return Decimal(text).normalize()
    except InvalidOperation:
        return cell


def _rows(rows: Iterable[Iterable[str]]) -> Counter[tuple[object, ...]]:
    return Counter(tuple(_value(cell) for cell in row) for row in rows)


def _table_cells(line: str, widths: list[int]) -> list[str]:
    """The cells of a table row, cut at the columns the header's rule marks (CJK counts two)."""
    cells, column, end = [""] * len(widths), 0, 0
    for i, width in enumerate(widths):
        end += width
        while line and column < end:
            cells[i] += line[0]
            column, line = column + display_width(line[0]), line[1:]
        end += 2
        while line and column < end:
            column, line = column + 1, line[1:]
    return [cell.strip() for cell in cells]


def _sparql_xml(text: str) -> Result:
    from xml.etree import ElementTree

    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    doc = ElementTree.fromstring(text)
    boolean = doc.find("r:boolean", ns)
    if boolean is not None:
        return Result("ask", boolean=boolean.text == "true")
    variables = [v.get("name", "") for v in doc.iterfind("r:head/r:variable", ns)]
    rows = []
    for result in doc.iterfind("r:results/r:result", ns):
        bound = {}
        for binding in result.iterfind("r:binding", ns):
            [term] = list(binding)
            kind = term.tag.rpartition("}")[2]
            lang = term.get("{http://www.w3.org/XML/1998/namespace}lang")
            value = term.text or ""
            bound[binding.get("name")] = (
                Term.literal(value, term.get("datatype"), lang)
                if kind == "literal"
                else Term({"uri": "iri", "bnode": "bnode"}[kind], value)
            )
        rows.append(tuple(bound.get(v) for v in variables))
    return Result("select", variables, rows)


def _graph(text: str, fmt: str) -> object:
    kind = {"turtle": ox.RdfFormat.TURTLE, "json-ld": ox.RdfFormat.JSON_LD}
    parsed = ox.parse(text.encode(), format=kind.get(fmt, ox.RdfFormat.N_TRIPLES))
    triples = [(ox_term(t.subject), ox_term(t.predicate), ox_term(t.object)) for t in parsed]
    return canonical(Result("graph", triples=triples))


def _as_data(fmt: str, text: str) -> object:
    """What `cskg query --format FMT` printed, read back as a comparable value."""
    if text in ("true\n", "false\n"):  # ASK in a format for people
        return ("ask", text == "true\n")
    if fmt in ("turtle", "json-ld", "ntriples"):
        return _graph(text, fmt)
    if fmt == "sparql-json" or (fmt == "json" and text.startswith('{"head"')):
        return canonical(parse_sparql_json(text))
    if fmt == "sparql-xml":
        return canonical(_sparql_xml(text))
    if fmt == "json":
        rows = json.loads(text)
        return Counter(tuple((k, _value(str(v))) for k, v in sorted(r.items())) for r in rows)
    lines = text.splitlines()
    if fmt == "csv":
        return lines[0], _rows(csv.reader(io.StringIO(text.split("\r\n", 1)[1])))
    if fmt == "tsv":
        return lines[0], _rows(line.split("\t") for line in lines[1:])
    if fmt == "md":
        cells = [re.split(r"(?<!\\) \| ", line.strip("| ")) for line in lines[2:]]
        return lines[0], _rows(cells)
    widths = [len(rule) for rule in lines[1].split("  ")]  # table and text
    return lines[0], lines[-1], _rows(_table_cells(line, widths) for line in lines[2:-1])


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
@pytest.mark.parametrize("fmt", list(RESULT_FORMATS))
@pytest.mark.parametrize("name", [path.stem for path in LIBRARY])
def test_every_format_answers_alike_through_virtuoso(capsys, release, paper_virtuoso, name, fmt):
    """A remote answer is fetched in one machine format and written by the same writers as an
    embedded one: `cskg query NAME --format FMT --endpoint URL` says what the embedded store
    says (as data: rows as a multiset, numbers by value), or fails with the same message."""
    query = ("--root", str(REAL_ROOT), "--dist", str(release), "query", name, "--format", fmt)
    here = _run(capsys, *query)
    there = _run(capsys, *query, "--endpoint", paper_virtuoso.endpoint)
    assert there[0] == here[0], there[2]
    if here[0] != 0:
        assert there[2] == here[2]
        return
    assert _as_data(fmt, there[1]) == _as_data(fmt, here[1])
