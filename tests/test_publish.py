"""`cskg publish`: the static site, its files, reloadable data, escaping, Apache rules, and a
crawl of the folder served by Python's http.server on loopback."""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from conftest import named_quads
from markupsafe import escape
from poisoned import JS_IRI, SCRIPT, write_poisoned_release

from cskg.cli import main
from cskg.errors import CskgError
from cskg.web.pages import FORMATS

BASE = "https://data.example.org/cskg"
ID = "https://w3id.org/cskg/id/"


@pytest.fixture(scope="module")
def site(release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    root = Path(__file__).resolve().parents[1]
    assert (
        main(
            [
                "--root",
                str(root),
                "--dist",
                str(release),
                "publish",
                "--out",
                str(out),
                "--base",
                BASE,
            ]
        )
        == 0
    )
    return out


def id_iris(release: Path) -> set[str]:
    """Every IRI under https://w3id.org/cskg/id/ in the release, by SPARQL."""
    store = ox.Store.read_only(str(release / "store"))
    rows = store.query(
        f"""SELECT DISTINCT ?i WHERE {{
              {{ GRAPH ?g {{ ?i ?p ?o }} }} UNION {{ GRAPH ?g {{ ?s ?p ?i }} }}
              FILTER(isIRI(?i) && STRSTARTS(STR(?i), "{ID}"))
            }}"""
    )
    return {row["i"].value for row in rows}


@pytest.mark.slow
def test_a_document_in_every_format_for_every_resource(site: Path, release: Path) -> None:
    iris = id_iris(release)
    assert len(iris) > 100
    pages = {str(p.relative_to(site).with_suffix("")) for p in (site / "id").rglob("*.html")}
    assert pages == {iri.removeprefix("https://w3id.org/cskg/") for iri in iris}
    for iri in iris:
        path = iri.removeprefix("https://w3id.org/cskg/")
        for ext in FORMATS:
            assert (site / f"{path}.{ext}").is_file(), f"{path}.{ext}"


def test_every_data_file_reloads_and_holds_the_resource_triples(site: Path, release: Path) -> None:
    store = ox.Store.read_only(str(release / "store"))
    rdflib_formats = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml"}
    for n, iri in enumerate(sorted(id_iris(release))):
        path = site / iri.removeprefix("https://w3id.org/cskg/")
        node = ox.NamedNode(iri)
        expected = {q.triple for q in named_quads(store, node, None, None, None)}
        expected |= {q.triple for q in named_quads(store, None, None, node, None)}
        nt = {q.triple for q in ox.parse(path=f"{path}.nt", format=ox.RdfFormat.N_TRIPLES)}
        assert expected <= nt, iri
        quads = set(ox.parse(path=f"{path}.nq", format=ox.RdfFormat.N_QUADS))
        assert {q for q in named_quads(store, node, None, None, None)} <= quads
        trig = set(ox.parse(path=f"{path}.trig", format=ox.RdfFormat.TRIG))
        assert quads == trig
        if n % 10 == 0:  # rdflib is slow: every tenth resource in the other formats
            ground = {
                ox_n3(t)
                for t in nt
                if not any(isinstance(x, ox.BlankNode) for x in (t.subject, t.object))
            }
            for ext, parser in rdflib_formats.items():
                graph = rdflib.Graph().parse(f"{path}.{ext}", format=parser)
                got = {
                    (s.n3(), p.n3(), o.n3())
                    for s, p, o in graph
                    if not isinstance(s, rdflib.BNode) and not isinstance(o, rdflib.BNode)
                }
                assert got == ground, f"{path}.{ext}"


def ox_n3(triple: ox.Triple) -> tuple[str, str, str]:
    graph = rdflib.Graph().parse(
        data=ox.serialize([triple], format=ox.RdfFormat.N_TRIPLES), format="nt"
    )
    s, p, o = next(iter(graph))
    return (s.n3(), p.n3(), o.n3())


def test_htaccess_negotiates_every_format(site: Path) -> None:
    rules = (site / ".htaccess").read_text()
    assert "RewriteBase /cskg/" in rules
    for fmt in FORMATS.values():
        assert f"RewriteCond %{{HTTP_ACCEPT}} {fmt.media.replace('+', chr(92) + '+')}" in rules
        assert f"$1.{fmt.ext} [R=303,L]" in rules
        if fmt.ext != "html":
            assert f"AddType {fmt.media} .{fmt.ext}" in rules
    assert "Header always merge Vary Accept" in rules
    readme = (site / "README.txt").read_text()
    assert "map $http_accept $cskg_ext" in readme and "GitHub Pages" in readme


def test_void_names_the_local_dumps(site: Path, release: Path) -> None:
    graph = rdflib.Graph().parse(site / ".well-known" / "void", format="turtle")
    dumps = {str(o) for o in graph.objects(None, rdflib.URIRef("http://rdfs.org/ns/void#dataDump"))}
    assert f"{BASE}/dumps/cskg.nq" in dumps
    assert (site / "dumps" / "cskg.nq").read_bytes() == (release / "cskg.nq").read_bytes()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a browser that closes a connection mid-file resets it: expected here


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(site))
    httpd = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def local_links(html: str) -> list[str]:
    return [
        h for h in re.findall(r'href="([^"]+)"', html) if "://" not in h and not h.startswith("#")
    ]


