"""A small release with hostile data: a `<script>` label and a `javascript:` IRI as an object.

Built on tests/minirelease.py; used to check that pages escape every literal and never turn a
non-http(s) IRI into a link.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from minirelease import write_release

EVIL = "https://w3id.org/cskg/id/agency/evil"
SCRIPT = "<script>alert(1)</script>"
JS_IRI = "javascript:alert(1)"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
GRAPH = "https://w3id.org/cskg/graph/evidence/miit-plan"


def write_poisoned_release(dist: Path) -> Path:
    write_release(dist)
    quads = [
        ox.Quad(
            ox.NamedNode(EVIL),
            ox.NamedNode(RDFS + "label"),
            ox.Literal(SCRIPT, language="en"),
            ox.NamedNode(GRAPH),
        ),
        ox.Quad(
            ox.NamedNode(EVIL),
            ox.NamedNode(RDFS + "seeAlso"),
            ox.NamedNode(JS_IRI),
            ox.NamedNode(GRAPH),
        ),
        ox.Quad(
            ox.NamedNode(EVIL),
            ox.NamedNode(RDFS + "comment"),
            ox.Literal('"><img src=x onerror=alert(2)> & more'),
            ox.NamedNode(GRAPH),
        ),
        ox.Quad(
            ox.NamedNode("https://w3id.org/cskg/id/agency/miit"),
            ox.NamedNode(RDFS + "seeAlso"),
            ox.NamedNode(EVIL),
            ox.NamedNode(GRAPH),
        ),
    ]
    store = ox.Store(str(dist / "store"))
    store.extend(quads)
    store.flush()
    everything = list(store)
    del store
    (dist / "cskg.nq").write_bytes(ox.serialize(everything, format=ox.RdfFormat.N_QUADS))
    return dist
