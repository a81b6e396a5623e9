"""The ontology's terms as a closed rdflib namespace; the project's namespaces as rdflib objects.

`CSKG` lists exactly the terms `ontology/cskg.ttl` declares (tests/test_ontology.py fails when
the two drift apart), and `_fail = True` makes a misspelt term an AttributeError rather than a
silently new IRI. This module imports rdflib; code that must stay light uses `cskg.vocab`, which
holds the same IRIs as plain strings.
"""

from __future__ import annotations

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DefinedNamespace

from cskg import vocab


class CSKG(DefinedNamespace):
    """Terms of the cyberspace security industry ontology, `https://w3id.org/cskg/ontology#`."""

    _NS = Namespace(vocab.CSKG)
    _fail = True

    # Classes
    Agency: URIRef
    Area: URIRef
    CausalClaim: URIRef
    ChainLevel: URIRef
    Enterprise: URIRef
    Event: URIRef
    Evidence: URIRef
    IndustryChange: URIRef
    Initiative: URIRef
    Law: URIRef
    Modality: URIRef
    ObservationStatus: URIRef
    Person: URIRef
    Plan: URIRef
    Policy: URIRef
    PolicyPriority: URIRef
    Problem: URIRef
    Product: URIRef
    ProductCategory: URIRef
    ProductSegment: URIRef
    Recommendation: URIRef
    Reference: URIRef
    ResearchInstitute: URIRef
    Section: URIRef
    Sector: URIRef
    Standard: URIRef
    StandardArea: URIRef
    StandardCollection: URIRef
    Strategy: URIRef
    Target: URIRef
    Technology: URIRef
    ThreatChange: URIRef
    Trend: URIRef
    Unit: URIRef
    # Object properties
    actor: URIRef
    addressedBy: URIRef
    addresses: URIRef
    appliesTo: URIRef
    breakthroughIn: URIRef
    cause: URIRef
    certifiedBy: URIRef
    chainLevel: URIRef
    chairedBy: URIRef
    cites: URIRef
    comprises: URIRef
    concerns: URIRef
    contributedTo: URIRef
    coversArea: URIRef
    developedBy: URIRef
    effect: URIRef
    enabled: URIRef
    enabledBy: URIRef
    entrantByAcquisition: URIRef
    establishedBy: URIRef
    field: URIRef
    hasPart: URIRef
    hasPriority: URIRef
    hasTarget: URIRef
    issuedBy: URIRef
    leadingEnterprise: URIRef
    modality: URIRef
    observationStatus: URIRef
    operatesIn: URIRef
    partOf: URIRef
    prioritises: URIRef
    productSegment: URIRef
    progressIn: URIRef
    proposedBy: URIRef
    publishedBy: URIRef
    refArea: URIRef
    relatesTo: URIRef
    section: URIRef
    thresholdUnit: URIRef
    unit: URIRef
    # Datatype properties
    attainment: URIRef
    date: URIRef
    dateAsStated: URIRef
    earliest: URIRef
    endDate: URIRef
    growthRate: URIRef
    latest: URIRef
    marketSize: URIRef
    memberCount: URIRef
    printedValue: URIRef
    productShare: URIRef
    quote: URIRef
    referenceNumber: URIRef
    refYear: URIRef
    sectionNumber: URIRef
    summary: URIRef
    targetCount: URIRef
    threshold: URIRef
    # Annotation properties
    causalRelation: URIRef
    # Concept schemes
    ModalityScheme: URIRef
    ObservationStatusScheme: URIRef
    # Concepts
    actual: URIRef
    expected: URIRef
    forecast: URIRef
    proposed: URIRef
    realised: URIRef


ONTOLOGY = URIRef(vocab.ONTOLOGY)

AGENCY = Namespace(vocab.AGENCY)
ENT = Namespace(vocab.ENT)
PERSON = Namespace(vocab.PERSON)
POST = Namespace(vocab.POST)
POLICY = Namespace(vocab.POLICY)
EVENT = Namespace(vocab.EVENT)
TECH = Namespace(vocab.TECH)
PRODUCT = Namespace(vocab.PRODUCT)
STD = Namespace(vocab.STD)
CHANGE = Namespace(vocab.CHANGE)
THREAT = Namespace(vocab.THREAT)
PROBLEM = Namespace(vocab.PROBLEM)
TREND = Namespace(vocab.TREND)
REC = Namespace(vocab.REC)
SECTOR = Namespace(vocab.SECTOR)
CONCEPT = Namespace(vocab.CONCEPT)
CLAIM = Namespace(vocab.CLAIM)
DATASET = Namespace(vocab.DATASET)
OBS = Namespace(vocab.OBS)
DOC = Namespace(vocab.DOC)
SEC = Namespace(vocab.SEC)
REF = Namespace(vocab.REF)
EV = Namespace(vocab.EV)

GRAPH_ONTOLOGY = URIRef(vocab.GRAPH_ONTOLOGY)
GRAPH_INFERRED = URIRef(vocab.GRAPH_INFERRED)
GRAPH_CURATION = URIRef(vocab.GRAPH_CURATION)
GRAPH_DOCUMENT = URIRef(vocab.GRAPH_DOCUMENT)


def bind_prefixes(graph: Graph) -> Graph:
    """Bind every prefix of `vocab.PREFIXES` on `graph` (replacing rdflib's defaults); return it."""
    for prefix, namespace in vocab.PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph
