"""The site's interface in English and Chinese: every string a template shows is `t("…")`.

The English text is its own key; `CHINESE` maps it to the Chinese text. A string with
placeholders is written with `str.format` fields and filled after translation:
`t("{count} rows").format(count=n)`. `translator(lang)` gives the `t` of a language; each page is
rendered with the `t` of the language it is in (`lang` in its view model). A string missing from
the catalogue shows in English; `translator(lang, strict=True)` raises instead, which is how the
tests find every string that is not translated yet.

What a page shows is interface or data, and the data is marked: a label, literal, quote, IRI,
prefixed name or code sits in an element with `translate="no"` (or the `lang` of its own
language), which keeps browsers' translators off it and lets the tests check that no English is
left in the Chinese interface. A sentence with data in it is `fill(t("… {name} …"), name=…)`,
which marks each field (`data`); a message chosen in Python is a `Message`, translated when its
page is rendered. The language of a page is chosen once per request (`cskg.web.linkeddata`:
`?lang=`, else `Accept-Language`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from markupsafe import Markup

#: the languages of the interface, the first the default
LANGUAGES = ("en", "zh")
#: each language's name in itself (the language switch)
NATIVE_NAMES = {"en": "English", "zh": "中文"}

#: English interface text -> Chinese
CHINESE: dict[str, str] = {
    "Home": "首页",
    "Ontology": "本体",
    "SPARQL query": "SPARQL 查询",
    "VoID": "VoID 数据集描述",
    "Download (N-Quads)": "下载（N-Quads）",
    # -- the resource, table, instance-list, dataset, home and ontology pages (resource.html,
    # datacube.html, instances.html, dataset.html, home.html, ontology.html, macros.html), the
    # group headings of cskg.web.resource and the rules of cskg.explain
    "Chinese": "中文",
    "English": "英文",
    "Also known as": "又称",
    "Types": "类型",
    "Named graph": "命名图",
    "IRI": "IRI",
    "Other formats:": "其他格式：",
    "Statements": "陈述",
    "Statements in this graph": "本图中的陈述",
    "What links here": "链入本页的陈述",
    "Names and descriptions": "名称与描述",
    "Relations": "关系",
    "Causes and effects": "因果",
    "Provenance": "出处",
    "Other vocabularies": "其他词表",
    "Causal claims": "因果论断",
    "cause": "原因",
    "relation": "关系",
    "effect": "结果",
    "modality": "情态",
    "sentence": "句子",
    "subject": "主语",
    "property": "属性",
    "value": "值",
    "none": "无",
    "paper": "论文",
    "editorial": "编者",
    "inferred": "推断",
    "ontology": "本体",
    "document": "文献",
    "other": "其他",
    "why?": "为什么？",
    "From:": "依据：",
    "Derived in {steps} steps.": "经 {steps} 步推出。",
    "Derived in more than {steps} steps; the first is shown.": (
        "推导超过 {steps} 步；此处只显示第一步。"
    ),
    "No rule cskg knows gives this statement.": "cskg 所知的规则都推不出这条陈述。",
    "A member of a class is a member of its superclass.": "一个类的成员也是其上位类的成员。",
    "A member of a class belongs to an equivalent class.": "一个类的成员也属于与之等价的类。",
    "What a property is stated of belongs to the property's domain.": (
        "属性所陈述的对象属于该属性的定义域。"
    ),
    "What a property points to belongs to the property's range.": (
        "属性所指向的值属于该属性的值域。"
    ),
    "A statement holds with the property's super-property.": "陈述对其属性的上位属性同样成立。",
    "A statement holds with an equivalent property.": "陈述对等价属性同样成立。",
    "A statement holds the other way round with the inverse.": "陈述以逆属性反向成立。",
    "A transitive property chains: a–b and b–c give a–c.": (
        "传递属性可以连接：由甲–乙与乙–丙得出甲–丙。"
    ),
    "A symmetric property holds both ways.": "对称属性双向成立。",
    "Two values of a functional property are the same.": "函数型属性的两个值是同一事物。",
    "Two subjects of an inverse-functional property with one value are the same.": (
        "反函数型属性取同一值的两个主语是同一事物。"
    ),
    "Sameness holds both ways.": "等同关系双向成立。",
    "The earliest day is the first day of the date.": "最早日期是该日期的第一天。",
    "The latest day is the last day of the end date.": "最晚日期是结束日期的最后一天。",
    "With no end date, the latest day is the date's last day.": (
        "没有结束日期时，最晚日期是该日期的最后一天。"
    ),
    "The first {shown} of {total} are listed;": "共 {total} 条，此处列出前 {shown} 条；",
    "and": "和",
    "hold them all.": "包含全部内容。",
    "holds them all.": "包含全部内容。",
    "the Turtle document": "Turtle 文档",
    "the N-Quads document": "N-Quads 文档",
    "the SPARQL endpoint": "SPARQL 端点",
    "the N-Quads dump": "N-Quads 数据转储",
    "The table": "表格",
    "unit": "单位",
    "Printed in": "刊印于",
    "see the cell in the table": "查看表中的单元格",
    "Instances of the class {cls}, asserted or inferred:": "{cls}类的实例（陈述的或推断的）：",
    "{shown} of {total}": "{total} 个中的 {shown} 个",
    "First stated in section": "首次陈述的章节",
    "Class": "类",
    "Modality": "情态",
    "any": "任意",
    "Filter": "筛选",
    "Clear the filters": "清除筛选",
    "Name": "名称",
    "Chinese name": "中文名称",
    "English name": "英文名称",
    "First stated in": "首次陈述于",
    "and {more} more": "等（另有 {more} 个）",
    "Source": "来源",
    "Licence": "许可协议",
    "Version": "版本",
    "Built": "构建时间",
    "Size": "规模",
    "{triples} triples ({asserted} asserted, {inferred} inferred) in {graphs} named graphs; "
    "{entities} entities, {classes} classes, {properties} properties": (
        "{triples} 个三元组（陈述 {asserted} 个，推断 {inferred} 个），分布在 {graphs} 个命名图中；"
        "{entities} 个实体，{classes} 个类，{properties} 个属性"
    ),
    "Entry points": "入口",
    "Query page": "查询页面",
    "and the SPARQL endpoint": "以及 SPARQL 端点",
    "Ontology documentation": "本体文档",
    "About the dataset": "关于本数据集",
    "for machines:": "供机器读取：",
    "Dumps:": "数据转储：",
    "Classes": "类",
    "class": "类",
    "instances": "实例",
    "SPARQL endpoint": "SPARQL 端点",
    "For machines": "供机器读取",
    "In figures": "数据概况",
    "triples": "三元组",
    "asserted": "陈述的",
    "named graphs": "命名图",
    "entities": "实体",
    "classes": "类",
    "properties": "属性",
    "Downloads": "下载",
    "Examples": "示例",
    "{iri}: the terms in {namespace}": "{iri}：命名空间 {namespace} 中的术语",
    "Formats:": "格式：",
    "Contents": "目录",
    "Object properties": "对象属性",
    "Datatype properties": "数据属性",
    "Annotation properties": "注释属性",
    "Individuals": "个体",
    "Type": "类型",
    "Characteristics": "特性",
    "Subclass or subproperty of": "上位类或上位属性",
    "Has subclasses or subproperties": "下位类或下位属性",
    "Domain": "定义域",
    "Range": "值域",
    "In the domain of": "作为定义域的属性",
    "In the range of": "作为值域的属性",
    "Inverse of": "逆属性",
    "Equivalent to": "等价于",
    "Disjoint with": "互斥于",
    "Instances": "实例",
    "Constraints (SHACL)": "约束（SHACL）",
    "path": "路径",
    "count": "数量",
    "values": "取值",
    "rule": "规则",
    "the resource itself": "资源本身",
    "or": "或",
    "from": "来自",
    "for": "适用于",
    "Dataset": "数据集",
    # -- search: the search box (base.html), search.html, the 404's suggestions (error.html)
    "Search": "搜索",
    "MIIT, 工业和信息化部, Loongson …": "工业和信息化部、龙芯……",
    "Names in English or Chinese, other spellings, identifiers such as {example}, and the "
    "words of the paper's sentences.": (
        "中英文名称、其他拼写、{example} 等标识符，以及论文句子中的词语。"
    ),
    "Entities found: {count}": "找到的实体：{count}",
    "Nothing found.": "没有找到。",
    "The search index could not be loaded.": "无法加载搜索索引。",
    "The search text is too long.": "搜索文本过长。",
    "Give the search text once.": "搜索文本只能给出一次。",
    "name": "名称",
    "other name": "别名",
    "identifier": "标识符",
    "evidence": "证据",
    "Did you mean": "您要找的是不是",
    "Search for “{text}”": "搜索“{text}”",
    # -- the query page (query.html) and its workbench: editor, chart
    "This copy of the site is a set of files: it has no SPARQL endpoint. Run the library's "
    "queries with {command} on the release, or on a site that {serve} serves.": (
        "本站点副本只是一组文件，没有 SPARQL 端点。请在发布版本上用 {command} 运行查询库中的"
        "查询，或在由 {serve} 提供的站点上运行。"
    ),
    "The default graph is the union of every named graph; {pattern} tells where a statement "
    "comes from. The project's prefixes ({prefixes}, …) are declared for every query. The "
    "same queries run at the endpoint {endpoint}.": (
        "默认图是所有命名图的并集；{pattern} 可以查出一条陈述的出处。每个查询都已声明本项目的前缀"
        "（{prefixes} 等）。同样的查询也可以在端点 {endpoint} 运行。"
    ),
    "Examples from the query library:": "查询库中的示例：",
    "(choose one)": "（请选择）",
    "(without JavaScript: follow a link in the list below to run an example)": (
        "（没有 JavaScript 时：点击下方列表中的链接即可运行示例）"
    ),
    "Run": "运行",
    "Download:": "下载：",
    "Link to this answer": "本结果的链接",
    "The answer, each IRI by its label": "结果（每个 IRI 显示为其标签）",
    "{count} rows": "{count} 行",
    "1 row": "1 行",
    "(the result was cut at the row limit)": "（结果已在行数上限处截断）",
    "in {ms} ms": "用时 {ms} 毫秒",
    "The library": "查询库",
    "The query's text": "查询文本",
    "Chart": "图表",
    "Values": "数值",
    "Bars": "柱状图",
    "Line": "折线图",
    "The first {n} rows are drawn.": "只绘制前 {n} 行。",
    "Save the chart (SVG)": "保存图表（SVG）",
    # -- the query page's messages (cskg.web.linkeddata; the endpoint's and the SPARQL parsers'
    # stay as they are written)
    "Give exactly one query.": "请只给出一个查询。",
    "The library has no query named {name}.": "查询库中没有名为 {name} 的查询。",
    "No query given.": "没有给出查询。",
    "No endpoint.": "没有可用的端点。",
    "The form must be url-encoded.": "表单须按网址编码格式提交。",
    "The form is not UTF-8.": "表单的字符编码无法识别。",
    # -- YASGUI's words on the query page (cskg.web.pages.YASGUI_TEXTS, static/query.js)
    "Run query": "运行查询",
    "Share query": "分享查询",
    "Table": "表格",
    "Response": "原始响应",
    "Shows {view} view": "显示{view}视图",
    "View documentation of {view}": "查看{view}的说明",
    "This plugin doesn't have a help reference yet. Please contact the maintainer to fix this": (
        "此视图没有说明文档"
    ),
    "Download Results": "下载结果",
    "Download result": "下载结果",
    "Show all": "全部显示",
    "{count} results in {seconds} seconds": "{count} 个结果，用时 {seconds} 秒",
    "{count} result in {seconds} seconds": "{count} 个结果，用时 {seconds} 秒",
    "{count} results in {seconds} second": "{count} 个结果，用时 {seconds} 秒",
    "{count} result in {seconds} second": "{count} 个结果，用时 {seconds} 秒",
    "{count} results": "{count} 个结果",
    "{count} result": "{count} 个结果",
    "Response in {seconds} seconds": "响应用时 {seconds} 秒",
    "Simple view": "简洁视图",
    "Ellipse": "省略长文本",
    "Page size:": "每页行数：",
    "All": "全部",
    "Filter query results": "筛选查询结果",
    "Showing {start} to {end} of {total} entries": "第 {start}–{end} 行，共 {total} 行",
    "Showing {start} to {end} of {total} entry": "第 {start}–{end} 行，共 {total} 行",
    "(filtered from {max} total entries)": "（从 {max} 行中筛选）",
    "(filtered from {max} total entry)": "（从 {max} 行中筛选）",
    "No data available in table": "表中没有数据",
    "No matching records found": "没有匹配的行",
    "{column}: Activate to sort": "点击按此列排序",
    "{column}: Activate to invert sorting": "点击反向排序",
    "{column}: Activate to remove sorting": "点击取消排序",
    "pagination": "分页",
    "First": "第一页",
    "Previous": "上一页",
    "Next": "下一页",
    "Last": "最后一页",
    "{reason} (#{status})": "请求出错（{status}）",
    # -- the 404 page (error.html) and why a page is not found (cskg.web.linkeddata, catalogue)
    "Not found": "未找到",
    "The release does not describe this IRI.": "本版本的数据没有描述这个 IRI。",
    "No such file.": "没有这个文件。",
    "No such download.": "没有这个下载文件。",
    "No such class.": "没有这个类。",
    "No instances of this class.": "这个类没有实例。",
    "This list has no section {value}.": "此列表中没有第 {value} 节。",
    "This list has no class {value}.": "此列表中没有类 {value}。",
    "This list has no modality {value}.": "此列表中没有情态 {value}。",
}

_CATALOGUES: dict[str, dict[str, str]] = {"zh": CHINESE}


class Untranslated(KeyError):
    """An interface string with no translation (raised by a strict translator only)."""


def translator(lang: str, *, strict: bool = False) -> Callable[[str], str]:
    """The `t` function of `lang` (English for any language the site does not have)."""
    catalogue = _CATALOGUES.get(lang)
    if catalogue is None:
        return _english

    def translate(text: str) -> str:
        found = catalogue.get(text)
        if found is None:
            if strict:
                raise Untranslated(text)
            return text
        return found

    return translate


def _english(text: str) -> str:
    return text


@dataclass(frozen=True)
class Message:
    """Interface text chosen in Python and translated when its page is rendered: English with
    `str.format` fields, whose values are data (a name, a number, what a visitor wrote)."""

    text: str
    fields: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text.format(**self.fields)


def data(value: object, tag: str = "span") -> Markup:
    """`value` escaped in an element marked as data, not interface: `translate="no"` keeps
    browsers' translators off it, and tells the tests it apart from the interface."""
    return Markup('<{tag} translate="no">{value}</{tag}>').format(tag=Markup(tag), value=value)


def fill(text: str, /, **fields: object) -> Markup:
    """Translated interface `text` with its fields filled in, escaped, each marked as data
    (`data`) unless it is markup already."""
    marked = {k: v if isinstance(v, Markup) else data(v) for k, v in fields.items()}
    return Markup.escape(text).format(**marked)


def translations(t: Callable[[str], str], texts: Iterable[str]) -> dict[str, str]:
    """Each of `texts` with its translation by `t`: words a page hands to its scripts."""
    return {text: t(text) for text in texts}
