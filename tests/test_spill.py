"""Sorted runs on disk merge into one order (`cskg.build.spill`): whatever the runs' shapes —
key ranges of their own, as the build's batches mostly have, interleaved, repeated, empty."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from cskg.build.spill import Runs

SHAPES = ["own ranges", "interleaved", "mixed"]


def _runs(shape: str, seed: int) -> list[list[str]]:
    """Runs of lines (unsorted; `Runs.add` sorts them) in one of the shapes."""
    pick = random.Random(seed)
    runs = []
    for r in range(pick.randrange(1, 40)):
        size = pick.choice([0, 1, 2, pick.randrange(3, 300)])
        if shape == "own ranges":
            lines = [f"{r:04x}{pick.randrange(50):04x}\n" for _ in range(size)]
        elif shape == "interleaved":
            lines = [f"{pick.randrange(200):08x}\n" for _ in range(size)]
        else:  # a range of its own, and lines every run has a share of
            lines = [
                f"{r:04x}{i:04x}\n" if pick.random() < 0.8 else f"{pick.randrange(3):08x}\n"
                for i in range(size)
            ]
        runs.append(lines)
    return runs


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", range(20))
def test_the_runs_merge_into_the_order_of_all_their_lines(
    tmp_path: Path, shape: str, seed: int
) -> None:
    lines = _runs(shape, seed)
    every = sorted(line for run in lines for line in run)
    for unique in (False, True):
        runs = Runs(tmp_path, "lines")
        for run in lines:
            runs.add(run)
        merged = list(runs.merged(unique=unique))
        assert merged == (sorted(set(every)) if unique else every)
        assert runs.paths == [] and list(tmp_path.iterdir()) == []


def test_lines_that_are_not_ascii_merge_as_strings_compare(tmp_path: Path) -> None:
    runs = Runs(tmp_path, "terms")
    runs.add(['"网络安全"@zh\n', "<http://example.org/a>\n", '"a"\n'])
    runs.add(['"网络"@zh\n', '"\u2028"\n', "<http://example.org/a>\n"])
    expected = sorted(
        ['"网络安全"@zh\n', "<http://example.org/a>\n", '"a"\n', '"网络"@zh\n', '"\u2028"\n']
    )
    assert list(runs.merged(unique=True)) == expected
    assert runs.count_unique() == 0  # the runs were read, and deleted
