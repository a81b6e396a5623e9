"""The project's prefixes everywhere: predeclared for every query (command line, Python API,
`/sparql`, the query page), a query's own PREFIX winning, one-line errors that say where and what,
names printed only as prefixed names that read back as the same IRI, and `cskg prefixes`.

Everything runs on the real release with the real engines and the real server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import httpx
import pyoxigraph as ox
import pytest
from markupsafe import escape
from rdflib.plugins.sparql.parser import parseQuery
from utils.loopback import LoopbackHTTPServer

from cskg import api
from cskg.cli import main
from cskg.errors import QuerySyntaxError
from cskg.query.engines import ENGINES, EmbeddedStore
from cskg.query.library import load_library
from cskg.query.messages import oxigraph_error
from cskg.query.model import Result
from cskg.query.remote import parse_sparql_json
from cskg.query.results import compact, display, render
from cskg.query.text import declare_used, names_itself, prefixed_name, undeclared_prefixes
from cskg.vocab import CSKG, PREFIXES, sparql_prologue
from cskg.web.workers import run_job

REPO = Path(__file__).resolve().parents[1]
POLICIES = "SELECT ?p WHERE { ?p a cskg:Policy }"
DECLARED = f"PREFIX cskg: <{CSKG}>\n{POLICIES}"
#: a query's own declaration wins: nothing is a policy in this namespace
REDECLARED = f"PREFIX cskg: <http://example.org/>\n{POLICIES}"
UNDECLARED = "SELECT ?p WHERE {\n  ?p a cskg:Policy ;\n     foo:name ?n }"
UNDECLARED_SAYS = 'line 3, column 6: the prefix "foo:" is not declared (known prefixes: cskg, '
BAD_KEYWORD = "SELECT ?p WHERE {\n  ?p a cskg:Policy OPTIONL { ?p ?q ?r } }"
BAD_KEYWORD_SAYS = "line 2, column 20: `OPTIONL` is not a SPARQL keyword (did you mean OPTIONAL?)"
SLASHED = "SELECT ?p WHERE { ?p a concept:area/china }"
BAD_GRAMMAR = "SELECT ?p WHERE {\n  ?p a cskg:Policy } ORDER ?p"
BAD_GRAMMAR_SAYS = "line 2, column 30: syntax error at the end of the query (expected BY)"


@pytest.fixture(scope="module")
def policies(release: Path) -> list[str]:
    """The policies, computed from the release's store with the IRI written out."""
    store = ox.Store.read_only(str(release / "store"))
    rows = store.query(f"SELECT ?p WHERE {{ ?p a <{CSKG}Policy> }}")
    found = sorted(row["p"].value for row in rows)
    assert len(found) > 10
    return found


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- predeclared, and the query's own PREFIX wins --------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_the_command_line_knows_the_prefixes(capsys, release, policies, engine):
    argv = ("--dist", str(release), "query", "--engine", engine, "--format", "json", "-e")
    for text, expected in ((POLICIES, policies), (DECLARED, policies), (REDECLARED, [])):
        code, out, err = cli(capsys, *argv, text)
        assert (code, err) == (0, ""), text
        assert sorted(row["p"] for row in json.loads(out)) == expected, text


def test_the_table_of_the_command_line_names_the_policies(capsys, release, policies):
    code, out, err = cli(capsys, "--dist", str(release), "query", "-e", POLICIES)
    assert (code, err) == (0, "")
    names = out.splitlines()[2:-1]
    assert sorted(names) == sorted(compact(p) for p in policies)
    assert all(name.startswith("policy:") for name in names)


def test_a_query_file_and_a_library_query_know_the_prefixes(capsys, release, policies, tmp_path):
    path = tmp_path / "policies.rq"
    path.write_text(f"# title: policies\n{POLICIES}\n", encoding="utf-8")
    code, out, err = cli(capsys, "--dist", str(release), "query", str(path), "--format", "json")
    assert (code, err) == (0, "")
    assert sorted(row["p"] for row in json.loads(out)) == policies


