"""Build the release: load → reason → validate → write → store, then publish atomically.

The release is written and put in place by `cskg.outdir`: beside `out`, swapped in only when
every file and the store are complete, and never over a folder cskg did not write. A build that
fails or is interrupted before the swap leaves `out` untouched. Two builds running at once into
the same `out` are not coordinated: the later swap wins, and each still publishes a complete
release.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from cskg import __version__, outdir
from cskg.build.sources import (
    CURATION_GRAPH,
    DOCUMENT_GRAPH,
    INFERRED_GRAPH,
    ONTOLOGY_GRAPH,
    ONTOLOGY_IRI,
    PREFIXES,
    graph_to_triples,
    load_sources,
    rdflib_triples,
    shapes_graph,
    triples_to_graph,
)

if TYPE_CHECKING:
    from cskg.build.shacl import ValidationReport

ENGINE_SETS: dict[str, tuple[str, str]] = {
    "default": ("reasonable", "pyrudof"),
    "reference": ("owlrl", "pyshacl"),
}
STEPS = ("load", "reason", "validate", "write", "store")

DATASET_IRI = "https://w3id.org/cskg/dataset"
DOWNLOAD_BASE = "https://w3id.org/cskg/dist/"
DOI = "10.15302/J-SSCAE-2016.04.006"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
OWL = "http://www.w3.org/2002/07/owl#"
SH = "http://www.w3.org/ns/shacl#"
XSD = "http://www.w3.org/2001/XMLSchema#"

#: progress(step number, number of steps, step name, seconds it took)
Progress = Callable[[int, int, str, float], None]


@dataclass
class BuildResult:
    out: Path
    conforms: bool
    written: bool
    report: ValidationReport
    engines: dict[str, str]
    counts: dict[str, object] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def build(
    root: Path,
    out: Path | None = None,
    engines: str = "default",
    allow_invalid: bool = False,
    progress: Progress | None = None,
) -> BuildResult:
    """Build the release of the project at `root` into `out` (default `root/dist`).

    Returns a `BuildResult`; when the data violates the shapes the release is written only with
    `allow_invalid` (`result.written` tells). Raises `SourceSyntaxError` for a source that does
    not parse, `cskg.build.reason.Inconsistent` for an inconsistent ontology and data, `CskgError`
    when the release cannot be written; in every such case `out` is left as it was.
    """
    if engines not in ENGINE_SETS:
        raise ValueError(f"unknown engine set {engines!r}; use one of {', '.join(ENGINE_SETS)}")
    with _collector_paused():
        return _build(Path(root).resolve(), out, engines, allow_invalid, progress)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for the duration.

    A build makes millions of objects that hold no cycles (quads, terms, tuples); with the
    collector on, each of its passes over the older generations walks them all again, which
    cost a third of the load step's time at 1000 papers. Garbage without cycles is freed as
    usual; the rest waits for the collector, which runs again afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _build(
    root: Path,
    out: Path | None,
    engines: str,
    allow_invalid: bool,
    progress: Progress | None,
) -> BuildResult:
    out = Path(out).resolve() if out else root / "dist"
    reasoner, validator = ENGINE_SETS[engines]
    timings: dict[str, float] = {}

    def step(name: str, started: float) -> None:
        timings[name] = round(time.perf_counter() - started, 3)
        if progress:
            progress(STEPS.index(name) + 1, len(STEPS), name, timings[name])

    outdir.check_target(out, "release")  # refused now, not after minutes of reasoning
    started = time.perf_counter()
    sources = load_sources(root)
    # the version stamp concerns the ontology file's quads only: no pass over the corpus
    ontology_end = sources.ontology_size
    asserted_quads = list(
        dict.fromkeys(stamp_version(sources.quads[:ontology_end]) + sources.quads[ontology_end:])
    )
    step("load", started)

    # Reasoning and validation run part by part (see `split_parts`): the same closure and the
    # same report as on the whole, with memory bounded by the largest part, not the corpus;
    # with several parts, on every core.
    inferred_triples: dict[ox.Triple, None] = {}
    reports: list[ValidationReport] = []
    reason_seconds = validate_seconds = 0.0
    started = time.perf_counter()
    chunks = split_parts(asserted_quads)  # counted with the steps it prepares
    for part_inferred, part_report, seconds in check_parts(
        chunks, sources.shapes, reasoner, validator
    ):
        inferred_triples.update(dict.fromkeys(part_inferred))
        reports.append(part_report)
        reason_seconds += seconds[0]
        validate_seconds += seconds[1]
    inferred_quads = [
        ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(INFERRED_GRAPH))
        for t in sorted(inferred_triples, key=str)  # a stable order
    ]
    report = merge_reports(reports)
    # the steps' wall time, split between reasoning and validation as their CPU time is
    # (the parts run interleaved on several cores)
    wall = time.perf_counter() - started
    busy = reason_seconds + validate_seconds
    reason_seconds, validate_seconds = (
        (wall * reason_seconds / busy, wall * validate_seconds / busy) if busy else (0.0, 0.0)
    )
    timings["reason"] = round(reason_seconds, 3)
    if progress:
        progress(STEPS.index("reason") + 1, len(STEPS), "reason", timings["reason"])
    timings["validate"] = round(validate_seconds, 3)
    if progress:
        progress(STEPS.index("validate") + 1, len(STEPS), "validate", timings["validate"])

    result = BuildResult(
        out=out,
        conforms=report.conforms,
        written=False,
        report=report,
        engines={"reasoner": reasoner, "validator": validator},
        timings=timings,
    )
    result.counts = count(asserted_quads, inferred_quads, sources.shapes, report)
    if not report.conforms and not allow_invalid:
        return result

    with outdir.writing(out, "release") as new:
        started = time.perf_counter()
        quads = order_quads(asserted_quads + inferred_quads)
        write_release(new, quads, sources.shapes, report, result)
        step("write", started)

        started = time.perf_counter()
        load_store(new / "store", quads)
        step("store", started)
        timings["total"] = round(sum(v for k, v in timings.items() if k in STEPS), 3)
        _write_build_json(new, result)
    result.written = True
    return result


# -- the parts ----------------------------------------------------------------------------------

ID_BASE = "https://w3id.org/cskg/id/"
CONCEPT_BASE = ID_BASE + "concept/"
EVIDENCE_BASE = "https://w3id.org/cskg/graph/evidence/"


def split_parts(quads: list[ox.Quad]) -> Parts:
    """The asserted quads in independent parts, each with the ontology and the shared triples.

    Two resources (`id/...` IRIs, evidence graphs, blank nodes) are in the same part when a
    statement links them, or when they are named in the same evidence graph; *shared* nodes link
    nothing: the SKOS concepts (`id/concept/`) and the terms of the ontology and of the
    vocabularies it reuses, which every paper may use. A triple between shared nodes and
    literals only (a concept's label) is given to every part, once. Papers that link to each
    other only through shared nodes fall in different parts; one paper, or papers that cite
    each other's resources, stay in one.

    Reasoning part by part gives the closure of the whole as long as no OWL RL rule joins two
    parts through a shared node, which would take a functional or inverse-functional property,
    a key or a cardinality axiom with a shared node at the joining end: the ontology has
    functional properties only, and no data states two values of one for a concept. The shapes
    are evaluated on each part: every shape of the project looks at a node, its neighbours and
    the tables of one paper (the growth-rate shape compares market sizes of one area, which is a
    shared concept: on the whole corpus it would compare one paper's figures with another's).
    """
    ontology_graph = ox.NamedNode(ONTOLOGY_GRAPH)
    schema = [q for q in quads if q.graph_name == ontology_graph]
    data = [q for q in quads if q.graph_name != ontology_graph]

    known: dict[object, bool] = {}

    def is_shared(term: object) -> bool:
        if type(term) is ox.BlankNode:
            found = False
        elif type(term) is ox.NamedNode:
            iri = term.value  # type: ignore[attr-defined]
            found = not (
                (iri.startswith(ID_BASE) and not iri.startswith(CONCEPT_BASE))
                or iri.startswith(EVIDENCE_BASE)
            )
        else:
            found = True  # literals, the default graph
        known[term] = found
        return found

    parent: dict[object, object] = {}

    def find(node: object) -> object:
        root = node
        while parent.get(root, root) is not root:
            root = parent[root]
        while node is not root:  # path compression
            parent[node], node = root, parent[node]
        return root

    def union(a: object, b: object) -> None:
        a, b = find(a), find(b)
        if a is not b:
            parent[a] = b

    # Quads come in runs of one graph; the loops below run once per quad of the corpus, so
    # they do no more than two dictionary lookups each. `anchor[i]` is the node whose part
    # quad i goes to, or None for a quad of shared nodes and literals only.
    anchor: list[object] = []
    keep = anchor.append
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
    common: dict[ox.Triple, None] = {}
    groups: dict[object, list[ox.Quad]] = {}
    for q, node in zip(data, anchor, strict=True):
        if node is None:
            common[q.triple] = None
        else:
            root = find(node)
            group = groups.get(root)
            if group is None:
                group = groups[root] = []
            group.append(q)
    base = schema + [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in common]
    # in order of first appearance: a stable order. Parts are not merged into larger calls:
    # the table shapes compare every observation of an area with every other, so their cost
    # grows with the square of a part's tables, and they mean the tables of one paper.
    return Parts(base, list(groups.values()))


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


def partition(quads: list[ox.Quad]) -> list[list[ox.Quad]]:
    """Each part of `split_parts(quads)` whole (the base and its own quads)."""
    return list(split_parts(quads))


_WORK: dict[str, object] = {}  # a worker's shapes and engines, set once per process


def check_parts(
    parts: Parts,
    shape_triples: list[ox.Triple],
    reasoner: str,
    validator: str,
) -> Iterator[tuple[list[ox.Triple], ValidationReport, tuple[float, float]]]:
    """(inferred triples, report, (reasoning, validation) seconds) of each part, in order.

    One part is checked in this process. Several are shared among worker processes, one per
    core. The workers are spawned, not forked: a fork of a process whose other threads hold
    locks (RocksDB's, a thread pool's) can hang. Quads travel to and from the workers as
    N-Quads, which pyoxigraph writes and reads some ten times faster than pickle, and the base
    that every part shares travels once, when a worker starts.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    shapes_nt = ox.serialize(shape_triples, format=ox.RdfFormat.N_TRIPLES)
    workers = min(len(parts) // 2, len(os.sched_getaffinity(0)))
    if workers < 2:
        _init_worker(shape_triples, shapes_nt, reasoner, validator)
        try:
            for part in parts:
                yield _unpack(_check_part(part))
        finally:
            _WORK.clear()
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(shape_triples, shapes_nt, reasoner, validator, _nquads(parts.base)),
    ) as pool:
        tasks = (_nquads(group) for group in parts.groups)
        for outcome in pool.map(_check_group, tasks, chunksize=4):
            yield _unpack(outcome)


def _nquads(quads: list[ox.Quad]) -> bytes:
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS)


