"""Analysis of a view as a network: central entities, influence chains, components.

Everything is computed by networkx on the graph `to_networkx` returns:

- centrality: degree (parallel edges counted, as `MultiDiGraph.degree` does), betweenness
  (`nx.betweenness_centrality`, directed, normalised) and PageRank (`nx.pagerank`, damping 0.85;
  parallel edges weigh as many links);
- influence chains: every simple path from a policy or event to an industry or threat change
  over causal edges (`cskg:enabled`, `cskg:contributedTo`, asserted ones: the folded causal
  claims and their shortcuts), with the modality of each hop;
- connected components: `nx.weakly_connected_components`, largest first.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cskg.vocab import CSKG

if TYPE_CHECKING:
    import networkx as nx

CHAIN_START = frozenset(
    "cskg:" + name
    for name in ("Policy", "Plan", "Law", "Initiative", "Strategy", "PolicyPriority", "Event")
)
CHAIN_END = frozenset({"cskg:IndustryChange", "cskg:ThreatChange"})
CHAIN_PREDICATES = frozenset({CSKG + "enabled", CSKG + "contributedTo"})
# networkx's default tolerance (1e-6 per node) stops the power iteration ~1e-4 short of the
# fixed point on this graph; a tighter one costs milliseconds.
PAGERANK_TOLERANCE = 1e-10
PAGERANK_ITERATIONS = 1000
MAX_HOPS = 6  # no chain in the paper is near this long; it bounds the path search


@dataclass
class Central:
    node: str
    label: str
    cls: str
    degree: int
    betweenness: float
    pagerank: float


@dataclass
class Hop:
    source: str
    target: str
    key: str
    modality: str


@dataclass
class Chain:
    hops: list[Hop]

    @property
    def start(self) -> str:
        return self.hops[0].source

    @property
    def end(self) -> str:
        return self.hops[-1].target

    @property
    def nodes(self) -> list[str]:
        return [self.start] + [hop.target for hop in self.hops]


@dataclass
class Analysis:
    view: str
    nodes: int
    edges: int
    top: dict[str, list[Central]] = field(default_factory=dict)  # measure → ranking
    chains: list[Chain] = field(default_factory=list)
    components: list[list[str]] = field(default_factory=list)  # node sets, largest first
    labels: dict[str, str] = field(default_factory=dict)


def centrality(graph: nx.MultiDiGraph) -> list[Central]:
    """Degree, betweenness and PageRank of every node."""
    import networkx as nx

    if graph.number_of_nodes() == 0:
        return []
    betweenness = nx.betweenness_centrality(graph)
    pagerank = _pagerank(graph)
    return [
        Central(
            node,
            str(graph.nodes[node].get("label", node)),
            str(graph.nodes[node].get("class", "")),
            int(graph.degree(node)),
            float(betweenness[node]),
            float(pagerank[node]),
        )
        for node in graph
    ]


def _pagerank(graph: nx.MultiDiGraph) -> dict[str, float]:
    """PageRank (damping 0.85) by power iteration on networkx's public Google matrix.

    `nx.pagerank` needs SciPy, a heavy dependency for a graph of a few hundred nodes; the Google
    matrix needs only NumPy (there with matplotlib) and is the matrix `nx.pagerank` iterates on.
    """
    import networkx as nx
    import numpy as np

    nodes = list(graph)
    if not nodes:
        return {}
    google = nx.google_matrix(graph, alpha=0.85, nodelist=nodes)
    rank = np.full(len(nodes), 1.0 / len(nodes))
    for _ in range(PAGERANK_ITERATIONS):
        following = rank @ google
        if np.abs(following - rank).sum() < PAGERANK_TOLERANCE:
            rank = following
            break
        rank = following
    return {node: float(value) for node, value in zip(nodes, rank, strict=True)}


def rank(rows: list[Central], measure: str, top: int) -> list[Central]:
    """The `top` rows by `measure` (degree, betweenness, pagerank), ties by IRI."""
    return sorted(rows, key=lambda row: (-getattr(row, measure), row.node))[:top]


def influence_chains(graph: nx.MultiDiGraph, max_hops: int = MAX_HOPS) -> list[Chain]:
    """Every simple causal path from a policy or event to a change, hop by hop."""
    successors: dict[str, list[Hop]] = {}
    for u, v, key, data in graph.edges(keys=True, data=True):
        if data.get("predicate") in CHAIN_PREDICATES and not data.get("inferred", False):
            successors.setdefault(u, []).append(Hop(u, v, str(key), str(data.get("modality", ""))))
    chains: list[Chain] = []

    def walk(path: list[Hop], seen: set[str]) -> None:
        here = path[-1].target
        if graph.nodes[here].get("class") in CHAIN_END:
            chains.append(Chain(list(path)))
        if len(path) >= max_hops:
            return
        for hop in sorted(successors.get(here, []), key=lambda h: (h.target, h.key)):
            if hop.target not in seen:
                walk([*path, hop], seen | {hop.target})

    for start in sorted(graph):
        if graph.nodes[start].get("class") not in CHAIN_START:
            continue
        for hop in sorted(successors.get(start, []), key=lambda h: (h.target, h.key)):
            walk([hop], {start, hop.target})
    return chains


def components(graph: nx.MultiDiGraph) -> list[list[str]]:
    """Weakly connected components, largest first (then by their first IRI)."""
    import networkx as nx

    found = [sorted(c) for c in nx.weakly_connected_components(graph)]
    return sorted(found, key=lambda c: (-len(c), c[0]))


def analyze(graph: nx.MultiDiGraph, top: int = 10) -> Analysis:
    rows = centrality(graph)
    return Analysis(
        view=str(graph.graph.get("view", "")),
        nodes=graph.number_of_nodes(),
        edges=graph.number_of_edges(),
        top={m: rank(rows, m, top) for m in ("degree", "betweenness", "pagerank")},
        chains=influence_chains(graph),
        components=components(graph),
        labels={n: str(graph.nodes[n].get("label", n)) for n in graph},
    )


# -- text -----------------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _clip(text: str, limit: int) -> str:
    if _width(text) <= limit:
        return text
    out = ""
    for c in text:
        if _width(out + c) > limit - 1:
            break
        out += c
    return out + "…"


def table(header: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    """A plain-text table; columns in `right` are right-aligned (numbers)."""
    right = right or set()
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        padded = [
            " " * (w - _width(c)) + c if i in right else c + " " * (w - _width(c))
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(padded).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def format_text(analysis: Analysis, *, max_chains: int = 50) -> str:
    from cskg.results import compact

    def name(node: str) -> str:
        return _clip(analysis.labels.get(node, node), 48)

    parts = [f"View {analysis.view}: {analysis.nodes} nodes, {analysis.edges} edges"]
    titles = {"degree": "degree", "betweenness": "betweenness", "pagerank": "PageRank"}
    for measure, rows in analysis.top.items():
        parts.append(f"\nMost central by {titles[measure]}\n")
        parts.append(
            table(
                ["#", "entity", "label", "class", "degree", "betweenness", "PageRank"],
                [
                    [
                        str(i),
                        compact(r.node),
                        name(r.node),
                        r.cls,
                        str(r.degree),
                        f"{r.betweenness:.4f}",
                        f"{r.pagerank:.4f}",
                    ]
                    for i, r in enumerate(rows, 1)
                ],
                right={0, 4, 5, 6},
            )
        )
    parts.append(
        f"\nInfluence chains from policies and events to changes: {len(analysis.chains)}\n"
    )
    if analysis.chains:
        rows = []
        for chain in analysis.chains[:max_chains]:
            steps = " ".join(
                f"—{hop.key.split(':')[-1]}"
                + (f" ({hop.modality})" if hop.modality else "")
                + f"→ {name(hop.target)}"
                for hop in chain.hops
            )
            rows.append(
                [compact(chain.start), str(len(chain.hops)), f"{name(chain.start)} {steps}"]
            )
        parts.append(table(["from", "hops", "chain"], rows, right={1}))
        if len(analysis.chains) > max_chains:
            parts.append(f"… and {len(analysis.chains) - max_chains} more")
    sizes = [len(c) for c in analysis.components]
    parts.append(
        f"\nConnected components (weak): {len(sizes)}; sizes "
        + ", ".join(str(s) for s in sizes[:20])
        + (" …" if len(sizes) > 20 else "")
        + "\n"
    )
    parts.append(
        table(
            ["#", "size", "members (first three)"],
            [
                [str(i), str(len(c)), "; ".join(name(n) for n in c[:3])]
                for i, c in enumerate(analysis.components[:10], 1)
            ],
            right={0, 1},
        )
    )
    return "\n".join(parts) + "\n"
