"""`cskg bench`: measure the build and the query library, engines side by side, in one run.

Whole-process figures run the installed `cskg` command the way a user does (subprocess, wall
clock, median of several runs). Per-query figures are medians after the store is open, for the
embedded pyoxigraph store, rdflib's own SPARQL engine on the same release, and Virtuoso with the
same quads when `virtuoso-t` is installed. The result is a Markdown report with ratios.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cskg.queries import load_library


@dataclass
class QueryTiming:
    name: str
    medians: dict[str, float] = field(default_factory=dict)  # engine -> seconds


@dataclass
class BenchReport:
    build: dict[str, float]  # engine set -> median wall seconds of `cskg build`
    query_process: dict[str, float]  # query name -> median wall seconds of `cskg query NAME`
    queries: list[QueryTiming]
    engines: list[str]
    runs: int

    def to_markdown(self) -> str:
        lines = [
            f"Medians of {self.runs} runs on this machine; ratios are relative to oxigraph.",
            "",
        ]
        lines += ["| `cskg build` (whole process) | wall |", "|---|---:|"]
        lines += [f"| {engines} | {_ms(seconds)} |" for engines, seconds in self.build.items()]
        if len(self.build) == 2:
            default, reference = self.build.values()
            lines.append(f"| reference / default | {reference / default:.1f}x |")
        lines += ["", "| `cskg query NAME` (whole process) | wall |", "|---|---:|"]
        lines += [f"| {name} | {_ms(s)} |" for name, s in self.query_process.items()]
        header = "| library query | " + " | ".join(self.engines)
        ratios = [e for e in self.engines if e != "oxigraph"]
        header += "".join(f" | {e} / oxigraph" for e in ratios) + " |"
        lines += ["", header, "|---" * (1 + len(self.engines) + len(ratios)) + "|"]
        for timing in self.queries:
            ox = timing.medians["oxigraph"]
            cells = [_ms(timing.medians[e]) if e in timing.medians else "—" for e in self.engines]
            cells += [
                _ratio(timing.medians[e] / ox) if e in timing.medians and ox else "—"
                for e in ratios
            ]
            lines.append(f"| {timing.name} | " + " | ".join(cells) + " |")
        for engine in self.engines:
            values = [t.medians[engine] for t in self.queries if engine in t.medians]
            if values:
                lines.append(
                    f"\n{engine}: slowest query {_ms(max(values))}, "
                    f"median over the library {_ms(statistics.median(values))}"
                )
        return "\n".join(lines) + "\n"


def _ratio(value: float) -> str:
    return f"{value:.0f}x" if value >= 10 else f"{value:.1f}x"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _median_wall(command: list[str], runs: int, cwd: Path) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - began)
        if done.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr}")
    return statistics.median(times)


def _median_call(call: Callable[[], object], runs: int) -> float:
    call()  # warm-up: first-run costs (parsing caches, page cache) are not the steady state
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def run_bench(
    root: Path,
    *,
    runs: int = 5,
    use_virtuoso: bool = True,
    progress: Callable[[str], None] = lambda message: None,
) -> BenchReport:
    from cskg import virtuoso
    from cskg.store import EmbeddedStore, RdflibStore, RemoteStore

    cskg = [sys.executable, "-m", "cskg.cli", "--root", str(root)]
    library = load_library(root / "queries")
    with tempfile.TemporaryDirectory(prefix="cskg-bench-") as scratch:
        dist = Path(scratch) / "dist"
        build: dict[str, float] = {}
        for label, extra in (
            ("default (reasonable, pyrudof)", []),
            ("reference (owlrl, pyshacl)", ["--reference"]),
        ):
            progress(f"build: {label}")
            command = [*cskg, "build", "-q", "--out", str(dist), *extra]
            build[label] = _median_wall(command, max(1, runs // 2 if extra else runs), root)

        query_process: dict[str, float] = {}
        for entry in library[:3]:
            progress(f"process: cskg query {entry.name}")
            command = [*cskg, "--dist", str(dist), "query", entry.name, "--format", "csv"]
            query_process[entry.name] = _median_wall(command, runs, root)

        stores = {
            "oxigraph": EmbeddedStore(dist / "store"),
            "rdflib": RdflibStore(dist / "cskg.nq"),
        }
        server = None
        if use_virtuoso and virtuoso.available():
            progress("virtuoso: start and load")
            server = virtuoso.TempVirtuoso().start()
            server.load_nquads(dist / "cskg.nq")
            stores["virtuoso"] = RemoteStore(server.endpoint)
        try:
            timings = []
            for entry in library:
                progress(f"query: {entry.name}")
                timing = QueryTiming(entry.name)
                for engine, store in stores.items():
                    n = runs if engine == "rdflib" else runs * 4
                    text = entry.text
                    timing.medians[engine] = _median_call(lambda s=store, q=text: s.query(q), n)
                timings.append(timing)
        finally:
            for store in stores.values():
                store.close()
            if server is not None:
                server.stop()
    return BenchReport(build, query_process, timings, list(stores), runs)
