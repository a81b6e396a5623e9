"""Orthogonal edge routing for a picture of boxes in columns (the impact picture).

Why a router of our own rather than a layered layout program (Graphviz `dot`): the impact
picture's columns are fixed by dates and causal depth, which `dot` would only approximate with
rank constraints, and `dot` would add the system Graphviz and pygraphviz to a tool that
otherwise installs from wheels alone. The columns leave empty vertical gaps between them, and
the boxes of a column leave free horizontal gaps between them; an edge that travels only
through those can never pass under a box. That is what `dot` does with its virtual nodes (one
per rank an edge crosses), here with straight segments:

- an edge leaves its source at the right side, at a port of its own (the ports of a side are
  spread in the order of the boxes they lead to, so edges do not cross at the box);
- it runs in a lane of its own in the gap right of the source's column, rises or falls there
  to a free height of the next column, crosses that column horizontally through the free
  height, and so on, column by column;
- it enters its target at the left side, from the gap left of the target's column.

An edge to the same or an earlier column (only in a picture of a whole view, where causal
cycles exist) goes the same way leftwards: it crosses the columns between, including its own
and its target's, at free heights, and turns into the target's left side from the gap left of
it. Every segment is horizontal or vertical, so a test can check exactly that no segment meets
a box other than the edge's own two.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

Point = tuple[float, float]

#: the least distance kept between an edge crossing a column and the boxes above and below it
CLEARANCE = 0.05
#: the least distance between two edges crossing the same column (where there is room)
SPACING = 0.05
#: the part of a gap at each side kept free of lanes: room for the arrow heads
GAP_MARGIN = 0.12


@dataclass(frozen=True)
class Box:
    """A box of the picture: lower left corner, size (data units), and its column."""

    x: float
    y: float
    w: float
    h: float
    column: int


@dataclass
class Grid:
    """The columns of the picture: where each begins (`lefts`), how wide a column is, where
    the space right of the last one ends, and the heights the edges may use."""

    lefts: list[float]
    width: float
    right: float
    bottom: float
    top: float

    def gap_span(self, gap: int) -> tuple[float, float]:
        """The x range of gap `gap`, the one right of column `gap` (-1: left of column 0)."""
        if gap < 0:
            return 0.0, self.lefts[0]
        end = self.lefts[gap + 1] if gap + 1 < len(self.lefts) else self.right
        return self.lefts[gap] + self.width, end


def passes(source: int, target: int) -> list[int]:
    """The gaps an edge from column `source` to column `target` runs in, in order: rightwards
    from the source's right gap to the target's left gap; to the same or an earlier column,
    leftwards from the source's right gap to the target's left gap."""
    return list(range(source, target)) if target > source else list(range(source, target - 2, -1))


def lanes_needed(edges: list[tuple[int, int]]) -> Counter[int]:
    """How many lanes each gap needs for edges between these (source, target) columns."""
    return Counter(gap for source, target in edges for gap in passes(source, target))


@dataclass
class _Route:
    """An edge's way before its lanes are known: gaps passed and the heights between them."""

    source: str
    target: str
    forward: bool  # to a column right of the source's
    gaps: list[int]
    heights: list[float] = field(default_factory=list)  # start, one per column crossed, end


def _free_heights(boxes: list[Box], grid: Grid) -> list[tuple[float, float]]:
    """The intervals of a column's height that no box (with its clearance) covers."""
    free, y = [], grid.bottom
    for box in sorted(boxes, key=lambda b: b.y):
        if box.y - CLEARANCE > y:
            free.append((y, box.y - CLEARANCE))
        y = max(y, box.y + box.h + CLEARANCE)
    if grid.top > y:
        free.append((y, grid.top))
    return free


def _crossing(free: list[tuple[float, float]], want: float, used: list[float]) -> float:
    """A free height near `want`, apart from the heights other edges already use here."""
    candidates = []
    for low, high in free:
        here = min(max(want, low), high)
        candidates.append(here)
        for other in used:  # just above or below an edge already crossing here
            candidates += [v for v in (other + SPACING, other - SPACING) if low <= v <= high]
    if not candidates:
        raise ValueError("a column has no free height for an edge to cross it")

    def cost(y: float) -> tuple[bool, float]:
        return (any(abs(y - u) < SPACING - 1e-9 for u in used), abs(y - want))

    return min(candidates, key=cost)


