"""SHACL validation: engine agreement (real data, invalid fixtures) and the report formats."""

from __future__ import annotations

import json
import time

import pytest
import rdflib
from conftest import REAL_ROOT
from rdflib import RDF, RDFS, Literal, Namespace

from cskg.build.reason import infer
from cskg.build.shacl import ENGINES, validate
from cskg.build.sources import load_sources, shapes_graph, triples_to_graph

CSKG = Namespace("https://w3id.org/cskg/ontology#")
SHAPES = Namespace("https://w3id.org/cskg/shapes#")
POLICY = Namespace("https://w3id.org/cskg/id/policy/")
AGENCY = Namespace("https://w3id.org/cskg/id/agency/")
CHANGE = Namespace("https://w3id.org/cskg/id/change/")
SH = Namespace("http://www.w3.org/ns/shacl#")


def data_and_shapes(root) -> tuple[rdflib.Graph, rdflib.Graph]:
    sources = load_sources(root)
    data = triples_to_graph(sources.quads)
    for triple in infer(data):
        data.add(triple)
    return data, shapes_graph(sources.shapes)


def test_fixture_conforms_only_with_inferred_triples(mini_root):
    data, shapes = data_and_shapes(mini_root)
    for engine in ENGINES:
        assert validate(data, shapes, engine).conforms
    asserted = triples_to_graph(load_sources(mini_root).quads)
    for engine in ENGINES:
        report = validate(asserted, shapes, engine)
        assert not report.conforms
        # without the inferred cskg:enabledBy the change shape fails
        assert {(r.focus_node, r.constraint_component) for r in report.results} >= {
            (CHANGE.growth.n3(), str(SH.MinCountConstraintComponent))
        }


def _break_label(data: rdflib.Graph) -> None:
    data.remove((POLICY.strategy, RDFS.label, None))
    data.add((POLICY.strategy, RDFS.label, Literal("Die Strategie", lang="de")))


def _break_issuer(data: rdflib.Graph) -> None:
    data.add((POLICY.strategy, CSKG.issuedBy, CHANGE.growth))  # not an agency


def _break_agency(data: rdflib.Graph) -> None:
    data.remove((AGENCY.miit, RDFS.label, None))
    data.add((AGENCY.other, RDF.type, CSKG.Agency))


BREAKS = {
    "label in German": (
        _break_label,
        {(POLICY.strategy.n3(), str(SH.LanguageInConstraintComponent))},
    ),
    "issuer not an agency": (
        _break_issuer,
        {(POLICY.strategy.n3(), str(SH.ClassConstraintComponent))},
    ),
    "agencies without labels": (
        _break_agency,
        {
            (AGENCY.miit.n3(), str(SH.MinCountConstraintComponent)),
            (AGENCY.other.n3(), str(SH.MinCountConstraintComponent)),
        },
    ),
}


@pytest.mark.parametrize("name", BREAKS)
def test_engines_agree_on_invalid_fixtures(mini_root, name):
    data, shapes = data_and_shapes(mini_root)
    breaker, expected = BREAKS[name]
    breaker(data)
    reports = {engine: validate(data, shapes, engine) for engine in ENGINES}
    for engine, report in reports.items():
        assert not report.conforms, engine
        assert {(r.focus_node, r.constraint_component) for r in report.results} == expected
    assert reports["pyrudof"].keys() == reports["pyshacl"].keys()
    # property shapes are blank nodes: both engines name the same node of the shapes graph
    for r in reports["pyrudof"].results:
        node = rdflib.util.from_n3(r.source_shape)
        assert (None, SH.property, node) in shapes


@pytest.mark.slow
def test_engines_agree_on_real_data():
    data, shapes = data_and_shapes(REAL_ROOT)
    reports, timings = {}, {}
    for engine in ENGINES:
        started = time.perf_counter()
        reports[engine] = validate(data, shapes, engine)
        timings[engine] = time.perf_counter() - started
    print(f"validation time on the real data: {timings}")
    fast, reference = reports["pyrudof"], reports["pyshacl"]
    assert fast.conforms == reference.conforms
    assert fast.keys() == reference.keys(), {
        "pyrudof only": sorted(fast.keys() - reference.keys()),
        "pyshacl only": sorted(reference.keys() - fast.keys()),
    }


def test_real_data_conforms():
    data, shapes = data_and_shapes(REAL_ROOT)
    report = validate(data, shapes)
    assert report.conforms, report.to_text()


