"""The release's figures (build.json, void.ttl) and its VoID and DCAT description (void.ttl).

Written with pyoxigraph: with a VoID subset per named graph, a large corpus has hundreds of
thousands of triples here, which rdflib's Turtle writer takes minutes over.
"""

from __future__ import annotations

import os
import time
from collections import Counter

import pyoxigraph as ox

from cskg import __version__
from cskg.build.report import ValidationReport
from cskg.vocab import (
    BASE,
    DATA_LICENSE,
    DCAT,
    DCTERMS,
    DCTERMS_TITLE,
    GRAPH_ONTOLOGY,
    OWL,
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


def count(
    asserted: list[ox.Quad],
    inferred: list[ox.Quad],
    shapes: list[ox.Triple],
    report: ValidationReport,
) -> dict[str, object]:
    """The figures of build.json and void.ttl, computed from the quads themselves."""
    everything = asserted + inferred
    per_graph = {
        (g.value if type(g) is ox.NamedNode else ""): n
        for g, n in Counter(q.graph_name for q in everything).items()
    }
    rdf_type = ox.NamedNode(RDF_TYPE)
    ontology_graph = ox.NamedNode(GRAPH_ONTOLOGY)
    class_kinds = (ox.NamedNode(OWL + "Class"), ox.NamedNode(OWL + "Restriction"))
    declared = {
        q.subject
        for q in asserted
        if q.graph_name == ontology_graph
        and q.predicate == rdf_type
        and q.object in class_kinds
        and isinstance(q.subject, ox.NamedNode)
    }
    subjects = {q.subject for q in everything}
    return {
        "triples": len(everything),
        "asserted": len(asserted),
        "inferred": len(inferred),
        "graphs": len(per_graph),
        "per_graph": per_graph,
        "classes": len({q.object for q in everything if q.predicate == rdf_type}),
        "ontology_classes": len(declared),
        "properties": len({q.predicate for q in everything}),
        "entities": sum(1 for s in subjects if type(s) is ox.NamedNode),
        "distinct_subjects": len(subjects),
        "distinct_objects": len({q.object for q in everything}),
        "shapes": _count_shapes(shapes),
        "validation_results": len(report.results),
    }


def _count_shapes(shapes: list[ox.Triple]) -> int:
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


def void_description(quads: list[ox.Quad], counts: dict[str, object], built: str) -> str:
    """VoID and DCAT description of the release (void.ttl), `built` its build time."""
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
    out.add(ds, DCTERMS + "modified", ox.Literal(built, datatype=ox.NamedNode(XSD + "dateTime")))
    out.add(ds, VOID + "uriSpace", ox.Literal(BASE + "id/"))
    for key, prop in VOID_FIGURES:
        out.number(ds, VOID + prop, counts[key])
    _add_downloads(out, ds)
    per_graph: dict[str, int] = counts["per_graph"]  # type: ignore[assignment]
    for i, (name, n) in enumerate(per_graph.items()):
        if not name:
            continue
        subset = ox.BlankNode(f"subset{i}")
        out.add(ds, VOID + "subset", subset)
        out.add(subset, RDF_TYPE, ox.NamedNode(VOID + "Dataset"))
        out.add(subset, RDF_TYPE, ox.NamedNode(SD + "NamedGraph"))
        out.add(subset, SD + "name", ox.NamedNode(name))
        out.number(subset, VOID + "triples", n)
    for vocabulary in sorted(_vocabularies(quads)):
        out.add(ds, VOID + "vocabulary", ox.NamedNode(vocabulary))
    prefixes = {"void": VOID, "dcat": DCAT, "dcterms": DCTERMS, "sd": SD, "xsd": XSD}
    text = ox.serialize(out.triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    assert text is not None  # given no output file, pyoxigraph returns the bytes
    return text.decode("utf-8")


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


def _vocabularies(quads: list[ox.Quad]) -> set[str]:
    """Namespaces of the predicates and classes used."""
    rdf_type = ox.NamedNode(RDF_TYPE)
    iris = {q.predicate.value for q in quads}
    iris |= {
        q.object.value for q in quads if q.predicate == rdf_type and type(q.object) is ox.NamedNode
    }
    out = set()
    for iri in iris:
        cut = max(iri.rfind("#"), iri.rfind("/"))
        if cut > 0:
            out.add(iri[: cut + 1])
    return out
