"""Fixtures for the source readers: a real DuckDB engine, a ``read`` helper, and small sample
files written into ``tmp_path`` (xlsx with openpyxl, legacy xls with xlwt, JSON, Parquet)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from shuzhi.engine import DuckDBEngine
from shuzhi.ingest.mapping import SourceOptions
from shuzhi.ingest.readers import SourceTable, read_source

#: (姓名, 身份证号, 性别, 出生日期, 住址) — Chinese content used across formats
PEOPLE = [
    ("张三", "140502199003071234", "男", "1990-03-07", "晋城市城区东街街道1号"),
    ("李四", "14050219850611002X", "女", "1985-06-11", "晋城市城区西街街道2号"),
    ("王五", "140502197712300017", "男", "1977-12-30", "晋城市城区南街街道3号"),
]
HEADER = ("姓名", "身份证号", "性别", "出生日期", "住址")
TITLE = "晋城市城区低保对象名单（2024年3月）"


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    with DuckDBEngine(threads=2, memory_limit="1GB", standards=False) as e:
        yield e


class Reader:
    """``read(path, expected=…, into="src", **source_options)`` → SourceTable; ``rows()`` → its rows."""

    def __init__(self, engine: DuckDBEngine, tmp: Path) -> None:
        self.engine = engine
        self.tmp = tmp
        self.progress: list[tuple[int, int | None]] = []

    def __call__(
        self, source: str | Path, *, expected: Sequence[str] = (), into: str = "src", **options: Any
    ) -> SourceTable:
        return read_source(
            self.engine,
            source,
            SourceOptions(**options),
            table=into,
            expected_columns=expected,
            tmp_dir=self.tmp / "scratch",
            progress=lambda done, total: self.progress.append((done, total)),
        )

    def rows(self, table: str = "src") -> list[tuple[Any, ...]]:
        return self.engine.fetch_rows(f'SELECT * FROM "{table}" ORDER BY _row')

    def dicts(self, table: str = "src") -> list[dict[str, Any]]:
        t = self.engine.fetch_arrow(f'SELECT * FROM "{table}" ORDER BY _row')
        return t.to_pylist()  # type: ignore[no-any-return]

    def exists(self, table: str = "src") -> bool:
        return bool(
            self.engine.fetch_rows("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table])[0][0]
        )


@pytest.fixture
def read(engine: DuckDBEngine, tmp_path: Path) -> Reader:
    return Reader(engine, tmp_path)


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """``write("a.csv", text, encoding="gbk")`` → the path (bytes written exactly, no newline translation)."""

    def _write(name: str, text: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
        return path

    return _write


class Sample:
    """The sample people, their header, a title line, and the sample as CSV text."""

    PEOPLE = PEOPLE
    HEADER = HEADER
    TITLE = TITLE

    @staticmethod
    def csv(sep: str = ",", title: bool = False, newline: str = "\n") -> str:
        lines = []
        if title:
            lines += [TITLE, ""]
        lines.append(sep.join(HEADER))
        lines += [sep.join(p) for p in PEOPLE]
        return newline.join(lines) + newline


@pytest.fixture
def sample() -> type[Sample]:
    return Sample


@pytest.fixture
def people_xlsx(tmp_path: Path) -> Path:
    """Sheet 名单: a merged title (row 1), a blank row, a two-row header under merged cells
    (户主信息 over 姓名/身份证号; 序号 merged down over both rows), three people from row 5,
    a date, a date-time, an ID typed as a number, a merged 户号 over two rows; sheet 说明 first."""
    import openpyxl

    wb = openpyxl.Workbook()
    info = wb.active
    assert info is not None
    info.title = "说明"
    info["A1"] = "本工作簿第二个工作表是名单"
    ws = wb.create_sheet("名单")
    ws["A1"] = TITLE
    ws.merge_cells("A1:G1")
    ws["A3"] = "序号"
    ws.merge_cells("A3:A4")
    ws["B3"] = "户主信息"
    ws.merge_cells("B3:C3")
    ws["B4"] = "姓名"
    ws["C4"] = "身份证号"
    ws["D3"] = "户号"
    ws.merge_cells("D3:D4")
    ws["E3"] = "出生日期"
    ws.merge_cells("E3:E4")
    ws["F3"] = "登记时间"
    ws.merge_cells("F3:F4")
    ws["G3"] = "补助金额"
    ws.merge_cells("G3:G4")
    ws.append(
        [1, "张三", "140502199003071234", "H001", dt.date(1990, 3, 7), dt.datetime(2024, 3, 1, 9, 30), 520]
    )
    ws.append(
        [2, "李四", 1.40502198506110e17, None, dt.date(1985, 6, 11), dt.datetime(2024, 3, 2, 14, 0), 12.5]
    )
    ws.merge_cells("D5:D6")
    ws.append([3, "王五", "140502197712300017", "H002", dt.date(1977, 12, 30), None, 0.1 + 0.2])
    path = tmp_path / "名单.xlsx"
    wb.save(path)
    return path


@pytest.fixture
def people_xls(tmp_path: Path) -> Path:
    """Legacy .xls (BIFF8, written by xlwt): header 户主信息 merged over 姓名/身份证号, 序号 merged
    down, two people, a date cell."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("低保")
    ws.write_merge(0, 1, 0, 0, "序号")
    ws.write_merge(0, 0, 1, 2, "户主信息")
    ws.write(1, 1, "姓名")
    ws.write(1, 2, "身份证号")
    ws.write_merge(0, 1, 3, 3, "出生日期")
    date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    ws.write(2, 0, 1)
    ws.write(2, 1, "张三")
    ws.write(2, 2, "140502199003071234")
    ws.write(2, 3, dt.date(1990, 3, 7), date)
    ws.write(3, 0, 2)
    ws.write(3, 1, "李四")
    ws.write(3, 2, "14050219850611002X")
    ws.write(3, 3, dt.date(1985, 6, 11), date)
    path = tmp_path / "低保.xls"
    wb.save(str(path))
    return path


HOUSEHOLDS = {
    "code": 0,
    "data": {
        "total": 2,
        "households": [
            {
                "hid": "H001",
                "addr": {"street": "东街街道", "no": "1号"},
                "members": [
                    {"name": "张三", "id": "140502199003071234", "age": 34, "tags": ["户主", "低保"]},
                    {"name": "赵六", "id": "140502199205020021", "age": 32.0, "spouse": True},
                ],
            },
            {
                "hid": "H002",
                "addr": {"street": "西街街道", "no": "2号"},
                "members": [{"name": "李四", "age": None}],
            },
        ],
    },
}


@pytest.fixture
def households_json(tmp_path: Path) -> Path:
    path = tmp_path / "households.json"
    path.write_text(json.dumps(HOUSEHOLDS, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


@pytest.fixture
def people_parquet(tmp_path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "姓名": ["张三", "李四", None],
            "出生日期": [dt.date(1990, 3, 7), dt.date(1985, 6, 11), None],
            "登记时间": [dt.datetime(2024, 3, 1, 9, 30), None, dt.datetime(2024, 3, 3, 0, 0)],
            "人数": pa.array([3, 1, 2], type=pa.int32()),
            "金额": [520.0, 12.5, None],
            "标签": [["户主", "低保"], [], None],
        }
    )
    path = tmp_path / "people.parquet"
    pq.write_table(table, path)
    return path
