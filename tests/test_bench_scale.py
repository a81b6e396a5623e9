"""`cskg bench --scale`: the build's time and peak memory per step, the memory targets, and the
plot of time and memory against corpus size."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest

from cskg.lab.bench import (
    BUILD_STEPS,
    TARGET_PEAK_MB,
    ScalePoint,
    ScaleReport,
    _build_point,
    _mb,
    _ms,
    plot_scale,
    scale_figure,
)

ROOT = Path(__file__).resolve().parents[1]


def _point(papers: int, wall: float, peak_mb: float, memory: dict[str, float]) -> ScalePoint:
    return ScalePoint(
        papers=papers,
        triples=5000 * papers,
        steps={step: wall / (n + 2) for n, step in enumerate(BUILD_STEPS)},
        wall=wall,
        peak_mb=peak_mb,
        floor_rate=1_000_000.0,
        load_rate=500_000.0,
        queries={"oxigraph": {"a": 0.001 * papers}},
        memory=memory,
        commands={"export": (0.1 * papers, 50.0 + papers)},
    )


def _steps_memory(load: float, check: float, write: float, store: float) -> dict[str, float]:
    """Each step's peak MB, reason and validate sharing one window as the build records them."""
    return {"load": load, "reason": check, "validate": check, "write": write, "store": store}


def _build_row(text: str, papers: int) -> list[str]:
    row = re.search(rf"^\| {papers} \| [0-9,]+ \| (.*) \|$", text, flags=re.M)
    assert row is not None, text
    return row[1].split(" | ")


def test_the_build_table_gives_each_steps_time_and_memory() -> None:
    unrecorded = _point(1, 0.5, 120.0, {})
    recorded = _point(10, 2.6, 130.0, _steps_memory(100.4, 300.0, 150.0, 2_200.0))
    text = ScaleReport([unrecorded, recorded], runs=1).to_markdown()
    for point in (unrecorded, recorded):
        cells = _build_row(text, point.papers)
        for cell, step in zip(cells, BUILD_STEPS, strict=False):
            memory = point.memory.get(step)
            assert cell == f"{_ms(point.steps[step])}, " + ("—" if memory is None else _mb(memory))
        assert cells[len(BUILD_STEPS) : len(BUILD_STEPS) + 2] == [
            _ms(point.wall),
            _mb(point.peak_mb),
        ]
    assert _build_row(text, 10)[:5] == [
        "1.30 s, 100 MB",
        "866.7 ms, 300 MB",
        "650.0 ms, 300 MB",
        "520.0 ms, 150 MB",
        "433.3 ms, 2,200 MB",
    ]
    # the build's peak is the larger of the largest process and the largest step's sum
    assert unrecorded.build_peak_mb == 120.0 and recorded.build_peak_mb == 2_200.0


def test_the_build_table_sets_the_store_step_against_the_raw_loader() -> None:
    """The store step's rate (quads of the N-Quads a second) beside pyoxigraph's own bulk
    loader's on the same file, and their ratio; a dash where the loader was not measured."""
    unmeasured = _point(1, 0.5, 120.0, {})
    measured = _point(1000, 300.0, 900.0, {})
    measured.steps["store"], measured.store_floor_rate = 50.0, 40_000.0
    text = ScaleReport([unmeasured, measured], runs=1).to_markdown()
    assert "| raw store loader | store rate | store / loader |" in text
    # 5,000,000 quads in 50 s: 100 k/s, 2.5 times the loader's 40 k/s
    assert measured.store_rate == 100_000.0
    assert _build_row(text, 1000)[-3:] == ["40 k/s", "100 k/s", "2.50"]
    rate = f"{unmeasured.triples / unmeasured.steps['store'] / 1000:,.0f} k/s"
    assert _build_row(text, 1)[-3:] == ["—", rate, "—"]


