"""The release as a `networkx.MultiDiGraph`: one node per resource, one edge per statement.

Nodes are keyed by IRI and carry `iri`, `label` (in the chosen language, falling back to
English), `label_en`, `label_zh`, `class` / `class_label` (the most specific class, cskg's
preferred), `types` (every asserted class), `date`, and every other literal property under its
compact name ("cskg:summary"). Edges are keyed by the compact predicate ("cskg:issuedBy") and
carry `predicate`, `label`, `section`, `quote`, `evidence` (the graphs that state it), `inferred`,
and for causal statements `modality` and `claim`.

Provenance is either folded or included, never mixed:

- `fold` (default): evidence sentences, causal-claim nodes, sections, references, the paper and
  the Data Cube (datasets, structures, observations) are not nodes. A `cskg:CausalClaim` becomes
  one edge cause → effect keyed by its `cskg:causalRelation`, carrying its modality; the
  shortcut triple of a realised claim is that same edge, not a second one.
- `include`: those resources are nodes with their own edges; shortcut edges backed by a claim
  still carry its modality.

Statements of the inferred graph are left out unless `inferred=True`; then they are added as
edges with `inferred=True` (and section "inferred"), never merged into asserted ones.

SKOS scaffolding (`SCAFFOLDING`: the statements tying a concept to its scheme) is left out of the
named views, with the concept schemes only it reaches, unless `scaffolding=True`: it organises
the vocabulary and says nothing about the industry, and a scheme gathering dozens of concepts
would top every centrality ranking. A CONSTRUCT view keeps whatever its query returns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cskg.errors import CskgError
from cskg.query.model import Term
from cskg.query.results import compact, plain
from cskg.release import Release, graph_kind
from cskg.vocab import (
    BIBO,
    CSKG,
    DCTERMS,
    FOAF,
    GRAPH_INFERRED,
    GRAPH_ONTOLOGY,
    ORG,
    OWL,
    PROV,
    QB,
    RDF,
    RDF_TYPE,
    RDFS,
    RDFS_LABEL,
    SKOS,
)

if TYPE_CHECKING:
    import networkx as nx

VIEWS: tuple[str, ...] = ("all", "policy-impact", "organisations", "technology")
PROVENANCE_MODES: tuple[str, ...] = ("fold", "include")

# Resources that `provenance="fold"` turns into edge attributes instead of nodes.
PROVENANCE_CLASSES = frozenset(
    {
        CSKG + "Evidence",
        CSKG + "CausalClaim",
        CSKG + "Section",
        CSKG + "Reference",
        QB + "DataSet",
        QB + "DataStructureDefinition",
        QB + "ComponentSpecification",
        QB + "Observation",
        DCTERMS + "BibliographicResource",
        BIBO + "AcademicArticle",
        BIBO + "Journal",
    }
)
# Types that make a resource an ontology term (a class or property): it becomes the value of
# an attribute ("cskg:causalRelation": "cskg:enabled"), never a node.
TERM_TYPES = frozenset(
    {
        OWL + "Class",
        RDFS + "Class",
        RDFS + "Datatype",
        RDF + "Property",
        OWL + "ObjectProperty",
        OWL + "DatatypeProperty",
        OWL + "AnnotationProperty",
        OWL + "Ontology",
        QB + "DimensionProperty",
        QB + "MeasureProperty",
        QB + "AttributeProperty",
    }
)
CAUSAL = frozenset({CSKG + "enabled", CSKG + "contributedTo", CSKG + "enabledBy"})
CLAIM_LINKS = frozenset(
    {CSKG + "cause", CSKG + "effect", CSKG + "modality", PROV + "wasDerivedFrom"}
)
# The classes of the organisations and technology views: these and their subclasses in the
# ontology of the release.
ORGANISATION_ROOTS = frozenset(
    {ORG + "Organization", ORG + "FormalOrganization", ORG + "Post", FOAF + "Person"}
)
# Links from an organisation (or person, post) to what it issued, developed, certified, chaired.
ORGANISATION_LINKS = (
    frozenset(
        CSKG + name
        for name in (
            "issuedBy",
            "proposedBy",
            "publishedBy",
            "developedBy",
            "certifiedBy",
            "chairedBy",
            "establishedBy",
        )
    )
    | frozenset(
        ORG + name for name in ("holds", "heldBy", "hasMember", "memberOf", "unitOf", "hasUnit")
    )
    | {PROV + "wasAssociatedWith"}
)
TECHNOLOGY_ROOTS = frozenset({CSKG + "Technology", CSKG + "Product"})
TECHNOLOGY_LINKS = frozenset({CSKG + "developedBy", CSKG + "certifiedBy", CSKG + "breakthroughIn"})
#: SKOS scaffolding: a concept in its scheme, and the scheme's top concepts (see the docstring)
SCAFFOLDING = frozenset({SKOS + "inScheme", SKOS + "topConceptOf", SKOS + "hasTopConcept"})
SCHEME_CLASS = "skos:ConceptScheme"

Statement = tuple[str, str, Term]  # subject IRI, predicate IRI, object


@dataclass
class Snapshot:
    """Everything the conversion needs from the release, read once.

    `statements` maps each (s, p, o) of the data graphs (every named graph but the ontology's)
    to the sorted graphs stating it; labels, evidence and the class hierarchy come from
    `release`.
    """

    release: Release
    statements: dict[Statement, list[str]] = field(default_factory=dict)
    types: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    asserted_types: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    terms: set[str] = field(default_factory=set)  # ontology classes and properties
    graphs: set[str] = field(default_factory=set)

    def data(self, inferred: bool) -> dict[Statement, list[str]]:
        """The statements of the asserted graphs, plus the inferred graph's when asked."""
        if inferred:
            return self.statements
        return {
            key: [g for g in graphs if g != GRAPH_INFERRED]
            for key, graphs in self.statements.items()
            if any(g != GRAPH_INFERRED for g in graphs)
        }


def _read(release: Release) -> Snapshot:
    snap = Snapshot(release)
    result = release.store.query("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")
    statements: dict[Statement, set[str]] = defaultdict(set)
    for g, s, p, o in result.rows:
        assert g is not None and s is not None and p is not None and o is not None
        snap.graphs.add(g.value)
        if s.kind != "iri" or o.kind == "bnode":  # blank nodes: Data Cube component specs
            continue
        if p.value == RDF_TYPE and o.kind == "iri":
            snap.types[s.value].add(o.value)
            if g.value != GRAPH_INFERRED:
                snap.asserted_types[s.value].add(o.value)
        if g.value != GRAPH_ONTOLOGY:
            statements[(s.value, p.value, o)].add(g.value)
    snap.statements = {key: sorted(graphs) for key, graphs in statements.items()}
    # a class or property of the ontology, or one a data graph declares
    snap.terms = {iri for iri, types in snap.types.items() if types & TERM_TYPES}
    return snap


def most_specific_class(release: Release, types: Iterable[str]) -> str | None:
    """The class among `types` no other one specialises, preferring cskg's own classes."""
    candidates = {t for t in types if t not in (OWL + "NamedIndividual", OWL + "Thing")}
    if not candidates:
        return None
    hierarchy = release.superclasses
    above: set[str] = set()
    for cls in candidates:
        above |= hierarchy.get(cls, frozenset())
    leaves = sorted(candidates - above) or sorted(candidates)
    own = [c for c in leaves if c.startswith(CSKG)]
    return (own or leaves)[0]


def _pick(values: list[Term], lang: str) -> list[Term]:
    """The values in `lang`, else in English, else all (for language-tagged properties)."""
    tagged = [v for v in values if v.lang]
    if not tagged:
        return values
    for wanted in (lang, "en"):
        chosen = [v for v in values if v.lang == wanted]
        if chosen:
            return chosen
    return values


def _literal_value(values: list[Term]) -> str | int | float | bool:
    """One attribute value: a number or boolean when single and typed so, else joined text."""
    if len(values) == 1:
        value = plain(values[0])
        if isinstance(value, bool | int | float):
            return value
        return str(value)
    return " | ".join(sorted(str(v.value) for v in values))


def _name(iri: str) -> str:
    """The compact name of an IRI, or the IRI itself when no prefix fits."""
    name = compact(iri)
    return iri if name.startswith("<") else name


def _section(release: Release, graph: str) -> tuple[str, str]:
    """(section number, quote) of an evidence graph; the kind of any other graph."""
    evidence = release.evidence.get(graph)
    if evidence is not None:
        return evidence.number or "", evidence.quote or ""
    kind = graph_kind(graph)
    return (kind if kind in ("editorial", "document", "inferred") else _name(graph)), ""


def provenance_attrs(release: Release, graphs: list[str]) -> dict[str, Any]:
    """`section`, `quote`, `evidence` and `inferred` of a statement stated in `graphs`."""
    # Paper evidence first, then the editorial graphs, then the rest: the first one gives the
    # section and quote, `evidence` lists them all.
    ranked = sorted(
        graphs,
        key=lambda g: (
            0 if g in release.evidence else 1 if graph_kind(g) == "editorial" else 2,
            g,
        ),
    )
    section, quote = _section(release, ranked[0]) if ranked else ("", "")
    return {
        "section": section,
        "quote": quote,
        "evidence": " ".join(_name(g) for g in ranked),
        "inferred": bool(ranked) and all(g == GRAPH_INFERRED for g in ranked),
    }


@dataclass
class Claim:
    iri: str
    cause: str
    effect: str
    relation: str
    modality: str
    evidence: list[str]


def _claims(statements: dict[Statement, list[str]]) -> dict[str, Claim]:
    parts: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for (s, p, o), _graphs in statements.items():
        if (p in CLAIM_LINKS or p == CSKG + "causalRelation") and o.kind == "iri":
            parts[s][p].append(o.value)
    claims = {iri: claim_of(iri, found) for iri, found in parts.items()}
    return {iri: claim for iri, claim in claims.items() if claim is not None}


def claim_of(iri: str, found: dict[str, list[str]]) -> Claim | None:
    """The causal claim `iri` from its IRI values by property (`CLAIM_LINKS` and
    `cskg:causalRelation`); None when it lacks a cause, an effect or a relation."""
    needed = (CSKG + "cause", CSKG + "effect", CSKG + "causalRelation")
    if not all(found.get(p) for p in needed):
        return None
    modality = found.get(CSKG + "modality", [""])[0]
    return Claim(
        iri,
        found[CSKG + "cause"][0],
        found[CSKG + "effect"][0],
        found[CSKG + "causalRelation"][0],
        modality.rsplit("#", 1)[-1] if modality.startswith(CSKG) else compact(modality),
        sorted(found.get(PROV + "wasDerivedFrom", [])),
    )


def kept_as_node(types: set[str], names_graph: bool, fold: bool) -> bool:
    """Whether a resource of classes `types` (in any graph) becomes a node: not an ontology
    term, nor, when provenance is folded, a provenance resource (a class in
    `PROVENANCE_CLASSES`, or the name of a graph: an evidence sentence)."""
    if types & TERM_TYPES:
        return False
    return not (fold and (names_graph or bool(types & PROVENANCE_CLASSES)))


def node_label(release: Release, iri: str, lang: str) -> str:
    """A node's `label`: its label in `lang` (the release's rule), else its prefixed name."""
    return release.labels([iri], lang).get(iri) or compact(iri)


def node_attrs(
    release: Release,
    iri: str,
    types: set[str],
    literals: dict[str, list[Term]],
    terms: dict[str, list[str]],
    lang: str,
) -> dict[str, Any]:
    """A node's attributes (the module docstring) from its classes `types`, its literal values
    and the ontology terms it points to (`terms`: property -> prefixed names), by property."""
    attrs: dict[str, Any] = {"iri": iri}
    attrs["label"] = node_label(release, iri, lang)
    attrs["label_en"] = release.labels([iri], "en").get(iri) or attrs["label"]
    chinese = release.labels_in(iri).get("zh")
    if chinese:
        attrs["label_zh"] = chinese
    cls = most_specific_class(release, types)
    attrs["class"] = compact(cls) if cls else "rdfs:Resource"
    attrs["class_label"] = release.label(cls, lang) if cls else "Resource"
    attrs["types"] = " ".join(sorted(compact(t) for t in types))
    for prop, values in sorted(literals.items()):
        if prop == RDFS_LABEL:
            continue
        key = "date" if prop == CSKG + "date" else compact(prop)
        attrs[key] = _literal_value(_pick(values, lang))
    for prop, names in terms.items():
        attrs[compact(prop)] = " ".join(sorted(names))
    return attrs


def statement_attrs(
    release: Release, predicate: str, graphs: list[str], lang: str, backed: Claim | None
) -> dict[str, Any]:
    """The attributes of the edge of a statement by `predicate` stated in `graphs`; `backed`:
    the causal claim it is the shortcut of, if any (its modality, when asserted)."""
    attrs = {
        "predicate": predicate,
        "label": release.label(predicate, lang),
        **provenance_attrs(release, graphs),
    }
    if backed is not None and not attrs["inferred"]:
        attrs.update(modality=backed.modality, claim=compact(backed.iri))
    return attrs


def claim_attrs(release: Release, claim: Claim, lang: str) -> dict[str, Any]:
    """The attributes of the edge cause -> effect a folded causal claim becomes."""
    return {
        "predicate": claim.relation,
        "label": release.label(claim.relation, lang),
        **provenance_attrs(release, claim.evidence),
        "inferred": False,
        "modality": claim.modality,
        "claim": compact(claim.iri),
    }


def _add_edge(graph: nx.MultiDiGraph, u: str, v: str, key: str, attrs: dict[str, Any]) -> None:
    final, n = key, 1
    while graph.has_edge(u, v, final):  # never overwrite a parallel edge with the same key
        n += 1
        final = f"{key}#{n}"
    graph.add_edge(u, v, key=final, **attrs)


def build_graph(
    snap: Snapshot,
    edges_from: dict[Statement, list[str]],
    *,
    lang: str,
    inferred: bool,
    provenance: str,
) -> nx.MultiDiGraph:
    """The graph of the statements `edges_from`, with node attributes from the whole snapshot."""
    import networkx as nx

    data = snap.data(inferred)
    fold = provenance == "fold"
    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    claims = _claims(data)
    nodes = _nodes(snap, edges_from, claims, fold)
    _add_nodes(graph, snap, data, nodes, lang, inferred)
    folded = _add_claim_edges(graph, snap, edges_from, claims, nodes, lang) if fold else set()
    # Causal claims backing a shortcut: (cause, relation, effect) → claim.
    backing = {(c.cause, c.relation, c.effect): c for c in claims.values()}
    for (s, p, o), graphs in sorted(edges_from.items(), key=lambda item: _sort_key(item[0])):
        if p == RDF_TYPE or o.kind != "iri" or s not in nodes or o.value not in nodes:
            continue
        if (s, p, o.value) in folded:
            continue
        attrs = statement_attrs(snap.release, p, graphs, lang, backing.get((s, p, o.value)))
        _add_edge(graph, s, o.value, compact(p), attrs)
    return graph


def _nodes(
    snap: Snapshot, edges_from: dict[Statement, list[str]], claims: dict[str, Claim], fold: bool
) -> set[str]:
    """Every IRI the statements mention, except ontology terms (and folded provenance)."""

    def keep(iri: str) -> bool:
        return kept_as_node(snap.types.get(iri, set()), iri in snap.graphs, fold)

    nodes: set[str] = set()
    for s, p, o in edges_from:
        if keep(s):  # what only folded resources point to (a claim's modality) is left out
            nodes.add(s)
            if o.kind == "iri" and p != RDF_TYPE and keep(o.value):
                nodes.add(o.value)
    subjects = {s for s, _, _ in edges_from}
    if fold:  # a claim mentioned by the statements brings its cause and effect
        for claim in claims.values():
            if claim.iri in subjects:
                nodes.update(x for x in (claim.cause, claim.effect) if keep(x))
    return nodes


def _add_nodes(
    graph: nx.MultiDiGraph,
    snap: Snapshot,
    data: dict[Statement, list[str]],
    nodes: set[str],
    lang: str,
    inferred: bool,
) -> None:
    literals: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
    attr_terms: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for (s, p, o), _graphs in data.items():
        if s not in nodes:
            continue
        if o.kind == "literal":
            literals[s][p].append(o)
        elif p != RDF_TYPE and o.value in snap.terms:
            attr_terms[s][p].append(compact(o.value))
    types = snap.types if inferred else snap.asserted_types
    for iri in sorted(nodes):
        attrs = node_attrs(
            snap.release,
            iri,
            types.get(iri, set()),
            literals.get(iri, {}),
            attr_terms.get(iri, {}),
            lang,
        )
        graph.add_node(iri, **attrs)


def _add_claim_edges(
    graph: nx.MultiDiGraph,
    snap: Snapshot,
    edges_from: dict[Statement, list[str]],
    claims: dict[str, Claim],
    nodes: set[str],
    lang: str,
) -> set[tuple[str, str, str]]:
    """One edge cause → effect per causal claim the statements mention; the (cause, relation,
    effect) of each, whose shortcut statements are that same edge."""
    subjects = {s for s, _, _ in edges_from}
    folded: set[tuple[str, str, str]] = set()
    for claim in sorted(claims.values(), key=lambda c: c.iri):
        mentioned = claim.iri in subjects or (
            (claim.cause, claim.relation, Term("iri", claim.effect)) in edges_from
        )
        if not mentioned or claim.cause not in nodes or claim.effect not in nodes:
            continue
        attrs = claim_attrs(snap.release, claim, lang)
        _add_edge(graph, claim.cause, claim.effect, compact(claim.relation), attrs)
        folded.add((claim.cause, claim.relation, claim.effect))
    return folded


def _sort_key(statement: Statement) -> tuple[str, str, str]:
    s, p, o = statement
    return s, p, str(o.value)


# -- views ----------------------------------------------------------------------------------


def _types(graph: nx.MultiDiGraph, node: str) -> set[str]:
    return set(graph.nodes[node]["types"].split())


def _select(
    graph: nx.MultiDiGraph,
    core: set[str],
    edge_ok: Any,
) -> nx.MultiDiGraph:
    """The subgraph of the core nodes and the edges `edge_ok(u, v, data)` accepts."""
    import networkx as nx

    view: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    view.graph.update(graph.graph)
    edges = [(u, v, k, d) for u, v, k, d in graph.edges(keys=True, data=True) if edge_ok(u, v, d)]
    keep = core | {u for u, _, _, _ in edges} | {v for _, v, _, _ in edges}
    view.add_nodes_from((n, graph.nodes[n]) for n in sorted(keep))
    for u, v, k, d in edges:
        view.add_edge(u, v, key=k, **d)
    return view


def select_view(
    graph: nx.MultiDiGraph, view: str, provenance: str, release: Release
) -> nx.MultiDiGraph:
    """One of the named views of a whole graph built by `build_graph` from `release`."""
    if view == "all":
        return graph

    if view == "policy-impact":
        # Every causal claim (its cause, its effect); with provenance the claim nodes too.
        causal = {compact(p) for p in CAUSAL}
        links = {compact(p) for p in CLAIM_LINKS} if provenance == "include" else set()
        return _select(graph, set(), lambda u, v, d: compact(d["predicate"]) in causal | links)
    if view == "organisations":
        return _kind_view(graph, release, ORGANISATION_ROOTS, ORGANISATION_LINKS)
    if view == "technology":
        return _kind_view(graph, release, TECHNOLOGY_ROOTS, TECHNOLOGY_LINKS)
    raise unknown_view(view)


def without_scaffolding(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """`graph` without the `SCAFFOLDING` edges, and without the concept schemes they leave
    with no edge at all (a concept stays, even alone: it is a term of the industry)."""
    lean = graph.copy()
    scaffolding = [
        (u, v, k)
        for u, v, k, d in graph.edges(keys=True, data=True)
        if d["predicate"] in SCAFFOLDING
    ]
    lean.remove_edges_from(scaffolding)
    ends = {node for u, v, _ in scaffolding for node in (u, v)}
    lean.remove_nodes_from(
        sorted(n for n in ends if lean.degree(n) == 0 and SCHEME_CLASS in _types(lean, n))
    )
    return lean


def _kind_view(
    graph: nx.MultiDiGraph, release: Release, roots: frozenset[str], links: Iterable[str]
) -> nx.MultiDiGraph:
    """The nodes of the classes below `roots`, the statements among them, and the statements by
    one of `links` between them and any other node."""
    classes = {compact(c) for c in release.subclasses(roots)}
    members = {n for n in graph if classes & _types(graph, n)}
    linking = {compact(p) for p in links}
    return _select(
        graph,
        members,
        lambda u, v, d: (
            (u in members and v in members)
            or ((u in members or v in members) and compact(d["predicate"]) in linking)
        ),
    )


def unknown_view(view: str) -> CskgError:
    return CskgError(
        f"unknown view {view!r}: use one of {', '.join(VIEWS)}, or a CONSTRUCT query file (.rq)"
    )


def _constructed(path: Path, snap: Snapshot, inferred: bool) -> Any:
    from cskg.build.sources import read_text
    from cskg.query.text import query_form

    text = read_text(path)
    if query_form(text) != "CONSTRUCT":
        raise CskgError(f"{path}: a view query must be a CONSTRUCT query")
    result = snap.release.store.query(text, asserted=not inferred)
    data = snap.data(inferred)
    edges: dict[Statement, list[str]] = {}
    for s, p, o in result.triples:
        if s.kind != "iri" or o.kind == "bnode":
            continue
        # Provenance of a constructed triple: the graphs stating it, if it is in the data.
        edges[(s.value, p.value, o)] = data.get((s.value, p.value, o), [])
    return edges


def to_networkx(
    dist: Path,
    view: str = "all",
    *,
    lang: str = "en",
    inferred: bool = False,
    provenance: str = "fold",
    scaffolding: bool = False,
) -> nx.MultiDiGraph:
    """The release in `dist` (or one view of it) as a networkx multigraph.

    `view` is "all", "policy-impact", "organisations", "technology" or the path of a file
    holding a SPARQL CONSTRUCT query, whose triples become the edges (nodes get their labels,
    class and literal properties from the release). A named view leaves SKOS scaffolding out
    unless `scaffolding`. See the module docstring for attributes.
    """
    if provenance not in PROVENANCE_MODES:
        raise CskgError(f"provenance must be one of {', '.join(PROVENANCE_MODES)}")
    user_query = view not in VIEWS
    if user_query and not (view.endswith(".rq") or Path(view).is_file()):
        raise unknown_view(view)
    with Release.open(Path(dist)) as release:
        snap = _read(release)
        edges_from = _constructed(Path(view), snap, inferred) if user_query else snap.data(inferred)
        graph = build_graph(snap, edges_from, lang=lang, inferred=inferred, provenance=provenance)
        if not user_query:
            if not scaffolding:
                graph = without_scaffolding(graph)
            graph = select_view(graph, view, provenance, release)
    graph.graph.update(graph_attrs(view, lang, inferred, provenance, scaffolding))
    return graph


def graph_attrs(
    view: str, lang: str, inferred: bool, provenance: str, scaffolding: bool
) -> dict[str, Any]:
    """The attributes of the graph of `view` (a named view, or a CONSTRUCT query's file)."""
    user_query = view not in VIEWS
    return {
        "name": f"cskg {Path(view).stem if user_query else view}",
        "view": view,
        "lang": lang,
        "provenance": provenance,
        "inferred": inferred,
        "scaffolding": scaffolding or user_query,
    }


def graph_to_attrs_safe(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy of `graph` whose attribute values are all str, int, float or bool.

    Graph writers (GraphML, GEXF) accept nothing else: rdflib and pyoxigraph terms become their
    text (IRIs compacted are not wanted here: the full IRI is kept), Decimal a float, lists and
    sets their items joined with " | ", and None values are dropped.
    """
    safe = graph.copy()
    make_safe(safe.graph)
    for _, attrs in safe.nodes(data=True):
        make_safe(attrs)
    for _, _, attrs in safe.edges(data=True):
        make_safe(attrs)
    return safe


def make_safe(attrs: dict[str, Any]) -> dict[str, Any]:
    """`attrs` with every value str, int, float or bool (`graph_to_attrs_safe`), in place."""
    for key in list(attrs):
        value = _safe_value(attrs[key])
        if value is None:
            del attrs[key]
        else:
            attrs[key] = value
    return attrs


def _safe_value(value: Any) -> str | int | float | bool | None:
    from decimal import Decimal

    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Term):
        if value.kind == "literal":
            converted = plain(value)
            return converted if isinstance(converted, int | float | bool) else str(converted)
        return str(value.value)
    if isinstance(value, list | tuple | set | frozenset):
        items = [_safe_value(v) for v in value]
        return " | ".join(sorted(str(v) for v in items if v is not None))
    converted = getattr(value, "value", None)  # pyoxigraph terms
    if isinstance(converted, str):
        return converted
    return str(value)