def _init_worker(
    shape_triples: list[ox.Triple],
    shapes_nt: bytes,
    reasoner: str,
    validator: str,
    base_nquads: bytes = b"",
) -> None:
    base = list(ox.parse(base_nquads, format=ox.RdfFormat.N_QUADS))
    terms: dict[object, object] = {}  # the base's terms as rdflib terms, made once
    triples_to_graph(base, terms)  # type: ignore[arg-type]
    _WORK.update(
        # an rdflib Graph of the shapes, for pyshacl and for the report's labels; made here,
        # not in the load step, which the default engines (pyrudof) would pay for in vain
        shapes=shapes_graph(shape_triples),
        shapes_nt=shapes_nt,
        engines=(reasoner, validator),
        base=base,
        terms=terms,
    )


def _unpack(
    outcome: tuple,
) -> tuple[list[ox.Triple], ValidationReport, tuple[float, float]]:
    from cskg.build.reason import Inconsistent

    if outcome[0] == "inconsistent":  # re-raised here: the exception itself does not pickle
        raise Inconsistent(outcome[1])
    inferred = outcome[1]
    if isinstance(inferred, bytes):
        inferred = [q.triple for q in ox.parse(inferred, format=ox.RdfFormat.N_TRIPLES)]
    return inferred, outcome[2], outcome[3]


