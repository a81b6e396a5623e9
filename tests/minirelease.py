"""A small release folder (cskg.nq + store/) shaped like the real one, for the query-path tests.

The statements follow docs/modelling.md: one named graph per evidence sentence, editorial
statements in the curation graph, derived ones in the inferred graph.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from cskg.build.pipeline import load_store
from cskg.outdir import MARKER, marker_text

TRIG = """\
@prefix cskg: <https://w3id.org/cskg/ontology#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix qb: <http://purl.org/linked-data/cube#> .
@prefix agency: <https://w3id.org/cskg/id/agency/> .
@prefix ent: <https://w3id.org/cskg/id/enterprise/> .
@prefix policy: <https://w3id.org/cskg/id/policy/> .
@prefix product: <https://w3id.org/cskg/id/product/> .
@prefix change: <https://w3id.org/cskg/id/change/> .
@prefix claim: <https://w3id.org/cskg/id/claim/> .
@prefix obs: <https://w3id.org/cskg/id/observation/> .
@prefix dataset: <https://w3id.org/cskg/id/dataset/> .
@prefix concept: <https://w3id.org/cskg/id/concept/> .
@prefix sec: <https://w3id.org/cskg/id/section/> .
@prefix ref: <https://w3id.org/cskg/id/reference/> .
@prefix doc: <https://w3id.org/cskg/id/document/> .
@prefix ev: <https://w3id.org/cskg/graph/evidence/> .

<https://w3id.org/cskg/graph/ontology> {
    cskg:Agency a owl:Class ; rdfs:label "Agency"@en .
    cskg:Product a owl:Class ; rdfs:label "Product"@en .
    cskg:enabled a owl:ObjectProperty ; rdfs:label "enabled"@en .
}

<https://w3id.org/cskg/graph/document> {
    doc:paper a dcterms:BibliographicResource .
    sec:3-3 a cskg:Section ; cskg:sectionNumber "3.3" ; dcterms:title "Information security products"@en ;
        dcterms:isPartOf doc:paper .
    sec:2-1 a cskg:Section ; cskg:sectionNumber "2.1" ; dcterms:isPartOf doc:paper .
    ref:4 a cskg:Reference ; cskg:referenceNumber 4 .
}

ev:g-cloud-developed {
    ev:g-cloud-developed a cskg:Evidence ;
        cskg:section sec:3-3 ;
        cskg:cites ref:4 ;
        cskg:quote "The G-Cloud Technology and the Cloud Computing Center of China’s Academy of Science have developed the G-Cloud cloud operating system cooperatively."@en .
    product:g-cloud-os a cskg:Product ;
        rdfs:label "G-Cloud cloud operating system"@en ;
        cskg:developedBy ent:g-cloud-technology .
    ent:g-cloud-technology a cskg:Enterprise ; rdfs:label "G-Cloud Technology"@en .
}

ev:miit-plan {
    ev:miit-plan a cskg:Evidence ;
        cskg:section sec:2-1 ;
        cskg:quote "The MIIT issued the plan, which enabled the rapid growth of the industry."@en .
    agency:miit a cskg:Agency ; rdfs:label "Ministry of Industry and Information Technology"@en .
    policy:plan a cskg:Plan ; rdfs:label "Development plan"@en ; cskg:issuedBy agency:miit ;
        cskg:enabled change:rapid-growth .
    change:rapid-growth a cskg:IndustryChange ; rdfs:label "Rapid growth of the industry"@en .
    claim:plan-enabled-growth a cskg:CausalClaim ;
        cskg:cause policy:plan ; cskg:effect change:rapid-growth ;
        cskg:causalRelation cskg:enabled ; cskg:modality cskg:realised ;
        prov:wasDerivedFrom ev:miit-plan .
}

ev:table-1-caption {
    ev:table-1-caption a cskg:Evidence ; cskg:section sec:2-1 ;
        cskg:quote "Table 1. Market size of the information security industry."@en .
    obs:t1-world-market-size-2014 a qb:Observation ; qb:dataSet dataset:table-1 ;
        cskg:marketSize 21.640 ; cskg:printedValue "21.640" ;
        cskg:refYear "2014"^^xsd:gYear ; cskg:unit <https://w3id.org/cskg/id/concept/unit/billion-usd> .
    obs:t1-world-growth-2014 a qb:Observation ; qb:dataSet dataset:table-1 ;
        cskg:growthRate 8.2 ; cskg:printedValue "8.2" ; cskg:refYear "2014"^^xsd:gYear .
}

<https://w3id.org/cskg/graph/curation> {
    <https://w3id.org/cskg/graph/curation> a prov:Entity ;
        rdfs:comment "Editorial statements that are not in the paper."@en .
    agency:miit rdfs:label "工业和信息化部"@zh ; skos:altLabel "MIIT"@en .
    ent:g-cloud-technology rdfs:label "中云融汇"@zh ; skos:altLabel "G-Cloud"@en .
    product:g-cloud-os skos:altLabel "G-Cloud"@en .
}

<https://w3id.org/cskg/graph/inferred> {
    change:rapid-growth cskg:enabledBy policy:plan .
    policy:plan a cskg:Policy .
    agency:miit a <http://www.w3.org/ns/org#Organization> .
}
"""  # noqa: E501

INFERRED = "https://w3id.org/cskg/graph/inferred"


def write_release(dist: Path) -> Path:
    """Write cskg.nq and store/ into dist; return dist."""
    dist.mkdir(parents=True, exist_ok=True)
    quads = list(ox.parse(TRIG.encode("utf-8"), format=ox.RdfFormat.TRIG))
    (dist / "cskg.nq").write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
    load_store(dist / "store", dist / "cskg.nq")  # as the build writes it: with the merge
    (dist / MARKER).write_bytes(marker_text("release"))  # a release, as cskg build marks it
    return dist
