"""Search: the release's named entities, found by what they are called and what is said of them.

One index per release (`index_of`), built once over `cskg.release.Release`: every resource of
the project's namespace that has a label, with its values in four fields, best first:

- `label`: its labels (`rdfs:label`, `skos:prefLabel`, `dcterms:title`), every language;
- `alias`: its `skos:altLabel`s (the paper's other spellings and misspellings: "Loongsun");
- `name`: its prefixed name (`agency:miit`) and local name (`miit`);
- `quote`: the evidence quote of each sentence with a statement about it (full text).

Text is normalised alike on both sides: NFKD, combining marks dropped, lower case, every run of
characters that are not letters or digits one space (`normalise`). A normalised text is made of
terms: words (runs of letters and digits) and runs of CJK characters, which are written without
spaces. A query matches one value by the first of these rules that holds (`match`):

- exact: the same text;
- prefix: the value begins with the query text;
- phrase: the query text starts at a word start of the value, or anywhere when CJK is involved
  ("信息化部" in "工业和信息化部");
- terms: every query term in the value (a word as the beginning of a word, a CJK run anywhere);
- fuzzy (not for quotes): every query term in the value or near it: a word of 4 or more letters
  within `max_edits` (optimal string alignment: a transposition is one edit) of a word, a CJK run
  sharing at least half of its character bigrams.

A match's kind ranks it first (exact, prefix, phrase, terms, fuzzy), then the share of the value
it covers, then its field (label, alias, name); a quote ranks below any name (`KINDS`, `score`).
An entity's score is that of its best value (the first in index order on a tie); entities are
ranked by score, then IRI.

The same rules run in the browser on the static site: `cskg/web/static/search.js` searches the
file `SearchIndex.as_json` gives. Keep the two in step (tests/test_search.py runs both on the same
queries and the same index).

Bounds: the query is cut at `MAX_QUERY` characters and its first `MAX_TERMS` terms count; no
regular expression is built from it; candidates come from the postings of the query's terms, so
a query costs at most one pass over the index.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

from cskg.query.results import compact
from cskg.release import Release, local_name
from cskg.vocab import BASE, CSKG, EV, GRAPH_INFERRED, LABEL_PROPERTIES, RDF_TYPE, SKOS_ALT_LABEL

#: characters of search text read at most; the rest is cut
MAX_QUERY = 200
#: terms of a query that count (the whole text still counts for exact, prefix and phrase)
MAX_TERMS = 10
#: results of a search when not told otherwise, and at most
DEFAULT_RESULTS = 20
MAX_RESULTS = 100
#: characters of a snippet around the match
SNIPPET = 160

FIELDS = ("label", "alias", "name", "quote")
#: the fields that name an entity (fuzzy matches are tried on these only)
NAME_FIELDS = ("label", "alias", "name")
#: each kind of match ranks above the next whatever the rest: its quality is the kind's base,
#: plus COVERAGE x the share of the value it covers, plus for a fuzzy match FUZZY x the mean
#: similarity of the query's terms (each 0.5 to 1): 0.35 to 0.58
KINDS = {"exact": 0.9, "prefix": 0.8, "phrase": 0.7, "terms": 0.6, "fuzzy": 0.2}
COVERAGE = 0.08
FUZZY = 0.3
#: a name's score is its match's quality plus its field's bonus (a label before an alias before
#: a prefixed or local name); a quote's is its quality times QUOTE, below any name's
BONUS = {"label": 0.01, "alias": 0.005, "name": 0.0}
QUOTE = 0.15
#: the shortest word matched with a misspelling
FUZZY_MIN = 4

# CJK Radicals to CJK Unified Ideographs (kana included), compatibility ideographs, planes 2-3
_CJK_RANGES = "\u2e80-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
_TERM = re.compile(f"([{_CJK_RANGES}]+)|([^ {_CJK_RANGES}]+)")
_SEPARATORS = re.compile(r"[\W_]+")

Span = tuple[int, int]


def is_cjk(char: str) -> bool:
    """A character of a script written without spaces between words (CJK, kana)."""
    point = ord(char)
    return 0x2E80 <= point <= 0x9FFF or 0xF900 <= point <= 0xFAFF or 0x20000 <= point <= 0x3FFFF


def _is_mark(char: str) -> bool:
    return unicodedata.category(char).startswith("M")


def normalise(text: str) -> str:
    """NFKD, no combining marks, lower case, one space for each run of other characters than
    letters and digits: "Loongsun Technology Co., Ltd." -> "loongsun technology co ltd"."""
    folded = unicodedata.normalize("NFKD", text)
    if not folded.isascii():
        folded = "".join(c for c in folded if not _is_mark(c))
    return _SEPARATORS.sub(" ", folded.lower()).strip()


def normalise_mapped(text: str) -> tuple[str, list[int]]:
    """`normalise(text)` and, for each of its characters, the index in `text` it comes from."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for part in unicodedata.normalize("NFKD", char):
            if not _is_mark(part):
                chars.append(part)
                origin.append(index)
    # after NFKD, lower case keeps the length (only U+0130 grows, and NFKD has split it)
    folded = "".join(chars).lower()
    out: list[str] = []
    where: list[int] = []
    for char, index in zip(folded, origin, strict=True):
        if char.isalnum() and char != "_":
            out.append(char)
            where.append(index)
        elif out and out[-1] != " ":
            out.append(" ")
            where.append(index)
    if out and out[-1] == " ":
        out.pop()
        where.pop()
    return "".join(out), where


