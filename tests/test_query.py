"""`cskg query` and `cskg queries` on a small release: formats, errors, engines, guards, speed."""

from __future__ import annotations

import csv
import io
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import named_quads
from minirelease import INFERRED, write_release
from utils.expected import canonical
from utils.loopback import LoopbackHTTPServer

from cskg.cli import main
from cskg.query.engines import ENGINES, EmbeddedStore, RdflibStore
from cskg.query.model import Term
from cskg.query.remote import parse_sparql_json
from cskg.query.text import inspect, query_form

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

LABELS = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?entity ?label WHERE { ?entity rdfs:label ?label } ORDER BY ?entity ?label"""

CLAIMS = """# title: Which policy enabled which industry change
# question: Which policies enabled which industry changes, and on what evidence?
# keywords: policy, causality, evidence
PREFIX cskg: <https://w3id.org/cskg/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?claim ?cause ?effect ?section ?quote WHERE {
  ?claim a cskg:CausalClaim ; cskg:cause ?cause ; cskg:effect ?effect ;
    prov:wasDerivedFrom ?ev .
  ?ev cskg:section/cskg:sectionNumber ?section ; cskg:quote ?quote .
}
"""

MARKET = """# title: Market size figures
# question: Which market sizes does Table 1 give, as printed?
# keywords: market, table
PREFIX cskg: <https://w3id.org/cskg/ontology#>
SELECT ?obs ?value ?printed WHERE { ?obs cskg:marketSize ?value ; cskg:printedValue ?printed }
"""


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_release(tmp_path_factory.mktemp("release") / "dist")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project folder with a two-query library."""
    root = tmp_path_factory.mktemp("project")
    (root / "queries").mkdir()
    (root / "queries" / "policy-enabled-industry-change.rq").write_text(CLAIMS, encoding="utf-8")
    (root / "queries" / "market-size.rq").write_text(MARKET, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def oxstore(dist: Path) -> Iterator[ox.Store]:
    store = ox.Store.read_only(str(dist / "store"))
    yield store
    del store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def ox_rows(store: ox.Store, query: str) -> list[dict[str, str]]:
    """What pyoxigraph itself answers, as {variable: lexical value} (the CSV view)."""
    answer = store.query(query)
    names = [v.value for v in answer.variables]
    return [
        {n: ("" if t is None else t.value) for n, t in zip(names, s, strict=True)} for s in answer
    ]


# -- SELECT formats --------------------------------------------------------------------------------


def test_csv_rows_equal_pyoxigraph(capsys, dist, oxstore):
    code, out, _ = run(capsys, "--dist", str(dist), "query", "-e", LABELS, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows == ox_rows(oxstore, LABELS)
    assert {"entity": "https://w3id.org/cskg/id/agency/miit", "label": "工业和信息化部"} in rows


@pytest.mark.parametrize(
    ("suffix", "fmt"), [(".csv", "csv"), (".srj", "sparql-json"), (".md", "md")]
)
def test_out_writes_the_format_its_extension_names(capsys, dist, tmp_path, suffix, fmt):
    code, printed, _ = run(capsys, "--dist", str(dist), "query", "-e", LABELS, "--format", fmt)
    assert code == 0
    out = tmp_path / f"answer{suffix}"
    code, nothing, _ = run(capsys, "--dist", str(dist), "query", "-e", LABELS, "-o", str(out))
    assert (code, nothing) == (0, "")
    assert out.read_bytes().decode("utf-8") == printed


def test_out_into_a_missing_folder_is_one_line(capsys, dist, tmp_path):
    out = tmp_path / "no" / "such" / "answer.csv"
    code, _, err = run(capsys, "--dist", str(dist), "query", "-e", LABELS, "-o", str(out))
    assert code == 2
    assert err.strip().splitlines() == [
        f"cskg: error: cannot write {out}: No such file or directory"
    ]


def test_json_and_tsv(capsys, dist, oxstore):
    code, out, _ = run(capsys, "--dist", str(dist), "query", "-e", LABELS, "--format", "json")
    assert code == 0
    assert json.loads(out) == ox_rows(oxstore, LABELS)
    code, out, _ = run(capsys, "--dist", str(dist), "query", "-e", LABELS, "--format", "tsv")
    lines = out.splitlines()
    assert lines[0] == "?entity\t?label"
    assert '<https://w3id.org/cskg/id/agency/miit>\t"工业和信息化部"@zh' in lines


def test_json_numbers(capsys, dist, root):
    code, out, _ = run(
        capsys, "--root", str(root), "--dist", str(dist), "query", "market-size", "--format", "json"
    )
    assert code == 0
    rows = json.loads(out)
    assert rows == [
        {
            "obs": "https://w3id.org/cskg/id/observation/t1-world-market-size-2014",
            "value": 21.64,
            "printed": "21.640",
        }
    ]


def test_sparql_json_and_xml_round_trip(capsys, dist):
    embedded = EmbeddedStore(dist / "store").query(LABELS)
    code, out, _ = run(
        capsys, "--dist", str(dist), "query", "-e", LABELS, "--format", "sparql-json"
    )
    assert code == 0
    assert canonical(parse_sparql_json(out)) == canonical(embedded)
    code, out, _ = run(capsys, "--dist", str(dist), "query", "-e", LABELS, "--format", "sparql-xml")
    parsed = ox.parse_query_results(out.encode(), format=ox.QueryResultsFormat.XML)
    pairs = [(s["entity"].value, s["label"].value, s["label"].language) for s in parsed]
    assert pairs == [
        (row[0].value, row[1].value, row[1].lang) for row in embedded.rows
    ]  # same order: the query has ORDER BY


def test_table_and_markdown_show_prefixed_names_and_values(capsys, dist, root):
    code, out, _ = run(
        capsys, "--root", str(root), "--dist", str(dist), "query", "policy-enabled-industry-change"
    )
    assert code == 0
    header, _rule, row, count = out.splitlines()
    assert header.split() == ["claim", "cause", "effect", "section", "quote"]
    assert row.startswith("claim:plan-enabled-growth  policy:plan  change:rapid-growth  2.1  ")
    assert row.endswith("The MIIT issued the plan, which enabled the rapid growth of the industry.")
    assert count == "(1 row)"
    # columns are aligned: every column starts at the same offset in header and row
    assert row.index("policy:plan") == header.index("cause")
    code, out, _ = run(capsys, "--dist", str(dist), "query", "-e", LABELS, "--format", "md")
    lines = out.splitlines()
    assert lines[0] == "| entity | label |"
    assert "| `agency:miit` | 工业和信息化部 |" in lines


def test_chinese_columns_align_by_display_width(capsys, dist):
    _code, out, _ = run(capsys, "--dist", str(dist), "query", "-e", LABELS)
    lines = out.splitlines()
    chinese = next(line for line in lines if "工业和信息化部" in line)
    english = next(line for line in lines if "Ministry of Industry" in line)
    assert chinese.index("工") == english.index("Ministry")


# -- ASK, CONSTRUCT, --asserted --------------------------------------------------------------------


def test_ask_and_asserted(capsys, dist):
    ask = "ASK { ?s a <http://www.w3.org/ns/org#Organization> }"  # only in the inferred graph
    assert run(capsys, "--dist", str(dist), "query", "-e", ask)[1] == "true\n"
    assert run(capsys, "--dist", str(dist), "query", "-e", ask, "--asserted")[1] == "false\n"
    for engine in ENGINES:
        out = run(capsys, "--dist", str(dist), "query", "-e", ask, "--engine", engine, "--asserted")
        assert out[1] == "false\n"
    code, out, _ = run(capsys, "--dist", str(dist), "query", "-e", ask, "--format", "sparql-json")
    assert code == 0
    assert json.loads(out) == {"head": {}, "boolean": True}


def test_asserted_keeps_named_graph_queries(capsys, dist, oxstore):
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    all_quads = list(named_quads(oxstore, None, None, None))
    asserted = [q for q in all_quads if q.graph_name.value != INFERRED]
    out = run(capsys, "--dist", str(dist), "query", "-e", query, "--format", "csv", "--asserted")[1]
    assert out.splitlines()[1] == str(len({(q.subject, q.predicate, q.object) for q in asserted}))
    out = run(capsys, "--dist", str(dist), "query", "-e", query, "--format", "csv")[1]
    assert int(out.splitlines()[1]) > len({(q.subject, q.predicate, q.object) for q in asserted})


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "json-ld"])
def test_construct_formats_parse_back(capsys, dist, oxstore, fmt):
    query = (
        "CONSTRUCT { ?s a ?c } WHERE { GRAPH <https://w3id.org/cskg/graph/inferred> { ?s a ?c } }"
    )
    code, out, _ = run(capsys, "--dist", str(dist), "query", "-e", query, "--format", fmt)
    assert code == 0
    rdf_format = {
        "turtle": ox.RdfFormat.TURTLE,
        "ntriples": ox.RdfFormat.N_TRIPLES,
        "json-ld": ox.RdfFormat.JSON_LD,
    }[fmt]
    parsed = {str(t) for t in ox.parse(out.encode(), format=rdf_format)}
    expected = {
        str(ox.Triple(q.subject, q.predicate, q.object))
        for q in named_quads(
            oxstore,
            None,
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            None,
            ox.NamedNode(INFERRED),
        )
    }
    assert parsed == expected and len(expected) == 2


