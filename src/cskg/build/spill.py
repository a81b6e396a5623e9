"""Sorted runs of lines on disk and their merge: how the build orders, deduplicates and counts
more than memory holds.

Each batch of the build writes its lines (N-Quads behind a sort key, or terms) sorted, as one
run; the runs are then read back together in order (`merge`, one line of each run in memory at a
time). Lines are compared as strings, so a key is written fixed-width.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TextIO


class Runs:
    """The sorted runs of one kind of line (`name`) in `folder`."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder, self.name = folder, name
        self.paths: list[Path] = []

    def add(self, lines: Iterable[str]) -> None:
        """One more run: `lines` (each ending with a newline) sorted and written."""
        path = self.folder / f"{self.name}-{len(self.paths):05d}.run"
        with path.open("w", encoding="utf-8", newline="\n") as out:
            out.writelines(sorted(lines))
        self.paths.append(path)

    def merged(self, unique: bool = False) -> Iterator[str]:
        """Every line of every run, in order; with `unique`, a line equal to the one before it
        is left out. The runs are deleted once read to the end."""
        files = [path.open(encoding="utf-8", newline="\n") for path in self.paths]
        try:
            previous = None
            for line in merge(files):
                if not (unique and line == previous):
                    yield line
                previous = line
        finally:
            for file in files:
                file.close()
        for path in self.paths:
            path.unlink()
        self.paths = []

    def count_unique(self) -> int:
        """How many distinct lines the runs hold (they are deleted)."""
        return sum(1 for _ in self.merged(unique=True))


def merge(files: Sequence[TextIO]) -> Iterator[str]:
    """The lines of the sorted `files`, in order. A batch's keys are mostly a range of their
    own (its files' graphs), so the run holding the least line is read on while its lines stay
    below every other run's next one: a comparison a line, where `heapq.merge` pays a step of
    its heap, whose depth grows with the number of runs."""
    heads = [(line, n) for n, file in enumerate(files) if (line := file.readline())]
    heapq.heapify(heads)
    while len(heads) > 1:
        line, n = heads[0]
        file = files[n]
        # the second least head is one of the root's two children
        bound = heads[1][0] if len(heads) == 2 or heads[1] < heads[2] else heads[2][0]
        while line <= bound:
            yield line
            line = file.readline()
            if not line:
                heapq.heappop(heads)
                break
        else:
            heapq.heapreplace(heads, (line, n))
    if heads:
        line, n = heads[0]
        yield line
        yield from files[n]
