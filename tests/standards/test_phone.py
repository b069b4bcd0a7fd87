"""Telephone numbers: Python form, SQL form (sz_phone_check) and their agreement."""

from __future__ import annotations

from typing import Any

import pytest
from _agree import same
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuzhi.standards import KINDS, check_many
from shuzhi.standards import phone as P
from shuzhi.standards._verdict import REASONS, Verdict

# each check_many call plans the whole macro (about a second), so few large batches
SETTINGS = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def test_registered() -> None:
    assert KINDS["phone"].sql_check == "sz_phone_check"


# --- worked examples -------------------------------------------------------------------------

MOBILES = [
    "13812345678",
    "138 1234 5678",
    "138-1234-5678",
    "+86 138 1234 5678",
    "+86-13812345678",
    "(+86)13812345678",
    "008613812345678",
    "8613812345678",
    "１３８１２３４５６７８",
    "138\u30001234\u30005678",
    "\u200b13812345678 ",
]


@pytest.mark.parametrize("raw", MOBILES)
def test_mobile(raw: str) -> None:
    v = P.check_phone(raw)
    assert v.valid and v.normalized == "13812345678"
    assert v.parts["type"] == "mobile" and v.parts["segment"] == "138"


def test_country_code_note() -> None:
    assert P.check_phone("+86 138 1234 5678").notes == ("phone.country_code_removed",)
    assert P.check_phone("13812345678").notes == ()
    assert P.check_phone("+86 138 1234 5678").message("zh") == "已去掉国家代码 +86"


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("0356-2021234", "0356-2021234"),
        ("(0356)2021234", "0356-2021234"),
        ("（0356）2021234", "0356-2021234"),
        ("03562021234", "0356-2021234"),
        ("0356 202 1234", "0356-2021234"),
        ("+86 356 2021234", "0356-2021234"),
        ("0086-356-2021234", "0356-2021234"),
        ("010-62345678", "010-62345678"),
        ("01062345678", "010-62345678"),
        ("+86 10 6234 5678", "010-62345678"),
        ("020-87654321", "020-87654321"),
        ("0351-7654321", "0351-7654321"),
        ("0371-67654321", "0371-67654321"),
        ("0356-2021234-801", "0356-2021234-801"),
        ("0356-2021234转801", "0356-2021234-801"),
        ("0356-2021234 分机 801", "0356-2021234-801"),
        ("0356-2021234 ext. 801", "0356-2021234-801"),
        ("0356-2021234x801", "0356-2021234-801"),
        ("0356-2021234#801", "0356-2021234-801"),
    ],
)
def test_landline(raw: str, normalized: str) -> None:
    v = P.check_phone(raw)
    assert v.valid, v
    assert v.normalized == normalized
    area, local, *ext = normalized.split("-")
    assert v.parts["type"] == "landline"
    assert (v.parts["area_code"], v.parts["local_number"], v.parts["extension"]) == (
        area,
        local,
        ext[0] if ext else None,
    )


def test_service_numbers() -> None:
    v = P.check_phone("400-812-3123")
    assert v.valid and v.normalized == "4008123123" and v.parts["type"] == "service"
    assert P.check_phone("800 123 4567").valid


@pytest.mark.parametrize(
    ("raw", "reason", "zh", "en"),
    [
        ("1381234567", "phone.wrong_length", "号码位数不对（10 位）", "wrong number of digits (10)"),
        ("138123456789", "phone.wrong_length", "号码位数不对（12 位）", "wrong number of digits (12)"),
        ("12812345678", "phone.bad_mobile_prefix", "128 不是手机号段", "128 is not a mobile prefix"),
        ("2021234", "phone.missing_area_code", "缺少区号（只有 7 位", "lacks its area code (only 7"),
        ("0300-2021234", "phone.bad_area_code", "区号 0300 不是", "0300 is not a Chinese area code"),
        ("0110-2021234", "phone.bad_area_code", "区号 011 不是", "011 is not"),
        ("0356-0212345", "phone.bad_local_number", "0212345 不能以 0 或 1 开头", "cannot start with 0 or 1"),
        (
            "0356-20212345",
            "phone.wrong_local_length",
            "区号 0356 的本地号码应为 7 位，这里是 8 位",
            "have 7 digits, not 8",
        ),
        ("010-6234567", "phone.wrong_local_length", "应为 8 位，这里是 7 位", "have 8 digits, not 7"),
        ("138abc45678", "phone.letters", "字母或汉字", "letters"),
        ("电话13812345678", "phone.letters", "字母或汉字", "Chinese characters"),
        ("138@12345678", "phone.bad_chars", "“@”", "'@'"),
        ("13812345678/13987654321", "phone.multiple", "多个号码", "several numbers"),
        ("13812345678，13987654321", "phone.multiple", "多个号码", "several numbers"),
        ("+1 415 555 1234", "phone.foreign", "不是中国大陆号码", "not a mainland China number"),
        ("13812345678转801", "phone.bad_extension", "分机号不对", "bad extension"),
        ("0356-2021234转1234567", "phone.bad_extension", "最多 6 位", "at most 6 digits"),
        ("无", "phone.placeholder", "占位词", "placeholder"),
        ("--", "phone.placeholder", "占位词", "placeholder"),
    ],
)
def test_reasons(raw: str, reason: str, zh: str, en: str) -> None:
    v = P.check_phone(raw)
    assert not v.valid and v.reason == reason
    assert zh in v.message("zh")
    assert en in v.message("en")
    assert "{" not in v.message("zh") + v.message("en")


