"""One ID column whose meaning a type column gives (``registry.when``): rows go to the right registry.

A hand-made vehicle register (JT-CL) with column names no generator uses — zjlx (证件类型), zjhm
(证件号码), syr (所有人) — holds citizen IDs and credit codes in one column. Declared with a
condition per role, its 身份证 rows join the person registry (with the household register's
persons) and its 统一社会信用代码 rows the legal-entity registry (with the market register's
entities); a passport row joins neither. Built on real DuckDB stores; the declaration's errors are
named by resource and key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pydantic
import pytest
from _people import crosswalk_of, make_city, spec

from shuzhi.catalog.spec import ResourceSpec
from shuzhi.demo.city._catalog import catalog_document
from shuzhi.demo.city._datasets import JJ
from shuzhi.errors import ValidationError
from shuzhi.registry import EntityKind, RegistrySource, RegistrySpec, Role, build, derive_roles
from shuzhi.standards.uscc import orgcode_check_char, uscc_check_char
from shuzhi.workspace import Workspace

VEHICLES = spec(
    "JT-CL",
    [
        {"name": "clbh", "label": "号牌号码", "key": True},
        {"name": "syr", "label": "所有人"},
        {"name": "zjlx", "label": "证件类型"},
        {"name": "zjhm", "label": "证件号码"},
        {"name": "zz", "label": "住址", "standard": "address"},
    ],
    name="车辆登记",
)
MARKET = spec(
    "SC-ZT",
    [
        {"name": "tyxydm", "label": "统一社会信用代码", "standard": "uscc", "key": True},
        {"name": "qymc", "label": "企业名称"},
        {"name": "zs", "label": "住所", "standard": "address"},
    ],
    name="市场主体",
)

#: the vehicle register's declaration: one column, two roles, a condition each
DECLARED: dict[str, Any] = {
    "roles": {"id_number": "zjhm", "uscc": "zjhm", "name": "syr", "org_name": "syr"},
    "when": {"id_number": {"zjlx": ["居民身份证", "身份证", "01"]}, "uscc": {"zjlx": ["统一社会信用代码"]}},
}


def _code(i: int) -> str:
    body8 = f"{31000000 + i * 7919}"
    first17 = "91140500" + body8 + orgcode_check_char(body8)
    return first17 + uscc_check_char(first17)


def _problems(e: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return e.value.errors


def test_the_declaration_gives_each_registry_its_rows() -> None:
    person = derive_roles(VEHICLES, DECLARED, entity=EntityKind.person)
    entity = derive_roles(VEHICLES, DECLARED, entity="legal_entity")
    assert person is not None and entity is not None
    assert person.roles[Role.id_number] == entity.roles[Role.uscc] == "zjhm"
    assert person.rows_when == (Role.id_number,) and entity.rows_when == (Role.uscc,)
    rows = person.rows_sql()
    assert rows is not None and '"zjlx"' in rows and "'身份证'" in rows and "'01'" in rows
    assert person.value_sql(Role.name, "x") == "x"  # an unconditional role holds on every row
    assert "zjlx" in person.fields  # the condition's field is read (and checked) with the roles
    # the type column is not taken for a role of its own (证件类型 is no 名称)
    assert "zjlx" not in person.roles.values() and "zjlx" not in entity.roles.values()
    assert person.to_dict()["when"] == {
        "id_number": {"zjlx": ["居民身份证", "身份证", "01"]},
        "uscc": {"zjlx": ["统一社会信用代码"]},
    }
    # without the declaration the resource feeds neither registry
    assert derive_roles(VEHICLES, entity="person") is None
    assert derive_roles(VEHICLES, entity="legal_entity") is None


def test_the_demo_city_declares_its_vehicle_owners() -> None:
    doc = catalog_document((JJ,), city_code="140500", city_name="晋城市")
    jj = ResourceSpec.model_validate(doc["resources"][0])
    person = derive_roles(jj, entity="person")
    entity = derive_roles(jj, entity="legal_entity")
    assert person is not None and person.roles[Role.id_number] == "owner_id"
    assert person.roles[Role.name] == "owner_name" and person.rows_when == (Role.id_number,)
    assert entity is not None and entity.roles[Role.uscc] == "owner_id"
    assert entity.roles[Role.org_name] == "owner_name" and entity.rows_when == (Role.uscc,)


@pytest.mark.parametrize(
    ("declared", "key", "words"),
    [
        (  # a condition on a field the resource does not have
            {**DECLARED, "when": {**DECLARED["when"], "id_number": {"zjlxx": ["身份证"]}}},
            "JT-CL.registry.when.id_number.zjlxx",
            "no field 'zjlxx'",
        ),
        (  # a condition for a role no field plays
            {**DECLARED, "when": {**DECLARED["when"], "birth_date": {"zjlx": ["身份证"]}}},
            "JT-CL.registry.when.birth_date",
            "no field plays birth_date",
        ),
        (  # the condition on the role's own field
            {**DECLARED, "when": {**DECLARED["when"], "id_number": {"zjhm": ["身份证"]}}},
            "JT-CL.registry.when.id_number.zjhm",
            "the role's own field",
        ),
        (  # one column for two codes, one of them unconditional
            {**DECLARED, "when": {"uscc": {"zjlx": ["统一社会信用代码"]}}},
            "JT-CL.registry.when",
            "declared as both id_number and uscc",
        ),
        (  # a value in both conditions
            {**DECLARED, "when": {**DECLARED["when"], "uscc": {"zjlx": ["统一社会信用代码", "身份证"]}}},
            "JT-CL.registry.when.uscc.zjlx",
            "身份证 are in the conditions of both",
        ),
        (  # the credit code conditional, but nothing keeps its rows out of the person registry
            {"roles": {"uscc": "zjhm", "org_name": "syr"}, "when": {"uscc": {"zjlx": ["统一社会信用代码"]}}},
            "JT-CL.registry.when",
            "declare a condition for id_number or name too",
        ),
    ],
)
def test_a_wrong_declaration_is_refused_by_name(declared: dict[str, Any], key: str, words: str) -> None:
    for entity in ("person", "legal_entity"):
        with pytest.raises(ValidationError) as e:
            derive_roles(VEHICLES, declared, entity=entity)
        problems = _problems(e)
        assert key in problems, problems
        assert any(words in m for m in problems[key]), problems


def test_a_code_written_as_a_yaml_number_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="quoted text"):
        RegistrySpec.model_validate({"roles": {"id_number": "zjhm"}, "when": {"id_number": {"zjlx": [1]}}})
    with pytest.raises(pydantic.ValidationError):  # an empty condition says nothing
        RegistrySpec.model_validate({"roles": {"id_number": "zjhm"}, "when": {"id_number": {}}})
    with pytest.raises(pydantic.ValidationError) as e:  # in a catalog entry: named by its path
        spec("JT-CL", VEHICLES.model_dump()["fields"], registry={"when": {"id_number": {"zjlx": []}}})
    assert "registry.when.id_number.zjlx" in str(e.value)


def test_mixed_rows_go_to_the_right_registry(tmp_path: Path) -> None:
    city = make_city()
    sources = city.write(tmp_path / "data", priority={"GA-HJ": 10})
    household = city.rows["GA-HJ"][:12]
    entities = [(_code(i), f"晋城市测试{'甲乙丙丁戊'[i]}贸易有限公司") for i in range(5)]
    market = {
        "tyxydm": [c for c, _ in entities],
        "qymc": [n for _, n in entities],
        "zs": ["山西省晋城市城区凤台东街100号"] * len(entities),
        "_row": list(range(len(entities))),
    }
    pq.write_table(pa.table(market), tmp_path / "data" / "SC-ZT.parquet")
    rows: list[dict[str, Any]] = []
    kinds = ["身份证", " 居民身份证 ", "01"]  # written three ways, one with stray spaces
    for i, r in enumerate(household):
        number = str(r["gmsfhm"])
        rows.append(
            {"clbh": f"晋E{i:05d}", "syr": r["xm"], "zjlx": kinds[i % 3], "zjhm": number, "zz": r["hjdz"]}
        )
    for i, (code, name) in enumerate(entities):
        rows.append(
            {
                "clbh": f"晋E9{i:04d}",
                "syr": name,
                "zjlx": "统一社会信用代码",
                "zjhm": code.lower(),
                "zz": None,
            }
        )
    # a passport and a row without a type: neither registry's
    rows.append({"clbh": "晋E99998", "syr": "JOHN SMITH", "zjlx": "护照", "zjhm": "E12345678", "zz": None})
    rows.append({"clbh": "晋E99999", "syr": household[0]["xm"], "zjlx": None, "zjhm": household[0]["gmsfhm"]})
    table = {c: [r.get(c) for r in rows] for c in ("clbh", "syr", "zjlx", "zjhm", "zz")}
    pq.write_table(pa.table({**table, "_row": list(range(len(rows)))}), tmp_path / "data" / "JT-CL.parquet")
    vehicles = RegistrySource(
        VEHICLES, tmp_path / "data" / "JT-CL.parquet", RegistrySpec(**DECLARED), version=1
    )
    market_src = RegistrySource(MARKET, tmp_path / "data" / "SC-ZT.parquet", version=1)

    person_rows = {f"晋E{i:05d}": str(r["gmsfhm"]) for i, r in enumerate(household)}
    entity_rows = {f"晋E9{i:04d}": code for i, (code, _) in enumerate(entities)}
    with Workspace.init(tmp_path / "ws") as ws:
        persons = crosswalk_of(build(ws, sources=[*sources, market_src, vehicles]))
        found = {k: v for (s, k), v in persons.items() if s == "JT-CL"}
        assert set(found) == set(person_rows)  # no entity row, no passport, no untyped row
        for plate, number in person_rows.items():  # each with the household record of its owner
            assert found[plate] == persons[("GA-HJ", number)]
        assert not {k for s, k in persons if s == "SC-ZT"}

        orgs = crosswalk_of(build(ws, "legal_entity", sources=[*sources, market_src, vehicles]))
        found = {k: v for (s, k), v in orgs.items() if s == "JT-CL"}
        assert set(found) == set(entity_rows)
        for plate, code in entity_rows.items():  # the code written in lower case: the same entity
            assert found[plate] == orgs[("SC-ZT", code)]
        assert len(set(orgs.values())) == len(entities)
        assert not {k for s, k in orgs if s == "GA-HJ"}
