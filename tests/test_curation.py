"""Curating the graph: a fact added as the README's "How to add a fact" says validates and builds.

The build and `cskg validate` check the data part by part (`cskg.build.partition`); a fact added
on its own makes a part of its own, in which the shapes that name the paper's tables and counts
(`sh:targetNode`) must not look for them, while a real violation in the same file is still found.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import REAL_ROOT

from cskg.build.partition import Parts, split_parts, targets_left_out
from cskg.cli import main
from cskg.vocab import SH

PREFIXES = """\
@prefix cskg: <https://w3id.org/cskg/ontology#> .
@prefix agency: <https://w3id.org/cskg/id/agency/> .
@prefix ent: <https://w3id.org/cskg/id/enterprise/> .
@prefix policy: <https://w3id.org/cskg/id/policy/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""
CURATION = "<https://w3id.org/cskg/graph/curation>"
AGENCY = 'agency:test-bureau a cskg:Agency ; rdfs:label "Test Bureau"@en , "测试局"@zh .'
ADDED = {
    "unlinked-agency": AGENCY,
    "blank-node": AGENCY + ' [] rdfs:comment "a remark of the curators"@en .',
    "list": AGENCY
    + " agency:test-bureau rdfs:seeAlso ( <http://example.org/a> <http://example.org/b> ) .",
    "enterprise-linked-to-a-policy": 'ent:test-co a cskg:Enterprise ; rdfs:label "Test Co."@en ,'
    ' "测试公司"@zh ; cskg:relatesTo policy:12th-fyp-information-security-industry-plan .',
}


def curation_file(folder: Path, statements: str) -> Path:
    path = folder / "curation-test.trig"
    path.write_text(f"{PREFIXES}{CURATION} {{\n{statements}\n}}\n", encoding="utf-8")
    return path


def validate(release: Path, path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["--dist", str(release), "validate", str(path)])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(ADDED))
def test_an_added_fact_validates(
    name: str, release: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = validate(release, curation_file(tmp_path, ADDED[name]), capsys)
    assert code == 0, out
    assert "Conforms" in out


def test_a_real_violation_beside_it_is_still_found(
    release: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the same new agency, and one with a Chinese name only: the English label is required
    unnamed = 'agency:unnamed-bureau a cskg:Agency ; rdfs:label "无名局"@zh .'
    code, out = validate(release, curation_file(tmp_path, AGENCY + " " + unnamed), capsys)
    assert code == 1
    assert "agency:unnamed-bureau" in out
    assert "Table 1" not in out and "142" not in out  # nothing about what the file did not touch


def test_the_release_builds_with_an_added_fact(tmp_path: Path) -> None:
    project = tmp_path / "project"
    for folder in ("ontology", "data", "queries"):
        shutil.copytree(REAL_ROOT / folder, project / folder)
    curation_file(project / "data", ADDED["list"])
    assert main(["--root", str(project), "build", "-q"]) == 0
    dump = (project / "dist" / "cskg.nq").read_text(encoding="utf-8")
    assert "<https://w3id.org/cskg/id/agency/test-bureau>" in dump


# -- the rule itself, on small parts -------------------------------------------------------------

ID = "https://w3id.org/cskg/id/"
EV = "https://w3id.org/cskg/graph/evidence/"


def quad(s: str, p: str, o: str, g: str) -> ox.Quad:
    return ox.Quad(ox.NamedNode(s), ox.NamedNode(p), ox.NamedNode(o), ox.NamedNode(g))


def targeting(*nodes: str) -> list[ox.Triple]:
    shape = ox.NamedNode("urn:shape")
    return [ox.Triple(shape, ox.NamedNode(SH + "targetNode"), ox.NamedNode(n)) for n in nodes]


def test_a_target_is_looked_at_in_the_part_that_holds_it_and_an_orphan_in_the_first() -> None:
    table, orphan = ID + "dataset/table-1", ID + "dataset/table-9"
    link = "https://w3id.org/cskg/ontology#mentions"
    parts = split_parts(
        [
            quad(EV + "a", link, ID + "policy/p", EV + "a"),  # part 0: paper A
            quad(EV + "b", link, table, EV + "b"),  # part 1: paper B holds the table
            quad(ID + "agency/x", link, ID + "agency/y", CURATION[1:-1]),  # part 2: a lone fact
        ]
    )
    assert len(parts.groups) == 3
    left_out = targets_left_out(parts, targeting(table, orphan))
    assert left_out == [frozenset({table}), frozenset({orphan}), frozenset({table, orphan})]


def test_an_entity_linked_to_two_papers_joins_them_in_one_part() -> None:
    table = ID + "dataset/table-1"
    link = "https://w3id.org/cskg/ontology#mentions"
    parts = split_parts(
        [
            quad(EV + "a", link, table, EV + "a"),
            quad(EV + "b", link, ID + "policy/p", EV + "b"),
            quad(ID + "enterprise/e", link, table, CURATION[1:-1]),
            quad(ID + "enterprise/e", link, ID + "policy/p", CURATION[1:-1]),
        ]
    )
    assert len(parts.groups) == 1
    assert targets_left_out(parts, targeting(table)) == [frozenset()]


def test_without_targeted_shapes_nothing_is_left_out() -> None:
    parts = Parts(base=[], groups=[[], []])
    assert targets_left_out(parts, []) == [frozenset(), frozenset()]


# -- exact to the paper ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence", ["mobile-internet-new-battlefield", "mobile-internet-security-scope"]
)
def test_the_sentences_before_a_closing_citation_carry_it(sentence: str, release: Path) -> None:
    # §4.2.2: "Mobile internet has become ... mobile environments. The polices of the MIIT ...
    # mobile application programs [5]." — the run of sentences rests on reference [5]
    store = ox.Store.read_only(str(release / "store"))
    cited = store.query(
        f"SELECT ?ref WHERE {{ <{EV}{sentence}> <https://w3id.org/cskg/ontology#cites> ?ref }}"
    )
    assert [row["ref"].value for row in cited] == ["https://w3id.org/cskg/id/reference/5"]


# -- dates of any precision, as intervals ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "datatype", "days"),
    [
        ("2011", "gYear", ("2011-01-01", "2011-12-31")),
        ("2014-02", "gYearMonth", ("2014-02-01", "2014-02-28")),
        ("2016-02", "gYearMonth", ("2016-02-01", "2016-02-29")),
        ("2015-07-06", "date", ("2015-07-06", "2015-07-06")),
        ("2014-13", "gYearMonth", None),
    ],
)
def test_a_date_stands_for_its_days(value: str, datatype: str, days: tuple[str, str]) -> None:
    from cskg.build.dates import first_and_last_day

    literal = ox.Literal(
        value, datatype=ox.NamedNode(f"http://www.w3.org/2001/XMLSchema#{datatype}")
    )
    assert first_and_last_day(literal) == days


