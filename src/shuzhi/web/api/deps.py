"""Dependencies shared by the routers, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query, Request

from shuzhi.errors import ConfigError
from shuzhi.web._checkers import CheckerPool
from shuzhi.workspace import Workspace

__all__ = ["CheckersDep", "Lang", "LangDep", "OptionalWorkspaceDep", "WorkspaceDep"]

Lang = Literal["zh", "en"]


def optional_workspace(request: Request) -> Workspace | None:
    ws: Workspace | None = request.app.state.workspace
    return ws


def workspace(request: Request) -> Workspace:
    ws: Workspace | None = request.app.state.workspace
    if ws is None:
        raise ConfigError(
            "服务未打开工作区 / the server runs without a workspace: start it with --workspace DIR"
        )
    return ws


def lang(
    request: Request,
    lang: Annotated[Lang | None, Query(description="消息语言 / language of messages: zh | en")] = None,
) -> Lang:
    if lang is not None:
        return lang
    ws: Workspace | None = request.app.state.workspace
    return ws.config.ui.language if ws is not None else "zh"


def checkers(request: Request) -> CheckerPool:
    pool: CheckerPool = request.app.state.checkers
    return pool


OptionalWorkspaceDep = Annotated[Workspace | None, Depends(optional_workspace)]
WorkspaceDep = Annotated[Workspace, Depends(workspace)]
LangDep = Annotated[Lang, Depends(lang)]
CheckersDep = Annotated[CheckerPool, Depends(checkers)]
