"""``/api/v1/catalog``: the data resource catalog (政务数据资源目录) — declare, read, search, export.

Who made a change is taken from the ``X-Shuzhi-User`` header until accounts exist, and kept in
each entry's history. HTTP headers are ASCII: send a Chinese name percent-encoded
(``%E5%BC%A0%E4%B8%89`` for 张三); raw UTF-8 bytes are accepted too.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from shuzhi.catalog import (
    CatalogEntry,
    DeclareReport,
    DepartmentSpec,
    ResourceSpec,
    complete_department,
    declare,
    declare_text,
    department_history,
    export_dcat,
    get_resource,
    history,
    list_departments,
    list_resources,
    restore,
    retire,
    search,
)
from shuzhi.errors import ValidationError
from shuzhi.web._errors import ERROR_RESPONSES, NOT_FOUND, ErrorPublic
from shuzhi.web.api.deps import LangDep, OffsetQuery, StrictRoute, UserDep, WorkspaceDep
from shuzhi.workspace import Workspace

__all__ = ["TAG", "router"]

TAG = {
    "name": "catalog",
    "description": "政务数据资源目录：资源、信息项、共享与开放属性、部门、修订历史、DCAT 导出 / "
    "the data resource catalog: resources, fields, sharing, departments, history, DCAT export",
}

#: content types ``POST /catalog/import`` reads as YAML
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")

router = APIRouter(prefix="/catalog", tags=["catalog"], route_class=StrictRoute)

_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorPublic, "description": "与当前状态冲突 / conflicts with the current state"}
}


# -- models ---------------------------------------------------------------------------------------


class ResourcePublic(ResourceSpec):
    """A catalog entry: the declaration plus its labels and bookkeeping."""

    department_name: str = Field(description="提供部门名称 / provider department's name")
    labels: dict[str, Any] = Field(description="枚举值的标签（所选语言）/ labels of the enumerated values")
    revision: int = Field(description="修订号，每次修改加一 / revision, +1 on every change")
    current_version: int | None = Field(description="当前数据版本 / current data version (null: none loaded)")
    retired: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    retired_at: dt.datetime | None
    created_by: str | None
    updated_by: str | None


class ResourceListPublic(BaseModel):
    count: int = Field(description="符合条件的资源总数 / resources matching the filters, all pages")
    offset: int = 0
    limit: int | None = Field(default=None, description="每页条数（缺省：全部）/ page size (default: all)")
    resources: list[ResourcePublic]


class SearchPublic(BaseModel):
    query: str
    count: int
    resources: list[ResourcePublic] = Field(description="best match first")


class ResourceChangePublic(BaseModel):
    action: Literal["created", "updated", "unchanged"]
    revision: int
    warnings: list[str]
    resource: ResourcePublic


class _RevisionPublic(BaseModel):
    revision: int
    changes: dict[str, Any] = Field(description="路径 → [旧值, 新值] / path -> [old, new]")
    changed_by: str | None
    changed_at: dt.datetime
    comment: str | None


class HistoryPublic(_RevisionPublic):
    action: str = Field(description="created | updated | retired | restored")
    spec: ResourceSpec = Field(description="修改后的声明 / the declaration after the change")


class HistoryListPublic(BaseModel):
    code: str
    history: list[HistoryPublic] = Field(description="oldest first")


class DepartmentHistoryPublic(_RevisionPublic):
    action: str = Field(description="created | updated")
    spec: DepartmentSpec = Field(
        description="修改后的部门（name、name_en、parent）/ the department after the change"
    )


class DepartmentHistoryListPublic(BaseModel):
    code: str
    history: list[DepartmentHistoryPublic] = Field(description="oldest first")


class DepartmentPublic(BaseModel):
    code: str
    name: str
    name_en: str | None
    parent: str | None
    resources: int = Field(description="未撤销的资源数 / unretired resources")
    created_at: dt.datetime


class DepartmentListPublic(BaseModel):
    departments: list[DepartmentPublic]


class DepartmentChangePublic(BaseModel):
    action: Literal["created", "updated", "unchanged"]
    department: DepartmentPublic


class DeclareReportPublic(BaseModel):
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    departments_created: list[str]
    departments_updated: list[str]
    revisions: dict[str, int]
    warnings: list[str]


# -- dependencies ---------------------------------------------------------------------------------


def _declare_body(
    ws: Workspace, spec: ResourceSpec | DepartmentSpec, user: str | None, *, comment: str | None = None
) -> DeclareReport:
    """Declare one spec from a request body; problems are keyed like FastAPI's (``body.department``)."""
    try:
        return declare(ws, spec, by=user, comment=comment)
    except ValidationError as e:
        raise ValidationError({f"body.{k}": v for k, v in e.errors.items()}) from None


def _public(entry: CatalogEntry, lang: str) -> dict[str, Any]:
    return entry.to_dict(lang)


def _change(ws: Workspace, report: DeclareReport, code: str, lang: str, response: Response) -> dict[str, Any]:
    action = "created" if code in report.created else "updated" if code in report.updated else "unchanged"
    response.status_code = 201 if action == "created" else 200
    return {
        "action": action,
        "revision": report.revisions[code],
        "warnings": report.warnings,
        "resource": _public(get_resource(ws, code), lang),
    }


# -- resources ------------------------------------------------------------------------------------


@router.get("/resources", response_model=ResourceListPublic, summary="资源列表 / list resources")
def list_resources_route(
    ws: WorkspaceDep,
    lang: LangDep,
    department: Annotated[str | None, Query(description="部门代码（含下级）/ department code")] = None,
    sharing: Annotated[str | None, Query(description="共享类型 / unconditional | conditional | none")] = None,
    open: Annotated[str | None, Query(description="开放类型 / open | conditional | closed")] = None,
    grade: Annotated[str | None, Query(description="数据分级 / general | important | core")] = None,
    kind: Annotated[str | None, Query(description="目录类别 / base | thematic | departmental")] = None,
    standard: Annotated[
        str | None, Query(description="含该标准的信息项 / with a field of this standard")
    ] = None,
    q: Annotated[str | None, Query(description="文字筛选 / text filter")] = None,
    include_retired: Annotated[bool, Query(description="包括已撤销 / include retired")] = False,
    limit: Annotated[
        int | None, Query(ge=1, le=10_000, description="每页条数（缺省：全部）/ page size (default: all)")
    ] = None,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    found = list_resources(
        ws,
        department=department,
        sharing=sharing,
        open=open,
        grade=grade,
        kind=kind,
        standard=standard,
        q=q,
        include_retired=include_retired,
    )
    page = found[offset : None if limit is None else offset + limit]
    return {
        "count": len(found),
        "offset": offset,
        "limit": limit,
        "resources": [_public(e, lang) for e in page],
    }


@router.post(
    "/resources",
    response_model=ResourceChangePublic,
    status_code=201,
    responses={200: {"description": "已更新或未变 / updated or unchanged", "model": ResourceChangePublic}},
    summary="新建或修改资源 / create or update a resource",
)
def post_resource(
    spec: ResourceSpec, ws: WorkspaceDep, lang: LangDep, response: Response, user: UserDep
) -> dict[str, Any]:
    """201 when the resource is new, 200 when it was updated (a new revision) or is unchanged."""
    report = _declare_body(ws, spec, user)
    return _change(ws, report, spec.code, lang, response)


@router.get(
    "/resources/{code}", response_model=ResourcePublic, responses=NOT_FOUND, summary="资源详情 / one resource"
)
def get_resource_route(code: str, ws: WorkspaceDep, lang: LangDep) -> dict[str, Any]:
    return _public(get_resource(ws, code), lang)


@router.put(
    "/resources/{code}",
    response_model=ResourceChangePublic,
    responses={201: {"description": "已新建 / created", "model": ResourceChangePublic}},
    summary="写入资源 / create or replace a resource",
)
def put_resource(
    code: str,
    spec: ResourceSpec,
    ws: WorkspaceDep,
    lang: LangDep,
    response: Response,
    user: UserDep,
) -> dict[str, Any]:
    """The body's ``code`` must be the one in the path."""
    if spec.code != code:
        raise ValidationError({"body.code": [f"与路径不一致 / body says {spec.code!r}, the path {code!r}"]})
    report = _declare_body(ws, spec, user)
    return _change(ws, report, code, lang, response)


@router.delete(
    "/resources/{code}",
    response_model=ResourcePublic,
    responses={**NOT_FOUND, **_CONFLICT},
    summary="撤销资源 / retire a resource",
)
def delete_resource(
    code: str,
    reason: Annotated[str, Query(min_length=1, description="撤销原因 / why it is retired")],
    ws: WorkspaceDep,
    lang: LangDep,
    user: UserDep,
) -> dict[str, Any]:
    """Retires the entry (it leaves lists and searches); its history and data versions stay."""
    return _public(retire(ws, code, by=user, reason=reason), lang)


@router.post(
    "/resources/{code}/restore",
    response_model=ResourcePublic,
    responses={**NOT_FOUND, **_CONFLICT},
    summary="恢复已撤销的资源 / restore a retired resource",
)
def restore_resource(
    code: str,
    ws: WorkspaceDep,
    lang: LangDep,
    user: UserDep,
    comment: Annotated[str | None, Query(description="说明 / comment")] = None,
) -> dict[str, Any]:
    return _public(restore(ws, code, by=user, comment=comment), lang)


@router.get(
    "/resources/{code}/history",
    response_model=HistoryListPublic,
    responses=NOT_FOUND,
    summary="修订历史 / history of a resource",
)
def resource_history(code: str, ws: WorkspaceDep) -> dict[str, Any]:
    return {"code": code, "history": [h.to_dict() for h in history(ws, code)]}


@router.get("/search", response_model=SearchPublic, summary="检索 / search resources")
def search_route(
    q: Annotated[
        str, Query(min_length=1, description="中文、拼音、首字母、代码 / Chinese, pinyin, initials, code")
    ],
    ws: WorkspaceDep,
    lang: LangDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    include_retired: bool = False,
) -> dict[str, Any]:
    """Every word must occur; best match first: exact code, name, pinyin or initials of the name,
    then anything else (summary, tags, field labels, department)."""
    found = search(ws, q, limit=limit, include_retired=include_retired)
    return {"query": q, "count": len(found), "resources": [_public(e, lang) for e in found]}


# -- departments ----------------------------------------------------------------------------------


@router.get("/departments", response_model=DepartmentListPublic, summary="部门列表 / departments")
def departments(ws: WorkspaceDep) -> dict[str, Any]:
    return {"departments": [d.to_dict() for d in list_departments(ws)]}


@router.post(
    "/departments",
    response_model=DepartmentChangePublic,
    status_code=201,
    responses={200: {"description": "已更新或未变 / updated or unchanged", "model": DepartmentChangePublic}},
    summary="新建或修改部门 / create or update a department",
)
def post_department(
    spec: DepartmentSpec,
    ws: WorkspaceDep,
    response: Response,
    user: UserDep,
    comment: Annotated[str | None, Query(description="修改说明（记入历史）/ comment for the history")] = None,
) -> dict[str, Any]:
    """An existing department keeps the attributes the body leaves out (``name_en``, ``parent``;
    ``null`` clears one): renaming it does not move it out from under its parent."""
    report = _declare_body(ws, complete_department(ws, spec, spec.model_fields_set), user, comment=comment)
    if spec.code in report.departments_created:
        action = "created"
    else:
        action = "updated" if spec.code in report.departments_updated else "unchanged"
        response.status_code = 200
    found = next(d for d in list_departments(ws) if d.code == spec.code)
    return {"action": action, "department": found.to_dict()}


@router.get(
    "/departments/{code}/history",
    response_model=DepartmentHistoryListPublic,
    responses=NOT_FOUND,
    summary="部门修订历史（更名、英文名、上级）/ history of a department: name, English name, parent",
)
def department_history_route(code: str, ws: WorkspaceDep) -> dict[str, Any]:
    return {"code": code, "history": [h.to_dict() for h in department_history(ws, code)]}


# -- import and export ----------------------------------------------------------------------------


@router.get(
    "/dcat",
    response_class=JSONResponse,
    responses={
        200: {"content": {"application/ld+json": {}}, "description": "DCAT JSON-LD"},
        **NOT_FOUND,
    },
    summary="DCAT 导出 / the catalog as DCAT JSON-LD",
)
def dcat(
    ws: WorkspaceDep,
    code: Annotated[list[str] | None, Query(description="只导出这些资源 / only these resources")] = None,
    base_uri: Annotated[str | None, Query(description="IRI 前缀 / IRI prefix")] = None,
) -> Response:
    doc = export_dcat(ws, code or None, base_uri=base_uri)
    return Response(json.dumps(doc, ensure_ascii=False), media_type="application/ld+json")


@router.post(
    "/import",
    response_model=DeclareReportPublic,
    responses={
        201: {
            "model": DeclareReportPublic,
            "description": "新建了资源或部门 / created resources or departments",
        },
        415: {"model": ErrorPublic, "description": "须为 YAML / not YAML"},
        **ERROR_RESPONSES,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {t: {"schema": {"type": "string"}} for t in ("application/yaml", "text/plain")},
            "description": "目录 YAML（与 `shuzhi catalog add` 的文件相同）/ a catalog YAML file's text",
        }
    },
    summary="导入目录 YAML / declare a catalog YAML",
)
async def import_catalog(
    request: Request, response: Response, ws: WorkspaceDep, user: UserDep
) -> dict[str, Any]:
    """Declares the departments and resources of a catalog YAML, all or none; errors name
    ``request:LINE key``. 201 when it created a resource or a department (as ``POST
    /catalog/resources`` does), 200 when it only updated or found everything unchanged."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in YAML_TYPES:
        raise HTTPException(415, f"须为 YAML / send YAML ({', '.join(YAML_TYPES)}), not {media or 'nothing'}")
    body = await request.body()  # 413 beyond the app's MAX_BODY_BYTES
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValidationError(
            {"request": [f"须为 UTF-8 编码 / must be UTF-8 ({e.reason} at byte {e.start})"]}
        ) from None
    report = await run_in_threadpool(declare_text, ws, text, name="request", by=user)
    if report.created or report.departments_created:
        response.status_code = 201
    return report.to_dict()
