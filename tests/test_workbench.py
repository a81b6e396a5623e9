"""The query page's workbench (YASGUI) on the real server, in headless Chromium, and its routes
over plain HTTP: nothing loaded from elsewhere, a strict Content-Security-Policy never violated,
library queries and shared links answered as the release answers them, Table 1 drawn as a chart,
browsers and machines told apart at /sparql, and hostile input refused or escaped.

Expected answers come from the release's store (pyoxigraph), never from the page itself.
`CSKG_SCREENSHOTS=1` also writes the README's pictures of the workbench to docs/figures/.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import http.server
import io
import json
import os
import re
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import REPO, RunningServer, headless_chromium
from markupsafe import escape
from poisoned import SCRIPT, write_poisoned_release

from cskg.query.library import load_library
from cskg.vocab import CSKG, PREFIXES, QB
from cskg.web.app import YASR_STYLES, content_security_policy
from cskg.web.i18n import translator
from cskg.web.linkeddata import PUBLISHED_STATIC, STATIC_FILES

pytest.importorskip("selenium")
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists() or not Path("/usr/bin/chromedriver").exists(),
    reason="needs Debian's chromium and chromedriver",
)

STATIC = REPO / "src" / "cskg" / "web" / "static"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
LIBRARY = {q.name: q for q in load_library(REPO / "queries")}
#: what the page's scripts do when a policy refuses something (a CDP script is not subject to it)
WATCH_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.cspViolations.push(e.violatedDirective + " " + e.blockedURI + " " + e.sample);
});
"""
WAIT = 30  # seconds; generous for a busy two-core machine


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    logging = {"goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"}}
    profile = tmp_path_factory.mktemp("workbench-chromium")
    driver = headless_chromium(profile, "--window-size=1280,1100", capabilities=logging)
    driver.set_page_load_timeout(WAIT)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_VIOLATIONS})
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def store(release: Path) -> Iterator[ox.Store]:
    opened = ox.Store.read_only(str(release / "store"))
    yield opened
    del opened


def visit(browser: webdriver.Chrome, url: str, *, editor: bool = True) -> None:
    """Open `url` with the logs emptied first, and wait for the workbench when asked."""
    browser.get("about:blank")
    browser.get_log("performance")
    browser.get_log("browser")
    browser.get(url)
    if editor:
        WebDriverWait(browser, WAIT).until(
            lambda d: d.execute_script("return !!window.cskgWorkbench")
        )


def requests_made(browser: webdriver.Chrome) -> list[tuple[str, str]]:
    """(method, URL) of every request the page made since `visit`."""
    found = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            request = message["params"]["request"]
            found.append((request["method"], request["url"]))
    return found


def csp_complaints(browser: webdriver.Chrome) -> list[str]:
    """Violations the page saw and console messages about the policy since `visit`."""
    seen = browser.execute_script("return window.cspViolations || []")
    console = [
        e["message"]
        for e in browser.get_log("browser")
        if "Content Security Policy" in e["message"]
    ]
    return [*seen, *console]


def no_alert(driver: webdriver.Chrome) -> bool:
    try:
        driver.switch_to.alert  # noqa: B018
    except NoAlertPresentException:
        return True
    return False


#: YASR's table as lists of cells (its row-number column left out): an IRI by its link, a literal
#: by its value (without the quotes, language or datatype YASR shows beside it)
READ_TABLE = """
return Array.from(document.querySelectorAll("#yasr table.dataTable tbody tr")).map(function (tr) {
  return Array.from(tr.querySelectorAll("td")).slice(1).map(function (td) {
    var literal = td.querySelector(".nonIri");
    if (literal) return literal.firstChild.textContent.replace(/^"|"$/g, "");
    var link = td.querySelector("a.iri");
    return link ? link.href : td.textContent;
  });
});
"""


def yasr_rows(browser: webdriver.Chrome) -> list[list[str]]:
    return browser.execute_script(READ_TABLE)


def yasr_count(browser: webdriver.Chrome) -> int:
    """The number of results YASR says it has ("14 results in 0.01 seconds")."""
    chip = WebDriverWait(browser, WAIT).until(
        lambda d: re.match(
            r"(\d+) results? in", d.find_element(By.CSS_SELECTOR, "#yasr .yasr_response_chip").text
        )
    )
    return int(chip[1])


