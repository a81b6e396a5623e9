"""Pictures of the release: the market chart, the product mix and the policy-impact graph.

Every number drawn comes from SPARQL over the Data Cube observations of the release (the
statistical charts) or from the networkx policy-impact view (the graph); nothing is typed in
here. Each `plot_*` function returns a `Chart`: the matplotlib figure together with the data it
drew, so that tests (and users) can check the picture against the graph without reading pixels.
Drawn artists carry a `gid` naming what they show ("china/marketSize/forecast"), which also
becomes the `id` of the element in the SVG.
"""

from __future__ import annotations

import textwrap
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cskg.errors import CskgError
from cskg.vocab import PREFIXES, sparql_prologue

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.figure import Figure

    from cskg.query.engines import EmbeddedStore

CSKG = PREFIXES["cskg"]
PAPER_DOI = "10.15302/J-SSCAE-2016.04.006"

#: one row per printed table cell (a qb:Observation) of the given datasets
OBSERVATIONS_QUERY = """
PREFIX qb: <http://purl.org/linked-data/cube#>
SELECT ?obs ?dataset ?area ?year ?segment ?measure ?value ?printed ?unit ?status
WHERE {
  VALUES ?dataset { %s }
  ?obs a qb:Observation ;
    qb:dataSet ?dataset ;
    cskg:refArea ?area ;
    cskg:refYear ?year ;
    qb:measureType ?measure ;
    cskg:unit ?unit ;
    cskg:observationStatus ?status ;
    ?measure ?value .
  OPTIONAL { ?obs cskg:productSegment ?segment }
  OPTIONAL { ?obs cskg:printedValue ?printed }
}
ORDER BY ?dataset ?obs
"""

