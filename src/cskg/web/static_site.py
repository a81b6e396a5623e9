"""`cskg publish --out site/ --base URL`: the linked-data site as static files.

Every project IRI of the release gets its documents at the path that mirrors the IRI
(`site/id/agency/miit.html`, `.ttl`, `.jsonld`, `.nt`, `.rdf`, `.trig`, `.nq`), the ontology
`site/ontology.*`, plus the home page, the instance lists, the search page with the index its
script searches (`search-index.json`), `.well-known/void`, the dumps, an Apache `.htaccess` for
content negotiation and a README.txt for other hosts. The pages link to the `.html` documents
by relative paths, so the folder works on any host (and from disk); on Apache the extensionless
IRIs also negotiate, with the same 303s as `cskg serve`.
Every page is also written in Chinese under `zh/` (`zh/index.html`, `zh/id/agency/miit.html`, …),
linking within `zh/` and to the files both languages share (stylesheets, dumps, RDF documents),
each page linking to itself in the other language; the `.htaccess` sends a browser whose first
language is Chinese from the home page to `zh/`.
The site has no SPARQL endpoint: its query page says so and links the text of each query of the
library (`queries/NAME.rq`). Every page carries the server's Content-Security-Policy as a
`<meta http-equiv>`, and links only the static files it uses (`PUBLISHED_STATIC`), copied here.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cskg import outdir
from cskg.errors import CskgError
from cskg.terminal import Progress, Step
from cskg.web.app import content_security_policy
from cskg.web.i18n import LANGUAGES
from cskg.web.linkeddata import DUMPS, PUBLISHED_STATIC, LinkedData, static_file, void_graph
from cskg.web.pages import (
    FORMATS,
    PAGES,
    SEARCH_INDEX_FILE,
    Linker,
    NotFound,
    search_index_json,
    serialize,
)
from cskg.web.release_view import language_folder
from cskg.web.settings import Settings


@dataclass
class PublishReport:
    out: Path
    resources: int  # resource IRIs with documents (the ontology not counted)
    files: int
    bytes: int
    seconds: float


def htaccess(base: str) -> str:
    """Apache rules: 303 from an extensionless IRI to the document the Accept header asks for."""
    path = urlsplit(base).path.rstrip("/") + "/"
    lines = [
        "# Content negotiation for the cskg linked-data site (Apache 2.4: mod_rewrite, mod_mime,",
        "# mod_headers). The IRI /id/agency/miit answers 303 See Other to /id/agency/miit.ttl",
        "# (Accept: text/turtle), .jsonld, .nt, .rdf, .trig, .nq, or .html (browsers, default).",
        "Options -MultiViews",
        "AddType text/html .html",
        *(f"AddType {f.media} .{f.ext}" for f in FORMATS.values() if f.ext != "html"),
        "AddCharset utf-8 .html .ttl .jsonld .nt .trig .nq .rdf",
        "<IfModule mod_headers.c>",
        '  <FilesMatch "\\.(ttl|jsonld|nt|rdf|trig|nq)$">',
        '    Header set Access-Control-Allow-Origin "*"',
        "  </FilesMatch>",
        "</IfModule>",
        '<Files "void">',
        "  ForceType text/turtle",
        "</Files>",
        "RewriteEngine On",
        f"RewriteBase {path}",
        *language_rules(path),
        "# the dump IRIs void.ttl names",
        "RewriteRule ^dist/(cskg\\.nq|cskg\\.trig)$ dumps/$1 [R=303,L]",
        "# the dataset: its page for browsers, VoID for the rest",
        "RewriteCond %{HTTP_ACCEPT} text/html",
        "RewriteRule ^dataset$ dataset.html [R=303,L]",
        "RewriteRule ^dataset$ .well-known/void [R=303,L]",
    ]
    # Browsers first: an Accept naming text/html gets the page even if it also lists RDF types.
    order = ["html"] + [ext for ext in FORMATS if ext != "html"]
    for ext in order:
        pattern = FORMATS[ext].media.replace("+", "\\+")
        lines += [
            f"# {FORMATS[ext].name}",
            f"RewriteCond %{{HTTP_ACCEPT}} {pattern}",
            f"RewriteCond %{{REQUEST_FILENAME}}.{ext} -f",
            f"RewriteRule ^((?:id|graph)/[A-Za-z0-9_/-]+|ontology)$ $1.{ext} [R=303,L]",
        ]
    lines += [
        "# anything else (no Accept, */*): the HTML page",
        "RewriteCond %{REQUEST_FILENAME}.html -f",
        "RewriteRule ^((?:id|graph)/[A-Za-z0-9_/-]+|ontology)$ $1.html [R=303,L]",
        "<IfModule mod_headers.c>",
        "  Header always merge Vary Accept",
        "</IfModule>",
        "",
    ]
    return "\n".join(lines)


#: the Accept-Language of a browser whose first choice is Chinese (a first range `zh`, `zh-CN`,
#: … with no q, so q=1), and which names neither English nor `*` as high (q=1 too, where the
#: server's order would choose English): a header `cskg.web.negotiation.language` answers "zh" to
CHINESE_FIRST = r"^\s*zh(-[a-z0-9]+)*\s*(,|$)"
ENGLISH_AS_HIGH = r"(^|,)\s*(en(-[a-z0-9]+)*|\*)\s*(,|$)"


def language_rules(path: str) -> list[str]:
    """The home page's 303 to its Chinese version (`zh/`) for a browser that prefers Chinese;
    only the home page, so that the switch to English (`index.html`) is never sent back."""
    return [
        "# Browsers that prefer Chinese go from the home page to the site in Chinese, zh/ (every",
        "# page links to itself in the other language). Delete these lines to keep everyone on",
        "# the English home page at first.",
        f"RewriteCond %{{HTTP:Accept-Language}} {CHINESE_FIRST} [NC]",
        f"RewriteCond %{{HTTP:Accept-Language}} !{ENGLISH_AS_HIGH} [NC]",
        "RewriteRule ^$ zh/ [R=303,L]",
        "<IfModule mod_headers.c>",
        f'  <If "%{{REQUEST_URI}} =~ m#^{re.escape(path)}(index\\.html)?$#">',
        "    Header always merge Vary Accept-Language",
        "  </If>",
        "</IfModule>",
    ]


README = """\
cskg linked-data site, generated by `cskg publish --base {base}`