def test_format_kind_mismatch(capsys, dist):
    code, _, err = run(capsys, "--dist", str(dist), "query", "-e", LABELS, "--format", "turtle")
    assert code == 2 and "CONSTRUCT/DESCRIBE" in err


# -- errors ----------------------------------------------------------------------------------------


def test_syntax_error_has_line_and_column(capsys, dist):
    bad = (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT * WHERE {\n  ?s rdfs:label }"
    )
    for engine in ENGINES:
        code, out, err = run(capsys, "--dist", str(dist), "query", "-e", bad, "--engine", engine)
        assert code == 2 and out == ""
        assert err.startswith("cskg: error: line 3, column ") and err.count("\n") == 1
        assert "syntax error at " in err and "Traceback" not in err


def test_unknown_query_name_suggests(capsys, dist, root):
    code, _, err = run(
        capsys, "--root", str(root), "--dist", str(dist), "query", "policy-enabled-industry-chang"
    )
    assert code == 2
    assert "did you mean: policy-enabled-industry-change" in err
    code, _, err = run(capsys, "--root", str(root), "queries", "market")
    assert code == 2 and "market-size" in err


def test_unknown_name_in_the_real_library(capsys):
    names = sorted(p.stem for p in (REPO / "queries").glob("*.rq"))
    if not names:
        pytest.skip("the query library is empty")
    typo = names[0][:-1]
    code, _, err = run(capsys, "--root", str(REPO), "queries", typo)
    assert code == 2 and names[0] in err