#: labels of the concepts, properties and datasets a chart names (prefLabel before rdfs:label)
LABELS_QUERY = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?thing ?label ?rank
WHERE {
  VALUES ?thing { %s }
  { ?thing skos:prefLabel ?label BIND (0 AS ?rank) }
  UNION
  { ?thing rdfs:label ?label BIND (1 AS ?rank) }
}
"""

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


# -- helpers ----------------------------------------------------------------------------------


def local(iri: str) -> str:
    """The last path or fragment segment of an IRI: `china` for concept:area/china."""
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def table_name(dataset_iri: str) -> str:
    """`Table 3` for dataset:table-3 (the datasets are named after the paper's tables)."""
    name = local(dataset_iri)
    return name.replace("table-", "Table ") if name.startswith("table-") else name


def tables_text(datasets: list[str], lang: str) -> str:
    names = [table_name(d) for d in sorted(set(datasets))]
    if lang == "zh":
        return "、".join(n.replace("Table ", "表") for n in names)
    if len(names) == 1 or not all(n.startswith("Table ") for n in names):
        return ", ".join(names)
    numbers = [n.removeprefix("Table ") for n in names]
    return "Tables " + ", ".join(numbers[:-1]) + " and " + numbers[-1]


def _number(value: str) -> float:
    return float(Decimal(value))


def read_cells(store: EmbeddedStore, tables: list[str]) -> list[Cell]:
    """The observations of dataset:table-N for each N in `tables`, one Cell per printed cell."""
    datasets = " ".join(f"dataset:{t}" for t in tables)
    result = store.query(sparql_prologue() + OBSERVATIONS_QUERY % datasets, asserted=True)
    cells = []
    for row in result.dicts():
        cells.append(
            Cell(
                observation=row["obs"].value,
                dataset=row["dataset"].value,
                area=row["area"].value,
                year=int(row["year"].value[:4]),
                measure=row["measure"].value,
                value=_number(row["value"].value),
                printed=row["printed"].value if "printed" in row else row["value"].value,
                unit=row["unit"].value,
                status=row["status"].value,
                segment=row["segment"].value if "segment" in row else None,
            )
        )
    if not cells:
        raise CskgError(f"the release has no observations for {', '.join(tables)}")
    return cells


def read_labels(store: EmbeddedStore, iris: set[str], lang: str) -> dict[str, str]:
    """A label per IRI in `lang`, else English, else any; the local name when there is none."""
    values = " ".join(f"<{iri}>" for iri in sorted(iris))
    result = store.query(sparql_prologue() + LABELS_QUERY % values, asserted=True)
    best: dict[str, tuple[tuple[int, int], str]] = {}
    for row in result.dicts():
        term = row["label"]
        language = term.lang or ""
        lang_rank = 0 if language == lang else 1 if language == "en" else 2
        rank = (lang_rank, int(row["rank"].value))
        iri = row["thing"].value
        if iri not in best or rank < best[iri][0]:
            best[iri] = (rank, term.value)
    return {iri: best[iri][1] if iri in best else local(iri) for iri in iris}


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


def _rc(lang: str) -> dict[str, Any]:
    rc: dict[str, Any] = {
        "svg.hashsalt": "cskg",  # stable element ids: the same data gives the same SVG
        "font.size": 10,
        "axes.spines.top": False,
    }
    if lang == "zh":
        rc["font.family"] = ["sans-serif"]
        rc["font.sans-serif"] = [cjk_font(), "DejaVu Sans"]
    return rc


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only, never a display
    import matplotlib.pyplot as plt

    return plt


def _source_note(fig: Figure, note: str) -> None:
    """A small line at the foot of the figure, with room kept for it by the layout."""
    fig.get_layout_engine().set(rect=(0, 0.03, 1, 0.97))
    fig.text(0.99, 0.008, note, ha="right", va="bottom", fontsize=7, color="#777777")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _colours(keys: list[str]) -> dict[str, str]:
    return {key: PALETTE[i % len(PALETTE)] for i, key in enumerate(keys)}


# -- market: Tables 1 and 3 -------------------------------------------------------------------


def plot_market(dist: Path, *, lang: str = "en") -> Chart:
    """Market size and growth, China vs. global, actual (Table 1) vs. forecast (Table 3).

    Two panels sharing the year axis. Upper: market size, China on the left y-axis (billion
    yuan) and global on the right y-axis (billion US dollars), each axis in its area's colour.
    Lower: growth rates in percent. Actual figures are solid lines with filled markers,
    forecasts dashed lines with open markers on a shaded background; a thin dotted line
    joins the last actual to the first forecast.
    """
    from cskg.query.engines import EmbeddedStore

    lang = effective_lang(lang)
    with EmbeddedStore(Path(dist) / "store") as store:
        cells = read_cells(store, ["table-1", "table-3"])
        labels = read_labels(
            store,
            {c.area for c in cells} | {c.measure for c in cells} | {c.unit for c in cells},
            lang,
        )
    plt = _pyplot()
    text = TEXT[lang]

    series: dict[tuple[str, str, str], list[tuple[int, float]]] = defaultdict(list)
    printed: dict[tuple[str, str, int], str] = {}
    units: dict[tuple[str, str], str] = {}
    tables: dict[str, set[str]] = defaultdict(set)
    for cell in sorted(cells, key=lambda c: (c.area, c.measure, c.year)):
        key = (local(cell.area), local(cell.measure), local(cell.status))
        series[key].append((cell.year, cell.value))
        printed[(key[0], key[1], cell.year)] = cell.printed
        units[(key[0], key[1])] = labels[cell.unit]
        tables[key[2]].add(cell.dataset)
    area_iri = {local(c.area): c.area for c in cells}
    measure_iri = {local(c.measure): c.measure for c in cells}
    # China first (the paper's subject, left axis), then the other areas
    areas = sorted(area_iri, key=lambda a: (a != "china", a))
    colour = _colours(areas)
    years = sorted({c.year for c in cells})
    actual_years = sorted({c.year for c in cells if local(c.status) == "actual"})

    title = text["market_title"].format(first=years[0], last=years[-1])
    with plt.rc_context(_rc(lang)):
        fig, (ax_size, ax_growth) = plt.subplots(
            2, 1, sharex=True, figsize=(10, 8), height_ratios=[3, 2], layout="constrained"
        )
        size_axes = {areas[0]: ax_size}
        for area in areas[1:]:
            size_axes[area] = ax_size.twinx()
            size_axes[area].spines["right"].set_visible(True)
        panels = {"marketSize": size_axes, "growthRate": dict.fromkeys(areas, ax_growth)}

        for ax in (ax_size, ax_growth):
            if actual_years and years[-1] > actual_years[-1]:
                ax.axvspan(actual_years[-1] + 0.5, years[-1] + 0.5, color="#eeeeee", zorder=0)
        ax_size.text(
            (actual_years[-1] + 0.5 + years[-1] + 0.5) / 2,
            0.97,
            text["forecast"],
            transform=ax_size.get_xaxis_transform(),
            ha="center",
            va="top",
            color="#555555",
            style="italic",
        )

        for (area, measure, status), points in sorted(series.items()):
            ax = panels[measure][area]
            forecast = status != "actual"
            xs, ys = zip(*points, strict=True)
            (line,) = ax.plot(
                xs,
                ys,
                linestyle="--" if forecast else "-",
                marker="o",
                markersize=6,
                markerfacecolor="white" if forecast else colour[area],
                color=colour[area],
                linewidth=2,
                label=f"{labels[area_iri[area]]} {labels[measure_iri[measure]]} {status}",
            )
            line.set_gid(f"{area}/{measure}/{status}")
            for x, y in points:
                ax.annotate(
                    printed[(area, measure, x)],
                    (x, y),
                    textcoords="offset points",
                    xytext=(0, 8),
                    ha="center",
                    fontsize=8,
                    color=colour[area],
                )
        # dotted bridges from each series' last actual point to its first forecast point
        for (area, measure, status), points in sorted(series.items()):
            if status == "actual":
                continue
            before = series.get((area, measure, "actual"))
            if before:
                bridge_x = [before[-1][0], points[0][0]]
                bridge_y = [before[-1][1], points[0][1]]
                (bridge,) = panels[measure][area].plot(
                    bridge_x, bridge_y, linestyle=":", color=colour[area], linewidth=1
                )
                bridge.set_gid(f"bridge/{area}/{measure}")

        for area, ax in size_axes.items():
            ax.set_ylabel(
                text["size_axis"].format(
                    area=labels[area_iri[area]],
                    measure=labels[measure_iri["marketSize"]],
                    unit=units[(area, "marketSize")],
                ),
                color=colour[area],
            )
            ax.tick_params(axis="y", colors=colour[area])
            ax.set_ylim(
                0,
                max(
                    v
                    for (a, m, _), pts in series.items()
                    if a == area and m == "marketSize"
                    for _, v in pts
                )
                * 1.15,
            )
        growth_units = {u for (a, m), u in units.items() if m == "growthRate"}
        ax_growth.set_ylabel(
            text["growth"].format(
                measure=_capital(labels[measure_iri["growthRate"]]),
                unit=", ".join(sorted(growth_units)),
            )
        )
        growth_max = max(
            v for (a, m, _), pts in series.items() if m == "growthRate" for _, v in pts
        )
        ax_growth.set_ylim(0, growth_max * 1.2)
        ax_growth.set_xlabel(text["year"])
        ax_growth.set_xticks(years)
        ax_growth.set_xlim(years[0] - 0.5, years[-1] + 0.5)
        for ax in (ax_size, ax_growth):
            ax.grid(axis="y", color="#dddddd", linewidth=0.6)

        # legend: colour = area, line style = actual or forecast (with the source table)
        from matplotlib.lines import Line2D

        handles = [
            Line2D([], [], color=colour[a], linewidth=2, label=labels[area_iri[a]]) for a in areas
        ]
        for status in sorted(tables):
            forecast = status != "actual"
            handles.append(
                Line2D(
                    [],
                    [],
                    color="#444444",
                    linestyle="--" if forecast else "-",
                    marker="o",
                    markerfacecolor="white" if forecast else "#444444",
                    label=text["forecast_of" if forecast else "actual_of"].format(
                        tables=tables_text(sorted(tables[status]), lang)
                    ),
                )
            )
        ax_size.legend(handles=handles, loc="upper left", frameon=False)
        fig.suptitle(title, fontsize=13, fontweight="bold")
        ax_size.set_title(text["market_note"], fontsize=9, color="#555555")
        _source_note(
            fig,
            text["source"].format(
                tables=tables_text([c.dataset for c in cells], lang), doi=PAPER_DOI
            ),
        )
    return Chart("market", fig, title, dict(series), cells, lang=lang)


# -- mix: Tables 2 and 4 ----------------------------------------------------------------------


def plot_mix(dist: Path, *, lang: str = "en") -> Chart:
    """Hardware, software and service shares as stacked bars, one bar per area and year.

    Actual bars (Table 2) first, the global one before China's, then China's forecasts
    (Table 4), which are hatched, lighter and set apart by a gap. Each segment carries its
    share as printed.
    """
    from matplotlib.patches import Patch

    from cskg.query.engines import EmbeddedStore

    lang = effective_lang(lang)
    with EmbeddedStore(Path(dist) / "store") as store:
        cells = read_cells(store, ["table-2", "table-4"])
        labels = read_labels(
            store,
            {c.area for c in cells}
            | {c.segment for c in cells if c.segment}
            | {c.measure for c in cells}
            | {c.unit for c in cells},
            lang,
        )
    plt = _pyplot()
    text = TEXT[lang]

    series: dict[tuple[str, str, str], list[tuple[int, float]]] = defaultdict(list)
    by_bar: dict[tuple[str, str, int], dict[str, Cell]] = defaultdict(dict)
    for cell in sorted(cells, key=lambda c: (c.area, str(c.segment), c.year)):
        if cell.segment is None:
            raise CskgError(f"{cell.observation} has no cskg:productSegment")
        status = local(cell.status)
        series[(local(cell.area), local(cell.segment), status)].append((cell.year, cell.value))
        by_bar[(status, local(cell.area), cell.year)][cell.segment] = cell
    # the largest segment at the bottom: hardware, software, service
    totals: dict[str, float] = defaultdict(float)
    for cell in cells:
        totals[cell.segment or ""] += cell.value
    segments = sorted(totals, key=lambda s: -totals[s])
    colour = _colours(segments)
    area_iri = {local(c.area): c.area for c in cells}
    bars = sorted(by_bar, key=lambda b: (b[0] != "actual", b[1] != "global", b[1], b[2]))
    tables: dict[str, set[str]] = defaultdict(set)
    for cell in cells:
        tables[local(cell.status)].add(cell.dataset)

    # a gap between the actual and the forecast bars
    positions, x = [], 0.0
    for i, bar in enumerate(bars):
        if i and bar[0] != bars[i - 1][0]:
            x += 0.6
        positions.append(x)
        x += 1.0

    title = text["mix_title"]
    with plt.rc_context(_rc(lang)):
        fig, ax = plt.subplots(figsize=(9, 6.5), layout="constrained")
        bottoms = [0.0] * len(bars)
        for segment in segments:
            heights = [by_bar[bar][segment].value for bar in bars]
            container = ax.bar(
                positions,
                heights,
                bottom=bottoms,
                width=0.7,
                color=colour[segment],
                edgecolor="white",
                linewidth=1,
                label=labels[segment],
            )
            for patch, bar in zip(container.patches, bars, strict=True):
                status, area, year = bar
                patch.set_gid(f"{area}/{year}/{local(segment)}/{status}")
                if status != "actual":
                    patch.set_hatch("//")
                    patch.set_alpha(0.75)
            texts = ax.bar_label(
                container,
                labels=[by_bar[bar][segment].printed + "%" for bar in bars],
                label_type="center",
                color="white",
                fontsize=9,
                fontweight="bold",
            )
            for label, bar in zip(texts, bars, strict=True):
                if bar[0] != "actual":  # keep the figure legible on the hatching
                    label.set_bbox({"facecolor": colour[segment], "edgecolor": "none", "pad": 1.5})
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]

        tick_labels = []
        for status, area, year in bars:
            name = f"{labels[area_iri[area]]}\n{year}"
            if status != "actual":
                name += f"\n({text['forecast']})"
            tick_labels.append(name)
        ax.set_xticks(positions, tick_labels)
        unit = {labels[c.unit] for c in cells}
        measure = {labels[c.measure] for c in cells}
        ax.set_ylabel(
            text["mix_axis"].format(
                measure=_capital(", ".join(sorted(measure))), unit=", ".join(sorted(unit))
            )
        )
        ax.set_ylim(0, max(bottoms) * 1.02)
        ax.spines["right"].set_visible(False)

        handles = [Patch(facecolor=colour[s], label=labels[s]) for s in segments]
        for status in sorted(tables):
            forecast = status != "actual"
            handles.append(
                Patch(
                    facecolor="#bbbbbb",
                    edgecolor="white",
                    hatch="//" if forecast else None,
                    label=text["forecast_of" if forecast else "actual_of"].format(
                        tables=tables_text(sorted(tables[status]), lang)
                    ),
                )
            )
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
        fig.suptitle(title, fontsize=13, fontweight="bold")
        _source_note(
            fig,
            text["source"].format(
                tables=tables_text([c.dataset for c in cells], lang), doi=PAPER_DOI
            ),
        )
    return Chart("mix", fig, title, dict(series), cells, lang=lang)


