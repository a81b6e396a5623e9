"""The whole graph written while it is read (`cskg.export.stream`), and the memory budget of the
commands that build a networkx graph (`cskg.export.budget`).

The streamed files are compared with what the networkx writers make of `to_networkx`'s graph
of the same release and options: the paper's release and a 10-paper synthetic corpus.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from cskg.cli import main
from cskg.export.budget import EXPORT_COST, MB, quads_in
from cskg.export.formats import render
from cskg.export.graph import to_networkx
from cskg.export.stream import STREAMING_FORMATS, StoreRelease, _Cache, export_whole
from cskg.lab.bench import _run_measured, scale_corpus
from cskg.query.engines import EmbeddedStore
from cskg.query.results import compact
from cskg.release import Release

ROOT = Path(__file__).resolve().parents[1]
OPTIONS: dict[str, dict[str, Any]] = {
    "default": {},
    "include": {"provenance": "include"},
    "inferred-zh": {"inferred": True, "lang": "zh"},
    "scaffolding": {"scaffolding": True},
}


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Releases of 1 and 10 synthetic papers (with the paper among them, as `cskg bench
    --scale` builds them)."""
    from cskg.build.pipeline import build

    built = {}
    for papers in (1, 10):
        corpus = tmp_path_factory.mktemp("stream") / f"corpus-{papers}"
        scale_corpus(ROOT, corpus, papers)
        assert build(corpus, corpus / "dist").conforms
        built[papers] = corpus / "dist"
    return built


def parsed(fmt: str, data: bytes) -> tuple[dict, Counter]:
    """(graph attributes and nodes with theirs, edges with theirs as a multiset) of a file."""
    if fmt == "edges-csv":
        rows = csv.reader(io.StringIO(data.decode()))
        return {}, Counter(tuple(row) for row in rows)
    graph = nx.read_graphml(io.BytesIO(data), force_multigraph=True)
    nodes = {node: attrs for node, attrs in graph.nodes(data=True)}
    edges = Counter(
        (u, v, k, tuple(sorted(attrs.items())))
        for u, v, k, attrs in graph.edges(keys=True, data=True)
    )
    return {"graph": graph.graph, "nodes": nodes}, edges


def assert_same_as_networkx(dist: Path, fmt: str, options: dict[str, Any], out: Path) -> None:
    expected = render(to_networkx(dist, **options), fmt)
    counts = export_whole(dist, fmt, out, **options)
    streamed = out.read_bytes()
    assert streamed.startswith(expected[:40])  # the same mark
    want_nodes, want_edges = parsed(fmt, expected)
    got_nodes, got_edges = parsed(fmt, streamed)
    assert got_edges == want_edges
    assert got_nodes == want_nodes
    assert counts[1] == sum(want_edges.values()) - (fmt == "edges-csv")  # the CSV header
    if fmt == "graphml":
        assert counts[0] == len(want_nodes["nodes"])


@pytest.mark.parametrize("fmt", STREAMING_FORMATS)
@pytest.mark.parametrize("options", OPTIONS)
def test_the_streamed_paper_is_the_networkx_writers(
    fmt: str, options: str, release: Path, tmp_path: Path
) -> None:
    assert_same_as_networkx(release, fmt, OPTIONS[options], tmp_path / f"graph.{fmt}")


@pytest.mark.slow
@pytest.mark.parametrize("fmt", STREAMING_FORMATS)
@pytest.mark.parametrize("options", ["default", "include"])
def test_the_streamed_corpus_is_the_networkx_writers(
    fmt: str, options: str, corpora: dict[int, Path], tmp_path: Path
) -> None:
    assert_same_as_networkx(corpora[10], fmt, OPTIONS[options], tmp_path / f"graph.{fmt}")


