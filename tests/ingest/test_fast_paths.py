"""The fast paths of bulk cleansing: a value they pass must be one the full check accepts as
written, without notes (the lookup then skips the check for it)."""

from __future__ import annotations

import datetime as dt

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


def _date_disagreements(con: duckdb.DuckDBPyConnection, check: str, values: list[str]) -> list[str]:
    """Values the date fast path passes whose verdict from ``check`` is not valid, with the ISO
    form of the fast path's day as normalized, that day as its parts and no notes."""
    steps = _fast_steps("date", "v", "v_")
    rows = con.execute(
        f"SELECT v FROM (SELECT v, {steps[0]['fdate']} AS d, {check}(v) AS c "
        "FROM unnest(?::VARCHAR[]) AS t(v)) "
        "WHERE d IS NOT NULL AND NOT coalesce(c.valid AND c.normalized = strftime(d, '%Y-%m-%d') "
        "AND len(c.notes) = 0 AND make_date(c.parts.year, c.parts.month, c.parts.day) = d, false)",
        [values],
    ).fetchall()
    return [r[0] for r in rows]


def test_date_fast_path_agrees_with_the_checks(con: duckdb.DuckDBPyConnection) -> None:
    values: set[str] = set()
    for y in (1799, 1800, 1900, 1949, 2000, 2023, 2024, 2199, 2200):
        for mo in range(14):
            for d in (0, 1, 9, 10, 28, 29, 30, 31, 32):
                values |= {
                    f"{y}-{mo:02d}-{d:02d}",
                    f"{y}-{mo}-{d}",
                    f"{y}/{mo}/{d}",
                    f"{y}/{mo:02d}/{d:02d}",
                    f"{y}{mo:02d}{d:02d}",
                    f"{y}年{mo}月{d}日",
                    f"{y}年{mo:02d}月{d:02d}日",
                    f"{d:02d}/{mo:02d}/{y}",
                }
    values |= {"2019-4/30", "2019/04-30", "2019年4月30号", "20190430 12:00", "43585", "1949年12月", "194912"}
    vals = sorted(values)
    assert _date_disagreements(con, "sz_date_check", vals) == []
    assert _date_disagreements(con, "sz_date_check_dayfirst", vals) == []


def test_date_fast_path_cases(con: duckdb.DuckDBPyConnection) -> None:
    vals = ["2019-04-30", "2019/4/30", "20190430", "2019年4月30日", "2019-02-29", "1799-12-31", "30/04/2019"]
    steps = _fast_steps("date", "v", "v_")
    got = [
        r[0]
        for r in con.execute(
            f"SELECT {steps[0]['fdate']} FROM unnest(?::VARCHAR[]) WITH ORDINALITY AS t(v, i) ORDER BY i",
            [vals],
        ).fetchall()
    ]
    day = dt.date(2019, 4, 30)
    assert got == [day, day, day, day, None, None, None]


def test_text_fast_path_agrees_with_the_check(con: duckdb.DuckDBPyConnection) -> None:
    values = {
        "140525303447",
        "城区东街街道办事处",
        "ABC-123",
        "a b",
        " x",
        "全角１２３",
        "晉城",
        "N/A",
        "null",
        "-",
        "/",
        "无",
        "不详",
        "x\u200by",
        "x\u3000y",
        "0",
        "王·伟",
        "王•伟",
    }
    values |= {p for p in PLACEHOLDERS} | {p.upper() for p in PLACEHOLDERS}
    rows = con.execute(
        f"SELECT v FROM (SELECT v, {_fast('text')} AS f FROM unnest(?::VARCHAR[]) AS t(v)) "
        "WHERE f AND sz_text_clean(v) IS DISTINCT FROM v",
        [sorted(values)],
    ).fetchall()
    assert rows == []
    assert _passed(
        con, "text", ["140525303447", "城区东街街道办事处", "晉城", "N/A", "a b", "全角１２３"]
    ) == [True, True, False, False, False, False]
