"""`cskg bench`: measure the build and the query library, engines side by side, in one run.

Whole-process figures run the installed `cskg` command the way a user does (subprocess, wall
clock, median of several runs). Per-query figures are medians after the store is open, for the
embedded pyoxigraph store, rdflib's own SPARQL engine on the same release, and Virtuoso with the
same quads when `virtuoso-t` is installed. The result is a Markdown report with ratios.
"""

from __future__ import annotations

import gc
import http.client
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cskg.errors import CskgError
from cskg.query.library import load_library
from cskg.query.remote import FORM, SPARQL_JSON, answers, protocol_form

if TYPE_CHECKING:
    import pyoxigraph
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from cskg.lab.virtuoso import TempVirtuoso
    from cskg.query.engines import EmbeddedStore
    from cskg.query.library import LibraryQuery
    from cskg.query.model import QueryStore


#: how each report begins (`BenchReport`, `ScaleReport`, `PagesReport`): `cskg bench --out`
#: replaces a file that begins so, and no other
REPORT_MARKS = (b"Medians of ", b"Synthetic corpora (", b"`cskg serve` on loopback")
#: how a PNG file begins: the scale plot replaces a picture, and nothing else
PNG_MARK = b"\x89PNG\r\n\x1a\n"


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
    endpoints: EndpointBench | None = None

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
        if self.endpoints is not None:
            lines += ["", *self.endpoints.markdown_lines()]
        return "\n".join(lines) + "\n"


# -- the SPARQL endpoint over HTTP: `cskg serve` against Virtuoso ------------------------------


@dataclass
class EndpointBench:
    """`/sparql` over HTTP: median latency per library query and throughput under load."""

    latency: dict[str, dict[str, float]]  # query name -> endpoint -> median seconds
    throughput: dict[str, float]  # endpoint -> answered requests per second
    failures: dict[str, int]  # endpoint -> non-200 answers during the throughput run
    clients: int
    seconds: float

    def markdown_lines(self) -> list[str]:
        names = list(self.throughput)
        other = [n for n in names if n != "cskg serve"]
        lines = [
            "`/sparql` over HTTP on loopback (POST form, SPARQL JSON or N-Triples; keep-alive "
            "connections; the client is Python, the same for both servers).",
            "",
            "| library query | "
            + " | ".join(names)
            + "".join(f" | {n} / cskg serve" for n in other)
            + " |",
            "|---" * (1 + len(names) + len(other)) + "|",
        ]
        for query, medians in self.latency.items():
            cells = [_ms(medians[n]) if n in medians else "—" for n in names]
            cells += [
                _ratio(medians[n] / medians["cskg serve"])
                if n in medians and medians.get("cskg serve")
                else "—"
                for n in other
            ]
            lines.append(f"| {query} | " + " | ".join(cells) + " |")
        for name in names:
            values = [m[name] for m in self.latency.values() if name in m]
            if values:
                lines.append(
                    f"\n{name}: median latency over the library {_ms(statistics.median(values))}"
                )
        lines += [
            "",
            f"| throughput ({self.clients} concurrent clients, {self.seconds:g} s, library "
            "queries in turn) | requests/s | non-200 |",
            "|---|---:|---:|",
        ]
        lines += [f"| {n} | {self.throughput[n]:.0f} | {self.failures[n]} |" for n in names]
        for n in other:
            own = self.throughput["cskg serve"]
            if own:
                lines.append(f"| {n} / cskg serve | {self.throughput[n] / own:.2f}x | |")
        return lines


# The timed requests go through the standard library's bare HTTP connection, not cskg's client
# (`cskg.query.http`): that client's deadline and byte-cap machinery adds some 0.3 ms to every
# request, a third of a library query's latency on the paper, which would be measured as the
# server's. Everything else (is the server up?) goes through cskg's client.
_HEADERS = {"Content-Type": FORM, "Accept": f"{SPARQL_JSON}, application/n-triples;q=0.9"}


def _post(connection: http.client.HTTPConnection, path: str, query: str) -> int:
    connection.request("POST", path, body=protocol_form(query), headers=_HEADERS)
    response = connection.getresponse()
    response.read()
    return response.status


def _connection(endpoint: str) -> tuple[http.client.HTTPConnection, str]:
    parts = urllib.parse.urlsplit(endpoint)
    host = parts.hostname or "127.0.0.1"
    return http.client.HTTPConnection(host, parts.port, timeout=60), parts.path


def _latency(endpoint: str, query: str, runs: int) -> float | None:
    connection, path = _connection(endpoint)
    try:
        if _post(connection, path, query) != 200:
            return None
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            _post(connection, path, query)
            times.append(time.perf_counter() - began)
        return statistics.median(times)
    finally:
        connection.close()


def _throughput(
    endpoint: str, queries: list[str], clients: int, seconds: float
) -> tuple[float, int]:
    import threading

    done, failed = [0] * clients, [0] * clients
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(n: int) -> None:
        connection, path = _connection(endpoint)
        start.wait()
        i = n
        try:
            while time.perf_counter() < stop_at[0]:
                try:
                    status = _post(connection, path, queries[i % len(queries)])
                except (OSError, http.client.HTTPException):
                    connection.close()
                    connection, path = _connection(endpoint)
                    status = 0
                if status == 200:
                    done[n] += 1
                else:
                    failed[n] += 1
                i += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - began), sum(failed)


