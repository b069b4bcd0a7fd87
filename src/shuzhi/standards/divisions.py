"""GB/T 2260 administrative divisions (行政区划代码), current and retired, down to towns.

Data (``standards/data/``, built by ``scripts/build_divisions.py``; sources and licences in
``data/SOURCES.md``):

* ``divisions.csv.gz`` — every 6-digit code listed since 1980-12: the current list (2025-12-31)
  and the codes retired since, each with its validity period, so an old identity number still
  resolves to the county that issued it;
* ``division_history.csv.gz`` — each name a code carried, with its period;
* ``towns.csv.gz`` — towns and sub-districts (乡级, 9-digit codes, 2025-12-31).

``valid_from`` is the date of the first published list that carries a code, ``valid_to`` the date
of the last one (a retired code was known valid up to then); lists are dated the last day of their
month. Changes published after the newest list are added with :func:`load_updates` (or the
environment variable ``SHUZHI_DIVISION_UPDATES``, a path list applied on first use of the data; a
file that cannot be applied raises :class:`~shuzhi.errors.ConfigError` there, never at import).

Python form: :func:`lookup`, :func:`children`, :func:`parent_chain`, :func:`search`,
:func:`provinces`, :func:`history`, :func:`former_names`, :func:`check_division`. SQL form: the lookup tables
``sz_divisions`` (one row per code) and ``sz_division_names`` (name → codes), and the macro
``sz_division_check(s)``.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from shuzhi.errors import ConfigError, DataError
from shuzhi.standards._registry import CheckKind, register_kind
from shuzhi.standards._sql import data_generation, disk_cacheable, lookup_table, macro
from shuzhi.standards._verdict import Verdict, precheck, register_reasons

__all__ = [
    "DELETED",
    "FULLWIDTH",
    "FULLWIDTH_RE",
    "FULLWIDTH_RE2",
    "HALFWIDTH",
    "Division",
    "NameSpan",
    "UpdateReport",
    "check_division",
    "children",
    "former_names",
    "full_name",
    "history",
    "level_of",
    "load_updates",
    "lookup",
    "parent_chain",
    "provinces",
    "re2_class",
    "search",
    "short_forms",
    "sql_squash",
    "sql_str",
    "sql_translate",
    "squash",
]

KIND = "division"
Level = Literal["province", "prefecture", "county", "town"]
LEVELS: tuple[Level, ...] = ("province", "prefecture", "county", "town")
UPDATES_ENV = "SHUZHI_DIVISION_UPDATES"

MUNICIPALITIES = frozenset({"11", "12", "31", "50"})
#: names of the placeholder "prefectures" (市辖区, 县, 省直辖县级行政区划, ...) that only group codes
PLACEHOLDERS = frozenset(
    {
        "市辖区",
        "县",
        "市",
        "省直辖县级行政区划",
        "自治区直辖县级行政区划",
        "省直辖行政单位",
        "省直辖县级行政单位",
        "自治区直辖县级行政单位",
    }
)
#: the 55 minority ethnic groups (GB/T 3304), as they appear in the names of autonomous areas
ETHNIC_GROUPS = (
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "高山",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
    "各",
)

# --------------------------------------------------------------------------------------------
# Text normalisation shared by the Python and SQL forms: one ``translate`` that maps full-width
# ASCII to ASCII and deletes whitespace (everything ``str.isspace`` calls whitespace), C0
# controls, DEL and zero-width characters.

FULLWIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F))
HALFWIDTH = "".join(chr(c) for c in range(0x21, 0x7F))
DELETED = "".join(
    sorted(
        {chr(c) for c in range(0x110000) if chr(c).isspace()}
        | {chr(c) for c in range(0x01, 0x20)}
        | {"\x7f", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}
    )
)
_SQUASH = str.maketrans(FULLWIDTH, HALFWIDTH, DELETED)


def squash(text: str) -> str:
    """Full-width ASCII to ASCII; whitespace, controls and zero-width characters removed."""
    return text.translate(_SQUASH)


def sql_str(text: str) -> str:
    """``text`` as a DuckDB string expression: quoted literals, ``chr(n)`` for unprintables."""
    parts: list[str] = []
    run = ""
    for ch in text:
        if (ch.isprintable() and not ch.isspace()) or ch == " ":
            run += "''" if ch == "'" else ch
        else:
            if run:
                parts.append(f"'{run}'")
                run = ""
            parts.append(f"chr({ord(ch)})")
    if run or not parts:
        parts.append(f"'{run}'")
    return " || ".join(parts)


def re2_class(chars: str) -> str:
    """A RE2 character class of exactly ``chars`` (every character written as ``\\x{hex}``)."""
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in sorted(set(chars))) + "]"


def sql_translate(expr: str, src: str, dst: str) -> str:
    """SQL ``translate(expr, src, dst)``, skipped (it is slow) when ``expr`` has none of ``src``."""
    return (
        f"CASE WHEN regexp_matches({expr}, '{re2_class(src)}') "
        f"THEN translate({expr}, {sql_str(src)}, {sql_str(dst)}) ELSE {expr} END"
    )


def sql_squash(expr: str) -> str:
    """The SQL twin of :func:`squash` applied to the SQL expression ``expr``."""
    return sql_translate(expr, FULLWIDTH + DELETED, HALFWIDTH)


FULLWIDTH_RE = "[\uff01-\uff5e]"
FULLWIDTH_RE2 = "[\\x{ff01}-\\x{ff5e}]"


# --------------------------------------------------------------------------------------------
# The data


@dataclass(frozen=True, slots=True)
class Division:
    """One administrative division: a 6-digit GB/T 2260 code or a 9-digit town code."""

    code: str
    name: str
    level: Level
    parent: str | None
    valid_from: date | None
    valid_to: date | None
    current: bool
    lon: float | None = None
    lat: float | None = None

    @property
    def full_name(self) -> str:
        """The names from the province down, e.g. ``山西省晋城市城区``."""
        return full_name(self.code)

    @property
    def province(self) -> str | None:
        """Code of the province this division lies in (itself for a province)."""
        return _store().ancestor(self.code, "province")

    @property
    def prefecture(self) -> str | None:
        """Code of the prefecture-level division, or None (province, municipality district, ...)."""
        return _store().ancestor(self.code, "prefecture")

    @property
    def county(self) -> str | None:
        """Code of the county-level division (itself for a county), or None above that level."""
        return _store().ancestor(self.code, "county")


@dataclass(frozen=True, slots=True)
class NameSpan:
    """A name a code carried, from ``valid_from`` to ``valid_to`` (None: still carries it)."""

    code: str
    name: str
    valid_from: date | None
    valid_to: date | None


@dataclass(frozen=True, slots=True)
class UpdateReport:
    """What :func:`load_updates` changed."""

    as_of: date
    added: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str, str], ...] = ()  # (code, old name, new name)
    restored: tuple[str, ...] = ()
    retired: tuple[str, ...] = ()
    towns_retired: int = 0


def level_of(code: str) -> Level:
    if len(code) == 9:
        return "town"
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "prefecture"
    return "county"


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _float(text: str) -> float | None:
    return float(text) if text else None


def _read_gz(name: str) -> list[list[str]]:
    data = resources.files("shuzhi.standards").joinpath("data", name).read_bytes()
    rows = list(csv.reader(io.StringIO(gzip.decompress(data).decode("utf-8"))))
    return rows[1:]


_ETHNIC_TAIL = re.compile(
    "(?:"
    + "|".join(
        sorted(
            [g + "族" for g in ETHNIC_GROUPS] + [g for g in ETHNIC_GROUPS if len(g) > 1],
            key=lambda x: (-len(x), x),
        )
    )
    + ")+$"
)


def _strip_ethnic(base: str) -> str:
    """延边朝鲜族 → 延边, 恩施土家族苗族 → 恩施, 博尔塔拉蒙古 → 博尔塔拉 (内蒙古 stays)."""
    m = _ETHNIC_TAIL.search(base)
    if m is None or m.start() == 1:
        return base
    return base[: m.start()]


_SUFFIXES: dict[str, tuple[str, ...]] = {
    "province": ("特别行政区", "自治区", "省", "市"),
    "prefecture": ("自治州", "地区", "盟", "市"),
    "county": ("自治县", "自治旗", "林区", "特区", "新区", "区", "县", "市", "旗"),
    "town": ("街道办事处", "民族乡", "民族镇", "区公所", "街道", "苏木", "镇", "乡"),
}


def short_forms(name: str, level: str) -> list[str]:
    """Suffix-less forms people write for a division name (晋城市 → 晋城, 延边朝鲜族自治州 → 延边, 延边州)."""
    out: list[str] = []
    for suffix in _SUFFIXES.get(level, ()):
        if name.endswith(suffix) and len(name) > len(suffix):
            base = name[: -len(suffix)]
            if "自治" in suffix or suffix in ("民族乡", "民族镇") or level in ("province", "town"):
                base = _strip_ethnic(base)
            if len(base) >= 2:
                out.append(base)
                if suffix == "自治州":
                    out.append(base + "州")
            break
    return [s for s in out if s != name]


class _Store:
    """All divisions in memory; built on first use, changed only by :func:`load_updates`."""

    def __init__(self) -> None:
        self.divs: dict[str, Division] = {}
        self.spans: dict[str, list[NameSpan]] = {}
        self.snapshot = date(2025, 12, 31)
        for code, name, _level, parent, vfrom, vto, lon, lat in _read_gz("divisions.csv.gz"):
            self.divs[code] = Division(
                code,
                name,
                level_of(code),
                parent or None,
                _date(vfrom),
                _date(vto),
                not vto,
                _float(lon),
                _float(lat),
            )
        for code, name, vfrom, vto in _read_gz("division_history.csv.gz"):
            self.spans.setdefault(code, []).append(NameSpan(code, name, _date(vfrom), _date(vto)))
        for code, name, cur in _read_gz("towns.csv.gz"):
            self.divs[code] = Division(code, name, "town", code[:6], self.snapshot, None, cur == "1")
        self._derived: dict[str, Any] = {}

    # derived indexes, rebuilt after updates
    def reset(self) -> None:
        global _GENERATION, _SHIPPED
        self._derived.clear()
        _GENERATION += 1
        _SHIPPED = False

    def _get(self, key: str, build: Callable[[], Any]) -> Any:
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]

    @property
    def kids(self) -> dict[str, list[str]]:
        def build() -> dict[str, list[str]]:
            out: dict[str, list[str]] = {}
            for code in sorted(self.divs):
                p = self.divs[code].parent
                if p:
                    out.setdefault(p, []).append(code)
            return out

        result: dict[str, list[str]] = self._get("kids", build)
        return result

    def chain(self, code: str) -> list[Division]:
        out: list[Division] = []
        seen: set[str] = set()
        cur: str | None = code
        while cur and cur in self.divs and cur not in seen:
            seen.add(cur)
            out.append(self.divs[cur])
            cur = self.divs[cur].parent
        return out[::-1]

    def ancestor(self, code: str, level: Level) -> str | None:
        for d in self.chain(code):
            if d.level == level:
                return d.code
        return None

    @property
    def full_names(self) -> dict[str, str]:
        def build() -> dict[str, str]:
            return {code: "".join(d.name for d in self.chain(code)) for code in self.divs}

        result: dict[str, str] = self._get("full_names", build)
        return result

    @property
    def aliases(self) -> dict[str, list[tuple[int, str]]]:
        """name → sorted [(rank, code)]. Ranks: 0 a current name (full, or a chain such as
        晋城市城区), 1 its suffix-less form (晋城), 2 a town's suffix-less form (北石店), 3 a former
        name or a retired division's name, 4 the suffix-less form of one."""

        def build() -> dict[str, list[tuple[int, str]]]:
            out: dict[str, set[tuple[int, str]]] = {}

            def add(alias: str, rank: int, code: str) -> None:
                if alias:
                    out.setdefault(alias, set()).add((rank, code))

            full = self.full_names
            for code, d in self.divs.items():
                base = 0 if d.current else 3
                short = 4 if not d.current else 2 if d.level == "town" else 1
                add(d.name, base, code)
                add(full[code], base, code)
                if d.parent and d.level in ("county", "town") and self.divs[d.parent].level != "province":
                    add(self.divs[d.parent].name + d.name, base, code)
                for s in short_forms(d.name, d.level):
                    add(s, short, code)
                for span in self.spans.get(code, ()):
                    if span.name != d.name:
                        add(span.name, 3, code)
                        for s in short_forms(span.name, d.level):
                            add(s, 4, code)
            return {k: sorted(v) for k, v in out.items()}

        result: dict[str, list[tuple[int, str]]] = self._get("aliases", build)
        return result

    @property
    def former(self) -> dict[str, list[str]]:
        """Former full name → the current codes that go by it now (see :func:`former_names`)."""

        def build() -> dict[str, list[str]]:
            # current divisions by (province prefix, level, suffix-less form)
            bases: dict[tuple[str, str, str], set[str]] = {}
            for code, d in self.divs.items():
                if d.current and d.level != "town":
                    for s in short_forms(d.name, d.level):
                        bases.setdefault((code[:2], d.level, s), set()).add(code)
            out: dict[str, set[str]] = {}
            for code, spans in self.spans.items():
                div = self.divs.get(code)
                if div is None or div.level == "town":
                    continue
                for span in spans:
                    for s in short_forms(span.name, div.level):
                        heirs = bases.get((code[:2], div.level, s), set())
                        if len(heirs) != 1:
                            continue
                        (heir,) = heirs
                        now = self.divs[heir].name
                        # a county-level city (承德市) was the town, not the county around it (承德县)
                        if now != span.name and not (span.name.endswith("市") and now.endswith("县")):
                            out.setdefault(span.name, set()).add(heir)
            return {k: sorted(v) for k, v in sorted(out.items())}

        result: dict[str, list[str]] = self._get("former", build)
        return result

    @property
    def resolved(self) -> dict[str, list[str]]:
        """name → the codes of the best rank (what :func:`check_division` resolves a name to)."""

        def build() -> dict[str, list[str]]:
            out: dict[str, list[str]] = {}
            for alias, pairs in self.aliases.items():
                best = pairs[0][0]
                out[alias] = sorted({c for r, c in pairs if r == best})
            return out

        result: dict[str, list[str]] = self._get("resolved", build)
        return result


