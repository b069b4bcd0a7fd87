"""Rule declarations (the ``quality:`` section), default rules, masking and the re-checks of the
stored normal form, which must agree with the standards' Python forms."""

from __future__ import annotations

import pydantic
import pytest
from _qhelpers import CATALOG, idn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuzhi.catalog.spec import CatalogFile, FieldSpec
from shuzhi.engine import DuckDBEngine
from shuzhi.errors import ValidationError
from shuzhi.quality import QualitySpec, default_rules, mask_kind, mask_sql, resolve_rules
from shuzhi.quality.rules import Agrees, NotNull, Pattern, Range, References, Unique, _standard_sql
from shuzhi.standards import check
from shuzhi.standards.uscc import uscc_check_char

SPECS = {r.code: r for r in CatalogFile.model_validate(CATALOG).resources}


def test_kind_is_inferred_from_the_keys() -> None:
    q = QualitySpec.model_validate(
        {
            "min_score": 80,
            "must_pass": ["unique:id_number"],
            "rules": [
                {"field": "id_number", "references": "JC-GA-HJRK.id_number"},
                {"field": "name", "agrees_with": "JC-GA-HJRK.name", "on": "id_number"},
                {"field": "age", "min": 0, "max": 130},
                {"field": "birth_date", "max": "today"},
                {"fields": ["name", "birth_date"]},
                {"kind": "not_null", "field": "remark"},
            ],
        }
    )
    kinds = [type(r) for r in q.rules]
    assert kinds == [References, Agrees, Range, Range, Unique, NotNull]
    assert [r.rule_id for r in q.rules] == [
        "references:id_number->JC-GA-HJRK.id_number",
        "agrees:name=JC-GA-HJRK.name",
        "range:age",
        "range:birth_date",
        "unique:name+birth_date",
        "not_null:remark",
    ]


@pytest.mark.parametrize(
    "bad",
    [
        {"rules": [{"field": "x", "pattern": "([a-z"}]},  # not a regular expression
        {"rules": [{"field": "x", "references": "no-dot"}]},
        {"rules": [{"kind": "nonsense", "field": "x"}]},
        {"rules": [{"field": "x"}]},  # no kind, nothing to infer it from
        {"min_score": 101},
        {"surprise": 1},
    ],
)
def test_bad_declarations_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(pydantic.ValidationError):
        QualitySpec.model_validate(bad)


def test_a_section_must_fit_its_resource() -> None:
    spec = SPECS["JC-GA-HJRK"]
    q = QualitySpec.model_validate(
        {"rules": [{"field": "nope", "pattern": "x"}], "must_pass": ["unique:nope"], "disable": ["range:x"]}
    )
    problems = q.problems(spec)
    assert len(problems) == 3 and "'nope'" in problems[0]
    with pytest.raises(ValidationError) as e:
        resolve_rules(spec, q)
    assert list(e.value.errors) == ["JC-GA-HJRK.quality"]


def test_default_rules_from_the_declaration() -> None:
    ids = [r.rule_id for r in default_rules(SPECS["JC-GA-HJRK"])]
    assert ids == [
        "not_null:id_number",
        "not_null:name",
        "records_loaded:rows",
        "standard:id_number",
        "standard:name",
        "standard:sex",
        "standard:birth_date",
        "standard:mobile",
        "type:age",
        "standard:county",
        "range:birth_date",
        "range:age",
        "unique:id_number",
        "id_birth:id_number+birth_date",
        "id_sex:id_number+sex",
        "update_cycle:loaded_at",
        "readable:data",
        "checksum:data",
    ]
    related = [r.rule_id for r in default_rules(SPECS["JC-MZ-DBDX"], related=SPECS.get)]
    assert "references:id_number->JC-GA-HJRK.id_number" in related
    assert "agrees:name=JC-GA-HJRK.name" in related
    assert "update_cycle:loaded_at" not in related  # irregular: no cycle to compare with


def test_a_base_resource_is_not_checked_against_a_thematic_one() -> None:
    """户籍人口 (基础信息资源) related to 低保对象: the allowance list is checked against the
    registry, not every resident against the allowance list; values still have to agree."""
    resources = []
    for r in CATALOG["resources"]:
        if r["code"] == "JC-GA-HJRK":
            r = {**r, "kind": "基础信息资源", "related": ["JC-MZ-DBDX"]}
        elif r["code"] == "JC-MZ-DBDX":  # keyed by the ID, so the registry could refer to it
            r = {**r, "kind": "主题信息资源", "fields": [{**r["fields"][0], "key": True}, *r["fields"][1:]]}
        resources.append(r)
    specs = {r.code: r for r in CatalogFile.model_validate({**CATALOG, "resources": resources}).resources}
    ids = [r.rule_id for r in default_rules(specs["JC-GA-HJRK"], related=specs.get)]
    assert "references:id_number->JC-MZ-DBDX.id_number" not in ids
    assert "agrees:name=JC-MZ-DBDX.name" in ids
    back = [r.rule_id for r in default_rules(specs["JC-MZ-DBDX"], related=specs.get)]
    assert "references:id_number->JC-GA-HJRK.id_number" in back  # the other way round, as before


def test_declared_rules_replace_defaults_and_must_pass_marks_them() -> None:
    spec = SPECS["JC-GA-HJRK"]
    q = QualitySpec.model_validate(
        {
            "defaults": True,
            "disable": ["checksum:data"],
            "must_pass": ["not_null:name"],
            "rules": [{"kind": "range", "field": "age", "min": 18}],
        }
    )
    rules = {r.rule_id: r for r in resolve_rules(spec, q)}
    assert "checksum:data" not in rules
    assert rules["not_null:name"].must_pass
    age = rules["range:age"]
    assert isinstance(age, Range) and age.min == 18 and age.max is None
    assert [r.rule_id for r in resolve_rules(spec, QualitySpec(defaults=False))] == []


