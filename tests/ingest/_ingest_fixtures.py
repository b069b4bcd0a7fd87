"""Helpers for the ingestion tests: workspaces with small catalogs, and files to load.

The DuckDB engine of a workspace installs the standards (≈ 4 s), so test modules share one
workspace and give each test its own resource (:func:`new_resource`).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
from pathlib import Path
from typing import Any

from shuzhi.catalog import CatalogFile, declare
from shuzhi.workspace import Workspace

DEPARTMENTS = [{"code": "JC-MZ", "name": "晋城市民政局"}]

#: a resource like a civil-affairs list (低保名单), with every kind of field the issue names
PEOPLE_FIELDS: list[dict[str, Any]] = [
    {"name": "id_number", "label": "公民身份号码", "standard": "idcard", "key": True},
    {"name": "name", "label": "姓名", "standard": "name", "required": True},
    {"name": "sex", "label": "性别", "standard": "sex"},
    {"name": "birth_date", "label": "出生日期", "type": "date", "standard": "date"},
    {"name": "phone", "label": "联系电话", "standard": "phone"},
    {"name": "address", "label": "住址", "standard": "address", "on_invalid": "null"},
    {"name": "amount", "label": "保障金额", "type": "decimal", "min": 0, "max": 5000},
    {"name": "members", "label": "家庭人数", "type": "integer", "min": 1},
    {"name": "note", "label": "备注", "max_length": 10},
]

HEADER = "公民身份号码,姓名,性别,出生日期,联系电话,住址,保障金额,家庭人数,备注"

#: four good rows (line 2-5 of the file) in the ways departments write them
ROWS = [
    "14050219900307151X,张伟,男,1990-03-07,13803561234,山西省晋城市城区凤台东街188号,800,3,",
    "140502850612202,王芳,女,1985/6/12,+86 139-0356-5678,晋城市城区泽州路金鼎小区3-2-401,650.5,2,老人",
    "14052219880115138x,李娜,F,19880115,0356-2021234,阳城县凤城镇东关村12号,1200,4,",
    "140525196203053018,歐陽建國,男性,1962年3月5日,86 13712345678,山西晋城泽州县金村镇府城村,300,1,不详",
]
#: their identity numbers as stored (15 digits upgraded, x made X)
IDS = ["14050219900307151X", "14050219850612202X", "14052219880115138X", "140525196203053018"]

_codes = itertools.count(1)


def resource_spec(code: str, fields: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "code": code,
        "name": f"测试资源 {code}",
        "department": "JC-MZ",
        "region": "140500",
        "sharing": {"type": "conditional", "condition": "仅限民政业务"},
        "fields": copy.deepcopy(fields if fields is not None else PEOPLE_FIELDS),
    }
    spec.update(extra)
    return spec


def make_workspace(path: Path, *, store_url: str | None = None) -> Workspace:
    ws = Workspace.init(path, store_url=store_url)
    declare(ws, CatalogFile.model_validate({"departments": DEPARTMENTS}))
    return ws


def new_resource(
    ws: Workspace, fields: list[dict[str, Any]] | None = None, *, prefix: str = "T", **extra: Any
) -> str:
    """Declare a fresh resource (people fields by default) and return its code."""
    code = f"{prefix}-{next(_codes):03d}"
    declare(ws, CatalogFile.model_validate({"resources": [resource_spec(code, fields, **extra)]}))
    return code


def write_csv(path: Path, rows: list[str], *, header: str = HEADER, encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return path


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def file_sha256(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes())
    return h.hexdigest()


def rows_of(ws: Workspace, code: str, number: int | None = None, order: str = "_row") -> list[dict[str, Any]]:
    """The rows of a version (the current one by default), through the store's pointer."""
    from shuzhi.ingest import read_version

    view = f"v_{code.replace('-', '_')}_{number or 'cur'}"
    read_version(ws, code, number, view=view)
    try:
        return ws.engine.fetch_arrow(f'SELECT * FROM "{view}" ORDER BY {order}').to_pylist()
    finally:
        ws.engine.unregister(view)
