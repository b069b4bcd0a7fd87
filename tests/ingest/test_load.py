"""``ingest()``: mapping, cleansing with the standards, quarantine, the three modes, the report."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pydantic
import pytest
from _ingest_fixtures import HEADER, IDS, ROWS, make_workspace, new_resource, rows_of, write_csv, write_text

from shuzhi.errors import DataError, ValidationError
from shuzhi.ingest import diff, get_version, ingest, list_versions, quarantine, verify_version
from shuzhi.ingest._cleanse import render_sql
from shuzhi.workspace import Workspace


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    with make_workspace(tmp_path_factory.mktemp("ingest") / "ws") as w:
        yield w


def _by_id(rows: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    return {r["id_number"]: r for r in rows}


# -- a full load --------------------------------------------------------------------------------


def test_a_full_load_cleanses_every_field_with_its_standard(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(ws)
    r = ingest(ws, code, write_csv(tmp_path / "低保.csv", ROWS), loaded_by="张三")
    assert (r.version, r.mode, r.published, r.base_version) == (1, "full", True, None)
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined, r.rows_total, r.rows_added) == (4, 4, 0, 4, 4)
    rows = _by_id(rows_of(ws, code))
    assert sorted(rows) == sorted(IDS)  # 15 digits upgraded to 18, lower-case x made X
    wang = rows["14050219850612202X"]
    assert wang["birth_date"] == dt.date(1985, 6, 12)
    assert wang["phone"] == "13903565678"  # +86 and dashes removed
    assert wang["address"] == "山西省晋城市城区泽州路金鼎小区3号楼2单元401室"
    assert wang["amount"] == 650.5 and wang["members"] == 2
    assert wang["sex"] == "2"  # 女 -> GB/T 2261.1 code
    ouyang = rows["140525196203053018"]
    assert ouyang["name"] == "欧阳建国"  # Traditional converted to Simplified
    assert ouyang["birth_date"] == dt.date(1962, 3, 5)  # 1962年3月5日
    assert ouyang["sex"] == "1"  # 男性
    assert rows["14052219880115138X"]["sex"] == "2"  # F
    assert rows["14052219880115138X"]["phone"] == "0356-2021234"
    # every row says where it came from
    assert [r["_row"] for r in rows_of(ws, code)] == [2, 3, 4, 5]
    assert {r["_source"] for r in rows.values()} == {"低保.csv"}
    assert {r["_loaded_in"] for r in rows.values()} == {1}
    assert all(r["_issues"] == [] for r in rows.values())
    # the version's record
    v = get_version(ws, code)
    assert v.current and v.number == 1 and v.loaded_by == "张三" and v.source_name == "低保.csv"
    assert v.source_hash == r.source.sha256 and len(v.checksum) == 64
    verify_version(ws, code)
    manifest = json.loads((Path(r.path) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["rows"]["loaded"] == 4 and manifest["checksum"] == v.checksum
    assert r.source.encoding and r.duration_s > 0


def test_columns_match_fields_by_name_or_label_and_others_are_reported(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(
        ws,
        [
            {"name": "id_number", "label": "公民身份号码", "standard": "idcard", "key": True},
            {"name": "name", "label": "姓名", "standard": "name", "required": True},
            {"name": "phone", "label": "联系电话", "standard": "phone"},
        ],
    )
    f = write_text(
        tmp_path / "a.csv", " name ,公民身份号码,电话,籍贯\n张伟,14050219900307151X,13803561234,山西\n"
    )
    r = ingest(ws, code, f)
    by = {m.field: (m.column, m.matched_by) for m in r.columns}
    assert by["name"] == ("name", "name")
    assert by["id_number"] == ("公民身份号码", "label")
    assert by["phone"] == (None, "none")
    assert r.unmatched_columns == ["电话", "籍贯"]
    assert any("电话" in n and "籍贯" in n for n in r.notes)
    assert rows_of(ws, code)[0]["phone"] is None


def test_placeholders_are_missing_values_not_errors(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(ws)
    rows = [
        "14050219900307151X,张伟,不详,无,/,—,800,3,",
        "14050219850612202X,不详,女,1985-06-12,13803561234,,650,2,",
    ]
    r = ingest(ws, code, write_csv(tmp_path / "a.csv", rows))
    assert r.rows_loaded == 1 and r.rows_flagged == 0
    (row,) = rows_of(ws, code)
    assert (row["sex"], row["birth_date"], row["phone"], row["address"]) == (None, None, None, None)
    assert row["_issues"] == []
    # a required field holding a placeholder is missing: the row is quarantined
    assert [q.rule for q in r.quarantine] == ["name.required"]
    assert "必填项“姓名”为空" in r.quarantine[0].reason_zh


def test_invalid_values_follow_each_fields_on_invalid(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(ws)
    rows = [
        # phone (flag): kept as written; address (null): emptied; both listed in _issues
        "14050219900307151X,张伟,男,1990-03-07,123,火星基地,800,3,",
        # the key (quarantine): the row goes to quarantine with every failure of the row
        "14050219900307152X,李四,男,1990-03-07,1380356123,晋城市城区凤台东街1号,9000,0,一段超过十个字的很长的备注",
        # a decimal out of range, an integer that is no integer (flag)
        "14050219850612202X,王芳,女,1985-06-12,13803561234,,6000,两个,",
    ]
    r = ingest(ws, code, write_csv(tmp_path / "a.csv", rows))
    assert (r.rows_loaded, r.rows_quarantined, r.rows_flagged) == (2, 1, 2)
    got = _by_id(rows_of(ws, code))
    zhang = got["14050219900307151X"]
    assert zhang["phone"] == "123" and zhang["address"] is None
    assert {(i["field"], i["rule"], i["value"]) for i in zhang["_issues"]} == {
        ("phone", "phone.phone.wrong_length", "123"),
        ("address", "address.address.no_division", "火星基地"),
    }
    wang = got["14050219850612202X"]
    assert wang["amount"] is None and wang["members"] is None  # non-text values cannot be kept as written
    assert {i["rule"] for i in wang["_issues"]} == {"amount.max", "members.type"}
    issues = {i.rule: i for i in r.issues}
    assert issues["amount.max"].count == 1 and "最大值" in issues["amount.max"].reason_zh
    # a count whose text needs the value's details shows one row's text, not 号码位数不对（… 位）
    assert issues["phone.phone.wrong_length"].reason_zh.startswith("如：号码位数不对（3 位）")
    assert issues["phone.phone.wrong_length"].reason_en.startswith("e.g. ")
    assert issues["amount.max"].reason_zh == "该值大于允许的最大值 5000"  # the field's own details
    q = quarantine(ws, code)
    by_rule = {c.rule: c for c in q.by_rule}
    assert by_rule["id_number.idcard.check_mismatch"].reason_zh.startswith("如：校验码应为 8，实为 X")
    (bad,) = q.rows
    assert bad.row == 3
    rules = set(bad.rules)
    assert "id_number.idcard.check_mismatch" in rules
    err = next(e for e in bad.errors if e["rule"] == "id_number.idcard.check_mismatch")
    assert err["column"] == "公民身份号码" and err["value"] == "14050219900307152X"
    assert "校验码应为" in err["reason_zh"] and "check character" in err["reason_en"]


def test_numbers_are_read_as_written_and_nothing_is_rounded_or_guessed(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(
        ws,
        [
            {"name": "k", "label": "序号", "key": True},
            {"name": "n", "label": "人数", "type": "integer"},
            {"name": "x", "label": "金额", "type": "decimal"},
        ],
    )
    cases = {  # 人数, 金额 → stored (None: flagged as <field>.type)
        "1": ("12.0", "1,234.50", 12, 1234.5),
        "2": ("2.5", "NaN", None, None),  # DuckDB's casts made 2.5 into 3 and NaN a number
        "3": ("2.4999", "inf", None, None),
        "4": ("0x10", "-Infinity", None, None),  # 16 and -inf
        "5": ("1_000", "1e999", None, None),  # 1000 and inf
        "6": ("１２", "１２３，４５６．７", 12, 123456.7),  # full-width digits, as typed in Chinese sheets
        "7": ("1,234", "1.2E+05", 1234, 120000.0),
        "8": ("12,34", "12,34", None, None),  # a decimal comma elsewhere: not a thousands separator
        "9": ("-3", ".5", -3, 0.5),
        "10": ("99999999999999999999", "-0.0", None, 0.0),  # beyond BIGINT
    }
    lines = [f'{k},"{n}","{x}"' for k, (n, x, _, _) in cases.items()]
    r = ingest(ws, code, write_csv(tmp_path / "n.csv", lines, header="序号,人数,金额"))
    assert r.rows_loaded == len(cases)
    got = {row["k"]: row for row in rows_of(ws, code)}
    for k, (n, x, n_out, x_out) in cases.items():
        row = got[k]
        assert (row["n"], row["x"]) == (n_out, x_out), (k, n, x)
        flagged = {i["rule"] for i in row["_issues"]}
        assert flagged == {r for r, bad in (("n.type", n_out is None), ("x.type", x_out is None)) if bad}, k


def test_a_decimal_with_a_scale_is_stored_exactly_and_never_rounded(ws: Workspace, tmp_path: Path) -> None:
    from decimal import Decimal

    code = new_resource(
        ws,
        [
            {"name": "k", "label": "序号", "key": True},
            {"name": "x", "label": "金额", "type": "decimal", "scale": 2, "min": 0},
        ],
    )
    cases = {  # 金额 → stored (None: flagged; the rule)
        "1": ("1,234.50", Decimal("1234.50"), None),
        "2": ("0.10", Decimal("0.10"), None),
        "3": ("0.2", Decimal("0.20"), None),
        "4": ("12.345", None, "x.scale"),  # not rounded to 12.35 (nor to 12.34)
        "5": ("１２．３", Decimal("12.30"), None),
        "6": ("1.2E+02", Decimal("120.00"), None),
        "7": ("1.2345E+01", None, "x.scale"),
        "8": ("7.5000", Decimal("7.50"), None),  # trailing zeros are no digits beyond the scale
        "9": ("abc", None, "x.type"),
        "10": ("-1", None, "x.min"),
        "11": ("99999999999999999999999999999999999999", None, "x.type"),  # beyond DECIMAL(38, 2)
    }
    lines = [f'{k},"{x}"' for k, (x, _, _) in cases.items()]
    r = ingest(ws, code, write_csv(tmp_path / "d.csv", lines, header="序号,金额"))
    assert r.rows_loaded == len(cases)
    got = {row["k"]: row for row in rows_of(ws, code)}
    for k, (x, out, rule) in cases.items():
        assert got[k]["x"] == out, (k, x, got[k]["x"])
        assert [i["rule"] for i in got[k]["_issues"]] == ([rule] if rule else []), k
    strict = new_resource(
        ws,
        [
            {"name": "k", "label": "序号", "key": True},
            {"name": "x", "label": "金额", "type": "decimal", "scale": 2, "on_invalid": "quarantine"},
        ],
    )
    (bad,) = ingest(ws, strict, write_csv(tmp_path / "q.csv", ['1,"12.345"'], header="序号,金额")).quarantine
    assert bad.rule == "x.scale" and bad.reason_zh.endswith("的小数超过 2 位（不四舍五入）")
    assert bad.reason_en.endswith("has more than 2 decimal places (not rounded)")
    (row,) = quarantine(ws, strict).rows
    assert row.values["金额"] == "12.345"  # kept as written
    # the version's column is exact: 0.10 + 0.20 is 0.30, not 0.30000000000000004
    v = get_version(ws, code)
    assert {c["name"]: c["type"] for c in v.columns}["x"] == "DECIMAL(38, 2)"
    total = ws.engine.fetch_rows(
        f"SELECT sum(x) FROM read_parquet('{ws.warehouse / v.path}/data/*.parquet') WHERE k IN ('2', '3')"
    )
    assert total == [(Decimal("0.30"),)]


def test_a_lowered_scale_or_a_narrower_type_never_rewrites_kept_rows(ws: Workspace, tmp_path: Path) -> None:
    from decimal import Decimal

    from shuzhi.catalog import declare, get_resource
    from shuzhi.errors import Conflict

    code = new_resource(
        ws,
        [
            {"name": "k", "label": "序号", "key": True},
            {"name": "x", "label": "金额", "type": "decimal", "scale": 3},
            {"name": "t", "label": "备注"},
        ],
    )
    ingest(ws, code, write_csv(tmp_path / "a.csv", ["1,1234.560,3", "2,12.345,x"], header="序号,金额,备注"))

    def redeclare(**changes: dict[str, Any]) -> None:
        spec = get_resource(ws, code).spec
        fields = [f.model_dump() | changes.get(f.name, {}) for f in spec.fields]
        declare(ws, type(spec).model_validate(spec.model_dump() | {"fields": fields}))

    more = write_csv(tmp_path / "b.csv", ["3,1.5,4"], header="序号,金额,备注")
    redeclare(x={"scale": 1})  # 1234.560 would become 1234.6 and 12.345 12.3 in the kept rows
    for mode in ("append", "upsert"):
        with pytest.raises(
            Conflict, match=r"“金额”（DECIMAL\(38, 3\) → DECIMAL\(38, 1\)）2 个值，如 1234.560"
        ):
            ingest(ws, code, more, mode=mode)
    assert get_version(ws, code).number == 1
    redeclare(x={"scale": 3}, t={"type": "integer"})  # "x" is no integer
    with pytest.raises(Conflict, match="备注"):
        ingest(ws, code, more, mode="append")
    redeclare(x={"scale": 4}, t={"type": "string"})  # more places lose nothing
    r = ingest(ws, code, more, mode="append")
    assert r.version == 2 and {row["k"]: row["x"] for row in rows_of(ws, code)}["2"] == Decimal("12.3450")
    assert diff(ws, code, 1, 2).changed == 0  # 12.345 and 12.3450 are one number
    r = ingest(ws, code, write_csv(tmp_path / "c.csv", ["1,1.5,3"], header="序号,金额,备注"))  # a full load
    assert r.version == 3


def test_scale_is_for_decimal_fields_only() -> None:
    from shuzhi.catalog import FieldSpec

    with pytest.raises(pydantic.ValidationError, match="scale"):
        FieldSpec(name="n", label="人数", type="integer", scale=2)
    with pytest.raises(pydantic.ValidationError):
        FieldSpec(name="x", label="金额", type="decimal", scale=19)
    assert FieldSpec(name="x", label="金额", type="decimal", scale=0).sql_type == "DECIMAL(38, 0)"
    assert FieldSpec(name="x", label="金额", type="decimal").sql_type == "DOUBLE"


def test_quarantine_keeps_the_original_values_and_row_numbers(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(ws)
    text = (
        "晋城市城区低保对象名单（2024年3月）\n\n"
        + HEADER
        + "\n"
        + ROWS[0]
        + "\n 14050219900230151X ,张  三,男,1990-02-30,13803561234,山西省晋城市城区凤台东街188号,800,3,原样\n"
    )
    r = ingest(ws, code, write_text(tmp_path / "a.csv", text))
    assert r.source.header_row == 3 and r.rows_quarantined == 1
    q = quarantine(ws, code)
    (bad,) = q.rows
    assert bad.row == 5 and bad.source == "a.csv"
    assert bad.values["公民身份号码"] == " 14050219900230151X "  # exactly as written
    assert bad.values["出生日期"] == "1990-02-30" and bad.values["备注"] == "原样"
    assert q.columns == HEADER.split(",")
    assert rows_of(ws, code)[0]["_row"] == 4


def test_the_quarantine_keeps_declared_null_values_as_written(ws: Workspace, tmp_path: Path) -> None:
    # 无 and 不详 are missing values for cleansing, but the department gets back what it wrote
    code = new_resource(ws)
    names = ["id_number", "name", "sex", "birth_date", "phone", "address", "amount", "members", "note"]
    cols = "\n".join(f"  {c}: {n}" for c, n in zip(HEADER.split(","), names, strict=True))
    mapping = write_text(
        tmp_path / "m.yaml",
        f'resource: {code}\nsource: {{null_values: ["", "无", "不详"]}}\ncolumns:\n{cols}\n',
    )
    rows = [ROWS[0] + "不详", "无,不详,女,1985-06-12,13803561234,,650,2,不详"]
    r = ingest(ws, code, write_csv(tmp_path / "a.csv", rows), mapping=mapping)
    assert r.rows_loaded == 1 and r.rows_quarantined == 1
    (bad,) = quarantine(ws, code).rows
    assert (bad.values["公民身份号码"], bad.values["姓名"], bad.values["备注"]) == ("无", "不详", "不详")
    assert {(e["rule"], e["value"]) for e in bad.errors} == {
        ("id_number.required", "无"),
        ("name.required", "不详"),
    }
    assert rows_of(ws, code)[0]["note"] is None  # the kept row's 备注 不详: missing


def test_value_maps_translate_codes_and_refuse_unknown_ones(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(
        ws,
        [
            {"name": "id_number", "label": "公民身份号码", "standard": "idcard", "key": True},
            {"name": "status", "label": "状态", "values": ["在保", "停保"], "on_invalid": "quarantine"},
            {"name": "sex", "label": "性别", "standard": "sex"},
            {"name": "dept", "label": "来源部门"},
        ],
    )
    mapping = write_text(
        tmp_path / "m.yaml",
        f"""resource: {code}
