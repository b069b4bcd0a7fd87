"""``/api/v1/quality``: data quality scorecards (GB/T 36344) per resource, version and department,
with the score over a resource's versions and a department's history, and the HTML report.
Ingestion stores a run for every load; the scorecards shown here measure timeliness at the time of
the request (a resource overdue for its update cycle shows as late)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from shuzhi.quality import (
    department_history,
    department_scorecard,
    departments_overview,
    evaluate,
    grade,
    latest_run,
    report_html,
    trend_points,
)
from shuzhi.web._errors import NOT_FOUND
from shuzhi.web.api.deps import MAX_NUMBER, LangDep, NumberPath, StrictRoute, UserDep, WorkspaceDep

if TYPE_CHECKING:
    from shuzhi.quality import QualityRun
    from shuzhi.workspace import Workspace

__all__ = ["TAG", "router"]

TAG = {
    "name": "quality",
    "description": "数据质量评估（GB/T 36344 六个维度）：资源与版本的评分卡及各版本得分、"
    "部门汇总及得分历史、报告 / data quality to GB/T 36344: scorecards per resource and version "
    "with the score over versions, department aggregates with their history, report",
}

router = APIRouter(prefix="/quality", tags=["quality"], route_class=StrictRoute)


class DimensionPublic(BaseModel):
    label: str
    score: float | None


class RulePublic(BaseModel):
    rule_id: str
    kind: str
    dimension: str
    dimension_label: str
    fields: list[str]
    description: str
    checked: int = Field(description="检查的行数 / rows checked")
    failing: int = Field(description="不合格行数 / failing rows")
    rate: float | None = Field(description="不合格率 / failing / checked")
    score: float | None
    weight: float
    must_pass: bool
    passed: bool
    status: str = Field(description="ok | skipped")
    note: str | None
    sample: list[dict[str, Any]] = Field(description="不合格行样例（已脱敏）/ failing rows, masked")


class RunPublic(BaseModel):
    """The scorecard of one version."""

    id: int | None
    resource: str
    resource_name: str
    department: str
    version: int
    status: str = Field(
        description="ok | error (数据不可读 / the data could not be read) | "
        "failed (规则未能执行 / the rules could not run)"
    )
    error: str | None
    rows: int
    score: float | None
    level: str | None = Field(description="优 良 中 差 劣 (en: excellent … bad)")
    dimensions: dict[str, DimensionPublic]
    coverage: float = Field(description="有规则的信息项占比 / share of fields with a rule")
    fields_total: int
    fields_covered: int
    rules_total: int
    rules_failed: int
    hold_reason: str | None = Field(description="暂缓发布的原因 / why the version was held back")
    hold_text: str | None = Field(
        description="门槛结论（所选语言）；已发布的版本说明由谁发布 / the gate's verdict in the chosen "
        "language; for a version published all the same, who published it and why"
    )
    published: bool = Field(
        description="未通过门槛但已成为当前版本 / held by the gate but made current all the same"
    )
    published_by: str | None
    publish_note: str | None
    engine: str
    started_at: str
    duration_s: float
    rules: list[RulePublic]


class TrendPoint(BaseModel):
    """One evaluated version of the resource: its latest run's score, when it was loaded, whether
    it was published."""

    version: int
    score: float | None = Field(
        description="该版本最近一次评估的得分 / the score of the version's latest run"
    )
    level: str | None
    loaded_at: str | None = Field(description="加载时间 / when the version was loaded")
    started_at: str = Field(description="评估时间 / when that run was evaluated")
    status: str = Field(
        description="current（当前版本）| published（已发布，后被取代 / published, since replaced）| "
        "held（未发布：被质量门槛或全部隔离暂缓 / never published: held back)"
    )
    status_label: str = Field(description="状态（所选语言）/ the status in the chosen language")
    hold_reason: str | None = Field(
        description="暂缓发布的原因（人工发布后仍保留）/ why the load was held back (kept once published)"
    )


class HeldLoad(BaseModel):
    resource: str
    version: int = Field(description="暂缓发布的最新加载 / the latest load, held back")
    hold_reason: str | None = Field(description="原因（所选语言）/ why, in the chosen language")


class ResourceQualityPublic(RunPublic):
    trend: list[TrendPoint] = Field(
        description="各版本得分，按版本从旧到新 / the score of every evaluated version, oldest first"
    )
    held: HeldLoad | None = Field(
        description="最新一次加载被质量门槛暂缓发布时：版本与原因（本评分卡仍是当前版本的）/ when the "
        "latest load was held back by the quality gate: its version and why (this scorecard stays "
        "the current version's)"
    )


class DepartmentResourcePublic(BaseModel):
    resource: str
    name: str
    version: int
    score: float | None
    level: str | None
    rows: int
    rules_failed: int
    hold_reason: str | None
    hold_text: str | None
    published: bool
    evaluated_at: str


class DepartmentPublic(BaseModel):
    code: str
    name: str
    score: float | None
    level: str | None
    dimensions: dict[str, DimensionPublic]
    rules_failed: int
    resources: list[DepartmentResourcePublic]
    unevaluated: list[str]


class HistoryPoint(BaseModel):
    at: str = Field(description="记录时间 / when it was recorded")
    score: float | None = Field(
        description="部门汇总得分（无评估结果时为空）/ the aggregate (null: no figures)"
    )
    level: str | None


class DepartmentQualityPublic(DepartmentPublic):
    held: list[HeldLoad] = Field(
        description="最新一次加载被暂缓发布的资源 / the resources whose latest load is held back"
    )
    history: list[HistoryPoint] = Field(
        description="部门得分历史：每次所属资源评估、人工发布版本、撤销或恢复资源后的汇总，从旧到新 / "
        "the department's aggregate after each change — a run of one of its resources, a version "
        "published by hand, a resource retired or restored — oldest first"
    )


@router.get(
    "/resources/{code}",
    response_model=ResourceQualityPublic,
    responses=NOT_FOUND,
    summary="资源当前版本的质量评分卡及各版本得分 / a resource's current scorecard and its trend",
)
def resource_quality(code: str, ws: WorkspaceDep, lang: LangDep) -> dict[str, Any]:
    return _with_trend(ws, code, latest_run(ws, code), lang)


def _with_trend(ws: Workspace, code: str, run: QualityRun, lang: str) -> dict[str, Any]:
    """A run as the resource's scorecard: with the score over its versions and the held load."""
    held = _held(ws, [code], lang)
    return run.to_dict(lang) | {
        "trend": [t.to_dict(lang) for t in trend_points(ws, code)],
        "held": held[0] if held else None,
    }


