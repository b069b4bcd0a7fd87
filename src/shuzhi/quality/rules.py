"""Quality rules (质量规则): declarative models grouped by the six dimensions of GB/T 36344-2018.

A rule says what a good row (or a good resource) looks like; it never runs anything itself.
Row rules (:class:`NotNull`, :class:`Standard`, :class:`Range`, :class:`Unique`,
:class:`References` …) compile to SQL predicates through :meth:`RowRule.to_sql`, and every row rule
of a resource runs in one scan of its version (see :mod:`shuzhi.quality._compile`). Resource rules
(:class:`Readable`, :class:`ChecksumMatches`, :class:`RecordsLoaded`, :class:`UpdateCycle`) are
measured from the warehouse and the metadata store.

Rules are declared in a resource's ``quality:`` section (:class:`QualitySpec`), in YAML::

    quality:
      min_score: 80                 # a version scoring less is loaded but not published
      must_pass: [unique:id_number] # rules that may not fail a single row
      rules:
        - {field: id_number, references: JC-GA-HJRK.id_number}
        - {field: name, agrees_with: JC-GA-HJRK.name, on: id_number}
        - {field: house_no, pattern: '[0-9]+号'}

``kind`` may be left out when the keys say which rule is meant (``references`` → references,
``pattern`` → pattern, ``min``/``max`` → range …). Without any ``rules``, :func:`default_rules`
derives a useful set from the fields' declared standard, required, key, unique, values, min, max
and max_length, so every resource gets a scorecard without anyone writing a rule.

Each rule has a stable :attr:`~RuleBase.rule_id` (``<kind>:<fields>``, or its own ``id``), which
``must_pass`` and ``disable`` name.
"""

from __future__ import annotations

import datetime as dt
import decimal
import difflib
import functools
import re
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

import pydantic
from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

if TYPE_CHECKING:
    from shuzhi.catalog.spec import FieldSpec, ResourceSpec

__all__ = [
    "DIMENSION_WEIGHTS",
    "IDCARD_PROVINCES",
    "LEVELS",
    "STANDARD_NAMES",
    "Agrees",
    "ChecksumMatches",
    "Dimension",
    "IdBirth",
    "IdRegion",
    "IdSex",
    "MaxLength",
    "NotNull",
    "Pattern",
    "QualitySpec",
    "Range",
    "Readable",
    "RecordAge",
    "RecordsLoaded",
    "References",
    "ResourceRule",
    "RowRule",
    "Rule",
    "RuleBase",
    "RuleSql",
    "SqlContext",
    "Standard",
    "TypeConforms",
    "Unique",
    "UpdateCycle",
    "Values",
    "default_rules",
    "grade",
    "resolve_rules",
]


class Dimension(StrEnum):
    """The six indicators of GB/T 36344-2018 (信息技术 数据质量评价指标)."""

    conformity = "conformity"
    completeness = "completeness"
    accuracy = "accuracy"
    consistency = "consistency"
    timeliness = "timeliness"
    accessibility = "accessibility"

    @property
    def label_zh(self) -> str:
        return _DIM_ZH[self.value]

    @property
    def label_en(self) -> str:
        return self.value

    def label(self, lang: str = "zh") -> str:
        return self.label_zh if lang == "zh" else self.label_en


_DIM_ZH = {
    "conformity": "规范性",
    "completeness": "完整性",
    "accuracy": "准确性",
    "consistency": "一致性",
    "timeliness": "时效性",
    "accessibility": "可访问性",
}

#: weight of each dimension in the overall score (re-normalised over the dimensions that have rules)
DIMENSION_WEIGHTS: dict[Dimension, float] = {
    Dimension.conformity: 20.0,
    Dimension.completeness: 20.0,
    Dimension.accuracy: 20.0,
    Dimension.consistency: 15.0,
    Dimension.timeliness: 15.0,
    Dimension.accessibility: 10.0,
}

#: graded levels, best first: (lowest score of the level, Chinese, English). Five levels as in
#: DB11/T 2317-2024's practice; the thresholds are shuzhi's.
LEVELS: tuple[tuple[float, str, str], ...] = (
    (90.0, "优", "excellent"),
    (80.0, "良", "good"),
    (70.0, "中", "fair"),
    (60.0, "差", "poor"),
    (0.0, "劣", "bad"),
)


def grade(score: float | None, lang: str = "zh") -> str | None:
    """The level of a 0–100 score: 优 ≥ 90 > 良 ≥ 80 > 中 ≥ 70 > 差 ≥ 60 > 劣 (None for None)."""
    if score is None:
        return None
    for low, zh, en in LEVELS:
        if score >= low:
            return zh if lang == "zh" else en
    return LEVELS[-1][1] if lang == "zh" else LEVELS[-1][2]


#: province prefixes of GB 11643 numbers (incl. 81–83, residence permits of HK, Macao, Taiwan)
IDCARD_PROVINCES: tuple[str, ...] = tuple(
    str(p) for p in (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46)
) + tuple(str(p) for p in (50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83))


#: the standards a field may follow, as rule descriptions name them
STANDARD_NAMES: dict[str, tuple[str, str]] = {
    "idcard": ("公民身份号码标准（GB 11643）", "the citizen ID standard (GB 11643)"),
    "uscc": ("统一社会信用代码标准（GB 32100）", "the unified social credit code (GB 32100)"),
    "orgcode": ("组织机构代码标准（GB 11714）", "the organisation code (GB 11714)"),
    "division": ("行政区划代码（GB/T 2260）", "the division codes (GB/T 2260)"),
    "phone": ("电话号码格式", "the telephone number format"),
    "date": ("日期格式", "the date format"),
    "address": ("地址规范", "the address rules"),
    "name": ("姓名规范", "the personal name rules"),
    "sex": ("性别代码（GB/T 2261.1）", "the sex codes (GB/T 2261.1)"),
    "marital": ("婚姻状况代码（GB/T 2261.2）", "the marital status codes (GB/T 2261.2)"),
    "ethnic": ("民族代码（GB/T 3304）", "the ethnic group codes (GB/T 3304)"),
}


#: where a problem is in a declaration, as keys and list indexes: ``("rules", 3, "field")``
Loc = tuple[str | int, ...]


# -- compiling context ------------------------------------------------------------------------------


@dataclass
class SqlContext:
    """What a row rule needs to write its SQL (DuckDB dialect, over the base relation).

    ``column(name)`` quotes a field's column; ``issues(name, rules=…, exclude=…)`` is the SQL
    test "ingestion listed a problem of this field in ``_issues``"; ``join(…)`` asks for a
    LEFT JOIN (references, agreement) and ``window(…)`` for a per-row count over a partition
    (uniqueness) — the compiler adds both to the one scan.
    """

    spec: ResourceSpec
    columns: Mapping[str, str]  # column -> DuckDB type of the version's data
    today: dt.date
    loaded_on: dt.date
    has_issues: bool = True
    #: (alias, relation sql, on sql, columns the relation gives)
    joins: list[tuple[str, str, str, tuple[str, ...]]] = field(default_factory=list)
    windows: list[tuple[str, list[str]]] = field(default_factory=list)  # (alias, partition columns)
    derived: dict[str, str] = field(default_factory=dict)  # expression -> alias in the base relation
    refs: Mapping[str, str] = field(default_factory=dict)  # resource code -> registered view name

    def column(self, name: str) -> str:
        return quote(name)

    def ftype(self, name: str) -> str:
        return self.spec.field(name).type.value

    def issues(self, name: str, *, rules: Sequence[str] = (), exclude: Sequence[str] = ()) -> str:
        if not self.has_issues:
            return "false"
        cond = [f"sz_i.field = {lit(name)}"]
        if rules:
            cond.append(f"sz_i.rule IN ({', '.join(lit(f'{name}.{r}') for r in rules)})")
        if exclude:
            cond.append(f"sz_i.rule NOT IN ({', '.join(lit(f'{name}.{r}') for r in exclude)})")
        # computed once per row in the base relation (several rules of a field share it), and
        # the list lambda only for rows that carry issues at all (most carry none)
        listed = f"array_length(list_filter(d._issues, lambda sz_i: {' AND '.join(cond)})) > 0"
        none = "coalesce(array_length(d._issues), 0) = 0"
        return self.derive(f"CASE WHEN {none} THEN false ELSE coalesce({listed}, false) END")

    def join(self, relation: str, on_left: str, on_right: str, columns: tuple[str, ...]) -> str:
        """LEFT JOIN ``relation`` (unique on ``on_right``); its ``columns`` appear in the base
        relation as ``<alias>_<column>``; returns the alias."""
        alias = f"__j{len(self.joins)}"
        self.joins.append((alias, relation, f"{on_left} = {alias}.{on_right}", columns))
        return alias

    def derive(self, expr: str) -> str:
        """A column of the base relation computed once per row (``expr`` over the row's columns,
        qualified ``d.``); returns its name. The same expression asked twice is computed once."""
        if expr not in self.derived:
            self.derived[expr] = f"__d{len(self.derived)}"
        return self.derived[expr]

    def window(self, columns: list[str]) -> str:
        alias = f"__w{len(self.windows)}"
        self.windows.append((alias, columns))
        return alias


