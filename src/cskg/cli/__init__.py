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
from typing import Any

from cskg.errors import EXIT_ERROR, CskgError
from cskg.query.engines import ENGINES
from cskg.query.text import MAX_DEPTH

SELECT_FORMATS = ["table", "csv", "tsv", "json", "md", "sparql-json", "sparql-xml"]
GRAPH_FORMATS = ["turtle", "json-ld", "ntriples"]


def _root(args: argparse.Namespace) -> Path:
    return Path(args.root or os.environ.get("CSKG_ROOT") or Path.cwd()).resolve()


def _dist(args: argparse.Namespace) -> Path:
    return Path(args.dist) if args.dist else _root(args) / "dist"


# -- handlers -------------------------------------------------------------------------------


def cmd_build(args: argparse.Namespace) -> int:
    from cskg.build.pipeline import build
    from cskg.errors import EXIT_INVALID, EXIT_OK, SourceSyntaxError

    out = Path(args.out) if args.out else _dist(args)

    def progress(n: int, total: int, name: str, seconds: float) -> None:
        print(f"[{n}/{total}] {name} … {seconds:.2f} s", file=sys.stderr)

    try:
        result = build(
            _root(args),
            out,
            engines="reference" if args.reference else "default",
            allow_invalid=args.allow_invalid,
            progress=None if args.quiet else progress,
        )
    except SourceSyntaxError as error:  # `file:line:column: message`, as editors expect
        print(error, file=sys.stderr)
        return EXIT_ERROR
    counts = result.counts
    if not result.conforms:
        print(result.report.to_text(), end="")
    state = "written to" if result.written else "NOT written; previous release kept in"
    print(
        f"cskg: {counts['asserted']} asserted + {counts['inferred']} inferred triples in "
        f"{counts['graphs']} graphs, {counts['ontology_classes']} classes, {counts['shapes']} "
        f"shapes; {'conforms' if result.conforms else 'does NOT conform'} "
        f"({result.engines['reasoner']}, {result.engines['validator']}); {state} {result.out}"
        + (f" in {result.timings['total']:.2f} s" if "total" in result.timings else ""),
        file=sys.stderr,
    )
    return EXIT_OK if result.conforms else EXIT_INVALID


def cmd_validate(args: argparse.Namespace) -> int:
    from cskg.build.shacl import validate_release
    from cskg.errors import EXIT_INVALID, EXIT_OK, SourceSyntaxError

    try:
        report = validate_release(
            _dist(args), [Path(f) for f in args.files], reference=args.reference
        )
    except SourceSyntaxError as error:
        print(error, file=sys.stderr)
        return EXIT_ERROR
    formats = {"text": report.to_text, "turtle": report.to_turtle, "json": report.to_json}
    print(formats[args.format](), end="")
    return EXIT_OK if report.conforms else EXIT_INVALID


def cmd_query(args: argparse.Namespace) -> int:
    from cskg.query.engines import open_store
    from cskg.query.library import read_stdin, resolve
    from cskg.query.results import render

    if args.expression and args.query:
        raise CskgError("give a query name or file, or -e SPARQL, not both")
    if args.expression:
        text = args.expression
    elif args.query == "-":
        text = read_stdin()
    elif args.query:
        text = resolve(_root(args) / "queries", args.query)[1]
    else:
        raise CskgError(
            "no query: give a library name (see `cskg queries`), a .rq file or -e SPARQL"
        )
    store = open_store(
        _dist(args),
        engine=args.engine,
        endpoint=args.endpoint,
        timeout=args.timeout,
        max_bytes=args.max_bytes,
        allow_remote=args.allow_remote,
    )
    with store:
        result = store.query(text, asserted=args.asserted)
    sys.stdout.write(render(result, args.format))
    return 0


def cmd_queries(args: argparse.Namespace) -> int:
    from cskg.query.library import find, load_library

    folder = _root(args) / "queries"
    if args.name:
        query = find(folder, args.name)
        sys.stdout.write(f"{query.name}: {query.title}\n\n{query.text}")
        return 0
    for query in load_library(folder):
        print(f"{query.name} — {query.question or query.title}")
    return 0


