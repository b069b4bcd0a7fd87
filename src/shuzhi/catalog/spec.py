"""What a catalog entry says: the core metadata of the national catalogue guide, as pydantic models.

A resource (数据资源) is declared in YAML (see ``examples/*/catalog.yaml``) and validated here;
the same models are the bodies of the catalog API. Every enumerated value is written in English
(``conditional``) or as the Chinese term of the guide (``有条件共享``): both are accepted, the
English value is stored.

Core metadata (政务信息资源目录编制指南(试行), 2017): classification (类/项/目/细目), name, code,
provider and provider code, summary, format, information items, sharing attributes (type,
condition, method), open attribute, update cycle, release date, related resource codes. We add a
security grade (一般/重要/核心, Data Security Law) and, per field, the personal-information kind
of the Personal Information Protection Law (art. 28 lists the sensitive kinds).
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Self

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from shuzhi._yaml import register_choices, register_pattern
from shuzhi.quality.rules import Loc, QualitySpec
from shuzhi.registry._spec import RegistrySpec

__all__ = [
    "CatalogFile",
    "DepartmentSpec",
    "FieldSpec",
    "FieldType",
    "OnInvalid",
    "OpenSpec",
    "OpenType",
    "PersonalInfo",
    "ResourceFormat",
    "ResourceKind",
    "ResourceSpec",
    "SecurityGrade",
    "SharingSpec",
    "SharingType",
    "UpdateCycle",
    "label",
]

#: codes of resources and departments: letters, digits and ``-_.`` (e.g. ``JC-GA-001``)
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
#: names of fields: what the version's Parquet columns are called
FIELD_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
register_pattern(
    CODE_PATTERN,
    "代码只用英文字母、数字和 - _ .，以字母或数字开头，最多 64 个字符（如 JC-GA-HJRK）",
    "a code is letters, digits and - _ . starting with a letter or digit, at most 64 characters (JC-GA-HJRK)",
)
register_pattern(
    FIELD_NAME_PATTERN,
    "信息项名称只用小写英文字母、数字和下划线，以字母开头，最多 63 个字符（如 id_number；中文写在 label）",
    "a field name is lower-case letters, digits and _ starting with a letter, at most 63 characters "
    "(id_number; the Chinese goes in label)",
)


#: labels of every enumeration: class -> (Chinese, English, aliases)
_LABELS: dict[type, tuple[dict[str, str], dict[str, str], dict[str, str]]] = {}


class _Labelled(StrEnum):
    """An enumeration whose members also parse from their Chinese terms (and aliases)."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str) and cls in _LABELS:
            zh, en, aliases = _LABELS[cls]
            text = value.strip()
            for member in cls:
                if text in (zh[member.value], en[member.value]) or text.lower() == member.value:
                    return member
            if text in aliases:
                return cls(aliases[text])
        return None

    @property
    def label_zh(self) -> str:
        return _LABELS[type(self)][0][self.value]

    @property
    def label_en(self) -> str:
        return _LABELS[type(self)][1][self.value]

    def label(self, lang: str = "zh") -> str:
        return self.label_zh if lang == "zh" else self.label_en

    @classmethod
    def choices(cls, lang: str = "zh") -> dict[str, str]:
        """Every value with its label in ``lang``."""
        return {m.value: m.label(lang) for m in cls}


def _labels(cls: type[_Labelled], zh: dict[str, str], en: dict[str, str], **aliases: str) -> None:
    _LABELS[cls] = (zh, en, aliases)
    register_choices(zh)  # an invalid value is answered with the Chinese terms the YAML uses


def label(value: _Labelled | str | None, lang: str = "zh") -> str:
    """The label of an enumerated value in ``lang`` (``""`` for None)."""
    if value is None:
        return ""
    return value.label(lang) if isinstance(value, _Labelled) else str(value)


class SharingType(_Labelled):
    """共享类型 (国发〔2016〕51号)."""

    unconditional = "unconditional"
    conditional = "conditional"
    none = "none"


_labels(
    SharingType,
    {"unconditional": "无条件共享", "conditional": "有条件共享", "none": "不予共享"},
    {"unconditional": "unconditional", "conditional": "conditional", "none": "not shared"},
)


class OpenType(_Labelled):
    """开放类型: open to the public without conditions, on conditions, or not at all."""

    open = "open"
    conditional = "conditional"
    closed = "closed"


