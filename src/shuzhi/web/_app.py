"""The FastAPI application factory."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

import shuzhi
from shuzhi.web._checkers import CheckerPool
from shuzhi.web._errors import ERROR_RESPONSES, BodyLimit, install_error_handlers
from shuzhi.web.api.deps import MAX_BODY_BYTES, MAX_UPLOAD_BYTES
from shuzhi.workspace import Workspace

__all__ = ["API_PREFIX", "create_app"]

#: every API route is under this prefix; a breaking change gets /api/v2 beside it
API_PREFIX = "/api/v1"

TITLE = "数治 shuzhi API"
DESCRIPTION = """\
数治（shuzhi）城市数据平台接口：数据目录、归集、国家标准校验、数据质量、基础库与共享交换。
所有接口位于 `/api/v1` 下；出错时统一返回 `{"ok": false, "error", "code", "status", "errors"?}`。
消息语言用 `lang=zh|en` 选择（默认取工作区配置）。

The HTTP API of shuzhi, a city's one data platform: catalog, ingestion, national-standard checks,
data quality, base registries and governed sharing. Every route is under `/api/v1`; every error
answers `{"ok": false, "error", "code", "status", "errors"?}`. Choose the language of messages with
`lang=zh|en` (default: the workspace's setting).
"""

_DOCS_STATIC = "/static/apidocs"


def create_app(workspace: Workspace | None = None) -> FastAPI:
    """The shuzhi web app, serving ``workspace`` (or, without one, only what needs none: the
    standards checks and health).

    The caller owns ``workspace`` and closes it; the app closes only what it creates.
    """
    checkers = CheckerPool()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        checkers.close()

    app = FastAPI(
        title=TITLE,
        description=DESCRIPTION,
        version=shuzhi.__version__,
        openapi_url="/openapi.json",
        docs_url=None,  # served below from vendored assets: no CDN on a government network
        redoc_url=None,
        openapi_tags=_tags(),
        license_info={"name": "Apache-2.0", "identifier": "Apache-2.0"},
        lifespan=lifespan,
    )
    app.state.workspace = workspace
    app.state.checkers = checkers
    install_error_handlers(app)
    app.add_middleware(BodyLimit, limit=_body_limit)

    from shuzhi.web.api import ROUTERS
    from shuzhi.web.api.deps import known_parameters

    for router in ROUTERS:
        app.include_router(
            router, prefix=API_PREFIX, responses=ERROR_RESPONSES, dependencies=[Depends(known_parameters)]
        )
    _add_docs(app)
    return app


#: the route that takes a data file: ``POST /api/v1/resources/{code}/versions``
_UPLOAD = re.compile(rf"^{re.escape(API_PREFIX)}/resources/[^/]+/versions/?$")


def _body_limit(scope: Scope) -> int:
    """The largest body a request may send: a data file upload, or anything else (JSON, YAML)."""
    if scope.get("method") == "POST" and _UPLOAD.match(scope.get("path", "")):
        return MAX_UPLOAD_BYTES
    return MAX_BODY_BYTES


def _tags() -> list[dict[str, str]]:
    from shuzhi.web.api import TAGS

    return list(TAGS)


def _add_docs(app: FastAPI) -> None:
    assets = resources.files("fastapi_offline") / "static"
    app.mount(_DOCS_STATIC, StaticFiles(directory=str(assets)), name="apidocs")

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> RedirectResponse:
        # the address `shuzhi serve` prints: until the portal comes, the API's own pages
        return RedirectResponse(f"{request.scope.get('root_path', '')}/docs", status_code=307)

    @app.get("/docs", include_in_schema=False)
    def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{TITLE} — 接口文档 / docs",
            swagger_js_url=f"{root}{_DOCS_STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{_DOCS_STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{root}{_DOCS_STATIC}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{TITLE} — 接口文档 / docs",
            redoc_js_url=f"{root}{_DOCS_STATIC}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{_DOCS_STATIC}/favicon.png",
            with_google_fonts=False,
        )
