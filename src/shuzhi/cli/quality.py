"""``shuzhi quality …``: scorecards of data quality (GB/T 36344) per resource and department, and the
HTML report.

::

    shuzhi quality JC-GA-HJRK               # the current version's scorecard (evaluated if need be)
                                            # and the score over the resource's versions
    shuzhi quality JC-GA-HJRK --version 3 --run --json
    shuzhi quality --department JC-GA       # the department's aggregate and its score history
    shuzhi quality                          # every department
    shuzhi quality report -o 质量报告.html   # the HTML report with charts, for offline reading
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from shuzhi.cli._console import local_time, new_console, score_text
from shuzhi.cli.check import Lang
from shuzhi.cli.workspace import WorkspaceOpt

if TYPE_CHECKING:
    import datetime as dt

    from shuzhi.quality import DepartmentScore, QualityRun, RuleResult, TrendPoint

__all__ = ["register"]

_LEVEL_STYLE = {"优": "bold green", "良": "green", "中": "yellow", "差": "red", "劣": "bold red"}
#: the last versions (resource) and points (department history) listed; the sparkline shows all
TREND_ROWS = 5
HISTORY_ROWS = 10
_BARS = "▁▂▃▄▅▆▇█"
_STATUS_STYLE = {"current": "bold green", "published": "", "held": "bold red"}


def _t(lang: Lang, zh: str, en: str) -> str:
    return zh if lang is Lang.zh else en


def _level(run_level: str | None, lang: Lang) -> str | Text:
    if run_level is None:
        return "—"
    from shuzhi.quality import LEVELS

    en = {zh: e for _, zh, e in LEVELS}
    text = run_level if lang is Lang.zh else en.get(run_level, run_level)
    return Text(text, style=_LEVEL_STYLE.get(run_level, ""))


def _sparkline(scores: list[float | None]) -> str:
    """One bar per score, scaled between the lowest and the highest (· for no score)."""
    known = [x for x in scores if x is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    top = len(_BARS) - 1
    return "".join(
        "·" if x is None else _BARS[top if high == low else round((x - low) / (high - low) * top)]
        for x in scores
    )


def _trend_caption(scores: list[float | None], lang: Lang) -> str | None:
    """The sparkline of every score, with the lowest and the highest, or None for fewer than two."""
    known = [x for x in scores if x is not None]
    if len(scores) < 2 or not known:
        return None
    span = f"{min(known):.1f}–{max(known):.1f}"
    return f"{_t(lang, '趋势', 'trend')} {_sparkline(scores)}  ({span})"


def _trend_table(points: list[TrendPoint], shown: int, lang: Lang) -> Table:
    """The score over the resource's versions: the last :data:`TREND_ROWS`, the sparkline of all."""
    rows = points[-TREND_ROWS:]
    title = _t(lang, "各版本得分", "score by version")
    if len(rows) < len(points):
        title += _t(
            lang, f"（最近 {len(rows)} 个，共 {len(points)} 个）", f" (last {len(rows)} of {len(points)})"
        )
    table = Table(
        title=title,
        title_justify="left",
        caption=_trend_caption([p.score for p in points], lang),
        caption_justify="left",
    )
    table.add_column(_t(lang, "版本", "version"))
    table.add_column(_t(lang, "加载时间", "loaded"))
    table.add_column(_t(lang, "得分", "score"), justify="right")
    table.add_column(_t(lang, "等级", "level"))
    table.add_column(_t(lang, "状态", "status"))
    for p in rows:
        status = p.status_label(lang.value)
        style = _STATUS_STYLE.get(p.status, "")
        table.add_row(
            f"v{p.version}",
            local_time(p.loaded_at) if p.loaded_at is not None else "—",
            score_text(p.score),
            _level(p.level_label(), lang),
            Text(status, style=style),
            style="bold" if p.version == shown else None,
        )
    return table


def _history_table(history: list[tuple[dt.datetime, float | None]], lang: Lang) -> Table:
    """A department's score after each change: the last :data:`HISTORY_ROWS`, the sparkline of all."""
    from shuzhi.quality import grade

    rows = history[-HISTORY_ROWS:]
    title = _t(lang, "得分历史", "score history")
    if len(rows) < len(history):
        title += _t(
            lang, f"（最近 {len(rows)} 次，共 {len(history)} 次）", f" (last {len(rows)} of {len(history)})"
        )
    table = Table(
        title=title,
        title_justify="left",
        caption=_trend_caption([x for _, x in history], lang),
        caption_justify="left",
    )
    table.add_column(_t(lang, "时间", "when"))
    table.add_column(_t(lang, "得分", "score"), justify="right")
    table.add_column(_t(lang, "等级", "level"))
    table.add_column(_t(lang, "变化", "change"), justify="right")
    start = len(history) - len(rows)
    for i, (at, score) in enumerate(rows, start=start):
        before = history[i - 1][1] if i > 0 else None
        if score is None or before is None:
            change = ""
        else:
            change = "±0.0" if abs(score - before) < 0.05 else f"{score - before:+.1f}"
        table.add_row(local_time(at), score_text(score), _level(grade(score), lang), change)
    return table


