"""Reading what loads made: the versions of a resource, their rows, their differences and their
quarantines.

Every reader goes through the store: the resource's ``current_version`` pointer (or a version
row named by number), never "the highest folder in the warehouse" — a folder without a row is
a load that never committed.

::

    list_versions(ws, "JC-MZ-DB")                       # [VersionInfo, …] oldest first
    read_version(ws, "JC-MZ-DB", view="dibao")          # DuckDB view of the current version
    diff(ws, "JC-MZ-DB", 1, 2)                          # added / removed / changed by key
    export_quarantine(ws, "JC-MZ-DB", None, "退回.xlsx")  # for the department to correct
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import sqlalchemy as sa
from pydantic import BaseModel

from shuzhi import errors
from shuzhi.catalog.spec import ResourceSpec
from shuzhi.ingest._cleanse import ident, lit, rule_counts
from shuzhi.ingest._load import (
    DATA_DIR,
    MANIFEST_FILE,
    QUARANTINE_FILE,
    SYSTEM_COLUMNS,
    RuleCount,
    _checksum,
)
from shuzhi.workspace import Workspace

__all__ = [
    "ChangedRow",
    "FieldChange",
    "JobEntry",
    "QuarantineRow",
    "QuarantineView",
    "VersionDiff",
    "VersionInfo",
    "diff",
    "export_quarantine",
    "get_version",
    "job_log",
    "latest_version",
    "list_versions",
    "quarantine",
    "read_version",
    "verify_version",
    "version_path",
    "version_rows",
]

RESOURCE = "资源 / resource"
VERSION = "版本 / version"
#: Excel's row limit (one row is the header)
XLSX_MAX_ROWS = 1_048_575


class VersionInfo(BaseModel):
    """One version of a resource, as the store records it."""

    resource: str
    number: int
    base_number: int | None
    mode: str
    published: bool
    #: the resource's current version
    current: bool
    hold_reason: str | None
    path: str
    source_name: str
    source_format: str
    source_hash: str
    source_size: int | None
    encoding: str | None
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    rows_flagged: int
    rows_total: int
    rows_added: int
    rows_updated: int
    rows_removed: int
    checksum: str
    columns: list[dict[str, Any]]
    quarantine_summary: dict[str, Any]
    catalog_revision: int
    loaded_by: str | None
    loaded_at: dt.datetime
    duration_s: float | None
    #: the quality gate at load (passed | held | failed | skipped; None before gates existed)
    quality_status: str | None = None
    #: the quality run of the load (its id, score 0–100 and level 优 良 中 差 劣), when it was evaluated
    quality_run_id: int | None = None
    quality_score: float | None = None
    quality_level: str | None = None
    #: the mapping the load used, with the column matches and the source header
    mapping: dict[str, Any] = {}
    #: when, by whom and why it was made current (at load, or later by ``publish_version``)
    published_at: dt.datetime | None = None
    published_by: str | None = None
    publish_note: str | None = None

    @property
    def field_columns(self) -> list[str]:
        system = {n for n, _ in SYSTEM_COLUMNS}
        return [str(c["name"]) for c in self.columns if c["name"] not in system]


def _scores(s: Any, versions: list[Any]) -> dict[int, tuple[float | None, str | None]]:
    """The score and level of the versions' quality runs, by run id (one query)."""
    from shuzhi.store import QualityRun

    ids = [v.quality_run_id for v in versions if v.quality_run_id is not None]
    if not ids:
        return {}
    rows = s.execute(
        sa.select(QualityRun.id, QualityRun.score, QualityRun.level).where(QualityRun.id.in_(ids))
    )
    return {int(i): (sc, lv) for i, sc, lv in rows}


