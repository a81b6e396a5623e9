"""What a SPARQL request is, judged on its tokens before any engine parses it.

`inspect` reads a request with the terminals of SPARQL 1.1 Query §19.8 (and the SPARQL 1.2 tokens
pyoxigraph 0.5 accepts: `<<` `>>` `<<(` `)>>` `{|` `|}` `~`, `@en--ltr`) and tells its form,
whether it is an update, whether it calls another endpoint (SERVICE, which makes the engine send an
HTTP request), how deep its brackets nest and whether it names its dataset (FROM). The command line
refuses SERVICE and deep nesting on that answer, so the answer may never see less than an engine's
parser does. It fails closed: text that is not a token raises `QuerySyntaxError` with line and
column, and so does text that pyoxigraph (0.5) or rdflib (7) would cut into tokens differently
than this reading. The differences, found in their sources and pinned by tests/test_querytext.py:

- Codepoint escapes (§19.2): rdflib decodes `\\uXXXX` / `\\UXXXXXXXX` on the whole text, as the
  specification says, but also `\\u` with eight hex digits and `\\U` with four; pyoxigraph decodes
  them only inside strings and IRIs. They are decoded first; an escape that rdflib reads
  otherwise, one outside a string, IRI or comment, or one that decodes to the quote or backslash
  of its string or the `>` of its IRI is refused.
- A comment ends at CR or LF (pyoxigraph, the specification); rdflib's runs on to LF: a comment
  that a lone CR ends is refused.
- `<` opens an IRI or means "less than" depending on where the parser is (`FILTER(?a<2)X#>` is a
  comparison to pyoxigraph, an IRI to a plain tokenizer): the reading follows whether each bracket
  holds an expression or triples.
- pyoxigraph matches keywords without a word boundary and backtracks over a prefixed name that
  does not resolve: `SERVICE:x`, `SERVICEex:a`, `trueSERVICE:x`, or `p:SERVICE` when the prefix
  is `<http://host:>`, all call a service. A prefixed name that expands to an invalid IRI is
  refused; one whose prefix starts like a keyword counts as SERVICE if it contains the word, and
  is refused before `(` if it contains FILTER or BIND.

The reading runs in time linear in the text: no pattern backtracks over more than one token.

Prefixes: the embedded engines are given the project's prefixes (`cskg.vocab.PREFIXES`) as
predeclared, and `inspect(text, prefixes=PREFIXES)` reads the query with the same ones, so the
text the guard judges is the text that runs, and every position is the user's. A PREFIX of the
query's own replaces a predeclared one, as in both engines (the last declaration wins); a prefix
neither declares is refused by `check`, naming it. `declare_used` writes the declarations a
query for another endpoint needs, and `prefixed_name` is the one rule for a prefixed name that
reads back as its IRI.
"""

from __future__ import annotations

import bisect
import contextlib
import re
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urljoin

from cskg.errors import CskgError, QuerySyntaxError
from cskg.vocab import PREFIXES

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
#: the keywords that start a SPARQL 1.1 Update operation
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)
_KEYWORD_TEXT = """
    ABS ADD ADJUST ALL AS ASC ASK AVG BASE BIND BNODE BOUND BY CEIL CLEAR COALESCE CONCAT
    CONSTRUCT CONTAINS COPY COUNT CREATE DATA DATATYPE DAY DEFAULT DELETE DESC DESCRIBE DISTINCT
    DROP ENCODE_FOR_URI EXISTS FALSE FILTER FLOOR FROM GRAPH GROUP GROUP_CONCAT HASLANG
    HASLANGDIR HAVING HOURS IF IN INSERT INTO IRI ISBLANK ISIRI ISLITERAL ISNUMERIC ISTRIPLE ISURI
    LANG LANGDIR LANGMATCHES LATERAL LCASE LIMIT LOAD MAX MD5 MIN MINUS MINUTES MONTH MOVE NAMED
    NOT NOW OBJECT OFFSET OPTIONAL ORDER PREDICATE PREFIX RAND REDUCED REGEX REPLACE ROUND
    SAMETERM SAMPLE SECONDS SELECT SEPARATOR SERVICE SHA1 SHA256 SHA384 SHA512 SILENT STR
    STRAFTER STRBEFORE STRDT STRENDS STRLANG STRLANGDIR STRLEN STRSTARTS STRUUID SUBJECT SUBSTR
    SUM TIMEZONE TO TRIPLE TRUE TZ UCASE UNDEF UNION URI USING UUID VALUES VERSION WHERE WITH YEAR
"""
#: every keyword pyoxigraph 0.5 or rdflib 7 reads (SPARQL 1.1 and 1.2), upper-cased; `a`, the one
#: keyword written in lower case only, is apart
KEYWORDS = frozenset(_KEYWORD_TEXT.split())
#: deepest bracket nesting `check` lets through. pyoxigraph 0.5 crashes the process (stack
#: overflow) near 850 nested FILTER EXISTS, 2,500 nested `{` and 6,000 nested `(`, and parses
#: nested collections in cubic time (0.5 s at 100 levels, 4 s at 200); the query library nests 6.
MAX_DEPTH = 100
#: longest run of operators `check` lets through: pyoxigraph recurses once per operator and
#: crashes near 6,500 `+` or UNION in a row, 9,500 `||` or `!`.
MAX_CHAIN = 1000
SERVICE_REFUSED = (
    "the query uses SERVICE, which would contact another endpoint; pass --allow-remote to permit it"
)


