"""Search (`cskg.search`): the index over the real release, `/search` of the real server (HTML and
JSON), the 404's suggestions, the search box on every page, `cskg search`, and the static site's
search run by search.js in headless Chromium, which must rank as the Python does.

The entities a query must find are read from the release's own label statements (the one whose
Chinese label is 工业和信息化部, the one the paper misspells "Loongsun"), never written out here.
"""

from __future__ import annotations

import functools
import http.client
import http.server
import itertools
import json
import os
import re
import statistics
import time
import unicodedata
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO, headless_chromium
from markupsafe import escape
from utils.loopback import LoopbackHTTPServer, plain_request

from cskg.cli import main
from cskg.query.describe import AmbiguousTerm, resolve
from cskg.query.results import compact
from cskg.release import Release
from cskg.search import (
    MAX_QUERY,
    SearchIndex,
    match,
    normalise,
    normalise_mapped,
    parse_query,
    score,
)
from cskg.vocab import LABEL_PROPERTIES, SKOS_ALT_LABEL

ALIAS = LABEL_PROPERTIES.index(SKOS_ALT_LABEL)


# -- the release, and what the acceptance queries must find --------------------------------------


@pytest.fixture(scope="module")
def data(release: Path) -> Iterator[Release]:
    with Release.open(release) as opened:
        yield opened


@pytest.fixture(scope="module")
def index(data: Release) -> SearchIndex:
    return SearchIndex.build(data)


def labelled(data: Release, wanted: str, *, alias: bool = False, start: bool = False) -> str:
    """The one entity with a label (an alias) equal to `wanted` (or starting with it)."""
    found = {
        iri
        for iri, entries in data.label_statements.items()
        for _lang, rank, text in entries
        if (rank == ALIAS) == alias and (text.startswith(wanted) if start else text == wanted)
    }
    assert len(found) == 1, (wanted, found)
    return found.pop()


@pytest.fixture(scope="module")
def expected(data: Release) -> dict[str, str]:
    """Query -> the entity it must find first."""
    miit = labelled(data, "工业和信息化部")
    assert labelled(data, "MIIT", alias=True) == miit
    loongson = labelled(data, "Loongsun", alias=True, start=True)
    assert labelled(data, "Loongson", start=True) == loongson
    return {
        "工业和信息化部": miit,
        "信息化部": miit,
        "miit": miit,
        "MIIT": miit,
        "Loongsun": loongson,
        "loongson": loongson,
        "ＬＯＯＮＧＳＯＮ": loongson,  # full-width letters
        "Lóongsón": loongson,  # accents
        "Minstry of Industry and Informaton": miit,  # two misspellings
    }


ACCEPTANCE = [
    "工业和信息化部",
    "信息化部",
    "miit",
    "MIIT",
    "Loongsun",
    "loongson",
    "ＬＯＯＮＧＳＯＮ",
    "Lóongsón",
    "Minstry of Industry and Informaton",
]

#: queries of every kind, for the checks that two ways of searching agree
VARIED = [
    *ACCEPTANCE,
    "g-cloud",
    "security",
    "安全",
    "software co",
    "central leading grup",
    "agency:miit",
    "autonomously controllable",
    "网络安全和信息化",
    "industry alliance formed",
    "cloud operating",
    "a",
    "x",
]


@pytest.mark.parametrize("text", ACCEPTANCE)
def test_the_index_finds_the_right_entity_first(
    index: SearchIndex, expected: dict[str, str], text: str
) -> None:
    hits = index.search(text)
    assert hits[0].iri == expected[text]
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))


def test_kinds_rank_in_order_and_quotes_below_names(index: SearchIndex) -> None:
    """An exact name before a prefix, a phrase, all terms, a misspelling; every quote last."""
    hits = index.search("miit", limit=None)
    kinds = [h.kind for h in hits if h.field != "quote"]
    order = ["exact", "prefix", "phrase", "terms", "fuzzy"]
    assert kinds == sorted(kinds, key=order.index)
    hits = index.search("leading", limit=None)
    fields = [h.field for h in hits]
    assert "quote" in fields and "label" in fields
    assert fields == sorted(fields, key=lambda f: f == "quote")  # names, then quotes


