"""`cskg analyze`: centrality, influence chains and components, recomputed independently."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from cskg.cli import main
from cskg.export.analysis import (
    BETWEENNESS_BUDGET,
    BETWEENNESS_MIN_SAMPLES,
    _pagerank,
    analyze,
    betweenness_samples,
    format_text,
    influence_chains,
)
from cskg.export.graph import to_networkx
from cskg.query.engines import EmbeddedStore
from cskg.query.results import compact
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


def test_pagerank_matches_the_google_matrix_on_awkward_graphs() -> None:
    """Parallel edges, self-loops, nodes without out-links and an isolated node, as networkx's
    Google matrix treats them; the power iteration never builds that matrix."""
    graph = nx.MultiDiGraph()
    graph.add_edges_from(
        [("a", "b"), ("a", "b"), ("a", "c"), ("b", "c"), ("c", "a"), ("c", "c"), ("d", "a")]
    )
    graph.add_edge("e", "f")  # f links nowhere
    graph.add_node("g")  # nor does g, and nothing links to it
    ours, reference = _pagerank(graph), independent_pagerank(graph)
    assert set(ours) == set(graph)
    for node in graph:
        assert ours[node] == pytest.approx(reference[node], abs=1e-9)
    assert sum(ours.values()) == pytest.approx(1.0, abs=1e-9)
    assert ours["b"] > ours["d"]  # two links from a weigh more than none


def test_betweenness_is_sampled_only_beyond_its_budget(graph: nx.MultiDiGraph) -> None:
    nodes, edges = graph.number_of_nodes(), graph.number_of_edges()
    assert nodes * edges <= BETWEENNESS_BUDGET  # the paper's view: exact
    assert betweenness_samples(nodes, edges) is None
    assert analyze(graph).betweenness_sources is None
    # 100 synthetic papers' view: as many sources as the budget allows
    assert betweenness_samples(28_860, 53_120) == BETWEENNESS_BUDGET // 53_120
    # 1000 papers': never fewer than the floor
    assert betweenness_samples(288_600, 531_200) == BETWEENNESS_MIN_SAMPLES
    assert betweenness_samples(50, 10**7) == 50  # never more sources than nodes


def test_sampled_betweenness_is_networkx_estimate(graph: nx.MultiDiGraph) -> None:
    result = analyze(graph, top=5, betweenness_sources=40)
    assert result.betweenness_sources == 40
    reference = nx.betweenness_centrality(graph, k=40, seed=0)
    exact = nx.betweenness_centrality(graph)
    assert reference != exact  # else this test could not tell the two apart
    expected = sorted(graph, key=lambda n: (-reference[n], n))[:5]
    assert [row.node for row in result.top["betweenness"]] == expected
    for row in result.top["betweenness"]:
        assert row.betweenness == pytest.approx(reference[row.node], abs=1e-12)
    text = format_text(result)
    assert f"betweenness (estimated from 40 of {graph.number_of_nodes():,} nodes" in text
    # 0 asks for the exact measure, as does a sample as large as the view
    for sources in (0, graph.number_of_nodes()):
        exact_rows = analyze(graph, top=5, betweenness_sources=sources)
        assert exact_rows.betweenness_sources is None
        assert [r.betweenness for r in exact_rows.top["betweenness"]] == pytest.approx(
            sorted(exact.values(), reverse=True)[:5], abs=1e-12
        )
        assert "estimated" not in format_text(exact_rows)


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


def test_concept_schemes_no_longer_top_the_ranking(release: Path, graph: nx.MultiDiGraph) -> None:
    """SKOS scaffolding is out of the view: no concept scheme ranks among the most central; with
    it (`scaffolding=True`) the schemes gathering their concepts top degree and PageRank."""
    with EmbeddedStore(release / "store") as store:
        found = store.query(sparql_prologue() + "SELECT ?s { ?s a skos:ConceptScheme }")
    schemes = {row["s"].value for row in found.dicts()}
    assert schemes
    lean = analyze(graph, top=10)
    assert all(not {r.node for r in rows} & schemes for rows in lean.top.values())
    full = analyze(to_networkx(release, "all", scaffolding=True), top=10)
    for measure in ("degree", "pagerank"):
        assert full.top[measure][0].node in schemes


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
    assert main(["--dist", str(release), "analyze", "--betweenness-sources", "-1"]) == 2
    capsys.readouterr()
    assert main(["--dist", str(release), "analyze", "--betweenness-sources", "25"]) == 0
    nodes = to_networkx(release, "all").number_of_nodes()
    assert (
        f"Most central by betweenness (estimated from 25 of {nodes:,} nodes as sources, seed 0)"
        in (capsys.readouterr().out)
    )