@dataclass(frozen=True)
class RuleSql:
    """A row rule as SQL over the base relation: ``failing`` and ``checked`` are boolean
    expressions (never NULL once wrapped by the compiler); ``fields`` are shown in samples."""

    failing: str
    checked: str = "true"
    fields: tuple[str, ...] = ()
    skipped: str | None = None  # why the rule could not run (then it is reported, not scored)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


# -- the rules --------------------------------------------------------------------------------------


class RuleBase(BaseModel):
    """What every rule has: an optional own ``id`` and ``label``, a ``weight`` within its
    dimension, and ``must_pass`` (a single failing row holds the version back)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    dimension: ClassVar[Dimension]
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:+\->]{1,120}$")] | None = None
    label: str | None = None
    weight: Annotated[float, Field(gt=0, le=100)] = 1.0
    must_pass: bool = False

    @property
    def rule_id(self) -> str:
        return self.id or f"{self.kind_name()}:{self._subject()}"

    def kind_name(self) -> str:
        kind = getattr(self, "kind", "")
        return str(kind)

    def _subject(self) -> str:
        return str(getattr(self, "field", ""))

    def field_names(self) -> tuple[str, ...]:
        """The fields of this resource the rule reads (for coverage and samples)."""
        return tuple(name for _, name in self.field_locs())

    def field_locs(self) -> tuple[tuple[Loc, str], ...]:
        """Each field of this resource the rule reads, with the key that names it:
        ``((("field",), "age"),)``."""
        name = getattr(self, "field", None)
        return ((("field",), name),) if name else ()

    def describe(
        self,
        lang: str = "zh",
        spec: ResourceSpec | None = None,
        related: Callable[[str], ResourceSpec | None] | None = None,
    ) -> str:
        """One line saying what the rule checks, in ``lang`` (with the fields' Chinese labels when
        the resource's ``spec`` is given, and another resource's, ``CODE.field``, when
        ``related(code)`` gives its spec)."""
        if self.label:
            return self.label

        def n(name: str) -> str:
            owner, field = spec, name
            if "." in name:  # CODE.field: another resource's field
                code, field = _split_ref(name)
                owner = related(code) if related is not None else None
            if owner is not None:
                try:
                    return owner.field(field).label
                except KeyError:
                    pass
            return field

        zh, en = self._texts(n, spec)
        return zh if lang == "zh" else en

    def _texts(self, n: Callable[[str], str], spec: ResourceSpec | None) -> tuple[str, str]:
        return self.rule_id, self.rule_id  # pragma: no cover - every rule overrides it


class RowRule(RuleBase):
    """A rule over the rows of a version, compiled to SQL."""

    def to_sql(self, ctx: SqlContext) -> RuleSql:  # pragma: no cover - every rule overrides it
        raise NotImplementedError


class ResourceRule(RuleBase):
    """A rule over the version as a whole (measured by :mod:`shuzhi.quality._run`)."""


def _string_placeholder(col: str) -> str:
    from shuzhi.standards.text import PLACEHOLDERS

    words = ", ".join(lit(p) for p in sorted(PLACEHOLDERS))
    dashes = ["-", "—", "–", "_", "/", "\\"]
    firsts = sorted({p[0] for p in PLACEHOLDERS} | {p[0].upper() for p in PLACEHOLDERS} | set(dashes))
    # a cheap guard first: only a value starting like a placeholder (or a dash) can be one, and
    # the IN list and the regular expression cost far more than substr on the other values
    return (
        f"(substr(ltrim({col}), 1, 1) IN ({', '.join(lit(f) for f in firsts)}) "
        f"AND (lower(trim({col})) IN ({words}) OR regexp_matches(trim({col}), '^[-—–_/\\\\]+$')))"
    )


class NotNull(RowRule):
    """完整性: the field has a value in every row; placeholders (不详, 无, /, N/A …) count as missing."""

    dimension = Dimension.completeness
    kind: Literal["not_null"] = "not_null"
    field: str

    def _texts(self, n: Callable[[str], str], spec: ResourceSpec | None) -> tuple[str, str]:
        return (
            f"“{n(self.field)}”不得为空（占位符视为缺失）",
            f"{self.field} is present (placeholders count as missing)",
        )

    def to_sql(self, ctx: SqlContext) -> RuleSql:
        c = ctx.column(self.field)
        fail = f"{c} IS NULL"
        if ctx.ftype(self.field) == "string":
            fail = f"({c} IS NULL OR {_string_placeholder(c)})"
        return RuleSql(failing=fail, fields=(self.field,))


#: the issue codes of ingestion that are not about the standard (they have rules of their own)
_CONSTRAINT_CODES = ("min", "max", "values", "max_length", "required")


def _standard_sql(kind: str, c: str, ctx: SqlContext | None = None) -> str | None:
    """Portable SQL: whether the cleansed value ``c`` is in its standard's valid form.

    A re-check of what ingestion already checked: the version holds normalised values, so the
    test is on the normal form (plain projections that run on DuckDB and Spark alike); values that
    ingestion flagged are counted from ``_issues``. None where no such re-check exists.
    """
    w: Sequence[int]
    if kind == "idcard":
        w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
        # the 17 digits as one number (computed once per row); digits and the birth date by integer
        # division, which costs far less than 17 casts or parsing a date string
        n = _id17(c, ctx)
        total = " + ".join(f"(({n} // {10 ** (16 - i)}) % 10) * {wi}" for i, wi in enumerate(w))
        provinces = ", ".join(lit(p) for p in IDCARD_PROVINCES)
        y, m, d = f"(({n} // 10000000) % 10000)", f"(({n} // 100000) % 100)", f"(({n} // 1000) % 100)"
        leap = f"(({y} % 4 = 0 AND {y} % 100 <> 0) OR {y} % 400 = 0)"
        days = (
            f"CASE WHEN {m} = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END "
            f"WHEN {m} IN (4, 6, 9, 11) THEN 30 ELSE 31 END"
        )
        today = ctx.today if ctx is not None else dt.date.today()
        born = f"(({n} // 1000) % 100000000)"
        return (
            f"({_id18(c, ctx)} AND substr({c}, 1, 2) IN ({provinces}) "
            f"AND {m} BETWEEN 1 AND 12 AND {d} BETWEEN 1 AND {days} "
            f"AND {born} BETWEEN 18800101 AND {today.year * 10000 + today.month * 100 + today.day} "
            f"AND substr('10X98765432', CAST(({total}) % 11 AS INTEGER) + 1, 1) = substr({c}, 18, 1))"
        )
    if kind == "uscc":
        from shuzhi.standards.uscc import TYPES

        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        w = [pow(3, i, 31) for i in range(17)]
        total = " + ".join(
            f"(instr('{alphabet}', substr({c}, {i + 1}, 1)) - 1) * {wi}" for i, wi in enumerate(w)
        )
        kinds = ", ".join(lit(a + t) for a, types in TYPES.items() for t in types)
        return (
            f"(regexp_matches({c}, '^[0-9A-HJ-NP-RTUWXY]{{2}}[0-9]{{6}}[0-9A-HJ-NP-RTUWXY]{{10}}$') "
            f"AND substr({c}, 1, 2) IN ({kinds}) "
            f"AND substr('{alphabet}', CAST((31 - ({total}) % 31) % 31 AS INTEGER) + 1, 1) "
            f"= substr({c}, 18, 1))"
        )
    if kind == "orgcode":
        w = (3, 7, 9, 10, 5, 8, 4, 2)
        digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        total = " + ".join(
            f"(instr('{digits}', substr({c}, {i + 1}, 1)) - 1) * {wi}" for i, wi in enumerate(w)
        )
        return (
            f"(regexp_matches({c}, '^[0-9A-Z]{{8}}-[0-9X]$') "
            f"AND substr('0123456789X0', CAST((11 - ({total}) % 11) % 11 AS INTEGER) + 1, 1) "
            f"= substr({c}, 10, 1))"
        )
    if kind == "division":
        return f"regexp_matches({c}, '^[1-8][0-9]{{5}}([0-9]{{3}})?$')"
    if kind == "phone":
        return (
            f"(regexp_matches({c}, '^1[3-9][0-9]{{9}}$') "
            f"OR regexp_matches({c}, '^0[1-9][0-9]{{1,2}}-[2-9][0-9]{{6,7}}"
            f"(-[0-9]{{1,6}})?$') OR regexp_matches({c}, '^(400|800)[0-9]{{7}}$'))"
        )
    if kind in ("sex", "marital", "ethnic"):
        from shuzhi.standards.codes import CODE_LISTS

        codes = ", ".join(lit(x) for x in CODE_LISTS[kind].codes())
        return f"{c} IN ({codes})"
    return None


class Standard(RowRule):
    """规范性: the field's values follow its national standard (GB 11643 citizen ID, GB 32100 credit
    code, GB/T 2260 division, code lists …): problems ingestion flagged in ``_issues``, and a re-check
    of the stored normal form where one exists."""

    dimension = Dimension.conformity
    kind: Literal["standard"] = "standard"
    field: str
    standard: str | None = None  # default: the field's declared standard

    def _texts(self, n: Callable[[str], str], spec: ResourceSpec | None) -> tuple[str, str]:
        kind = self.standard or (spec.field(self.field).standard if spec is not None else None) or ""
        zh, en = STANDARD_NAMES.get(kind, (kind, kind))
        return f"“{n(self.field)}”符合{zh}", f"{self.field} follows {en}"

    def to_sql(self, ctx: SqlContext) -> RuleSql:
        kind = self.standard or ctx.spec.field(self.field).standard
        c = ctx.column(self.field)
        flagged = ctx.issues(self.field, exclude=_CONSTRAINT_CODES)
        recheck = _standard_sql(kind, c, ctx) if kind and ctx.ftype(self.field) == "string" else None
        fail = (
            flagged
            if recheck is None
            else f"({flagged} OR ({c} IS NOT NULL AND NOT coalesce({recheck}, false)))"
        )
        return RuleSql(failing=fail, checked=f"({c} IS NOT NULL OR {flagged})", fields=(self.field,))


class Values(RowRule):
    """规范性: the field takes only the listed values."""

    dimension = Dimension.conformity
    kind: Literal["values"] = "values"
    field: str
    values: Annotated[list[str], Field(min_length=1)]

    def _texts(self, n: Callable[[str], str], spec: ResourceSpec | None) -> tuple[str, str]:
        v = "、".join(self.values[:8]) + ("…" if len(self.values) > 8 else "")
        return f"“{n(self.field)}”取值限于 {v}", f"{self.field} is one of {', '.join(self.values[:8])}"

    def to_sql(self, ctx: SqlContext) -> RuleSql:
        c = ctx.column(self.field)
        flagged = ctx.issues(self.field, rules=("values",))
        if ctx.ftype(self.field) in ("integer", "decimal"):
            # compared as numbers: a decimal 1 is the text 1.0 (and 1e+20 on DuckDB, 1.0E20 on
            # Spark). A value that is no number equals no row
            numbers = [n for n in (allowed_number(v) for v in self.values) if n is not None]
            outside = f"{c} NOT IN ({', '.join(lit(n) for n in numbers)})" if numbers else "true"
        else:
            outside = f"CAST({c} AS VARCHAR) NOT IN ({', '.join(lit(v) for v in self.values)})"
        fail = f"({flagged} OR ({c} IS NOT NULL AND {outside}))"
        return RuleSql(failing=fail, checked=f"({c} IS NOT NULL OR {flagged})", fields=(self.field,))


_INTEGER = re.compile(r"^[+-]?[0-9]+$")


def allowed_number(value: str) -> int | float | None:
    """``value`` as the number an integer or decimal field compares it with (None: no number)."""
    if _INTEGER.match(value.strip()):
        return int(value)
    try:
        n = float(value)
    except ValueError:
        return None
    return n if n == n and n not in (float("inf"), float("-inf")) else None


def _anchored(pattern: str) -> str:
    """A pattern as a rule matches it: the whole value."""
    return "^(?:" + pattern + ")$"


_RE2: Any = None  # an in-memory DuckDB connection that compiles patterns (one per process)
_RE2_LOCK = threading.Lock()


@functools.lru_cache(maxsize=512)
def re2_error(pattern: str) -> str | None:
    """Why DuckDB's regular expressions (RE2: no look-arounds, no backreferences) cannot compile
    ``pattern`` as a :class:`Pattern` rule uses it, ``中文 / English``; None when they can."""
    import duckdb

    global _RE2
    error = None
    with _RE2_LOCK:
        if _RE2 is None:
            _RE2 = duckdb.connect()
        for p in (pattern, _anchored(pattern)):  # the pattern's own error names its own text
            try:
                _RE2.execute("SELECT regexp_matches('', ?)", [p]).fetchone()
            except duckdb.Error as e:
                error = str(e).removeprefix("Invalid Input Error: ")
                break
    if error is None:
        return None
    zh = en = ""
    if re.search(r"\(\?<?[=!]", pattern):
        zh, en = (
            "；RE2 不支持环视 (?=…)、(?!…)、(?<=…)、(?<!…)",
            "; RE2 has no look-arounds (?=…), (?!…), (?<=…), (?<!…)",
        )
    elif re.search(r"\(\?<\w", pattern):
        zh, en = "；命名分组请写 (?P<名称>…)", "; write a named group as (?P<name>…)"
    elif re.search(r"\\[1-9k]", error):
        zh, en = "；RE2 不支持反向引用（\\1）", "; RE2 has no backreferences (\\1)"
    return (
        f"不是有效的正则表达式（DuckDB 的 RE2 语法）：{error}{zh} / "
        f"not a valid regular expression in RE2 (DuckDB's syntax): {error}{en}"
    )


class Pattern(RowRule):
    """规范性: the whole value matches a regular expression (RE2/Java syntax, anchored)."""

    dimension = Dimension.conformity
    kind: Literal["pattern"] = "pattern"
    field: str
    pattern: Annotated[str, Field(min_length=1, max_length=500)]

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        # what neither Python nor RE2 reads is no regular expression; that RE2, the dialect the
        # rule runs in, reads it is checked when the catalog is declared (QualitySpec.
        # declaration_problems), so that a declaration stored before that check stays readable
        try:
            re.compile(v)
        except re.error:
            error = re2_error(v)
            if error is not None:
                raise ValueError(error) from None
        return v

    def _texts(self, n: Callable[[str], str], spec: ResourceSpec | None) -> tuple[str, str]:
        return f"“{n(self.field)}”符合格式 {self.pattern}", f"{self.field} matches {self.pattern}"

    def to_sql(self, ctx: SqlContext) -> RuleSql:
        c = ctx.column(self.field)
        anchored = lit(_anchored(self.pattern))
        fail = f"({c} IS NOT NULL AND NOT regexp_matches(CAST({c} AS VARCHAR), {anchored}))"
        return RuleSql(failing=fail, checked=f"{c} IS NOT NULL", fields=(self.field,))


class MaxLength(RowRule):
    """规范性: no value is longer than ``max_length`` characters."""

    dimension = Dimension.conformity
    kind: Literal["max_length"] = "max_length"
    field: str
    max_length: Annotated[int, Field(ge=1)]

    def _texts(self, n: Callable[[str], str], spec: ResourceSpec | None) -> tuple[str, str]:
        return (
            f"“{n(self.field)}”长度不超过 {self.max_length}",
            f"{self.field} has at most {self.max_length} characters",
        )

    def to_sql(self, ctx: SqlContext) -> RuleSql:
        c = ctx.column(self.field)
        flagged = ctx.issues(self.field, rules=("max_length",))
        fail = f"({flagged} OR length(CAST({c} AS VARCHAR)) > {self.max_length})"
        return RuleSql(failing=fail, checked=f"({c} IS NOT NULL OR {flagged})", fields=(self.field,))


class TypeConforms(RowRule):
    """规范性: the field's values are of its type (a number, a date …, a decimal within its scale):
    what ingestion flagged as ``<field>.type`` or ``<field>.scale`` and stored empty. A field with a
    standard has it counted by its ``standard`` rule instead."""

    dimension = Dimension.conformity
    kind: Literal["type"] = "type"
    field: str

    def _texts(self, n: Callable[[str], str], spec: ResourceSpec | None) -> tuple[str, str]:
        f = next((f for f in spec.fields if f.name == self.field), None) if spec is not None else None
        zh, en = (f.type.label_zh, f.type.label_en) if f is not None else ("值", "typed")
        return f"“{n(self.field)}”为有效的{zh}", f"{self.field} holds valid {en} values"

    def to_sql(self, ctx: SqlContext) -> RuleSql:
        c = ctx.column(self.field)
        flagged = ctx.issues(self.field, rules=("type", "scale"))
        return RuleSql(failing=flagged, checked=f"({c} IS NOT NULL OR {flagged})", fields=(self.field,))


_BOUND = pydantic.TypeAdapter(float | dt.date | Literal["today"])


def _one_bound(value: Any) -> Any:
    """A bound that is neither a number, a date nor ``today`` is told so in one message (the
    union's three members each had theirs)."""
    try:
        _BOUND.validate_python(value)
    except pydantic.ValidationError:
        given = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "…"
        raise ValueError(
            f"应为数字、日期（如 2024-03-01）或 today，实为 {given} / "
            f"expected a number, a date (2024-03-01) or today, got {given}"
        ) from None
    return value


Bound = Annotated[float | dt.date | Literal["today"], BeforeValidator(_one_bound)]


def _bound_text(b: Bound) -> str:
    return f"{b:g}" if isinstance(b, float | int) else str(b)


class Range(RowRule):
    """准确性: values lie within ``min``..``max`` (numbers; or dates, ``today`` meaning the day of the
    evaluation), a proxy for values true to reality (an age of 300, a birth date in the future)."""

    dimension = Dimension.accuracy
    kind: Literal["range"] = "range"
    field: str
    min: Bound | None = None
    max: Bound | None = None

    def _texts(self, n: Callable[[str], str], spec: ResourceSpec | None) -> tuple[str, str]:
        lo = "" if self.min is None else _bound_text(self.min)
        hi = "" if self.max is None else _bound_text(self.max)
        zh_hi = hi.replace("today", "今天")
        zh_lo = lo.replace("today", "今天")
        if self.max is None:  # a bound on one side only reads as such, not as "[0, ]"
            return f"“{n(self.field)}”不小于 {zh_lo}", f"{self.field} at least {lo}"
        if self.min is None:
            return f"“{n(self.field)}”不大于 {zh_hi}", f"{self.field} at most {hi}"
        return f"“{n(self.field)}”取值在 [{zh_lo}, {zh_hi}] 之内", f"{self.field} within [{lo}, {hi}]"

    def _bound(self, b: Bound, ctx: SqlContext) -> str:
        if b == "today":
            return lit(ctx.today)
        if isinstance(b, dt.date):
            return lit(b)
        if ctx.ftype(self.field) in ("date", "datetime"):
            raise ValueError(f"{self.rule_id}: 日期字段的界限须为日期 / a date field needs date bounds")
        return repr(float(b))

    def to_sql(self, ctx: SqlContext) -> RuleSql:
        c = ctx.column(self.field)
        t = ctx.ftype(self.field)
        dated = any(b == "today" or isinstance(b, dt.date) for b in (self.min, self.max) if b is not None)
        if t not in ("integer", "decimal", "date", "datetime"):
            # a text field: dates as text (standard: date normalises them to YYYY-MM-DD) compared
            # as dates, anything else as numbers (DuckDB cannot compare a DOUBLE with a DATE).
            # Declaring refuses numbers on text (values that are no number went unchecked); a
            # declaration stored before that check still runs as it did
            c = f"TRY_CAST({c} AS {'DATE' if dated else 'DOUBLE'})"
        if t == "datetime":
            c = f"CAST({c} AS DATE)"
        tests = [ctx.issues(self.field, rules=("min", "max"))]
        if self.min is not None:
            tests.append(f"{c} < {self._bound(self.min, ctx)}")
        if self.max is not None:
            tests.append(f"{c} > {self._bound(self.max, ctx)}")
        flagged = tests[0]
        return RuleSql(
            failing="(" + " OR ".join(tests) + ")",
            checked=f"({c} IS NOT NULL OR {flagged})",
            fields=(self.field,),
        )


def _id18(c: str, ctx: SqlContext | None = None) -> str:
    """SQL: whether ``c`` has the 18-character form of a citizen ID (computed once per row)."""
    test = "regexp_matches({c}, '^[0-9]{{17}}[0-9X]$')"
    return ctx.derive(test.format(c=f"d.{c}")) if ctx is not None else test.format(c=c)


def _id17(c: str, ctx: SqlContext | None = None) -> str:
    """SQL: the first 17 characters of ``c`` as a number (NULL unless digits; computed once per row)."""
    n = "TRY_CAST(substr({c}, 1, 17) AS BIGINT)"
    return ctx.derive(n.format(c=f"d.{c}")) if ctx is not None else n.format(c=c)


class IdBirth(RowRule):
    """准确性: the birth date embedded in the citizen ID agrees with the birth-date field."""

    dimension = Dimension.accuracy
    kind: Literal["id_birth"] = "id_birth"
    field: str  # the citizen ID
    birth: str

    def _subject(self) -> str:
        return f"{self.field}+{self.birth}"

    def field_locs(self) -> tuple[tuple[Loc, str], ...]:
        return ((("field",), self.field), (("birth",), self.birth))

    def _texts(self, n: Callable[[str], str], spec: ResourceSpec | None) -> tuple[str, str]:
        return (
            f"“{n(self.field)}”中的出生日期与“{n(self.birth)}”一致",
            f"birth date in {self.field} agrees with {self.birth}",
        )

    def to_sql(self, ctx: SqlContext) -> RuleSql:
        i, b = ctx.column(self.field), ctx.column(self.birth)
        embedded = f"(({_id17(i, ctx)} // 1000) % 100000000)"  # YYYYMMDD as a number
        if ctx.ftype(self.birth) in ("date", "datetime"):
            written = f"(year({b}) * 10000 + month({b}) * 100 + day({b}))"
        else:
            written = f"TRY_CAST(replace(substr(CAST({b} AS VARCHAR), 1, 10), '-', '') AS BIGINT)"
        checked = f"({i} IS NOT NULL AND {_id18(i, ctx)} AND {b} IS NOT NULL)"
        return RuleSql(
            failing=f"({checked} AND {embedded} <> {written})",
            checked=checked,
            fields=(self.field, self.birth),
        )


_SEX_CODE = (
    "CASE WHEN {c} IN ('1', '男', 'M', 'm', 'male', 'Male') THEN '1' "
    "WHEN {c} IN ('2', '女', 'F', 'f', 'female', 'Female') THEN '2' END"
)


class IdSex(RowRule):
    """准确性: the sex embedded in the citizen ID (odd sequence: male) agrees with the sex field."""

    dimension = Dimension.accuracy
    kind: Literal["id_sex"] = "id_sex"
    field: str
    sex: str

    def _subject(self) -> str:
        return f"{self.field}+{self.sex}"

    def field_locs(self) -> tuple[tuple[Loc, str], ...]:
        return ((("field",), self.field), (("sex",), self.sex))

    def _texts(self, n: Callable[[str], str], spec: ResourceSpec | None) -> tuple[str, str]:
        return (
            f"“{n(self.field)}”中的性别与“{n(self.sex)}”一致",
            f"sex in {self.field} agrees with {self.sex}",
        )

    def to_sql(self, ctx: SqlContext) -> RuleSql:
        i = ctx.column(self.field)
        s = _SEX_CODE.format(c=f"CAST({ctx.column(self.sex)} AS VARCHAR)")
        embedded = f"CASE WHEN {_id17(i, ctx)} % 2 = 1 THEN '1' ELSE '2' END"  # the sequence's parity
        checked = f"({i} IS NOT NULL AND {_id18(i, ctx)} AND ({s}) IS NOT NULL)"
        return RuleSql(
            failing=f"({checked} AND {embedded} <> ({s}))", checked=checked, fields=(self.field, self.sex)
        )


class IdRegion(RowRule):
    """准确性: the region of the citizen ID (where the household was registered) agrees with a
    division field at ``level`` — only where the catalog says it should (people move)."""

    dimension = Dimension.accuracy
    kind: Literal["id_region"] = "id_region"
    field: str
    division: str
    level: Literal["province", "prefecture", "county"] = "county"

    def _subject(self) -> str:
        return f"{self.field}+{self.division}"

    def field_locs(self) -> tuple[tuple[Loc, str], ...]:
        return ((("field",), self.field), (("division",), self.division))

    def _texts(self, n: Callable[[str], str], spec: ResourceSpec | None) -> tuple[str, str]:
        zh = {"province": "省", "prefecture": "市", "county": "县区"}[self.level]
        return (
            f"“{n(self.field)}”的地区与“{n(self.division)}”同{zh}",
            f"region of {self.field} agrees with {self.division} ({self.level})",
        )

    def to_sql(self, ctx: SqlContext) -> RuleSql:
        i, d = ctx.column(self.field), ctx.column(self.division)
        n = {"province": 2, "prefecture": 4, "county": 6}[self.level]
        checked = (
            f"({i} IS NOT NULL AND {_id18(i, ctx)} AND regexp_matches(CAST({d} AS VARCHAR), '^[0-9]{{6}}'))"
        )
        return RuleSql(
            failing=f"({checked} AND substr({i}, 1, {n}) <> substr(CAST({d} AS VARCHAR), 1, {n}))",
            checked=checked,
            fields=(self.field, self.division),
        )


class Unique(RowRule):
    """准确性 (duplicates): no two rows share a value of ``fields`` (a key, a unique field or a
    declared combination). Every row of a duplicated value fails."""

    dimension = Dimension.accuracy
    kind: Literal["unique"] = "unique"
    fields: Annotated[list[str], Field(min_length=1)]

    def _subject(self) -> str:
        return "+".join(self.fields)

    def field_locs(self) -> tuple[tuple[Loc, str], ...]:
        return tuple((("fields", j), name) for j, name in enumerate(self.fields))

    def _texts(self, n: Callable[[str], str], spec: ResourceSpec | None) -> tuple[str, str]:
        names = "、".join(f"“{n(f)}”" for f in self.fields)
        return f"{names}不重复", f"{' + '.join(self.fields)} is unique"

    def to_sql(self, ctx: SqlContext) -> RuleSql:
        cols = [ctx.column(f) for f in self.fields]
        w = ctx.window(cols)
        checked = "(" + " AND ".join(f"{c} IS NOT NULL" for c in cols) + ")"
        return RuleSql(failing=f"({checked} AND {w} > 1)", checked=checked, fields=tuple(self.fields))


_REF = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}\.[a-z][a-z0-9_]{0,62}$"


