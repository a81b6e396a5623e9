"""The pages in the way of Wikidata's item pages, on the real server (and headless Chromium):
statements grouped by property with readable names, dates as dates, each quote once, the "why"
of every inferred statement (`cskg.explain`), the paper's tables, filtered instance lists, the
dataset page with its schema.org JSON-LD, and the ontology page with its constraints.

Every expectation is computed from the release's store (or its shapes file), never written here.
"""

from __future__ import annotations

import calendar
import doctest
import json
import os
import re
import urllib.parse
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import CHROMEDRIVER, CHROMIUM, headless_chromium, named_quads
from utils.loopback import plain_request

from cskg import explain as explain_module
from cskg.explain import NotInferred, explain, premises_of
from cskg.query.model import Term, ox_triple
from cskg.query.results import compact
from cskg.release import Release
from cskg.vocab import (
    BASE,
    CSKG,
    EV,
    GRAPH_INFERRED,
    GRAPH_ONTOLOGY,
    OWL,
    QB,
    RDF,
    RDF_TYPE,
    RDFS,
    RDFS_LABEL,
    SH,
    SKOS,
    XSD,
)
from cskg.web.readable import EXTERNAL_NAMES

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY_GRAPH = ox.NamedNode(GRAPH_ONTOLOGY)
INFERRED = ox.NamedNode(GRAPH_INFERRED)
PREFIXES = " ".join(
    f"PREFIX {p}: <{ns}>"
    for p, ns in (
        ("cskg", CSKG),
        ("rdf", RDF),
        ("rdfs", RDFS),
        ("owl", OWL),
        ("qb", QB),
        ("skos", SKOS),
    )
)

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists() or not CHROMEDRIVER.exists(),
    reason="needs Debian's chromium and chromedriver",
)


get = plain_request


@pytest.fixture(scope="module")
def store(release: Path) -> Iterator[ox.Store]:
    opened = ox.Store.read_only(str(release / "store"))
    yield opened
    del opened


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip("needs Debian's chromium and chromedriver")
    pytest.importorskip("selenium")
    driver = headless_chromium(
        tmp_path_factory.mktemp("wikidata-profile"), "--window-size=1280,1600"
    )
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def rows(store: ox.Store, text: str) -> list[dict[str, object]]:
    answer = store.query(PREFIXES + " " + text)
    return [{v.value: s[v.value] for v in answer.variables} for s in answer]


def page_path(iri: str) -> str:
    return "/" + iri.removeprefix(BASE) + ".html"


def quote_of(store: ox.Store, graph: str) -> str:
    node = ox.NamedNode(graph)
    return named_quads(store, node, ox.NamedNode(CSKG + "quote"), None, node)[0].object.value


def label(store: ox.Store, iri: str, lang: str = "en") -> str | None:
    found = [
        q.object.value
        for q in named_quads(store, ox.NamedNode(iri), ox.NamedNode(RDFS_LABEL), None)
        if q.graph_name != INFERRED and q.object.language == lang
    ]
    return min(found) if found else None


def readable(store: ox.Store, iri: str) -> str:
    """What a page must call a property: the ontology's label, else the external-terms table."""
    return label(store, iri) or EXTERNAL_NAMES[iri][0]


def open_why(browser, item) -> str:
    """Open the "why?" disclosure of one value and give the proof's text."""
    from selenium.webdriver.common.by import By

    details = item.find_element(By.CSS_SELECTOR, "details.why")
    details.find_element(By.TAG_NAME, "summary").click()
    assert details.get_attribute("open") is not None
    proof = details.find_element(By.CSS_SELECTOR, ".proof")
    assert proof.is_displayed()
    return proof.text


def group_item(browser, anchor: str, target: str):
    """The value of the group `anchor` that links to `target`."""
    from selenium.webdriver.common.by import By

    for item in browser.find_elements(By.CSS_SELECTOR, f"#{anchor} .values > ul > li"):
        links = item.find_elements(By.CSS_SELECTOR, ":scope > .value a")
        if links and links[0].get_attribute("title") == target:
            return item
    raise AssertionError(f"no value {target} in #{anchor}")