def expected(store: ox.Store, text: str) -> tuple[list[str], list[list[ox.NamedNode | ox.Literal]]]:
    answer = store.query(text)
    assert isinstance(answer, ox.QuerySolutions)
    variables = [v.value for v in answer.variables]
    return variables, [[row[v] for v in variables] for row in answer]


def shown(term: ox.NamedNode | ox.Literal | None) -> str:
    """How YASR's table cell is read by `yasr_rows`: an IRI by its link, a literal by its value."""
    return "" if term is None else term.value


# -- the editor in the browser ------------------------------------------------------------------


def test_the_editor_loads_with_nothing_from_elsewhere_and_no_policy_violation(
    browser: webdriver.Chrome, server: str
) -> None:
    visit(browser, server + "/query")
    made = requests_made(browser)
    origin = urllib.parse.urlsplit(server)
    assert made and all(urllib.parse.urlsplit(url)[:2] == origin[:2] for _, url in made), made
    loaded = {urllib.parse.urlsplit(url).path for _, url in made}
    assert {"/static/yasgui.min.js", "/static/query.js", "/static/chart.js"} <= loaded
    assert browser.find_elements(By.CSS_SELECTOR, "#editor .CodeMirror")
    assert not browser.find_element(By.ID, "query").is_displayed()  # the editor stands in for it
    assert csp_complaints(browser) == []


def test_the_editor_knows_the_projects_prefixes(browser: webdriver.Chrome, server: str) -> None:
    visit(browser, server + "/query")

    def errors(text: str) -> int:
        browser.execute_script("window.cskgWorkbench.yasqe.setValue(arguments[0])", text)
        return len(browser.find_elements(By.CSS_SELECTOR, "#editor .parseErrorIcon"))

    assert errors("SELECT ?p WHERE { ?p a cskg:Policy ; cskg:issuedBy agency:miit }") == 0
    assert errors("SELECT ?p WHERE { ?p a nosuch:Policy }") == 1  # an unknown prefix still is one


def test_the_editor_completes_the_ontologys_terms_with_their_labels(
    browser: webdriver.Chrome, server: str, store: ox.Store
) -> None:
    visit(browser, server + "/query")
    requests_made(browser)  # the page's own
    browser.execute_script(
        "var y = window.cskgWorkbench.yasqe; y.setValue('SELECT * WHERE { ?s a cskg:Pol');"
        "y.focus(); y.setCursor(y.lineCount(), 0); y.autocomplete();"
    )
    hints = WebDriverWait(browser, WAIT).until(
        lambda d: [h.text for h in d.find_elements(By.CSS_SELECTOR, ".CodeMirror-hint")]
    )
    label = next(
        q.object.value
        for q in store.quads_for_pattern(
            ox.NamedNode(CSKG + "Policy"),
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
            None,
            None,
        )
        if isinstance(q.object, ox.Literal) and q.object.language == "en"
    )
    assert f"cskg:Policy  {label}" in hints
    assert all(h.startswith("cskg:Pol") for h in hints)
    assert requests_made(browser) == []  # completed from the page, not from the web


def test_the_editor_runs_a_library_query_and_shows_its_rows(
    browser: webdriver.Chrome, server: str, store: ox.Store
) -> None:
    name = "enterprises-by-chain-level"
    variables, rows = expected(store, LIBRARY[name].text)
    assert 0 < len(rows) <= 50  # one page of YASR's table
    visit(browser, server + "/query")
    Select(browser.find_element(By.ID, "example")).select_by_value(name)
    browser.find_element(By.CSS_SELECTOR, "#editor .yasqe_queryButton").click()
    assert yasr_count(browser) == len(rows)
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#yasr thead th")][1:]
    assert headers == variables
    assert yasr_rows(browser) == [[shown(t) for t in row] for row in rows]
    made = requests_made(browser)
    assert ("POST", server + "/sparql") in made  # the site's own endpoint, nothing else
    assert all(url.startswith(server) for _, url in made)
    # the address bar is now the link to this answer, and the server's old answer is gone
    shared = urllib.parse.parse_qs(urllib.parse.urlsplit(browser.current_url).query)
    assert shared["query"] == [LIBRARY[name].text]
    # dragging a column's edge: YASR's resizer inserts its cursor style, which the policy allows
    grip = browser.find_element(By.CSS_SELECTOR, "#yasr .grip-handle")
    ActionChains(browser).click_and_hold(grip).move_by_offset(-20, 0).release().perform()
    assert csp_complaints(browser) == []