def _split_ref(ref: str) -> tuple[str, str]:
    code, _, name = ref.rpartition(".")
    return code, name


class References(RowRule):
    """一致性 (referential): every value of ``field`` exists in another resource's current version,
    e.g. every allowance recipient in the household registry: ``references: JC-GA-HJRK.id_number``."""

    dimension = Dimension.consistency
    kind: Literal["references"] = "references"
    field: str
    references: Annotated[str, Field(pattern=_REF)]

    def _subject(self) -> str:
        return f"{self.field}->{self.references}"

    def _texts(self, n: Callable[[str], str], spec: ResourceSpec | None) -> tuple[str, str]:
        code = self.other
        return (
            f"“{n(self.field)}”均存在于 {code} 的“{n(self.references)}”",
            f"every {self.field} exists in {self.references}",
        )

    @property
    def other(self) -> str:
        return _split_ref(self.references)[0]

    def to_sql(self, ctx: SqlContext) -> RuleSql:
        code, name = _split_ref(self.references)
        view = ctx.refs.get(code)
        c = ctx.column(self.field)
        if view is None:
            return RuleSql("false", "false", (self.field,), skipped=_no_version(code))
        rel = (
            f"SELECT DISTINCT CAST({quote(name)} AS VARCHAR) AS k FROM {quote(view)} "
            f"WHERE {quote(name)} IS NOT NULL"
        )
        j = ctx.join(rel, f"CAST(d.{c} AS VARCHAR)", "k", ("k",))
        return RuleSql(
            failing=f"({c} IS NOT NULL AND {j}_k IS NULL)", checked=f"{c} IS NOT NULL", fields=(self.field,)
        )


