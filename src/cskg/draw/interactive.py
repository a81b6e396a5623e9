"""`cskg plot interactive`: the whole graph as one self-contained HTML page.

The page inlines everything it needs (the vendored cytoscape.js, its own script and style, and
the graph as JSON), so it opens from disk with no network at all; a Content-Security-Policy
with `default-src 'none'` and hash-pinned scripts makes that a rule the browser enforces, not
only a habit of the template.

Data goes into a `<script type="application/json">` block with `<`, `>` and `&` written as
JSON escapes, so no label can close the block; the page's script renders every value with
`textContent`, never as markup.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections import Counter
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cskg.errors import CskgError

if TYPE_CHECKING:
    import networkx as nx

#: the most nodes a page holds: its force-directed layout (cytoscape's cose) grows with the
#: square of the nodes: in headless Chromium 2 s for the paper's 366, 7 s for 10 synthetic
#: papers' policy-impact view (1,392), 116 s for their whole graph (2,886), hours for 100 papers'
MAX_INTERACTIVE_NODES = 1_500

#: node attributes that the page shows in its own places rather than as "properties"
_NODE_FIELDS = {"iri", "label", "label_en", "label_zh", "class", "class_label", "types"}
#: node attributes that hold other names of a resource; the search box matches them too
_ALT_LABEL_KEYS = ("skos:altLabel", "skos:prefLabel", "rdfs:label", "dcterms:title")

# Colours by family, so the legend reads as groups: policies blue, organisations green,
# technology teal, changes red, problems/trends/recommendations warm, concepts grey-olive.
CLASS_COLOURS: dict[str, str] = {
    "cskg:Plan": "#1f5fbf",
    "cskg:Law": "#0d3b8c",
    "cskg:Strategy": "#3c7fd9",
    "cskg:Policy": "#5b8fd6",
    "cskg:Initiative": "#74a9e8",
    "cskg:PolicyPriority": "#9fc2ee",
    "cskg:Target": "#2f6fa8",
    "cskg:Event": "#8e44ad",
    "cskg:Agency": "#2e8b57",
    "cskg:Enterprise": "#6ab344",
    "cskg:ResearchInstitute": "#1b6e4a",
    "cskg:Person": "#c9a227",
    "org:Post": "#e0c35a",
    "cskg:Technology": "#17a2b8",
    "cskg:Product": "#0e7c86",
    "cskg:Standard": "#5fc9d6",
    "cskg:StandardCollection": "#4fb3bf",
    "cskg:IndustryChange": "#e0533b",
    "cskg:ThreatChange": "#a8201a",
    "cskg:Problem": "#e8912d",
    "cskg:Trend": "#a0642a",
    "cskg:Recommendation": "#d65fb0",
    "cskg:Sector": "#7a7a7a",
    "cskg:ProductCategory": "#b5b52a",
    "cskg:ChainLevel": "#7d7d26",
    "cskg:ProductSegment": "#d2cf7e",
    "cskg:StandardArea": "#a6a6a6",
    "cskg:Area": "#8f9aa3",
    "cskg:Unit": "#c4c4c4",
    "skos:Concept": "#9aa57a",
    "skos:ConceptScheme": "#6b7256",
    "org:Organization": "#4f9d69",
}
#: for classes without a family colour (e.g. from a user's CONSTRUCT query), in order of use
_FALLBACK_COLOURS = [
    "#6f4e7c", "#b07aa1", "#9c755f", "#4e79a7", "#59a14f", "#edc948", "#76b7b2", "#ff9da7",
    "#bab0ac", "#f28e2b", "#e15759", "#86bcb6",
]  # fmt: skip
#: what a node without a class gets
UNCLASSIFIED = "(unclassified)"

TITLE = "cskg: China's cyberspace security industry (CAE 2016), interactive graph"


def _plain(value: Any) -> str | int | float | bool | list[str]:
    """An attribute value as JSON: numbers and booleans stay, lists stay lists, rest is text."""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [str(v) for v in value]
    return str(value)


def _names(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple | set | frozenset):
        return [str(v) for v in value if str(v)]
    # to_networkx joins the values of a multi-valued literal property with " | "
    return [v for v in str(value).split(" | ") if v]


def _short(key: str) -> str:
    """`cskg:summary` → `summary`: the property names the panel shows."""
    return key.split(":", 1)[1] if ":" in key and not key.startswith("<") else key


def graph_payload(graph: nx.MultiDiGraph, *, lang: str = "en") -> dict[str, Any]:
    """The graph as the page's JSON: classes with colours and counts, nodes, edges, quotes.

    Quotes are stored once and referred to by index: one evidence sentence often supports
    several statements.
    """
    class_counts: Counter[str] = Counter()
    class_labels: dict[str, str] = {}
    nodes: list[dict[str, Any]] = []
    for node_id, attrs in graph.nodes(data=True):
        node = _node_payload(str(node_id), attrs)
        class_counts[node["cls"]] += 1
        if attrs.get("class_label"):
            class_labels.setdefault(node["cls"], str(attrs["class_label"]))
        nodes.append(node)

    spare = iter(_FALLBACK_COLOURS * (1 + len(class_counts) // len(_FALLBACK_COLOURS)))
    classes = [
        {
            "id": cls,
            "label": class_labels.get(cls) or _short(cls),
            "colour": CLASS_COLOURS.get(cls) or next(spare),
            "count": count,
        }
        # most frequent first, as the legend lists them
        for cls, count in sorted(class_counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    edges, quotes = _edges_payload(graph)
    return {"lang": lang, "classes": classes, "nodes": nodes, "edges": edges, "quotes": quotes}


def _node_payload(node_id: str, attrs: dict[str, Any]) -> dict[str, Any]:
    label_en = str(attrs.get("label_en") or attrs.get("label") or node_id)
    alt = [
        name
        for key in _ALT_LABEL_KEYS
        for name in _names(attrs.get(key))
        if name not in (label_en, attrs.get("label_zh"))
    ]
    props = [
        [_short(key), _plain(value)]
        for key, value in sorted(attrs.items())
        if key not in _NODE_FIELDS and key not in _ALT_LABEL_KEYS and value not in (None, "")
    ]
    node: dict[str, Any] = {
        "id": node_id,
        "iri": str(attrs.get("iri") or node_id),
        "label": str(attrs.get("label") or label_en),
        "en": label_en,
        "cls": str(attrs.get("class") or UNCLASSIFIED),
        "props": props,
    }
    if attrs.get("label_zh"):
        node["zh"] = str(attrs["label_zh"])
    if alt:
        node["alt"] = alt
    return node


def _edges_payload(graph: nx.MultiDiGraph) -> tuple[list[dict[str, Any]], list[str]]:
    """The edges, and the quotes they refer to by index."""
    quotes: list[str] = []
    quote_index: dict[str, int] = {}
    edges: list[dict[str, Any]] = []
    for source, target, key, attrs in graph.edges(keys=True, data=True):
        edge: dict[str, Any] = {
            "s": str(source),
            "t": str(target),
            "k": str(key),
            "p": str(attrs.get("label") or _short(str(key))),
        }
        if attrs.get("modality"):
            edge["m"] = str(attrs["modality"])
        if attrs.get("section"):
            edge["sec"] = str(attrs["section"])
        quote = attrs.get("quote")
        if quote:
            quote = str(quote)
            if quote not in quote_index:
                quote_index[quote] = len(quotes)
                quotes.append(quote)
            edge["q"] = quote_index[quote]
        if attrs.get("claim"):
            edge["claim"] = str(attrs["claim"])
        edges.append(edge)
    return edges, quotes


def _json_for_script(payload: dict[str, Any]) -> str:
    """JSON that cannot end its `<script>` element nor open markup: `<`, `>`, `&` escaped."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _static(name: str) -> str:
    return files("cskg.draw").joinpath("static", name).read_text(encoding="utf-8")


