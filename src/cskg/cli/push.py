"""`cskg push`: load the release into any SPARQL 1.1 store, then verify it graph by graph."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from cskg.cli.options import Command, add_quiet, dist
from cskg.errors import EXIT_ERROR, CskgError

if TYPE_CHECKING:
    from cskg.query.push import Progress as GraphsPushed
    from cskg.terminal import Step


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint", required=True, help="the store's SPARQL query endpoint URL")
    parser.add_argument(
        "--profile",
        choices=["virtuoso", "fuseki", "graphdb", "generic"],
        default="generic",
        help="store kind: derives the graph store and update URLs from --endpoint",
    )
    parser.add_argument("--graph-store", help="Graph Store Protocol URL (overrides the profile's)")
    parser.add_argument(
        "--update", help="SPARQL Update URL (default: the profile's, or --endpoint)"
    )
    parser.add_argument(
        "--method",
        choices=["auto", "gsp", "update"],
        default="auto",
        help="gsp: PUT each graph; update: SPARQL Update batches; auto: gsp when there is a "
        "graph store",
    )
    parser.add_argument("--user", help="user name for the store (HTTP digest or basic auth)")
    parser.add_argument(
        "--password", help="password (visible to other local users; prefer --password-env)"
    )
    parser.add_argument(
        "--password-env", metavar="VAR", help="read the password from this variable"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds each request may take in all (connecting, sending, the whole answer)",
    )
    parser.add_argument(
        "--auth",
        choices=["digest", "basic"],
        help="how to send the credentials (default: the profile's; digest for virtuoso and "
        "generic, basic for fuseki and graphdb); never in another scheme, whatever the store asks",
    )
    parser.add_argument(
        "--allow-insecure-auth",
        action="store_true",
        help="allow Basic authentication over http:// to a host that is not loopback (the "
        "password crosses the network readable)",
    )
    parser.add_argument(
        "--batch",
        type=int,
        help="triples per request (default: 10000 for gsp, where a graph's first batch is PUT "
        "and the others POSTed; 1000 for update)",
    )
    add_quiet(parser)


def _progress(step: Step) -> GraphsPushed:
    """The graphs counted on the live line; off a terminal, a line per tenth of them."""

    def pushed(done: int, total: int, graph: str, triples: int) -> None:
        step.total = total
        step.advance(done - step.done)
        if done == total or (not step.progress.live and done % max(1, total // 10) == 0):
            step.progress.line(f"cskg: pushed {done}/{total} graphs")

    return pushed


def run(args: argparse.Namespace) -> int:
    from cskg.query.push import make_target, password_from, push
    from cskg.terminal import Progress

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
    with Progress(quiet=args.quiet) as progress, progress.step("push", unit="graphs") as step:
        report = push(
            dist(args) / "cskg.nq",
            target,
            method=args.method,
            batch=args.batch,
            progress=_progress(step),
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


PUSH = Command("push", "load the release into a SPARQL 1.1 store and verify it", _arguments, run)
