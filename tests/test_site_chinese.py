"""The site in English and Chinese (`cskg.web.i18n`), on the real server, in headless Chromium and
in the published site: each page in the language `?lang=` names, else in the one Accept-Language
prefers; the links of a page keep a language chosen with `?lang=`; every page links to itself in
the other language; `cskg publish` writes the Chinese pages under `zh/`.

"No English left in the Chinese interface" is checked word by word. The interface is every text
node and every title, aria-label, placeholder and alt of a page that is not data; the pages mark
their data (a label, literal, quote, IRI, prefixed name, code, number) with `translate="no"` or
with a `lang` attribute of its own, which also keeps browsers' translators off it. Hidden text
counts too (a closed "why?", a <noscript>), so the check is stricter than what is on the screen.
"""

from __future__ import annotations

import functools
import http.client
import http.server
import re
import urllib.parse
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import CHROMEDRIVER, CHROMIUM, REPO, headless_chromium, named_quads
from utils.loopback import LoopbackHTTPServer

from cskg.vocab import BASE, EV, GRAPH_INFERRED
from cskg.web.i18n import CHINESE, LANGUAGES, Untranslated
from cskg.web.negotiation import language

#: the Latin-script words the Chinese interface writes on purpose: names of standards, formats
#: and programs that Chinese interfaces write as they are (none has a Chinese name in use)
NAMES = frozenset(
    {
        "SPARQL",  # the query language: "SPARQL 查询", "SPARQL 端点"
        "N-Quads",  # the dump's format: "下载（N-Quads）"
        "Turtle",  # a format: "Turtle 文档", and VoID's on the dataset page
        "VoID",  # the W3C vocabularies of the dataset's description for machines
        "DCAT",
        "IRI",  # the RDF standards' identifier
        "SHACL",  # the W3C constraint language: "约束（SHACL）"
        "SVG",  # the picture format the chart is saved as: "保存图表（SVG）"
        "JavaScript",  # "没有 JavaScript 时" (the query page's <noscript>)
        "cskg",  # the project's name: page titles, "cskg 所知的规则"
    }
)
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*")
#: what a page says in its interface, besides its text
SAID = ("title", "aria-label", "placeholder", "alt")
#: an element that holds data, not interface (the page's own <html lang> aside)
DATA = '[translate="no"], body [lang]'
#: a Chinese browser's Accept-Language (Chromium's, with --accept-lang=zh-CN,zh)
CHINESE_BROWSER = "zh-CN,zh;q=0.9"
WAIT = 30  # seconds; generous for a busy two-core machine

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists() or not CHROMEDRIVER.exists(),
    reason="needs Debian's chromium and chromedriver",
)


def english_words(texts: list[str]) -> list[str]:
    """The Latin-script words of `texts` that are not among `NAMES`."""
    return [w for text in texts for w in WORD.findall(text) if w not in NAMES]


class Interface(HTMLParser):
    """The interface of an HTML page (the rule of the module docstring): `texts`, the text and
    attributes not inside data, scripts or styles; `lang`, the page's own language."""

    VOID = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"})

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, bool]] = []  # (tag, whether it is data or code)
        self.texts: list[str] = []
        self.lang: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        if tag == "html":
            self.lang = given.get("lang")
        inside = any(data for _, data in self.open)
        data = inside or given.get("translate") == "no" or (tag != "html" and "lang" in given)
        if not data:
            self.texts += [value for name in SAID if (value := given.get(name))]
        if tag not in self.VOID:
            self.open.append((tag, data or tag in ("script", "style", "title")))

    def handle_endtag(self, tag: str) -> None:
        for at in range(len(self.open) - 1, -1, -1):
            if self.open[at][0] == tag:
                del self.open[at:]
                return

    def handle_data(self, data: str) -> None:
        if not any(inside for _, inside in self.open):
            self.texts.append(data)


