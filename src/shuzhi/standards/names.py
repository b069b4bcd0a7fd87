"""Personal names (姓名): cleaning, validity, surname and pinyin keys.

``check_name`` cleans what a department wrote (the rules of :mod:`shuzhi.standards.text`;
Traditional → Simplified character by character with the name map, which keeps characters
that are legal Simplified characters in their own right, such as 乾 and the surname 於; spaces
inside a Chinese name removed; ``.``/``-`` and look-alike dots between the parts of a
transliterated minority name become ``·``) and then accepts:

* a Chinese name: CJK ideographs (all extension blocks included, for rare characters), with
  an optional middle dot between parts (买买提·艾力), 2 to 25 characters without the dots.
  A single character is refused: single-character names are very rare in household
  registration and usually mean only the surname was written;
* a Latin-script name (foreigners): Latin letters (ASCII and Latin-1), spaces, ``'``, ``-``,
  ``.``, accepted with the note ``name.latin``.

Digits, emoji, punctuation and characters of other scripts are refused with the character.

Pinyin (``parts``): each character's default toneless reading from pypinyin's
single-character dictionary (the SQL form looks the same readings up in a table exported
from pypinyin at install time), except the surname, which is read with its surname reading
(单 shan, 曾 zeng, 区 ou, 尉迟 yu chi ... from ``data/surnames.csv``). Given names are read
character by character, not as phrases, so that Python and SQL agree; a key only needs to be
the same for the same name. ``pinyin_key`` (张伟 and 章伟 → ``zhangwei``) joins the syllables
and matches a pinyin-spelt Latin name (``ZHANG Wei`` → ``zhangwei``); ``initials`` is ``zw``.
Characters pypinyin has no reading for stay as they are in the key.
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
    DOT,
    DOT_VARIANTS,
    HAN_RANGES,
    _placeholder,
    _sql_pass_class,
    normalize_sql,
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

__all__ = [
    "COMPOUND_SURNAMES",
    "check_name",
    "name_key",
    "pinyin_initials",
    "pinyin_key",
    "pinyin_readings",
    "surname_readings",
]

KIND = "name"
MIN_HAN = 2
MAX_HAN = 25
MAX_LATIN = 70

register_reasons(
    {
        "name.placeholder": (
            "姓名填的是表示缺失的占位词（如“无”“不详”）",
            "the name is a placeholder meaning missing",
        ),
        "name.digits": ("姓名中含有数字", "the name contains digits"),
        "name.bad_char": (
            "姓名中含有不应出现的字符“{bad_char}”（只能是汉字、间隔号·，或外文字母）",
            "the name contains the character '{bad_char}' (only Chinese characters, the middle dot ·, "
            "or Latin letters are allowed)",
        ),
        "name.mixed_script": (
            "姓名中汉字和外文字母混用",
            "the name mixes Chinese characters and Latin letters",
        ),
        "name.bad_dot": (
            "间隔号·的位置不对（不能在开头、结尾或连续出现）",
            "misplaced middle dot · (at the start or end, or doubled)",
        ),
        "name.too_short": (
            "姓名过短（单字姓名极少见，可能只填了姓）",
            "the name is too short (single-character names are very rare: "
            "maybe only the surname was entered)",
        ),
        "name.too_long": ("姓名过长", "the name is too long"),
        "name.traditional": ("繁体字已转为简体", "Traditional characters converted to Simplified"),
        "name.spaces_removed": ("已去掉姓名中的空格", "spaces inside the name removed"),
        "name.dot_normalized": ("间隔号已统一为“·”", "the middle dot was normalised to '·'"),
        "name.latin": ("外文姓名（按外文字母核对）", "Latin-script name (checked as Latin letters)"),
    }
)

PARTS: tuple[tuple[str, str], ...] = (
    ("script", "VARCHAR"),
    ("surname", "VARCHAR"),
    ("given_name", "VARCHAR"),
    ("pinyin", "VARCHAR"),
    ("pinyin_key", "VARCHAR"),
    ("initials", "VARCHAR"),
    ("bad_char", "VARCHAR"),
)

_LATIN_RANGES = ((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0xFF))
_KEY_RANGES = ((0x30, 0x39), *_LATIN_RANGES)
_ALLOWED_EXTRA = " '.-" + DOT
#: characters in the raw input that show a dot was normalised (full-width ．－ included)
_DOT_HINTS = DOT_VARIANTS + ".-\uff0e\uff0d"

_PY_HAN = re.compile(py_class(HAN_RANGES))
_PY_LATIN = re.compile(py_class(_LATIN_RANGES))
_PY_DIGIT = re.compile("[0-9]")
_PY_BAD = re.compile(py_class((*HAN_RANGES, *_LATIN_RANGES), _ALLOWED_EXTRA, negate=True))
_PY_DOT_HINT = re.compile(py_class((), _DOT_HINTS))
_PY_BAD_DOT = re.compile(f"^{DOT}|{DOT}$|{DOT}{DOT}")
_PY_KEYCHAR = re.compile(py_class(_KEY_RANGES))
_PY_WORDS = re.compile(r"[ \-]+")

_SQL_HAN = sql_class(HAN_RANGES)
_SQL_LATIN = sql_class(_LATIN_RANGES)
_SQL_BAD = sql_class((*HAN_RANGES, *_LATIN_RANGES), _ALLOWED_EXTRA, negate=True)
_SQL_DOT_HINT = sql_class((), _DOT_HINTS)
_SQL_KEYCHAR = "^" + sql_class(_KEY_RANGES) + "$"


# --------------------------------------------------------------------------------------------
# Reference data


@cache
def _surname_rows() -> list[tuple[str, str, str]]:
    rows = []
    text = resources.files("shuzhi.standards").joinpath("data/surnames.csv").read_text("utf-8")
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    for r in csv.DictReader(lines):
        rows.append((r["surname"], r["pinyin"], r["kind"]))
    return rows


@cache
def surname_readings() -> dict[str, str]:
    """Surname → toneless pinyin (syllables separated by spaces) where the surname reading is
    not the characters' default reading, and every compound surname."""
    return {s: p for s, p, _ in _surname_rows()}


