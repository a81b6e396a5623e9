"""The sources read twice, so that no step holds the whole corpus: a first pass keeps what every
part shares and which files belong together, a second reads them batch by batch.

The first pass (`index_sources`) parses every source once and keeps only:

* what every part has (`cskg.build.partition`): the ontology's quads and the triples of shared
  nodes — the vocabulary the papers share, which does not grow with papers that only use it;
* the quads that name shared nodes only, in a graph of shared nodes (a concept's label in the
  translations graph): several files may state them, so they are written once, from here;
* which files belong together: two files that name the same paper-local node (an entity, an
  evidence graph) are in one *file group*, found by a union-find over 64-bit hashes of the
  nodes, sorted with numpy (12 bytes a node, not a Python object). A hash collision can only
  join two groups, which changes nothing but the size of a batch;
* each file's size, the first position of each shared graph, and the target nodes each file
  holds (`targets_left_out`).

The second pass (`read_batch`) parses the files of a few file groups at a time, some 250,000
quads: every part lies within one file group, so the batch's parts are the corpus's parts
(`group_data`), and every quad that names a paper-local node is in exactly one batch.

Each quad has a key, `(rank, graph's first position, position)`, position being `(file,
index in the file)` and file 0 the ontology: the release's order (graph by graph: ontology,
document, evidence and data, curation, translations; graphs in the order the sources first name
them, statements in source order) is the order of the keys, so runs sorted by key
(`cskg.build.spill`) merge into the release.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from cskg.build.partition import base_of, group_data, paper_local, target_nodes
from cskg.build.sources import (
    data_graph_for,
    parse_file,
    serialized,
    source_files,
    stamp_version,
)
from cskg.vocab import (
    GRAPH_CURATION,
    GRAPH_DOCUMENT,
    GRAPH_INFERRED,
    GRAPH_ONTOLOGY,
    GRAPH_TRANSLATIONS,
)

#: about how many quads a batch reads at once: with their parts, serialisations and runs, some
#: 400 MB in this process at this size
BATCH_QUADS = 250_000

#: where a graph goes in the release's order; every other graph (evidence, data) ranks 2
_GRAPH_RANK = {
    GRAPH_ONTOLOGY: 0,
    GRAPH_DOCUMENT: 1,
    GRAPH_CURATION: 3,
    GRAPH_TRANSLATIONS: 4,
    GRAPH_INFERRED: 9,
}

#: (rank, the graph's first position: file and index, the quad's: file and index)
Key = tuple[int, int, int, int, int]
#: a key as a run writes it: fixed width, so that lines sort as their keys
KEY_WIDTH = 1 + 6 + 8 + 6 + 8


def key_text(key: Key) -> str:
    return "{:x}{:06x}{:08x}{:06x}{:08x}".format(*key)


def graph_rank(graph: ox.NamedNode) -> int:
    return _GRAPH_RANK.get(graph.value, 2)


@dataclass
class SourceFile:
    """A data file as the first pass saw it."""

    path: Path
    graph: str  # the graph of the triples it leaves in its default graph
    blank_prefix: str
    own: int = 0  # its quads that a batch writes (those naming a paper-local node)
    held: set[Any] = field(default_factory=set)  # the target nodes its statements name

    def parse(self) -> list[ox.Quad]:
        return parse_file(self.path, self.graph, self.blank_prefix)


@dataclass
class SourceIndex:
    """What the first pass keeps (see the module docstring); file `f` is `files[f - 1]`."""

    shapes: list[ox.Triple]
    files: list[SourceFile] = field(default_factory=list)
    schema: dict[ox.Quad, Key] = field(default_factory=dict)  # the ontology graph's quads
    shared: dict[ox.Quad, Key] = field(default_factory=dict)  # shared nodes in a shared graph
    common: dict[ox.Triple, None] = field(default_factory=dict)  # shared nodes, any graph
    graph_first: dict[ox.NamedNode, tuple[int, int]] = field(default_factory=dict)
    batches: list[list[int]] = field(default_factory=list)  # file numbers, ascending
    groups: int = 0  # file groups with quads of their own
    orphans: set[Any] = field(default_factory=set)  # target nodes no file holds

    def base(self) -> list[ox.Quad]:
        """What every part has (`cskg.build.partition.base_of`)."""
        return base_of(list(self.schema), self.common)

    def schema_quads(self) -> list[ox.Quad]:
        """The ontology graph's quads, in the release's order."""
        return list(self.schema)

    def base_quads(self) -> list[tuple[Key, ox.Quad]]:
        """The quads written from the index, not by a batch, with their keys."""
        return [(key, q) for q, key in (*self.schema.items(), *self.shared.items())]


def index_sources(root: Path, advance: Any = None) -> SourceIndex:
    """The first pass over the sources of the project at `root`; `advance()` after each file."""
    ontology, data, shape_files = source_files(root)
    shapes = [q.triple for i, p in enumerate(shape_files) for q in parse_file(p, None, f"s{i}x")]
    index = SourceIndex(shapes)
    ontology_graph = ox.NamedNode(GRAPH_ONTOLOGY)
    index.graph_first[ontology_graph] = (0, 0)
    for i, q in enumerate(stamp_version(parse_file(ontology, GRAPH_ONTOLOGY, "o"))):
        index.schema.setdefault(q, (0, 0, 0, 0, i))
    reader = _FirstPass(index, target_nodes(shapes))
    local_nodes = []
    for k, path in enumerate(data):
        source = SourceFile(path, data_graph_for(path, root / "data"), f"d{k}x")
        index.files.append(source)
        local_nodes.append(_hashed(reader.read(k + 1, source)))
        if advance:
            advance()
    groups = [g for g in _file_groups(local_nodes) if any(index.files[f - 1].own for f in g)]
    index.groups = len(groups)
    index.batches = _batches(groups, [source.own for source in index.files])
    index.orphans = reader.targets.difference(*(source.held for source in index.files))
    return index


class _FirstPass:
    """Reads one data file after another into the index."""

    def __init__(self, index: SourceIndex, targets: set[Any]) -> None:
        self.index, self.targets = index, targets
        self.ontology_graph = ox.NamedNode(GRAPH_ONTOLOGY)

    def read(self, number: int, source: SourceFile) -> set[str]:
        """Index the file `number`; return the paper-local IRIs it names."""
        index, targets = self.index, self.targets
        shared: dict[object, bool] = {}  # term -> whether it may be shared, for this file
        known = shared.get
        graphs: dict[object, bool] = {}  # the same for the graphs the file has quads in
        local: set[str] = set()
        # the loop runs once per quad of the corpus: dictionary lookups rather than calls
        for i, q in enumerate(source.parse()):
            s, o, g = q.subject, q.object, q.graph_name
            if g == self.ontology_graph:
                index.schema.setdefault(q, (0, 0, 0, number, i))
                continue
            g_shared, s_shared, o_shared = graphs.get(g), known(s), known(o)
            if g_shared is None:  # the file's first quad in this graph
                g_shared = graphs[g] = _may_be_shared(g)
                if g_shared and g not in index.graph_first:
                    index.graph_first[g] = (number, i)  # type: ignore[index]
            if s_shared is None:
                s_shared = shared[s] = _may_be_shared(s)
            if o_shared is None:
                o_shared = shared[o] = _may_be_shared(o)
            if s_shared and o_shared:
                index.common[q.triple] = None
                if g_shared:
                    first = index.graph_first[g]  # type: ignore[index]
                    index.shared.setdefault(q, (graph_rank(g), *first, number, i))  # type: ignore[arg-type]
                    continue
            elif s in targets or o in targets:
                source.held.update(t for t in (s, o) if t in targets)
            source.own += 1
            for term, is_shared in ((s, s_shared), (o, o_shared), (g, g_shared)):
                if not is_shared and type(term) is ox.NamedNode:
                    local.add(term.value)
        return local


def _may_be_shared(term: object) -> bool:
    """Whether all papers may name the term: not paper-local (literals may; blank nodes are
    their file's own)."""
    if type(term) is ox.NamedNode:
        return not paper_local(term.value)
    return type(term) is not ox.BlankNode


def _hashed(nodes: set[str]) -> Any:
    """The nodes' hashes as a numpy array: 8 bytes a node where the set of strings takes some
    150, which for 10,000 papers was a gigabyte held until the file groups are found (and not
    given back to the system after)."""
    import numpy as np

    return np.fromiter((hash(v) for v in nodes), np.int64, len(nodes))


def _file_groups(local_nodes: Sequence[Any]) -> list[list[int]]:
    """The groups of files (numbers from 1) that name a paper-local node in common, in order of
    their first file; `local_nodes` are each file's hashed nodes (`_hashed`)."""
    import numpy as np

    values = np.concatenate([*local_nodes, np.zeros(0, np.int64)])
    files = np.repeat(np.arange(1, len(local_nodes) + 1), [len(n) for n in local_nodes])
    order = np.argsort(values, kind="stable")
    values, files = values[order], files[order]
    parent = list(range(len(local_nodes) + 1))

    def find(f: int) -> int:
        while parent[f] != f:
            parent[f] = parent[parent[f]]
            f = parent[f]
        return f

    for at in np.flatnonzero(values[1:] == values[:-1]).tolist():
        a, b = find(int(files[at])), find(int(files[at + 1]))
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for f in range(1, len(local_nodes) + 1):
        groups.setdefault(find(f), []).append(f)
    return list(groups.values())


def _batches(groups: list[list[int]], sizes: list[int]) -> list[list[int]]:
    """File groups gathered into batches of about `BATCH_QUADS` quads, in order."""
    batches: list[list[int]] = []
    current: list[int] = []
    weight = 0
    for group in groups:
        current.extend(group)
        weight += sum(sizes[f - 1] for f in group)
        if weight >= BATCH_QUADS:
            batches.append(sorted(current))
            current, weight = [], 0
    if current:
        batches.append(sorted(current))
    return batches


@dataclass
class Batch:
    """The quads a batch writes, each once, in source order, with their keys (`key_text`),
    and its parts."""

    files: list[int]
    quads: dict[ox.Quad, str]
    groups: list[list[ox.Quad]]

    def keyed_lines(self) -> list[str]:
        """Each quad as a line of N-Quads behind its key (not sorted)."""
        text = serialized_lines(list(self.quads))
        return [f"{key} {line}\n" for key, line in zip(self.quads.values(), text, strict=True)]


def read_batch(index: SourceIndex, files: Iterable[int]) -> Batch:
    """The second pass over the files of one batch (see the module docstring)."""
    ontology_graph, shared = ox.NamedNode(GRAPH_ONTOLOGY), index.shared
    own: dict[ox.Quad, str] = {}
    graphs: dict[object, str] = {}  # a graph's rank and first position, as a key begins
    for number in sorted(files):
        for i, q in enumerate(index.files[number - 1].parse()):
            if q in own or q in shared or q.graph_name == ontology_graph:
                continue
            graph = q.graph_name
            begins = graphs.get(graph)
            if begins is None:  # a paper-local graph's first quad is the first the batch sees
                first = index.graph_first.get(graph) or (number, i)  # type: ignore[arg-type]
                begins = graphs[graph] = key_text((graph_rank(graph), *first, 0, 0))[:15]  # type: ignore[arg-type]
            own[q] = f"{begins}{number:06x}{i:08x}"
    _, groups = group_data(list(own))
    return Batch(sorted(files), own, groups)


def keyed_lines(pairs: list[tuple[Key, ox.Quad]]) -> list[str]:
    """Each quad as a line of N-Quads behind its key (not sorted)."""
    text = serialized_lines([q for _, q in pairs])
    return [f"{key_text(key)} {line}\n" for (key, _), line in zip(pairs, text, strict=True)]


def serialized_lines(quads: list[ox.Quad]) -> list[str]:
    """The N-Quads line of each quad, in order, without its newline."""
    data = serialized(quads, ox.RdfFormat.N_QUADS)
    # split on newlines only: a literal may hold other line separators (U+2028) as they are
    return data.decode("utf-8").split("\n")[:-1]
