"""`cskg.query.text`: SPARQL read the way the engines' parsers read it, before any of them runs.

Each trick below is first shown to be real (the engine does call a loopback listener), then shown
to be seen (`inspect` says SERVICE, or refuses the text); a seeded generator then mixes such
pieces by the thousand with pyoxigraph and rdflib as the oracle.
"""

from __future__ import annotations

import contextlib
import doctest
import random
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from utils.loopback import Listener

from cskg.errors import CskgError, QuerySyntaxError
from cskg.query import text as querytext
from cskg.query.text import MAX_CHAIN, MAX_DEPTH, QueryText, check, inspect, keywords, tokens

REPO = Path(__file__).resolve().parents[1]
LIBRARY = sorted((REPO / "queries").glob("*.rq"))


def kinds(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokens(text)]


def refusal(text: str) -> QuerySyntaxError:
    with pytest.raises(QuerySyntaxError) as caught:
        inspect(text)
    return caught.value


def test_docstring_examples() -> None:
    failures, tried = doctest.testmod(querytext, optionflags=doctest.ELLIPSIS)
    assert tried >= 2 and failures == 0


# -- the terminals of SPARQL 1.1 Query §19.8 ----------------------------------------------------

OPERATORS = ["&&", "||", "!=", "<=", ">=", "^^", "^", "|", "/", "*", "+", "-", "!", "="]
OPERATORS += [",", ";", ".", "?", "~"]
TERMINALS = [
    ("<http://example.org/a#b>", [("iri", "<http://example.org/a#b>")]),
    ("<>", [("iri", "<>")]),
    ("ex:", [("pname", "ex:")]),  # PNAME_NS
    (":", [("pname", ":")]),
    ("ex:a", [("pname", "ex:a")]),  # PNAME_LN
    (":a", [("pname", ":a")]),
    ("ex.v2:a", [("pname", "ex.v2:a")]),  # PN_PREFIX holds dots between its characters
    ("ex:a.b", [("pname", "ex:a.b")]),
    ("ex:a.", [("pname", "ex:a"), ("punct", ".")]),  # PN_LOCAL does not end with a dot
    ("ex:%41b", [("pname", "ex:%41b")]),  # PERCENT
    ("ex:a\\#b", [("pname", "ex:a\\#b")]),  # PN_LOCAL_ESC: `\#` is no comment
    ("ex:a\\.\\~\\-\\!\\$\\&\\'\\(\\)", [("pname", "ex:a\\.\\~\\-\\!\\$\\&\\'\\(\\)")]),
    ("ex:1:2", [("pname", "ex:1:2")]),
    ("_:b1", [("bnode", "_:b1")]),  # BLANK_NODE_LABEL
    ("_:a.b", [("bnode", "_:a.b")]),
    ("?x", [("var", "?x")]),  # VAR1
    ("$x", [("var", "$x")]),  # VAR2
    ("?service", [("var", "?service")]),
    ("?1", [("var", "?1")]),
    ("?café", [("var", "?café")]),  # names beyond ASCII, checked against the grammar's ranges
    ("é:ü\u00b7", [("pname", "é:ü\u00b7")]),
    ('"x"@en-GB', [("string", '"x"'), ("lang", "@en-GB")]),  # LANGTAG
    ('"x"@ar--rtl', [("string", '"x"'), ("lang", "@ar--rtl")]),  # SPARQL 1.2 direction
    ("1", [("number", "1")]),  # INTEGER
    ("1.5", [("number", "1.5")]),  # DECIMAL
    (".5", [("number", ".5")]),
    ("1.", [("number", "1"), ("punct", ".")]),
    ("1e5", [("number", "1e5")]),  # DOUBLE
    ("1.E-5", [("number", "1.E-5")]),
    (".5e+5", [("number", ".5e+5")]),
    ("+1", [("number", "+1")]),  # INTEGER_POSITIVE
    ("-1.5", [("number", "-1.5")]),  # DECIMAL_NEGATIVE
    ("'a\\'b'", [("string", "'a\\'b'")]),  # STRING_LITERAL1 with ECHAR
    ('"a\\"b\\t"', [("string", '"a\\"b\\t"')]),  # STRING_LITERAL2
    ("'''a''b\n'''", [("string", "'''a''b\n'''")]),  # STRING_LITERAL_LONG1
    ('"""a""b\n"""', [("string", '"""a""b\n"""')]),  # STRING_LITERAL_LONG2
    ("'''a''''b'", [("string", "'''a'''"), ("string", "'b'")]),  # the first ''' ends it
    ('""', [("string", '""')]),
    ("''' # '''", [("string", "''' # '''")]),
    ("()", [("punct", "("), ("punct", ")")]),  # NIL
    ("( \t)", [("punct", "("), ("punct", ")")]),
    ("[]", [("punct", "["), ("punct", "]")]),  # ANON
    ("\t\r\n", []),  # WS
    ("# SERVICE <x>\r\n", []),  # comments
    ("# a\n# b", []),
    (
        "select SeLeCt a true FALSE",
        [("word", w) for w in ["select", "SeLeCt", "a", "true", "FALSE"]],
    ),
    ("ENCODE_FOR_URI sha256", [("word", "ENCODE_FOR_URI"), ("word", "sha256")]),
]


