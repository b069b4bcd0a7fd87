#!/usr/bin/env python3
"""Write the sample city's department files (``examples/sample-city/data/*``) and the list of
the messes planted in them (``examples/sample-city/planted.json``).

The sample is a small synthetic 晋城市 (140500): sixty households (some 210 people) in its six counties,
their members with identity numbers whose check characters are computed by
:mod:`shuzhi.standards.idcard`, towns from :mod:`shuzhi.standards.divisions`. Four departments
export parts of it, each in its own way and with its own messes:

* 公安局 JC-GA-HJRK 户籍人口信息 — GBK CSV with a title line; a second month (deaths, moves,
  births, changed addresses and phones) and a small corrections file;
* 卫健委 JC-WJ-JKDA 居民健康档案 — tab-separated UTF-8 with BOM from an old system: Traditional
  characters, 15-digit identity numbers, dates written day first;
* 民政局 JC-MZ-DBDX 城乡低保对象 — JSON, households with nested members;
* 市场监管局 JC-SJ-QYDJ 企业登记信息 — .xlsx with merged header cells and a footer, and a
  legacy .xls from the 高平 county bureau.

Every mess is planted on purpose in chosen rows and recorded in ``planted.json`` (file, line,
the mess, what the pipeline should make of it: the cleansed value, or quarantine and the reason);
``tests/test_examples.py`` checks the files against it and loads them. The README's table of
messes is rendered from the same list (between the ``planted:begin``/``planted:end`` markers).

Deterministic: one seeded random generator, and the timestamps inside the Excel files are fixed,
so running the script again rewrites the committed files byte for byte.

Run: ``.venv/bin/python scripts/make_examples.py`` (``--out DIR`` to write elsewhere, ``--check``
to compare with the committed files and exit 1 if they differ).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import io
import json
import random
import re
import sys
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shuzhi.standards import check, divisions
from shuzhi.standards.idcard import check_char
from shuzhi.standards.uscc import orgcode_check_char, uscc_check_char

SEED = 20240331
ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "sample-city"
CITY = "140500"
#: the date the exports were made (ages, "future" dates and the second month are relative to it)
EXPORT_DATE = dt.date(2024, 3, 31)
#: fixed time stamped inside the Excel files, so that they are reproducible
FILE_TIME = dt.datetime(2024, 3, 31, 18, 0, 0)

# --------------------------------------------------------------------------------------------
# Names and places

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林郭马罗梁宋郑谢韩唐冯邓曹彭曾田董袁潘蒋蔡杜程魏"
    "吕丁任沈姚卢崔钟谭陆汪范金石廖贾夏付方白邹孟熊秦邱江尹薛段雷侯龙史陶贺顾毛郝龚邵"
    "牛靳常申原卫裴焦"
)
#: given-name characters whose Traditional form (if any) converts back unambiguously
GIVEN_MALE = "伟强磊军杰涛明超勇军斌鹏辉刚建国华平志红波宁晨浩宇俊峰鑫亮成龙飞东海林"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞燕玲秀英萍红梅琳雪婷颖洁佳欣慧倩琴兰凤云霞晶月"
#: Uyghur names written with a middle dot (given name · father's name)
UYGHUR_MALE = ("买买提·艾力", "阿卜杜拉·吐尔逊", "艾合买提·买合木提", "努尔兰·阿不都")
UYGHUR_FEMALE = ("阿依古丽·买买提", "古丽娜尔·吐尔逊", "热依拉·阿不都", "帕提曼·艾力")

ROADS_CITY = (
    "凤台东街",
    "泽州路",
    "书院街",
    "红星东街",
    "建设路",
    "文昌东街",
    "新市东街",
    "太行路",
    "中原街",
)
ESTATES = ("金鼎小区", "书院小区", "凤台小区", "泰森花园", "开元小区", "景西小区", "白马寺小区")
VILLAGES = (
    "东关村",
    "南庄村",
    "西沟村",
    "下河村",
    "北坡村",
    "上庄村",
    "河东村",
    "李家庄村",
    "后沟村",
    "大峪村",
)
#: county weights of the population (城区 is most of the city)
COUNTIES = (("140502", 30), ("140525", 20), ("140581", 18), ("140522", 14), ("140521", 9), ("140524", 9))
#: counties retired before 1999 whose codes older identity numbers still carry: 郊区 became 泽州县
#: (1996), 高平县 became 高平市 (1993)
RETIRED_FOR = {"140525": "140503", "140581": "140523"}

MOBILE_PREFIXES = (
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "183",
    "187",
)


def county_name(code: str) -> str:
    d = divisions.lookup(code)
    assert d is not None, code
    return d.name


# --------------------------------------------------------------------------------------------
# The city: households and people


@dataclass(eq=False)
class Person:
    id18: str
    name: str
    sex: str  # GB/T 2261.1 code, 1 or 2
    birth: dt.date
    ethnic: str  # GB/T 3304 code
    marital: str  # GB/T 2261.2 code
    relation: str  # to the head of household: 本人 配偶 子女 父母 孙子女
    phone: str | None
    moved_in: dt.date | None
    household: Household | None = None

    @property
    def id15(self) -> str:
        """The 15-digit form (issued before 1999): no century, no check character."""
        return self.id18[:6] + self.id18[8:17]

    def age(self, on: dt.date = EXPORT_DATE) -> int:
        return on.year - self.birth.year - ((on.month, on.day) < (self.birth.month, self.birth.day))


@dataclass(eq=False)
class Household:
    number: str  # 户号
    county: str
    town_code: str
    town: str
    detail: str  # road/village, number, estate, building/unit/room
    members: list[Person] = field(default_factory=list)
    ethnic: str = "01"

    @property
    def county_name(self) -> str:
        return county_name(self.county)

    def address(self, style: str = "full") -> str:
        """The address written with (``full``, ``city``) or without (``county``, ``town``) the
        province and city; the canonical form is ``full``."""
        body = f"{self.town}{self.detail}"
        if style == "town":
            return body
        if style == "county":
            return f"{self.county_name}{body}"
        if style == "city":
            return f"晋城市{self.county_name}{body}"
        return f"山西省晋城市{self.county_name}{body}"


class City:
    """A seeded synthetic city. Every random choice goes through ``self.rng`` in a fixed order."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set()
        self.households: list[Household] = []
        self._towns = {c: divisions.children(c) for c, _ in COUNTIES}

    # -- values ------------------------------------------------------------------------------

    def pick(self, seq: Any) -> Any:
        return seq[self.rng.randrange(len(seq))]

    def mobile(self) -> str:
        while True:
            p = self.pick(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if p not in self.used_phones:
                self.used_phones.add(p)
                return p

    def landline(self) -> str:
        while True:
            p = f"0356-{self.pick('2368')}{self.rng.randrange(10**6):06d}"
            if p not in self.used_phones:
                self.used_phones.add(p)
                return p

    def new_id(self, region: str, birth: dt.date, sex: str) -> str:
        while True:
            seq = self.rng.randrange(1, 500) * 2 - (1 if sex == "1" else 0)  # odd men, even women
            if seq > 999:
                continue
            first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
            id18 = first17 + check_char(first17)
            if id18 not in self.used_ids:
                self.used_ids.add(id18)
                return id18

    def birth(self, lo: int, hi: int) -> dt.date:
        start, end = dt.date(lo, 1, 1), min(dt.date(hi, 12, 31), EXPORT_DATE - dt.timedelta(days=60))
        return start + dt.timedelta(days=self.rng.randrange((end - start).days + 1))

    def given(self, sex: str) -> str:
        pool = GIVEN_MALE if sex == "1" else GIVEN_FEMALE
        n = 1 if self.rng.random() < 0.35 else 2
        return "".join(self.pick(pool) for _ in range(n))

    def region_of(self, county: str, birth: dt.date) -> str:
        """Where an identity number was issued: people born before the 1990s in 泽州/高平 often
        keep the code of the county as it was then."""
        if county in RETIRED_FOR and birth.year < 1988 and self.rng.random() < 0.4:
            return RETIRED_FOR[county]
        return county

    # -- people ------------------------------------------------------------------------------

    def person(
        self,
        hh: Household,
        *,
        sex: str,
        birth: dt.date,
        relation: str,
        surname: str | None = None,
        name: str | None = None,
        region: str | None = None,
    ) -> Person:
        if name is None:
            name = (surname or self.pick(SURNAMES)) + self.given(sex)
        region = region or self.region_of(hh.county, birth)
        age = EXPORT_DATE.year - birth.year
        marital = "10" if age < 22 else ("20" if age < 70 else self.pick(("20", "20", "30")))
        if 30 <= age < 70 and self.rng.random() < 0.06:
            marital = "40"
        phone = None
        if age >= 16:
            phone = self.landline() if (age >= 60 and self.rng.random() < 0.5) else self.mobile()
        moved_in = None
        if self.rng.random() < 0.45:
            lo = max(birth, dt.date(1985, 1, 1))
            if lo < EXPORT_DATE - dt.timedelta(days=400):
                moved_in = lo + dt.timedelta(days=self.rng.randrange((EXPORT_DATE - lo).days - 365))
        p = Person(
            id18=self.new_id(region, birth, sex),
            name=name,
            sex=sex,
            birth=birth,
            ethnic=hh.ethnic,
            marital=marital,
            relation=relation,
            phone=phone,
            moved_in=moved_in,
            household=hh,
        )
        hh.members.append(p)
        return p

    def household(self, number: int, *, county: str | None = None, kind: str = "han") -> Household:
        if county is None:
            total = sum(w for _, w in COUNTIES)
            r, county = self.rng.randrange(total), COUNTIES[0][0]
            for code, w in COUNTIES:
                if r < w:
                    county = code
                    break
                r -= w
        towns = self._towns[county]
        town = self.pick(towns)
        urban = town.name.endswith("街道") or (county == "140502" and self.rng.random() < 0.7)
        if urban:
            detail = (
                f"{self.pick(ROADS_CITY)}{self.rng.randrange(1, 300)}号{self.pick(ESTATES)}"
                f"{self.rng.randrange(1, 20)}号楼{self.rng.randrange(1, 6)}单元"
                f"{self.rng.randrange(1, 7)}0{self.rng.randrange(1, 4)}室"
            )
        else:
            detail = f"{self.pick(VILLAGES)}{self.rng.randrange(1, 200)}号"
        hh = Household(f"{town.code}{number:03d}", county, town.code, town.name, detail)
        hh.ethnic = {"han": "01", "hui": "03", "uyghur": "05"}[kind]
        if kind == "uyghur":
            # a family from 乌鲁木齐市天山区 (650102) living in 晋城; the child born here
            hb = self.birth(1975, 1990)
            self.person(hh, sex="1", birth=hb, relation="本人", name=UYGHUR_MALE[number % 4], region="650102")
            self.person(
                hh,
                sex="2",
                birth=self.birth(hb.year - 2, hb.year + 3),
                relation="配偶",
                name=UYGHUR_FEMALE[number % 4],
                region="650102",
            )
            self.person(
                hh,
                sex="2",
                birth=self.birth(hb.year + 25, min(hb.year + 35, 2020)),
                relation="子女",
                name=UYGHUR_FEMALE[(number + 1) % 4],
                region=county,
            )
            return hh
        surname = self.pick(SURNAMES)
        head_sex = "1" if self.rng.random() < 0.8 else "2"
        hb = self.birth(1945, 1995)
        self.person(hh, sex=head_sex, birth=hb, relation="本人", surname=surname)
        if self.rng.random() < 0.85:
            self.person(
                hh,
                sex="2" if head_sex == "1" else "1",
                birth=self.birth(hb.year - 4, min(hb.year + 4, 1998)),
                relation="配偶",
            )
        for _ in range(self.rng.choice((0, 1, 1, 2, 2, 3))):
            lo = hb.year + 22
            if lo > 2022:
                break
            sex = self.pick("12")
            self.person(
                hh, sex=sex, birth=self.birth(lo, min(hb.year + 38, 2022)), relation="子女", surname=surname
            )
        if hb.year > 1965 and self.rng.random() < 0.2:
            self.person(
                hh,
                sex=self.pick("12"),
                birth=self.birth(hb.year - 32, hb.year - 22),
                relation="父母",
                surname=surname,
            )
        return hh

    def build(self, n: int = 90) -> None:
        for i in range(1, n + 1):
            kind = "uyghur" if i in (17, 61) else ("hui" if i in (8, 44) else "han")
            self.households.append(self.household(i, kind=kind))

    def people(self) -> list[Person]:
        return [p for hh in self.households for p in hh.members]


# --------------------------------------------------------------------------------------------
# Planting messes and recording them

#: a quarantine reason the pipeline gives itself (not a standard's): a required field is empty
#: or a placeholder such as 无/不详
REQUIRED_MISSING = "required"
#: the reason for a value the mapping's value map lacks when it says ``unmapped: invalid``
UNMAPPED = "unmapped"


@dataclass(eq=False)
class Row:
    """One source row (or JSON record) as written, and the messes planted in it (``marks``)."""

    values: dict[str, Any]
    person: Person | None = None
    #: each planted mess: {mess, kind (cleansed | flagged | quarantined), field, column, raw, and
    #: ``expected`` (the cleansed value; None for a placeholder read as missing), ``note`` (the
    #: standard's note) or ``reason`` (why the row is quarantined or the value flagged)}
    marks: list[dict[str, Any]] = field(default_factory=list)
    line: int = 0  # physical line (CSV), sheet row (Excel) or record number (JSON), 1-based
    where: str = ""  # human-readable location
    parent: dict[str, Any] | None = None  # JSON: the household a member belongs to

    @property
    def messes(self) -> list[str]:
        return [m["mess"] for m in self.marks]

    @property
    def outcome(self) -> str:
        kinds = {m["kind"] for m in self.marks}
        return "quarantined" if "quarantined" in kinds else ("flagged" if "flagged" in kinds else "loaded")

    def free(self, column: str) -> bool:
        """No mess planted in ``column`` yet."""
        return all(m["column"] != column for m in self.marks)

    def _mark(self, mess: str, kind: str, column: str, field: str, **more: Any) -> None:
        raw: Any = self.values.get(column)
        if self.parent is not None and column.startswith("households."):
            raw = self.parent
            for part in column.split(".")[1:]:
                raw = raw.get(part) if isinstance(raw, dict) else None
        self.marks.append({"mess": mess, "kind": kind, "field": field, "column": column, "raw": raw, **more})

    def quarantine(self, mess: str, column: str, field: str, reason: str) -> None:
        self._mark(mess, "quarantined", column, field, reason=reason)

    def flag(self, mess: str, column: str, field: str, reason: str) -> None:
        self._mark(mess, "flagged", column, field, reason=reason)

    def clean(self, mess: str, column: str, field: str, expected: Any, note: str | None = None) -> None:
        more: dict[str, Any] = {"expected": expected}
        if note:
            more["note"] = note
        self._mark(mess, "cleansed", column, field, **more)

    def unmark(self, column: str) -> None:
        self.marks = [m for m in self.marks if m["column"] != column]

    def copy(self) -> Row:
        return Row(dict(self.values), self.person, [dict(m) for m in self.marks], parent=self.parent)


class Planter:
    """Chooses the rows that carry each mess, at random among those ``ok`` accepts. A mess that
    quarantines or flags the row (``fatal``) goes to a row without one yet, so each such row has
    exactly one reason."""

    def __init__(self, rng: random.Random, rows: list[Row]) -> None:
        self.rng, self.rows = rng, rows

    def choose(self, n: int, ok: Callable[[Row], bool] = lambda r: True, *, fatal: bool = False) -> list[Row]:
        pool = [r for r in self.rows if r.outcome != "quarantined" and ok(r)]
        if fatal:
            pool = [r for r in pool if r.outcome == "loaded"]
        if len(pool) < n:
            raise RuntimeError(f"only {len(pool)} rows can carry this mess, {n} wanted")
        return sorted(self.rng.sample(pool, n), key=self.rows.index)


def fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "0" <= c <= "9" or "A" <= c <= "Z" else c for c in s)


