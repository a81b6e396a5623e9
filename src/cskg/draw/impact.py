"""The policy-impact picture: policies and events by year on the left, what they led to in
columns of causal depth on the right, drawn from the networkx policy-impact view.

Boxes take their colours and edges their lines from `cskg.style`, as every picture does; edges
are routed through the gaps between columns and boxes by `cskg.draw.routing` (which says why
this and not a layered layout program), each gap made wide enough for a lane per edge.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from cskg.draw.figure import (
    OPENING,
    TEXT,
    Chart,
    class_name,
    effective_lang,
    fit_width,
    modality_names,
    new_figure,
    styled,
    wrap,
)
from cskg.draw.routing import GAP_MARGIN, Box, Grid, lanes_needed, route
from cskg.errors import CskgError
from cskg.release import Release
from cskg.style import MODALITY_STYLES, class_colour, modality_style
from cskg.vocab import CSKG, sparql_prologue

#: the classes whose instances start the chains of the default scope (with their subclasses)
ROOT_CLASSES = (CSKG + "Policy", CSKG + "Event")

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
#: a box's line in columns (`cskg.draw.figure.wrap`): a Chinese character, two columns, is
#: narrower than two Latin letters on average, so a Chinese line holds a few columns more
WRAP = {"en": 27, "zh": 30}
MAX_LINES = 4
HEADER = 0.7


def _tint(colour: str, amount: float = 0.75) -> str:
    """`colour` mixed with white: an opaque box fill that hides the edges passing behind it."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in rgb)