def title_of(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found is not None
    return found[1]


def get(
    url: str, path: str, *, accept: str = "text/html", lang: str | None = None
) -> tuple[int, dict[str, str], str]:
    """One request (redirects not followed): status, headers (lower-case names), body."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=WAIT)
    headers = {"Accept": accept, **({"Accept-Language": lang} if lang else {})}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read().decode("utf-8", errors="replace")
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def links_of(html: str) -> list[str]:
    """Every href, src, action and data-index of a page, its language switch aside."""
    html = re.sub(r'<a class="language" [^>]*>', "", html)
    return [
        link.replace("&amp;", "&")
        for link in re.findall(r'(?:href|src|action|data-index)="([^"]*)"', html)
    ]


def same_page(html: str) -> list[str]:
    """What a page links to, the language its links keep aside: the same in each language."""
    return sorted(re.sub(r"[?&]lang=\w+", "", link) for link in links_of(html))


def local(url: str) -> str:
    """The path and query of a URL on the server."""
    return urllib.parse.urlsplit(url)._replace(scheme="", netloc="").geturl()


def switch_of(html: str, lang: str) -> str:
    """The href of the language switch to `lang`."""
    found = re.search(rf'<a class="language" href="([^"]+)" hreflang="{lang}"', html)
    assert found is not None, f"no switch to {lang}"
    return found[1].replace("&amp;", "&")


@pytest.fixture(scope="module")
def store(release: Path) -> Iterator[ox.Store]:
    opened = ox.Store.read_only(str(release / "store"))
    yield opened
    del opened


# -- the one rule for the language ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN", "zh"),  # a more specific tag of an offered language
        ("zh-Hans-CN,zh;q=0.9", "zh"),
        ("ZH-cn", "zh"),  # tags are case-insensitive
        ("en;q=0.5, zh;q=0.6", "zh"),  # the higher q, whatever the order
        ("fr, zh;q=0.1", "zh"),  # a language the site lacks does not count
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("zh;q=0", "en"),  # q=0: not acceptable
        ("zh;q=nonsense", "en"),  # a q that is not a number refuses the range
        ("zh, en", "en"),  # a tie goes to the server's order
        ("*", "en"),
        ("fr", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_accept_language_chooses_the_language(header: str | None, expected: str) -> None:
    assert language(header, LANGUAGES) == expected


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        ("lang=zh", "en", ("zh", "zh")),  # ?lang= wins, and the page's links keep it
        ("lang=en", CHINESE_BROWSER, ("en", "en")),
        ("q=miit&lang=%7A%68", None, ("zh", "zh")),
        ("lang=fr", CHINESE_BROWSER, ("zh", None)),  # not a language of the site: negotiated
        ("lang=%3Cscript%3E", None, ("en", None)),
        ("lang=", CHINESE_BROWSER, ("zh", None)),
        ("lang=en&lang=zh", None, ("en", "en")),  # the first one
        ("", CHINESE_BROWSER, ("zh", None)),
    ],
)
def test_lang_is_chosen_before_accept_language(
    query: str, header: str | None, expected: tuple[str, str | None]
) -> None:
    from cskg.web.linkeddata import asked

    found = asked(query, header, "/")
    assert (found.lang, found.kept) == expected


# -- (1) every page kind has every interface string in Chinese -------------------------------------


@pytest.fixture(scope="module")
def site(release: Path):
    """The pages as the server and `cskg publish` render them, a missing translation raising."""
    from cskg.web.linkeddata import LinkedData
    from cskg.web.settings import Settings

    made = LinkedData(Settings(dist=release, root=REPO), None)
    made.strict = True
    return made


def _copies(site) -> Iterator[tuple[object, dict]]:
    """Every page of `PAGES` with the parameters of each of its copies (as `cskg publish`)."""
    from cskg.web.pages import PAGES

    for page in PAGES:
        for params in page.copies(site.release):
            yield page, params


@pytest.mark.slow
def test_every_page_renders_with_every_string_translated(site) -> None:
    """Every copy of every page (each resource, each instance list, …), on the server (with and
    without a kept language) and in the static site, through `LinkedData.render`: a strict
    translator raises for any interface string `CHINESE` lacks."""
    from cskg.web.pages import Linker

    site.release.html_rows = 2  # the notes under cut tables and lists too
    rendered = 0
    for page, params in _copies(site):
        name = page.file.format(**params) if page.file else page.name
        static = f"{name}.html" if page.document else name
        linkers = [site.linkers[None], site.linkers["zh"]]
        linkers += [Linker("https://data.example.org/cskg", static_from=static, lang="zh")]
        for linker in linkers:
            if page.document:
                html = site.document(params.get("path", "ontology"), "html", linker, "zh")
            else:
                html = site.render(page, linker, {**params, "lang": "zh"})
            assert '<html lang="zh">' in html.decode()
            rendered += 1
    assert rendered > 3 * 700  # every resource of the release, not a sample


def test_the_query_search_and_error_pages_are_translated_in_each_state(site) -> None:
    """The states a page's view does not reach by its parameters alone: a query answered (each
    kind of answer) or refused, a search found or refused, each reason for a 404."""
    from cskg.web.catalogue import REFUSED
    from cskg.web.i18n import Message
    from cskg.web.linkeddata import ASKED, FORM_ERRORS, NOT_DESCRIBED, Asked
    from cskg.web.pages import INSTANCES, SEARCH, NotFound

    token = ASKED.set(Asked("zh", None, "/query"))
    try:
        table = {"kind": "select", "columns": ["x"], "rows": [], "count": 3, "capped": True}
        for result in (
            {**table, "ms": 2.0},
            {"kind": "ask", "boolean": True},
            {**table, "kind": "graph", "count": 1, "ms": 1.0},
        ):
            html = site.query_page(text="ASK {}", result=result).decode()
            assert "SPARQL 查询" in html
        for error in [*(Message(e) for e in FORM_ERRORS), Message("No endpoint.")]:
            assert CHINESE[error.text] in site.query_page(text="x", error=error).decode()
        missing = [NOT_DESCRIBED, Message("No such file."), Message("No such download.")]
        for asked_for in ({"local": "NoSuchClass"}, {"local": "Evidence", "prefix": "nope"}):
            with pytest.raises(NotFound) as refused:
                site.render(INSTANCES, site.linker, {"prefix": "cskg", **asked_for})
            missing.append(refused.value.message)
        for name in REFUSED:
            params = {"prefix": "cskg", "local": "CausalClaim", "query": {name: "<x>"}}
            with pytest.raises(NotFound) as refused:
                site.render(INSTANCES, site.linker, params)
            missing.append(refused.value.message)
        for message in missing:
            page = site.not_found(message, searched="miti").body.decode()
            assert CHINESE[message.text].split("{")[0] in page and "未找到" in page
        for params in (
            {"q": "miit"},
            {"q": "nothing like it at all"},
            {"error": "The search text is too long."},
            {"error": "Give the search text once."},
        ):
            assert "搜索" in site.render(SEARCH, site.linker, {**params, "lang": "zh"}).decode()
    finally:
        ASKED.reset(token)


def test_a_strict_render_fails_without_a_translation(site, monkeypatch) -> None:
    """The check above can fail: one string taken out of the catalogue is found."""
    from cskg.web.pages import HOME

    monkeypatch.delitem(CHINESE, "Entry points")
    with pytest.raises(Untranslated, match="Entry points"):
        site.render(HOME, site.linker, {"lang": "zh"})


# -- (2) the Chinese site in Chromium: no English interface string ------------------------------

#: the interface of the page shown (the rule of the module docstring, as `Interface`)
INTERFACE = f"""
const data = {DATA!r};
const texts = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {{
  const parent = node.parentElement;
  if (!parent.closest("script, style") && !parent.closest(data)) texts.push(node.nodeValue);
}}
for (const element of document.body.querySelectorAll("*")) {{
  if (element.closest(data)) continue;
  for (const name of {list(SAID)!r}) {{
    if (element.hasAttribute(name)) texts.push(element.getAttribute(name));
  }}
}}
return [document.documentElement.lang, texts];
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Chromium as a Chinese reader's: Accept-Language zh-CN (no ?lang= anywhere)."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip("needs Debian's chromium and chromedriver")
    pytest.importorskip("selenium")
    driver = headless_chromium(
        tmp_path_factory.mktemp("chinese-profile"),
        "--window-size=1280,1600",
        "--accept-lang=zh-CN,zh",
    )
    driver.set_page_load_timeout(WAIT)
    yield driver
    driver.quit()


