"""The Python API in a notebook: typed DataFrames, short reprs, HTML tables, parametrised
library queries on every engine (the embedded ones and `cskg serve` over HTTP)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import REAL_ROOT

from cskg import api
from cskg.errors import CskgError
from cskg.query.library import find, parse_value
from cskg.query.model import Term
from cskg.query.results import compact

QUERIES = REAL_ROOT / "queries"
MIIT = "https://w3id.org/cskg/id/agency/miit"
XSD = "http://www.w3.org/2001/XMLSchema#"


def test_services_gap_has_float_shares_and_an_integer_year(release: Path) -> None:
    result = api.query("services-gap", dist=release, root=REAL_ROOT)
    frame = result.to_pandas()
    assert list(frame.columns) == result.variables
    assert str(frame["year"].dtype) == "Int64"
    for share in ("chinaService", "globalService2014", "gapPoints"):
        assert frame[share].dtype == "float64"
    # the values are those of the terms, read as numbers
    assert frame["gapPoints"].tolist() == [float(row[4].value) for row in result.rows]
    assert frame["year"].tolist() == [int(row[0].value) for row in result.rows]
    assert frame["status"].tolist() == [compact(row[1].value) for row in result.rows]


def test_every_datatype_family_gets_its_column_type(release: Path) -> None:
    result = api.query(
        "SELECT ?n ?d ?b ?day ?when ?year ?text ?mixed WHERE { VALUES (?n ?d ?b ?day ?when "
        '?year ?text ?mixed) { (7 "2.5"^^xsd:decimal true "2014-05-01"^^xsd:date '
        '"2015-01-02T03:04:05"^^xsd:dateTime "2016"^^xsd:gYear "网络"@zh agency:miit) '
        '(UNDEF 1 false UNDEF UNDEF "2017"^^xsd:gYear "x" "2") } } ORDER BY ?b',
        dist=release,
    )
    frame = result.to_pandas()
    dtypes = {name: str(dtype) for name, dtype in frame.dtypes.items()}
    assert dtypes["n"] == "Int64" and dtypes["b"] == "boolean" and dtypes["year"] == "Int64"
    assert dtypes["d"] == "float64"  # an integer among decimals: all floats
    assert dtypes["day"].startswith("datetime64") and dtypes["when"].startswith("datetime64")
    rows = frame.to_dict("records")  # ORDER BY ?b: false first
    assert frame["n"].isna().tolist() == [True, False] and rows[1]["n"] == 7
    assert rows[1]["d"] == 2.5 and rows[0]["d"] == 1.0
    assert rows[1]["day"] == pd.Timestamp("2014-05-01") and pd.isna(rows[0]["day"])
    assert rows[1]["when"] == pd.Timestamp("2015-01-02 03:04:05")
    assert [r["year"] for r in rows] == [2017, 2016]
    assert [r["text"] for r in rows] == ["x", "网络"]  # the language tag left out
    assert [r["mixed"] for r in rows] == ["2", "agency:miit"]  # an IRI among literals: text
    full = result.to_pandas(iris="full").to_dict("records")
    assert full[1]["mixed"] == MIIT


def test_iris_come_prefixed_or_in_full(release: Path) -> None:
    result = api.query("agency-activities", dist=release, root=REAL_ROOT)
    iris = [(i, t) for row in result.rows for i, t in enumerate(row) if t and t.kind == "iri"]
    assert len(iris) > 10
    prefixed, full = result.to_pandas(), result.to_pandas(iris="full")
    rows = list(result)
    for column, term in iris[:50]:
        name = result.variables[column]
        index = next(i for i, row in enumerate(rows) if row[name] == term)
        assert prefixed.iloc[index][name] == compact(term.value)
        assert full.iloc[index][name] == term.value
    with pytest.raises(CskgError, match="iris='short'"):
        result.to_pandas(iris="short")


def test_len_iteration_repr_and_html(release: Path) -> None:
    result = api.query("causal-claims", dist=release, root=REAL_ROOT)
    assert len(result) == len(result.rows) > 50
    rows = list(result)
    assert rows[0] == dict(zip(result.variables, result.rows[0], strict=True))
    text = repr(result)
    assert len(text) < 500 and text.startswith("<Result select") and f"{len(result)} rows" in text
    html = result._repr_html_()
    assert html.count("<tr>") == 1 + 50  # the header and the first 50 rows
    assert f"… {len(result) - 50} more rows" in html
    graph = api.query("CONSTRUCT WHERE { agency:miit ?p ?o }", dist=release)
    assert len(graph) == len(graph.triples) > 0
    assert next(iter(graph)) == dict(
        zip(("subject", "predicate", "object"), graph.triples[0], strict=True)
    )
    asked = api.query("ASK { agency:miit a cskg:Agency }", dist=release)
    assert asked.to_pandas()["boolean"].tolist() == [True] and "True" in repr(asked)


def test_html_escapes_what_the_data_holds(release: Path) -> None:
    result = api.query("SELECT ?x WHERE { BIND ('<script>alert(1)</script>' AS ?x) }", dist=release)
    html = result._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_other_results_have_short_reprs_and_tables(release: Path, tmp_path: Path) -> None:
    built = api.build(REAL_ROOT, out=tmp_path / "dist")
    assert len(repr(built)) < 500 and str(built.counts["triples"]) in repr(built)
    assert f"<td>{built.counts['triples']}</td>" in built._repr_html_()
    described = api.describe("agency:miit", dist=release)
    assert len(repr(described)) < 500 and "agency:miit" in repr(described)
    rows = len(described.types) + len(described.outgoing) + len(described.incoming)
    assert described._repr_html_().count("<tr>") == 1 + min(rows, 50)
    report = api.validate(dist=release)
    assert repr(report).startswith("<ValidationReport conforms")
    unnamed = tmp_path / "unnamed.ttl"
    unnamed.write_text(
        "<https://w3id.org/cskg/id/policy/unnamed> a <https://w3id.org/cskg/ontology#Policy> .\n",
        encoding="utf-8",
    )
    report = api.validate([unnamed], dist=release)
    assert repr(report).startswith("<ValidationReport does not conform") and len(repr(report)) < 500
    html = report._repr_html_()
    assert len(report.results) > 0 and html.count("<tr>") == 1 + len(report.results)
    assert all(r.focus_node.endswith("/policy/unnamed>") for r in report.results)
    assert "<td>policy:unnamed</td>" in html  # the focus node, by its prefixed name
    stats = api.stats(release)
    assert len(repr(stats)) < 500 and str(sum(n for _, n in stats.graphs)) in repr(stats)
    assert stats._repr_html_().count("<table>") == 3


# -- parametrised queries -------------------------------------------------------------------


def _rows(result: object, drop: str | None = None) -> set[tuple[Term | None, ...]]:
    return {tuple(v for k, v in row.items() if k != drop) for row in result}  # type: ignore[attr-defined]


def _hand_written(value: str) -> str:
    """entity-evidence.rq, whose VALUES line names agency:miit: the same question written out
    with the value in the text."""
    text = find(QUERIES, "entity-evidence").text
    assert "VALUES ?entity { agency:miit }" in text
    return text.replace("VALUES ?entity { agency:miit }", f"VALUES ?entity {{ {value} }}")


@pytest.mark.parametrize("engine", ["oxigraph", "oxigraph-memory", "rdflib"])
@pytest.mark.parametrize("value", ["agency:miit", f"<{MIIT}>", '"2014"^^xsd:gYear'])
def test_a_parameter_gives_the_rows_of_the_hand_written_query(
    release: Path, engine: str, value: str
) -> None:
    bound = api.query(
        "about-entity", params={"entity": value}, dist=release, root=REAL_ROOT, engine=engine
    )
    written = api.query(_hand_written(value), dist=release, engine=engine)
    assert len(bound) > 0
    assert _rows(bound, drop="entity") == _rows(written)
    assert {row["entity"] for row in bound} == {parse_value(value)}


def test_a_parameter_on_an_endpoint_gives_the_same_rows(release: Path, server: str) -> None:
    for value in ("agency:miit", '"2014"^^xsd:gYear'):
        remote = api.query(
            "about-entity",
            params={"entity": value},
            root=REAL_ROOT,
            endpoint=server + "/sparql",
        )
        local = api.query("about-entity", params={"entity": value}, dist=release, root=REAL_ROOT)
        assert len(remote) > 0 and _rows(remote) == _rows(local)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "about-entity needs a value for entity"),
        ({"entity": "agency:miit", "year": "2014"}, "has no parameter 'year'"),
        ({"entity": "?x"}, "parameter entity: '?x' is not a value"),
        ({"entity": "agency:miit . <a> <b> <c>"}, "is not a value"),
        ({"entity": "nosuchprefix:x"}, "is not a value"),
        ({"entity": "_:b"}, "is not a value"),
    ],
)
def test_a_wrong_parameter_is_one_sentence(release: Path, params: dict, message: str) -> None:
    with pytest.raises(CskgError, match=message.replace("?", r"\?")) as raised:
        api.query("about-entity", params=params, dist=release, root=REAL_ROOT)
    assert "\n" not in str(raised.value)


def test_cli_param_binds_and_refuses_bad_input(release: Path) -> None:
    def cskg(*args: str) -> subprocess.CompletedProcess[str]:
        command = [
            sys.executable,
            "-m",
            "cskg.cli",
            "--root",
            str(REAL_ROOT),
            "--dist",
            str(release),
        ]
        return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120)

    bound = cskg("query", "about-entity", "--param", "entity=agency:miit", "--format", "csv")
    written = cskg("query", "-e", _hand_written("agency:miit"), "--format", "csv")
    assert bound.returncode == 0 == written.returncode
    bound_rows = [line.split(",", 1)[1] for line in bound.stdout.splitlines()[1:]]
    assert sorted(bound_rows) == sorted(written.stdout.splitlines()[1:])
    for bad in (["--param", "entity"], ["--param", "entity=?x"], ["--param", "who=agency:miit"]):
        failed = cskg("query", "about-entity", *bad)
        assert failed.returncode == 2 and failed.stdout == ""
        assert failed.stderr.startswith("cskg: error: ") and failed.stderr.count("\n") == 1
