"""The networkx conversion, its views, and every export format read back from the written file.

The graphs are checked against the release with SPARQL; the files against the graphs.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from cskg.cli import main
from cskg.errors import CskgError
from cskg.export.formats import DOT_MARK, FORMATS, edge_id, prepare, render
from cskg.export.graph import graph_to_attrs_safe, to_networkx
from cskg.query.engines import EmbeddedStore
from cskg.query.results import compact
from cskg.vocab import sparql_prologue

CSKG = "https://w3id.org/cskg/ontology#"
MIIT = "https://w3id.org/cskg/id/agency/miit"
REPO = Path(__file__).resolve().parents[1]


def select(release: Path, text: str, *, asserted: bool = True) -> list[dict[str, Any]]:
    with EmbeddedStore(release / "store") as store:
        result = store.query(sparql_prologue() + text, asserted=asserted)
    return [{k: t.value for k, t in row.items()} for row in result.dicts()]


def local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1]


@pytest.fixture(scope="module")
def graphs(release: Path) -> dict[str, nx.MultiDiGraph]:
    return {
        "all": to_networkx(release),
        "include": to_networkx(release, provenance="include"),
        "inferred": to_networkx(release, inferred=True),
        "policy-impact": to_networkx(release, "policy-impact"),
        "organisations": to_networkx(release, "organisations"),
        "organisations-zh": to_networkx(release, "organisations", lang="zh"),
        "technology": to_networkx(release, "technology"),
    }


def edge_set(graph: nx.MultiDiGraph) -> set[tuple[str, str, str]]:
    return {(u, k, v) for u, v, k in graph.edges(keys=True)}


# -- the graph against the store ------------------------------------------------------------


def test_policy_impact_edges_are_the_causal_claims(release: Path, graphs: dict) -> None:
    graph = graphs["policy-impact"]
    edges = {
        (u, k, v, d["modality"], d["claim"]) for u, v, k, d in graph.edges(keys=True, data=True)
    }
    library = (REPO / "queries" / "policy-enabled-industry-change.rq").read_text(encoding="utf-8")
    with EmbeddedStore(release / "store") as store:
        rows = store.query(library, asserted=True).dicts()
    enabled = {
        (
            r["cause"].value,
            "cskg:enabled",
            r["effect"].value,
            local(r["modality"].value),
            compact(r["claim"].value),
        )
        for r in rows
    }
    others = {
        (r["cause"], compact(r["relation"]), r["effect"], local(r["modality"]), compact(r["claim"]))
        for r in select(
            release,
            """SELECT ?claim ?cause ?effect ?relation ?modality WHERE {
                 ?claim a cskg:CausalClaim ; cskg:cause ?cause ; cskg:effect ?effect ;
                   cskg:causalRelation ?relation ; cskg:modality ?modality .
                 FILTER (?relation != cskg:enabled) }""",
        )
    }
    assert enabled and others
    assert edges == enabled | others
    # every hop carries the section and quote of the claim's evidence sentence
    claim = next(r for r in rows if r["cause"].value.endswith("cybersecurity-law-draft"))
    data = graph.edges[claim["cause"].value, claim["effect"].value, "cskg:enabled"]
    assert (data["section"], data["quote"]) == (claim["section"].value, claim["quote"].value)


def test_organisations_view_has_miit_with_chinese_label(release: Path, graphs: dict) -> None:
    (zh,) = select(release, f"SELECT ?l WHERE {{ <{MIIT}> rdfs:label ?l FILTER(LANG(?l) = 'zh') }}")
    (en,) = select(release, f"SELECT ?l WHERE {{ <{MIIT}> rdfs:label ?l FILTER(LANG(?l) = 'en') }}")
    node = graphs["organisations"].nodes[MIIT]
    assert node["label_zh"] == zh["l"] == "工业和信息化部"
    assert node["label"] == node["label_en"] == en["l"]
    assert (node["class"], node["class_label"], node["iri"]) == ("cskg:Agency", "Agency", MIIT)
    assert graphs["organisations-zh"].nodes[MIIT]["label"] == "工业和信息化部"
    # every agency, enterprise and person of the release is in the view
    agents = {
        r["x"]
        for r in select(
            release,
            "SELECT ?x WHERE { VALUES ?c { cskg:Agency cskg:Enterprise cskg:Person "
            "cskg:ResearchInstitute org:Post } ?x a ?c }",
        )
    }
    assert agents <= set(graphs["organisations"])
    issued = {
        (r["p"], "cskg:issuedBy", r["a"])
        for r in select(release, "SELECT ?p ?a WHERE { ?p cskg:issuedBy ?a }")
    }
    assert issued and issued <= edge_set(graphs["organisations"])


def test_whole_graph_nodes_and_edges_against_sparql(release: Path, graphs: dict) -> None:
    graph = graphs["all"]
    agencies = {r["x"] for r in select(release, "SELECT ?x WHERE { ?x a cskg:Agency }")}
    assert {n for n, d in graph.nodes(data=True) if d["class"] == "cskg:Agency"} == agencies
    part_of = {
        (r["s"], "cskg:partOf", r["o"])
        for r in select(release, "SELECT ?s ?o WHERE { ?s cskg:partOf ?o }")
    }
    assert {e for e in edge_set(graph) if e[1] == "cskg:partOf"} == part_of
    # the section and quote of an edge are those of the graph that states it
    (row,) = select(
        release,
        """SELECT ?s ?o ?n ?q WHERE { GRAPH ?g { ?s cskg:developedBy ?o }
             ?g cskg:section/cskg:sectionNumber ?n ; cskg:quote ?q }
           ORDER BY ?s ?o LIMIT 1""",
    )
    data = graph.edges[row["s"], row["o"], "cskg:developedBy"]
    assert (data["section"], data["quote"], data["inferred"]) == (row["n"], row["q"], False)
    assert data["predicate"] == CSKG + "developedBy" and data["label"] == "developed by"
    # dated resources carry their date as text
    dated = select(release, "SELECT ?x ?d WHERE { ?x cskg:date ?d } ORDER BY ?x LIMIT 1")[0]
    assert graph.nodes[dated["x"]]["date"] == dated["d"]


def test_fold_and_include(release: Path, graphs: dict) -> None:
    claims = {r["c"] for r in select(release, "SELECT ?c WHERE { ?c a cskg:CausalClaim }")}
    evidence = {r["e"] for r in select(release, "SELECT ?e WHERE { ?e a cskg:Evidence }")}
    fold, include = graphs["all"], graphs["include"]
    assert not (claims | evidence) & set(fold)
    assert not {d["class"] for _, d in fold.nodes(data=True)} & {
        "cskg:CausalClaim",
        "cskg:Evidence",
        "cskg:Section",
        "qb:Observation",
    }
    assert claims <= set(include) and evidence <= set(include)
    claim = sorted(claims)[0]
    assert include.nodes[claim]["class"] == "cskg:CausalClaim"
    assert {k for _, _, k in include.out_edges(claim, keys=True)} >= {
        "cskg:cause",
        "cskg:effect",
        "prov:wasDerivedFrom",
    }
    # a realised shortcut and its claim are one edge when folded
    shortcuts = select(release, "SELECT ?s ?o WHERE { ?s cskg:enabled ?o }")
    enabled_claims = select(release, "SELECT ?c WHERE { ?c cskg:causalRelation cskg:enabled }")
    folded = [e for e in fold.edges(keys=True, data=True) if e[2] == "cskg:enabled"]
    assert len(folded) == len(enabled_claims) > len(shortcuts)
    for row in shortcuts:
        assert (
            fold.number_of_edges(row["s"], row["o"])
            == len([k for k in fold[row["s"]][row["o"]] if k.startswith("cskg:enabled")])
            == 1
        )
        assert fold.edges[row["s"], row["o"], "cskg:enabled"]["modality"] == "realised"


def test_inferred_adds_only_inferred_edges(release: Path, graphs: dict) -> None:
    base, more = graphs["all"], graphs["inferred"]
    added = edge_set(more) - edge_set(base)
    assert edge_set(base) <= edge_set(more)
    inferred = {
        (r["s"], compact(r["p"]), r["o"])
        for r in select(
            release,
            "SELECT ?s ?p ?o WHERE { GRAPH <https://w3id.org/cskg/graph/inferred> "
            "{ ?s ?p ?o FILTER(isIRI(?o)) } }",
            asserted=False,
        )
    }
    assert added and added <= inferred
    assert all(more.edges[u, v, k]["inferred"] for u, k, v in added)
    assert all(not d["inferred"] for *_, d in base.edges(keys=True, data=True))
    enabled_by = {
        (r["o"], "cskg:enabledBy", r["s"])
        for r in select(release, "SELECT ?s ?o WHERE { ?s cskg:enabled ?o }")
    }
    assert enabled_by <= added


def test_user_construct_view(release: Path, tmp_path: Path) -> None:
    query = tmp_path / "issuers.rq"
    query.write_text(
        "PREFIX cskg: <https://w3id.org/cskg/ontology#>\n"
        "CONSTRUCT { ?p cskg:issuedBy ?a } WHERE { ?p cskg:issuedBy ?a }\n",
        encoding="utf-8",
    )
    graph = to_networkx(release, str(query))
    rows = select(release, "SELECT ?p ?a WHERE { ?p cskg:issuedBy ?a }")
    assert edge_set(graph) == {(r["p"], "cskg:issuedBy", r["a"]) for r in rows}
    assert set(graph) == {r["p"] for r in rows} | {r["a"] for r in rows}
    assert graph.nodes[MIIT]["label_zh"] == "工业和信息化部"
    bad = tmp_path / "select.rq"
    bad.write_text("SELECT * WHERE { ?s ?p ?o }", encoding="utf-8")
    with pytest.raises(CskgError, match="CONSTRUCT"):
        to_networkx(release, str(bad))


def test_unknown_view(release: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(CskgError, match="policy-impact, organisations, technology"):
        to_networkx(release, "nonsense")
    assert main(["--dist", str(release), "export", "--view", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert "unknown view 'nonsense'" in err and "organisations" in err


def test_attrs_safe() -> None:
    from decimal import Decimal

    from cskg.query.model import Term

    graph = nx.MultiDiGraph()
    graph.add_node("a", t=Term.iri("http://x/a"), n=Decimal("1.5"), none=None, many=["b", "a"])
    graph.add_edge("a", "a", key="k", lit=Term.literal("7", CSKG[:-1]))
    safe = graph_to_attrs_safe(graph)
    assert safe.nodes["a"] == {"t": "http://x/a", "n": 1.5, "many": "a | b"}
    assert safe.edges["a", "a", "k"] == {"lit": "7"}


# -- the files ------------------------------------------------------------------------------

DotGraph = tuple[dict[str, dict[str, str]], dict[tuple[str, str, str], dict[str, str]]]
_QUOTED = r'"((?:[^"\\]|\\.)*)"'
_ATTR = re.compile(_QUOTED + "=" + _QUOTED)
_NODE = re.compile(r"^\s*" + _QUOTED + r" \[(.*)\];$")
_EDGE = re.compile(r"^\s*" + _QUOTED + " -> " + _QUOTED + r" \[(.*)\];$")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], text)


def parse_dot(text: str) -> DotGraph:
    """Nodes and edges of the DOT the exporter writes (quoted IDs, one statement a line)."""
    nodes: dict[str, dict[str, str]] = {}
    edges: dict[tuple[str, str, str], dict[str, str]] = {}
    lines = text.splitlines()
    assert lines[0].startswith(DOT_MARK) and lines[1].startswith("digraph ") and lines[-1] == "}"
    for line in lines[2:-1]:
        if found := _EDGE.match(line):
            attrs = {_unescape(k): _unescape(v) for k, v in _ATTR.findall(found[3])}
            edges[(_unescape(found[1]), _unescape(found[2]), attrs.pop("key"))] = attrs
        elif found := _NODE.match(line):
            nodes[_unescape(found[1])] = {
                _unescape(k): _unescape(v) for k, v in _ATTR.findall(found[2])
            }
    return nodes, edges


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def gexf_edge_keys(data: bytes) -> dict[str, str]:
    """GEXF edge id → the networkx key written with it."""
    from xml.etree import ElementTree

    ns = {"g": "http://www.gexf.net/1.2draft"}
    root = ElementTree.fromstring(data)
    (key_id,) = [
        a.get("id")
        for a in root.iterfind(".//g:attributes[@class='edge']/g:attribute", ns)
        if a.get("title") == "networkx_key"
    ]
    return {
        edge.get("id"): edge.find(f"g:attvalues/g:attvalue[@for='{key_id}']", ns).get("value")
        for edge in root.iterfind(".//g:edge", ns)
    }


def reload(fmt: str, data: bytes) -> tuple[dict, dict, bool]:
    """(nodes → attrs, (u, v, key) → attrs, values-are-text) of a written file.

    What only one format adds (GEXF's `viz` and time interval, the edges' `id`) is set aside
    here, and checked by tests/test_export_tools.py."""
    if fmt in ("graphml", "gexf", "json"):
        if fmt == "graphml":
            graph = nx.read_graphml(io.BytesIO(data), force_multigraph=True)
        elif fmt == "gexf":
            graph = nx.read_gexf(io.BytesIO(data))
        else:
            graph = nx.node_link_graph(json.loads(data), edges="edges")
        assert graph.is_directed()
        if fmt == "gexf":
            for _, d in graph.nodes(data=True):
                for added in ("viz", "start", "end"):
                    d.pop(added, None)
        edges = {}
        if fmt == "gexf" and not graph.is_multigraph():
            # networkx reads a GEXF file without parallel edges as a DiGraph and drops the
            # edge key, which the file holds as the attribute "networkx_key": read it there
            keys = gexf_edge_keys(data)
            for u, v, d in graph.edges(data=True):
                d = dict(d)
                edges[(u, v, keys[d.pop("id")])] = d
            return dict(graph.nodes(data=True)), edges, False
        assert graph.is_multigraph()
        for u, v, k, d in graph.edges(keys=True, data=True):
            d = dict(d)
            if fmt == "gexf":
                d.pop("id")
            edges[(u, v, k)] = d
        return dict(graph.nodes(data=True)), edges, False
    if fmt == "cytoscape":
        doc = json.loads(data)
        assert doc["directed"] is True and doc["multigraph"] is True
        assert set(doc["elements"]) == {"nodes", "edges"}
        nodes = {}
        for element in doc["elements"]["nodes"]:
            d = dict(element["data"])
            node = d.pop("id")
            assert d.pop("value") == node and d["name"] == d["label"]
            nodes[node] = d
        edges = {}
        for element in doc["elements"]["edges"]:
            d = dict(element["data"])
            edge = (d.pop("source"), d.pop("target"), d.pop("key"))
            assert d.pop("id") == edge_id(edge[0], edge[2], edge[1])
            edges[edge] = d
        return nodes, edges, False
    if fmt == "dot":
        nodes, edges = parse_dot(data.decode())
        return nodes, edges, True
    assert fmt == "edges-csv"
    edges = {}
    for row in csv.DictReader(io.StringIO(data.decode())):
        edges[(row.pop("source"), row.pop("target"), row.pop("key"))] = row
    return {}, edges, True


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("view", ["policy-impact", "organisations-zh", "include"])
def test_round_trip(fmt: str, view: str, release: Path, graphs: dict, tmp_path: Path) -> None:
    graph = graphs[view]
    out = tmp_path / f"graph.{fmt}"
    assert (
        main(
            [
                "--dist",
                str(release),
                "export",
                "--view",
                {"organisations-zh": "organisations", "include": "all"}.get(view, view),
                "--format",
                fmt,
                "-o",
                str(out),
                *(["--lang", "zh"] if view.endswith("-zh") else []),
                *(["--provenance", "include"] if view == "include" else []),
            ]
        )
        == 0
    )
    nodes, edges, as_text = reload(fmt, out.read_bytes())
    graph = prepare(graph)  # the graph as every writer takes it: names and interactions added
    expected_edges = {(u, v, k): d for u, v, k, d in graph.edges(keys=True, data=True)}
    assert set(edges) == set(expected_edges)
    if fmt == "edges-csv":
        for (u, v, k), row in edges.items():
            attrs = expected_edges[(u, v, k)]
            assert row["source_label"] == graph.nodes[u]["label"]
            assert row["target_label"] == graph.nodes[v]["label"]
            for column in (
                "predicate",
                "label",
                "modality",
                "claim",
                "section",
                "quote",
                "inferred",
            ):
                assert row[column] == _text(attrs.get(column, ""))
        return
    assert set(nodes) == set(graph)
    for node, attrs in graph.nodes(data=True):
        want = {k: _text(v) for k, v in attrs.items()} if as_text else dict(attrs)
        assert nodes[node] == want
    for key, attrs in expected_edges.items():
        want = {k: _text(v) for k, v in attrs.items()} if as_text else dict(attrs)
        assert edges[key] == want


def test_round_trip_includes_miit_in_chinese(graphs: dict) -> None:
    nodes, _, _ = reload("graphml", render(graphs["organisations-zh"], "graphml"))
    assert nodes[MIIT]["label"] == "工业和信息化部"
    assert "工业和信息化部" in render(graphs["organisations-zh"], "dot").decode()


def test_dot_escaping() -> None:
    graph = nx.MultiDiGraph(name='a "name"')
    tricky = 'say "hi" \\ back\nslash'
    graph.add_node('n"1', label=tricky, weight=2.5, flag=True)
    graph.add_node("n\\2", label="plain")
    graph.add_edge('n"1', "n\\2", key="cskg:x", quote=tricky)
    text = render(graph, "dot").decode()
    assert text.count("\n") == 7  # mark, header, graph attrs, node defaults, 2 nodes, 1 edge, }
    nodes, edges = parse_dot(text)
    assert nodes == {
        'n"1': {"label": tricky, "name": tricky, "weight": "2.5", "flag": "true"},
        "n\\2": {"label": "plain", "name": "plain"},
    }
    assert edges == {
        ('n"1', "n\\2", "cskg:x"): {"quote": tricky, "name": "cskg:x", "interaction": "cskg:x"}
    }


def test_export_to_stdout(release: Path, graphs: dict, capsysbinary: pytest.CaptureFixture) -> None:
    assert main(["--dist", str(release), "export", "--view", "technology", "--format", "json"]) == 0
    data = capsysbinary.readouterr().out
    graph = nx.node_link_graph(json.loads(data), edges="edges")
    assert set(graph) == set(graphs["technology"])
    assert edge_set(graph) == edge_set(graphs["technology"])


def test_export_subprocess(release: Path, graphs: dict) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cskg.cli",
            "--dist",
            str(release),
            "export",
            "--view",
            "policy-impact",
            "--format",
            "edges-csv",
        ],
        capture_output=True,
        check=True,
    )
    rows = list(csv.DictReader(io.StringIO(done.stdout.decode())))
    assert {(r["source"], r["key"], r["target"]) for r in rows} == edge_set(graphs["policy-impact"])
    assert {r["modality"] for r in rows} <= {"realised", "expected", "proposed", "forecast"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_out_files_extension_chooses_the_format(
    fmt: str, release: Path, tmp_path: Path
) -> None:
    from cskg.export.formats import EXPORT_FORMATS

    named, guessed = tmp_path / "named", tmp_path / f"guessed{EXPORT_FORMATS[fmt].extension}"
    for out, extra in ((named, ["--format", fmt]), (guessed, [])):
        argv = ["--dist", str(release), "export", "--view", "policy-impact", "-o", str(out)]
        assert main(argv + extra) == 0
    assert guessed.read_bytes() == named.read_bytes()
