"""The whole graph (view "all") written while it is read, in the formats that allow it.

`graphml` and `edges-csv` are written node by node from the release's store, never holding the
graph: memory stays bounded (a few hundred MB at most, whatever the corpus) where the networkx
graph of `cskg.export.graph` takes about 1.4 kB a statement (`budget`). The file holds the same
nodes, edges and attributes as that graph written by `cskg.export.formats` (the attributes come
from the same functions: `node_attrs`, `statement_attrs`, `claim_attrs`, `kept_as_node`,
`name_node`, `name_edge`, `edge_row`), in another order.

How each part of the graph is found without the whole of it:

- nodes: the subjects of the data graphs (one SPARQL `DISTINCT`, its answer read lazily), each
  with its statements read from the store's index (`quads_for_pattern`), then the IRIs only
  ever objects; whether an IRI is a node (not an ontology term, nor folded provenance) from its
  own classes;
- edges: a node's statements, and the causal claims whose cause it is (folded into one edge
  each, or giving their modality to the shortcut statement they back);
- labels and evidence (`StoreRelease`): read per IRI when asked, kept in bounded caches;
- without `--scaffolding`, a concept scheme left with no edge is found by its own edges.

Of the other formats, `gexf` and `dot` could be written the same way (a header, then one
element a node or edge), and `json` and `cytoscape` with a hand-written JSON stream (nodes,
then edges); they still go through networkx, within the memory budget (`cskg.export.budget`).
"""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from xml.etree.ElementTree import Element, tostring

from cskg import __version__
from cskg.export.formats import (
    EDGE_COLUMNS,
    XML_MARK,
    edge_row,
    name_edge,
    name_node,
)
from cskg.export.graph import (
    CLAIM_LINKS,
    SCAFFOLDING,
    SCHEME_CLASS,
    TERM_TYPES,
    Claim,
    claim_attrs,
    claim_of,
    kept_as_node,
    make_safe,
    node_attrs,
    node_label,
    statement_attrs,
)
from cskg.query.model import Term, ox_term
from cskg.query.results import compact
from cskg.release import Evidence, LabelEntry, Release, label_entry, read_evidence
from cskg.vocab import CSKG, GRAPH_INFERRED, GRAPH_ONTOLOGY, LABEL_PROPERTIES, RDF_TYPE

if TYPE_CHECKING:
    import pyoxigraph

#: the formats written while the graph is read
STREAMING_FORMATS: tuple[str, ...] = ("graphml", "edges-csv")
#: how many IRIs' labels, evidence graphs and kinds each cache keeps
CACHE_SIZE = 100_000
CAUSE = CSKG + "cause"
Edge = tuple[str, str, str, dict[str, Any]]  # source, target, key, attributes


class _Cache(dict[str, Any]):
    """A dictionary that reads a key it lacks with `fetch` (None: nothing there) and keeps the
    `size` most recently used ones."""

    def __init__(self, fetch: Callable[[str], Any], size: int = CACHE_SIZE) -> None:
        super().__init__()
        self.fetch = fetch
        self.size = size

    def get(self, key: str, default: Any = None) -> Any:
        if dict.__contains__(self, key):
            value = self[key] = self.pop(key)  # now the most recent
        else:
            value = self.fetch(key)
            if len(self) >= self.size:
                del self[next(iter(self))]  # the oldest
            self[key] = value
        return default if value is None else value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None


class StoreRelease(Release):
    """The release whose labels and evidence are read from its store per IRI when asked,
    within bounded caches, rather than all at once: the same answers (`label_entry`,
    `read_evidence`), in memory bounded whatever the corpus."""

    def __init__(self, release: Release) -> None:
        super().__init__(release.store, release.dist)
        self.quads = release.embedded.store

    @cached_property
    def label_statements(self) -> dict[str, list[LabelEntry]]:
        return _Cache(self._label_statements_of)

    @cached_property
    def evidence(self) -> dict[str, Evidence]:
        return _Cache(lambda graph: read_evidence(self.store, graph).get(graph))

    def _label_statements_of(self, iri: str) -> list[LabelEntry] | None:
        import pyoxigraph as ox

        subject = ox.NamedNode(iri)
        entries = [
            label_entry(prop, ox_term(quad.object))
            for prop in LABEL_PROPERTIES
            for quad in self.quads.quads_for_pattern(subject, ox.NamedNode(prop), None, None)
            if isinstance(quad.object, ox.Literal) and _graph(quad) not in ("", GRAPH_INFERRED)
        ]
        return entries or None


def _graph(quad: pyoxigraph.Quad) -> str:
    """The name of the graph of `quad`; "" for the default graph (which no release fills, and
    the graph is read without)."""
    return str(getattr(quad.graph_name, "value", ""))