def test_an_end_date_gives_the_latest_day() -> None:
    from cskg.build.dates import date_bounds

    cskg, xsd = "https://w3id.org/cskg/ontology#", "http://www.w3.org/2001/XMLSchema#"
    plan, target = ox.NamedNode(ID + "policy/plan"), ox.NamedNode(ID + "policy/target")
    year = ox.NamedNode(xsd + "gYear")
    bounds = date_bounds(
        [
            ox.Triple(plan, ox.NamedNode(cskg + "date"), ox.Literal("2011", datatype=year)),
            ox.Triple(plan, ox.NamedNode(cskg + "endDate"), ox.Literal("2015", datatype=year)),
            ox.Triple(target, ox.NamedNode(cskg + "endDate"), ox.Literal("2015", datatype=year)),
        ]
    )
    found = {(t.subject.value, t.predicate.value[len(cskg) :], t.object.value) for t in bounds}
    assert found == {
        (plan.value, "earliest", "2011-01-01"),
        (plan.value, "latest", "2015-12-31"),
        (target.value, "latest", "2015-12-31"),
    }


def test_a_range_filter_keeps_every_precision(release: Path) -> None:
    store = ox.Store.read_only(str(release / "store"))
    prefix = "PREFIX cskg: <https://w3id.org/cskg/ontology#> "
    prefix += "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "

    def things(where: str) -> set[str]:
        return {row["x"].value for row in store.query(prefix + f"SELECT ?x WHERE {{ {where} }}")}

    dated = things("?x cskg:date ?d")
    since_2014 = things('?x cskg:earliest ?e FILTER(?e >= "2014-01-01"^^xsd:date)')
    by_year = things('?x cskg:date ?d FILTER(?d >= "2014"^^xsd:gYear)')
    # the gYear comparison silently drops the months; the days keep them all
    assert by_year < since_2014 < dated
    assert ID + "policy/12th-fyp-information-security-industry-plan" in dated - since_2014
    assert ID + "event/establishment-of-the-leading-group-office" in since_2014 - by_year


# -- every name in Chinese -----------------------------------------------------------------------

NAMES = (
    "<http://www.w3.org/2000/01/rdf-schema#label>|<http://www.w3.org/2004/02/skos/core#prefLabel>"
)


