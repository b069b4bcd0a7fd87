"""Chinese addresses: split, fill in, normalise and compare (地址解析与规范化).

An address is read left to right as::

    [province] [prefecture] [county] [town] [community] [road [number]] [estate] [building unit room] [rest]

The division part is matched against the GB/T 2260 names of :mod:`shuzhi.standards.divisions`
(full names and suffix-less forms: 山西/山西省, 晋城/晋城市, 阳城/阳城县, and the former full names
of :func:`~shuzhi.standards.divisions.former_names`: 高平县 is read as 高平市, with the note
``address.old_name``), always taking the longest name that starts at the current position. Each
level is accepted only when it fits the levels before it; a suffix-less form needs support — a
suffix-less province or prefecture must be followed by another division name, a suffix-less county
must sit under a province or prefecture already read (or the ``context``). Missing upper levels
are filled in from the lowest level found when it is unique (阳城县 → 山西省晋城市, note
``address.filled`` naming what was added); an ambiguous county (城区 lies in several cities) is
resolved by the ``context`` (``parse_address(text, context='140500')``) or by a town that exists in
only one of the candidates (城区北石店镇), and otherwise left unresolved. Towns (乡级) come from the
division data of the county (or prefecture, or context); a name ending in 街道 is taken as a town
even when the data do not know it.

Python form: :func:`parse_address`, :func:`normalize_address`, :func:`address_key`,
:func:`check_address`. SQL form: ``sz_address_check(s)``, ``sz_address_key(s)``,
``sz_address_normalize(s)`` and their ``_ctx(s, ctx)`` variants, built from the same regular
expressions (one longest-first alternation of division names, generated from the data, and the
patterns of the street part) and the lookup tables ``sz_address_names`` / ``sz_address_towns``;
``sz_address_parse(s, ctx)`` returns every field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

from shuzhi.errors import ConfigError
from shuzhi.standards import divisions as dv
from shuzhi.standards import text as tx
from shuzhi.standards._registry import CheckKind, register_kind
from shuzhi.standards._sql import lookup_table, macro
from shuzhi.standards._verdict import Verdict, precheck, register_reasons

__all__ = ["Address", "address_key", "check_address", "normalize_address", "parse_address"]

KIND = "address"

# --------------------------------------------------------------------------------------------
# Text normalisation (identical in both forms): full-width to ASCII, whitespace and controls
# removed (divisions.squash), then upper-case ASCII letters, '#' → 号, dash variants → '-',
# punctuation removed, and leading 中国 / 中华人民共和国 dropped (all of them: what is left must not
# start with one, or the normal form of 中国中国阳城县… would read differently from the text).

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_UPPER = _LOWER.upper()
_DASHES = "‐‑‒–—―−~〜"
_PUNCT = ",.;:!?\"'()[]{}<>/\\|*+=^`@$%&，。、；：！？“”‘’（）【】〔〕《》〈〉「」『』·•・…"
_FROM2 = _LOWER + "#" + _DASHES + _PUNCT
_TO2 = _UPPER + "号" + "-" * len(_DASHES)
_TABLE2 = str.maketrans(_FROM2[: len(_TO2)], _TO2, _FROM2[len(_TO2) :])
_PREFIX = "^(?:中华人民共和国|中国)+"
assert len(set(_FROM2)) == len(_FROM2)


def normalize_text(text: str) -> str:
    """The cleaned text the parser reads (Simplified characters, no spaces or punctuation, ASCII
    digits and capitals): an old system's 晉城市陽城縣 reads as 晋城市阳城县."""
    simplified = tx.normalize_text(text, phrases=False) or ""
    return re.sub(_PREFIX, "", dv.squash(simplified).translate(_TABLE2))


def _sql_normalize(expr: str) -> str:
    # each value is bound once (sql_let): written as nested calls, the CASE inside
    # sql_translate repeated its argument three times at each of the two levels, and DuckDB
    # evaluated sz_text_normalize up to nine times per value (4x the cost of the whole parse)
    # text with no character any step changes (most addresses) is its own normal form: one
    # regular expression instead of the steps' five (sz_text_normalize's, squash, translate,
    # the prefix) and the bindings between them
    translated = f"regexp_replace({dv.sql_translate('sz_an1', _FROM2, _TO2)}, '{_PREFIX}', '')"
    squashed = tx.sql_let(dv.sql_squash("sz_an0"), "sz_an1", translated)
    full = tx.sql_let(f"sz_text_normalize({expr})", "sz_an0", squashed)
    return (
        f"CASE WHEN NOT regexp_matches({expr}, '{_changed_class()}') AND NOT starts_with({expr}, '中') "
        f"THEN {expr} ELSE {full} END"
    )


def _changed_class() -> str:
    """RE2 class of every character a step of :func:`normalize_text` changes or removes."""
    own = dv.re2_class(dv.FULLWIDTH + dv.DELETED + _FROM2)
    return "[" + tx.sql_changed_class("sz_t2s_text")[1:-1] + own[1:-1] + "]"


# --------------------------------------------------------------------------------------------
# The street part: a sequence of patterns, each matched at the start of what the one before left
# (the same text for Python's re and DuckDB's RE2: no look-around, no back-references, explicit
# classes). Taking each piece's first match in turn is what one pattern ``^(?:P1)?(?:P2)?…(.*)$``
# would give; matching the pieces one by one lets RE2 find each with its fast automaton.

_CN = "[〇零一二两三四五六七八九十]{1,3}"
STREET_PIECES: dict[str, str] = {
    # a sub-district the division data do not know (泉北街道); only when no town was found
    "town": "[^0-9]{1,12}?(?:街道办事处|街道)",
    # a road named after a village (新村路) before the village itself (东关村, 书院社区)
    "road_c": "[^0-9]{0,20}?村(?:大道|大街|路|街|巷|弄)",
    "community": "[^0-9]{0,20}?(?:社区(?:居民委员会|居委会)?|[^0-9新]村(?:民委员会|委会)?|居民委员会|居委会)",
    "road": "[^0-9]{1,20}?(?:大道|大街|胡同|路|街|巷|弄|道)",
    # a building in the place of the house number (建设路3号楼): the units part starts here
    "bno": "[0-9]+号楼",
    "number": "[0-9]+(?:-[0-9]+)?号院?",
    "estate": "[^0-9]{1,30}(?:小区|花园|家园|新村|公寓|大厦|广场|山庄|公馆|华府|嘉园"
    "|苑|园|府|城|庭|居|阁|湾|院|里|坊|邸)",
}
# building / unit / room: 3-2-401, or 3号楼 (栋 幢 座) then 2-401 or 2单元 401室; then the rest
UNITS_RE = (
    "^(?:([0-9]+)-([0-9]+)-([0-9]+)(?:室|户|号)?$"
    f"|(?:([0-9]+|[A-Z]|{_CN})(?:号楼|栋|幢|座|号|楼))?"
    "(?:([0-9]+)-([0-9]+)(?:室|户|号)?$"
    f"|(?:([0-9]+|{_CN})单元)?(?:([0-9]+)(?:室|户|号)?)?))(.*)$"
)
UNITS_NAMES = ("b3", "u3", "r3", "building", "u2", "r2", "unit", "room", "rest")
_PIECE_RE = {k: re.compile(f"^(?:{p})") for k, p in STREET_PIECES.items()}
_UNITS = re.compile(UNITS_RE)
assert _UNITS.groups == len(UNITS_NAMES)


