"""Build the release: load → reason → validate → write → store, then publish atomically.

Publishing. Everything is written into a fresh sibling folder `.{out}.new-{pid}` next to `out`
(same file system, so renames are atomic). Only when every file and the store are complete is
the new folder put in place:

* if `out` does not exist, one `rename(new, out)`;
* otherwise the two folders are *exchanged* in one step with Linux `renameat2(RENAME_EXCHANGE)`:
  a reader opening `out/...` sees either the whole old release or the whole new one, never a mix
  and never a missing folder; the old release, now at the temporary name, is then deleted;
* where the exchange is not supported (another OS, a file system without it), the fallback is
  `rename(out, aside)`, `rename(new, out)`, delete `aside`: a reader may, for that instant, find
  no `out`, but never a half-written one; if the second rename fails the first is undone.

A build that fails or is interrupted at any point before the exchange leaves `out` untouched;
its temporary folder is removed (or, after a hard kill, by the next build, which deletes
leftovers whose process is gone). Two builds running at once into the same `out` are not
coordinated: the later exchange wins, and each still publishes a complete release.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from cskg import __version__
from cskg.errors import CskgError
from cskg.sources import (
    CURATION_GRAPH,
    DOCUMENT_GRAPH,
    INFERRED_GRAPH,
    ONTOLOGY_GRAPH,
    ONTOLOGY_IRI,
    PREFIXES,
    graph_to_triples,
    load_sources,
    shapes_graph,
    triples_to_graph,
)

if TYPE_CHECKING:
    import rdflib

    from cskg.validate import ValidationReport

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
    not parse, `cskg.reason.Inconsistent` for an inconsistent ontology and data, `CskgError`
    when the release cannot be written; in every such case `out` is left as it was.
    """
    root = Path(root).resolve()
    out = Path(out).resolve() if out else root / "dist"
    if engines not in ENGINE_SETS:
        raise ValueError(f"unknown engine set {engines!r}; use one of {', '.join(ENGINE_SETS)}")
    reasoner, validator = ENGINE_SETS[engines]
    timings: dict[str, float] = {}

    def step(name: str, started: float) -> None:
        timings[name] = round(time.perf_counter() - started, 3)
        if progress:
            progress(STEPS.index(name) + 1, len(STEPS), name, timings[name])

    started = time.perf_counter()
    sources = load_sources(root)
    asserted_quads = stamp_version(list(dict.fromkeys(sources.quads)))
    shapes = shapes_graph(sources.shapes)
    step("load", started)

    # Reasoning and validation run part by part (see `partition`): the same closure and the
    # same report as on the whole, with memory bounded by the largest part, not the corpus;
    # with several parts, on every core.
    inferred_triples: dict[ox.Triple, None] = {}
    reports: list[ValidationReport] = []
    reason_seconds = validate_seconds = 0.0
    started = time.perf_counter()
    chunks = partition(asserted_quads)  # counted with the steps it prepares
    for part_inferred, part_report, seconds in check_parts(
        chunks, sources.shapes, shapes, reasoner, validator
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

    _clean_leftovers(out)
    new = out.parent / f".{out.name}.new-{os.getpid()}"
    try:
        started = time.perf_counter()
        out.parent.mkdir(parents=True, exist_ok=True)
        new.mkdir()
        quads = order_quads(asserted_quads + inferred_quads)
        write_release(new, quads, sources.shapes, shapes, report, result)
        step("write", started)

        started = time.perf_counter()
        load_store(new / "store", new / "cskg.nq")
        step("store", started)
        timings["total"] = round(sum(v for k, v in timings.items() if k in STEPS), 3)
        _write_build_json(new, result)
        publish(new, out)
    except OSError as error:
        raise CskgError(f"cannot write the release to {out}: {error}") from error
    finally:
        if new.exists():
            shutil.rmtree(new, ignore_errors=True)
    result.written = True
    return result


# -- the parts ----------------------------------------------------------------------------------

ID_BASE = "https://w3id.org/cskg/id/"
CONCEPT_BASE = ID_BASE + "concept/"
EVIDENCE_BASE = "https://w3id.org/cskg/graph/evidence/"


def partition(quads: list[ox.Quad]) -> list[list[ox.Quad]]:
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

    known: dict[object, bool] = {}

    def is_shared(term: object) -> bool:
        found = known.get(term)
        if found is None:
            if isinstance(term, ox.BlankNode):
                found = False
            elif isinstance(term, ox.NamedNode):
                iri = term.value
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

    data = [q for q in quads if q.graph_name != ontology_graph]
    common: dict[ox.Triple, None] = {}
    for q in data:
        linked = [t for t in (q.subject, q.object, q.graph_name) if not is_shared(t)]
        if not linked or linked == [q.graph_name]:
            common[q.triple] = None
        for other in linked[1:]:
            a, b = find(linked[0]), find(other)
            if a is not b:
                parent[a] = b
    groups: dict[object, list[ox.Quad]] = {}
    for q in data:
        if q.triple not in common:
            node = next(t for t in (q.subject, q.object) if not is_shared(t))
            groups.setdefault(find(node), []).append(q)
    base = schema + [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in common]
    # in order of first appearance: a stable order. Parts are not merged into larger calls:
    # the table shapes compare every observation of an area with every other, so their cost
    # grows with the square of a part's tables, and they mean the tables of one paper.
    return [base + group for group in groups.values()] or [base]


_WORK: dict[str, object] = {}  # a worker's shapes and engines, set once per process


def check_parts(
    parts: list[list[ox.Quad]],
    shape_triples: list[ox.Triple],
    shapes: rdflib.Graph,
    reasoner: str,
    validator: str,
) -> Iterator[tuple[list[ox.Triple], ValidationReport, tuple[float, float]]]:
    """(inferred triples, report, (reasoning, validation) seconds) of each part, in order.

    One part is checked in this process. Several are shared among worker processes, one per
    core. The workers are spawned, not forked: a fork of a process whose other threads hold
    locks (RocksDB's, a thread pool's) can hang.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    shapes_nt = ox.serialize(shape_triples, format=ox.RdfFormat.N_TRIPLES)
    workers = min(len(parts) // 2, len(os.sched_getaffinity(0)))
    if workers < 2:
        _init_worker(shape_triples, shapes_nt, reasoner, validator, shapes)
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
        initargs=(shape_triples, shapes_nt, reasoner, validator),
    ) as pool:
        for outcome in pool.map(_check_part, parts, chunksize=4):
            yield _unpack(outcome)


def _init_worker(
    shape_triples: list[ox.Triple],
    shapes_nt: bytes,
    reasoner: str,
    validator: str,
    shapes: rdflib.Graph | None = None,
) -> None:
    _WORK.update(
        shapes=shapes if shapes is not None else shapes_graph(shape_triples),
        shapes_nt=shapes_nt,
        engines=(reasoner, validator),
    )


def _unpack(
    outcome: tuple,
) -> tuple[list[ox.Triple], ValidationReport, tuple[float, float]]:
    from cskg.reason import Inconsistent

    if outcome[0] == "inconsistent":  # re-raised here: the exception itself does not pickle
        raise Inconsistent(outcome[1])
    return outcome[1], outcome[2], outcome[3]


def _check_part(part: list[ox.Quad]) -> tuple:
    """Reason over and validate one part, with the shapes and engines of `_WORK`."""
    from cskg.reason import Inconsistent, infer
    from cskg.validate import validate

    reasoner, validator = _WORK["engines"]  # type: ignore[misc]
    began = time.perf_counter()
    merged = triples_to_graph(part)
    try:
        inferred = infer(merged, reasoner)
    except Inconsistent as error:
        return ("inconsistent", error.problems)
    part_inferred = list(graph_to_triples(inferred))
    reasoned = time.perf_counter()
    for triple in inferred:
        merged.add(triple)
    # pyrudof reads N-Triples: written by pyoxigraph from the quads at hand, not converted back
    # from rdflib
    data_nt = ox.serialize(
        dict.fromkeys([*(q.triple for q in part), *part_inferred]),
        format=ox.RdfFormat.N_TRIPLES,
    )
    report = validate(
        merged,
        _WORK["shapes"],  # type: ignore[arg-type]
        validator,
        data_ntriples=data_nt,
        shapes_ntriples=_WORK["shapes_nt"],  # type: ignore[arg-type]
    )
    done = time.perf_counter()
    return ("ok", part_inferred, report, (reasoned - began, done - reasoned))


def merge_reports(reports: list[ValidationReport]) -> ValidationReport:
    """One report of the parts' reports (a result found in several parts counts once)."""
    from cskg.validate import ValidationReport, _sort_key

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
    first: dict[str, int] = {}
    for q in quads:
        first.setdefault(_graph_name(q), len(first))
    return sorted(quads, key=lambda q: (_graph_rank(_graph_name(q))[0], first[_graph_name(q)]))


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
    per_graph = Counter(_graph_name(q) for q in everything)
    rdf_type = ox.NamedNode(RDF_TYPE)
    classes = {q.object for q in everything if q.predicate == rdf_type}
    declared = {
        q.subject
        for q in asserted
        if q.predicate == rdf_type
        and q.object in (ox.NamedNode(OWL + "Class"), ox.NamedNode(OWL + "Restriction"))
        and _graph_name(q) == ONTOLOGY_GRAPH
        and isinstance(q.subject, ox.NamedNode)
    }
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
        "per_graph": dict(per_graph),
        "classes": len(classes),
        "ontology_classes": len(declared),
        "properties": len({q.predicate for q in everything}),
        "entities": len({q.subject for q in everything if isinstance(q.subject, ox.NamedNode)}),
        "distinct_subjects": len({q.subject for q in everything}),
        "distinct_objects": len({q.object for q in everything}),
        "shapes": len(shape_nodes),
        "validation_results": len(report.results),
    }


