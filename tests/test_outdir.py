"""The folders cskg writes (`cskg.outdir`): never over a folder cskg did not write, staged and
swapped in whole, leftovers of killed runs removed by the next run, releases pinned by readers;
and bad input files said in one line."""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from cskg import outdir
from cskg.cli import main
from cskg.errors import CskgError

BASE = "https://data.example.org/cskg"
LABEL = (
    "SELECT ?l WHERE { <https://w3id.org/cskg/id/agency/miit> "
    '<http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(LANG(?l) = "en") }'
)


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every path under `folder` with its bytes (None for a folder)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
    }


def one_line(capsys: pytest.CaptureFixture[str], *names: object) -> str:
    """The error printed: one line, no traceback, naming each of `names`."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    for name in names:
        assert str(name) in err, err
    return err


def leftovers(parent: Path) -> list[str]:
    """The hidden folders beside the targets: staging and set-aside folders, of any version."""
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def relabel(root: Path, label: str) -> None:
    """Change the English label of agency:miit in the project's data."""
    facts = root / "data" / "facts.trig"
    text = facts.read_text(encoding="utf-8")
    facts.write_text(
        re.sub(r'(agency:miit a cskg:Agency ; rdfs:label )"[^"]*"', rf'\1"{label}"', text)
    )


def label_of(dist: Path) -> str:
    """The English label of agency:miit in the release's store."""
    store = ox.Store.read_only(str(dist / "store"))
    return next(iter(store.query(LABEL)))["l"].value


@pytest.fixture
def user_folder(tmp_path: Path) -> Path:
    """A folder of the user's: their own site, with a page, notes and a subfolder."""
    folder = tmp_path / "mine"
    (folder / "images").mkdir(parents=True)
    (folder / "index.html").write_text("<h1>my own site</h1>\n")
    (folder / "notes.txt").write_text("do not lose me\n")
    (folder / "images" / "logo.svg").write_text("<svg/>\n")
    return folder