def _piece(kind: str, text: str) -> str:
    m = _PIECE_RE[kind].match(text)
    return m.group(0) if m else ""


def _street(text: str, town_known: bool) -> dict[str, str]:
    """The street part of ``text`` (what follows the divisions and town)."""
    out = {"town": "" if town_known else _piece("town", text)}
    text = text[len(out["town"]) :]
    out["road_c"] = _piece("road_c", text)
    out["community"] = "" if out["road_c"] else _piece("community", text)
    text = text[len(out["road_c"]) + len(out["community"]) :]
    # a road named after a village (新村路) is the road: no second road follows it
    out["road"] = "" if out["road_c"] else _piece("road", text)
    text = text[len(out["road"]) :]
    # parts are read only in the order the normal form writes them: after a building in the
    # number's place (建设路3号楼) comes no number and no estate, the units pattern reads it all
    bno = _piece("bno", text) != ""
    out["number"] = "" if bno else _piece("number", text)
    text = text[len(out["number"]) :]
    out["estate"] = "" if bno else _piece("estate", text)
    m = _UNITS.match(text[len(out["estate"]) :])
    assert m is not None
    out.update({k: v or "" for k, v in zip(UNITS_NAMES, m.groups(), strict=True)})
    # 188号院 is the compound numbered 188: the number is 188, the 院 is kept apart
    out["courtyard"] = "院" if out["number"].endswith("院") else ""
    out["number"] = re.sub("号院?$", "", out["number"])
    return out


_COMMUNITY_KEY = (
    ("(?:村民委员会|村委会)$", "村"),
    ("(?:社区居民委员会|社区居委会|居民委员会|居委会)$", "社区"),
)
_DIGIT_CN = "〇零一二两三四五六七八九"
_DIGIT_AR = "001223456789"
_TENS_RE = "[一二两三四五六七八九]?十[一二三四五六七八九]?"


def _num(x: str) -> str:
    """Building and unit numbers: 03 → 3, 三 → 3, 十二 → 12; anything else unchanged."""
    if x == "":
        return ""
    if re.fullmatch("[0-9]+", x):
        return x.lstrip("0") or "0"
    if re.fullmatch(_TENS_RE, x):
        tens = 1 if x[0] == "十" else int(x[0].translate(str.maketrans(_DIGIT_CN, _DIGIT_AR)))
        ones = 0 if x[-1] == "十" else int(x[-1].translate(str.maketrans(_DIGIT_CN, _DIGIT_AR)))
        return str(tens * 10 + ones)
    if re.fullmatch(f"[{_DIGIT_CN}]+", x):
        return x.translate(str.maketrans(_DIGIT_CN, _DIGIT_AR)).lstrip("0") or "0"
    return x


# --------------------------------------------------------------------------------------------
# Division names and towns, derived from the division data (rebuilt after divisions.load_updates)


class _Cand(NamedTuple):
    code: str
    level: str
    short: bool
    province: str | None
    prefecture: str | None
    name: str
    province_name: str | None
    prefecture_name: str | None
    former: bool = False  # the alias is a former full name (高平县 for 高平市)


class _Town(NamedTuple):
    name: str
    code: str
    county: str
    prefecture: str | None
    province: str | None
    county_name: str
    prefecture_name: str | None
    province_name: str | None


_META = "\\.^$|?*+()[]{}"


def _esc(ch: str) -> str:
    return "\\" + ch if ch in _META else ch


def trie_regex(words: Iterable[str]) -> str:
    """One pattern matching any of ``words``, preferring the longest (a longest-first alternation
    written as a trie, so that both regex engines walk it in time independent of its size)."""
    trie: dict[str, Any] = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def emit(node: dict[str, Any]) -> str:
        kids = sorted(k for k in node if k)
        if not kids:
            return ""
        alts = [_esc(k) + emit(node[k]) for k in kids]
        end = "" in node
        if len(alts) == 1 and not end:
            return alts[0]
        body = "(?:" + "|".join(alts) + ")"
        return body + "?" if end else body

    return emit(trie)


class _Tables:
    """Division names (built at import: the SQL macros embed their pattern) and towns (on first use)."""

    def __init__(self) -> None:
        self.generation = dv.generation()
        st = dv._store()
        names: dict[str, dict[str, _Cand]] = {}
        fulls: dict[str, _Cand] = {}
        for code, d in st.divs.items():
            if not d.current or d.level == "town":
                continue
            prov, pref = st.ancestor(code, "province"), st.ancestor(code, "prefecture")
            full = fulls[code] = _Cand(code, d.level, False, prov, pref, d.name, _name(prov), _name(pref))
            names.setdefault(d.name, {})[code] = full
            for s in dv.short_forms(d.name, d.level):
                names.setdefault(s, {}).setdefault(code, full._replace(short=True))
        # former full names (高平县 → 高平市): longer than the current suffix-less form, so the trie
        # prefers them; a name that is also a current name or suffix-less form keeps that meaning
        for old, codes in dv.former_names().items():
            if old not in names:
                names[old] = {code: fulls[code]._replace(former=True) for code in codes if code in fulls}
        self.names: dict[str, list[_Cand]] = {a: [c[k] for k in sorted(c)] for a, c in names.items() if c}
        self.pattern = "^(?:" + trie_regex(sorted(self.names)) + ")"

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    @cached_property
    def towns(self) -> dict[str, list[_Town]]:
        """Current towns by county code, prefecture code and '?' + ambiguous county name."""
        st = dv._store()
        towns: dict[str, list[_Town]] = {}
        for code, d in st.divs.items():
            if d.level != "town" or not d.current or not d.parent:
                continue
            county = st.divs[d.parent]
            pref = county.parent if county.parent and st.divs[county.parent].level == "prefecture" else None
            prov = code[:2] + "0000"
            t = _Town(d.name, code, d.parent, pref, prov, county.name, _name(pref), _name(prov))
            towns.setdefault(d.parent, []).append(t)
            if t.prefecture:
                towns.setdefault(t.prefecture, []).append(t)
        for alias, cands in self.names.items():
            counties = [c.code for c in cands if c.level == "county"]
            if len(counties) > 1:
                towns["?" + alias] = [t for c in counties for t in towns.get(c, [])]
        return {k: sorted(v, key=lambda t: (-len(t.name), t.code)) for k, v in towns.items() if v}

    def tok(self, text: str) -> str:
        m = self.regex.match(text)
        return m.group(0) if m else ""