def brute_force(index: SearchIndex, text: str) -> list[tuple[str, float, str]]:
    """Every value scored, no postings: what the browser's script does."""
    query = parse_query(text)
    best: dict[int, tuple[float, int]] = {}
    for number, value in enumerate(index.values):
        found = match(query, value.norm, value.field != "quote")
        if found is not None:
            scored = score(value.field, found)
            for entity in value.entities:
                if entity not in best or scored > best[entity][0]:
                    best[entity] = (scored, number)
    ranked = sorted(best.items(), key=lambda e: (-e[1][0], index.entities[e[0]].iri))
    return [(index.entities[e].iri, s, index.values[n].field) for e, (s, n) in ranked]


@pytest.mark.parametrize("text", VARIED)
def test_the_postings_lose_no_match(index: SearchIndex, text: str) -> None:
    """The index looks only at the values its postings name: it finds what a scan finds."""
    found = [(h.iri, h.score, h.field) for h in index.search(text, limit=None)]
    assert found == brute_force(index, text)


def test_normalisation_folds_case_accents_width_and_punctuation(index: SearchIndex) -> None:
    assert normalise("Loongsun Technology Co., Ltd.") == "loongsun technology co ltd"
    assert normalise("ＬóＯＮＧsón") == normalise("LOONGSON") == "loongson"
    assert normalise("  工业和信息化部（MIIT）") == "工业和信息化部 miit"
    # the mapped form (for marks) is the same text, for every value of the index
    assert all(normalise_mapped(v.text)[0] == v.norm for v in index.values)
    text = "Ｌóong-sun!"
    norm, origin = normalise_mapped(text)
    assert norm == "loong sun" and [text[i] for i in origin] == list("Ｌóong-sun")


def test_marks_cover_the_match_in_the_value_text(index: SearchIndex) -> None:
    [hit] = [h for h in index.search("信息化部") if h.field == "label"][:1]
    assert [hit.text[a:b] for a, b in hit.marks] == ["信息化部"]
    hit = index.search("Loongsun")[0]
    assert [hit.text[a:b] for a, b in hit.marks] == ["Loongsun"]


def test_describe_resolves_labels_by_the_same_search(
    data: Release, index: SearchIndex, expected: dict[str, str]
) -> None:
    """`cskg describe`'s label rule is the search's: a label equal to the term, else the only
    one holding it; part of two labels, it names neither and lists both."""
    for text in ("工业和信息化部", "MIIT", "Loongsun"):
        assert resolve(data, text) == expected[text] == index.search(text)[0].iri
    with pytest.raises(AmbiguousTerm) as raised:
        resolve(data, "信息化部")
    phrases = {h.iri for h in index.search("信息化部") if h.kind == "phrase"}
    assert {iri for iri, _ in raised.value.candidates} == phrases and len(phrases) == 2


def test_the_index_is_one_pass_over_the_query_bounds(index: SearchIndex) -> None:
    """A query is cut at MAX_QUERY characters and ten terms: a 10 kB text costs what 200 do."""
    long = "security " * 1200
    assert len(parse_query(long).text) <= MAX_QUERY
    assert len(parse_query(long).terms) == 10
    began = time.perf_counter()
    index.search(long)
    index.search("(a+)+$" * 40)
    assert time.perf_counter() - began < 10  # generous: a busy 2-core machine


# -- `/search` on the real server ----------------------------------------------------------------


request = plain_request


def page_of(server: str, iri: str) -> str:
    """Where the server serves a project IRI."""
    return server + "/" + iri.split("/cskg/", 1)[1]


def search_json(server: str, text: str) -> dict:
    status, headers, body = request(
        server, "/search?" + urllib.parse.urlencode({"q": text}), "application/json"
    )
    assert status == 200 and headers["content-type"].startswith("application/json")
    return json.loads(body)


@pytest.mark.parametrize("text", ACCEPTANCE)
def test_the_server_finds_the_right_entity_first(
    server: str, expected: dict[str, str], text: str
) -> None:
    assert search_json(server, text)["results"][0]["iri"] == expected[text]


