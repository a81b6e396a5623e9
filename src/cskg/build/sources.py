"""Read the project's sources safely: the ontology, the shapes and the facts under `data/`.

Parsing is done by pyoxigraph, which is fast and reports exact positions; rdflib terms are made
only where a caller needs them. Parsing is *safe*: only Turtle, TriG, N-Triples and N-Quads are
accepted, so nothing can make the parser reach out (there are no remote JSON-LD contexts, no XML
entities); `owl:imports` is data, never followed; relative IRIs are an error rather than being
resolved against a `file:` base.

Where the quads go:

* `ontology/cskg.ttl` → the graph `https://w3id.org/cskg/graph/ontology`;
* `data/**/*.trig` → the named graphs as written; triples a TriG file leaves in its default
  graph, and every triple of a `data/**/*.ttl` file, go in the graph
  `https://w3id.org/cskg/graph/data/{path relative to data/, without extension}` (what an IRI
  may not hold percent-encoded: `my notes.ttl` → `my%20notes`), so that no statement of the
  release floats in an anonymous default graph;
* `ontology/shapes/*.ttl` → one shapes graph, kept apart from the data.

Files are read as UTF-8 (a byte order mark is dropped); one that is binary or in another
encoding is reported at its first such byte.

Blank-node labels are renamed file by file, so `_:b0` in two files are two nodes, and the same
sources give the same labels (the release is reproducible byte for byte).
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import pyoxigraph as ox

from cskg import __version__
from cskg.errors import CskgError, SourceSyntaxError
from cskg.vocab import GRAPH_DATA, GRAPH_ONTOLOGY, ONTOLOGY, OWL, PREFIXES, XSD_STRING

if TYPE_CHECKING:
    import rdflib

#: The serialisations accepted, by file extension. Deliberately no JSON-LD and no RDF/XML.
FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
}


@dataclass
class Sources:
    """The parsed sources, as pyoxigraph quads."""

    quads: list[ox.Quad] = field(default_factory=list)  # ontology + data, each in its graph
    shapes: list[ox.Triple] = field(default_factory=list)


def display_path(path: Path) -> str:
    """The path as an editor wants it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _syntax_error(path: Path, error: SyntaxError) -> SourceSyntaxError:
    # pyoxigraph's SyntaxError carries 1-based (line, column in characters) of where the error
    # starts; its message repeats them ("Parser error at line 3 between columns 16 and 20: ..."),
    # so keep only the part after the position.
    message = str(error.msg)
    if message.startswith("Parser error") and ": " in message:
        message = message.split(": ", 1)[1]
    return SourceSyntaxError(display_path(path), error.lineno, error.offset, _visible(message))


def _visible(text: str) -> str:
    """The text on one line with invisible characters spelt out (`\\u200b`, `\\n`)."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


BOM = b"\xef\xbb\xbf"


def read_source(path: Path) -> bytes:
    """The bytes of an input file, a UTF-8 byte order mark dropped (editors on Windows write
    one). CskgError naming the file when it cannot be read: a folder, missing, no permission."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise CskgError(f"{display_path(path)}: is a folder, not a file") from None
    except FileNotFoundError:
        raise CskgError(f"{display_path(path)}: no such file") from None
    except OSError as error:
        raise CskgError(f"{display_path(path)}: cannot read: {error.strerror}") from None
    return data.removeprefix(BOM)


