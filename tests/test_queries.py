"""The query library: every query parses, is documented, and returns its expected answer.

The expected answers are `queries/expected/NAME.srj` (SELECT, ASK) and `NAME.ttl` (CONSTRUCT),
compared as data (see `utils.expected`). Queries run with the union of all named graphs as the
default graph, over the release (the `release` fixture: dist/ built from the sources).

Set CSKG_REGENERATE=1 to rewrite every expected file from the current data on purpose; review
the diff before committing it, since an expected file claims that the answer is right.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib.plugins.sparql import prepareQuery
from utils.expected import (
    SelectResult,
    compare_select,
    dump_srj,
    order_keys,
    parse_srj,
    read_srj,
    summarise,
)

from cskg.query.engines import substitutions as substitutions_for
from cskg.query.library import bind, parse_query_file, read_query
from cskg.query.text import inspect
from cskg.vocab import PREFIXES as PROJECT_PREFIXES

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "queries"
EXPECTED = QUERIES / "expected"
QUERY_FILES = sorted(QUERIES.glob("*.rq"))
REGENERATE = os.environ.get("CSKG_REGENERATE") == "1"

CSKG = "https://w3id.org/cskg/ontology#"
PREFIXES = {
    "cskg": CSKG,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "policy": "https://w3id.org/cskg/id/policy/",
    "change": "https://w3id.org/cskg/id/change/",
    "event": "https://w3id.org/cskg/id/event/",
    "claim": "https://w3id.org/cskg/id/claim/",
    "sec": "https://w3id.org/cskg/id/section/",
    "ev": "https://w3id.org/cskg/graph/evidence/",
}


def iri(prefixed: str) -> ox.NamedNode:
    prefix, local = prefixed.split(":", 1)
    return ox.NamedNode(PREFIXES[prefix] + local)


# -- the dataset ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dataset(release: Path) -> ox.Store:
    """An in-memory store with every quad of the release: evidence, curation, ontology, inferred."""
    store = ox.Store()
    store.load(path=str(release / "cskg.nq"), format=ox.RdfFormat.N_QUADS)
    assert len(store) > 0
    return store


@pytest.fixture
def copy_of(dataset: ox.Store) -> Callable[[], ox.Store]:
    """A fresh copy of the dataset, for planting defects without touching the shared one."""

    def make() -> ox.Store:
        store = ox.Store()
        store.extend(dataset.quads_for_pattern(None, None, None, None))
        return store

    return make


def run(store: ox.Store, query: str) -> SelectResult | bool | rdflib.Graph:
    result = store.query(query, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QuerySolutions):
        return parse_srj(_json(result))
    return _graph(result)


def _json(result: ox.QuerySolutions | ox.QueryBoolean) -> dict:
    return json.loads(result.serialize(format=ox.QueryResultsFormat.JSON))


def _graph(triples: ox.QueryTriples) -> rdflib.Graph:
    data = ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES)
    return rdflib.Graph().parse(data=data.decode("utf-8"), format="nt")


def select(store: ox.Store, name: str) -> SelectResult:
    result = run(store, (QUERIES / f"{name}.rq").read_text(encoding="utf-8"))
    assert isinstance(result, SelectResult)
    return result


def column(result: SelectResult, name: str) -> list[str]:
    """The values of one variable, row by row (IRIs and lexical forms)."""
    return [dict(row)[name][1] for row in result.rows if name in dict(row)]


# -- the library as a whole -------------------------------------------------------------------


def test_library_size_and_expected_files_match_queries(request: pytest.FixtureRequest) -> None:
    names = {path.stem for path in QUERIES.glob("*.rq")}
    assert len(names) >= 27
    expected = {path.stem for path in EXPECTED.iterdir() if path.suffix in (".srj", ".ttl")}
    if not REGENERATE:
        # every query has exactly one expected answer, and no answer is orphaned
        assert expected == names
        assert len(list(EXPECTED.iterdir())) == len(names)
    # one collected comparison case per query file, so that no query is silently left out
    cases = [
        item.callspec.id
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_query_matches_expected"
    ]
    if request.config.getoption("keyword") or request.config.getoption("markexpr"):
        assert set(cases) <= names  # a filtered run compares a subset
    else:
        assert sorted(cases) == sorted(names)


def test_every_query_form_is_used() -> None:
    forms = [inspect(path.read_text(encoding="utf-8")).form for path in QUERY_FILES]
    assert forms.count("CONSTRUCT") >= 1
    assert forms.count("ASK") >= 1
    assert forms.count("SELECT") >= 25


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda path: path.stem)
def test_query_is_documented_and_parses(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    header = parse_query_file(path)
    assert header.title and header.question.endswith("?") and len(header.keywords) >= 2
    assert path.stem == path.stem.lower() and " " not in path.stem and "_" not in path.stem
    ox.Store().query(text)  # parses (and runs on an empty store)
    prepareQuery(text)
    if inspect(text).form == "SELECT":
        keys = order_keys(text)
        assert keys, "SELECT queries are ordered so that their output is readable"
        projected = prepareQuery(text).algebra["PV"]
        assert set(keys) <= {str(variable) for variable in projected}


# -- each query against its expected answer --------------------------------------------------


#: the values a parametrised query's expected answer is for: its header's examples
#: (`# param: NAME = EXAMPLE — …`)
PARAMS = {
    path.stem: {p.name: p.example for p in query.params}
    for path in QUERY_FILES
    if (query := parse_query_file(path)).params
}


def substitutions(path: Path) -> dict:
    """The query's parameters bound to their values in `PARAMS`, for pyoxigraph."""
    return substitutions_for(bind(parse_query_file(path), PARAMS.get(path.stem, {})))


