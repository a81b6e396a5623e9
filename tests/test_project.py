"""Where the project and the release are (`cskg.project`): the folder given, the environment, the
current folder, or the project shipped with the package and a release in the user's cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO

from cskg import __version__
from cskg.errors import CskgError
from cskg.project import (
    existing_release,
    is_project,
    project_root,
    release_folder,
    shipped_project,
    user_release,
)
from cskg.query.library import load_library


def _project(folder: Path) -> Path:
    for name in ("ontology", "data"):  # what a build reads; a query library is optional
        (folder / name).mkdir(parents=True)
    return folder


@pytest.fixture
def nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A current folder that is no project, no CSKG_ROOT or CSKG_DIST, a cache of the test's."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("CSKG_ROOT", raising=False)
    monkeypatch.delenv("CSKG_DIST", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return folder


def test_the_root_given_then_the_environment_then_the_current_folder(
    nowhere: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given, from_env, here = (_project(tmp_path / name) for name in ("given", "env", "here"))
    monkeypatch.setenv("CSKG_ROOT", str(from_env))
    monkeypatch.chdir(here)
    assert project_root(given) == given.resolve()
    assert project_root() == from_env.resolve()
    monkeypatch.delenv("CSKG_ROOT")
    assert project_root() == here.resolve()
    monkeypatch.chdir(nowhere)
    assert project_root() == shipped_project()


def test_the_shipped_project_holds_the_library(nowhere: Path) -> None:
    shipped = shipped_project()
    assert is_project(shipped) and not is_project(nowhere)
    (nowhere / "data").mkdir()
    assert not is_project(nowhere)  # data without an ontology is not a project
    names = {q.name for q in load_library(shipped / "queries")}
    assert names == {path.stem for path in (REPO / "queries").glob("*.rq")}


def test_the_release_given_then_the_environment_then_the_project_then_the_cache(
    nowhere: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = _project(tmp_path / "chosen")
    assert release_folder(tmp_path / "out") == tmp_path / "out"
    assert release_folder(root=chosen) == chosen.resolve() / "dist"
    cache = tmp_path / "cache" / "cskg" / __version__ / "dist"
    assert release_folder() == user_release() == cache  # the shipped project: never in the package
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert user_release() == tmp_path / "home" / ".cache" / "cskg" / __version__ / "dist"
    monkeypatch.setenv("CSKG_ROOT", str(chosen))
    assert release_folder() == chosen.resolve() / "dist"
    monkeypatch.setenv("CSKG_DIST", str(tmp_path / "env-dist"))
    assert release_folder() == tmp_path / "env-dist"
    assert release_folder(tmp_path / "out", root=chosen) == tmp_path / "out"
    monkeypatch.delenv("CSKG_ROOT")
    monkeypatch.delenv("CSKG_DIST")
    monkeypatch.chdir(chosen)
    assert release_folder() == chosen.resolve() / "dist"


def test_a_missing_release_says_how_to_make_one(nowhere: Path, release: Path) -> None:
    assert existing_release(release) == release
    with pytest.raises(CskgError, match=r"no release at .*: build the release first") as raised:
        existing_release(nowhere)
    assert "`cskg build`" in str(raised.value) and "CSKG_DIST" in str(raised.value)


def _cskg(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("CSKG_ROOT", "CSKG_DIST")}
    return subprocess.run(
        [sys.executable, "-m", "cskg.cli", *args],
        cwd=cwd,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_line_works_from_any_folder(nowhere: Path, release: Path) -> None:
    listed = _cskg(nowhere, "queries", XDG_CACHE_HOME=str(nowhere.parent / "cache"))
    assert listed.returncode == 0
    # each line: `name (scale class) — question`
    names = {line.split(" — ")[0].rsplit(" (", 1)[0] for line in listed.stdout.splitlines()}
    assert names == {q.name for q in load_library(shipped_project() / "queries")}
    unbuilt = _cskg(nowhere, "query", "services-gap", XDG_CACHE_HOME=str(nowhere.parent / "cache"))
    assert unbuilt.returncode == 2 and unbuilt.stderr.count("\n") == 1
    assert str(nowhere.parent / "cache" / "cskg") in unbuilt.stderr
    answered = _cskg(nowhere, "query", "services-gap", "--format", "csv", CSKG_DIST=str(release))
    assert answered.returncode == 0
    assert [line.split(",")[0] for line in answered.stdout.splitlines()] == [
        "year",
        *("2014", "2015", "2016", "2017"),
    ]


@pytest.mark.slow
def test_the_wheel_carries_the_project(tmp_path: Path) -> None:
    """`pip install .` is not editable: the wheel must hold the ontology, data and queries.
    Built from a copy of the sources, so that the build's own folders stay out of the
    repository."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, source / name)
    for name in ("src", "ontology", "data", "queries"):
        ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
        shutil.copytree(REPO / name, source / name, ignore=ignore)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("cskg-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("ontology", "data", "queries"):
        sources = {
            p.relative_to(REPO).as_posix() for p in (REPO / folder).rglob("*") if p.is_file()
        }
        shipped = {
            n.removeprefix("cskg/_project/") for n in names if n.startswith("cskg/_project/")
        }
        expected = {s for s in sources if "/expected/" not in s}
        assert expected and expected <= shipped, folder
    assert not any("/expected/" in n for n in names)