def test_memory_and_time_targets_from_the_figures() -> None:
    """The peak at 1,000 papers against 2 GB; from 1,000 to 10,000 papers the peak within 1.2x
    and the time within 11x; each only when its sizes were measured."""
    thousand = _point(1000, 190.0, 1_900.0, _steps_memory(500.0, 2_100.0, 700.0, 900.0))
    ten_thousand = _point(10_000, 2_200.0, 2_400.0, _steps_memory(600.0, 1_500.0, 800.0, 1_000.0))
    lines = ScaleReport([thousand, ten_thousand], runs=1).targets()
    memory = [line for line in lines if "peak build memory" in line or "build time" in line]
    assert memory == [
        # the steps' 2,100 MB, not the largest process's 1,900 MB
        "- NOT met: peak build memory at 1000 papers 2,100 MB (target 2,000 MB)",
        "- met: peak build memory 1000 → 10000 papers grew 1.14x (2,100 MB → 2,400 MB; "
        "target 1.2x)",
        "- NOT met: build time 1000 → 10000 papers grew 11.6x (190.00 s → 2200.00 s; target 11x)",
    ]
    within = _point(1000, 190.0, 1_500.0, {})
    lines = ScaleReport([within], runs=1).targets()
    assert "- met: peak build memory at 1000 papers 1,500 MB (target 2,000 MB)" in lines
    assert not [line for line in lines if "grew" in line]  # no 10,000 papers: no growth
    lines = ScaleReport([_point(100, 20.0, 700.0, {}), ten_thousand], runs=1).targets()
    assert not [line for line in lines if "peak build memory" in line or "build time" in line]


def test_the_plot_has_a_time_and_a_memory_panel(tmp_path: Path) -> None:
    points = [
        _point(1, 0.5, 120.0, {}),
        _point(10, 2.6, 130.0, _steps_memory(100.0, 300.0, 150.0, 200.0)),
        _point(100, 20.0, 700.0, _steps_memory(400.0, 900.0, 500.0, 600.0)),
    ]
    report = ScaleReport(points, runs=1)
    time_axes, memory_axes = scale_figure(report).axes
    assert (time_axes.get_title(), memory_axes.get_title()) == ("time", "memory")
    for axes in (time_axes, memory_axes):
        assert axes.get_xscale() == axes.get_yscale() == "log"
    times = {line.get_label(): list(line.get_ydata()) for line in time_axes.get_lines()}
    assert times["build (process)"] == [0.5, 2.6, 20.0]
    assert times["build: validate"] == [p.steps["validate"] for p in points]
    memory = {line.get_label(): line for line in memory_axes.get_lines()}
    assert list(memory["build (process)"].get_ydata()) == [120.0, 130.0, 700.0]
    check = list(memory["build: reason + validate"].get_ydata())
    assert check[1:] == [300.0, 900.0] and check[0] != check[0]  # NaN: not recorded, a gap
    assert "build: validate" not in memory  # one window: one line
    assert list(memory["cskg export"].get_ydata()) == [51.0, 60.0, 150.0]
    (target,) = [label for label in memory if label.startswith("target")]
    assert list(memory[target].get_ydata()) == [TARGET_PEAK_MB, TARGET_PEAK_MB]
    # the same step, the same colour in both panels
    colours = {line.get_label(): line.get_color() for line in time_axes.get_lines()}
    for step in ("load", "store"):
        assert memory[f"build: {step}"].get_color() == colours[f"build: {step}"]

    plot_scale(report, tmp_path / "scale.png")
    head = (tmp_path / "scale.png").read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    assert (width, height) == (1680, 840)  # two panels side by side, 14 x 7 inches at 120 dpi


@pytest.fixture(scope="module")
def built_point(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScalePoint, dict]:
    """A real point: one synthetic paper (and the project's) built by `cskg build` in a child
    process, and its build.json."""
    corpus = tmp_path_factory.mktemp("bench-scale") / "corpus"
    point = _build_point(ROOT, corpus, 1, lambda message: None)
    return point, json.loads((corpus / "dist" / "build.json").read_text(encoding="utf-8"))


