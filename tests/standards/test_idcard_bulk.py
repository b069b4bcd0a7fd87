"""The bulk form of the identity-number check gives exactly the answers of the Python form."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuzhi.standards import install
from shuzhi.standards.idcard import bulk_sql, check_char, check_idcard


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    install(c)
    return c


def _bulk(con: duckdb.DuckDBPyConnection, values: list[str | None]) -> list[tuple[object, ...]]:
    con.register(
        "bulk_in", pa.table({"i": list(range(len(values))), "证件号码": pa.array(values, pa.string())})
    )
    try:
        sql = bulk_sql("bulk_in", "证件号码")
        cols = ", ".join(
            f'"证件号码__{k}"'
            for k in ("valid", "normalized", "reason", "region_code", "birth_date", "sex_code")
        )
        return con.execute(f"SELECT {cols} FROM ({sql}) ORDER BY i").fetchall()
    finally:
        con.unregister("bulk_in")


def _expected(value: str | None) -> tuple[object, ...]:
    v = check_idcard(value)
    birth = v.parts.get("birth_date") if v.parts else None
    return (
        v.valid,
        v.normalized,
        v.reason,
        v.parts.get("region_code") if v.parts else None,
        dt.date.fromisoformat(birth) if isinstance(birth, str) else birth,
        v.parts.get("sex_code") if v.parts else None,
    )


def _with_check(first17: str) -> str:
    return first17 + check_char(first17)


EXAMPLES = [
    "11010519491231002X",
    "110105491231002",
    "14050219900307151x",
    "14050219900230151X",
    "44052418800101001?",
    " 14050219900307151X",
    "１４０５０２１９９００３０７１５１X",
    "",
    None,
    "😀",
    _with_check("10000019900101001"),  # a credit-code authority, not an ID province
    _with_check("81000019900101001"),  # Hong Kong residence permit
    _with_check("14050318900101001"),  # retired 郊区 code
    _with_check("14050218790101001"),  # before 1880
    _with_check("14050229990101001"),  # in the future
    _with_check("99050219900101001"),  # no such province
]


def test_examples_agree_with_the_python_form(con: duckdb.DuckDBPyConnection) -> None:
    assert _bulk(con, EXAMPLES) == [_expected(v) for v in EXAMPLES]


digits = st.text(alphabet="0123456789", min_size=17, max_size=17)
ids = st.one_of(
    digits.map(_with_check),
    st.builds(
        lambda r, d, s: _with_check(f"{r}{d:%Y%m%d}{s:03d}"),
        st.sampled_from(["140502", "140521", "110105", "140503", "650102", "810000", "440524"]),
        st.dates(dt.date(1870, 1, 1), dt.date(2030, 12, 31)),
        st.integers(0, 999),
    ),
    digits.map(lambda d: d + "X"),
    st.text(alphabet="0123456789Xx ", min_size=14, max_size=19),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ids, min_size=1, max_size=200))
def test_generated_values_agree_with_the_python_form(
    con: duckdb.DuckDBPyConnection, values: list[str]
) -> None:
    assert _bulk(con, values) == [_expected(v) for v in values]
