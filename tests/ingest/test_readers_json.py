"""JSON and JSON Lines sources: flattening, record paths, row numbers, malformed input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shuzhi.errors import DataError

Reader = Any
Write = Callable[..., Path]


def test_array_of_records_flattened(read: Reader, write: Write) -> None:
    text = json.dumps(
        [
            {
                "姓名": "张三",
                "年龄": 34,
                "住址": {"街道": "东街", "门牌": {"号": "1"}},
                "标签": ["户主", "低保"],
            },
            {"姓名": "李四", "金额": 12.50, "在册": False, "住址": None, "空": {}},
        ],
        ensure_ascii=False,
    ).replace("12.5", "12.50")
    src = read(write("p.json", text))
    assert src.format == "json" and src.encoding == "utf-8" and src.rows == 2 and src.header_row is None
    assert src.columns == ["姓名", "年龄", "住址.街道", "住址.门牌.号", "标签", "金额", "在册", "住址", "空"]
    assert read.dicts() == [
        {"姓名": "张三", "年龄": "34", "住址.街道": "东街", "住址.门牌.号": "1", "标签": '["户主", "低保"]',
         "金额": None, "在册": None, "住址": None, "空": None, "_row": 1},
        {"姓名": "李四", "年龄": None, "住址.街道": None, "住址.门牌.号": None, "标签": None,
         "金额": "12.50", "在册": "false", "住址": None, "空": "{}", "_row": 2},
    ]  # fmt: skip


def test_nested_records_path_carries_the_parents_fields(read: Reader, households_json: Path) -> None:
    src = read(households_json, records="data.households[].members[]")
    assert src.rows == 3
    assert src.columns == [
        "households.hid", "households.addr.street", "households.addr.no",
        "name", "id", "age", "tags", "spouse",
    ]  # fmt: skip
    rows = read.dicts()
    assert [r["_row"] for r in rows] == [1, 2, 3]
    assert rows[0] == {
        "households.hid": "H001", "households.addr.street": "东街街道", "households.addr.no": "1号",
        "name": "张三", "id": "140502199003071234", "age": "34", "tags": '["户主", "低保"]', "spouse": None,
        "_row": 1,
    }  # fmt: skip
    assert rows[1]["age"] == "32.0" and rows[1]["spouse"] == "true"
    assert rows[2]["households.hid"] == "H002" and rows[2]["name"] == "李四" and rows[2]["age"] is None


def test_records_path_through_an_object(read: Reader, write: Write) -> None:
    doc = {"list": [{"hid": "H1", "info": {"phone": "138", "members": [{"name": "张三"}, {"name": "李四"}]}}]}
    src = read(write("h.json", json.dumps(doc, ensure_ascii=False)), records="list[].info.members[]")
    assert src.columns == ["list.hid", "list.info.phone", "name"]
    assert read.rows() == [("H1", "138", "张三", 1), ("H1", "138", "李四", 2)]


def test_records_path_to_the_households(read: Reader, households_json: Path) -> None:
    src = read(households_json, records="data.households")
    assert src.rows == 2 and src.columns == ["hid", "addr.street", "addr.no", "members"]
    assert json.loads(read.dicts()[1]["members"]) == [{"name": "李四", "age": None}]


def test_records_found_without_a_path(read: Reader, write: Write) -> None:
    doc = {"code": 200, "msg": "成功", "data": {"page": 1, "list": [{"a": 1}, {"a": 2}]}}
    src = read(write("api.json", json.dumps(doc, ensure_ascii=False)))
    assert src.rows == 2 and any("data.list" in n for n in src.notes)
    doc["data"]["other"] = [{"b": 1}]  # type: ignore[index]
    with pytest.raises(DataError) as e:
        read(write("api.json", json.dumps(doc, ensure_ascii=False)))
    assert "records" in str(e.value) and "data.list" in str(e.value) and "data.other" in str(e.value)


def test_bad_records_path(read: Reader, households_json: Path) -> None:
    with pytest.raises(DataError) as e:
        read(households_json, records="data.families[]")
    assert "data.families" in str(e.value) and "households" in str(e.value)
    with pytest.raises(DataError):
        read(households_json, records="data.households[].members[")


def test_malformed_json_names_line_and_column(read: Reader, write: Write) -> None:
    text = '[\n  {"姓名": "张三"},\n  {"姓名": "李四",, }\n]\n'
    with pytest.raises(DataError) as e:
        read(write("bad.json", text))
    assert e.value.row == 3 and "line 3, column 15" in str(e.value)
    assert "第 3 行第 15 列：键名须用双引号括起（或多了一个逗号）" in str(
        e.value
    )  # Python's English after the slash


def test_gbk_json(read: Reader, write: Write) -> None:
    src = read(write("gbk.json", '[{"姓名": "张三"}]', "gbk"))
    assert src.encoding == "gb18030" and read.rows() == [("张三", 1)]


def test_jsonl_rows_are_line_numbers(read: Reader, write: Write) -> None:
    text = '{"姓名": "张三", "年龄": 34}\n\n{"姓名": "李四", "住址": {"街道": "西街"}}\n{"姓名": "王五"}\n'
    src = read(write("p.jsonl", text))
    assert src.format == "jsonl" and src.columns == ["姓名", "年龄", "住址.街道"]
    assert read.rows() == [("张三", "34", None, 1), ("李四", None, "西街", 3), ("王五", None, None, 4)]


def test_jsonl_bad_lines_are_named(read: Reader, write: Write) -> None:
    text = '{"a": 1}\n{"a": 2\n{"a": 3}\n[1, 2]\n{"a": 5}\n'
    with pytest.raises(DataError) as e:
        read(write("p.jsonl", text))
    assert e.value.row == 2 and "2 line(s)" in str(e.value) and "line 2, column 8" in str(e.value)
    assert "第 4 行不是对象" in str(e.value)
    assert not read.exists()


def test_jsonl_in_many_batches_with_new_keys(read: Reader, write: Write) -> None:
    lines = [json.dumps({"i": i} | ({"late": f"x{i}"} if i >= 60_000 else {})) for i in range(70_000)]
    src = read(write("big.jsonl", "\n".join(lines)))
    assert src.rows == 70_000 and src.columns == ["i", "late"]
    got = read.engine.fetch_rows(
        "SELECT count(*), count(late), min(_row), max(_row), bool_and(_row = i::INT + 1) FROM src"
    )
    assert got == [(70_000, 10_000, 1, 70_000, True)]


def test_json_lines_named_json(read: Reader, write: Write) -> None:
    src = read(write("p.json", '{"a": 1}\n{"a": 2}\n'))
    assert src.format == "jsonl" and src.rows == 2 and any("JSON Lines" in n for n in src.notes)


@pytest.mark.parametrize("text", ["", "[]", '{"data": {"list": []}}', "\n\n"])
def test_empty_json(read: Reader, write: Write, text: str) -> None:
    with pytest.raises(DataError):
        read(write("e.json", text))


def test_records_that_are_not_objects(read: Reader, write: Write) -> None:
    with pytest.raises(DataError) as e:
        read(write("s.json", '[{"a": 1}, 2]'))
    assert "2" in str(e.value) and "object" in str(e.value)


# -- records paths through items without the array, or with wrong values -------------------------


def _household(i: int, **fields: Any) -> dict[str, Any]:
    return {"hid": f"H{i}", "addr": f"东街{i}号", "amount": 500 + i, **fields}


def test_households_without_members_give_no_records(read: Reader, write: Write) -> None:
    doc = {
        "data": {
            "households": [
                _household(1, members=[{"name": "张三"}]),
                _household(2),  # no members key
                _household(3, members=None),
                _household(4, members=[]),
                _household(5, members=[{"name": "李四"}, {"name": "王五"}]),
                _household(6, members=None),
            ]
        }
    }
    src = read(write("h.json", json.dumps(doc, ensure_ascii=False)), records="data.households[].members[]")
    assert src.rows == 3 and src.columns == ["households.hid", "households.addr", "households.amount", "name"]
    assert [(r["households.hid"], r["name"], r["_row"]) for r in read.dicts()] == [
        ("H1", "张三", 1), ("H5", "李四", 2), ("H5", "王五", 3),
    ]  # fmt: skip
    assert (
        "3 个 households 没有 members（缺失或为 null），不产生记录：data.households[2]、data.households[3]、"
        "data.households[6] / 3 households have no members (missing or null): no records" in src.notes[-1]
    )


def test_records_that_do_not_fit_the_path_are_located(read: Reader, write: Write) -> None:
    doc = {
        "data": {
            "households": [
                _household(1, members=[{"name": "张三"}]),
                _household(2, members=[None]),
                _household(3, members="无"),
                _household(4, members=[{"name": "李四"}, 7]),
            ]
        }
    }
    with pytest.raises(DataError) as e:
        read(write("h.json", json.dumps(doc, ensure_ascii=False)), records="data.households[].members[]")
    msg = str(e.value)
    assert e.value.row == 2  # the record data.households[2].members[1] would have been
    assert "3 处记录有问题：data.households[2].members[1] 不是对象（记录），是null" in msg
    assert 'data.households[3].members is not an array but a string, "无"' in msg
    assert "data.households[4].members[2] is not an object (a record) but a number, 7" in msg
    assert "（[n] 为第 n 项，从 1 数起）" in msg and "([n] is item n, counting from 1)" in msg
    assert not read.exists()


def test_a_path_without_brackets_at_an_array_says_to_write_them(read: Reader, households_json: Path) -> None:
    with pytest.raises(DataError) as e:
        read(households_json, records="data.households.members")
    msg = str(e.value)
    assert "data.households 是数组：records 路径应写作 data.households[]" in msg
    assert "data.households is an array: write data.households[] in the records path" in msg
    assert "list" not in msg


def test_a_misspelt_key_inside_the_items_is_not_found(read: Reader, households_json: Path) -> None:
    with pytest.raises(DataError) as e:
        read(households_json, records="data.households[].member[]")
    msg = str(e.value)
    assert "data.households[].member 不存在（data.households[1]有：hid, addr, members）" in msg
    assert "data.households[].member not found (data.households[1] has: hid, addr, members)" in msg


def test_members_null_everywhere_is_no_rows(read: Reader, write: Write) -> None:
    doc = {"data": {"households": [_household(1, members=None), _household(2)]}}
    with pytest.raises(DataError) as e:
        read(write("h.json", json.dumps(doc, ensure_ascii=False)), records="data.households[].members[]")
    assert "文件中没有数据行" in str(e.value) and "missing or null in every item of households" in str(
        e.value
    )


def test_jsonl_lines_without_members_give_no_records(read: Reader, write: Write) -> None:
    lines = [
        json.dumps(
            {"hid": i} | ({"members": None} if i == 1234 else {} if i == 1900 else {"members": [{"n": i}]})
        )
        for i in range(1, 2001)
    ]
    src = read(write("h.jsonl", "\n".join(lines)), records="members[]")
    assert src.rows == 1998 and src.columns == ["n"]
    assert "2 行没有 members（缺失或为 null），不产生记录：第 1234、1900 行" in src.notes[-1]
    assert "2 line(s) have no members (missing or null): no records (line(s) 1234, 1900)" in src.notes[-1]


def test_jsonl_lines_that_do_not_fit_the_path_are_named(read: Reader, write: Write) -> None:
    bad = {700: {"members": "无"}, 1500: {"members": [{"n": 1}, None, 3]}, 1800: {"members": {"n": 1}}}
    lines = [json.dumps({"hid": i, **bad.get(i, {"members": [{"n": i}]})}) for i in range(1, 2001)]
    with pytest.raises(DataError) as e:
        read(write("h.jsonl", "\n".join(lines)), records="members[]")
    msg = str(e.value)
    assert e.value.row == 700 and "3 行无法读取" in msg and "3 line(s) cannot be read" in msg
    assert 'line 700: members is not an array but a string, "无"' in msg
    assert "line 1500: members[2] is not an object (a record) but null (and 1 more in the line)" in msg
    assert "line 1800: members is not an array but an object" in msg
    assert not read.exists()


# -- fields that flatten to the same name ---------------------------------------------------------


def test_a_dotted_key_and_a_nested_object_of_the_same_name_are_two_columns(
    read: Reader, write: Write
) -> None:
    doc = [{"addr.city": "晋城", "addr": {"city": "长治"}}, {"addr": {"city": "太原"}}, {"addr.city": "大同"}]
    src = read(write("a.json", json.dumps(doc, ensure_ascii=False)))
    assert src.columns == ["addr.city", "addr.city_2"]
    assert read.rows() == [("晋城", "长治", 1), (None, "太原", 2), ("大同", None, 3)]
    note = next(n for n in src.notes if "展开后同名" in n)
    assert '键 "addr.city"、嵌套的 "addr" → "city"；后出现的改名为 addr.city_2' in note
    assert 'key "addr.city", nested "addr" → "city"; the later one(s) renamed addr.city_2' in note


def test_a_member_field_named_like_a_carried_household_field(read: Reader, write: Write) -> None:
    doc = {"households": [{"hid": "H1", "members": [{"name": "张三", "households.hid": "X"}]}]}
    src = read(write("h.json", json.dumps(doc, ensure_ascii=False)), records="households[].members[]")
    assert src.columns == ["households.hid", "name", "households.hid_2"]
    assert read.rows() == [("H1", "张三", "X", 1)]
    assert any('"hid" of the parent households, key "households.hid"' in n for n in src.notes)