# -- the explanation of inferred statements ---------------------------------------------------


@needs_chromium
def test_an_inferred_type_shows_the_subclass_rule_and_the_premise_quote(
    browser, server: str, store: ox.Store
) -> None:
    found = rows(
        store,
        f"""SELECT ?x ?c ?d ?g WHERE {{
            GRAPH <{GRAPH_INFERRED}> {{ ?x a ?d }}
            GRAPH ?g {{ ?x a ?c }} GRAPH <{GRAPH_ONTOLOGY}> {{ ?c rdfs:subClassOf ?d }}
            FILTER(STRSTARTS(STR(?g), "{EV}") && STRSTARTS(STR(?x), "{BASE}id/"))
        }} ORDER BY ?x ?d LIMIT 1""",
    )[0]
    x, c, d = (found[k].value for k in "xcd")
    browser.get(server + page_path(x))
    item = group_item(browser, "p-rdf-type", d)
    assert "inferred" in item.text
    proof = open_why(browser, item)
    assert "rdfs:subClassOf" in proof and "cax-sco" in proof
    assert quote_of(store, found["g"].value) in proof  # the asserted type's sentence
    assert label(store, c) in proof  # the class it was asserted to be


@needs_chromium
def test_a_relation_inferred_through_two_sub_properties_is_derived_in_two_steps(
    browser, server: str, store: ox.Store
) -> None:
    found = rows(
        store,
        f"""SELECT ?x ?y ?g ?mid WHERE {{
            GRAPH <{GRAPH_INFERRED}> {{ ?x cskg:relatesTo ?y }}
            GRAPH ?g {{ ?x cskg:leadingEnterprise ?y }}
            GRAPH <{GRAPH_ONTOLOGY}> {{ cskg:leadingEnterprise rdfs:subPropertyOf ?mid .
                                        ?mid rdfs:subPropertyOf cskg:relatesTo }}
            FILTER(STRSTARTS(STR(?g), "{EV}"))
        }} ORDER BY ?x ?y LIMIT 1""",
    )[0]
    x, y, mid = (found[k].value for k in ("x", "y", "mid"))
    browser.get(server + page_path(x))
    proof = open_why(browser, group_item(browser, "p-cskg-relatesTo", y))
    assert "rdfs:subPropertyOf" in proof
    assert "Derived in 2 steps." in proof
    assert quote_of(store, found["g"].value) in proof
    assert readable(store, mid) in proof and readable(store, CSKG + "leadingEnterprise") in proof


def _holds(store: ox.Store, triple: tuple[Term, Term, Term], graph: str) -> bool:
    def node(t: Term) -> object:
        if t.kind == "iri":
            return ox.NamedNode(t.value)
        if t.lang:
            return ox.Literal(t.value, language=t.lang)
        return ox.Literal(t.value, datatype=ox.NamedNode(t.datatype))

    s, p, o = (node(t) for t in triple)
    return bool(named_quads(store, s, p, o, ox.NamedNode(graph)))


