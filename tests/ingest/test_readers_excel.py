"""Excel sources: xlsx and legacy xls, sheets, merged headers, cell values as text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shuzhi.errors import DataError
from shuzhi.ingest.readers import detect_format

Reader = Any
Write = Callable[..., Path]


def test_xlsx_with_title_merged_header_and_named_sheet(read: Reader, people_xlsx: Path) -> None:
    src = read(people_xlsx, sheet="名单")
    assert src.format == "excel" and src.sheet == "名单" and src.encoding is None and src.delimiter is None
    assert src.header_row == 3 and src.rows == 3
    assert src.columns == [
        "序号",
        "户主信息-姓名",
        "户主信息-身份证号",
        "户号",
        "出生日期",
        "登记时间",
        "补助金额",
    ]
    rows = read.rows()
    assert rows[0] == (
        "1",
        "张三",
        "140502199003071234",
        "H001",
        "1990-03-07",
        "2024-03-01 09:30:00",
        "520",
        5,
    )
    # an ID typed as a number: as Excel holds it (15 significant digits), and noted
    assert rows[1][2] == "140502198506110000"
    # the merged 户号 D5:D6 gives row 6 the value; 12.5 stays 12.5
    assert rows[1][3] == "H001" and rows[1][6] == "12.5" and rows[1][-1] == 6
    # no value is NULL; 0.1 + 0.2 is shown as Excel shows it
    assert rows[2][5] is None and rows[2][6] == "0.3" and rows[2][-1] == 7
    notes = "\n".join(src.notes)
    assert "户主信息-身份证号" in notes and "15" in notes and "merged" in notes


def test_header_found_by_expected_names_under_merged_cells(read: Reader, people_xlsx: Path) -> None:
    src = read(people_xlsx, sheet="名单", expected=["户主信息-姓名", "户主信息-身份证号", "出生日期"])
    assert src.header_row == 3 and "户主信息-姓名" in src.columns


def test_sheet_by_index_and_first_sheet_by_default(read: Reader, people_xlsx: Path) -> None:
    src = read(people_xlsx, sheet=1)
    assert src.sheet == "名单" and src.rows == 3
    with pytest.raises(DataError) as e:  # the first sheet holds a sentence, no table
        read(people_xlsx)
    assert "文件中没有数据行" in str(e.value)


def test_missing_sheet_lists_the_sheets(read: Reader, people_xlsx: Path) -> None:
    with pytest.raises(DataError) as e:
        read(people_xlsx, sheet="花名册")
    assert "花名册" in str(e.value) and "说明、名单" in str(e.value) and "说明, 名单" in str(e.value)
    with pytest.raises(DataError):
        read(people_xlsx, sheet=5)


def test_legacy_xls(read: Reader, people_xls: Path) -> None:
    src = read(people_xls)
    assert src.format == "excel" and src.sheet == "低保" and src.header_row == 1
    assert src.columns == ["序号", "户主信息-姓名", "户主信息-身份证号", "出生日期"]
    assert read.rows() == [
        ("1", "张三", "140502199003071234", "1990-03-07", 3),
        ("2", "李四", "14050219850611002X", "1985-06-11", 4),
    ]


def test_explicit_header_rows(read: Reader, people_xls: Path) -> None:
    src = read(people_xls, header_rows=1)
    assert src.columns == ["序号", "户主信息", "列3", "出生日期"]
    assert read.rows()[0][:3] == (None, "姓名", "身份证号")


def test_xlsx_named_csv_is_read_as_excel(
    read: Reader, people_xls: Path, people_xlsx: Path, tmp_path: Path
) -> None:
    renamed = tmp_path / "名单.csv"
    renamed.write_bytes(people_xlsx.read_bytes())
    assert detect_format(renamed) == "excel"
    src = read(renamed, sheet="名单")
    assert src.format == "excel" and src.rows == 3
    assert any("xlsx" in n for n in src.notes)
    old = tmp_path / "低保.csv"
    old.write_bytes(people_xls.read_bytes())
    assert detect_format(old) == "excel" and read(old).rows == 2


def test_values_blank_rows_and_footer(read: Reader, tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "在册", "时长", "金额", "编号"])
    ws.append(["张三", True, dt.time(8, 30), -1e-7, 3])
    ws.append([None, None, None, None, None])
    ws.append(["  李四 ", False, None, 1234567.891, 12345678901234])
    ws.append(["合计", None, None, 1234567.8909999, None])
    path = tmp_path / "v.xlsx"
    wb.save(path)
    src = read(path, skip_footer=1)
    assert read.rows() == [
        ("张三", "TRUE", "08:30:00", "-0.0000001", "3", 2),
        ("  李四 ", "FALSE", None, "1234567.891", "12345678901234", 4),
    ]
    assert src.rows == 2 and any("skip_footer" in n for n in src.notes)


def test_damaged_workbook(read: Reader, write: Write) -> None:
    path = write("坏.xlsx", b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(DataError) as e:
        read(path)
    assert "不是可读取的表格文件" in str(e.value)


def test_html_saved_as_xls(read: Reader, write: Write) -> None:
    path = write("导出.xls", "<html><table><tr><td>姓名</td></tr></table></html>")
    with pytest.raises(DataError) as e:
        read(path)
    assert "HTML" in str(e.value)


def test_text_saved_as_xls_is_read_as_csv(read: Reader, write: Write, sample: Any) -> None:
    src = read(write("导出.xls", sample.csv("\t"), "gbk"))
    assert src.format == "csv" and src.delimiter == "\t" and src.rows == 3
