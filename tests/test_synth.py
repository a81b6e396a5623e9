"""`cskg synth`: the synthetic corpus conforms, is deterministic and grows linearly."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from cskg.build.partition import split_parts
from cskg.build.pipeline import build, validate_release
from cskg.build.sources import load_sources
from cskg.cli import main
from cskg.errors import CskgError
from cskg.lab.bench import ScaleReport
from cskg.lab.synth import synth

ROOT = Path(__file__).resolve().parents[1]
CSKG = "https://w3id.org/cskg/ontology#"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "data").glob("*.trig"))}


@pytest.fixture(scope="module")
def corpus10(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "corpus"
    synth(ROOT, out, 10, seed=3)
    return out


@pytest.mark.slow
def test_ten_papers_conform_and_build(corpus10: Path, tmp_path: Path) -> None:
    result = build(corpus10, tmp_path / "dist")
    assert result.conforms, result.report.to_text()
    assert result.written
    assert result.counts["asserted"] > 10 * 3700
    # `cskg validate` checks the release paper by paper too
    assert validate_release(tmp_path / "dist").conforms
    # ten papers of the template's size, no collisions between papers
    data = [q for q in load_sources(corpus10).quads if "graph/ontology" not in str(q.graph_name)]
    subjects = {q.subject.value for q in data if isinstance(q.subject, ox.NamedNode)}
    tags = {re.search(r"/(p\d{4})-", s).group(1) for s in subjects if re.search(r"/p\d{4}-", s)}
    assert tags == {f"p{i:04d}" for i in range(1, 11)}


def test_parts_are_papers(corpus10: Path) -> None:
    """Reasoning and validation run per part: one per paper here, the whole real project."""
    assert len(list(split_parts(load_sources(ROOT).quads))) == 1
    parts = list(split_parts(load_sources(corpus10).quads))
    tags = []
    for part in parts:
        found = {
            m.group(1)
            for q in part
            for term in (q.subject, q.object)
            if (m := re.search(r"/(p\d{4})-", str(term)))
        }
        assert len(found) == 1, found
        tags.extend(found)
    assert sorted(tags) == [f"p{i:04d}" for i in range(1, 11)]


def test_tables_are_consistent(corpus10: Path) -> None:
    quads = load_sources(corpus10).quads
    cells: dict[object, dict[str, object]] = {}
    for q in quads:
        cells.setdefault(q.subject, {})[q.predicate.value] = q.object
    rows: dict[tuple, Decimal] = {}
    for c in cells.values():
        if c.get("http://purl.org/linked-data/cube#measureType") is None:
            continue
        measure = c["http://purl.org/linked-data/cube#measureType"].value
        printed = c[CSKG + "printedValue"].value
        assert Decimal(c[measure].value) == Decimal(printed)
        if measure == CSKG + "productShare":
            key = (
                c["http://purl.org/linked-data/cube#dataSet"],
                c[CSKG + "refYear"],
                c[CSKG + "refArea"],
            )
            rows[key] = rows.get(key, Decimal(0)) + Decimal(printed)
    assert rows and set(rows.values()) == {Decimal("100.0")}


def test_deterministic(tmp_path: Path) -> None:
    synth(ROOT, tmp_path / "a", 2, seed=5)
    synth(ROOT, tmp_path / "b", 2, seed=5)
    synth(ROOT, tmp_path / "c", 2, seed=6)
    a, b, c = _files(tmp_path / "a"), _files(tmp_path / "b"), _files(tmp_path / "c")
    assert a == b
    assert a.keys() == c.keys() and all(a[k] != c[k] for k in a)


def test_a_corpus_replaces_only_a_corpus(tmp_path: Path) -> None:
    # a folder of the user's with the corpus's own names is left whole, and nothing is written
    mine = tmp_path / "mine"
    (mine / "ontology").mkdir(parents=True)
    (mine / "ontology" / "my-ontology.ttl").write_text("# mine\n", encoding="utf-8")
    (mine / "notes.txt").write_text("keep me\n", encoding="utf-8")
    with pytest.raises(CskgError, match="holds files cskg did not write"):
        synth(ROOT, mine, 1)
    assert sorted(p.name for p in mine.rglob("*")) == ["my-ontology.ttl", "notes.txt", "ontology"]
    # a corpus cskg wrote is replaced whole: 3 papers, then 1
    out = tmp_path / "corpus"
    synth(ROOT, out, 3)
    synth(ROOT, out, 1)
    assert sorted(_files(out)) == ["paper-0001.trig"]
    assert not list(tmp_path.glob(".corpus*"))  # no staging folder left beside it


def test_size_is_linear(tmp_path: Path) -> None:
    sizes = {}
    for n in (1, 2, 4, 8):
        out = tmp_path / str(n)
        synth(ROOT, out, n, seed=0)
        sizes[n] = len(set(load_sources(out).quads))  # reloaded and deduplicated
    # affine, not proportional: the ontology and the names shared by every paper (a sector, an
    # agency's Chinese name) are counted once however many papers hold them
    ontology = len(
        [q for q in load_sources(tmp_path / "1").quads if "graph/ontology" in str(q.graph_name)]
    )
    per_paper = sizes[2] - sizes[1]
    assert per_paper > 0.8 * (sizes[1] - ontology)  # most of a paper is the paper's own
    for n in (4, 8):
        assert abs((sizes[n] - sizes[1]) / (per_paper * (n - 1)) - 1) < 0.03, (n, sizes)


def test_cli_in_process_and_subprocess(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "--root",
                str(ROOT),
                "synth",
                "--papers",
                "2",
                "--seed",
                "1",
                "--out",
                str(tmp_path / "x"),
            ]
        )
        == 0
    )
    assert "2 synthetic papers" in capsys.readouterr().err
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cskg.cli",
            "--root",
            str(ROOT),
            "synth",
            "--papers",
            "2",
            "--seed",
            "1",
            "--out",
            str(tmp_path / "y"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert _files(tmp_path / "x") == _files(tmp_path / "y")
    assert main(["--root", str(ROOT), "synth", "--papers", "0", "--out", str(tmp_path / "z")]) == 2


@pytest.fixture(scope="module")
def bench_everything() -> ScaleReport:
    """`cskg bench --scale 1` with every engine and command: rdflib, the store loaded into
    memory, `cskg push` into a fresh Virtuoso where it is installed, export, analyze, publish."""
    from cskg.lab.bench import run_scale

    return run_scale(ROOT, [1], runs=1)


@pytest.fixture(scope="module")
def bench_least() -> ScaleReport:
    """The same with every optional part left out by its limit."""
    from cskg.lab.bench import run_scale

    return run_scale(ROOT, [1], runs=1, rdflib_max=0, publish_max=0, push_max=0, memory_max=0)


@pytest.mark.slow
def test_bench_scale_one(bench_everything: ScaleReport) -> None:
    from cskg.lab.bench import _ms
    from cskg.query.library import load_library

    (point,) = bench_everything.points
    assert point.papers == 1 and point.triples > 4000
    assert all(point.steps[s] > 0 for s in ("load", "reason", "validate", "write", "store"))
    assert point.peak_mb > 10 and point.floor_rate > 0 and point.load_rate > 0
    assert point.store_floor_rate > 0 and point.store_rate > 0  # the raw loader ran too
    names = {q.name for q in load_library(ROOT / "queries")}
    assert set(point.queries["oxigraph"]) == names
    assert set(point.queries["oxigraph-memory"]) == names and point.memory_load > 0
    # rdflib answered each query or was stopped at its budget; never both, never neither
    finished, stopped = set(point.queries["rdflib"]), set(point.over_budget["rdflib"])
    assert finished | stopped == names and not finished & stopped
    assert all(v > 0 for v in point.queries["oxigraph"].values())
    text = bench_everything.to_markdown()
    for name in names:
        # the time on disk, then rdflib's ratio and the in-memory store's ratio to it (and
        # Virtuoso's, where it ran)
        row = rf"^\| {re.escape(name)} \| [0-9.]+ m?s \| >? ?[0-9.]+x \| [0-9.]+x \|( [^|]+ \|)?$"
        assert re.search(row, text, flags=re.M), name
    assert "1 papers, oxigraph-memory: median over the library" in text
    # the other commands, each timed on the same release
    assert set(point.commands) == {"export", "analyze", "publish"}
    commands = text.split("| papers | export | analyze | publish |")[1]
    cells = re.search(r"^\| 1 \| ([^|]*) \| ([^|]*) \| ([^|]*) \|$", commands, flags=re.M)
    assert cells is not None
    for cell, name in zip(cells.groups(), ("export", "analyze", "publish"), strict=True):
        wall, peak = point.commands[name]
        assert wall > 0 and peak > 10
        assert cell == f"{_ms(wall)}, {peak:,.0f} MB"


@pytest.mark.slow
def test_bench_scale_leaves_out_what_is_beyond_its_limits(bench_least: ScaleReport) -> None:
    from cskg.lab import virtuoso

    (point,) = bench_least.points
    assert set(point.commands) == {"export", "analyze"}
    assert point.skipped["publish"] == "run up to 0 papers (--publish-max)"
    text = bench_least.to_markdown()
    assert re.search(
        r"^\| 1 \| [0-9.]+ m?s, [0-9,]+ MB \| [0-9.]+ m?s, [0-9,]+ MB \| not run \|$",
        text,
        flags=re.M,
    )
    assert "- 1 papers, publish: not run (run up to 0 papers (--publish-max))" in text
    assert point.skipped["oxigraph-memory"] == "run up to 0 papers (--memory-max)"
    assert "oxigraph-memory" not in point.queries and point.memory_load == 0.0
    assert "rdflib" not in point.queries
    assert point.push is None
    if virtuoso.available():
        assert point.skipped["push"] == "run up to 0 papers (--push-max)"


@pytest.mark.virtuoso
def test_bench_scale_pushes_into_virtuoso_and_queries_it(bench_everything: ScaleReport) -> None:
    """At 1 paper the scale benchmark pushes the release into a fresh Virtuoso (every triple,
    counts verified) and queries another loaded by Virtuoso's bulk loader."""
    from cskg.lab import virtuoso
    from cskg.query.library import load_library

    if not virtuoso.available():
        pytest.skip("virtuoso-t / isql-vt not on PATH (Debian: virtuoso-opensource-7-bin)")
    (point,) = bench_everything.points
    assert point.push is not None and point.push.triples == point.triples
    assert point.push.write > 0 and point.push.verify > 0
    names = {q.name for q in load_library(ROOT / "queries")}
    assert set(point.queries["virtuoso"]) | set(point.over_budget["virtuoso"]) == names
    text = bench_everything.to_markdown()
    line = re.search(
        r"^- 1 papers, `cskg push` into Virtuoso: ([0-9,]+) graphs, ([0-9,]+) "
        r"triples written in .* counts verified in",
        text,
        flags=re.M,
    )
    assert line and int(line[2].replace(",", "")) == point.triples
    assert int(line[1].replace(",", "")) == point.push.graphs > 100