def _info(
    code: str, v: Any, current: int | None, scores: dict[int, tuple[float | None, str | None]] | None = None
) -> VersionInfo:
    score, level = (scores or {}).get(v.quality_run_id, (None, None)) if v.quality_run_id else (None, None)
    return VersionInfo(
        quality_run_id=v.quality_run_id,
        quality_score=None if score is None else round(score, 2),
        quality_level=level,
        mapping=dict(v.mapping or {}),
        resource=code,
        number=v.number,
        base_number=v.base_number,
        mode=v.mode,
        published=bool(v.published),
        current=v.number == current,
        hold_reason=v.hold_reason,
        path=v.path,
        source_name=v.source_name,
        source_format=v.source_format,
        source_hash=v.source_hash,
        source_size=v.source_size,
        encoding=v.encoding,
        rows_in=v.rows_in,
        rows_loaded=v.rows_loaded,
        rows_quarantined=v.rows_quarantined,
        rows_flagged=v.rows_flagged or 0,
        rows_total=v.rows_total,
        rows_added=v.rows_added or 0,
        rows_updated=v.rows_updated or 0,
        rows_removed=v.rows_removed or 0,
        checksum=v.checksum,
        columns=list(v.columns or []),
        quarantine_summary=dict(v.quarantine_summary or {}),
        catalog_revision=v.catalog_revision,
        loaded_by=v.loaded_by,
        loaded_at=v.loaded_at,
        duration_s=v.duration_s,
        quality_status=v.quality_status,
        published_at=v.published_at,
        published_by=v.published_by,
        publish_note=v.publish_note,
    )


def _resource_row(s: Any, code: str) -> Any:
    from shuzhi.store import Resource

    row = s.execute(sa.select(Resource.id, Resource.current_version).where(Resource.code == code)).first()
    if row is None:
        raise errors.NotFound(RESOURCE, code)
    return row


def list_versions(ws: Workspace, resource: str) -> list[VersionInfo]:
    """Every committed version of ``resource``, oldest first (held ones too: ``published`` False)."""
    from shuzhi.store import ResourceVersion

    with ws.session() as s:
        r = _resource_row(s, resource)
        rows = s.execute(
            sa.select(ResourceVersion)
            .where(ResourceVersion.resource_id == r.id)
            .order_by(ResourceVersion.number)
        ).scalars()
        versions = list(rows)
        scores = _scores(s, versions)
        return [_info(resource, v, r.current_version, scores) for v in versions]


class JobEntry(BaseModel):
    """One entry of a resource's job log: a load (``full`` | ``append`` | ``upsert``, whether it
    succeeded, failed or is running) or a publication of a version by hand (``publish``)."""

    id: int
    mode: str
    status: str
    version: int | None
    #: the source file of a load; ``v<N>: <reason>`` for a publication
    source: str
    by: str | None
    started_at: dt.datetime
    finished_at: dt.datetime | None
    #: why a load failed (bilingual)
    error: str | None


def job_log(ws: Workspace, resource: str, *, limit: int = 100) -> list[JobEntry]:
    """Who loaded or published what, when, and how it ended, newest first: the store's job log,
    which keeps every publication of a version (the version record keeps the last one only) and
    the loads that failed and left no version."""
    from shuzhi.store import IngestJob

    with ws.session() as s:
        _resource_row(s, resource)
        rows = s.execute(
            sa.select(IngestJob)
            .where(IngestJob.resource_code == resource)
            .order_by(IngestJob.started_at.desc(), IngestJob.id.desc())
            .limit(limit)
        ).scalars()
        return [
            JobEntry(
                id=j.id,
                mode=j.mode,
                status=j.status,
                version=j.version_number,
                source=j.source_name,
                by=j.started_by,
                started_at=j.started_at,
                finished_at=j.finished_at,
                error=j.error,
            )
            for j in rows
        ]


def get_version(ws: Workspace, resource: str, number: int | None = None) -> VersionInfo:
    """Version ``number`` of ``resource``, or (None) its current version.

    :class:`~shuzhi.errors.NotFound` when there is no such version, or no current one yet.
    """
    from shuzhi.store import ResourceVersion

    with ws.session() as s:
        r = _resource_row(s, resource)
        wanted = r.current_version if number is None else number
        if wanted is None:
            raise errors.NotFound(VERSION, f"{resource} (尚无已发布的版本 / no published version yet)")
        v = s.execute(
            sa.select(ResourceVersion).where(
                ResourceVersion.resource_id == r.id, ResourceVersion.number == wanted
            )
        ).scalar_one_or_none()
        if v is None:
            raise errors.NotFound(VERSION, f"{resource} v{wanted}")
        return _info(resource, v, r.current_version, _scores(s, [v]))