def test_the_python_api_knows_the_prefixes(release, policies):
    assert sorted(row[0].value for row in api.query(POLICIES, dist=release).rows) == policies
    assert sorted(row[0].value for row in api.query(DECLARED, dist=release).rows) == policies
    assert api.query(REDECLARED, dist=release).rows == []
    rdflib = api.query(POLICIES, dist=release, engine="rdflib")
    assert sorted(row[0].value for row in rdflib.rows) == policies


def sparql_iris(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(row[0].value for row in parse_sparql_json(response.content).rows)


def test_the_endpoint_knows_the_prefixes_by_get_and_post(server, policies):
    endpoint = server + "/sparql"
    direct = {"Content-Type": "application/sparql-query"}
    for text, expected in ((POLICIES, policies), (DECLARED, policies), (REDECLARED, [])):
        assert sparql_iris(httpx.get(endpoint, params={"query": text})) == expected
        assert sparql_iris(httpx.post(endpoint, data={"query": text})) == expected
        answer = httpx.post(endpoint, content=text.encode("utf-8"), headers=direct)
        assert sparql_iris(answer) == expected


def test_the_query_page_knows_the_prefixes(server, policies):
    page = httpx.post(server + "/query", data={"query": POLICIES}, timeout=30)
    assert page.status_code == 200
    shown = set(re.findall(r"https://w3id\.org/cskg/id/policy/[a-z0-9-]+", page.text))
    assert shown == set(policies)


# -- errors: one line, where, and what -------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("text", "says"),
    [
        (UNDECLARED, UNDECLARED_SAYS),
        (BAD_KEYWORD, BAD_KEYWORD_SAYS),
        (BAD_GRAMMAR, "line 2, column "),
        (
            "SELECT ?p WHERE { ?p a concept:area/china }",
            'a "/" is not allowed in one; write area:china',
        ),
    ],
    ids=["undeclared-prefix", "misspelt-keyword", "grammar", "slash-in-name"],
)
def test_the_command_line_says_where_in_one_line(capsys, release, engine, text, says):
    code, out, err = cli(capsys, "--dist", str(release), "query", "--engine", engine, "-e", text)
    assert (code, out) == (2, "")
    assert err.startswith("cskg: error: line ") and err.count("\n") == 1, err
    assert says in err and "Traceback" not in err and "..=" not in err


def test_the_undeclared_prefix_is_named_with_the_known_ones(capsys, release):
    code, _, err = cli(capsys, "--dist", str(release), "query", "-e", UNDECLARED)
    assert code == 2
    assert err.startswith("cskg: error: " + UNDECLARED_SAYS)
    assert ", ".join(PREFIXES) in err and err.endswith("declare it with PREFIX foo: <…>)\n")
    code, _, err = cli(
        capsys, "--dist", str(release), "query", "-e", POLICIES.replace("cskg", "cskq")
    )
    assert 'line 1, column 24: the prefix "cskq:" is not declared; did you mean "cskg:"?' in err


def test_a_grammar_error_names_what_was_expected(capsys, release):
    code, _, err = cli(capsys, "--dist", str(release), "query", "-e", BAD_GRAMMAR)
    assert (code, err) == (2, f"cskg: error: {BAD_GRAMMAR_SAYS}\n")


def test_the_python_api_raises_the_sentence(release):
    cases = (
        (UNDECLARED, UNDECLARED_SAYS),
        (BAD_KEYWORD, BAD_KEYWORD_SAYS),
        (BAD_GRAMMAR, BAD_GRAMMAR_SAYS),
    )
    for text, says in cases:
        with pytest.raises(QuerySyntaxError) as caught:
            api.query(text, dist=release)
        assert str(caught.value).startswith(says)
        assert caught.value.line == int(says.split(",")[0].split()[1])  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (UNDECLARED, UNDECLARED_SAYS),
        (BAD_KEYWORD, BAD_KEYWORD_SAYS),
        (BAD_GRAMMAR, BAD_GRAMMAR_SAYS),
    ],
    ids=["undeclared-prefix", "misspelt-keyword", "grammar"],
)
def test_the_endpoint_answers_400_with_the_sentence(server, text, says):
    endpoint = server + "/sparql"
    for response in (
        httpx.get(endpoint, params={"query": text}),
        httpx.post(endpoint, data={"query": text}),
    ):
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("text/plain")
        assert response.text.startswith(says) and response.text.count("\n") == 1
    page = httpx.post(server + "/query", data={"query": text}, timeout=30)
    assert page.status_code == 400 and str(escape(says)) in page.text


