"""Evaluating a version: resolve the rules, run them in one scan, score, gate, store.

Scores (documented in ``docs/quality.md``):

* a rule's score is ``100 × (1 − failing / checked)``; a rule that checked no row, or could not
  run (skipped), has no score;
* a dimension's score is the weighted mean (rule ``weight``) of its rules' scores;
* the overall score is the mean of the dimension scores weighted by :data:`DIMENSION_WEIGHTS`,
  over the dimensions that have a score; its level is :func:`~shuzhi.quality.rules.grade`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from shuzhi import errors
from shuzhi.quality._compile import ScanPlan, compile_scan
from shuzhi.quality.rules import (
    DIMENSION_WEIGHTS,
    Agrees,
    ChecksumMatches,
    Dimension,
    QualitySpec,
    Readable,
    RecordsLoaded,
    References,
    RowRule,
    RuleBase,
    UpdateCycle,
    grade,
    resolve_rules,
)
from shuzhi.store import (
    Department,
    QualityDepartmentScore,
    QualityResult,
    Resource,
    ResourceVersion,
    utcnow,
)
from shuzhi.store import QualityRun as RunRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from shuzhi.catalog.spec import ResourceSpec
    from shuzhi.engine import Engine
    from shuzhi.workspace import Workspace

__all__ = [
    "DepartmentScore",
    "QualityRun",
    "RuleResult",
    "TrendPoint",
    "department_history",
    "department_scorecard",
    "departments_overview",
    "evaluate",
    "gate",
    "latest_run",
    "resource_trend",
    "run_after_ingest",
    "trend_points",
    "version_checksum",
]


#: the kind of :class:`~shuzhi.errors.NotFound` raised when no run is stored yet
QUALITY_RUN = "质量评估结果 / quality run"


@dataclasses.dataclass(frozen=True)
class RuleResult:
    """One rule's figures in a run."""

    rule_id: str
    kind: str
    dimension: Dimension
    fields: tuple[str, ...]
    description_zh: str
    description_en: str
    checked: int
    failing: int
    weight: float = 1.0
    must_pass: bool = False
    status: str = "ok"  # ok | skipped
    note: str | None = None
    sample: tuple[dict[str, Any], ...] = ()
    rule: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        """Share of the checked rows that fail (None when none was checked)."""
        return self.failing / self.checked if self.checked else None

    @property
    def score(self) -> float | None:
        r = self.rate
        return None if r is None or self.status != "ok" else 100.0 * (1.0 - r)

    @property
    def passed(self) -> bool:
        return self.status != "ok" or self.failing == 0

    def description(self, lang: str = "zh") -> str:
        return self.description_zh if lang == "zh" else self.description_en

    def sample_lines(self, lang: str = "zh", labels: Mapping[str, str] | None = None) -> list[str]:
        """The sampled rows as a clerk reads them: the row number, then each field — by its Chinese
        label in Chinese (``labels``: name → label) — with its masked value, 空 for none."""
        lines = []
        for s in self.sample:
            if lang == "zh":
                values = "，".join(
                    f"{(labels or {}).get(k, k)}={'（空）' if v is None else v}"
                    for k, v in s.items()
                    if k != "_row"
                )
                lines.append(f"第{s.get('_row')}行：{values}")
            else:
                values = ", ".join(
                    f"{k}={'(empty)' if v is None else v}" for k, v in s.items() if k != "_row"
                )
                lines.append(f"row {s.get('_row')}: {values}")
        return lines

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "kind": self.kind,
            "dimension": self.dimension.value,
            "dimension_label": self.dimension.label(lang),
            "fields": list(self.fields),
            "description": self.description(lang),
            "checked": self.checked,
            "failing": self.failing,
            "rate": self.rate,
            "score": self.score,
            "weight": self.weight,
            "must_pass": self.must_pass,
            "passed": self.passed,
            "status": self.status,
            "note": self.note,
            "sample": [dict(s) for s in self.sample],
        }


@dataclasses.dataclass(frozen=True)
class QualityRun:
    """The scorecard of one version of a resource (质量评估结果)."""

    resource: str
    resource_name: str
    department: str
    version: int
    rows: int
    score: float | None
    level: str | None
    dimensions: dict[Dimension, float | None]
    results: tuple[RuleResult, ...]
    fields_total: int
    fields_covered: int
    hold_reason: str | None
    #: ok | error (the version could not be read) | failed (the rules could not run or raised)
    status: str = "ok"
    error: str | None = None
    engine: str = "duckdb"
    started_at: dt.datetime = dataclasses.field(default_factory=utcnow)
    duration_s: float = 0.0
    id: int | None = None
    #: the resource's fields' Chinese labels (name → label, from the catalog), for the samples
    labels: dict[str, str] = dataclasses.field(default_factory=dict)
    #: a held run's version made current all the same (``shuzhi publish``, or a re-evaluation of
    #: the current version): who made it current and why; None when not known or not published
    published_by: str | None = None
    publish_note: str | None = None
    published: bool = False

    @property
    def coverage(self) -> float:
        """Share of the resource's fields that at least one row rule reads."""
        return self.fields_covered / self.fields_total if self.fields_total else 0.0

    @property
    def rules_failed(self) -> int:
        return sum(1 for r in self.results if not r.passed)

    @property
    def held(self) -> bool:
        return self.hold_reason is not None

    def result(self, rule_id: str) -> RuleResult:
        for r in self.results:
            if r.rule_id == rule_id:
                return r
        raise errors.NotFound("规则 / rule", rule_id)

    def level_label(self, lang: str = "zh") -> str | None:
        return grade(self.score, lang)

    def hold_text(self, lang: str = "zh") -> str | None:
        """The gate's verdict as a scorecard says it (in one language): why the version is held,
        or — for a version made current all the same — that it did not pass but was published,
        by whom and why; None when the gate passed."""
        if self.hold_reason is None:
            return None
        reason = _zh(self.hold_reason) if lang == "zh" else _en(self.hold_reason)
        if not self.published:
            return reason
        by = self.published_by or ("?" if lang != "zh" else "未记录")
        note = f"（{self.publish_note}）" if lang == "zh" and self.publish_note else ""
        if lang == "zh":
            return f"未通过质量门槛，但已由 {by} 发布{note}：{reason}"
        note = f" ({self.publish_note})" if self.publish_note else ""
        return f"did not pass the quality gate but was published by {by}{note}: {reason}"

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "id": self.id,
            "resource": self.resource,
            "resource_name": self.resource_name,
            "department": self.department,
            "version": self.version,
            "status": self.status,
            "error": self.error,
            "rows": self.rows,
            "score": _round(self.score),
            "level": self.level_label(lang),
            "dimensions": {
                d.value: {"label": d.label(lang), "score": _round(self.dimensions.get(d))} for d in Dimension
            },
            "coverage": round(self.coverage, 4),
            "fields_total": self.fields_total,
            "fields_covered": self.fields_covered,
            "rules_total": len(self.results),
            "rules_failed": self.rules_failed,
            "hold_reason": self.hold_reason,
            "hold_text": self.hold_text(lang),
            "published": self.published,
            "published_by": self.published_by,
            "publish_note": self.publish_note,
            "engine": self.engine,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "duration_s": round(self.duration_s, 3),
            "rules": [r.to_dict(lang) for r in self.results],
        }


