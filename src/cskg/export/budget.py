"""The memory a networkx graph of a release takes, and the budget it must fit in.

`to_networkx` reads every quad of the release (`graph._read`), whatever the view, so its peak
memory grows with the number of quads in the store; `check` estimates it before anything is read
(`len` of the store: a count, no quad loaded) and refuses, with one line saying the estimate, the
budget and what to do instead, when it would not fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cskg.errors import CskgError

MB = 1024**2
#: the budget when none is given: `--memory-budget`'s default
DEFAULT_BUDGET = 1536 * MB


@dataclass(frozen=True)
class Cost:
    """Peak memory of a command that builds the graph: `base` bytes, plus `per_quad` bytes a
    quad of the release's store (`quads_in`)."""

    base: int
    per_quad: int

    def of(self, quads: int) -> int:
        return self.base + self.per_quad * quads


# Measured (peak RSS, `/usr/bin/time -v`) on the synthetic releases of `cskg bench --scale`:
# 100 papers (945,980 quads): export as GraphML 852 MB, as node-link JSON 670 MB, `analyze`
# 670 MB; 1,000 papers (some 9 M quads): export as GraphML 5,968 MB, `analyze` 4,785 MB.
# Above an 80 MB start, that is 620-820 bytes a quad for the export, 500-620 for `analyze`; the
# figures below round the larger up: an estimate errs on the side of refusing.
EXPORT_COST = Cost(base=80 * MB, per_quad=900)
ANALYZE_COST = Cost(base=80 * MB, per_quad=700)


def quads_in(dist: Path) -> int:
    """How many quads the release in `dist` holds: every named graph's, the inferred one's too,
    and the default graph's (the merge of the others); counted by the store, nothing loaded."""
    from cskg.release import Release

    with Release.open(Path(dist)) as release:
        return len(release.embedded.store)


def check(dist: Path, budget: int, cost: Cost, *, what: str, advice: str) -> int:
    """The estimated peak memory of building the graph of the release in `dist` for `what`;
    CskgError (one line: estimate, budget, `advice`) when it exceeds `budget` bytes."""
    quads = quads_in(dist)
    needed = cost.of(quads)
    if needed > budget:
        raise CskgError(
            f"{what} would take about {_mb(needed)} ({quads:,} quads), over the memory budget "
            f"of {_mb(budget)}: {advice}, or give a larger --memory-budget"
        )
    return needed


def _mb(size: int) -> str:
    return f"{size / MB:,.0f} MB"
