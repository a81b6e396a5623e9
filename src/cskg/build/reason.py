"""OWL 2 RL materialisation: the triples the ontology entails beyond those asserted.

Two engines compute the closure: `reasonable` (Rust, the default) and `owlrl` (pure Python, the
reference). They differ in what else they put in the closure (owlrl adds the axiomatic triples
about the RDF/RDFS/OWL/XSD vocabularies, reflexive `owl:sameAs`, `rdfs:subClassOf` and
`owl:equivalentClass` for every class, typed literals as subjects; reasonable types every node
`owl:Thing` and computes only part of the schema-level closure). The release keeps the same
well-defined part of either closure, the *instance-level entailments*:

A triple (s, p, o) of the closure is kept when

1. it is not asserted;
2. s is an IRI or a blank node that occurs in the input (never a literal, never a node the
   engine made up);
3. s is not a term of the RDF, RDFS, OWL or XSD vocabularies (axiomatic triples);
4. p is not a schema predicate: `rdfs:subClassOf`, `rdfs:subPropertyOf`, `rdfs:domain`,
   `rdfs:range`, and every `owl:` predicate but `owl:sameAs` and `owl:differentFrom`
   (the schema closure is where the engines differ, and queries do not need it: they use
   the inferred types and relations of individuals);
5. if p is `rdf:type`, o is not a term of those vocabularies (`owl:Thing`, `rdfs:Resource`,
   `owl:Class`, `owl:NamedIndividual`, ... say nothing about the data), nor an anonymous
   class (a union in a domain or range);
6. it is not a tautology `x owl:sameAs x`.

Inconsistencies (a member of `owl:Nothing`, a member of two disjoint classes, `owl:sameAs`
between `owl:differentFrom` nodes, and whatever owlrl reports) raise `Inconsistent`, naming the
offending IRIs; both engines' closures are checked by the same code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from cskg.build.registry import lookup
from cskg.errors import InvalidData
from cskg.vocab import OWL, RDF, RDF_TYPE, RDFS, XSD

if TYPE_CHECKING:
    import rdflib

BUILTIN_NAMESPACES = (RDF, RDFS, OWL, XSD)
SCHEMA_PREDICATES = frozenset(
    RDFS + name for name in ("subClassOf", "subPropertyOf", "domain", "range")
)
KEPT_OWL_PREDICATES = frozenset(OWL + name for name in ("sameAs", "differentFrom"))


class Inconsistent(InvalidData):
    """The ontology and data are inconsistent under OWL 2 RL."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("the data is inconsistent (OWL 2 RL):\n  " + "\n  ".join(problems))

    def __reduce__(self) -> tuple[type[Inconsistent], tuple[list[str]]]:
        # made again from its problems when it comes back from a worker process
        return (Inconsistent, (self.problems,))


def keep(triple: tuple, input_nodes: set) -> bool:
    """The filter of the module docstring, rules 2–6 (rule 1 is applied by the caller)."""
    from rdflib import BNode, URIRef

    s, p, o = triple
    if not isinstance(s, URIRef | BNode) or s not in input_nodes:
        return False
    if str(s).startswith(BUILTIN_NAMESPACES) and isinstance(s, URIRef):
        return False
    p_str = str(p)
    if p_str in SCHEMA_PREDICATES or (p_str.startswith(OWL) and p_str not in KEPT_OWL_PREDICATES):
        return False
    if p_str == RDF_TYPE and isinstance(o, URIRef) and str(o).startswith(BUILTIN_NAMESPACES):
        return False
    # membership of an anonymous class (a union in a domain or range) says nothing an analyst
    # can use, and the blank node's label differs from build to build
    if p_str == RDF_TYPE and isinstance(o, BNode):
        return False
    return not (s == o and p_str == OWL + "sameAs")


class Reasoner(Protocol):
    """An OWL 2 RL engine: the closure of one merged graph, and the inconsistencies it reports
    itself (`infer` filters the closure and checks it for clashes)."""

    @property
    def name(self) -> str: ...

    def closure(self, graph: rdflib.Graph | list[tuple]) -> tuple[Iterable[tuple], list[str]]: ...


def infer(graph: rdflib.Graph | list[tuple], engine: str | Reasoner = "reasonable") -> rdflib.Graph:
    """The instance-level triples that `graph` entails under OWL 2 RL and does not assert.

    `graph` is one merged graph (ontology and data): an rdflib Graph, or a list of distinct
    (s, p, o) triples of rdflib terms, which `reasonable` takes without the cost of building
    a Graph. Raises `Inconsistent` when the closure has a clash, `ValueError` for an unknown
    engine.
    """
    from rdflib import BNode, Graph, URIRef

    reasoner = reasoner_named(engine) if isinstance(engine, str) else engine
    closure, errors = reasoner.closure(graph)
    asserted = set(graph)  # membership in a set, not through rdflib's indexes: many lookups
    input_nodes = {n for t in asserted for n in (t[0], t[2]) if isinstance(n, URIRef | BNode)}
    inferred = Graph()
    if isinstance(graph, Graph):
        for prefix, namespace in graph.namespaces():
            inferred.bind(prefix, namespace, override=True, replace=True)
    for triple in closure:
        plain = _plain(triple)
        if plain not in asserted and _typed(plain) not in asserted and keep(plain, input_nodes):
            inferred.add(plain)

    problems = errors + check_consistency(graph, inferred)
    if problems:
        raise Inconsistent(sorted(set(problems)))
    return inferred


