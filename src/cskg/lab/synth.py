"""`cskg synth`: a synthetic corpus of N papers shaped like the real one, for scale tests.

Each synthetic paper is the real paper's modelling with new content. The *structure* is taken
from the project's own `data/` (the template): the same evidence graphs, one per sentence, with
section and quote; the same causal claims with their modality and, for realised ones, the
shortcut; the same Data Cube tables; the same plans, laws, agencies, enterprises and
technologies with their issuers, dates and links. What changes, paper by paper:

* every IRI under `https://w3id.org/cskg/id/` (but SKOS concepts) and every evidence graph
  gets a per-paper segment: `agency:miit` of paper 42 is `agency:p0042-miit`, `ev:x` is
  `ev:p0042-x`, the paper itself `doc:p0042-paper`, its sections `sec:p0042-3-1`; papers never
  collide, and SKOS concepts (areas, units, segments, chain levels, ...) are shared, as they
  would be between real papers, so the library queries aggregate over the whole corpus;
* every language-tagged text about a renamed resource is new: quotes are synthetic sentences,
  names are synthetic English (@en) and Chinese (@zh) phrases of the template's length;
* the tables get new numbers, drawn for the paper and kept consistent the way the shapes and
  queries check them: market sizes form a series, each growth rate is computed from the printed
  sizes of that series (the year before the first printed one is drawn but not printed) and
  printed rounded to the template's decimals, and the shares of each product-mix row sum to
  exactly 100.0; `cskg:printedValue` is the value as printed;
* the DOI is a synthetic one under the test prefix 10.5555.

The quotes are not sentences of any paper, so the check that every quote occurs in the source
text applies to the project's `data/` only. Paper `i` depends only on the seed and `i`, so a
corpus of N papers is the first N papers of any larger one, its size is exactly N times one
paper's, and the same seed gives the same bytes.

The output is a project folder: `OUT/data/paper-0001.trig` ..., plus copies of the project's
`ontology/` (with the shapes) and library `queries/`, so that `cskg --root OUT build` builds it.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pyoxigraph as ox

from cskg import outdir
from cskg.build.partition import ID_BASE, paper_local
from cskg.build.sources import load_sources, serialized
from cskg.errors import CskgError
from cskg.vocab import (
    BIBO,
    CONCEPT,
    CSKG,
    GRAPH_ONTOLOGY,
    LABEL_PROPERTIES,
    PREFIXES,
    QB,
    SH,
    XSD_DECIMAL,
)

DECIMAL = ox.NamedNode(XSD_DECIMAL)
BIBO_DOI = BIBO + "doi"
QUOTE = CSKG + "quote"
PRINTED = CSKG + "printedValue"
MEASURES = {CSKG + "marketSize", CSKG + "growthRate", CSKG + "productShare"}
NAME_PREDICATES = frozenset(LABEL_PROPERTIES)
Term = ox.NamedNode | ox.BlankNode | ox.Literal

_WORD_TEXT = (
    "national security network information cyberspace industry cloud data platform service "
    "software hardware system protection development strategy technology innovation "
    "enterprise market infrastructure control defence monitoring encryption identity "
    "application mobile internet standard certification management policy research centre "
    "committee office bureau administration programme plan law regulation capability "
    "critical emerging integrated secure trusted domestic regional global open digital "
    "intelligent advanced key core public private joint strategic operational technical "
    "growth investment supply chain product terminal device computing storage analytics "
    "threat risk response incident assessment audit access border alliance"
)
_WORDS = tuple(_WORD_TEXT.split())
_VERB_TEXT = (
    "supports strengthens promotes requires establishes improves accelerates expands "
    "coordinates guides regulates funds enables drives protects reviews"
)
_VERBS = tuple(_VERB_TEXT.split())
_HAN = (
    "国家网络信息安全产业发展战略技术创新企业市场服务软件硬件系统保护管理政策研究中心委员会"
    "办公室局规划法律标准认证云数据平台基础设施控制监测加密身份应用移动互联开放数字智能关键核心"
    "公共联合运营投资供应链产品终端设备计算存储分析威胁风险响应评估审计访问联盟"
)


@dataclass
class SynthResult:
    out: Path
    papers: int
    seed: int
    triples_per_paper: list[int]
    files: list[Path]

    @property
    def triples(self) -> int:
        return sum(self.triples_per_paper)


def synth(root: Path, out: Path, papers: int, seed: int = 0) -> SynthResult:
    """Write a corpus of `papers` synthetic papers into the project folder `out`."""
    if papers < 1:
        raise CskgError("--papers must be at least 1")
    root, out = Path(root).resolve(), Path(out).resolve()
    if out == root:
        raise CskgError("the synthetic corpus cannot be written over the project itself")
    template = [q for q in load_sources(root).quads if _graph(q) != GRAPH_ONTOLOGY]
    if not template:
        raise CskgError(f"{root / 'data'}: no data to take the papers' shape from")
    prefixes = {**PREFIXES, **_scheme_prefixes(template)}
    sizes: list[int] = []
    with outdir.writing(out, "corpus") as new:
        for folder in ("ontology", "queries"):
            shutil.copytree(
                root / folder,
                new / folder,
                ignore=shutil.ignore_patterns("expected", "__pycache__"),
            )
        _deactivate_paper_shapes(new / "ontology" / "shapes")
        (new / "data").mkdir()
        for i in range(1, papers + 1):
            quads = Paper(template, seed, i).quads()
            header = (
                f"# Synthetic paper {i} of `cskg synth --seed {seed}`: the structure of the "
                "real paper's data, new names, quotes and figures.\n"
            )
            body = serialized(quads, ox.RdfFormat.TRIG, prefixes)
            (new / "data" / _paper_file(i)).write_bytes(header.encode("utf-8") + body)
            sizes.append(len(quads))
    files = [out / "data" / _paper_file(i) for i in range(1, papers + 1)]
    return SynthResult(out, papers, seed, sizes, files)


def _paper_file(number: int) -> str:
    return f"paper-{number:04d}.trig"


def _graph(quad: ox.Quad) -> str:
    return quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else ""


class Paper:
    """One synthetic paper: the template with paper-local IRIs, texts and figures."""

    def __init__(self, template: list[ox.Quad], seed: int, number: int) -> None:
        self.template = template
        self.number = number
        self.tag = f"p{number:04d}"
        self.doi = f"10.5555/cskg-synth.{seed}.{number:04d}"
        # a string seed is hashed with SHA-512: the same on every platform and Python run
        self.rng = random.Random(f"cskg-synth:{seed}:{number}")
        self.texts: dict[tuple[str, str, str | None], str] = {}
        self.blanks: dict[ox.BlankNode, ox.BlankNode] = {}

    # -- terms ---------------------------------------------------------------------------------

    def iri(self, node: ox.NamedNode) -> ox.NamedNode:
        value = node.value
        if not paper_local(value):
            return node
        head, _, slug = value.rpartition("/")
        return ox.NamedNode(f"{head}/{self.tag}-{slug}")

    def node(self, term: ox.NamedNode | ox.BlankNode | ox.Triple) -> ox.NamedNode | ox.BlankNode:
        if isinstance(term, ox.Triple):
            raise CskgError("the template holds a quoted triple, which papers do not use")
        if isinstance(term, ox.BlankNode):
            found = self.blanks.get(term)
            if found is None:
                found = self.blanks[term] = ox.BlankNode(f"{self.tag}b{len(self.blanks)}")
            return found
        return self.iri(term)

    def text(self, predicate: str, literal: ox.Literal) -> ox.Literal:
        """A new text of the template's length; the same template text gives the same text."""
        key = (predicate, literal.value, literal.language)
        found = self.texts.get(key)
        if found is None:
            found = self.texts[key] = self._new_text(predicate, literal)
        return ox.Literal(found, language=literal.language)

    def _new_text(self, predicate: str, literal: ox.Literal) -> str:
        rng = self.rng
        if literal.language == "zh":
            size = max(2, min(24, len(literal.value)))
            return "".join(rng.choice(_HAN) for _ in range(size))
        size = max(2, min(30, len(literal.value.split())))
        if predicate == QUOTE:
            words = [rng.choice(_WORDS) for _ in range(max(6, size))]
            words.insert(min(2, len(words)), rng.choice(_VERBS))
            return " ".join(words).capitalize() + "."
        words = [rng.choice(_WORDS) for _ in range(size)]
        if predicate in NAME_PREDICATES:
            return " ".join(w.capitalize() for w in words)
        return " ".join(words).capitalize()

    # -- the paper -----------------------------------------------------------------------------

    def quads(self) -> list[ox.Quad]:
        figures = self._figures()
        out: list[ox.Quad] = []
        for q in self.template:
            s, p, o = q.subject, q.predicate, q.object
            local = isinstance(s, ox.BlankNode) or (
                isinstance(s, ox.NamedNode) and paper_local(s.value)
            )
            if isinstance(o, ox.Literal) and local:
                if (s, p.value) in figures:
                    o = figures[s, p.value]
                elif p.value == BIBO_DOI:
                    o = ox.Literal(self.doi)
                elif o.language:
                    o = self.text(p.value, o)
            elif not isinstance(o, ox.Literal):
                o = self.node(o)
            g = q.graph_name
            if isinstance(g, ox.NamedNode):
                g = self.iri(g)
            out.append(ox.Quad(self.node(s), p, o, g))
        return out

    def _observations(self) -> dict[object, dict[str, Term]]:
        """The template's table cells: each observation's Data Cube and cskg properties."""
        cells: dict[object, dict[str, Term]] = {}
        for q in self.template:
            if isinstance(q.object, ox.Triple):
                continue
            if q.predicate.value.startswith(QB) or q.predicate.value.startswith(CSKG):
                cells.setdefault(q.subject, {})[q.predicate.value] = q.object
        return {s: c for s, c in cells.items() if QB + "measureType" in c}

    def _figures(self) -> dict[tuple[object, str], ox.Literal]:
        """New values and printed values of every table cell, keyed by (observation, property)."""
        observations = self._observations()
        series: dict[tuple, list[tuple[str, object]]] = {}
        for obs, c in observations.items():
            measure = c[QB + "measureType"].value
            if measure not in MEASURES or PRINTED not in c:
                continue
            key: tuple[object, ...] = (c.get(QB + "dataSet"), c.get(CSKG + "refArea"), measure)
            if measure == CSKG + "productShare":  # one row: one table, area and year
                key = (*key, c.get(CSKG + "refYear"))
            series.setdefault(key, []).append((str(c[CSKG + "refYear"].value), obs))
        printed: dict[object, str] = {}
        # market sizes: one series per area and unit across the tables (a forecast table
        # continues the actual one), each year's value a drawn growth over the year before
        sizes: dict[str, dict[int, Decimal]] = {}
        market: dict[tuple[str, str], list[tuple[int, object]]] = {}
        for obs, c in observations.items():
            if c[QB + "measureType"].value == CSKG + "marketSize" and PRINTED in c:
                area, unit = str(c.get(CSKG + "refArea")), str(c.get(CSKG + "unit"))
                market.setdefault((area, unit), []).append((int(c[CSKG + "refYear"].value), obs))
        for area, unit in sorted(market):
            cells_in_order = sorted(market[area, unit], key=lambda pair: (pair[0], str(pair[1])))
            template_value = observations[cells_in_order[0][1]][PRINTED].value
            places = _places(template_value)
            value = Decimal(template_value) * Decimal(str(round(self.rng.uniform(0.5, 1.5), 3)))
            by_year = {cells_in_order[0][0] - 1: _round(value, places)}  # drawn, not printed
            for year, obs in cells_in_order:
                value *= Decimal(str(1 + round(self.rng.uniform(0.03, 0.35), 3)))
                by_year[year] = _round(value, places)
                printed[obs] = f"{by_year[year]:.{places}f}"
            sizes.setdefault(area, by_year)
        for key in sorted(series, key=str):
            row = sorted(series[key], key=lambda pair: (pair[0], str(pair[1])))
            if key[2] == CSKG + "growthRate":
                places = _places(observations[row[0][1]][PRINTED].value)
                by_year = sizes.get(str(key[1]), {})
                for year_text, obs in row:
                    year = int(year_text)
                    if year in by_year and year - 1 in by_year:
                        rate = (by_year[year] / by_year[year - 1] - 1) * 100
                    else:  # no printed series to compute it from
                        rate = Decimal(str(self.rng.uniform(3, 35)))
                    printed[obs] = f"{_round(rate, places):.{places}f}"
            elif key[2] == CSKG + "productShare":
                weights = [self.rng.uniform(1, 10) for _ in row]
                shares = [_round(Decimal(str(100 * w / sum(weights))), 1) for w in weights[:-1]]
                shares.append(Decimal(100) - sum(shares))  # the row sums to exactly 100.0
                for (_, obs), share in zip(row, shares, strict=True):
                    printed[obs] = f"{share:.1f}"
        figures: dict[tuple[object, str], ox.Literal] = {}
        for obs, text in printed.items():
            measure = observations[obs][QB + "measureType"].value
            figures[obs, measure] = ox.Literal(text, datatype=DECIMAL)
            figures[obs, PRINTED] = ox.Literal(text)
        return figures


