"""`cskg search TEXT`: the entities a text finds, as the site's search box finds them.

`cskg describe TERM` names one entity; `cskg search` lists the candidates, ranked (the rules of
`cskg.search`): by label in English or Chinese, another spelling, an identifier, or the words of
the paper's sentences about them.
"""

from __future__ import annotations

import argparse
import json
import sys

from cskg.cli.options import Command, add_lang, dist


def _arguments(parser: argparse.ArgumentParser) -> None:
    from cskg.search import DEFAULT_RESULTS, MAX_QUERY, MAX_RESULTS

    parser.add_argument(
        "text",
        help="a name in English or Chinese, another spelling, an identifier (agency:miit) or "
        f"words of the paper (at most {MAX_QUERY} characters are read)",
    )
    add_lang(parser, "label language")
    parser.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_RESULTS,
        help=f"results at most (default {DEFAULT_RESULTS}, at most {MAX_RESULTS})",
    )
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format")


def run_search(args: argparse.Namespace) -> int:
    from cskg.query.results import compact
    from cskg.release import Release
    from cskg.search import find

    with Release.open(dist(args)) as release:
        found = find(release, args.text, lang=args.lang, limit=args.limit)
    if args.format == "json":
        data = {"query": args.text, "results": [r.as_json() for r in found]}
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return 0
    if not found:
        print(f"cskg: nothing found for {args.text!r}", file=sys.stderr)
        return 0
    width = max(len(compact(r.iri)) for r in found)
    for rank, r in enumerate(found, 1):
        shown = "".join(f"[{text}]" if marked else text for text, marked in r.parts)
        name = shown if r.snippet == r.label else r.label  # the match marked in the label itself
        kind = f" ({r.cls})" if r.cls else ""
        print(f"{rank:>3}  {r.score:.3f}  {compact(r.iri).ljust(width)}  {name}{kind}")
        if r.snippet != r.label:
            print(f"{'':12}{r.field}: {shown}")
    return 0


SEARCH = Command(
    "search", "find entities by name, spelling or the words of the paper", _arguments, run_search
)
