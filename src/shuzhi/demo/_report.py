"""What ``shuzhi demo`` prints about the base registries: one Rich table per registry with its
accuracy against the generator's truth, overall and per source resource."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import Console

    from shuzhi.demo._pipeline import CityDemoResult, RegistryBuild
    from shuzhi.registry._evaluate import Accuracy

__all__ = ["accuracy_table", "print_registries", "registry_hints"]

_R: dict[str, dict[str, str]] = {
    "zh": {
        "person": "人口库",
        "legal_entity": "法人库",
        "title": "{label}与生成器真值对照：{records:,} 条记录 → {clusters:,} {count}（真实 {true:,}），"
        "用时 {s:.1f} 秒",
        "unit_person": "人",
        "unit_legal_entity": "法人",
        "count_person": "人",
        "count_legal_entity": "个法人",
        "cols": "来源|记录|精确率|召回率|F1|B³ F1|误合并|孪生合并",
        "all": "全部",
        "one_person": "人",
        "one_legal_entity": "法人",
        "caption": "成对指标：同一{one}的记录对；按来源统计至少一条属于该来源的记录对。"
        "被拆分的真实{unit}：{split:,}；真值中没有的记录：{unlabelled:,}。真实数只计已加载的记录"
        "（生成而不在任何数据集、或记录全被隔离的不计）",
        "unavailable": "{label}：本版本尚不能构建，暂不评估",
        "failed": "[red]{label}未能构建[/]：{error}",
        "next": "  shuzhi registry stats             人口库统计\n"
        "  shuzhi registry show {example}   查人（也可用身份证号）",
    },
    "en": {
        "person": "Population registry",
        "legal_entity": "Legal-entity registry",
        "title": "{label} against the generator's truth: {records:,} records → {clusters:,} {count} "
        "({true:,} true), {s:.1f} s",
        "unit_person": "persons",
        "unit_legal_entity": "entities",
        "count_person": "persons",
        "count_legal_entity": "entities",
        "cols": "source|records|precision|recall|F1|B³ F1|over-merged|twins merged",
        "all": "all",
        "caption": "Pairwise: record pairs of one true {one}; per source, the pairs with at least one "
        "record of it. True {unit} split: {split:,}; records not in the truth: {unlabelled:,}. The "
        "true count counts the loaded records only (not those generated in no dataset or with every "
        "record quarantined)",
        "one_person": "person",
        "one_legal_entity": "entity",
        "unavailable": "{label}: not built by this version yet, not evaluated",
        "failed": "[red]{label} not built[/]: {error}",
        "next": "  shuzhi registry stats             the registry's figures\n"
        "  shuzhi registry show {example}   a person (or by citizen ID)",
    },
}


def _pct(x: float) -> str:
    # a fraction with four decimals: narrow enough for an 80-column terminal, and 0.9999 is not
    # rounded up to a perfect 1.0000 (rounded down instead)
    return f"{int(x * 10_000) / 10_000:.4f}"


def _row(a: Accuracy, colour: bool) -> list[str | Text]:
    def good(x: float, bar: float) -> str | Text:
        text = _pct(x)
        return text if not colour else Text(text, style="green" if x >= bar else "yellow")

    return [
        f"{a.records:,}",
        good(a.precision, 0.995),
        good(a.recall, 0.995),
        good(a.f1, 0.995),
        good(a.bcubed_f1, 0.995),
        Text(f"{a.over_merged:,}", style="red") if a.over_merged else "0",
        "-"
        if a.twins_merged is None
        else (Text(f"{a.twins_merged:,}", style="red") if a.twins_merged else "0"),
    ]


def accuracy_table(reg: RegistryBuild, lang: str = "zh") -> Table | None:
    """The accuracy table of one built registry (None when it was not built or evaluated)."""
    if reg.accuracy is None:
        return None
    t = _R["en" if lang == "en" else "zh"]
    unit = t[f"unit_{reg.entity}"]
    ev = reg.accuracy
    table = Table(
        *t["cols"].format(unit=unit).split("|"),
        title=t["title"].format(
            label=t[reg.entity],
            records=reg.records,
            clusters=reg.clusters,
            true=ev.overall.entities,
            count=t[f"count_{reg.entity}"],
            s=reg.seconds,
        ),
        caption=t["caption"].format(
            unit=unit, one=t[f"one_{reg.entity}"], split=ev.overall.split, unlabelled=ev.unlabelled
        ),
    )
    table.add_row(Text(t["all"], style="bold"), *_row(ev.overall, colour=True), end_section=True)
    for code, a in ev.resources.items():
        table.add_row(code, *_row(a, colour=True))
    return table


def print_registries(out: Console, result: CityDemoResult, lang: str = "zh") -> None:
    """Print every registry the demo built with its accuracy (or why it was not built)."""
    t = _R["en" if lang == "en" else "zh"]
    for reg in result.registries:
        label = t[reg.entity]
        if not reg.available:
            out.print(t["unavailable"].format(label=label))
        elif reg.error is not None:
            out.print(Text.from_markup(t["failed"].format(label=label, error=escape(str(reg.error)))))
        else:
            table = accuracy_table(reg, lang)
            if table is not None:
                out.print(table)


def registry_hints(result: CityDemoResult, lang: str = "zh") -> str | None:
    """Commands to try on the registries (lines to follow the demo's own hints), or None."""
    if not any(r.accuracy is not None for r in result.registries):
        return None
    person = next((r for r in result.registries if r.entity == "person"), None)
    example = person.example if person is not None and person.example else "张伟 1990-03-07"
    return str(_R["en" if lang == "en" else "zh"]["next"]).format(example=example)
