"""Sorted runs of lines on disk and their merge: how the build orders, deduplicates and counts
more than memory holds.

Each batch of the build writes its lines (N-Quads behind a sort key, or terms) sorted, as one
run; the runs are then read back together in order (`heapq.merge`, one line of each run in
memory at a time). Lines are compared as strings, so a key is written fixed-width.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from pathlib import Path


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
            for line in heapq.merge(*files):
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
