"""``shuzhi demo``: the README's main command (a standards tour), and ``shuzhi demo generate``,
which writes a synthetic city with known truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from shuzhi.cli.check import Lang
from shuzhi.standards._verdict import Lang as LangCode

_T: dict[str, dict[str, Any]] = {
    "zh": {
        "ws_new": "已创建演示工作区：{path}",
        "ws_old": "使用已有演示工作区：{path}",
        "title": "国家标准库清洗 {rows} 条部门样例记录（{file}）",
        "cols": ("字段", "标准", "总数", "有效", "其中经修正", "缺失", "无效", "无效原因（前三）"),
        "sample": "清洗前后对照（前 {n} 行；绿色为规范值，红色为无效原因）",
        "written": "清洗结果已写入：{path}",
        "done": "用时 {s:.2f} 秒。试试：shuzhi check idcard 14050219900307151X；"
        "shuzhi serve --workspace {ws} 启动接口（/docs）。",
    },
    "en": {
        "ws_new": "Created the demo workspace: {path}",
        "ws_old": "Using the demo workspace: {path}",
        "title": "Cleansing {rows} sample departmental records with the standards library ({file})",
        "cols": ("field", "standard", "total", "valid", "corrected", "missing", "invalid", "top reasons"),
        "sample": "Before and after (first {n} rows; green: normalised, red: why invalid)",
        "written": "Cleansed records written to: {path}",
        "done": "Took {s:.2f} s. Try: shuzhi check idcard 14050219900307151X; "
        "shuzhi serve --workspace {ws} for the API (/docs).",
    },
}

_SHOWN = ("姓名", "身份证号", "出生日期", "联系电话", "地址")


def register(app: typer.Typer) -> None:
    demo = typer.Typer(
        name="demo",
        help="演示：建立工作区并清洗样例部门数据；generate 生成合成城市 / "
        "demo: a workspace and a cleansing pass; generate writes a synthetic city.",
    )
    app.add_typer(demo)

    @demo.callback(invoke_without_command=True)
    def demo_cmd(
        ctx: typer.Context,
        workspace: Annotated[
            Path, typer.Option("--workspace", "-w", help="演示工作区目录 / demo workspace folder")
        ] = Path("shuzhi-demo"),
        lang: Annotated[Lang, typer.Option("--lang", help="界面语言 / language")] = Lang.zh,
        rows: Annotated[int, typer.Option("--rows", help="对照表显示的行数 / rows shown")] = 10,
    ) -> None:
        """演示：建立工作区并清洗样例部门数据 / demo: create a workspace and cleanse sample records."""
        if ctx.invoked_subcommand is not None:
            return
        _tour(workspace, lang, rows)

    demo.command("generate")(generate_cmd)


def _tour(workspace: Path, lang: Lang, rows: int) -> None:
    """The standards tour: a workspace, a cleansing pass over the sample records, a Parquet result."""
    from shuzhi.demo import standards_tour
    from shuzhi.standards import KINDS, reason_text
    from shuzhi.workspace import Workspace

    code: LangCode = "en" if lang is Lang.en else "zh"
    t = _T[code]
    out = Console(highlight=False)
    if (workspace / "shuzhi.toml").exists():
        ws = Workspace.open(workspace)
        out.print(t["ws_old"].format(path=ws.path))
    else:
        ws = Workspace.init(workspace, name="演示城市 demo city")
        out.print(t["ws_new"].format(path=ws.path))
    with ws:
        target = ws.warehouse / "demo" / "sample_records.parquet"
        result = standards_tour(ws.engine, output=target, lang=code)
    out.rule(t["title"].format(rows=result.rows, file=result.source.name))
    table = Table(*t["cols"])
    for c in result.columns:
        label = KINDS[c.kind].label_zh if code == "zh" else KINDS[c.kind].label_en
        reasons = ("；" if code == "zh" else "; ").join(f"{text} ×{n}" for _, text, n in c.reasons[:3])
        bad = f"[red]{c.invalid}[/]" if c.invalid else "0"
        table.add_row(
            c.column,
            label,
            str(c.total),
            f"[green]{c.valid}[/]",
            str(c.corrected),
            str(c.missing),
            bad,
            reasons,
        )
    out.print(table)
    sample = Table(title=t["sample"].format(n=rows), show_lines=True)
    sample.add_column("#")
    for col in _SHOWN:
        sample.add_column(col, overflow="fold")
    for r in result.cleaned[:rows]:
        cells = []
        for col in _SHOWN:
            norm, why = r[f"{col}_规范"], r[f"{col}_原因"]
            why_text = reason_text(why, code, r[f"{col}_解析"]) if why else ""
            after = f"[green]{norm}[/]" if norm else f"[red]{why_text}[/]"
            cells.append(f"{r[col] or ''}\n→ {after}")
        sample.add_row(str(r["row_no"]), *cells)
    out.print(sample)
    out.print(t["written"].format(path=result.written))
    out.print(t["done"].format(s=result.seconds, ws=workspace))


_G: dict[str, dict[str, str]] = {
    "zh": {
        "title": "合成城市 {name}（{code}）：{people:,} 人，{households:,} 户，{entities:,} 个法人单位",
        "cols": "资源代码|名称|文件|格式|编码|行数",
        "written": "已写入 {out}：目录 catalog.yaml，映射 mappings/，清单 manifest.json，"
        "地理 geo/，真值 truth/（处理流程不读取）。",
        "anomalies": "埋设的异常：{items}",
        "done": "用时 {s:.1f} 秒。",
    },
    "en": {
        "title": "Synthetic city {name} ({code}): {people:,} people, {households:,} households, "
        "{entities:,} legal entities",
        "cols": "resource|name|file|format|encoding|rows",
        "written": "Written to {out}: catalog.yaml, mappings/, manifest.json, geo/ and truth/ "
        "(which no pipeline step reads).",
        "anomalies": "Anomalies: {items}",
        "done": "Took {s:.1f} s.",
    },
}


def generate_cmd(
    out: Annotated[Path, typer.Argument(help="输出目录 / output folder")],
    people: Annotated[int, typer.Option("--people", "-n", help="人口数 / number of people")] = 20_000,
    seed: Annotated[
        int, typer.Option("--seed", help="随机种子（同一种子生成相同文件） / random seed")
    ] = 20201101,
    city: Annotated[str, typer.Option("--city", help="地级区划代码 / prefecture code")] = "140500",
    noise: Annotated[
        list[str] | None,
        typer.Option("--noise", help="噪声比率，可重复：名称=比率 / a noise rate, repeatable: name=rate"),
    ] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="界面语言 / language")] = Lang.zh,
) -> None:
    """生成合成城市：部门数据、目录、映射和真值 / generate a synthetic city with known truth."""
    import csv

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from shuzhi.demo.city import STEPS, generate, parse_noise

    code: LangCode = "en" if lang is Lang.en else "zh"
    t = _G[code]
    rates = parse_noise(noise or [])
    console = Console(highlight=False)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console, transient=True
    ) as bar:
        task = bar.add_task("…", total=len(STEPS))

        def step(name: str) -> None:
            bar.update(task, description=name, completed=STEPS.index(name))

        m = generate(out, people=people, seed=seed, city=city, noise=rates, progress=step)
        bar.update(task, completed=len(STEPS))
    table = Table(
        *t["cols"].split("|"),
        title=t["title"].format(
            name=m.city_name, code=m.city, people=m.people, households=m.households, entities=m.entities
        ),
    )
    for d in m.datasets:
        table.add_row(d.resource, d.name, d.file, d.format, d.encoding, f"{d.rows:,}")
    console.print(table)
    with (out / m.truth["anomalies"]).open(encoding="utf-8") as f:
        counts: dict[str, set[str]] = {}
        for r in csv.DictReader(f):
            counts.setdefault(r["kind"], set()).add(r["anomaly_id"])
    items = ", ".join(f"{k} ×{len(v)}" for k, v in sorted(counts.items()))
    console.print(t["anomalies"].format(items=items or "-"))
    console.print(t["written"].format(out=out))
    console.print(t["done"].format(s=m.seconds))
