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
    _add_budget(parser, "not for --view all as graphml or edges-csv: written as it is read")
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


def _add_budget(parser: argparse.ArgumentParser, exempt: str) -> None:
    from cskg.export.budget import DEFAULT_BUDGET
    from cskg.web.settings import format_size, parse_size

    # a size's default as it is written (1536M); argparse reads a text default with `type`
    parser.add_argument(
        "--memory-budget",
        type=parse_size,
        default=format_size(DEFAULT_BUDGET),
        metavar="SIZE",
        help=f"refuse when building the graph would take more memory than this, e.g. 4G; {exempt}",
    )


def run_export(args: argparse.Namespace) -> int:
    from cskg.export.budget import EXPORT_COST, check
    from cskg.export.formats import check_out, format_for, render, write
    from cskg.export.graph import to_networkx
    from cskg.export.stream import STREAMING_FORMATS, export_whole

    fmt = format_for(args.format, args.out)
    if args.out:  # refused now rather than after building the graph
        check_out(Path(args.out))
    if args.view == "all" and fmt.name in STREAMING_FORMATS:  # no networkx graph: no budget
        nodes, edges = export_whole(
            dist(args),
            fmt.name,
            Path(args.out) if args.out else None,
            lang=args.lang,
            inferred=args.inferred,
            provenance=args.provenance,
            scaffolding=args.scaffolding,
        )
        return _report(args.out, nodes, edges)
    check(
        dist(args),
        args.memory_budget,
        EXPORT_COST,
        what=f"the graph for {fmt.name}",
        advice="write the whole graph as graphml or edges-csv (streamed: "
        "--view all --format graphml)",
    )
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
    else:
        data = render(graph, fmt.name)
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return _report(args.out, graph.number_of_nodes(), graph.number_of_edges())


def _report(out: str | None, nodes: int, edges: int) -> int:
    if out:
        print(f"cskg: {nodes} nodes, {edges} edges written to {out}", file=sys.stderr)
    return 0


def _analyze_arguments(parser: argparse.ArgumentParser) -> None:
    add_view(parser)
    parser.add_argument("--top", type=int, default=10, help="how many central entities to list")
    add_lang(parser)
    _add_scaffolding(parser)
    _add_budget(parser, "whatever the view, the whole release is read")
    parser.add_argument(
        "--betweenness-sources",
        type=int,
        metavar="N",
        help="estimate betweenness from N sampled source nodes; 0: exact (default: exact while "
        "nodes x edges is at most 30 million, about 4,000 nodes; else sampled to that budget)",
    )


def run_analyze(args: argparse.Namespace) -> int:
    from cskg.export.analysis import analyze, format_text
    from cskg.export.budget import ANALYZE_COST, check
    from cskg.export.graph import to_networkx

    if args.top < 1:
        raise CskgError("--top must be at least 1")
    if args.betweenness_sources is not None and args.betweenness_sources < 0:
        raise CskgError("--betweenness-sources must be 0 (exact) or a number of nodes")
    check(
        dist(args),
        args.memory_budget,
        ANALYZE_COST,
        what="the graph to analyse",
        advice="export the whole graph as edges-csv or graphml (streamed) and analyse it with "
        "a graph tool",
    )
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