def test_a_shared_link_shows_the_answer_with_and_without_javascript(
    browser: webdriver.Chrome, server: str, store: ox.Store
) -> None:
    text = (
        "PREFIX cskg: <https://w3id.org/cskg/ontology#>\n"
        "SELECT ?policy ?agency WHERE { ?policy cskg:issuedBy ?agency } ORDER BY ?policy ?agency"
    )
    variables, rows = expected(store, text)
    url = f"{server}/query?{urllib.parse.urlencode({'query': text})}"
    # without JavaScript: the server's table
    page = httpx.get(url, timeout=WAIT)
    assert page.status_code == 200
    table = page.text.split('id="results"')[1].split("</table>")[0]
    assert f'<p id="count">{len(rows)} rows' in table
    assert table.count("<tr>") == len(rows) + 1
    assert re.findall(r"<th>(\w+)</th>", table) == variables
    first = re.findall(r"<tr><td>(.*?)</tr>", table)[0]
    assert [m for m in re.findall(r'title="([^"]+)"', first)] == [t.value for t in rows[0]]
    # with JavaScript: the editor holds the text and YASR the same answer
    visit(browser, url)
    assert browser.execute_script("return window.cskgWorkbench.yasqe.getValue()") == text
    assert yasr_count(browser) == len(rows)
    assert yasr_rows(browser)[0] == [shown(t) for t in rows[0]]
    assert browser.find_element(By.ID, "results").is_displayed()
    assert csp_complaints(browser) == []


def test_every_example_link_runs_its_query(server: str, store: ox.Store) -> None:
    page = httpx.get(server + "/query", timeout=WAIT).text
    library = page.split('id="library"')[1]
    links = re.findall(r'<a href="([^"]*/query\?example=([^"]+))">', library)
    assert sorted(name for _, name in links) == sorted(
        n for n, q in LIBRARY.items() if not q.is_check
    )
    for href, name in links:
        answer = store.query(LIBRARY[name].example_text, prefixes=PREFIXES)
        shown = httpx.get(urllib.parse.urljoin(server + "/query", href), timeout=WAIT).text
        if isinstance(answer, ox.QueryBoolean):
            assert f'<p id="answer" translate="no">{str(bool(answer)).lower()}</p>' in shown, name
        else:
            assert f'<p id="count">{len(list(answer))} row' in shown, name


def test_the_chart_draws_table_1(browser: webdriver.Chrome, server: str, store: ox.Store) -> None:
    table_1 = ox.NamedNode("https://w3id.org/cskg/id/dataset/table-1")
    observations = {
        q.subject for q in store.quads_for_pattern(None, ox.NamedNode(QB + "dataSet"), table_1)
    }
    sizes = sorted(
        Decimal(q.object.value)
        for q in store.quads_for_pattern(None, ox.NamedNode(CSKG + "marketSize"), None)
        if q.subject in observations and not isinstance(q.graph_name, ox.DefaultGraph)
    )
    assert len(sizes) == 6  # China and the world, 2012 to 2014
    visit(browser, f"{server}/query?example=market-size-china-vs-global")
    browser.find_element(By.CSS_SELECTOR, "#yasr .select_chart").click()
    WebDriverWait(browser, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, "svg.cskg-chart"))
    Select(browser.find_element(By.CSS_SELECTOR, ".chart-controls select")).select_by_value(
        "marketSize"
    )

    def drawn(selector: str) -> list[Decimal]:
        marks = browser.find_elements(By.CSS_SELECTOR, f"svg.cskg-chart {selector}")
        return sorted(Decimal(m.get_attribute("data-value") or "") for m in marks)

    assert drawn(".bar") == sizes
    heights = {
        Decimal(b.get_attribute("data-value") or ""): float(b.get_attribute("height") or 0)
        for b in browser.find_elements(By.CSS_SELECTOR, "svg.cskg-chart .bar")
    }
    assert sorted(heights, key=heights.__getitem__) == sizes  # taller bars for larger values
    Select(browser.find_elements(By.CSS_SELECTOR, ".chart-controls select")[1]).select_by_value(
        "line"
    )
    assert drawn(".point") == sizes and drawn(".bar") == []
    assert browser.find_elements(By.CSS_SELECTOR, "svg.cskg-chart polyline.line")
    assert csp_complaints(browser) == []


def test_the_chart_is_offered_only_for_numbers(browser: webdriver.Chrome, server: str) -> None:
    visit(browser, f"{server}/query?example=trends")  # labels and IRIs, no number
    chart = browser.find_element(By.CSS_SELECTOR, "#yasr .select_chart")
    assert "disabled" in (chart.get_attribute("class") or "")