def read_text(path: Path) -> str:
    """An input text file (a query), as `read_source` reads it, decoded as UTF-8."""
    data = read_source(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise not_text(path, data) or CskgError(f"{display_path(path)}: not UTF-8") from None


def not_text(path: Path, data: bytes) -> SourceSyntaxError | None:
    """The error for a file that is not UTF-8 text (binary data, another encoding), at the first
    byte that shows it; None for UTF-8 text."""
    nul = data.find(b"\0")
    try:
        data.decode("utf-8")
        bad = -1
    except UnicodeDecodeError as error:
        bad = error.start
    if nul >= 0 and (bad < 0 or nul < bad):
        at, why = nul, "binary data, not text (a NUL byte)"
    elif bad >= 0:
        at, why = bad, f"not UTF-8 text (byte 0x{data[bad]:02X}); save the file as UTF-8"
    else:
        return None
    line_start = data.rfind(b"\n", 0, at) + 1
    column = len(data[line_start:at].decode("utf-8", "replace")) + 1
    return SourceSyntaxError(display_path(path), data.count(b"\n", 0, at) + 1, column, why)


def parse_file(
    path: Path, graph: str | None = None, blank_prefix: str | None = None
) -> list[ox.Quad]:
    """Parse one Turtle/TriG/N-Triples/N-Quads file into quads.

    Triples in the default graph go into `graph` when it is given (else they stay in the
    default graph). Blank nodes are labelled `{blank_prefix}b{n}` (default prefix: from a hash
    of the path). Raises `SourceSyntaxError` with the exact 1-based line and column.
    """
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise CskgError(
            f"{display_path(path)}: unsupported file type {path.suffix or '(none)'!r}; "
            f"use one of {', '.join(FORMATS)}"
        )
    data = read_source(path)
    target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    prefix = blank_prefix or "f" + hashlib.sha1(str(path).encode()).hexdigest()[:8]
    labels: dict[ox.BlankNode, ox.BlankNode] = {}

    def relabel(term: ox.BlankNode) -> ox.BlankNode:
        # blank nodes numbered in order of appearance, per file: distinct across files and
        # the same from one build to the next (pyoxigraph's own renaming is random)
        node = labels.get(term)
        if node is None:
            node = labels[term] = ox.BlankNode(f"{prefix}b{len(labels)}")
        return node

    # `type(x) is` rather than isinstance: this loop runs once per quad of the corpus
    blank, named = ox.BlankNode, ox.NamedNode
    try:
        quads: list[ox.Quad] = []
        keep = quads.append
        for q in ox.parse(data, format=fmt):
            if type(q.graph_name) is named and (
                type(q.subject) is not blank and type(q.object) is not blank
            ):
                keep(q)  # nothing to rename: the parser's quad as it is (the common case)
                continue
            s, o, g = q.subject, q.object, q.graph_name
            if type(s) is blank:
                s = relabel(s)
            if type(o) is blank:
                o = relabel(o)
            if type(g) is not named:
                g = target
            keep(ox.Quad(s, q.predicate, o, g))
        return quads
    except SyntaxError as error:  # binary or not UTF-8: said so, rather than the parser's guess
        raise not_text(path, data) or _syntax_error(path, error) from None
    except ValueError as error:  # e.g. a quad in a Turtle file parsed as N-Quads
        message = _visible(str(error))
        problem = not_text(path, data)
        raise problem or SourceSyntaxError(display_path(path), None, None, message) from None


def data_graph_for(path: Path, data_dir: Path) -> str:
    """The graph of the triples a data file leaves in its default graph."""
    relative = path.relative_to(data_dir).with_suffix("")
    return GRAPH_DATA + iri_path(relative.as_posix())


_IRI_PATH_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/")


def iri_path(text: str) -> str:
    """A file path as the path of an IRI: what an IRI may not hold (spaces, controls, `<>"{}|\\^`,
    `%`, `?`, `#`) percent-encoded as UTF-8; letters of every script kept as they are."""
    return "".join(
        c
        if c in _IRI_PATH_CHARACTERS or (not c.isascii() and c.isprintable())
        else quote(c.encode("utf-8", "surrogateescape"), safe="")
        for c in text
    )


def source_files(root: Path) -> tuple[Path, list[Path], list[Path]]:
    """(ontology file, data files, shape files) of a project, in a stable order."""
    ontology = root / "ontology" / "cskg.ttl"
    if not ontology.is_file():
        raise CskgError(f"{display_path(ontology)}: no ontology (is {root} the project folder?)")
    data_dir = root / "data"
    data = sorted(
        (p for p in data_dir.rglob("*") if p.suffix in (".trig", ".ttl") and p.is_file()),
        key=lambda p: p.relative_to(data_dir).as_posix(),
    )
    shapes = sorted((root / "ontology" / "shapes").glob("*.ttl"))
    return ontology, data, shapes


def load_sources(root: Path) -> Sources:
    """Parse every source of the project at `root` (see the module docstring)."""
    root = Path(root)
    ontology, data, shape_files = source_files(root)
    out = Sources()
    out.quads.extend(parse_file(ontology, GRAPH_ONTOLOGY, "o"))
    for i, path in enumerate(data):
        out.quads.extend(parse_file(path, data_graph_for(path, root / "data"), f"d{i}x"))
    for i, path in enumerate(shape_files):
        out.shapes.extend(q.triple for q in parse_file(path, None, f"s{i}x"))
    return out


def stamp_version(quads: list[ox.Quad]) -> list[ox.Quad]:
    """Set owl:versionInfo and owl:versionIRI of the ontology from the package version."""
    ontology, graph = ox.NamedNode(ONTOLOGY), ox.NamedNode(GRAPH_ONTOLOGY)
    version_info, version_iri = ox.NamedNode(OWL + "versionInfo"), ox.NamedNode(OWL + "versionIRI")
    kept = [
        q
        for q in quads
        if not (q.subject == ontology and q.predicate in (version_info, version_iri))
    ]
    if not any(q.subject == ontology for q in kept):
        return kept
    at = max(i for i, q in enumerate(kept) if q.subject == ontology) + 1
    stamps = [
        ox.Quad(ontology, version_info, ox.Literal(__version__), graph),
        ox.Quad(ontology, version_iri, ox.NamedNode(f"{ONTOLOGY}/{__version__}"), graph),
    ]
    return kept[:at] + stamps + kept[at:]


def load_extra(paths: Iterable[Path]) -> list[ox.Quad]:
    """Parse files an analyst adds on top of the release (`cskg validate FILES`).

    Their default-graph triples go in `graph/data/{file stem}`.
    """
    quads: list[ox.Quad] = []
    for i, path in enumerate(map(Path, paths)):
        quads.extend(parse_file(path, GRAPH_DATA + iri_path(path.stem), f"x{i}x"))
    return quads


def load_dump(path: Path) -> list[ox.Quad]:
    """Read a release dump (`cskg.nq` or `cskg.trig`)."""
    return parse_file(Path(path), None, "r")


# -- pyoxigraph <-> rdflib -----------------------------------------------------------------------


def serialized(
    items: Iterable[ox.Triple] | Iterable[ox.Quad],
    rdf_format: ox.RdfFormat,
    prefixes: dict[str, str] | None = None,
) -> bytes:
    """Triples or quads written in `rdf_format`, as bytes."""
    data = ox.serialize(items, format=rdf_format, prefixes=prefixes)
    assert data is not None  # given no output file, pyoxigraph returns the bytes
    return data


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> rdflib.term.Node:
    """One pyoxigraph term as an rdflib term (xsd:string literals become plain literals)."""
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Triple):
        raise TypeError(f"a quoted triple has no rdflib term: {term}")
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    return Literal(term.value, datatype=None if datatype == XSD_STRING else datatype)


