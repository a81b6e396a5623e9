"""`cskg build` and `cskg validate`: the release files, errors, and the atomic swap."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from conftest import REAL_ROOT, named_quads
from rdflib.compare import isomorphic

from cskg import __version__, outdir
from cskg.cli import main
from cskg.vocab import DATA_LICENSE, RELEASE_DATASET, RELEASE_DOWNLOADS
from cskg.vocab import GRAPH_INFERRED as INFERRED_GRAPH
from cskg.vocab import GRAPH_ONTOLOGY as ONTOLOGY_GRAPH

CSKG = "https://w3id.org/cskg/ontology#"
POLICY = "https://w3id.org/cskg/id/policy/"
CHANGE = "https://w3id.org/cskg/id/change/"
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")

BROKEN = """\
@prefix cskg: <https://w3id.org/cskg/ontology#> .
<https://w3id.org/cskg/graph/evidence/x> {
    <https://w3id.org/cskg/id/policy/p> cskg:partOf cskg:a cskg:b .
}
"""


def hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def ask(dist: Path, query: str) -> bool:
    store = ox.Store.read_only(str(dist / "store"))
    return bool(store.query(query))


def run(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cskg.cli", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "CSKG_ROOT"},
    )


@pytest.fixture
def built(mini_root, capsys) -> Path:
    assert main(["--root", str(mini_root), "build", "-q"]) == 0
    capsys.readouterr()
    return mini_root / "dist"


def test_release_files(built, mini_root):
    dist = built
    expected = {
        "cskg.trig",
        "cskg.nq",
        "ontology.ttl",
        "ontology.jsonld",
        "shapes.ttl",
        "validation.ttl",
        "validation.txt",
        "void.ttl",
        "build.json",
        "store",
        ".cskg-output",
    }
    assert {p.name for p in dist.iterdir()} == expected
    assert (dist / ".cskg-output").read_text().startswith("written by cskg: release\n")
    assert not [p for p in mini_root.iterdir() if p.name.startswith(".dist.")]

    nq = rdflib.Dataset().parse(dist / "cskg.nq", format="nquads")
    trig = rdflib.Dataset().parse(dist / "cskg.trig", format="trig")
    names = {str(g.identifier) for g in nq.graphs()} - {str(rdflib.graph.DATASET_DEFAULT_GRAPH_ID)}
    assert names == {
        ONTOLOGY_GRAPH,
        INFERRED_GRAPH,
        "https://w3id.org/cskg/graph/evidence/plan-issued",
        "https://w3id.org/cskg/graph/evidence/strategy-steps",
        "https://w3id.org/cskg/graph/curation",
        "https://w3id.org/cskg/graph/data/notes/extra",
    }
    for name in names:
        a, b = nq.graph(rdflib.URIRef(name)), trig.graph(rdflib.URIRef(name))
        assert len(a) > 0 and isomorphic(a, b), name
    assert len(nq.graph(rdflib.graph.DATASET_DEFAULT_GRAPH_ID)) == 0

    inferred = set(nq.graph(rdflib.URIRef(INFERRED_GRAPH)))
    asserted = {t for n in names - {INFERRED_GRAPH} for t in nq.graph(rdflib.URIRef(n))}
    assert inferred and not inferred & asserted
    enabled_by = (
        rdflib.URIRef(CHANGE + "growth"),
        rdflib.URIRef(CSKG + "enabledBy"),
        rdflib.URIRef(POLICY + "plan"),
    )
    assert enabled_by in inferred

    ontology = rdflib.Graph().parse(dist / "ontology.ttl")
    assert isomorphic(ontology, rdflib.Graph().parse(dist / "ontology.jsonld", format="json-ld"))
    assert isomorphic(ontology, nq.graph(rdflib.URIRef(ONTOLOGY_GRAPH)))
    onto = rdflib.URIRef("https://w3id.org/cskg/ontology")
    assert list(ontology.objects(onto, rdflib.OWL.versionInfo)) == [rdflib.Literal(__version__)]
    assert list(ontology.objects(onto, rdflib.OWL.versionIRI)) == [
        rdflib.URIRef(f"https://w3id.org/cskg/ontology/{__version__}")
    ]

    shapes = rdflib.Graph().parse(dist / "shapes.ttl")
    source_shapes = rdflib.Graph().parse(mini_root / "ontology" / "shapes" / "core.ttl")
    assert isomorphic(shapes, source_shapes)

    void = rdflib.Graph().parse(dist / "void.ttl")
    ds = rdflib.URIRef(RELEASE_DATASET)
    total = sum(1 for _ in nq.quads((None, None, None, None)))
    assert void.value(ds, VOID.triples).toPython() == total
    predicates = {p for _, p, _, _ in nq.quads((None, None, None, None))}
    assert void.value(ds, VOID.properties).toPython() == len(predicates)
    classes = {o for _, _, o, _ in nq.quads((None, rdflib.RDF.type, None, None))}
    assert void.value(ds, VOID.classes).toPython() == len(classes)
    subsets = {
        str(void.value(s, SD.name)): void.value(s, VOID.triples).toPython()
        for s in void.objects(ds, VOID.subset)
    }
    assert subsets == {n: len(nq.graph(rdflib.URIRef(n))) for n in names}
    assert (ds, rdflib.DCTERMS.license, rdflib.URIRef(DATA_LICENSE)) in void
    dumps = set(void.objects(ds, VOID.dataDump))
    assert dumps == {rdflib.URIRef(RELEASE_DOWNLOADS + n) for n in ("cskg.nq", "cskg.trig")}

    info = json.loads((dist / "build.json").read_text())
    assert info["version"] == __version__
    assert info["engines"] == {"reasoner": "reasonable", "validator": "pyrudof"}
    assert info["counts"]["inferred"] == len(inferred)
    assert info["counts"]["asserted"] == total - len(inferred)
    assert set(info["timings"]) == {"load", "reason", "validate", "write", "store", "total"}

    report = rdflib.Graph().parse(dist / "validation.ttl")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert report.value(predicate=rdflib.RDF.type, object=sh.ValidationReport) is not None
    assert (None, sh.conforms, rdflib.Literal(True)) in report
    assert (dist / "validation.txt").read_text().startswith("Conforms")

    store = ox.Store.read_only(str(dist / "store"))
    rows = list(
        store.query(
            f"SELECT ?change WHERE {{ GRAPH <{INFERRED_GRAPH}> "
            f"{{ ?change <{CSKG}enabledBy> <{POLICY}plan> }} }}"
        )
    )
    assert [r["change"].value for r in rows] == [CHANGE + "growth"]
    assert len(named_quads(store)) == total


def test_reference_engines_build_the_same_release(mini_root, tmp_path, capsys):
    assert main(["--root", str(mini_root), "build", "-q"]) == 0
    out = tmp_path / "reference"
    assert main(["--root", str(mini_root), "build", "-q", "--reference", "--out", str(out)]) == 0
    default = rdflib.Dataset().parse(mini_root / "dist" / "cskg.nq", format="nquads")
    reference = rdflib.Dataset().parse(out / "cskg.nq", format="nquads")
    names = {g.identifier for g in default.graphs()}
    assert names == {g.identifier for g in reference.graphs()}
    for name in names:  # blank nodes get new ids when parsed: compare graph by graph
        assert isomorphic(default.graph(name), reference.graph(name)), name
    info = json.loads((out / "build.json").read_text())
    assert info["engines"] == {"reasoner": "owlrl", "validator": "pyshacl"}


def test_progress_and_summary(mini_root, capsys):
    assert main(["--root", str(mini_root), "build"]) == 0
    err = capsys.readouterr().err.splitlines()
    steps = [line.split(" … ")[0] for line in err[:5]]
    assert steps == ["[1/5] load", "[2/5] reason", "[3/5] validate", "[4/5] write", "[5/5] store"]
    assert all(line.endswith(" s") for line in err[:5])
    assert err[-1].startswith("cskg: ") and "conforms" in err[-1] and "written to" in err[-1]


def test_syntax_error_keeps_the_previous_release(built, mini_root):
    before = hashes(built)
    broken = mini_root / "data" / "broken.trig"
    broken.write_text(BROKEN, encoding="utf-8")
    result = run("build", cwd=mini_root)  # a real process, from the project folder
    assert result.returncode == 2
    # line 3, at the second object written without a comma
    column = BROKEN.splitlines()[2].index("cskg:b") + 1
    assert column == 60
    assert result.stderr.startswith(f"data/broken.trig:3:{column}: "), result.stderr
    assert "expected" in result.stderr  # the parser's own message follows
    assert "Traceback" not in result.stderr
    assert hashes(built) == before
    assert ask(built, f"ASK {{ <{POLICY}plan> a <{CSKG}Plan> }}")


def test_syntax_error_position_in_process(mini_root, capsys):
    bad = mini_root / "data" / "notes" / "bad.ttl"
    bad.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b "unterminated .\n')
    assert main(["--root", str(mini_root), "build"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{bad}:2:11: "), err  # the path is absolute outside the cwd
    assert not (mini_root / "dist").exists()


def test_shapes_violation_keeps_the_previous_release(built, mini_root, capsys):
    before = hashes(built)
    facts = mini_root / "data" / "facts.trig"
    text = facts.read_text().replace('rdfs:label "The strategy"@en', 'rdfs:label "Strategie"@de')
    facts.write_text(text)
    assert main(["--root", str(mini_root), "build", "-q"]) == 1
    out, err = capsys.readouterr()
    assert "Shape <https://w3id.org/cskg/shapes#PolicyShape> / rdfs:label" in out
    assert "  policy:strategy (Strategie)" in out.splitlines()
    assert "NOT written" in err
    assert hashes(built) == before

    assert main(["--root", str(mini_root), "build", "-q", "--allow-invalid"]) == 1
    assert hashes(built) != before
    assert "policy:strategy" in (built / "validation.txt").read_text()
    info = json.loads((built / "build.json").read_text())
    assert info["conforms"] is False and info["counts"]["validation_results"] == 1


def test_inconsistent_data_exits_1(mini_root, capsys):
    facts = mini_root / "data" / "facts.trig"
    facts.write_text(
        facts.read_text().replace("agency:miit a cskg:Agency", "agency:miit a cskg:Plan")
    )
    assert main(["--root", str(mini_root), "build", "-q"]) == 1
    err = capsys.readouterr().err
    assert "inconsistent" in err and "https://w3id.org/cskg/id/agency/miit" in err
    assert not (mini_root / "dist").exists()


def test_validate_release_and_extra_files(built, mini_root, tmp_path, capsys):
    root = ["--root", str(mini_root)]
    assert main([*root, "validate"]) == 0
    assert capsys.readouterr().out.startswith("Conforms")

    good = tmp_path / "good.ttl"
    good.write_text(
        "@prefix cskg: <https://w3id.org/cskg/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<https://w3id.org/cskg/id/policy/new> a cskg:Plan ; rdfs:label "New plan"@en .\n'
    )
    assert main([*root, "validate", str(good)]) == 0
    capsys.readouterr()

    bad = tmp_path / "extra.ttl"
    # a plan without a label; it is a policy only by inference (Plan ⊑ Policy)
    bad.write_text(
        "@prefix cskg: <https://w3id.org/cskg/ontology#> .\n"
        "<https://w3id.org/cskg/id/policy/unnamed> a cskg:Plan .\n"
    )
    assert main([*root, "validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "policy:unnamed" in out and "A policy needs a label in English or Chinese." in out

    assert main([*root, "validate", "--format", "json", str(bad)]) == 1
    results = json.loads(capsys.readouterr().out)["results"]
    assert [r["focus_node"] for r in results] == [f"<{POLICY}unnamed>"]

    assert main([*root, "validate", "--format", "turtle", "--reference", str(bad)]) == 1
    report = rdflib.Graph().parse(data=capsys.readouterr().out, format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert set(report.objects(None, sh.focusNode)) == {rdflib.URIRef(POLICY + "unnamed")}

    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .\n")
    result = run("--root", str(mini_root), "validate", str(broken), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("broken.ttl:2:11: "), result.stderr  # at the "."
    assert "Traceback" not in result.stderr


def test_validate_without_release(mini_root, capsys):
    assert main(["--root", str(mini_root), "validate"]) == 2
    assert "run `cskg build`" in capsys.readouterr().err


def test_failed_swap_leaves_the_old_release(built, mini_root, monkeypatch, capsys):
    before = hashes(built)
    (mini_root / "data" / "facts.trig").write_text(
        (mini_root / "data" / "facts.trig").read_text().replace('"MIIT"@en', '"Ministry"@en')
    )

    def fail(a, b):
        raise OSError(errno.EIO, "input/output error")

    monkeypatch.setattr(outdir, "_exchange", fail)
    assert main(["--root", str(mini_root), "build", "-q"]) == 2
    assert "cannot write the release" in capsys.readouterr().err
    assert hashes(built) == before
    assert [p.name for p in mini_root.iterdir() if p.name.startswith(".dist")] == []
    assert ask(built, 'ASK { ?a <http://www.w3.org/2000/01/rdf-schema#label> "MIIT"@en }')


def test_fallback_swap_restores_the_old_release(built, mini_root, monkeypatch, capsys):
    before = hashes(built)

    def unsupported(a, b):
        raise OSError(errno.ENOSYS, "not supported")

    real_rename = os.rename
    calls = []

    def rename(src, dst):
        calls.append((Path(src).name, Path(dst).name))
        if len(calls) == 2:  # the new release cannot be moved in
            raise OSError(errno.EIO, "input/output error")
        real_rename(src, dst)

    monkeypatch.setattr(outdir, "_exchange", unsupported)
    monkeypatch.setattr(os, "rename", rename)
    assert main(["--root", str(mini_root), "build", "-q"]) == 2
    monkeypatch.undo()
    # moved aside, failed to move in, moved back
    assert calls[0][0] == "dist" and calls[0][1].startswith(".dist.cskg-old-")
    assert calls[1][0].startswith(".dist.cskg-new-") and calls[1][1] == "dist"
    assert calls[2] == (calls[0][1], "dist")
    assert hashes(built) == before
    assert [p.name for p in mini_root.iterdir() if p.name.startswith(".dist")] == []


def test_fallback_swap_publishes(built, mini_root, monkeypatch):
    monkeypatch.setattr(
        outdir, "_exchange", lambda a, b: (_ for _ in ()).throw(OSError(errno.ENOSYS, "no"))
    )
    (mini_root / "data" / "facts.trig").write_text(
        (mini_root / "data" / "facts.trig").read_text().replace('"MIIT"@en', '"Ministry"@en')
    )
    assert main(["--root", str(mini_root), "build", "-q"]) == 0
    assert ask(built, 'ASK { ?a <http://www.w3.org/2000/01/rdf-schema#label> "Ministry"@en }')
    assert [p.name for p in mini_root.iterdir() if p.name.startswith(".dist")] == []


def test_leftovers_of_killed_builds_are_removed(built, mini_root):
    """A staging folder with cskg's marker that no process locks is a leftover (see
    tests/test_outdir.py for one left by a real killed build)."""
    dead = mini_root / ".dist.cskg-new-0123456789abcdef"
    (dead / "store").mkdir(parents=True)
    (dead / ".cskg-output").write_bytes(outdir.marker_text("release"))
    assert main(["--root", str(mini_root), "build", "-q"]) == 0
    assert not dead.exists()


# -- the real sources ----------------------------------------------------------------------------


def test_real_release(release):
    nq = rdflib.Dataset().parse(release / "cskg.nq", format="nquads")
    inferred = set(nq.graph(rdflib.URIRef(INFERRED_GRAPH)))
    names = {str(g.identifier) for g in nq.graphs()} - {str(rdflib.graph.DATASET_DEFAULT_GRAPH_ID)}
    asserted = {t for n in names - {INFERRED_GRAPH} for t in nq.graph(rdflib.URIRef(n))}
    assert ONTOLOGY_GRAPH in names and "https://w3id.org/cskg/graph/document" in names
    assert any(n.startswith("https://w3id.org/cskg/graph/evidence/") for n in names)
    assert inferred and not inferred & asserted
    ontology = rdflib.Graph().parse(release / "ontology.ttl")
    assert isomorphic(ontology, rdflib.Graph().parse(release / "ontology.jsonld", format="json-ld"))
    void = rdflib.Graph().parse(release / "void.ttl")
    ds = rdflib.URIRef(RELEASE_DATASET)
    assert void.value(ds, VOID.triples).toPython() == len(inferred) + sum(
        len(nq.graph(rdflib.URIRef(n))) for n in names - {INFERRED_GRAPH}
    )
    store = ox.Store.read_only(str(release / "store"))
    assert len(named_quads(store)) == void.value(ds, VOID.triples).toPython()
    # the default graph is the merge of the named graphs: each distinct triple once
    merged = {q.triple for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())}
    assert merged == {q.triple for q in named_quads(store)}
    assert len(merged) < len(named_quads(store))  # the paper restates a few triples
    # the inverse of every realised cskg:enabled is in the inferred graph
    assert ask(release, f"ASK {{ ?x <{CSKG}enabled> ?y }}")
    missing = f"""ASK {{ ?x <{CSKG}enabled> ?y
        FILTER NOT EXISTS {{ GRAPH <{INFERRED_GRAPH}> {{ ?y <{CSKG}enabledBy> ?x }} }} }}"""
    assert not ask(release, missing)


def test_real_build_as_a_process(tmp_path):
    """The whole `cskg build` process with the default engines, as a user runs it.

    Its speed is measured by `cskg bench`, not asserted here."""
    result = run(
        "--root",
        str(REAL_ROOT),
        "build",
        "--allow-invalid",
        "--out",
        str(tmp_path / "d"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "conforms" in result.stderr.splitlines()[-1]
    built = json.loads((tmp_path / "d" / "build.json").read_text())
    assert built["engines"] == {"reasoner": "reasonable", "validator": "pyrudof"}


def test_sources_never_fetch_what_they_name(mini_root, listener, tmp_path, capsys):
    """owl:imports, a remote @base and IRIs of a listening server are data, never fetched."""
    import time

    url = f"http://127.0.0.1:{listener.port}"
    ontology = mini_root / "ontology" / "cskg.ttl"
    ontology.write_text(
        ontology.read_text() + f"<https://w3id.org/cskg/ontology> owl:imports <{url}/onto.ttl> .\n"
    )
    (mini_root / "data" / "remote.ttl").write_text(
        f"@base <{url}/base/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        f"<thing> rdfs:seeAlso <{url}/more.ttl> ; rdfs:isDefinedBy <{url}/vocab#> .\n"
    )
    assert main(["--root", str(mini_root), "build", "--out", str(tmp_path / "d")]) == 0
    extra = tmp_path / "extra.ttl"
    extra.write_text(f"<{url}/x> <http://www.w3.org/2002/07/owl#imports> <{url}/y.ttl> .\n")
    assert (
        main(["--root", str(mini_root), "--dist", str(tmp_path / "d"), "validate", str(extra)]) == 0
    )
    time.sleep(0.3)  # a connection attempt, had there been one, has reached the listener by now
    assert listener.received == []
    quads = list(
        ox.Store.read_only(str(tmp_path / "d" / "store")).quads_for_pattern(None, None, None)
    )
    assert any(q.subject.value == f"{url}/base/thing" for q in quads)  # kept as data


@pytest.mark.parametrize("suffix", [".jsonld", ".rdf", ".owl"])
def test_formats_that_can_fetch_are_refused(built, mini_root, tmp_path, capsys, suffix):
    """JSON-LD contexts and RDF/XML entities can reach out: such files are not accepted."""
    extra = tmp_path / f"extra{suffix}"
    extra.write_text("{}" if suffix == ".jsonld" else "<rdf:RDF/>")
    assert main(["--root", str(mini_root), "validate", str(extra)]) == 2
    err = capsys.readouterr().err
    assert str(extra.name) in err and "Traceback" not in err


def test_a_release_carries_its_version_and_build_time(mini_root, tmp_path, monkeypatch, capsys):
    # SOURCE_DATE_EPOCH fixes the build time (reproducible builds); the time is in build.json,
    # in void.ttl as dcterms:modified, and on the published home page with the version
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764720000")  # 2025-12-03T00:00:00Z
    assert main(["--root", str(mini_root), "build", "-q"]) == 0
    dist = mini_root / "dist"
    info = json.loads((dist / "build.json").read_text(encoding="utf-8"))
    assert (info["version"], info["built"]) == (__version__, "2025-12-03T00:00:00Z")
    void = rdflib.Graph().parse(dist / "void.ttl")
    dataset = rdflib.URIRef("https://w3id.org/cskg/dataset")
    modified = void.value(dataset, rdflib.URIRef("http://purl.org/dc/terms/modified"))
    assert modified == rdflib.Literal("2025-12-03T00:00:00Z", datatype=rdflib.XSD.dateTime)
    assert str(void.value(dataset, rdflib.URIRef("http://www.w3.org/ns/dcat#version"))) == (
        __version__
    )
    site = tmp_path / "site"
    base = "https://example.org/cskg"
    assert main(["--dist", str(dist), "publish", "--out", str(site), "--base", base]) == 0
    home = (site / "index.html").read_text(encoding="utf-8")
    assert f"<dd>{__version__}</dd>" in home
    built = '<time datetime="2025-12-03T00:00:00Z" translate="no">3 December 2025 00:00 UTC</time>'
    assert built in home
    capsys.readouterr()
