"""``shuzhi ingest``, ``versions``, ``publish``, ``diff``, ``quarantine``: load a department's file
(its quality evaluated and gated before it is published), list the versions it made, publish a held
one, compare two versions, and show (or export for correction) what was refused."""

from __future__ import annotations

import getpass
import json
import threading
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from shuzhi.cli._console import local_time, new_console, score_text, styled
from shuzhi.cli.check import Lang
from shuzhi.cli.workspace import WorkspaceOpt

if TYPE_CHECKING:
    from collections.abc import Mapping

    from shuzhi.ingest import (
        LoadResult,
        PublishResult,
        QuarantineView,
        RuleCount,
        VersionDiff,
        VersionInfo,
    )
    from shuzhi.standards.codes import CodeList

__all__ = ["ProgressBar", "register"]


class ModeChoice(StrEnum):
    full = "full"
    append = "append"
    upsert = "upsert"


JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")]
LangOpt = Annotated[Lang, typer.Option("--lang", help="说明语言 / language of reasons: zh | en")]

#: exit code of ``shuzhi ingest`` when the version was kept but not made current
EXIT_HELD = 1


def _t(lang: Lang, zh: str, en: str) -> str:
    return zh if lang is Lang.zh else en


def _console() -> Console:
    return new_console(highlight=False)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _user(by: str | None) -> str | None:
    if by:
        return by
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return None


# -- progress --------------------------------------------------------------------------------------

_STAGES = {
    "read": ("读取", "reading"),
    "cleanse": ("清洗", "cleansing"),
    "write": ("写入", "writing"),
    "quality": ("质量评估", "checking quality"),
    "commit": ("提交", "committing"),
}


class ProgressBar:
    """A Rich progress bar on stderr fed by ``ingest(progress=…)``; it appears only when the load
    takes longer than ``delay`` seconds and disappears when it ends."""

    def __init__(self, *, delay: float = 0.5, console: Console | None = None, lang: Lang = Lang.zh) -> None:
        self.progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=True,
        )
        self.lang = lang
        self.task: TaskID | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(delay, self._show)
        self._timer.daemon = True
        self._shown = False
        self._stage = ""

    def __enter__(self) -> ProgressBar:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            if self._shown:
                self.progress.stop()
                self._shown = False

    def _show(self) -> None:
        with self._lock:
            if not self._shown:
                self.progress.start()
                self._shown = True

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        zh, en = _STAGES.get(stage, (stage, stage))
        text = f"{zh} / {en}" if self.lang is Lang.zh else en
        with self._lock:
            if self.task is None:
                self.task = self.progress.add_task(text, total=total)
            if stage != self._stage:
                self._stage = stage
                self.progress.reset(self.task, total=total, description=text)
            self.progress.update(self.task, completed=done, total=total, description=text)


# -- ingest ----------------------------------------------------------------------------------------


def _rule_table(rules: list[RuleCount], lang: Lang, title: str) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column(_t(lang, "信息项", "field"))
    table.add_column(_t(lang, "规则", "rule"))
    table.add_column(_t(lang, "行数", "rows"), justify="right")
    table.add_column(_t(lang, "原因", "reason"), overflow="fold")
    for r in rules:
        field = (r.label or r.field or "") if lang is Lang.zh else (r.field or "")
        table.add_row(field, r.rule, f"{r.count:,}", r.reason_zh if lang is Lang.zh else r.reason_en)
    return table


#: how a field found its column (ColumnMatch.matched_by), as the Chinese report says it
_MATCHED_BY_ZH = {
    "mapping": "映射文件",
    "name": "列名同信息项名",
    "label": "列名同中文名",
    "default": "默认值",
    "none": "无",
}


