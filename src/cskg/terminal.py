"""What cskg shows on a terminal: its width, and the progress of long steps.

A command runs its long steps in one `Progress`:

    with Progress(quiet=args.quiet) as progress:
        with progress.step("[2/5] reason", total=len(parts), unit="parts") as step:
            for part in parts:
                ...
                step.advance()
        progress.line("[2/5] reason … 1.54 s")

On a terminal (stderr a tty, and not `quiet`) the running step is one line redrawn in place
(`\\r`) five times a second: its label, count, rate and time left when it knows its total, and
the time it has taken, so that a long part still shows time passing. A step's final line
(`line`) is printed on a terminal and off it alike; off a terminal (a pipe, a file, a log)
nothing else is: what scripts parse stays as it was. `quiet` prints nothing.

The live line is drawn by a small ticker process (this file run as a script, standard library
only), told of each change through a pipe. A thread would stop with the command's own work
whenever that holds the interpreter lock in native code: pyoxigraph's `bulk_extend` of the
store step holds it for seconds at a thousand papers. The standard library does all this in a
page; rich or tqdm would add a dependency and import time to the commands that report progress,
for features (bars, colours, nested tasks) cskg does not need.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, TextIO

#: seconds between two redraws of the live line (at most ten a second, at least one)
TICK = 0.2
#: back to the start of the line, and erase from there to its end (ANSI, as every terminal)
_CLEAR = "\r\x1b[K"


def columns(stream: TextIO, fallback: int = 80) -> int:
    """The width of the terminal `stream` writes to: `$COLUMNS` when set (as
    `shutil.get_terminal_size` reads it), else the terminal's own, else `fallback`."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return os.get_terminal_size(stream.fileno()).columns or fallback
    except (OSError, ValueError, AttributeError):
        return fallback


def terminal_width(stream: TextIO) -> int | None:
    """`columns(stream)` when `stream` is a terminal; None for a pipe or a file, whose readers
    (people with a pager, scripts) take lines whole."""
    try:
        return columns(stream) if stream.isatty() else None
    except (OSError, ValueError, AttributeError):  # a stream closed, or not a file at all
        return None


def status(label: str, done: int, total: int | None, unit: str, elapsed: float) -> str:
    """A step's live line: `[2/5] reason  37/120 parts  12.3 parts/s  ETA 6 s  (3.0 s)`; without
    a unit, the label and the time taken.

    >>> status("[2/5] reason", 37, 120, "parts", 3.0)
    '[2/5] reason  37/120 parts  12.3 parts/s  ETA 7 s  (3.0 s)'
    >>> status("pages", 0, None, "pages", 0.5)
    'pages  0 pages  (0.5 s)'
    """
    shown = [label]
    if unit:
        shown.append(f"{done}/{total} {unit}" if total else f"{done} {unit}")
        if done and elapsed > 0:
            rate = done / elapsed
            shown.append(f"{rate:.1f} {unit}/s")
            if total and total > done:
                shown.append(f"ETA {(total - done) / rate:.0f} s")
    shown.append(f"({elapsed:.1f} s)")
    return "  ".join(shown)


class Step:
    """One step in progress: its label, and, when it counts something, how many of `total`
    `unit`s are done. `advance` and setting `total` show at once on the live line."""

    def __init__(self, progress: Progress, label: str, total: int | None, unit: str) -> None:
        self.progress, self.label, self._total, self.unit = progress, label, total, unit
        self.done = 0
        self.started = time.perf_counter()

    @property
    def total(self) -> int | None:
        return self._total

    @total.setter
    def total(self, total: int | None) -> None:
        self._total = total
        self.progress.show(self)

    def advance(self, count: int = 1) -> None:
        self.done += count
        self.progress.show(self)

    def __enter__(self) -> Step:
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.end(self)


