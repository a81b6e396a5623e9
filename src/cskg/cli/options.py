"""What every command module shares: the `Command` it declares, the folders, common options.

A command module declares one or more `Command`s: its name and help, a function adding its
arguments to its subparser, and `run(args)` returning the exit code. `cskg.cli` assembles the
parser from them. Nothing here imports more than the standard library (and `cskg.project`,
which finds the folders).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

#: the graph views of `cskg export`, `analyze` and `plot interactive`
VIEWS = ("all", "policy-impact", "organisations", "technology")


@dataclass(frozen=True)
class Command:
    """One `cskg` subcommand: its arguments are declared next to the `run` they feed."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def root(args: argparse.Namespace) -> Path:
    """The project folder: `--root`, else as `cskg.project.project_root` finds it."""
    from cskg.project import project_root

    return project_root(args.root)


def dist(args: argparse.Namespace) -> Path:
    """The release folder: `--dist`, else as `cskg.project.release_folder` finds it."""
    from cskg.project import release_folder

    return release_folder(args.dist, args.root)


def add_lang(parser: argparse.ArgumentParser, text: str = "language of the labels") -> None:
    parser.add_argument("--lang", choices=["en", "zh"], default="en", help=text)


def add_quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")


def add_view(parser: argparse.ArgumentParser, text: str = "one of {views}") -> None:
    parser.add_argument("--view", default="all", help=text.format(views=", ".join(VIEWS)))


class HasExtension(Protocol):
    @property
    def extension(self) -> str: ...


def format_of(
    chosen: str | None, out: str | None, formats: Mapping[str, HasExtension]
) -> str | None:
    """The format `--format` names, else the one whose extension ends `--out`'s file name, else
    None (the command's default)."""
    if chosen or not out:
        return chosen
    suffix = Path(out).suffix.lower()
    return next((name for name, fmt in formats.items() if fmt.extension == suffix), None)
