"""Small synthetic populations for the registry tests, with the truth kept beside them.

Four departmental resources describe the same people with the noise departments make; the
special cases the registry must get right are built on purpose (see :class:`Case`). Nothing here
uses the demo generator.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from shuzhi.catalog.spec import ResourceSpec
from shuzhi.registry import RegistrySource, RegistrySpec, RunSummary, run_table
from shuzhi.standards.idcard import check_char
from shuzhi.workspace import Workspace

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国宇浩然欣怡子涵"
    "梓轩雨萱思远博文嘉怡俊杰晨阳雪梅海燕志强春花秋菊冬梅"
)
COUNTIES = ("140502", "140521", "140522", "140524", "140525", "140581")
COUNTY_NAMES = {
    "140502": "城区",
    "140521": "沁水县",
    "140522": "阳城县",
    "140524": "陵川县",
    "140525": "泽州县",
    "140581": "高平市",
}
ROADS = ("凤台东街", "泽州路", "红星西街", "书院街", "建设路", "新华街", "文昌东街", "迎宾街")
ESTATES = ("金鼎小区", "兰花苑", "锦绣花园", "阳光家园", "幸福小区", "书香苑")


def id18(region: str, birth: dt.date, seq: int) -> str:
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + check_char(body)


def id15(id_18: str) -> str:
    return id_18[:6] + id_18[8:17]


def spec(code: str, fields: list[dict[str, Any]], **extra: Any) -> ResourceSpec:
    return ResourceSpec.model_validate(
        {
            "code": code,
            "name": extra.pop("name", code),
            "department": code.split("-")[0],
            "fields": fields,
            "sharing": {"type": "unconditional"},
            "region": "140500",
            **extra,
        }
    )


#: the four resources (field names chosen unlike any real system's)
SPECS: dict[str, ResourceSpec] = {
    "GA-HJ": spec(
        "GA-HJ",
        [
            {"name": "gmsfhm", "label": "公民身份号码", "standard": "idcard", "key": True},
            {"name": "xm", "label": "姓名", "standard": "name"},
            {"name": "xb", "label": "性别", "standard": "sex"},
            {"name": "csrq", "label": "出生日期", "type": "date", "standard": "date"},
            {"name": "hjdz", "label": "户籍地址", "standard": "address"},
            {"name": "swrq", "label": "死亡日期", "type": "date", "standard": "date"},
        ],
        name="户籍人口",
        kind="base",
    ),
    "MZ-DB": spec(
        "MZ-DB",
        [
            {"name": "ywbh", "label": "业务编号", "key": True},
            {"name": "sqrxm", "label": "申请人姓名", "standard": "name"},
            {"name": "sqrsfz", "label": "申请人身份证", "standard": "idcard"},
            {"name": "jhrsfz", "label": "监护人身份证号", "standard": "idcard"},
            {"name": "lxdh", "label": "联系电话", "standard": "phone"},
            {"name": "jzdz", "label": "居住地址", "standard": "address"},
            {"name": "ryzt", "label": "人员状态"},
        ],
        name="低保对象",
    ),
    "WJ-YM": spec(
        "WJ-YM",
        [
            {"name": "jzbh", "label": "接种编号", "key": True},
            {"name": "name", "label": "受种者姓名", "standard": "name"},
            {"name": "idno", "label": "证件号码", "standard": "idcard"},
            {"name": "birthday", "label": "出生日期", "type": "date", "standard": "date"},
            {"name": "mobile", "label": "手机号", "standard": "phone"},
        ],
        name="疫苗接种",
    ),
    "RS-SB": spec(
        "RS-SB",
        [
            {"name": "grbh", "label": "个人编号", "key": True},
            {"name": "xm", "label": "姓名", "standard": "name"},
            {"name": "sfzhm", "label": "身份证号码", "standard": "idcard"},
            {"name": "xb", "label": "性别", "standard": "sex"},
            {"name": "dh", "label": "电话", "standard": "phone"},
            {"name": "zz", "label": "住址", "standard": "address"},
            {"name": "ryzt", "label": "人员状态"},
            {"name": "gxsj", "label": "更新时间", "type": "date", "standard": "date"},
        ],
        name="社保参保",
    ),
}


@dataclass
class Person:
    pid: str
    name: str
    sex: str
    birth: dt.date
    region: str
    seq: int
    phone: str
    address: str
    id_number: str = ""

    def __post_init__(self) -> None:
        if not self.id_number:
            self.id_number = id18(self.region, self.birth, self.seq)


@dataclass
class City:
    """Rows per resource, each row carrying its true person in ``_pid`` (dropped on writing)."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {c: [] for c in SPECS})
    people: dict[str, Person] = field(default_factory=dict)

    def add(self, code: str, person: Person, **values: Any) -> dict[str, Any]:
        row = {"_pid": person.pid, **values}
        self.rows[code].append(row)
        return row

    def truth(self) -> dict[tuple[str, str], str]:
        """(resource, key) -> true person."""
        keys = {"GA-HJ": "gmsfhm", "MZ-DB": "ywbh", "WJ-YM": "jzbh", "RS-SB": "grbh"}
        return {(c, str(r[keys[c]])): r["_pid"] for c, rows in self.rows.items() for r in rows}

    def write(
        self, folder: Path, codes: list[str] | None = None, *, priority: dict[str, int] | None = None
    ) -> list[RegistrySource]:
        """One Parquet file per resource, as build inputs; ``priority`` per resource code."""
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        for code in codes or list(SPECS):
            sp = SPECS[code]
            rows = self.rows[code]
            columns: dict[str, pa.Array] = {}
            for f in sp.fields:
                values = [r.get(f.name) for r in rows]
                typ = pa.date32() if f.type.value == "date" else pa.string()
                columns[f.name] = pa.array(values, type=typ)
            columns["_row"] = pa.array(range(len(rows)), type=pa.int64())
            path = folder / f"{code}.parquet"
            pq.write_table(pa.table(columns), path)
            registry = RegistrySpec(priority=(priority or {}).get(code))
            out.append(RegistrySource(spec=sp, path=path, version=1, registry=registry))
        return out


