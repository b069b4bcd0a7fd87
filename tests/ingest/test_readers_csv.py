"""CSV sources: encodings, delimiters, header rows, quoting, row numbers, bad input."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic
import pytest

from shuzhi.errors import DataError
from shuzhi.ingest.mapping import SourceOptions
from shuzhi.ingest.readers import read_source

Write = Callable[..., Path]
Reader = Any
TITLE = "晋城市城区低保对象名单（2024年3月）"


def test_utf8_csv_is_read_as_text_with_line_numbers(read: Reader, write: Write, sample: Any) -> None:
    path = write("people.csv", sample.csv())
    src = read(path)
    assert src.format == "csv" and src.encoding == "utf-8" and src.delimiter == ","
    assert src.columns == list(sample.HEADER) and src.rows == 3 and src.header_row == 1
    assert src.table == "src" and src.file == str(path) and src.size == path.stat().st_size
    assert read.rows() == [(*p, n) for p, n in zip(sample.PEOPLE, [2, 3, 4], strict=True)]
    types = read.engine.fetch_rows(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'src'"
    )
    assert dict(types) == dict.fromkeys(sample.HEADER, "VARCHAR") | {"_row": "BIGINT"}


def test_sha256_is_of_the_file_bytes(read: Reader, write: Write, sample: Any) -> None:
    import hashlib

    path = write("people.csv", sample.csv(), "gbk")
    assert read(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("encoding", "reported"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gbk", "gb18030"),
        ("gb2312", "gb18030"),
        ("gb18030", "gb18030"),
        ("utf-16", "utf-16"),
    ],
)
def test_encoding_is_detected(read: Reader, write: Write, encoding: str, reported: str, sample: Any) -> None:
    src = read(write("people.csv", sample.csv(), encoding), expected=["姓名"])
    assert src.encoding == reported
    assert src.columns == list(sample.HEADER)  # no BOM in the first name
    assert read.rows()[0] == (*sample.PEOPLE[0], 2)
    assert any("编码" in n and "encoding" in n for n in src.notes)


def test_gb18030_characters_outside_gbk(read: Reader, write: Write) -> None:
    text = "姓名,备注\n𠀀宝,䶮\n龑,€ 和 ㈠\n"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    src = read(write("rare.csv", text, "gb18030"))
    assert src.encoding == "gb18030"
    assert read.rows() == [("𠀀宝", "䶮", 2), ("龑", "€ 和 ㈠", 3)]


def test_gbk_detected_even_when_the_top_of_the_file_is_ascii(read: Reader, write: Write) -> None:
    ascii_part = "".join(f"{i},x{i}\n" for i in range(20000))  # far more than the first chunk probe
    data = ("id,name\n" + ascii_part).encode() + "99999,张三\n".encode("gbk")
    src = read(write("late.csv", data))
    assert src.encoding == "gb18030"
    assert read.rows()[-1] == ("99999", "张三", 20002)
    assert any("第 20002 行不是 UTF-8" in n for n in src.notes)


def test_explicit_encoding_wins(read: Reader, write: Write, sample: Any) -> None:
    data = sample.csv().encode("big5", errors="replace") if False else sample.csv().encode("gb18030")
    src = read(write("p.csv", data), encoding="gb18030")
    assert src.encoding == "gb18030" and read.rows()[1][0] == "李四"
    # told UTF-8, a GBK file is an error naming the line, not a silent switch
    with pytest.raises(DataError) as e:
        read(write("p2.csv", data), encoding="utf-8")
    assert e.value.row == 1 and "UTF-8" in str(e.value)
    assert "请确认映射文件 source: 中的 encoding: utf-8 是否就是文件的编码" in str(e.value)


def test_explicit_big5(read: Reader, write: Write) -> None:
    text = "姓名,地址\n陳大文,臺北市\n"
    src = read(write("tw.csv", text, "big5"), encoding="big5")
    assert src.encoding == "big5" and read.rows() == [("陳大文", "臺北市", 2)]


def test_unknown_encoding_name_is_refused_with_the_options(read: Reader, write: Write, sample: Any) -> None:
    # refused where the options are read (a mapping file: its line, see test_load_errors)
    with pytest.raises(pydantic.ValidationError, match="klingon"):
        read(write("p.csv", sample.csv()), encoding="klingon")


def test_undecodable_bytes_name_line_and_offset(read: Reader, write: Write, sample: Any) -> None:
    good = sample.csv().encode("gbk")
    bad = good + "赵六,".encode("gbk") + b"\x81\x20\xff" + b",x,y,z\n"
    with pytest.raises(DataError) as e:
        read(write("bad.csv", bad))
    err = e.value
    assert err.row == 5 and err.file is not None and err.file.endswith("bad.csv")
    offset = len(good) + len("赵六,".encode("gbk"))
    assert f"byte offset {offset}" in str(err) and "第 5 行" in str(err)
    assert "UTF-8" in str(err) and "GB18030" in str(err)  # which encodings were tried


def test_a_bad_byte_in_utf8_is_reported_where_utf8_stops(read: Reader, write: Write, sample: Any) -> None:
    # GB18030 stops at the first Chinese word of this UTF-8 file; UTF-8 at the real fault
    good = sample.csv().encode("utf-8")
    bad = good + "赵六,".encode() + b"\xff\xfe\x80" + b",x,y,z\n"
    with pytest.raises(DataError) as e:
        read(write("bad.csv", bad))
    err = e.value
    offset = len(good) + len("赵六,".encode())
    assert err.row == 5 and f"byte offset {offset}" in str(err) and "FF FE 80" in str(err)
    assert "source:" in str(err)  # where encoding: goes


@pytest.mark.parametrize("sep", [",", ";", "\t", "|", "^"])
def test_delimiter_is_detected(read: Reader, write: Write, sep: str, sample: Any) -> None:
    value = "晋城市城区东街街道1号,之一"  # a comma inside a value
    text = sample.csv(sep).replace("晋城市城区东街街道1号", f'"{value}"' if sep == "," else value)
    src = read(write("p.csv", text))
    assert src.delimiter == sep
    assert src.columns == list(sample.HEADER)
    assert read.rows()[0][4] == "晋城市城区东街街道1号,之一"


@pytest.mark.parametrize("sep", ["tab", "\\t", "\t", "制表符", "TAB"])
def test_delimiter_can_be_given(read: Reader, write: Write, sep: str, sample: Any) -> None:
    src = read(write("p.tsv", sample.csv("\t")), delimiter=sep)
    assert src.delimiter == "\t" and read.rows()[2][0] == "王五"


@pytest.mark.parametrize(("name", "sep"), [("semicolon", ";"), ("分号", ";"), ("竖线", "|"), ("逗号", ",")])
def test_delimiters_by_name(read: Reader, write: Write, name: str, sep: str, sample: Any) -> None:
    src = read(write("p.txt", sample.csv(sep)), delimiter=name)
    assert src.delimiter == sep and read.rows()[2][0] == "王五"


@pytest.mark.parametrize("bad", [";;", "冒号", "semi-colon"])
def test_a_delimiter_of_several_characters_is_refused(bad: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="分隔符应为一个字符"):
        SourceOptions(delimiter=bad)


def test_title_and_blank_lines_above_the_header_are_skipped(read: Reader, write: Write, sample: Any) -> None:
    path = write("p.csv", sample.csv(title=True), "gbk")
    for expected in ([], ["姓名", "身份证号"]):
        src = read(path, expected=expected)
        assert src.header_row == 3 and src.columns == list(sample.HEADER)
        assert [r[-1] for r in read.rows()] == [4, 5, 6]
        assert any("表头在第 3 行" in n for n in src.notes)


def test_title_padded_with_delimiters_is_not_the_header(read: Reader, write: Write, sample: Any) -> None:
    text = f"{TITLE},,,,\n单位：城区民政局,,,,\n" + sample.csv()
    src = read(write("p.csv", text))
    assert src.header_row == 3 and src.columns == list(sample.HEADER)


def test_header_found_by_expected_columns(read: Reader, write: Write, sample: Any) -> None:
    text = "统计口径,城区,全部,,\n" + "说明,,,,\n" + sample.csv()
    src = read(write("p.csv", text), expected=["姓名", "身份证号", "性别"])
    assert src.header_row == 3 and src.rows == 3


def test_header_missing_names_what_is_missing_and_what_was_found(
    read: Reader, write: Write, sample: Any
) -> None:
    path = write("p.csv", sample.csv())
    with pytest.raises(DataError) as e:
        read(path, expected=["户主姓名", "公民身份号码", "性别"])
    msg = str(e.value)
    assert "户主姓名" in msg and "公民身份号码" in msg  # missing
    assert "姓名, 身份证号, 性别" in msg  # the header actually found
    assert e.value.row == 1 and str(path) in msg
    assert not read.exists()


def test_a_file_of_garbage_is_shown_briefly_with_a_hint(read: Reader, write: Write) -> None:
    # random high bytes decode as GB18030 to thousands of characters: the message shows a few
    line = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(600))
    path = write("乱码.csv", (line + "\n") * 3, "gb18030")
    with pytest.raises(DataError) as e:
        read(path, expected=["公民身份号码", "姓名"])
    msg = str(e.value)
    assert len(msg) < 700 and "…（共 1 格 / 1 cells）" in msg
    assert "一个映射列也没有找到" in msg and "encoding: gbk" in msg
    assert not read.exists()


def test_explicit_header_row(read: Reader, write: Write, sample: Any) -> None:
    text = "a,b,c,d,e\n" + sample.csv()
    src = read(write("p.csv", text), header_row=2)
    assert src.header_row == 2 and src.columns == list(sample.HEADER) and read.rows()[0][-1] == 3


def test_header_names_are_cleaned_and_made_unique(read: Reader, write: Write) -> None:
    text = '\ufeff 姓名 ,\u3000身份证号\u3000,姓名,,"联系\n电话",_row,Name,NAME\n张三,1,张三丰,,138,r,a,b\n'
    src = read(write("p.csv", text))
    assert src.columns == ["姓名", "身份证号", "姓名_2", "联系电话", "_row_2", "Name", "NAME_2"]
    # the empty header column had no values and was dropped; the header record spans two lines
    assert read.rows() == [("张三", "1", "张三丰", "138", "r", "a", "b", 3)]
    assert any("姓名_2" in n for n in src.notes) and any("列4" in n for n in src.notes)


def test_unnamed_column_with_values_keeps_a_made_up_name(read: Reader, write: Write) -> None:
    src = read(write("p.csv", "name,,age\nx,1,2\n"))
    assert src.columns == ["name", "column_2", "age"] and read.rows() == [("x", "1", "2", 2)]


def test_trailing_delimiters_make_no_columns(read: Reader, write: Write) -> None:
    text = "姓名,性别,,\n张三,男,,\n李四,女,,\n"
    src = read(write("p.csv", text))
    assert src.columns == ["姓名", "性别"] and read.rows() == [("张三", "男", 2), ("李四", "女", 3)]


def test_quoted_fields_with_delimiters_quotes_and_line_breaks(read: Reader, write: Write) -> None:
    text = (
        "姓名,备注,住址\n"
        '张三,"多行\n备注\n第三行","东街,1号"\n'
        '李四,"他说""你好""",西街\n'
        '王五,"空\n\n行",南街\n'
        "赵六,,北街\n"
    )
    src = read(write("q.csv", text))
    assert src.rows == 4
    assert read.rows() == [
        ("张三", "多行\n备注\n第三行", "东街,1号", 2),
        ("李四", '他说"你好"', "西街", 5),
        ("王五", "空\n\n行", "南街", 6),
        ("赵六", None, "北街", 9),
    ]