def test_no_release(capsys, tmp_path):
    code, _, err = run(capsys, "--dist", str(tmp_path), "query", "-e", LABELS)
    assert code == 2 and "build the release first" in err


# -- the library -----------------------------------------------------------------------------------


def test_queries_lists_and_shows(capsys, root):
    code, out, _ = run(capsys, "--root", str(root), "queries")
    assert code == 0
    assert out.splitlines() == [
        "market-size — Which market sizes does Table 1 give, as printed?",
        "policy-enabled-industry-change — Which policies enabled which industry changes, "
        "and on what evidence?",
    ]
    code, out, _ = run(capsys, "--root", str(root), "queries", "market-size")
    assert out.startswith("market-size: Market size figures\n\n# title: Market size figures\n")
    assert out.endswith(MARKET)


def test_query_file_and_stdin(capsys, dist, root, tmp_path):
    path = tmp_path / "claims.rq"
    path.write_text(CLAIMS, encoding="utf-8")
    by_file = run(capsys, "--dist", str(dist), "query", str(path), "--format", "csv")[1]
    by_name = run(
        capsys,
        "--root",
        str(root),
        "--dist",
        str(dist),
        "query",
        "policy-enabled-industry-change",
        "--format",
        "csv",
    )[1]
    assert by_file == by_name
    assert "https://w3id.org/cskg/id/claim/plan-enabled-growth" in by_file


def test_real_library_headers():
    from cskg.query.library import load_library

    library = load_library(REPO / "queries")
    for query in library:
        assert query.title and query.question, f"{query.name} lacks a title or question"
        assert query.question.endswith("?"), query.name


# -- no remote access ------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_service_is_refused(capsys, dist, listener, engine):
    query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/sparql> {{ ?s ?p ?o }} }}"
    code, _, err = run(capsys, "--dist", str(dist), "query", "-e", query, "--engine", engine)
    time.sleep(0.3)
    assert code == 2 and "SERVICE" in err and "--allow-remote" in err
    assert listener.received == []


