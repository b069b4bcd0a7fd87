"""``shuzhi registry …``: build the base registries (人口库、法人库), look a person or a legal entity
up, figures, export. ``--entity`` picks the registry: ``person`` (人口库, the default),
``legal_entity`` (also ``entity``, 法人库), for ``build`` and ``update`` also ``all`` (persons first,
so that legal representatives link to them); ``show`` tells the registry from the query."""

from __future__ import annotations

import getpass
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from shuzhi.cli._console import new_console
from shuzhi.cli.check import Lang
from shuzhi.cli.workspace import WorkspaceOpt

if TYPE_CHECKING:
    from shuzhi.registry import RegistryEntry, RunSummary

__all__ = ["register", "registry_app"]

registry_app = typer.Typer(
    name="registry",
    help="基础库（人口库、法人库）：构建、查询、统计、导出 / "
    "the base registries (persons, legal entities): build, show, stats, export.",
    no_args_is_help=True,
)

LangOpt = Annotated[Lang, typer.Option("--lang", help="语言 / language: zh | en")]
JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")]
EntityOpt = Annotated[
    str,
    typer.Option(
        "--entity",
        "--kind",
        help="哪个库 / which registry: person（人口库）| legal_entity 或 entity（法人库）",
    ),
]
BuildEntityOpt = Annotated[
    str,
    typer.Option(
        "--entity",
        "--kind",
        help="哪个库 / which registry: person（人口库）| legal_entity 或 entity（法人库）"
        "| all（两者，先人口库）",
    ),
]
DecisionArg = Annotated[
    str, typer.Argument(help="same（同一人 / 同一法人）| different（不同的人 / 不同的法人）")
]
NoteOpt = Annotated[str | None, typer.Option("--note", help="说明 / note")]
ShowEntityOpt = Annotated[
    str,
    typer.Option(
        "--entity",
        "--kind",
        help="哪个库 / which registry: auto（按查询判断）| person | legal_entity",
    ),
]

_ALIASES = {
    "person": "person",
    "persons": "person",
    "人口": "person",
    "人口库": "person",
    "legal_entity": "legal_entity",
    "entity": "legal_entity",
    "entities": "legal_entity",
    "法人": "legal_entity",
    "法人库": "legal_entity",
}


def conflicts_text(conflicts: Mapping[str, int], lang: Lang) -> str:
    """``出生日期不一致 2、…`` — each kind of conflict in words, not its code (``birth_date 2``)."""
    from shuzhi.registry._golden import CONFLICT_KINDS, ENTITY_CONFLICT_KINDS

    words = {**ENTITY_CONFLICT_KINDS, **CONFLICT_KINDS}
    i = 0 if lang is Lang.zh else 1
    parts = [f"{words[k][i] if k in words else k} {n:,}" for k, n in conflicts.items()]
    return _t(lang, "、", ", ").join(parts) or "0"


def _plain(value: Any, lang: Lang) -> str:
    """A conflict's detail as words: ``id_number 1405…；persons P…、P…``, not JSON."""
    if isinstance(value, dict):
        return _t(lang, "；", "; ").join(f"{k} {_plain(v, lang)}" for k, v in value.items())
    if isinstance(value, list):
        return _t(lang, "、", ", ").join(_plain(v, lang) for v in value)
    return "" if value is None else str(value)


def _sex(code: Any, lang: Lang) -> str:
    """A GB/T 2261.1 sex code with its meaning: ``1（男）``."""
    from shuzhi.standards.codes import CODE_LISTS

    return "" if code is None or code == "" else CODE_LISTS["sex"].describe(str(code), lang.value)


def share_text(share: float) -> str:
    """A share as a percentage cut, not rounded, to one decimal: one record of 2,500 left
    unlinked is 99.9 %, never 100.0 %."""
    return f"{math.floor(1000 * share + 1e-9) / 10:.1f}%"


def _entity(value: str, *, allow: tuple[str, ...] = ()) -> str:
    """The registry ``value`` names (``allow``: extra words such as ``all`` or ``auto``)."""
    v = value.strip().lower()
    if v in allow:
        return v
    if v not in _ALIASES:
        from shuzhi.errors import ValidationError

        choices = " | ".join(("person", "legal_entity", *allow))
        raise ValidationError({"--entity": [f"应为 {choices} / one of {choices}, not {value!r}"]})
    return _ALIASES[v]


