"""Blank nodes named by their content, so that two datasets compare quad by quad.

A blank node has no name of its own: `_:b0` in one release and `_:b0` in another are unrelated,
and the build numbers them in the order the sources mention them (a file added before another
renumbers the other's). Compared by their labels, two releases that say the same thing would
differ wherever they hold a blank node. So each blank node is renamed after what it says:

- the quads that hold blank nodes fall into connected groups (two blank nodes are in one group
  when a quad holds both): an OWL restriction, a list, a nested description;
- each group is canonicalised on its own (W3C RDF Dataset Canonicalization, RDFC-1.0, as
  pyoxigraph implements it), and the SHA-256 of its canonical N-Quads names it: its blank nodes
  become `_:c{12 hex digits of the digest}n{k}`, `k` their canonical number in the group;
- a group whose content occurs twice in one dataset (the same list stated twice) keeps both:
  the second is `…d2n{k}`, and so on.

The names then depend on the group's content alone, not on the rest of the dataset (RDFC-1.0 run
on a whole dataset numbers every blank node across it, so one added blank node renames many).
Two datasets that say the same thing have the same quads; a group whose content changed shows
as its old quads removed and its new quads added, which is what happened to it. Groups are small
in practice (RDFC-1.0 is exponential only for many blank nodes that cannot be told apart).
Blank nodes inside RDF 1.2 triple terms are left as they are (no release holds any).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox


def _blanks(quad: ox.Quad) -> list[ox.BlankNode]:
    return [t for t in (quad.subject, quad.object, quad.graph_name) if type(t) is ox.BlankNode]


def _groups(quads: list[ox.Quad]) -> list[list[ox.Quad]]:
    """The quads holding blank nodes, in groups linked by shared blank nodes (union-find)."""
    parent: dict[ox.BlankNode, ox.BlankNode] = {}

    def find(node: ox.BlankNode) -> ox.BlankNode:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for quad in quads:
        first, *others = _blanks(quad)
        for other in others:
            parent[find(other)] = find(first)
    grouped: dict[ox.BlankNode, list[ox.Quad]] = defaultdict(list)
    for quad in quads:
        grouped[find(_blanks(quad)[0])].append(quad)
    return list(grouped.values())


def _canonical_group(group: list[ox.Quad]) -> tuple[str, list[ox.Quad]]:
    """The group's canonical N-Quads and quads (blank nodes labelled `c14n{k}`)."""
    dataset = ox.Dataset(group)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    quads = sorted(dataset, key=str)
    return "".join(f"{q} .\n" for q in quads), quads


def _renamed(term: Any, prefix: str) -> Any:
    """`term`, a blank node renamed from `c14n{k}` to `{prefix}{k}`."""
    if type(term) is ox.BlankNode:
        return ox.BlankNode(prefix + term.value.removeprefix("c14n"))
    return term


def by_content(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The quads, each once, with every blank node named by its content (module docstring).

    Quads without blank nodes come first, as they are; then each group's quads."""
    plain: dict[ox.Quad, None] = {}
    blank: dict[ox.Quad, None] = {}
    for quad in quads:
        (blank if _blanks(quad) else plain)[quad] = None
    canonical = sorted((_canonical_group(g) for g in _groups(list(blank))), key=lambda c: c[0])
    out = list(plain)
    seen: dict[str, int] = defaultdict(int)
    for text, group in canonical:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        seen[digest] += 1  # the same content again, or (never seen) another with its digest
        occurrence = f"d{seen[digest]}" if seen[digest] > 1 else ""
        prefix = f"c{digest}{occurrence}n"
        out.extend(
            ox.Quad(
                _renamed(q.subject, prefix),
                q.predicate,
                _renamed(q.object, prefix),
                _renamed(q.graph_name, prefix),
            )
            for q in group
        )
    return out