def test_the_worker_says_where_for_the_page(release):
    """The worker's answer to a refused query carries the line and column, for the query page
    to point at (`QueryRefused.line`, `.column`)."""
    store = ox.Store.read_only(str(release / "store"))
    job = {"query": UNDECLARED, "media": {}, "max_nesting": 40, "max_rows": 10, "max_bytes": 10**6}
    with open(Path(release.parent / "worker-answer"), "wb") as out:
        header = run_job(store, {}, job, out)
        assert header["status"] == 400 and header["message"].startswith(UNDECLARED_SAYS)
        assert (header["line"], header["column"]) == (3, 6)
        header = run_job(store, {}, {**job, "query": BAD_GRAMMAR}, out)
    assert header["message"] == BAD_GRAMMAR_SAYS and (header["line"], header["column"]) == (2, 30)


def test_the_guard_reads_the_query_with_the_predeclared_prefixes(capsys, release, server):
    """The guard sees what the engine runs: `cskg:` expands there as in the engine, so a name
    that expands to no IRI is refused before any engine reads it."""
    text = "SELECT * WHERE { ?s cskg:a\\#b ?o }"
    code, _, err = cli(capsys, "--dist", str(release), "query", "-e", text)
    assert code == 2 and f"expands to <{CSKG}a#b>, which is not a valid IRI" in err
    response = httpx.get(server + "/sparql", params={"query": text})
    assert response.status_code == 400 and "which is not a valid IRI" in response.text


def test_a_long_undeclared_prefix_is_quoted_short(capsys, release, server):
    text = "ASK { ?s a " + "p" * 100_000 + ":x }"
    code, _, err = cli(capsys, "--dist", str(release), "query", "-e", text)
    assert code == 2 and len(err) < 1000 and '"' + "p" * 59 + '…:" is not declared' in err
    response = httpx.post(server + "/sparql", data={"query": text})
    assert response.status_code == 400 and len(response.text) < 1000


def test_engine_messages_become_short_lists():
    """pyoxigraph's own message for an undeclared prefix is a screen of Unicode ranges."""
    text = "SELECT ?p WHERE { ?p a foo:Policy }"
    with pytest.raises(SyntaxError) as raw:
        ox.Store().query(text)
    assert "\\u{" in str(raw.value)
    said = str(oxigraph_error(text, str(raw.value)))
    assert "\\u{" not in said and "..=" not in said and "\n" not in said
    assert said.startswith("line 1, column 35: syntax error at ")


# -- names printed are names that read back --------------------------------------------------------


def test_names_are_valid_where_printed_prefixed():
    assert compact("https://w3id.org/cskg/id/concept/area/china") == "area:china"
    assert prefixed_name("https://w3id.org/cskg/id/concept/area/china") == "area:china"
    assert compact(CSKG + "Policy") == "cskg:Policy"
    assert compact("https://w3id.org/cskg/id/section/4.2.2") == "sec:4.2.2"
    odd = "https://w3id.org/cskg/id/concept/not-a-scheme/x"
    assert compact(odd) == f"<{odd}>"  # concept:not-a-scheme/x is not SPARQL
    assert compact("https://w3id.org/cskg/id/agency/ends.") == (
        "<https://w3id.org/cskg/id/agency/ends.>"
    )
    # cskg's guard reads `a` + `gency:…SERVICE…` as a service call: printed in full
    assert not names_itself("agency", "web-service-office") and names_itself("ent", "a-service")
    assert not names_itself("cskg", "a/b") and not names_itself("cskg", "-a")
    assert names_itself("cskg", "") and names_itself("sec", "4.2") and names_itself("x", "中文")


@pytest.fixture(scope="module")
def library_answers(release: Path) -> Iterator[list[tuple[str, Result, str]]]:
    """(query name, answer, what the command line prints) for every library query."""
    with EmbeddedStore(release / "store") as store:
        answers = []
        for query in load_library(REPO / "queries"):
            result = store.query(query.text)
            shown = render(result, "table" if result.kind != "graph" else "turtle")
            answers.append((query.name, result, shown))
        yield answers


