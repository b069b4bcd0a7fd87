#!/usr/bin/env python3
"""Address splitting throughput: the SQL form (DuckDB) and the Python form.

Generates addresses from real division names (every current county, with or without province and
city, suffix-less forms, towns of the county) plus random roads, numbers, estates and
building/unit/room in the styles departments write, then times

* ``sz_address_check(s)`` over N_SQL rows in one DuckDB query (all cores), and
* ``check_address`` over N_PY rows in one Python process.

Run: ``.venv/bin/python benchmarks/bench_address.py [N_SQL] [N_PY]`` (default 1,000,000 and 100,000).
"""

from __future__ import annotations

import os
import platform
import random
import sys
import time

import duckdb
import pyarrow as pa

from shuzhi.standards import address, divisions, install

ROADS = [
    "凤台",
    "泽州",
    "红星",
    "书院",
    "建设",
    "解放",
    "中原",
    "新华",
    "人民",
    "黄华",
    "文昌",
    "长平",
    "迎宾",
]
ROAD_SUFFIX = ["路", "街", "东街", "西街", "大街", "大道", "巷"]
ESTATES = ["金鼎", "兰花", "杏园", "锦绣", "阳光", "幸福", "和平", "御景", "泰森", "书香"]
ESTATE_SUFFIX = ["小区", "花园", "家园", "苑", "新村", "公寓"]


def generate(n: int, seed: int = 2260) -> list[str]:
    rnd = random.Random(seed)
    counties = [d for d in divisions._store().divs.values() if d.current and d.level == "county"]
    jincheng = [d for d in counties if d.code.startswith("1405")]
    out = []
    for _ in range(n):
        county = rnd.choice(jincheng) if rnd.random() < 0.5 else rnd.choice(counties)
        chain = divisions.parent_chain(county.code)
        parts = []
        for d in chain[:-1]:
            r = rnd.random()
            if r < 0.5:
                parts.append(d.name)
            elif r < 0.7:
                parts.append((divisions.short_forms(d.name, d.level) or [d.name])[0])
        parts.append(county.name)
        towns = divisions.children(county.code)
        if towns and rnd.random() < 0.6:
            parts.append(rnd.choice(towns).name)
        style = rnd.random()
        if style < 0.4:
            parts.append(f"{rnd.choice(ROADS)}{rnd.choice(ROAD_SUFFIX)}{rnd.randint(1, 999)}号")
            parts.append(
                f"{rnd.randint(1, 30)}号楼{rnd.randint(1, 6)}单元{rnd.randint(1, 30)}0{rnd.randint(1, 4)}室"
            )
        elif style < 0.7:
            parts.append(f"{rnd.choice(ESTATES)}{rnd.choice(ESTATE_SUFFIX)}")
            parts.append(f"{rnd.randint(1, 30)}-{rnd.randint(1, 6)}-{rnd.randint(1, 30)}0{rnd.randint(1, 4)}")
        elif style < 0.9:
            parts.append(f"{rnd.choice(ROADS)}村{rnd.randint(1, 200)}号")
        else:
            parts.append(f"{rnd.choice(ROADS)}{rnd.choice(ROAD_SUFFIX)}")
        sep = " " if rnd.random() < 0.1 else ""
        out.append(sep.join(parts))
    return out


def main() -> None:
    n_sql = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    n_py = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"DuckDB {duckdb.__version__}"
    )
    t0 = time.perf_counter()
    values = generate(max(n_sql, n_py))
    print(f"generated {len(values):,} addresses in {time.perf_counter() - t0:.1f} s; e.g. {values[0]}")

    con = duckdb.connect()
    t0, c0 = time.perf_counter(), time.process_time()
    install(con)
    print(
        f"install (lookup tables and macros): {time.perf_counter() - t0:.2f} s, "
        f"CPU {time.process_time() - c0:.2f} s; load average {os.getloadavg()[0]:.1f}"
    )
    con.register("_in", pa.table({"s": pa.array(values[:n_sql], pa.string())}))
    con.execute("CREATE TABLE addrs AS SELECT s FROM _in")
    t0, c0 = time.perf_counter(), time.process_time()
    valid, keyed = con.execute(
        "SELECT count(*) FILTER (WHERE r.valid), count(r.parts.key) "
        "FROM (SELECT sz_address_check(s) AS r FROM addrs)"
    ).fetchone()
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"SQL    sz_address_check: {n_sql:,} rows in {dt:.2f} s = {n_sql / dt:,.0f} rows/s "
        f"(CPU {cpu:.2f} s, all threads; {valid:,} valid, {keyed:,} with a key; "
        f"load average {os.getloadavg()[0]:.1f})"
    )

    sample = values[:n_py]
    address.check_address(sample[0])  # build the tables outside the timing
    t0 = time.perf_counter()
    ok = sum(address.check_address(v).valid for v in sample)
    dt = time.perf_counter() - t0
    print(f"Python check_address:    {n_py:,} rows in {dt:.2f} s = {n_py / dt:,.0f} rows/s ({ok:,} valid)")


if __name__ == "__main__":
    main()