def latest_version(ws: Workspace, resource: str) -> VersionInfo:
    """The version the last load made (published or held)."""
    versions = list_versions(ws, resource)
    if not versions:
        raise errors.NotFound(VERSION, f"{resource} (尚未加载 / never loaded)")
    return versions[-1]


def version_path(ws: Workspace, resource: str, number: int | None = None) -> Path:
    """The folder of the version's data files (``…/v<N>/data``): ``engine.register(name, path)``
    reads exactly the version's rows (its quarantine and manifest sit one level up)."""
    return ws.warehouse / get_version(ws, resource, number).path / DATA_DIR


def _data_glob(ws: Workspace, v: VersionInfo) -> str:
    """SQL: the list of the version's data files, for ``read_parquet`` (each checked present)."""
    return "[" + ", ".join(lit(str(f)) for f in _data_files(ws, v)) + "]"


def _data_files(ws: Workspace, v: VersionInfo) -> list[Path]:
    """The version's data files — those its manifest lists, every one of them there — or a
    :class:`~shuzhi.errors.DataError` naming what is missing (not DuckDB's "no files found", nor
    the rows of the files that are left as if they were all). Named relative to the warehouse."""
    folder = ws.warehouse / v.path / DATA_DIR
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    try:
        manifest = json.loads((ws.warehouse / v.path / MANIFEST_FILE).read_text(encoding="utf-8"))
        listed = [str(f["name"]).rsplit("/", 1)[-1] for f in manifest["files"]]
    except (OSError, ValueError, KeyError, TypeError):  # no manifest: what the folder holds
        listed = [f.name for f in files]
    missing = sorted(set(listed) - {f.name for f in files})
    if not listed or missing:
        named = "、".join(missing)
        raise errors.DataError(
            f"版本 v{v.number} 的数据文件缺失{('：' + named) if named else ''}；请用 shuzhi versions "
            f"{v.resource} --verify 核对，或从备份恢复 / data files of v{v.number} are missing"
            f"{(': ' + ', '.join(missing)) if missing else ''}; check with shuzhi versions {v.resource} "
            "--verify, or restore them from a backup",
            file=f"{v.path}/{DATA_DIR}",
        )
    return [folder / name for name in listed]


def read_version(ws: Workspace, resource: str, number: int | None = None, *, view: str) -> VersionInfo:
    """Register the DuckDB view ``view`` on ``ws.engine`` over the rows of the version (the
    current one by default) and return the version."""
    v = get_version(ws, resource, number)
    _data_files(ws, v)
    ws.engine.register(view, ws.warehouse / v.path / DATA_DIR)
    return v


def verify_version(ws: Workspace, resource: str, number: int | None = None) -> VersionInfo:
    """Check that the version's data files are all there and match the recorded checksum;
    :class:`~shuzhi.errors.DataError` if not."""
    v = get_version(ws, resource, number)
    folder = ws.warehouse / v.path / DATA_DIR
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        raise errors.DataError(
            f"版本 v{v.number} 没有数据文件 / v{v.number} has no data files", file=f"{v.path}/{DATA_DIR}"
        )
    actual = _checksum(files)
    if actual != v.checksum:
        raise errors.DataError(
            f"版本 v{v.number} 的数据文件已被改动：校验和为 {actual[:12]}…，应为 {v.checksum[:12]}… / "
            "the data "
            f"files of v{v.number} changed: checksum {actual[:12]}…, recorded {v.checksum[:12]}…",
            file=f"{v.path}/{DATA_DIR}",
        )
    return v


def version_rows(
    ws: Workspace, resource: str, number: int | None = None, *, limit: int = 100, offset: int = 0
) -> tuple[VersionInfo, list[dict[str, Any]]]:
    """Rows ``offset`` … ``offset + limit`` of the version, in file order."""
    v = get_version(ws, resource, number)
    table = ws.engine.fetch_arrow(
        f"SELECT * FROM read_parquet({_data_glob(ws, v)}) LIMIT {int(limit)} OFFSET {int(offset)}"
    )
    return v, table.to_pylist()


# -- diff ----------------------------------------------------------------------------------------


class FieldChange(BaseModel):
    field: str
    old: str | None
    new: str | None