@pytest.mark.parametrize(("text", "expected"), TERMINALS, ids=[t for t, _ in TERMINALS])
def test_terminals(text: str, expected: list[tuple[str, str]]) -> None:
    found = kinds(f"ASK {{ {text}\n}}")
    assert found[2:-1] == expected


def test_terminal_table_is_counted() -> None:
    assert len(TERMINALS) == 47


def test_operators_between_operands() -> None:
    found = kinds("ASK { FILTER(?a " + " ?a ".join(OPERATORS) + " ?a < ?a > ?a) }")
    assert found[5:-3:2] == [("punct", p) for p in [*OPERATORS, "<", ">"]]


def test_sparql_12_brackets() -> None:
    found = kinds("ASK { << ?s ?p ?o ~ ?r >> ?q <<( <a:b> <a:c> <a:d> )>> {| ?a ?b |} }")
    assert ("punct", "<<") in found and ("punct", ">>") in found
    assert ("punct", "<<(") in found and ("punct", ")>>") in found
    assert ("punct", "{|") in found and ("punct", "|}") in found
    assert inspect("ASK { << <a:s> <a:p> << <a:s> <a:p> <a:o> >> >> <a:q> 1 }").depth == 3


# -- refused: not a token, with line and column ---------------------------------------------------

NOT_TOKENS = [
    ("ASK { ?s ?p `x` }", 1, 13, "U+0060 is not part of SPARQL"),
    ("ASK {\n  ?s ?p & }", 2, 9, "`&` is not part of SPARQL"),
    ("ASK { $ }", 1, 7, "`$` is not part of SPARQL"),
    ("ASK { ?s ?p 'no end }", 1, 13, "this string does not end"),
    ("ASK { ?s ?p 'two\nlines' }", 1, 13, "this string does not end"),
    ('ASK { ?s ?p "bad \\q escape" }', 1, 13, "this string does not end"),
    ("ASK { ?s ?p '''no end }", 1, 15, "this string does not end"),  # '' then 'no end
    ("ASK { ?s ?p foo }", 1, 13, "`foo` is not a SPARQL keyword"),
    ("ASK { ?s A ?o }", 1, 10, "`A` is not a SPARQL keyword"),  # only `a` is rdf:type
    ("ASK { ?s ?p \x00 }", 1, 13, "U+0000 is not part of SPARQL"),
    ("ASK { ?s ex:a×b ?o }", 1, 10, "`ex:a×b` holds a character SPARQL does not allow"),
    ("ASK { ?s\u00a0?p ?o }", 1, 7, "holds a character SPARQL does not allow"),  # no-break space
    ("ASK { ?s ?p ?o ", 1, 5, "never closed"),
    ("ASK { ?s ?p ?o ) }", 1, 16, "`)` where `}` should close `{`"),
    ("ASK { } }", 1, 9, "closes no bracket"),
    ("ASK { ?s ?p < 3 }", 1, 13, "`<` starts an IRI here"),
    ("ASK { ?s ?p <a b> }", 1, 13, "`<` starts an IRI here"),
    ("ASK { ?s ?p ?o }\nSERVICEx", 2, 1, "`SERVICEx` is not a SPARQL keyword"),
]


