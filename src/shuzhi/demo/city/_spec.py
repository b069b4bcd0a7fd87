"""What each departmental dataset is: its columns (the department's names) and the catalog fields
they feed, its file, format and encoding, and its catalog metadata. The catalog YAML, the
ingestion mappings and the files themselves are all made from these declarations, so they agree."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DEPARTMENTS", "Col", "Spec"]


@dataclass(frozen=True, slots=True)
class Col:
    """One source column and the catalog field it feeds."""

    source: str  # the department's column name
    field: str  # catalog field name
    label: str  # Chinese label of the field (信息项名称)
    type: str = "string"
    scale: int | None = None  # decimal places of a decimal stored exactly (money: 2)
    min: float | None = None  # lower bound of a number (money: 0)
    standard: str | None = None
    key: bool = False
    required: bool = False
    pi: str = "none"  # personal-information kind (catalog PersonalInfo)
    values: dict[str, str] | None = None  # the mapping's value map (source value -> field value)
    allowed: tuple[str, ...] | None = None  # the field's allowed values
    on_invalid: str | None = None
    variant: str | None = None
    description: str | None = None
    label_en: str | None = None


@dataclass(frozen=True, slots=True)
class Spec:
    """A departmental dataset: a catalog resource, a file and a mapping."""

    code: str
    name: str
    name_en: str
    department: str
    file: str
    format: str  # csv | excel | json
    encoding: str  # gbk | utf-8 | utf-8-sig
    columns: tuple[Col, ...]
    summary: str
    classification: tuple[str, ...]
    sharing: str  # unconditional | conditional | none
    sharing_condition: str | None
    sharing_method: str
    update_cycle: str
    security_grade: str
    resource_format: str = "database"
    kind: str = "departmental"
    delimiter: str = ","
    records: str | None = None  # JSON path of the records
    header_row: int | None = None
    null_values: tuple[str, ...] = ("",)
    related: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    messes: tuple[str, ...] = ()  # what is wrong with it on purpose (documentation)
    unique_together: tuple[tuple[str, ...], ...] = field(default=())

    @property
    def key_columns(self) -> list[Col]:
        return [c for c in self.columns if c.key]


#: code -> (Chinese name pattern with {city}, English name, parent)
DEPARTMENTS: dict[str, tuple[str, str, str | None]] = {
    "GA": ("{city}公安局", "Public Security Bureau (household registration)", None),
    "JJ": ("{city}公安局交通警察支队", "Traffic Police Detachment (vehicle registration)", "GA"),
    "WJ": ("{city}卫生健康委员会", "Health Commission", None),
    "RS": ("{city}人力资源和社会保障局", "Human Resources and Social Security Bureau", None),
    "MZ": ("{city}民政局", "Civil Affairs Bureau", None),
    "JY": ("{city}教育局", "Education Bureau", None),
    "SJ": ("{city}市场监督管理局", "Administration for Market Regulation", None),
    "WG": ("{city}网格化服务管理中心", "Grid Service Management Centre (door-to-door collection)", None),
}
