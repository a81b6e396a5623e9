"""Headless Chromium renders the home, a resource and the query page of the real server, runs
a library query from the query page, and shows hostile data as text without running it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import RunningServer, headless_chromium, named_quads
from poisoned import SCRIPT, write_poisoned_release

pytest.importorskip("selenium")
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists() or not Path("/usr/bin/chromedriver").exists(),
    reason="needs Debian's chromium and chromedriver",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    driver = headless_chromium(tmp_path_factory.mktemp("chromium-profile"))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def no_alert(driver: webdriver.Chrome) -> bool:
    try:
        driver.switch_to.alert  # noqa: B018
    except NoAlertPresentException:
        return True
    return False


def test_home_and_resource_pages(browser: webdriver.Chrome, server: str, release: Path) -> None:
    counts = json.loads((release / "build.json").read_text())["counts"]
    browser.get(server + "/")
    assert (
        browser.find_element(By.TAG_NAME, "h1").text
        == "Cyberspace security industry knowledge graph"
    )
    assert f"{counts['triples']} triples" in browser.find_element(By.ID, "counts").text
    # follow the IRI (303 to the HTML document) as a browser does
    browser.get(server + "/id/agency/miit")
    assert browser.current_url == server + "/id/agency/miit.html"
    store = ox.Store.read_only(str(release / "store"))
    labels = {
        q.object.language: q.object.value
        for q in named_quads(
            store,
            ox.NamedNode("https://w3id.org/cskg/id/agency/miit"),
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
            None,
            None,
        )
    }
    assert browser.find_element(By.TAG_NAME, "h1").text == labels["en"]
    assert browser.find_element(By.ID, "label-zh").text == labels["zh"]
    # the quote of each sentence, printed once (those in a closed "why?" are not shown)
    quotes = browser.find_elements(By.CSS_SELECTOR, "#statements blockquote.quote q")
    assert quotes and all(q.text for q in quotes)


def test_query_page_runs_a_library_query(
    browser: webdriver.Chrome, server: str, release: Path
) -> None:
    text = (Path(__file__).parents[1] / "queries" / "causal-claims.rq").read_text()
    store = ox.Store.read_only(str(release / "store"))
    answer = store.query(text)
    variables = [v.value for v in answer.variables]
    solutions = list(answer)
    browser.get(server + "/query")
    Select(browser.find_element(By.ID, "example")).select_by_value("causal-claims")
    # the inline script filled the textarea with the library text
    assert browser.find_element(By.ID, "query").get_property("value") == text
    browser.find_element(By.ID, "run").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "count"))
    assert browser.find_element(By.ID, "count").text.startswith(f"{len(solutions)} rows")
    rows = browser.find_elements(By.CSS_SELECTOR, "#results tbody tr")
    assert len(rows) == len(solutions)
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#results thead th")]
    assert headers == variables
    assert (
        headers == [v.value for v in solutions[0].variables]
        if hasattr(solutions[0], "variables")
        else headers
    )


def test_hostile_label_is_shown_not_run(
    browser: webdriver.Chrome, tmp_path_factory: pytest.TempPathFactory
) -> None:
    dist = write_poisoned_release(tmp_path_factory.mktemp("poisoned-chromium") / "dist")
    running = RunningServer(dist)
    try:
        browser.get(running.url + "/id/agency/evil.html")
        assert no_alert(browser)
        assert browser.find_element(By.TAG_NAME, "h1").text == SCRIPT
        links = [a.get_attribute("href") or "" for a in browser.find_elements(By.TAG_NAME, "a")]
        assert not [h for h in links if h.lower().startswith("javascript:")]
        assert "javascript:alert(1)" in browser.find_element(By.ID, "statements").text
    finally:
        running.close()