columns:
  身份证: id_number
  保障状态: {{field: status, values: {{"1": 在保, "0": 停保}}, unmapped: invalid}}
  性别: {{field: sex, values: {{甲: 男, 乙: 女}}}}
defaults: {{dept: 民政局}}
""",
    )
    f = write_text(
        tmp_path / "a.csv",
        "身份证,保障状态,性别\n14050219900307151X,1,甲\n14050219850612202X,0,女\n14052219880115138X,9,乙\n",
    )
    r = ingest(ws, code, f, mapping=mapping)
    got = _by_id(rows_of(ws, code))
    assert got["14050219900307151X"]["status"] == "在保" and got["14050219900307151X"]["sex"] == "1"
    assert got["14050219850612202X"]["status"] == "停保" and got["14050219850612202X"]["sex"] == "2"
    assert {r["dept"] for r in got.values()} == {"民政局"}
    assert [q.rule for q in r.quarantine] == ["status.unmapped"]
    (bad,) = quarantine(ws, code).rows
    assert bad.row == 4 and bad.errors[0]["column"] == "保障状态" and bad.errors[0]["value"] == "9"
    assert "映射" in bad.errors[0]["reason_zh"]
    # the count of rows speaks of the value, not of a bare “…”
    assert r.quarantine[0].reason_zh == "该值不在映射文件为此列列出的取值中"
    assert r.quarantine[0].reason_en == "the value is not among the values the mapping lists for this column"


def test_unknown_codes_of_a_code_list_are_named_with_row_and_column(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(
        ws,
        [
            {"name": "id_number", "label": "公民身份号码", "standard": "idcard", "key": True},
            {"name": "ethnic", "label": "民族", "standard": "ethnic", "on_invalid": "quarantine"},
        ],
    )
    f = write_text(
        tmp_path / "a.csv", "公民身份号码,民族\n14050219900307151X,汉族\n14050219850612202X,火星族\n"
    )
    r = ingest(ws, code, f)
    assert rows_of(ws, code)[0]["ethnic"] == "01"
    (bad,) = quarantine(ws, code).rows
    assert (bad.row, bad.rules) == (3, ["ethnic.code.unmapped"])
    assert bad.errors[0]["column"] == "民族" and "火星族" in bad.errors[0]["reason_zh"]
    assert r.quarantine[0].code == "code.unmapped"


def test_dates_day_first_and_declared_formats(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(
        ws,
        [
            {"name": "k", "label": "编号", "key": True},
            {"name": "d1", "label": "日期一", "type": "date"},
            {"name": "d2", "label": "日期二", "type": "date"},
            {"name": "t", "label": "时间", "type": "datetime"},
            {"name": "ok", "label": "有效", "type": "boolean"},
        ],
    )
    mapping = write_text(
        tmp_path / "m.yaml",
        f"""resource: {code}