def _check_group(group_nquads: bytes) -> tuple:
    """`_check_part` in a worker: the part is the worker's base and these quads."""
    group = list(ox.parse(group_nquads, format=ox.RdfFormat.N_QUADS))
    outcome = _check_part(_WORK["base"] + group)  # type: ignore[operator]
    if outcome[0] == "ok":
        inferred_nt = ox.serialize(outcome[1], format=ox.RdfFormat.N_TRIPLES)
        outcome = ("ok", inferred_nt, *outcome[2:])
    return outcome


def _check_part(part: list[ox.Quad]) -> tuple:
    """Reason over and validate one part, with the shapes and engines of `_WORK`."""
    from rdflib import Graph

    from cskg.build.reason import Inconsistent, infer
    from cskg.build.shacl import validate

    reasoner, validator = _WORK["engines"]  # type: ignore[misc]
    began = time.perf_counter()
    # a copy of the base's terms: the part's own are not kept for the next part
    merged = rdflib_triples(part, dict(_WORK["terms"]))  # type: ignore[call-overload]
    try:
        inferred = infer(merged, reasoner)
    except Inconsistent as error:
        return ("inconsistent", error.problems)
    part_inferred = list(graph_to_triples(inferred))
    reasoned = time.perf_counter()
    # pyrudof reads N-Triples: written by pyoxigraph from the quads at hand, not converted back
    # from rdflib; it needs no rdflib Graph (the report's labels are looked up in the N-Triples
    # when there are results)
    data_nt = ox.serialize(
        dict.fromkeys([*(q.triple for q in part), *part_inferred]),
        format=ox.RdfFormat.N_TRIPLES,
    )
    data_graph = None
    if validator != "pyrudof":
        data_graph = Graph()
        for triple in (*merged, *inferred):
            data_graph.add(triple)
    report = validate(
        data_graph,
        _WORK["shapes"],  # type: ignore[arg-type]
        validator,
        data_ntriples=data_nt,
        shapes_ntriples=_WORK["shapes_nt"],  # type: ignore[arg-type]
    )
    done = time.perf_counter()
    return ("ok", part_inferred, report, (reasoned - began, done - reasoned))


