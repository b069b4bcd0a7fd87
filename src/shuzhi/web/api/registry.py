"""``/api/v1/registry``: the base registries (人口库) — build, update, look up, figures, history.

Look-ups accept a registry identifier (``P000000000001``), a citizen ID in any written form, or a
name with a date of birth (``张伟 1990-03-07``). Building is synchronous: the request returns the
run's summary when the run is done (or refused over the pair budget, 409). ``POST /update``
compares only the new and changed records of the resources named (all by default) with the
previous run's model.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from shuzhi.registry import build, decide, lookup, review_queue, stats, update
from shuzhi.web._errors import ERROR_RESPONSES, NOT_FOUND, ErrorPublic
from shuzhi.web.api.deps import WorkspaceDep

__all__ = ["TAG", "router"]

TAG = {
    "name": "registry",
    "description": "基础库（人口库）：构建、按标识/身份证号/姓名加出生日期查询、统计 / "
    "the base registries (persons): build, look up by registry id, citizen ID or name and birth date, "
    "figures",
}

router = APIRouter(prefix="/registry", tags=["registry"])

_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorPublic,
        "description": "超出比对预算，或另一构建正在运行 / over the pair budget, or another build runs",
    }
}


class BuildRequest(BaseModel):
    entity: str = Field(default="person", description="person (人口库)")
    resources: list[str] | None = Field(default=None, description="只用这些资源 / only these resource codes")


class EntryPublic(BaseModel):
    registry_id: str
    entity: str
    status: str = Field(description="active | merged | retired")
    merged_into: str | None
    redirected_from: str | None = Field(
        description="查询的标识已并入本标识 / the id asked for was merged into this one"
    )
    golden: dict[str, Any] = Field(description="标准记录 / the golden record")
    records: list[dict[str, Any]] = Field(description="来源记录 / every source record behind it")
    lineage: dict[str, list[dict[str, Any]]] = Field(
        description="字段 → 给出该值的记录 / field -> records giving the value"
    )
    conflicts: list[dict[str, Any]]
    history: list[dict[str, Any]] = Field(description="合并与拆分 / merges and splits")


class LookupPublic(BaseModel):
    query: str
    count: int
    entries: list[EntryPublic]


@router.post(
    "/build",
    summary="构建人口库 / build the registry",
    responses={**ERROR_RESPONSES, **_CONFLICT},
)
def build_route(ws: WorkspaceDep, body: BuildRequest) -> dict[str, Any]:
    summary = build(ws, body.entity, resources=body.resources)
    return summary.to_dict()


@router.post(
    "/update",
    summary="增量更新 / incremental update",
    responses={**ERROR_RESPONSES, **_CONFLICT},
)
def update_route(ws: WorkspaceDep, body: BuildRequest) -> dict[str, Any]:
    summary = update(ws, body.entity, resources=body.resources)
    return summary.to_dict()


@router.get(
    "/lookup",
    response_model=LookupPublic,
    summary="查询 / look up a person",
    responses={**ERROR_RESPONSES, **NOT_FOUND},
)
def lookup_route(
    ws: WorkspaceDep,
    q: Annotated[
        str,
        Query(
            description="登记标识、身份证号，或姓名加出生日期 / "
            "registry id, citizen ID, or name and birth date"
        ),
    ],
    entity: Annotated[str, Query(description="person")] = "person",
) -> dict[str, Any]:
    entries = lookup(ws, q, entity=entity)
    return {"query": q, "count": len(entries), "entries": [e.to_dict() for e in entries]}


@router.get(
    "/stats",
    summary="统计 / figures",
    responses={**ERROR_RESPONSES, **NOT_FOUND},
)
def stats_route(
    ws: WorkspaceDep, entity: Annotated[str, Query(description="person")] = "person"
) -> dict[str, Any]:
    return stats(ws, entity=entity)


class DecisionRequest(BaseModel):
    decision: str = Field(description="same（同一人）| different（不同的人）")
    note: str | None = None


@router.get("/reviews", summary="人工复核队列 / the clerical review queue", responses=ERROR_RESPONSES)
def reviews_route(
    ws: WorkspaceDep,
    status: Annotated[str, Query(description="pending | same | different | all")] = "pending",
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    entity: Annotated[str, Query(description="person")] = "person",
) -> dict[str, Any]:
    items = review_queue(
        ws, entity=entity, status=None if status == "all" else status, limit=limit, offset=offset
    )
    return {"count": len(items), "items": [i.to_dict() for i in items]}


@router.post(
    "/reviews/{item}",
    summary="裁定一对记录 / decide a pair",
    responses={**ERROR_RESPONSES, **NOT_FOUND},
)
def decide_route(
    ws: WorkspaceDep,
    item: int,
    body: DecisionRequest,
    user: Annotated[str | None, Header(alias="X-Shuzhi-User", description="裁定人 / who decides")] = None,
) -> dict[str, Any]:
    return decide(ws, item, body.decision, by=user, note=body.note).to_dict()


@router.get(
    "/{registry_id}",
    response_model=EntryPublic,
    summary="按登记标识查看 / one person by registry id",
    responses={**ERROR_RESPONSES, **NOT_FOUND},
)
def entry_route(
    ws: WorkspaceDep,
    registry_id: Annotated[str, PathParam(pattern=r"^[PL]\d{12}$", description="P + 12 digits")],
) -> dict[str, Any]:
    from shuzhi.errors import NotFound

    entries = lookup(ws, registry_id)
    if not entries:
        raise NotFound("登记标识 / registry id", registry_id)
    return entries[0].to_dict()
