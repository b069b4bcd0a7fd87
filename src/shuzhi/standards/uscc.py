"""Unified social credit codes (统一社会信用代码, GB 32100-2015) and organisation codes
(组织机构代码, GB 11714-1997): check, explain, normalise.

**Unified social credit code** — 18 characters from the 31-character alphabet
``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, Z, S, V; values 0–30 in that order):

* position 1: registration authority (:data:`AUTHORITIES`: 1 机构编制, 2 外交, 3 司法行政, 4 文化,
  5 民政, 6 旅游, 7 宗教, 8 工会, 9 市场监管（工商）, A 中央军委改革和编制办公室, N 农业, Y 其他);
* position 2: organisation type within that authority (:data:`TYPES`, e.g. 9: 1 企业,
  2 个体工商户, 3 农民专业合作社; Y only 1);
* positions 3–8: division code (GB/T 2260) of the registration authority, current or retired;
  ``100000`` stands for the central (nationwide) authorities;
* positions 9–17: the subject identifier, an organisation code (GB 11714) with its own check
  character;
* position 18: check character, weights ``3^i mod 31`` = ``1 3 9 27 19 26 16 17 20 29 25 13 8
  24 10 30 28``, ``(31 − sum mod 31) mod 31``.

Decision on the embedded organisation code: GB 32100 says positions 9–17 are an organisation
code with its own check character, but codes issued to individual businesses and by some local
registries carry identifiers whose ninth character is not the GB 11714 check. The 18th
character already protects the whole code against typing errors (a mistyped character changes it
with probability 30/31), so a code whose 18th character is right is **valid**; when the embedded
check does not hold it gets the note ``uscc.orgcode_check`` (parts ``orgcode_valid`` false and
``orgcode_expected_check``), for a clerk to confirm with the registry if it matters.

Accepted and corrected (with a note): lower-case letters (``uscc.lowercase``), white space,
control or zero-width characters anywhere (``uscc.whitespace``), full-width characters
(``uscc.fullwidth``); a retired division code (``uscc.region_retired``).

Reasons, in order: ``empty``/``too_long``/``not_text`` → ``uscc.bad_chars`` → ``uscc.bad_length``
→ ``uscc.unknown_authority`` → ``uscc.unknown_type`` → ``uscc.unknown_region`` →
``uscc.check_mismatch``.

**Organisation code** — 8 body characters (digits, capital letters A=10 … Z=35) and a check
character: weights ``3 7 9 10 5 8 4 2``, ``c = 11 − sum mod 11`` written ``0``–``9``, 10 as ``X``
and 11 as ``0``. Written ``D2143569-X`` or ``D2143569X``; both are accepted, the normalized form
is the one with the hyphen (as printed on the certificates): ``D2143569-X``. Reasons:
``orgcode.bad_chars`` → ``orgcode.bad_length`` → ``orgcode.check_mismatch``; notes
``orgcode.lowercase``, ``orgcode.whitespace``, ``orgcode.fullwidth``.

SQL forms: ``sz_uscc_check(s)``, ``sz_uscc_normalize``, ``sz_uscc_valid``, ``sz_uscc_check_char(s17)``,
``sz_orgcode_check(s)``, ``sz_orgcode_normalize``, ``sz_orgcode_valid``, ``sz_orgcode_check_char(s8)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from shuzhi.standards import divisions
from shuzhi.standards._registry import CheckKind, register_kind
from shuzhi.standards._sql import macro
from shuzhi.standards._verdict import Verdict, precheck, register_reasons
from shuzhi.standards.idcard import resolve_region, sql_region, sql_region_status

__all__ = [
    "ALPHABET",
    "AUTHORITIES",
    "ORG_WEIGHTS",
    "TYPES",
    "USCC_WEIGHTS",
    "check_orgcode",
    "check_uscc",
    "orgcode_check_char",
    "uscc_check_char",
]

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

#: position 1: registration authority (GB 32100-2015, table 1, with the codes added since)
AUTHORITIES: Mapping[str, str] = {
    "1": "机构编制",
    "2": "外交",
    "3": "司法行政",
    "4": "文化",
    "5": "民政",
    "6": "旅游",
    "7": "宗教",
    "8": "工会",
    "9": "市场监管（工商）",
    "A": "中央军委改革和编制办公室",
    "N": "农业",
    "Y": "其他",
}
#: position 2 within each authority
TYPES: Mapping[str, Mapping[str, str]] = {
    "1": {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"},
    "2": {"1": "外国常驻新闻机构", "9": "其他"},
    "3": {
        "1": "律师执业机构",
        "2": "公证处",
        "3": "基层法律服务所",
        "4": "司法鉴定机构",
        "5": "仲裁委员会",
        "9": "其他",
    },
    "4": {"1": "外国在华文化中心", "9": "其他"},
    "5": {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"},
    "6": {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"},
    "7": {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"},
    "8": {"1": "基层工会", "9": "其他"},
    "9": {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"},
    "A": {"1": "军队事业单位", "9": "其他"},
    "N": {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
    "Y": {"1": "其他"},
}

USCC_PARTS_SQL = (
    ("region_name", "VARCHAR"),
    ("region_current", "BOOLEAN"),
    ("authority_code", "VARCHAR"),
    ("authority", "VARCHAR"),
    ("type_code", "VARCHAR"),
    ("type", "VARCHAR"),
    ("region_code", "VARCHAR"),
    ("orgcode", "VARCHAR"),
    ("orgcode_valid", "BOOLEAN"),
    ("orgcode_expected_check", "VARCHAR"),
    ("check", "VARCHAR"),
    ("expected_check", "VARCHAR"),
    ("length", "INTEGER"),
    ("position", "INTEGER"),
    ("char", "VARCHAR"),
)
USCC_PART_KEYS = tuple(k for k, _ in USCC_PARTS_SQL)
ORG_PARTS_SQL = (
    ("body", "VARCHAR"),
    ("check", "VARCHAR"),
    ("expected_check", "VARCHAR"),
    ("length", "INTEGER"),
    ("position", "INTEGER"),
    ("char", "VARCHAR"),
)
ORG_PART_KEYS = tuple(k for k, _ in ORG_PARTS_SQL)

register_reasons(
    {
        "uscc.bad_chars": (
            "第 {position} 位“{char}”不能出现在统一社会信用代码中：只用数字和大写字母，不用 I、O、Z、S、V"
            "（常见的是把 0 写成 O、1 写成 I）",
            "character {position} ('{char}') cannot occur in a unified social credit code: "
            "digits and capital "
            "letters except I, O, Z, S, V (0 and 1 are often mistyped as O and I)",
        ),
        "uscc.bad_length": (
            "代码有 {length} 位：统一社会信用代码应为 18 位",
            "the code has {length} characters: a unified social credit code has 18",
        ),
        "uscc.unknown_authority": (
            "第 1 位登记管理部门代码“{authority_code}”不存在（应为 1–9、A、N 或 Y）",
            "the registration authority '{authority_code}' (character 1) does not exist (1-9, A, N or Y)",
        ),
        "uscc.unknown_type": (
            "第 2 位机构类别代码“{type_code}”不属于登记管理部门 {authority_code}（{authority}）",
            "the organisation type '{type_code}' (character 2) does not exist under authority "
            "{authority_code} ({authority})",
        ),
        "uscc.unknown_region": (
            "第 3–8 位登记管理机关行政区划码 {region_code} 不是行政区划代码（现行和历史代码中都没有）",
            "the division code {region_code} (characters 3-8) is no division code, current or retired",
        ),
        "uscc.check_mismatch": (
            "校验码应为 {expected_check}，实为 {check}：前 17 位中有字符录错，或校验码写错",
            "the check character should be {expected_check}, not {check}: a character of the first 17 is "
            "mistyped, or the check character itself is wrong",
        ),
        "uscc.lowercase": ("小写字母已改为大写", "lower-case letters changed to capitals"),
        "uscc.whitespace": (
            "已删除代码中的空格、换行或不可见字符",
            "spaces, line breaks or invisible characters removed",
        ),
        "uscc.fullwidth": ("全角字符已转为半角", "full-width characters converted"),
        "uscc.region_retired": (
            "登记管理机关行政区划码 {region_code}（{region_name}）现已撤销；撤销的区划码本身不使代码无效",
            "the division code {region_code} ({region_name}) has since been retired; "
            "a retired code alone does not make the credit code invalid",
        ),
        "uscc.orgcode_check": (
            "第 9–17 位主体标识码 {orgcode} 不符合组织机构代码校验（应为 {orgcode_expected_check}），"
            "但统一代码校验位正确：可能是按地方规则赋码，必要时向登记机关核实",
            "the subject identifier {orgcode} (characters 9-17) fails the organisation code check (expected "
            "{orgcode_expected_check}) while the code's own check holds: probably assigned by a local rule; "
            "confirm with the registry if it matters",
        ),
        "orgcode.bad_chars": (
            "第 {position} 位“{char}”不能出现在组织机构代码中：前 8 位为数字或大写字母，校验码为数字或 X",
            "character {position} ('{char}') cannot occur in an organisation code: "
            "8 digits or capital letters, "
            "then a digit or X",
        ),
        "orgcode.bad_length": (
            "代码有 {length} 位：组织机构代码为 8 位本体代码加 1 位校验码（如 D2143569-X）",
            "the code has {length} characters: an organisation code has 8 characters and a check character "
            "(D2143569-X)",
        ),
        "orgcode.check_mismatch": (
            "校验码应为 {expected_check}，实为 {check}：本体代码中有字符录错，或校验码写错",
            "the check character should be {expected_check}, not {check}: "
            "a character of the body is mistyped, "
            "or the check character itself is wrong",
        ),
        "orgcode.lowercase": ("小写字母已改为大写", "lower-case letters changed to capitals"),
        "orgcode.whitespace": (
            "已删除代码中的空格、换行或不可见字符",
            "spaces, line breaks or invisible characters removed",
        ),
        "orgcode.fullwidth": ("全角字符已转为半角", "full-width characters converted"),
    }
)

_FULLWIDTH = re.compile(divisions.FULLWIDTH_RE)
_LOWER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _clean(text: str, prefix: str) -> tuple[str, list[str]]:
    """Squash, then upper-case ASCII letters; the notes for what changed."""
    t = divisions.squash(text)
    notes = []
    if len(t) < len(text):
        notes.append(f"{prefix}.whitespace")
    if _FULLWIDTH.search(text):
        notes.append(f"{prefix}.fullwidth")
    u = t.translate(_LOWER)
    if u != t:
        notes.append(f"{prefix}.lowercase")
    return u, notes


# --------------------------------------------------------------------------------------------
# Organisation code (GB 11714)


def orgcode_check_char(body: str) -> str:
    """The check character of an 8-character organisation code body (``D2143569`` → ``X``).

    Raises ValueError unless ``body`` is 8 digits or capital letters.
    """
    if not isinstance(body, str) or len(body) != 8 or any(c not in ORG_ALPHABET for c in body):
        raise ValueError(f"expected 8 digits or capital letters, got {body!r}")
    c = 11 - sum(ORG_ALPHABET.index(ch) * w for ch, w in zip(body, ORG_WEIGHTS, strict=True)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def _org_parts(**values: Any) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(ORG_PART_KEYS)
    out.update(values)
    return out


def check_orgcode(value: object) -> Verdict:
    """Check an organisation code (``D2143569-X`` or ``D2143569X``); never raises.

    A valid code's ``normalized`` form is ``D2143569-X`` (body, hyphen, check character).
    """
    kind = "orgcode"
    text, done = precheck(kind, value)
    if done is not None:
        return done
    assert text is not None
    t, notes = _clean(text, kind)
    if t == "":
        return Verdict(kind, text, False, reason="empty", parts=_org_parts())
    n = len(t)
    # characters: 8 body characters (digits, capitals), an optional hyphen, then 0-9 or X
    for i, ch in enumerate(t):
        ok = (
            ch in ORG_ALPHABET
            if i < 8
            else (ch == "-" and i == 8 and n == 10) or (ch in "0123456789X" and i == n - 1)
        )
        if not ok:
            return Verdict(
                kind,
                text,
                False,
                reason="orgcode.bad_chars",
                notes=tuple(notes),
                parts=_org_parts(position=i + 1, char=ch, length=n),
            )
    if n not in (9, 10):
        return Verdict(
            kind, text, False, reason="orgcode.bad_length", notes=tuple(notes), parts=_org_parts(length=n)
        )
    body, check = t[:8], t[-1]
    expected = orgcode_check_char(body)
    parts = _org_parts(body=body, check=check, expected_check=expected, length=n)
    if check != expected:
        return Verdict(kind, text, False, reason="orgcode.check_mismatch", notes=tuple(notes), parts=parts)
    return Verdict(kind, text, True, normalized=f"{body}-{check}", notes=tuple(notes), parts=parts)


# --------------------------------------------------------------------------------------------
# Unified social credit code (GB 32100)


def uscc_check_char(first17: str) -> str:
    """The check character of the first 17 characters of a unified social credit code.

    Raises ValueError unless ``first17`` is 17 characters of :data:`ALPHABET`.
    """
    if not isinstance(first17, str) or len(first17) != 17 or any(c not in ALPHABET for c in first17):
        raise ValueError(f"expected 17 characters of {ALPHABET}, got {first17!r}")
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def _uscc_parts(**values: Any) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(USCC_PART_KEYS)
    out.update(values)
    return out


def check_uscc(value: object) -> Verdict:
    """Check a unified social credit code; never raises. ``normalized`` is the 18 capitals."""
    kind = "uscc"
    text, done = precheck(kind, value)
    if done is not None:
        return done
    assert text is not None
    t, notes = _clean(text, kind)
    if t == "":
        return Verdict(kind, text, False, reason="empty", parts=_uscc_parts())
    n = len(t)
    bad = next((i for i, ch in enumerate(t) if ch not in ALPHABET), None)
    if bad is not None:
        return Verdict(
            kind,
            text,
            False,
            reason="uscc.bad_chars",
            notes=tuple(notes),
            parts=_uscc_parts(position=bad + 1, char=t[bad], length=n),
        )
    if n != 18:
        return Verdict(
            kind, text, False, reason="uscc.bad_length", notes=tuple(notes), parts=_uscc_parts(length=n)
        )
    a, ty, region_code, org, check = t[0], t[1], t[2:8], t[8:17], t[17]
    expected = uscc_check_char(t[:17])
    org_ok = all(c in ORG_ALPHABET for c in org[:8])
    org_expected = orgcode_check_char(org[:8]) if org_ok else None
    parts = _uscc_parts(
        authority_code=a,
        authority=AUTHORITIES.get(a),
        type_code=ty,
        type=TYPES.get(a, {}).get(ty),
        region_code=region_code,
        orgcode=f"{org[:8]}-{org[8]}",
        orgcode_valid=org_expected == org[8],
        orgcode_expected_check=org_expected,
        check=check,
        expected_check=expected,
        length=n,
    )
    region = resolve_region(region_code)
    if region is not None:
        parts["region_name"], parts["region_current"] = region
        if not region[1]:
            notes.append("uscc.region_retired")
    reason: str | None = None
    if a not in AUTHORITIES:
        reason = "uscc.unknown_authority"
    elif ty not in TYPES[a]:
        reason = "uscc.unknown_type"
    elif region is None:
        reason = "uscc.unknown_region"
    elif check != expected:
        reason = "uscc.check_mismatch"
    if reason is None and not parts["orgcode_valid"]:
        notes.append("uscc.orgcode_check")
    if reason is not None:
        return Verdict(kind, text, False, reason=reason, notes=tuple(notes), parts=parts)
    return Verdict(kind, text, True, normalized=t, notes=tuple(notes), parts=parts)


register_kind(
    CheckKind("uscc", "统一社会信用代码", "unified social credit code", check_uscc, "sz_uscc_check")
)
register_kind(CheckKind("orgcode", "组织机构代码", "organisation code", check_orgcode, "sz_orgcode_check"))


# --------------------------------------------------------------------------------------------
# SQL forms. The check macros compute the squashed, upper-cased text (and the precheck, and the
# region status of a credit code) once, as columns of a one-row derived table of a scalar
# subquery (_bind_once), so that the expanded SQL stays small; the region of a credit code is
# looked up outside CASE branches (see shuzhi.standards.idcard).


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


_LOWER_SQL = "'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'"


macro(
    "sz_uscc_text",
    ["s"],
    f"translate(sz_idcard_squash(s), {_LOWER_SQL})",
    "s squashed (white space, control and zero-width characters deleted, full-width made ASCII) "
    "and in capitals",
)


def _sql_clean(prefix: str) -> tuple[str, str]:
    """(squashed upper-case text, notes bits: whitespace 1, fullwidth 2, lowercase 4) of ``s``."""
    t0 = "sz_idcard_squash(s)"
    t = "sz_uscc_text(s)"
    bits = (
        f"(CASE WHEN length({t0}) < length(s) THEN 1 ELSE 0 END"
        f" + CASE WHEN regexp_matches(s, '{divisions.FULLWIDTH_RE2}') THEN 2 ELSE 0 END"
        f" + CASE WHEN regexp_matches({t0}, '[a-z]') THEN 4 ELSE 0 END)"
    )
    return t, bits


def _notes_sql(codes: tuple[str, ...], bits: str) -> str:
    lists = ", ".join(
        "[" + ", ".join(f"'{c}'" for i, c in enumerate(codes) if b >> i & 1) + "]::VARCHAR[]"
        for b in range(1 << len(codes))
    )
    return f"[{lists}][({bits}) + 1]"


def _parts_sql(spec: tuple[tuple[str, str], ...], values: Mapping[str, str]) -> str:
    return "struct_pack(" + ", ".join(f'"{k}" := ({values.get(k, "NULL")})::{t}' for k, t in spec) + ")"


#: calls that the check macros bind once, as columns of a one-row derived table of a scalar
#: subquery: written out at every reference (each expands to hundreds of characters) they made
#: the expanded macros hundreds of thousands of characters long, which DuckDB spent seconds planning
_SHARED = (
    ("sz_uscc_text(s)", "sz_uq_t"),
    ("sz_idcard_squash(s)", "sz_uq_t0"),
    ("sz_precheck(s)", "sz_uq_pre"),
)


def _bind_once(body: str, *, then: Mapping[str, str] | None = None) -> str:
    """``body`` as a scalar subquery that computes each of :data:`_SHARED` once, and then each
    value of ``then`` (``{name: expression over the shared values}``) once."""

    def bound(text: str) -> str:
        for call, name in _SHARED:
            text = text.replace(call, name)
        return text

    source = "(SELECT " + ", ".join(f"{call} AS {name}" for call, name in _SHARED) + ")"
    if then:
        source = f"(SELECT *, {', '.join(f'{bound(e)} AS {n}' for n, e in then.items())} FROM {source})"
    return f"(SELECT {bound(body)} FROM {source})"


def _value(ch: str, alphabet: str) -> str:
    return f"(strpos('{alphabet}', {ch}) - 1)"


# ---- organisation code
_OT, _OBITS = _sql_clean("orgcode")
_ON = f"length({_OT})"
_OP1 = f"(length(regexp_extract({_OT}, '^[0-9A-Z]{{0,8}}')) + 1)"
_OBAD = (
    f"CASE WHEN {_OP1} <= least({_ON}, 8) THEN {_OP1} "
    f"WHEN {_ON} = 9 THEN CASE WHEN regexp_full_match(substr({_OT}, 9, 1), '[0-9X]') THEN 0 ELSE 9 END "
    f"WHEN {_ON} = 10 THEN CASE WHEN substr({_OT}, 9, 1) <> '-' THEN 9 "
    f"WHEN regexp_full_match(substr({_OT}, 10, 1), '[0-9X]') THEN 0 ELSE 10 END "
    f"WHEN {_ON} > 10 THEN 9 ELSE 0 END"
)  # first bad character, 1-based, or 0
_OBODY = f"left({_OT}, 8)"
_OEXP = (
    "CASE (11 - ("
    + " + ".join(
        f"{_value(f'substr({_OT}, {i + 1}, 1)', ORG_ALPHABET)} * {w}" for i, w in enumerate(ORG_WEIGHTS)
    )
    + ") % 11) WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE (11 - ("
    + " + ".join(
        f"{_value(f'substr({_OT}, {i + 1}, 1)', ORG_ALPHABET)} * {w}" for i, w in enumerate(ORG_WEIGHTS)
    )
    + ") % 11)::VARCHAR END"
)
_OREASON = (
    f"CASE WHEN sz_precheck(s) IS NOT NULL THEN sz_precheck(s) WHEN {_OT} = '' THEN 'empty' "
    f"WHEN ({_OBAD}) > 0 AND ({_OBAD}) <= {_ON} THEN 'orgcode.bad_chars' "
    f"WHEN {_ON} NOT IN (9, 10) THEN 'orgcode.bad_length' "
    f"WHEN right({_OT}, 1) <> ({_OEXP}) THEN 'orgcode.check_mismatch' END"
)
_OSOUND = (
    f"sz_precheck(s) IS NULL AND {_OT} <> '' AND NOT (({_OBAD}) > 0 AND ({_OBAD}) <= {_ON}) "
    f"AND {_ON} IN (9, 10)"
)
macro(
    "sz_orgcode_check",
    ["s"],
    _bind_once(f"""struct_pack(
    valid := ({_OREASON}) IS NULL,
    normalized := CASE WHEN ({_OREASON}) IS NULL THEN {_OBODY} || '-' || right({_OT}, 1) END,
    reason := {_OREASON},
    notes := CASE WHEN sz_precheck(s) IS NULL AND {_OT} <> ''
                  THEN {_notes_sql(("orgcode.whitespace", "orgcode.fullwidth", "orgcode.lowercase"), _OBITS)}
                  ELSE []::VARCHAR[] END,
    parts := {
        _parts_sql(
            ORG_PARTS_SQL,
            {
                "body": f"CASE WHEN {_OSOUND} THEN {_OBODY} END",
                "check": f"CASE WHEN {_OSOUND} THEN right({_OT}, 1) END",
                "expected_check": f"CASE WHEN {_OSOUND} THEN {_OEXP} END",
                "length": f"CASE WHEN sz_precheck(s) = 'too_long' THEN length(s) "
                f"WHEN sz_precheck(s) IS NULL AND {_OT} <> '' THEN {_ON} END",
                "position": f"CASE WHEN ({_OREASON}) = 'orgcode.bad_chars' THEN {_OBAD} END",
                "char": f"CASE WHEN ({_OREASON}) = 'orgcode.bad_chars' THEN substr({_OT}, {_OBAD}, 1) END",
            },
        )
    })"""),
    "verdict of an organisation code (GB 11714): STRUCT(valid, normalized, reason, notes, parts)",
)
macro(
    "sz_orgcode_normalize",
    ["s"],
    "sz_orgcode_check(s).normalized",
    "D2143569-X form of a valid organisation code, else NULL",
)
macro("sz_orgcode_valid", ["s"], "sz_orgcode_check(s).valid", "whether s is a valid organisation code")
macro(
    "sz_orgcode_check_char",
    ["s8"],
    f"CASE WHEN regexp_full_match(s8, '[0-9A-Z]{{8}}') THEN ({_OEXP.replace(_OT, 's8')}) END",
    "check character of an 8-character organisation code body, NULL unless s8 is 8 digits or capitals",
)

# ---- unified social credit code
_UT, _UBITS = _sql_clean("uscc")
_UN = f"length({_UT})"
_UP = f"(length(regexp_extract({_UT}, '^[0-9A-HJ-NPQRTUWXY]*')) + 1)"  # first bad character
_USUM = " + ".join(
    f"{_value(f'substr({_UT}, {i + 1}, 1)', ALPHABET)} * {w}" for i, w in enumerate(USCC_WEIGHTS)
)
_UEXP = f"substr('{ALPHABET}', ((31 - ({_USUM}) % 31) % 31)::INTEGER + 1, 1)"
_AUTH_CASE = (
    "CASE left({t}, 1) " + " ".join(f"WHEN '{k}' THEN {_sql_str(v)}" for k, v in AUTHORITIES.items()) + " END"
)
_TYPE_CASE = (
    "CASE left({t}, 2) "
    + " ".join(f"WHEN '{a}{k}' THEN {_sql_str(v)}" for a, ts in TYPES.items() for k, v in ts.items())
    + " END"
)
_UAUTH = _AUTH_CASE.format(t=_UT)
_UTYPE = _TYPE_CASE.format(t=_UT)
_UORG8 = f"substr({_UT}, 9, 8)"
_UORGEXP = (
    f"CASE WHEN regexp_full_match({_UORG8}, '[0-9A-Z]{{8}}') THEN " + _OEXP.replace(_OT, _UORG8) + " END"
)
_USOUND = f"(sz_precheck(s) IS NULL AND {_UT} <> '' AND {_UP} > {_UN} AND {_UN} = 18)"
# the region: looked up once for the status and once for the row, outside CASE branches
_URC = (
    f"try_cast(CASE WHEN {_USOUND} AND regexp_full_match(substr({_UT}, 3, 6), '[0-9]{{6}}') "
    f"THEN substr({_UT}, 3, 6) END AS BIGINT)"
)
_UST = f"coalesce({sql_region_status(_URC)}, 0)"
_UREASON = (
    f"CASE WHEN sz_precheck(s) IS NOT NULL THEN sz_precheck(s) WHEN {_UT} = '' THEN 'empty' "
    f"WHEN {_UP} <= {_UN} THEN 'uscc.bad_chars' WHEN {_UN} <> 18 THEN 'uscc.bad_length' "
    f"WHEN ({_UAUTH}) IS NULL THEN 'uscc.unknown_authority' WHEN ({_UTYPE}) IS NULL THEN 'uscc.unknown_type' "
    f"WHEN {{st}} = 0 THEN 'uscc.unknown_region' "
    f"WHEN right({_UT}, 1) <> ({_UEXP}) THEN 'uscc.check_mismatch' END"
)
_UCODES = ("uscc.whitespace", "uscc.fullwidth", "uscc.lowercase", "uscc.region_retired", "uscc.orgcode_check")
_UVALID_NOTES = _notes_sql(
    _UCODES,
    f"({_UBITS}) + CASE WHEN {{st}} = 2 THEN 8 ELSE 0 END "
    f"+ CASE WHEN ({_UORGEXP}) IS DISTINCT FROM substr({_UT}, 17, 1) THEN 16 ELSE 0 END",
)
_UINVALID_NOTES = _notes_sql(
    _UCODES,
    f"CASE WHEN sz_precheck(s) IS NULL AND {_UT} <> '' THEN ({_UBITS}) ELSE 0 END "
    f"+ CASE WHEN {{st}} = 2 THEN 8 ELSE 0 END",
)
_UVERDICT = f"""struct_pack(
        valid := ({_UREASON}) IS NULL,
        normalized := CASE WHEN ({_UREASON}) IS NULL THEN {_UT} END,
        reason := {_UREASON},
        notes := CASE WHEN ({_UREASON}) IS NULL THEN {_UVALID_NOTES} ELSE {_UINVALID_NOTES} END)"""
macro(
    "sz_uscc_verdict",
    ["s", "st"],
    _UVERDICT.replace("{st}", "st"),
    "valid, normalized, reason and notes of a credit code, given the status st of its region "
    "(0 unknown, 1 current, 2 retired)",
)
_UVERDICT_BOUND = _UVERDICT.replace("{st}", "sz_uq_st")
macro(
    "sz_uscc_check",
    ["s"],
    # the status of the region is looked up once (a subquery outside CASE branches) and bound
    _bind_once(
        f"""struct_insert(
    {_UVERDICT_BOUND},
    parts := struct_concat(
        coalesce({
            sql_region(_URC)
        }, struct_pack(region_name := NULL::VARCHAR, region_current := NULL::BOOLEAN)),
        {
            _parts_sql(
                USCC_PARTS_SQL[2:],
                {
                    "authority_code": f"CASE WHEN {_USOUND} THEN left({_UT}, 1) END",
                    "authority": f"CASE WHEN {_USOUND} THEN {_UAUTH} END",
                    "type_code": f"CASE WHEN {_USOUND} THEN substr({_UT}, 2, 1) END",
                    "type": f"CASE WHEN {_USOUND} THEN {_UTYPE} END",
                    "region_code": f"CASE WHEN {_USOUND} THEN substr({_UT}, 3, 6) END",
                    "orgcode": f"CASE WHEN {_USOUND} "
                    f"THEN substr({_UT}, 9, 8) || '-' || substr({_UT}, 17, 1) END",
                    "orgcode_valid": f"CASE WHEN {_USOUND} "
                    f"THEN ({_UORGEXP}) IS NOT DISTINCT FROM substr({_UT}, 17, 1) END",
                    "orgcode_expected_check": f"CASE WHEN {_USOUND} THEN {_UORGEXP} END",
                    "check": f"CASE WHEN {_USOUND} THEN right({_UT}, 1) END",
                    "expected_check": f"CASE WHEN {_USOUND} THEN {_UEXP} END",
                    "length": f"CASE WHEN sz_precheck(s) = 'too_long' THEN length(s) "
                    f"WHEN sz_precheck(s) IS NULL AND {_UT} <> '' THEN {_UN} END",
                    "position": f"CASE WHEN sz_precheck(s) IS NULL AND {_UT} <> '' AND {_UP} <= {_UN} "
                    f"THEN {_UP} END",
                    "char": f"CASE WHEN sz_precheck(s) IS NULL AND {_UT} <> '' AND {_UP} <= {_UN} "
                    f"THEN substr({_UT}, {_UP}, 1) END",
                },
            )
        }))""",
        then={"sz_uq_st": _UST},
    ),
    "verdict of a unified social credit code (GB 32100): STRUCT(valid, normalized, reason, notes, parts)",
)
macro(
    "sz_uscc_normalize",
    ["s"],
    "sz_uscc_check(s).normalized",
    "the 18 capitals of a valid credit code, else NULL",
)
macro("sz_uscc_valid", ["s"], "sz_uscc_check(s).valid", "whether s is a valid unified social credit code")
macro(
    "sz_uscc_check_char",
    ["s17"],
    f"CASE WHEN regexp_full_match(s17, '[0-9A-HJ-NPQRTUWXY]{{17}}') THEN ({_UEXP.replace(_UT, 's17')}) END",
    "check character of the first 17 characters of a credit code, "
    "NULL unless they are 17 characters of the alphabet",
)
