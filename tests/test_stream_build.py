"""The streamed build (`cskg.build.stream`, `cskg.build.batches`) writes the release its
definition gives, however the corpus falls into batches.

The oracle here is the build as it is defined, computed in memory: every source parsed, the
ontology stamped, duplicates dropped, the quads ordered graph by graph (rank, then the graph's
first appearance, then source order), the parts (`split_parts`) reasoned over and validated,
the inferred triples each once in order of their N-Triples text. The corpus is synthetic
papers, the project's paper, and files made to catch what batches could get wrong: papers
linked across files, quads of shared nodes stated in several files and graphs, a shared graph
named as a subject before it has quads, ontology quads in a data file, blank nodes in a shared
graph, a file of shared quads only.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from cskg.build import stream, write
from cskg.build.engines import engine_set
from cskg.build.partition import paper_local, split_parts
from cskg.build.pipeline import build, build_in_memory
from cskg.build.pool import check_parts
from cskg.build.report import merge_reports
from cskg.build.sources import load_sources, parse_file, stamp_version
from cskg.lab.bench import scale_corpus
from cskg.vocab import GRAPH_INFERRED, GRAPH_ONTOLOGY, GRAPH_TRANSLATIONS

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _first_entity(path: Path) -> str:
    """An IRI of one paper's own that the file names as a subject."""
    for q in parse_file(path, "https://example.org/g"):
        subject = q.subject
        if (
            type(subject) is ox.NamedNode
            and paper_local(subject.value)
            and "/graph/" not in str(subject)
        ):
            return subject.value
    raise AssertionError(f"no paper-local subject in {path}")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    scale_corpus(ROOT, root, 6)
    data = root / "data"
    one, three = _first_entity(data / "paper-0001.trig"), _first_entity(data / "paper-0003.trig")
    concept = "https://w3id.org/cskg/id/concept/chain-level/underlying"
    skos = "http://www.w3.org/2004/02/skos/core#"
    (data / "links.ttl").write_text(
        f"<{one}> <http://www.w3.org/2000/01/rdf-schema#seeAlso> <{three}> .\n", encoding="utf-8"
    )
    (data / "aa-graph-first.trig").write_text(
        f'<{GRAPH_TRANSLATIONS}> <http://www.w3.org/2000/01/rdf-schema#comment> "labels" .\n'
        f'GRAPH <{GRAPH_TRANSLATIONS}> {{ <{concept}> <{skos}altLabel> "lower layer"@en . }}\n'
        f'GRAPH <{GRAPH_TRANSLATIONS}> {{ _:note <{skos}note> "a blank node" . }}\n'
        "GRAPH <https://w3id.org/cskg/graph/ontology> {\n"
        "  <https://w3id.org/cskg/ontology#Policy> "
        '<http://www.w3.org/2000/01/rdf-schema#comment> "stated in a data file"@en . }\n',
        encoding="utf-8",
    )
    # the same shared quad in two files, and in a file of shared quads only
    shared = f'GRAPH <{GRAPH_TRANSLATIONS}> {{ <{concept}> <{skos}altLabel> "lower layer"@en . }}\n'
    (data / "zz-shared-only.trig").write_text(shared, encoding="utf-8")
    return root


def expected_release(root: Path) -> tuple[bytes, str]:
    """The release's N-Quads and validation text as the build defines them (module docstring)."""
    sources = load_sources(root)
    end = len(parse_file(root / "ontology" / "cskg.ttl", GRAPH_ONTOLOGY, "o"))  # they come first
    asserted = list(dict.fromkeys(stamp_version(sources.quads[:end]) + sources.quads[end:]))
    first: dict[object, int] = {}
    for q in asserted:
        first.setdefault(q.graph_name, len(first))
    ordered = sorted(asserted, key=lambda q: (stream.graph_rank(q.graph_name), first[q.graph_name]))
    results = list(check_parts(split_parts(asserted), sources.shapes, engine_set("default")))
    inferred = {t for result in results for t in result.inferred}
    graph = ox.NamedNode(GRAPH_INFERRED)
    ordered += [ox.Quad(t.subject, t.predicate, t.object, graph) for t in sorted(inferred, key=str)]
    data = ox.serialize(ordered, format=ox.RdfFormat.N_QUADS)
    assert data is not None
    return data, merge_reports(r.report for r in results).to_text()


@pytest.fixture(scope="module")
def expected(corpus: Path) -> tuple[bytes, str]:
    return expected_release(corpus)