@dataclasses.dataclass(frozen=True)
class DepartmentScore:
    """A department's aggregate: the mean over its resources' latest runs."""

    code: str
    name: str
    score: float | None
    level: str | None
    dimensions: dict[Dimension, float | None]
    resources: tuple[QualityRun, ...]
    unevaluated: tuple[str, ...]  # resources without any run

    @property
    def rules_failed(self) -> int:
        return sum(r.rules_failed for r in self.resources)

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "score": _round(self.score),
            "level": grade(self.score, lang),
            "dimensions": {
                d.value: {"label": d.label(lang), "score": _round(self.dimensions.get(d))} for d in Dimension
            },
            "rules_failed": self.rules_failed,
            "resources": [
                {
                    "resource": r.resource,
                    "name": r.resource_name,
                    "version": r.version,
                    "score": _round(r.score),
                    "level": r.level_label(lang),
                    "rows": r.rows,
                    "rules_failed": r.rules_failed,
                    "hold_reason": r.hold_reason,
                    "hold_text": r.hold_text(lang),
                    "published": r.published,
                    "evaluated_at": r.started_at.isoformat(timespec="seconds"),
                }
                for r in self.resources
            ],
            "unevaluated": list(self.unevaluated),
        }


#: a trend point's status: the version is the current one, was published (and since replaced), or
#: was held back (never published)
TREND_STATUS = {
    "current": ("当前版本", "current"),
    "published": ("已发布", "published"),
    "held": ("未发布", "held"),
}


@dataclasses.dataclass(frozen=True)
class TrendPoint:
    """One version in a resource's score trend: its latest run's score and level (as a scorecard
    shows it), when the version was loaded and whether it was published."""

    version: int
    score: float | None
    loaded_at: dt.datetime | None
    evaluated_at: dt.datetime
    #: current | published (made current once, since replaced) | held (never published)
    status: str
    #: why the load was held back (bilingual; kept when the version was published all the same)
    hold_reason: str | None = None

    @property
    def held(self) -> bool:
        return self.status == "held"

    def level_label(self, lang: str = "zh") -> str | None:
        return grade(self.score, lang)

    def status_label(self, lang: str = "zh") -> str:
        zh, en = TREND_STATUS[self.status]
        return zh if lang == "zh" else en

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "version": self.version,
            "score": _round(self.score),
            "level": self.level_label(lang),
            "loaded_at": None if self.loaded_at is None else self.loaded_at.isoformat(timespec="seconds"),
            "started_at": self.evaluated_at.isoformat(timespec="seconds"),
            "status": self.status,
            "status_label": self.status_label(lang),
            "hold_reason": self.hold_reason,
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


# -- evaluating -------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Target:
    spec: ResourceSpec
    department: str
    catalog_revision: int
    number: int
    version: ResourceVersion | None
    previous: ResourceVersion | None
    data: Path
    others: dict[str, tuple[ResourceSpec, Path | None]]
    #: the resource's last load (any version), when this version is its current or latest one:
    #: timeliness then also compares it with the time of the evaluation
    last_load_at: dt.datetime | None = None


def evaluate(
    ws: Workspace,
    resource: str,
    number: int | None = None,
    *,
    engine: Engine | None = None,
    quality: QualitySpec | None = None,
    store: bool = True,
    by: str | None = None,
    today: dt.date | None = None,
) -> QualityRun:
    """Evaluate version ``number`` (default: the current one, else the latest loaded) of
    ``resource``: every row rule in one scan on ``engine`` (default: the workspace's), then the
    resource rules, the scores and the gate. The run is stored (unless ``store=False``) and the
    department's aggregate recorded.

    ``quality`` replaces the resource's declared ``quality:`` section (for trying rules out).
    A version that cannot be read gives a run with status ``error``, accessibility 0 and a hold.
    """
    with ws.session() as s:
        target = _target(ws, s, resource, number)
    run = _assess(ws, target, engine=engine, quality=quality, today=today)
    if store:
        run = _store(ws, run, catalog_revision=target.catalog_revision, by=by)
    return run


