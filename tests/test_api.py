"""The Python API: its docstring examples run against a fresh build of the real sources."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest
from conftest import REAL_ROOT

import cskg.api
from cskg.errors import CskgError


def test_docstring_examples(tmp_path: Path) -> None:
    failures, tried = doctest.testmod(
        cskg.api, extraglobs={"ROOT": REAL_ROOT, "DIST": tmp_path / "dist"}, report=True
    )
    assert (failures, tried) == (0, 13)


def test_validate_and_stats_on_a_release(release: Path) -> None:
    report = cskg.api.validate(dist=release)
    assert report.conforms and report.results == []
    stats = cskg.api.stats(release)
    by_class = dict(stats.classes)
    observations = cskg.api.query(
        "PREFIX qb: <http://purl.org/linked-data/cube#>\n"
        "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a qb:Observation }",
        dist=release,
    )
    assert (
        by_class["http://purl.org/linked-data/cube#Observation"]
        == int(observations.rows[0][0].value)
        == 33
    )


def test_unknown_library_query_is_an_error(release: Path) -> None:
    with pytest.raises(CskgError, match="did you mean: services-gap"):
        cskg.api.query("services-gapp", dist=release, root=REAL_ROOT)
