"""The fast paths of bulk cleansing: a value they pass must be one the full check accepts, with
the same normalized form (the lookup then skips the check for it; ingestion keeps no notes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from shuzhi.ingest._cleanse import _BLANKS, _fast_steps, _raw_plain, _stack
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


def _id_values() -> list[str | None]:
    """Identity numbers as departments write them: valid (current and retired regions), in
    lower case, the 15-digit form, full-width, with spaces, with a wrong check character, a
    bad or future date, an unknown region, placeholders, junk — some repeated, some that trim
    to the same number."""
    from shuzhi.standards.idcard import check_char

    def full(first17: str) -> str:
        return first17 + check_char(first17)

    out: list[str | None] = []
    for i, region in enumerate(("140525", "110101", "440524", "140502", "999999", "150000")):
        for birth in ("19900307", "20000229", "19000229", "20991231", "18791231", "20231301"):
            first17 = f"{region}{birth}{(i * 37) % 1000:03d}"
            out.append(full(first17))
            out.append(first17 + ("0" if check_char(first17) != "0" else "1"))  # wrong check char
    x = next(f for f in (f"14052519900307{n:03d}" for n in range(1000)) if check_char(f) == "X")
    base = full("14052519900307123")
    out += [
        x + "X",
        x + "x",
        f" {base}",
        f"{base}\u3000",
        base[:6] + " " + base[6:],
        "".join(chr(ord(c) + 0xFEE0) for c in base),  # full-width digits
        "140525900307123",
        "14052590030712",
        "1405251990030712345",
        "14052519900307123",
        "14052A199003071234",
        "",
        "无",
        "不详",
        "N/A",
        "-",
        None,
        "身份证号",
        base,
        base,
    ]
    return out


def _cleansed(engine: Any, values: list[str | None], *, vectorised: bool) -> tuple[list[Any], list[Any]]:
    """The batch rows and the quarantine errors of ``values`` as an identity-number column,
    cleansed with the kind's vectorised check (``arrow``) or with SQL alone."""
    from _ingest_fixtures import resource_spec

    from shuzhi.catalog.spec import ResourceSpec
    from shuzhi.ingest._cleanse import Cleanser, plan_fields

    fields = [{"name": "id_number", "label": "身份证号", "standard": "idcard", "required": True}]
    spec = ResourceSpec.model_validate(resource_spec("T-VEC", fields))
    plan = plan_fields(spec, None, ["身份证号"], file="ids.csv")
    tag = "k" if vectorised else "s"
    src = f"src_{tag}"
    engine.execute(
        f'CREATE OR REPLACE TABLE {src} AS SELECT i::BIGINT AS _row, v AS "身份证号" '
        "FROM unnest(?::VARCHAR[]) WITH ORDINALITY AS t(v, i)",
        [values],
    )
    cl = Cleanser(plan, source=src, batch=f"b_{tag}", prefix=f"p_{tag}", arrow=engine if vectorised else None)
    cl.setup(engine.execute, engine.fetch_rows)
    for f in cl.lookups():
        cl.build_lookup(f, engine.execute, lambda sql: int(engine.fetch_rows(sql)[0][0]))
    engine.execute(cl.main_sql())
    batch = engine.fetch_rows(
        f"SELECT _row, id_number, _fails::VARCHAR, _issues::VARCHAR FROM b_{tag} ORDER BY _row"
    )
    errors = engine.fetch_rows(f"SELECT _row, _errors::VARCHAR FROM ({cl.errors_sql()}) ORDER BY _row")
    for view in cl.views:
        engine.unregister(view)
    return batch, errors


def test_identity_numbers_cleansed_by_the_vectorised_check_as_by_sql() -> None:
    """With an in-process engine the identity numbers are sorted out by the vectorised kernel
    (check_arrow) and only the refused ones go through the SQL check: every row, value, reason
    and reason text is what the SQL path alone gives, and no row is lost or repeated."""
    from shuzhi.engine import DuckDBEngine

    values = _id_values()
    with DuckDBEngine() as engine:
        kernel = _cleansed(engine, values, vectorised=True)
        sql = _cleansed(engine, values, vectorised=False)
    assert kernel == sql
    batch, errors = kernel
    assert [r[0] for r in batch] == list(range(1, len(values) + 1))  # none lost, none repeated
    got = {v: r[1] for v, r in zip(values, batch, strict=True)}
    base = values[-1]
    x = next(v for v in values if v and v.endswith("x"))
    assert got["140525900307123"] == base  # the 15-digit form upgraded
    assert got[f" {base}"] == got[f"{base}\u3000"] == base  # trimmed
    assert got["".join(chr(ord(c) + 0xFEE0) for c in base)] == base  # full-width digits
    assert got[x] == x.upper()
    reasons = " ".join(e[1] for e in errors)
    for code in ("check_mismatch", "bad_length", "bad_chars", "bad_date", "unknown_province", "required"):
        assert code in reasons


def test_the_raw_tests_imply_the_fast_paths(con: duckdb.DuckDBPyConnection) -> None:
    """A value the test on the column as read (before trimming) passes is one the fast path calls
    valid as written, with no blank to trim: the rows it lets go would have left the lookup."""
    values = [
        "13912345678",
        "12912345678",
        "1391234567",
        "139123456789",
        "0356-8303749",
        "000",
        "0",
        "1405251990",
        "AJ-00100",
        "１２３",
        "12 3",
        "N/A",
        "无",
        "",
    ]
    values += [b + v for v in ("13912345678", "123") for b in _BLANKS] + [
        v + b for v in ("123",) for b in _BLANKS
    ]
    for kind in ("phone", "text"):
        plain = _raw_plain(kind, "v")
        assert plain is not None
        rows = con.execute(
            f"SELECT v, coalesce({plain}, false), v_asis FROM ({_fast_sql(kind)}) ORDER BY i", [values]
        ).fetchall()
        passed = [v for v, raw_ok, _ in rows if raw_ok]
        assert all(asis for _, raw_ok, asis in rows if raw_ok), kind
        assert all(v == v.strip(_BLANKS) and v for v in passed), kind
        assert passed  # not vacuous
    assert _raw_plain("name", "v") is None
