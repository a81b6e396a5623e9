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
