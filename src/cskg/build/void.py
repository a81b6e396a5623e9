"""The release's figures (build.json, void.ttl) and its VoID and DCAT description (void.ttl).

Written with pyoxigraph: with a VoID subset per named graph, a large corpus has hundreds of
thousands of triples here, which rdflib's Turtle writer takes minutes over.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from cskg import __version__
from cskg.vocab import (
    BASE,
    DATA_LICENSE,
    DCAT,
    DCTERMS,
    DCTERMS_TITLE,
    PAPER_DOI,
    RDF_TYPE,
    RELEASE_DATASET,
    RELEASE_DOWNLOADS,
    SD,
    SH,
    VOID,
    XSD,
    XSD_INTEGER,
)

#: the release's downloads: file name and media type
DOWNLOADS = (
    ("cskg.trig", "application/trig"),
    ("cskg.nq", "application/n-quads"),
    ("ontology.ttl", "text/turtle"),
    ("ontology.jsonld", "application/ld+json"),
    ("shapes.ttl", "text/turtle"),
)
#: the figures of `count` that VoID names, with their VoID property
VOID_FIGURES = (
    ("triples", "triples"),
    ("classes", "classes"),
    ("properties", "properties"),
    ("entities", "entities"),
    ("distinct_subjects", "distinctSubjects"),
    ("distinct_objects", "distinctObjects"),
)


def count_shapes(shapes: list[ox.Triple]) -> int:
    """The node and property shapes."""
    kinds = {ox.NamedNode(SH + "NodeShape"), ox.NamedNode(SH + "PropertyShape")}
    nodes = {
        t.subject
        for t in shapes
        if (t.predicate.value == RDF_TYPE and t.object in kinds) or t.predicate.value == SH + "path"
    }
    return len(nodes | {t.object for t in shapes if t.predicate.value == SH + "property"})


class _Description:
    """The triples of void.ttl, added one statement at a time."""

    def __init__(self) -> None:
        self.triples: list[ox.Triple] = []

    def add(
        self, s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal
    ) -> None:
        self.triples.append(ox.Triple(s, ox.NamedNode(p), o))

    def number(self, s: ox.NamedNode | ox.BlankNode, p: str, n: object) -> None:
        self.add(s, p, ox.Literal(str(n), datatype=ox.NamedNode(XSD_INTEGER)))


def built_at() -> str:
    """When a release is built, in UTC to the second: the time now, or `SOURCE_DATE_EPOCH`'s
    when it is set (the reproducible-builds convention: two builds of the same sources with the
    same value give the same files)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    seconds = int(epoch) if epoch.isdigit() else time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


@dataclass(frozen=True)
class Figures:
    """What void.ttl states of a release: the figures of build.json (`counts`), its build
    time, the named graphs' sizes (`graphs`: a file of lines `size<TAB>IRI`, which may be
    millions long) and the vocabularies used."""

    counts: dict[str, object]
    built: str
    graphs: Path
    vocabularies: set[str]

    def graph_sizes(self) -> Iterator[tuple[str, int]]:
        with self.graphs.open(encoding="utf-8") as lines:
            for line in lines:
                size, name = line.rstrip("\n").split("\t", 1)
                yield name, int(size)


def write_void(path: Path, figures: Figures) -> None:
    """The VoID and DCAT description of the release (void.ttl), written as it is made."""
    prefixes = {"void": VOID, "dcat": DCAT, "dcterms": DCTERMS, "sd": SD, "xsd": XSD}
    ox.serialize(_void_triples(figures), str(path), format=ox.RdfFormat.TURTLE, prefixes=prefixes)


def _void_triples(figures: Figures) -> Iterator[ox.Triple]:
    ds = ox.NamedNode(RELEASE_DATASET)
    out = _Description()
    out.add(ds, RDF_TYPE, ox.NamedNode(VOID + "Dataset"))
    out.add(ds, RDF_TYPE, ox.NamedNode(DCAT + "Dataset"))
    title = "Cyberspace security industry knowledge graph"
    out.add(ds, DCTERMS_TITLE, ox.Literal(title, language="en"))
    description = (
        "Ontology, facts with per-sentence provenance, and OWL 2 RL entailments of "
        f"the paper doi:{PAPER_DOI} on China's cyberspace security industry."
    )
    out.add(ds, DCTERMS + "description", ox.Literal(description, language="en"))
    out.add(ds, DCTERMS + "license", ox.NamedNode(DATA_LICENSE))
    out.add(ds, DCTERMS + "source", ox.NamedNode(f"https://doi.org/{PAPER_DOI}"))
    out.add(ds, DCAT + "version", ox.Literal(__version__))
    modified = ox.Literal(figures.built, datatype=ox.NamedNode(XSD + "dateTime"))
    out.add(ds, DCTERMS + "modified", modified)
    out.add(ds, VOID + "uriSpace", ox.Literal(BASE + "id/"))
    for key, prop in VOID_FIGURES:
        out.number(ds, VOID + prop, figures.counts[key])
    _add_downloads(out, ds)
    for vocabulary in sorted(figures.vocabularies):
        out.add(ds, VOID + "vocabulary", ox.NamedNode(vocabulary))
    yield from out.triples
    yield from _subsets(ds, figures.graph_sizes())


def _subsets(ds: ox.NamedNode, sizes: Iterable[tuple[str, int]]) -> Iterator[ox.Triple]:
    """A VoID subset for each named graph, made as the sizes are read."""
    for i, (name, n) in enumerate(sizes):
        out = _Description()
        subset = ox.BlankNode(f"subset{i}")
        out.add(ds, VOID + "subset", subset)
        out.add(subset, RDF_TYPE, ox.NamedNode(VOID + "Dataset"))
        out.add(subset, RDF_TYPE, ox.NamedNode(SD + "NamedGraph"))
        out.add(subset, SD + "name", ox.NamedNode(name))
        out.number(subset, VOID + "triples", n)
        yield from out.triples


def _add_downloads(out: _Description, ds: ox.NamedNode) -> None:
    for name, media in DOWNLOADS:
        url = ox.NamedNode(RELEASE_DOWNLOADS + name)
        if name.startswith("cskg."):
            out.add(ds, VOID + "dataDump", url)
        dist = ox.BlankNode(f"distribution-{name.replace('.', '-')}")
        out.add(ds, DCAT + "distribution", dist)
        out.add(dist, RDF_TYPE, ox.NamedNode(DCAT + "Distribution"))
        out.add(dist, DCAT + "downloadURL", url)
        media_type = f"https://www.iana.org/assignments/media-types/{media}"
        out.add(dist, DCAT + "mediaType", ox.NamedNode(media_type))
        out.add(dist, DCTERMS_TITLE, ox.Literal(name))