def test_hostile_data_in_the_editors_table_is_shown_not_run(
    browser: webdriver.Chrome, tmp_path_factory: pytest.TempPathFactory
) -> None:
    dist = write_poisoned_release(tmp_path_factory.mktemp("poisoned-workbench") / "dist")
    running = RunningServer(dist)
    try:
        label = "<http://www.w3.org/2000/01/rdf-schema#label>"
        text = f"SELECT ?label WHERE {{ GRAPH ?g {{ ?s {label} ?label }} }}"  # the named graphs
        visit(browser, f"{running.url}/query?{urllib.parse.urlencode({'query': text})}")
        assert yasr_count(browser) > 0
        assert any(SCRIPT in row[0] for row in yasr_rows(browser))  # shown as text
        assert no_alert(browser)
        assert csp_complaints(browser) == []
    finally:
        running.close()


# -- the routes over HTTP ---------------------------------------------------------------------


def test_every_page_carries_the_policy(server: str) -> None:
    policy = content_security_policy()
    for path in ("/", "/query", "/id/agency/miit.html", "/ontology.html", "/id/agency/nosuch"):
        response = httpx.get(server + path, timeout=WAIT)
        assert response.headers["content-type"].startswith("text/html"), path
        assert response.headers["content-security-policy"] == policy, path
    assert "script-src 'self';" in policy and "'unsafe-inline'" not in policy
    data = httpx.get(server + "/sparql", params={"query": "ASK {}"}, timeout=WAIT)
    assert "content-security-policy" not in data.headers  # only pages have one


def test_browsers_at_sparql_get_the_page_and_machines_the_protocol(
    server: str, store: ox.Store
) -> None:
    text = LIBRARY["services-gap"].text
    _, rows = expected(store, text)
    endpoint = server + "/sparql"
    page = httpx.get(endpoint, headers={"Accept": BROWSER_ACCEPT}, timeout=WAIT)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'id="query-form"' in page.text  # in the language Accept-Language asks for
    assert page.headers["vary"] == "Accept, Accept-Language"
    answered = httpx.get(endpoint, params={"query": text}, headers={"Accept": BROWSER_ACCEPT})
    assert f'<p id="count">{len(rows)} rows' in answered.text
    for accept in ("application/sparql-results+json", "*/*", None, "text/html;q=0.5, */*"):
        headers = {"Accept": accept} if accept else {}
        machine = httpx.get(endpoint, params={"query": text}, headers=headers, timeout=WAIT)
        assert machine.headers["content-type"].startswith("application/sparql-results+json")
        assert len(machine.json()["results"]["bindings"]) == len(rows)
    described = httpx.get(endpoint, headers={"Accept": "text/turtle"}, timeout=WAIT)
    assert described.headers["content-type"].startswith("text/turtle")


def test_the_download_links_give_the_answer_in_each_format(server: str, store: ox.Store) -> None:
    text = LIBRARY["services-gap"].text
    variables, rows = expected(store, text)
    page = httpx.get(server + "/query", params={"query": text}, timeout=WAIT).text
    links = dict(re.findall(r'<a href="([^"]+)">(CSV|TSV|JSON)</a>', page.replace("&amp;", "&")))
    assert sorted(links.values()) == ["CSV", "JSON", "TSV"]
    for href, label in links.items():
        href = urllib.parse.urljoin(server + "/query", href)
        response = httpx.get(href, headers={"Accept": BROWSER_ACCEPT}, timeout=WAIT)
        assert response.status_code == 200
        assert response.headers["content-disposition"].startswith("attachment")
        if label == "JSON":
            assert len(response.json()["results"]["bindings"]) == len(rows)
            continue
        table = list(
            csv.reader(io.StringIO(response.text), delimiter="," if label == "CSV" else "\t")
        )
        assert [c.lstrip("?") for c in table[0]] == variables and len(table) == len(rows) + 1
        # a machine asking for JSON is not sent a file because of format=
        machine = httpx.get(href, headers={"Accept": "application/json"}, timeout=WAIT)
        assert machine.headers["content-type"].startswith("application/sparql-results+json")
    wrong = httpx.get(
        server + "/sparql",
        params={"query": text, "format": "exe"},
        headers={"Accept": BROWSER_ACCEPT},
        timeout=WAIT,
    )
    assert wrong.status_code == 400 and len(wrong.text.splitlines()) == 1