@dataclass
class _Resource:
    """What the graph needs of one IRI: its classes (in any graph; outside the inferred one)
    and its statements in the data graphs, (predicate, object) -> the sorted graphs."""

    iri: str
    types: set[str] = field(default_factory=set)
    asserted_types: set[str] = field(default_factory=set)
    statements: dict[tuple[str, Term], list[str]] = field(default_factory=dict)


@dataclass
class WholeGraph:
    """The whole graph of a release, read node by node (`nodes_and_edges`)."""

    release: StoreRelease
    lang: str
    inferred: bool
    provenance: str
    scaffolding: bool

    def __post_init__(self) -> None:
        self.quads = self.release.quads
        self.fold = self.provenance == "fold"
        self._kinds = _Cache(self._kind_of)
        self._dropped: dict[str, bool] = {}

    def data_graph(self, graph: str) -> bool:
        return graph not in ("", GRAPH_ONTOLOGY) and (self.inferred or graph != GRAPH_INFERRED)

    def _data_filter(self, var: str) -> str:
        inferred = "" if self.inferred else f" && {var} != <{GRAPH_INFERRED}>"
        return f"{var} != <{GRAPH_ONTOLOGY}>{inferred}"

    def resource(self, iri: str) -> _Resource:
        import pyoxigraph as ox

        found = _Resource(iri)
        statements: dict[tuple[str, Term], list[str]] = defaultdict(list)
        for quad in self.quads.quads_for_pattern(ox.NamedNode(iri), None, None, None):
            obj, graph = ox_term(quad.object), _graph(quad)
            if obj.kind == "bnode" or not graph:  # blank nodes: Data Cube component specs
                continue
            prop = quad.predicate.value
            if prop == RDF_TYPE and obj.kind == "iri":
                found.types.add(obj.value)
                if graph != GRAPH_INFERRED:
                    found.asserted_types.add(obj.value)
            if self.data_graph(graph):
                statements[(prop, obj)].append(graph)
        found.statements = {key: sorted(graphs) for key, graphs in statements.items()}
        return found

    def _kind_of(self, iri: str) -> tuple[bool, bool]:
        """(an ontology term, a node) for `iri`, from its classes in any graph."""
        import pyoxigraph as ox

        node = ox.NamedNode(iri)
        types = {
            quad.object.value
            for quad in self.quads.quads_for_pattern(node, ox.NamedNode(RDF_TYPE), None, None)
            if isinstance(quad.object, ox.NamedNode) and _graph(quad)
        }
        names_graph = self.quads.contains_named_graph(node)
        return bool(types & TERM_TYPES), kept_as_node(types, names_graph, self.fold)

    def is_term(self, iri: str) -> bool:
        return bool(self._kinds.get(iri)[0])

    def is_node(self, iri: str) -> bool:
        return bool(self._kinds.get(iri)[1])

    # -- nodes ------------------------------------------------------------------------------

    def nodes_and_edges(self) -> Iterator[tuple[str, dict[str, Any], list[Edge]]]:
        """Every node (its IRI and attributes) with the edges leaving it."""
        for iri in self._subjects():
            if self.is_node(iri):
                yield from self._node(self.resource(iri))
        for iri in self._objects_only():
            if self.is_node(iri) and self._reached(iri):
                yield from self._node(self.resource(iri))

    def _node(self, found: _Resource) -> Iterator[tuple[str, dict[str, Any], list[Edge]]]:
        types = found.types if self.inferred else found.asserted_types
        if not self.scaffolding and self._dropped_scheme(found, types):
            return
        literals: dict[str, list[Term]] = defaultdict(list)
        terms: dict[str, list[str]] = defaultdict(list)
        for (prop, obj), _graphs in found.statements.items():
            if obj.kind == "literal":
                literals[prop].append(obj)
            elif prop != RDF_TYPE and self.is_term(obj.value):
                terms[prop].append(compact(obj.value))
        attrs = node_attrs(self.release, found.iri, types, literals, terms, self.lang)
        yield found.iri, attrs, list(self.edges(found))

    def _subjects(self) -> Iterator[str]:
        query = (
            "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } "
            f"FILTER(isIRI(?s) && !isBlank(?o) && {self._data_filter('?g')}) }}"
        )
        for solution in self.release.embedded.raw(query):
            yield solution[0].value

    def _objects_only(self) -> Iterator[str]:
        """The IRIs objects of data statements and subjects of none (`_subjects`)."""
        import pyoxigraph as ox

        query = (
            "SELECT DISTINCT ?o WHERE { GRAPH ?g { ?s ?p ?o } "
            f"FILTER(isIRI(?o) && isIRI(?s) && ?p != <{RDF_TYPE}> && {self._data_filter('?g')}) }}"
        )
        for solution in self.release.embedded.raw(query):
            quads = self.quads.quads_for_pattern(solution[0], None, None, None)
            if not any(
                self.data_graph(_graph(quad)) and not isinstance(quad.object, ox.BlankNode)
                for quad in quads
            ):
                yield solution[0].value

    def _reached(self, iri: str) -> bool:
        """Whether a node points to `iri`, or (folded) a causal claim has it as cause or
        effect: what makes an IRI that is only ever an object a node."""
        import pyoxigraph as ox

        for quad in self.quads.quads_for_pattern(None, None, ox.NamedNode(iri), None):
            prop, subject = quad.predicate.value, quad.subject
            if prop == RDF_TYPE or not self.data_graph(_graph(quad)):
                continue
            if not isinstance(subject, ox.NamedNode):
                continue
            if self.is_node(subject.value):
                return True
            if self.fold and prop in (CAUSE, CSKG + "effect") and self._claim(subject.value):
                return True
        return False

    def _dropped_scheme(self, found: _Resource, types: set[str]) -> bool:
        """A concept scheme that only scaffolding reaches: left out with it (as
        `without_scaffolding` does)."""
        if SCHEME_CLASS not in {compact(t) for t in types}:
            return False
        if found.iri not in self._dropped:
            import pyoxigraph as ox

            edges = [e for e in self.edges(found, keep_scaffolding=True)]
            sources = {
                quad.subject.value
                for quad in self.quads.quads_for_pattern(None, None, ox.NamedNode(found.iri))
                if isinstance(quad.subject, ox.NamedNode) and self.is_node(quad.subject.value)
            }
            for source in sorted(sources):
                edges += [
                    e
                    for e in self.edges(self.resource(source), keep_scaffolding=True)
                    if e[1] == found.iri
                ]
            scaffolding = [e[3]["predicate"] in SCAFFOLDING for e in edges]
            self._dropped[found.iri] = any(scaffolding) and all(scaffolding)
        return self._dropped[found.iri]

    # -- edges ------------------------------------------------------------------------------

    def _claim(self, iri: str) -> Claim | None:
        found: dict[str, list[str]] = defaultdict(list)
        for (prop, obj), _graphs in sorted(self.resource(iri).statements.items(), key=_order):
            if (prop in CLAIM_LINKS or prop == CSKG + "causalRelation") and obj.kind == "iri":
                found[prop].append(obj.value)
        return claim_of(iri, found)

    def _claims_caused_by(self, iri: str) -> list[Claim]:
        import pyoxigraph as ox

        claims = {
            quad.subject.value
            for quad in self.quads.quads_for_pattern(
                None, ox.NamedNode(CAUSE), ox.NamedNode(iri), None
            )
            if isinstance(quad.subject, ox.NamedNode) and self.data_graph(_graph(quad))
        }
        return [c for c in map(self._claim, sorted(claims)) if c is not None and c.cause == iri]

    def edges(self, found: _Resource, keep_scaffolding: bool = False) -> Iterator[Edge]:
        """The edges leaving the node `found`, as `build_graph` makes them."""
        used: set[tuple[str, str]] = set()

        def keyed(target: str, key: str) -> str:
            final, n = key, 1
            while (target, final) in used:  # a parallel edge with the same key
                n += 1
                final = f"{key}#{n}"
            used.add((target, final))
            return final

        claims = self._claims_caused_by(found.iri)
        folded: set[tuple[str, str]] = set()
        if self.fold:
            for claim in claims:
                if self.is_node(claim.effect):
                    folded.add((claim.relation, claim.effect))
                    key = keyed(claim.effect, compact(claim.relation))
                    yield found.iri, claim.effect, key, claim_attrs(self.release, claim, self.lang)
        backing = {(c.relation, c.effect): c for c in claims}
        for (prop, obj), graphs in sorted(found.statements.items(), key=_order):
            if prop == RDF_TYPE or obj.kind != "iri" or (prop, obj.value) in folded:
                continue
            if not (keep_scaffolding or self.scaffolding) and prop in SCAFFOLDING:
                continue
            if not self.is_node(obj.value):
                continue
            backed = backing.get((prop, obj.value))
            attrs = statement_attrs(self.release, prop, graphs, self.lang, backed)
            yield found.iri, obj.value, keyed(obj.value, compact(prop)), attrs


