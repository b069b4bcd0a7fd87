"""``shuzhi serve``: run the web app with uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

__all__ = ["register"]


def serve(
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            help="工作区目录 / workspace folder (default: $SHUZHI_WORKSPACE or the current folder; "
            "without one only the standards checks are served)",
        ),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option(
            "--host", help="监听地址 / address (default: server.host of the config, else 127.0.0.1)"
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", "-p", help="端口 / port (default: server.port of the config, else 8000)"),
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level")] = "info",
) -> None:
    """启动接口服务 / Serve the HTTP API (docs at /docs)."""
    import uvicorn

    from shuzhi.config import ServerSettings
    from shuzhi.errors import WorkspaceNotFound
    from shuzhi.web import create_app
    from shuzhi.workspace import Workspace

    console = Console(stderr=True)
    ws: Workspace | None
    if workspace is not None:
        ws = Workspace.open(workspace)
    else:
        try:
            ws = Workspace.open()
        except WorkspaceNotFound:
            ws = None
    server = ws.config.server if ws is not None else ServerSettings()
    host = host or server.host
    port = port or server.port
    if ws is None:
        console.print(
            "[yellow]未打开工作区 / no workspace:[/] serving the standards checks only", highlight=False
        )
    else:
        st = ws.store_status()
        if not st["reachable"]:
            console.print(
                f"[red]元数据库无法连接 / store unreachable:[/] {escape(str(st['error']))}", highlight=False
            )
        elif not st["up_to_date"]:
            console.print("[yellow]元数据库需升级 / the store needs `shuzhi migrate`[/]", highlight=False)
        console.print(f"工作区 / workspace: {ws.name} ({ws.path})", highlight=False, markup=False)
    console.print(f"接口文档 / docs: http://{host}:{port}/docs", highlight=False)
    try:
        uvicorn.run(create_app(ws), host=host, port=port, log_level=log_level)
    finally:
        if ws is not None:
            ws.close()


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
