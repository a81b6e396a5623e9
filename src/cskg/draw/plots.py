"""`cskg plot`: the pictures of the release, by name (`cskg.draw.charts`, `cskg.draw.impact`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cskg.draw.charts import plot_market, plot_mix
from cskg.draw.figure import Chart, save
from cskg.draw.impact import plot_impact
from cskg.errors import CskgError

__all__ = ["plot", "save"]


def plot(
    kind: str,
    dist: Path,
    *,
    lang: str = "en",
    scope: str = "policies",
    start: Sequence[str] = (),
) -> Chart:
    """The chart `kind` ("market", "mix" or "impact") of the release in `dist`; `scope` and
    `start` concern the impact picture (see `plot_impact`)."""
    if kind == "market":
        return plot_market(dist, lang=lang)
    if kind == "mix":
        return plot_mix(dist, lang=lang)
    if kind == "impact":
        return plot_impact(dist, lang=lang, scope=scope, start=start)
    raise CskgError(f"unknown plot {kind!r}: use market, mix or impact")
