"""Roles come from the catalog's standards and labels; what is ambiguous must be declared."""

from __future__ import annotations

from typing import Any

import pytest
from _people import SPECS, spec

from shuzhi.errors import ValidationError
from shuzhi.registry import EntityKind, RegistrySpec, Role, derive_roles


def fields(*specs: tuple[str, str, str | None]) -> list[dict[str, Any]]:
    out = []
    for name, label, standard in specs:
        f: dict[str, Any] = {"name": name, "label": label}
        if standard == "date":
            f.update(type="date", standard="date")
        elif standard:
            f["standard"] = standard
        out.append(f)
    return out


def test_roles_follow_the_standards_whatever_the_column_names() -> None:
    roles = derive_roles(SPECS["GA-HJ"])
    assert roles is not None and roles.entity is EntityKind.person
    assert roles.roles == {
        Role.id_number: "gmsfhm",
        Role.name: "xm",
        Role.sex: "xb",
        Role.birth_date: "csrq",
        Role.address: "hjdz",
        Role.death_date: "swrq",
    }
    assert roles.key == ("gmsfhm",) and roles.region == "140500"
    assert roles.priority == 10  # a base resource (基础信息资源) comes first unless declared otherwise
    other = derive_roles(SPECS["MZ-DB"])
    assert other is not None and other.priority == 0


def test_dates_take_their_role_from_the_label() -> None:
    roles = derive_roles(SPECS["RS-SB"])
    assert roles is not None
    assert roles.roles[Role.record_date] == "gxsj"  # 更新时间
    assert roles.roles[Role.vital_status] == "ryzt"  # 人员状态
    assert Role.birth_date not in roles.roles


def test_a_guardians_id_is_not_the_applicants() -> None:
    roles = derive_roles(SPECS["MZ-DB"])
    assert roles is not None
    assert roles.roles[Role.id_number] == "sqrsfz"  # not jhrsfz (监护人身份证号)
    assert "jhrsfz" not in roles.roles.values()


def test_two_candidate_ids_are_refused_until_declared() -> None:
    s = spec(
        "X-1",
        fields(("zjhm", "证件号码", "idcard"), ("sfzh2", "身份证号（旧）", "idcard"), ("xm", "姓名", "name")),
    )
    with pytest.raises(ValidationError) as err:
        derive_roles(s)
    assert "X-1.registry.roles.id_number" in err.value.errors
    message = err.value.errors["X-1.registry.roles.id_number"][0]
    assert "zjhm" in message and "sfzh2" in message and "registry.roles" in message
    roles = derive_roles(s, RegistrySpec(roles={Role.id_number: "zjhm"}))
    assert roles is not None and roles.roles[Role.id_number] == "zjhm"
    roles = derive_roles(s, {"ignore": ["sfzh2"]})
    assert roles is not None and roles.roles[Role.id_number] == "zjhm"


def test_a_declared_role_wins_over_the_label() -> None:
    s = spec("X-2", fields(("sfzh", "身份证号", "idcard"), ("xm", "姓名", "name"), ("rq", "日期", "date")))
    roles = derive_roles(s)
    assert roles is not None and Role.birth_date not in roles.roles  # 日期 alone says nothing
    roles = derive_roles(s, {"roles": {"birth_date": "rq"}, "priority": 10})
    assert roles is not None and roles.roles[Role.birth_date] == "rq" and roles.priority == 10


def test_several_addresses_prefer_where_the_person_lives() -> None:
    s = spec(
        "X-3",
        fields(
            ("sfzh", "身份证号", "idcard"),
            ("xm", "姓名", "name"),
            ("hjdz", "户籍地址", "address"),
            ("xzz", "现住址", "address"),
        ),
    )
    roles = derive_roles(s)
    assert roles is not None and roles.roles[Role.address] == "xzz"
    assert any("xzz" in n and "hjdz" in n for n in roles.notes)


def test_unknown_declared_fields_are_named() -> None:
    with pytest.raises(ValidationError) as err:
        derive_roles(SPECS["GA-HJ"], {"roles": {"phone": "dianhua"}, "ignore": ["nope"]})
    assert set(err.value.errors) == {"GA-HJ.registry.roles.phone", "GA-HJ.registry.ignore"}
    assert "dianhua" in err.value.errors["GA-HJ.registry.roles.phone"][0]


def test_registry_spec_is_strict() -> None:
    with pytest.raises(ValueError, match="extra"):
        RegistrySpec.model_validate({"entity": "person", "weight": 3})
    with pytest.raises(ValueError):
        RegistrySpec.model_validate({"roles": {"shoe_size": "x"}})
    assert RegistrySpec.model_validate({"entity": "person", "roles": {"birth_date": "csrq"}}).roles == {
        Role.birth_date: "csrq"
    }


def test_which_registry_a_resource_feeds() -> None:
    org = spec(
        "SJ-1",
        fields(
            ("tyshxydm", "统一社会信用代码", "uscc"),
            ("dwmc", "单位名称", None),
            ("fddbrsfzh", "法定代表人身份证号", "idcard"),
            ("fddbrxm", "法定代表人姓名", "name"),
        ),
    )
    assert derive_roles(org) is None  # a legal entity's resource adds no persons
    roles = derive_roles(org, entity="legal_entity")
    assert roles is not None
    assert roles.roles == {
        Role.uscc: "tyshxydm",
        Role.org_name: "dwmc",
        Role.legal_rep_id: "fddbrsfzh",
        Role.legal_rep_name: "fddbrxm",
    }
    assert derive_roles(SPECS["GA-HJ"], {"include": False}) is None
    only_name = spec("X-4", fields(("xm", "姓名", "name"), ("bz", "备注", None)))
    assert derive_roles(only_name) is None  # a name alone identifies nobody