@pytest.mark.parametrize("page", ["index.html", "id/agency/miit.html", "ontology.html"])
def test_every_local_link_resolves(served: str, page: str) -> None:
    with urllib.request.urlopen(served + page) as response:
        assert response.status == 200
        html = response.read().decode()
    links = local_links(html)
    assert len(links) > 5
    for href in sorted(set(links)):
        target = urllib.parse.urljoin(served + page, href.split("#")[0])
        with urllib.request.urlopen(target) as response:
            assert response.status == 200, target


def test_hostile_data_is_escaped_in_the_static_pages(tmp_path: Path) -> None:
    from cskg.web.static_site import publish

    dist = write_poisoned_release(tmp_path / "dist")
    report = publish(dist, tmp_path / "site", BASE)
    html = (report.out / "id" / "agency" / "evil.html").read_text()
    assert SCRIPT not in html and str(escape(SCRIPT)) in html
    assert "<img" not in html
    assert 'href="javascript:' not in html.lower()
    assert f'<span class="iri" title="{JS_IRI}" translate="no">{JS_IRI}</span>' in html


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.mark.slow
def test_publishing_again_gives_the_same_site(site: Path, release: Path, tmp_path: Path) -> None:
    from cskg.web.static_site import publish

    root = Path(__file__).resolve().parents[1]
    again = publish(release, tmp_path / "again", BASE, root=root)
    first, second = tree(site), tree(again.out)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []
    # the folder is made as mkdir would make it, for a web server to read
    umask = os.umask(0)
    os.umask(umask)
    assert (again.out.stat().st_mode & 0o777) == 0o777 & ~umask


@pytest.mark.slow
def test_a_failed_publish_leaves_the_previous_site(
    release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cskg.web.linkeddata import LinkedData
    from cskg.web.static_site import publish

    out = tmp_path / "site"
    publish(release, out, BASE)
    before = tree(out)
    rendered = 0
    render = LinkedData.document

    def fail_midway(self: LinkedData, *args: object, **kwargs: object) -> bytes:
        nonlocal rendered
        rendered += 1
        if rendered > 40:
            raise OSError(28, "No space left on device")
        return render(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(LinkedData, "document", fail_midway)
    with pytest.raises(CskgError, match=f"cannot write the site at {out}: No space left"):
        publish(release, out, "https://elsewhere.example.org/cskg")
    assert rendered > 40  # it failed after writing part of the new site
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # nothing left beside it


def test_long_tables_and_lists_are_cut_with_the_way_to_all_rows(release: Path) -> None:
    """A page shows at most `html_rows` rows per table or list and says how many there are and
    which documents hold them all; the RDF documents stay whole."""
    from cskg.web.linkeddata import LinkedData
    from cskg.web.pages import INSTANCES, Linker
    from cskg.web.settings import Settings

    site = LinkedData(Settings(dist=release, base=BASE), None)
    store = site.release.store
    inferred = ox.NamedNode(ID.replace("/id/", "/graph/") + "inferred")
    in_graph = {q.triple for q in store.quads_for_pattern(None, None, None, inferred)}
    site.release.html_rows = 5
    linker = Linker(BASE, static_from="graph/inferred.html")
    html = site.document("graph/inferred", "html", linker).decode()
    contents = html.split('<table id="contents">')[1].split("</table>")[0]
    assert contents.count("<tr>") == 1 + 5  # the header and five rows
    note = re.search(r'<p class="truncated" id="contents-truncated">(.*?)</p>', html)
    assert note is not None
    assert note[1].startswith(f"The first 5 of {len(in_graph):,} are listed; ")
    assert 'href="inferred.ttl"' in note[1] and 'href="inferred.nq"' in note[1]
    # the documents it names hold every statement of the graph
    document = site.document("graph/inferred", "nq", linker)
    held = {
        q.triple
        for q in ox.parse(document, format=ox.RdfFormat.N_QUADS)
        if q.graph_name == inferred
    }
    assert held == in_graph
    # a table within the limit has no note
    assert "statements-truncated" not in html

    # an instance list: the first five by label, the total, and (on a static site) the dump
    cls = "https://w3id.org/cskg/ontology#Enterprise"
    everyone = site.release.instances(cls)
    assert len(everyone) > 5
    enterprise = {"prefix": "cskg", "local": "Enterprise"}
    page = site.render(
        INSTANCES, Linker(BASE, static_from="instances/cskg/Enterprise.html"), enterprise
    )
    text = page.decode()
    listed = re.findall(r'<tr><td><a href="[^"]*" title="([^"]+)"', text)  # a row each
    assert listed == everyone[:5]
    note = re.search(r'<p class="truncated" id="instances-truncated">(.*?)</p>', text)
    assert note is not None and note[1].startswith(f"The first 5 of {len(everyone):,} are listed; ")
    assert "the N-Quads dump" in note[1] and "SPARQL" not in note[1]
    served = site.render(INSTANCES, Linker(""), enterprise).decode()
    assert 'href="/sparql">the SPARQL endpoint</a> and <a href="/dumps/cskg.nq">' in served
