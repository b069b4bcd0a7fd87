"""Excel sources: xlsx and legacy xls, sheets, merged headers, cell values as text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shuzhi.errors import DataError
from shuzhi.ingest._readers._excel_cells import code_format, xlsx_marks
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


# -- cells calamine gives no more than a value of: code formats, errors, formulas ----------------


def _sheet_xml(path: Path, change: Callable[[str], str]) -> None:
    """Rewrite the first sheet's XML of a workbook openpyxl saved (for what openpyxl does not
    write: another attribute order, prefixed elements, a formula's cached empty text)."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    name = "xl/worksheets/sheet1.xml"
    parts[name] = change(parts[name].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)


def _codes_xlsx(path: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["编号", "电话", "分机", "金额", "人数", "比例", "普通"])
    ws.append([2, 3562021234, 12, 12.5, 1234, 2.5, 7])
    ws.append([12, 3561234567, 3, 3, 12345, 3, 8])
    formats = ["000", "0000-0000000", '"TEL"0000', "0.00", "#,##0", "000", "General"]
    for row in ws.iter_rows(min_row=2):
        for cell, fmt in zip(row, formats, strict=True):
            cell.number_format = fmt
    wb.save(path)
    return path


def test_codes_kept_by_a_number_format_are_read_as_excel_shows_them(read: Reader, tmp_path: Path) -> None:
    read(_codes_xlsx(tmp_path / "codes.xlsx"))
    assert read.rows() == [
        ("002", "0356-2021234", "TEL0012", "12.5", "1234", "2.5", "7", 2),
        # other formats (0.00, #,##0) as before; a number that is no integer is not rounded
        ("012", "0356-1234567", "TEL0003", "3", "12345", "003", "8", 3),
    ]


def test_code_formats_in_another_attribute_order_and_with_prefixed_elements(
    read: Reader, tmp_path: Path
) -> None:
    import re

    path = _codes_xlsx(tmp_path / "codes.xlsx")

    def change(xml: str) -> str:
        xml = re.sub(r'<c r="([A-Z]+[0-9]+)" s="([0-9]+)"', r'<c s="\2" r="\1"', xml)
        return re.sub(r"<(/?)(\w+)", r"<\1x:\2", xml).replace('xmlns="', 'xmlns:x="')

    _sheet_xml(path, change)
    read(path)
    assert [r[:3] for r in read.rows()] == [
        ("002", "0356-2021234", "TEL0012"),
        ("012", "0356-1234567", "TEL0003"),
    ]


@pytest.mark.parametrize(
    ("code", "value", "shown"),
    [
        ("000", 2, "002"),
        ("000", 1234, "1234"),
        ("000", 0, "000"),
        ("000", -2, "-002"),
        ("000000", 140502, "140502"),
        ("0000-0000000", 3562021234, "0356-2021234"),
        ("000 0000 0000", 13803561234, "138 0356 1234"),
        ('"TEL"0000', 3562021234, "TEL3562021234"),
        ('"No."000', 5, "No.005"),
        ("\\A000", 7, "A007"),
        ("#-000", 5, "-005"),
        ("00#", 5, "005"),
    ],
)
def test_code_format_gives_the_text_excel_shows(code: str, value: int, shown: str) -> None:
    show = code_format(code)
    assert show is not None and show(value) == shown


@pytest.mark.parametrize(
    "code",
    ["General", "0", "#", "#0", "0.00", "#,##0", "0%", "0.00E+00", "yyyy-mm-dd", "@", "[Red]000", "000;-000"],
)
def test_other_number_formats_are_left_as_read(code: str) -> None:
    assert code_format(code) is None


def test_legacy_xls_codes_and_error_cells(read: Reader, tmp_path: Path) -> None:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("名单")
    for c, name in enumerate(["编号", "电话", "合计金额"]):
        ws.write(0, c, name)
    for r, (n, phone) in enumerate([(2, 3562021234), (12, 3561234567)], 1):
        ws.write(r, 0, n, xlwt.easyxf(num_format_str="000"))
        ws.write(r, 1, phone, xlwt.easyxf(num_format_str="0000-0000000"))
    ws.row(1).set_cell_error(2, "#DIV/0!")
    ws.write(2, 2, 100.5)
    path = tmp_path / "codes.xls"
    wb.save(str(path))
    src = read(path)
    assert read.rows() == [("002", "0356-2021234", "#DIV/0!", 2), ("012", "0356-1234567", "100.5", 3)]
    assert any("列「合计金额」有 1 个错误单元格（如 #DIV/0!）" in n for n in src.notes)