def _name(code: str | None) -> str | None:
    d = dv._store().divs.get(code) if code else None
    return d.name if d else None


_TABLES: _Tables | None = None
#: whether sz_address_tok was declared without the division data (they could not be loaded)
_TOK_FAILED = False


def _tables() -> _Tables:
    global _TABLES
    if _TABLES is None or _TABLES.generation != dv.generation():
        _TABLES = _Tables()
        if _TOK_FAILED:  # the data can be loaded now: give the SQL form its real pattern
            _declare_macros(replace=True)
    return _TABLES


# --------------------------------------------------------------------------------------------
# Parsing (Python form)


@dataclass(frozen=True, slots=True)
class Address:
    """An address split into its parts; codes are GB/T 2260 (6 digits) and town (9 digits) codes."""

    text: str
    province: str | None = None
    prefecture: str | None = None
    county: str | None = None
    town: str | None = None
    community: str | None = None
    road: str | None = None
    number: str | None = None
    estate: str | None = None
    building: str | None = None
    unit: str | None = None
    room: str | None = None
    rest: str | None = None
    province_code: str | None = None
    prefecture_code: str | None = None
    county_code: str | None = None
    town_code: str | None = None
    county_candidates: int | None = None
    filled: bool = False
    context_used: bool = False
    #: the number is a compound's (188号院)
    courtyard: bool = False
    #: the division names filled in (山西省晋城市 for 阳城县…), None when none were
    filled_in: str | None = None
    #: former names read (高平县; several joined by 、) and the current names they stand for (高平市)
    old_name: str | None = None
    new_name: str | None = None

    @property
    def region(self) -> str:
        """The division names found, 山西省晋城市城区东街街道."""
        return "".join(x for x in (self.province, self.prefecture, self.county, self.town) if x)

    @property
    def has_detail(self) -> bool:
        return any(
            (
                self.community,
                self.road,
                self.number,
                self.estate,
                self.building,
                self.unit,
                self.room,
                self.rest,
            )
        )

    @property
    def normalized(self) -> str:
        """The canonical full form: 山西省晋城市城区凤台东街188号2号楼3单元401室.

        It reads back to the same parts (the same :attr:`key`): the parts are written in the order
        the parser reads them, and no part is written shorter than any text it is read from (the
        street patterns look a bounded number of characters ahead), so a building is always N号楼
        (A号楼, not A座). A compound's number keeps its 院 (188号院3号楼); a number without one is
        never followed by 院 or by 楼 right after its 号 (the parser would have taken them).
        """
        return "".join(
            [
                self.region,
                self.community or "",
                self.road or "",
                (self.number + ("号院" if self.courtyard else "号")) if self.number else "",
                self.estate or "",
                f"{self.building}号楼" if self.building else "",
                f"{self.unit}单元" if self.unit else "",
                f"{self.room}室" if self.room else "",
                self.rest or "",
            ]
        )

    @property
    def key(self) -> str | None:
        """Comparison key: the same place written two ways gives the same key (None without a county)."""
        if not self.county_code:
            return None
        community = self.community or ""
        for pat, rep in _COMMUNITY_KEY:
            community = re.sub(pat, rep, community)
        estate = self.estate or ""
        if estate.endswith("小区") and len(estate) > 3:
            estate = estate[:-2]
        fields = [
            self.county_code,
            self.town_code or self.town or "",
            community,
            self.road or "",
            self.number or "",
            estate,
            self.building or "",
            self.unit or "",
            self.room or "",
            self.rest or "",
        ]
        return "|".join(fields)


def _within(c: _Cand, ctx: str | None) -> bool:
    return ctx is not None and ctx in (c.province, c.prefecture, c.code)


def _context_code(context: object) -> str | None:
    if context is None:
        return None
    d = dv.lookup(context)
    if d is None or d.level == "town":
        raise ValueError(f"context must be a 6-digit division code, got {context!r}")
    return d.code


def _parse(text: str, ctx: str | None) -> Address:
    """The parser; :func:`_parse_sql` is the same, step by step."""
    tb = _tables()
    t = normalize_text(text)
    # the first three division names, each the longest at its position; every level below reads
    # one of them (index i2 for the prefecture, i3 for the county)
    t1 = tb.tok(t)
    t2 = tb.tok(t[len(t1) :])
    t3 = tb.tok(t[len(t1) + len(t2) :])
    toks = ("", t1, t2, t3, "")
    cands = [tb.names.get(x, []) for x in toks]
    # province: a suffix-less form (山西) must be followed by another division name
    pl = [c for c in cands[1] if c.level == "province" and (not c.short or t2 != "")]
    prov = pl[0] if len(pl) == 1 else None
    p = prov.code if prov else None
    # prefecture: a suffix-less form needs the province or a following division name
    i2 = 2 if prov else 1
    cl = [
        c
        for c in cands[i2]
        if c.level == "prefecture"
        and (p is None or c.province == p)
        and (not c.short or p is not None or toks[i2 + 1] != "")
    ]
    pref = cl[0] if len(cl) == 1 else None
    # county: under what was read; a suffix-less form needs a province, prefecture or context
    i3 = i2 + 1 if pref else i2
    a3 = toks[i3]
    kl = [
        c
        for c in cands[i3]
        if c.level == "county"
        and (p is None or c.province == p)
        and (pref is None or c.prefecture == pref.code)
        and (not c.short or p is not None or pref is not None or _within(c, ctx))
    ]
    kc = [c for c in kl if _within(c, ctx)]
    ctx_used = (len(kl) > 1 and len(kc) > 0) or any(c.short and p is None and pref is None for c in kl)
    if len(kl) > 1 and kc:
        kl = kc
    county = kl[0] if len(kl) == 1 else None
    consumed = i3 - 1 + (1 if kl else 0)
    pos3 = sum(len(x) for x in toks[1 : consumed + 1])
    # upper levels filled in from the lowest level found
    if county:
        codes = [county.province, county.prefecture, county.code]
        names = [county.province_name, county.prefecture_name, county.name]
    elif pref:
        codes = [pref.province, pref.code, None]
        names = [pref.province_name, pref.name, None]
    else:
        codes = [p, None, None]
        names = [prov.name if prov else None, None, None]
    # town: from the county's towns (or the prefecture's, the candidates', the context's)
    if county:
        scope: str | None = county.code
    elif len(kl) > 1:
        scope = "?" + a3
    elif codes[1]:
        scope = codes[1]
    elif codes[0] is None and ctx is not None:
        scope = ctx
    else:
        scope = None
    ctx_scope = scope is not None and scope == ctx and county is None and len(kl) <= 1 and codes[1] is None
    rest3 = t[pos3:]
    matches = [w for w in tb.towns.get(scope, []) if rest3.startswith(w.name)] if scope else []
    if len(kl) > 1:
        matches = [w for w in matches if any(w.county == c.code for c in kl)]
    town_name = matches[0].name if matches else ""
    town = matches[0] if matches and sum(w.name == town_name for w in matches) == 1 else None
    ctx_used = ctx_used or (ctx_scope and town_name != "")
    from_town = town is not None and county is None
    if town and not county:
        codes = [town.province, town.prefecture, town.county]
        names = [town.province_name, town.prefecture_name, town.county_name]
    # the levels filled in (the county only when the text had none: 城区北石店镇 names one), and
    # the former names read (each with the current name it stands for)
    added = [codes[0] is not None and p is None, codes[1] is not None and pref is None, from_town and not kl]
    filled_in = "".join(n for n, on in zip(names, added, strict=True) if on and n)
    olds = [(tok, c.name) for tok, c in ((t1, prov), (toks[i2], pref), (a3, county)) if c and c.former]
    # street part
    g = _street(t[pos3 + len(town_name) :], town_name != "")

    def nz(x: str) -> str | None:
        return x or None

    return Address(
        text=text,
        province=names[0],
        prefecture=names[1],
        county=names[2] if codes[2] else (a3 if len(kl) > 1 else None),
        town=nz(town_name or g["town"]),
        community=nz(g["community"]),
        road=nz(g["road_c"] or g["road"]),
        number=nz(g["number"]),
        estate=nz(g["estate"]),
        building=nz(_num(g["b3"] or g["building"])),
        unit=nz(_num(g["u3"] or g["u2"] or g["unit"])),
        room=nz(g["r3"] or g["r2"] or g["room"]),
        rest=nz(g["rest"]),
        province_code=codes[0],
        prefecture_code=codes[1],
        county_code=codes[2],
        town_code=town.code if town else None,
        county_candidates=len(kl) if len(kl) > 1 and codes[2] is None else None,
        filled=filled_in != "",
        context_used=ctx_used and ctx is not None,
        courtyard=g["courtyard"] != "",
        filled_in=filled_in or None,
        old_name="、".join(o for o, _ in olds) or None,
        new_name="、".join(n for _, n in olds) or None,
    )


