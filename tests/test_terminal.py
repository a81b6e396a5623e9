"""The terminal: live progress of long steps on a pty (and none when piped or quiet), query tables
fitted to the terminal's width (unchanged when piped), defaults in every command's `--help`."""

from __future__ import annotations

import argparse
import doctest
import fcntl
import itertools
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from conftest import REAL_ROOT

import cskg.terminal
from cskg.cli import build_parser, main, shows_default
from cskg.query.model import Result, Term
from cskg.query.results import display_width, format_table

CSKG = [sys.executable, "-m", "cskg.cli"]
#: a step's final line, `[2/5] reason … 1.54 s`, as `cskg build` printed it before it had a
#: live line, and still prints when piped
FINAL = re.compile(r"^\[(\d)/(\d)\] (\w+) … \d+\.\d\d s$")
#: the live line's count of parts, `12/20 parts`, and its rate
COUNT = re.compile(r"(\d+)/(\d+) parts  (\d+\.\d) parts/s")
ESCAPES = re.compile(r"\x1b\[K")


def on_pty(argv: list[str], columns: int = 80, timeout: float = 300) -> tuple[int, list]:
    """Run `argv` with a pty of `columns` columns as stdin, stdout and stderr; its exit code
    and what it wrote, as (seconds since start, bytes) in the order it came."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "CSKG_ROOT", "CSKG_DIST")}
    began = time.perf_counter()
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    try:
        while time.perf_counter() - began < timeout:
            if not select.select([master], [], [], 1)[0]:
                continue
            try:
                data = os.read(master, 1 << 16)
            except OSError:  # the pty is closed: the process has ended
                break
            if not data:
                break
            chunks.append((time.perf_counter() - began, data))
    finally:
        os.close(master)
        code = process.wait(timeout=30)
    return code, chunks


def lines_kept(text: str) -> list[str]:
    """What stays on a terminal's screen: each line as its last `\\r` left it."""
    text = ESCAPES.sub("", text.replace("\r\n", "\n"))
    return [line.split("\r")[-1] for line in text.split("\n") if line.split("\r")[-1]]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twenty synthetic papers, written by `cskg synth`."""
    out = tmp_path_factory.mktemp("terminal") / "corpus"
    done = subprocess.run(
        [*CSKG, "--root", str(REAL_ROOT), "synth", "--papers", "20", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return out


def parts_of(root: Path) -> int:
    """How many parts the build checks: the pipeline's own split of the sources."""
    from cskg.build.partition import split_parts
    from cskg.build.sources import load_sources

    return len(split_parts(list(dict.fromkeys(load_sources(root).quads))))


# -- progress ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_20_paper_build_shows_progress_every_second_on_a_terminal(corpus, tmp_path):
    code, chunks = on_pty([*CSKG, "--root", str(corpus), "build", "--out", str(tmp_path / "d")])
    text = b"".join(data for _, data in chunks).decode("utf-8")
    assert code == 0, text
    # the first step begins after Python and cskg have started; from then on, until the summary,
    # something new is on the screen at least every second
    begun = next(i for i, (_, data) in enumerate(chunks) if b"[1/5] load" in data)
    ended = next(i for i, (_, data) in enumerate(chunks) if b"cskg: " in data)
    times = [at for at, _ in chunks[begun : ended + 1]]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert times[-1] - times[0] > 2, "the build took too short a time to tell"
    assert max(gaps) <= 1.0, f"{max(gaps):.2f} s without an update: {gaps}"
    # the live line counts the parts and their rate, up to every part the build checks
    counts = [(int(m[1]), int(m[2])) for m in COUNT.finditer(text)]
    assert counts, text
    total = parts_of(corpus)
    assert {whole for _, whole in counts} == {total}
    assert [done for done, _ in counts] == sorted(done for done, _ in counts)
    assert max(done for done, _ in counts) >= total // 2
    assert "\r" in text and "ETA" in text
    # on a terminal too, what stays are the five steps' final lines and the summary
    kept = lines_kept(text)
    assert [FINAL.match(line)[3] for line in kept[:5]] == [
        "load",
        "reason",
        "validate",
        "write",
        "store",
    ]
    assert len(kept) == 6 and kept[-1].startswith("cskg: ") and "conforms" in kept[-1]
    # a live line is cut to the terminal's width, lest it wrap and not be redrawn in place
    live = [piece for piece in text.split("\r") if piece.endswith("\x1b[K") and "parts" in piece]
    assert live and max(display_width(piece) - 3 for piece in live) < 80


