"""Personal names: check_name, pinyin keys, SQL forms (sz_name_check, sz_pinyin_key, ...) and agreement."""

from __future__ import annotations

from typing import Any

import pytest
from _agree import same
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuzhi.standards import KINDS, check_many
from shuzhi.standards import names as N
from shuzhi.standards._verdict import REASONS, Verdict

# each check_many call plans the whole macro (about a second), so few large batches
SETTINGS = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def test_registered() -> None:
    assert KINDS["name"].sql_check == "sz_name_check"


# --- worked examples -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized", "surname", "given", "pinyin", "initials"),
    [
        ("张伟", "张伟", "张", "伟", "zhang wei", "zw"),
        ("章伟", "章伟", "章", "伟", "zhang wei", "zw"),
        ("张三丰", "张三丰", "张", "三丰", "zhang san feng", "zsf"),
        ("欧阳修", "欧阳修", "欧阳", "修", "ou yang xiu", "oyx"),
        ("司马光", "司马光", "司马", "光", "si ma guang", "smg"),
        ("诸葛亮", "诸葛亮", "诸葛", "亮", "zhu ge liang", "zgl"),
        ("尉迟恭", "尉迟恭", "尉迟", "恭", "yu chi gong", "ycg"),
        ("万俟卨", "万俟卨", "万俟", "卨", "mo qi xie", "mqx"),
        ("长孙无忌", "长孙无忌", "长孙", "无忌", "zhang sun wu ji", "zswj"),
        ("欧阳", "欧阳", "欧", "阳", "ou yang", "oy"),  # two characters: not a compound surname
        ("单雄信", "单雄信", "单", "雄信", "shan xiong xin", "sxx"),  # surname readings
        ("曾国藩", "曾国藩", "曾", "国藩", "zeng guo fan", "zgf"),
        ("区永", "区永", "区", "永", "ou yong", "oy"),
        ("仇英", "仇英", "仇", "英", "qiu ying", "qy"),
        ("解缙", "解缙", "解", "缙", "xie jin", "xj"),
        ("查良镛", "查良镛", "查", "良镛", "zha liang yong", "zly"),
        ("朴槿惠", "朴槿惠", "朴", "槿惠", "piao jin hui", "pjh"),
        ("乐毅", "乐毅", "乐", "毅", "yue yi", "yy"),
        ("單雄信", "单雄信", "单", "雄信", "shan xiong xin", "sxx"),  # Traditional -> Simplified
        ("乾隆", "乾隆", "乾", "隆", "qian long", "ql"),  # 乾 is kept in names
        ("张 三", "张三", "张", "三", "zhang san", "zs"),  # stray spaces
        ("张\u3000三", "张三", "张", "三", "zhang san", "zs"),
        ("吕女", "吕女", "吕", "女", "lv nv", "ln"),
    ],
)
def test_han_names(raw: str, normalized: str, surname: str, given: str, pinyin: str, initials: str) -> None:
    v = N.check_name(raw)
    assert v.valid, v
    assert v.normalized == normalized
    assert v.parts["script"] == "han"
    assert (v.parts["surname"], v.parts["given_name"]) == (surname, given)
    assert v.parts["pinyin"] == pinyin
    assert v.parts["pinyin_key"] == pinyin.replace(" ", "")
    assert v.parts["initials"] == initials


def test_homophones_share_a_key() -> None:
    assert N.name_key("张伟") == N.name_key("章伟") == "zhangwei"
    assert N.name_key("ZHANG Wei") == "zhangwei"
    assert N.name_key("單雄信") == N.name_key("单雄信") == "shanxiongxin"


@pytest.mark.parametrize(
    ("raw", "notes"),
    [
        ("买买提·艾力", ()),
        ("买买提.艾力", ("name.dot_normalized",)),
        ("买买提•艾力", ("name.dot_normalized",)),
        ("买买提‧艾力", ("name.dot_normalized",)),
        ("买买提・艾力", ("name.dot_normalized",)),
        ("买买提－艾力", ("name.dot_normalized",)),
        ("买买提 · 艾力", ("name.spaces_removed",)),
        ("買買提·艾力", ("name.traditional",)),
    ],
)
def test_minority_names(raw: str, notes: tuple[str, ...]) -> None:
    v = N.check_name(raw)
    assert v.valid and v.normalized == "买买提·艾力"
    assert v.notes == notes
    assert v.parts["surname"] is None and v.parts["given_name"] is None
    assert v.parts["pinyin"] == "mai mai ti ai li"
    assert v.parts["initials"] == "mmtal"


def test_rare_characters() -> None:
    v = N.check_name("王𠀀")  # CJK extension B
    assert v.valid and v.parts["surname"] == "王"
    assert N.check_name("李㐀").valid  # extension A


