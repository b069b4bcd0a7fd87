"""Text cleansing (文本清洗): the first step before any other check.

What departments write is full of noise that is not part of the value: full-width letters and
digits typed with a Chinese input method, zero-width and control characters pasted from web
pages, runs of spaces, Traditional characters, four different middle dots in minority names,
and words that mean "missing" (无, 不详, NULL, /). This module removes that noise, the same way
in Python and in SQL.

Steps of :func:`normalize_text`, in order:

1. remove control characters (C0/C1 except whitespace) and invisible format characters
   (zero-width space/joiners U+200B–U+200D, BOM U+FEFF, word joiner U+2060, bidi marks,
   soft hyphen, ...);
2. every whitespace character (tab, newline, no-break space, U+3000 ideographic space, ...)
   becomes one space, runs of spaces collapse to one;
3. full-width ASCII U+FF01–U+FF5E becomes ASCII (minus 0xFEE0);
4. middle-dot look-alikes (• ‧ ・ ･ ∙ ⋅ and Greek ano teleia) become U+00B7 ``·``;
5. Traditional → Simplified Chinese with OpenCC ``t2s`` (optional);
6. leading and trailing spaces are trimmed.

Traditional → Simplified has two forms. OpenCC converts by phrase (乾燥 → 干燥 but 乾隆 stays),
which only Python can do. The SQL form (``sz_text_normalize``) converts character by character
with OpenCC's own single-character mapping, exported at install time from the installed
``opencc`` package (one dense list indexed by code point, so a lookup is O(1)); Python gives
the same result with ``phrases=False``. The two differ only where OpenCC's phrase table
overrides a character's default mapping.

Placeholders (:data:`PLACEHOLDERS`) are values that mean "missing"; :func:`clean_text` turns
them into None. ``0`` is a placeholder only where a field declares it (``zero_is_missing``).

The module also holds the small SQL-building helpers the standards modules of this group share
(``sql_let``, ``sql_verdict``, character-class rendering).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from shuzhi.standards._sql import lookup_table, macro

__all__ = [
    "DOT",
    "PLACEHOLDERS",
    "clean_text",
    "fullwidth_to_ascii",
    "is_placeholder",
    "name_t2s_char_map",
    "normalize_text",
    "t2s_char_map",
    "to_simplified",
]

# --------------------------------------------------------------------------------------------
# Character classes, rendered for Python ``re`` and for RE2 (DuckDB) from one definition.

Ranges = Sequence[tuple[int, int]]

#: control and invisible format characters that are removed
REMOVE_RANGES: Ranges = (
    (0x00, 0x08),
    (0x0E, 0x1F),  # \x1c-\x1f count as whitespace for str.isspace but carry no meaning here
    (0x7F, 0x84),
    (0x86, 0x9F),
    (0xAD, 0xAD),  # soft hyphen
    (0x061C, 0x061C),  # Arabic letter mark
    (0x180E, 0x180E),  # Mongolian vowel separator
    (0x200B, 0x200F),  # zero-width space, ZWNJ, ZWJ, LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x2064),  # word joiner, invisible operators
    (0x2066, 0x206F),  # bidi isolates, deprecated format characters
    (0xFEFF, 0xFEFF),  # BOM / zero-width no-break space
    (0xFFF9, 0xFFFB),  # interlinear annotation characters
)

#: whitespace characters that become one space (U+3000 is the ideographic, full-width space)
SPACE_RANGES: Ranges = (
    (0x09, 0x0D),
    (0x20, 0x20),
    (0x85, 0x85),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
)

#: CJK ideographs: unified blocks, extension A, extensions B–I and compatibility ideographs
HAN_RANGES: Ranges = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2EE5F),
    (0x2F800, 0x2FA1F),
    (0x30000, 0x323AF),
)

DOT = "\u00b7"
#: characters written for the middle dot of transliterated names; all become U+00B7
DOT_VARIANTS = "\u2022\u2027\u30fb\uff65\u2219\u22c5\u0387"

FULLWIDTH_FIRST, FULLWIDTH_LAST, FULLWIDTH_SHIFT = 0xFF01, 0xFF5E, 0xFEE0


def py_class(ranges: Ranges, extra: str = "", negate: bool = False) -> str:
    """A Python ``re`` character class for ``ranges`` (plus literal characters ``extra``)."""

    def esc(cp: int) -> str:
        return f"\\U{cp:08x}" if cp > 0xFFFF else f"\\u{cp:04x}"

    body = "".join(esc(a) if a == b else f"{esc(a)}-{esc(b)}" for a, b in ranges)
    body += "".join(esc(ord(c)) for c in extra)
    return f"[{'^' if negate else ''}{body}]"


def sql_class(ranges: Ranges, extra: str = "", negate: bool = False) -> str:
    """The same character class in RE2 syntax (DuckDB's regular expressions)."""

    def esc(cp: int) -> str:
        return f"\\x{{{cp:X}}}"

    body = "".join(esc(a) if a == b else f"{esc(a)}-{esc(b)}" for a, b in ranges)
    body += "".join(esc(ord(c)) for c in extra)
    return f"[{'^' if negate else ''}{body}]"


def sql_str(s: str) -> str:
    """A SQL string literal."""
    return "'" + s.replace("'", "''") + "'"


def sql_let(value: str, var: str, body: str) -> str:
    """Bind ``value`` to the lambda variable ``var`` inside ``body`` (one evaluation).

    DuckDB macros have no local variables; ``list_transform([v], lambda x: ...)[1]`` evaluates
    ``v`` once and lets ``body`` use it many times. ``body`` must not contain subqueries
    (DuckDB refuses them inside lambdas): bind lookup results in ``value`` instead.
    """
    return f"list_transform([{value}], lambda {var}: {body})[1]"


def sql_notes(conditions: Iterable[tuple[str, str]]) -> str:
    """``VARCHAR[]`` of the note codes whose SQL condition holds, in order."""
    items = ", ".join(f"CASE WHEN {cond} THEN {sql_str(code)} END" for code, cond in conditions)
    if not items:
        return "CAST([] AS VARCHAR[])"
    return f"CAST(list_filter([{items}], lambda sz_n: sz_n IS NOT NULL) AS VARCHAR[])"


def sql_parts_type(parts: Sequence[tuple[str, str]]) -> str:
    return "STRUCT(" + ", ".join(f"{name} {typ}" for name, typ in parts) + ")"


def sql_parts(parts: Sequence[tuple[str, str]], values: dict[str, str]) -> str:
    """A parts struct literal; every declared field present, cast to its type."""
    fields = ", ".join(f"'{name}': CAST({values.get(name, 'NULL')} AS {typ})" for name, typ in parts)
    return "{" + fields + "}"


def sql_verdict(valid: str, normalized: str, reason: str, notes: str, parts: str) -> str:
    """The verdict struct every ``sz_<kind>_check`` returns."""
    return (
        f"{{'valid': CAST({valid} AS BOOLEAN), 'normalized': CAST({normalized} AS VARCHAR), "
        f"'reason': CAST({reason} AS VARCHAR), 'notes': CAST({notes} AS VARCHAR[]), 'parts': {parts}}}"
    )


def sql_early_verdict(reason: str, parts: Sequence[tuple[str, str]]) -> str:
    """Verdict for input that ends before parsing (precheck, blank after cleaning): no parts,
    like the Python form's ``precheck`` verdicts."""
    return sql_verdict(
        "FALSE", "NULL", reason, "CAST([] AS VARCHAR[])", f"CAST(NULL AS {sql_parts_type(parts)})"
    )


# --------------------------------------------------------------------------------------------
# Python form

# lone surrogates can reach Python (not DuckDB, not OpenCC): removed as well
_PY_REMOVE = re.compile(py_class((*REMOVE_RANGES, (0xD800, 0xDFFF))))
_PY_SPACES = re.compile(py_class(SPACE_RANGES) + "+")
_PY_ASCII_FAST = re.compile(r"[!-~]+(?: [!-~]+)*")

_SURROGATES = re.compile("[\ud800-\udfff]")
_FULLWIDTH_TABLE: dict[int, str] = {
    cp: chr(cp - FULLWIDTH_SHIFT) for cp in range(FULLWIDTH_FIRST, FULLWIDTH_LAST + 1)
}
_BASIC_TABLE: dict[int, str] = {**_FULLWIDTH_TABLE, **{ord(c): DOT for c in DOT_VARIANTS}}


@cache
def _opencc() -> Any:
    import opencc

    try:
        return opencc.OpenCC("t2s")
    except Exception:  # older packages want the file name
        return opencc.OpenCC("t2s.json")


@cache
def t2s_char_map() -> dict[str, str]:
    """OpenCC's Traditional → Simplified mapping of single characters (only those that change).

    Computed from the installed OpenCC by converting every CJK ideograph on its own, one per
    line (OpenCC's phrases never span a line break), so it is exactly what OpenCC does to an
    isolated character.
    """
    chars = [chr(cp) for a, b in HAN_RANGES for cp in range(a, b + 1)]
    out = _opencc().convert("\n".join(chars)).split("\n")
    if len(out) != len(chars):  # pragma: no cover - would mean OpenCC changed line handling
        out = [_opencc().convert(c) for c in chars]
    return {c: o for c, o in zip(chars, out, strict=True) if o != c and len(o) == 1}


@cache
def name_t2s_char_map() -> dict[str, str]:
    """The character map used for personal names: :func:`t2s_char_map` without the characters
    GB 2312 encodes. Those are legal Simplified characters in their own right (乾, 於 as a
    surname, 吒 of 哪吒, 徵 ...), and converting them would change a person's name."""
    out = {}
    for k, v in t2s_char_map().items():
        try:
            k.encode("gb2312")
        except UnicodeEncodeError:
            out[k] = v
    return out


@cache
def _t2s_table() -> dict[int, str]:
    return {ord(k): v for k, v in t2s_char_map().items()}


@cache
def _name_t2s_table() -> dict[int, str]:
    return {ord(k): v for k, v in name_t2s_char_map().items()}


def fullwidth_to_ascii(s: str) -> str:
    """Full-width ASCII forms (U+FF01–U+FF5E) to ASCII, U+3000 to a space."""
    return s.translate({**_FULLWIDTH_TABLE, 0x3000: " "})


def to_simplified(s: str, *, phrases: bool = True) -> str:
    """Traditional → Simplified with OpenCC ``t2s``; ``phrases=False`` converts character by
    character (the SQL form's behaviour). Lone surrogates (which OpenCC cannot take) are dropped."""
    if phrases:
        return str(_opencc().convert(_SURROGATES.sub("", s)))
    return s.translate(_t2s_table())


def _basic(s: str) -> str:
    s = _PY_REMOVE.sub("", s)
    s = _PY_SPACES.sub(" ", s)
    return s.translate(_BASIC_TABLE)


def normalize_text(
    value: object, *, simplify: bool = True, phrases: bool = True, names: bool = False
) -> str | None:
    """Clean ``value`` (steps in the module docstring); None stays None, other non-text becomes
    text (``str(value)``; a float NaN becomes None). The result may be ``""``.

    ``simplify=False`` skips Traditional → Simplified; ``phrases=False`` converts character by
    character, like the SQL form ``sz_text_normalize``; ``names=True`` uses the character map
    for personal names (:func:`name_t2s_char_map`, implies ``phrases=False``).
    """
    s = _as_text(value)
    if s is None:
        return None
    if _PY_ASCII_FAST.fullmatch(s):
        return s
    s = _basic(s)
    if names:
        s = s.translate(_name_t2s_table())
    elif simplify:
        s = str(_opencc().convert(s)) if phrases else s.translate(_t2s_table())
    return s.strip(" ")


def _as_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value):  # None, NaN
        return None
    return value if isinstance(value, str) else str(value)