def _assess(
    ws: Workspace,
    target: _Target,
    *,
    engine: Engine | None = None,
    quality: QualitySpec | None = None,
    today: dt.date | None = None,
) -> QualityRun:
    """The run of ``target`` (not stored)."""
    started = utcnow()
    t0 = time.perf_counter()
    eng = engine if engine is not None else ws.engine
    spec = target.spec
    q = quality if quality is not None else _declared_quality(spec)

    def related(code: str) -> ResourceSpec | None:
        return target.others[code][0] if code in target.others else None

    rules = resolve_rules(spec, q, related=related)
    today = today or dt.date.today()
    loaded_on = target.version.loaded_at.date() if target.version is not None else today

    row_rules = [r for r in rules if isinstance(r, RowRule)]
    views: list[str] = []
    status, error, rows = "ok", None, 0
    scan_failed = False
    scanned: dict[str, RuleResult] = {}
    try:
        data_view = _view(eng, target.data, views)
        schema = eng.fetch_arrow(f'SELECT * FROM "{data_view}" LIMIT 0').schema
        columns = {n: str(t) for n, t in zip(schema.names, schema.types, strict=True)}
    except Exception as e:  # unreadable: missing files, corrupt Parquet, engine failure
        status, error = "error", _first_line(e)
        columns = {}
    try:
        if status == "ok":
            refs: dict[str, str] = {}
            for code in {r.other for r in row_rules if isinstance(r, References | Agrees)}:
                other = target.others.get(code)
                if other is not None and other[1] is not None and other[1].exists():
                    refs[code] = _view(eng, other[1], views)
            plan = compile_scan(
                row_rules,
                spec=spec,
                data=data_view,
                columns=columns,
                today=today,
                loaded_on=loaded_on,
                refs=refs,
                sample_size=q.sample_size,
                dialect=eng.dialect,
            )
            try:
                out = eng.fetch_arrow(plan.sql).to_pylist()[0]
            except Exception as e:  # the data was readable: the rules' query failed
                status, error = "failed", "质量规则执行失败 / the rules could not run: " + _first_line(e)
                scan_failed = True
            else:
                rows = int(out["__n"])
                sampled = _sampled_rows(eng, plan, out)
                for i, (rule, rs, shown) in enumerate(plan.rules):
                    sample = tuple(
                        {"_row": r, **{n: sampled[r].get(n) for n in shown}}
                        for r in (out.get(f"s{i}") or [])
                        if r in sampled
                    )
                    scanned[rule.rule_id] = _result(
                        rule,
                        checked=int(out[f"c{i}"] or 0),
                        failing=int(out[f"f{i}"] or 0),
                        status="skipped" if rs.skipped else "ok",
                        note=rs.skipped,
                        sample=sample,
                        fields=rule.field_names(),
                        spec=spec,
                        related=related,
                    )
                if plan.missing:
                    error = "数据缺少信息项 / the data lacks fields: " + ", ".join(plan.missing)
    finally:
        for v in views:
            eng.unregister(v)

    results: list[RuleResult] = []
    for one in rules:
        if isinstance(one, RowRule):
            if one.rule_id in scanned:
                results.append(scanned[one.rule_id])
            else:
                why = (
                    "规则未能执行 / the rules could not run"
                    if scan_failed
                    else "数据版本不可读 / the version could not be read"
                )
                results.append(
                    _result(
                        one,
                        0,
                        0,
                        status="skipped",
                        note=why,
                        fields=one.field_names(),
                        spec=spec,
                        related=related,
                    )
                )
        else:
            results.append(
                _resource_rule(one, target, spec, readable=status == "ok" or scan_failed, error=error)
            )

    # a run whose rules could not run has no figures: the resource rules alone (records loaded,
    # readable, on time) made it 100 优 and lifted its department's mean
    dims = _dimension_scores(results) if status != "failed" else {}
    score = _overall(dims)
    covered = {n for r in rules if isinstance(r, RowRule) for n in r.field_names()}
    run = QualityRun(
        resource=spec.code,
        resource_name=spec.name,
        department=target.department,
        version=target.number,
        rows=rows,
        score=score,
        level=grade(score),
        dimensions=dims,
        results=tuple(results),
        fields_total=len(spec.fields),
        fields_covered=len(covered & {f.name for f in spec.fields}),
        hold_reason=None,
        status=status,
        error=error,
        engine=eng.kind,
        started_at=started,
        duration_s=0.0,
        labels=_labels(spec),
    )
    return dataclasses.replace(
        run, hold_reason=gate(spec, run, quality=q), duration_s=time.perf_counter() - t0
    )