def test_latin_names() -> None:
    v = N.check_name("John O'Neil-Smith")
    assert v.valid and v.notes == ("name.latin",)
    assert v.parts["script"] == "latin"
    assert v.parts["pinyin_key"] == "johnoneilsmith" and v.parts["initials"] == "jos"
    assert N.check_name("Ｊｏｈｎ\u3000Ｓｍｉｔｈ").normalized == "John Smith"
    assert N.check_name("José Müller").valid
    assert N.check_name("José Müller").message("zh") == "外文姓名（按外文字母核对）"


@pytest.mark.parametrize(
    ("raw", "reason", "zh", "en"),
    [
        ("张三1", "name.digits", "数字", "digits"),
        ("张三３", "name.digits", "数字", "digits"),
        ("张@", "name.bad_char", "“@”", "'@'"),
        ("张三😀", "name.bad_char", "“😀”", "'😀'"),
        ("张，三", "name.bad_char", "“,”", "','"),
        ("Иван", "name.bad_char", "“И”", "'И'"),
        ("张'三", "name.bad_char", "“'”", "'''"),
        ("J·Smith", "name.bad_char", "“·”", "'·'"),
        ("张John", "name.mixed_script", "混用", "mixes"),
        ("张", "name.too_short", "单字姓名极少见", "single-character names are very rare"),
        ("J", "name.too_short", "过短", "too short"),
        ("张" * 26, "name.too_long", "过长", "too long"),
        ("A" * 71, "name.too_long", "过长", "too long"),
        ("·张三", "name.bad_dot", "间隔号", "middle dot"),
        ("张三·", "name.bad_dot", "间隔号", "middle dot"),
        ("买买提··艾力", "name.bad_dot", "间隔号", "middle dot"),
        ("无", "name.placeholder", "占位词", "placeholder"),
        ("不详", "name.placeholder", "占位词", "placeholder"),
    ],
)
def test_reasons(raw: str, reason: str, zh: str, en: str) -> None:
    v = N.check_name(raw)
    assert not v.valid and v.reason == reason, v
    assert zh in v.message("zh")
    assert en in v.message("en")
    assert "{" not in v.message("zh") + v.message("en")


def test_every_reason_and_note_has_both_languages() -> None:
    codes = [c for c in REASONS if c.startswith("name.")]
    assert len(codes) == 11
    for c in codes:
        zh, en = REASONS[c]
        assert zh and en and zh != en


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "",
        "   ",
        "１２３",
        "abc张三",
        "😀",
        "x" * 10_000,
        123,
        12.5,
        True,
        b"x",
        object(),
        "\ud800",
        "\u200b",
    ],
)
def test_bad_input_never_raises(bad: object) -> None:
    v = N.check_name(bad)
    assert isinstance(v, Verdict) and not v.valid
    v.message("zh")
    v.message("en")
    assert isinstance(N.name_key(bad), str)
    assert isinstance(N.pinyin_key(bad), str)
    assert isinstance(N.pinyin_initials(bad), str)
    assert isinstance(N.pinyin_initials(bad, phrases=False), str)


# --- pinyin helpers --------------------------------------------------------------------------


def test_pinyin_initials() -> None:
    assert N.pinyin_initials("人口库") == "rkk"
    assert N.pinyin_initials("人口库", phrases=False) == "rkk"
    assert N.pinyin_initials("法人单位库") == "frdwk"
    assert N.pinyin_initials("银行") == "yh"  # phrase reading
    assert N.pinyin_initials("银行", phrases=False) == "yx"  # character by character (the SQL form)
    assert N.pinyin_initials("2023年 人口 DB") == "2023nrkdb"
    assert N.pinyin_initials("") == "" and N.pinyin_initials(None) == ""


def test_pinyin_key() -> None:
    assert N.pinyin_key("人口库") == "renkouku"
    assert N.pinyin_key("人口庫") == "renkouku"
    assert N.pinyin_key("绿 ABC-1") == "lvabc1"
    assert N.pinyin_key(None) == ""


def test_readings_table() -> None:
    r = N.pinyin_readings()
    assert r["张"] == "zhang" and r["单"] == "dan" and r["绿"] == "lv"
    assert len(r) > 40_000
    assert all(v.isascii() and v.isalpha() and v.islower() for v in r.values())
    assert N.surname_readings()["单"] == "shan" and "欧阳" in N.COMPOUND_SURNAMES


# --- SQL form --------------------------------------------------------------------------------