#: values that mean "missing" (compared after cleaning, ASCII letters lower-cased)
PLACEHOLDERS: frozenset[str] = frozenset(
    {
        "无",
        "空",
        "/",
        "-",
        "--",
        "null",
        "不详",
        "未知",
        "暂无",
        "n/a",
        "na",
        "nan",
        "none",
        "无数据",
        "空值",
        "缺失",
        "?",
        "??",
    }
)
_PY_DASHES = re.compile(r"[-—–_/\\]+")


def is_placeholder(value: object, *, zero_is_missing: bool = False) -> bool:
    """Whether ``value`` means "missing" (无, 空, /, -, --, NULL, 不详, 未知, 暂无, N/A, nan, ...;
    ``0`` too when ``zero_is_missing``). Blank and None count as missing."""
    s = normalize_text(value, phrases=False)
    if not s:
        return True
    return _placeholder(s, zero_is_missing)


def _placeholder(s: str, zero_is_missing: bool) -> bool:
    low = s.lower()
    if low in PLACEHOLDERS or _PY_DASHES.fullmatch(s):
        return True
    return zero_is_missing and s == "0"


def clean_text(
    value: object, *, simplify: bool = True, phrases: bool = True, zero_is_missing: bool = False
) -> str | None:
    """:func:`normalize_text`, then None for blank results and placeholders meaning missing."""
    s = normalize_text(value, simplify=simplify, phrases=phrases)
    if not s or _placeholder(s, zero_is_missing):
        return None
    return s


