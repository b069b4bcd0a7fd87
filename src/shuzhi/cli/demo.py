"""``shuzhi demo``: the README's main command."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from shuzhi.cli.check import Lang

_T: dict[str, dict[str, Any]] = {
    "zh": {
        "title": "数治 shuzhi 演示：用国家标准库清洗 {rows} 条部门样例记录（{file}）",
        "cols": ("字段", "标准", "总数", "有效", "其中经修正", "缺失", "无效", "无效原因"),
        "sample": "清洗前后对照（前 {n} 行）",
        "raw": "原始值",
        "norm": "规范值",
        "reason": "原因",
        "done": "用时 {s:.2f} 秒。试试：shuzhi check idcard 14050219900307151X；shuzhi serve 启动接口（/docs）。",
    },
    "en": {
        "title": "shuzhi demo: cleansing {rows} sample departmental records with the standards library ({file})",
        "cols": ("field", "standard", "total", "valid", "after correction", "missing", "invalid", "reasons"),
        "sample": "Before and after (first {n} rows)",
        "raw": "raw",
        "norm": "normalised",
        "reason": "reason",
        "done": "Took {s:.2f} s. Try: shuzhi check idcard 14050219900307151X; shuzhi serve for the API (/docs).",
    },
}


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_cmd(
        lang: Annotated[Lang, typer.Option("--lang", help="界面语言 / language")] = Lang.zh,
        rows: Annotated[int, typer.Option("--rows", help="对照表显示的行数 / rows shown")] = 8,
    ) -> None:
        """演示：清洗样例部门数据 / demo: cleanse sample departmental records."""
        from shuzhi.demo import standards_tour
        from shuzhi.standards import KINDS

        t = _T[lang.value]
        out = Console(highlight=False)
        result = standards_tour(lang="en" if lang is Lang.en else "zh")
        out.rule(t["title"].format(rows=result.rows, file=result.source.name))
        table = Table(*t["cols"])
        for c in result.columns:
            label = KINDS[c.kind].label_zh if lang.value == "zh" else KINDS[c.kind].label_en
            reasons = "；".join(f"{text}×{n}" for _, text, n in c.reasons[:3])
            table.add_row(
                c.column, label, str(c.total), f"[green]{c.valid}[/]", str(c.corrected), str(c.missing),
                f"[red]{c.invalid}[/]" if c.invalid else "0", reasons,
            )
        out.print(table)
        sample = Table(title=t["sample"].format(n=rows), show_lines=True)
        shown = [col for col, _ in (("姓名", ""), ("身份证号", ""), ("出生日期", ""), ("联系电话", ""))]
        sample.add_column("#")
        for col in shown:
            sample.add_column(f"{col}\n{t['raw']} → {t['norm']}", overflow="fold")
        for r in result.cleaned[:rows]:
            cells = []
            for col in shown:
                norm = r[f"{col}_规范"]
                cells.append(f"{r[col] or ''}\n→ " + (f"[green]{norm}[/]" if norm else f"[red]{r[f'{col}_原因'] or ''}[/]"))
            sample.add_row(str(r["row_no"]), *cells)
        out.print(sample)
        out.print(t["done"].format(s=result.seconds))
