"""Legal entities (enterprises, individual businesses, co-operatives, social organisations,
public institutions and organs) with valid unified social credit codes, and motor vehicles."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shuzhi.demo.city._data import cat, take, words
from shuzhi.demo.city._geo import City, Places
from shuzhi.demo.city._people import AS_OF, DEAD, MOVED_OUT, People

__all__ = [
    "KINDS",
    "USCC_ALPHABET",
    "Entities",
    "Vehicles",
    "make_entities",
    "make_vehicles",
    "uscc_check_index",
]

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_W = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_ORG_W = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ORG_VALUE = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}

#: kind -> (authority char, type char, per 1000 people, Chinese label)
KINDS: dict[str, tuple[str, str, float, str]] = {
    "enterprise": ("9", "1", 18.0, "企业"),
    "individual": ("9", "2", 12.0, "个体工商户"),
    "cooperative": ("9", "3", 1.5, "农民专业合作社"),
    "social": ("5", "1", 0.8, "社会团体"),
    "institution": ("1", "2", 0.6, "事业单位"),
    "organ": ("1", "1", 0.3, "机关"),
}
_SHOPS = (
    "面馆",
    "便利店",
    "五金店",
    "理发店",
    "超市",
    "水果店",
    "汽车修理部",
    "饭店",
    "服装店",
    "烟酒店",
    "药店",
    "家电维修部",
)
_FORMS = (
    ("有限公司", "有限责任公司（自然人投资或控股）"),
    ("有限责任公司", "有限责任公司（自然人独资）"),
    ("股份有限公司", "股份有限公司（非上市、自然人投资或控股）"),
)
_COOPS = ("种植", "养殖", "农机", "中药材种植", "蔬菜种植")
_SOCIAL = ("个体劳动者协会", "老年人体育协会", "商会", "慈善协会", "书法家协会", "青年创业促进会")
_INSTITUTIONS = ("人民医院", "中医院", "疾病预防控制中心", "图书馆", "综合检验检测中心", "职业技术学校")
_ORGANS = ("人民政府办公室", "发展和改革局", "财政局", "自然资源局", "住房和城乡建设局", "农业农村局")
MARKET_STATUS = ("存续", "在业", "吊销", "注销")


def uscc_check_index(values: np.ndarray) -> np.ndarray:
    """Check-character index (into :data:`USCC_ALPHABET`) of 17 alphabet values per row."""
    result: np.ndarray = (31 - (values @ _USCC_W) % 31) % 31
    return result


@dataclass(slots=True)
class Entities:
    n: int
    kind: np.ndarray  # names of KINDS
    uscc: pa.Array
    name: pa.Array
    type_label: pa.Array
    legal_rep: np.ndarray  # person index
    capital: np.ndarray  # 万元, 2 decimals
    established: np.ndarray  # datetime64[D]
    status: np.ndarray  # index into MARKET_STATUS (non-market entities: 0)
    cancelled: np.ndarray  # datetime64[D], NaT
    county: np.ndarray
    address: pa.Array
    authority: pa.Array

    @property
    def active(self) -> np.ndarray:
        return self.status <= 1

    @property
    def market(self) -> np.ndarray:
        return np.isin(self.kind, ("enterprise", "individual", "cooperative"))

    def subset(self, idx: np.ndarray) -> Entities:
        sel = pa.array(idx)
        return Entities(
            n=len(idx),
            kind=self.kind[idx],
            uscc=self.uscc.take(sel),
            name=self.name.take(sel),
            type_label=self.type_label.take(sel),
            legal_rep=self.legal_rep[idx],
            capital=self.capital[idx],
            established=self.established[idx],
            status=self.status[idx],
            cancelled=self.cancelled[idx],
            county=self.county[idx],
            address=self.address.take(sel),
            authority=self.authority.take(sel),
        )


def _uscc(kinds: np.ndarray, region: np.ndarray, year: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Codes as an (n, 18) array of alphabet values; the subject is an organisation code with its
    own GB 11714 check (``MA`` + 6 characters since 2015, 8 digits before)."""
    n = len(kinds)
    vals = np.zeros((n, 18), dtype=np.int64)
    for k, (a, t, _, _) in KINDS.items():
        sel = kinds == k
        vals[sel, 0] = USCC_ALPHABET.index(a)
        vals[sel, 1] = USCC_ALPHABET.index(t)
    digits = (region[:, None] // (10 ** np.arange(5, -1, -1))) % 10
    vals[:, 2:8] = digits
    new = year >= 2015
    digits8 = rng.integers(0, 10, size=(n, 8))
    letters = rng.integers(0, 31, size=(n, 6))
    ma = np.tile([USCC_ALPHABET.index("M"), USCC_ALPHABET.index("A")], (n, 1))
    alph_vals = np.where(new[:, None], np.concatenate([ma, letters], axis=1), digits8)
    # the organisation-code value of each alphabet character (A=10 … Z=35)
    to_org = np.array([_ORG_VALUE[c] for c in USCC_ALPHABET])
    c = 11 - (to_org[alph_vals] @ _ORG_W) % 11
    check = np.where(c == 10, USCC_ALPHABET.index("X"), np.where(c == 11, 0, c))
    vals[:, 8:16] = alph_vals
    vals[:, 16] = check
    vals[:, 17] = uscc_check_index(vals[:, :17])
    return vals


def _raw(vals: np.ndarray) -> np.ndarray:
    lut = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
    raw: np.ndarray = np.ascontiguousarray(lut[vals]).view(f"S{vals.shape[1]}").ravel()
    return raw


def codes_to_text(vals: np.ndarray) -> pa.Array:
    """Rows of alphabet values as text."""
    return pc.cast(pa.array(_raw(vals)), pa.string())


def make_entities(
    people: People, places: Places, city: City, vocab_surnames: list[str], rng: np.random.Generator
) -> Entities:
    per = np.array([v[2] for v in KINDS.values()])
    counts = np.maximum(1, np.round(per * people.n / 1000).astype(np.int64))
    kind = np.repeat(np.array(list(KINDS)), counts)
    n = len(kind)
    as_of = np.datetime64(AS_OF.isoformat(), "D")
    as_of_i = as_of.astype(np.int64)
    start = np.where(kind == "individual", np.datetime64("2005-01-01"), np.datetime64("1992-01-01")).astype(
        "datetime64[D]"
    )
    established = rng.integers(start.astype(np.int64), as_of_i - 10).astype("datetime64[D]")
    year = established.astype("datetime64[Y]").astype(np.int64) + 1970
    nc = len(city.county_codes)
    county = rng.choice(nc, size=n, p=city.county_weights)
    city_level = rng.random(n) < 0.3
    region = np.where(city_level, int(city.code), np.array(city.county_codes, dtype=np.int64)[county])

    # legal representatives: adults of the city (men twice as likely), some at the head of several
    adult = np.flatnonzero((people.age >= 25) & (people.age <= 75) & (people.status != MOVED_OUT))
    w = np.where(people.sex[adult] == 1, 2.0, 1.0)
    rep = adult[rng.choice(len(adult), size=n, p=w / w.sum())]
    # a representative was alive when the entity was set up; the dead ones are rare and real
    dead_before = (people.status[rep] == DEAD) & (people.status_date[rep] < established)
    rep[dead_before] = adult[rng.integers(len(adult), size=int(dead_before.sum()))]

    # names: enterprises and co-operatives unique (drawn again where taken); organs, institutions
    # and social organisations enumerated (their number is capped by the combinations)
    prefixes = [city.name, *city.county_names]
    prefix_i = np.where(city_level, 0, county + 1)
    fixed = {
        "social": [p + t for p in prefixes for t in _SOCIAL],
        "institution": [p + t for p in prefixes for t in _INSTITUTIONS]
        + [city.county_names[int(city.town_county[i])] + t + "卫生院" for i, t in enumerate(city.town_names)],
        "organ": [p + t for p in prefixes for t in _ORGANS]
        + [
            city.county_names[int(city.town_county[i])] + t + "人民政府"
            for i, t in enumerate(city.town_names)
        ],
    }
    keep = np.ones(n, dtype=bool)
    name_list: list[str | None] = [None] * n
    for k, combos in fixed.items():
        sel = np.flatnonzero(kind == k)
        chosen = rng.permutation(len(combos))[: len(sel)]
        keep[sel[len(chosen) :]] = False
        for i, c in zip(sel[: len(chosen)], chosen, strict=True):  # a few hundred organisations
            name_list[i] = combos[c]
    brands = _brands()
    inds = words("industry")
    form = rng.choice(len(_FORMS), size=n, p=[0.75, 0.15, 0.10])
    shop = cat(
        take(city.county_names, county),
        take(vocab_surnames, people.surname[rep]),
        "记",
        take(_SHOPS, rng.integers(len(_SHOPS), size=n)),
    ).to_numpy(zero_copy_only=False)
    drawn = np.array(name_list, dtype=object)
    ind_sel = kind == "individual"
    drawn[ind_sel] = shop[ind_sel]
    todo = np.flatnonzero(np.isin(kind, ("enterprise", "cooperative")))
    taken: set[str] = set()
    for _ in range(30):
        m = len(todo)
        if m == 0:
            break
        b1 = take(brands, rng.integers(len(brands), size=m))
        ent = cat(
            take(prefixes, prefix_i[todo]),
            b1,
            take(inds, rng.integers(len(inds), size=m)),
            take([f[0] for f in _FORMS], form[todo]),
        )
        coop = cat(
            take(city.county_names, county[todo]),
            b1,
            take(_COOPS, rng.integers(len(_COOPS), size=m)),
            "专业合作社",
        )
        cand = pc.if_else(pa.array(kind[todo] == "enterprise"), ent, coop).to_numpy(zero_copy_only=False)
        _, first = np.unique(cand, return_index=True)
        fresh = np.zeros(m, dtype=bool)
        fresh[first] = True
        fresh &= np.array([c not in taken for c in cand]) if taken else True
        drawn[todo[fresh]] = cand[fresh]
        taken.update(cand[fresh].tolist())
        todo = todo[~fresh]
    keep[todo] = False
    names = pa.array(drawn.tolist(), pa.string())
    type_label = take([f[1] for f in _FORMS], form)
    type_label = pc.if_else(
        pa.array(kind == "enterprise"), type_label, take([v[3] for v in KINDS.values()], _kind_index(kind))
    )
    vals = _uscc(kind, region, year, rng)
    for _ in range(20):
        _, first = np.unique(_raw(vals), return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            break
        vals[dup] = _uscc(kind[dup], region[dup], year[dup], rng)
    uscc = codes_to_text(vals)

    capital = np.round(
        np.where(
            kind == "individual",
            rng.lognormal(np.log(10), 0.8, n),
            np.where(
                kind == "enterprise", rng.lognormal(np.log(200), 1.3, n), rng.lognormal(np.log(80), 0.8, n)
            ),
        ),
        2,
    )
    market = np.isin(kind, ("enterprise", "individual", "cooperative"))
    status = np.where(market, rng.choice(4, size=n, p=[0.75, 0.10, 0.05, 0.10]), 0)
    cancelled = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    ci = np.flatnonzero(status >= 2)
    cancelled[ci] = rng.integers(established[ci].astype(np.int64) + 1, as_of_i + 1).astype("datetime64[D]")

    # addresses: an estate or village of the county, a shop number
    est_town = np.array(places.estates.column("town_code").to_pylist())
    est_county = np.searchsorted(np.array(city.county_codes), np.array([t[:6] for t in est_town]))
    order = np.argsort(est_county, kind="stable")
    starts = np.searchsorted(est_county[order], np.arange(nc))
    ends = np.searchsorted(est_county[order], np.arange(nc), side="right")
    pick = starts[county] + (rng.random(n) * np.maximum(ends[county] - starts[county], 1)).astype(np.int64)
    est = order[np.minimum(pick, len(order) - 1)]
    e_name = places.estates.column("name").combine_chunks()
    e_road = places.estates.column("road").combine_chunks()
    e_kind = np.array(places.estates.column("kind").to_pylist())
    town_of = np.searchsorted(np.array(city.town_codes), est_town[est])
    urban = pa.array(e_kind[est] == "estate")
    tail = pc.if_else(
        urban,
        cat(
            e_road.take(pa.array(est)),
            take([str(i) for i in range(1, 41)], rng.integers(40, size=n)),
            "号商铺",
        ),
        cat(
            e_name.take(pa.array(est)), take([str(i) for i in range(1, 300)], rng.integers(299, size=n)), "号"
        ),
    )
    address = cat(city.prefix, take(city.county_names, county), take(city.town_names, town_of), tail)
    authority = pc.if_else(
        pa.array(city_level),
        pa.scalar(city.name + "市场监督管理局"),
        cat(take(city.county_names, county), "市场监督管理局"),
    )
    ent = Entities(
        n=n,
        kind=kind,
        uscc=uscc,
        name=names,
        type_label=type_label,
        legal_rep=rep,
        capital=capital,
        established=established,
        status=status,
        cancelled=cancelled,
        county=county,
        address=address,
        authority=authority,
    )
    return ent.subset(np.flatnonzero(keep))


def _brands() -> list[str]:
    """Trade names: the listed ones and two-character combinations of their characters."""
    listed = list(words("brand"))
    chars = sorted({c for w in listed for c in w})
    return listed + [a + b for a in chars for b in chars if a != b]


def _kind_index(kind: np.ndarray) -> np.ndarray:
    names = np.array(list(KINDS))
    order = np.argsort(names)
    out: np.ndarray = order[np.searchsorted(names, kind, sorter=order)]
    return out


@dataclass(slots=True)
class Vehicles:
    n: int
    plate: pa.Array
    owner_person: np.ndarray  # person index or -1
    owner_entity: np.ndarray  # entity index or -1
    new_energy: np.ndarray
    truck: np.ndarray
    brand: np.ndarray  # index into words("vehicle_brand")
    color: np.ndarray  # index into COLORS
    registered: np.ndarray  # datetime64[D]
    status: np.ndarray  # index into VEHICLE_STATUS


COLORS = ("A", "B", "E", "H", "J")  # 白 灰 红 蓝 黑 (GA 24.8)
VEHICLE_STATUS = ("A", "G", "Q", "E")  # 正常, 违法未处理, 逾期未检验, 注销
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def make_vehicles(
    people: People,
    entities: Entities,
    urban_hh: np.ndarray,
    rng: np.random.Generator,
    *,
    extra_owners: np.ndarray | None = None,
    poor_hh: np.ndarray | None = None,
    plate_prefix: str = "晋E",
) -> Vehicles:
    """Cars of households (owned by the head, or another adult when the head is too old or young)
    and of active entities; households in ``poor_hh`` rarely have one; ``extra_owners`` get one
    more car each."""
    as_of_i = np.datetime64(AS_OF.isoformat(), "D").astype(np.int64)
    head = people.hh_head
    p_car = np.where(urban_hh, 0.45, 0.30)
    if poor_hh is not None:
        p_car[poor_hh] = 0.02
    has = rng.random(people.n_hh) < p_car
    owner = head.copy()
    too_old = (people.age[head] > 75) | (people.age[head] < 18)
    # a household whose head is too old: any adult in it
    adults = np.flatnonzero((people.age >= 18) & (people.age <= 75))
    first_adult = np.full(people.n_hh, -1, dtype=np.int64)
    first_adult[people.hh[adults[::-1]]] = adults[::-1]
    owner = np.where(too_old, first_adult, owner)
    has &= owner >= 0
    two = has & (rng.random(people.n_hh) < 0.08)
    persons = np.concatenate([owner[has], owner[two]])
    if extra_owners is not None:
        persons = np.concatenate([persons, extra_owners])
    ent = np.flatnonzero(entities.active & (entities.kind != "individual"))
    ent = ent[rng.random(len(ent)) < 0.5]
    n = len(persons) + len(ent)
    owner_person = np.concatenate([persons, np.full(len(ent), -1)])
    owner_entity = np.concatenate([np.full(len(persons), -1), ent])
    new_energy = rng.random(n) < 0.12
    truck = (owner_entity >= 0) & (rng.random(n) < 0.4)
    new_energy &= ~truck
    # plates: 晋E + 5 characters (new energy: D or F + 5 digits); duplicates drawn again
    plate = _plates(n, new_energy, rng)
    for _ in range(50):
        _, first = np.unique(plate, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            break
        plate[dup] = _plates(int(dup.sum()), new_energy[dup], rng)
    owner_age = np.where(owner_person >= 0, people.age[np.maximum(owner_person, 0)], 30)
    earliest = np.maximum(as_of_i - (owner_age - 18) * 365, np.datetime64("2000-01-01").astype(np.int64))
    earliest = np.minimum(earliest, as_of_i - 30)
    registered = rng.integers(earliest, as_of_i - 1).astype("datetime64[D]")
    status = rng.choice(4, size=n, p=[0.85, 0.05, 0.04, 0.06])
    return Vehicles(
        n=n,
        plate=cat(plate_prefix, pc.cast(pa.array(plate), pa.string())),
        owner_person=owner_person,
        owner_entity=owner_entity,
        new_energy=new_energy,
        truck=truck,
        brand=rng.integers(len(words("vehicle_brand")), size=n),
        color=rng.integers(len(COLORS), size=n),
        registered=registered,
        status=status,
    )


def _plates(n: int, new_energy: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Plate tails as bytes: ordinary plates have 5 characters (letters or digits, at most two
    letters), new-energy ones D or F and 5 digits."""
    letters = np.frombuffer(_PLATE_LETTERS.encode(), dtype=np.uint8)
    digits = np.frombuffer(b"0123456789", dtype=np.uint8)
    chars = digits[rng.integers(10, size=(n, 6))]
    lets = letters[rng.integers(len(letters), size=(n, 2))]
    style = rng.integers(3, size=n)
    chars[:, 0] = lets[:, 0]
    chars[style == 1, 1] = lets[style == 1, 1]
    chars[style == 2, 4] = lets[style == 2, 1]
    chars[new_energy, 0] = np.where(rng.random(int(new_energy.sum())) < 0.5, ord("D"), ord("F"))
    chars[new_energy, 1:] = digits[rng.integers(10, size=(int(new_energy.sum()), 5))]
    chars[~new_energy, 5] = 0  # 5 characters: pad, stripped when decoded
    out: np.ndarray = np.ascontiguousarray(chars).view("S6").ravel()
    return out
