"""The HTML quality report (数据质量评估报告): one self-contained file a department head reads at a
glance, offline — ECharts is inlined from the vendored copy in ``shuzhi/web/static/vendor/echarts``.

An overview (cards, a bar of the departments' scores, a table per department); per department a
line of its score history (its aggregate after each change); per resource a radar of the GB/T 36344
dimensions that have a score, a bar of the rules with the most failing rows, a line of the score
over versions, a banner when its latest load is held back by the quality gate, and the rules' table
— failing rules first — with masked samples. Every label is Chinese.

The page marks itself for tests and monitoring: ``data-charts-rendered="N"`` on ``<html>`` once its
N charts have drawn, and ``data-js-errors`` if a script failed (tests/quality/test_report_browser.py
opens it in headless Chromium).
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
from importlib import resources
from typing import TYPE_CHECKING, Any

from shuzhi._time import local_time
from shuzhi.quality._run import (
    DepartmentScore,
    QualityRun,
    department_history,
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


def held_loads(ws: Workspace, codes: list[str]) -> dict[str, Any]:
    """The latest load of each resource when it was held back (not published, not current)."""
    from shuzhi.ingest import list_versions

    out: dict[str, Any] = {}
    for code in codes:
        versions = list_versions(ws, code)
        if versions and not versions[-1].published and not versions[-1].current:
            out[code] = versions[-1]
    return out


def held_latest(ws: Workspace, codes: list[str], lang: str = "zh") -> dict[str, dict[str, Any]]:
    """Per resource whose latest load the quality gate held back (it is not the current version):
    ``{"resource", "version", "hold_reason"}``, the reason in ``lang`` (zh | en) — what the
    department table (CLI) and the scorecards (API) say beside the current version's figures."""
    from shuzhi.quality._run import _en, _zh

    out: dict[str, dict[str, Any]] = {}
    for code, v in held_loads(ws, codes).items():
        reason = None if v.hold_reason is None else (_zh if lang == "zh" else _en)(v.hold_reason)
        out[code] = {"resource": code, "version": v.number, "hold_reason": reason}
    return out


def report_html(ws: Workspace, *, department: str | None = None, now: dt.datetime | None = None) -> str:
    """The report over every department (or only ``department``), from the stored runs (timeliness
    measured at the time of the report)."""
    depts = [department_scorecard(ws, department)] if department else departments_overview(ws)
    now = now or dt.datetime.now(dt.UTC)
    held = held_loads(ws, [r.resource for d in depts for r in d.resources])
    charts: list[dict[str, Any]] = []
    histories: list[dict[str, Any]] = []
    sections = [_overview(depts, len(held))]
    for d in depts:
        history = department_history(ws, d.code)
        sections.append(_department(d, history, len(histories)))
        histories.append(_history_data(d, history))
        for run in d.resources:
            trend = resource_trend(ws, run.resource)
            sections.append(_resource(run, trend, len(charts), d, held.get(run.resource)))
            charts.append(_chart_data(run, trend))
    overview = {
        "names": [d.name for d in depts],
        "scores": [None if d.score is None else round(d.score, 1) for d in depts],
        "levels": [d.level or "未评估" for d in depts],
    }
    thresholds = (
        "，".join(f"{zh} ≥ {low:g}" for low, zh, _ in LEVELS[:-1]) + f"，{LEVELS[-1][1]} < {LEVELS[-2][0]:g}"
    )
    data = json.dumps(
        {"overview": overview, "departments": histories, "resources": charts}, ensure_ascii=False
    ).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>数据质量评估报告 — {_e(ws.name)}</title>
