"""Reading versions: listing, reading through the store's pointer, checksums, diffs, quarantines
and their export for correction."""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from _ingest_fixtures import HEADER, ROWS, make_workspace, new_resource, rows_of, write_csv, write_text

from shuzhi.errors import DataError, NotFound, ValidationError
from shuzhi.ingest import (
    diff,
    export_quarantine,
    get_version,
    ingest,
    list_versions,
    quarantine,
    read_version,
    verify_version,
    version_path,
    version_rows,
)
from shuzhi.workspace import Workspace

BAD = [
    "14050219900307152X,赵六,男,1990-03-07,13803561234,,100,1,",  # wrong check character (line 6)
    "14050219900307153X,,男,1990-03-07,13803561234,,100,1,",  # and no name (line 7)
]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    with make_workspace(tmp_path_factory.mktemp("versions") / "ws") as w:
        yield w


def _two_versions(ws: Workspace, d: Path) -> str:
    """A resource with v1 (four rows) and v2 (one removed, one changed, one added, two quarantined)."""
    code = new_resource(ws)
    ingest(ws, code, write_csv(d / "v1.csv", ROWS), loaded_by="张三")
    v2 = [
        ROWS[0],
        ROWS[1].replace("650.5", "700").replace("老人", "独居老人"),
        ROWS[3],
        "11010519491231002X,李雷,男,1949-12-31,13912345678,,100,1,",
        *BAD,
    ]
    ingest(ws, code, write_csv(d / "v2.csv", v2), loaded_by="李四")
    return code


