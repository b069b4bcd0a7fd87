"""Dates as departments write them (日期).

Recognised forms (after the text rules of :mod:`shuzhi.standards.text`; spaces around 年/月/日
are dropped):

================================  ==============  =====================================
form                              format          notes
================================  ==============  =====================================
``2019-04-30`` ``2019-4-30``      ``iso``
``2019/4/30``                     ``slash``       the two separators must be the same
``2019.4.30``                     ``dot``
``20190430``                      ``compact``     also ``194912`` (month), ``1949`` (year)
``2019年4月30日`` (or 号)          ``chinese``     also ``1949年12月``, ``1949年``
``二〇一九年四月三十日``            ``chinese_numeral``  〇/零/○ and 一…九 for the year,
                                                  一…三十一 for month and day
``30/04/2019`` ``30.04.2019``     ``day_first``   only with ``dayfirst=True`` (a source
                                                  declares it); otherwise refused as
                                                  ambiguous (``date.ambiguous_day_first``)
``43585`` ``43585.75``            ``excel_serial`` Excel 1900 date system, see below
================================  ==============  =====================================

A time after the date (``2019-04-30 12:00:00``, ``2019-04-30T12:00:00+08:00``, ``2019/4/30 9:05``)
is accepted and dropped, with the note ``date.time_dropped``; an impossible time is refused.

Precision: ``day``, ``month`` or ``year``; ``normalized`` is ISO for that precision
(``2019-04-30``, ``1949-12``, ``1949``) and :class:`ParsedDate` ``value`` the first day of the
period. Years outside 1800–2199 are refused as implausible (``0001-01-01`` and
``9999-12-31`` are placeholders in many systems).

Excel serial numbers (1900 date system): serial 1 is 1900-01-01 and serial 60 the fictitious
1900-02-29 that Excel keeps for Lotus 1-2-3 compatibility, so serials from 61 on are days since
1899-12-30 (43585 = 2019-04-30). :func:`excel_serial_to_date` converts any serial 1–2958465.
As text, only five-digit serials (10000–99999: 1927-05-18 to 2173-10-13) are read as dates,
with an optional fraction (the time of day, dropped): shorter numbers are more likely codes
or years than dates from a spreadsheet.

SQL: ``sz_date_check(s)`` / ``sz_date_check_dayfirst(s)`` return the verdict struct,
``sz_date_parse(s)`` / ``sz_date_parse_dayfirst(s)`` the DATE (first day of the period) or NULL.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from shuzhi.standards._registry import CheckKind, Variant, register_kind
from shuzhi.standards._sql import macro
from shuzhi.standards._verdict import Verdict, precheck, register_reasons
from shuzhi.standards.text import (
    _placeholder,
    normalize_text,
    sql_early_verdict,
    sql_let,
    sql_notes,
    sql_parts,
    sql_str,
    sql_verdict,
)

__all__ = ["ParsedDate", "check_date", "excel_serial_to_date", "parse_date", "sql_plain_date"]

KIND = "date"
MIN_YEAR = 1800
MAX_YEAR = 2199
EXCEL_MAX_SERIAL = 2958465  # 9999-12-31

register_reasons(
    {
        "date.placeholder": ("日期填的是表示缺失的占位词", "the date is a placeholder meaning missing"),
        "date.unrecognized": (
            "无法识别的日期写法（可写作 2019-04-30、2019/4/30、20190430 或 2019年4月30日）",
            "unrecognised date (write e.g. 2019-04-30, 2019/4/30, 20190430 or 2019年4月30日)",
        ),
        "date.ambiguous_day_first": (
            "“日/月/年”写法有歧义：数据源未声明日在前，无法确定哪个是月",
            "day/month/year order is ambiguous: the source does not declare day-first dates",
        ),
        "date.out_of_range": (
            f"年份 {{year}} 不在合理范围内（{MIN_YEAR}–{MAX_YEAR}）",
            f"the year {{year}} is outside the plausible range ({MIN_YEAR}-{MAX_YEAR})",
        ),
        "date.bad_month": ("月份 {month} 不存在", "there is no month {month}"),
        "date.bad_day": ("{year} 年 {month} 月没有 {day} 日", "{year}-{month} has no day {day}"),
        "date.bad_time": ("日期后的时间不是有效时刻", "the time after the date is not a valid time of day"),
        "date.excel_serial": ("按 Excel 日期序号换算", "converted from an Excel serial number"),
        "date.day_first": ("按“日/月/年”顺序解读", "read as day/month/year"),
        "date.partial_month": ("日期只有年和月（精度：月）", "partial date: year and month only"),
        "date.partial_year": ("日期只有年份（精度：年）", "partial date: year only"),
        "date.time_dropped": ("已去掉日期后的时间", "the time after the date was dropped"),
    }
)

PARTS: tuple[tuple[str, str], ...] = (
    ("year", "INTEGER"),
    ("month", "INTEGER"),
    ("day", "INTEGER"),
    ("precision", "VARCHAR"),
    ("format", "VARCHAR"),
)

# Patterns shared by both forms (Python ``re`` and RE2 read them alike).
_ZH_YEAR_DIGITS = "〇零○一二三四五六七八九"
_ZH_YEAR_VALUES = "000123456789"
_ZH_NUMBERS = [
    *"一二三四五六七八九十",
    *(f"十{c}" for c in "一二三四五六七八九"),
    "二十",
    *(f"二十{c}" for c in "一二三四五六七八九"),
    "三十",
    "三十一",
]
_TIME_RE = (
    r"^(.+?)[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?(?: ?(?:Z|[+-][0-9]{2}:?[0-9]{2}))?$"
)
_YMD_RE = r"^([0-9]{4})([-/.])([0-9]{1,2})([-/.])([0-9]{1,2})$"
_YM_RE = r"^([0-9]{4})([-/.])([0-9]{1,2})$"
_COMPACT_RE = r"^([0-9]{4})([0-9]{2})?([0-9]{2})?$"
_ZH_FIELD = "([0-9]{1,2}|[一二三四五六七八九十]{1,3})"
_ZH_RE = f"^([0-9]{{4}}|[{_ZH_YEAR_DIGITS}]{{4}})年(?:{_ZH_FIELD}月(?:{_ZH_FIELD}[日号])?)?$"
_DMY_RE = r"^([0-9]{1,2})([-/.])([0-9]{1,2})([-/.])([0-9]{4})$"
_EXCEL_RE = r"^([1-9][0-9]{4})(\.[0-9]*)?$"
_SPACES_RE = " ?([年月日号]) ?"
_SEP_FORMAT = {"-": "iso", "/": "slash", ".": "dot"}


def excel_serial_to_date(serial: int) -> dt.date | None:
    """The date of an Excel serial number (1900 date system), None outside 1–2958465 and for 60
    (1900-02-29, which does not exist: Excel's Lotus 1-2-3 leap-year bug)."""
    if serial < 1 or serial > EXCEL_MAX_SERIAL or serial == 60:
        return None
    base = dt.date(1899, 12, 31) if serial < 60 else dt.date(1899, 12, 30)
    return base + dt.timedelta(days=serial)


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """A parsed date: ``value`` is the first day of the period (None when not a date)."""

    value: dt.date | None
    precision: str | None  # 'day' | 'month' | 'year'
    format: str | None
    normalized: str | None = None
    reason: str | None = None
    notes: tuple[str, ...] = ()
    year: int | None = None
    month: int | None = None
    day: int | None = None

    @property
    def valid(self) -> bool:
        return self.reason is None


def _zh_number(s: str) -> int | None:
    if s.isascii():
        return int(s)
    try:
        return _ZH_NUMBERS.index(s) + 1
    except ValueError:
        return None


def _g(m: re.Match[str], i: int) -> str:
    return m.group(i) or ""


def _fields(
    dp: str, dayfirst: bool, excel: bool
) -> tuple[int | None, int | None, int | None, str, str] | str:
    """(year, month, day, precision, format) of the date part, or a reason code."""
    m = re.match(_YMD_RE, dp)
    if m and m.group(2) == m.group(4):
        return int(m.group(1)), int(m.group(3)), int(m.group(5)), "day", _SEP_FORMAT[m.group(2)]
    m = re.match(_YM_RE, dp)
    if m:
        return int(m.group(1)), int(m.group(3)), None, "month", _SEP_FORMAT[m.group(2)]
    m = re.match(_COMPACT_RE, dp)
    if m and not (m.group(2) is None and m.group(3) is not None):
        month = int(m.group(2)) if m.group(2) else None
        day = int(m.group(3)) if m.group(3) else None
        precision = "day" if day is not None else "month" if month is not None else "year"
        return int(m.group(1)), month, day, precision, "compact"
    m = re.match(_ZH_RE, dp)
    if m:
        ys, ms, ds = _g(m, 1), _g(m, 2), _g(m, 3)
        year = int(ys.translate(str.maketrans(_ZH_YEAR_DIGITS, _ZH_YEAR_VALUES)))
        month = _zh_number(ms) if ms else None
        day = _zh_number(ds) if ds else None
        if (ms and month is None) or (ds and day is None):
            return "date.unrecognized"
        fmt = "chinese" if (ys + ms + ds).isascii() else "chinese_numeral"
        return year, month, day, "day" if ds else "month" if ms else "year", fmt
    m = re.match(_DMY_RE, dp)
    if m and m.group(2) == m.group(4):
        if not dayfirst:
            return "date.ambiguous_day_first"
        return int(m.group(5)), int(m.group(3)), int(m.group(1)), "day", "day_first"
    return "date.unrecognized"


def parse_date(value: object, *, dayfirst: bool = False, excel: bool = True) -> ParsedDate:
    """Parse what a department wrote as a date (see the module docstring); never raises.

    ``dayfirst``: the source declares ``DD/MM/YYYY``; ``excel``: read five-digit numbers as
    Excel serials. A :class:`datetime.date` (or datetime) is taken as it is.
    """
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return ParsedDate(
            value, "day", "date", value.isoformat(), None, (), value.year, value.month, value.day
        )
    v = _check(value, dayfirst=dayfirst, excel=excel)
    p = v.parts
    year, month, day = p.get("year"), p.get("month"), p.get("day")
    date_value = None
    if v.valid and isinstance(year, int):
        date_value = dt.date(year, month if isinstance(month, int) else 1, day if isinstance(day, int) else 1)
    return ParsedDate(
        date_value,
        p.get("precision"),
        p.get("format"),
        v.normalized,
        v.reason,
        v.notes,
        year if isinstance(year, int) else None,
        month if isinstance(month, int) else None,
        day if isinstance(day, int) else None,
    )


def _parts(**values: int | str | None) -> dict[str, int | str | None]:
    return {name: values.get(name) for name, _ in PARTS}


def _check(value: object, *, dayfirst: bool, excel: bool) -> Verdict:
    text, early = precheck(KIND, value)
    if early is not None:
        return early
    assert text is not None
    x = re.sub(_SPACES_RE, r"\1", normalize_text(text, simplify=False) or "")
    if x == "":
        return Verdict(KIND, text, False, reason="empty")
    if _placeholder(x, False):
        return Verdict(KIND, text, False, reason="date.placeholder", parts=_parts())
    dp, hh, mi, ss = x, None, None, None
    m = re.match(_TIME_RE, x)
    if m:
        dp, hh, mi, ss = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4) or 0)
    notes: list[str] = []
    m = re.match(_EXCEL_RE, x) if excel else None
    if m:
        serial = int(m.group(1))
        d = excel_serial_to_date(serial)
        assert d is not None  # five digits are always in range
        notes.append("date.excel_serial")
        if re.search("[1-9]", m.group(2) or ""):
            notes.append("date.time_dropped")
        parts = _parts(year=d.year, month=d.month, day=d.day, precision="day", format="excel_serial")
        return Verdict(KIND, text, True, d.isoformat(), notes=tuple(notes), parts=parts)
    f = _fields(dp, dayfirst, excel)
    if isinstance(f, str):
        return Verdict(KIND, text, False, reason=f, parts=_parts())
    year, month, day, precision, fmt = f
    parts = _parts(year=year, month=month, day=day, precision=precision, format=fmt)

    def bad(reason: str) -> Verdict:
        return Verdict(KIND, text, False, reason=reason, parts=parts)

    assert year is not None
    if not MIN_YEAR <= year <= MAX_YEAR:
        return bad("date.out_of_range")
    if month is not None and not 1 <= month <= 12:
        return bad("date.bad_month")
    if day is not None and month is not None and not 1 <= day <= calendar.monthrange(year, month)[1]:
        return bad("date.bad_day")
    if hh is not None and (hh > 23 or (mi or 0) > 59 or (ss or 0) > 59):
        return bad("date.bad_time")
    if fmt == "day_first":
        notes.append("date.day_first")
    if precision != "day":
        notes.append(f"date.partial_{precision}")
    if hh is not None:
        notes.append("date.time_dropped")
    normalized = (
        f"{year:04d}"
        + (f"-{month:02d}" if month is not None else "")
        + (f"-{day:02d}" if day is not None else "")
    )
    return Verdict(KIND, text, True, normalized, notes=tuple(notes), parts=parts)


