"""Bad input: each case gives a clear error naming file, row and column, and the version that was
current before stays current, readable and intact."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _ingest_fixtures import HEADER, ROWS, make_workspace, new_resource, rows_of, write_csv, write_text

from shuzhi.errors import Conflict, DataError, NotFound, ShuzhiError, ValidationError
from shuzhi.ingest import get_version, ingest, list_versions, verify_version
from shuzhi.workspace import Workspace


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    with make_workspace(tmp_path_factory.mktemp("errors") / "ws") as w:
        yield w


@pytest.fixture
def loaded(ws: Workspace, tmp_path: Path) -> str:
    """A resource with a good version 1."""
    code = new_resource(ws)
    ingest(ws, code, write_csv(tmp_path / "good.csv", ROWS))
    return code


def _unchanged(ws: Workspace, code: str) -> None:
    """Version 1 is still the only version, current, intact and readable; nothing half-made is left."""
    assert [(v.number, v.current) for v in list_versions(ws, code)] == [(1, True)]
    verify_version(ws, code)
    assert len(rows_of(ws, code)) == len(ROWS)
    folder = ws.warehouse / code
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".lock")) == ["v1"]


def _fails(ws: Workspace, code: str, source: Path, kind: type[ShuzhiError] = DataError, **kw: object) -> str:
    with pytest.raises(kind) as e:
        ingest(ws, code, source, **kw)  # type: ignore[arg-type]
    _unchanged(ws, code)
    return str(e.value)


def test_malformed_csv_names_the_file_and_the_line(ws: Workspace, loaded: str, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "ragged.csv", [ROWS[0], ROWS[1] + ",多余,更多", ROWS[2]])
    msg = _fails(ws, loaded, f)
    assert "ragged.csv" in msg and "row 3" in msg and "header" in msg


def test_undecodable_bytes_name_the_line_and_the_bytes(ws: Workspace, loaded: str, tmp_path: Path) -> None:
    f = tmp_path / "bytes.csv"
    f.write_bytes((HEADER + "\n" + ROWS[0] + "\n").encode() + b"\xff\xfe\xfa,x\n")
    mapping = write_text(tmp_path / "m.yaml", f"resource: {loaded}\nsource: {{encoding: utf-8}}\n")
    msg = _fails(ws, loaded, f, mapping=mapping)
    assert "bytes.csv" in msg and "row 3" in msg and "FF FE FA" in msg


def test_a_missing_mapped_column_names_the_file_the_column_and_the_header(
    ws: Workspace, loaded: str, tmp_path: Path
) -> None:
    mapping = write_text(
        tmp_path / "m.yaml",
        f"resource: {loaded}\ncolumns:\n  身份证号: id_number\n  姓名: name\n  电话号码: phone\n",
    )
    f = write_text(tmp_path / "a.csv", "身份证号,姓名,手机\n14050219900307151X,张伟,13803561234\n")
    with pytest.raises(DataError) as e:
        ingest(ws, loaded, f, mapping=mapping)
    _unchanged(ws, loaded)
    assert e.value.file and e.value.file.endswith("a.csv") and e.value.column == "电话号码"
    assert "身份证号、姓名、手机" in str(e.value)  # the header that was found


def test_a_required_field_without_a_column_is_named(ws: Workspace, loaded: str, tmp_path: Path) -> None:
    f = write_text(tmp_path / "a.csv", "身份证号码,名字\n14050219900307151X,张伟\n")
    with pytest.raises(DataError) as e:
        ingest(ws, loaded, f)
    _unchanged(ws, loaded)
    msg = str(e.value)
    # the fields by their labels (and codes); no column is named: the file has none for them
    assert e.value.file == str(f) and e.value.column is None
    assert "公民身份号码（id_number）、姓名（name）" in msg and "表头为 身份证号码、名字" in msg
    assert "--mapping" in msg and "mapping 字段" in msg
    assert "文件缺这一列时请补上" in msg  # a correction file sent back without the column: no mapping helps


def test_extra_columns_are_refused_when_the_mapping_says_so(
    ws: Workspace, loaded: str, tmp_path: Path
) -> None:
    mapping = write_text(
        tmp_path / "m.yaml",
        f"resource: {loaded}\ncolumns: {{公民身份号码: id_number, 姓名: name}}\nextra_columns: error\n",
    )
    f = write_text(tmp_path / "a.csv", "公民身份号码,姓名,银行账号\n14050219900307151X,张伟,6222\n")
    with pytest.raises(DataError) as e:
        ingest(ws, loaded, f, mapping=mapping)
    _unchanged(ws, loaded)
    assert e.value.column == "银行账号" and "a.csv" in str(e.value)


def test_duplicate_keys_in_upsert_name_the_key_and_the_rows(
    ws: Workspace, loaded: str, tmp_path: Path
) -> None:
    f = write_csv(tmp_path / "dup.csv", [ROWS[1], ROWS[1].replace("王芳", "王方")])
    msg = _fails(ws, loaded, f, mode="upsert")
    assert "dup.csv" in msg and "row 3" in msg and "14050219850612202X" in msg and "2, 3" in msg
    assert "column 公民身份号码" in msg and "主键值：行号" in msg  # the file's column; what the numbers are


def test_a_mapping_naming_a_field_the_catalog_lacks_names_file_line_and_field(
    ws: Workspace, loaded: str, tmp_path: Path
) -> None:
    mapping = write_text(
        tmp_path / "m.yaml",
        f"resource: {loaded}\ncolumns:\n  公民身份号码: id_number\n  婚姻: marital_status\n"
        "defaults: {religion: 无}\n",
    )
    with pytest.raises(ValidationError) as e:
        ingest(ws, loaded, write_csv(tmp_path / "a.csv", ROWS), mapping=mapping)
    _unchanged(ws, loaded)
    keys = list(e.value.errors)
    assert any(k.startswith(f"{mapping}:4") and "columns" in k for k in keys), keys
    assert any(k.startswith(f"{mapping}:5") and "religion" in k for k in keys), keys
    assert "marital_status" in str(e.value) and "religion" in str(e.value)
    # the fields that exist, with their labels, so that the clerk can pick the right one
    assert "可用：id_number（公民身份号码）、name（姓名）" in str(e.value)


def test_an_unknown_encoding_names_the_mapping_file_and_line(
    ws: Workspace, loaded: str, tmp_path: Path
) -> None:
    mapping = write_text(tmp_path / "m.yaml", f"resource: {loaded}\nsource:\n  encoding: gbkk\n")
    with pytest.raises(ValidationError) as e:
        ingest(ws, loaded, write_csv(tmp_path / "a.csv", ROWS), mapping=mapping)
    _unchanged(ws, loaded)
    keys = list(e.value.errors)
    assert any(k.startswith(f"{mapping}:3") and "encoding" in k for k in keys), keys
    assert "gbkk" in str(e.value) and "未知的编码" in str(e.value)


def test_a_mapping_for_another_resource_is_refused(ws: Workspace, loaded: str, tmp_path: Path) -> None:
    mapping = write_text(tmp_path / "m.yaml", "resource: OTHER-RES\n")
    with pytest.raises(ValidationError, match="OTHER-RES"):
        ingest(ws, loaded, write_csv(tmp_path / "a.csv", ROWS), mapping=mapping)
    _unchanged(ws, loaded)


@pytest.mark.parametrize("content", [b"", HEADER.encode() + b"\n", b"\n\n  \n"])
def test_an_empty_file_is_refused(ws: Workspace, loaded: str, tmp_path: Path, content: bytes) -> None:
    f = tmp_path / "empty.csv"
    f.write_bytes(content)
    msg = _fails(ws, loaded, f)
    assert "empty.csv" in msg and ("空" in msg or "no data" in msg)


def test_a_file_of_the_wrong_type_is_refused(ws: Workspace, loaded: str, tmp_path: Path) -> None:
    f = tmp_path / "名单.csv"
    f.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    msg = _fails(ws, loaded, f)
    assert "名单.csv" in msg and "PNG" in msg


def test_a_missing_file_or_resource_is_not_found(ws: Workspace, loaded: str, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"nope\.csv"):
        ingest(ws, loaded, tmp_path / "nope.csv")
    with pytest.raises(NotFound, match="NO-SUCH"):
        ingest(ws, "NO-SUCH", write_csv(tmp_path / "a.csv", ROWS))
    _unchanged(ws, loaded)


def test_an_unknown_mode_is_refused(ws: Workspace, loaded: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="mode"):
        ingest(ws, loaded, write_csv(tmp_path / "a.csv", ROWS), mode="merge")  # type: ignore[arg-type]
    _unchanged(ws, loaded)


def test_a_second_load_of_the_same_resource_fails_fast(ws: Workspace, loaded: str, tmp_path: Path) -> None:
    import fcntl
    import os

    fd = os.open(ws.warehouse / loaded / ".lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as another process's load would
        with pytest.raises(Conflict, match="another load"):
            ingest(ws, loaded, write_csv(tmp_path / "a.csv", ROWS))
    finally:
        os.close(fd)
    _unchanged(ws, loaded)
    assert ingest(ws, loaded, write_csv(tmp_path / "b.csv", ROWS)).version == 2


def test_a_load_refusing_every_row_does_not_replace_the_current_version(
    ws: Workspace, loaded: str, tmp_path: Path
) -> None:
    # a value map refusing every name: every row is quarantined
    mapping = write_text(
        tmp_path / "m.yaml",
        f"resource: {loaded}\ncolumns:\n  姓名: {{field: name, values: {{张伟: null}}, unmapped: invalid}}\n",
    )
    r = ingest(ws, loaded, write_csv(tmp_path / "a.csv", ROWS), mapping=mapping)
    assert not r.published and r.rows_loaded == 0
    assert get_version(ws, loaded).number == 1
    verify_version(ws, loaded)


@pytest.mark.parametrize(
    ("field", "default", "message"),
    [
        (
            {"name": "d", "label": "日期", "type": "date"},
            "2024-02-30",
            "默认值 '2024-02-30' 无效：2024 年 2 月没有 30 日",
        ),
        ({"name": "d", "label": "证号", "standard": "idcard"}, "123", "默认值 '123' 无效：号码有 3 位"),
        ({"name": "d", "label": "人数", "type": "integer", "min": 1}, "两个", "默认值 '两个' 不是有效的整数"),
        ({"name": "d", "label": "人数", "type": "integer", "min": 1}, "0", "默认值 '0' 超出允许范围"),
        # as the load reads numbers (Python's int() and float() took 1_000 and nan)
        ({"name": "d", "label": "人数", "type": "integer"}, "1_000", "默认值 '1_000' 不是有效的整数"),
        ({"name": "d", "label": "金额", "type": "decimal"}, "nan", "默认值 'nan' 不是有效的数值"),
        (
            {"name": "d", "label": "金额", "type": "decimal", "scale": 2},
            "1.005",
            "默认值 '1.005' 的小数超过 2 位",
        ),
        ({"name": "d", "label": "状态", "values": ["在保", "停保"]}, "在册", "默认值 '在册' 不是允许的取值"),
        (
            {"name": "d", "label": "等级", "type": "decimal", "values": ["1", "2.5"]},
            "3",
            "默认值 '3' 不是允许的取值",
        ),
    ],
)
def test_a_bad_default_in_the_mapping_is_refused_with_its_line(
    ws: Workspace, tmp_path: Path, field: dict[str, object], default: str, message: str
) -> None:
    """A default goes into every row: a bad one would be flagged or emptied in every row, and an
    upsert would write that over the values the rows had."""
    code = new_resource(ws, [{"name": "k", "label": "编号", "key": True}, field])
    mapping = write_text(tmp_path / "m.yaml", f"resource: {code}\ndefaults:\n  d: '{default}'\n")
    with pytest.raises(ValidationError) as e:
        ingest(ws, code, write_text(tmp_path / "a.csv", "编号\n1\n"), mapping=mapping)
    ((where, (text,)),) = e.value.errors.items()
    assert where == f"{mapping}:3 defaults.d" and text.startswith(message)
    assert list_versions(ws, code) == []


def test_a_default_among_the_allowed_numbers_is_taken(ws: Workspace, tmp_path: Path) -> None:
    """Allowed values of a number field are numbers: the default 2.50 is the allowed 2.5."""
    field = {"name": "d", "label": "等级", "type": "decimal", "values": ["1", "2.5"]}
    code = new_resource(ws, [{"name": "k", "label": "编号", "key": True}, field])
    mapping = write_text(tmp_path / "m.yaml", f"resource: {code}\ndefaults:\n  d: '2.50'\n")
    ingest(ws, code, write_text(tmp_path / "a.csv", "编号\n1\n"), mapping=mapping)
    assert [(r["d"], r["_issues"]) for r in rows_of(ws, code)] == [(2.5, [])]


def test_a_default_with_trailing_zeros_fits_the_scale(ws: Workspace, tmp_path: Path) -> None:
    from decimal import Decimal

    field = {"name": "d", "label": "金额", "type": "decimal", "scale": 2}
    code = new_resource(ws, [{"name": "k", "label": "编号", "key": True}, field])
    mapping = write_text(tmp_path / "m.yaml", f"resource: {code}\ndefaults:\n  d: '1.2000'\n")
    ingest(ws, code, write_text(tmp_path / "a.csv", "编号\n1\n"), mapping=mapping)
    assert [(r["d"], r["_issues"]) for r in rows_of(ws, code)] == [(Decimal("1.20"), [])]


def test_a_value_of_neither_union_member_is_named_by_its_own_key(ws: Workspace, tmp_path: Path) -> None:
    """header_row is a number or auto: pydantic's member tags (.int, .literal['auto']) are not keys."""
    code = new_resource(ws)
    mapping = write_text(tmp_path / "m.yaml", f"resource: {code}\nsource: {{header_row: x}}\n")
    with pytest.raises(ValidationError) as e:
        ingest(ws, code, write_csv(tmp_path / "a.csv", ROWS), mapping=mapping)
    assert e.value.errors == {
        f"{mapping}:2 source.header_row": [
            "应为整数，实为 'x' / expected an integer, got 'x'",
            "取值无效 'x'；应为 auto / invalid value 'x'; expected auto",
        ]
    }
