"""Shared fixtures: the real release (built once per session) and a small fixture project."""

from __future__ import annotations

import os
import socket
import textwrap
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from utils.loopback import Listener

from cskg.lab.virtuoso import TempVirtuoso

REPO = Path(__file__).resolve().parents[1]
#: the project whose real sources the end-to-end tests use; CSKG_TEST_ROOT points them at a copy
#: (e.g. one being fixed) instead of the repository
REAL_ROOT = Path(os.environ.get("CSKG_TEST_ROOT") or REPO).resolve()


def named_quads(store, subject=None, predicate=None, obj=None, graph=None) -> list:
    """The quads of a release store's named graphs that match the pattern: its default graph
    holds their merge again (see `cskg.query.engines`), which a quad oracle must not count twice."""
    import pyoxigraph as ox

    return [
        quad
        for quad in store.quads_for_pattern(subject, predicate, obj, graph)
        if not isinstance(quad.graph_name, ox.DefaultGraph)
    ]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The test files with the most slow tests first (a stable sort: each file's tests keep
    their order). Each worker process runs whole files (`--dist loadfile`), handed out in
    this order: a slow file handed out last would keep one worker busy while the other waits."""
    slow = Counter(item.path for item in items if item.get_closest_marker("slow"))
    items.sort(key=lambda item: -slow[item.path])


MINI_ONTOLOGY = """\
@prefix cskg: <https://w3id.org/cskg/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

<https://w3id.org/cskg/ontology> a owl:Ontology ;
    rdfs:label "cskg test ontology"@en ;
    owl:versionInfo "hand-written, replaced by the build" .

cskg:Policy a owl:Class .
cskg:Plan a owl:Class ; rdfs:subClassOf cskg:Policy .
cskg:Agency a owl:Class .
cskg:IndustryChange a owl:Class .
[] a owl:AllDisjointClasses ; owl:members ( cskg:Policy cskg:Agency cskg:IndustryChange ) .

cskg:contributedTo a owl:ObjectProperty .
cskg:enabled a owl:ObjectProperty ; rdfs:subPropertyOf cskg:contributedTo ;
    owl:inverseOf cskg:enabledBy .
cskg:enabledBy a owl:ObjectProperty .
cskg:partOf a owl:ObjectProperty , owl:TransitiveProperty ; owl:inverseOf cskg:hasPart .
cskg:hasPart a owl:ObjectProperty .
cskg:issuedBy a owl:ObjectProperty ; rdfs:domain cskg:Policy ; rdfs:range cskg:Agency .
"""

MINI_SHAPES = """\
@prefix cskg: <https://w3id.org/cskg/ontology#> .
@prefix cskgsh: <https://w3id.org/cskg/shapes#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .

cskgsh:PolicyShape a sh:NodeShape ;
    sh:targetClass cskg:Policy ;
    sh:property [
        sh:path rdfs:label ; sh:minCount 1 ; sh:languageIn ( "en" "zh" ) ;
        sh:message "A policy needs a label in English or Chinese."@en
    ] ;
    sh:property [ sh:path cskg:issuedBy ; sh:class cskg:Agency ] .

cskgsh:AgencyShape a sh:NodeShape ;
    sh:targetClass cskg:Agency ;
    sh:property [ sh:path rdfs:label ; sh:minCount 1 ] .

# Conforms only with the inferred inverse of cskg:enabled.
cskgsh:ChangeShape a sh:NodeShape ;
    sh:targetClass cskg:IndustryChange ;
    sh:property [
        sh:path cskg:enabledBy ; sh:minCount 1 ;
        sh:message "An industry change needs what enabled it."@en
    ] .
"""

MINI_FACTS = """\
@prefix cskg: <https://w3id.org/cskg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix agency: <https://w3id.org/cskg/id/agency/> .
@prefix policy: <https://w3id.org/cskg/id/policy/> .
@prefix change: <https://w3id.org/cskg/id/change/> .
@prefix ev: <https://w3id.org/cskg/graph/evidence/> .

