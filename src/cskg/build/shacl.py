"""SHACL validation with pyrudof (default) or pyshacl (reference), normalised to one report.

Both engines validate the same single data graph: the union of the ontology, every data graph
and the inferred triples (so `sh:targetClass` and `sh:class` see the inferred types). Their
results are normalised to `Result`s whose nodes are written in N-Triples syntax (`<iri>`,
`_:label`, `"literal"@en`), so that results of both engines compare as tuples. Blank-node
shapes (property shapes written `sh:property [ ... ]`) keep their labels: pyrudof is fed the
shapes as N-Triples with the labels of the shapes graph, and pyshacl gets the graph itself.

The message of a result is the shape's own `sh:message` when it has one (English preferred),
otherwise the engine's text.

pyrudof reads its input from a string, a file path *or a URL*; to be sure it never reaches out,
it is only ever given the path of a temporary file this module wrote.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cskg.errors import CskgError

if TYPE_CHECKING:
    import rdflib

ENGINES = ("pyrudof", "pyshacl")
SH = "http://www.w3.org/ns/shacl#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


@dataclass(frozen=True)
class Result:
    """One SHACL validation result; nodes in N-Triples syntax, `None` where absent."""

    focus_node: str
    result_path: str | None
    value: str | None
    source_shape: str
    constraint_component: str
    severity: str  # the IRI, e.g. http://www.w3.org/ns/shacl#Violation
    message: str

    def key(self) -> tuple[str, str, str]:
        """What two engines must agree on: (focus node, constraint component, source shape)."""
        return (self.focus_node, self.constraint_component, self.source_shape)


@dataclass
class ValidationReport:
    conforms: bool
    results: list[Result] = field(default_factory=list)
    engine: str = "pyrudof"
    #: display names of nodes (N-Triples syntax → label): data labels, shape names
    labels: dict[str, str] = field(default_factory=dict)
    #: the node shape a blank property shape belongs to, and its path, for display
    shape_owner: dict[str, str] = field(default_factory=dict)

    def keys(self) -> set[tuple[str, str, str]]:
        return {r.key() for r in self.results}

    # -- formats ---------------------------------------------------------------------------------

    def _name(self, node: str | None) -> str:
        if node is None:
            return "-"
        label = self.labels.get(node)
        shown = _short(node)
        return f"{shown} ({label})" if label else shown

    def _shape_name(self, shape: str) -> str:
        owner = self.shape_owner.get(shape)
        return owner if owner else self._name(shape)

    def to_text(self) -> str:
        """A readable report, grouped by shape, then by focus node."""
        if self.conforms and not self.results:
            return f"Conforms: the data satisfies every shape ({self.engine}).\n"
        by_shape: dict[str, dict[str, list[Result]]] = defaultdict(lambda: defaultdict(list))
        for r in self.results:
            by_shape[self._shape_name(r.source_shape)][r.focus_node].append(r)
        violations = sum(1 for r in self.results if r.severity == SH + "Violation")
        lines = [
            f"{'Conforms' if self.conforms else 'Does not conform'}: {len(self.results)} result(s),"
            f" {violations} violation(s), {len(by_shape)} shape(s) ({self.engine})",
            "",
        ]
        for shape in sorted(by_shape):
            lines.append(f"Shape {shape}")
            for focus in sorted(by_shape[shape]):
                lines.append(f"  {self._name(focus)}")
                for r in sorted(by_shape[shape][focus], key=_sort_key):
                    severity = r.severity.removeprefix(SH)
                    component = r.constraint_component.removeprefix(SH).removesuffix(
                        "ConstraintComponent"
                    )
                    where = f" {_short(r.result_path)}" if r.result_path else ""
                    value = f" value {self._name(r.value)}" if r.value else ""
                    lines.append(f"    {severity} [{component}]{where}{value}: {r.message}")
            lines.append("")
        return "\n".join(lines)

    def to_json(self) -> str:
        data = {
            "conforms": self.conforms,
            "engine": self.engine,
            "results": [asdict(r) for r in sorted(self.results, key=_sort_key)],
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    def to_graph(self) -> rdflib.Graph:
        """A standard `sh:ValidationReport` graph."""
        from rdflib import RDF as R
        from rdflib import BNode, Graph, Literal, Namespace
        from rdflib.util import from_n3

        sh = Namespace(SH)
        graph = Graph()
        graph.bind("sh", sh)
        report = BNode("report")
        graph.add((report, R.type, sh.ValidationReport))
        graph.add((report, sh.conforms, Literal(self.conforms)))
        for i, r in enumerate(sorted(self.results, key=_sort_key)):
            node = BNode(f"result{i}")
            graph.add((report, sh.result, node))
            graph.add((node, R.type, sh.ValidationResult))
            graph.add((node, sh.focusNode, from_n3(r.focus_node)))
            graph.add((node, sh.sourceShape, from_n3(r.source_shape)))
            graph.add((node, sh.sourceConstraintComponent, from_n3(f"<{r.constraint_component}>")))
            graph.add((node, sh.resultSeverity, from_n3(f"<{r.severity}>")))
            graph.add((node, sh.resultMessage, Literal(r.message)))
            if r.result_path and r.result_path.startswith("<"):
                graph.add((node, sh.resultPath, from_n3(r.result_path)))
            if r.value is not None:
                graph.add((node, sh.value, from_n3(r.value)))
        return graph

    def to_turtle(self) -> str:
        return self.to_graph().serialize(format="turtle")


def _sort_key(r: Result) -> tuple:
    return (
        r.source_shape,
        r.focus_node,
        r.constraint_component,
        r.result_path or "",
        r.value or "",
    )


def _short(node: str | None) -> str:
    """A node in N-Triples syntax, with the project's prefixes where one fits."""
    if not node:
        return "-"
    if node.startswith("<") and node.endswith(">"):
        from cskg.build.sources import PREFIXES

        iri = node[1:-1]
        best = max(
            ((p, ns) for p, ns in PREFIXES.items() if iri.startswith(ns)),
            key=lambda item: len(item[1]),
            default=None,
        )
        if best and all(c.isalnum() or c in "-_." for c in iri[len(best[1]) :]):
            return f"{best[0]}:{iri[len(best[1]) :]}"
    return node


