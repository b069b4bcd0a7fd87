"""From a mapping and a resource's fields to the cleansing SQL of a load (DuckDB dialect).

A load reads the source into a table of VARCHAR columns plus ``_row``; this module decides which
source column feeds which field (:func:`plan_fields`) and compiles every field's cleansing into
SQL (:class:`Cleanser`):

1. trim (spaces, NBSP, U+3000, zero-width characters) and the source's ``null_values``;
2. the column's declared value map (``values``; ``unmapped: invalid`` refuses other values);
3. the field's standard (``sz_<kind>_check``; placeholders such as 不详 count as missing), its
   ``normalized`` form kept when valid;
4. the cast to the field's type (a failure is reason ``type``), then ``values``, ``max_length``,
   ``min`` and ``max``;
5. per field, an invalid value follows the field's ``on_invalid``; a missing required value
   sends the row to quarantine (rule ``<field>.required``).

Fields with a standard, a value map or a date type are computed once per *distinct* source value
(``SELECT DISTINCT`` then a join): departmental data repeats values heavily, and the standards'
checks cost far more than a hash join. Identity numbers and mobile numbers already written in
their standard form skip the full check (a few plain projections prove them valid). Everything
else is computed inline in one ``CREATE TABLE AS`` over the source. No Python touches a row.

The batch table has one row per source row: ``_row``, every field (typed), ``_issues`` (kept
rows: ``LIST(STRUCT(field, rule, value))``) and ``_fails`` (why a row is quarantined:
``LIST(STRUCT(field, column, rule, value, reason_zh, reason_en))``; the texts of checked fields
are looked up when the quarantine is written, from a small table of the failing values' texts).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from shuzhi.catalog.spec import FieldSpec, FieldType, OnInvalid, ResourceSpec
from shuzhi.errors import DataError, ValidationError
from shuzhi.ingest.mapping import ColumnMapping, MappingSpec

__all__ = [
    "FAIL_TYPE",
    "INGEST_REASONS",
    "ISSUE_TYPE",
    "Cleanser",
    "ColumnMatch",
    "FieldPlan",
    "FieldsPlan",
    "field_details",
    "ident",
    "lit",
    "plan_fields",
    "render_sql",
    "rule_code",
    "rule_counts",
    "rule_field",
    "rule_text",
    "validate_mapping",
]

#: reason texts of the checks ingestion adds to the standards' own (code -> (中文, English));
#: templates are formatted with the value's details like the standards' reasons
INGEST_REASONS: dict[str, tuple[str, str]] = {
    "required": (
        "必填项“{label}”为空（空白或“不详”“无”等占位值）",
        "the required field {label} ({field}) is empty (blank, or a placeholder such as 不详 or 无)",
    ),
    "type": ("“{value}”不是有效的{type_zh}", "'{value}' is not a valid {type_en}"),
    "scale": (
        "“{value}”的小数超过 {scale} 位（不四舍五入）",
        "'{value}' has more than {scale} decimal places (not rounded)",
    ),
    "min": ("{value} 小于允许的最小值 {min}", "{value} is below the minimum {min}"),
    "max": ("{value} 大于允许的最大值 {max}", "{value} is above the maximum {max}"),
    "max_length": (
        "长度 {length} 个字符，超过上限 {max_length}",
        "{length} characters, more than the limit of {max_length}",
    ),
    "values": ("“{value}”不是允许的取值（{allowed}）", "'{value}' is not an allowed value ({allowed})"),
    "unmapped": (
        "“{value}”不在映射文件为此列列出的取值中",
        "'{value}' is not among the values the mapping lists for this column",
    ),
    "date_format": ("“{value}”不符合日期格式 {format}", "'{value}' does not match the date format {format}"),
    "excel_number": (
        "Excel 把“{value}”存成了数值，超过 15 位的数字只保留前 15 位，后面几位已变成 0，原值无法确定："
        "请把该列设为文本格式后重新录入",
        "Excel stored '{value}' as a number and keeps only 15 significant digits, so the last digits "
        "have become 0 and the value typed is lost: format the column as text and type it again",
    ),
    "key.duplicate": (
        "主键 {key} 与第 {first_row} 行重复",
        "the key {key} repeats the one of row {first_row}",
    ),
    "key.exists": (
        "主键 {key} 已在当前版本中；要更新已有记录请用 upsert 模式",
        "the key {key} is already in the current version; load with mode upsert to update it",
    ),
}

#: characters trimmed from both ends of every value (as the standards' precheck does)
_BLANKS = " \t\n\r\f\v\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff"
_TRUE = ("1", "true", "t", "yes", "y", "是", "对", "真", "√", "✓")
_FALSE = ("0", "false", "f", "no", "n", "否", "错", "假", "×", "✗")

#: numbers as departments write them: ASCII or full-width digits (１２３，４５６．７), an optional
#: sign, thousands separators in groups of three (1,234 — not 12,34, a decimal comma elsewhere), a
#: decimal part; integers only as ``.0``, decimals also with an exponent (1.2E+05, as Excel writes
#: large numbers). Anything else — 2.5 for an integer, 0x10, 1_000, NaN, inf — is not a number of
#: the field's type (DuckDB's own casts read those as 3, 16, 1000, NaN and inf).
_NUM_FULLWIDTH = ("０１２３４５６７８９，．－＋", "0123456789,.-+")
_INT_RE = r"[+-]?([0-9]+|[0-9]{1,3}(,[0-9]{3})+)(\.0*)?"
_DEC_RE = r"[+-]?(([0-9]+|[0-9]{1,3}(,[0-9]{3})+)(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"


def parse_integer(text: str) -> int | None:
    """``text`` as an integer field reads it (the SQL of :func:`_int_sql`, for one value)."""
    t = text.strip().translate(str.maketrans(*_NUM_FULLWIDTH))
    if not re.fullmatch(_INT_RE, t):
        return None
    n = int(t.replace(",", "").split(".")[0])
    return n if -(2**63) <= n < 2**63 else None


def parse_decimal(text: str) -> float | None:
    """``text`` as a decimal field reads it (the SQL of :func:`_dec_sql`, for one value)."""
    t = text.strip().translate(str.maketrans(*_NUM_FULLWIDTH))
    if not re.fullmatch(_DEC_RE, t):
        return None
    x = float(t.replace(",", ""))
    return x if math.isfinite(x) else None


def _decimals(text: str) -> int:
    """Decimal places of a number as a decimal field reads it (trailing zeros do not count)."""
    from shuzhi.quality.rules import decimal_places

    return decimal_places(text.strip().translate(str.maketrans(*_NUM_FULLWIDTH)).replace(",", ""))


_DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y%m%d%H%M%S",
    "%Y%m%d %H:%M:%S",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H时%M分%S秒",
    "%Y年%m月%d日%H时%M分",
)
_CODE_LISTS = ("sex", "marital", "ethnic")
#: kinds with a fast path (_fast_steps): values that plain projections prove valid skip the check
_FAST_KINDS = ("idcard", "phone", "name", "date")
#: kinds whose values are often nearly all distinct (identity numbers, phones, household and case
#: numbers): their fast path (see _fast_steps) runs per row and only the rest is looked up (sparse)
_SPARSE_KINDS = ("idcard", "phone", "text")
_FAST_ITEMS = {
    "ok": "true",
    "norm": "v_m",
    "code": "NULL::VARCHAR",
    "parts": "NULL::JSON",
    "miss": "false",
    "dt": "NULL::DATE",
}
_MISSING_ITEMS = {
    "ok": "false",
    "norm": "NULL::VARCHAR",
    "code": "NULL::VARCHAR",
    "parts": "NULL::JSON",
    "miss": "true",
    "dt": "NULL::DATE",
}


# -- small SQL helpers -----------------------------------------------------------------------------


def ident(name: str) -> str:
    """A quoted DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: object) -> str:
    """A DuckDB literal for a str, int, float, bool or None."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if all(ch.isprintable() and ch not in "\r\n" for ch in text):
        return "'" + text.replace("'", "''") + "'"
    return "(" + " || ".join(f"chr({ord(ch)})" if not ch.isprintable() else lit(ch) for ch in text) + ")"


def _in_list(values: Sequence[str]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")"


def _trim_sql(x: str) -> str:
    """SQL: ``x`` without blanks at either end. ``trim`` with a set of characters is slow, so it
    runs only on values that start or end with one."""
    chars = "(" + ", ".join(lit(ch) for ch in _BLANKS) + ")"
    return f"CASE WHEN {x}[1] IN {chars} OR {x}[-1] IN {chars} THEN trim({x}, {lit(_BLANKS)}) ELSE {x} END"


def render_sql(template: str, detail: str) -> str:
    """SQL: ``template`` (an expression) with every ``{key}`` replaced from the JSON ``detail``, in
    one pass like ``str.format_map`` (a key the detail lacks stays as written). Only the
    template's own keys are looked up: a detail carries a field's whole description and a
    check's parts, two dozen keys."""
    from shuzhi.standards.text import sql_let

    key = "\\{([A-Za-z0-9_]+)\\}"
    split = (
        f"{{'p': regexp_split_to_array(sz_tpl, '{key}'), "  # the texts between the keys
        f"'k': regexp_extract_all(sz_tpl, '{key}', 1)}}"
    )
    missing = "'{' || sz_k || '}'"
    value = f"coalesce({detail} ->> sz_k, CASE WHEN ({detail} -> sz_k) IS NULL THEN {missing} ELSE '' END)"
    body = (
        f"sz_tp.p[1] || array_to_string(list_transform(sz_tp.k, "
        f"lambda sz_k, sz_i: {value} || sz_tp.p[sz_i + 1]), '')"
    )
    return sql_let(template, "sz_tpl", sql_let(split, "sz_tp", body))


