"""Benchmark (issue 6): 20 quality rules over 1,000,000 rows — shuzhi (DuckDB, one scan) against the
same rules in Great Expectations (pandas), on the same Parquet file.

    .venv/bin/python benchmarks/bench_quality.py [--rows 1000000] [--gx-python /tmp/gx-venv/bin/python]

Great Expectations is not a dependency of shuzhi: install it into a separate virtual environment
once (``python3 -m venv /tmp/gx-venv && /tmp/gx-venv/bin/pip install great-expectations pyarrow``);
this script runs its part there as a subprocess (``--gx DATA.parquet``) and compares the failing
counts rule by rule. Without that interpreter the GX part is skipped.

GX has no GB 11643 check, so its ID rules are the closest built-ins (a regular expression for the
form; the ID-embedded birth date and sex compared through columns derived in pandas inside the timed
section). Figures are best of 3 runs of each side, data already on disk.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

#: the 20 rules: (name, shuzhi rule declaration, GX expectation (class, kwargs))
RULES: list[tuple[str, dict[str, Any], tuple[str, dict[str, Any]]]] = [
    (
        "not_null:id_number",
        {"kind": "not_null", "field": "id_number"},
        ("ExpectColumnValuesToNotBeNull", {"column": "id_number"}),
    ),
    (
        "not_null:name",
        {"kind": "not_null", "field": "name"},
        ("ExpectColumnValuesToNotBeNull", {"column": "name"}),
    ),
    (
        "not_null:sex",
        {"kind": "not_null", "field": "sex"},
        ("ExpectColumnValuesToNotBeNull", {"column": "sex"}),
    ),
    (
        "not_null:birth_date",
        {"kind": "not_null", "field": "birth_date"},
        ("ExpectColumnValuesToNotBeNull", {"column": "birth_date"}),
    ),
    (
        "not_null:address",
        {"kind": "not_null", "field": "address"},
        ("ExpectColumnValuesToNotBeNull", {"column": "address"}),
    ),
    (
        "standard:id_number",
        {"kind": "standard", "field": "id_number"},
        ("ExpectColumnValuesToMatchRegex", {"column": "id_number", "regex": r"^[0-9]{17}[0-9X]$"}),
    ),
    (
        "standard:mobile",
        {"kind": "standard", "field": "mobile"},
        ("ExpectColumnValuesToMatchRegex", {"column": "mobile", "regex": r"^1[3-9][0-9]{9}$"}),
    ),
    (
        "standard:county",
        {"kind": "standard", "field": "county"},
        ("ExpectColumnValuesToMatchRegex", {"column": "county", "regex": r"^[1-8][0-9]{5}$"}),
    ),
    (
        "standard:sex",
        {"kind": "standard", "field": "sex"},
        ("ExpectColumnValuesToBeInSet", {"column": "sex", "value_set": ["0", "1", "2", "9"]}),
    ),
    (
        "values:status",
        {"kind": "values", "field": "status", "values": ["在册", "迁出", "死亡"]},
        ("ExpectColumnValuesToBeInSet", {"column": "status", "value_set": ["在册", "迁出", "死亡"]}),
    ),
    (
        "range:age",
        {"kind": "range", "field": "age", "min": 0, "max": 130},
        ("ExpectColumnValuesToBeBetween", {"column": "age", "min_value": 0, "max_value": 130}),
    ),
    (
        "range:amount",
        {"kind": "range", "field": "amount", "min": 0, "max": 10000},
        ("ExpectColumnValuesToBeBetween", {"column": "amount", "min_value": 0, "max_value": 10000}),
    ),
    (
        "range:birth_date",
        {"kind": "range", "field": "birth_date", "min": "1880-01-01", "max": "2026-01-01"},
        (
            "ExpectColumnValuesToBeBetween",
            {"column": "birth_date", "min_value": "1880-01-01", "max_value": "2026-01-01"},
        ),
    ),
    (
        "unique:id_number",
        {"kind": "unique", "fields": ["id_number"]},
        ("ExpectColumnValuesToBeUnique", {"column": "id_number"}),
    ),
    (
        "unique:name+birth_date",
        {"kind": "unique", "fields": ["name", "birth_date"]},
        ("ExpectCompoundColumnsToBeUnique", {"column_list": ["name", "birth_date"]}),
    ),
    (
        "max_length:address",
        {"kind": "max_length", "field": "address", "max_length": 40},
        ("ExpectColumnValueLengthsToBeBetween", {"column": "address", "max_value": 40}),
    ),
    (
        "pattern:postcode",
        {"kind": "pattern", "field": "postcode", "pattern": "[0-9]{6}"},
        ("ExpectColumnValuesToMatchRegex", {"column": "postcode", "regex": r"^[0-9]{6}$"}),
    ),
    (
        "id_birth:id_number+birth_date",
        {"kind": "id_birth", "field": "id_number", "birth": "birth_date"},
        (
            "ExpectColumnPairValuesToBeEqual",
            {"column_A": "_id_birth", "column_B": "_birth", "ignore_row_if": "either_value_is_missing"},
        ),
    ),
    (
        "id_sex:id_number+sex",
        {"kind": "id_sex", "field": "id_number", "sex": "sex"},
        (
            "ExpectColumnPairValuesToBeEqual",
            {"column_A": "_id_sex", "column_B": "_sex", "ignore_row_if": "either_value_is_missing"},
        ),
    ),
    (
        "record_age:updated_on",
        {"kind": "record_age", "field": "updated_on", "max_days": 3650},
        ("ExpectColumnValuesToBeBetween", {"column": "updated_on", "min_value": "2016-01-02"}),
    ),
]

RESOURCE = {
    "code": "BENCH-RK",
    "name": "人口（基准）",
    "department": "BENCH",
    "sharing": {"type": "unconditional"},
    "fields": [
        {"name": "id_number", "label": "公民身份号码", "standard": "idcard", "personal_info": "identity"},
        {"name": "name", "label": "姓名", "personal_info": "identity"},
        {"name": "sex", "label": "性别", "standard": "sex"},
        {"name": "birth_date", "label": "出生日期", "type": "date"},
        {"name": "mobile", "label": "手机号码", "standard": "phone", "personal_info": "contact"},
        {"name": "age", "label": "年龄", "type": "integer"},
        {"name": "county", "label": "区县", "standard": "division"},
        {"name": "status", "label": "状态"},
        {"name": "amount", "label": "金额", "type": "decimal"},
        {"name": "address", "label": "住址", "personal_info": "contact"},
        {"name": "postcode", "label": "邮编"},
        {"name": "updated_on", "label": "更新日期", "type": "date"},
    ],
}

GENERATE = """
SELECT i AS _row,
  CASE WHEN i % 997 = 0 THEN NULL
       WHEN i % 101 = 0 THEN s17 || 'Y'
       WHEN i % 4999 = 0 THEN lag17 || sz_idcard_check_char(lag17)
       ELSE s17 || sz_idcard_check_char(s17) END AS id_number,
  CASE WHEN i % 211 = 0 THEN NULL
       ELSE '张' || chr(CAST(19968 + i % 20000 AS INTEGER))
            || chr(CAST(19968 + (i // 20000) % 20000 AS INTEGER))
  END AS name,
  CASE WHEN i % 389 = 0 THEN '2' WHEN i % 401 = 0 THEN NULL
       ELSE CASE WHEN seq % 2 = 1 THEN '1' ELSE '2' END END AS sex,
  CASE WHEN i % 307 = 0 THEN birth + 1 ELSE birth END AS birth_date,
  CASE WHEN i % 3 = 0 THEN NULL WHEN i % 331 = 0 THEN '12345'
       ELSE '13' || lpad(CAST(i % 1000000000 AS VARCHAR), 9, '0') END AS mobile,
  CASE WHEN i % 503 = 0 THEN 150 ELSE 2026 - year(birth) END AS age,
  CASE WHEN i % 509 = 0 THEN '1405' ELSE '14050' || CAST(2 + i % 3 AS VARCHAR) END AS county,
  CASE WHEN i % 521 = 0 THEN '不明' ELSE ['在册', '迁出', '死亡'][1 + i % 3] END AS status,
  CASE WHEN i % 523 = 0 THEN -5.0 ELSE (i % 1000) * 1.5 END AS amount,
  CASE WHEN i % 541 = 0 THEN NULL WHEN i % 547 = 0 THEN repeat('很长的地址', 10)
       ELSE '山西省晋城市城区西街街道凤台东街' || CAST(i % 300 AS VARCHAR) || '号' END AS address,
  CASE WHEN i % 557 = 0 THEN '04800' ELSE '048000' END AS postcode,
  DATE '2026-01-01' - CAST(i % 4000 AS INTEGER) AS updated_on,
  []::STRUCT(field VARCHAR, rule VARCHAR, value VARCHAR)[] AS _issues
FROM (
  SELECT i, birth, seq,
    '14050' || CAST(2 + i % 3 AS VARCHAR) || strftime(birth, '%Y%m%d')
      || lpad(CAST(seq AS VARCHAR), 3, '0') AS s17,
    '14050' || CAST(2 + (i - 1) % 3 AS VARCHAR)
      || strftime(DATE '1940-01-01' + CAST(((i - 1) * 37) % 29000 AS INTEGER), '%Y%m%d')
      || lpad(CAST(((i - 1) // 29000) % 1000 AS VARCHAR), 3, '0') AS lag17
  FROM (SELECT i, DATE '1940-01-01' + CAST((i * 37) % 29000 AS INTEGER) AS birth, (i // 29000) % 1000 AS seq
        FROM range(1, {rows} + 1) t(i))
)
"""


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, {platform.platform()}"


def run_shuzhi(rows: int, workdir: Path) -> tuple[Path, dict[str, int], list[tuple[float, float]]]:
    from shuzhi.catalog import declare
    from shuzhi.catalog.spec import CatalogFile
    from shuzhi.engine import DuckDBEngine
    from shuzhi.quality import QualitySpec, evaluate
    from shuzhi.workspace import Workspace

    ws = Workspace.init(workdir / "ws")
    declare(
        ws,
        CatalogFile.model_validate(
            {"departments": [{"code": "BENCH", "name": "基准"}], "resources": [RESOURCE]}
        ),
    )
    data = ws.warehouse / "BENCH-RK" / "v1" / "data.parquet"
    data.parent.mkdir(parents=True)
    t = time.perf_counter()
    ws.engine.write_parquet(GENERATE.format(rows=rows), data)
    print(
        f"generated {rows:,} rows in {time.perf_counter() - t:.1f} s: {data} "
        f"({data.stat().st_size / 1e6:.0f} MB)"
    )
    quality = QualitySpec.model_validate({"defaults": False, "rules": [r for _, r, _ in RULES]})
    assert len(quality.rules) == 20
    engine = DuckDBEngine(threads=os.cpu_count() or 2, standards=False)
    times: list[tuple[float, float]] = []  # (wall, CPU of this process)
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        run = evaluate(ws, "BENCH-RK", 1, engine=engine, quality=quality, store=False)
        times.append((time.perf_counter() - t, time.process_time() - c))
    assert run.rows == rows, run
    figures = {r.rule_id: r.failing for r in run.results}
    engine.close()
    ws.close()
    return data, figures, times


def run_gx(data: Path) -> dict[str, Any]:
    """The GX side (run in the GX virtual environment): 20 expectations on a pandas DataFrame."""
    import great_expectations as gx
    import pandas as pd

    df0 = pd.read_parquet(data)
    for col in ("birth_date", "updated_on"):  # ISO strings: GX compares them with the string bounds
        df0[col] = pd.to_datetime(df0[col]).dt.strftime("%Y-%m-%d").astype(object)
    times: list[tuple[float, float]] = []
    counts: dict[str, Any] = {}
    for _ in range(3):
        df = df0.copy()
        t, c = time.perf_counter(), time.process_time()
        ids = df["id_number"].where(df["id_number"].str.fullmatch(r"[0-9]{17}[0-9X]", na=False))
        df["_id_birth"] = ids.str.slice(6, 10) + "-" + ids.str.slice(10, 12) + "-" + ids.str.slice(12, 14)
        df["_birth"] = df["birth_date"].where(df["birth_date"].notna())
        df["_id_sex"] = ids.str.slice(16, 17).astype("float").mod(2).map({1.0: "1", 0.0: "2"})
        df["_sex"] = df["sex"].where(df["sex"].isin(["1", "2"]))
        context = gx.get_context(mode="ephemeral")
        batch_def = (
            context.data_sources.add_pandas("bench")
            .add_dataframe_asset("rk")
            .add_batch_definition_whole_dataframe("all")
        )
        suite = context.suites.add(gx.ExpectationSuite(name="rk"))
        for name, _rule, (cls, kwargs) in RULES:
            suite.add_expectation(getattr(gx.expectations, cls)(**kwargs, meta={"rule": name}))
        vd = context.validation_definitions.add(
            gx.ValidationDefinition(name="v", data=batch_def, suite=suite)
        )
        result = vd.run(batch_parameters={"dataframe": df}, result_format="SUMMARY")
        times.append((time.perf_counter() - t, time.process_time() - c))
        counts = {r.expectation_config.meta["rule"]: r.result.get("unexpected_count") for r in result.results}
    return {"times": times, "counts": counts, "gx_version": gx.__version__}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--gx-python", default="/tmp/gx-venv/bin/python")
    p.add_argument("--gx", type=Path, help=argparse.SUPPRESS)  # run the GX side on this file
    args = p.parse_args()
    if args.gx is not None:
        print(json.dumps(run_gx(args.gx)))
        return
    print(machine())
    print(f"load average before: {os.getloadavg()[0]:.2f} (other jobs on the machine inflate wall times)")
    with tempfile.TemporaryDirectory() as tmp:
        data, figures, times = run_shuzhi(args.rows, Path(tmp))
        wall, cpu = min(w for w, _ in times), min(c for _, c in times)
        print(
            f"shuzhi (DuckDB, one scan): 20 rules over {args.rows:,} rows: best wall {wall:.2f} s, "
            f"best CPU {cpu:.2f} s (runs {', '.join(f'{w:.2f}' for w, _ in times)}) — "
            f"target < 5 s: {'met' if wall < 5 else 'NOT met'}"
        )
        if not Path(args.gx_python).exists():
            print(f"Great Expectations skipped: no {args.gx_python} (see the docstring)")
            return
        out = subprocess.run(
            [args.gx_python, __file__, "--gx", str(data)], capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            print(out.stderr[-3000:])
            raise SystemExit("the Great Expectations run failed")
        gx = json.loads(out.stdout.strip().splitlines()[-1])
    gx_wall, gx_cpu = min(w for w, _ in gx["times"]), min(c for _, c in gx["times"])
    print(
        f"Great Expectations {gx['gx_version']} (pandas): best wall {gx_wall:.2f} s, best CPU {gx_cpu:.2f} s "
        f"(runs {', '.join(f'{w:.2f}' for w, _ in gx['times'])})"
    )
    print(
        f"ratio: shuzhi is {gx_wall / wall:.1f}x faster by wall time, {gx_cpu / cpu:.1f}x by CPU time "
        f"(target >= 10x)"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print("\n| rule | shuzhi failing rows | GX unexpected |\n|---|---:|---:|")
    for name, _r, _g in RULES:
        print(f"| `{name}` | {figures[name]:,} | {gx['counts'].get(name)} |")


if __name__ == "__main__":
    main()
