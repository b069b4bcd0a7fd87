from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shuzhi.standards import KINDS, install, reason_text
from shuzhi.standards._verdict import Lang

SAMPLE_RECORDS = Path(__file__).parent / "data" / "sample_records.csv"

#: sample column -> standards kind it is checked against
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


def standards_tour(
    con: Any = None,
    *,
    source: Path = SAMPLE_RECORDS,
    columns: tuple[tuple[str, str], ...] = SAMPLE_COLUMNS,
    lang: Lang = "zh",
) -> TourResult:
    """Check and normalise every declared column of ``source`` in one DuckDB pass.

    Leaves the table ``sz_tour_cleaned`` (row number, raw and normalised values, reasons) on
    ``con`` for the caller to store.
    """
    import duckdb

    started = time.perf_counter()
    con = con or duckdb.connect()
    install(con)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE sz_tour_raw AS "
        "SELECT row_number() OVER () AS row_no, * FROM read_csv(?, header = true, all_varchar = true)",
        [str(source)],
    )
    checks = ", ".join(
        f'{KINDS[kind].sql_check}("{col}") AS "{col}__verdict"' for col, kind in columns
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE sz_tour_checked AS SELECT *, {checks} FROM sz_tour_raw")
    reports = []
    for col, kind in columns:
        v = f'"{col}__verdict"'
        total, valid, missing, corrected = con.execute(
            f"SELECT count(*), count(*) FILTER ({v}.valid), count(*) FILTER ({v}.reason = 'empty'), "
            f"count(*) FILTER ({v}.valid AND len({v}.notes) > 0) FROM sz_tour_checked"
        ).fetchone()
        reasons = con.execute(
            f"SELECT {v}.reason, count(*) FROM sz_tour_checked WHERE NOT {v}.valid AND {v}.reason <> 'empty' "
            f"GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall()
        reports.append(
            ColumnReport(
                column=col,
                kind=kind,
                total=total,
                valid=valid,
                missing=missing,
                invalid=total - valid - missing,
                corrected=corrected,
                reasons=[(code, reason_text(code, lang), n) for code, n in reasons],
            )
        )
    select = ", ".join(
        f'"{col}" AS "{col}", "{col}__verdict".normalized AS "{col}_规范", "{col}__verdict".reason AS "{col}_原因"'
        for col, _ in columns
    )
    con.execute(
        f'CREATE OR REPLACE TEMP TABLE sz_tour_cleaned AS SELECT row_no, "来源部门", {select} '
        "FROM sz_tour_checked ORDER BY row_no"
    )
    cur = con.execute("SELECT * FROM sz_tour_cleaned ORDER BY row_no")
    names = [d[0] for d in cur.description]
    cleaned = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    rows = con.execute("SELECT count(*) FROM sz_tour_raw").fetchone()[0]
    return TourResult(source, rows, reports, cleaned, time.perf_counter() - started)