def _t(lang: Lang, zh: str, en: str) -> str:
    return zh if lang is Lang.zh else en


def _json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _console() -> Console:
    return new_console(highlight=False, soft_wrap=True)


def _user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return None


#: what the look-up shows, in the clerk's words (the JSON keeps the field names)
_LABELS: dict[str, tuple[str, str]] = {
    "resource": ("来源", "source"),
    "key": ("记录键", "record key"),
    "registry_id": ("库内编号", "registry id"),
    "name": ("姓名", "name"),
    "name_raw": ("姓名", "name"),
    "id_number": ("身份证号", "citizen ID"),
    "id18": ("身份证号", "citizen ID"),
    "birth_date": ("出生日期", "birth date"),
    "dob": ("出生日期", "birth date"),
    "sex": ("性别", "sex"),
    "phone": ("电话", "phone"),
    "address": ("地址", "address"),
    "addr_text": ("地址", "address"),
    "death_date": ("死亡日期", "death date"),
    "uscc": ("统一社会信用代码", "credit code"),
    "uscc_written": ("信用代码（原文）", "credit code as written"),
    "org_code": ("组织机构代码", "organisation code"),
    "legal_rep_name": ("法定代表人", "legal representative"),
    "rep_name_raw": ("法定代表人", "legal representative"),
    "legal_rep_id": ("法定代表人身份证号", "representative's ID"),
    "legal_rep_registry_id": ("法定代表人库内编号", "representative's registry id"),
    "status": ("状态", "status"),
    "status_text": ("状态", "status"),
    "reg_date": ("成立日期", "registered"),
    "cancel_date": ("注销日期", "deregistered"),
    "parent_id": ("总部", "head office"),
    "link_rule": ("关联规则", "linked by"),
}


def _label(field: str, lang: Lang, legal: bool = False) -> str:
    if legal and field == "name":
        return _t(lang, "名称", "name")
    zh, en = _LABELS.get(field, (field, field))
    return _t(lang, zh, en)


def _print_summary(s: RunSummary, lang: Lang) -> None:
    out = _console()
    rows = [
        (_t(lang, "运行", "run"), f"{s.run} ({s.entity})"),
        (
            _t(lang, "记录", "records"),
            f"{s.records:,}  " + ", ".join(f"{k} {v:,}" for k, v in s.resources.items()),
        ),
        (_t(lang, "比对", "comparisons"), f"{s.comparisons:,}"),
        (
            _t(lang, "匹配对", "matching pairs"),
            f"{s.matches:,} (+{s.candidate_pairs - s.matches:,} "
            + _t(
                lang,
                f"在两阈值之间，其中分属两{'个法人' if s.entity == 'legal_entity' else '人'}的 "
                f"{s.to_review:,} 对待复核",
                f"between the thresholds, of which the {s.to_review:,} that ended apart are "
                "queued for review",
            )
            + ")",
        ),
        (
            _t(lang, "法人数", "legal entities")
            if s.entity == "legal_entity"
            else _t(lang, "人数", "persons"),
            f"{s.clusters:,}",
        ),
        (
            _t(lang, "标识", "identifiers"),
            _t(
                lang, "新 {0}，沿用 {1}，合并 {2}，注销 {3}", "new {0}, kept {1}, merged {2}, retired {3}"
            ).format(s.new_ids, s.inherited_ids, s.merged_ids, s.retired_ids)
            + (_t(lang, "，恢复 {0}", ", revived {0}").format(s.revived_ids) if s.revived_ids else ""),
        ),
        (_t(lang, "冲突", "conflicts"), conflicts_text(s.conflicts, lang)),
        (
            _t(lang, "人工复核", "clerical review"),
            _t(lang, "待复核 {0}，已按复核决定处理 {1}", "to review {0}, decisions applied {1}").format(
                f"{s.to_review:,}", f"{s.decisions:,}"
            )
            + (
                f"  (shuzhi registry review{'' if s.entity == 'person' else ' --entity ' + s.entity})"
                if s.to_review
                else ""
            ),
        ),
        (_t(lang, "用时", "time"), f"{s.seconds:.1f} s"),
        (_t(lang, "目录", "folder"), s.folder),
    ]
    table = Table(show_header=False, box=None, padding=(0, 2))
    for k, v in rows:
        table.add_row(k, v)
    out.print(table)
    if s.entity == "legal_entity":
        by_rule = s.training.get("records_by_rule", {})
        rules = Table(title=_t(lang, "关联规则（记录数）", "linkage rules (records)"))
        rules.add_column(_t(lang, "规则", "rule"))
        rules.add_column(_t(lang, "记录", "records"))
        for rule, n in by_rule.items():
            rules.add_row(rule, f"{n:,}")
        out.print(rules)
        out.print(
            _t(lang, "法定代表人关联到人口库", "legal representatives linked to persons")
            + f": {s.training.get('legal_reps_linked', 0):,}"
        )
        for n in s.notes:
            out.print(Text(f"{_t(lang, '注意', 'note')}:", style="yellow") + f" {n}")
        return
    rules = Table(title=_t(lang, "分块规则（运行前计数）", "blocking rules (counted before running)"))
    for col in (
        _t(lang, "规则", "rule"),
        _t(lang, "对数", "pairs"),
        _t(lang, "新增", "new"),
        _t(lang, "最大块", "largest"),
    ):
        rules.add_column(col)
    for b in s.blocking:
        rules.add_row(
            b.rule, f"{b.pairs:,}", "" if b.new_pairs is None else f"{b.new_pairs:,}", f"{b.largest_block:,}"
        )
    out.print(rules)
    for n in s.notes:
        out.print(Text(f"{_t(lang, '注意', 'note')}:", style="yellow") + f" {n}")


