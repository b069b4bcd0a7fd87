#!/usr/bin/env python3
"""Identity-number checking throughput: the SQL form (DuckDB) and the pure-Python form.

Generates N_SQL identity numbers inside DuckDB, the way department data looks: regions drawn
from real division codes (60 % 晋城市, 35 % other current counties, 5 % retired counties), dates
of birth 1930–2022, random sequence numbers; then the mix

* 84 % valid 18-character numbers (about a tenth end in X), 1 % with a lower-case x,
* 3 % the 15-digit pre-1999 form,
* 4 % a wrong check character, 1.5 % one digit mistyped, 2 % an impossible date (…0230, …1332),
  1 % a date of birth in the future,
* 1 % with spaces or full-width digits,
* 2.5 % junk (hex strings of random length, empty strings, NULL, blanks).

The check character is computed here with an independent expression (17 ``ascii(substr())``
products), not with the code under test. Then it times

* ``sz_idcard_check(id)`` over all N_SQL rows in one query (all cores), grouping by reason and
  hashing the whole verdict struct so that every field is computed,
* ``idcard.bulk_sql`` (the bulk query) the same way, over its six output columns,
* ``idcard.bulk`` (the vectorised kernel over Arrow batches, two threads): once producing the
  result (``bulk_arrow``: the rows read out of DuckDB as Arrow, the six columns added), once with
  the same aggregate query as bulk_sql over the relation it returns (so that every column is
  consumed inside DuckDB), and once with one thread,
* ``check_idcard`` over the first N_PY rows in this process (single core); its rate is
  extrapolated to N_SQL rows.

Prints throughput and peak memory (``resource.getrusage``); writes no files.
Run: ``.venv/bin/python benchmarks/bench_idcard.py [N_SQL] [N_PY]`` (default 10,000,000 and 200,000).
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import time

import duckdb

from shuzhi.standards import install
from shuzhi.standards.idcard import WEIGHTS, bulk, bulk_arrow, bulk_sql, check_arrow, check_idcard

RUNS = 3


def _check_char_sql(b17: str) -> str:
    total = " + ".join(f"(ascii(substr({b17}, {i + 1}, 1)) - 48) * {w}" for i, w in enumerate(WEIGHTS))
    return f"substr('10X98765432', (({total}) % 11)::INTEGER + 1, 1)"


GENERATE = f"""
CREATE OR REPLACE TEMP TABLE ids AS
WITH pool AS (
  SELECT list(code ORDER BY code) FILTER (WHERE current AND level = 'county' AND code LIKE '1405%') AS home,
         list(code ORDER BY code) FILTER (WHERE current AND level = 'county') AS cur,
         list(code ORDER BY code) FILTER (WHERE NOT current AND level = 'county' AND length(code) = 6) AS old
  FROM sz_divisions),
r AS (SELECT i, hash(i) AS h, hash(i + 1000000007) AS g FROM range($n) t(i)),
b AS (
  SELECT i, h, g, (g >> 20) % 1000 AS k,
         CASE WHEN h % 100 < 60 THEN home[(g % len(home))::INTEGER + 1]
              WHEN h % 100 < 95 THEN cur[(g % len(cur))::INTEGER + 1]
              ELSE old[(g % len(old))::INTEGER + 1] END AS region,
         DATE '1930-01-01' + ((h >> 8) % 33600)::INTEGER AS birth,
         lpad(((h >> 30) % 1000)::VARCHAR, 3, '0') AS seq
  FROM r, pool),
c AS (SELECT *, region || strftime(birth, '%Y%m%d') || seq AS b17 FROM b),
d AS (SELECT *, {_check_char_sql("b17")} AS ck FROM c)
SELECT i, CASE
  WHEN k < 840 THEN b17 || ck
  WHEN k < 850 THEN b17 || lower(ck)
  WHEN k < 880 THEN substr(b17, 1, 6) || substr(b17, 9, 9)
  WHEN k < 920 THEN b17 || substr('0123456789X',
                                   ((strpos('0123456789X', ck) + (h >> 40) % 10) % 11)::INTEGER + 1, 1)
  WHEN k < 935 THEN substr(b17, 1, ((h >> 44) % 17)::INTEGER)
                    || ((ascii(substr(b17, ((h >> 44) % 17)::INTEGER + 1, 1)) - 47) % 10)::VARCHAR
                    || substr(b17, ((h >> 44) % 17)::INTEGER + 2) || ck
  WHEN k < 955 THEN substr(b17, 1, 10) || CASE WHEN h % 2 = 0 THEN '0230' ELSE '1332' END
                    || substr(b17, 15) || ck
  WHEN k < 965 THEN substr(b17, 1, 6) || '2090' || substr(b17, 11) || ck
  WHEN k < 970 THEN ' ' || b17 || ck || ' '
  WHEN k < 975 THEN translate(b17 || ck, '0123456789', '０１２３４５６７８９')
  WHEN k < 990 THEN substr(md5(i::VARCHAR), 1, ((h >> 50) % 24)::INTEGER)
  WHEN k < 995 THEN CASE WHEN h % 2 = 0 THEN '' ELSE '   ' END
  ELSE NULL END AS id
