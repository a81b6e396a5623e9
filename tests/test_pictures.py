"""How the pictures look, checked from their own data and artists (never from pixels): edges
routed clear of boxes, no text cut at an edge, Chinese pictures in Chinese with Chinese line
breaking, and one colour per class and one line per modality in every picture.
"""

from __future__ import annotations

import io
import itertools
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from matplotlib.colors import to_hex
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.text import Text

from cskg.draw.charts import plot_market, plot_mix
from cskg.draw.figure import CLOSING, OPENING, Chart, cjk_font, styled, wrap
from cskg.draw.impact import plot_impact
from cskg.draw.routing import Box
from cskg.query.engines import EmbeddedStore
from cskg.query.results import compact
from cskg.style import MODALITY_STYLES, STATED, class_colour, modality_style, rgb
from cskg.vocab import PAPER_DOI

LAW = "policy:cybersecurity-law-draft"
LATIN = re.compile(r"[A-Za-z]")

needs_cjk = pytest.mark.skipif(cjk_font() is None, reason="needs a font with Chinese glyphs")


def _pictures(release: Path, lang: str) -> dict[str, Chart]:
    return {
        "market": plot_market(release, lang=lang),
        "mix": plot_mix(release, lang=lang),
        "impact": plot_impact(release, lang=lang),
        "impact-all": plot_impact(release, lang=lang, scope="all"),
        "impact-law": plot_impact(release, lang=lang, start=[LAW]),  # one narrow column
    }


@pytest.fixture(scope="module")
def english(release: Path) -> dict[str, Chart]:
    return _pictures(release, "en")


@pytest.fixture(scope="module")
def chinese(release: Path) -> dict[str, Chart]:
    if cjk_font() is None:
        pytest.skip("needs a font with Chinese glyphs")
    return _pictures(release, "zh")


# -- geometry --------------------------------------------------------------------------------


def segment_meets_box(a: tuple[float, float], b: tuple[float, float], box: Box) -> bool:
    """Whether the segment a–b touches the closed rectangle `box` (Liang–Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    for p, q in (
        (-dx, a[0] - box.x),
        (dx, box.x + box.w - a[0]),
        (-dy, a[1] - box.y),
        (dy, box.y + box.h - a[1]),
    ):
        if p == 0:
            if q < 0:
                return False
        elif p < 0:
            t0 = max(t0, q / p)
        else:
            t1 = min(t1, q / p)
        if t0 > t1:
            return False
    return True


def test_the_geometric_test_itself() -> None:
    box = Box(1.0, 1.0, 2.0, 1.0, 0)
    assert segment_meets_box((0, 1.5), (4, 1.5), box)  # straight through
    assert segment_meets_box((0, 0), (1, 1), box)  # touches a corner
    assert segment_meets_box((1.5, 1.2), (1.6, 1.3), box)  # inside
    assert not segment_meets_box((0, 2.01), (4, 2.01), box)  # just above
    assert not segment_meets_box((0, 0), (0.99, 3), box)  # left of it
    assert not segment_meets_box((0, 0.5), (3.5, 0.9), box)  # slanted, below


def assert_routed_clear_of_boxes(chart: Chart) -> int:
    """Every edge of an impact chart: orthogonal segments from its source's right side to its
    target's left side, meeting no other box. The number of segments checked."""
    nodes = chart.layout["nodes"]
    boxes = {n: Box(d["x"], d["y"], d["w"], d["h"], d["column"]) for n, d in nodes.items()}
    checked = 0
    for edge in chart.layout["edges"]:
        path = edge["path"]
        source, target = boxes[edge["source"]], boxes[edge["target"]]
        assert path[0][0] == pytest.approx(source.x + source.w)
        assert source.y < path[0][1] < source.y + source.h
        assert path[-1][0] == pytest.approx(target.x)
        assert target.y < path[-1][1] < target.y + target.h
        assert path[-2][0] < path[-1][0]  # it enters from the left, into the left side
        others = [b for n, b in boxes.items() if n not in (edge["source"], edge["target"])]
        for a, b in itertools.pairwise(path):
            assert a[0] == b[0] or a[1] == b[1], (edge["source"], edge["target"], a, b)
            hit = [o for o in others if segment_meets_box(a, b, o)]
            assert not hit, (compact(edge["source"]), compact(edge["target"]), a, b, hit)
            checked += 1
    return checked


@pytest.mark.parametrize("name", ["impact", "impact-all", "impact-law"])
def test_impact_edges_never_pass_under_a_box(english: dict[str, Chart], name: str) -> None:
    chart = english[name]
    assert chart.layout["edges"]
    assert assert_routed_clear_of_boxes(chart) >= len(chart.layout["edges"])
    # the edges of a whole view include some to an earlier or the same column
    if name == "impact-all":
        nodes = chart.layout["nodes"]
        backward = [
            e
            for e in chart.layout["edges"]
            if nodes[e["target"]]["column"] <= nodes[e["source"]]["column"]
        ]
        assert backward, "the whole view has causal cycles: edges that go back"