def shown_english(browser) -> list[str]:
    """The English words of the Chinese interface of the page shown."""
    lang, texts = browser.execute_script(INTERFACE)
    assert lang == "zh"
    assert any("\u4e00" <= c <= "\u9fff" for text in texts for c in text)  # Chinese, not empty
    return english_words(texts)


def _inferred_example(store: ox.Store) -> str:
    """A resource with an inferred statement whose premise a sentence of the paper states."""
    inferred = named_quads(store, None, None, None, ox.NamedNode(GRAPH_INFERRED))
    for quad in sorted(inferred, key=str):
        subject = quad.subject
        if (
            isinstance(subject, ox.NamedNode)
            and subject.value.startswith(BASE + "id/")
            and any(q.graph_name.value.startswith(EV) for q in named_quads(store, subject))
        ):
            return subject.value.removeprefix(BASE)
    raise AssertionError("no inferred statement about a resource")


@needs_chromium
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/id/agency/miit",
        "/id/claim/draft-law-enabled-legal-development",
        "/id/dataset/table-1",
        "/instances/cskg/CausalClaim",
        "/ontology",
        "/dataset",
        "/search?q=%E4%BF%A1%E6%81%AF%E5%8C%96%E9%83%A8",
        "/id/agency/miti",  # a 404 with suggestions
    ],
)
def test_the_chinese_pages_have_no_english_interface(browser, server: str, path: str) -> None:
    browser.get(server + path)
    assert shown_english(browser) == []
    if path.startswith("/search") or path.endswith("miti"):  # the title is interface too
        assert english_words([browser.title]) == []