def _valid_step(why, store: ox.Store) -> None:
    """The rule step is the rule: its premises have the shape the rule needs (checked here,
    rule by rule, independently of how `explain` finds them)."""
    (s, p, o), name = why.triple, why.rule.name
    prem = [q.triple for q in why.premises]
    if name == "cax-sco":
        assert prem == [
            (s, Term.iri(RDF_TYPE), prem[0][2]),
            (prem[0][2], Term.iri(RDFS + "subClassOf"), o),
        ]
    elif name == "prp-spo1":
        assert prem == [(s, prem[0][1], o), (prem[0][1], Term.iri(RDFS + "subPropertyOf"), p)]
    elif name in ("prp-inv1", "prp-inv2"):
        q = prem[0][1]
        assert prem[0] == (o, q, s)
        assert prem[1] in ((q, Term.iri(OWL + "inverseOf"), p), (p, Term.iri(OWL + "inverseOf"), q))
    elif name == "prp-dom":
        assert prem[0][0] == s and prem[1] == (prem[0][1], Term.iri(RDFS + "domain"), o)
    elif name == "prp-rng":
        assert prem[0][2] == s and prem[1] == (prem[0][1], Term.iri(RDFS + "range"), o)
    elif name == "prp-trp":
        assert prem[0][:2] == (s, p) and prem[1][1:] == (p, o) and prem[0][2] == prem[1][0]
        assert prem[2] == (p, Term.iri(RDF_TYPE), Term.iri(OWL + "TransitiveProperty"))
    elif name.startswith("cskg-"):  # the build's date rule: the first or last day it means
        value = prem[0][2]
        parts = [int(x) for x in value.value.split("-")]
        year, month = parts[0], parts[1] if len(parts) > 1 else None
        first = (year, month or 1, parts[2] if len(parts) > 2 else 1)
        last_month = month or 12
        last = (
            year,
            last_month,
            parts[2] if len(parts) > 2 else calendar.monthrange(year, last_month)[1],
        )
        day = first if p.value == CSKG + "earliest" else last
        assert o.value == "{:04d}-{:02d}-{:02d}".format(*day)
    else:
        raise AssertionError(f"a rule the release does not need: {name}")


def test_every_inferred_statement_of_the_release_is_explained(
    release: Path, store: ox.Store
) -> None:
    inferred = [ox_triple(q) for q in named_quads(store, None, None, None, INFERRED)]
    assert len(inferred) > 500  # the release's inferred graph, not an empty one
    rules, depths = defaultdict(int), defaultdict(int)
    with Release.open(release) as data:
        for triple in inferred:
            why = explain(data, triple)
            assert why.rule is not None and why.steps is not None, triple
            rules[why.rule.name] += 1
            depths[why.steps] += 1
            for step in [why, *(q.because for q in premises_of(why) if q.because)]:
                _valid_step(step, store)
            for premise in premises_of(why):
                if premise.because is None:  # a leaf: stated where it says
                    assert premise.graphs and GRAPH_INFERRED not in premise.graphs
                    assert all(_holds(store, premise.triple, g) for g in premise.graphs)
                else:
                    assert premise.graphs == (GRAPH_INFERRED,)
        with pytest.raises(NotInferred):
            explain(data, ox_triple(named_quads(store, None, ox.NamedNode(RDFS_LABEL), None)[0]))
    # the rules the project's reasoner and date rule use all occur, and chains of two steps
    assert {"cax-sco", "prp-spo1", "prp-rng", "prp-dom", "prp-trp", "cskg-earliest"} <= set(rules)
    assert depths[2] > 0


def test_the_explain_module_examples_run(release: Path) -> None:
    failures, tried = doctest.testmod(
        explain_module, extraglobs={"DIST": release}, optionflags=doctest.ELLIPSIS
    )
    assert tried > 3 and failures == 0


# -- statements grouped by property, named readably ---------------------------------------------


def test_every_property_and_type_of_the_release_has_a_readable_name(
    release: Path, store: ox.Store
) -> None:
    from cskg.web.release_view import ReleaseView

    view = ReleaseView(release)
    used = {q.predicate.value for q in named_quads(store)}
    used |= {q.object.value for q in named_quads(store, None, ox.NamedNode(RDF_TYPE), None)}
    assert len(used) > 100
    for lang in ("en", "zh"):
        for iri in used:
            name = view.name(iri, lang)
            assert name != compact(iri) and name != iri, iri  # never a prefixed name or an IRI
    assert view.name(RDF + "type", "zh") == EXTERNAL_NAMES[RDF + "type"][1]


SAMPLE = (
    "id/agency/miit",
    "id/claim/draft-law-enabled-legal-development",
    "id/observation/t1-china-market-size-2013",
    "id/dataset/table-1",
    "id/policy/12th-fyp-information-security-industry-plan",
    "id/document/paper",
    "graph/evidence/leading-enterprises-emerged",
)