@pytest.mark.slow
def test_impact_edges_clear_of_boxes_in_a_synthetic_release(
    tmp_path_factory: pytest.TempPathFactory, release: Path
) -> None:
    """Three synthetic papers: impact pictures three times the paper's (the whole view's
    432 boxes, near the most a picture holds)."""
    from cskg.build.pipeline import build
    from cskg.lab.synth import synth

    root = Path(__file__).resolve().parents[1]
    work = tmp_path_factory.mktemp("synth-pictures")
    synth(root, work / "corpus", 3, seed=5)
    build(work / "corpus", work / "dist", allow_invalid=True)
    for scope in ("policies", "all"):
        chart = plot_impact(work / "dist", scope=scope)
        paper = plot_impact(release, scope=scope)
        assert len(chart.layout["nodes"]) > 2 * len(paper.layout["nodes"])
        assert_routed_clear_of_boxes(chart)
        assert_no_text_cut(chart)


# -- text inside the figure ------------------------------------------------------------------


def drawn_texts(chart: Chart) -> tuple[list[Text], Any]:
    """The texts a saved figure shows, and the renderer that drew them: every visible,
    non-empty text artist, less the tick labels of ticks outside their axis' view (matplotlib
    keeps those artists but does not draw them)."""
    fig = chart.figure
    with styled(chart.lang):
        fig.savefig(io.BytesIO(), format="png", dpi=100)
    renderer = fig.canvas.get_renderer()
    undrawn: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in (*axis.get_major_ticks(), *axis.get_minor_ticks()):
                if not low - 1e-9 <= tick.get_loc() <= high + 1e-9:
                    undrawn |= {id(tick.label1), id(tick.label2)}
    texts = [
        t
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and id(t) not in undrawn
    ]
    return texts, renderer


def assert_no_text_cut(chart: Chart) -> None:
    texts, renderer = drawn_texts(chart)
    page = chart.figure.bbox
    assert texts
    for text in texts:
        box = text.get_window_extent(renderer)
        inside = (
            box.x0 >= page.x0 - 0.5
            and box.y0 >= page.y0 - 0.5
            and box.x1 <= page.x1 + 0.5
            and box.y1 <= page.y1 + 0.5
        )
        assert inside, (chart.kind, text.get_text(), box.extents, page.extents)
    if chart.kind == "impact":  # and a box's texts stay inside the box
        boxes = {a.get_gid(): a for a in chart.figure.findobj(FancyBboxPatch) if a.get_gid()}
        for text in texts:
            kind, _, node = (text.get_gid() or "").partition("/")
            if kind in ("label", "date"):
                outer = boxes[node].get_window_extent(renderer)
                inner = text.get_window_extent(renderer)
                assert outer.x0 < inner.x0 and inner.x1 < outer.x1, (node, text.get_text())
                assert outer.y0 < inner.y0 and inner.y1 < outer.y1, (node, text.get_text())


@pytest.mark.parametrize("name", ["market", "mix", "impact", "impact-all", "impact-law"])
def test_no_text_is_cut_at_the_edges(english: dict[str, Chart], name: str) -> None:
    assert_no_text_cut(english[name])


@needs_cjk
@pytest.mark.parametrize("name", ["market", "mix", "impact", "impact-all", "impact-law"])
def test_no_chinese_text_is_cut_at_the_edges(chinese: dict[str, Chart], name: str) -> None:
    assert_no_text_cut(chinese[name])


# -- Chinese ---------------------------------------------------------------------------------


def chinese_labels(release: Path, chart: Chart) -> dict[str, str]:
    """gid of each box's label text → the Chinese label of its node, from the graph view."""
    from cskg.export.graph import to_networkx

    view = to_networkx(release, "policy-impact", lang="zh")
    return {f"label/{compact(n)}": view.nodes[n].get("label_zh", "") for n in chart.layout["nodes"]}


@needs_cjk
@pytest.mark.parametrize("name", ["market", "mix", "impact", "impact-all", "impact-law"])
def test_chinese_pictures_speak_chinese(
    release: Path, chinese: dict[str, Chart], name: str
) -> None:
    """Titles, axes, legends, units, notes, headings and class and modality names: no Latin
    letter. The data's own names (a box's label, which may name TC260) and the paper's DOI are
    proper names and exempt; a box's label is its node's Chinese label."""
    chart = chinese[name]
    assert chart.lang == "zh"
    labels = chinese_labels(release, chart) if chart.kind == "impact" else {}
    texts, _ = drawn_texts(chart)
    interface = []
    for text in texts:
        shown = text.get_text()
        gid = text.get_gid() or ""
        if gid.startswith("label/"):
            assert labels[gid], f"{gid} has no Chinese label"
            flat = shown.replace("\n", "")
            assert labels[gid].replace(" ", "").startswith(flat.rstrip("…").replace(" ", ""))
            continue
        interface.append(shown.replace(f"doi:{PAPER_DOI}", ""))  # the paper's identifier
    latin = [t for t in interface if LATIN.search(t)]
    assert not latin, latin
    if chart.kind == "impact":  # the class and modality legends are there, in Chinese
        legend_texts = {t.get_text() for t in texts}
        assert {"类别", "模态"} <= legend_texts