_STORE: _Store | None = None
_HOOKS: list[Callable[[], None]] = []
_GENERATION = 0
#: False once updates were applied to the loaded data (they are no longer the shipped lists)
_SHIPPED = True
#: (value of SHUZHI_DIVISION_UPDATES, message) of the last load that failed, so that every use
#: reports it again without re-reading the data
_FAILED: tuple[str, str] | None = None


def _store() -> _Store:
    """The division data, loaded on first use with the files of ``SHUZHI_DIVISION_UPDATES``
    applied; a file that cannot be applied raises ConfigError (here, never at import)."""
    global _STORE, _FAILED
    if _STORE is None:
        env = os.environ.get(UPDATES_ENV, "")
        if _FAILED is not None and _FAILED[0] == env:
            raise ConfigError(_FAILED[1])
        st = _Store()
        for path in filter(None, env.split(os.pathsep)):
            try:
                hint = f"(files in {UPDATES_ENV} are whole lists)"
                _apply_updates(st, Path(path), as_of=None, complete=True, hint=hint)
            except DataError as e:
                message = f"行政区划更新文件有误 / bad division update file ({UPDATES_ENV}): {e.message}"
                _FAILED = (env, message)
                raise ConfigError(message) from e
        _FAILED = None
        _STORE = st
    return _STORE