COMPOUND_SURNAMES: frozenset[str] = frozenset(s for s, _, k in _surname_rows() if k == "compound")


@cache
def pinyin_readings() -> dict[str, str]:
    """Character → default toneless pinyin (pypinyin's single-character reading, ``ü`` written
    ``v``), for every CJK ideograph pypinyin knows."""
    from pypinyin import Style, lazy_pinyin
    from pypinyin.pinyin_dict import pinyin_dict

    chars = [chr(cp) for cp in sorted(pinyin_dict) if _PY_HAN.fullmatch(chr(cp))]
    readings = lazy_pinyin(chars, style=Style.NORMAL, errors="ignore")
    if len(readings) != len(chars):  # pragma: no cover - one reading per character expected
        readings = [(lazy_pinyin(c, style=Style.NORMAL) or [c])[0] for c in chars]
    return {c: r for c, r in zip(chars, readings, strict=True) if r and r.isascii() and r.isalpha()}


@cache
def _pinyin_rows() -> list[tuple[int, list[str | None]]]:
    table = pinyin_readings()
    lo = min(ord(c) for c in table)
    hi = max(ord(c) for c in table)
    return [(lo, [table.get(chr(cp)) for cp in range(lo, hi + 1)])]


lookup_table(
    "sz_pinyin_chars",
    [("sz_py_base", "INTEGER"), ("sz_py_list", "VARCHAR[]")],
    _pinyin_rows,
    "pypinyin default toneless reading of each CJK ideograph, dense list indexed by code point - base + 1",
)


# --------------------------------------------------------------------------------------------
# Python form


def _read(c: str) -> str:
    return pinyin_readings().get(c, c)


def _script(t: str) -> str | None:
    han = _PY_HAN.search(t) is not None
    latin = _PY_LATIN.search(t) is not None
    if han and latin:
        return "mixed"
    if han:
        return "han"
    if latin:
        return "latin"
    return None


def _parts(**values: str | None) -> dict[str, str | None]:
    return {name: values.get(name) for name, _ in PARTS}