@needs_chromium
@pytest.mark.parametrize("path", SAMPLE)
def test_statements_are_grouped_by_property_with_readable_names(
    browser, server: str, store: ox.Store, path: str
) -> None:
    from selenium.webdriver.common.by import By

    iri = BASE + path
    predicates = {q.predicate.value for q in named_quads(store, ox.NamedNode(iri), None, None)}
    if CSKG + "date" in predicates:  # the date as the paper states it is shown beside the date
        predicates.discard(CSKG + "dateAsStated")
    browser.get(server + "/" + path + ".html")
    groups = browser.find_elements(By.CSS_SELECTOR, "#statements .group")
    shown = {}
    for group in groups:
        link = group.find_element(By.CSS_SELECTOR, ".property a")
        shown[link.get_attribute("title")] = link.text
    assert set(shown) == predicates  # one group per property, each once
    for predicate, name in shown.items():
        assert name == readable(store, predicate)
        assert ":" not in name  # no skos:altLabel-style name left
    # the groups follow the page's order: types first, the other vocabularies last
    kinds = [g.get_attribute("class").split()[1] for g in groups]
    order = ("types", "names", "core", "causal", "provenance", "external")
    assert kinds == sorted(kinds, key=order.index)


@needs_chromium
def test_dates_are_written_as_dates(browser, server: str, store: ox.Store, release: Path) -> None:
    from selenium.webdriver.common.by import By

    from cskg.web.linkeddata import LinkedData
    from cskg.web.pages import RESOURCE
    from cskg.web.settings import Settings

    dated = rows(
        store,
        """SELECT ?s ?d ?as WHERE { ?s cskg:date ?d OPTIONAL { ?s cskg:dateAsStated ?as } }
           ORDER BY ?s""",
    )
    kinds = {r["d"].datatype.value for r in dated}
    assert {XSD + "gYear", XSD + "gYearMonth"} <= kinds and any(r["as"] for r in dated)
    site = LinkedData(Settings(dist=release), None)
    for row in dated:
        value = row["d"].value
        if row["d"].datatype.value == XSD + "gYear":
            english, chinese = value, f"{int(value)}年"
        else:
            year, month = (int(p) for p in value.split("-"))
            english, chinese = f"{calendar.month_name[month]} {year}", f"{year}年{month}月"
        browser.get(server + page_path(row["s"].value))
        item = browser.find_element(By.CSS_SELECTOR, "#p-cskg-date .values li")
        assert item.find_element(By.CSS_SELECTOR, ".value").text == english
        assert "^^" not in item.text
        if row["as"] is not None:
            assert f"“{row['as'].value}”" in item.text  # the date as the paper states it
            assert not browser.find_elements(By.ID, "p-cskg-dateAsStated")
        path = row["s"].value.removeprefix(BASE)
        chinese_page = site.render(RESOURCE, site.linker, {"path": path, "lang": "zh"}).decode()
        assert f">{chinese}</span>" in chinese_page


@needs_chromium
@pytest.mark.parametrize(
    "path",
    [
        "id/claim/draft-law-enabled-legal-development",
        "id/agency/miit",
        "id/change/emergence-of-leading-enterprises",
    ],
)
def test_each_quote_is_printed_once_per_page(
    browser, server: str, store: ox.Store, path: str
) -> None:
    from selenium.webdriver.common.by import By

    node = ox.NamedNode(BASE + path)
    stated_in = {
        q.graph_name.value
        for q in named_quads(store, node, None, None) + named_quads(store, None, None, node)
        if q.graph_name.value.startswith(EV)
    }
    browser.get(server + "/" + path + ".html")
    printed = [
        b.find_element(By.TAG_NAME, "q").text
        for b in browser.find_elements(By.CSS_SELECTOR, "blockquote.quote")
    ]
    assert len(printed) == len(set(printed))  # each sentence once
    assert {quote_of(store, g) for g in stated_in} <= set(printed)
    for block in browser.find_elements(By.CSS_SELECTOR, "blockquote.quote"):
        marks = browser.find_elements(
            By.CSS_SELECTOR, f'a.mark[href="#{block.get_attribute("id")}"]'
        )
        assert marks  # every statement of that sentence points to it


# -- the paper's tables -------------------------------------------------------------------------


