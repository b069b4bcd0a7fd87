"""Dependencies shared by the routers, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import unquote

from fastapi import Depends, Header, Query, Request
from fastapi import Path as PathParam

from shuzhi.errors import ConfigError
from shuzhi.web._checkers import CheckerPool
from shuzhi.workspace import Workspace

__all__ = ["ANONYMOUS", "CheckersDep", "Lang", "LangDep", "OptionalWorkspaceDep", "UserDep", "WorkspaceDep"]

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


#: who a request without ``X-Shuzhi-User`` is recorded as (never the server's own OS account)
ANONYMOUS = "anonymous"


def user(
    header: Annotated[
        str | None,
        Header(
            alias="X-Shuzhi-User",
            description="操作人，记入版本、修订历史与发布记录（可百分号编码；缺省记为 anonymous）/ who "
            "acts, recorded on versions, history and publications (percent-encoded; anonymous "
            "when absent)",
        ),
    ] = None,
) -> str:
    """The user named by ``X-Shuzhi-User``: percent-decoded, or raw UTF-8 bytes read as such;
    :data:`ANONYMOUS` without one."""
    if header:
        try:
            header = header.encode("latin-1").decode("utf-8")
        except UnicodeError:
            pass
        try:
            header = unquote(header, errors="strict").strip()
        except UnicodeDecodeError:  # was stored as "�" in the history
            from shuzhi.errors import ValidationError

            raise ValidationError(
                {
                    "header.X-Shuzhi-User": [
                        f"百分号编码无效（不是 UTF-8）：{header!r} / invalid percent-encoding (not UTF-8)"
                    ]
                }
            ) from None
    return header or ANONYMOUS


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
UserDep = Annotated[str, Depends(user)]


#: the largest version number, item id or row offset a request may name: a larger one overflowed
#: SQLite's and DuckDB's 64-bit integers and answered 500
MAX_NUMBER = 2**53
#: a version number or an item id in a path
NumberPath = Annotated[int, PathParam(ge=0, le=MAX_NUMBER)]
#: a row offset in a query
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_NUMBER)]