# --------------------------------------------------------------------------------------------
# SQL form


@cache
def _t2s_rows() -> list[tuple[int, list[str | None], list[str | None]]]:
    """One row: the first code point and two dense lists indexed by code point (text map and
    the name map of :mod:`shuzhi.standards.names`)."""
    text = t2s_char_map()
    names = name_t2s_char_map()
    lo = min(ord(c) for c in text)
    hi = max(ord(c) for c in text)
    text_list = [text.get(chr(cp)) for cp in range(lo, hi + 1)]
    name_list = [names.get(chr(cp)) for cp in range(lo, hi + 1)]
    return [(lo, text_list, name_list)]


lookup_table(
    "sz_text_t2s",
    [("sz_t2s_base", "INTEGER"), ("sz_t2s_text", "VARCHAR[]"), ("sz_t2s_name", "VARCHAR[]")],
    _t2s_rows,
    "OpenCC t2s single-character map as dense lists indexed by code point - base + 1",
)

_SQL_REMOVE = sql_class(REMOVE_RANGES)
_SQL_SPACES = sql_class(SPACE_RANGES) + "+"
_SQL_ASCII_FAST = "^[!-~]+( [!-~]+)*$"
_SQL_DOTS = ", ".join(sql_str(c) for c in DOT_VARIANTS)