def _no_version(code: str) -> str:
    return f"{code} 尚无当前版本 / {code} has no current version"


class Agrees(RowRule):
    """一致性: for the same key (``on``), ``field`` has the same value here as in another
    department's resource: ``{field: name, agrees_with: JC-GA-HJRK.name, on: id_number}``. Rows
    whose key is absent there are not checked (:class:`References` counts those)."""

    dimension = Dimension.consistency
    kind: Literal["agrees"] = "agrees"
    field: str
    agrees_with: Annotated[str, Field(pattern=_REF)]
    on: str
    #: the key's name in the other resource (default: the same as ``on``)
    on_other: str | None = None

    def _subject(self) -> str:
        return f"{self.field}={self.agrees_with}"

    def field_locs(self) -> tuple[tuple[Loc, str], ...]:
        return ((("on",), self.on), (("field",), self.field))

    def _texts(self, n: Callable[[str], str], spec: ResourceSpec | None) -> tuple[str, str]:
        code = self.other
        return (
            f"同一“{n(self.on)}”的“{n(self.field)}”与 {code} 的“{n(self.agrees_with)}”一致",
            f"{self.field} agrees with {self.agrees_with} for the same {self.on}",
        )

    @property
    def other(self) -> str:
        return _split_ref(self.agrees_with)[0]

    def to_sql(self, ctx: SqlContext) -> RuleSql:
        code, name = _split_ref(self.agrees_with)
        view = ctx.refs.get(code)
        c, on = ctx.column(self.field), ctx.column(self.on)
        if view is None:
            return RuleSql("false", "false", self.field_names(), skipped=_no_version(code))
        key = quote(self.on_other or self.on)
        rel = (
            f"SELECT CAST({key} AS VARCHAR) AS k, min(CAST({quote(name)} AS VARCHAR)) AS v "
            f"FROM {quote(view)} "
            f"WHERE {key} IS NOT NULL GROUP BY CAST({key} AS VARCHAR)"
        )
        j = ctx.join(rel, f"CAST(d.{on} AS VARCHAR)", "k", ("k", "v"))
        checked = f"({c} IS NOT NULL AND {j}_k IS NOT NULL AND {j}_v IS NOT NULL)"
        return RuleSql(
            failing=f"({checked} AND CAST({c} AS VARCHAR) <> {j}_v)",
            checked=checked,
            fields=self.field_names(),
        )


