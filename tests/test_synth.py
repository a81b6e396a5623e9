"""`cskg synth`: the synthetic corpus conforms, is deterministic and grows linearly."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from cskg.build import build, partition
from cskg.cli import main
from cskg.sources import load_sources
from cskg.synth import synth
from cskg.validate import validate_release

ROOT = Path(__file__).resolve().parents[1]
CSKG = "https://w3id.org/cskg/ontology#"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "data").glob("*.trig"))}


@pytest.fixture(scope="module")
def corpus10(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "corpus"
    synth(ROOT, out, 10, seed=3)
    return out


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
    assert len(partition(load_sources(ROOT).quads)) == 1
    parts = partition(load_sources(corpus10).quads)
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


def test_size_is_linear(tmp_path: Path) -> None:
    sizes = {}
    for n in (1, 2, 4, 8):
        out = tmp_path / str(n)
        synth(ROOT, out, n, seed=0)
        sizes[n] = len(set(load_sources(out).quads))  # reloaded and deduplicated
    ontology = len(
        [q for q in load_sources(tmp_path / "1").quads if "graph/ontology" in str(q.graph_name)]
    )
    per_paper = sizes[1] - ontology
    for n, size in sizes.items():
        assert abs((size - ontology) / (per_paper * n) - 1) < 0.03, (n, size)


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


def test_bench_scale_one(tmp_path: Path) -> None:
    from cskg.bench import run_scale
    from cskg.queries import load_library

    report = run_scale(ROOT, [1], runs=1, use_virtuoso=False)
    (point,) = report.points
    assert point.papers == 1 and point.triples > 4000
    assert all(point.steps[s] > 0 for s in ("load", "reason", "validate", "write", "store"))
    assert point.peak_mb > 10 and point.floor_rate > 0 and point.load_rate > 0
    names = {q.name for q in load_library(ROOT / "queries")}
    assert set(point.queries["oxigraph"]) == names == set(point.queries["rdflib"])
    assert all(v > 0 for v in point.queries["oxigraph"].values())
    text = report.to_markdown()
    for name in names:
        assert re.search(rf"^\| {re.escape(name)} \| [0-9.]+ m?s \|", text, flags=re.M), name
