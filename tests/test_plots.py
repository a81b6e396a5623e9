"""Charts and the impact picture: the data drawn is the data of the release.

The plotted values are read back from the matplotlib artists (line vertices, bar heights,
arrow styles), never from pixels, and compared with independent SPARQL over the release.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

from cskg.cli import main
from cskg.draw.charts import plot_market, plot_mix
from cskg.draw.figure import cjk_font, save
from cskg.draw.impact import plot_impact
from cskg.query.engines import EmbeddedStore
from cskg.query.results import compact
from cskg.release import Release
from cskg.style import modality_style
from cskg.vocab import CONCEPT

PREFIXES = """
PREFIX cskg: <https://w3id.org/cskg/ontology#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dataset: <https://w3id.org/cskg/id/dataset/>
"""

# Written independently of the module's query: measures named one by one, no qb:measureType.
MARKET_CELLS = (
    PREFIXES
    + """
SELECT ?obs ?area ?measure ?status ?year ?value WHERE {
  VALUES ?dataset { dataset:table-1 dataset:table-3 }
  VALUES ?measure { cskg:marketSize cskg:growthRate }
  ?obs qb:dataSet ?dataset ; cskg:refArea ?area ; cskg:refYear ?year ;
       cskg:observationStatus ?status ; ?measure ?value .
}
"""
)
MIX_CELLS = (
    PREFIXES
    + """
SELECT ?obs ?area ?segment ?status ?year ?value WHERE {
  VALUES ?dataset { dataset:table-2 dataset:table-4 }
  ?obs qb:dataSet ?dataset ; cskg:refArea ?area ; cskg:refYear ?year ;
       cskg:productSegment ?segment ; cskg:observationStatus ?status ; cskg:productShare ?value .
}
"""
)
DATASET_OBSERVATIONS = (
    PREFIXES
    + """