def parse_address(text: object, *, context: str | None = None) -> Address:
    """Split ``text`` into an :class:`Address`; never raises on bad text (an empty Address).

    ``context`` is the 6-digit code of the city (or county, or province) the addresses come from:
    it resolves names that are ambiguous (城区) or written without suffix (阳城) when the text
    names no upper level. A context that is no division code raises ValueError.
    """
    ctx = _context_code(context)
    if not isinstance(text, str) or isinstance(text, bool) or len(text) > 1000:
        return Address(text=text if isinstance(text, str) else "")
    return _parse(text, ctx)


def normalize_address(text: object, *, context: str | None = None) -> str:
    """The canonical full form of ``text`` (division names completed, spaces and punctuation
    removed, numbers as 3号楼2单元401室); '' for no text."""
    return parse_address(text, context=context).normalized


def address_key(text: object, *, context: str | None = None) -> str | None:
    """A key equal for two writings of the same place: county code, town, road and number,
    estate, building, unit, room (None when no county is recognised)."""
    return parse_address(text, context=context).key


# --------------------------------------------------------------------------------------------
# The check (Python form)

register_reasons(
    {
        "address.no_division": (
            "没有识别出省、市、区县名称，请从区县写起（如 阳城县凤城镇…）",
            "no province, city or county recognised; start with the county (e.g. 阳城县凤城镇…)",
        ),
        "address.ambiguous_county": (
            "「{county}」在 {county_candidates} 个城市都有，请写上所属的市（如 晋城市{county}）",
            "'{county}' exists in {county_candidates} cities; add the city (e.g. 晋城市{county})",
        ),
        "address.no_county": (
            "只写到「{region}」，缺少区县",
            "only '{region}' was recognised: the county is missing",
        ),
        "address.no_detail": (
            "只写到「{region}」，缺少街道、门牌、小区等详细地址",
            "only the region '{region}': street, number or estate missing",
        ),
        "address.filled": (
            "已补全上级行政区划：{filled_in}",
            "upper divisions filled in: {filled_in}",
        ),
        "address.old_name": (
            "旧称「{old_name}」现为「{new_name}」，已按现名填写",
            "'{old_name}' is a former name, now '{new_name}'; the current name is used",
        ),
        "address.context": (
            "按默认所在地补全或区分了区县",
            "the default location was used to find the county",
        ),
    }
)

PARTS_SQL = (
    "province VARCHAR, prefecture VARCHAR, county VARCHAR, town VARCHAR, community VARCHAR, road VARCHAR, "
    "number VARCHAR, estate VARCHAR, building VARCHAR, unit VARCHAR, room VARCHAR, rest VARCHAR, "
    "region VARCHAR, province_code VARCHAR, prefecture_code VARCHAR, county_code VARCHAR, town_code VARCHAR, "
    "county_candidates INTEGER, key VARCHAR, filled_in VARCHAR, old_name VARCHAR, new_name VARCHAR"
)
PART_KEYS = tuple(p.split()[0] for p in PARTS_SQL.split(", "))


def _verdict(text: str, a: Address) -> Verdict:
    parts: dict[str, Any] = {k: getattr(a, k) for k in PART_KEYS if k not in ("region", "key")}
    parts["region"] = a.region or None
    parts["key"] = a.key
    notes = tuple(
        n
        for n, on in (
            ("address.filled", a.filled),
            ("address.context", a.context_used),
            ("address.old_name", a.old_name is not None),
        )
        if on
    )
    if a.county_code is None:
        if a.county_candidates:
            reason = "address.ambiguous_county"
        elif a.province_code or a.prefecture_code:
            reason = "address.no_county"
        else:
            reason = "address.no_division"
    elif not a.has_detail:
        reason = "address.no_detail"
    else:
        return Verdict(KIND, text, True, normalized=a.normalized, notes=notes, parts=parts)
    return Verdict(KIND, text, False, reason=reason, notes=notes, parts=parts)


def check_address(value: object, *, context: str | None = None) -> Verdict:
    """Valid when a county and some street-level detail are recognised; ``normalized`` is the
    canonical full form and ``parts`` the split fields with ``county_code`` and ``key``."""
    ctx = _context_code(context)
    text, done = precheck(KIND, value)
    if done is not None:
        return done
    assert text is not None
    if normalize_text(text) == "":
        return Verdict(KIND, text, False, reason="empty")
    return _verdict(text, _parse(text, ctx))


