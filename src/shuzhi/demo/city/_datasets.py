"""The departmental datasets: each in its department's schema, code system, encoding and format,
with its messes, and the truth of every record (which person or entity it is about)."""

from __future__ import annotations

import codecs
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shuzhi.demo.city._data import cat, num, take, words
from shuzhi.demo.city._entities import (
    COLORS,
    MARKET_STATUS,
    USCC_ALPHABET,
    VEHICLE_STATUS,
    Entities,
    Vehicles,
)
from shuzhi.demo.city._geo import City, Places
from shuzhi.demo.city._mess import (
    Changes,
    fmt_date,
    homophone_names,
    id_matrix,
    matrix_text,
    mess_ids,
    mixed_dates,
    s2t,
    written_phone,
)
from shuzhi.demo.city._noise import Noise
from shuzhi.demo.city._people import (
    ALIVE,
    AS_OF,
    DEAD,
    MOVED_OUT,
    RELATIONS,
    STATUS,
    People,
    Vocabulary,
)
from shuzhi.demo.city._spec import Col, Spec

__all__ = ["SPECS", "Built", "World", "build_all", "write_dataset"]

#: long-distance area codes of cities whose landlines the generator writes
AREA_CODES = {"140500": "0356"}
#: the six months of payments in the payment datasets
MONTHS = np.arange(np.datetime64("2025-07"), np.datetime64("2026-01")).astype("datetime64[D]")
BANKS = ("中国工商银行", "中国农业银行", "中国建设银行", "中国银行", "中国邮政储蓄银行", "晋城银行")


@dataclass(slots=True)
class World:
    """Everything generated, with the per-person text columns computed once."""

    city: City
    places: Places
    people: People
    vocab: Vocabulary
    entities: Entities
    vehicles: Vehicles
    noise: Noise
    rng: np.random.Generator
    low_income_hh: np.ndarray  # households receiving the minimum allowance
    planted_owner: np.ndarray  # persons made business owners on purpose (低保 anomaly)
    planted_vehicle: np.ndarray  # persons given a vehicle on purpose
    name: pa.Array = field(init=False)
    former: pa.Array = field(init=False)
    address: pa.Array = field(init=False)  # current, full
    prev_address: pa.Array = field(init=False)  # the previous one where the household moved
    person_ids: pa.Array = field(init=False)
    urban: np.ndarray = field(init=False)  # per household

    def __post_init__(self) -> None:
        p = self.people
        self.name = p.names(self.vocab)
        self.former = p.names(self.vocab, old=True)
        self.address = self.places.address.take(pa.array(p.hh))
        prev_hh = p.hh_prev[p.hh]
        self.prev_address = pc.if_else(
            pa.array(prev_hh >= 0),
            self.places.address.take(pa.array(np.maximum(prev_hh, 0))),
            pa.nulls(p.n, pa.string()),
        )
        self.person_ids = cat("P", num(np.arange(1, p.n + 1), 7))
        kinds = np.array(self.places.estates.column("kind").to_pylist())
        self.urban = kinds[self.places.estate] == "estate"

    def stale_address(self, idx: np.ndarray, rate: float) -> tuple[pa.Array, np.ndarray]:
        """Addresses of ``idx`` where a department kept the previous one of ``rate`` of the movers."""
        moved = (self.people.hh_prev[self.people.hh[idx]] >= 0) & (self.rng.random(len(idx)) < rate)
        cur = self.address.take(pa.array(idx))
        return pc.if_else(pa.array(moved), self.prev_address.take(pa.array(idx)), cur), moved


@dataclass(slots=True)
class Built:
    """One dataset, ready to write: columns in the department's order (or a JSON document), and
    the truth of every row."""

    spec: Spec
    columns: dict[str, pa.Array]
    person: np.ndarray  # per row: person index or -1
    entity: np.ndarray  # per row: entity index or -1
    keys: pa.Array
    json_text: str | None = None
    #: per row: the month paid (payment datasets), for the truth's anomalies
    period: np.ndarray | None = None

    @property
    def rows(self) -> int:
        return len(self.person)


def _keys(*parts: pa.Array) -> pa.Array:
    return (
        parts[0]
        if len(parts) == 1
        else cat(*[p for q in zip(parts, ["|"] * len(parts), strict=True) for p in q][:-1])
    )


def _ids_changes(
    changes: Changes,
    spec: Spec,
    keys: pa.Array,
    column: str,
    true: pa.Array,
    written: pa.Array,
    kinds: list[tuple[str, np.ndarray, bool | None]],
) -> None:
    field_name = next(c.field for c in spec.columns if c.source == column)
    for kind, rows, valid in kinds:
        changes.add(spec.code, rows, keys, column, field_name, kind, true, written, valid)


def _name_change(
    changes: Changes,
    spec: Spec,
    keys: pa.Array,
    column: str,
    true: pa.Array,
    written: pa.Array,
    kind: str,
    rows: np.ndarray,
) -> None:
    field_name = next(c.field for c in spec.columns if c.source == column)
    differs = np.asarray(
        pc.fill_null(pc.not_equal(true.take(pa.array(rows)), written.take(pa.array(rows))), True)
    )
    changes.add(spec.code, rows[differs], keys, column, field_name, kind, true, written, True)


# ---------------------------------------------------------------------------------------------
# 公安 户籍人口 (the authority)

ID_COL = "公民身份号码"
GA = Spec(
    code="GA-HJRK",
    name="户籍人口基本信息",
    name_en="Registered population",
    department="GA",
    file="data/公安_户籍人口.csv",
    format="csv",
    encoding="gbk",
    columns=(
        Col(
            ID_COL,
            "id_number",
            "公民身份号码",
            standard="idcard",
            key=True,
            pi="identity",
            label_en="citizen ID",
        ),
        Col("姓名", "name", "姓名", standard="name", required=True, pi="identity"),
        Col("曾用名", "former_name", "曾用名", standard="name", pi="identity"),
        Col("性别", "sex", "性别", standard="sex", required=True),
        Col("民族", "ethnic", "民族", standard="ethnic"),
        Col("出生日期", "birth_date", "出生日期", type="date", standard="date", required=True, pi="identity"),
        Col("户号", "household_no", "户号", required=True),
        Col("与户主关系", "relation", "与户主关系", allowed=RELATIONS),
        Col("婚姻状况", "marital", "婚姻状况", standard="marital"),
        Col("户籍地址", "address", "户籍地址", standard="address", pi="contact"),
        Col("户籍地行政区划", "division", "户籍地行政区划代码", standard="division"),
        Col("出生地", "birth_place", "出生地", pi="identity"),
        Col("联系电话", "phone", "联系电话", standard="phone", pi="contact"),
        Col("人员状态", "status", "人员状态", allowed=STATUS),
        Col("注销日期", "cancel_date", "户口注销日期", type="date", standard="date"),
    ),
    summary="全市户籍人口的身份、户籍和人员状态（含死亡、迁出注销），人口基础库的权威来源。",
    classification=("基础信息资源", "人口信息", "户籍人口"),
    kind="base",
    sharing="conditional",
    sharing_condition="用于核验身份、办理政务服务和开展比对，须说明用途并经公安机关审核",
    sharing_method="接口",
    update_cycle="daily",
    security_grade="important",
    tags=("人口", "户籍", "权威来源", "人口库"),
    messes=("none: the authority (deaths and moves out are recorded as 死亡/迁出 with a cancel date)",),
)


