"""What the pages call things: readable names of the terms of other vocabularies, and literals
written for people.

The project's own terms are named by the ontology's labels (`cskg.release`'s label rule, in the
page's language). The terms of the vocabularies it reuses carry no labels in the release: their
names in English and Chinese are declared once, in `cskg.vocab_names` (`EXTERNAL_NAMES`), and
read from there. A term in neither is shown by its prefixed name.

Literals: dates as dates in the page's language ("February 2014", "2014年2月"; an `xsd:gYear`
as the year), decimals and integers as numbers, other values as written; the language tag or
an unusual datatype is shown beside them by the templates.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from cskg.vocab import RDF, XSD
from cskg.vocab_names import EXTERNAL_NAMES as EXTERNAL_NAMES
from cskg.vocab_names import external_name as external_name

# -- literals ------------------------------------------------------------------------------------

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
#: the datatypes `literal_text` writes for people (the templates show no datatype beside them)
READABLE_TYPES = frozenset(
    XSD + name
    for name in ("string", "gYear", "gYearMonth", "date", "dateTime", "decimal", "integer")
) | {RDF + "langString"}


def date_text(lexical: str, datatype: str, lang: str) -> str | None:
    """A gYear, gYearMonth, date or dateTime written as a date in `lang`; None when `lexical`
    is not one (then it is shown as written)."""
    kind = datatype.removeprefix(XSD)
    try:
        if kind == "gYear":
            year = int(lexical)
            return f"{year}年" if lang == "zh" else str(year)
        if kind == "gYearMonth":
            year, month = (int(p) for p in lexical.split("-"))
            return f"{year}年{month}月" if lang == "zh" else f"{MONTHS[month - 1]} {year}"
        if kind in ("date", "dateTime"):
            day_part, _, time_part = lexical.partition("T")
            year, month, day = (int(p) for p in day_part.split("-"))
            text = f"{day} {MONTHS[month - 1]} {year}"
            if lang == "zh":
                text = f"{year}年{month}月{day}日"
            return text + (f" {time_part[:5]} UTC" if time_part.endswith("Z") else "")
    except (ValueError, IndexError):
        return None
    return None


def number_text(lexical: str, datatype: str) -> str | None:
    """An xsd:decimal or xsd:integer with thousands separators, its digits kept ("21.640")."""
    if datatype not in (XSD + "decimal", XSD + "integer"):
        return None
    try:
        number = Decimal(lexical)
    except InvalidOperation:
        return None
    return f"{number:,}" if number.is_finite() else None


def literal_text(lexical: str, datatype: str | None, lang: str) -> str:
    """A literal as the page shows it (see the module docstring)."""
    if datatype is None:
        return lexical
    return date_text(lexical, datatype, lang) or number_text(lexical, datatype) or lexical