class Term(NamedTuple):  # a tuple: made for every word of every candidate value
    text: str
    start: int
    cjk: bool


def terms(norm: str) -> list[Term]:
    """The words and CJK runs of a normalised text, with where each starts."""
    return [Term(m.group(), m.start(), m.group(1) is not None) for m in _TERM.finditer(norm)]


@dataclass(frozen=True)
class Query:
    text: str  # normalised, of at most MAX_QUERY characters of what was typed
    terms: tuple[Term, ...]


def parse_query(text: str) -> Query:
    norm = normalise(text[:MAX_QUERY])
    return Query(norm, tuple(terms(norm)[:MAX_TERMS]))


def max_edits(word: str) -> int:
    """Edits allowed between a query word and a word of a name: none under FUZZY_MIN letters,
    one up to 7, two beyond."""
    return 0 if len(word) < FUZZY_MIN else 1 if len(word) <= 7 else 2


def osa(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance of `a` and `b` (insertions, deletions, substitutions,
    transpositions of neighbours), or `limit + 1` as soon as it is over `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                best = min(best, before[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1] if previous[-1] <= limit else limit + 1


def bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)] or [run]


# -- one query against one value ---------------------------------------------------------------


class Match(NamedTuple):  # a tuple: made for every candidate value
    quality: float
    kind: str  # exact, prefix, phrase, terms, fuzzy
    spans: tuple[Span, ...]  # in the normalised value


def _phrase_at(value: str, text: str) -> int:
    """Where `text` first starts at a word start of `value` (anywhere next to CJK); -1: nowhere."""
    at = value.find(text)
    while at != -1:
        if at == 0 or value[at - 1] == " " or is_cjk(value[at - 1]) or is_cjk(value[at]):
            return at
        at = value.find(text, at + 1)
    return -1


def _term_at(term: Term, value: str, words: list[Term]) -> Span | None:
    """Where a query term is in the value: a CJK run anywhere, a word as a word's beginning."""
    if term.cjk:
        at = value.find(term.text)
        return (at, at + len(term.text)) if at != -1 else None
    for word in words:
        if not word.cjk and word.text.startswith(term.text):
            return (word.start, word.start + len(term.text))
    return None


def _near(term: Term, value: str, words: list[Term]) -> tuple[float, list[Span]] | None:
    """The similarity (0..1) of a query term to the value when it is near enough, and where."""
    if term.cjk:
        grams = bigrams(term.text)
        spans = [(at, at + len(g)) for g in grams if (at := value.find(g)) != -1]
        share = len(spans) / len(grams)
        return (share, spans) if share >= 0.5 else None
    limit = max_edits(term.text)
    best: tuple[float, list[Span]] | None = None
    for word in words:
        if limit and not word.cjk and (edits := osa(term.text, word.text, limit)) <= limit:
            similarity = 1 - edits / max(len(term.text), len(word.text))
            if best is None or similarity > best[0]:
                best = (similarity, [(word.start, word.start + len(word.text))])
    return best


def match(query: Query, value: str, fuzzy: bool) -> Match | None:
    """How the query matches a normalised value (the rules of the module docstring), or None."""
    text = query.text
    if not text or not value:
        return None
    if value == text:
        return Match(KINDS["exact"] + COVERAGE, "exact", ((0, len(text)),))
    at = _phrase_at(value, text)
    if at != -1:
        kind = "prefix" if at == 0 else "phrase"
        quality = KINDS[kind] + COVERAGE * len(text) / len(value)
        return Match(quality, kind, ((at, at + len(text)),))
    words = terms(value)
    spans: list[Span] = []
    similarities: list[float] = []
    for term in query.terms:
        found = _term_at(term, value, words)
        if found is not None:
            spans.append(found)
            similarities.append(1.0)
            continue
        near = _near(term, value, words) if fuzzy else None
        if near is None:
            return None
        similarities.append(near[0])
        spans.extend(near[1])
    if not similarities:
        return None
    covered = COVERAGE * _covered(spans) / len(value)
    if min(similarities) == 1.0:
        return Match(KINDS["terms"] + covered, "terms", tuple(spans))
    total = 0.0
    for each in similarities:  # left to right, as search.js adds them (not sum()'s summation)
        total += each
    similarity = FUZZY * total / len(similarities)
    return Match(KINDS["fuzzy"] + similarity + covered, "fuzzy", tuple(spans))


def score(field: str, found: Match) -> float:
    """A value's score for a match (see `KINDS`, `BONUS`)."""
    return found.quality * QUOTE if field == "quote" else found.quality + BONUS[field]


def _covered(spans: list[Span]) -> int:
    """How many characters the spans cover together."""
    total, end = 0, 0
    for start, stop in sorted(spans):
        total += max(0, stop - max(start, end))
        end = max(end, stop)
    return total


# -- what an index holds and finds ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Value:
    """One text of the index: its field, the text, its normalised form, the entities it names
    (one for a name, every entity its sentence is about for a quote)."""

    field: str
    text: str
    norm: str
    entities: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Entity:
    iri: str
    cls: str | None  # its most specific asserted class


@dataclass(frozen=True)
class Hit:
    """An entity found: its score, and the value that found it with the match's spans in that
    value's own text (`marks`)."""

    iri: str
    cls: str | None
    score: float
    field: str
    kind: str
    text: str
    marks: tuple[Span, ...]


def raw_spans(text: str, spans: Iterable[Span]) -> tuple[Span, ...]:
    """Spans of `normalise(text)` as spans of `text`, merged where they overlap."""
    _norm, origin = normalise_mapped(text)
    out: list[Span] = []
    for start, end in sorted(spans):
        if start >= end or end > len(origin):
            continue
        begin, stop = origin[start], origin[end - 1] + 1
        while stop < len(text) and _is_mark(text[stop]):  # keep a letter's accents with it
            stop += 1
        if out and begin <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], stop))
        else:
            out.append((begin, stop))
    return tuple(out)


def snippet(text: str, marks: tuple[Span, ...]) -> tuple[str, tuple[Span, ...]]:
    """At most SNIPPET characters of `text` around its first mark (an ellipsis where cut)."""
    if len(text) <= SNIPPET:
        return text, marks
    first = marks[0][0] if marks else 0
    start = max(0, min(first - SNIPPET // 4, len(text) - SNIPPET))
    end = start + SNIPPET
    lead = "…" if start else ""
    shift = len(lead) - start
    kept = tuple(
        (max(a, start) + shift, min(b, end) + shift) for a, b in marks if a < end and b > start
    )
    return lead + text[start:end] + ("…" if end < len(text) else ""), kept


# -- the index ---------------------------------------------------------------------------------

_TYPES_QUERY = f"""
SELECT ?s ?c WHERE {{
  GRAPH ?g {{ ?s <{RDF_TYPE}> ?c }} FILTER(isIRI(?s) && isIRI(?c) && ?g != <{GRAPH_INFERRED}>)
}}"""

#: the resources each evidence sentence states something about (a class it types aside)
_MENTIONS_QUERY = f"""
SELECT DISTINCT ?g ?x WHERE {{
  GRAPH ?g {{ {{ ?x ?p ?o }} UNION {{ ?s ?p ?x FILTER(?p != <{RDF_TYPE}>) }} }}
  FILTER(isIRI(?x) && STRSTARTS(STR(?g), "{EV}"))
}}"""

Postings = dict[str, "array[int]"]


def _keys(term: Term) -> Iterable[str]:
    """What a term is filed under: a word as itself, a CJK run by its characters and bigrams."""
    if not term.cjk:
        return (term.text,)
    return {*term.text, *bigrams(term.text)}


def _post(postings: Postings, number: int, norm: str) -> None:
    """File value `number` under the keys of each of its terms."""
    for term in terms(norm):
        for key in _keys(term):
            found = postings.get(key)
            if found is None:
                postings[key] = found = array("I")
            if not found or found[-1] != number:
                found.append(number)


class SearchIndex:
    """The values of every named entity (see the module docstring), with postings: each word,
    CJK character and CJK bigram -> the values holding it, names and quotes apart."""

    def __init__(self, entities: list[Entity], values: list[Value]) -> None:
        self.entities = entities
        self.values = values
        self.names: Postings = {}
        self.quotes: Postings = {}
        for number, value in enumerate(values):
            _post(self.quotes if value.field == "quote" else self.names, number, value.norm)
        self.name_words = sorted(k for k in self.names if not is_cjk(k[0]))
        self.quote_words = sorted(k for k in self.quotes if not is_cjk(k[0]))
        self.by_length: dict[int, list[str]] = defaultdict(list)  # name words, for fuzzy ones
        for word in self.name_words:
            self.by_length[len(word)].append(word)

    @classmethod
    def build(cls, release: Release) -> SearchIndex:
        """The index of a release: every IRI under the project's base with a label."""
        named = sorted(iri for iri in release.label_statements if iri.startswith(BASE))
        number = {iri: n for n, iri in enumerate(named)}
        classes = _classes(release, number)
        entities = [Entity(iri, classes.get(iri)) for iri in named]
        values = [v for n, iri in enumerate(named) for v in _names(release, iri, n)]
        return cls(entities, values + _quotes(release, number))

    def size(self) -> dict[str, int]:
        """What the index holds: entities, values, posting keys and postings."""
        return {
            "entities": len(self.entities),
            "values": len(self.values),
            "keys": len(self.names) + len(self.quotes),
            "postings": sum(len(p) for p in (*self.names.values(), *self.quotes.values())),
        }

    # -- searching ------------------------------------------------------------------------

    def search(
        self, text: str, *, limit: int | None = DEFAULT_RESULTS, fields: Collection[str] = FIELDS
    ) -> list[Hit]:
        """The entities `text` finds in `fields`, best first: at most `limit` (and MAX_RESULTS)
        of them, or all with `limit=None`."""
        query = parse_query(text)
        best: dict[int, tuple[float, int, Match]] = {}
        values = self.values
        for number in self.candidates(query, fields):
            value = values[number]
            field = value.field
            if field not in fields:
                continue
            found = match(query, value.norm, field != "quote")
            if found is None:
                continue
            scored = score(field, found)
            for entity in value.entities:
                held = best.get(entity)
                if held is None or scored > held[0]:
                    best[entity] = (scored, number, found)
        ranked = sorted(best.items(), key=lambda e: (-e[1][0], self.entities[e[0]].iri))
        if limit is not None:
            ranked = ranked[: max(0, min(limit, MAX_RESULTS))]
        return [self._hit(e, *found) for e, found in ranked]

    def _hit(self, entity: int, score: float, number: int, found: Match) -> Hit:
        value = self.values[number]
        at = self.entities[entity]
        marks = raw_spans(value.text, found.spans)
        return Hit(at.iri, at.cls, score, value.field, found.kind, value.text, marks)

    def candidates(self, query: Query, fields: Collection[str]) -> list[int]:
        """The values the query may match, in index order: every value `match` accepts is one
        of them (names: each term as a word's beginning, near a word, or a CJK run's
        characters; quotes: each term as a word's beginning or all of a CJK run's characters)."""
        if not query.terms:
            return []
        found: set[int] = set()
        if set(fields) & set(NAME_FIELDS):
            found |= _all_of(self._term(self.names, self.name_words, t, True) for t in query.terms)
        if "quote" in fields:
            found |= _all_of(
                self._term(self.quotes, self.quote_words, t, False) for t in query.terms
            )
        return sorted(found)

    def _term(self, postings: Postings, words: list[str], term: Term, fuzzy: bool) -> set[int]:
        if term.cjk:  # as a substring: all its bigrams; near: half of them (see `_near`)
            grams = bigrams(term.text)
            if not fuzzy or len(grams) == 1:
                return _all_of(set(postings.get(gram, ())) for gram in set(grams))
            counts = Counter[int]()
            for gram in grams:
                counts.update(postings.get(gram, ()))
            return {number for number, count in counts.items() if count >= len(grams) / 2}
        found: set[int] = set()
        at = bisect_left(words, term.text)
        while at < len(words) and words[at].startswith(term.text):
            found.update(postings[words[at]])
            at += 1
        limit = max_edits(term.text) if fuzzy else 0
        for length in range(len(term.text) - limit, len(term.text) + limit + 1) if limit else ():
            for word in self.by_length.get(length, ()):
                if osa(term.text, word, limit) <= limit:
                    found.update(postings[word])
        return found

    # -- the static site's copy -------------------------------------------------------------

    def as_json(
        self, release: Release, href: Callable[[str], str | None], langs: Iterable[str]
    ) -> dict[str, Any]:
        """The index as the browser's search reads it (search.js): each entity with its link
        and its label and class in each of `langs`; each value with its field and entities."""
        langs = list(langs)
        classes = sorted({e.cls for e in self.entities if e.cls})
        class_number = {cls: n for n, cls in enumerate(classes)}
        return {
            "format": "cskg-search/1",
            "fields": list(FIELDS),
            "langs": langs,
            "classes": [[release.label(cls, lang) for lang in langs] for cls in classes],
            "entities": [
                [e.iri, href(e.iri), class_number.get(e.cls or "", -1)]
                + [release.label(e.iri, lang) for lang in langs]
                for e in self.entities
            ],
            "values": [[FIELDS.index(v.field), v.text, list(v.entities)] for v in self.values],
        }


def _all_of(sets: Iterable[set[int]]) -> set[int]:
    """The intersection of `sets`, smallest first."""
    ordered = sorted(sets, key=len)
    if not ordered:
        return set()
    found = set(ordered[0])
    for other in ordered[1:]:
        found &= other
    return found


def _names(release: Release, iri: str, number: int) -> list[Value]:
    """The labels, aliases, prefixed and local name of an entity, without repeats."""
    alias = LABEL_PROPERTIES.index(SKOS_ALT_LABEL)
    entries = sorted(release.label_statements.get(iri, ()), key=lambda e: (e[1], e[0], e[2]))
    texts = [("alias" if rank == alias else "label", text) for _lang, rank, text in entries]
    name = compact(iri)
    texts += [("name", name)] if not name.startswith("<") else []
    texts.append(("name", local_name(iri)))
    seen: set[tuple[str, str]] = set()
    out = []
    for field, text in texts:
        norm = normalise(text)
        if norm and (field, norm) not in seen:
            seen.add((field, norm))
            out.append(Value(field, text, norm, (number,)))
    return out


def _classes(release: Release, named: dict[str, int]) -> dict[str, str]:
    """Entity -> its most specific asserted class (the project's own first, then by IRI)."""
    types: dict[str, set[str]] = defaultdict(set)
    for s, c in release.store.query(_TYPES_QUERY).rows:
        if s is not None and c is not None and s.value in named:
            types[s.value].add(c.value)
    out = {}
    for iri, found in types.items():
        above = set().union(*(release.superclasses.get(c, frozenset()) for c in found))
        specific = (found - above) or found
        out[iri] = min(specific, key=lambda c: (not c.startswith(CSKG), c))
    return out


def _quotes(release: Release, named: dict[str, int]) -> list[Value]:
    """One value per evidence quote: the entities its sentence states something about."""
    about: dict[str, set[int]] = defaultdict(set)
    for g, x in release.store.query(_MENTIONS_QUERY).rows:
        if g is not None and x is not None and x.value in named:
            about[g.value].add(named[x.value])
    out = []
    for graph in sorted(about):
        evidence = release.evidence.get(graph)
        if evidence is not None and evidence.quote and (norm := normalise(evidence.quote)):
            out.append(Value("quote", evidence.quote, norm, tuple(sorted(about[graph]))))
    return out


# -- what a search answers ----------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """An entity found, as the site's results page, its JSON and `cskg search` show it: its label
    and class in the language asked for, the field that matched, a snippet of the value with the
    match's `marks` (character offsets into the snippet), and where it is (`href`)."""

    iri: str
    label: str
    cls: str | None
    score: float
    field: str
    snippet: str
    marks: tuple[Span, ...]
    href: str | None

    def as_json(self) -> dict[str, Any]:
        """One result of `/search?format=json` and `cskg search --format json` (README)."""
        return {
            "iri": self.iri,
            "label": self.label,
            "class": self.cls,
            "score": round(self.score, 4),
            "field": self.field,
            "snippet": self.snippet,
            "marks": [list(mark) for mark in self.marks],
            "href": self.href,
        }

    @property
    def parts(self) -> list[tuple[str, bool]]:
        """The snippet cut at its marks: (text, marked) pieces."""
        out, at = [], 0
        for start, end in self.marks:
            out += [(self.snippet[at:start], False), (self.snippet[start:end], True)]
            at = end
        return [part for part in [*out, (self.snippet[at:], False)] if part[0]]


def find(
    release: Release,
    text: str,
    *,
    lang: str = "en",
    limit: int = DEFAULT_RESULTS,
    href: Callable[[str], str | None] = lambda iri: iri,
) -> list[Result]:
    """The entities `text` finds in the release, best first, labelled in `lang` (the release's
    label rule); `href` says where each is (by default its IRI)."""
    out = []
    for hit in index_of(release).search(text, limit=limit):
        shown, marks = snippet(hit.text, hit.marks)
        cls = release.label(hit.cls, lang) if hit.cls else None
        label = release.label(hit.iri, lang)
        out.append(Result(hit.iri, label, cls, hit.score, hit.field, shown, marks, href(hit.iri)))
    return out


_INDEXES: WeakKeyDictionary[Release, SearchIndex] = WeakKeyDictionary()
_BUILDING = threading.Lock()


def index_of(release: Release) -> SearchIndex:
    """The release's index, built the first time it is asked for and kept as long as the
    release is (the server's pinned release keeps its own)."""
    with _BUILDING:
        found = _INDEXES.get(release)
        if found is None:
            _INDEXES[release] = found = SearchIndex.build(release)
        return found