# -- files ------------------------------------------------------------------------------------


def save(chart: Chart, stem: Path, *, dpi: int = 150) -> list[Path]:
    """Write `stem`.svg and `stem`.png; the chart's title is the files' Title metadata."""
    stem = Path(stem)
    if stem.suffix in (".svg", ".png"):
        stem = stem.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    plt = _pyplot()
    written = []
    with plt.rc_context(_rc(chart.lang)):
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


# -- impact: the policy-impact view -----------------------------------------------------------

#: how each modality of a causal claim is drawn: (line style, colour)
MODALITY_STYLE: dict[str, tuple[str, str]] = {
    "realised": ("-", "#333333"),
    "expected": ("--", "#0072B2"),
    "proposed": (":", "#CC79A7"),
    "forecast": ("-.", "#B2182B"),
}
# Box colours by class (most frequent class first); none is an edge colour.
CLASS_COLOURS = [
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#7570B3",
    "#A6761D",
    "#999999",
    "#66C2A5",
    "#E7298A",
    "#BCBD22",
    "#17BECF",
    "#8DA0CB",
    "#FC8D62",
]

#: the classes whose instances start the chains of the default scope (with their subclasses)
ROOT_CLASSES_QUERY = """
SELECT DISTINCT ?class
WHERE { VALUES ?top { cskg:Policy cskg:Event } ?class rdfs:subClassOf* ?top }
"""

