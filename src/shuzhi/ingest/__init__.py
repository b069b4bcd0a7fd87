"""Ingestion (数据汇聚): a department's file becomes a new immutable version of a catalog resource.

::

    from shuzhi.ingest import ingest, list_versions, diff, quarantine, export_quarantine

    result = ingest(ws, "JC-MZ-DB", "低保名单.csv", mapping="mappings/dibao.yaml", mode="upsert")
    result.version, result.rows_loaded, result.rows_quarantined, result.quarantine
    diff(ws, "JC-MZ-DB", 1, 2)                          # added / removed / changed by key
    export_quarantine(ws, "JC-MZ-DB", None, "退回.xlsx")  # for the department to correct

Reading sources is :mod:`shuzhi.ingest.readers`; mappings are :mod:`shuzhi.ingest.mapping`;
the cleansing SQL is compiled by ``_cleanse``, loads run in ``_load``, and versions, diffs and
quarantines are read by ``_versions``. The user guide is docs/ingest.md.
"""

from shuzhi.ingest._cleanse import INGEST_REASONS, ColumnMatch, rule_text
from shuzhi.ingest._load import (
    FAULT_ENV,
    MODES,
    LoadResult,
    Mode,
    Progress,
    PublishResult,
    RuleCount,
    SourceInfo,
    ingest,
    publish_version,
)
from shuzhi.ingest._versions import (
    ChangedRow,
    FieldChange,
    JobEntry,
    QuarantineRow,
    QuarantineView,
    VersionDiff,
    VersionInfo,
    diff,
    export_quarantine,
    get_version,
    job_log,
    latest_version,
    list_versions,
    quarantine,
    read_version,
    verify_version,
    version_path,
    version_rows,
)
from shuzhi.ingest.mapping import ColumnMapping, MappingSpec, SourceOptions, load_mapping
from shuzhi.ingest.readers import SourceTable, detect_format, read_source

__all__ = [
    "FAULT_ENV",
    "INGEST_REASONS",
    "MODES",
    "ChangedRow",
    "ColumnMapping",
    "ColumnMatch",
    "FieldChange",
    "JobEntry",
    "LoadResult",
    "MappingSpec",
    "Mode",
    "Progress",
    "PublishResult",
    "QuarantineRow",
    "QuarantineView",
    "RuleCount",
    "SourceInfo",
    "SourceOptions",
    "SourceTable",
    "VersionDiff",
    "VersionInfo",
    "detect_format",
    "diff",
    "export_quarantine",
    "get_version",
    "ingest",
    "job_log",
    "latest_version",
    "list_versions",
    "load_mapping",
    "publish_version",
    "quarantine",
    "read_source",
    "read_version",
    "rule_text",
    "verify_version",
    "version_path",
    "version_rows",
]