def check_date(value: object) -> Verdict:
    """Check a date as written by a department (no day-first dates; Excel serials read)."""
    return _check(value, dayfirst=False, excel=True)


def check_date_dayfirst(value: object) -> Verdict:
    """:func:`check_date` for a source that declares ``DD/MM/YYYY`` dates."""
    return _check(value, dayfirst=True, excel=True)


register_kind(
    CheckKind(
        KIND,
        "日期",
        "date",
        check_date,
        "sz_date_check",
        variants={
            "dayfirst": Variant(
                "日在前（如 30/04/2019）",
                "day first (e.g. 30/04/2019)",
                check_date_dayfirst,
                "sz_date_check_dayfirst",
            )
        },
    )
)


# --------------------------------------------------------------------------------------------
# SQL form. Bound variables: sz_dx (cleaned text), sz_tm = {dp, hh, mi, ss}, sz_f = fields
# {y, m, d, prec, fmt, err}.


def _fields_sql(dp: str, dayfirst: bool) -> str:
    def rx(pattern: str, names: list[str]) -> str:
        return f"regexp_extract({dp}, '{pattern}', {names!r})"

    def st(y: str, m: str, d: str, prec: str, fmt: str, err: str = "NULL") -> str:
        return (
            f"{{'y': CAST({y} AS INTEGER), 'm': CAST({m} AS INTEGER), 'd': CAST({d} AS INTEGER),"
            f" 'prec': CAST({prec} AS VARCHAR), 'fmt': CAST({fmt} AS VARCHAR),"
            f" 'err': CAST({err} AS VARCHAR)}}"
        )

    def err(code: str) -> str:
        return st("NULL", "NULL", "NULL", "NULL", "NULL", sql_str(code))

    sep_fmt = "CASE sz_g.b WHEN '-' THEN 'iso' WHEN '/' THEN 'slash' ELSE 'dot' END"
    ymd_ok = st("sz_g.a", "sz_g.c", "sz_g.f", "'day'", sep_fmt)
    ymd = sql_let(
        rx(_YMD_RE, ["a", "b", "c", "e", "f"]),
        "sz_g",
        f"CASE WHEN sz_g.b = sz_g.e THEN {ymd_ok} ELSE {err('date.unrecognized')} END",
    )
    ym = sql_let(rx(_YM_RE, ["a", "b", "c"]), "sz_g", st("sz_g.a", "sz_g.c", "NULL", "'month'", sep_fmt))
    compact = sql_let(
        rx(_COMPACT_RE, ["a", "b", "c"]),
        "sz_g",
        st(
            "sz_g.a",
            "nullif(sz_g.b, '')",
            "nullif(sz_g.c, '')",
            "CASE WHEN sz_g.c <> '' THEN 'day' WHEN sz_g.b <> '' THEN 'month' ELSE 'year' END",
            "'compact'",
        ),
    )
    zh_list = "[" + ", ".join(sql_str(n) for n in _ZH_NUMBERS) + "]"

    def zh_num(v: str) -> str:
        return (
            f"CASE WHEN {v} = '' THEN NULL WHEN regexp_matches({v}, '^[0-9]+$') THEN CAST({v} AS INTEGER)"
            f" ELSE list_position({zh_list}, {v}) END"
        )

    zh = sql_let(
        rx(_ZH_RE, ["a", "b", "c"]),
        "sz_g",
        f"CASE WHEN (sz_g.b <> '' AND {zh_num('sz_g.b')} IS NULL)"
        f" OR (sz_g.c <> '' AND {zh_num('sz_g.c')} IS NULL)"
        f" THEN {err('date.unrecognized')} ELSE "
        + st(
            f"translate(sz_g.a, '{_ZH_YEAR_DIGITS}', '{_ZH_YEAR_VALUES}')",
            zh_num("sz_g.b"),
            zh_num("sz_g.c"),
            "CASE WHEN sz_g.c <> '' THEN 'day' WHEN sz_g.b <> '' THEN 'month' ELSE 'year' END",
            "CASE WHEN regexp_matches(sz_g.a || sz_g.b || sz_g.c, '^[0-9]*$')"
            " THEN 'chinese' ELSE 'chinese_numeral' END",
        )
        + " END",
    )
    dmy_ok = (
        st("sz_g.f", "sz_g.c", "sz_g.a", "'day'", "'day_first'")
        if dayfirst
        else err("date.ambiguous_day_first")
    )
    dmy = sql_let(
        rx(_DMY_RE, ["a", "b", "c", "e", "f"]),
        "sz_g",
        f"CASE WHEN sz_g.b = sz_g.e THEN {dmy_ok} ELSE {err('date.unrecognized')} END",
    )
    return (
        f"CASE WHEN regexp_matches({dp}, '{_YMD_RE}') THEN {ymd}"
        f" WHEN regexp_matches({dp}, '{_YM_RE}') THEN {ym}"
        f" WHEN regexp_matches({dp}, '{_COMPACT_RE}') THEN {compact}"
        f" WHEN regexp_matches({dp}, '{_ZH_RE}') THEN {zh}"
        f" WHEN regexp_matches({dp}, '{_DMY_RE}') THEN {dmy}"
        f" ELSE {err('date.unrecognized')} END"
    )


