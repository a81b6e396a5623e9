"""SHACL validation with pyrudof (default) or pyshacl (reference), normalised to one report.

Both engines validate the same single data graph: the union of the ontology, every data graph
and the inferred triples (so `sh:targetClass` and `sh:class` see the inferred types). Their
results are normalised to `cskg.build.report.Result`s. Blank-node shapes (property shapes written
`sh:property [ ... ]`) keep their labels: pyrudof is fed the shapes as N-Triples with the labels
of the shapes graph, and pyshacl gets the graph itself.

The message of a result is the shape's own `sh:message` when it has one (English preferred),
otherwise the engine's text.

pyrudof reads its input from a string, a file path *or a URL*; to be sure it never reaches out,
it is only ever given the path of a temporary file this module wrote.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cskg.build.registry import lookup
from cskg.build.report import Result, ValidationReport, rdflib_node, short_name, sort_key
from cskg.errors import CskgError
from cskg.vocab import RDF, RDFS, RDFS_LABEL, SH, XSD, XSD_STRING

if TYPE_CHECKING:
    import rdflib

__all__ = ["ENGINES", "VALIDATORS", "ValidationReport", "Validator", "validate"]


class Validator(Protocol):
    """A SHACL engine: the results of one data graph against the shapes, as the engine gives
    them (`validate` adds the shapes' own messages and the labels)."""

    @property
    def name(self) -> str: ...

    @property
    def needs_graph(self) -> bool:
        """Whether it reads the data as an rdflib Graph rather than as N-Triples."""
        ...

    def results(
        self, data: rdflib.Graph | None, shapes: rdflib.Graph, data_nt: bytes, shapes_nt: bytes
    ) -> tuple[bool, list[Result]]: ...


def validate(
    data_graph: rdflib.Graph | None,
    shapes_graph: rdflib.Graph,
    engine: str | Validator = "pyrudof",
    *,
    data_ntriples: bytes | None = None,
    shapes_ntriples: bytes | None = None,
) -> ValidationReport:
    """Validate `data_graph` (one merged graph) against `shapes_graph`.

    A caller that has the same graphs as N-Triples already (with the same blank-node labels)
    may pass them: pyrudof then reads those instead of a conversion of the rdflib graphs, and
    `data_graph` may be None (it is made from the N-Triples only if the report names nodes
    whose labels it should show).
    """
    validator = validator_named(engine) if isinstance(engine, str) else engine
    if data_graph is None and (data_ntriples is None or validator.needs_graph):
        raise ValueError("validate needs the data graph, or pyrudof and its N-Triples")
    if data_ntriples is None and not validator.needs_graph:
        data_ntriples = _ntriples(data_graph)  # type: ignore[arg-type]
    if shapes_ntriples is None and not validator.needs_graph:
        shapes_ntriples = _ntriples(shapes_graph)
    conforms, results = validator.results(
        data_graph, shapes_graph, data_ntriples or b"", shapes_ntriples or b""
    )
    report = ValidationReport(conforms=conforms, engine=validator.name)
    report.results = _with_shape_messages(results, shapes_graph)
    if report.results:
        if data_graph is None:
            import pyoxigraph as ox

            from cskg.build.sources import triples_to_graph

            data_graph = triples_to_graph(ox.parse(data_ntriples, format=ox.RdfFormat.N_TRIPLES))
        _describe(report, data_graph, shapes_graph)
    return report


def validator_named(name: str) -> Validator:
    """The validator registered as `name`; ValueError for an unknown one."""
    return lookup(VALIDATORS, name, "SHACL engine")


def _ntriples(graph: rdflib.Graph) -> bytes:
    """N-Triples of an rdflib graph, via pyoxigraph (fast), blank-node labels kept."""
    import pyoxigraph as ox

    from cskg.build.sources import graph_to_triples, serialized

    return serialized(graph_to_triples(graph), ox.RdfFormat.N_TRIPLES)


# -- pyrudof --------------------------------------------------------------------------------------


class Pyrudof:
    """pyrudof (Rust): reads the data and shapes as N-Triples from files this module wrote."""

    name = "pyrudof"
    needs_graph = False

    def results(
        self, data: rdflib.Graph | None, shapes: rdflib.Graph, data_nt: bytes, shapes_nt: bytes
    ) -> tuple[bool, list[Result]]:
        import pyrudof

        rudof = pyrudof.Rudof(pyrudof.RudofConfig())
        strict = pyrudof.ReaderMode.Strict
        with tempfile.TemporaryDirectory(prefix="cskg-shacl-") as tmp:
            data_file, shapes_file = Path(tmp) / "data.nt", Path(tmp) / "shapes.nt"
            data_file.write_bytes(data_nt)
            shapes_file.write_bytes(shapes_nt)
            try:
                rudof.read_data(
                    str(data_file), format=pyrudof.RDFFormat.NTriples, reader_mode=strict
                )
                rudof.read_shacl(
                    str(shapes_file), format=pyrudof.ShaclFormat.NTriples, reader_mode=strict
                )
                report = rudof.validate_shacl()
            except pyrudof.RudofError as error:  # malformed shapes, mostly
                raise CskgError(f"SHACL validation failed (pyrudof): {error}") from None
        results = [
            Result(
                focus_node=_rudof_node(entry.focus_node) or "",
                result_path=_rudof_node(entry.path),
                value=_rudof_node(entry.value),
                source_shape=_rudof_node(entry.source_shape) or "",
                constraint_component=str(entry.constraint_component).strip("<>"),
                severity=SH + str(entry.severity),
                message=_rudof_message(entry.message),
            )
            for entry in report
        ]
        return bool(report.conforms), results


def _rudof_node(text: str | None) -> str | None:
    """pyrudof prints IRIs bare, blank nodes as `_:x`, literals in N-Triples-like syntax."""
    if text is None or text == "":
        return None
    if text.startswith(("_:", "<")):
        return text
    if text.startswith('"'):
        return _rudof_literal(text)
    return f"<{text}>"


_RUDOF_PREFIXES = {"xsd": XSD, "rdf": RDF, "rdfs": RDFS}


def _rudof_literal(text: str) -> str:
    """pyrudof writes datatypes as `xsd:integer`; rewrite the literal as N-Triples."""
    from rdflib import Literal

    match = re.fullmatch(r'"(.*)"(?:@([A-Za-z0-9-]+)|\^\^(\S+))?', text, flags=re.S)
    if not match:
        return text
    lexical, language, datatype = match.groups()
    lexical = lexical.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
    if datatype:
        if datatype.startswith("<"):
            datatype = datatype[1:-1]
        elif ":" in datatype:
            prefix, local = datatype.split(":", 1)
            datatype = _RUDOF_PREFIXES.get(prefix, prefix + ":") + local
        if datatype == XSD_STRING:
            datatype = None
    return str(Literal(lexical, lang=language, datatype=datatype).n3())


def _rudof_message(text: str | None) -> str:
    # e.g. '"MinCount(1) not satisfied", "need a name"@en': the first literal is the engine's
    if not text:
        return ""
    from rdflib.util import from_n3

    first = text.split('", ', 1)[0] + ('"' if '", ' in text else "")
    try:
        return str(from_n3(first))
    except Exception:  # keep the engine's text as it is
        return text


# -- pyshacl --------------------------------------------------------------------------------------


class Pyshacl:
    """pySHACL (Python, the reference): validates the rdflib graphs themselves."""

    name = "pyshacl"
    needs_graph = True

    def results(
        self, data: rdflib.Graph | None, shapes: rdflib.Graph, data_nt: bytes, shapes_nt: bytes
    ) -> tuple[bool, list[Result]]:
        import pyshacl
        from rdflib import Namespace

        assert data is not None, "pyshacl reads the data graph"
        sh = Namespace(SH)
        conforms, report, _ = pyshacl.validate(
            data,
            shacl_graph=shapes,
            advanced=True,
            inference="none",
            allow_warnings=True,
            abort_on_first=False,
        )

        def n3(node: rdflib.term.Node | None) -> str | None:
            return None if node is None else str(node.n3())

        results = []
        for node in report.objects(None, sh.result):
            messages = list(report.objects(node, sh.resultMessage))
            results.append(
                Result(
                    focus_node=n3(report.value(node, sh.focusNode)) or "",
                    result_path=n3(report.value(node, sh.resultPath)),
                    value=n3(report.value(node, sh.value)),
                    source_shape=n3(report.value(node, sh.sourceShape)) or "",
                    constraint_component=str(report.value(node, sh.sourceConstraintComponent)),
                    severity=str(report.value(node, sh.resultSeverity)),
                    message=str(messages[-1]) if messages else "",
                )
            )
        return bool(conforms), results


#: the SHACL engines by name, the default first
VALIDATORS: dict[str, Validator] = {"pyrudof": Pyrudof(), "pyshacl": Pyshacl()}
ENGINES = tuple(VALIDATORS)


# -- the report's messages and labels -----------------------------------------------------------


def _with_shape_messages(raw: list[Result], shapes: rdflib.Graph) -> list[Result]:
    """The results, each once, with the shape's own `sh:message` where it has one."""
    from rdflib import Namespace

    sh = Namespace(SH)
    out: set[Result] = set()
    for r in raw:
        try:
            own = list(shapes.objects(rdflib_node(r.source_shape), sh.message))
        except Exception:  # an unparsable shape name has no sh:message
            own = []
        if own:
            r = dataclasses.replace(r, message=_preferred(own, ("en", None)))
        out.add(r)
    return sorted(out, key=sort_key)


def _describe(report: ValidationReport, data: rdflib.Graph, shapes: rdflib.Graph) -> None:
    """Labels of the nodes the report names, and owners of blank property shapes."""
    from rdflib import Literal, Namespace, URIRef

    sh = Namespace(SH)
    nodes = {n for r in report.results for n in (r.focus_node, r.value) if n}
    for text in nodes:
        try:
            node = rdflib_node(text)
        except Exception:
            continue
        if isinstance(node, Literal):
            continue
        labels = list(data.objects(node, URIRef(RDFS_LABEL)))
        if labels:
            report.labels[text] = _preferred(labels, ("en",))
    for shape_text in {r.source_shape for r in report.results}:
        try:
            shape = rdflib_node(shape_text)
        except Exception:
            continue
        owner = shapes.value(predicate=sh.property, object=shape)
        path = shapes.value(shape, sh.path)
        if owner is not None and shape_text.startswith("_:"):
            shown = short_name(owner.n3())
            report.shape_owner[shape_text] = (
                f"{shown} / {short_name(path.n3())}" if path is not None else shown
            )


def _preferred(texts: list[rdflib.term.Node], languages: tuple[str | None, ...]) -> str:
    """The first of `texts` in one of `languages` (None: no language tag), else the first."""
    chosen = [t for t in texts if getattr(t, "language", None) in languages]
    return str(min(chosen or texts, key=str))