def merge_reports(reports: list[ValidationReport]) -> ValidationReport:
    """One report of the parts' reports (a result found in several parts counts once)."""
    from cskg.build.shacl import ValidationReport, _sort_key

    merged = ValidationReport(conforms=all(r.conforms for r in reports), engine=reports[0].engine)
    merged.results = sorted({x for r in reports for x in r.results}, key=_sort_key)
    for r in reports:
        merged.labels.update(r.labels)
        merged.shape_owner.update(r.shape_owner)
    return merged


def stamp_version(quads: list[ox.Quad]) -> list[ox.Quad]:
    """Set owl:versionInfo and owl:versionIRI of the ontology from the package version."""
    ontology, graph = ox.NamedNode(ONTOLOGY_IRI), ox.NamedNode(ONTOLOGY_GRAPH)
    version_info, version_iri = ox.NamedNode(OWL + "versionInfo"), ox.NamedNode(OWL + "versionIRI")
    kept = [
        q
        for q in quads
        if not (q.subject == ontology and q.predicate in (version_info, version_iri))
    ]
    if not any(q.subject == ontology for q in kept):
        return kept
    at = max(i for i, q in enumerate(kept) if q.subject == ontology) + 1
    stamps = [
        ox.Quad(ontology, version_info, ox.Literal(__version__), graph),
        ox.Quad(ontology, version_iri, ox.NamedNode(f"{ONTOLOGY_IRI}/{__version__}"), graph),
    ]
    return kept[:at] + stamps + kept[at:]


def _graph_rank(name: str) -> tuple[int, str]:
    fixed = {ONTOLOGY_GRAPH: 0, DOCUMENT_GRAPH: 1, CURATION_GRAPH: 3, INFERRED_GRAPH: 9}
    return (fixed.get(name, 2), "")


def order_quads(quads: list[ox.Quad]) -> list[ox.Quad]:
    """Quads grouped by graph: ontology, document, evidence and data, curation, inferred.

    Within a group, graphs keep the order in which the sources name them, and so do triples.
    """
    first: dict[object, int] = {}  # graph name -> its position in the order; one pass
    for graph in (q.graph_name for q in quads):
        if graph not in first:
            first[graph] = len(first)
    key = {
        graph: (_graph_rank(graph.value if type(graph) is ox.NamedNode else "")[0], position)
        for graph, position in first.items()
    }
    return sorted(quads, key=lambda q: key[q.graph_name])