def check_name(value: object) -> Verdict:
    """Check a personal name (see the module docstring)."""
    text, early = precheck(KIND, value)
    if early is not None:
        return early
    assert text is not None
    t = normalize_text(text, names=True) or ""
    if t == "":
        return Verdict(KIND, text, False, reason="empty")
    if _placeholder(t, False):
        return Verdict(KIND, text, False, reason="name.placeholder", parts=_parts())
    script = _script(t)

    def bad(reason: str, **extra: str | None) -> Verdict:
        return Verdict(KIND, text, False, reason=reason, parts=_parts(script=script, **extra))

    if _PY_DIGIT.search(t):
        return bad("name.digits")
    m = _PY_BAD.search(t)
    if m:
        return bad("name.bad_char", bad_char=m.group())
    if script == "mixed":
        return bad("name.mixed_script")
    if script == "latin":
        if DOT in t:
            return bad("name.bad_char", bad_char=DOT)
        if len(_PY_LATIN.findall(t)) < 2:
            return bad("name.too_short")
        if len(t) > MAX_LATIN:
            return bad("name.too_long")
        key = "".join(_PY_KEYCHAR.findall(t)).lower()
        initials = "".join(_first_latin(w) for w in _PY_WORDS.split(t))
        return Verdict(
            KIND, text, True, t, notes=("name.latin",),
            parts=_parts(script="latin", pinyin_key=key, initials=initials),
        )  # fmt: skip
    if script is None:
        return bad("name.too_short")
    # Chinese name
    if "'" in t:
        return bad("name.bad_char", bad_char="'")
    name = re.sub(r"[.\-]", DOT, t.replace(" ", ""))
    if _PY_BAD_DOT.search(name):
        return bad("name.bad_dot")
    count = len(name.replace(DOT, ""))
    if count < MIN_HAN:
        return bad("name.too_short")
    if count > MAX_HAN:
        return bad("name.too_long")
    notes = []
    if name != (normalize_text(text, simplify=False) or "").replace(" ", "").replace(".", DOT).replace(
        "-", DOT
    ):
        notes.append("name.traditional")
    if " " in t:
        notes.append("name.spaces_removed")
    if DOT in name and _PY_DOT_HINT.search(text):
        notes.append("name.dot_normalized")
    surname: str | None
    given: str | None
    if DOT in name:
        surname = given = None
        syllables = [_read(c) for c in name if c != DOT]
    else:
        surname = name[:2] if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES else name[:1]
        given = name[len(surname) :]
        sur_py = surname_readings().get(surname) or " ".join(_read(c) for c in surname)
        syllables = [sur_py, *(_read(c) for c in given)]
    pinyin = " ".join(syllables)
    return Verdict(
        KIND,
        text,
        True,
        name,
        notes=tuple(notes),
        parts=_parts(
            script="han",
            surname=surname,
            given_name=given,
            pinyin=pinyin,
            pinyin_key=pinyin.replace(" ", ""),
            initials="".join(w[0] for w in pinyin.split(" ")),
        ),
    )


def _first_latin(word: str) -> str:
    m = _PY_LATIN.search(word)
    return m.group().lower() if m else ""


def pinyin_key(text: object) -> str:
    """Homophone-tolerant key of any text, character by character: each ideograph's default
    toneless reading, Latin letters and digits lower-cased, everything else dropped
    (``"人口库"`` → ``"renkouku"``). Same as SQL ``sz_pinyin_key``."""
    t = normalize_text(text, phrases=False) or ""
    readings = pinyin_readings()
    return "".join(readings.get(c) or (c.lower() if _PY_KEYCHAR.fullmatch(c) else "") for c in t)


def name_key(name: object) -> str:
    """Comparison key of a personal name: the ``pinyin_key`` part of :func:`check_name` (surname
    readings applied: 单 → shan), or :func:`pinyin_key` of the text when the name is not valid.
    ``""`` for None. Same as SQL ``sz_name_key`` (which gives NULL for NULL)."""
    v = check_name(name)
    key = v.parts.get("pinyin_key") if v.parts else None
    return key if isinstance(key, str) else pinyin_key(name)


def pinyin_initials(text: object, *, phrases: bool = True) -> str:
    """First letters of the pinyin of ``text`` (``"人口库"`` → ``"rkk"``), Latin letters and
    digits kept lower-cased, everything else dropped.

    ``phrases=True`` reads words as pypinyin's phrase dictionary does (银行 → ``yh``);
    ``phrases=False`` reads character by character (银行 → ``yx``), like SQL
    ``sz_pinyin_initials``.
    """
    t = normalize_text(text, phrases=False) or ""
    if not phrases:
        readings = pinyin_readings()
        out = []
        for c in t:
            r = readings.get(c)
            out.append(r[0] if r else (c.lower() if _PY_KEYCHAR.fullmatch(c) else ""))
        return "".join(out)
    from pypinyin import Style, lazy_pinyin

    # Han characters give one letter each; other runs come back as they are
    items = lazy_pinyin(t, style=Style.FIRST_LETTER, errors="default")
    return "".join(c.lower() for item in items for c in item if _PY_KEYCHAR.fullmatch(c))


