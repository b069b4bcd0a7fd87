"""``GET /api/v1/health``: is the server up, and can it reach its store?"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

import shuzhi
from shuzhi.web.api.deps import OptionalWorkspaceDep, StrictRoute

__all__ = ["TAG", "router"]

TAG = {"name": "health", "description": "健康检查 / liveness and store status"}

router = APIRouter(tags=["health"], route_class=StrictRoute)


class HealthPublic(BaseModel):
    status: Literal["ok", "degraded", "unavailable"] = Field(
        description="ok; degraded: the store's schema is not this version's (run `shuzhi migrate`); "
        "unavailable: the store cannot be reached (HTTP 503)"
    )
    version: str = Field(description="shuzhi version")
    workspace: str | None = Field(description="工作区名称 / workspace name (null: none opened)")
    store_reachable: bool | None = Field(description="元数据库可连接 / store reachable (null: no workspace)")
    schema_revision: str | None = Field(description="元数据库结构版本 / store schema revision")
    schema_head: str = Field(description="the schema revision this version expects")


@router.get("/health", response_model=HealthPublic, summary="健康检查 / health")
def health(ws: OptionalWorkspaceDep, response: Response) -> HealthPublic:
    from shuzhi.store import head_revision

    if ws is None:
        return HealthPublic(
            status="ok",
            version=shuzhi.__version__,
            workspace=None,
            store_reachable=None,
            schema_revision=None,
            schema_head=head_revision(),
        )
    st = ws.store_status()
    status: Literal["ok", "degraded", "unavailable"]
    status = "ok" if st["up_to_date"] else "degraded" if st["reachable"] else "unavailable"
    if status == "unavailable":
        response.status_code = 503
    return HealthPublic(
        status=status,
        version=shuzhi.__version__,
        workspace=ws.name,
        store_reachable=st["reachable"],
        schema_revision=st["revision"],
        schema_head=st["head"],
    )