def test_json_shape(server: str, data: Release, expected: dict[str, str]) -> None:
    answer = search_json(server, "Loongsun")
    assert set(answer) == {"query", "results"} and answer["query"] == "Loongsun"
    keys = {"iri", "label", "class", "score", "field", "snippet", "marks", "href"}
    assert answer["results"] and all(set(r) == keys for r in answer["results"])
    first = answer["results"][0]
    assert first["label"] == data.label(expected["Loongsun"], "en")
    assert first["field"] == "alias"
    assert [first["snippet"][a:b] for a, b in first["marks"]] == ["Loongsun"]
    scores = [r["score"] for r in answer["results"]]
    assert scores == sorted(scores, reverse=True)
    # the link is the entity's page on this server
    target = urllib.parse.urljoin(server + "/search", first["href"])
    assert target == page_of(server, expected["Loongsun"])
    status, headers, _ = request(server, urllib.parse.urlsplit(target).path, "text/html")
    assert status == 303 and headers["location"].endswith(".html")
    # ?format=json says the same as Accept
    path = "/search?" + urllib.parse.urlencode({"q": "Loongsun", "format": "json"})
    assert json.loads(request(server, path)[2]) == answer


def test_results_page(
    server: str, data: Release, index: SearchIndex, expected: dict[str, str]
) -> None:
    status, headers, body = request(server, "/search?q=%E4%BF%A1%E6%81%AF%E5%8C%96%E9%83%A8")
    page = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/html")
    first = re.search(
        r'<li class="hit" data-iri="([^"]+)"[^>]*>\s*<a href="([^"]+)"[^>]*>([^<]+)</a>', page
    )
    assert first is not None
    miit = expected["信息化部"]
    assert first.group(1) == miit and first.group(3) == str(escape(data.label(miit, "en")))
    assert urllib.parse.urljoin(server + "/search", first.group(2)) == page_of(server, miit)
    assert "<mark>信息化部</mark>" in page
    [entity] = [e for e in index.entities if e.iri == miit]
    assert entity.cls is not None
    badge = escape(data.label(entity.cls, "en"))
    assert f'<span class="badge" translate="no">{badge}</span>' in page


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("q=" + "a" * 10_000, 414),  # a 10 kB text
        ("q=" + "%E4%BF%A1" * 201, 414),  # 201 characters of 3 bytes each
        ("q=a&q=b", 400),
        ("q=%FF", 400),  # not UTF-8
        ("q=miit&format=xml", 406),
    ],
)
def test_refused_input_gets_a_status_and_one_line(server: str, query: str, status: int) -> None:
    got, _headers, body = request(server, "/search?" + query)
    assert got == status
    assert b"Traceback" not in body and len(body) < 100_000
    if status in (400, 414) and "q=%FF" not in query:
        got, _headers, body = request(server, "/search?" + query, "application/json")
        assert got == status and set(json.loads(body)) == {"error"}


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        ".*(a+)+$[\\",
        '"><img src=x onerror=alert(1)>',
        "",
        "   ",
        "{q}",
    ],
)
def test_hostile_text_is_escaped_and_answered(server: str, text: str) -> None:
    path = "/search?" + urllib.parse.urlencode({"q": text})
    status, _headers, body = request(server, path)
    page = body.decode()
    assert status == 200
    assert "<script>alert" not in page and "<img src=x" not in page
    assert f'value="{escape(text)}"' in page  # shown back in the box, escaped
    answer = search_json(server, text)
    assert answer["query"] == text
    if not text.strip():
        assert answer["results"] == [] and 'class="hit"' not in page


def test_a_406_for_an_accept_neither_page_nor_json(server: str) -> None:
    status, _headers, _body = request(server, "/search?q=miit", "image/png")
    assert status == 406


@pytest.mark.parametrize(
    "params",
    [{"q": "Loongsun"}, {"q": "no such thing at all"}, {"error": "The search text is too long."}],
)
@pytest.mark.parametrize("static", [False, True])
def test_every_interface_string_of_search_has_its_chinese(
    release: Path, params: dict, static: bool
) -> None:
    """The search page (the server's and the static site's) and the 404 with suggestions, in
    Chinese: a string with no translation raises."""
    from cskg.web.i18n import translator
    from cskg.web.linkeddata import LinkedData
    from cskg.web.pages import SEARCH, SEARCH_FILE, Linker, links, search_results
    from cskg.web.settings import Settings

    site = LinkedData(Settings(dist=release), None)
    linker = (
        Linker("https://data.example.org/cskg", static_from=SEARCH_FILE) if static else site.linker
    )
    view = SEARCH.view(site.release, linker, {**params, "lang": "zh"})
    assert view["lang"] == "zh" and bool(view["results"]) == (
        params.get("q") == "Loongsun" and not static
    )
    t = translator("zh", strict=True)
    page = site.env.get_template(SEARCH.template).render(**view, links=links(linker), t=t)
    assert 'lang="zh"' in page and "搜索" in page
    found = search_results(site.release, site.linker, "miti", "zh")
    error = site.env.get_template("error.html").render(
        title="",
        message="",
        links=links(site.linker),
        lang="zh",
        t=t,
        suggestions=found,
        searched="miti",
    )
    assert "您要找的是不是" in error and found and str(escape(found[0].label)) in error