def _ports(
    boxes: dict[str, Box], edges: list[tuple[str, str]]
) -> tuple[dict[int, float], dict[int, float]]:
    """The height at which edge i leaves its source and enters its target: each side's
    ports spread evenly, in the order of the heights of the boxes at the other ends."""
    out_edges: dict[str, list[int]] = defaultdict(list)
    in_edges: dict[str, list[int]] = defaultdict(list)
    for i, (u, v) in enumerate(edges):
        out_edges[u].append(i)
        in_edges[v].append(i)
    start: dict[int, float] = {}
    end: dict[int, float] = {}
    for ends, ports, other in ((out_edges, start, 1), (in_edges, end, 0)):
        for node, indices in ends.items():
            box = boxes[node]
            indices.sort(key=lambda i: (-boxes[edges[i][other]].y, i))  # top to bottom
            for rank, i in enumerate(indices):
                ports[i] = box.y + box.h - box.h * (rank + 1) / (len(indices) + 1)
    return start, end


def route(boxes: dict[str, Box], edges: list[tuple[str, str]], grid: Grid) -> list[list[Point]]:
    """The polyline of each edge (source, target), in the order given."""
    by_column: dict[int, list[Box]] = defaultdict(list)
    for box in boxes.values():
        by_column[box.column].append(box)
    free = {c: _free_heights(by_column[c], grid) for c in range(len(grid.lefts))}
    used: dict[int, list[float]] = defaultdict(list)
    start, end = _ports(boxes, edges)
    routes = []
    for i, (u, v) in enumerate(edges):
        cu, cv = boxes[u].column, boxes[v].column
        gaps = passes(cu, cv)
        crossed = [g + 1 if cv > cu else g for g in gaps[:-1]]  # the columns between the gaps
        r = _Route(u, v, cv > cu, gaps, [start[i]])
        for k, column in enumerate(crossed):
            remaining = len(crossed) - k
            want = r.heights[-1] + (end[i] - r.heights[-1]) / (remaining + 1)
            y = _crossing(free[column], want, used[column])
            used[column].append(y)
            r.heights.append(y)
        r.heights.append(end[i])
        routes.append(r)
    lanes = _lanes(routes, grid)
    return [_polyline(r, boxes, lanes[i]) for i, r in enumerate(routes)]


def _lanes(routes: list[_Route], grid: Grid) -> list[list[float]]:
    """The x of each route's lane in each gap it passes: one lane per route and gap, spread
    over the gap in the order of `_lane_order`."""
    in_gap: dict[int, list[tuple[int, int]]] = defaultdict(list)  # gap → (route, step)
    for i, r in enumerate(routes):
        for step, gap in enumerate(r.gaps):
            in_gap[gap].append((i, step))
    lanes: list[list[float]] = [[0.0] * len(r.gaps) for r in routes]
    for gap, members in in_gap.items():
        low, high = grid.gap_span(gap)
        margin = min(GAP_MARGIN, (high - low) / 4)
        low, high = low + margin, high - margin

        members.sort(key=lambda member: _lane_order(routes[member[0]], member[1]) + member)
        for rank, (i, step) in enumerate(members):
            lanes[i][step] = low + (high - low) * (rank + 1) / (len(members) + 1)
    return lanes


def _lane_order(r: _Route, step: int) -> tuple[int, float, float]:
    """Where a route's lane goes in a gap, left to right, so that routes cross as little as
    they can: a route comes in at one height from one side and leaves at another to the other
    side. Of the routes going right and up, the one leaving highest keeps left (its way out
    then passes over the others' lanes, not through them), and the one coming in lowest; of
    those going down, the one leaving lowest; routes going left mirror this, after them."""
    come, leave = r.heights[step], r.heights[step + 1]
    up = leave >= come
    if r.forward:
        return (0, -leave, come) if up else (1, leave, -come)
    return (2, leave, -come) if up else (3, -leave, come)


def _polyline(r: _Route, boxes: dict[str, Box], lanes: list[float]) -> list[Point]:
    source, target = boxes[r.source], boxes[r.target]
    points: list[Point] = [(source.x + source.w, r.heights[0])]
    for step, x in enumerate(lanes):
        points.append((x, r.heights[step]))
        points.append((x, r.heights[step + 1]))
    points.append((target.x, r.heights[-1]))
    # drop the corners of straight runs (a lane at the height the edge already has)
    kept = [points[0]]
    for point in points[1:]:
        if point != kept[-1]:
            kept.append(point)
    return kept
