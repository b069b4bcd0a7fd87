"""``ingest()``: one load of a department's file into a new immutable version of a resource.

::

    result = ingest(ws, "JC-MZ-DB", "低保名单.csv", mapping="mappings/dibao.yaml", mode="upsert")
    result.version, result.rows_loaded, result.rows_quarantined

The steps, and what a crash at each leaves behind:

1. validate the mapping against the catalog (nothing read yet);
2. take the resource's lock file (a second load of the same resource fails fast with
   :class:`~shuzhi.errors.Conflict`), sweep what a crashed load left (``*.partial`` folders,
   ``v<N>`` folders without a version row, jobs left ``running`` by a dead process);
3. read the source into DuckDB (readers), match its header to the fields;
4. cleanse in SQL (:mod:`shuzhi.ingest._cleanse`), then the key checks (duplicates in the file,
   keys already present for ``append``);
5. write ``warehouse/<code>/.v<N>.<uuid>.partial/`` — ``data/part-*.parquet``,
   ``quarantine.parquet``, ``manifest.json`` —, fsync, rename it to ``v<N>/``;
6. evaluate the data quality of ``v<N>/`` (:func:`shuzhi.quality.run_after_ingest`, every rule
   in one scan) and apply the resource's gate (``quality: min_score / must_pass``);
7. in one store transaction, insert the version row with the quality run and, unless the gate
   (or a load whose every row was quarantined) holds it back, move the resource's
   ``current_version`` from the version the load started from to N (if another load moved it
   meanwhile, the transaction is refused and the folder removed). A held version is kept —
   readable, with its quality results — with ``published = false`` and the bilingual
   ``hold_reason``; :func:`publish_version` makes it current later, recording who and why.

Until step 7 commits, readers (which go through the store's pointer, never "the highest
folder") see the previous version. ``SHUZHI_FAULT=ingest.read|ingest.write|ingest.quality|
ingest.commit`` makes the process kill itself at that step: a test hook for the crash tests (see
docs/ingest.md).

The quality policy (docs/ingest.md, "Quality gate"): if evaluating raises, the load is not lost:
the failure is recorded as a run with status ``failed`` and the version is published unless the
resource declares a gate, in which case it is held (a gate that could not be checked is not
passed). ``quality=False`` (``shuzhi ingest --no-quality``) skips the evaluation under the same
policy: published without a gate, held with one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel

from shuzhi import errors
from shuzhi.catalog.spec import ResourceSpec
from shuzhi.engine._files import fsync, fsync_tree
from shuzhi.ingest._cleanse import (
    ISSUE_TYPE,
    Cleanser,
    ColumnMatch,
    ident,
    lit,
    plan_fields,
    render_sql,
    rule_counts,
    validate_mapping,
)
from shuzhi.ingest.mapping import MappingSpec, SourceOptions
from shuzhi.workspace import Workspace

if TYPE_CHECKING:
    from shuzhi.quality import QualityRun

__all__ = [
    "FAULT_ENV",
    "MODES",
    "LoadResult",
    "Mode",
    "Progress",
    "PublishResult",
    "RuleCount",
    "SourceInfo",
    "ingest",
    "publish_version",
]

log = logging.getLogger("shuzhi.ingest")

Mode = Literal["full", "append", "upsert"]
MODES: tuple[str, ...] = ("full", "append", "upsert")
#: ``progress(stage, done, total)``: stage is read | cleanse | write | commit
Progress = Callable[[str, int, int | None], None]
#: the test hook: a point name (or several, comma-separated) at which the process kills itself
FAULT_ENV = "SHUZHI_FAULT"

#: the columns every data row of a version carries besides its fields
SYSTEM_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_row", "BIGINT"),
    ("_source", "VARCHAR"),
    ("_loaded_in", "INTEGER"),
    ("_issues", ISSUE_TYPE),
)
DATA_DIR = "data"
QUARANTINE_FILE = "quarantine.parquet"
MANIFEST_FILE = "manifest.json"
_VERSION_DIR = re.compile(r"^v(\d+)$")


def _fault(point: str) -> None:
    """Kill this process at ``point`` when ``$SHUZHI_FAULT`` names it (a no-op otherwise)."""
    wanted = os.environ.get(FAULT_ENV)
    if wanted and point in {p.strip() for p in wanted.split(",")}:
        log.warning("fault injection: killing the process at %s", point)
        os.kill(os.getpid(), signal.SIGKILL)


# -- the report ----------------------------------------------------------------------------------


class RuleCount(BaseModel):
    """Rows that broke one rule, with the rule's reason in both languages."""

    rule: str
    field: str | None
    #: the field's Chinese label (none for a rule of the whole row, such as key.duplicate)
    label: str | None = None
    code: str
    count: int
    reason_zh: str
    reason_en: str


class SourceInfo(BaseModel):
    """What was read."""

    file: str
    name: str
    format: str
    encoding: str | None = None
    sha256: str
    size: int | None = None
    header_row: int | None = None
    delimiter: str | None = None
    sheet: str | None = None


class LoadResult(BaseModel):
    """The report of one load (``shuzhi ingest --json`` prints it)."""

    resource: str
    version: int
    base_version: int | None
    mode: str
    #: False when the version was kept but not made current (``hold_reason`` says why)
    published: bool
    hold_reason: str | None = None
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    rows_flagged: int
    rows_total: int
    rows_added: int
    rows_updated: int
    rows_removed: int
    #: quarantined rows by rule
    quarantine: list[RuleCount]
    #: issues of kept rows by rule (flagged or emptied values)
    issues: list[RuleCount]
    columns: list[ColumnMatch]
    unmatched_columns: list[str]
    notes: list[str]
    source: SourceInfo
    checksum: str
    path: str
    loaded_by: str | None
    loaded_at: dt.datetime
    duration_s: float
    #: the quality gate's verdict: passed | held | failed (the evaluation failed) | skipped
    #: (``quality=False``). Only the gate's: whether the version became current is ``published``
    #: (a load is also held when every row was quarantined)
    quality_status: str | None = None
    #: whether the resource declares a gate (``min_score``, must-pass rules); without one, passed
    #: means only that the version is readable
    quality_gate: bool = False
    #: the new version's quality score (0–100) and level (优 良 中 差 劣), when it was evaluated
    quality_score: float | None = None
    quality_level: str | None = None


class PublishResult(BaseModel):
    """What :func:`publish_version` did (``shuzhi publish --json`` prints it)."""

    resource: str
    version: int
    #: the version that was current before (None: none was)
    previous: int | None
    #: the reason it had been held (kept for the record)
    hold_reason: str | None
    published_by: str | None
    published_at: dt.datetime
    note: str
    warnings: list[str]


#: a full load whose snapshot would have fewer than this share of the current version's rows
#: (and at least SHRINK_MIN_ROWS fewer) is kept but not published: usually a partial file, or
#: corrections loaded without ``--mode upsert``; ``publish`` makes it current when it is meant
SHRINK_SHARE = 0.5
SHRINK_MIN_ROWS = 10


def _shrink_hold(mode: str, current: int | None, previous_rows: int | None, rows_total: int) -> str | None:
    """The hold reason of a full load that would leave less than half of the current version."""
    if mode != "full" or current is None or not previous_rows:
        return None
    gone = previous_rows - rows_total
    if gone < SHRINK_MIN_ROWS or rows_total >= SHRINK_SHARE * previous_rows:
        return None
    return (
        f"全量加载后只剩 {rows_total:,} 行，当前版本 v{current} 有 {previous_rows:,} 行，将少 {gone:,} 行"
        f"（{gone / previous_rows:.0%}），版本未发布：如只是更正或新增部分数据，请用 upsert 或 append 方式"
        f"加载；如确是新的全量数据，请用 publish 发布 / this full load leaves {rows_total:,} rows where "
        f"current version v{current} has {previous_rows:,} ({gone / previous_rows:.0%} fewer), so it is "
        "kept but not made current: load corrections or additions with mode upsert or append; if it "
        "is the whole new snapshot, publish it"
    )