def on_change(hook: Callable[[], None]) -> None:
    """Call ``hook`` after every :func:`load_updates` (the address module rebuilds its patterns)."""
    _HOOKS.append(hook)


def generation() -> int:
    """A number that changes whenever the division data change."""
    _store()
    return _GENERATION


# the lookup tables built from the division data are cached per process: rebuild them when the
# data change (the number alone, without loading the data: a bad update file must not break
# install, it is reported by the queries that use the data)
data_generation(lambda: _GENERATION)
# ... and on disk (across processes) only while they are the shipped data
disk_cacheable(lambda: _SHIPPED and not os.environ.get(UPDATES_ENV))


def _reset() -> None:
    """Drop the loaded data and every update (for tests); the next use loads the shipped data."""
    global _STORE, _GENERATION, _FAILED, _SHIPPED
    _STORE = None
    _FAILED = None
    _GENERATION += 1
    _SHIPPED = True
    for hook in list(_HOOKS):
        hook()


# --------------------------------------------------------------------------------------------
# Public Python API


def _code_key(code: object) -> str | None:
    if not isinstance(code, str | int) or isinstance(code, bool):
        return None
    text = squash(str(code))
    if not re.fullmatch("[0-9]+", text):
        return None
    if len(text) == 12:
        text = text[:6] if text.endswith("000000") else text[:9] if text.endswith("000") else text
    elif len(text) == 9 and text.endswith("000"):
        text = text[:6]
    return text if len(text) in (6, 9) else None


