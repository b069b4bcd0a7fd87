"""The fast paths of bulk cleansing: a value they pass must be one the full check accepts, with
the same normalized form (the lookup then skips the check for it; ingestion keeps no notes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from shuzhi.ingest._cleanse import _fast_steps, _stack
from shuzhi.standards.phone import area_codes
from shuzhi.standards.text import PLACEHOLDERS


def _fast_sql(kind: str) -> str:
    """SQL: the fast path's columns (v_fast, v_fnorm, v_fdt, v_asis) over the values ``v`` of the
    list parameter, in order (``i``)."""
    return _stack(
        "SELECT v, i FROM unnest(?::VARCHAR[]) WITH ORDINALITY AS t(v, i)",
        {"v_": _fast_steps(kind, "v", "v_")},
    )


def _disagreements(con: duckdb.DuckDBPyConnection, kind: str, check: str, values: list[str]) -> list[str]:
    """Values the fast path passes that ``check`` does not accept with the fast path's normalized
    form (and, for dates, its day); and values the fast path calls as written whose normalized
    form is not the value itself."""
    day = "make_date(c.parts.year, c.parts.month, c.parts.day)" if kind == "date" else "NULL::DATE"
    rows = con.execute(
        f"SELECT v FROM (SELECT *, {check}(v) AS c FROM ({_fast_sql(kind)})) "
        "WHERE (v_fast AND NOT coalesce(c.valid AND c.normalized = v_fnorm "
        f"AND v_fdt IS NOT DISTINCT FROM {day}, false)) OR (v_asis AND v_fnorm <> v)",
        [values],
    ).fetchall()
    return [r[0] for r in rows]


def _passed(
    con: duckdb.DuckDBPyConnection, kind: str, values: list[str], column: str = "v_fast"
) -> list[Any]:
    return [
        r[0] for r in con.execute(f"SELECT {column} FROM ({_fast_sql(kind)}) ORDER BY i", [values]).fetchall()
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
    assert _disagreements(con, "date", "sz_date_check", vals) == []
    assert _disagreements(con, "date", "sz_date_check_dayfirst", vals) == []


def test_date_fast_path_cases(con: duckdb.DuckDBPyConnection) -> None:
    vals = ["2019-04-30", "2019/4/30", "20190430", "2019年4月30日", "2019-02-29", "1799-12-31", "30/04/2019"]
    day = dt.date(2019, 4, 30)
    assert _passed(con, "date", vals, "v_fdt") == [day, day, day, day, None, None, None]
    assert _passed(con, "date", vals, "v_asis") == [True, False, False, False, False, False, False]


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
    }
    values |= {"-", "/", "无", "不详", "x\u200by", "x\u3000y", "0", "王·伟", "王•伟"}
    values |= set(PLACEHOLDERS) | {p.upper() for p in PLACEHOLDERS}
    rows = con.execute(
        f"SELECT v FROM ({_fast_sql('text')}) "
        "WHERE v_fast AND (sz_text_clean(v) IS DISTINCT FROM v_fnorm OR NOT v_asis)",
        [sorted(values)],
    ).fetchall()
    assert rows == []
    vals = ["140525303447", "城区东街街道办事处", "晉城", "N/A", "a b", "全角１２３"]
    assert _passed(con, "text", vals) == [True, True, False, False, False, False]


def test_phone_written_mobiles_are_normalized_without_the_check(con: duckdb.DuckDBPyConnection) -> None:
    values = ["+86 13912345678", "+8613912345678", "86 13912345678", "8613912345678", "+86-139-1234-5678"]
    values += ["139 1234 5678", "139-1234-5678", "+86 139 1234 5678", "1391234 5678", "13912345678"]
    values += ["+86 12912345678", "+87 13912345678", "139 1234 567", "+86 139 1234 56789", "86-0356-2123456"]
    assert _disagreements(con, "phone", "sz_phone_check", values) == []
    assert _passed(con, "phone", values, "v_fnorm")[:10] == ["13912345678"] * 10
    assert _passed(con, "phone", values) == [True] * 10 + [False] * 5
    assert _passed(con, "phone", values, "v_asis") == [False] * 9 + [True] + [False] * 5
