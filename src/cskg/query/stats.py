"""`cskg stats`: triples by graph, instances by class, properties used."""

from __future__ import annotations

from dataclasses import dataclass

from cskg.query.model import QueryStore, Result, Term
from cskg.query.results import compact, format_table
from cskg.release import graph_kind
from cskg.vocab import XSD_INTEGER


@dataclass(repr=False)
class Stats:
    graphs: list[tuple[str, int]]  # graph (or "evidence graphs (N)") -> triples
    evidence_graphs: int
    classes: list[tuple[str, int]]  # class IRI -> distinct instances (asserted and inferred)
    properties: list[tuple[str, int]]  # property IRI -> statements (quads)

    def __repr__(self) -> str:
        triples = sum(n for _, n in self.graphs)
        return (
            f"<Stats: {triples} triples in {len(self.graphs)} graph rows "
            f"({self.evidence_graphs} evidence graphs), {len(self.classes)} classes, "
            f"{len(self.properties)} properties>"
        )

    def _repr_html_(self) -> str:
        """The three tables of `format_text`, each at most 50 rows, for a notebook."""
        from cskg.query.frames import table

        parts = (
            ("Triples by graph", ("graph", "triples"), self.graphs, False),
            ("Instances by class", ("class", "instances"), self.classes, True),
            ("Properties used", ("property", "statements"), self.properties, True),
        )
        return "".join(
            table(head, [(compact(k) if named else k, n) for k, n in pairs], len(pairs), 50, title)
            for title, head, pairs, named in parts
        )


def _pairs(store: QueryStore, text: str) -> list[tuple[str, int]]:
    result = store.query(text)
    return [(k.value, int(n.value)) for k, n in result.rows if k is not None and n is not None]


def collect(store: QueryStore) -> Stats:
    per_graph = _pairs(
        store, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    )
    evidence = [(g, n) for g, n in per_graph if graph_kind(g) == "evidence"]
    graphs = sorted((g, n) for g, n in per_graph if graph_kind(g) != "evidence")
    if evidence:
        graphs.append((f"evidence graphs ({len(evidence)})", sum(n for _, n in evidence)))
    classes = _pairs(
        store,
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c",
    )
    properties = _pairs(
        store, "SELECT ?p (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?p"
    )
    order = lambda item: (-item[1], item[0])  # noqa: E731
    return Stats(graphs, len(evidence), sorted(classes, key=order), sorted(properties, key=order))


def _table(
    heading: str, column: str, counts: str, pairs: list[tuple[str, int]], iris_in_full: bool = False
) -> str:
    rows: list[tuple[Term | None, ...]] = [
        (
            Term("literal", name if iris_in_full else compact(name)),
            Term("literal", str(n), XSD_INTEGER),
        )
        for name, n in pairs
    ]
    return f"{heading}\n\n" + format_table(Result("select", [column, counts], rows), count=False)


def format_text(stats: Stats) -> str:
    total = sum(n for _, n in stats.graphs)
    graphs = [*stats.graphs, ("total", total)]
    return "\n".join(
        [
            _table("Triples by graph", "graph", "triples", graphs, iris_in_full=True),
            _table("Instances by class", "class", "instances", stats.classes),
            _table("Properties used", "property", "statements", stats.properties),
        ]
    )