def test_service_allowed_does_reach_out(capsys, dist, listener):
    # the counterpart of the test above: with --allow-remote, pyoxigraph does send the request
    query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/sparql> {{ ?s ?p ?o }} }}"
    run(capsys, "--dist", str(dist), "query", "-e", query, "--allow-remote")
    time.sleep(0.3)
    assert listener.received and listener.received[0].startswith(b"POST /sparql")


@pytest.mark.parametrize("engine", ENGINES)
def test_from_url_reads_no_network(capsys, dist, listener, engine):
    query = f"SELECT * FROM <http://127.0.0.1:{listener.port}/data.ttl> WHERE {{ ?s ?p ?o }}"
    code, out, _ = run(
        capsys, "--dist", str(dist), "query", "-e", query, "--engine", engine, "--format", "csv"
    )
    time.sleep(0.3)
    assert code == 0 and len(out.splitlines()) == 1  # the header alone
    assert sorted(out.strip().split(",")) == ["o", "p", "s"]
    assert listener.received == []


def test_every_engine_gives_the_same_rows(capsys, dist):
    answers = {}
    for engine in ENGINES:
        code, out, err = run(
            capsys,
            "--dist",
            str(dist),
            "query",
            "-e",
            LABELS,
            "--engine",
            engine,
            "--format",
            "csv",
        )
        assert code == 0, err
        answers[engine] = sorted(out.splitlines()[1:])
    assert answers["oxigraph"]  # the labels of the small release
    assert answers["oxigraph-memory"] == answers["oxigraph"] == answers["rdflib"]


def test_from_named_graph_reads_that_graph(dist):
    query = "SELECT ?s WHERE { ?s a ?c }"
    from_inferred = query.replace("WHERE", f"FROM <{INFERRED}> WHERE")
    for store in (EmbeddedStore(dist / "store"), RdflibStore(dist / "cskg.nq")):
        subjects = {row[0].value for row in store.query(from_inferred).rows}
        assert subjects == {
            "https://w3id.org/cskg/id/policy/plan",
            "https://w3id.org/cskg/id/agency/miit",
        }


def test_service_word_elsewhere_is_not_a_keyword():
    query = (
        "PREFIX ex: <http://example.org/SERVICE#>\n# SERVICE in a comment\n"
        'SELECT ?service WHERE { ?service ex:SERVICE "SERVICE" ; <http://x/SERVICE> ex:a }'
    )
    assert not inspect(query).service
    assert not inspect("PREFIX : <http://x/> SELECT * { ?s :SERVICE ?o }").service
    assert inspect("SELECT * { service <http://x> { ?s ?p ?o } }").service
    assert query_form("PREFIX select: <http://x/> # SELECT\nASK { ?s select:x ?o }") == "ASK"


# -- queries judged on what the parsers see (cskg.query.text) -------------------------------------

HIDDEN_SERVICE = {
    # pyoxigraph ends a comment at CR, so SERVICE follows it; a pattern read it as comment
    "comment ended by CR": "SELECT * WHERE { # a comment\r SERVICE <{url}> { ?s ?p ?o } }",
    # pyoxigraph reads the keyword without a word boundary, then the empty prefix
    "SERVICE glued to :x": "PREFIX : <{url}> SELECT * WHERE { SERVICE:x { ?s ?p ?o } }",
    # `\#` escapes the `#` in a prefixed name: no comment hides the rest of the line
    "escaped # in a name": "PREFIX ex: <http://example.org/> "
    "SELECT * WHERE { OPTIONAL { ?s ?p ex:a\\#b } SERVICE <{url}> { ?s ?p ?o } }",
    # `<` after an operand is "less than": no IRI swallows `)SERVICE#>`
    "less than": "SELECT * { BIND(1 AS ?a) FILTER(?a<2)SERVICE#>)\n<{url}> { ?s ?p ?o } }",
}


@pytest.mark.parametrize("trick", list(HIDDEN_SERVICE))
@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_hidden_service_is_refused(capsys, dist, listener, engine, trick):
    query = HIDDEN_SERVICE[trick].replace("{url}", f"http://127.0.0.1:{listener.port}/sparql")
    code, out, err = run(capsys, "--dist", str(dist), "query", "-e", query, "--engine", engine)
    time.sleep(0.3)
    assert code == 2 and out == "" and "Traceback" not in err
    assert "--allow-remote" in err or "lone carriage return" in err
    assert listener.received == []


