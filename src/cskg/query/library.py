"""The query library: `queries/*.rq`, each with a small header.

    # title: Which policy enabled which industry change
    # question: Which policies and events enabled which industry changes, ...?
    # keywords: policy, causality, modality, evidence
    PREFIX cskg: <https://w3id.org/cskg/ontology#>
    SELECT ...

Expected results sit in `queries/expected/{name}.srj` (SELECT, ASK) or `{name}.ttl`
(CONSTRUCT, DESCRIBE). Quality checks are named `*-violation.rq` and expect no rows; they state
only what the SHACL shapes (`ontology/shapes/`) cannot, which hold every other data rule.
"""

from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cskg.errors import CskgError

_HEADER = re.compile(r"#\s*(title|question|keywords)\s*:\s*(.*?)\s*$")


@dataclass(frozen=True)
class LibraryQuery:
    name: str
    path: Path
    text: str
    title: str = ""
    question: str = ""
    keywords: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_check(self) -> bool:
        """A quality check: a query that must return no rows."""
        return self.name.endswith("-violation")


def parse_query_file(path: Path) -> LibraryQuery:
    """Read one .rq file and its header (the leading `# key: value` comment lines)."""
    text = read_query(path)
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        found = _HEADER.match(line.strip())
        if not found:
            if line.lstrip().startswith("#"):
                continue
            break
        header[found[1]] = found[2]
    keywords = tuple(k.strip() for k in header.get("keywords", "").split(",") if k.strip())
    return LibraryQuery(
        name=path.stem,
        path=path,
        text=text,
        title=header.get("title", ""),
        question=header.get("question", ""),
        keywords=keywords,
    )


def read_query(path: Path) -> str:
    """A query file's text (`cskg.build.sources.read_source`): UTF-8, a byte order mark
    dropped; binary data (a NUL byte) or another encoding is refused at that byte, as
    `file:line:column`."""
    from cskg.build.sources import read_source

    return _query_text(read_source(path), path)


def read_stdin() -> str:
    """A query from standard input, read as `read_query` reads a file."""
    from cskg.build.sources import BOM

    return _query_text(sys.stdin.buffer.read().removeprefix(BOM), Path("<stdin>"))


def _query_text(data: bytes, source: Path) -> str:
    from cskg.build.sources import not_text

    problem = not_text(source, data)
    if problem is not None:
        raise problem
    return data.decode("utf-8")


def load_library(folder: Path) -> list[LibraryQuery]:
    """Every query of the library, sorted by name."""
    if not folder.is_dir():
        raise CskgError(f"no query library at {folder}")
    return [parse_query_file(p) for p in sorted(folder.glob("*.rq"))]


def find(folder: Path, name: str) -> LibraryQuery:
    """A library query by name (with or without .rq); unknown names suggest the nearest ones."""
    name = name.removesuffix(".rq")
    path = folder / f"{name}.rq"
    if path.is_file():
        return parse_query_file(path)
    names = [q.name for q in load_library(folder)]
    near = difflib.get_close_matches(name, names, n=5, cutoff=0.4)
    # also offer names that contain the word typed, which difflib ranks poorly for short input
    near += [n for n in names if name and name.lower() in n and n not in near]
    hint = f"; did you mean: {', '.join(near[:5])}?" if near else "; `cskg queries` lists them"
    raise CskgError(f"no query named {name!r} in {folder}{hint}")


def resolve(folder: Path, reference: str) -> tuple[str, str]:
    """(label, SPARQL text) for a library name or a .rq file path."""
    candidate = Path(reference)
    if candidate.is_file() or (candidate.suffix == ".rq" and candidate.exists()):
        return str(candidate), read_query(candidate)  # a folder named *.rq: said so
    if "/" in reference:
        raise CskgError(f"no query file {reference}")
    query = find(folder, reference)
    return query.name, query.text