_labels(
    OpenType,
    {"open": "无条件开放", "conditional": "有条件开放", "closed": "不予开放"},
    {"open": "open", "conditional": "conditional", "closed": "not open"},
)


class UpdateCycle(_Labelled):
    """更新周期. :attr:`days` is how old the last load may be before it is late."""

    realtime = "realtime"
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"
    semiannual = "semiannual"
    yearly = "yearly"
    irregular = "irregular"

    @property
    def days(self) -> int | None:
        return {
            "realtime": 1,
            "daily": 1,
            "weekly": 7,
            "monthly": 31,
            "quarterly": 92,
            "semiannual": 183,
            "yearly": 366,
        }.get(self.value)


_labels(
    UpdateCycle,
    {
        "realtime": "实时",
        "daily": "每日",
        "weekly": "每周",
        "monthly": "每月",
        "quarterly": "每季度",
        "semiannual": "每半年",
        "yearly": "每年",
        "irregular": "不定期",
    },
    {
        "realtime": "real time",
        "daily": "daily",
        "weekly": "weekly",
        "monthly": "monthly",
        "quarterly": "quarterly",
        "semiannual": "half-yearly",
        "yearly": "yearly",
        "irregular": "irregular",
    },
    每天="daily",
    每周一次="weekly",
    每月一次="monthly",
    每季="quarterly",
    每年一次="yearly",
    半年="semiannual",
)


class SecurityGrade(_Labelled):
    """数据分级 (Data Security Law; GB/T 43697-2024): general, important, core."""

    general = "general"
    important = "important"
    core = "core"


_labels(
    SecurityGrade,
    {"general": "一般数据", "important": "重要数据", "core": "核心数据"},
    {"general": "general", "important": "important", "core": "core"},
    一般="general",
    重要="important",
    核心="core",
)


class ResourceKind(_Labelled):
    """目录类别 by content: base (人口, 法人…), thematic, departmental."""

    base = "base"
    thematic = "thematic"
    departmental = "departmental"


_labels(
    ResourceKind,
    {"base": "基础信息资源", "thematic": "主题信息资源", "departmental": "部门信息资源"},
    {"base": "base", "thematic": "thematic", "departmental": "departmental"},
    基础="base",
    主题="thematic",
    部门="departmental",
)


class ResourceFormat(_Labelled):
    """信息资源格式 of the guide."""

    database = "database"
    spreadsheet = "spreadsheet"
    file = "file"
    image = "image"
    stream = "stream"
    api = "api"
    other = "other"


_labels(
    ResourceFormat,
    {
        "database": "数据库",
        "spreadsheet": "电子表格",
        "file": "电子文件",
        "image": "图形图像",
        "stream": "流媒体",
        "api": "接口",
        "other": "自定义",
    },
    {
        "database": "database",
        "spreadsheet": "spreadsheet",
        "file": "electronic file",
        "image": "image",
        "stream": "streaming media",
        "api": "service interface",
        "other": "other",
    },
)


class FieldType(_Labelled):
    """The type a field's values are cast to in the version (Parquet/DuckDB type in brackets)."""

    string = "string"  # VARCHAR
    integer = "integer"  # BIGINT
    decimal = "decimal"  # DOUBLE, or DECIMAL(38, scale) with a scale
    date = "date"  # DATE
    datetime = "datetime"  # TIMESTAMP
    boolean = "boolean"  # BOOLEAN


_labels(
    FieldType,
    {
        "string": "字符型",
        "integer": "整数型",
        "decimal": "数值型",
        "date": "日期型",
        "datetime": "日期时间型",
        "boolean": "布尔型",
    },
    {
        "string": "string",
        "integer": "integer",
        "decimal": "decimal",
        "date": "date",
        "datetime": "date-time",
        "boolean": "boolean",
    },
    字符="string",
    文本="string",
    整数="integer",
    数值="decimal",
    日期="date",
    日期时间="datetime",
    布尔="boolean",
)