columns:
  编号: k
  日期一: {{field: d1, variant: dayfirst}}
  日期二: {{field: d2, date_format: "%d.%m.%Y"}}
""",
    )
    f = write_text(
        tmp_path / "a.csv",
        "编号,日期一,日期二,时间,有效\n"
        "1,03/04/2020,31.12.2019,2024-03-01 08:30:00,是\n"
        "2,2020-4-3,2019-12-31,2024/3/1,否\n",
    )
    ingest(ws, code, f, mapping=mapping)
    one, two = rows_of(ws, code, order="k")
    assert one["d1"] == dt.date(2020, 4, 3) and one["d2"] == dt.date(2019, 12, 31)
    assert one["t"] == dt.datetime(2024, 3, 1, 8, 30) and one["ok"] is True
    assert two["d1"] == dt.date(2020, 4, 3) and two["ok"] is False
    assert two["d2"] is None and two["_issues"][0]["rule"] == "d2.date_format"
    assert two["t"] == dt.datetime(2024, 3, 1)


# -- modes ------------------------------------------------------------------------------------------


def test_full_load_replaces_the_snapshot_and_counts_changes(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(ws)
    ingest(ws, code, write_csv(tmp_path / "v1.csv", ROWS))
    changed = ROWS[1].replace("650.5", "700")
    r = ingest(
        ws, code, write_csv(tmp_path / "v2.csv", [ROWS[0], changed, ROWS[2].replace("李娜", "李娜娜")])
    )
    assert (r.version, r.base_version, r.rows_total) == (2, 1, 3)
    assert (r.rows_added, r.rows_updated, r.rows_removed) == (0, 2, 1)
    assert sorted(x["id_number"] for x in rows_of(ws, code)) == sorted(IDS[:3])
    assert {x["_loaded_in"] for x in rows_of(ws, code)} == {2}
    assert [v.number for v in list_versions(ws, code)] == [1, 2]
    assert len(rows_of(ws, code, 1)) == 4  # the old version is still there, unchanged
    assert not any("被隔离的行中" in n for n in r.notes)  # 李娜 left: no quarantine involved


def test_a_full_load_says_which_removed_rows_were_quarantined(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(ws)
    ingest(ws, code, write_csv(tmp_path / "v1.csv", ROWS))
    # 王芳's name came as 不详 (required: quarantined), 歐陽建國 left the list
    r = ingest(ws, code, write_csv(tmp_path / "v2.csv", [ROWS[0], ROWS[1].replace("王芳", "不详"), ROWS[2]]))
    assert (r.rows_quarantined, r.rows_removed) == (1, 2)
    (note,) = [n for n in r.notes if "被隔离的行中" in n]
    assert (
        note.startswith("删除的 2 行中有 1 行的主键在本次被隔离的行中") and "1 of the 2 rows removed" in note
    )


def test_duplicate_keys_in_a_full_load_quarantine_the_later_rows(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(ws)
    dup = ROWS[0].replace("张伟", "张伟伟")
    r = ingest(ws, code, write_csv(tmp_path / "a.csv", [ROWS[0], ROWS[1], dup]))
    assert r.rows_loaded == 2 and [q.rule for q in r.quarantine] == ["key.duplicate"]
    (bad,) = quarantine(ws, code).rows
    assert bad.row == 4 and bad.values["姓名"] == "张伟伟"
    assert bad.errors[0]["column"] == "公民身份号码"  # the file's column, not the field's name
    assert (
        "与第 2 行重复" in bad.errors[0]["reason_zh"] and "14050219900307151X" in bad.errors[0]["reason_zh"]
    )
    assert rows_of(ws, code)[0]["name"] == "张伟"
    assert r.quarantine[0].reason_zh == "主键与文件中前面的行重复"


def test_append_adds_rows_and_quarantines_keys_already_loaded(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(ws)
    ingest(ws, code, write_csv(tmp_path / "a.csv", ROWS[:2]))
    r = ingest(ws, code, write_csv(tmp_path / "b.csv", [ROWS[2], ROWS[3], ROWS[0]]), mode="append")
    assert (r.mode, r.rows_loaded, r.rows_total, r.rows_added) == ("append", 2, 4, 2)
    assert [q.rule for q in r.quarantine] == ["key.exists"]
    assert "upsert" in quarantine(ws, code).rows[0].errors[0]["reason_zh"]
    rows = rows_of(ws, code, order="_loaded_in, _row")
    assert [(x["_loaded_in"], x["_source"]) for x in rows] == [(1, "a.csv")] * 2 + [(2, "b.csv")] * 2
    verify_version(ws, code)


def test_upsert_replaces_rows_by_key_and_adds_new_ones(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(ws)
    ingest(ws, code, write_csv(tmp_path / "a.csv", ROWS[:3]))
    same = ROWS[0]
    changed = ROWS[1].replace("老人", "已核实")
    r = ingest(ws, code, write_csv(tmp_path / "b.csv", [same, changed, ROWS[3]]), mode="upsert")
    assert (r.rows_added, r.rows_updated, r.rows_removed, r.rows_total) == (1, 1, 0, 4)
    got = _by_id(rows_of(ws, code))
    assert got["14050219850612202X"]["note"] == "已核实" and got["14050219850612202X"]["_loaded_in"] == 2
    assert got["14052219880115138X"]["_loaded_in"] == 1 and got["14052219880115138X"]["_source"] == "a.csv"


def test_an_upsert_that_overwrites_someone_else_says_so(ws: Workspace, tmp_path: Path) -> None:
    """A correction whose ID was changed to one already loaded replaces that person's record; it
    was reported as one row updated, nothing more."""
    code = new_resource(ws)
    ingest(ws, code, write_csv(tmp_path / "a.csv", ROWS))
    typo = ROWS[0].replace("张伟", "張偉")  # the same person, the name corrected: no word
    r = ingest(ws, code, write_csv(tmp_path / "b.csv", [typo]), mode="upsert")
    assert r.rows_updated in (0, 1) and not any("覆盖另一个人" in n for n in r.notes), r.notes
    other = "14050219900307151X,陈洁,女,1997-06-17,13803561234,,800,3,"  # 张伟's ID, someone else
    r = ingest(ws, code, write_csv(tmp_path / "c.csv", [other]), mode="upsert")
    assert r.rows_updated == 1
    (note,) = [n for n in r.notes if "覆盖另一个人" in n]
    assert (
        "1 行按主键更新了已有记录，姓名及出生日期或性别都不同（如 14050219900307151X：张伟 → 陈洁）" in note
    )


def test_an_upsert_with_some_columns_keeps_the_other_fields_of_the_rows_it_updates(
    ws: Workspace, tmp_path: Path
) -> None:
    """A department's correction file often has the key and the changed columns only."""
    code = new_resource(ws)
    ingest(ws, code, write_csv(tmp_path / "a.csv", ROWS[:2]))
    before = _by_id(rows_of(ws, code))
    fix = write_text(
        tmp_path / "fix.csv",
        "公民身份号码,姓名,联系电话\n14050219900307151X,张伟,13903561111\n"
        "14050219850612202X,王芳,0356-2025678\n140525196203053018,欧阳建国,13712345678\n",
    )
    r = ingest(ws, code, fix, mode="upsert")
    assert (r.rows_added, r.rows_updated, r.rows_removed, r.rows_total) == (1, 2, 0, 3)
    assert any("已有的行保留原值" in n for n in r.notes)
    got = _by_id(rows_of(ws, code))
    for id_ in ("14050219900307151X", "14050219850612202X"):
        for kept in ("sex", "birth_date", "address", "amount", "members", "note"):
            assert got[id_][kept] == before[id_][kept], (id_, kept)
    assert got["14050219900307151X"]["phone"] == "13903561111"
    assert got["14050219850612202X"]["phone"] == "0356-2025678"
    new = got["140525196203053018"]
    assert new["address"] is None and new["amount"] is None  # a new row: nothing to keep
    # a correction of the phone alone changes nothing else: the key with the same phone is not updated
    again = ingest(ws, code, fix, mode="upsert")
    assert (again.rows_added, again.rows_updated) == (0, 0)
    assert _by_id(rows_of(ws, code))["14050219900307151X"]["amount"] == before["14050219900307151X"]["amount"]