def lookup(code: object) -> Division | None:
    """The division with ``code`` (6 digits, a 9-digit town code, or a 12-digit statistical code
    with trailing zeros), current or retired; None when there is none."""
    key = _code_key(code)
    return _store().divs.get(key) if key else None


def full_name(code: str) -> str:
    """The chain of names from the province down (``山西省晋城市城区``); '' for an unknown code."""
    key = _code_key(code)
    return _store().full_names.get(key, "") if key else ""


def children(code: str, *, include_retired: bool = False) -> list[Division]:
    """The divisions directly under ``code`` (counties of a prefecture, towns of a county, ...)."""
    key = _code_key(code)
    st = _store()
    kids = st.kids.get(key, []) if key else []
    return [st.divs[c] for c in kids if include_retired or st.divs[c].current]


def parent_chain(code: str) -> list[Division]:
    """From the province down to the division itself (``[山西省, 晋城市, 城区]``); [] if unknown."""
    key = _code_key(code)
    return _store().chain(key) if key and key in _store().divs else []


def former_names() -> dict[str, list[str]]:
    """Former full names → the current divisions that go by them now (高平县 → ['140581'] 高平市,
    潮阳县 → ['440513'] 潮阳区, 吕梁地区 → ['141100'] 吕梁市).

    A name any code carried (``division_history``) counts as a former name of the one current
    division of the same level in the same province with the same suffix-less form: the suffix
    changed (县 → 市 → 区, 地区 → 市, 盟 → 市, …), with or without a new code. Renames to another
    name (襄樊市 → 襄阳市) are not included, nor names whose suffix-less form several current
    divisions of the province share, nor a county-level city's name as that of the county around
    it. A former name can be another division's current name too: 淮安市 → ['320803'] 淮安区 (the
    county-level city until 2001), while the prefecture 淮安市 is 320800.
    """
    return {name: list(codes) for name, codes in _store().former.items()}


