"""One side of a diff: a release folder, a project's sources built in memory, or a dump file.

`read_quads` reads the quads a path stands for: a release folder's `cskg.nq`; a project folder
(`ontology/` and `data/`) built by the build's own steps in memory (`build_in_memory`: nothing is
written anywhere); or an N-Quads or TriG file (what `cskg patch` writes). `open_side` adds what
the report needs: the quads with blank nodes named by their content (`cskg.diff.canonical`), and
a `Release` over them in memory for labels and evidence.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox

from cskg.build.pipeline import build_in_memory
from cskg.build.sources import FORMATS, display_path, load_dump
from cskg.diff.canonical import by_content
from cskg.errors import CskgError
from cskg.query.engines import EmbeddedStore, merge_into_default_graph
from cskg.release import Release

#: a node a blank node hangs from: the IRI that reaches it, or a blank node nothing reaches
Anchor = ox.NamedNode | ox.BlankNode


@dataclass(frozen=True)
class Quads:
    """The quads a path stands for; `conforms` says whether sources built in memory conform to
    the shapes (None for a release or a file: checked when it was built)."""

    quads: list[ox.Quad]
    conforms: bool | None = None


def read_quads(path: Path) -> Quads:
    """The quads of a release folder, a project folder (built in memory) or a dump file."""
    path = Path(path)
    if (path / "cskg.nq").is_file():
        return Quads(load_dump(path / "cskg.nq"))
    if (path / "ontology").is_dir() and (path / "data").is_dir():
        quads, result = build_in_memory(path)
        return Quads(quads, result.report.conforms)
    if path.is_file() and path.suffix.lower() in (".nq", ".trig"):
        return Quads(load_dump(path))
    if path.suffix.lower() in FORMATS and not path.exists():
        raise CskgError(f"{display_path(path)}: no such file")
    raise CskgError(
        f"{display_path(path)}: not a release folder (no cskg.nq), a project folder (no ontology/ "
        "and data/) or an N-Quads or TriG file"
    )


@dataclass
class Side:
    """One side of a diff: its name as given, its quads (blank nodes named by content), the
    release over them, and whether its sources conform (see `Quads`)."""

    name: str
    quads: frozenset[ox.Quad]
    release: Release = field(repr=False)
    conforms: bool | None = None

    @cached_property
    def _holders(self) -> dict[Anchor, list[Anchor]]:
        """blank node -> the subjects of the quads whose object it is."""
        found: dict[Anchor, list[Anchor]] = defaultdict(list)
        for quad in self.quads:
            if type(quad.object) is ox.BlankNode and type(quad.subject) is not ox.Triple:
                found[quad.object].append(quad.subject)
        return found

    def anchor(self, node: Anchor) -> Anchor:
        """The entity a statement about `node` belongs to: `node` when an IRI; for a blank node
        the IRI that reaches it through the fewest blank nodes (the smallest IRI among equals),
        or, when no IRI reaches it, the first blank node of its chain (the smallest label)."""
        if type(node) is ox.NamedNode:
            return node
        seen: set[Anchor] = {node}
        level: list[Anchor] = [node]
        while level:
            holders = {h for n in level for h in self._holders.get(n, ()) if h not in seen}
            named = [h for h in holders if type(h) is ox.NamedNode]
            if named:
                return min(named, key=lambda h: h.value)
            seen |= holders
            if not holders:
                break
            level = list(holders)
        return min(level, key=lambda n: n.value)


def open_side(path: Path) -> Side:
    """The side a path stands for (see `read_quads`), ready to compare and to report on."""
    read = read_quads(path)
    quads = by_content(read.quads)
    store = ox.Store()
    store.bulk_extend(quads)
    merge_into_default_graph(store)
    release = Release(EmbeddedStore(Path(path), store=store), Path(path))
    return Side(str(path), frozenset(quads), release, read.conforms)