def test_the_stream_holds_every_causal_claim_folded(release: Path, tmp_path: Path) -> None:
    """Every claim of the release with a cause and an effect is one edge carrying its
    modality, counted against SPARQL."""
    out = tmp_path / "graph.csv"
    assert main(["--dist", str(release), "export", "-o", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    with EmbeddedStore(release / "store") as store:
        claims = store.query(
            "PREFIX cskg: <https://w3id.org/cskg/ontology#> SELECT ?c ?m WHERE { "
            "?c cskg:cause ?x ; cskg:effect ?y ; cskg:causalRelation ?r ; cskg:modality ?m }",
            asserted=True,
        )
    folded = {r["claim"]: r["modality"] for r in rows if r["claim"]}
    assert len(claims.rows) > 10
    for claim, modality in claims.rows:
        assert claim is not None and modality is not None
        assert folded[compact(claim.value)] == modality.value.rsplit("#")[-1]


def test_standard_output_is_the_file(release: Path, tmp_path: Path) -> None:
    out = tmp_path / "graph.graphml"
    assert main(["--dist", str(release), "export", "-o", str(out)]) == 0
    done = subprocess.run(
        [sys.executable, "-m", "cskg.cli", "--dist", str(release), "export"],
        capture_output=True,
        check=True,
    )
    assert parsed("graphml", done.stdout) == parsed("graphml", out.read_bytes())


@pytest.mark.slow
def test_memory_does_not_grow_with_the_corpus(corpora: dict[int, Path], tmp_path: Path) -> None:
    """Peak memory of the streamed edge list, from 1 to 10 papers, grows by a fraction of what
    the networkx graph of the same releases (written as node-link JSON) grows by."""

    def peak(papers: int, fmt: str) -> float:
        out = tmp_path / f"{papers}.{fmt}"
        command = [sys.executable, "-m", "cskg.cli", "--dist", str(corpora[papers]), "export"]
        return _run_measured([*command, "--format", fmt, "-o", str(out)])[1]

    streamed = {papers: peak(papers, "edges-csv") for papers in (1, 10)}
    networkx = {papers: peak(papers, "json") for papers in (1, 10)}
    assert networkx[10] - networkx[1] > 20  # MB: the corpus is large enough to tell
    assert streamed[10] - streamed[1] < 0.4 * (networkx[10] - networkx[1])
    assert streamed[10] < networkx[10]


# -- the memory budget ----------------------------------------------------------------------


def test_the_estimate_counts_the_quads(release: Path) -> None:
    """The store's quads: every named graph's and the default graph's."""
    import pyoxigraph as ox

    store = ox.Store.read_only(str(release / "store"))
    text = "SELECT (COUNT(*) AS ?n) WHERE { { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o } }"
    counted = int(next(iter(store.query(text)))[0].value)
    assert quads_in(release) == counted > 10_000
    assert EXPORT_COST.of(counted) > counted * 500


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "--format", "json"],
        ["export", "--view", "organisations", "--format", "graphml"],
        ["analyze"],
    ],
)
def test_over_the_budget_is_refused_in_one_line(
    argv: list[str], release: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "graph.out"
    extra = ["-o", str(out)] if argv[0] == "export" else []
    code = main(["--dist", str(release), *argv, "--memory-budget", "10M", *extra])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == "" and not out.exists()
    quads = quads_in(release)
    [line] = captured.err.splitlines()
    assert line.startswith("cskg: error: ")
    assert f"({quads:,} quads)" in line and "memory budget of 10 MB" in line
    assert "--memory-budget" in line and "streamed" in line


def test_within_the_budget_the_graph_is_built(release: Path, tmp_path: Path) -> None:
    needed = EXPORT_COST.of(quads_in(release))
    out = tmp_path / "graph.json"
    budget = f"{needed // MB + 1}M"
    argv = ["--dist", str(release), "export", "--format", "json", "--memory-budget", budget]
    assert main([*argv, "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b'{\n "generated_by": "cskg')


def test_the_whole_streamed_graph_ignores_the_budget(release: Path, tmp_path: Path) -> None:
    out = tmp_path / "graph.csv"
    argv = ["--dist", str(release), "export", "--memory-budget", "1M", "-o", str(out)]
    assert main(argv) == 0
    assert len(out.read_text().splitlines()) > 100


def test_a_file_cskg_did_not_write_is_never_replaced(
    release: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for fmt in STREAMING_FORMATS:
        theirs = tmp_path / f"notes.{fmt}"
        theirs.write_text("my own notes\n")
        code = main(["--dist", str(release), "export", "--format", fmt, "-o", str(theirs)])
        assert code == 2 and theirs.read_text() == "my own notes\n"
        assert "holds something cskg did not write" in capsys.readouterr().err
        ours = tmp_path / f"ours.{fmt}"
        ours.write_bytes(render(to_networkx(release, "policy-impact"), fmt))
        assert main(["--dist", str(release), "export", "--format", fmt, "-o", str(ours)]) == 0
        assert parsed(fmt, ours.read_bytes()) == parsed(fmt, render(to_networkx(release), fmt))
    written = {f"{name}.{fmt}" for name in ("notes", "ours") for fmt in STREAMING_FORMATS}
    assert {p.name for p in tmp_path.iterdir()} == written  # nothing left beside them


def test_labels_and_evidence_read_per_iri_are_the_releases(release: Path) -> None:
    """`StoreRelease` reads, IRI by IRI, what `Release` reads at once."""
    with Release.open(release) as whole:
        lazy = StoreRelease(whole)
        assert len(whole.label_statements) > 300 and len(whole.evidence) > 100
        for iri, entries in whole.label_statements.items():
            assert sorted(lazy.label_statements.get(iri)) == sorted(entries)
            for lang in ("en", "zh"):
                assert lazy.labels([iri], lang) == whole.labels([iri], lang)
        for graph, evidence in whole.evidence.items():
            assert graph in lazy.evidence and lazy.evidence.get(graph) == evidence
        nothing = "https://w3id.org/cskg/id/nothing-of-that-name"
        assert nothing not in lazy.evidence and lazy.label_statements.get(nothing) is None


def test_the_caches_keep_the_most_recent_keys_only() -> None:
    fetched: list[str] = []

    def fetch(key: str) -> str | None:
        fetched.append(key)
        return None if key == "none" else key.upper()

    cache = _Cache(fetch, size=2)
    assert [cache.get(k) for k in ("a", "b", "a", "c", "a", "none", "none")] == [
        "A",
        "B",
        "A",
        "C",
        "A",
        None,
        None,
    ]
    assert fetched == ["a", "b", "c", "none"]  # "c" pushed "b" out, "none" then "c"
    assert sorted(cache) == ["a", "none"]