def _check_sql(dayfirst: bool) -> str:
    x = "sz_dx"
    parts_vals = {
        "year": "sz_f.y",
        "month": "sz_f.m",
        "day": "sz_f.d",
        "precision": "sz_f.prec",
        "format": "sz_f.fmt",
    }
    parts = sql_parts(PARTS, parts_vals)

    def bad(reason: str) -> str:
        return sql_verdict("FALSE", "NULL", sql_str(reason), "CAST([] AS VARCHAR[])", parts)

    normalized = (
        "lpad(CAST(sz_f.y AS VARCHAR), 4, '0') || coalesce('-' || lpad(CAST(sz_f.m AS VARCHAR), 2, '0'), '')"
        " || coalesce('-' || lpad(CAST(sz_f.d AS VARCHAR), 2, '0'), '')"
    )
    notes = sql_notes(
        [
            ("date.day_first", "sz_f.fmt = 'day_first'"),
            ("date.partial_month", "sz_f.prec = 'month'"),
            ("date.partial_year", "sz_f.prec = 'year'"),
            ("date.time_dropped", "sz_tm.hh IS NOT NULL"),
        ]
    )
    not_parsed = sql_verdict("FALSE", "NULL", "sz_f.err", "CAST([] AS VARCHAR[])", sql_parts(PARTS, {}))
    validate = (
        f"CASE WHEN sz_f.err IS NOT NULL THEN {not_parsed}"
        f" WHEN sz_f.y NOT BETWEEN {MIN_YEAR} AND {MAX_YEAR} THEN {bad('date.out_of_range')}"
        f" WHEN sz_f.m IS NOT NULL AND sz_f.m NOT BETWEEN 1 AND 12 THEN {bad('date.bad_month')}"
        f" WHEN sz_f.d IS NOT NULL AND sz_f.d NOT BETWEEN 1 AND day(last_day(make_date(sz_f.y, sz_f.m, 1)))"
        f" THEN {bad('date.bad_day')}"
        f" WHEN sz_tm.hh > 23 OR sz_tm.mi > 59 OR sz_tm.ss > 59 THEN {bad('date.bad_time')}"
        f" ELSE {sql_verdict('TRUE', normalized, 'NULL', notes, parts)} END"
    )
    time_split = (
        f"CASE WHEN regexp_matches({x}, '{_TIME_RE}') THEN"
        f" list_transform([regexp_extract({x}, '{_TIME_RE}', ['dp', 'hh', 'mi', 'ss'])],"
        " lambda sz_t: {'dp': sz_t.dp, 'hh': CAST(sz_t.hh AS INTEGER), 'mi': CAST(sz_t.mi AS INTEGER),"
        " 'ss': CAST(coalesce(nullif(sz_t.ss, ''), '0') AS INTEGER)})[1]"
        f" ELSE {{'dp': {x}, 'hh': CAST(NULL AS INTEGER), 'mi': CAST(NULL AS INTEGER),"
        " 'ss': CAST(NULL AS INTEGER)} END"
    )
    excel_parts = sql_parts(
        PARTS,
        {
            "year": "year(sz_xd)",
            "month": "month(sz_xd)",
            "day": "day(sz_xd)",
            "precision": "'day'",
            "format": "'excel_serial'",
        },
    )
    excel_notes = sql_notes(
        [
            ("date.excel_serial", "TRUE"),
            ("date.time_dropped", f"regexp_matches(regexp_extract({x}, '{_EXCEL_RE}', 2), '[1-9]')"),
        ]
    )
    excel = sql_let(
        f"DATE '1899-12-30' + CAST(regexp_extract({x}, '{_EXCEL_RE}', 1) AS INTEGER)",
        "sz_xd",
        sql_verdict("TRUE", "strftime(sz_xd, '%Y-%m-%d')", "NULL", excel_notes, excel_parts),
    )
    parsed = sql_let(_fields_sql("sz_tm.dp", dayfirst), "sz_f", validate)
    empty = sql_early_verdict("'empty'", PARTS)
    placeholder = sql_verdict(
        "FALSE", "NULL", "'date.placeholder'", "CAST([] AS VARCHAR[])", sql_parts(PARTS, {})
    )
    body = (
        f"CASE WHEN {x} = '' THEN {empty}"
        f" WHEN sz_text__placeholder({x}) THEN {placeholder}"
        f" WHEN regexp_matches({x}, '{_EXCEL_RE}') THEN {excel}"
        f" ELSE {sql_let(time_split, 'sz_tm', parsed)} END"
    )
    cleaned = f"regexp_replace(sz_text_basic(s), '{_SPACES_RE}', '\\1', 'g')"
    prechecked = sql_early_verdict("sz_precheck(s)", PARTS)
    return (
        f"CASE WHEN sz_precheck(s) IS NOT NULL THEN {prechecked} ELSE {sql_let(cleaned, 'sz_dx', body)} END"
    )