@dataclass(frozen=True)
class QueryText:
    """What a request is, read from its tokens."""

    form: str | None  # SELECT, ASK, CONSTRUCT or DESCRIBE; None for an update or no form
    update: bool  # a SPARQL Update request
    service: bool  # SERVICE appears, or a prefixed name pyoxigraph could read as SERVICE
    depth: int  # deepest nesting of { ( [ (and << <<( {| of SPARQL 1.2)
    has_from: bool  # a FROM or FROM NAMED clause
    chain: int = 0  # longest run of operators (|| && + - * / | ^ ! UNION) in one bracket
    #: the first use of a prefix that is neither predeclared nor declared by the query, as the
    #: error to raise (`check` raises it after refusing SERVICE and deep nesting, which a name
    #: glued to a keyword, `SERVICE:x`, may be)
    undeclared: QuerySyntaxError | None = field(default=None, repr=False, compare=False)


class Token(NamedTuple):
    """A token: kind is "iri", "pname", "var", "bnode", "string", "lang", "number", "word" (a
    keyword) or "punct"; start is its offset in the text once codepoint escapes are decoded;
    depth the number of brackets open around it."""

    kind: str
    text: str
    start: int
    depth: int


# -- the terminals of §19.8 -------------------------------------------------------------------

# Name characters. ASCII is classed exactly as §19.8 says; every other character passes these cheap
# classes (a class spelling the grammar's Unicode ranges takes 1.5 ms to compile, a dozen of them
# a sixth of a whole `cskg query`), and a name that holds one is checked against the grammar's
# own ranges (`_strict`). A character outside them is no token anywhere but in a string, an IRI
# or a comment, so the two readings refuse the same texts.
_START = r"[^\x00-@\[-`{-\x7f]"  # PN_CHARS_BASE
_START_U9 = r"[^\x00-/:-@\[-^`{-\x7f]"  # PN_CHARS_U or a digit; the rest of a VARNAME
_NAME = r"[^\x00-,./:-@\[-^`{-\x7f]"  # PN_CHARS
_NAME_DOT = r"[^\x00-,/:-@\[-^`{-\x7f]"  # PN_CHARS or '.'
_LOCAL_START = r"[^\x00-/;-@\[-^`{-\x7f]"  # PN_CHARS_U, ':' or a digit
_LOCAL_NAME = r"[^\x00-,./;-@\[-^`{-\x7f]"  # PN_CHARS or ':'
_LOCAL_NAME_DOT = r"[^\x00-,/;-@\[-^`{-\x7f]"  # PN_CHARS, '.' or ':'
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_ECHAR = r"""\\[tbnrf\\"']"""
_RUN = re.compile(rf"{_NAME_DOT}*")  # what a PN_PREFIX may go on with after its first word
_LOCAL = re.compile(
    rf"(?:{_LOCAL_START}|{_PLX})(?:(?:{_LOCAL_NAME_DOT}|{_PLX})*(?:{_LOCAL_NAME}|{_PLX}))?"
)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_LEXEME = re.compile(
    "|".join(
        (
            r"(?P<ws>[ \t\r\n]+)",
            r"(?P<comment>#[^\r\n]*)",
            rf"(?P<var>[?$]{_START_U9}+)",
            rf"(?P<word>{_START}{_NAME}*)",  # a keyword, or a prefix
            r"(?P<pname>:)",
            r"(?P<number>[+-]?(?:[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.?[0-9]+[eE][+-]?[0-9]+"
            r"|[0-9]*\.[0-9]+|[0-9]+))",
            rf"(?P<string>'''(?:(?:''|')?(?:[^'\\]|{_ECHAR}))*'''"
            rf'|"""(?:(?:""|")?(?:[^"\\]|{_ECHAR}))*"""'
            rf"|'(?:[^'\\\n\r]|{_ECHAR})*'"
            rf'|"(?:[^"\\\n\r]|{_ECHAR})*")',
            rf"(?P<bnode>_:{_START_U9}(?:{_NAME_DOT}*{_NAME})?)",
            r"(?P<lang>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?)",
            r"(?P<punct>&&|\^\^|!=|[;,.=!+\-*/^?~])",
        )
    )
)
_BRACKETS = frozenset("<>(){}[]|")
_OPERANDS = frozenset({"iri", "pname", "var", "bnode", "string", "lang", "number"})
_CHAIN = frozenset({"||", "&&", "+", "-", "*", "/", "|", "^", "!"})
_STARTS = KEYWORDS | {"A"}  # what pyoxigraph may read at the start of a prefixed name
_LONGEST = max(len(word) for word in _STARTS)

