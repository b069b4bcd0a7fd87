"""WGS-84 / GCJ-02 / BD-09: worked values, round trips, SQL agreement."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuzhi.standards import coords as C

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

WORKED = [
    # WGS-84, GCJ-02, BD-09 (shared/STANDARDS.md)
    ((112.851, 35.490), (112.857110, 35.489586), (112.863696, 35.495245)),
    ((116.397428, 39.90923), (116.403672, 39.910634), (116.410044, 39.916973)),
]


def close(a: tuple[float, float], b: tuple[float, float], tol: float) -> bool:
    return abs(a[0] - b[0]) <= tol and abs(a[1] - b[1]) <= tol


@pytest.mark.parametrize(("wgs", "gcj", "bd"), WORKED)
def test_worked_values(wgs: tuple[float, float], gcj: tuple[float, float], bd: tuple[float, float]) -> None:
    assert close(C.wgs84_to_gcj02(*wgs), gcj, 1e-6)
    assert close(C.gcj02_to_bd09(*gcj), bd, 1e-6)
    assert close(C.wgs84_to_bd09(*wgs), bd, 1e-6)
    assert close(C.gcj02_to_wgs84(*C.wgs84_to_gcj02(*wgs)), wgs, 1e-7)
    assert close(C.bd09_to_wgs84(*C.wgs84_to_bd09(*wgs)), wgs, 1e-7)
    assert close(C.bd09_to_gcj02(*bd), gcj, 1e-6)


@pytest.mark.parametrize(("wgs", "gcj", "bd"), WORKED)
def test_worked_values_sql(
    con: Any, wgs: tuple[float, float], gcj: tuple[float, float], bd: tuple[float, float]
) -> None:
    row = con.execute(
        "SELECT sz_wgs84_to_gcj02($1, $2), sz_wgs84_to_bd09($1, $2), sz_gcj02_to_bd09($3, $4)",
        list(wgs + gcj),
    ).fetchone()
    assert close((row[0]["lon"], row[0]["lat"]), gcj, 1e-6)
    assert close((row[1]["lon"], row[1]["lat"]), bd, 1e-6)
    assert close((row[2]["lon"], row[2]["lat"]), bd, 1e-6)


def test_no_offset_outside_china() -> None:
    for p in [(2.35, 48.85), (-74.0, 40.7), (139.7, 35.7), (100.0, 0.5), (100.0, 60.0)]:
        assert C.out_of_china(*p)
        assert C.wgs84_to_gcj02(*p) == p
        assert C.gcj02_to_wgs84(*p) == p
    assert not C.out_of_china(112.851, 35.49)


def test_sql_out_of_china(con: Any) -> None:
    assert con.execute("SELECT sz_out_of_china(2.35, 48.85), sz_out_of_china(112.851, 35.49)").fetchone() == (
        True,
        False,
    )
    assert con.execute("SELECT sz_wgs84_to_gcj02(2.35, 48.85)").fetchone()[0] == {"lon": 2.35, "lat": 48.85}


def test_sql_nulls(con: Any) -> None:
    assert con.execute("SELECT sz_wgs84_to_gcj02(NULL, 35.0)").fetchone()[0] == {"lon": None, "lat": None}


in_china = st.tuples(st.floats(73.0, 135.0), st.floats(3.0, 53.0))
anywhere = st.tuples(st.floats(-180.0, 180.0), st.floats(-89.0, 89.0))


@SETTINGS
@given(st.lists(in_china, min_size=50, max_size=200))
def test_round_trips(points: list[tuple[float, float]]) -> None:
    for p in points:
        assert close(C.gcj02_to_wgs84(*C.wgs84_to_gcj02(*p)), p, 1e-7)
        assert close(C.bd09_to_gcj02(*C.gcj02_to_bd09(*p)), p, 1e-7)
        assert close(C.bd09_to_wgs84(*C.wgs84_to_bd09(*p)), p, 1e-7)
        assert close(C.wgs84_to_gcj02(*C.gcj02_to_wgs84(*p)), p, 1e-7)
        # the offset is a few hundred metres at most
        g = C.wgs84_to_gcj02(*p)
        assert 0 < math.hypot(g[0] - p[0], g[1] - p[1]) < 0.02


FUNCS = [
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "gcj02_to_bd09",
    "bd09_to_gcj02",
    "wgs84_to_bd09",
    "bd09_to_wgs84",
]


@SETTINGS
@given(st.lists(st.one_of(in_china, anywhere), min_size=50, max_size=200))
def test_sql_agrees_with_python(con: Any, points: list[tuple[float, float]]) -> None:
    cols = ", ".join(f"sz_{f}(x, y)" for f in FUNCS)
    q = (
        f"SELECT {cols} FROM (SELECT unnest(?::DOUBLE[]) AS x, unnest(?::DOUBLE[]) AS y,"
        " unnest(range(?)) AS i) ORDER BY i"
    )
    rows = con.execute(q, [[p[0] for p in points], [p[1] for p in points], len(points)]).fetchall()
    for p, row in zip(points, rows, strict=True):
        for f, r in zip(FUNCS, row, strict=True):
            assert close(getattr(C, f)(*p), (r["lon"], r["lat"]), 1e-9), (f, p)
