"""`cskg export` for the tools analysts open it in: the format from the file's name, names and
labels, Cytoscape's edge ids, Gephi's colours and timeline, SKOS scaffolding, and the Cytoscape
JSON loaded in Cytoscape.js in headless Chromium.

Expected values come from the release (SPARQL), `cskg.style` and `cskg.vocab_names`, never from
constants; files are written by the command and read back with networkx or a browser.
"""

from __future__ import annotations

import calendar
import datetime
import io
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import networkx as nx
import pytest
from conftest import CHROMEDRIVER, CHROMIUM, headless_chromium

from cskg.cli import main
from cskg.export.formats import (
    EXPORT_FORMATS,
    JSON_MARK,
    XML_MARK,
    date_interval,
    edge_id,
    format_for,
)
from cskg.export.graph import SCAFFOLDING, to_networkx
from cskg.query.engines import EmbeddedStore
from cskg.query.results import compact
from cskg.style import STATED, class_colour, modality_style, rgb
from cskg.vocab import CSKG, GRAPH_ONTOLOGY, XSD, sparql_prologue
from cskg.vocab_names import EXTERNAL_NAMES

GEXF = "{http://www.gexf.net/1.2draft}"
VIZ = "{http://www.gexf.net/1.2draft/viz}"
CYTOSCAPE_JS = Path(__file__).resolve().parents[1] / "src/cskg/draw/static/cytoscape.min.js"


def rows(release: Path, text: str) -> list[dict[str, str]]:
    with EmbeddedStore(release / "store") as store:
        result = store.query(sparql_prologue() + text, asserted=True)
    return [{k: str(t.value) for k, t in row.items() if t is not None} for row in result.dicts()]


def export(release: Path, out: Path, *extra: str) -> bytes:
    """`cskg export -o out` run in this process; the file's bytes."""
    assert main(["--dist", str(release), "export", "-o", str(out), *extra]) == 0
    return out.read_bytes()


def run_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cskg.cli", *argv], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def graphs(release: Path) -> dict[str, nx.MultiDiGraph]:
    return {
        "en": to_networkx(release),
        "zh": to_networkx(release, lang="zh"),
        "scaffolding": to_networkx(release, scaffolding=True),
    }


# -- the format from the file's name ----------------------------------------------------------


def test_a_gexf_file_name_writes_gexf(release: Path, graphs: dict, tmp_path: Path) -> None:
    out = tmp_path / "graph.gexf"
    done = run_cli("--dist", str(release), "export", "-o", str(out))
    assert done.returncode == 0, done.stderr
    data = out.read_bytes()
    assert data.startswith(XML_MARK.encode())
    assert ElementTree.fromstring(data).tag == GEXF + "gexf"
    read = nx.read_gexf(io.BytesIO(data))
    assert set(read) == set(graphs["en"])
    assert read.number_of_edges() == graphs["en"].number_of_edges()


@pytest.mark.parametrize(
    ("name", "extra", "words"),
    [
        ("x.gexf", ["--format", "graphml"], "named as a gexf file, but --format is graphml"),
        ("x.cyjs", ["--format", "json"], "named as a cytoscape file, but --format is json"),
        ("x.foo", [], "cannot tell the format of"),
        ("graph", [], "cannot tell the format of"),
    ],
)
def test_a_name_that_disagrees_is_refused(
    name: str, extra: list[str], words: str, release: Path, tmp_path: Path
) -> None:
    out = tmp_path / name
    done = run_cli("--dist", str(release), "export", "-o", str(out), *extra)
    assert done.returncode == 2
    assert done.stderr.startswith("cskg: error: ") and words in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_other_names_a_format_accepts() -> None:
    # every format is found by its own extension; `--format` may name a file otherwise
    for fmt in EXPORT_FORMATS.values():
        assert format_for(None, f"graph{fmt.extension.upper()}") is fmt
        for extension in fmt.extensions:
            assert format_for(fmt.name, f"graph{extension}") is fmt
        assert format_for(fmt.name, "graph.txt") is fmt
        assert format_for(fmt.name, None) is fmt
    assert format_for(None, None).name == "graphml"  # standard output
    assert format_for("cytoscape", "graph.json").name == "cytoscape"