class ChangedRow(BaseModel):
    key: dict[str, Any]
    changes: list[FieldChange]


class VersionDiff(BaseModel):
    """What changed from one version to another, by key."""

    resource: str
    from_version: int
    to_version: int
    #: the key fields compared by (empty: rows are compared whole)
    keys: list[str]
    #: the fields compared (those both versions have)
    fields: list[str]
    #: the Chinese labels of the compared fields, from the catalog (a field it no longer lists
    #: has none)
    labels: dict[str, str] = {}
    added: int
    removed: int
    changed: int
    unchanged: int
    #: changed rows by field
    changed_by_field: dict[str, int]
    added_sample: list[dict[str, Any]]
    removed_sample: list[dict[str, Any]]
    changed_sample: list[ChangedRow]
    notes: list[str]


_DECIMAL_SCALE = re.compile(r"DECIMAL\(\d+,\s*(\d+)\)")


def _common_type(a: str | None, b: str | None) -> str:
    """The type two versions' columns of one field are compared in: the exact decimal of the
    larger scale, a double for other numbers, else text."""
    scales = [_DECIMAL_SCALE.fullmatch(t or "") for t in (a, b)]
    if all(scales):
        return f"DECIMAL(38, {max(int(m.group(1)) for m in scales if m)})"
    if all(
        t is not None and (t in ("BIGINT", "INTEGER", "DOUBLE") or t.startswith("DECIMAL")) for t in (a, b)
    ):
        return "DOUBLE"
    return "VARCHAR"


