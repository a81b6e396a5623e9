"""IRIs of the knowledge graph as plain strings: namespaces, graph names, prefixes.

This module imports nothing, so the query path can use it without paying for rdflib. The same
namespaces as rdflib objects, and the closed namespace of the ontology's terms, are in
`cskg.terms`. The patterns are those of docs/modelling.md, "Identifiers".
"""

from __future__ import annotations

from typing import Final

BASE: Final = "https://w3id.org/cskg/"

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
GRAPH_DOCUMENT: Final = BASE + "graph/document"

# -- Prefixes -------------------------------------------------------------------------------------

# Every prefix the project binds when it writes RDF or prepends to SPARQL, in this order.
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
    "claim": CLAIM,
    "dataset": DATASET,
    "obs": OBS,
    "doc": DOC,
    "sec": SEC,
    "ref": REF,
    "ev": EV,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "qb": "http://purl.org/linked-data/cube#",
    "vann": "http://purl.org/vocab/vann/",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "bibo": "http://purl.org/ontology/bibo/",
    "sh": "http://www.w3.org/ns/shacl#",
}


def sparql_prologue(prefixes: dict[str, str] = PREFIXES) -> str:
    """The PREFIX lines of a SPARQL query declaring `prefixes`, one per line."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefixes.items())
