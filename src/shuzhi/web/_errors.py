"""One error shape for every failure the API reports, built from :mod:`shuzhi.errors`.

``{"ok": false, "error": "<message>", "code": "<code>", "status": <http status>, "errors": {...}}``
(``errors``, field -> messages, only for validation errors).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shuzhi._yaml import is_union_tag, key_path, validation_message
from shuzhi.errors import ShuzhiError, ValidationError

__all__ = [
    "ERROR_RESPONSES",
    "NOT_FOUND",
    "BodyLimit",
    "BodyTooLarge",
    "DuplicateKey",
    "ErrorPublic",
    "error_response",
    "install_error_handlers",
    "route_params",
]

log = logging.getLogger("shuzhi.web")

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "not_authorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


class ErrorPublic(BaseModel):
    """Every error the API returns has this shape."""

    ok: Literal[False] = False
    error: str = Field(description="错误说明 / what went wrong")
    code: str = Field(
        description="stable code: not_found, validation, conflict, not_authorized, internal, ..."
    )
    status: int = Field(description="the HTTP status, repeated")
    errors: dict[str, list[str]] | None = Field(
        default=None, description="字段 → 问题 / field -> problems (validation errors only)"
    )


def _doc(description: str) -> dict[str, Any]:
    return {"model": ErrorPublic, "description": description}


#: error responses documented on every route (routes add their own 404/409 where they can occur)
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: _doc(
        "请求体过大（数据文件上传 8 GiB，其他 5 MiB）/ request body too large "
        "(8 GiB for a data file upload, else 5 MiB)"
    ),
    422: _doc("请求无效 / invalid request: `errors` maps each field to its problems"),
    500: _doc("服务器内部错误 / internal error"),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _doc("不存在 / not found")}


class _HTTPError(ShuzhiError):
    """A framework-level failure (unknown path, wrong method) in the shuzhi shape."""

    def __init__(self, message: str, *, status: int, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def error_response(exc: ShuzhiError) -> JSONResponse:
    """The one place an error becomes an HTTP response."""
    return JSONResponse(exc.to_dict(), status_code=exc.status)


async def _shuzhi_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ShuzhiError)
    if exc.status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, exc.message)
    return error_response(_as_said(request, exc))


def _as_said(request: Request, exc: ShuzhiError) -> ShuzhiError:
    """A domain validation error as the API says every 422: keyed where the request holds each
    parameter, the message beginning with :data:`_INVALID`."""
    if not isinstance(exc, ValidationError):
        return exc
    exc = _in_request_terms(request, exc)
    if exc.message.startswith(_INVALID):
        return exc
    said = ValidationError(exc.errors, _INVALID + _detail(exc.errors))  # whoever found the problem
    said.__cause__ = exc.__cause__
    return said


#: how every 422 of a request begins (the request's own validation and the domain's alike)
_INVALID = "请求无效 / invalid request — "


def _detail(errors: Mapping[str, Sequence[str]]) -> str:
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items())


_PARTS = ("body", "query", "path", "header", "request")


def route_params(request: Request) -> dict[str, str]:
    """The parameters the request's route takes, name -> where from (``path``, ``query``,
    ``body``; a body model's fields by name), its dependencies' included."""
    where: dict[str, str] = {}
    pending = [getattr(request.scope.get("route"), "dependant", None)]
    while pending:
        dependant = pending.pop()
        if dependant is None:
            continue
        for part, params in (("path", dependant.path_params), ("query", dependant.query_params)):
            for param in params:
                where.setdefault(param.alias, part)
        for param in dependant.body_params:
            model = param.field_info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel):
                for name, info in model.model_fields.items():
                    where.setdefault(info.alias or name, "body")
            else:
                where.setdefault(param.alias, "body")
        pending.extend(dependant.dependencies)
    return where


def _in_request_terms(request: Request, exc: ValidationError) -> ValidationError:
    """A domain error keyed by a parameter's bare name (``grade``, ``entity``) keyed as the
    request validation errors are: ``query.grade``, ``path.code``, ``body.entity`` — by where
    the route takes that parameter from. Keys that already say where, or that name no parameter
    of the route, are kept."""
    where = route_params(request)
    errors: dict[str, list[str]] = {}
    for key, problems in exc.errors.items():
        head = re.split(r"[.\[]", key, maxsplit=1)[0]
        if head not in _PARTS and head in where:
            key = f"{where[head]}.{key}"
        errors.setdefault(key, []).extend(problems)
    if list(errors) == list(exc.errors):
        return exc
    renamed = ValidationError(errors)
    renamed.__cause__ = exc.__cause__
    return renamed


async def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors: dict[str, list[str]] = {}
    for err in exc.errors():
        loc = err.get("loc", ())
        where = ""
        if err.get("type") == "json_invalid":  # (body, character offset): said as line and column
            where = _json_position(exc.body, loc[1] if len(loc) > 1 else None)
            loc = loc[:1]
        key = _request_key(loc, exc.body)
        if tuple(loc) == ("body",) and err.get("type") == "missing":  # no body at all
            message = "缺少请求体：应为 JSON 对象 / the request has no body: a JSON object is expected"
        elif "Expected UploadFile" in str(err.get("msg", "")) or (
            err.get("type") == "missing" and loc[:1] == ("body",) and _expects_files(request)
        ):
            # a form's text field, or a JSON body, where the route takes uploaded files
            name = str(loc[-1]) if len(loc) > 1 else "file"
            message = (
                f"应以文件上传：multipart/form-data 的文件部分（如 curl -F {name}=@文件名）/ must be "
                f"uploaded as a file: a file part of multipart/form-data (e.g. curl -F {name}=@path)"
            )
        else:
            model = _body_model(request) if loc[:1] == ("body",) else None
            message = validation_message(err, model, within=1) + where
        if message not in errors.setdefault(key, []):  # a union's members can say the same twice
            errors[key].append(message)
    return error_response(ValidationError(errors, _INVALID + _detail(errors)))


def _body_model(request: Request) -> type[BaseModel] | None:
    """The model a route validates its JSON body as (None when it takes no such body)."""
    body = getattr(getattr(request.scope.get("route"), "dependant", None), "body_params", None) or []
    model = body[0].field_info.annotation if len(body) == 1 else None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _json_position(body: Any, offset: Any) -> str:
    """`` (第 2 行第 5 列 / line 2, column 5)`` for a character offset into a JSON body."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if not isinstance(body, str) or not isinstance(offset, int) or not 0 <= offset <= len(body):
        return ""
    line = body.count("\n", 0, offset) + 1
    column = offset - (body.rfind("\n", 0, offset) + 1) + 1
    return f"（第 {line} 行第 {column} 列 / line {line}, column {column}）"


