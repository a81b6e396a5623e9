"""`cskg plot interactive`: the page opened in headless Chromium (Debian's, driven by Selenium).

The expected figures (node and edge counts, class sizes, labels, quotes) come from the
networkx graph of the same release, never from constants.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CHROMEDRIVER, CHROMIUM, headless_chromium

MIIT = "https://w3id.org/cskg/id/agency/miit"
PLAN_QUOTE_START = (
    "The Ministry of Industry and Information Technology of the People’s Republic of China "
    "issued the Development Plan"
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="needs Debian's chromium and chromium-driver (/usr/bin/chromium, chromedriver)",
    ),
]
webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (the test extra)")

from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    # the performance log lists every request the page makes (Network.requestWillBeSent)
    driver = headless_chromium(
        tmp_path_factory.mktemp("chromium-profile"),
        "--window-size=1600,1000",
        capabilities={"goog:loggingPrefs": {"performance": "ALL", "browser": "ALL"}},
    )
    driver.set_window_size(1600, 1000)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def graph(release: Path) -> Any:
    from cskg.export.graph import to_networkx

    return to_networkx(release, "all", provenance="fold")


@pytest.fixture(scope="module")
def page(release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cskg.draw.interactive import write_interactive

    return write_interactive(release, tmp_path_factory.mktemp("interactive") / "cskg.html")


def open_page(driver: Any, path: Path, timeout: float = 60.0) -> float:
    """Load `path` and wait until the layout has run; the seconds it took."""
    driver.get_log("performance")  # drop what earlier pages logged
    start = time.monotonic()
    driver.get(path.as_uri())
    while not driver.execute_script("return document.body.dataset.ready === 'true'"):
        assert time.monotonic() - start < timeout, "the page never finished its layout"
        time.sleep(0.05)
    return time.monotonic() - start


def requests_made(driver: Any) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def visible_node_count(driver: Any, expected: int, timeout: float = 5.0) -> int:
    """Cytoscape's own count of displayed nodes, once it equals `expected` or time is up.

    Cytoscape applies a changed style at its next frame, so the count may lag one click.
    """
    start = time.monotonic()
    while True:
        count = driver.execute_script("return cskg.visibleNodeCount()")
        if count == expected or time.monotonic() - start > timeout:
            return count
        time.sleep(0.05)


def details_text(driver: Any) -> str:
    return driver.find_element(By.ID, "details").text


def selected_ids(driver: Any) -> list[str]:
    return driver.execute_script("return cskg.cy.nodes(':selected').map(n => n.id())")


# -- the file --------------------------------------------------------------------------------


def test_file_is_self_contained(page: Path, graph: Any) -> None:
    text = page.read_text(encoding="utf-8")
    # nothing to fetch: no external script, style, image or link in the markup
    assert not re.search(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", text, re.I)
    assert not re.search(r"<script[^>]*\bsrc\b", text, re.I)
    assert not re.search(r"<link\b", text, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(?:https?:)?//", text, re.I)
    # and the browser is told to refuse anything that would be fetched anyway
    assert "default-src 'none'" in text
    # the data block is JSON with every `<`, `>`, `&` escaped, holding the whole graph
    block = re.search(r'<script id="cskg-data" type="application/json">(.*?)</script>', text, re.S)
    assert block is not None
    assert not re.search(r"[<>&]", block.group(1))
    data = json.loads(block.group(1))
    assert {n["id"] for n in data["nodes"]} == set(graph.nodes)
    assert len(data["edges"]) == graph.number_of_edges()
    assert {(e["s"], e["t"], e["k"]) for e in data["edges"]} == set(graph.edges(keys=True))


def page_data(page: Path) -> dict[str, Any]:
    text = page.read_text(encoding="utf-8")
    block = re.search(r'<script id="cskg-data" type="application/json">(.*?)</script>', text, re.S)
    assert block is not None
    return json.loads(block.group(1))


def test_a_view_of_the_graph(release: Path, tmp_path: Path, capsys: Any) -> None:
    from cskg.cli import main
    from cskg.export.graph import to_networkx

    out = tmp_path / "impact.html"
    argv = ["--dist", str(release), "plot", "interactive", "--view", "policy-impact"]
    assert main([*argv, "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    view = to_networkx(release, "policy-impact", provenance="fold")
    data = page_data(out)
    assert {n["id"] for n in data["nodes"]} == set(view.nodes)
    assert {(e["s"], e["t"], e["k"]) for e in data["edges"]} == set(view.edges(keys=True))
    assert len(view) < len(to_networkx(release, "all", provenance="fold"))
    # --view is the interactive page's; an unknown view is an error
    for other in (["market", "--view", "technology"], ["interactive", "--view", "nope"]):
        assert main(["--dist", str(release), "plot", *other, "-o", str(tmp_path / "x")]) == 2
        assert capsys.readouterr().err.startswith("cskg: error: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["impact.html"]


def test_a_view_too_large_to_lay_out_is_refused(
    release: Path, graph: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cskg.draw import interactive
    from cskg.draw.interactive import write_interactive
    from cskg.errors import CskgError

    nodes = graph.number_of_nodes()
    monkeypatch.setattr(interactive, "MAX_INTERACTIVE_NODES", nodes - 1)
    out = tmp_path / "all.html"
    with pytest.raises(CskgError, match=f"the view all has {nodes:,} nodes, more than the "):
        write_interactive(release, out)
    assert not out.exists()
    monkeypatch.setattr(interactive, "MAX_INTERACTIVE_NODES", nodes)
    assert len(page_data(write_interactive(release, out))["nodes"]) == nodes


# -- in the browser --------------------------------------------------------------------------


def test_page_shows_every_node_and_makes_no_request(browser: Any, page: Path, graph: Any) -> None:
    open_page(browser, page)
    n_nodes, n_edges = graph.number_of_nodes(), graph.number_of_edges()
    assert browser.execute_script("return cskg.cy.nodes().length") == n_nodes
    assert browser.execute_script("return cskg.cy.edges().length") == n_edges
    assert set(browser.execute_script("return cskg.cy.nodes().map(n => n.id())")) == set(graph)
    assert visible_node_count(browser, n_nodes) == n_nodes
    counter = browser.find_element(By.ID, "counter").text
    assert counter.startswith(f"{n_nodes} of {n_nodes} nodes, {n_edges} of {n_edges} edges")
    # the layout placed the nodes apart, inside the viewport
    positions = browser.execute_script(
        "return cskg.cy.nodes().map(n => [n.position('x'), n.position('y')])"
    )
    assert len({(round(x), round(y)) for x, y in positions}) > 0.9 * n_nodes
    # the page itself is the only request: no script, style, font or image fetched
    assert requests_made(browser) == [page.as_uri()]
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def test_search_by_chinese_label_selects_the_node(browser: Any, page: Path, graph: Any) -> None:
    open_page(browser, page)
    assert graph.nodes[MIIT]["label_zh"] == "工业和信息化部"
    box = browser.find_element(By.ID, "search")
    box.send_keys("工业和信息化部")
    assert selected_ids(browser) == [MIIT]
    heading = browser.find_element(By.CSS_SELECTOR, "#details h2").text
    other = browser.find_element(By.CSS_SELECTOR, "#details .other-label").text
    assert heading == graph.nodes[MIIT]["label_en"]
    assert other == "工业和信息化部"
    first_result = browser.find_element(By.CSS_SELECTOR, "#results li button").text
    assert "工业和信息化部" in first_result
    # an English fragment finds it too
    assert MIIT in browser.execute_script(
        "return cskg.findNodes('Industry and Information Technology')"
    )
    assert requests_made(browser) == [page.as_uri()]


def test_search_matches_alternative_labels(browser: Any, page: Path, graph: Any) -> None:
    open_page(browser, page)
    alt = graph.nodes[MIIT].get("skos:altLabel")
    if not alt:
        pytest.fail(f"the graph gives no skos:altLabel for {MIIT}: {dict(graph.nodes[MIIT])}")
    name = alt[0] if isinstance(alt, list) else str(alt).split("|")[0].strip()
    browser.find_element(By.ID, "search").send_keys(name)
    assert selected_ids(browser) == [MIIT]


def test_click_shows_statements_with_evidence(browser: Any, page: Path, graph: Any) -> None:
    open_page(browser, page)
    # bring the node to the middle of the canvas, then click it with the mouse
    browser.execute_script(
        "const n = cskg.cy.getElementById(arguments[0]); cskg.cy.zoom(1.5); cskg.cy.center(n);",
        MIIT,
    )
    x, y, width, height = browser.execute_script(
        "const p = cskg.cy.getElementById(arguments[0]).renderedPosition();"
        "const c = document.getElementById('graph');"
        "return [p.x, p.y, c.clientWidth, c.clientHeight];",
        MIIT,
    )
    canvas = browser.find_element(By.ID, "graph")
    ActionChains(browser).move_to_element_with_offset(
        canvas, round(x - width / 2), round(y - height / 2)
    ).click().perform()
    assert selected_ids(browser) == [MIIT]

    text = details_text(browser)
    incident = [*graph.out_edges(MIIT, data=True), *graph.in_edges(MIIT, data=True)]
    plan = [d for _, _, d in incident if str(d.get("quote", "")).startswith(PLAN_QUOTE_START)]
    assert plan, "the graph has no statement on MIIT with the Development Plan quote"
    assert plan[0]["quote"] in text
    items = browser.find_elements(By.CSS_SELECTOR, "#details ul.statements > li")
    assert len(items) == len(incident)
    plan_items = [i for i in items if i.text.find(PLAN_QUOTE_START) >= 0]
    assert plan_items and "§1" in plan_items[0].text.split("\n")
    # every statement with its predicate label, the other end's label and its evidence
    for source, target, d in incident:
        other = graph.nodes[target if source == MIIT else source]
        assert any(
            d["label"] in item.text
            and other["label_en"] in item.text
            and (
                "editorial statement" in item.text
                if d.get("section") == "editorial"
                else f"§{d['section']}" in item.text and d["quote"] in item.text
            )
            for item in items
        ), (source, target, d)
    assert requests_made(browser) == [page.as_uri()]


def test_class_filter_hides_that_class(browser: Any, page: Path, graph: Any) -> None:
    open_page(browser, page)
    classes: dict[str, int] = {}
    for _, cls in graph.nodes(data="class"):
        classes[cls] = classes.get(cls, 0) + 1
    cls, count = max(classes.items(), key=lambda item: item[1])
    total = graph.number_of_nodes()
    box = browser.find_element(By.CSS_SELECTOR, f'#class-list input[data-cls="{cls}"]')
    label = box.find_element(By.XPATH, "..")
    assert label.text.split("\n")[-1] == str(count) or label.text.endswith(str(count))
    box.click()
    assert visible_node_count(browser, total - count) == total - count
    kept = graph.subgraph([n for n, c in graph.nodes(data="class") if c != cls])
    assert browser.find_element(By.ID, "counter").text.startswith(
        f"{total - count} of {total} nodes, {kept.number_of_edges()} of "
    )
    hidden = browser.execute_script(
        "return cskg.cy.nodes().filter(n => !n.visible()).map(n => n.id())"
    )
    assert set(hidden) == {n for n, c in graph.nodes(data="class") if c == cls}
    box.click()
    assert visible_node_count(browser, total) == total
    assert browser.find_element(By.ID, "counter").text.startswith(f"{total} of {total} nodes")


def test_lang_zh_labels_nodes_in_chinese(browser: Any, release: Path, tmp_path: Path) -> None:
    from cskg.draw.interactive import write_interactive
    from cskg.export.graph import to_networkx

    zh = to_networkx(release, "all", lang="zh", provenance="fold")
    path = write_interactive(release, tmp_path / "cskg-zh", lang="zh")
    assert path.suffix == ".html"
    open_page(browser, path)
    labels = browser.execute_script(
        "return Object.fromEntries(cskg.cy.nodes().map(n => [n.id(), n.data('label')]))"
    )
    assert labels == {n: d["label"] for n, d in zh.nodes(data=True)}
    assert labels[MIIT] == "工业和信息化部"
    # the page's own words are Chinese: title, buttons, headings, hint, counter, the class and
    # modality legends, the panel's headings and link (the IRI and quotes are data)
    browser.execute_script("cskg.focusNode(arguments[0])", MIIT)
    interface = browser.execute_script(
        """
        const parts = [document.title];
        for (const el of document.querySelectorAll(
            'header h1, header button, #counter, #filters h2, #filters button, #filters .hint,'
            + ' #class-list .class-name, #modality-list .class-name, #details h3,'
            + ' #details .page-link, #details .modality, #details .class, #details dt')) {
          parts.push(el.textContent);
        }
        const search = document.getElementById('search');
        parts.push(search.placeholder, search.getAttribute('aria-label'));
        return parts;
        """
    )
    # and the names of the properties the panel lists
    summarised = next(n for n, d in zh.nodes(data=True) if d.get("cskg:summary"))
    browser.execute_script("cskg.focusNode(arguments[0])", summarised)
    names = browser.execute_script(
        "return [...document.querySelectorAll('#details dt')].map(e => e.textContent)"
    )
    assert names
    interface += names
    assert len(interface) > 40
    latin = [text for text in interface if re.search(r"[A-Za-z]", text)]
    assert not latin, latin


# -- hostile data ----------------------------------------------------------------------------


def test_planted_markup_and_javascript_iri_stay_text(browser: Any, tmp_path: Path) -> None:
    import networkx as nx

    from cskg.draw.interactive import render_html

    bad_iri = "javascript:window.__xss='iri'"
    bad_label = "<script>window.__xss='label'; alert(1)</script>"
    bad_summary = "<img src=x onerror=\"window.__xss='summary'\">"
    bad_quote = "</script><script>window.__xss='quote'</script>"
    g = nx.MultiDiGraph()
    g.add_node(
        bad_iri,
        iri=bad_iri,
        label=bad_label,
        label_en=bad_label,
        label_zh="<b>粗体</b>",
        **{"class": "cskg:Problem", "class_label": "<i>problem</i>", "cskg:summary": bad_summary},
    )
    g.add_node("https://example.org/a", iri="https://example.org/a", label="a", label_en="a")
    g.add_edge(
        "https://example.org/a", bad_iri, key="cskg:addresses", label="<u>addresses</u>",
        section="2", quote=bad_quote,
    )  # fmt: skip
    path = tmp_path / "hostile.html"
    path.write_text(render_html(g), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    for planted in (bad_label, bad_summary, bad_quote, "<b>粗体</b>"):
        assert planted not in text

    open_page(browser, path)
    browser.find_element(By.ID, "search").send_keys("<script>")
    assert selected_ids(browser) == [bad_iri]
    shown = details_text(browser)
    for planted in (bad_label, bad_summary, bad_quote, "<b>粗体</b>", bad_iri, "<u>addresses</u>"):
        assert planted in shown
    assert browser.find_element(By.CSS_SELECTOR, "#details h2").text == bad_label
    # a javascript: IRI is no link: nothing in the page is one
    assert browser.execute_script("return document.querySelectorAll('a').length") == 0
    browser.find_element(By.CSS_SELECTOR, "#details .node-ref").click()  # to the other node
    assert selected_ids(browser) == ["https://example.org/a"]
    # nothing ran, nothing became markup or a link, nothing was fetched
    assert browser.execute_script("return window.__xss === undefined")
    with pytest.raises(NoAlertPresentException):
        _ = browser.switch_to.alert.text
    assert browser.execute_script("return document.querySelectorAll('script').length") == 3
    assert browser.execute_script("return document.querySelectorAll('img, b, i, u').length") == 0
    # the one link is the http(s) node's page link
    links = browser.execute_script("return [...document.querySelectorAll('a')].map(a => a.href)")
    assert links == ["https://example.org/a"]
    assert requests_made(browser) == [path.as_uri()]


def test_release_wheel_declares_the_static_files() -> None:
    """The page needs its vendored files at run time: they ship as package data."""
    static = Path(__file__).resolve().parents[1] / "src" / "cskg" / "draw" / "static"
    names = {p.name for p in static.iterdir()}
    assert {"cytoscape.min.js", "cytoscape.LICENSE", "interactive.js", "interactive.css"} <= names
    assert "interactive.html" in names
    pyproject = (static.parents[3] / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'"cskg\.draw"\s*=\s*\[\s*"static/\*"\s*\]', pyproject)


# -- modalities, labels, links ---------------------------------------------------------------

#: the labels cytoscape draws: its renderer's own rule (a visible element with a label, not
#: transparent, at a zoomed size not below its `min-zoomed-font-size`), and their boxes on screen
SHOWN_LABELS = """
const cy = cskg.cy;
const eles = arguments[0] ? cy.$(':selected').closedNeighborhood() : cy.nodes();
return eles.filter(e => e.visible() && e.pstyle('label').strValue
    && e.pstyle('text-opacity').value > 0 && e.pstyle('opacity').value > 0.5
    && e.pstyle('font-size').pfValue * cy.zoom() >= e.pstyle('min-zoomed-font-size').pfValue)
  .map(e => {
    const b = e.renderedBoundingBox({includeNodes: false, includeEdges: false,
                                     includeLabels: true, includeOverlays: false});
    return [e.id(), b.x1, b.y1, b.x2, b.y2];
  });
