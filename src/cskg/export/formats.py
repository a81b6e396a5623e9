"""Writing a networkx graph of the knowledge graph in the formats graph tools read.

- `graphml` (yEd, Gephi, Cytoscape desktop) and `gexf` (Gephi): networkx's writers;
- `json`: networkx node-link JSON (`nx.node_link_graph` reads it back);
- `cytoscape`: Cytoscape.js elements JSON, from `nx.cytoscape_data`;
- `dot`: Graphviz, written here (networkx's writer would need pydot) with every ID and value
  quoted and escaped;
- `edges-csv`: one row per edge, with the labels of both ends.

Every attribute value is made a str, int, float or bool first (`graph_to_attrs_safe`). Each
format is declared once, in `EXPORT_FORMATS` at the end (name, media type, extension, writer):
`cskg export --format` takes its choices from there, so a new format is one declaration and its
writer. networkx is imported only when a graph is written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cskg.errors import CskgError

if TYPE_CHECKING:
    import networkx as nx

# Columns of the edge list, in order; attributes an edge lacks are left empty.
EDGE_COLUMNS: tuple[str, ...] = (
    "source",
    "target",
    "key",
    "predicate",
    "label",
    "source_label",
    "target_label",
    "modality",
    "claim",
    "section",
    "quote",
    "evidence",
    "inferred",
)


def render(graph: nx.MultiDiGraph, fmt: str) -> bytes:
    """The graph as the bytes of a file in format `fmt` (UTF-8 for the text formats)."""
    from cskg.export.graph import graph_to_attrs_safe

    if fmt not in EXPORT_FORMATS:
        raise CskgError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    return EXPORT_FORMATS[fmt].write(graph_to_attrs_safe(graph))


def write(graph: nx.MultiDiGraph, fmt: str, out: Path) -> None:
    """Write the graph to the file `out`."""
    data = render(graph, fmt)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as error:
        raise CskgError(f"cannot write {out}: {error}") from error


def _json(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode()


def _graphml(graph: nx.MultiDiGraph) -> bytes:
    import networkx as nx

    return "\n".join(nx.generate_graphml(graph, encoding="utf-8")).encode() + b"\n"


def _gexf(graph: nx.MultiDiGraph) -> bytes:
    import networkx as nx

    buffer = io.BytesIO()
    nx.write_gexf(graph, buffer, encoding="utf-8")
    return buffer.getvalue()


def _node_link(graph: nx.MultiDiGraph) -> bytes:
    import networkx as nx

    return _json(nx.node_link_data(graph, edges="edges"))


def _cytoscape(graph: nx.MultiDiGraph) -> bytes:
    import networkx as nx

    data = nx.cytoscape_data(graph, name="label")
    data["data"] = dict(graph.graph)  # Cytoscape wants an object here, not pairs
    return _json(data)


# -- DOT ------------------------------------------------------------------------------------


def dot_quote(text: str) -> str:
    """A DOT double-quoted ID: backslashes and quotes escaped, line breaks as `\\n`."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")
    return f'"{escaped}"'


def _dot_attrs(attrs: dict[str, Any]) -> str:
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)

    return ", ".join(f"{dot_quote(k)}={dot_quote(value(v))}" for k, v in attrs.items())


def to_dot(graph: nx.MultiDiGraph) -> str:
    """The graph in Graphviz DOT: node ID = IRI, every attribute kept, `label` shown.

    Edge keys are written as the `key` attribute (DOT has no edge identity of its own).
    """
    lines = [f"digraph {dot_quote(str(graph.graph.get('name', 'cskg')))} {{"]
    graph_attrs = {k: v for k, v in graph.graph.items() if k != "name"}
    if graph_attrs:
        lines.append(f"  graph [{_dot_attrs(graph_attrs)}];")
    lines.append('  node [shape="box", style="rounded"];')
    for node, attrs in graph.nodes(data=True):
        lines.append(f"  {dot_quote(str(node))} [{_dot_attrs(attrs)}];")
    for u, v, key, attrs in graph.edges(keys=True, data=True):
        lines.append(
            f"  {dot_quote(str(u))} -> {dot_quote(str(v))} [{_dot_attrs({'key': key, **attrs})}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- edge list ------------------------------------------------------------------------------


def to_edges_csv(graph: nx.MultiDiGraph) -> str:
    """One CSV row per edge (columns `EDGE_COLUMNS`), with a header."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EDGE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for u, v, key, attrs in graph.edges(keys=True, data=True):
        row: dict[str, Any] = {
            "source": u,
            "target": v,
            "key": key,
            "source_label": graph.nodes[u].get("label", ""),
            "target_label": graph.nodes[v].get("label", ""),
        }
        for column in EDGE_COLUMNS:
            if column not in row:
                value = attrs.get(column, "")
                row[column] = str(value).lower() if isinstance(value, bool) else value
        writer.writerow(row)
    return buffer.getvalue()


# -- the registry ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFormat:
    """A file format for graph tools: its `cskg export --format` name, media type, file
    extension, and `write`, from an attribute-safe graph to the file's bytes."""

    name: str
    media: str
    extension: str
    write: Callable[[nx.MultiDiGraph], bytes]


#: every export format, by name, in the order `cskg export --help` lists them
EXPORT_FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("graphml", "application/graphml+xml", ".graphml", _graphml),
        ExportFormat("gexf", "application/gexf+xml", ".gexf", _gexf),
        ExportFormat("json", "application/json", ".json", _node_link),
        ExportFormat("cytoscape", "application/json", ".cyjs", _cytoscape),
        ExportFormat("dot", "text/vnd.graphviz", ".dot", lambda g: to_dot(g).encode()),
        ExportFormat("edges-csv", "text/csv", ".csv", lambda g: to_edges_csv(g).encode()),
    )
}
FORMATS: tuple[str, ...] = tuple(EXPORT_FORMATS)