def _sql_char_pass(x: str, table_var: str | None, list_field: str) -> str:
    """Per-character pass over ``x``: full-width → ASCII, dot variants → U+00B7 and, with a
    bound lookup struct ``table_var``, Traditional → Simplified."""
    t2s = ""
    if table_var is not None:
        idx = f"unicode(sz_ch) - {table_var}.sz_t2s_base + 1"
        t2s = (
            f" WHEN {idx} BETWEEN 1 AND len({table_var}.{list_field})"
            f" THEN coalesce({table_var}.{list_field}[{idx}], sz_ch)"
        )
    return (
        f"array_to_string(list_transform(string_split({x}, ''), lambda sz_ch: CASE"
        f" WHEN unicode(sz_ch) BETWEEN {FULLWIDTH_FIRST} AND {FULLWIDTH_LAST}"
        f" THEN chr(unicode(sz_ch) - {FULLWIDTH_SHIFT})"
        f" WHEN sz_ch IN ({_SQL_DOTS}) THEN '{DOT}'{t2s} ELSE sz_ch END), '')"
    )


@cache
def _sql_pass_class(list_field: str | None) -> str:
    """RE2 class of every character the per-character pass changes: full-width ASCII, the dot
    variants and, with ``list_field``, the Traditional characters of that map (literal, in
    ranges: about 5,500 characters)."""
    chars = {*DOT_VARIANTS}
    if list_field is not None:
        m = t2s_char_map() if list_field == "sz_t2s_text" else name_t2s_char_map()
        chars.update(k for k, v in m.items() if v != k)
    cps = sorted({ord(c) for c in chars} | set(range(FULLWIDTH_FIRST, FULLWIDTH_LAST + 1)))
    assert ord(" ") not in cps  # the fast path tests the text before spaces are collapsed
    runs: list[list[int]] = []
    for cp in cps:
        if runs and runs[-1][1] == cp - 1:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp])

    def one(cp: int) -> str:
        ch = chr(cp)
        return f"\\x{{{cp:x}}}" if not ch.isprintable() or ch in "\\]^-[" or cp < 0x3000 else ch

    return "[" + "".join(one(a) if a == b else f"{one(a)}-{one(b)}" for a, b in runs) + "]"


