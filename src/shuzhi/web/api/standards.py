"""``/api/v1/standards``: check values against the national standards (国家标准校验)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from shuzhi.errors import NotFound
from shuzhi.web._errors import NOT_FOUND
from shuzhi.web.api.deps import CheckersDep, LangDep, StrictRoute

__all__ = ["MAX_BULK", "TAG", "router"]

TAG = {
    "name": "standards",
    "description": "国家标准校验：身份证号、统一社会信用代码、行政区划、电话、日期、地址、姓名… / "
    "check values against national standards",
}

#: most values one bulk request may check
MAX_BULK = 10_000

router = APIRouter(prefix="/standards", tags=["standards"], route_class=StrictRoute)


class KindPublic(BaseModel):
    name: str = Field(description="用于 URL 的名称 / name used in URLs, e.g. idcard")
    label: str = Field(description="名称（所选语言）/ label in the requested language")
    label_zh: str
    label_en: str
    sql_function: str = Field(description="DuckDB 宏 / the SQL form, e.g. sz_idcard_check(s)")


class KindsPublic(BaseModel):
    kinds: list[KindPublic]


class VerdictPublic(BaseModel):
    """One value's verdict: ``shuzhi.standards.Verdict.to_dict``."""

    kind: str
    input: Any = Field(description="the value as given")
    valid: bool
    normalized: str | None = Field(description="规范化后的值 / the value in its standard form")
    reason: str | None = Field(description="不合格原因 / why it is invalid, in the requested language")
    reason_code: str | None = Field(description="stable code, e.g. idcard.check_mismatch")
    notes: list[str] = Field(description="已纠正的问题 / corrections made to accept it")
    note_codes: list[str]
    parts: dict[str, Any] = Field(description="解析出的组成部分 / parsed parts (region, birth date, ...)")


class BulkCheckRequest(BaseModel):
    values: list[str | None] = Field(
        max_length=MAX_BULK,
        description=f"要校验的值，最多 {MAX_BULK} 个 / values to check, at most {MAX_BULK}",
    )


class BulkCheckPublic(BaseModel):
    kind: str
    count: int
    valid: int = Field(description="合格数 / how many are valid")
    invalid: int
    results: list[VerdictPublic] = Field(description="in the order of the request")


KindPath = Annotated[str, Path(description="校验类型 / the kind to check: see /standards/kinds")]
ValueQuery = Annotated[str, Query(description="要校验的值 / the value to check")]


def _known(kind: str) -> str:
    from shuzhi.standards import KINDS

    if kind not in KINDS:
        raise NotFound("kind", kind)
    return kind


@router.get("/kinds", response_model=KindsPublic, summary="校验类型 / checkable kinds")
def list_kinds(lang: LangDep) -> KindsPublic:
    from shuzhi.standards import KINDS

    return KindsPublic(
        kinds=[
            KindPublic(
                name=k.name,
                label=k.label_zh if lang == "zh" else k.label_en,
                label_zh=k.label_zh,
                label_en=k.label_en,
                sql_function=f"{k.sql_check}(s)",
            )
            for k in sorted(KINDS.values(), key=lambda k: k.name)
        ]
    )


@router.get(
    "/check/{kind}", response_model=VerdictPublic, responses=NOT_FOUND, summary="校验一个值 / check one value"
)
def check_one(kind: KindPath, value: ValueQuery, lang: LangDep) -> dict[str, Any]:
    from shuzhi.standards import check

    return check(_known(kind), value).to_dict(lang)


@router.post(
    "/check/{kind}",
    response_model=BulkCheckPublic,
    responses=NOT_FOUND,
    summary="批量校验 / check many values",
)
def check_bulk(
    kind: KindPath, body: BulkCheckRequest, lang: LangDep, checkers: CheckersDep
) -> dict[str, Any]:
    from shuzhi.standards import check_many

    name = _known(kind)
    with checkers.connection() as con:
        verdicts = check_many(name, body.values, con=con)
    valid = sum(v.valid for v in verdicts)
    return {
        "kind": name,
        "count": len(verdicts),
        "valid": valid,
        "invalid": len(verdicts) - valid,
        "results": [v.to_dict(lang) for v in verdicts],
    }
