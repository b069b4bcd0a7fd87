"""Geography of the synthetic city: its real districts, counties and towns (from
:mod:`shuzhi.standards.divisions`), synthetic estates, villages and buildings with WGS-84
coordinates, where each household lives, and a layer of grid cells over the built-up area.

Towns carry no coordinates in the shipped division data: they are placed around their county's
centre (sub-districts and the county seat near it, other towns 6–22 km away). Estates sit within
2 km of an urban town's centre, villages 1.5–7 km from their town's; buildings are laid out on a
40 m lattice inside their estate.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from shuzhi.demo.city._data import cat, num, take, words
from shuzhi.errors import ValidationError
from shuzhi.standards import divisions

__all__ = ["City", "Places", "load_city", "place_households", "write_layers"]

#: share of each county in the population of 晋城市 (approximate county figures of the 2020
#: census, 晋城市第七次全国人口普查公报); other cities get equal shares
COUNTY_WEIGHTS: dict[str, dict[str, float]] = {
    "140500": {
        "140502": 0.223,
        "140521": 0.090,
        "140522": 0.171,
        "140524": 0.094,
        "140525": 0.206,
        "140581": 0.216,
    }
}
#: identity numbers issued before a county got its current code carry the former code
#: (current code -> [(former code, last year of birth that got it)]); derived from the division
#: history for renamed counties (高平县 → 高平市), plus changes the history cannot tell by name
EXTRA_FORMER_CODES: dict[str, list[tuple[str, int]]] = {"140525": [("140503", 1995)]}  # 郊区 → 泽州县

#: grid cell size in degrees (about 410 m × 400 m at 35.5° N)
CELL_DX, CELL_DY = 0.0045, 0.0036
KM_LAT = 1 / 111.0


@dataclass(frozen=True, slots=True)
class City:
    code: str
    name: str
    province: str
    county_codes: list[str]
    county_names: list[str]
    county_weights: np.ndarray
    county_lon: np.ndarray
    county_lat: np.ndarray
    #: per county: [(former code, last birth year)], newest change last
    former_codes: list[list[tuple[str, int]]]
    town_codes: list[str]
    town_names: list[str]
    town_county: np.ndarray
    town_seat: np.ndarray  # sub-district or county seat: urban
    town_lon: np.ndarray
    town_lat: np.ndarray
    #: county-level codes of the rest of China (birth regions of people born elsewhere), weights
    other_regions: np.ndarray
    other_weights: np.ndarray

    @property
    def prefix(self) -> str:
        """``山西省晋城市``: what a full address starts with."""
        return self.province + self.name


def _base(name: str) -> str:
    return name[:-1] if len(name) > 2 and name[-1] in "县市区旗" else name


def load_city(code: str, rng: np.random.Generator) -> City:
    """The prefecture ``code`` with its current counties and towns, towns placed around their county."""
    d = divisions.lookup(code)
    if d is None or d.level != "prefecture" or not d.current:
        raise ValidationError({"city": [f"不是现行地级区划代码 / not a current prefecture code: {code}"]})
    prov = divisions.lookup(code[:2] + "0000")
    counties = [c for c in divisions.children(code) if c.level == "county"]
    if not counties or any(c.lon is None for c in counties):
        raise ValidationError(
            {"city": [f"{d.name} 缺少区县或其坐标 / counties or their coordinates missing"]}
        )
    weights = COUNTY_WEIGHTS.get(code, {})
    w = np.array([weights.get(c.code, 1.0) for c in counties], dtype=float)
    retired = [c for c in divisions.children(code, include_retired=True) if not c.current and c.valid_to]
    former: list[list[tuple[str, int]]] = []
    for c in counties:
        found = [(r.code, r.valid_to.year) for r in retired if _base(r.name) == _base(c.name) and r.valid_to]
        found += EXTRA_FORMER_CODES.get(c.code, [])
        former.append(sorted(found, key=lambda x: x[1]))
    t_codes: list[str] = []
    t_names: list[str] = []
    t_county: list[int] = []
    t_seat: list[bool] = []
    t_lon: list[float] = []
    t_lat: list[float] = []
    for i, c in enumerate(counties):
        towns = [t for t in divisions.children(c.code) if t.level == "town"]
        if not towns:
            towns = []
        streets = [t for t in towns if t.name.endswith("街道")]
        seats = {t.code for t in streets} or ({towns[0].code} if towns else set())
        assert c.lon is not None and c.lat is not None
        for t in towns:
            seat = t.code in seats
            r = rng.uniform(0.3, 2.5) if seat else rng.uniform(6.0, 22.0)
            a = rng.uniform(0, 2 * math.pi)
            t_codes.append(t.code)
            t_names.append(t.name)
            t_county.append(i)
            t_seat.append(seat)
            t_lat.append(c.lat + r * math.sin(a) * KM_LAT)
            t_lon.append(c.lon + r * math.cos(a) * KM_LAT / math.cos(math.radians(c.lat)))
    if not t_codes:
        raise ValidationError({"city": [f"{d.name} 没有乡镇数据 / no towns shipped for {code}"]})
    others, ow = _other_regions(code)
    return City(
        code=code,
        name=d.name,
        province=prov.name if prov is not None else "",
        county_codes=[c.code for c in counties],
        county_names=[c.name for c in counties],
        county_weights=w / w.sum(),
        county_lon=np.array([c.lon for c in counties]),
        county_lat=np.array([c.lat for c in counties]),
        former_codes=former,
        town_codes=t_codes,
        town_names=t_names,
        town_county=np.array(t_county),
        town_seat=np.array(t_seat),
        town_lon=np.array(t_lon),
        town_lat=np.array(t_lat),
        other_regions=others,
        other_weights=ow,
    )


def _other_regions(city: str) -> tuple[np.ndarray, np.ndarray]:
    """Current county-level codes outside the city: 45 % of the weight on the rest of the
    province, 25 % on the neighbouring 河南 (or the next province), the rest spread evenly."""
    codes: list[str] = []
    for p in divisions.provinces():
        if p.code[:2] in ("71", "81", "82"):
            continue
        for pre in divisions.children(p.code):
            if pre.level == "county":
                codes.append(pre.code)
                continue
            codes += [c.code for c in divisions.children(pre.code) if c.level == "county"]
    codes = sorted(c for c in codes if c[:4] != city[:4])
    arr = np.array(codes)
    prov = np.array([c[:2] for c in codes])
    near = "41" if city[:2] != "41" else "14"
    w = np.full(len(codes), 0.30 / len(codes))
    same, neigh = prov == city[:2], prov == near
    w[same] += 0.45 / max(same.sum(), 1)
    w[neigh] += 0.25 / max(neigh.sum(), 1)
    return arr.astype(np.int64), w / w.sum()


@dataclass(slots=True)
class Places:
    """Where each household lives, and the layers (estates, buildings, grid cells)."""

    county: np.ndarray  # per household: county index
    town: np.ndarray  # town index
    estate: np.ndarray  # estate or village index
    building: np.ndarray  # building index (-1 in villages)
    lon: np.ndarray
    lat: np.ndarray
    cell: np.ndarray  # grid cell index
    address: pa.Array  # full standard address
    address_short: pa.Array  # from the county on
    #: the free-text forms a grid worker writes: estate and 3-2-401 (urban) or village and number
    address_free: pa.Array
    estates: pa.Table
    buildings: pa.Table
    cells: pa.Table


def place_households(city: City, n: int, rng: np.random.Generator) -> Places:
    """Put ``n`` households into towns, estates or villages, buildings and rooms."""
    county = rng.choice(len(city.county_codes), size=n, p=city.county_weights)
    # towns: a seat gets 8 times the weight of another town of its county
    tw = np.where(city.town_seat, 8.0, 1.0)
    town = np.empty(n, dtype=np.int64)
    for ci in range(len(city.county_codes)):
        sel = np.flatnonzero(county == ci)
        ts = np.flatnonzero(city.town_county == ci)
        if len(ts) == 0:
            raise ValidationError({"city": [f"{city.county_names[ci]} 没有乡镇 / has no towns"]})
        p = tw[ts] / tw[ts].sum()
        town[sel] = ts[rng.choice(len(ts), size=len(sel), p=p)]

    roads_city, roads = words("road_jincheng"), words("road")
    prefixes, suffixes, stems = words("estate_prefix"), words("estate_suffix"), words("village")
    e_town: list[int] = []
    e_kind: list[str] = []
    e_name: list[str] = []
    e_road: list[str] = []
    e_lon: list[float] = []
    e_lat: list[float] = []
    e_units: list[int] = []
    e_floors: list[int] = []
    estate = np.empty(n, dtype=np.int64)
    slot = np.empty(n, dtype=np.int64)
    used: dict[tuple[int, str], int] = {}
    for ti in range(len(city.town_codes)):
        hh = np.flatnonzero(town == ti)
        if len(hh) == 0:
            continue
        hh = hh[rng.permutation(len(hh))]
        urban_share = 1.0 if city.town_seat[ti] else 0.2
        n_u = round(len(hh) * urban_share)
        ci = int(city.town_county[ti])
        in_main_city = city.county_codes[ci][4:] == "02" and city.town_names[ti].endswith("街道")
        for kind, part, lo, hi in (("estate", hh[:n_u], 120, 900), ("village", hh[n_u:], 60, 400)):
            if len(part) == 0:
                continue
            caps = rng.integers(lo, hi, size=len(part) // lo + 2)
            cum = np.cumsum(caps)
            k = int(np.searchsorted(cum, len(part))) + 1
            first = len(e_town)
            idx = np.searchsorted(cum, np.arange(len(part)), side="right")
            estate[part] = first + idx
            slot[part] = np.arange(len(part)) - np.concatenate([[0], cum])[idx]
            for _ in range(k):
                if kind == "estate":
                    base = prefixes[rng.integers(len(prefixes))] + suffixes[rng.integers(len(suffixes))]
                    road = (roads_city if in_main_city else roads)[
                        rng.integers(len(roads_city if in_main_city else roads))
                    ]
                    road += f"{int(rng.integers(1, 400))}号"
                    r = rng.uniform(0.2, 2.0)
                    key = (ci, base)
                else:
                    base = stems[rng.integers(len(stems))] + "村"
                    road = ""
                    r = rng.uniform(1.5, 7.0)
                    key = (ti, base)
                used[key] = used.get(key, 0) + 1
                name = base if used[key] == 1 else _nth(base, used[key], kind)
                a = rng.uniform(0, 2 * math.pi)
                lat0 = float(city.town_lat[ti])
                e_town.append(ti)
                e_kind.append(kind)
                e_name.append(name)
                e_road.append(road)
                e_lat.append(lat0 + r * math.sin(a) * KM_LAT)
                e_lon.append(
                    float(city.town_lon[ti]) + r * math.cos(a) * KM_LAT / math.cos(math.radians(lat0))
                )
                e_units.append(int(rng.integers(2, 4)) if kind == "estate" else 0)
                e_floors.append(int(rng.choice([6, 7, 11, 18, 26])) if kind == "estate" else 0)

    ne = len(e_town)
    units, floors = np.array(e_units), np.array(e_floors)
    is_estate = np.array([k == "estate" for k in e_kind])
    cap_b = np.where(is_estate, units * floors * 2, 1)
    h_est = is_estate[estate]
    b_local = np.where(h_est, slot // cap_b[estate], -1)
    r_in = slot % cap_b[estate]
    unit = r_in // np.maximum(floors[estate] * 2, 1) + 1
    fl = (r_in % np.maximum(floors[estate] * 2, 1)) // 2 + 1
    room = fl * 100 + r_in % 2 + 1
    house_no = slot + 1
    # buildings: one row per (estate, local building) that holds a household
    bkey = np.where(h_est, estate * 10_000 + b_local, -1)
    ukeys, b_index = np.unique(bkey[h_est], return_inverse=True)
    building = np.full(n, -1, dtype=np.int64)
    building[h_est] = b_index
    b_estate, b_no = ukeys // 10_000, ukeys % 10_000
    elon, elat = np.array(e_lon), np.array(e_lat)
    coslat = np.cos(np.radians(elat))
    jitter = rng.normal(0, 0.004, size=(len(ukeys), 2))
    b_lon = elon[b_estate] + ((b_no % 4) * 0.04 + jitter[:, 0]) * KM_LAT / coslat[b_estate]
    b_lat = elat[b_estate] + ((b_no // 4) * 0.04 + jitter[:, 1]) * KM_LAT
    hj = rng.normal(0, 0.12, size=(n, 2))
    lon = np.where(h_est, 0.0, elon[estate] + hj[:, 0] * KM_LAT / coslat[estate])
    lat = np.where(h_est, 0.0, elat[estate] + hj[:, 1] * KM_LAT)
    lon[h_est], lat[h_est] = b_lon[b_index], b_lat[b_index]

    # addresses
    county_names = take(city.county_names, county)
    town_names = take(city.town_names, town)
    est_names = take(e_name, estate)
    roads_h = take(e_road, estate)
    bno = num(np.where(h_est, b_local + 1, 0))
    unit_s, room_s, house_s = num(unit), num(room), num(house_no)
    urban_tail = cat(roads_h, est_names, bno, "号楼", unit_s, "单元", room_s, "室")
    rural_tail = cat(est_names, house_s, "号")
    mask = pa.array(h_est)
    import pyarrow.compute as pc

    tail = pc.if_else(mask, urban_tail, rural_tail)
    short = cat(county_names, town_names, tail)
    full = cat(city.prefix, short)
    free_urban = cat(est_names, bno, "-", unit_s, "-", room_s)
    free_rural = cat(town_names, est_names, house_s, "号")
    free = pc.if_else(mask, free_urban, free_rural)

    # grid cells over every place where someone lives
    ix = np.floor(lon / CELL_DX).astype(np.int64)
    iy = np.floor(lat / CELL_DY).astype(np.int64)
    ckey = ix * 1_000_000 + iy
    ucell, first, cell = np.unique(ckey, return_index=True, return_inverse=True)
    c_town = town[first]
    order = np.lexsort((ucell, c_town))
    seq = np.empty(len(ucell), dtype=np.int64)
    counts = np.bincount(c_town, minlength=len(city.town_codes))
    starts = np.concatenate([[0], np.cumsum(counts)])[c_town[order]]
    seq[order] = np.arange(len(ucell)) - starts + 1
    c_codes = cat(take(city.town_codes, c_town), num(seq, 3))
    c_names = cat(take(city.town_names, c_town), "第", num(seq), "网格")
    cells = pa.table(
        {
            "grid_code": c_codes,
            "grid_name": c_names,
            "town_code": take(city.town_codes, c_town),
            "lon_min": (ucell // 1_000_000) * CELL_DX,
            "lat_min": (ucell % 1_000_000) * CELL_DY,
            "households": np.bincount(cell, minlength=len(ucell)),
        }
    )
    estates = pa.table(
        {
            "estate_id": np.arange(ne),
            "kind": pa.array(e_kind),
            "name": pa.array(e_name),
            "road": pa.array(e_road),
            "town_code": take(city.town_codes, np.array(e_town)),
            "lon": np.round(elon, 6),
            "lat": np.round(elat, 6),
            "units": units,
            "floors": floors,
        }
    )
    buildings = pa.table(
        {
            "building_id": np.arange(len(ukeys)),
            "estate_id": b_estate,
            "number": b_no + 1,
            "lon": np.round(b_lon, 6),
            "lat": np.round(b_lat, 6),
        }
    )
    return Places(
        county=county,
        town=town,
        estate=estate,
        building=building,
        lon=np.round(lon, 6),
        lat=np.round(lat, 6),
        cell=cell,
        address=full,
        address_short=short,
        address_free=free,
        estates=estates,
        buildings=buildings,
        cells=cells,
    )


def _nth(base: str, k: int, kind: str) -> str:
    ordinals = "一二三四五六七八九十"
    if kind == "estate":
        return f"{base}{ordinals[min(k, 10) - 1]}期" if k <= 10 else f"{base}{k}期"
    return f"{base[:-1]}{ordinals[min(k, 10) - 1]}村" if k <= 10 else f"{base[:-1]}{k}村"


def write_layers(places: Places, out: Path) -> dict[str, str]:
    """``geo/grid.geojson`` (WGS-84 polygons), ``geo/estates.csv``, ``geo/buildings.csv``."""
    import pyarrow.csv as pacsv

    geo = out / "geo"
    geo.mkdir(parents=True, exist_ok=True)
    cells = places.cells.to_pydict()
    feats = []
    order = sorted(range(len(cells["grid_code"])), key=lambda i: cells["grid_code"][i])
    for i in order:  # one feature per grid cell (thousands), not per person
        x0, y0 = cells["lon_min"][i], cells["lat_min"][i]
        x1, y1 = x0 + CELL_DX, y0 + CELL_DY
        ring = [[round(x, 6), round(y, 6)] for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))]
        feats.append(
            {
                "type": "Feature",
                "properties": {
                    "grid_code": cells["grid_code"][i],
                    "grid_name": cells["grid_name"][i],
                    "town_code": cells["town_code"][i],
                    "households": cells["households"][i],
                },
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    doc = {"type": "FeatureCollection", "name": "grid", "features": feats}
    (geo / "grid.geojson").write_text(
        json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
    pacsv.write_csv(places.estates, geo / "estates.csv")
    pacsv.write_csv(places.buildings, geo / "buildings.csv")
    return {"grid": "geo/grid.geojson", "estates": "geo/estates.csv", "buildings": "geo/buildings.csv"}
