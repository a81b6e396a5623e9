"""The query library: `queries/*.rq`, each with a small header.

    # title: Which policy enabled which industry change
    # question: Which policies and events enabled which industry changes, ...?
    # keywords: policy, causality, modality, evidence
    # scale: corpus-wide
    # param: entity = agency:miit — the entity asked about (an IRI or a prefixed name)
    PREFIX cskg: <https://w3id.org/cskg/ontology#>
    SELECT ...

Expected results sit in `queries/expected/{name}.srj` (SELECT, ASK) or `{name}.ttl`
(CONSTRUCT, DESCRIBE). Quality checks are named `*-violation.rq` and expect no rows; they state
only what the SHACL shapes (`ontology/shapes/`) cannot, which hold every other data rule.

`# scale:` says how the answer grows with the corpus (`SCALES`): `entity-centred`, an answer
about named entities of the paper that more papers do not make larger (its cost should not grow
either), or `corpus-wide`, an answer that covers the whole corpus (a listing, a count, a check
that reads every resource of a kind to find none), whose cost grows with it.
`tests/test_query_scale.py` checks each class on two synthetic corpora.

A `# param: NAME = EXAMPLE — what it is` line declares a parameter: the query's variable
`?NAME`, which the caller binds (`cskg query NAME --param entity=agency:miit`, `api.query(name,
params=…)`). Its example value is what the query is shown and checked with where nobody chose
one: the expected answer, the web page's example (`example_text`) and the benchmarks.
`bind` reads each value as an RDF term (`parse_value`: a prefixed name, `<IRI>` or a literal in
Turtle form) and the engine substitutes it for the variable (`QueryStore.query`'s `bindings`):
the value is never pasted into the query's text.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cskg.errors import CskgError
from cskg.query.model import Term, ox_term
from cskg.query.text import QUERY_FORMS, Token, prefixed_name, tokens

_HEADER = re.compile(r"#\s*(title|question|keywords|scale|param)\s*:\s*(.*?)\s*$")
#: the classes of `# scale:`: the answer names entities (its size does not grow with the
#: corpus), or covers the whole corpus
SCALES = ("entity-centred", "corpus-wide")
#: `NAME = EXAMPLE — what it is` (an em dash, a hyphen or a colon before what it is)
_PARAM = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*(\S+))?\s*(?:[—:-]+\s*(.*))?$")


@dataclass(frozen=True)
class Parameter:
    """A parameter a query's header declares: the variable `?name` the caller binds, and the
    value it is shown with where nobody chose one (`example`, in the header's own words)."""

    name: str
    description: str = ""
    example: str = ""


@dataclass(frozen=True)
class LibraryQuery:
    name: str
    path: Path
    text: str
    title: str = ""
    question: str = ""
    keywords: tuple[str, ...] = field(default_factory=tuple)
    params: tuple[Parameter, ...] = field(default_factory=tuple)
    scale: str = ""  # one of `SCALES`; "" for a query whose header does not say

    @property
    def is_check(self) -> bool:
        """A quality check: a query that must return no rows."""
        return self.name.endswith("-violation")

    @property
    def examples(self) -> dict[str, Term]:
        """The parameters bound to their example values (`bind`)."""
        return bind(self, {p.name: p.example for p in self.params if p.example})

    @property
    def example_text(self) -> str:
        """The text people read, edit and run without choosing values: the query itself, its
        parameters bound to their examples by a VALUES block (`with_values`)."""
        return with_values(self.text, self.examples) if self.params else self.text


def parse_query_file(path: Path) -> LibraryQuery:
    """Read one .rq file and its header (the leading `# key: value` comment lines)."""
    return parse_query_text(read_query(path), path)


def parse_query_text(text: str, path: Path) -> LibraryQuery:
    """A query's text and its header (`parse_query_file`); `path` is where it came from."""
    header: dict[str, str] = {}
    params: list[Parameter] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        found = _HEADER.match(line.strip())
        if not found:
            if line.lstrip().startswith("#"):
                continue
            break
        if found[1] == "param":
            params.append(_parameter(found[2], path))
        else:
            header[found[1]] = found[2]
    keywords = tuple(k.strip() for k in header.get("keywords", "").split(",") if k.strip())
    scale = header.get("scale", "")
    if scale and scale not in SCALES:
        raise CskgError(f"{path}: `# scale: {scale}` is not one of {', '.join(SCALES)}")
    return LibraryQuery(
        name=path.stem,
        path=path,
        text=text,
        title=header.get("title", ""),
        question=header.get("question", ""),
        keywords=keywords,
        params=tuple(params),
        scale=scale,
    )


def _parameter(declaration: str, path: Path) -> Parameter:
    found = _PARAM.match(declaration.lstrip("?$"))
    if found is None:
        raise CskgError(f"{path}: `# param: {declaration}` is not `# param: NAME — what it is`")
    if found[2]:
        try:
            parse_value(found[2])
        except CskgError as error:
            raise CskgError(f"{path}: the example of parameter {found[1]}: {error}") from None
    return Parameter(found[1], found[3] or "", found[2] or "")


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


def resolve(folder: Path, reference: str) -> LibraryQuery:
    """The query a library name or a .rq file path names, with its header."""
    candidate = Path(reference)
    if candidate.is_file() or (candidate.suffix == ".rq" and candidate.exists()):
        return parse_query_file(candidate)  # a folder named *.rq: said so by read_source
    if "/" in reference:
        raise CskgError(f"no query file {reference}")
    return find(folder, reference)


# -- parameters -----------------------------------------------------------------------------


def parse_value(text: str) -> Term:
    """A parameter's value as an RDF term: a prefixed name of the project's prefixes
    (`agency:miit`), an `<IRI>`, or a literal in Turtle form (`"2014"^^xsd:gYear`, `"text"@en`,
    `42`, `3.5`, `true`), read by pyoxigraph's Turtle parser; a `CskgError` for anything else
    (a variable, a blank node, several terms).

    >>> parse_value('"2014"^^xsd:gYear').n3()
    '"2014"^^<http://www.w3.org/2001/XMLSchema#gYear>'
    """
    import pyoxigraph as ox

    from cskg.vocab import turtle_prefixes

    document = f"{turtle_prefixes()}<urn:cskg:s> <urn:cskg:p> {text.strip()} .\n"
    try:
        triples = list(ox.parse(document.encode("utf-8"), ox.RdfFormat.TURTLE))
    except SyntaxError:
        triples = []
    term = ox_term(triples[0].object) if len(triples) == 1 else None
    if term is None or term.kind not in ("iri", "literal"):
        raise CskgError(
            f"{text!r} is not a value: give a prefixed name (agency:miit), an <IRI> or a "
            'literal in Turtle form ("2014"^^xsd:gYear, "text"@en, 42)'
        )
    return term


def bind(query: LibraryQuery, values: Mapping[str, str | Term]) -> dict[str, Term]:
    """The terms for the parameters `query` declares, from `values` (each text read by
    `parse_value`, or a `Term`); a `CskgError` for a parameter it does not declare, one it
    declares that has no value, or a value that is not a term."""
    declared = {p.name: p for p in query.params}
    unknown = sorted(set(values) - set(declared))
    if unknown:
        offered = ", ".join(declared) or "none"
        raise CskgError(f"{query.name} has no parameter {unknown[0]!r} (its parameters: {offered})")
    missing = [p for p in query.params if p.name not in values]
    if missing:
        first = missing[0]
        what = f" ({first.description})" if first.description else ""
        example = first.example or "VALUE"
        raise CskgError(
            f"{query.name} needs a value for {first.name}{what}: --param {first.name}={example}"
        )
    bound = {}
    for name, value in values.items():
        try:
            bound[name] = value if isinstance(value, Term) else parse_value(value)
        except CskgError as error:
            raise CskgError(f"parameter {name}: {error}") from None
    return bound


def with_values(text: str, bindings: Mapping[str, Term]) -> str:
    """`text` with `bindings` as a VALUES block opening its WHERE group: for an endpoint (the
    protocol has no substitution) and for the text people read and edit (`example_text`). Each
    value is written from the parsed term, never the caller's text (`_written`); the group is
    found by reading the query's tokens (`cskg.query.text.tokens`): the first `{` outside every
    bracket after the query form (after WHERE for CONSTRUCT, whose template comes first). A
    group that is a sub-query is wrapped.

    The block is joined with the rest of the group, as a hand-written `VALUES ?entity { … }`
    would be: for a parameter used in the group's triple patterns, as the library's
    parametrised queries use theirs, the rows the embedded engines' substitution gives. (A
    trailing VALUES clause, joined after the whole pattern, made Virtuoso 7 give rows that do
    not bind the parameter where the pattern BINDs it.)
    """
    if not bindings:
        return text
    if "\\u" in text or "\\U" in text:  # token offsets are those of the decoded text
        raise CskgError("a query with \\u escapes cannot take parameters on an endpoint")
    listed = list(tokens(text))
    opening = _where_group(listed)
    if opening is None:
        raise CskgError("the query has no WHERE group to bind its parameters in")
    closing = next(t for t in listed[opening + 1 :] if t.text == "}" and t.depth == 0)
    names = " ".join(f"?{name}" for name in bindings)
    values = " ".join(_written(term) for term in bindings.values())
    block = f" VALUES ({names}) {{ ({values}) }} "
    at, end = listed[opening].start + 1, closing.start
    nxt = listed[opening + 1]
    if nxt.kind == "word" and nxt.text.upper() == "SELECT":  # a group that is one sub-query
        return f"{text[:at]}{block}{{{text[at:end]}}}{text[end:]}"
    return f"{text[:at]}{block}{text[at:]}"


def _written(term: Term) -> str:
    """A bound value as the VALUES block writes it: an IRI by its prefixed name where one is
    valid SPARQL (the project's prefixes are declared wherever the query runs), else the
    term's N-Triples form."""
    return (term.kind == "iri" and prefixed_name(term.value)) or term.n3()


def _where_group(listed: list[Token]) -> int | None:
    """The index of the `{` that opens the query's WHERE group, among its tokens."""
    outer = [(i, t) for i, t in enumerate(listed) if t.depth == 0]
    form = next((t.text.upper() for _, t in outer if t.text.upper() in QUERY_FORMS), None)
    after_where = form == "CONSTRUCT"
    for index, token in outer:
        if token.kind == "word" and token.text.upper() == "WHERE":
            after_where = False
        elif token.text == "{" and form and not after_where:
            return index
    return None