# --------------------------------------------------------------------------------------------
# The SQL form


def _name_rows() -> list[Sequence[Any]]:
    tb = _tables()
    return [(a, [c._asdict() for c in cands]) for a, cands in sorted(tb.names.items())]


def _town_rows() -> list[Sequence[Any]]:
    tb = _tables()
    return [(scope, [w._asdict() for w in towns]) for scope, towns in sorted(tb.towns.items())]


def _town_initial_rows() -> list[Sequence[Any]]:
    """The towns of each scope split by the first character of their name (each list in the
    scope's order): a town can only start the rest of an address that starts with its first
    character, so the parse joins on (scope, first character) and carries a few towns per
    address instead of the whole county's (or prefecture's) list."""
    tb = _tables()
    rows: list[Sequence[Any]] = []
    for scope, towns in sorted(tb.towns.items()):
        by_initial: dict[str, list[dict[str, Any]]] = {}
        for w in towns:
            by_initial.setdefault(w.name[:1], []).append(w._asdict())
        rows += [(scope, initial, ws) for initial, ws in sorted(by_initial.items())]
    return rows


lookup_table(
    "sz_address_names",
    (
        ("alias", "VARCHAR"),
        (
            "cands",
            "STRUCT(code VARCHAR, level VARCHAR, short BOOLEAN, province VARCHAR, prefecture VARCHAR, "
            "name VARCHAR, province_name VARCHAR, prefecture_name VARCHAR, former BOOLEAN)[]",
        ),
    ),
    _name_rows,
    "current province/prefecture/county names, suffix-less forms and former full names -> the divisions "
    "they may mean",
)
lookup_table(
    "sz_address_towns",
    (
        ("scope", "VARCHAR"),
        (
            "towns",
            "STRUCT(name VARCHAR, code VARCHAR, county VARCHAR, prefecture VARCHAR, province VARCHAR, "
            "county_name VARCHAR, prefecture_name VARCHAR, province_name VARCHAR)[]",
        ),
    ),
    _town_rows,
    "current towns by county code, prefecture code and '?'+ambiguous county name, longest name first",
)
lookup_table(
    "sz_address_towns_initial",
    (
        ("scope", "VARCHAR"),
        ("initial", "VARCHAR"),
        (
            "towns",
            "STRUCT(name VARCHAR, code VARCHAR, county VARCHAR, prefecture VARCHAR, province VARCHAR, "
            "county_name VARCHAR, prefecture_name VARCHAR, province_name VARCHAR)[]",
        ),
    ),
    _town_initial_rows,
    "sz_address_towns split by the first character of the town's name (the parse's join)",
)


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_num(x: str) -> str:
    dig = f"{_q(_DIGIT_CN)}, {_q(_DIGIT_AR)}"
    return f"""CASE WHEN {x} = '' THEN ''
        WHEN regexp_full_match({x}, '[0-9]+') THEN coalesce(nullif(ltrim({x}, '0'), ''), '0')
        WHEN regexp_full_match({x}, {_q(_TENS_RE)}) THEN CAST(
            (CASE WHEN starts_with({x}, '十') THEN 1
                  ELSE CAST(translate(left({x}, 1), {dig}) AS INTEGER) END) * 10
            + (CASE WHEN ends_with({x}, '十') THEN 0
                    ELSE CAST(translate(right({x}, 1), {dig}) AS INTEGER) END)
            AS VARCHAR)
        WHEN regexp_full_match({x}, {_q("[" + _DIGIT_CN + "]+")}) THEN
            coalesce(nullif(ltrim(translate({x}, {dig}), '0'), ''), '0')
        ELSE {x} END"""


def _sql_piece(kind: str, expr: str) -> str:
    return f"regexp_extract({expr}, {_q('^(?:' + STREET_PIECES[kind] + ')')}, 0)"