@pytest.mark.parametrize(("text", "line", "column", "message"), NOT_TOKENS)
def test_not_tokens_are_refused_with_position(
    text: str, line: int, column: int, message: str
) -> None:
    error = refusal(text)
    assert (error.line, error.column) == (line, column)  # type: ignore[attr-defined]
    said = str(error)
    assert "\n" not in said
    assert said.startswith(f"line {line}, column {column}: ") and message in said


def test_error_is_one_line_even_on_a_long_line() -> None:
    text = "ASK { " + "?s ?p ?o . " * 10_000 + "€ }"
    said = str(refusal(text))
    assert said == "line 1, column 110007: `€` is not a SPARQL keyword"


# -- codepoint escapes (§19.2) --------------------------------------------------------------------


def test_escapes_are_decoded_before_tokenising() -> None:
    found = kinds('ASK { <http://x/\\u0041> ex:p "\\u00e9\\U0001F600" } # \\u0053ERVICE')
    assert ("iri", "<http://x/A>") in found and ("string", '"é😀"') in found


ESCAPES = [
    ("ASK { \\u0053ERVICE <http://x/> {} }", "outside a string"),  # pyoxigraph: no keyword
    ("ASK { ?s ?p ?o FILTER(\\u003Fo) }", "outside a string"),
    ("ASK { ?s ex:caf\\u00e9 ?o }", "outside a string"),
    ("ASK { ?s ?p ?o }\\u0020", "outside a string"),
    ('ASK { ?s ?p "\\u0022" }', 'decodes to `"`'),  # ends the string for rdflib only
    ("ASK { ?s ?p 'a\\u005Cnb' }", "decodes to `\\`"),  # an escape to rdflib only
    ("ASK { ?s ?p <http://x/\\u003E> }", "decodes to `>`"),
    ("ASK { # a \\u000a ?s ?p ?o }", "outside a string"),  # ends the comment for rdflib only
    ("ASK { ?s ?p '\\u000a' }", "this string does not end"),
    ("ASK { ?s ?p '\\U0053' }", "rdflib reads this escape otherwise"),  # \U and four digits
    ("ASK { # \\u0000000a }", "rdflib reads this escape otherwise"),  # \u and eight digits
    ("ASK { ?s ?p '\\uD800' }", "U+D800 is not a Unicode character"),
    ("ASK { ?s ?p '\\U00110000' }", "U+110000 is not a Unicode character"),
]


@pytest.mark.parametrize(("text", "message"), ESCAPES)
def test_escapes_read_differently_by_an_engine_are_refused(text: str, message: str) -> None:
    error = refusal(text)
    assert message in str(error).splitlines()[0]


def test_error_positions_are_in_the_text_as_written() -> None:
    error = refusal("ASK {\n ?s ?p '\\u00e9\\u00e9' \\u0041 }")
    assert (error.line, error.column) == (2, 23)  # type: ignore[attr-defined]


# -- SERVICE: the tricks, each shown real on an engine, then seen ---------------------------------


def _store() -> ox.Store:
    """Data for which the patterns before a SERVICE in the tricks match, so that it is called."""
    store = ox.Store()
    s, p = ox.NamedNode("http://a/s"), ox.NamedNode("http://a/p")
    for o in (ox.NamedNode("http://127.0.0.1:"), ox.Literal(True), ox.Literal('"'), ox.Literal(1)):
        store.add(ox.Quad(s, p, o))
    return store


def _dataset():
    from rdflib import Dataset, Literal, URIRef

    dataset = Dataset(default_union=True)
    dataset.add((URIRef("http://a/s"), URIRef("http://a/p"), Literal(True)))
    return dataset


def _run(engine: str, target: object, text: str) -> None:
    """Run a query to the end on pyoxigraph or rdflib; whatever fails is of no interest here."""
    try:
        answer = target.query(text)  # type: ignore[attr-defined]
        if isinstance(answer, ox.QuerySolutions) or (engine == "rdflib" and answer.type != "ASK"):
            list(answer)
    except Exception:  # a failed call or a syntax error: only the listener counts
        pass


@pytest.fixture(scope="module")
def engines() -> dict[str, object]:
    return {"oxigraph": _store(), "rdflib": _dataset()}