def provinces() -> list[Division]:
    """The current provinces, autonomous regions, municipalities and SARs (34)."""
    return [d for d in _store().divs.values() if d.level == "province" and d.current]


def history(code: str) -> list[NameSpan]:
    """The names ``code`` carried over time, oldest first ([] for towns and unknown codes)."""
    key = _code_key(code)
    return list(_store().spans.get(key, [])) if key else []


def search(name: str, level: str | None = None, *, include_retired: bool = False) -> list[Division]:
    """Divisions called ``name``: by full name, suffix-less form (晋城 → 晋城市) or chain (晋城市城区).

    Gives the current divisions matching best (a full name before a suffix-less form, a county's
    form before a town's), every one of them when the name is ambiguous (城区); with
    ``include_retired`` also retired divisions and former names, after those.
    """
    if not isinstance(name, str):
        return []
    st = _store()
    pairs = [(r, c) for r, c in st.aliases.get(squash(name), []) if not level or st.divs[c].level == level]
    current = [(r, c) for r, c in pairs if st.divs[c].current and r < 3]
    best = min((r for r, _ in current), default=None)
    codes = sorted({c for r, c in current if r == best})
    if include_retired:
        codes += sorted(
            {c for _, c in pairs if c not in codes and not (st.divs[c].current and best is not None)}
        )
    return [st.divs[c] for c in codes]


# --------------------------------------------------------------------------------------------
# Updates from the ministry's published list


def load_updates(
    path: str | os.PathLike[str], *, as_of: date | str | None = None, complete: bool = True
) -> UpdateReport:
    """Apply a county-level list published after the newest one shipped (民政部 行政区划代码).

    ``path`` is a CSV (comma or tab separated, UTF-8, optional header) of ``code,name[,valid_from]``
    rows — the ministry's list as published, one row per province, prefecture and county. Codes
    in the file that are new become current (from their ``valid_from``, else ``as_of``); a name
    that differs renames the code (the old name goes to its history); a retired code listed again
    is restored. With ``complete=True`` (the file is the whole list) every current 6-digit code
    missing from it is retired, with ``valid_to`` the date of the previous list, and so are the
    towns under a retired county. ``as_of`` (the list's date) defaults to the latest
    ``valid_from`` in the file, else today. Changes last for this process; set
    ``SHUZHI_DIVISION_UPDATES`` to apply files on every start. Re-run ``install(con,
    replace=True)`` on open DuckDB connections afterwards.
    """
    report = _apply_updates(_store(), Path(path), as_of=as_of, complete=complete)
    for hook in list(_HOOKS):
        hook()
    return report


def _read_update_rows(path: Path) -> list[tuple[int, str, str, date | None]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"cannot read division update file: {e}", file=str(path)) from e
    head = "\n".join(text.splitlines()[:5])
    delimiter = "\t" if head.count("\t") > head.count(",") else ","
    rows: list[tuple[int, str, str, date | None]] = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        numbered = list(enumerate(reader, start=1))
    except csv.Error as e:
        raise DataError(f"not a readable CSV file: {e}", file=str(path), row=reader.line_num) from e
    for lineno, row in numbered:
        cells = [squash(c) for c in row]
        if not any(cells):
            continue
        if lineno == 1 and not re.fullmatch("[0-9]+", cells[0]):
            continue  # header
        if len(cells) < 2:
            raise DataError(
                "expected code,name[,valid_from]", file=str(path), row=lineno, value=",".join(row)
            )
        code = cells[0]
        if len(code) == 12 and code.endswith("000000"):
            code = code[:6]
        if not re.fullmatch("[0-9]{6}", code):
            raise DataError(
                "division code must be 6 digits", file=str(path), row=lineno, column="code", value=code
            )
        if not cells[1]:
            raise DataError("empty name", file=str(path), row=lineno, column="name", value=cells[1])
        vfrom: date | None = None
        if len(cells) > 2 and cells[2]:
            try:
                vfrom = date.fromisoformat(cells[2])
            except ValueError as e:
                raise DataError(
                    "valid_from must be YYYY-MM-DD",
                    file=str(path),
                    row=lineno,
                    column="valid_from",
                    value=cells[2],
                ) from e
        rows.append((lineno, code, cells[1], vfrom))
    return rows


def _parent_for(code: str, divs: dict[str, Division]) -> str | None:
    level = level_of(code)
    province = code[:2] + "0000"
    if level == "province":
        return None
    if level == "county":
        pref = code[:4] + "00"
        if (
            pref in divs
            and code[:2] not in MUNICIPALITIES
            and code[2:4] != "90"
            and divs[pref].name not in PLACEHOLDERS
        ):
            return pref
    return province if province in divs else None