def test_error_cells_are_read_as_shown_and_noted(read: Reader, tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "合计金额", "人均"])
    ws.append(["张三", "#DIV/0!", 100])
    ws.append(["#N/A", "#N/A", "#REF!"])
    ws.append(["李四", 520, 260])
    ws.append(["合计", "#DIV/0!", None])  # a footer: not counted
    path = tmp_path / "errors.xlsx"
    wb.save(path)
    src = read(path, skip_footer=1)
    assert [r[:3] for r in read.rows()] == [
        ("张三", "#DIV/0!", "100"),
        ("#N/A", "#N/A", "#REF!"),
        ("李四", "520", "260"),
    ]
    (note,) = [n for n in src.notes if "错误单元格" in n]
    assert "列「姓名」有 1 个错误单元格（如 #N/A）" in note
    assert "列「合计金额」有 2 个错误单元格（如 #DIV/0!、#N/A）" in note
    assert "column 合计金额 has 2 error cell(s) (e.g. #DIV/0!, #N/A)" in note
    assert "column 人均 has 1 error cell(s) (e.g. #REF!)" in note


def test_formulas_without_a_computed_value_are_noted(read: Reader, tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "金额", "合计", "说明"])
    ws.append(["张三", 100, "=B2*2", '=IF(B2>0,"","负数")'])
    ws.append(["李四", 200, "=B3*2", None])
    ws.append(["合计", "=SUM(B2:B3)", None, None])  # a footer: not counted
    path = tmp_path / "program.xlsx"
    wb.save(path)
    # D2 as Excel saves it after calculating: a text formula whose result is the empty text
    _sheet_xml(
        path, lambda xml: xml.replace('<c r="D2">', '<c r="D2" t="str">').replace("<v />", "<v></v>", 1)
    )
    src = read(path, skip_footer=1)
    assert [r[:4] for r in read.rows()] == [("张三", "100", None, None), ("李四", "200", None, None)]
    (note,) = [n for n in src.notes if "公式" in n]
    assert "列「合计」2 个" in note and "说明" not in note and "金额" not in note
    assert "请用 Excel/WPS 打开并保存后再提交" in note and "open and save the file in Excel/WPS" in note


def test_a_sheet_of_formulas_without_values_says_so(read: Reader, tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "合计"])
    ws.append(['=CONCAT("张","三")', "=1+1"])
    path = tmp_path / "program.xlsx"
    wb.save(path)
    with pytest.raises(DataError) as e:
        read(path)
    assert "文件中没有数据行：公式没有计算结果" in str(e.value) and "Excel/WPS" in str(e.value)


# -- a header cell merged across columns ---------------------------------------------------------


