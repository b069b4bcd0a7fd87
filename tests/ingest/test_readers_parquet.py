"""Parquet sources: a column named like DuckDB's row-number option, and zoned timestamps written the
same whatever the server's time zone."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _ingest_fixtures import make_workspace, new_resource, rows_of

from shuzhi.engine import DuckDBEngine
from shuzhi.ingest import ingest
from shuzhi.ingest.mapping import SourceOptions
from shuzhi.ingest.readers import read_source
from shuzhi.workspace import Workspace

Reader = Any
Write = Callable[..., Path]


@pytest.mark.parametrize("column", ["file_row_number", "File_Row_Number"])
def test_a_column_named_file_row_number_is_read(read: Reader, tmp_path: Path, column: str) -> None:
    n = 25_000  # several row groups, read by two threads
    table = pa.table(
        {"姓名": [f"人{i}" for i in range(n)], column: pa.array(range(1000, 1000 + n), type=pa.int64())}
    )
    path = tmp_path / "rows.parquet"
    pq.write_table(table, path, row_group_size=4_000)
    src = read(path)
    assert src.rows == n and src.columns == ["姓名", column]
    assert read.rows()[:2] == [("人0", "1000", 1), ("人1", "1001", 2)]
    got = read.engine.fetch_rows(
        f'SELECT count(*), bool_and(_row = "{column}"::BIGINT - 999), '
        "bool_and(\"姓名\" = '人' || (_row - 1)) FROM src"
    )
    assert got == [(n, True, True)]


# -- timestamps with a time zone -----------------------------------------------------------------

_UTC = dt.UTC
#: two instants: 09:30:15.123456 UTC, and 18:00 UTC (already the next day in Beijing)
_INSTANTS = [
    dt.datetime(2024, 3, 5, 9, 30, 15, 123456, tzinfo=_UTC),
    dt.datetime(2024, 3, 5, 18, tzinfo=_UTC),
]


def _zoned(tz: str | None, unit: str = "us") -> pa.Array:
    return pa.array([*_INSTANTS, None], type=pa.timestamp(unit, tz=tz))


@pytest.fixture
def zoned_parquet(tmp_path: Path) -> Path:
    ns = pa.array([1709631015123456789, None, None], type=pa.timestamp("ns", tz="UTC"))
    table = pa.table(
        {
            "编号": ["1", "2", "3"],
            "utc": _zoned("UTC"),
            "shanghai": _zoned("Asia/Shanghai"),
            "new_york": _zoned("America/New_York"),
            "offset": _zoned("+05:30"),
            "millis": _zoned("Asia/Shanghai", "ms"),
            "nanos": ns,
            "unknown": _zoned("Mars/Olympus"),
            "naive": pa.array([dt.datetime(2024, 3, 5, 9, 30, 15), None, None], type=pa.timestamp("us")),
            "nested": pa.array(
                [{"t": _INSTANTS[0]}, None, None], type=pa.struct([("t", pa.timestamp("us", "UTC"))])
            ),
        }
    )
    path = tmp_path / "zoned.parquet"
    pq.write_table(table, path)
    return path


#: what every session, whatever its time zone, reads from ``zoned_parquet``
ZONED_ROWS = [
    ("1", "2024-03-05 17:30:15.123456", "2024-03-05 17:30:15.123456", "2024-03-05 04:30:15.123456",
     "2024-03-05 15:00:15.123456", "2024-03-05 17:30:15.123", "2024-03-05 17:30:15.123456789",
     "2024-03-05 17:30:15.123456", "2024-03-05 09:30:15", '{"t":"2024-03-05 17:30:15.123456+08"}', 1),
    ("2", "2024-03-06 02:00:00", "2024-03-06 02:00:00", "2024-03-05 13:00:00", "2024-03-05 23:30:00",
     "2024-03-06 02:00:00", None, "2024-03-06 02:00:00", None, None, 2),
    ("3", None, None, None, None, None, None, None, None, None, 3),
]  # fmt: skip


def _read_rows(engine: DuckDBEngine, path: Path, tmp: Path) -> tuple[list[tuple[Any, ...]], list[str]]:
    st = read_source(engine, path, SourceOptions(), table="src", tmp_dir=tmp / "scratch")
    return engine.fetch_rows('SELECT * FROM "src" ORDER BY _row'), st.notes


def _zone(engine: DuckDBEngine) -> str:
    return str(engine.fetch_rows("SELECT current_setting('TimeZone')")[0][0])


@pytest.mark.parametrize("session_zone", ["UTC", "Asia/Shanghai", "America/New_York"])
def test_zoned_timestamps_are_local_time_in_the_declared_zone_whatever_the_session_zone(
    engine: DuckDBEngine, zoned_parquet: Path, tmp_path: Path, session_zone: str
) -> None:
    engine.execute(f"SET TimeZone = '{session_zone}'")
    rows, notes = _read_rows(engine, zoned_parquet, tmp_path)
    assert rows == ZONED_ROWS
    assert _zone(engine) == session_zone  # the session's own zone is left as it was
    assert any("shanghai (Asia/Shanghai)" in n and "new_york (America/New_York)" in n for n in notes)
    assert any("Beijing time (Asia/Shanghai)" in n and "utc, nanos" in n for n in notes)
    assert any("unknown" in n and "'Mars/Olympus'" in n for n in notes)
    assert any("nested" in n and "+08" in n for n in notes)


def test_zoned_timestamps_do_not_follow_the_servers_tz(zoned_parquet: Path, tmp_path: Path) -> None:
    """A server whose TZ is another zone (DuckDB takes its session zone from it) reads the same text."""
    before = os.environ.get("TZ")
    try:
        for tz in ("Pacific/Auckland", "America/Los_Angeles"):
            os.environ["TZ"] = tz
            time.tzset()
            with DuckDBEngine(threads=2, memory_limit="1GB", standards=False) as engine:
                assert _zone(engine) == tz
                assert _read_rows(engine, zoned_parquet, tmp_path)[0] == ZONED_ROWS
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_a_file_without_arrow_metadata_is_read_in_beijing_time(read: Reader, tmp_path: Path) -> None:
    path = tmp_path / "spark.parquet"  # isAdjustedToUTC only, as Spark or DuckDB write it
    pq.write_table(pa.table({"t": _zoned("Asia/Shanghai")}), path, store_schema=False)
    read.engine.execute("SET TimeZone = 'UTC'")
    src = read(path)
    assert read.rows() == [("2024-03-05 17:30:15.123456", 1), ("2024-03-06 02:00:00", 2)]  # 3 is blank
    assert any("declares no local zone" in n for n in src.notes)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    with make_workspace(tmp_path_factory.mktemp("parquet") / "ws") as w:
        yield w


def test_zoned_timestamps_load_into_date_and_datetime_fields(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(
        ws,
        [
            {"name": "day", "label": "日期", "type": "date"},
            {"name": "at", "label": "时间", "type": "datetime"},
            {"name": "day_std", "label": "标准日期", "standard": "date"},
        ],
    )
    path = tmp_path / "times.parquet"
    pq.write_table(pa.table({"day": _zoned("UTC"), "at": _zoned("UTC"), "day_std": _zoned("UTC")}), path)
    ws.engine.execute("SET GLOBAL TimeZone = 'America/New_York'")  # a server elsewhere
    try:
        r = ingest(ws, code, path)
    finally:
        ws.engine.execute("RESET GLOBAL TimeZone")
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (2, 2, 0)  # the third row is blank
    rows = rows_of(ws, code)
    assert [(x["day"], x["at"], x["day_std"]) for x in rows] == [
        (dt.date(2024, 3, 5), dt.datetime(2024, 3, 5, 17, 30, 15, 123456), "2024-03-05"),
        (dt.date(2024, 3, 6), dt.datetime(2024, 3, 6, 2, 0), "2024-03-06"),
    ]
