"""Unified social credit codes (GB 32100-2015) and organisation codes (GB 11714-1997): worked
examples, explanations, bad input, and the Python form agreeing with the SQL form."""

from __future__ import annotations

import random
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuzhi.standards import REASONS, Verdict, check_many, install
from shuzhi.standards.uscc import (
    ALPHABET,
    AUTHORITIES,
    TYPES,
    USCC_WEIGHTS,
    check_orgcode,
    check_uscc,
    orgcode_check_char,
    uscc_check_char,
)

# ---------------------------------------------------------------------------------------------
# worked examples of shared/STANDARDS.md


def test_uscc_example_fuzhou() -> None:
    v = check_uscc("91350100M000100Y43")
    assert v.valid and v.normalized == "91350100M000100Y43" and v.notes == ()
    p = v.parts
    assert (p["authority_code"], p["authority"], p["type_code"], p["type"]) == (
        "9",
        "市场监管（工商）",
        "1",
        "企业",
    )
    assert p["region_code"] == "350100" and p["region_name"] == "福建省福州市"
    assert p["check"] == p["expected_check"] == "3"
    assert p["orgcode"] == "M000100Y-4" and p["orgcode_valid"] is True
    assert check_orgcode(p["orgcode"]).valid
    assert uscc_check_char("91350100M000100Y4") == "3"


def test_uscc_example_jincheng() -> None:
    v = check_uscc("91140500MA0K000058")
    assert v.valid and v.parts["region_name"].endswith("晋城市")
    assert v.parts["expected_check"] == "8"


def test_orgcode_examples() -> None:
    assert orgcode_check_char("D2143569") == "X"
    assert orgcode_check_char("M000100Y") == "4"
    for text in ("D2143569-X", "D2143569X", "d2143569-x"):
        v = check_orgcode(text)
        assert v.valid and v.normalized == "D2143569-X"
    assert check_orgcode("M000100Y-4").normalized == "M000100Y-4"


def test_weights_are_powers_of_three() -> None:
    assert USCC_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert len(ALPHABET) == 31 and not set("IOZSV") & set(ALPHABET)


def test_examples_agree_with_sql() -> None:
    _agree("uscc", check_uscc, ["91350100M000100Y43", "91140500MA0K000058"])
    _agree("orgcode", check_orgcode, ["D2143569-X", "D2143569X", "M000100Y-4"])


# ---------------------------------------------------------------------------------------------
# explanations


def _with_check(first17: str) -> str:
    return first17 + uscc_check_char(first17)


USCC_REASONS = {
    "uscc.bad_chars": "91350100M000100YO3",
    "uscc.bad_length": "91350100M000100Y4",
    "uscc.unknown_authority": _with_check("B1350100M000100Y4"),
    "uscc.unknown_type": _with_check("94350100M000100Y4"),
    "uscc.unknown_region": _with_check("91999900M000100Y4"),
    "uscc.check_mismatch": "91350100M000100Y44",
    "empty": "",
    "too_long": "9" * 1001,
}
ORG_REASONS = {
    "orgcode.bad_chars": "D2143569-A",
    "orgcode.bad_length": "D214356",
    "orgcode.check_mismatch": "D2143569-1",
    "empty": " ",
}


@pytest.mark.parametrize(("code", "value"), sorted(USCC_REASONS.items()))
def test_every_uscc_reason_explained(code: str, value: str) -> None:
    v = check_uscc(value)
    assert v.reason == code
    for lang in ("zh", "en"):
        text = v.message(lang)  # type: ignore[arg-type]
        assert text and "{" not in text, text


@pytest.mark.parametrize(("code", "value"), sorted(ORG_REASONS.items()))
def test_every_orgcode_reason_explained(code: str, value: str) -> None:
    v = check_orgcode(value)
    assert v.reason == code
    for lang in ("zh", "en"):
        text = v.message(lang)  # type: ignore[arg-type]
        assert text and "{" not in text, text


def test_check_mismatch_gives_the_expected_character() -> None:
    v = check_uscc("91350100M000100Y44")
    assert v.message("zh").startswith("校验码应为 3，实为 4")
    v = check_orgcode("D2143569-1")
    assert v.message("zh").startswith("校验码应为 X，实为 1")


def test_notes() -> None:
    v = check_uscc(" 9135０１００m000100y43\u200b")
    assert v.valid and v.normalized == "91350100M000100Y43"
    assert v.notes == ("uscc.whitespace", "uscc.fullwidth", "uscc.lowercase")
    retired = check_uscc(_with_check("92440524MA5X00001"))  # 440524 潮阳县, retired 1993
    assert retired.valid and "uscc.region_retired" in retired.notes
    # the embedded organisation code fails its own check, the code's check holds: valid, noted
    odd = check_uscc(_with_check("92140500MA0K00004"))  # MA0K0000 has check 5
    assert odd.valid and odd.notes == ("uscc.orgcode_check",)
    assert odd.parts["orgcode_valid"] is False and odd.parts["orgcode_expected_check"] is not None
    for v in (retired, odd):
        for lang in ("zh", "en"):
            assert "{" not in v.message(lang)  # type: ignore[arg-type]
    central = check_uscc(_with_check("11100000000013127"))
    assert central.valid and central.parts["region_name"] == "中央"


def test_authorities_and_types_are_complete() -> None:
    assert set(AUTHORITIES) == set(TYPES) == set("123456789ANY")
    assert TYPES["9"] == {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}
    assert all(c in REASONS for c in ("uscc.orgcode_check", "orgcode.bad_chars"))