@pytest.mark.parametrize("batch_quads", [1, 20_000, stream.BATCH_QUADS])
def test_the_streamed_release_is_the_defined_one_whatever_the_batches(
    corpus: Path, expected: tuple[bytes, str], tmp_path: Path, batch_quads: int, monkeypatch
) -> None:
    monkeypatch.setattr(stream, "BATCH_QUADS", batch_quads)
    if batch_quads == 1:  # and the store loaded in calls of an odd size: the first call ends
        monkeypatch.setattr(write, "STORE_CHUNK", 10_001)  # with a quad, its copy in the next
    index = stream.index_sources(corpus)
    batches = len(index.batches)
    result = build(corpus, tmp_path / "dist", allow_invalid=True)
    nquads, report = expected
    assert (tmp_path / "dist" / "cskg.nq").read_bytes() == nquads
    assert (tmp_path / "dist" / "validation.txt").read_text(encoding="utf-8") == report
    # at size 1 each file group is a batch: the six papers, two of them linked by links.ttl,
    # the project's paper, and the file with a blank node (the file of shared quads has none)
    if batch_quads == 1:
        assert batches == index.groups == 5 + 1 + 1
    counts = json.loads((tmp_path / "dist" / "build.json").read_text())["counts"]
    quads = list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    assert counts["triples"] == len(quads) == result.counts["triples"]
    assert counts["distinct_subjects"] == len({q.subject for q in quads})
    assert counts["distinct_objects"] == len({q.object for q in quads})
    assert counts["entities"] == len({q.subject for q in quads if type(q.subject) is ox.NamedNode})
    assert counts["graphs"] == len({q.graph_name for q in quads})
    # the store: the quads and their merge in the default graph (both through a store, which
    # writes numbers in their canonical form)
    store = ox.Store.read_only(str(tmp_path / "dist" / "store"))
    reference = ox.Store()
    reference.extend(quads + [ox.Quad(q.subject, q.predicate, q.object) for q in quads])
    assert set(store) == set(reference)
    if batch_quads == 1:
        assert 2 * len(quads) > write.STORE_CHUNK  # in several calls


def test_the_shared_quads_are_written_once_and_the_links_join_papers(
    corpus: Path, expected: tuple[bytes, str]
) -> None:
    """What the corpus's extra files are made to catch is there to be caught."""
    index = stream.index_sources(corpus)
    text = expected[0].decode("utf-8")
    assert text.count('"lower layer"@en <' + GRAPH_TRANSLATIONS + ">") == 1
    files = {source.path.name: n for n, source in enumerate(index.files, start=1)}
    together = [b for b in index.batches if files["paper-0001.trig"] in b]
    assert files["paper-0003.trig"] in together[0] and files["links.ttl"] in together[0]
    assert files["zz-shared-only.trig"] not in {f for b in index.batches for f in b}


def test_build_in_memory_gives_the_release_quads(corpus: Path, expected: tuple[bytes, str]) -> None:
    quads, result = build_in_memory(corpus)
    assert quads == list(ox.parse(expected[0], format=ox.RdfFormat.N_QUADS))
    assert result.written is False and result.counts["triples"] == len(quads)


def test_a_release_that_does_not_conform_is_not_written(corpus: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(corpus, bad)
    (bad / "data" / "wrong.ttl").write_text(
        "<https://w3id.org/cskg/id/policy/p> a <https://w3id.org/cskg/ontology#Policy> .\n",
        encoding="utf-8",
    )
    result = build(bad, tmp_path / "dist")
    assert not result.conforms and not result.written and result.report.results
    assert not (tmp_path / "dist").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad"]  # no staging or runs left behind


#: the build with one paper a batch, in a process of its own: its peaks do not include what
#: the test process holds (the build's forked workers would count those pages as theirs)
_BUILD_ONE_PAPER_A_BATCH = """
import json, sys
from pathlib import Path
from cskg.build import stream
from cskg.build.pipeline import build
stream.BATCH_QUADS = 1
result = build(Path(sys.argv[1]), Path(sys.argv[2]))
print(json.dumps({"written": result.written, "memory": result.memory}))
"""


def test_memory_is_set_by_the_batch_not_by_the_corpus(tmp_path: Path, monkeypatch) -> None:
    """Eight times the papers, one paper a batch: the build's peak (its process and its two
    worker processes, `build.json`'s figures) grows far less than the corpus."""
    from cskg.lab.synth import synth

    monkeypatch.setattr(stream, "BATCH_QUADS", 1)  # as in the child, to count its batches
    peaks = {}
    for papers in (6, 48):
        corpus, dist = tmp_path / f"corpus-{papers}", tmp_path / f"dist-{papers}"
        synth(ROOT, corpus, papers, seed=0)
        command = [sys.executable, "-c", _BUILD_ONE_PAPER_A_BATCH, str(corpus), str(dist)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout.splitlines()[-1])
        assert result["written"] and len(stream.index_sources(corpus).batches) == papers
        peaks[papers] = result["memory"]
    assert max(peaks[48].values()) < 1.3 * max(peaks[6].values()), peaks
