"""`cskg.build.memory`: the peak resident memory of the process and its descendants, window by
window, sampled from /proc on a thread that costs next to nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from cskg.build.memory import (
    MEGABYTE,
    PeakMemory,
    _children_by_task,
    _ProcessTree,
    _resident_pages,
    _rusage_peak,
    megabytes,
)

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")

# A child that starts a grandchild holding 300 MB (every page written, so resident), which says
# "ready" and keeps it until its standard input closes: the memory is two levels down the tree.
_HOLDER = (
    "import sys; x = bytearray(b'\\x01') * 300_000_000; print('ready', flush=True); "
    "sys.stdin.read()"
)
_PARENT = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {_HOLDER!r}])"


def _sampling() -> bool:
    """Whether a sampling thread runs."""
    return any(t.name == "cskg-memory" for t in threading.enumerate())


def _wait_for_samples(memory: PeakMemory, more: int) -> None:
    """Until the thread has taken `more` further samples (generous on a busy machine)."""
    target, deadline = memory.samples + more, time.monotonic() + 30
    while memory.samples < target:
        assert time.monotonic() < deadline, "the sampler took no samples"
        time.sleep(memory.interval)


def test_a_grandchild_allocation_is_in_the_peak_and_not_in_the_next_window() -> None:
    with PeakMemory() as memory:
        before = memory.reset()
        child = subprocess.Popen(
            [sys.executable, "-c", _PARENT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None and child.stdout.readline() == "ready\n"
            _wait_for_samples(memory, 3)
            in_tree = memory.tree.descendants() if memory.tree else []
            assert child.pid in in_tree and len(in_tree) >= 3  # this process, child, grandchild
        finally:
            child.communicate("")
        holding = memory.reset()
        _wait_for_samples(memory, 3)  # a window in which nothing is allocated
        after = memory.reset()
    assert holding - before >= 200 * MEGABYTE, megabytes(holding - before)
    assert after < holding - 200 * MEGABYTE, (megabytes(after), megabytes(holding))


def test_the_thread_stops_and_costs_next_to_nothing() -> None:
    """At 20 samples a second the sampling thread uses next to nothing of one core: measured about
    12 µs a sample on a quiet machine (0.02%), 0.5 ms (1.1%) beside a full parallel test run. The
    bound, 5%, is generous for a busy machine and still fails a thread that spins."""
    memory = PeakMemory().start()
    assert _sampling()
    began = time.monotonic()
    _wait_for_samples(memory, 20)
    wall = time.monotonic() - began
    peak = memory.stop()
    assert not _sampling()
    assert memory.sampler_seconds / wall < 0.05, (memory.sampler_seconds, wall)
    # the peak of the last window is at least what this process holds
    assert peak >= _resident_pages(os.getpid()) * os.sysconf("SC_PAGE_SIZE") * 0.9
    with pytest.raises(RuntimeError, match="already started"):
        memory.start()


def test_processes_that_exit_while_sampled_are_skipped() -> None:
    """A process gone between being listed and being read counts as nothing; sampling every
    millisecond while children come and go raises nothing and keeps sampling."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert _resident_pages(gone.pid) == 0 and _children_by_task(gone.pid) == []
    errors: list[BaseException | None] = []
    previous, threading.excepthook = threading.excepthook, lambda a: errors.append(a.exc_value)
    try:
        with PeakMemory(interval=0.001) as memory:
            for _ in range(10):
                subprocess.run([sys.executable, "-c", "pass"], check=True)
            assert _sampling() and memory.samples > 0
    finally:
        threading.excepthook = previous
    assert errors == []


def test_both_ways_of_reading_the_tree_agree() -> None:
    """The tree from the threads' `children` files and from every process's `stat` (kernels
    without the first) are the same processes."""
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        tree = _ProcessTree(os.getpid())
        tree.by_task = False
        from_stat = tree.descendants()
        assert child.pid in from_stat and os.getpid() in from_stat
        if os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children"):
            tree.by_task = True
            assert tree.descendants() == from_stat
    finally:
        child.communicate(b"")


def test_without_proc_the_peak_is_the_process_peak_so_far() -> None:
    """The fallback (no /proc): no thread, and each window reports `getrusage`'s peak so far,
    which is never below what is resident now."""
    memory = PeakMemory()
    memory.tree = None
    memory.start()
    assert not _sampling()
    resident = _resident_pages(os.getpid()) * os.sysconf("SC_PAGE_SIZE")
    assert memory.reset() == _rusage_peak() >= resident * 0.9
    assert memory.stop() == _rusage_peak()


def test_megabytes() -> None:
    assert megabytes(3 * MEGABYTE + MEGABYTE // 2) == 3.5
    assert megabytes(0) == 0.0
