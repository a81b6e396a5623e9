"""The lab's commands: `cskg synth` (synthetic corpora) and `cskg bench` (measurements)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from cskg.cli.options import Command, root
from cskg.errors import CskgError

if TYPE_CHECKING:
    from cskg.lab.bench import ScaleReport
    from cskg.terminal import Progress, Step


def _synth_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--papers", type=int, required=True, help="how many papers to write")
    parser.add_argument(
        "--seed", type=int, default=0, help="random seed (the same seed, the same bytes)"
    )
    parser.add_argument(
        "--out", required=True, help="project folder to write (data/, ontology/, queries/)"
    )


def run_synth(args: argparse.Namespace) -> int:
    from cskg.lab.synth import synth

    result = synth(root(args), Path(args.out), args.papers, args.seed)
    each = sorted(set(result.triples_per_paper))
    print(
        f"cskg: {result.papers} synthetic papers ({result.triples} triples, "
        f"{'/'.join(map(str, each))} per paper) written to {result.out}; "
        f"build them with `cskg --root {result.out} build`",
        file=sys.stderr,
    )
    return 0


def _bench_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--runs", type=int, default=5, help="runs per measurement (median reported)"
    )
    parser.add_argument(
        "--no-virtuoso", action="store_true", help="leave Virtuoso out even if installed"
    )
    parser.add_argument(
        "--scale",
        metavar="SIZES",
        help="instead of the paper suite, synthetic corpora of these sizes, e.g. 1,10,100,1000",
    )
    parser.add_argument(
        "--pages",
        type=int,
        metavar="PAPERS",
        help="instead, pages and search of `cskg serve` on the paper and on PAPERS synthetic "
        "papers (0: the paper alone), against the 50 ms budget",
    )
    for flag, text in (
        ("--rdflib-max", "run rdflib's engine up to this many papers (each query in a budget)"),
        ("--push-max", "time `cskg push` into a fresh Virtuoso up to this many papers"),
        ("--publish-max", "time `cskg publish` (a file per document) up to this many papers"),
    ):
        parser.add_argument(
            flag, type=int, default=100, metavar="PAPERS", help=f"with --scale, {text}"
        )
    parser.add_argument(
        "--memory-max",
        type=int,
        default=1000,
        metavar="PAPERS",
        help="with --scale, load the release into memory (oxigraph-memory) up to this many "
        "papers: the whole release is then held in memory",
    )
    parser.add_argument(
        "--out",
        help="also write the Markdown report to this file (with --scale, the plot beside it, .png)",
    )


class _Stages:
    """`cskg bench`'s progress, told each stage as it begins: on a terminal the stage is the
    live line, its time running, and stays as `bench: STAGE … 12.3 s` when the next begins;
    elsewhere its line `bench: STAGE` is printed as it begins."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.step: Step | None = None

    def __call__(self, message: str) -> None:
        self.finish()
        if not self.progress.live:
            self.progress.line(f"bench: {message}")
        self.step = self.progress.step(f"bench: {message}")

    def finish(self) -> None:
        step, self.step = self.step, None
        if step is not None:
            self.progress.end(step)
            if self.progress.live:
                self.progress.line(f"{step.label} … {time.perf_counter() - step.started:.1f} s")


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(n) for n in text.split(",")]
    except ValueError:
        raise CskgError(f"--scale takes sizes such as 1,10,100: {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise CskgError("--scale sizes must be at least 1")
    return sorted(set(sizes))


def run_bench(args: argparse.Namespace) -> int:
    from cskg.terminal import Progress

    with Progress() as progress:
        stages = _Stages(progress)
        code = _bench(args, stages)
        stages.finish()
    return code


def _write_report(out: Path | None, text: str) -> None:
    """The report to `--out`, replacing only a report `cskg bench` wrote (`REPORT_MARKS`)."""
    from cskg.lab.bench import REPORT_MARKS
    from cskg.outdir import write_file

    if out:
        write_file(out, text.encode("utf-8"), REPORT_MARKS, "cskg bench --out")


def _check_out(out: Path | None, scale: bool) -> None:
    """Before measuring for minutes: whether `--out` (and with --scale the plot beside it) may
    be written."""
    from cskg.lab.bench import PNG_MARK, REPORT_MARKS
    from cskg.outdir import check_file

    if out:
        check_file(out, REPORT_MARKS, "cskg bench --out")
        if scale:
            check_file(out.with_suffix(".png"), (PNG_MARK,), "cskg bench --scale --out")


def _bench(args: argparse.Namespace, stages: _Stages) -> int:
    from cskg.lab.bench import plot_scale, run_bench, run_scale

    out = Path(args.out) if args.out else None
    _check_out(out, bool(args.scale) and args.pages is None)
    if args.pages is not None:
        from cskg.lab.bench import run_pages

        pages = run_pages(root(args), papers=args.pages, runs=args.runs, progress=stages)
        stages.finish()  # the live line gone before the report
        sys.stdout.write(pages.to_markdown())
        _write_report(out, pages.to_markdown())
        return 0
    if not args.scale:
        report = run_bench(
            root(args), runs=args.runs, use_virtuoso=not args.no_virtuoso, progress=stages
        )
        text = report.to_markdown()
        stages.finish()
        sys.stdout.write(text)
        _write_report(out, text)
        return 0

    def write_so_far(report: ScaleReport) -> None:  # a long run keeps what it measured
        if out:
            _write_report(out, report.to_markdown())
            plot_scale(report, out.with_suffix(".png"))

    scale = run_scale(
        root(args),
        _sizes(args.scale),
        runs=args.runs,
        rdflib_max=args.rdflib_max,
        push_max=args.push_max,
        publish_max=args.publish_max,
        memory_max=args.memory_max,
        use_virtuoso=not args.no_virtuoso,
        progress=stages,
        on_point=write_so_far,
    )
    stages.finish()
    sys.stdout.write(scale.to_markdown())
    return 0


SYNTH = Command(
    "synth",
    "write a synthetic corpus of N papers shaped like the real one",
    _synth_arguments,
    run_synth,
)
BENCH = Command(
    "bench",
    "measure build and library queries, engines side by side",
    _bench_arguments,
    run_bench,
)