def test_crlf_line_endings(read: Reader, write: Write, sample: Any) -> None:
    src = read(write("p.csv", sample.csv(title=True, newline="\r\n")))
    assert src.header_row == 3 and read.rows()[0] == (*sample.PEOPLE[0], 4)
    assert read.rows()[2][-1] == 6


def test_row_numbers_on_a_long_file_with_blanks_and_multiline_records(read: Reader, write: Write) -> None:
    """Each record holds the line number it starts on; _row must equal it, record by record."""
    rng = random.Random(7)
    lines = [TITLE, "", "行号,姓名,备注"]
    expected = []
    for i in range(6000):
        if rng.random() < 0.02:
            lines.append("")  # a blank line inside the data
        if rng.random() < 0.01:
            lines.append(",,")  # a line of delimiters: a blank row, skipped
        if rng.random() < 0.01:
            lines.append("   ")  # only spaces: a blank line too
        start = sum(1 + line.count("\n") for line in lines) + 1
        remark = "第一行\n第二行" if rng.random() < 0.03 else ("a\n\nb" if rng.random() < 0.01 else f"r{i}")
        quoted = '"' + remark + '"' if "\n" in remark else remark
        lines.append(f"{start},人{i},{quoted}")
        expected.append((str(start), f"人{i}", remark, start))
    lines += ["", ""]
    src = read(write("long.csv", "\n".join(lines), "gb18030"))
    assert src.rows == 6000
    got = read.rows()
    assert [r[-1] for r in got] == [int(r[0]) for r in got]
    assert got == expected