def _apply_updates(
    st: _Store, path: Path, *, as_of: date | str | None, complete: bool, hint: str | None = None
) -> UpdateReport:
    rows = _read_update_rows(path)
    if isinstance(as_of, str):
        as_of = date.fromisoformat(as_of)
    if as_of is None:
        dates = [r[3] for r in rows if r[3]]
        as_of = max(dates) if dates else date.today()
    listed = {code for _, code, _, _ in rows}
    current6 = {c for c, d in st.divs.items() if d.current and len(c) == 6}
    if complete and len(listed & current6) < len(current6) // 2:
        raise DataError(
            f"the file lists {len(listed & current6)} of {len(current6)} current codes: not a complete list "
            + ("(use complete=False to apply additions and renames only)" if hint is None else hint),
            file=str(path),
        )
    previous = st.snapshot
    added: list[str] = []
    renamed: list[tuple[str, str, str]] = []
    restored: list[str] = []
    retired: list[str] = []
    # new codes first, parents before children, so that parents resolve
    for _, code, name, vfrom in sorted(
        rows, key=lambda r: (level_of(r[1]) != "province", r[1][4:] != "00", r[1])
    ):
        start = vfrom or as_of
        old = st.divs.get(code)
        spans = st.spans.setdefault(code, [])
        if old is None:
            st.divs[code] = Division(
                code, name, level_of(code), _parent_for(code, st.divs), start, None, True
            )
            spans.append(NameSpan(code, name, start, None))
            added.append(code)
        elif not old.current:
            st.divs[code] = Division(
                code,
                name,
                old.level,
                _parent_for(code, st.divs),
                old.valid_from,
                None,
                True,
                old.lon,
                old.lat,
            )
            spans.append(NameSpan(code, name, start, None))
            restored.append(code)
        elif old.name != name:
            st.divs[code] = Division(
                code, name, old.level, old.parent, old.valid_from, None, True, old.lon, old.lat
            )
            if spans and spans[-1].valid_to is None:
                spans[-1] = NameSpan(code, spans[-1].name, spans[-1].valid_from, previous)
            spans.append(NameSpan(code, name, start, None))
            renamed.append((code, old.name, name))
    towns_retired = 0
    if complete:
        for code in sorted(current6 - listed):
            old = st.divs[code]
            st.divs[code] = Division(
                code, old.name, old.level, old.parent, old.valid_from, previous, False, old.lon, old.lat
            )
            spans = st.spans.setdefault(code, [])
            if spans and spans[-1].valid_to is None:
                spans[-1] = NameSpan(code, spans[-1].name, spans[-1].valid_from, previous)
            retired.append(code)
        gone = set(retired)
        for code, d in list(st.divs.items()):
            if d.level == "town" and d.current and code[:6] in gone:
                st.divs[code] = Division(code, d.name, "town", d.parent, d.valid_from, previous, False)
                towns_retired += 1
    st.snapshot = max(previous, as_of)
    st.reset()
    return UpdateReport(as_of, tuple(added), tuple(renamed), tuple(restored), tuple(retired), towns_retired)


# --------------------------------------------------------------------------------------------
# The check (Python form)

register_reasons(
    {
        "division.bad_format": (
            "区划代码应为 6 位（区县及以上）或 9 位、12 位（乡镇街道）数字，或者写区划名称；"
            "收到的是「{input}」",
            "a division code has 6 digits (county and above) or 9 or 12 (towns), or give the name; "
            "got '{input}'",
        ),
        "division.unknown_code": (
            "没有代码为 {code} 的行政区划（现行和历史代码中都没有）",
            "no division has the code {code} (neither current nor retired)",
        ),
        "division.unknown_name": (
            "没有名为「{name}」的行政区划",
            "no division is called '{name}'",
        ),
        "division.ambiguous": (
            "「{name}」对应 {candidates} 个行政区划，请写上级名称（如 晋城市城区）或代码",
            "'{name}' names {candidates} divisions; add the parent's name (e.g. 晋城市城区) or give the code",
        ),
        "division.retired": (
            "{code}（{full_name}）已撤销，有效期 {valid_from} 至 {valid_to}",
            "{code} ({full_name}) is retired; valid {valid_from} to {valid_to}",
        ),
        "division.full_width": ("全角数字或字母已转为半角", "full-width digits or letters converted"),
    }
)

PARTS_SQL = (
    "code VARCHAR, name VARCHAR, level VARCHAR, full_name VARCHAR, province VARCHAR, prefecture VARCHAR, "
    "county VARCHAR, current BOOLEAN, valid_from VARCHAR, valid_to VARCHAR, candidates INTEGER, input VARCHAR"
)
PART_KEYS = tuple(p.split()[0] for p in PARTS_SQL.split(", "))


def _parts(**values: Any) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(PART_KEYS)
    out.update(values)
    return out


