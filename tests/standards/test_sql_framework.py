"""The SQL-form machinery: macros install on DuckDB and inline into plain SQL for other engines."""

from __future__ import annotations

import duckdb
import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st

from shuzhi.standards import KINDS, expand, install
from shuzhi.standards._sql import MACROS
from shuzhi.standards._verdict import BLANK_CHARS, precheck


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    install(c)
    return c


def test_every_macro_installs_and_is_named_sz(con: duckdb.DuckDBPyConnection) -> None:
    installed = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type = 'macro'"
        ).fetchall()
    }
    assert MACROS, "no macros registered"
    assert set(MACROS) <= installed
    assert all(name.startswith("sz_") for name in MACROS)


def test_precheck_codes(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT sz_precheck(NULL), sz_precheck('  '), sz_precheck(repeat('1', 1001)), sz_precheck('1')"
    ).fetchone()
    assert rows == ("empty", "empty", "too_long", None)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from([*BLANK_CHARS, "a", "中", "\u2028", "_"]), max_size=6))
def test_precheck_agrees_with_python_on_blanks(con: duckdb.DuckDBPyConnection, text: str) -> None:
    """Blank is exactly the Python form's blank: nothing but the characters it strips."""
    _, verdict = precheck("any", text)
    expected = verdict.reason if verdict is not None else None
    assert con.execute("SELECT sz_precheck(?)", [text]).fetchone() == (expected,)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_expanded_check_gives_the_same_result_as_the_macro(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    """Inlining for other engines must not change a single value (here: back into DuckDB)."""
    samples = [
        "",
        "11010519491231002X",
        "91350100M000100Y43",
        "140502",
        "13800138000",
        "2019-04-30",
        "山西省晋城市城区凤台东街1号",
        "张伟",
        "１２３",
        "😀",
        None,
    ]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE t AS SELECT * FROM (SELECT unnest($1::VARCHAR[]) AS v)", [samples]
    )
    sql = f"SELECT v, {KINDS[kind].sql_check}(v) AS r FROM t ORDER BY v NULLS LAST"
    inlined = expand(sql)
    assert not [m for m in MACROS if f"{m}(" in inlined.lower()], inlined
    assert con.execute(inlined).fetchall() == con.execute(sql).fetchall()


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_expanded_check_transpiles_to_spark(kind: str) -> None:
    inlined = expand(f"SELECT {KINDS[kind].sql_check}(in_value) FROM t", write="spark")
    assert sqlglot.parse_one(inlined, read="spark") is not None


def test_expand_refuses_a_column_the_macro_body_would_capture() -> None:
    from shuzhi.standards._sql import macro

    macro("sz_test_capture", ["s"], "(SELECT q.v * 2 FROM (SELECT s AS v) AS q)")
    try:
        c = duckdb.connect()
        install(c)
        c.execute("CREATE TEMP TABLE t AS SELECT 5 AS w, 7 AS v")
        assert c.execute(expand("SELECT sz_test_capture(w) FROM t")).fetchone() == (10,)
        with pytest.raises(ValueError, match="'v'"):
            expand("SELECT sz_test_capture(v) FROM t")
    finally:
        MACROS.pop("sz_test_capture")


def test_expand_keeps_operator_precedence() -> None:
    from shuzhi.standards._sql import macro

    macro("sz_test_twice", ["s"], "s * 2")
    try:
        c = duckdb.connect()
        install(c)
        assert c.execute(expand("SELECT sz_test_twice(1 + 2)")).fetchone() == (6,)
        assert c.execute("SELECT sz_test_twice(1 + 2)").fetchone() == (6,)
    finally:
        MACROS.pop("sz_test_twice")


def _lookup_contents(c: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    from shuzhi.standards._sql import TABLES

    return {name: c.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall() for name in sorted(TABLES)}


def test_lookup_tables_cached_on_disk_are_the_same(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lookup tables kept under SHUZHI_CACHE_DIR (across processes) hold exactly the rows
    built from the package data; a damaged cache file is rebuilt."""
    from pathlib import Path

    from shuzhi.standards import _sql

    root = Path(str(tmp_path))
    built = duckdb.connect()
    monkeypatch.setenv(_sql.CACHE_ENV, "off")
    _sql._arrow_cache.clear()
    install(built)
    expected = _lookup_contents(built)

    monkeypatch.setenv(_sql.CACHE_ENV, str(root))
    for round_ in range(3):
        _sql._arrow_cache.clear()  # as in a new process: only the disk cache is left
        c = duckdb.connect()
        install(c)
        assert _lookup_contents(c) == expected, round_
        files = sorted(root.glob("lookup-*/*.arrow"))
        assert {f.stem for f in files} == set(_sql.TABLES)
        if round_ == 1:
            files[0].write_bytes(b"not arrow")  # damaged: rebuilt on the next install
    _sql._arrow_cache.clear()


#: aliases a caller's query is likely to give its table, and names the macros use inside
_CALLER_ALIASES = ("t", "u", "w", "p", "x", "s", "cx", "t1", "pos3")


def test_every_macro_reads_the_callers_columns_whatever_the_callers_alias(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """A macro's arguments are inlined as written: ``sz_address_check(t.s)`` over a table aliased
    ``t`` once bound ``t`` to a column of the macro's own derived tables (a binder error)."""
    macros = con.execute(
        "SELECT DISTINCT function_name, len(parameters) FROM duckdb_functions() "
        "WHERE function_type = 'macro' AND starts_with(function_name, 'sz_') ORDER BY 1"
    ).fetchall()
    assert len(macros) > 40
    failures = []
    for name, n in macros:
        for alias in _CALLER_ALIASES:
            args = ", ".join(f"{alias}.{c}" for c in ("s", "c", "d", "e")[:n])
            try:
                con.execute(
                    f"SELECT {name}({args}) FROM (VALUES ('晋城市城区凤台东街1号', '140500', '1', '2')) "
                    f"AS {alias}(s, c, d, e)"
                ).fetchall()
            except duckdb.BinderException as e:  # (a value of the wrong type is not the point)
                failures.append(f"{name} with alias {alias}: {str(e).splitlines()[0]}")
            except duckdb.Error:
                pass
    assert failures == []
