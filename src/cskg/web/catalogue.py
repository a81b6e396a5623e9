"""The pages about the release as a whole: the home page, the dataset description (what the
VoID link tells machines, for people, with schema.org `Dataset` JSON-LD for dataset search
engines) and the instance lists of the classes.

An instance list is a table: each instance's name in the page's language and in the other one,
the section of the paper where it is first stated (the sentence that types it), and the key
properties of its class: its dates, then the properties whose domain is the class (or a class
above it), then those most of its instances have (`key_properties`). Its filters (by section,
by a class below the listed one, by modality) are GET parameters, so they work without
JavaScript; each value offered is one the list has, and any other is refused.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from markupsafe import Markup

from cskg.query.results import compact
from cskg.release import local_name
from cskg.vocab import (
    CSKG,
    GRAPH_INFERRED,
    PREFIXES,
    RDF_TYPE,
    RDFS,
    RELEASE_DATASET,
    RELEASE_DOWNLOADS,
    XSD,
)
from cskg.web.i18n import Message
from cskg.web.readable import date_text
from cskg.web.release_view import Linker, NotFound, ReleaseView, TermView, instance_path
from cskg.web.resource import CLAIM_PARTS, DATES, NAMES, ontology_sets

#: the downloads the home page offers (the dataset page: every file void.ttl lists)
HOME_DUMPS = ("cskg.nq", "cskg.trig", "ontology.ttl")
#: the columns of key properties an instance list shows at most
KEY_COLUMNS = 5
#: the share of a class's instances a property needs to be a key column (dates and the
#: properties of the class's own domain need none)
KEY_SHARE = 0.25
MODALITY = CSKG + "modality"
#: key columns in a fixed order
ORDERED = (*DATES, *CLAIM_PARTS.values())
#: the JSON-LD context of the dataset page's description for dataset search engines
SCHEMA_ORG = "https://schema.org"
#: how many example resources the dataset page shows
EXAMPLES = 6
#: why an instance list refuses a filter's value (a 404), by filter
REFUSED = {
    "section": "This list has no section {value}.",
    "class": "This list has no class {value}.",
    "modality": "This list has no modality {value}.",
}


def _web(value: Any) -> str | None:
    from cskg.web.release_view import is_web_iri

    return value if isinstance(value, str) and is_web_iri(value) else None


def home(release: ReleaseView, linker: Linker, lang: str) -> dict[str, Any]:
    """The dataset's title, counts, licence and source, and its classes with their instances."""
    dataset = release.dataset()
    classes = []
    for cls, count in release.class_counts:
        target = instance_path(cls)
        classes.append(
            {
                "label": release.name(cls, lang),
                "name": compact(cls),
                "count": count,
                "href": linker.page("/" + target, target + ".html") if target else None,
            }
        )
    return {
        "title": dataset.get("title", "cskg"),
        "dataset": dataset,
        "counts": dataset["counts"],
        "source_href": _web(dataset.get("source")),
        "license_href": _web(dataset.get("license")),
        "classes": classes,
        "dumps": [(name, linker.file(f"/dumps/{name}", f"dumps/{name}")) for name in HOME_DUMPS],
        "built": _built(dataset, lang),
    }


# -- the dataset description ------------------------------------------------------------------


def _public(linker: Linker, server: str, static: str, canonical: str) -> str:
    """The absolute URL of a page or file of the site: under the public base when the site
    has one (`--base`), else `canonical` (the IRI that redirects to it)."""
    if not _web(linker.prefix):
        return canonical
    return linker.prefix + (server if linker.static_from is None else "/" + static)


def dataset_page(
    release: ReleaseView, linker: Linker, lang: str, void_href: str | None
) -> dict[str, Any]:
    """What dataset.html shows, and its schema.org JSON-LD."""
    info = release.dataset()
    dumps = [
        (name, media, linker.file(f"/dumps/{name}", f"dumps/{name}"))
        for name, media in info["distributions"]
        if (release.dist / name).is_file()
    ]
    counts = info["counts"]
    ranked = sorted(
        ((c, n) for c, n in release.class_counts if c.startswith(CSKG)), key=lambda cn: -cn[1]
    )
    examples = [
        (release.iri_view(cls, linker, lang), release.iri_view(example, linker, lang))
        for cls, _ in ranked[:EXAMPLES]
        for example in release.examples(cls, 1)
    ]
    page = _public(linker, "/dataset", "dataset.html", RELEASE_DATASET)
    jsonld = {
        "@context": SCHEMA_ORG,
        "@type": "Dataset",
        "@id": RELEASE_DATASET,
        "name": info.get("title", "cskg"),
        "description": info.get("description", ""),
        "url": page,
        "license": info.get("license"),
        "version": info.get("version"),
        "dateModified": info.get("built"),
        "isBasedOn": {"@type": "ScholarlyArticle", "@id": info.get("source")},
        "inLanguage": ["en", "zh"],
        "distribution": [
            {
                "@type": "DataDownload",
                "name": name,
                "encodingFormat": media,
                "contentUrl": _public(
                    linker, f"/dumps/{name}", f"dumps/{name}", RELEASE_DOWNLOADS + name
                ),
            }
            for name, media, _href in dumps
        ],
    }
    jsonld = {k: v for k, v in jsonld.items() if v not in (None, "")}
    return {
        "title": info.get("title", "cskg"),
        "built": _built(info, lang),
        "dataset": info,
        "counts": counts,
        "source_href": _web(info.get("source")),
        "license_href": _web(info.get("license")),
        "dumps": dumps,
        "void_href": void_href,
        "examples": examples,
        "jsonld": Markup(_script_json(jsonld)),
    }