def _sampled_rows(eng: Engine, plan: ScanPlan, out: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The masked fields of every row some rule kept as a sample (one small query)."""
    rows = [int(r) for i in range(len(plan.rules)) for r in (out.get(f"s{i}") or [])]
    sql = plan.sample_sql(rows)
    if sql is None:
        return {}
    return {int(x.pop("__row")): x for x in eng.fetch_arrow(sql).to_pylist()}


def _declared_quality(spec: ResourceSpec) -> QualitySpec:
    declared = getattr(spec, "quality", None)
    if isinstance(declared, QualitySpec):
        return declared
    if isinstance(declared, dict):
        return QualitySpec.model_validate(declared)
    return QualitySpec()


def _view(eng: Engine, path: Path, views: list[str]) -> str:
    name = f"sz_q_{uuid.uuid4().hex[:10]}"
    eng.register(name, path)
    views.append(name)
    return name


def _first_line(e: BaseException) -> str:
    text = str(getattr(e, "message", None) or e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _result(
    rule: RuleBase,
    checked: int,
    failing: int,
    *,
    status: str = "ok",
    note: str | None = None,
    sample: tuple[dict[str, Any], ...] = (),
    fields: tuple[str, ...] = (),
    spec: ResourceSpec | None = None,
    related: Callable[[str], ResourceSpec | None] | None = None,
) -> RuleResult:
    return RuleResult(
        rule_id=rule.rule_id,
        kind=rule.kind_name(),
        dimension=rule.dimension,
        fields=fields,
        description_zh=rule.describe("zh", spec, related),
        description_en=rule.describe("en", spec, related),
        checked=checked,
        failing=failing,
        weight=rule.weight,
        must_pass=rule.must_pass,
        status=status,
        note=note,
        sample=sample,
        rule=rule.model_dump(mode="json", exclude_defaults=True) | {"kind": rule.kind_name()},
    )


def _resource_rule(
    rule: RuleBase, target: _Target, spec: ResourceSpec, *, readable: bool, error: str | None
) -> RuleResult:
    v = target.version
    if isinstance(rule, Readable):
        return _result(rule, 1, 0 if readable else 1, note=None if readable else error)
    if isinstance(rule, ChecksumMatches):
        if v is None or not v.checksum:
            return _result(rule, 0, 0, status="skipped", note="未登记校验和 / no checksum recorded")
        actual = version_checksum(target.data)
        same = actual == v.checksum
        note = None if same else f"校验和不符 / checksum differs: {actual[:12]}… ≠ {v.checksum[:12]}…"
        return _result(rule, 1, 0 if same else 1, note=note)
    if isinstance(rule, RecordsLoaded):
        if v is None:
            return _result(rule, 0, 0, status="skipped", note="无加载记录 / no load recorded")
        return _result(
            rule, int(v.rows_in), int(v.rows_quarantined), note=f"{v.rows_quarantined} 行被隔离 / quarantined"
        )
    if isinstance(rule, UpdateCycle):
        days = rule.days or spec.update_cycle.days
        if days is None:
            return _result(rule, 0, 0, status="skipped", note="更新周期不定 / irregular update cycle")
        if v is None:
            return _result(rule, 0, 0, status="skipped", note="无加载记录 / no load recorded")
        checked, failing, note = cycle_figures(
            days,
            loaded_at=v.loaded_at,
            previous_at=target.previous.loaded_at if target.previous is not None else None,
            last_load_at=target.last_load_at or v.loaded_at,
            now=utcnow(),
        )
        return _result(rule, checked, failing, note=note)
    raise TypeError(f"not a resource rule: {rule!r}")  # pragma: no cover


def cycle_figures(
    days: int,
    *,
    loaded_at: dt.datetime,
    previous_at: dt.datetime | None,
    last_load_at: dt.datetime | None,
    now: dt.datetime,
) -> tuple[int, int, str]:
    """时效性 of a version against an update cycle of ``days``: (checked, failing, note).

    It fails when the version came more than ``days`` after the previous load, or — for the
    resource's current or latest version (``last_load_at`` given) — when the resource's last load
    is more than ``days`` old at ``now``: a monthly resource not loaded for three months is late
    today, whatever it was when it was loaded."""
    zh: list[str] = []
    en: list[str] = []
    late = False
    if previous_at is not None:
        gap = (loaded_at - previous_at).total_seconds() / 86400
        late = late or gap > days
        zh.append(f"距上次加载 {gap:.1f} 天")
        en.append(f"{gap:.1f} days after the previous load")
    if last_load_at is not None:
        age = (now - last_load_at).total_seconds() / 86400
        if age > days:
            late = True
            zh.append(f"截至 {now:%Y-%m-%d} 已 {age:.0f} 天未加载，逾期 {age - days:.0f} 天")
            en.append(f"not loaded for {age:.0f} days as of {now:%Y-%m-%d}: {age - days:.0f} days overdue")
        else:
            zh.append(f"最近一次加载在 {age:.1f} 天前")
            en.append(f"last loaded {age:.1f} days ago")
    if not zh:
        return 0, 0, "首个版本 / the first version"
    note = "，".join(zh) + f"（周期 {days} 天） / " + "; ".join(en) + f" (cycle {days} days)"
    return 1, 1 if late else 0, note


def _dimension_scores(results: Iterable[RuleResult]) -> dict[Dimension, float | None]:
    out: dict[Dimension, float | None] = {}
    for d in Dimension:
        scored = [(r.weight, r.score) for r in results if r.dimension is d and r.score is not None]
        total = sum(w for w, _ in scored)
        out[d] = sum(w * s for w, s in scored if s is not None) / total if total else None
    return out


def _overall(dims: dict[Dimension, float | None]) -> float | None:
    pairs = [(DIMENSION_WEIGHTS[d], s) for d, s in dims.items() if s is not None]
    total = sum(w for w, _ in pairs)
    return sum(w * s for w, s in pairs) / total if total else None


def declares_gate(spec: ResourceSpec, quality: QualitySpec | None = None) -> bool:
    """Whether the resource declares a gate: a ``min_score``, or rules that must pass."""
    q = quality if quality is not None else _declared_quality(spec)
    return q.min_score is not None or bool(q.must_pass) or any(r.must_pass for r in q.rules)


def gate(spec: ResourceSpec, run: QualityRun, *, quality: QualitySpec | None = None) -> str | None:
    """Why the version of ``run`` must not be published, as one bilingual sentence, or None.

    It is held when it cannot be read; when its score is below the resource's ``min_score``; when
    a ``must_pass`` rule fails any row; and, for a resource that declares a gate, when the rules
    could not run (a gate that cannot be checked is not passed)."""
    q = quality if quality is not None else _declared_quality(spec)
    zh: list[str] = []
    en: list[str] = []
    if run.status == "error":
        zh.append(f"数据版本不可读（{run.error}）")
        en.append(f"the version cannot be read ({run.error})")
    elif run.status == "failed" and declares_gate(spec, q):
        zh.append(f"质量评估未能完成，无法检查门槛（{run.error}）")
        en.append(f"the quality evaluation failed, so the gate could not be checked ({run.error})")
    if q.min_score is not None and run.score is not None and run.score < q.min_score:
        zh.append(f"质量评分 {run.score:.1f} 低于门槛 {q.min_score:g}")
        en.append(f"quality score {run.score:.1f} is below the minimum {q.min_score:g}")
    must = set(q.must_pass)
    failed = [
        r for r in run.results if (r.must_pass or r.rule_id in must) and r.status == "ok" and r.failing > 0
    ]
    if failed:
        zh.append("必须通过的规则未通过：" + "；".join(f"{r.rule_id}（{r.failing} 行）" for r in failed))
        en.append("must-pass rules failed: " + "; ".join(f"{r.rule_id} ({r.failing} rows)" for r in failed))
    unchecked = [
        r
        for r in run.results
        if (r.must_pass or r.rule_id in must) and r.status == "skipped" and run.status == "ok"
    ]
    if unchecked:  # a gate that cannot be checked is not passed (a reference not loaded yet)
        zh.append(
            "必须通过的规则未能执行："
            + "；".join(f"{r.rule_id}（{_zh(r.note)}）" if r.note else r.rule_id for r in unchecked)
        )
        en.append(
            "must-pass rules could not run: "
            + "; ".join(f"{r.rule_id} ({_en(r.note)})" if r.note else r.rule_id for r in unchecked)
        )
    if not zh:
        return None
    return "；".join(zh) + " / " + "; ".join(en)


def _zh(note: str) -> str:
    return note.split(" / ", 1)[0]


def _en(note: str) -> str:
    return note.split(" / ", 1)[-1]


def run_after_ingest(
    ws: Workspace,
    resource: str,
    pending: ResourceVersion,
    *,
    engine: Engine | None = None,
    today: dt.date | None = None,
) -> QualityRun:
    """Evaluate a version being loaded: its folder is in place, its ``resource_versions`` row
    (``pending``, not added to any session) not yet committed. The run is not stored: the loader
    stores it with :func:`store_run` in the transaction that commits the version, and publishes
    the version only when the run's ``hold_reason`` is None."""
    with ws.session() as s:
        target = _target(ws, s, resource, pending.number, pending)
    return _assess(ws, target, engine=engine, today=today)


def refresh_dependents(
    ws: Workspace, code: str, *, by: str | None = None
) -> list[tuple[QualityRun, float | None]]:
    """Re-evaluate (and store) the current version of every resource whose latest run could not
    check its cross-resource rules against ``code`` because ``code`` had no current version then —
    called by ingestion once ``code`` has one, so a scorecard does not keep saying "not run" for
    a resource that is now loaded. Other runs are left as they were evaluated. Returns each new
    run with the score it replaces."""
    with ws.session() as s:
        others = s.scalars(
            sa.select(Resource).where(
                Resource.code != code, Resource.current_version.is_not(None), Resource.retired_at.is_(None)
            )
        ).all()
        stale: list[tuple[str, float | None]] = []
        for r in others:
            row = s.scalar(
                sa.select(RunRow)
                .where(RunRow.resource_code == r.code, RunRow.version_number == r.current_version)
                .order_by(RunRow.id.desc())
                .limit(1)
            )
            if row is None:
                continue
            for x in row.results:
                target = str(x.rule.get("references") or x.rule.get("agrees_with") or "")
                if x.status == "skipped" and target.split(".", 1)[0] == code:
                    stale.append((r.code, row.score))
                    break
    return [(evaluate(ws, other, by=by), before) for other, before in stale]


def failed_run(ws: Workspace, resource: str, number: int, error: BaseException | str) -> QualityRun:
    """The run recorded when evaluating version ``number`` raised: status ``error``, no figures,
    and the gate's verdict under the documented policy (held only if the resource declares a
    gate)."""
    with ws.session() as s:
        row = _resource_row(s, resource)
        spec, department = _spec(row), row.department_code
    text = error if isinstance(error, str) else f"{type(error).__name__}: {_first_line(error)}"
    run = QualityRun(
        resource=spec.code,
        resource_name=spec.name,
        department=department,
        version=number,
        rows=0,
        score=None,
        level=None,
        dimensions=dict.fromkeys(Dimension),
        results=(),
        fields_total=len(spec.fields),
        fields_covered=0,
        hold_reason=None,
        status="failed",
        error="质量评估出错 / the quality evaluation raised " + text,
        engine=ws.engine.kind,
        labels=_labels(spec),
    )
    try:
        gated = declares_gate(spec)
    except Exception:  # the quality section itself is what failed: treat it as gated
        gated = True
    if gated:
        reason = (
            f"质量评估未能完成，无法检查门槛（{run.error}）/ "
            f"the quality evaluation failed, so the gate could not be checked ({run.error})"
        )
        run = dataclasses.replace(run, hold_reason=reason)
    return run


def version_checksum(data: Path) -> str:
    """sha256 over the bytes of a version's data files (``data.parquet``, or the Parquet files of a
    ``data/`` folder), in name order."""
    files = [data] if data.is_file() else sorted(p for p in data.rglob("*.parquet") if p.is_file())
    h = hashlib.sha256()
    for f in files:
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


# -- finding the version ----------------------------------------------------------------------------


def _resource_row(s: Session, code: str) -> Resource:
    row = s.scalar(sa.select(Resource).where(Resource.code == code))
    if row is None:
        raise errors.NotFound("资源 / resource", code)
    return row


def _labels(spec: ResourceSpec) -> dict[str, str]:
    return {f.name: f.label for f in spec.fields if f.label}


def _spec(row: Resource) -> ResourceSpec:
    from shuzhi.catalog.spec import ResourceSpec

    return ResourceSpec.model_validate(row.spec)


def _data_path(ws: Workspace, code: str, number: int, version: ResourceVersion | None) -> Path:
    folder = ws.warehouse / version.path if version is not None else ws.warehouse / code / f"v{number}"
    for candidate in (folder / "data.parquet", folder / "data"):
        if candidate.exists():
            return candidate
    return folder / "data.parquet"


def _target(
    ws: Workspace, s: Session, code: str, number: int | None, pending: ResourceVersion | None = None
) -> _Target:
    """What evaluating version ``number`` of ``code`` needs. ``pending``: the row of a version
    being loaded, not yet in the store (its folder is in place)."""
    row = _resource_row(s, code)
    spec = _spec(row)
    versions = {
        v.number: v
        for v in s.scalars(sa.select(ResourceVersion).where(ResourceVersion.resource_id == row.id)).all()
    }
    if pending is not None:
        versions[pending.number] = pending
        number = pending.number
    if number is None:
        number = row.current_version
    if number is None and versions:
        number = max(versions)
    if number is None:
        folder = ws.warehouse / code
        found = (
            sorted(int(p.name[1:]) for p in folder.glob("v*") if p.name[1:].isdigit())
            if folder.is_dir()
            else []
        )
        if not found:
            raise errors.NotFound("版本 / version", f"{code} (尚未加载数据 / nothing loaded yet)")
        number = found[-1]
    version = versions.get(number)
    if version is None and not (ws.warehouse / code / f"v{number}").exists():
        raise errors.NotFound("版本 / version", f"{code} v{number}")
    earlier = [n for n in versions if n < number]
    previous = versions[max(earlier)] if earlier else None
    last_load_at = None
    if version is not None and (number == row.current_version or number == max(versions)):
        last_load_at = max(v.loaded_at for v in versions.values())
    others: dict[str, tuple[ResourceSpec, Path | None]] = {}
    wanted = set(spec.related) | _referenced(getattr(spec, "quality", None))
    for other_code in sorted(wanted - {code}):
        orow = s.scalar(sa.select(Resource).where(Resource.code == other_code))
        if orow is None:
            continue
        path = None
        if orow.current_version is not None:
            ov = s.scalar(
                sa.select(ResourceVersion).where(
                    ResourceVersion.resource_id == orow.id, ResourceVersion.number == orow.current_version
                )
            )
            path = _data_path(ws, other_code, orow.current_version, ov)
        others[other_code] = (_spec(orow), path)
    return _Target(
        spec=spec,
        department=row.department_code,
        catalog_revision=row.revision,
        number=number,
        version=version,
        previous=previous,
        data=_data_path(ws, code, number, version),
        others=others,
        last_load_at=last_load_at,
    )


def _referenced(quality: object) -> set[str]:
    q = quality if isinstance(quality, QualitySpec) else None
    if isinstance(quality, dict):
        q = QualitySpec.model_validate(quality)
    if q is None:
        return set()
    return {r.other for r in q.rules if isinstance(r, References | Agrees)}


# -- storing and reading runs -----------------------------------------------------------------------


def _store(ws: Workspace, run: QualityRun, *, catalog_revision: int, by: str | None) -> QualityRun:
    with ws.session() as s:
        stored = store_run(s, run, catalog_revision=catalog_revision, by=by)
        return _publication(s, stored, _resource_row(s, run.resource))


def store_run(s: Session, run: QualityRun, *, catalog_revision: int | None, by: str | None) -> QualityRun:
    """Add ``run`` (its rule results, and the department's new aggregate) in session ``s``; the
    stored run, with its ``id``, is returned."""
    row = RunRow(
        resource_code=run.resource,
        version_number=run.version,
        department_code=run.department,
        catalog_revision=catalog_revision,
        status=run.status,
        error=run.error,
        engine=run.engine,
        rows=run.rows,
        score=run.score,
        level=run.level,
        dimensions={d.value: v for d, v in run.dimensions.items()},
        fields_total=run.fields_total,
        fields_covered=run.fields_covered,
        rules_total=len(run.results),
        rules_failed=run.rules_failed,
        hold_reason=run.hold_reason,
        started_at=run.started_at,
        duration_s=run.duration_s,
        started_by=by,
    )
    for i, r in enumerate(run.results):
        row.results.append(
            QualityResult(
                position=i,
                rule_id=r.rule_id,
                kind=r.kind,
                dimension=r.dimension.value,
                fields=list(r.fields),
                description_zh=r.description_zh,
                description_en=r.description_en,
                rule=r.rule,
                weight=r.weight,
                must_pass=r.must_pass,
                status=r.status,
                note=r.note,
                checked=r.checked,
                failing=r.failing,
                rate=r.rate,
                score=r.score,
                sample=[_jsonable(x) for x in r.sample],
            )
        )
    s.add(row)
    s.flush()
    run = dataclasses.replace(run, id=row.id)
    record_department(s, run.department)
    return run


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v if v is None or isinstance(v, str | int | float | bool) else str(v) for k, v in d.items()}


