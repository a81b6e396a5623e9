"""OWL 2 RL entailments: targeted ones on the fixture, engine agreement on the real data."""

from __future__ import annotations

import time

import pytest
import rdflib
from conftest import REAL_ROOT
from rdflib import RDF, URIRef

from cskg.build.reason import ENGINES, Inconsistent, infer
from cskg.build.sources import load_sources, triples_to_graph

CSKG = rdflib.Namespace("https://w3id.org/cskg/ontology#")
POLICY = rdflib.Namespace("https://w3id.org/cskg/id/policy/")
CHANGE = rdflib.Namespace("https://w3id.org/cskg/id/change/")
AGENCY = rdflib.Namespace("https://w3id.org/cskg/id/agency/")


def merged(root) -> rdflib.Graph:
    return triples_to_graph(load_sources(root).quads)


@pytest.mark.parametrize("engine", ENGINES)
def test_targeted_entailments(mini_root, engine):
    graph = merged(mini_root)
    inferred = infer(graph, engine)
    expected = {
        (CHANGE.growth, CSKG.enabledBy, POLICY.plan),  # inverse of enabled
        (POLICY.plan, CSKG.contributedTo, CHANGE.growth),  # enabled ⊑ contributedTo
        (POLICY.plan, RDF.type, CSKG.Policy),  # Plan ⊑ Policy
        (POLICY.step, RDF.type, CSKG.Policy),
        (POLICY.step, CSKG.partOf, POLICY.plan),  # partOf is transitive
        (POLICY.plan, CSKG.hasPart, POLICY.step),  # ... and has an inverse
        (POLICY.plan, CSKG.hasPart, POLICY.strategy),
        (POLICY.strategy, CSKG.hasPart, POLICY.step),
    }
    assert expected <= set(inferred)
    # only new triples, none of the filtered noise
    assert not set(inferred) & set(graph)
    for s, p, o in inferred:
        assert isinstance(s, URIRef | rdflib.BNode)
        assert not (p == RDF.type and str(o).startswith("http://www.w3.org/2002/07/owl#"))
        assert not str(p).startswith("http://www.w3.org/2000/01/rdf-schema#sub")
    # the whole of it, so an engine adding something unexpected is caught
    assert set(inferred) == expected


def test_engines_agree_on_fixture(mini_root):
    graph = merged(mini_root)
    assert set(infer(graph, "reasonable")) == set(infer(graph, "owlrl"))


@pytest.mark.parametrize("engine", ENGINES)
def test_inconsistency_names_the_individual(mini_root, engine):
    graph = merged(mini_root)
    # an agency typed as a policy: Policy and Agency are disjoint
    graph.add((AGENCY.miit, RDF.type, CSKG.Plan))
    with pytest.raises(Inconsistent) as caught:
        infer(graph, engine)
    assert any(
        str(AGENCY.miit) in problem and str(CSKG.Agency) in problem and str(CSKG.Policy) in problem
        for problem in caught.value.problems
    ), caught.value.problems
    assert caught.value.exit_code == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_nothing_member_is_inconsistent(mini_root, engine):
    graph = merged(mini_root)
    graph.add((POLICY.plan, RDF.type, rdflib.OWL.Nothing))
    with pytest.raises(Inconsistent, match="policy/plan is a member of owl:Nothing"):
        infer(graph, engine)


def test_unknown_engine(mini_root):
    with pytest.raises(ValueError, match="unknown reasoner"):
        infer(merged(mini_root), "hermit")


@pytest.mark.slow
def test_engines_agree_on_real_data():
    graph = merged(REAL_ROOT)
    timings, results = {}, {}
    for engine in ENGINES:
        started = time.perf_counter()
        results[engine] = set(infer(graph, engine))
        timings[engine] = time.perf_counter() - started
    print(f"reasoning time on the real data: {timings}")
    fast, reference = results["reasonable"], results["owlrl"]
    nm = graph.namespace_manager
    only = {
        "reasonable only": sorted(" ".join(x.n3(nm) for x in t) for t in fast - reference),
        "owlrl only": sorted(" ".join(x.n3(nm) for x in t) for t in reference - fast),
    }
    assert fast == reference, only
    assert fast, "the real data entails nothing: the ontology's axioms are not applied"


@pytest.mark.parametrize("engine", ENGINES)
def test_same_and_different_is_inconsistent(mini_root, engine):
    graph = merged(mini_root)
    graph.add((AGENCY.miit, rdflib.OWL.differentFrom, AGENCY.other))
    graph.add((AGENCY.miit, rdflib.OWL.sameAs, AGENCY.other))
    with pytest.raises(Inconsistent, match="declared different but inferred the same"):
        infer(graph, engine)


def test_triples_in_a_list_give_the_graphs_entailments(mini_root):
    """The build hands reasonable a list of triples rather than an rdflib Graph."""
    graph = merged(mini_root)
    assert set(infer(list(graph), "reasonable")) == set(infer(graph, "reasonable"))
    graph.add((AGENCY.miit, RDF.type, CSKG.Plan))
    with pytest.raises(Inconsistent, match="disjoint classes"):
        infer(list(graph), "reasonable")
