"""RDF Patch: the changes between two datasets as text, written, read back strictly, applied.

The format is RDF Patch as Apache Jena defines it (https://afs.github.io/rdf-patch/): header rows
`H key value .`, then rows that delete (`D s p o g .`) and add (`A s p o g .`) one quad each, in
a transaction (`TX .` … `TC .`), terms written as in N-Quads. `cskg diff --format patch` writes
every change, inferred ones included:

    H generator "cskg 0.1.0" .
    H id <uuid:…> .
    TX .
    D <https://w3id.org/cskg/id/…> <http://www.w3.org/2000/01/rdf-schema#label> "Old"@en <…> .
    A <https://w3id.org/cskg/id/…> <http://www.w3.org/2000/01/rdf-schema#label> "New"@en <…> .
    TC .

The first row says that cskg wrote the file (`cskg.outdir.write_file` replaces only such a
file); the id is derived from the rows, so the same changes give the same patch. Blank nodes
carry the names `cskg.diff.canonical` gives them by their content, so a patch applies to a
dataset whose blank nodes are named the same way, which `apply_patch` does first.

Reading is strict and bounded: at most `MAX_PATCH_BYTES`, UTF-8 text; rows H (before any other
row), TX, TC, TA (which drops the transaction's rows), PA and PD (prefix rows: checked, then
skipped, as a set of quads keeps no prefixes), A and D with one quad in N-Quads syntax (no
prefixed names, no `R` repeats); blank lines and `#` comments pass. Anything else is one
`SourceSyntaxError`, `file:line:column: message`. Applying is strict too: deleting a quad the
dataset does not hold, or adding one it holds, means the patch was made for another dataset,
and is an error at that row.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from cskg import __version__
from cskg.build.sources import BOM, display_path, not_text, read_source
from cskg.diff.canonical import by_content
from cskg.errors import CskgError, SourceSyntaxError

#: the largest patch read (bytes): a patch between two releases of 1000 papers is far smaller
MAX_PATCH_BYTES = 2**30
#: how a patch cskg wrote begins (its first row)
PATCH_MARK = 'H generator "cskg'
MEDIA_TYPE = "application/rdf-patch"


def write_patch(removed: Iterable[ox.Quad], added: Iterable[ox.Quad]) -> str:
    """The patch that deletes `removed` and adds `added`, rows in a stable order."""
    rows = [f"D {q} .\n" for q in sorted(removed, key=str)]
    rows += [f"A {q} .\n" for q in sorted(added, key=str)]
    body = "TX .\n" + "".join(rows) + "TC .\n"
    name = uuid.uuid5(uuid.NAMESPACE_URL, "cskg-patch:" + body)
    return f'{PATCH_MARK} {__version__}" .\nH id <uuid:{name}> .\n{body}'


@dataclass(frozen=True)
class Row:
    """One change of a patch: "A" (add) or "D" (delete) `quad`, from line `line`."""

    op: str
    quad: ox.Quad
    line: int


@dataclass
class Patch:
    """A patch read back: its header (key -> the value's N-Triples text) and its changes, in
    order (those of aborted transactions left out); `name` is the file it came from."""

    name: str
    header: dict[str, str] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)


def read_patch(path: Path, max_bytes: int = MAX_PATCH_BYTES) -> Patch:
    """The patch in the file `path` (see the module docstring for what is accepted)."""
    name = display_path(Path(path))
    try:
        size = Path(path).stat().st_size
    except OSError:
        size = 0  # read_source says why it cannot be read
    if size > max_bytes:
        raise CskgError(f"{name}: {size} bytes, more than a patch may hold ({max_bytes})")
    data = read_source(Path(path))
    problem = not_text(Path(path), data)
    if problem is not None:
        raise problem
    return parse_patch(data.decode("utf-8").removeprefix(BOM.decode("utf-8")), name)


_CONTROL = re.compile(r"(TX|TC|TA)[ \t]*(?:\.[ \t]*)?(?:#.*)?")
_HEADER = re.compile(r"H[ \t]+([A-Za-z][A-Za-z0-9_-]*)[ \t]+")
_PREFIX = re.compile(
    r"(?:PA[ \t]+[A-Za-z0-9_.-]*:?[ \t]+<[^<>\"{}|^`\\\x00-\x20]*>|PD[ \t]+[A-Za-z0-9_.-]*:?)"
    r"[ \t]*(?:\.[ \t]*)?(?:#.*)?"
)


class _Reader:
    """The state of reading one patch: where the header ends, the open transaction."""

    def __init__(self, name: str) -> None:
        self.patch = Patch(name)
        self.changes_began = False
        self.transaction: int | None = None  # the line of the open TX
        self.pending: list[Row] = []
        self.indent = 0  # the columns before the row being read

    def error(self, line: int, column: int, message: str) -> SourceSyntaxError:
        return SourceSyntaxError(self.patch.name, line, self.indent + column, message)

    def read(self, number: int, line: str, indent: int) -> None:
        """Read one row: `line` without its `indent` columns of blanks."""
        self.indent = indent
        code = line.split(None, 1)[0]
        if code in ("A", "D"):
            self.change(code, _quad(self, number, line, len(code)), number)
        elif code == "H":
            self.header(number, line)
        elif code in ("TX", "TC", "TA") and _CONTROL.fullmatch(line):
            self.control(number, code)
        elif code in ("PA", "PD") and _PREFIX.fullmatch(line):
            self.changes_began = True
        elif code in ("TX", "TC", "TA", "PA", "PD"):
            raise self.error(number, 1, f"malformed {code} row")
        else:
            shown = code if len(code) <= 20 else code[:20] + "…"
            raise self.error(
                number, 1, f"unknown row {shown!r}: a patch has H, TX, TC, TA, PA, PD, A, D rows"
            )

    def change(self, code: str, quad: ox.Quad, number: int) -> None:
        self.changes_began = True
        row = Row(code, quad, number)
        (self.pending if self.transaction is not None else self.patch.rows).append(row)

    def header(self, number: int, line: str) -> None:
        if self.changes_began:
            raise self.error(number, 1, "a header row (H) after the changes began")
        found = _HEADER.match(line)
        if not found:
            raise self.error(number, 1, "a header row is `H key value .`")
        quad = _quad(self, number, line, found.end(), "<x:h> <x:h> ")
        if type(quad.graph_name) is not ox.DefaultGraph:
            raise self.error(number, found.end() + 1, "a header row has one value")
        self.patch.header[found[1]] = str(quad.object)

    def control(self, number: int, code: str) -> None:
        self.changes_began = True
        if code == "TX":
            if self.transaction is not None:
                raise self.error(number, 1, f"TX inside the transaction of line {self.transaction}")
            self.transaction = number
            return
        if self.transaction is None:
            raise self.error(number, 1, f"{code} without a TX before it")
        if code == "TC":
            self.patch.rows.extend(self.pending)
        self.pending, self.transaction = [], None


def _quad(reader: _Reader, number: int, line: str, start: int, before: str = "") -> ox.Quad:
    """The one quad the text of `line` after column `start` holds (N-Quads syntax), read with
    `before` in front; errors at their place in the line."""
    text = before + line[start:]
    try:
        quads = list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS))
    except ValueError as error:
        raise reader.error(number, start + 1, str(error)) from None
    except SyntaxError as error:
        message = str(error.msg)
        if message.startswith("Parser error") and ": " in message:
            message = message.split(": ", 1)[1]
        column = start + max((error.offset or 1) - len(before), 1)
        raise reader.error(number, column, message) from None
    if len(quads) != 1:
        raise reader.error(number, start + 1, "one quad or triple expected, ending with ' .'")
    if type(quads[0].graph_name) is ox.BlankNode:
        raise reader.error(number, start + 1, "a graph named by a blank node")
    return quads[0]


def parse_patch(text: str, name: str = "<patch>") -> Patch:
    """A patch read from its text; `name` is the file named in errors."""
    reader = _Reader(name)
    lines = text.split("\n")
    for number, raw in enumerate(lines, start=1):
        line = raw.removesuffix("\r").rstrip(" \t")
        row = line.lstrip(" \t")
        if row and not row.startswith("#"):
            reader.read(number, row, len(line) - len(row))
    if reader.transaction is not None:
        raise reader.error(
            len(lines), 1, f"the transaction begun at line {reader.transaction} never ends (TC)"
        )
    return reader.patch


def apply_patch(quads: Iterable[ox.Quad], patch: Patch) -> list[ox.Quad]:
    """The quads with `patch` applied, blank nodes named by content first (module docstring).

    Raises `SourceSyntaxError` at the row that deletes a quad the dataset does not hold or adds
    one it holds already."""
    dataset = dict.fromkeys(by_content(quads))
    for row in patch.rows:
        if row.op == "D" and row.quad not in dataset:
            why = "deletes a quad the dataset does not hold: the patch is for another dataset"
            raise SourceSyntaxError(patch.name, row.line, 1, why)
        if row.op == "A" and row.quad in dataset:
            why = "adds a quad the dataset holds already: the patch is for another dataset"
            raise SourceSyntaxError(patch.name, row.line, 1, why)
        if row.op == "D":
            del dataset[row.quad]
        else:
            dataset[row.quad] = None
    return list(dataset)


#: how N-Quads cskg wrote begin (`cskg patch -o`)
NQUADS_MARK = "# written by cskg"


def nquads(quads: Sequence[ox.Quad]) -> str:
    """The quads as N-Quads, behind a comment that says cskg wrote them."""
    data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
    return f"{NQUADS_MARK} patch {__version__}\n" + data.decode("utf-8")