def write_csv(city: City, folder: Path) -> dict[str, Path]:
    """One CSV per resource as a department sends it: Chinese labels as the header, 男/女 for sex."""
    import csv

    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for code, sp in SPECS.items():
        path = folder / f"{code}.csv"
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([f.label for f in sp.fields])
            for r in city.rows[code]:
                row = []
                for f in sp.fields:
                    v = r.get(f.name)
                    if f.standard == "sex" and v is not None:
                        v = {"1": "男", "2": "女"}[v]
                    row.append("" if v is None else str(v))
                w.writerow(row)
        out[code] = path
    return out


def address(rnd: random.Random, county: str) -> str:
    if rnd.random() < 0.5:
        return (
            f"山西省晋城市{COUNTY_NAMES[county]}{rnd.choice(ESTATES)}{rnd.randint(1, 20)}号楼"
            f"{rnd.randint(1, 4)}单元{rnd.randint(1, 6)}0{rnd.randint(1, 4)}室"
        )
    return f"山西省晋城市{COUNTY_NAMES[county]}{rnd.choice(ROADS)}{rnd.randint(1, 300)}号"


def rewrite_address(rnd: random.Random, text: str) -> str:
    """The same place as another department writes it."""
    text = text.replace("山西省", "") if rnd.random() < 0.5 else text
    return (
        text.replace("号楼", "-", 1).replace("单元", "-", 1).replace("室", "") if rnd.random() < 0.3 else text
    )


def person(rnd: random.Random, pid: str, **kw: Any) -> Person:
    sex = kw.pop("sex", rnd.choice("12"))
    birth = kw.pop("birth", dt.date(1940, 1, 1) + dt.timedelta(days=rnd.randint(0, 70 * 365)))
    seq = kw.pop("seq", rnd.randint(10, 99) * 10 + (1 if sex == "1" else 2) + rnd.choice((0, 2, 4, 6)))
    region = kw.pop("region", rnd.choice(COUNTIES))
    return Person(
        pid=pid,
        name=kw.pop(
            "name", rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2))))
        ),
        sex=sex,
        birth=birth,
        region=region,
        seq=seq,
        phone=kw.pop("phone", f"13{rnd.randint(0, 9)}{rnd.randint(10_000_000, 99_999_999)}"),
        address=kw.pop("address", address(rnd, region)),
        **kw,
    )


class Keys:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n:05d}"