@contextmanager
def serving(dist: Path, *options: str, startup_timeout: float = 60.0) -> Iterator[str]:
    """`cskg serve` on a free loopback port for `dist`; yields its `/sparql` URL."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "cskg.cli", "--dist", str(dist), "serve"]
    command += ["--port", str(port), *options]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}/sparql"
    try:
        deadline = time.monotonic() + startup_timeout
        while not answers(endpoint, timeout=2.0):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("cskg serve did not start")
            time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def bench_endpoints(
    dist: Path,
    root: Path,
    *,
    virtuoso_endpoint: str | None,
    runs: int = 5,
    clients: int = 8,
    seconds: float = 5.0,
    progress: Callable[[str], None] = lambda message: None,
) -> EndpointBench:
    """Latency per library query and throughput of `cskg serve` (and Virtuoso, if given)."""
    library = load_library(root / "queries")
    latency: dict[str, dict[str, float]] = {q.name: {} for q in library}
    throughput: dict[str, float] = {}
    failures: dict[str, int] = {}
    with serving(dist) as own:
        endpoints = {"cskg serve": own}
        if virtuoso_endpoint:
            endpoints["virtuoso"] = virtuoso_endpoint
        for name, endpoint in endpoints.items():
            for query in library:
                progress(f"/sparql {name}: {query.name}")
                median = _latency(endpoint, query.example_text, runs * 4)
                if median is not None:
                    latency[query.name][name] = median
            progress(f"/sparql {name}: throughput, {clients} clients")
            texts = [q.example_text for q in library if name in latency[q.name]]
            throughput[name], failures[name] = _throughput(endpoint, texts, clients, seconds)
    return EndpointBench(latency, throughput, failures, clients, seconds)


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
    cskg = [sys.executable, "-m", "cskg.cli", "--root", str(root)]
    library = load_library(root / "queries")
    with tempfile.TemporaryDirectory(prefix="cskg-bench-") as scratch:
        dist = Path(scratch) / "dist"
        build = _time_builds(cskg, dist, root, runs, progress)
        query_process: dict[str, float] = {}
        for entry in library[:3]:
            progress(f"process: cskg query {entry.name}")
            command = [*cskg, "--dist", str(dist), "query", entry.name, "--format", "csv"]
            query_process[entry.name] = _median_wall(command, runs, root)
        stores, server = _open_stores(dist, use_virtuoso, progress)
        try:
            timings = _time_library(library, stores, runs, progress)
            endpoints = bench_endpoints(
                dist,
                root,
                virtuoso_endpoint=server.endpoint if server is not None else None,
                runs=runs,
                progress=progress,
            )
        finally:
            for store in stores.values():
                store.close()
            if server is not None:
                server.stop()
    return BenchReport(build, query_process, timings, list(stores), runs, endpoints)


def _time_builds(
    cskg: list[str], dist: Path, root: Path, runs: int, progress: Callable[[str], None]
) -> dict[str, float]:
    """Median wall seconds of `cskg build`, with each engine set."""
    build: dict[str, float] = {}
    for label, extra in (
        ("default (reasonable, pyrudof)", []),
        ("reference (owlrl, pyshacl)", ["--reference"]),
    ):
        progress(f"build: {label}")
        command = [*cskg, "build", "-q", "--out", str(dist), *extra]
        build[label] = _median_wall(command, max(1, runs // 2 if extra else runs), root)
    return build


def _open_stores(
    dist: Path, use_virtuoso: bool, progress: Callable[[str], None]
) -> tuple[dict[str, QueryStore], TempVirtuoso | None]:
    """Every engine on the release, and the throwaway Virtuoso when it is one of them."""
    from cskg.lab import virtuoso
    from cskg.query.engines import EmbeddedStore, RdflibStore
    from cskg.query.remote import RemoteStore

    stores: dict[str, QueryStore] = {
        "oxigraph": EmbeddedStore(dist / "store"),
        "oxigraph-memory": EmbeddedStore.in_memory(dist),
        "rdflib": RdflibStore(dist / "cskg.nq"),
    }
    server = None
    if use_virtuoso and virtuoso.available():
        progress("virtuoso: start and load")
        server = virtuoso.TempVirtuoso().start()
        server.load_nquads(dist / "cskg.nq")
        stores["virtuoso"] = RemoteStore(server.endpoint)
    return stores, server


def _time_library(
    library: list[LibraryQuery],
    stores: dict[str, QueryStore],
    runs: int,
    progress: Callable[[str], None],
) -> list[QueryTiming]:
    """Median seconds of each library query on each engine (fewer runs for rdflib's)."""
    timings = []
    for entry in library:
        progress(f"query: {entry.name}")
        timing = QueryTiming(entry.name)
        for engine, store in stores.items():
            n = runs if engine == "rdflib" else runs * 4
            timing.medians[engine] = _median_call(partial(store.query, entry.example_text), n)
        timings.append(timing)
    return timings


# -- the scaled benchmark: synthetic corpora of 1, 10, 100, 1000 papers -------------------------

BUILD_STEPS = ("load", "reason", "validate", "write", "store")

#: The targets `cskg bench --scale` checks (the README's "Scale" section).
TARGET_RDFLIB_RATIO = 20.0  # every library query at least this much faster than rdflib's engine
TARGET_RDFLIB_AT = 100  # papers
TARGET_LOAD_SHARE = 0.5  # load rate against the raw parser floor
#: the embedded store, as `cskg query` opens it (on disk) and as `cskg serve --memory` does
EMBEDDED_ENGINES = ("oxigraph", "oxigraph-memory")
TARGET_BUILD_SECONDS = 300.0  # a full build of 1000 papers
#: the build's peak memory (`ScalePoint.build_peak_mb`) at TARGET_PEAK_AT papers, in MB
TARGET_PEAK_MB, TARGET_PEAK_AT = 2000.0, 1000
#: from TARGET_PEAK_AT to TARGET_GROWTH_AT papers: the peak within this factor, the build's time
#: growing at most this much
TARGET_PEAK_GROWTH, TARGET_TIME_GROWTH, TARGET_GROWTH_AT = 1.2, 11.0, 10_000
#: the query classes' targets (a query's `# scale:`): a corpus-wide query within this factor of
#: raw pyoxigraph running its text on the same store (the engine floor), at the largest size
TARGET_FLOOR_RATIO = 1.5
#: an entity-centred query's median at the largest size within this factor of the smallest's
TARGET_CONSTANT_RATIO = 2.0
#: against the floor, a query runs as many times as fit in FAST_BUDGET seconds, at most FAST_RUNS
FAST_BUDGET, FAST_RUNS = 0.1, 50

#: the commands after the build that `cskg bench --scale` times on each release, with their
#: arguments after `cskg --root CORPUS --dist DIST` ({out}: a scratch folder)
SCALE_COMMANDS: dict[str, list[str]] = {
    "export": ["export", "--format", "graphml", "-o", "{out}/all.graphml"],
    "analyze": ["analyze", "--memory-budget", "64G"],  # measured, not refused, at any size
    "publish": ["publish", "--out", "{out}/site", "--base", "https://data.example.org/cskg"],
}

#: rdflib's engine gets RDFLIB_BUDGET_FACTOR times the embedded store's time for a query, at
#: least RDFLIB_BUDGET_MIN and at most RDFLIB_BUDGET_MAX seconds: a query that does not finish
#: in it is stopped, and the report says "more than" (the ratio is then a lower bound).
RDFLIB_BUDGET_FACTOR = 50.0
RDFLIB_BUDGET_MIN = 2.0
RDFLIB_BUDGET_MAX = 30.0


@dataclass
class PushFigures:
    """`cskg push` (Graph Store Protocol, digest credentials) into a fresh local Virtuoso."""

    graphs: int
    triples: int
    write: float  # seconds to send every graph
    verify: float  # seconds to read back the counts

    def line(self, papers: int) -> str:
        rate = self.triples / self.write if self.write else 0.0
        return (
            f"- {papers} papers, `cskg push` into Virtuoso: {self.graphs:,} graphs, "
            f"{self.triples:,} triples written in {_ms(self.write)} ({rate / 1000:,.1f} k "
            f"triples/s, {_ms(self.write / max(1, self.graphs))} a graph), counts verified in "
            f"{_ms(self.verify)}"
        )


@dataclass
class ScalePoint:
    """The figures measured on one synthetic corpus."""

    papers: int
    triples: int
    steps: dict[str, float]  # build step -> seconds (from the release's build.json)
    wall: float  # the whole `cskg build` process
    peak_mb: float  # its peak resident memory (the largest of its processes, `_run_measured`)
    floor_rate: float  # quads/s of pyoxigraph parsing the corpus's source files, nothing else
    load_rate: float  # asserted triples/s of the build's load step (the same files)
    queries: dict[str, dict[str, float]]  # engine -> query name -> median seconds
    skipped: dict[str, str] = field(default_factory=dict)  # engine -> why it was not run
    #: engine -> query -> why it was not run at this size (too slow at a smaller one)
    left_out: dict[str, dict[str, str]] = field(default_factory=dict)
    #: engine -> query -> the time budget it did not finish in (seconds)
    over_budget: dict[str, dict[str, float]] = field(default_factory=dict)
    memory_load: float = 0.0  # seconds to load the release into an in-memory store
    push: PushFigures | None = None  # `cskg push` of the release into an empty Virtuoso
    #: command (`SCALE_COMMANDS`) -> (wall seconds, peak resident MB) of its child process
    commands: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: query -> median seconds of raw pyoxigraph on the store on disk (`_against_floor`)
    raw: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # query -> rows (triples) of its answer
    #: build step -> peak resident MB of the build and its workers together during the step
    #: (`build.json`'s "memory", `cskg.build.memory`); empty for a build that did not record it
    memory: dict[str, float] = field(default_factory=dict)
    #: quads/s of pyoxigraph's own bulk loader on the release's N-Quads (`_store_floor`)
    store_floor_rate: float = 0.0

    @property
    def store_rate(self) -> float:
        """Quads of the release's N-Quads per second of the build's store step."""
        seconds = self.steps.get("store")
        return self.triples / seconds if seconds else 0.0

    @property
    def build_peak_mb(self) -> float:
        """The build's peak memory: the largest process seen from outside, or the largest sum
        of the build and its workers seen during one step, whichever is more."""
        return max([self.peak_mb, *self.memory.values()])

    def floor_ratio(self, name: str) -> float | None:
        """cskg's path (`EmbeddedStore.query`) against raw pyoxigraph on a query."""
        ours, raw = self.queries.get("oxigraph", {}).get(name), self.raw.get(name)
        return ours / raw if ours is not None and raw else None

    def ratio(self, engine: str, name: str, base: str = "oxigraph") -> float | None:
        """How many times slower than the embedded store (`base`) `engine` is on a query (a
        lower bound when it ran out of its time budget)."""
        ox_value = self.queries.get(base, {}).get(name)
        other = self.queries.get(engine, {}).get(name)
        if other is None:
            other = self.over_budget.get(engine, {}).get(name)
        return other / ox_value if other and ox_value else None

    def ratio_cell(self, engine: str, name: str) -> str:
        value = self.ratio(engine, name)
        if value is None:
            return "—"
        late = name in self.over_budget.get(engine, {})
        return ("> " if late else "") + _scale_ratio(value)


@dataclass
class ScaleReport:
    points: list[ScalePoint]
    runs: int
    classes: dict[str, str] = field(default_factory=dict)  # query -> its `# scale:`

    def _point(self, papers: int) -> ScalePoint | None:
        return next((p for p in self.points if p.papers == papers), None)

    def to_markdown(self) -> str:
        lines = [
            f"Synthetic corpora (`cskg synth`, seed 0) built with `cskg build` (default engines) "
            f"in a child process; query latencies are medians of {self.runs} runs after a "
            "warm-up (one run for an rdflib query over 2 s). oxigraph is the release's store "
            "on disk, as `cskg query` opens it; oxigraph-memory the same release loaded into "
            "an in-memory store, as `cskg serve --memory` does. The raw parse floor is "
            "pyoxigraph parsing the corpus's source files and nothing else; the load rate is "
            "the build's load step on the same files. The raw store loader is pyoxigraph's own "
            "bulk loader reading the release's N-Quads into an empty store with its own threads "
            "and memory (some 2 GB), then optimising it; the build's store step loads the same "
            "quads and their merge into the default graph a chunk at a time, in bounded memory "
            "(both in quads of the N-Quads a second). Each step: its time, and the peak "
            "resident memory of the build and its worker processes together during it (reason "
            "and validate run interleaved, part by part, and share one figure); the peak memory "
            "of the whole process is its largest process's, measured from outside.",
            "",
            "| papers | triples | load | reason | validate | write | store | build (process) "
            "| peak memory | raw parse floor | load rate | load / floor | raw store loader "
            "| store rate | store / loader |",
            "|---:" * 15 + "|",
        ]
        for p in self.points:
            cells = [str(p.papers), f"{p.triples:,}"]
            cells += [_step_cell(p, s) for s in BUILD_STEPS]
            cells += [_ms(p.wall), _mb(p.peak_mb)]
            cells += [f"{p.floor_rate / 1000:,.0f} k/s", f"{p.load_rate / 1000:,.0f} k/s"]
            cells.append(f"{p.load_rate / p.floor_rate:.2f}" if p.floor_rate else "—")
            cells += [_rate_cell(p.store_floor_rate), _rate_cell(p.store_rate)]
            share = p.store_rate / p.store_floor_rate if p.store_floor_rate else None
            cells.append(f"{share:.2f}" if share else "—")
            lines.append("| " + " | ".join(cells) + " |")
        names = sorted({n for p in self.points for e in p.queries.values() for n in e})
        header = ["library query"] + [f"oxigraph, {p.papers}" for p in self.points]
        ratio_cols = [
            ("rdflib", p)
            for p in self.points
            if p.queries.get("rdflib") or p.over_budget.get("rdflib")
        ]
        for engine in ("oxigraph-memory", "virtuoso"):  # at the largest size each ran
            ran = [p for p in self.points if engine in p.queries]
            if ran:
                ratio_cols.append((engine, ran[-1]))
        header += [f"{e} / oxigraph, {p.papers}" for e, p in ratio_cols]
        lines += ["", "| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
        for name in names:
            cells = [name]
            for p in self.points:
                value = p.queries.get("oxigraph", {}).get(name)
                cells.append(_ms(value) if value is not None else "not run")
            for engine, p in ratio_cols:
                cells.append(p.ratio_cell(engine, name))
            lines.append("| " + " | ".join(cells) + " |")
        lines += self._classes_tables()
        lines += self._commands_table()
        lines += ["", *self._summary()]
        return "\n".join(lines) + "\n"

    def _commands_table(self) -> list[str]:
        if not any(p.commands for p in self.points):
            return []
        lines = [
            "",
            "Other commands on the same release, each a child process (wall time, peak memory): "
            "`cskg export --format graphml` (the whole graph), `cskg analyze` (betweenness "
            "sampled beyond its budget), `cskg publish` (every document of the static site).",
            "",
            "| papers | " + " | ".join(SCALE_COMMANDS) + " |",
            "|---:" * (len(SCALE_COMMANDS) + 1) + "|",
        ]
        for p in self.points:
            cells = [str(p.papers)]
            for name in SCALE_COMMANDS:
                if name in p.commands:
                    wall, peak = p.commands[name]
                    cells.append(f"{_ms(wall)}, {peak:,.0f} MB")
                else:
                    cells.append("not run")
            lines.append("| " + " | ".join(cells) + " |")
        return lines

    def _named(self, scale: str) -> list[str]:
        """The queries of a class (`# scale:`) that the store on disk answered at some size."""
        ran = {n for p in self.points for n in p.queries.get("oxigraph", {})}
        return sorted(n for n, c in self.classes.items() if c == scale and n in ran)

    def growth(self, name: str, floor: bool = False) -> float | None:
        """A query's median at the largest size over its median at the smallest: cskg's path,
        or with `floor` raw pyoxigraph's."""
        first, last = self.points[0], self.points[-1]
        if first is last:
            return None
        medians = [p.raw if floor else p.queries.get("oxigraph", {}) for p in (first, last)]
        small, large = (m.get(name) for m in medians)
        return large / small if small and large is not None else None

    def _classes_tables(self) -> list[str]:
        """Each query class against its target: corpus-wide queries against the engine floor,
        entity-centred ones against their median at the smallest size."""
        if not self.classes or not self.points:
            return []
        sizes, last = [p.papers for p in self.points], self.points[-1]
        lines = [
            "",
            "The query classes (each query's `# scale:`). cskg is a query as `cskg query` runs "
            "it: `EmbeddedStore.query` on the store on disk, the answer read into a `Result`. "
            "raw is pyoxigraph's `Store.query` running the same text on the same store with the "
            "same dataset (the merged default graph, the project's prefixes), every term of the "
            f"answer read: the engine floor. The two run in turn, medians of {self.runs} runs "
            f"after a warm-up (a fast query as many as fit in {FAST_BUDGET:g} s, up to "
            f"{FAST_RUNS}). rows: the answer's rows (a graph answer's triples). Targets: a "
            f"corpus-wide query within {TARGET_FLOOR_RATIO:g}x of raw at the largest size; an "
            f"entity-centred one's median at the largest size within {TARGET_CONSTANT_RATIO:g}x "
            "of its median at the smallest.",
            "",
        ]
        head = ["corpus-wide query", *(f"rows, {n}" for n in sizes)]
        head += [*(f"cskg / raw, {n}" for n in sizes), f"cskg, {last.papers}"]
        lines += _table_head([*head, f"raw, {last.papers}", f"cskg per row, {last.papers}"])
        for name in self._named("corpus-wide"):
            cells = [name, *(_rows_cell(p, name) for p in self.points)]
            cells += [_floor_cell(p, name) for p in self.points]
            cells += [_ms_cell(last.queries.get("oxigraph", {}).get(name))]
            lines.append(_table_row([*cells, _ms_cell(last.raw.get(name)), _per_row(last, name)]))
        head = ["entity-centred query", *(f"rows, {n}" for n in sizes)]
        head += [*(f"cskg, {n}" for n in sizes), f"cskg / raw, {last.papers}"]
        growth = f"{last.papers} / {sizes[0]}"
        lines += ["", *_table_head([*head, f"cskg, {growth}", f"raw, {growth}"])]
        for name in self._named("entity-centred"):
            cells = [name, *(_rows_cell(p, name) for p in self.points)]
            cells += [_ms_cell(p.queries.get("oxigraph", {}).get(name)) for p in self.points]
            cells.append(_floor_cell(last, name))
            cells += [_ratio_cell(self.growth(name)), _ratio_cell(self.growth(name, floor=True))]
            lines.append(_table_row(cells))
        return lines

    def _class_targets(self) -> Iterator[tuple[bool, str]]:
        """The query classes' targets (`TARGET_FLOOR_RATIO`, `TARGET_CONSTANT_RATIO`)."""
        if not self.classes or not self.points:
            return
        first, last = self.points[0], self.points[-1]
        ratios = {n: r for n in self._named("corpus-wide") if (r := last.floor_ratio(n))}
        if ratios:
            met, detail = _against_target(
                ratios, TARGET_FLOOR_RATIO, lambda n: f"{n} {_ratio(ratios[n])}"
            )
            yield (
                met,
                f"every corpus-wide query within {TARGET_FLOOR_RATIO:g}x of raw pyoxigraph on the "
                f"same store at {last.papers} papers ({detail})",
            )
        growth = {n: g for n in self._named("entity-centred") if (g := self.growth(n))}
        if growth:
            met, detail = _against_target(
                growth,
                TARGET_CONSTANT_RATIO,
                lambda n: f"{n} {_ratio(growth[n])}" + _raw_growth(self.growth(n, floor=True)),
            )
            yield (
                met,
                f"every entity-centred query's median at {last.papers} papers within "
                f"{TARGET_CONSTANT_RATIO:g}x of its median at {first.papers} papers ({detail})",
            )

    def _summary(self) -> list[str]:
        out = []
        for p in self.points:
            for engine in sorted(p.queries, key=_engine_order):
                values = list(p.queries[engine].values())
                late = p.over_budget.get(engine, {})
                if values:
                    out.append(
                        f"- {p.papers} papers, {engine}: median over the library "
                        f"{_ms(statistics.median(values))}, slowest {_ms(max(values))}"
                        + (f"; {len(late)} stopped at their time budget" if late else "")
                        + (
                            f"; the release loaded into memory in {_ms(p.memory_load)}"
                            if engine == "oxigraph-memory" and p.memory_load
                            else ""
                        )
                    )
            if p.push:
                out.append(p.push.line(p.papers))
            for engine, why in p.skipped.items():
                out.append(f"- {p.papers} papers, {engine}: not run ({why})")
            for engine, queries in p.left_out.items():
                for name, why in queries.items():
                    if name not in p.queries.get(engine, {}):
                        out.append(f"- {p.papers} papers, {engine}: {name} not run ({why})")
        out += ["", "Targets:", *self.targets()]
        return out

    def targets(self) -> list[str]:
        """Each target of the README's "Scale" section, met or not, with the figure."""
        found = [
            *self._query_targets(),
            *self._class_targets(),
            *self._build_targets(),
            *self._memory_targets(),
        ]
        return [f"- {'met' if met else 'NOT met'}: {text}" for met, text in found]

    def _query_targets(self) -> Iterator[tuple[bool, str]]:
        at = self._point(TARGET_RDFLIB_AT)
        for engine in EMBEDDED_ENGINES:  # the store on disk, then in memory
            where = "" if engine == "oxigraph" else ", the store in memory"
            if at and "rdflib" in at.queries:
                ratios = {
                    name: ratio
                    for name in at.queries.get(engine, {})
                    if (ratio := at.ratio("rdflib", name, base=engine)) is not None
                }
                if ratios:
                    worst = min(ratios, key=lambda n: ratios[n])
                    yield (
                        min(ratios.values()) >= TARGET_RDFLIB_RATIO,
                        f"every library query at least {TARGET_RDFLIB_RATIO:.0f}x faster than "
                        f"rdflib's engine at {TARGET_RDFLIB_AT} papers{where} (smallest: "
                        f"{worst}, {ratios[worst]:.1f}x)",
                    )

    def _build_targets(self) -> Iterator[tuple[bool, str]]:
        for p in self.points:
            if p.papers >= 10 and p.floor_rate:
                share = p.load_rate / p.floor_rate
                yield (
                    share >= TARGET_LOAD_SHARE,
                    f"load at {share:.2f} of the raw parse floor at {p.papers} papers "
                    f"(target {TARGET_LOAD_SHARE})",
                )
        big = self._point(1000)
        if big:
            yield (
                big.wall < TARGET_BUILD_SECONDS,
                f"full build of 1000 papers in {_ms(big.wall)} "
                f"(target {_ms(TARGET_BUILD_SECONDS)})",
            )
        small = self._point(100)
        if small and big and small.wall:
            growth, work = big.wall / small.wall, big.triples / small.triples
            yield (
                growth <= work * 1.05,
                f"build cost 100 → 1000 papers grew {growth:.1f}x for {work:.1f}x the triples",
            )

    def _memory_targets(self) -> Iterator[tuple[bool, str]]:
        """The build's peak memory at `TARGET_PEAK_AT` papers, and how it and the build's time
        grow from there to `TARGET_GROWTH_AT` (each when both sizes were measured)."""
        base, large = self._point(TARGET_PEAK_AT), self._point(TARGET_GROWTH_AT)
        if base:
            yield (
                base.build_peak_mb <= TARGET_PEAK_MB,
                f"peak build memory at {base.papers} papers {_mb(base.build_peak_mb)} "
                f"(target {_mb(TARGET_PEAK_MB)})",
            )
        if base and large and base.build_peak_mb and base.wall:
            growth = large.build_peak_mb / base.build_peak_mb
            yield (
                growth <= TARGET_PEAK_GROWTH,
                f"peak build memory {base.papers} → {large.papers} papers grew {growth:.2f}x "
                f"({_mb(base.build_peak_mb)} → {_mb(large.build_peak_mb)}; target "
                f"{TARGET_PEAK_GROWTH:g}x)",
            )
            growth = large.wall / base.wall
            yield (
                growth <= TARGET_TIME_GROWTH,
                f"build time {base.papers} → {large.papers} papers grew {growth:.1f}x "
                f"({_ms(base.wall)} → {_ms(large.wall)}; target {TARGET_TIME_GROWTH:g}x)",
            )


def _table_head(header: list[str]) -> list[str]:
    """A Markdown table's header: the first column left, the figures right."""
    return [_table_row(header), "|---" + "|---:" * (len(header) - 1) + "|"]


def _table_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _mb(megabytes: float) -> str:
    return f"{megabytes:,.0f} MB"


def _step_cell(point: ScalePoint, step: str) -> str:
    """A build step's time and peak memory (— where the build did not record it)."""
    memory = point.memory.get(step)
    return f"{_ms(point.steps.get(step, 0.0))}, {'—' if memory is None else _mb(memory)}"


def _rate_cell(per_second: float) -> str:
    return f"{per_second / 1000:,.0f} k/s" if per_second else "—"


def _ms_cell(seconds: float | None) -> str:
    return "not run" if seconds is None else _ms(seconds)


def _ratio_cell(value: float | None) -> str:
    return "—" if value is None else _scale_ratio(value)


def _rows_cell(point: ScalePoint, name: str) -> str:
    return f"{point.rows[name]:,}" if name in point.rows else "—"


def _floor_cell(point: ScalePoint, name: str) -> str:
    return _ratio_cell(point.floor_ratio(name))


def _per_row(point: ScalePoint, name: str) -> str:
    """cskg's median over the answer's rows, in µs (— for an empty answer)."""
    seconds, rows = point.queries.get("oxigraph", {}).get(name), point.rows.get(name)
    return "—" if seconds is None or not rows else f"{seconds / rows * 1e6:,.1f} µs"


def _raw_growth(raw: float | None) -> str:
    return f" (raw {_ratio(raw)})" if raw else ""


def _against_target(
    values: dict[str, float], limit: float, say: Callable[[str], str]
) -> tuple[bool, str]:
    """Whether every value is within `limit`, and what to say: how many are, and those over it
    (the worst first) or the largest."""
    over = sorted((n for n in values if values[n] > limit), key=lambda n: -values[n])
    if over:
        return False, f"{len(values) - len(over)} of {len(values)}; over: " + ", ".join(
            say(n) for n in over
        )
    largest = max(values, key=values.__getitem__)
    return True, f"{len(values)} of {len(values)}; the largest: {say(largest)}"


def _scale_ratio(value: float) -> str:
    return _ratio(value) if value >= 0.1 else f"{value:.2g}x"  # 0.034x, not 0.0x


def _engine_order(engine: str) -> tuple[int, str]:
    order = {"oxigraph": 0, "oxigraph-memory": 1, "rdflib": 2, "virtuoso": 3}
    return (order.get(engine, 9), engine)


#: The measured command runs under this small Python process rather than straight under the
#: benchmark. A process's peak resident memory (`ru_maxrss`) starts from its parent's at fork and
#: survives exec, so a command forked from the benchmark, which holds gigabytes of stores, would
#: report at least the benchmark's own size (1,655 MB for an export whose peak is 706 MB). Forked
#: from this process instead, it reports its own; the figure comes back on standard output.
_SPAWNER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _run_measured(command: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak resident MB, exit code) of a child process (see `_SPAWNER`)."""
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _SPAWNER, *command], capture_output=True, check=False
    )
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr.decode(errors='replace')}")
    return wall, int(done.stdout) / 1024, done.returncode  # ru_maxrss is in KiB on Linux


def _parse_floor(files: list[Path]) -> float:
    """Quads per second of pyoxigraph's parser alone on the files (best of two)."""
    import pyoxigraph as ox

    from cskg.build.sources import FORMATS

    best, count = float("inf"), 0
    for _ in range(2):
        began = time.perf_counter()
        count = 0
        for path in files:
            count += sum(1 for _ in ox.parse(path.read_bytes(), format=FORMATS[path.suffix]))
        best = min(best, time.perf_counter() - began)
    return count / best if best else 0.0


def _store_floor(dump: Path, quads: int, scratch: Path) -> float:
    """Quads per second of pyoxigraph's own bulk loader reading `dump` (the release's
    `quads` N-Quads) into an empty store in `scratch`, then optimising it: the floor of
    the build's store step (`cskg.build.write.load_store`). The loader uses every core and
    batches of a million quads (some 2 GB), which the build's memory bound does not allow."""
    import pyoxigraph as ox

    with tempfile.TemporaryDirectory(prefix="cskg-store-floor-", dir=scratch) as folder:
        began = time.perf_counter()
        store = ox.Store(folder)
        store.bulk_load(path=dump, format=ox.RdfFormat.N_QUADS)
        store.optimize()
        store.flush()
        seconds = time.perf_counter() - began
        del store  # its files closed before the folder goes
    return quads / seconds if seconds else 0.0


class _OverBudget(BaseException):
    """Raised into a query that ran out of its budget: a BaseException, like
    KeyboardInterrupt, so that the store's `except Exception` does not take it for a query
    error."""


def _within(call: Callable[[], object], budget: float) -> float | None:
    """Seconds `call` took, or None when it did not finish within `budget` seconds.

    The call is interrupted by SIGALRM: this works for rdflib, whose engine is Python code
    (the handler runs between two bytecodes), not for a call that stays inside native code."""
    import signal

    def stop(_signum: int, _frame: object) -> None:
        raise _OverBudget

    previous = signal.signal(signal.SIGALRM, stop)
    began = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        call()
    except _OverBudget:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return time.perf_counter() - began


def _rdflib_median(call: Callable[[], object], runs: int, budget: float) -> float | None:
    """Median of `runs` calls, or the first call's time alone when it took over 2 s; None
    when the first call did not finish within `budget` seconds."""
    first = _within(call, budget)
    if first is None or first > 2.0:
        return first
    return _median_call(call, max(1, runs - 1))


def run_scale(
    root: Path,
    sizes: list[int],
    *,
    runs: int = 5,
    rdflib_max: int = 100,
    push_max: int = 100,
    publish_max: int = 100,
    memory_max: int = 1000,
    use_virtuoso: bool = True,
    slow: float = 5.0,
    progress: Callable[[str], None] = lambda message: None,
    on_point: Callable[[ScaleReport], None] = lambda report: None,
) -> ScaleReport:
    """Synthesise, build and query corpora of each size (see `ScaleReport`).

    rdflib's engine runs each query within a time budget (`RDFLIB_BUDGET_*`), up to
    `rdflib_max` papers; `cskg push` into a fresh Virtuoso is timed up to `push_max` papers, and
    the other commands (`SCALE_COMMANDS`) on each release, `cskg publish` up to `publish_max`. On
    the embedded store and Virtuoso, a query that took more than `slow` seconds at one size is
    not run at the larger sizes (the report says so): a query whose cost grew faster than the
    data would otherwise hold the benchmark for hours. `on_point` gets the report so far after
    each size."""
    library = load_library(root / "queries")
    classes = {q.name: q.scale for q in library if q.scale}
    points: list[ScalePoint] = []
    too_slow: dict[str, dict[str, str]] = {}  # engine -> query name -> why it is left out
    with tempfile.TemporaryDirectory(prefix="cskg-scale-") as scratch:
        for papers in sizes:
            corpus = Path(scratch) / f"corpus-{papers}"
            point = _build_point(root, corpus, papers, progress)
            dist = corpus / "dist"
            limits = {"rdflib": rdflib_max, "push": push_max, "oxigraph-memory": memory_max}
            engines = _scale_engines(point, dist, limits, use_virtuoso, progress)
            for engine, open_engine in engines.items():
                progress(f"{papers} papers: {engine}: open and load")
                store = open_engine()
                try:
                    progress(f"{papers} papers: queries on {engine}")
                    left_out = too_slow.setdefault(engine, {})
                    _time_engine(point, engine, store, library, runs, slow, left_out, progress)
                finally:
                    store.close()
                    del store
                    gc.collect()  # the engine's memory goes before the next one runs
            _time_commands(point, corpus, Path(scratch) / f"out-{papers}", publish_max, progress)
            points.append(point)
            shutil_rmtree(corpus)  # the next size needs the disk, not this corpus
            on_point(ScaleReport(list(points), runs, classes))
    return ScaleReport(points, runs, classes)


def scale_corpus(root: Path, out: Path, papers: int) -> None:
    """The corpus `cskg bench --scale` builds: `papers` synthetic papers (`cskg synth`, seed 0)
    and the project's own paper among them, so that the queries about the paper's entities
    (`# scale: entity-centred`) find them, however many papers there are."""
    import shutil

    from cskg.build.sources import source_files
    from cskg.lab.synth import synth

    synth(root, out, papers, seed=0)
    for path in source_files(root)[1]:
        target = out / "data" / path.relative_to(root / "data")
        if target.exists():
            raise CskgError(f"{path}: the project's data file has a synthetic paper's name")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def _build_point(
    root: Path, corpus: Path, papers: int, progress: Callable[[str], None]
) -> ScalePoint:
    """Synthesise a corpus of `papers` papers and build it: the point's build figures."""
    import json

    from cskg.build.sources import source_files

    progress(f"{papers} papers: synth")
    scale_corpus(root, corpus, papers)
    os.sync()  # the corpus on disk, so that writing it back does not slow the build
    progress(f"{papers} papers: build")
    command = [sys.executable, "-m", "cskg.cli", "--root", str(corpus), "build", "-q"]
    wall, peak, _ = _run_measured(command)
    built = json.loads((corpus / "dist" / "build.json").read_text(encoding="utf-8"))
    counts, steps = built["counts"], built["timings"]
    progress(f"{papers} papers: parse floor")
    ontology, data, _ = source_files(corpus)
    load = steps.get("load") or 0.0
    progress(f"{papers} papers: store floor")
    store_floor = _store_floor(corpus / "dist" / "cskg.nq", counts["triples"], corpus)
    return ScalePoint(
        papers=papers,
        triples=counts["triples"],
        steps={s: steps[s] for s in BUILD_STEPS if s in steps},
        wall=wall,
        peak_mb=peak,
        floor_rate=_parse_floor([ontology, *data]),
        load_rate=counts["asserted"] / load if load else 0.0,
        queries={},
        memory={s: float(mb) for s, mb in built.get("memory", {}).items() if s in BUILD_STEPS},
        store_floor_rate=store_floor,
    )


def _scale_engines(
    point: ScalePoint,
    dist: Path,
    limits: dict[str, int],
    use_virtuoso: bool,
    progress: Callable[[str], None],
) -> dict[str, Callable[[], Any]]:
    """How to open each engine run at this size (`cskg push` is timed here, as Virtuoso is
    there); what is not run goes in `point.skipped`. `limits` are the largest sizes at which
    rdflib's engine, the push and the store loaded into memory run (`--rdflib-max`,
    `--push-max`, `--memory-max`): the in-memory store holds the whole release in this
    process, which a corpus of 10,000 papers does not fit in on a 24 GB machine.

    Each engine is opened just before its queries and closed after them: an in-memory store or
    a Virtuoso finishing its load in the background slows the queries of whichever engine runs
    beside it (the store on disk by up to 1.9x)."""
    from cskg.lab import virtuoso
    from cskg.query.engines import EmbeddedStore, RdflibStore

    papers = point.papers
    engines: dict[str, Callable[[], Any]] = {"oxigraph": partial(EmbeddedStore, dist / "store")}
    optional = {
        "oxigraph-memory": (partial(_timed_load, point, dist), "--memory-max"),
        "rdflib": (partial(RdflibStore, dist / "cskg.nq"), "--rdflib-max"),
    }
    for engine, (open_engine, flag) in optional.items():
        if papers <= limits[engine]:
            engines[engine] = open_engine
        else:
            point.skipped[engine] = f"run up to {limits[engine]} papers ({flag})"
    if use_virtuoso and virtuoso.available():
        engines["virtuoso"] = partial(_VirtuosoStore, dist / "cskg.nq")
        if papers <= limits["push"]:
            progress(f"{papers} papers: push into Virtuoso")
            point.push = _measure_push(dist / "cskg.nq")
        else:
            point.skipped["push"] = f"run up to {limits['push']} papers (--push-max)"
    elif use_virtuoso:
        point.skipped["virtuoso"] = "virtuoso-t is not installed"
    return engines


def _time_engine(
    point: ScalePoint,
    engine: str,
    store: Any,
    library: list[LibraryQuery],
    runs: int,
    slow: float,
    left_out: dict[str, str],
    progress: Callable[[str], None],
) -> None:
    """Time each library query on one engine into `point`; a query over `slow` seconds (or
    failing) goes in `left_out`, not to be run at the larger sizes."""
    timings: dict[str, float] = {}
    late: dict[str, float] = {}
    for q in library:
        if q.name in left_out:
            continue
        run = partial(store.query, q.example_text)
        if engine == "rdflib":
            ox_time = point.queries["oxigraph"].get(q.name, RDFLIB_BUDGET_MAX)
            budget = min(max(RDFLIB_BUDGET_FACTOR * ox_time, RDFLIB_BUDGET_MIN), RDFLIB_BUDGET_MAX)
            value = _rdflib_median(run, runs, budget)
            if value is None:
                late[q.name] = budget
            else:
                timings[q.name] = value
            continue
        try:
            if engine == "oxigraph":  # cskg's path, and the engine floor beside it
                timings[q.name] = _against_floor(point, q.name, q.example_text, store, runs)
            else:
                timings[q.name] = _median_call(run, runs)
        except CskgError as error:  # an endpoint's timeout, mostly
            late[q.name] = getattr(store, "timeout", slow)
            left_out[q.name] = f"failed at {point.papers} papers: {error}"
            progress(f"{point.papers} papers: {q.name} on {engine}: {error}")
            continue
        if timings[q.name] > slow:
            left_out[q.name] = f"over {slow:g} s at {point.papers} papers"
    point.queries[engine] = timings
    point.over_budget[engine] = late
    point.left_out[engine] = dict(left_out)


def _against_floor(
    point: ScalePoint, name: str, text: str, store: EmbeddedStore, runs: int
) -> float:
    """Median seconds of a library query on cskg's path (`EmbeddedStore.query`, the answer as a
    `Result`); the median of raw pyoxigraph running the same text on the same store with the
    same dataset options (`raw_answer`) goes in `point.raw`, the answer's size in `point.rows`.
    The two are run in turn, so that both see the same state of the machine."""
    from cskg.query.engines import union_options

    ours = partial(store.query, text)
    floor = partial(raw_answer, store.store, text, **union_options(store.store))
    began = time.perf_counter()
    point.rows[name] = len(ours())  # the warm-up of both
    took = time.perf_counter() - began
    floor()
    # a query of a few milliseconds runs more times: its median of 3 would be the machine's noise
    mine, raw = [], []
    for _ in range(max(runs, min(FAST_RUNS, int(FAST_BUDGET / max(took, 1e-6))))):
        mine.append(_seconds(ours))
        raw.append(_seconds(floor))
    point.raw[name] = statistics.median(raw)
    return statistics.median(mine)


def _seconds(call: Callable[[], object]) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def raw_answer(store: pyoxigraph.Store, text: str, **options: Any) -> int:
    """pyoxigraph's own `Store.query` on `text` with the project's prefixes, every term of the
    answer read (the engine floor of `EmbeddedStore.query`); the number of terms read."""
    import pyoxigraph as ox

    from cskg.vocab import PREFIXES

    answer = store.query(text, prefixes=PREFIXES, **options)
    if isinstance(answer, ox.QueryBoolean):
        return int(bool(answer))
    if isinstance(answer, ox.QuerySolutions):
        return sum(len(tuple(solution)) for solution in answer)
    return sum(len((t.subject, t.predicate, t.object)) for t in answer)


def _time_commands(
    point: ScalePoint,
    corpus: Path,
    out: Path,
    publish_max: int,
    progress: Callable[[str], None],
) -> None:
    """Time each of `SCALE_COMMANDS` on the corpus's release (`point.commands`)."""
    cskg = [sys.executable, "-m", "cskg.cli", "--root", str(corpus), "--dist", str(corpus / "dist")]
    out.mkdir(parents=True, exist_ok=True)
    try:
        for name, arguments in SCALE_COMMANDS.items():
            if name == "publish" and point.papers > publish_max:
                point.skipped["publish"] = f"run up to {publish_max} papers (--publish-max)"
                continue
            progress(f"{point.papers} papers: cskg {name}")
            command = [*cskg, *(a.format(out=out) for a in arguments)]
            wall, peak, _ = _run_measured(command)
            point.commands[name] = (wall, peak)
    finally:
        shutil_rmtree(out)


def _timed_load(point: ScalePoint, dist: Path) -> Any:
    """The release in memory; the time it took to load goes in `point.memory_load`."""
    from cskg.query.engines import EmbeddedStore

    began = time.perf_counter()
    store = EmbeddedStore.in_memory(dist)
    point.memory_load = time.perf_counter() - began
    return store


def _measure_push(nquads: Path) -> PushFigures:
    """`cskg push` of the release into an empty Virtuoso, as a user would run it: the Graph
    Store Protocol with digest credentials, then the counts read back (they must agree)."""
    from cskg.lab import virtuoso
    from cskg.query.push import make_target, push

    with virtuoso.TempVirtuoso() as server:
        target = make_target(
            server.endpoint, profile="virtuoso", user="dba", password=virtuoso.DBA_PASSWORD
        )
        report = push(nquads, target, method="gsp")
    if not report.ok:
        raise RuntimeError(f"cskg push left {len(report.mismatches)} graphs with other counts")
    return PushFigures(report.graphs, report.triples, report.write_seconds, report.verify_seconds)


class _VirtuosoStore:
    """A throwaway Virtuoso holding the release, queried through `RemoteStore`; `close` stops
    the server."""

    def __init__(self, nquads: Path) -> None:
        from cskg.lab import virtuoso
        from cskg.query.remote import RemoteStore

        self.server = virtuoso.TempVirtuoso().start()
        try:
            self.server.load_nquads(nquads)
            self.remote = RemoteStore(self.server.endpoint)
        except BaseException:
            self.server.stop()
            raise
        self.timeout = self.remote.timeout

    def query(self, text: str) -> Any:
        return self.remote.query(text)

    def close(self) -> None:
        self.remote.close()
        self.server.stop()


def shutil_rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


#: the build's lines in both panels of `plot_scale`, each in its own colour (C0, C1, …)
_BUILD_SERIES = (*BUILD_STEPS, "build (process)")
#: the query engines' lines, in the colours after the build's
_PLOTTED_ENGINES = ("oxigraph", "oxigraph-memory", "rdflib", "virtuoso")


def plot_scale(report: ScaleReport, path: Path) -> None:
    """`scale_figure` as a PNG file (`PNG_MARK`: replacing a picture, nothing else)."""
    import io

    from cskg.outdir import write_file

    picture = io.BytesIO()
    scale_figure(report).savefig(picture, format="png")
    write_file(path, picture.getvalue(), (PNG_MARK,), "cskg bench --scale --out")


def scale_figure(report: ScaleReport) -> Figure:
    """Log-log plots of cost against corpus size: time on the left (each build step, the whole
    build, each query engine's median), peak memory on the right (each build step, the whole
    build, the other commands), a build step in the same colour in both."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(14, 7), dpi=120)
    time_axes, memory_axes = fig.subplots(1, 2)
    _time_panel(time_axes, report)
    _memory_panel(memory_axes, report)
    for axes in (time_axes, memory_axes):
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("synthetic papers (about 5,200 triples each)")
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)
    fig.suptitle("cskg: cost against corpus size")
    fig.tight_layout()
    return fig


def _build_label(step: str) -> str:
    return step if step == "build (process)" else f"build: {step}"


def _time_panel(axes: Axes, report: ScaleReport) -> None:
    """Seconds of each build step and of the whole build, and each engine's query median."""
    papers = [p.papers for p in report.points]
    for colour, step in enumerate(_BUILD_SERIES):
        values = [  # NaN where a step was not measured: a gap in the line
            p.wall if step == "build (process)" else p.steps.get(step, math.nan)
            for p in report.points
        ]
        style = "-" if step == "build (process)" else "--"
        axes.plot(papers, values, style, color=f"C{colour}", marker="o", label=_build_label(step))
    for colour, engine in enumerate(_PLOTTED_ENGINES, start=len(_BUILD_SERIES)):
        ran = [p for p in report.points if p.queries.get(engine)]
        medians = [statistics.median(p.queries[engine].values()) for p in ran]
        late = any(p.over_budget.get(engine) for p in report.points)
        label = f"query median: {engine}" + (" (of the queries done in budget)" if late else "")
        if ran:
            axes.plot(
                [p.papers for p in ran],
                medians,
                ":",
                color=f"C{colour}",
                marker="s",
                linewidth=2,
                label=label,
            )
    if len(papers) > 1 and report.points[0].wall:
        first = report.points[0]
        linear = [first.wall * n / first.papers for n in papers]
        axes.plot(papers, linear, color="grey", linewidth=0.8, label="linear from the first")
    axes.set_ylabel("seconds")
    axes.set_title("time")


def _memory_panel(axes: Axes, report: ScaleReport) -> None:
    """Peak MB of each build step (reason and validate share one window: one line), of the
    whole build and of each other command, with the peak target."""
    papers = [p.papers for p in report.points]
    for colour, step in enumerate(_BUILD_SERIES):
        if step == "validate":
            continue  # the same figure as reason's
        values = [
            p.peak_mb if step == "build (process)" else p.memory.get(step, math.nan)
            for p in report.points
        ]
        if all(math.isnan(v) for v in values):
            continue  # a build that did not record its steps' memory
        label = _build_label("reason + validate" if step == "reason" else step)
        style = "-" if step == "build (process)" else "--"
        axes.plot(papers, values, style, color=f"C{colour}", marker="o", label=label)
    for marker, name in zip("^vD", SCALE_COMMANDS, strict=False):
        values = [p.commands[name][1] if name in p.commands else math.nan for p in report.points]
        if not all(math.isnan(v) for v in values):
            axes.plot(papers, values, ":", color="0.35", marker=marker, label=f"cskg {name}")
    axes.axhline(
        TARGET_PEAK_MB,
        color="grey",
        linewidth=0.8,
        label=f"target: build peak at {TARGET_PEAK_AT:,} papers, {_mb(TARGET_PEAK_MB)}",
    )
    axes.set_ylabel("peak resident memory (MB)")
    axes.set_title("memory")


# -- pages and search over HTTP: the 50 ms budget ---------------------------------------------

#: the median a kind of page (and a search) must keep, on the paper's release
PAGE_BUDGET = 0.05
#: what `cskg bench --pages` searches for: a Chinese name and part of it, an alias, the paper's
#: misspelling, two misspelt words, a common word, two words of the paper's sentences
SEARCHES = (
    "工业和信息化部",
    "信息化部",
    "miit",
    "Loongsun",
    "Minstry of Industry",
    "security",
    "autonomously controllable",
)
#: distinct resource pages and instance lists fetched (each once: the server keeps a page it
#: made, and a page asked again is not rendered again)
PAGE_SAMPLE = 60
#: the kinds of request, in the report's order
PAGE_KINDS = ("home", "resource", "instances", "search", "not found")


@dataclass
class PageTimings:
    """One release's pages over HTTP (seconds of each request, by kind), and its search index."""

    label: str
    triples: int
    times: dict[str, list[float]]
    index_seconds: float  # building the search index, labels and evidence read included
    index_size: dict[str, int]  # `SearchIndex.size()`, its memory and the static file's bytes


@dataclass
class PagesReport:
    points: list[PageTimings]
    runs: int

    def to_markdown(self) -> str:
        lines = [
            "`cskg serve` on loopback, one keep-alive connection, `Accept: text/html`: the home "
            f"page ({self.runs * 4} requests), {PAGE_SAMPLE} distinct resource pages and up to "
            f"{PAGE_SAMPLE} distinct instance lists (each once: the server keeps a document it "
            f"made), the results page of {len(SEARCHES)} searches ({self.runs} each: "
            + ", ".join(f"“{s}”" for s in SEARCHES)
            + "), and the 404 of a misspelt IRI with its suggestions. Budget: a median of "
            f"{_ms(PAGE_BUDGET)} per kind.",
            "",
            "| release | triples | request | n | median | p95 | max | median within budget |",
            "|---|---:|---|---:|---:|---:|---:|---|",
        ]
        for p in self.points:
            for kind in PAGE_KINDS:
                values = p.times.get(kind) or []
                if values:
                    median, p95 = statistics.median(values), _p95(values)
                    cells = [p.label, f"{p.triples:,}", kind, str(len(values))]
                    cells += [_ms(median), _ms(p95), _ms(max(values))]
                    cells.append("yes" if median <= PAGE_BUDGET else "NO")
                    lines.append("| " + " | ".join(cells) + " |")
        lines += ["", "The search index (`cskg.search`), built in the server's process:", ""]
        lines += ["| release | build | entities | values | postings | memory | static file |"]
        lines += ["|---|---:|---:|---:|---:|---:|---:|"]
        for p in self.points:
            size = p.index_size
            lines.append(
                f"| {p.label} | {_ms(p.index_seconds)} | {size['entities']:,} | "
                f"{size['values']:,} | {size['postings']:,} | {size['memory'] / 1e6:,.1f} MB | "
                f"{size['file'] / 1e6:,.2f} MB |"
            )
        return "\n".join(lines) + "\n"


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def _get(connection: http.client.HTTPConnection, path: str) -> tuple[int, bytes, float]:
    began = time.perf_counter()
    connection.request("GET", path, headers={"Accept": "text/html"})
    response = connection.getresponse()
    body = response.read()
    return response.status, body, time.perf_counter() - began


def _index_figures(dist: Path) -> tuple[float, dict[str, int]]:
    """Seconds to build the release's search index, and its size (`PageTimings.index_size`)."""
    import json
    import tracemalloc

    from cskg.release import Release
    from cskg.search import SearchIndex
    from cskg.web.pages import SEARCH_FILE, Linker

    with Release.open(dist) as release:
        began = time.perf_counter()
        index = SearchIndex.build(release)
        seconds = time.perf_counter() - began
        href = Linker("https://data.example.org/cskg", static_from=SEARCH_FILE).resource
        data = index.as_json(release, href, ("en", "zh"))
        size = dict(index.size(), file=len(json.dumps(data, ensure_ascii=False).encode()))
    del index
    with Release.open(dist) as release:  # again, counting its memory (which slows it)
        release.label_statements, release.evidence, release.superclasses  # noqa: B018
        tracemalloc.start()
        kept = SearchIndex.build(release)
        size["memory"] = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del kept
    return seconds, size


def _time_pages(dist: Path, runs: int, progress: Callable[[str], None]) -> dict[str, list[float]]:
    """Latency of each kind of page (`PAGE_KINDS`) of `cskg serve` on `dist`."""
    import re

    from cskg.release import Release
    from cskg.search import index_of

    with Release.open(dist) as release:
        named = [e.iri for e in index_of(release).entities if "/id/" in e.iri]
    step = max(1, len(named) // PAGE_SAMPLE)
    resources = ["/" + iri.split("/cskg/", 1)[1] + ".html" for iri in named[::step]]
    times: dict[str, list[float]] = {kind: [] for kind in PAGE_KINDS}
    with serving(dist) as endpoint:
        connection, _ = _connection(endpoint)
        try:
            _, home, _ = _get(connection, "/")
            lists = sorted(set(re.findall(r'href="[^"]*?(/instances/[^"#?]+)"', home.decode())))
            _get(connection, "/search?q=warm")
            requests = [("home", "/")] * (runs * 4)
            requests += [("resource", path) for path in resources[:PAGE_SAMPLE]]
            requests += [("instances", path) for path in lists[:PAGE_SAMPLE]]
            requests += [
                ("search", "/search?" + urllib.parse.urlencode({"q": text}))
                for text in SEARCHES
                for _ in range(runs)
            ]
            requests += [
                ("not found", p.rsplit("/", 1)[0] + "/x" + p.rsplit("/", 1)[1][:-6])
                for p in resources[: runs * 2]
            ]
            for kind, path in requests:
                status, _, seconds = _get(connection, path)
                if status != (404 if kind == "not found" else 200):
                    raise RuntimeError(f"{path}: {status}")
                times[kind].append(seconds)
            progress(f"pages: {len(requests)} requests")
        finally:
            connection.close()
    return times


def run_pages(
    root: Path,
    *,
    papers: int = 100,
    runs: int = 5,
    progress: Callable[[str], None] = lambda message: None,
) -> PagesReport:
    """Pages and search of `cskg serve` on the paper's release and on a synthetic corpus of
    `papers` papers (`cskg synth`, seed 0), each built afresh."""
    import json

    from cskg.lab.synth import synth

    points: list[PageTimings] = []
    with tempfile.TemporaryDirectory(prefix="cskg-pages-") as scratch:
        corpora = [("the paper", root)]
        if papers:
            progress(f"pages: synth {papers} papers")
            synth(root, Path(scratch) / "corpus", papers, seed=0)
            corpora.append((f"{papers} papers", Path(scratch) / "corpus"))
        for label, project in corpora:
            dist = Path(scratch) / f"dist-{len(points)}"
            progress(f"pages: build {label}")
            command = [sys.executable, "-m", "cskg.cli", "--root", str(project), "build", "-q"]
            _run_measured([*command, "--out", str(dist)])
            triples = json.loads((dist / "build.json").read_text(encoding="utf-8"))["counts"]
            progress(f"pages: {label}: search index")
            seconds, size = _index_figures(dist)
            progress(f"pages: {label}: requests")
            times = _time_pages(dist, runs, progress)
            points.append(PageTimings(label, triples["triples"], times, seconds, size))
    return PagesReport(points, runs)