def test_a_real_builds_steps_in_the_report(built_point: tuple[ScalePoint, dict]) -> None:
    """The report's build row: each step's time and the memory build.json records for it (—
    for a step it does not record)."""
    point, built = built_point
    assert point.memory == {s: float(mb) for s, mb in built.get("memory", {}).items()}
    assert point.steps == {s: built["timings"][s] for s in BUILD_STEPS}
    cells = _build_row(ScaleReport([point], runs=1).to_markdown(), 1)
    assert cells[: len(BUILD_STEPS)] == [
        f"{_ms(point.steps[s])}, " + (_mb(point.memory[s]) if s in point.memory else "—")
        for s in BUILD_STEPS
    ]
    assert cells[len(BUILD_STEPS) + 1] == _mb(point.peak_mb) and point.peak_mb > 30


def test_a_real_build_records_each_steps_memory(built_point: tuple[ScalePoint, dict]) -> None:
    """The build records the peak of each step in build.json (MB), reason and validate sharing
    one window."""
    from cskg.build.pipeline import BuildResult

    if "memory" not in BuildResult.__dataclass_fields__:
        pytest.skip("the build does not record its steps' memory (BuildResult.memory) yet")
    point, built = built_point
    assert set(built["memory"]) == set(BUILD_STEPS)
    # at least the interpreter with pyoxigraph loaded; far below a gigabyte for one paper
    assert all(30 < mb < 1000 for mb in point.memory.values()), point.memory
    assert point.memory["reason"] == point.memory["validate"]
    # the largest process's peak, measured exactly from outside, is in a step's sum (a spike
    # shorter than the sampling interval may be missed)
    assert max(point.memory.values()) >= 0.8 * point.peak_mb


def test_each_report_begins_with_its_mark() -> None:
    """`cskg bench --out` replaces a file that begins as one of its reports does: each report
    begins with one of `REPORT_MARKS`."""
    from cskg.lab.bench import REPORT_MARKS, BenchReport, PagesReport

    reports = [
        BenchReport(build={}, query_process={}, queries=[], engines=["oxigraph"], runs=1),
        ScaleReport([_point(1, 0.5, 120.0, {})], runs=1),
        PagesReport(points=[], runs=1),
    ]
    for report, mark in zip(reports, REPORT_MARKS, strict=True):
        assert report.to_markdown().encode().startswith(mark)


@pytest.mark.parametrize(
    ("name", "content"),
    [("notes.md", b"my own notes\n"), ("scale.png", b"not a picture\n")],
)
def test_bench_out_never_replaces_a_file_it_did_not_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes
) -> None:
    """Refused at once, before minutes of measuring: a report that is not cskg's, or (with
    --scale) a file where the plot goes that is not a picture; one line, exit 2, nothing
    written."""
    from cskg.cli import main

    out = tmp_path / "notes.md" if name == "notes.md" else tmp_path / "scale.md"
    (tmp_path / name).write_bytes(content)
    argv = ["--root", str(ROOT), "bench", "--scale", "1", "--runs", "1", "--no-virtuoso"]
    assert main([*argv, "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("cskg: error: ") and error.count("\n") == 1, error
    assert str(tmp_path / name) in error and "cskg did not write" in error
    assert (tmp_path / name).read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_the_plot_replaces_a_picture_and_nothing_else(tmp_path: Path) -> None:
    from cskg.errors import CskgError

    report = ScaleReport([_point(1, 0.5, 120.0, {}), _point(10, 2.6, 130.0, {})], runs=1)
    picture = tmp_path / "scale.png"
    plot_scale(report, picture)
    first = picture.read_bytes()
    plot_scale(ScaleReport(report.points[:1], runs=1), picture)  # its own: replaced
    assert picture.read_bytes() != first and picture.read_bytes().startswith(b"\x89PNG")
    text = tmp_path / "scale.txt"
    text.write_text("mine\n")
    with pytest.raises(CskgError, match="cskg did not write"):
        plot_scale(report, text)
    assert text.read_text() == "mine\n"
