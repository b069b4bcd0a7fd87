"""Coordinate systems used in China: WGS-84, GCJ-02 and BD-09.

* WGS-84: GPS; what a phone's location sensor and most open data give.
* GCJ-02 ("Mars coordinates"): mandated for published maps in China, used by 高德 (AMap) and
  腾讯 (Tencent). WGS-84 → GCJ-02 is the publicly documented offset formula on the Krasovsky
  ellipsoid (a = 6378245.0, ee = 0.00669342162296594323); outside China (the usual bounding box
  72.004–137.8347°E, 0.8293–55.8271°N) there is no offset.
* BD-09: 百度 (Baidu); GCJ-02 rotated and shifted by (0.0065, 0.006). The rotation is applied
  everywhere (it is a pure transform), so ``wgs84_to_bd09`` outside China only rotates.

The inverses have no closed form: they iterate ``w ← w + (target − forward(w))`` from the
target (GCJ-02 → WGS-84) or from the classic approximate inverse (BD-09 → GCJ-02), a fixed
:data:`ITERATIONS` times, which brings the round trip error far below 1e-7° (the offset's
derivative is about 1e-3, so each iteration gains about three decimal places). The SQL forms
(``sz_wgs84_to_gcj02(lon, lat)`` → ``STRUCT(lon DOUBLE, lat DOUBLE)`` etc.) compute the same
expressions in the same order and unroll the same iterations, so they agree with Python to
rounding.

All functions take and return ``(longitude, latitude)`` in degrees.
"""

from __future__ import annotations

import math

from shuzhi.standards._sql import macro
from shuzhi.standards.text import sql_let

__all__ = [
    "ITERATIONS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "out_of_china",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

A = 6378245.0
EE = 0.00669342162296594323
X_PI = math.pi * 3000.0 / 180.0
BD_DX, BD_DY = 0.0065, 0.006
ITERATIONS = 6
LON_MIN, LON_MAX, LAT_MIN, LAT_MAX = 72.004, 137.8347, 0.8293, 55.8271

Point = tuple[float, float]


def out_of_china(lon: float, lat: float) -> bool:
    """Whether the point is outside the bounding box where GCJ-02 applies an offset."""
    return not (LON_MIN <= lon <= LON_MAX and LAT_MIN <= lat <= LAT_MAX)


def _offset(lon: float, lat: float) -> Point:
    dx = lon - 105.0
    dy = lat - 35.0
    pi = math.pi
    common = (20.0 * math.sin(6.0 * dx * pi) + 20.0 * math.sin(2.0 * dx * pi)) * 2.0 / 3.0
    tlat = (
        -100.0 + 2.0 * dx + 3.0 * dy + 0.2 * dy * dy + 0.1 * dx * dy + 0.2 * math.sqrt(abs(dx))
        + common
        + (20.0 * math.sin(dy * pi) + 40.0 * math.sin(dy / 3.0 * pi)) * 2.0 / 3.0
        + (160.0 * math.sin(dy / 12.0 * pi) + 320.0 * math.sin(dy * pi / 30.0)) * 2.0 / 3.0
    )  # fmt: skip
    tlon = (
        300.0 + dx + 2.0 * dy + 0.1 * dx * dx + 0.1 * dx * dy + 0.1 * math.sqrt(abs(dx))
        + common
        + (20.0 * math.sin(dx * pi) + 40.0 * math.sin(dx / 3.0 * pi)) * 2.0 / 3.0
        + (150.0 * math.sin(dx / 12.0 * pi) + 300.0 * math.sin(dx / 30.0 * pi)) * 2.0 / 3.0
    )  # fmt: skip
    radlat = lat / 180.0 * pi
    magic = 1.0 - EE * math.sin(radlat) * math.sin(radlat)
    sqrtmagic = math.sqrt(magic)
    dlat = (tlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrtmagic) * pi)
    dlon = (tlon * 180.0) / (A / sqrtmagic * math.cos(radlat) * pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> Point:
    """WGS-84 → GCJ-02 (unchanged outside China)."""
    if out_of_china(lon, lat):
        return lon, lat
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> Point:
    """GCJ-02 → WGS-84, iterating the forward transform (error far below 1e-7°)."""
    w_lon, w_lat = lon, lat
    for _ in range(ITERATIONS):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        w_lon, w_lat = w_lon + (lon - f_lon), w_lat + (lat - f_lat)
    return w_lon, w_lat


def gcj02_to_bd09(lon: float, lat: float) -> Point:
    """GCJ-02 → BD-09."""
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * X_PI)
    return z * math.cos(theta) + BD_DX, z * math.sin(theta) + BD_DY