def _from_row(row: RunRow, res: Resource, labels: dict[str, str]) -> QualityRun:
    results = tuple(
        RuleResult(
            rule_id=r.rule_id,
            kind=r.kind,
            dimension=Dimension(r.dimension),
            fields=tuple(r.fields),
            description_zh=r.description_zh,
            description_en=r.description_en,
            checked=int(r.checked),
            failing=int(r.failing),
            weight=r.weight,
            must_pass=r.must_pass,
            status=r.status,
            note=r.note,
            sample=tuple(dict(x) for x in r.sample),
            rule=dict(r.rule),
        )
        for r in row.results
    )
    return QualityRun(
        resource=row.resource_code,
        resource_name=res.name,
        department=row.department_code,
        version=row.version_number,
        rows=int(row.rows),
        score=row.score,
        level=row.level,
        dimensions={d: row.dimensions.get(d.value) for d in Dimension},
        results=results,
        fields_total=row.fields_total,
        fields_covered=row.fields_covered,
        hold_reason=row.hold_reason,
        status=row.status,
        error=row.error,
        engine=row.engine,
        started_at=row.started_at,
        duration_s=row.duration_s,
        id=row.id,
        labels=labels,
    )


def as_of_now(s: Session, run: QualityRun, res: Resource, now: dt.datetime | None = None) -> QualityRun:
    """``run`` with its timeliness measured at ``now`` (default: the current time) rather than when
    it was evaluated: for the resource's current or latest version, the ``update_cycle`` rule fails
    once the resource's last load is older than its cycle, and the scores and level follow. Runs
    of older versions, and runs without such a rule, are returned as stored."""
    idx = [i for i, r in enumerate(run.results) if r.kind == "update_cycle"]
    if not idx:
        return run
    loads = dict(
        s.execute(
            sa.select(ResourceVersion.number, ResourceVersion.loaded_at).where(
                ResourceVersion.resource_id == res.id
            )
        ).all()
    )
    if run.version not in loads or run.version not in (res.current_version, max(loads)):
        return run
    spec = _spec(res)
    earlier = [n for n in loads if n < run.version]
    results = list(run.results)
    for i in idx:
        r = results[i]
        days = r.rule.get("days") or spec.update_cycle.days
        if not isinstance(days, int):
            continue
        checked, failing, note = cycle_figures(
            days,
            loaded_at=loads[run.version],
            previous_at=loads[max(earlier)] if earlier else None,
            last_load_at=max(loads.values()),
            now=now or utcnow(),
        )
        results[i] = dataclasses.replace(
            r, checked=checked, failing=failing, note=note, status="ok" if checked else "skipped"
        )
    dims = _dimension_scores(results) if run.status != "failed" else {}
    score = _overall(dims)
    return dataclasses.replace(run, results=tuple(results), dimensions=dims, score=score, level=grade(score))