ev:plan-issued {
    ev:plan-issued a cskg:Evidence ; cskg:quote "The plan was issued."@en .
    policy:plan a cskg:Plan ; rdfs:label "The plan"@en ;
        cskg:issuedBy agency:miit ; cskg:enabled change:growth .
    agency:miit a cskg:Agency ; rdfs:label "MIIT"@en .
    change:growth a cskg:IndustryChange ; rdfs:label "Growth"@en .
}

ev:strategy-steps {
    ev:strategy-steps a cskg:Evidence ; cskg:quote "The strategy has steps."@en .
    policy:strategy a cskg:Policy ; rdfs:label "The strategy"@en ; cskg:partOf policy:plan .
    policy:step a cskg:Plan ; rdfs:label "A step"@en ; cskg:partOf policy:strategy .
}

<https://w3id.org/cskg/graph/curation> {
    agency:miit rdfs:label "工业和信息化部"@zh .
}
"""

MINI_TURTLE = """\
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/cskg/id/agency/miit> rdfs:comment "A ministry."@en .
"""


def write_mini_project(root: Path) -> Path:
    """A tiny but complete project: ontology, shapes, TriG facts and one plain Turtle file."""
    files = {
        "ontology/cskg.ttl": MINI_ONTOLOGY,
        "ontology/shapes/core.ttl": MINI_SHAPES,
        "data/facts.trig": MINI_FACTS,
        "data/notes/extra.ttl": MINI_TURTLE,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture
def mini_root(tmp_path: Path) -> Path:
    """A fresh copy of the fixture project (see `write_mini_project`)."""
    return write_mini_project(tmp_path / "project")


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real release, built once from the repository's sources with the default engines.

    (From `CSKG_TEST_ROOT` instead when that is set.)

    Built with `allow_invalid`, so that query tests have a release even while some fact still
    violates a shape (tests/test_validate.py reports that); an unparsable or inconsistent
    source makes the fixture fail.
    """
    from cskg.build.pipeline import build

    out = tmp_path_factory.mktemp("release") / "dist"
    build(REAL_ROOT, out, engines="default", allow_invalid=True)
    return out


# -- a loopback listener: proves that nothing is fetched ---------------------------------------


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


# -- `cskg serve` on loopback -----------------------------------------------------------------


class RunningServer:
    """`cskg serve` in a subprocess on a free loopback port; `url` is its origin."""

    def __init__(
        self,
        dist: Path,
        *options: str,
        startup_timeout: float = 60.0,
        root: Path = REAL_ROOT,
    ) -> None:
        import subprocess
        import sys
        import time
        import urllib.request

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "cskg.cli", "--root", str(root), "--dist", str(dist)]
        command += ["serve", "--host", "127.0.0.1", "--port", str(self.port), *options]
        self.log = open(dist.parent / f"serve-{self.port}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/sparql", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"cskg serve did not start:\n{self.log_text()}")
            time.sleep(0.1)

    def log_text(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return Path(self.log.name).read_text(encoding="utf-8", errors="replace")

    def close(self) -> None:
        import subprocess

        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@pytest.fixture(scope="session")
def server(release: Path) -> Iterator[str]:
    """`cskg serve` with its default limits on the session's release; yields its base URL."""
    running = RunningServer(release)
    yield running.url
    running.close()


# -- headless Chromium: Debian's browser and driver, never a downloaded one -------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def headless_chromium(profile: Path, *flags: str, capabilities: dict | None = None):
    """A Selenium driver for Debian's Chromium in a fresh profile, quiet on the network.

    The explicit driver path keeps Selenium Manager from running, so nothing is downloaded; the
    background-networking flags stop Chromium's own calls home on a machine without network.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        *flags,
    ):
        options.add_argument(flag)
    for name, value in (capabilities or {}).items():
        options.set_capability(name, value)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


@pytest.fixture(scope="module")
def virtuoso(release: Path) -> Iterator[TempVirtuoso]:
    """A throwaway Virtuoso holding the real release (skipped where Virtuoso is not installed)."""
    from cskg.lab.virtuoso import available

    if not available():
        pytest.skip("virtuoso-t / isql-vt not on PATH (Debian: virtuoso-opensource-7-bin)")
    with TempVirtuoso() as server:
        server.load_nquads(release / "cskg.nq")
        yield server
