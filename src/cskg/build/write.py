"""The release's files and its store, written into the staging folder (`cskg.outdir.writing`)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from cskg.build.report import ValidationReport
from cskg.build.sources import triples_to_graph
from cskg.build.void import void_description
from cskg.vocab import (
    GRAPH_CURATION,
    GRAPH_DOCUMENT,
    GRAPH_INFERRED,
    GRAPH_ONTOLOGY,
    GRAPH_TRANSLATIONS,
    PREFIXES,
    prefixes_used,
)

#: where a graph goes in the release's order; every other graph (evidence, data) ranks 2
_GRAPH_RANK = {
    GRAPH_ONTOLOGY: 0,
    GRAPH_DOCUMENT: 1,
    GRAPH_CURATION: 3,
    GRAPH_TRANSLATIONS: 4,
    GRAPH_INFERRED: 9,
}


def order_quads(quads: list[ox.Quad]) -> list[ox.Quad]:
    """Quads grouped by graph: ontology, document, evidence and data, curation, translations,
    inferred.

    Within a group, graphs keep the order in which the sources name them, and so do triples.
    """
    first: dict[object, int] = {}  # graph name -> its position in the order; one pass
    for graph in (q.graph_name for q in quads):
        if graph not in first:
            first[graph] = len(first)
    key = {
        graph: (_GRAPH_RANK.get(graph.value, 2) if type(graph) is ox.NamedNode else 2, position)
        for graph, position in first.items()
    }
    return sorted(quads, key=lambda q: key[q.graph_name])


def write_release(
    folder: Path,
    quads: list[ox.Quad],
    shape_triples: list[ox.Triple],
    report: ValidationReport,
    counts: dict[str, object],
    built: str,
) -> None:
    """Every file of the release but the store and build.json; `built` is its build time."""
    ox.serialize(quads, str(folder / "cskg.nq"), format=ox.RdfFormat.N_QUADS)
    ox.serialize(quads, str(folder / "cskg.trig"), format=ox.RdfFormat.TRIG, prefixes=PREFIXES)
    ontology_graph = ox.NamedNode(GRAPH_ONTOLOGY)
    ontology = [q.triple for q in quads if q.graph_name == ontology_graph]
    ox.serialize(
        ontology, str(folder / "ontology.ttl"), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES
    )
    _write_jsonld(folder / "ontology.jsonld", ontology)
    ox.serialize(
        shape_triples, str(folder / "shapes.ttl"), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES
    )
    (folder / "validation.ttl").write_text(report.to_turtle(), encoding="utf-8")
    (folder / "validation.txt").write_text(report.to_text(), encoding="utf-8")
    (folder / "void.ttl").write_text(void_description(quads, counts, built), encoding="utf-8")


def _write_jsonld(path: Path, triples: list[ox.Triple]) -> None:
    """JSON-LD compacted with the project's prefixes (an inline context: nothing to fetch)."""
    graph = triples_to_graph(triples)
    context = prefixes_used(str(term) for t in graph for term in t)
    text = graph.serialize(format="json-ld", context=context, auto_compact=True, indent=1)
    path.write_text(text, encoding="utf-8")


def load_store(path: Path, quads: list[ox.Quad]) -> None:
    """A pyoxigraph on-disk store holding `quads` (those of `cskg.nq`), and in its default graph
    their RDF merge: each triple once, however many graphs state it.

    Queries take that default graph as it is (`cskg.query.engines.union_options`): pyoxigraph's
    own union of the named graphs repeats a triple for every graph that states it. The quads are
    written from the objects at hand rather than bulk-loaded from `cskg.nq`, which would give
    every blank node a new random label: this way the default graph's blank nodes are those of
    the named graphs, and both keep the labels of `cskg.nq`."""
    store = ox.Store(str(path))
    store.bulk_extend(quads)
    store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
    store.optimize()
    store.flush()
    del store  # closes the RocksDB files before the folder is moved