def test_upsert_refuses_duplicate_keys_and_loads_nothing(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(ws)
    ingest(ws, code, write_csv(tmp_path / "a.csv", ROWS[:2]))
    f = write_csv(tmp_path / "dup.csv", [ROWS[0], ROWS[2], ROWS[0].replace("张伟", "张卫")])
    with pytest.raises(DataError) as e:
        ingest(ws, code, f, mode="upsert")
    msg = str(e.value)
    assert "dup.csv" in msg and "14050219900307151X" in msg and "2, 4" in msg and "公民身份号码" in msg
    assert e.value.row == 4 and e.value.rule == "key.duplicate"
    assert get_version(ws, code).number == 1 and len(rows_of(ws, code)) == 2


def test_a_resource_without_key_loads_full_and_append_but_not_upsert(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(
        ws, [{"name": "name", "label": "姓名", "standard": "name"}, {"name": "x", "label": "值"}]
    )
    f = write_text(tmp_path / "a.csv", "姓名,值\n张伟,1\n张伟,1\n")
    assert ingest(ws, code, f).rows_loaded == 2  # no key: repeated rows are allowed
    assert ingest(ws, code, f, mode="append").rows_total == 4
    r = ingest(ws, code, f)  # rows compared whole, as `shuzhi diff` does: two of the four stay
    assert (r.rows_total, r.rows_added, r.rows_removed) == (2, 0, 2)
    with pytest.raises(ValidationError, match="upsert"):
        ingest(ws, code, f, mode="upsert")
    g = write_text(tmp_path / "b.csv", "姓名,值\n张伟,1\n李娜,3\n王芳,2\n")
    r = ingest(ws, code, g)  # 张伟,1 stays; one 张伟,1 gone; 李娜 and 王芳 new
    d = diff(ws, code, r.version - 1, r.version)
    assert (r.rows_added, r.rows_updated, r.rows_removed) == (d.added, 0, d.removed) == (2, 0, 1)


def test_a_load_whose_every_row_is_quarantined_is_kept_but_not_published(
    ws: Workspace, tmp_path: Path
) -> None:
    code = new_resource(ws)
    ingest(ws, code, write_csv(tmp_path / "good.csv", ROWS[:1]))
    r = ingest(ws, code, write_csv(tmp_path / "bad.csv", ["12345,张伟,,,,,,,", "x,李四,,,,,,,"]))
    assert not r.published and r.version == 2 and r.hold_reason and "隔离" in r.hold_reason
    assert get_version(ws, code).number == 1  # still current
    assert [(v.number, v.published, v.current) for v in list_versions(ws, code)] == [
        (1, True, True),
        (2, False, False),
    ]
    assert quarantine(ws, code).version == 2 and quarantine(ws, code).total == 2
    r3 = ingest(ws, code, write_csv(tmp_path / "good2.csv", ROWS[:2]))
    assert (r3.version, r3.base_version) == (3, 1)


def test_type_and_range_rules_of_plain_fields(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(
        ws,
        [
            {"name": "k", "label": "编号", "type": "integer", "key": True},
            {"name": "level", "label": "等级", "values": ["A", "B"]},
            {"name": "score", "label": "分数", "type": "decimal", "min": 0, "max": 100, "on_invalid": "null"},
        ],
    )
    f = write_text(tmp_path / "a.csv", '编号,等级,分数\n1,A,99.5\n2.0,C,101\n3,B,"1,5"\nx,A,1\n')
    r = ingest(ws, code, f)
    rows = rows_of(ws, code, order="k")
    assert [(x["k"], x["level"], x["score"]) for x in rows] == [
        (1, "A", 99.5),
        (2, "C", None),
        (3, "B", None),  # "1,5": a decimal comma elsewhere, not 15 (thousands come in threes)
    ]
    assert {i["rule"] for i in rows[1]["_issues"]} == {"level.values", "score.max"}
    assert {i["rule"] for i in rows[2]["_issues"]} == {"score.type"}
    assert [q.rule for q in r.quarantine] == ["k.type"]
    assert "整数" in r.quarantine[0].reason_zh


def test_allowed_values_of_number_fields_are_compared_as_numbers(ws: Workspace, tmp_path: Path) -> None:
    """A decimal 1 is the text 1.0: a decimal field declaring values [1, 2.5] flagged every row."""
    code = new_resource(
        ws,
        [
            {"name": "k", "label": "编号", "type": "integer", "key": True},
            {"name": "grade", "label": "等级", "type": "decimal", "values": ["1", "2.5"]},
            {"name": "n", "label": "人数", "type": "integer", "values": ["1", "02"]},
        ],
    )
    f = write_text(tmp_path / "v.csv", "编号,等级,人数\n1,1,1\n2,2.50,2\n3,3,3\n")
    ingest(ws, code, f)
    rows = rows_of(ws, code, order="k")
    assert [(x["k"], x["grade"], x["n"]) for x in rows] == [(1, 1.0, 1), (2, 2.5, 2), (3, None, None)]
    assert [sorted(i["rule"] for i in x["_issues"]) for x in rows] == [[], [], ["grade.values", "n.values"]]


def test_the_job_log_records_each_load(ws: Workspace, tmp_path: Path) -> None:
    import sqlalchemy as sa

    from shuzhi.store import IngestJob

    code = new_resource(ws)
    ingest(ws, code, write_csv(tmp_path / "a.csv", ROWS[:1]))
    with pytest.raises(DataError):
        ingest(ws, code, write_text(tmp_path / "empty.csv", ""))
    with ws.session() as s:
        jobs = s.execute(
            sa.select(IngestJob).where(IngestJob.resource_code == code).order_by(IngestJob.id)
        ).scalars()
        got = [(j.status, j.version_number, bool(j.error)) for j in jobs]
    assert got == [("succeeded", 1, False), ("failed", None, True)]


def test_values_in_standard_form_get_the_same_answer_as_the_full_check(ws: Workspace, tmp_path: Path) -> None:
    """Identity and mobile numbers already in standard form skip the full check: the answer for
    every value must be the one the standards library gives."""
    import random

    from shuzhi.standards import check
    from shuzhi.standards.idcard import check_char

    rnd = random.Random(11643)
    ids: list[str] = []
    for i in range(300):
        region = rnd.choice(["140502", "140525", "110105", "440524", "999999", "830000", "140500"])
        birth = rnd.choice(["19900307", "18791231", "20991231", "19900230", "19491231", "20000229"])
        body = f"{region}{birth}{rnd.randint(0, 999):03d}"
        good = body + check_char(body)
        variants = [good, body + rnd.choice("0123456789X"), good.lower(), f" {good} ", good[:6] + good[8:17]]
        ids.append(variants[i % len(variants)])
    phones = [
        rnd.choice(["13", "15", "19", "12", "10"])
        + f"{rnd.randint(0, 999999999):09d}"
        + rnd.choice(["", "", "1"])
        for _ in range(300)
    ]
    code = new_resource(
        ws,
        [
            {"name": "k", "label": "序号", "type": "integer", "key": True},
            {"name": "id_number", "label": "公民身份号码", "standard": "idcard"},
            {"name": "phone", "label": "联系电话", "standard": "phone"},
        ],
    )
    lines = [f"{i},{a},{b}" for i, (a, b) in enumerate(zip(ids, phones, strict=True))]
    ingest(ws, code, write_text(tmp_path / "a.csv", "序号,公民身份号码,联系电话\n" + "\n".join(lines) + "\n"))
    rows = rows_of(ws, code, order="k")
    assert len(rows) == 300
    for r, raw_id, raw_phone in zip(rows, ids, phones, strict=True):
        issues = {i["field"]: i["rule"] for i in r["_issues"]}
        for field, raw, kind in (("id_number", raw_id, "idcard"), ("phone", raw_phone, "phone")):
            v = check(kind, raw)
            if v.valid:
                assert r[field] == v.normalized and field not in issues, (raw, r)
            else:  # flagged: kept as written, with the standard's reason
                assert r[field] == raw.strip() and issues[field] == f"{field}.{v.reason}", (raw, r)


@pytest.mark.parametrize(
    ("template", "detail", "expected"),
    [
        (
            "值{value}长度{length}，缺{nokey}",
            {"value": "abc", "length": 3, "other": 1},
            "值abc长度3，缺{nokey}",
        ),
        ("no keys", {}, "no keys"),
        ("{a}{a} {b}", {"a": None, "b": "{a}"}, " {a}"),  # one pass: an inserted value is not read again
        ("{a}", {"a": "身份证"}, "身份证"),
        ("", {}, ""),
        (None, {}, None),
    ],
)
def test_reason_templates_render_like_format_map(
    template: str | None, detail: dict[str, Any], expected: str | None
) -> None:
    con = duckdb.connect()
    got = con.execute(
        f"SELECT {render_sql('t', 'd::JSON')} FROM (SELECT ?::VARCHAR AS t, ?::VARCHAR AS d)",
        [template, json.dumps(detail, ensure_ascii=False)],
    ).fetchone()
    assert got is not None and got[0] == expected


def test_text_fields_checked_per_row_or_per_value_give_the_same_values(ws: Workspace, tmp_path: Path) -> None:
    """A text field whose values are nearly all distinct (case numbers) is checked per row, one
    whose values repeat (a unit's name) per distinct value: both normalise what needs it and
    keep the rest as written."""
    fields = [
        {"name": "case_no", "label": "案卷号", "standard": "text", "key": True},
        {"name": "unit", "label": "单位", "standard": "text"},
    ]
    code = new_resource(ws, fields)
    cases = [f"AJ-{i:05d}" for i in range(60)] + [
        "ＡＪ－００１００",
        "案卷 1  2",
        "晉城-7",
        "无",
        "N/A",
        "x\u200by",
    ]
    units = ["城区民政局", "城區民政局", "  泽州县 民政局 ", "不详"]
    lines = [f"{c},{units[i % len(units)]}" for i, c in enumerate(cases)]
    path = write_csv(tmp_path / "cases.csv", lines, header="案卷号,单位")
    r = ingest(ws, code, path)
    got = {row["_row"]: (row["case_no"], row["unit"]) for row in rows_of(ws, code)}
    assert r.rows_in == len(cases)
    by_case = {c: got.get(i + 2) for i, c in enumerate(cases)}
    assert by_case["AJ-00004"] == ("AJ-00004", "城区民政局")
    assert by_case["ＡＪ－００１００"] == ("AJ-00100", "城区民政局")  # full-width to ASCII
    assert by_case["案卷 1  2"][0] == "案卷 1 2"  # white space collapsed
    assert by_case["晉城-7"][0] == "晋城-7"  # Traditional to Simplified
    assert by_case["x\u200by"][0] == "xy"  # zero-width removed
    assert {by_case[c][1] for c in cases[:4]} == {"城区民政局", "泽州县 民政局", None}
    # 无 and N/A mean missing: the key is required, so those rows are quarantined
    assert r.rows_quarantined == 2


def test_excel_error_cells_and_code_formats_reach_the_checks_as_shown(ws: Workspace, tmp_path: Path) -> None:
    import openpyxl

    code = new_resource(ws)
    wb = openpyxl.Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    sheet.append(["14050219900307151X", "#N/A", "男", "1990-03-07", None, None, "#DIV/0!", 3, None])
    sheet.append(["14050219850612202X", "王芳", "女", "1985-06-12", 3562021234, None, 650, 2, None])
    sheet["E3"].number_format = "0000-0000000"  # Excel shows 0356-2021234
    path = tmp_path / "低保.xlsx"
    wb.save(path)
    r = ingest(ws, code, path)
    assert r.rows_loaded == 1 and rows_of(ws, code)[0]["phone"] == "0356-2021234"
    # the required name is not "empty": the department sees the #N/A its sheet shows
    (bad,) = quarantine(ws, code).rows
    errors = {e["field"]: e for e in bad.errors}
    assert errors["name"]["value"] == "#N/A" and "为空" not in errors["name"]["reason_zh"]
    assert errors["amount"]["value"] == "#DIV/0!"
    assert any("列「姓名」有 1 个错误单元格（如 #N/A）" in n for n in r.notes)


def test_an_excel_number_of_16_digits_in_a_text_field_is_quarantined(ws: Workspace, tmp_path: Path) -> None:
    """An ID typed into a General cell keeps 15 digits: 140502196508018948 is stored as
    140502196508019000, whose check character happens to be valid — it was loaded as a new
    person (one truncated ID in eleven passes the check)."""
    import openpyxl

    code = new_resource(ws)
    wb = openpyxl.Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    sheet.append(
        [140502196508018948, "宋佳霞", "女", "1965-08-01", None, None, 800, 3, None]
    )  # as Excel keeps it
    sheet.append(["14050219850612202X", "王芳", "女", "1985-06-12", None, None, 650, 2, None])
    sheet.append([1.40502198506110e17, "张伟", "男", "1985-06-11", None, None, 650, 2, None])
    path = tmp_path / "更正.xlsx"
    wb.save(path)
    r = ingest(ws, code, path)
    assert (r.rows_loaded, r.rows_quarantined) == (1, 2)
    # the one whose check character no longer fits says both
    assert {q.rule: q.count for q in r.quarantine} == {
        "id_number.excel_number": 2,
        "id_number.idcard.check_mismatch": 1,
    }
    q = quarantine(ws, code)
    bad = {row.row: row for row in q.rows}
    first = next(e for e in bad[2].errors if e["rule"] == "id_number.excel_number")
    assert first["value"] == "140502196508019000" and first["column"] == "公民身份号码"
    assert first["reason_zh"].startswith(
        "Excel 把“140502196508019000”存成了数值，超过 15 位的数字只保留前 15 位"
    )
    assert "format the column as text" in first["reason_en"]
    assert [row["id_number"] for row in rows_of(ws, code)] == ["14050219850612202X"]


@pytest.mark.parametrize("mode", ["append", "upsert"])
def test_rows_kept_from_the_previous_version_say_what_a_renamed_field_cost(
    ws: Workspace, tmp_path: Path, mode: str
) -> None:
    """A field renamed in the catalog (备注 note -> remark): the rows carried over from the previous
    version lost its values, and the load said nothing."""
    from _ingest_fixtures import PEOPLE_FIELDS, resource_spec

    from shuzhi.catalog import CatalogFile, declare

    code = new_resource(ws)
    ingest(ws, code, write_csv(tmp_path / "v1.csv", ROWS))
    renamed = [{**f, "name": "remark"} if f["name"] == "note" else f for f in PEOPLE_FIELDS]
    declare(ws, CatalogFile.model_validate({"resources": [resource_spec(code, renamed)]}))
    new_row = "140502197001011231,赵六,男,1970-01-01,13800000000,山西省晋城市城区凤台东街1号,100,1,新增"
    result = ingest(ws, code, write_csv(tmp_path / "v2.csv", [new_row]), mode=mode)
    notes = " ".join(result.notes)
    assert "note" in notes and "已不在目录中" in notes and "4 row(s) kept" in notes
    assert "新信息项 remark" in notes
    # a load with the same fields as its previous version says neither
    assert result.published
    again = ingest(ws, code, write_csv(tmp_path / "v3.csv", [new_row.replace("赵六", "赵七")]), mode="upsert")
    assert again.published and not any("已不在目录中" in n or "新信息项" in n for n in again.notes)