<style>{_CSS}</style>
<script>{_ERRORS_JS}</script>
<script>{echarts_js()}</script>
</head><body>
<header><h1>数据质量评估报告</h1>
<p class="meta">{_e(ws.name)} · 生成于 {local_time(now)} ·
依据 GB/T 36344-2018《信息技术 数据质量评价指标》六项指标：
规范性、完整性、准确性、一致性、时效性、可访问性 · 等级：{_e(thresholds)}</p></header>
{"".join(sections)}
<footer>时效性按生成报告的时间计算：超过更新周期仍未加载的资源判为不及时。
样例中的个人信息已按字段敏感程度脱敏。图表由 Apache ECharts 绘制（本文件内嵌，离线可读）。</footer>
<script>const DATA = {data};{_JS}</script>
</body></html>
"""


def _overview(depts: list[DepartmentScore], held: int) -> str:
    # a department's scorecard includes the departments under it: each resource counted once
    runs = list({r.resource: r for d in depts for r in d.resources}.values())
    scores = [r.score for r in runs if r.score is not None]
    mean = sum(scores) / len(scores) if scores else None
    from shuzhi.quality.rules import grade

    failing = sum(r.rules_failed for r in runs)
    cards = [
        ("已评估资源", str(len(runs))),
        ("平均得分", f"{_num(mean)} {_level(grade(mean))}"),
        ("未通过的规则", str(failing)),
        ("最新一次加载被暂缓发布的资源", str(held)),
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
<div class="chart wide" id="overview"></div>
<table><thead><tr><th>部门</th><th>已评估资源</th><th>得分</th><th>等级</th>{head}<th>未通过规则</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table></section>"""


def _department(d: DepartmentScore, history: list[tuple[dt.datetime, float | None]], i: int) -> str:
    """A department's heading before its resources: its score now and the line of its history."""
    evaluated = f"{len(d.resources)}" + (
        f" / {len(d.resources) + len(d.unevaluated)}" if d.unevaluated else ""
    )
    since = f"，自 {local_time(history[0][0])} 起" if history else ""
    return f"""<section class="dept"><h2>{_e(d.name)} <span class="code">{_e(d.code)}</span>
<span class="score">{_num(d.score)}</span> {_level(d.level)}</h2>
<p class="meta">已评估资源 {evaluated} · 得分历史：{len(history)} 次记录{_e(since)}
（所属资源每次评估、人工发布版本、撤销或恢复资源后的部门得分）</p>
<div class="chart wide" id="dept{i}"></div></section>"""


def _history_data(d: DepartmentScore, history: list[tuple[dt.datetime, float | None]]) -> dict[str, Any]:
    return {
        "code": d.code,
        "name": d.name,
        "times": [_axis_time(at) for at, _ in history],
        "scores": [None if s is None else round(s, 1) for _, s in history],
    }


def _axis_time(when: dt.datetime) -> str:
    """``when`` in the machine's time zone, to the minute, for a chart's axis (the zone is named
    in the page's heading)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def _zh(text: str | None) -> str:
    """The Chinese half of a bilingual ``中文 / English`` note."""
    return "" if text is None else text.split(" / ", 1)[0]


def _order(run: QualityRun) -> list[Any]:
    """Failing rules first (most failing rows first), then the passed ones, then those not run;
    the dimension order is kept within each group."""
    dims = list(Dimension)

    def key(r: Any) -> tuple[int, int, int]:
        group = 0 if r.status == "ok" and r.failing else (1 if r.status == "ok" else 2)
        return group, -r.failing if group == 0 else 0, dims.index(r.dimension)

    return sorted(run.results, key=key)


def _resource(
    run: QualityRun, trend: list[QualityRun], i: int, d: DepartmentScore, held: Any | None = None
) -> str:
    banners = []
    if held is not None:
        banners.append(
            f'<p class="hold">最新一次加载的 v{held.number}（{held.loaded_at:%Y-%m-%d}）未发布，'
            f"当前版本仍为 v{run.version}。原因：{_e(_zh(held.hold_reason))}</p>"
        )
    if run.hold_reason and run.published:
        banners.append(f'<p class="hold">本版本{_e(run.hold_text("zh") or "")}</p>')
    elif run.hold_reason:
        banners.append(f'<p class="hold">本版本暂缓发布：{_e(_zh(run.hold_reason))}</p>')
    if run.error:
        banners.append(f'<p class="hold">评估未完成：{_e(_zh(run.error))}</p>')
    rows = []
    for r in _order(run):
        if r.status != "ok":
            figures = (
                "<td class='n'>—</td><td class='n'>—</td>"
                f"<td class='note' colspan='2'>评估时未执行：{_e(_zh(r.note))}</td>"
            )
            cls = " skipped"
        else:
            rate = "—" if r.rate is None else f"{r.rate:.2%}"
            sample = "<br>".join(_e(line) for line in r.sample_lines("zh", run.labels)[:3]) or _e(_zh(r.note))
            if r.failing:
                figures = (
                    f"<td class='n'>{r.checked:,}</td><td class='n bad'>{r.failing:,}</td>"
                    f"<td class='n bad'>{rate}</td><td class='sample'>{sample}</td>"
                )
                cls = " failing"
            else:
                figures = (
                    f"<td class='n'>{r.checked:,}</td><td class='n'>0</td><td class='n'>—</td>"
                    f"<td class='note'>{_e(_zh(r.note)) if r.kind == 'update_cycle' else ''}</td>"
                )
                cls = ""
        star = ' <span class="must">必须通过</span>' if r.must_pass else ""
        rows.append(
            f"<tr class='{cls.strip()}'><td class='dim'>{r.dimension.label_zh}</td>"
            f"<td>{_e(r.description_zh)}{star}</td>{figures}</tr>"
        )
    versions = "、".join(f"v{t.version}" for t in trend)
    unscored = [x.label_zh for x in Dimension if run.dimensions.get(x) is None]
    unscored_note = f" · 未评估的维度：{'、'.join(unscored)}" if unscored else ""
    return f"""<section class="res"><h2>{_e(run.resource_name)} <span class="code">{_e(run.resource)}</span>