def _history_dicts(history: list[tuple[dt.datetime, float | None]], lang: Lang) -> list[dict[str, object]]:
    from shuzhi.quality import grade

    return [
        {
            "at": at.isoformat(timespec="seconds"),
            "score": None if score is None else round(score, 2),
            "level": grade(score, lang.value),
        }
        for at, score in history
    ]


def _sample_text(run: QualityRun, r: RuleResult, lang: Lang) -> str:
    lines = r.sample_lines(lang.value, run.labels)
    more = f" (+{len(lines) - 1})" if len(lines) > 1 else ""
    return lines[0] + more if lines else ""


def _note(note: str | None, lang: Lang) -> str:
    """One language of a bilingual ``中文 / English`` note."""
    if not note or " / " not in note:
        return note or ""
    zh, en = note.split(" / ", 1)
    return zh if lang is Lang.zh else en


def _print_run(run: QualityRun, lang: Lang, trend: list[TrendPoint] | None = None) -> None:
    out = new_console(highlight=False)
    head = Table.grid(padding=(0, 2))
    head.add_row(_t(lang, "资源", "resource"), f"{run.resource} {run.resource_name}")
    head.add_row(_t(lang, "版本", "version"), f"v{run.version}  ({run.rows} {_t(lang, '行', 'rows')})")
    head.add_row(
        _t(lang, "总分", "score"),
        Text(score_text(run.score), style="bold") + "  " + _level(run.level, lang),
    )
    head.add_row(
        _t(lang, "规则覆盖", "coverage"),
        f"{run.fields_covered}/{run.fields_total} {_t(lang, '个信息项', 'fields')} ({run.coverage:.0%})",
    )
    head.add_row(_t(lang, "评估时间", "evaluated"), f"{local_time(run.started_at)} · {run.engine}")
    if run.error:
        head.add_row(_t(lang, "问题", "problem"), Text(run.error, style="red"))
    if run.hold_reason:
        label = _t(lang, "质量门槛", "gate") if run.published else _t(lang, "未发布", "held")
        head.add_row(label, Text(run.hold_text(lang.value) or "", style="bold red"))
    out.print(
        Panel(head, title=_t(lang, "数据质量评估（GB/T 36344）", "data quality (GB/T 36344)"), expand=False)
    )
    if trend:
        out.print(_trend_table(trend, run.version, lang))

    dims = Table(title=_t(lang, "六个维度", "the six dimensions"), title_justify="left")
    dims.add_column(_t(lang, "维度", "dimension"))
    dims.add_column(_t(lang, "得分", "score"), justify="right")
    dims.add_column(_t(lang, "规则", "rules"), justify="right")
    dims.add_column(_t(lang, "未通过", "failed"), justify="right")
    for d, score in run.dimensions.items():
        mine = [r for r in run.results if r.dimension is d]
        failed = sum(1 for r in mine if not r.passed)
        dims.add_row(
            d.label(lang.value),
            score_text(score),
            str(len(mine)),
            Text(str(failed), style="red" if failed else ""),
        )
    out.print(dims)

    rules = Table(title=_t(lang, "规则", "rules"), title_justify="left")
    for col, justify in (
        (_t(lang, "维度", "dimension"), "left"),
        (_t(lang, "规则", "rule"), "left"),
        (_t(lang, "检查行数", "checked"), "right"),
        (_t(lang, "不合格行数", "failing"), "right"),
        (_t(lang, "不合格率", "rate"), "right"),
        (_t(lang, "样例（已脱敏）", "sample (masked)"), "left"),
    ):
        rules.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in run.results:
        if r.status != "ok":
            failing, rate = Text("—"), Text(_note(r.note, lang), style="dim")
        else:
            failing = Text(str(r.failing), style="red" if r.failing else "")
            rate = Text("—" if r.rate is None else f"{r.rate:.2%}")
        name = Text(r.description(lang.value)) + (Text(" ★", style="bold") if r.must_pass else "")
        rules.add_row(
            r.dimension.label(lang.value),
            name,
            str(r.checked),
            failing,
            rate,
            _sample_text(run, r, lang) or (_note(r.note, lang) if r.status == "ok" and r.failing else ""),
        )
    out.print(rules)