@pytest.fixture(scope="module")
def two(ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _two_versions(ws, tmp_path_factory.mktemp("two"))


def test_versions_are_listed_oldest_first_with_their_counts(ws: Workspace, two: str) -> None:
    v1, v2 = list_versions(ws, two)
    assert (v1.number, v1.current, v1.loaded_by, v1.rows_total) == (1, False, "张三", 4)
    assert (v2.number, v2.current, v2.loaded_by, v2.base_number) == (2, True, "李四", 1)
    assert (v2.rows_in, v2.rows_loaded, v2.rows_quarantined, v2.rows_total) == (6, 4, 2, 4)
    assert (v2.rows_added, v2.rows_updated, v2.rows_removed) == (1, 1, 1)
    assert v2.source_name == "v2.csv" and len(v2.source_hash) == 64
    assert v2.quarantine_summary == {
        "id_number.idcard.check_mismatch": 2,
        "name.required": 1,
    }
    assert [c["name"] for c in v2.columns][-4:] == ["_row", "_source", "_loaded_in", "_issues"]
    assert get_version(ws, two).number == 2 and get_version(ws, two, 1).number == 1


def test_a_version_is_read_through_the_store_pointer(ws: Workspace, two: str) -> None:
    info = read_version(ws, two, view="current_rows")
    assert info.number == 2
    n = ws.engine.fetch_rows('SELECT count(*) FROM "current_rows"')[0][0]
    assert n == 4
    # version_path is the data folder alone: registering it reads only the version's rows
    ws.engine.register("v1_rows", version_path(ws, two, 1))
    assert ws.engine.fetch_rows('SELECT count(*) FROM "v1_rows"')[0][0] == 4
    v, rows = version_rows(ws, two, 1, limit=2, offset=1)
    assert v.number == 1 and [r["_row"] for r in rows] == [3, 4]
    assert isinstance(rows[0]["birth_date"], dt.date)


def test_unknown_versions_and_resources_are_not_found(ws: Workspace, two: str) -> None:
    with pytest.raises(NotFound, match="v9"):
        get_version(ws, two, 9)
    with pytest.raises(NotFound):
        list_versions(ws, "NO-SUCH")
    fresh = new_resource(ws)
    assert list_versions(ws, fresh) == []
    with pytest.raises(NotFound, match="no published version"):
        get_version(ws, fresh)


def test_a_changed_data_file_fails_verification(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(ws)
    ingest(ws, code, write_csv(tmp_path / "a.csv", ROWS))
    verify_version(ws, code)
    (part,) = version_path(ws, code).glob("*.parquet")
    part.chmod(0o644)
    with part.open("r+b") as f:
        f.seek(100)
        f.write(b"\x00\x01\x02")
    with pytest.raises(DataError, match="checksum"):
        verify_version(ws, code)


def test_diff_counts_and_samples_by_key(ws: Workspace, two: str) -> None:
    d = diff(ws, two, 1, 2)
    assert d.keys == ["id_number"]
    assert (d.added, d.removed, d.changed, d.unchanged) == (1, 1, 1, 2)
    assert d.changed_by_field == {"amount": 1, "note": 1}
    assert [r["id_number"] for r in d.added_sample] == ["11010519491231002X"]
    assert [r["id_number"] for r in d.removed_sample] == ["14052219880115138X"]
    (c,) = d.changed_sample
    assert c.key == {"id_number": "14050219850612202X"}
    assert {(x.field, x.old, x.new) for x in c.changes} == {
        ("amount", "650.5", "700.0"),
        ("note", "老人", "独居老人"),
    }
    back = diff(ws, two, 2, 1, sample=0)
    assert (back.added, back.removed, back.changed) == (1, 1, 1) and back.added_sample == []


def test_a_renamed_field_makes_no_row_updated_in_the_load_nor_in_the_diff(
    ws: Workspace, tmp_path: Path
) -> None:
    from _ingest_fixtures import PEOPLE_FIELDS, resource_spec

    from shuzhi.catalog import CatalogFile, declare

    code = new_resource(ws)
    f = write_csv(tmp_path / "a.csv", ROWS)
    ingest(ws, code, f)
    fields = [dict(x) for x in PEOPLE_FIELDS]
    fields[-1]["name"] = "remark"  # 备注: note → remark
    declare(ws, CatalogFile.model_validate({"resources": [resource_spec(code, fields)]}))
    r = ingest(ws, code, f)
    d = diff(ws, code, 1, 2)
    assert (r.rows_added, r.rows_updated, r.rows_removed) == (0, 0, 0)
    assert (d.added, d.removed, d.changed) == (0, 0, 0) and any("remark" in n for n in d.notes)


def test_diff_without_a_key_compares_whole_rows(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(
        ws, [{"name": "name", "label": "姓名"}, {"name": "x", "label": "值", "type": "integer"}]
    )
    ingest(ws, code, write_csv(tmp_path / "a.csv", ["甲,1", "乙,2", "乙,2"], header="姓名,值"))
    ingest(ws, code, write_csv(tmp_path / "b.csv", ["甲,1", "乙,3", "丙,4"], header="姓名,值"))
    d = diff(ws, code, 1, 2)
    assert d.keys == [] and (d.added, d.removed, d.changed) == (2, 2, 0)
    assert sorted(r["name"] for r in d.added_sample) == ["丙", "乙"]


def test_quarantine_shows_rules_rows_and_original_values(ws: Workspace, two: str, tmp_path: Path) -> None:
    q = quarantine(ws, two)
    assert (q.version, q.total, q.matching) == (2, 2, 2)
    assert [(r.rule, r.count) for r in q.by_rule] == [
        ("id_number.idcard.check_mismatch", 2),
        ("name.required", 1),
    ]
    assert "必填项“姓名”为空（空白或“不详”“无”等占位值）" == q.by_rule[1].reason_zh
    assert q.columns == HEADER.split(",")
    assert [r.row for r in q.rows] == [6, 7]
    assert q.rows[1].values["姓名"] is None and q.rows[1].values["公民身份号码"] == "14050219900307153X"
    assert q.rows[1].rules == ["id_number.idcard.check_mismatch", "name.required"]
    assert q.rows[0].errors[0]["reason_zh"].startswith("校验码应为")
    only = quarantine(ws, two, 2, rule="name")
    assert only.matching == 1 and [r.row for r in only.rows] == [7]
    assert quarantine(ws, two, rule="idcard.check_mismatch").matching == 2
    assert quarantine(ws, two, limit=1).rows[0].row == 6
    assert quarantine(ws, two, 1).total == 0
    assert quarantine(ws, two, rule="phone").matching == 0  # a field without problems: no rows
    assert quarantine(ws, two, rule="姓名").matching == 1  # a field by its label, as the tables show it
    assert quarantine(ws, two, rule="phone.required").matching == 0
    with pytest.raises(ValidationError) as e:  # a typo is not "no rows"
        quarantine(ws, two, rule="nmae")
    assert "没有这个规则、信息项或原因：'nmae'" in str(e.value) and "name.required" in str(e.value)
    with pytest.raises(ValidationError):
        export_quarantine(ws, two, None, tmp_path / "x.csv", rule="nmae")


def test_a_quarantined_rows_other_problems_are_found_by_their_field(ws: Workspace, tmp_path: Path) -> None:
    """A row sent to quarantine by its name also has a phone that alone would only be flagged:
    filtering by phone finds it (the department corrects the row as a whole)."""
    code = new_resource(ws)
    bad = ROWS[1].replace("王芳", "不详").replace("+86 139-0356-5678", "12345")
    ingest(ws, code, write_csv(tmp_path / "a.csv", [ROWS[0], bad]))
    q = quarantine(ws, code)
    assert q.rows[0].rules == ["name.required"] and any(
        e["rule"].startswith("phone.") for e in q.rows[0].errors
    )
    assert quarantine(ws, code, rule="phone").matching == 1
    assert quarantine(ws, code, rule="name").matching == 1
    assert export_quarantine(ws, code, None, tmp_path / "phone.csv", rule="phone") == 1


def test_quarantine_exports_to_csv_for_excel(ws: Workspace, two: str, tmp_path: Path) -> None:
    path = tmp_path / "退回.csv"
    assert export_quarantine(ws, two, None, path) == 2
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with a BOM
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert list(rows[0]) == ["行号", "问题", *HEADER.split(","), "规则"]
    assert [r["行号"] for r in rows] == ["6", "7"]
    assert rows[0]["公民身份号码"] == "14050219900307152X" and rows[0]["姓名"] == "赵六"
    assert "公民身份号码：校验码应为" in rows[0]["问题"]
    assert "姓名：必填项“姓名”为空" in rows[1]["问题"]
    en = tmp_path / "back.csv"
    export_quarantine(ws, two, 2, en, lang="en", rule="name.required")
    (row,) = csv.DictReader(en.read_text(encoding="utf-8-sig").splitlines())
    assert row["row"] == "7" and "required field" in row["problems"]
    assert "; 姓名: the required field" in row["problems"]  # an English colon in the English text


def test_quarantine_exports_to_xlsx_and_reads_back(ws: Workspace, two: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "退回.xlsx"
    assert export_quarantine(ws, two, 2, path) == 2
    sheet = load_workbook(path, read_only=True).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == ["行号", "问题", *HEADER.split(","), "规则"]
    assert values[1][0] == 6 and values[1][2] == "14050219900307152X"  # IDs stay text
    assert values[2][3] is None
    # every cell of the source columns is formatted as text (@), the empty ones and the columns
    # below too: a clerk who types an 18-digit number into a General cell gets 15 digits back
    book = load_workbook(path)
    full = book.active
    assert full is not None
    for row in full.iter_rows(min_row=2):
        assert [c.number_format for c in row[1:]] == ["@"] * (len(row) - 1)
        assert row[0].number_format == "General"  # 行号 is a number
    assert full.column_dimensions["C"].number_format == "@"


def test_rows_quarantined_again_are_exported_with_the_same_columns(ws: Workspace, tmp_path: Path) -> None:
    """A department corrects the export, sends it back, some rows are still wrong: the second
    export has the first one's layout, not its columns twice (_行号, _问题, …), and keeps the row
    of the department's original file as 原行号 (it was lost: the row could not be traced back)."""
    code = new_resource(ws)
    bad = ROWS[0].replace("14050219900307151X", "14050219900307152X")
    ingest(ws, code, write_csv(tmp_path / "a.csv", [ROWS[1], bad]))
    first = tmp_path / "退回.csv"
    assert export_quarantine(ws, code, None, first) == 1
    ingest(ws, code, first, mode="upsert")  # sent back uncorrected
    second = tmp_path / "再退回.csv"
    assert export_quarantine(ws, code, None, second) == 1
    lines = second.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].split(",") == ["行号", "问题", "原行号", *HEADER.split(","), "规则"]
    assert (
        lines[1].startswith("2,") and ",3,14050219900307152X," in lines[1]
    )  # row 2 of 退回, line 3 of a.csv
    assert quarantine(ws, code).columns == ["原行号", *HEADER.split(",")]  # the view too
    ingest(ws, code, second, mode="upsert")  # a third round: still the first file's line
    third = tmp_path / "三退回.csv"
    export_quarantine(ws, code, None, third)
    lines = third.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].split(",") == ["行号", "问题", "原行号", *HEADER.split(","), "规则"]
    assert ",3,14050219900307152X," in lines[1]
    # in English, and back: one "original row", still the first file's line
    english = tmp_path / "back.csv"
    export_quarantine(ws, code, None, english, lang="en")
    assert english.read_text(encoding="utf-8-sig").splitlines()[0].startswith("row,problems,original row,")
    ingest(ws, code, english, mode="upsert")
    assert quarantine(ws, code).columns == ["original row", *HEADER.split(",")]
    again = tmp_path / "again.csv"
    export_quarantine(ws, code, None, again)
    lines = again.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].split(",") == ["行号", "问题", "原行号", *HEADER.split(","), "规则"]
    assert ",3,14050219900307152X," in lines[1]


def test_a_value_written_like_a_formula_is_exported_to_xlsx_as_text(ws: Workspace, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    code = new_resource(ws)
    formula = '=HYPERLINK("http://x","点我")'
    f = write_text(tmp_path / "inj.csv", f'{HEADER}\n=1+1,"{formula.replace(chr(34), chr(34) * 2)}",,,,,,,\n')
    ingest(ws, code, f)
    path = tmp_path / "退回.xlsx"
    assert export_quarantine(ws, code, None, path) == 1
    with zipfile.ZipFile(path) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()  # no live formula
    sheet = load_workbook(path).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    row = {h: c.value for h, c in zip(header, sheet[2], strict=True)}
    assert row["公民身份号码"] == "=1+1" and row["姓名"] == formula  # as written


def test_an_export_needs_a_known_file_type(ws: Workspace, two: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"\.csv") as e:
        export_quarantine(ws, two, None, tmp_path / "x.pdf")
    assert list(e.value.errors) == [str(tmp_path / "x.pdf")]  # the file named, not a parameter


def test_a_folder_given_as_the_file_is_named_so(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(ws)
    with pytest.raises(DataError, match="这是文件夹，不是文件") as e:
        ingest(ws, code, tmp_path)
    assert e.value.file == str(tmp_path)


def test_corrected_rows_can_be_sent_again(ws: Workspace, tmp_path: Path) -> None:
    """The export is what the department corrects and resubmits: its extra columns are ignored."""
    two = _two_versions(ws, tmp_path)
    path = tmp_path / "退回.csv"
    export_quarantine(ws, two, None, path)
    text = path.read_text(encoding="utf-8-sig")
    fixed = text.replace("14050219900307152X", "14050219900307151X").replace(
        "14050219900307153X,,", "140525196203053018,欧阳建国,"
    )
    path.write_text(fixed, encoding="utf-8-sig")
    r = ingest(ws, two, path, mode="upsert")
    assert (r.rows_quarantined, r.rows_loaded, r.rows_updated) == (0, 2, 2)
    assert set(r.unmatched_columns) == {"行号", "问题", "规则"}
    assert len(rows_of(ws, two)) == 4


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_export_sent_back_is_read_as_exported_not_with_the_original_files_layout(
    ws: Workspace, tmp_path: Path, suffix: str
) -> None:
    """The resource's own mapping describes the department's file (a title line, a 合计 line at
    the end, GBK, semicolons): its skip_footer dropped the last corrected row, its header_row or
    sheet were not found in the export."""
    code = new_resource(ws)
    bad = [ROWS[0].replace("14050219900307151X", "14050219900307152X"), ROWS[1].replace("王芳", "")]
    lines = ["低保名单（2024 年 3 月）", HEADER, *bad, ROWS[2], "合计：3 户"]
    original = tmp_path / "名单.csv"
    original.write_bytes(("\n".join(line.replace(",", ";") for line in lines) + "\n").encode("gbk"))
    mapping = write_text(
        tmp_path / "m.yaml",
        f"resource: {code}\nsource: {{format: csv, header_row: 2, skip_footer: 1, delimiter: ';', "
        "encoding: gbk}\n",
    )
    r = ingest(ws, code, original, mapping=mapping)
    assert (r.rows_loaded, r.rows_quarantined) == (1, 2)
    sent = tmp_path / f"退回{suffix}"
    assert export_quarantine(ws, code, None, sent) == 2
    if suffix == ".csv":
        text = sent.read_text(encoding="utf-8-sig").replace("14050219900307152X", "14050219900307151X")
        sent.write_text(text.replace("140502850612202,,", "140502850612202,王芳,"), encoding="utf-8-sig")
    else:
        from openpyxl import load_workbook

        book = load_workbook(sent)
        sheet = book.active
        assert sheet is not None
        sheet["C2"], sheet["D3"] = "14050219900307151X", "王芳"
        book.save(sent)
    r = ingest(ws, code, sent, mapping=mapping, mode="upsert")
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (2, 2, 0)
    assert any("隔离区导出文件" in n and "skip_footer" in n for n in r.notes), r.notes
    # the export is an xlsx by design: not "the file is declared csv but is an Excel workbook"
    assert not any("实际是" in n for n in r.notes), r.notes
    assert len(rows_of(ws, code)) == 3


def test_an_export_of_a_resource_read_from_json_is_read_back_as_the_csv_it_is(
    ws: Workspace, tmp_path: Path
) -> None:
    """The mapping says the department's source is JSON: its format: json was taken for the
    export sent back (a .csv), which then failed as malformed JSON at line 1."""
    import json

    code = new_resource(ws)
    bad = ROWS[0].replace("14050219900307151X", "14050219900307152X")
    records = [dict(zip(HEADER.split(","), r.split(","), strict=True)) for r in (ROWS[1], bad)]
    source = write_text(tmp_path / "低保.json", json.dumps({"data": records}, ensure_ascii=False))
    mapping = write_text(tmp_path / "m.yaml", f"resource: {code}\nsource: {{format: json, records: data}}\n")
    assert ingest(ws, code, source, mapping=mapping).rows_quarantined == 1
    for suffix in (".csv", ".xlsx"):
        sent = tmp_path / f"退回{suffix}"
        assert export_quarantine(ws, code, None, sent) == 1
        r = ingest(ws, code, sent, mapping=mapping, mode="upsert")  # sent back uncorrected
        assert (r.rows_in, r.rows_quarantined) == (1, 1), suffix
        (note,) = [n for n in r.notes if "隔离区导出文件" in n]
        assert "records" in note and "delimiter" not in note  # what the mapping set, not defaults


def test_utf16_without_a_bom_is_read_when_the_mapping_says_so(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(ws)
    path = tmp_path / "utf16.csv"
    path.write_bytes(("\n".join([HEADER, *ROWS]) + "\n").encode("utf-16-le"))
    with pytest.raises(DataError, match="UTF-16"):  # without a word, NUL bytes: said what it looks like
        ingest(ws, code, path)
    mapping = write_text(tmp_path / "m.yaml", f"resource: {code}\nsource: {{encoding: utf-16le}}\n")
    r = ingest(ws, code, path, mapping=mapping)
    assert r.rows_loaded == 4 and r.source.encoding is not None and "16" in r.source.encoding


def _people(n: int, start: int = 0) -> list[str]:
    """``n`` good rows with distinct valid identity numbers."""
    from shuzhi.standards.idcard import check_char

    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鹏辉"
    out = []
    for i in range(start, start + n):
        body = f"14050219800101{i:03d}"
        name = "张" + given[i % len(given)] + given[i // len(given)]
        out.append(
            f"{body}{check_char(body)},{name},男,1980-01-01,13803561234,晋城市城区凤台东街{i}号,100,1,"
        )
    return out


def test_a_full_load_that_would_drop_most_rows_is_held(ws: Workspace, tmp_path: Path) -> None:
    from shuzhi.ingest import publish_version

    code = new_resource(ws)
    ingest(ws, code, write_csv(tmp_path / "all.csv", _people(30)))
    # six corrections loaded as a full snapshot (the clerk forgot --mode upsert)
    few = write_csv(tmp_path / "few.csv", _people(6))
    r = ingest(ws, code, few)
    assert not r.published and r.hold_reason and "upsert" in r.hold_reason
    assert "只剩 6 行" in r.hold_reason and "v1 有 30 行" in r.hold_reason
    assert get_version(ws, code, 1).current and len(rows_of(ws, code)) == 30
    # the same corrections as an upsert are published; so is a full load keeping half or more
    assert ingest(ws, code, few, mode="upsert").published
    assert ingest(ws, code, write_csv(tmp_path / "half.csv", _people(15))).published
    # a held snapshot that is meant is published by hand
    held = ingest(ws, code, write_csv(tmp_path / "four.csv", _people(4)))
    assert not held.published
    publish_version(ws, code, held.version, reason="机构撤并，名单确已缩减", by="李四")
    assert len(rows_of(ws, code)) == 4
    # a small table may shrink freely: fewer than ten rows gone is not held
    assert ingest(ws, code, write_csv(tmp_path / "one.csv", _people(1))).published


def test_loading_the_very_same_file_again_says_so(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(ws)
    f = write_csv(tmp_path / "a.csv", ROWS)
    first = ingest(ws, code, f)
    assert not any("sha256" in n for n in first.notes)
    again = ingest(ws, code, f)
    assert again.published and any("与当前版本 v1 的完全相同" in n for n in again.notes)
