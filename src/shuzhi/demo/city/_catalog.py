"""The catalog (``catalog.yaml``) and the ingestion mappings (``mappings/<resource>.yaml``) of the
city's datasets, rendered from the dataset declarations (:mod:`._spec`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shuzhi._yaml import dump_yaml
from shuzhi.demo.city._people import AS_OF
from shuzhi.demo.city._spec import DEPARTMENTS, Col, Spec

__all__ = ["REGISTRY", "catalog_document", "mapping_document", "write_catalog"]

#: the ``registry:`` sections of the datasets (docs/registry.md §1.1): what the standards cannot
#: say about their fields. 交警's 身份证明号码 is a citizen ID or a credit code as 身份证明名称 says:
#: its 居民身份证 rows feed the person registry, its 统一社会信用代码 rows the legal-entity registry
REGISTRY: dict[str, dict[str, Any]] = {
    "JJ-JDCXX": {
        "roles": {
            "id_number": "owner_id",
            "name": "owner_name",
            "uscc": "owner_id",
            "org_name": "owner_name",
        },
        "when": {
            "id_number": {"owner_id_type": ["居民身份证"]},
            "uscc": {"owner_id_type": ["统一社会信用代码"]},
        },
    },
}


def _field(c: Col) -> dict[str, Any]:
    f: dict[str, Any] = {"name": c.field, "label": c.label}
    if c.label_en:
        f["label_en"] = c.label_en
    if c.type != "string":
        f["type"] = c.type
    if c.scale is not None:
        f["scale"] = c.scale
    if c.min is not None:
        f["min"] = c.min
    if c.standard:
        f["standard"] = c.standard
    if c.key:
        f["key"] = True
    elif c.required:
        f["required"] = True
    if c.pi != "none":
        f["personal_info"] = c.pi
    if c.on_invalid:
        f["on_invalid"] = c.on_invalid
    if c.allowed:
        f["values"] = list(c.allowed)
    if c.description:
        f["description"] = c.description
    return f


def catalog_document(specs: tuple[Spec, ...], *, city_code: str, city_name: str) -> dict[str, Any]:
    """A ``CatalogFile`` as plain data: the departments that provide the datasets and one resource each."""
    used = {s.department for s in specs}
    departments = []
    for code, (name, name_en, parent) in DEPARTMENTS.items():
        if code not in used and not any(DEPARTMENTS[u][2] == code for u in used):
            continue
        d: dict[str, Any] = {"code": code, "name": name.format(city=city_name), "name_en": name_en}
        if parent:
            d["parent"] = parent
        departments.append(d)
    resources = []
    for s in specs:
        sharing: dict[str, Any] = {"type": s.sharing, "method": s.sharing_method}
        if s.sharing_condition:
            sharing["condition"] = s.sharing_condition
        r: dict[str, Any] = {
            "code": s.code,
            "name": s.name,
            "name_en": s.name_en,
            "department": s.department,
            "summary": s.summary,
            "kind": s.kind,
            "classification": list(s.classification),
            "format": s.resource_format,
            "sharing": sharing,
            "open": {"type": "closed"},
            "update_cycle": s.update_cycle,
            "security_grade": s.security_grade,
            "release_date": AS_OF.isoformat(),
            "region": city_code,
        }
        if s.related:
            r["related"] = list(s.related)
        if s.tags:
            r["tags"] = list(s.tags)
        r["fields"] = [_field(c) for c in s.columns]
        if s.code in REGISTRY:
            r["registry"] = REGISTRY[s.code]
        resources.append(r)
    return {"departments": departments, "resources": resources}


def mapping_document(spec: Spec) -> dict[str, Any]:
    """A ``MappingSpec`` as plain data: how the file is read and which column feeds which field."""
    source: dict[str, Any] = {"format": spec.format}
    if spec.format != "excel":
        source["encoding"] = {"gbk": "gbk", "utf-8": "utf-8", "utf-8-sig": "auto"}[spec.encoding]
    if spec.format == "csv":
        source["delimiter"] = spec.delimiter
    if spec.header_row is not None:
        source["header_row"] = spec.header_row
    if spec.records:
        source["records"] = spec.records
    source["null_values"] = list(spec.null_values)
    columns: dict[str, Any] = {}
    for c in spec.columns:
        columns[c.source] = {"field": c.field, "values": dict(c.values)} if c.values else c.field
    return {
        "resource": spec.code,
        "description": f"{spec.name}（{spec.file}）",
        "source": source,
        "columns": columns,
        "extra_columns": "ignore",
    }


def write_catalog(specs: tuple[Spec, ...], out: Path, *, city_code: str, city_name: str) -> dict[str, str]:
    """``catalog.yaml`` and ``mappings/<code>.yaml``; returns resource code -> mapping path."""
    head = (
        f"# 数治演示城市 {city_name}（{city_code}）的数据资源目录：由 shuzhi demo generate 生成。\n"
        "# The catalog of the synthetic city's departmental datasets (generated).\n"
    )
    doc = catalog_document(specs, city_code=city_code, city_name=city_name)
    (out / "catalog.yaml").write_text(head + dump_yaml(doc), encoding="utf-8")
    mdir = out / "mappings"
    mdir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for s in specs:
        text = f"# {s.name}: 源文件 {s.file} 的映射 / mapping of {s.file} (generated)\n" + dump_yaml(
            mapping_document(s)
        )
        (mdir / f"{s.code}.yaml").write_text(text, encoding="utf-8")
        paths[s.code] = f"mappings/{s.code}.yaml"
    return paths