@pytest.fixture
def dist(mini_root: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The fixture project's release, built by `cskg build` into ROOT/dist."""
    assert main(["--root", str(mini_root), "build", "-q"]) == 0
    capsys.readouterr()
    return mini_root / "dist"


def publish(dist: Path, out: Path | str, root: Path) -> int:
    return main(
        ["--root", str(root), "--dist", str(dist), "publish", "--out", str(out), "--base", BASE]
    )


# -- what is refused -----------------------------------------------------------------------------


def test_build_out_refuses_a_users_folder(mini_root, user_folder, capsys):
    before = tree(user_folder)
    assert main(["--root", str(mini_root), "build", "-q", "--out", str(user_folder)]) == 2
    one_line(capsys, user_folder, "did not write", "notes.txt")
    assert tree(user_folder) == before
    assert leftovers(user_folder.parent) == []


def test_build_dist_refuses_a_users_folder(mini_root, user_folder, capsys):
    before = tree(user_folder)
    assert main(["--root", str(mini_root), "--dist", str(user_folder), "build", "-q"]) == 2
    one_line(capsys, user_folder, "did not write")
    assert tree(user_folder) == before


def test_publish_out_refuses_a_users_site(dist, mini_root, user_folder, capsys):
    """An index.html does not make a folder cskg's site: its marker does, or its names alone."""
    before = tree(user_folder)
    assert publish(dist, user_folder, mini_root) == 2
    one_line(capsys, user_folder, "did not write", "images")
    assert tree(user_folder) == before
    assert leftovers(user_folder.parent) == []


def test_publish_out_refuses_a_file(dist, mini_root, tmp_path, capsys):
    file = tmp_path / "site"
    file.write_bytes(b"a file of mine\n")
    assert publish(dist, file, mini_root) == 2
    one_line(capsys, file, "is a file")
    assert file.read_bytes() == b"a file of mine\n"


def test_publish_out_dot_from_a_users_folder(dist, mini_root, user_folder, capsys, monkeypatch):
    monkeypatch.chdir(user_folder)
    before = tree(user_folder)
    assert publish(dist, ".", mini_root) == 2
    one_line(capsys, user_folder, "(the current folder)", "did not write")
    assert tree(user_folder) == before
    assert leftovers(user_folder.parent) == []


@pytest.mark.parametrize("where", [".", "..", "project"])
def test_build_out_refuses_the_current_folder_its_parent_and_the_project(
    mini_root, user_folder, capsys, monkeypatch, where
):
    """One rule refuses them all: each holds something cskg did not write."""
    monkeypatch.chdir(user_folder)
    target = {".": user_folder, "..": user_folder.parent, "project": mini_root}[where]
    before = tree(user_folder.parent)
    out = str(mini_root) if where == "project" else where
    assert main(["--root", str(mini_root), "build", "-q", "--out", out]) == 2
    one_line(capsys, f"{target} ", "did not write")
    assert tree(user_folder.parent) == before


def test_a_release_and_a_site_never_replace_each_other(dist, mini_root, tmp_path, capsys):
    site = tmp_path / "site"
    assert publish(dist, site, mini_root) == 0
    capsys.readouterr()
    release, pages = tree(dist), tree(site)
    assert publish(dist, dist, mini_root) == 2
    one_line(capsys, dist, "holds a cskg release, not a site")
    assert main(["--root", str(mini_root), "build", "-q", "--out", str(site)]) == 2
    one_line(capsys, site, "holds a cskg site, not a release")
    assert (tree(dist), tree(site)) == (release, pages)


def test_what_may_be_replaced(dist, mini_root, tmp_path, capsys):
    """A new path, an empty folder, cskg's own folder of the same kind; each gets the marker."""
    empty = tmp_path / "empty"
    empty.mkdir()
    for out in (tmp_path / "new" / "dist", empty, dist):
        assert main(["--root", str(mini_root), "build", "-q", "--out", str(out)]) == 0
        assert (out / ".cskg-output").read_text().startswith("written by cskg: release\n")
    assert publish(dist, empty, mini_root) == 2  # a release now
    capsys.readouterr()
    assert publish(dist, tmp_path / "site", mini_root) == 0
    assert (tmp_path / "site" / ".cskg-output").read_text().startswith("written by cskg: site\n")
    assert leftovers(tmp_path) == [] and leftovers(mini_root) == []


def as_old_site(site: Path) -> None:
    """An old site holds only what that version wrote: the names this one adds are taken away."""
    for extra in {p.name for p in site.iterdir()} - outdir.LEGACY["site"][1]:
        if (site / extra).is_dir():
            shutil.rmtree(site / extra)
        else:
            (site / extra).unlink()


def test_folders_written_before_markers(dist, mini_root, tmp_path, capsys):
    """A release or site without the marker is recognised by its names only."""
    site = tmp_path / "site"
    assert publish(dist, site, mini_root) == 0
    for folder in (dist, site):
        (folder / ".cskg-output").unlink()
    as_old_site(site)
    relabel(mini_root, "Ministry")
    assert main(["--root", str(mini_root), "build", "-q"]) == 0
    assert label_of(dist) == "Ministry" and (dist / ".cskg-output").is_file()
    assert publish(dist, site, mini_root) == 0
    assert (site / ".cskg-output").is_file()

    (site / ".cskg-output").unlink()
    as_old_site(site)
    (site / "CNAME").write_text("data.example.org\n")  # a file of the user's in an old site
    before = tree(site)
    capsys.readouterr()
    assert publish(dist, site, mini_root) == 2
    one_line(capsys, site, "(CNAME)")
    assert tree(site) == before


# -- leftovers of killed runs ----------------------------------------------------------------------

#: runs `cskg` with one function held after it returns, writing a file when it gets there, so
#: that a test can kill the run at that point: `python -c HOLD READY MODULE FUNCTION ARGS...`
HOLD = """
import importlib, pathlib, sys, time
ready, module, name = sys.argv[1:4]
target = importlib.import_module(module)
original = getattr(target, name)
def held(*args, **kwargs):
    result = original(*args, **kwargs)
    pathlib.Path(ready).write_text("ready")
    time.sleep(3600)
    return result
setattr(target, name, held)
from cskg.cli import main
sys.exit(main(sys.argv[4:]))
"""
#: where each command is held: its staging folder written, the swap not yet done
HELD_AT = {
    "build": ("cskg.build.pipeline", "load_store"),
    "publish": ("cskg.web.static_site", "_write_site"),
}


def start_held(command: str, argv: list[str], ready: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(ready), *HELD_AT[command], *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    wait_for(ready, process)
    return process


def wait_for(ready: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"never got ready: {process.communicate()[1]!r}")
        time.sleep(0.05)


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(30)


def argv_of(command: str, root: Path, dist: Path, site: Path) -> list[str]:
    if command == "build":
        return ["--root", str(root), "build", "-q", "--out", str(dist)]
    return ["--root", str(root), "--dist", str(dist), "publish", "--out", str(site), "--base", BASE]


@pytest.mark.parametrize(
    ("killed", "next_run"), [("build", "build"), ("publish", "publish"), ("publish", "build")]
)
def test_the_next_run_removes_what_a_killed_run_left(
    dist, mini_root, tmp_path, capsys, killed, next_run
):
    site = mini_root / "site"  # the release and the site side by side: one parent
    assert publish(dist, site, mini_root) == 0
    release, pages = tree(dist), tree(site)
    process = start_held(killed, argv_of(killed, mini_root, dist, site), tmp_path / "ready")
    kill(process)
    left = leftovers(mini_root)
    assert len(left) == 1 and left[0].startswith(f".{'dist' if killed == 'build' else 'site'}.")
    assert (tree(dist), tree(site)) == (release, pages)  # the kill lost nothing

    assert main(argv_of(next_run, mini_root, dist, site)) == 0
    assert leftovers(mini_root) == []


def test_a_running_build_keeps_its_folder_while_another_runs(dist, mini_root, tmp_path):
    """A staging folder is recognised as a leftover by its free lock, not by a process id."""
    process = start_held("build", argv_of("build", mini_root, dist, dist), tmp_path / "ready")
    try:
        running = leftovers(mini_root)
        assert len(running) == 1
        relabel(mini_root, "Ministry")
        assert main(["--root", str(mini_root), "build", "-q"]) == 0
        assert label_of(dist) == "Ministry"
        assert leftovers(mini_root) == running  # still there: its run holds the lock
    finally:
        kill(process)
    assert main(["--root", str(mini_root), "build", "-q"]) == 0
    assert leftovers(mini_root) == []


# -- a full or read-only disk --------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs of its own (mounting needs root, as in CI)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def break_disk(disk: Path, problem: str) -> None:
    """Make the disk read-only, or full: its free space taken but 128 KB, enough to start
    writing a release or a site, not to finish."""
    if problem == "read-only":
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        return
    with open(disk / "filler", "wb") as file:
        while (stat := os.statvfs(disk)).f_bavail * stat.f_frsize > 192 * 1024:
            file.write(bytes(65536))
            file.flush()


@pytest.mark.parametrize("problem", ["full", "read-only"])
def test_build_on_a_full_or_read_only_disk(mini_root, small_disk, capsys, problem):
    out = small_disk / "dist"
    assert main(["--root", str(mini_root), "build", "-q", "--out", str(out)]) == 0
    release = tree(out)
    break_disk(small_disk, problem)
    capsys.readouterr()
    relabel(mini_root, "Ministry")
    assert main(["--root", str(mini_root), "build", "-q", "--out", str(out)]) == 2
    reason = "No space left on device" if problem == "full" else "Read-only file system"
    one_line(capsys, f"cannot write the release to {out}: {reason}")
    assert tree(out) == release
    assert label_of(out) == "MIIT"
    assert leftovers(small_disk) == []


@pytest.mark.parametrize("problem", ["full", "read-only"])
def test_publish_on_a_full_or_read_only_disk(dist, mini_root, small_disk, capsys, problem):
    site = small_disk / "site"
    assert publish(dist, site, mini_root) == 0
    pages = tree(site)
    break_disk(small_disk, problem)
    capsys.readouterr()
    assert publish(dist, site, mini_root) == 2
    reason = "No space left on device" if problem == "full" else "Read-only file system"
    one_line(capsys, f"cannot write the site at {site}: {reason}")
    assert tree(site) == pages
    assert leftovers(small_disk) == []


# -- pinned releases ---------------------------------------------------------------------------


@pytest.mark.parametrize("exchange", ["renameat2", "rename aside"])
def test_a_pinned_release_outlives_the_rebuild(dist, mini_root, monkeypatch, exchange):
    if exchange == "rename aside":
        unsupported = OSError(errno.ENOSYS, "not supported")
        monkeypatch.setattr(outdir, "_exchange", lambda a, b: (_ for _ in ()).throw(unsupported))
    pin = outdir.pin_release(dist)
    assert pin.path() == Path(f"/proc/self/fd/{pin.fd}")
    relabel(mini_root, "Ministry")
    assert main(["--root", str(mini_root), "build", "-q"]) == 0

    assert label_of(dist) == "Ministry"
    assert label_of(pin.path()) == "MIIT"  # the old release, whole, store and files
    assert '"MIIT"@en' in (pin.path() / "cskg.nq").read_text()
    assert '"Ministry"@en' in (dist / "cskg.nq").read_text()
    # a child process given the descriptor reads the same old release
    child = subprocess.run(
        [sys.executable, "-c", f"print(open('/proc/self/fd/{pin.fd}/cskg.nq').read())"],
        pass_fds=[pin.fd],
        capture_output=True,
        text=True,
        check=True,
    )
    assert '"MIIT"@en' in child.stdout and "Ministry" not in child.stdout
    assert [name.split("-")[-2] for name in leftovers(mini_root)] == ["old"]  # set aside

    pin.close()
    assert leftovers(mini_root) == []  # the last pin deleted it
    assert label_of(dist) == "Ministry"


def test_the_last_of_several_pins_deletes_the_old_release(dist, mini_root):
    first, second = outdir.pin_release(dist), outdir.pin_release(dist)
    relabel(mini_root, "Ministry")
    assert main(["--root", str(mini_root), "build", "-q"]) == 0
    first.close()
    assert len(leftovers(mini_root)) == 1
    assert label_of(second.path()) == "MIIT"
    second.close()
    assert leftovers(mini_root) == []


def test_a_pin_released_by_sigkill_is_cleaned_by_the_next_build(dist, mini_root, tmp_path):
    ready = tmp_path / "ready"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, pathlib; from cskg.outdir import pin_release; "
            "pin = pin_release(pathlib.Path(sys.argv[2])); "
            "pathlib.Path(sys.argv[1]).write_text(str(pin.path())); time.sleep(3600)",
            str(ready),
            str(dist),
        ],
        stderr=subprocess.PIPE,
    )
    wait_for(ready, holder)
    relabel(mini_root, "Ministry")
    assert main(["--root", str(mini_root), "build", "-q"]) == 0
    assert len(leftovers(mini_root)) == 1  # pinned by the other process: kept
    kill(holder)
    relabel(mini_root, "MIIT again")
    assert main(["--root", str(mini_root), "build", "-q"]) == 0
    assert leftovers(mini_root) == []
    assert label_of(dist) == "MIIT again"