@needs_chromium
def test_an_inferred_statements_why_is_in_chinese(browser, server: str, store: ox.Store) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/{_inferred_example(store)}")
    disclosures = browser.find_elements(By.CSS_SELECTOR, "details.why")
    assert disclosures
    for details in disclosures:
        browser.execute_script("arguments[0].scrollIntoView()", details)
        details.find_element(By.TAG_NAME, "summary").click()
        assert details.find_element(By.CSS_SELECTOR, ".proof").is_displayed()
    assert shown_english(browser) == []


@needs_chromium
def test_the_query_page_and_its_answer_are_in_chinese(browser, server: str) -> None:
    """The workbench with a library query's answer: YASGUI's own words too, in each of its views
    (the table, the chart, the response)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server}/query?example=market-size-china-vs-global")
    WebDriverWait(browser, WAIT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#yasr table.dataTable tbody tr td")
    )
    assert english_words([browser.title]) == []
    for view, drawn in (
        ("table", "table.dataTable"),
        ("chart", "svg.cskg-chart"),
        ("response", ".CodeMirror"),
    ):
        browser.find_element(By.CSS_SELECTOR, f"#yasr .select_{view}").click()
        WebDriverWait(browser, WAIT).until(
            lambda d, s=drawn: d.find_elements(By.CSS_SELECTOR, f"#yasr {s}")
        )
        # YASGUI's words are put in place as it draws them: wait for the last of them
        WebDriverWait(browser, WAIT).until(lambda d: shown_english(d) == [])
        assert shown_english(browser) == []


# -- (3) over HTTP: the language chosen, Vary, links that keep it, the switch -------------------

#: a page of each kind, by the path a reader asks for
PAGE_KINDS = (
    "/",
    "/id/agency/miit.html",
    "/instances/cskg/Policy",
    "/ontology.html",
    "/dataset.html",
    "/query",
    "/search?q=miit",
    "/id/agency/miti",
)


@pytest.mark.parametrize("path", PAGE_KINDS)
def test_accept_language_chooses_each_page_and_says_vary(server: str, path: str) -> None:
    status, headers, html = get(server, path, lang=CHINESE_BROWSER)
    assert status in (200, 404)
    page = Interface(html)
    assert page.lang == "zh" and english_words(page.texts) == []
    assert "Accept-Language" in [v.strip() for v in headers["vary"].split(",")]
    assert "lang=" not in "".join(links_of(html))  # negotiated: nothing for links to keep
    _, headers, html = get(server, path, lang="en-GB,en;q=0.9")
    assert Interface(html).lang == "en" and "Accept-Language" in headers["vary"]
    _, headers, html = get(server, path)  # no header: English
    assert Interface(html).lang == "en"


@pytest.mark.parametrize("path", PAGE_KINDS)
def test_lang_overrides_accept_language_and_links_keep_it(server: str, path: str) -> None:
    joiner = "&" if "?" in path else "?"
    status, headers, html = get(server, f"{path}{joiner}lang=en", lang=CHINESE_BROWSER)
    assert status in (200, 404) and Interface(html).lang == "en"
    assert "Accept-Language" not in headers.get("vary", "")  # the URL alone decides
    _, _, html = get(server, f"{path}{joiner}lang=zh")
    assert Interface(html).lang == "zh"
    links = links_of(html)
    assert f"{server}/?lang=zh" in links  # the site's own pages keep the language
    assert '<input type="hidden" name="lang" value="zh">' in html  # and the search box
    shared = [link for link in links if "/static/" in link or "/dumps/" in link]
    assert shared and not [link for link in shared if "lang=" in link]  # files do not


@pytest.mark.parametrize("bad", ["fr", "%3Cscript%3Ealert(1)%3C/script%3E", "zh-CN", "", "x" * 300])
def test_a_bad_lang_falls_back_to_negotiation(server: str, bad: str) -> None:
    status, _, html = get(server, f"/id/agency/miit.html?lang={bad}", lang=CHINESE_BROWSER)
    assert status == 200 and Interface(html).lang == "zh"
    assert "<script>alert" not in html
    status, _, html = get(server, f"/id/agency/miit.html?lang={bad}")
    assert status == 200 and Interface(html).lang == "en"


@pytest.mark.parametrize(
    "path",
    [
        "/id/agency/miit.html",
        "/instances/cskg/CausalClaim?modality=expected",
        "/search?q=miit",
        "/",
    ],
)
def test_the_switch_leads_to_the_same_page_in_the_other_language(server: str, path: str) -> None:
    _, _, chinese = get(server, path, lang=CHINESE_BROWSER)
    target = switch_of(chinese, "en")
    assert "lang=en" in target
    _, _, english = get(server, local(target), lang=CHINESE_BROWSER)  # ?lang= wins
    assert Interface(english).lang == "en"
    _, _, again = get(server, local(switch_of(english, "zh")))
    assert Interface(again).lang == "zh"
    # the same page: the same links (to the same resources, filters and files) in each
    assert same_page(chinese) == same_page(english) == same_page(again)
    assert len(same_page(chinese)) > 5


def test_a_resources_iri_keeps_the_language_in_its_redirect(server: str) -> None:
    status, headers, _ = get(server, "/id/agency/miit?lang=zh")
    assert status == 303 and headers["location"].endswith("/id/agency/miit.html?lang=zh")
    status, headers, _ = get(server, "/id/agency/miit", lang=CHINESE_BROWSER)
    assert status == 303 and headers["location"].endswith("/id/agency/miit.html")
    status, headers, _ = get(server, "/id/agency/miit?lang=zh", accept="text/turtle")
    assert status == 303 and headers["location"].endswith("/id/agency/miit.ttl")
    status, headers, _ = get(server, "/id/agency/miit.ttl", lang=CHINESE_BROWSER)
    assert status == 200 and "Accept-Language" not in headers.get("vary", "")
    status, headers, _ = get(server, "/dataset?lang=zh")
    assert status == 303 and headers["location"].endswith("/dataset.html?lang=zh")


def test_each_language_of_a_document_is_kept_apart(server: str) -> None:
    """The server keeps each page it made: the Chinese one never answers an English reader."""
    path = "/id/claim/draft-law-enabled-legal-development.html"
    for _ in range(2):
        for lang, header in (("zh", CHINESE_BROWSER), ("en", "en"), ("zh", "zh")):
            assert Interface(get(server, path, lang=header)[2]).lang == lang
    kept = get(server, path + "?lang=zh")[2]
    negotiated = get(server, path, lang="zh")[2]
    assert f"{server}/?lang=zh" in kept and f"{server}/?lang=zh" not in negotiated


def test_browsers_at_sparql_and_the_query_form_get_chinese(server: str) -> None:
    status, headers, html = get(server, "/sparql?query=ASK%20%7B%7D", lang=CHINESE_BROWSER)
    assert status == 200 and Interface(html).lang == "zh"
    assert [v.strip() for v in headers["vary"].split(",")] == ["Accept", "Accept-Language"]
    assert english_words(Interface(html).texts) == []
    _, _, html = get(server, "/query?lang=zh")
    assert 'action="' + server + '/query?lang=zh"' in html  # the form posts in its language


@pytest.mark.parametrize(
    "path",
    [
        "/static/nothing.css",
        "/dumps/nothing.nq",
        "/instances/cskg/NoSuchClass",
        "/instances/cskg/CausalClaim?modality=%3Cb%3Enone%3C/b%3E",
        "/instances/cskg/Policy?section=99",
        "/query?example=no-such-query",
        "/query?query=SELECT%20*%20WHERE%20%7B&query=ASK%7B%7D",
        "/search?q=" + "x" * 201,
        "/search?q=a&q=b",
    ],
)
def test_refusals_are_said_in_chinese(server: str, path: str) -> None:
    """Each refusal of a page in Chinese; what a visitor wrote is shown as data, escaped."""
    status, _, html = get(server, path, lang=CHINESE_BROWSER)
    assert status >= 400
    page = Interface(html)
    assert page.lang == "zh" and english_words(page.texts) == []
    assert english_words([title_of(html)]) == [] or "/instances/" in path
    assert "<b>none</b>" not in html


def test_a_sparql_error_is_the_parsers_own_and_marked_english(server: str) -> None:
    status, _, html = get(server, "/query?query=SELECT%20WHERE", lang=CHINESE_BROWSER)
    assert status == 400
    error = re.search(
        r'<div class="error" id="error"><span lang="en">(.+?)</span></div>', html, re.S
    )
    assert error is not None and english_words([error[1]])  # the parser's words, as it wrote them
    assert english_words(Interface(html).texts) == []


# -- (4) the published site: its Chinese pages under zh/ ------------------------------------------


@pytest.fixture(scope="module")
def published(release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cskg.web.static_site import publish

    return publish(
        release,
        tmp_path_factory.mktemp("bilingual") / "site",
        "https://data.example.org/cskg",
        root=REPO,
    ).out


@pytest.mark.slow
def test_the_chinese_pages_mirror_the_english_ones(published: Path) -> None:
    zh = published / "zh"
    english = {
        p.relative_to(published).as_posix()
        for p in published.rglob("*.html")
        if zh not in p.parents
    }
    chinese = {p.relative_to(zh).as_posix() for p in zh.rglob("*") if p.is_file()}
    assert len(english) > 700 and chinese == english  # every page, and nothing else
    assert not (zh / "static").exists() and not (zh / "dumps").exists()


@pytest.mark.slow
def test_the_chinese_pages_have_no_english_interface_and_links_stay_inside(published: Path) -> None:
    zh = published / "zh"
    pages = sorted(zh.rglob("*.html"))
    for page in pages:
        html = page.read_text(encoding="utf-8")
        found = Interface(html)
        assert found.lang == "zh", page
        assert english_words(found.texts) == [], page
        for link in links_of(html):
            parts = urllib.parse.urlsplit(link.replace("&amp;", "&"))
            if parts.scheme or not parts.path:  # another site, or a place on this page
                continue
            target = (page.parent / urllib.parse.unquote(parts.path)).resolve()
            assert published.resolve() in target.parents, (page, link)
            if (
                target.suffix == ".html"
                and target != (published / switch_target(page, published)).resolve()
            ):
                assert zh.resolve() in target.parents and target.is_file(), (page, link)
            else:  # a file both languages share, or the switch to English
                assert zh.resolve() not in target.parents and target.exists(), (page, link)


def switch_target(page: Path, published: Path) -> str:
    """The English page a Chinese one switches to: the same file at the top."""
    return page.relative_to(published / "zh").as_posix()


def test_the_static_switch_links_each_page_to_its_other_language(published: Path) -> None:
    for name in ("index.html", "id/agency/miit.html", "instances/cskg/Policy.html", "query.html"):
        english, chinese = published / name, published / "zh" / name
        there = switch_of(english.read_text(encoding="utf-8"), "zh")
        back = switch_of(chinese.read_text(encoding="utf-8"), "en")
        assert (english.parent / there).resolve() == chinese.resolve()
        assert (chinese.parent / back).resolve() == english.resolve()
        assert Interface(english.read_text(encoding="utf-8")).lang == "en"


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@needs_chromium
def test_the_static_chinese_search_finds_in_chinese(browser, published: Path) -> None:
    """search.js on zh/search.html: the shared index, the results linked inside zh/."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    handler = functools.partial(_Files, directory=str(published))
    with LoopbackHTTPServer(handler) as running:
        browser.get(f"{running.url}/zh/search.html?q=%E4%BF%A1%E6%81%AF%E5%8C%96%E9%83%A8")
        WebDriverWait(browser, WAIT).until(
            lambda d: d.find_element(By.ID, "search-results").get_attribute("data-searched")
        )
        hits = browser.find_elements(By.CSS_SELECTOR, "#search-results li.hit a")
        assert hits and all(h.get_attribute("href").startswith(running.url + "/zh/") for h in hits)
        assert shown_english(browser) == []