def _inline_script(source: str, name: str) -> str:
    # "</script" would end the element early; the vendored build and our script have none.
    if re.search(r"</script|<!--", source, re.IGNORECASE):
        raise ValueError(f"{name} cannot be inlined: it contains '</script' or '<!--'")
    return source


def _csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def render_html(graph: nx.MultiDiGraph, *, lang: str = "en", title: str = TITLE) -> str:
    """The self-contained page for `graph` (a MultiDiGraph with the `to_networkx` schema)."""
    payload = graph_payload(graph, lang=lang)
    scripts = {
        "CYTOSCAPE": _inline_script(_static("cytoscape.min.js"), "cytoscape.min.js"),
        "APP": _inline_script(_static("interactive.js"), "interactive.js"),
    }
    # Only these two scripts may run; nothing may be fetched (images only as data: URLs,
    # which is what cytoscape uses for its own textures).
    csp = (
        "default-src 'none'; "
        f"script-src {' '.join(_csp_hash(s) for s in scripts.values())}; "
        "style-src 'unsafe-inline'; img-src data: blob:; "
        "base-uri 'none'; form-action 'none'"
    )
    parts = {
        "LANG": "zh" if lang == "zh" else "en",
        "CSP": html.escape(csp, quote=False).replace('"', "&quot;"),  # in a "…" attribute
        "TITLE": html.escape(title),
        "STYLE": _static("interactive.css"),
        "DATA": _json_for_script(payload),
        **scripts,
    }
    # one pass, so that text inserted for one placeholder is never searched for another
    return re.sub(r"\{\{([A-Z]+)\}\}", lambda m: parts[m.group(1)], _static("interactive.html"))


def write_interactive(dist: Path, out: Path, *, lang: str = "en", view: str = "all") -> Path:
    """Write the interactive page of a view (`cskg.export.graph.to_networkx`; default the whole
    graph) of the release in `dist` to `out` (a `.html` file). A view of more than
    `MAX_INTERACTIVE_NODES` nodes is refused (`CskgError`) and nothing is written."""
    from cskg.export.graph import to_networkx

    graph = to_networkx(Path(dist), view, lang=lang, provenance="fold")
    if graph.number_of_nodes() > MAX_INTERACTIVE_NODES:
        raise CskgError(
            f"the view {view} has {graph.number_of_nodes():,} nodes, more than the "
            f"{MAX_INTERACTIVE_NODES:,} the page lays out in reasonable time; choose a smaller "
            "view with --view (policy-impact, organisations, technology, or a CONSTRUCT query "
            "file), or export it for Gephi or Cytoscape (cskg export --format gexf)"
        )
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        out = out.with_suffix(".html")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(graph, lang=lang), encoding="utf-8")
    return out
