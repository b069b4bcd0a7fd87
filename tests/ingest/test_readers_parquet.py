"""Parquet sources: a column named like DuckDB's row-number option, and zoned timestamps written the
same whatever the server's time zone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

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