def test_row_numbers_without_quotes_and_with_blank_lines(read: Reader, write: Write) -> None:
    lines = ["编号,值"]
    for i in range(3000):
        lines.append(f"{len(lines) + 1},{i}")
        if i % 500 == 7:
            lines.append("")
    read(write("b.csv", "\n".join(lines) + "\n"))
    got = read.rows()
    assert len(got) == 3000 and all(int(a) == r for a, _, r in got)


def test_single_column_file(read: Reader, write: Write) -> None:
    src = read(write("ids.csv", "身份证号\n140502199003071234\n\n14050219850611002X\n"))
    assert src.columns == ["身份证号"]
    assert read.rows() == [("140502199003071234", 2), ("14050219850611002X", 4)]


def test_ragged_rows_are_errors_naming_each_line(read: Reader, write: Write, sample: Any) -> None:
    text = sample.csv() + "赵六,1,男\n孙七,2,女,2000-01-01,东街,多余\n周八,3,男,2000-01-01,西街\n"
    with pytest.raises(DataError) as e:
        read(write("r.csv", text))
    err = e.value
    assert err.row == 5
    msg = str(err)
    assert "2 line(s)" in msg and "line 5: 3 fields, header has 5" in msg and "line 6: 6 fields" in msg
    assert "第 5 行只有 3 个字段" in msg
    assert not read.exists()


