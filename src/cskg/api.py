"""The Python API: the command line's verbs as functions, for notebooks and scripts.

Each function takes the same choices as its command and returns data rather than text; errors
are the same `cskg.errors` exceptions the command turns into exit codes. Nothing heavy is
imported until a function needs it. The project and the release are found as the command line
finds them (`cskg.project`): `root=` and `dist=` when given, else `$CSKG_ROOT` and `$CSKG_DIST`,
else the current folder when it is a project, else the project shipped with cskg, whose release
goes to `~/.cache/cskg/VERSION/dist`. So, from any folder, `api.build()` then
`api.query("services-gap").to_pandas()`. Every result shows as a table in a notebook.

>>> from cskg import api
>>> built = api.build(ROOT, out=DIST)
>>> built.conforms, built.written
(True, True)
>>> release = built.out
>>> api.query("ASK { ?s a <https://w3id.org/cskg/ontology#Law> }", dist=release).boolean
True
>>> api.query("ASK { ?s a cskg:Law }", dist=release).boolean  # the prefixes need no PREFIX
True
>>> result = api.query("services-gap", dist=release, root=ROOT)
>>> [(year.value, gap.value) for year, _, _, _, gap in result.rows][:2]
[('2014', '11.7'), ('2015', '12')]
>>> frame = result.to_pandas()  # typed columns (pandas: the `notebook` extra)
>>> str(frame["year"].dtype), str(frame["gapPoints"].dtype), frame["gapPoints"].tolist()[:2]
('Int64', 'float64', [11.7, 12.0])
>>> about = api.query("about-entity", params={"entity": "agency:miit"}, dist=release, root=ROOT)
>>> {row["entity"].value for row in about}  # a parameter, bound by the engine
{'https://w3id.org/cskg/id/agency/miit'}
>>> api.describe("Loongsun", dist=release).iri
'https://w3id.org/cskg/id/enterprise/loongson-technology'
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyoxigraph

    from cskg.build.pipeline import BuildResult
    from cskg.build.report import ValidationReport
    from cskg.diff.changes import Diff
    from cskg.query.describe import Description
    from cskg.query.model import Result
    from cskg.query.stats import Stats


def build(
    root: str | Path | None = None,
    out: str | Path | None = None,
    *,
    reference: bool = False,
    allow_invalid: bool = False,
    cluster: str | None = None,
) -> BuildResult:
    """`cskg build`: reason, validate and write the release of the project (`root`, found by
    `cskg.project.project_root`) into `out` (`cskg.project.release_folder`); with `cluster`
    (`tcp://HOST:PORT`), on the workers of that Dask cluster."""
    from cskg.build.pipeline import build as run_build
    from cskg.project import project_root, release_folder

    return run_build(
        project_root(root),
        release_folder(out, root),
        engines="reference" if reference else "default",
        allow_invalid=allow_invalid,
        cluster=cluster,
    )


def _release(dist: str | Path | None, root: str | Path | None = None) -> Path:
    """The release folder `dist` names or `cskg.project` finds; it must have been built."""
    from cskg.project import existing_release, release_folder

    return existing_release(release_folder(dist, root))


def validate(
    files: list[str | Path] | None = None,
    *,
    dist: str | Path | None = None,
    reference: bool = False,
) -> ValidationReport:
    """`cskg validate`: the release, plus extra data files, against the release's shapes."""
    from cskg.build.pipeline import validate_release

    return validate_release(_release(dist), [Path(f) for f in files or []], reference=reference)


def query(
    query: str,
    *,
    params: Mapping[str, str] | None = None,
    dist: str | Path | None = None,
    root: str | Path | None = None,
    endpoint: str | None = None,
    asserted: bool = False,
    engine: str = "oxigraph",
    timeout: float = 30.0,
    max_bytes: int | None = None,
) -> Result:
    """`cskg query`: a library query's name, a `.rq` file, or SPARQL text (told apart by reading
    it as SPARQL, `cskg.query.text.inspect`); on an `endpoint`, each request ends within
    `timeout` seconds and `max_bytes` bytes (`cskg.query.remote.MAX_BYTES` by default). The
    query may use the project's prefixes (`cskg.vocab.PREFIXES`) without declaring them; a
    syntax error or an undeclared prefix raises `QuerySyntaxError`, one sentence with `line`
    and `column`. `params` gives values to the parameters the query declares (`# param:`
    lines of its header, `cskg.query.library`): `{"entity": "agency:miit"}`, each a prefixed
    name, `<IRI>` or Turtle literal, substituted by the engine (on an endpoint, a trailing
    VALUES clause), never pasted into the text."""
    from cskg.project import project_root
    from cskg.query.engines import open_store
    from cskg.query.library import bind, parse_query_text, resolve

    if _sparql_form(query):
        chosen = parse_query_text(query, Path("<query>"))
    else:
        chosen = resolve(project_root(root) / "queries", query)
    bindings = bind(chosen, params or {})
    release = Path() if endpoint else _release(dist, root)
    with open_store(
        release, engine=engine, endpoint=endpoint, timeout=timeout, max_bytes=max_bytes
    ) as store:
        return store.query(chosen.text, asserted=asserted, bindings=bindings)


def _sparql_form(text: str) -> str | None:
    """The query form when `text` reads as a SPARQL query; None for a library name or a file.
    Text that does not read as SPARQL but holds a group `{ … }` is a query with a mistake: its
    syntax error is raised (not "no query named …")."""
    from cskg.errors import QuerySyntaxError
    from cskg.query.text import inspect

    try:
        return inspect(text).form
    except QuerySyntaxError:  # `services-gap` is not SPARQL: a name to look up
        if "{" in text:
            raise
        return None


def describe(term: str, *, dist: str | Path | None = None, lang: str = "en") -> Description:
    """`cskg describe`: an entity by IRI, prefixed name or label, with its evidence."""
    from cskg.query.describe import describe as run_describe
    from cskg.query.engines import EmbeddedStore

    with EmbeddedStore(_release(dist) / "store") as store:
        return run_describe(store, term, lang)


def stats(dist: str | Path | None = None) -> Stats:
    """`cskg stats`: triples by graph, instances by class, properties used."""
    from cskg.query.engines import EmbeddedStore
    from cskg.query.stats import collect

    with EmbeddedStore(_release(dist) / "store") as store:
        return collect(store)


def diff(old: str | Path, new: str | Path) -> Diff:
    """`cskg diff`: what changed from `old` to `new`, each a release folder, a project folder
    (its sources built in memory, nothing written) or an N-Quads or TriG file. The `Diff` holds
    the quads `removed` and `added` (blank nodes named by their content), `changed`, and
    `to_text()`, `to_markdown()` (both with `inferred=`, `lang=`) and `to_patch()`."""
    from cskg.diff.changes import diff as run_diff

    return run_diff(Path(old), Path(new))


def patch(patch_file: str | Path, dataset: str | Path) -> list[pyoxigraph.Quad]:
    """`cskg patch`: the quads of `dataset` (a release folder, project folder or dump file) with
    the RDF Patch in `patch_file` applied (`SourceSyntaxError` at a row that does not parse or
    does not fit the dataset)."""
    from cskg.diff.patch import apply_patch, read_patch
    from cskg.diff.sides import read_quads

    changes = read_patch(Path(patch_file))
    return apply_patch(read_quads(Path(dataset)).quads, changes)