@pytest.mark.parametrize(
    "header",
    [
        "zh-CN,zh;q=0.9",
        "zh-CN,zh;q=0.9,en;q=0.8",
        "zh",
        "zh-Hans-CN, fr;q=0.5",
        "zh-CN,en",  # a tie: English, by the server's order
        "en-US,en;q=0.9,zh-CN;q=0.8",
        "en;q=0.5, zh;q=0.6",  # Chinese preferred, though not first: left at the English page
        "zh;q=0",
        "zh-CN;q=0.9",
        "*",
        "fr",
        "",
    ],
)
def test_the_htaccess_sends_only_browsers_preferring_chinese_to_zh(
    published: Path, header: str
) -> None:
    """The rule in .htaccess (read from the file, run with Python's regular expressions, which
    agree with Apache's PCRE on these) sends a browser to zh/ only when the server's own rule
    would answer it in Chinese, and does send the usual Chinese browser there."""
    rules = (published / ".htaccess").read_text(encoding="utf-8")
    conditions = re.findall(r"RewriteCond %\{HTTP:Accept-Language\} (!?)(\S+) \[NC\]", rules)
    assert len(conditions) == 2 and "RewriteRule ^$ zh/ [R=303,L]" in rules
    sent = all(bool(re.search(p, header, re.I)) != bool(negated) for negated, p in conditions)
    if sent:
        assert language(header, LANGUAGES) == "zh"
    assert sent == (
        header in ("zh-CN,zh;q=0.9", "zh-CN,zh;q=0.9,en;q=0.8", "zh", "zh-Hans-CN, fr;q=0.5")
    )
    assert "Header always merge Vary Accept-Language" in rules
