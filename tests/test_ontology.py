"""The ontology (ontology/cskg.ttl): header, documentation of every term, the names the queries
rely on, agreement with `utils.terms`, and consistency under OWL RL (owlrl) and OWL 2 DL (HermiT).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import owlrl
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from utils.terms import CSKG

from cskg import vocab

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY_FILE = ROOT / "ontology" / "cskg.ttl"
ONT = URIRef(vocab.ONTOLOGY)
NS = vocab.CSKG
VANN = Namespace(vocab.PREFIXES["vann"])
QB = Namespace(vocab.PREFIXES["qb"])
# A plain Namespace: rdflib's closed XSD namespace warns when pytest probes module attributes.
XSD = Namespace(vocab.PREFIXES["xsd"])
# owlrl writes the inconsistencies it finds into the graph with this (DAML agent) vocabulary.
OWLRL_ERR = Namespace("http://www.daml.org/2002/03/agents/agent-ont#")

PREFIX_LINES = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in vocab.PREFIXES.items())
# An individual typed with two classes the ontology declares disjoint.
CLASH_DISJOINT = PREFIX_LINES + "policy:x a cskg:Policy , cskg:Event .\n"
# Only a DL reasoner sees this one: an agency cannot be the subject of cskg:enabled, whose domain
# is the union Policy ⊔ Event (OWL RL does not reason with a union in a domain).
CLASH_DOMAIN = PREFIX_LINES + "agency:x a cskg:Agency ; cskg:enabled change:y .\n"

DECLARATION_TYPES = (
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    OWL.NamedIndividual,
    SKOS.ConceptScheme,
)


@pytest.fixture(scope="module")
def onto() -> Graph:
    g = Graph()
    g.parse(ONTOLOGY_FILE, format="turtle")
    return g


def declared(g: Graph, kind: URIRef) -> set[URIRef]:
    return {s for s in g.subjects(RDF.type, kind) if isinstance(s, URIRef) and s.startswith(NS)}


def all_declared(g: Graph) -> set[URIRef]:
    return set().union(*(declared(g, kind) for kind in DECLARATION_TYPES))


def properties(g: Graph) -> set[URIRef]:
    return declared(g, OWL.ObjectProperty) | declared(g, OWL.DatatypeProperty)


def union_members(g: Graph, node: URIRef | BNode) -> set[URIRef]:
    """The classes a domain or range stands for: itself, or the members of its owl:unionOf."""
    head = g.value(node, OWL.unionOf)
    return set(Collection(g, head)) if head is not None else {node}


# -- Parsing and header ---------------------------------------------------------------------------


def test_parses_and_declares_one_ontology(onto: Graph) -> None:
    assert list(onto.subjects(RDF.type, OWL.Ontology)) == [ONT]
    assert not list(onto.objects(ONT, OWL.imports)), "the build never fetches imports"


def test_header(onto: Graph) -> None:
    def one(p: URIRef) -> object:
        values = list(onto.objects(ONT, p))
        assert len(values) == 1, f"{p}: {values}"
        return values[0]

    titles = {t.language: str(t) for t in onto.objects(ONT, DCTERMS.title)}
    assert titles == {"en": "Cyberspace Security Industry ontology", "zh": "网络空间安全产业本体"}
    description = one(DCTERMS.description)
    assert isinstance(description, Literal) and description.language == "en"
    assert one(DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert one(DCTERMS.source) == URIRef("https://doi.org/10.15302/J-SSCAE-2016.04.006")
    assert str(one(DCTERMS.creator))
    for p in (DCTERMS.created, DCTERMS.modified):
        assert one(p).datatype == XSD.date
    assert one(DCTERMS.created).toPython() <= one(DCTERMS.modified).toPython()
    # The build stamps the version into exactly these two triples: keep them in step.
    version = str(one(OWL.versionInfo))
    assert one(OWL.versionIRI) == URIRef(f"{vocab.ONTOLOGY}/{version}")
    assert one(VANN.preferredNamespacePrefix) == Literal("cskg")
    assert one(VANN.preferredNamespaceUri) == Literal(vocab.CSKG)
    assert vocab.PREFIXES["cskg"] == vocab.CSKG == vocab.ONTOLOGY + "#"


# -- Documentation of every term ------------------------------------------------------------------


def test_every_term_is_documented(onto: Graph) -> None:
    terms = declared(onto, OWL.Class) | properties(onto) | declared(onto, OWL.AnnotationProperty)
    problems = []
    for t in sorted(terms):
        if not any(lbl.language == "en" for lbl in onto.objects(t, RDFS.label)):
            problems.append(f"{t}: no rdfs:label@en")
        if not any(c.language == "en" for c in onto.objects(t, RDFS.comment)):
            problems.append(f"{t}: no rdfs:comment@en")
        if (t, RDFS.isDefinedBy, ONT) not in onto:
            problems.append(f"{t}: no rdfs:isDefinedBy the ontology")
        if len({lbl.language for lbl in onto.objects(t, RDFS.label)}) != len(
            list(onto.objects(t, RDFS.label))
        ):
            problems.append(f"{t}: two labels in one language")
    assert problems == []


def test_every_property_has_domain_and_range(onto: Graph) -> None:
    missing = [
        (str(p), what)
        for p in sorted(properties(onto))
        for what in (RDFS.domain, RDFS.range)
        if len(list(onto.objects(p, what))) != 1
    ]
    assert missing == []


def test_chinese_labels(onto: Graph) -> None:
    expected = {
        "Policy": "政策",
        "Plan": "规划",
        "Law": "法律",
        "Agency": "机构",
        "Enterprise": "企业",
        "Person": "人物",
        "Technology": "技术",
        "Product": "产品",
        "Standard": "标准",
        "Event": "事件",
        "IndustryChange": "产业变化",
        "Problem": "问题",
        "Trend": "趋势",
        "Recommendation": "建议",
        "Sector": "行业",
    }
    found = {
        name: str(lbl)
        for name in expected
        for lbl in onto.objects(URIRef(NS + name), RDFS.label)
        if lbl.language == "zh"
    }
    assert found == expected
    without_zh = [
        str(t)
        for t in sorted(all_declared(onto))
        if not any(lbl.language == "zh" for lbl in onto.objects(t, RDFS.label))
    ]
    assert without_zh == []


def test_every_cskg_iri_used_is_declared(onto: Graph) -> None:
    used = {
        term
        for triple in onto
        for term in triple
        if isinstance(term, URIRef) and term.startswith(NS)
    }
    assert used - all_declared(onto) == set()


# -- Names the data, shapes and queries rely on ---------------------------------------------------


CORE_CLASSES = [
    "Policy",
    "Plan",
    "Law",
    "Initiative",
    "Strategy",
    "PolicyPriority",
    "Target",
    "Agency",
    "ResearchInstitute",
    "Enterprise",
    "Person",
    "Technology",
    "Product",
    "Standard",
    "StandardCollection",
    "Event",
    "IndustryChange",
    "ThreatChange",
    "Problem",
    "Trend",
    "Recommendation",
    "Sector",
    "CausalClaim",
    "Modality",
    "ObservationStatus",
    "Evidence",
    "Section",
    "Reference",
    "ChainLevel",
    "ProductCategory",
    "StandardArea",
    "Area",
    "Unit",
    "ProductSegment",
]
CORE_OBJECT_PROPERTIES = [
    "issuedBy",
    "proposedBy",
    "publishedBy",
    "chairedBy",
    "developedBy",
    "certifiedBy",
    "establishedBy",
    "enabled",
    "enabledBy",
    "contributedTo",
    "addresses",
    "addressedBy",
    "concerns",
    "partOf",
    "hasPart",
    "hasPriority",
    "hasTarget",
    "appliesTo",
    "operatesIn",
    "chainLevel",
    "comprises",
    "coversArea",
    "breakthroughIn",
    "relatesTo",
    "cause",
    "effect",
    "modality",
    "section",
    "cites",
    "refArea",
    "productSegment",
    "unit",
    "observationStatus",
    "thresholdUnit",
]
CORE_DATATYPE_PROPERTIES = [
    "date",
    "endDate",
    "quote",
    "sectionNumber",
    "referenceNumber",
    "memberCount",
    "targetCount",
    "threshold",
    "attainment",
    "marketSize",
    "growthRate",
    "productShare",
    "printedValue",
    "summary",
    "refYear",
]


@pytest.mark.parametrize(
    ("names", "kind"),
    [
        (CORE_CLASSES, OWL.Class),
        (CORE_OBJECT_PROPERTIES, OWL.ObjectProperty),
        (CORE_DATATYPE_PROPERTIES, OWL.DatatypeProperty),
    ],
    ids=["classes", "object-properties", "datatype-properties"],
)
def test_core_names_have_their_type(onto: Graph, names: list[str], kind: URIRef) -> None:
    assert [n for n in names if (URIRef(NS + n), RDF.type, kind) not in onto] == []


def test_class_hierarchy_and_reuse(onto: Graph) -> None:
    ORG = Namespace(vocab.PREFIXES["org"])
    FOAF = Namespace(vocab.PREFIXES["foaf"])
    PROV = Namespace(vocab.PREFIXES["prov"])
    expected = {
        (CSKG.Plan, CSKG.Policy),
        (CSKG.Law, CSKG.Policy),
        (CSKG.Initiative, CSKG.Policy),
        (CSKG.Strategy, CSKG.Policy),
        (CSKG.Agency, ORG.Organization),
        (CSKG.ResearchInstitute, ORG.Organization),
        (CSKG.Enterprise, ORG.FormalOrganization),
        (CSKG.Person, FOAF.Person),
        (CSKG.Event, PROV.Activity),
        (CSKG.Evidence, PROV.Entity),
        (CSKG.CausalClaim, PROV.Entity),
        (CSKG.Modality, SKOS.Concept),
        (CSKG.ObservationStatus, SKOS.Concept),
        (CSKG.ChainLevel, SKOS.Concept),
        (CSKG.ProductCategory, SKOS.Concept),
        (CSKG.StandardArea, SKOS.Concept),
        (CSKG.Area, SKOS.Concept),
        (CSKG.Unit, SKOS.Concept),
        (CSKG.ProductSegment, SKOS.Concept),
    }
    assert {(s, o) for s, o in onto.subject_objects(RDFS.subClassOf)} == expected
    assert onto.value(CSKG.quote, RDFS.subPropertyOf) == PROV.value
    assert onto.value(CSKG.enabled, RDFS.subPropertyOf) == CSKG.contributedTo
    assert (CSKG.chairedBy, RDFS.seeAlso, ORG.headOf) in onto


def test_domains_and_ranges_the_contract_fixes(onto: Graph) -> None:
    def dom(p: URIRef) -> set[URIRef]:
        return union_members(onto, onto.value(p, RDFS.domain))

    def rng(p: URIRef) -> set[URIRef]:
        return union_members(onto, onto.value(p, RDFS.range))

    assert dom(CSKG.enabled) == {CSKG.Policy, CSKG.Event} == rng(CSKG.enabledBy)
    assert rng(CSKG.enabled) == {CSKG.IndustryChange} == dom(CSKG.enabledBy)
    assert (dom(CSKG.addresses), rng(CSKG.addresses)) == ({CSKG.Recommendation}, {CSKG.Problem})
    assert (dom(CSKG.chairedBy), rng(CSKG.chairedBy)) == ({CSKG.Agency}, {CSKG.Person})
    assert dom(CSKG.issuedBy) == {CSKG.Policy}
    assert rng(CSKG.issuedBy) == {CSKG.Agency, CSKG.Person}
    assert dom(CSKG.developedBy) == {CSKG.Product, CSKG.Technology}
    assert (dom(CSKG.certifiedBy), rng(CSKG.certifiedBy)) == ({CSKG.Product}, {CSKG.Agency})
    assert rng(CSKG.date) == {XSD.date, XSD.gYearMonth, XSD.gYear}
    assert rng(CSKG.refYear) == {XSD.gYear}
    assert rng(CSKG.quote) == {RDF.langString}
    for measure in (CSKG.marketSize, CSKG.growthRate, CSKG.productShare):
        assert rng(measure) == {XSD.decimal}


def test_inverses_and_transitivity(onto: Graph) -> None:
    pairs = {(CSKG.enabled, CSKG.enabledBy), (CSKG.addresses, CSKG.addressedBy)}
    pairs.add((CSKG.partOf, CSKG.hasPart))
    stated = {frozenset(pair) for pair in onto.subject_objects(OWL.inverseOf)}
    assert stated == {frozenset(pair) for pair in pairs}
    assert declared(onto, OWL.TransitiveProperty) == {CSKG.partOf, CSKG.hasPart}


def test_causal_relation_is_an_annotation_property(onto: Graph) -> None:
    # Values are property IRIs; an object property with range owl:ObjectProperty is OWL Full.
    assert declared(onto, OWL.AnnotationProperty) == {CSKG.causalRelation}
    assert onto.value(CSKG.causalRelation, RDFS.domain) == CSKG.CausalClaim
    assert (CSKG.causalRelation, RDFS.range, None) not in onto


def test_data_cube_components(onto: Graph) -> None:
    assert declared(onto, QB.DimensionProperty) == {
        CSKG.refArea,
        CSKG.refYear,
        CSKG.productSegment,
    }
    assert declared(onto, QB.MeasureProperty) == {
        CSKG.marketSize,
        CSKG.growthRate,
        CSKG.productShare,
    }
    assert declared(onto, QB.AttributeProperty) == {CSKG.unit, CSKG.observationStatus}


def test_concept_schemes(onto: Graph) -> None:
    members = {
        CSKG.ModalityScheme: {CSKG.realised, CSKG.expected, CSKG.proposed, CSKG.forecast},
        CSKG.ObservationStatusScheme: {CSKG.actual, CSKG.forecast},
    }
    classes = {
        CSKG.ModalityScheme: CSKG.Modality,
        CSKG.ObservationStatusScheme: CSKG.ObservationStatus,
    }
    for scheme, concepts in members.items():
        assert (scheme, RDF.type, SKOS.ConceptScheme) in onto
        assert set(onto.subjects(SKOS.inScheme, scheme)) == concepts
        assert set(onto.objects(scheme, SKOS.hasTopConcept)) == concepts
        assert set(onto.subjects(RDF.type, classes[scheme])) == concepts
        for c in concepts:
            assert {OWL.NamedIndividual, SKOS.Concept} <= set(onto.objects(c, RDF.type))
            assert Literal(c.removeprefix(NS), lang="en") in set(onto.objects(c, SKOS.prefLabel))
    assert declared(onto, OWL.NamedIndividual) - set(members) == set().union(*members.values())


def test_core_kinds_are_pairwise_disjoint(onto: Graph) -> None:
    disjoint: set[frozenset[URIRef]] = set()
    for axiom in onto.subjects(RDF.type, OWL.AllDisjointClasses):
        members = list(Collection(onto, onto.value(axiom, OWL.members)))
        disjoint |= {frozenset(pair) for pair in combinations(members, 2)}
    disjoint |= {frozenset(pair) for pair in onto.subject_objects(OWL.disjointWith)}
    core = [
        CSKG.Policy,
        CSKG.Agency,
        CSKG.Enterprise,
        CSKG.Person,
        CSKG.Technology,
        CSKG.Product,
        CSKG.Standard,
        CSKG.Event,
        CSKG.IndustryChange,
        CSKG.Problem,
        CSKG.Trend,
        CSKG.Recommendation,
        CSKG.Sector,
    ]
    assert [pair for pair in combinations(core, 2) if frozenset(pair) not in disjoint] == []
    # These may share members: a public research centre can be an agency; a strategy a plan;
    # forecast is both a modality and an observation status.
    for a, b in [
        (CSKG.ResearchInstitute, CSKG.Agency),
        (CSKG.ResearchInstitute, CSKG.Enterprise),
        (CSKG.Plan, CSKG.Strategy),
        (CSKG.Modality, CSKG.ObservationStatus),
    ]:
        assert frozenset((a, b)) not in disjoint


# -- The closed namespace and the plain-string module ---------------------------------------------


def test_terms_module_lists_exactly_the_declared_terms(onto: Graph) -> None:
    listed = {URIRef(NS + name) for name in CSKG.__annotations__}
    ontology_terms = all_declared(onto)
    missing = sorted(t.removeprefix(NS) for t in ontology_terms - listed)
    extra = sorted(t.removeprefix(NS) for t in listed - ontology_terms)
    assert (missing, extra) == ([], []), "regenerate the term list of tests/utils/terms.py"
    with pytest.raises(AttributeError):
        _ = CSKG.Polcy  # misspelt: the namespace is closed


def test_vocab_does_not_import_rdflib() -> None:
    code = "import sys, cskg.vocab; print('rdflib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_prefixes() -> None:
    p = vocab.PREFIXES
    assert p["agency"] == "https://w3id.org/cskg/id/agency/"
    assert p["rec"] == "https://w3id.org/cskg/id/recommendation/"
    assert p["ev"] == "https://w3id.org/cskg/graph/evidence/"
    assert p["obs"] == "https://w3id.org/cskg/id/observation/"
    assert p["qb"] == str(QB) and p["skos"] == str(SKOS) and p["dcterms"] == str(DCTERMS)
    assert len(set(p.values())) == len(p), "two prefixes for one namespace"
    assert vocab.GRAPH_CURATION == "https://w3id.org/cskg/graph/curation"
    assert vocab.sparql_prologue({"cskg": vocab.CSKG}) == f"PREFIX cskg: <{vocab.CSKG}>\n"


# -- Consistency: OWL RL (owlrl) ------------------------------------------------------------------


def owlrl_clashes(g: Graph) -> list[str]:
    """Expand `g` (a copy) with the OWL RL closure; return the inconsistencies owlrl reports."""
    closed = Graph()
    for triple in g:
        closed.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closed)
    messages = sorted(str(m) for m in closed.objects(None, OWLRL_ERR.error))
    nothing = sorted(str(s) for s in closed.subjects(RDF.type, OWL.Nothing))
    return messages + [f"{s} is an owl:Nothing" for s in nothing]


def test_owlrl_finds_no_clash(onto: Graph) -> None:
    assert owlrl_clashes(onto) == []


def test_owlrl_detects_a_disjointness_clash(onto: Graph) -> None:
    g = Graph()
    for triple in onto:
        g.add(triple)
    g.parse(data=CLASH_DISJOINT, format="turtle")
    clashes = owlrl_clashes(g)
    assert clashes and all("https://w3id.org/cskg/id/policy/x" in c for c in clashes)


# -- Consistency: OWL 2 DL (HermiT, bundled with owlready2) ---------------------------------------


def hermit_consistent(g: Graph, tmp_path: Path) -> bool:
    """Run HermiT on `g` through owlready2, offline; True when `g` is consistent.

    xsd:gYear and xsd:gYearMonth (the ranges of cskg:date and cskg:refYear) are not in the
    OWL 2 datatype map, so HermiT is told to treat unsupported datatypes as opaque.
    """
    owlready2 = pytest.importorskip("owlready2")
    if shutil.which(owlready2.JAVA_EXE) is None:
        pytest.skip("HermiT needs Java on PATH")
    path = tmp_path / "cskg.nt"
    g.serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()
    world.get_ontology(path.as_uri()).load()
    try:
        owlready2.sync_reasoner_hermit(world, debug=0, ignore_unsupported_datatypes=True)
    except owlready2.OwlReadyInconsistentOntologyError:
        return False
    finally:
        world.close()
    return True


def test_hermit_finds_the_ontology_consistent(onto: Graph, tmp_path: Path) -> None:
    assert hermit_consistent(onto, tmp_path)


@pytest.mark.parametrize("clash", [CLASH_DISJOINT, CLASH_DOMAIN], ids=["disjoint", "domain"])
def test_hermit_detects_a_clash(onto: Graph, tmp_path: Path, clash: str) -> None:
    g = Graph()
    for triple in onto:
        g.add(triple)
    g.parse(data=clash, format="turtle")
    assert not hermit_consistent(g, tmp_path)