def test_the_query_page_answers_hostile_input_as_the_endpoint_does(server: str) -> None:
    huge = urllib.parse.quote("SELECT * WHERE { ?s ?p ?o } # " + "x" * 200_000)

    def status_of_get(path: str) -> bytes:
        host, port = urllib.parse.urlsplit(server).netloc.split(":")
        with socket.create_connection((host, int(port)), timeout=WAIT) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            return sock.recv(64).split(b"\r\n")[0]

    assert status_of_get(f"/query?query={huge}") == status_of_get(f"/sparql?query={huge}")
    assert status_of_get(f"/query?query={huge}").split()[1] in (b"400", b"414", b"431")
    big = {"query": "x" * 1_100_000}
    assert httpx.post(server + "/query", data=big, timeout=WAIT).status_code == 413
    assert httpx.post(server + "/sparql", data=big, timeout=WAIT).status_code == 413
    for path in ("/query", "/sparql"):  # a percent-escape that is not UTF-8
        assert httpx.get(server + path + "?query=ASK%20%7B%7D%FF", timeout=WAIT).status_code == 400
    twice = httpx.get(server + "/query?query=ASK{}&query=ASK{}", timeout=WAIT)
    assert twice.status_code == 400 and 'class="error"' in twice.text
    unknown = httpx.get(server + "/query", params={"example": "<b>nosuch</b>"}, timeout=WAIT)
    assert unknown.status_code == 404 and "<b>nosuch" not in unknown.text
    broken = httpx.get(server + "/query", params={"query": "SELECT * WHERE { ?s"}, timeout=WAIT)
    assert broken.status_code == 400 and 'id="error"' in broken.text


def test_a_script_in_a_query_is_escaped_in_the_page(browser: webdriver.Chrome, server: str) -> None:
    text = f'SELECT ?x WHERE {{ BIND("{SCRIPT}</script><script>alert(2)</script>" AS ?x) }}'
    for path in ("/query", "/sparql"):
        page = httpx.get(
            server + path, params={"query": text}, headers={"Accept": BROWSER_ACCEPT}, timeout=WAIT
        ).text
        assert "<script>alert(" not in page and "</script><script>" not in page
        assert str(escape(text)) in page  # in the form's textarea, as text
        visit(browser, f"{server}{path}?{urllib.parse.urlencode({'query': text})}")
        assert no_alert(browser)
        assert browser.execute_script("return window.cskgWorkbench.yasqe.getValue()") == text
        assert csp_complaints(browser) == []


def test_static_files_are_a_fixed_list(server: str) -> None:
    for name in STATIC_FILES:
        response = httpx.get(f"{server}/static/{name}", timeout=WAIT)
        assert response.status_code == 200 and response.content == (STATIC / name).read_bytes()
        again = httpx.get(
            f"{server}/static/{name}", headers={"If-None-Match": response.headers["etag"]}
        )
        assert again.status_code == 304 and again.content == b""
    for path in ("nosuch.js", "..%2Fapp.py", "%2e%2e/pages.py", "query.js%00", "QUERY.JS"):
        assert httpx.get(f"{server}/static/{path}", timeout=WAIT).status_code == 404, path