@pytest.fixture
def invalid_report(mini_root):
    data, shapes = data_and_shapes(mini_root)
    _break_label(data)
    _break_agency(data)
    return validate(data, shapes, "pyrudof")


def test_json_report(invalid_report):
    data = json.loads(invalid_report.to_json())
    assert data["conforms"] is False and data["engine"] == "pyrudof"
    assert len(data["results"]) == 3
    fields = {
        "focus_node",
        "result_path",
        "value",
        "source_shape",
        "constraint_component",
        "severity",
        "message",
    }
    assert all(set(r) == fields for r in data["results"])
    german = next(r for r in data["results"] if r["focus_node"] == POLICY.strategy.n3())
    assert german["value"] == '"Die Strategie"@de'
    assert german["result_path"] == RDFS.label.n3()
    assert german["message"] == "A policy needs a label in English or Chinese."
    assert german["severity"] == str(SH.Violation)


def test_turtle_report(invalid_report):
    graph = rdflib.Graph().parse(data=invalid_report.to_turtle(), format="turtle")
    report = graph.value(predicate=RDF.type, object=SH.ValidationReport, any=False)
    assert report is not None
    assert graph.value(report, SH.conforms).toPython() is False
    results = list(graph.objects(report, SH.result))
    assert len(results) == 3
    assert {graph.value(r, SH.focusNode) for r in results} == {
        POLICY.strategy,
        AGENCY.miit,
        AGENCY.other,
    }
    assert all((r, RDF.type, SH.ValidationResult) in graph for r in results)


def test_text_report_groups_by_shape(invalid_report):
    text = invalid_report.to_text()
    lines = text.splitlines()
    assert lines[0].startswith("Does not conform: 3 result(s), 3 violation(s), 2 shape(s)")
    shape_lines = [line for line in lines if line.startswith("Shape ")]
    assert shape_lines == [
        "Shape <https://w3id.org/cskg/shapes#AgencyShape> / rdfs:label",
        "Shape <https://w3id.org/cskg/shapes#PolicyShape> / rdfs:label",
    ]
    # each focus node once under its shape, with its label and the offending value
    agency_block = text.split(shape_lines[0])[1].split(shape_lines[1])[0]
    assert "  agency:miit" in agency_block.splitlines()  # its labels were removed
    assert "  agency:other" in agency_block.splitlines()
    policy_block = text.split(shape_lines[1])[1]
    assert "  policy:strategy (Die Strategie)" in policy_block.splitlines()
    assert (
        '    Violation [LanguageIn] rdfs:label value "Die Strategie"@de: '
        "A policy needs a label in English or Chinese." in policy_block.splitlines()
    )


def test_conforming_report_formats(mini_root):
    data, shapes = data_and_shapes(mini_root)
    report = validate(data, shapes)
    assert report.to_text().startswith("Conforms")
    assert json.loads(report.to_json()) == {"conforms": True, "engine": "pyrudof", "results": []}
    graph = rdflib.Graph().parse(data=report.to_turtle(), format="turtle")
    assert len(list(graph.subjects(RDF.type, SH.ValidationReport))) == 1
    assert not list(graph.objects(None, SH.result))


def test_pyrudof_from_ntriples_alone_gives_the_same_report(mini_root):
    """The build hands pyrudof N-Triples and no rdflib Graph: the report, labels included,
    must be the one made from the Graph."""
    import pyoxigraph as ox

    from cskg.build.sources import graph_to_triples

    data, shapes = data_and_shapes(mini_root)
    _break_issuer(data)
    data_nt = ox.serialize(list(graph_to_triples(data)), format=ox.RdfFormat.N_TRIPLES)
    shapes_nt = ox.serialize(list(graph_to_triples(shapes)), format=ox.RdfFormat.N_TRIPLES)
    with_graph = validate(data, shapes, "pyrudof", data_ntriples=data_nt, shapes_ntriples=shapes_nt)
    alone = validate(None, shapes, "pyrudof", data_ntriples=data_nt, shapes_ntriples=shapes_nt)
    assert not alone.conforms
    assert alone.results == with_graph.results
    assert alone.labels == with_graph.labels
    english = sorted(str(x) for x in data.objects(CHANGE.growth, RDFS.label) if x.language == "en")
    assert alone.labels[CHANGE.growth.n3()] == english[0]
    with pytest.raises(ValueError):
        validate(None, shapes, "pyshacl", data_ntriples=data_nt)
