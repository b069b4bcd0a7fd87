"""Declaring, reading, searching, filtering, retiring: the catalog as its users rely on it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuzhi import catalog
from shuzhi.catalog import (
    CatalogFile,
    DepartmentSpec,
    ResourceSpec,
    declare,
    get_resource,
    history,
    list_departments,
    list_resources,
    restore,
    retire,
    search,
)
from shuzhi.errors import Conflict, NotFound, ValidationError
from shuzhi.store import Resource
from shuzhi.workspace import Workspace


def codes(entries: list[catalog.CatalogEntry]) -> list[str]:
    return [e.code for e in entries]


def spec_of(ws: Workspace, code: str) -> ResourceSpec:
    return get_resource(ws, code).spec


def changed(spec: ResourceSpec, **updates: object) -> ResourceSpec:
    return ResourceSpec.model_validate({**spec.model_dump(mode="json"), **updates})


# -- declaring ------------------------------------------------------------------------------------


def test_declare_creates_departments_and_resources(ws: Workspace, catalog_yaml: Path) -> None:
    before = dt.datetime.now(dt.UTC)
    report = declare(ws, catalog_yaml, by="张三")
    assert report.created == ["JC-GA-HJRK", "JC-WJ-JKDA", "JC-MZ-DBDX"]
    assert report.departments_created == ["JC", "JC-GA", "JC-WJ", "JC-MZ"]
    assert report.updated == report.unchanged == report.warnings == []
    assert report.revisions == {"JC-GA-HJRK": 1, "JC-WJ-JKDA": 1, "JC-MZ-DBDX": 1}
    e = get_resource(ws, "JC-GA-HJRK")
    assert (e.revision, e.current_version, e.department_name) == (1, None, "晋城市公安局")
    assert e.updated_by == e.created_by == "张三" and e.retired_at is None
    assert before <= e.created_at <= dt.datetime.now(dt.UTC)
    assert e.spec == catalog.load_catalog_file(catalog_yaml).resources[0]
    (h,) = history(ws, "JC-GA-HJRK")
    assert (h.revision, h.action, h.changes, h.changed_by) == (1, "created", {}, "张三")
    assert h.spec == e.spec


def test_declare_is_idempotent(city: Workspace, catalog_yaml: Path) -> None:
    first = get_resource(city, "JC-GA-HJRK")
    report = declare(city, catalog_yaml, by="李四")
    assert report.unchanged == ["JC-GA-HJRK", "JC-WJ-JKDA", "JC-MZ-DBDX"]
    assert report.created == report.updated == report.departments_created == report.departments_updated == []
    assert not report.changed
    again = get_resource(city, "JC-GA-HJRK")
    assert again == first  # no new revision, nobody recorded, same times
    assert len(history(city, "JC-GA-HJRK")) == 1


def test_a_change_is_a_new_revision_with_its_changes(city: Workspace) -> None:
    spec = spec_of(city, "JC-MZ-DBDX")
    fields = spec.model_dump(mode="json")["fields"]
    fields[2]["required"] = True
    report = declare(city, changed(spec, fields=fields, summary="低保名单"), by="王五", comment="补充必填")
    assert report.updated == ["JC-MZ-DBDX"] and report.revisions == {"JC-MZ-DBDX": 2}
    e = get_resource(city, "JC-MZ-DBDX")
    assert e.revision == 2 and e.updated_by == "王五" and e.created_by == "张三"
    assert e.spec.fields[2].required and e.updated_at >= e.created_at
    h1, h2 = history(city, "JC-MZ-DBDX")
    assert (h1.revision, h2.revision, h2.action) == (1, 2, "updated")
    assert (h2.changed_by, h2.comment) == ("王五", "补充必填")
    assert h2.changes == {
        "summary": ["城乡最低生活保障对象名单。", "低保名单"],
        "fields[2].required": [False, True],
    }
    assert h1.spec.summary == "城乡最低生活保障对象名单。" and h2.spec.summary == "低保名单"
    assert h2.changed_at >= h1.changed_at


def test_fields_can_be_renamed_added_and_removed(city: Workspace) -> None:
    spec = spec_of(city, "JC-MZ-DBDX")
    fields = spec.model_dump(mode="json")["fields"]
    fields[1]["name"] = "members"
    fields = [fields[1], fields[0]]  # reordered, one renamed, one removed
    declare(city, changed(spec, fields=fields))
    e = get_resource(city, "JC-MZ-DBDX")
    assert [f.name for f in e.spec.fields] == ["members", "id_number"]
    # the field rows follow: a search by the removed label no longer finds it
    assert "JC-MZ-DBDX" not in codes(search(city, "月保障金额"))
    assert list_resources(city, standard="idcard", department="JC-MZ")[0].code == "JC-MZ-DBDX"
    swapped = [fields[1], fields[0]]
    declare(city, changed(spec, fields=swapped))  # the same names swap places
    assert [f.name for f in spec_of(city, "JC-MZ-DBDX").fields] == ["id_number", "members"]


def test_structural_change_after_a_load_is_allowed_but_warned(city: Workspace) -> None:
    with city.session() as s:  # as if ingestion had published version 3
        s.execute(sa.update(Resource).where(Resource.code == "JC-MZ-DBDX").values(current_version=3))
    spec = spec_of(city, "JC-MZ-DBDX")
    fields = spec.model_dump(mode="json")["fields"]
    fields[1]["type"] = "decimal"
    fields[2]["label"] = "月保障金"
    report = declare(city, changed(spec, fields=fields))
    assert report.updated == ["JC-MZ-DBDX"]
    (warning,) = report.warnings
    label = fields[1]["label"]
    assert f"信息项“{label}”的类型" in warning and "v3" in warning and "月保障金" not in warning
    assert f"field {label} ({fields[1]['name']}): type" in warning and "fields[1]" not in warning
    assert history(city, "JC-MZ-DBDX")[-1].changes["fields[1].type"] == ["integer", "decimal"]
    assert get_resource(city, "JC-MZ-DBDX").current_version == 3


def test_declare_is_all_or_nothing(city: Workspace) -> None:
    good = changed(spec_of(city, "JC-MZ-DBDX"), summary="改了")
    bad = ResourceSpec.model_validate(
        {**good.model_dump(mode="json"), "code": "JC-XX-1", "department": "JC-NONE"}
    )
    with pytest.raises(ValidationError) as info:
        declare(city, CatalogFile(resources=[good, bad]))
    assert list(info.value.errors) == ["resources[1].department"]
    assert get_resource(city, "JC-MZ-DBDX").revision == 1
    with pytest.raises(NotFound):
        get_resource(city, "JC-XX-1")


def test_single_spec_errors_name_the_key(city: Workspace) -> None:
    spec = changed(spec_of(city, "JC-MZ-DBDX"), code="JC-MZ-2", department="NOPE", related=["JC-NONE"])
    with pytest.raises(ValidationError) as info:
        declare(city, spec)
    assert set(info.value.errors) == {"department", "related[0]"}


def test_departments_are_entities_with_codes(city: Workspace) -> None:
    depts = {d.code: d for d in list_departments(city)}
    assert list(depts) == ["JC", "JC-GA", "JC-MZ", "JC-WJ"]
    assert depts["JC-GA"].parent == "JC" and depts["JC-GA"].resources == 1 and depts["JC"].resources == 0
    report = declare(city, DepartmentSpec(code="JC-GA", name="晋城市公安局（更名）", parent="JC"), by="x")
    assert report.departments_updated == ["JC-GA"]
    assert get_resource(city, "JC-GA-HJRK").department_name == "晋城市公安局（更名）"
    assert codes(search(city, "更名")) == ["JC-GA-HJRK"]  # search text follows the new name
    same = DepartmentSpec(code="JC-GA", name="晋城市公安局（更名）", parent="JC")
    assert declare(city, same).departments_updated == []
    report = declare(city, DepartmentSpec(code="JC-GA-HZ", name="户政管理支队", parent="JC-GA"))
    assert report.departments_created == ["JC-GA-HZ"]
    with pytest.raises(ValidationError, match="NOPE"):
        declare(city, DepartmentSpec(code="JC-X", name="某局", parent="NOPE"))


def test_every_change_to_a_department_is_kept(city: Workspace) -> None:
    from shuzhi.catalog import department_history

    (created,) = department_history(city, "JC-GA")
    assert (created.revision, created.action, created.changes) == (1, "created", {})
    assert created.spec.name == "晋城市公安局"
    en = "Jincheng Public Security Bureau"
    renamed_spec = DepartmentSpec(code="JC-GA", name="晋城市公安局（更名）", name_en=en, parent="JC")
    declare(city, renamed_spec, by="王五", comment="机构改革")
    declare(city, renamed_spec, by="赵六")  # unchanged: no revision
    moved_spec = DepartmentSpec(code="JC-GA", name="晋城市公安局（更名）", name_en="Police", parent="JC-MZ")
    declare(city, moved_spec)
    first, renamed, moved = department_history(city, "JC-GA")
    assert (renamed.revision, renamed.action, renamed.changed_by) == (2, "updated", "王五")
    assert renamed.comment == "机构改革"
    assert renamed.changes == {"name": ["晋城市公安局", "晋城市公安局（更名）"]}
    assert moved.changes == {"name_en": [en, "Police"], "parent": ["JC", "JC-MZ"]}
    assert moved.spec.parent == "JC-MZ" and moved.to_dict()["spec"]["name_en"] == "Police"
    assert first.changed_at <= renamed.changed_at <= moved.changed_at
    with pytest.raises(NotFound):
        department_history(city, "NOPE")


def test_a_department_with_resources_is_listed_under_its_parent(city: Workspace) -> None:
    assert codes(list_resources(city, department="JC")) == ["JC-GA-HJRK", "JC-MZ-DBDX", "JC-WJ-JKDA"]
    assert codes(list_resources(city, department="JC-WJ")) == ["JC-WJ-JKDA"]
    with pytest.raises(ValidationError) as info:  # a mistyped code is not "no resources"
        list_resources(city, department="JC-WX", sharing="bogus")
    assert set(info.value.errors) == {"department", "sharing"}
    assert "JC-WX" in info.value.errors["department"][0]


def test_get_missing_resource(city: Workspace) -> None:
    with pytest.raises(NotFound) as info:
        get_resource(city, "NOPE")
    assert info.value.kind == "资源 / resource" and info.value.name == "NOPE"
    with pytest.raises(NotFound):
        history(city, "NOPE")


# -- searching and filtering ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("rkk", "JC-GA-HJRK"),  # pinyin initials
        ("hjrkk", "JC-GA-HJRK"),
        ("renkou", "JC-GA-HJRK"),  # pinyin
        ("RenKouKu", "JC-GA-HJRK"),
        ("人口", "JC-GA-HJRK"),
        ("人口庫", "JC-GA-HJRK"),  # Traditional characters
        ("戶籍人口", "JC-GA-HJRK"),
        ("公民身份号码", "JC-GA-HJRK"),  # a field label: in all three, ranked by code
        ("慢性病种类", "JC-WJ-JKDA"),
        ("chronic_disease", "JC-WJ-JKDA"),  # a field name
        ("jc-mz-dbdx", "JC-MZ-DBDX"),  # code, any case
        ("dbdx", "JC-MZ-DBDX"),
        ("低保", "JC-MZ-DBDX"),
        ("民政", "JC-MZ-DBDX"),  # the department's name
        ("mzj", "JC-MZ-DBDX"),  # …and its initials
        ("医疗", "JC-WJ-JKDA"),  # tag and classification
        ("Registered population", "JC-GA-HJRK"),  # English name
        ("人口 公安", "JC-GA-HJRK"),  # every word must match
        ("ＪＣ－ＧＡ", "JC-GA-HJRK"),  # full-width input
    ],
)
def test_search_finds(city: Workspace, q: str, first: str) -> None:
    found = codes(search(city, q))
    assert found and found[0] == first, found


def test_search_ranks_code_then_name_then_pinyin_then_text(city: Workspace) -> None:
    # the name, then a field label (家庭人口数)
    assert codes(search(city, "人口")) == ["JC-GA-HJRK", "JC-MZ-DBDX"]
    assert codes(search(city, "公民身份号码")) == ["JC-GA-HJRK", "JC-MZ-DBDX", "JC-WJ-JKDA"]
    extra = changed(spec_of(city, "JC-MZ-DBDX"), code="RKK", name="困难群众", summary="不是人口库")
    declare(city, extra)
    # "rkk" is the code of one, the initials of another's name, and in the summary of none
    assert codes(search(city, "rkk")) == ["RKK", "JC-GA-HJRK"]
    declare(city, changed(extra, code="X-1", name="人口库管理台账"))
    # names containing the words come before a summary containing them
    assert codes(search(city, "人口库")) == ["JC-GA-HJRK", "X-1", "RKK"]
    # a name whose pinyin starts with the query comes before one that only contains it
    assert codes(search(city, "renkou")) == ["X-1", "JC-GA-HJRK"]


def test_a_tag_is_found_by_its_pinyin(city: Workspace) -> None:
    assert "JC-MZ-DBDX" not in codes(search(city, "shjz"))
    declare(city, changed(spec_of(city, "JC-MZ-DBDX"), tags=["社会救助", "人口库"]))
    assert "JC-MZ-DBDX" in codes(search(city, "shjz"))  # 社会救助 by its initials
    assert "JC-MZ-DBDX" in codes(search(city, "renkouku"))
    # a name's pinyin still ranks first
    assert codes(search(city, "rkk"))[:2] == ["JC-GA-HJRK", "JC-MZ-DBDX"]


def test_search_is_not_fooled_by_like_wildcards(city: Workspace) -> None:
    assert search(city, "%") == [] and search(city, "r_n") == []  # unescaped, r_n would find "ren"
    assert search(city, "nothing-like-this") == []
    assert codes(search(city, "id_number")) == ["JC-GA-HJRK", "JC-MZ-DBDX", "JC-WJ-JKDA"]


def test_search_refuses_empty_queries_and_bad_limits(city: Workspace) -> None:
    with pytest.raises(ValidationError):
        search(city, "  ")
    with pytest.raises(ValidationError):
        search(city, "人口", limit=0)
    assert len(search(city, "jc", limit=2)) == 2


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"sharing": "有条件共享"}, ["JC-GA-HJRK", "JC-WJ-JKDA"]),
        ({"sharing": "unconditional"}, ["JC-MZ-DBDX"]),
        ({"open": "有条件开放"}, ["JC-MZ-DBDX"]),
        ({"grade": "重要"}, ["JC-GA-HJRK", "JC-WJ-JKDA"]),
        ({"grade": "core"}, []),
        ({"kind": "基础信息资源"}, ["JC-GA-HJRK"]),
        ({"kind": "departmental"}, ["JC-MZ-DBDX"]),
        ({"standard": "idcard"}, ["JC-GA-HJRK", "JC-MZ-DBDX", "JC-WJ-JKDA"]),
        ({"standard": "address"}, ["JC-GA-HJRK"]),
        ({"department": "JC-GA"}, ["JC-GA-HJRK"]),
        ({"sharing": "conditional", "grade": "important", "q": "健康"}, ["JC-WJ-JKDA"]),
        ({"q": "rkk"}, ["JC-GA-HJRK"]),
    ],
)
def test_filters(city: Workspace, filters: dict[str, str], expected: list[str]) -> None:
    assert codes(list_resources(city, **filters)) == expected  # type: ignore[arg-type]


def test_bad_filter_values_are_validation_errors(city: Workspace) -> None:
    with pytest.raises(ValidationError) as info:
        list_resources(city, sharing="随便")
    assert list(info.value.errors) == ["sharing"]
    assert "有条件共享" in info.value.errors["sharing"][0]


# -- retiring -------------------------------------------------------------------------------------


def test_retire_and_restore(city: Workspace) -> None:
    e = retire(city, "JC-MZ-DBDX", by="赵六", reason="并入救助库")
    assert e.retired and e.revision == 2 and e.updated_by == "赵六"
    assert "JC-MZ-DBDX" not in codes(list_resources(city)) and search(city, "低保") == []
    assert "JC-MZ-DBDX" in codes(list_resources(city, include_retired=True))
    assert codes(search(city, "低保", include_retired=True)) == ["JC-MZ-DBDX"]
    assert get_resource(city, "JC-MZ-DBDX").retired_at == e.retired_at
    assert {d.code: d.resources for d in list_departments(city)}["JC-MZ"] == 0
    with pytest.raises(Conflict):
        retire(city, "JC-MZ-DBDX", reason="again")
    back = restore(city, "JC-MZ-DBDX", by="赵六", comment="误撤")
    assert not back.retired and back.revision == 3
    with pytest.raises(Conflict):
        restore(city, "JC-MZ-DBDX")
    actions = [(h.revision, h.action, h.comment) for h in history(city, "JC-MZ-DBDX")]
    assert actions == [(1, "created", None), (2, "retired", "并入救助库"), (3, "restored", "误撤")]
    assert history(city, "JC-MZ-DBDX")[1].changes["retired_at"][0] is None


def test_retire_needs_a_reason_and_an_entry(city: Workspace) -> None:
    with pytest.raises(ValidationError):
        retire(city, "JC-MZ-DBDX", reason=" ")
    with pytest.raises(NotFound):
        retire(city, "NOPE", reason="x")


def test_redeclaring_a_retired_entry_keeps_it_retired(city: Workspace) -> None:
    retire(city, "JC-MZ-DBDX", reason="x")
    report = declare(city, changed(spec_of(city, "JC-MZ-DBDX"), summary="新"))
    assert "retired" in report.warnings[0]
    assert get_resource(city, "JC-MZ-DBDX").retired


# -- the search text on arbitrary input -----------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(min_size=1, max_size=20))
def test_any_query_either_searches_or_is_refused(city: Workspace, q: str) -> None:
    try:
        found = search(city, q)
    except ValidationError as e:
        assert set(e.errors) == {"q"}
    else:
        assert len(found) <= 3


def test_public_surface_is_pinned() -> None:
    """Ingestion and the adapters are written against these names."""
    assert catalog.__all__ == [
        "CatalogEntry",
        "CatalogFile",
        "DeclareReport",
        "DepartmentEntry",
        "DepartmentSpec",
        "FieldSpec",
        "HistoryEntry",
        "ResourceSpec",
        "complete_department",
        "declare",
        "declare_text",
        "department_history",
        "export_catalog",
        "export_dcat",
        "get_resource",
        "history",
        "list_departments",
        "list_resources",
        "load_catalog_file",
        "restore",
        "retire",
        "search",
    ]
