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
    parser.add_argument(
        "--base",
        metavar="URL",
        help="interactive: link each node to its page where `cskg serve --base URL` serves the "
        "release (default: the node's IRI, which resolves to its page)",
    )


def _base(url: str | None) -> str | None:
    """`--base` checked: an http(s) URL with a host, without query or fragment."""
    from urllib.parse import urlsplit

    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise CskgError(
            f"--base must be an http(s) URL such as https://data.example.org/cskg: {url!r}"
        )
    return url.rstrip("/")


def run(args: argparse.Namespace) -> int:
    import warnings

    if args.view != "all" and args.kind != "interactive":
        raise CskgError("--view chooses the graph of the interactive page")
    if args.start and args.kind != "impact":
        raise CskgError("--from chooses the policies or events of the impact picture")
    if args.base is not None and args.kind != "interactive":
        raise CskgError("--base chooses where the interactive page's links go")
    if args.kind == "interactive":  # one self-contained HTML page (cskg.draw.interactive)
        from cskg.draw.interactive import write_interactive

        out = Path(args.out) if args.out else root(args) / "figures" / "interactive.html"
        base = _base(args.base)
        print(write_interactive(dist(args), out, lang=args.lang, view=args.view, base=base))
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
