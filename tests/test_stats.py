"""`cskg stats`: counts checked against the quads of the store."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import named_quads
from minirelease import write_release

from cskg.cli import main
from cskg.query.engines import EmbeddedStore
from cskg.query.stats import collect

EV = "https://w3id.org/cskg/graph/evidence/"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_release(tmp_path_factory.mktemp("release") / "dist")


@pytest.fixture(scope="module")
def quads(dist: Path) -> list[ox.Quad]:
    return named_quads(ox.Store.read_only(str(dist / "store")))


def test_collect_matches_quads(dist, quads):
    stats = collect(EmbeddedStore(dist / "store"))
    per_graph = Counter(q.graph_name.value for q in quads)
    evidence = {g: n for g, n in per_graph.items() if g.startswith(EV)}
    expected = sorted((g, n) for g, n in per_graph.items() if not g.startswith(EV))
    expected.append((f"evidence graphs ({len(evidence)})", sum(evidence.values())))
    assert stats.graphs == expected
    assert stats.evidence_graphs == 3
    instances: dict[str, set[str]] = {}
    for q in quads:
        if q.predicate.value == TYPE:
            instances.setdefault(q.object.value, set()).add(q.subject.value)
    assert dict(stats.classes) == {c: len(s) for c, s in instances.items()}
    assert dict(stats.properties) == Counter(q.predicate.value for q in quads)
    counts = [n for _, n in stats.properties]
    assert counts == sorted(counts, reverse=True)


def test_cli_tables(capsys, dist, quads):
    assert main(["--dist", str(dist), "stats"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "Triples by graph"
    rows = {line.rsplit(None, 1)[0].strip(): line.rsplit(None, 1)[1] for line in lines[4:10]}
    assert rows["https://w3id.org/cskg/graph/inferred"] == "3"
    assert rows["evidence graphs (3)"] == str(sum(q.graph_name.value.startswith(EV) for q in quads))
    assert rows["total"] == str(len(quads))
    assert "Instances by class" in lines and "Properties used" in lines
    assert any(line.split() == ["cskg:Evidence", "3"] for line in lines)
    assert any(
        line.split() == ["rdf:type", str(sum(q.predicate.value == TYPE for q in quads))]
        for line in lines
    )


def test_as_a_process(dist, quads):
    """`cskg stats` run as a user runs it: the total line equals the number of quads."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "cskg.cli", "--dist", str(dist), "stats"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    total = next(line for line in done.stdout.splitlines() if line.startswith("total"))
    assert total.split() == ["total", str(len(quads))]
