"""One query's answer, written by the worker that ran it, within the endpoint's limits.

The answer goes straight into a file (the server's, passed to the worker with the query) a piece
at a time, so neither the worker nor the server ever holds more of it than one piece: at most
`max_rows` rows or triples and at most `max_bytes` bytes are written, and a cut answer says so
in its own syntax (`cskg.query.results.Truncation`) as well as in the header the server is sent.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import IO, Any

from cskg.query.model import ox_kind, ox_row
from cskg.query.results import (
    PREFIXES,
    RESULTS_WRITERS,
    NotRepresentable,
    Truncation,
    check_xml_text,
)

#: room kept for the closing piece (and its note) of a document cut at the byte limit
_TAIL_ROOM = 1024


@dataclass(frozen=True)
class Limits:
    max_rows: int
    max_bytes: int


#: the media types of CONSTRUCT and DESCRIBE answers, the default first
GRAPH_TYPES = ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml")


def graph_format(media: str) -> Any:
    """The pyoxigraph format of one of `GRAPH_TYPES`."""
    import pyoxigraph as ox

    return ox.RdfFormat.from_media_type(media)


def write_answer(
    answer: Any, media: dict[str, str | None], out: IO[bytes], limits: Limits
) -> dict[str, Any]:
    """Write pyoxigraph's `answer` into `out` in the media type chosen for its kind
    (`media["results"]` for SELECT and ASK, `media["graph"]` for CONSTRUCT and DESCRIBE).

    Returns the header the server is sent: `status` (200, or 406 when the client accepts no
    format for this kind of answer or the format cannot carry it), `media`, `bytes`, and
    `truncated` (`Truncation.as_json()`) for a cut answer."""
    kind = ox_kind(answer)
    chosen = media["graph" if kind == "graph" else "results"]
    if chosen is None:
        offered = ", ".join(GRAPH_TYPES if kind == "graph" else RESULTS_WRITERS)
        return {"status": 406, "message": f"this query's results are available as {offered}"}
    try:
        if kind == "graph":
            truncation = _write_graph(answer, chosen, out, limits)
        else:
            truncation = _write_results(answer, kind, chosen, out, limits)
    except NotRepresentable as error:
        return {"status": 406, "message": str(error)}
    return {
        "status": 200,
        "kind": kind,
        "media": chosen,
        "bytes": out.tell(),
        "truncated": truncation.as_json() if truncation else None,
    }


def _write_results(
    answer: Any, kind: str, media: str, out: IO[bytes], limits: Limits
) -> Truncation | None:
    writer = RESULTS_WRITERS[media]()
    if kind == "ask":
        out.write(writer.boolean(bool(answer)).encode("utf-8"))
        return None
    out.write(writer.head([v.value for v in answer.variables]).encode("utf-8"))
    budget = limits.max_bytes - _TAIL_ROOM
    cache: dict[Any, Any] = {}
    truncation = None
    for returned, solution in enumerate(answer):
        if returned == limits.max_rows:
            truncation = Truncation(returned, "rows", limits.max_rows)
            break
        piece = writer.row(ox_row(solution, cache)).encode("utf-8")
        if out.tell() + len(piece) > budget:
            truncation = Truncation(returned, "bytes", limits.max_bytes)
            break
        out.write(piece)
    out.write(writer.tail(truncation).encode("utf-8"))
    return truncation


def _write_graph(answer: Any, media: str, out: IO[bytes], limits: Limits) -> Truncation | None:
    """Triples are gathered up to the row limit while their N-Triples size fits the byte limit,
    then serialised; a format that came out larger (JSON-LD, RDF/XML) is written again with
    half as many until it fits."""
    import pyoxigraph as ox

    fmt = graph_format(media)
    budget = limits.max_bytes - _TAIL_ROOM
    triples: list[Any] = []
    size = 0
    truncation: Truncation | None = None
    for triple in itertools.islice(answer, limits.max_rows + 1):
        if len(triples) == limits.max_rows:
            truncation = Truncation(len(triples), "rows", limits.max_rows)
            break
        size += len(str(triple).encode("utf-8")) + 3
        if size > budget:
            truncation = Truncation(len(triples), "bytes", limits.max_bytes)
            break
        triples.append(triple)
    if fmt == ox.RdfFormat.RDF_XML:
        for triple in triples:
            if isinstance(triple.object, ox.Literal):
                check_xml_text(triple.object.value)
    while True:
        data = _serialise(triples, fmt)
        if len(data) <= budget:
            break
        triples = triples[: len(triples) // 2]
        truncation = Truncation(len(triples), "bytes", limits.max_bytes)
    if truncation is not None and fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES):
        data += f"# {truncation.message()}\n".encode()
    out.write(data)
    return truncation


def _serialise(triples: list[Any], fmt: Any) -> bytes:
    import pyoxigraph as ox

    if fmt == ox.RdfFormat.TURTLE:
        used = {t.value for triple in triples for t in triple if isinstance(t, ox.NamedNode)}
        prefixes = {p: ns for p, ns in PREFIXES.items() if any(i.startswith(ns) for i in used)}
        return ox.serialize(triples, format=fmt, prefixes=prefixes) or b""
    try:
        return ox.serialize(triples, format=fmt) or (b"[]" if fmt == ox.RdfFormat.JSON_LD else b"")
    except (ValueError, SyntaxError) as error:  # e.g. a predicate RDF/XML cannot name
        raise NotRepresentable(f"the answer cannot be written as {fmt}: {error}") from None
