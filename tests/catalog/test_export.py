"""Exports: DCAT JSON-LD for other catalogs, and YAML that declares the same catalog again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shuzhi._yaml import dump_yaml
from shuzhi.catalog import declare, export_catalog, export_dcat, get_resource, list_departments, retire
from shuzhi.catalog._dcat import ACCESS_RIGHTS, CONTEXT, FREQUENCIES
from shuzhi.catalog._service import dump_catalog
from shuzhi.catalog.spec import SharingType, UpdateCycle
from shuzhi.errors import NotFound, ValidationError
from shuzhi.workspace import Workspace

EU = "http://publications.europa.eu/resource/authority/"


def compact_iris(node: Any) -> set[str]:
    """Every ``prefix:term`` a JSON-LD document uses as a key, a type or a typed value's type."""
    used: set[str] = set()
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "@context":
                continue
            if not k.startswith("@"):
                used.add(k)
            if k in ("@type",) and isinstance(v, str):
                used.add(v)
            used |= compact_iris(v)
    elif isinstance(node, list):
        for v in node:
            used |= compact_iris(v)
    return used


def test_dcat_is_structurally_valid_json_ld(city: Workspace) -> None:
    doc = export_dcat(city)
    json.dumps(doc)  # plain JSON
    context = doc["@context"]
    assert context == CONTEXT
    for iri in context.values():
        assert iri.startswith(("http://", "https://")) and iri[-1] in "#/"
    for term in compact_iris(doc):
        prefix, _, local = term.partition(":")
        assert prefix in context and local, f"{term} uses a prefix the context does not define"
    assert doc["@type"] == "dcat:Catalog" and doc["@id"].startswith("urn:shuzhi:")
    datasets = doc["dcat:dataset"]
    assert [d["dct:identifier"] for d in datasets] == ["JC-GA-HJRK", "JC-MZ-DBDX", "JC-WJ-JKDA"]
    ids = [d["@id"] for d in datasets]
    assert len(set(ids)) == len(ids)
    for d in datasets:
        assert d["@type"] == "dcat:Dataset"
        assert d["dct:title"][0]["@language"] == "zh-Hans" and d["dct:title"][0]["@value"]
        publisher = d["dct:publisher"]
        assert publisher["@type"] == "foaf:Organization" and publisher["dct:identifier"].startswith("JC-")
        for value in (d["dct:modified"], *([d["dct:issued"]] if "dct:issued" in d else [])):
            assert value["@type"] in ("xsd:date", "xsd:dateTime")
        for rel in d.get("dct:relation", []):
            assert rel["@id"] in ids  # related resources point at datasets of the catalog


def test_dcat_carries_the_core_metadata(city: Workspace) -> None:
    doc = export_dcat(city, ["JC-GA-HJRK", "JC-WJ-JKDA"], base_uri="https://data.jincheng.gov.cn/")
    hj, jk = doc["dcat:dataset"]
    assert hj["@id"] == "https://data.jincheng.gov.cn/resource/JC-GA-HJRK"
    # a base without its last / gets one; a base that is no IRI is refused
    bare = export_dcat(city, ["JC-GA-HJRK"], base_uri="https://data.jincheng.gov.cn/dcat")
    assert bare["dcat:dataset"][0]["@id"] == "https://data.jincheng.gov.cn/dcat/resource/JC-GA-HJRK"
    assert bare["@id"] == "https://data.jincheng.gov.cn/dcat/catalog"
    assert export_dcat(city, ["JC-GA-HJRK"], base_uri="urn:x:")["@id"] == "urn:x:catalog"
    for wrong in ("not a uri", "data.jincheng.gov.cn/", ""):
        with pytest.raises(ValidationError, match="绝对 IRI"):
            export_dcat(city, ["JC-GA-HJRK"], base_uri=wrong)
    assert hj["dct:title"] == [
        {"@value": "户籍人口库", "@language": "zh-Hans"},
        {"@value": "Registered population", "@language": "en"},
    ]
    assert hj["dct:description"]["@value"].startswith("本市户籍人口")
    assert hj["dct:publisher"]["foaf:name"] == {"@value": "晋城市公安局", "@language": "zh-Hans"}
    assert hj["dct:publisher"]["@id"] == "https://data.jincheng.gov.cn/department/JC-GA"
    assert [k["@value"] for k in hj["dcat:keyword"]] == ["人口", "户籍"]
    assert hj["dcat:theme"]["skos:prefLabel"]["@value"] == "户籍人口"
    assert hj["szgov:classification"] == {"@list": ["基础信息资源", "人口信息", "户籍人口"]}
    assert hj["dct:issued"] == {"@value": "2024-01-15", "@type": "xsd:date"}
    assert hj["dct:accrualPeriodicity"] == {"@id": EU + "frequency/DAILY"}
    assert hj["dct:accessRights"] == {"@id": EU + "access-right/RESTRICTED"}
    assert hj["dcat:distribution"][0]["dct:format"] == "database"
    assert hj["dct:spatial"]["szgov:divisionCode"] == "140500"
    assert (hj["szgov:sharingType"], hj["szgov:openType"], hj["szgov:securityGrade"]) == (
        "conditional",
        "closed",
        "important",
    )
    assert hj["szgov:sharingCondition"]["@value"] == "仅限依法履职需要，经公安局审批"
    assert hj["szgov:sharingMethod"]["@value"] == "接口"
    assert (hj["szgov:resourceKind"], hj["szgov:updateCycle"], hj["szgov:revision"]) == ("base", "daily", 1)
    items = hj["szgov:informationItem"]["@list"]
    assert [i["szgov:name"] for i in items] == ["id_number", "name", "sex", "birth_date", "address"]
    assert items[0] == {
        "@type": "szgov:InformationItem",
        "szgov:name": "id_number",
        "szgov:label": {"@value": "公民身份号码", "@language": "zh-Hans"},
        "szgov:labelEn": {"@value": "citizen ID number", "@language": "en"},
        "szgov:dataType": "string",
        "szgov:standard": "idcard",
        "szgov:required": True,
        "szgov:key": True,
        "szgov:unique": False,
        "szgov:sensitive": False,
        "szgov:personalInfo": "identity",
    }
    assert jk["dct:accrualPeriodicity"] == {"@id": EU + "frequency/MONTHLY"}
    assert jk["dct:relation"] == [{"@id": "https://data.jincheng.gov.cn/resource/JC-GA-HJRK"}]
    health = next(i for i in jk["szgov:informationItem"]["@list"] if i["szgov:name"] == "chronic_disease")
    assert health["szgov:sensitive"] is True and health["szgov:personalInfo"] == "health"
    assert not any("szgov:scale" in i for i in items)  # said only where a decimal declares it


