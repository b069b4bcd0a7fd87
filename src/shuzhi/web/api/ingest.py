"""``/api/v1/resources/{code}/…``: load a file into a new version (its quality evaluated and gated
before it is published), list and read versions, publish a held one, compare two, and read or
download a load's quarantine.

Who loads is taken from the ``X-Shuzhi-User`` header until accounts exist (percent-encode a Chinese
name). Loads run synchronously: the response is the load's report.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from shuzhi import errors
from shuzhi.ingest import (
    MODES,
    JobEntry,
    LoadResult,
    PublishResult,
    QuarantineView,
    VersionDiff,
    VersionInfo,
    diff,
    export_quarantine,
    get_version,
    ingest,
    job_log,
    list_versions,
    publish_version,
    quarantine,
    verify_version,
    version_rows,
)
from shuzhi.web._errors import NOT_FOUND, ErrorPublic
from shuzhi.web.api.deps import MAX_NUMBER, NumberPath, OffsetQuery, StrictRoute, UserDep, WorkspaceDep
from shuzhi.workspace import Workspace

__all__ = ["TAG", "router"]

TAG = {
    "name": "ingest",
    "description": "数据汇聚：上传文件生成资源的新版本、版本列表与数据、版本比较、隔离区与导出 / "
    "ingestion: load files into new versions, list and read versions, diff, quarantine and its export",
}

router = APIRouter(prefix="/resources/{code}", tags=["ingest"], route_class=StrictRoute)

_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorPublic, "description": "该资源正在加载 / another load of the resource is running"}
}


class VersionListPublic(BaseModel):
    resource: str
    current: int | None = Field(description="当前版本 / the current version (null: none yet)")
    versions: list[VersionInfo] = Field(description="oldest first")


class RowsPublic(BaseModel):
    resource: str
    version: int
    total: int = Field(description="版本总行数 / rows in the version")
    limit: int
    offset: int
    rows: list[dict[str, Any]]


def _number(ws: Workspace, code: str, n: str) -> int | None:
    """A version path segment: a number, ``current`` (None) or ``latest``."""
    if n == "current":
        return None
    if n == "latest":
        versions = list_versions(ws, code)
        if not versions:
            raise errors.NotFound("版本 / version", f"{code} (尚未加载 / never loaded)")
        return versions[-1].number
    try:
        number = int(n.removeprefix("v"))
        if number > MAX_NUMBER:  # no such version: larger than any integer the store can hold
            raise errors.NotFound("版本 / version", f"{code} v{n.removeprefix('v')}")
        return number
    except ValueError:
        raise errors.ValidationError(
            {
                "path.n": [
                    f"版本号应为数字、current 或 latest / a version is a number, current or latest: {n!r}"
                ]
            }
        ) from None


def _save(upload: UploadFile, folder: Path) -> Path:
    name = Path(upload.filename or "upload").name or "upload"
    target = folder / name
    with target.open("wb") as out:
        shutil.copyfileobj(upload.file, out, 1 << 20)
    return target


@router.post(
    "/versions",
    response_model=LoadResult,
    status_code=201,
    summary="上传文件并加载为新版本 / load a file into a new version",
    responses={
        200: {
            "model": LoadResult,
            "description": "已加载但未发布（质量门槛未过，或全部行被隔离）/ loaded but held: the quality "
            "gate held it, or every row was quarantined (see hold_reason)",
        },
        **NOT_FOUND,
        **_CONFLICT,
    },
)
def post_version(
    code: str,
    ws: WorkspaceDep,
    response: Response,
    user: UserDep,
    file: Annotated[UploadFile, File(description="数据文件 / the data file (CSV, Excel, JSON, Parquet)")],
    mapping: Annotated[UploadFile | None, File(description="映射文件 / mapping YAML (optional)")] = None,
    mode: Annotated[Literal["full", "append", "upsert"], Form(description="full | append | upsert")] = "full",
    no_quality: Annotated[
        bool,
        Form(
            description="跳过质量评估（有质量门槛的资源则暂不发布）/ skip the quality evaluation "
            "(a resource with a quality gate then keeps the version held)"
        ),
    ] = False,
) -> LoadResult:
    """Runs the load synchronously and answers its report: 201 when the new version is current,
    200 when it was kept but not published — held by the resource's quality gate, or every row
    quarantined —, with the bilingual reason in ``hold_reason`` and the gate's verdict in
    ``quality_status`` (passed | held | failed | skipped)."""
    from shuzhi._yaml import load_yaml, validate_model
    from shuzhi.catalog import get_resource
    from shuzhi.ingest import MappingSpec
    from shuzhi.ingest._cleanse import validate_mapping

    assert mode in MODES
    folder = ws.tmp / "uploads" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    try:
        spec_map: MappingSpec | None = None
        name: str | None = None
        if mapping is not None:
            name = Path(mapping.filename or "mapping.yaml").name
            raw = mapping.file.read()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as e:
                raise errors.DataError(
                    f"映射文件须为 UTF-8 编码 / a mapping file must be UTF-8 ({e.reason} at byte {e.start})",
                    file=name,
                ) from None
            doc = load_yaml(name, text=text)
            spec_map = validate_model(MappingSpec, doc)
            validate_mapping(get_resource(ws, code).spec, spec_map, file=name, doc=doc)
        path = _save(file, folder)
        result = ingest(
            ws,
            code,
            path,
            mapping=spec_map,
            mode=mode,
            loaded_by=user,
            quality=not no_quality,
            source_name=path.name,
            mapping_name=name,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not result.published:
        response.status_code = 200
    # the version's folder as the versions list gives it (relative to the warehouse): the
    # server's own paths are not the client's business
    return result.model_copy(update={"path": Path(result.path).relative_to(ws.warehouse).as_posix()})


@router.get("/versions", response_model=VersionListPublic, summary="版本列表 / versions", responses=NOT_FOUND)
def get_versions(code: str, ws: WorkspaceDep) -> VersionListPublic:
    versions = list_versions(ws, code)
    current = next((v.number for v in versions if v.current), None)
    return VersionListPublic(resource=code, current=current, versions=versions)


@router.get(
    "/jobs",
    response_model=list[JobEntry],
    summary="加载与发布记录（含失败的加载、每一次人工发布），从新到旧 / the job log: loads (failed ones "
    "too) and every publication by hand, newest first",
    responses=NOT_FOUND,
)
def get_jobs(
    code: str, ws: WorkspaceDep, limit: Annotated[int, Query(ge=1, le=10_000)] = 100
) -> list[JobEntry]:
    return job_log(ws, code, limit=limit)


@router.get(
    "/versions/{n}",
    response_model=VersionInfo,
    summary="版本信息 / a version's record (n: number, current or latest)",
    responses=NOT_FOUND,
)
def get_one_version(code: str, n: str, ws: WorkspaceDep) -> VersionInfo:
    return get_version(ws, code, _number(ws, code, n))


class VerifyPublic(BaseModel):
    resource: str
    version: int
    intact: bool = Field(
        description="数据文件齐全且与记录的校验和一致 / the data files are all there and match the "
        "recorded checksum"
    )
    checksum: str = Field(description="记录的校验和 / the recorded checksum")
    problem: str | None = Field(description="不一致时的说明 / what is wrong, when not intact")


@router.get(
    "/versions/{n}/verify",
    response_model=VerifyPublic,
    summary="核对版本数据文件的校验和 / check a version's data files against their checksum",
    responses=NOT_FOUND,
)
def get_verify(code: str, n: str, ws: WorkspaceDep) -> VerifyPublic:
    """As ``shuzhi versions RES --verify``, for any version (n: number, current or latest). A
    version whose files were changed or removed answers 200 with ``intact: false`` and the
    problem: the check ran, its finding is the answer."""
    v = get_version(ws, code, _number(ws, code, n))
    try:
        verify_version(ws, code, v.number)
    except errors.DataError as e:
        return VerifyPublic(
            resource=code, version=v.number, intact=False, checksum=v.checksum, problem=e.message
        )
    return VerifyPublic(resource=code, version=v.number, intact=True, checksum=v.checksum, problem=None)


class PublishRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a mistyped key is an error, not ignored

    reason: str = Field(min_length=1, description="发布理由（记录在案）/ why it is published (recorded)")


@router.post(
    "/versions/{n}/publish",
    response_model=PublishResult,
    summary="发布暂缓的版本为当前版本 / make a held (or earlier) version current",
    responses={**NOT_FOUND, **_CONFLICT},
)
def post_publish(
    code: str, n: NumberPath, body: PublishRequest, ws: WorkspaceDep, user: UserDep
) -> PublishResult:
    """Checks the version's files against their checksum, moves the current pointer to it and
    records who (``X-Shuzhi-User``), when and why. 409 when it is already current or a load is
    running."""
    return publish_version(ws, code, n, reason=body.reason, by=user)


@router.get(
    "/versions/{n}/rows",
    response_model=RowsPublic,
    summary="版本数据 / rows of a version",
    responses=NOT_FOUND,
)
def get_rows(
    code: str,
    n: str,
    ws: WorkspaceDep,
    limit: Annotated[int, Query(ge=0, le=10_000)] = 100,
    offset: OffsetQuery = 0,
) -> RowsPublic:
    v, rows = version_rows(ws, code, _number(ws, code, n), limit=limit, offset=offset)
    return RowsPublic(
        resource=code, version=v.number, total=v.rows_total, limit=limit, offset=offset, rows=rows
    )


@router.get(
    "/diff",
    response_model=VersionDiff,
    summary="比较两个版本 / compare two versions by key",
    responses=NOT_FOUND,
)
def get_diff(
    code: str,
    ws: WorkspaceDep,
    from_: Annotated[int, Query(alias="from", ge=0, le=MAX_NUMBER, description="旧版本 / the older version")],
    to: Annotated[int, Query(ge=0, le=MAX_NUMBER, description="新版本 / the newer version")],
    sample: Annotated[int, Query(ge=0, le=1000)] = 10,
) -> VersionDiff:
    return diff(ws, code, from_, to, sample=sample)


@router.get(
    "/versions/{n}/quarantine",
    response_model=QuarantineView,
    summary="隔离区 / the rows a load quarantined",
    responses=NOT_FOUND,
)
def get_quarantine(
    code: str,
    n: str,
    ws: WorkspaceDep,
    limit: Annotated[int, Query(ge=0, le=10_000)] = 100,
    offset: OffsetQuery = 0,
    rule: Annotated[
        str | None, Query(description="规则、信息项或原因代码 / a rule, field or reason code")
    ] = None,
) -> QuarantineView:
    return quarantine(ws, code, _number(ws, code, n), limit=limit, offset=offset, rule=rule)


def _download(
    ws: Workspace, code: str, n: str, suffix: str, rule: str | None, lang: Literal["zh", "en"]
) -> FileResponse:
    number = _number(ws, code, n)
    folder = ws.tmp / "exports" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    version = get_version(ws, code, number).number if number is not None else None
    label = f"v{version}" if version is not None else "current"
    path = folder / f"{code}-{label}-quarantine{suffix}"
    try:
        export_quarantine(ws, code, number, path, rule=rule, lang=lang)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    media = (
        "text/csv; charset=utf-8"
        if suffix == ".csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return FileResponse(
        path,
        media_type=media,
        filename=path.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


_FILE = {200: {"description": "file download"}, **NOT_FOUND}


@router.get(
    "/versions/{n}/quarantine.csv",
    response_class=FileResponse,
    summary="下载隔离区 CSV / download the quarantine as CSV (UTF-8 with BOM)",
    responses=_FILE,
)
def get_quarantine_csv(
    code: str,
    n: str,
    ws: WorkspaceDep,
    rule: str | None = None,
    lang: Literal["zh", "en"] = "zh",
) -> FileResponse:
    return _download(ws, code, n, ".csv", rule, lang)


@router.get(
    "/versions/{n}/quarantine.xlsx",
    response_class=FileResponse,
    summary="下载隔离区 Excel / download the quarantine as an Excel workbook",
    responses=_FILE,
)
def get_quarantine_xlsx(
    code: str,
    n: str,
    ws: WorkspaceDep,
    rule: str | None = None,
    lang: Literal["zh", "en"] = "zh",
) -> FileResponse:
    return _download(ws, code, n, ".xlsx", rule, lang)