def _order(item: tuple[tuple[str, Term], list[str]]) -> tuple[str, str]:
    (prop, obj), _graphs = item
    return prop, str(obj.value)


# -- the writers ----------------------------------------------------------------------------


class _EdgesCsv:
    """The edge list, row by row (`edge_row`)."""

    def __init__(self, out: IO[bytes], whole: WholeGraph) -> None:
        self.text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=False)
        self.writer = csv.DictWriter(self.text, fieldnames=EDGE_COLUMNS, lineterminator="\n")
        self.writer.writeheader()
        self.whole = whole

    def node(self, iri: str, attrs: dict[str, Any], edges: list[Edge]) -> None:
        for source, target, key, edge in edges:
            target_label = node_label(self.whole.release, target, self.whole.lang)
            row = edge_row(source, target, key, edge, attrs["label"], target_label)
            self.writer.writerow(row)

    def close(self) -> None:
        self.text.flush()
        self.text.detach()


class _GraphML:
    """GraphML by networkx's own writer (keys, types, escaping), one node and its edges at a
    time: the elements go to a temporary file, the keys (known at the end) before them."""

    def __init__(self, out: IO[bytes], body: IO[bytes], graph_attrs: dict[str, Any]) -> None:
        from networkx.readwrite.graphml import GraphMLWriter

        self.out = out
        self.writer = GraphMLWriter(encoding="utf-8")
        self.body = body
        self.graph = Element("graph", edgedefault="directed")
        self.writer.add_attributes("graph", self.graph, make_safe(dict(graph_attrs)), {})
        self._data()

    def _data(self) -> None:
        """The `data` elements of what was added since (networkx defers them)."""
        writer = self.writer
        for element, data in writer.attributes.items():
            for name, value, scope, default in data:
                kind = writer.attr_type(name, scope, value)
                element.append(writer.add_data(str(name), kind, str(value), scope, default))
        writer.attributes.clear()

    def node(self, iri: str, attrs: dict[str, Any], edges: list[Edge]) -> None:
        import networkx as nx

        one: nx.MultiDiGraph[str] = nx.MultiDiGraph()
        one.add_node(iri, **name_node(iri, make_safe(attrs)))
        graph = Element("graph")
        self.writer.add_nodes(one, graph)
        for source, target, key, edge in edges:
            lone: nx.MultiDiGraph[str] = nx.MultiDiGraph()
            lone.add_edge(source, target, key=key, **name_edge(key, make_safe(edge)))
            self.writer.add_edges(lone, graph)
        self._data()
        for element in graph:
            self.writer.indent(element, 2)
            element.tail = None
            self.body.write(b"    " + tostring(element) + b"\n")

    def close(self) -> None:
        self.writer.xml.append(self.graph)
        self.writer.indent(self.writer.xml)
        head, tail = tostring(self.writer.xml).decode().rsplit("</graph>", 1)
        self.out.write(f"{XML_MARK} {__version__} -->\n{head.rstrip()}\n".encode())
        self.body.seek(0)
        shutil.copyfileobj(self.body, self.out)
        self.out.write(f"  </graph>{tail.rstrip()}\n".encode())


