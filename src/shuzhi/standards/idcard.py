"""Citizen identity numbers (公民身份号码), GB 11643-1999: check, explain, normalise, parse.

An identity number has 18 characters, ``AAAAAA YYYYMMDD SSS C``: the division code (GB/T 2260)
of the household registration that issued it, the date of birth, a sequence number (odd for men,
even for women) and a check character over the first 17 digits (weights ``7 9 10 5 8 4 2 1 6 3
7 9 10 5 8 4 2``, ``sum mod 11`` indexes ``"10X98765432"``). Numbers issued before 1999 have 15
digits (``AAAAAA YYMMDD SSS``, no check character); they are valid and upgraded to 18.

What the check accepts and corrects (each correction leaves a note):

* full-width digits and letters (``１１０１…``), spaces, tabs, line breaks, control and
  zero-width characters anywhere in the value (the text rule of
  :func:`shuzhi.standards.divisions.squash`) — notes ``idcard.fullwidth``, ``idcard.whitespace``;
* a lower-case ``x`` as check character — stored ``X``, note ``idcard.lowercase_x``;
* the 15-digit form — upgraded, note ``idcard.upgraded_15``;
* a division code retired since the number was issued — still valid, note
  ``idcard.region_retired`` (an identity number keeps the code of the county that issued it).

Reasons, in the order they are tried (the SQL form tries them in the same order): ``empty`` /
``too_long`` / ``not_text`` (the common precheck) → ``idcard.bad_chars`` /
``idcard.bad_check_char`` (characters) → ``idcard.bad_length`` → ``idcard.unknown_province`` →
``idcard.unknown_region`` → ``idcard.bad_date`` / ``idcard.date_too_early`` →
``idcard.date_future`` → ``idcard.check_mismatch``.

Regions: the first six digits must be a GB/T 2260 code, current or retired (all the codes
listed since 1980, from :mod:`shuzhi.standards.divisions`), under a province prefix in use (11–15,
21–23, 31–37, 41–46, 50–54, 61–65) or one of the residence-permit codes of Hong Kong, Macao and
Taiwan residents (810000, 820000, 830000). Dates of birth must be real dates, not in the future
and not before :data:`EARLIEST_BIRTH`.

Parts (:data:`PART_KEYS`): ``region_code``, ``region_name`` (the full chain, 北京市朝阳区,
山西省晋城市城区), ``region_current``, ``birth_date`` (ISO), ``sex_code`` (GB/T 2261.1: ``1``
male, ``2`` female), ``sex`` (男/女), ``sequence``, ``check`` (as written, upper case),
``expected_check``, ``length``; ``position`` and ``char`` for a bad character; ``birth_text``
(the date digits as ``YYYY-MM-DD``) when they are no date. They are filled as far as the number
could be read: a number with a wrong check character still says where and when it was issued.

The SQL form (``sz_idcard_check`` and the smaller macros) is shaped by how DuckDB evaluates
macros; the comment above ``_let`` below says how. Throughput: ``benchmarks/bench_idcard.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from shuzhi.standards import divisions
from shuzhi.standards._idcard_vec import check_arrow, check_batches
from shuzhi.standards._registry import CheckKind, register_kind
from shuzhi.standards._sql import TABLES, lookup_table, macro
from shuzhi.standards._verdict import Verdict, precheck, register_reasons

__all__ = [
    "EARLIEST_BIRTH",
    "PART_KEYS",
    "PROVINCES",
    "bulk",
    "bulk_arrow",
    "bulk_sql",
    "check_arrow",
    "check_char",
    "check_idcard",
    "parse_idcard",
    "resolve_region",
    "upgrade_15",
]

KIND = "idcard"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: ``sum mod 11`` -> check character
CHECK_CHARS = "10X98765432"
#: province prefixes in use (GB 11643 / GB/T 2260) and the residence permits 81, 82, 83
PROVINCES = frozenset(
    f"{p}"
    for lo, hi in ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65), (81, 83))
    for p in range(lo, hi + 1)
)
#: the earliest date of birth accepted (the oldest people alive when IDs were first issued
#: were born in the 1880s; an earlier date is a typo)
EARLIEST_BIRTH = date(1880, 1, 1)
#: codes an identity number or credit code may carry that the GB/T 2260 list lacks:
#: 830000 (residence permits of Taiwan residents) and 100000 (central, nationwide registration
#: authorities in unified social credit codes). Used only when :mod:`divisions` has no such code.
EXTRA_REGIONS: Mapping[str, str] = {"830000": "台湾地区", "100000": "中央"}

PARTS_SQL = (
    ("region_code", "VARCHAR"),
    ("region_name", "VARCHAR"),
    ("region_current", "BOOLEAN"),
    ("birth_date", "DATE"),
    ("sex_code", "VARCHAR"),
    ("sex", "VARCHAR"),
    ("sequence", "VARCHAR"),
    ("check", "VARCHAR"),
    ("expected_check", "VARCHAR"),
    ("length", "INTEGER"),
    ("position", "INTEGER"),
    ("char", "VARCHAR"),
    ("birth_text", "VARCHAR"),
)
PART_KEYS = tuple(k for k, _ in PARTS_SQL)

register_reasons(
    {
        "idcard.bad_chars": (
            "第 {position} 位“{char}”不是数字：身份证号码只由数字组成，只有最后一位可以是 X",
            "character {position} ('{char}') is not a digit: an identity number has digits only, "
            "only the last character may be X",
        ),
        "idcard.bad_check_char": (
            "校验码应为 {expected_check}，实为“{char}”：最后一位只能是数字或 X",
            "the check character should be {expected_check}, not '{char}': "
            "the last character is a digit or X",
        ),
        "idcard.bad_length": (
            "号码有 {length} 位：身份证号码应为 18 位（1999 年以前签发的旧号码为 15 位）",
            "the number has {length} characters: an identity number has 18 (15 if issued before 1999)",
        ),
        "idcard.unknown_province": (
            "前 6 位地址码 {region_code} 不在任何省、自治区、直辖市之下（前两位应为 11–15、21–23、31–37、"
            "41–46、50–54、61–65，或港澳台居民居住证的 81–83）",
            "the region code {region_code} belongs to no province (the first two digits are 11–15, 21–23, "
            "31–37, 41–46, 50–54, 61–65, or 81–83 for residence permits)",
        ),
        "idcard.unknown_region": (
            "前 6 位地址码 {region_code} 不是行政区划代码（现行和 1980 年以来撤销的代码中都没有）",
            "the region code {region_code} is no division code (neither current nor retired since 1980)",
        ),
        "idcard.bad_date": (
            "第 7–14 位出生日期 {birth_text} 不是有效日期",
            "the date of birth {birth_text} (characters 7–14) is not a real date",
        ),
        "idcard.date_too_early": (
            "出生日期 {birth_date} 早于 1880 年，应是录入错误",
            "the date of birth {birth_date} is before 1880, which must be an entry error",
        ),
        "idcard.date_future": (
            "出生日期 {birth_date} 晚于今天",
            "the date of birth {birth_date} is in the future",
        ),
        "idcard.check_mismatch": (
            "校验码应为 {expected_check}，实为 {check}：前 17 位中有数字录错，或校验码写错",
            "the check character should be {expected_check}, not {check}: a digit of the first 17 is "
            "mistyped, or the check character itself is wrong",
        ),
        "idcard.whitespace": (
            "已删除号码中的空格、换行或不可见字符",
            "spaces, line breaks or invisible characters removed",
        ),
        "idcard.fullwidth": ("全角数字或字母已转为半角", "full-width digits or letters converted"),
        "idcard.lowercase_x": ("末位小写 x 已改为大写 X", "lower-case x changed to X"),
        "idcard.upgraded_15": (
            "15 位旧号码（1999 年以前签发）已按 GB 11643 升级为 18 位",
            "a 15-digit number (issued before 1999) upgraded to 18 digits as GB 11643 prescribes",
        ),
        "idcard.region_retired": (
            "地址码 {region_code}（{region_name}）现已撤销；撤销的地址码本身不使号码无效",
            "the region code {region_code} ({region_name}) has since been retired; "
            "a retired code alone does not make a number invalid",
        ),
    }
)

_FULLWIDTH = re.compile(divisions.FULLWIDTH_RE)


# --------------------------------------------------------------------------------------------
# Python form


def check_char(first17: str) -> str:
    """The check character (``0``–``9`` or ``X``) of the first 17 digits of an identity number.

    >>> check_char("11010519491231002")
    'X'

    Raises ValueError unless ``first17`` is 17 ASCII digits.
    """
    if not isinstance(first17, str) or len(first17) != 17 or not _all_digits(first17):
        raise ValueError(f"expected 17 digits, got {first17!r}")
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def upgrade_15(id15: str) -> str:
    """The 18-character form of a 15-digit identity number: ``19`` inserted before the year, the
    check character appended (``110105491231002`` → ``11010519491231002X``).

    Raises ValueError unless ``id15`` is 15 ASCII digits (it does not check region or date: use
    :func:`check_idcard` for that).
    """
    if not isinstance(id15, str) or len(id15) != 15 or not _all_digits(id15):
        raise ValueError(f"expected 15 digits, got {id15!r}")
    body = id15[:6] + "19" + id15[6:]
    return body + check_char(body)


def resolve_region(code: str) -> tuple[str, bool] | None:
    """``(full name, current)`` of a 6-digit division code, current or retired; None if unknown.

    Also knows :data:`EXTRA_REGIONS` (830000, 100000) when the division list lacks them.
    """
    d = divisions.lookup(code) if len(code) == 6 else None
    if d is not None:
        return d.full_name, d.current
    name = EXTRA_REGIONS.get(code)
    return (name, True) if name is not None else None


def _all_digits(s: str) -> bool:
    return all("0" <= c <= "9" for c in s)


def _parts(**values: Any) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(PART_KEYS)
    out.update(values)
    return out


def _is_date(y: int, m: int, d: int) -> bool:
    if y < 1 or not 1 <= m <= 12 or d < 1:
        return False
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[m - 1]
    return d <= days


def check_idcard(value: object) -> Verdict:
    """Check a citizen identity number (18 characters, or the 15-digit form issued before 1999).

    Never raises. A valid number's ``normalized`` form is the 18-character upper-case number.
    """
    text, done = precheck(KIND, value)
    if done is not None:
        return done
    assert text is not None
    t = divisions.squash(text)
    if t == "":
        return Verdict(KIND, text, False, reason="empty", parts=_parts())
    notes: list[str] = []
    if len(t) < len(text):
        notes.append("idcard.whitespace")
    if _FULLWIDTH.search(text):
        notes.append("idcard.fullwidth")
    n = len(t)

    # characters: digits, and X (or x) as the last one (not in the 15-digit form)
    p = next((i for i, c in enumerate(t) if not "0" <= c <= "9"), n)
    if p < n and not (p == n - 1 and t[p] in "Xx" and n != 15):
        if n == 18 and p == 17:
            return Verdict(
                KIND,
                text,
                False,
                reason="idcard.bad_check_char",
                notes=tuple(notes),
                parts=_parts(position=18, char=t[17], expected_check=check_char(t[:17]), length=n),
            )
        return Verdict(
            KIND,
            text,
            False,
            reason="idcard.bad_chars",
            notes=tuple(notes),
            parts=_parts(position=p + 1, char=t[p], length=n),
        )
    if n not in (15, 18):
        return Verdict(
            KIND, text, False, reason="idcard.bad_length", notes=tuple(notes), parts=_parts(length=n)
        )

    if n == 15:
        body, check = t[:6] + "19" + t[6:], None
        notes.append("idcard.upgraded_15")
    else:
        body, check = t[:17], t[17].upper()
        if t[17] == "x":
            notes.append("idcard.lowercase_x")
    expected = check_char(body)
    region_code = body[:6]
    male = int(body[16]) % 2 == 1
    parts = _parts(
        region_code=region_code,
        sex_code="1" if male else "2",
        sex="男" if male else "女",
        sequence=body[14:17],
        check=check,
        expected_check=expected,
        length=n,
    )

    reason: str | None = None
    if region_code[:2] not in PROVINCES:
        reason = "idcard.unknown_province"
    else:
        region = resolve_region(region_code)
        if region is None:
            reason = "idcard.unknown_region"
        else:
            parts["region_name"], parts["region_current"] = region
            if not region[1]:
                notes.append("idcard.region_retired")
    y, m, d = int(body[6:10]), int(body[10:12]), int(body[12:14])
    birth = date(y, m, d) if _is_date(y, m, d) else None
    if birth is not None:
        parts["birth_date"] = birth.isoformat()
    else:
        parts["birth_text"] = f"{body[6:10]}-{body[10:12]}-{body[12:14]}"
    if reason is None:
        if birth is None:
            reason = "idcard.bad_date"
        elif birth < EARLIEST_BIRTH:
            reason = "idcard.date_too_early"
        elif birth > date.today():
            reason = "idcard.date_future"
        elif check is not None and check != expected:
            reason = "idcard.check_mismatch"
    if reason is not None:
        return Verdict(KIND, text, False, reason=reason, notes=tuple(notes), parts=parts)
    return Verdict(KIND, text, True, normalized=body + expected, notes=tuple(notes), parts=parts)


def parse_idcard(value: object) -> dict[str, Any] | None:
    """The parts of a valid identity number plus ``normalized``; None when it is not valid."""
    v = check_idcard(value)
    if not v.valid:
        return None
    return {"normalized": v.normalized, **v.parts}


register_kind(
    CheckKind(
        KIND,
        "公民身份号码",
        "citizen identity number",
        check_idcard,
        "sz_idcard_check",
        check_arrow=check_arrow,
    )
)


# --------------------------------------------------------------------------------------------
# Region index: one row of two lists, so that the SQL form finds a division code in O(1)


def _six_digit_divisions() -> Iterator[tuple[str, str, bool]]:
    """(code, full name, current) of every 6-digit division, as the ``sz_divisions`` table has
    them, plus :data:`EXTRA_REGIONS` not in it."""
    table = TABLES["sz_divisions"]
    cols = [c for c, _ in table.columns]
    i_code, i_full, i_cur = cols.index("code"), cols.index("full_name"), cols.index("current")
    seen: set[str] = set()
    for row in table.rows():
        code = row[i_code]
        if isinstance(code, str) and len(code) == 6 and _all_digits(code) and code >= "100000":
            seen.add(code)
            yield code, row[i_full], bool(row[i_cur])
    for code, name in EXTRA_REGIONS.items():
        if code not in seen:
            yield code, name, True


def _region_index_rows() -> list[Sequence[Any]]:
    """The one row of ``sz_idcard_regions``.

    A code ``c`` (100000–999999) is found in two steps: ``l1[c // 100 - 999]`` is the block of
    its 4-digit prefix (NULL when no code has that prefix), and slot ``block * 100 + c % 100 + 1``
    of ``st`` says whether the code is unknown (0), current (1) or retired (2), and of ``rg``
    holds ``{region_name, region_current}``. Blocks exist only for the 600 or so prefixes in use
    (about 60,000 slots): DuckDB indexes lists of that size at full speed, a list of a million
    slots it copies for every vector.
    """
    entries = sorted(_six_digit_divisions())
    prefixes = sorted({int(code) // 100 for code, _, _ in entries})
    block = {p: i for i, p in enumerate(prefixes)}
    l1: list[int | None] = [block.get(p) for p in range(1000, 10000)]
    st = [0] * (100 * len(prefixes))
    rg: list[dict[str, Any] | None] = [None] * (100 * len(prefixes))
    for code, name, cur in entries:
        c = int(code)
        slot = block[c // 100] * 100 + c % 100
        st[slot] = 1 if cur else 2
        rg[slot] = {"region_name": name, "region_current": cur}
    return [(l1, st, rg)]


lookup_table(
    "sz_idcard_regions",
    (
        ("l1", "INTEGER[]"),
        ("st", "UTINYINT[]"),
        ("rg", "STRUCT(region_name VARCHAR, region_current BOOLEAN)[]"),
    ),
    _region_index_rows,
    "one row: a two-level index of every 6-digit division code (current and retired): status st "
    "(0 unknown, 1 current, 2 retired) and rg {region_name (full name), region_current}; for "
    "identity numbers and credit codes, built from the rows of sz_divisions",
)


def _region_slot(code_int: str, mask: str) -> str:
    # the mask makes the slot NULL without a CASE around the lookup: a list column inside a CASE
    # branch is sliced row by row, copying the whole list for every row
    return (
        f"(SELECT l1 FROM sz_idcard_regions)[greatest({code_int} // 100 - 999, 0)] * 100 "
        f"+ {code_int} % 100 + 1 "
        f"+ [0][CASE WHEN {mask} THEN 1 ELSE 0 END]"
    )


def sql_region_status(code_int: str, mask: str = "true") -> str:
    """SQL: 0 unknown, 1 current, 2 retired for the integer division code ``code_int`` (which
    appears twice); NULL when it is not a 6-digit number or ``mask`` is not true. Each
    occurrence in a query is one more lookup (DuckDB plans every subquery separately), and it
    must not stand inside a CASE branch (see :func:`_region_slot`)."""
    return f"(SELECT st FROM sz_idcard_regions)[{_region_slot(code_int, mask)}]"


def sql_region(code_int: str, mask: str = "true") -> str:
    """SQL: ``{region_name, region_current}`` of the integer division code ``code_int`` (which
    appears twice), NULL when unknown or ``mask`` is not true; see :func:`sql_region_status`."""
    return f"(SELECT rg FROM sz_idcard_regions)[{_region_slot(code_int, mask)}]"


# --------------------------------------------------------------------------------------------
# SQL form
#
# Written around what DuckDB (2.0) does, each point measured while building it:
#
# * Most numbers are clean: 18 ASCII digits, 17 and an X, or 15 digits, perhaps with ASCII
#   white space around. Such a number is read with one ``try_cast(s AS BIGINT)`` (which skips
#   surrounding white space); the rest is integer arithmetic on the 17 digits as one BIGINT
#   (region ``// 10^11``, date of birth ``// 1000 % 10^8``, the weighted digit sum). A text is
#   clean when, trimmed, it has 18 (15) characters, starts with 1-9 (no sign, no 0x prefix),
#   casts to at least 10^17 (10^14) and has no e/E: anything else DuckDB's cast accepts
#   (underscores, a decimal point) has fewer digits, except a number with an exponent.
#   ``sz_idcard_clean`` decides; the other texts are squashed (``sz_idcard_shape``).
# * DuckDB evaluates an expression once per row when it appears more than once outside CASE
#   branches (common subexpression elimination, WHEN conditions included); inside THEN/ELSE it
#   is evaluated again. So shared values are plain expressions, a CASE among them wrapped
#   ``{'v': CASE ... END}.v`` to count as one.
# * Every subquery in the text is planned on its own, so a value holding one is never shared:
#   the region is looked up three times in all (status for the outcome, status for the note,
#   row for the parts), each outside CASE branches, because a list column referenced inside a
#   branch is copied for every row of the branch.
# * A lambda sets its body up again for every list it runs on: only small bodies (squashing a
#   text, reading its digits), and only for texts that are not clean.
# * Macros inline as text; binding repeats the work for every copy, so the pieces are small
#   macros and the big ones (the 17 digits) are kept short.
# * Inlined text is also what DuckDB plans: a value written out at each of its references (the
#   17 digits appear 34 times in the check value alone) made sz_idcard_check expand to 622,535
#   characters and cost seconds of planning per query. So sz_idcard_check names its four big
#   values once, as columns of a one-row derived table inside a scalar subquery
#   ``(SELECT <verdict> FROM (SELECT sz_idcard_digits(s) AS sz_idq_d, ...))`` (26,000
#   characters; tests/standards/test_sql_size.py bounds it). DuckDB runs that subquery as a
#   join on the distinct inputs, vectorised; a lambda ``list_transform([x], lambda q: ...)``
#   would bind as well but runs its body one row at a time, far slower for a body this size.


def _let(expr: str) -> str:
    """Wrap a CASE expression so that DuckDB shares it when it appears more than once."""
    return f"{{'v': {expr}}}.v"


def _ranges(chars: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for c in sorted(ord(ch) for ch in set(chars)):
        if out and c == out[-1][1] + 1:
            out[-1] = (out[-1][0], c)
        else:
            out.append((c, c))
    return out


#: RE2 class of the characters :func:`divisions.squash` deletes
_DELETED_CLASS = (
    "["
    + "".join(
        f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in _ranges(divisions.DELETED)
    )
    + "]"
)
#: ASCII white space trimmed on the fast path (DuckDB's integer cast skips it too)
_ASCII_WS = "' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)"
#: bit p set when the province prefix p is in use (a HUGEINT: no list inside CASE branches)
_PROVINCE_BITS = sum(1 << int(p) for p in PROVINCES)
#: notes bit mask (bit i = _NOTE_CODES[i]) -> list of note codes
_NOTE_CODES = (
    "idcard.whitespace",
    "idcard.fullwidth",
    "idcard.lowercase_x",
    "idcard.upgraded_15",
    "idcard.region_retired",
)
_NOTE_LISTS = (
    "["
    + ", ".join(
        "[" + ", ".join(f"'{c}'" for i, c in enumerate(_NOTE_CODES) if bits >> i & 1) + "]::VARCHAR[]"
        for bits in range(1 << len(_NOTE_CODES))
    )
    + "]"
)


def sql_squash(expr: str) -> str:
    """SQL twin of :func:`shuzhi.standards.divisions.squash` (``expr`` appears three times):
    white space, control and zero-width characters deleted, full-width ASCII made ASCII."""
    half = divisions.HALFWIDTH.replace("'", "''")
    deleted = f"regexp_replace({expr}, '{_DELETED_CLASS}', '', 'g')"
    # translate() builds its map for every row (microseconds with 94 pairs): only where needed
    return (
        f"CASE WHEN regexp_matches({expr}, '{divisions.FULLWIDTH_RE2}') "
        f"THEN translate({deleted}, '{divisions.FULLWIDTH}', '{half}') ELSE {deleted} END"
    )


def sql_check_value(d17: str) -> str:
    """SQL: the check value (0–10, 10 = X) of the 17-digit integer expression ``d17``
    (which appears 17 times: pass a short expression). BIGINT arithmetic throughout, so that
    garbage in gives garbage out, never an error."""
    hi = f"({d17} // 100000000)"  # digits 1-9
    lo = f"({d17} % 100000000)"  # digits 10-17
    terms = []
    for i, w in enumerate(WEIGHTS):
        x, k = (hi, 8 - i) if i < 9 else (lo, 16 - i)
        digit = f"{x} % 10" if k == 0 else f"{x} // {10**k} % 10"
        terms.append(f"({digit}) * {w}")
    # sum mod 11 -> 1 0 X 9 8 7 6 5 4 3 2, i.e. (12 - sum mod 11) mod 11
    return f"((12 - ({' + '.join(terms)}) % 11) % 11)"


def _check_text(value: str) -> str:
    """SQL: '0'-'9' or 'X' for a check value 0-10 (a substring: no list inside CASE branches)."""
    return f"substr('0123456789X', ({value})::INTEGER + 1, 1)"


_PARTS0 = tuple(p for p in PARTS_SQL if p[0] not in ("region_name", "region_current"))


def _sound_pieces(
    *,
    d: str,
    c: str,
    kind15: str,
    lower_x: str,
    prefix_bits: str,
    length: str,
    normalized_as_is: str,
    x: str,
    plain18: str,
    let: bool,
) -> tuple[dict[str, str], dict[str, str]]:
    """SQL for the pre-verdict of a structurally sound number: ``d`` the 17 digits as BIGINT,
    ``c`` the check value written (NULL for the 15-digit form), ``kind15``/``lower_x`` booleans,
    ``prefix_bits`` the note bits found before (white space 1, full width 2), ``length`` of the
    squashed text, ``normalized_as_is`` true when ``x`` already is the normalized form,
    ``plain18`` true when ``x`` is the 18 characters as written (its substrings are parts).
    ``let`` wraps shared CASE expressions (pointless inside a lambda). Returns the top-level
    fields (later, nz, bits, rc, prov) and the parts."""
    w = _let if let else (lambda e: f"({e})")
    e = w(sql_check_value(d))
    y = f"({d} // 10000000 % 10000)"
    mo = f"({d} // 100000 % 100)"
    day = f"({d} // 1000 % 100)"
    rc = f"({d} // 100000000000)"
    days = f"(CASE WHEN {mo} = 2 THEN 28 ELSE 30 + ({mo} + {mo} // 8) % 2 END)"
    leap = f"({y} % 4 = 0 AND ({y} % 100 <> 0 OR {y} % 400 = 0))"
    is_date = w(
        f"CASE WHEN {y} >= 1 AND {mo} BETWEEN 1 AND 12 AND {day} >= 1 "
        f"AND {day} <= {days} + CASE WHEN {mo} = 2 AND {leap} THEN 1 ELSE 0 END THEN true ELSE false END"
    )
    birth = w(f"CASE WHEN {is_date} THEN make_date({y}, {mo}, {day}) END")
    later = w(
        f"CASE WHEN NOT {is_date} THEN 'idcard.bad_date' "
        f"WHEN {y} < {EARLIEST_BIRTH.year} THEN 'idcard.date_too_early' "
        f"WHEN {birth} > current_date THEN 'idcard.date_future' "
        f"WHEN {c} <> {e} THEN 'idcard.check_mismatch' END"
    )
    digits8 = f"lpad(({d} // 1000 % 100000000)::VARCHAR, 8, '0')"
    top = {
        "later": later,
        "nz": f"CASE WHEN {normalized_as_is} THEN {x} "
        f"ELSE lpad({d}::VARCHAR, 17, '0') || {_check_text(e)} END",
        "bits": f"{prefix_bits} + CASE WHEN {lower_x} THEN 4 ELSE 0 END "
        f"+ CASE WHEN {kind15} THEN 8 ELSE 0 END",
        "rc": rc,
        "prov": f"coalesce({rc} BETWEEN 100000 AND 999999 "
        f"AND ({_PROVINCE_BITS}::HUGEINT >> ({rc} // 10000)::INTEGER) & 1 = 1, false)",
    }
    parts = {
        "region_code": f"CASE WHEN {plain18} THEN left({x}, 6) ELSE lpad({rc}::VARCHAR, 6, '0') END",
        "birth_date": birth,
        "sex_code": f"CASE WHEN {d} % 2 = 1 THEN '1' ELSE '2' END",
        "sex": f"CASE WHEN {d} % 2 = 1 THEN '男' ELSE '女' END",
        "sequence": f"CASE WHEN {plain18} THEN substr({x}, 15, 3) "
        f"ELSE lpad(({d} % 1000)::VARCHAR, 3, '0') END",
        "check": f"CASE WHEN {c} IS NOT NULL THEN {_check_text(c)} END",
        "expected_check": _check_text(e),
        "length": length,
        "birth_text": f"CASE WHEN NOT {is_date} "
        f"THEN substr({digits8}, 1, 4) || '-' || substr({digits8}, 5, 2) "
        f"|| '-' || substr({digits8}, 7, 2) END",
    }
    return top, parts


def _parts0_sql(parts: dict[str, str]) -> str:
    return "struct_pack(" + ", ".join(f'"{k}" := ({parts.get(k, "NULL")})::{t}' for k, t in _PARTS0) + ")"


_NO_REGION = "struct_pack(region_name := NULL::VARCHAR, region_current := NULL::BOOLEAN)"


macro(
    "sz_idcard_squash",
    ["s"],
    sql_squash("s"),
    "s without white space, control and zero-width characters; full-width ASCII made ASCII",
)

# ---- the fast path: clean numbers, over the column itself
_N = "try_cast(s AS BIGINT)"
_TRIMMED = _let(
    f"CASE WHEN strlen(s) = 18 OR strlen(s) = 15 THEN s WHEN strlen(s) <= 1000 THEN trim(s, {_ASCII_WS}) END"
)
_NO_EXP = "NOT contains(s, 'e') AND NOT contains(s, 'E')"
_X17 = "try_cast(left(s, 17) AS BIGINT)"
_CLEAN = (
    f"coalesce((strlen({_TRIMMED}) = 18 AND {_TRIMMED} >= '1' AND {_NO_EXP} AND {_N} >= 100000000000000000)"
    f" OR (strlen({_TRIMMED}) = 15 AND {_TRIMMED} >= '1' AND {_NO_EXP} AND {_N} >= 100000000000000)"
    f" OR (strlen(s) = 18 AND s >= '1' AND {_NO_EXP} AND (ends_with(s, 'X') OR ends_with(s, 'x'))"
    f" AND {_X17} >= 10000000000000000), false)"
)
# the 17 digits as one integer (X rows: N is NULL; 15-digit rows: N < 10^15) and the check value
_D = _let(
    f"CASE WHEN {_N} IS NULL THEN {_X17} WHEN {_N} BETWEEN 0 AND 999999999999999 "
    f"THEN {_N} // 1000000000 * 100000000000 + 19000000000 + {_N} % 1000000000 ELSE {_N} // 10 END"
)
_C = _let(
    f"CASE WHEN {_N} IS NULL THEN 10 WHEN {_N} BETWEEN 0 AND 999999999999999 THEN NULL ELSE {_N} % 10 END"
)
macro(
    "sz_idcard_clean", ["s"], _CLEAN, "whether sz_idcard_fast may check s (digits, ASCII white space around)"
)
# ---- texts that are not clean: squashed, by small lambdas (DuckDB sets a lambda's body up for
# every list it runs on, so only small bodies are affordable); they run for those rows only
_SQ_T = "sz_idcard_squash(s)"
# the structural verdict of the squashed text: reason (precheck, empty, characters, length),
# first non-digit, length, note bits for white space and full width
macro(
    "sz_idcard_shape",
    ["s"],
    f"""CASE WHEN sz_precheck(s) IS NOT NULL
              THEN struct_pack(early := sz_precheck(s), p := NULL::BIGINT,
                   n := CASE WHEN sz_precheck(s) = 'too_long' THEN length(s) END,
                   bits := 0, t := NULL::VARCHAR)
         ELSE list_transform([{{'s': s, 't': {_SQ_T}}}], lambda q: struct_pack(
              early := CASE WHEN q.t = '' THEN 'empty'
                  WHEN length(regexp_extract(q.t, '^[0-9]*')) >= length(q.t)
                    OR (length(regexp_extract(q.t, '^[0-9]*')) = length(q.t) - 1
                        AND right(q.t, 1) IN ('X', 'x') AND length(q.t) <> 15)
                  THEN CASE WHEN length(q.t) NOT IN (15, 18) THEN 'idcard.bad_length' END
                  WHEN length(q.t) = 18 AND length(regexp_extract(q.t, '^[0-9]*')) = 17
                  THEN 'idcard.bad_check_char'
                  ELSE 'idcard.bad_chars' END,
              p := length(regexp_extract(q.t, '^[0-9]*')) + 1,
              n := CASE WHEN q.t <> '' THEN length(q.t) END,
              bits := CASE WHEN q.t = '' THEN 0 ELSE
                  CASE WHEN length(q.t) < length(q.s) THEN 1 ELSE 0 END
                  + CASE WHEN regexp_matches(q.s, '{divisions.FULLWIDTH_RE2}') THEN 2 ELSE 0 END END,
              t := q.t))[1] END""",
    "shape of a text that is not clean: "
    "STRUCT(early reason, p first non-digit, n length, bits, t squashed text)",
)
_SHAPE = _let("CASE WHEN sz_idcard_clean(s) THEN NULL ELSE sz_idcard_shape(s) END")
# the 17 digits and the check value (10 = X, NULL for 15 digits) of any text whose shape is sound
_D_ALL = _let(
    f"CASE WHEN sz_idcard_clean(s) THEN {_D} "
    f"ELSE list_transform([{_SQ_T}], lambda t: CASE WHEN length(t) = 15 "
    f"THEN try_cast(left(t, 6) || '19' || right(t, 9) AS BIGINT) "
    f"ELSE try_cast(left(t, 17) AS BIGINT) END)[1] END"
)
_C_ALL = _let(
    f"CASE WHEN sz_idcard_clean(s) THEN {_C} "
    f"ELSE list_transform([{_SQ_T}], lambda t: CASE WHEN length(t) = 18 THEN "
    f"CASE WHEN right(t, 1) IN ('X', 'x') THEN 10 ELSE try_cast(right(t, 1) AS INTEGER) END END)[1] END"
)
macro(
    "sz_idcard_digits",
    ["s"],
    _D_ALL,
    "the 17 digits (15-digit numbers upgraded) of an identity number as BIGINT",
)
macro(
    "sz_idcard_written_check",
    ["s"],
    _C_ALL,
    "the check character as written, 0-10 (10 = X); NULL for 15 digits",
)
macro("sz_idcard_sh", ["s"], _SHAPE, "shape (sz_idcard_shape) of a text that is not clean, else NULL")
# sz_idcard_check binds these four values once, as the columns of a one-row derived table of a
# scalar subquery (see the comment above _let): written out at every reference, they made the
# expanded macro 600,000 characters long, which DuckDB spent seconds planning
_BOUND = {
    "sz_idq_cl": "sz_idcard_clean(s)",
    "sz_idq_sh": "sz_idcard_sh(s)",
    "sz_idq_d": "sz_idcard_digits(s)",
    "sz_idq_c": "sz_idcard_written_check(s)",
}
_SHAPE = "sz_idq_sh"
_CLEAN_REF = "sz_idq_cl"
_TOP, _PARTS = _sound_pieces(
    d="sz_idq_d",
    c="sz_idq_c",
    kind15=f"CASE WHEN {_CLEAN_REF} THEN {_N} BETWEEN 0 AND 999999999999999 ELSE ({_SHAPE}).n = 15 END",
    lower_x=f"CASE WHEN {_CLEAN_REF} THEN ends_with(s, 'x') "
    f"ELSE ({_SHAPE}).n = 18 AND ends_with(({_SHAPE}).t, 'x') END",
    prefix_bits=f"coalesce(({_SHAPE}).bits, CASE WHEN strlen(s) = 18 OR strlen(s) = 15 THEN 0 ELSE 1 END)",
    length=f"CASE WHEN {_CLEAN_REF} THEN CASE WHEN {_N} BETWEEN 0 AND 999999999999999 THEN 15 ELSE 18 END "
    f"ELSE ({_SHAPE}).n END",
    normalized_as_is=f"{_CLEAN_REF} AND strlen(s) = 18 AND NOT ends_with(s, 'x')",
    x="s",
    plain18=f"{_CLEAN_REF} AND strlen(s) = 18",
    let=True,
)
_EARLY = f"({_SHAPE}).early"
_ALL_RC, _ALL_PROV = _TOP["rc"], _TOP["prov"]
_LOOKUP_MASK = f"{_EARLY} IS NULL AND {_ALL_PROV}"
_EARLY_PARTS = {
    "length": f"({_SHAPE}).n",
    "position": f"CASE WHEN {_EARLY} IN ('idcard.bad_chars', 'idcard.bad_check_char') THEN ({_SHAPE}).p END",
    "char": f"CASE WHEN {_EARLY} IN ('idcard.bad_chars', 'idcard.bad_check_char') "
    f"THEN substr(({_SHAPE}).t, ({_SHAPE}).p::INTEGER, 1) END",
    "expected_check": f"CASE WHEN {_EARLY} = 'idcard.bad_check_char' THEN "
    f"{_check_text(sql_check_value('try_cast(left((' + _SHAPE + ').t, 17) AS BIGINT)'))} END",
}
_BITS = (
    f"CASE WHEN {_EARLY} IN ('empty', 'too_long', 'not_text') THEN 0 "
    f"WHEN {_EARLY} IS NOT NULL THEN ({_SHAPE}).bits ELSE {_TOP['bits']} END "
    f"+ CASE WHEN {sql_region_status(_ALL_RC, _LOOKUP_MASK)} = 2 THEN 16 ELSE 0 END"
)
macro(
    "sz_idcard_check",
    ["s"],
    # one lookup of the region's status picks among two outcomes (region unknown, known), one
    # more adds the note for a retired region, one gives its row; all stand outside CASE
    # branches. An early reason (precheck, characters, length) wins.
    f"""(SELECT struct_insert(
    [struct_pack(valid := false, normalized := NULL::VARCHAR,
                 reason := coalesce({_EARLY}, CASE WHEN {_ALL_PROV} THEN 'idcard.unknown_region'
                                                   ELSE 'idcard.unknown_province' END)),
     struct_pack(valid := {_EARLY} IS NULL AND {_TOP["later"]} IS NULL,
                 normalized := CASE WHEN {_EARLY} IS NULL AND {_TOP["later"]} IS NULL THEN {_TOP["nz"]} END,
                 reason := coalesce({_EARLY}, {_TOP["later"]}))][
        CASE WHEN coalesce({sql_region_status(_ALL_RC, _LOOKUP_MASK)}, 0) > 0 THEN 2 ELSE 1 END],
    notes := {_NOTE_LISTS}[{_BITS} + 1],
    parts := struct_concat(
        coalesce({sql_region(_ALL_RC, _LOOKUP_MASK)}, {_NO_REGION}),
        CASE WHEN {_EARLY} IS NULL THEN {_parts0_sql(_PARTS)} ELSE {_parts0_sql(_EARLY_PARTS)} END))
    FROM (SELECT {", ".join(f"{v} AS {k}" for k, v in _BOUND.items())}))""",
    "verdict of a citizen identity number: STRUCT(valid, normalized, reason, notes, parts) "
    "(the SQL twin of check_idcard)",
)
macro(
    "sz_idcard_normalize",
    ["s"],
    "sz_idcard_check(s).normalized",
    "the 18-character upper-case form of a valid identity number (15-digit ones upgraded), else NULL",
)
macro("sz_idcard_valid", ["s"], "sz_idcard_check(s).valid", "whether s is a valid identity number")
macro(
    "sz_idcard_birth",
    ["s"],
    "list_transform([sz_idcard_check(s)], lambda sz_idq_r: "
    "CASE WHEN sz_idq_r.valid THEN sz_idq_r.parts.birth_date END)[1]",
    "date of birth (DATE) of a valid identity number, else NULL",
)
macro(
    "sz_idcard_sex",
    ["s"],
    "list_transform([sz_idcard_check(s)], lambda sz_idq_r: "
    "CASE WHEN sz_idq_r.valid THEN sz_idq_r.parts.sex_code END)[1]",
    "GB/T 2261.1 sex code of a valid identity number ('1' male, '2' female), else NULL",
)
macro(
    "sz_idcard_check_char",
    ["s17"],
    f"CASE WHEN regexp_full_match(s17, '[0-9]{{17}}') "
    f"THEN {_check_text(sql_check_value('try_cast(s17 AS BIGINT)'))} END",
    "check character of 17 digits ('0'-'9' or 'X'); NULL unless s17 is exactly 17 ASCII digits",
)


# --- bulk form ------------------------------------------------------------------------------------


def bulk_sql(source: str, column: str) -> str:
    """A query adding the verdict of ``column`` to every row of the relation ``source``, for bulk
    pipelines (ingestion, quality): columns ``<column>__valid``, ``__normalized``, ``__reason``,
    ``__region_code``, ``__birth_date``, ``__sex_code``.

    Same answers as :func:`check_idcard` (and ``sz_idcard_check``), computed faster: a value
    already written in the standard form (17 digits and a digit or ``X``) is validated by a few
    plain projections — each computed once, which a scalar macro cannot do — and a semi-join on
    the division codes; only the others (lower-case x, spaces, 15 digits, every invalid value) go
    through ``sz_idcard_check``, in a second branch of the query. Rows come back in no particular
    order. ``source`` is a table or view name or a parenthesised query;
    ``column`` a column name. Needs :func:`shuzhi.standards.install` on the connection.
    """
    c = '"' + column.replace('"', '""') + '"'
    pre = column + "__"
    provinces = ", ".join(f"'{p}'" for p in sorted(PROVINCES))
    expected = _check_text(sql_check_value("sz_b_d17"))
    helpers = "sz_b_fast, sz_b_d17, sz_b_birth, sz_b_ok"
    return f"""
WITH sz_b AS MATERIALIZED (
  SELECT *,
         CASE WHEN sz_b_fast AND sz_b_birth BETWEEN DATE '{EARLIEST_BIRTH.isoformat()}' AND current_date
                   AND substr({c}, 1, 2) IN ({provinces})
                   AND substr({c}, 1, 6) IN (SELECT code FROM sz_divisions WHERE length(code) = 6)
                   AND {expected} = substr({c}, 18, 1)
              THEN true ELSE false END AS sz_b_ok
  FROM (
    SELECT *,
           CASE WHEN sz_b_fast THEN substr({c}, 1, 17)::BIGINT END AS sz_b_d17,
           CASE WHEN sz_b_fast THEN try_strptime(substr({c}, 7, 8), '%Y%m%d')::DATE END AS sz_b_birth
    FROM (SELECT *, coalesce(regexp_full_match({c}, '[0-9]{{17}}[0-9X]'), false) AS sz_b_fast FROM {source})
  )
)
SELECT * EXCLUDE ({helpers}),
       true AS "{pre}valid", {c} AS "{pre}normalized", NULL::VARCHAR AS "{pre}reason",
       substr({c}, 1, 6) AS "{pre}region_code", sz_b_birth AS "{pre}birth_date",
       CASE WHEN sz_b_d17 % 2 = 1 THEN '1' ELSE '2' END AS "{pre}sex_code"
FROM sz_b WHERE sz_b_ok
UNION ALL
SELECT * EXCLUDE ({helpers}, sz_b_r),
       sz_b_r.valid AS "{pre}valid", sz_b_r.normalized AS "{pre}normalized", sz_b_r.reason AS "{pre}reason",
       sz_b_r.parts.region_code AS "{pre}region_code", sz_b_r.parts.birth_date AS "{pre}birth_date",
       sz_b_r.parts.sex_code AS "{pre}sex_code"
FROM (SELECT *, sz_idcard_check({c}) AS sz_b_r FROM sz_b WHERE NOT sz_b_ok)"""


def bulk_arrow(
    con: duckdb.DuckDBPyConnection,
    source: str,
    column: str,
    *,
    batch_rows: int = 1 << 20,
    threads: int = 2,
) -> pa.Table:
    """The rows of ``source`` with the verdict columns of ``column`` added — the columns of
    :func:`bulk_sql` (``<column>__valid``, ``__normalized``, ``__reason``, ``__region_code``,
    ``__birth_date``, ``__sex_code``), the same answers as :func:`check_idcard` — computed by the
    vectorised kernel (:func:`check_arrow`) over Arrow batches of at most ``batch_rows`` rows
    (DuckDB hands over at most 122,880 at a time), ``threads`` batches side by side. Rows keep
    the order in which ``source`` yields them.

    ``source`` is a table or view name or a parenthesised query, ``column`` a column name, as for
    bulk_sql; the connection needs no :func:`shuzhi.standards.install`. The result is held in
    memory (an Arrow table: about 60 bytes a row plus the source's columns); use bulk_sql where
    the rows must stay inside DuckDB or the query must run on another engine.
    """
    reader = con.sql(f"SELECT * FROM {source}").to_arrow_reader(batch_rows)
    if column not in reader.schema.names:
        raise ValueError(f"no column {column!r} in {source}")
    prefix = column + "__"
    schema = pa.schema(
        list(reader.schema) + [pa.field(prefix + f.name, f.type) for f in check_arrow([]).schema]
    )
    return pa.Table.from_batches(list(check_batches(reader, column, prefix, threads)), schema=schema)


def bulk(con: duckdb.DuckDBPyConnection, source: str, column: str, **kw: Any) -> duckdb.DuckDBPyRelation:
    """:func:`bulk_arrow` as a DuckDB relation on ``con`` (query it, join it, write it out):
    ``idcard.bulk(con, "people", "身份证号").filter('"身份证号__valid"')``."""
    return con.from_arrow(bulk_arrow(con, source, column, **kw))
