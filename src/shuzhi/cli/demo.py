"""``shuzhi demo``: the README's main command (generate a synthetic city and ingest it),
``shuzhi demo tour`` (the standards library on sample records) and ``shuzhi demo generate``
(only the city's files)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from shuzhi.cli._console import escape, new_console, styled
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
        help="演示：生成合成城市并归集各部门数据；tour 标准库演示；generate 只生成数据 / "
        "demo: generate a synthetic city and ingest every department's data; tour: the standards "
        "library; generate: only write the city's files.",
    )
    app.add_typer(demo)

    @demo.callback(invoke_without_command=True)
    def demo_cmd(
        ctx: typer.Context,
        workspace: Annotated[
            Path, typer.Option("--workspace", "-w", help="演示工作区目录 / demo workspace folder")
        ] = Path("shuzhi-demo"),
        people: Annotated[
            int, typer.Option("--people", "-n", help="合成城市人口数 / people in the city")
        ] = 20_000,
        seed: Annotated[int | None, typer.Option("--seed", help="随机种子 / random seed")] = None,
        lang: Annotated[Lang, typer.Option("--lang", help="界面语言 / language")] = Lang.zh,
    ) -> None:
        """演示：生成合成城市，登记目录，归集全部部门数据 / demo: a synthetic city, its catalog and
        every department's data loaded, cleansed and quarantined."""
        if ctx.invoked_subcommand is not None:
            return
        _city(workspace, people, seed, lang)

    @demo.command("tour")
    def tour_cmd(
        workspace: Annotated[
            Path, typer.Option("--workspace", "-w", help="演示工作区目录 / demo workspace folder")
        ] = Path("shuzhi-demo"),
        lang: Annotated[Lang, typer.Option("--lang", help="界面语言 / language")] = Lang.zh,
        rows: Annotated[int, typer.Option("--rows", help="对照表显示的行数 / rows shown")] = 10,
    ) -> None:
        """国家标准库演示：清洗样例部门记录 / the standards library on sample records."""
        _tour(workspace, lang, rows)

    demo.command("generate")(generate_cmd)


_C: dict[str, dict[str, str]] = {
    "zh": {
        "generated": "已生成合成城市 {name}（{code}）：{people:,} 人，{households:,} 户，"
        "{entities:,} 个法人单位，用时 {s:.1f} 秒 → {folder}",
        "reused": "使用已生成的合成城市 {name}（{code}）：{people:,} 人 → {folder}",
        "declared": "已登记目录：{n} 个数据资源（shuzhi catalog list）",
        "title": "各部门数据归集结果",
        "cols": "资源|名称|格式/编码|版本|读入|加载|隔离|有问题|用时",
        "why": "隔离（红）与保留但有问题（黄）的主要原因",
        "why_cols": "资源|规则|行数|原因",
        "failed": "[red]未能加载[/]：{error}",
        "total": "合计：读入 {rows_in:,} 行，加载 {loaded:,} 行，隔离 {quarantined:,} 行，用时 {s:.1f} 秒",
        "next": "接着试试（在工作区目录 {ws} 中运行，或给命令加 -w {ws}）：\n"
        "  shuzhi catalog search rkxx        按拼音首字母查找资源\n"
        "  shuzhi versions GA-HJRK           版本历史\n"
        "  shuzhi quarantine {q} --export 退回.xlsx   导出隔离行退回部门更正\n"
        "  shuzhi serve                      启动接口（/docs）",
        "step": "正在处理",
    },
    "en": {
        "generated": "Generated the synthetic city {name} ({code}): {people:,} people, {households:,} "
        "households, {entities:,} legal entities in {s:.1f} s → {folder}",
        "reused": "Using the generated city {name} ({code}): {people:,} people → {folder}",
        "declared": "Catalog declared: {n} resources (shuzhi catalog list)",
        "title": "Ingestion of every department's data",
        "cols": "resource|name|format/encoding|version|read|loaded|quarantined|flagged|time",
        "why": "Main reasons for quarantined (red) and flagged (yellow) rows",
        "why_cols": "resource|rule|rows|reason",
        "failed": "[red]not loaded[/]: {error}",
        "total": "Total: {rows_in:,} rows read, {loaded:,} loaded, {quarantined:,} quarantined in {s:.1f} s",
        "next": "Next (inside the workspace folder {ws}, or add -w {ws} to a command):\n"
        "  shuzhi catalog search rkxx        find resources by pinyin initials\n"
        "  shuzhi versions GA-HJRK           version history\n"
        "  shuzhi quarantine {q} --export back.xlsx   quarantined rows for the department\n"
        "  shuzhi serve                      the API (/docs)",
        "step": "Working on",
    },
}