def test_pinning_needs_a_release(dist, mini_root, tmp_path, user_folder):
    site = tmp_path / "site"
    assert publish(dist, site, mini_root) == 0
    for folder in (tmp_path / "missing", site, user_folder):
        with pytest.raises(CskgError, match=f"no release at {folder}"):
            outdir.pin_release(folder)
    (dist / ".cskg-output").unlink()  # as written before markers: pinned by its build.json
    with outdir.pin_release(dist) as pin:
        assert (pin.path() / "build.json").is_file()


# -- input files ---------------------------------------------------------------------------------

TURTLE = (
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
    '<https://w3id.org/cskg/id/agency/miit> rdfs:comment "{text}"@en .\n'
)


def test_a_data_file_name_with_a_space(mini_root, capsys):
    (mini_root / "data" / "my notes.ttl").write_text(TURTLE.format(text="spaced"))
    assert main(["--root", str(mini_root), "build", "-q"]) == 0
    store = ox.Store.read_only(str(mini_root / "dist" / "store"))
    graph = ox.NamedNode("https://w3id.org/cskg/graph/data/my%20notes")
    assert [q.object.value for q in store.quads_for_pattern(None, None, None, graph)] == ["spaced"]


def test_a_byte_order_mark_is_accepted(mini_root, tmp_path, capsys):
    facts = mini_root / "data" / "facts.trig"
    facts.write_bytes(b"\xef\xbb\xbf" + facts.read_bytes())
    assert main(["--root", str(mini_root), "build", "-q"]) == 0
    assert label_of(mini_root / "dist") == "MIIT"
    extra = tmp_path / "extra.ttl"
    extra.write_bytes(b"\xef\xbb\xbf" + TURTLE.format(text="with a BOM").encode())
    assert main(["--root", str(mini_root), "validate", str(extra)]) == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, ": is a folder, not a file"),
        (bytes(range(256)), ":1:1: binary data, not text (a NUL byte)"),
        (TURTLE.format(text="café").encode("latin-1"), ":2:57: not UTF-8 text (byte 0xE9)"),
    ],
    ids=["folder", "binary", "latin-1"],
)
def test_a_file_that_is_not_utf8_text(dist, mini_root, tmp_path, capsys, content, expected):
    bad = tmp_path / "extra.ttl"
    bad.mkdir() if content is None else bad.write_bytes(content)
    assert main(["--root", str(mini_root), "validate", str(bad)]) == 2
    one_line(capsys, f"{bad}{expected}")
    if content is not None:  # the same file among the project's data
        (mini_root / "data" / "extra.ttl").write_bytes(content)
        assert main(["--root", str(mini_root), "build", "-q"]) == 2
        one_line(capsys, f"extra.ttl{expected}")


def test_a_query_file_that_is_not_utf8(dist, mini_root, tmp_path, capsys):
    query = tmp_path / "q.rq"
    query.write_bytes('SELECT * { ?s ?p "café" }'.encode("latin-1"))
    assert main(["--root", str(mini_root), "query", str(query)]) == 2
    one_line(capsys, f"{query}:1:22: not UTF-8 text (byte 0xE9)")