#: dates of the view's nodes: their own, else the earliest event that concerns them, else the
#: date of the whole they are part of (a strategy of a dated plan)
DATES_QUERY = """
SELECT ?node (SAMPLE(?own) AS ?date) (MIN(STR(?eventDate)) AS ?byEvent)
       (MIN(STR(?wholeDate)) AS ?byWhole)
WHERE {
  VALUES ?node { %s }
  OPTIONAL { ?node cskg:date ?own }
  OPTIONAL { ?event cskg:concerns ?node ; a cskg:Event ; cskg:date ?eventDate }
  OPTIONAL { ?node cskg:partOf ?whole . ?whole cskg:date ?wholeDate }
}
GROUP BY ?node
"""

# Sizes of the impact picture, in inches (the axes are laid out one data unit per inch).
BOX_WIDTH = 1.9
COLUMN_GAP = 0.9
LINE_HEIGHT = 0.145
BOX_PAD = 0.09
ROW_GAP = 0.22
WRAP = 27
MAX_LINES = 4
HEADER = 0.7


def _tint(colour: str, amount: float = 0.75) -> str:
    """`colour` mixed with white: an opaque box fill that hides the edges passing behind it."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in rgb)


def _short(label: str, width: int, lines: int) -> list[str]:
    wrapped = wrap(label, width).split("\n")
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: max(1, len(wrapped[-1]) - 1)].rstrip() + "…"
    return wrapped


#: the most boxes an impact picture holds: four times the paper's whole view (150 boxes, a
#: picture about 2,500 px tall); 100 synthetic papers' would be 240,000 px tall and take 3 GB
MAX_IMPACT_BOXES = 600


def impact_scope(graph: Any, roots: set[str], scope: str) -> Any:
    """The part of the policy-impact view a picture shows.

    "policies": the policies and events of the view and everything that follows from them
    (their descendants over the causal edges); "all": the whole view.
    """
    import networkx as nx

    if scope == "all":
        return graph
    if scope != "policies":
        raise CskgError(f"unknown impact scope {scope!r}: use 'policies' or 'all'")
    keep = set(roots)
    for root in roots:
        keep |= nx.descendants(graph, root)
    return graph.subgraph(sorted(keep)).copy()


def _columns(
    graph: Any, dates: dict[str, str], text: dict[str, str]
) -> tuple[dict[str, int], list[str], int]:
    """Column of each node and the column headings.

    Dated nodes sit in one column per year, left to right; undated nodes without causes in a
    "no date" column after them; every other node one column right of its latest cause.
    Also returns the first column of effects.
    """
    import networkx as nx

    years = sorted({dates[n][:4] for n in graph if n in dates})
    column: dict[str, int] = {n: years.index(dates[n][:4]) for n in graph if n in dates}
    undated_sources = [n for n in graph if n not in dates and graph.in_degree(n) == 0]
    headings = list(years)
    if undated_sources:
        headings.append(text["no_date"])
        for node in undated_sources:
            column[node] = len(years)
    first_effect = len(headings)
    # longest path from the placed nodes, on the acyclic condensation (cycles share a column)
    dag = nx.condensation(graph)
    members = dag.graph["mapping"]
    level: dict[int, int] = {}
    for component in nx.topological_sort(dag):
        nodes = dag.nodes[component]["members"]
        fixed = [column[n] for n in nodes if n in column]
        if fixed:
            level[component] = min(fixed)
            continue
        preds = [level[p] for p in dag.predecessors(component)]
        level[component] = max([first_effect - 1, *preds]) + 1
    for node in graph:
        column.setdefault(node, level[members[node]])
    depth = max(column.values(), default=0)
    for i in range(first_effect, depth + 1):
        headings.append(text["effects" if i == first_effect else "further_effects"])
    return column, headings, first_effect


def _centre(
    node: str, graph: Any, column: dict[str, int], rank: dict[str, float], key: dict[str, Any]
) -> tuple[float, Any]:
    """Mean position of a node's neighbours in the other columns (its own when it has none)."""
    near = [
        rank[m]
        for m in (*graph.predecessors(node), *graph.successors(node))
        if column[m] != column[node]
    ]
    return (sum(near) / len(near) if near else rank[node], key[node])


