"""Telephone numbers (联系电话): mainland mobile and fixed-line numbers.

Cleaning, in order: the text rules of :mod:`shuzhi.standards.text` (full-width digits, odd
spaces, zero-width characters); an extension written ``转``/``分机``/``ext``/``x``/``#`` followed
by digits, or as a third dash group after a landline (``0356-2021234-801``); spaces, dashes,
dots and brackets removed; the country code ``+86``/``0086`` (or a bare ``86`` in front of a
complete mobile or ``0``-prefixed landline number) removed, putting back the trunk ``0`` of a
landline written internationally (``+86 356 2021234`` → ``0356-2021234``).

Accepted:

* mobile: 11 digits ``1[3-9]\\d{9}``; normalised as the 11 digits;
* landline: area code + local number. Area codes are ``010``, ``02X`` (three digits) and
  ``0XXX`` (four digits) and must be in ``data/phone_area_codes.csv`` (321 codes, from
  libphonenumber's metadata), which also gives the local number's length for that area (7 or
  8 digits; a local number never starts with 0 or 1). Normalised ``0356-2021234``, with an
  extension ``0356-2021234-801`` (dash form: it is what clerks write and it parses back);
* service numbers ``400``/``800`` + 7 digits, normalised as the 10 digits.

Several numbers in one field (``138.../139...``) are refused with ``phone.multiple``.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

from shuzhi.standards._registry import CheckKind, register_kind
from shuzhi.standards._sql import lookup_table, macro
from shuzhi.standards._verdict import Verdict, precheck, register_reasons
from shuzhi.standards.text import (
    HAN_RANGES,
    _placeholder,
    normalize_text,
    py_class,
    sql_class,
    sql_early_verdict,
    sql_let,
    sql_notes,
    sql_parts,
    sql_str,
    sql_verdict,
)

__all__ = ["area_codes", "check_phone"]

KIND = "phone"
MAX_EXTENSION = 6

register_reasons(
    {
        "phone.placeholder": (
            "电话填的是表示缺失的占位词",
            "the phone number is a placeholder meaning missing",
        ),
        "phone.multiple": (
            "一个字段里填了多个号码，请分开填写",
            "several numbers in one field; enter one per field",
        ),
        "phone.letters": ("号码中含有字母或汉字", "the number contains letters or Chinese characters"),
        "phone.bad_chars": (
            "号码中含有不应出现的字符“{bad_char}”",
            "the number contains the character '{bad_char}'",
        ),
        "phone.foreign": (
            "不是中国大陆号码（国家代码不是 +86）",
            "not a mainland China number (the country code is not +86)",
        ),
        "phone.wrong_length": (
            "号码位数不对（{digits} 位）：手机号 11 位，固定电话为区号加 7～8 位号码",
            "wrong number of digits ({digits}): a mobile has 11, a landline an area code and 7-8 digits",
        ),
        "phone.bad_mobile_prefix": (
            "{segment} 不是手机号段（手机号以 13～19 开头）",
            "{segment} is not a mobile prefix (mobiles start with 13-19)",
        ),
        "phone.missing_area_code": (
            "固定电话缺少区号（只有 {digits} 位本地号码）",
            "the landline lacks its area code (only {digits} local digits)",
        ),
        "phone.bad_area_code": (
            "区号 {area_code} 不是国内长途区号",
            "{area_code} is not a Chinese area code",
        ),
        "phone.bad_local_number": (
            "本地号码 {local_number} 不能以 0 或 1 开头",
            "the local number {local_number} cannot start with 0 or 1",
        ),
        "phone.wrong_local_length": (
            "区号 {area_code} 的本地号码应为 {expected_length} 位，这里是 {local_length} 位",
            "local numbers of area code {area_code} have {expected_length} digits, not {local_length}",
        ),
        "phone.bad_extension": (
            "分机号不对（只有固定电话可带分机，最多 6 位）",
            "bad extension (only landlines have one, at most 6 digits)",
        ),
        "phone.country_code_removed": ("已去掉国家代码 +86", "country code +86 removed"),
    }
)

PARTS: tuple[tuple[str, str], ...] = (
    ("type", "VARCHAR"),
    ("number", "VARCHAR"),
    ("area_code", "VARCHAR"),
    ("local_number", "VARCHAR"),
    ("extension", "VARCHAR"),
    ("segment", "VARCHAR"),
    ("digits", "INTEGER"),
    ("local_length", "INTEGER"),
    ("expected_length", "VARCHAR"),
    ("bad_char", "VARCHAR"),
)


@cache
def area_codes() -> dict[str, str]:
    """Area code (with its ``0``) → local number length(s): ``"7"``, ``"8"`` or ``"7/8"``."""
    text = resources.files("shuzhi.standards").joinpath("data/phone_area_codes.csv").read_text("utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return {r["area_code"]: r["local_lengths"] for r in csv.DictReader(lines)}


# Patterns shared by both forms (written so that Python ``re`` and RE2 read them alike).
_SEPARATORS = "[,;/、|]+"
_EXT_RE = r"^(.*?) ?(?:转|分机|[Ee][Xx][Tt]\.?|[Xx]|#) ?([0-9]+)$"
_DASH_EXT_RE = r"^(\(?0[0-9]{2,3}\)?[ \-]?[0-9]{7,8})[ \-]([0-9]{1,6})$"
_ALLOWED = r"[^0-9 +\-().]"
_STRIP = r"[ \-().]"

_PY_LETTERS = re.compile("[A-Za-z]|" + py_class(HAN_RANGES))
_SQL_LETTERS = "[A-Za-z]|" + sql_class(HAN_RANGES)


def _parts(**values: str | int | None) -> dict[str, str | int | None]:
    return {name: values.get(name) for name, _ in PARTS}


def check_phone(value: object) -> Verdict:
    """Check a mainland telephone number (see the module docstring)."""
    text, early = precheck(KIND, value)
    if early is not None:
        return early
    assert text is not None
    x = normalize_text(text, simplify=False) or ""
    if x == "":
        return Verdict(KIND, text, False, reason="empty")

    def bad(reason: str, **parts: str | int | None) -> Verdict:
        return Verdict(KIND, text, False, reason=reason, parts=_parts(**parts))

    if _placeholder(x, False):
        return bad("phone.placeholder")
    pieces = re.split(_SEPARATORS, x)
    if sum(1 for p in pieces if len(re.sub("[^0-9]", "", p)) >= 7) >= 2:
        return bad("phone.multiple")
    main, ext = x, None
    m = re.match(_EXT_RE, x)
    if m:
        main, ext = m.group(1), m.group(2)
    else:
        m = re.match(_DASH_EXT_RE, x)
        if m:
            main, ext = m.group(1), m.group(2)
    if _PY_LETTERS.search(main):
        return bad("phone.letters")
    m = re.search(_ALLOWED, main)
    if m:
        return bad("phone.bad_chars", bad_char=m.group())
    y = re.sub(_STRIP, "", main)
    plus = y.startswith("+")
    rest = y[1:] if plus else y
    if rest == "":
        return bad("phone.wrong_length", digits=0)
    m = re.search("[^0-9]", rest)
    if m:
        return bad("phone.bad_chars", bad_char=m.group())
    if plus and not rest.startswith("86"):
        return bad("phone.foreign")
    d, intl = rest, False
    if plus:
        d, intl = rest[2:], True
    elif rest.startswith("0086"):
        d, intl = rest[4:], True
    elif rest.startswith("86") and len(rest) == 13 and rest[2] == "1":
        d, intl = rest[2:], True
    elif rest.startswith("860") and len(rest) in (13, 14):
        d, intl = rest[2:], True
    if intl and d != "" and not d.startswith("0") and not (d.startswith("1") and len(d) == 11):
        d = "0" + d
    notes = ("phone.country_code_removed",) if intl else ()
    n = len(d)
    if d.startswith("1"):
        if n != 11:
            return bad("phone.wrong_length", digits=n)
        if not re.match("^1[3-9]", d):
            return bad("phone.bad_mobile_prefix", segment=d[:3], digits=n)
        if ext is not None:
            return bad("phone.bad_extension", extension=ext)
        return Verdict(
            KIND, text, True, d, notes=notes, parts=_parts(type="mobile", number=d, segment=d[:3], digits=n)
        )
    if d.startswith(("400", "800")):
        if n != 10:
            return bad("phone.wrong_length", digits=n)
        if ext is not None:
            return bad("phone.bad_extension", extension=ext)
        return Verdict(KIND, text, True, d, notes=notes, parts=_parts(type="service", number=d, digits=n))
    if d.startswith("0"):
        area = d[:3] if d[1:2] in ("1", "2") else d[:4]
        local = d[len(area) :]
        lengths = area_codes().get(area)
        if lengths is None:
            return bad("phone.bad_area_code", area_code=area, digits=n)
        if local == "":
            return bad("phone.wrong_length", digits=n)
        if local[0] in "01":
            return bad("phone.bad_local_number", area_code=area, local_number=local, digits=n)
        if str(len(local)) not in lengths.split("/"):
            return bad(
                "phone.wrong_local_length",
                area_code=area,
                local_number=local,
                digits=n,
                local_length=len(local),
                expected_length=lengths,
            )
        if ext is not None and len(ext) > MAX_EXTENSION:
            return bad("phone.bad_extension", extension=ext)
        normalized = f"{area}-{local}" + (f"-{ext}" if ext is not None else "")
        parts = _parts(
            type="landline", number=area + local, area_code=area, local_number=local, extension=ext, digits=n
        )
        return Verdict(KIND, text, True, normalized, notes=notes, parts=parts)
    if n in (7, 8):
        return bad("phone.missing_area_code", digits=n)
    return bad("phone.wrong_length", digits=n)


register_kind(CheckKind(KIND, "电话号码", "telephone number", check_phone, "sz_phone_check"))


# --------------------------------------------------------------------------------------------
# SQL form (the same steps; bound variables: sz_ph = {x, ac}, sz_e = {main, ext}, sz_y, sz_r,
# sz_d = {d, intl})

lookup_table(
    "sz_phone_area_codes",
    [("sz_pa_code", "VARCHAR"), ("sz_pa_lengths", "VARCHAR")],
    lambda: sorted(area_codes().items()),
    "Chinese area codes and the length(s) of their local numbers",
)


def _bad(reason: str, **parts: str) -> str:
    return sql_verdict("FALSE", "NULL", sql_str(reason), "CAST([] AS VARCHAR[])", sql_parts(PARTS, parts))


def _ok(normalized: str, parts: dict[str, str]) -> str:
    notes = sql_notes([("phone.country_code_removed", "sz_d.intl")])
    return sql_verdict("TRUE", normalized, "NULL", notes, sql_parts(PARTS, parts))


def _classify() -> str:
    d = "sz_d.d"
    n = f"length({d})"
    ext = "sz_e.ext"
    segment = f"left({d}, 3)"
    bad_prefix = _bad("phone.bad_mobile_prefix", segment=segment, digits=n)
    mobile_ok = _ok(d, {"type": "'mobile'", "number": d, "segment": segment, "digits": n})
    mobile = (
        f"CASE WHEN {n} <> 11 THEN {_bad('phone.wrong_length', digits=n)}"
        f" WHEN NOT regexp_matches({d}, '^1[3-9]') THEN {bad_prefix}"
        f" WHEN {ext} IS NOT NULL THEN {_bad('phone.bad_extension', extension=ext)}"
        f" ELSE {mobile_ok} END"
    )
    service_ok = _ok(d, {"type": "'service'", "number": d, "digits": n})
    service = (
        f"CASE WHEN {n} <> 10 THEN {_bad('phone.wrong_length', digits=n)}"
        f" WHEN {ext} IS NOT NULL THEN {_bad('phone.bad_extension', extension=ext)}"
        f" ELSE {service_ok} END"
    )
    area = "sz_a.area"
    local = "sz_a.local"
    lengths = "sz_a.lengths"
    normalized = f"{area} || '-' || {local} || coalesce('-' || {ext}, '')"
    landline_parts = {
        "type": "'landline'",
        "number": f"{area} || {local}",
        "area_code": area,
        "local_number": local,
        "extension": ext,
        "digits": n,
    }
    wrong_local = _bad(
        "phone.wrong_local_length",
        area_code=area,
        local_number=local,
        digits=n,
        local_length=f"length({local})",
        expected_length=lengths,
    )
    landline_checks = (
        f"CASE WHEN {lengths} IS NULL THEN {_bad('phone.bad_area_code', area_code=area, digits=n)}"
        f" WHEN {local} = '' THEN {_bad('phone.wrong_length', digits=n)}"
        f" WHEN left({local}, 1) IN ('0', '1')"
        f" THEN {_bad('phone.bad_local_number', area_code=area, local_number=local, digits=n)}"
        f" WHEN NOT list_contains(string_split({lengths}, '/'), CAST(length({local}) AS VARCHAR))"
        f" THEN {wrong_local}"
        f" WHEN {ext} IS NOT NULL AND length({ext}) > {MAX_EXTENSION}"
        f" THEN {_bad('phone.bad_extension', extension=ext)}"
        f" ELSE {_ok(normalized, landline_parts)} END"
    )
    area_expr = f"CASE WHEN substring({d}, 2, 1) IN ('1', '2') THEN left({d}, 3) ELSE left({d}, 4) END"
    landline = sql_let(
        area_expr,
        "sz_ar",
        sql_let(
            f"{{'area': sz_ar, 'local': substring({d}, length(sz_ar) + 1), 'lengths': sz_ph.ac[sz_ar]}}",
            "sz_a",
            landline_checks,
        ),
    )
    return (
        f"CASE WHEN starts_with({d}, '1') THEN {mobile}"
        f" WHEN starts_with({d}, '400') OR starts_with({d}, '800') THEN {service}"
        f" WHEN starts_with({d}, '0') THEN {landline}"
        f" WHEN {n} IN (7, 8) THEN {_bad('phone.missing_area_code', digits=n)}"
        f" ELSE {_bad('phone.wrong_length', digits=n)} END"
    )


def _body() -> str:
    x = "sz_ph.x"
    multiple = (
        f"len(list_filter(regexp_split_to_array({x}, '{_SEPARATORS}'),"
        f" lambda sz_p: length(regexp_replace(sz_p, '[^0-9]', '', 'g')) >= 7)) >= 2"
    )
    ext_split = (
        f"CASE WHEN regexp_matches({x}, '{_EXT_RE}') THEN {{'main': regexp_extract({x}, '{_EXT_RE}', 1),"
        f" 'ext': regexp_extract({x}, '{_EXT_RE}', 2)}}"
        f" WHEN regexp_matches({x}, '{_DASH_EXT_RE}')"
        f" THEN {{'main': regexp_extract({x}, '{_DASH_EXT_RE}', 1),"
        f" 'ext': regexp_extract({x}, '{_DASH_EXT_RE}', 2)}}"
        f" ELSE {{'main': {x}, 'ext': CAST(NULL AS VARCHAR)}} END"
    )
    intl = (
        "CASE WHEN starts_with(sz_y, '+') THEN {'d': substring(sz_r, 3), 'intl': TRUE}"
        " WHEN starts_with(sz_r, '0086') THEN {'d': substring(sz_r, 5), 'intl': TRUE}"
        " WHEN starts_with(sz_r, '86') AND length(sz_r) = 13 AND substring(sz_r, 3, 1) = '1'"
        " THEN {'d': substring(sz_r, 3), 'intl': TRUE}"
        " WHEN starts_with(sz_r, '860') AND length(sz_r) IN (13, 14)"
        " THEN {'d': substring(sz_r, 3), 'intl': TRUE}"
        " ELSE {'d': sz_r, 'intl': FALSE} END"
    )
    trunk = (
        "{'d': CASE WHEN sz_i.intl AND sz_i.d <> '' AND NOT starts_with(sz_i.d, '0')"
        " AND NOT (starts_with(sz_i.d, '1') AND length(sz_i.d) = 11) THEN '0' || sz_i.d ELSE sz_i.d END,"
        " 'intl': sz_i.intl}"
    )
    digits = (
        "CASE WHEN sz_r = '' THEN " + _bad("phone.wrong_length", digits="0")
        + " WHEN regexp_matches(sz_r, '[^0-9]') THEN "
        + _bad("phone.bad_chars", bad_char="regexp_extract(sz_r, '[^0-9]')")
        + " WHEN starts_with(sz_y, '+') AND NOT starts_with(sz_r, '86') THEN " + _bad("phone.foreign")
        + " ELSE " + sql_let(sql_let(intl, "sz_i", trunk), "sz_d", _classify()) + " END"
    )  # fmt: skip
    cleaned = sql_let(
        f"regexp_replace(sz_e.main, '{_STRIP}', '', 'g')",
        "sz_y",
        sql_let("CASE WHEN starts_with(sz_y, '+') THEN substring(sz_y, 2) ELSE sz_y END", "sz_r", digits),
    )
    bad_chars = _bad("phone.bad_chars", bad_char=f"regexp_extract(sz_e.main, '{_ALLOWED}')")
    split = sql_let(
        ext_split,
        "sz_e",
        f"CASE WHEN regexp_matches(sz_e.main, '{_SQL_LETTERS}') THEN {_bad('phone.letters')}"
        f" WHEN regexp_matches(sz_e.main, '{_ALLOWED}') THEN {bad_chars}"
        f" ELSE {cleaned} END",
    )
    empty = sql_early_verdict("'empty'", PARTS)
    return (
        f"CASE WHEN {x} = '' THEN {empty}"
        f" WHEN sz_text__placeholder({x}) THEN {_bad('phone.placeholder')}"
        f" WHEN {multiple} THEN {_bad('phone.multiple')}"
        f" ELSE {split} END"
    )


_INPUT = (
    "{'x': sz_text_basic(s),"
    " 'ac': (SELECT map(list(sz_pa_code), list(sz_pa_lengths)) FROM sz_phone_area_codes)}"
)
_PRECHECKED = sql_early_verdict("sz_precheck(s)", PARTS)

macro(
    "sz_phone_check",
    ["s"],
    f"CASE WHEN sz_precheck(s) IS NOT NULL THEN {_PRECHECKED} ELSE {sql_let(_INPUT, 'sz_ph', _body())} END",
    "verdict of a mainland telephone number (the SQL twin of check_phone)",
)
