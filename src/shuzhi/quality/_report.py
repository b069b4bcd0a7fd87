"""The HTML quality report (数据质量评估报告): one self-contained file a department head reads at a
glance, offline — ECharts is inlined from the vendored copy in ``shuzhi/web/static/vendor/echarts``.

Per department a table of scores; per resource a radar of the six GB/T 36344 dimensions, a bar of
the rules with the most failing rows, a line of the score over versions and the rules' table with
masked samples. Every label is Chinese.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
from importlib import resources
from typing import TYPE_CHECKING, Any

from shuzhi.quality._run import (
    DepartmentScore,
    QualityRun,
    department_scorecard,
    departments_overview,
    resource_trend,
)
from shuzhi.quality.rules import LEVELS, Dimension

if TYPE_CHECKING:
    from shuzhi.workspace import Workspace

__all__ = ["echarts_js", "report_html"]


@functools.cache
def echarts_js() -> str:
    """The vendored ``echarts.min.js``."""
    path = resources.files("shuzhi.web") / "static" / "vendor" / "echarts" / "echarts.min.js"
    return path.read_text(encoding="utf-8")


def _e(x: object) -> str:
    return html.escape("" if x is None else str(x))


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


_LEVEL_CLASS = {"优": "l1", "良": "l2", "中": "l3", "差": "l4", "劣": "l5"}


def _level(level: str | None) -> str:
    if level is None:
        return '<span class="lv">未评估</span>'
    return f'<span class="lv {_LEVEL_CLASS.get(level, "")}">{_e(level)}</span>'


def report_html(ws: Workspace, *, department: str | None = None, now: dt.datetime | None = None) -> str:
    """The report over every department (or only ``department``), from the stored runs."""
    depts = [department_scorecard(ws, department)] if department else departments_overview(ws)
    now = now or dt.datetime.now(dt.UTC)
    charts: list[dict[str, Any]] = []
    sections = [_overview(depts)]
    for d in depts:
        for run in d.resources:
            trend = resource_trend(ws, run.resource)
            sections.append(_resource(run, trend, len(charts), d))
            charts.append(_chart_data(run, trend))
    thresholds = (
        "，".join(f"{zh} ≥ {low:g}" for low, zh, _ in LEVELS[:-1]) + f"，{LEVELS[-1][1]} < {LEVELS[-2][0]:g}"
    )
    data = json.dumps(charts, ensure_ascii=False).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>数据质量评估报告 — {_e(ws.name)}</title>
<style>{_CSS}</style>
<script>{echarts_js()}</script>
</head><body>
<header><h1>数据质量评估报告</h1>
<p class="meta">{_e(ws.name)} · 生成于 {now:%Y-%m-%d %H:%M} (UTC) ·
依据 GB/T 36344-2018《信息技术 数据质量评价指标》六项指标：
规范性、完整性、准确性、一致性、时效性、可访问性 · 等级：{_e(thresholds)}</p></header>
{"".join(sections)}
<footer>样例中的个人信息已按字段敏感程度脱敏。图表由 Apache ECharts 绘制（本文件内嵌，离线可读）。</footer>
<script>const DATA = {data};{_JS}</script>
</body></html>
"""


def _overview(depts: list[DepartmentScore]) -> str:
    runs = [r for d in depts for r in d.resources]
    scores = [r.score for r in runs if r.score is not None]
    mean = sum(scores) / len(scores) if scores else None
    from shuzhi.quality.rules import grade

    held = sum(1 for r in runs if r.held)
    failing = sum(r.rules_failed for r in runs)
    cards = [
        ("已评估资源", str(len(runs))),
        ("平均得分", f"{_num(mean)} {_level(grade(mean))}"),
        ("未通过的规则", str(failing)),
        ("暂缓发布的版本", str(held)),
    ]
    card_html = "".join(
        f'<div class="card"><div class="k">{k}</div><div class="v">{v}</div></div>' for k, v in cards
    )
    head = "".join(f"<th>{d.label_zh}</th>" for d in Dimension)
    rows = []
    for d in depts:
        dims = "".join(f"<td class='n'>{_num(d.dimensions.get(x))}</td>" for x in Dimension)
        rows.append(
            f"<tr><td>{_e(d.name)}<div class='code'>{_e(d.code)}</div></td><td class='n'>{len(d.resources)}"
            f"{f' / {len(d.resources) + len(d.unevaluated)}' if d.unevaluated else ''}</td>"
            f"<td class='n'><b>{_num(d.score)}</b></td><td>{_level(d.level)}</td>{dims}"
            f"<td class='n'>{d.rules_failed}</td></tr>"
        )
    return f"""<section><h2>总览</h2><div class="cards">{card_html}</div>
<table><thead><tr><th>部门</th><th>已评估资源</th><th>得分</th><th>等级</th>{head}<th>未通过规则</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table></section>"""