FROM d ORDER BY i
"""

QUERY = """
SELECT r.reason, count(*) AS n, sum(hash(r)) AS h
FROM (SELECT sz_idcard_check(id) AS r FROM ids)
GROUP BY ALL ORDER BY n DESC
"""


# The bulk form (idcard.bulk_sql): validate and parse, every output column consumed.
AGGREGATE = """
SELECT "id__reason" AS reason, count(*) AS n,
       sum(hash("id__valid", "id__normalized", "id__region_code", "id__birth_date", "id__sex_code")) AS h
FROM {} GROUP BY ALL ORDER BY n DESC
"""
BULK_QUERY = AGGREGATE.format(f"({bulk_sql('ids', 'id')})")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    n_sql = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    n_py = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    con = duckdb.connect()
    threads = con.execute("SELECT current_setting('threads')").fetchone()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, DuckDB {duckdb.__version__}, "
        f"threads={threads[0]}"
    )
    t0 = time.perf_counter()
    install(con)
    t1 = time.perf_counter()
    con.execute(GENERATE, {"n": n_sql})
    t2 = time.perf_counter()
    print(f"install {t1 - t0:.2f} s; generated {n_sql:,} IDs in {t2 - t1:.1f} s")

    times = []
    rows: list[tuple[object, ...]] = []
    c0 = time.process_time()
    for _ in range(RUNS):
        t = time.perf_counter()
        rows = con.execute(QUERY).fetchall()
        times.append(time.perf_counter() - t)
    best = min(times)
    print(
        f"SQL  sz_idcard_check: {n_sql:,} IDs, runs {', '.join(f'{x:.2f}' for x in times)} s; "
        f"best {n_sql / best / 1e6:.2f} M IDs/s, mean {n_sql * RUNS / sum(times) / 1e6:.2f} M IDs/s; "
        f"CPU {(time.process_time() - c0) / RUNS:.2f} s per run (all threads); "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    for reason, n, _ in rows:
        print(f"     {reason or 'valid':28s} {n:>10,} ({n / n_sql:6.2%})")

    bulk_times = []
    bulk_rows: list[tuple[object, ...]] = []
    c0 = time.process_time()
    for _ in range(RUNS):
        t = time.perf_counter()
        bulk_rows = con.execute(BULK_QUERY).fetchall()
        bulk_times.append(time.perf_counter() - t)
    best = min(bulk_times)
    print(
        f"SQL  idcard.bulk_sql:  {n_sql:,} IDs, runs {', '.join(f'{x:.2f}' for x in bulk_times)} s; "
        f"best {n_sql / best / 1e6:.2f} M IDs/s, mean {n_sql * RUNS / sum(bulk_times) / 1e6:.2f} M IDs/s; "
        f"CPU {(time.process_time() - c0) / RUNS:.2f} s per run (all threads); "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    same = sorted((r[0] or "", r[1]) for r in bulk_rows) == sorted((r[0] or "", r[1]) for r in rows)
    print(f"     same reason counts as sz_idcard_check: {same}")

    # the vectorised bulk form: its lookup tables are built on the first call (timed apart)
    t = time.perf_counter()
    check_arrow(["11010519491231002X"])
    print(f"VEC  first call (builds the region and date tables): {time.perf_counter() - t:.2f} s")
    vec_rows: list[tuple[object, ...]] = []

    def produce() -> None:
        bulk_arrow(con, "ids", "id")

    def consume() -> None:
        nonlocal vec_rows
        vec_rows = bulk(con, "ids", "id").query("v", AGGREGATE.format("v")).fetchall()

    def one_thread() -> None:
        bulk_arrow(con, "ids", "id", threads=1)

    for label, fn in (
        ("idcard.bulk_arrow (produce)", produce),
        ("idcard.bulk + aggregate", consume),
        ("idcard.bulk_arrow, 1 thread", one_thread),
    ):
        vec_times = []
        c0 = time.process_time()
        for _ in range(RUNS):
            t = time.perf_counter()
            fn()
            vec_times.append(time.perf_counter() - t)
        best = min(vec_times)
        print(
            f"VEC  {label:28s} {n_sql:,} IDs, runs {', '.join(f'{x:.2f}' for x in vec_times)} s; "
            f"best {n_sql / best / 1e6:.2f} M IDs/s, mean {n_sql * RUNS / sum(vec_times) / 1e6:.2f} M IDs/s; "
            f"CPU {(time.process_time() - c0) / RUNS:.2f} s per run (all threads); "
            f"load average {os.getloadavg()[0]:.1f}"
        )
    same = sorted((r[0] or "", r[1]) for r in vec_rows) == sorted((r[0] or "", r[1]) for r in rows)
    same_hash = sorted((r[0] or "", r[1], r[2]) for r in vec_rows) == sorted(
        (r[0] or "", r[1], r[2]) for r in bulk_rows
    )
    print(f"     same reason counts as sz_idcard_check: {same}; same column hashes as bulk_sql: {same_hash}")

    sample = [r[0] for r in con.execute("SELECT id FROM ids ORDER BY i LIMIT $n", {"n": n_py}).fetchall()]
    check_idcard("11010519491231002X")  # warm the division store
    t = time.perf_counter()
    valid = sum(check_idcard(v).valid for v in sample)
    dt = time.perf_counter() - t
    rate = len(sample) / dt
    print(
        f"Python check_idcard: {len(sample):,} IDs in {dt:.2f} s = {rate / 1e3:.0f} k IDs/s on one core "
        f"({valid:,} valid); extrapolated to {n_sql:,}: {n_sql / rate:.0f} s"
    )
    print(f"peak memory (max RSS): {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
