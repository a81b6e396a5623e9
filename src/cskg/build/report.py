"""The SHACL validation report both validators are normalised to, its formats, and the merge of
the reports of several parts into one.

Nodes are written in N-Triples syntax (`<iri>`, `_:label`, `"literal"@en`), so that the results of
both engines compare as tuples.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from cskg.query.results import compact
from cskg.vocab import RDF_TYPE, SH

if TYPE_CHECKING:
    import rdflib

VIOLATION = SH + "Violation"


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


def sort_key(r: Result) -> tuple[str, str, str, str, str, str, str]:
    """The order of results in every format: by shape, focus node, component, path, value, and
    severity and message, so that no two results tie (the order is the same in every build)."""
    return (
        r.source_shape,
        r.focus_node,
        r.constraint_component,
        r.result_path or "",
        r.value or "",
        r.severity,
        r.message,
    )


@dataclass(repr=False)
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
        shown = short_name(node)
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
        violations = sum(1 for r in self.results if r.severity == VIOLATION)
        lines = [
            f"{'Conforms' if self.conforms else 'Does not conform'}: {len(self.results)} result(s),"
            f" {violations} violation(s), {len(by_shape)} shape(s) ({self.engine})",
            "",
        ]
        for shape in sorted(by_shape):
            lines.append(f"Shape {shape}")
            for focus in sorted(by_shape[shape]):
                lines.append(f"  {self._name(focus)}")
                lines += [
                    self._result_line(r) for r in sorted(by_shape[shape][focus], key=sort_key)
                ]
            lines.append("")
        return "\n".join(lines)

    def _result_line(self, r: Result) -> str:
        severity = r.severity.removeprefix(SH)
        component = r.constraint_component.removeprefix(SH).removesuffix("ConstraintComponent")
        where = f" {short_name(r.result_path)}" if r.result_path else ""
        value = f" value {self._name(r.value)}" if r.value else ""
        return f"    {severity} [{component}]{where}{value}: {r.message}"

    def __repr__(self) -> str:
        state = "conforms" if self.conforms else "does not conform"
        first = f"; first: {self._result_line(self.results[0]).strip()}" if self.results else ""
        text = f"<ValidationReport {state} ({self.engine}): {len(self.results)} results{first}"
        return (text if len(text) < 300 else text[:299] + "…") + ">"

    def _repr_html_(self) -> str:
        """The results as a table (at most 50 rows), for a notebook."""
        from cskg.query.frames import table

        rows = [
            (
                r.severity.removeprefix(SH),
                self._shape_name(r.source_shape),
                self._name(r.focus_node),
                short_name(r.result_path) if r.result_path else "",
                self._name(r.value) if r.value else "",
                r.message,
            )
            for r in sorted(self.results, key=sort_key)
        ]
        state = "Conforms" if self.conforms else "Does not conform"
        caption = f"{state} ({self.engine}): {len(rows)} results"
        headers = ("severity", "shape", "focus node", "path", "value", "message")
        return table(headers, rows, len(rows), 50, caption=caption)

    def to_json(self) -> str:
        data = {
            "conforms": self.conforms,
            "engine": self.engine,
            "results": [asdict(r) for r in sorted(self.results, key=sort_key)],
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    def to_graph(self) -> rdflib.Graph:
        """A standard `sh:ValidationReport` graph."""
        from rdflib import BNode, Graph, Literal, Namespace, URIRef

        sh = Namespace(SH)
        graph = Graph()
        graph.bind("sh", sh)
        report = BNode("report")
        graph.add((report, URIRef(RDF_TYPE), sh.ValidationReport))
        graph.add((report, sh.conforms, Literal(self.conforms)))
        for i, r in enumerate(sorted(self.results, key=sort_key)):
            node = BNode(f"result{i}")
            graph.add((report, sh.result, node))
            graph.add((node, URIRef(RDF_TYPE), sh.ValidationResult))
            graph.add((node, sh.focusNode, rdflib_node(r.focus_node)))
            graph.add((node, sh.sourceShape, rdflib_node(r.source_shape)))
            graph.add((node, sh.sourceConstraintComponent, URIRef(r.constraint_component)))
            graph.add((node, sh.resultSeverity, URIRef(r.severity)))
            graph.add((node, sh.resultMessage, Literal(r.message)))
            if r.result_path and r.result_path.startswith("<"):
                graph.add((node, sh.resultPath, rdflib_node(r.result_path)))
            if r.value is not None:
                graph.add((node, sh.value, rdflib_node(r.value)))
        return graph

    def to_turtle(self) -> str:
        return self.to_graph().serialize(format="turtle")


def merge_reports(reports: Iterable[ValidationReport]) -> ValidationReport:
    """One report of the parts' reports (a result found in several parts counts once)."""
    reports = list(reports)
    merged = ValidationReport(conforms=all(r.conforms for r in reports), engine=reports[0].engine)
    merged.results = sorted({x for r in reports for x in r.results}, key=sort_key)
    for r in reports:
        merged.labels.update(r.labels)
        merged.shape_owner.update(r.shape_owner)
    return merged


def short_name(node: str | None) -> str:
    """A node in N-Triples syntax, an IRI as its name for people (`cskg.query.results.compact`)."""
    if not node:
        return "-"
    if node.startswith("<") and node.endswith(">"):
        return compact(node[1:-1])
    return node


def rdflib_node(text: str) -> rdflib.term.Node:
    """A node of a result (N-Triples syntax) as an rdflib term; ValueError if it is not one."""
    from rdflib.term import Node
    from rdflib.util import from_n3

    node = from_n3(text)
    if not isinstance(node, Node):
        raise ValueError(f"not a node in N-Triples syntax: {text!r}")
    return node