def _deactivate_paper_shapes(folder: Path) -> None:
    """Switch off, in the corpus's copy, the shapes about the real paper's own resources.

    Shapes with `sh:targetNode dataset:table-1` and the like state facts of the real paper (Table 1
    has 12 cells); the synthetic papers have their own tables under other IRIs, so those shapes
    would fail on a node that is not there. They are deactivated (`sh:deactivated true`) in one
    added file; the project's shape files are copied unchanged.
    """
    target_node = SH + "targetNode"
    shapes = sorted(
        {
            q.subject.value
            for path in sorted(folder.glob("*.ttl"))
            for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
            if q.predicate.value == target_node
            and isinstance(q.subject, ox.NamedNode)
            and isinstance(q.object, ox.NamedNode)
            and q.object.value.startswith(ID_BASE)
            and not q.object.value.startswith(CONCEPT)
        }
    )
    lines = [
        "# Written by `cskg synth`: shapes about the real paper's own resources (sh:targetNode)",
        "# are switched off for the synthetic corpus, whose papers use other IRIs.",
        f"@prefix sh: <{SH}> .",
        "",
    ]
    lines += [f"<{shape}> sh:deactivated true ." for shape in shapes]
    (folder / "synthetic-corpus.ttl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _scheme_prefixes(quads: list[ox.Quad]) -> dict[str, str]:
    """`area:` for `concept:area/...` and so on, so that concepts are written as prefixed names."""
    schemes = {
        term.value[len(CONCEPT) :].partition("/")[0]
        for q in quads
        for term in (q.subject, q.object)
        if isinstance(term, ox.NamedNode) and term.value.startswith(CONCEPT)
    }
    return {
        scheme: f"{CONCEPT}{scheme}/"
        for scheme in sorted(schemes)
        if scheme.replace("-", "").isalpha() and scheme not in PREFIXES
    }


def _places(printed: str) -> int:
    return len(printed.partition(".")[2])


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
