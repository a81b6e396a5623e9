"""Reasoning and validation of the parts (`cskg.build.partition`), on every core or on a cluster.

One part is checked in this process. Several are shared among workers (`Workers`): by default
local processes, one per core (`LocalProcesses`), or the workers of a Dask cluster
(`cskg.build.cluster`). Either way each worker is started once with what every part shares
(`Shared`: the shapes, the engines, the base), then given parts; the results come back in the
parts' order, a bounded number of parts in flight. The local workers are spawned, not forked:
a fork of a process whose other threads hold locks (RocksDB's, a thread pool's) can hang. Quads
travel to and from the workers as N-Quads, which pyoxigraph writes and reads some ten times
faster than pickle. An inconsistent part raises `Inconsistent` in the worker, and the pool
raises it again here.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import pyoxigraph as ox

from cskg.build.dates import date_bounds
from cskg.build.engines import Engines
from cskg.build.partition import TARGET_NODE, Parts, targets_left_out
from cskg.build.reason import infer
from cskg.build.report import ValidationReport
from cskg.build.shacl import validate
from cskg.build.sources import graph_to_triples, rdflib_triples, serialized, shapes_graph

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor
    from contextlib import AbstractContextManager

    from rdflib import Graph

#: one part on its way to a worker: its own quads (N-Quads, the base left out) and the target
#: nodes its shapes leave out (`cskg.build.partition.targets_left_out`)
Task = tuple[bytes, frozenset[str]]


@dataclass(frozen=True)
class PartResult:
    """What one part gives: its inferred triples, its report, and the seconds each step took."""

    inferred: list[ox.Triple]
    report: ValidationReport
    reason_seconds: float
    validate_seconds: float


@dataclass(frozen=True)
class Shipped:
    """A `PartResult` on its way back from a worker, the triples as N-Triples."""

    inferred_nt: bytes
    report: ValidationReport
    reason_seconds: float
    validate_seconds: float

    def unpack(self) -> PartResult:
        inferred = [q.triple for q in ox.parse(self.inferred_nt, format=ox.RdfFormat.N_TRIPLES)]
        return PartResult(inferred, self.report, self.reason_seconds, self.validate_seconds)


@dataclass(frozen=True)
class Shared:
    """What every part shares, sent to each worker once: the shapes (N-Triples), the engines and
    the base (N-Quads)."""

    shapes_nt: bytes
    engines: Engines
    base_nquads: bytes

    def checker(self) -> PartChecker:
        """The checker a worker makes of it, once."""
        shape_triples = [q.triple for q in ox.parse(self.shapes_nt, format=ox.RdfFormat.N_TRIPLES)]
        base = list(ox.parse(self.base_nquads, format=ox.RdfFormat.N_QUADS))
        return PartChecker(shape_triples, self.shapes_nt, self.engines, base)


class Pending(Protocol):
    """A part given to a worker (a `concurrent.futures.Future`, or what stands for one)."""

    def result(self) -> Shipped: ...

    def cancel(self) -> bool: ...


class Submitter(Protocol):
    """Gives parts to started workers; `slots` parts at most are in flight at once."""

    @property
    def slots(self) -> int: ...

    def submit(self, task: Task) -> Pending: ...


class Workers(Protocol):
    """Where parts are checked: workers started with what every part shares, stopped (or left
    as they were, for a cluster) when the context ends."""

    def started(self, shared: Shared) -> AbstractContextManager[Submitter]: ...


def check_parts(
    parts: Parts,
    shape_triples: list[ox.Triple],
    engines: Engines,
    workers: Workers | None = None,
) -> Iterator[PartResult]:
    """The result of each part, in order: on `workers`, or by default on one local process per
    core (in this process when there are too few parts to share)."""
    left_out = targets_left_out(parts, shape_triples)
    tasks = zip(parts.groups or [[]], left_out, strict=True)
    return check_groups(parts.base, tasks, len(parts), shape_triples, engines, workers)


def check_groups(
    base: list[ox.Quad],
    groups: Iterable[tuple[list[ox.Quad], frozenset[str]]],
    expected: int,
    shape_triples: list[ox.Triple],
    engines: Engines,
    workers: Workers | None = None,
) -> Iterator[PartResult]:
    """The result of each part, in order, as `check_parts`; each part is `base` and a group of
    quads, given with the target nodes its shapes leave out. `groups` is read as the workers
    take them (a streamed build makes them batch by batch); `expected` parts (at least) decide
    whether local processes are worth starting."""
    shapes_nt = serialized(shape_triples, ox.RdfFormat.N_TRIPLES)
    if workers is None:
        processes = min(expected // 2, len(os.sched_getaffinity(0)))
        if processes < 2:
            checker = PartChecker(shape_triples, shapes_nt, engines, base)
            for group, left_out in groups:
                yield checker.check(base + group, left_out)
            return
        workers = LocalProcesses(processes)
    shared = Shared(shapes_nt, engines, _nquads(base))
    tasks = ((_nquads(group), left_out) for group, left_out in groups)
    with workers.started(shared) as submitter:
        for shipped in _in_order(submitter, tasks):
            yield shipped.unpack()


def _in_order(submitter: Submitter, tasks: Iterable[Task]) -> Iterator[Shipped]:
    """The tasks' results in their order, `submitter.slots` of them in flight; those still in
    flight are cancelled when the caller stops early or fails (an error, Ctrl-C)."""
    pending: deque[Pending] = deque()
    try:
        for task in tasks:
            pending.append(submitter.submit(task))
            if len(pending) >= submitter.slots:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for waiting in pending:
            waiting.cancel()


@dataclass(frozen=True)
class LocalProcesses:
    """`count` spawned processes of this machine."""

    count: int

    @contextlib.contextmanager
    def started(self, shared: Shared) -> Iterator[Submitter]:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(
            self.count,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(shared,),
        ) as pool:
            # a few parts queued per process, so that none waits for the next one
            yield _LocalSubmitter(pool, slots=4 * self.count)


@dataclass(frozen=True)
class _LocalSubmitter:
    pool: ProcessPoolExecutor
    slots: int

    def submit(self, task: Task) -> Pending:
        return self.pool.submit(_check_group, task)


class PartChecker:
    """Checks parts that share a `base`, with one engine set and one set of shapes."""

    def __init__(
        self,
        shape_triples: list[ox.Triple],
        shapes_nt: bytes,
        engines: Engines,
        base: list[ox.Quad],
    ) -> None:
        # an rdflib Graph of the shapes, for pyshacl and for the report's labels; made here,
        # not in the load step, which the default engines (pyrudof) would pay for in vain
        self.shape_triples = shape_triples
        self.variants: dict[frozenset[str], tuple[Graph, bytes]] = {
            frozenset(): (shapes_graph(shape_triples), shapes_nt)
        }
        self.engines = engines
        self.base = base
        self.terms: dict[object, object] = {}  # the base's terms as rdflib terms, made once
        rdflib_triples(base, self.terms)  # type: ignore[arg-type]

    def shapes(self, left_out: frozenset[str]) -> tuple[Graph, bytes]:
        """The shapes (as a graph and as N-Triples) without the target nodes `left_out`; a
        corpus has few such variants, each made once."""
        if left_out not in self.variants:
            kept = [
                t
                for t in self.shape_triples
                if not (t.predicate == TARGET_NODE and getattr(t.object, "value", None) in left_out)
            ]
            self.variants[left_out] = (
                shapes_graph(kept),
                serialized(kept, ox.RdfFormat.N_TRIPLES),
            )
        return self.variants[left_out]

    def check(self, part: list[ox.Quad], left_out: frozenset[str] = frozenset()) -> PartResult:
        """Reason over and validate one whole part (the base included), its shapes without the
        target nodes `left_out` (`cskg.build.partition.targets_left_out`)."""
        from rdflib import Graph

        began = time.perf_counter()
        # a copy of the base's terms: the part's own are not kept for the next part
        merged = rdflib_triples(part, dict(self.terms))  # type: ignore[arg-type]
        inferred = infer(merged, self.engines.reasoner)
        bounds = date_bounds(q.triple for q in part)
        part_inferred = list(graph_to_triples(inferred)) + bounds
        reasoned = time.perf_counter()
        # pyrudof reads N-Triples: written by pyoxigraph from the quads at hand, not converted
        # back from rdflib; it needs no rdflib Graph (the report's labels are looked up in the
        # N-Triples when there are results)
        data_nt = serialized(
            dict.fromkeys([*(q.triple for q in part), *part_inferred]), ox.RdfFormat.N_TRIPLES
        )
        data_graph = None
        if self.engines.validator.needs_graph:
            data_graph = Graph()
            for triple in (*merged, *inferred, *rdflib_triples(bounds)):
                data_graph.add(triple)
        shapes, shapes_nt = self.shapes(left_out)
        report = validate(
            data_graph,
            shapes,
            self.engines.validator,
            data_ntriples=data_nt,
            shapes_ntriples=shapes_nt,
        )
        return PartResult(part_inferred, report, reasoned - began, time.perf_counter() - reasoned)

    def check_group(self, task: Task) -> Shipped:
        """`check` of the base and these quads (N-Quads), the result ready to travel."""
        group_nquads, left_out = task
        group = list(ox.parse(group_nquads, format=ox.RdfFormat.N_QUADS))
        result = self.check(self.base + group, left_out)
        inferred_nt = serialized(result.inferred, ox.RdfFormat.N_TRIPLES)
        return Shipped(inferred_nt, result.report, result.reason_seconds, result.validate_seconds)


def _nquads(quads: list[ox.Quad]) -> bytes:
    return serialized(quads, ox.RdfFormat.N_QUADS)


#: a worker process's checker, made once by `_start_worker` (a pool's initializer can leave its
#: work nowhere else)
_worker_checker: PartChecker | None = None


def _start_worker(shared: Shared) -> None:
    global _worker_checker
    _worker_checker = shared.checker()


def _check_group(task: Task) -> Shipped:
    assert _worker_checker is not None, "a worker checks parts only once started"
    return _worker_checker.check_group(task)