def _short(label: str, width: int, lines: int) -> list[str]:
    """`label` wrapped, at most `lines` lines: a longer one cut with "…" (never after an
    opening bracket or quote)."""
    wrapped = wrap(label, width).split("\n")
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        last = wrapped[-1][: max(1, len(wrapped[-1]) - 1)].rstrip()
        wrapped[-1] = (last.rstrip("".join(OPENING)) or last) + "…"
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

    Boxes are coloured by class (`cskg.style`); edges are styled by the modality of their
    causal claim, routed through the gaps between boxes (`cskg.draw.routing`), and their arrow
    head shows the relation (filled: enabled; open: contributed to). `start` names policies or
    events (IRIs, prefixed names or labels, as `cskg describe` takes them): only they and what
    followed from them are drawn. A picture of more than `MAX_IMPACT_BOXES` boxes is refused
    (`CskgError`) before it is drawn.
    """
    lang = effective_lang(lang)
    if start and scope != "policies":
        raise CskgError("chosen policies or events (--from) draw what followed from them only")
    graph, dates, date_source, modalities = _impact_graph(Path(dist), lang, scope, start)
    text = TEXT[lang]
    layout = _layout(graph, dates, date_source, text, lang)
    title = text["impact_title"]
    with styled(lang):
        fig = new_figure(figsize=(layout.width, layout.figure_height))
        ax = fig.add_axes(
            (
                0,
                layout.legend_height / layout.figure_height,
                1,
                layout.height / layout.figure_height,
            )
        )
        ax.set_xlim(0, layout.width)
        ax.set_ylim(0, layout.height)
        ax.set_axis_off()
        _draw_headings(ax, layout)
        _draw_boxes(ax, layout)
        edges = _draw_edges(ax, graph, layout)
        _draw_legends(fig, layout, edges, text, modalities)
        fig.text(
            0.3 / layout.width,
            1 - 0.3 / layout.figure_height,
            title,
            ha="left",
            va="center",
            fontsize=15,
            fontweight="bold",
        )
    drawn = {
        "scope": scope,
        "nodes": layout.nodes,
        "edges": edges,
        "columns": layout.headings,
        "classes": layout.class_colour,
    }
    return Chart("impact", fig, title, {}, [], drawn, lang=lang)


def _impact_graph(
    dist: Path, lang: str, scope: str, start: Sequence[str]
) -> tuple[Any, dict[str, str], dict[str, str], dict[str, str]]:
    """The part of the policy-impact view drawn, the date of each of its nodes, where that
    date comes from ("own", "event" or "whole"), and the names of the modalities."""
    from cskg.export.graph import to_networkx
    from cskg.query.describe import resolve
    from cskg.query.results import compact

    view = to_networkx(dist, "policy-impact", lang=lang)
    with Release.open(dist) as release:
        root_classes = {compact(c) for c in release.subclasses(ROOT_CLASSES)}
        roots = {n for n, d in view.nodes(data=True) if set(d["types"].split()) & root_classes}
        if start:
            chosen = {resolve(release, term) for term in start}
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
        dates, date_source = _dates(release, graph)
        modalities = modality_names(release, lang)
    if graph.number_of_nodes() == 0:
        raise CskgError("the policy-impact view is empty")
    return graph, dates, date_source, modalities


def _dates(release: Release, graph: Any) -> tuple[dict[str, str], dict[str, str]]:
    """The date of each node of `graph` that has one, and where it comes from."""
    values = " ".join(f"<{n}>" for n in sorted(graph))
    dates: dict[str, str] = {}
    date_source: dict[str, str] = {}
    query = sparql_prologue() + DATES_QUERY % values
    for row in release.store.query(query, asserted=True).dicts():
        for source, var in (("own", "date"), ("event", "byEvent"), ("whole", "byWhole")):
            if var in row:
                dates[row["node"].value] = row[var].value
                date_source[row["node"].value] = source
                break
    return dates, date_source


@dataclass
class _Layout:
    """Where every box of the impact picture goes, in inches."""

    nodes: dict[str, dict[str, Any]]  # node → its box and what it shows
    lines: dict[str, list[str]]  # node → the lines of its label
    headings: list[str]
    width: float
    height: float  # of the boxes' area
    class_colour: dict[str, str]
    class_columns: int  # of the class legend
    legend_height: float
    figure_height: float

    lefts: list[float]  # where each column begins
    right: float  # where the space right of the last column ends

    def grid(self) -> Grid:
        """The columns, for the edge router: edges may use the height below the headings."""
        return Grid(self.lefts, BOX_WIDTH, self.right, 0.0, self.height - HEADER)


#: the least space left of the first column and right of the last
MARGIN = 0.3
#: the narrowest picture: room for the title, the legends and the note under them
MIN_WIDTH = 8.0
#: a gap's width per edge running in it (each has a lane of its own), and the widest gap
LANE = 0.05
MAX_GAP = 3.0


def _column_lefts(graph: Any, column: dict[str, int], columns: int) -> tuple[list[float], float]:
    """Where each column begins, and where the space after the last ends: each gap wide
    enough for a lane per edge that runs in it (`cskg.draw.routing`), within limits."""
    need = lanes_needed([(column[u], column[v]) for u, v in graph.edges()])

    def room(gap: int, least: float) -> float:
        return max(least, min(MAX_GAP, 2 * GAP_MARGIN + LANE * (need[gap] + 1)))

    lefts, x = [], room(-1, MARGIN)
    for c in range(columns):
        lefts.append(x)
        x += BOX_WIDTH + room(c, COLUMN_GAP if c < columns - 1 else MARGIN)
    return lefts, x


def _layout(
    graph: Any, dates: dict[str, str], date_source: dict[str, str], text: dict[str, str], lang: str
) -> _Layout:
    column, headings, first_effect = _columns(graph, dates, text)
    key = {n: (dates.get(n, "9999"), graph.nodes[n].get("label", n)) for n in graph}
    columns = _order(graph, column, first_effect, key)
    lines = {n: _short(graph.nodes[n].get("label", n), WRAP[lang], MAX_LINES) for n in graph}
    height = {
        n: len(lines[n]) * LINE_HEIGHT + 2 * BOX_PAD + (0.14 if n in dates else 0) for n in graph
    }
    col_height = {
        c: sum(height[n] for n in ns) + ROW_GAP * (len(ns) - 1) for c, ns in columns.items()
    }
    total_h = max(col_height.values()) + HEADER + 0.3
    lefts, right = _column_lefts(graph, column, len(headings))
    total_w = max(MIN_WIDTH, right)
    nodes: dict[str, dict[str, Any]] = {}
    for c, members in columns.items():
        y = (total_h - HEADER + col_height[c]) / 2  # columns centred vertically
        for node in members:
            data = graph.nodes[node]
            nodes[node] = {
                "x": lefts[column[node]],
                "y": y - height[node],
                "w": BOX_WIDTH,
                "h": height[node],
                "column": column[node],
                "label": data.get("label", node),
                "class": data.get("class", ""),
                "class_label": class_name(
                    data.get("class", ""), data.get("class_label", data.get("class", "")), lang
                ),
                "date": dates.get(node),
                "date_source": date_source.get(node),
            }
            y -= height[node] + ROW_GAP
    classes = sorted(
        {d["class"] for d in nodes.values()},
        key=lambda c: (-sum(d["class"] == c for d in nodes.values()), c),
    )
    # class legend: one column per 2.6 inches, less the modality legend's corner
    class_cols = min(max(1, int(total_w // 2.6) - 1), len(classes))
    legend_h, title_h = 0.9 + 0.3 * -(-len(classes) // class_cols), 0.6
    return _Layout(
        nodes,
        lines,
        headings,
        total_w,
        total_h,
        {c: class_colour(c) for c in classes},
        class_cols,
        legend_h,
        total_h + legend_h + title_h,
        lefts,
        right,
    )


def _draw_headings(ax: Any, layout: _Layout) -> None:
    """The column headings, and the time axis over the year columns."""
    for c, heading in enumerate(layout.headings):
        x = layout.lefts[c] + BOX_WIDTH / 2
        ax.text(
            x,
            layout.height - 0.35,
            heading,
            ha="center",
            va="center",
            fontsize=11,
            fontweight="bold",
            color="#444444",
        )
    dated = sum(1 for h in layout.headings if h[:1].isdigit())
    if dated > 1:  # the time axis spans the year columns only
        ax.annotate(
            "",
            xy=(layout.lefts[dated - 1] + BOX_WIDTH, layout.height - 0.6),
            xytext=(0.2, layout.height - 0.6),
            arrowprops={"arrowstyle": "->", "color": "#999999"},
        )


def _draw_boxes(ax: Any, layout: _Layout) -> None:
    """One box per node: its date (starred when not its own) and its label."""
    from matplotlib.patches import FancyBboxPatch

    from cskg.query.results import compact

    for node, n in layout.nodes.items():
        colour = layout.class_colour[n["class"]]
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
            date = ax.text(
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
            date.set_gid(f"date/{compact(node)}")
            top -= 0.14
        label = ax.text(
            n["x"] + 0.08,
            top,
            "\n".join(layout.lines[node]),
            ha="left",
            va="top",
            fontsize=8,
            linespacing=1.15,
            zorder=4,
        )
        label.set_gid(f"label/{compact(node)}")


def _draw_edges(ax: Any, graph: Any, layout: _Layout) -> list[dict[str, Any]]:
    """One arrow per causal edge along its route, styled by its modality; what was drawn,
    with each edge's route (`path`: the polyline's points, in the boxes' units)."""
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path as Polyline

    from cskg.query.results import compact

    drawn = sorted(graph.edges(keys=True, data=True))
    boxes = {
        node: Box(n["x"], n["y"], n["w"], n["h"], n["column"]) for node, n in layout.nodes.items()
    }
    paths = route(boxes, [(u, v) for u, v, _, _ in drawn], layout.grid())
    edges: list[dict[str, Any]] = []
    for (u, v, k, d), path in zip(drawn, paths, strict=True):
        modality = d.get("modality", "realised")
        style = modality_style(modality)
        arrow = FancyArrowPatch(
            path=Polyline(path),
            arrowstyle="-|>" if k == "cskg:enabled" else "->",
            mutation_scale=11,
            linestyle=style.matplotlib,
            color=style.colour,
            linewidth=1.3,
            joinstyle="round",
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
                "linestyle": style.matplotlib,
                "color": style.colour,
                "path": path,
                "artist": arrow,
            }
        )
    return edges


def _draw_legends(
    fig: Any,
    layout: _Layout,
    edges: list[dict[str, Any]],
    text: dict[str, str],
    modalities: dict[str, str],
) -> None:
    """The legends of the modalities and of the classes, and the note under them."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.typing import LineStyleType

    class_handles = [
        Patch(
            facecolor=_tint(colour),
            edgecolor=colour,
            label=next(d["class_label"] for d in layout.nodes.values() if d["class"] == c),
        )
        for c, colour in layout.class_colour.items()
    ]
    used = [m for m in MODALITY_STYLES if any(e["modality"] == m for e in edges)]
    edge_handles = [
        Line2D(
            [],
            [],
            linestyle=cast(LineStyleType, MODALITY_STYLES[m].matplotlib),
            color=MODALITY_STYLES[m].colour,
            linewidth=1.5,
            label=modalities[m],
        )
        for m in used
    ]
    legend_ax = fig.add_axes((0, 0, 1, layout.legend_height / layout.figure_height))
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
        ncols=layout.class_columns,
        frameon=False,
        fontsize=9,
    )
    note = fig.text(0.01, 0.01, text["impact_note"], fontsize=8, color="#555555")
    fit_width(fig, note)