_CTX_IN = "coalesce(@.cx IN (c.province, c.prefecture, c.code), false)"
#: the steps of sz_address_parse, each one derived table over the one before ('@'); the only
#: correlated input is the innermost (SELECT norm(s), ctx), so DuckDB plans the whole parse as
#: ordinary joins over the distinct inputs.
_STEPS: tuple[tuple[str, str], ...] = (
    ("sz_address_tok(@.t) AS t1", ""),
    ("sz_address_tok(substr(@.t, length(@.t1) + 1)) AS t2", ""),
    ("sz_address_tok(substr(@.t, length(@.t1) + length(@.t2) + 1)) AS t3", ""),
    (
        "coalesce(x1.cands, []) AS c1, coalesce(x2.cands, []) AS c2, coalesce(x3.cands, []) AS c3",
        "LEFT JOIN sz_address_names AS x1 ON x1.alias = @.t1 "
        "LEFT JOIN sz_address_names AS x2 ON x2.alias = @.t2 "
        "LEFT JOIN sz_address_names AS x3 ON x3.alias = @.t3",
    ),
    ("list_filter(@.c1, lambda c: c.level = 'province' AND (NOT c.short OR @.t2 <> '')) AS pl", ""),
    ("CASE WHEN len(@.pl) = 1 THEN @.pl[1] END AS prov", ""),
    ("@.prov.code AS p, CASE WHEN @.prov IS NOT NULL THEN 2 ELSE 1 END AS i2", ""),
    (
        "list_filter([@.c1, @.c2, @.c3][@.i2], lambda c: c.level = 'prefecture' "
        "AND (@.p IS NULL OR c.province = @.p) "
        "AND (NOT c.short OR @.p IS NOT NULL OR [@.t1, @.t2, @.t3][@.i2 + 1] <> '')) AS cl",
        "",
    ),
    ("CASE WHEN len(@.cl) = 1 THEN @.cl[1] END AS pref", ""),
    ("CASE WHEN @.pref IS NOT NULL THEN @.i2 + 1 ELSE @.i2 END AS i3", ""),
    (
        "[@.t1, @.t2, @.t3][@.i3] AS a3, list_filter([@.c1, @.c2, @.c3][@.i3], lambda c: c.level = 'county' "
        "AND (@.p IS NULL OR c.province = @.p) AND (@.pref IS NULL OR c.prefecture = @.pref.code) "
        f"AND (NOT c.short OR @.p IS NOT NULL OR @.pref IS NOT NULL OR {_CTX_IN})) AS kl0",
        "",
    ),
    (f"list_filter(@.kl0, lambda c: {_CTX_IN}) AS kc", ""),
    (
        "CASE WHEN len(@.kl0) > 1 AND len(@.kc) > 0 THEN @.kc ELSE @.kl0 END AS kl, "
        "coalesce((len(@.kl0) > 1 AND len(@.kc) > 0) "
        "OR len(list_filter(@.kl0, lambda c: c.short AND @.p IS NULL AND @.pref IS NULL)) > 0, false) "
        "AS ctx_used",
        "",
    ),
    (
        "CASE WHEN len(@.kl) = 1 THEN @.kl[1] END AS county, "
        "@.i3 - 1 + CASE WHEN len(@.kl) >= 1 THEN 1 ELSE 0 END AS consumed",
        "",
    ),
    (
        "CASE WHEN @.county IS NOT NULL THEN @.county.province WHEN @.pref IS NOT NULL THEN @.pref.province "
        "ELSE @.p END AS code0, "
        "CASE WHEN @.county IS NOT NULL THEN @.county.prefecture "
        "WHEN @.pref IS NOT NULL THEN @.pref.code END "
        "AS code1, "
        "CASE WHEN @.county IS NOT NULL THEN @.county.province_name WHEN @.pref IS NOT NULL "
        "THEN @.pref.province_name ELSE @.prov.name END AS name0, "
        "CASE WHEN @.county IS NOT NULL THEN @.county.prefecture_name "
        "WHEN @.pref IS NOT NULL THEN @.pref.name END "
        "AS name1, "
        "CASE @.consumed WHEN 0 THEN 0 WHEN 1 THEN length(@.t1) WHEN 2 THEN length(@.t1) + length(@.t2) "
        "ELSE length(@.t1) + length(@.t2) + length(@.t3) END AS pos3",
        "",
    ),
    (
        "CASE WHEN @.county IS NOT NULL THEN @.county.code WHEN len(@.kl) > 1 THEN '?' || @.a3 "
        "WHEN @.code1 IS NOT NULL THEN @.code1 "
        "WHEN @.code0 IS NULL AND @.cx IS NOT NULL THEN @.cx END AS scope, "
        "@.county IS NULL AND len(@.kl) <= 1 AND @.code1 IS NULL AND @.code0 IS NULL AND @.cx IS NOT NULL "
        "AS ctx_scope, substr(@.t, @.pos3 + 1) AS rest3",
        "",
    ),
    (
        "list_filter(list_filter(tw.towns, lambda x: starts_with(@.rest3, x.name)), lambda x: len(@.kl) <= 1 "
        "OR list_contains(list_transform(@.kl, lambda c: c.code), x.county)) AS w",
        # the towns whose name starts like the rest (same first character): the same list,
        # filtered, as the scope's whole list; a missing entry (NULL) reads like an empty list
        "LEFT JOIN sz_address_towns_initial AS tw ON tw.scope = @.scope AND tw.initial = left(@.rest3, 1)",
    ),
    (
        "coalesce(@.w[1].name, '') AS town_name, "
        "CASE WHEN len(list_filter(@.w, lambda x: x.name = @.w[1].name)) = 1 THEN @.w[1] END AS town",
        "",
    ),
    (
        "@.town IS NOT NULL AND @.county IS NULL AS from_town, "
        + ", ".join(
            f"CASE WHEN @.town IS NOT NULL AND @.county IS NULL THEN @.town.{a} ELSE {b} END AS {c}"
            for a, b, c in (
                ("province", "@.code0", "fcode0"),
                ("prefecture", "@.code1", "fcode1"),
                ("county", "@.county.code", "fcode2"),
                ("province_name", "@.name0", "fname0"),
                ("prefecture_name", "@.name1", "fname1"),
                ("county_name", "@.county.name", "fname2"),
            )
        ),
        "",
    ),
    (
        "nullif(concat_ws('', CASE WHEN @.fcode0 IS NOT NULL AND @.p IS NULL THEN @.fname0 END, "
        "CASE WHEN @.fcode1 IS NOT NULL AND @.pref IS NULL THEN @.fname1 END, "
        "CASE WHEN @.from_town AND len(@.kl) = 0 THEN @.fname2 END), '') AS filled_in",
        "",
    ),
    ("substr(@.t, @.pos3 + length(@.town_name) + 1) AS st0", ""),
    (f"CASE WHEN @.town_name = '' THEN {_sql_piece('town', '@.st0')} ELSE '' END AS g_town", ""),
    ("substr(@.st0, length(@.g_town) + 1) AS st1", ""),
    (f"{_sql_piece('road_c', '@.st1')} AS g_road_c", ""),
    (f"CASE WHEN @.g_road_c = '' THEN {_sql_piece('community', '@.st1')} ELSE '' END AS g_community", ""),
    ("substr(@.st1, length(@.g_road_c) + length(@.g_community) + 1) AS st2", ""),
    (f"CASE WHEN @.g_road_c = '' THEN {_sql_piece('road', '@.st2')} ELSE '' END AS g_road", ""),
    ("substr(@.st2, length(@.g_road) + 1) AS st3", ""),
    (f"{_sql_piece('bno', '@.st3')} AS g_bno", ""),
    (f"CASE WHEN @.g_bno = '' THEN {_sql_piece('number', '@.st3')} ELSE '' END AS g_number", ""),
    ("substr(@.st3, length(@.g_number) + 1) AS st4", ""),
    (f"CASE WHEN @.g_bno = '' THEN {_sql_piece('estate', '@.st4')} ELSE '' END AS g_estate", ""),
    (
        f"regexp_extract(substr(@.st4, length(@.g_estate) + 1), {_q(UNITS_RE)}, "
        f"[{', '.join(_q(n) for n in UNITS_NAMES)}]) AS u",
        "",
    ),
)


def _parse_sql() -> str:
    """Body of sz_address_parse(s, ctx): the steps of :func:`_parse` as nested derived tables."""
    return f"(SELECT {_parse_struct_sql()} FROM {_parse_steps_sql()} AS z)"


def _parse_steps_sql(*, precheck: bool = False) -> str:
    """The steps of :func:`_parse` as nested derived tables over s and ctx: one row, whose
    columns :func:`_parse_struct_sql` reads as ``z``; ``precheck``: with ``sz_precheck(s)`` as
    ``pre0``.

    The arguments are read in the innermost table only, which has no FROM: a macro's arguments
    are inlined as written, and a caller's ``t.s`` read where the steps' columns (``t``, ``u``,
    ``w`` …) are in scope would be bound to them."""
    pre = ", sz_precheck(s) AS pre0" if precheck else ""
    return _steps_over(f"(SELECT sz_address_norm(s) AS t, ctx AS cx{pre})")


def _steps_over(sql: str, steps: Sequence[tuple[str, str]] | None = None) -> str:
    """The steps of :func:`_parse` (or ``steps``, a slice of them) as nested derived tables over
    ``sql``, a derived table with the columns ``t`` (normalised text) and ``cx`` (context) — or
    whatever columns the steps read — and any others, which are kept."""
    prev = "v0"
    for i, (cols, join) in enumerate(_STEPS if steps is None else steps, start=1):
        cur = f"v{i}"
        sql = f"(SELECT {prev}.*, {cols.replace('@', prev)} FROM {sql} AS {prev} {join.replace('@', prev)})"
        prev = cur
    return sql


