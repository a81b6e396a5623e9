"""The engines' syntax errors as one sentence a person reads, placed in the query as written:
`line 2, column 5: syntax error at "?n" (expected AS)`.

pyoxigraph says `error at LINE:COLUMN: expected one of …`, where … is what its parser tried at
the furthest position it reached: keywords, quoted punctuation, and character classes spelt out
as Unicode ranges (a screenful for a prefixed name). rdflib's parser (pyparsing) names the
grammar rule that failed and the text it found there, counting columns with tabs expanded. Both
become the text of the query at that position and a short list of terms a person knows: a
keyword, quoted punctuation, "a name", "a number", "a valid IRI". Positions count characters of
the query as the user wrote it, lines from 1, columns from 1.

Imports nothing but the standard library and `cskg.query.text`; rdflib's exception is read by
its attributes, so the query path does not import rdflib to explain pyoxigraph's errors.
"""

from __future__ import annotations

import re
from typing import Any

from cskg.errors import QuerySyntaxError
from cskg.query.text import syntax_error

#: pyoxigraph 0.5: `error at 1:35: …` or `error at 1:35-1:40: …`
_OXIGRAPH = re.compile(r"error at (\d+):(\d+)(?:-\d+:\d+)?: (.*)", re.DOTALL)
#: terms shown at most; more are elided
_MOST = 8
#: the characters of a prefixed name pyoxigraph lists one class each
_NAME_CHARS = frozenset("%\\.:-_")
#: what a piece of query text at an error position is taken to be: an IRI, a string, a run of
#: name characters, or one other character
_PIECE = re.compile(
    r"""<[^<>"{}|^`\\\s]*>|"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?|[^\s{}()\[\];,<>"'|=!&+*/^]+|\S"""
)
_LONGEST_PIECE = 40


def oxigraph_error(text: str, message: str) -> QuerySyntaxError:
    """pyoxigraph's SyntaxError message for `text`, as one sentence.

    >>> print(oxigraph_error("SELECT ?s { ?s ?p ?o } ORDER ?s", "error at 1:30: expected BY"))
    line 1, column 30: syntax error at "?s" (expected BY)
    """
    found = _OXIGRAPH.match(message)
    if found is None:
        return syntax_error(None, None, f"syntax error: {_clean(message)}")
    line, column = int(found[1]), int(found[2])
    listing = found[3].removeprefix("expected ").removeprefix("one of ")
    terms = _oxigraph_terms(listing)
    if "a valid IRI" in terms:  # pyoxigraph points past the IRI it could not read
        iri = _iri_before(text, _offset(text, line, column))
        if iri is not None:
            where = _position(text, iri[0])
            return syntax_error(*where, f'"{_clean(iri[1])}" is not a valid absolute IRI')
    return error_at(text, line, column, terms)


def rdflib_error(text: str, error: Any) -> QuerySyntaxError:
    """rdflib's (pyparsing's) ParseException for `text`, as one sentence."""
    line, column = int(error.lineno), int(error.col)
    lines = text.split("\n")
    if 1 <= line <= len(lines):
        column = _untabbed(lines[line - 1], column)
    return error_at(text, line, column, _rdflib_terms(str(error.msg)))


def error_at(text: str, line: int, column: int, expected: list[str]) -> QuerySyntaxError:
    """`syntax error at "PIECE" (expected …)`, where PIECE is the text at `line` and `column`
    (moved on past white space and comments to the next piece of the query)."""
    if _skip_blank(text, 0) == len(text):
        return syntax_error(1, 1, "the query is empty")
    offset = _skip_blank(text, _offset(text, line, column))
    if offset < len(text):
        line, column = _position(text, offset)
        where = f'"{_piece(text, offset)}"'
    else:
        where = "the end of the query"
    note = f" (expected {_either(expected)})" if expected else ""
    return syntax_error(line, column, f"syntax error at {where}{note}")


# -- positions and pieces of the query --------------------------------------------------------


def _offset(text: str, line: int, column: int) -> int:
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return len(text)
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    return min(start + max(column - 1, 0), end)