# What an open bracket holds, as the parsers see it (one byte per bracket):
_QUERY = ord("Q")  # the request, or a sub-select: its ( ) hold expressions, but after VALUES
_GROUP = ord("G")  # { } of triples, FILTER and BIND
_VALUES = ord("V")  # { } of a VALUES block
_EXPR = ord("E")  # ( ) of an expression: there `<` after an operand is "less than"
_DATA = ord("D")  # ( ) of a collection, a path, VALUES variables or a VALUES row
_BNODE = ord("B")  # [ ] of a blank node's properties
_ANNOTATION = ord("A")  # {| |}
_TRIPLE = ord("T")  # <<( )>>
_REIFIED = ord("R")  # << >>
_CLOSER = {
    _QUERY: "}",
    _GROUP: "}",
    _VALUES: "}",
    _EXPR: ")",
    _DATA: ")",
    _BNODE: "]",
    _ANNOTATION: "|}",
    _TRIPLE: ")>>",
    _REIFIED: ">>",
}


@lru_cache(maxsize=1)
def _strict() -> dict[str, re.Pattern[str]]:
    """The names of §19.8 with the grammar's Unicode ranges, for names that are not ASCII."""
    base = (
        "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff"
        "\u200c-\u200d\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd"
        "\U00010000-\U000effff"
    )
    extra = "0-9\u00b7\u0300-\u036f\u203f-\u2040"
    chars = base + "_\\-" + extra
    local = rf"(?:[{base}_:0-9]|{_PLX})(?:(?:[{chars}.:]|{_PLX})*(?:[{chars}:]|{_PLX}))?"
    return {
        "var": re.compile(rf"[?$][{base}_0-9][{base}_{extra}]*"),
        "word": re.compile(rf"[{base}][{chars}]*"),
        "pname": re.compile(rf"(?:[{base}](?:[{chars}.]*[{chars}])?)?:(?:{local})?"),
        "bnode": re.compile(rf"_:[{base}_0-9](?:[{chars}.]*[{chars}])?"),
        "local": re.compile(local),
    }


# -- codepoint escapes --------------------------------------------------------------------------

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_RDFLIB_ESCAPE = re.compile(r"\\[uU][0-9A-Fa-f]{4}(?:[0-9A-Fa-f]{4})?")  # rdflib 7's reading


class _Escape(NamedTuple):
    at: int  # offset in the decoded text
    source: int  # offset in the text as written
    length: int  # characters it takes there
    char: str


