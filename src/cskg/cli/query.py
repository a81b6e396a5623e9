"""`cskg query` (a library query, a file or inline SPARQL, here or on an endpoint), `cskg queries`
(the library) and `cskg prefixes` (the prefixes a query may use without declaring them).

This is the fast path: nothing here imports rdflib, networkx or an HTTP client unless the query
asks for an engine that needs one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cskg.cli.options import Command, dist, format_of, root
from cskg.errors import CskgError

if TYPE_CHECKING:
    from cskg.query.library import LibraryQuery

#: the metavar of an argument that takes a library query's name (completed with those names)
QUERY_NAME = "QUERY"


def _query_arguments(parser: argparse.ArgumentParser) -> None:
    from cskg.query.engines import ENGINES
    from cskg.query.remote import MAX_BYTES
    from cskg.query.results import RESULT_FORMATS

    parser.add_argument(
        "query", nargs="?", metavar=QUERY_NAME, help="library query name or .rq file"
    )
    parser.add_argument("-e", "--expression", help="inline SPARQL query")
    parser.add_argument(
        "--format",
        choices=list(RESULT_FORMATS),
        help="result format (default: from the --out file's extension, else table for "
        "SELECT and ASK, turtle for CONSTRUCT and DESCRIBE)",
    )
    parser.add_argument(
        "-o", "--out", help="write the answer to this file (default: standard output)"
    )
    parser.add_argument("--asserted", action="store_true", help="leave inferred triples out")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a value for a parameter the query declares (`# param:`), repeatable: a prefixed "
        'name, <IRI> or Turtle literal ("2014"^^xsd:gYear), substituted by the engine',
    )
    parser.add_argument(
        "--endpoint", help="run on this remote SPARQL endpoint instead of the release"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="with --endpoint: seconds each request may take in all (connecting, sending, the "
        "whole answer)",
    )
    parser.add_argument(
        "--max-bytes",
        type=int,
        default=MAX_BYTES,
        metavar="N",
        help=f"with --endpoint: refuse an answer larger than N bytes (default {MAX_BYTES}, 64 MiB)",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="oxigraph",
        help="embedded query engine: the store on disk, the release loaded into memory "
        "(for many queries in one process), or rdflib's (the slow reference)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="let SERVICE and FROM <url> reach the network (off by default)",
    )


def _query(args: argparse.Namespace) -> LibraryQuery:
    from cskg.query.library import parse_query_text, read_stdin, resolve

    if args.expression and args.query:
        raise CskgError("give a query name or file, or -e SPARQL, not both")
    if args.expression:
        return parse_query_text(str(args.expression), Path("<expression>"))
    if args.query == "-":
        return parse_query_text(read_stdin(), Path("<stdin>"))
    if args.query:
        return resolve(root(args) / "queries", args.query)
    raise CskgError("no query: give a library name (see `cskg queries`), a .rq file or -e SPARQL")


def _params(pairs: list[str]) -> dict[str, str]:
    """`--param NAME=VALUE`s as a mapping; a `CskgError` for one without `=` or given twice."""
    values: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise CskgError(f"--param {pair!r}: write NAME=VALUE (entity=agency:miit)")
        if name.strip() in values:
            raise CskgError(f"--param {name.strip()} is given twice")
        values[name.strip()] = value
    return values


def run_query(args: argparse.Namespace) -> int:
    from cskg.query.engines import open_store
    from cskg.query.library import bind
    from cskg.query.results import RESULT_FORMATS, render
    from cskg.terminal import terminal_width

    query = _query(args)
    bindings = bind(query, _params(args.param))
    store = open_store(
        dist(args),
        engine=args.engine,
        endpoint=args.endpoint,
        timeout=args.timeout,
        max_bytes=args.max_bytes,
        allow_remote=args.allow_remote,
    )
    with store:
        result = store.query(query.text, asserted=args.asserted, bindings=bindings)
    width = None if args.out else terminal_width(sys.stdout)  # a table fits the terminal
    answer = render(result, format_of(args.format, args.out, RESULT_FORMATS), width)
    if args.out:
        _write_answer(Path(args.out), answer)
    else:
        sys.stdout.write(answer)
    return 0


def _write_answer(path: Path, answer: str) -> None:
    try:
        path.write_text(answer, encoding="utf-8", newline="")  # CSV rows end in CRLF as written
    except OSError as error:
        raise CskgError(f"cannot write {path}: {error.strerror}") from None


def _queries_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", metavar=QUERY_NAME, help="query to show")
    # the names alone, one a line: what shell completion offers (`cskg completion`)
    parser.add_argument("--names", action="store_true", help=argparse.SUPPRESS)


def run_queries(args: argparse.Namespace) -> int:
    from cskg.query.library import find, load_library

    folder = root(args) / "queries"
    if args.name:
        query = find(folder, args.name)
        sys.stdout.write(f"{query.name}: {query.title}\n\n{query.text}")
        return 0
    for query in load_library(folder):
        scale = f" ({query.scale})" if query.scale else ""  # how its answer grows, if it says
        what = query.question or query.title
        print(query.name if args.names else f"{query.name}{scale} — {what}")
    return 0


def _prefixes_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=["text", "sparql", "turtle"],
        default="text",
        help="text: a prefix and its IRI per line (default); sparql or turtle: declarations to "
        "paste before a query or into a Turtle file",
    )


def run_prefixes(args: argparse.Namespace) -> int:
    from cskg.vocab import prefix_table, sparql_prologue, turtle_prefixes

    if args.format == "sparql":
        sys.stdout.write(sparql_prologue())
    elif args.format == "turtle":
        sys.stdout.write(turtle_prefixes())
    else:
        table = prefix_table()
        width = max(len(prefix) for prefix, _ in table) + 1
        sys.stdout.writelines(f"{prefix + ':':<{width}}  {iri}\n" for prefix, iri in table)
    return 0


QUERY = Command(
    "query", "run a library query, a query file, or inline SPARQL", _query_arguments, run_query
)
QUERIES = Command(
    "queries", "list the query library, or show one query", _queries_arguments, run_queries
)
PREFIXES = Command(
    "prefixes",
    "the prefixes every query may use without declaring them",
    _prefixes_arguments,
    run_prefixes,
)
