"""Every library query gives the same answer on pyoxigraph, on rdflib and on Virtuoso.

"The same" is `utils.expected.canonical`: rows as a multiset of normalised terms (numbers
by value with their datatype, language tags in lower case, blank nodes not compared by label). The
Virtuoso run goes through `cskg query --endpoint`, as a user would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import REAL_ROOT
from test_queries import PARAMS
from utils.expected import canonical

from cskg.cli import main
from cskg.query.engines import EmbeddedStore, RdflibStore
from cskg.query.library import bind, load_library, parse_query_file
from cskg.query.model import Result, ox_triples
from cskg.query.remote import parse_sparql_json
from cskg.query.text import inspect
from cskg.vocab import GRAPH_INFERRED as INFERRED

LIBRARY = sorted((REAL_ROOT / "queries").glob("*.rq"))
NAMES = [path.stem for path in LIBRARY]


def _bindings(name: str) -> dict:
    """A parametrised query's parameters bound to the values of its expected answer."""
    return bind(parse_query_file(REAL_ROOT / "queries" / f"{name}.rq"), PARAMS.get(name, {}))


def test_every_library_query_is_a_case():
    assert NAMES, "the query library is empty"
    assert [query.name for query in load_library(REAL_ROOT / "queries")] == NAMES
    assert len(NAMES) == len(
        {p.name for p in (REAL_ROOT / "queries").iterdir() if p.suffix == ".rq"}
    )


@pytest.fixture(scope="module")
def embedded(release: Path) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(release / "store") as store:
        yield store


@pytest.fixture(scope="module")
def in_memory(release: Path) -> Iterator[EmbeddedStore]:
    with EmbeddedStore.in_memory(release) as store:
        yield store


@pytest.fixture(scope="module")
def reference(release: Path) -> RdflibStore:
    return RdflibStore(release / "cskg.nq")


def _text(name: str) -> str:
    return (REAL_ROOT / "queries" / f"{name}.rq").read_text(encoding="utf-8")


def _differences(left: Result, right: Result) -> str:
    a, b = canonical(left), canonical(right)
    if a[0] != "select" or b[0] != "select":
        return f"{a!r}\n!=\n{b!r}"
    only_left, only_right = a[2] - b[2], b[2] - a[2]
    return (
        f"variables {a[1]} / {b[1]}\n"
        f"only in the first ({sum(only_left.values())}): {list(only_left.items())[:5]}\n"
        f"only in the second ({sum(only_right.values())}): {list(only_right.items())[:5]}"
    )


@pytest.mark.slow  # rdflib takes up to ~20 s on the heaviest quality check
@pytest.mark.parametrize("asserted", [False, True], ids=["union", "asserted"])
@pytest.mark.parametrize("name", NAMES)
def test_rdflib_agrees(embedded, reference, name, asserted):
    text, bindings = _text(name), _bindings(name)
    ours = embedded.query(text, asserted=asserted, bindings=bindings)
    theirs = reference.query(text, asserted=asserted, bindings=bindings)
    assert canonical(ours) == canonical(theirs), _differences(ours, theirs)


@pytest.mark.parametrize("asserted", [False, True], ids=["union", "asserted"])
@pytest.mark.parametrize("name", NAMES)
def test_the_store_in_memory_agrees(embedded, in_memory, name, asserted):
    text, bindings = _text(name), _bindings(name)
    ours = embedded.query(text, asserted=asserted, bindings=bindings)
    loaded = in_memory.query(text, asserted=asserted, bindings=bindings)
    assert canonical(ours) == canonical(loaded), _differences(ours, loaded)


def test_the_store_in_memory_holds_the_whole_release(embedded, in_memory):
    count = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    on_disk = canonical(embedded.query(count))
    assert on_disk[2]  # graphs and their sizes, read from the release's store
    assert canonical(in_memory.query(count)) == on_disk
    assert in_memory.name == "oxigraph-memory"
    assert len(in_memory.store) == len(embedded.store)


