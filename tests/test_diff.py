"""`cskg diff` and `cskg patch` on real builds: a copy of the project is built (OLD), changed as a
curator would change it (an English label renamed, a causal claim added to a sentence, a
citation removed) and built again (NEW).

What the outputs must show is computed from the sources and the releases (which entity, its
label, the sentence's section and quote), not written out here; whole datasets are compared
canonically, blank nodes included (`utils.expected.canonical_quads`, RDFC-1.0 on the whole
dataset, independent of how `cskg.diff` names blank nodes).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from conftest import REAL_ROOT
from utils.expected import canonical_quads, read_canonical_quads

import cskg.api
from cskg.cli import main
from cskg.query.results import compact
from cskg.release import Evidence, Release
from cskg.vocab import CSKG, EV, PREFIXES, RDFS_LABEL

CLAIM = "https://w3id.org/cskg/id/claim/"
PROV = "http://www.w3.org/ns/prov#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE, RDF_FIRST, RDF_REST, RDF_NIL = RDF + "type", RDF + "first", RDF + "rest", RDF + "nil"
ADDED_CLAIM = CLAIM + "test-added-claim"
#: a new agency with a list (blank nodes) in a file of its own, as tests/test_curation.py adds it
AGENCY = "https://w3id.org/cskg/id/agency/test-bureau"
LISTED = """\
@prefix cskg: <https://w3id.org/cskg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/cskg/graph/curation> {
  <AGENCY> a cskg:Agency ; rdfs:label "Test Bureau"@en , "测试局"@zh ;
    rdfs:seeAlso ( <http://example.org/a> <http://example.org/b> ) .
}
""".replace("AGENCY", AGENCY)
CLAIM_LABEL = "A claim added by the test"


def node(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


@dataclass
class Edits:
    """What the test changed in the copy, read from its sources."""

    relabelled: str  # the entity whose English label changed
    old_label: str
    new_label: str
    label_graph: str
    claim_graph: str  # the sentence the added claim is stated in
    claim: list[ox.Quad]
    citation: ox.Quad  # the removed `ev:x cskg:cites ref:n`


@dataclass
class Built:
    old_project: Path
    new_project: Path
    old: Path  # the releases
    new: Path
    edits: Edits


def copy_project(target: Path) -> Path:
    for folder in ("ontology", "data", "queries"):
        shutil.copytree(REAL_ROOT / folder, target / folder)
    return target


def _label_to_change(quads: list[ox.Quad], everything: list[ox.Quad]) -> ox.Quad:
    """An English rdfs:label in an evidence graph of the file, of an entity that has no other
    English label anywhere in the sources (so that the change is one label, old → new)."""
    english = [
        q
        for q in everything
        if q.predicate.value == RDFS_LABEL and getattr(q.object, "language", None) == "en"
    ]
    count: dict[ox.NamedNode | ox.BlankNode | ox.Triple, int] = {}
    for quad in english:
        count[quad.subject] = count.get(quad.subject, 0) + 1
    return next(
        q
        for q in quads
        if q in english
        and count[q.subject] == 1
        and type(q.subject) is ox.NamedNode
        and q.graph_name.value.startswith(EV)
        and not q.subject.value.startswith(CLAIM)
    )


def edit(project: Path) -> Edits:
    """Rename one label, add a claim beside the first claim's sentence, remove one citation,
    all in `data/development.trig` (rewritten by pyoxigraph)."""
    path = project / "data" / "development.trig"
    quads = list(ox.parse(path=str(path), format=ox.RdfFormat.TRIG))
    everything = [
        q
        for source in sorted((project / "data").glob("*.trig"))
        for q in ox.parse(path=str(source), format=ox.RdfFormat.TRIG)
    ]
    label = _label_to_change(quads, everything)
    new_label = ox.Literal(label.object.value + " (renamed)", language="en")
    renamed = ox.Quad(label.subject, label.predicate, new_label, label.graph_name)
    first = next(
        q for q in quads if q.predicate.value == RDF_TYPE and q.object.value == CSKG + "CausalClaim"
    )
    graph = first.graph_name
    model = {q.predicate.value: q.object for q in quads if q.subject == first.subject}
    subject = node(ADDED_CLAIM)
    statements = [
        (RDF_TYPE, node(CSKG + "CausalClaim")),
        (RDFS_LABEL, ox.Literal(CLAIM_LABEL, language="en")),
        (CSKG + "cause", model[CSKG + "cause"]),
        (CSKG + "effect", model[CSKG + "effect"]),
        (CSKG + "causalRelation", model[CSKG + "causalRelation"]),
        (CSKG + "modality", node(CSKG + "expected")),
        (PROV + "wasDerivedFrom", graph),
    ]
    claim = [ox.Quad(subject, node(p), o, graph) for p, o in statements]
    citation = next(q for q in quads if q.predicate.value == CSKG + "cites")
    changed = [q for q in quads if q not in (label, citation)] + [renamed, *claim]
    ox.serialize(changed, str(path), format=ox.RdfFormat.TRIG, prefixes=PREFIXES)
    (project / "data" / "curation-test-list.trig").write_text(LISTED, encoding="utf-8")
    return Edits(
        relabelled=label.subject.value,
        old_label=label.object.value,
        new_label=new_label.value,
        label_graph=label.graph_name.value,
        claim_graph=graph.value,
        claim=claim,
        citation=citation,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    base = tmp_path_factory.mktemp("diff")
    old_project = copy_project(base / "old-project")
    new_project = copy_project(base / "new-project")
    edits = edit(new_project)
    old, new = base / "old", base / "new"
    assert cskg.api.build(old_project, old, allow_invalid=True).written
    assert cskg.api.build(new_project, new, allow_invalid=True).written
    return Built(old_project, new_project, old, new, edits)


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def evidence(release: Path, graph: str) -> Evidence:
    with Release.open(release) as opened:
        return opened.evidence[graph]


def one_line(text: str) -> str:
    return " ".join(text.split())


# -- the text output ----------------------------------------------------------------------------


def entity_block(text: str, iri: str) -> list[str]:
    """The lines of the text output under the heading of the entity `iri`."""
    name = compact(iri)
    blocks = [b.splitlines() for b in text.split("\n\n")]
    found = [b for b in blocks if b[0] == name or b[0].startswith(name + " (")]
    assert len(found) == 1, f"{name} not (once) in:\n{text}"
    return found[0]


def change_under(block: list[str], source: str, quote: str | None, change: str) -> None:
    """`change` is listed under the graph line `source` (and its quote) of the block."""
    starts = [i for i, line in enumerate(block) if line == "  " + source]
    assert starts, f"no {source!r} in {block}"
    at = starts[0]
    end = next((i for i in range(at + 1, len(block)) if not block[i].startswith("    ")), None)
    lines = block[at + 1 : end]
    if quote is not None:
        assert lines[0] == f"    “{one_line(quote)}”"
    assert f"    {change}" in lines, f"{change!r} not under {source!r}: {lines}"


def where(release: Path, graph: str) -> tuple[str, str | None]:
    found = evidence(release, graph)
    return f"evidence §{found.number} {compact(graph)}", found.quote


def test_text_shows_each_change_under_its_entity_and_sentence(
    built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text, _ = run(capsys, "diff", built.old, built.new)
    assert code == 1
    assert text.startswith(f"cskg diff: {built.old} → {built.new}\n")
    e = built.edits

    source, quote = where(built.new, e.label_graph)
    label_line = f"~ rdfs:label  “{e.old_label}”@en → “{e.new_label}”@en"
    change_under(entity_block(text, e.relabelled), source, quote, label_line)
    assert entity_block(text, e.relabelled)[0] == f"{compact(e.relabelled)} ({e.new_label})"

    claim = entity_block(text, ADDED_CLAIM)
    assert claim[0] == f"{compact(ADDED_CLAIM)} ({CLAIM_LABEL})"
    source, quote = where(built.new, e.claim_graph)
    for quad in e.claim:
        shown = compact(quad.predicate.value)
        value = quad.object
        value_shown = compact(value.value) if type(value) is ox.NamedNode else f"“{value.value}”"
        assert any(line.startswith(f"    + {shown}") and value_shown in line for line in claim), (
            shown,
            claim,
        )
    change_under(claim, source, quote, "+ cskg:modality (modality)  cskg:expected (expected)")

    cited = e.citation
    source, quote = where(built.old, cited.graph_name.value)
    block = entity_block(text, cited.subject.value)
    reference = compact(cited.object.value)
    assert any(line.startswith(f"    - cskg:cites (cites)  {reference}") for line in block), block
    change_under(block, source, quote, next(x.strip() for x in block if reference in x))
    # a list: its blank nodes under the IRI that reaches them, each statement once
    listed = entity_block(text, AGENCY)
    assert listed[1] == "  editorial graph/curation"
    assert "    + rdfs:seeAlso  _:c" in "\n".join(listed)
    cells = [line for line in listed if re.match(r"    \+ _:c[0-9a-f]{12}n\d+ rdf:first  ", line)]
    assert sorted(line.rsplit("  ", 1)[1] for line in cells) == [
        "<http://example.org/a>",
        "<http://example.org/b>",
    ]
    assert "inferred:" in text  # inferred consequences are summarised, not listed
    assert "\n  inferred " not in text


def test_inferred_statements_are_listed_when_asked(
    built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text, _ = run(capsys, "diff", built.old, built.new, "--inferred")
    assert code == 1
    assert "\n  inferred graph/inferred\n" in text
    assert "(--inferred lists them)" not in text


def test_the_same_release_twice_has_nothing_to_report(
    built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    for fmt in ("text", "markdown"):
        assert run(capsys, "diff", built.old, built.old, "--format", fmt) == (0, "", "")
    code, patch, _ = run(capsys, "diff", built.old, built.old, "--format", "patch")
    assert code == 0
    assert [line for line in patch.splitlines() if line[:2] in ("A ", "D ")] == []


# -- Markdown ------------------------------------------------------------------------------------


def unescaped(text: str) -> str:
    return re.sub(r"\\([\\`*_\[\]<>|~#+=.)-])", r"\1", text)


def test_markdown_has_a_heading_per_entity_and_quotes(
    built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text, _ = run(capsys, "diff", built.old, built.new, "--format", "markdown")
    assert code == 1
    sections = {s.splitlines()[0]: s for s in text.split("\n#### ")[1:]}
    e = built.edits

    def section(iri: str) -> str:
        found = [s for heading, s in sections.items() if f"`{compact(iri)}`" in heading]
        assert len(found) == 1, (iri, list(sections))
        return unescaped(found[0])

    relabelled = section(e.relabelled)
    found = evidence(built.new, e.label_graph)
    assert f"*Evidence, §{found.number}* (`{compact(e.label_graph)}`):" in relabelled
    assert f"> {one_line(found.quote or '')}" in relabelled
    assert f"- changed: `rdfs:label` “{e.old_label}”@en → “{e.new_label}”@en" in relabelled

    claim = section(ADDED_CLAIM)
    found = evidence(built.new, e.claim_graph)
    assert f"> {one_line(found.quote or '')}" in claim
    assert "- added: `cskg:modality` (modality) `cskg:expected` (expected)" in claim

    cited = section(e.citation.subject.value)
    found = evidence(built.old, e.citation.graph_name.value)
    assert f"> {one_line(found.quote or '')}" in cited
    assert f"- removed: `cskg:cites` (cites) `{compact(e.citation.object.value)}`" in cited


# -- the patch -----------------------------------------------------------------------------------


def test_the_patch_turns_old_into_new(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    patch, out = tmp_path / "changes.rdfp", tmp_path / "patched.nq"
    code, _, err = run(capsys, "diff", built.old, built.new, "-o", patch)  # format from .rdfp
    assert code == 1 and f"written to {patch}" in err
    rows = patch.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith('H generator "cskg') and rows[1].startswith("H id <uuid:")
    assert f"D {built.edits.citation} ." in rows
    assert all(f"A {q} ." in rows for q in built.edits.claim)

    assert run(capsys, "patch", patch, built.old, "-o", out)[0] == 0
    assert read_canonical_quads(out) == read_canonical_quads(built.new / "cskg.nq")
    # and the patched dataset is the same as NEW to `cskg diff` too
    assert run(capsys, "diff", out, built.new) == (0, "", "")


def test_a_patch_for_another_dataset_is_refused_at_its_row(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    patch = tmp_path / "changes.rdfp"
    run(capsys, "diff", built.old, built.new, "-o", patch)
    first_delete = next(
        n for n, row in enumerate(patch.read_text().splitlines(), 1) if row.startswith("D ")
    )
    code, out, err = run(capsys, "patch", patch, built.new)  # already applied
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"cskg: error: {patch}:{first_delete}:1: deletes a quad the dataset does not hold: "
        "the patch is for another dataset"
    ]


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ('A <http://example.org/s> <http://example.org/p> "open <https://w3id.org/g> .', 49, ""),
        ("A <http://example.org/s> <p> <http://example.org/o> .", 26, "absolute IRI"),
        ("X <http://example.org/s> .", 1, "unknown row 'X'"),
        ("H late <http://example.org/h> .", 1, "after the changes began"),
    ],
)
def test_a_malformed_patch_is_one_line_with_its_position(
    row: str,
    column: int,
    message: str,
    built: Built,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    patch = tmp_path / "bad.rdfp"
    lines = [
        'H generator "cskg test" .',
        "TX .",
        "A <http://example.org/s> <http://example.org/p> <http://example.org/o> .",
        row,
        "TC .",
    ]
    patch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "patch", patch, built.old)
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"cskg: error: {patch}:4:{column}: "), err
    assert message in err


def test_patch_reading_is_bounded(tmp_path: Path) -> None:
    from cskg.diff.patch import read_patch
    from cskg.errors import CskgError

    patch = tmp_path / "big.rdfp"
    patch.write_text("TX .\n" + "# padding\n" * 100 + "TC .\n", encoding="utf-8")
    with pytest.raises(CskgError, match="more than a patch may hold"):
        read_patch(patch, max_bytes=100)
    patch.write_bytes(b"TX .\n\xff\nTC .\n")
    with pytest.raises(CskgError, match=r"big\.rdfp:2:1: not UTF-8"):
        read_patch(patch)


# -- sources built in memory ---------------------------------------------------------------------


def test_a_project_is_built_in_memory_with_the_same_answer(
    built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(p.name for p in built.new_project.iterdir())
    release = run(capsys, "diff", built.old, built.new, "--format", "patch")
    project = run(capsys, "diff", built.old, built.new_project, "--format", "patch")
    assert release[0] == project[0] == 1
    assert release[1] == project[1]
    text_release = run(capsys, "diff", built.old, built.new)[1].split("\n", 1)[1]
    text_project = run(capsys, "diff", built.old, built.new_project)[1].split("\n", 1)[1]
    assert text_release == text_project
    assert sorted(p.name for p in built.new_project.iterdir()) == before  # nothing written
    assert run(capsys, "diff", built.old_project, built.old) == (0, "", "")


# -- blank nodes ---------------------------------------------------------------------------------


def relabelled(quads: list[ox.Quad]) -> list[ox.Quad]:
    """The quads with new blank nodes (new random labels), in reverse order."""
    fresh: dict[ox.BlankNode, ox.BlankNode] = {}

    def new(term: Any) -> Any:
        return fresh.setdefault(term, ox.BlankNode()) if type(term) is ox.BlankNode else term

    renamed = [
        ox.Quad(new(q.subject), q.predicate, new(q.object), new(q.graph_name)) for q in quads
    ]
    return renamed[::-1]


def test_blank_node_labels_make_no_difference(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cskg.diff.canonical import by_content

    quads = list(ox.parse(path=str(built.old / "cskg.nq"), format=ox.RdfFormat.N_QUADS))
    assert any(type(q.subject) is ox.BlankNode for q in quads)  # the ontology's restrictions
    again = relabelled(quads)
    assert set(by_content(quads)) == set(by_content(again))
    assert canonical_quads(by_content(quads)) == canonical_quads(quads)  # nothing lost or merged
    copy = tmp_path / "relabelled.nq"
    ox.serialize(again, str(copy), format=ox.RdfFormat.N_QUADS)
    assert run(capsys, "diff", built.old, copy) == (0, "", "")


def test_a_blank_node_is_known_by_its_content() -> None:
    from cskg.diff.canonical import by_content

    g, p, first, rest = (node("urn:g"), node("urn:p"), node(RDF_FIRST), node(RDF_REST))
    nil = node(RDF_NIL)

    def listing(*items: str) -> list[ox.Quad]:
        cells = [ox.BlankNode() for _ in items]
        quads = [ox.Quad(node("urn:s"), p, cells[0], g)]
        for i, item in enumerate(items):
            after = cells[i + 1] if i + 1 < len(items) else nil
            quads += [ox.Quad(cells[i], first, node(item), g), ox.Quad(cells[i], rest, after, g)]
        return quads

    twice = by_content(listing("urn:a", "urn:b") + listing("urn:a", "urn:b"))
    assert len(twice) == 10  # two lists that say the same are still two
    old, new = (
        set(by_content(listing("urn:a", "urn:b"))),
        set(by_content(listing("urn:a", "urn:c"))),
    )
    assert len(old - new) == len(new - old) == 5  # a changed list: removed and added whole
    with_item = by_content(
        [*listing("urn:a", "urn:b"), ox.Quad(node("urn:x"), p, node("urn:y"), g)]
    )
    assert set(by_content(listing("urn:a", "urn:b"))) < set(with_item)  # others keep their names


# -- the output file -----------------------------------------------------------------------------


def test_output_files_replace_only_what_cskg_wrote(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("my own notes\n", encoding="utf-8")
    code, out, err = run(capsys, "diff", built.old, built.new, "-o", notes)
    assert (code, out) == (2, "")
    assert "holds something cskg did not write: not replacing it" in err
    assert notes.read_text(encoding="utf-8") == "my own notes\n"

    changelog = tmp_path / "changes.md"  # new, then replaced: cskg wrote it
    assert run(capsys, "diff", built.old, built.new, "-o", changelog)[0] == 1
    assert changelog.read_text(encoding="utf-8").startswith("<!-- cskg diff: ")
    assert run(capsys, "diff", built.old, built.old, "-o", changelog)[0] == 0
    assert changelog.read_text(encoding="utf-8") == ""  # nothing changed: an empty file
    assert run(capsys, "diff", built.old, built.new, "-o", changelog)[0] == 1  # empty: replaced
    assert run(capsys, "diff", built.old, built.new, "-o", changelog, "--format", "patch")[0] == 1
    assert changelog.read_text(encoding="utf-8").startswith('H generator "cskg')  # cskg's, too

    assert run(capsys, "diff", built.old, built.new, "-o", tmp_path)[0] == 2  # a folder
    patched = tmp_path / "patched.nq"
    patched.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")  # N-Quads, not cskg's
    patch = tmp_path / "changes.rdfp"
    run(capsys, "diff", built.old, built.new, "-o", patch)
    assert run(capsys, "patch", patch, built.old, "-o", patched)[0] == 2
    assert patched.read_text(encoding="utf-8") == "<urn:a> <urn:b> <urn:c> .\n"
    assert not [p.name for p in tmp_path.iterdir() if "cskg-new" in p.name]


# -- the Python API ------------------------------------------------------------------------------


def test_the_api_gives_the_same_diff(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changes = cskg.api.diff(built.old, built.new)
    assert changes.changed
    assert built.edits.citation in changes.removed
    assert set(built.edits.claim) <= set(changes.added)
    assert changes.to_text() == run(capsys, "diff", built.old, built.new)[1]
    assert changes.to_patch() == run(capsys, "diff", built.old, built.new, "--format", "patch")[1]
    assert changes.to_markdown().startswith("<!-- cskg diff: ")
    patch = tmp_path / "changes.rdfp"
    patch.write_text(changes.to_patch(), encoding="utf-8")
    patched = cskg.api.patch(patch, built.old)
    assert canonical_quads(patched) == read_canonical_quads(built.new / "cskg.nq")