def test_one_long_line_below_the_header_is_not_taken_for_it(read: Reader, write: Write) -> None:
    # the widest line is not the header: the table's own width (the commonest) is
    text = "姓名,性别,住址\n张三,男,东街\n李四,女,西街,1,2,3,4\n王五,男,南街\n"
    with pytest.raises(DataError) as e:
        read(write("r.csv", text))
    assert e.value.row == 3 and "line 3: 7 fields, header has 3" in str(e.value)


def test_many_bad_lines_are_counted_and_the_first_shown(read: Reader, write: Write) -> None:
    text = "a,b\n" + "".join(f"{i}\n" if i % 2 else f"{i},{i}\n" for i in range(100))
    with pytest.raises(DataError) as e:
        read(write("r.csv", text))
    assert e.value.row == 3 and "50 line(s)" in str(e.value) and "45 more" in str(e.value)


def test_unbalanced_quote_is_an_error_with_its_line(read: Reader, write: Write) -> None:
    text = 'a,b\n1,2\n3,"abc\n4,5\n'
    with pytest.raises(DataError) as e:
        read(write("q.csv", text))
    assert e.value.row == 3 and "quote" in str(e.value)


def test_stray_quote_inside_a_value_is_kept(read: Reader, write: Write) -> None:
    read(write("q.csv", 'a,b\n1,5"门\n'))
    assert read.rows() == [("1", '5"门', 2)]


