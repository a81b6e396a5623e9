"""What an operator can set for `cskg serve` (the defaults are documented in the README)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: where the identifiers live; `--base` maps them to the server's public origin
DEFAULT_BASE = "https://w3id.org/cskg"


@dataclass(frozen=True)
class Settings:
    dist: Path  # the release folder (cskg.nq, store/, void.ttl, ...)
    base: str = DEFAULT_BASE  # public origin + path prefix that replaces https://w3id.org/cskg
    query_timeout: float = 10.0  # seconds; the worker is stopped and the client gets 503
    max_rows: int = 10_000  # rows (or triples) returned at most; the client is told when cut
    max_body: int = 1_000_000  # bytes of a request body; larger gets 413
    max_nesting: int = 40  # depth of { } ( ) nesting in a query; deeper gets 400
    workers: int = 2  # query worker processes
    memory: bool = False  # each worker loads the release into memory rather than reading the store
    root: Path | None = None  # project folder (queries/ for the query page)