def _counts(
    rows: Sequence[tuple[Any, Any]],
    spec: ResourceSpec | None,
    examples: Mapping[str, tuple[str, str]] | None = None,
) -> list[RuleCount]:
    return [RuleCount(**d) for d in rule_counts(rows, spec, examples)]


# -- the entry point -------------------------------------------------------------------------------


def ingest(
    ws: Workspace,
    resource: str,
    source: str | os.PathLike[str],
    *,
    mapping: MappingSpec | str | os.PathLike[str] | None = None,
    mode: Mode = "full",
    loaded_by: str | None = None,
    progress: Progress | None = None,
    quality: bool = True,
    source_name: str | None = None,
    mapping_name: str | None = None,
) -> LoadResult:
    """Load ``source`` into a new version of ``resource``.

    ``mode``: ``full`` (the file is the whole new snapshot), ``append`` (its rows are added;
    keys already present are quarantined) or ``upsert`` (rows replace those with the same key,
    new keys are added; needs key fields). ``mapping``: a mapping file or :class:`MappingSpec`;
    without one, source columns are matched to fields by name or Chinese label. ``quality``:
    evaluate the new version and apply the resource's quality gate before publishing it
    (``False`` skips both; a resource that declares a gate then keeps the version held).
    ``source_name``: how errors, the version's record and the quarantine name the source
    (default: ``source`` as given) — the HTTP API passes an uploaded file's own name, not the
    path of the server's temporary copy. ``mapping_name``: the file a :class:`MappingSpec` was
    read from, for the version's record (the API passes an uploaded mapping's name).

    Raises :class:`~shuzhi.errors.ValidationError` for a mapping that does not fit the catalog,
    :class:`~shuzhi.errors.DataError` (naming file, row and column) for unreadable or unusable
    input, :class:`~shuzhi.errors.NotFound` for an unknown resource or missing file,
    :class:`~shuzhi.errors.Conflict` when another load of the resource is running. On any error
    the current version is unchanged.
    """
    from shuzhi.catalog import get_resource

    started = time.monotonic()
    if mode not in MODES:
        raise errors.ValidationError(
            {"mode": [f"未知的加载方式 / unknown mode {mode!r}; 可选 / choose: {', '.join(MODES)}"]}
        )
    entry = get_resource(ws, resource)
    if entry.retired:
        raise errors.Conflict(f"资源已撤销，不能加载 / resource {resource} is retired: restore it first")
    spec = entry.spec
    mspec, mapping_file = _mapping(mapping, spec)
    mapping_file = mapping_file or (mapping_name if mspec is not None else None)
    if mode == "upsert" and not spec.key_fields:
        raise errors.ValidationError(
            {
                "mode": [
                    f"资源 {resource} 没有主键信息项，不能用 upsert；请用 full 或 append / "
                    f"resource {resource} "
                    "declares no key field: upsert needs one (use full or append)"
                ]
            }
        )
    text = os.fspath(source)
    path = Path(text).expanduser()
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text) and not path.is_file():
        if path.is_dir():
            raise errors.DataError("这是文件夹，不是文件 / this is a folder, not a file", file=text)
        from shuzhi.store import mask_passwords

        # a mistyped database URL (postgresql:/user:secret@…) is shown without its password
        raise errors.NotFound("文件 / file", mask_passwords(text))
    who = loaded_by or _whoami()
    with _ResourceLock(ws, spec.code):
        _sweep(ws, spec.code)
        job = _start_job(ws, spec.code, mode, source_name or text, who)
        load = _Load(
            ws, spec, entry.revision, mspec, mapping_file, text, mode, who, progress, quality, source_name
        )
        try:
            result = load.run(started)
        except BaseException as e:
            _end_job(ws, job, "failed", error=e)
            raise
        finally:
            load.cleanup()
        _end_job(ws, job, "succeeded", version=result.version)
    if result.published and quality:
        _refresh_dependents(ws, result)
    return result


def _refresh_dependents(ws: Workspace, result: LoadResult) -> None:
    """Re-evaluate resources whose rules could not run against this one before it had a current
    version (:func:`shuzhi.quality._run.refresh_dependents`); a failure is logged, never raised:
    the load is done."""
    from shuzhi.quality._run import refresh_dependents

    try:
        runs = refresh_dependents(ws, result.resource, by=result.loaded_by)
    except Exception:
        log.exception("could not re-evaluate the resources that refer to %s", result.resource)
        return
    if runs:
        # each with its score before and after: the dependent's scorecard changes at this load
        def moved(before: float | None, after: float | None) -> str:
            shown = ["—" if x is None else f"{x:.1f}" for x in (before, after)]
            return f"{shown[0]} → {shown[1]}"

        zh = "，".join(f"{r.resource} 得分 {moved(b, r.score)}" for r, b in runs)
        en = ", ".join(f"{r.resource} score {moved(b, r.score)}" for r, b in runs)
        result.notes.append(
            f"已重新评估引用本资源的资源（其跨资源规则此前无法检查）：{zh} / re-evaluated the "
            f"resources that refer to this one (their cross-resource rules could not run before): {en}"
        )


def publish_version(
    ws: Workspace, resource: str, number: int, *, reason: str, by: str | None = None
) -> PublishResult:
    """Make version ``number`` of ``resource`` current: a version held back (by its quality gate,
    or because every row was quarantined), or an earlier one (a rollback), once someone decided
    so. ``reason`` is required; it is recorded on the version with who and when
    (``published_by``, ``published_at``, ``publish_note``; the ``hold_reason`` is kept), and in
    the job log (an ``ingest_jobs`` row with mode ``publish``). The version's files are checked
    against their checksum first. Runs under the resource's lock, like a load.

    Raises :class:`~shuzhi.errors.ValidationError` without a reason,
    :class:`~shuzhi.errors.NotFound` for an unknown resource or version,
    :class:`~shuzhi.errors.Conflict` when it is already current, the resource is retired or a load
    is running, :class:`~shuzhi.errors.DataError` when its files changed or are missing.
    """
    from shuzhi.catalog import get_resource
    from shuzhi.ingest._versions import verify_version
    from shuzhi.store import IngestJob, Resource, ResourceVersion

    note = (reason or "").strip()
    if not note:
        raise errors.ValidationError(
            {"reason": ["发布暂缓的版本须说明理由 / publishing a held version needs a reason"]}
        )
    entry = get_resource(ws, resource)
    if entry.retired:
        raise errors.Conflict(f"资源已撤销 / resource {resource} is retired: restore it first")
    code = entry.spec.code
    who = by or _whoami()
    with _ResourceLock(ws, code):
        with ws.session() as s:
            res = s.execute(sa.select(Resource).where(Resource.code == code)).scalar_one()
            v = s.execute(
                sa.select(ResourceVersion).where(
                    ResourceVersion.resource_id == res.id, ResourceVersion.number == number
                )
            ).scalar_one_or_none()
            if v is None:
                raise errors.NotFound("版本 / version", f"{code} v{number}")
            if res.current_version == number:
                raise errors.Conflict(f"{code} v{number} 已是当前版本 / is already the current version")
            previous = res.current_version
        verify_version(ws, code, number)  # every file there, checksum as recorded
        warnings: list[str] = []
        if previous is not None and number < previous:
            warnings.append(
                f"v{number} 早于当前的 v{previous}：这是回退 / v{number} is older than the current "
                f"v{previous}: this rolls back"
            )
        if (
            v.base_number is not None
            and previous is not None
            and v.base_number < previous < number  # a version made current after v's base: not in v
            and v.mode in ("append", "upsert")
        ):
            warnings.append(
                f"v{number} 是在 v{v.base_number} 的基础上以 {v.mode} 方式加载的，当前版本为 "
                f"v{previous}：两者之间的变更不在 v{number} 中 / v{number} was an {v.mode} onto "
                f"v{v.base_number} but the current version is v{previous}: changes in between are not "
                f"in v{number}"
            )
        if v.rows_total == 0:
            warnings.append(f"v{number} 没有数据行 / v{number} has no rows")
        now = dt.datetime.now(dt.UTC)
        with ws.session() as s:
            moved = s.connection().execute(
                sa.update(Resource)
                .where(
                    Resource.code == code,
                    Resource.current_version.is_(None)
                    if previous is None
                    else Resource.current_version == previous,
                )
                .values(current_version=number, updated_at=Resource.updated_at)
            )
            if moved.rowcount != 1:  # pragma: no cover - we hold the lock
                raise errors.Conflict(
                    f"资源 {code} 的当前版本刚被改变 / the current version of {code} just changed"
                )
            row = s.execute(
                sa.select(ResourceVersion)
                .join(Resource, Resource.id == ResourceVersion.resource_id)
                .where(Resource.code == code, ResourceVersion.number == number)
            ).scalar_one()
            row.published = True
            row.published_at = now
            row.published_by = (who or None) and who[:100]
            row.publish_note = note
            s.add(
                IngestJob(
                    resource_code=code,
                    status="succeeded",
                    mode="publish",
                    source_name=f"v{number}: {note}",
                    version_number=number,
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    started_by=(who or None) and who[:100],
                    started_at=now,
                    finished_at=now,
                )
            )
            hold_reason = row.hold_reason
            # the department's aggregate now counts this version: its history records the change
            from shuzhi.quality._run import record_department

            record_department(s, entry.spec.department)
    log.info("%s v%s published by %s (was v%s): %s", code, number, who, previous, note)
    return PublishResult(
        resource=code,
        version=number,
        previous=previous,
        hold_reason=hold_reason,
        published_by=who,
        published_at=now,
        note=note,
        warnings=warnings,
    )