# -- the engines --------------------------------------------------------------------------------


def validate(
    data_graph: rdflib.Graph | None,
    shapes_graph: rdflib.Graph,
    engine: str = "pyrudof",
    *,
    data_ntriples: bytes | None = None,
    shapes_ntriples: bytes | None = None,
) -> ValidationReport:
    """Validate `data_graph` (one merged graph) against `shapes_graph`.

    A caller that has the same graphs as N-Triples already (with the same blank-node labels)
    may pass them: pyrudof then reads those instead of a conversion of the rdflib graphs, and
    `data_graph` may be None (it is made from the N-Triples only if the report names nodes
    whose labels it should show).
    """
    if data_graph is None and (data_ntriples is None or engine != "pyrudof"):
        raise ValueError("validate needs the data graph, or pyrudof and its N-Triples")
    if engine == "pyrudof":
        conforms, results = _pyrudof(data_graph, shapes_graph, data_ntriples, shapes_ntriples)
    elif engine == "pyshacl":
        conforms, results = _pyshacl(data_graph, shapes_graph)
    else:
        raise ValueError(f"unknown SHACL engine {engine!r}; use one of {', '.join(ENGINES)}")
    report = ValidationReport(conforms=conforms, engine=engine)
    report.results = _normalise(results, shapes_graph)
    if report.results:
        if data_graph is None:
            import pyoxigraph as ox

            from cskg.build.sources import triples_to_graph

            data_graph = triples_to_graph(ox.parse(data_ntriples, format=ox.RdfFormat.N_TRIPLES))
        _describe(report, data_graph, shapes_graph)
    return report


def _nt(node: rdflib.term.Node) -> str:
    return node.n3()


