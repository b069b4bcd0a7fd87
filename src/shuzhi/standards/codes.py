"""National code lists (代码表): sex, marital status, ethnic group.

* GB/T 2261.1-2003 人的性别代码: 0 未知的性别, 1 男, 2 女, 9 未说明的性别.
* GB/T 2261.2-2003 婚姻状况代码: 10 未婚, 20 已婚 (21 初婚, 22 再婚, 23 复婚), 30 丧偶, 40 离婚,
  90 未说明的婚姻状况.
* GB/T 3304-1991 中国各民族名称的罗马字母拼写法和代码: 01 汉族 … 56 基诺族, 97 其他,
  98 外国血统中国籍人士, with romanised names and two-letter codes (``data/ethnic_groups.csv``).

Departments write these as text, numbers or English. :meth:`CodeList.map` is tolerant of
that: the value is cleaned (full-width → ASCII, Traditional → Simplified, spaces removed, ASCII
letters lower-cased, ``"01"``/``"1.0"`` → ``"1"``) and looked up among the variants of each
code: the code, the official name, for ethnic groups also the name without 族, the romanised
name and the letter code, plus the aliases of ``data/code_aliases.csv`` (男性, M, male, 单身,
married, Uyghur ...; marital status also accepts the single-digit codes 1/2/3/4/9 of the
superseded GB 4766-1984). :meth:`CodeList.mapping_report` says which raw values did not map.

SQL: ``sz_code_map(list, s)`` (and ``sz_sex_code(s)``, ``sz_marital_code(s)``,
``sz_ethnic_code(s)``) look the same cleaned key up in the table ``sz_code_variants``;
``sz_code_label(list, code)`` gives the Chinese name.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from shuzhi.standards._sql import lookup_table, macro
from shuzhi.standards._verdict import Verdict, precheck, register_reasons
from shuzhi.standards.text import _placeholder, normalize_text, sql_let

__all__ = [
    "CODE_LISTS",
    "ETHNIC",
    "MARITAL",
    "SEX",
    "CodeEntry",
    "CodeList",
    "MappingReport",
    "check_code",
    "code_key",
    "get_code_list",
]

register_reasons(
    {
        "code.unknown_list": ("没有名为“{list}”的代码表", "there is no code list named '{list}'"),
        "code.unmapped": (
            "“{value}”不是{list_label}代码表中的值，也无法对应到其中的代码",
            "'{value}' is not a value of the {list_label_en} code list and maps to none of its codes",
        ),
        "code.placeholder": (
            "{list_label}填的是表示缺失的占位词",
            "{list_label_en} is a placeholder meaning missing",
        ),
        "code.alias": (
            "“{value}”已对应为代码 {code}（{label}）",
            "'{value}' mapped to code {code} ({label_en})",
        ),
    }
)


@dataclass(frozen=True, slots=True)
class CodeEntry:
    code: str
    name_zh: str
    name_en: str = ""
    romanized: str = ""
    letter_code: str = ""


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_NUMBER = re.compile(r"([0-9]+)(?:\.0+)?")


def code_key(value: object) -> str | None:
    """The form a raw value is compared in: cleaned text (character-level Traditional →
    Simplified), spaces removed, ASCII letters lower-cased, numbers without leading zeros or
    a trailing ``.0``. None for None/blank. Same as SQL ``sz_code_key``."""
    t = normalize_text(value, phrases=False)
    if not t:
        return None
    t = t.replace(" ", "").translate(_ASCII_LOWER)
    m = _NUMBER.fullmatch(t)
    if m:
        return m.group(1).lstrip("0") or "0"
    return t


@dataclass(frozen=True, slots=True)
class MappingReport:
    """How a column's raw values map onto a code list (for ingestion and data-quality reports)."""

    list_name: str
    total: int
    mapped: int
    empty: int
    placeholder: int
    unmapped: dict[str, int]  # raw value -> count, most frequent first
    by_code: dict[str, int]  # code -> count

    @property
    def unmapped_count(self) -> int:
        return sum(self.unmapped.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "list": self.list_name,
            "total": self.total,
            "mapped": self.mapped,
            "empty": self.empty,
            "placeholder": self.placeholder,
            "unmapped_count": self.unmapped_count,
            "unmapped": dict(self.unmapped),
            "by_code": dict(self.by_code),
        }