def _print_result(r: LoadResult, lang: Lang) -> None:
    out = _console()
    if r.published:
        base = "" if r.base_version is None else f", {_t(lang, '基于', 'from')} v{r.base_version}"
        out.print(
            styled(f"[bold green]{_t(lang, '已加载', 'loaded')}[/] ")
            + f"{r.resource} v{r.version} ({r.mode}{base}) {_t(lang, '用时', 'in')} {r.duration_s:.1f} s"
        )
    else:
        out.print(
            styled(f"[bold yellow]{_t(lang, '未发布', 'not published')}[/] ")
            + f"{r.resource} v{r.version}: {r.hold_reason}"
        )
        if r.base_version is not None:
            out.print(
                _t(lang, f"当前版本仍为 v{r.base_version}", f"v{r.base_version} stays current")
                + _t(lang, "；核实后可发布：", "; once checked, publish it with: ")
                + f"shuzhi publish {r.resource} {r.version} --reason …"
            )
        else:
            out.print(
                _t(lang, "核实后可发布：", "once checked, publish it with: ")
                + f"shuzhi publish {r.resource} {r.version} --reason …"
            )
    _print_quality(r, lang)
    counts = Table(show_header=True)
    heads = [
        (_t(lang, "读入", "in"), r.rows_in),
        (_t(lang, "加载", "loaded"), r.rows_loaded),
        (_t(lang, "隔离", "quarantined"), r.rows_quarantined),
        (_t(lang, "有问题但保留", "flagged"), r.rows_flagged),
        (_t(lang, "版本总行数", "total"), r.rows_total),
        (_t(lang, "新增", "added"), r.rows_added),
        (_t(lang, "更新", "updated"), r.rows_updated),
        (_t(lang, "删除", "removed"), r.rows_removed),
    ]
    for h, _ in heads:
        counts.add_column(h, justify="right")
    counts.add_row(*(f"{n:,}" for _, n in heads))
    out.print(counts)
    if r.quarantine:
        out.print(_rule_table(r.quarantine, lang, _t(lang, "隔离原因", "quarantined rows by rule")))
    if r.issues:
        out.print(_rule_table(r.issues, lang, _t(lang, "保留但有问题的值", "kept rows with issues, by rule")))
    cols = Table(title=_t(lang, "列与信息项", "columns and fields"), title_justify="left")
    cols.add_column(_t(lang, "信息项", "field"))
    cols.add_column(_t(lang, "来源列", "source column"))
    cols.add_column(_t(lang, "匹配方式", "matched by"))
    for m in r.columns:
        source = m.column if m.column is not None else (f"= {m.default}" if m.default is not None else "—")
        how = _MATCHED_BY_ZH.get(m.matched_by, m.matched_by) if lang is Lang.zh else m.matched_by
        cols.add_row(f"{m.label} ({m.field})", source, how)
    out.print(cols)
    src = r.source
    out.print(
        f"{_t(lang, '来源', 'source')}: {src.file}  {src.format}"
        + (f", {src.encoding}" if src.encoding else "")
        + f", sha256 {src.sha256[:12]}…  {_t(lang, '校验和', 'checksum')} {r.checksum[:12]}…"
    )
    for note in r.notes:
        out.print(f"  • {note}")
    if r.rows_quarantined:
        out.print(
            _t(lang, "查看或导出隔离区 / see or export the quarantine: ", "see or export the quarantine: ")
            + f"shuzhi quarantine {r.resource} --version {r.version} --export 退回.xlsx"
        )


_QUALITY = {
    "passed": ("[green]通过门槛[/]", "[green]passed the gate[/]"),
    "held": ("[bold red]未通过门槛[/]", "[bold red]held by the gate[/]"),
    "failed": ("[yellow]评估失败[/]", "[yellow]evaluation failed[/]"),
    "skipped": ("[yellow]已跳过[/]", "[yellow]skipped[/]"),
}


def _print_quality(r: LoadResult, lang: Lang) -> None:
    if r.quality_status is None:
        return
    zh, en = _QUALITY.get(r.quality_status, (r.quality_status, r.quality_status))
    if r.quality_status == "passed" and not r.quality_gate:  # nothing declared to pass
        zh, en = "已评估（未设门槛）", "evaluated (no gate declared)"
    from shuzhi.quality import grade

    level = grade(r.quality_score, lang.value) or ""
    score = (
        f"  {_t(lang, '评分', 'score')} {score_text(r.quality_score)} {level}"
        if r.quality_score is not None
        else ""
    )
    _console().print(
        styled(f"{_t(lang, '数据质量', 'data quality')}: {_t(lang, zh, en)}{score}")
        + f"  ({_t(lang, '详情', 'details')}: shuzhi quality {r.resource} --version {r.version})"
    )


