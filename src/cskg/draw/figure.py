"""What every picture of cskg shares: the words of the charts in both languages, colours,
fonts, the `Chart` record of a figure and the data it drew, and how a chart is saved.

Drawn artists carry a `gid` naming what they show ("china/marketSize/forecast"), which also
becomes the `id` of the element in the SVG.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cskg.style import MODALITY_STYLES
from cskg.vocab import CSKG

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from cskg.release import Release

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
        "impact_note": "* date of the event that concerns it, or of the plan it is part of.   "
        "Arrow heads: filled = enabled, open = contributed to.",
        # the interactive page (cskg.draw.interactive)
        "page_title": "cskg: China's cyberspace security industry (CAE 2016), interactive graph",
        "page_search": "Search labels (English, 中文, other names)",
        "page_search_label": "Search labels",
        "page_fit": "Fit",
        "page_fit_title": "Show the whole graph",
        "page_classes": "Classes",
        "page_all": "all",
        "page_none": "none",
        "page_edges": "Edges",
        "page_hint": "Drag to pan, scroll to zoom, click a node for its statements and evidence.",
        "page_graph": "Graph",
        "page_details": "Details",
        "page_placeholder": "Click a node, or search for one, to see what the paper says about it.",
        "page_counter": "{nodes} of {allNodes} nodes, {edges} of {allEdges} edges shown",
        "page_about": "Statements about it",
        "page_pointing": "Statements pointing to it",
        "page_also": "also: ",
        "page_editorial": "editorial statement (not in the paper)",
        "page_class_hidden": "(class hidden)",
        "page_link": "Open its page",
        "page_stated": "stated (no causal claim)",
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
        "source": "来源：论文 doi:{doi} 的{tables}，查询本知识图谱的发布数据所得",
        "impact_title": "政策、事件及其影响",
        "no_date": "未注明日期",
        "effects": "影响",
        "further_effects": "进一步影响",
        "class": "类别",
        "modality": "模态",
        "impact_note": "* 相关事件的日期，或所属规划的日期。  箭头：实心 = 促成，空心 = 有助于。",
        "page_title": "中国网络空间安全产业知识图谱（2016）：交互式图",
        "page_search": "搜索名称（中文、英文、其他名称）",
        "page_search_label": "搜索名称",
        "page_fit": "全图",
        "page_fit_title": "显示整个图",
        "page_classes": "类别",
        "page_all": "全选",
        "page_none": "全不选",
        "page_edges": "边",
        "page_hint": "拖动以平移，滚动以缩放，点击节点查看其陈述与证据。",
        "page_graph": "图",
        "page_details": "详情",
        "page_placeholder": "点击或搜索一个节点，查看论文对它的论述。",
        "page_counter": "显示 {nodes}/{allNodes} 个节点、{edges}/{allEdges} 条边",
        "page_about": "关于它的陈述",
        "page_pointing": "指向它的陈述",
        "page_also": "又名：",
        "page_editorial": "编者陈述（非论文原文）",
        "page_class_hidden": "（类别已隐藏）",
        "page_link": "打开其页面",
        "page_stated": "陈述（无因果断言）",
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


def styled(lang: str) -> AbstractContextManager[Any]:
    """matplotlib's settings for a picture in `lang`, while it is drawn and saved."""
    import matplotlib

    settings: dict[Any, Any] = {  # rcParams by name
        "svg.hashsalt": "cskg",  # stable element ids: the same data gives the same SVG
        "font.size": 10,
        "axes.spines.top": False,
    }
    if lang == "zh":
        settings["font.family"] = ["sans-serif"]
        settings["font.sans-serif"] = [cjk_font(), "DejaVu Sans"]
    return matplotlib.rc_context(settings)