def _division_parts(d: Division, text: str) -> dict[str, Any]:
    st = _store()

    def name_of(level: Level) -> str | None:
        code = st.ancestor(d.code, level)
        return st.divs[code].name if code else None

    return _parts(
        code=d.code,
        name=d.name,
        level=d.level,
        full_name=st.full_names[d.code],
        province=name_of("province"),
        prefecture=name_of("prefecture"),
        county=name_of("county"),
        current=d.current,
        valid_from=d.valid_from.isoformat() if d.valid_from else None,
        valid_to=d.valid_to.isoformat() if d.valid_to else None,
        input=text,
    )


def check_division(value: object) -> Verdict:
    """Check a division code (6, 9 or 12 digits) or name; a retired code is valid with a note."""
    text, done = precheck(KIND, value)
    if done is not None:
        return done
    assert text is not None
    t = squash(text)
    notes: tuple[str, ...] = ("division.full_width",) if re.search(FULLWIDTH_RE, text) else ()
    if t == "":
        return Verdict(KIND, text, False, reason="empty", notes=notes)
    st = _store()
    if re.fullmatch("[0-9]+", t):
        if len(t) not in (6, 9, 12):
            return Verdict(
                KIND, text, False, reason="division.bad_format", notes=notes, parts=_parts(input=t)
            )
        code = _code_key(t) or t
        cands = [code] if code in st.divs else []
        if not cands:
            return Verdict(
                KIND,
                text,
                False,
                reason="division.unknown_code",
                notes=notes,
                parts=_parts(code=code, input=t),
            )
    elif re.search("[0-9A-Za-z]", t):
        return Verdict(KIND, text, False, reason="division.bad_format", notes=notes, parts=_parts(input=t))
    else:
        cands = st.resolved.get(t, [])
        if not cands:
            return Verdict(
                KIND, text, False, reason="division.unknown_name", notes=notes, parts=_parts(name=t, input=t)
            )
        if len(cands) > 1:
            return Verdict(
                KIND,
                text,
                False,
                reason="division.ambiguous",
                notes=notes,
                parts=_parts(name=t, candidates=len(cands), input=t),
            )
    d = st.divs[cands[0]]
    if not d.current:
        notes = (*notes, "division.retired")
    return Verdict(KIND, text, True, normalized=d.code, notes=notes, parts=_division_parts(d, t))


# --------------------------------------------------------------------------------------------
# The SQL form

DIVISION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "VARCHAR"),
    ("name", "VARCHAR"),
    ("level", "VARCHAR"),
    ("parent", "VARCHAR"),
    ("province", "VARCHAR"),
    ("prefecture", "VARCHAR"),
    ("county", "VARCHAR"),
    ("current", "BOOLEAN"),
    ("valid_from", "DATE"),
    ("valid_to", "DATE"),
    ("full_name", "VARCHAR"),
    ("province_name", "VARCHAR"),
    ("prefecture_name", "VARCHAR"),
    ("county_name", "VARCHAR"),
    ("lon", "DOUBLE"),
    ("lat", "DOUBLE"),
)


def _division_rows() -> Iterator[Sequence[Any]]:
    st = _store()
    for code in sorted(st.divs):
        d = st.divs[code]
        anc = {lvl: st.ancestor(code, lvl) for lvl in ("province", "prefecture", "county")}
        names = {lvl: (st.divs[c].name if c else None) for lvl, c in anc.items()}
        yield (
            code,
            d.name,
            d.level,
            d.parent,
            anc["province"],
            anc["prefecture"],
            anc["county"],
            d.current,
            d.valid_from,
            d.valid_to,
            st.full_names[code],
            names["province"],
            names["prefecture"],
            names["county"],
            d.lon,
            d.lat,
        )


def _name_rows() -> Iterable[Sequence[Any]]:
    return sorted(_store().resolved.items())


lookup_table(
    "sz_divisions",
    DIVISION_COLUMNS,
    _division_rows,
    "GB/T 2260 divisions, one row per code (6-digit county and above, 9-digit towns), current and retired; "
    "province/prefecture/county are the codes of the chain above (and of the division itself at its level)",
)
lookup_table(
    "sz_division_names",
    (("alias", "VARCHAR"), ("codes", "VARCHAR[]")),
    _name_rows,
    "division name (full, suffix-less, chain or former) -> the codes it resolves to (current names first)",
)

macro(
    "sz_division_squash",
    ["s"],
    sql_squash("s"),
    "full-width ASCII to ASCII; whitespace, control and zero-width characters removed",
)

macro(
    "sz_division_code",
    ["s"],
    """CASE WHEN NOT regexp_full_match(s, '[0-9]+') THEN NULL
            WHEN length(s) = 12 AND ends_with(s, '000000') THEN left(s, 6)
            WHEN length(s) = 12 AND ends_with(s, '000') THEN left(s, 9)
            WHEN length(s) = 9 AND ends_with(s, '000') THEN left(s, 6)
            WHEN length(s) IN (6, 9, 12) THEN s
            ELSE NULL END""",
    "a squashed code-like text trimmed to the 6- or 9-digit key, else NULL",
)

