"""The SHACL constraints of the release (`dist/shapes.ttl`, the shapes it was validated with),
read as the ontology page lists them: one `Constraint` per property shape, per SPARQL
constraint and per constraint a node shape puts on its focus nodes, each with the targets of
its shape (`sh:targetClass`, `sh:targetSubjectsOf`, `sh:targetObjectsOf`, `sh:targetNode`).

A class is constrained by the constraints that target it or a class above it (its instances are
theirs too); a property by those whose path is the property and those that target the subjects
or objects of its statements.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from cskg.vocab import RDF, RDFS, SH

Index = dict[Any, dict[str, list[Any]]]


@dataclass
class Constraint:
    shape: str | None  # the IRI of the shape that states it (None: a blank node)
    name: str | None  # sh:name or rdfs:label
    comment: str | None
    message: str | None
    path: str | None = None  # None: a constraint on the focus node itself
    inverse: bool = False  # the path is sh:inversePath
    min_count: int | None = None
    max_count: int | None = None
    classes: list[str] = field(default_factory=list)  # sh:class, or alternatives in sh:or
    datatypes: list[str] = field(default_factory=list)  # sh:datatype, or alternatives
    node_kind: str | None = None
    values: list[str] = field(default_factory=list)  # sh:in
    languages: list[str] = field(default_factory=list)  # sh:languageIn
    pattern: str | None = None
    sparql: bool = False  # a SPARQL-based constraint (its message says what it checks)
    target_classes: list[str] = field(default_factory=list)
    target_subjects_of: list[str] = field(default_factory=list)
    target_objects_of: list[str] = field(default_factory=list)
    target_nodes: list[str] = field(default_factory=list)


def read_index(path: Path) -> Index:
    """subject -> predicate IRI -> objects, of the Turtle file at `path` (empty if none)."""
    index: Index = defaultdict(lambda: defaultdict(list))
    if path.is_file():
        for triple in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
            index[triple.subject][triple.predicate.value].append(triple.object)
    return index


def rdf_list(index: Index, head: Any) -> list[Any]:
    """The members of the RDF list starting at `head`."""
    items, seen = [], set()
    while isinstance(head, ox.BlankNode) and head not in seen:
        seen.add(head)
        items += index[head].get(RDF + "first", [])[:1]
        head = (index[head].get(RDF + "rest") or [None])[0]
    return items


def _text(index: Index, node: Any, *predicates: str) -> str | None:
    """The first English (or untagged) literal of the first predicate that has one."""
    for predicate in predicates:
        for value in index[node].get(predicate, []):
            if isinstance(value, ox.Literal) and (value.language or "en") == "en":
                return value.value
    return None


def _iris(values: list[Any]) -> list[str]:
    return [v.value for v in values if isinstance(v, ox.NamedNode)]


def _count(index: Index, node: Any, predicate: str) -> int | None:
    found = index[node].get(predicate)
    return int(found[0].value) if found and found[0].value.isdigit() else None


def _constraint(index: Index, node: Any, targets: dict[str, list[str]]) -> Constraint:
    """What the shape at `node` says about its focus nodes (or their values, with a path)."""
    props = index[node]
    path = (props.get(SH + "path") or [None])[0]
    inverse = False
    if isinstance(path, ox.BlankNode):  # [ sh:inversePath p ]
        path, inverse = (index[path].get(SH + "inversePath") or [None])[0], True
    alternatives = [a for head in props.get(SH + "or", []) for a in rdf_list(index, head)]
    return Constraint(
        shape=node.value if isinstance(node, ox.NamedNode) else None,
        name=_text(index, node, SH + "name", RDFS + "label"),
        comment=_text(index, node, RDFS + "comment", SH + "description"),
        message=_text(index, node, SH + "message"),
        path=path.value if isinstance(path, ox.NamedNode) else None,
        inverse=inverse,
        min_count=_count(index, node, SH + "minCount"),
        max_count=_count(index, node, SH + "maxCount"),
        classes=_iris(props.get(SH + "class", []))
        + [c for a in alternatives for c in _iris(index[a].get(SH + "class", []))],
        datatypes=_iris(props.get(SH + "datatype", []))
        + [d for a in alternatives for d in _iris(index[a].get(SH + "datatype", []))],
        node_kind=next(iter(_iris(props.get(SH + "nodeKind", []))), None),
        values=[v.value for head in props.get(SH + "in", []) for v in rdf_list(index, head)],
        languages=[v.value for h in props.get(SH + "languageIn", []) for v in rdf_list(index, h)],
        pattern=next((v.value for v in props.get(SH + "pattern", [])), None),
        sparql=SH + "select" in props or SH + "ask" in props,
        **targets,
    )


#: what a node shape says about its focus nodes without a path
NODE_LEVEL = tuple(SH + n for n in ("class", "datatype", "nodeKind", "in", "pattern", "or"))
TARGETS = {
    "target_classes": SH + "targetClass",
    "target_subjects_of": SH + "targetSubjectsOf",
    "target_objects_of": SH + "targetObjectsOf",
    "target_nodes": SH + "targetNode",
}


def constraints(path: Path) -> list[Constraint]:
    """Every constraint of the shapes file at `path` with its shape's targets."""
    index = read_index(path)
    out: list[Constraint] = []
    for node, props in list(index.items()):
        targets = {key: _iris(props.get(iri, [])) for key, iri in TARGETS.items()}
        if not any(targets.values()):
            continue  # reached from a shape that has targets, or not a shape
        if SH + "path" in props or any(p in props for p in NODE_LEVEL):
            out.append(_constraint(index, node, targets))
        for member in props.get(SH + "property", []):
            out.append(_constraint(index, member, targets))
        for member in props.get(SH + "sparql", []):
            out.append(_constraint(index, member, targets))
    return out


def of_class(found: list[Constraint], cls: str, above: frozenset[str]) -> list[Constraint]:
    """The constraints that apply to the instances of `cls` (`above`: its superclasses)."""
    return [c for c in found if cls in c.target_classes or set(c.target_classes) & above]


def of_property(found: list[Constraint], prop: str) -> list[Constraint]:
    """The constraints on the statements of `prop`."""
    return [
        c
        for c in found
        if c.path == prop or prop in c.target_subjects_of or prop in c.target_objects_of
    ]