@dataclass(frozen=True)
class CodeList:
    """One national code list with the variants departments write for its codes."""

    name: str
    standard: str
    label_zh: str
    label_en: str
    entries: tuple[CodeEntry, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)  # cleaned variant -> code

    @property
    def by_code(self) -> dict[str, CodeEntry]:
        return {e.code: e for e in self.entries}

    def codes(self) -> list[str]:
        return [e.code for e in self.entries]

    def label(self, code: str, lang: str = "zh") -> str | None:
        e = self.by_code.get(code)
        if e is None:
            return None
        return e.name_zh if lang == "zh" else (e.name_en or e.romanized or e.name_zh)

    def describe(self, code: str, lang: str = "zh") -> str:
        """The code with its meaning, as a reader wants it: ``1（男）`` / ``1 (male)``; an
        unknown code as it is."""
        meaning = self.label(code, lang)
        if meaning is None:
            return code
        return f"{code}（{meaning}）" if lang == "zh" else f"{code} ({meaning})"

    def variants(self) -> dict[str, str]:
        """Every cleaned variant → code (codes, names, romanised names, letter codes, aliases)."""
        out: dict[str, str] = {}

        def add(raw: str, code: str) -> None:
            key = code_key(raw)
            if not key:
                return
            if out.get(key, code) != code:
                raise ValueError(f"{self.name}: variant {raw!r} maps to {out[key]} and {code}")
            out[key] = code

        for e in self.entries:
            add(e.code, e.code)
            add(e.name_zh, e.code)
            if e.name_zh.endswith("族") and len(e.name_zh) >= 2:
                add(e.name_zh[:-1], e.code)
            for other in (e.name_en, e.romanized, e.letter_code):
                if other:
                    add(other, e.code)
        for raw, code in self.aliases.items():
            add(raw, code)
        return out

    def map(self, raw: object) -> tuple[str | None, str | None]:
        """``(code, None)`` when ``raw`` maps onto a code, else ``(None, reason)`` with reason
        ``code.empty`` (None or blank), ``code.placeholder`` (无, 不详, /, ...) or
        ``code.unmapped``."""
        key = code_key(raw)
        if key is None:
            return None, "code.empty"
        code = _variants(self.name).get(key)
        if code is not None:
            return code, None
        if _placeholder(key, False):
            return None, "code.placeholder"
        return None, "code.unmapped"

    def mapping_report(self, values: Iterable[object]) -> MappingReport:
        """Map every value; count what mapped (by code), what was empty or a placeholder, and
        which raw values did not map (with counts, most frequent first)."""
        total = mapped = empty = placeholder = 0
        unmapped: Counter[str] = Counter()
        by_code: Counter[str] = Counter()
        cache_: dict[object, tuple[str | None, str | None]] = {}
        for v in values:
            total += 1
            try:
                res = cache_[v]
            except (KeyError, TypeError):
                res = self.map(v)
                try:
                    cache_[v] = res
                except TypeError:
                    pass
            code, reason = res
            if code is not None:
                mapped += 1
                by_code[code] += 1
            elif reason == "code.empty":
                empty += 1
            elif reason == "code.placeholder":
                placeholder += 1
            else:
                unmapped[str(v)] += 1
        return MappingReport(
            self.name,
            total,
            mapped,
            empty,
            placeholder,
            dict(unmapped.most_common()),
            dict(sorted(by_code.items())),
        )


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("shuzhi.standards").joinpath(f"data/{name}").read_text("utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return list(csv.DictReader(lines))


@cache
def _aliases() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for r in _read_csv("code_aliases.csv"):
        out.setdefault(r["list"], {})[r["variant"]] = r["code"]
    return out


SEX = CodeList(
    "sex",
    "GB/T 2261.1-2003",
    "性别",
    "sex",
    (
        CodeEntry("0", "未知的性别", "unknown"),
        CodeEntry("1", "男", "male"),
        CodeEntry("2", "女", "female"),
        CodeEntry("9", "未说明的性别", "not stated"),
    ),
    _aliases().get("sex", {}),
)

MARITAL = CodeList(
    "marital",
    "GB/T 2261.2-2003",
    "婚姻状况",
    "marital status",
    (
        CodeEntry("10", "未婚", "never married"),
        CodeEntry("20", "已婚", "married"),
        CodeEntry("21", "初婚", "first marriage"),
        CodeEntry("22", "再婚", "remarried"),
        CodeEntry("23", "复婚", "remarried to former spouse"),
        CodeEntry("30", "丧偶", "widowed"),
        CodeEntry("40", "离婚", "divorced"),
        CodeEntry("90", "未说明的婚姻状况", "not stated"),
    ),
    _aliases().get("marital", {}),
)

ETHNIC = CodeList(
    "ethnic",
    "GB/T 3304-1991",
    "民族",
    "ethnic group",
    tuple(
        CodeEntry(r["code"], r["name_zh"], "", r["romanized"], r["letter_code"])
        for r in _read_csv("ethnic_groups.csv")
    ),
    _aliases().get("ethnic", {}),
)

CODE_LISTS: dict[str, CodeList] = {c.name: c for c in (SEX, MARITAL, ETHNIC)}


@cache
def _variants(list_name: str) -> dict[str, str]:
    return CODE_LISTS[list_name].variants()


def get_code_list(name: str) -> CodeList:
    """The code list called ``name`` (``sex``, ``marital``, ``ethnic``); KeyError if none."""
    return CODE_LISTS[name]


def check_code(list_name: str, value: object) -> Verdict:
    """Map ``value`` onto the code list ``list_name`` as a :class:`Verdict` (kind ``code``).

    ``normalized`` is the code; ``parts``: list, list_label(_en), value (the cleaned text), code,
    label(_en). A value that is not the code itself gets the note ``code.alias``.
    """
    kind = "code"
    cl = CODE_LISTS.get(list_name)
    if cl is None:
        return Verdict(kind, value, False, reason="code.unknown_list", parts={"list": list_name})
    text, early = precheck(kind, value)
    if early is not None:
        return early
    assert text is not None
    cleaned = normalize_text(text, phrases=False)
    code, reason = cl.map(text)
    parts = {
        "list": cl.name,
        "list_label": cl.label_zh,
        "list_label_en": cl.label_en,
        "value": cleaned,
        "code": code,
        "label": cl.label(code) if code else None,
        "label_en": cl.label(code, "en") if code else None,
    }
    if code is None:
        return Verdict(kind, text, False, reason=reason if reason != "code.empty" else "empty", parts=parts)
    notes = ("code.alias",) if (text.strip() != code) else ()
    return Verdict(kind, text, True, code, notes=notes, parts=parts)


# --------------------------------------------------------------------------------------------
# SQL form


def _variant_rows() -> list[tuple[str, str, str]]:
    return [(name, key, code) for name in CODE_LISTS for key, code in _variants(name).items()]


def _label_rows() -> list[tuple[str, str, str, str]]:
    return [
        (cl.name, e.code, e.name_zh, e.name_en or e.romanized or e.name_zh)
        for cl in CODE_LISTS.values()
        for e in cl.entries
    ]


lookup_table(
    "sz_code_variants",
    [("sz_cv_list", "VARCHAR"), ("sz_cv_key", "VARCHAR"), ("sz_cv_code", "VARCHAR")],
    _variant_rows,
    "cleaned raw variant -> code, per code list (sex, marital, ethnic)",
)
lookup_table(
    "sz_code_labels",
    [
        ("sz_cl_list", "VARCHAR"),
        ("sz_cl_code", "VARCHAR"),
        ("sz_cl_label_zh", "VARCHAR"),
        ("sz_cl_label_en", "VARCHAR"),
    ],
    _label_rows,
    "code -> official name, per code list",
)

macro(
    "sz_code_key",
    ["s"],
    sql_let(
        "translate(replace(sz_text_normalize(s), ' ', ''),"
        " 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')",
        "sz_ck",
        "CASE WHEN sz_ck IS NULL OR sz_ck = '' THEN NULL"
        " WHEN regexp_matches(sz_ck, '^[0-9]+(\\.0+)?$')"
        " THEN coalesce(nullif(ltrim(regexp_extract(sz_ck, '^([0-9]+)', 1), '0'), ''), '0')"
        " ELSE sz_ck END",
    ),
    "the cleaned form a raw value is compared in (the SQL twin of codes.code_key)",
)
macro(
    "sz_code_map",
    ["lst", "s"],
    "(SELECT sz_cv_code FROM sz_code_variants WHERE sz_cv_list = lst AND sz_cv_key = sz_code_key(s))",
    "code of raw value s in code list lst ('sex', 'marital', 'ethnic'), NULL when it does not map",
)
macro("sz_sex_code", ["s"], "sz_code_map('sex', s)", "GB/T 2261.1 sex code of s, or NULL")
macro("sz_marital_code", ["s"], "sz_code_map('marital', s)", "GB/T 2261.2 marital status code of s, or NULL")
macro("sz_ethnic_code", ["s"], "sz_code_map('ethnic', s)", "GB/T 3304 ethnic group code of s, or NULL")
macro(
    "sz_code_label",
    ["lst", "c"],
    "(SELECT sz_cl_label_zh FROM sz_code_labels WHERE sz_cl_list = lst AND sz_cl_code = c)",
    "official Chinese name of code c in code list lst",
)