class RecordAge(RowRule):
    """时效性: record dates are no older than ``max_days`` before the load (stale records)."""

    dimension = Dimension.timeliness
    kind: Literal["record_age"] = "record_age"
    field: str
    max_days: Annotated[int, Field(ge=1)]

    def _texts(self, n: Callable[[str], str], spec: ResourceSpec | None) -> tuple[str, str]:
        return (
            f"“{n(self.field)}”距加载不超过 {self.max_days} 天",
            f"{self.field} at most {self.max_days} days before the load",
        )

    def to_sql(self, ctx: SqlContext) -> RuleSql:
        c = ctx.column(self.field)
        t = ctx.ftype(self.field)
        d = f"CAST({c} AS DATE)" if t in ("date", "datetime") else f"TRY_CAST({c} AS DATE)"
        oldest = ctx.loaded_on - dt.timedelta(days=self.max_days)
        return RuleSql(failing=f"({d} < {lit(oldest)})", checked=f"{d} IS NOT NULL", fields=(self.field,))


class Readable(ResourceRule):
    """可访问性: the version's data loads and every row can be read."""

    dimension = Dimension.accessibility
    kind: Literal["readable"] = "readable"

    def _subject(self) -> str:
        return "data"

    def _texts(self, n: Callable[[str], str], spec: ResourceSpec | None) -> tuple[str, str]:
        return "数据版本可读取", "the version's data can be read"


class ChecksumMatches(ResourceRule):
    """可访问性: the version's files are the ones loaded (their checksum matches the store's)."""

    dimension = Dimension.accessibility
    kind: Literal["checksum"] = "checksum"

    def _subject(self) -> str:
        return "data"

    def _texts(self, n: Callable[[str], str], spec: ResourceSpec | None) -> tuple[str, str]:
        return "数据文件校验和与登记一致", "the data files' checksum matches the store"


class RecordsLoaded(ResourceRule):
    """完整性 (records): the source's rows made it into the version (quarantined rows are missing)."""

    dimension = Dimension.completeness
    kind: Literal["records_loaded"] = "records_loaded"

    def _subject(self) -> str:
        return "rows"

    def _texts(self, n: Callable[[str], str], spec: ResourceSpec | None) -> tuple[str, str]:
        return "源数据记录均已入库（未被隔离）", "source rows were loaded (not quarantined)"


class UpdateCycle(ResourceRule):
    """时效性: the version came no later than the update cycle (``days``; default: the catalog's
    update cycle) after the previous one, and — for the current or latest version — the
    resource's last load is not older than the cycle now (measured whenever a scorecard is shown)."""

    dimension = Dimension.timeliness
    kind: Literal["update_cycle"] = "update_cycle"
    days: Annotated[int, Field(ge=1)] | None = None

    def _subject(self) -> str:
        return "loaded_at"

    def _texts(self, n: Callable[[str], str], spec: ResourceSpec | None) -> tuple[str, str]:
        d = f"{self.days} 天" if self.days else "更新周期"
        return (
            f"按时加载：相邻两次加载、最近一次加载至今均不超过{d}",
            f"loaded on time: within {self.days or 'the update cycle'} days of the previous load, "
            "and the last load not older than that now",
        )


_KINDS: dict[str, type[RuleBase]] = {
    "not_null": NotNull,
    "standard": Standard,
    "values": Values,
    "pattern": Pattern,
    "max_length": MaxLength,
    "type": TypeConforms,
    "range": Range,
    "id_birth": IdBirth,
    "id_sex": IdSex,
    "id_region": IdRegion,
    "unique": Unique,
    "references": References,
    "agrees": Agrees,
    "record_age": RecordAge,
    "readable": Readable,
    "checksum": ChecksumMatches,
    "records_loaded": RecordsLoaded,
    "update_cycle": UpdateCycle,
}

#: keys that name a rule's kind when ``kind`` is left out (first match wins)
_INFER: tuple[tuple[str, str], ...] = (
    ("references", "references"),
    ("agrees_with", "agrees"),
    ("pattern", "pattern"),
    ("values", "values"),
    ("max_length", "max_length"),
    ("min", "range"),
    ("max", "range"),
    ("birth", "id_birth"),
    ("sex", "id_sex"),
    ("division", "id_region"),
    ("max_days", "record_age"),
    ("fields", "unique"),
    ("standard", "standard"),
)

#: every key some rule has
_RULE_KEYS = frozenset(k for cls in _KINDS.values() for k in cls.model_fields)


def _closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice ``word`` is most likely a typo of, or None."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def _rule_error(message: str, loc: tuple[str, ...] = (), given: Any = None) -> pydantic.ValidationError:
    """A validation error of a rule (``中文 / English`` ``message``) at ``loc`` within it."""
    error = PydanticCustomError("rule_kind", "{message}", {"message": message})
    return pydantic.ValidationError.from_exception_data(
        "Rule", [InitErrorDetails(type=error, loc=loc, input=given)]
    )