def _decode(text: str) -> tuple[str, list[_Escape]]:
    """The text with its codepoint escapes decoded (§19.2), and where each one was."""
    if "\\u" not in text and "\\U" not in text:
        return text, []
    ours = [m.span() for m in _ESCAPE.finditer(text)]
    theirs = [m.span() for m in _RDFLIB_ESCAPE.finditer(text)]
    if ours != theirs:
        first = min(set(ours) ^ set(theirs))
        raise _syntax_at(
            text,
            first[0],
            "rdflib reads this escape otherwise: write \\u and four hex digits, or \\U and eight",
        )
    pieces: list[str] = []
    escapes: list[_Escape] = []
    last = shift = 0
    for found in _ESCAPE.finditer(text):
        code = int(found[1] or found[2], 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise _syntax_at(text, found.start(), f"U+{code:04X} is not a Unicode character")
        pieces += (text[last : found.start()], chr(code))
        size = found.end() - found.start()
        escapes.append(_Escape(found.start() - shift, found.start(), size, chr(code)))
        shift, last = shift + size - 1, found.end()
    pieces.append(text[last:])
    return "".join(pieces), escapes


# -- errors ---------------------------------------------------------------------------------------


def syntax_error(line: int | None, column: int | None, message: str) -> QuerySyntaxError:
    """`line L, column C: message`, one line, the position counted in characters of the text as
    the user wrote it; `line` and `column` are kept on the error (for a page to point at)."""
    if line is None:
        where = ""
    elif column is None:
        where = f"line {line}: "
    else:
        where = f"line {line}, column {column}: "
    error = QuerySyntaxError(where + " ".join(message.split()))
    error.line, error.column = line, column  # type: ignore[attr-defined]
    return error


def _syntax_at(text: str, offset: int, message: str) -> QuerySyntaxError:
    line = text.count("\n", 0, offset) + 1
    return syntax_error(line, offset - text.rfind("\n", 0, offset), message)


# -- the tokenizer --------------------------------------------------------------------------------


class _Lexer:
    """Cuts a request into tokens, tracking what each open bracket holds (see `_QUERY`...)."""

    def __init__(self, text: str) -> None:
        self.source = text
        self.text, self.escapes = _decode(text)
        self.escape_at = [e.at for e in self.escapes]
        self.shifts = [0]
        for escape in self.escapes:
            self.shifts.append(self.shifts[-1] + escape.length - 1)
        self.checked = 0  # escapes checked so far
        self.kinds = bytearray([_QUERY])  # one per open bracket, the request at the bottom
        self.opened = array("q", [0])  # where each bracket opened
        self.runs = array("q", [0])  # operators in a row inside each bracket
        self.deepest = self.longest = 0
        self.prev: Token | None = None
        self.prev2: Token | None = None
        self.fresh = False  # just after the `{` of a group, where a sub-select may start
        self.values = False  # VALUES waits for its `{`
        self.run_end, self.run_colon = -1, False  # the last run of words and dots (`_colon`)

    def error(self, at: int, message: str) -> QuerySyntaxError:
        """A syntax error at an offset of the decoded text, placed in the text as written."""
        index = bisect.bisect_right(self.escape_at, at)
        if index and self.escape_at[index - 1] == at:
            source = self.escapes[index - 1].source
        else:
            source = at + self.shifts[index]
        return _syntax_at(self.source, source, message)

    def __iter__(self) -> Iterator[Token]:
        text, end, pos = self.text, len(self.text), 0
        while pos < end:
            if text[pos] in _BRACKETS:
                token = self._bracket(text[pos], pos)
            else:
                found = _LEXEME.match(text, pos)
                if found is None:
                    raise self.error(pos, _not_a_token(text[pos]))
                kind = found.lastgroup or ""
                if kind in ("ws", "comment"):
                    self._skip(kind, pos, found.end())
                    pos = found.end()
                    continue
                token = self._token(kind, found[0], pos)
            self._check_escapes(token.kind, pos, pos + len(token.text))
            self._note(token)
            yield token
            pos += len(token.text)
        if len(self.kinds) > 1:
            closer = _CLOSER[self.kinds[-1]]
            raise self.error(self.opened[-1], f"this bracket is never closed (by `{closer}`)")

    # -- lexemes

    def _token(self, kind: str, text: str, pos: int) -> Token:
        """A token the pattern found; a word that goes on to a `:` is a prefix."""
        if kind == "word":
            colon = self._colon(pos + len(text))
            if colon is not None:
                kind, text = "pname", self.text[pos : colon + 1]
        if kind == "pname":
            local = _LOCAL.match(self.text, pos + len(text))
            text = self.text[pos : local.end()] if local else text
        names = (
            _strict() if kind in ("var", "word", "pname", "bnode") and not text.isascii() else {}
        )
        if names and names[kind].fullmatch(text) is None:
            raise self.error(pos, f"`{text}` holds a character SPARQL does not allow there")
        return Token(kind, text, pos, len(self.kinds) - 1)

    def _colon(self, end: int) -> int | None:
        """Where the `:` of the prefix whose first word ends at `end` is, if it has one: a
        PN_PREFIX goes on with dots between its words (a keyword does not). Each run of words and
        dots is scanned once, however many words it holds: `a.a.a...` stays linear."""
        if self.text.startswith(":", end):
            return end
        if end > self.run_end:
            found = _RUN.match(self.text, end)
            self.run_end = found.end() if found else end
            after = self.text[self.run_end : self.run_end + 1]
            self.run_colon = after == ":" and self.text[self.run_end - 1] != "."
        return self.run_end if self.run_colon else None

    def _skip(self, kind: str, start: int, end: int) -> None:
        self._check_escapes(kind, start, end)
        after = self.text[end : end + 2]
        if kind == "comment" and after[:1] == "\r" and after not in ("\r", "\r\n"):
            raise self.error(
                end,
                "a lone carriage return ends this comment for pyoxigraph, not for rdflib; "
                "end the line with a line feed",
            )

    def _check_escapes(self, kind: str, start: int, end: int) -> None:
        """Refuse escapes that pyoxigraph, which decodes them only in strings and IRIs, would
        read otherwise: outside strings, IRIs and comments, or ending their string or IRI."""
        while self.checked < len(self.escapes) and self.escapes[self.checked].at < end:
            escape = self.escapes[self.checked]
            self.checked += 1
            ends = (self.text[start], "\\") if kind == "string" else (">",)
            if kind == "comment" or (kind in ("string", "iri") and escape.char not in ends):
                continue
            if kind in ("string", "iri"):
                message = (
                    f"this escape decodes to {_show(escape.char)}, which rdflib reads as the "
                    f"query's and pyoxigraph as the {kind}'s; write it another way"
                )
            else:
                message = (
                    "a \\u escape outside a string, IRI or comment: pyoxigraph does not "
                    "decode it there; write the character itself"
                )
            raise self.error(escape.at, message)

    # -- brackets and the signs that depend on them

    def _bracket(self, char: str, pos: int) -> Token:
        text, top = self.text, self.kinds[-1]
        if char == "<":
            return self._angle(pos)
        if char == ">":
            if top == _REIFIED and text.startswith(">>", pos):
                return self._close(">>", pos)
            return self._punct(">=" if text.startswith(">=", pos) else ">", pos)
        if char == ")":
            if top == _TRIPLE and text.startswith(")>>", pos):
                return self._close(")>>", pos)
            return self._close(")", pos)
        if char == "|":
            if text.startswith("|}", pos):
                return self._close("|}", pos)
            return self._punct("||" if text.startswith("||", pos) else "|", pos)
        if char in "}]":
            return self._close(char, pos)
        if char == "[":
            return self._open("[", pos, _BNODE)
        if char == "(":
            return self._open("(", pos, self._paren())
        if text.startswith("{|", pos):
            return self._open("{|", pos, _ANNOTATION)
        kind, self.values = (_VALUES if self.values else _GROUP), False
        return self._open("{", pos, kind)

    def _angle(self, pos: int) -> Token:
        """`<` is "less than" after an operand inside an expression, an IRI elsewhere."""
        text = self.text
        if self.kinds[-1] == _EXPR and self._after_operand():
            return self._punct("<=" if text.startswith("<=", pos) else "<", pos)
        if text.startswith("<<(", pos):
            return self._open("<<(", pos, _TRIPLE)
        if text.startswith("<<", pos):
            return self._open("<<", pos, _REIFIED)
        found = _IRIREF.match(text, pos)
        if found is None:
            raise self.error(pos, "`<` starts an IRI here, and no IRI follows")
        return Token("iri", found[0], pos, len(self.kinds) - 1)

    def _paren(self) -> int:
        """What a `(` holds, from the bracket it opens in and the tokens before it."""
        top, prev, prev2 = self.kinds[-1], self.prev, self.prev2
        if top == _EXPR:
            return _EXPR
        if top not in (_QUERY, _GROUP) or _is_word(prev, "VALUES"):
            return _DATA
        if top == _QUERY or _is_word(prev, "FILTER", "BIND"):
            return _EXPR
        # FILTER regex(...), FILTER <function>(...), FILTER ex:function(...)
        if prev is not None and prev.kind in ("word", "iri", "pname"):
            return _EXPR if _is_word(prev2, "FILTER") else _DATA
        return _DATA

    def _after_operand(self) -> bool:
        prev = self.prev
        if prev is None:
            return False
        if prev.kind in _OPERANDS or _is_word(prev, "TRUE", "FALSE"):
            return True
        return prev.text in (")", "}", "]", ")>>", ">>")

    def _open(self, opener: str, pos: int, kind: int) -> Token:
        token = Token("punct", opener, pos, len(self.kinds) - 1)
        self.kinds.append(kind)
        self.opened.append(pos)
        self.runs.append(0)
        self.deepest = max(self.deepest, len(self.kinds) - 1)
        return token

    def _close(self, closer: str, pos: int) -> Token:
        if len(self.kinds) == 1:
            raise self.error(pos, f"`{closer}` closes no bracket")
        expected = _CLOSER[self.kinds[-1]]
        if closer != expected:
            opened = self.opened[-1]
            raise self.error(
                pos, f"`{closer}` where `{expected}` should close `{self.text[opened]}`"
            )
        self.kinds.pop()
        self.opened.pop()
        self.runs.pop()
        return Token("punct", closer, pos, len(self.kinds) - 1)

    def _punct(self, text: str, pos: int) -> Token:
        return Token("punct", text, pos, len(self.kinds) - 1)

    def _note(self, token: Token) -> None:
        """Remember what the next brackets and `<` depend on."""
        word = token.text.upper() if token.kind == "word" else ""
        if self.fresh and word == "SELECT":
            self.kinds[-1] = _QUERY  # a sub-select
        self.fresh = token.text == "{" and self.kinds[-1] == _GROUP
        self.values = self.values or word == "VALUES"
        # `1 -1 -1` is a chain inside an expression, a row of numbers in VALUES or a collection
        signed = token.kind == "number" and token.text[0] in "+-" and self.kinds[-1] == _EXPR
        operator = token.text in _CHAIN or signed or word == "UNION"
        if token.text == "!" or (operator and self._after_operand()):  # not SELECT *, COUNT(*)
            self.runs[-1] += 1
            self.longest = max(self.longest, self.runs[-1])
        elif token.text in (".", ";", ","):
            self.runs[-1] = 0
        self.prev2, self.prev = self.prev, token


def _is_word(token: Token | None, *words: str) -> bool:
    return token is not None and token.kind == "word" and token.text.upper() in words


def _not_a_token(char: str) -> str:
    if char in "'\"":
        return (
            "this string does not end (a short string ends on its line; a backslash escapes "
            "one of t b n r f \" ' \\)"
        )
    return f"{_show(char)} is not part of SPARQL here"


def _show(char: str) -> str:
    plain = char.isprintable() and not char.isspace() and char != "`"
    return f"`{char}`" if plain else f"U+{ord(char):04X}"


# -- what the tokens say --------------------------------------------------------------------------


class _Reading:
    """Reads a request's tokens into a `QueryText`, refusing what an engine could read
    differently (see the module docstring)."""

    def __init__(self, lexer: _Lexer, prefixes: Mapping[str, str] | None = None) -> None:
        self.lexer = lexer
        self.prefixes: dict[str, str] = dict(prefixes or {})  # predeclared, then the query's
        self.judged = prefixes is not None  # whether an undeclared prefix is an error
        self.undeclared: list[str] = []  # prefixes used and not declared, in order of first use
        self.undeclared_error: QuerySyntaxError | None = None
        self.base = "http://example.invalid/"  # stands for the engine's base IRI, if any
        self.expect = ""  # PREFIX or BASE waiting for its parts
        self.declared = ""
        self.suspect: Token | None = None  # a name that could be FILTER or BIND
        self.before: Token | None = None  # the last three tokens
        self.last: Token | None = None
        self.current: Token | None = None
        self.form: str | None = None
        self.update = self.service = self.has_from = False

    def take(self, token: Token) -> None:
        self.before, self.last, self.current = self.last, self.current, token
        if self.suspect is not None and token.text == "(":
            raise self.lexer.error(
                self.suspect.start,
                f"pyoxigraph may read `{self.suspect.text}` as FILTER or BIND; rename the prefix",
            )
        self.suspect = None
        if self.expect and self._declaration(token):
            return
        if token.kind == "word":
            self._word(token)
        elif token.kind == "pname":
            self._name(token)

    def result(self) -> QueryText:
        return QueryText(
            form=None if self.update else self.form,
            update=self.update,
            service=self.service,
            depth=self.lexer.deepest,
            has_from=self.has_from,
            chain=self.lexer.longest,
            undeclared=self.undeclared_error,
        )

    def _word(self, token: Token) -> None:
        word = token.text.upper()
        if word not in KEYWORDS and token.text != "a":
            self._slash_in_name(token)
            close = _closest(word, KEYWORDS) if len(word) <= _SHOWN else None
            hint = f" (did you mean {close}?)" if close else ""
            shown = _shown(token.text)
            raise self.lexer.error(token.start, f"`{shown}` is not a SPARQL keyword{hint}")
        if word == "SERVICE":
            self.service = True
        elif word == "FROM":
            self.has_from = True
        elif word in ("PREFIX", "BASE"):
            self.expect = word
        if token.depth == 0 and word in UPDATE_KEYWORDS:
            self.update = True
        elif token.depth == 0 and word in QUERY_FORMS and self.form is None:
            self.form = word

    def _slash_in_name(self, token: Token) -> None:
        """`concept:area/china` reads as a path from `concept:area` to a word: say what it is."""
        name, slash = self.before, self.last
        if name is None or slash is None or name.kind != "pname" or slash.text != "/":
            return
        if name.start + len(name.text) != slash.start or slash.start + 1 != token.start:
            return
        prefix, _, local = name.text.partition(":")
        written = f"{name.text}/{token.text}"
        if prefix in self.prefixes:
            iri = f"{self.prefixes[prefix]}{local.replace(chr(92), '')}/{token.text}"
            instead = prefixed_name(iri, self.prefixes) or f"<{iri}>"
        else:
            instead = "an IRI in <…>"
        raise self.lexer.error(
            name.start,
            f'"{_shown(written)}" is not a prefixed name: a "/" is not allowed in one; '
            f"write {_shown(instead)}",
        )

    def _declaration(self, token: Token) -> bool:
        """Keep `PREFIX name: <iri>` and `BASE <iri>` to check the prefixed names after them."""
        expect, self.expect = self.expect, ""
        if expect == "PREFIX" and token.kind == "pname" and token.text.endswith(":"):
            self.expect, self.declared = "IRI", token.text[:-1]
            return True
        if expect not in ("IRI", "BASE") or token.kind != "iri":
            return False
        iri = token.text[1:-1]
        if not _SCHEME.match(iri):
            iri = urljoin(self.base, iri)
        if expect == "IRI":
            self.prefixes[self.declared] = iri
        else:
            self.base = iri
        return True

    def _name(self, token: Token) -> None:
        prefix, _, local = token.text.partition(":")
        if not local and prefix[:6].upper() == "PREFIX":  # `PREFIXp:` declares p: to pyoxigraph
            self.expect, self.declared = "IRI", prefix[6:]
        elif prefix not in self.prefixes and prefix not in self.undeclared:
            self.undeclared.append(prefix)
            if self.judged and self.undeclared_error is None:
                message = _undeclared_message(prefix, self.prefixes)
                self.undeclared_error = self.lexer.error(token.start, message)
        if _starts_like_keyword(prefix):
            upper = token.text.upper()
            self.service = self.service or "SERVICE" in upper
            if "FILTER" in upper or "BIND" in upper:
                self.suspect = token
        if local and prefix in self.prefixes:
            iri = self.prefixes[prefix] + local.replace("\\", "")
            if not _valid_iri(iri):
                raise self.lexer.error(
                    token.start,
                    f"`{token.text}` expands to <{iri}>, which is not a valid IRI "
                    f"(pyoxigraph would go on reading after `{prefix}:`)",
                )


def _closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like a misspelt `word`, if one is close (only on the way to an error)."""
    from difflib import get_close_matches

    close = get_close_matches(word, list(candidates), n=1)
    return close[0] if close else None


def _undeclared_message(prefix: str, known: Mapping[str, str]) -> str:
    close = _closest(prefix, known) if len(prefix) <= _SHOWN else None
    hint = f'; did you mean "{close}:"?' if close else ""
    shown = _shown(prefix)
    return (
        f'the prefix "{shown}:" is not declared{hint} (known prefixes: {", ".join(known)}; '
        f"declare it with PREFIX {shown}: <…>)"
    )


#: characters of the user's text a message quotes at most
_SHOWN = 60


def _shown(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _starts_like_keyword(prefix: str) -> bool:
    upper = prefix.upper()
    return any(upper[:size] in _STARTS for size in range(1, min(len(upper), _LONGEST) + 1))


@lru_cache(maxsize=4096)
def _valid_iri(iri: str) -> bool:
    """Whether pyoxigraph takes this as an IRI (its prefixed names are checked the same way)."""
    import pyoxigraph as ox

    try:
        ox.NamedNode(iri)
    except ValueError:
        return False
    return True


# -- the interface --------------------------------------------------------------------------------


def tokens(text: str) -> Iterator[Token]:
    """The tokens of a request, in order; QuerySyntaxError where the text stops being SPARQL."""
    return iter(_Lexer(text))


def inspect(text: str, *, prefixes: Mapping[str, str] | None = None) -> QueryText:
    """Read a request's tokens into what it is (see the module docstring). `prefixes` are those
    the engine predeclares (a declaration in the query wins over one of them, as in both
    engines); with them, the first prefix neither they nor the query declare is kept as
    `QueryText.undeclared`, which `check` raises.

    >>> inspect("PREFIX ex: <http://example.org/> SELECT * { ?s ex:service ?o }")
    QueryText(form='SELECT', update=False, service=False, depth=1, has_from=False, chain=0)
    >>> inspect("ASK { # a comment that a lone CR ends\\r SERVICE <http://127.0.0.1/> {} }")
    Traceback (most recent call last):
    ...
    cskg.errors.QuerySyntaxError: line 1, column 38: a lone carriage return ends this comment ...
    >>> print(inspect("ASK { ?s a ex:C }", prefixes={"cskg": "https://w3id.org/cskg/o#"}).undeclared)
    line 1, column 12: the prefix "ex:" is not declared (known prefixes: cskg; declare it ...)
    """
    lexer = _Lexer(text)
    reading = _Reading(lexer, prefixes)
    for token in lexer:
        reading.take(token)
    return reading.result()


def check(
    text: str,
    *,
    allow_service: bool = False,
    max_depth: int = MAX_DEPTH,
    max_chain: int = MAX_CHAIN,
    prefixes: Mapping[str, str] | None = None,
) -> QueryText:
    """`inspect`, then refuse what the engines must not be given: nesting or operator chains
    that overflow their parsers' stack, SERVICE unless allowed, and with `prefixes` (those the
    engine is given, `PREFIXES`) a prefix that is neither among them nor declared by the query."""
    shape = inspect(text, prefixes=prefixes)
    if shape.depth > max_depth:
        raise CskgError(
            f"query: brackets nest {shape.depth} deep; at most {max_depth} are accepted "
            "(deeper nesting overflows the parsers' stack)"
        )
    if shape.chain > max_chain:
        raise CskgError(
            f"query: {shape.chain} operators in a row; at most {max_chain} are accepted "
            "(longer chains overflow pyoxigraph's stack)"
        )
    if shape.service and not allow_service:
        raise CskgError(SERVICE_REFUSED)
    if shape.undeclared is not None:
        raise shape.undeclared
    return shape


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first such keyword of the request's tokens, read
    as far as the text reads as SPARQL (a query sent on to another endpoint may use its own
    extensions, which `inspect` refuses).

    >>> query_form("PREFIX select: <http://x/> # SELECT\\nASK { ?s select:x ?o }")
    'ASK'
    """
    for word in keywords(text):
        if word in QUERY_FORMS:
            return word
    raise QuerySyntaxError("query: not a SPARQL query (no SELECT, ASK, CONSTRUCT or DESCRIBE)")


