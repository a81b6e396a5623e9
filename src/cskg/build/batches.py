"""The reason and validate steps over the corpus batch by batch (`cskg.build.stream`), and the
release's N-Quads merged from what the batches wrote: memory is set by a batch, not by the
corpus.

While the workers check one batch's parts, this process reads the next batch; each batch
leaves sorted runs on disk (`cskg.build.spill`): its quads behind their keys, its inferred
quads, and the terms it names. Merging them gives `cskg.nq` in the release's order (inferred
quads deduplicated: a fact about a shared node is inferred in every part) and the figures of
build.json and void.ttl, which count distinct terms of the whole corpus.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from cskg.build.engines import Engines
from cskg.build.partition import Parts, targets_left_out
from cskg.build.pool import PartResult, Workers, check_groups
from cskg.build.report import ValidationReport, merge_reports
from cskg.build.spill import Runs
from cskg.build.stream import (
    KEY_WIDTH,
    SourceIndex,
    keyed_lines,
    read_batch,
    serialized_lines,
)
from cskg.terminal import Step
from cskg.vocab import GRAPH_INFERRED, GRAPH_ONTOLOGY, OWL, RDF_TYPE


@dataclass
class _Pending:
    """A batch whose parts are being checked: what its results add up to."""

    parts: int
    inferred: dict[ox.Triple, None] = field(default_factory=dict)
    subjects: set[str] = field(default_factory=set)
    objects: set[str] = field(default_factory=set)


class CorpusCheck:
    """The second pass: batches read, checked on `workers` and written to runs in `folder`."""

    def __init__(
        self, index: SourceIndex, folder: Path, engines: Engines, workers: Workers | None
    ) -> None:
        self.index, self.engines, self.workers = index, engines, workers
        self.asserted = Runs(folder, "asserted")
        self.inferred = Runs(folder, "inferred")
        self.subjects = Runs(folder, "subjects")
        self.objects = Runs(folder, "objects")
        self.predicates: set[ox.NamedNode] = set()
        self.classes: set[object] = set()
        self.reports: list[ValidationReport] = []
        self.pending: deque[_Pending] = deque()
        self.seconds = {"load": 0.0, "reason": 0.0, "validate": 0.0, "write": 0.0}
        self._first_part_given = False

    def run(self, step: Step) -> ValidationReport:
        """Check every batch; the merged report. `step` counts the parts checked, its total
        known once the last batch is read."""
        base = self.index.base()
        self._write_base()
        results = check_groups(
            base,
            self._groups(base, step),
            self.index.groups,
            self.index.shapes,
            self.engines,
            self.workers,
        )
        for result in results:
            self._finish_ready()
            self._take(result)
            step.advance()
        self._finish_ready()
        return merge_reports(self.reports)

    def _groups(
        self, base: list[ox.Quad], step: Step
    ) -> Iterator[tuple[list[ox.Quad], frozenset[str]]]:
        """Every part's own quads and left-out targets, batch after batch, read as the workers
        ask for more; `step.total` set when the last batch is read."""
        given = 0
        for files in self.index.batches:
            started = time.perf_counter()
            batch = read_batch(self.index, files)
            given += len(batch.groups)
            pending = _Pending(len(batch.groups))
            self._account(list(batch.quads), pending)
            self.seconds["load"] += time.perf_counter() - started
            started = time.perf_counter()
            self.asserted.add(batch.keyed_lines())
            self.seconds["write"] += time.perf_counter() - started
            left_out = self._left_out(base, batch.groups)
            self.pending.append(pending)
            if files is self.index.batches[-1]:
                step.total = given
            yield from zip(batch.groups, left_out, strict=False)  # one left-out for no part
        if not self._first_part_given:  # no part at all: the base is checked alone
            step.total = 1
            self.pending.append(_Pending(1))
            yield [], self._left_out(base, [])[0]

    def _left_out(self, base: list[ox.Quad], groups: list[list[ox.Quad]]) -> list[frozenset[str]]:
        first = not self._first_part_given
        self._first_part_given |= bool(groups)
        parts = Parts(base, groups)
        return targets_left_out(parts, self.index.shapes, self.index.orphans, first)

    def _take(self, result: PartResult) -> None:
        pending = self.pending[0]
        pending.inferred.update(dict.fromkeys(result.inferred))
        pending.parts -= 1
        self.reports.append(result.report)
        self.seconds["reason"] += result.reason_seconds
        self.seconds["validate"] += result.validate_seconds

    def _finish_ready(self) -> None:
        """Write the runs of the batches whose parts are all checked."""
        while self.pending and self.pending[0].parts == 0:
            done = self.pending.popleft()
            started = time.perf_counter()
            graph = ox.NamedNode(GRAPH_INFERRED)
            quads = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in done.inferred]
            self._account(quads, done)
            self.inferred.add(line + "\n" for line in serialized_lines(quads))
            self.subjects.add(term + "\n" for term in done.subjects)
            self.objects.add(term + "\n" for term in done.objects)
            self.seconds["write"] += time.perf_counter() - started

    def _account(self, quads: list[ox.Quad], pending: _Pending) -> None:
        """Note the terms of `quads` for the release's figures."""
        rdf_type = ox.NamedNode(RDF_TYPE)
        subjects, objects, predicates = pending.subjects, pending.objects, self.predicates
        for q in quads:
            subjects.add(str(q.subject))
            objects.add(str(q.object))
            predicates.add(q.predicate)
            if q.predicate == rdf_type:
                self.classes.add(q.object)

    def _write_base(self) -> None:
        """The quads the index holds, as the first run; their terms with the first batch's."""
        base = self.index.base_quads()
        self.asserted.add(keyed_lines(base))
        terms = _Pending(0)
        self._account([q for _, q in base], terms)
        self.subjects.add(term + "\n" for term in terms.subjects)
        self.objects.add(term + "\n" for term in terms.objects)

    def merge(self, dump: Path, graphs: Path) -> dict[str, object]:
        """Write the release's N-Quads to `dump` and each named graph's size to `graphs` (a
        line `size<TAB>IRI` each, in the dump's order); the figures of the whole."""
        with (
            dump.open("w", encoding="utf-8", newline="\n") as out,
            graphs.open("w", encoding="utf-8", newline="\n") as sizes,
        ):
            asserted, named = _write_asserted(self.asserted.merged(), out, sizes)
            inferred = 0
            for line in self.inferred.merged(unique=True):
                out.write(line)
                inferred += 1
            if inferred:
                sizes.write(f"{inferred}\t{GRAPH_INFERRED}\n")
                named += 1
        subjects = entities = 0
        for term in self.subjects.merged(unique=True):
            subjects += 1
            entities += term.startswith("<")
        return {
            "triples": asserted + inferred,
            "asserted": asserted,
            "inferred": inferred,
            "graphs": named,
            "classes": len(self.classes),
            "ontology_classes": _declared_classes(self.index.schema),
            "properties": len(self.predicates),
            "entities": entities,
            "distinct_subjects": subjects,
            "distinct_objects": self.objects.count_unique(),
        }

    def vocabularies(self) -> set[str]:
        """The namespaces of the predicates and classes used."""
        iris = {p.value for p in self.predicates}
        iris |= {c.value for c in self.classes if type(c) is ox.NamedNode}
        namespaces = set()
        for iri in iris:
            cut = max(iri.rfind("#"), iri.rfind("/"))
            if cut > 0:
                namespaces.add(iri[: cut + 1])
        return namespaces