#: ``--allow-retire`` of build and update
AllowRetireOpt = Annotated[
    bool,
    typer.Option(
        "--allow-retire",
        help="允许注销上一次运行过半的标识（否则拒绝运行）/ let the run retire more than half of the "
        "previous run's identifiers (refused otherwise)",
    ),
]


@registry_app.command("build")
def build_cmd(
    resources: Annotated[
        list[str] | None,
        typer.Option(
            "--resource",
            "-r",
            help="重新读取这些资源的当前版本，其余资源沿用当前库所读的版本 / read these resources' "
            "current versions again; the others at the versions the current registry read (repeatable)",
        ),
    ] = None,
    entity: BuildEntityOpt = "person",
    allow_retire: AllowRetireOpt = False,
    workspace: WorkspaceOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """从目录中各资源的当前版本构建人口库或法人库（all：两者）/ Build a registry (all: both) from the
    catalog's current versions."""
    from shuzhi.registry import build, build_all
    from shuzhi.workspace import Workspace

    kind = _entity(entity, allow=("all",))
    with Workspace.open(workspace) as ws:
        if kind == "all":
            summaries = build_all(ws, resources=resources or None, by=_user(), allow_retire=allow_retire)
        else:
            summaries = [build(ws, kind, resources=resources or None, by=_user(), allow_retire=allow_retire)]
    if as_json:
        _json(summaries[0].to_dict() if kind != "all" else [s.to_dict() for s in summaries])
    else:
        for summary in summaries:
            _print_summary(summary, lang)


@registry_app.command("update")
def update_cmd(
    resources: Annotated[
        list[str] | None,
        typer.Option(
            "--resource",
            "-r",
            help="有新版本的资源 / resources with a new version (repeatable; default: all)",
        ),
    ] = None,
    entity: EntityOpt = "person",
    allow_retire: AllowRetireOpt = False,
    workspace: WorkspaceOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """增量更新：只比对新增和变更的记录 / Incremental update: compare only new and changed records."""
    from shuzhi.registry import update
    from shuzhi.workspace import Workspace

    with Workspace.open(workspace) as ws:
        summary = update(
            ws, _entity(entity), resources=resources or None, by=_user(), allow_retire=allow_retire
        )
    if as_json:
        _json(summary.to_dict())
    else:
        _print_summary(summary, lang)


#: the registry's own states (an entry's, a review item's), as the Chinese UI says them
_STATES_ZH = {
    "active": "有效",
    "merged": "已并入",
    "retired": "已停用",
    "pending": "待复核",
    "withdrawn": "已撤回",
    "same": "同一",
    "different": "不同",
}


#: a legal entity's business status (登记状态), as the Chinese UI says it
_BUSINESS_ZH = {"active": "存续", "deregistered": "注销", "revoked": "吊销"}


def _business(value: str | None, lang: Lang) -> str:
    """A legal entity's business status (存续 …), or a registry state where that is what it is."""
    if value is None:
        return ""
    if lang is Lang.zh and value in _BUSINESS_ZH:
        return _BUSINESS_ZH[value]
    return _state(value, lang)


def _state(value: str | None, lang: Lang) -> str:
    if value is None:
        return ""
    return _STATES_ZH.get(value, value) if lang is Lang.zh else value


def _print_entry(e: RegistryEntry, lang: Lang) -> None:
    out = _console()
    head = Text(e.registry_id, style="bold") + f"  {_state(e.status, lang)}"
    if e.redirected_from:
        head += "  " + _t(
            lang, f"（{e.redirected_from} 已并入）", f"({e.redirected_from} was merged into it)"
        )
    if e.merged_into:
        head += "  → " + e.merged_into
    legal = e.entity == "legal_entity"
    if not legal and e.golden and e.golden.get("deceased"):  # what 比对 is about: say it first
        when = e.golden.get("death_date")
        dead = _t(lang, f"已故（{when or '死亡日期不详'}）", f"deceased ({when or 'date of death unknown'})")
        head += Text("  ") + Text(dead, style="bold red")
    out.print(head)
    if e.golden:
        g = Table(show_header=False, box=None, padding=(0, 2))
        keys = (
            (
                "name",
                "uscc",
                "org_code",
                "legal_rep_name",
                "legal_rep_id",
                "legal_rep_registry_id",
                "address",
                "status",
                "reg_date",
                "cancel_date",
                "parent_id",
            )
            if legal
            else ("name", "id_number", "birth_date", "sex", "phone", "address", "death_date")
        )
        for k in keys:
            chosen = next((x for x in e.lineage.get(k, []) if x.get("chosen")), None)
            source = f"{chosen['resource']} {chosen['key']}" if chosen else ""
            value = "" if e.golden.get(k) is None else str(e.golden[k])
            if legal and k == "status" and lang is Lang.zh:
                value = _BUSINESS_ZH.get(value, value)
            if k == "sex":
                value = _sex(value, lang)
            g.add_row(_label(k, lang, legal), value, source)
        out.print(g)
    if e.records:
        t = Table(title=_t(lang, "来源记录", "source records"))
        cols = (
            ("resource", "key", "name_raw", "uscc_written", "rep_name_raw", "status_text", "link_rule")
            if legal
            else ("resource", "key", "name_raw", "id18", "dob", "sex", "phone", "addr_text")
        )
        for c in cols:
            t.add_column(_label(c, lang, legal))
        for r in e.records:
            t.add_row(
                *(_sex(r.get(c), lang) if c == "sex" else "" if r.get(c) is None else str(r[c]) for c in cols)
            )
        out.print(t)
        # a legal entity's records joined by code cannot be split (decisions bind name rules only)
        from shuzhi.registry._review import CODE_RULES

        coded = legal and all(r.get("link_rule") in CODE_RULES for r in e.records)
        if len(e.records) > 1 and not coded:
            hint = _t(
                lang,
                f"有记录不属于此{'法人' if legal else '人'}？"
                f"shuzhi registry split {e.registry_id} 资源:记录键",
                f"a record that is not this {'legal entity' if legal else 'person'}? "
                f"shuzhi registry split {e.registry_id} RESOURCE:KEY",
            )
            out.print(Text(hint, style="dim"), highlight=False)
    for title, linked in (
        (_t(lang, "担任法定代表人的法人", "legal representative of"), e.represents),
        (_t(lang, "分支机构", "branches"), e.branches),
    ):
        if linked:
            t = Table(title=title)
            for c in ("registry_id", "name", "uscc", "status"):
                t.add_column(_label(c, lang, True))  # entities either way
            for r in linked:
                t.add_row(
                    *(
                        _business(r.get(c), lang) if c == "status" else str(r.get(c) or "")
                        for c in ("registry_id", "name", "uscc", "status")
                    )
                )
            out.print(t)
    for conflict in e.conflicts:
        out.print(
            Text(f"{_t(lang, '冲突', 'conflict')}:", style="red")
            + f" {conflict['label']}: "
            + _plain(conflict["detail"], lang)
        )
    for h in e.history:
        out.print(
            f"{_t(lang, '历史', 'history')}: run {h['run']} {h['action']} {', '.join(h['related'])} "
            f"— {h['reason_text']}"
        )


def _id_hint(text: str, lang: Lang) -> str:
    """Why a query written like a citizen ID found nobody, when the number itself is wrong (a
    mistyped digit fails the check character): the clerk retypes it instead of searching on."""
    import re

    from shuzhi.standards import check

    squashed = re.sub(r"[\s\-]", "", text).upper()
    if not re.fullmatch(r"\d{17}[\dX]|\d{15}", squashed):
        return ""
    verdict = check("idcard", squashed)
    if verdict.valid:
        return ""
    return _t(
        lang,
        f"（该号码本身有误：{verdict.message('zh')}）",
        f" (the number itself is wrong: {verdict.message('en')})",
    )


@registry_app.command("show")
def show(
    query: Annotated[
        list[str],
        typer.Argument(
            help="登记标识（P…/E…）、身份证号、姓名加出生日期、统一社会信用代码、组织机构代码或单位名称 / "
            "a registry id (P…/E…), a citizen ID, a name and a date of birth, a credit code, an "
            "organisation code or an organisation name"
        ),
    ],
    entity: ShowEntityOpt = "auto",
    workspace: WorkspaceOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """查看一个人或一个法人：标准记录、来源记录、冲突、历史 / Show a person or a legal entity: golden
    record, records, conflicts, history."""
    from shuzhi.errors import NotFound
    from shuzhi.registry import lookup
    from shuzhi.workspace import Workspace

    text = " ".join(query)
    kind = _entity(entity, allow=("auto",))
    with Workspace.open(workspace) as ws:
        entries = lookup(ws, text, entity=None if kind == "auto" else kind)
    if not entries:
        raise NotFound(
            _t(lang, "库中没有找到 / registry entry", "registry entry"), text + _id_hint(text, lang)
        )
    if as_json:
        _json([e.to_dict() for e in entries])
        return
    for e in entries:
        _print_entry(e, lang)


@registry_app.command("stats")
def stats_cmd(
    entity: EntityOpt = "person",
    workspace: WorkspaceOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """人口库或法人库的统计 / The registry's figures."""
    from shuzhi.registry import stats
    from shuzhi.workspace import Workspace

    with Workspace.open(workspace) as ws:
        data = stats(ws, entity=_entity(entity))
    if as_json:
        _json(data)
        return
    out = _console()
    legal = data["entity"] == "legal_entity"
    out.print(
        (
            _t(
                lang,
                "{0}：{1:,} 个法人，{2:,} 条记录，{3:,} 个见于多个来源",
                "{0}: {1:,} legal entities, {2:,} records, {3:,} in several sources",
            )
            if legal
            else _t(
                lang,
                "{0}：{1:,} 人，{2:,} 条记录，{3:,} 人见于多个来源",
                "{0}: {1:,} persons, {2:,} records, {3:,} in several sources",
            )
        ).format(data["label"], data["count"], data["records"], data["in_several_sources"])
    )
    if legal:
        out.print(
            _t(
                lang,
                "分支机构 {0:,}（{1:,} 个关联到总部），法定代表人关联到人口库 {2:,}",
                "branches {0:,} ({1:,} linked to a head office), "
                "legal representatives linked to persons {2:,}",
            ).format(data["branches"], data["branches_with_parent"], data["legal_reps_linked"])
        )
    t = Table()
    for c in (
        _t(lang, "资源", "resource"),
        _t(lang, "记录", "records"),
        _t(lang, "法人数", "entities") if legal else _t(lang, "人数", "persons"),
        _t(lang, "关联率", "linked"),
    ):
        t.add_column(c)
    noun = "entities" if legal else "persons"
    for r in data["resources"]:
        t.add_row(r["resource"], f"{r['records']:,}", f"{r[noun]:,}", share_text(r["linked_share"]))
    out.print(t)
    out.print(_t(lang, "冲突", "conflicts") + ": " + conflicts_text(data["conflicts"], lang))
    out.print(
        _t(lang, "标识", "identifiers")
        + ": "
        + ", ".join(f"{_state(k, lang)} {v}" for k, v in data["identifiers"].items())
    )


@registry_app.command("export")
def export_cmd(
    folder: Annotated[Path, typer.Argument(help="输出目录 / output folder")],
    format: Annotated[str, typer.Option("--format", "-f", help="csv | parquet")] = "csv",
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="覆盖已有文件 / replace existing files")
    ] = False,
    entity: EntityOpt = "person",
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """导出对照表（资源、记录键、登记标识）和标准记录 / Export the crosswalk and the golden records."""
    from shuzhi.registry import export
    from shuzhi.workspace import Workspace

    with Workspace.open(workspace) as ws:
        files = export(ws, folder, format, entity=_entity(entity), overwrite=overwrite)
    if as_json:
        _json({k: str(v) for k, v in files.items()})
    else:
        for k, v in files.items():
            typer.echo(f"{k}: {v}")


@registry_app.command("review")
def review_cmd(
    status: Annotated[
        str, typer.Option("--status", help="pending（待复核）| same | different | withdrawn（已撤回）| all")
    ] = "pending",
    limit: Annotated[int, typer.Option("--limit", help="最多显示 / at most")] = 20,
    entity: EntityOpt = "person",
    workspace: WorkspaceOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """人工复核队列：模型拿不准的记录对 / The clerical review queue: pairs the model is unsure of."""
    from shuzhi.registry import review_queue
    from shuzhi.workspace import Workspace

    with Workspace.open(workspace) as ws:
        items = review_queue(
            ws, entity=_entity(entity), status=None if status == "all" else status, limit=limit
        )
    if as_json:
        _json([i.to_dict() for i in items])
        return
    out = _console()
    if not items:
        out.print(_t(lang, "没有待复核的记录对", "nothing to review"))
        return
    legal = any(i.entity == "legal_entity" for i in items)
    t = Table()
    for c in (
        "#",
        _t(lang, "规则", "rule") if legal else _t(lang, "概率", "probability"),
        _t(lang, "状态", "status"),
        _t(lang, "记录甲", "record A"),
        _t(lang, "记录乙", "record B"),
    ):
        t.add_column(c)

    shown = (
        ("registry_id", "name_raw", "uscc_written", "rep_name_raw", "rep_id18", "addr_text", "phone")
        if legal
        else ("registry_id", "name_raw", "id18", "dob", "phone", "addr_text")
    )

    def show(r: dict[str, Any], role: str | None) -> str:
        head = f"{r['resource']} {r['key']}"
        if role is not None:
            head += _t(lang, "（待归属记录）" if role == "record" else "（候选法人）", f" ({role})")
        return "\n".join([head] + [str(r[k]) for k in shown if r.get(k) is not None])

    for i in items:
        roles: tuple[str | None, str | None] = (None, None)
        if legal:
            p = f"{i.detail.get('rule', '')} {i.detail.get('tier', '')}".strip()
            side = i.detail.get("record")
            if side == "left":
                roles = ("record", "candidate")
            elif side == "right":
                roles = ("candidate", "record")
        else:
            p = "" if i.probability is None else f"{i.probability:.3f}"
        t.add_row(str(i.id), p, _state(i.status, lang), show(i.left, roles[0]), show(i.right, roles[1]))
    out.print(t)
    flag = " --entity legal_entity" if legal else ""
    out.print(
        _t(
            lang,
            f"用 `shuzhi registry decide 编号 same|different{flag}` 裁定",
            f"decide with `shuzhi registry decide ID same|different{flag}`",
        )
    )


@registry_app.command("decide")
def decide_cmd(
    item: Annotated[int, typer.Argument(help="复核项编号 / review item id")],
    decision: DecisionArg,
    note: NoteOpt = None,
    entity: EntityOpt = "person",
    workspace: WorkspaceOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """裁定一对记录，下次运行起生效 / Decide a pair; it binds every run from the next one."""
    from shuzhi.registry import decide
    from shuzhi.workspace import Workspace

    with Workspace.open(workspace) as ws:
        result = decide(ws, item, decision, by=_user(), note=note, entity=_entity(entity))
    if as_json:
        _json(result.to_dict())
    else:
        typer.echo(
            _t(
                lang,
                f"已裁定 #{result.id}：{_state(result.status, lang)}，下次运行起生效",
                f"#{result.id} decided: {result.status}; it takes effect from the next run",
            )
        )


def _record_arg(value: str, name: str) -> tuple[str, str]:
    """``RESOURCE:KEY`` (a resource code has no colon; a key may) as (resource, key)."""
    from shuzhi.errors import ValidationError

    resource, sep, key = value.partition(":")
    if not sep or not resource.strip() or not key:
        raise ValidationError(
            {
                name: [
                    f"应写成“资源代码:记录键”，如 GA-HJ:110101199003071234，不是 {value!r}（"
                    "`shuzhi registry show` 列出每条记录的资源和键）/ expected RESOURCE:KEY, e.g. "
                    f"GA-HJ:110101199003071234, not {value!r} (`shuzhi registry show` lists each "
                    "record's resource and key)"
                ]
            }
        )
    return resource.strip(), key


def _print_decisions(items: list[Any], lang: Lang) -> None:
    for i in items:
        typer.echo(
            _t(
                lang,
                f"#{i.id} {i.left['resource']}:{i.left['key']} 与 {i.right['resource']}:{i.right['key']}"
                f"：{_state(i.status, lang)}",
                f"#{i.id} {i.left['resource']}:{i.left['key']} and {i.right['resource']}:{i.right['key']}"
                f": {i.status}",
            )
        )
    typer.echo(
        _t(lang, "下次运行（build 或 update）起生效", "it takes effect from the next run (build or update)")
    )


@registry_app.command("pair")
def pair_cmd(
    left: Annotated[str, typer.Argument(help="记录甲：资源代码:记录键 / record A: RESOURCE:KEY")],
    right: Annotated[str, typer.Argument(help="记录乙：资源代码:记录键 / record B: RESOURCE:KEY")],
    decision: DecisionArg,
    note: NoteOpt = None,
    entity: EntityOpt = "person",
    workspace: WorkspaceOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """裁定任意两条记录（不必在复核队列中），纠正漏并或错并 / Decide any two records, queued or not:
    join a missed match or undo a wrong one."""
    from shuzhi.registry import decide_pair
    from shuzhi.workspace import Workspace

    a, b = _record_arg(left, "left"), _record_arg(right, "right")
    with Workspace.open(workspace) as ws:
        result = decide_pair(ws, a, b, decision, by=_user(), note=note, entity=_entity(entity))
    if as_json:
        _json(result.to_dict())
    else:
        _print_decisions([result], lang)


@registry_app.command("split")
def split_cmd(
    registry_id: Annotated[str, typer.Argument(help="登记标识 P…/E… / a registry id")],
    record: Annotated[
        str, typer.Argument(help="要拆出的记录：资源代码:记录键 / the record to take out: RESOURCE:KEY")
    ],
    note: NoteOpt = None,
    workspace: WorkspaceOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """把错并的记录从一个人（法人）中拆出 / Take a wrongly merged record out of a person or a legal
    entity."""
    from shuzhi.registry import split_record
    from shuzhi.workspace import Workspace

    rec = _record_arg(record, "record")
    with Workspace.open(workspace) as ws:
        items = split_record(ws, registry_id.strip().upper(), rec, by=_user(), note=note)
    if as_json:
        _json([i.to_dict() for i in items])
    else:
        typer.echo(
            _t(
                lang,
                f"已把 {rec[0]}:{rec[1]} 从 {registry_id} 中拆出：与其余 {len(items)} 条记录裁定为不同",
                f"{rec[0]}:{rec[1]} taken out of {registry_id}: decided different from its other "
                f"{len(items)} record(s)",
            )
        )
        _print_decisions(items, lang)


def register(app: typer.Typer) -> None:
    app.add_typer(registry_app, name="registry")
