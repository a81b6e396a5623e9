"""`cskg diff` (what changed between two releases, or a release and the edited sources) and
`cskg patch` (a diff's patch applied to a release).

Exit codes as diff(1): `cskg diff` exits 0 when the two are the same, 1 when they differ, 2 on
an error; `cskg patch` exits 0 when the patch applied, 2 when it did not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cskg.cli.options import Command, add_lang, format_of
from cskg.errors import EXIT_DIFFERENT, EXIT_OK

_SIDE = (
    "a release folder (with cskg.nq), a project folder (ontology/ and data/: its sources built "
    "in memory, nothing written) or an N-Quads or TriG file"
)


def _diff_arguments(parser: argparse.ArgumentParser) -> None:
    from cskg.diff.changes import DIFF_FORMATS

    parser.description = (
        "What changed from OLD to NEW, grouped by entity, with each statement's graph and, for "
        "the paper's sentences, section and quote. `cskg diff dist .`: the last release against "
        "the edited sources. Exit 0: the same; 1: they differ; 2: error."
    )
    parser.add_argument("old", metavar="OLD", help=f"the release before: {_SIDE}")
    parser.add_argument("new", metavar="NEW", help="the release after, given the same way")
    parser.add_argument(
        "--format",
        choices=list(DIFF_FORMATS),
        help="text for the terminal, markdown for a CHANGELOG entry, patch (RDF Patch) for "
        "machines and `cskg patch` (default: from the --out file's extension, else text)",
    )
    parser.add_argument(
        "-o",
        "--out",
        help="write to this file (default: standard output): a new file, an empty one, or one "
        "`cskg diff` wrote; any other file is left alone",
    )
    parser.add_argument(
        "--inferred",
        action="store_true",
        help="list inferred statements too (default: counted per entity; a patch holds them all)",
    )
    add_lang(parser, "language of the labels")


def run_diff(args: argparse.Namespace) -> int:
    from cskg.diff.changes import DIFF_FORMATS, Shown, diff
    from cskg.outdir import check_file, write_file

    fmt = DIFF_FORMATS[format_of(args.format, args.out, DIFF_FORMATS) or "text"]
    marks = tuple(f.mark.encode("utf-8") for f in DIFF_FORMATS.values())  # any diff it wrote
    if args.out:  # refused now rather than after building the sources
        check_file(Path(args.out), marks, "cskg diff")
    changes = diff(Path(args.old), Path(args.new))
    for side in (changes.old, changes.new):
        if side.conforms is False:
            print(
                f"cskg: note: the sources in {side.name} violate the shapes "
                "(`cskg build` says where); compared as they are",
                file=sys.stderr,
            )
    text = fmt.write(changes, Shown(args.inferred, args.lang))
    if args.out:
        write_file(Path(args.out), text.encode("utf-8"), marks, "cskg diff")
        print(
            f"cskg: {len(changes.removed)} quads removed, {len(changes.added)} added; "
            f"written to {args.out}",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(text)
    return EXIT_DIFFERENT if changes.changed else EXIT_OK


def _patch_arguments(parser: argparse.ArgumentParser) -> None:
    from cskg.diff.patch import MAX_PATCH_BYTES

    parser.description = (
        "Apply an RDF Patch (`cskg diff --format patch`) to a release and write the quads it "
        "gives as N-Quads. A patch that does not parse, or deletes a quad the release does not "
        "hold, is one line `file:line:column: message`, exit 2."
    )
    parser.add_argument(
        "patch", metavar="PATCH", help=f"the RDF Patch (UTF-8, at most {MAX_PATCH_BYTES >> 20} MiB)"
    )
    parser.add_argument("release", metavar="RELEASE", help=f"what it applies to: {_SIDE}")
    parser.add_argument(
        "-o",
        "--out",
        help="write the N-Quads to this file (default: standard output): a new file, an empty "
        "one, or one `cskg patch` wrote; any other file is left alone",
    )


def run_patch(args: argparse.Namespace) -> int:
    from cskg.diff.patch import NQUADS_MARK, apply_patch, nquads, read_patch
    from cskg.diff.sides import read_quads
    from cskg.outdir import check_file, write_file

    if args.out:
        check_file(Path(args.out), (NQUADS_MARK.encode(),), "cskg patch")
    patch = read_patch(Path(args.patch))  # before the release is read: a bad patch fails fast
    quads = apply_patch(read_quads(Path(args.release)).quads, patch)
    text = nquads(quads)
    if args.out:
        write_file(Path(args.out), text.encode("utf-8"), (NQUADS_MARK.encode(),), "cskg patch")
        print(f"cskg: {len(quads)} quads written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


DIFF = Command(
    "diff",
    "what changed between two releases (or a release and the sources)",
    _diff_arguments,
    run_diff,
)
PATCH = Command(
    "patch",
    "apply a patch from `cskg diff --format patch` to a release",
    _patch_arguments,
    run_patch,
)
