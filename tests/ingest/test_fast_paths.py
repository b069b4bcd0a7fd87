"""The fast paths of bulk cleansing: a value they pass must be one the full check accepts as
written, without notes (the lookup then skips the check for it)."""

from __future__ import annotations

import duckdb

from shuzhi.ingest._cleanse import _fast_steps
from shuzhi.standards.phone import area_codes
from shuzhi.standards.text import PLACEHOLDERS


def _fast(kind: str) -> str:
    steps = _fast_steps(kind, "v", "v_")
    assert len(steps) == 1
    return steps[0]["fast"]


def _disagreements(con: duckdb.DuckDBPyConnection, kind: str, check: str, values: list[str]) -> list[str]:
    """Values the fast path passes but ``check`` does not accept as written without notes."""
    rows = con.execute(
        f"SELECT v FROM (SELECT v, {_fast(kind)} AS f, {check}(v) AS c FROM unnest(?::VARCHAR[]) AS t(v)) "
        "WHERE f AND NOT coalesce(c.valid AND c.normalized = v AND len(c.notes) = 0, false)",
        [values],
    ).fetchall()
    return [r[0] for r in rows]


def _passed(con: duckdb.DuckDBPyConnection, kind: str, values: list[str]) -> list[bool]:
    return [
        r[0]
        for r in con.execute(
            f"SELECT {_fast(kind)} FROM unnest(?::VARCHAR[]) WITH ORDINALITY AS t(v, i) ORDER BY i", [values]
        ).fetchall()
    ]


def test_name_fast_path_agrees_with_the_checks(con: duckdb.DuckDBPyConnection) -> None:
    values = {"王" * 25, "王" * 26, "王 伟", "王·伟", "张伟", "張偉", "乾隆", "於丹"}
    for cp in range(0x4E00, 0xA000, 3):
        c = chr(cp)
        values |= {c, c + c, "王" + c}
    values |= set(PLACEHOLDERS) | {p + p for p in PLACEHOLDERS}
    vals = sorted(values)
    assert _disagreements(con, "name", "sz_name_check_lean", vals) == []
    assert _disagreements(con, "name", "sz_name_check", vals) == []


def test_name_fast_path_cases(con: duckdb.DuckDBPyConnection) -> None:
    vals = ["张伟", "欧阳娜娜", "張偉", "不详", "王", "王 伟", "王伟1", "", "Zhang Wei"]
    assert _passed(con, "name", vals) == [True, True, False, False, False, False, False, False, False]


def test_phone_fast_path_agrees_with_the_check(con: duckdb.DuckDBPyConnection) -> None:
    values = {"13912345678", "12912345678", "0356-8303749-1", "0356--8303749", "01-2345678", "0101-2345678"}
    for code in area_codes():
        for n in range(3, 10):
            for first in "0129":
                local = first + "3" * (n - 1)
                values |= {f"{code}-{local}", f"{code[:3]}-{code[3:]}{local}", f"{code}{local}"}
    assert _disagreements(con, "phone", "sz_phone_check", sorted(values)) == []


def test_phone_fast_path_cases(con: duckdb.DuckDBPyConnection) -> None:
    vals = ["13912345678", "0356-8303749", "010-62345678", "010-6234567", "0356-0303749", "0356 8303749"]
    assert _passed(con, "phone", vals) == [True, True, True, False, False, False]
