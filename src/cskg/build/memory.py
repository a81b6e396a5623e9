"""The peak resident memory of this process and its child processes, step by step.

`PeakMemory` samples, on a daemon thread every `INTERVAL` seconds, the resident memory of this
process plus that of every process descended from it (the build's worker processes), and keeps
the largest sum seen in the current window; `reset` returns it and opens the next window. It
reads `/proc` only: each process's `statm` (resident pages), and the process tree from
`/proc/PID/task/TID/children` where the kernel has it, else from every process's `stat` (its
parent). A process that exits between being listed and being read is left out of that sample.

A sum of resident sizes counts a page shared by two processes (a library both mapped) twice: it
is the memory the build holds at most, not less. Between two samples a peak shorter than the
interval can be missed. Workers on other machines (`cskg build --cluster`) are not seen.

Where there is no `/proc` (macOS, Windows) the figures fall back to `resource.getrusage`: the
largest resident size this process, or one of its finished children, has had so far. A window
then reports the peak of the whole run up to its end, not of the window, and live children are
not seen.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

#: seconds between two samples (20 per second)
INTERVAL = 0.05
#: bytes in the megabyte the build's figures are given in (`megabytes`)
MEGABYTE = 1 << 20

_PROC = Path("/proc")


def megabytes(size: int) -> float:
    """Bytes as megabytes (MiB, the unit of `ru_maxrss / 1024` on Linux), to one decimal."""
    return round(size / MEGABYTE, 1)


def _page_size() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return 4096


def _read(path: str) -> bytes | None:
    """A small file's bytes (one read: a /proc file's content comes whole), or None when it
    cannot be read (its process has exited). `os.open` costs a quarter of `open`'s time."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return os.read(fd, 1 << 16)
    except OSError:
        return None
    finally:
        os.close(fd)


def _resident_pages(pid: int) -> int:
    """The resident pages of a process (`statm`'s second field); 0 when it has exited."""
    fields = (_read(f"/proc/{pid}/statm") or b"").split()
    return int(fields[1]) if len(fields) > 1 else 0


def _children_by_task(pid: int) -> list[int]:
    """The children of a process, from each of its threads' `children` file."""
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    found: list[int] = []
    for thread in threads:
        found += [int(n) for n in (_read(f"/proc/{pid}/task/{thread}/children") or b"").split()]
    return found


def _parents() -> dict[int, list[int]]:
    """Every process's children, from each process's `stat` (its fourth field is its parent;
    the second, its name in parentheses, may hold spaces and parentheses itself)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _read(f"/proc/{entry}/stat")
            fields = stat.rpartition(b")")[2].split() if stat else []
            if len(fields) > 1:
                children.setdefault(int(fields[1]), []).append(int(entry))
    return children


class _ProcessTree:
    """The resident bytes of a process and all its descendants, read from `/proc`."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.page = _page_size()
        own_thread = f"/proc/{pid}/task/{pid}/children"
        self.by_task = os.path.exists(own_thread)

    def descendants(self) -> list[int]:
        """The process and every process descended from it."""
        table = None if self.by_task else _parents()
        found, todo = {self.pid}, [self.pid]
        while todo:
            pid = todo.pop()
            children = _children_by_task(pid) if table is None else table.get(pid, [])
            fresh = [c for c in children if c not in found]  # a reused number: no loop
            found.update(fresh)
            todo += fresh
        return sorted(found)

    def resident(self) -> int:
        return sum(_resident_pages(pid) for pid in self.descendants()) * self.page


def _rusage_peak() -> int:
    """The largest resident size of this process or of one of its finished children, in bytes
    (`ru_maxrss` is in kilobytes on Linux, in bytes on macOS)."""
    import resource

    unit = 1 if sys.platform == "darwin" else 1024
    return unit * max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )


class PeakMemory:
    """The peak resident memory of this process and its children, window by window.

    ```
    with PeakMemory() as memory:
        load()
        loaded = memory.reset()   # peak bytes while loading; a new window begins
        reason()
        reasoned = memory.reset()
    ```

    `start` begins the first window, `reset` ends one and begins the next, `stop` ends the last
    (and the thread); each returns the window's peak in bytes, a sample taken at its end
    included. `sampler_seconds` is the processor time the sampling thread has used."""

    def __init__(self, interval: float = INTERVAL, pid: int | None = None) -> None:
        self.interval = interval
        self.tree = _ProcessTree(pid or os.getpid()) if (_PROC / "self/statm").exists() else None
        self.sampler_seconds = 0.0
        self.samples = 0
        self._peak = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> PeakMemory:
        if self._thread is not None:
            raise RuntimeError("PeakMemory is already started")
        self._peak = self._sample()
        if self.tree is not None:
            self._thread = threading.Thread(target=self._run, name="cskg-memory", daemon=True)
            self._thread.start()
        return self

    def reset(self) -> int:
        """The peak of the window now ending, in bytes; the next window begins with what is
        resident now."""
        now = self._sample()
        with self._lock:
            peak, self._peak = max(self._peak, now), now
        return peak

    def stop(self) -> int:
        """The peak of the last window, in bytes; the sampling thread is stopped."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
        return self.reset()

    def __enter__(self) -> PeakMemory:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _sample(self) -> int:
        return _rusage_peak() if self.tree is None else self.tree.resident()

    def _run(self) -> None:
        began = time.thread_time()
        while not self._stopped.wait(self.interval):
            now = self._sample()
            with self._lock:
                self._peak = max(self._peak, now)
            self.samples += 1
            self.sampler_seconds = time.thread_time() - began