@pytest.fixture(scope="module")
def loopback() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def _calls(engines: dict[str, object], loopback: Listener, engine: str, text: str) -> bool:
    before = len(loopback.received)
    _run(engine, engines[engine], text)  # the listener answers before the engine returns
    return len(loopback.received) > before


# (name, query with {url} for the listener, the engine it fools, what `inspect` does)
TRICKS = [
    ("plain", "ASK { SERVICE <{url}> {} }", "oxigraph", "service"),
    ("lower case", "ASK { service <{url}> {} }", "oxigraph", "service"),
    ("SILENT", "ASK { SERVICE SILENT <{url}> {} }", "oxigraph", "service"),
    (
        "escaped # in a name",
        # a pattern took `\#` for a comment that hid the rest of the line
        "PREFIX x: <a:> ASK { OPTIONAL { ?s ?p x:a\\#b } SERVICE <{url}> {} }",
        "oxigraph",
        "service",
    ),
    ("comment ended by CR", "ASK { # a comment\r SERVICE <{url}> {} }", "oxigraph", "refused"),
    ("CR comment, long string", "ASK { #\r'''\nSERVICE <{url}> {}\n#'''\n}", "rdflib", "refused"),
    ("\\u0053ERVICE", "ASK { \\u0053ERVICE <{url}> {} }", "rdflib", "refused"),
    ("\\U0053ERVICE", "ASK { \\U0053ERVICE <{url}> {} }", "rdflib", "refused"),
    (
        "escaped newline in a comment",
        "ASK { # \\u0000000aSERVICE <{url}> {}\n}",
        "rdflib",
        "refused",
    ),
    (
        'escaped " in a string',
        'ASK { ?s ?p "\\u0022" .\nSERVICE <{url}> {} }\n# """',
        "oxigraph",
        "refused",
    ),
    (
        "less than, not an IRI",
        "ASK { BIND(1 AS ?a) FILTER(?a<2)SERVICE#>)\n<{url}>{} }",
        "oxigraph",
        "service",
    ),
    (
        "less than after EXISTS",
        "ASK { FILTER(EXISTS{?s ?p ?o}<2)SERVICE#>)\n<{url}>{} }",
        "oxigraph",
        "service",
    ),
    (
        "keyword glued to a prefix",
        "PREFIX ex: <{url}> ASK { SERVICEex:a{} }",
        "oxigraph",
        "service",
    ),
    ("keyword before :", "PREFIX : <{url}> ASK { SERVICE:x{} }", "oxigraph", "service"),
    ("keyword before é:", "PREFIX é: <{url}> ASK { SERVICEé:x{} }", "oxigraph", "service"),
    (
        "true glued to SERVICE",
        "PREFIX : <{url}> ASK { ?s ?p trueSERVICE:x{} }",
        "oxigraph",
        "service",
    ),
    (
        "name that is no IRI",
        "PREFIX p: <http://127.0.0.1:> ASK { ?s ?p p:SERVICE <{url}>{} }",
        "oxigraph",
        "refused",
    ),
    (
        "name that is no IRI, FILTER",
        "PREFIX p: <http://127.0.0.1:> ASK { BIND(1 AS ?a) ?s ?p "
        "p:FILTER(?a<2)SERVICE#>)\n<{url}>{} }",
        "oxigraph",
        "refused",
    ),
    (
        "PREFIX glued to its name",
        "PREFIX : <{url}> PREFIXp: <http://127.0.0.1:> ASK { ?s p:trueSERVICE:x{} }",
        "oxigraph",
        "refused",
    ),
    (
        "reified triple",
        "ASK { <<?s?p?o#>'''\n>> ?q ?r . SERVICE <{url}> {} }\n# '''",
        "oxigraph",
        "service",
    ),
]


def _text(template: str, loopback: Listener) -> str:
    return template.replace("{url}", f"http://127.0.0.1:{loopback.port}/sparql")


@pytest.mark.parametrize(("name", "template", "engine", "seen"), TRICKS, ids=[t[0] for t in TRICKS])
def test_trick_calls_the_engine_and_is_seen(
    engines: dict[str, object],
    loopback: Listener,
    name: str,
    template: str,
    engine: str,
    seen: str,
) -> None:
    text = _text(template, loopback)
    assert _calls(engines, loopback, engine, text), f"{engine} does not fall for {name!r}"
    if seen == "service":
        assert inspect(text).service
        with pytest.raises(CskgError, match="pass --allow-remote"):
            check(text)
    else:
        refusal(text)