def test_export_replaces_only_what_it_wrote(release: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.graphml"
    notes.write_text("my own notes\n", encoding="utf-8")
    assert main(["--dist", str(release), "export", "-o", str(notes)]) == 2
    assert notes.read_text(encoding="utf-8") == "my own notes\n"
    folder = tmp_path / "folder.gexf"
    folder.mkdir()
    assert main(["--dist", str(release), "export", "-o", str(folder)]) == 2
    assert list(folder.iterdir()) == []
    # an empty file, and then a file export wrote, are written over
    for fmt in EXPORT_FORMATS.values():
        out = tmp_path / f"mine{fmt.extension}"
        out.touch()
        first = export(release, out, "--view", "technology")
        assert first.startswith(fmt.mark.encode())
        second = export(release, out, "--view", "organisations")
        assert second.startswith(fmt.mark.encode()) and second != first


# -- names and labels -------------------------------------------------------------------------


def read_names(fmt: str, data: bytes, graph: nx.MultiDiGraph) -> tuple[dict, dict]:
    """(node → (name, label), (u, v, key) → (name, label)) of a written file; GEXF has no
    `name` of its own: its element's label is what Gephi shows, given for both."""
    if fmt == "cytoscape":
        doc = json.loads(data)
        nodes = {
            e["data"]["id"]: (e["data"]["name"], e["data"]["label"])
            for e in doc["elements"]["nodes"]
        }
        edges = {
            (d["source"], d["target"], d["key"]): (d["name"], d["label"])
            for d in (e["data"] for e in doc["elements"]["edges"])
        }
        return nodes, edges
    if fmt == "gexf":
        root = ElementTree.fromstring(data)
        ids = {edge_id(u, k, v): (u, v, k) for u, v, k in graph.edges(keys=True)}
        nodes = {n.get("id"): (n.get("label"),) * 2 for n in root.iter(GEXF + "node")}
        edges = {ids[e.get("id")]: (e.get("label"),) * 2 for e in root.iter(GEXF + "edge")}
        return nodes, edges
    if fmt == "graphml":
        read = nx.read_graphml(io.BytesIO(data), force_multigraph=True)
    else:
        read = nx.node_link_graph(json.loads(data), edges="edges")
    return (
        {n: (d["name"], d["label"]) for n, d in read.nodes(data=True)},
        {(u, v, k): (d["name"], d["label"]) for u, v, k, d in read.edges(keys=True, data=True)},
    )


def predicate_labels(release: Path, lang: str) -> dict[str, str]:
    """The ontology's label in `lang` of each of cskg's properties."""
    found = rows(
        release,
        f"SELECT ?p ?l WHERE {{ GRAPH <{GRAPH_ONTOLOGY}> {{ ?p rdfs:label ?l }} "
        f"FILTER(STRSTARTS(STR(?p), '{CSKG}') && LANG(?l) = '{lang}') }}",
    )
    return {r["p"]: r["l"] for r in found}


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "cytoscape", "json"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_node_and_edge_is_named(
    fmt: str, lang: str, release: Path, graphs: dict, tmp_path: Path
) -> None:
    graph = graphs[lang]
    data = export(release, tmp_path / f"graph{EXPORT_FORMATS[fmt].extension}", "--lang", lang)
    nodes, edges = read_names(fmt, data, graph)
    assert nodes == {n: (d["label"], d["label"]) for n, d in graph.nodes(data=True)}
    assert set(edges) == set(graph.edges(keys=True))
    # cskg's own properties by the ontology's label in the language, else in English
    own = predicate_labels(release, "en") | predicate_labels(release, lang)
    index = 1 if lang == "zh" else 0
    external = 0
    for u, v, k, d in graph.edges(keys=True, data=True):
        predicate = d["predicate"]
        if predicate in EXTERNAL_NAMES:  # skos:broader, org:unitOf, prov:…: the shared table
            wanted = EXTERNAL_NAMES[predicate][index]
            external += 1
        else:
            wanted = own[predicate]
        assert edges[(u, v, k)] == (wanted, wanted)
    assert external  # the view holds edges of reused vocabularies


# -- Cytoscape JSON ---------------------------------------------------------------------------


def test_cytoscape_edges_have_stable_ids_and_interactions(
    release: Path, graphs: dict, tmp_path: Path
) -> None:
    first = json.loads(export(release, tmp_path / "first.cyjs"))
    second = json.loads(export(release, tmp_path / "second.cyjs"))
    graph = graphs["en"]
    ids = [e["data"]["id"] for e in first["elements"]["edges"]]
    assert ids == [e["data"]["id"] for e in second["elements"]["edges"]]
    assert len(set(ids)) == len(ids) == graph.number_of_edges()
    for element in first["elements"]["edges"]:
        d = element["data"]
        predicate = graph.edges[d["source"], d["target"], d["key"]]["predicate"]
        assert d["id"] == edge_id(d["source"], d["key"], d["target"])
        assert d["interaction"] == compact(predicate) == d["key"].split("#")[0]
    read = nx.cytoscape_graph(first)
    assert set(read) == set(graph)
    assert set(read.edges(keys=True)) == set(graph.edges(keys=True))
    assert (
        read.nodes["https://w3id.org/cskg/id/agency/miit"]["name"]
        == graph.nodes["https://w3id.org/cskg/id/agency/miit"]["label"]
    )


# -- GEXF: Gephi's colours and timeline -------------------------------------------------------


def expected_interval(lexical: str, datatype: str) -> tuple[str, str]:
    """The first and last day a date of this datatype covers, computed with the calendar."""
    if datatype == XSD + "gYear":
        year = int(lexical[:4])
        first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    elif datatype == XSD + "gYearMonth":
        year, month = int(lexical[:4]), int(lexical[5:7])
        first = datetime.date(year, month, 1)
        last = first + datetime.timedelta(days=calendar.monthrange(year, month)[1] - 1)
    else:
        first = last = datetime.date.fromisoformat(lexical[:10])
    return first.isoformat(), last.isoformat()


def test_date_intervals_of_awkward_dates() -> None:
    for lexical, datatype in (
        ("2016-02", XSD + "gYearMonth"),  # a leap year's February
        ("2015-02", XSD + "gYearMonth"),
        ("2015-12", XSD + "gYearMonth"),
        ("2014", XSD + "gYear"),
        ("2014-02-03", XSD + "date"),
        ("2014-02-03T23:30:00+08:00", XSD + "dateTime"),
    ):
        assert date_interval(lexical) == expected_interval(lexical, datatype)
    both = date_interval("2015-06 | 2014")
    assert both == (expected_interval("2014", XSD + "gYear")[0], "2015-06-30")
    for nonsense in ("", "soon", "2014-13", "2014-02-30", "14"):
        assert date_interval(nonsense) is None


def test_gexf_colours_and_time_intervals(release: Path, graphs: dict, tmp_path: Path) -> None:
    graph = graphs["en"]
    data = export(release, tmp_path / "graph.gexf")
    read = nx.read_gexf(io.BytesIO(data))
    for node, attrs in graph.nodes(data=True):
        colour = read.nodes[node]["viz"]["color"]
        assert (colour["r"], colour["g"], colour["b"]) == rgb(class_colour(attrs["class"]))
    # dates: every dated node of the release spans its date's days; the graph is dynamic
    dated = rows(release, "SELECT ?x (STR(?d) AS ?lex) (DATATYPE(?d) AS ?t) { ?x cskg:date ?d }")
    intervals = {r["x"]: expected_interval(r["lex"], r["t"]) for r in dated if r["x"] in graph}
    assert intervals
    found = {n: (d["start"], d["end"]) for n, d in read.nodes(data=True) if "start" in d}
    assert found == intervals
    element = ElementTree.fromstring(data).find(GEXF + "graph")
    assert element is not None
    assert (element.get("mode"), element.get("timeformat")) == ("dynamic", "date")
    # edges: coloured and drawn by their modality, a plain statement grey and solid
    ids = {edge_id(u, k, v): d for u, v, k, d in graph.edges(keys=True, data=True)}
    styles = set()
    for edge in element.iter(GEXF + "edge"):
        style = modality_style(ids[edge.get("id")].get("modality"))
        colour, shape = edge.find(VIZ + "color"), edge.find(VIZ + "shape")
        assert colour is not None and shape is not None
        assert tuple(int(colour.get(c, "-1")) for c in "rgb") == rgb(style.colour)
        assert shape.get("value") == style.kind
        styles.add(style)
    assert STATED in styles and len(styles) > 2


# -- SKOS scaffolding -------------------------------------------------------------------------


def test_scaffolding_is_left_out_unless_asked(release: Path, graphs: dict, tmp_path: Path) -> None:
    # the data's scaffolding and schemes (the ontology's own are no nodes of any view)
    values = " ".join(f"<{p}>" for p in sorted(SCAFFOLDING))
    data = f"FILTER(?g != <{GRAPH_ONTOLOGY}>)"
    stated = {
        (r["s"], r["p"], r["o"])
        for r in rows(
            release,
            f"SELECT DISTINCT ?s ?p ?o {{ VALUES ?p {{ {values} }} "
            f"GRAPH ?g {{ ?s ?p ?o }} {data} }}",
        )
    }
    schemes = {
        r["s"]
        for r in rows(release, f"SELECT ?s {{ GRAPH ?g {{ ?s a skos:ConceptScheme }} {data} }}")
    }
    assert stated and schemes

    def scaffolding(graph: nx.MultiDiGraph) -> set[tuple[str, str, str]]:
        return {
            (u, d["predicate"], v)
            for u, v, d in graph.edges(data=True)
            if d["predicate"] in SCAFFOLDING
        }

    full, lean = graphs["scaffolding"], graphs["en"]
    assert scaffolding(full) == stated and scaffolding(lean) == set()
    assert full.number_of_edges() - lean.number_of_edges() == len(stated)
    assert schemes <= set(full)
    # a scheme stays only where another statement than the scaffolding reaches it
    linked = {
        end
        for u, v, d in full.edges(data=True)
        if d["predicate"] not in SCAFFOLDING
        for end in (u, v)
        if end in schemes
    }
    assert schemes & set(lean) == linked
    assert set(full) - set(lean) == schemes - linked
    # the command line: the same counts, with and without --scaffolding
    for extra, graph in (([], lean), (["--scaffolding"], full)):
        doc = json.loads(export(release, tmp_path / f"g{len(extra)}.json", *extra))
        read = nx.node_link_graph(doc, edges="edges")
        assert (read.number_of_nodes(), read.number_of_edges()) == (
            graph.number_of_nodes(),
            graph.number_of_edges(),
        )
        assert doc["graph"]["scaffolding"] is bool(extra)


# -- Cytoscape.js in headless Chromium --------------------------------------------------------

LOAD = """
const doc = JSON.parse(arguments[0]);
const cy = cytoscape({container: document.getElementById('cy'), elements: doc.elements,
                      layout: {name: 'grid'}});
const out = {nodes: cy.nodes().length, edges: cy.edges().length,
             ids: cy.edges().map(e => e.id()),
             interactions: cy.edges().map(e => [e.id(), e.data('interaction')])};
cy.destroy();
return out;
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("needs Debian's chromium and chromium-driver")
    pytest.importorskip("selenium.webdriver", reason="needs selenium (the test extra)")
    driver = headless_chromium(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.mark.slow
def test_cytoscape_js_loads_the_file_twice_with_the_same_ids(
    browser: Any, release: Path, tmp_path: Path
) -> None:
    shutil.copy(CYTOSCAPE_JS, tmp_path / "cytoscape.min.js")
    page = tmp_path / "load.html"
    page.write_text(
        '<!doctype html><html><head><meta charset="utf-8"><script src="cytoscape.min.js">'
        '</script></head><body><div id="cy" style="width:800px;height:600px"></div></body></html>',
        encoding="utf-8",
    )
    text = export(release, tmp_path / "graph.cyjs").decode("utf-8")
    assert text.startswith(JSON_MARK)
    doc = json.loads(text)
    loads = []
    for _ in range(2):
        browser.get(page.as_uri())
        loads.append(browser.execute_script(LOAD, text))
    first, second = loads
    assert first["ids"] == second["ids"]
    assert sorted(first["ids"]) == sorted(e["data"]["id"] for e in doc["elements"]["edges"])
    assert (first["nodes"], first["edges"]) == (
        len(doc["elements"]["nodes"]),
        len(doc["elements"]["edges"]),
    )
    interactions = {e["data"]["id"]: e["data"]["interaction"] for e in doc["elements"]["edges"]}
    assert dict(map(tuple, first["interactions"])) == interactions
    # without the file's ids Cytoscape.js invents new ones on every load
    for element in doc["elements"]["edges"]:
        del element["data"]["id"]
    bare = json.dumps(doc)
    invented = [browser.execute_script(LOAD, bare)["ids"] for _ in range(2)]
    assert invented[0] != invented[1]