def diff(ws: Workspace, resource: str, v1: int, v2: int, *, sample: int = 10) -> VersionDiff:
    """Rows added, removed and changed from version ``v1`` to ``v2`` of ``resource``, matched by the
    resource's key fields, with counts per field and up to ``sample`` examples of each.

    Without key fields (or when a version lacks them), rows are compared whole: a changed row
    counts as one removed and one added.
    """
    from shuzhi.catalog import get_resource

    a, b = get_version(ws, resource, v1), get_version(ws, resource, v2)
    spec = get_resource(ws, resource).spec
    types_a = {str(c["name"]): str(c["type"]) for c in a.columns}
    types_b = {str(c["name"]): str(c["type"]) for c in b.columns}
    fields = [n for n in b.field_columns if n in types_a]
    labels = {f.name: f.label for f in spec.fields if f.name in fields and f.label}
    notes: list[str] = []
    gone = [n for n in a.field_columns if n not in types_b]
    new = [n for n in b.field_columns if n not in types_a]
    if gone:
        notes.append(f"v{v2} 没有的列（不比较）/ columns v{v2} lacks (not compared): {', '.join(gone)}")
    if new:
        notes.append(f"v{v1} 没有的列（不比较）/ columns v{v1} lacks (not compared): {', '.join(new)}")
    keys = [f.name for f in spec.key_fields if f.name in fields]
    if len(keys) != len(spec.key_fields):
        keys = []
    if not spec.key_fields:
        notes.append("资源没有主键，按整行比较 / the resource has no key: rows are compared whole")
    elif not keys:
        notes.append(
            "两个版本不都有主键列，按整行比较 / a version lacks the key columns: rows are compared whole"
        )

    def col(n: str, side: str, types: dict[str, str]) -> str:
        # columns whose type changed are compared as numbers when both are (12.345 and 12.3450
        # are one number), else as text
        if types_a.get(n) != types_b.get(n):
            return f"CAST({side}.{ident(n)} AS {_common_type(types_a.get(n), types_b.get(n))})"
        return f"{side}.{ident(n)}"

    sel_a = ", ".join(f"{col(n, 'p', types_a)} AS {ident(n)}" for n in fields)
    sel_b = ", ".join(f"{col(n, 'p', types_b)} AS {ident(n)}" for n in fields)
    rel_a = f"(SELECT {sel_a} FROM read_parquet({_data_glob(ws, a)}) AS p)"
    rel_b = f"(SELECT {sel_b} FROM read_parquet({_data_glob(ws, b)}) AS p)"
    eng = ws.engine
    n = max(0, int(sample))
    if not keys:
        cols = ", ".join(ident(f) for f in fields)
        added_q = f"SELECT {cols} FROM {rel_b} EXCEPT ALL SELECT {cols} FROM {rel_a}"
        removed_q = f"SELECT {cols} FROM {rel_a} EXCEPT ALL SELECT {cols} FROM {rel_b}"
        added = int(eng.fetch_rows(f"SELECT count(*) FROM ({added_q})")[0][0])
        removed = int(eng.fetch_rows(f"SELECT count(*) FROM ({removed_q})")[0][0])
        total_b = int(eng.fetch_rows(f"SELECT count(*) FROM {rel_b}")[0][0])
        return VersionDiff(
            resource=resource,
            from_version=v1,
            to_version=v2,
            keys=[],
            fields=fields,
            labels=labels,
            added=added,
            removed=removed,
            changed=0,
            unchanged=total_b - added,
            changed_by_field={},
            added_sample=eng.fetch_arrow(f"{added_q} LIMIT {n}").to_pylist() if n else [],
            removed_sample=eng.fetch_arrow(f"{removed_q} LIMIT {n}").to_pylist() if n else [],
            changed_sample=[],
            notes=notes,
        )
    others = [f for f in fields if f not in keys]
    on = " AND ".join(f"a.{ident(k)} = b.{ident(k)}" for k in keys)
    pairs = (
        f"FROM (SELECT *, true AS _in FROM {rel_a}) AS a FULL OUTER JOIN "
        f"(SELECT *, true AS _in FROM {rel_b}) AS b ON {on}"
    )
    differs = {f: f"(a.{ident(f)} IS DISTINCT FROM b.{ident(f)})" for f in others}
    any_diff = " OR ".join(differs.values()) or "false"
    both = "a._in AND b._in"
    counts = eng.fetch_rows(
        "SELECT count(*) FILTER (WHERE a._in IS NULL), count(*) FILTER (WHERE b._in IS NULL), "
        f"count(*) FILTER (WHERE {both} AND ({any_diff})), "
        f"count(*) FILTER (WHERE {both} AND NOT ({any_diff}))"
        + "".join(f", count(*) FILTER (WHERE {both} AND {d})" for d in differs.values())
        + f" {pairs}"
    )[0]
    added, removed, changed, unchanged = (int(x) for x in counts[:4])
    by_field = {f: int(c) for f, c in zip(others, counts[4:], strict=True) if int(c)}
    added_sample: list[dict[str, Any]] = []
    removed_sample: list[dict[str, Any]] = []
    changed_sample: list[ChangedRow] = []
    if n:
        added_sample = eng.fetch_arrow(
            f"SELECT b.* EXCLUDE (_in) {pairs} WHERE a._in IS NULL "
            f"ORDER BY {', '.join('b.' + ident(k) for k in keys)} "
            f"LIMIT {n}"
        ).to_pylist()
        removed_sample = eng.fetch_arrow(
            f"SELECT a.* EXCLUDE (_in) {pairs} WHERE b._in IS NULL "
            f"ORDER BY {', '.join('a.' + ident(k) for k in keys)} "
            f"LIMIT {n}"
        ).to_pylist()
        if others:
            items = ", ".join(
                f"CASE WHEN {d} THEN {{'field': {lit(f)}, 'old': CAST(a.{ident(f)} AS VARCHAR), "
                f"'new': CAST(b.{ident(f)} AS VARCHAR)}} END"
                for f, d in differs.items()
            )
            key_cols = ", ".join(f"a.{ident(k)} AS {ident(k)}" for k in keys)
            rows = eng.fetch_arrow(
                f"SELECT {key_cols}, list_filter([{items}], lambda sz_x: sz_x IS NOT NULL) AS _changes "
                f"{pairs} WHERE {both} AND ({any_diff}) ORDER BY {', '.join('a.' + ident(k) for k in keys)} "
                f"LIMIT {n}"
            ).to_pylist()
            changed_sample = [
                ChangedRow(
                    key={k: r[k] for k in keys},
                    changes=[FieldChange(**c) for c in r["_changes"]],
                )
                for r in rows
            ]
    return VersionDiff(
        resource=resource,
        from_version=v1,
        to_version=v2,
        keys=keys,
        fields=fields,
        labels=labels,
        added=added,
        removed=removed,
        changed=changed,
        unchanged=unchanged,
        changed_by_field=by_field,
        added_sample=added_sample,
        removed_sample=removed_sample,
        changed_sample=changed_sample,
        notes=notes,
    )


