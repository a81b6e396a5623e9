"""How the graph looks, wherever it is drawn: one colour per class, one line per modality.

The static pictures (matplotlib), the interactive page (cytoscape.js) and the GEXF export
(Gephi's `viz` attributes) all read these two tables, so a Plan is the same blue and a proposed
effect the same dotted pink in each of them. Classes are keyed by their prefixed name, as the
graph views name them (`cskg.export.graph`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# Colours by family, so a legend reads as groups: policies blue, organisations green,
# technology teal, changes red, problems/trends/recommendations warm, concepts grey-olive.
CLASS_COLOURS: dict[str, str] = {
    "cskg:Plan": "#1f5fbf",
    "cskg:Law": "#0d3b8c",
    "cskg:Strategy": "#3c7fd9",
    "cskg:Policy": "#5b8fd6",
    "cskg:Initiative": "#74a9e8",
    "cskg:PolicyPriority": "#9fc2ee",
    "cskg:Target": "#2f6fa8",
    "cskg:Event": "#8e44ad",
    "cskg:Agency": "#2e8b57",
    "cskg:Enterprise": "#6ab344",
    "cskg:ResearchInstitute": "#1b6e4a",
    "cskg:Person": "#c9a227",
    "org:Post": "#e0c35a",
    "cskg:Technology": "#17a2b8",
    "cskg:Product": "#0e7c86",
    "cskg:Standard": "#5fc9d6",
    "cskg:StandardCollection": "#4fb3bf",
    "cskg:IndustryChange": "#e0533b",
    "cskg:ThreatChange": "#a8201a",
    "cskg:Problem": "#e8912d",
    "cskg:Trend": "#a0642a",
    "cskg:Recommendation": "#d65fb0",
    "cskg:Sector": "#7a7a7a",
    "cskg:ProductCategory": "#b5b52a",
    "cskg:ChainLevel": "#7d7d26",
    "cskg:ProductSegment": "#d2cf7e",
    "cskg:StandardArea": "#a6a6a6",
    "cskg:Area": "#8f9aa3",
    "cskg:Unit": "#c4c4c4",
    "skos:Concept": "#9aa57a",
    "skos:ConceptScheme": "#6b7256",
    "org:Organization": "#4f9d69",
}

#: for classes outside the table (a user's CONSTRUCT, another ontology): picked by the class's
#: name, not by order of appearance, so the class keeps its colour from picture to picture
FALLBACK_COLOURS = (
    "#6f4e7c", "#b07aa1", "#9c755f", "#4e79a7", "#59a14f", "#edc948", "#76b7b2", "#ff9da7",
    "#bab0ac", "#f28e2b", "#e15759", "#86bcb6",
)  # fmt: skip


def class_colour(cls: str) -> str:
    """The colour of the class `cls` (a prefixed name such as `cskg:Plan`), as `#rrggbb`."""
    if cls in CLASS_COLOURS:
        return CLASS_COLOURS[cls]
    digest = hashlib.sha256(cls.encode("utf-8")).digest()
    return FALLBACK_COLOURS[digest[0] % len(FALLBACK_COLOURS)]


def rgb(colour: str) -> tuple[int, int, int]:
    """`#rrggbb` as three integers 0–255 (GEXF's `viz:color`)."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


@dataclass(frozen=True)
class ModalityStyle:
    """How an effect of a causal claim with this modality is drawn.

    `dash` is the on/off pattern in multiples of the line's width (empty: a solid line), the
    form matplotlib (`(0, dash)`) and cytoscape.js (`line-dash-pattern`) both take; `kind` is
    the coarse name Gephi (`viz:shape`) and cytoscape's `line-style` know.
    """

    colour: str
    dash: tuple[float, ...]
    kind: str  # solid, dashed or dotted

    @property
    def matplotlib(self) -> str | tuple[float, tuple[float, ...]]:
        return (0.0, self.dash) if self.dash else "-"


#: the modalities of `cskg:modality`, in the order legends list them
MODALITY_STYLES: dict[str, ModalityStyle] = {
    "realised": ModalityStyle("#333333", (), "solid"),
    "expected": ModalityStyle("#0072B2", (5.0, 3.0), "dashed"),
    "proposed": ModalityStyle("#CC79A7", (1.0, 2.0), "dotted"),
    "forecast": ModalityStyle("#B2182B", (6.0, 2.0, 1.0, 2.0), "dashed"),
}

#: a statement with no causal claim behind it (a plain link)
STATED = ModalityStyle("#999999", (), "solid")


def modality_style(modality: str | None) -> ModalityStyle:
    """The style of `modality`; a plain statement's when there is none or it is unknown."""
    return MODALITY_STYLES.get(modality or "", STATED)
