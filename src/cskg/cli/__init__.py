"""The `cskg` command: one parser assembled from the command modules, verb subcommands, exit
codes.

Each module of this package declares its commands (`cskg.cli.options.Command`): the arguments
next to the `run` they feed. Only the chosen command's arguments are declared, and a module
imports what its command needs only when it declares or runs it, so that `cskg query` does not
pay for rdflib, owlrl, pyshacl or the web server (see README, "Speed").
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from cskg.cli import (
    build,
    completion,
    describe,
    diff,
    export,
    lab,
    plot,
    push,
    query,
    search,
    serve,
)
from cskg.cli.options import Command
from cskg.errors import EXIT_ERROR, CskgError

#: the subcommands, in the order `cskg --help` lists them
COMMANDS: tuple[Command, ...] = (
    build.BUILD,
    build.VALIDATE,
    query.QUERY,
    query.QUERIES,
    query.PREFIXES,
    describe.DESCRIBE,
    search.SEARCH,
    describe.STATS,
    diff.DIFF,
    diff.PATCH,
    export.EXPORT,
    export.ANALYZE,
    plot.PLOT,
    serve.SERVE,
    serve.PUBLISH,
    lab.SYNTH,
    push.PUSH,
    lab.BENCH,
    # its scripts are made from the parser with every command's arguments (made when asked)
    completion.completion_command(lambda: build_parser()),
)


#: the global options that take a value (`--root DIR`, `--dist DIR`)
_VALUED = ("--root", "--dist")


class HelpWithDefaults(argparse.HelpFormatter):
    """Help that ends each option's text with its default, where it has one worth saying: not
    None, False or an empty value, and not where the text already says what it is."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if not shows_default(action):
            return text
        default = action.default
        shown = f"{default:g}" if isinstance(default, float) else str(default)
        return f"{text} (default: {shown.replace('%', '%%')})"


def shows_default(action: argparse.Action) -> bool:
    """Whether `cskg --help` adds `action`'s default to its text (`HelpWithDefaults`)."""
    default = action.default
    return not (
        default is None
        or default is argparse.SUPPRESS
        or isinstance(default, bool)
        or default in ("", [], ())
        or action.help is argparse.SUPPRESS
        or "default" in (action.help or "")
    )


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `cskg` parser. With `command`, only that subcommand's arguments are declared (the
    others are listed with their help): declaring, say, `cskg serve`'s limits then costs
    `cskg query` nothing."""
    from cskg import __version__

    parser = argparse.ArgumentParser(
        prog="cskg",
        description="Build, check, query and publish the cyberspace-security knowledge graph.",
        epilog="Exit codes: 0 success, 1 the data does not conform to the shapes (cskg diff: the "
        "two differ), 2 error.",
        formatter_class=HelpWithDefaults,
    )
    parser.add_argument("--version", action="version", version=f"cskg {__version__}")
    parser.add_argument(
        "--root",
        help="project folder with ontology/, data/, queries/ (default: $CSKG_ROOT, else the "
        "current folder if it is one, else the project shipped with cskg)",
    )
    parser.add_argument(
        "--dist",
        help="release folder (default: $CSKG_DIST, else ROOT/dist, or for the shipped project "
        "~/.cache/cskg/VERSION/dist)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for each in COMMANDS:
        subparser = sub.add_parser(each.name, help=each.help, formatter_class=HelpWithDefaults)
        if command is None or each.name == command:
            each.arguments(subparser)
        subparser.set_defaults(handler=each.run)
    return parser


def _command(argv: Sequence[str]) -> str | None:
    """The subcommand `argv` names, read as argparse reads it (a global option's value, even
    abbreviated, is skipped); None when it names none."""
    tokens = iter(argv)
    for token in tokens:
        if len(token) > 2 and "=" not in token and any(o.startswith(token) for o in _VALUED):
            next(tokens, None)
        elif not token.startswith("-"):
            return token if token in {each.name for each in COMMANDS} else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(_command(argv)).parse_args(argv)
    try:
        code: int = args.handler(args)
    except CskgError as error:
        print(f"cskg: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("cskg: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code