class Progress:
    """The progress of a command's steps on `stream` (stderr): live on a terminal, final lines
    elsewhere, nothing when `quiet`."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.live = not quiet and self.stream.isatty()
        self._ticker: Any = None  # the ticker process (a subprocess.Popen), started at need

    def step(self, label: str, total: int | None = None, unit: str = "") -> Step:
        """A step begun now, shown live until it ends (use it in a `with`)."""
        step = Step(self, label, total, unit)
        self.show(step)
        return step

    def show(self, step: Step) -> None:
        """Tell the ticker where `step` is."""
        elapsed = time.perf_counter() - step.started
        self._send({"step": [step.label, step.done, step.total, step.unit, elapsed]})

    def end(self, step: Step) -> None:
        """`step` is over: its live line goes (the caller prints its final line, if any)."""
        self._send({"end": True}, wait=True)

    def line(self, text: str) -> None:
        """A line that stays: printed unless quiet, in place of the live line on a terminal."""
        if self.quiet:
            return
        if self.live:
            self._send({"line": text}, wait=True)
            return
        try:
            self.stream.write(text + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # the terminal or pipe went away: not worth an error
            pass

    def close(self) -> None:
        """Clear the live line and wait for the ticker to be done writing."""
        import subprocess

        ticker, self._ticker = self._ticker, None
        if ticker is None:
            return
        try:
            ticker.stdin.close()
            ticker.wait(timeout=5)
        except OSError:
            pass
        except subprocess.TimeoutExpired:  # a stuck terminal: the line may stay, nothing worse
            ticker.kill()

    def _send(self, message: dict[str, Any], wait: bool = False) -> None:
        """Tell the ticker; with `wait`, return once it has written what it was told, so that
        what the command writes next comes after it (a line, the live line cleared)."""
        if not self.live:
            return
        import json
        import select

        if self._ticker is None:
            self._ticker = _start_ticker(self.stream)
        try:
            self._ticker.stdin.write(json.dumps(message).encode("utf-8") + b"\n")
            self._ticker.stdin.flush()
            if wait and select.select([self._ticker.stdout], [], [], 5)[0]:
                os.read(self._ticker.stdout.fileno(), 1)
        except (OSError, ValueError):  # the ticker is gone: the command goes on without it
            self.live = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _start_ticker(stream: TextIO) -> Any:
    """This file run as a script (isolated, no site: the standard library only), drawing on
    `stream`."""
    import subprocess

    return subprocess.Popen(
        [sys.executable, "-I", "-S", __file__],
        stdin=subprocess.PIPE,
        stderr=stream.fileno(),
        stdout=subprocess.PIPE,  # a byte for each line written and each step ended
    )


class _Ticker:
    """The ticker process's state: the step on the live line, and when it was last drawn."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.step: list[Any] | None = None  # label, done, total, unit, elapsed when told
        self.told = self.drawn = 0.0

    def take(self, message: dict[str, Any]) -> None:
        if "step" in message:
            self.step, self.told = message["step"], time.monotonic()
            if time.monotonic() - self.drawn >= TICK / 2:
                self.draw()
        elif "line" in message:
            self.write(_CLEAR + message["line"] + "\n")
            self.draw()
            os.write(sys.stdout.fileno(), b".")  # done: the command may go on writing
        elif "end" in message:
            self.step = None
            self.write(_CLEAR)
            os.write(sys.stdout.fileno(), b".")

    def draw(self) -> None:
        if self.step is None:
            return
        label, done, total, unit, elapsed = self.step
        text = status(label, done, total, unit, elapsed + time.monotonic() - self.told)
        self.write("\r" + text[: columns(self.out) - 1] + _CLEAR[1:])
        self.drawn = time.monotonic()

    def write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()


def _tick() -> None:
    """Read the messages on stdin, a JSON object a line; draw the live line on stderr every
    `TICK`; clear it and stop when stdin ends."""
    import json
    import select
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the command's to handle
    ticker, pending = _Ticker(sys.stderr), b""
    while True:
        ready, _, _ = select.select([sys.stdin], [], [], TICK)
        if ready:
            data = os.read(sys.stdin.fileno(), 1 << 16)
            if not data:
                break
            *messages, pending = (pending + data).split(b"\n")
            for message in messages:
                ticker.take(json.loads(message))
        if time.monotonic() - ticker.drawn >= TICK:
            ticker.draw()
    if ticker.step is not None:
        ticker.write(_CLEAR)


if __name__ == "__main__":
    _tick()
