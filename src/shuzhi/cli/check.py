"""``shuzhi check KIND [VALUE…]``: a clerk's or a script's view of the standards library."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from shuzhi.cli._console import new_console, styled
from shuzhi.standards import KINDS, Verdict, check, check_many
from shuzhi.standards._verdict import Lang as LangCode

BATCH = 100_000


class Lang(StrEnum):
    zh = "zh"
    en = "en"


_HEAD = {
    "zh": (
        "输入",
        "结论",
        "规范化",
        "解析",
        "原因 / 说明",
        "有效",
        "无效",
        "共 {n} 条：{ok} 条有效，{bad} 条无效",
    ),
    "en": (
        "input",
        "verdict",
        "normalized",
        "parts",
        "reason / notes",
        "valid",
        "invalid",
        "{n} value(s): {ok} valid, {bad} invalid",
    ),
}


def _batches(lines: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for line in lines:
        batch.append(line.rstrip("\r\n"))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _parts_text(v: Verdict) -> str:
    return " ".join(f"{k}={val}" for k, val in v.parts.items() if val not in (None, ""))


def register(app: typer.Typer) -> None:
    @app.command("check")
    def check_cmd(
        kind: Annotated[
            str, typer.Argument(help="idcard | uscc | orgcode | division | phone | date | address | name")
        ],
        values: Annotated[
            list[str] | None,
            typer.Argument(help="值；用 - 从标准输入逐行读取 / values; - reads one per line from stdin"),
        ] = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="每行输出一个 JSON 对象 / one JSON object per line")
        ] = False,
        lang: Annotated[Lang, typer.Option("--lang", help="说明语言 / language of reasons")] = Lang.zh,
        city: Annotated[
            str | None,
            typer.Option(
                "--city",
                help="值所在地区的区划代码，如 140500，用于区分重名的「城区」 / division code of the place",
            ),
        ] = None,
        dayfirst: Annotated[
            bool, typer.Option("--dayfirst", help="日期为日在前（30/04/2019）/ dates are written day first")
        ] = False,
        fail_invalid: Annotated[
            bool,
            typer.Option("--fail-invalid", help="有无效值时退出码为 1 / exit 1 when any value is invalid"),
        ] = False,
    ) -> None:
        """检查、解释并规范化数值（国家标准）/ check, explain and normalise values against national standards.

        Values given as arguments are checked by the Python form; values read from standard input
        (``-``) go in batches through the DuckDB SQL form.
        """
        import shuzhi.standards  # noqa: F401  (registers the kinds)

        if kind not in KINDS:
            raise typer.BadParameter(
                f"未知类型 / unknown kind {kind!r}; 可选 / known: {', '.join(sorted(KINDS))}"
            )
        values = values or []
        from_stdin = values == ["-"]
        if not values:
            raise typer.BadParameter(
                "请给出要检查的值，或用 - 从标准输入读取 / give values, or - to read stdin"
            )
        variant = "dayfirst" if dayfirst else None
        if variant and variant not in KINDS[kind].variants:
            raise typer.BadParameter(f"--dayfirst 只适用于日期 / only for dates, not {kind}")
        if city and KINDS[kind].check_in is None:
            raise typer.BadParameter(f"--city 不适用于 / does not apply to {kind}")
        batches: Iterable[list[Verdict]]
        if from_stdin:
            batches = (check_many(kind, b, context=city, variant=variant) for b in _batches(sys.stdin))
        else:
            batches = [[check(kind, v, context=city, variant=variant) for v in values]]

        lng: LangCode = "en" if lang is Lang.en else "zh"
        head = _HEAD[lng]
        out = new_console(highlight=False, soft_wrap=as_json)
        n = ok = 0
        for verdicts in batches:
            if as_json:
                write = sys.stdout.write
                for v in verdicts:
                    write(json.dumps(v.to_dict(lng), ensure_ascii=False) + "\n")
            else:
                table = Table(show_lines=False)
                for h in head[:5]:
                    table.add_column(h, overflow="fold")
                for v in verdicts:
                    mark = styled(f"[green]✓ {head[5]}[/]" if v.valid else f"[red]✗ {head[6]}[/]")
                    table.add_row(str(v.input), mark, v.normalized or "", _parts_text(v), v.message(lng))
                out.print(table)
            n += len(verdicts)
            ok += sum(v.valid for v in verdicts)
        if not as_json:
            out.print(head[7].format(n=n, ok=ok, bad=n - ok))
        if fail_invalid and ok < n:
            raise typer.Exit(1)
