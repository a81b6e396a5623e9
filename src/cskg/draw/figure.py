"""What every picture of cskg shares: the words of the charts in both languages, colours,
fonts, the `Chart` record of a figure and the data it drew, and how a chart is saved.

Drawn artists carry a `gid` naming what they show ("china/marketSize/forecast"), which also
becomes the `id` of the element in the SVG.
"""

from __future__ import annotations

import textwrap
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Words of the charts themselves (not of the data), in both label languages.
TEXT: dict[str, dict[str, str]] = {
    "en": {
        "market_title": "Cyberspace security market: China vs. global, {first}–{last}",
        "market_note": "Market size in each area's own unit: China on the left axis, "
        "global on the right axis",
        "growth": "{measure} ({unit})",
        "size_axis": "{area} {measure} ({unit})",
        "year": "year",
        "forecast": "forecast",
        "forecast_of": "forecast ({tables})",
        "actual_of": "actual ({tables})",
        "mix_title": "Product mix: hardware, software and services",
        "mix_axis": "{measure} ({unit})",
        "source": "Source: {tables} of doi:{doi}, via SPARQL over the cskg release",
        "impact_title": "Policies, events and what they led to",
        "no_date": "no date",
        "effects": "effects",
        "further_effects": "further effects",
        "class": "class",
        "modality": "modality",
        "realised": "realised",
        "expected": "expected",
        "proposed": "proposed",
        "forecast_modality": "forecast",
        "impact_note": "* date of the event that concerns it, or of the plan it is part of.   "
        "Arrow heads: filled = enabled, open = contributed to.",
    },
    "zh": {
        "market_title": "网络空间安全市场规模：中国与全球，{first}–{last}年",
        "market_note": "市场规模按各自单位：中国见左轴，全球见右轴",
        "growth": "{measure}（{unit}）",
        "size_axis": "{area}{measure}（{unit}）",
        "year": "年份",
        "forecast": "预测",
        "forecast_of": "预测（{tables}）",
        "actual_of": "实际（{tables}）",
        "mix_title": "产品结构：硬件、软件与服务",
        "mix_axis": "{measure}（{unit}）",
        "source": "来源：doi:{doi} {tables}，经 SPARQL 查询 cskg 发布数据",
        "impact_title": "政策、事件及其影响",
        "no_date": "未注明日期",
        "effects": "影响",
        "further_effects": "进一步影响",
        "class": "类别",
        "modality": "模态",
        "realised": "已实现",
        "expected": "预期",
        "proposed": "提议",
        "forecast_modality": "预测",
        "impact_note": "* 相关事件的日期，或所属规划的日期。  箭头：实心 = 促成（enabled），"
        "空心 = 有助于（contributed to）。",
    },
}

# Colour-blind-safe colours (Okabe & Ito) for areas and segments, assigned in a stable order.
PALETTE = ["#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

CJK_FONT_HINTS = ("CJK", "WenQuanYi", "Source Han", "Droid Sans Fallback", "AR PL", "Noto Sans SC")


@dataclass(frozen=True)
class Cell:
    """One printed table cell, as read from its qb:Observation."""

    observation: str
    dataset: str
    area: str
    year: int
    measure: str
    value: float
    printed: str
    unit: str
    status: str
    segment: str | None = None


@dataclass
class Chart:
    """A figure and the data it shows.

    `series` maps a key to the (x, y) points drawn for it: for the market chart
    (area, measure, status) → [(year, value)], e.g. ("china", "marketSize", "actual") →
    [(2012, 21.64), ...]; for the mix (area, segment, status) → [(year, share)]. For the
    impact graph `series` is empty and `layout` holds the nodes and edges drawn.
    """

    kind: str
    figure: Figure
    title: str
    series: dict[tuple[str, str, str], list[tuple[int, float]]] = field(default_factory=dict)
    cells: list[Cell] = field(default_factory=list)
    layout: dict[str, Any] = field(default_factory=dict)
    lang: str = "en"


def cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager

    def known() -> str | None:
        names = {
            entry.name
            for entry in font_manager.fontManager.ttflist
            if any(hint in entry.name for hint in CJK_FONT_HINTS)
        }
        # Simplified Chinese forms first (Noto Sans CJK SC), sans-serif before serif
        return min(names, key=lambda n: (" SC" not in n, "Serif" in n, n), default=None)

    name = known()
    if name is None:
        # matplotlib caches its font list: pick up fonts installed after the cache was built
        for path in font_manager.findSystemFonts():
            if any(h.lower().replace(" ", "") in path.lower() for h in ("cjk", "wqy", "droidsans")):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError):
                    continue
        name = known()
    return name


def effective_lang(lang: str) -> str:
    """`lang`, unless it is Chinese and no Chinese font is installed: then English, with a
    warning, rather than a picture of empty boxes."""
    if lang == "zh" and cjk_font() is None:
        warnings.warn(
            "no font with Chinese glyphs is installed (e.g. Debian's fonts-noto-cjk); "
            "drawing English labels instead",
            stacklevel=3,
        )
        return "en"
    return lang


def rc(lang: str) -> dict[str, Any]:
    rc: dict[str, Any] = {
        "svg.hashsalt": "cskg",  # stable element ids: the same data gives the same SVG
        "font.size": 10,
        "axes.spines.top": False,
    }
    if lang == "zh":
        rc["font.family"] = ["sans-serif"]
        rc["font.sans-serif"] = [cjk_font(), "DejaVu Sans"]
    return rc


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only, never a display
    import matplotlib.pyplot as plt

    return plt


def source_note(fig: Figure, note: str) -> None:
    """A small line at the foot of the figure, with room kept for it by its constrained
    layout."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        engine.set(rect=(0, 0.03, 1, 0.97))
    fig.text(0.99, 0.008, note, ha="right", va="bottom", fontsize=7, color="#777777")


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def colours(keys: list[str]) -> dict[str, str]:
    return {key: PALETTE[i % len(PALETTE)] for i, key in enumerate(keys)}


def save(chart: Chart, stem: Path, *, dpi: int = 150) -> list[Path]:
    """Write `stem`.svg and `stem`.png; the chart's title is the files' Title metadata."""
    stem = Path(stem)
    if stem.suffix in (".svg", ".png"):
        stem = stem.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    plt = pyplot()
    written = []
    with plt.rc_context(rc(chart.lang)):
        for suffix in (".svg", ".png"):
            path = stem.with_suffix(suffix)
            metadata: dict[str, Any] = {"Title": chart.title}
            if suffix == ".svg":
                metadata["Date"] = None  # reproducible files: no time stamp
            chart.figure.savefig(path, dpi=dpi, metadata=metadata)
            written.append(path)
    return written


def wrap(label: str, width: int) -> str:
    """A label broken into lines of at most `width` characters (by characters for Chinese)."""
    if any("\u4e00" <= ch <= "\u9fff" for ch in label):
        return "\n".join(label[i : i + width // 2] for i in range(0, len(label), width // 2))
    return "\n".join(textwrap.wrap(label, width)) or label