def _bd09_to_gcj02_approx(lon: float, lat: float) -> Point:
    x = lon - BD_DX
    y = lat - BD_DY
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def bd09_to_gcj02(lon: float, lat: float) -> Point:
    """BD-09 → GCJ-02: the classic approximate inverse, refined by iteration."""
    g_lon, g_lat = _bd09_to_gcj02_approx(lon, lat)
    for _ in range(ITERATIONS):
        f_lon, f_lat = gcj02_to_bd09(g_lon, g_lat)
        g_lon, g_lat = g_lon + (lon - f_lon), g_lat + (lat - f_lat)
    return g_lon, g_lat


def wgs84_to_bd09(lon: float, lat: float) -> Point:
    """WGS-84 → BD-09 (through GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: float, lat: float) -> Point:
    """BD-09 → WGS-84 (through GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


# --------------------------------------------------------------------------------------------
# SQL form: the same expressions, in the same order. Parameters are (x, y) = (lon, lat).


def _d(v: float) -> str:
    """A DOUBLE literal that DuckDB reads as exactly the same double as Python (exponent form;
    a plain ``0.2`` would be a DECIMAL)."""
    return f"{v:.17e}"


def _pt(lon: str, lat: str) -> str:
    return f"{{'lon': CAST({lon} AS DOUBLE), 'lat': CAST({lat} AS DOUBLE)}}"


def _pt_of(expr: str) -> str:
    return sql_let(expr, "sz_q", _pt("sz_q.lon", "sz_q.lat"))


def _offset_sql(x: str, y: str) -> str:
    """Struct (lon, lat) of the point (x, y) (DOUBLE expressions) moved by the GCJ-02 offset."""
    dx, dy = "sz_o.dx", "sz_o.dy"
    c02, c01 = _d(0.2), _d(0.1)
    common = f"(20.0 * sin(6.0 * {dx} * pi()) + 20.0 * sin(2.0 * {dx} * pi())) * 2.0 / 3.0"
    tlat = (
        f"(-100.0 + 2.0 * {dx} + 3.0 * {dy} + {c02} * {dy} * {dy} + {c01} * {dx} * {dy}"
        f" + {c02} * sqrt(abs({dx}))"
        f" + {common}"
        f" + (20.0 * sin({dy} * pi()) + 40.0 * sin({dy} / 3.0 * pi())) * 2.0 / 3.0"
        f" + (160.0 * sin({dy} / 12.0 * pi()) + 320.0 * sin({dy} * pi() / 30.0)) * 2.0 / 3.0)"
    )
    tlon = (
        f"(300.0 + {dx} + 2.0 * {dy} + {c01} * {dx} * {dx} + {c01} * {dx} * {dy} + {c01} * sqrt(abs({dx}))"
        f" + {common}"
        f" + (20.0 * sin({dx} * pi()) + 40.0 * sin({dx} / 3.0 * pi())) * 2.0 / 3.0"
        f" + (150.0 * sin({dx} / 12.0 * pi()) + 300.0 * sin({dx} / 30.0 * pi())) * 2.0 / 3.0)"
    )
    ee, a = _d(EE), _d(A)
    body = (
        f"{{'lon': {x} + ({tlon} * 180.0) / ({a} / sqrt(sz_r.magic) * cos(sz_r.radlat) * pi()),"
        f" 'lat': {y} + ({tlat} * 180.0) / (({a} * (1.0 - {ee})) / (sz_r.magic * sqrt(sz_r.magic)) * pi())}}"
    )
    radlat = f"{y} / 180.0 * pi()"
    return sql_let(
        f"{{'dx': {x} - 105.0, 'dy': {y} - 35.0}}",
        "sz_o",
        sql_let(
            f"{{'radlat': {radlat}, 'magic': 1.0 - {ee} * sin({radlat}) * sin({radlat})}}",
            "sz_r",
            body,
        ),
    )


_X = "CAST(x AS DOUBLE)"
_Y = "CAST(y AS DOUBLE)"
_OUT = (
    f"NOT ({_X} >= {_d(LON_MIN)} AND {_X} <= {_d(LON_MAX)}"
    f" AND {_Y} >= {_d(LAT_MIN)} AND {_Y} <= {_d(LAT_MAX)})"
)

macro(
    "sz_out_of_china",
    ["x", "y"],
    _OUT,
    "whether (lon, lat) lies outside the box where GCJ-02 offsets apply",
)
macro(
    "sz_wgs84_to_gcj02",
    ["x", "y"],
    f"CASE WHEN {_OUT} THEN {_pt('x', 'y')} ELSE {_pt_of(_offset_sql(_X, _Y))} END",
    "WGS-84 (lon, lat) to GCJ-02, STRUCT(lon DOUBLE, lat DOUBLE); unchanged outside China",
)
macro(
    "sz_gcj02_to_bd09",
    ["x", "y"],
    sql_let(
        f"{{'z': sqrt({_X} * {_X} + {_Y} * {_Y}) + {_d(0.00002)} * sin({_Y} * {_d(X_PI)}),"
        f" 'theta': atan2({_Y}, {_X}) + {_d(0.000003)} * cos({_X} * {_d(X_PI)})}}",
        "sz_b",
        _pt(f"sz_b.z * cos(sz_b.theta) + {_d(BD_DX)}", f"sz_b.z * sin(sz_b.theta) + {_d(BD_DY)}"),
    ),
    "GCJ-02 (lon, lat) to BD-09, STRUCT(lon DOUBLE, lat DOUBLE)",
)
macro(
    "sz_wgs84_to_bd09",
    ["x", "y"],
    sql_let("sz_wgs84_to_gcj02(x, y)", "sz_g", "sz_gcj02_to_bd09(sz_g.lon, sz_g.lat)"),
    "WGS-84 (lon, lat) to BD-09 through GCJ-02",
)


def _iterate(start: str, forward: str, n: int) -> str:
    """``n`` unrolled steps of ``w <- w + (target - forward(w))`` from ``start``."""
    expr = start
    for i in range(n):
        w = f"sz_w{i}"
        step = sql_let(
            f"{forward}({w}.lon, {w}.lat)",
            f"sz_f{i}",
            _pt(f"{w}.lon + ({_X} - sz_f{i}.lon)", f"{w}.lat + ({_Y} - sz_f{i}.lat)"),
        )
        expr = sql_let(expr, w, step)
    return expr


macro(
    "sz_gcj02_to_wgs84",
    ["x", "y"],
    _iterate(_pt("x", "y"), "sz_wgs84_to_gcj02", ITERATIONS),
    f"GCJ-02 (lon, lat) to WGS-84 ({ITERATIONS} unrolled iterations of the forward transform)",
)
_BD_APPROX = sql_let(
    f"{{'x': {_X} - {_d(BD_DX)}, 'y': {_Y} - {_d(BD_DY)}}}",
    "sz_p",
    sql_let(
        f"{{'z': sqrt(sz_p.x * sz_p.x + sz_p.y * sz_p.y) - {_d(0.00002)} * sin(sz_p.y * {_d(X_PI)}),"
        f" 'theta': atan2(sz_p.y, sz_p.x) - {_d(0.000003)} * cos(sz_p.x * {_d(X_PI)})}}",
        "sz_b",
        _pt("sz_b.z * cos(sz_b.theta)", "sz_b.z * sin(sz_b.theta)"),
    ),
)
macro(
    "sz_bd09_to_gcj02",
    ["x", "y"],
    _iterate(_BD_APPROX, "sz_gcj02_to_bd09", ITERATIONS),
    f"BD-09 (lon, lat) to GCJ-02 (approximate inverse refined by {ITERATIONS} iterations)",
)
macro(
    "sz_bd09_to_wgs84",
    ["x", "y"],
    sql_let("sz_bd09_to_gcj02(x, y)", "sz_h", "sz_gcj02_to_wgs84(sz_h.lon, sz_h.lat)"),
    "BD-09 (lon, lat) to WGS-84 through GCJ-02",
)