def _order(
    graph: Any, column: dict[str, int], first_effect: int, key: dict[str, Any]
) -> dict[int, list[str]]:
    """Nodes top to bottom in stacks: stack 0 holds the dated and undated causes of the left
    columns in date order (a staircase, so that no edge runs behind a later cause); each
    effect column is its own stack, ordered by a few barycentre sweeps to keep edges short."""
    from functools import partial

    stacks: dict[int, list[str]] = defaultdict(list)
    for node in sorted(graph, key=lambda n: key[n]):
        stacks[max(0, column[node] - first_effect + 1)].append(node)
    effect_stacks = sorted(s for s in stacks if s)
    for _ in range(4):
        for sweep in (effect_stacks, effect_stacks[::-1]):
            for c in sweep:
                rank = {n: i / max(1, len(ns)) for ns in stacks.values() for i, n in enumerate(ns)}
                stacks[c].sort(key=partial(_centre, graph=graph, column=column, rank=rank, key=key))
    return stacks


def plot_impact(
    dist: Path, *, lang: str = "en", scope: str = "policies", start: Sequence[str] = ()
) -> Chart:
    """The policy-impact view as a left-to-right graph: years of the policies and events on
    the left, what they led to in columns of causal depth on the right.

    Boxes are coloured by class; edges are styled by the modality of their causal claim and
    their arrow head shows the relation (filled: enabled; open: contributed to). `start` names
    policies or events (IRIs, prefixed names or labels, as `cskg describe` takes them): only
    they and what followed from them are drawn. A picture of more than `MAX_IMPACT_BOXES`
    boxes is refused (`CskgError`) before it is drawn.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

    from cskg.export.graph import to_networkx
    from cskg.query.describe import resolve
    from cskg.query.engines import EmbeddedStore
    from cskg.query.results import compact

    lang = effective_lang(lang)
    if start and scope != "policies":
        raise CskgError("chosen policies or events (--from) draw what followed from them only")
    view = to_networkx(Path(dist), "policy-impact", lang=lang)
    with EmbeddedStore(Path(dist) / "store") as store:
        root_classes = {
            compact(row[0].value)
            for row in store.query(sparql_prologue() + ROOT_CLASSES_QUERY, asserted=True).rows
        }
        roots = {n for n, d in view.nodes(data=True) if set(d["types"].split()) & root_classes}
        if start:
            chosen = {resolve(store, term) for term in start}
            outside = sorted(compact(iri) for iri in chosen - roots)
            if outside:
                raise CskgError(
                    f"not a policy or event of the policy-impact view: {', '.join(outside)}"
                )
            roots = chosen
        graph = impact_scope(view, roots, scope)
        if graph.number_of_nodes() > MAX_IMPACT_BOXES:
            raise CskgError(
                f"the impact picture would have {graph.number_of_nodes():,} boxes, more than "
                f"the {MAX_IMPACT_BOXES} a picture shows legibly; draw chosen policies or events "
                "and what followed from them (--from, repeatable), or explore the whole view "
                "with `cskg plot interactive` or `cskg export --view policy-impact`"
            )
        values = " ".join(f"<{n}>" for n in sorted(graph))
        dates: dict[str, str] = {}
        date_source: dict[str, str] = {}
        for row in store.query(sparql_prologue() + DATES_QUERY % values, asserted=True).dicts():
            for source, var in (("own", "date"), ("event", "byEvent"), ("whole", "byWhole")):
                if var in row:
                    dates[row["node"].value] = row[var].value
                    date_source[row["node"].value] = source
                    break
    if graph.number_of_nodes() == 0:
        raise CskgError("the policy-impact view is empty")

    text = TEXT[lang]
    column, headings, first_effect = _columns(graph, dates, text)
    key = {n: (dates.get(n, "9999"), graph.nodes[n].get("label", n)) for n in graph}
    columns = _order(graph, column, first_effect, key)
    lines = {n: _short(graph.nodes[n].get("label", n), WRAP, MAX_LINES) for n in graph}
    height = {
        n: len(lines[n]) * LINE_HEIGHT + 2 * BOX_PAD + (0.14 if n in dates else 0) for n in graph
    }
    col_height = {
        c: sum(height[n] for n in ns) + ROW_GAP * (len(ns) - 1) for c, ns in columns.items()
    }
    total_h = max(col_height.values()) + HEADER + 0.3
    total_w = len(headings) * (BOX_WIDTH + COLUMN_GAP) - COLUMN_GAP + 0.6

    nodes: dict[str, dict[str, Any]] = {}
    for c, members in columns.items():
        y = (total_h - HEADER + col_height[c]) / 2  # columns centred vertically
        for node in members:
            data = graph.nodes[node]
            nodes[node] = {
                "x": 0.3 + column[node] * (BOX_WIDTH + COLUMN_GAP),
                "y": y - height[node],
                "w": BOX_WIDTH,
                "h": height[node],
                "column": column[node],
                "label": data.get("label", node),
                "class": data.get("class", ""),
                "class_label": data.get("class_label", data.get("class", "")),
                "date": dates.get(node),
                "date_source": date_source.get(node),
            }
            y -= height[node] + ROW_GAP

    classes = sorted(
        {d["class"] for d in nodes.values()},
        key=lambda c: (-sum(d["class"] == c for d in nodes.values()), c),
    )
    class_colour = {c: CLASS_COLOURS[i % len(CLASS_COLOURS)] for i, c in enumerate(classes)}
    plt = _pyplot()
    title = text["impact_title"]
    edges: list[dict[str, Any]] = []
    # class legend: one column per 2.6 inches, less the modality legend's corner
    class_cols = min(max(1, int(total_w // 2.6) - 1), len(classes))
    legend_h, title_h = 0.8 + 0.3 * -(-len(classes) // class_cols), 0.6
    fig_h = total_h + legend_h + title_h
    with plt.rc_context(_rc(lang)):
        fig = plt.figure(figsize=(total_w, fig_h))
        ax = fig.add_axes((0, legend_h / fig_h, 1, total_h / fig_h))
        ax.set_xlim(0, total_w)
        ax.set_ylim(0, total_h)
        ax.set_axis_off()
        for c, heading in enumerate(headings):
            x = 0.3 + c * (BOX_WIDTH + COLUMN_GAP) + BOX_WIDTH / 2
            ax.text(
                x,
                total_h - 0.35,
                heading,
                ha="center",
                va="center",
                fontsize=11,
                fontweight="bold",
                color="#444444",
            )
        dated = sum(1 for h in headings if h[:1].isdigit())
        if dated > 1:  # the time axis spans the year columns only
            ax.annotate(
                "",
                xy=(0.3 + dated * (BOX_WIDTH + COLUMN_GAP) - COLUMN_GAP, total_h - 0.6),
                xytext=(0.2, total_h - 0.6),
                arrowprops={"arrowstyle": "->", "color": "#999999"},
            )

        for node, n in nodes.items():
            colour = class_colour[n["class"]]
            box = FancyBboxPatch(
                (n["x"], n["y"]),
                n["w"],
                n["h"],
                boxstyle="round,pad=0,rounding_size=0.06",
                facecolor=_tint(colour),
                edgecolor=colour,
                linewidth=1.5,
                zorder=3,
            )
            box.set_gid(compact(node))
            ax.add_patch(box)
            top = n["y"] + n["h"] - BOX_PAD
            if n["date"]:
                ax.text(
                    n["x"] + 0.08,
                    top,
                    n["date"] + ("" if n["date_source"] == "own" else "*"),
                    ha="left",
                    va="top",
                    fontsize=7,
                    fontweight="bold",
                    color="#333333",
                    zorder=4,
                )
                top -= 0.14
            ax.text(
                n["x"] + 0.08,
                top,
                "\n".join(lines[node]),
                ha="left",
                va="top",
                fontsize=8,
                linespacing=1.15,
                zorder=4,
            )

        pair_count: dict[tuple[str, str], int] = defaultdict(int)
        for u, v, k, d in sorted(graph.edges(keys=True, data=True)):
            modality = d.get("modality", "realised")
            style, colour = MODALITY_STYLE.get(modality, ("-", "#999999"))
            a, b = nodes[u], nodes[v]
            forward = b["column"] > a["column"]
            start = (
                (a["x"] + a["w"], a["y"] + a["h"] / 2) if forward else (a["x"] + a["w"] / 2, a["y"])
            )
            end = (
                (b["x"], b["y"] + b["h"] / 2) if forward else (b["x"] + b["w"] / 2, b["y"] + b["h"])
            )
            bend = 0.15 * pair_count[(u, v)] + (0.0 if forward else 0.4)
            pair_count[(u, v)] += 1
            arrow = FancyArrowPatch(
                start,
                end,
                arrowstyle="-|>" if k == "cskg:enabled" else "->",
                mutation_scale=11,
                linestyle=style,
                color=colour,
                linewidth=1.3,
                connectionstyle=f"arc3,rad={bend}",
                zorder=2,
                alpha=0.85,
            )
            arrow.set_gid(f"edge/{modality}/{compact(u)}/{compact(v)}")
            ax.add_patch(arrow)
            edges.append(
                {
                    "source": u,
                    "target": v,
                    "key": k,
                    "modality": modality,
                    "linestyle": style,
                    "color": colour,
                    "artist": arrow,
                }
            )

        class_handles = [
            Patch(
                facecolor=_tint(class_colour[c]),
                edgecolor=class_colour[c],
                label=next(d["class_label"] for d in nodes.values() if d["class"] == c),
            )
            for c in classes
        ]
        used = sorted({e["modality"] for e in edges}, key=list(MODALITY_STYLE).index)
        edge_handles = [
            Line2D(
                [],
                [],
                linestyle=MODALITY_STYLE[m][0],
                color=MODALITY_STYLE[m][1],
                linewidth=1.5,
                label=text["forecast_modality" if m == "forecast" else m],
            )
            for m in used
        ]
        legend_ax = fig.add_axes((0, 0, 1, legend_h / fig_h))
        legend_ax.set_axis_off()
        legend_ax.legend(
            handles=edge_handles,
            title=text["modality"],
            loc="upper right",
            bbox_to_anchor=(0.99, 1),
            frameon=False,
            fontsize=9,
        )
        legend_ax.add_artist(legend_ax.legend_)  # keep both legends
        legend_ax.legend(
            handles=class_handles,
            title=text["class"],
            loc="upper left",
            bbox_to_anchor=(0.01, 1),
            ncols=class_cols,
            frameon=False,
            fontsize=9,
        )
        fig.text(0.01, 0.01, text["impact_note"], fontsize=8, color="#555555")
        fig.text(
            0.3 / total_w,
            1 - 0.3 / fig_h,
            title,
            ha="left",
            va="center",
            fontsize=15,
            fontweight="bold",
        )
    layout = {
        "scope": scope,
        "nodes": nodes,
        "edges": edges,
        "columns": headings,
        "classes": class_colour,
    }
    return Chart("impact", fig, title, {}, [], layout, lang=lang)


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