def _graph_name(quad: ox.Quad) -> str:
    return quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else ""


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
    ontology_graph = ox.NamedNode(ONTOLOGY_GRAPH)
    classes = {q.object for q in everything if q.predicate == rdf_type}
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
    shape_nodes = {
        t.subject
        for t in shapes
        if (t.predicate == rdf_type and t.object.value in (SH + "NodeShape", SH + "PropertyShape"))
        or t.predicate.value == SH + "path"
    } | {t.object for t in shapes if t.predicate.value == SH + "property"}
    return {
        "triples": len(everything),
        "asserted": len(asserted),
        "inferred": len(inferred),
        "graphs": len(per_graph),
        "per_graph": per_graph,
        "classes": len(classes),
        "ontology_classes": len(declared),
        "properties": len({q.predicate for q in everything}),
        "entities": sum(1 for s in subjects if type(s) is ox.NamedNode),
        "distinct_subjects": len(subjects),
        "distinct_objects": len({q.object for q in everything}),
        "shapes": len(shape_nodes),
        "validation_results": len(report.results),
    }


def write_release(
    folder: Path,
    quads: list[ox.Quad],
    shape_triples: list[ox.Triple],
    report: ValidationReport,
    result: BuildResult,
) -> None:
    """Every file of the release but the store and build.json."""
    ox.serialize(quads, str(folder / "cskg.nq"), format=ox.RdfFormat.N_QUADS)
    ox.serialize(quads, str(folder / "cskg.trig"), format=ox.RdfFormat.TRIG, prefixes=PREFIXES)

    ontology = [q.triple for q in quads if _graph_name(q) == ONTOLOGY_GRAPH]
    ox.serialize(
        ontology, str(folder / "ontology.ttl"), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES
    )
    _write_jsonld(folder / "ontology.jsonld", ontology)
    ox.serialize(
        shape_triples, str(folder / "shapes.ttl"), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES
    )
    (folder / "validation.ttl").write_text(report.to_turtle(), encoding="utf-8")
    (folder / "validation.txt").write_text(report.to_text(), encoding="utf-8")
    (folder / "void.ttl").write_text(void_description(quads, result.counts), encoding="utf-8")


def _write_jsonld(path: Path, triples: list[ox.Triple]) -> None:
    """JSON-LD compacted with the project's prefixes (an inline context: nothing to fetch)."""
    graph = triples_to_graph(triples)
    used = {str(term) for t in graph for term in t}
    context = {p: ns for p, ns in PREFIXES.items() if any(u.startswith(ns) for u in used)}
    text = graph.serialize(format="json-ld", context=context, auto_compact=True, indent=1)
    path.write_text(text, encoding="utf-8")