def _grid(table) -> list[tuple[list[str], list[object]]]:
    """Each body row of a table as (its header texts, rowspans carried down; its cells)."""
    from selenium.webdriver.common.by import By

    carried: list[tuple[str, int]] = []
    out = []
    for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr"):
        headers = [
            (th.text, int(th.get_attribute("rowspan") or 1))
            for th in tr.find_elements(By.TAG_NAME, "th")
        ]
        kept = [(text, left - 1) for text, left in carried if left > 1]
        carried = kept + headers
        out.append(([text for text, _ in carried], tr.find_elements(By.TAG_NAME, "td")))
    return out


@needs_chromium
def test_table_1_shows_each_printed_value_in_its_cell(
    browser, server: str, store: ox.Store
) -> None:
    from selenium.webdriver.common.by import By

    observations = rows(
        store,
        """SELECT ?obs ?area ?measure ?year ?printed WHERE {
            ?obs qb:dataSet <https://w3id.org/cskg/id/dataset/table-1> ; cskg:refArea ?area ;
                 qb:measureType ?measure ; cskg:refYear ?year ; cskg:printedValue ?printed }""",
    )
    assert len(observations) == 12  # 2 areas x 2 measures x 3 years, as printed
    browser.get(server + "/id/dataset/table-1.html")
    table = browser.find_element(By.ID, "datacube")
    years = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead tr:last-child th.num")]
    grid = _grid(table)
    for obs in observations:
        area, measure = label(store, obs["area"].value), label(store, obs["measure"].value)
        row = [
            cells
            for headers, cells in grid
            if headers[0] == area and headers[1].startswith(measure)
        ]
        assert len(row) == 1, (area, measure)
        cell = row[0][years.index(obs["year"].value)]
        assert cell.text == obs["printed"].value
        link = cell.find_element(By.TAG_NAME, "a").get_attribute("href")
        assert link == server + "/" + obs["obs"].value.removeprefix(BASE)
    # rows in the order the paper prints them: areas as their ordered collection lists them
    # ("Globe" first), measures by their component's qb:order (sales before growth rate)
    areas = rows(
        store,
        """SELECT ?area (COUNT(?mid) AS ?place) WHERE {
            ?collection skos:memberList ?list . ?list rdf:rest* ?mid . ?mid rdf:rest* ?node .
            ?node rdf:first ?area . ?area a cskg:Area } GROUP BY ?area ORDER BY ?place""",
    )
    measures = rows(
        store,
        """SELECT ?measure WHERE { <https://w3id.org/cskg/id/dataset/table-1> qb:structure ?s .
            ?s qb:component ?c . ?c qb:measure ?measure ; qb:order ?order } ORDER BY ?order""",
    )
    printed = [
        (label(store, a["area"].value), label(store, m["measure"].value))
        for a in areas
        for m in measures
    ]
    shown = [(headers[0], headers[1]) for headers, _ in grid]
    assert len(shown) == len(printed) == 4
    assert all(
        h[0] == p[0] and h[1].startswith(p[1] or "?") for h, p in zip(shown, printed, strict=True)
    )
    # an observation links back to its cell
    obs = observations[0]["obs"].value
    browser.get(server + page_path(obs))
    back = browser.find_element(By.CSS_SELECTOR, "#printed a[href*='#cell-']").get_attribute("href")
    browser.get(back)
    anchor = urllib.parse.urlsplit(back).fragment
    assert browser.find_element(By.ID, anchor).text == observations[0]["printed"].value


# -- instance lists -------------------------------------------------------------------------------


def _listed(html: str) -> list[str]:
    return re.findall(r'<tr><td><a href="[^"]*" title="([^"]+)"', html)