# -- quarantine ----------------------------------------------------------------------------------


class QuarantineRow(BaseModel):
    """A quarantined row: where it was, why, and every value as the department wrote it."""

    row: int
    source: str
    rules: list[str]
    errors: list[dict[str, Any]]
    values: dict[str, str | None]


class QuarantineView(BaseModel):
    resource: str
    version: int
    total: int
    #: rows matching ``rule`` (all rows without one)
    matching: int
    by_rule: list[RuleCount]
    #: the source columns, in source order
    columns: list[str]
    rows: list[QuarantineRow]


def _source_columns(v: VersionInfo, ws: Workspace) -> list[tuple[str, str]]:
    """(original column, name in quarantine.parquet) of the version's source."""
    from shuzhi.store import ResourceVersion

    with ws.session() as s:
        mapping = s.execute(
            sa.select(ResourceVersion.mapping).where(
                ResourceVersion.path == v.path, ResourceVersion.number == v.number
            )
        ).scalar_one()
    cols = [(str(c["column"]), str(c["name"])) for c in (mapping or {}).get("source_columns", [])]
    # rows corrected in an earlier export and quarantined again: that export's own columns
    # (行号, 问题, 规则) are not the source's, this view and export have their own; its 行号, the
    # row in the department's original file, is kept as 原行号 (the first one, over rounds)
    names = {c for c, _ in cols}
    for lang, headers in _EXTRA_HEADERS.items():
        if sum(h in names for h in headers) >= 2:
            row_h, original = headers[0], _ORIGINAL_ROW[lang]
            keep = not names & set(_ORIGINAL_ROW.values())  # the first file's line, in either language
            cols = [
                (original if c == row_h else c, n)
                for c, n in cols
                if c not in headers or (c == row_h and keep)
            ]
    return cols


def _quarantine_file(ws: Workspace, v: VersionInfo) -> Path:
    path = ws.warehouse / v.path / QUARANTINE_FILE
    if not path.is_file():
        raise errors.NotFound("隔离区文件 / quarantine file", str(path))
    return path


def _pick(ws: Workspace, resource: str, number: int | None) -> VersionInfo:
    """Version ``number``, or the last load's (published or held: its quarantine is what the
    department needs to see)."""
    return latest_version(ws, resource) if number is None else get_version(ws, resource, number)


def _known_rule(spec: ResourceSpec, v: VersionInfo, rule: str | None) -> str | None:
    """The rule to filter by: a field's Chinese label (性别) reads as its name (sex); a ``rule``
    that names no field of the resource, no reason a load reports and no rule of this
    quarantine is refused — a typo must not read as "no such rows"."""
    if not rule:
        return rule
    from shuzhi.ingest._cleanse import reason_rows

    fields = {f.name for f in spec.fields}
    rule = next((f.name for f in spec.fields if f.label == rule), rule)
    codes = {c for c, _, _ in reason_rows()}
    here = set(v.quarantine_summary or {})
    head, _, tail = rule.partition(".")
    if rule in fields or rule in codes or (head in fields and tail in codes):
        return rule
    if any(r == rule or r.startswith(rule + ".") or r.endswith("." + rule) for r in here):
        return rule  # what the filter matches (_rule_filter)
    zh, en = "、".join(sorted(here)) or "（无）", ", ".join(sorted(here)) or "(none)"
    raise errors.ValidationError(
        {
            "rule": [
                f"没有这个规则、信息项或原因：{rule!r}；此版本隔离区的规则：{zh} / no rule, field or "
                f"reason {rule!r}; the rules of this quarantine: {en}"
            ]
        }
    )