def _deep(depth: int) -> str:
    return "SELECT * WHERE " + "{" * depth + " ?s ?p ?o " + "}" * depth + "\n"


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_deep_query_file_exits_2_in_one_line(dist, tmp_path, engine):
    path = tmp_path / "deep.rq"
    path.write_text(_deep(5000), encoding="utf-8")
    done = _cli("--dist", str(dist), "query", str(path), "--engine", engine)
    assert done.returncode == 2, done.stderr[-300:]  # pyoxigraph's parser crashes near 2,500
    assert done.stderr.splitlines() == [
        "cskg: error: query: brackets nest 5000 deep; at most 100 are accepted "
        "(deeper nesting overflows the parsers' stack)"
    ]


def test_long_operator_chain_exits_2(dist):
    query = "SELECT * { BIND(" + "+".join(["1"] * 10_000) + " AS ?x) }"
    done = _cli("--dist", str(dist), "query", "-e", query)
    assert done.returncode == 2 and "operators in a row" in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_nesting_too_deep_for_rdflib_is_one_line(capsys, dist):
    code, out, err = run(
        capsys, "--dist", str(dist), "query", "-e", _deep(60), "--engine", "rdflib"
    )
    assert code == 2 and out == ""
    assert err == (
        "cskg: error: query: brackets nest too deep for rdflib's parser; use --engine oxigraph\n"
    )
    code, out, _ = run(capsys, "--dist", str(dist), "query", "-e", _deep(60), "--format", "csv")
    assert code == 0 and sorted(out.splitlines()[0].split(",")) == ["o", "p", "s"]


BAD_FILES = [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "1:1: not UTF-8 text (byte 0x89)"),
    (b'SELECT * {\n  ?s ?p "caf\xe9" }', "2:13: not UTF-8 text (byte 0xE9)"),
    (b"SELECT * {\n ?s ?p ?o \x00 }", "2:11: binary data, not text (a NUL byte)"),
]


@pytest.mark.parametrize(("data", "where"), BAD_FILES)
def test_binary_or_non_utf8_query_file(capsys, dist, tmp_path, data, where):
    path = tmp_path / "bad.rq"
    path.write_bytes(data)
    code, out, err = run(capsys, "--dist", str(dist), "query", str(path))
    assert code == 2 and out == ""
    assert err.startswith(f"cskg: error: {path}:{where}") and err.count("\n") == 1


def test_byte_order_mark_is_accepted(capsys, dist, tmp_path):
    path = tmp_path / "bom.rq"
    path.write_bytes(b"\xef\xbb\xbf" + LABELS.encode())
    code, out, err = run(capsys, "--dist", str(dist), "query", str(path), "--format", "csv")
    assert code == 0, err
    assert out == run(capsys, "--dist", str(dist), "query", "-e", LABELS, "--format", "csv")[1]


def test_stdin_is_read_as_utf8(dist):
    command = [PYTHON, "-m", "cskg.cli", "--dist", str(dist), "query", "-", "--format", "csv"]
    done = subprocess.run(command, input=b'ASK { ?s ?p "caf\xe9" }', capture_output=True, cwd=REPO)
    assert done.returncode == 2
    assert done.stderr.decode() == (
        "cskg: error: <stdin>:1:17: not UTF-8 text (byte 0xE9); save the file as UTF-8\n"
    )
    done = subprocess.run(
        command, input=b"\xef\xbb\xbf" + LABELS.encode(), capture_output=True, cwd=REPO
    )
    assert done.returncode == 0 and done.stdout.decode().startswith("entity,label")