def test_helpers_reject_bad_input() -> None:
    for bad in ("D214356", "d2143569", "D214356!"):
        with pytest.raises(ValueError):
            orgcode_check_char(bad)
    for bad in ("91350100M000100Y", "91350100M000100YO"):
        with pytest.raises(ValueError):
            uscc_check_char(bad)


BAD_INPUTS: list[Any] = [
    None,
    "",
    "   ",
    "\u3000",
    "９１３５",
    "😀" * 18,
    "x" * 10_000,
    913501001,
    1.5,
    b"91350100M000100Y43",
    True,
    "\x00" * 18,
    "Ｄ２１４３５６９－Ｘ",
    "D2143569--X",
    "-D2143569X",
    "D2143569-X-",
    "一二三四五六七八-九",
]


@pytest.mark.parametrize("value", BAD_INPUTS, ids=lambda v: repr(v)[:30])
def test_bad_input_never_raises(value: Any) -> None:
    for fn in (check_uscc, check_orgcode):
        v = fn(value)
        assert isinstance(v, Verdict)
        v.message("zh")
        v.to_dict("en")


def test_bad_input_agrees_with_sql() -> None:
    strs = [v for v in BAD_INPUTS if v is None or isinstance(v, str)]
    _agree("uscc", check_uscc, strs)
    _agree("orgcode", check_orgcode, strs)


def test_sql_helper_macros() -> None:
    con = _shared_con()
    install(con)
    row = con.execute(
        "SELECT sz_uscc_normalize('91350100m000100y43'), sz_uscc_valid('91350100M000100Y44'), "
        "sz_uscc_check_char('91350100M000100Y4'), sz_orgcode_normalize('d2143569x'), "
        "sz_orgcode_valid('D2143569-1'), sz_orgcode_check_char('M000100Y'), sz_orgcode_check_char('M000100')"
    ).fetchone()
    assert row == ("91350100M000100Y43", False, "3", "D2143569-X", False, "4", None)


# ---------------------------------------------------------------------------------------------
# property tests: Python and SQL agree, many values per check_many call

_CON: duckdb.DuckDBPyConnection | None = None


def _shared_con() -> duckdb.DuckDBPyConnection:
    global _CON
    if _CON is None:
        _CON = duckdb.connect()
    return _CON


def _comparable(v: Verdict) -> tuple[Any, ...]:
    return (v.valid, v.normalized, v.reason, v.notes, {k: x for k, x in v.parts.items() if x is not None})


def _agree(kind: str, fn: Any, values: list[str | None]) -> None:
    sql = check_many(kind, values, con=_shared_con())
    for value, s in zip(values, sql, strict=True):
        p = fn(value)
        assert _comparable(p) == _comparable(s), (
            f"{value!r}\n python: {_comparable(p)}\n sql:    {_comparable(s)}"
        )


_REGIONS = ["350100", "140500", "140502", "110105", "440524", "100000", "310115", "999900"]


def _valid_uscc(rnd: random.Random) -> str:
    a = rnd.choice(sorted(AUTHORITIES))
    t = rnd.choice(sorted(TYPES[a]))
    body = "".join(rnd.choice(ALPHABET) for _ in range(8))
    org = body + (orgcode_check_char(body) if rnd.random() < 0.9 else rnd.choice("0123456789X"))
    return _with_check(a + t + rnd.choice(_REGIONS) + org)


def _uscc_variant(rnd: random.Random, s: str) -> str:
    r = rnd.random()
    if r < 0.4:
        return s
    if r < 0.5:
        return s.lower()
    if r < 0.6:
        return " " + s + "\t"
    if r < 0.65:
        return "".join(chr(ord(c) + 0xFEE0) if rnd.random() < 0.3 else c for c in s)
    if r < 0.8:
        i = rnd.randrange(18)
        return s[:i] + rnd.choice(ALPHABET + "IOZSV") + s[i + 1 :]
    if r < 0.9:
        i = rnd.randrange(17)
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    return s[: rnd.randrange(18)]


def _org_variant(rnd: random.Random) -> str:
    body = "".join(rnd.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(8))
    c = orgcode_check_char(body) if rnd.random() < 0.7 else rnd.choice("0123456789X")
    form = rnd.random()
    text = body + ("-" if form < 0.5 else "") + c
    if form > 0.9:
        text = text.lower()
    if rnd.random() < 0.1:
        i = rnd.randrange(len(text))
        text = text[:i] + rnd.choice("0123456789X-a ") + text[i + 1 :]
    return text


_SETTINGS = settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example, HealthCheck.data_too_large],
)


@_SETTINGS
@given(st.integers(min_value=0, max_value=2**32))
def test_property_uscc_valid_and_near_valid(seed: int) -> None:
    rnd = random.Random(seed)
    _agree("uscc", check_uscc, [_uscc_variant(rnd, _valid_uscc(rnd)) for _ in range(300)])


@_SETTINGS
@given(st.integers(min_value=0, max_value=2**32))
def test_property_orgcode(seed: int) -> None:
    rnd = random.Random(seed)
    _agree("orgcode", check_orgcode, [_org_variant(rnd) for _ in range(300)])


@_SETTINGS
@given(
    st.lists(
        st.one_of(
            st.none(), st.text(max_size=24), st.text(alphabet=ALPHABET + "IOZSVabc- \u3000Ｘ", max_size=20)
        ),
        min_size=100,
        max_size=250,
    )
)
def test_property_junk(values: list[str | None]) -> None:
    _agree("uscc", check_uscc, values)
    _agree("orgcode", check_orgcode, values)
