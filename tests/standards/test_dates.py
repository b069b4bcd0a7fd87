"""Dates: parse_date / check_date, SQL forms (sz_date_check, sz_date_parse) and their agreement."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from _agree import same
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuzhi.standards import KINDS, check_many
from shuzhi.standards import dates as D
from shuzhi.standards._verdict import REASONS, Verdict

# each check_many call plans the whole macro (about a second), so few large batches
SETTINGS = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def test_registered() -> None:
    assert KINDS["date"].sql_check == "sz_date_check"


# --- worked examples -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "fmt"),
    [
        ("2019-04-30", "iso"),
        ("2019-4-30", "iso"),
        ("2019/4/30", "slash"),
        ("2019/04/30", "slash"),
        ("2019.4.30", "dot"),
        ("20190430", "compact"),
        ("2019年4月30日", "chinese"),
        ("2019年04月30号", "chinese"),
        ("2019 年 4 月 30 日", "chinese"),
        ("二〇一九年四月三十日", "chinese_numeral"),
        ("二零一九年四月三十日", "chinese_numeral"),
        ("2019年四月三十日", "chinese_numeral"),
        ("４３５８５", "excel_serial"),
        ("43585", "excel_serial"),
        ("２０１９－０４－３０", "iso"),
    ],
)
def test_day_precision(raw: str, fmt: str) -> None:
    v = D.check_date(raw)
    assert v.valid, v
    assert v.normalized == "2019-04-30"
    assert v.parts == {"year": 2019, "month": 4, "day": 30, "precision": "day", "format": fmt}
    p = D.parse_date(raw)
    assert p.value == dt.date(2019, 4, 30) and p.precision == "day" and p.format == fmt


def test_excel_serial() -> None:
    v = D.check_date("43585")
    assert v.notes == ("date.excel_serial",)
    assert D.check_date(43585).normalized == "2019-04-30"  # an int, as a spreadsheet reader gives it
    assert D.check_date("43585.75").notes == ("date.excel_serial", "date.time_dropped")
    assert D.check_date("43585.0").notes == ("date.excel_serial",)
    assert D.parse_date("43585", excel=False).reason == "date.unrecognized"
    assert D.check_date("4358").reason == "date.out_of_range"  # four digits are a year


def test_excel_1900_leap_year_bug() -> None:
    assert D.excel_serial_to_date(1) == dt.date(1900, 1, 1)
    assert D.excel_serial_to_date(59) == dt.date(1900, 2, 28)
    assert D.excel_serial_to_date(60) is None  # 1900-02-29 never existed
    assert D.excel_serial_to_date(61) == dt.date(1900, 3, 1)
    assert D.excel_serial_to_date(43585) == dt.date(2019, 4, 30)
    assert D.excel_serial_to_date(2958465) == dt.date(9999, 12, 31)
    assert D.excel_serial_to_date(0) is None and D.excel_serial_to_date(2958466) is None
    # five-digit serials only, as text: 1927-05-18 .. 2173-10-13
    assert D.check_date("10000").normalized == "1927-05-18"
    assert D.check_date("99999").normalized == "2173-10-13"
    assert D.check_date("09999").reason == "date.unrecognized"


@pytest.mark.parametrize(
    ("raw", "normalized", "precision", "note"),
    [
        ("1949年", "1949", "year", "date.partial_year"),
        ("1949", "1949", "year", "date.partial_year"),
        ("1949-12", "1949-12", "month", "date.partial_month"),
        ("1949/12", "1949-12", "month", "date.partial_month"),
        ("1949年12月", "1949-12", "month", "date.partial_month"),
        ("194912", "1949-12", "month", "date.partial_month"),
        ("一九四九年十月", "1949-10", "month", "date.partial_month"),
    ],
)
def test_partial_dates(raw: str, normalized: str, precision: str, note: str) -> None:
    v = D.check_date(raw)
    assert v.valid and v.normalized == normalized and v.parts["precision"] == precision
    assert v.notes == (note,)
    p = D.parse_date(raw)
    assert p.value == dt.date(int(normalized[:4]), int(normalized[5:7] or 1), 1)


@pytest.mark.parametrize(
    "raw",
    ["2019-04-30 12:00:00", "2019-04-30T12:00:00", "2019-04-30T12:00:00Z", "2019-04-30T12:00:00+08:00",
     "2019-04-30 12:00", "2019/4/30 9:05", "2019-04-30 23:59:59.123", "20190430 08:00"],
)  # fmt: skip
def test_time_dropped(raw: str) -> None:
    v = D.check_date(raw)
    assert v.valid and v.normalized == "2019-04-30"
    assert v.notes == ("date.time_dropped",)


def test_day_first_only_when_declared() -> None:
    v = D.check_date("30/04/2019")
    assert not v.valid and v.reason == "date.ambiguous_day_first"
    p = D.parse_date("30/04/2019", dayfirst=True)
    assert p.value == dt.date(2019, 4, 30) and p.format == "day_first" and p.notes == ("date.day_first",)
    assert D.check_date_dayfirst("30.04.2019").normalized == "2019-04-30"
    assert D.check_date_dayfirst("2019-04-30").normalized == "2019-04-30"  # ISO still fine
    assert D.check_date_dayfirst("04/30/2019").reason == "date.bad_month"


@pytest.mark.parametrize(
    ("raw", "reason", "zh", "en"),
    [
        ("2019-02-30", "date.bad_day", "2019 年 2 月没有 30 日", "2019-2 has no day 30"),
        ("2019-02-29", "date.bad_day", "2019 年 2 月没有 29 日", "has no day 29"),
        ("2019-04-31", "date.bad_day", "4 月没有 31 日", "has no day 31"),
        ("2019年2月0日", "date.bad_day", "没有 0 日", "no day 0"),
        ("2019-13-01", "date.bad_month", "月份 13 不存在", "there is no month 13"),
        ("2019-00", "date.bad_month", "月份 0 不存在", "no month 0"),
        ("0001-01-01", "date.out_of_range", "年份 1 不在合理范围内", "the year 1 is outside"),
        ("9999-12-31", "date.out_of_range", "年份 9999", "9999"),
        ("2019-04-30 25:00", "date.bad_time", "不是有效时刻", "not a valid time"),
        ("30/04/2019", "date.ambiguous_day_first", "歧义", "ambiguous"),
        ("2019-04/30", "date.unrecognized", "无法识别", "unrecognised"),
        ("昨天", "date.unrecognized", "无法识别", "unrecognised"),
        ("2019年十十月", "date.unrecognized", "无法识别", "unrecognised"),
        ("19-04-30", "date.unrecognized", "无法识别", "unrecognised"),
        ("不详", "date.placeholder", "占位词", "placeholder"),
    ],
)
def test_reasons(raw: str, reason: str, zh: str, en: str) -> None:
    v = D.check_date(raw)
    assert not v.valid and v.reason == reason
    assert zh in v.message("zh")
    assert en in v.message("en")
    assert "{" not in v.message("zh") + v.message("en")


def test_leap_day() -> None:
    assert D.check_date("2020-02-29").valid
    assert D.check_date("2000-02-29").valid
    assert not D.check_date("1900-02-29").valid


def test_every_reason_and_note_has_both_languages() -> None:
    codes = [c for c in REASONS if c.startswith("date.")]
    assert len(codes) == 12
    for c in codes:
        zh, en = REASONS[c]
        assert zh and en and zh != en


def test_parse_date_accepts_date_objects() -> None:
    assert D.parse_date(dt.date(2019, 4, 30)).normalized == "2019-04-30"
    assert D.parse_date(dt.datetime(2019, 4, 30, 12, 0)).value == dt.date(2019, 4, 30)


@pytest.mark.parametrize(
    "bad",
    [None, "", "   ", "１２３", "abc张三", "😀", "x" * 10_000, 123, 12.5, True, b"2019", object(), "\ud800"],
)
def test_bad_input_never_raises(bad: object) -> None:
    v = D.check_date(bad)
    assert isinstance(v, Verdict)
    v.message("zh")
    v.message("en")
    p = D.parse_date(bad)
    assert p.value is None or isinstance(p.value, dt.date)
    D.parse_date(bad, dayfirst=True, excel=False)


# --- SQL form --------------------------------------------------------------------------------


def test_sql_parse(con: Any) -> None:
    row = con.execute(
        "SELECT sz_date_parse('2019年4月30日'), sz_date_parse('1949年'), sz_date_parse('2019-02-30'),"
        " sz_date_parse('30/04/2019'), sz_date_parse_dayfirst('30/04/2019'), sz_date_parse(NULL)"
    ).fetchone()
    assert row == (dt.date(2019, 4, 30), dt.date(1949, 1, 1), None, None, dt.date(2019, 4, 30), None)


def test_sql_examples(con: Any) -> None:
    values: list[str | None] = [
        "2019-04-30",
        "2019/4/30",
        "二〇一九年四月三十日",
        "43585.75",
        "1949年",
        "194912",
        "2019-04-30T12:00:00+08:00",
        "2019-02-30",
        "30/04/2019",
        "无",
        "",
        None,
        "x" * 1001,
    ]
    for p, s in zip(map(D.check_date, values), check_many("date", values, con=con), strict=True):
        assert same(p, s), (p, s)
    for p, s in zip(
        map(D.check_date_dayfirst, values),
        check_many("date", values, con=con, variant="dayfirst"),
        strict=True,
    ):
        assert same(p, s), (p, s)


_ZH_DIGITS = "〇一二三四五六七八九"
_ZH_NUM = ["", *D._ZH_NUMBERS]


def _zh_year(y: int) -> str:
    return "".join(_ZH_DIGITS[int(c)] for c in f"{y:04d}")


@st.composite
def date_like(draw: st.DrawFn) -> str:
    y = draw(st.one_of(st.integers(1790, 2210), st.integers(0, 9999)))
    m = draw(st.integers(0, 13))
    d = draw(st.integers(0, 32))
    form = draw(st.sampled_from(["sep", "compact", "zh", "zhnum", "dmy", "excel", "partial", "junk"]))
    if form == "sep":
        s1 = draw(st.sampled_from("-/."))
        s2 = s1 if draw(st.integers(0, 4)) else draw(st.sampled_from("-/."))
        fmt = draw(st.sampled_from(["{y}{s1}{m}{s2}{d}", "{y}{s1}{m:02d}{s2}{d:02d}"]))
        s = fmt.format(y=f"{y:04d}", m=m, d=d, s1=s1, s2=s2)
    elif form == "compact":
        s = f"{y:04d}{m:02d}{d:02d}"[: draw(st.sampled_from([4, 6, 8, 7]))]
    elif form == "zh":
        s = f"{y}年{m}月{d}日"[: draw(st.integers(4, 12))]
    elif form == "zhnum":
        s = f"{_zh_year(y)}年{_ZH_NUM[min(m, 31)]}月{_ZH_NUM[min(d, 31)]}日"
    elif form == "dmy":
        s = f"{d:02d}{draw(st.sampled_from('/.-'))}{m:02d}{draw(st.sampled_from('/.-'))}{y:04d}"
    elif form == "excel":
        s = str(draw(st.integers(0, 200_000))) + draw(st.sampled_from(["", "", ".0", ".5", "."]))
    elif form == "partial":
        s = draw(st.sampled_from([f"{y:04d}", f"{y}年", f"{y:04d}-{m}", f"{y}年{m}月"]))
    else:
        s = draw(st.text(alphabet="0123456789-/.年月日号 T:+Z〇一二十", max_size=14))
    if form != "junk" and draw(st.integers(0, 3)) == 0:
        s += draw(
            st.sampled_from([" 12:00:00", "T08:30", " 25:00", " 9:5", "T12:00:00+08:00", " 12:00:00.5", "Z"])
        )
    if draw(st.integers(0, 5)) == 0:
        s = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)
    if draw(st.integers(0, 5)) == 0:
        s = f" {s}\u3000"
    return s


date_values = st.lists(st.one_of(date_like(), st.none(), st.text(max_size=8)), min_size=100, max_size=400)


@SETTINGS
@given(date_values)
def test_sql_agrees_with_python(con: Any, values: list[str | None]) -> None:
    for p, s in zip(map(D.check_date, values), check_many("date", values, con=con), strict=True):
        assert same(p, s), (p, s)


@SETTINGS
@given(date_values)
def test_sql_agrees_with_python_dayfirst(con: Any, values: list[str | None]) -> None:
    checked = check_many("date", values, con=con, variant="dayfirst")
    for p, s in zip(map(D.check_date_dayfirst, values), checked, strict=True):
        assert same(p, s), (p, s)