def _write_asserted(lines: Iterator[str], out: Any, sizes: Any) -> tuple[int, int]:
    """The keyed lines' N-Quads written to `out`, each graph's size to `sizes` (the lines of a
    graph are together: they share the key's first part); (quads, graphs) written."""
    count = graphs = 0
    current, name, size = "", "", 0
    for line in lines:
        graph_key = line[:15]  # rank and the graph's first position
        if graph_key != current:
            if size:
                sizes.write(f"{size}\t{name}\n")
                graphs += 1
            # the graph is the line's last term, an IRI: no spaces in it
            current, name, size = graph_key, line.rsplit(" ", 2)[-2][1:-1], 0
        out.write(line[KEY_WIDTH + 1 :])
        size += 1
        count += 1
    if size:
        sizes.write(f"{size}\t{name}\n")
        graphs += 1
    return count, graphs


def _declared_classes(schema: dict[ox.Quad, Any]) -> int:
    """The classes the ontology declares (owl:Class or owl:Restriction, named)."""
    rdf_type, graph = ox.NamedNode(RDF_TYPE), ox.NamedNode(GRAPH_ONTOLOGY)
    kinds = (ox.NamedNode(OWL + "Class"), ox.NamedNode(OWL + "Restriction"))
    return len(
        {
            q.subject
            for q in schema
            if q.graph_name == graph
            and q.predicate == rdf_type
            and q.object in kinds
            and type(q.subject) is ox.NamedNode
        }
    )