def build_ga(w: World, changes: Changes) -> Built:
    p = w.people
    order = np.lexsort((np.arange(p.n), p.relation, p.hh))
    ids = matrix_text(id_matrix(p, order))
    county = np.array(w.city.county_codes)[w.places.county[p.hh[order]]]
    hh_no = cat(pa.array(county), num(p.hh[order] + 1, 7))
    codes, inv = np.unique(p.region[order], return_inverse=True)
    from shuzhi.standards import divisions

    names = []
    for c in codes:  # the distinct birth regions (a few thousand)
        d = divisions.lookup(str(c))
        names.append(d.full_name if d is not None else "")
    phone = pc.if_else(pa.array(p.phone[order] > 0), num(p.phone[order]), pa.nulls(len(order), pa.string()))
    status = p.status[order]
    cols = {
        ID_COL: ids,
        "姓名": w.name.take(pa.array(order)),
        "曾用名": w.former.take(pa.array(order)),
        "性别": num(p.sex[order]),
        "民族": take(w.vocab.ethnic_codes, p.ethnic[order]),
        "出生日期": fmt_date(p.birth[order], "compact"),
        "户号": hh_no,
        "与户主关系": take(RELATIONS, p.relation[order]),
        "婚姻状况": num(p.marital[order]),
        "户籍地址": w.address.take(pa.array(order)),
        "户籍地行政区划": pa.array(county),
        "出生地": take(names, inv),
        "联系电话": phone,
        "人员状态": take(STATUS, status),
        "注销日期": fmt_date(p.status_date[order], "compact"),
    }
    return Built(GA, cols, order, np.full(len(order), -1), ids)


# ---------------------------------------------------------------------------------------------
# 卫健 居民健康档案 (a legacy system: Traditional characters, 15-digit IDs, missing phones)

WJ = Spec(
    code="WJ-JKDA",
    name="居民健康档案",
    name_en="Resident health records",
    department="WJ",
    file="data/卫健_居民健康档案.csv",
    format="csv",
    encoding="utf-8-sig",
    columns=(
        Col("檔案編號", "record_no", "档案编号", key=True),
        Col("姓名", "name", "姓名", standard="name", required=True, pi="identity"),
        Col("身份證號", "id_number", "身份证号", standard="idcard", pi="identity", on_invalid="flag"),
        Col("性別", "sex", "性别", standard="sex"),
        Col("出生日期", "birth_date", "出生日期", type="date", standard="date", pi="identity"),
        Col("聯繫電話", "phone", "联系电话", standard="phone", pi="contact"),
        Col("現住址", "address", "现住址", standard="address", pi="contact"),
        Col("建檔機構", "clinic", "建档机构"),
        Col("建檔日期", "created_date", "建档日期", type="date", standard="date"),
        Col(
            "慢病類型",
            "chronic",
            "慢性病类型",
            pi="health",
            values={"無": "无", "高血壓": "高血压", "高血壓,糖尿病": "高血压,糖尿病"},
        ),
    ),
    summary="基层医疗卫生机构为常住居民建立的健康档案（旧系统导出，部分为繁体字）。",
    classification=("部门信息资源", "卫生健康", "基本公共卫生服务"),
    sharing="conditional",
    sharing_condition="涉及个人健康信息，仅限卫生健康、医保和民政救助业务核验使用",
    sharing_method="库表",
    update_cycle="monthly",
    security_grade="important",
    tags=("健康", "公共卫生"),
    messes=(
        "legacy 15-digit identity numbers (noise.legacy_id15 of people born before 1985)",
        "Traditional characters in names and addresses (noise.traditional), headers in Traditional",
        "missing phones (noise.missing_phone), landlines for some older people",
        "old names of renamed people (noise.old_name), old addresses of movers (noise.stale_address)",
        "records of people who died or moved out are not closed",
    ),
)


def build_wj(w: World, changes: Changes) -> Built:
    p, rng, nz = w.people, w.rng, w.noise
    keep = rng.random(p.n) < np.where(p.status == ALIVE, 0.8, 0.5)
    town = w.places.town[p.hh]
    idx = np.flatnonzero(keep)
    idx = idx[np.lexsort((rng.random(len(idx)), town[idx]))]
    t = town[idx]
    seq = np.arange(len(idx)) - np.searchsorted(t, t)
    keys = cat(take(w.city.town_codes, t), num(seq + 1, 6))
    year = p.birth[idx].astype("datetime64[Y]").astype(np.int64) + 1970
    legacy = (year < 1985) & (rng.random(len(idx)) < nz.legacy_id15)
    true_id, written_id, kinds = mess_ids(
        p, idx, rng, typo=nz.id_typo, lower_x=nz.lowercase_x, legacy15=legacy
    )
    _ids_changes(changes, WJ, keys, "身份證號", true_id, written_id, kinds)
    true_name = w.name.take(pa.array(idx))
    old = (p.old_g1[idx] >= 0) & (rng.random(len(idx)) < nz.old_name)
    name = pc.if_else(pa.array(old), w.former.take(pa.array(idx)), true_name)
    trad = rng.random(len(idx)) < nz.traditional
    name_t = s2t(name, trad)
    _name_change(changes, WJ, keys, "姓名", true_name, name_t, "old_name", np.flatnonzero(old))
    _name_change(changes, WJ, keys, "姓名", true_name, name_t, "traditional", np.flatnonzero(trad & ~old))
    addr, _ = w.stale_address(idx, nz.stale_address)
    addr = s2t(addr, trad)
    phone_n = p.phone[idx]
    no_phone = rng.random(len(idx)) < nz.missing_phone
    landline = (p.age[idx] >= 60) & (rng.random(len(idx)) < 0.15) & (w.city.code in AREA_CODES)
    phone = written_phone(np.where(no_phone, 0, phone_n), np.zeros(len(idx), dtype=np.int64))
    land = cat(AREA_CODES.get(w.city.code, ""), "-", num(rng.integers(2_000_000, 8_000_000, size=len(idx))))
    phone = pc.if_else(pa.array(landline & ~no_phone), land, phone)
    t_names = np.array(w.city.town_names)[t]
    clinic = np.where(np.char.endswith(t_names.astype(str), "街道"), "社区卫生服务中心", "卫生院")
    clinic_t = s2t(cat(pa.array(t_names), pa.array(clinic)), trad)
    as_of_i = np.datetime64(AS_OF.isoformat(), "D").astype(np.int64)
    lo = np.maximum(np.datetime64("2009-01-01", "D").astype(np.int64), p.birth[idx].astype(np.int64))
    created = rng.integers(np.minimum(lo, as_of_i), as_of_i + 1).astype("datetime64[D]")
    age = p.age[idx]
    r = rng.random(len(idx))
    hyper = r < np.where(age >= 60, 0.35, np.where(age >= 40, 0.12, 0.01))
    diab = rng.random(len(idx)) < np.where(age >= 60, 0.12, np.where(age >= 40, 0.05, 0.002))
    chronic = np.where(
        hyper & diab, "高血壓,糖尿病", np.where(hyper, "高血壓", np.where(diab, "糖尿病", "無"))
    )
    cols = {
        "檔案編號": keys,
        "姓名": name_t,
        "身份證號": written_id,
        "性別": take(("", "男", "女"), p.sex[idx]),
        "出生日期": fmt_date(p.birth[idx], "slash"),
        "聯繫電話": phone,
        "現住址": addr,
        "建檔機構": clinic_t,
        "建檔日期": fmt_date(created, "iso"),
        "慢病類型": pa.array(chronic.tolist(), pa.string()),
    }
    return Built(WJ, cols, idx, np.full(len(idx), -1), keys)


