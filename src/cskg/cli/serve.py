"""`cskg serve` (the release as a linked-data site and SPARQL endpoint) and `cskg publish` (the
same pages as a static site)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cskg.cli.options import Command, add_quiet, dist, root
from cskg.errors import CskgError


def _serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on")
    parser.add_argument(
        "--base",
        help="public origin the IRIs map to, e.g. https://data.example.org/cskg "
        "(default: the server's own origin)",
    )
    _add_limits(parser)


def _add_limits(parser: argparse.ArgumentParser) -> None:
    """`cskg serve`'s limits, with the defaults of `Settings` (README, "Security")."""
    from cskg.web.settings import Settings, format_size, parse_size

    d = Settings(Path("."))
    parser.add_argument("--workers", type=int, default=d.workers, help="query worker processes")
    parser.add_argument(
        "--memory",
        action="store_true",
        help="each worker loads the release into memory: most queries about 2x faster on a "
        "large release, for about 7 s per million triples and worker at start (raise "
        "--max-memory to hold a large release)",
    )
    for flag, field, kind, text in _limits():
        default = getattr(d, field)
        # a size's default as it is written (4G); argparse reads a text default with `type`
        shown = format_size(default) if kind is parse_size else default
        parser.add_argument(flag, dest=field, type=kind, default=shown, help=text)


def _limits() -> list[tuple[str, str, Any, str]]:
    """The options that set a limit of `Settings`: flag, field, type and what it does."""
    from cskg.query.text import MAX_DEPTH
    from cskg.web.settings import parse_size

    return [
        ("--timeout", "query_timeout", float, "seconds a query may run (503 beyond)"),
        (
            "--max-memory",
            "max_memory",
            parse_size,
            "address space of each query worker, e.g. 4G or 512M; 0 for none (507 beyond)",
        ),
        ("--max-rows", "max_rows", int, "rows or triples of an answer at most (then cut, marked)"),
        ("--max-bytes", "max_bytes", parse_size, "bytes of an answer at most (then cut, marked)"),
        (
            "--max-nesting",
            "max_nesting",
            _nesting,
            f"bracket nesting allowed in a query, at most {MAX_DEPTH} (400 beyond)",
        ),
        ("--queue-timeout", "queue_timeout", float, "seconds a query may wait for a worker (503)"),
        ("--max-body", "max_body", parse_size, "bytes of a request body (413 beyond)"),
        ("--header-timeout", "header_timeout", float, "seconds for a request's head to arrive"),
        ("--body-timeout", "body_timeout", float, "seconds for a request's body (408 beyond)"),
        ("--send-timeout", "send_timeout", float, "seconds a client may leave an answer unread"),
        (
            "--max-connections",
            "max_connections",
            int,
            "open connections at most; beyond, the longest idle one is closed",
        ),
        ("--max-requests", "max_requests", int, "requests in progress at most (503 beyond)"),
    ]


def _nesting(text: str) -> int:
    """A nesting cap no deeper than the parsers survive (`cskg.query.text.MAX_DEPTH`)."""
    from cskg.query.text import MAX_DEPTH

    depth = int(text) if text.isdigit() else -1
    if not 1 <= depth <= MAX_DEPTH:
        raise argparse.ArgumentTypeError(f"{text!r}: give a depth from 1 to {MAX_DEPTH}")
    return depth


def run_serve(args: argparse.Namespace) -> int:
    from cskg.web.server import serve
    from cskg.web.settings import Settings

    release = dist(args)
    if not (release / "store" / "CURRENT").exists():
        raise CskgError(f"no release in {release}: build it first (cskg build)")
    host = f"[{args.host}]" if ":" in args.host else args.host
    limits = {field: getattr(args, field) for _, field, _, _ in _limits()}
    settings = Settings(
        dist=release,
        base=(args.base or f"http://{host}:{args.port}").rstrip("/"),
        **{**limits, "max_memory": args.max_memory or None},  # 0: no limit
        workers=args.workers,
        memory=args.memory,
        root=root(args),
    )
    print(
        f"cskg: serving {release} at http://{host}:{args.port}/ (SPARQL: /sparql)", file=sys.stderr
    )
    serve(settings, args.host, args.port)
    return 0


def _publish_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        default="site",
        help="folder to write (default: site/); replaced whole, and only if it is new, empty or "
        "a site cskg published",
    )
    parser.add_argument("--base", required=True, help="public URL the site will be served from")
    add_quiet(parser)


def run_publish(args: argparse.Namespace) -> int:
    from cskg.terminal import Progress
    from cskg.web.static_site import publish

    with Progress(quiet=args.quiet) as progress:
        report = publish(dist(args), Path(args.out), args.base, root=root(args), progress=progress)
    print(
        f"cskg: {report.resources} resources, {report.files} files "
        f"({report.bytes / 1e6:.1f} MB) written to {report.out} in {report.seconds:.1f} s",
        file=sys.stderr,
    )
    return 0


SERVE = Command(
    "serve",
    "the release as a linked-data site and SPARQL endpoint",
    _serve_arguments,
    run_serve,
)
PUBLISH = Command(
    "publish", "the same pages and data files as a static site", _publish_arguments, run_publish
)