def test_sql_examples(con: Any) -> None:
    values: list[str | None] = [
        "张伟",
        "欧阳修",
        "單雄信",
        "买买提 • 艾力",
        "John O'Neil-Smith",
        "张三1",
        "张@",
        "张",
        "·张三",
        "无",
        "\u200b",
        "",
        None,
        "x" * 1001,
    ]
    for p, s in zip(map(N.check_name, values), check_many("name", values, con=con), strict=True):
        assert same(p, s), (p, s)


def test_sql_keys(con: Any) -> None:
    row = con.execute(
        "SELECT sz_name_key('張偉'), sz_name_key('单雄信'), sz_name_key('张三1'), sz_pinyin_key('人口库'),"
        " sz_pinyin_initials('人口库'), sz_pinyin_initials('银行'), sz_name_key(NULL)"
    ).fetchone()
    assert row == ("zhangwei", "shanxiongxin", "zhangsan1", "renkouku", "rkk", "yx", None)


_SURNAMES = [
    "张",
    "王",
    "李",
    "赵",
    "單",
    "单",
    "曾",
    "区",
    "乐",
    "长",
    "欧阳",
    "司马",
    "尉迟",
    "万俟",
    "長孫",
    "於",
    "乾",
]
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂國華偉麗乾於吒𠀀㐀〇"
_NOISE = " ·•‧・.-'\u3000\u200b0123456789abcXYZéÀ😀@，,Иア"


@st.composite
def name_like(draw: st.DrawFn) -> str:
    form = draw(st.sampled_from(["han", "han", "dotted", "latin", "noisy", "junk"]))
    if form == "han":
        s = draw(st.sampled_from(_SURNAMES)) + draw(st.text(_GIVEN, min_size=0, max_size=3))
    elif form == "dotted":
        parts = draw(st.lists(st.text(_GIVEN, min_size=0, max_size=4), min_size=2, max_size=3))
        s = draw(st.sampled_from(["·", "•", ".", " · ", "-", "··"])).join(parts)
    elif form == "latin":
        s = draw(st.text("abcdefghijklmnopqrstuvwxyzABCZéÖ '-.", min_size=0, max_size=20))
    elif form == "noisy":
        s = draw(st.text(_GIVEN + _NOISE + "".join(_SURNAMES), max_size=8))
    else:
        s = draw(st.text(max_size=8))
    if draw(st.integers(0, 4)) == 0:
        s = f" {s} "
    return s


name_values = st.lists(st.one_of(name_like(), st.none()), min_size=100, max_size=400)


@SETTINGS
@given(name_values)
def test_sql_agrees_with_python(con: Any, values: list[str | None]) -> None:
    for p, s in zip(map(N.check_name, values), check_many("name", values, con=con), strict=True):
        assert same(p, s), (p, s)


@SETTINGS
@given(name_values)
def test_sql_keys_agree_with_python(con: Any, values: list[str | None]) -> None:
    q = (
        "SELECT sz_name_key(v), sz_pinyin_key(v), sz_pinyin_initials(v)"
        " FROM unnest(?::VARCHAR[]) WITH ORDINALITY AS t(v, i) ORDER BY i"
    )
    for v, row in zip(values, con.execute(q, [values]).fetchall(), strict=True):
        if v is None:
            assert row == (None, None, None)
        else:
            assert row == (N.name_key(v), N.pinyin_key(v), N.pinyin_initials(v, phrases=False)), repr(v)


# --- the lean twin for bulk cleansing ---------------------------------------------------------


def _lean_agrees(con: Any, values: list[str | None]) -> None:
    """sz_name_check_lean: valid, normalized and reason of the Python form; for invalid names
    the whole verdict of sz_name_check."""
    q = (
        "SELECT sz_name_check_lean(v) AS lean, sz_name_check(v) AS full"
        " FROM unnest(?::VARCHAR[]) WITH ORDINALITY AS t(v, i) ORDER BY i"
    )
    for v, (lean, full) in zip(values, con.execute(q, [values]).fetchall(), strict=True):
        p = N.check_name(v)
        assert (lean["valid"], lean["normalized"], lean["reason"]) == (p.valid, p.normalized, p.reason), (
            v,
            lean,
        )
        if not lean["valid"]:
            assert lean == full, (v, lean, full)
        else:
            assert lean["parts"]["script"] == full["parts"]["script"], (v, lean, full)


def test_lean_registered_and_examples(con: Any) -> None:
    assert KINDS["name"].sql_check_lean == "sz_name_check_lean"
    _lean_agrees(
        con, ["张伟", "單雄信", "买买提 • 艾力", "John O'Neil-Smith", "张三1", "张@", "·张三", "无", "", None]
    )


@SETTINGS
@given(name_values)
def test_lean_agrees_with_python(con: Any, values: list[str | None]) -> None:
    _lean_agrees(con, values)