def ingest_cmd(
    resource: Annotated[str, typer.Argument(help="目录中的资源代码 / resource code in the catalog")],
    file: Annotated[
        str,
        typer.Argument(
            help="数据文件，或数据库地址（SQLAlchemy URL，表或查询写在映射文件的 source 中）/ the file to "
            "load (CSV, Excel, JSON, Parquet), or a database URL (the table or query in the mapping's "
            "source)",
        ),
    ],
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", "-m", help="映射文件 / mapping YAML (default: match by name or label)"),
    ] = None,
    mode: Annotated[
        ModeChoice,
        typer.Option(
            "--mode",
            help="full 全量替换 | append 追加 | upsert 按主键更新或新增 / "
            "full snapshot, append, or upsert by key",
        ),
    ] = ModeChoice.full,
    by: Annotated[
        str | None, typer.Option("--by", help="加载人 / who loads it (default: your user name)")
    ] = None,
    no_quality: Annotated[
        bool,
        typer.Option(
            "--no-quality",
            help="跳过质量评估；有质量门槛的资源则暂不发布 / skip the quality evaluation "
            "(a resource with a quality gate then keeps the version held)",
        ),
    ] = False,
    as_json: JsonOpt = False,
    lang: LangOpt = Lang.zh,
    workspace: WorkspaceOpt = None,
) -> None:
    """加载数据文件为资源的新版本 / Load a file into a new version of a resource.

    The new version's data quality is evaluated, and the resource's quality gate applied, before
    it is published. Exit code 0 when the new version is current, 1 when it was kept but not
    published (held by the quality gate, or every row quarantined: the reason is printed), 3 for
    bad input (file, row and column named), 4 for an unknown resource or file, 6 when another
    load of the resource is running.
    """
    from shuzhi.ingest import ingest
    from shuzhi.workspace import Workspace

    with Workspace.open(workspace) as ws:
        kw: dict[str, Any] = {
            "mapping": mapping,
            "mode": mode.value,
            "loaded_by": _user(by),
            "quality": not no_quality,
        }
        if as_json:
            result = ingest(ws, resource, file, **kw)
        else:
            with ProgressBar(lang=lang) as bar:
                result = ingest(ws, resource, file, progress=bar, **kw)
    if as_json:
        _print_json(result.model_dump(mode="json"))
    else:
        _print_result(result, lang)
    if not result.published:
        raise typer.Exit(EXIT_HELD)


# -- versions --------------------------------------------------------------------------------------


def _versions_table(versions: list[VersionInfo], lang: Lang) -> Table:
    table = Table(title=_t(lang, "版本", "versions"), title_justify="left")
    for h, j in [
        (_t(lang, "版本", "version"), "left"),
        (_t(lang, "方式", "mode"), "left"),
        (_t(lang, "加载时间", "loaded at"), "left"),
        (_t(lang, "加载人", "by"), "left"),
        (_t(lang, "读入", "in"), "right"),
        (_t(lang, "加载", "loaded"), "right"),
        (_t(lang, "隔离", "quarantined"), "right"),
        (_t(lang, "总行数", "total"), "right"),
        ("+ / ~ / −", "right"),
        (_t(lang, "来源文件", "source"), "left"),
    ]:
        table.add_column(h, justify=j)  # type: ignore[arg-type]
    for v in reversed(versions):
        mark = (
            " [bold green]← 当前 / current[/]"
            if v.current
            else ("" if v.published else " [yellow]未发布 / held[/]")
        )
        if v.quality_status in ("held", "failed", "skipped"):
            zh, en = _QUALITY[v.quality_status]
            mark += f" ({_t(lang, '质量', 'quality')}: {_t(lang, zh, en)})"
        table.add_row(
            styled(f"v{v.number}{mark}"),
            v.mode,
            local_time(v.loaded_at, seconds=True),
            v.loaded_by or "",
            f"{v.rows_in:,}",
            f"{v.rows_loaded:,}",
            f"{v.rows_quarantined:,}",
            f"{v.rows_total:,}",
            f"+{v.rows_added:,} ~{v.rows_updated:,} −{v.rows_removed:,}",
            f"{v.source_name} ({v.source_hash[:8]})",
        )
    return table