SELECT ?obs WHERE { VALUES ?dataset { %s } ?obs a qb:Observation ; qb:dataSet ?dataset }
"""
)


def tail(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def expected_series(release: Path, query: str) -> tuple[dict, set[str]]:
    """{(area, measure-or-segment, status): sorted [(year, value)]} and the observation IRIs."""
    series: dict[tuple[str, str, str], list[tuple[int, float]]] = defaultdict(list)
    observations = set()
    with EmbeddedStore(release / "store") as store:
        for row in store.query(query, asserted=True).dicts():
            what = row["measure"] if "measure" in row else row["segment"]
            key = (tail(row["area"].value), tail(what.value), tail(row["status"].value))
            series[key].append((int(row["year"].value), float(Decimal(row["value"].value))))
            observations.add(row["obs"].value)
    return {k: sorted(v) for k, v in series.items()}, observations


def observations_of(release: Path, *tables: str) -> set[str]:
    values = " ".join(f"dataset:{t}" for t in tables)
    with EmbeddedStore(release / "store") as store:
        rows = store.query(DATASET_OBSERVATIONS % values, asserted=True).rows
    return {row[0].value for row in rows}


def by_gid(figure, kind) -> dict[str, object]:
    return {a.get_gid(): a for a in figure.findobj(kind) if a.get_gid()}


@pytest.fixture(scope="module")
def market(release):
    return plot_market(release)


@pytest.fixture(scope="module")
def mix(release):
    return plot_mix(release)


@pytest.fixture(scope="module")
def impact(release):
    return plot_impact(release)


# -- market ----------------------------------------------------------------------------------


def test_market_data_are_the_observations_of_tables_1_and_3(release, market):
    expected, observations = expected_series(release, MARKET_CELLS)
    assert market.series == expected
    # every printed cell of Tables 1 and 3 is drawn, none twice
    assert len(market.cells) == 18
    assert {c.observation for c in market.cells} == observations_of(release, "table-1", "table-3")
    assert observations == {c.observation for c in market.cells}
    # anchored on the paper: Table 1 prints 21.640 for China in 2012, Table 3 61.987 for 2017
    assert market.series[("china", "marketSize", "actual")][0] == (2012, 21.64)
    assert market.series[("china", "marketSize", "forecast")][-1] == (2017, 61.987)


def test_market_lines_draw_the_series_and_forecasts_look_different(market):
    lines = by_gid(market.figure, Line2D)
    for (area, measure, status), points in market.series.items():
        line = lines[f"{area}/{measure}/{status}"]
        assert [tuple(p) for p in line.get_xydata().tolist()] == [(float(x), y) for x, y in points]
        if status == "forecast":
            assert line.get_linestyle() == "--"
            assert line.get_markerfacecolor() == "white"
        else:
            assert line.get_linestyle() == "-"
            assert line.get_markerfacecolor() == line.get_color()
    # China and global sizes are on different y-axes (different currencies)
    china = lines["china/marketSize/actual"].axes
    world = lines["global/marketSize/actual"].axes
    assert china is not world
    assert "billion yuan" in china.get_ylabel()
    assert "billion US dollars" in world.get_ylabel()
    assert lines["china/growthRate/actual"].axes is lines["global/growthRate/actual"].axes
    legend = [t.get_text() for t in china.get_legend().get_texts()]
    assert "forecast (Table 3)" in legend and "actual (Table 1)" in legend


# -- mix -------------------------------------------------------------------------------------


def test_mix_data_are_the_observations_of_tables_2_and_4(release, mix):
    expected, observations = expected_series(release, MIX_CELLS)
    assert mix.series == expected
    assert len(mix.cells) == 15
    assert {c.observation for c in mix.cells} == observations_of(release, "table-2", "table-4")
    assert observations == {c.observation for c in mix.cells}
    assert mix.series[("global", "service", "actual")] == [(2014, 20.4)]


def test_mix_bars_stack_the_shares_and_forecasts_are_hatched(mix):
    bars = by_gid(mix.figure, Rectangle)
    drawn = {}
    stacks: dict[tuple[str, str], list[Rectangle]] = defaultdict(list)
    for gid, patch in bars.items():
        area, year, segment, status = gid.split("/")
        drawn[(area, segment, status, int(year))] = patch.get_height()
        stacks[(area, year)].append(patch)
        assert patch.get_hatch() == ("//" if status == "forecast" else None)
    expected = {
        (area, segment, status, year): value
        for (area, segment, status), points in mix.series.items()
        for year, value in points
    }
    assert drawn == pytest.approx(expected)
    # five bars (Global 2014, China 2014, China 2015-2017), each stacked without gaps to ~100 %
    assert sorted(stacks) == [
        ("china", "2014"),
        ("china", "2015"),
        ("china", "2016"),
        ("china", "2017"),
        ("global", "2014"),
    ]
    for patches in stacks.values():
        patches.sort(key=lambda p: p.get_y())
        assert patches[0].get_y() == 0
        for below, above in itertools.pairwise(patches):
            assert above.get_y() == pytest.approx(below.get_y() + below.get_height())
        assert sum(p.get_height() for p in patches) == pytest.approx(100, abs=0.2)
    # the printed share is written inside each segment
    labels = {t.get_text() for t in mix.figure.axes[0].texts}
    assert {f"{c.printed}%" for c in mix.cells} <= labels


# -- impact ----------------------------------------------------------------------------------


def policy_and_event_nodes(release: Path, view) -> set[str]:
    query = (
        PREFIXES
        + """
    SELECT DISTINCT ?n WHERE { ?n a/rdfs:subClassOf* ?top VALUES ?top { cskg:Policy cskg:Event } }
    """
    )
    with EmbeddedStore(release / "store") as store:
        found = {row[0].value for row in store.query(query).rows}
    return found & set(view)


def test_impact_shows_policies_events_and_what_followed(release, impact):
    import networkx as nx

    from cskg.export.graph import to_networkx

    view = to_networkx(release, "policy-impact")
    roots = policy_and_event_nodes(release, view)
    expected = set(roots)
    for root in roots:
        expected |= nx.descendants(view, root)
    nodes = impact.layout["nodes"]
    assert set(nodes) == expected
    assert "https://w3id.org/cskg/id/policy/made-in-china-2025" in nodes
    # one box per node, named by the node
    boxes = by_gid(impact.figure, FancyBboxPatch)
    assert set(boxes) == {compact(n) for n in expected}

    sub = view.subgraph(expected)
    drawn = sorted(
        (e["source"], e["target"], e["key"], e["modality"]) for e in impact.layout["edges"]
    )
    assert drawn == sorted(
        (u, v, k, d["modality"]) for u, v, k, d in sub.edges(keys=True, data=True)
    )
    # each modality has its own line style, on the arrow artists themselves
    arrows = by_gid(impact.figure, FancyArrowPatch)
    styles = {}
    for edge in impact.layout["edges"]:
        arrow = arrows[
            f"edge/{edge['modality']}/{compact(edge['source'])}/{compact(edge['target'])}"
        ]
        assert arrow is edge["artist"]
        assert arrow.get_linestyle() == modality_style(edge["modality"]).matplotlib
        assert edge["color"] == modality_style(edge["modality"]).colour
        styles.setdefault(edge["modality"], set()).add(str(arrow.get_linestyle()))
    assert {"realised", "expected", "proposed", "forecast"} <= set(styles)
    assert len({next(iter(s)) for s in styles.values()}) == len(styles)
    assert all(len(s) == 1 for s in styles.values())


def test_impact_runs_left_to_right_by_date_then_effect(impact):
    nodes = impact.layout["nodes"]
    plan = nodes["https://w3id.org/cskg/id/policy/12th-fyp-information-security-industry-plan"]
    made = nodes["https://w3id.org/cskg/id/policy/made-in-china-2025"]
    assert (plan["date"], made["date"]) == ("2011", "2015-05")
    assert impact.layout["columns"][plan["column"]] == "2011"
    assert plan["x"] < made["x"]
    # in this scope every effect stands right of its cause
    for edge in impact.layout["edges"]:
        assert nodes[edge["target"]]["x"] > nodes[edge["source"]]["x"], edge
    # boxes of one column do not overlap
    by_column = defaultdict(list)
    for n in nodes.values():
        by_column[n["column"]].append((n["y"], n["y"] + n["h"]))
    for spans in by_column.values():
        spans.sort()
        assert all(top <= nxt for (_, top), (nxt, _) in itertools.pairwise(spans))


def test_impact_all_scope_shows_the_whole_view(release):
    from cskg.export.graph import to_networkx

    view = to_networkx(release, "policy-impact")
    chart = plot_impact(release, scope="all")
    assert set(chart.layout["nodes"]) == set(view)
    assert len(chart.layout["edges"]) == view.number_of_edges()


def test_impact_from_chosen_policies_shows_them_and_what_followed(release):
    import networkx as nx

    from cskg.export.graph import to_networkx

    view = to_networkx(release, "policy-impact")
    law = "https://w3id.org/cskg/id/policy/cybersecurity-law-draft"
    made = "https://w3id.org/cskg/id/policy/made-in-china-2025"
    # an IRI, a prefixed name and a label name the same kind of thing
    label = view.nodes[made]["label"]
    chart = plot_impact(release, start=[f"<{law}>", label])
    expected = {law, made} | nx.descendants(view, law) | nx.descendants(view, made)
    assert set(chart.layout["nodes"]) == expected
    assert len(expected) < len(policy_and_event_nodes(release, view))
    assert set(plot_impact(release, start=["policy:cybersecurity-law-draft"]).layout["nodes"]) == (
        {law} | nx.descendants(view, law)
    )


def test_impact_refuses_what_it_cannot_draw(release, monkeypatch):
    from cskg.draw import impact
    from cskg.errors import CskgError

    with pytest.raises(CskgError, match="not a policy or event of the policy-impact view: "):
        plot_impact(release, start=["concept:chain-level"])
    with pytest.raises(CskgError, match="nothing in the release is named policy:nope"):
        plot_impact(release, start=["policy:nope"])
    with pytest.raises(CskgError, match="draw what followed from them only"):
        plot_impact(release, scope="all", start=["policy:cybersecurity-law-draft"])
    # a picture over the limit is refused before it is drawn, with the way to a smaller one
    whole = len(plot_impact(release).layout["nodes"])
    monkeypatch.setattr(impact, "MAX_IMPACT_BOXES", whole - 1)
    with pytest.raises(CskgError, match=f"would have {whole:,} boxes, more than the {whole - 1}"):
        plot_impact(release)
    monkeypatch.setattr(impact, "MAX_IMPACT_BOXES", whole)
    assert len(plot_impact(release).layout["nodes"]) == whole


# -- files and command line ------------------------------------------------------------------


def svg_title(path: Path) -> str:
    root = ET.parse(path).getroot()
    titles = [e.text for e in root.iter("{http://purl.org/dc/elements/1.1/}title")]
    return titles[0]


def test_save_writes_svg_and_png(market, tmp_path):
    written = save(market, tmp_path / "out" / "market")
    assert written == [tmp_path / "out" / "market.svg", tmp_path / "out" / "market.png"]
    assert svg_title(written[0]) == market.title
    svg = written[0].read_text(encoding="utf-8")
    assert 'id="china/marketSize/forecast"' in svg
    png = written[1].read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000


def test_chinese_labels_or_a_warning(release):
    if cjk_font() is None:
        with pytest.warns(UserWarning, match="Chinese"):
            chart = plot_mix(release, lang="zh")
        assert chart.lang == "en"
        assert chart.title.startswith("Product mix")
    else:
        chart = plot_mix(release, lang="zh")
        assert chart.lang == "zh"
        assert chart.title == "产品结构：硬件、软件与服务"
        with Release.open(release) as opened:
            percent = opened.label(CONCEPT + "unit/percent", "zh")
        assert percent != "percent"  # the unit has a Chinese name
        assert chart.figure.axes[0].get_ylabel() == f"产品占比（{percent}）"


def test_cli_writes_each_picture(release, tmp_path, capsys):
    titles = {
        "market": "Cyberspace security market: China vs. global, 2012–2017",
        "mix": "Product mix: hardware, software and services",
        "impact": "Policies, events and what they led to",
    }
    for kind, title in titles.items():
        stem = tmp_path / kind
        assert main(["--dist", str(release), "plot", kind, "-o", str(stem)]) == 0
        printed = capsys.readouterr().out.split()
        assert printed == [str(stem) + ".svg", str(stem) + ".png"]
        assert svg_title(Path(printed[0])) == title
        assert Path(printed[1]).read_bytes().startswith(b"\x89PNG")
    # default place: ROOT/figures/KIND.svg and .png
    root = tmp_path / "project"
    assert main(["--root", str(root), "--dist", str(release), "plot", "mix"]) == 0
    assert capsys.readouterr().out.split() == [
        str(root / "figures" / "mix.svg"),
        str(root / "figures" / "mix.png"),
    ]


def test_cli_impact_from(release, tmp_path, capsys):
    from cskg.draw.impact import impact_scope
    from cskg.export.graph import to_networkx

    stem = tmp_path / "law"
    argv = ["--dist", str(release), "plot", "impact", "-o", str(stem)]
    assert main([*argv, "--from", "policy:cybersecurity-law-draft"]) == 0
    assert capsys.readouterr().out.split() == [str(stem) + ".svg", str(stem) + ".png"]
    svg = (tmp_path / "law.svg").read_text(encoding="utf-8")
    view = to_networkx(release, "policy-impact")
    law = "https://w3id.org/cskg/id/policy/cybersecurity-law-draft"
    drawn = impact_scope(view, {law}, "policies")
    for node in view:  # every box drawn carries its node's id, and only those
        assert (f'id="{compact(node)}"' in svg) == (node in drawn), node
    for other in (["plot", "market", "--from", "x"], ["plot", "impact", "--scope", "all"]):
        extra = ["--from", "policy:cybersecurity-law-draft"] if "impact" in other else []
        assert main(["--dist", str(release), *other, *extra, "-o", str(tmp_path / "x")]) == 2
        assert capsys.readouterr().err.startswith("cskg: error: ")
    assert not (tmp_path / "x.svg").exists()


def test_cli_without_a_release_is_an_error(tmp_path, capsys):
    assert main(["--dist", str(tmp_path / "none"), "plot", "market"]) == 2
    assert "build the release first" in capsys.readouterr().err
    assert not (tmp_path / "figures").exists()


def test_cli_as_a_process(release, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cskg.cli",
            "--dist",
            str(release),
            "plot",
            "impact",
            "-o",
            str(tmp_path / "impact"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k not in ("CSKG_ROOT", "DISPLAY")},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(tmp_path / "impact.svg"), str(tmp_path / "impact.png")]
    assert svg_title(tmp_path / "impact.svg") == "Policies, events and what they led to"


#: draws every picture in a process of its own, then says what matplotlib holds: whether pyplot
#: was imported, the backend as set (unchosen, unless something chose one), and how many of the
#: figures are still alive once the charts are dropped
_DRAW_AND_DROP = """
import gc, sys, weakref
import matplotlib
from cskg.draw.charts import plot_market, plot_mix
from cskg.draw.figure import save
from cskg.draw.impact import plot_impact

charts = [plot(sys.argv[1]) for plot in (plot_market, plot_mix, plot_impact)]
files = [path for chart in charts for path in save(chart, sys.argv[2] + "/" + chart.kind)]
alive = [weakref.ref(chart.figure) for chart in charts]
del charts
gc.collect()
backend = dict.__getitem__(matplotlib.rcParams, "backend")
print("matplotlib.pyplot" in sys.modules, backend is matplotlib.rcsetup._auto_backend_sentinel)
print(sum(ref() is not None for ref in alive), len(files))
"""


def test_pictures_are_figures_of_their_own(release, tmp_path):
    """Drawing leaves matplotlib's global state alone: pyplot is never imported (it would hold
    every figure until closed, and warn past 20 in a notebook or a server), no backend is
    chosen for the process, and a dropped chart's figure is freed."""
    done = subprocess.run(
        [sys.executable, "-c", _DRAW_AND_DROP, str(release), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "DISPLAY")},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "0", "6"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{kind}.{suffix}" for kind in ("impact", "market", "mix") for suffix in ("png", "svg")
    ]
