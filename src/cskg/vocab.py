"""Every IRI cskg names, once, as plain strings: the project's namespaces and graph names, the
W3C and community vocabularies it reuses, the terms the code reads by name, the paper's DOI and
the data's licence. Every other module takes its IRIs from here.

This module imports nothing, so the query path can use it without paying for rdflib. The patterns
are those of docs/modelling.md, "Identifiers".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

BASE: Final = "https://w3id.org/cskg/"

#: the paper the graph is made from, and the licence of the data
PAPER_DOI: Final = "10.15302/J-SSCAE-2016.04.006"
DATA_LICENSE: Final = "https://creativecommons.org/licenses/by/4.0/"
#: the release as a dataset (void.ttl), and where its files are published for download
RELEASE_DATASET: Final = BASE + "dataset"
RELEASE_DOWNLOADS: Final = BASE + "dist/"

# -- Reused vocabularies -------------------------------------------------------------------------

RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS: Final = "http://www.w3.org/2000/01/rdf-schema#"
OWL: Final = "http://www.w3.org/2002/07/owl#"
XSD: Final = "http://www.w3.org/2001/XMLSchema#"
SKOS: Final = "http://www.w3.org/2004/02/skos/core#"
DCTERMS: Final = "http://purl.org/dc/terms/"
PROV: Final = "http://www.w3.org/ns/prov#"
ORG: Final = "http://www.w3.org/ns/org#"
FOAF: Final = "http://xmlns.com/foaf/0.1/"
QB: Final = "http://purl.org/linked-data/cube#"
VANN: Final = "http://purl.org/vocab/vann/"
VOID: Final = "http://rdfs.org/ns/void#"
DCAT: Final = "http://www.w3.org/ns/dcat#"
BIBO: Final = "http://purl.org/ontology/bibo/"
SH: Final = "http://www.w3.org/ns/shacl#"
SD: Final = "http://www.w3.org/ns/sparql-service-description#"
FORMATS: Final = "http://www.w3.org/ns/formats/"
SPARQL_RESULTS: Final = "http://www.w3.org/2005/sparql-results#"

RDF_TYPE: Final = RDF + "type"
RDF_LANGSTRING: Final = RDF + "langString"
RDFS_LABEL: Final = RDFS + "label"
SKOS_PREF_LABEL: Final = SKOS + "prefLabel"
SKOS_ALT_LABEL: Final = SKOS + "altLabel"
DCTERMS_TITLE: Final = DCTERMS + "title"
XSD_STRING: Final = XSD + "string"
XSD_INTEGER: Final = XSD + "integer"
XSD_DECIMAL: Final = XSD + "decimal"
#: the numeric datatypes: the integer family, and the others (read as floating point numbers)
XSD_INTEGERS: Final = frozenset(
    XSD + name
    for name in (
        *("integer", "int", "long", "short", "byte"),
        *("nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger"),
        *("unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte"),
    )
)
XSD_FLOATS: Final = frozenset(XSD + name for name in ("decimal", "double", "float"))
#: the properties that name a resource, most preferred first (the label rule: `cskg.release`)
LABEL_PROPERTIES: Final = (RDFS_LABEL, SKOS_PREF_LABEL, DCTERMS_TITLE, SKOS_ALT_LABEL)

# -- The ontology ---------------------------------------------------------------------------------

ONTOLOGY: Final = BASE + "ontology"  # the ontology's IRI
CSKG: Final = ONTOLOGY + "#"  # its terms

# -- Instances ------------------------------------------------------------------------------------

_ID: Final = BASE + "id/"
AGENCY: Final = _ID + "agency/"
ENT: Final = _ID + "enterprise/"
PERSON: Final = _ID + "person/"
POST: Final = _ID + "post/"
POLICY: Final = _ID + "policy/"
EVENT: Final = _ID + "event/"
TECH: Final = _ID + "technology/"
PRODUCT: Final = _ID + "product/"
STD: Final = _ID + "standard/"
CHANGE: Final = _ID + "change/"
THREAT: Final = _ID + "threat/"
PROBLEM: Final = _ID + "problem/"
TREND: Final = _ID + "trend/"
REC: Final = _ID + "recommendation/"
SECTOR: Final = _ID + "sector/"
CONCEPT: Final = _ID + "concept/"
# the concept schemes, each a namespace of its own (the data files declare these prefixes)
AREA: Final = CONCEPT + "area/"
CHAIN_LEVEL: Final = CONCEPT + "chain-level/"
UNIT: Final = CONCEPT + "unit/"
SEGMENT: Final = CONCEPT + "segment/"
PRODUCT_CATEGORY: Final = CONCEPT + "product-category/"
TERM: Final = CONCEPT + "term/"
SECURITY_WORK: Final = CONCEPT + "security-work/"
STANDARD_AREA: Final = CONCEPT + "standard-area/"
SECURITY_FACTOR: Final = CONCEPT + "security-factor/"
DRIVER: Final = CONCEPT + "driver/"
SECURITY_CAPABILITY: Final = CONCEPT + "security-capability/"
CLAIM: Final = _ID + "claim/"
DATASET: Final = _ID + "dataset/"
OBS: Final = _ID + "observation/"
DOC: Final = _ID + "document/"
SEC: Final = _ID + "section/"
REF: Final = _ID + "reference/"
EV: Final = BASE + "graph/evidence/"  # an evidence sentence and the named graph it supports

# -- Named graphs ---------------------------------------------------------------------------------

GRAPH_ONTOLOGY: Final = BASE + "graph/ontology"
GRAPH_INFERRED: Final = BASE + "graph/inferred"
GRAPH_CURATION: Final = BASE + "graph/curation"
# Chinese names the curators translated where no official one was found (editorial too)
GRAPH_TRANSLATIONS: Final = BASE + "graph/translations"
GRAPH_DOCUMENT: Final = BASE + "graph/document"
GRAPH_DATA: Final = BASE + "graph/data/"  # + a data file's path: its default graph

# -- Prefixes -------------------------------------------------------------------------------------

# Every prefix the project binds when it writes RDF, and every prefix a query may use without
# declaring it (`cskg prefixes` lists them), in this order. A concept scheme has a prefix of its
# own, so that its concepts have short names that are valid SPARQL and Turtle (`area:china`; the
# `/` of `concept:area/china` is not allowed in a prefixed name).
PREFIXES: Final[dict[str, str]] = {
    "cskg": CSKG,
    "agency": AGENCY,
    "ent": ENT,
    "person": PERSON,
    "post": POST,
    "policy": POLICY,
    "event": EVENT,
    "tech": TECH,
    "product": PRODUCT,
    "std": STD,
    "change": CHANGE,
    "threat": THREAT,
    "problem": PROBLEM,
    "trend": TREND,
    "rec": REC,
    "sector": SECTOR,
    "concept": CONCEPT,
    "area": AREA,
    "chain": CHAIN_LEVEL,
    "unit": UNIT,
    "segment": SEGMENT,
    "category": PRODUCT_CATEGORY,
    "term": TERM,
    "work": SECURITY_WORK,
    "stdarea": STANDARD_AREA,
    "sfactor": SECURITY_FACTOR,
    "driver": DRIVER,
    "capability": SECURITY_CAPABILITY,
    "claim": CLAIM,
    "dataset": DATASET,
    "obs": OBS,
    "doc": DOC,
    "sec": SEC,
    "ref": REF,
    "ev": EV,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "prov": PROV,
    "org": ORG,
    "foaf": FOAF,
    "qb": QB,
    "vann": VANN,
    "void": VOID,
    "dcat": DCAT,
    "bibo": BIBO,
    "sh": SH,
}


def sparql_prologue(prefixes: dict[str, str] = PREFIXES) -> str:
    """The PREFIX lines of a SPARQL query declaring `prefixes`, one per line."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefixes.items())


def turtle_prefixes(prefixes: dict[str, str] = PREFIXES) -> str:
    """The @prefix lines of a Turtle document declaring `prefixes`, one per line."""
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in prefixes.items())


def prefix_table() -> list[tuple[str, str]]:
    """Every prefix a query may use without declaring it, with its namespace, in `PREFIXES`
    order: what `cskg prefixes` prints and the query page lists."""
    return list(PREFIXES.items())


#: every namespace of `PREFIXES` ends with "/" or "#", so an IRI's namespaces are its beginnings
#: that end there
_PREFIX_OF_NAMESPACE: Final = {ns: p for p, ns in PREFIXES.items()}


def prefixes_used(iris: Iterable[str]) -> dict[str, str]:
    """The entries of `PREFIXES` whose namespace begins one of `iris`, in `PREFIXES` order: what
    a document holding those IRIs declares (every writer of Turtle, TriG or JSON-LD uses this)."""
    used: set[str] = set()
    for iri in set(iris):
        for end, char in enumerate(iri):
            if char in "/#" and (prefix := _PREFIX_OF_NAMESPACE.get(iri[: end + 1])):
                used.add(prefix)
    return {p: ns for p, ns in PREFIXES.items() if p in used}
