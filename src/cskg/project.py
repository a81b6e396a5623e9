"""Where the project and its release are: the one rule for the command line and the Python API.

The project is the folder with `ontology/` and `data/` (what a build reads; `queries/` holds its
query library): the one given (`--root`, `root=`), else `$CSKG_ROOT`, else the current folder
when it is a project, else the project shipped with the installed package (its
`cskg/_project/`, which `setup.py` copies into the wheel; in an editable install, the
repository the package sits in). So `api.query("services-gap")` works from any folder.

The release is the folder given (`--dist`, `dist=`), else `$CSKG_DIST`, else `ROOT/dist` when the
project was chosen (given, `$CSKG_ROOT`, or the current folder), else a folder of the user's
(`$XDG_CACHE_HOME/cskg/VERSION/dist`, by default under `~/.cache`): a build of the shipped project
never writes into the installed package.
"""

from __future__ import annotations

import os
from pathlib import Path

from cskg import __version__
from cskg.errors import CskgError

#: the folders that make a folder a cskg project: the sources a build reads
PROJECT_FOLDERS = ("ontology", "data")
_PACKAGE = Path(__file__).resolve().parent
#: what to do where a release is looked for and none is found
BUILD_FIRST = "build the release first (`cskg build`) or set CSKG_DIST"


def is_project(folder: Path) -> bool:
    """Whether `folder` holds a project's sources (`PROJECT_FOLDERS`)."""
    return all((folder / name).is_dir() for name in PROJECT_FOLDERS)


def shipped_project() -> Path:
    """The project that came with the package: `cskg/_project` in an installed wheel, else the
    repository of an editable install; a `CskgError` when neither is there."""
    for folder in (_PACKAGE / "_project", _PACKAGE.parents[1]):
        if is_project(folder):
            return folder
    raise CskgError(
        "no cskg project here and none shipped with the package: "
        "give --root (root=) or set CSKG_ROOT to a folder with ontology/ and data/"
    )


def _chosen_root(explicit: str | Path | None) -> Path | None:
    """The project the user chose: `explicit`, `$CSKG_ROOT`, or the current folder when it is
    one; None when the shipped project is meant."""
    chosen = explicit or os.environ.get("CSKG_ROOT")
    if chosen:
        return Path(chosen).resolve()
    here = Path.cwd()
    return here.resolve() if is_project(here) else None


def project_root(explicit: str | Path | None = None) -> Path:
    """The project folder: `explicit`, else `$CSKG_ROOT`, else the current folder when it is a
    project, else the shipped one (`shipped_project`)."""
    return _chosen_root(explicit) or shipped_project()


def user_release() -> Path:
    """Where the release of the shipped project goes: `$XDG_CACHE_HOME/cskg/VERSION/dist`
    (`~/.cache` when the variable is not set), one per version of cskg."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "cskg" / __version__ / "dist"


def release_folder(explicit: str | Path | None = None, root: str | Path | None = None) -> Path:
    """The release folder: `explicit`, else `$CSKG_DIST`, else ROOT/dist when the project was
    chosen (`root`, `$CSKG_ROOT` or the current folder), else `user_release()`."""
    chosen = explicit or os.environ.get("CSKG_DIST")
    if chosen:
        return Path(chosen)
    project = _chosen_root(root)
    return project / "dist" if project is not None else user_release()


def existing_release(folder: Path) -> Path:
    """`folder` when it holds a built release (its store, or its `cskg.nq`); else a `CskgError`
    saying how to make one."""
    if (folder / "store" / "CURRENT").is_file() or (folder / "cskg.nq").is_file():
        return folder
    raise CskgError(f"no release at {folder}: {BUILD_FIRST}")
