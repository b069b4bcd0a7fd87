"""``shuzhi catalog …``: declare, browse, search and export the data resource catalog (数据资源目录)."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from shuzhi.cli._console import escape, local_time, new_console, styled
from shuzhi.cli.check import Lang
from shuzhi.cli.workspace import WorkspaceOpt

if TYPE_CHECKING:
    from collections.abc import Sequence

    from shuzhi.catalog import CatalogEntry, DeclareReport, DepartmentSpec, HistoryEntry, ResourceSpec

__all__ = ["catalog_app", "register"]

catalog_app = typer.Typer(
    name="catalog",
    help="数据资源目录：声明、查询、检索、导出 / the data resource catalog: declare, list, search, export.",
    no_args_is_help=True,
)

LangOpt = Annotated[Lang, typer.Option("--lang", help="标签语言 / language of labels: zh | en")]
JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")]
ByOpt = Annotated[
    str | None,
    typer.Option(
        "--by", help="记录在历史中的操作人 / who to record in the history (default: your user name)"
    ),
]
AllOpt = Annotated[bool, typer.Option("--all", help="包括已撤销的资源 / include retired resources")]


def _t(lang: Lang, zh: str, en: str) -> str:
    return zh if lang is Lang.zh else en


def _by(by: str | None) -> str | None:
    if by:
        return by
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return None


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _console() -> Console:
    return new_console(highlight=False)


def _yes(value: bool) -> str:
    return "✓" if value else ""


# -- declaring ------------------------------------------------------------------------------------


def _print_report(report: DeclareReport, lang: Lang) -> None:
    out = _console()
    rows = [
        (_t(lang, "新建", "created"), "green", report.created),
        (_t(lang, "更新", "updated"), "yellow", report.updated),
        (_t(lang, "未变", "unchanged"), "dim", report.unchanged),
        (_t(lang, "新建部门", "departments created"), "green", report.departments_created),
        (_t(lang, "更新部门", "departments updated"), "yellow", report.departments_updated),
    ]
    table = Table(show_header=False, box=None, padding=(0, 2))
    for title, style, codes in rows:
        if codes:
            shown = ", ".join(
                f"{c} (r{report.revisions[c]})" if c in report.revisions and title != rows[2][0] else c
                for c in codes
            )
            table.add_row(styled(f"[{style}]{title}[/] {len(codes)}"), shown)
    if table.row_count:
        out.print(table)
    else:
        out.print(_t(lang, "没有声明任何内容", "nothing declared"))
    for w in report.warnings:
        out.print(styled(f"[yellow]{_t(lang, '注意', 'warning')}:[/] {escape(w)}"))


@catalog_app.command("add")
def add(
    files: Annotated[list[Path], typer.Argument(help="目录 YAML 文件 / catalog YAML files")],
    workspace: WorkspaceOpt = None,
    by: ByOpt = None,
    comment: Annotated[
        str | None, typer.Option("--comment", help="修改说明 / comment for the history")
    ] = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """声明 YAML 目录文件（全部成功或全部不生效）/ Declare catalog YAML files, all or nothing."""
    from shuzhi.catalog import declare
    from shuzhi.workspace import Workspace

    with Workspace.open(workspace) as ws:
        report = declare(ws, [str(f) for f in files], by=_by(by), comment=comment)
    if as_json:
        _print_json(report.to_dict())
    else:
        _print_report(report, lang)


_FLAGS = ("key", "required", "unique", "sensitive")


def _parse_field(n: int, text: str) -> dict[str, Any]:
    """``NAME:LABEL[:STANDARD[:FLAGS]]``; FLAGS separated by commas: key, required, unique,
    sensitive, a type (integer, date, …), ``scale=N`` (a decimal's places) or a
    personal-information kind (identity, health, …)."""
    from shuzhi.catalog.spec import FieldType, PersonalInfo

    parts = text.split(":")
    if len(parts) < 2 or len(parts) > 4 or not parts[0].strip() or not parts[1].strip():
        raise typer.BadParameter(
            f"--field {n}: {text!r}: 应为 / expected NAME:LABEL[:STANDARD[:FLAGS]], "
            "e.g. id_number:公民身份号码:idcard:key"
        )
    field: dict[str, Any] = {"name": parts[0].strip(), "label": parts[1].strip()}
    if len(parts) > 2 and parts[2].strip():
        field["standard"] = parts[2].strip()
    for flag in (f.strip() for f in parts[3].split(",")) if len(parts) > 3 else ():
        if not flag:
            continue
        if flag in _FLAGS:
            field[flag] = True
            continue
        if flag.startswith("scale="):  # decimal places of an exact decimal: amount:金额::decimal,scale=2
            digits = flag.removeprefix("scale=")
            if not digits.isdigit():
                raise typer.BadParameter(
                    f"--field {n}: scale 应为整数 / scale must be a whole number, not {digits!r}"
                )
            field["scale"] = int(digits)
            continue
        try:
            field["type"] = FieldType(flag).value
            continue
        except ValueError:
            pass
        try:
            field["personal_info"] = PersonalInfo(flag).value
            continue
        except ValueError:
            pass
        raise typer.BadParameter(
            f"--field {n}: 未知标记 / unknown flag {flag!r}; 可选 / known: {', '.join(_FLAGS)}, "
            f"a type ({', '.join(FieldType)}), scale=N or a personal-information kind "
            f"({', '.join(PersonalInfo)})"
        )
    return field


def _spec_errors(e: Any) -> dict[str, list[str]]:
    """pydantic's errors in Chinese and English, by key (as the YAML and the API word them)."""
    from shuzhi._yaml import validation_message

    problems: dict[str, list[str]] = {}
    for err in e.errors(include_url=False):
        key = ""
        for part in err["loc"]:
            key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
        problems.setdefault(key or "resource", []).append(validation_message(err))
    return problems


@catalog_app.command("new")
def new(
    code: Annotated[str, typer.Argument(help="资源代码 / resource code, e.g. JC-GA-HJRK")],
    name: Annotated[str, typer.Option("--name", help="资源名称 / resource name")],
    department: Annotated[
        str, typer.Option("--department", "-d", help="提供部门代码 / provider department code")
    ],
    fields: Annotated[
        list[str],
        typer.Option(
            "--field",
            "-f",
            help="信息项 / a field: NAME:LABEL[:STANDARD[:FLAGS]], FLAGS comma-separated from key, required, "
            "unique, sensitive, a type (integer, date …), scale=N (a decimal's places), a personal-"
            "information kind (identity, health …); e.g. id_number:公民身份号码:idcard:key,identity or "
            "amount:金额::decimal,scale=2 (repeat for more fields)",
        ),
    ],
    sharing: Annotated[
        str, typer.Option("--sharing", help="共享类型 / 无条件共享 | 有条件共享 | 不予共享 (or English)")
    ] = "无条件共享",
    condition: Annotated[
        str | None,
        typer.Option("--condition", help="共享条件 / sharing condition (needed unless unconditional)"),
    ] = None,
    method: Annotated[
        str | None, typer.Option("--method", help="共享方式 / sharing method, e.g. 接口")
    ] = None,
    summary: Annotated[str, typer.Option("--summary", help="摘要 / summary")] = "",
    name_en: Annotated[str | None, typer.Option("--name-en", help="英文名称 / English name")] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="目录类别 / base | thematic | departmental")
    ] = None,
    format: Annotated[
        str | None, typer.Option("--format", help="资源格式 / database | spreadsheet | …")
    ] = None,
    open_type: Annotated[
        str | None, typer.Option("--open", help="开放类型 / open | conditional | closed")
    ] = None,
    cycle: Annotated[str | None, typer.Option("--cycle", help="更新周期 / daily | monthly | 每日 …")] = None,
    grade: Annotated[
        str | None, typer.Option("--grade", help="数据分级 / general | important | core")
    ] = None,
    classification: Annotated[
        list[str] | None,
        typer.Option("--class", help="分类（类/项/目/细目，依次重复）/ classification levels"),
    ] = None,
    tags: Annotated[list[str] | None, typer.Option("--tag", help="标签 / tag (repeat)")] = None,
    related: Annotated[
        list[str] | None, typer.Option("--related", help="关联资源代码 / related code")
    ] = None,
    release_date: Annotated[
        str | None, typer.Option("--release-date", help="发布日期 / release date YYYY-MM-DD")
    ] = None,
    workspace: WorkspaceOpt = None,
    by: ByOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """在命令行新建一个资源（不写 YAML）/ Create one resource from the command line, without YAML.

    Refuses a code that already exists (update it with ``catalog add FILE``).
    """
    import pydantic

    from shuzhi.catalog import ResourceSpec, declare, get_resource
    from shuzhi.errors import Conflict, NotFound, ValidationError
    from shuzhi.workspace import Workspace

    data: dict[str, Any] = {
        "code": code,
        "name": name,
        "department": department,
        "summary": summary,
        "fields": [_parse_field(i, f) for i, f in enumerate(fields, 1)],
        "sharing": {"type": sharing, "condition": condition, "method": method},
    }
    optional = {
        "name_en": name_en,
        "kind": kind,
        "format": format,
        "update_cycle": cycle,
        "security_grade": grade,
        "release_date": release_date,
        "classification": classification,
        "tags": tags,
        "related": related,
    }
    data.update({k: v for k, v in optional.items() if v})
    if open_type:
        data["open"] = {"type": open_type}
    try:
        spec = ResourceSpec.model_validate(data)
    except pydantic.ValidationError as e:
        raise ValidationError(_spec_errors(e)) from None
    with Workspace.open(workspace) as ws:
        try:
            get_resource(ws, spec.code)
        except NotFound:
            pass
        else:
            raise Conflict(
                f"资源已存在 / resource {spec.code} already exists: "
                "修改请用 / to change it use `shuzhi catalog add FILE`"
            )
        report = declare(ws, spec, by=_by(by), comment="shuzhi catalog new")
    if as_json:
        _print_json(report.to_dict())
    else:
        _print_report(report, lang)