def versions_cmd(
    resource: Annotated[str, typer.Argument(help="资源代码 / resource code")],
    verify: Annotated[
        bool, typer.Option("--verify", help="核对当前版本的校验和 / check the current version's checksum")
    ] = False,
    log: Annotated[
        bool,
        typer.Option(
            "--log",
            help="加载与发布记录（含失败的加载和每一次人工发布）/ the job log: loads (failed ones too) "
            "and every publication by hand",
        ),
    ] = False,
    as_json: JsonOpt = False,
    lang: LangOpt = Lang.zh,
    workspace: WorkspaceOpt = None,
) -> None:
    """列出资源的版本 / List the versions of a resource, newest first."""
    from shuzhi.ingest import job_log, list_versions, verify_version
    from shuzhi.workspace import Workspace

    with Workspace.open(workspace) as ws:
        if log:
            jobs = job_log(ws, resource)
            held = {v.number for v in list_versions(ws, resource) if not v.published}
        else:
            versions = list_versions(ws, resource)
            checked = verify_version(ws, resource) if verify and any(v.current for v in versions) else None
    if log:
        _print_jobs(jobs, as_json, lang, held)
        return
    if as_json:
        _print_json([v.model_dump(mode="json") for v in versions])
        return
    out = _console()
    if not versions:
        out.print(_t(lang, f"{resource} 尚未加载数据", f"{resource} has no versions yet"))
        return
    out.print(_versions_table(versions, lang))
    for v in reversed(versions):
        if not v.published and v.hold_reason:
            out.print(f"  v{v.number} {_t(lang, '未发布原因', 'held because')}: {v.hold_reason}")
        elif v.publish_note:
            when = f" {local_time(v.published_at)}" if v.published_at else ""
            who = v.published_by or "?"
            out.print(
                f"  v{v.number} "
                + _t(lang, f"由 {who} 发布{when}", f"published by {who}{when}")
                + f": {v.publish_note}"
            )
    if checked is not None:
        out.print(
            styled("[green]✓[/] ")
            + f"v{checked.number} {_t(lang, '校验和一致', 'checksum matches')}: {checked.checksum}"
        )


_JOB_STATUS = {"succeeded": "成功", "failed": "失败", "running": "进行中"}
_JOB_MODE = {"publish": "发布", "full": "全量", "append": "追加", "upsert": "更新"}


def _print_jobs(jobs: list[Any], as_json: bool, lang: Lang, held: set[int] | None = None) -> None:
    """``held``: the versions not published (a load that succeeded but was held says so)."""
    if as_json:
        _print_json([j.model_dump(mode="json") for j in jobs])
        return
    out = _console()
    if not jobs:
        out.print(_t(lang, "尚无加载记录", "no loads yet"))
        return
    table = Table(title=_t(lang, "加载与发布记录", "job log"), title_justify="left")
    for h in (
        _t(lang, "时间", "at"),
        _t(lang, "操作", "job"),
        _t(lang, "结果", "status"),
        _t(lang, "版本", "version"),
        _t(lang, "操作人", "by"),
        _t(lang, "来源 / 理由", "source / reason"),
    ):
        table.add_column(h)
    for j in jobs:
        status = _JOB_STATUS.get(j.status, j.status) if lang is Lang.zh else j.status
        if j.status == "succeeded" and j.mode != "publish" and j.version in (held or ()):
            status += _t(lang, "（未发布）", " (held)")
        table.add_row(
            local_time(j.started_at, seconds=True),
            _JOB_MODE.get(j.mode, j.mode) if lang is Lang.zh else j.mode,
            Text(status, style="red") if j.status == "failed" else status,
            "" if j.version is None else f"v{j.version}",
            j.by or "",
            Text(j.source) + (Text(f"\n{j.error}", style="red") if j.error else Text()),
        )
    out.print(table)


# -- publish -----------------------------------------------------------------------------------------


def _print_publish(p: PublishResult, lang: Lang) -> None:
    out = _console()
    was = f"v{p.previous}" if p.previous is not None else _t(lang, "无", "none")
    out.print(
        styled(f"[bold green]{_t(lang, '已发布', 'published')}[/] ")
        + f"{p.resource} v{p.version} ({_t(lang, '原当前版本', 'was')} {was}) "
        f"{_t(lang, '发布人', 'by')} {p.published_by or '?'}: {p.note}"
    )
    if p.hold_reason:
        out.print(f"  {_t(lang, '原暂缓原因', 'it had been held because')}: {p.hold_reason}")
    for w in p.warnings:
        out.print(styled("  [yellow]![/] ") + w)