register_kind(
    CheckKind(KIND, "姓名", "personal name", check_name, "sz_name_check", sql_check_lean="sz_name_check_lean")
)


# --------------------------------------------------------------------------------------------
# SQL form
#
# Bound variables (sql_let): sz_nm = {t: name-normalised text, plain: text without T->S,
# raw: the input, py: pinyin lookup struct}; sz_nn = the Chinese name after spaces/dots.

_PY_TABLE = "(SELECT {'b': sz_py_base, 'l': sz_py_list} FROM sz_pinyin_chars)"


def _sql_reading(py: str, c: str) -> str:
    """Default reading of the one-character expression ``c`` or NULL (``py`` bound table)."""
    idx = f"unicode({c}) - {py}.b + 1"
    return f"CASE WHEN {idx} BETWEEN 1 AND len({py}.l) THEN {py}.l[{idx}] END"


def _sql_surname_case(x: str) -> str:
    whens = " ".join(f"WHEN {sql_str(s)} THEN {sql_str(p)}" for s, p, _ in _surname_rows())
    return f"CASE {x} {whens} END"


_SQL_COMPOUND = ", ".join(sql_str(s) for s in sorted(COMPOUND_SURNAMES))


def _sql_syllables(py: str, x: str) -> str:
    """``VARCHAR[]`` of the readings of the characters of ``x`` (the character when none)."""
    return f"list_transform(string_split({x}, ''), lambda sz_c: coalesce({_sql_reading(py, 'sz_c')}, sz_c))"


def _sql_han_valid(nm: str, nn: str) -> str:
    """Verdict for the valid Chinese name ``nn`` (a bound variable)."""
    py = nm + ".py"
    sur = (
        f"CASE WHEN length({nn}) >= 3 AND left({nn}, 2) IN ({_SQL_COMPOUND})"
        f" THEN left({nn}, 2) ELSE left({nn}, 1) END"
    )
    dotted_py = (
        f"array_to_string(list_transform(list_filter(string_split({nn}, ''), lambda sz_c: sz_c <> '{DOT}'),"
        f" lambda sz_c: coalesce({_sql_reading(py, 'sz_c')}, sz_c)), ' ')"
    )
    given = f"substring({nn}, length(sz_sur) + 1)"
    plain_py = (
        f"concat_ws(' ', coalesce({_sql_surname_case('sz_sur')},"
        f" array_to_string({_sql_syllables(py, 'sz_sur')}, ' ')),"
        f" CASE WHEN length({nn}) > length(sz_sur)"
        f" THEN array_to_string({_sql_syllables(py, given)}, ' ') END)"
    )
    plain_fields = sql_let(sur, "sz_sur", f"{{'sur': sz_sur, 'given': {given}, 'py': {plain_py}}}")
    fields = (
        f"CASE WHEN contains({nn}, '{DOT}') THEN {{'sur': NULL, 'given': NULL, 'py': {dotted_py}}}"
        f" ELSE {plain_fields} END"
    )
    plain = f"replace(replace(replace({nm}.plain, ' ', ''), '.', '{DOT}'), '-', '{DOT}')"
    notes = sql_notes(
        [
            ("name.traditional", f"{nn} <> {plain}"),
            ("name.spaces_removed", f"contains({nm}.t, ' ')"),
            (
                "name.dot_normalized",
                f"contains({nn}, '{DOT}') AND regexp_matches({nm}.raw, '{_SQL_DOT_HINT}')",
            ),
        ]
    )
    initials = "array_to_string(list_transform(string_split(sz_f.py, ' '), lambda sz_w: left(sz_w, 1)), '')"
    parts = sql_parts(
        PARTS,
        {
            "script": "'han'",
            "surname": "sz_f.sur",
            "given_name": "sz_f.given",
            "pinyin": "sz_f.py",
            "pinyin_key": "replace(sz_f.py, ' ', '')",
            "initials": initials,
        },
    )
    return sql_let(fields, "sz_f", sql_verdict("TRUE", nn, "NULL", notes, parts))