def test_a_long_answer_is_left_to_the_servers_table(
    release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cskg.query.model import Term
    from cskg.web import linkeddata
    from cskg.web.settings import Settings
    from cskg.web.workers import Answer

    site = linkeddata.LinkedData(Settings(dist=release, root=REPO), None)
    answer = Answer("select", ["x"], [[Term.literal("y" * 100)] for _ in range(10)])
    whole = site._result_view(answer, 1.0)["editor"]
    assert whole is not None and len(json.loads(whole["data"])["results"]["bindings"]) == 10
    monkeypatch.setattr(linkeddata, "EDITOR_ANSWER_CHARS", len(whole["data"]) - 1)
    view = site._result_view(answer, 1.0)
    assert view["editor"] is None and view["count"] == 10  # the page's table still has it all


# -- the files themselves ---------------------------------------------------------------------


def test_yasgui_is_vendored_unchanged_and_its_inline_styles_are_the_allowed_ones() -> None:
    notice = (STATIC / "yasgui.LICENSE.txt").read_text(encoding="utf-8")
    for name in ("yasgui.min.js", "yasgui.min.css"):
        digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()
        assert f"sha256 {digest}  {name}" in notice
    assert "The MIT License" in notice
    script = (STATIC / "yasgui.min.js").read_text(encoding="utf-8")
    layout = re.findall(r"createStyle\(\w+,`([^`]*)`\)", script)  # column-resizer's own CSS
    cursor = re.search(r"dragCursor:`([^`]+)`", script)
    assert len(layout) == 1 and cursor is not None
    texts = [layout[0], f"*{{cursor:{cursor[1]}!important}}"]
    hashes = [
        "sha256-" + base64.b64encode(hashlib.sha256(t.encode()).digest()).decode() for t in texts
    ]
    assert hashes == list(YASR_STYLES)
    # nothing in the page's own files reaches out, and no outside service is left configured
    for name in ("query.js", "chart.js", "query.css", "site.css"):
        own = (STATIC / name).read_text(encoding="utf-8")
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", own), name


def test_every_interface_string_of_the_query_page_is_translated(release: Path) -> None:
    from cskg.web.linkeddata import LinkedData
    from cskg.web.pages import QUERY, Linker, links
    from cskg.web.settings import Settings

    site = LinkedData(Settings(dist=release, root=REPO), None)
    result = {"kind": "select", "columns": ["x"], "rows": [], "count": 0, "capped": True, "ms": 1}
    result["editor"] = {"contentType": "application/sparql-results+json", "data": "{}"}
    for linker in (Linker(""), Linker("https://example.org", static_from="query.html")):
        view = QUERY.view(site.release, linker, {"text": "ASK {}", "result": result})
        view.update(links=links(linker), lang="zh", t=translator("zh", strict=True))
        html = site.env.get_template(QUERY.template).render(**view)  # Untranslated if one is not
        assert "SPARQL 查询" in html


# -- cskg publish -----------------------------------------------------------------------------


@pytest.mark.slow
def test_the_published_query_page_has_no_endpoint_and_links_the_queries(
    release: Path, tmp_path: Path, browser: webdriver.Chrome
) -> None:
    from cskg.web.static_site import publish

    site = publish(release, tmp_path / "site", "https://data.example.org/cskg", root=REPO).out
    page = (site / "query.html").read_text(encoding="utf-8")
    assert 'id="no-endpoint"' in page and 'id="query-form"' not in page and "yasgui" not in page
    linked = re.findall(r'<a href="queries/([^"]+)\.rq">', page)
    library = [q for q in LIBRARY.values() if not q.is_check]
    assert sorted(linked) == sorted(q.name for q in library)
    for query in library:
        assert (site / "queries" / f"{query.name}.rq").read_text(encoding="utf-8") == query.text
    assert sorted(p.name for p in (site / "static").iterdir()) == sorted(PUBLISHED_STATIC)
    policy = content_security_policy(meta=True)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{escape(policy)}">'
    assert meta in (site / "index.html").read_text(encoding="utf-8") and meta in page
    # the pages under their policy in a browser, served as a plain host serves them
    handler = type("Quiet", (http.server.SimpleHTTPRequestHandler,), {"log_message": print})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a: handler(*a, directory=str(site))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}/"
        for name in ("index.html", "query.html", "id/agency/miit.html"):
            visit(browser, base + name, editor=False)
            rules = browser.execute_script("return document.styleSheets[0].cssRules.length")
            assert rules > 5 and csp_complaints(browser) == [], name
    finally:
        httpd.shutdown()
        httpd.server_close()


# -- the README's pictures --------------------------------------------------------------------


@pytest.mark.skipif(not os.environ.get("CSKG_SCREENSHOTS"), reason="CSKG_SCREENSHOTS=1 writes them")
def test_screenshots_of_the_workbench(browser: webdriver.Chrome, server: str) -> None:
    figures = REPO / "docs" / "figures"
    visit(browser, f"{server}/query?example=market-size-china-vs-global")
    yasr_count(browser)
    browser.execute_script("window.scrollTo(0, document.getElementById('example').offsetTop - 8)")
    assert browser.save_screenshot(str(figures / "workbench.png"))
    browser.find_element(By.CSS_SELECTOR, "#yasr .select_chart").click()
    WebDriverWait(browser, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, "svg.cskg-chart"))
    Select(browser.find_element(By.CSS_SELECTOR, ".chart-controls select")).select_by_value(
        "marketSize"
    )
    browser.execute_script("window.scrollTo(0, document.getElementById('answer-links').offsetTop)")
    assert browser.save_screenshot(str(figures / "workbench-chart.png"))