def test_instance_lists_filter_by_modality_class_and_section(server: str, store: ox.Store) -> None:
    expected = {
        r["c"].value
        for r in rows(
            store, "SELECT ?c WHERE { ?c a cskg:CausalClaim ; cskg:modality cskg:expected }"
        )
    }
    status, _, body = get(server, "/instances/cskg/CausalClaim?modality=expected")
    assert status == 200 and expected and set(_listed(body.decode())) == expected
    plans = {r["p"].value for r in rows(store, "SELECT ?p WHERE { ?p a cskg:Plan }")}
    _, _, body = get(server, "/instances/cskg/Policy?class=cskg:Plan")
    assert set(_listed(body.decode())) == plans
    # the section where each policy is first stated: the earliest sentence that types it
    first: dict[str, tuple[int, ...]] = {}
    for r in rows(
        store,
        """SELECT ?p ?n WHERE { ?p a cskg:Policy . GRAPH ?g { ?p a ?t }
            GRAPH ?g { ?g cskg:section ?s } ?s cskg:sectionNumber ?n }""",
    ):
        key = tuple(int(x) for x in r["n"].value.split("."))
        first[r["p"].value] = min(first.get(r["p"].value, key), key)
    section = sorted(set(first.values()))[0]
    number = ".".join(map(str, section))
    status, _, body = get(server, f"/instances/cskg/Policy?section={urllib.parse.quote(number)}")
    assert status == 200
    assert set(_listed(body.decode())) == {p for p, n in first.items() if n == section}
    # the form that sets these works without JavaScript: a GET form
    assert '<form method="get"' in body.decode()
    status, _, body = get(server, "/instances/cskg/Policy?section=%3Cscript%3E")
    assert status == 404 and b"<script>" not in body


def test_a_filtered_list_is_cut_at_the_row_limit(release: Path, store: ox.Store) -> None:
    from cskg.web.linkeddata import LinkedData
    from cskg.web.pages import INSTANCES
    from cskg.web.settings import Settings

    site = LinkedData(Settings(dist=release), None)
    site.release.html_rows = 3
    realised = rows(
        store, "SELECT ?c WHERE { ?c a cskg:CausalClaim ; cskg:modality cskg:realised }"
    )
    params = {"prefix": "cskg", "local": "CausalClaim", "query": {"modality": "realised"}}
    html = site.render(INSTANCES, site.linker, params).decode()
    assert len(_listed(html)) == 3
    note = re.search(r'<p class="truncated" id="instances-truncated">(.*?)</p>', html)
    assert note and note[1].startswith(f"The first 3 of {len(realised):,} are listed;")


# -- the dataset page ---------------------------------------------------------------------------


def test_the_dataset_page_carries_schema_org_json_ld(server: str, release: Path) -> None:
    status, headers, _ = get(server, "/dataset", "text/html")
    assert status == 303 and headers["location"].endswith("/dataset.html")
    status, headers, _ = get(server, "/dataset", "text/turtle")
    assert status == 303 and headers["location"].endswith("/.well-known/void")
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    status, headers, _ = get(server, "/.well-known/void", browser_accept)
    assert status == 303 and headers["location"].endswith("/dataset.html")
    status, headers, _ = get(server, "/.well-known/void")  # machines still get VoID
    assert status == 200 and headers["content-type"].startswith("text/turtle")

    status, _, body = get(server, "/dataset.html")
    html = body.decode()
    assert status == 200
    block = re.search(
        r'<script type="application/ld\+json" id="schema-org">(.*?)</script>', html, re.S
    )
    data = json.loads(block[1])
    void = {
        t.predicate.value.rsplit("/", 1)[-1]: t.object.value
        for t in ox.parse(path=str(release / "void.ttl"), format=ox.RdfFormat.TURTLE)
        if t.subject == ox.NamedNode(BASE + "dataset")
    }
    assert data["@context"] == "https://schema.org" and data["@type"] == "Dataset"
    assert data["name"] == void["title"] and data["description"] == void["description"]
    assert data["license"] == void["license"]
    build = json.loads((release / "build.json").read_text())
    assert data["version"] == build["version"] and data["dateModified"] == build["built"]
    downloads = {d["name"]: d for d in data["distribution"]}
    assert {"cskg.nq", "cskg.trig"} <= set(downloads)
    for download in downloads.values():  # absolute, and there
        url = urllib.parse.urlsplit(download["contentUrl"])
        assert url.scheme in ("http", "https") and url.netloc
        if download["contentUrl"].startswith(server):
            assert get(server, url.path)[0] == 200
    shown = dict(re.findall(r'id="count-(\w+)">([\d,]+)<', html))
    assert {"triples", "asserted", "inferred"} <= set(shown)
    assert shown == {key: f"{build['counts'][key]:,}" for key in shown}


