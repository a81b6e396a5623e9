"""Build the release in five steps: load → reason → validate → write → store; build its quads
in memory only (`build_in_memory`, the first three steps: what `cskg diff` compares sources by);
and validate a release that is built.

The build streams (`cskg.build.stream`, `cskg.build.batches`): the sources are read once to
index them, then batch by batch, each batch's parts reasoned over and validated while the next
is read, and what each batch gives written to sorted runs on disk, merged into `cskg.nq`; the
other files and the store are written from `cskg.nq`. Memory is set by the largest batch and
what the papers share (the ontology, the shared vocabulary), not by the number of papers.

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
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from cskg import __version__, outdir
from cskg.build.batches import CorpusCheck
from cskg.build.engines import Engines, engine_set
from cskg.build.memory import PeakMemory, megabytes
from cskg.build.partition import split_parts
from cskg.build.pool import Workers, check_parts
from cskg.build.report import ValidationReport, merge_reports
from cskg.build.shacl import validate
from cskg.build.sources import (
    load_dump,
    load_extra,
    parse_file,
    serialized,
    shapes_graph,
    triples_to_graph,
)
from cskg.build.stream import SourceIndex, index_sources
from cskg.build.void import Figures, built_at, count_shapes
from cskg.build.write import load_store, write_release
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
    memory: dict[str, int] = field(default_factory=dict)  # each step's peak, bytes (`PeakMemory`)
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
            *((f"{step} peak (MB)", round(megabytes(b))) for step, b in self.memory.items()),
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
    order), built by the same steps as `build` but the writing of the release: the batches' runs
    and the N-Quads go to a temporary folder, read back and deleted.

    Returns them with the `BuildResult` (`written` False, `out` where `build` would write; the
    report says whether the data conforms: the quads are returned either way). Raises as
    `build` does for a source that does not parse or an inconsistent ontology and data.
    """
    chosen = engine_set(engines) if isinstance(engines, str) else engines
    root = Path(root).resolve()
    run = _Run(root / "dist", chosen, None)
    with _collector_paused(), run.peak, tempfile.TemporaryDirectory(prefix="cskg-") as work:
        dump = Path(work) / "cskg.nq"
        assembled = run.assemble(root, Path(work), dump)
        quads = list(ox.parse(path=dump, format=ox.RdfFormat.N_QUADS))
    return quads, assembled.result


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


@dataclass
class _Assembled:
    """The load, reason and validate steps done: the result so far, the first pass's index,
    the named graphs' sizes (a file) and the vocabularies used."""

    result: BuildResult
    index: SourceIndex
    graphs: Path
    vocabularies: set[str]
    write_seconds: float  # the part of the write step done already: the runs and their merge


class _NotWritten(Exception):
    """The data does not conform and the release is not to be written."""


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
        self.memory: dict[str, int] = {}
        # the peak memory of this process and its workers, step by step: reason and validate
        # run interleaved, so they share one figure (the batches are read meanwhile)
        self.peak = PeakMemory()

    @staticmethod
    def label(name: str) -> str:
        return f"[{STEPS.index(name) + 1}/{len(STEPS)}] {name}"

    def done(self, name: str, seconds: float) -> None:
        self.timings[name] = round(seconds, 3)
        self.progress.line(f"{self.label(name)} … {self.timings[name]:.2f} s")

    def build(self, root: Path, allow_invalid: bool) -> BuildResult:
        """Every step, into a staging folder that then takes `out`'s place; nothing is put in
        place when the data does not conform, unless `allow_invalid`."""
        try:
            with self.peak, outdir.writing(self.out, "release") as new:
                runs = new / "runs"
                runs.mkdir()
                assembled = self.assemble(root, runs, new / "cskg.nq")
                if not (assembled.result.conforms or allow_invalid):
                    raise _NotWritten(assembled.result)
                self.write(new, assembled)
                shutil.rmtree(runs)
        except _NotWritten as refused:
            return refused.args[0]
        assembled.result.written = True
        return assembled.result

    def assemble(self, root: Path, work: Path, dump: Path) -> _Assembled:
        """The load, reason and validate steps (`cskg.build.stream`, `cskg.build.batches`):
        the release's N-Quads written to `dump`, the runs and the graphs' sizes to `work`."""
        started = time.perf_counter()
        with self.progress.step(self.label("load"), unit="files") as step:
            index = index_sources(root, step.advance)
        first_pass = time.perf_counter() - started
        self.memory["load"] = self.peak.reset()
        corpus = CorpusCheck(index, work, self.engines, self.workers)
        # the parts are reasoned over and validated interleaved: one live line for both steps
        label = f"{self.label('reason')}, {self.label('validate')}"
        started = time.perf_counter()
        with self.progress.step(label, unit="parts") as step:
            report = corpus.run(step)
        self._checked(time.perf_counter() - started, first_pass, corpus.seconds)
        self.memory["reason"] = self.memory["validate"] = self.peak.reset()
        started = time.perf_counter()
        graphs = work / "graphs.tsv"
        counts = corpus.merge(dump, graphs)
        counts["shapes"] = count_shapes(index.shapes)
        counts["validation_results"] = len(report.results)
        result = BuildResult(
            out=self.out,
            conforms=report.conforms,
            written=False,
            report=report,
            engines=self.engines.names(),
            counts=counts,
            timings=self.timings,
            memory=self.memory,
        )
        merged = time.perf_counter() - started + corpus.seconds["write"]
        return _Assembled(result, index, graphs, corpus.vocabularies(), merged)

    def _checked(self, wall: float, first_pass: float, seconds: dict[str, float]) -> None:
        """The load, reason and validate steps' times. The batches are read and written here
        while the workers check the parts: the rest of the wall time is split between
        reasoning and validation as their CPU time is."""
        self.done("load", first_pass + seconds["load"])
        checking = max(0.0, wall - seconds["load"] - seconds["write"])
        busy = seconds["reason"] + seconds["validate"]
        self.done("reason", checking * seconds["reason"] / busy if busy else 0.0)
        self.done("validate", checking * seconds["validate"] / busy if busy else 0.0)

    def write(self, new: Path, assembled: _Assembled) -> None:
        """The write and store steps into the staging folder `new`, which holds `cskg.nq`."""
        result = assembled.result
        started = time.perf_counter()
        with self.progress.step(self.label("write")):
            write_release(
                new,
                assembled.index.schema_quads(),
                assembled.index.shapes,
                result.report,
                Figures(result.counts, result.built, assembled.graphs, assembled.vocabularies),
            )
        self.done("write", time.perf_counter() - started + assembled.write_seconds)
        self.memory["write"] = self.peak.reset()

        started = time.perf_counter()
        with self.progress.step(self.label("store")):
            load_store(new / "store", new / "cskg.nq")
        self.done("store", time.perf_counter() - started)
        self.memory["store"] = self.peak.reset()
        self.timings["total"] = round(sum(self.timings[step] for step in STEPS), 3)
        _write_build_json(new, result)


def _write_build_json(folder: Path, result: BuildResult) -> None:
    data = {
        "version": __version__,
        "built": result.built,
        "engines": result.engines,
        "conforms": result.conforms,
        "counts": result.counts,
        "timings": result.timings,
        "memory": {step: round(megabytes(peak)) for step, peak in result.memory.items()},
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