def publish_cmd(
    resource: Annotated[str, typer.Argument(help="资源代码 / resource code")],
    version: Annotated[int, typer.Argument(help="版本号 / the version to make current")],
    reason: Annotated[
        str,
        typer.Option(
            "--reason", "-r", help="发布理由（记录在案）/ why it is published (recorded)", show_default=False
        ),
    ],
    by: Annotated[
        str | None, typer.Option("--by", help="发布人 / who publishes it (default: your user name)")
    ] = None,
    as_json: JsonOpt = False,
    lang: LangOpt = Lang.zh,
    workspace: WorkspaceOpt = None,
) -> None:
    """发布暂缓的版本为当前版本 / Make a held (or earlier) version current, with a recorded reason.

    The version's files are checked against their checksum first; who, when and why are kept on
    the version (``shuzhi versions`` shows them). Exit code 4 for an unknown version, 6 when it is
    already current or a load is running, 3 without a reason or when its files changed.
    """
    from shuzhi.ingest import publish_version
    from shuzhi.workspace import Workspace

    with Workspace.open(workspace) as ws:
        p = publish_version(ws, resource, version, reason=reason, by=_user(by))
    if as_json:
        _print_json(p.model_dump(mode="json"))
    else:
        _print_publish(p, lang)


# -- diff --------------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _print_diff(d: VersionDiff, lang: Lang, codes: Mapping[str, CodeList] | None = None) -> None:
    out = _console()

    def name(field: str) -> str:
        # fields by their Chinese label in the Chinese UI, by their code in English
        return d.labels.get(field, field) if lang is Lang.zh else field

    def empty(value: Any, field: str) -> str:
        # a value that became empty (a flagged value is stored empty) is said, not left blank
        if value is None or value == "":
            return _t(lang, "（空）", "(empty)")
        listed = (codes or {}).get(field)
        return listed.describe(str(value), lang.value) if listed is not None else str(value)

    out.print(
        Text(d.resource, style="bold")
        + f" v{d.from_version} → v{d.to_version}"
        + (f"  ({_t(lang, '按主键', 'by key')} {', '.join(map(name, d.keys))})" if d.keys else "")
    )
    counts = Table()
    for h in (
        _t(lang, "新增", "added"),
        _t(lang, "删除", "removed"),
        _t(lang, "变更", "changed"),
        _t(lang, "未变", "unchanged"),
    ):
        counts.add_column(h, justify="right")
    counts.add_row(f"+{d.added:,}", f"−{d.removed:,}", f"~{d.changed:,}", f"{d.unchanged:,}")
    out.print(counts)
    if d.changed_by_field:
        t = Table(title=_t(lang, "各信息项变更行数", "changed rows by field"), title_justify="left")
        t.add_column(_t(lang, "信息项", "field"))
        t.add_column(_t(lang, "行数", "rows"), justify="right")
        for f, n in sorted(d.changed_by_field.items(), key=lambda kv: -kv[1]):
            t.add_row(name(f), f"{n:,}")
        out.print(t)
    show = d.keys or d.fields[:6]
    for title, rows in (
        (_t(lang, "新增示例", "added (sample)"), d.added_sample),
        (_t(lang, "删除示例", "removed (sample)"), d.removed_sample),
    ):
        if rows:
            t = Table(title=title, title_justify="left")
            cols = [*show, *[f for f in d.fields if f not in show][: max(0, 6 - len(show))]]
            for c in cols:
                t.add_column(name(c), overflow="fold")
            for r in rows:
                t.add_row(*(_cell(r.get(c)) for c in cols))
            out.print(t)
    if d.changed_sample:
        t = Table(title=_t(lang, "变更示例", "changed (sample)"), title_justify="left")
        t.add_column(_t(lang, "主键", "key"))
        t.add_column(_t(lang, "变更：旧值 → 新值", "changes: old → new"), overflow="fold")
        for changed in d.changed_sample:
            t.add_row(
                " / ".join(_cell(v) for v in changed.key.values()),
                "\n".join(
                    f"{name(ch.field)}: {empty(ch.old, ch.field)} → {empty(ch.new, ch.field)}"
                    for ch in changed.changes
                ),
            )
        out.print(t)
    for note in d.notes:
        out.print(f"  • {note}")


def diff_cmd(
    resource: Annotated[str, typer.Argument(help="资源代码 / resource code")],
    v1: Annotated[int, typer.Argument(help="旧版本号 / the older version")],
    v2: Annotated[int, typer.Argument(help="新版本号 / the newer version")],
    sample: Annotated[int, typer.Option("--sample", help="每类示例行数 / example rows of each kind")] = 10,
    as_json: JsonOpt = False,
    lang: LangOpt = Lang.zh,
    workspace: WorkspaceOpt = None,
) -> None:
    """比较两个版本 / Compare two versions: rows added, removed and changed, by key."""
    from shuzhi.catalog import get_resource
    from shuzhi.ingest import diff
    from shuzhi.standards.codes import CODE_LISTS
    from shuzhi.workspace import Workspace

    with Workspace.open(workspace) as ws:
        d = diff(ws, resource, v1, v2, sample=sample)
        fields = get_resource(ws, resource).spec.fields
    if as_json:
        _print_json(d.model_dump(mode="json"))
    else:
        # a code of a code list (sex 1, marital 20) with its meaning: 1（男）
        codes = {f.name: CODE_LISTS[f.standard] for f in fields if f.standard in CODE_LISTS}
        _print_diff(d, lang, codes)