#: the steps read the whole text in the first three (the division tokens t1, t2, t3) and again
#: from the step that cuts the rest after the county (rest3); the steps between read only the
#: tokens and the context: the row form runs them once per distinct (t1, t2, t3, cx) — 58 of
#: them for 362,000 distinct addresses of one city — and joins the result back
_TOKEN_STEPS = 3
_KEYED_END = next(
    i for i, (cols, join) in enumerate(_STEPS) if i >= _TOKEN_STEPS and re.search(r"@\.t\b", cols + join)
)
_KEYS = ("t1", "t2", "t3", "cx")


def _keyed_steps_over(sql: str) -> str:
    """:func:`_steps_over` with the steps between the tokens and the rest after the county run
    over the distinct (t1, t2, t3, cx) of ``sql`` and joined back (``IS NOT DISTINCT FROM``: a
    NULL text has NULL tokens). The same columns, the same values."""
    tokens = _steps_over(sql, _STEPS[:_TOKEN_STEPS])
    keys = ", ".join(_KEYS)
    keyed = _steps_over(f"(SELECT DISTINCT {keys} FROM sz_tok)", _STEPS[_TOKEN_STEPS:_KEYED_END])
    on = " AND ".join(f"sz_tok.{k} IS NOT DISTINCT FROM sz_reg.{k}" for k in _KEYS)
    joined = (
        f"(WITH sz_tok AS MATERIALIZED {tokens} SELECT sz_tok.*, sz_reg.* EXCLUDE ({keys}) "
        f"FROM sz_tok JOIN {keyed} AS sz_reg ON {on})"
    )
    return _steps_over(joined, _STEPS[_KEYED_END:])


def _parse_struct_sql() -> str:
    """The parts struct of sz_address_parse from the last step's row ``z``."""
    u = "z.u"
    # the former names read at each level (the token) and the current names they stand for
    olds = (("prov", "z.t1"), ("pref", "[z.t1, z.t2, z.t3][z.i2]"), ("county", "z.a3"))
    old_names = ", ".join(f"CASE WHEN z.{c}.former THEN {tok} END" for c, tok in olds)
    new_names = ", ".join(f"CASE WHEN z.{c}.former THEN z.{c}.name END" for c, _ in olds)
    return f"""struct_pack(
            province := z.fname0,
            prefecture := z.fname1,
            county := CASE WHEN z.fcode2 IS NOT NULL THEN z.fname2 WHEN len(z.kl) > 1 THEN z.a3 END,
            town := nullif(CASE WHEN z.town_name <> '' THEN z.town_name ELSE z.g_town END, ''),
            community := nullif(z.g_community, ''),
            road := nullif(CASE WHEN z.g_road_c <> '' THEN z.g_road_c ELSE z.g_road END, ''),
            number := nullif(regexp_replace(z.g_number, '号院?$', ''), ''),
            courtyard := ends_with(z.g_number, '院'),
            estate := nullif(z.g_estate, ''),
            building := nullif(sz_address_num(CASE WHEN {u}.b3 <> '' THEN {u}.b3 ELSE {u}.building END), ''),
            unit := nullif(sz_address_num(CASE WHEN {u}.u3 <> '' THEN {u}.u3 WHEN {u}.u2 <> '' THEN {u}.u2
                                               ELSE {u}.unit END), ''),
            room := nullif(CASE WHEN {u}.r3 <> '' THEN {u}.r3 WHEN {u}.r2 <> '' THEN {u}.r2
                                ELSE {u}.room END, ''),
            rest := nullif({u}.rest, ''),
            province_code := z.fcode0,
            prefecture_code := z.fcode1,
            county_code := z.fcode2,
            town_code := z.town.code,
            county_candidates := CASE WHEN len(z.kl) > 1 AND z.fcode2 IS NULL
                                      THEN CAST(len(z.kl) AS INTEGER) END,
            filled := z.filled_in IS NOT NULL,
            context_used := z.cx IS NOT NULL AND (z.ctx_used OR (z.ctx_scope AND z.town_name <> '')),
            filled_in := z.filled_in,
            old_name := nullif(concat_ws('、', {old_names}), ''),
            new_name := nullif(concat_ws('、', {new_names}), ''),
            empty := z.t = '')"""


def _tok_body() -> str:
    """Body of sz_address_tok. When the division data cannot be loaded (a bad
    SHUZHI_DIVISION_UPDATES file) importing must still work: the macro then raises the same error
    when a query uses it, and is redeclared once the data can be loaded."""
    global _TOK_FAILED
    try:
        pattern = _tables().pattern
    except ConfigError as e:
        _TOK_FAILED = True
        return f"error({_q(e.message)})"
    _TOK_FAILED = False
    return f"regexp_extract(s, {_q(pattern)}, 0)"


def _declare_macros(replace: bool = False) -> None:
    decls = [
        ("sz_address_norm", ["s"], _sql_normalize("s"), "the cleaned text the address parser reads"),
        (
            "sz_address_tok",
            ["s"],
            _tok_body(),
            "the longest division name (current, suffix-less or former) at the start of s, else ''",
        ),
        ("sz_address_num", ["s"], _sql_num("s"), "building/unit number: 03 -> 3, 三 -> 3, 十二 -> 12"),
        ("sz_address_parse", ["s", "ctx"], _parse_sql(), "the address split into parts (see address.py)"),
        (
            "sz_address_check_ctx",
            ["s", "ctx"],
            _check_sql(),
            "the address verdict, with ctx the default division code (or NULL)",
        ),
        ("sz_address_check", ["s"], "sz_address_check_ctx(s, NULL)", "the address verdict"),
        (
            "sz_address_check_ctx_lean",
            ["s", "ctx"],
            _check_sql(lean=True),
            "sz_address_check_ctx without the parts of valid addresses (bulk cleansing)",
        ),
        (
            "sz_address_check_lean",
            ["s"],
            "sz_address_check_ctx_lean(s, NULL)",
            "sz_address_check without the parts of valid addresses (bulk cleansing)",
        ),
        (
            "sz_address_key_ctx",
            ["s", "ctx"],
            "sz_address_check_ctx(s, ctx).parts.key",
            "comparison key (NULL without a county)",
        ),
        ("sz_address_key", ["s"], "sz_address_key_ctx(s, NULL)", "comparison key (NULL without a county)"),
        ("sz_address_normalize_ctx", ["s", "ctx"], _normalize_sql(), "the canonical full form"),
        ("sz_address_normalize", ["s"], "sz_address_normalize_ctx(s, NULL)", "the canonical full form"),
    ]
    for name, params, body, doc in decls:
        # through macro(): a changed body bumps the registry version, so installs are not stale
        macro(name, params, body, doc, replace=replace)