def _sql_bad(reason: str, bad_char: str = "NULL") -> str:
    parts = sql_parts(PARTS, {"script": "sz_sc", "bad_char": bad_char})
    return sql_verdict("FALSE", "NULL", sql_str(reason), "CAST([] AS VARCHAR[])", parts)


def _sql_check_body(nm: str, *, lean: bool = False) -> str:
    """The check of the bound name ``nm``; ``lean``: valid names get no notes and parts beyond
    the script (sz_name_check_lean)."""
    t = f"{nm}.t"
    script = (
        f"CASE WHEN regexp_matches({t}, '{_SQL_HAN}') THEN"
        f" CASE WHEN regexp_matches({t}, '{_SQL_LATIN}') THEN 'mixed' ELSE 'han' END"
        f" WHEN regexp_matches({t}, '{_SQL_LATIN}') THEN 'latin' END"
    )
    latin_key = (
        f"lower(array_to_string(list_filter(string_split({t}, ''),"
        f" lambda sz_c: regexp_matches(sz_c, '{_SQL_KEYCHAR}')), ''))"
    )
    latin_initials = (
        f"array_to_string(list_transform(regexp_split_to_array({t}, '[ \\-]+'),"
        f" lambda sz_w: lower(regexp_extract(sz_w, '{_SQL_LATIN}'))), '')"
    )
    latin_valid = sql_verdict(
        "TRUE",
        t,
        "NULL",
        "['name.latin']",
        sql_parts(PARTS, {"script": "'latin'", "pinyin_key": latin_key, "initials": latin_initials}),
    )
    han_valid = _sql_han_valid(nm, "sz_nn")
    if lean:
        latin_valid = sql_verdict(
            "TRUE", t, "NULL", "['name.latin']", sql_parts(PARTS, {"script": "'latin'"})
        )
        han_valid = sql_verdict(
            "TRUE", "sz_nn", "NULL", "CAST([] AS VARCHAR[])", sql_parts(PARTS, {"script": "'han'"})
        )
    nn = f"regexp_replace(replace({t}, ' ', ''), '[.\\-]', '{DOT}', 'g')"
    han = sql_let(
        nn,
        "sz_nn",
        f"CASE WHEN regexp_matches(sz_nn, '^{DOT}|{DOT}$|{DOT}{DOT}') THEN {_sql_bad('name.bad_dot')}"
        f" WHEN length(replace(sz_nn, '{DOT}', '')) < {MIN_HAN} THEN {_sql_bad('name.too_short')}"
        f" WHEN length(replace(sz_nn, '{DOT}', '')) > {MAX_HAN} THEN {_sql_bad('name.too_long')}"
        f" ELSE {han_valid} END",
    )
    latin_letters = f"length(regexp_replace({t}, '{sql_class(_LATIN_RANGES, negate=True)}', '', 'g'))"
    first_bad = f"regexp_extract({t}, '{_SQL_BAD}')"
    bad_dot_char = _sql_bad("name.bad_char", sql_str(DOT))
    bad_quote = _sql_bad("name.bad_char", sql_str("'"))
    checks = (
        f"CASE WHEN regexp_matches({t}, '[0-9]') THEN {_sql_bad('name.digits')}"
        f" WHEN regexp_matches({t}, '{_SQL_BAD}') THEN {_sql_bad('name.bad_char', first_bad)}"
        f" WHEN sz_sc = 'mixed' THEN {_sql_bad('name.mixed_script')}"
        f" WHEN sz_sc = 'latin' THEN CASE"
        f" WHEN contains({t}, '{DOT}') THEN {bad_dot_char}"
        f" WHEN {latin_letters} < 2 THEN {_sql_bad('name.too_short')}"
        f" WHEN length({t}) > {MAX_LATIN} THEN {_sql_bad('name.too_long')}"
        f" ELSE {latin_valid} END"
        f" WHEN sz_sc IS NULL THEN {_sql_bad('name.too_short')}"
        f" WHEN contains({t}, {sql_str(chr(39))}) THEN {bad_quote}"
        f" ELSE {han} END"
    )
    empty = sql_early_verdict("'empty'", PARTS)
    placeholder = sql_verdict(
        "FALSE", "NULL", "'name.placeholder'", "CAST([] AS VARCHAR[])", sql_parts(PARTS, {})
    )
    return (
        f"CASE WHEN {t} = '' THEN {empty} WHEN sz_text__placeholder({t}) THEN {placeholder}"
        f" ELSE {sql_let(script, 'sz_sc', checks)} END"
    )


