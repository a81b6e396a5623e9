"""`cskg plot`: the impact graph, the market chart, the product mix, the interactive page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cskg.cli.options import Command, add_lang, add_view, dist, root
from cskg.errors import CskgError


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "kind", choices=["impact", "market", "mix", "interactive"], help="which picture"
    )
    parser.add_argument(
        "-o", "--out", help="output file or stem (default: figures/KIND.svg/.png/.html)"
    )
    add_lang(parser)
    parser.add_argument(
        "--scope",
        choices=["policies", "all"],
        default="policies",
        help="impact: the policies and events and what followed from them (default), or every "
        "causal claim",
    )
    parser.add_argument(
        "--from",
        dest="start",
        action="append",
        metavar="TERM",
        help="impact: draw only this policy or event (IRI, prefixed name or label) and what "
        "followed from it; repeatable. Needed when the whole picture would be too large to read",
    )
    add_view(parser, "interactive: the graph to show, one of {views} (default all)")


def run(args: argparse.Namespace) -> int:
    import warnings

    if args.view != "all" and args.kind != "interactive":
        raise CskgError("--view chooses the graph of the interactive page")
    if args.start and args.kind != "impact":
        raise CskgError("--from chooses the policies or events of the impact picture")
    if args.kind == "interactive":  # one self-contained HTML page (cskg.draw.interactive)
        from cskg.draw.interactive import write_interactive

        out = Path(args.out) if args.out else root(args) / "figures" / "interactive.html"
        print(write_interactive(dist(args), out, lang=args.lang, view=args.view))
        return 0

    from cskg.draw.plots import plot, save

    stem = Path(args.out) if args.out else root(args) / "figures" / args.kind
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chart = plot(
            args.kind, dist(args), lang=args.lang, scope=args.scope, start=args.start or ()
        )
    for warning in caught:
        print(f"cskg: warning: {warning.message}", file=sys.stderr)
    for path in save(chart, stem):
        print(path)
    return 0


PLOT = Command(
    "plot", "pictures: impact graph, market chart, product mix, interactive", _arguments, run
)