def to_oxigraph(term: rdflib.term.Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """One rdflib term as a pyoxigraph term."""
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def rdflib_triples(
    triples: Iterable[ox.Triple | ox.Quad], cache: dict[object, rdflib.term.Node] | None = None
) -> list[tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node]]:
    """The distinct triples as (s, p, o) tuples of rdflib terms (graph names are dropped).

    `cache` maps pyoxigraph terms to the rdflib terms made for them; a caller converting many
    graphs that share terms passes the same dictionary each time."""
    if cache is None:
        cache = {}

    def conv(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> rdflib.term.Node:
        node = cache.get(term)
        if node is None:
            node = cache[term] = to_rdflib(term)
        return node

    out = {(conv(t.subject), conv(t.predicate), conv(t.object)): None for t in triples}
    return list(out)


def triples_to_graph(
    triples: Iterable[ox.Triple | ox.Quad], cache: dict[object, rdflib.term.Node] | None = None
) -> rdflib.Graph:
    """An rdflib Graph of the triples (graph names, if any, are dropped: a merge)."""
    from rdflib import Graph

    graph = Graph()
    add = graph.add
    for triple in rdflib_triples(triples, cache):
        add(triple)
    return graph


def graph_to_triples(graph: Iterable[tuple]) -> Iterator[ox.Triple]:
    """rdflib triples as pyoxigraph triples."""
    for s, p, o in graph:
        # an rdflib triple's subject is never a literal, nor its predicate
        yield ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o))  # type: ignore[arg-type]


def shapes_graph(triples: Sequence[ox.Triple]) -> rdflib.Graph:
    """The shapes as an rdflib Graph, with the project's prefixes bound."""
    graph = triples_to_graph(triples)
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph
