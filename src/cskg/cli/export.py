"""`cskg export` (the graph in the formats graph tools read) and `cskg analyze`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cskg.cli.options import Command, add_lang, add_view, dist
from cskg.errors import CskgError


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    from cskg.export.formats import EXPORT_FORMATS

    add_view(parser, "one of {views}, or a CONSTRUCT .rq file")
    parser.add_argument(
        "--format",
        choices=list(EXPORT_FORMATS),
        help="file format (default: from the --out file's extension: "
        + ", ".join(f"{f.extension} {f.name}" for f in EXPORT_FORMATS.values())
        + "; graphml on standard output)",
    )
    add_lang(parser)
    parser.add_argument("--inferred", action="store_true", help="include inferred triples")
    parser.add_argument(
        "--provenance",
        choices=["fold", "include"],
        default="fold",
        help="fold evidence and claim nodes into edge attributes, or keep them as nodes",
    )
    _add_scaffolding(parser)
    parser.add_argument(
        "-o",
        "--out",
        help="output file: new, empty, or one cskg export wrote (default: standard output)",
    )


def _add_scaffolding(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scaffolding",
        action="store_true",
        help="keep SKOS scaffolding (skos:inScheme, skos:topConceptOf, skos:hasTopConcept and "
        "the concept schemes only they reach) in a named view",
    )


def run_export(args: argparse.Namespace) -> int:
    from cskg.export.formats import check_out, format_for, render, write
    from cskg.export.graph import to_networkx

    fmt = format_for(args.format, args.out)
    if args.out:  # refused now rather than after building the graph
        check_out(Path(args.out))
    graph = to_networkx(
        dist(args),
        args.view,
        lang=args.lang,
        inferred=args.inferred,
        provenance=args.provenance,
        scaffolding=args.scaffolding,
    )
    if args.out:
        write(graph, fmt.name, Path(args.out))
        print(
            f"cskg: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges "
            f"written to {args.out}",
            file=sys.stderr,
        )
    else:
        data = render(graph, fmt.name)
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 0


def _analyze_arguments(parser: argparse.ArgumentParser) -> None:
    add_view(parser)
    parser.add_argument("--top", type=int, default=10, help="how many central entities to list")
    add_lang(parser)
    _add_scaffolding(parser)
    parser.add_argument(
        "--betweenness-sources",
        type=int,
        metavar="N",
        help="estimate betweenness from N sampled source nodes; 0: exact (default: exact while "
        "nodes x edges is at most 30 million, about 4,000 nodes; else sampled to that budget)",
    )


def run_analyze(args: argparse.Namespace) -> int:
    from cskg.export.analysis import analyze, format_text
    from cskg.export.graph import to_networkx

    if args.top < 1:
        raise CskgError("--top must be at least 1")
    if args.betweenness_sources is not None and args.betweenness_sources < 0:
        raise CskgError("--betweenness-sources must be 0 (exact) or a number of nodes")
    graph = to_networkx(dist(args), args.view, lang=args.lang, scaffolding=args.scaffolding)
    analysis = analyze(graph, top=args.top, betweenness_sources=args.betweenness_sources)
    sys.stdout.write(format_text(analysis))
    return 0


EXPORT = Command(
    "export",
    "the graph (or a view of it) as GraphML, GEXF, JSON, ...",
    _export_arguments,
    run_export,
)
ANALYZE = Command(
    "analyze", "central entities, influence chains, components", _analyze_arguments, run_analyze
)