def test_quote_can_be_switched_off(read: Reader, write: Write) -> None:
    read(write("q.csv", 'a,b\n1,"x\n'), quote="")
    assert read.rows() == [("1", '"x', 2)]


@pytest.mark.parametrize(
    "text", ["", "\n\n", "\ufeff", "姓名,性别\n", "姓名,性别\n\n,\n", f"{TITLE}\n\n姓名,性别\n"]
)
def test_empty_file_or_header_only(read: Reader, write: Write, text: str) -> None:
    with pytest.raises(DataError) as e:
        read(write("empty.csv", text))
    assert "文件中没有数据行 / the file has no data rows" in str(e.value)
    assert not read.exists()


def test_null_values(read: Reader, write: Write) -> None:
    text = 'a,b,c\n1,,NULL\n2,无,""\n'
    read(write("n.csv", text))
    assert read.rows() == [("1", None, "NULL", 2), ("2", "无", None, 3)]
    # other null values stay as written (cleansing reads them as missing; the quarantine keeps them)
    read(write("n.csv", text), null_values=["", "NULL", "无"])
    assert read.rows() == [("1", None, "NULL", 2), ("2", "无", None, 3)]
    read(write("n.csv", text), null_values=[])
    assert read.rows() == [("1", "", "NULL", 2), ("2", "无", "", 3)]


def test_values_are_not_trimmed(read: Reader, write: Write) -> None:
    read(write("s.csv", "a,b\n 张三 ,\u3000x\n"))
    assert read.rows() == [(" 张三 ", "\u3000x", 2)]


def test_skip_footer_drops_total_and_signature_lines(read: Reader, write: Write, sample: Any) -> None:
    text = sample.csv() + "合计,,,,3人\n\n制表人：张三    审核人：李四\n"
    src = read(write("f.csv", text), skip_footer=2)
    assert src.rows == 3 and [r[0] for r in read.rows()] == ["张三", "李四", "王五"]
    assert any("skip_footer" in n and "5" in n and "7" in n for n in src.notes)
    # without it, the ragged signature line is an error
    with pytest.raises(DataError) as e:
        read(write("f.csv", text))
    assert e.value.row == 7


def test_the_table_is_replaced_and_a_failed_read_leaves_none(read: Reader, write: Write, sample: Any) -> None:
    read.engine.execute("CREATE TABLE src AS SELECT 1 AS old")
    read(write("p.csv", sample.csv()))
    assert read.rows()[0][0] == "张三"
    with pytest.raises(DataError):
        read(write("bad.csv", "a,b\n1,2,3\n"))
    assert not read.exists()


def test_transcoded_copies_are_removed(read: Reader, write: Write, tmp_path: Path, sample: Any) -> None:
    read(write("p.csv", sample.csv(), "gbk"))
    with pytest.raises(DataError):
        read(write("bad.csv", "a,b\n1,2,3\n".encode("utf-16")))
    assert list((tmp_path / "scratch").iterdir()) == []


def test_progress_is_reported(read: Reader, write: Write, sample: Any) -> None:
    path = write("p.csv", sample.csv())
    read(path)
    assert read.progress and read.progress[-1] == (path.stat().st_size, path.stat().st_size)


def test_a_path_that_does_not_exist(engine: object, tmp_path: Path) -> None:
    from shuzhi.engine import DuckDBEngine
    from shuzhi.errors import NotFound
    from shuzhi.ingest.mapping import SourceOptions

    assert isinstance(engine, DuckDBEngine)
    with pytest.raises(NotFound):
        read_source(engine, tmp_path / "nope.csv", SourceOptions(), table="t", tmp_dir=tmp_path)