"""


def overlapping(boxes: list[list[Any]]) -> list[tuple[str, str]]:
    return [
        (a[0], b[0])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
    ]


def degrees(data: dict[str, Any]) -> dict[str, int]:
    counts = {n["id"]: 0 for n in data["nodes"]}
    for edge in data["edges"]:
        counts[edge["s"]] += 1
        counts[edge["t"]] += 1
    return counts


def test_modality_filter_hides_exactly_the_edges_of_that_modality(browser: Any, page: Path) -> None:
    open_page(browser, page)
    data = page_data(page)
    edges = len(data["edges"])
    for modality in data["modalities"]:
        ids = {
            f"e{i}" for i, e in enumerate(data["edges"]) if e.get("m", "stated") == modality["id"]
        }
        assert len(ids) == modality["count"] > 0
        box = browser.find_element(
            By.CSS_SELECTOR, f'#modality-list input[data-modality="{modality["id"]}"]'
        )
        assert box.find_element(By.XPATH, "..").text.endswith(str(modality["count"]))
        box.click()
        hidden: set[str] = set()
        start = time.monotonic()
        while hidden != ids and time.monotonic() - start < 5:  # styles apply at the next frame
            hidden = set(
                browser.execute_script(
                    "return cskg.cy.edges().filter(e => !e.visible()).map(e => e.id())"
                )
            )
        assert hidden == ids, modality["id"]
        assert visible_node_count(browser, len(data["nodes"])) == len(data["nodes"])
        assert browser.find_element(By.ID, "counter").text.endswith(
            f"{edges - len(ids)} of {edges} edges shown"
        )
        box.click()
        assert browser.find_element(By.ID, "counter").text.endswith(
            f"{edges} of {edges} edges shown"
        )


def test_modality_lines_come_from_the_payload(browser: Any, page: Path) -> None:
    from cskg.style import modality_style

    open_page(browser, page)
    drawn = browser.execute_script(
        "return cskg.cy.edges().map(e => [e.data('modality'), e.pstyle('line-color').strValue,"
        " e.pstyle('line-style').strValue])"
    )
    assert drawn
    for modality, colour, line in drawn:
        style = modality_style(None if modality == "stated" else modality)
        red, green, blue = (int(style.colour[i : i + 2], 16) for i in (1, 3, 5))
        assert colour == f"rgb({red},{green},{blue})", modality
        assert line == ("dashed" if style.dash else "solid"), modality


def test_overview_labels_the_most_connected_nodes_only(browser: Any, page: Path) -> None:
    open_page(browser, page)
    data = page_data(page)
    degree = degrees(data)
    landmarks = browser.execute_script("return cskg.landmarks")
    ranked = sorted(degree, key=lambda n: (-degree[n], n))
    top = set(ranked[:landmarks])
    assert 10 <= landmarks < len(ranked) / 5
    time.sleep(0.3)  # the labels are fitted to the zoom a moment after it settles
    shown = browser.execute_script(SHOWN_LABELS, False)
    ids = {s[0] for s in shown}
    assert ranked[0] in ids  # the most connected node is labelled
    assert ids <= top and len(ids) >= landmarks / 3, (len(ids), landmarks)
    assert not overlapping(shown)
    # zoomed in, more nodes than the landmarks get their labels
    browser.execute_script(
        "cskg.cy.zoom({level: 1.2, position: cskg.cy.getElementById(arguments[0]).position()})",
        ranked[0],
    )
    time.sleep(0.3)
    closer = {s[0] for s in browser.execute_script(SHOWN_LABELS, False)}
    assert closer - top


def test_labels_of_a_selected_neighbourhood_do_not_overlap(
    browser: Any, page: Path, graph: Any
) -> None:
    open_page(browser, page)
    busiest = max(
        graph, key=lambda n: (len(set(graph.predecessors(n)) | set(graph.successors(n))), n)
    )
    neighbours = set(graph.predecessors(busiest)) | set(graph.successors(busiest))
    assert len(neighbours) >= 8
    browser.execute_script("cskg.focusNode(arguments[0])", busiest)
    time.sleep(0.8)  # the zoom animation, then the labels fitted to it
    shown = browser.execute_script(SHOWN_LABELS, True)
    ids = [s[0] for s in shown]
    assert busiest in ids
    assert len([i for i in ids if i in neighbours]) >= 4
    assert not overlapping(shown), overlapping(shown)[:5]
    if os.environ.get("CSKG_SCREENSHOTS") == "1":  # the README's picture of the page
        figure = Path(__file__).resolve().parents[1] / "docs" / "figures" / "interactive.png"
        browser.save_screenshot(str(figure))
    # deselected, the overview labels come back
    browser.execute_script(
        "cskg.cy.nodes(':selected').unselect(); cskg.focusNode(arguments[0])", MIIT
    )
    time.sleep(0.8)
    assert not overlapping(browser.execute_script(SHOWN_LABELS, True))


def test_panel_links_to_the_nodes_page(
    browser: Any, page: Path, release: Path, server: str, tmp_path: Path
) -> None:
    from cskg.draw.interactive import write_interactive

    # by default the link is the IRI itself, which resolves to the page
    open_page(browser, page)
    browser.execute_script("cskg.focusNode(arguments[0])", MIIT)
    link = browser.find_element(By.CSS_SELECTOR, "#details a.page-link")
    assert link.get_attribute("href") == MIIT
    # with --base, the page of the server that serves the release: followed in the browser
    served = write_interactive(release, tmp_path / "served.html", base=server)
    open_page(browser, served)
    browser.execute_script("cskg.focusNode(arguments[0])", MIIT)
    link = browser.find_element(By.CSS_SELECTOR, "#details a.page-link")
    assert link.get_attribute("href") == f"{server}/id/agency/miit"
    link.click()
    start = time.monotonic()
    # the server negotiates: a browser is sent on to the HTML document of the resource
    while not browser.current_url.startswith(server) and time.monotonic() - start < 20:
        time.sleep(0.1)
    assert browser.current_url == f"{server}/id/agency/miit.html"
    from cskg.release import Release

    with Release.open(release) as opened:
        label = opened.label(MIIT, "en")
    assert label in browser.find_element(By.TAG_NAME, "h1").text


def test_cli_base_must_be_a_web_url(release: Path, tmp_path: Path, capsys: Any) -> None:
    from cskg.cli import main

    out = tmp_path / "page.html"
    for bad in ("javascript:alert(1)", "ftp://example.org/", "https://example.org/x?y=1"):
        argv = ["--dist", str(release), "plot", "interactive", "--base", bad, "-o", str(out)]
        assert main(argv) == 2
        assert capsys.readouterr().err.startswith("cskg: error: --base must be an http(s) URL")
    assert main(["--dist", str(release), "plot", "impact", "--base", "http://x.org"]) == 2
    assert "--base chooses" in capsys.readouterr().err
    assert not out.exists()
    argv = ["--dist", str(release), "plot", "interactive", "--base", "https://data.example.org/k/"]
    assert main([*argv, "-o", str(out)]) == 0
    hrefs = {n["id"]: n.get("href") for n in page_data(out)["nodes"]}
    assert hrefs[MIIT] == "https://data.example.org/k/id/agency/miit"


def test_cli_replaces_its_own_page_only(release: Path, tmp_path: Path, capsys: Any) -> None:
    from cskg.cli import main

    page = tmp_path / "page.html"
    argv = ["--dist", str(release), "plot", "interactive", "-o", str(page)]
    assert main(argv) == 0
    assert main(argv) == 0  # its own page: replaced
    assert capsys.readouterr().out.split() == [str(page), str(page)]
    mine = tmp_path / "mine.html"
    mine.write_text("<!DOCTYPE html>\n<p>my notes</p>\n", encoding="utf-8")
    assert main([*argv[:-1], str(mine)]) == 2
    assert capsys.readouterr().err.startswith(f"cskg: error: {mine} holds something cskg did not")
    assert mine.read_text(encoding="utf-8") == "<!DOCTYPE html>\n<p>my notes</p>\n"