def write_whole(
    whole: WholeGraph,
    fmt: str,
    out: IO[bytes],
    graph_attrs: dict[str, Any],
    scratch: Path | None = None,
) -> tuple[int, int]:
    """Write the whole graph in `fmt` (one of `STREAMING_FORMATS`) to `out`; the number of
    nodes and edges written. GraphML's elements wait in an unnamed temporary file in the folder
    `scratch` (the system's by default) until the keys that come before them are known."""
    with contextlib.ExitStack() as stack:
        if fmt == "edges-csv":
            sink: _EdgesCsv | _GraphML = _EdgesCsv(out, whole)
        else:
            body = stack.enter_context(tempfile.TemporaryFile(dir=scratch))
            sink = _GraphML(out, body, graph_attrs)
        nodes = edges = 0
        for iri, attrs, leaving in whole.nodes_and_edges():
            sink.node(iri, attrs, leaving)
            nodes, edges = nodes + 1, edges + len(leaving)
        sink.close()
    return nodes, edges


def export_whole(
    dist: Path,
    fmt: str,
    out: Path | None,
    *,
    lang: str = "en",
    inferred: bool = False,
    provenance: str = "fold",
    scaffolding: bool = False,
) -> tuple[int, int]:
    """Write the whole graph of the release in `dist` in `fmt` (one of `STREAMING_FORMATS`) to
    the file `out` (new, empty, or one `cskg export` wrote: `cskg.outdir.write_file_with`), or
    to standard output; the number of nodes and edges written."""
    import sys

    from cskg.export.formats import MARKS
    from cskg.export.graph import graph_attrs
    from cskg.outdir import write_file_with

    counts: list[tuple[int, int]] = []
    attrs = graph_attrs("all", lang, inferred, provenance, scaffolding)
    with Release.open(Path(dist)) as release:

        def write(file: IO[bytes]) -> None:
            whole = WholeGraph(StoreRelease(release), lang, inferred, provenance, scaffolding)
            # the temporary file beside the output: where there is room for the output
            counts.append(write_whole(whole, fmt, file, attrs, out.parent if out else None))

        if out is not None:
            write_file_with(out, write, MARKS, "cskg export")
        else:
            sys.stdout.flush()
            write(sys.stdout.buffer)
            sys.stdout.buffer.flush()
    return counts[0]