# -- a triple that several graphs state ---------------------------------------------------------

COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
PROBLEM = "https://w3id.org/cskg/ontology#Problem"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
COUNT_TYPED = f"SELECT ?x (COUNT(*) AS ?n) WHERE {{ ?x a <{PROBLEM}> }} GROUP BY ?x"


def _release_triples(release: Path) -> tuple[list[ox.Quad], set[ox.Triple], set[ox.Triple]]:
    """The release's quads, its distinct triples, and its distinct asserted triples, read from
    `cskg.nq` itself."""
    quads = list(ox.parse(path=str(release / "cskg.nq"), format=ox.RdfFormat.N_QUADS))
    asserted = {q.triple for q in quads if q.graph_name.value != INFERRED}
    return quads, {q.triple for q in quads}, asserted


@pytest.mark.parametrize("engine", ["embedded", "in_memory", "reference"])
def test_a_triple_several_graphs_state_counts_once(request, release, engine):
    """The default graph is the RDF merge of the graphs: the paper states some facts (a problem's
    type, say) in two or three evidence graphs, and COUNT sees each such triple once, on every
    engine, with and without the inferred graph; GRAPH ?g still sees every quad."""
    store = request.getfixturevalue(engine)
    quads, triples, asserted = _release_triples(release)
    assert len(quads) > len(triples)  # the release does restate triples, or this tests nothing

    def number(result: Result) -> int:
        return int(result.rows[0][0].value)

    assert number(store.query(COUNT_ALL)) == len(triples)
    assert number(store.query(COUNT_ALL, asserted=True)) == len(asserted)
    in_graphs = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert number(store.query(in_graphs)) == len(quads)
    without_inferred = [q for q in quads if q.graph_name.value != INFERRED]
    assert number(store.query(in_graphs, asserted=True)) == len(without_inferred)
    typed = ox.NamedNode(RDF_TYPE), ox.NamedNode(PROBLEM)
    restated = [t for t in triples if (t.predicate, t.object) == typed]
    assert sum(1 for q in quads if (q.predicate, q.object) == typed) > len(restated)
    counts = {row[0].value: int(row[1].value) for row in store.query(COUNT_TYPED).rows}
    assert counts == {t.subject.value: 1 for t in restated}


def test_the_endpoint_counts_a_restated_triple_once(server, release):
    """The same through `/sparql` of `cskg serve` (its workers query the store on disk)."""
    import httpx

    _, triples, _ = _release_triples(release)
    answer = httpx.post(
        server + "/sparql",
        data={"query": COUNT_ALL},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert answer.status_code == 200
    assert int(parse_sparql_json(answer.content).rows[0][0].value) == len(triples)


def _through_endpoint(
    capsys: pytest.CaptureFixture[str], name: str, url: str, *extra: str
) -> Result:
    path = REAL_ROOT / "queries" / f"{name}.rq"
    graph = inspect(_text(name)).form in ("CONSTRUCT", "DESCRIBE")
    fmt = "ntriples" if graph else "sparql-json"
    params = [f"--param={param}={value}" for param, value in PARAMS.get(name, {}).items()]
    code = main(
        ["query", str(path), "--endpoint", url, "--format", fmt, "--timeout", "60", *params, *extra]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    if not graph:
        return parse_sparql_json(out)
    triples = ox_triples(ox.parse(out.encode(), format=ox.RdfFormat.N_TRIPLES))
    return Result("graph", triples=triples)


@pytest.mark.virtuoso
@pytest.mark.parametrize("asserted", [False, True], ids=["union", "asserted"])
@pytest.mark.parametrize("name", NAMES)
def test_virtuoso_agrees(capsys, embedded, virtuoso, name, asserted):
    extra = ("--asserted",) if asserted else ()
    theirs = _through_endpoint(capsys, name, virtuoso.endpoint, *extra)
    ours = embedded.query(_text(name), asserted=asserted, bindings=_bindings(name))
    assert canonical(ours) == canonical(theirs), _differences(ours, theirs)