def _built(info: dict[str, Any], lang: str) -> str:
    """When the release was built, written in `lang`."""
    built = info.get("built") or ""
    return date_text(built, XSD + "dateTime", lang) or built


def _script_json(data: Any) -> str:
    """JSON to put inside a <script> element: `<`, `>` and `&` escaped, so that no string can
    close the element."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# -- instance lists -----------------------------------------------------------------------------


@dataclass
class InstanceRow:
    item: TermView
    other_label: str | None
    section: str | None  # the number of the section where it is first stated
    section_href: str | None
    columns: list[list[TermView]]
    classes: set[str] = field(default_factory=set)
    modalities: set[str] = field(default_factory=set)


def the_class(params: dict[str, Any]) -> str:
    """The class `params` names as `prefix` and `local`; NotFound unless it could be one."""
    namespace = PREFIXES.get(params.get("prefix", ""))
    local = params.get("local", "")
    if namespace is None or not local.replace("-", "").replace("_", "").isalnum():
        raise NotFound(Message("No such class."))
    return namespace + local


def key_properties(release: ReleaseView, cls: str) -> list[str]:
    """The key columns of the instance list of `cls` (see the module docstring)."""
    text = (
        f"SELECT ?p (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a <{cls}> . GRAPH ?g {{ ?s ?p ?o }} "
        f"FILTER(?g != <{GRAPH_INFERRED}>) }} GROUP BY ?p"
    )
    used = {r["p"].value: int(r["n"].value) for r in release.select(text)}
    total = max(1, len(release.instances(cls)))
    evidence = ontology_sets(release)[1]
    own = {cls} | set(release.data.superclasses.get(cls, ()))
    domains = release.axioms.get(RDFS + "domain", {})
    ranked = []
    for prop, count in used.items():
        if prop in NAMES or prop == RDF_TYPE or prop in evidence or "prov#" in prop:
            continue
        dated, in_domain = prop in DATES, bool(set(domains.get(prop, ())) & own)
        if dated or in_domain or count / total >= KEY_SHARE:
            # dates, then the class's own properties (a claim's in the order of its sentence:
            # cause, relation, effect, modality), then the most used
            rank = ORDERED.index(prop) if prop in ORDERED else len(ORDERED)
            ranked.append(
                (not dated, not in_domain, rank, -count, release.name(prop).lower(), prop)
            )
    return [r[-1] for r in sorted(ranked)][:KEY_COLUMNS]


def _first_sections(release: ReleaseView, cls: str) -> dict[str, tuple[tuple[int, ...], str, str]]:
    """instance -> (sort key, number, IRI) of the earliest section whose sentence types it."""
    text = f"SELECT ?s ?g WHERE {{ ?s a <{cls}> . GRAPH ?g {{ ?s a ?t }} }}"
    found: dict[str, tuple[tuple[int, ...], str, str]] = {}
    for row in release.select(text):
        evidence = release.data.evidence.get(row["g"].value)
        if evidence is None or not evidence.number or not evidence.section:
            continue
        key = tuple(int(p) for p in evidence.number.split(".") if p.isdigit())
        entry = (key, evidence.number, evidence.section)
        subject = row["s"].value
        if subject not in found or entry < found[subject]:
            found[subject] = entry
    return found


#: (instance, property) -> its values
Values = dict[tuple[str, str], list[Any]]


def _values(
    release: ReleaseView, cls: str, props: list[str], subjects: list[str] | None = None
) -> Values:
    """(instance, property) -> the values, of every instance of `cls` or of `subjects` only.

    One simple pattern per property: a join of every property at once under DISTINCT costs the
    engine three times as much (0.6 s against 0.2 s for 10,800 claims)."""
    out: Values = defaultdict(list)
    only = (
        f"VALUES ?s {{ {' '.join(f'<{s}>' for s in subjects)} }} " if subjects is not None else ""
    )
    for prop in props:
        text = f"SELECT ?s ?o WHERE {{ {only}?s a <{cls}> ; <{prop}> ?o }}"
        for row in release.select(text):
            values = out[(row["s"].value, prop)]
            if row["o"] not in values:
                values.append(row["o"])
    return out


def instance_rows(
    release: ReleaseView, linker: Linker, cls: str, lang: str
) -> tuple[list[str], list[InstanceRow]]:
    """The key properties of `cls` and a row for each of its instances, by name, with what the
    filters need; `fill_columns` adds the key columns to the rows that are shown (a class of
    thousands of instances shows a page of them)."""
    props = key_properties(release, cls)
    sections = _first_sections(release, cls)
    values = _values(release, cls, [RDF_TYPE, MODALITY])
    other = "zh" if lang != "zh" else "en"
    rows = []
    for iri in release.instances(cls):
        section = sections.get(iri)
        rows.append(
            InstanceRow(
                release.iri_view(iri, linker, lang),
                release.data.labels_in(iri).get(other),
                section[1] if section else None,
                linker.resource(section[2]) if section else None,
                [],
                {
                    compact(t.value)
                    for t in values.get((iri, RDF_TYPE), [])
                    if isinstance(t, ox.NamedNode)
                },
                {
                    local_name(m.value)
                    for m in values.get((iri, MODALITY), [])
                    if isinstance(m, ox.NamedNode)
                },
            )
        )
    rows.sort(key=lambda r: r.item.text.lower())
    return props, rows


def fill_columns(
    release: ReleaseView,
    linker: Linker,
    cls: str,
    rows: list[InstanceRow],
    props: list[str],
    lang: str,
) -> None:
    """The key columns of `rows`, as the page shows them (read for those rows only)."""
    values = _values(release, cls, props, [row.item.iri or "" for row in rows]) if rows else {}
    for row in rows:
        iri = row.item.iri or ""
        row.columns = [
            [release.term(v, linker, lang=lang) for v in sorted(values.get((iri, p), []), key=str)]
            for p in props
        ]


def filters(
    release: ReleaseView, cls: str, rows: list[InstanceRow], lang: str
) -> dict[str, list[tuple[str, str]]]:
    """The values each filter offers, as (value, what it shows): those the rows have."""
    below = [
        c
        for c in {c for r in rows for c in r.classes}
        if cls in release.data.superclasses.get(_expand(c), ())
    ]
    numbers = {r.section for r in rows if r.section}
    return {
        "section": [
            (n, "§ " + n)
            for n in sorted(numbers, key=lambda n: [int(p) for p in n.split(".") if p.isdigit()])
        ],
        "class": sorted(
            ((c, release.name(_expand(c), lang)) for c in below), key=lambda o: o[1].lower()
        ),
        "modality": sorted(
            (m, release.name(CSKG + m, lang)) for m in {m for r in rows for m in r.modalities}
        ),
    }


def apply_filters(
    rows: list[InstanceRow], offered: dict[str, list[tuple[str, str]]], asked: dict[str, str]
) -> tuple[list[InstanceRow], dict[str, str]]:
    """The rows the filters `asked` keep, and the filters applied; NotFound for a value the
    list does not offer."""
    chosen = {}
    for name, options in offered.items():
        value = asked.get(name, "")
        if not value:
            continue
        if value not in {v for v, _ in options}:
            raise NotFound(Message(REFUSED[name], {"value": value}))
        chosen[name] = value
    kept = [
        r
        for r in rows
        if chosen.get("section") in (None, r.section)
        and ("class" not in chosen or chosen["class"] in r.classes)
        and ("modality" not in chosen or chosen["modality"] in r.modalities)
    ]
    return kept, chosen


def _expand(name: str) -> str:
    """The IRI of a prefixed name `compact` made."""
    prefix, _, local = name.partition(":")
    return PREFIXES.get(prefix, "") + local


def instance_list(
    release: ReleaseView, linker: Linker, params: dict[str, Any], lang: str
) -> dict[str, Any]:
    """What instances.html shows for the class of `params` (`prefix`, `local`), filtered by
    `params["query"]` (the GET parameters) on the server; NotFound unless it is a class with
    instances (the home page lists every such class) or for a filter value it does not offer."""
    cls = the_class(params)
    path = f"instances/{params['prefix']}/{params['local']}"
    if instance_path(cls) != path or cls not in dict(release.class_counts):
        raise NotFound(Message("No instances of this class."))
    props, rows = instance_rows(release, linker, cls, lang)
    offered = filters(release, cls, rows, lang)
    served = linker.static_from is None  # a static site cannot read GET parameters
    kept, chosen = apply_filters(rows, offered, params.get("query", {}) if served else {})
    fill_columns(release, linker, cls, kept[: release.html_rows], props, lang)
    return {
        "title": f"{release.name(cls, lang)}",
        "cls": release.iri_view(cls, linker, lang),
        "columns": [release.iri_view(p, linker, lang) for p in props],
        "rows": kept[: release.html_rows],
        "total": len(kept),
        "all": len(rows),
        "filters": {k: v for k, v in offered.items() if v} if served else {},
        "chosen": chosen,
        "action": linker.page("/" + path, path + ".html"),
        "other_lang": "zh" if lang != "zh" else "en",
    }
