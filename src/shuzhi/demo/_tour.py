from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shuzhi.engine import DuckDBEngine, Engine
from shuzhi.standards import KINDS
from shuzhi.standards._verdict import Lang, is_missing, reason_title

SAMPLE_RECORDS = Path(__file__).parent / "data" / "sample_records.csv"

#: the city the sample comes from (晋城市): tells apart names such as 城区 that many cities have
SAMPLE_CITY = "140500"

#: sample column -> standards kind it is checked against (the catalog will declare this per field)
SAMPLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("姓名", "name"),
    ("身份证号", "idcard"),
    ("出生日期", "date"),
    ("联系电话", "phone"),
    ("地址", "address"),
    ("统一社会信用代码", "uscc"),
)


@dataclass(frozen=True, slots=True)
class ColumnReport:
    column: str
    kind: str
    total: int
    valid: int
    missing: int
    invalid: int
    corrected: int  # valid, but only after a correction (a note)
    reasons: list[tuple[str, str, int]] = field(default_factory=list)  # (code, text, count)


@dataclass(frozen=True, slots=True)
class TourResult:
    source: Path
    rows: int
    columns: list[ColumnReport]
    cleaned: list[dict[str, Any]]
    seconds: float
    written: Path | None = None


def _sql_check(kind: str, column: str, city: str | None) -> str:
    k = KINDS[kind]
    if city is not None and k.sql_check_in is not None:
        if not city.isdigit():
            raise ValueError(f"a city is a division code, not {city!r}")
        return f"{k.sql_check_in}(\"{column}\", '{city}')"
    return f'{k.sql_check}("{column}")'


def standards_tour(
    engine: Engine | None = None,
    *,
    source: Path = SAMPLE_RECORDS,
    columns: tuple[tuple[str, str], ...] = SAMPLE_COLUMNS,
    output: Path | None = None,
    city: str | None = SAMPLE_CITY,
    lang: Lang = "zh",
) -> TourResult:
    """Check and normalise every declared column of the CSV ``source`` in one SQL pass.

    Each column ``c`` gains ``c_规范`` (normalised value), ``c_原因`` (reason code) and ``c_解析``
    (parsed parts, which also fill in the reason's text); with
    ``output`` the cleaned table is written there as Parquet, atomically. ``city`` (a division
    code) is the context for kinds that take one (addresses).
    """
    started = time.perf_counter()
    own = engine is None
    eng = engine or DuckDBEngine()
    try:
        eng.execute(
            "CREATE OR REPLACE TEMP TABLE sz_tour_raw AS SELECT row_number() OVER () AS row_no, * "
            "FROM read_csv(?, header = true, all_varchar = true)",
            [str(source)],
        )
        checks = ", ".join(f'{_sql_check(kind, col, city)} AS "{col}__v"' for col, kind in columns)
        eng.execute(f"CREATE OR REPLACE TEMP TABLE sz_tour_checked AS SELECT *, {checks} FROM sz_tour_raw")
        figures = ", ".join(
            f'count(*) FILTER ("{c}__v".valid), count(*) FILTER ("{c}__v".valid AND len("{c}__v".notes) > 0)'
            for c, _ in columns
        )
        (total, *counts) = eng.fetch_rows(f"SELECT count(*), {figures} FROM sz_tour_checked")[0]
        reason_counts = eng.fetch_rows(
            " UNION ALL ".join(
                f'SELECT {i}, "{c}__v".reason, count(*) FROM sz_tour_checked '
                f'WHERE NOT "{c}__v".valid GROUP BY 2'
                for i, (c, _) in enumerate(columns)
            )
            + " ORDER BY 1, 3 DESC, 2"
        )
        reports = []
        for i, (col, kind) in enumerate(columns):
            valid, corrected = counts[2 * i : 2 * i + 2]
            reasons = [(code, n) for j, code, n in reason_counts if j == i]
            missing = sum(n for code, n in reasons if is_missing(code))
            reports.append(
                ColumnReport(
                    column=col,
                    kind=kind,
                    total=total,
                    valid=valid,
                    missing=missing,
                    invalid=total - valid - missing,
                    corrected=corrected,
                    reasons=[
                        (code, reason_title(code, lang), n) for code, n in reasons if not is_missing(code)
                    ],
                )
            )
        checked = {f"{c}__v" for c, _ in columns}
        raw_cols = [r[0] for r in eng.fetch_rows("SELECT column_name FROM (DESCRIBE sz_tour_raw)")]
        select = ", ".join(
            [f'"{c}"' for c in raw_cols if c not in checked]
            + [
                f'"{c}__v".normalized AS "{c}_规范", "{c}__v".reason AS "{c}_原因", '
                f'"{c}__v".parts AS "{c}_解析"'
                for c, _ in columns
            ]
        )
        query = f"SELECT {select} FROM sz_tour_checked ORDER BY row_no"
        table = eng.fetch_arrow(query)
        written = None
        if output is not None:
            eng.write_parquet(query, output, overwrite=True)
            written = output
        return TourResult(source, total, reports, table.to_pylist(), time.perf_counter() - started, written)
    finally:
        if own:
            eng.close()