def release_labels(release: Path) -> list[str]:
    query = """
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
    SELECT DISTINCT ?l WHERE { ?s rdfs:label|skos:prefLabel ?l }"""
    with EmbeddedStore(release / "store") as store:
        return [row[0].value for row in store.query(query).rows]


def test_wrapping_follows_chinese_line_breaking_rules(release: Path) -> None:
    labels = release_labels(release)
    chinese = [label for label in labels if re.search(r"[\u4e00-\u9fff]", label)]
    assert len(chinese) > 300 and any(ch in "".join(chinese) for ch in "（《“")
    words = re.compile(r"[0-9A-Za-z]+")
    broken = 0
    for label in labels:
        for width in (8, 14, 27):
            lines = wrap(label, width).split("\n")
            broken += len(lines) > 1
            for line in lines:
                assert line == line.strip() and line, (label, lines)
                assert line[-1] not in OPENING, (label, width, lines)
                assert line[0] not in CLOSING, (label, width, lines)
            # nothing lost or added but line breaks (and the spaces they replace)
            assert "".join(lines).replace(" ", "") == label.replace(" ", "").replace("\n", "")
            # a Latin word or number stays on one line
            for word in words.findall(label):
                assert any(word in line for line in lines), (word, lines)
            if re.search(r"[\u4e00-\u9fff]", label) and " " not in label:
                # Chinese breaks between characters: no line longer than it must be
                assert all(
                    len(line) <= width or words.fullmatch(line.rstrip("".join(CLOSING)))
                    for line in lines
                    if not words.search(line)
                ), (label, lines)
    assert broken > 1000


# -- one palette, one line style -------------------------------------------------------------


def test_same_class_same_colour_in_every_picture(
    release: Path, english: dict[str, Chart], tmp_path: Path
) -> None:
    from cskg.draw.interactive import graph_payload
    from cskg.export.formats import EXPORT_FORMATS
    from cskg.export.graph import to_networkx

    seen: dict[str, str] = {}
    # the impact picture: its layout's colours and its boxes' outlines
    chart = english["impact-all"]
    boxes = {a.get_gid(): a for a in chart.figure.findobj(FancyBboxPatch) if a.get_gid()}
    for node, data in chart.layout["nodes"].items():
        assert to_hex(boxes[compact(node)].get_edgecolor()) == class_colour(data["class"])
        seen[data["class"]] = chart.layout["classes"][data["class"]]
    # the interactive page's payload
    graph = to_networkx(release, "all")
    payload = graph_payload(graph)
    for cls in payload["classes"]:
        assert cls["colour"] == class_colour(cls["id"])
        assert seen.setdefault(cls["id"], cls["colour"]) == cls["colour"]
    # GEXF's viz:color, read back from the file
    gexf = EXPORT_FORMATS["gexf"].write(graph)
    root = ET.fromstring(gexf)
    classes = {n: d["class"] for n, d in graph.nodes(data=True)}
    checked = 0
    for node in (e for e in root.iter() if e.tag.endswith("}node")):
        colour = next(e for e in node if e.tag.endswith("}color"))
        drawn = tuple(int(colour.get(c, -1)) for c in ("r", "g", "b"))
        assert drawn == rgb(class_colour(classes[node.get("id")]))
        checked += 1
    assert checked == graph.number_of_nodes()
    assert len(seen) > 15


def test_same_modality_same_line_in_every_picture(release: Path, english: dict[str, Chart]) -> None:
    from cskg.draw.interactive import graph_payload
    from cskg.export.graph import to_networkx

    chart = english["impact-all"]
    arrows = [a for a in chart.figure.findobj(FancyArrowPatch) if a.get_gid()]
    assert len(arrows) == len(chart.layout["edges"])
    for edge in chart.layout["edges"]:
        style = modality_style(edge["modality"])
        assert to_hex(edge["artist"].get_edgecolor()) == style.colour.lower()
        assert edge["artist"].get_linestyle() == style.matplotlib
    payload = graph_payload(to_networkx(release, "all"))
    counted: dict[str, int] = {}
    for edge in payload["edges"]:
        key = edge.get("m", "stated")
        counted[key] = counted.get(key, 0) + 1
    styles = {**MODALITY_STYLES, "stated": STATED}
    assert {m["id"]: m["count"] for m in payload["modalities"]} == counted
    for m in payload["modalities"]:
        assert (m["colour"], tuple(m["dash"])) == (styles[m["id"]].colour, styles[m["id"]].dash)
    assert set(MODALITY_STYLES) <= set(counted)