def keywords(text: str) -> list[str]:
    """The keywords of a request, upper-cased, in order, as far as it reads as SPARQL: a quick
    look at a text that may not parse (the form of a query sent on to another endpoint)."""
    words = []
    try:
        for token in _Lexer(text):
            if token.kind == "word":
                words.append(token.text.upper())
    except QuerySyntaxError:
        pass
    return words


# -- prefixes -------------------------------------------------------------------------------------


def undeclared_prefixes(text: str) -> list[str]:
    """The prefixes a request uses without declaring them, in order of first use, read as far as
    the text reads as SPARQL (a query for another endpoint may hold words this reading refuses).

    >>> undeclared_prefixes("PREFIX ex: <http://x/> SELECT * { ?s a ex:C, cskg:Policy, ex:D }")
    ['cskg']
    """
    lexer = _Lexer(text)
    reading = _Reading(lexer)
    try:
        for token in lexer:
            with contextlib.suppress(QuerySyntaxError):  # a word another endpoint may know
                reading.take(token)
    except QuerySyntaxError:
        pass
    return reading.undeclared


def declare_used(text: str, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """`text` with a declaration of each of `prefixes` that it uses without declaring, for an
    endpoint that knows none of them: a query that stands on its own. The declarations go on
    the query's first line, so that the endpoint's line numbers are the user's.

    >>> declare_used("SELECT * {\\n ?s a cskg:Policy }")
    'PREFIX cskg: <https://w3id.org/cskg/ontology#> SELECT * {\\n ?s a cskg:Policy }'
    """
    used = [p for p in undeclared_prefixes(text) if p in prefixes]
    return "".join(f"PREFIX {p}: <{prefixes[p]}> " for p in used) + text


_PLAIN_LOCAL = re.compile(
    r"(?:[A-Za-z0-9_:]|%[0-9A-Fa-f]{2})"
    r"(?:(?:[A-Za-z0-9_.:-]|%[0-9A-Fa-f]{2})*(?:[A-Za-z0-9_:-]|%[0-9A-Fa-f]{2}))?"
)


#: the project's prefixes, the longest namespace first
_LONGEST_FIRST = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))