def shown(s: Session, run: QualityRun, res: Resource) -> QualityRun:
    """``run`` as a scorecard shows it: timeliness measured now (:func:`as_of_now`), and for a
    held run whose version is current all the same (published by hand, or re-evaluated after it
    was published), who published it and why — it is not "held" any more."""
    return _publication(s, as_of_now(s, run, res), res)


def _publication(s: Session, run: QualityRun, res: Resource) -> QualityRun:
    if run.hold_reason is None:
        return run
    v = s.scalar(
        sa.select(ResourceVersion).where(
            ResourceVersion.resource_id == res.id, ResourceVersion.number == run.version
        )
    )
    if v is None or not (v.published or res.current_version == run.version):
        return run
    return dataclasses.replace(run, published=True, published_by=v.published_by, publish_note=v.publish_note)


def _latest_rows(s: Session, codes: Sequence[str] | None = None) -> dict[tuple[str, int], RunRow]:
    """The latest run of every (resource, version)."""
    newest = sa.select(sa.func.max(RunRow.id)).group_by(RunRow.resource_code, RunRow.version_number)
    if codes is not None:
        newest = newest.where(RunRow.resource_code.in_(codes))
    rows = s.scalars(sa.select(RunRow).where(RunRow.id.in_(newest))).all()
    return {(r.resource_code, r.version_number): r for r in rows}