@pytest.fixture
def parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Transcode even small files in ranges, one per core (at least two)."""
    import os

    import shuzhi.ingest._readers._text as text

    monkeypatch.setattr(text, "PARALLEL_MIN", 0)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)


def _long_gbk(rows: int = 4000) -> tuple[str, list[tuple[str, ...]]]:
    lines, expected = [TITLE, "", "行号,姓名,备注"], []
    for i in range(rows):
        if i % 97 == 5:
            lines.append("")
        start = sum(1 + line.count("\n") for line in lines) + 1
        remark = "两行\n备注" if i % 61 == 3 else f"第{i}条"
        lines.append(f"{start},人{i},{chr(34) + remark + chr(34) if chr(10) in remark else remark}")
        expected.append((str(start), f"人{i}", remark, start))
    return "\n".join(lines) + "\n", expected


def test_parallel_transcoding_gives_the_same_rows(
    read: Reader, write: Write, parallel: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, expected = _long_gbk()
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    src = read(write("long.csv", text, "gbk"))
    assert src.encoding == "gb18030" and read.rows() == expected
    read(write("long8.csv", text, "utf-8"))  # the UTF-8 check runs in ranges too
    assert read.rows() == expected
    assert list((tmp_path / "cwd").iterdir()) == [] and list((tmp_path / "scratch").iterdir()) == []


def test_parallel_undecodable_byte_in_a_later_range(read: Reader, write: Write, parallel: None) -> None:
    text, _ = _long_gbk()
    data = text.encode("gbk")
    cut = data.rindex(b"\n", 0, len(data) - 100) + 1  # near the end: in the last range
    bad = data[:cut] + b"9,\xff\xfe,x\n" + data[cut:]
    line = data[:cut].count(b"\n") + 1
    with pytest.raises(DataError) as e:
        read(write("bad.csv", bad))
    assert e.value.row == line and f"byte offset {cut + 2}" in str(e.value)
    # UTF-8 at the top, GBK only in a later range: detected as GB18030 from that line
    ascii_top = "no,name,remark\n" + "".join(f"{i},r{i},x\n" for i in range(4000))
    src = read(write("mixed.csv", ascii_top.encode() + "9,张三,x\n".encode("gbk")))
    assert src.encoding == "gb18030" and read.rows()[-1] == ("9", "张三", "x", 4002)
    assert any("第 4002 行不是 UTF-8" in n for n in src.notes)


def test_without_worker_processes_the_ranges_are_done_in_process(
    read: Reader, write: Write, parallel: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    text, expected = _long_gbk(500)
    read(write("long.csv", text, "gbk"))
    assert read.rows() == expected


def test_utf8_text_then_a_gbk_line_is_refused_as_mixed(read: Reader, write: Write) -> None:
    """GB18030 would read the UTF-8 lines as wrong characters (王伟 → 鐜嬩紵) without an error."""
    data = "公民身份号码,姓名\n14050219900307151X,王伟\n".encode() + "14050219850612202X,宋佳霞\n".encode(
        "gbk"
    )
    with pytest.raises(DataError) as e:
        read(write("mixed.csv", data))
    assert e.value.row == 3
    assert "文件混用了两种编码：第 1 行是 UTF-8 编码的中文，第 3 行却不是 UTF-8（像是 GBK）" in str(e.value)
    assert not read.exists()


def test_a_gbk_file_with_a_utf8_line_that_gbk_cannot_read_is_refused_as_mixed(
    read: Reader, write: Write
) -> None:
    data = "公民身份号码,姓名\n".encode("gbk") + "14050219900307151X,王小伟\n".encode()
    with pytest.raises(DataError) as e:
        read(write("mixed.csv", data + "14050219850612202X,宋佳霞\n".encode("gbk")))
    assert "第 1 行不是 UTF-8（像是 GBK），第 2 行不是 GBK/GB18030（像是 UTF-8）" in str(e.value)
    assert e.value.row == 1


def test_a_gbk_file_with_a_garbage_line_is_not_called_mixed(read: Reader, write: Write) -> None:
    data = "公民身份号码,姓名\n14050219900307151X,王伟\n".encode("gbk") + b"1405,\x81\x20\xff\n"
    with pytest.raises(DataError) as e:
        read(write("bad.csv", data))
    assert "混用" not in str(e.value) and "第 3 行" in str(e.value) and e.value.row == 3