def test_a_service_named_by_a_variable_is_service() -> None:
    # neither engine follows one today ("the variable encoding the service name is unbound")
    assert inspect("SELECT * { VALUES ?e { <http://127.0.0.1/> } SERVICE ?e { } }").service


NOT_SERVICE = [
    "SELECT ?service { ?service ?p ?o }",
    "PREFIX cskg: <https://w3id.org/cskg/ontology#> SELECT * { ?s cskg:service ?o }",
    "PREFIX ex: <http://example.org/SERVICE#> SELECT * { ?s ex:SERVICE ?o . ?s :SERVICE ?o }",
    'SELECT * { ?s ?p "SERVICE" , """SERVICE <x> {}""" , "s"@service }',
    "SELECT * { ?s <http://x/SERVICE> ?o }",
    "# SERVICE <http://127.0.0.1/> {}\nSELECT * { ?s ?p ?o } # SERVICE\r\n",
    "SELECT * { _:service ?p ?o FILTER(?o < 3) }",
]


@pytest.mark.parametrize("text", NOT_SERVICE)
def test_the_word_elsewhere_is_not_service(text: str) -> None:
    assert not inspect(text).service
    assert check(text).form == "SELECT"


# -- nesting --------------------------------------------------------------------------------------


def test_depth_counts_every_bracket_and_nothing_else() -> None:
    assert inspect("ASK {}").depth == 1
    assert inspect("ASK { { ?s ?p ( 1 [ <a:p> 2 ] ) } FILTER((1)) }").depth == 4
    assert inspect('ASK { ?s ?p "(((((" . ?s ?p <a:(((((> } # {{{{{').depth == 1
    assert inspect("ASK { ?s ?p ex:a\\(\\(\\( }").depth == 1
    assert inspect("ASK { FILTER(?a<(((1)))) }").depth == 5  # < is less than: the ( count


HIDDEN_NESTING = [
    "ASK { # a comment ended by CR\r" + "{" * 50 + "}" * 50 + " }",
    "ASK { ?s ?p '\\u0027" + "{" * 50 + "}" * 50 + "' }",
    "ASK { FILTER(?a<2)" + "(" * 50 + "#>)\n" + ")" * 50 + " }",
]


@pytest.mark.parametrize("text", HIDDEN_NESTING)
def test_nesting_hidden_the_same_ways_is_counted_or_refused(text: str) -> None:
    try:
        shape = inspect(text)
    except QuerySyntaxError:
        return
    assert shape.depth > 50


def test_check_caps_nesting_and_operator_chains() -> None:
    deep = "ASK " + "{" * (MAX_DEPTH + 1) + "}" * (MAX_DEPTH + 1)
    with pytest.raises(CskgError, match=f"nest {MAX_DEPTH + 1} deep; at most {MAX_DEPTH}"):
        check(deep)
    assert check("ASK " + "{" * MAX_DEPTH + "}" * MAX_DEPTH).depth == MAX_DEPTH
    long = "ASK { BIND(" + "+".join(["1"] * (MAX_CHAIN + 2)) + " AS ?x) }"
    with pytest.raises(CskgError, match="operators in a row"):
        check(long)
    assert inspect("ASK { BIND(1+1 AS ?a) BIND(1+1 AS ?b) }").chain == 1
    assert inspect("ASK { BIND(1 -1 -1 AS ?a) }").chain == 2
    numbers = " ".join(["-1"] * (MAX_CHAIN + 1))
    assert check(f"ASK {{ VALUES ?x {{ {numbers} }} ?s ?p ({numbers}) }}").chain == 0


# -- forms, updates, FROM -------------------------------------------------------------------------

