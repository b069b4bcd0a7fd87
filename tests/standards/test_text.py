"""Text cleansing: Python form, SQL form (sz_text_*), and their agreement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuzhi.standards import text as T

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def sql_row(con: Any, exprs: list[str], values: Sequence[str | None]) -> list[tuple[Any, ...]]:
    cols = ", ".join(e.format(v="v") for e in exprs)
    q = f"SELECT {cols} FROM unnest(?::VARCHAR[]) WITH ORDINALITY AS t(v, i) ORDER BY i"
    return [tuple(r) for r in con.execute(q, [values]).fetchall()]


# --- worked examples -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ１２３", "ABC123"),  # full-width ASCII
        ("！～", "!~"),  # both ends of U+FF01-U+FF5E
        ("张\u3000三", "张 三"),  # ideographic space
        ("张\u200b三\ufeff", "张三"),  # zero-width characters
        ("a\u200c\u200d\u2060b", "ab"),
        ("a\x00b\x07c\x7fd\x9fe", "abcde"),  # control characters
        ("  a \t\n b  ", "a b"),  # whitespace collapsed and trimmed
        ("a\u00a0\u2003b", "a b"),
        ("买买提•艾力", "买买提·艾力"),
        ("买买提‧艾力", "买买提·艾力"),
        ("买买提・艾力", "买买提·艾力"),
        ("买买提･艾力", "买买提·艾力"),
        ("买买提·艾力", "买买提·艾力"),
        ("張三", "张三"),  # Traditional -> Simplified
        ("頭髮", "头发"),
        ("乾燥", "干燥"),
        ("乾隆", "乾隆"),  # phrase-aware: 乾 kept in 乾隆
        ("", ""),
    ],
)
def test_normalize_examples(raw: str, expected: str) -> None:
    assert T.normalize_text(raw) == expected


def test_character_level_conversion() -> None:
    # the SQL form converts character by character: 乾隆 -> 干隆 there, as in Python phrases=False
    assert T.normalize_text("乾隆", phrases=False) == "干隆"
    assert T.to_simplified("乾隆") == "乾隆"
    assert T.to_simplified("乾隆", phrases=False) == "干隆"
    assert T.normalize_text("張三", simplify=False) == "張三"


def test_name_map_keeps_legal_simplified_characters() -> None:
    # 乾 and 於 are GB 2312 characters: personal names keep them
    assert T.normalize_text("乾於張", names=True) == "乾於张"
    assert "乾" in T.t2s_char_map() and "乾" not in T.name_t2s_char_map()
    assert all(len(v) == 1 for v in T.t2s_char_map().values())


@pytest.mark.parametrize(
    "raw",
    [
        "无",
        "空",
        "/",
        "-",
        "--",
        "NULL",
        "null",
        "Null",
        "不详",
        "未知",
        "暂无",
        "N/A",
        "n/a",
        "nan",
        "  无  ",
        "無",
    ],
)
def test_placeholders(raw: str) -> None:
    assert T.is_placeholder(raw)
    assert T.clean_text(raw) is None


def test_zero_only_when_declared() -> None:
    assert T.clean_text("0") == "0"
    assert not T.is_placeholder("0")
    assert T.clean_text("0", zero_is_missing=True) is None
    assert T.is_placeholder("0", zero_is_missing=True)
    assert T.clean_text("0.5", zero_is_missing=True) == "0.5"


def test_clean_text_keeps_real_values() -> None:
    assert T.clean_text("  晋城市  城区 ") == "晋城市 城区"
    assert T.clean_text("无锡市") == "无锡市"  # starts like a placeholder, is not one
    assert T.clean_text("   ") is None
    assert T.clean_text(None) is None


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "",
        "   ",
        "１２３",
        "abc张三",
        "😀👍🏽",
        "x" * 10_000,
        123,
        12.5,
        float("nan"),
        True,
        b"bytes",
        ["x"],
        "\ud800a",
    ],
)
def test_bad_input_never_raises(bad: object) -> None:
    out = T.normalize_text(bad)
    assert out is None or isinstance(out, str)
    T.clean_text(bad)
    T.is_placeholder(bad)


def test_lone_surrogates_removed() -> None:
    assert T.normalize_text("a\ud800b") == "ab"
    assert T.to_simplified("張\udfff三") == "张三"


def test_helpers() -> None:
    assert T.fullwidth_to_ascii("ＡＢ\u3000１２") == "AB 12"
    assert T.to_simplified("發展") == "发展"


# --- SQL form --------------------------------------------------------------------------------


EXPRS = [
    "sz_text_normalize({v})",
    "sz_text_basic({v})",
    "sz_text_clean({v})",
    "sz_text_clean_zero({v})",
    "sz_is_placeholder({v})",
    "sz_is_placeholder_or_zero({v})",
]


def py_row(v: str | None) -> tuple[Any, ...]:
    return (
        T.normalize_text(v, phrases=False),
        T.normalize_text(v, simplify=False),
        T.clean_text(v, phrases=False),
        T.clean_text(v, phrases=False, zero_is_missing=True),
        T.is_placeholder(v),
        T.is_placeholder(v, zero_is_missing=True),
    )


def test_sql_examples(con: Any) -> None:
    values = [
        "ＡＢＣ１２３",
        "张\u3000三",
        "张\u200b三",
        "  a \t\n b  ",
        "买买提•艾力",
        "張三",
        "乾隆",
        "NULL",
        "0",
        "",
        None,
    ]
    for v, row in zip(values, sql_row(con, EXPRS, values), strict=True):
        assert row == py_row(v), v


def test_sql_null_stays_null(con: Any) -> None:
    assert con.execute(
        "SELECT sz_text_normalize(NULL), sz_text_clean(NULL), sz_is_placeholder(NULL)"
    ).fetchone() == (
        None,
        None,
        True,
    )


def test_sql_single_characters_match_opencc(con: Any) -> None:
    # every character OpenCC maps, converted on its own: SQL == OpenCC (phrases and all)
    chars = sorted(T.t2s_char_map())
    rows = sql_row(con, ["sz_text_normalize({v})"], chars)
    assert [r[0] for r in rows] == [T.normalize_text(c) for c in chars]


_NOISE = (
    "ＡＺａｚ０９！～\u3000\u200b\u200d\ufeff\x00\x07\x1c\x85\xa0\t\n •‧・･·.-/"
    "张三買賣乾隆頭髮发無NULLnull0𠀀😀é"
)
text_values = st.lists(
    st.one_of(
        st.none(),
        st.text(alphabet=_NOISE, max_size=12),
        st.text(max_size=12),
        st.sampled_from([*sorted(T.PLACEHOLDERS), "0", " 无 ", "N/A", "Ｎｕｌｌ"]),
    ),
    min_size=20,
    max_size=120,
)


@SETTINGS
@given(text_values)
def test_sql_agrees_with_python(con: Any, values: list[str | None]) -> None:
    for v, row in zip(values, sql_row(con, EXPRS, values), strict=True):
        assert row == py_row(v), repr(v)