macro("sz_date_check", ["s"], _check_sql(False), "verdict of a date (the SQL twin of check_date)")
macro(
    "sz_date_check_dayfirst",
    ["s"],
    _check_sql(True),
    "verdict of a date from a source that declares DD/MM/YYYY (the SQL twin of check_date_dayfirst)",
)
#: the years sz_date_check accepts, as a regular expression (1800-2199)
_YEAR_RE = "(?:1[89][0-9]{2}|2[01][0-9]{2})"
assert (MIN_YEAR, MAX_YEAR) == (1800, 2199), "update _YEAR_RE"
#: the plain forms: (pattern, strptime format)
_PLAIN_FORMS = (
    (f"{_YEAR_RE}-[0-9]{{1,2}}-[0-9]{{1,2}}", "%Y-%m-%d"),
    (f"{_YEAR_RE}/[0-9]{{1,2}}/[0-9]{{1,2}}", "%Y/%m/%d"),
    (f"{_YEAR_RE}[0-9]{{4}}", "%Y%m%d"),
    (f"{_YEAR_RE}年[0-9]{{1,2}}月[0-9]{{1,2}}日", "%Y年%m月%d日"),
)


def sql_plain_date(m: str) -> str:
    """SQL: the DATE of the text expression ``m`` when it is a day written in a plain form
    (2019-04-30, 2019-4-30, 2019/4/30, 20190430, 2019年4月30日) of a year sz_date_check accepts,
    else NULL. For such a value sz_date_check answers valid, that day in ISO form as normalized
    and no notes; bulk cleansing takes this answer without the parse. A sufficient condition only:
    other values (another form, an impossible day) go through the check."""
    whens = " ".join(
        f"WHEN regexp_full_match({m}, '{pattern}') THEN try_strptime({m}, '{fmt}')"
        for pattern, fmt in _PLAIN_FORMS
    )
    return f"CAST(CASE {whens} END AS DATE)"


_PARSE = (
    "list_transform([{check}], lambda sz_v: CASE WHEN sz_v.valid THEN"
    " make_date(sz_v.parts.year, coalesce(sz_v.parts.month, 1), coalesce(sz_v.parts.day, 1)) END)[1]"
)
macro(
    "sz_date_parse",
    ["s"],
    _PARSE.format(check="sz_date_check(s)"),
    "DATE of s (first day of a partial date) or NULL",
)
macro(
    "sz_date_parse_dayfirst",
    ["s"],
    _PARSE.format(check="sz_date_check_dayfirst(s)"),
    "sz_date_parse for a source that declares DD/MM/YYYY",
)
