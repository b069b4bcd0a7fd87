"""Helpers of the quality tests, imported by name (``from _qhelpers import …``): the catalog, the
sample versions written directly as Parquet (the shape ingestion writes: typed fields, ``_row``,
``_source``, ``_loaded_in``, ``_issues``) with or without their ``resource_versions`` row, and the
Spark skip logic. A uniquely named module: ``from conftest import …`` picked whichever
``conftest`` came first on ``sys.path`` (tests/ingest's in narrow runs).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlalchemy as sa

from shuzhi._yaml import load_model
from shuzhi.catalog import declare
from shuzhi.catalog.spec import CatalogFile
from shuzhi.ingest import LoadResult, ingest, load_mapping
from shuzhi.quality import version_checksum
from shuzhi.standards.idcard import check_char
from shuzhi.store import Resource, ResourceVersion
from shuzhi.workspace import Workspace

#: the catalog of the tests: 公安局 户籍人口, 民政局 低保对象 (related to 户籍人口), 市场监管局 企业
CATALOG: dict[str, Any] = {
    "departments": [
        {"code": "JC-GA", "name": "晋城市公安局"},
        {"code": "JC-MZ", "name": "晋城市民政局"},
        {"code": "JC-SC", "name": "晋城市市场监督管理局"},
    ],
    "resources": [
        {
            "code": "JC-GA-HJRK",
            "name": "户籍人口库",
            "department": "JC-GA",
            "update_cycle": "monthly",
            "sharing": {"type": "conditional", "condition": "依法履职"},
            "fields": [
                {
                    "name": "id_number",
                    "label": "公民身份号码",
                    "standard": "idcard",
                    "key": True,
                    "personal_info": "identity",
                },
                {
                    "name": "name",
                    "label": "姓名",
                    "standard": "name",
                    "required": True,
                    "personal_info": "identity",
                },
                {"name": "sex", "label": "性别", "standard": "sex"},
                {"name": "birth_date", "label": "出生日期", "type": "date", "standard": "date"},
                {"name": "mobile", "label": "手机号码", "standard": "phone", "personal_info": "contact"},
                {"name": "age", "label": "年龄", "type": "integer", "min": 0, "max": 130},
                {"name": "county", "label": "户籍地区划", "standard": "division"},
                {"name": "remark", "label": "备注"},
            ],
        },
        {
            "code": "JC-MZ-DBDX",
            "name": "低保对象",
            "department": "JC-MZ",
            "related": ["JC-GA-HJRK"],
            "sharing": {"type": "unconditional"},
            "fields": [
                {
                    "name": "id_number",
                    "label": "公民身份号码",
                    "standard": "idcard",
                    "required": True,
                    "personal_info": "identity",
                },
                {"name": "name", "label": "姓名", "standard": "name", "personal_info": "identity"},
                {"name": "amount", "label": "月保障金额", "type": "decimal", "min": 0},
            ],
        },
        {
            "code": "JC-SC-QY",
            "name": "企业登记信息",
            "department": "JC-SC",
            "sharing": {"type": "unconditional"},
            "fields": [
                {"name": "uscc", "label": "统一社会信用代码", "standard": "uscc", "key": True},
                {"name": "name", "label": "企业名称", "required": True},
            ],
        },
    ],
}


def idn(first17: str) -> str:
    """A citizen ID with its right check character."""
    return first17 + check_char(first17)


#: 户籍人口, version 1: 10 rows with planted problems (the expected figures are in test_evaluate.py):
#: row 3 repeats row 1's ID; row 4's birth date, sex and age disagree or are out of range; row 5's
#: check character is wrong; row 6 has no name, a birth date unlike its ID's and a flagged mobile;
#: row 7's name is a placeholder; row 8 has no ID; row 9's county is no division code; row 10 was
#: born in 2999.
HJRK_V1 = f"""
SELECT * FROM (VALUES
 (1, '{idn("14050219900307151")}', '张三', '1', DATE '1990-03-07', '13812345678', 35, '140502', NULL),
 (2, '{idn("11010519491231002")}', '李四', '2', DATE '1949-12-31', '0356-2021234', 76, '110105', NULL),
 (3, '{idn("14050219900307151")}', '王五', '1', DATE '1990-03-07', NULL, 35, '140502', '重复'),
 (4, '{idn("44052418800101001")}', '欧阳娜娜', '2', DATE '1880-01-02', NULL, 145, '440524', NULL),
 (5, '14050219900307151Y', '赵六', '1', DATE '1990-03-07', NULL, NULL, '140502', NULL),
 (6, '{idn("14050219900307153")}', NULL, '1', DATE '1990-03-08', NULL, 35, '140502', NULL),
 (7, '{idn("14050219900307154")}', '不详', '2', DATE '1990-03-07', NULL, 35, '140502', NULL),
 (8, NULL, '孙七', '9', NULL, NULL, NULL, NULL, NULL),
 (9, '{idn("11010519491231003")}', '周八', '1', DATE '1949-12-31', '13912345678', 76, '1401', NULL),
 (10, '{idn("11010519491231004")}', '吴九', '2', DATE '2999-01-01', NULL, 76, '110105', NULL)
) AS t(_row, id_number, name, sex, birth_date, mobile, age, county, remark)
"""

#: 户籍人口, version 2: the problems of version 1 fixed (rows 3, 5, 8 dropped)
HJRK_V2 = f"""
SELECT * FROM (VALUES
 (1, '{idn("14050219900307151")}', '张三', '1', DATE '1990-03-07', '13812345678', 35, '140502', NULL),
 (2, '{idn("11010519491231002")}', '李四', '2', DATE '1949-12-31', '0356-2021234', 76, '110105', NULL),
 (4, '{idn("44052418800101001")}', '欧阳娜娜', '1', DATE '1880-01-01', NULL, 125, '440524', NULL),
 (6, '{idn("14050219900307153")}', '钱六', '1', DATE '1990-03-07', NULL, 35, '140502', NULL),
 (7, '{idn("14050219900307154")}', '陈七', '2', DATE '1990-03-07', NULL, 35, '140502', NULL),
 (9, '{idn("11010519491231003")}', '周八', '1', DATE '1949-12-31', '13912345678', 76, '140101', NULL),
 (10, '{idn("11010519491231004")}', '吴九', '2', DATE '1949-12-31', NULL, 76, '110105', NULL)
) AS t(_row, id_number, name, sex, birth_date, mobile, age, county, remark)
"""

#: 低保对象, version 1: row 2's name disagrees with 户籍人口; row 3's ID is not in 户籍人口
DBDX_V1 = f"""
SELECT * FROM (VALUES
 (1, '{idn("14050219900307151")}', '张三', 800.0),
 (2, '{idn("11010519491231002")}', '李肆', 650.5),
 (3, '{idn("14050219800101002")}', '郑十', 700.0),
 (4, '{idn("11010519491231003")}', '周八', -1.0)
) AS t(_row, id_number, name, amount)
"""


def write_version(
    ws: Workspace,
    code: str,
    number: int,
    select: str,
    *,
    issues: dict[int, list[tuple[str, str, str]]] | None = None,
    record: bool = True,
    publish: bool = True,
    loaded_at: dt.datetime | None = None,
    rows_in: int | None = None,
    quarantined: int = 0,
) -> Path:
    """Write ``select`` (DuckDB SQL) as ``warehouse/<code>/v<number>/data.parquet`` with the
    bookkeeping columns, and (``record``) its ``resource_versions`` row; ``publish`` moves the
    current pointer. ``issues`` maps ``_row`` -> [(field, rule, value)]."""
    folder = ws.warehouse / code / f"v{number}"
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "data.parquet"
    issue_rows = [
        (row, field, f"{field}.{rule}", value)
        for row, items in (issues or {}).items()
        for field, rule, value in items
    ]
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE iss (r BIGINT, field VARCHAR, rule VARCHAR, value VARCHAR)")
        if issue_rows:
            con.executemany("INSERT INTO iss VALUES (?, ?, ?, ?)", issue_rows)
        con.execute(
            f"""COPY (
              SELECT d.* REPLACE (CAST(d._row AS BIGINT) AS _row), 'source.csv' AS _source,
                     {number} AS _loaded_in,
                     coalesce((SELECT list({{'field': field, 'rule': rule, 'value': value}} ORDER BY rule)
                               FROM iss WHERE iss.r = d._row),
                              []::STRUCT(field VARCHAR, rule VARCHAR, value VARCHAR)[]) AS _issues
              FROM ({select}) AS d ORDER BY d._row
            ) TO '{data}' (FORMAT parquet)"""
        )
        n = con.execute(f"SELECT count(*) FROM '{data}'").fetchone()
    finally:
        con.close()
    assert n is not None
    if record:
        with ws.session() as s:
            res = s.scalar(sa.select(Resource).where(Resource.code == code))
            assert res is not None
            s.add(
                ResourceVersion(
                    resource_id=res.id,
                    number=number,
                    mode="full",
                    path=f"{code}/v{number}",
                    published=publish,
                    source_name="source.csv",
                    source_format="csv",
                    source_hash="0" * 64,
                    rows_in=rows_in if rows_in is not None else n[0] + quarantined,
                    rows_loaded=n[0],
                    rows_quarantined=quarantined,
                    rows_total=n[0],
                    checksum=version_checksum(data),
                    catalog_revision=res.revision,
                    loaded_at=loaded_at or dt.datetime.now(dt.UTC),
                )
            )
            if publish:
                res.current_version = number
    return data


# -- the sample city (examples/sample-city), loaded through ingestion --------------------------------

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample-city"
#: the sample files in the order a department sends them: file -> resource, mapping, mode
SAMPLE_FILES: dict[str, dict[str, Any]] = json.loads((EXAMPLE / "planted.json").read_text(encoding="utf-8"))[
    "files"
]


def sample_city(root: Path, *, quality: dict[str, dict[str, Any]] | None = None) -> Workspace:
    """A fresh workspace (SQLite store) with the sample city's catalog declared; ``quality`` adds
    a ``quality:`` section to resources by code (e.g. a ``min_score`` gate)."""
    catalog = load_model(CatalogFile, EXAMPLE / "catalog.yaml")
    if quality:
        doc = catalog.model_dump(mode="json", exclude_defaults=True)
        for r in doc["resources"]:
            if r["code"] in quality:
                r["quality"] = quality[r["code"]]
        catalog = CatalogFile.model_validate(doc)
    ws = Workspace.init(root, name="晋城市（样例）")
    declare(ws, catalog, by="test")
    return ws


def ingest_sample(ws: Workspace, file: str) -> LoadResult:
    """Load one sample file with its mapping and mode, as a department's clerk would (ingestion
    evaluates its quality and applies the gate)."""
    entry = SAMPLE_FILES[file]
    return ingest(
        ws,
        entry["resource"],
        EXAMPLE / "data" / file,
        mapping=load_mapping(EXAMPLE / entry["mapping"]),
        mode=entry["mode"],
        loaded_by="test",
    )


# -- Spark ------------------------------------------------------------------------------------------


def spark_required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("SHUZHI_REQUIRE_SPARK") == "1"


def spark_or_skip() -> None:
    """Skip (or fail, when Spark is required) unless Java and pyspark are there."""
    problem = None
    try:
        import pyspark  # noqa: F401
    except ImportError:
        problem = "pyspark is not installed (pip install 'shuzhi[spark]')"
    if problem is None and shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        problem = "Java is not installed (apt-get install openjdk-17-jre-headless)"
    if problem is not None:
        if spark_required():
            pytest.fail(f"{problem}; required because CI=true or SHUZHI_REQUIRE_SPARK=1", pytrace=False)
        pytest.skip(problem)
