"""The asserted quads in independent parts, so that reasoning and validation run part by part:
the same closure and the same report as on the whole, with memory bounded by the largest part,
not the corpus, and with several parts on every core (`cskg.build.pool`).

Two resources (`id/...` IRIs, evidence graphs, blank nodes) are in the same part when a
statement links them, or when they are named in the same evidence graph; *shared* nodes link
nothing: the SKOS concepts (`id/concept/`) and the terms of the ontology and of the vocabularies
it reuses, which every paper may use. A triple between shared nodes and literals only (a
concept's label) is given to every part, once. Papers that link to each other only through
shared nodes fall in different parts; one paper, or papers that cite each other's resources,
stay in one.

Reasoning part by part gives the closure of the whole as long as no OWL RL rule joins two parts
through a shared node, which would take a functional or inverse-functional property, a key or a
cardinality axiom with a shared node at the joining end: the ontology has functional properties
only, and no data states two values of one for a concept. The shapes are evaluated on each part:
every shape of the project looks at a node, its neighbours and the tables of one paper (the
growth-rate shape compares market sizes of one area, which is a shared concept: on the whole
corpus it would compare one paper's figures with another's).

A shape that names its focus nodes (`sh:targetNode`) is evaluated, for each such node, in the
part that holds it (names it in one of the part's own statements), and for a node that no part
holds, in the first part only: a fact added on its own (an entity linked to nothing, a list of
blank nodes) makes a part of its own, in which the paper's tables must not be looked for, and a
table that is missing altogether is still reported, once (`targets_left_out`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter
from typing import Any

import pyoxigraph as ox

from cskg.vocab import BASE, CONCEPT, EV, GRAPH_ONTOLOGY, SH

ID_BASE = BASE + "id/"
TARGET_NODE = ox.NamedNode(SH + "targetNode")


def paper_local(iri: str) -> bool:
    """Whether an IRI names a resource of one paper: under `id/` but not a SKOS concept, or an
    evidence graph. Every other IRI may be shared by all papers."""
    return (iri.startswith(ID_BASE) and not iri.startswith(CONCEPT)) or iri.startswith(EV)


@dataclass
class Parts:
    """The asserted quads split by `split_parts`: what every part has, and what each adds."""

    base: list[ox.Quad]  # the ontology and the triples of shared nodes
    groups: list[list[ox.Quad]]  # one list per part

    def __len__(self) -> int:
        return max(1, len(self.groups))

    def __iter__(self) -> Iterator[list[ox.Quad]]:
        """Each part whole: the base and its own quads."""
        if not self.groups:
            yield self.base
        for group in self.groups:
            yield self.base + group


def split_parts(quads: list[ox.Quad]) -> Parts:
    """The asserted quads in independent parts, each with the ontology and the shared triples
    (see the module docstring)."""
    ontology_graph = ox.NamedNode(GRAPH_ONTOLOGY)
    schema = [q for q in quads if q.graph_name == ontology_graph]
    common, groups = group_data([q for q in quads if q.graph_name != ontology_graph])
    return Parts(base_of(schema, common), groups)


def base_of(schema: list[ox.Quad], common: Iterable[ox.Triple]) -> list[ox.Quad]:
    """What every part has: the ontology's quads and the triples of shared nodes."""
    return schema + [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in common]


def group_data(data: list[ox.Quad]) -> tuple[dict[ox.Triple, None], list[list[ox.Quad]]]:
    """The triples of shared nodes and literals only (every part has them), and the quads of
    each part, the ontology's left out. Both in order of first appearance: a stable order.

    Parts are not merged into larger calls: the table shapes compare every observation of an
    area with every other, so their cost grows with the square of a part's tables, and they
    mean the tables of one paper."""
    parts = _Linker()
    anchors = parts.anchor_all(data)
    common: dict[ox.Triple, None] = {}
    groups: dict[object, list[ox.Quad]] = {}
    for q, node in zip(data, anchors, strict=True):
        if node is None:
            common[q.triple] = None
        else:
            root = parts.find(node)
            group = groups.get(root)
            if group is None:
                group = groups[root] = []
            group.append(q)
    return common, list(groups.values())