def emit(city: City, rnd: random.Random, p: Person, key: Keys, codes: tuple[str, ...], **over: Any) -> None:
    """Records of ``p`` in ``codes``; ``over`` maps code -> {field: value} overrides."""
    for code in codes:
        o = over.get(code, {})
        if code == "GA-HJ":
            city.add(
                code,
                p,
                gmsfhm=o.get("id", p.id_number),
                xm=o.get("name", p.name),
                xb=p.sex,
                csrq=o.get("birth", p.birth),
                hjdz=p.address,
                swrq=o.get("death"),
            )
        elif code == "MZ-DB":
            city.add(
                code,
                p,
                ywbh=key("DB"),
                sqrxm=o.get("name", p.name),
                sqrsfz=o.get("id", p.id_number),
                jhrsfz=o.get("guardian"),
                lxdh=o.get("phone", p.phone),
                jzdz=o.get("address", rewrite_address(rnd, p.address)),
                ryzt=o.get("status", "正常"),
            )
        elif code == "WJ-YM":
            city.add(
                code,
                p,
                jzbh=key("YM"),
                name=o.get("name", p.name),
                idno=o.get("id", p.id_number),
                birthday=o.get("birth", p.birth),
                mobile=o.get("phone", p.phone),
            )
        elif code == "RS-SB":
            city.add(
                code,
                p,
                grbh=key("SB"),
                xm=o.get("name", p.name),
                sfzhm=o.get("id", p.id_number),
                xb=p.sex,
                dh=o.get("phone", p.phone),
                zz=o.get("address", rewrite_address(rnd, p.address)),
                ryzt=o.get("status"),
                gxsj=o.get("updated", dt.date(2025, 6, 1)),
            )


def wrong_digit(number: str, position: int) -> str:
    """``number`` with the digit at ``position`` (0-based) changed (the check then fails)."""
    d = (int(number[position]) + 3) % 10
    return number[:position] + str(d) + number[position + 1 :]


def swap(number: str, position: int) -> str:
    return number[:position] + number[position + 1] + number[position] + number[position + 2 :]