def _position(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def _iri_before(text: str, offset: int) -> tuple[int, str] | None:
    """The `<…>` that ends just before `offset` (blanks aside), and where it starts."""
    end = len(text[:offset].rstrip())
    start = text.rfind("<", 0, end)
    if not text[:end].endswith(">") or start < 0:
        return None
    return start, text[start:end]


def _skip_blank(text: str, offset: int) -> int:
    """The offset of the next piece of query at or after `offset` (past blanks and comments)."""
    while offset < len(text):
        if text[offset] in " \t\r\n":
            offset += 1
        elif text[offset] == "#" and not _in_piece(text, offset):
            newline = text.find("\n", offset)
            offset = len(text) if newline < 0 else newline
        else:
            break
    return offset


def _in_piece(text: str, offset: int) -> bool:
    """Whether the `#` at `offset` goes on a piece before it (`ex:a\\#b`, `<http://x/#a>`)."""
    return offset > 0 and text[offset - 1] not in " \t\r\n;,.{}()[]"


def _piece(text: str, offset: int) -> str:
    found = _PIECE.match(text, offset)
    piece = found[0] if found else text[offset]
    if len(piece) > 1 and piece[0] not in "<\"'":
        piece = piece.rstrip(".") or piece  # `cskg:Policy .` ends a triple, not the name
    if len(piece) > _LONGEST_PIECE:
        piece = piece[: _LONGEST_PIECE - 1] + "…"
    return _clean(piece)


def _clean(text: str) -> str:
    """One line without control characters (what the user sent may hold terminal escapes)."""
    return "".join(c if c.isprintable() else " " for c in " ".join(text.split()))


def _untabbed(line: str, column: int) -> int:
    """The column in `line` of `column` counted with its tabs expanded to every 8th column, as
    pyparsing counts."""
    expanded = 0
    for index, char in enumerate(line):
        if expanded + 1 >= column:
            return index + 1
        expanded = (expanded // 8 + 1) * 8 if char == "\t" else expanded + 1
    return len(line) + 1


def _either(terms: list[str]) -> str:
    if len(terms) > _MOST:
        return ", ".join(terms[:_MOST]) + ", …"
    if len(terms) == 1:
        return terms[0]
    return ", ".join(terms[:-1]) + " or " + terms[-1]


# -- what the parsers expected ----------------------------------------------------------------


def _oxigraph_items(listing: str) -> list[str]:
    """The items of pyoxigraph's list: `"x"` literals, `[…]` character classes (which hold
    commas and quoted brackets) and bare words, separated by `, `."""
    items, start, depth, quote, index = [], 0, 0, "", 0
    while index < len(listing):
        char = listing[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(listing[start:index].strip())
            start = index + 1
        index += 1
    items.append(listing[start:].strip())
    return [item for item in items if item]


def _oxigraph_terms(listing: str) -> list[str]:
    items = _oxigraph_items(listing)
    classes = [item for item in items if item.startswith("[")]
    has_letters = any("'A'" in item or "'a'" in item for item in classes)
    terms = [_oxigraph_term(item, has_letters) for item in items]
    # where a term may start, the signs that start one stand for what they start
    at_term = '"?"' in terms or '"$"' in terms
    named = [_TERM_STARTS.get(t, t) if at_term else t for t in terms if t]
    named = ["an expression" if t.upper() in _FUNCTIONS else t for t in named]
    return list(dict.fromkeys(named))


def _oxigraph_term(item: str, in_name: bool) -> str | None:
    if item.startswith('"'):
        literal = re.sub(r"\\(.)", r"\1", item[1:-1])
        return "an escape" if literal.startswith("\\") else _quoted(literal)
    if item.startswith("["):
        chars = re.findall(r"'((?:[^'\\]|\\.)*)'", item)
        if not chars:  # `[_]`: any character
            return None
        if in_name and ("A" in chars or "a" in chars or all(c in _NAME_CHARS for c in chars)):
            return "a name"
        if chars[0] == "0" and len(chars) <= 2:
            return "a number"
        return _quoted(chars[0]) if len(chars) == 1 else "a character"
    if item == "Prefix not found":  # what a prefixed name would need: cskg judges prefixes first
        return None
    if item == "IRI parsing failed":
        return "a valid IRI"
    return _clean(item)


def _rdflib_terms(message: str) -> list[str]:
    found = re.findall(r"'[^']*'|end of text|[A-Z][A-Za-z]+", message.removeprefix("Expected"))
    if len(found) == 1 and found[0] in _RULES and found[0].endswith("Query"):
        return []  # "Expected SelectQuery": the query failed to parse somewhere, as said
    terms: list[str] = []
    for piece in found:
        if piece == "end of text":
            term = "the end of the query"
        elif piece.startswith("'"):
            term = _quoted(piece[1:-1])
        else:
            term = _RULES.get(piece) or re.sub(r"(?<!^)(?=[A-Z])", " ", piece).lower()
        if term not in terms:
            terms.append(term)
    return terms


#: what each sign that may start an RDF term starts, where a term is expected
_TERM_STARTS = {
    '"?"': "a variable",
    '"$"': "a variable",
    '"<"': "an IRI",
    '":"': "a prefixed name",
    "a name": "a prefixed name",
    '"\'"': "a literal",
    "\"'''\"": "a literal",
    "'\"'": "a literal",
    '\'"""\'': "a literal",
    "a number": "a literal",
    '"+"': "a literal",
    '"-"': "a literal",
    '"."': "a literal",
    '"true"': "a literal",
    '"false"': "a literal",
    '"_:"': "a blank node",
    '"["': "a blank node",
    '"<<"': "a triple term",
    '"<<("': "a triple term",
}
#: the built-in functions pyoxigraph lists where an expression may start
_FUNCTIONS = frozenset(
    re.findall(
        r"\w+",
        """ABS AVG BNODE BOUND CEIL COALESCE CONCAT CONTAINS COUNT DATATYPE DAY ENCODE_FOR_URI
        EXISTS FLOOR GROUP_CONCAT HASLANG HASLANGDIR HOURS IF IRI ISBLANK ISIRI ISLITERAL ISNUMERIC
        ISTRIPLE ISURI LANG LANGDIR LANGMATCHES LCASE MAX MD5 MIN MINUTES MONTH NOT NOW OBJECT
        PREDICATE RAND REGEX REPLACE ROUND SAMETERM SAMPLE SECONDS SHA1 SHA256 SHA384 SHA512 STR
        STRAFTER STRBEFORE STRDT STRENDS STRLANG STRLANGDIR STRLEN STRSTARTS STRUUID SUBJECT SUBSTR
        SUM TIMEZONE TRIPLE TZ UCASE URI UUID YEAR""",
    )
)
#: rdflib's rule names that stand for a keyword or a sign
_RULES = {
    "SelectQuery": "SELECT",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
    "AskQuery": "ASK",
    "GroupGraphPattern": '"{"',
    "WhereClause": "WHERE",
}


def _quoted(literal: str) -> str:
    return f"'{literal}'" if '"' in literal else f'"{literal}"'
