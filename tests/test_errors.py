from __future__ import annotations

from shuzhi.errors import DataError, NotFound, ShuzhiError, ValidationError, WorkspaceNotFound


def test_data_error_names_file_row_column_value_and_rule() -> None:
    e = DataError(
        "校验码不符", file="people.csv", row=12, column="身份证号", value="1405021990030715", rule="GB 11643"
    )
    assert str(e) == (
        "people.csv 第 12 行 “身份证号”列 / row 12, column 身份证号: 校验码不符 "
        "(值 / value '1405021990030715', 规则 / rule GB 11643)"
    )
    assert str(DataError("空文件", file="a.csv")) == "a.csv: 空文件"
    assert str(DataError("x", file="a.csv", row=3)) == "a.csv 第 3 行 / row 3: x"
    assert e.to_dict() | {} == {
        "ok": False,
        "error": str(e),
        "code": "data",
        "status": 422,
        "file": "people.csv",
        "row": 12,
        "column": "身份证号",
        "value": "1405021990030715",
        "rule": "GB 11643",
    }


def test_validation_error_collects_every_field() -> None:
    e = ValidationError({"code": ["required"], "name": ["too long", "bad characters"]})
    assert e.errors == {"code": ["required"], "name": ["too long", "bad characters"]}
    assert "name: too long, bad characters" in str(e)
    assert e.to_dict()["errors"] == e.errors and e.status == 422


def test_hierarchy_and_statuses() -> None:
    assert issubclass(WorkspaceNotFound, ShuzhiError)
    assert NotFound("资源", "rkk").status == 404
    message = str(WorkspaceNotFound("/tmp/x"))
    assert "shuzhi init /tmp/x" in message  # and where else a workspace can be named
    assert "-w DIR" in message and "SHUZHI_WORKSPACE" in message