# ---------------------------------------------------------------------------------------------
# 人社 养老保险待遇发放 (payments that continue after death)

RS = Spec(
    code="RS-YLDY",
    name="养老保险待遇发放明细",
    name_en="Pension payments",
    department="RS",
    file="data/人社_养老待遇发放.csv",
    format="csv",
    encoding="gbk",
    delimiter="|",
    columns=(
        Col("发放流水号", "payment_no", "发放流水号", key=True),
        Col("个人编号", "person_no", "社保个人编号", required=True),
        Col("社会保障号码", "id_number", "社会保障号码", standard="idcard", pi="identity", on_invalid="flag"),
        Col("姓名", "name", "姓名", standard="name", pi="identity"),
        Col(
            "险种类型",
            "insurance_type",
            "险种类型",
            allowed=("110", "120", "170"),
            description="110 企业职工基本养老保险, 120 机关事业单位养老保险, 170 城乡居民基本养老保险",
        ),
        Col("待遇所属期", "period", "待遇所属期", type="date", standard="date"),
        Col("发放金额", "amount", "发放金额（元）", type="decimal", scale=2, min=0),
        Col("发放日期", "paid_date", "发放日期", type="date", standard="date"),
        Col("发放银行", "bank", "发放银行"),
        Col("银行账号", "bank_account", "银行账号", pi="financial"),
    ),
    summary="企业职工、机关事业单位和城乡居民基本养老保险的月度待遇发放明细。",
    classification=("部门信息资源", "社会保障", "养老保险"),
    sharing="conditional",
    sharing_condition="用于待遇资格认证和比对核查，须经人社部门审核",
    sharing_method="库表",
    update_cycle="monthly",
    security_grade="important",
    related=("GA-HJRK",),
    tags=("社保", "养老金"),
    messes=(
        "payments after the pensioner's death (noise.pension_after_death of the dead pensioners)",
        "old names of renamed people (noise.old_name); wrong ID digits (noise.id_typo)",
        "pipe-delimited GBK text",
    ),
)