# -- the ontology page --------------------------------------------------------------------------


def _classes_of(store: ox.Store, prop: str, key: str) -> set[str]:
    """The classes of a property's domain or range (`key`): a union as its members."""
    found = rows(
        store,
        f"""SELECT ?c WHERE {{ GRAPH <{GRAPH_ONTOLOGY}> {{
            {{ <{prop}> rdfs:{key} ?c FILTER(isIRI(?c)) }} UNION
            {{ <{prop}> rdfs:{key}/owl:unionOf/rdf:rest*/rdf:first ?c }} }} }}""",
    )
    return {r["c"].value for r in found}


def _properties_of(store: ox.Store, cls: str, key: str) -> set[str]:
    """The properties whose domain or range (`key`) is `cls`, alone or in a union."""
    found = rows(
        store,
        f"""SELECT DISTINCT ?p WHERE {{ GRAPH <{GRAPH_ONTOLOGY}> {{
            {{ ?p rdfs:{key} <{cls}> }} UNION
            {{ ?p rdfs:{key}/owl:unionOf/rdf:rest*/rdf:first <{cls}> }} }} }}""",
    )
    return {r["p"].value for r in found}


@needs_chromium
def test_the_ontology_page_has_contents_domains_ranges_and_constraints(
    browser, server: str, store: ox.Store, release: Path
) -> None:
    from selenium.webdriver.common.by import By

    shapes = ox.Store()
    shapes.load(path=str(release / "shapes.ttl"), format=ox.RdfFormat.TURTLE)
    browser.get(server + "/ontology.html")
    toc = browser.find_element(By.ID, "toc")
    for cls, prop in (
        (CSKG + "Policy", CSKG + "issuedBy"),
        (CSKG + "CausalClaim", CSKG + "modality"),
    ):
        anchor = cls.removeprefix(CSKG)
        assert toc.find_elements(By.CSS_SELECTOR, f'a[href="#{anchor}"]')
        entry = browser.find_element(By.ID, anchor)
        for key, field in (("domain", "domain_of"), ("range", "range_of")):
            expected = _properties_of(store, cls, key)
            shown = {
                a.get_attribute("title")
                for a in entry.find_elements(By.CSS_SELECTOR, f"dd.{field} a")
            }
            assert shown == expected, (cls, key)
        messages = {
            s["m"].value
            for s in shapes.query(
                f"""SELECT ?m WHERE {{ ?shape <{SH}targetClass> <{cls}> .
                    {{ ?shape <{SH}property> ?c }} UNION {{ ?shape <{SH}sparql> ?c }}
                    ?c <{SH}message> ?m }}"""
            )
        }
        table = entry.find_element(By.CSS_SELECTOR, "table.constraints").text
        assert messages and all(m in table for m in messages)
        # the property: its domain and range (a union as its members), its constraints
        entry = browser.find_element(By.ID, prop.removeprefix(CSKG))
        for key in ("domain", "range"):
            expected = _classes_of(store, prop, key)
            shown = {
                a.get_attribute("title")
                for a in entry.find_elements(By.CSS_SELECTOR, f"dd.{key} a")
            }
            assert shown == expected, (prop, key)
        on_property = {
            s["m"].value
            for s in shapes.query(
                f"""SELECT ?m WHERE {{ {{ ?c <{SH}path> <{prop}> }}
                    UNION {{ ?c <{SH}targetSubjectsOf> <{prop}> }} ?c <{SH}message> ?m }}"""
            )
        }
        text = entry.find_element(By.CSS_SELECTOR, "table.constraints").text
        assert on_property and all(m in text for m in on_property)
    functional = browser.find_element(By.ID, "modality").find_element(
        By.CSS_SELECTOR, "dd.characteristics"
    )
    assert EXTERNAL_NAMES[OWL + "FunctionalProperty"][0] in functional.text