def test_every_reason_has_both_languages() -> None:
    codes = [c for c in REASONS if c.startswith("phone.")]
    assert len(codes) == 13
    for c in codes:
        zh, en = REASONS[c]
        assert zh and en and zh != en


def test_area_codes() -> None:
    codes = P.area_codes()
    assert codes["0356"] == "7" and codes["010"] == "8" and codes["0371"] == "8"
    assert all(c.startswith("0") and len(c) in (3, 4) for c in codes)
    assert {c for c in codes if len(c) == 3} == {
        "010",
        "020",
        "021",
        "022",
        "023",
        "024",
        "025",
        "027",
        "028",
        "029",
    }
    assert len(codes) > 300


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
        13812345678,
        12.5,
        True,
        b"138",
        object(),
        "\ud800",
    ],
)
def test_bad_input_never_raises(bad: object) -> None:
    v = P.check_phone(bad)
    assert isinstance(v, Verdict)
    assert not v.valid or bad == 13812345678
    v.message("zh")
    v.message("en")


def test_int_input() -> None:
    assert P.check_phone(13812345678).normalized == "13812345678"


# --- SQL form --------------------------------------------------------------------------------


def test_sql_examples(con: Any) -> None:
    values: list[str | None] = [
        *MOBILES,
        "0356-2021234-801",
        "+86 10 6234 5678",
        "12812345678",
        "0300-2021234",
        "13812345678/13987654321",
        "无",
        "",
        "   ",
        None,
        "x" * 1001,
    ]
    for p, s in zip(map(P.check_phone, values), check_many("phone", values, con=con), strict=True):
        assert same(p, s), (p, s)


_AREAS = sorted(P.area_codes())
_sep = st.sampled_from(["", "", "", " ", "-", "\u3000", "－"])


@st.composite
def phone_like(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["mobile", "landline", "junk", "digits"]))
    if kind == "mobile":
        body = (
            "1" + draw(st.sampled_from("0123456789")) + draw(st.text("0123456789", min_size=8, max_size=10))
        )
        prefix = draw(st.sampled_from(["", "", "+86", "+86 ", "0086", "86", "(+86)", "+1"]))
        cut = draw(st.integers(0, len(body)))
        s = prefix + body[:cut] + draw(_sep) + body[cut:]
    elif kind == "landline":
        area = draw(st.one_of(st.sampled_from(_AREAS), st.text("0123456789", min_size=3, max_size=4)))
        local = draw(st.text("0123456789", min_size=6, max_size=9))
        prefix = draw(st.sampled_from(["", "", "+86 ", "0086"]))
        if prefix and area.startswith("0") and draw(st.booleans()):
            area = area[1:]
        wrap = draw(st.booleans())
        s = prefix + (f"({area})" if wrap else area) + draw(_sep) + local
        ext = draw(st.sampled_from(["", "", "", "转", "-", "ext.", "x", "#", " 分机 "]))
        if ext:
            s += ext + draw(st.text("0123456789", min_size=0, max_size=8))
    elif kind == "digits":
        s = draw(st.text("0123456789 -+()/，、", max_size=25))
    else:
        s = draw(st.text(max_size=15))
    if draw(st.booleans()):
        s = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" and draw(st.booleans()) else c for c in s)
    return s


phone_values = st.lists(st.one_of(phone_like(), st.none()), min_size=100, max_size=400)


@SETTINGS
@given(phone_values)
def test_sql_agrees_with_python(con: Any, values: list[str | None]) -> None:
    for p, s in zip(map(P.check_phone, values), check_many("phone", values, con=con), strict=True):
        assert same(p, s), (p, s)
