"""The `cskg` command: one parser, verb subcommands, exit codes.

The parser is defined here in full; each handler imports what it needs when it runs, so that
`cskg query` does not pay for rdflib, owlrl or pyshacl (see README, "Speed").
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from cskg.errors import EXIT_ERROR, CskgError

SELECT_FORMATS = ["table", "csv", "tsv", "json", "md", "sparql-json", "sparql-xml"]
GRAPH_FORMATS = ["turtle", "json-ld", "ntriples"]


def _root(args: argparse.Namespace) -> Path:
    return Path(args.root or os.environ.get("CSKG_ROOT") or Path.cwd()).resolve()


def _dist(args: argparse.Namespace) -> Path:
    return Path(args.dist) if args.dist else _root(args) / "dist"


# -- handlers -------------------------------------------------------------------------------


def cmd_build(args: argparse.Namespace) -> int:
    raise NotImplementedError


def cmd_validate(args: argparse.Namespace) -> int:
    raise NotImplementedError


def cmd_query(args: argparse.Namespace) -> int:
    raise NotImplementedError


def cmd_queries(args: argparse.Namespace) -> int:
    raise NotImplementedError


def cmd_describe(args: argparse.Namespace) -> int:
    raise NotImplementedError


def cmd_stats(args: argparse.Namespace) -> int:
    raise NotImplementedError


# -- parser ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from cskg import __version__

    parser = argparse.ArgumentParser(
        prog="cskg",
        description="Build, check, query and publish the cyberspace-security knowledge graph.",
        epilog="Exit codes: 0 success, 1 the data does not conform to the shapes, 2 error.",
    )
    parser.add_argument("--version", action="version", version=f"cskg {__version__}")
    parser.add_argument(
        "--root", help="project folder with ontology/, data/, queries/ (default: current folder)"
    )
    parser.add_argument("--dist", help="release folder (default: ROOT/dist)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("build", help="reason, validate and write the release atomically")
    p.add_argument("--out", help="release folder to write (default: ROOT/dist)")
    p.add_argument(
        "--reference",
        action="store_true",
        help="use the reference engines (owlrl, pyshacl) instead of reasonable and pyrudof",
    )
    p.add_argument(
        "--allow-invalid",
        action="store_true",
        help="write the release even when the data violates the shapes (exit code stays 1)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(handler=cmd_build)

    p = sub.add_parser("validate", help="validate the release, or extra data files, against the shapes")
    p.add_argument(
        "files", nargs="*", help="Turtle/TriG files to validate together with the release data"
    )
    p.add_argument("--format", choices=["text", "turtle", "json"], default="text", help="report format")
    p.add_argument("--reference", action="store_true", help="validate with pyshacl instead of pyrudof")
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("query", help="run a library query, a query file, or inline SPARQL")
    p.add_argument("query", nargs="?", help="library query name or .rq file")
    p.add_argument("-e", "--expression", help="inline SPARQL query")
    p.add_argument(
        "--format",
        choices=SELECT_FORMATS + GRAPH_FORMATS + ["text"],
        help="result format (default: table for SELECT, turtle for CONSTRUCT/DESCRIBE)",
    )
    p.add_argument("--asserted", action="store_true", help="leave inferred triples out")
    p.add_argument("--endpoint", help="run on this remote SPARQL endpoint instead of the release")
    p.add_argument("--timeout", type=float, default=30.0, help="remote endpoint timeout in seconds")
    p.add_argument(
        "--engine",
        choices=["oxigraph", "rdflib"],
        default="oxigraph",
        help="embedded query engine (rdflib is the slow reference)",
    )
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="let SERVICE and FROM <url> reach the network (off by default)",
    )
    p.set_defaults(handler=cmd_query)

    p = sub.add_parser("queries", help="list the query library, or show one query")
    p.add_argument("name", nargs="?", help="query to show")
    p.set_defaults(handler=cmd_queries)

    p = sub.add_parser("describe", help="everything about one entity, with evidence")
    p.add_argument("term", help="IRI, prefixed name (agency:miit), or English/Chinese label")
    p.add_argument("--lang", choices=["en", "zh"], default="en", help="label language")
    p.set_defaults(handler=cmd_describe)

    p = sub.add_parser("stats", help="triples by graph, instances by class, properties used")
    p.set_defaults(handler=cmd_stats)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except CskgError as error:
        print(f"cskg: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("cskg: interrupted", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
