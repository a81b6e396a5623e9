"""What an operator can set for `cskg serve`; the defaults are documented in the README's
"Security" section, each with what it protects."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cskg.vocab import BASE

#: where the identifiers live; `--base` maps them to the server's public origin
DEFAULT_BASE = BASE.rstrip("/")
GIB = 1024**3


@dataclass(frozen=True)
class Settings:
    dist: Path  # the release folder (cskg.nq, store/, void.ttl, ...)
    base: str = DEFAULT_BASE  # public origin + path prefix that replaces https://w3id.org/cskg
    # -- one query
    query_timeout: float = 10.0  # seconds; the worker is stopped and the client gets 503
    max_memory: int | None = 4 * GIB  # address space of each worker; a query beyond gets 507
    max_rows: int = 10_000  # rows (or triples) returned at most; the client is told when cut
    max_bytes: int = 32 * 1024**2  # bytes of one answer at most; the client is told when cut
    max_nesting: int = 40  # depth of { } ( ) [ ] nesting in a query; deeper gets 400
    queue_timeout: float = 30.0  # seconds a query may wait for a free worker; then 503
    # -- one request and one connection
    max_body: int = 1_000_000  # bytes of a request body; larger gets 413
    header_timeout: float = 10.0  # seconds for a request's head to arrive; then the socket closes
    body_timeout: float = 30.0  # seconds for its body to arrive after the head; then 408
    send_timeout: float = 30.0  # seconds a client may leave a chunk of an answer unread
    max_connections: int = 1000  # open at most; beyond, the oldest idle one is closed
    max_requests: int = 256  # requests in progress at most; beyond, 503
    # -- the workers
    workers: int = 2  # query worker processes
    memory: bool = False  # each worker loads the release into memory rather than reading the store
    root: Path | None = None  # project folder (queries/ for the query page)


_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": GIB, "T": 1024**4}


def parse_size(text: str) -> int:
    """A size in bytes from `123`, `512K`, `64M`, `4G` (powers of 1024; `B` and `iB` allowed)."""
    import argparse
    import re

    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if not found:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (e.g. 4G, 512M, 1000000)")
    return int(float(found[1]) * _UNITS[found[2].upper()])


def format_size(size: int | None) -> str:
    """`4G`, `32M`, or the plain number of bytes: how `parse_size` reads it back."""
    if not size:
        return "0"
    for unit in "TGMK":
        if size % _UNITS[unit] == 0:
            return f"{size // _UNITS[unit]}{unit}"
    return str(size)