def prefixed_name(iri: str, prefixes: Mapping[str, str] | None = None) -> str | None:
    """The prefixed name of `iri` that is valid as written (`names_itself`), from the longest
    namespace of `prefixes` (the project's, `PREFIXES`) that gives one; None when none does.

    >>> prefixed_name("https://w3id.org/cskg/id/concept/unit/percent")
    'unit:percent'
    """
    ordered = _LONGEST_FIRST
    if prefixes is not None:
        ordered = sorted(prefixes.items(), key=lambda item: -len(item[1]))
    for prefix, namespace in ordered:
        if iri.startswith(namespace) and names_itself(prefix, iri[len(namespace) :]):
            return f"{prefix}:{iri[len(namespace) :]}"
    return None


def names_itself(prefix: str, local: str) -> bool:
    """Whether `prefix:local`, written as it is, is a prefixed name that SPARQL and Turtle read
    as the prefix's namespace followed by `local`, and that this reading lets through: `local`
    is a PN_LOCAL of §19.8 without backslash escapes (`concept:area/china` is not: a `/` must
    be escaped), and a prefix that starts like a keyword does not hold SERVICE, FILTER or BIND.

    >>> names_itself("area", "china"), names_itself("concept", "area/china")
    (True, False)
    """
    if not local:
        return True
    if "\\" in local:
        return False
    if local.isascii():
        if _PLAIN_LOCAL.fullmatch(local) is None:
            return False
    elif _strict()["local"].fullmatch(local) is None:
        return False
    if _starts_like_keyword(prefix):
        upper = f"{prefix}:{local}".upper()
        return not any(word in upper for word in ("SERVICE", "FILTER", "BIND"))
    return True
