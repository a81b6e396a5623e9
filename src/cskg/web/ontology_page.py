"""The ontology's page: every class, property and individual of `cskg:`, with a table of
contents, named in the page's language.

A class shows its superclasses and subclasses, the properties it is the domain or range of (a
union in a domain or range counts for each of its members), the SHACL constraints that apply
to its instances (`cskg.web.shapes`, from the release's shapes) and a few of its instances. A
property shows its domain and range (a union as its members), its super- and sub-properties,
its inverse, its characteristics (functional, transitive, …) and the constraints on it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from cskg.query.results import compact
from cskg.release import local_name
from cskg.vocab import CSKG, GRAPH_ONTOLOGY, ONTOLOGY, OWL, RDF_TYPE, RDFS, SKOS
from cskg.web.release_view import Linker, ReleaseView, TermView, instance_path
from cskg.web.shapes import Constraint, Index, constraints, of_class, of_property, rdf_list

#: the sections of the ontology page, the type that puts a term in each (else: individuals),
#: and their headings
SECTIONS = {
    "classes": (OWL + "Class", "Classes"),
    "object_properties": (OWL + "ObjectProperty", "Object properties"),
    "datatype_properties": (OWL + "DatatypeProperty", "Datatype properties"),
    "annotation_properties": (OWL + "AnnotationProperty", "Annotation properties"),
    "individuals": ("", "Individuals"),
}
#: the types of a property that say how it behaves
CHARACTERISTICS = tuple(
    OWL + n
    for n in (
        "FunctionalProperty",
        "InverseFunctionalProperty",
        "TransitiveProperty",
        "SymmetricProperty",
        "AsymmetricProperty",
        "ReflexiveProperty",
        "IrreflexiveProperty",
    )
)
#: the examples a class shows at most
EXAMPLES = 5


@dataclass
class ConstraintView:
    """A constraint as the page lists it."""

    shape: str | None  # the shape's local name (shapes are not served as pages)
    name: str | None
    path: TermView | None
    inverse: bool
    counts: str  # "1", "0..1", "1..*", "" (none said)
    classes: list[TermView]
    datatypes: list[TermView]
    other: list[str]  # node kind, allowed values, languages, pattern
    message: str | None
    nodes: list[TermView]  # the resources it is for, when it targets resources by name
    inherited: TermView | None = None  # the class above whose constraint it is


class OntologyPage:
    def __init__(self, release: ReleaseView, linker: Linker, lang: str) -> None:
        self.release, self.linker, self.lang = release, linker, lang
        self.about: Index = defaultdict(lambda: defaultdict(list))
        for quad in release.store.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH_ONTOLOGY)):
            self.about[quad.subject][quad.predicate.value].append(quad.object)
        self.constraints = constraints(release.dist / "shapes.ttl")
        self.domain_of: dict[str, list[str]] = defaultdict(list)
        self.range_of: dict[str, list[str]] = defaultdict(list)
        self.children: dict[str, list[str]] = defaultdict(list)
        for subject, props in list(self.about.items()):
            if not isinstance(subject, ox.NamedNode):
                continue
            for key, index in ((RDFS + "domain", self.domain_of), (RDFS + "range", self.range_of)):
                for cls in self.members(props.get(key, [])):
                    index[cls].append(subject.value)
            for parent in props.get(RDFS + "subClassOf", []) + props.get(
                RDFS + "subPropertyOf", []
            ):
                if isinstance(parent, ox.NamedNode):
                    self.children[parent.value].append(subject.value)

    def members(self, terms: Iterable[Any]) -> list[str]:
        """IRIs of `terms`, a union (`owl:unionOf`) as its members."""
        out = []
        for term in terms:
            if isinstance(term, ox.NamedNode):
                out.append(term.value)
            elif isinstance(term, ox.BlankNode):
                for head in self.about[term].get(OWL + "unionOf", []):
                    out += [
                        m.value for m in rdf_list(self.about, head) if isinstance(m, ox.NamedNode)
                    ]
        return out

    def views(self, iris: Iterable[str]) -> list[TermView]:
        named = sorted(set(iris), key=lambda i: self.release.name(i, self.lang).lower())
        return [self.release.iri_view(i, self.linker, self.lang) for i in named]

    def constraint(self, found: Constraint, inherited: str | None = None) -> ConstraintView:
        low, high = found.min_count, found.max_count
        counts = (
            "" if low is None and high is None else f"{low or 0}..{'*' if high is None else high}"
        )
        counts = {"1..1": "1", "0..*": ""}.get(counts, counts)
        other = [compact(found.node_kind)] if found.node_kind else []
        other += [" | ".join(found.values)] if found.values else []
        other += ["@" + " @".join(found.languages)] if found.languages else []
        other += [f"/{found.pattern}/"] if found.pattern else []
        return ConstraintView(
            local_name(found.shape) if found.shape else None,
            found.name,
            self.release.iri_view(found.path, self.linker, self.lang) if found.path else None,
            found.inverse,
            counts,
            self.views(found.classes),
            self.views(found.datatypes),
            other,
            found.message or found.comment,
            self.views(found.target_nodes),
            self.release.iri_view(inherited, self.linker, self.lang) if inherited else None,
        )

    def class_constraints(self, iri: str) -> list[ConstraintView]:
        above = self.release.data.superclasses.get(iri, frozenset())
        out, seen = [], set()
        for found in of_class(self.constraints, iri, above):
            key = found.shape or id(found)
            if key in seen:
                continue
            seen.add(key)
            mine = iri in found.target_classes
            origin = None if mine else sorted(set(found.target_classes) & above)[0]
            out.append(self.constraint(found, origin))
        return out

    def entry(
        self, iri: str, props: dict[str, list[Any]], counts: dict[str, int]
    ) -> dict[str, Any]:
        """One term of the page."""
        labels = self.release.data.labels_in(iri)
        other = "zh" if self.lang != "zh" else "en"
        types = [t.value for t in props.get(RDF_TYPE, []) if isinstance(t, ox.NamedNode)]
        path = instance_path(iri)
        examples = self.release.examples(iri, EXAMPLES) if counts.get(iri) else []
        return {
            "iri": iri,
            "anchor": iri[len(CSKG) :],
            "label": self.release.label(iri, self.lang) or iri[len(CSKG) :],
            "other_label": labels.get(other),
            "other_lang": other,
            "comment": _comments(props, self.lang),
            "types": self.views(t for t in types if t not in CHARACTERISTICS),
            "characteristics": self.views(t for t in types if t in CHARACTERISTICS),
            "parents": self.views(
                p.value
                for p in props.get(RDFS + "subClassOf", []) + props.get(RDFS + "subPropertyOf", [])
                if isinstance(p, ox.NamedNode)
            ),
            "children": self.views(self.children.get(iri, [])),
            "domain": self.views(self.members(props.get(RDFS + "domain", []))),
            "range": self.views(self.members(props.get(RDFS + "range", []))),
            "domain_of": self.views(self.domain_of.get(iri, [])),
            "range_of": self.views(self.range_of.get(iri, [])),
            "inverse": self.views(self.members(props.get(OWL + "inverseOf", []))),
            "equivalent": self.views(self.members(props.get(OWL + "equivalentClass", []))),
            "disjoint": self.views(self.members(props.get(OWL + "disjointWith", []))),
            "constraints": (
                self.class_constraints(iri)
                if OWL + "Class" in types
                else [self.constraint(c) for c in of_property(self.constraints, iri)]
            ),
            "instances": counts.get(iri),
            "examples": [self.release.iri_view(e, self.linker, self.lang) for e in examples],
            "instances_href": linker_page(self.linker, path) if path else None,
        }

    def model(self) -> dict[str, Any]:
        counts = dict(self.release.class_counts)
        sections: dict[str, list[dict[str, Any]]] = {k: [] for k in SECTIONS}
        for subject, props in list(self.about.items()):
            if not isinstance(subject, ox.NamedNode) or not subject.value.startswith(CSKG):
                continue
            types = {t.value for t in props.get(RDF_TYPE, []) if isinstance(t, ox.NamedNode)}
            placed = next((k for k, (cls, _) in SECTIONS.items() if cls in types), "individuals")
            sections[placed].append(self.entry(subject.value, props, counts))
        for entries in sections.values():
            entries.sort(key=lambda e: e["anchor"].lower())
        header = self.about.get(ox.NamedNode(ONTOLOGY), {})
        meta = [
            (
                self.release.iri_view(key, self.linker, self.lang),
                [self.release.term(o, self.linker, lang=self.lang) for o in objects],
            )
            for key, objects in header.items()
            if key != RDF_TYPE
        ]
        return {
            "iri": ONTOLOGY,
            "namespace": CSKG,
            "meta": meta,
            "sections": sections,
            "headings": {k: heading for k, (_, heading) in SECTIONS.items()},
        }


def linker_page(linker: Linker, path: str) -> str | None:
    return linker.page("/" + path, path + ".html")


def _comments(props: dict[str, list[Any]], lang: str) -> list[str]:
    """The term's comments and definitions in `lang`, else in English (or untagged)."""
    found = [
        o
        for key in (RDFS + "comment", SKOS + "definition")
        for o in props.get(key, [])
        if isinstance(o, ox.Literal)
    ]
    mine = [o.value for o in found if o.language == lang]
    return mine or [o.value for o in found if o.language in (None, "", "en")]