def _request_key(loc: Sequence[Any], body: Any) -> str:
    """Where in the request a problem is, as the client wrote it: ``body.quality.rules[1].min``
    (the part of the request, then the keys and indexes in it, as the declaration errors of
    ``POST /catalog/resources`` and the YAML ones name them). Pydantic's location also names the
    member of a union it tried (``body.quality.rules.1.Range.min``), a validator or a mapping's
    ``[key]``: no client sent those, and they are left out, unless the body has such a key."""
    if not loc:
        return "request"
    where, *rest = loc
    node = body if where == "body" else None
    parts: list[str | int] = [str(where)]
    for part in rest:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif is_union_tag(part):
            continue
        else:
            node = None  # a key the body lacks (missing) or should not have: named as sent
        parts.append(part if isinstance(part, int) else str(part))
    return key_path(parts)


def _expects_files(request: Request) -> bool:
    """Whether the request's route takes uploaded files (and the request is no multipart form)."""
    route = request.scope.get("route")
    body = getattr(getattr(route, "dependant", None), "body_params", None) or []
    takes = any(type(getattr(p, "field_info", None)).__name__ == "File" for p in body)
    return takes and not request.headers.get("content-type", "").startswith("multipart/form-data")


class DuplicateKey(ValueError):
    """A JSON object with a key written twice (``json.loads`` keeps the last silently)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


#: what FastAPI says (400, English only) when a body cannot even be decoded or parsed
_UNPARSED_BODY = "There was an error parsing the body"


def _unparsed_body(request: Request, cause: BaseException | None) -> ShuzhiError:
    """A body FastAPI could not parse at all — not UTF-8, nested too deeply for the parser, a
    broken multipart form — as a validation error of ``body``, saying which, in both languages
    (ordinary malformed JSON is reported as such by :func:`_request_validation`)."""
    if isinstance(cause, ShuzhiError):  # the body limit, met while the body was being parsed
        return cause
    if isinstance(cause, UnicodeDecodeError):
        bad = cause.object[cause.start : cause.start + 2].hex(" ").upper()
        message = (
            f"请求体不是 UTF-8 编码（第 {cause.start + 1} 个字节起：{bad}）：JSON 须用 UTF-8 / the body "
            f"is not UTF-8 (from byte {cause.start + 1}: {bad}): JSON must be sent as UTF-8"
        )
    elif isinstance(cause, DuplicateKey):
        message = (
            f"JSON 中同一层的键 {cause.key!r} 写了两次 / the key {cause.key!r} is written twice in one "
            "JSON object"
        )
    elif isinstance(cause, RecursionError):
        message = "请求体嵌套过深，无法解析 / the body is nested too deeply to parse"
    elif request.headers.get("content-type", "").startswith("multipart/"):
        why = str(cause) if cause is not None else ""
        message = (
            f"表单格式错误，无法解析{f'（{why}）' if why else ''} / the multipart form could not be "
            f"parsed{f' ({why})' if why else ''}"
        )
    else:
        message = "请求体无法解析 / the request body could not be parsed"
    return ValidationError({"body": [message]})


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _UNPARSED_BODY:
        return error_response(_as_said(request, _unparsed_body(request, exc.__cause__)))
    if exc.status_code == 404 and exc.detail == "Not Found":
        message = f"没有这个地址 / no such path: {request.url.path}"
    elif exc.status_code == 405:
        message = f"不支持的方法 / method {request.method} not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    response = error_response(_HTTPError(message, status=exc.status_code, code=code))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(_HTTPError("服务器内部错误 / internal server error", status=500, code="internal"))


class BodyTooLarge(ShuzhiError):
    status = 413
    code = "too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"请求体过大：上限 {limit:,} 字节 / the request body is larger than the {limit:,} bytes allowed"
        )


class BodyLimit:
    """ASGI middleware: a request body larger than ``limit(scope)`` bytes is refused with 413 in
    the API's error shape — at once when its ``Content-Length`` says so, else as soon as the bytes
    read pass the limit (:class:`BodyTooLarge`, raised while the route reads the body), so nothing
    of it is parsed or stored."""

    def __init__(self, app: ASGIApp, limit: Callable[[Scope], int]) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await error_response(BodyTooLarge(limit))(scope, receive, send)
            return
        read = 0

        async def limited() -> Message:
            nonlocal read
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ShuzhiError, _shuzhi_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
