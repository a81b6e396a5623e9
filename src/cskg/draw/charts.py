"""The statistical charts of the paper's tables: the market chart (Tables 1 and 3) and the
product mix (Tables 2 and 4).

Every number drawn comes from SPARQL over the Data Cube observations of the release; nothing is
typed in here. Each `plot_*` function returns a `Chart`: the matplotlib figure together with the
data it drew, so that tests (and users) can check the picture against the graph without reading
pixels.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cskg.draw.figure import (
    TEXT,
    Cell,
    Chart,
    capital,
    colours,
    effective_lang,
    new_figure,
    source_note,
    styled,
)
from cskg.errors import CskgError
from cskg.release import Release, local_name
from cskg.vocab import PAPER_DOI, sparql_prologue

if TYPE_CHECKING:
    from cskg.query.model import QueryStore


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


def table_name(dataset_iri: str) -> str:
    """`Table 3` for dataset:table-3 (the datasets are named after the paper's tables)."""
    name = local_name(dataset_iri)
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


def read_cells(store: QueryStore, tables: list[str]) -> list[Cell]:
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


def read_labels(release: Release, iris: set[str], lang: str) -> dict[str, str]:
    """A label per IRI (`cskg.release`'s rule), the local name when there is none."""
    return {iri: release.label(iri, lang) for iri in iris}


# -- market: Tables 1 and 3 -------------------------------------------------------------------


def plot_market(dist: Path, *, lang: str = "en") -> Chart:
    """Market size and growth, China vs. global, actual (Table 1) vs. forecast (Table 3).

    Two panels sharing the year axis. Upper: market size, China on the left y-axis (billion
    yuan) and global on the right y-axis (billion US dollars), each axis in its area's colour.
    Lower: growth rates in percent. Actual figures are solid lines with filled markers,
    forecasts dashed lines with open markers on a shaded background; a thin dotted line
    joins the last actual to the first forecast.
    """
    lang = effective_lang(lang)
    cells, labels = _read_tables(Path(dist), ["table-1", "table-3"], lang)
    text = TEXT[lang]
    market = _Market(cells, labels)
    areas, years = market.areas, market.years
    actual_years = sorted({c.year for c in cells if local_name(c.status) == "actual"})
    title = text["market_title"].format(first=years[0], last=years[-1])
    with styled(lang):
        fig = new_figure(figsize=(10, 8), layout="constrained")
        ax_size, ax_growth = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
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
        market.draw_series(panels)
        market.size_axes(size_axes, text)
        market.growth_axis(ax_growth, text)
        for ax in (ax_size, ax_growth):
            ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        market.legend(ax_size, lang)
        ax_size.set_title(text["market_note"], fontsize=9, color="#555555")
        _titles(fig, title, cells, lang)
    return Chart("market", fig, title, dict(market.series), cells, lang=lang)


class _Market:
    """The series of the market chart, by (area, measure, status), and how each is drawn."""

    def __init__(self, cells: list[Cell], labels: dict[str, str]) -> None:
        self.cells, self.labels = cells, labels
        self.series: dict[tuple[str, str, str], list[tuple[int, float]]] = defaultdict(list)
        self.printed: dict[tuple[str, str, int], str] = {}
        self.units: dict[tuple[str, str], str] = {}
        for cell in sorted(cells, key=lambda c: (c.area, c.measure, c.year)):
            key = (local_name(cell.area), local_name(cell.measure), local_name(cell.status))
            self.series[key].append((cell.year, cell.value))
            self.printed[(key[0], key[1], cell.year)] = cell.printed
            self.units[(key[0], key[1])] = labels[cell.unit]
        self.area_iri = {local_name(c.area): c.area for c in cells}
        self.measure_iri = {local_name(c.measure): c.measure for c in cells}
        # China first (the paper's subject, left axis), then the other areas
        self.areas = sorted(self.area_iri, key=lambda a: (a != "china", a))
        self.colour = colours(self.areas)
        self.years = sorted({c.year for c in cells})

    def name(self, area: str) -> str:
        return self.labels[self.area_iri[area]]

    def measure(self, measure: str) -> str:
        return self.labels[self.measure_iri[measure]]

    def draw_series(self, panels: dict[str, dict[str, Any]]) -> None:
        """Each series with its printed figures, and dotted bridges from each series' last
        actual point to its first forecast point."""
        for (area, measure, status), points in sorted(self.series.items()):
            ax = panels[measure][area]
            forecast = status != "actual"
            xs, ys = zip(*points, strict=True)
            (line,) = ax.plot(
                xs,
                ys,
                linestyle="--" if forecast else "-",
                marker="o",
                markersize=6,
                markerfacecolor="white" if forecast else self.colour[area],
                color=self.colour[area],
                linewidth=2,
                label=f"{self.name(area)} {self.measure(measure)} {status}",
            )
            line.set_gid(f"{area}/{measure}/{status}")
            for x, y in points:
                ax.annotate(
                    self.printed[(area, measure, x)],
                    (x, y),
                    textcoords="offset points",
                    xytext=(0, 8),
                    ha="center",
                    fontsize=8,
                    color=self.colour[area],
                )
        for (area, measure, status), points in sorted(self.series.items()):
            before = self.series.get((area, measure, "actual"))
            if status != "actual" and before:
                (bridge,) = panels[measure][area].plot(
                    [before[-1][0], points[0][0]],
                    [before[-1][1], points[0][1]],
                    linestyle=":",
                    color=self.colour[area],
                    linewidth=1,
                )
                bridge.set_gid(f"bridge/{area}/{measure}")

    def size_axes(self, size_axes: dict[str, Any], text: dict[str, str]) -> None:
        """One market-size axis per area, in its colour and unit."""
        for area, ax in size_axes.items():
            ax.set_ylabel(
                text["size_axis"].format(
                    area=self.name(area),
                    measure=self.measure("marketSize"),
                    unit=self.units[(area, "marketSize")],
                ),
                color=self.colour[area],
            )
            ax.tick_params(axis="y", colors=self.colour[area])
            highest = max(
                v
                for (a, m, _), pts in self.series.items()
                if a == area and m == "marketSize"
                for _, v in pts
            )
            ax.set_ylim(0, highest * 1.15)

    def growth_axis(self, ax: Any, text: dict[str, str]) -> None:
        growth_units = {u for (a, m), u in self.units.items() if m == "growthRate"}
        ax.set_ylabel(
            text["growth"].format(
                measure=capital(self.measure("growthRate")),
                unit=", ".join(sorted(growth_units)),
            )
        )
        growth_max = max(
            v for (a, m, _), pts in self.series.items() if m == "growthRate" for _, v in pts
        )
        ax.set_ylim(0, growth_max * 1.2)
        ax.set_xlabel(text["year"])
        ax.set_xticks(self.years)
        ax.set_xlim(self.years[0] - 0.5, self.years[-1] + 0.5)

    def legend(self, ax: Any, lang: str) -> None:
        """Colour = area, line style = actual or forecast (with the source tables)."""
        from matplotlib.lines import Line2D

        handles = [
            Line2D([], [], color=self.colour[a], linewidth=2, label=self.name(a))
            for a in self.areas
        ]
        for status, tables in _tables_by_status(self.cells, lang).items():
            forecast = status != "actual"
            handles.append(
                Line2D(
                    [],
                    [],
                    color="#444444",
                    linestyle="--" if forecast else "-",
                    marker="o",
                    markerfacecolor="white" if forecast else "#444444",
                    label=TEXT[lang]["forecast_of" if forecast else "actual_of"].format(
                        tables=tables
                    ),
                )
            )
        ax.legend(handles=handles, loc="upper left", frameon=False)


# -- mix: Tables 2 and 4 ----------------------------------------------------------------------


def plot_mix(dist: Path, *, lang: str = "en") -> Chart:
    """Hardware, software and service shares as stacked bars, one bar per area and year.

    Actual bars (Table 2) first, the global one before China's, then China's forecasts
    (Table 4), which are hatched, lighter and set apart by a gap. Each segment carries its
    share as printed.
    """
    lang = effective_lang(lang)
    cells, labels = _read_tables(Path(dist), ["table-2", "table-4"], lang)
    text = TEXT[lang]
    series: dict[tuple[str, str, str], list[tuple[int, float]]] = defaultdict(list)
    by_bar: dict[tuple[str, str, int], dict[str, Cell]] = defaultdict(dict)
    for cell in sorted(cells, key=lambda c: (c.area, str(c.segment), c.year)):
        if cell.segment is None:
            raise CskgError(f"{cell.observation} has no cskg:productSegment")
        status = local_name(cell.status)
        series[(local_name(cell.area), local_name(cell.segment), status)].append(
            (cell.year, cell.value)
        )
        by_bar[(status, local_name(cell.area), cell.year)][cell.segment] = cell
    # the largest segment at the bottom: hardware, software, service
    totals: dict[str, float] = defaultdict(float)
    for cell in cells:
        totals[cell.segment or ""] += cell.value
    segments = sorted(totals, key=lambda s: -totals[s])
    colour = colours(segments)
    bars = sorted(by_bar, key=lambda b: (b[0] != "actual", b[1] != "global", b[1], b[2]))
    # a gap between the actual and the forecast bars
    positions, x = [], 0.0
    for i, bar in enumerate(bars):
        if i and bar[0] != bars[i - 1][0]:
            x += 0.6
        positions.append(x)
        x += 1.0

    title = text["mix_title"]
    with styled(lang):
        fig = new_figure(figsize=(9, 6.5), layout="constrained")
        ax = fig.subplots()
        top = _draw_mix_bars(ax, by_bar, bars, positions, segments, colour, labels)
        _mix_axes(ax, cells, bars, positions, labels, text)
        ax.set_ylim(0, top * 1.02)
        ax.spines["right"].set_visible(False)
        _mix_legend(ax, cells, segments, colour, labels, lang)
        _titles(fig, title, cells, lang)
    return Chart("mix", fig, title, dict(series), cells, lang=lang)


def _draw_mix_bars(
    ax: Any,
    by_bar: dict[tuple[str, str, int], dict[str, Cell]],
    bars: list[tuple[str, str, int]],
    positions: list[float],
    segments: list[str],
    colour: dict[str, str],
    labels: dict[str, str],
) -> float:
    """The stacked segments of every bar, each with its printed share; the highest top."""
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
            patch.set_gid(f"{area}/{year}/{local_name(segment)}/{status}")
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
    return max(bottoms)


def _mix_axes(
    ax: Any,
    cells: list[Cell],
    bars: list[tuple[str, str, int]],
    positions: list[float],
    labels: dict[str, str],
    text: dict[str, str],
) -> None:
    area_iri = {local_name(c.area): c.area for c in cells}
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
            measure=capital(", ".join(sorted(measure))), unit=", ".join(sorted(unit))
        )
    )