@catalog_app.command("add-department")
def add_department(
    code: Annotated[str, typer.Argument(help="部门代码 / department code, e.g. JC-GA")],
    name: Annotated[str, typer.Argument(help="部门名称 / name, e.g. 晋城市公安局")],
    name_en: Annotated[
        str | None,
        typer.Option(
            "--name-en", help='英文名称（不写则不变，"" 清除）/ English name (kept if left out; "" clears it)'
        ),
    ] = None,
    parent: Annotated[
        str | None,
        typer.Option(
            "--parent",
            help='上级部门代码（不写则不变，"" 清除）/ parent department code '
            '(kept if left out; "" clears it)',
        ),
    ] = None,
    comment: Annotated[
        str | None, typer.Option("--comment", help="修改说明 / comment for the history")
    ] = None,
    workspace: WorkspaceOpt = None,
    by: ByOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """新建或修改部门；修改时未给出的选项保持原值 / Create or update a department; when updating,
    the options left out keep their values."""
    import pydantic

    from shuzhi.catalog import DepartmentSpec, complete_department, declare
    from shuzhi.errors import ValidationError
    from shuzhi.workspace import Workspace

    given = {k for k, v in (("name_en", name_en), ("parent", parent)) if v is not None}
    try:
        spec = DepartmentSpec(code=code, name=name, name_en=name_en or None, parent=parent or None)
    except pydantic.ValidationError as e:
        raise ValidationError(_spec_errors(e)) from None
    with Workspace.open(workspace) as ws:
        report = declare(ws, complete_department(ws, spec, given), by=_by(by), comment=comment)
    if as_json:
        _print_json(report.to_dict())
    else:
        _print_report(report, lang)


# -- reading --------------------------------------------------------------------------------------


def _entries_table(entries: list[CatalogEntry], lang: Lang, *, title: str | None = None) -> Table:
    table = Table(title=title)
    heads = [
        ("代码", "code"),
        ("名称", "name"),
        ("提供部门", "department"),
        ("共享类型", "sharing"),
        ("开放类型", "open"),
        ("分级", "grade"),
        ("更新周期", "update"),
        ("信息项", "fields"),
        ("修订", "rev."),
        ("数据版本", "version"),
    ]
    for i, (zh, en) in enumerate(heads):
        table.add_column(_t(lang, zh, en), overflow="fold", no_wrap=i < 2)
    lg = lang.value
    for e in entries:
        s = e.spec
        name: str | Text = s.name if lang is Lang.zh or not s.name_en else s.name_en
        if e.retired:
            name = styled(f"{escape(str(name))} [dim]({_t(lang, '已撤销', 'retired')})[/]")
        table.add_row(
            s.code,
            name,
            e.department_name,
            s.sharing.type.label(lg),
            s.open.type.label(lg),
            s.security_grade.label(lg),
            s.update_cycle.label(lg),
            str(len(s.fields)),
            str(e.revision),
            f"v{e.current_version}" if e.current_version is not None else "-",
        )
    return table


@catalog_app.command("list")
def list_cmd(
    department: Annotated[
        str | None,
        typer.Option("--department", "-d", help="部门代码（含下级）/ department code (with sub-units)"),
    ] = None,
    sharing: Annotated[str | None, typer.Option("--sharing", help="共享类型 / sharing type")] = None,
    open_type: Annotated[str | None, typer.Option("--open", help="开放类型 / open type")] = None,
    grade: Annotated[str | None, typer.Option("--grade", help="数据分级 / security grade")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="目录类别 / resource kind")] = None,
    standard: Annotated[
        str | None,
        typer.Option("--standard", help="含该标准信息项的资源 / with a field of this standard, e.g. idcard"),
    ] = None,
    q: Annotated[str | None, typer.Option("--q", "-q", help="文字筛选 / text filter")] = None,
    include_retired: AllOpt = False,
    workspace: WorkspaceOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """列出资源（可筛选）/ List resources, filtered."""
    from shuzhi.catalog import list_resources
    from shuzhi.workspace import Workspace

    with Workspace.open(workspace) as ws:
        found = list_resources(
            ws,
            department=department,
            sharing=sharing,
            open=open_type,
            grade=grade,
            kind=kind,
            standard=standard,
            q=q,
            include_retired=include_retired,
        )
    if as_json:
        _print_json([e.to_dict(lang.value) for e in found])
        return
    out = _console()
    out.print(_entries_table(found, lang))
    out.print(_t(lang, f"共 {len(found)} 个资源", f"{len(found)} resource(s)"))


@catalog_app.command("search")
def search_cmd(
    q: Annotated[
        str, typer.Argument(help="检索词：中文、拼音、拼音首字母、代码 / Chinese, pinyin, initials, code")
    ],
    limit: Annotated[int, typer.Option("--limit", help="最多条数 / at most this many")] = 50,
    include_retired: AllOpt = False,
    workspace: WorkspaceOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """检索资源（如 rkk 找到 人口库）/ Search resources, best match first (rkk finds 人口库)."""
    from shuzhi.catalog import search
    from shuzhi.workspace import Workspace

    with Workspace.open(workspace) as ws:
        found = search(ws, q, limit=limit, include_retired=include_retired)
    if as_json:
        _print_json([e.to_dict(lang.value) for e in found])
        return
    out = _console()
    if not found:
        out.print(_t(lang, f"没有找到与「{q}」相关的资源", f"nothing found for {q!r}"))
        return
    out.print(_entries_table(found, lang))


def _history_table(
    entries: Sequence[HistoryEntry[ResourceSpec] | HistoryEntry[DepartmentSpec]],
    lang: Lang,
    *,
    title: str | None = None,
) -> Table:
    action = {
        "created": ("新建", "created"),
        "updated": ("修改", "updated"),
        "retired": ("撤销", "retired"),
        "restored": ("恢复", "restored"),
    }
    table = Table(title=title or _t(lang, "修订历史", "history"))
    for zh, en in (
        ("修订", "rev."),
        ("操作", "action"),
        ("时间", "when"),
        ("操作人", "by"),
        ("变化", "changes"),
        ("说明", "comment"),
    ):
        table.add_column(_t(lang, zh, en), overflow="fold")
    for h in entries:
        zh, en = action.get(h.action, (h.action, h.action))
        changes = "\n".join(
            f"{_t(lang, _KEY_ZH.get(k, k), k)}: {_short(v[0])} → {_short(v[1])}" for k, v in h.changes.items()
        )
        table.add_row(
            str(h.revision),
            _t(lang, zh, en),
            local_time(h.changed_at, seconds=True),
            h.changed_by or "-",
            changes or "-",
            h.comment or "",
        )
    return table


#: what the history's top-level keys are called in the Chinese UI (nested paths stay as written)
_KEY_ZH = {
    "name": "名称",
    "name_en": "英文名称",
    "parent": "上级部门",
    "department": "提供部门",
    "summary": "摘要",
    "related": "关联资源",
    "retired_at": "撤销时间",
}


def _short(v: Any) -> str:
    text = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v
    return text if len(text) <= 60 else text[:57] + "…"


def _show(entry: CatalogEntry, lang: Lang) -> Group:
    s = entry.spec
    lg = lang.value
    meta = Table(show_header=False, box=None, padding=(0, 2))
    sharing = s.sharing.type.label(lg)
    if s.sharing.condition:
        sharing += f"（{s.sharing.condition}）" if lang is Lang.zh else f" ({s.sharing.condition})"
    open_ = s.open.type.label(lg) + (f"（{s.open.condition}）" if s.open.condition else "")
    rows: list[tuple[tuple[str, str], str | Text]] = [
        (("名称", "name"), s.name + (f" / {s.name_en}" if s.name_en else "")),
        (("提供部门", "provider"), f"{entry.department_name} ({s.department})"),
        (("摘要", "summary"), s.summary or "-"),
        (("目录类别", "kind"), s.kind.label(lg)),
        (("分类", "classification"), " / ".join(s.classification) or "-"),
        (("资源格式", "format"), s.format.label(lg)),
        (("共享类型", "sharing"), sharing),
        (("共享方式", "sharing method"), s.sharing.method or "-"),
        (("开放类型", "open"), open_),
        (("更新周期", "update cycle"), s.update_cycle.label(lg)),
        (("数据分级", "security grade"), s.security_grade.label(lg)),
        (("发布日期", "released"), s.release_date.isoformat() if s.release_date else "-"),
        (("关联资源", "related"), ", ".join(s.related) or "-"),
        (("标签", "tags"), ", ".join(s.tags) or "-"),
        (("区划", "region"), s.region or "-"),
        (
            ("修订", "revision"),
            f"{entry.revision}  ({local_time(entry.updated_at)}, {entry.updated_by or '-'})",
        ),
        (
            ("数据版本", "data version"),
            f"v{entry.current_version}" if entry.current_version is not None else "-",
        ),
    ]
    if entry.retired_at is not None:
        rows.append((("已撤销", "retired"), styled(f"[red]{local_time(entry.retired_at)}[/]")))
    for (zh, en), value in rows:
        meta.add_row(styled(f"[bold]{_t(lang, zh, en)}[/]"), value)
    fields = Table(title=_t(lang, "信息项", "fields"))
    heads = [
        ("#", "#"),
        ("名称", "name"),
        ("中文名", "label"),
        ("类型", "type"),
        ("标准", "standard"),
        ("主键", "key"),
        ("必填", "required"),
        ("敏感", "sensitive"),
        ("个人信息", "personal info"),
    ]
    for zh, en in heads:
        fields.add_column(_t(lang, zh, en), overflow="fold")
    for i, f in enumerate(s.fields, 1):
        label_ = f.label if lang is Lang.zh or not f.label_en else f"{f.label} / {f.label_en}"
        fields.add_row(
            str(i),
            f.name,
            label_,
            f.type.label(lg)
            + (_t(lang, f"（{f.scale} 位小数）", f" ({f.scale} places)") if f.scale is not None else ""),
            f.standard or "",
            _yes(f.key),
            _yes(f.required),
            _yes(f.sensitive),
            f.personal_info.label(lg) if f.personal_info.value != "none" else "",
        )
    return Group(
        Panel(meta, title=styled(f"[bold]{escape(s.code)}[/] {escape(s.name)}"), expand=False), fields
    )


@catalog_app.command("show")
def show(
    code: Annotated[str, typer.Argument(help="资源代码 / resource code")],
    with_history: Annotated[
        bool, typer.Option("--history", help="同时显示修订历史 / with the history")
    ] = False,
    workspace: WorkspaceOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """显示一个资源的元数据和信息项 / Show a resource: its metadata and fields."""
    from shuzhi.catalog import get_resource, history
    from shuzhi.workspace import Workspace

    with Workspace.open(workspace) as ws:
        entry = get_resource(ws, code)
        revisions = history(ws, code) if with_history else []
    if as_json:
        data = entry.to_dict(lang.value)
        if with_history:
            data["history"] = [h.to_dict() for h in revisions]
        _print_json(data)
        return
    out = _console()
    out.print(_show(entry, lang))
    if with_history:
        out.print(_history_table(revisions, lang))


@catalog_app.command("history")
def history_cmd(
    code: Annotated[str, typer.Argument(help="资源或部门代码 / a resource's or a department's code")],
    workspace: WorkspaceOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """资源或部门的修订历史（谁、何时、改了什么）/ A resource's or a department's history: who
    changed what, and when."""
    from shuzhi.catalog import department_history, history
    from shuzhi.errors import NotFound
    from shuzhi.workspace import Workspace

    revisions: Sequence[HistoryEntry[ResourceSpec] | HistoryEntry[DepartmentSpec]]
    with Workspace.open(workspace) as ws:
        try:
            revisions, title = history(ws, code), _t(lang, "修订历史", "history")
        except NotFound:
            try:
                revisions = department_history(ws, code)
            except NotFound:
                raise NotFound("资源或部门 / resource or department", code) from None
            title = _t(lang, f"部门 {code} 修订历史", f"history of department {code}")
    if as_json:
        _print_json([h.to_dict() for h in revisions])
    else:
        _console().print(_history_table(revisions, lang, title=title))


@catalog_app.command("departments")
def departments(
    workspace: WorkspaceOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """列出部门 / List the departments."""
    from shuzhi.catalog import list_departments
    from shuzhi.workspace import Workspace

    with Workspace.open(workspace) as ws:
        found = list_departments(ws)
    if as_json:
        _print_json([d.to_dict() for d in found])
        return
    table = Table()
    for zh, en in (
        ("代码", "code"),
        ("名称", "name"),
        ("英文名称", "English name"),
        ("上级", "parent"),
        ("资源数", "resources"),
    ):
        table.add_column(_t(lang, zh, en))
    for d in found:
        table.add_row(d.code, d.name, d.name_en or "", d.parent or "", str(d.resources))
    _console().print(table)


# -- changing state and exporting -----------------------------------------------------------------


@catalog_app.command("retire")
def retire_cmd(
    code: Annotated[str, typer.Argument(help="资源代码 / resource code")],
    reason: Annotated[str, typer.Option("--reason", help="撤销原因 / why it is retired")],
    workspace: WorkspaceOpt = None,
    by: ByOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """撤销资源（历史和数据版本保留）/ Retire a resource; its history and versions stay."""
    from shuzhi.catalog import retire
    from shuzhi.workspace import Workspace

    with Workspace.open(workspace) as ws:
        entry = retire(ws, code, by=_by(by), reason=reason)
    if as_json:
        _print_json(entry.to_dict(lang.value))
    else:
        _console().print(_t(lang, f"已撤销 {entry.code} {entry.name}", f"retired {entry.code} {entry.name}"))


@catalog_app.command("restore")
def restore_cmd(
    code: Annotated[str, typer.Argument(help="资源代码 / resource code")],
    comment: Annotated[str | None, typer.Option("--comment", help="说明 / comment for the history")] = None,
    workspace: WorkspaceOpt = None,
    by: ByOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """恢复已撤销的资源 / Restore a retired resource."""
    from shuzhi.catalog import restore
    from shuzhi.workspace import Workspace

    with Workspace.open(workspace) as ws:
        entry = restore(ws, code, by=_by(by), comment=comment)
    if as_json:
        _print_json(entry.to_dict(lang.value))
    else:
        _console().print(_t(lang, f"已恢复 {entry.code} {entry.name}", f"restored {entry.code} {entry.name}"))


@catalog_app.command("export")
def export(
    fmt: Annotated[
        str, typer.Option("--format", help="dcat (JSON-LD) | yaml (`catalog add` 可读回 / readable by add)")
    ] = "dcat",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="输出文件 / output file (default: stdout)")
    ] = None,
    codes: Annotated[
        list[str] | None, typer.Option("--code", help="只导出这些资源 / only these resources")
    ] = None,
    base_uri: Annotated[
        str | None,
        typer.Option("--base-uri", help="DCAT 标识前缀 / IRI prefix (default urn:shuzhi:<workspace>:)"),
    ] = None,
    include_retired: AllOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """导出目录：DCAT JSON-LD 或可重新导入的 YAML / Export the catalog as DCAT JSON-LD or as YAML."""
    from shuzhi._yaml import dump_yaml
    from shuzhi.catalog import export_catalog, export_dcat
    from shuzhi.catalog._service import dump_catalog
    from shuzhi.workspace import Workspace

    if fmt not in ("dcat", "yaml"):
        raise typer.BadParameter(
            f"--format 应为 dcat 或 yaml，实为 {fmt!r} / --format is dcat or yaml, not {fmt!r}"
        )
    with Workspace.open(workspace) as ws:
        if fmt == "dcat":
            if include_retired:
                raise typer.BadParameter("--all 只适用于 yaml / applies to --format yaml only")
            text = (
                json.dumps(export_dcat(ws, codes or None, base_uri=base_uri), ensure_ascii=False, indent=2)
                + "\n"
            )
            count = text.count('"dcat:Dataset"')
        else:
            catalog = export_catalog(ws, codes or None, include_retired=include_retired)
            text = f"# shuzhi catalog export: {ws.name}\n" + dump_yaml(dump_catalog(catalog))
            count = len(catalog.resources)
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    _console().print(f"已导出 / exported {count} resource(s) → {output}")


def register(app: typer.Typer) -> None:
    app.add_typer(catalog_app, name="catalog")