def reasoner_named(name: str) -> Reasoner:
    """The reasoner registered as `name`; ValueError for an unknown one."""
    return lookup(REASONERS, name, "reasoner")


def _plain(triple: tuple) -> tuple:
    """xsd:string literals as rdflib writes them (plain): reasonable types them explicitly."""
    from rdflib import Literal
    from rdflib.namespace import XSD as X

    o = triple[2]
    if isinstance(o, Literal) and o.datatype == X.string:
        return (triple[0], triple[1], Literal(str(o)))
    return triple


def _typed(triple: tuple) -> tuple:
    """The same triple with a plain literal written as ^^xsd:string, as some data files do.

    RDF 1.1 makes the two forms one term; rdflib does not, so "already asserted" checks both."""
    from rdflib import Literal
    from rdflib.namespace import XSD as X

    o = triple[2]
    if isinstance(o, Literal) and o.datatype is None and o.language is None:
        return (triple[0], triple[1], Literal(str(o), datatype=X.string))
    return triple


class Reasonable:
    """reasonable (Rust), the default."""

    name = "reasonable"

    def closure(self, graph: rdflib.Graph | list[tuple]) -> tuple[Iterable[tuple], list[str]]:
        import reasonable  # type: ignore[import-untyped]

        reasoner = reasonable.PyReasoner()
        reasoner.from_graph(graph)
        return reasoner.reason(), []


class OwlRL:
    """owlrl (pure Python), the reference; its clashes are reported as error messages in the
    closure, taken out here."""

    name = "owlrl"

    def closure(self, graph: rdflib.Graph | list[tuple]) -> tuple[Iterable[tuple], list[str]]:
        import owlrl  # type: ignore[import-untyped]
        from owlrl.Namespaces import ERRNS  # type: ignore[import-untyped]
        from rdflib import Graph

        closure = Graph()
        for triple in graph:
            closure.add(triple)
        owlrl.DeductiveClosure(
            owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
        ).expand(closure)
        errors: list[str] = []
        for message in list(closure.subjects(predicate=None, object=ERRNS.ErrorMessage)):
            errors.extend(str(text) for text in closure.objects(message, ERRNS.error))
            closure.remove((message, None, None))
        return closure, errors


#: the reasoners by name, the default first
REASONERS: dict[str, Reasoner] = {"reasonable": Reasonable(), "owlrl": OwlRL()}
ENGINES = tuple(REASONERS)


def check_consistency(asserted: Iterable[tuple], inferred: Iterable[tuple]) -> list[str]:
    """Clashes in asserted ∪ inferred: owl:Nothing, disjoint classes, sameAs vs differentFrom.

    Both are plain (s, p, o) triples of rdflib terms (an rdflib Graph is one): the indexes this
    needs are built here in one pass, cheaper than adding every triple to an rdflib Graph. The
    axioms (disjointness, differentFrom) are taken from the asserted triples only."""
    from rdflib import OWL as O
    from rdflib import RDF as R

    members: dict[object, set] = {}  # class -> its members, asserted or inferred
    same_as: dict[object, set] = {}
    disjoint: list[tuple] = []
    different: list[tuple] = []
    groups: list[object] = []  # owl:AllDisjointClasses axioms
    listed: dict[object, list[object]] = {}  # axiom -> its owl:members lists
    first: dict[object, object] = {}
    rest: dict[object, object] = {}
    axioms = {O.disjointWith, O.differentFrom, O.members, R.first, R.rest}
    for source, is_asserted in ((asserted, True), (inferred, False)):
        for s, p, o in source:
            if p == R.type:
                members.setdefault(o, set()).add(s)
                if is_asserted and o == O.AllDisjointClasses:
                    groups.append(s)
            elif p == O.sameAs:
                same_as.setdefault(s, set()).add(o)
            elif is_asserted and p in axioms:
                if p == O.disjointWith:
                    disjoint.append((s, o))
                elif p == O.differentFrom:
                    different.append((s, o))
                elif p == O.members:
                    listed.setdefault(s, []).append(o)
                elif p == R.first:
                    first[s] = o
                else:
                    rest[s] = o

    problems = [f"{node} is a member of owl:Nothing" for node in members.get(O.Nothing, ())]
    pairs = list(disjoint)
    for group in groups:
        for head in listed.get(group, []):
            classes = []
            while head in first:  # the RDF list, item by item
                classes.append(first[head])
                head = rest.get(head)
            pairs.extend((a, b) for i, a in enumerate(classes) for b in classes[i + 1 :])
    for a, b in pairs:
        for node in sorted(members.get(a, set()) & members.get(b, set())):
            problems.append(f"{node} is a member of the disjoint classes {a} and {b}")
    for a, b in different:
        if b in same_as.get(a, set()) or a == b:
            problems.append(f"{a} and {b} are declared different but inferred the same")
    return problems