SHAPES = [
    ("SELECT * { ?s ?p ?o }", "SELECT", False, False),
    ("prefix select: <a:> ask { ?s select:x ?o }", "ASK", False, False),
    ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT", False, False),
    ("DESCRIBE <a:b>", "DESCRIBE", False, False),
    ("ASK { { SELECT ?s { ?s ?p ?o } } }", "ASK", False, False),
    ("SELECT * FROM <a:g> { ?s ?p ?o }", "SELECT", False, True),
    ("SELECT * FROM NAMED <a:g> { GRAPH ?g { ?s ?p ?o } }", "SELECT", False, True),
    ("SELECT ?from { ?from <a:from> ?o }", "SELECT", False, False),
    ("PREFIX ex: <a:> INSERT DATA { ex:a ex:b ex:c }", None, True, False),
    ("WITH <a:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", None, True, False),
    ("LOAD <http://x/> ; CLEAR ALL", None, True, False),
    ("PREFIX ex: <a:>", None, False, False),
]


@pytest.mark.parametrize(("text", "form", "update", "has_from"), SHAPES)
def test_forms_updates_and_from(text: str, form: str | None, update: bool, has_from: bool) -> None:
    shape = inspect(text)
    assert (shape.form, shape.update, shape.has_from) == (form, update, has_from)


def test_keywords_read_as_far_as_the_text_goes() -> None:
    assert keywords("DEFINE input:inference 'x' SELECT * { ?s ?p ?o } §") == [
        "DEFINE",
        "SELECT",
    ]


def _engine_form(text: str) -> str:
    answer = ox.Store().query(text)
    if isinstance(answer, ox.QueryBoolean):
        return "ASK"
    if isinstance(answer, ox.QuerySolutions):
        return "SELECT"
    return "CONSTRUCT" if re.search(r"(?i)construct", text) else "DESCRIBE"


