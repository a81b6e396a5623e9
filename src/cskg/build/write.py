"""The release's files and its store, written into the staging folder (`cskg.outdir.writing`)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pyoxigraph as ox

from cskg.build.report import ValidationReport
from cskg.build.sources import triples_to_graph
from cskg.build.void import Figures, write_void
from cskg.vocab import PREFIXES, prefixes_used


def write_release(
    folder: Path,
    schema: list[ox.Quad],
    shape_triples: list[ox.Triple],
    report: ValidationReport,
    figures: Figures,
) -> None:
    """Every file of the release but `cskg.nq` (there already), the store and build.json:
    `schema` is the ontology graph's quads. The TriG is written from `cskg.nq` as it is read."""
    quads = ox.parse(path=folder / "cskg.nq", format=ox.RdfFormat.N_QUADS)
    ox.serialize(quads, str(folder / "cskg.trig"), format=ox.RdfFormat.TRIG, prefixes=PREFIXES)
    ontology = [q.triple for q in schema]
    ox.serialize(
        ontology, str(folder / "ontology.ttl"), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES
    )
    _write_jsonld(folder / "ontology.jsonld", ontology)
    ox.serialize(
        shape_triples, str(folder / "shapes.ttl"), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES
    )
    (folder / "validation.ttl").write_text(report.to_turtle(), encoding="utf-8")
    (folder / "validation.txt").write_text(report.to_text(), encoding="utf-8")
    write_void(folder / "void.ttl", figures)


def _write_jsonld(path: Path, triples: list[ox.Triple]) -> None:
    """JSON-LD compacted with the project's prefixes (an inline context: nothing to fetch)."""
    graph = triples_to_graph(triples)
    context = prefixes_used(str(term) for t in graph for term in t)
    text = graph.serialize(format="json-ld", context=context, auto_compact=True, indent=1)
    path.write_text(text, encoding="utf-8")


#: quads given to the store's bulk loader at once: its memory grows with what one call is given,
#: and its time with the number of calls (each is a commit into a store that grows)
STORE_CHUNK = 200_000


def load_store(path: Path, dump: Path) -> None:
    """A pyoxigraph on-disk store holding the quads of `dump` (`cskg.nq`), and in its default
    graph their RDF merge: each triple once, however many graphs state it.

    Queries take that default graph as it is (`cskg.query.engines.union_options`): pyoxigraph's
    own union of the named graphs repeats a triple for every graph that states it. The quads are
    read once from `cskg.nq` by pyoxigraph's parser, which keeps the blank nodes' labels, and
    given to the bulk loader a chunk at a time, each with its default-graph copy; its own
    `bulk_load` of a file would give every blank node a new random label, and the default
    graph's blank nodes would not be those of the named graphs."""
    store = ox.Store(str(path))
    quads = _with_default_graph(ox.parse(path=dump, format=ox.RdfFormat.N_QUADS))
    while chunk := list(islice(quads, STORE_CHUNK)):
        store.bulk_extend(chunk)
    store.optimize()
    store.flush()
    del store  # closes the RocksDB files before the folder is moved


def _with_default_graph(quads: Iterator[ox.Quad]) -> Iterator[ox.Quad]:
    """Each quad, then its triple in the default graph."""
    for quad in quads:
        yield quad
        yield ox.Quad(quad.subject, quad.predicate, quad.object)