def test_a_decimal_scale_is_exported(city: Workspace) -> None:
    from shuzhi.catalog import FieldSpec

    spec = get_resource(city, "JC-MZ-DBDX").spec
    money = FieldSpec(name="amount", label="保障金额", type="decimal", scale=2)
    declare(city, spec.model_copy(update={"fields": [*spec.fields, money]}))
    doc = export_dcat(city, ["JC-MZ-DBDX"])
    (ds,) = doc["dcat:dataset"]
    item = ds["szgov:informationItem"]["@list"][-1]
    assert (item["szgov:dataType"], item["szgov:scale"]) == ("decimal", 2)


def test_every_cycle_and_sharing_type_is_mapped() -> None:
    assert set(FREQUENCIES) == set(UpdateCycle) and set(ACCESS_RIGHTS) == set(SharingType)
    assert FREQUENCIES[UpdateCycle.irregular].endswith("/IRREG")
    assert FREQUENCIES[UpdateCycle.realtime].endswith("/CONT")


def test_dcat_of_retired_and_missing(city: Workspace) -> None:
    retire(city, "JC-MZ-DBDX", reason="x")
    assert [d["dct:identifier"] for d in export_dcat(city)["dcat:dataset"]] == ["JC-GA-HJRK", "JC-WJ-JKDA"]
    with pytest.raises(NotFound, match="NOPE"):
        export_dcat(city, ["JC-GA-HJRK", "NOPE"])


def test_yaml_export_declares_the_same_catalog(city: Workspace, tmp_path: Path) -> None:
    exported = export_catalog(city)
    text = dump_yaml(dump_catalog(exported))
    assert "户籍人口库" in text and "\\u" not in text  # Chinese as written
    path = tmp_path / "exported.yaml"
    path.write_text(text, encoding="utf-8")
    # into the same workspace: nothing changes
    report = declare(city, path)
    assert report.unchanged == ["JC-GA-HJRK", "JC-MZ-DBDX", "JC-WJ-JKDA"] and not report.changed
    # into a new workspace (with its own SQLite store): the same entries
    other = Workspace.init(tmp_path / "other")
    try:
        report = declare(other, path)
        assert sorted(report.created) == ["JC-GA-HJRK", "JC-MZ-DBDX", "JC-WJ-JKDA"]
        for code in report.created:
            assert get_resource(other, code).spec == get_resource(city, code).spec
        assert [d.spec for d in list_departments(other)] == [d.spec for d in list_departments(city)]
    finally:
        other.close()


def test_yaml_export_of_some_entries_brings_their_departments(city: Workspace) -> None:
    part = export_catalog(city, ["JC-WJ-JKDA"])
    assert [d.code for d in part.departments] == ["JC", "JC-WJ"]  # parents first
    assert [r.code for r in part.resources] == ["JC-WJ-JKDA"]