def _pyrudof(
    data: rdflib.Graph | None,
    shapes: rdflib.Graph,
    data_ntriples: bytes | None = None,
    shapes_ntriples: bytes | None = None,
) -> tuple[bool, list[dict]]:
    import pyrudof

    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    with tempfile.TemporaryDirectory(prefix="cskg-shacl-") as tmp:
        data_file, shapes_file = Path(tmp) / "data.nt", Path(tmp) / "shapes.nt"
        data_file.write_bytes(data_ntriples if data_ntriples is not None else _ntriples(data))  # type: ignore[arg-type]
        shapes_file.write_bytes(
            shapes_ntriples if shapes_ntriples is not None else _ntriples(shapes)
        )
        try:
            rudof.read_data(
                str(data_file),
                format=pyrudof.RDFFormat.NTriples,
                reader_mode=pyrudof.ReaderMode.Strict,
            )
            rudof.read_shacl(
                str(shapes_file),
                format=pyrudof.ShaclFormat.NTriples,
                reader_mode=pyrudof.ReaderMode.Strict,
            )
            report = rudof.validate_shacl()
        except pyrudof.RudofError as error:  # malformed shapes, mostly
            raise CskgError(f"SHACL validation failed (pyrudof): {error}") from None
    results = []
    for entry in report:
        results.append(
            {
                "focus": _rudof_node(entry.focus_node),
                "path": _rudof_node(entry.path),
                "value": _rudof_node(entry.value),
                "shape": _rudof_node(entry.source_shape),
                "component": f"<{entry.constraint_component}>",
                "severity": SH + str(entry.severity),
                "message": _rudof_message(entry.message),
            }
        )
    return bool(report.conforms), results


def _ntriples(graph: rdflib.Graph) -> bytes:
    """N-Triples of an rdflib graph, via pyoxigraph (fast), blank-node labels kept."""
    import pyoxigraph as ox

    from cskg.build.sources import graph_to_triples

    return ox.serialize(graph_to_triples(graph), format=ox.RdfFormat.N_TRIPLES)


def _rudof_node(text: str | None) -> str | None:
    """pyrudof prints IRIs bare, blank nodes as `_:x`, literals in N-Triples-like syntax."""
    if text is None or text == "":
        return None
    if text.startswith(("_:", "<")):
        return text
    if text.startswith('"'):
        return _rudof_literal(text)
    return f"<{text}>"


_RUDOF_PREFIXES = {
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
}


def _rudof_literal(text: str) -> str:
    """pyrudof writes datatypes as `xsd:integer`; rewrite the literal as N-Triples."""
    from rdflib import Literal

    match = re.fullmatch(r'"(.*)"(?:@([A-Za-z0-9-]+)|\^\^(\S+))?', text, flags=re.S)
    if not match:
        return text
    lexical, language, datatype = match.groups()
    lexical = lexical.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
    if datatype:
        if datatype.startswith("<"):
            datatype = datatype[1:-1]
        elif ":" in datatype:
            prefix, local = datatype.split(":", 1)
            datatype = _RUDOF_PREFIXES.get(prefix, prefix + ":") + local
        if datatype == "http://www.w3.org/2001/XMLSchema#string":
            datatype = None
    return Literal(lexical, lang=language, datatype=datatype).n3()


def _rudof_message(text: str | None) -> str:
    # e.g. '"MinCount(1) not satisfied", "need a name"@en': the first literal is the engine's
    if not text:
        return ""
    from rdflib.util import from_n3

    first = text.split('", ', 1)[0] + ('"' if '", ' in text else "")
    try:
        return str(from_n3(first))
    except Exception:  # keep the engine's text as it is
        return text


def _pyshacl(data: rdflib.Graph, shapes: rdflib.Graph) -> tuple[bool, list[dict]]:
    import pyshacl
    from rdflib import Namespace

    sh = Namespace(SH)
    conforms, report, _ = pyshacl.validate(
        data,
        shacl_graph=shapes,
        advanced=True,
        inference="none",
        allow_warnings=True,
        abort_on_first=False,
    )
    results = []
    for node in report.objects(None, sh.result):
        path = report.value(node, sh.resultPath)
        value = report.value(node, sh.value)
        messages = list(report.objects(node, sh.resultMessage))
        results.append(
            {
                "focus": _nt(report.value(node, sh.focusNode)),
                "path": _nt(path) if path is not None else None,
                "value": _nt(value) if value is not None else None,
                "shape": _nt(report.value(node, sh.sourceShape)),
                "component": _nt(report.value(node, sh.sourceConstraintComponent)),
                "severity": str(report.value(node, sh.resultSeverity)),
                "message": str(messages[-1]) if messages else "",
            }
        )
    return bool(conforms), results