def void_description(quads: list[ox.Quad], counts: dict[str, object]) -> str:
    """VoID and DCAT description of the release (void.ttl).

    Written with pyoxigraph: with a VoID subset per named graph, a large corpus has hundreds of
    thousands of triples here, which rdflib's Turtle writer takes minutes over."""
    void, dcat = "http://rdfs.org/ns/void#", "http://www.w3.org/ns/dcat#"
    dcterms, sd = "http://purl.org/dc/terms/", "http://www.w3.org/ns/sparql-service-description#"
    xsd_integer = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    rdf_type = ox.NamedNode(RDF_TYPE)
    ds = ox.NamedNode(DATASET_IRI)
    triples: list[ox.Triple] = []

    def add(s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal):
        triples.append(ox.Triple(s, rdf_type if p == RDF_TYPE else ox.NamedNode(p), o))

    add(ds, RDF_TYPE, ox.NamedNode(void + "Dataset"))
    add(ds, RDF_TYPE, ox.NamedNode(dcat + "Dataset"))
    add(
        ds,
        dcterms + "title",
        ox.Literal("Cyberspace security industry knowledge graph", language="en"),
    )
    description = (
        "Ontology, facts with per-sentence provenance, and OWL 2 RL entailments of "
        f"the paper doi:{DOI} on China's cyberspace security industry."
    )
    add(ds, dcterms + "description", ox.Literal(description, language="en"))
    add(ds, dcterms + "license", ox.NamedNode(LICENSE))
    add(ds, dcterms + "source", ox.NamedNode(f"https://doi.org/{DOI}"))
    add(ds, dcat + "version", ox.Literal(__version__))
    add(ds, void + "uriSpace", ox.Literal("https://w3id.org/cskg/id/"))
    for key, prop in (
        ("triples", "triples"),
        ("classes", "classes"),
        ("properties", "properties"),
        ("entities", "entities"),
        ("distinct_subjects", "distinctSubjects"),
        ("distinct_objects", "distinctObjects"),
    ):
        add(ds, void + prop, ox.Literal(str(counts[key]), datatype=xsd_integer))
    for name, media in (
        ("cskg.trig", "application/trig"),
        ("cskg.nq", "application/n-quads"),
        ("ontology.ttl", "text/turtle"),
        ("ontology.jsonld", "application/ld+json"),
        ("shapes.ttl", "text/turtle"),
    ):
        url = ox.NamedNode(DOWNLOAD_BASE + name)
        if name.startswith("cskg."):
            add(ds, void + "dataDump", url)
        dist = ox.BlankNode(f"distribution-{name.replace('.', '-')}")
        add(ds, dcat + "distribution", dist)
        add(dist, RDF_TYPE, ox.NamedNode(dcat + "Distribution"))
        add(dist, dcat + "downloadURL", url)
        add(
            dist,
            dcat + "mediaType",
            ox.NamedNode(f"https://www.iana.org/assignments/media-types/{media}"),
        )
        add(dist, dcterms + "title", ox.Literal(name))
    per_graph: dict[str, int] = counts["per_graph"]  # type: ignore[assignment]
    for i, (name, n) in enumerate(per_graph.items()):
        if not name:
            continue
        subset = ox.BlankNode(f"subset{i}")
        add(ds, void + "subset", subset)
        add(subset, RDF_TYPE, ox.NamedNode(void + "Dataset"))
        add(subset, RDF_TYPE, ox.NamedNode(sd + "NamedGraph"))
        add(subset, sd + "name", ox.NamedNode(name))
        add(subset, void + "triples", ox.Literal(str(n), datatype=xsd_integer))
    for vocabulary in sorted(_vocabularies(quads)):
        add(ds, void + "vocabulary", ox.NamedNode(vocabulary))
    prefixes = {"void": void, "dcat": dcat, "dcterms": dcterms, "sd": sd, "xsd": XSD}
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes).decode("utf-8")


def _vocabularies(quads: list[ox.Quad]) -> set[str]:
    """Namespaces of the predicates and classes used."""
    rdf_type = ox.NamedNode(RDF_TYPE)
    terms = {q.predicate for q in quads}
    terms |= {q.object for q in quads if q.predicate == rdf_type}
    out = set()
    for term in terms:
        if type(term) is not ox.NamedNode:
            continue
        cut = max(term.value.rfind("#"), term.value.rfind("/"))
        if cut > 0:
            out.add(term.value[: cut + 1])
    return out


def load_store(path: Path, quads: list[ox.Quad]) -> None:
    """A pyoxigraph on-disk store holding `quads` (those of `cskg.nq`), and in its default graph
    their RDF merge: each triple once, however many graphs state it.

    Queries take that default graph as it is (`cskg.query.engines.union_options`): pyoxigraph's own
    union of the named graphs repeats a triple for every graph that states it. The quads are
    written from the objects at hand rather than bulk-loaded from `cskg.nq`, which would give
    every blank node a new random label: this way the default graph's blank nodes are those of
    the named graphs, and both keep the labels of `cskg.nq`."""
    store = ox.Store(str(path))
    store.bulk_extend(quads)
    store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
    store.optimize()
    store.flush()
    del store  # closes the RocksDB files before the folder is moved


def _write_build_json(folder: Path, result: BuildResult) -> None:
    data = {
        "version": __version__,
        "engines": result.engines,
        "conforms": result.conforms,
        "counts": result.counts,
        "timings": result.timings,
    }
    (folder / "build.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
