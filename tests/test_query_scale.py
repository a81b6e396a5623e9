"""Query cost that matches the answer: each library query's class (`# scale:`), checked on
synthetic corpora, and `cskg bench --scale`'s report of the classes against the engine floor.

An entity-centred query's answer must be the same on the paper alone and on the paper among 1
or 3 synthetic papers; a corpus-wide query's answer must grow (more rows, or for a count the
figures it adds up), except a check, which reads the whole corpus to find nothing wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from utils.expected import canonical

from cskg.build.pipeline import build
from cskg.errors import CskgError
from cskg.lab.bench import ScalePoint, ScaleReport, scale_corpus
from cskg.query.engines import EmbeddedStore
from cskg.query.library import SCALES, load_library, parse_query_text
from cskg.query.model import Result

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = load_library(ROOT / "queries")


def _answers(dist: Path) -> dict[str, Result]:
    with EmbeddedStore(dist / "store") as store:
        return {q.name: store.query(q.example_text) for q in LIBRARY}


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, Result]]:
    """Every library query's answer on the paper among 1 and among 3 synthetic papers (the
    corpus `cskg bench --scale` builds)."""
    answers = {}
    for papers in (1, 3):
        corpus = tmp_path_factory.mktemp("scale") / f"corpus-{papers}"
        scale_corpus(ROOT, corpus, papers)
        built = build(corpus, corpus / "dist")
        assert built.conforms, built.report.to_text()
        answers[papers] = _answers(corpus / "dist")
    return answers


def test_every_library_query_has_a_class() -> None:
    assert LIBRARY and all(q.scale in SCALES for q in LIBRARY), [
        q.name for q in LIBRARY if q.scale not in SCALES
    ]
    assert {q.scale for q in LIBRARY} == set(SCALES)
    # the checks read the whole corpus to find nothing: corpus-wide
    assert all(q.scale == "corpus-wide" for q in LIBRARY if q.is_check)


def test_the_header_says_the_class_once() -> None:
    text = "# title: t\n# scale: entity-centred\nSELECT * WHERE { ?s ?p ?o }\n"
    assert parse_query_text(text, Path("a.rq")).scale == "entity-centred"
    assert parse_query_text("SELECT * WHERE { ?s ?p ?o }\n", Path("a.rq")).scale == ""
    with pytest.raises(CskgError, match=r"^b\.rq: `# scale: huge` is not one of entity-centred"):
        parse_query_text("# scale: huge\nASK {}\n", Path("b.rq"))


@pytest.mark.slow
def test_entity_centred_answers_do_not_grow(
    corpora: dict[int, dict[str, Result]], release: Path
) -> None:
    """The same answer on the paper alone as among 1 and 3 synthetic papers, and not empty."""
    alone = _answers(release)
    for query in (q for q in LIBRARY if q.scale == "entity-centred"):
        small, large = corpora[1][query.name], corpora[3][query.name]
        assert len(alone[query.name]) > 0, query.name
        assert canonical(small) == canonical(alone[query.name]), query.name
        assert canonical(large) == canonical(small), query.name


def test_corpus_wide_answers_grow(corpora: dict[int, dict[str, Result]]) -> None:
    """More rows among 3 synthetic papers than among 1, or the same rows with other figures (a
    count); a check passes on both (no rows, or yes)."""
    grown = []
    for query in (q for q in LIBRARY if q.scale == "corpus-wide"):
        small, large = corpora[1][query.name], corpora[3][query.name]
        if query.is_check:
            assert len(small) == len(large) == 0, query.name
        elif small.kind == "ask":
            assert small.boolean is large.boolean is True, query.name
        else:
            assert len(large) > len(small) or canonical(large) != canonical(small), query.name
            grown.append(len(large) > len(small))
    assert sum(grown) > len(grown) / 2  # most corpus-wide answers are listings


# -- the benchmark's report of the classes ---------------------------------------------------------


def _point(papers: int, cskg: dict[str, float], raw: dict[str, float], rows: dict) -> ScalePoint:
    return ScalePoint(
        papers=papers,
        triples=5000 * papers,
        steps={},
        wall=1.0,
        peak_mb=100.0,
        floor_rate=0.0,
        load_rate=0.0,
        queries={"oxigraph": cskg},
        raw=raw,
        rows=rows,
    )


def test_the_class_tables_and_targets_come_from_the_figures() -> None:
    report = ScaleReport(
        [
            _point(
                10,
                {"a": 0.03, "b": 0.01, "e": 0.002},
                {"a": 0.02, "b": 0.01, "e": 0.001},
                {"a": 300, "b": 0, "e": 4},
            ),
            _point(
                100,
                {"a": 0.3, "b": 0.04, "e": 0.005},
                {"a": 0.25, "b": 0.02, "e": 0.0045},
                {"a": 3000, "b": 0, "e": 4},
            ),
        ],
        runs=3,
        classes={"a": "corpus-wide", "b": "corpus-wide", "e": "entity-centred"},
    )
    text = report.to_markdown()
    # rows at each size, cskg / raw at each size, cskg and raw at 100, cskg per answer row
    assert "| a | 300 | 3,000 | 1.5x | 1.2x | 300.0 ms | 250.0 ms | 100.0 µs |" in text
    assert "| b | 0 | 0 | 1.0x | 2.0x | 40.0 ms | 20.0 ms | — |" in text  # no rows: no per row
    # rows, cskg at each size, cskg / raw at 100, growth 100 / 10 of cskg and of raw
    assert "| e | 4 | 4 | 2.0 ms | 5.0 ms | 1.1x | 2.5x | 4.5x |" in text
    assert report.growth("e") == pytest.approx(2.5)
    assert report.growth("e", floor=True) == pytest.approx(4.5)
    lines = report.targets()
    assert (
        "- NOT met: every corpus-wide query within 1.5x of raw pyoxigraph on the same store at "
        "100 papers (1 of 2; over: b 2.0x)" in lines
    )
    assert (
        "- NOT met: every entity-centred query's median at 100 papers within 2x of its median "
        "at 10 papers (0 of 1; over: e 2.5x (raw 4.5x))" in lines
    )
    # met when within: a alone, and e at 1.5x
    report.classes.pop("b")
    report.points[1].queries["oxigraph"]["e"] = 0.003
    assert (
        "- met: every corpus-wide query within 1.5x of raw pyoxigraph on the same store at 100 "
        "papers (1 of 1; the largest: a 1.2x)" in report.targets()
    )
    assert (
        "- met: every entity-centred query's median at 100 papers within 2x of its median at 10 "
        "papers (1 of 1; the largest: e 1.5x (raw 4.5x))" in report.targets()
    )


@pytest.mark.slow
def test_bench_scale_measures_both_classes_against_the_floor(release: Path) -> None:
    """At 1 and 2 papers (the paper among them): every query timed on cskg's path and raw
    pyoxigraph, its rows counted, and the class tables made of those figures."""
    from cskg.lab.bench import _scale_ratio, run_scale

    report = run_scale(ROOT, [1, 2], runs=1, rdflib_max=0, publish_max=0, use_virtuoso=False)
    names = {q.name for q in LIBRARY}
    assert report.classes == {q.name: q.scale for q in LIBRARY}
    with EmbeddedStore(release / "store") as store:
        on_the_paper = {q.name: len(store.query(q.example_text)) for q in LIBRARY}
    for point in report.points:
        assert set(point.raw) == set(point.rows) == set(point.queries["oxigraph"]) == names
        assert all(v > 0 for v in point.raw.values())
        for query in LIBRARY:  # the paper is in the corpus: its entities' answers are whole
            if query.scale == "entity-centred":
                assert point.rows[query.name] == on_the_paper[query.name], query.name
    small, large = report.points
    text = report.to_markdown()
    for query in LIBRARY:
        name = query.name
        if query.scale == "corpus-wide":
            ratios = [
                _scale_ratio(p.queries["oxigraph"][name] / p.raw[name]) for p in (small, large)
            ]
            row = rf"^\| {re.escape(name)} \| {small.rows[name]:,} \| {large.rows[name]:,} \| "
            row += rf"{ratios[0]} \| {ratios[1]} \| "
        else:
            growth = large.queries["oxigraph"][name] / small.queries["oxigraph"][name]
            row = rf"^\| {re.escape(name)} \| {small.rows[name]:,} \| {large.rows[name]:,} \| "
            row += rf".* \| {_scale_ratio(growth)} \| [0-9.]+x \|$"
        assert re.search(row, text, flags=re.M), name
    assert re.search(r"^- (NOT )?met: every corpus-wide query within 1.5x", text, flags=re.M)
    assert re.search(r"^- (NOT )?met: every entity-centred query's median", text, flags=re.M)