# -- the 404 page --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/id/agency/miti", "miit"),
        ("/id/agency/mitt.html", "miit"),
        ("/id/enterprise/loongsun", "Loongsun"),
    ],
)
def test_a_misspelt_iri_suggests_the_entity(
    server: str, expected: dict[str, str], path: str, text: str
) -> None:
    status, _headers, body = request(server, path)
    page = body.decode()
    assert status == 404
    suggestions = re.search(r'<ul id="suggestions">(.*?)</ul>', page, re.S)
    assert suggestions is not None
    first = re.search(r'<a href="([^"]+)"', suggestions.group(1))
    assert first is not None
    assert urllib.parse.urljoin(server + path, first.group(1)) == page_of(server, expected[text])


# -- the search box on every page ----------------------------------------------------------------

#: the search box of the navigation bar: a GET form with a `q` field
BOX = re.compile(
    r'<nav>.*?<form class="search" role="search" method="get" action="([^"]+)">'
    r'<input type="search" name="q".*?</form>.*?</nav>',
    re.S,
)


def test_every_page_kind_has_the_search_box(server: str, release: Path) -> None:
    status, _headers, body = request(server, "/")
    home = body.decode()
    instances = re.search(r'href="([^"]*/instances/[^"]+)"', home)
    assert instances is not None
    for path in (
        "/",
        "/id/agency/miit.html",
        "/ontology.html",
        urllib.parse.urlsplit(instances.group(1)).path,
        "/query",
        "/search?q=miit",
        "/id/agency/no-such-agency",
    ):
        status, _headers, body = request(server, path, "text/html")
        assert status in (200, 404), path
        found = BOX.search(body.decode())
        assert found is not None, path
        assert urllib.parse.urljoin(server + path, found.group(1)) == server + "/search", path


# -- `cskg search` -------------------------------------------------------------------------------