def _rule_filter(rule: str | None) -> str:
    if not rule:
        return ""
    # a whole rule (name.required), a field (name) or a reason code (idcard.check_mismatch), among
    # the rules that sent the row to quarantine and the row's other problems (a value that alone
    # would only have been flagged: the department corrects the row as a whole)
    r = lit(rule)
    matches = f"sz_r = {r} OR starts_with(sz_r, {r} || '.') OR ends_with(sz_r, '.' || {r})"
    return (
        f" WHERE len(list_filter(_rules, lambda sz_r: {matches})) > 0 "
        f"OR len(list_filter(list_transform(_errors, lambda sz_e: sz_e.rule), lambda sz_r: {matches})) > 0"
    )


def quarantine(
    ws: Workspace,
    resource: str,
    number: int | None = None,
    *,
    limit: int | None = 20,
    offset: int = 0,
    rule: str | None = None,
) -> QuarantineView:
    """The quarantine of version ``number`` (default: the last load): counts by rule and up to
    ``limit`` rows (all with None) with their row numbers, reasons and original values.
    ``rule`` keeps the rows that broke a rule (``name.required``), any rule of a field
    (``name``) or a reason (``idcard.check_mismatch``) — whether it sent the row to quarantine or
    is one of the row's other problems (listed in its errors)."""
    from shuzhi.catalog import get_resource

    v = _pick(ws, resource, number)
    spec = get_resource(ws, resource).spec
    rule = _known_rule(spec, v, rule)
    path = _quarantine_file(ws, v)
    cols = _source_columns(v, ws)
    where = _rule_filter(rule)
    eng = ws.engine
    matching = int(eng.fetch_rows(f"SELECT count(*) FROM read_parquet({lit(str(path))}){where}")[0][0])
    page = "" if limit is None else f" LIMIT {int(limit)}"
    table = eng.fetch_arrow(
        f"SELECT * FROM read_parquet({lit(str(path))}){where} ORDER BY _row{page} OFFSET {int(offset)}"
    )
    rows = [
        QuarantineRow(
            row=r["_row"],
            source=r["_source"],
            rules=list(r["_rules"] or []),
            errors=list(r["_errors"] or []),
            values={orig: r.get(name) for orig, name in cols},
        )
        for r in table.to_pylist()
    ]
    ordered = sorted(v.quarantine_summary.items(), key=lambda kv: (-int(kv[1]), kv[0]))
    examples = {
        str(r[0]): (str(r[1]), str(r[2]))
        for r in eng.fetch_rows(
            "SELECT e.rule, min(e.reason_zh), min(e.reason_en) FROM (SELECT unnest(_errors) AS e "
            f"FROM read_parquet({lit(str(path))})) GROUP BY e.rule"
        )
        if r[1] is not None
    }
    by_rule = [RuleCount(**d) for d in rule_counts(ordered, spec, examples)]
    return QuarantineView(
        resource=resource,
        version=v.number,
        total=v.rows_quarantined,
        matching=matching,
        by_rule=by_rule,
        columns=[c for c, _ in cols],
        rows=rows,
    )


_EXTRA_HEADERS = {
    "zh": ("行号", "问题", "规则"),
    "en": ("row", "problems", "rules"),
}
#: the row in the department's original file of a row sent back in an export and quarantined again
_ORIGINAL_ROW = {"zh": "原行号", "en": "original row"}


def _export_sql(path: Path, cols: list[tuple[str, str]], where: str, lang: Literal["zh", "en"]) -> str:
    row_h, prob_h, rule_h = _EXTRA_HEADERS[lang]
    taken = {c for c, _ in cols}
    while row_h in taken or prob_h in taken or rule_h in taken:
        row_h, prob_h, rule_h = f"_{row_h}", f"_{prob_h}", f"_{rule_h}"
    reason = "reason_zh" if lang == "zh" else "reason_en"
    sep, colon = ("；", "：") if lang == "zh" else ("; ", ": ")
    problems = (
        f"array_to_string(list_transform(_errors, lambda sz_e: coalesce(sz_e.column || {lit(colon)}, '') || "
        f"coalesce(sz_e.{reason}, sz_e.rule)), {lit(sep)})"
    )
    # 原行号 / original row in the export's language, whichever the source's export used
    shown = [(_ORIGINAL_ROW[lang] if orig in _ORIGINAL_ROW.values() else orig, name) for orig, name in cols]
    originals = "".join(f", {ident(name)} AS {ident(orig)}" for orig, name in shown)
    return (
        f"SELECT _row AS {ident(row_h)}, {problems} AS {ident(prob_h)}{originals}, "
        f"array_to_string(_rules, ', ') AS {ident(rule_h)} "
        f"FROM read_parquet({lit(str(path))}){where} ORDER BY _row"
    )