def test_rules_describe_themselves_with_the_fields_labels() -> None:
    spec = SPECS["JC-GA-HJRK"]
    p = Pattern(field="mobile", pattern="1[0-9]{10}")
    assert p.describe("zh", spec) == "“手机号码”符合格式 1[0-9]{10}"
    assert p.describe("en") == "mobile matches 1[0-9]{10}"
    assert Range(field="age", min=0, max=130).describe("zh", spec) == "“年龄”取值在 [0, 130] 之内"
    # one bound reads as one bound
    assert Range(field="age", min=18).describe("zh", spec) == "“年龄”不小于 18"
    assert Range(field="age", max=130).describe("en", spec) == "age at most 130"
    # another resource's field by its label when its spec is at hand, by its name otherwise
    ref = References(field="id_number", references="JC-GA-HJRK.id_number")
    mine = SPECS["JC-MZ-DBDX"]
    assert ref.describe("zh", mine, SPECS.get) == "“公民身份号码”均存在于 JC-GA-HJRK 的“公民身份号码”"
    assert ref.describe("zh", mine) == "“公民身份号码”均存在于 JC-GA-HJRK 的“id_number”"
    agree = Agrees(field="name", agrees_with="JC-GA-HJRK.name", on="id_number")
    assert agree.describe("zh", mine, SPECS.get) == "同一“公民身份号码”的“姓名”与 JC-GA-HJRK 的“姓名”一致"
    assert Pattern(field="mobile", pattern="x", label="自定义").describe("en") == "自定义"


MASKED = [
    ({"standard": "idcard"}, "14050219900307151X", "140502********151X"),
    ({"standard": "name", "personal_info": "identity"}, "张三", "张*"),
    ({"standard": "name", "personal_info": "identity"}, "欧阳娜娜", "欧阳**"),
    ({"standard": "name", "personal_info": "identity"}, "李", "李*"),
    ({"standard": "phone", "personal_info": "contact"}, "13812345678", "138****5678"),
    ({"standard": "phone", "personal_info": "contact"}, "0356-2021234", "0356-*******"),
    (
        {"standard": "address", "personal_info": "contact"},
        "山西省晋城市城区西街街道凤台东街123号",
        "山西省晋城市城区西街街道***",
    ),
    ({"standard": "address", "personal_info": "contact"}, "晋城市凤台东街123号", "晋城市***"),
    ({"personal_info": "financial"}, "6222021234567890", "************7890"),
    ({"personal_info": "health"}, "高血压", "***"),
    ({}, "公开的值", "公开的值"),
]


@pytest.mark.parametrize(("decl", "value", "shown"), MASKED)
def test_masking_forms(duck: DuckDBEngine, decl: dict[str, str], value: str, shown: str) -> None:
    f = FieldSpec.model_validate({"name": "x", "label": "x", **decl})
    k = mask_kind(f)
    [(out, null)] = duck.fetch_rows(
        f"SELECT {mask_sql(k, 'v')}, {mask_sql(k, 'NULL')} FROM (SELECT ? AS v)", [value]
    )
    assert (out, null) == (shown, None)


def _recheck(duck: DuckDBEngine, kind: str, values: list[str]) -> dict[str, bool]:
    sql = f"SELECT v, coalesce({_standard_sql(kind, 'v')}, false) FROM (SELECT unnest(?::VARCHAR[]) AS v)"
    return dict(duck.fetch_rows(sql, [values]))


def _agree(duck: DuckDBEngine, kind: str, values: list[str]) -> None:
    """The re-check passes every value the standard accepts in its normal form, and fails every
    value the standard rejects — except for the region, which it does not look up."""
    got = _recheck(duck, kind, values)
    for v in values:
        verdict = check(kind, v)
        if verdict.valid:
            assert got[v] == (verdict.normalized == v), (kind, v)
        elif not (verdict.reason or "").endswith("region"):
            assert got[v] is False, (kind, v, verdict.reason)


_ID17 = st.builds(
    lambda region, y, m, d, seq: f"{region}{y:04d}{m:02d}{d:02d}{seq:03d}",
    st.sampled_from(["140502", "110105", "440524", "650102", "810000", "990000"]),
    st.integers(1870, 2030),
    st.integers(1, 13),
    st.integers(1, 31),
    st.integers(0, 999),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(_ID17.map(idn), _ID17.map(lambda s: s + "7"), _ID17.map(lambda s: s + "X")), max_size=20
    )
)
def test_idcard_recheck_agrees_with_the_python_form(duck: DuckDBEngine, ids: list[str]) -> None:
    _agree(duck, "idcard", ids)


_USCC17 = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(
            _USCC17.map(lambda s: "91" + s[2:] + uscc_check_char("91" + s[2:])),
            _USCC17.map(lambda s: s + "0"),
        ),
        max_size=20,
    )
)
def test_uscc_recheck_agrees_with_the_python_form(duck: DuckDBEngine, codes: list[str]) -> None:
    _agree(duck, "uscc", codes)


def test_code_list_and_phone_rechecks(duck: DuckDBEngine) -> None:
    assert _recheck(duck, "sex", ["0", "1", "2", "9", "3", "男"]) == {
        "0": True,
        "1": True,
        "2": True,
        "9": True,
        "3": False,
        "男": False,
    }
    _agree(
        duck,
        "phone",
        ["13812345678", "0356-2021234", "0356-2021234-12", "12345", "1381234567", "010-12345678"],
    )