def latest_run(ws: Workspace, resource: str, number: int | None = None) -> QualityRun:
    """The latest stored run of version ``number`` of ``resource`` (default: its current version,
    or the latest evaluated one); :class:`~shuzhi.errors.NotFound` if there is none."""
    with ws.session() as s:
        res = _resource_row(s, resource)
        q = sa.select(RunRow).where(RunRow.resource_code == resource)
        if number is None and res.current_version is not None:
            have = s.scalar(q.where(RunRow.version_number == res.current_version).limit(1))
            number = res.current_version if have is not None else None
        if number is not None:
            q = q.where(RunRow.version_number == number)
        row = s.scalar(q.order_by(RunRow.id.desc()).limit(1))
        if row is None:
            what = f"{resource} v{number}" if number is not None else resource
            raise errors.NotFound(QUALITY_RUN, what)
        return shown(s, _from_row(row, res, _labels(_spec(res))), res)


def resource_trend(ws: Workspace, resource: str) -> list[QualityRun]:
    """The latest run of every evaluated version of ``resource``, oldest version first."""
    with ws.session() as s:
        res = _resource_row(s, resource)
        rows = _latest_rows(s, [resource])
        labels = _labels(_spec(res))  # once for every version's run
        return [shown(s, _from_row(rows[k], res, labels), res) for k in sorted(rows, key=lambda k: k[1])]