@pytest.mark.parametrize("path", LIBRARY, ids=[p.stem for p in LIBRARY])
def test_every_library_query_inspects_with_its_form(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    shape = check(text)
    assert shape == QueryText(shape.form, False, False, shape.depth, False, shape.chain)
    assert shape.form == _engine_form(text)


def test_the_library_is_all_there() -> None:
    assert len(LIBRARY) >= 37  # 44 until the checks that SHACL shapes state moved to the shapes


# -- pyoxigraph and rdflib as the oracle ----------------------------------------------------------

_PIECES = [
    "SERVICE <{url}> {{}}",
    "service<{url}>{{?x ?y ?z}}",
    "SERVICE SILENT <{url}> {{}}",
    "BIND(<{url}> AS ?e) SERVICE ?e {{}}",
    "SERVICE:x{{}}",
    "SERVICEex:a{{}}",
    "?s ?p trueSERVICE:x{{}}",
    "?s ?p p:SERVICE <{url}>{{}}",
    "\\u0053ERVICE <{url}> {{}}",
    "\\U0053ERVICE <{url}> {{}}",
    "SERVICE#c\n<{url}>{{}}",
    "SERVICE\r<{url}>\r{{}}",
    "FILTER(?a<2)SERVICE#>)\n<{url}>{{}}",
    "FILTER(EXISTS{{?s ?p ?o}}<2)SERVICE#>)\n<{url}>{{}}",
    "?s ?p p:FILTER(?a<2)SERVICE#>)\n<{url}>{{}}",
    "<<?s?p?o#>'''\n>> ?q ?r . SERVICE <{url}> {{}}",
    "# comment\r",
    "#\r\n",
    "cskg:a\\#b ",
    '"str # "',
    "'''multi\nline'''",
    '"\\u0022"',
    "<http://x/#>",
    "?s ?p ?o .",
    "BIND(1 AS ?a)",
    "'",
    '"',
    "'''",
    '"""',
    "\\u000a",
    "# \\u000a",
    "(",
    ")",
    "{{",
    "}}",
    "<",
    ">",
    "?s ?p true.",
    "VALUES ?v {{ 1 }}",
]
_PROLOGUE = [
    "PREFIX : <{url}>\n",
    "PREFIX ex: <{url}>\n",
    "PREFIX p: <http://127.0.0.1:>\n",
    "PREFIX cskg: <https://w3id.org/cskg/ontology#>\n",
]
_SEPARATORS = ["", " ", "\n", "\r", "\r\n", " . ", "#x\n", "#x\r", "#x\r\n"]
_INSERTS = ["#", "<", ">", "\r", "\n", "'", '"', "\\", "(", ")", "{", "}", ":", "SERVICE", "true"]


def generate(rng: random.Random, url: str) -> str:
    """A query made of pieces that hide SERVICE from a pattern, then mutated a little."""
    parts = [p.format(url=url) for p in _PROLOGUE if rng.random() < 0.7]
    parts.append(rng.choice(["SELECT * WHERE {", "ASK {", "CONSTRUCT { ?s ?p ?o } WHERE {"]))
    parts.append(rng.choice(["BIND(1 AS ?a) ", "?s ?p ?o ", ""]))
    for _ in range(rng.randint(1, 5)):
        parts += (rng.choice(_PIECES).format(url=url), rng.choice(_SEPARATORS))
    parts.append(rng.choice(["}", "\n}", "}\n# '''", '}\n# """', "}\r"]))
    text = "".join(parts)
    for _ in range(rng.choice([0, 0, 1, 2])):
        at, choice = rng.randrange(len(text) + 1), rng.random()
        if choice < 0.4:
            text = text[:at] + rng.choice(_INSERTS) + text[at:]
        elif choice < 0.6:
            spaces = [m.start() for m in re.finditer(r"[ \n]", text)]
            if spaces:
                at = rng.choice(spaces)
                text = text[:at] + text[at + 1 :]
        else:
            text = text[:at] + text[at + 1 :]
    return text


@pytest.mark.slow
@pytest.mark.parametrize(
    ("engine", "count", "least"), [("oxigraph", 20_000, 400), ("rdflib", 2_000, 30)]
)
def test_no_query_reaches_the_network_unseen(
    engines: dict[str, object], loopback: Listener, engine: str, count: int, least: int
) -> None:
    rng = random.Random(20240611)
    url = f"http://127.0.0.1:{loopback.port}/sparql"
    called, missed, refused = [], [], 0
    for _ in range(count):
        text = generate(rng, url)
        if not _calls(engines, loopback, engine, text):
            continue
        called.append(text)
        try:
            if not inspect(text).service:
                missed.append(text)
        except QuerySyntaxError:
            refused += 1
    assert not missed, f"{engine} called SERVICE in queries read as not calling it: {missed[:3]}"
    # the generator does make the engine call out, and often by a way a pattern would miss
    plain = re.compile(r"(?im)^[^#\n]*?(^|[\s{}.])SERVICE(\s|<|$)")
    hidden = [text for text in called if not plain.search(text)]
    assert len(called) >= least and len(hidden) >= len(called) // 10
    assert refused < len(called)


# -- speed ----------------------------------------------------------------------------------------


def _fill(unit: str, size: int) -> str:
    return unit * (size // len(unit))


HOSTILE: dict[str, Callable[[int], str]] = {
    "dotted words": lambda n: "ASK { ?s a " + _fill("a.", n) + "a }",
    "prefixed names": lambda n: "PREFIX ex: <http://x/> ASK { ?s ?p " + _fill("ex:a.b ", n) + "}",
    "less than": lambda n: "ASK { FILTER(" + _fill("?a<?b&&", n) + "?c) }",
    "brackets": lambda n: "ASK { " + "(" * (n // 2) + ")" * (n // 2) + " }",
    "unterminated long string": lambda n: "ASK { ?s ?p '''" + _fill("a''", n),
    "escapes": lambda n: 'ASK { ?s ?p "' + _fill("\\u0041", n) + '" }',
    "comments": lambda n: _fill("# SERVICE <x> '''\n", n) + "ASK {}",
}


def _best_seconds(texts: list[str], rounds: int = 3) -> list[float]:
    """The best time of each text, read in turn round after round: a busy machine slows each
    round's texts alike, and the best of several rounds is the one it slowed least."""
    best = [float("inf")] * len(texts)
    for _ in range(rounds):
        for i, text in enumerate(texts):
            start = time.perf_counter()
            with contextlib.suppress(QuerySyntaxError):
                inspect(text)
            best[i] = min(best[i], time.perf_counter() - start)
    return best


@pytest.mark.slow
@pytest.mark.parametrize("name", list(HOSTILE))
def test_time_is_linear_in_the_text(name: str) -> None:
    small, large = _best_seconds([HOSTILE[name](size) for size in (100_000, 1_000_000)])
    # ten times the text: about ten times the time (a quadratic reading would take a hundred)
    assert large / small < 40, f"{name}: 100 kB in {small:.3f} s, 1 MB in {large:.3f} s"