def _canonical_sql(p: str) -> str:
    return f"""concat_ws('', {p}.province, {p}.prefecture, {p}.county, {p}.town, {p}.community, {p}.road,
        {p}.number || CASE WHEN {p}.courtyard THEN '号院' ELSE '号' END,
        {p}.estate, {p}.building || '号楼', {p}.unit || '单元', {p}.room || '室', {p}.rest)"""


def _key_sql(p: str) -> str:
    (pat1, rep1), (pat2, rep2) = _COMMUNITY_KEY
    community = (
        f"regexp_replace(regexp_replace(coalesce({p}.community, ''), {_q(pat1)}, {_q(rep1)}), "
        f"{_q(pat2)}, {_q(rep2)})"
    )
    estate = (
        f"CASE WHEN ends_with(coalesce({p}.estate, ''), '小区') AND length({p}.estate) > 3 "
        f"THEN left({p}.estate, length({p}.estate) - 2) ELSE coalesce({p}.estate, '') END"
    )
    fields = [
        f"{p}.county_code",
        f"coalesce({p}.town_code, {p}.town, '')",
        community,
        f"coalesce({p}.road, '')",
        f"coalesce({p}.number, '')",
        estate,
        f"coalesce({p}.building, '')",
        f"coalesce({p}.unit, '')",
        f"coalesce({p}.room, '')",
        f"coalesce({p}.rest, '')",
    ]
    return f"CASE WHEN {p}.county_code IS NOT NULL THEN concat_ws('|', {', '.join(fields)}) END"


def _normalize_sql() -> str:
    return f"(SELECT {_canonical_sql('q.p')} FROM (SELECT sz_address_parse(s, ctx) AS p) AS q)"


def _check_sql(*, lean: bool = False) -> str:
    """Body of sz_address_check_ctx; ``lean``: no parts for valid addresses (bulk cleansing reads
    the parts of refused values only)."""
    return _check_over(_parse_steps_sql(precheck=True), lean=lean)


def sql_check_rows(source: str, value: str, context: str | None, out: str) -> str:
    """SQL: every column of ``source`` (a table name or a parenthesised query) and, as ``out``,
    the verdict of ``sz_address_check_ctx_lean(value, context)`` (``value`` an expression over
    its columns, ``context`` a division code or None) — the same verdicts, computed as one
    pipeline of joins over the rows instead of one correlated subquery per value, whose
    decorrelation (materialising, grouping and joining the inputs back) took 40 % of the time
    in bulk cleansing (tests/standards/test_address.py compares the two)."""
    ctx = "NULL::VARCHAR" if context is None else _q(context)
    rows = (
        f"(SELECT sz_row, sz_address_norm(sz_s) AS t, {ctx} AS cx, sz_precheck(sz_s) AS pre0 "
        f"FROM (SELECT sz_src AS sz_row, {value} AS sz_s FROM {source} AS sz_src))"
    )
    checked = _check_over(_keyed_steps_over(rows), lean=True, row="sz_row")
    return f"SELECT sz_row.*, sz_verdict AS {out} FROM {checked}"


def _check_over(steps: str, *, lean: bool, row: str | None = None) -> str:
    """The verdict over the parse steps ``steps`` (with ``pre0``): a scalar subquery, or with
    ``row`` (a column the steps carry) a derived table of ``row`` and ``sz_verdict``."""
    p = "q.p"
    has_detail = " OR ".join(
        f"q0.p.{k} IS NOT NULL"
        for k in ("community", "road", "number", "estate", "building", "unit", "room", "rest")
    )
    region = f"nullif(concat_ws('', {p}.province, {p}.prefecture, {p}.county, {p}.town), '')"
    parts = ", ".join(
        f"{k} := {region}" if k == "region" else f"{k} := {_key_sql(p)}" if k == "key" else f"{k} := {p}.{k}"
        for k in PART_KEYS
    )
    parts_when = "q.reason <> 'empty'" if lean else "q.reason IS DISTINCT FROM 'empty'"
    keep_q, keep_q0, keep_z = ("", "", "")
    if row:  # carried through every level
        keep_q, keep_q0, keep_z = f"q.{row}, ", f"q0.{row} AS {row}, ", f"z.{row} AS {row}, "
    named = " AS sz_verdict" if row else ""
    return f"""(SELECT {keep_q}struct_pack(
            valid := coalesce(q.reason IS NULL, false),
            normalized := CASE WHEN q.reason IS NULL THEN {_canonical_sql(p)} END,
            reason := q.reason,
            notes := CASE WHEN q.pre IS NOT NULL OR q.reason = 'empty' THEN []::VARCHAR[]
                          ELSE list_concat(CASE WHEN {p}.filled THEN ['address.filled']
                                                ELSE []::VARCHAR[] END,
                                           CASE WHEN {p}.context_used THEN ['address.context']
                                                ELSE []::VARCHAR[] END,
                                           CASE WHEN {p}.old_name IS NOT NULL THEN ['address.old_name']
                                                ELSE []::VARCHAR[] END) END,
            parts := CASE WHEN q.pre IS NULL AND {parts_when}
                          THEN struct_pack({parts}) END){named}
        FROM (SELECT {keep_q0}q0.pre AS pre, q0.p AS p,
                     CASE WHEN q0.pre IS NOT NULL THEN q0.pre
                          WHEN q0.p.empty THEN 'empty'
                          WHEN q0.p.county_code IS NULL AND q0.p.county_candidates IS NOT NULL
                            THEN 'address.ambiguous_county'
                          WHEN q0.p.county_code IS NULL AND (q0.p.province_code IS NOT NULL
                                                             OR q0.p.prefecture_code IS NOT NULL)
                            THEN 'address.no_county'
                          WHEN q0.p.county_code IS NULL THEN 'address.no_division'
                          WHEN NOT ({has_detail}) THEN 'address.no_detail'
                     END AS reason
              FROM (SELECT {keep_z}z.pre0 AS pre,
                           CASE WHEN z.pre0 IS NULL THEN {_parse_struct_sql()} END AS p
                    FROM {steps} AS z) AS q0
        ) AS q)"""


_declare_macros()


def _refresh() -> None:
    global _TABLES
    _TABLES = None
    _declare_macros(replace=True)


dv.on_change(_refresh)

register_kind(
    CheckKind(
        KIND,
        "地址",
        "address",
        check_address,
        "sz_address_check",
        check_in=lambda value, city: check_address(value, context=city),
        sql_check_in="sz_address_check_ctx",
        sql_check_lean="sz_address_check_lean",
        sql_check_in_lean="sz_address_check_ctx_lean",
        sql_check_rows=sql_check_rows,
    )
)