def build_rs(w: World, changes: Changes) -> Built:
    p, rng, nz = w.people, w.rng, w.noise
    retired = ((p.age >= 60) | ((p.sex == 2) & (p.age >= 55) & (rng.random(p.n) < 0.5))) & (p.age >= 55)
    pens = np.flatnonzero(retired)
    urban = w.urban[p.hh[pens]]
    r = rng.random(len(pens))
    itype = np.where(r < 0.05, 120, np.where(r < np.where(urban, 0.55, 0.2), 110, 170))
    amount = np.where(
        itype == 120,
        rng.normal(5200, 900, len(pens)),
        np.where(itype == 110, rng.normal(3200, 700, len(pens)), rng.uniform(130, 350, len(pens))),
    )
    amount = np.round(np.maximum(amount, 110), 2)
    dead = p.status[pens] == DEAD
    keeps_paying = dead & (rng.random(len(pens)) < nz.pension_after_death)
    death = p.status_date[pens]
    # rows: pensioner x month, paid while alive at the start of the month (or on regardless)
    pi = np.repeat(np.arange(len(pens)), len(MONTHS))
    mi = np.tile(np.arange(len(MONTHS)), len(pens))
    paid = ~dead[pi] | (death[pi] >= MONTHS[mi]) | keeps_paying[pi]
    pi, mi = pi[paid], mi[paid]
    order = np.lexsort((pi, mi))
    pi, mi = pi[order], mi[order]
    idx = pens[pi]
    n = len(idx)
    keys = cat(fmt_date(MONTHS[mi], "yyyymm"), num(np.arange(1, n + 1), 8))
    person_no = cat(pa.array(np.array(w.city.county_codes)[w.places.county[p.hh[idx]]]), num(idx + 1, 8))
    true_id, written_id, kinds = mess_ids(p, idx, rng, typo=nz.id_typo, lower_x=nz.lowercase_x)
    _ids_changes(changes, RS, keys, "社会保障号码", true_id, written_id, kinds)
    true_name = w.name.take(pa.array(idx))
    old_person = (p.old_g1[pens] >= 0) & (rng.random(len(pens)) < nz.old_name)
    old = old_person[pi]
    name = pc.if_else(pa.array(old), w.former.take(pa.array(idx)), true_name)
    _name_change(changes, RS, keys, "姓名", true_name, name, "old_name", np.flatnonzero(old))
    bank = rng.integers(len(BANKS), size=len(pens))
    account = cat("6", num(rng.integers(10**17, 10**18 - 1, size=len(pens), dtype=np.int64)))
    cents = np.round(amount[pi] * 100).astype(np.int64)
    cols = {
        "发放流水号": keys,
        "个人编号": person_no,
        "社会保障号码": written_id,
        "姓名": name,
        "险种类型": num(itype[pi]),
        "待遇所属期": fmt_date(MONTHS[mi], "yyyymm"),
        "发放金额": cat(num(cents // 100), ".", num(cents % 100, 2)),
        "发放日期": fmt_date(MONTHS[mi] + 14, "iso"),
        "发放银行": take(BANKS, bank[pi]),
        "银行账号": account.take(pa.array(pi)),
    }
    return Built(RS, cols, idx, np.full(n, -1), keys, period=MONTHS[mi])


# ---------------------------------------------------------------------------------------------
# 民政 最低生活保障 (nested JSON households) and 高龄津贴 (flat JSON)

MZ_REL = ("本人", "配偶", "子女", "子女", "父母", "父母", "其他", "其他")
MZ = Spec(
    code="MZ-DBJZ",
    name="最低生活保障家庭及成员",
    name_en="Minimum living allowance households",
    department="MZ",
    file="data/民政_低保家庭.json",
    format="json",
    encoding="utf-8",
    records="data.households[].members[]",
    columns=(
        Col("households.低保证号", "cert_no", "低保证号", key=True),
        Col("成员序号", "member_no", "成员序号", key=True),
        Col("姓名", "name", "成员姓名", standard="name", required=True, pi="identity"),
        Col("身份证号码", "id_number", "身份证号码", standard="idcard", pi="identity", on_invalid="flag"),
        Col("与户主关系", "relation", "与户主关系", allowed=("本人", "配偶", "子女", "父母", "其他")),
        Col("性别", "sex", "性别", standard="sex"),
        Col("出生日期", "birth_date", "出生日期", type="date", standard="date", pi="identity"),
        Col("健康状况", "health", "健康状况", pi="health", allowed=("健康", "慢性病", "残疾")),
        Col("households.户主姓名", "head_name", "户主姓名", standard="name", pi="identity"),
        Col("households.家庭住址", "address", "家庭住址", standard="address", pi="contact"),
        Col("households.保障类别", "category", "保障类别", allowed=("城市低保", "农村低保")),
        Col("households.保障人数", "household_size", "保障人数", type="integer"),
        Col(
            "households.月保障金额",
            "monthly_amount",
            "月保障金额（元）",
            type="decimal",
            scale=2,
            min=0,
            pi="financial",
        ),
        Col("households.审批日期", "approved_date", "审批日期", type="date", standard="date"),
        Col("households.所属乡镇", "town", "所属乡镇（街道）"),
    ),
    summary="城乡最低生活保障家庭及其成员，按家庭嵌套导出。",
    classification=("部门信息资源", "社会救助", "最低生活保障"),
    sharing="conditional",
    sharing_condition="涉及特定身份信息，仅限社会救助审核和比对核查使用",
    sharing_method="接口",
    update_cycle="monthly",
    security_grade="important",
    related=("GA-HJRK", "SJ-SCZT", "JJ-JDCXX"),
    tags=("社会救助", "低保"),
    messes=(
        "nested households (members under each household)",
        "members who died are still listed; some members own businesses or vehicles (planted: "
        "noise.allowance_owner, noise.allowance_vehicle)",
        "民政's own relation codes (本人/子女/父母), wrong ID digits",
    ),
)


def build_mz(w: World, changes: Changes) -> Built:
    import duckdb

    p, rng, nz = w.people, w.rng, w.noise
    hhs = w.low_income_hh
    as_of_i = np.datetime64(AS_OF.isoformat(), "D").astype(np.int64)
    approved = rng.integers(as_of_i - 10 * 365, as_of_i - 30, size=len(hhs)).astype("datetime64[D]")
    hpos = np.full(p.n_hh, -1, dtype=np.int64)
    hpos[hhs] = np.arange(len(hhs))
    member = np.flatnonzero(hpos[p.hh] >= 0)
    hp = hpos[p.hh[member]]
    listed = (p.status[member] != DEAD) | (p.status_date[member] > approved[hp])
    member, hp = member[listed], hp[listed]
    order = np.lexsort((p.relation[member], hp))
    member, hp = member[order], hp[order]
    seq = np.arange(len(member)) - np.searchsorted(hp, hp)
    county = np.array(w.city.county_codes)[w.places.county[hhs]]
    cert = cat("DB", pa.array(county), num(np.arange(1, len(hhs) + 1), 6))
    cert_m = cert.take(pa.array(hp))
    mno = num(seq + 1, 2)
    keys = cat(cert_m, "|", mno)
    true_id, written_id, kinds = mess_ids(p, member, rng, typo=nz.id_typo, lower_x=nz.lowercase_x)
    _ids_changes(changes, MZ, keys, "身份证号码", true_id, written_id, kinds)
    size = np.bincount(hp, minlength=len(hhs))
    urban = w.urban[hhs]
    amount = np.round(size * np.where(urban, 680.0, 520.0) * rng.uniform(0.6, 1.0, len(hhs)), 2)
    health = rng.choice(3, size=len(member), p=[0.6, 0.28, 0.12])
    members = pa.table(
        {
            "h": hp,
            "seq": seq,
            "成员序号": mno,
            "姓名": w.name.take(pa.array(member)),
            "身份证号码": written_id,
            "与户主关系": take(MZ_REL, p.relation[member]),
            "性别": take(("", "男", "女"), p.sex[member]),
            "出生日期": fmt_date(p.birth[member], "iso"),
            "健康状况": take(("健康", "慢性病", "残疾"), health),
        }
    )
    households = pa.table(
        {
            "h": np.arange(len(hhs)),
            "低保证号": cert,
            "户主姓名": w.name.take(pa.array(p.hh_head[hhs])),
            "户主身份证号": matrix_text(id_matrix(p, p.hh_head[hhs])),
            "家庭住址": w.places.address.take(pa.array(hhs)),
            "保障类别": pc.if_else(pa.array(urban), "城市低保", "农村低保"),
            "保障人数": size,
            "月保障金额": amount,
            "审批日期": fmt_date(approved, "iso"),
            "所属乡镇": take(w.city.town_names, w.places.town[hhs]),
        }
    )
    con = duckdb.connect()
    con.register("members", members)
    con.register("households", households)
    mcols = ", ".join(f"'{c}': \"{c}\"" for c in members.column_names if c not in ("h", "seq"))
    hcols = ", ".join(f"'{c}': h.\"{c}\"" for c in households.column_names if c != "h")
    text = con.execute(
        f"""
        WITH m AS (SELECT h, list({{{mcols}}} ORDER BY seq) AS members FROM members GROUP BY h)
        SELECT to_json({{'导出时间': '{AS_OF.isoformat()} 18:00:00', '行政区划': '{w.city.code}',
                         'data': {{'total': count(*),
                                   'households': list({{{hcols}, 'members': m.members}} ORDER BY h.h)}}}})
        FROM households h JOIN m USING (h)
        """
    ).fetchone()
    con.close()
    assert text is not None
    return Built(MZ, {}, member, np.full(len(member), -1), keys, json_text=str(text[0]))


GL = Spec(
    code="MZ-GLBT",
    name="高龄津贴发放名册",
    name_en="Old-age subsidy payments",
    department="MZ",
    file="data/民政_高龄津贴.json",
    format="json",
    encoding="utf-8",
    columns=(
        Col("流水号", "payment_no", "发放流水号", key=True),
        Col("姓名", "name", "姓名", standard="name", required=True, pi="identity"),
        Col("身份证号", "id_number", "身份证号", standard="idcard", pi="identity", on_invalid="flag"),
        Col("年龄", "age", "年龄", type="integer"),
        Col("发放月份", "month", "发放月份", type="date", standard="date"),
        Col("补贴标准", "rate", "补贴标准（元/月）", type="decimal", scale=2, min=0),
        Col("发放金额", "amount", "发放金额（元）", type="decimal", scale=2, min=0),
        Col("所在乡镇", "town", "所在乡镇（街道）"),
        Col("发放方式", "method", "发放方式"),
    ),
    summary="80周岁以上老年人高龄津贴的月度发放名册。",
    classification=("部门信息资源", "社会福利", "老年人福利"),
    sharing="unconditional",
    sharing_condition=None,
    sharing_method="接口",
    update_cycle="monthly",
    security_grade="general",
    related=("GA-HJRK",),
    tags=("养老服务", "高龄津贴"),
    messes=("payments after death (noise.subsidy_after_death of the dead recipients)",),
)


def build_gl(w: World, changes: Changes) -> Built:
    import duckdb

    p, rng, nz = w.people, w.rng, w.noise
    old = np.flatnonzero((p.age >= 80) & (p.status != MOVED_OUT))
    dead = p.status[old] == DEAD
    on = dead & (rng.random(len(old)) < nz.subsidy_after_death)
    pi = np.repeat(np.arange(len(old)), len(MONTHS))
    mi = np.tile(np.arange(len(MONTHS)), len(old))
    paid = ~dead[pi] | (p.status_date[old][pi] >= MONTHS[mi]) | on[pi]
    pi, mi = pi[paid], mi[paid]
    order = np.lexsort((pi, mi))
    pi, mi = pi[order], mi[order]
    idx = old[pi]
    keys = cat("GL", fmt_date(MONTHS[mi], "yyyymm"), num(np.arange(1, len(idx) + 1), 7))
    true_id, written_id, kinds = mess_ids(p, idx, rng, typo=nz.id_typo, lower_x=nz.lowercase_x)
    _ids_changes(changes, GL, keys, "身份证号", true_id, written_id, kinds)
    age = p.age[idx]
    rate = np.where(age >= 100, 300, np.where(age >= 90, 100, 50))
    t = pa.table(
        {
            "流水号": keys,
            "姓名": w.name.take(pa.array(idx)),
            "身份证号": written_id,
            "年龄": age,
            "发放月份": fmt_date(MONTHS[mi], "month"),
            "补贴标准": rate,
            "发放金额": rate,
            "所在乡镇": take(w.city.town_names, w.places.town[p.hh[idx]]),
            "发放方式": pa.array(["社会化发放"] * len(idx), pa.string()),
        }
    )
    con = duckdb.connect()
    con.register("t", t)
    cols = ", ".join(f"'{c}': \"{c}\"" for c in t.column_names)
    row = con.execute(f"SELECT to_json(coalesce(list({{{cols}}}), [])) FROM t").fetchone()
    con.close()
    assert row is not None
    return Built(GL, {}, idx, np.full(len(idx), -1), keys, json_text=str(row[0]), period=MONTHS[mi])


# ---------------------------------------------------------------------------------------------
# 教育 中小学学籍

STAGES = ("小学", "初中", "高中")
GRADES = (
    "一年级",
    "二年级",
    "三年级",
    "四年级",
    "五年级",
    "六年级",
    "初一",
    "初二",
    "初三",
    "高一",
    "高二",
    "高三",
)
JY = Spec(
    code="JY-XJXX",
    name="中小学生学籍信息",
    name_en="School enrolment",
    department="JY",
    file="data/教育_中小学学籍.csv",
    format="csv",
    encoding="utf-8",
    columns=(
        Col("全国学籍号", "student_no", "全国学籍号", key=True, pi="minor"),
        Col("姓名", "name", "学生姓名", standard="name", required=True, pi="minor"),
        Col("性别", "sex", "性别", standard="sex", values={"M": "1", "F": "2"}),
        Col("身份证件号", "id_number", "身份证件号", standard="idcard", pi="minor", on_invalid="flag"),
        Col("民族", "ethnic", "民族", standard="ethnic"),
        Col("出生日期", "birth_date", "出生日期", type="date", standard="date", pi="minor"),
        Col("学校名称", "school_name", "学校名称", required=True),
        Col("学校标识码", "school_code", "学校标识码"),
        Col("学段", "stage", "学段", allowed=STAGES),
        Col("年级", "grade", "年级", allowed=GRADES),
        Col("班级", "class_name", "班级"),
        Col("入学年月", "enrolled", "入学年月", type="date", standard="date"),
        Col("家庭住址", "address", "家庭住址", standard="address", pi="minor"),
        Col("监护人姓名", "guardian_name", "监护人姓名", standard="name", pi="identity"),
        Col("监护人电话", "guardian_phone", "监护人联系电话", standard="phone", pi="contact"),
        Col("学籍状态", "status", "学籍状态", allowed=("在读", "转出")),
    ),
    summary="全市义务教育和普通高中在籍学生的学籍信息。",
    classification=("部门信息资源", "教育", "学籍管理"),
    sharing="conditional",
    sharing_condition="涉及未成年人信息，仅限教育资助、义务教育入学核验和困境儿童保障使用",
    sharing_method="接口",
    update_cycle="semiannual",
    security_grade="important",
    related=("GA-HJRK",),
    tags=("教育", "学籍", "未成年人"),
    messes=("sex written M/F (mapped in the mapping)", "old addresses of movers", "wrong ID digits"),
)


def build_jy(w: World, changes: Changes) -> Built:
    p, rng, nz = w.people, w.rng, w.noise
    sept = np.datetime64(f"{AS_OF.year}-09-01", "D")
    age_sept = ((sept - p.birth).astype(np.int64) / 365.2425).astype(np.int64)
    student = (age_sept >= 6) & (age_sept <= 17) & (p.status != DEAD)
    idx = np.flatnonzero(student)
    town = w.places.town[p.hh[idx]]
    county = w.places.county[p.hh[idx]]
    grade = age_sept[idx] - 6
    stage = np.where(grade < 6, 0, np.where(grade < 9, 1, 2))
    order = np.lexsort((idx, grade, town))
    idx, town, county, grade, stage = idx[order], town[order], county[order], grade[order], stage[order]
    # schools: primary and junior in each town (urban towns: three to choose from), senior per county
    variants = list(words("school"))
    k = np.where(w.city.town_seat[town], rng.integers(0, 3, size=len(idx)), 0)
    cn = take(w.city.county_names, county)
    tn = take(w.city.town_names, town)
    urban_town = pa.array(w.city.town_seat[town])
    vw = take(variants, (town * 3 + k) % len(variants))
    primary = pc.if_else(urban_town, cat(cn, tn, vw, "小学"), cat(cn, tn, "中心小学"))
    junior = pc.if_else(urban_town, cat(cn, vw, "中学"), cat(cn, tn, "初级中学"))
    senior_no = rng.integers(1, 3, size=len(idx))
    senior = cat(cn, "第", take(("", "一", "二"), senior_no), "中学")
    school = pc.if_else(pa.array(stage == 0), primary, pc.if_else(pa.array(stage == 1), junior, senior))
    sc_key = np.where(stage == 2, county * 10 + senior_no, 1000 + (town * 3 + k) * 2 + stage)
    school_code = cat("2", pa.array(np.array(w.city.county_codes)[county]), num(sc_key % 1000, 3))
    keys = cat("G", matrix_text(id_matrix(p, idx)))
    true_id, written_id, kinds = mess_ids(p, idx, rng, typo=nz.id_typo, lower_x=nz.lowercase_x)
    _ids_changes(changes, JY, keys, "身份证件号", true_id, written_id, kinds)
    addr, _ = w.stale_address(idx, nz.stale_address)
    guardian = np.where(
        p.father[idx] >= 0, p.father[idx], np.where(p.mother[idx] >= 0, p.mother[idx], p.hh_head[p.hh[idx]])
    )
    gphone = p.phone[guardian]
    enrolled = np.array(
        [f"{AS_OF.year - g % 6 if g < 6 else AS_OF.year - (g - 6) % 3}-09" for g in range(12)]
    )[grade]
    status = np.where(p.status[idx] == MOVED_OUT, 1, 0)
    eth_names = [n for n in w.vocab.ethnic_names]
    cols = {
        "全国学籍号": keys,
        "姓名": w.name.take(pa.array(idx)),
        "性别": take(("", "M", "F"), p.sex[idx]),
        "身份证件号": written_id,
        "民族": take(eth_names, p.ethnic[idx]),
        "出生日期": fmt_date(p.birth[idx], "iso"),
        "学校名称": school,
        "学校标识码": school_code,
        "学段": take(STAGES, stage),
        "年级": take(GRADES, grade),
        "班级": cat(num(rng.integers(1, 9, size=len(idx))), "班"),
        "入学年月": pa.array(enrolled.tolist(), pa.string()),
        "家庭住址": addr,
        "监护人姓名": w.name.take(pa.array(guardian)),
        "监护人电话": pc.if_else(pa.array(gphone > 0), num(gphone), pa.nulls(len(idx), pa.string())),
        "学籍状态": take(("在读", "转出"), status),
    }
    return Built(JY, cols, idx, np.full(len(idx), -1), keys)


# ---------------------------------------------------------------------------------------------
# 市场监管 市场主体登记 (xlsx, a title row above the header)

SJ = Spec(
    code="SJ-SCZT",
    name="市场主体登记信息",
    name_en="Market entity registry",
    department="SJ",
    file="data/市场监管_市场主体登记.xlsx",
    format="excel",
    encoding="binary",
    resource_format="spreadsheet",
    header_row=2,
    columns=(
        Col("统一社会信用代码", "uscc", "统一社会信用代码", standard="uscc", key=True),
        Col("市场主体名称", "name", "市场主体名称", required=True),
        Col("市场主体类型", "entity_type", "市场主体类型"),
        Col("法定代表人", "legal_rep", "法定代表人（负责人、经营者）", standard="name", pi="identity"),
        Col(
            "法定代表人证件号码",
            "legal_rep_id",
            "法定代表人证件号码",
            standard="idcard",
            pi="identity",
            on_invalid="flag",
        ),
        Col("注册资本（万元）", "capital", "注册资本（万元）", type="decimal", scale=4, min=0),
        Col("成立日期", "established", "成立日期", type="date", standard="date"),
        Col("住所", "address", "住所（经营场所）", standard="address"),
        Col("登记状态", "status", "登记状态", allowed=MARKET_STATUS),
        Col("注销日期", "cancelled", "注销（吊销）日期", type="date", standard="date"),
        Col("登记机关", "authority", "登记机关"),
    ),
    summary="企业、个体工商户和农民专业合作社的登记信息，法人基础库的权威来源。",
    classification=("基础信息资源", "法人单位信息", "市场主体"),
    kind="base",
    sharing="unconditional",
    sharing_condition=None,
    sharing_method="接口",
    update_cycle="daily",
    security_grade="general",
    tags=("法人", "市场主体", "权威来源", "法人库"),
    messes=(
        "wrong characters in credit codes (noise.uscc_typo)",
        "a title row above the header",
        "dates as Excel dates",
    ),
)


def build_sj(w: World, changes: Changes) -> Built:
    e, p, rng, nz = w.entities, w.people, w.rng, w.noise
    idx = np.flatnonzero(e.market)
    idx = idx[np.lexsort((idx, e.established[idx]))]
    true = e.uscc.take(pa.array(idx))
    raw = np.frombuffer(pc.cast(true, pa.binary(18)).buffers()[1], dtype=np.uint8).reshape(-1, 18).copy()
    bad = np.flatnonzero(rng.random(len(idx)) < nz.uscc_typo)
    pos = rng.integers(0, 17, size=len(bad))
    alpha = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
    lookup = np.zeros(256, dtype=np.int64)
    lookup[alpha] = np.arange(31)
    cur = lookup[raw[bad, pos]]
    raw[bad, pos] = alpha[(cur + rng.integers(1, 31, size=len(bad))) % 31]
    written = matrix_text(raw)
    keys = true  # the registry's key is the credit code it should have
    changes.add(SJ.code, bad, keys, "统一社会信用代码", "uscc", "uscc_typo", true, written, False)
    rep = e.legal_rep[idx]
    cols = {
        "统一社会信用代码": written,
        "市场主体名称": e.name.take(pa.array(idx)),
        "市场主体类型": e.type_label.take(pa.array(idx)),
        "法定代表人": w.name.take(pa.array(rep)),
        "法定代表人证件号码": matrix_text(id_matrix(p, rep)),
        "注册资本（万元）": pa.array(e.capital[idx]),
        "成立日期": pa.array(e.established[idx]),
        "住所": e.address.take(pa.array(idx)),
        "登记状态": take(MARKET_STATUS, e.status[idx]),
        "注销日期": pa.array(e.cancelled[idx]),
        "登记机关": e.authority.take(pa.array(idx)),
    }
    return Built(SJ, cols, np.full(len(idx), -1), idx, keys)


# ---------------------------------------------------------------------------------------------
# 交警 机动车登记

JJ = Spec(
    code="JJ-JDCXX",
    name="机动车登记信息",
    name_en="Motor vehicle registrations",
    department="JJ",
    file="data/交警_机动车登记.csv",
    format="csv",
    encoding="utf-8",
    columns=(
        Col("号牌号码", "plate_no", "号牌号码", key=True),
        Col(
            "号牌种类",
            "plate_type",
            "号牌种类",
            allowed=("01", "02", "52"),
            description="GA 24.7: 01 大型汽车, 02 小型汽车, 52 小型新能源汽车",
        ),
        Col("车辆类型", "vehicle_type", "车辆类型", description="GA 24.4: K33 轿车, H11 重型普通货车"),
        Col("中文品牌", "brand", "中文品牌"),
        Col(
            "车身颜色",
            "color",
            "车身颜色",
            allowed=COLORS,
            description="GA 24.8: A 白, B 灰, E 红, H 蓝, J 黑",
        ),
        Col("机动车所有人", "owner_name", "机动车所有人", pi="identity"),
        Col("身份证明名称", "owner_id_type", "身份证明名称", allowed=("居民身份证", "统一社会信用代码")),
        Col(
            "身份证明号码",
            "owner_id",
            "身份证明号码",
            pi="identity",
            description="居民身份证号码或统一社会信用代码（按身份证明名称）",
        ),
        Col("住所地址", "address", "住所地址", standard="address", pi="contact"),
        Col("联系电话", "phone", "联系电话", standard="phone", pi="contact"),
        Col("初次登记日期", "registered", "初次登记日期", type="date", standard="date"),
        Col(
            "机动车状态",
            "status",
            "机动车状态",
            allowed=VEHICLE_STATUS,
            description="A 正常, G 违法未处理, Q 逾期未检验, E 注销",
        ),
    ),
    summary="本市登记的机动车及其所有人。",
    classification=("部门信息资源", "公安交通管理", "机动车登记"),
    sharing="conditional",
    sharing_condition="用于社会救助家庭经济状况核对和执法协查，须经公安交管部门审核",
    sharing_method="接口",
    update_cycle="daily",
    security_grade="important",
    related=("GA-HJRK", "SJ-SCZT"),
    tags=("车辆", "交通"),
    messes=("owner ID numbers and credit codes in one column", "old addresses of movers", "wrong ID digits"),
)


def build_jj(w: World, changes: Changes) -> Built:
    v, p, e, rng, nz = w.vehicles, w.people, w.entities, w.rng, w.noise
    idx = np.lexsort((np.arange(v.n), v.registered))
    op, oe = v.owner_person[idx], v.owner_entity[idx]
    is_p = op >= 0
    psafe = np.maximum(op, 0)
    esafe = np.maximum(oe, 0)
    keys = v.plate.take(pa.array(idx))
    true_id, written_id, kinds = mess_ids(p, psafe, rng, typo=nz.id_typo, lower_x=nz.lowercase_x)
    kinds = [(k, rows[is_p[rows]], valid) for k, rows, valid in kinds]
    _ids_changes(changes, JJ, keys, "身份证明号码", true_id, written_id, kinds)
    mask = pa.array(is_p)
    addr, _ = w.stale_address(psafe, nz.stale_address)
    phone = pc.if_else(
        pa.array(is_p & (p.phone[psafe] > 0)), num(p.phone[psafe]), pa.nulls(len(idx), pa.string())
    )
    ptype = np.where(v.truck[idx], "01", np.where(v.new_energy[idx], "52", "02"))
    cols = {
        "号牌号码": keys,
        "号牌种类": pa.array(ptype.tolist(), pa.string()),
        "车辆类型": pc.if_else(pa.array(v.truck[idx]), "H11", "K33"),
        "中文品牌": take(words("vehicle_brand"), v.brand[idx]),
        "车身颜色": take(COLORS, v.color[idx]),
        "机动车所有人": pc.if_else(mask, w.name.take(pa.array(psafe)), e.name.take(pa.array(esafe))),
        "身份证明名称": pc.if_else(mask, "居民身份证", "统一社会信用代码"),
        "身份证明号码": pc.if_else(mask, written_id, e.uscc.take(pa.array(esafe))),
        "住所地址": pc.if_else(mask, addr, e.address.take(pa.array(esafe))),
        "联系电话": phone,
        "初次登记日期": cat(
            fmt_date(v.registered[idx], "iso"), " 09:", num(rng.integers(0, 60, size=len(idx)), 2), ":00"
        ),
        "机动车状态": take(VEHICLE_STATUS, v.status[idx]),
    }
    return Built(JJ, cols, np.where(is_p, op, -1), np.where(is_p, -1, oe), keys)


# ---------------------------------------------------------------------------------------------
# 网格员 入户采集 (the messiest)

WG = Spec(
    code="WG-RKCJ",
    name="网格员入户采集人口信息",
    name_en="Door-to-door collection by grid workers",
    department="WG",
    file="data/网格员_入户采集.csv",
    format="csv",
    encoding="gbk",
    null_values=("", "无", "/"),
    columns=(
        Col("序号", "record_no", "采集序号", key=True),
        Col("所属网格", "grid_code", "所属网格编码"),
        Col("网格员", "collector", "网格员姓名", pi="identity"),
        Col("姓名", "name", "姓名", standard="name", required=True, pi="identity"),
        Col("证件号码", "id_number", "证件号码", standard="idcard", pi="identity", on_invalid="flag"),
        Col("性别", "sex", "性别", standard="sex"),
        Col("出生年月", "birth_date", "出生日期", type="date", standard="date", pi="identity"),
        Col("联系方式", "phone", "联系电话", standard="phone", pi="contact"),
        Col("现居住地址", "address", "现居住地址", standard="address", pi="whereabouts"),
        Col("人员类型", "person_type", "人员类型", allowed=("户籍人口", "流动人口", "独居老人", "留守儿童")),
        Col("采集日期", "collected", "采集日期", type="date", standard="date"),
        Col("备注", "note", "备注"),
    ),
    summary="网格员入户走访采集的实有人口信息。",
    classification=("部门信息资源", "基层治理", "实有人口"),
    sharing="conditional",
    sharing_condition="仅限基层治理、应急和民生服务使用",
    sharing_method="文件",
    update_cycle="irregular",
    resource_format="file",
    security_grade="important",
    related=("GA-HJRK",),
    tags=("网格", "实有人口", "入户采集"),
    messes=(
        "homophone name errors (noise.grid_homophone), wrong ID digits (noise.grid_id_typo), "
        "missing IDs (noise.grid_missing_id), 15-digit IDs",
        "free-text addresses (noise.grid_free_address)",
        "mixed date formats (2019-4-30, 2019/04/30, 2019.4.30, 20190430, 2019年4月30日, 1990年3月, "
        "Excel serials)",
        "sex written 男/女/男性/M/1, phones with spaces, +86 and dashes, placeholders 无 and /",
        "people collected twice (noise.grid_duplicate)",
    ),
)


def build_wg(w: World, changes: Changes) -> Built:
    p, rng, nz = w.people, w.rng, w.noise
    n_cells = w.places.cells.num_rows
    visited = rng.random(n_cells) < nz.grid_coverage
    cell = w.places.cell[p.hh]
    idx = np.flatnonzero(visited[cell] & (p.status == ALIVE))
    dup = idx[rng.random(len(idx)) < nz.grid_duplicate]
    idx = np.concatenate([idx, dup])
    order = np.lexsort((rng.random(len(idx)), cell[idx]))
    idx = idx[order]
    n = len(idx)
    keys = num(np.arange(1, n + 1))
    adults = np.flatnonzero((p.age >= 25) & (p.age <= 55) & (p.status == ALIVE))
    collectors = adults[rng.integers(len(adults), size=n_cells)]
    year = p.birth[idx].astype("datetime64[Y]").astype(np.int64) + 1970
    missing = rng.random(n) < nz.grid_missing_id
    legacy = (year < 1985) & (rng.random(n) < 0.05) & ~missing
    true_id, written_id, kinds = mess_ids(
        p, idx, rng, typo=nz.grid_id_typo, lower_x=nz.lowercase_x, legacy15=legacy, missing=missing
    )
    _ids_changes(changes, WG, keys, "证件号码", true_id, written_id, kinds)
    true_name = w.name.take(pa.array(idx))
    homo = rng.random(n) < nz.grid_homophone
    name = homophone_names(p, w.vocab, idx, homo, rng)
    _name_change(changes, WG, keys, "姓名", true_name, name, "homophone", np.flatnonzero(homo))
    sex_style = rng.choice(4, size=n, p=[0.7, 0.1, 0.1, 0.1])
    sex_text = np.array([["", "男", "女"], ["", "男性", "女性"], ["", "M", "F"], ["", "1", "2"]])[
        sex_style, p.sex[idx]
    ]
    styles = ["iso_short", "slash_padded", "dot", "compact", "chinese", "chinese_month", "excel", "iso"]
    birth = mixed_dates(p.birth[idx], styles, [0.2, 0.15, 0.1, 0.15, 0.15, 0.05, 0.05, 0.15], rng)
    ph_style = rng.choice(4, size=n, p=[0.55, 0.2, 0.15, 0.1])
    phone = written_phone(p.phone[idx], ph_style)
    phone = pc.if_else(pa.array((p.phone[idx] == 0) & (rng.random(n) < 0.5)), "无", phone)
    free = rng.random(n) < nz.grid_free_address
    hh = pa.array(p.hh[idx])
    short = w.places.address_short.take(hh)
    addr = pc.if_else(
        pa.array(free),
        pc.if_else(pa.array(rng.random(n) < 0.5), w.places.address_free.take(hh), short),
        w.places.address.take(hh),
    )
    single = np.bincount(p.hh, minlength=p.n_hh)[p.hh[idx]] == 1
    ptype = np.where(
        (p.age[idx] >= 65) & single,
        "独居老人",
        np.where(p.born_elsewhere[idx] & (p.age[idx] < 50), "流动人口", "户籍人口"),
    )
    as_of_i = np.datetime64(AS_OF.isoformat(), "D").astype(np.int64)
    cdate = (as_of_i - rng.integers(0, 300, size=n_cells)).astype("datetime64[D]")[cell[idx]]
    collected = mixed_dates(cdate, ["iso", "slash", "compact", "chinese"], [0.4, 0.3, 0.15, 0.15], rng)
    note_pick = rng.choice(5, size=n, p=[0.7, 0.1, 0.08, 0.07, 0.05])
    cols = {
        "序号": keys,
        "所属网格": w.places.cells.column("grid_code").combine_chunks().take(pa.array(cell[idx])),
        "网格员": w.name.take(pa.array(collectors[cell[idx]])),
        "姓名": name,
        "证件号码": pc.if_else(pa.array(missing & (rng.random(n) < 0.5)), "/", pc.fill_null(written_id, "")),
        "性别": pa.array(sex_text.tolist(), pa.string()),
        "出生年月": birth,
        "联系方式": phone,
        "现居住地址": addr,
        "人员类型": pa.array(ptype.tolist(), pa.string()),
        "采集日期": collected,
        "备注": take(("", "已核实", "户主外出务工", "电话未接通", "租户"), note_pick),
    }
    return Built(WG, cols, idx, np.full(n, -1), keys)


# ---------------------------------------------------------------------------------------------

SPECS: tuple[Spec, ...] = (GA, WJ, RS, MZ, GL, JY, SJ, JJ, WG)
BUILDERS: dict[str, Callable[[World, Changes], Built]] = {
    GA.code: build_ga,
    WJ.code: build_wj,
    RS.code: build_rs,
    MZ.code: build_mz,
    GL.code: build_gl,
    JY.code: build_jy,
    SJ.code: build_sj,
    JJ.code: build_jj,
    WG.code: build_wg,
}


def build_all(w: World, changes: Changes, on_step: Callable[[str], None] | None = None) -> list[Built]:
    out = []
    for spec in SPECS:
        if on_step is not None:
            on_step(spec.code)
        out.append(BUILDERS[spec.code](w, changes))
    return out


# ---------------------------------------------------------------------------------------------
# writing


def _csv_chunks(columns: dict[str, pa.Array], delimiter: str, rows: int = 200_000) -> Iterator[str]:
    """CSV text in pieces of ``rows`` lines: values quoted only where they hold the delimiter, a
    quote or a line break."""
    special = '[|"\n\r]' if delimiter == "|" else f'[{delimiter}"\n\r]'

    def quote(a: pa.Array) -> pa.Array:
        a = pc.fill_null(pc.cast(a, pa.string()), "")
        needs = pc.match_substring_regex(a, special)
        if not pc.any(needs).as_py():
            return a
        q = cat('"', pc.replace_substring(a, '"', '""'), '"')
        return pc.if_else(needs, q, a)

    yield delimiter.join(columns) + "\n"
    arrays = list(columns.values())
    n = len(arrays[0]) if arrays else 0
    for start in range(0, n, rows):
        part = [quote(_flat(a.slice(start, rows))) for a in arrays]
        lines = _flat(pc.binary_join_element_wise(*part, delimiter))
        offsets = pa.array([0, len(lines)], pa.int32())
        yield pc.binary_join(pa.ListArray.from_arrays(offsets, lines), "\n")[0].as_py() + "\n"


def _flat(a: pa.Array | pa.ChunkedArray) -> pa.Array:
    return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a


def _write_text(path: Path, chunks: Iterable[str], encoding: str) -> None:
    """Write text pieces in the file's encoding (GBK through Python's codec, a piece at a time)."""
    enc = codecs.getincrementalencoder("gbk" if encoding == "gbk" else "utf-8")()
    with path.open("wb") as f:
        if encoding == "utf-8-sig":
            f.write(codecs.BOM_UTF8)
        for text in chunks:
            f.write(enc.encode(text))
        f.write(enc.encode("", final=True))


#: a fixed time for the metadata of the XLSX file, so that a seed gives the same bytes
_XLSX_TIME = dt.datetime(2025, 12, 31, 18, 0, 0)


def _write_xlsx(path: Path, built: Built, city_name: str) -> None:
    import importlib

    openpyxl = importlib.import_module("openpyxl")  # no type stubs
    WriteOnlyCell = importlib.import_module("openpyxl.cell").WriteOnlyCell

    wb = openpyxl.Workbook(write_only=True)
    wb.properties.creator = "shuzhi demo"
    ws = wb.create_sheet("市场主体")
    ws.append([f"{city_name}市场主体登记信息（截至{AS_OF.year}年{AS_OF.month}月{AS_OF.day}日）"])
    ws.append(list(built.columns))
    cols = [a.to_pylist() for a in built.columns.values()]  # the smallest dataset: tens of thousands
    date_cols = {i for i, a in enumerate(built.columns.values()) if pa.types.is_date(a.type)}
    for row in zip(*cols, strict=True):
        cells: list[object] = []
        for i, v in enumerate(row):
            if i in date_cols and v is not None:
                c = WriteOnlyCell(ws, value=v)
                c.number_format = "yyyy-mm-dd"
                cells.append(c)
            else:
                cells.append(v)
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    # make the bytes reproducible: fixed document times and zip entry dates
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    stamp = _XLSX_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                import re

                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), data)
            zi = zipfile.ZipInfo(info.filename, date_time=_XLSX_TIME.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, data)
    path.write_bytes(out.getvalue())


def write_dataset(built: Built, out: Path, city_name: str) -> None:
    path = out / built.spec.file
    path.parent.mkdir(parents=True, exist_ok=True)
    spec = built.spec
    if spec.format == "json":
        assert built.json_text is not None
        path.write_text(built.json_text + "\n", encoding="utf-8")
    elif spec.format == "excel":
        _write_xlsx(path, built, city_name)
    else:
        _write_text(path, _csv_chunks(built.columns, spec.delimiter), spec.encoding)