class _Linker:
    """Which nodes are shared, and the parts the others fall in (union-find)."""

    def __init__(self) -> None:
        self.known: dict[object, bool] = {}  # term -> whether it is shared
        self.parent: dict[object, object] = {}

    def is_shared(self, term: object) -> bool:
        if type(term) is ox.BlankNode:
            found = False
        elif type(term) is ox.NamedNode:
            found = not paper_local(term.value)
        else:
            found = True  # literals, the default graph
        self.known[term] = found
        return found

    def find(self, node: object) -> object:
        parent = self.parent
        root = node
        while parent.get(root, root) is not root:
            root = parent[root]
        while node is not root:  # path compression
            parent[node], node = root, parent[node]
        return root

    def union(self, a: object, b: object) -> None:
        a, b = self.find(a), self.find(b)
        if a is not b:
            self.parent[a] = b

    def anchor_all(self, data: list[ox.Quad]) -> list[object]:
        """For each quad, the node whose part it goes to, or None for a quad of shared nodes and
        literals only; the nodes each statement links are joined on the way.

        Quads come in runs of one graph; the loop runs once per quad of the corpus, so it does
        no more than two dictionary lookups each."""
        known, is_shared, union = self.known, self.is_shared, self.union
        anchors: list[object] = []
        keep = anchors.append
        for graph, run in groupby(data, key=attrgetter("graph_name")):
            graph_shared = known.get(graph)
            if graph_shared is None:
                graph_shared = is_shared(graph)
            for q in run:
                s, o = q.subject, q.object
                s_shared = known.get(s)
                if s_shared is None:
                    s_shared = is_shared(s)
                o_shared = known.get(o)
                if o_shared is None:
                    o_shared = is_shared(o)
                if s_shared and o_shared:
                    keep(None)  # shared nodes and literals only: every part has it
                elif graph_shared:
                    keep(o if s_shared else s)
                    if not (s_shared or o_shared):
                        union(s, o)
                else:  # a statement of an evidence graph: in the part of its graph
                    keep(graph)
                    if not s_shared:
                        union(s, graph)
                    if not o_shared:
                        union(o, graph)
        return anchors


def targets_left_out(
    parts: Parts,
    shape_triples: list[ox.Triple],
    orphans: set[Any] | None = None,
    first: bool = True,
) -> list[frozenset[str]]:
    """For each part, the `sh:targetNode` nodes whose shapes do not look at it (see the module
    docstring): held by another part, or held by none and this is not the first part.

    By default `parts` are all the parts there are. A streamed build gives one batch of them at
    a time, with the `orphans` (the targets no part of the corpus holds) and whether the
    batch's first part is the corpus's `first`."""
    targets = target_nodes(shape_triples)
    if not targets:
        return [frozenset()] * len(parts)
    held = [_held(group, targets) for group in parts.groups] or [set()]
    if orphans is None:
        orphans = targets.difference(*held)
    every = {node.value for node in targets if isinstance(node, ox.NamedNode)}
    return [
        frozenset(every - {n.value for n in (nodes | orphans if i == 0 and first else nodes)})
        for i, nodes in enumerate(held)
    ]


def target_nodes(shape_triples: Iterable[ox.Triple]) -> set[Any]:
    """The nodes the shapes name as their focus (`sh:targetNode`)."""
    return {t.object for t in shape_triples if t.predicate == TARGET_NODE}


def _held(group: list[ox.Quad], targets: set[Any]) -> set[Any]:
    """The target nodes that a part's own statements name."""
    nodes: set[Any] = set()
    for q in group:
        if q.subject in targets:
            nodes.add(q.subject)
        if q.object in targets:
            nodes.add(q.object)
    return nodes
