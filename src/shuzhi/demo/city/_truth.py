"""The ground truth: who every record is about, what was written wrong on purpose, and every
anomaly a cross-department check should find. Written to ``OUT/truth/``; no pipeline step reads it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from shuzhi.demo.city._data import cat, num, take
from shuzhi.demo.city._datasets import Built, World
from shuzhi.demo.city._entities import MARKET_STATUS, VEHICLE_STATUS
from shuzhi.demo.city._mess import fmt_date, id_matrix, matrix_text
from shuzhi.demo.city._people import DEAD, RELATIONS, STATUS

__all__ = ["ANOMALY_KINDS", "anomalies", "write_truth"]

#: kind -> (Chinese description, English description)
ANOMALY_KINDS: dict[str, tuple[str, str]] = {
    "pension_after_death": ("死亡后仍领取养老金", "pension paid after death"),
    "subsidy_after_death": ("死亡后仍领取高龄津贴", "old-age subsidy paid after death"),
    "allowance_business_owner": ("低保成员为在营市场主体的法定代表人", "allowance member runs a business"),
    "allowance_vehicle": ("低保成员名下有机动车", "allowance member owns a vehicle"),
    "allowance_deceased_member": ("低保家庭仍列有已死亡成员", "allowance household lists a deceased member"),
    "legal_rep_deceased": (
        "在营市场主体的法定代表人已死亡",
        "active business whose legal representative died",
    ),
}


def _entity_ids(idx: np.ndarray) -> pa.Array:
    return pc.if_else(
        pa.array(idx >= 0), cat("E", num(np.maximum(idx, 0) + 1, 6)), pa.nulls(len(idx), pa.string())
    )


def _person_ids(w: World, idx: np.ndarray) -> pa.Array:
    return pc.if_else(
        pa.array(idx >= 0), w.person_ids.take(pa.array(np.maximum(idx, 0))), pa.nulls(len(idx), pa.string())
    )


def _lines_before(b: Built) -> int:
    """Lines (CSV) or sheet rows (XLSX) above the first record: the header, and titles above it."""
    if b.spec.format == "json":
        return 0
    return b.spec.header_row or 1


def records(w: World, built: list[Built]) -> pa.Table:
    """One row per source record: resource, 1-based row (``line``: the line of the CSV file or row
    of the sheet it is on), key, the true person or entity."""
    parts = []
    for b in built:
        n = b.rows
        parts.append(
            pa.table(
                {
                    "resource": pa.array([b.spec.code] * n, pa.string()),
                    "row": pa.array(np.arange(1, n + 1), pa.int64()),
                    "line": pa.array(np.arange(1, n + 1) + _lines_before(b), pa.int64()),
                    "key": b.keys,
                    "person_id": _person_ids(w, b.person),
                    "entity_id": _entity_ids(b.entity),
                }
            )
        )
    return pa.concat_tables(parts)


def anomalies(w: World, built: list[Built]) -> pa.Table:
    """Every anomaly, one line per record it involves (``anomaly_id`` groups them)."""
    p, e = w.people, w.entities
    by = {b.spec.code: b for b in built}
    death = p.status_date
    dead = p.status == DEAD
    lines: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, str, np.ndarray, np.ndarray]] = []
    # (kind, group key, person, entity, resource, row (0-based), planted flag)

    for kind, code in (("pension_after_death", "RS-YLDY"), ("subsidy_after_death", "MZ-GLBT")):
        b = by[code]
        assert b.period is not None
        rows = np.flatnonzero(dead[b.person] & (b.period > death[b.person]))
        per = b.person[rows]
        lines.append((kind, per, per, np.full(len(rows), -1), code, rows, np.ones(len(rows), dtype=bool)))

    mz, sj, jj = by["MZ-DBJZ"], by["SJ-SCZT"], by["JJ-JDCXX"]
    sj_row = np.full(e.n, -1, dtype=np.int64)
    sj_row[sj.entity] = np.arange(sj.rows)
    # business owners: active market entities by their representative
    act = np.flatnonzero(e.market & e.active)
    planted_owner = np.zeros(p.n, dtype=bool)
    planted_owner[w.planted_owner] = True
    m_rows = np.flatnonzero(np.isin(mz.person, e.legal_rep[act]))
    if len(m_rows):
        reps = e.legal_rep[act]
        order = np.argsort(reps, kind="stable")
        for_p = mz.person[m_rows]
        lo = np.searchsorted(reps[order], for_p)
        hi = np.searchsorted(reps[order], for_p, side="right")
        cnt = hi - lo
        mr = np.repeat(m_rows, cnt)
        ent = (
            act[order][np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True)])]
            if len(lo)
            else mr
        )
        per = mz.person[mr]
        group = per
        lines.append(
            ("allowance_business_owner", group, per, np.full(len(mr), -1), "MZ-DBJZ", mr, planted_owner[per])
        )
        lines.append(
            ("allowance_business_owner", group, per, ent, "SJ-SCZT", sj_row[ent], planted_owner[per])
        )
    # vehicles: registered (not cancelled) to a member
    jj_live = np.flatnonzero(jj.person >= 0)
    jj_live = jj_live[
        np.isin(
            jj.columns["机动车状态"].take(pa.array(jj_live)).to_numpy(zero_copy_only=False),
            VEHICLE_STATUS[:3],
        )
    ]
    planted_vehicle = np.zeros(p.n, dtype=bool)
    planted_vehicle[w.planted_vehicle] = True
    owners = jj.person[jj_live]
    m_rows = np.flatnonzero(np.isin(mz.person, owners))
    if len(m_rows):
        per = mz.person[m_rows]
        lines.append(
            ("allowance_vehicle", per, per, np.full(len(per), -1), "MZ-DBJZ", m_rows, planted_vehicle[per])
        )
        vrows = jj_live[np.isin(owners, per)]
        vp = jj.person[vrows]
        lines.append(
            ("allowance_vehicle", vp, vp, np.full(len(vp), -1), "JJ-JDCXX", vrows, planted_vehicle[vp])
        )
    # deceased members still listed
    m_rows = np.flatnonzero(dead[mz.person])
    per = mz.person[m_rows]
    lines.append(
        (
            "allowance_deceased_member",
            per,
            per,
            np.full(len(per), -1),
            "MZ-DBJZ",
            m_rows,
            np.zeros(len(per), dtype=bool),
        )
    )
    # businesses whose representative died
    ents = act[dead[e.legal_rep[act]]]
    lines.append(
        (
            "legal_rep_deceased",
            ents,
            e.legal_rep[ents],
            ents,
            "SJ-SCZT",
            sj_row[ents],
            np.zeros(len(ents), dtype=bool),
        )
    )

    kinds = list(ANOMALY_KINDS)
    tables = []
    for kind, group, per, ent, code, rows, planted in lines:
        if len(rows) == 0:
            continue
        b = by[code]
        tables.append(
            pa.table(
                {
                    "k": np.full(len(rows), kinds.index(kind)),
                    "g": group,
                    "kind": pa.array([kind] * len(rows), pa.string()),
                    "planted": planted,
                    "person_id": _person_ids(w, per),
                    "entity_id": _entity_ids(ent),
                    "resource": pa.array([code] * len(rows), pa.string()),
                    "row": pa.array(rows + 1, pa.int64()),
                    "key": b.keys.take(pa.array(rows)),
                    "death_date": fmt_date(
                        np.where(per >= 0, death[np.maximum(per, 0)], np.datetime64("NaT")), "iso"
                    ),
                }
            )
        )
    if not tables:
        return pa.table({"anomaly_id": pa.array([], pa.string())})
    t = pa.concat_tables(tables)
    k, g = t.column("k").to_numpy(), t.column("g").to_numpy()
    order = np.lexsort((t.column("row").to_numpy(), g, k))
    t = t.take(pa.array(order))
    k, g = k[order], g[order]
    new = np.ones(len(k), dtype=bool)
    new[1:] = (k[1:] != k[:-1]) | (g[1:] != g[:-1])
    aid = np.cumsum(new)
    # planted: an anomaly is planted when any of its lines is
    planted = t.column("planted").to_numpy(zero_copy_only=False)
    any_planted = np.zeros(aid[-1] + 1, dtype=bool)
    np.logical_or.at(any_planted, aid, planted)
    t = t.drop_columns(["k", "g", "planted"])
    t = t.add_column(0, "anomaly_id", cat("A", num(aid, 6)))
    return t.add_column(2, "planted", pa.array(any_planted[aid]))


def write_truth(w: World, built: list[Built], changes: pa.Table, out: Path) -> dict[str, str]:
    """The truth files; returns name -> relative path."""
    p, e, pl = w.people, w.entities, w.places
    truth = out / "truth"
    truth.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}

    def put(name: str, table: pa.Table) -> None:
        pq.write_table(table, truth / f"{name}.parquet", compression="zstd")
        files[name] = f"truth/{name}.parquet"

    hh = pa.array(p.hh)
    grid = pl.cells.column("grid_code").combine_chunks()
    put(
        "persons",
        pa.table(
            {
                "person_id": w.person_ids,
                "household_id": cat("H", num(p.hh + 1, 7)),
                "relation": take(RELATIONS, p.relation),
                "name": w.name,
                "former_name": w.former,
                "renamed_on": pa.array(p.renamed_on),
                "sex": pa.array(p.sex, pa.int8()),
                "birth_date": pa.array(p.birth),
                "age": p.age,
                "ethnic": take(w.vocab.ethnic_codes, p.ethnic),
                "id_number": matrix_text(id_matrix(p, np.arange(p.n))),
                "birth_region": num(p.region),
                "born_elsewhere": p.born_elsewhere,
                "phone": pc.if_else(pa.array(p.phone > 0), num(p.phone), pa.nulls(p.n, pa.string())),
                "marital": num(p.marital),
                "status": take(STATUS, p.status),
                "status_date": pa.array(p.status_date),
                "twin_of": _person_ids(w, p.twin_of),
                "father_id": _person_ids(w, p.father),
                "mother_id": _person_ids(w, p.mother),
                "address": w.address,
                "previous_address": w.prev_address,
                "moved_on": pa.array(p.hh_moved_on[p.hh]),
                "county_code": take(w.city.county_codes, pl.county[p.hh]),
                "town_code": take(w.city.town_codes, pl.town[p.hh]),
                "grid_code": grid.take(pa.array(pl.cell[p.hh])),
                "lon": pa.array(pl.lon).take(hh),
                "lat": pa.array(pl.lat).take(hh),
            }
        ),
    )
    low = np.zeros(p.n_hh, dtype=bool)
    low[w.low_income_hh] = True
    put(
        "households",
        pa.table(
            {
                "household_id": cat("H", num(np.arange(1, p.n_hh + 1), 7)),
                "head_id": w.person_ids.take(pa.array(p.hh_head)),
                "size": np.bincount(p.hh, minlength=p.n_hh),
                "address": pl.address,
                "county_code": take(w.city.county_codes, pl.county),
                "town_code": take(w.city.town_codes, pl.town),
                "estate_id": pl.estate,
                "building_id": pl.building,
                "grid_code": grid.take(pa.array(pl.cell)),
                "lon": pl.lon,
                "lat": pl.lat,
                "urban": w.urban,
                "moved_on": pa.array(p.hh_moved_on),
                "previous_address": pc.if_else(
                    pa.array(p.hh_prev >= 0),
                    pl.address.take(pa.array(np.maximum(p.hh_prev, 0))),
                    pa.nulls(p.n_hh, pa.string()),
                ),
                "low_income": low,
            }
        ),
    )
    put(
        "entities",
        pa.table(
            {
                "entity_id": _entity_ids(np.arange(e.n)),
                "uscc": e.uscc,
                "name": e.name,
                "kind": pa.array(e.kind.tolist(), pa.string()),
                "type": e.type_label,
                "legal_rep_id": w.person_ids.take(pa.array(e.legal_rep)),
                "capital": e.capital,
                "established": pa.array(e.established),
                "status": take(MARKET_STATUS, e.status),
                "cancelled": pa.array(e.cancelled),
                "address": e.address,
                "authority": e.authority,
            }
        ),
    )
    put("records", records(w, built))
    put("changes", changes)
    anom = anomalies(w, built)
    pacsv.write_csv(anom, truth / "anomalies.csv")
    files["anomalies"] = "truth/anomalies.csv"
    return files
