"""What the pages call things: readable names of the terms of other vocabularies, and literals
written for people.

The project's own terms are named by the ontology's labels (`cskg.release`'s label rule, in the
page's language). The terms of the vocabularies it reuses (RDF, RDFS, OWL, SKOS, DCTERMS, PROV,
ORG, QB, BIBO, FOAF, VANN) carry no labels in the release: `EXTERNAL_NAMES` gives the ones the
data and the ontology use a name in English and Chinese, declared here once. A term in neither
is shown by its prefixed name.

Literals: dates as dates in the page's language ("February 2014", "2014年2月"; an `xsd:gYear`
as the year), decimals and integers as numbers, other values as written; the language tag or
an unusual datatype is shown beside them by the templates.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from cskg.vocab import (
    BIBO,
    DCTERMS,
    FOAF,
    ORG,
    OWL,
    PROV,
    QB,
    RDF,
    RDFS,
    SKOS,
    VANN,
    XSD,
)

#: readable names (English, Chinese) of the reused terms the release uses
EXTERNAL_NAMES: dict[str, tuple[str, str]] = {
    RDF + "type": ("type", "类型"),
    RDF + "first": ("first item", "首项"),
    RDF + "rest": ("rest of the list", "其余项"),
    RDF + "langString": ("text with a language tag", "带语言标签的文本"),
    XSD + "string": ("text", "字符串"),
    XSD + "date": ("day", "日期"),
    XSD + "gYearMonth": ("month", "年月"),
    XSD + "gYear": ("year", "年份"),
    XSD + "dateTime": ("date and time", "日期时间"),
    XSD + "decimal": ("decimal number", "十进制数"),
    XSD + "integer": ("integer", "整数"),
    XSD + "boolean": ("true or false", "布尔值"),
    XSD + "anyURI": ("URI", "URI"),
    RDFS + "label": ("label", "名称"),
    RDFS + "comment": ("comment", "注释"),
    RDFS + "seeAlso": ("see also", "另见"),
    RDFS + "isDefinedBy": ("defined by", "定义于"),
    RDFS + "subClassOf": ("subclass of", "上位类"),
    RDFS + "subPropertyOf": ("subproperty of", "上位属性"),
    RDFS + "domain": ("domain", "定义域"),
    RDFS + "range": ("range", "值域"),
    RDFS + "Datatype": ("datatype", "数据类型"),
    OWL + "Class": ("class", "类"),
    OWL + "Thing": ("thing", "事物"),
    OWL + "Ontology": ("ontology", "本体"),
    OWL + "ObjectProperty": ("object property", "对象属性"),
    OWL + "DatatypeProperty": ("datatype property", "数据属性"),
    OWL + "AnnotationProperty": ("annotation property", "注释属性"),
    OWL + "FunctionalProperty": ("functional property", "函数型属性"),
    OWL + "InverseFunctionalProperty": ("inverse-functional property", "反函数型属性"),
    OWL + "TransitiveProperty": ("transitive property", "传递属性"),
    OWL + "SymmetricProperty": ("symmetric property", "对称属性"),
    OWL + "NamedIndividual": ("individual", "个体"),
    OWL + "AllDifferent": ("all different", "互不相同"),
    OWL + "AllDisjointClasses": ("pairwise disjoint classes", "两两互斥的类"),
    OWL + "inverseOf": ("inverse of", "逆属性"),
    OWL + "disjointWith": ("disjoint with", "互斥于"),
    OWL + "distinctMembers": ("distinct members", "互异成员"),
    OWL + "members": ("members", "成员"),
    OWL + "unionOf": ("union of", "并集"),
    OWL + "equivalentClass": ("equivalent class", "等价类"),
    OWL + "equivalentProperty": ("equivalent property", "等价属性"),
    OWL + "sameAs": ("same as", "等同于"),
    OWL + "versionIRI": ("version IRI", "版本 IRI"),
    OWL + "versionInfo": ("version", "版本"),
    SKOS + "prefLabel": ("preferred label", "首选名称"),
    SKOS + "altLabel": ("also known as", "别名"),
    SKOS + "definition": ("definition", "定义"),
    SKOS + "note": ("note", "附注"),
    SKOS + "scopeNote": ("scope note", "范围附注"),
    SKOS + "notation": ("notation", "记号"),
    SKOS + "broader": ("broader concept", "上位概念"),
    SKOS + "narrower": ("narrower concept", "下位概念"),
    SKOS + "related": ("related concept", "相关概念"),
    SKOS + "inScheme": ("in concept scheme", "所属概念体系"),
    SKOS + "hasTopConcept": ("top concept", "顶层概念"),
    SKOS + "topConceptOf": ("top concept of", "顶层概念所属体系"),
    SKOS + "Concept": ("concept", "概念"),
    SKOS + "ConceptScheme": ("concept scheme", "概念体系"),
    SKOS + "OrderedCollection": ("ordered collection", "有序集合"),
    SKOS + "memberList": ("members in order", "有序成员"),
    DCTERMS + "title": ("title", "标题"),
    DCTERMS + "description": ("description", "描述"),
    DCTERMS + "isPartOf": ("part of", "所属"),
    DCTERMS + "issued": ("issued", "发布时间"),
    DCTERMS + "created": ("created", "创建时间"),
    DCTERMS + "modified": ("modified", "修改时间"),
    DCTERMS + "creator": ("creator", "创建者"),
    DCTERMS + "language": ("language", "语言"),
    DCTERMS + "license": ("licence", "许可协议"),
    DCTERMS + "references": ("references", "参考文献"),
    DCTERMS + "source": ("source", "来源"),
    DCTERMS + "BibliographicResource": ("bibliographic resource", "文献"),
    PROV + "wasDerivedFrom": ("derived from", "来源于"),
    PROV + "wasAssociatedWith": ("associated with", "相关方"),
    PROV + "value": ("value", "值"),
    PROV + "Entity": ("entity (provenance)", "实体（溯源）"),
    PROV + "Activity": ("activity (provenance)", "活动（溯源）"),
    ORG + "hasMember": ("has member", "成员"),
    ORG + "holds": ("holds post", "担任职位"),
    ORG + "heldBy": ("post held by", "任职者"),
    ORG + "headOf": ("head of", "负责人"),
    ORG + "unitOf": ("unit of", "隶属于"),
    ORG + "resultedFrom": ("resulted from", "源于"),
    ORG + "resultingOrganization": ("resulting organisation", "产生的组织"),
    ORG + "Organization": ("organisation", "组织"),
    ORG + "FormalOrganization": ("formal organisation", "正式组织"),
    ORG + "Post": ("post", "职位"),
    ORG + "ChangeEvent": ("organisational change", "组织变更"),
    FOAF + "Agent": ("agent", "行为者"),
    FOAF + "Person": ("person", "人物"),
    QB + "dataSet": ("in data set", "所属数据集"),
    QB + "structure": ("structure", "结构"),
    QB + "component": ("component", "组成部分"),
    QB + "dimension": ("dimension", "维度"),
    QB + "measure": ("measure", "度量"),
    QB + "attribute": ("attribute", "属性"),
    QB + "measureType": ("measure type", "度量类型"),
    QB + "order": ("order", "次序"),
    QB + "componentRequired": ("required", "必需"),
    QB + "componentAttachment": ("attached to", "附着于"),
    QB + "DataSet": ("data set", "数据集"),
    QB + "DataStructureDefinition": ("data structure definition", "数据结构定义"),
    QB + "Observation": ("observation", "观测值"),
    QB + "DimensionProperty": ("dimension property", "维度属性"),
    QB + "MeasureProperty": ("measure property", "度量属性"),
    QB + "AttributeProperty": ("attribute property", "属性组件"),
    BIBO + "doi": ("DOI", "DOI"),
    BIBO + "volume": ("volume", "卷"),
    BIBO + "issue": ("issue", "期"),
    BIBO + "AcademicArticle": ("academic article", "学术论文"),
    BIBO + "Journal": ("journal", "期刊"),
    VANN + "preferredNamespacePrefix": ("preferred prefix", "首选前缀"),
    VANN + "preferredNamespaceUri": ("namespace", "命名空间"),
}


def external_name(iri: str, lang: str) -> str | None:
    """The readable name of a reused term in `lang` (Chinese for "zh", else English)."""
    names = EXTERNAL_NAMES.get(iri)
    if names is None:
        return None
    return names[1] if lang == "zh" else names[0]


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
