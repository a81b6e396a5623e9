"""The SHACL shapes (ontology/shapes/*.ttl).

- every shapes file is a well-formed shapes graph (W3C SHACL-for-SHACL);
- the real data (ontology + every data graph + the OWL 2 RL inferred triples, merged into one
  graph) conforms, with pyrudof (the fast engine) and pyshacl (the reference);
- copies of the real data with one targeted mistake are reported by both engines with the same
  focus node, constraint component, shape and analyst-readable message;
- the self-contained cases of tests/shapes_cases/ give the results they declare;
- two checks SHACL cannot make on the graph alone: every quote occurs in the paper, and every
  cskg: term used anywhere is declared by the ontology.

Inference: the merged graph includes the instance-level OWL 2 RL entailments computed by
`cskg.build.reason.infer` with the `reasonable` engine (inverse and super-properties such as the
cskg:contributedTo implied by cskg:enabled, transitive cskg:partOf, types from domains and
ranges). The shapes do not depend on inferred types: sh:targetClass and sh:class follow
rdfs:subClassOf in the merged graph, which holds the ontology.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pyrudof
import pyshacl
import pytest
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import PROV, RDF

from cskg.build.reason import infer
from cskg.build.sources import load_sources, triples_to_graph

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY_FILE = ROOT / "ontology" / "cskg.ttl"
SHAPES_DIR = ROOT / "ontology" / "shapes"
DATA_DIR = ROOT / "data"
QUERIES_DIR = ROOT / "queries"
CASES_DIR = Path(__file__).resolve().parent / "shapes_cases"
PAPER_FILE = ROOT / "source" / "paper.txt"

SH = Namespace("http://www.w3.org/ns/shacl#")
DASH = Namespace("http://datashapes.org/dash#")
CSKG = Namespace("https://w3id.org/cskg/ontology#")
CSKGSH = Namespace("https://w3id.org/cskg/shapes#")
QB = Namespace("http://purl.org/linked-data/cube#")
# A plain Namespace: rdflib's closed XSD namespace warns when pytest probes module attributes.
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
ID = "https://w3id.org/cskg/id/"

# The number of files in tests/shapes_cases/: a case that fails to be collected fails this count.
EXPECTED_CASE_COUNT = 24

# pyrudof 0.3.35 reports its own fixed text instead of the shape's sh:message for these
# components ("OR not satisfied", "Unique lang failed ..."); for them the analyst message is
# the sh:message of the result's source shape, which is why every shape has an IRI.
PYRUDOF_OWN_MESSAGE = {"OrConstraintComponent", "UniqueLangConstraintComponent"}


# -- Graphs -----------------------------------------------------------------------------------


def shapes_graph(files: Iterable[Path] | None = None) -> Graph:
    g = Graph()
    for path in sorted(files if files is not None else SHAPES_DIR.glob("*.ttl")):
        g.parse(path, format="turtle")
    return g


def plain(term: object) -> object:
    """RDF 1.1: "x" and "x"^^xsd:string are one term; rdflib keeps them apart, so make it one."""
    if isinstance(term, Literal) and term.datatype == XSD.string:
        return Literal(str(term))
    return term


def asserted_graph() -> Graph:
    """The ontology and every graph of the data, merged into one graph as the build does."""
    return triples_to_graph(load_sources(ROOT).quads)


def merged_data_graph(edit: Callable[[Graph], None] | None = None) -> Graph:
    """What is validated: asserted triples (after `edit`, if any) plus the inferred ones."""
    g = asserted_graph()
    if edit is not None:
        edit(g)
        for s, p, o in list(g):
            if plain(o) != o:
                g.remove((s, p, o))
                g.add((s, p, plain(o)))
    for triple in infer(g, "reasonable"):
        g.add(triple)
    return g


# -- Engines ----------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Result:
    focus: str
    component: str  # local name, e.g. "MinCountConstraintComponent"
    shape: str  # the source shape's IRI (blank nodes never occur: every shape has an IRI)
    message: str  # the analyst message


def shape_messages(shapes: Graph, shape: str) -> set[str]:
    return {str(m) for m in shapes.objects(URIRef(shape), SH.message)}


def run_pyrudof(data: Graph, shapes: Graph) -> list[Result]:
    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    rudof.read_data(data.serialize(format="nt"), format=pyrudof.RDFFormat.NTriples)
    rudof.read_shacl(shapes.serialize(format="turtle"))
    results = []
    for entry in rudof.validate_shacl():
        component = entry.constraint_component.rsplit("#", 1)[1]
        raw = entry.message or ""
        # an untagged message comes back in quotes, inner quotes unescaped
        message = raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] == '"' else raw
        if component in PYRUDOF_OWN_MESSAGE:
            (message,) = shape_messages(shapes, entry.source_shape)
        results.append(Result(entry.focus_node, component, entry.source_shape, message))
    return sorted(results)


def run_pyshacl(data: Graph, shapes: Graph) -> list[Result]:
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    results = []
    for node in report.objects(None, SH.result):
        results.append(
            Result(
                str(report.value(node, SH.focusNode)),
                str(report.value(node, SH.sourceConstraintComponent)).rsplit("#", 1)[1],
                str(report.value(node, SH.sourceShape)),
                str(report.value(node, SH.resultMessage)),
            )
        )
    return sorted(results)


ENGINES = {"pyrudof": run_pyrudof, "pyshacl": run_pyshacl}


# -- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return shapes_graph()


@pytest.fixture(scope="module")
def baseline(shapes: Graph) -> dict[str, list[Result]]:
    data = merged_data_graph()
    return {name: run(data, shapes) for name, run in ENGINES.items()}


# -- The shapes are well-formed ---------------------------------------------------------------


def shacl_shacl() -> Graph:
    g = Graph()
    g.parse(
        data=resources.files("pyshacl").joinpath("assets/shacl-shacl.ttl").read_text("utf-8"),
        format="turtle",
    )
    return g


@pytest.mark.parametrize("path", sorted(SHAPES_DIR.glob("*.ttl")), ids=lambda p: p.name)
def test_shapes_file_passes_shacl_for_shacl(path: Path) -> None:
    conforms, _, text = pyshacl.validate(
        shapes_graph([path]), shacl_graph=shacl_shacl(), inference="none"
    )
    assert conforms, text
    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    rudof.read_data(path.read_text("utf-8"))
    rudof.read_shacl(shacl_shacl().serialize(format="turtle"))
    report = rudof.validate_shacl()
    assert [(e.focus_node, e.constraint_component) for e in report] == []
    assert report.conforms


def test_shacl_for_shacl_rejects_a_broken_shape() -> None:
    broken = Graph().parse(
        data="""
            @prefix sh: <http://www.w3.org/ns/shacl#> .
            @prefix ex: <https://example.org/> .
            ex:S a sh:PropertyShape ; sh:minCount "one" .
        """,
        format="turtle",
    )
    conforms, _, _ = pyshacl.validate(broken, shacl_graph=shacl_shacl(), inference="none")
    assert not conforms


def test_shapes_files_cover_the_themes() -> None:
    assert sorted(p.name for p in SHAPES_DIR.glob("*.ttl")) == [
        "core.ttl",
        "provenance.ttl",
        "tables.ttl",
    ]


def test_every_shape_is_named_documented_and_has_a_message(shapes: Graph) -> None:
    RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
    problems = []
    for shape in set(shapes.subjects(RDF.type, SH.NodeShape)) | set(
        shapes.subjects(RDF.type, SH.PropertyShape)
    ):
        if not isinstance(shape, URIRef) or not shape.startswith(CSKGSH):
            problems.append(f"{shape}: not a cskgsh: IRI")
            continue
        if shapes.value(shape, SH.name) is None and shapes.value(shape, RDFS.label) is None:
            problems.append(f"{shape}: no sh:name or rdfs:label")
        if shapes.value(shape, RDFS.comment) is None:
            problems.append(f"{shape}: no rdfs:comment")
        constraints = list(shapes.objects(shape, SH.sparql))
        if (
            shapes.value(shape, SH.message) is None
            and not constraints
            and ((shape, RDF.type, SH.PropertyShape) in shapes)
        ):
            problems.append(f"{shape}: no sh:message")
        for constraint in constraints:
            if shapes.value(constraint, SH.message) is None:
                problems.append(f"{constraint}: no sh:message")
            if shapes.value(constraint, SH.prefixes) is None:
                problems.append(f"{constraint}: no sh:prefixes")
    assert problems == []


# -- The real data conforms -------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_real_data_conforms(baseline: dict[str, list[Result]], engine: str) -> None:
    assert baseline[engine] == []


def test_engines_agree_on_real_data(baseline: dict[str, list[Result]]) -> None:
    assert baseline["pyrudof"] == baseline["pyshacl"]


def test_real_data_is_large_enough_to_mean_something() -> None:
    g = merged_data_graph()
    assert len(set(g.subjects(RDF.type, QB.Observation))) == 33
    assert len(set(g.subjects(RDF.type, CSKG.CausalClaim))) > 0
    assert len(set(g.subjects(RDF.type, CSKG.Evidence))) > 0


# -- Targeted mistakes in a copy of the real data ---------------------------------------------


def obs(slug: str) -> URIRef:
    return URIRef(f"{ID}observation/{slug}")


def policy(slug: str) -> URIRef:
    return URIRef(f"{ID}policy/{slug}")


def replace_value(g: Graph, s: URIRef, p: URIRef, value: object) -> None:
    g.remove((s, p, None))
    g.add((s, p, value))


def growth_message(
    rate: str, printed: str, prev: str, prev_year: str, cur: str, year: str, computed: str
) -> str:
    return (
        f"The growth rate {obs(rate)} is printed as {printed} %, but the market sizes "
        f"{prev} ({prev_year}) and {cur} ({year}) give {computed} %: one of these numbers is wrong."
    )


def wrong_china_2014_sales(g: Graph) -> None:
    # printed 32.128 in the paper; a typo of one digit, in both the value and its printed form
    replace_value(g, obs("t1-china-market-size-2014"), CSKG.marketSize, Literal(Decimal("33.128")))
    replace_value(g, obs("t1-china-market-size-2014"), CSKG.printedValue, Literal("33.128"))


def mix_row_off(g: Graph) -> None:
    replace_value(g, obs("t4-china-service-2016"), CSKG.productShare, Literal(Decimal("9.5")))
    replace_value(g, obs("t4-china-service-2016"), CSKG.printedValue, Literal("9.5"))


def issuer_removed(g: Graph) -> None:
    g.remove((policy("12th-fyp-information-security-industry-plan"), CSKG.issuedBy, None))


CLAIM = URIRef(f"{ID}claim/many-industries-make-coordination-difficult")


def claim_without_evidence(g: Graph) -> None:
    g.remove((CLAIM, PROV.wasDerivedFrom, None))


DRAFT_LAW_EVENT = URIRef(f"{ID}event/publication-of-the-cybersecurity-law-draft")


def date_as_string(g: Graph) -> None:
    replace_value(g, DRAFT_LAW_EVENT, CSKG.date, Literal("2015", datatype=XSD.string))


def market_size_as_string(g: Graph) -> None:
    replace_value(g, obs("t3-china-market-size-2016"), CSKG.marketSize, Literal("50.396"))


def shortcut_removed(g: Graph) -> None:
    g.remove((URIRef(f"{ID}problem/field-spans-many-industries"), CSKG.contributedTo, None))


def shortcut_without_claim(g: Graph) -> None:
    g.add(
        (
            policy("made-in-china-2025"),
            CSKG.enabled,
            URIRef(f"{ID}change/domestic-substitution-in-critical-fields"),
        )
    )


def status_wrong(g: Graph) -> None:
    replace_value(g, obs("t3-china-market-size-2017"), CSKG.observationStatus, CSKG.actual)


SH_NAME = str(CSKGSH)
TABLE_4 = f"{ID}dataset/table-4"
CHINA = f"{ID}concept/area/china"

NEGATIVE_CASES: dict[str, tuple[Callable[[Graph], None], set[Result]]] = {
    "wrong number in Table 1 breaks the 2014 and 2015 growth rates": (
        wrong_china_2014_sales,
        {
            Result(
                str(obs("t1-china-growth-rate-2014")),
                "SPARQLConstraintComponent",
                SH_NAME + "GrowthRateShape",
                growth_message(
                    "t1-china-growth-rate-2014", "21.0", "26.552", "2013", "33.128", "2014", "24.77"
                ),
            ),
            Result(
                str(obs("t3-china-growth-rate-2015")),
                "SPARQLConstraintComponent",
                SH_NAME + "GrowthRateShape",
                growth_message(
                    "t3-china-growth-rate-2015", "24.0", "33.128", "2014", "39.839", "2015", "20.26"
                ),
            ),
        },
    ),
    "product-mix row not summing to 100": (
        mix_row_off,
        {
            Result(
                TABLE_4,
                "SPARQLConstraintComponent",
                SH_NAME + "DataSetShape",
                f"In {TABLE_4}, the product shares for {CHINA} in 2016 add up to 101.0 %, "
                "not 100 %: one of the printed shares is wrong.",
            ),
        },
    ),
    "policy with its issuer removed": (
        issuer_removed,
        {
            Result(
                str(policy("12th-fyp-information-security-industry-plan")),
                "SPARQLConstraintComponent",
                SH_NAME + "PolicyShape",
                f"The policy {policy('12th-fyp-information-security-industry-plan')} does "
                "not say where it comes from: add who issued it (cskg:issuedBy) or proposed "
                "it (cskg:proposedBy), the event that published it (event cskg:concerns the "
                "policy), or the policy it is part of (cskg:partOf).",
            ),
        },
    ),
    "causal claim without evidence": (
        claim_without_evidence,
        {
            Result(
                str(CLAIM),
                "MinCountConstraintComponent",
                SH_NAME + "ClaimEvidence",
                "A causal claim must say which sentence of the paper states it: add "
                "prov:wasDerivedFrom with the evidence graph (ev:...).",
            ),
        },
    ),
    "date typed xsd:string": (
        date_as_string,
        {
            Result(
                str(DRAFT_LAW_EVENT),
                "OrConstraintComponent",
                SH_NAME + "DateDatatype",
                'A date (cskg:date) must be typed as a day ("2015-07-01"^^xsd:date), a month '
                '("2015-07"^^xsd:gYearMonth) or a year ("2015"^^xsd:gYear).',
            ),
        },
    ),
    "market size as a string": (
        market_size_as_string,
        {
            Result(
                str(obs("t3-china-market-size-2016")),
                "DatatypeConstraintComponent",
                SH_NAME + "MarketSizeValue",
                "A market size (cskg:marketSize) must be one number typed xsd:decimal, e.g. "
                "32.128; the text as printed goes in cskg:printedValue.",
            ),
            # and a string is not the number its printed value gives
            Result(
                str(obs("t3-china-market-size-2016")),
                "SPARQLConstraintComponent",
                SH_NAME + "ObservationShape",
                f'The observation {obs("t3-china-market-size-2016")} is printed as "50.396" '
                f"but its {CSKG.marketSize} value is different: the two must be the same number.",
            ),
        },
    ),
    "realised claim without its shortcut triple": (
        shortcut_removed,
        {
            Result(
                str(CLAIM),
                "SPARQLConstraintComponent",
                SH_NAME + "CausalClaimShape",
                f"The claim {CLAIM} is realised, but the direct statement "
                f"{ID}problem/field-spans-many-industries {CSKG.contributedTo} "
                f"{ID}problem/coordination-difficult is missing: add it to the claim's "
                "evidence graph.",
            ),
        },
    ),
    "cskg:enabled triple without a realised claim": (
        shortcut_without_claim,
        {
            Result(
                str(policy("made-in-china-2025")),
                "SPARQLConstraintComponent",
                SH_NAME + "ShortcutShape",
                f"{policy('made-in-china-2025')} {relation} "
                f"{ID}change/domestic-substitution-in-critical-fields is stated as a fact, "
                "but no realised causal claim backs it: add a cskg:CausalClaim with "
                "cskg:modality cskg:realised and its evidence, or remove the statement if the "
                "paper only expects or proposes it.",
            )
            # the inferred super-property triple is reported too
            for relation in (CSKG.enabled, CSKG.contributedTo)
        },
    ),
    "forecast table with an actual status": (
        status_wrong,
        {
            Result(
                str(obs("t3-china-market-size-2017")),
                "SPARQLConstraintComponent",
                SH_NAME + "ObservationShape",
                f"The observation {obs('t3-china-market-size-2017')} of {ID}dataset/table-3 "
                f"has status {CSKG.actual}: Tables 1 and 2 are actual figures (cskg:actual), "
                "Tables 3 and 4 are predictions (cskg:forecast).",
            ),
        },
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", NEGATIVE_CASES)
def test_targeted_mistake_is_reported(
    shapes: Graph, baseline: dict[str, list[Result]], case: str
) -> None:
    """The default validator, one mistake at a time: exactly the results the mistake causes."""
    edit, expected = NEGATIVE_CASES[case]
    results = set(run_pyrudof(merged_data_graph(edit), shapes))
    assert results - set(baseline["pyrudof"]) == expected
    assert set(baseline["pyrudof"]) - results == set()


@pytest.mark.slow
def test_the_reference_validator_reports_every_targeted_mistake(
    shapes: Graph, baseline: dict[str, list[Result]]
) -> None:
    """The reference validator (pyshacl, some 17 s over the whole data), every mistake at once:
    exactly the union of the results each one causes (the mistakes touch different nodes, so
    none hides another; a case that did would show here as a missing result)."""

    def every_mistake(graph: Graph) -> None:
        for edit, _ in NEGATIVE_CASES.values():
            edit(graph)

    results = set(run_pyshacl(merged_data_graph(every_mistake), shapes))
    expected = set().union(*(results for _, results in NEGATIVE_CASES.values()))
    assert results - set(baseline["pyshacl"]) == expected
    assert set(baseline["pyshacl"]) - results == set()


# -- Self-contained cases ---------------------------------------------------------------------

CASE_FILES = sorted(CASES_DIR.glob("*.ttl"))


def test_case_count() -> None:
    assert len(CASE_FILES) == EXPECTED_CASE_COUNT


def expected_results(case: Graph) -> tuple[bool, Counter[tuple[str, str, str]]]:
    (test,) = case.subjects(RDF.type, DASH.GraphValidationTestCase)
    report = case.value(test, DASH.expectedResult)
    conforms = case.value(report, SH.conforms).toPython()
    results = Counter(
        (
            str(case.value(r, SH.focusNode)),
            str(case.value(r, SH.sourceConstraintComponent)).rsplit("#", 1)[1],
            str(case.value(r, SH.sourceShape)),
        )
        for r in case.objects(report, SH.result)
    )
    return conforms, results


@pytest.fixture(scope="module")
def case_shapes(shapes: Graph) -> Graph:
    """The shapes without their sh:targetNode: the shapes that guard facts of the paper by naming
    its resources (Table 1 has 12 cells, ...) apply to the real data, not to a small case."""
    g = Graph()
    for triple in shapes:
        if triple[1] != SH.targetNode:
            g.add(triple)
    return g


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_shapes_case(case_shapes: Graph, path: Path, engine: str) -> None:
    shapes = case_shapes
    case = Graph().parse(path, format="turtle")
    conforms, expected = expected_results(case)
    results = ENGINES[engine](case, shapes)
    assert Counter((r.focus, r.component, r.shape) for r in results) == expected
    assert (results == []) is conforms
    for r in results:
        # the message is the shape's, or the SPARQL constraint's with its variables filled in
        own = shape_messages(shapes, r.shape)
        assert r.message in own or r.component == "SPARQLConstraintComponent", r
        assert "{" not in r.message and r.message, r


# -- Quotes occur in the paper ----------------------------------------------------------------


def normalise_paper(text: str) -> str:
    """Join line-break hyphenation and collapse whitespace runs.

    A hyphen at the end of a line, the line break and any blank lines or indentation after it
    are removed ("informa-\\ntion", "con-\\n trollable", "re-\\n\\nlated" across a page break).
    """
    return re.sub(r"\s+", " ", re.sub(r"-[ \t]*\n\s*", "", text)).strip()


def quotes_not_in_paper(graph: Graph, paper: str) -> list[tuple[str, str]]:
    text = normalise_paper(paper)
    return sorted(
        (str(ev), str(quote))
        for ev, quote in graph.subject_objects(CSKG.quote)
        if str(quote) not in text
    )


def test_every_quote_occurs_in_the_paper() -> None:
    graph = asserted_graph()
    assert len(set(graph.subjects(CSKG.quote, None))) > 0
    assert quotes_not_in_paper(graph, PAPER_FILE.read_text("utf-8")) == []


def test_a_quote_not_in_the_paper_is_reported_with_its_evidence() -> None:
    paper = "Such threats have catalyzed the global informa-\ntion security\n  industry. Next one."
    graph = Graph()
    good = URIRef("https://w3id.org/cskg/graph/evidence/good")
    bad = URIRef("https://w3id.org/cskg/graph/evidence/bad")
    quote = "Such threats have catalyzed the global information security industry."
    graph.add((good, CSKG.quote, Literal(quote, lang="en")))
    graph.add((bad, CSKG.quote, Literal("Such threats have catalysed the industry.", lang="en")))
    assert quotes_not_in_paper(graph, paper) == [
        (str(bad), "Such threats have catalysed the industry.")
    ]


# -- Every cskg: term is declared -------------------------------------------------------------

PREFIXED = re.compile(r"(?<![\w:/-])cskg:([A-Za-z_][\w-]*)")
FULL = re.compile(r"<https://w3id\.org/cskg/ontology#([^>\s]+)>")


def declared_terms() -> set[str]:
    onto = Graph().parse(ONTOLOGY_FILE, format="turtle")
    return {str(s) for s in onto.subjects(RDF.type, None) if str(s).startswith(str(CSKG))}


def used_terms(path: Path) -> set[str]:
    """cskg: IRIs in an RDF file's triples, and in the text of a query or a SPARQL-based shape."""
    text = path.read_text("utf-8")
    terms = {str(CSKG) + m for m in PREFIXED.findall(text) + FULL.findall(text)}
    if path.suffix in (".ttl", ".trig"):
        ds = Dataset()
        ds.parse(path, format="trig" if path.suffix == ".trig" else "turtle")
        terms |= {
            str(t)
            for quad in ds.quads((None, None, None, None))
            for t in quad[:3]
            if isinstance(t, URIRef) and str(t).startswith(str(CSKG))
        }
    return terms


def undeclared_terms(paths: Iterable[Path], declared: set[str]) -> dict[str, set[str]]:
    found = {}
    for path in paths:
        missing = used_terms(path) - declared
        if missing:
            found[str(path)] = missing
    return found


def test_every_cskg_term_used_is_declared() -> None:
    files = [
        *sorted(DATA_DIR.glob("*.trig")),
        *sorted(SHAPES_DIR.glob("*.ttl")),
        *sorted(QUERIES_DIR.glob("**/*.rq")),
    ]
    assert len(files) > 3
    assert undeclared_terms(files, declared_terms()) == {}


def test_a_misspelt_term_is_reported_with_its_file(tmp_path: Path) -> None:
    source = next(p for p in sorted(DATA_DIR.glob("*.trig")) if "cskg:issuedBy" in p.read_text())
    copy = tmp_path / source.name
    copy.write_text(source.read_text("utf-8").replace("cskg:issuedBy", "cskg:issuedby"), "utf-8")
    assert undeclared_terms([source, copy], declared_terms()) == {
        str(copy): {str(CSKG) + "issuedby"}
    }
