"""`cskg bench`: measure the build and the query library, engines side by side, in one run.

Whole-process figures run the installed `cskg` command the way a user does (subprocess, wall
clock, median of several runs). Per-query figures are medians after the store is open, for the
embedded pyoxigraph store, rdflib's own SPARQL engine on the same release, and Virtuoso with the
same quads when `virtuoso-t` is installed. The result is a Markdown report with ratios.
"""

from __future__ import annotations

import http.client
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def _post(connection: http.client.HTTPConnection, path: str, query: str) -> int:
    import urllib.parse

    body = urllib.parse.urlencode({"query": query}).encode("utf-8")
    connection.request(
        "POST",
        path,
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/sparql-results+json, application/n-triples;q=0.9",
        },
    )
    response = connection.getresponse()
    response.read()
    return response.status


def _connection(endpoint: str) -> tuple[http.client.HTTPConnection, str]:
    import urllib.parse

    parts = urllib.parse.urlsplit(endpoint)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=60), parts.path


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
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "cskg.cli", "--dist", str(dist), "serve"]
    command += ["--port", str(port), *options]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}/sparql"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                with urllib.request.urlopen(endpoint, timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("cskg serve did not start") from None
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
                median = _latency(endpoint, query.text, runs * 4)
                if median is not None:
                    latency[query.name][name] = median
            progress(f"/sparql {name}: throughput, {clients} clients")
            texts = [q.text for q in library if name in latency[q.name]]
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