def release_store(release: Path) -> ox.Store:
    store = ox.Store()
    store.bulk_load(path=str(release / "cskg.nq"), format=ox.RdfFormat.N_QUADS)
    return store


def test_every_english_name_has_a_chinese_one(release: Path) -> None:
    """Every entity, class, property, concept, claim, observation and section named in English
    is named in Chinese too, so that `--lang zh` pictures and pages are Chinese throughout."""
    rows = release_store(release).query(
        f"""SELECT DISTINCT ?s WHERE {{
          GRAPH ?g {{ ?s {NAMES} ?en FILTER(langMatches(lang(?en), "en")) }}
          FILTER(isIRI(?s))
          FILTER NOT EXISTS {{ GRAPH ?h {{ ?s {NAMES} ?zh FILTER(langMatches(lang(?zh), "zh")) }} }}
        }} ORDER BY ?s"""
    )
    assert [row["s"].value for row in rows] == []


def test_chinese_names_are_editorial_official_or_translated(release: Path) -> None:
    """The paper is read in English: a Chinese name is never its evidence. Official names sit in
    the curation graph, the curators' translations in the translations graph, the ontology's
    own names in the ontology; the three never disagree on a thing's Chinese name."""
    store = release_store(release)
    graphs = store.query(
        f"""SELECT DISTINCT ?g WHERE {{
          GRAPH ?g {{ ?s {NAMES} ?zh FILTER(langMatches(lang(?zh), "zh")) }} }}"""
    )
    kinds = {row["g"].value.rsplit("/", 1)[-1] for row in graphs}
    assert kinds == {"curation", "translations", "ontology"}
    twice = store.query(
        f"""SELECT ?s WHERE {{
          GRAPH <https://w3id.org/cskg/graph/curation> {{ ?s {NAMES} ?a }}
          GRAPH <https://w3id.org/cskg/graph/translations> {{ ?s {NAMES} ?b }}
          FILTER(langMatches(lang(?a), "zh") && langMatches(lang(?b), "zh"))
        }}"""
    )
    assert [row["s"].value for row in twice] == []


# -- every sentence states what it says ---------------------------------------------------------

PREFIXES_SPARQL = """\
PREFIX cskg: <https://w3id.org/cskg/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX ev: <https://w3id.org/cskg/graph/evidence/>
PREFIX term: <https://w3id.org/cskg/id/concept/term/>
"""


