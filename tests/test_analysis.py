"""`cskg analyze`: centrality, influence chains and components, recomputed independently."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from cskg.cli import main
from cskg.export.analysis import analyze, influence_chains
from cskg.export.graph import to_networkx
from cskg.results import compact
from cskg.store import EmbeddedStore
from cskg.vocab import sparql_prologue


@pytest.fixture(scope="module")
def graph(release: Path) -> nx.MultiDiGraph:
    return to_networkx(release, "all")


def independent_pagerank(graph: nx.MultiDiGraph, alpha: float = 0.85) -> dict[str, float]:
    """PageRank as the principal eigenvector of networkx's Google matrix (numpy only)."""
    nodes = list(graph)
    matrix = nx.google_matrix(graph, alpha=alpha, nodelist=nodes)
    values, vectors = np.linalg.eig(matrix.T)
    vector = np.real(vectors[:, np.argmax(np.real(values))])
    vector = vector / vector.sum()
    return dict(zip(nodes, vector.tolist(), strict=True))


def test_centrality_matches_networkx(graph: nx.MultiDiGraph) -> None:
    result = analyze(graph, top=8)
    betweenness = nx.betweenness_centrality(graph)
    pagerank = independent_pagerank(graph)
    expected_degree = sorted(graph, key=lambda n: (-graph.degree(n), n))[:8]
    assert [r.node for r in result.top["degree"]] == expected_degree
    for measure, reference in (("betweenness", betweenness), ("pagerank", pagerank)):
        rows = result.top[measure]
        assert len(rows) == 8
        for row in rows:
            assert getattr(row, measure) == pytest.approx(reference[row.node], abs=1e-5)
            assert row.degree == graph.degree(row.node)
        # the ranking: nothing outside the list beats its last entry
        last = getattr(rows[-1], measure)
        outside = set(graph) - {r.node for r in rows}
        assert all(reference[n] <= last + 1e-5 for n in outside)
    top = result.top["degree"][0]
    assert (top.label, top.cls) == (graph.nodes[top.node]["label"], graph.nodes[top.node]["class"])


def test_influence_chains_follow_the_claims(release: Path, graph: nx.MultiDiGraph) -> None:
    text = (
        sparql_prologue()
        + """
        SELECT ?policy ?change ?next ?m1 ?m2 WHERE {
          ?c1 cskg:cause ?policy ; cskg:effect ?change ; cskg:causalRelation cskg:enabled ;
              cskg:modality ?m1 .
          ?c2 cskg:cause ?change ; cskg:effect ?next ; cskg:causalRelation cskg:contributedTo ;
              cskg:modality ?m2 .
          ?next a cskg:IndustryChange .
        }"""
    )
    with EmbeddedStore(release / "store") as store:
        rows = store.query(text, asserted=True).dicts()
    assert rows, "the paper has two-hop chains from a policy"
    chains = {
        tuple((h.source, h.key, h.target, h.modality) for h in chain.hops)
        for chain in influence_chains(graph)
    }
    for row in rows:
        policy, change, after = (row[k].value for k in ("policy", "change", "next"))
        m1, m2 = (row[k].value.rsplit("#", 1)[-1] for k in ("m1", "m2"))
        assert (
            (policy, "cskg:enabled", change, m1),
            (change, "cskg:contributedTo", after, m2),
        ) in chains
        assert ((policy, "cskg:enabled", change, m1),) in chains
    # the draft cybersecurity law's realised effect on the development of security laws
    law = "https://w3id.org/cskg/id/policy/cybersecurity-law-draft"
    assert (
        (
            law,
            "cskg:enabled",
            "https://w3id.org/cskg/id/change/rapid-development-of-security-laws",
            "realised",
        ),
    ) in chains
    # every chain starts at a policy or event and ends at a change
    for chain in influence_chains(graph):
        assert graph.nodes[chain.start]["class"] in {
            "cskg:Policy",
            "cskg:Plan",
            "cskg:Law",
            "cskg:Initiative",
            "cskg:Strategy",
            "cskg:PolicyPriority",
            "cskg:Event",
        }
        assert graph.nodes[chain.end]["class"] in {"cskg:IndustryChange", "cskg:ThreatChange"}


def test_components_match_networkx(graph: nx.MultiDiGraph) -> None:
    result = analyze(graph)
    expected = sorted((len(c) for c in nx.weakly_connected_components(graph)), reverse=True)
    assert [len(c) for c in result.components] == expected
    assert set().union(*map(set, result.components)) == set(graph)


def test_cli_analyze(release: Path, graph: nx.MultiDiGraph, capsys: pytest.CaptureFixture) -> None:
    assert main(["--dist", str(release), "analyze", "--view", "policy-impact", "--top", "3"]) == 0
    out = capsys.readouterr().out
    view = to_networkx(release, "policy-impact")
    assert out.startswith(
        f"View policy-impact: {view.number_of_nodes()} nodes, {view.number_of_edges()} edges"
    )
    sizes = sorted((len(c) for c in nx.weakly_connected_components(view)), reverse=True)
    assert f"Connected components (weak): {len(sizes)}; sizes {sizes[0]}, {sizes[1]}" in out
    best = max(view, key=lambda n: (view.degree(n), [-ord(c) for c in n]))
    degree_table = out.split("Most central by degree")[1].split("Most central by betweenness")[0]
    first = degree_table.strip().splitlines()[2]
    assert first.split()[1] == compact(best) and f" {view.degree(best)} " in first
    assert "—enabled (realised)→ Rapid development of network security laws" in out
    assert main(["--dist", str(release), "analyze", "--top", "0"]) == 2