def _normalise(raw: list[dict], shapes: rdflib.Graph) -> list[Result]:
    from rdflib import Namespace
    from rdflib.util import from_n3

    sh = Namespace(SH)
    out: set[Result] = set()
    for r in raw:
        message = r["message"]
        try:
            own = list(shapes.objects(from_n3(r["shape"]), sh.message))
        except Exception:  # an unparsable shape name has no sh:message
            own = []
        if own:
            english = [m for m in own if getattr(m, "language", None) in ("en", None)]
            message = str(sorted(english or own)[0])
        out.add(
            Result(
                focus_node=r["focus"],
                result_path=r["path"],
                value=r["value"],
                source_shape=r["shape"],
                constraint_component=r["component"].strip("<>"),
                severity=r["severity"].strip("<>"),
                message=message,
            )
        )
    return sorted(out, key=_sort_key)


def _describe(report: ValidationReport, data: rdflib.Graph, shapes: rdflib.Graph) -> None:
    """Labels of the nodes the report names, and owners of blank property shapes."""
    from rdflib import Literal, Namespace, URIRef
    from rdflib.util import from_n3

    sh = Namespace(SH)
    nodes = {n for r in report.results for n in (r.focus_node, r.value) if n}
    for text in nodes:
        try:
            node = from_n3(text)
        except Exception:
            continue
        if isinstance(node, Literal):
            continue
        labels = list(data.objects(node, URIRef(RDFS_LABEL)))
        english = [x for x in labels if getattr(x, "language", None) == "en"]
        if english or labels:
            report.labels[text] = str(sorted(english or labels)[0])
    for shape_text in {r.source_shape for r in report.results}:
        try:
            shape = from_n3(shape_text)
        except Exception:
            continue
        owner = shapes.value(predicate=sh.property, object=shape)
        path = shapes.value(shape, sh.path)
        if owner is not None and shape_text.startswith("_:"):
            shown = _short(owner.n3())
            report.shape_owner[shape_text] = (
                f"{shown} / {_short(path.n3())}" if path is not None else shown
            )


def validate_release(
    dist: Path, files: list[Path] | None = None, reference: bool = False
) -> ValidationReport:
    """Validate the release in `dist` (its `cskg.nq` and `shapes.ttl`), plus extra data files.

    With files, their triples are added to the release's asserted triples and the entailments
    are computed anew (owlrl with `reference`, else reasonable) before validating. As in the
    build, the data is checked part by part (`cskg.build.pipeline.split_parts`: one paper at a time).
    """
    import pyoxigraph as ox

    from cskg.build.pipeline import check_parts, merge_reports, split_parts
    from cskg.build.sources import (
        INFERRED_GRAPH,
        load_dump,
        load_extra,
        parse_file,
        shapes_graph,
        triples_to_graph,
    )

    dump, shapes_file = Path(dist) / "cskg.nq", Path(dist) / "shapes.ttl"
    for needed in (dump, shapes_file):
        if not needed.is_file():
            raise CskgError(f"no release at {dist} ({needed.name} missing); run `cskg build`")
    quads = load_dump(dump)
    shape_triples = [q.triple for q in parse_file(shapes_file)]
    validator = "pyshacl" if reference else "pyrudof"
    if files:
        inferred = ox.NamedNode(INFERRED_GRAPH)
        asserted = [q for q in quads if q.graph_name != inferred] + load_extra(files)
        reasoner = "owlrl" if reference else "reasonable"
        checked = check_parts(split_parts(asserted), shape_triples, reasoner, validator)
        return merge_reports([report for _, report, _ in checked])
    # the release holds its entailments already: validate each part as it is
    shapes = shapes_graph(shape_triples)
    shapes_nt = ox.serialize(shape_triples, format=ox.RdfFormat.N_TRIPLES)
    reports = []
    for part in split_parts(quads):
        data_nt = ox.serialize(dict.fromkeys(q.triple for q in part), format=ox.RdfFormat.N_TRIPLES)
        reports.append(
            validate(
                triples_to_graph(part),
                shapes,
                validator,
                data_ntriples=data_nt,
                shapes_ntriples=shapes_nt,
            )
        )
    return merge_reports(reports)