def write_release(
    folder: Path,
    quads: list[ox.Quad],
    shape_triples: list[ox.Triple],
    shapes: rdflib.Graph,
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
    """VoID and DCAT description of the release (void.ttl)."""
    from rdflib import BNode, Graph, Literal, Namespace, URIRef
    from rdflib.namespace import DCAT, DCTERMS, RDF, VOID, XSD

    sd = Namespace("http://www.w3.org/ns/sparql-service-description#")
    g = Graph()
    for prefix, ns in (("void", VOID), ("dcat", DCAT), ("dcterms", DCTERMS), ("sd", sd)):
        g.bind(prefix, ns)
    ds = URIRef(DATASET_IRI)
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.title, Literal("Cyberspace security industry knowledge graph", lang="en")))
    g.add(
        (
            ds,
            DCTERMS.description,
            Literal(
                "Ontology, facts with per-sentence provenance, and OWL 2 RL entailments of "
                f"the paper doi:{DOI} on China's cyberspace security industry.",
                lang="en",
            ),
        )
    )
    g.add((ds, DCTERMS.license, URIRef(LICENSE)))
    g.add((ds, DCTERMS.source, URIRef(f"https://doi.org/{DOI}")))
    g.add((ds, URIRef(str(DCAT) + "version"), Literal(__version__)))
    g.add((ds, VOID.uriSpace, Literal("https://w3id.org/cskg/id/")))
    for key, prop in (
        ("triples", VOID.triples),
        ("classes", VOID.classes),
        ("properties", VOID.properties),
        ("entities", VOID.entities),
        ("distinct_subjects", VOID.distinctSubjects),
        ("distinct_objects", VOID.distinctObjects),
    ):
        g.add((ds, prop, Literal(counts[key], datatype=XSD.integer)))
    for name, media in (
        ("cskg.trig", "application/trig"),
        ("cskg.nq", "application/n-quads"),
        ("ontology.ttl", "text/turtle"),
        ("ontology.jsonld", "application/ld+json"),
        ("shapes.ttl", "text/turtle"),
    ):
        url = URIRef(DOWNLOAD_BASE + name)
        if name.startswith("cskg."):
            g.add((ds, VOID.dataDump, url))
        dist = BNode(f"distribution-{name.replace('.', '-')}")
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCAT.downloadURL, url))
        g.add(
            (dist, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{media}"))
        )
        g.add((dist, DCTERMS.title, Literal(name)))
    per_graph: dict[str, int] = counts["per_graph"]  # type: ignore[assignment]
    for i, (name, n) in enumerate(per_graph.items()):
        if not name:
            continue
        subset = BNode(f"subset{i}")
        g.add((ds, VOID.subset, subset))
        g.add((subset, RDF.type, VOID.Dataset))
        g.add((subset, RDF.type, sd.NamedGraph))
        g.add((subset, sd.name, URIRef(name)))
        g.add((subset, VOID.triples, Literal(n, datatype=XSD.integer)))
    for vocabulary in sorted(_vocabularies(quads)):
        g.add((ds, VOID.vocabulary, URIRef(vocabulary)))
    return g.serialize(format="turtle")


def _vocabularies(quads: list[ox.Quad]) -> set[str]:
    """Namespaces of the predicates and classes used."""
    rdf_type = ox.NamedNode(RDF_TYPE)
    terms = {q.predicate.value for q in quads}
    terms |= {
        q.object.value
        for q in quads
        if q.predicate == rdf_type and isinstance(q.object, ox.NamedNode)
    }
    out = set()
    for term in terms:
        cut = max(term.rfind("#"), term.rfind("/"))
        if cut > 0:
            out.add(term[: cut + 1])
    return out


def load_store(path: Path, nquads: Path) -> None:
    """A pyoxigraph on-disk store holding the quads of `nquads`."""
    store = ox.Store(str(path))
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
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


# -- publishing ---------------------------------------------------------------------------------

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> None:
    """Swap two paths in one atomic step (Linux renameat2 with RENAME_EXCHANGE)."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(b))


def publish(new: Path, out: Path) -> None:
    """Put the complete release `new` in place of `out` (see the module docstring)."""
    if not out.exists():
        os.rename(new, out)
        return
    try:
        _exchange(new, out)
    except OSError as error:
        if error.errno not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EPERM):
            raise
        aside = out.parent / f".{out.name}.old-{os.getpid()}"
        os.rename(out, aside)
        try:
            os.rename(new, out)
        except OSError:
            os.rename(aside, out)
            raise
        shutil.rmtree(aside, ignore_errors=True)
        return
    shutil.rmtree(new, ignore_errors=True)  # `new` now holds the previous release


def _clean_leftovers(out: Path) -> None:
    """Delete temporary folders that builds killed before they could clean up left behind."""
    if not out.parent.is_dir():
        return
    for path in out.parent.glob(f".{out.name}.*-*"):
        kind, _, pid = path.name.rpartition("-")
        if not kind.endswith((".new", ".old")) or not pid.isdigit():
            continue
        alive = True
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            alive = False
        except PermissionError:
            pass
        if not alive or int(pid) == os.getpid():
            with contextlib.suppress(OSError):
                shutil.rmtree(path)