def write_date(d: dt.date, style: str) -> str:
    if style == "iso":
        return f"{d:%Y-%m-%d}"
    if style == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if style == "compact":
        return f"{d:%Y%m%d}"
    if style == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "dot":
        return f"{d.year}.{d.month}.{d.day}"
    if style == "dayfirst":
        return f"{d:%d/%m/%Y}"
    raise ValueError(style)


def wrong_check(id18: str) -> str:
    """The identity number with its check character replaced by another valid-looking one."""
    chars = "0123456789X"
    return id18[:17] + chars[(chars.index(id18[17]) + 3) % 11]


def assert_reason(kind: str, raw: str, reason: str, **kw: Any) -> None:
    """The generator's own sanity check: the planted value is rejected for the intended reason."""
    v = check(kind, raw, **kw)
    if v.reason != reason:
        raise AssertionError(f"{kind} {raw!r}: meant to fail with {reason}, the standard says {v.reason}")


# --------------------------------------------------------------------------------------------
# Writers


def csv_bytes(
    header: list[str],
    rows: Iterable[dict[str, Any]],
    *,
    encoding: str,
    delimiter: str = ",",
    above: Iterable[str] = (),
    newline: str = "\r\n",
) -> bytes:
    buf = io.StringIO()
    for line in above:
        buf.write(line + newline)
    w = csv.writer(buf, delimiter=delimiter, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    for r in rows:
        w.writerow(["" if r.get(h) is None else str(r[h]) for h in header])
    return buf.getvalue().encode(encoding)  # strict: a character the encoding lacks is an error


def number_rows(rows: list[Row], first_line: int, file: str) -> None:
    for i, r in enumerate(rows):
        r.line = first_line + i
        r.where = f"{file}:{r.line}"


def record(
    file: str,
    resource: str,
    mapping: str,
    mode: str,
    rows: list[Row],
    *,
    key_column: str,
    file_messes: list[str],
    changes: list[dict[str, Any]] | None = None,
    after: str | None = None,
) -> dict[str, Any]:
    """What ``planted.json`` says about one file: counts, and every row that carries a mess."""
    outcomes = Counter(r.outcome for r in rows)

    def reasons(kind: str) -> dict[str, int]:
        return dict(sorted(Counter(m["reason"] for r in rows for m in r.marks if m["kind"] == kind).items()))

    entry: dict[str, Any] = {
        "resource": resource,
        "mapping": mapping,
        "mode": mode,
        "file_messes": file_messes,
        "rows": len(rows),
        "loaded": outcomes["loaded"] + outcomes["flagged"],
        "quarantined": outcomes["quarantined"],
        "flagged": outcomes["flagged"],
        "quarantine_reasons": reasons("quarantined"),
        "flag_reasons": reasons("flagged"),
        "messes": dict(sorted(Counter(m for r in rows for m in dict.fromkeys(r.messes)).items())),
    }
    if changes is not None:
        lines = {r.person.id18: r.line for r in rows if r.person is not None}
        lines.update({r.values.get(key_column): r.line for r in rows})
        for c in changes:
            if c["change"] != "removed":
                c["line"] = lines.get(c["key"])
        entry["after"] = after
        entry["diff"] = {k: sum(c["change"] == k for c in changes) for k in ("added", "updated", "removed")}
        entry["changes"] = changes
    entry["planted"] = [
        {
            "line": r.line,
            "where": r.where,
            "key": r.values.get(key_column),
            "person_id": r.person.id18 if r.person is not None else None,
            "outcome": r.outcome,
            "marks": r.marks,
        }
        for r in rows
        if r.marks
    ]
    return entry


# --------------------------------------------------------------------------------------------
# 公安局 JC-GA-HJRK 户籍人口信息: GBK CSV with a title line


GA_HEADER = [
    "序号",
    "户号",
    "姓名",
    "性别",
    "民族",
    "身份证号",
    "出生日期",
    "婚姻状况",
    "户籍地址",
    "联系电话",
    "迁入日期",
]
MARITAL_NAMES = {"10": "未婚", "20": "已婚", "30": "丧偶", "40": "离婚"}
ETHNIC_NAMES = {"01": "汉族", "03": "回族", "05": "维吾尔族"}
SEX_NAMES = {"1": "男", "2": "女"}


def ga_row(p: Person) -> Row:
    hh = p.household
    assert hh is not None
    return Row(
        {
            "户号": hh.number,
            "姓名": p.name,
            "性别": SEX_NAMES[p.sex],
            "民族": ETHNIC_NAMES[p.ethnic],
            "身份证号": p.id18,
            "出生日期": write_date(p.birth, "iso"),
            "婚姻状况": MARITAL_NAMES[p.marital],
            "户籍地址": hh.address("full"),
            "联系电话": p.phone or "",
            "迁入日期": write_date(p.moved_in, "iso") if p.moved_in else "",
        },
        person=p,
    )


def plant_ga(rng: random.Random, rows: list[Row]) -> None:
    """The messes of the police export, each in rows chosen at random."""
    pl = Planter(rng, rows)
    ID, NAME, SEX, BIRTH, ADDR, TEL = "身份证号", "姓名", "性别", "出生日期", "户籍地址", "联系电话"

    def person(r: Row) -> Person:
        assert r.person is not None
        return r.person

    # -- quarantined: the key or a required value cannot be used -------------------------------
    for r in pl.choose(3, fatal=True):
        r.values[ID] = wrong_check(r.values[ID])
        assert_reason("idcard", r.values[ID], "idcard.check_mismatch")
        r.quarantine("id_check_mismatch", ID, "id_number", "idcard.check_mismatch")
    for r in pl.choose(1, lambda r: person(r).birth.month != 2, fatal=True):
        v = r.values[ID]
        r.values[ID] = v[:10] + "0230" + v[14:]  # 30 February
        assert_reason("idcard", r.values[ID], "idcard.bad_date")
        r.quarantine("id_bad_date", ID, "id_number", "idcard.bad_date")
    for r in pl.choose(1, fatal=True):
        r.values[ID] = r.values[ID][:17]  # the last character lost
        assert_reason("idcard", r.values[ID], "idcard.bad_length")
        r.quarantine("id_bad_length", ID, "id_number", "idcard.bad_length")
    for r in pl.choose(1, fatal=True):
        r.values[ID] = "无"
        r.quarantine("id_missing", ID, "id_number", REQUIRED_MISSING)
    for r in pl.choose(1, fatal=True):
        r.values[NAME] = "不详"
        r.quarantine("name_missing", NAME, "name", REQUIRED_MISSING)
    for r in pl.choose(1, lambda r: len(person(r).name) == 2, fatal=True):
        n = r.values[NAME]
        r.values[NAME] = n[0] + "3" + n[1]  # a stray digit
        assert_reason("name", r.values[NAME], "name.digits")
        r.quarantine("name_digits", NAME, "name", "name.digits")
    for r in pl.choose(1, fatal=True):
        r.values[SEX] = "X"
        r.quarantine("sex_unknown_code", SEX, "sex", UNMAPPED)

    # -- flagged: a value that is not required is wrong; the row is kept ----------------------
    for r in pl.choose(1, lambda r: r.free(BIRTH), fatal=True):
        r.values[BIRTH] = f"{person(r).birth.year}-02-30"
        assert_reason("date", r.values[BIRTH], "date.bad_day")
        r.flag("date_invalid", BIRTH, "birth_date", "date.bad_day")
    for r in pl.choose(1, lambda r: r.values[TEL].startswith("0356-"), fatal=True):
        r.values[TEL] = r.values[TEL][5:]  # no area code
        assert_reason("phone", r.values[TEL], "phone.missing_area_code")
        r.flag("phone_invalid", TEL, "phone", "phone.missing_area_code")

    # -- cleansed: written wrongly but unambiguously -------------------------------------------
    for r in pl.choose(3, lambda r: r.free(ID) and r.values[ID].endswith("X")):
        r.values[ID] = r.values[ID][:17] + "x"
        r.clean("id_lowercase_x", ID, "id_number", person(r).id18, "idcard.lowercase_x")
    for r in pl.choose(2, lambda r: r.free(ID)):
        r.values[ID] = fullwidth(r.values[ID])
        r.clean("id_fullwidth", ID, "id_number", person(r).id18, "idcard.fullwidth")
    for i, r in enumerate(pl.choose(2, lambda r: r.free(ID))):
        v = r.values[ID]
        r.values[ID] = f"{v[:6]} {v[6:14]} {v[14:]}" if i == 0 else f" {v}\u3000"
        r.clean("id_whitespace", ID, "id_number", person(r).id18, "idcard.whitespace")
    for r in pl.choose(2, lambda r: r.free(ID) and person(r).birth.year < 1980):
        r.values[ID] = person(r).id15
        r.clean("id_15", ID, "id_number", person(r).id18, "idcard.upgraded_15")
    for r in rows:  # numbers issued by a county since retired: valid, with a note
        if r.person is not None and r.person.id18[:6] in RETIRED_FOR.values() and r.outcome != "quarantined":
            r.clean("id_retired_region", ID, "id_number", r.person.id18, "idcard.region_retired")

    dots = iter(("．", ".", "·", "．", ".", "·"))
    for r in rows:
        if r.person is not None and "·" in r.person.name and r.free(NAME):
            dot = next(dots)
            r.values[NAME] = r.person.name.replace("·", dot)
            r.clean(
                "name_middle_dot", NAME, "name", r.person.name, None if dot == "·" else "name.dot_normalized"
            )
    for i, r in enumerate(pl.choose(3, lambda r: r.free(NAME) and len(person(r).name) in (2, 3))):
        n = r.values[NAME]
        r.values[NAME] = (f"{n[0]} {n[1:]}", f" {n} ", f"{n[0]}\u3000{n[1:]}")[i]
        r.clean("name_spaces", NAME, "name", n)

    for raw, code in (("1", "1"), ("2", "2"), ("1", "1"), ("2", "2"), ("M", "1"), ("F", "2"), ("M", "1")):
        for r in pl.choose(1, lambda r, code=code: r.free(SEX) and person(r).sex == code):
            r.values[SEX] = raw
            r.clean("sex_code_variant", SEX, "sex", code)
    for r in pl.choose(1, lambda r: r.free(SEX)):
        r.values[SEX] = "未知"
        r.clean("sex_code_variant", SEX, "sex", "0")
    for raw in ("汉", "汉", "汉", "汉", "01", "01"):
        for r in pl.choose(1, lambda r: r.free("民族") and person(r).ethnic == "01"):
            r.values["民族"] = raw
            r.clean("ethnic_variant", "民族", "ethnic", "01")
    for raw, code in (("10", "10"), ("20", "20"), ("2", "20"), ("2", "20"), ("离异", "40")):
        for r in pl.choose(1, lambda r, code=code: r.free("婚姻状况") and person(r).marital == code):
            r.values["婚姻状况"] = raw
            r.clean("marital_variant", "婚姻状况", "marital", code)

    # dates of birth in every format clerks write; two in full-width digits
    for style, n in (("slash", 30), ("compact", 20), ("zh", 20), ("dot", 6)):
        for r in pl.choose(n, lambda r: r.free(BIRTH)):
            r.values[BIRTH] = write_date(person(r).birth, style)
            r.clean(f"date_format_{style}", BIRTH, "birth_date", person(r).birth.isoformat())
    for r in pl.choose(2, lambda r: r.free(BIRTH)):
        r.values[BIRTH] = fullwidth(r.values[BIRTH])
        r.clean("date_fullwidth", BIRTH, "birth_date", person(r).birth.isoformat())

    # addresses: the canonical form has province and city; many are written without them
    def full(r: Row) -> str:
        hh = person(r).household
        assert hh is not None
        return hh.address("full")

    for style, n in (("city", 50), ("county", 45), ("town", 20)):
        for r in pl.choose(n, lambda r: r.free(ADDR)):
            hh = person(r).household
            assert hh is not None
            r.values[ADDR] = hh.address(style)
            r.clean(f"address_{style}", ADDR, "address", full(r))
    for r in pl.choose(2, lambda r: r.free(ADDR)):
        r.values[ADDR] = fullwidth(r.values[ADDR])
        r.clean("address_fullwidth", ADDR, "address", full(r))

    # phones
    for prefix, r in zip(
        ("+86 ", "+86-", "86"), pl.choose(3, lambda r: r.free(TEL) and r.values[TEL][:1] == "1"), strict=True
    ):
        p = r.values[TEL]
        r.values[TEL] = prefix + p
        r.clean("phone_country_code", TEL, "phone", p, "phone.country_code_removed")
    for r in pl.choose(3, lambda r: r.free(TEL) and r.values[TEL][:1] == "1"):
        p = r.values[TEL]
        r.values[TEL] = f"{p[:3]} {p[3:7]} {p[7:]}"
        r.clean("phone_spaces", TEL, "phone", p)
    for i, r in enumerate(pl.choose(3, lambda r: r.free(TEL) and r.values[TEL].startswith("0356-"))):
        p = r.values[TEL]
        r.values[TEL] = (f"0356 {p[5:]}", f"(0356){p[5:]}", f"0356{p[5:]}")[i]
        r.clean("phone_landline", TEL, "phone", p)
    for placeholder in ("无", "不详", "/", "—", "NULL", "0"):
        for r in pl.choose(1, lambda r: r.free(TEL)):
            r.values[TEL] = placeholder
            r.clean("placeholder", TEL, "phone", None)
    for placeholder in ("无", "—", "不详", "/"):
        for r in pl.choose(1, lambda r: r.values["迁入日期"] == ""):
            r.values["迁入日期"] = placeholder
            r.clean("placeholder", "迁入日期", "moved_in_date", None)
    for r in pl.choose(2, lambda r: r.free("户号")):
        r.values["户号"] = r.values["户号"] + " "
        r.clean("stray_spaces", "户号", "household_no", r.values["户号"].strip())


def ga_files(city: City, out: dict[str, bytes], planted: dict[str, Any]) -> None:
    rng = city.rng
    ID = "身份证号"
    rows = [ga_row(p) for p in city.people()]
    plant_ga(rng, rows)
    file1 = "ga_hjrk_2024-03.csv"
    for i, r in enumerate(rows, 1):
        r.values["序号"] = i
    number_rows(rows, 3, file1)
    out[file1] = csv_bytes(
        GA_HEADER,
        (r.values for r in rows),
        encoding="gbk",
        above=["晋城市公安局户籍人口信息（截至2024年3月31日）"],
    )
    planted[file1] = record(
        file1,
        "JC-GA-HJRK",
        "mappings/JC-GA-HJRK.yaml",
        "full",
        rows,
        key_column=ID,
        file_messes=["gbk_encoding", "title_line"],
    )

    # -- the next month: two deaths, two moved away, three grown children registered in
    # households of their own (new 户号 and address), five new phones, three births, two people
    # moving in. Every other row is written exactly as before.
    plain = [r for r in rows if r.person is not None and r.outcome == "loaded"]
    died = rng.sample([r for r in plain if person_of(r).age() >= 75], 2)
    left = rng.sample([r for r in plain if r not in died], 2)
    rest = [r for r in plain if r not in died and r not in left]
    split = rng.sample([r for r in rest if person_of(r).relation == "子女" and person_of(r).age() >= 22], 3)
    rest = [r for r in rest if r not in split]
    rephoned = rng.sample([r for r in rest if r.values["联系电话"][:1] == "1" and r.free("联系电话")], 5)
    v2: list[Row] = []
    changes: list[dict[str, Any]] = []
    n_new = 900
    for r in rows:
        p = r.person
        if r in died or r in left:
            assert p is not None
            changes.append({"change": "removed", "key": p.id18, "why": "死亡注销" if r in died else "迁出"})
            continue
        nr = r.copy()
        if r in split:
            assert p is not None and p.household is not None
            n_new += 1
            hh = city.household(n_new, county=p.household.county)
            hh.members.clear()
            nr.values["户号"], nr.values["户籍地址"] = hh.number, hh.address("full")
            nr.unmark("户号")
            nr.unmark("户籍地址")
            changes.append(
                {"change": "updated", "key": p.id18, "why": "分户", "fields": ["household_no", "address"]}
            )
        if r in rephoned:
            assert p is not None
            nr.values["联系电话"] = city.mobile()
            nr.unmark("联系电话")
            changes.append({"change": "updated", "key": p.id18, "why": "更换电话", "fields": ["phone"]})
        v2.append(nr)
    young = [
        hh for hh in city.households if any(p.relation == "本人" and p.birth.year >= 1985 for p in hh.members)
    ]
    for hh in sorted(rng.sample(young, 3), key=city.households.index):
        head = next(p for p in hh.members if p.relation == "本人")
        b = dt.date(2024, 3, rng.randrange(1, 29))
        p = city.person(
            hh, sex=city.pick("12"), birth=b, relation="子女", surname=head.name[0], region=hh.county
        )
        p.moved_in = p.phone = None
        v2.append(ga_row(p))
        changes.append({"change": "added", "key": p.id18, "why": "出生登记"})
    while True:
        n_new += 1
        hh = city.household(n_new)
        if len(hh.members) >= 2:
            break
    del hh.members[2:]
    for p in hh.members:
        p.moved_in = dt.date(2024, 4, rng.randrange(1, 20))
        v2.append(ga_row(p))
        changes.append({"change": "added", "key": p.id18, "why": "迁入"})
    for i, r in enumerate(v2, 1):
        r.values["序号"] = i
    file2 = "ga_hjrk_2024-04.csv"
    number_rows(v2, 3, file2)
    out[file2] = csv_bytes(
        GA_HEADER,
        (r.values for r in v2),
        encoding="gbk",
        above=["晋城市公安局户籍人口信息（截至2024年4月30日）"],
    )
    planted[file2] = record(
        file2,
        "JC-GA-HJRK",
        "mappings/JC-GA-HJRK.yaml",
        "full",
        v2,
        key_column=ID,
        file_messes=["gbk_encoding", "title_line"],
        changes=changes,
        after=file1,
    )

    # -- corrections (upsert): the wrong check characters and the unknown sex code put right, a
    # phone and a marital status changed, and one correction that is itself mistyped
    corr: list[Row] = []
    changes = []
    for r in v2:
        if {"id_check_mismatch", "sex_unknown_code"} & set(r.messes):
            p = person_of(r)
            nr = r.copy()
            nr.values[ID], nr.values["性别"] = p.id18, SEX_NAMES[p.sex]
            nr.unmark(ID)
            nr.unmark("性别")
            corr.append(nr)
            changes.append({"change": "added", "key": p.id18, "why": "更正后补录"})
    touched = {c["key"] for c in planted[file2]["changes"]}
    candidates = [
        r
        for r in v2
        if r.outcome == "loaded"
        and r.person is not None
        and r.person.id18 not in touched
        and r.free(ID)
        and r.free("联系电话")
        and r.free("婚姻状况")
        and r.values["联系电话"][:1] == "1"
    ]
    for r, what in zip(rng.sample(candidates, 2), ("phone", "marital"), strict=True):
        p = person_of(r)
        nr = r.copy()
        if what == "phone":
            nr.values["联系电话"] = city.mobile()
        else:
            nr.values["婚姻状况"] = "离婚" if p.marital == "20" else "已婚"
        corr.append(nr)
        changes.append({"change": "updated", "key": p.id18, "why": "信息变更", "fields": [what]})
    for r in v2:
        if "id_bad_date" in r.messes:
            p = person_of(r)
            nr = r.copy()
            nr.unmark(ID)
            nr.values[ID] = wrong_check(p.id18)  # the date put right, the check character now wrong
            nr.quarantine("id_check_mismatch", ID, "id_number", "idcard.check_mismatch")
            corr.append(nr)
    for i, r in enumerate(corr, 1):
        r.values["序号"] = i
    file3 = "ga_hjrk_corrections_2024-04.csv"
    number_rows(corr, 2, file3)
    out[file3] = csv_bytes(GA_HEADER, (r.values for r in corr), encoding="gbk")
    planted[file3] = record(
        file3,
        "JC-GA-HJRK",
        "mappings/JC-GA-HJRK.yaml",
        "upsert",
        corr,
        key_column=ID,
        file_messes=["gbk_encoding"],
        changes=changes,
        after=file2,
    )


def person_of(r: Row) -> Person:
    assert r.person is not None
    return r.person


# --------------------------------------------------------------------------------------------
# 卫健委 JC-WJ-JKDA 居民健康档案: tab-separated UTF-8 with BOM, Traditional characters


WJ_HEADER = [
    "檔案編號",
    "姓名",
    "性別",
    "身份證號",
    "出生日期",
    "聯繫電話",
    "現住址",
    "建檔日期",
    "慢性病",
    "責任醫生",
    "簽約機構",
]
DOCTORS = ("张建华", "李秀英", "王志刚", "陈丽", "刘国强", "赵敏", "郭红梅", "牛志明")


@functools.cache
def _s2t() -> Any:
    import opencc

    return opencc.OpenCC("s2t")


def s2t(text: str) -> str:
    return str(_s2t().convert(text))


def wj_file(city: City, out: dict[str, bytes], planted: dict[str, Any]) -> None:
    rng = city.rng
    ID, NAME = "身份證號", "姓名"
    people = [p for p in city.people() if p.birth < dt.date(2023, 1, 1)]
    chosen = sorted(rng.sample(people, 120), key=people.index)
    rows: list[Row] = []
    for n, p in enumerate(chosen, 1):
        hh = p.household
        assert hh is not None
        created = max(
            dt.date(2009, 1, 1) + dt.timedelta(days=rng.randrange(5200)), p.birth + dt.timedelta(days=30)
        )
        street = hh.town.endswith("街道")
        inst = f"{hh.county_name}{hh.town.removesuffix('街道')}{'社区卫生服务中心' if street else '卫生院'}"
        chronic = rng.choice(("", "", "高血压", "糖尿病", "高血压;糖尿病", "冠心病")) if p.age() >= 45 else ""
        birth_style = rng.choice(("dayfirst", "dayfirst", "iso", "zh", "compact"))
        created_style = rng.choice(("dayfirst",) * 4 + ("iso",))
        name = s2t(p.name)
        if check("name", name).normalized != p.name:  # 宁 -> 甯 is another surname, not a variant
            name = p.name
        r = Row(
            {
                "檔案編號": f"{hh.county}{created:%Y}{n:05d}",
                NAME: name,
                "性別": SEX_NAMES[p.sex],
                ID: p.id18,
                "出生日期": write_date(p.birth, birth_style),
                "聯繫電話": p.phone or rng.choice(("无", "不详", "")),
                "現住址": s2t(hh.address(rng.choice(("full", "city", "county")))),
                "建檔日期": write_date(created, created_style),
                "慢性病": s2t(chronic),
                "責任醫生": s2t(rng.choice(DOCTORS)),
                "簽約機構": s2t(inst),
            },
            person=p,
        )
        if r.values[NAME] != p.name:
            r.clean("traditional", NAME, "name", p.name, "name.traditional")
        r.clean("traditional_address", "現住址", "address", hh.address("full"))
        for col, fld, d, style in (
            ("出生日期", "birth_date", p.birth, birth_style),
            ("建檔日期", "created_date", created, created_style),
        ):
            if style == "dayfirst":
                ambiguous = d.day <= 12 and d.day != d.month  # 05/03 would read 3 May month first
                r.clean("date_dayfirst_ambiguous" if ambiguous else "date_dayfirst", col, fld, d.isoformat())
            elif style != "iso":
                r.clean(f"date_format_{style}", col, fld, d.isoformat())
        if r.values["聯繫電話"] in ("无", "不详"):
            r.clean("placeholder", "聯繫電話", "phone", None)
        rows.append(r)
    pl = Planter(rng, rows)
    for r in pl.choose(2, lambda r: person_of(r).birth.year >= 1985, fatal=True):
        r.values[ID] = wrong_check(r.values[ID])
        assert_reason("idcard", r.values[ID], "idcard.check_mismatch")
        r.quarantine("id_check_mismatch", ID, "id_number", "idcard.check_mismatch")
    for r in pl.choose(1, lambda r: person_of(r).birth.year < 1980, fatal=True):
        r.values[ID] = person_of(r).id15[:14]  # a 15-digit number with a digit lost
        assert_reason("idcard", r.values[ID], "idcard.bad_length")
        r.quarantine("id_bad_length", ID, "id_number", "idcard.bad_length")
    for r in pl.choose(1, fatal=True):
        r.values[ID] = "不详"
        r.quarantine("id_missing", ID, "id_number", REQUIRED_MISSING)
    for r in pl.choose(1, lambda r: r.values["建檔日期"][2:3] == "/", fatal=True):
        r.unmark("建檔日期")
        r.values["建檔日期"] = "31/02/" + r.values["建檔日期"][6:]
        assert_reason("date", r.values["建檔日期"], "date.bad_day", variant="dayfirst")
        r.flag("date_invalid", "建檔日期", "created_date", "date.bad_day")
    # the old system kept the 15-digit numbers of people registered before 1999
    for r in rows:
        p = person_of(r)
        if r.free(ID) and p.birth.year < 1982 and rng.random() < 0.75:
            r.values[ID] = p.id15
            r.clean("id_15", ID, "id_number", p.id18, "idcard.upgraded_15")
        if r.outcome != "quarantined" and p.id18[:6] in RETIRED_FOR.values():
            r.clean("id_retired_region", ID, "id_number", p.id18, "idcard.region_retired")
    # invisible characters pasted along with names and numbers
    for i, r in enumerate(pl.choose(3, lambda r: r.free(ID) and len(person_of(r).name) <= 3)):
        if i < 2:
            n = r.values[NAME]
            r.values[NAME] = (n[0] + "\u200b" + n[1:]) if i == 0 else (n + "\u00a0")
            r.unmark(NAME)
            r.clean("invisible_chars", NAME, "name", person_of(r).name)
        else:
            r.values[ID] = r.values[ID] + "\u200b"
            r.clean("invisible_chars", ID, "id_number", person_of(r).id18, "idcard.whitespace")
    file = "wj_jkda.csv"
    number_rows(rows, 2, file)
    out[file] = b"\xef\xbb\xbf" + csv_bytes(
        WJ_HEADER, (r.values for r in rows), encoding="utf-8", delimiter="\t", newline="\n"
    )
    planted[file] = record(
        file,
        "JC-WJ-JKDA",
        "mappings/JC-WJ-JKDA.yaml",
        "full",
        rows,
        key_column="檔案編號",
        file_messes=["utf8_bom", "tab_delimited", "traditional"],
    )


# --------------------------------------------------------------------------------------------
# 民政局 JC-MZ-DBDX 城乡低保对象: JSON, households with their members nested


#: 与户主关系 as the civil-affairs system writes it in some households: GB/T 4761 codes
RELATION_CODES = {"本人": "02", "配偶": "10", "子女": "20", "父母": "50"}


def mz_file(city: City, out: dict[str, bytes], planted: dict[str, Any]) -> None:
    rng = city.rng
    ID, NAME = "身份证号", "姓名"
    eligible = [hh for hh in city.households if len(hh.members) >= 2]
    chosen = sorted(rng.sample(eligible, 24), key=city.households.index)
    households: list[dict[str, Any]] = []
    rows: list[Row] = []
    for n, hh in enumerate(chosen, 1):
        head = next(p for p in hh.members if p.relation == "本人")
        urban = hh.town.endswith("街道") or hh.county == "140502"
        coded = n % 3 == 0
        per_head = rng.randrange(380, 560) if urban else rng.randrange(260, 420)
        amount = float(len(hh.members) * per_head)
        kind = (
            rng.choice(("城市低保", "城市低保", "城镇低保"))
            if urban
            else rng.choice(("农村低保", "农村低保", "农村"))
        )
        style = rng.choice(("county", "town", "city"))
        h: dict[str, Any] = {
            "户编号": f"DB{hh.county}{n:04d}",
            "户主": {"姓名": head.name, "身份证号": head.id18},
            "保障类型": kind,
            "保障人数": len(hh.members),
            "保障金额": amount if n % 4 else f"{amount:.2f}",  # some exports write numbers as text
            "发放月份": "2024-03",
            "住址": hh.address(style),
            "联系电话": head.phone or "",
            "members": [],
        }
        for i, p in enumerate(hh.members):
            m = {
                NAME: p.name,
                ID: p.id18,
                "性别": SEX_NAMES[p.sex],
                "与户主关系": RELATION_CODES[p.relation] if coded else p.relation,
            }
            h["members"].append(m)
            r = Row(m, person=p, parent=h, line=len(rows) + 1, where=f"households[{n - 1}].members[{i}]")
            if coded:
                r.clean("relation_code", "与户主关系", "relation", p.relation)
            if kind in ("城镇低保", "农村"):
                r.clean(
                    "assistance_type_variant",
                    "households.保障类型",
                    "assistance_type",
                    "城市低保" if kind == "城镇低保" else "农村低保",
                )
            if isinstance(h["保障金额"], str):
                r.clean("number_as_text", "households.保障金额", "amount", amount)
            r.clean(f"address_{style}", "households.住址", "address", hh.address("full"))
            rows.append(r)
        households.append(h)
    pl = Planter(rng, rows)
    for r in pl.choose(1, lambda r: person_of(r).relation == "子女", fatal=True):
        r.values[ID] = "无"
        r.quarantine("id_missing", ID, "id_number", REQUIRED_MISSING)
    for r in pl.choose(1, lambda r: person_of(r).relation != "本人", fatal=True):
        r.values[ID] = wrong_check(r.values[ID])
        assert_reason("idcard", r.values[ID], "idcard.check_mismatch")
        r.quarantine("id_check_mismatch", ID, "id_number", "idcard.check_mismatch")
    for r in pl.choose(2, lambda r: person_of(r).relation == "本人" and person_of(r).id18.endswith("X")):
        assert r.parent is not None
        r.values[ID] = r.parent["户主"][ID] = r.values[ID][:17] + "x"
        r.clean("id_lowercase_x", ID, "id_number", person_of(r).id18, "idcard.lowercase_x")
        for x in rows:
            if x.parent is r.parent:
                x.clean(
                    "id_lowercase_x",
                    "households.户主.身份证号",
                    "head_id_number",
                    person_of(r).id18,
                    "idcard.lowercase_x",
                )
    for r in rows:
        if "·" in person_of(r).name:
            r.values[NAME] = person_of(r).name.replace("·", "•")  # a bullet for the middle dot
            r.clean("name_middle_dot", NAME, "name", person_of(r).name, "name.dot_normalized")
    for r in pl.choose(2, lambda r: r.free(NAME) and len(person_of(r).name) == 3):
        r.values[NAME] = r.values[NAME][0] + " " + r.values[NAME][1:]
        r.clean("name_spaces", NAME, "name", person_of(r).name)
    heads = [
        r
        for r in rows
        if person_of(r).relation == "本人" and r.parent is not None and r.parent["联系电话"][:1] == "1"
    ]
    for i, r in enumerate(pl.choose(3, lambda r: r in heads)):
        h = r.parent
        assert h is not None
        p = h["联系电话"]
        h["联系电话"] = f"+86 {p[:3]} {p[3:7]} {p[7:]}" if i < 2 else "不详"
        for x in rows:
            if x.parent is h:
                if i < 2:
                    x.clean(
                        "phone_country_code", "households.联系电话", "phone", p, "phone.country_code_removed"
                    )
                else:
                    x.clean("placeholder", "households.联系电话", "phone", None)
    doc = {
        "来源": "晋城市民政局社会救助信息系统",
        "导出时间": "2024-03-31 18:00:00",
        "发放批次": "2024年3月",
        "households": households,
    }
    file = "mz_dbdx_2024-03.json"
    out[file] = (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    planted[file] = record(
        file,
        "JC-MZ-DBDX",
        "mappings/JC-MZ-DBDX.yaml",
        "full",
        rows,
        key_column=ID,
        file_messes=["nested_json"],
    )


# --------------------------------------------------------------------------------------------
# 市场监管局 JC-SJ-QYDJ 企业登记信息: .xlsx with merged header cells; a legacy .xls

CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
TRADE_NAMES = (
    "凤鸣",
    "泽润",
    "丹河",
    "珏山",
    "析城",
    "长平",
    "沁河",
    "鸿达",
    "金辰",
    "华翔",
    "晋韵",
    "太岳",
    "润达",
    "聚源",
    "瑞丰",
    "恒通",
    "宏远",
    "福泰",
    "兴旺",
    "康宁",
)
INDUSTRIES = (
    "煤业",
    "建材",
    "农业科技",
    "商贸",
    "物流",
    "餐饮管理",
    "机械制造",
    "光电科技",
    "文化传媒",
    "新能源",
)
SHOPS = ("小吃店", "五金店", "便利店", "理发店", "汽车修理部", "农资经营部")
STATUSES = ("存续",) * 12 + ("在业",) * 3 + ("开业",) + ("吊销",) * 2 + ("注销",) * 2 + ("迁出",)
#: the bureau's statuses -> the catalog's values
STATUS_MAP = {"存续": "存续", "在业": "存续", "开业": "存续", "吊销": "吊销", "注销": "注销", "迁出": "迁出"}
SJ_COLUMNS = [
    "统一社会信用代码",
    "企业名称",
    "法定代表人-姓名",
    "法定代表人-身份证号",
    "成立日期",
    "注册资本（万元）",
    "经营状态",
    "住所",
    "登记机关",
]


@dataclass(eq=False)
class Enterprise:
    uscc: str
    name: str
    rep: Person
    established: dt.date
    capital: float | None
    status: str
    address: str  # canonical
    address_written: str
    authority: str


def new_uscc(rng: random.Random, kind: str, region: str) -> str:
    """A credit code: authority and type (91 企业, 92 个体工商户, 93 农民专业合作社), the
    registering division, an organisation code with its GB 11714 check, the GB 32100 check."""
    body = "MA0" + "".join(rng.choice(CODE_ALPHABET) for _ in range(5))
    first17 = kind + region + body + orgcode_check_char(body)
    return first17 + uscc_check_char(first17)


def enterprise(city: City, adults: list[Person], region: str, used: set[str]) -> Enterprise:
    rng = city.rng
    kind = rng.choice(("91",) * 7 + ("92",) * 2 + ("93",))
    county = region if region != CITY else city.pick([c for c, _ in COUNTIES])
    cname = county_name(county)
    trade = city.pick(TRADE_NAMES)
    capital: float | None
    if kind == "91":
        name = f"{'晋城市' if region == CITY else cname}{trade}{city.pick(INDUSTRIES)}有限公司"
        capital = float(rng.choice((10, 30, 50, 100, 200, 500, 1000, 3000, 5000)))
    elif kind == "92":
        name, capital = f"{cname}{trade}{city.pick(SHOPS)}", None
    else:
        name = f"{cname}{city.pick(VILLAGES)[:-1]}{trade}种植专业合作社"
        capital = float(rng.choice((50, 80, 100, 200)))
    while name in used:
        name = name.replace("有限公司", "实业有限公司", 1) if name.endswith("有限公司") else name + "二部"
    used.add(name)
    site = city.household(0, county=county)  # an address in the county
    site.members.clear()
    return Enterprise(
        uscc=new_uscc(rng, kind, region),
        name=name,
        rep=city.pick(adults),
        established=dt.date(1998, 1, 1) + dt.timedelta(days=rng.randrange(9500)),
        capital=capital,
        status=city.pick(STATUSES),
        address=site.address("full"),
        address_written=site.address(rng.choice(("full", "city", "county", "county"))),
        authority=f"{'晋城市' if region == CITY else cname}市场监督管理局",
    )


def excel_serial(d: dt.date) -> int:
    return (d - dt.date(1899, 12, 30)).days


def reproducible_zip(data: bytes) -> bytes:
    """The zip (xlsx) rewritten with fixed entry times, so the same content gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FILE_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the time of saving
                stamp = f"{FILE_TIME:%Y-%m-%dT%H:%M:%S}Z".encode()
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, body)
            if info.filename == "docProps/app.xml":  # and its own version
                body = re.sub(rb"(<Application>[^<]*?Openpyxl)[^<]*", rb"\g<1>", body)
                body = re.sub(rb"(<AppVersion>)[^<]*", rb"\g<1>3.1", body)
            dst.writestr(fixed, body)
    return buf.getvalue()


def sj_files(city: City, out: dict[str, bytes], planted: dict[str, Any]) -> None:
    rng = city.rng
    C, EST, CAP, NAME = "统一社会信用代码", "成立日期", "注册资本（万元）", "企业名称"
    adults = [p for p in city.people() if 25 <= p.age() <= 70]
    used: set[str] = set()
    regions = [CITY] * 3 + [c for c, _ in COUNTIES if c != "140581"]
    rows: list[Row] = []
    for _ in range(60):
        e = enterprise(city, adults, city.pick(regions), used)
        style = rng.choice(("date",) * 7 + ("zh", "zh", "dot"))
        r = Row(
            {
                C: e.uscc,
                NAME: e.name,
                "法定代表人-姓名": e.rep.name,
                "法定代表人-身份证号": e.rep.id18,
                EST: e.established if style == "date" else write_date(e.established, style),
                CAP: e.capital,
                "经营状态": e.status,
                "住所": e.address_written,
                "登记机关": e.authority,
            },
            person=e.rep,
        )
        if style != "date":
            r.clean(f"date_format_{style}", EST, "established", e.established.isoformat())
        if e.status != STATUS_MAP[e.status]:
            r.clean("status_code_variant", "经营状态", "status", STATUS_MAP[e.status])
        if e.address_written != e.address:
            r.clean("address_without_prefix", "住所", "address", e.address)
        rows.append(r)
    pl = Planter(rng, rows)
    for r in pl.choose(1, fatal=True):
        v = r.values[C]
        r.values[C] = v[:17] + CODE_ALPHABET[(CODE_ALPHABET.index(v[17]) + 5) % 31]
        assert_reason("uscc", r.values[C], "uscc.check_mismatch")
        r.quarantine("uscc_check_mismatch", C, "uscc", "uscc.check_mismatch")
    for r in pl.choose(1, lambda r: "0" in r.values[C][8:17], fatal=True):
        v = r.values[C]
        r.values[C] = v[:8] + v[8:17].replace("0", "O") + v[17]  # letter O for zero
        assert_reason("uscc", r.values[C], "uscc.bad_chars")
        r.quarantine("uscc_letter_o", C, "uscc", "uscc.bad_chars")
    for r in pl.choose(1, lambda r: r.free("法定代表人-身份证号"), fatal=True):
        r.values["法定代表人-身份证号"] = wrong_check(r.values["法定代表人-身份证号"])
        r.flag("id_check_mismatch", "法定代表人-身份证号", "legal_rep_id", "idcard.check_mismatch")
    for r in pl.choose(1, lambda r: r.free("经营状态"), fatal=True):
        r.values["经营状态"] = "待核实"
        r.flag("status_unknown_code", "经营状态", "status", UNMAPPED)
    for i, r in enumerate(pl.choose(2, lambda r: r.free(C))):
        v = r.values[C]
        r.values[C] = v.lower() if i == 0 else f" {v[:8]} {v[8:]} "
        r.clean(
            "uscc_lowercase" if i == 0 else "uscc_whitespace",
            C,
            "uscc",
            v,
            "uscc.lowercase" if i == 0 else "uscc.whitespace",
        )
    for r in pl.choose(2, lambda r: isinstance(r.values[EST], dt.date)):
        d = r.values[EST]
        r.values[EST] = excel_serial(d)  # a date cell that lost its format: the serial number
        r.clean("excel_serial_date", EST, "established", d.isoformat(), "date.excel_serial")
    for i, r in enumerate(pl.choose(2, lambda r: r.values[NAME].endswith("有限公司"))):
        n = r.values[NAME]
        r.values[NAME] = f" {n}  " if i == 0 else f"{n}　"
        r.clean("stray_spaces", NAME, "name", n)
    for r in pl.choose(3, lambda r: r.values[CAP] is not None):
        c = r.values[CAP]
        r.values[CAP] = f"{c:g}"  # typed in as text
        r.clean("number_as_text", CAP, "capital", c)
    file = "sj_qydj.xlsx"
    out[file] = sj_xlsx(rows)
    planted[file] = record(
        file,
        "JC-SJ-QYDJ",
        "mappings/JC-SJ-QYDJ.yaml",
        "full",
        rows,
        key_column=C,
        file_messes=["title_line", "merged_header_cells", "footer_row"],
    )

    # -- the 高平 county bureau's older system: one header row, dates as text, an .xls
    gp: list[Row] = []
    for _ in range(12):
        e = enterprise(city, adults, "140581", used)
        r = Row(
            {
                C: e.uscc,
                NAME: e.name,
                "法定代表人": e.rep.name,
                "法定代表人身份证号": e.rep.id18,
                EST: f"{e.established.year}-{e.established.month}-{e.established.day}",
                "注册资本(万元)": e.capital,
                "经营状态": e.status,
                "住所": e.address_written,
                "登记机关": e.authority,
            },
            person=e.rep,
        )
        if e.status != STATUS_MAP[e.status]:
            r.clean("status_code_variant", "经营状态", "status", STATUS_MAP[e.status])
        if e.address_written != e.address:
            r.clean("address_without_prefix", "住所", "address", e.address)
        gp.append(r)
    for r in Planter(rng, gp).choose(1, fatal=True):
        r.values[C] = r.values[C][:17]
        assert_reason("uscc", r.values[C], "uscc.bad_length")
        r.quarantine("uscc_bad_length", C, "uscc", "uscc.bad_length")
    file2 = "sj_qydj_gaoping.xls"
    out[file2] = sj_xls(gp)
    planted[file2] = record(
        file2,
        "JC-SJ-QYDJ",
        "mappings/JC-SJ-QYDJ-gaoping.yaml",
        "append",
        gp,
        key_column=C,
        file_messes=["legacy_xls"],
        changes=[{"change": "added", "key": r.values[C]} for r in gp if r.outcome != "quarantined"],
        after=file,
    )


def sj_xlsx(rows: list[Row]) -> bytes:
    """Title merged over the table, a two-row header (法定代表人 over 姓名 and 身份证号, the other
    headings merged down both rows), the data, a total line."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "企业登记信息"
    ws.append(["晋城市市场主体登记信息（截至2024年3月31日）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=9)
    ws.append(
        [
            "统一社会信用代码",
            "企业名称",
            "法定代表人",
            None,
            "成立日期",
            "注册资本（万元）",
            "经营状态",
            "住所",
            "登记机关",
        ]
    )
    ws.append([None, None, "姓名", "身份证号", None, None, None, None, None])
    for col in (1, 2, 5, 6, 7, 8, 9):
        ws.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)
    ws.merge_cells(start_row=2, start_column=3, end_row=2, end_column=4)
    ws["A1"].font = Font(bold=True, size=14)
    for row in ws.iter_rows(min_row=2, max_row=3):
        for cell in row:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center")
    for i, r in enumerate(rows):
        ws.append([r.values[c] for c in SJ_COLUMNS])
        if isinstance(r.values["成立日期"], dt.date):
            ws.cell(row=4 + i, column=5).number_format = "yyyy-mm-dd"
        r.line = 4 + i
        r.where = f"sj_qydj.xlsx 第{r.line}行"
    ws.append([f"合计：{len(rows)}户"])
    ws.merge_cells(start_row=4 + len(rows), start_column=1, end_row=4 + len(rows), end_column=9)
    for letter, width in zip("ABCDEFGHI", (24, 36, 10, 22, 12, 14, 10, 48, 26), strict=True):
        ws.column_dimensions[letter].width = width
    wb.properties.creator = wb.properties.lastModifiedBy = "晋城市市场监督管理局"
    wb.properties.created = wb.properties.modified = FILE_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return reproducible_zip(buf.getvalue())


def sj_xls(rows: list[Row]) -> bytes:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    header = list(rows[0].values)
    for j, h in enumerate(header):
        sheet.write(0, j, h)
    for i, r in enumerate(rows, 1):
        for j, h in enumerate(header):
            v = r.values[h]
            sheet.write(i, j, "" if v is None else v)
        r.line = i + 1
        r.where = f"sj_qydj_gaoping.xls 第{r.line}行"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# The README's table of planted messes

MESS_LABELS: dict[str, tuple[str, str]] = {
    "gbk_encoding": ("GBK 编码", "GBK encoding"),
    "utf8_bom": ("UTF-8 带 BOM", "UTF-8 with BOM"),
    "tab_delimited": ("制表符分隔", "tab-delimited"),
    "traditional": ("繁体字", "Traditional characters"),
    "title_line": ("表头上方有标题行", "a title line above the header"),
    "merged_header_cells": (
        "合并单元格的两行表头（法定代表人 / 姓名、身份证号）",
        "a two-row header with merged cells",
    ),
    "footer_row": ("表尾合计行", "a total line below the data"),
    "nested_json": ("户 → 成员嵌套的 JSON", "households with nested members"),
    "legacy_xls": ("旧版 .xls 文件", "a legacy .xls file"),
    "id_check_mismatch": ("身份证号校验码错误", "wrong check character"),
    "id_bad_date": ("身份证号中的出生日期不存在（2月30日）", "impossible date of birth in the ID"),
    "id_bad_length": ("身份证号位数不对", "ID of the wrong length"),
    "id_missing": ("身份证号为占位词（无、不详）", "ID given as a placeholder"),
    "id_lowercase_x": ("身份证号末位小写 x", "lower-case x"),
    "id_fullwidth": ("身份证号全角数字", "full-width digits in the ID"),
    "id_whitespace": ("身份证号中有空格", "spaces in the ID"),
    "id_15": ("15 位旧身份证号", "15-digit legacy ID"),
    "id_retired_region": (
        "身份证号地址码为已撤销县区（郊区 140503、高平县 140523）",
        "ID issued by a since-retired county",
    ),
    "invisible_chars": ("不可见字符（零宽空格、不换行空格）", "invisible characters"),
    "name_missing": ("姓名为占位词（不详）", "name given as a placeholder"),
    "name_digits": ("姓名中有数字", "a digit in the name"),
    "name_middle_dot": (
        "少数民族姓名间隔号写法不一（．.•）",
        "middle dot of minority names written variously",
    ),
    "name_spaces": ("姓名中或前后有空格（含全角空格）", "spaces in or around the name"),
    "traditional_address": ("繁体地址", "address in Traditional characters"),
    "sex_unknown_code": ("性别为未知代码 X", "unknown sex code X"),
    "sex_code_variant": ("性别写作 1/2/M/F/未知", "sex written as 1/2/M/F/未知"),
    "ethnic_variant": ("民族写作 汉/01", "ethnic group written as 汉/01"),
    "marital_variant": (
        "婚姻状况写作代码或别称（10、20、旧代码 2、离异）",
        "marital status as a code or an alias",
    ),
    "date_format_slash": ("日期写作 2024/3/5", "date as 2024/3/5"),
    "date_format_compact": ("日期写作 20240305", "date as 20240305"),
    "date_format_zh": ("日期写作 2024年3月5日", "date as 2024年3月5日"),
    "date_format_dot": ("日期写作 2024.3.5", "date as 2024.3.5"),
    "date_fullwidth": ("日期全角数字", "date in full-width digits"),
    "date_dayfirst": ("日期日在前（05/03/2024，部门已声明）", "day-first date (declared)"),
    "date_dayfirst_ambiguous": (
        "日在前且月日都 ≤ 12 的日期（按声明读作日/月）",
        "day-first date that reads differently month-first",
    ),
    "date_invalid": ("日期不存在（2月30日、31/02）", "impossible date"),
    "excel_serial_date": ("日期单元格丢了格式，成了序列号", "a date cell shown as its serial number"),
    "address_city": ("地址缺省份（晋城市…）", "address without the province"),
    "address_county": ("地址缺省市（阳城县…）", "address without province and city"),
    "address_town": ("地址只从乡镇写起", "address starting at the town"),
    "address_without_prefix": ("地址缺省、市前缀", "address without province or city"),
    "address_fullwidth": ("地址全角数字", "full-width digits in the address"),
    "phone_country_code": ("电话带 +86 / 86", "phone with +86"),
    "phone_spaces": ("手机号中有空格", "spaces in a mobile number"),
    "phone_landline": (
        "固话区号写法不一（0356 空格、括号、连写）",
        "landline with area code written variously",
    ),
    "phone_invalid": ("固话缺区号", "landline without area code"),
    "placeholder": ("占位词（无、不详、/、—、NULL、0）", "placeholder meaning missing"),
    "stray_spaces": ("值前后多余空格（含全角空格）", "stray spaces around a value"),
    "relation_code": ("与户主关系写作代码（GB/T 4761：02、10、20、50）", "relation to head as a code"),
    "assistance_type_variant": ("保障类型写作别称（城镇低保、农村）", "assistance type as an alias"),
    "number_as_text": ("数值写成文本", "number written as text"),
    "uscc_check_mismatch": ("统一社会信用代码校验码错误", "wrong credit-code check character"),
    "uscc_letter_o": ("统一社会信用代码中字母 O 代替数字 0", "letter O for zero in the credit code"),
    "uscc_bad_length": ("统一社会信用代码位数不对", "credit code of the wrong length"),
    "uscc_lowercase": ("统一社会信用代码小写", "lower-case credit code"),
    "uscc_whitespace": ("统一社会信用代码中有空格", "spaces in the credit code"),
    "status_code_variant": ("经营状态写作 在业/开业", "business status as 在业/开业"),
    "status_unknown_code": ("经营状态为未知值（待核实）", "unknown business status"),
}
OUTCOME_ZH = {"cleansed": "清洗后入库", "flagged": "入库并标记", "quarantined": "整行隔离"}


def _lines(lines: list[int]) -> str:
    lines = sorted(set(lines))
    if len(lines) > 12:
        return ", ".join(map(str, lines[:10])) + f" …（共 {len(lines)} 行）"
    return ", ".join(map(str, lines))


CHANGE_ZH = {"added": "新增", "updated": "变更", "removed": "删除"}


def _change_line(c: dict[str, Any]) -> str:
    return f"| {CHANGE_ZH[c['change']]} | {c.get('line') or '—'} | `{c['key']}` | {c.get('why', '')} |"


def render_table(planted: dict[str, Any]) -> str:
    """The README's list of planted messes, per file: which lines, and what becomes of them. A
    later file of the same resource lists what changed instead of repeating the messes."""
    out: list[str] = []
    order = {m: i for i, m in enumerate(MESS_LABELS)}
    seen: set[str] = set()
    for file, e in planted["files"].items():
        out += [f"#### `data/{file}` → {e['resource']}（`{e['mapping']}`，`--mode {e['mode']}`）", ""]
        line = (
            f"{e['rows']} 行：入库 {e['loaded']}（其中 {e['flagged']} 行带标记），隔离 {e['quarantined']}"
            f"（{'、'.join(f'`{k}` {v}' for k, v in e['quarantine_reasons'].items())}）。"
            f"整个文件：{'；'.join(MESS_LABELS[m][0] for m in e['file_messes'])}。"
        )
        if "diff" in e:
            d = e["diff"]
            line += (
                f"与 `{e['after']}` 载入后的版本相比：新增 {d['added']}，变更 {d['updated']}，"
                f"删除 {d['removed']}。"
            )
        out += [line, ""]
        if e["resource"] in seen and e["mode"] == "full":
            out += ["其余问题与上一个文件相同（行号见 `planted.json`）。变化如下 / what changed:", ""]
            out += ["| 变化 / change | 行 / line | 身份证号 / key | 说明 / why |", "|---|---|---|---|"]
            out += [_change_line(c) for c in e["changes"]]
            out.append("")
            continue
        seen.add(e["resource"])
        out.append("| 问题 / mess | 行 / rows | 结果 / outcome | 原因或清洗结果 / reason or cleansed value |")
        out.append("|---|---|---|---|")
        marks: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}
        for p in e["planted"]:
            for m in p["marks"]:
                marks.setdefault((m["mess"], m["kind"]), []).append((p["line"], m))
        for (mess, kind), ms in sorted(marks.items(), key=lambda x: (order[x[0][0]], x[0][1])):
            zh, en = MESS_LABELS[mess]
            if kind == "cleansed":
                m = next((m for _, m in ms if str(m["raw"]) != str(m["expected"])), ms[0][1])
                what = f"`{m['raw']}` → " + (
                    f"`{m['expected']}`" if m["expected"] is not None else "空值 / null"
                )
            else:
                what = "、".join(f"`{r}`" for r in sorted({m["reason"] for _, m in ms}))
            out.append(f"| {zh} / {en} | {_lines([n for n, _ in ms])} | {OUTCOME_ZH[kind]} | {what} |")
        if "changes" in e:
            out += ["", "| 变化 / change | 行 / line | 键 / key | 说明 / why |", "|---|---|---|---|"]
            out += [_change_line(c) for c in e["changes"]]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------------------------

ORDER = (
    "ga_hjrk_2024-03.csv",
    "ga_hjrk_2024-04.csv",
    "ga_hjrk_corrections_2024-04.csv",
    "wj_jkda.csv",
    "mz_dbdx_2024-03.json",
    "sj_qydj.xlsx",
    "sj_qydj_gaoping.xls",
)
BEGIN, END = "<!-- planted:begin (scripts/make_examples.py writes this part) -->", "<!-- planted:end -->"


def dump_planted(planted: dict[str, Any]) -> str:
    """JSON, indented, but one line per planted row (the file stays readable and diffable)."""

    def js(v: Any) -> str:
        return json.dumps(v, ensure_ascii=False, default=str)

    out = ["{", f' "about": {js(planted["about"])},', ' "files": {']
    for i, (file, e) in enumerate(planted["files"].items()):
        out.append(f"  {js(file)}: {{")
        for k, v in e.items():
            if k in ("planted", "changes"):
                out.append(f"   {js(k)}: [")
                out += [f"    {js(x)}," for x in v]
                if v:
                    out[-1] = out[-1][:-1]
                out.append("   ],")
            else:
                out.append(f"   {js(k)}: {js(v)},")
        out[-1] = out[-1][:-1]
        out.append("  }" + ("," if i < len(planted["files"]) - 1 else ""))
    out += [" }", "}"]
    text = "\n".join(out) + "\n"
    assert json.loads(text) == json.loads(js(planted))
    return text


def generate(readme: str | None = None) -> dict[str, bytes]:
    """Every file the generator owns, by path relative to ``examples/sample-city``; with the
    README's text, the README with its table of messes brought up to date."""
    city = City()
    city.build(60)
    data: dict[str, bytes] = {}
    files: dict[str, Any] = {}
    mz_file(city, data, files)
    ga_files(city, data, files)
    wj_file(city, data, files)
    sj_files(city, data, files)
    assert sorted(ORDER) == sorted(files)
    planted = {
        "about": (
            f"Messes planted in examples/sample-city/data by scripts/make_examples.py (seed {SEED}). "
            "line: the physical line (CSV), sheet row (Excel) or record number in households[].members[] "
            "order (JSON), 1-based. Each mark: the mess, kind (cleansed: the row is loaded with the "
            "expected value; flagged: loaded, the value rejected for reason; quarantined: the row is "
            "quarantined for reason). Reasons are the standards' codes (idcard.check_mismatch …) and "
            "ingestion's own: 'required' (a required field is empty or a placeholder such as 无/不详) "
            "and 'unmapped' (a value the mapping's value map lacks, with unmapped: invalid)."
        ),
        "files": {f: files[f] for f in ORDER},
    }
    out = {f"data/{f}": data[f] for f in ORDER}
    out["planted.json"] = dump_planted(planted).encode("utf-8")
    if readme is not None and BEGIN in readme and END in readme:
        head, rest = readme.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        out["README.md"] = f"{head}{BEGIN}\n{render_table(planted)}{END}{tail}".encode()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument(
        "--out", type=Path, default=EXAMPLE, help="folder to write (default: examples/sample-city)"
    )
    ap.add_argument(
        "--check", action="store_true", help="compare with the files in --out; exit 1 if any differs"
    )
    args = ap.parse_args()
    readme = EXAMPLE / "README.md"
    files = generate(readme.read_text(encoding="utf-8") if readme.is_file() else None)
    if args.check:
        stale = [
            p for p, b in files.items() if not (args.out / p).is_file() or (args.out / p).read_bytes() != b
        ]
        for p in stale:
            print(f"differs: {args.out / p}")
        return 1 if stale else 0
    for p, b in files.items():
        path = args.out / p
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b)
        print(f"wrote {path} ({len(b):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