def export_quarantine(
    ws: Workspace,
    resource: str,
    number: int | None,
    path: str | os.PathLike[str],
    *,
    rule: str | None = None,
    lang: Literal["zh", "en"] = "zh",
) -> int:
    """Write the quarantine of version ``number`` (default: the last load) to ``path`` — ``.csv``
    (UTF-8 with BOM, so that Excel opens it) or ``.xlsx`` — for the department to correct and
    send again: the row number, the problems, then every source column under its original name,
    then the rules. Returns the number of rows written."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise errors.ValidationError(
            {
                str(target): [
                    f"导出文件须为 .csv 或 .xlsx / export to a .csv or .xlsx file, not {target.name!r}"
                ]
            }
        )
    from shuzhi.catalog import get_resource

    v = _pick(ws, resource, number)
    rule = _known_rule(get_resource(ws, resource).spec, v, rule)
    qfile = _quarantine_file(ws, v)
    sql = _export_sql(qfile, _source_columns(v, ws), _rule_filter(rule), lang)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        if suffix == ".csv":
            n = _write_csv(ws, sql, tmp)
        else:
            n = _write_xlsx(ws, sql, tmp, sheet=f"{resource} v{v.number}")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return n


def _write_csv(ws: Workspace, sql: str, target: Path) -> int:
    body = target.with_name(target.name + ".body")
    try:
        ws.engine.execute(f"COPY ({sql}) TO {lit(str(body))} (FORMAT csv, HEADER true)")
        n = int(ws.engine.fetch_rows(f"SELECT count(*) FROM ({sql})")[0][0])
        with target.open("wb") as out, body.open("rb") as src:
            out.write(b"\xef\xbb\xbf")
            while chunk := src.read(1 << 20):
                out.write(chunk)
    finally:
        if body.exists():
            body.unlink()
    return n


def _write_xlsx(ws: Workspace, sql: str, target: Path, *, sheet: str) -> int:
    import importlib

    openpyxl = importlib.import_module("openpyxl")  # no type stubs
    Workbook = openpyxl.Workbook
    WriteOnlyCell = openpyxl.cell.WriteOnlyCell

    n = int(ws.engine.fetch_rows(f"SELECT count(*) FROM ({sql})")[0][0])
    if n > XLSX_MAX_ROWS:
        raise errors.ValidationError(
            {
                "path": [
                    f"隔离区有 {n} 行，超过 Excel 的行数上限，请导出为 .csv / "
                    f"{n} rows exceed Excel's limit: export to .csv"
                ]
            }
        )
    table = ws.engine.fetch_arrow(sql)
    wb = Workbook(write_only=True)
    ws_ = wb.create_sheet(title=sheet[:31].replace("/", "-"))
    texts = [pa.types.is_string(t) or pa.types.is_large_string(t) for t in table.schema.types]
    for i, is_text in enumerate(texts, 1):
        if is_text:  # rows the clerk adds below keep what is typed as text too
            ws_.column_dimensions[openpyxl.utils.get_column_letter(i)].number_format = "@"
    ws_.append(table.column_names)

    def text(v: Any) -> Any:
        # the cells are formatted as text (@): what the clerk types to correct a value stays as
        # typed — in a General cell, Excel turns an 18-digit identity number into a number and
        # keeps 15 digits (140502196508018948 → 140502196508018000), and 007 into 7; and openpyxl
        # would make a text starting with = a formula
        cell = WriteOnlyCell(ws_, value=v)
        cell.number_format = "@"
        if isinstance(v, str):
            cell.data_type = "s"
        return cell

    # openpyxl writes cell by cell; Excel files are for people, so they are small (≤ 1M rows)
    for batch in table.to_batches(10_000):
        for record in zip(*(c.to_pylist() for c in batch.columns), strict=True):
            ws_.append([text(v) if is_text else v for v, is_text in zip(record, texts, strict=True)])
    wb.save(target)
    return n
