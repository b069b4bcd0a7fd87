from __future__ import annotations

from shuzhi.errors import DataError, NotFound, ShuzhiError, ValidationError, WorkspaceNotFound


def test_data_error_names_file_row_column_value_and_rule() -> None:
    e = DataError(
        "校验码不符", file="people.csv", row=12, column="身份证号", value="1405021990030715", rule="GB 11643"
    )
    assert (
        str(e) == "people.csv, row 12, column 身份证号: 校验码不符 (value '1405021990030715', rule GB 11643)"
    )
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
    assert "shuzhi init /tmp/x" in str(WorkspaceNotFound("/tmp/x"))