def _mix_legend(
    ax: Any,
    cells: list[Cell],
    segments: list[str],
    colour: dict[str, str],
    labels: dict[str, str],
    lang: str,
) -> None:
    """Colour = segment; hatching = forecast (with the source tables)."""
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=colour[s], label=labels[s]) for s in segments]
    for status, tables in _tables_by_status(cells, lang).items():
        forecast = status != "actual"
        handles.append(
            Patch(
                facecolor="#bbbbbb",
                edgecolor="white",
                hatch="//" if forecast else None,
                label=TEXT[lang]["forecast_of" if forecast else "actual_of"].format(tables=tables),
            )
        )
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)


# -- shared by both charts ------------------------------------------------------------------


def _read_tables(dist: Path, tables: list[str], lang: str) -> tuple[list[Cell], dict[str, str]]:
    """The cells of `tables` and the labels of the areas, segments, measures and units."""
    with Release.open(dist) as release:
        cells = read_cells(release.store, tables)
        named = {c.area for c in cells} | {c.measure for c in cells} | {c.unit for c in cells}
        named |= {c.segment for c in cells if c.segment}
        return cells, read_labels(release, named, lang)


def _tables_by_status(cells: list[Cell], lang: str) -> dict[str, str]:
    """actual / forecast → the names of the tables printing them, in order."""
    tables: dict[str, set[str]] = defaultdict(set)
    for cell in cells:
        tables[local_name(cell.status)].add(cell.dataset)
    return {status: tables_text(sorted(tables[status]), lang) for status in sorted(tables)}


def _titles(fig: Any, title: str, cells: list[Cell], lang: str) -> None:
    """The chart's title and, at its foot, the tables and the paper it draws."""
    fig.suptitle(title, fontsize=13, fontweight="bold")
    source_note(
        fig,
        TEXT[lang]["source"].format(
            tables=tables_text([c.dataset for c in cells], lang), doi=PAPER_DOI
        ),
    )