def _infer_kind(data: Any) -> Any:
    """``data`` with its ``kind`` (given, or told by a key); a rule whose kind is unknown or cannot
    be told is refused here, in words a clerk can act on (pydantic's own error named its
    discriminator)."""
    if isinstance(data, RuleBase):
        return data
    if not isinstance(data, Mapping):
        given = repr(data) if len(repr(data)) <= 60 else repr(data)[:57] + "…"
        raise _rule_error(
            "应为键值结构（如 {field: x, pattern: …}），实为 "
            f"{given} / expected a mapping ({{field: x, pattern: …}}), got {given}",
            given=data,
        )
    if "kind" in data:
        kind = data["kind"]
        if kind in _KINDS:
            return data
        zh_hint, en_hint = _hint(str(kind), _KINDS)
        raise _rule_error(
            f"取值无效 {kind!r}{zh_hint}；应为 {'、'.join(_KINDS)} / "
            f"invalid value {kind!r}{en_hint}; expected {', '.join(_KINDS)}",
            ("kind",),
            kind,
        )
    named: dict[str, str] = {}  # kind -> the first key naming it
    for key, kind in _INFER:
        if key in data:
            named.setdefault(kind, key)
    if len(named) == 1:
        return {**data, "kind": next(iter(named))}
    if named:  # no rule has keys of two kinds: two rules written as one
        keys = list(named.values())
        raise _rule_error(
            f"一条规则只能有一种类型：{'、'.join(keys)} 说明了不同的类型，请分写为 {len(keys)} 条规则 / "
            f"one rule, one kind: {', '.join(keys)} name different kinds; write {len(keys)} rules"
        )
    naming = ["kind", *dict.fromkeys(key for key, _ in _INFER)]
    unknown = [str(k) for k in data if k not in _RULE_KEYS]
    if unknown:
        hints = [(k, _closest(k, naming)) for k in unknown]
        zh = "、".join(k + (f"（是不是 {h}？）" if h else "") for k, h in hints)
        en = ", ".join(k + (f" (did you mean {h}?)" if h else "") for k, h in hints)
        raise _rule_error(
            f"无法判断规则类型：未知的键 {zh}（说明类型的键：{'、'.join(naming)}）/ "
            f"cannot tell the rule's kind: unknown key {en} (keys that name a kind: {', '.join(naming)})"
        )
    raise _rule_error(
        f"无法判断规则类型：请写 kind 或说明类型的键（{'、'.join(naming[1:])}）/ "
        f"cannot tell the rule's kind: give kind or a key that names it ({', '.join(naming[1:])})"
    )


def _rule_tag(data: Any) -> str | None:
    """The member of :data:`Rule` ``data`` is (its class's name: a location in an error then reads
    ``rules[3].min``, not ``rules[3].range.min`` — :mod:`shuzhi._yaml` leaves class names out)."""
    kind = data.get("kind") if isinstance(data, Mapping) else getattr(data, "kind", None)
    cls = _KINDS.get(kind) if isinstance(kind, str) else None
    return cls.__name__ if cls is not None else None


Rule = Annotated[
    Annotated[NotNull, Tag("NotNull")]
    | Annotated[Standard, Tag("Standard")]
    | Annotated[Values, Tag("Values")]
    | Annotated[Pattern, Tag("Pattern")]
    | Annotated[MaxLength, Tag("MaxLength")]
    | Annotated[TypeConforms, Tag("TypeConforms")]
    | Annotated[Range, Tag("Range")]
    | Annotated[IdBirth, Tag("IdBirth")]
    | Annotated[IdSex, Tag("IdSex")]
    | Annotated[IdRegion, Tag("IdRegion")]
    | Annotated[Unique, Tag("Unique")]
    | Annotated[References, Tag("References")]
    | Annotated[Agrees, Tag("Agrees")]
    | Annotated[RecordAge, Tag("RecordAge")]
    | Annotated[Readable, Tag("Readable")]
    | Annotated[ChecksumMatches, Tag("ChecksumMatches")]
    | Annotated[RecordsLoaded, Tag("RecordsLoaded")]
    | Annotated[UpdateCycle, Tag("UpdateCycle")],
    Discriminator(_rule_tag),
    BeforeValidator(_infer_kind),
]