_NAME_INPUT = (
    f"{{'t': {normalize_sql('s', 'sz_t2s_name')}, 'plain': sz_text_basic(s), 'raw': s, 'py': {_PY_TABLE}}}"
)
_PRECHECKED = sql_early_verdict("sz_precheck(s)", PARTS)

macro(
    "sz_name_check",
    ["s"],
    f"CASE WHEN sz_precheck(s) IS NOT NULL THEN {_PRECHECKED}"
    f" ELSE {sql_let(_NAME_INPUT, 'sz_nm', _sql_check_body('sz_nm'))} END",
    "verdict of a personal name (the SQL twin of check_name)",
)

_SQL_BASIC_HAN = sql_class(((0x4E00, 0x9FFF),))


def sql_plain_valid(m: str) -> str:
    """SQL condition on the text expression ``m``: a name sz_name_check (and its lean form) accepts
    as written, with no notes: 2 to 25 ideographs of the basic block, none that the name
    normalisation changes (Traditional characters of the name map), and not a placeholder. A
    sufficient condition only (bulk cleansing checks the other names in full)."""
    return (
        f"coalesce(regexp_full_match({m}, '{_SQL_BASIC_HAN}{{{MIN_HAN},{MAX_HAN}}}')"
        f" AND NOT regexp_matches({m}, '{_sql_pass_class('sz_t2s_name')}')"
        f" AND NOT sz_text__placeholder({m}), false)"
    )


# For bulk cleansing (ingestion): the same valid, normalized and reason as sz_name_check, and the
# same whole verdict for every invalid name; a valid name gets its script as its only part and no
# notes. It skips the pinyin and the Traditional-character note, about half of the check's time.
_NAME_INPUT_LEAN = f"{{'t': {normalize_sql('s', 'sz_t2s_name')}}}"
macro(
    "sz_name_check_lean",
    ["s"],
    f"CASE WHEN sz_precheck(s) IS NOT NULL THEN {_PRECHECKED}"
    f" ELSE {sql_let(_NAME_INPUT_LEAN, 'sz_nm', _sql_check_body('sz_nm', lean=True))} END",
    "sz_name_check without the notes and the pinyin parts of valid names (bulk cleansing)",
)

macro(
    "sz_pinyin_key",
    ["s"],
    sql_let(
        f"{{'t': sz_text_normalize(s), 'py': {_PY_TABLE}}}",
        "sz_pk",
        "CASE WHEN sz_pk.t IS NULL THEN NULL ELSE array_to_string(list_transform(string_split(sz_pk.t, ''),"
        f" lambda sz_c: coalesce({_sql_reading('sz_pk.py', 'sz_c')},"
        f" CASE WHEN regexp_matches(sz_c, '{_SQL_KEYCHAR}') THEN lower(sz_c) ELSE '' END)), '') END",
    ),
    "homophone-tolerant key of any text: default toneless pinyin per ideograph, letters and digits"
    " lower-cased",
)

macro(
    "sz_pinyin_initials",
    ["s"],
    sql_let(
        f"{{'t': sz_text_normalize(s), 'py': {_PY_TABLE}}}",
        "sz_pk",
        "CASE WHEN sz_pk.t IS NULL THEN NULL ELSE array_to_string(list_transform(string_split(sz_pk.t, ''),"
        f" lambda sz_c: coalesce(left({_sql_reading('sz_pk.py', 'sz_c')}, 1),"
        f" CASE WHEN regexp_matches(sz_c, '{_SQL_KEYCHAR}') THEN lower(sz_c) ELSE '' END)), '') END",
    ),
    "first letters of the pinyin, character by character (人口库 -> rkk);"
    " the SQL pinyin_initials(phrases=False)",
)

macro(
    "sz_name_key",
    ["s"],
    "coalesce(sz_name_check(s).parts.pinyin_key, sz_pinyin_key(s))",
    "comparison key of a personal name (surname readings applied); the SQL twin of name_key",
)