@cache
def sql_changed_class(list_field: str | None) -> str:
    """RE2 class of every character :func:`normalize_sql` changes or removes: controls and
    zero-width characters, white space (the space itself included) and the per-character pass's
    characters. Text with none of them is its own normal form."""
    return "[" + _SQL_REMOVE[1:-1] + _SQL_SPACES[1:-2] + _sql_pass_class(list_field)[1:-1] + "]"


def normalize_sql(s: str, list_field: str | None) -> str:
    """SQL expression normalising the text expression ``s`` (``list_field``: ``sz_t2s_text``,
    ``sz_t2s_name`` or None for no Traditional → Simplified).

    Text with no character any step would change (:func:`sql_changed_class`: most Chinese text
    without spaces) is returned as it is, after one regular expression. Other text with no
    character the per-character pass would change (Simplified Chinese with spaces or controls)
    skips the pass, which is several times slower than the regular expression that proves it
    unnecessary (the removal and space steps never add such a character, so testing ``s`` itself
    is enough)."""
    spaced = f"regexp_replace(regexp_replace({s}, '{_SQL_REMOVE}', '', 'g'), '{_SQL_SPACES}', ' ', 'g')"
    if list_field is None:
        converted = _sql_char_pass(spaced, None, "")
    else:
        table = f"(SELECT {{'sz_t2s_base': sz_t2s_base, '{list_field}': {list_field}}} FROM sz_text_t2s)"
        converted = sql_let(table, "sz_t2s", _sql_char_pass(spaced, "sz_t2s", list_field))
    return (
        f"CASE WHEN {s} IS NULL THEN NULL"
        f" WHEN NOT regexp_matches({s}, '{sql_changed_class(list_field)}') THEN {s}"
        f" WHEN regexp_matches({s}, '{_SQL_ASCII_FAST}') THEN {s}"
        f" WHEN NOT regexp_matches({s}, '{_sql_pass_class(list_field)}') THEN trim({spaced}, ' ')"
        f" ELSE trim({converted}, ' ') END"
    )


macro(
    "sz_text_normalize",
    ["s"],
    normalize_sql("s", "sz_t2s_text"),
    "clean text: controls/zero-width removed, whitespace collapsed, full-width to ASCII, dots to "
    "U+00B7, Traditional to Simplified character by character; NULL stays NULL",
)
macro(
    "sz_text_basic",
    ["s"],
    normalize_sql("s", None),
    "sz_text_normalize without Traditional to Simplified",
)

_SQL_PLACEHOLDERS = ", ".join(sql_str(p) for p in sorted(PLACEHOLDERS))
macro(
    "sz_text__placeholder",
    ["t"],
    f"(lower(t) IN ({_SQL_PLACEHOLDERS}) OR regexp_matches(t, '^[-—–_/\\\\]+$'))",
    "whether already-normalised text is a placeholder meaning missing",
)
macro(
    "sz_is_placeholder",
    ["s"],
    sql_let("coalesce(sz_text_normalize(s), '')", "sz_tp", "sz_tp = '' OR sz_text__placeholder(sz_tp)"),
    "whether s means missing (blank, NULL, 无, 不详, /, -, N/A, ...)",
)
macro(
    "sz_is_placeholder_or_zero",
    ["s"],
    sql_let(
        "coalesce(sz_text_normalize(s), '')",
        "sz_tp",
        "sz_tp = '' OR sz_tp = '0' OR sz_text__placeholder(sz_tp)",
    ),
    "sz_is_placeholder, and 0 too (for fields that declare 0 as missing)",
)
macro(
    "sz_text_clean",
    ["s"],
    sql_let(
        "sz_text_normalize(s)",
        "sz_tc",
        "CASE WHEN sz_tc = '' OR sz_text__placeholder(sz_tc) THEN NULL ELSE sz_tc END",
    ),
    "sz_text_normalize, then NULL for blank text and placeholders (the SQL clean_text(phrases=False))",
)
macro(
    "sz_text_clean_zero",
    ["s"],
    sql_let(
        "sz_text_normalize(s)",
        "sz_tc",
        "CASE WHEN sz_tc = '' OR sz_tc = '0' OR sz_text__placeholder(sz_tc) THEN NULL ELSE sz_tc END",
    ),
    "sz_text_clean where 0 also means missing",
)
