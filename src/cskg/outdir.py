"""The folders cskg writes, a release (`cskg build`), a site (`cskg publish`) and a synthetic
corpus (`cskg synth`): staged beside their target, swapped in atomically, and never put in
place of a folder cskg did not write.

**Marker.** Every such folder holds `.cskg-output`, whose first line says that cskg wrote it and
what it is: `written by cskg: release` or `written by cskg: site`.

**What may be replaced.** A target is replaced only when it does not exist, is an empty folder,
or is cskg's folder of the same kind: it holds the marker of that kind or, written by a cskg from
before markers, the key file of its kind and nothing but names that version wrote (`LEGACY`).
Anything else (a file, the current folder or a parent of it, the project) holds something cskg
did not write and is refused by that one rule, before anything is written.

**Staging.** The new folder is written as `.{name}.cskg-new-{token}` beside the target (same file
system, so renames are atomic); its marker is created first and locked (`flock`, exclusive) for
the run's whole life. When complete it takes the target's place in one step, Linux
`renameat2(RENAME_EXCHANGE)`: a reader sees the whole old folder or the whole new one, never a
mix and never none. Where the exchange is not supported the target is renamed aside and the new
folder renamed in (for that instant there is no target; if the second rename fails the first is
undone). A failure before that step deletes the staging folder and leaves the target as it was.

**Single files.** A command that writes one file where the user points (`cskg diff -o`,
`cskg patch -o`) follows the same rule (`write_file`): the file is new, empty, or begins with the
mark of something that command writes (its first line says so: `H generator "cskg …"` in an RDF
Patch, `# written by cskg` in N-Quads); anything else, a folder or a device included, is refused
before anything is written. A new file is created exclusively (never over one made meanwhile);
a file cskg wrote is replaced by a complete new one renamed over it in one step.

**Pins and leftovers.** A reader pins a release (`pin_release`): a shared lock on its marker. The
folder a swap replaced is deleted at once unless pinned; a pinned one stays aside as
`.{name}.cskg-old-{token}` until its last pin's `close()`. Any `.*.cskg-new-*` or `.*.cskg-old-*`
folder that holds cskg's marker and whose lock can be taken is a leftover (of a killed run, or of
a pin since dropped), which the next build or publish into the same parent deletes. The lock, not
a process id, says whether its owner lives: the kernel drops it when the process ends, however it
ends, and a reused pid cannot hold it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import re
import secrets
import shutil
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from cskg.errors import CskgError

MARKER = ".cskg-output"
#: the kinds of folder, and the command that writes each
KINDS = {"release": "cskg build", "site": "cskg publish", "corpus": "cskg synth"}

#: Accepted without a marker, as written by cskg before markers: a folder holding the key file of
#: its kind (build.json, index.html) and nothing at its top level but these names. Frozen: they
#: are what that version wrote, whatever later versions write.
LEGACY: dict[str, tuple[str, frozenset[str]]] = {
    "release": (
        "build.json",
        frozenset(
            {
                "build.json",
                "cskg.nq",
                "cskg.trig",
                "ontology.ttl",
                "ontology.jsonld",
                "shapes.ttl",
                "validation.ttl",
                "validation.txt",
                "void.ttl",
                "store",
            }
        ),
    ),
    "site": (
        "index.html",
        frozenset(
            {
                "index.html",
                ".htaccess",
                ".well-known",
                "README.txt",
                "void.ttl",
                "dumps",
                "id",
                "graph",
                "instances",
                "ontology.html",
                "ontology.ttl",
                "ontology.jsonld",
                "ontology.nt",
                "ontology.rdf",
                "ontology.trig",
                "ontology.nq",
            }
        ),
    ),
}

_LEFTOVER = re.compile(r"\..*\.cskg-(?:new|old)-[0-9a-f]{16}")
#: renameat2 errors that mean "no exchange here" (old kernel, file system, libc): rename aside
_NO_EXCHANGE = (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EPERM)


# -- what a folder is ----------------------------------------------------------------------------


def marker_text(kind: str) -> bytes:
    """The marker of a `kind` folder: its first line is what says cskg wrote it."""
    return (
        f"written by cskg: {kind}\n"
        f"`{KINDS[kind]}` replaces this folder whole: keep nothing else in it.\n"
    ).encode()


def _marker_kind(folder: Path) -> str | None:
    try:
        with open(folder / MARKER, "rb") as file:
            first = file.read(64).split(b"\n", 1)[0].decode("utf-8", "replace")
    except OSError:
        return None
    kind = first.removeprefix("written by cskg: ")
    return kind if kind != first and kind in KINDS else None


def identify(folder: Path) -> tuple[str, str] | None:
    """(kind, name of the file its pins lock) of a folder cskg wrote; None for any other."""
    kind = _marker_kind(folder)
    if kind:
        return kind, MARKER
    try:
        names = set(os.listdir(folder))
    except OSError:
        return None
    for kind, (key, allowed) in LEGACY.items():
        if key in names and names <= allowed:
            return kind, key
    return None


def check_target(target: Path, kind: str) -> None:
    """Raise CskgError, one line naming `target`, unless a new `kind` may take its place."""
    target = _resolved(target)
    try:
        names = sorted(os.listdir(target))
    except FileNotFoundError:
        return
    except NotADirectoryError:
        if not os.path.lexists(target):
            return  # a file on the way to it: said when its folder cannot be made
        raise CskgError(f"{target} is a file, not a folder cskg wrote: not replacing it") from None
    except OSError as error:
        raise CskgError(f"cannot read {target}: {error.strerror}") from None
    if not names:
        return
    found = identify(target)
    if found and found[0] == kind:
        return
    if found:
        raise CskgError(f"{target} holds a cskg {found[0]}, not a {kind}: not replacing it")
    legacy_names = LEGACY[kind][1] if kind in LEGACY else frozenset()
    foreign = [name for name in names if name not in legacy_names] or names
    shown = ", ".join(foreign[:3]) + (", …" if len(foreign) > 3 else "")
    raise CskgError(
        f"{target}{_relation_to_cwd(target)} holds files cskg did not write ({shown}): "
        f"not replacing it; give a new or empty folder, or one `{KINDS[kind]}` wrote"
    )


def _relation_to_cwd(target: Path) -> str:
    try:
        cwd = Path.cwd().resolve()
    except OSError:
        return ""
    if target == cwd:
        return " (the current folder)"
    return " (it holds the current folder)" if target in cwd.parents else ""


def _resolved(target: Path) -> Path:
    """The target with symbolic links followed: a link to a release is replaced at its end."""
    try:
        return Path(target).resolve()
    except (OSError, RuntimeError) as error:  # RuntimeError: a loop of links
        raise CskgError(f"{target}: {error}") from None


# -- writing a folder ----------------------------------------------------------------------------


@contextlib.contextmanager
def writing(target: Path, kind: str) -> Iterator[Path]:
    """A new, empty folder to write a `kind` into; on a clean exit it takes `target`'s place.

    Raises CskgError, one line naming `target`, when the target may not be replaced or the folder
    cannot be written (disk full, read-only file system, no permission); the target is then as
    it was, and the staging folder is gone."""
    target = _resolved(target)
    check_target(target, kind)
    try:
        new, lock = _stage(target, kind)
    except OSError as error:
        raise _cannot_write(target, kind, error) from error
    try:
        try:
            yield new
            check_target(target, kind)  # the target may have changed while `new` was written
            previous = _swap(new, target)
        except BaseException as error:
            _delete(new)
            if isinstance(error, OSError):
                raise _cannot_write(target, kind, error) from error
            raise
    finally:
        os.close(lock)  # the new folder is in place, or gone: nothing left to guard
    if previous:
        _retire(*previous, target)


def _cannot_write(target: Path, kind: str, error: OSError) -> CskgError:
    where = "to" if kind == "release" else "at"
    return CskgError(f"cannot write the {kind} {where} {target}: {_reason(error)}")


def _reason(error: OSError) -> str:
    """The cause in a few words. The store's errors (RocksDB's) have no errno: their cause is
    found in a long message that names files of the staging folder."""
    if error.strerror:
        return error.strerror
    text = " ".join(str(error).split())
    causes = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO)
    return next((os.strerror(c) for c in causes if os.strerror(c) in text), text)


def _stage(target: Path, kind: str) -> tuple[Path, int]:
    """A new folder of `kind` beside `target`, and the exclusive lock on its marker; the
    leftovers there are removed first."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        why = f"a file is in the way of its folder {target.parent}"
        raise OSError(errno.ENOTDIR, why) from None
    remove_leftovers(target.parent)
    new = _aside(target, "new")
    new.mkdir()
    lock = -1
    try:
        lock = os.open(new / MARKER, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        fcntl.flock(lock, fcntl.LOCK_EX)  # before the marker says what it is: never a leftover
        os.write(lock, marker_text(kind))
    except BaseException:
        if lock >= 0:
            os.close(lock)
        _delete(new)
        raise
    return new, lock


def _aside(target: Path, state: str) -> Path:
    return target.parent / f".{target.name}.cskg-{state}-{secrets.token_hex(8)}"


def _delete(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def _swap(new: Path, target: Path) -> tuple[Path, int | None] | None:
    """Put `new` in `target`'s place; return where the previous folder is now and the lock taken
    on it when no pin held it (None when there was no previous folder)."""
    if not os.path.lexists(target):
        os.rename(new, target)  # over an empty folder made meanwhile too; never a full one
        return None
    held = _try_lock(target)  # taken first: no one deletes it while it is aside
    try:
        try:
            _exchange(new, target)
            return new, held
        except OSError as error:
            if error.errno not in _NO_EXCHANGE:
                raise
        aside = _aside(target, "old")
        os.rename(target, aside)
        try:
            os.rename(new, target)
        except OSError:
            os.rename(aside, target)  # the previous folder back in its place
            raise
        return aside, held
    except BaseException:
        if held is not None:
            os.close(held)
        raise


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> None:
    """Swap two paths in one atomic step (Linux renameat2 with RENAME_EXCHANGE)."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(b))


def _retire(previous: Path, held: int | None, target: Path) -> None:
    """Delete the folder a swap replaced unless a pin holds it; then it stays aside, `-old-`.

    The new folder is in place whatever happens here: failures are left to the next run."""
    if held is not None and not _holds(held, previous):
        os.close(held)  # another run swapped it away meanwhile: `previous` is another folder
        held = None
    if held is None:
        held = _try_lock(previous)
    try:
        if held is not None:
            shutil.rmtree(previous)
        else:
            previous.rmdir()  # a replaced empty folder; fails for a pinned one
    except OSError:
        if "-new-" in previous.name:
            with contextlib.suppress(OSError):
                previous.rename(_aside(target, "old"))
    finally:
        if held is not None:
            os.close(held)


# -- single files --------------------------------------------------------------------------------


def check_file(target: Path, marks: tuple[bytes, ...], writer: str) -> bool:
    """Whether `target` is a file to replace (True: empty, or its first bytes are one of `marks`)
    or no file yet (False); CskgError, one line naming it, for anything else ("Single files")."""
    target = _resolved(target)
    try:
        status = os.stat(target)
    except FileNotFoundError:
        return False
    except OSError as error:
        raise CskgError(f"cannot read {target}: {error.strerror}") from None
    if not stat.S_ISREG(status.st_mode):
        kind = "a folder" if stat.S_ISDIR(status.st_mode) else "not a regular file"
        raise CskgError(f"{target} is {kind}: not writing there")
    try:
        with open(target, "rb") as file:
            head = file.read(max(map(len, marks)))
    except OSError as error:
        raise CskgError(f"cannot read {target}: {error.strerror}") from None
    if not head or head.startswith(marks):
        return True
    raise CskgError(
        f"{target} holds something cskg did not write: not replacing it; give a new file, or "
        f"one `{writer}` wrote"
    )


def write_file(target: Path, data: bytes, marks: tuple[bytes, ...], writer: str) -> None:
    """Write `data`, which begins with one of `marks` (what `writer` writes begins with) or is
    empty, to the file `target` by the rule of "Single files"; CskgError, one line naming it,
    when it may not or cannot be written (nothing of it is left then)."""
    if data and not data.startswith(marks):
        raise ValueError("the data must begin with its mark")
    write_file_with(target, lambda file: file.write(data), marks, writer)


def write_file_with(
    target: Path, write: Callable[[BinaryIO], object], marks: tuple[bytes, ...], writer: str
) -> None:
    """`write_file` for what is written piece by piece: `write` is given the open file and
    writes to it what begins with one of `marks`."""
    target = _resolved(target)
    try:
        if check_file(target, marks, writer):
            _replace_file(target, write, marks, writer)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            _create_file(target, write)
    except OSError as error:
        raise CskgError(f"cannot write {target}: {_reason(error)}") from None


def _create_file(target: Path, write: Callable[[BinaryIO], object]) -> None:
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    except FileExistsError:
        raise CskgError(f"{target} appeared meanwhile: not replacing it") from None
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(target)
        raise


def _replace_file(
    target: Path, write: Callable[[BinaryIO], object], marks: tuple[bytes, ...], writer: str
) -> None:
    new = _aside(target, "new")
    try:
        with open(new, "xb") as file:
            write(file)
        check_file(target, marks, writer)  # still cskg's file, or gone
        os.replace(new, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(new)


# -- locks and leftovers -------------------------------------------------------------------------


def _try_lock(folder: Path) -> int | None:
    """An exclusive lock on the marker of cskg's `folder`, or None: pinned, running, not cskg's."""
    found = identify(folder)
    if found is None:
        return None
    try:
        fd = os.open(folder / found[1], os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    if not _holds(fd, folder):  # renamed or deleted between the look and the lock
        os.close(fd)
        return None
    return fd


def _holds(fd: int, folder: Path) -> bool:
    """Whether the open lock file `fd` is the one `folder` holds now."""
    found = identify(folder)
    try:
        return found is not None and os.path.samestat(os.fstat(fd), os.stat(folder / found[1]))
    except OSError:
        return False


def remove_leftovers(parent: Path) -> None:
    """Delete the staging and set-aside folders in `parent` that no run or pin holds."""
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        if not (_LEFTOVER.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False)):
            continue
        held = _try_lock(Path(entry.path))
        if held is not None:
            with contextlib.suppress(OSError):
                shutil.rmtree(entry.path)
            os.close(held)


# -- pins ----------------------------------------------------------------------------------------


@dataclass
class PinnedRelease:
    """A release held for reading: a rebuild puts the new one in place but keeps this one."""

    folder: Path  # the release folder as named when pinned
    fd: int  # an open O_RDONLY | O_DIRECTORY descriptor of it; a child process given it with
    # pass_fds reads the same release at /proc/self/fd/N even after a rebuild
    _lock: int = field(default=-1, repr=False)  # the lock file, locked shared

    def path(self) -> Path:
        """A path naming the pinned folder even after a rebuild renamed it (on Linux; elsewhere
        `folder`, which names the newest release)."""
        proc = Path(f"/proc/self/fd/{self.fd}")
        return proc if proc.is_dir() else self.folder

    def close(self) -> None:
        """Drop the pin; if a build replaced the folder and nothing else pins it, delete it."""
        if self.fd < 0:
            return
        try:
            if not _names(self.folder, self.fd):
                self._delete_if_last()
        finally:
            if self._lock >= 0:
                os.close(self._lock)
            os.close(self.fd)
            self.fd = self._lock = -1

    def _delete_if_last(self) -> None:
        try:  # where the rebuild put it (Linux); elsewhere the next build's cleaning deletes it
            now = Path(os.readlink(f"/proc/self/fd/{self.fd}"))
        except OSError:
            return
        if not _LEFTOVER.fullmatch(now.name):  # deleted, or not set aside by cskg
            return
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # another pin holds it
        if _names(now, self.fd):
            shutil.rmtree(now, ignore_errors=True)

    def __enter__(self) -> PinnedRelease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _names(path: Path, fd: int) -> bool:
    """Whether `path` names the folder open as `fd`."""
    try:
        return os.path.samestat(os.stat(path), os.fstat(fd))
    except OSError:
        return False


def pin_release(dist: Path) -> PinnedRelease:
    """Pin the release in `dist`; CskgError if there is none."""
    folder = Path(dist)
    for _ in range(20):  # again only when a build swapped the folder during the few calls below
        pin = _try_pin(folder)
        if pin is not None:
            return pin
    raise CskgError(f"{folder}: the release is being replaced again and again; try later")


def _try_pin(folder: Path) -> PinnedRelease | None:
    missing = CskgError(f"no release at {folder}: build it first (cskg build)")
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        raise missing from None
    found = identify(folder)
    if found is None or found[0] != "release":
        os.close(fd)
        raise missing
    try:
        lock = os.open(found[1], os.O_RDONLY | os.O_CLOEXEC, dir_fd=fd)
    except OSError:  # the folder was swapped since `fd` was opened
        os.close(fd)
        return None
    try:
        fcntl.flock(lock, fcntl.LOCK_SH)  # waits while a build deletes this release, if it does
    except OSError as error:
        os.close(lock)
        os.close(fd)
        raise CskgError(f"cannot pin the release in {folder}: {error.strerror}") from None
    if _names(folder, fd):  # still the release in place: any later build sees the pin
        return PinnedRelease(folder, fd, lock)
    os.close(lock)
    os.close(fd)
    return None