Documents: every IRI https://w3id.org/cskg/<path> has <path>.html, .ttl, .jsonld, .nt, .rdf,
.trig (with graph names) and .nq here; the ontology is ontology.html (one anchor per term,
ontology.html#Policy) and ontology.ttl etc. Dumps are in dumps/, VoID/DCAT in .well-known/void.
The pages link to the .html documents by relative paths, so the folder works on any host.
The same pages in Chinese are under zh/ (zh/index.html, zh/id/agency/miit.html, ...); each page
links to itself in the other language.

Content negotiation (IRI without extension -> 303 See Other to the document):
- Apache: the .htaccess here (needs AllowOverride FileInfo and mod_rewrite, mod_headers).
- nginx:
    map $http_accept $cskg_ext {{
        default html;
        "~text/html" html;
        "~text/turtle" ttl;
        "~application/ld\\+json" jsonld;
        "~application/n-triples" nt;
        "~application/rdf\\+xml" rdf;
        "~application/trig" trig;
        "~application/n-quads" nq;
    }}
    location ~ ^{path}((id|graph)/[A-Za-z0-9_/-]+|ontology)$ {{
        add_header Vary Accept always;
        if (-f $request_filename.$cskg_ext) {{ return 303 $uri.$cskg_ext; }}
        return 404;
    }}
    types {{ text/turtle ttl; application/ld+json jsonld; application/n-triples nt;
            application/rdf+xml rdf; application/trig trig; application/n-quads nq; }}
- GitHub Pages and other plain hosts: no negotiation; link to the documents with their
  extensions (the pages already do), and point https://w3id.org/cskg/ at the .html pages.
There is no SPARQL endpoint here: query.html lists the library's queries, each linked to its
text in queries/; run them with `cskg query NAME` or on a site served by `cskg serve`.
"""


def publish(
    dist: Path, out: Path, base: str, *, root: Path | None = None, progress: Progress | None = None
) -> PublishReport:
    """Write the static site for the release in `dist` into `out`, its pages counted on
    `progress` while they are written.

    The site is written and put in place by `cskg.outdir`: beside `out`, taking its place only
    once complete, and never over a folder cskg did not write. The release is pinned while it is
    read, so a build meanwhile does not change it under the site."""
    if urlsplit(base).scheme not in ("http", "https"):
        raise CskgError(f"--base must be an http(s) URL, not {base!r}")
    start = time.perf_counter()
    base = base.rstrip("/")
    outdir.check_target(out, "site")  # refused before the pages are rendered
    with outdir.pin_release(dist) as pin:
        site = LinkedData(Settings(dist=pin.path(), base=base, root=root), None)
        site.env.globals["csp"] = content_security_policy(meta=True)  # no headers on a plain host
        shown = progress or Progress(quiet=True)
        with outdir.writing(out, "site") as new, shown.step("publish", unit="pages") as step:
            _write_site(site, pin.path(), new, base, step)
            files = [p for p in new.rglob("*") if p.is_file()]
            report = PublishReport(
                out=out,
                resources=len(site.release.resource_paths()),
                files=len(files),
                bytes=sum(p.stat().st_size for p in files),
                seconds=0.0,
            )
    report.seconds = time.perf_counter() - start
    return report


def _write_pages(
    site: LinkedData, write: Callable[[str, bytes], None], base: str, step: Step
) -> None:
    """Every page of `PAGES` in every language, each in its language's folder
    (`language_folder`); a resource's RDF documents once, beside the pages of the default
    language. A page's languages come one after the other, so that what they share (its
    description, the explanations of its inferred statements) is made once. `step` counts the
    pages (a page in every language and format counted once)."""
    copies = [(page, list(page.copies(site.release))) for page in PAGES if page.file]
    step.total = sum(len(each) for _, each in copies)
    for page, params_of_copies in copies:
        assert page.file is not None  # pages on the server only are left out above
        for params in params_of_copies:
            name = page.file.format(**params)
            for lang in LANGUAGES:
                folder = language_folder(lang)
                if page.document:  # the resource's page, and its documents in every format
                    linker = Linker(base, static_from=f"{name}.html", lang=lang)
                    for ext in FORMATS if lang == LANGUAGES[0] else ("html",):
                        write(f"{folder}{name}.{ext}", site.document(name, ext, linker, lang))
                    continue
                try:
                    linker = Linker(base, static_from=name, lang=lang)
                    write(folder + name, site.render(page, linker, {**params, "lang": lang}))
                except NotFound:  # the server has no such page either
                    break
            step.advance()


def _write_site(site: LinkedData, dist: Path, out: Path, base: str, step: Step) -> None:
    release = site.release

    def write(name: str, data: bytes | str) -> None:
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)

    _write_pages(site, write, base, step)
    for name in PUBLISHED_STATIC:  # the stylesheet (and scripts) the pages link
        write(f"static/{name}", static_file(name))
    for query in release.library:  # the query page links each one's text
        write(f"queries/{query.name}.rq", query.text)
    write(SEARCH_INDEX_FILE, search_index_json(release, base))  # what search.html searches
    void = serialize(void_graph(release, base), FORMATS["ttl"])
    write(".well-known/void", void)
    write("void.ttl", void)
    for name, (source, _media) in DUMPS.items():
        if (dist / source).is_file():
            (out / "dumps").mkdir(exist_ok=True)
            shutil.copyfile(dist / source, out / "dumps" / name)
    write(".htaccess", htaccess(base))
    write("README.txt", README.format(base=base, path=urlsplit(base).path.rstrip("/") + "/"))