def _whoami() -> str | None:
    try:
        return getpass.getuser()
    except Exception:
        return None


def _mapping(
    mapping: MappingSpec | str | os.PathLike[str] | None, spec: ResourceSpec
) -> tuple[MappingSpec | None, str | None]:
    if mapping is None:
        return None, None
    if isinstance(mapping, MappingSpec):
        validate_mapping(spec, mapping)
        return mapping, None
    from shuzhi._yaml import load_yaml, validate_model

    file = os.fspath(mapping)
    doc = load_yaml(file)
    mspec = validate_model(MappingSpec, doc)
    validate_mapping(spec, mspec, file=file, doc=doc)
    return mspec, file


# -- locking and sweeping --------------------------------------------------------------------------


class _ResourceLock:
    """An exclusive lock file per resource (``warehouse/<code>/.lock``): released by the OS when
    the process dies, so a crashed load never blocks the next one."""

    def __init__(self, ws: Workspace, code: str) -> None:
        self.root = ws.warehouse / code
        self.path = self.root / ".lock"
        self.code = code
        self.fd: int | None = None

    def __enter__(self) -> _ResourceLock:
        import fcntl

        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = ""
            with contextlib.suppress(OSError, ValueError):
                holder = os.pread(fd, 100, 0).decode().strip()
            os.close(fd)
            raise errors.Conflict(
                f"资源 {self.code} 正在加载中 / another load of {self.code} is running"
                + (f" ({holder})" if holder else "")
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            import fcntl

            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def _sweep(ws: Workspace, code: str) -> None:
    """Remove what crashed loads of ``code`` left: half-written folders, folders of versions that
    were never committed; mark their jobs abandoned. Runs under the resource's lock."""
    from shuzhi.store import IngestJob, Resource, ResourceVersion

    root = ws.warehouse / code
    with ws.session() as s:
        rid = s.execute(sa.select(Resource.id).where(Resource.code == code)).scalar_one()
        known = set(
            s.execute(sa.select(ResourceVersion.number).where(ResourceVersion.resource_id == rid)).scalars()
        )
        host = socket.gethostname()
        stale = s.execute(
            sa.select(IngestJob).where(
                IngestJob.resource_code == code, IngestJob.status == "running", IngestJob.host == host
            )
        ).scalars()
        for job in stale:  # we hold the lock: no live process of this host is loading it
            job.status = "abandoned"
            job.finished_at = dt.datetime.now(dt.UTC)
            job.error = f"加载进程 {job.pid} 已终止 / the loading process {job.pid} died before finishing"
            log.warning(
                "%s 上次的加载中断，已标为放弃 / an earlier load of %s died: marked abandoned "
                "(ingest job %s, pid %s)",
                code,
                code,
                job.id,
                job.pid,
            )
    if not root.is_dir():
        return
    for p in root.iterdir():
        m = _VERSION_DIR.match(p.name)
        if p.name.startswith(".v") and p.name.endswith(".partial"):
            log.warning("删除中断的加载留下的半成品 / removing what a crashed load half wrote: %s", p)
            shutil.rmtree(p, ignore_errors=True)
        elif m and int(m.group(1)) not in known and p.is_dir():
            log.warning(
                "删除未提交的版本文件夹（其加载在提交前中断）/ removing version folder %s: no version row "
                "(its load crashed before committing)",
                p,
            )
            shutil.rmtree(p, ignore_errors=True)


def _start_job(ws: Workspace, code: str, mode: str, source: str, who: str | None) -> int:
    from shuzhi.store import IngestJob, mask_passwords

    with ws.session() as s:
        job = IngestJob(
            resource_code=code,
            status="running",
            mode=mode,
            source_name=mask_passwords(source),  # a database URL is kept without its password
            host=socket.gethostname(),
            pid=os.getpid(),
            started_by=(who or None) and who[:100],
        )
        s.add(job)
        s.flush()
        return int(job.id)


def _end_job(
    ws: Workspace, job_id: int, status: str, *, version: int | None = None, error: BaseException | None = None
) -> None:
    from shuzhi.store import IngestJob, mask_passwords

    try:
        with ws.session() as s:
            job = s.get(IngestJob, job_id)
            if job is None:
                return
            job.status = status
            job.finished_at = dt.datetime.now(dt.UTC)
            job.version_number = version
            if error is not None:
                text = str(getattr(error, "message", None) or error or type(error).__name__)
                job.error = mask_passwords(text)[:2000]
                to_dict = getattr(error, "to_dict", None)
                detail = _jsonable(to_dict()) if callable(to_dict) else {"type": type(error).__name__}
                job.error_detail = json.loads(mask_passwords(json.dumps(detail, ensure_ascii=False)))
    except Exception:  # never hide the load's own error behind a bookkeeping one
        log.exception("could not record the end of ingest job %s", job_id)


def _jsonable(d: Any) -> dict[str, Any]:
    return dict(json.loads(json.dumps(d, ensure_ascii=False, default=str)))


# -- one load -------------------------------------------------------------------------------------

#: the kinds whose lookups take longest, longest first (a million rows, one thread: 2.9, 1.0, 0.5, 0.3 s)
_COST_RANK = {"address": 0, "idcard": 1, "name": 2, "phone": 3}

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _declares_gate(spec: ResourceSpec) -> bool:
    """Whether the resource declares a quality gate; when that cannot be told (a declaration the
    quality module refuses), as if it did (a gate that cannot be checked is not passed)."""
    from shuzhi.quality._run import declares_gate

    try:
        return declares_gate(spec)
    except Exception:
        return True


def _pool() -> ThreadPoolExecutor:
    """Two worker threads shared by every load of the process (each keeps one engine cursor, so
    reusing them keeps the number of cursors bounded in a long-running server)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sz-ingest")
        return _POOL


class _Load:
    def __init__(
        self,
        ws: Workspace,
        spec: ResourceSpec,
        revision: int,
        mapping: MappingSpec | None,
        mapping_file: str | None,
        source: str,
        mode: str,
        who: str | None,
        progress: Progress | None,
        quality: bool = True,
        source_name: str | None = None,
    ) -> None:
        self.ws, self.spec, self.revision = ws, spec, revision
        self.quality = quality
        self.source_name = source_name
        self.mapping, self.mapping_file = mapping, mapping_file
        self.source, self.mode, self.who = source, mode, who
        self.progress = progress
        self.engine = ws.engine
        self.prefix = f"_sz_ing_{uuid.uuid4().hex[:10]}"
        self.src = f"{self.prefix}_src"
        self.batch = f"{self.prefix}_b"
        self.tables: list[str] = [self.src, self.batch]
        #: the current version's rows and source hash when the load started (see _previous)
        self.previous_rows: int | None = None
        self.previous_hash: str | None = None
        self.partial: Path | None = None
        self._read_ticks = 0

    # helpers -------------------------------------------------------------------------------------

    def tick(self, stage: str, done: int, total: int | None) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)

    def _read_tick(self, done: int, total: int | None) -> None:
        self._read_ticks += 1
        if self._read_ticks == 1:
            _fault("ingest.read")
        self.tick("read", done, total)

    def count(self, sql: str) -> int:
        rows = self.engine.fetch_rows(sql)
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0

    def cleanup(self) -> None:
        for t in self.tables:
            with contextlib.suppress(Exception):
                self.engine.execute(f"DROP TABLE IF EXISTS {ident(t)}")
        if self.partial is not None and self.partial.exists():
            shutil.rmtree(self.partial, ignore_errors=True)

    # the load ------------------------------------------------------------------------------------

    def run(self, started: float) -> LoadResult:
        from shuzhi.ingest.readers import read_source

        options = self.mapping.source if self.mapping is not None else SourceOptions()
        expected = list(self.mapping.columns) if self.mapping is not None else []
        self.tick("read", 0, None)
        st = read_source(
            self.engine,
            self.source,
            options,
            table=self.src,
            expected_columns=expected,
            tmp_dir=self.ws.tmp,
            progress=self._read_tick,
            name=self.source_name,
        )
        _fault("ingest.read")
        name = Path(st.file).name if "://" not in st.file else st.file
        plan = plan_fields(self.spec, self.mapping, st.columns, file=st.file, mapping_file=self.mapping_file)
        notes = list(st.notes)
        if plan.unmatched:
            notes.append(
                f"未使用的列 / columns not loaded: {', '.join(plan.unmatched)}"
                + ("（映射 extra_columns: ignore）" if self.mapping is not None else "")
            )
        unfed = [m.field for m in plan.matches if m.matched_by == "none"]
        if unfed and self.mode == "upsert":
            notes.append(
                "没有数据来源的信息项（已有的行保留原值，新增的行留空）/ fields with no column (rows "
                f"updated keep their current values, new rows leave them empty): {', '.join(unfed)}"
            )
        elif unfed:
            notes.append(
                f"没有数据来源的信息项（留空）/ fields with no column, left empty: {', '.join(unfed)}"
            )

        # cleanse ------------------------------------------------------------------------------
        from shuzhi.engine import DuckDBEngine

        # an in-process engine hands columns to the standards' vectorised checks as Arrow
        arrow = self.engine if isinstance(self.engine, DuckDBEngine) else None
        cl = Cleanser(plan, source=self.src, batch=self.batch, prefix=self.prefix, arrow=arrow)
        lookups = cl.lookups()
        steps = len(lookups) + 2
        self.tick("cleanse", 0, steps)
        try:
            cl.setup(self.engine.execute, self.engine.fetch_rows)
            self._build_lookups(cl, lookups, steps)
            self.engine.execute(cl.main_sql())
        finally:
            self.tables += cl.tables
            for view in cl.views:
                self.engine.unregister(view)
        for t in cl.tables:  # lookups are not needed any more: free their memory
            if t not in (cl.reasons, cl.texts):
                self.engine.execute(f"DROP TABLE IF EXISTS {ident(t)}")

        if st.lossy:
            self._flag_lossy(st.lossy, plan.matches, cl.reasons)
        current, prev_dir, prev_columns = self._previous()
        if current is not None and prev_dir is not None and self.mode in ("append", "upsert"):
            self._check_conversions(current, prev_dir, prev_columns)
        keys = [f.name for f in self.spec.key_fields]
        if keys:
            self._check_keys(
                keys,
                # as the file names them, for the clerk (the field's name where no column fed it)
                [f.column or f.name for f in plan.key_fields],
                st.file,
                cl.reasons,
                prev_dir if self.mode == "append" else None,
            )
        self.tick("cleanse", steps, steps)

        rows_in, rows_q, rows_flagged = self.engine.fetch_rows(
            f"SELECT count(*), count(*) FILTER (WHERE len(_fails) > 0), "
            f"count(*) FILTER (WHERE len(_fails) = 0 AND len(_issues) > 0) FROM {ident(self.batch)}"
        )[0]
        rows_in, rows_q, rows_flagged = int(rows_in), int(rows_q), int(rows_flagged)
        rows_loaded = rows_in - rows_q
        # counts per rule, with one row's text as an example (the standards' texts are per value)
        q_rows = self._rule_summary(cl, "_fails", "len(_fails) > 0")
        i_rows = self._rule_summary(cl, "_issues", "len(_fails) = 0 AND len(_issues) > 0")
        q_summary = [(r[0], r[1]) for r in q_rows]
        i_summary = [(r[0], r[1]) for r in i_rows]
        examples = {r[0]: (r[2], r[3]) for r in (*q_rows, *i_rows) if r[2] is not None}

        # write --------------------------------------------------------------------------------
        number = self._next_number()
        root = self.ws.warehouse / self.spec.code
        self.partial = root / f".v{number}.{uuid.uuid4().hex[:12]}.partial"
        data = self.partial / DATA_DIR
        data.mkdir(parents=True)
        fields_sql = [(f.name, f.sql_type) for f in self.spec.fields]
        columns = [{"name": n, "type": t} for n, t in (*fields_sql, *SYSTEM_COLUMNS)]
        files: list[str] = []
        self.tick("write", 0, 3)
        carried = 0
        if current is not None and prev_dir is not None and self.mode in ("append", "upsert"):
            carried, files = self._carry(prev_dir, prev_columns, columns, data, keys)
            self.tick("write", 1, 3)
        _fault("ingest.write")
        batch_file = data / f"part-{len(files):05d}.parquet"
        stamp = f"{lit(name)}::VARCHAR AS _source, {number}::INTEGER AS _loaded_in"
        if self.mode == "upsert" and unfed and current is not None and prev_dir is not None:
            # a correction file with some columns only: the rows it updates keep the values of
            # the fields it has no column for (and their flagged problems)
            kept = ", ".join(lit(f) for f in unfed)
            field_list = ", ".join(
                f"p.{ident(f.name)}" if f.name in unfed else f"b.{ident(f.name)}" for f in self.spec.fields
            )
            on = " AND ".join(f"p.{ident(k)} = b.{ident(k)}" for k in keys)
            batch_sql = (
                f"SELECT {field_list}, b._row, {stamp}, "
                f"list_concat(b._issues, list_filter(coalesce(p._issues, []), "
                f"lambda sz_x: sz_x.field IN ({kept})))::{ISSUE_TYPE} AS _issues "
                f"FROM {ident(self.batch)} AS b LEFT JOIN ({self._prev_select(prev_dir, prev_columns)}) AS p "
                f"ON {on} WHERE len(b._fails) = 0 ORDER BY b._row"
            )
        else:
            field_list = ", ".join(ident(f.name) for f in self.spec.fields)
            batch_sql = (
                f"SELECT {field_list}, _row, {stamp}, "
                f"_issues FROM {ident(self.batch)} WHERE len(_fails) = 0 ORDER BY _row"
            )
        self._copy(batch_sql, batch_file)
        files.append(batch_file.name)
        _fault("ingest.write.data")
        self.tick("write", 2, 3)
        source_cols = self._quarantine_columns(st.columns)
        originals = ", ".join(f"s.{ident(c)} AS {ident(q)}" for c, q in source_cols)
        self._copy(
            f"SELECT b._row AS _row, {lit(name)}::VARCHAR AS _source, "
            f"list_transform(f._fails, lambda sz_x: sz_x.rule) AS _rules, b._errors AS _errors"
            + (f", {originals}" if originals else "")
            + f" FROM ({cl.errors_sql()}) AS b JOIN {ident(self.src)} AS s ON s._row = b._row "
            f"JOIN {ident(self.batch)} AS f ON f._row = b._row "
            "ORDER BY b._row",
            self.partial / QUARANTINE_FILE,
        )
        self.tick("write", 3, 3)
        added, updated, removed = self._changes(current, prev_dir, prev_columns, keys, rows_loaded, unfed)
        if removed and rows_q and keys and prev_dir is not None:
            notes.extend(self._removed_note(prev_dir, prev_columns, keys, removed))
        if updated and self.mode == "upsert" and prev_dir is not None:
            notes.extend(self._other_person_note(prev_dir, prev_columns, keys, unfed))
        rows_total = carried + rows_loaded
        hashes = {f: _sha256(data / f) for f in sorted(files)}
        checksum = _checksum([data / f for f in sorted(files)])
        holds: list[str] = []
        if rows_loaded == 0:
            holds.append(
                f"所有 {rows_in} 行都被隔离，版本未发布 / "
                f"all {rows_in} rows were quarantined: the version is "
                "kept for review but not made current"
            )
        shrink = _shrink_hold(self.mode, current, self.previous_rows, rows_total)
        if shrink is not None:
            holds.append(shrink)
        if current is not None and self.mode in ("append", "upsert") and prev_columns:
            notes.extend(self._carry_notes(prev_columns, carried + (updated if unfed else 0)))
        if current is not None and st.sha256 == self.previous_hash:
            notes.append(
                f"源文件与当前版本 v{current} 的完全相同（sha256 一致）/ the source is the very file "
                f"current version v{current} was loaded from (same sha256)"
            )
        loaded_at = dt.datetime.now(dt.UTC)
        quarantine = _counts(q_summary, self.spec, examples)
        issues = _counts(i_summary, self.spec, examples)
        source_info = SourceInfo(
            file=st.file,
            name=name,
            format=st.format,
            encoding=st.encoding,
            sha256=st.sha256,
            size=st.size,
            header_row=st.header_row,
            delimiter=st.delimiter,
            sheet=st.sheet,
        )
        mapping_doc: dict[str, Any] = {
            "file": self.mapping_file,
            "spec": self.mapping.model_dump(mode="json") if self.mapping is not None else None,
            "matches": [m.model_dump() for m in plan.matches],
            "unmatched": plan.unmatched,
            "source_columns": [{"column": c, "name": q} for c, q in source_cols],
            "keys": keys,
        }
        manifest = {
            "resource": self.spec.code,
            "version": number,
            "base_version": current,
            "mode": self.mode,
            "catalog_revision": self.revision,
            "source": source_info.model_dump(),
            "rows": {
                "in": rows_in,
                "loaded": rows_loaded,
                "quarantined": rows_q,
                "flagged": rows_flagged,
                "total": rows_total,
                "added": added,
                "updated": updated,
                "removed": removed,
            },
            "checksum": checksum,
            "files": [{"name": f"{DATA_DIR}/{f}", "sha256": h} for f, h in hashes.items()],
            "quarantine": {"file": QUARANTINE_FILE, "sha256": _sha256(self.partial / QUARANTINE_FILE)},
            "columns": columns,
            "mapping": mapping_doc,
            "quarantine_summary": {r.rule: r.count for r in quarantine},
            "loaded_by": self.who,
            "loaded_at": loaded_at.isoformat(),
        }
        (self.partial / MANIFEST_FILE).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        fsync_tree(self.partial)
        final = root / f"v{number}"
        os.rename(self.partial, final)
        self.partial = final  # removed by cleanup() if the commit fails
        fsync(root)

        # quality and the gate ------------------------------------------------------------------
        qrun, qstatus, qhold = self._quality(number, loaded_at, checksum, rows_in, rows_q, rows_total, notes)
        if qhold is not None:
            holds.append(qhold)
        published = not holds
        hold = "；".join(holds) if len(holds) > 1 else (holds[0] if holds else None)
        _fault("ingest.commit")

        # commit -------------------------------------------------------------------------------
        self.tick("commit", 0, 1)
        duration = round(time.monotonic() - started, 3)
        self._commit(
            number=number,
            base=current,
            published=published,
            hold=hold,
            source=source_info,
            rows=(rows_in, rows_loaded, rows_q, rows_flagged, rows_total, added, updated, removed),
            checksum=checksum,
            columns=columns,
            mapping=mapping_doc,
            summary={r.rule: r.count for r in quarantine},
            loaded_at=loaded_at,
            duration=duration,
            qrun=qrun,
            qstatus=qstatus,
        )
        self.partial = None  # committed: never remove it
        self.tick("commit", 1, 1)
        return LoadResult(
            resource=self.spec.code,
            version=number,
            base_version=current,
            mode=self.mode,
            published=published,
            hold_reason=hold,
            rows_in=rows_in,
            rows_loaded=rows_loaded,
            rows_quarantined=rows_q,
            rows_flagged=rows_flagged,
            rows_total=rows_total,
            rows_added=added,
            rows_updated=updated,
            rows_removed=removed,
            quarantine=quarantine,
            issues=issues,
            columns=plan.matches,
            unmatched_columns=plan.unmatched,
            notes=notes,
            source=source_info,
            checksum=checksum,
            path=str(final),
            loaded_by=self.who,
            loaded_at=loaded_at,
            duration_s=duration,
            quality_status=qstatus,
            quality_gate=_declares_gate(self.spec),
            quality_score=None if qrun is None or qrun.score is None else round(qrun.score, 2),
            quality_level=None if qrun is None else qrun.level,
        )

    def _quality(
        self,
        number: int,
        loaded_at: dt.datetime,
        checksum: str,
        rows_in: int,
        rows_q: int,
        rows_total: int,
        notes: list[str],
    ) -> tuple[QualityRun | None, str, str | None]:
        """Evaluate ``v<number>/`` before it is committed: (run to store, quality status, reason to
        hold it or None). Never raises for a failing evaluation: see the module's policy."""
        from shuzhi.quality._run import failed_run, run_after_ingest
        from shuzhi.store import ResourceVersion

        gated = _declares_gate(self.spec)
        if not self.quality:
            notes.append("质量评估已按要求跳过 / quality evaluation skipped on request")
            if not gated:
                return None, "skipped", None
            return (
                None,
                "skipped",
                "质量评估已跳过，资源的质量门槛未检查；请评估后发布 / the quality evaluation was "
                "skipped, so the resource's quality gate was not checked: evaluate, then publish",
            )
        _fault("ingest.quality")
        self.tick("quality", 0, 1)
        pending = ResourceVersion(
            number=number,
            mode=self.mode,
            path=f"{self.spec.code}/v{number}",
            rows_in=rows_in,
            rows_quarantined=rows_q,
            rows_total=rows_total,
            checksum=checksum,
            loaded_at=loaded_at,
        )
        try:
            run = run_after_ingest(self.ws, self.spec.code, pending, engine=self.engine)
        except Exception as e:  # a bug or an engine failure must not lose the load
            log.exception("quality evaluation of %s v%s failed", self.spec.code, number)
            run = failed_run(self.ws, self.spec.code, number, e)
        self.tick("quality", 1, 1)
        if run.status != "ok":
            notes.append(f"质量评估未完成 / quality evaluation incomplete: {run.error}")
        if run.hold_reason is not None:
            return run, "held", run.hold_reason
        return run, ("passed" if run.status == "ok" else run.status), None

    # steps ---------------------------------------------------------------------------------------

    def _build_lookups(self, cl: Cleanser, lookups: list[Any], steps: int) -> None:
        """The fields' lookup tables, two at a time: DuckDB plans a query on one thread (a check
        such as the address's takes 0.1 s to plan) and runs small ones on one, time in which
        another field's lookup can run (a million rows: cleansing 4.2–4.6 s against 5.0 s one
        after the other). The costliest start first (address, identity number, name, phone)."""
        order = sorted(lookups, key=lambda f: _COST_RANK.get(f.kind, len(_COST_RANK)))
        done = 0
        futures = [_pool().submit(cl.build_lookup, f, self.engine.execute, self.count) for f in order]
        try:
            for fut in futures:
                fut.result()
                done += 1
                self.tick("cleanse", done, steps)
        except BaseException:
            for fut in futures:
                fut.cancel()
            for fut in futures:  # nothing may still be writing when the caller cleans up
                if not fut.cancelled():
                    with contextlib.suppress(BaseException):
                        fut.result()
            raise

    def _previous(self) -> tuple[int | None, Path | None, list[dict[str, Any]]]:
        """The current version's number, data folder and columns (None, None, [] before the first);
        its row count and source hash are kept in ``self.previous_rows`` / ``previous_hash``."""
        from shuzhi.store import Resource, ResourceVersion

        with self.ws.session() as s:
            row = s.execute(
                sa.select(Resource.id, Resource.current_version).where(Resource.code == self.spec.code)
            ).one()
            if row.current_version is None:
                return None, None, []
            v = s.execute(
                sa.select(ResourceVersion).where(
                    ResourceVersion.resource_id == row.id, ResourceVersion.number == row.current_version
                )
            ).scalar_one()
            self.previous_rows, self.previous_hash = int(v.rows_total), v.source_hash
            return int(v.number), self.ws.warehouse / v.path / DATA_DIR, list(v.columns)

    def _next_number(self) -> int:
        from shuzhi.store import Resource, ResourceVersion

        with self.ws.session() as s:
            top = s.execute(
                sa.select(sa.func.max(ResourceVersion.number))
                .join(Resource, Resource.id == ResourceVersion.resource_id)
                .where(Resource.code == self.spec.code)
            ).scalar()
        return int(top or 0) + 1

    def _copy(self, sql: str, path: Path) -> None:
        # zstd level 1 rather than DuckDB's default 3: a quarter less CPU for 3 % larger files
        # (the same codec, read by DuckDB, pyarrow and Spark alike)
        self.engine.execute(
            f"COPY ({sql}) TO {lit(str(path))} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)"
        )

    def _rule_summary(self, cl: Cleanser, items: str, where: str) -> list[tuple[Any, ...]]:
        """(rule, rows, an example text 中文, English) for the ``_fails`` or ``_issues`` of the
        batch's rows meeting ``where``; the texts of lookup fields' values are in the texts table."""
        # failures of inline fields carry their texts; issues carry none
        zh, en = ("u.f.reason_zh", "u.f.reason_en") if items == "_fails" else ("NULL", "NULL")
        return self.engine.fetch_rows(
            f"SELECT u.f.rule, count(DISTINCT u._row) AS n, "
            f"min(coalesce({zh}, t.zh)), min(coalesce({en}, t.en)) "
            f"FROM (SELECT _row, unnest({items}) AS f FROM {ident(self.batch)} WHERE {where}) AS u "
            f"LEFT JOIN {ident(cl.texts)} AS t "
            "ON t.field = u.f.field AND t.rule = u.f.rule AND t.raw = u.f.value "
            "GROUP BY 1 ORDER BY n DESC, 1"
        )

    def _prev_select(self, prev_dir: Path, prev_columns: list[dict[str, Any]]) -> str:
        """SQL: the previous version's rows with the current fields' names and types."""
        have = {c["name"]: c["type"] for c in prev_columns}
        items = []
        for f in self.spec.fields:
            typ = f.sql_type
            if f.name not in have:
                items.append(f"NULL::{typ} AS {ident(f.name)}")
            elif have[f.name] == typ:
                items.append(f"p.{ident(f.name)}")
            else:
                items.append(f"TRY_CAST(p.{ident(f.name)} AS {typ}) AS {ident(f.name)}")
        for n, typ in SYSTEM_COLUMNS:
            items.append(f"p.{ident(n)}" if n in have else f"NULL::{typ} AS {ident(n)}")
        glob = lit(str(prev_dir / "*.parquet"))
        return f"SELECT {', '.join(items)} FROM read_parquet({glob}) AS p"

    def _check_conversions(self, current: int, prev_dir: Path, prev_columns: list[dict[str, Any]]) -> None:
        """Refuse an append or upsert whose kept rows would change or lose values because a
        field's type or scale changed in the catalog since the current version (a scale of 3
        lowered to 1 rounded 12.345 to 12.3 in every kept row, without a word): the previous
        version stays current, and a full load gives all the data under the new declaration."""
        have = {c["name"]: c["type"] for c in prev_columns}
        changed = [
            (f, have[f.name]) for f in self.spec.fields if f.name in have and have[f.name] != f.sql_type
        ]
        if not changed:
            return
        numeric = ("BIGINT", "DOUBLE", "DECIMAL")
        parts = []
        for f, old in changed:
            c = f"p.{ident(f.name)}"
            new = f"TRY_CAST({c} AS {f.sql_type})"
            both = old.startswith(numeric) and f.sql_type.startswith(numeric)
            lost = f"{c} IS NOT NULL AND ({new} IS NULL{f' OR {new} <> {c}' if both else ''})"
            parts.append(f"count(*) FILTER (WHERE {lost}), first(CAST({c} AS VARCHAR)) FILTER (WHERE {lost})")
        glob = lit(str(prev_dir / "*.parquet"))
        (row,) = self.engine.fetch_rows(f"SELECT {', '.join(parts)} FROM read_parquet({glob}) AS p")
        zh, en = [], []
        for i, (f, old) in enumerate(changed):
            n, example = int(row[2 * i]), row[2 * i + 1]
            if n:
                zh.append(f"“{f.label}”（{old} → {f.sql_type}）{n:,} 个值，如 {example}")
                en.append(f"{f.name} ({old} → {f.sql_type}): {n:,} value(s), e.g. {example}")
        if zh:
            raise errors.Conflict(
                f"当前版本 v{current} 的数据在目录的新声明下会改变或丢失：{'；'.join(zh)}。追加或更新会连同"
                "保留的行一起改写它们：请用全量加载（模式 full）重新提供全部数据，或改回原来的声明 / "
                f"the data of the current version v{current} would change or be lost under the catalog's "
                f"new declaration: {'; '.join(en)}. An append or upsert rewrites the rows it keeps: "
                "load all the data in full (mode full), or declare the field as before"
            )

    def _carry_notes(self, prev_columns: list[dict[str, Any]], kept: int) -> list[str]:
        """What the ``kept`` rows taken from the previous version (carried, or updated by a file
        without some columns) lose or lack after the catalog's fields changed: a renamed field's
        values were dropped without a word."""
        if kept <= 0:
            return []
        system = {n for n, _ in SYSTEM_COLUMNS}
        before = [c["name"] for c in prev_columns if c["name"] not in system]
        now = [f.name for f in self.spec.fields]
        gone = [c for c in before if c not in now]
        new = [f for f in now if f not in before]
        out = []
        if gone:
            out.append(
                f"上一版本的信息项 {'、'.join(gone)} 已不在目录中：沿用的 {kept} 行不带其值（如为改名，"
                "请以 full 模式重新加载完整文件）/ the previous version's field(s) "
                f"{', '.join(gone)} are no longer in the catalog: the {kept} row(s) kept from it "
                "lose their values (renamed? load the whole file again in full mode)"
            )
        if new:
            out.append(
                f"新信息项 {'、'.join(new)} 在沿用上一版本的 {kept} 行中为空 / the new field(s) "
                f"{', '.join(new)} are empty in the {kept} row(s) kept from the previous version"
            )
        return out

    def _carry(
        self,
        prev_dir: Path,
        prev_columns: list[dict[str, Any]],
        columns: list[dict[str, Any]],
        data: Path,
        keys: list[str],
    ) -> tuple[int, list[str]]:
        """Rows of the previous version kept in the new one: every row for append (the files are
        hard-linked when the columns did not change), those whose key the batch lacks for upsert."""
        prev_files = sorted(prev_dir.glob("*.parquet"))
        if self.mode == "append" and prev_columns == columns:
            names = []
            for i, f in enumerate(prev_files):
                target = data / f"part-{i:05d}.parquet"
                try:
                    os.link(f, target)
                except OSError:
                    shutil.copyfile(f, target)
                names.append(target.name)
            n = self.count(f"SELECT count(*) FROM read_parquet({lit(str(prev_dir / '*.parquet'))})")
            return n, names
        target = data / "part-00000.parquet"
        prev = self._prev_select(prev_dir, prev_columns)
        if self.mode == "upsert":
            on = " AND ".join(f"p.{ident(k)} = b.{ident(k)}" for k in keys)
            kcols = ", ".join(ident(k) for k in keys)
            sql = (
                f"SELECT p.* FROM ({prev}) AS p ANTI JOIN (SELECT {kcols} FROM {ident(self.batch)} "
                f"WHERE len(_fails) = 0) AS b ON {on}"
            )
        else:
            sql = prev
        self._copy(sql, target)
        return self.count(f"SELECT count(*) FROM read_parquet({lit(str(target))})"), [target.name]

    def _quarantine_columns(self, columns: list[str]) -> list[tuple[str, str]]:
        """(source column, name in quarantine.parquet): originals keep their names unless they
        collide with the quarantine's own columns."""
        reserved = {"_row", "_source", "_rules", "_errors"}
        out = []
        for c in columns:
            name = c
            while name.casefold() in reserved:
                name = f"{name}_源"
            out.append((c, name))
        return out

    def _check_keys(
        self, keys: list[str], columns: list[str], file: str, rt: str, prev_dir: Path | None
    ) -> None:
        """Duplicate keys in the file (upsert: an error; otherwise the later rows are quarantined)
        and, for append, keys the current version already has (quarantined); ``columns`` name
        the key fields as the file does."""
        b = ident(self.batch)
        kcols = ", ".join(ident(k) for k in keys)
        notnull = " AND ".join(f"{ident(k)} IS NOT NULL" for k in keys)
        key_text = _key_text(keys, "")
        dups = (
            f"SELECT _row, first_row, key FROM (SELECT _row, "
            f"min(_row) OVER (PARTITION BY {kcols}) AS first_row, "
            f"{key_text} AS key FROM {b} WHERE {notnull}) WHERE _row <> first_row"
        )
        key_names = ", ".join(columns)
        if self.mode == "upsert":
            groups = self.engine.fetch_rows(
                f"SELECT key, list(_row ORDER BY _row), count(*) OVER () "
                f"FROM (SELECT _row, {key_text} AS key, "
                f"count(*) OVER (PARTITION BY {kcols}) AS n FROM {b} WHERE {notnull}) WHERE n > 1 "
                f"GROUP BY key ORDER BY min(_row) LIMIT 5"
            )
            if groups:
                total = int(groups[0][2])
                shown = "; ".join(f"{k}: {', '.join(str(r) for r in rows)}" for k, rows, _ in groups)
                first_key, first_rows, _ = groups[0]
                raise errors.DataError(
                    f"upsert 要求文件中主键（{key_names}）不重复，共 {total} 个主键重复"
                    f"（主键值：行号）：{shown}；未加载任何数据 / "
                    f"upsert needs unique keys ({key_names}) in the file; {total} key(s) repeat "
                    f"(key: rows): {shown}; nothing was loaded",
                    file=file,
                    row=int(first_rows[1]),
                    column=key_names,
                    value=first_key,
                    rule="key.duplicate",
                )
            return
        cols = lit(key_names)
        detail = "json_object('key', d.key, 'first_row', d.first_row)"
        zh = render_sql(f"(SELECT zh FROM {ident(rt)} WHERE code = 'key.duplicate')", detail)
        en = render_sql(f"(SELECT en FROM {ident(rt)} WHERE code = 'key.duplicate')", detail)
        self.engine.execute(
            f"UPDATE {b} SET _fails = list_append(_fails, {{'field': NULL, 'column': {cols}, "
            f"'rule': 'key.duplicate', 'value': d.key, 'reason_zh': {zh}, 'reason_en': {en}}}) "
            f"FROM ({dups}) AS d WHERE {b}._row = d._row"
        )
        if prev_dir is None:
            return
        prev_keys = ", ".join(f"p.{ident(k)}" for k in keys)
        on = " AND ".join(f"b.{ident(k)} = p.{ident(k)}" for k in keys)
        exist = (
            f"SELECT b._row, {_key_text(keys, 'b.')} AS key FROM {b} AS b "
            f"SEMI JOIN (SELECT DISTINCT {prev_keys} "
            f"FROM read_parquet({lit(str(prev_dir / '*.parquet'))}) AS p) "
            f"AS p ON {on}"
        )
        detail = "json_object('key', e.key)"
        zh = render_sql(f"(SELECT zh FROM {ident(rt)} WHERE code = 'key.exists')", detail)
        en = render_sql(f"(SELECT en FROM {ident(rt)} WHERE code = 'key.exists')", detail)
        self.engine.execute(
            f"UPDATE {b} SET _fails = list_append(_fails, {{'field': NULL, 'column': {cols}, "
            f"'rule': 'key.exists', 'value': e.key, 'reason_zh': {zh}, 'reason_en': {en}}}) "
            f"FROM ({exist}) AS e WHERE {b}._row = e._row"
        )

    def _flag_lossy(self, lossy: Mapping[str, list[int]], matches: Sequence[ColumnMatch], rt: str) -> None:
        """Quarantine the rows whose text field came from an Excel number of 16+ digits: Excel
        kept 15 significant digits (140502196508018948 typed into a General cell is stored as
        140502196508019000), so the value is not the one typed — one in eleven such identity
        numbers still has a valid check character and would be loaded as another person."""
        import pyarrow as pa

        from shuzhi.catalog.spec import FieldType

        types = {f.name: f.type for f in self.spec.fields}
        fed = [
            (m.field, m.column)
            for m in matches
            if m.column in lossy and types.get(m.field) is FieldType.string
        ]
        if not fed:
            return
        view = f"{self.prefix}_lossy"
        rows = [(r, c) for _, c in fed for r in lossy[str(c)]]
        self.engine.register(
            view,
            pa.table(
                {"_row": [r for r, _ in rows], "col": [c for _, c in rows]},
                schema=pa.schema([("_row", pa.int64()), ("col", pa.string())]),
            ),
        )
        try:
            b, src = ident(self.batch), ident(self.src)
            detail = "json_object('value', x.raw)"
            zh = render_sql(f"(SELECT zh FROM {ident(rt)} WHERE code = 'excel_number')", detail)
            en = render_sql(f"(SELECT en FROM {ident(rt)} WHERE code = 'excel_number')", detail)
            for name, column in fed:
                self.engine.execute(
                    f"UPDATE {b} SET _fails = list_append(_fails, {{'field': {lit(name)}, "
                    f"'column': {lit(str(column))}, 'rule': {lit(name + '.excel_number')}, 'value': x.raw, "
                    f"'reason_zh': {zh}, 'reason_en': {en}}}) "
                    f"FROM (SELECT l._row, s.{ident(str(column))} AS raw FROM {ident(view)} AS l "
                    f"JOIN {src} AS s ON s._row = l._row WHERE l.col = {lit(str(column))}) AS x "
                    f"WHERE {b}._row = x._row"
                )
        finally:
            self.engine.unregister(view)

    def _changes(
        self,
        current: int | None,
        prev_dir: Path | None,
        prev_columns: list[dict[str, Any]],
        keys: list[str],
        rows_loaded: int,
        unfed: Sequence[str] = (),
    ) -> tuple[int, int, int]:
        """Rows added, updated and removed against the version the load started from, by the
        fields both have (an upsert keeps the values of the fields it has no column for: those do
        not make a row updated either)."""
        if current is None or prev_dir is None:
            return rows_loaded, 0, 0
        if self.mode == "append":
            return rows_loaded, 0, 0
        prev = self._prev_select(prev_dir, prev_columns)
        had = {str(c["name"]) for c in prev_columns}
        if not keys:
            # full, without a key: rows compared whole, as `shuzhi diff` does (a changed row is one
            # removed and one added; the rows both versions have are neither)
            cols = ", ".join(ident(f.name) for f in self.spec.fields if f.name in had) or "1"
            b = f"SELECT {cols} FROM {ident(self.batch)} WHERE len(_fails) = 0"
            p = f"SELECT {cols} FROM ({prev})"
            added, removed = self.engine.fetch_rows(
                f"SELECT (SELECT count(*) FROM ({b} EXCEPT ALL {p})), "
                f"(SELECT count(*) FROM ({p} EXCEPT ALL {b}))"
            )[0]
            return int(added), 0, int(removed)
        on = " AND ".join(f"b.{ident(k)} = p.{ident(k)}" for k in keys)
        kept = set(unfed) if self.mode == "upsert" else set()
        # the fields both versions have, as `shuzhi diff` compares them (a field added or renamed
        # since does not make every row updated)
        skip = {*keys, *kept}
        fields = [f.name for f in self.spec.fields if f.name in had and f.name not in skip]
        changed = " OR ".join(f"b.{ident(n)} IS DISTINCT FROM p.{ident(n)}" for n in fields) or "false"
        k0 = ident(keys[0])
        added, updated, removed = self.engine.fetch_rows(
            f"SELECT count(*) FILTER (WHERE p.{k0} IS NULL), "
            f"count(*) FILTER (WHERE p.{k0} IS NOT NULL AND b.{k0} IS NOT NULL AND ({changed})), "
            f"count(*) FILTER (WHERE b.{k0} IS NULL) "
            f"FROM (SELECT * FROM {ident(self.batch)} WHERE len(_fails) = 0) AS b "
            f"FULL OUTER JOIN ({prev}) AS p ON {on}"
        )[0]
        return int(added), int(updated), int(removed) if self.mode == "full" else 0

    def _other_person_note(
        self, prev_dir: Path, prev_columns: list[dict[str, Any]], keys: list[str], unfed: Sequence[str]
    ) -> list[str]:
        """Rows of an upsert that replaced a record of someone else, by the look of it: the name
        changed, and with it the birth date or the sex where the resource has them — a key
        mistyped in a correction file (an ID changed to one already loaded) overwrites another
        person's record, which is reported as one row updated."""
        had = {str(c["name"]) for c in prev_columns}
        usable = [f for f in self.spec.fields if f.name in had and f.name not in unfed and not f.key]
        names = [f for f in usable if f.standard == "name"]
        if not names or not keys:
            return []
        n = ident(names[0].name)
        others = [ident(f.name) for f in usable if f.is_birth_date or f.is_sex]
        also = " OR ".join(f"b.{o} IS DISTINCT FROM p.{o}" for o in others)
        on = " AND ".join(f"b.{ident(k)} = p.{ident(k)}" for k in keys)
        key = " || '/' || ".join(f"CAST(b.{ident(k)} AS VARCHAR)" for k in keys)
        count, example = self.engine.fetch_rows(
            f"SELECT count(*), min({{'key': {key}, 'old': p.{n}, 'new': b.{n}}}) "
            f"FROM (SELECT * FROM {ident(self.batch)} WHERE len(_fails) = 0) AS b "
            f"JOIN ({self._prev_select(prev_dir, prev_columns)}) AS p ON {on} "
            f"WHERE b.{n} <> p.{n}" + (f" AND ({also})" if also else "")
        )[0]
        if not count:
            return []
        what_zh, what_en = (
            ("姓名及出生日期或性别", "name and birth date or sex") if also else ("姓名", "name")
        )
        e = example
        return [
            f"{count} 行按主键更新了已有记录，{what_zh}都不同（如 {e['key']}：{e['old']} → {e['new']}）："
            "请核实主键——更正时改错的身份证号会覆盖另一个人的记录 / "
            f"{count} row(s) updated an existing record whose {what_en} differ (e.g. {e['key']}: "
            f"{e['old']} → {e['new']}): check the key — an ID mistyped in a correction overwrites "
            "another person's record"
        ]

    def _removed_note(
        self, prev_dir: Path, prev_columns: list[dict[str, Any]], keys: list[str], removed: int
    ) -> list[str]:
        """A full load's removed rows whose key is among its quarantined rows: the department did
        not drop those people, their rows failed a check (a 低保 member whose name came as 不详 was
        counted as having left the programme, without a word)."""
        prev = self._prev_select(prev_dir, prev_columns)
        same = " AND ".join(f"x.{ident(k)} = p.{ident(k)}" for k in keys)
        batch = ident(self.batch)
        n = int(
            self.engine.fetch_rows(
                f"SELECT count(*) FROM ({prev}) AS p "
                f"WHERE EXISTS (SELECT 1 FROM {batch} AS x WHERE len(x._fails) > 0 AND {same}) "
                f"AND NOT EXISTS (SELECT 1 FROM {batch} AS x WHERE len(x._fails) = 0 AND {same})"
            )[0][0]
        )
        if not n:
            return []
        return [
            f"删除的 {removed:,} 行中有 {n:,} 行的主键在本次被隔离的行中：源数据仍有这些记录，"
            "只是未通过检查，更正后重新加载即可恢复 / "
            f"{n:,} of the {removed:,} rows removed have their key among this load's quarantined "
            "rows: the source still has them, they failed a check (load them corrected to bring "
            "them back)"
        ]

    def _commit(
        self,
        *,
        number: int,
        base: int | None,
        published: bool,
        hold: str | None,
        source: SourceInfo,
        rows: tuple[int, ...],
        checksum: str,
        columns: list[dict[str, Any]],
        mapping: dict[str, Any],
        summary: dict[str, int],
        loaded_at: dt.datetime,
        duration: float,
        qrun: QualityRun | None = None,
        qstatus: str | None = None,
    ) -> None:
        from shuzhi.quality._run import store_run
        from shuzhi.store import Resource, ResourceVersion

        rows_in, loaded, quarantined, flagged, total, added, updated, removed = rows
        with self.ws.session() as s:
            rid = s.execute(sa.select(Resource.id).where(Resource.code == self.spec.code)).scalar_one()
            version = ResourceVersion(
                resource_id=rid,
                number=number,
                base_number=base,
                mode=self.mode,
                path=f"{self.spec.code}/v{number}",
                published=published,
                hold_reason=hold,
                source_name=source.name,
                source_format=source.format,
                source_hash=source.sha256,
                source_size=source.size,
                encoding=(source.encoding or None) and str(source.encoding)[:20],
                rows_in=rows_in,
                rows_loaded=loaded,
                rows_quarantined=quarantined,
                rows_flagged=flagged,
                rows_total=total,
                rows_added=added,
                rows_updated=updated,
                rows_removed=removed,
                checksum=checksum,
                columns=columns,
                mapping=mapping,
                quarantine_summary=summary,
                catalog_revision=self.revision,
                loaded_by=(self.who or None) and self.who[:100],
                loaded_at=loaded_at,
                duration_s=duration,
                quality_status=qstatus,
                published_at=loaded_at if published else None,
                published_by=(self.who or None) and self.who[:100] if published else None,
            )
            s.add(version)
            s.flush()
            if published:
                moved = s.connection().execute(
                    sa.update(Resource)
                    .where(
                        Resource.id == rid,
                        Resource.current_version.is_(None)
                        if base is None
                        else Resource.current_version == base,
                    )
                    .values(current_version=number, updated_at=Resource.updated_at)
                )
                if moved.rowcount != 1:
                    raise errors.Conflict(
                        f"资源 {self.spec.code} 的当前版本在加载期间被改变，本次加载作废 / "
                        "the current version of "
                        f"{self.spec.code} changed during the load; nothing was published"
                    )
            if qrun is not None:  # after the pointer moved: the department's aggregate sees it
                stored = store_run(s, qrun, catalog_revision=self.revision, by=self.who)
                version.quality_run_id = stored.id


# -- files ---------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _checksum(paths: list[Path]) -> str:
    """sha256 over the bytes of ``paths``, in the given order."""
    h = hashlib.sha256()
    for p in paths:
        with p.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _key_text(keys: list[str], prefix: str) -> str:
    """SQL: a row's key as text (several key fields joined with `` / ``)."""
    parts = [f"CAST({prefix}{ident(k)} AS VARCHAR)" for k in keys]
    return parts[0] if len(parts) == 1 else "concat_ws(' / ', " + ", ".join(parts) + ")"