class QualitySpec(BaseModel):
    """The ``quality:`` section of a resource: its rules, the gate, and the sample size.

    * ``defaults``: derive the default rules from the fields (:func:`default_rules`); declared
      ``rules`` are added to them (a declared rule with the same id replaces the default one).
    * ``disable``: ids of default rules to drop.
    * ``min_score`` (0–100): a version scoring less is loaded but not published.
    * ``must_pass``: ids of rules that may not fail a single row (a rule may also say
      ``must_pass: true`` itself).
    * ``sample_size``: failing rows kept per rule (masked per field sensitivity).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    defaults: bool = True
    rules: list[Rule] = []
    disable: list[str] = []
    min_score: Annotated[float, Field(ge=0, le=100)] | None = None
    must_pass: list[str] = []
    sample_size: Annotated[int, Field(ge=0, le=50)] = 5

    def problems(self, spec: ResourceSpec) -> list[str]:
        """What in this section does not fit the resource ``spec`` (unknown fields, unknown rule
        ids in ``must_pass`` or ``disable``), as bilingual messages; empty when all is well."""
        return [message for _, message in self.problems_at(spec)]

    def problems_at(self, spec: ResourceSpec) -> list[tuple[Loc, str]]:
        """:meth:`problems`, each with where it is in the section: ``("rules", 3, "field")``,
        ``("must_pass", 0)``."""
        names = [f.name for f in spec.fields]
        out: list[tuple[Loc, str]] = []
        for i, r in enumerate(self.rules):
            rid = r.rule_id
            for loc, n in r.field_locs():
                if n not in names:
                    zh, en = _hint(n, names)
                    text = f"规则 {rid} 引用了未声明的信息项 {n}{zh} / rule {rid}: unknown field {n!r}{en}"
                    out.append((("rules", i, *loc), text))
        ids = {r.rule_id for r in resolve_rules(spec, self, check=False)}
        defaults = {r.rule_id for r in default_rules(spec)}
        for j, rid in enumerate(self.must_pass):
            # rules derived from related resources are only known once those are declared
            from_related = spec.related and rid.startswith(("references:", "agrees:"))
            if rid not in ids and not from_related:
                zh, en = _hint(rid, ids)
                text = f"must_pass 中的规则 {rid} 不存在{zh} / must_pass names no rule {rid!r}{en}"
                out.append((("must_pass", j), text))
        for j, rid in enumerate(self.disable):
            if rid not in defaults:
                zh, en = _hint(rid, defaults)
                text = f"disable 中的规则 {rid} 不是默认规则{zh} / disable names no default rule {rid!r}{en}"
                out.append((("disable", j), text))
        return out

    def declaration_problems(
        self, spec: ResourceSpec, fields_of: Callable[[str], Collection[str] | None]
    ) -> list[tuple[Loc, str]]:
        """What would keep the declared rules from running as meant, checked when the catalog is
        declared (not when a stored declaration is read: one stored before these checks stays
        readable), each with where it is in the section (see :meth:`problems_at`):

        * a ``pattern`` DuckDB's regular expressions (RE2) cannot compile (look-arounds,
          backreferences);
        * ``range`` bounds of the wrong kind for the field (an integer or decimal field compares
          with numbers; a date or datetime field, or a text field with the ``date`` standard, with
          dates or ``today``; other text and booleans with neither), a range without bounds, a
          ``min`` above the ``max``;
        * two rules with the same id (the later one replaced the earlier);
        * ``references`` or ``agrees_with`` naming a resource that is not in the catalog
          (``fields_of(code)`` is None; else it gives the resource's field names) or a field that
          resource does not declare, and ``agrees``' key missing there;
        * a rule that does not fit the type of the field it reads (:func:`_field_type_problems`: a
          pattern on a date, allowed values that no value of the field can equal …).

        Assumes :meth:`problems_at` found nothing (the fields the rules name exist).
        """
        out: list[tuple[Loc, str]] = []
        first: dict[str, int] = {}
        for i, r in enumerate(self.rules):
            rid = r.rule_id
            if rid in first:
                j = first[rid]
                text = (
                    f"规则 {rid} 重复（rules[{j}] 与 rules[{i}]）：后一条会取代前一条，请合并或用 id 区分 / "
                    f"rule {rid} declared twice (rules[{j}] and rules[{i}]): the later would replace the "
                    "earlier; merge them or give one an id"
                )
                out += [(("rules", j), text), (("rules", i), text)]
            first.setdefault(rid, i)
            if isinstance(r, Pattern):
                error = re2_error(r.pattern)
                if error is not None:
                    out.append((("rules", i, "pattern"), error))
            elif isinstance(r, Range):
                out += [(("rules", i, *loc), text) for loc, text in _range_problems(r, spec)]
            elif isinstance(r, References | Agrees):
                out += [(("rules", i, *loc), text) for loc, text in _reference_problems(r, fields_of)]
            out += [(("rules", i, *loc), text) for loc, text in _field_type_problems(r, spec)]
        return out


def _dated_text(f: FieldSpec) -> bool:
    """Whether the text field ``f`` holds dates: a ``date`` standard stores them as YYYY-MM-DD."""
    return f.type.value == "string" and f.standard == "date"


def _range_problems(r: Range, spec: ResourceSpec) -> list[tuple[Loc, str]]:
    """A range's bounds against its field's type: numbers for an integer or decimal field, dates
    (or ``today``) for a date or datetime field and for a text field with the ``date`` standard
    (stored as YYYY-MM-DD, compared as dates). Any other text is not compared as numbers or dates
    (the evaluation's cast made its values unchecked, without a word), nor is a boolean."""
    try:
        f = spec.field(r.field)
    except KeyError:
        return []
    t = f.type.value
    out: list[tuple[Loc, str]] = []
    if r.min is None and r.max is None:
        text = f"规则 {r.rule_id} 没有界限：请写 min 或 max / rule {r.rule_id} has no bounds: give min or max"
        return [((), text)]
    dated = t in ("date", "datetime") or _dated_text(f)
    for key, b in (("min", r.min), ("max", r.max)):
        if b is None:
            continue
        is_date = isinstance(b, dt.date) or b == "today"
        shown = _bound_text(b)
        zh_t, en_t = f.type.label_zh, f.type.value
        if t == "boolean":
            text = (
                f"布尔型信息项 {f.name} 只有是与否，不能设界限（实为 {shown}）/ "
                f"the boolean field {f.name} is true or false: it cannot be bounded (got {shown})"
            )
        elif t == "string" and not dated:
            if is_date:
                text = (
                    f"字符型信息项 {f.name} 存的是文字，不能按日期比较（界限 {shown}）：请把它声明为日期型"
                    f"（type: date），或写明 standard: date / the string field {f.name} holds text, which "
                    f"is not compared as dates (bound {shown}): declare it type: date, or standard: date"
                )
            else:
                text = (
                    f"字符型信息项 {f.name} 存的是文字，不能按数字比较（界限 {shown}）：请把它声明为整数型或"
                    f"数值型（type: integer 或 decimal），加载时即转换并标出不是数字的值 / the string field "
                    f"{f.name} holds text, which is not compared as numbers (bound {shown}): declare it "
                    "type: integer or decimal, so that ingestion converts it and flags the values that are "
                    "no numbers"
                )
        elif dated == is_date:
            continue
        elif dated:
            held = "（standard: date，存为 YYYY-MM-DD）" if t == "string" else " "
            held_en = " (standard: date, stored as YYYY-MM-DD)" if t == "string" else ""
            text = (
                f"{zh_t}信息项 {f.name}{held}的界限须为日期（如 1900-01-01）或 today，实为 {shown} / "
                f"the {en_t} field {f.name}{held_en} is bounded by dates (1900-01-01) or today, got {shown}"
            )
        else:
            text = (
                f"{zh_t}信息项 {f.name} 的界限须为数字，实为 {shown} / "
                f"the {en_t} field {f.name} is bounded by numbers, got {shown}"
            )
        out.append(((key,), text))
    lo, hi = r.min, r.max
    above = (isinstance(lo, float) and isinstance(hi, float) and lo > hi) or (
        isinstance(lo, dt.date) and isinstance(hi, dt.date) and lo > hi
    )
    if above and lo is not None and hi is not None:
        a, z = _bound_text(lo), _bound_text(hi)
        out.append((("min",), f"最小值 {a} 大于最大值 {z} / min {a} is greater than max {z}"))
    return out


#: what the values of a field of each type are, and what to write instead of a text rule on it
_NOT_TEXT: dict[str, tuple[str, str, str, str]] = {
    "date": ("日期", "dates", "请用 min/max 限定取值", "bound it with min/max"),
    "datetime": ("日期时间", "dates and times", "请用 min/max 限定取值", "bound it with min/max"),
    "boolean": ("是与否", "true or false", "请用 values（true、false）", "use values (true, false)"),
    "decimal": (
        "数字（写成文字的形式因引擎而异：2.0、1e+20）",
        "numbers (written as text differently by each engine: 2.0, 1e+20)",
        "请用 min/max 限定取值，或把它声明为字符型（type: string）",
        "bound it with min/max, or declare it type: string",
    ),
}


def _field_type_problems(r: RuleBase, spec: ResourceSpec) -> list[tuple[Loc, str]]:
    """A rule whose kind does not fit the type (or standard) of the field it reads, so that it
    could only pass or fail every row, check none, or not run at all:

    * ``pattern`` and ``max_length`` on a date, datetime, boolean or decimal field: they read the
      text the engine writes for the value (2024-03-01, true, 2.0), not the text the department
      wrote, and the type already fixed its form;
    * ``values`` that no value of the field can equal: not integers (an integer field), not numbers
      (decimal), not written YYYY-MM-DD (date) or YYYY-MM-DD HH:MM:SS (datetime), not true/false
      (boolean), not codes of the field's code list (sex, marital, ethnic: 男 is stored as 1);
    * ``max_days`` on a field that holds no dates (its values were cast to dates: none was checked);
    * ``id_birth``, ``id_sex``, ``id_region`` whose citizen-ID field is not text (the rule failed at
      the load);
    * ``standard`` naming no standard, or none where the field declares none.
    """
    from shuzhi.catalog.spec import STANDARDS

    def field(name: str) -> FieldSpec | None:
        try:
            return spec.field(name)
        except KeyError:
            return None

    out: list[tuple[Loc, str]] = []
    f = field(getattr(r, "field", "") or "")
    if f is None:
        return out
    t, zh_t = f.type.value, f.type.label_zh
    if isinstance(r, Pattern | MaxLength) and t in _NOT_TEXT:
        key = "pattern" if isinstance(r, Pattern) else "max_length"
        zh_what, en_what, zh_do, en_do = _NOT_TEXT[t]
        zh_rule = "格式（pattern）" if key == "pattern" else "长度（max_length）"
        out.append(
            (
                (key,),
                f"{zh_t}信息项 {f.name} 存的是{zh_what}，不是文字，不能检查{zh_rule}：加载时已按类型"
                f"转换，并标出不合类型的值；{zh_do} / the {t} field {f.name} holds {en_what}, not text: "
                f"a {key} does not "
                f"apply (ingestion converted its values and flagged those of another type); {en_do}",
            )
        )
    elif isinstance(r, Values):
        for j, v in enumerate(r.values):
            problem = value_problem(f, v)
            if problem is not None:
                out.append((("values", j), problem))
    elif isinstance(r, RecordAge) and not (t in ("date", "datetime") or _dated_text(f)):
        out.append(
            (
                ("max_days",),
                f"{zh_t}信息项 {f.name} 存的不是日期，不能按天数检查时效：请检查日期型信息项，或把它声明为"
                f"日期型（type: date）或写明 standard: date / the {t} field {f.name} holds no dates, so its "
                "age in days cannot be checked: check a date field, or declare it type: date or "
                "standard: date",
            )
        )
    elif isinstance(r, IdBirth | IdSex | IdRegion) and t != "string":
        out.append(
            (
                ("field",),
                f"规则 {r.rule_id} 的 field 应为公民身份号码（字符型），{f.name} 是{zh_t} / "
                f"rule {r.rule_id}: field names the citizen ID, a string field; {f.name} is {t}",
            )
        )
    elif isinstance(r, Standard):
        if r.standard is not None and r.standard not in STANDARDS:
            zh, en = _hint(r.standard, STANDARDS)
            out.append(
                (
                    ("standard",),
                    f"未知的标准 {r.standard}{zh}；可选 {'、'.join(STANDARDS)} / unknown standard "
                    f"{r.standard!r}{en}; known: {', '.join(STANDARDS)}",
                )
            )
        elif r.standard is None and f.standard is None:
            out.append(
                (
                    ("field",),
                    f"信息项 {f.name} 没有声明标准：请在规则中写 standard（如 standard: idcard），或在信息项"
                    f"上声明 / field {f.name} declares no standard: name one in the rule (standard: idcard) "
                    "or on the field",
                )
            )
    return out


_DATETIME_TEXT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$")


def decimal_places(value: str) -> int:
    """Decimal places of a number written as text (trailing zeros do not count)."""
    try:
        exponent = decimal.Decimal(value.strip()).normalize().as_tuple().exponent
    except decimal.InvalidOperation:
        return 0
    return max(0, -exponent) if isinstance(exponent, int) else 0


def value_problem(f: FieldSpec, value: str) -> str | None:
    """Why no value of the field ``f`` can equal the allowed ``value``, or None."""
    from shuzhi.standards.codes import CODE_LISTS

    t = f.type.value
    given = repr(value)
    if t == "integer" and not _INTEGER.match(value.strip()):
        return (
            f"整数型信息项 {f.name} 的取值须为整数，实为 {given} / the integer field {f.name} takes "
            f"integers, got {given}"
        )
    if t == "decimal" and allowed_number(value) is None:
        return (
            f"数值型信息项 {f.name} 的取值须为数字，实为 {given} / the decimal field {f.name} takes numbers, "
            f"got {given}"
        )
    if t == "decimal" and f.scale is not None and decimal_places(value) > f.scale:
        return (
            f"信息项 {f.name} 只存 {f.scale} 位小数，取值 {given} 永远不会出现 / the field {f.name} keeps "
            f"{f.scale} decimal places: no value can equal {given}"
        )
    if t == "date":
        try:
            ok = dt.date.fromisoformat(value).isoformat() == value
        except ValueError:
            ok = False
        if not ok:
            return (
                f"日期型信息项 {f.name} 的取值须写成 YYYY-MM-DD（如 2024-03-01），实为 {given} / the date "
                f"field {f.name} takes dates written YYYY-MM-DD (2024-03-01), got {given}"
            )
    if t == "datetime":
        try:
            ok = bool(_DATETIME_TEXT.match(value)) and dt.datetime.fromisoformat(value) is not None
        except ValueError:
            ok = False
        if not ok:
            return (
                f"日期时间型信息项 {f.name} 的取值须写成 YYYY-MM-DD HH:MM:SS（如 2024-03-01 08:30:00），"
                f"实为 {given} / the datetime field {f.name} takes values written YYYY-MM-DD HH:MM:SS "
                f"(2024-03-01 08:30:00), got {given}"
            )
    if t == "boolean" and value not in ("true", "false"):
        return (
            f"布尔型信息项 {f.name} 的取值须为 true 或 false，实为 {given} / the boolean field {f.name} "
            f"takes true or false, got {given}"
        )
    if t == "string" and f.standard in CODE_LISTS:
        codes = CODE_LISTS[f.standard]
        known = list(codes.codes())
        if value not in known:
            shown = "、".join(known[:10]) + ("…" if len(known) > 10 else "")
            shown_en = ", ".join(known[:10]) + (", …" if len(known) > 10 else "")
            code, _ = codes.map(value)
            zh = f"（{value} 存为 {code}）" if code is not None else ""
            en = f" ({value} is stored as {code})" if code is not None else ""
            return (
                f"{codes.label_zh}信息项 {f.name} 存的是 {codes.standard} 代码（{shown}），{given} "
                f"不是其中之一{zh} / the {codes.name} field {f.name} holds {codes.standard} codes "
                f"({shown_en}): {given} is not one{en}"
            )
    return None


def _reference_problems(
    r: References | Agrees, fields_of: Callable[[str], Collection[str] | None]
) -> list[tuple[Loc, str]]:
    key, ref = ("references", r.references) if isinstance(r, References) else ("agrees_with", r.agrees_with)
    code, name = _split_ref(ref)
    fields = fields_of(code)
    rid = r.rule_id
    if fields is None:
        return [
            (
                (key,),
                f"规则 {rid} 引用的资源 {code} 不存在：请在本文件中声明，或先声明它 / rule {rid}: resource "
                f"{code} does not exist: declare it in this file or first",
            )
        ]
    wanted = [((key,), name)]
    if isinstance(r, Agrees):  # the key the rows are matched on, there
        wanted.append((("on_other",), r.on_other) if r.on_other else (("on",), r.on))
    out: list[tuple[Loc, str]] = []
    for loc, n in wanted:
        if n not in fields:
            zh, en = _hint(n, fields)
            out.append((loc, f"资源 {code} 没有信息项 {n}{zh} / resource {code} has no field {n!r}{en}"))
    return out


def _hint(word: str, choices: Iterable[str]) -> tuple[str, str]:
    """``（是不是 X？）`` and `` (did you mean X?)`` for the choice ``word`` is likely a typo of."""
    close = _closest(word, choices)
    return (f"（是不是 {close}？）", f" (did you mean {close}?)") if close else ("", "")


# -- default rules ----------------------------------------------------------------------------------

#: standards whose problems are counted (their values have a validity); ``text`` has none
_CHECKED_STANDARDS = frozenset({"idcard", "uscc", "orgcode", "division", "phone", "date", "address", "name"})
_CHECKED_STANDARDS |= {"sex", "marital", "ethnic"}


def default_rules(
    spec: ResourceSpec, *, related: Callable[[str], ResourceSpec | None] | None = None
) -> list[RuleBase]:
    """The rules every resource gets without writing any, from its declaration:

    * completeness: ``not_null`` for each required (and key) field; the share of source rows that
      were loaded rather than quarantined;
    * conformity: ``standard`` for each field with a standard, ``values``, ``max_length``; ``type``
      for each field of another type than string without one (values that were no number, date …);
    * accuracy: ``range`` from ``min``/``max`` (and 1880..today for birth dates); ``unique`` for the
      key (all key fields together), each unique field and each ``unique_together``; ID-embedded
      birth date and sex against the birth-date and sex fields when the resource has exactly one
      citizen-ID field;
    * consistency: for each ``related`` resource (``related(code)`` gives its declaration) whose key
      is a single field that this resource also has (same name and standard): ``references`` on it,
      and ``agrees`` for every other field the two share by name and standard;
    * timeliness: the update cycle, when the catalog declares one with a length;
    * accessibility: the version is readable and its checksum matches the store.
    """
    from shuzhi.catalog.spec import FieldType

    rules: list[RuleBase] = []
    for f in spec.fields:
        if f.required:
            rules.append(NotNull(field=f.name))
    rules.append(RecordsLoaded())
    for f in spec.fields:
        if f.standard in _CHECKED_STANDARDS:
            rules.append(Standard(field=f.name))
        if f.values:
            rules.append(Values(field=f.name, values=list(f.values)))
        if f.max_length is not None:
            rules.append(MaxLength(field=f.name, max_length=f.max_length))
        if f.type is not FieldType.string and f.standard not in _CHECKED_STANDARDS:
            rules.append(TypeConforms(field=f.name))
    for f in spec.fields:
        if f.type in (FieldType.integer, FieldType.decimal) and (f.min is not None or f.max is not None):
            rules.append(Range(field=f.name, min=f.min, max=f.max))
        elif f.is_birth_date:
            rules.append(Range(field=f.name, min=dt.date(1880, 1, 1), max="today"))
    keys = [f.name for f in spec.fields if f.key]
    if keys:
        rules.append(Unique(fields=keys))
    for f in spec.fields:
        if f.unique and [f.name] != keys:
            rules.append(Unique(fields=[f.name]))
    for combo in spec.unique_together:
        if list(combo) != keys:
            rules.append(Unique(fields=list(combo)))
    ids = [f for f in spec.fields if f.standard == "idcard"]
    if len(ids) == 1:
        births = [f for f in spec.fields if f.is_birth_date]
        sexes = [f for f in spec.fields if f.is_sex]
        if len(births) == 1:
            rules.append(IdBirth(field=ids[0].name, birth=births[0].name))
        if len(sexes) == 1:
            rules.append(IdSex(field=ids[0].name, sex=sexes[0].name))
    if related is not None:
        rules.extend(_related_rules(spec, related))
    if spec.update_cycle.days is not None:
        rules.append(UpdateCycle())
    rules += [Readable(), ChecksumMatches()]
    return _dedupe(rules)


def _related_rules(spec: ResourceSpec, related: Callable[[str], ResourceSpec | None]) -> list[RuleBase]:
    """``references`` and ``agrees`` rules towards the ``related`` resources. A base resource
    (基础信息资源, e.g. the household registry) is what others are checked against, not the reverse:
    it gets no ``references`` rule towards a resource that is not a base resource (not every
    resident receives an allowance), only the ``agrees`` rules."""
    from shuzhi.catalog.spec import ResourceKind

    out: list[RuleBase] = []
    mine = {f.name: f for f in spec.fields}
    for code in spec.related:
        other = related(code)
        if other is None:
            continue
        keys = other.key_fields
        if len(keys) != 1:
            continue
        key = keys[0]
        here = mine.get(key.name)
        if here is None or here.standard != key.standard:
            continue
        if spec.kind is not ResourceKind.base or other.kind is ResourceKind.base:
            out.append(References(field=here.name, references=f"{other.code}.{key.name}"))
        for g in other.fields:
            f = mine.get(g.name)
            if f is None or g.name == key.name or f.standard is None or f.standard != g.standard:
                continue
            out.append(Agrees(field=f.name, agrees_with=f"{other.code}.{g.name}", on=here.name))
    return out


def _dedupe(rules: Sequence[RuleBase]) -> list[RuleBase]:
    seen: dict[str, RuleBase] = {}
    for r in rules:
        seen[r.rule_id] = r  # a later rule with the same id replaces the earlier one
    return list(seen.values())


def resolve_rules(
    spec: ResourceSpec,
    quality: QualitySpec | None = None,
    *,
    related: Callable[[str], ResourceSpec | None] | None = None,
    check: bool = True,
) -> list[RuleBase]:
    """The rules a resource is evaluated with: the defaults (unless ``defaults: false``) less the
    ``disable``d ones, then the declared rules (replacing defaults of the same id), with
    ``must_pass`` applied. ``check`` raises :class:`~shuzhi.errors.ValidationError` when the
    section does not fit the resource."""
    from shuzhi.errors import ValidationError

    q = quality or QualitySpec()
    if check:
        problems = q.problems(spec)
        if problems:
            raise ValidationError({f"{spec.code}.quality": problems})
    rules: list[RuleBase] = []
    if q.defaults:
        rules = [r for r in default_rules(spec, related=related) if r.rule_id not in set(q.disable)]
    rules = _dedupe([*rules, *q.rules])
    must = set(q.must_pass)
    return [r.model_copy(update={"must_pass": True}) if r.rule_id in must else r for r in rules]
