"""``shuzhi init``, ``shuzhi info``, ``shuzhi migrate``: create, describe and upgrade a workspace."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from shuzhi.cli._console import local_time, new_console, styled

__all__ = ["register"]

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="工作区目录 / workspace folder (default: $SHUZHI_WORKSPACE, or found from the current folder)",
    ),
]


def init(
    directory: Annotated[Path, typer.Argument(help="新工作区的目录 / folder for the new workspace")],
    store_url: Annotated[
        str | None,
        typer.Option(
            "--store-url",
            help="元数据库 / metadata store URL (default: SQLite store.sqlite inside the workspace), "
            "e.g. postgresql+psycopg://user@host/db; a relative sqlite:/// path is inside the workspace",
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="工作区名称 / workspace name (default: folder name)")
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="重新初始化已有工作区（不删除数据）/ re-initialise an existing workspace (deletes nothing)",
        ),
    ] = False,
) -> None:
    """创建工作区 / Create a workspace: folders, shuzhi.toml and a migrated metadata store."""
    from shuzhi.workspace import Workspace

    console = new_console()
    existed = {p: p.exists() for p in _layout(directory)}
    with Workspace.init(directory, store_url=store_url, name=name, force=force) as ws:
        info = ws.info()
        url = ws.config.store.url
    title = (
        "已重新初始化工作区 / workspace re-initialised"
        if force and existed[directory / "shuzhi.toml"]
        else "已创建工作区 / workspace created"
    )
    console.print(styled(f"[bold green]{title}:[/] ") + f"{info['path']}  ({info['name']})", highlight=False)
    table = Table(show_header=False, box=None, padding=(0, 2))
    for path, was in existed.items():
        if path.name == "shuzhi.toml":
            state = "rewritten" if was else "created"
        else:
            state = "kept" if was else "created"
        shown = "./" if path == directory else path.name + ("" if path.suffix else "/")
        table.add_row(Text(state, style="dim" if state == "kept" else "green"), shown)
    console.print(table)
    store = info["store"]
    console.print(f"元数据库 / store: {store['url']}  schema {store['revision']}", highlight=False)
    console.print(f"工作区 ID / workspace id: {info['id']}", highlight=False)
    if _has_password(url):
        console.print(
            styled("[yellow]注意 / note:[/] shuzhi.toml now holds the store password (mode 600). ")
            + "Prefer SHUZHI_STORE_URL or PGPASSWORD in the environment.",
            highlight=False,
        )
    console.print(
        f"下一步 / next: shuzhi info -w {directory}   ·   shuzhi serve -w {directory}", highlight=False
    )


def info(
    workspace: WorkspaceOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")] = False,
) -> None:
    """显示工作区信息 / Show a workspace: paths, store, schema revision, engine, sizes."""
    from shuzhi.workspace import Workspace

    with Workspace.open(workspace) as ws:
        data = ws.info()
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    console = new_console()
    store = data["store"]
    if store["reachable"]:
        mark = styled("[green]✓[/]" if store["up_to_date"] else "[yellow]需升级 / run `shuzhi migrate`[/]")
        schema = Text(f"{store['revision']} (head {store['head']}) ") + mark
    else:
        schema = styled("[red]无法连接 / unreachable:[/] ") + str(store["error"])
    eng = data["engine"]
    created = local_time(dt.datetime.fromisoformat(data["created_at"])) if data["created_at"] else "-"
    rows: list[tuple[str, Any]] = [
        ("名称 / name", data["name"]),
        ("ID", data["id"] or "-"),
        ("创建于 / created", created),
        ("目录 / path", data["path"]),
        ("配置 / config", data["config_file"]),
        ("环境变量 / env overrides", ", ".join(data["env_overrides"]) or "-"),
        ("元数据库 / store", store["url"]),
        ("结构版本 / schema", schema),
        ("元数据库大小 / store size", _size(store["size_bytes"])),
        (
            "数据仓库 / warehouse",
            f"{data['warehouse']['path']}  ({_size(data['warehouse']['size_bytes'])}, "
            f"{data['warehouse']['files']} files)",
        ),
        ("临时目录 / tmp", f"{data['tmp']['path']}  ({_size(data['tmp']['size_bytes'])})"),
        (
            "计算引擎 / engine",
            f"{eng['kind']}, memory {eng['memory_limit']}, threads {eng['threads'] or 'auto'}, "
            f"spill {eng['temp_dir']}",
        ),
        ("服务 / server", f"{data['server']['host']}:{data['server']['port']}"),
        ("语言 / language", data["language"]),
        ("版本 / shuzhi", data["shuzhi_version"]),
    ]
    table = Table(show_header=False, box=None, padding=(0, 2))
    for k, v in rows:
        table.add_row(Text(k, style="bold"), v if isinstance(v, Text) else str(v))
    console.print(table, highlight=False)


def migrate(workspace: WorkspaceOpt = None) -> None:
    """升级元数据库结构 / Upgrade the workspace's metadata store to this version's schema."""
    from shuzhi.workspace import Workspace

    with Workspace.open(workspace) as ws:
        before = ws.store_status()["revision"]
        after = ws.migrate()
    console = new_console()
    if before == after:
        console.print(f"元数据库已是最新 / store already at {after}", highlight=False)
    else:
        console.print(
            styled("[green]已升级 / migrated:[/] ") + f"{before or '(empty)'} → {after}", highlight=False
        )


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("info")(info)
    app.command("migrate")(migrate)


def _layout(directory: Path) -> list[Path]:
    from shuzhi.config import CONFIG_FILE

    return [
        directory,
        directory / CONFIG_FILE,
        directory / "warehouse",
        directory / "tmp",
        directory / "logs",
    ]


def _has_password(url: str) -> bool:
    from sqlalchemy.engine import make_url

    return make_url(url).password is not None


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover
