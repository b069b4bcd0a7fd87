"""Dependencies shared by the routers, as ``Annotated`` aliases."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal
from urllib.parse import unquote

from fastapi import Depends, Header, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.routing import APIRoute

from shuzhi.errors import ConfigError, ValidationError
from shuzhi.web._checkers import CheckerPool
from shuzhi.web._errors import DuplicateKey, route_params
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


#: the largest request body (JSON, a catalog file) the API reads: 413 beyond, before any of it
#: is stored (a 6 MB summary was stored and repeated in every list)
MAX_BODY_BYTES = 5 * 1024 * 1024
#: the largest upload of a data file to load (the whole multipart request)
MAX_UPLOAD_BYTES = 8 * 1024**3
#: the longest name ``X-Shuzhi-User`` may give: what the store keeps of who made a change (longer
#: names were cut there silently)
MAX_USER_LENGTH = 100

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
            raise ValidationError(
                {
                    "header.X-Shuzhi-User": [
                        f"百分号编码无效（不是 UTF-8）：{header!r} / invalid percent-encoding (not UTF-8)"
                    ]
                }
            ) from None
        if len(header) > MAX_USER_LENGTH:
            raise ValidationError(
                {
                    "header.X-Shuzhi-User": [
                        f"操作人过长：{len(header)} 个字符，上限 {MAX_USER_LENGTH} / too long: "
                        f"{len(header)} characters, at most {MAX_USER_LENGTH}"
                    ]
                }
            )
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


async def known_parameters(request: Request) -> None:
    """Refuse query parameters and form fields the route does not take, and a form field sent
    twice: a misspelt filter (``?deparment=JC-MZ``) was ignored and answered with everything, a
    misspelt ``-F maping=@m.yaml`` loaded the file without its mapping, a second ``file`` part
    was dropped."""
    params = route_params(request)
    problems: dict[str, list[str]] = {}
    declared = sorted(n for n, part in params.items() if part == "query")
    known = ", ".join(declared) or "无 / none"
    for k in dict.fromkeys(request.query_params.keys()):
        if k not in declared:
            problems[f"query.{k}"] = [f"未知参数 / unknown parameter {k!r}; 可用 / known: {known}"]
    if _takes_form(request):
        form = await request.form()  # parsed already for the route (Starlette keeps it)
        fields = sorted(n for n, part in params.items() if part == "body")
        for k in dict.fromkeys(form.keys()):
            if k not in fields:
                problems[f"body.{k}"] = [
                    f"未知的表单字段 / unknown form field {k!r}; 可用 / known: {', '.join(fields)}"
                ]
            elif len(form.getlist(k)) > 1:
                problems[f"body.{k}"] = [f"表单字段 {k} 只能给一次 / form field {k!r} given more than once"]
    if problems:
        raise ValidationError(problems)


def _takes_form(request: Request) -> bool:
    """Whether the route reads a form (file uploads, form fields) and the request sends one."""
    route = request.scope.get("route")
    body = getattr(getattr(route, "dependant", None), "body_params", None) or []
    takes = any(type(getattr(p, "field_info", None)).__name__ in ("File", "Form") for p in body)
    sent = request.headers.get("content-type", "").startswith(
        ("multipart/form-data", "application/x-www-form-urlencoded")
    )
    return takes and sent


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(key)
        out[key] = value
    return out


class _StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json.loads(await self.body(), object_pairs_hook=_no_duplicates)
        return self._json


class StrictRoute(APIRoute):
    """Routes whose JSON bodies refuse a key written twice (``{"name": "甲", "name": "乙"}`` kept
    乙 without a word; a catalog YAML with the same mistake is refused)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handle(_StrictJSONRequest(request.scope, request.receive))

        return strict
