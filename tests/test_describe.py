"""`cskg describe`: finding an entity by IRI, prefixed name or label, and what it prints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import named_quads
from minirelease import write_release

from cskg.cli import main
from cskg.query.describe import AmbiguousTerm, describe, resolve
from cskg.query.engines import EmbeddedStore

MIIT = "https://w3id.org/cskg/id/agency/miit"
PLAN = "https://w3id.org/cskg/id/policy/plan"
QUOTE = "The MIIT issued the plan, which enabled the rapid growth of the industry."


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_release(tmp_path_factory.mktemp("release") / "dist")


@pytest.fixture(scope="module")
def store(dist: Path) -> EmbeddedStore:
    return EmbeddedStore(dist / "store")


@pytest.mark.parametrize(
    "term",
    [
        MIIT,
        f"<{MIIT}>",
        "agency:miit",
        "工业和信息化部",
        "ministry of industry and information technology",
        "miit",  # skos:altLabel, any case
    ],
)
def test_resolve_forms(store, term):
    assert resolve(store, term) == MIIT


def test_ambiguous_label_lists_candidates(store):
    with pytest.raises(AmbiguousTerm) as caught:
        resolve(store, "g-cloud")
    assert [iri for iri, _ in caught.value.candidates] == [
        "https://w3id.org/cskg/id/enterprise/g-cloud-technology",
        "https://w3id.org/cskg/id/product/g-cloud-os",
    ]
    assert caught.value.exit_code == 2


def test_unknown_label_suggests_closest(store):
    with pytest.raises(AmbiguousTerm) as caught:
        resolve(store, "Ministry of Industry and Informaton Technology")
    assert caught.value.candidates == [(MIIT, "Ministry of Industry and Information Technology")]
    with pytest.raises(AmbiguousTerm):
        resolve(store, "agency:no-such-agency")


def test_description_matches_the_store(dist, store):
    description = describe(store, "agency:miit")
    raw = ox.Store.read_only(str(dist / "store"))
    node = ox.NamedNode(MIIT)
    # every quad with the entity as subject, minus rdf:type, is one (statement, graph) pair
    expected = {
        (q.predicate.value, str(q.object), q.graph_name.value)
        for q in named_quads(raw, node)
        if q.predicate.value != "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    }
    shown = {
        (s.property.value, s.value.n3(), source.graph)
        for s in description.outgoing
        for source in s.sources
    }
    assert shown == expected
    assert {t.value.value for t in description.types} == {
        "https://w3id.org/cskg/ontology#Agency",
        "http://www.w3.org/ns/org#Organization",
    }
    inferred = next(t for t in description.types if "org#" in t.value.value)
    assert [s.kind for s in inferred.sources] == ["inferred"]
    [incoming] = description.incoming
    assert (incoming.property.value, incoming.value.value) == (
        "https://w3id.org/cskg/ontology#issuedBy",
        PLAN,
    )
    assert incoming.sources[0].section == "2.1" and incoming.sources[0].quote == QUOTE


def test_text_output(capsys, dist):
    assert main(["--dist", str(dist), "describe", "工业和信息化部"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"agency:miit  <{MIIT}>"
    assert "  rdfs:label     “工业和信息化部”@zh  editorial" in lines
    assert "  org:Organization  inferred" in lines
    assert "  cskg:issuedBy  ← policy:plan (Development plan)  [1]" in lines
    assert lines[-2:] == ["  [1] §2.1 ev:miit-plan", f"      “{QUOTE}”"]


def test_json_output(capsys, dist):
    assert main(["--dist", str(dist), "describe", "product:g-cloud-os", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["iri"] == "https://w3id.org/cskg/id/product/g-cloud-os"
    developed = next(s for s in data["outgoing"] if s["property"].endswith("#developedBy"))
    assert developed["value"] == "https://w3id.org/cskg/id/enterprise/g-cloud-technology"
    [source] = developed["sources"]
    assert source["kind"] == "evidence" and source["section"] == "3.3"
    assert source["quote"].startswith("The G-Cloud Technology and the Cloud Computing Center")
    alt = next(s for s in data["outgoing"] if s["property"].endswith("#altLabel"))
    assert (alt["value"], alt["lang"], alt["sources"][0]["kind"]) == ("G-Cloud", "en", "editorial")
    assert data["names"]["https://w3id.org/cskg/id/enterprise/g-cloud-technology"] == (
        "G-Cloud Technology"
    )


def test_chinese_names_with_lang_zh(capsys, dist):
    assert main(["--dist", str(dist), "describe", "product:g-cloud-os", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "cskg:developedBy  ent:g-cloud-technology (中云融汇)  [1]" in out


def test_cli_errors(capsys, dist):
    assert main(["--dist", str(dist), "describe", "G-Cloud"]) == 2
    err = capsys.readouterr().err
    assert "'G-Cloud' names 2 entities" in err
    assert "  ent:g-cloud-technology  G-Cloud Technology" in err
    assert "  product:g-cloud-os  G-Cloud cloud operating system" in err
    assert main(["--dist", str(dist), "describe", "Minstry of Industry"]) == 2
    assert "agency:miit  Ministry of Industry and Information Technology" in capsys.readouterr().err


def test_subprocess(dist):
    done = subprocess.run(
        [sys.executable, "-m", "cskg.cli", "--dist", str(dist), "describe", "MIIT"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"agency:miit  <{MIIT}>\n")


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Loongsun", "https://w3id.org/cskg/id/enterprise/loongson-technology"),  # as printed
        ("loongson technology", "https://w3id.org/cskg/id/enterprise/loongson-technology"),
        ("龙芯", "https://w3id.org/cskg/id/enterprise/loongson-technology"),
        ("工业和信息化部", "https://w3id.org/cskg/id/agency/miit"),
    ],
)
def test_real_release_finds_entities_by_part_of_a_label(release, term, expected):
    """The paper's misspelling, a label's first words, and part of a Chinese name all resolve."""
    with EmbeddedStore(release / "store") as real:
        assert resolve(real, term) == expected


def test_real_release_partial_label_shared_by_several_is_ambiguous(release):
    with EmbeddedStore(release / "store") as real, pytest.raises(AmbiguousTerm) as raised:
        resolve(real, "Software Co")  # China Standard Software Co., Beijing VRV Software Co.
    named = {iri for iri, _ in raised.value.candidates}
    assert "https://w3id.org/cskg/id/enterprise/china-standard-software" in named
    assert "https://w3id.org/cskg/id/enterprise/beijing-vrv-software" in named
