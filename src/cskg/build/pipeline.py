"""Build the release in five steps: load → reason → validate → write → store; build its quads
in memory only (`build_in_memory`, the first three steps: what `cskg diff` compares sources by);
and validate a release that is built.

The release is written and put in place by `cskg.outdir`: beside `out`, swapped in only when
every file and the store are complete, and never over a folder cskg did not write. A build that
fails or is interrupted before the swap leaves `out` untouched. Two builds running at once into
the same `out` are not coordinated: the later swap wins, and each still puts a complete release
in place.
"""

from __future__ import annotations

import contextlib
import gc
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from cskg import __version__, outdir
from cskg.build.engines import Engines, engine_set
from cskg.build.partition import split_parts
from cskg.build.pool import Workers, check_parts
from cskg.build.report import ValidationReport, merge_reports
from cskg.build.shacl import validate
from cskg.build.sources import (
    load_dump,
    load_extra,
    load_sources,
    parse_file,
    serialized,
    shapes_graph,
    stamp_version,
    triples_to_graph,
)
from cskg.build.void import built_at, count
from cskg.build.write import load_store, order_quads, write_release
from cskg.errors import CskgError
from cskg.terminal import Progress
from cskg.vocab import GRAPH_INFERRED

STEPS = ("load", "reason", "validate", "write", "store")


@dataclass
class BuildResult:
    out: Path
    conforms: bool
    written: bool
    report: ValidationReport
    engines: dict[str, str]  # {"reasoner": name, "validator": name}
    counts: dict[str, object] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    built: str = field(default_factory=built_at)  # UTC, to the second (`void.built_at`)

    def summary(self) -> list[tuple[str, object]]:
        """What a person wants to know of the build, as (name, value) pairs."""
        counts = {k: v for k, v in self.counts.items() if not isinstance(v, dict)}
        return [
            ("release", self.out),
            ("conforms", self.conforms),
            ("written", self.written),
            ("engines", ", ".join(f"{k}: {v}" for k, v in self.engines.items())),
            *counts.items(),
            *((f"{step} (s)", seconds) for step, seconds in self.timings.items()),
            ("built", self.built),
        ]

    def __repr__(self) -> str:
        state = "conforms" if self.conforms else "does not conform"
        where = f"written to {self.out}" if self.written else f"not written ({self.out})"
        return (
            f"<BuildResult {state}, {where}: {self.counts.get('triples', '?')} triples, "
            f"{len(self.report.results)} validation results, "
            f"{self.timings.get('total', 0):.2f} s>"
        )

    def _repr_html_(self) -> str:
        from cskg.query.frames import table

        pairs = self.summary()
        return table(("", ""), pairs, len(pairs), len(pairs), caption="cskg build")


def build(
    root: Path,
    out: Path | None = None,
    engines: str | Engines = "default",
    allow_invalid: bool = False,
    progress: Progress | None = None,
    cluster: str | None = None,
) -> BuildResult:
    """Build the release of the project at `root` into `out` (default `root/dist`), with the
    engine set `engines` (`default`, `reference`, or the `Engines` themselves). `progress`
    shows each step while it runs and prints `[2/5] reason … 1.54 s` when it is over. With
    `cluster`, the address of a Dask scheduler (`tcp://HOST:PORT`), the parts are reasoned over
    and validated on that cluster's workers (`cskg.build.cluster`) instead of this machine's
    cores; the release is the same.

    Returns a `BuildResult`; when the data violates the shapes the release is written only with
    `allow_invalid` (`result.written` tells). Raises `SourceSyntaxError` for a source that does
    not parse, `cskg.build.reason.Inconsistent` for an inconsistent ontology and data, `CskgError`
    when the release cannot be written or the cluster cannot check the parts; in every such case
    `out` is left as it was.
    """
    chosen = engine_set(engines) if isinstance(engines, str) else engines
    root = Path(root).resolve()
    target = Path(out).resolve() if out else root / "dist"
    outdir.check_target(target, "release")  # refused now, not after minutes of reasoning
    with _workers(cluster, chosen) as workers, _collector_paused():
        return _Run(target, chosen, progress, workers).build(root, allow_invalid)


def _workers(
    cluster: str | None, engines: Engines
) -> contextlib.AbstractContextManager[Workers | None]:
    """The workers of the cluster whose scheduler is at `cluster`, connected and checked, or
    None: this machine's cores."""
    if cluster is None:
        return contextlib.nullcontext()
    try:
        from cskg.build.cluster import connected
    except ImportError as error:
        raise CskgError(
            f"a build on a cluster needs the cluster extra (pip install 'cskg[cluster]'): {error}"
        ) from None
    return connected(cluster, engines)


def build_in_memory(
    root: Path, engines: str | Engines = "default"
) -> tuple[list[ox.Quad], BuildResult]:
    """The quads the release of the project at `root` holds (those of its `cskg.nq`, in their
    order), built by the same steps as `build` but the writing: nothing is written anywhere.

    Returns them with the `BuildResult` (`written` False, `out` where `build` would write; the
    report says whether the data conforms: the quads are returned either way). Raises as
    `build` does for a source that does not parse or an inconsistent ontology and data.
    """
    chosen = engine_set(engines) if isinstance(engines, str) else engines
    root = Path(root).resolve()
    with _collector_paused():
        quads, _, result = _Run(root / "dist", chosen, None).assemble(root)
    return order_quads(quads), result


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