def test_rdflib_budget_stops_a_python_call() -> None:
    from cskg.lab.bench import _within

    def forever() -> None:
        while True:
            pass

    assert _within(forever, 0.2) is None
    took = _within(lambda: sum(range(1000)), 5.0)
    assert took is not None and took < 5.0


def test_scale_targets_are_checked_from_the_figures() -> None:
    from cskg.lab.bench import ScalePoint, ScaleReport

    def point(
        papers: int, wall: float, ox: dict, memory: dict, rdflib: dict, late: dict
    ) -> ScalePoint:
        return ScalePoint(
            papers=papers,
            triples=5000 * papers,
            steps={"load": 1.0},
            wall=wall,
            peak_mb=100.0,
            floor_rate=1_000_000.0,
            load_rate=600_000.0 if papers < 1000 else 400_000.0,
            queries={"oxigraph": ox, "oxigraph-memory": memory, "rdflib": rdflib},
            over_budget={"rdflib": late},
        )

    report = ScaleReport(
        [
            point(
                100, 20.0, {"a": 0.01, "b": 0.02}, {"a": 0.02, "b": 0.01}, {"a": 0.5}, {"b": 2.0}
            ),
            point(1000, 250.0, {"a": 0.05, "b": 0.3}, {"a": 0.04, "b": 0.08}, {}, {}),
        ],
        runs=3,
    )
    lines = report.targets()
    text = "\n".join(lines)
    # a: 50x; b: stopped at 2 s, so more than 100x: the smallest ratio is a's
    assert (
        "- met: every library query at least 20x faster than rdflib's engine at 100 papers "
        "(smallest: a, 50.0x)" in lines
    )
    # one latency for every query is no target (the query classes' targets replace it)
    assert not [line for line in lines if "under 100.0 ms" in line]
    assert "- met: load at 0.60 of the raw parse floor at 100 papers (target 0.5)" in lines
    assert "- NOT met: load at 0.40 of the raw parse floor at 1000 papers (target 0.5)" in lines
    assert "- met: full build of 1000 papers in 250.00 s (target 300.00 s)" in lines
    # 12.5x the time for 10x the triples: worse than linear
    assert "- NOT met: build cost 100 → 1000 papers grew 12.5x for 10.0x the triples" in lines
    # the same targets for the store in memory: a is 25x there, b more than 200x
    assert (
        "- met: every library query at least 20x faster than rdflib's engine at 100 papers, "
        "the store in memory (smallest: a, 25.0x)" in lines
    )
    assert report.points[0].ratio_cell("rdflib", "b") == "> 100x"
    assert report.points[0].ratio_cell("rdflib", "a") == "50x"
    # columns: on disk at 100 and 1000, rdflib / disk at 100, memory / disk at 1000
    assert "| b | 20.0 ms | 300.0 ms | > 100x | 0.3x |" in report.to_markdown(), text


def test_a_child_peak_memory_is_its_own_not_the_benchmarks() -> None:
    """A child forked straight from a large process reports that process's resident size as its
    own peak; the benchmark's commands run under a small spawner and report theirs."""
    import sys

    from cskg.lab.bench import _run_measured

    held = bytearray(600_000_000)
    held[::4096] = b"\x01" * len(held[::4096])  # resident, not only reserved
    wall, peak, code = _run_measured([sys.executable, "-c", "x = bytearray(60_000_000)"])
    assert code == 0 and wall > 0
    assert 60 < peak < 200, peak  # 60 MB of its own and Python, far from the 600 MB held here
    del held
    with pytest.raises(RuntimeError, match="boom"):
        _run_measured([sys.executable, "-c", "import sys; sys.exit('boom')"])
