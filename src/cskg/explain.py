"""Why the release holds an inferred statement: the rule that produced it and its premises.

The build's reasoner (`cskg.build.reason`) materialises the OWL 2 RL closure of the ontology and
the data and keeps only its instance-level part (no schema triples, no types from the RDF, RDFS,
OWL or XSD vocabularies, nothing about anonymous classes); the build's own date rule
(`cskg.build.dates`) adds `cskg:earliest` and `cskg:latest`. All of them go to the graph
`<https://w3id.org/cskg/graph/inferred>`. `explain` finds, for one statement of that graph, a
rule of `RULES` and the statements it came from, by trying each rule's pattern with SPARQL over
the release's named graphs: the asserted ones (the sentences of the paper, the curation and
translation graphs, the document), the ontology, and the inferred graph itself for premises that
are inferred in turn. A premise that is only inferred is explained the same way, so an
explanation is a proof tree; the shortest one is chosen (iterative deepening, at most
`MAX_STEPS` rule steps deep), preferring premises stated by the paper.

The rules are the OWL 2 RL rules (W3C OWL 2 Profiles, section 4.3, tables 4–9) that can produce a
statement the release keeps: class membership through `rdfs:subClassOf` (cax-sco) or
`owl:equivalentClass` (cax-eqc1/2), `rdfs:domain` (prp-dom) and `rdfs:range` (prp-rng);
property statements through `rdfs:subPropertyOf` (prp-spo1), `owl:equivalentProperty`
(prp-eqp1/2), `owl:inverseOf` (prp-inv1/2), `owl:TransitiveProperty` (prp-trp) and
`owl:SymmetricProperty` (prp-symp); `owl:sameAs` through functional and inverse-functional
properties (prp-fp, prp-ifp) and its symmetry (eq-sym). The schema rules (scm-*) produce only
triples the release leaves out, and their effect shows as a chain: a type two classes up is
explained by the type one class up, itself inferred.

>>> release = Release.open(DIST)
>>> change = Term.iri("https://w3id.org/cskg/id/change/emergence-of-leading-enterprises")
>>> westone = Term.iri("https://w3id.org/cskg/id/enterprise/westone-information-industry")
>>> why = explain(release, (change, Term.iri(CSKG + "relatesTo"), westone))
>>> why.rule.axiom, why.steps
('rdfs:subPropertyOf', 2)
>>> print(format_text(why, release), end="")
change:emergence-of-leading-enterprises cskg:relatesTo ent:westone-information-industry
  by prp-spo1 (rdfs:subPropertyOf), derived in 2 steps, from:
  change:emergence-of-leading-enterprises cskg:actor ent:westone-information-industry  [inferred]
    by prp-spo1 (rdfs:subPropertyOf), from:
    change:emergence-of-leading-enterprises cskg:leadingEnterprise ent:westone-...  [§3.2]
      “...”
    cskg:leadingEnterprise rdfs:subPropertyOf cskg:actor  [ontology]
  cskg:actor rdfs:subPropertyOf cskg:relatesTo  [ontology]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cskg.build.dates import first_and_last_day
from cskg.errors import CskgError
from cskg.query.model import Term
from cskg.release import Release, graph_kind
from cskg.vocab import CSKG, GRAPH_INFERRED, GRAPH_ONTOLOGY, OWL, RDF_TYPE, RDFS

#: the deepest proof `explain` looks for; a statement needing more is said to need more
MAX_STEPS = 3
#: the candidate premises a rule's query returns at most (a hub has many statements)
CANDIDATES = 64

Triple = tuple[Term, Term, Term]

# the IRIs the rules' patterns name
_A, _SUB_CLASS, _DOMAIN, _RANGE = RDF_TYPE, RDFS + "subClassOf", RDFS + "domain", RDFS + "range"
_SUB_PROPERTY, _INVERSE, _SAME = RDFS + "subPropertyOf", OWL + "inverseOf", OWL + "sameAs"
_EQ_CLASS, _EQ_PROPERTY = OWL + "equivalentClass", OWL + "equivalentProperty"
_DATE, _END_DATE, _EARLIEST, _LATEST = (CSKG + n for n in ("date", "endDate", "earliest", "latest"))


@dataclass(frozen=True)
class Rule:
    """An inference rule: the premises it needs (triple patterns over the conclusion's `?s ?p
    ?o` and variables of its own) and which conclusions it can give (`concludes`: a predicate
    IRI, or "" for any other property); `check` vets a match the patterns cannot."""

    name: str  # as in the OWL 2 RL tables, or cskg-… for the build's own rules
    axiom: str  # the term of the axiom it applies (rdfs:subClassOf, …)
    says: str  # what it says, in a sentence
    concludes: str
    premises: tuple[tuple[str, str, str], ...]
    check: Callable[[dict[str, Term], Triple], bool] | None = None
    where: str = ""  # more SPARQL for the match (over ?s ?p ?o)

    def applies_to(self, predicate: str) -> bool:
        if self.concludes:
            return predicate == self.concludes
        return predicate not in (_A, _SAME, _EARLIEST, _LATEST)


def _day(bindings: dict[str, Term], conclusion: Triple, which: int) -> bool:
    """The build's date rule: the conclusion's day is the first (0) or last (1) day of `?v`."""
    import pyoxigraph as ox

    value = bindings.get("v")
    if value is None or value.kind != "literal" or value.datatype is None:
        return False
    days = first_and_last_day(ox.Literal(value.value, datatype=ox.NamedNode(value.datatype)))
    return days is not None and days[which] == conclusion[2].value


def _first_day(bindings: dict[str, Term], conclusion: Triple) -> bool:
    return _day(bindings, conclusion, 0)


def _last_day(bindings: dict[str, Term], conclusion: Triple) -> bool:
    return _day(bindings, conclusion, 1)


_TRANSITIVE, _SYMMETRIC = OWL + "TransitiveProperty", OWL + "SymmetricProperty"
_FUNCTIONAL, _INVERSE_FUNCTIONAL = OWL + "FunctionalProperty", OWL + "InverseFunctionalProperty"
_NO_END_DATE = f"FILTER NOT EXISTS {{ ?s <{_END_DATE}> ?end }}"

#: every rule `explain` tries, in the order it reports ties
RULES: tuple[Rule, ...] = (
    Rule(
        "cax-sco", "rdfs:subClassOf", "A member of a class is a member of its superclass.",
        _A, (("?s", _A, "?c"), ("?c", _SUB_CLASS, "?o")),
    ),
    Rule(
        "cax-eqc1", "owl:equivalentClass", "A member of a class belongs to an equivalent class.",
        _A, (("?s", _A, "?c"), ("?c", _EQ_CLASS, "?o")),
    ),
    Rule(
        "cax-eqc2", "owl:equivalentClass", "A member of a class belongs to an equivalent class.",
        _A, (("?s", _A, "?c"), ("?o", _EQ_CLASS, "?c")),
    ),
    Rule(
        "prp-dom", "rdfs:domain", "What a property is stated of belongs to the property's domain.",
        _A, (("?s", "?q", "?y"), ("?q", _DOMAIN, "?o")),
    ),
    Rule(
        "prp-rng", "rdfs:range", "What a property points to belongs to the property's range.",
        _A, (("?x", "?q", "?s"), ("?q", _RANGE, "?o")),
    ),
    Rule(
        "prp-spo1", "rdfs:subPropertyOf", "A statement holds with the property's super-property.",
        "", (("?s", "?q", "?o"), ("?q", _SUB_PROPERTY, "?p")),
    ),
    Rule(
        "prp-eqp1", "owl:equivalentProperty", "A statement holds with an equivalent property.",
        "", (("?s", "?q", "?o"), ("?q", _EQ_PROPERTY, "?p")),
    ),
    Rule(
        "prp-eqp2", "owl:equivalentProperty", "A statement holds with an equivalent property.",
        "", (("?s", "?q", "?o"), ("?p", _EQ_PROPERTY, "?q")),
    ),
    Rule(
        "prp-inv1", "owl:inverseOf", "A statement holds the other way round with the inverse.",
        "", (("?o", "?q", "?s"), ("?q", _INVERSE, "?p")),
    ),
    Rule(
        "prp-inv2", "owl:inverseOf", "A statement holds the other way round with the inverse.",
        "", (("?o", "?q", "?s"), ("?p", _INVERSE, "?q")),
    ),
    Rule(
        "prp-trp", "owl:TransitiveProperty", "A transitive property chains: a–b and b–c give a–c.",
        "", (("?s", "?p", "?y"), ("?y", "?p", "?o"), ("?p", _A, _TRANSITIVE)),
    ),
    Rule(
        "prp-symp", "owl:SymmetricProperty", "A symmetric property holds both ways.",
        "", (("?o", "?p", "?s"), ("?p", _A, _SYMMETRIC)),
    ),
    Rule(
        "prp-fp", "owl:FunctionalProperty", "Two values of a functional property are the same.",
        _SAME, (("?x", "?q", "?s"), ("?x", "?q", "?o"), ("?q", _A, _FUNCTIONAL)),
    ),
    Rule(
        "prp-ifp", "owl:InverseFunctionalProperty",
        "Two subjects of an inverse-functional property with one value are the same.",
        _SAME, (("?s", "?q", "?x"), ("?o", "?q", "?x"), ("?q", _A, _INVERSE_FUNCTIONAL)),
    ),
    Rule("eq-sym", "owl:sameAs", "Sameness holds both ways.", _SAME, (("?o", _SAME, "?s"),)),
    # the build's date rule (cskg.build.dates): the first and last day a date stands for
    Rule(
        "cskg-earliest", "cskg:date", "The earliest day is the first day of the date.",
        _EARLIEST, (("?s", _DATE, "?v"),), _first_day,
    ),
    Rule(
        "cskg-latest-end", "cskg:endDate", "The latest day is the last day of the end date.",
        _LATEST, (("?s", _END_DATE, "?v"),), _last_day,
    ),
    Rule(
        "cskg-latest", "cskg:date", "With no end date, the latest day is the date's last day.",
        _LATEST, (("?s", _DATE, "?v"),), _last_day, _NO_END_DATE,
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Premise:
    """A statement a rule step used: the named graphs that state it (the inferred graph alone
    when it is inferred too) and, when inferred, its own explanation (None beyond the bound)."""

    triple: Triple
    graphs: tuple[str, ...]
    because: Explanation | None = None

    @property
    def inferred(self) -> bool:
        return self.graphs == (GRAPH_INFERRED,)

    @property
    def schema(self) -> bool:
        """An axiom of the ontology (rdfs:subClassOf, owl:inverseOf, …)."""
        return GRAPH_ONTOLOGY in self.graphs


@dataclass(frozen=True)
class Explanation:
    """One rule step and its premises; `steps` is the depth of the whole proof (1: straight from
    asserted statements), None when no proof of at most `MAX_STEPS` steps was found (the
    premises of the first rule that matches are shown, unexplained)."""

    triple: Triple
    rule: Rule | None
    premises: tuple[Premise, ...] = ()
    steps: int | None = None


class NotInferred(CskgError):
    """The statement is not in the release's inferred graph."""


@dataclass
class _Candidate:
    rule: Rule
    premises: tuple[Premise, ...]


def _substitute(text: str, triple: Triple) -> str:
    """SPARQL with `?s`, `?p`, `?o` replaced by the conclusion's terms."""
    given = {"?s": triple[0].n3(), "?p": triple[1].n3(), "?o": triple[2].n3()}
    return re.sub(r"\?[spo]\b", lambda m: given[m[0]], text)


def _pattern(pattern: tuple[str, str, str]) -> str:
    return " ".join(part if part.startswith("?") else f"<{part}>" for part in pattern)


def _variables(rule: Rule) -> list[str]:
    names = {part[1:] for pattern in rule.premises for part in pattern if part.startswith("?")}
    return sorted(names - {"s", "p", "o"})


class _Search:
    """One explanation's search: each statement's candidate rule steps are queried once."""

    def __init__(self, release: Release) -> None:
        self.release = release
        self.found: dict[Triple, list[_Candidate]] = {}

    def candidates(self, triple: Triple) -> list[_Candidate]:
        if triple not in self.found:
            found: list[_Candidate] = []
            for rule in RULES:
                if rule.applies_to(triple[1].value):
                    found += self._matches(rule, triple)
            found.sort(key=_preference)
            self.found[triple] = found
        return self.found[triple]

    def _matches(self, rule: Rule, triple: Triple) -> list[_Candidate]:
        """The premises of `rule` that give `triple`: one query, graphs and all."""
        blocks = " ".join(
            f"GRAPH ?g{i} {{ {_pattern(pattern)} }}" for i, pattern in enumerate(rule.premises)
        )
        blocks = _substitute(blocks + " " + rule.where, triple)
        names = _variables(rule)
        graph_vars = [f"g{i}" for i in range(len(rule.premises))]
        select = " ".join(f"?{n}" for n in [*names, *graph_vars])
        text = f"SELECT DISTINCT {select} WHERE {{ {blocks} }} LIMIT {CANDIDATES * 4}"
        grouped: dict[tuple[Term | None, ...], list[set[str]]] = {}
        for row in self.release.store.query(text).rows:
            key = row[: len(names)]
            slots = grouped.setdefault(key, [set() for _ in rule.premises])
            for slot, graph in zip(slots, row[len(names) :], strict=True):
                if graph is not None:
                    slot.add(graph.value)
        out = []
        for key, slots in list(grouped.items())[:CANDIDATES]:
            bindings = {n: t for n, t in zip(names, key, strict=True) if t is not None}
            if rule.check is not None and not rule.check(bindings, triple):
                continue
            premises = tuple(
                Premise(_bind(pattern, triple, bindings), _stated(graphs))
                for pattern, graphs in zip(rule.premises, slots, strict=True)
            )
            if all(p.triple != triple for p in premises):
                out.append(_Candidate(rule, premises))
        return out

    def prove(self, triple: Triple, budget: int, path: frozenset[Triple]) -> Explanation | None:
        """The shortest proof of `triple` of at most `budget` steps, avoiding the statements on
        `path` (those being proved above it)."""
        best: Explanation | None = None
        for candidate in self.candidates(triple):
            if any(p.triple in path for p in candidate.premises):
                continue
            premises: list[Premise] = []
            for premise in candidate.premises:
                if premise.inferred:
                    if budget <= 1:
                        break
                    sub = self.prove(premise.triple, budget - 1, path | {triple})
                    if sub is None:
                        break
                    premise = Premise(premise.triple, premise.graphs, sub)
                premises.append(premise)
            else:
                steps = 1 + max((p.because.steps or 0 for p in premises if p.because), default=0)
                if best is None or steps < (best.steps or 0):
                    best = Explanation(triple, candidate.rule, tuple(premises), steps)
                if steps == 1:  # none shorter
                    return best
        return best


def _stated(graphs: set[str]) -> tuple[str, ...]:
    """The graphs that state a premise: the asserted ones if any (an inferred statement is never
    asserted too, `cskg.build.reason`), evidence graphs first."""
    asserted = sorted(
        graphs - {GRAPH_INFERRED}, key=lambda g: (g == GRAPH_ONTOLOGY, "/evidence/" not in g, g)
    )
    return tuple(asserted) or (GRAPH_INFERRED,)


def _bind(pattern: tuple[str, str, str], triple: Triple, bindings: dict[str, Term]) -> Triple:
    given = {"?s": triple[0], "?p": triple[1], "?o": triple[2]}
    given.update({f"?{name}": term for name, term in bindings.items()})
    terms = [given[part] if part.startswith("?") else Term.iri(part) for part in pattern]
    return terms[0], terms[1], terms[2]


def _preference(candidate: _Candidate) -> tuple[int, int, int, str]:
    """Fewer inferred premises first, then premises the paper states, then a stable order."""
    inferred = sum(p.inferred for p in candidate.premises)
    not_paper = sum(
        not any("/evidence/" in g for g in p.graphs) and not p.schema for p in candidate.premises
    )
    text = " ".join(t.n3() for p in candidate.premises for t in p.triple)
    return inferred, not_paper, RULES.index(candidate.rule), text


def is_inferred(release: Release, triple: Triple) -> bool:
    """Whether `triple` is in the release's inferred graph."""
    where = " ".join(t.n3() for t in triple)
    return bool(release.store.query(f"ASK {{ GRAPH <{GRAPH_INFERRED}> {{ {where} }} }}").boolean)


def explain(release: Release, triple: Triple, *, max_steps: int = MAX_STEPS) -> Explanation:
    """Why the release holds the inferred `triple` (see the module docstring); `NotInferred`
    when it is not in the inferred graph."""
    if any(t.kind == "bnode" for t in triple):
        raise NotInferred("a statement about a blank node cannot be looked up by its label")
    if not is_inferred(release, triple):
        raise NotInferred(f"{' '.join(t.n3() for t in triple)} is not an inferred statement")
    search = _Search(release)
    for budget in range(1, max_steps + 1):
        found = search.prove(triple, budget, frozenset())
        if found is not None:
            return found
    candidates = search.candidates(triple)
    if not candidates:
        return Explanation(triple, None)
    return Explanation(triple, candidates[0].rule, candidates[0].premises, None)


def premises_of(explanation: Explanation) -> Iterable[Premise]:
    """Every premise of the proof, depth first (the inferred ones with their own)."""
    for premise in explanation.premises:
        yield premise
        if premise.because is not None:
            yield from premises_of(premise.because)


def format_text(explanation: Explanation, release: Release) -> str:
    """The proof as indented text: each statement with where it is stated (a section of the
    paper with its quote, editorial, ontology, inferred), each rule step under its conclusion."""
    from cskg.query.results import compact

    def statement(triple: Triple) -> str:
        return " ".join(compact(t.value) if t.kind == "iri" else t.n3() for t in triple)

    def step(why: Explanation, indent: str) -> list[str]:
        if why.rule is None:
            return [f"{indent}by no rule cskg knows"]
        depth = f", derived in {why.steps} steps" if (why.steps or 0) > 1 else ""
        if why.steps is None:
            depth = f", derived in more than {MAX_STEPS} steps"
        lines = [f"{indent}by {why.rule.name} ({why.rule.axiom}){depth}, from:"]
        for premise in why.premises:
            lines += premise_lines(premise, indent)
        return lines

    def premise_lines(premise: Premise, indent: str) -> list[str]:
        where, quotes = [], []
        for graph in premise.graphs:
            evidence = release.evidence.get(graph)
            if evidence is not None:
                where.append(f"§{evidence.number}" if evidence.number else compact(graph))
                quotes += [f"{indent}  “{evidence.quote}”"] if evidence.quote else []
            else:
                where.append(graph_kind(graph))
        lines = [f"{indent}{statement(premise.triple)}  [{', '.join(where)}]", *quotes]
        return lines + (step(premise.because, indent + "  ") if premise.because else [])

    return "\n".join([statement(explanation.triple), *step(explanation, "  ")]) + "\n"
