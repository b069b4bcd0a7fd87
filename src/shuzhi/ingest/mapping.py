"""An ingestion mapping (映射): how one department's file becomes a catalog resource's fields.

Declared in YAML beside the data (``examples/*/mappings/*.yaml``)::

    resource: JC-WJ-JKDA            # the catalog resource loaded
    source:                          # how to read the file; everything defaults to auto-detection
      format: csv                    # csv | excel | json | jsonl | parquet | sql (default: by extension)
      encoding: auto                 # auto | utf-8 | gbk | gb18030 …
      delimiter: auto
      header_row: auto               # 1-based line of the header, or auto (first line naming mapped columns)
      null_values: ["", "NULL", "无"]
    columns:                         # source column -> catalog field
      姓名: name
      身份證號: {field: id_number}
      性別: {field: sex, values: {男: "1", 女: "2", 不详: "0"}}
      出生日期: {field: birth_date, variant: dayfirst}
    defaults: {source_dept: JC-WJ}   # constant values for fields no column feeds
    extra_columns: ignore            # ignore | error: source columns the mapping does not name

Without a mapping, source columns are matched to fields by name or Chinese label.
"""

from __future__ import annotations

import codecs
import os
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shuzhi.catalog.spec import CODE_PATTERN, FIELD_NAME_PATTERN

__all__ = ["ColumnMapping", "MappingSpec", "SourceOptions", "load_mapping"]

SourceFormat = Literal["csv", "excel", "json", "jsonl", "parquet", "sql"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True)


def codec_name(encoding: str | None) -> str | None:
    """The Python codec an ``encoding`` option names, or None for ``auto``; ValueError (in both
    languages) for an unknown one."""
    asked = (encoding or "auto").strip()
    if asked.lower() in ("", "auto"):
        return None
    try:
        return codecs.lookup(asked).name
    except LookupError:
        raise ValueError(
            f"未知的编码 / unknown encoding: {asked!r} (e.g. utf-8, gb18030, gbk, big5, utf-16)"
        ) from None


#: delimiters by name (``delimiter: semicolon`` or ``分号``)
DELIMITER_NAMES = {
    "tab": "\t",
    "\\t": "\t",
    "制表符": "\t",
    "comma": ",",
    "逗号": ",",
    "semicolon": ";",
    "分号": ";",
    "pipe": "|",
    "竖线": "|",
    "space": " ",
    "空格": " ",
    "caret": "^",
    "脱字符": "^",
}


class SourceOptions(_Spec):
    """How to read the source. Every option may be left to detection."""

    format: SourceFormat | None = None
    #: text encoding of CSV/JSON: ``auto`` detects UTF-8 (with or without BOM) or GB18030 (⊇ GBK)
    encoding: str = "auto"
    #: CSV delimiter, or ``auto`` (sniffed among , ; tab | and ^)
    delimiter: str = "auto"
    #: CSV quote character
    quote: str = '"'
    #: 1-based line (CSV) or row (Excel) of the header, or ``auto``: the first of the first 50
    #: lines that names the mapped source columns (titles above a table are skipped)
    header_row: int | Literal["auto"] = "auto"
    #: Excel: rows the header spans (merged header cells are joined as ``上级-下级``); auto
    #: detects a two-row header under merged cells
    header_rows: int | Literal["auto"] = "auto"
    #: Excel sheet name or 0-based index (default: the first sheet)
    sheet: str | int | None = None
    #: JSON: where the records are, e.g. ``data.households[].members[]``; fields of the parents
    #: are kept as ``households.address`` … (dot paths) so a member keeps its household's values
    records: str | None = None
    #: SQL source: a table name or a query (exactly one), read through the SQLAlchemy URL given
    #: on the command line
    table: str | None = None
    query: str | None = None
    #: values cleansing reads as missing (kept as written in the source table, so the quarantine
    #: shows them; the standards also treat placeholders such as 无, 不详, /, — as missing)
    null_values: list[str] = [""]
    #: rows at the end that are not data (合计/total lines): skip this many
    skip_footer: int = 0

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str) -> str:
        codec_name(v)
        return v

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, v: str) -> str:
        name = v.strip().lower() if len(v) > 1 else v
        v = DELIMITER_NAMES.get(name, v)
        if v in ("auto", "") or len(v) == 1:
            return v
        raise ValueError(
            f"分隔符应为一个字符，或 逗号、分号、制表符、竖线、空格，或 auto；实为 {v!r} / "
            f"the delimiter is one character, or comma, semicolon, tab, pipe, space, or auto; got {v!r}"
        )

    @model_validator(mode="after")
    def _one_sql_source(self) -> Self:
        if self.table is not None and self.query is not None:
            raise ValueError("table 与 query 只能给一个 / give table or query, not both")
        if isinstance(self.header_row, int) and self.header_row < 1:
            raise ValueError("header_row 从 1 开始 / header_row counts from 1")
        return self


class ColumnMapping(_Spec):
    """Where one source column goes, and how its values are translated on the way."""

    field: Annotated[str, Field(pattern=FIELD_NAME_PATTERN)]
    #: declared value map, applied (after trimming) before the field's standard: {源值: 目标值}
    values: dict[str, str | None] = {}
    #: a value the map lacks: ``keep`` it (the standard may still accept it) or treat it as
    #: ``invalid`` (unknown code: the field's on_invalid decides)
    unmapped: Literal["keep", "invalid"] = "keep"
    #: date fields written day first (03/04/2020 is 3 April)
    variant: Literal["dayfirst"] | None = None
    #: a strptime-like format for dates written in an unusual way, e.g. ``%d.%m.%Y``
    date_format: str | None = None

    @field_validator("values", mode="before")
    @classmethod
    def _keys_as_text(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {str(k): (None if x is None else str(x)) for k, x in v.items()}
        return v


class MappingSpec(_Spec):
    """A mapping file (see the module docstring)."""

    resource: Annotated[str, Field(pattern=CODE_PATTERN)]
    source: SourceOptions = SourceOptions()
    columns: dict[str, ColumnMapping] = {}
    defaults: dict[str, str] = {}
    extra_columns: Literal["ignore", "error"] = "ignore"
    description: str | None = None

    @field_validator("columns", mode="before")
    @classmethod
    def _short_form(cls, v: Any) -> Any:
        """``姓名: name`` is short for ``姓名: {field: name}``."""
        if isinstance(v, dict):
            return {str(k): ({"field": x} if isinstance(x, str) else x) for k, x in v.items()}
        return v

    @model_validator(mode="after")
    def _each_field_once(self) -> Self:
        seen: dict[str, str] = {}
        for column, m in self.columns.items():
            if m.field in seen:
                raise ValueError(
                    f"信息项 {m.field} 由两列映射 / field {m.field!r} is fed by both "
                    f"{seen[m.field]!r} and {column!r}"
                )
            seen[m.field] = column
        both = set(seen) & set(self.defaults)
        if both:
            raise ValueError(f"既有列映射又有默认值 / fields both mapped and defaulted: {sorted(both)}")
        return self

    def fields(self) -> dict[str, str]:
        """field -> source column."""
        return {m.field: column for column, m in self.columns.items()}


def load_mapping(path: str | os.PathLike[str]) -> MappingSpec:
    """Read and validate a mapping YAML file; errors name the file, line and key. Whether its
    fields exist in the catalog is checked when a load starts (the catalog may change)."""
    from shuzhi._yaml import load_model

    return load_model(MappingSpec, path)