def _merged_phone_xlsx(path: Path) -> Path:
    """Row 1: 身份证号 | 姓名 | 联系电话 (C1:D1 merged) | 出生日期; rows 2-3 data."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["身份证号", "姓名", "联系电话", None, "出生日期"])
    ws.merge_cells("C1:D1")
    ws.append(["14050219900307151X", "张伟", "13803561234", None, dt.date(1990, 3, 7)])
    ws.append(["140502850612202", "王芳", "13903565678", "0356-2021234", dt.date(1985, 6, 12)])
    wb.save(path)
    return path


@pytest.mark.parametrize("expected", [(), ("身份证号", "姓名", "联系电话", "出生日期")])
def test_one_header_row_with_a_cell_merged_across_columns(
    read: Reader, tmp_path: Path, expected: tuple[str, ...]
) -> None:
    src = read(_merged_phone_xlsx(tmp_path / "名单.xlsx"), expected=expected)
    assert src.header_row == 1 and src.columns == ["身份证号", "姓名", "联系电话", "列4", "出生日期"]
    assert read.rows() == [
        ("14050219900307151X", "张伟", "13803561234", None, "1990-03-07", 2),
        ("140502850612202", "王芳", "13903565678", "0356-2021234", "1985-06-12", 3),
    ]
    assert not any("upper-lower" in n for n in src.notes)


def test_data_of_text_under_a_merged_header_cell_is_no_header(read: Reader, tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "性别", "联系电话", None])
    ws.merge_cells("C1:D1")
    ws.append(["张伟", "男", "13803561234", None])
    path = tmp_path / "a.xlsx"
    wb.save(path)
    src = read(path)
    assert src.columns == ["姓名", "性别", "联系电话"] and read.rows() == [("张伟", "男", "13803561234", 2)]


def test_two_row_headers_with_labels_or_years_under_the_merged_cell(read: Reader, tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "联系电话", None, "补助金额", None])
    ws.merge_cells("B1:C1")
    ws.merge_cells("D1:E1")
    ws.append([None, "手机", "座机", 2023, 2024])
    ws.append(["张伟", "13803561234", "0356-2021234", 520, 12.5])
    path = tmp_path / "a.xlsx"
    wb.save(path)
    src = read(path)
    assert src.columns == ["姓名", "联系电话-手机", "联系电话-座机", "补助金额-2023", "补助金额-2024"]
    assert read.rows() == [("张伟", "13803561234", "0356-2021234", "520", "12.5", 3)]
    # a mapping naming the joined names decides as well
    src = read(path, expected=["姓名", "联系电话-手机"])
    assert src.columns[1] == "联系电话-手机"


def test_a_mapping_naming_the_sub_headers_reads_the_cells_merged_down_by_their_names(
    read: Reader, tmp_path: Path
) -> None:
    """统一社会信用代码 and 机构名称 merged down over both header rows, 负责人 over 姓名 | 电话: a mapping
    naming 姓名 and 电话 finds the header in row 2, where the cells merged down were read empty
    (列1, 列2) and the required fields not found."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["统一社会信用代码", "机构名称", "负责人", None, "成立日期"])
    ws.append([None, None, "姓名", "电话", None])
    for cells in ("A1:A2", "B1:B2", "C1:D1", "E1:E2"):
        ws.merge_cells(cells)
    ws.append(["91140500MA0GXXXX1X", "某某公司", "张三", "13803561234", "2020-01-02"])
    path = tmp_path / "机构.xlsx"
    wb.save(path)
    src = read(path, expected=["姓名", "电话"])
    assert src.header_row == 2 and src.columns == ["统一社会信用代码", "机构名称", "姓名", "电话", "成立日期"]
    assert read.rows() == [("91140500MA0GXXXX1X", "某某公司", "张三", "13803561234", "2020-01-02", 3)]
    assert any("取自上方向下合并的单元格" in n for n in src.notes)
    # naming the joined names still reads both rows as the header
    src = read(path, expected=["负责人-姓名", "负责人-电话"])
    assert src.columns == ["统一社会信用代码", "机构名称", "负责人-姓名", "负责人-电话", "成立日期"]
    # a mapping naming every column, the sub-headers among them; a title row above the header
    everything = ["统一社会信用代码", "机构名称", "姓名", "电话", "成立日期"]
    src = read(path, expected=everything)
    assert src.header_row == 2 and src.columns == everything
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["机构名录（2024 年）"])
    ws.append(["统一社会信用代码", "机构名称", "负责人", None, "成立日期"])
    ws.append([None, None, "姓名", "电话", None])
    for cells in ("A2:A3", "B2:B3", "C2:D2", "E2:E3"):
        ws.merge_cells(cells)
    ws.append(["91140500MA0GXXXX1X", "某某公司", "张三", "13803561234", "2020-01-02"])
    wb.save(path)
    src = read(path, expected=everything)
    assert src.header_row == 3 and src.columns == everything
    assert read.rows() == [("91140500MA0GXXXX1X", "某某公司", "张三", "13803561234", "2020-01-02", 4)]


def test_a_workbook_cut_short_is_said_to_be_incomplete(read: Reader, tmp_path: Path) -> None:
    sample = Path(__file__).parents[2] / "examples" / "sample-city" / "data" / "sj_qydj_gaoping.xls"
    data = sample.read_bytes()
    cut = tmp_path / "cut.xls"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="不完整") as e:
        read(cut)
    assert e.value.file == str(cut) and "incomplete" in str(e.value)


def test_a_header_not_found_says_how_to_give_it(read: Reader, tmp_path: Path) -> None:
    with pytest.raises(DataError) as e:
        read(_merged_phone_xlsx(tmp_path / "名单.xlsx"), expected=["公民身份号码", "户主姓名", "联系电话"])
    assert "header_row:" in str(e.value) and "header_rows: 1" in str(e.value)


def test_a_sheet_searched_in_small_pieces_gives_the_same_cells(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for i in range(40):
        ws.append([i, "#N/A" if i % 3 else "张三", f"=A{i + 1}*2"])
        ws.cell(i + 1, 1).number_format = "000"
    path = tmp_path / "a.xlsx"
    wb.save(path)
    whole = xlsx_marks(path.read_bytes(), "Sheet")
    pieces = xlsx_marks(path.read_bytes(), "Sheet", chunk=50)
    assert len(whole.formats) == 40 and len(whole.errors) == 26 and len(whole.uncomputed) == 40
    assert (pieces.formats.keys(), pieces.errors, sorted(pieces.uncomputed)) == (
        whole.formats.keys(),
        whole.errors,
        sorted(whole.uncomputed),
    )