# -- rules and their texts -----------------------------------------------------------------------


def rule_field(rule: str) -> str | None:
    """The field a rule is about (``id_number.idcard.check_mismatch`` -> ``id_number``), None for the
    key rules ``key.duplicate`` and ``key.exists``."""
    if rule in ("key.duplicate", "key.exists"):
        return None
    return rule.split(".", 1)[0]


def rule_code(rule: str) -> str:
    """The reason code of a rule (``id_number.idcard.check_mismatch`` -> ``idcard.check_mismatch``)."""
    if rule in ("key.duplicate", "key.exists"):
        return rule
    return rule.split(".", 1)[1] if "." in rule else rule


class _Ellipsis(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "…"


def _templates(code: str) -> tuple[str, str]:
    from shuzhi.standards import REASONS

    return INGEST_REASONS.get(code) or REASONS.get(code) or (code, code)


def rule_text(rule: str, lang: Literal["zh", "en"] = "zh", details: Mapping[str, Any] | None = None) -> str:
    """The text of a rule's reason in ``lang``; values the details lack are shown as ``…``."""
    zh, en = _templates(rule_code(rule))
    data = _Ellipsis(details or {})
    return (zh if lang == "zh" else en).format_map(data)


#: the texts of key rules in a count of rows (the key and the row differ from row to row)
_SUMMARY_TEXTS: dict[str, tuple[str, str]] = {
    "key.duplicate": ("主键与文件中前面的行重复", "the key repeats the one of an earlier row of the file"),
    "key.exists": (
        "主键已在当前版本中；要更新已有记录请用 upsert 模式",
        "the key is already in the current version; load with mode upsert to update it",
    ),
}
_QUOTED_VALUE = (("“{value}”", "该值"), ("{value} ", "该值"), ("{value}", "该值"))
_QUOTED_VALUE_EN = (("'{value}'", "the value"), ("{value}", "the value"))


def summary_text(
    rule: str, lang: Literal["zh", "en"] = "zh", details: Mapping[str, Any] | None = None
) -> str:
    """The text of a rule in a count of rows: the value a row's text quotes reads 该值 (the value),
    other details the field does not give are shown as ``…``."""
    code = rule_code(rule)
    if code in _SUMMARY_TEXTS:
        zh, en = _SUMMARY_TEXTS[code]
    else:
        zh, en = _templates(code)
        for old, new in _QUOTED_VALUE:
            zh = zh.replace(old, new)
        for old, new in _QUOTED_VALUE_EN:
            en = en.replace(old, new)
    return (zh if lang == "zh" else en).format_map(_Ellipsis(details or {}))


def reason_rows() -> list[tuple[str, str, str]]:
    """(code, zh, en) of every reason a load may report: the standards' and ingestion's own."""
    from shuzhi.standards import REASONS

    rows = dict(REASONS)
    rows.update(INGEST_REASONS)
    return [(code, zh, en) for code, (zh, en) in rows.items()]


# -- which column feeds which field ---------------------------------------------------------------


class ColumnMatch(BaseModel):
    """Where one field's values come from."""

    field: str
    label: str
    #: the source column, or None (a default, or nothing: the field stays empty)
    column: str | None = None
    default: str | None = None
    #: mapping | name | label | default | none
    matched_by: str


@dataclass(frozen=True)
class FieldPlan:
    """One field of the resource and what feeds it."""

    index: int
    spec: FieldSpec
    column: str | None
    default: str | None
    mapping: ColumnMapping | None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def fed(self) -> bool:
        return self.column is not None or self.default is not None


@dataclass
class FieldsPlan:
    """The outcome of matching a source's header to a resource's fields."""

    resource: ResourceSpec
    fields: list[FieldPlan]
    source_columns: list[str]
    matches: list[ColumnMatch]
    #: source columns no field takes (ignored)
    unmatched: list[str]
    null_values: list[str]
    region: str | None = None

    @property
    def key_fields(self) -> list[FieldPlan]:
        return [f for f in self.fields if f.spec.key]


def _mapping_where(file: str | None, doc: Any, loc: Sequence[str | int]) -> str:
    if file is None:
        return ".".join(str(p) for p in loc)
    line = doc.line(list(loc)) if doc is not None else None
    key = ".".join(str(p) for p in loc)
    return f"{file}:{line} {key}" if line is not None else f"{file} {key}"


def validate_mapping(
    spec: ResourceSpec, mapping: MappingSpec, *, file: str | None = None, doc: Any = None
) -> None:
    """Check a mapping against the catalog before any data is read: every field it names exists,
    variants and date formats go to date fields. Raises one :class:`ValidationError` naming the
    mapping file, line and key of every problem."""
    names = [f.name for f in spec.fields]
    known_zh = "、".join(f"{f.name}（{f.label}）" if f.label else f.name for f in spec.fields)
    known = ", ".join(names)
    problems: dict[str, list[str]] = {}
    if mapping.resource != spec.code:
        problems.setdefault(_mapping_where(file, doc, ["resource"]), []).append(
            f"映射文件属于资源 {mapping.resource}，不是 {spec.code} / the mapping is for resource "
            f"{mapping.resource}, not {spec.code}"
        )
    for column, cm in mapping.columns.items():
        where = _mapping_where(file, doc, ["columns", column])
        if cm.field not in names:
            problems.setdefault(where, []).append(
                f"信息项 {cm.field} 不在资源 {spec.code} 的目录中（可用：{known_zh}）/ field {cm.field!r} "
                f"is not in the catalog of {spec.code} (fields: {known})"
            )
            continue
        f = spec.field(cm.field)
        is_date = f.type in (FieldType.date, FieldType.datetime) or f.standard == "date"
        if (cm.variant or cm.date_format) and not is_date:
            problems.setdefault(where, []).append(
                f"variant/date_format 只适用于日期信息项 / variant and date_format apply to date fields, "
                f"not {cm.field} ({f.type.value})"
            )
        if cm.date_format and "%" not in cm.date_format:
            problems.setdefault(where, []).append(
                f"日期格式须使用 %Y %m %d 等占位符 / date_format needs %Y, %m, %d…: {cm.date_format!r}"
            )
    for name, value in mapping.defaults.items():
        where = _mapping_where(file, doc, ["defaults", name])
        if name not in names:
            problems.setdefault(where, []).append(
                f"信息项 {name} 不在资源 {spec.code} 的目录中（可用：{known_zh}）/ field {name!r} is not "
                f"in the catalog of {spec.code} (fields: {known})"
            )
            continue
        wrong = _bad_default(spec, spec.field(name), value)
        if wrong is not None:
            problems.setdefault(where, []).append(wrong)
    if problems:
        raise ValidationError(problems)


def _bad_default(spec: ResourceSpec, f: FieldSpec, value: str) -> str | None:
    """Why a mapping's constant ``value`` for ``f`` is wrong, or None: a default goes into every
    row, so a bad one is refused when the mapping is read (it would be flagged or emptied in every
    row, and an upsert would write that over the values the rows had)."""
    from shuzhi.standards import KINDS, check

    kind = f.standard if f.standard in KINDS else "date" if f.type is FieldType.date else None
    if kind is not None:
        # the region as the load reads it: for the kinds that take one, without a variant
        takes = KINDS[kind].check_in is not None and f.variant is None
        verdict = check(kind, value, context=spec.region if takes else None, variant=f.variant)
        if not verdict.valid:
            return (
                f"默认值 {value!r} 无效：{verdict.message('zh')} / the default {value!r} is invalid: "
                f"{verdict.message('en')}"
            )
    if f.type in (FieldType.integer, FieldType.decimal):
        number = parse_integer(value) if f.type is FieldType.integer else parse_decimal(value)
        if number is None:
            return (
                f"默认值 {value!r} 不是有效的{f.type.label_zh} / the default {value!r} is not a valid "
                f"{f.type.label_en}"
            )
        if (f.min is not None and number < f.min) or (f.max is not None and number > f.max):
            return f"默认值 {value!r} 超出允许范围 / the default {value!r} is out of the field's range"
        if f.scale is not None and _decimals(value) > f.scale:
            return (
                f"默认值 {value!r} 的小数超过 {f.scale} 位 / the default {value!r} has more than "
                f"{f.scale} decimal places"
            )
    values = f.values or []
    if values and f.type in (FieldType.integer, FieldType.decimal):
        from shuzhi.quality.rules import allowed_number

        allowed = number in {allowed_number(v) for v in values}  # as numbers, as the rows are compared
    else:
        allowed = not values or value in values
    if not allowed:
        return (
            f"默认值 {value!r} 不是允许的取值（{'、'.join(values[:20])}）/ the default {value!r} is not "
            "an allowed value"
        )
    return None


def _norm(text: str) -> str:
    return text.strip().strip(_BLANKS)


def plan_fields(
    spec: ResourceSpec,
    mapping: MappingSpec | None,
    source_columns: Sequence[str],
    *,
    file: str,
    mapping_file: str | None = None,
) -> FieldsPlan:
    """Match the source's header to the resource's fields.

    A mapping's ``columns`` come first; every field it does not feed is matched to a remaining
    source column by its name or its Chinese label (exact after trimming). Raises
    :class:`DataError` (naming the file, the columns and the header found) when the source lacks
    a mapped column, has columns a mapping with ``extra_columns: error`` does not allow, or lacks
    a column for a required field without a default.
    """
    columns = list(source_columns)
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(_norm(c), c)
    header = "、".join(columns) if columns else "(无 / none)"
    mapped: dict[str, tuple[str, ColumnMapping]] = {}  # field -> (source column, mapping)
    missing: list[str] = []
    if mapping is not None:
        for col, spec_col in mapping.columns.items():
            actual = col if col in columns else by_norm.get(_norm(col))
            if actual is None:
                missing.append(col)
            else:
                mapped[spec_col.field] = (actual, spec_col)
    if missing:
        raise DataError(
            f"文件缺少映射中的列 {'、'.join(missing)}；表头为 {header} / the file lacks the mapped "
            f"column(s) {', '.join(repr(m) for m in missing)}; its header is: {header}",
            file=file,
            column=", ".join(missing),
        )
    defaults = dict(mapping.defaults) if mapping is not None else {}
    taken = {c for c, _ in mapped.values()}
    plans: list[FieldPlan] = []
    matches: list[ColumnMatch] = []
    for i, f in enumerate(spec.fields):
        column: str | None = None
        cm: ColumnMapping | None = None
        how = "none"
        if f.name in mapped:
            column, cm = mapped[f.name]
            how = "mapping"
        elif f.name in defaults:
            how = "default"
        else:
            for candidate, kind in ((f.name, "name"), (f.label, "label")):
                hit = by_norm.get(_norm(candidate))
                if hit is not None and hit not in taken:
                    column, how = hit, kind
                    break
        if column is not None:
            taken.add(column)
        default = defaults.get(f.name)
        plans.append(FieldPlan(i, f, column, default, cm))
        matches.append(
            ColumnMatch(field=f.name, label=f.label, column=column, default=default, matched_by=how)
        )
    unmatched = [c for c in columns if c not in taken]
    if mapping is not None and mapping.extra_columns == "error" and unmatched:
        raise DataError(
            f"文件有映射未列出的列 {'、'.join(unmatched)}（extra_columns: error）/ the file has columns the "
            f"mapping does not name: {', '.join(repr(c) for c in unmatched)}",
            file=file,
            column=", ".join(unmatched),
        )
    lacking = [p for p in plans if p.spec.required and not p.fed]
    if lacking:
        zh = "、".join(f"{p.spec.label}（{p.name}）" for p in lacking)
        en = ", ".join(f"{p.spec.label} ({p.name})" for p in lacking)
        # the file may simply lack the column (a correction file sent back without 姓名): say so first
        if mapping_file:
            hint_zh = (
                f"文件缺这一列时请补上；列名不同时请在映射文件 {mapping_file} 的 columns 中把它对到一列，"
                "或在 defaults 中给出默认值"
            )
            hint_en = (
                f"add the column if the file lacks it; if it is named otherwise, map it under columns of "
                f"{mapping_file}, or give a default under defaults"
            )
        else:
            hint_zh = (
                "文件缺这一列时请补上；列名不同时请提供映射文件把它对到一列"
                "（命令行 --mapping，接口的 mapping 字段）"
            )
            hint_en = (
                "add the column if the file lacks it; if it is named otherwise, give a mapping file that "
                "maps it to a column (--mapping on the command line, the mapping field in the API)"
            )
        raise DataError(
            f"必填信息项 {zh} 在文件中没有同名的列，也没有默认值；文件的表头为 {header}；{hint_zh} / "
            f"required field(s) {en} have no column of that name in the file and no default; the "
            f"header is {header}; {hint_en}",
            file=file,
        )
    null_values = list(mapping.source.null_values) if mapping is not None else [""]
    return FieldsPlan(
        resource=spec,
        fields=plans,
        source_columns=columns,
        matches=matches,
        unmatched=unmatched,
        null_values=null_values,
        region=spec.region,
    )


# -- compiling a field ---------------------------------------------------------------------------


@dataclass
class _Field:
    """How one field is cleansed, resolved from its spec and mapping."""

    plan: FieldPlan
    kind: str | None  # standard kind, 'strptime' for a declared date format, or None
    check_sql: str | None  # macro name for checkable kinds
    context: str | None
    lookup: bool  # computed once per distinct value
    action: OnInvalid
    static: dict[str, Any] = field(default_factory=dict)
    #: the check as a query over rows (CheckKind.sql_check_rows), where the kind has one
    check_rows: Callable[[str, str, str | None, str], str] | None = None
    #: the check of a whole Arrow column (CheckKind.check_arrow), where the kind has one
    check_arrow: Callable[[Any], Any] | None = None

    @property
    def spec(self) -> FieldSpec:
        return self.plan.spec

    @property
    def ftype(self) -> FieldType:
        return self.plan.spec.type


def _resolve(fp: FieldPlan, region: str | None) -> _Field:
    from shuzhi.standards import KINDS

    f = fp.spec
    cm = fp.mapping
    kind = f.standard
    date_format = cm.date_format if cm is not None else None
    if date_format:
        kind = "strptime"
    elif kind is None and f.type in (FieldType.date, FieldType.datetime):
        kind = "date"  # the date parser of the standards reads what departments write
    check_sql: str | None = None
    context: str | None = None
    check_rows = check_arrow = None
    if kind in KINDS:
        k = KINDS[kind]
        if f.variant is None and not (cm is not None and cm.variant):
            check_arrow = k.check_arrow
        variant = (cm.variant if cm is not None else None) or f.variant
        if kind == "date" and variant:
            check_sql = k.variants[variant].sql_check
        elif region and k.sql_check_in:
            check_sql, context = k.sql_check_in_lean or k.sql_check_in, region
        else:  # the parts of valid values are not read here: the lean twin where there is one
            check_sql = k.sql_check_lean or k.sql_check
        if check_sql in (k.sql_check_in_lean, k.sql_check_lean) and check_sql is not None:
            check_rows = k.sql_check_rows
    action = f.invalid_action
    if f.required and (
        action is OnInvalid.null or (action is OnInvalid.flag and f.type is not FieldType.string)
    ):
        action = OnInvalid.quarantine  # a required value cannot be emptied
    has_map = cm is not None and bool(cm.values)
    lookup = (
        fp.default is not None
        or kind is not None
        or has_map
        or f.type in (FieldType.date, FieldType.datetime, FieldType.boolean)
    )
    static = field_details(f)
    if date_format:
        static["format"] = date_format
    return _Field(fp, kind, check_sql, context, lookup, action, static, check_rows, check_arrow)


def field_details(f: FieldSpec) -> dict[str, Any]:
    """What a field's reason texts may name: its name, label, type and limits."""
    details: dict[str, Any] = {
        "field": f.name,
        "label": f.label,
        "type_zh": f.type.label_zh,
        "type_en": f.type.label_en,
    }
    if f.min is not None:
        details["min"] = _num(f.min)
    if f.max is not None:
        details["max"] = _num(f.max)
    if f.max_length is not None:
        details["max_length"] = f.max_length
    if f.scale is not None:
        details["scale"] = f.scale
    if f.values:
        details["allowed"] = "、".join(f.values[:20]) + ("…" if len(f.values) > 20 else "")
    return details


def rule_counts(
    rows: Sequence[tuple[Any, Any]],
    spec: ResourceSpec | None,
    examples: Mapping[str, tuple[str, str]] | None = None,
) -> list[dict[str, Any]]:
    """(rule, count) rows as dicts with the rule's field (and its label), code and texts (see
    :func:`summary_text`). A text that needs the details of a value (年 … 月没有 … 日) is given
    as one row's text from ``examples`` (rule → (中文, English)) instead: 如：2024 年 2 月没有 30 日."""
    names = {f.name: f for f in spec.fields} if spec is not None else {}
    out = []
    for rule, n in rows:
        rule = str(rule)
        field_name = rule_field(rule)
        f = names.get(field_name or "")
        details = field_details(f) if f is not None else {}
        zh, en = summary_text(rule, "zh", details), summary_text(rule, "en", details)
        example = (examples or {}).get(rule)
        if example is not None and "…" in zh:
            zh, en = f"如：{example[0]}", f"e.g. {example[1]}"
        out.append(
            {
                "rule": rule,
                "field": field_name,
                "label": f.label if f is not None else None,
                "code": rule_code(rule),
                "count": int(n),
                "reason_zh": zh,
                "reason_en": en,
            }
        )
    return out


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def _steps_trim(x: str, p: str, null_values: Sequence[str]) -> list[dict[str, str]]:
    """Layers: ``t0`` the trimmed value, ``t`` the same with blanks and null values made NULL."""
    others = [v for v in (_norm(n) for n in null_values) if v]
    cond = f"{p}t0 = ''" + (f" OR {p}t0 IN {_in_list(others)}" if others else "")
    return [{"t0": _trim_sql(x)}, {"t": f"CASE WHEN {cond} THEN NULL ELSE {p}t0 END"}]


def _step_map(f: _Field, t: str) -> tuple[str, str]:
    """SQL of the mapped value and of the 'not in the value map' flag."""
    cm = f.plan.mapping
    if cm is None or not cm.values:
        return t, "false"
    whens = " ".join(f"WHEN {lit(k.strip())} THEN {lit(v)}" for k, v in cm.values.items())
    mapped = f"CASE {t} {whens} ELSE {t if cm.unmapped == 'keep' else 'NULL'} END"
    if cm.unmapped == "keep":
        return mapped, "false"
    keys = _in_list([k.strip() for k in cm.values])
    return mapped, f"coalesce({t} NOT IN {keys}, false)"


def _step_check(f: _Field, m: str) -> dict[str, str]:
    """SQL of ok, norm, code, parts (JSON), miss and dt (DATE) of the value ``m``."""
    kind = f.kind
    if kind is None:
        return {
            "ok": "true",
            "norm": m,
            "code": "NULL::VARCHAR",
            "parts": "NULL::JSON",
            "miss": f"({m} IS NULL)",
            "dt": "NULL::DATE",
        }
    if kind == "strptime":
        fmt = lit(f.static["format"])
        parsed = f"try_strptime({m}, {fmt})"
        return {
            "ok": f"({parsed} IS NOT NULL)",
            "norm": f"strftime({parsed}, '%Y-%m-%d')",
            "code": "'date_format'",
            "parts": "NULL::JSON",
            "miss": f"({m} IS NULL)",
            "dt": f"{parsed}::DATE",
        }
    if kind in _CODE_LISTS:
        from shuzhi.standards.codes import CODE_LISTS

        cl = CODE_LISTS[kind]
        code = f"sz_code_map({lit(kind)}, {m})"
        parts = (
            f"json_object('value', {m}, 'list', {lit(kind)}, 'list_label', {lit(cl.label_zh)}, "
            f"'list_label_en', {lit(cl.label_en)})"
        )
        return {
            "ok": f"({code} IS NOT NULL)",
            "norm": code,
            "code": "'code.unmapped'",
            "parts": parts,
            "miss": f"({m} IS NULL OR sz_is_placeholder({m}))",
            "dt": "NULL::DATE",
        }
    if kind == "text":
        return {
            "ok": "true",
            "norm": f"sz_text_clean({m})",
            "code": "NULL::VARCHAR",
            "parts": "NULL::JSON",
            "miss": f"(sz_text_clean({m}) IS NULL)",
            "dt": "NULL::DATE",
        }
    assert f.check_sql is not None
    args = m if f.context is None else f"{m}, {lit(f.context)}"
    r = f"{f.check_sql}({args})"
    return {"r": r}  # expanded by the caller over a column holding the verdict


def _verdict_items(kind: str | None, r: str, m: str) -> dict[str, str]:
    """ok, norm, code, parts, miss, dt read from a verdict struct column ``r``."""
    dt = (
        f"CASE WHEN {r}.valid THEN make_date({r}.parts.year, coalesce({r}.parts.month, 1), "
        f"coalesce({r}.parts.day, 1)) END"
        if kind == "date"
        else "NULL::DATE"
    )
    return {
        "ok": f"coalesce({r}.valid, false)",
        "norm": f"{r}.normalized",
        "code": f"{r}.reason",
        # the parts are only read for a value the check refused (the details of its reason):
        # turning every verdict's parts into JSON cost more than the check of valid addresses
        "parts": f"CASE WHEN {r}.reason IS NOT NULL THEN to_json({r}.parts) END",
        # placeholders (不详, /, —) are missing values even where a check calls them invalid
        # (the placeholder test normalises the text: in a CASE, so that it runs for refused values
        # only; inside AND it ran for every value)
        "miss": f"({r} IS NULL OR coalesce({r}.reason = 'empty' OR {r}.reason LIKE '%.placeholder', false) "
        f"OR CASE WHEN NOT {r}.valid THEN coalesce(sz_is_placeholder({m}), false) ELSE false END)",
        "dt": dt,
    }


def _fast_items() -> dict[str, str]:
    """ok, norm, code, parts, miss and dt of a value its kind's fast path passed (``v_`` columns
    of :func:`_fast_steps`)."""
    return {**_FAST_ITEMS, "norm": "v_fnorm", "dt": "v_fdt"}


def _fast_steps(kind: str, m: str, p: str) -> list[dict[str, str]]:
    """Layers ending in ``{p}fast`` (``m`` is valid: the check need not run), ``{p}fnorm`` (its
    normalized form, read where fast), ``{p}fdt`` (its DATE, for a date) and ``{p}asis`` (valid
    as written: ``fnorm`` is ``m``; what a sparse lookup leaves out, so computed once per row).
    Only sufficient conditions the full check agrees with (tests/ingest/test_fast_paths.py):
    anything else goes through the check. The checks' notes are not kept by ingestion, so a
    fast path may skip them."""
    no_date = "NULL::DATE"
    if kind == "date":  # 2019-04-30, 2019/4/30, 20190430, 2019年4月30日 (a real day, 1800-2199)
        from shuzhi.standards.dates import sql_plain_date

        day = f"{p}fday"
        return [
            {"fday": sql_plain_date(m)},
            {"fast": f"({day} IS NOT NULL)", "fnorm": f"strftime({day}, '%Y-%m-%d')", "fdt": day},
            {"asis": f"coalesce({p}fast AND {p}fnorm = {m}, false)"},
        ]
    if kind == "phone":
        # as written: a mobile number (11 digits 1[3-9]…), or a landline written area-local
        # (0356-2123456) with the area code the check reads (three digits after 01/02, else
        # four), a known one, and a local number of that area's length not starting with 0 or 1;
        # valid too: a mobile number with +86 or 86 before it, or spaces or dashes between its
        # groups (+86 139 1234 5678), normalized to its 11 digits
        area = f"split_part({m}, '-', 1)"
        local = f"split_part({m}, '-', 2)"
        landline = (
            f"regexp_full_match({m}, '0[12][0-9]-[2-9][0-9]{{4,7}}|0[3-9][0-9]{{2}}-[2-9][0-9]{{4,7}}')"
            f" AND {area} || ':' || length({local}) IN"
            " (SELECT sz_pa_code || ':' || unnest(string_split(sz_pa_lengths, '/')) FROM sz_phone_area_codes)"
        )
        mobile = f"regexp_full_match({m}, '1[3-9][0-9]{{9}}')"
        written = f"regexp_full_match({m}, '(?:[+]?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{{4}}){{2}}')"
        return [
            {"asis": f"coalesce({mobile} OR ({landline}), false)"},
            {"written": f"CASE WHEN NOT {p}asis THEN coalesce({written}, false) ELSE false END"},
            {
                "fast": f"({p}asis OR {p}written)",
                "fnorm": f"CASE WHEN {p}asis THEN {m} WHEN {p}written "
                f"THEN right(regexp_replace({m}, '[^0-9]', '', 'g'), 11) END",
                "fdt": no_date,
            },
        ]
    if kind == "text":  # nothing the normalisation changes, not a placeholder: sz_text_clean(m) = m
        from shuzhi.standards.text import sql_changed_class

        plain = (
            f"coalesce(NOT regexp_matches({m}, '{sql_changed_class('sz_t2s_text')}')"
            f" AND NOT sz_text__placeholder({m}), false)"
        )
        return [{"asis": plain}, {"fast": f"{p}asis", "fnorm": m, "fdt": no_date}]
    if kind == "name":  # 2 to 25 plain Simplified ideographs (per distinct value: names repeat)
        from shuzhi.standards.names import sql_plain_valid

        return [{"asis": sql_plain_valid(m)}, {"fast": f"{p}asis", "fnorm": m, "fdt": no_date}]
    from shuzhi.standards.idcard import EARLIEST_BIRTH, PROVINCES, sql_check_value

    # 17 digits and a check character: the digits once as a BIGINT, the check by arithmetic
    # (the same test as idcard.bulk_sql's fast branch)
    d17 = f"{p}d17"
    expected = f"substr('0123456789X', ({sql_check_value(d17)})::INTEGER + 1, 1)"
    digits = f"CASE WHEN regexp_full_match({m}, '[0-9]{{17}}[0-9X]') THEN substr({m}, 1, 17)::BIGINT END"
    return [
        {"d17": digits},
        {
            "asis": f"coalesce({d17} IS NOT NULL"
            f" AND substr({m}, 1, 2) IN {_in_list(sorted(PROVINCES))}"
            f" AND substr({m}, 1, 6) IN (SELECT code FROM sz_divisions WHERE length(code) = 6)"
            f" AND try_strptime(substr({m}, 7, 8), '%Y%m%d')::DATE"
            f" BETWEEN DATE '{EARLIEST_BIRTH.isoformat()}' AND current_date"
            f" AND {expected} = substr({m}, 18, 1), false)"
        },
        {"fast": f"{p}asis", "fnorm": m, "fdt": no_date},
    ]


def _raw_plain(kind: str | None, x: str) -> str | None:
    """SQL: a cheaper sufficient condition than the fast path's (:func:`_fast_steps`) for the
    column value ``x`` as read — no blank to trim, so the same test as on the trimmed value —
    to be valid as written: an 11-digit mobile number, a text of ASCII digits (which text
    normalisation leaves alone and no placeholder is). None for other kinds. The caller also
    makes sure ``x`` is not a null value (tests/ingest/test_fast_paths.py)."""
    if kind == "phone":
        return f"regexp_full_match({x}, '1[3-9][0-9]{{9}}')"
    if kind == "text":
        return f"regexp_full_match({x}, '[0-9]+')"
    return None


def _ascii_number(x: str) -> str:
    # translate() costs about 1 s per million values: only where a full-width character is
    fw = "[" + _NUM_FULLWIDTH[0] + "]"
    return (
        f"CASE WHEN regexp_matches({x}, {lit(fw)}) "
        f"THEN translate({x}, {lit(_NUM_FULLWIDTH[0])}, {lit(_NUM_FULLWIDTH[1])}) ELSE {x} END"
    )


def _int_sql(x: str) -> str:
    # the common case (plain digits) first, by one regular expression and a cast; the grammar only
    # for the rest
    n = _ascii_number(x)
    return (
        f"CASE WHEN regexp_full_match({x}, '-?[0-9]{{1,18}}') THEN CAST({x} AS BIGINT) "
        f"WHEN regexp_full_match({n}, {lit(_INT_RE)}) "
        f"THEN TRY_CAST(regexp_replace(replace({n}, ',', ''), '\\.0*$', '') AS BIGINT) END"
    )


def _dec_sql(x: str, scale: int | None = None) -> str:
    n = _ascii_number(x)
    if scale is None:  # a double
        d = f"TRY_CAST(replace({n}, ',', '') AS DOUBLE)"
        return (
            f"CASE WHEN regexp_full_match({x}, '-?[0-9]{{1,15}}(\\.[0-9]{{1,15}})?') "
            f"THEN CAST({x} AS DOUBLE) "
            f"WHEN regexp_full_match({n}, {lit(_DEC_RE)}) AND isfinite({d}) THEN {d} END"
        )
    # exact: DECIMAL(38, scale); DuckDB's cast rounds extra decimals, so they are refused first
    typ = f"DECIMAL(38, {scale})"
    plain = f"replace({n}, ',', '')"
    fraction = f"(\\.[0-9]{{1,{scale}}})?" if scale else ""
    return (
        f"CASE WHEN regexp_full_match({x}, '-?[0-9]{{1,{38 - scale}}}{fraction}') THEN CAST({x} AS {typ}) "
        f"WHEN regexp_full_match({n}, {lit(_DEC_RE)}) AND NOT ({_too_many_decimals(plain, scale)}) "
        f"THEN TRY_CAST({plain} AS {typ}) END"
    )


def _too_many_decimals(t: str, scale: int) -> str:
    """SQL: whether the number ``t`` (ASCII, no separators) has digits beyond ``scale`` decimals
    (trailing zeros do not count; an exponent form is compared through its double)."""
    return (
        f"CASE WHEN regexp_matches({t}, '[eE]') "
        f"THEN TRY_CAST({t} AS DOUBLE) "
        f"IS DISTINCT FROM CAST(TRY_CAST({t} AS DECIMAL(38, {scale})) AS DOUBLE) "
        f"ELSE length(regexp_extract({t}, '\\.([0-9]*[1-9])0*$', 1)) > {scale} END"
    )


def _step_cast(f: _Field, p: str) -> dict[str, str]:
    """val0 (typed) and bad1 (the first failure) from the check's columns with prefix ``p``."""
    norm, ok, code, miss, dt, m = (f"{p}norm", f"{p}ok", f"{p}code", f"{p}absent", f"{p}dt", f"{p}m")
    t = f.ftype
    if t is FieldType.string:
        val0 = norm
    elif t is FieldType.integer:
        val0 = _int_sql(norm)
    elif t is FieldType.decimal:
        val0 = _dec_sql(norm, f.spec.scale)
    elif t is FieldType.date:
        val0 = dt if f.kind in ("date", "strptime") else f"TRY_CAST({norm} AS DATE)"
    elif t is FieldType.datetime:
        fmts = "[" + ", ".join(lit(x) for x in _DATETIME_FORMATS) + "]"
        src = m if f.kind in ("date", "strptime", None) else norm
        parsed = (
            f"try_strptime({m}, {lit(f.static['format'])})"
            if f.kind == "strptime"
            else f"coalesce(TRY_CAST({src} AS TIMESTAMP), try_strptime({src}, {fmts}))"
        )
        fallback = f"{dt}::TIMESTAMP" if f.kind == "date" else "NULL::TIMESTAMP"
        val0 = f"CASE WHEN NOT {miss} THEN coalesce({parsed}, {fallback}) END"
        bad1 = (
            f"CASE WHEN {miss} THEN NULL WHEN {p}um THEN 'unmapped' WHEN {p}val0 IS NOT NULL THEN NULL "
            f"WHEN NOT {ok} THEN {code} ELSE 'type' END"
        )
        return {"val0": val0, "bad1": bad1}
    else:  # boolean
        low = f"lower({norm})"
        val0 = (
            f"CASE WHEN {low} IN {_in_list(_TRUE)} THEN true WHEN {low} IN {_in_list(_FALSE)} THEN false END"
        )
    scale = ""
    if t is FieldType.decimal and f.spec.scale is not None:
        plain = f"replace({_ascii_number(norm)}, ',', '')"
        scale = (
            f"WHEN {p}val0 IS NULL AND regexp_full_match({plain}, {lit(_DEC_RE)}) "
            f"AND {_too_many_decimals(plain, f.spec.scale)} THEN 'scale' "
        )
    bad1 = (
        f"CASE WHEN {miss} THEN NULL WHEN {p}um THEN 'unmapped' WHEN NOT {ok} THEN {code} "
        f"{scale}WHEN {p}val0 IS NULL THEN 'type' END"
    )
    return {"val0": val0, "bad1": bad1}


def _step_constraints(f: _Field, p: str) -> dict[str, str]:
    spec = f.spec
    val0 = f"{p}val0"
    text = f"CAST({val0} AS VARCHAR)"
    checks: list[str] = []
    if spec.values and spec.type in (FieldType.integer, FieldType.decimal):
        # compared as numbers: a decimal 1 is the text 1.0, and 02 is the integer 2
        from shuzhi.quality.rules import allowed_number

        numbers = [n for n in (allowed_number(v) for v in spec.values) if n is not None]
        outside = f"{val0} NOT IN ({', '.join(lit(n) for n in numbers)})" if numbers else "true"
        checks.append(f"WHEN {outside} THEN 'values'")
    elif spec.values:
        checks.append(f"WHEN {text} NOT IN {_in_list(spec.values)} THEN 'values'")
    if spec.max_length is not None:
        checks.append(f"WHEN length({text}) > {int(spec.max_length)} THEN 'max_length'")
    if spec.type in (FieldType.integer, FieldType.decimal):
        if spec.min is not None:
            checks.append(f"WHEN {val0} < {spec.min!r} THEN 'min'")
        if spec.max is not None:
            checks.append(f"WHEN {val0} > {spec.max!r} THEN 'max'")
    if checks:
        bad = f"CASE WHEN {p}bad1 IS NOT NULL OR {p}absent THEN {p}bad1 {' '.join(checks)} END"
    else:
        bad = f"{p}bad1"
    return {"bad": bad, "val": f"CASE WHEN {p}bad IS NULL AND NOT {p}absent THEN {val0} END"}


def _templates_case(code: str, lang: int) -> str:
    """SQL: the template of ingestion's own reason ``code`` (0: Chinese, 1: English)."""
    whens = " ".join(f"WHEN {lit(c)} THEN {lit(t[lang])}" for c, t in INGEST_REASONS.items())
    return f"CASE {code} {whens} ELSE {code} END"


def _step_texts(f: _Field, p: str, zh_t: str, en_t: str) -> dict[str, str]:
    """zh and en reason texts of a failure (only computed for failing values)."""
    mine = (
        f"json_merge_patch({lit(json.dumps(f.static, ensure_ascii=False))}::JSON, "
        f"json_object('value', coalesce({p}t, ''), 'length', length(CAST({p}val0 AS VARCHAR))))"
    )
    detail = (
        f"CASE WHEN {p}bad = {p}code AND {p}parts IS NOT NULL "
        f"THEN json_merge_patch({mine}, {p}parts) ELSE {mine} END"
    )
    return {
        "detail": f"CASE WHEN {p}bad IS NOT NULL THEN {detail} END",
        "zh": f"CASE WHEN {p}bad IS NOT NULL THEN {render_sql(zh_t, f'{p}detail')} END",
        "en": f"CASE WHEN {p}bad IS NOT NULL THEN {render_sql(en_t, f'{p}detail')} END",
    }


def _layer(inner: str, items: Mapping[str, str], p: str) -> str:
    cols = ", ".join(f"{expr} AS {p}{name}" for name, expr in items.items())
    return f"SELECT *, {cols} FROM ({inner})"


# -- the cleanser ------------------------------------------------------------------------------------


Run = Callable[[str], None]
Count = Callable[[str], int]
Fetch = Callable[[str], list[tuple[Any, ...]]]


class ArrowIO(Protocol):
    """An in-process engine's hand-over of Arrow tables (:class:`shuzhi.engine.DuckDBEngine`)."""

    def fetch_arrow(self, sql: str) -> Any: ...

    def fetch_batches(self, sql: str) -> Iterator[Any]: ...

    def register(self, name: str, source: Any) -> None: ...


class Cleanser:
    """The cleansing of one load: lookup tables per field, then the batch table.

    :meth:`setup`, :meth:`build_lookup` for each of :meth:`lookups`, then :meth:`main_sql`; the
    statements run through ``execute`` (``count`` answers a query of one integer, ``fetch``
    gives a query's rows);
    :attr:`tables` lists what they created (drop them afterwards).
    """

    def __init__(
        self, plan: FieldsPlan, *, source: str, batch: str, prefix: str, arrow: ArrowIO | None = None
    ) -> None:
        self.plan = plan
        #: where a kind has a vectorised check (CheckKind.check_arrow), the values are handed to it
        #: as Arrow columns through ``arrow``; :attr:`views` lists what it registered
        self.arrow = arrow
        self.views: list[str] = []
        self.source = source
        self.batch = batch
        self.prefix = prefix
        self.reasons = f"{prefix}_rt"
        self.texts = f"{prefix}_tx"
        self.fields = [_resolve(fp, plan.region) for fp in plan.fields]
        self.tables: list[str] = [self.reasons, self.texts]
        #: indexes of the text fields with many distinct values (see setup)
        self.distinct_text: set[int] = set()

    # statements ---------------------------------------------------------------------------------

    def setup(self, execute: Run, fetch: Fetch) -> None:
        """Create the reason texts table and the (empty) table of failure texts; find the text
        fields with many distinct values (more than a tenth of the rows, by DuckDB's
        HyperLogLog estimate, all fields in one scan): those are checked per row (see
        :meth:`sparse`), the others per distinct value (a department name repeated a million
        times is checked once). Per row, the plain test is one regular expression; per distinct
        value, the values are grouped, normalised and joined back: a household number shared by
        three people is cheaper tested three times."""
        texts = [f for f in self.fields if f.kind == "text" and self._may_be_sparse(f)]
        if texts:
            estimates = ", ".join(
                f"approx_count_distinct({ident(str(f.plan.column))}) * 10 > count(*)" for f in texts
            )
            row = fetch(f"SELECT {estimates} FROM {ident(self.source)}")[0]
            self.distinct_text = {f.plan.index for f, many in zip(texts, row, strict=True) if many}
        rows = ", ".join(f"({lit(c)}, {lit(z)}, {lit(e)})" for c, z, e in reason_rows())
        execute(
            f"CREATE OR REPLACE TABLE {ident(self.reasons)} AS "
            f"SELECT * FROM (VALUES {rows}) AS t(code, zh, en)"
        )
        execute(
            f"CREATE OR REPLACE TABLE {ident(self.texts)} "
            "(field VARCHAR, raw VARCHAR, rule VARCHAR, zh VARCHAR, en VARCHAR)"
        )

    def errors_sql(self) -> str:
        """SQL: ``_row`` and ``_errors`` of the quarantined rows: every problem of the row with its
        column and texts — first those that sent it to quarantine, then the values that alone
        would only have been flagged or emptied (a department correcting the row sees them all)."""
        b, tx = ident(self.batch), ident(self.texts)
        columns = {f.spec.name: f.plan.column for f in self.fields if f.plan.column is not None}
        column_case = (
            "CASE u.f.field " + " ".join(f"WHEN {lit(n)} THEN {lit(c)}" for n, c in columns.items()) + " END"
            if columns
            else "NULL::VARCHAR"
        )
        # texts of inline fields' problems, which the texts table does not hold
        inline = [f for f in self.fields if f.plan.fed and not f.lookup]
        texts: list[str] = []
        for lang in (0, 1):
            whens = []
            for f in inline:
                code = f"substr(u.f.rule, {len(f.spec.name) + 2})"
                detail = (
                    f"json_merge_patch({lit(json.dumps(f.static, ensure_ascii=False))}::JSON, "
                    f"json_object('value', coalesce({_trim_sql('u.f.value')}, ''), "
                    f"'length', length({_trim_sql('u.f.value')})))"
                )
                whens.append(
                    f"WHEN {lit(f.spec.name)} THEN {render_sql(_templates_case(code, lang), detail)}"
                )
            texts.append(f"CASE u.f.field {' '.join(whens)} END" if whens else "NULL::VARCHAR")
        issue = (
            "lambda sz_i: {'field': sz_i.field, 'column': NULL::VARCHAR, 'rule': sz_i.rule, "
            "'value': sz_i.value, 'reason_zh': NULL::VARCHAR, 'reason_en': NULL::VARCHAR}"
        )
        return (
            "SELECT u._row, list({'field': u.f.field, 'column': coalesce(u.f.column, "
            + column_case
            + "), 'rule': u.f.rule, 'value': u.f.value, "
            f"'reason_zh': coalesce(u.f.reason_zh, t.zh, {texts[0]}, u.f.rule), "
            f"'reason_en': coalesce(u.f.reason_en, t.en, {texts[1]}, u.f.rule)}} ORDER BY u.i)::"
            + FAIL_TYPE
            + " AS _errors FROM (SELECT _row, unnest(e) AS f, unnest(generate_series(1, len(e))) AS i "
            f"FROM (SELECT _row, list_concat(_fails, list_transform(_issues, {issue})) AS e FROM {b} "
            f"WHERE len(_fails) > 0)) AS u LEFT JOIN {tx} AS t ON t.field = u.f.field AND t.rule = u.f.rule "
            "AND t.raw IS NOT DISTINCT FROM u.f.value GROUP BY u._row"
        )

    def _lookup_name(self, f: _Field) -> str:
        return f"{self.prefix}_v{f.plan.index}"

    def sparse(self, f: _Field) -> bool:
        """Whether the field's lookup holds only the values not already in standard form.

        Identity and mobile numbers are nearly all distinct and nearly all written in standard
        form, as are the household, case and licence numbers of text fields: the plain
        projections that prove those valid run once per row, and only the rest (invalid values,
        15-digit IDs, spaces, landlines, Traditional characters…) is looked up; a row whose value
        the lookup lacks is valid as written (text fields: only those found to have many distinct values
        by :meth:`setup`). Not for fields whose value map or constraints apply after the check."""
        if f.kind == "text" and f.plan.index not in self.distinct_text:
            return False
        return f.kind in _SPARSE_KINDS and self._may_be_sparse(f)

    @staticmethod
    def _may_be_sparse(f: _Field) -> bool:
        spec = f.spec
        return (
            f.plan.column is not None
            and not (f.plan.mapping is not None and f.plan.mapping.values)
            and spec.type is FieldType.string
            and not spec.values
            and spec.max_length is None
        )

    def _vectorised(self, f: _Field) -> bool:
        return self.arrow is not None and f.check_arrow is not None

    def _candidates(self, f: _Field, name: str) -> str:
        """SQL: the distinct raw values of a sparse field's column that are not valid as written,
        found by the kind's vectorised check over the whole column (no SQL per row), streamed in
        batches: a value it accepts with a normalized form equal to the value itself needs no
        lookup. Only the other values are kept in memory."""
        import pyarrow as pa
        import pyarrow.compute as pc

        assert self.arrow is not None and f.check_arrow is not None
        kept = []
        for batch in self.arrow.fetch_batches(
            f"SELECT {ident(str(f.plan.column))} FROM {ident(self.source)}"
        ):
            raw = batch.column(0)
            verdict = f.check_arrow(raw)
            same = pc.equal(verdict.column("normalized"), raw)
            asis = pc.fill_null(pc.and_kleene(verdict.column("valid"), same), False)
            kept.append(pc.unique(raw.filter(pc.invert(asis))).cast(pa.string()))
        values = pc.unique(pa.chunked_array(kept, pa.string())) if kept else pa.array([], pa.string())
        view = self._register(f"{name}_raw", pa.table({"raw": values}))
        return f"SELECT raw FROM {ident(view)}"

    def _accepted(self, f: _Field, stage: str, cond: str, name: str) -> str:
        """Register the values of ``stage`` meeting ``cond`` that the kind's vectorised check
        accepts, with their normalized form (``k_m``, ``k_norm``); return the view's name. The
        others (refused: the SQL check gives their reasons' details) are left to the SQL check."""
        import pyarrow as pa
        import pyarrow.compute as pc

        assert self.arrow is not None and f.check_arrow is not None
        values = self.arrow.fetch_arrow(f"SELECT DISTINCT v_m FROM {ident(stage)} WHERE {cond}").column(0)
        verdict = f.check_arrow(values)
        valid = pc.fill_null(verdict.column("valid"), False)
        return self._register(
            f"{name}_ok",
            pa.table({"k_m": values.filter(valid), "k_norm": verdict.column("normalized").filter(valid)}),
        )

    def _register(self, view: str, table: Any) -> str:
        """Make the Arrow ``table`` queryable as ``view`` (unregistered after the load)."""
        assert self.arrow is not None
        self.arrow.register(view, table)
        self.views.append(view)
        return view

    def _lookup_input(self, f: _Field) -> str:
        """SQL: the distinct raw values of the field's column (or its default), trimmed and mapped
        (for a sparse lookup, only those not in standard form)."""
        sparse = self.sparse(f)
        if f.plan.column is None:
            rel = f"SELECT {lit(f.plan.default)}::VARCHAR AS raw"
        elif sparse and self._vectorised(f):
            rel = self._candidates(f, self._lookup_name(f))
        elif sparse:
            col = ident(f.plan.column)
            rel = f"SELECT {col} AS raw FROM {ident(self.source)}"
            plain = _raw_plain(f.kind, col)
            if plain is not None:  # the bulk of the column leaves before the layers below
                nulls = _in_list(sorted({"", *(_norm(n) for n in self.plan.null_values)}))
                rel += f" WHERE NOT coalesce({col} NOT IN {nulls} AND {plain}, false)"
        else:
            rel = f"SELECT DISTINCT {ident(f.plan.column)} AS raw FROM {ident(self.source)}"
        q = _stack(rel, {"v_": _steps_trim("raw", "v_", self.plan.null_values)})
        m, um = _step_map(f, "v_t")
        q = _layer(q, {"m": m, "um": um}, "v_")
        if f.kind is not None and (f.kind in _FAST_KINDS or sparse):
            q = _stack(q, {"v_": _fast_steps(f.kind, "v_m", "v_")})
        if sparse:
            q = f"SELECT DISTINCT * FROM ({q}) WHERE NOT v_asis"
        return q

    def build_lookup(self, f: _Field, execute: Run, count: Count) -> None:
        """Build the field's lookup table (raw -> v_val, v_bad, v_absent) and add the texts of its
        failures to the texts table. The check runs in its own statement, over only the values
        that need it and never inside a CASE (DuckDB does not share the check's subexpressions
        inside CASE branches, which makes it many times slower)."""
        name = self._lookup_name(f)
        stage, checked_t = f"{name}_in", f"{name}_chk"
        self.tables += [stage, checked_t, name]
        execute(f"CREATE OR REPLACE TABLE {ident(stage)} AS {self._lookup_input(f)}")
        checked = _step_check(f, "v_m")
        if "r" not in checked:
            q = _layer(f"SELECT * FROM {ident(stage)}", checked, "v_")
        else:
            fast = f.kind in _FAST_KINDS
            cond = "v_m IS NOT NULL AND NOT v_fast" if fast else "v_m IS NOT NULL"
            branches = []
            sql_cond = cond  # the values the SQL check is for
            if self._vectorised(f):  # the values the vectorised check accepts skip the SQL check
                accepted = self._accepted(f, stage, cond, name)
                items = {**_FAST_ITEMS, "norm": "k.k_norm"}
                branches.append(
                    f"SELECT s.*, {', '.join(f'{e} AS v_{k}' for k, e in items.items())} "
                    f"FROM {ident(stage)} AS s JOIN {ident(accepted)} AS k ON s.v_m = k.k_m WHERE {cond}"
                )
                sql_cond = f"{cond} AND v_m NOT IN (SELECT k_m FROM {ident(accepted)})"
            # the values the check is for, in a table of their own: a check over a filtered scan
            # gets vectors of a few rows each (the filter's selection), and a check's hundreds
            # of expressions cost per vector — names: 0.44 s over the 35,000 of 352,000 values
            # that need it, 0.15 s over the same values stored together
            needed = f"{name}_need"
            self.tables.append(needed)
            execute(
                f"CREATE OR REPLACE TABLE {ident(needed)} AS SELECT * FROM {ident(stage)} WHERE {sql_cond}"
            )
            n_check = count(f"SELECT count(*) FROM {ident(needed)}")
            if n_check:  # planning a full check costs up to seconds: only when some value needs it
                if f.check_rows is not None:  # the same verdicts, without a correlated subquery
                    rows = f.check_rows(ident(needed), "v_m", f.context, "v_r")
                else:
                    rows = f"SELECT *, {checked['r']} AS v_r FROM {ident(needed)}"
                execute(f"CREATE OR REPLACE TABLE {ident(checked_t)} AS {rows}")
                verdict = _verdict_items(f.kind, "v_r", "v_m")
                branches.append(
                    f"SELECT * EXCLUDE (v_r), {', '.join(f'{e} AS v_{k}' for k, e in verdict.items())} "
                    f"FROM {ident(checked_t)}"
                )
            fast_items = _fast_items() if fast else _FAST_ITEMS
            rest = {  # missing values; values already in standard form (valid as written)
                k: f"CASE WHEN v_m IS NULL THEN {_MISSING_ITEMS[k]} ELSE {fast_items[k]} END"
                for k in fast_items
            }
            branches.append(
                f"SELECT *, {', '.join(f'{e} AS v_{k}' for k, e in rest.items())} "
                f"FROM {ident(stage)} WHERE NOT ({cond})"
            )
            q = " UNION ALL BY NAME ".join(f"({b})" for b in branches)
        q = self._finish(f, q, "v_", lookup=True)
        execute(f"CREATE OR REPLACE TABLE {ident(name)} AS SELECT *, true AS v_hit FROM ({q})")
        execute(
            f"INSERT INTO {ident(self.texts)} SELECT {lit(f.spec.name)}, raw, "
            f"{lit(f.spec.name + '.')} || v_bad, "
            f"v_zh, v_en FROM {ident(name)} WHERE v_bad IS NOT NULL"
        )

    def _finish(self, f: _Field, q: str, p: str, *, lookup: bool) -> str:
        """Layers after the check: cast, constraints, texts."""
        return _stack(q, {p: self._after_check(f, p, lookup=lookup)})

    def _after_check(self, f: _Field, p: str, *, lookup: bool) -> list[dict[str, str]]:
        cast = _step_cast(f, p)
        cons = _step_constraints(f, p)
        if lookup:  # any reason of the standards: look the texts up
            rt = ident(self.reasons)
            zh_t = f"coalesce((SELECT zh FROM {rt} WHERE code = {p}bad), {p}bad)"
            en_t = f"coalesce((SELECT en FROM {rt} WHERE code = {p}bad), {p}bad)"
        else:  # only ingestion's own reasons can occur
            zh_t, en_t = _templates_case(f"{p}bad", 0), _templates_case(f"{p}bad", 1)
        texts = _step_texts(f, p, zh_t, en_t)
        return [
            # missing: no value, or a placeholder; a value the value map refused is not missing
            {"absent": f"({p}miss AND NOT {p}um)"},
            {"val0": cast["val0"]},
            {"bad1": cast["bad1"]},
            {"bad": cons["bad"]},
            {"val": cons["val"]},
            {"detail": texts["detail"]},
            {"zh": texts["zh"], "en": texts["en"]},
        ]

    def main_sql(self) -> str:
        """The ``CREATE TABLE batch AS`` over the source and the lookup tables."""
        s = ident(self.source)
        base: list[str] = ["s._row AS _row"]
        joins: list[str] = []
        inline = [f for f in self.fields if f.plan.fed and not f.lookup]
        for f in self.fields:
            if not f.plan.fed:
                continue
            i = f.plan.index
            p = f"f{i}_"
            raw = f"s.{ident(f.plan.column)}" if f.plan.column is not None else lit(f.plan.default)
            base.append(f"{raw} AS {p}raw")
            if f.lookup:
                v = f"v{i}"
                name = ident(self._lookup_name(f))
                if f.plan.column is not None:
                    joins.append(
                        f"LEFT JOIN {name} AS {v} ON s.{ident(f.plan.column)} IS NOT DISTINCT FROM {v}.raw"
                    )
                else:
                    joins.append(f"CROSS JOIN {name} AS {v}")
                if self.sparse(f):  # not in the lookup: in standard form, valid as written
                    base.append(
                        f"CASE WHEN {v}.v_hit IS NULL THEN {_trim_sql(raw)} ELSE {v}.v_val END AS {p}val"
                    )
                    base.append(f"{v}.v_bad AS {p}bad")
                    if f.spec.required:
                        base.append(f"coalesce({v}.v_absent, false) AS {p}absent")
                else:
                    for col in ("val", "bad", "absent") if f.spec.required else ("val", "bad"):
                        base.append(f"{v}.v_{col} AS {p}{col}")
        q = f"SELECT {', '.join(base)} FROM {s} AS s {' '.join(joins)}"
        # inline fields: the same layers as the lookups', all fields side by side
        if inline:
            layers: dict[str, list[dict[str, str]]] = {}
            for f in inline:
                p = f"f{f.plan.index}_"
                layers[p] = [
                    *_steps_trim(f"{p}raw", p, self.plan.null_values),
                    {"m": f"{p}t", "um": "false"},
                    _step_check(f, f"{p}m"),
                    *self._after_check(f, p, lookup=False),
                ]
            q = _stack(q, layers)
        return f"CREATE OR REPLACE TABLE {ident(self.batch)} AS {self._final(q)}"

    def _final(self, q: str) -> str:
        items: list[str] = ["_row"]
        issues: list[str] = []
        fails: list[str] = []
        issue_when: list[str] = []  # conditions under which some item of the list is not NULL
        fail_when: list[str] = []
        for f in self.fields:
            spec = f.spec
            typ = spec.sql_type
            if not f.plan.fed:
                items.append(f"NULL::{typ} AS {ident(spec.name)}")
                continue
            p = f"f{f.plan.index}_"
            kept = "NULL"
            if f.action is OnInvalid.flag and spec.type is FieldType.string:  # kept as written
                kept = _trim_sql(f"{p}raw") if f.lookup else f"{p}t"
            items.append(
                f"CAST(CASE WHEN {p}bad IS NULL THEN {p}val ELSE {kept} END AS {typ}) AS {ident(spec.name)}"
            )
            rule = f"{lit(spec.name + '.')} || {p}bad"
            column = lit(f.plan.column)
            if f.action is OnInvalid.quarantine:
                # texts of lookup fields come from the texts table when the quarantine is written
                zh, en = ("NULL", "NULL") if f.lookup else (f"{p}zh", f"{p}en")
                fails.append(
                    f"CASE WHEN {p}bad IS NOT NULL THEN {{'field': {lit(spec.name)}, 'column': {column}, "
                    f"'rule': {rule}, 'value': {p}raw, 'reason_zh': {zh}, 'reason_en': {en}}} END"
                )
                fail_when.append(f"{p}bad IS NOT NULL")
            else:
                issues.append(
                    f"CASE WHEN {p}bad IS NOT NULL THEN {{'field': {lit(spec.name)}, 'rule': {rule}, "
                    f"'value': {p}raw}} END"
                )
                issue_when.append(f"{p}bad IS NOT NULL")
            if spec.required:
                zh = rule_text("required", "zh", f.static)
                en = rule_text("required", "en", f.static)
                fails.append(
                    f"CASE WHEN {p}absent THEN {{'field': {lit(spec.name)}, 'column': {column}, "
                    f"'rule': {lit(spec.name + '.required')}, 'value': {p}raw, 'reason_zh': {lit(zh)}, "
                    f"'reason_en': {lit(en)}}} END"
                )
                fail_when.append(f"{p}absent")
        items.append(f"{_struct_list(issues, ISSUE_TYPE, issue_when)} AS _issues")
        items.append(f"{_struct_list(fails, FAIL_TYPE, fail_when)} AS _fails")
        return f"SELECT {', '.join(items)} FROM ({q})"

    # running ------------------------------------------------------------------------------------

    def lookups(self) -> list[_Field]:
        return [f for f in self.fields if f.plan.fed and f.lookup]


ISSUE_TYPE = 'STRUCT("field" VARCHAR, "rule" VARCHAR, "value" VARCHAR)[]'
FAIL_TYPE = (
    'STRUCT("field" VARCHAR, "column" VARCHAR, "rule" VARCHAR, "value" VARCHAR, "reason_zh" VARCHAR, '
    '"reason_en" VARCHAR)[]'
)


def _struct_list(items: list[str], typ: str, when: Sequence[str] = ()) -> str:
    """SQL: the list of the non-NULL ``items``. With ``when`` (conditions, one of which holds
    wherever some item is not NULL) the list is built only for such rows, an empty one for the
    others: most rows have no problem, and building and filtering a list of structs for each of
    a million rows cost a third of the main query."""
    if not items:
        return f"[]::{typ}"
    built = f"list_filter([{', '.join(items)}], lambda sz_x: sz_x IS NOT NULL)::{typ}"
    if not when:
        return built
    return f"CASE WHEN coalesce({' OR '.join(when)}, false) THEN {built} ELSE []::{typ} END"


def _stack(inner: str, layers: Mapping[str, Sequence[Mapping[str, str]]]) -> str:
    """Wrap ``inner`` in one SELECT per layer; each field (by column prefix) adds its layer's
    columns side by side with the other fields'."""
    q = inner
    depth = max((len(v) for v in layers.values()), default=0)
    for i in range(depth):
        cols = [
            f"{expr} AS {p}{name}"
            for p, steps in layers.items()
            if i < len(steps)
            for name, expr in steps[i].items()
        ]
        if cols:
            q = f"SELECT *, {', '.join(cols)} FROM ({q})"
    return q
