"""Analysis of a view as a network: central entities, influence chains, components.

Everything is computed by networkx on the graph `to_networkx` returns:

- centrality: degree (parallel edges counted, as `MultiDiGraph.degree` does), betweenness
  (`nx.betweenness_centrality`, directed, normalised; on a large view estimated from a sample
  of source nodes, see `betweenness`) and PageRank (damping 0.85; parallel edges weigh as many
  links; see `_pagerank`);
- influence chains: every simple path from a policy or event to an industry or threat change
  over causal edges (`cskg:enabled`, `cskg:contributedTo`, asserted ones: the folded causal
  claims and their shortcuts), with the modality of each hop;
- connected components: `nx.weakly_connected_components`, largest first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cskg.query.results import display_width
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
# Exact betweenness (Brandes) visits every edge once per node: fine for one paper's views
# (~300 nodes), hours for 100 papers' (28 k nodes, 52 k edges). Above this many node-edge
# visits it is estimated from a sample of sources sized to the same budget (a few seconds).
BETWEENNESS_BUDGET = 30_000_000
BETWEENNESS_MIN_SAMPLES = 64


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
    betweenness_sources: int | None = None  # None: exact; else the sampled sources' number


def betweenness_samples(nodes: int, edges: int, budget: int = BETWEENNESS_BUDGET) -> int | None:
    """How many source nodes betweenness is estimated from, or None for the exact measure
    (when visiting every edge from every node stays within `budget`)."""
    if nodes * max(edges, 1) <= budget:
        return None
    return min(nodes, max(BETWEENNESS_MIN_SAMPLES, budget // max(edges, 1)))


def betweenness(graph: nx.MultiDiGraph, samples: int | None) -> dict[str, float]:
    """Normalised directed betweenness: exact, or estimated from `samples` source nodes drawn
    with a fixed seed (networkx's `k` option, Brandes and Pich's estimator), so that the same
    release gives the same figures."""
    import networkx as nx

    if samples is None:
        return nx.betweenness_centrality(graph)
    return nx.betweenness_centrality(graph, k=samples, seed=0)


def centrality(graph: nx.MultiDiGraph, samples: int | None = None) -> list[Central]:
    """Degree, betweenness (exact, or from `samples` sources) and PageRank of every node."""
    if graph.number_of_nodes() == 0:
        return []
    between = betweenness(graph, samples)
    pagerank = _pagerank(graph)
    return [
        Central(
            node,
            str(graph.nodes[node].get("label", node)),
            str(graph.nodes[node].get("class", "")),
            int(graph.degree(node)),
            float(between[node]),
            float(pagerank[node]),
        )
        for node in graph
    ]


def _pagerank(graph: nx.MultiDiGraph) -> dict[str, float]:
    """PageRank (damping 0.85) by power iteration over the edge list.

    The same chain as networkx's Google matrix (parallel edges weigh as many links; a node
    without out-links links to every node), iterated without building that matrix: it is dense,
    N² floats, 6.3 GB for 100 papers' view (28,086 nodes). `nx.pagerank` would need SciPy, a
    heavy dependency; this needs only NumPy (there with matplotlib)."""
    import numpy as np

    nodes = list(graph)
    if not nodes:
        return {}
    count, alpha = len(nodes), 0.85
    index = {node: i for i, node in enumerate(nodes)}
    links = [(index[u], index[v]) for u, v in graph.edges()]
    sources = np.fromiter((u for u, _ in links), dtype=np.int64, count=len(links))
    targets = np.fromiter((v for _, v in links), dtype=np.int64, count=len(links))
    out_links = np.bincount(sources, minlength=count).astype(float)
    dangling = out_links == 0
    share = np.divide(1.0, out_links, out=np.zeros(count), where=~dangling)
    rank = np.full(count, 1.0 / count)
    for _ in range(PAGERANK_ITERATIONS):
        following = alpha * np.bincount(targets, weights=(rank * share)[sources], minlength=count)
        following += (alpha * rank[dangling].sum() + 1.0 - alpha) / count
        converged = np.abs(following - rank).sum() < PAGERANK_TOLERANCE
        rank = following
        if converged:
            break
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


def analyze(
    graph: nx.MultiDiGraph, top: int = 10, *, betweenness_sources: int | None = None
) -> Analysis:
    """The analysis of a view. Betweenness is estimated from `betweenness_sources` sampled
    source nodes; 0 asks for the exact measure, None (the default) chooses by the view's size
    (`betweenness_samples`)."""
    if betweenness_sources is None:
        samples = betweenness_samples(graph.number_of_nodes(), graph.number_of_edges())
    elif betweenness_sources < 0:
        raise ValueError("betweenness_sources must be 0 (exact) or a number of sources")
    else:
        samples = betweenness_sources or None
    if samples is not None and samples >= graph.number_of_nodes():
        samples = None
    rows = centrality(graph, samples)
    return Analysis(
        view=str(graph.graph.get("view", "")),
        nodes=graph.number_of_nodes(),
        edges=graph.number_of_edges(),
        top={m: rank(rows, m, top) for m in ("degree", "betweenness", "pagerank")},
        chains=influence_chains(graph),
        components=components(graph),
        labels={n: str(graph.nodes[n].get("label", n)) for n in graph},
        betweenness_sources=samples,
    )


# -- text -----------------------------------------------------------------------------------


def _clip(text: str, limit: int) -> str:
    if display_width(text) <= limit:
        return text
    out = ""
    for c in text:
        if display_width(out + c) > limit - 1:
            break
        out += c
    return out + "…"


def table(header: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    """A plain-text table; columns in `right` are right-aligned (numbers)."""
    right = right or set()
    widths = [
        max([display_width(h)] + [display_width(r[i]) for r in rows]) for i, h in enumerate(header)
    ]

    def line(cells: list[str]) -> str:
        padded = [
            " " * (w - display_width(c)) + c if i in right else c + " " * (w - display_width(c))
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(padded).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def format_text(analysis: Analysis, *, max_chains: int = 50) -> str:
    from cskg.query.results import compact

    def name(node: str) -> str:
        return _clip(analysis.labels.get(node, node), 48)

    parts = [f"View {analysis.view}: {analysis.nodes} nodes, {analysis.edges} edges"]
    titles = {"degree": "degree", "betweenness": "betweenness", "pagerank": "PageRank"}
    if analysis.betweenness_sources is not None:
        titles["betweenness"] = (
            f"betweenness (estimated from {analysis.betweenness_sources:,} of "
            f"{analysis.nodes:,} nodes as sources, seed 0)"
        )
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
    parts += _chains_text(analysis, name, max_chains)
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


def _chains_text(analysis: Analysis, name: Callable[[str], str], max_chains: int) -> list[str]:
    """The influence chains section of `format_text`."""
    from cskg.query.results import compact

    parts = [f"\nInfluence chains from policies and events to changes: {len(analysis.chains)}\n"]
    if not analysis.chains:
        return parts
    rows: list[list[str]] = []
    for chain in analysis.chains[:max_chains]:
        steps = " ".join(
            f"—{hop.key.split(':')[-1]}"
            + (f" ({hop.modality})" if hop.modality else "")
            + f"→ {name(hop.target)}"
            for hop in chain.hops
        )
        rows.append([compact(chain.start), str(len(chain.hops)), f"{name(chain.start)} {steps}"])
    parts.append(table(["from", "hops", "chain"], rows, right={1}))
    if len(analysis.chains) > max_chains:
        parts.append(f"… and {len(analysis.chains) - max_chains} more")
    return parts