def _resource(run: QualityRun, trend: list[QualityRun], i: int, d: DepartmentScore) -> str:
    hold = f'<p class="hold">暂缓发布：{_e(run.hold_reason)}</p>' if run.hold_reason else ""
    error = f'<p class="hold">{_e(run.error)}</p>' if run.error else ""
    rows = []
    for r in run.results:
        if r.status != "ok":
            figures = f"<td class='n'>—</td><td class='n'>—</td><td class='note'>{_e(r.note)}</td>"
        else:
            cls = " bad" if r.failing else ""
            rate = "—" if r.rate is None else f"{r.rate:.2%}"
            figures = (
                f"<td class='n'>{r.checked}</td><td class='n{cls}'>{r.failing}</td><td class='n'>{rate}</td>"
            )
        sample = "<br>".join(
            _e(f"第{s.get('_row')}行 " + "，".join(f"{k}={v}" for k, v in s.items() if k != "_row"))
            for s in r.sample[:3]
        )
        star = ' <span class="must">必须通过</span>' if r.must_pass else ""
        rows.append(
            f"<tr><td>{r.dimension.label_zh}</td><td>{_e(r.description_zh)}{star}</td>{figures}"
            f"<td class='sample'>{sample}</td></tr>"
        )
    versions = "、".join(f"v{t.version}" for t in trend)
    return f"""<section class="res"><h2>{_e(run.resource_name)} <span class="code">{_e(run.resource)}</span>
<span class="score">{_num(run.score)}</span> {_level(run.level)}</h2>
<p class="meta">{_e(d.name)} · 版本 v{run.version} · {run.rows} 行 ·
规则覆盖 {run.fields_covered}/{run.fields_total} 个信息项
（{run.coverage:.0%}）· 评估于 {run.started_at:%Y-%m-%d %H:%M} · 已评估版本：{_e(versions)}</p>{hold}{error}
<div class="charts"><div class="chart" id="radar{i}"></div><div class="chart" id="bars{i}"></div>
<div class="chart" id="trend{i}"></div></div>
<table><thead><tr><th>维度</th><th>规则</th><th>检查行数</th><th>不合格行数</th><th>不合格率</th><th>样例（已脱敏）</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table></section>"""


def _chart_data(run: QualityRun, trend: list[QualityRun]) -> dict[str, Any]:
    failing = sorted((r for r in run.results if r.status == "ok" and r.failing), key=lambda r: -r.failing)[
        :10
    ]
    return {
        "dims": [d.label_zh for d in Dimension],
        "scores": [
            None if run.dimensions.get(d) is None else round(run.dimensions[d] or 0, 1) for d in Dimension
        ],
        "rules": [r.description_zh for r in reversed(failing)],
        "failing": [r.failing for r in reversed(failing)],
        "versions": [f"v{t.version}" for t in trend],
        "trend": [None if t.score is None else round(t.score, 1) for t in trend],
    }


_CSS = """
body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:0;
background:#f5f6f8;color:#222}
header,section,footer{max-width:1180px;margin:16px auto;background:#fff;padding:16px 24px;border-radius:6px}
header{background:#1f4e79;color:#fff}
header h1{margin:4px 0}
.meta{color:#666;font-size:13px}
header .meta{color:#dde}
h2{font-size:20px;margin:6px 0}
.code{color:#888;font-size:12px;font-weight:normal}
.score{font-size:22px;margin-left:12px}
.lv{display:inline-block;padding:1px 10px;border-radius:10px;background:#ccc;color:#fff;font-size:14px}
.l1{background:#2e7d32}
.l2{background:#689f38}
.l3{background:#f9a825}
.l4{background:#ef6c00}
.l5{background:#c62828}
.cards{display:flex;gap:12px;margin:8px 0 16px}
.card{flex:1;background:#f0f4f8;padding:10px;border-radius:6px}
.card .k{color:#666;font-size:13px}
.card .v{font-size:22px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e5e5e5;padding:5px 6px;text-align:left;vertical-align:top}
th{background:#fafafa}
.n{text-align:right;white-space:nowrap}
.bad{color:#c62828;font-weight:bold}
.note{color:#888}
.sample{color:#555;font-family:monospace;font-size:12px}
.hold{background:#fdecea;color:#b71c1c;padding:6px 10px;border-radius:4px}
.must{color:#b71c1c;font-size:11px;border:1px solid #b71c1c;border-radius:3px;padding:0 3px}
.charts{display:flex;gap:8px;flex-wrap:wrap}
.chart{flex:1;min-width:320px;height:300px}
footer{font-size:12px;color:#888;background:none}
"""

_JS = """
DATA.forEach(function (d, i) {
  var radar = echarts.init(document.getElementById('radar' + i));
  radar.setOption({title: {text: '六个维度得分', left: 'center', textStyle: {fontSize: 14}},
    tooltip: {},
    radar: {radius: '62%', indicator: d.dims.map(function (n) { return {name: n, max: 100}; })},
    series: [{type: 'radar', areaStyle: {opacity: 0.25},
      data: [{name: '得分', value: d.scores.map(function (s) { return s === null ? '-' : s; })}]}]});
  var bars = echarts.init(document.getElementById('bars' + i));
  bars.setOption({title: {text: d.rules.length ? '不合格行数最多的规则' : '所有规则均通过', left: 'center',
      textStyle: {fontSize: 14}},
    tooltip: {}, grid: {left: 8, right: 40, top: 36, bottom: 8, containLabel: true},
    xAxis: {type: 'value', name: '行数'}, yAxis: {type: 'category', data: d.rules,
      axisLabel: {width: 170, overflow: 'truncate'}},
    series: [{type: 'bar', data: d.failing, itemStyle: {color: '#c62828'},
      label: {show: true, position: 'right'}}]});
  var trend = echarts.init(document.getElementById('trend' + i));
  trend.setOption({title: {text: '各版本得分趋势', left: 'center', textStyle: {fontSize: 14}},
    tooltip: {trigger: 'axis'}, xAxis: {type: 'category', data: d.versions, name: '版本'},
    yAxis: {type: 'value', min: 0, max: 100, name: '得分'},
    series: [{type: 'line', data: d.trend, label: {show: true}, markLine: {silent: true, symbol: 'none',
      data: [{yAxis: 90, name: '优'}, {yAxis: 60, name: '及格'}]}}]});
});
"""