def make_city(seed: int = 7, background: int = 90) -> City:
    """About ``background`` ordinary people in 1–4 sources, plus the special cases."""
    rnd = random.Random(seed)
    city = City()
    key = Keys()
    all_codes = ("GA-HJ", "MZ-DB", "WJ-YM", "RS-SB")

    def new(pid: str, **kw: Any) -> Person:
        p = person(rnd, pid, **kw)
        city.people[pid] = p
        return p

    # twins: same birth date, surname, address and phone; given names and sequence digits differ
    birth = dt.date(1988, 4, 17)
    t1 = new("twin-a", name="赵子涵", sex="1", birth=birth, region="140502", seq=153)
    t2 = new(
        "twin-b",
        name="赵子轩",
        sex="1",
        birth=birth,
        region="140502",
        seq=155,
        phone=t1.phone,
        address=t1.address,
    )
    for t in (t1, t2):
        emit(city, rnd, t, key, all_codes)
    # … and a record of one twin without an ID, which the model links to both
    emit(city, rnd, t1, key, ("WJ-YM",), **{"WJ-YM": {"id": None}})
    t3 = new("twin-c", name="孙思远", sex="2", birth=dt.date(1995, 9, 2), region="140525", seq=322)
    t4 = new(
        "twin-d",
        name="孙思源",
        sex="2",
        birth=t3.birth,
        region="140525",
        seq=324,
        phone=t3.phone,
        address=t3.address,
    )
    for t in (t3, t4):
        emit(city, rnd, t, key, ("GA-HJ", "WJ-YM", "RS-SB"))

    # an old 15-digit number in one source, the 18-digit one in the others
    p = new("id15", birth=dt.date(1962, 3, 8))
    emit(city, rnd, p, key, ("GA-HJ", "WJ-YM", "RS-SB"), **{"WJ-YM": {"id": id15(p.id_number)}})
    p = new("id15-lower-x", birth=dt.date(1971, 11, 30))
    emit(city, rnd, p, key, ("GA-HJ", "MZ-DB"), **{"MZ-DB": {"id": id15(p.id_number)}})

    # Traditional and Simplified names
    p = new("traditional", name="张伟华")
    emit(city, rnd, p, key, ("GA-HJ", "RS-SB"), **{"RS-SB": {"name": "張偉華"}})
    p = new("traditional-2", name="陈丽娟")
    emit(city, rnd, p, key, ("GA-HJ", "MZ-DB"), **{"MZ-DB": {"name": "陳麗娟"}})

    # homophones (同音字) on a record without an ID: linked by pinyin, birth date and phone
    p = new("homophone", name="王莉")
    emit(city, rnd, p, key, ("GA-HJ", "WJ-YM"), **{"WJ-YM": {"name": "王丽", "id": None}})

    # one wrong ID digit (sequence), and two swapped digits (region), birth and sex intact
    p = new("typo", name="刘建国")
    emit(city, rnd, p, key, ("GA-HJ", "RS-SB"), **{"RS-SB": {"id": wrong_digit(p.id_number, 15)}})
    p = new("swapped", name="黄秀英", region="140521")
    emit(city, rnd, p, key, ("GA-HJ", "MZ-DB"), **{"MZ-DB": {"id": swap(p.id_number, 3)}})

    # a minority name written with and without the middle dot and with a space
    p = new("minority", name="买买提·艾力")
    emit(city, rnd, p, key, ("GA-HJ", "RS-SB"), **{"RS-SB": {"name": "买买提 艾力"}})

    # conflicts: dead in 户籍, alive in 社保; two birth dates; one ID on two different people
    p = new("dead-alive")
    emit(
        city,
        rnd,
        p,
        key,
        ("GA-HJ", "RS-SB"),
        **{
            "GA-HJ": {"death": dt.date(2023, 2, 1)},
            "RS-SB": {"status": "正常", "updated": dt.date(2025, 3, 1)},
        },
    )
    p = new("two-births", birth=dt.date(1980, 5, 6))
    emit(city, rnd, p, key, ("GA-HJ", "WJ-YM"), **{"WJ-YM": {"birth": dt.date(1980, 6, 5)}})
    owner = new("id-owner", name="周桂英", sex="2", birth=dt.date(1950, 1, 20))
    emit(city, rnd, owner, key, ("GA-HJ", "WJ-YM"))
    other = new("id-borrower", name="马浩然", sex="1", birth=dt.date(2001, 8, 9), id_number=owner.id_number)
    emit(city, rnd, other, key, ("MZ-DB",))

    # moved: a new phone and address in 社保, the most recent source
    p = new("moved")
    emit(
        city,
        rnd,
        p,
        key,
        ("GA-HJ", "MZ-DB", "RS-SB"),
        **{"RS-SB": {"phone": "18912345678", "address": "山西省晋城市泽州县书香苑3号楼1单元502室"}},
    )

    # bridge: a 低保 record without ID (and 低保 has no birth date) at another address, linked only
    # through the 疫苗 record (name + phone); without 疫苗 it is a person of its own
    p = new("bridge", name="欧阳明辉")
    emit(city, rnd, p, key, ("GA-HJ", "WJ-YM"))
    emit(city, rnd, p, key, ("MZ-DB",), **{"MZ-DB": {"id": None, "address": address(rnd, p.region)}})

    # a guardian's ID in 低保 must not be taken as the applicant's
    child = new("guarded", birth=dt.date(2012, 2, 2))
    emit(city, rnd, child, key, ("GA-HJ", "MZ-DB"), **{"MZ-DB": {"guardian": t1.id_number}})

    # background population
    for i in range(background):
        p = new(f"p{i:03d}")
        codes = tuple(c for c in all_codes if rnd.random() < 0.55) or ("GA-HJ",)
        over: dict[str, dict[str, Any]] = {}
        for c in codes:
            o: dict[str, Any] = {}
            if c != "GA-HJ" and rnd.random() < 0.15:
                o["phone"] = f"15{rnd.randint(0, 9)}{rnd.randint(10_000_000, 99_999_999)}"  # a new phone
            if c == "WJ-YM" and rnd.random() < 0.1:
                o["id"] = None  # no ID written
            over[c] = o
        emit(city, rnd, p, key, codes, **over)
    return city


@dataclass
class Built:
    ws: Workspace
    city: City
    summary: RunSummary

    def crosswalk(self) -> dict[tuple[str, str], str]:
        """(resource, key) -> registry id, from the run's records."""
        rows = duckdb.sql(
            f"SELECT src, rec_key, registry_id FROM {run_table(self.summary.folder, 'records')}"
        ).fetchall()
        return {(str(s), str(k)): str(r) for s, k, r in rows}

    def person(self, pid: str) -> set[str]:
        """The registry ids holding the records of the true person ``pid``."""
        cw = self.crosswalk()
        return {cw[k] for k, p in self.city.truth().items() if p == pid and k in cw}


def crosswalk_of(summary: RunSummary) -> dict[tuple[str, str], str]:
    rows = duckdb.sql(
        f"SELECT src, rec_key, registry_id FROM {run_table(summary.folder, 'records')}"
    ).fetchall()
    return {(str(s), str(k)): str(r) for s, k, r in rows}