def test_cli_search(capsys: pytest.CaptureFixture[str], release: Path, expected: dict) -> None:
    assert main(["--dist", str(release), "search", "Loongsun", "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["results"][0]["iri"] == expected["Loongsun"]
    assert answer["results"][0]["href"] == expected["Loongsun"]
    assert main(["--dist", str(release), "search", "工业和信息化部", "--lang", "zh"]) == 0
    first = capsys.readouterr().out.splitlines()[0].split()
    miit = compact(expected["工业和信息化部"])
    assert first[2:4] == [miit, "[工业和信息化部]"]  # the match marked in the label


# -- `cskg bench --pages` ------------------------------------------------------------------------


@pytest.mark.slow
def test_bench_pages_times_each_kind_on_both_releases() -> None:
    """The paper's release and one synthetic paper's, each served and asked every kind of page;
    the report states each figure it measured, and the index's."""
    from cskg.lab.bench import PAGE_KINDS, SEARCHES, _ms, _p95, run_pages

    report = run_pages(REPO, papers=1, runs=1)
    assert [p.label for p in report.points] == ["the paper", "1 papers"]
    text = report.to_markdown()
    for point in report.points:
        assert len(point.times["home"]) == 4 and len(point.times["search"]) == len(SEARCHES)
        assert len(point.times["resource"]) > 30 and point.times["instances"]
        for kind in PAGE_KINDS:
            values = point.times[kind]
            assert values and all(v > 0 for v in values), kind
            median = _ms(statistics.median(values))
            row = f"| {point.label} | {point.triples:,} | {kind} | {len(values)} | {median} | "
            assert row + f"{_ms(_p95(values))} | {_ms(max(values))} |" in text, kind
        size = point.index_size
        assert point.index_seconds > 0 and size["entities"] > 600 and size["file"] > 100_000
        assert f"| {point.label} | {_ms(point.index_seconds)} | {size['entities']:,} |" in text


# -- the static site's search, in headless Chromium ---------------------------------------------

chromium = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists() or not Path("/usr/bin/chromedriver").exists(),
    reason="needs Debian's chromium and chromedriver",
)


@pytest.fixture(scope="module")
def site(release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("search-site") / "site"
    base = "https://data.example.org/cskg"
    assert (
        main(
            [
                "--root",
                str(REPO),
                "--dist",
                str(release),
                "publish",
                "--out",
                str(out),
                "--base",
                base,
            ]
        )
        == 0
    )
    return out


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    handler = functools.partial(_Files, directory=str(site))
    with LoopbackHTTPServer(handler) as running:
        yield running.url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    pytest.importorskip("selenium")
    driver = headless_chromium(
        tmp_path_factory.mktemp("search-chromium"),
        capabilities={"goog:loggingPrefs": {"browser": "ALL"}},
    )
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def browser_results(browser, url: str, text: str) -> list[tuple[str, str]]:
    """(IRI, field) of each result the page shows for `text`, once its script has searched."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url + "?" + urllib.parse.urlencode({"q": text}))
    WebDriverWait(browser, 30).until(
        lambda d: (
            d.find_element(By.ID, "search-results").get_attribute("data-searched") is not None
            or d.find_element(By.ID, "search-count").text
        )
    )
    items = browser.find_elements(By.CSS_SELECTOR, "#search-results li.hit")
    return [
        (li.get_attribute("data-iri") or "", li.get_attribute("data-field") or "") for li in items
    ]


@pytest.mark.slow
def test_every_static_page_kind_has_the_search_box(site: Path) -> None:
    """The published pages' box leads to search.html, and search.html loads the script and
    names the index file, both in the site."""
    lists = sorted((site / "instances").rglob("*.html"))
    pages = ["index.html", "id/agency/miit.html", "ontology.html", "search.html"]
    for page in [*(site / name for name in pages), lists[0]]:
        found = BOX.search(page.read_text(encoding="utf-8"))
        assert found is not None, page
        assert (page.parent / found.group(1)).resolve() == (site / "search.html").resolve()
    search = (site / "search.html").read_text(encoding="utf-8")
    script = re.search(r'<script src="([^"]+)" defer></script>', search)
    index = re.search(r'data-index="([^"]+)"', search)
    assert script is not None and (site / script.group(1)).is_file()
    assert index is not None and json.loads((site / index.group(1)).read_bytes())["entities"]
    assert "<script>" not in search  # no inline script: the policy allows none


@chromium
@pytest.mark.parametrize("text", VARIED)
def test_the_browser_ranks_as_python_does(
    browser, served: str, index: SearchIndex, text: str
) -> None:
    """search.js over the site's index file gives the results, in the order, of cskg.search."""
    shown = browser_results(browser, served + "/search.html", text)
    assert shown == [(h.iri, h.field) for h in index.search(text)]


@chromium
def test_the_static_search_finds_the_acceptance_entities_and_links_them(
    browser, served: str, expected: dict[str, str]
) -> None:
    from selenium.webdriver.common.by import By

    for text in ACCEPTANCE:
        assert browser_results(browser, served + "/search.html", text)[0][0] == expected[text]
    link = browser.find_element(By.CSS_SELECTOR, "#search-results li.hit a")
    link.click()
    page = expected[ACCEPTANCE[-1]].split("/cskg/", 1)[1] + ".html"
    assert browser.current_url == f"{served}/{page}"  # the last one's first result, followed
    log = browser.get_log("browser")
    errors = [e for e in log if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]
    assert errors == []  # no Content-Security-Policy violation, no script error


@chromium
def test_the_static_search_shows_hostile_text_as_text(browser, served: str) -> None:
    from selenium.webdriver.common.by import By

    text = "<img src=x onerror=alert(1)>"
    browser_results(browser, served + "/search.html", text)
    assert browser.find_element(By.ID, "search-q").get_property("value") == text
    assert browser.find_elements(By.CSS_SELECTOR, "main img") == []


@chromium
def test_the_results_page_in_chromium(browser, server: str, expected: dict[str, str]) -> None:
    """The server's page, as a browser shows it (CSKG_SCREENSHOTS=1 saves the README's figure)."""
    from selenium.webdriver.common.by import By

    browser.set_window_size(1100, 900)
    shown = browser_results(browser, server + "/search", "Loongsun")
    assert shown[0][0] == expected["Loongsun"]
    marks = browser.find_elements(By.CSS_SELECTOR, "#search-results li.hit mark")
    assert marks and unicodedata.normalize("NFC", marks[0].text) == "Loongsun"
    if os.environ.get("CSKG_SCREENSHOTS") == "1":
        browser.save_screenshot(str(REPO / "docs" / "figures" / "search.png"))