_PARTS_EXPR = ", ".join(f"{k} := q.p_{k}" for k in PART_KEYS)
macro(
    "sz_division_check",
    ["s"],
    f"""(SELECT struct_pack(
            valid := q.valid, normalized := q.normalized, reason := q.reason, notes := q.notes,
            parts := CASE WHEN q.pre IS NULL AND q.reason IS DISTINCT FROM 'empty'
                          THEN struct_pack({_PARTS_EXPR}) END)
        FROM (
          SELECT n3.pre AS pre,
                 coalesce(n3.pre IS NULL AND n3.reason IS NULL, false) AS valid,
                 CASE WHEN n3.pre IS NULL AND n3.reason IS NULL THEN n3.d.code END AS normalized,
                 coalesce(n3.pre, n3.reason) AS reason,
                 CASE WHEN n3.pre IS NOT NULL THEN []::VARCHAR[]
                      ELSE list_concat(
                        CASE WHEN n0.fw THEN ['division.full_width'] ELSE []::VARCHAR[] END,
                        CASE WHEN n3.reason IS NULL AND NOT n3.d.current THEN ['division.retired']
                             ELSE []::VARCHAR[] END) END AS notes,
                 CASE WHEN n3.reason IS NULL THEN n3.d.code
                      WHEN n3.reason = 'division.unknown_code' THEN n1.code END AS p_code,
                 CASE WHEN n3.reason IS NULL THEN n3.d.name
                      WHEN n3.reason IN ('division.unknown_name', 'division.ambiguous') THEN n0.t
                 END AS p_name,
                 n3.d.level AS p_level,
                 n3.d.full_name AS p_full_name,
                 n3.d.province_name AS p_province,
                 n3.d.prefecture_name AS p_prefecture,
                 n3.d.county_name AS p_county,
                 n3.d.current AS p_current,
                 CAST(n3.d.valid_from AS VARCHAR) AS p_valid_from,
                 CAST(n3.d.valid_to AS VARCHAR) AS p_valid_to,
                 CASE WHEN n3.reason = 'division.ambiguous' THEN CAST(len(n2.cands) AS INTEGER) END
                   AS p_candidates,
                 n0.t AS p_input
          FROM (SELECT sz_precheck(s) AS pre, sz_division_squash(s) AS t,
                       coalesce(regexp_matches(s, '{FULLWIDTH_RE2}'), false) AS fw) AS n0,
          LATERAL (SELECT CASE WHEN n0.pre IS NOT NULL THEN 'pre'
                               WHEN n0.t = '' THEN 'empty'
                               WHEN regexp_full_match(n0.t, '[0-9]+') THEN
                                 CASE WHEN length(n0.t) IN (6, 9, 12) THEN 'code' ELSE 'bad' END
                               WHEN regexp_matches(n0.t, '[0-9A-Za-z]') THEN 'bad'
                               ELSE 'name' END AS path,
                          sz_division_code(n0.t) AS code) AS n1,
          LATERAL (SELECT CASE WHEN n1.path = 'code' THEN
                                 (SELECT [dd.code] FROM sz_divisions AS dd WHERE dd.code = n1.code)
                               WHEN n1.path = 'name' THEN
                                 (SELECT nn.codes FROM sz_division_names AS nn WHERE nn.alias = n0.t)
                          END AS cands) AS n2,
          LATERAL (SELECT n0.pre AS pre,
                          CASE WHEN n1.path = 'empty' THEN 'empty'
                               WHEN n1.path = 'bad' THEN 'division.bad_format'
                               WHEN n1.path = 'code' AND n2.cands IS NULL THEN 'division.unknown_code'
                               WHEN n1.path = 'name' AND n2.cands IS NULL THEN 'division.unknown_name'
                               WHEN n1.path = 'name' AND len(n2.cands) > 1 THEN 'division.ambiguous'
                          END AS reason,
                          (SELECT struct_pack(code := dv.code, name := dv.name, level := dv.level,
                                              full_name := dv.full_name, province_name := dv.province_name,
                                              prefecture_name := dv.prefecture_name,
                                              county_name := dv.county_name, current := dv.current,
                                              valid_from := dv.valid_from, valid_to := dv.valid_to)
                           FROM sz_divisions AS dv
                           WHERE dv.code = CASE WHEN len(n2.cands) = 1 THEN n2.cands[1] END) AS d) AS n3
        ) AS q)""",
    "the division verdict: STRUCT(valid, normalized, reason, notes, parts)",
)

register_kind(CheckKind(KIND, "行政区划", "administrative division", check_division, "sz_division_check"))