def ask(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    rows = store.query(PREFIXES_SPARQL + query)
    return [tuple(term.value if term else "" for term in row) for row in rows]


def test_every_sentence_states_something_of_its_own(release: Path) -> None:
    """A sentence's evidence graph says more than that things exist and are loosely linked: a
    heading names what it heads (its label); a sentence that quotes a table points at the
    table's observations; every other sentence has a statement of its own."""
    silent = ask(
        release_store(release),
        """SELECT ?g WHERE {
          ?g a cskg:Evidence .
          FILTER(!STRSTARTS(STR(?g), STR(ev:heading-)))
          FILTER NOT EXISTS {
            GRAPH ?g { ?s ?p ?o }
            FILTER(?s != ?g || ?p = dcterms:references)
            FILTER(?p NOT IN (rdf:type, rdfs:label, skos:prefLabel, skos:altLabel, skos:inScheme,
                              cskg:relatesTo))
          }
        } ORDER BY ?g""",
    )
    assert silent == []


#: sentences that once said nothing of their own or only in a neighbour's summary: what their
#: own evidence graph now states (a property and a word of its value)
OWN_STATEMENTS = {
    "scope-industrial-chain-levels": ("skos:note", "many participants"),
    "industry-faces-various-challenges": ("cskg:summary", "faces various challenges"),
    "transition-to-service-providers": ("cskg:prioritises", "service-industry"),
    "government-prioritises-industry": ("cskg:prioritises", "cyberspace-security-industry"),
    "integration-general-direction": ("cskg:summary", "general direction of development"),
    "autonomously-controllable-not-popular": ("cskg:summary", "popularity and recognition"),
    "hardware-and-software-not-integrated": ("cskg:summary", "not sufficiently integrated"),
    "leaders-lead-weak-eliminated": ("cskg:summary", "lead position"),
}


@pytest.mark.parametrize("graph", sorted(OWN_STATEMENTS))
def test_a_sentence_states_what_it_says(graph: str, release: Path) -> None:
    prop, words = OWN_STATEMENTS[graph]
    values = ask(
        release_store(release), f"SELECT ?o WHERE {{ GRAPH ev:{graph} {{ ?s {prop} ?o }} }}"
    )
    assert any(words in value for (value,) in values), values


def test_no_summary_sits_in_a_heading_or_borrows_the_next_sentence(release: Path) -> None:
    """A heading's summary gathers its whole subsection: editorial, in the curation graph. And
    no sentence's summary says what only the next sentence says (the words of the next
    sentences of the cases once found)."""
    store = release_store(release)
    in_headings = ask(
        store,
        """SELECT ?s WHERE { GRAPH ?g { ?s cskg:summary ?x }
             FILTER(STRSTARTS(STR(?g), STR(ev:heading-))) }""",
    )
    assert in_headings == []
    headed = ask(
        store,
        """SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s rdfs:label ?name }
             FILTER(?s != ?g && STRSTARTS(STR(?g), STR(ev:heading-))) }""",
    )
    curated = ask(
        store,
        "SELECT ?s WHERE { GRAPH <https://w3id.org/cskg/graph/curation> { ?s cskg:summary ?x } }",
    )
    assert set(headed) <= set(curated)
    borrowed = {
        "mobile-internet-new-battlefield": "equipment",
        "security-and-big-data-mutually-support": "products",
        "software-hardware-developed-separately": "optimi",
        "industry-prosperous-market-competition": "eliminated",
        "demands-provided-incentives": "2011",
    }
    for graph, word in borrowed.items():
        summaries = ask(store, f"SELECT ?o WHERE {{ GRAPH ev:{graph} {{ ?s cskg:summary ?o }} }}")
        assert summaries and not [s for (s,) in summaries if word in s], graph


def test_the_demands_not_the_plan_drive_the_rapid_development(release: Path) -> None:
    """§3.1: "With it [the plan], ... demands ... have provided incentives for the rapid
    development": the causes of the sentence's claims are the three demands, not the plan."""
    causes = ask(
        release_store(release),
        """SELECT ?cause WHERE { GRAPH ev:demands-provided-incentives {
             ?claim a cskg:CausalClaim ; cskg:cause ?cause } }""",
    )
    assert len(causes) == 3
    assert all("/concept/driver/" in cause for (cause,) in causes)
    enabled = ask(
        release_store(release),
        """SELECT ?o WHERE { GRAPH ev:demands-provided-incentives { ?s cskg:enabled ?o } }""",
    )
    assert enabled == []


# -- named relations, dates as stated, establishment ---------------------------------------------


def test_named_relations_keep_the_generic_link_inferred(release: Path) -> None:
    """The seven leading enterprises of §3.2 are the alliance's members; the Internet giants
    entered by shareholding or acquisition; each specific link is still a cskg:relatesTo in
    the inferred graph, so queries on the generic link lose nothing."""
    store = release_store(release)
    leading = ask(
        store, "SELECT ?e WHERE { GRAPH ?g { ?c cskg:leadingEnterprise ?e } } ORDER BY ?e"
    )
    members = ask(store, "SELECT ?e WHERE { GRAPH ?g { ?a org:hasMember ?e } } ORDER BY ?e")
    assert leading == members and len(leading) == 7
    entrants = ask(store, "SELECT ?e WHERE { GRAPH ?g { ?c cskg:entrantByAcquisition ?e } }")
    assert {e.rsplit("/", 1)[-1] for (e,) in entrants} == {"tencent", "alibaba", "baidu"}
    specific = ask(
        store,
        """SELECT ?s ?o WHERE { GRAPH ?g { ?s ?p ?o }
             VALUES ?p {
               cskg:leadingEnterprise cskg:entrantByAcquisition cskg:actor cskg:field } }""",
    )
    generic = set(
        ask(
            store,
            """SELECT ?s ?o WHERE {
                 GRAPH <https://w3id.org/cskg/graph/inferred> { ?s cskg:relatesTo ?o } }""",
        )
    )
    assert specific and set(specific) <= generic


def test_a_date_keeps_the_papers_words_and_an_agency_reaches_its_establishment(
    release: Path,
) -> None:
    store = release_store(release)
    stated = ask(
        store,
        """SELECT ?words ?quote WHERE {
             GRAPH ?g { ?s cskg:dateAsStated ?words . ?g cskg:quote ?quote } }""",
    )
    assert stated and all(words in quote for words, quote in stated)
    established = ask(
        store,
        """SELECT ?agency ?date WHERE { GRAPH ?a { ?agency a cskg:Agency }
             GRAPH ?g { ?agency org:resultedFrom ?event } GRAPH ?h { ?event cskg:date ?date } }""",
    )
    assert (
        "https://w3id.org/cskg/id/agency/office-of-the-central-leading-group-for-cyberspace-affairs",
        "2014-02",
    ) in established