def _held(ws: Workspace, codes: list[str], lang: str) -> list[dict[str, Any]]:
    from shuzhi.quality._report import held_latest

    return list(held_latest(ws, codes, lang).values())


@router.post(
    "/resources/{code}/runs",
    response_model=ResourceQualityPublic,
    status_code=201,
    responses=NOT_FOUND,
    summary="立即重新评估（默认当前版本），结果存档 / evaluate a version now (default: the current "
    "one) and store the run",
)
def post_run(
    code: str,
    ws: WorkspaceDep,
    lang: LangDep,
    user: UserDep,
    version: Annotated[
        int | None,
        Query(ge=0, le=MAX_NUMBER, description="版本号（默认当前版本）/ version (default: current)"),
    ] = None,
) -> dict[str, Any]:
    """As ``shuzhi quality RES --run``: after the catalog's rules changed, or to measure timeliness
    today. The run is stored with who asked (``X-Shuzhi-User``) and the department's history gets a
    point; it does not publish or hold anything."""
    return _with_trend(ws, code, evaluate(ws, code, version, by=user), lang)


@router.get(
    "/resources/{code}/versions/{number}",
    response_model=RunPublic,
    responses=NOT_FOUND,
    summary="某一版本的质量评分卡 / the scorecard of one version",
)
def version_quality(code: str, number: NumberPath, ws: WorkspaceDep, lang: LangDep) -> dict[str, Any]:
    return latest_run(ws, code, number).to_dict(lang)


class DepartmentsPublic(BaseModel):
    departments: list[DepartmentPublic] = Field(
        description="提供资源的每个部门的汇总（含下级部门），按代码排序 / every department that "
        "provides a resource, its aggregate (departments under it included), by code"
    )
    held: list[HeldLoad] = Field(
        description="最新一次加载被暂缓发布的资源 / the resources whose latest load is held back"
    )


@router.get(
    "/departments",
    response_model=DepartmentsPublic,
    summary="各部门的质量汇总 / every department's aggregate",
)
def departments_quality(ws: WorkspaceDep, lang: LangDep) -> dict[str, Any]:
    depts = departments_overview(ws)
    held = _held(ws, sorted({r.resource for d in depts for r in d.resources}), lang)
    return {"departments": [d.to_dict(lang) for d in depts], "held": held}


@router.get(
    "/departments/{code}",
    response_model=DepartmentQualityPublic,
    responses=NOT_FOUND,
    summary="部门的质量汇总及得分历史 / a department's aggregate and its history",
)
def department_quality(code: str, ws: WorkspaceDep, lang: LangDep) -> dict[str, Any]:
    scorecard = department_scorecard(ws, code)
    history = [
        {
            "at": at.isoformat(timespec="seconds"),
            "score": None if s is None else round(s, 2),
            "level": grade(s, lang),
        }
        for at, s in department_history(ws, code)
    ]
    held = _held(ws, [r.resource for r in scorecard.resources], lang)
    return scorecard.to_dict(lang) | {"history": history, "held": held}


@router.get(
    "/report.html",
    response_class=HTMLResponse,
    summary="数据质量评估报告（HTML，含图表，可离线阅读）/ the HTML report with charts, readable offline",
)
def quality_report(ws: WorkspaceDep, department: str | None = None) -> HTMLResponse:
    return HTMLResponse(report_html(ws, department=department))