def _city(workspace: Path, people: int, seed: int | None, lang: Lang) -> None:
    """The city demo: generate, declare, ingest every dataset, print what happened."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from shuzhi.demo import city_demo
    from shuzhi.demo._report import print_registries, registry_hints
    from shuzhi.workspace import Workspace

    code: LangCode = "en" if lang is Lang.en else "zh"
    t, tw = _C[code], _T[code]
    out = new_console(highlight=False)
    if (workspace / "shuzhi.toml").exists():
        ws = Workspace.open(workspace)
        out.print(tw["ws_old"].format(path=ws.path))
    else:
        ws = Workspace.init(workspace, name="演示城市 demo city")
        out.print(tw["ws_new"].format(path=ws.path))
    with (
        ws,
        Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            TimeElapsedColumn(),
            console=out,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task(t["step"], total=None)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=f"{t['step']} {step}", completed=done, total=total or None)

        result = city_demo(ws, people=people, seed=seed, lang=code, progress=progress)
    facts = dict(
        name=result.city_name,
        code=result.city,
        people=result.people,
        households=result.households,
        entities=result.entities,
        folder=result.folder,
        s=result.generate_seconds,
    )
    out.print(t["generated" if result.generated else "reused"].format(**facts))
    out.print(t["declared"].format(n=result.resources_declared))
    table = Table(*t["cols"].split("|"), title=t["title"])
    why = Table(*t["why_cols"].split("|"), title=t["why"], show_lines=True)
    for r in result.runs:
        fmt = f"{r.format}/{r.encoding}" if r.encoding else r.format
        if r.error is not None:
            table.add_row(r.resource, r.name, fmt, "-", "-", "-", "-", "-", f"{r.seconds:.1f}s")
            why.add_row(r.resource, "-", "-", styled(t["failed"].format(error=escape(str(r.error)))))
            continue
        table.add_row(
            r.resource,
            r.name,
            fmt,
            f"v{r.version}",
            f"{r.rows_in:,}",
            styled(f"[green]{r.rows_loaded:,}[/]"),
            styled(f"[red]{r.rows_quarantined:,}[/]") if r.rows_quarantined else "0",
            styled(f"[yellow]{r.rows_flagged:,}[/]") if r.rows_flagged else "0",
            f"{r.seconds:.1f}s",
        )
        for colour, items in (("red", r.reasons[:3]), ("yellow", r.issues[:3])):
            for rule, text, n in items:
                why.add_row(r.resource, styled(f"[{colour}]{escape(rule)}[/]"), f"{n:,}", text)
    out.print(table)
    if why.row_count:
        out.print(why)
    ok = [r for r in result.runs if r.error is None]
    print_registries(out, result, code)
    out.print(
        t["total"].format(
            rows_in=sum(r.rows_in for r in ok),
            loaded=sum(r.rows_loaded for r in ok),
            quarantined=sum(r.rows_quarantined for r in ok),
            s=result.seconds,
        )
    )
    # the export hint names a resource that has quarantined rows to send back (the one with most)
    most = max(ok, key=lambda r: (r.rows_quarantined, r.resource), default=None)
    out.print(t["next"].format(ws=workspace, q=most.resource if most is not None else "GA-HJRK"))
    if (hints := registry_hints(result, code)) is not None:
        out.print(hints)
    if result.failed or result.failed_registries:
        raise typer.Exit(1)


def _tour(workspace: Path, lang: Lang, rows: int) -> None:
    """The standards tour: a workspace, a cleansing pass over the sample records, a Parquet result."""
    from shuzhi.demo import standards_tour
    from shuzhi.standards import KINDS, reason_text
    from shuzhi.workspace import Workspace

    code: LangCode = "en" if lang is Lang.en else "zh"
    t = _T[code]
    out = new_console(highlight=False)
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
        bad = styled(f"[red]{c.invalid}[/]") if c.invalid else "0"
        table.add_row(
            c.column,
            label,
            str(c.total),
            styled(f"[green]{c.valid}[/]"),
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
            after = f"[green]{escape(norm)}[/]" if norm else f"[red]{escape(why_text)}[/]"
            cells.append(styled(f"{escape(r[col] or '')}\n→ {after}"))
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
    console = new_console(highlight=False)
    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
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