def _print_department(
    d: DepartmentScore,
    lang: Lang,
    history: list[tuple[dt.datetime, float | None]] | None = None,
    held: dict[str, Any] | None = None,
) -> None:
    """``held``: each resource's latest load when the quality gate held it back (it is not the
    version scored here, which stays current)."""
    out = new_console(highlight=False)
    title = Text(f"{d.code} {d.name} — {_t(lang, '总分', 'score')} {score_text(d.score)} ") + _level(
        d.level, lang
    )
    table = Table(title=title, title_justify="left")
    table.add_column(_t(lang, "资源", "resource"))
    table.add_column(_t(lang, "名称", "name"))
    table.add_column(_t(lang, "版本", "version"), justify="right")
    table.add_column(_t(lang, "得分", "score"), justify="right")
    table.add_column(_t(lang, "等级", "level"))
    table.add_column(_t(lang, "未通过规则", "rules failed"), justify="right")
    table.add_column(_t(lang, "质量门槛", "quality gate"))
    held = held or {}
    for r in d.resources:
        gate = [Text(r.hold_text(lang.value) or "")]
        if (v := held.get(r.resource)) is not None:  # a newer load the gate held back
            n, reason = v["version"], v["hold_reason"]
            head = _t(lang, f"最新加载的 v{n} 未发布", f"the latest load, v{n}, is held")
            gate.insert(0, Text(head, style="bold red") + _t(lang, "：", ": ") + str(reason))
        table.add_row(
            r.resource,
            r.resource_name,
            f"v{r.version}",
            score_text(r.score),
            _level(r.level, lang),
            str(r.rules_failed),
            Text("\n").join(g for g in gate if g),
        )
    for code in d.unevaluated:
        table.add_row(code, "", "", "—", "—", "", _t(lang, "尚未评估", "not evaluated"))
    out.print(table)
    if history is not None:
        if history:
            out.print(_history_table(history, lang))
        else:
            out.print(_t(lang, "得分历史：尚无记录", "score history: nothing recorded yet"))


def register(app: typer.Typer) -> None:
    @app.command("quality")
    def quality(
        target: Annotated[
            str | None,
            typer.Argument(
                help="资源代码；或 report 生成 HTML 报告 / a resource code, or `report` for the HTML report",
                show_default=False,
            ),
        ] = None,
        version: Annotated[
            int | None, typer.Option("--version", "-v", help="版本号 / version number")
        ] = None,
        department: Annotated[
            str | None, typer.Option("--department", "-d", help="部门代码 / a department's code")
        ] = None,
        run: Annotated[
            bool,
            typer.Option(
                "--run", help="重新评估（不用已存结果）/ evaluate now instead of showing the stored run"
            ),
        ] = False,
        output: Annotated[
            Path, typer.Option("--output", "-o", help="报告文件 / the report file (with `report`)")
        ] = Path("quality-report.html"),
        as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")] = False,
        lang: Annotated[Lang, typer.Option("--lang", help="语言 / language: zh | en")] = Lang.zh,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """数据质量评估及其变化（GB/T 36344）/ quality scorecards and trends: resource, department, report."""
        from shuzhi import quality as q
        from shuzhi.errors import NotFound
        from shuzhi.quality._report import held_latest
        from shuzhi.quality._run import QUALITY_RUN
        from shuzhi.workspace import Workspace

        with Workspace.open(workspace) as ws:
            if target == "report":
                html = q.report_html(ws, department=department)
                try:
                    output.write_text(html, encoding="utf-8")
                except OSError as e:
                    from shuzhi.errors import ShuzhiError

                    raise ShuzhiError(
                        f"无法写入报告文件 {output}（{e.strerror}；目录须已存在且可写）/ cannot write "
                        f"the report to {output} ({e.strerror}; the folder must exist and be writable)"
                    ) from None
                typer.echo(_t(lang, f"已生成报告 / report written: {output}", f"report written: {output}"))
                return
            if target is None:
                if department:  # one department: its scorecard and its history
                    one = q.department_scorecard(ws, department)
                    history = q.department_history(ws, department)
                    if as_json:
                        data = one.to_dict(lang.value) | {"history": _history_dicts(history, lang)}
                        typer.echo(json.dumps([data], ensure_ascii=False, indent=2))
                    else:
                        held = held_latest(ws, [r.resource for r in one.resources], lang.value)
                        _print_department(one, lang, history, held)
                    return
                depts = q.departments_overview(ws)
                if as_json:
                    typer.echo(
                        json.dumps([d.to_dict(lang.value) for d in depts], ensure_ascii=False, indent=2)
                    )
                    return
                if not depts:
                    typer.echo(
                        _t(
                            lang,
                            "尚无评估结果：资源加载（shuzhi ingest）后即评估其质量",
                            "nothing evaluated yet: a resource's quality is evaluated when it is loaded "
                            "(shuzhi ingest)",
                        )
                    )
                    return
                held = held_latest(ws, [r.resource for d in depts for r in d.resources], lang.value)
                for d in depts:
                    _print_department(d, lang, held=held)
                return
            result = None
            if version is None:  # the current version's run (evaluated now if it has none)
                from shuzhi.catalog import get_resource

                version = get_resource(ws, target).current_version
            if not run:
                try:
                    result = q.latest_run(ws, target, version)
                except NotFound as e:
                    if e.kind != QUALITY_RUN:
                        raise
            if result is None:
                result = q.evaluate(ws, target, version)
            trend = q.trend_points(ws, target)
            if as_json:
                data = result.to_dict(lang.value) | {"trend": [p.to_dict(lang.value) for p in trend]}
                typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
            else:
                _print_run(result, lang, trend)