<span class="score">{_num(run.score)}</span> {_level(run.level)}</h2>
<p class="meta">{_e(d.name)} · 当前版本 v{run.version} · {run.rows:,} 行 ·
规则覆盖 {run.fields_covered}/{run.fields_total} 个信息项（{run.coverage:.0%}）·
评估于 {local_time(run.started_at)} · 已评估版本：{_e(versions)}{unscored_note}</p>{"".join(banners)}
<div class="charts"><div class="chart" id="radar{i}"></div><div class="chart" id="bars{i}"></div>
<div class="chart" id="trend{i}"></div></div>
<table class="rules"><colgroup><col class="c-dim"><col class="c-rule"><col class="c-n"><col class="c-n">
<col class="c-n"><col class="c-sample"></colgroup>
<thead><tr><th>维度</th><th>规则</th><th class='n'>检查行数</th><th class='n'>不合格行数</th>
<th class='n'>不合格率</th><th>样例（已脱敏）或说明</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table></section>"""


def _chart_data(run: QualityRun, trend: list[QualityRun]) -> dict[str, Any]:
    failing = sorted((r for r in run.results if r.status == "ok" and r.failing), key=lambda r: -r.failing)[:8]
    scored = [d for d in Dimension if run.dimensions.get(d) is not None]
    return {
        "dims": [d.label_zh for d in scored],
        "scores": [round(run.dimensions[d] or 0, 1) for d in scored],
        "unscored": [d.label_zh for d in Dimension if d not in scored],
        "rules": [r.description_zh for r in reversed(failing)],
        "failing": [r.failing for r in reversed(failing)],
        "versions": [f"v{t.version}" for t in trend],
        "trend": [None if t.score is None else round(t.score, 1) for t in trend],
    }


_CSS = """
body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;
margin:0;background:#f5f6f8;color:#222}
header,section,footer{max-width:1180px;margin:16px auto;background:#fff;padding:16px 24px;border-radius:6px}
header{background:#1f4e79;color:#fff}
header h1{margin:4px 0}
.meta{color:#666;font-size:13px;line-height:1.6}
header .meta{color:#dde}
h2{font-size:20px;margin:6px 0}
.code{color:#888;font-size:12px;font-weight:normal}
.score{font-size:22px;margin-left:12px}
.lv{display:inline-block;padding:1px 10px;border-radius:10px;background:#999;color:#fff;font-size:14px}
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
th{background:#fafafa;white-space:nowrap}
.n{text-align:right;white-space:nowrap}
.dim{white-space:nowrap;color:#555}
table.rules{table-layout:fixed}
.c-dim{width:64px}
.c-rule{width:38%}
.c-n{width:84px}
tr.failing{background:#fff7f6}
tr.skipped td{color:#999}
.bad{color:#c62828;font-weight:bold}
.note{color:#888}
.sample{color:#555;font-family:"SFMono-Regular",Consolas,monospace;font-size:12px;word-break:break-all}
.hold{background:#fdecea;color:#b71c1c;padding:6px 10px;border-radius:4px}
.must{color:#b71c1c;font-size:11px;border:1px solid #b71c1c;border-radius:3px;padding:0 3px}
.charts{display:flex;gap:8px;flex-wrap:wrap}
.chart{flex:1;min-width:320px;height:300px}
.chart.wide{height:220px;margin-bottom:12px}
footer{font-size:12px;color:#888;background:none}
"""

#: before ECharts: a script error anywhere is recorded on <html data-js-errors>
_ERRORS_JS = """
window.addEventListener('error', function (e) {
  var el = document.documentElement, was = el.getAttribute('data-js-errors');
  el.setAttribute('data-js-errors', (was ? was + ' | ' : '') + (e.message || 'error'));
});
"""

_JS = """
var LEVEL_COLOR = {'优': '#2e7d32', '良': '#689f38', '中': '#f9a825', '差': '#ef6c00', '劣': '#c62828'};
var TITLE = {left: 'center', top: 0, textStyle: {fontSize: 14}};
var drawn = 0;
function chart(id, option) {
  var el = document.getElementById(id);
  var c = echarts.init(el, null, {renderer: 'canvas'});
  c.setOption(option);
  if (el.querySelector('canvas')) { drawn += 1; }
  window.addEventListener('resize', function () { c.resize(); });
}
var O = DATA.overview;
chart('overview', {
  title: Object.assign({text: '各部门数据质量得分（满分 100）'}, TITLE),
  tooltip: {}, grid: {left: 8, right: 24, top: 48, bottom: 8, containLabel: true},
  xAxis: {type: 'category', data: O.names, axisLabel: {interval: 0}},
  yAxis: {type: 'value', min: 0, max: 100},
  series: [{type: 'bar', barMaxWidth: 48, label: {show: true, position: 'top',
      formatter: function (p) {
        return p.value === null ? '未评估' : p.value + ' ' + O.levels[p.dataIndex]; }},
    data: O.scores.map(function (s, i) {
      return {value: s, itemStyle: {color: LEVEL_COLOR[O.levels[i]] || '#999'}}; })}]});
var MARKS = {silent: true, symbol: 'none', lineStyle: {type: 'dashed'},
  label: {formatter: '{b} {c}', position: 'end'}, data: [{yAxis: 90, name: '优'}, {yAxis: 60, name: '及格'}]};
DATA.departments.forEach(function (d, i) {
  chart('dept' + i, {
    title: Object.assign({text: d.name + ' 得分历史' + (d.times.length ? '' : '（尚无记录）')}, TITLE),
    tooltip: {trigger: 'axis'}, grid: {left: 8, right: 56, top: 40, bottom: 8, containLabel: true},
    xAxis: {type: 'category', data: d.times, axisLabel: {hideOverlap: true}},
    yAxis: {type: 'value', min: 0, max: 100},
    series: [{type: 'line', name: '得分', data: d.scores, showSymbol: d.scores.length <= 60,
      label: {show: d.scores.length <= 12, position: 'bottom'}, markLine: MARKS}]});
});
DATA.resources.forEach(function (d, i) {
  chart('radar' + i, {
    title: Object.assign({text: '各维度得分', subtext: d.unscored.length ?
      '未评估：' + d.unscored.join('、') : ''}, TITLE),
    tooltip: {},
    radar: {center: ['50%', '58%'], radius: '56%', splitNumber: 4, axisNameGap: 18,
      indicator: d.dims.map(function (n) { return {name: n, max: 100, min: 0}; })},
    series: [{type: 'radar', areaStyle: {opacity: 0.25}, label: {show: true, fontSize: 11},
      data: [{name: '得分', value: d.scores}]}]});
  chart('bars' + i, {
    title: Object.assign({text: d.rules.length ? '不合格行数最多的规则' : '所有规则均通过'}, TITLE),
    tooltip: {}, grid: {left: 8, right: 48, top: 36, bottom: 8, containLabel: true},
    xAxis: {type: 'value', name: '行数', minInterval: 1},
    yAxis: {type: 'category', data: d.rules, axisLabel: {width: 200, overflow: 'truncate'}},
    series: [{type: 'bar', data: d.failing, barMaxWidth: 28, itemStyle: {color: '#c62828'},
      label: {show: true, position: 'right'}}]});
  chart('trend' + i, {
    title: Object.assign({text: '各版本得分'}, TITLE),
    tooltip: {trigger: 'axis'}, grid: {left: 8, right: 56, top: 40, bottom: 8, containLabel: true},
    xAxis: {type: 'category', data: d.versions, name: '版本'},
    yAxis: {type: 'value', min: 0, max: 100},
    series: [{type: 'line', data: d.trend, label: {show: true, position: 'bottom'}, markLine: MARKS}]});
});
document.documentElement.setAttribute('data-charts-rendered', String(drawn));
"""