def cmd_describe(args: argparse.Namespace) -> int:
    from cskg.query.describe import describe, format_json, format_text
    from cskg.query.engines import EmbeddedStore

    with EmbeddedStore(_dist(args) / "store") as store:
        description = describe(store, args.term, args.lang)
    render = format_json if args.format == "json" else format_text
    sys.stdout.write(render(description))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from cskg.query.engines import EmbeddedStore
    from cskg.query.stats import collect, format_text

    with EmbeddedStore(_dist(args) / "store") as store:
        sys.stdout.write(format_text(collect(store)))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from cskg.export.formats import render
    from cskg.export.graph import to_networkx

    graph = to_networkx(
        _dist(args),
        args.view,
        lang=args.lang,
        inferred=args.inferred,
        provenance=args.provenance,
    )
    data = render(graph, args.format)
    if args.out:
        out = Path(args.out)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
        except OSError as error:
            raise CskgError(f"cannot write {out}: {error}") from error
        print(
            f"cskg: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges "
            f"written to {args.out}",
            file=sys.stderr,
        )
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from cskg.export.analysis import analyze, format_text
    from cskg.export.graph import to_networkx

    if args.top < 1:
        raise CskgError("--top must be at least 1")
    if args.betweenness_sources is not None and args.betweenness_sources < 0:
        raise CskgError("--betweenness-sources must be 0 (exact) or a number of nodes")
    graph = to_networkx(_dist(args), args.view, lang=args.lang)
    analysis = analyze(graph, top=args.top, betweenness_sources=args.betweenness_sources)
    sys.stdout.write(format_text(analysis))
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    import warnings

    dist = _dist(args)
    if args.view != "all" and args.kind != "interactive":
        raise CskgError("--view chooses the graph of the interactive page")
    if args.start and args.kind != "impact":
        raise CskgError("--from chooses the policies or events of the impact picture")
    if args.kind == "interactive":  # one self-contained HTML page (cskg.draw.interactive)
        from cskg.draw.interactive import write_interactive

        out = Path(args.out) if args.out else _root(args) / "figures" / "interactive.html"
        print(write_interactive(dist, out, lang=args.lang, view=args.view))
        return 0

    from cskg.draw.plots import plot, save

    stem = Path(args.out) if args.out else _root(args) / "figures" / args.kind
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chart = plot(args.kind, dist, lang=args.lang, scope=args.scope, start=args.start or ())
    for warning in caught:
        print(f"cskg: warning: {warning.message}", file=sys.stderr)
    for path in save(chart, stem):
        print(path)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from cskg.web.server import serve
    from cskg.web.settings import Settings

    dist = _dist(args)
    if not (dist / "store" / "CURRENT").exists():
        raise CskgError(f"no release in {dist}: build it first (cskg build)")
    host = f"[{args.host}]" if ":" in args.host else args.host
    settings = Settings(
        dist=dist,
        base=(args.base or f"http://{host}:{args.port}").rstrip("/"),
        query_timeout=args.timeout,
        max_memory=args.max_memory or None,
        max_rows=args.max_rows,
        max_bytes=args.max_bytes,
        max_nesting=args.max_nesting,
        queue_timeout=args.queue_timeout,
        max_body=args.max_body,
        header_timeout=args.header_timeout,
        body_timeout=args.body_timeout,
        send_timeout=args.send_timeout,
        max_connections=args.max_connections,
        max_requests=args.max_requests,
        workers=args.workers,
        memory=args.memory,
        root=_root(args),
    )
    print(f"cskg: serving {dist} at http://{host}:{args.port}/ (SPARQL: /sparql)", file=sys.stderr)
    serve(settings, args.host, args.port)
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from cskg.web.static_site import publish

    report = publish(_dist(args), Path(args.out), args.base, root=_root(args))
    print(
        f"cskg: {report.resources} resources, {report.files} files "
        f"({report.bytes / 1e6:.1f} MB) written to {report.out} in {report.seconds:.1f} s",
        file=sys.stderr,
    )
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from cskg.lab.bench import ScaleReport, plot_scale, run_bench, run_scale

    if args.scale:
        try:
            sizes = [int(n) for n in args.scale.split(",")]
        except ValueError:
            raise CskgError(f"--scale takes sizes such as 1,10,100: {args.scale!r}") from None
        if not sizes or min(sizes) < 1:
            raise CskgError("--scale sizes must be at least 1")

        def write_so_far(report: ScaleReport) -> None:  # a long run keeps what it measured
            if args.out:
                Path(args.out).write_text(report.to_markdown(), encoding="utf-8")
                plot_scale(report, Path(args.out).with_suffix(".png"))

        scale = run_scale(
            _root(args),
            sorted(set(sizes)),
            runs=args.runs,
            rdflib_max=args.rdflib_max,
            push_max=args.push_max,
            publish_max=args.publish_max,
            use_virtuoso=not args.no_virtuoso,
            progress=lambda message: print(f"bench: {message}", file=sys.stderr),
            on_point=write_so_far,
        )
        sys.stdout.write(scale.to_markdown())
        return 0

    report = run_bench(
        _root(args),
        runs=args.runs,
        use_virtuoso=not args.no_virtuoso,
        progress=lambda message: print(f"bench: {message}", file=sys.stderr),
    )
    text = report.to_markdown()
    sys.stdout.write(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from cskg.lab.synth import synth

    result = synth(_root(args), Path(args.out), args.papers, args.seed)
    each = sorted(set(result.triples_per_paper))
    print(
        f"cskg: {result.papers} synthetic papers ({result.triples} triples, "
        f"{'/'.join(map(str, each))} per paper) written to {result.out}; "
        f"build them with `cskg --root {result.out} build`",
        file=sys.stderr,
    )
    return 0


def cmd_push(args: argparse.Namespace) -> int:
    from cskg.query.push import make_target, password_from, push

    password = password_from(args.password, args.password_env)
    if args.user is None and password is not None:
        raise CskgError("a password needs --user")
    target = make_target(
        args.endpoint,
        profile=args.profile,
        graph_store=args.graph_store,
        update=args.update,
        user=args.user,
        password=password,
        timeout=args.timeout,
        auth=args.auth,
        allow_insecure_auth=args.allow_insecure_auth,
    )
    tty = sys.stderr.isatty()

    def progress(done: int, total: int, graph: str, triples: int) -> None:
        # one line rewritten in place on a terminal; otherwise a line per tenth of the graphs
        if tty:
            end = "\n" if done == total else ""
            print(f"\rcskg: pushed {done}/{total} graphs", end=end, file=sys.stderr, flush=True)
        elif done == total or done % max(1, total // 10) == 0:
            print(f"cskg: pushed {done}/{total} graphs", file=sys.stderr)

    report = push(
        _dist(args) / "cskg.nq",
        target,
        method=args.method,
        batch=args.batch,
        progress=None if args.quiet else progress,
    )
    for miss in report.mismatches:
        print(
            f"cskg: <{miss.graph}>: {miss.expected} triples in the release, "
            f"{miss.found} in the store",
            file=sys.stderr,
        )
    state = "verified" if report.ok else f"{len(report.mismatches)} graphs DIFFER"
    print(
        f"cskg: {report.graphs} graphs, {report.triples} triples pushed by {report.method} in "
        f"{report.write_seconds:.2f} s, counts {state} in {report.verify_seconds:.2f} s",
        file=sys.stderr,
    )
    return 0 if report.ok else EXIT_ERROR


# -- parser ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from cskg import __version__
    from cskg.query.remote import MAX_BYTES

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
    p.add_argument(
        "--out",
        help="release folder to write (default: ROOT/dist); replaced whole, and only if it is "
        "new, empty or a release cskg wrote",
    )
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

    p = sub.add_parser(
        "validate", help="validate the release, or extra data files, against the shapes"
    )
    p.add_argument(
        "files", nargs="*", help="Turtle/TriG files to validate together with the release data"
    )
    p.add_argument(
        "--format", choices=["text", "turtle", "json"], default="text", help="report format"
    )
    p.add_argument(
        "--reference", action="store_true", help="validate with pyshacl instead of pyrudof"
    )
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
    p.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="with --endpoint: seconds each request may take in all (connecting, sending, the "
        "whole answer), default 30",
    )
    p.add_argument(
        "--max-bytes",
        type=int,
        default=MAX_BYTES,
        metavar="N",
        help=f"with --endpoint: refuse an answer larger than N bytes (default {MAX_BYTES}, 64 MiB)",
    )
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default="oxigraph",
        help="embedded query engine: the store on disk, the release loaded into memory "
        "(for many queries in one process), or rdflib's (the slow reference)",
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
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    p.set_defaults(handler=cmd_describe)

    p = sub.add_parser("stats", help="triples by graph, instances by class, properties used")
    p.set_defaults(handler=cmd_stats)

    views = ["all", "policy-impact", "organisations", "technology"]
    p = sub.add_parser("export", help="the graph (or a view of it) as GraphML, GEXF, JSON, ...")
    p.add_argument(
        "--view", default="all", help=f"one of {', '.join(views)}, or a CONSTRUCT .rq file"
    )
    p.add_argument(
        "--format",
        choices=["graphml", "gexf", "json", "cytoscape", "dot", "edges-csv"],
        default="graphml",
        help="file format",
    )
    p.add_argument("--lang", choices=["en", "zh"], default="en", help="language of the labels")
    p.add_argument("--inferred", action="store_true", help="include inferred triples")
    p.add_argument(
        "--provenance",
        choices=["fold", "include"],
        default="fold",
        help="fold evidence and claim nodes into edge attributes, or keep them as nodes",
    )
    p.add_argument("-o", "--out", help="output file (default: standard output)")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("analyze", help="central entities, influence chains, components")
    p.add_argument("--view", default="all", help=f"one of {', '.join(views)}")
    p.add_argument("--top", type=int, default=10, help="how many central entities to list")
    p.add_argument("--lang", choices=["en", "zh"], default="en", help="language of the labels")
    p.add_argument(
        "--betweenness-sources",
        type=int,
        metavar="N",
        help="estimate betweenness from N sampled source nodes; 0: exact (default: exact while "
        "nodes x edges is at most 30 million, about 4,000 nodes; else sampled to that budget)",
    )
    p.set_defaults(handler=cmd_analyze)

    p = sub.add_parser(
        "plot", help="pictures: impact graph, market chart, product mix, interactive"
    )
    p.add_argument("kind", choices=["impact", "market", "mix", "interactive"], help="which picture")
    p.add_argument("-o", "--out", help="output file or stem (default: figures/KIND.svg/.png/.html)")
    p.add_argument("--lang", choices=["en", "zh"], default="en", help="language of the labels")
    p.add_argument(
        "--scope",
        choices=["policies", "all"],
        default="policies",
        help="impact: the policies and events and what followed from them (default), or every "
        "causal claim",
    )
    p.add_argument(
        "--from",
        dest="start",
        action="append",
        metavar="TERM",
        help="impact: draw only this policy or event (IRI, prefixed name or label) and what "
        "followed from it; repeatable. Needed when the whole picture would be too large to read",
    )
    p.add_argument(
        "--view",
        default="all",
        help=f"interactive: the graph to show, one of {', '.join(views)} (default all)",
    )
    p.set_defaults(handler=cmd_plot)

    p = sub.add_parser("serve", help="the release as a linked-data site and SPARQL endpoint")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8080, help="port to listen on")
    p.add_argument(
        "--base",
        help="public origin the IRIs map to, e.g. https://data.example.org/cskg "
        "(default: the server's own origin)",
    )
    _serve_limits(p)
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("publish", help="the same pages and data files as a static site")
    p.add_argument(
        "--out",
        default="site",
        help="folder to write (default: site/); replaced whole, and only if it is new, empty or "
        "a site cskg published",
    )
    p.add_argument("--base", required=True, help="public URL the site will be served from")
    p.set_defaults(handler=cmd_publish)

    p = sub.add_parser(
        "synth", help="write a synthetic corpus of N papers shaped like the real one"
    )
    p.add_argument("--papers", type=int, required=True, help="how many papers to write")
    p.add_argument(
        "--seed", type=int, default=0, help="random seed (the same seed, the same bytes)"
    )
    p.add_argument(
        "--out", required=True, help="project folder to write (data/, ontology/, queries/)"
    )
    p.set_defaults(handler=cmd_synth)

    p = sub.add_parser("push", help="load the release into a SPARQL 1.1 store and verify it")
    p.add_argument("--endpoint", required=True, help="the store's SPARQL query endpoint URL")
    p.add_argument(
        "--profile",
        choices=["virtuoso", "fuseki", "graphdb", "generic"],
        default="generic",
        help="store kind: derives the graph store and update URLs from --endpoint",
    )
    p.add_argument("--graph-store", help="Graph Store Protocol URL (overrides the profile's)")
    p.add_argument("--update", help="SPARQL Update URL (default: the profile's, or --endpoint)")
    p.add_argument(
        "--method",
        choices=["auto", "gsp", "update"],
        default="auto",
        help="gsp: PUT each graph; update: SPARQL Update batches; auto: gsp when there is a "
        "graph store",
    )
    p.add_argument("--user", help="user name for the store (HTTP digest or basic auth)")
    p.add_argument(
        "--password", help="password (visible to other local users; prefer --password-env)"
    )
    p.add_argument("--password-env", metavar="VAR", help="read the password from this variable")
    p.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds each request may take in all (connecting, sending, the whole answer), "
        "default 60",
    )
    p.add_argument(
        "--auth",
        choices=["digest", "basic"],
        help="how to send the credentials (default: the profile's; digest for virtuoso and "
        "generic, basic for fuseki and graphdb); never in another scheme, whatever the store asks",
    )
    p.add_argument(
        "--allow-insecure-auth",
        action="store_true",
        help="allow Basic authentication over http:// to a host that is not loopback (the "
        "password crosses the network readable)",
    )
    p.add_argument(
        "--batch",
        type=int,
        help="triples per request (default: 10000 for gsp, where a graph's first batch is PUT "
        "and the others POSTed; 1000 for update)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(handler=cmd_push)

    p = sub.add_parser("bench", help="measure build and library queries, engines side by side")
    p.add_argument("--runs", type=int, default=5, help="runs per measurement (median reported)")
    p.add_argument(
        "--no-virtuoso", action="store_true", help="leave Virtuoso out even if installed"
    )
    p.add_argument(
        "--scale",
        metavar="SIZES",
        help="instead of the paper suite, synthetic corpora of these sizes, e.g. 1,10,100,1000",
    )
    p.add_argument(
        "--rdflib-max",
        type=int,
        default=100,
        metavar="PAPERS",
        help="with --scale, run rdflib's engine up to this many papers (each query in a budget)",
    )
    p.add_argument(
        "--push-max",
        type=int,
        default=100,
        metavar="PAPERS",
        help="with --scale, time `cskg push` into a fresh Virtuoso up to this many papers",
    )
    p.add_argument(
        "--publish-max",
        type=int,
        default=100,
        metavar="PAPERS",
        help="with --scale, time `cskg publish` (a file per document) up to this many papers",
    )
    p.add_argument(
        "--out",
        help="also write the Markdown report to this file (with --scale, the plot beside it, .png)",
    )
    p.set_defaults(handler=cmd_bench)
    return parser


def _serve_limits(p: argparse.ArgumentParser) -> None:
    """`cskg serve`'s limits, with the defaults of `Settings` (README, "Security")."""
    from cskg.web.settings import Settings, format_size, parse_size

    d = Settings(Path("."))
    p.add_argument("--workers", type=int, default=d.workers, help="query worker processes")
    p.add_argument(
        "--memory",
        action="store_true",
        help="each worker loads the release into memory: most queries about 2x faster on a "
        "large release, for about 7 s per million triples and worker at start (raise "
        "--max-memory to hold a large release)",
    )
    limits: list[tuple[str, Any, Any, str]] = [
        ("--timeout", float, d.query_timeout, "seconds a query may run (503 beyond)"),
        (
            "--max-memory",
            parse_size,
            d.max_memory,
            "address space of each query worker, e.g. 4G or 512M; 0 for none (507 beyond)",
        ),
        ("--max-rows", int, d.max_rows, "rows or triples of an answer at most (then cut, marked)"),
        ("--max-bytes", parse_size, d.max_bytes, "bytes of an answer at most (then cut, marked)"),
        (
            "--max-nesting",
            _nesting,
            d.max_nesting,
            f"bracket nesting allowed in a query, at most {MAX_DEPTH} (400 beyond)",
        ),
        ("--queue-timeout", float, d.queue_timeout, "seconds a query may wait for a worker (503)"),
        ("--max-body", parse_size, d.max_body, "bytes of a request body (413 beyond)"),
        ("--header-timeout", float, d.header_timeout, "seconds for a request's head to arrive"),
        ("--body-timeout", float, d.body_timeout, "seconds for a request's body (408 beyond)"),
        ("--send-timeout", float, d.send_timeout, "seconds a client may leave an answer unread"),
        (
            "--max-connections",
            int,
            d.max_connections,
            "open connections at most; beyond, the longest idle one is closed",
        ),
        ("--max-requests", int, d.max_requests, "requests in progress at most (503 beyond)"),
    ]
    for flag, kind, default, text in limits:
        shown = format_size(default) if kind is parse_size else default
        p.add_argument(flag, type=kind, default=default, help=f"{text} (default: {shown})")


def _nesting(text: str) -> int:
    """A nesting cap no deeper than the parsers survive (`cskg.query.text.MAX_DEPTH`)."""
    depth = int(text) if text.isdigit() else -1
    if not 1 <= depth <= MAX_DEPTH:
        raise argparse.ArgumentTypeError(f"{text!r}: give a depth from 1 to {MAX_DEPTH}")
    return depth


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
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