class PersonalInfo(_Labelled):
    """The personal-information kind of a field (PIPL); all but ``none``/``general`` are sensitive
    personal information under art. 28, except ``identity`` and ``contact`` which are ordinary
    personal information that still identify a person."""

    none = "none"
    identity = "identity"  # name, ID number
    contact = "contact"  # phone, address
    biometric = "biometric"
    religion = "religion"
    specific_identity = "specific_identity"  # e.g. disability, special groups
    health = "health"
    financial = "financial"
    whereabouts = "whereabouts"
    minor = "minor"  # information of children under 14
    other = "other"

    @property
    def sensitive(self) -> bool:
        return self.value not in ("none", "identity", "contact", "other")


_labels(
    PersonalInfo,
    {
        "none": "非个人信息",
        "identity": "身份信息",
        "contact": "联系信息",
        "biometric": "生物识别",
        "religion": "宗教信仰",
        "specific_identity": "特定身份",
        "health": "医疗健康",
        "financial": "金融账户",
        "whereabouts": "行踪轨迹",
        "minor": "未成年人信息",
        "other": "其他个人信息",
    },
    {
        "none": "not personal",
        "identity": "identity",
        "contact": "contact",
        "biometric": "biometric",
        "religion": "religious belief",
        "specific_identity": "specific identity",
        "health": "medical and health",
        "financial": "financial account",
        "whereabouts": "whereabouts",
        "minor": "minor under 14",
        "other": "other personal",
    },
)


class OnInvalid(_Labelled):
    """What ingestion does with a value its standard rejects.

    ``quarantine``: the row goes to quarantine (default for key and required fields);
    ``flag``: the row is kept with the value as written and the problem listed in its ``_issues``
    (default otherwise); ``null``: the row is kept, the value emptied and the problem listed.
    """

    quarantine = "quarantine"
    flag = "flag"
    null = "null"


_labels(
    OnInvalid,
    {"quarantine": "隔离整行", "flag": "保留并标记", "null": "置空并标记"},
    {"quarantine": "quarantine the row", "flag": "keep and flag", "null": "empty and flag"},
)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True)


Code = Annotated[str, Field(pattern=CODE_PATTERN)]


class DepartmentSpec(_Spec):
    """A department (委办局) that provides or uses data."""

    code: Code
    name: Annotated[str, Field(min_length=1, max_length=200)]
    name_en: Annotated[str, Field(max_length=200)] | None = None
    parent: Code | None = None


#: the ``standard`` a field may name: a kind of ``shuzhi.standards`` or a code list
STANDARDS: tuple[str, ...] = (
    "idcard",
    "uscc",
    "orgcode",
    "division",
    "phone",
    "date",
    "address",
    "name",
    "sex",
    "marital",
    "ethnic",
    "text",
)


#: the column type of each field type (a decimal with a scale is DECIMAL(38, scale))
_SQL_TYPES: dict[FieldType, str] = {
    FieldType.string: "VARCHAR",
    FieldType.integer: "BIGINT",
    FieldType.decimal: "DOUBLE",
    FieldType.date: "DATE",
    FieldType.datetime: "TIMESTAMP",
    FieldType.boolean: "BOOLEAN",
}


#: field names of a date of birth (出生日期 in a label also says so)
_BIRTH = re.compile(r"birth|^dob$|csrq")