# -- remote endpoint errors ------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    status = 500
    content_type = "text/plain"
    body = b"Virtuoso 37000 Error SP030: SPARQL compiler, line 1: syntax error"
    delay = 0.0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(self.delay)
        self.send_response(self.status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


def _serve(**attributes: object) -> tuple[LoopbackHTTPServer, str]:
    server = LoopbackHTTPServer(type("Handler", (_Handler,), attributes)).start()
    return server, f"{server.url}/sparql"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_endpoint_connection_refused(capsys):
    url = f"http://127.0.0.1:{_closed_port()}/sparql"
    code, out, err = run(capsys, "query", "-e", LABELS, "--endpoint", url)
    assert code == 2 and out == ""
    assert err == f"cskg: error: POST {url} (query): connection refused (is the server running?)\n"


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"status": 500}, "HTTP 500 Internal Server Error: Virtuoso 37000 Error SP030: SPARQL"),
        ({"status": 400}, "(query): HTTP 400 Bad Request: Virtuoso 37000 Error SP030"),
        ({"status": 503, "body": b"down for maintenance"}, "HTTP 503 Service Unavailable: down"),
        (
            {"status": 200, "content_type": "text/html", "body": b"<html><h1>Welcome</h1></html>"},
            "did not answer with SPARQL results (Content-Type: text/html): Welcome",
        ),
        ({"status": 200, "delay": 2.0, "body": b"{}"}, "no complete answer within 0.5 s"),
    ],
)
def test_endpoint_errors(capsys, attributes, message):
    server, url = _serve(**attributes)
    try:
        code, out, err = run(capsys, "query", "-e", LABELS, "--endpoint", url, "--timeout", "0.5")
    finally:
        server.close()
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_endpoint_answers(capsys):
    body = json.dumps(
        {
            "head": {"vars": ["entity", "label"]},
            "results": {
                "bindings": [
                    {
                        "entity": {"type": "uri", "value": "https://w3id.org/cskg/id/agency/miit"},
                        "label": {"type": "literal", "value": "工业和信息化部", "xml:lang": "zh"},
                    }
                ]
            },
        }
    ).encode()
    server, url = _serve(status=200, content_type="application/sparql-results+json", body=body)
    try:
        code, out, _ = run(capsys, "query", "-e", LABELS, "--endpoint", url, "--format", "tsv")
    finally:
        server.close()
    assert code == 0
    assert out.splitlines()[1] == '<https://w3id.org/cskg/id/agency/miit>\t"工业和信息化部"@zh'


def test_parse_sparql_json_typed_literal():
    result = parse_sparql_json(
        '{"head":{"vars":["n"]},"results":{"bindings":[{"n":{"type":"typed-literal",'
        '"datatype":"http://www.w3.org/2001/XMLSchema#integer","value":"3"}}]}}'
    )
    assert result.rows == [(Term.literal("3", "http://www.w3.org/2001/XMLSchema#integer"),)]


# -- as a process: output, imports, speed ----------------------------------------------------------


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "cskg.cli", *argv], capture_output=True, text=True, check=False, cwd=REPO
    )


def test_subprocess_query_and_error(dist, root, oxstore):
    done = _cli("--root", str(root), "--dist", str(dist), "query", "-e", LABELS, "--format", "csv")
    assert done.returncode == 0
    assert list(csv.DictReader(io.StringIO(done.stdout))) == ox_rows(oxstore, LABELS)
    done = _cli("--dist", str(dist), "query", "-e", "SELECT * WHERE {")
    assert done.returncode == 2
    assert done.stderr == "cskg: error: line 1, column 16: this bracket is never closed (by `}`)\n"
    assert "Traceback" not in done.stderr


def test_subprocess_queries_lists_the_library():
    """`cskg queries` as a process lists every library query with its question, in order."""
    from cskg.query.library import load_library

    done = _cli("--root", str(REPO), "queries")
    assert done.returncode == 0, done.stderr
    library = load_library(REPO / "queries")
    assert done.stdout.splitlines() == [
        f"{q.name} ({q.scale}) — {q.question or q.title}" for q in library
    ]
    assert "g-cloud-os (entity-centred) — Who developed" in done.stdout
    done = _cli("--root", str(REPO), "queries", "services-gap")
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith((REPO / "queries" / "services-gap.rq").read_text("utf-8"))


def test_fast_path_does_not_import_heavy_libraries(dist, root):
    probe = (
        "import sys\n"
        "from cskg.cli import main\n"
        f"code = main(['--root', {str(root)!r}, '--dist', {str(dist)!r}, 'query', "
        "'policy-enabled-industry-change'])\n"
        "heavy = sorted(m for m in ('rdflib', 'owlrl', 'pyshacl', 'networkx', 'SPARQLWrapper', "
        "'httpx', 'httpcore') if m in sys.modules)\n"
        "print('HEAVY', heavy, code)\n"
    )
    done = subprocess.run([PYTHON, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "HEAVY [] 0"