def test_the_example_text_gives_the_substituted_answer(dataset: ox.Store) -> None:
    """What the web page shows and runs (the examples in a VALUES block) answers as the
    engine's substitution of the same values does."""
    for name in PARAMS:
        query = parse_query_file(QUERIES / f"{name}.rq")
        options = {"use_default_graph_as_union": True, "prefixes": PROJECT_PREFIXES}
        shown = list(dataset.query(query.example_text, **options))
        bound = list(dataset.query(query.text, substitutions=substitutions(query.path), **options))
        assert shown and sorted(map(str, shown)) == sorted(map(str, bound)), name
        assert "VALUES (?entity) { (agency:miit) }" in query.example_text


def test_parameters_are_declared_given_and_projected() -> None:
    declared = {path.stem: parse_query_file(path).params for path in QUERY_FILES}
    assert {name for name, params in declared.items() if params} == set(PARAMS)
    assert PARAMS and all(all(values.values()) for values in PARAMS.values()), "examples"
    for name in PARAMS:
        text = read_query(QUERIES / f"{name}.rq")
        assert inspect(text).form == "SELECT"
        projected = {str(v) for v in prepareQuery(text).algebra["PV"]}
        # pyoxigraph substitutes only a variable the SELECT clause names
        assert {p.name for p in declared[name]} <= projected, name
        assert all(p.description for p in declared[name])


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda path: path.stem)
def test_query_matches_expected(dataset: ox.Store, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    raw = dataset.query(text, use_default_graph_as_union=True, substitutions=substitutions(path))
    if isinstance(raw, ox.QueryTriples):
        actual_graph = _graph(raw)
        target = EXPECTED / f"{path.stem}.ttl"
        if REGENERATE:
            _write_turtle(actual_graph, target)
        expected_graph = rdflib.Graph().parse(target, format="turtle")
        assert len(actual_graph) > 0
        assert isomorphic(actual_graph, expected_graph), (
            f"{path.stem}: {len(actual_graph)} triples, expected {len(expected_graph)}"
        )
        return
    document = raw.serialize(format=ox.QueryResultsFormat.JSON)
    target = EXPECTED / f"{path.stem}.srj"
    if REGENERATE:
        target.write_text(dump_srj(document), encoding="utf-8")
    actual = parse_srj(json.loads(document))
    expected = read_srj(target)
    if isinstance(expected, bool) or isinstance(actual, bool):
        assert actual == expected
        return
    problems = compare_select(actual, expected, order_keys(text))
    assert not problems, f"{path.stem}:\n{summarise(problems)}"
    if path.stem.endswith("-violation"):
        assert expected.rows == (), f"{path.stem} must return no rows on the release data"


def _write_turtle(graph: rdflib.Graph, target: Path) -> None:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    graph.serialize(target, format="turtle")


@pytest.mark.parametrize(
    "path", [p for p in QUERY_FILES if p.stem.endswith("-violation")], ids=lambda p: p.stem
)
def test_violation_query_finds_nothing(dataset: ox.Store, path: Path) -> None:
    result = run(dataset, path.read_text(encoding="utf-8"))
    assert isinstance(result, SelectResult)
    assert result.rows == (), f"{path.stem}:\n" + summarise(str(row) for row in result.rows)


# -- specific answers, checked against the paper rather than against the data -----------------

# Tables 1-4 of the paper, cell by cell, as printed.
PRINTED_CELLS = sorted(
    [
        *("115.192", "126.078", "138.308", "9.3", "9.5", "9.7"),  # Table 1, Globe
        *("21.640", "26.552", "32.128", "20.9", "22.7", "21.0"),  # Table 1, China
        *("45.4", "34.2", "20.4", "54.3", "37.0", "8.7"),  # Table 2
        *("39.839", "50.396", "61.987", "24.0", "26.5", "23.0"),  # Table 3
        *("53.2", "38.4", "8.4", "52.9", "38.6", "8.5", "51.9", "39.1", "9.0"),  # Table 4
    ]
)


def test_expected_table_cells_are_the_printed_values() -> None:
    expected = read_srj(EXPECTED / "table-cells-as-printed.srj")
    assert isinstance(expected, SelectResult)
    assert len(PRINTED_CELLS) == 33
    assert sorted(column(expected, "printedValue")) == PRINTED_CELLS


def test_services_gap_is_11_7_points_in_2014(dataset: ox.Store) -> None:
    rows = {dict(row)["year"][1]: dict(row) for row in select(dataset, "services-gap").rows}
    assert rows["2014"]["chinaService"] == ("number", "8.7")
    assert rows["2014"]["globalService2014"] == ("number", "20.4")
    assert rows["2014"]["gapPoints"] == ("number", "11.7")
    assert rows["2017"]["gapPoints"] == ("number", "11.4")


def test_label_lookup_finds_miit_and_the_misspelt_loongson(dataset: ox.Store) -> None:
    found = {
        (dict(row)["search"][1], dict(row)["entity"][1])
        for row in select(dataset, "entity-by-label").rows
    }
    assert ("工业和信息化部", "https://w3id.org/cskg/id/agency/miit") in found
    misspelt = "Loongsun Technology Co., Ltd."
    assert (misspelt, "https://w3id.org/cskg/id/enterprise/loongson-technology") in found


def test_realised_claims_have_their_shortcut(dataset: ox.Store) -> None:
    assert run(dataset, (QUERIES / "realised-claims-have-shortcut.rq").read_text()) is True


# -- violation queries catch planted defects --------------------------------------------------


def _violation(store: ox.Store, name: str) -> SelectResult:
    return select(store, f"{name}-violation")


def test_statement_outside_any_graph_block_is_reported(copy_of: Callable[[], ox.Store]) -> None:
    """A data file's triples outside every graph block land in graph/data/{path} (the build)."""
    store = copy_of()
    filed = ox.NamedNode("https://w3id.org/cskg/graph/data/trends")
    store.add(
        ox.Quad(
            iri("policy:made-in-china-2025"),
            iri("rdfs:comment"),
            ox.Literal("stray", language="en"),
            filed,
        )
    )
    rows = _violation(store, "statement-outside-evidence-graph").rows
    assert rows == (
        (
            ("graph", ("uri", filed.value)),
            ("o", ("literal", "stray", "@en")),
            ("p", ("uri", PREFIXES["rdfs"] + "comment")),
            ("s", ("uri", PREFIXES["policy"] + "made-in-china-2025")),
        ),
    )


def test_unknown_named_graph_is_reported(copy_of: Callable[[], ox.Store]) -> None:
    store = copy_of()
    graph = ox.NamedNode("https://w3id.org/cskg/graph/scratch")
    store.add(
        ox.Quad(iri("policy:made-in-china-2025"), iri("rdfs:comment"), ox.Literal("stray"), graph)
    )
    result = _violation(store, "statement-outside-evidence-graph")
    assert column(result, "graph") == [graph.value]


def test_realised_claim_without_shortcut_is_detected(copy_of: Callable[[], ox.Store]) -> None:
    store = copy_of()
    shortcuts = list(store.quads_for_pattern(None, iri("cskg:enabled"), None, None))
    assert shortcuts, "the data has at least one realised enabling shortcut"
    for quad in shortcuts:
        store.remove(quad)
    assert run(store, (QUERIES / "realised-claims-have-shortcut.rq").read_text()) is False