# -- quarantine ----------------------------------------------------------------------------------


def _quarantine_columns(q: QuarantineView, room: int = 6) -> list[str]:
    """The source columns shown: every column a shown row's problem is about, then the first
    columns (the key, the name…) up to ``room``, in the file's order."""
    involved = {e.get("column") for r in q.rows for e in r.errors}
    shown = {c for c in q.columns if c in involved}
    for c in q.columns:
        if len(shown) >= room:
            break
        shown.add(c)
    return [c for c in q.columns if c in shown]


def _print_quarantine(q: QuarantineView, lang: Lang, rule: str | None) -> None:
    out = _console()
    out.print(
        Text(f"{q.resource} v{q.version}", style="bold")
        + f" {_t(lang, '隔离区', 'quarantine')}: {q.total:,} {_t(lang, '行', 'rows')}"
        + (f" ({rule}: {q.matching:,})" if rule else "")
    )
    if not q.total:
        return
    out.print(_rule_table(q.by_rule, lang, _t(lang, "按规则", "by rule")))
    if q.rows:
        t = Table(
            title=_t(lang, f"示例（前 {len(q.rows)} 行）", f"rows (first {len(q.rows)})"),
            title_justify="left",
        )
        t.add_column(_t(lang, "行号", "row"), justify="right")
        t.add_column(_t(lang, "问题", "problems"), overflow="fold")
        shown = _quarantine_columns(q)
        for c in shown:
            t.add_column(c, overflow="fold")
        key = "reason_zh" if lang is Lang.zh else "reason_en"
        for r in q.rows:
            problems = "\n".join(f"{e.get('column') or ''}: {e.get(key) or e.get('rule')}" for e in r.errors)
            t.add_row(str(r.row), problems, *(_cell(r.values.get(c)) for c in shown))
        out.print(t)
    out.print(
        _t(lang, "导出给部门更正：", "export for correction: ")
        + f"shuzhi quarantine {q.resource} --version {q.version} --export 退回.xlsx"
    )


def quarantine_cmd(
    resource: Annotated[str, typer.Argument(help="资源代码 / resource code")],
    version: Annotated[
        int | None, typer.Option("--version", "-v", help="版本号 / version (default: the last load)")
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option(
            "--export", help="导出为 .csv 或 .xlsx 供部门更正 / write to a .csv or .xlsx file for correction"
        ),
    ] = None,
    rule: Annotated[
        str | None,
        typer.Option("--rule", help="只看某规则、信息项或原因 / only this rule, field or reason code"),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="显示行数 / rows shown")] = 20,
    as_json: JsonOpt = False,
    lang: LangOpt = Lang.zh,
    workspace: WorkspaceOpt = None,
) -> None:
    """查看或导出隔离的行 / Show or export the rows a load quarantined, with row numbers and reasons."""
    from shuzhi.ingest import export_quarantine, quarantine
    from shuzhi.workspace import Workspace

    lng: Literal["zh", "en"] = "en" if lang is Lang.en else "zh"
    with Workspace.open(workspace) as ws:
        if export is not None:
            started = time.monotonic()
            n = export_quarantine(ws, resource, version, export, rule=rule, lang=lng)
            if as_json:
                _print_json({"path": str(export), "rows": n})
            else:
                _console().print(
                    Text(_t(lang, "已导出", "exported"), style="green")
                    + f" {n:,} {_t(lang, '行到', 'rows to')} {export} ({time.monotonic() - started:.1f} s)"
                )
            return
        q = quarantine(ws, resource, version, limit=limit, rule=rule)
    if as_json:
        _print_json(q.model_dump(mode="json"))
    else:
        _print_quarantine(q, lang, rule)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_cmd)
    app.command("versions")(versions_cmd)
    app.command("publish")(publish_cmd)
    app.command("diff")(diff_cmd)
    app.command("quarantine")(quarantine_cmd)
