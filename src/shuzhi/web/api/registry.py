"""``/api/v1/registry``: the base registries (人口库、法人库) — build, update, look up, figures,
history, export.

Look-ups accept a registry identifier (``P000000000001`` a person, ``E000000000001`` a legal
entity), a citizen ID in any written form, a name with a date of birth (``张伟 1990-03-07``), a
unified social credit code in any written form, an old organisation code, or an organisation's
name; the registry is told from the query unless ``entity`` says which. Building is synchronous:
the request returns the run's summary when the run is done (or refused over the pair budget,
409). ``POST /update`` compares only the new and changed records of the resources named (all by
default) with the previous run's model. ``GET /export/crosswalk`` and ``/export/golden`` return
the files of ``shuzhi registry export``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from shuzhi.catalog.spec import CODE_PATTERN
from shuzhi.errors import ValidationError
from shuzhi.registry import (
    build,
    build_all,
    decide,
    decide_pair,
    export,
    lookup,
    review_queue,
    split_record,
    stats,
    update,
)
from shuzhi.web._errors import ERROR_RESPONSES, NOT_FOUND, ErrorPublic
from shuzhi.web.api.deps import NumberPath, OffsetQuery, StrictRoute, UserDep, WorkspaceDep

__all__ = ["TAG", "router"]

TAG = {
    "name": "registry",
    "description": "基础库（人口库、法人库）：构建、按标识/身份证号/姓名加出生日期/信用代码/单位名称查询、"
    "统计、导出 / "
    "the base registries (persons, legal entities): build, look up by registry id, citizen ID, name "
    "and birth date, credit code or organisation name, figures, export",
}

router = APIRouter(prefix="/registry", tags=["registry"], route_class=StrictRoute)

_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorPublic,
        "description": "超出比对预算，将注销过半标识，或另一构建正在运行 / over the pair budget, "
        "would retire most identifiers, or another build runs",
    }
}


_ENTITIES = {"person": "person", "legal_entity": "legal_entity", "entity": "legal_entity"}
_ENTITY_DOC = "person（人口库）| legal_entity（法人库）"


def _kind(value: str | None, *, allow_all: bool = False) -> str | None:
    if value is None or (allow_all and value == "all"):
        return value
    if value not in _ENTITIES:
        from shuzhi.errors import ValidationError

        raise ValidationError({"entity": [f"应为 {_ENTITY_DOC} / person or legal_entity, not {value!r}"]})
    return _ENTITIES[value]


class BuildRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a mistyped key is an error, not ignored

    entity: str = Field(
        default="person",
        description="person（人口库）| legal_entity（法人库）| all（两者，先人口库；仅 build）",
    )
    resources: list[str] | None = Field(
        default=None,
        description="重新读取这些资源的当前版本，其余资源沿用当前库所读的版本 / read these resources' "
        "current versions again; the others at the versions the current registry read",
    )
    allow_retire: bool = Field(
        default=False,
        description="允许注销过半的标识（否则拒绝运行）/ let the run retire more than half of the "
        "identifiers (refused otherwise)",
    )


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
    represents: list[dict[str, Any]] = Field(
        default_factory=list,
        description="人员担任法定代表人的法人 / the legal entities a person represents",
    )
    branches: list[dict[str, Any]] = Field(
        default_factory=list, description="法人的分支机构 / a legal entity's branches"
    )


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
    kind = _kind(body.entity, allow_all=True)
    if kind == "all":
        runs = build_all(ws, resources=body.resources, allow_retire=body.allow_retire)
        return {"runs": [s.to_dict() for s in runs]}
    summary = build(ws, kind or "person", resources=body.resources, allow_retire=body.allow_retire)
    return summary.to_dict()


@router.post(
    "/update",
    summary="增量更新 / incremental update",
    responses={**ERROR_RESPONSES, **_CONFLICT},
)
def update_route(ws: WorkspaceDep, body: BuildRequest) -> dict[str, Any]:
    summary = update(
        ws, _kind(body.entity) or "person", resources=body.resources, allow_retire=body.allow_retire
    )
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
    entity: Annotated[
        str | None, Query(description=f"{_ENTITY_DOC}；默认按查询判断 / default: from the query")
    ] = None,
) -> dict[str, Any]:
    entries = lookup(ws, q, entity=_kind(entity))
    return {"query": q, "count": len(entries), "entries": [e.to_dict() for e in entries]}


@router.get(
    "/stats",
    summary="统计 / figures",
    responses={**ERROR_RESPONSES, **NOT_FOUND},
)
def stats_route(
    ws: WorkspaceDep, entity: Annotated[str, Query(description=_ENTITY_DOC)] = "person"
) -> dict[str, Any]:
    return stats(ws, entity=_kind(entity) or "person")


@router.get(
    "/export/{name}",
    summary="导出对照表或标准记录 / export the crosswalk or the golden records",
    responses={**ERROR_RESPONSES, **NOT_FOUND},
    response_class=FileResponse,
)
def export_route(
    ws: WorkspaceDep,
    name: Annotated[
        str,
        PathParam(
            pattern="^(crosswalk|golden)$",
            description="crosswalk（资源、记录键、登记标识）| golden（标准记录）",
        ),
    ],
    entity: Annotated[str, Query(description=_ENTITY_DOC)] = "person",
    format: Annotated[str, Query(pattern="^(csv|parquet)$", description="csv | parquet")] = "csv",
) -> FileResponse:
    import uuid

    kind = _kind(entity) or "person"
    folder = ws.tmp / "registry-export" / uuid.uuid4().hex[:12]
    files = export(ws, folder, format, entity=kind, overwrite=True)
    media = "text/csv; charset=utf-8" if format == "csv" else "application/vnd.apache.parquet"
    return FileResponse(files[name], media_type=media, filename=f"{kind}-{name}.{format}")


@contextmanager
def _body_errors() -> Iterator[None]:
    """A decision's problems keyed like FastAPI's own, by the request body's path
    (``body.decision``, ``body.right``), as the catalog routes do."""
    try:
        yield
    except ValidationError as e:
        raise ValidationError({f"body.{k}": v for k, v in e.errors.items()}) from None


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a mistyped key is an error, not ignored

    decision: str = Field(description="same（同一人）| different（不同的人）")
    note: str | None = None


@router.get("/reviews", summary="人工复核队列 / the clerical review queue", responses=ERROR_RESPONSES)
def reviews_route(
    ws: WorkspaceDep,
    status: Annotated[str, Query(description="pending | same | different | withdrawn | all")] = "pending",
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: OffsetQuery = 0,
    entity: Annotated[str, Query(description=_ENTITY_DOC)] = "person",
) -> dict[str, Any]:
    items = review_queue(
        ws,
        entity=_kind(entity) or "person",
        status=None if status == "all" else status,
        limit=limit,
        offset=offset,
    )
    return {"count": len(items), "items": [i.to_dict() for i in items]}


@router.post(
    "/reviews/{item}",
    summary="裁定一对记录 / decide a pair",
    responses={**ERROR_RESPONSES, **NOT_FOUND},
)
def decide_route(
    ws: WorkspaceDep,
    item: NumberPath,
    body: DecisionRequest,
    user: UserDep,
    entity: Annotated[str, Query(description=_ENTITY_DOC)] = "person",
) -> dict[str, Any]:
    kind = _kind(entity) or "person"  # a query parameter: its problem is not the body's
    with _body_errors():
        return decide(ws, item, body.decision, by=user, note=body.note, entity=kind).to_dict()


class RecordRef(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a mistyped key is an error, not ignored

    resource: str = Field(description="资源代码 / resource code", examples=["GA-HJ"], pattern=CODE_PATTERN)
    key: str = Field(
        description="记录键 / the record's key in that resource",
        examples=["110101199003071234"],
        min_length=1,
    )


class PairDecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a mistyped key is an error, not ignored

    left: RecordRef
    right: RecordRef
    decision: str = Field(description="same（同一人 / 同一法人）| different（不同的人 / 不同的法人）")
    note: str | None = None


class SplitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a mistyped key is an error, not ignored

    record: RecordRef = Field(description="要拆出的记录 / the record to take out")
    note: str | None = None


@router.post(
    "/decisions",
    summary="裁定任意两条记录（纠正漏并或错并）/ decide any two records (join a missed match, "
    "undo a wrong one)",
    responses={**ERROR_RESPONSES, **NOT_FOUND},
)
def pair_decision_route(
    ws: WorkspaceDep,
    body: PairDecisionRequest,
    user: UserDep,
    entity: Annotated[str, Query(description=_ENTITY_DOC)] = "person",
) -> dict[str, Any]:
    kind = _kind(entity) or "person"  # a query parameter: its problem is not the body's
    with _body_errors():
        return decide_pair(
            ws,
            (body.left.resource, body.left.key),
            (body.right.resource, body.right.key),
            body.decision,
            by=user,
            note=body.note,
            entity=kind,
        ).to_dict()


@router.post(
    "/{registry_id}/split",
    summary="把错并的记录拆出 / take a wrongly merged record out of a person or legal entity",
    responses={**ERROR_RESPONSES, **NOT_FOUND},
)
def split_route(
    ws: WorkspaceDep,
    registry_id: Annotated[
        str, PathParam(pattern=r"^[PE]\d{12}$", description="P（人员）或 E（法人）+ 12 digits")
    ],
    body: SplitRequest,
    user: UserDep,
) -> dict[str, Any]:
    with _body_errors():
        items = split_record(
            ws, registry_id, (body.record.resource, body.record.key), by=user, note=body.note
        )
    return {"count": len(items), "items": [i.to_dict() for i in items]}


@router.get(
    "/{registry_id}",
    response_model=EntryPublic,
    summary="按登记标识查看 / one person or legal entity by registry id",
    responses={**ERROR_RESPONSES, **NOT_FOUND},
)
def entry_route(
    ws: WorkspaceDep,
    registry_id: Annotated[
        str, PathParam(pattern=r"^[PE]\d{12}$", description="P（人员）或 E（法人）+ 12 digits")
    ],
) -> dict[str, Any]:
    from shuzhi.errors import NotFound

    entries = lookup(ws, registry_id)
    if not entries:
        raise NotFound("登记标识 / registry id", registry_id)
    return entries[0].to_dict()
