"""The vectorised identity-number check (idcard.check_arrow, idcard.bulk, idcard.bulk_arrow)
gives exactly the answers of the Python form, check_idcard, on every input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuzhi.standards import idcard
from shuzhi.standards.idcard import bulk, bulk_arrow, bulk_sql, check_arrow, check_char, check_idcard

Row = tuple[Any, ...]
FIELDS = ("valid", "normalized", "reason", "region_code", "birth_date", "sex_code")


def _expected(value: object) -> Row:
    v = check_idcard(value)
    p = v.parts or {}
    birth = p.get("birth_date")
    return (
        v.valid,
        v.normalized,
        v.reason,
        p.get("region_code"),
        dt.date.fromisoformat(birth) if isinstance(birth, str) else None,
        p.get("sex_code"),
    )


def _rows(table: pa.Table) -> list[Row]:
    return [tuple(r[k] for k in FIELDS) for r in table.to_pylist()]


def _agree(values: list[Any]) -> None:
    """check_arrow over a list, a string array sliced away from its start (Arrow offsets not
    starting at 0), a large_string and a string_view array, against check_idcard value by value."""
    expected = [_expected(v) for v in values]
    assert _rows(check_arrow(values)) == expected
    if all(v is None or isinstance(v, str) for v in values):
        arr = pa.array(["pad", *values, "tail"], pa.string())
        assert _rows(check_arrow(arr.slice(1, len(values)))) == expected
        assert _rows(check_arrow(pa.array(values, pa.large_string()))) == expected
        assert _rows(check_arrow(pa.array(values, pa.string_view()))) == expected


def _with_check(first17: str) -> str:
    return first17 + check_char(first17)


FW = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
TODAY = dt.date.today()
TOMORROW = TODAY + dt.timedelta(days=1)

# the worked examples of shared/STANDARDS.md, then the corners of each rule
EXAMPLES: list[Any] = [
    "11010519491231002X",
    "110105491231002",
    "44052418800101001?",
    "14050219900307151X",
    "14050219900307151x",
    "14050219900230151X",
    # corrections: white space, controls, zero-width and full-width characters anywhere
    " 14050219900307151X",
    "14050219900307151X\n",
    "1405 0219 9003 0715 1X",
    "\t110105491231002\r\n",
    "\u3000\u200b14050219900307151X\ufeff",
    "\u00a014050219900307151x",
    "１４０５０２１９９００３０７１５１X",
    "１４０５０２１９９００３０７１５１ｘ",
    "１１０１０５４９１２３１００２",
    "14050219900307151Ｘ",
    # early reasons
    "",
    "   ",
    "\u3000",
    "\x01\x02",
    None,
    "😀",
    "14050219900307151😀",
    "1405021990030715😀",
    "😀14050219900307151",
    "14050219900307151?",
    "1405021990030715XX",
    "x14050219900307151",
    "14050219900307151",
    "1405021990030715",
    "110105491231002X",
    "110105491231002x",
    "11010549123100",
    "1234567890123456789",
    "１２３",
    "\x0014050219900307151",
    "140502199003071\x0051",
    "a" * 1000,
    "a" * 1001,
    "1" * 1001,
    "中" * 1000,
    "中" * 1001,
    " " * 1001,
    "1" * 17 + " " * 990,
    "-1405021990030715",
    "14050219900307151X ",
    # regions
    _with_check("10000019900101001"),  # credit-code authority, no ID province
    _with_check("81000019900101001"),  # Hong Kong residence permit
    _with_check("82000019900101001"),
    _with_check("83000019900101001"),
    _with_check("14050318900101001"),  # retired 郊区
    _with_check("14059919900101001"),  # unknown county
    _with_check("99050219900101001"),  # no such province
    _with_check("00000019900101001"),
    "000000900101001",
    # dates
    _with_check("14050218790101001"),
    _with_check("14050218800101001"),
    _with_check("14050218791231001"),
    _with_check("14050200000101001"),
    _with_check("14050219000229001"),
    _with_check("14050220000229001"),
    _with_check("14050219990229001"),
    _with_check("14050219990431001"),
    _with_check("14050219991301001"),
    _with_check("14050219990001001"),
    _with_check("14050219990100001"),
    _with_check("14050219990132001"),
    _with_check("14050299991231001"),
    _with_check(f"140502{TODAY:%Y%m%d}001"),
    _with_check(f"140502{TOMORROW:%Y%m%d}001"),
    "140502000229001",  # 1900-02-29: no date
    "140502800229001",  # 1980-02-29
    # the check character
    "14050219900307151" + "0",
    "11010519491231002x",
    "110105194912310020",
    _with_check("14050219900307150"),
]


def test_examples_agree_with_the_python_form() -> None:
    _agree(EXAMPLES)


def test_the_standards_worked_examples() -> None:
    got = dict(zip(EXAMPLES[:6], _rows(check_arrow(EXAMPLES[:6])), strict=True))
    assert got["11010519491231002X"] == (
        True,
        "11010519491231002X",
        None,
        "110105",
        dt.date(1949, 12, 31),
        "2",
    )
    assert got["110105491231002"][:2] == (True, "11010519491231002X")
    assert got["44052418800101001?"][:3] == (False, None, "idcard.bad_check_char")
    assert got["14050219900307151X"] == (True, "14050219900307151X", None, "140502", dt.date(1990, 3, 7), "1")
    assert got["14050219900307151x"][:2] == (True, "14050219900307151X")
    assert got["14050219900230151X"][:3] == (False, None, "idcard.bad_date")


def test_values_at_the_very_end_of_a_buffer() -> None:
    # the kernel reads 18 bytes from where each value starts: short last values, and sound
    # values in a buffer with nothing after them, take the other paths
    for values in (
        ["110105491231002"],
        ["14050219900307151X"],
        ["", "110105491231002"],
        ["14050219900307151X", "1"],
        ["110105491231002", "12"],
        ["x", "110105491231002", "110105491231002"],
    ):
        _agree(values)


def test_integers_are_read_as_their_digits() -> None:
    values = [110105491231002, 140502199003071510, -1, None]
    arr = pa.array(values, pa.int64())
    assert _rows(check_arrow(arr)) == [_expected(v) for v in values]
    assert _rows(check_arrow(values)) == [_expected(v) for v in values]


def test_other_types_are_no_text() -> None:
    values = [1.5, True, dt.date(2020, 1, 1), None]
    assert _rows(check_arrow(values)) == [_expected(v) for v in values]
    assert _rows(check_arrow(pa.array([1.5, None]))) == [_expected(1.5), _expected(None)]


def test_chunked_arrays_and_empty_input() -> None:
    chunks = pa.chunked_array([pa.array(EXAMPLES[:10], pa.string()), pa.array(EXAMPLES[10:20], pa.string())])
    assert _rows(check_arrow(chunks)) == [_expected(v) for v in EXAMPLES[:20]]
    assert check_arrow([]).num_rows == 0
    assert check_arrow(pa.array([], pa.string())).schema.names == list(FIELDS)


def test_a_column_of_more_than_a_million_rows() -> None:
    # checked in slices; every row still equals check_idcard's answer
    strings = [v for v in EXAMPLES if v is None or (isinstance(v, str) and len(v) < 40)]
    k = (1 << 20) // len(strings) + 2
    got = check_arrow(pa.array(strings * k, pa.string()))
    assert got.num_rows == len(strings) * k > 1 << 20
    one = pa.Table.from_pylist(
        [dict(zip(FIELDS, _expected(v), strict=True)) for v in strings], schema=got.schema
    )
    assert got.equals(one.take(np.tile(np.arange(len(strings)), k)))


# --- property tests ----------------------------------------------------------------------------

REGIONS = ["140502", "140521", "110105", "140503", "650102", "810000", "830000", "440524", "999999", "100000"]
digits17 = st.text(alphabet="0123456789", min_size=17, max_size=17)


@st.composite
def near_valid(draw: st.DrawFn) -> str:
    """A valid number, or one with one digit changed, two digits swapped, a wrong or lower-case
    check character, an impossible or future date, an unknown region, or its 15-digit form."""
    region = draw(st.sampled_from(REGIONS))
    birth = draw(st.dates(dt.date(1870, 1, 1), dt.date(2100, 12, 31)))
    seq = draw(st.integers(0, 999))
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    s = _with_check(body)
    how = draw(st.integers(0, 9))
    if how == 1:  # one digit changed
        i = draw(st.integers(0, 16))
        s = s[:i] + str((int(s[i]) + draw(st.integers(1, 9))) % 10) + s[i + 1 :]
    elif how == 2:  # two neighbours swapped
        i = draw(st.integers(0, 16))
        s = s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    elif how == 3:  # another check character
        s = s[:17] + draw(st.sampled_from("0123456789Xx"))
    elif how == 4:  # an impossible date
        s = _with_check(
            body[:10] + draw(st.sampled_from(["0230", "0229", "0431", "1301", "0000", "0132"])) + body[14:]
        )
    elif how == 5:  # the 15-digit form
        s = region + f"{birth:%y%m%d}{seq:03d}"
    elif how == 6:  # full width, white space
        s = (
            draw(st.sampled_from([" ", "\u3000", "\t", ""]))
            + s.translate(FW)
            + draw(st.sampled_from([" ", "\n", ""]))
        )
    elif how == 7:  # lower case
        s = s.lower()
    elif how == 8:  # a character cut or added
        s = draw(st.sampled_from([s[:-1], s + draw(st.sampled_from("0X ")), s[1:]]))
    return s


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(near_valid(), min_size=1, max_size=60))
def test_property_near_valid_ids(values: list[str]) -> None:
    _agree(values)


texts = st.one_of(
    st.none(),
    st.text(),
    st.text(alphabet="0123456789Xx", max_size=20),
    st.text(alphabet="0123456789Xx０１２３４５６７８９Ｘｘ \t\n\u3000\u200b😀中-", max_size=22),
    st.text(st.characters(codec="utf-8"), max_size=20),
    digits17.map(_with_check),
    digits17.map(lambda d: d + "x"),
    st.text(alphabet="0123456789", min_size=15, max_size=15),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(texts, min_size=1, max_size=40))
def test_property_arbitrary_text(values: list[str | None]) -> None:
    _agree(values)


# --- the DuckDB bulk form ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def plain() -> duckdb.DuckDBPyConnection:
    """A connection without install(): bulk needs none."""
    return duckdb.connect()


def test_bulk_adds_the_columns_of_bulk_sql(plain: duckdb.DuckDBPyConnection) -> None:
    plain.execute("CREATE OR REPLACE TABLE people (i INTEGER, 身份证号 VARCHAR, name VARCHAR)")
    plain.executemany(
        "INSERT INTO people VALUES (?, ?, ?)", [(i, v, f"n{i}") for i, v in enumerate(EXAMPLES)]
    )
    rel = bulk(plain, "people", "身份证号")
    assert rel.columns == ["i", "身份证号", "name"] + [f"身份证号__{k}" for k in FIELDS]
    got = rel.order("i").fetchall()
    assert [r[3:] for r in got] == [_expected(v) for v in EXAMPLES]
    assert [r[:3] for r in got] == [(i, v, f"n{i}") for i, v in enumerate(EXAMPLES)]
    # a parenthesised query, small batches, one thread
    t = bulk_arrow(plain, "(SELECT 身份证号 FROM people ORDER BY i)", "身份证号", batch_rows=7, threads=1)
    assert _rows(t.rename_columns(["x", *FIELDS])) == [_expected(v) for v in EXAMPLES]
    with pytest.raises(ValueError, match="no column"):
        bulk_arrow(plain, "people", "nope")


def test_bulk_over_integer_and_all_null_columns(plain: duckdb.DuckDBPyConnection) -> None:
    plain.execute(
        "CREATE OR REPLACE TABLE nums AS SELECT * FROM (VALUES (1, 110105491231002, NULL::VARCHAR), "
        "(2, 140502199003071510, NULL), (3, NULL, NULL), (4, -7, NULL)) t(i, n, s)"
    )
    got = bulk(plain, "nums", "n").order("i").fetchall()
    assert [r[3:] for r in got] == [_expected(v) for v in (110105491231002, 140502199003071510, None, -7)]
    got = bulk(plain, "nums", "s").order("i").fetchall()
    assert [r[3:] for r in got] == [_expected(None)] * 4


def test_bulk_equals_bulk_sql(con: duckdb.DuckDBPyConnection) -> None:
    con.register("vec_in", pa.table({"i": list(range(len(EXAMPLES))), "id": pa.array(EXAMPLES, pa.string())}))
    try:
        cols = ", ".join(f'"id__{k}"' for k in FIELDS)
        sql_rows = con.execute(f"SELECT {cols} FROM ({bulk_sql('vec_in', 'id')}) ORDER BY i").fetchall()
        vec_rows = bulk(con, "vec_in", "id").order("i").select(cols).fetchall()
        assert vec_rows == sql_rows
    finally:
        con.unregister("vec_in")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(near_valid(), texts), min_size=1, max_size=3000))
def test_property_bulk_over_many_batches(values: list[str | None]) -> None:
    c = duckdb.connect()
    c.register("vals", pa.table({"i": list(range(len(values))), "id": pa.array(values, pa.string())}))
    got = bulk(c, "vals", "id", batch_rows=512, threads=2).order("i").fetchall()
    assert [r[2:] for r in got] == [_expected(v) for v in values]


def test_the_kernel_is_exported() -> None:
    assert idcard.check_arrow is check_arrow
    assert {"bulk", "bulk_arrow", "check_arrow"} <= set(idcard.__all__)


def test_the_region_table_holds_every_known_code() -> None:
    """The kernel's table of region codes (read from the division table's cached Arrow form)
    says of every code 0–999,999 what check_idcard says: a province not in use, no such code,
    or a known (current or retired) code."""
    from shuzhi.standards._idcard_vec import _table
    from shuzhi.standards.idcard import PROVINCES, _six_digit_divisions

    provinces = {int(p) for p in PROVINCES}
    expected = np.array([1 if c // 10000 in provinces else 0 for c in range(1_000_000)], np.uint8)
    for code, _, _ in _six_digit_divisions():
        if int(code) // 10000 in provinces:
            expected[int(code)] = 2
    assert np.array_equal(_table("region"), expected)
    assert _table("region")[440524] == 2  # 潮阳县, retired in 1993