def trend_points(ws: Workspace, resource: str) -> list[TrendPoint]:
    """The score over the evaluated versions of ``resource``, oldest version first: per version its
    latest run's score (:func:`resource_trend`), when it was loaded, and whether it is the current
    version, was published or was held back. Versions never evaluated (``--no-quality``) are left
    out."""
    runs = resource_trend(ws, resource)
    with ws.session() as s:
        res = _resource_row(s, resource)
        versions = {
            v.number: v
            for v in s.scalars(sa.select(ResourceVersion).where(ResourceVersion.resource_id == res.id)).all()
        }
        current = res.current_version
    out = []
    for run in runs:
        v = versions.get(run.version)
        if run.version == current:
            status = "current"
        elif v is not None:
            status = "published" if v.published else "held"
        else:  # a version folder without its record: its run's verdict
            status = "held" if run.held and not run.published else "published"
        out.append(
            TrendPoint(
                version=run.version,
                score=run.score,
                loaded_at=v.loaded_at if v is not None else None,
                evaluated_at=run.started_at,
                status=status,
                hold_reason=(v.hold_reason if v is not None else None) or run.hold_reason,
            )
        )
    return out


def _department_tree(s: Session) -> dict[str, str | None]:
    """Every department's parent (``parent_code``), by code."""
    return {c: p for c, p in s.execute(sa.select(Department.code, Department.parent_code)).all()}


def _subtree(parents: Mapping[str, str | None], code: str) -> set[str]:
    """``code`` and every department under it (a bureau's offices; the city government's bureaus)."""
    out, todo = {code}, [code]
    while todo:
        here = todo.pop()
        for c, p in parents.items():
            if p == here and c not in out:
                out.add(c)
                todo.append(c)
    return out


def _department_runs(s: Session, code: str) -> tuple[str, list[QualityRun], list[str]]:
    """The latest runs of the resources of ``code`` and of every department under it."""
    dept = s.scalar(sa.select(Department).where(Department.code == code))
    if dept is None:
        raise errors.NotFound("部门 / department", code)
    under = _subtree(_department_tree(s), code)
    resources = s.scalars(
        sa.select(Resource)
        .where(Resource.department_code.in_(sorted(under)), Resource.retired_at.is_(None))
        .order_by(Resource.code)
    ).all()
    latest = _latest_rows(s, [r.code for r in resources])
    runs: list[QualityRun] = []
    missing: list[str] = []
    for r in resources:
        mine = {v: row for (c, v), row in latest.items() if c == r.code}
        if not mine:
            missing.append(r.code)
            continue
        pick = r.current_version if r.current_version in mine else max(mine)
        runs.append(shown(s, _from_row(mine[pick], r, _labels(_spec(r))), r))
    return dept.name, runs, missing


def _aggregate(runs: Sequence[QualityRun]) -> tuple[float | None, dict[Dimension, float | None]]:
    scores = [r.score for r in runs if r.score is not None]
    dims: dict[Dimension, float | None] = {}
    for d in Dimension:
        vals = [x for x in (r.dimensions.get(d) for r in runs) if x is not None]
        dims[d] = sum(vals) / len(vals) if vals else None
    return (sum(scores) / len(scores) if scores else None), dims


def department_scorecard(ws: Workspace, department: str) -> DepartmentScore:
    """The aggregate of ``department`` and the departments under it (``parent_code``): each
    unretired resource's latest run (of its current version where evaluated), their mean score
    and level, and the resources never evaluated."""
    with ws.session() as s:
        name, runs, missing = _department_runs(s, department)
    score, dims = _aggregate(runs)
    return DepartmentScore(
        code=department,
        name=name,
        score=score,
        level=grade(score),
        dimensions=dims,
        resources=tuple(runs),
        unevaluated=tuple(missing),
    )


def departments_overview(ws: Workspace) -> list[DepartmentScore]:
    """:func:`department_scorecard` of every department that provides a resource."""
    with ws.session() as s:
        codes = s.scalars(
            sa.select(Resource.department_code).where(Resource.retired_at.is_(None)).distinct()
        ).all()
    return [department_scorecard(ws, c) for c in sorted(codes)]


def department_history(ws: Workspace, department: str) -> list[tuple[dt.datetime, float | None]]:
    """The department's aggregate score (:func:`department_scorecard`, the departments under it
    included) as recorded after each change, oldest first: (when, score), the score None while
    none of its resources has figures. A point is recorded whenever a run of one of its resources
    is stored (every load, ``--run``, a re-evaluation), a version of one is published by hand and
    an evaluated resource is retired or restored; :class:`~shuzhi.errors.NotFound` for an unknown
    department."""
    with ws.session() as s:
        if s.scalar(sa.select(Department.code).where(Department.code == department)) is None:
            raise errors.NotFound("部门 / department", department)
        rows = s.execute(
            sa.select(QualityDepartmentScore.computed_at, QualityDepartmentScore.score)
            .where(QualityDepartmentScore.department_code == department)
            .order_by(QualityDepartmentScore.id)
        ).all()
    return [(t, sc) for t, sc in rows]


def record_department(s: Session, code: str) -> None:
    """Record the new aggregate of ``code`` and of every department above it (in session ``s``,
    after the change: a stored run, a version made current, a resource retired or restored)."""
    parents = _department_tree(s)
    chain: list[str] = []
    here: str | None = code
    while here is not None and here not in chain:
        chain.append(here)
        here = parents.get(here)
    for one in chain:
        _name, runs, _missing = _department_runs(s, one)
        score, dims = _aggregate(runs)
        s.add(
            QualityDepartmentScore(
                department_code=one,
                resources=len(runs),
                score=score,
                level=grade(score),
                dimensions={d.value: v for d, v in dims.items()},
                rules_failed=sum(r.rules_failed for r in runs),
            )
        )