# -- the static site ----------------------------------------------------------------------------


@pytest.mark.slow
def test_the_static_site_has_the_same_pages(release: Path, tmp_path: Path) -> None:
    from cskg.web.static_site import publish

    out = tmp_path / "site"
    publish(release, out, "https://data.example.org/cskg", root=ROOT)
    table = (out / "id/dataset/table-1.html").read_text(encoding="utf-8")
    cells = re.findall(r'<td class="num" id="(cell-[^"]+)"><a href="([^"]+)"', table)
    assert len(cells) == 12
    for _anchor, href in cells:  # each cell's link is a file of the site
        assert (out / "id/dataset" / href).resolve().is_file()
    dataset = (out / "dataset.html").read_text(encoding="utf-8")
    data = json.loads(
        re.search(r'type="application/ld\+json" id="schema-org">(.*?)</script>', dataset, re.S)[1]
    )
    assert data["url"] == "https://data.example.org/cskg/dataset.html"
    assert "why?" in (out / "id/agency/miit.html").read_text(encoding="utf-8")
    # a static host reads no GET parameters: the lists have no filter form
    assert '<form method="get"' not in (out / "instances/cskg/Policy.html").read_text(
        encoding="utf-8"
    )


# -- screenshots for the README ------------------------------------------------------------------


@needs_chromium
@pytest.mark.skipif(not os.environ.get("CSKG_SCREENSHOTS"), reason="set CSKG_SCREENSHOTS=1")
def test_screenshots_for_the_readme(browser, server: str) -> None:
    from selenium.webdriver.common.by import By

    figures = ROOT / "docs" / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    # a relation inferred in two steps (a leading enterprise: leadingEnterprise ⊑ actor ⊑
    # relatesTo), its proof open at the top of the window
    two_steps = "#p-cskg-relatesTo li:has(> .value a[href*='/enterprise/'])"
    shots = {
        "page-resource.png": ("/id/agency/miit.html", None),
        "page-why.png": ("/id/change/emergence-of-leading-enterprises.html", two_steps),
        "page-table-1.png": ("/id/dataset/table-1.html", None),
    }
    for name, (path, open_first) in shots.items():
        browser.get(server + path)
        height = browser.execute_script("return document.body.scrollHeight")
        browser.set_window_size(1280, min(max(height, 800), 1400))
        if open_first:
            item = browser.find_element(By.CSS_SELECTOR, open_first)
            item.find_element(By.CSS_SELECTOR, "details.why > summary").click()
            browser.execute_script("arguments[0].scrollIntoView()", item)
        assert browser.save_screenshot(str(figures / name))


# -- the interface in Chinese -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "params"),
    [
        ("home", {}),
        ("dataset", {}),
        ("resource", {"path": "id/agency/miit"}),
        ("resource", {"path": "id/claim/draft-law-enabled-legal-development"}),
        ("resource", {"path": "id/change/emergence-of-leading-enterprises"}),
        ("resource", {"path": "id/dataset/table-1"}),
        ("resource", {"path": "id/observation/t1-china-market-size-2013"}),
        ("resource", {"path": "id/policy/12th-fyp-information-security-industry-plan"}),
        (
            "instances",
            {"prefix": "cskg", "local": "CausalClaim", "query": {"modality": "expected"}},
        ),
        ("ontology", {}),
    ],
)
def test_every_interface_string_of_the_pages_has_its_chinese(
    release: Path, page: str, params: dict
) -> None:
    from cskg.web.i18n import translator
    from cskg.web.linkeddata import LinkedData
    from cskg.web.pages import PAGES, links
    from cskg.web.settings import Settings

    site = LinkedData(Settings(dist=release), None)
    site.release.html_rows = 2  # the notes under cut tables too
    declared = next(p for p in PAGES if p.name == page)
    view = declared.view(site.release, site.linker, {**params, "lang": "zh"})
    assert view["lang"] == "zh"
    view.update(links=links(site.linker), t=translator("zh", strict=True))
    html = site.env.get_template(declared.template).render(**view)  # Untranslated if one is not
    assert 'lang="zh"' in html