class _Run:
    """One build: its target, engines, and the seconds each step took."""

    def __init__(
        self,
        out: Path,
        engines: Engines,
        progress: Progress | None,
        workers: Workers | None = None,
    ) -> None:
        self.out, self.engines, self.workers = out, engines, workers
        self.progress = progress or Progress(quiet=True)
        self.timings: dict[str, float] = {}

    @staticmethod
    def label(name: str) -> str:
        return f"[{STEPS.index(name) + 1}/{len(STEPS)}] {name}"

    def done(self, name: str, seconds: float) -> None:
        self.timings[name] = round(seconds, 3)
        self.progress.line(f"{self.label(name)} … {self.timings[name]:.2f} s")

    def build(self, root: Path, allow_invalid: bool) -> BuildResult:
        quads, shapes, result = self.assemble(root)
        if result.conforms or allow_invalid:
            self.write(quads, shapes, result)
        return result

    def assemble(self, root: Path) -> tuple[list[ox.Quad], list[ox.Triple], BuildResult]:
        """The load, reason and validate steps: the release's quads (asserted, then inferred),
        the shapes, and the result so far (nothing written)."""
        started = time.perf_counter()
        with self.progress.step(self.label("load")):
            sources = load_sources(root)
            # the version stamp concerns the ontology file's quads only: no pass over the corpus
            end = sources.ontology_size
            stamped = stamp_version(sources.quads[:end]) + sources.quads[end:]
            asserted = list(dict.fromkeys(stamped))
        self.done("load", time.perf_counter() - started)

        inferred, report = self.check(asserted, sources.shapes)
        result = BuildResult(
            out=self.out,
            conforms=report.conforms,
            written=False,
            report=report,
            engines=self.engines.names(),
            counts=count(asserted, inferred, sources.shapes, report),
            timings=self.timings,
        )
        return asserted + inferred, sources.shapes, result

    def check(
        self, asserted: list[ox.Quad], shape_triples: list[ox.Triple]
    ) -> tuple[list[ox.Quad], ValidationReport]:
        """The reason and validate steps, part by part (`cskg.build.partition`): the inferred
        quads, in a stable order, and the report."""
        started = time.perf_counter()
        inferred: dict[ox.Triple, None] = {}
        reports: list[ValidationReport] = []
        reasoning = validating = 0.0
        # the parts are reasoned over and validated interleaved: one live line for both steps
        label = f"{self.label('reason')}, {self.label('validate')}"
        with self.progress.step(label, unit="parts") as step:
            parts = split_parts(asserted)  # counted with the steps it prepares
            step.total = len(parts)
            for part in check_parts(parts, shape_triples, self.engines, self.workers):
                inferred.update(dict.fromkeys(part.inferred))
                reports.append(part.report)
                reasoning += part.reason_seconds
                validating += part.validate_seconds
                step.advance()
        graph = ox.NamedNode(GRAPH_INFERRED)
        quads = [
            ox.Quad(t.subject, t.predicate, t.object, graph) for t in sorted(inferred, key=str)
        ]
        report = merge_reports(reports)
        # the steps' wall time, split between reasoning and validation as their CPU time is
        # (the parts run interleaved on several cores)
        wall, busy = time.perf_counter() - started, reasoning + validating
        self.done("reason", wall * reasoning / busy if busy else 0.0)
        self.done("validate", wall * validating / busy if busy else 0.0)
        return quads, report

    def write(self, quads: list[ox.Quad], shapes: list[ox.Triple], result: BuildResult) -> None:
        """The write and store steps, into a staging folder that then takes `out`'s place."""
        with outdir.writing(self.out, "release") as new:
            started = time.perf_counter()
            with self.progress.step(self.label("write")):
                ordered = order_quads(quads)
                write_release(new, ordered, shapes, result.report, result.counts, result.built)
            self.done("write", time.perf_counter() - started)

            started = time.perf_counter()
            with self.progress.step(self.label("store")):
                load_store(new / "store", ordered)
            self.done("store", time.perf_counter() - started)
            self.timings["total"] = round(sum(self.timings[step] for step in STEPS), 3)
            _write_build_json(new, result)
        result.written = True


def _write_build_json(folder: Path, result: BuildResult) -> None:
    data = {
        "version": __version__,
        "built": result.built,
        "engines": result.engines,
        "conforms": result.conforms,
        "counts": result.counts,
        "timings": result.timings,
    }
    (folder / "build.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def validate_release(
    dist: Path, files: list[Path] | None = None, reference: bool = False
) -> ValidationReport:
    """Validate the release in `dist` (its `cskg.nq` and `shapes.ttl`), plus extra data files.

    With files, their triples are added to the release's asserted triples and the entailments
    are computed anew before validating. As in the build, the data is checked part by part
    (`cskg.build.partition`: one paper at a time). `reference` takes the reference engines.
    """
    engines = engine_set("reference" if reference else "default")
    dump, shapes_file = Path(dist) / "cskg.nq", Path(dist) / "shapes.ttl"
    for needed in (dump, shapes_file):
        if not needed.is_file():
            raise CskgError(f"no release at {dist} ({needed.name} missing); run `cskg build`")
    quads = load_dump(dump)
    shape_triples = [q.triple for q in parse_file(shapes_file)]
    if files:
        inferred = ox.NamedNode(GRAPH_INFERRED)
        asserted = [q for q in quads if q.graph_name != inferred] + load_extra(files)
        checked = check_parts(split_parts(asserted), shape_triples, engines)
        return merge_reports(part.report for part in checked)
    # the release holds its entailments already: validate each part as it is
    shapes = shapes_graph(shape_triples)
    shapes_nt = serialized(shape_triples, ox.RdfFormat.N_TRIPLES)
    return merge_reports(
        validate(
            triples_to_graph(part),
            shapes,
            engines.validator,
            data_ntriples=serialized(dict.fromkeys(q.triple for q in part), ox.RdfFormat.N_TRIPLES),
            shapes_ntriples=shapes_nt,
        )
        for part in split_parts(quads)
    )
