"""Parquet, SQL (SQLite and the real PostgreSQL) and what a file really is."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from shuzhi.errors import DataError, NotFound
from shuzhi.ingest.readers import detect_format

Reader = Any
Write = Callable[..., Path]

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40


def _zip() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "not a table")
    return buf.getvalue()


ZIP = _zip()
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"


# -- Parquet -----------------------------------------------------------------------------------


def test_parquet_every_column_as_text(read: Reader, people_parquet: Path) -> None:
    src = read(people_parquet)
    assert src.format == "parquet" and src.rows == 3 and src.size == people_parquet.stat().st_size
    assert src.sha256 == hashlib.sha256(people_parquet.read_bytes()).hexdigest()
    assert src.columns == ["姓名", "出生日期", "登记时间", "人数", "金额", "标签"]
    assert read.rows() == [
        ("张三", "1990-03-07", "2024-03-01 09:30:00", "3", "520.0", '["户主","低保"]', 1),
        ("李四", "1985-06-11", None, "1", "12.5", "[]", 2),
        (None, None, "2024-03-03 00:00:00", "2", None, None, 3),
    ]


def test_parquet_named_csv_and_a_text_file_named_parquet(
    read: Reader, people_parquet: Path, write: Write
) -> None:
    renamed = people_parquet.with_name("people.csv")
    renamed.write_bytes(people_parquet.read_bytes())
    assert detect_format(renamed) == "parquet" and read(renamed).rows == 3
    with pytest.raises(DataError) as e:
        read(write("x.parquet", "a,b\n1,2\n"))
    assert "不是可读取的表格文件" in str(e.value)


def test_damaged_parquet(read: Reader, write: Write) -> None:
    with pytest.raises(DataError) as e:
        read(write("bad.parquet", b"PAR1" + b"\x01\x02" * 50))
    assert "Parquet" in str(e.value) and not read.exists()


# -- what a file is ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "what"),
    [
        ("photo.csv", PNG, "看起来是 PNG 图片"),
        ("scan.csv", PDF, "PDF"),
        # a workbook cut short (an upload or a download that did not finish) is said to be one
        ("cut.xlsx", b"PK\x03\x04" + b"\x00" * 60, "损坏或不完整的 Excel 工作簿"),
        ("archive.csv", b"PK\x03\x04" + b"\x00" * 60, "损坏或不完整的 ZIP 压缩包"),
        ("files.csv", ZIP, "looks like a zip archive"),
        # text with a NUL byte: where, and what it may be
        (
            "nul.csv",
            "姓名,性别\n张三,男\n李四\x00,女\n".encode(),
            "第 3 行 / row 3: 不是可读取的表格文件：这一行有空字节",
        ),
        ("utf16.csv", "姓名,age\nab,1\n".encode("utf-16-le"), "UTF-16"),
        ("data.csv", b"\x1f\x8b\x08\x00" + b"\x00" * 20, "gzip"),
        ("blob.csv", bytes(range(256)) * 4, None),
    ],
)
def test_wrong_type_files_are_refused(
    read: Reader, write: Write, name: str, data: bytes, what: str | None
) -> None:
    path = write(name, data)
    with pytest.raises(DataError) as e:
        read(path)
    msg = str(e.value)
    assert "不是可读取的表格文件" in msg and "not a readable table file" in msg and e.value.file == str(path)
    if what:
        assert what in msg
    with pytest.raises(DataError):
        detect_format(path)
    assert not read.exists()


def test_detect_format(write: Write, tmp_path: Path) -> None:
    assert detect_format(write("a.csv", "a,b\n")) == "csv"
    assert detect_format(write("a.txt", "a\tb\n")) == "csv"
    assert detect_format(write("a.json", "[]")) == "json"
    assert detect_format(write("a.ndjson", '{"a": 1}\n')) == "jsonl"
    assert detect_format(write("noext", '[{"a": 1}]')) == "json"
    assert detect_format(write("noext2", '{"a": 1}\n{"a": 2}\n')) == "jsonl"
    assert detect_format(write("noext3", "姓名,性别\n")) == "csv"
    # a .txt or .dat says only "text": JSON in one is JSON (it was read as a CSV, with CSV advice)
    assert detect_format(write("export.txt", '{"data": [{"a": 1}]}')) == "json"
    from shuzhi.ingest._readers._detect import sniff

    fmt, note = sniff(tmp_path / "export.txt", "export.txt")
    assert fmt == "json" and note is not None and "内容是 JSON" in note[0]  # said, not silent
    assert detect_format(write("rows.dat", '{"a": 1}\n{"a": 2}\n')) == "jsonl"
    assert detect_format(write("a2.csv", '{"a": 1}')) == "csv"  # a .csv is what it says
    assert detect_format(write("utf16.csv", "姓名\t性别\n".encode("utf-16"))) == "csv"
    assert detect_format(write("empty.xlsx", b"")) == "excel"
    with pytest.raises(NotFound):
        detect_format(tmp_path / "missing.csv")
    with pytest.raises(DataError):
        detect_format(tmp_path)


def test_a_folder_is_not_a_file(read: Reader, tmp_path: Path) -> None:
    with pytest.raises(DataError) as e:
        read(tmp_path)
    assert "folder" in str(e.value)


# -- SQL -----------------------------------------------------------------------------------------


def test_sqlite_table_and_query(read: Reader, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dept.sqlite'}"
    eng = sa.create_engine(url)
    with eng.begin() as con:
        con.execute(sa.text("CREATE TABLE 人员 (姓名 TEXT, 年龄 INTEGER, 金额 REAL, 照片 BLOB)"))
        con.execute(
            sa.text("INSERT INTO 人员 VALUES (:a, :b, :c, :d)"),
            [
                {"a": "张三", "b": 34, "c": 12.5, "d": b"\x01\xff"},
                {"a": "李四", "b": None, "c": None, "d": None},
            ],
        )
    eng.dispose()
    src = read(url, format="sql", table="人员")
    assert src.format == "sql" and src.file == url and src.size is None and src.rows == 2
    assert read.rows() == [("张三", "34", "12.5", "01ff", 1), ("李四", None, None, None, 2)]
    by_query = read(url, query="SELECT 姓名 AS name, 年龄 + 1 AS next_age FROM 人员 ORDER BY 姓名 DESC")
    assert by_query.columns == ["name", "next_age"] and read.rows() == [("李四", None, 1), ("张三", "35", 2)]
    assert by_query.sha256 != src.sha256
    with pytest.raises(DataError) as e:
        read(url, table="没有这个表")
    assert "没有这个表" in str(e.value) and not read.exists()
    with pytest.raises(DataError):
        read(url, query="SELECT 1 WHERE 1 = 0")
    with pytest.raises(DataError):
        read(url, format="sql")  # neither table nor query


def test_unknown_driver(read: Reader) -> None:
    with pytest.raises(DataError) as e:
        read("nosuchdb://u:pw@host/db", table="t")
    assert "pw" not in str(e.value)


@pytest.fixture
def pg_people(pg_url: str) -> Iterator[tuple[str, str]]:
    """A PostgreSQL table of 300 people (Chinese text, NULLs, dates, timestamps, numbers) in a
    schema of its own; yields (URL with a password, schema-qualified table name)."""
    url = make_url(pg_url)
    if url.password is None:
        url = url.set(password="secret-pw")  # a trust server ignores it; the masking is what is tested
    admin = sa.create_engine(url)
    schema = "readers_test"
    with admin.begin() as con:
        con.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        con.execute(sa.text(f"CREATE SCHEMA {schema}"))
        con.execute(
            sa.text(
                f"CREATE TABLE {schema}.低保对象 (编号 serial PRIMARY KEY, 姓名 text, 出生日期 date, "
                "登记时间 timestamp, 补助金额 numeric(10, 2), 在册 boolean, 家庭人口 integer, 标签 jsonb)"
            )
        )
        rows = [
            {
                "n": f"人员{i}号" if i % 17 else None,
                "d": dt.date(1950, 1, 1) + dt.timedelta(days=97 * i) if i % 11 else None,
                "t": dt.datetime(2024, 3, 1, 8, 0) + dt.timedelta(minutes=i),
                "m": Decimal(f"{500 + i}.50") if i % 13 else None,
                "b": i % 2 == 0,
                "p": i % 5 + 1,
                "j": '{"街道": "东街"}' if i == 1 else None,
            }
            for i in range(1, 301)
        ]
        con.execute(
            sa.text(
                f"INSERT INTO {schema}.低保对象 (姓名, 出生日期, 登记时间, 补助金额, 在册, 家庭人口, 标签) "
                "VALUES (:n, :d, :t, :m, :b, :p, CAST(:j AS jsonb))"
            ),
            rows,
        )
    try:
        yield url.render_as_string(hide_password=False), f"{schema}.低保对象"
    finally:
        with admin.begin() as con:
            con.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def test_postgresql_table(read: Reader, pg_people: tuple[str, str]) -> None:
    url, table = pg_people
    src = read(url, format="sql", table=table)
    assert src.format == "sql" and src.rows == 300 and src.size is None and src.encoding is None
    assert src.columns == ["编号", "姓名", "出生日期", "登记时间", "补助金额", "在册", "家庭人口", "标签"]
    assert "***" in src.file and make_url(url).password not in src.file  # type: ignore[operator]
    rows = read.rows()
    assert rows[0] == (
        "1",
        "人员1号",
        "1950-04-08",
        "2024-03-01 08:01:00",
        "501.50",
        "false",
        "2",
        '{"街道": "东街"}',
        1,
    )
    assert rows[16][1] is None and rows[10][2] is None and rows[12][4] is None  # NULLs stay NULL
    assert [r[-1] for r in rows] == list(range(1, 301))
    types = read.engine.fetch_rows("SELECT DISTINCT data_type FROM duckdb_columns() WHERE table_name = 'src'")
    assert sorted(t for (t,) in types) == ["BIGINT", "VARCHAR"]


def test_postgresql_query_in_batches(read: Reader, pg_people: tuple[str, str]) -> None:
    import shuzhi.ingest._readers._sql as sql_reader

    url, table = pg_people
    query = f"SELECT 姓名, 补助金额 FROM {table} WHERE 在册 ORDER BY 编号 DESC"
    old, sql_reader._BATCH = sql_reader._BATCH, 64  # several batches
    try:
        src = read(url, query=query)
    finally:
        sql_reader._BATCH = old
    assert src.rows == 150 and src.columns == ["姓名", "补助金额"]
    rows = read.rows()
    assert rows[0] == ("人员300号", "800.50", 1) and rows[-1] == ("人员2号", "502.50", 150)
    assert read.progress[-1] == (150, None)
    with pytest.raises(DataError) as e:
        read(url, query=f"SELECT no_such_column FROM {table}")
    assert "no_such_column" in str(e.value) and "***" in str(e.value)