@pytest.mark.slow
def test_the_same_build_piped_or_quiet_shows_no_live_line(corpus, tmp_path):
    piped = subprocess.run(
        [*CSKG, "--root", str(corpus), "build", "--out", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert piped.returncode == 0, piped.stderr
    assert "\r" not in piped.stderr and "\x1b" not in piped.stderr
    lines = piped.stderr.splitlines()
    assert [FINAL.match(line)[3] for line in lines[:5]] == [
        "load",
        "reason",
        "validate",
        "write",
        "store",
    ]
    assert len(lines) == 6 and lines[-1].startswith("cskg: ")
    # -q on a terminal: the summary alone
    code, chunks = on_pty(
        [*CSKG, "--root", str(corpus), "build", "-q", "--out", str(tmp_path / "q")]
    )
    text = b"".join(data for _, data in chunks).decode("utf-8")
    assert code == 0, text
    assert "\r" not in text.replace("\r\n", "\n") and "parts" not in text
    assert len(lines_kept(text)) == 1 and text.startswith("cskg: ")


@pytest.mark.slow
def test_publish_counts_its_pages_on_a_terminal_and_not_when_piped(release, tmp_path):
    site = tmp_path / "site"
    argv = [*CSKG, "--dist", str(release), "publish", "--base", "http://x.example/", "--out"]
    code, chunks = on_pty([*argv, str(site)])
    text = b"".join(data for _, data in chunks).decode("utf-8")
    assert code == 0, text
    counts = [tuple(map(int, m)) for m in re.findall(r"publish  (\d+)/(\d+) pages", text)]
    # a page in every language and format is one: as many as the site has pages in English
    pages = [p for p in site.rglob("*.html") if p.relative_to(site).parts[0] != "zh"]
    assert {total for _, total in counts} == {len(pages)} and len(pages) > 100
    assert [done for done, _ in counts] == sorted(done for done, _ in counts)
    assert counts[-1][0] > len(pages) // 2
    times = [at for at, data in chunks if b"publish" in data]
    assert max(b - a for a, b in itertools.pairwise(times)) <= 1.0
    assert lines_kept(text) == [lines_kept(text)[-1]] and "files" in lines_kept(text)[-1]
    piped = subprocess.run(
        [*argv, str(tmp_path / "piped")], capture_output=True, text=True, timeout=300
    )
    assert piped.returncode == 0 and "\r" not in piped.stderr
    assert not re.search(r"\d pages", piped.stderr)
    assert piped.stderr.startswith("cskg: ") and len(piped.stderr.splitlines()) == 1


def test_the_live_line_says_count_rate_and_time_left():
    failures, tried = doctest.testmod(cskg.terminal)
    assert tried >= 2 and failures == 0


# -- tables -------------------------------------------------------------------------------------


def columns_of(table: str) -> list[tuple[int, int]]:
    """Where each column of a table is: the runs of its `-----` line."""
    rule = table.splitlines()[
        next(i for i, line in enumerate(table.splitlines()) if line.startswith("-"))
    ]
    return [(m.start(), m.end()) for m in re.finditer("-+", rule)]


def cells_of(table: str) -> list[list[str]]:
    """The cells of a table as printed, a wrapped row's pieces joined (spaces dropped, as a
    wrap may fall on one), by display columns (a Chinese character takes two)."""
    lines = table.splitlines()
    spans = columns_of(table)
    start = next(i for i, line in enumerate(lines) if line.startswith("-")) + 1
    rows: list[list[str]] = []
    fresh = True
    for line in lines[start:]:
        if line.startswith("(") and line.endswith(")"):  # the count of rows
            break
        if not line:
            fresh = True
            continue
        pieces = [_slice(line, a, b) for a, b in spans]
        if fresh:
            rows.append(["" for _ in spans])
        rows[-1] = [
            cell + piece.replace(" ", "") for cell, piece in zip(rows[-1], pieces, strict=True)
        ]
        fresh = "\n\n" not in table  # a table not wrapped has a row a line
    return rows


def _slice(line: str, start: int, end: int) -> str:
    """The characters of `line` between display columns `start` and `end` (the column's text
    starts where its run starts, and ends before the next column's)."""
    out, column = "", 0
    for c in line:
        if start <= column < end + 2:
            out += c
        column += display_width(c)
    return out.strip()


def test_a_query_table_fits_an_80_column_terminal(release):
    argv = [*CSKG, "--dist", str(release), "--root", str(REAL_ROOT), "query", "causal-claims"]
    code, chunks = on_pty(argv, columns=80)
    fitted = b"".join(data for _, data in chunks).decode("utf-8").replace("\r\n", "\n")
    assert code == 0, fitted
    assert max(display_width(line) for line in fitted.splitlines()) <= 80
    piped = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=_env())
    assert piped.returncode == 0, piped.stderr
    # piped: the table as ever, a row a line, wider than any terminal
    assert max(display_width(line) for line in piped.stdout.splitlines()) > 300
    # the same cells, none cut: wrapped within their columns
    whole = [[cell.replace(" ", "") for cell in row] for row in cells_of(piped.stdout)]
    assert cells_of(fitted) == whole
    assert len(whole) == int(re.search(r"\((\d+) rows?\)", piped.stdout)[1]) > 10
    assert fitted.splitlines()[-1] == piped.stdout.splitlines()[-1]  # (N rows)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "CSKG_ROOT", "CSKG_DIST")}


def test_a_piped_table_is_the_same_as_before(release, capsys):
    from cskg.query.engines import open_store
    from cskg.query.library import resolve

    text = resolve(REAL_ROOT / "queries", "causal-claims").text
    with open_store(release) as store:
        expected = format_table(store.query(text))  # no width: a row a line
    assert main(["--dist", str(release), "--root", str(REAL_ROOT), "query", "causal-claims"]) == 0
    assert capsys.readouterr().out == expected


WIDE = Result(
    "select",
    ["entity", "label", "quote"],
    [
        (
            Term("iri", "https://w3id.org/cskg/id/agency/miit"),
            Term("literal", "工业和信息化部网络安全管理局"),
            Term(
                "literal",
                "“网络空间安全”被批准为国家一级学科，有望进一步改善我国网络空间安全环境"
                " and more words here",
            ),
        ),
        (Term("iri", "https://w3id.org/cskg/id/agency/cac"), None, Term("literal", "short")),
    ],
)


@pytest.mark.parametrize("width", [30, 40, 60])
def test_chinese_cells_wrap_by_display_width(width):
    fitted = format_table(WIDE, width=width)
    assert max(display_width(line) for line in fitted.splitlines()) <= width
    assert cells_of(fitted) == [
        [c.replace(" ", "") for c in row] for row in cells_of(format_table(WIDE))
    ]
    assert "工业" in fitted and "\n\n" in fitted  # wrapped rows are set apart
    # a table that fits is printed as it is
    assert format_table(WIDE, width=1000) == format_table(WIDE)


# -- --help -------------------------------------------------------------------------------------


def entry(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    """`action`'s entry in `parser`'s help, as `--help` writes it, its lines joined."""
    formatter = parser._get_formatter()
    formatter.add_argument(action)
    return " ".join(formatter.format_help().split())


def test_every_default_shows_in_help(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    checked = 0
    for name, command in [("cskg", parser), *sub.choices.items()]:
        text = command.format_help()
        assert "(default: None)" not in text and "(default: False)" not in text, name
        for action in command._actions:
            default = action.default
            if not action.option_strings or action.help is argparse.SUPPRESS:
                continue
            if default in (None, "", [], argparse.SUPPRESS) or isinstance(default, bool):
                assert "(default: " not in entry(command, action) or "default" in action.help
                continue
            shown = f"{default:g}" if isinstance(default, float) else str(default)
            if shows_default(action):
                assert f"(default: {shown})" in entry(command, action), (name, action.help)
                assert entry(command, action) in " ".join(text.split())
            else:  # said by hand in the text
                assert "default" in action.help and shown in action.help, (name, action.help)
            checked += 1
    assert checked >= 40  # every command's options, not a few