def new_figure(**options: Any) -> Figure:
    """A figure of its own, drawn by Agg, made in `styled`. Not pyplot's: pyplot keeps every
    figure it makes until it is closed (a server or a notebook drawing chart after chart would
    hold them all), and choosing its backend would change the process's (a notebook's own)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(**options)
    FigureCanvasAgg(figure)
    return figure


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
    written = []
    with styled(chart.lang):
        for suffix in (".svg", ".png"):
            path = stem.with_suffix(suffix)
            metadata: dict[str, Any] = {"Title": chart.title}
            if suffix == ".svg":
                metadata["Date"] = None  # reproducible files: no time stamp
            chart.figure.savefig(path, dpi=dpi, metadata=metadata)
            written.append(path)
    return written


#: what no line may end with (an opening bracket or quote) and begin with (a closing one, or
#: punctuation that belongs to the word before it): the rules of Chinese typesetting (禁则)
OPENING = frozenset("（《〈「『【〔“‘([{")
CLOSING = frozenset("）》〉」』】〕”’)]}。，、；：！？…,.;:!?%")
#: a Latin word or number, kept whole: letters and digits joined by - . ' ’ & / and a final %
_WORD = re.compile(r"[0-9A-Za-z\u00C0-\u024F]+(?:[-.'’&/][0-9A-Za-z\u00C0-\u024F]+)*%?")
_SPACES = re.compile(r"\s+")


def _tokens(text: str) -> list[str]:
    """`text` as the units a line may break between: Latin words and numbers whole, runs of
    spaces, and every other character (a Chinese character, a punctuation mark) alone."""
    tokens: list[str] = []
    i = 0
    while i < len(text):
        found = _WORD.match(text, i) or _SPACES.match(text, i)
        end = found.end() if found else i + 1
        tokens.append(text[i:end])
        i = end
    return tokens


def _columns(text: str) -> int:
    """The width of `text` in columns: two for a wide (Chinese) character, one for the rest."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _may_break(before: str, after: str) -> bool:
    """Whether a line may end with the unit `before` and the next begin with `after`."""
    if after.isspace() or after[:1] in CLOSING or before[-1:] in OPENING:
        return False
    # two Latin units meet only with a space between them, where the break goes
    return before.isspace() or not (_WORD.match(before) and _WORD.match(after))


def wrap(label: str, width: int) -> str:
    """A label broken into lines of at most `width` columns (a Chinese character is two).

    Chinese text breaks between characters, other text at spaces; a Latin word or number is
    never split, no line ends with an opening bracket or quote and none begins with a closing
    one or with 。，、；：！？ (a unit longer than a line stands on a line of its own).
    """
    lines: list[list[str]] = []
    line: list[str] = []
    for token in _tokens(" ".join(label.split())):
        line.append(token)
        if _columns("".join(line).strip()) <= width or token.isspace():
            continue
        breaks = [i for i in range(1, len(line)) if _may_break(line[i - 1], line[i])]
        fitting = [i for i in breaks if _columns("".join(line[:i]).strip()) <= width]
        if fitting or breaks:
            cut = max(fitting) if fitting else min(breaks)
            lines.append(line[:cut])
            line = line[cut:]
    lines.append(line)
    return "\n".join(text for text in ("".join(ln).strip() for ln in lines) if text) or label


def fit_width(fig: Figure, text: Text, margin: float = 0.01) -> None:
    """Wrap `text` (a line of the figure) until it fits the figure's width, less `margin` (a
    fraction of it) at each side."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg's (`new_figure`)
    room = fig.bbox.width * (1 - 2 * margin)
    whole = text.get_text()
    width = _columns(whole)
    while text.get_window_extent(renderer).width > room and width > 10:
        width = int(width * 0.9)
        text.set_text(wrap(whole, width))


def class_name(cls: str, label: str, lang: str) -> str:
    """The name of a class (a prefixed name) in a legend: the release's `label` of it, or for a
    reused vocabulary's class (skos:Concept) its name in `lang` (`cskg.web.readable`)."""
    from cskg.vocab import PREFIXES
    from cskg.web.readable import external_name

    prefix, _, local = cls.partition(":")
    if prefix == "cskg" or prefix not in PREFIXES:
        return label
    return external_name(PREFIXES[prefix] + local, lang) or label


def modality_names(release: Release, lang: str) -> dict[str, str]:
    """The names of the modalities of causal claims in `lang`, from the ontology."""
    return {m: release.label(CSKG + m, lang) for m in MODALITY_STYLES}
