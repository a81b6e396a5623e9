"""`cskg build` (reason, validate, write the release) and `cskg validate`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cskg.cli.options import Command, add_quiet, dist, root
from cskg.errors import EXIT_ERROR


def _build_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        help="release folder to write (default: ROOT/dist); replaced whole, and only if it is "
        "new, empty or a release cskg wrote",
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="use the reference engines (owlrl, pyshacl) instead of reasonable and pyrudof",
    )
    parser.add_argument(
        "--allow-invalid",
        action="store_true",
        help="write the release even when the data violates the shapes (exit code stays 1)",
    )
    parser.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="reason and validate on the workers of the Dask cluster whose scheduler is at "
        "ADDRESS (tcp://HOST:PORT; needs the cluster extra), not on this machine's cores",
    )
    add_quiet(parser)


def run_build(args: argparse.Namespace) -> int:
    from cskg.build.pipeline import build
    from cskg.errors import EXIT_INVALID, EXIT_OK, SourceSyntaxError
    from cskg.terminal import Progress

    out = Path(args.out) if args.out else dist(args)
    try:
        with Progress(quiet=args.quiet) as progress:
            result = build(
                root(args),
                out,
                engines="reference" if args.reference else "default",
                allow_invalid=args.allow_invalid,
                progress=progress,
                cluster=args.cluster,
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


def _validate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files", nargs="*", help="Turtle/TriG files to validate together with the release data"
    )
    parser.add_argument(
        "--format", choices=["text", "turtle", "json"], default="text", help="report format"
    )
    parser.add_argument(
        "--reference", action="store_true", help="validate with pyshacl instead of pyrudof"
    )


def run_validate(args: argparse.Namespace) -> int:
    from cskg.build.pipeline import validate_release
    from cskg.errors import EXIT_INVALID, EXIT_OK, SourceSyntaxError

    try:
        report = validate_release(
            dist(args), [Path(f) for f in args.files], reference=args.reference
        )
    except SourceSyntaxError as error:
        print(error, file=sys.stderr)
        return EXIT_ERROR
    formats = {"text": report.to_text, "turtle": report.to_turtle, "json": report.to_json}
    print(formats[args.format](), end="")
    return EXIT_OK if report.conforms else EXIT_INVALID


BUILD = Command(
    "build", "reason, validate and write the release atomically", _build_arguments, run_build
)
VALIDATE = Command(
    "validate",
    "validate the release, or extra data files, against the shapes",
    _validate_arguments,
    run_validate,
)
