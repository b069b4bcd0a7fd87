"""Data quality assessment (数据质量评估) to GB/T 36344-2018: rules, scorecards, gates and trends.

::

    from shuzhi.quality import evaluate, gate, latest_run, department_scorecard
    from shuzhi.quality import department_history, trend_points

    run = evaluate(ws, "JC-GA-HJRK")          # the current version: every rule in one scan
    run.score, run.level                      # 93.4, "优"
    run.dimensions                            # {Dimension.conformity: 99.1, ...}
    run.result("unique:id_number").failing    # rows of duplicated IDs (with a masked sample)
    gate(spec, run)                           # None, or why the version must not be published
    trend_points(ws, "JC-GA-HJRK")            # the score per version: current, published or held
    department_history(ws, "JC-GA")           # the department's score after each change

Without any rule written, each resource gets the rules :func:`default_rules` derives from its
fields' declarations; a resource's ``quality:`` section (:class:`QualitySpec`) adds rules, a
``min_score`` and ``must_pass`` rules. Rules are in :mod:`shuzhi.quality.rules`; how scores
and levels are computed is in ``docs/quality.md``.
"""

from shuzhi.quality._masking import mask_kind, mask_sql
from shuzhi.quality._report import echarts_js, report_html
from shuzhi.quality._run import (
    DepartmentScore,
    QualityRun,
    RuleResult,
    TrendPoint,
    department_history,
    department_scorecard,
    departments_overview,
    evaluate,
    gate,
    latest_run,
    resource_trend,
    run_after_ingest,
    trend_points,
    version_checksum,
)
from shuzhi.quality.rules import (
    DIMENSION_WEIGHTS,
    LEVELS,
    Dimension,
    QualitySpec,
    Rule,
    default_rules,
    grade,
    resolve_rules,
)

__all__ = [
    "DIMENSION_WEIGHTS",
    "LEVELS",
    "DepartmentScore",
    "Dimension",
    "QualityRun",
    "QualitySpec",
    "Rule",
    "RuleResult",
    "TrendPoint",
    "default_rules",
    "department_history",
    "department_scorecard",
    "departments_overview",
    "echarts_js",
    "evaluate",
    "gate",
    "grade",
    "latest_run",
    "mask_kind",
    "mask_sql",
    "report_html",
    "resolve_rules",
    "resource_trend",
    "run_after_ingest",
    "trend_points",
    "version_checksum",
]