@pytest.mark.slow
def test_every_printed_name_reads_back_as_its_iri(release, library_answers):
    assert len(library_answers) == len(list((REPO / "queries").glob("*.rq")))
    printed: dict[str, str] = {}
    for name, result, shown in library_answers:
        terms = [t for row in result.rows for t in row] if result.kind == "select" else []
        for term in terms:
            if term is not None and term.kind == "iri":
                assert display(term) in shown, name
                printed[display(term)] = term.value
    assert len(printed) > 300
    assert any(n.startswith(("area:", "unit:", "chain:")) for n in printed)
    assert not any("/" in n for n in printed if not n.startswith("<"))
    names = sorted(printed)
    text = "SELECT ?x WHERE { VALUES ?x { " + " ".join(names) + " } }"
    with EmbeddedStore(release / "store") as store:
        read_back = [row[0].value for row in store.query(text).rows]
    assert read_back == [printed[n] for n in names]
    parseQuery(sparql_prologue() + text)  # and rdflib's parser reads them too


# -- cskg prefixes ---------------------------------------------------------------------------------


def test_cskg_prefixes_lists_them(capsys):
    code, out, err = cli(capsys, "prefixes")
    assert (code, err) == (0, "")
    lines = [line.split() for line in out.splitlines()]
    assert lines == [[f"{p}:", ns] for p, ns in PREFIXES.items()]
    for usual in ("rdf", "rdfs", "owl", "xsd", "skos", "prov", "org", "qb", "dcterms", "area"):
        assert usual in PREFIXES


def test_cskg_prefixes_as_declarations_parse(capsys):
    code, sparql, _ = cli(capsys, "prefixes", "--format", "sparql")
    assert code == 0 and sparql.count("PREFIX ") == len(PREFIXES)
    text = sparql + "SELECT * WHERE { ?s a cskg:Policy ; cskg:refArea area:china }"
    parseQuery(text)
    ox.Store().query(text)  # no prefix predeclared here: the declarations are enough
    code, turtle, _ = cli(capsys, "prefixes", "--format", "turtle")
    triples = list(ox.parse(turtle + "area:china a skos:Concept .", format=ox.RdfFormat.TURTLE))
    assert code == 0 and triples[0].subject.value.endswith("/concept/area/china")


# -- another endpoint gets a query that stands on its own ------------------------------------------


class _Recorder(BaseHTTPRequestHandler):
    """Answers every query with no rows, and keeps what it was sent."""

    received: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        import urllib.parse

        body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
        self.received.append(urllib.parse.parse_qs(body)["query"][0])
        answer = b'{"head":{"vars":["p"]},"results":{"bindings":[]}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


def test_a_remote_endpoint_gets_the_prefixes_the_query_uses(capsys):
    text = (
        "PREFIX ex: <http://example.org/>\nSELECT ?p WHERE {\n ?p a cskg:Policy ; ex:x area:china }"
    )
    with LoopbackHTTPServer(type("Recorder", (_Recorder,), {"received": []})) as remote:
        code, _, err = cli(capsys, "query", "--endpoint", remote.url + "/sparql", "-e", text)
        received = remote.server.RequestHandlerClass.received  # type: ignore[attr-defined]
    assert (code, err) == (0, "")
    assert received == [f"PREFIX cskg: <{CSKG}> PREFIX area: <{PREFIXES['area']}> {text}"]
    ox.Store().query(received[0])  # stands on its own
    # the user's lines stay where they were
    assert received[0].split("\n")[2] == text.split("\n")[2]


def test_only_used_and_undeclared_prefixes_are_declared():
    text = "PREFIX cskg: <http://x/> ASK { ?s cskg:a agency:b ; foo:c ?o }"
    assert undeclared_prefixes(text) == ["agency", "foo"]
    assert declare_used("ASK { ?s foo:c ?o }") == "ASK { ?s foo:c ?o }"  # not the project's
    assert declare_used(REDECLARED) == REDECLARED
    # a word another endpoint knows (Virtuoso's DEFINE) does not stop the reading
    virtuoso = "DEFINE input:inference 'x' SELECT * { ?s a cskg:Policy }"
    assert declare_used(virtuoso).startswith(f"PREFIX cskg: <{CSKG}> DEFINE")