class FieldSpec(_Spec):
    """An information item (信息项) of a resource."""

    name: Annotated[str, Field(pattern=FIELD_NAME_PATTERN)]
    label: Annotated[str, Field(min_length=1, max_length=200)]  # Chinese label, e.g. 公民身份号码
    label_en: str | None = None
    type: FieldType = FieldType.string
    #: the standard the values follow; ingestion cleanses with it and quality checks against it
    standard: str | None = None
    #: for ``date`` standards: ``dayfirst`` when 03/04/2020 means 3 April
    variant: str | None = None
    required: bool = False
    key: bool = False
    unique: bool = False
    sensitive: bool = False
    personal_info: PersonalInfo = PersonalInfo.none
    on_invalid: OnInvalid | None = None  # default: quarantine for key/required, flag otherwise
    #: allowed values (after cleansing), for fields without a standard code list
    values: list[str] | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    #: decimal fields: digits after the decimal point, stored exactly (DECIMAL(38, scale)); a value
    #: with more is refused, not rounded. Without it a decimal is a double (about 15 digits)
    scale: Annotated[int, Field(ge=0, le=18)] | None = None
    description: str | None = None

    @field_validator("standard")
    @classmethod
    def _known_standard(cls, v: str | None) -> str | None:
        if v is not None and v not in STANDARDS:
            raise ValueError(f"未知的标准 / unknown standard {v!r}; 可选 / known: {', '.join(STANDARDS)}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.key:
            self.required = True
        if self.personal_info.sensitive:
            self.sensitive = True
        problems = []
        if self.variant is not None and self.standard != "date":
            problems.append("variant 只适用于日期标准 / variant applies to the date standard only")
        if self.variant not in (None, "dayfirst"):
            problems.append(f"未知的变体 / unknown variant {self.variant!r}; known: dayfirst")
        if self.scale is not None and self.type is not FieldType.decimal:
            problems.append(
                "scale（小数位数）只适用于 decimal 类型 / scale applies to decimal fields, "
                f"not {self.type.value}"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def is_birth_date(self) -> bool:
        """A date of birth, by type or standard and by name (``birth``, ``dob``, ``csrq``) or label
        (出生): what the ID-embedded birth date is checked against, and the 1880..today range."""
        dated = self.type in (FieldType.date, FieldType.datetime) or self.standard == "date"
        return dated and (bool(_BIRTH.search(self.name)) or "出生" in self.label)

    @property
    def is_sex(self) -> bool:
        return self.standard == "sex"

    @property
    def sql_type(self) -> str:
        """The type of the field's column in a version (DuckDB's name; Parquet stores the same)."""
        if self.type is FieldType.decimal and self.scale is not None:
            return f"DECIMAL(38, {self.scale})"
        return _SQL_TYPES[self.type]

    @property
    def invalid_action(self) -> OnInvalid:
        if self.on_invalid is not None:
            return self.on_invalid
        return OnInvalid.quarantine if (self.key or self.required) else OnInvalid.flag


class SharingSpec(_Spec):
    """共享属性: type, condition (required for conditional and none: the legal basis) and method."""

    type: SharingType
    condition: str | None = None
    #: 共享方式: e.g. 接口 / 库表 / 文件 (free text, the guide lists examples)
    method: Annotated[str, Field(max_length=200)] | None = None

    def problems(self) -> list[tuple[Loc, str]]:
        """A condition missing for 有条件共享 / 不予共享 (checked with the resource's other
        problems, so that all of them are reported at once)."""
        if self.type is not SharingType.unconditional and not self.condition:
            return [
                (
                    ("condition",),
                    f"{self.type.label_zh}须写明共享条件或依据 / "
                    f"a {self.type.label_en} resource needs a condition",
                )
            ]
        return []


class OpenSpec(_Spec):
    type: OpenType = OpenType.closed
    condition: str | None = None


class ResourceSpec(_Spec):
    """A data resource (政务数据资源) as declared in the catalog."""

    code: Code
    name: Annotated[str, Field(min_length=1, max_length=200)]
    name_en: Annotated[str, Field(max_length=200)] | None = None
    department: Code  # provider department code
    summary: str = ""
    kind: ResourceKind = ResourceKind.departmental
    #: 类/项/目/细目, e.g. [基础信息资源, 人口信息, 户籍人口]
    classification: Annotated[list[str], Field(max_length=4)] = []
    format: ResourceFormat = ResourceFormat.database
    fields: Annotated[list[FieldSpec], Field(min_length=1)]
    sharing: SharingSpec
    open: OpenSpec = OpenSpec()
    update_cycle: UpdateCycle = UpdateCycle.irregular
    security_grade: SecurityGrade = SecurityGrade.general
    release_date: dt.date | None = None
    related: list[Code] = []
    tags: list[str] = []
    #: division code the resource's values come from (context for addresses and divisions)
    region: str | None = None
    #: extra uniqueness: combinations of fields that must not repeat
    unique_together: list[list[str]] = []
    #: how the resource takes part in the base registries (roles of fields, priority); derived
    #: from the fields' standards when absent (see docs/registry.md)
    registry: RegistrySpec | None = None
    #: data quality rules and gates (GB/T 36344); default rules come from the fields (docs/quality.md)
    quality: QualitySpec = QualitySpec()

    @model_validator(mode="after")
    def _fields_consistent(self) -> Self:
        """Every problem of the resource at once (a clerk should not fix them one run at a time),
        each at its own key: the second ``name``, the ``min``, the rule's line (``body.fields[2].name``
        over the API, ``catalog.yaml:14 resources[0].fields[2].name`` in a file)."""
        problems: list[tuple[Loc, str]] = []
        seen: set[str] = set()
        for j, f in enumerate(self.fields):
            if f.name in seen:
                problems.append((("fields", j, "name"), f"信息项重复 / field {f.name!r} declared twice"))
            seen.add(f.name)
            if f.min is not None and f.max is not None and f.min > f.max:  # here, not in the field:
                # a field's own error would keep the other problems of the resource from being found
                problems.append(
                    (
                        ("fields", j, "min"),
                        f"信息项 {f.name} 的最小值 {f.min:g} 大于最大值 {f.max:g} / field {f.name}: "
                        f"min {f.min:g} is greater than max {f.max:g}",
                    )
                )
        for i, combo in enumerate(self.unique_together):
            unknown = [n for n in combo if n not in seen]
            if unknown:
                zh, en = "、".join(unknown), ", ".join(unknown)
                problems.append(
                    (("unique_together", i), f"unique_together 含未声明的信息项 {zh} / unknown fields {en}")
                )
        if self.code in self.related:
            i = self.related.index(self.code)
            problems.append((("related", i), "资源不能关联自身 / a resource cannot be related to itself"))
        if self.region is not None and not re.fullmatch(r"\d{6}", self.region):
            problems.append(
                (("region",), f"region 须为6位区划代码 / region must be a 6-digit code: {self.region}")
            )
        problems += [(("sharing", *loc), message) for loc, message in self.sharing.problems()]
        # the quality section's problems at their own keys (a rule's line, not the resource's)
        problems += [(("quality", *loc), message) for loc, message in self.quality.problems_at(self)]
        if problems:
            raise _problems_at(problems)
        return self

    def declaration_problems(self) -> list[tuple[Loc, str]]:
        """What the fields declare that would not be checked as declared, each at its key
        (``("fields", 3, "min")``); checked when the catalog is declared, not when a stored
        declaration is read (one stored before stays readable):

        * ``min`` or ``max`` on a field that is no number: ingestion and the default quality rules
          bound integer and decimal fields only, and the bound was passed over without a word;
        * ``values`` no value of the field can equal (not numbers on a number field, not
          YYYY-MM-DD on a date field, not true/false on a boolean, a label instead of a code on
          a sex, marital or ethnic field: every row was flagged).
        """
        from shuzhi.quality.rules import value_problem

        out: list[tuple[Loc, str]] = []
        for j, f in enumerate(self.fields):
            t = f.type
            if t not in (FieldType.integer, FieldType.decimal):
                if t in (FieldType.date, FieldType.datetime):
                    zh = f"日期的界限请写成质量规则（{{field: {f.name}, min: 1900-01-01, max: today}}）"
                    en = f"bound dates with a quality rule ({{field: {f.name}, min: 1900-01-01, max: today}})"
                elif t is FieldType.boolean:
                    zh, en = "布尔型没有大小之分", "a boolean has no order"
                else:
                    zh, en = "请把它声明为 type: integer 或 decimal", "declare it type: integer or decimal"
                for key in ("min", "max"):
                    if getattr(f, key) is not None:
                        out.append(
                            (
                                ("fields", j, key),
                                f"{t.label_zh}信息项 {f.name} 的 {key} 不会被检查：界限只适用于整数型、"
                                f"数值型信息项；{zh} / the {t.value} field {f.name}: its {key} would not be "
                                f"checked, bounds apply to integer and decimal fields; {en}",
                            )
                        )
            for k, v in enumerate(f.values or []):
                problem = value_problem(f, v)
                if problem is not None:
                    out.append((("fields", j, "values", k), problem))
        return out

    @property
    def key_fields(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.key]

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def _problems_at(*groups: list[tuple[Loc, str]]) -> pydantic.ValidationError:
    """One validation error for ``(where, message)`` problems, ``where`` relative to the model
    being validated (pydantic prefixes the location it validates the model at)."""
    details = [
        InitErrorDetails(
            type=PydanticCustomError("value_error", "{message}", {"message": message}), loc=loc, input=None
        )
        for group in groups
        for loc, message in group
    ]
    return pydantic.ValidationError.from_exception_data("ResourceSpec", details)


class CatalogFile(_Spec):
    """A catalog YAML file: departments and resources, either list may be absent."""

    departments: list[DepartmentSpec] = []
    resources: list[ResourceSpec] = []
