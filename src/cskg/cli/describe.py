"""`cskg describe` (one entity with its evidence) and `cskg stats` (the release in figures)."""

from __future__ import annotations

import argparse
import sys

from cskg.cli.options import Command, add_lang, dist


def _describe_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("term", help="IRI, prefixed name (agency:miit), or English/Chinese label")
    add_lang(parser, "label language")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format")


def run_describe(args: argparse.Namespace) -> int:
    from cskg.query.describe import describe, format_json, format_text
    from cskg.query.engines import EmbeddedStore

    with EmbeddedStore(dist(args) / "store") as store:
        description = describe(store, args.term, args.lang)
    render = format_json if args.format == "json" else format_text
    sys.stdout.write(render(description))
    return 0


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    """`cskg stats` takes only the global options."""


def run_stats(args: argparse.Namespace) -> int:
    from cskg.query.engines import EmbeddedStore
    from cskg.query.stats import collect, format_text

    with EmbeddedStore(dist(args) / "store") as store:
        sys.stdout.write(format_text(collect(store)))
    return 0


DESCRIBE = Command(
    "describe", "everything about one entity, with evidence", _describe_arguments, run_describe
)
STATS = Command(
    "stats", "triples by graph, instances by class, properties used", _no_arguments, run_stats
)
