"""``shuzhi check KIND``: what a clerk types and what a script pipes in."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from shuzhi.cli import app
from shuzhi.standards import KINDS, check

runner = CliRunner(env={"COLUMNS": "200"})


def _json_lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_arguments_print_verdict_normalised_form_parts_and_chinese_reason() -> None:
    r = runner.invoke(app, ["check", "idcard", "14050219900307151x", "14050219900230151X"])
    assert r.exit_code == 0, r.output
    assert "14050219900307151X" in r.output  # normalised to upper case
    assert "有效" in r.output and "无效" in r.output
    assert "共 2 条：1 条有效，1 条无效" in r.output


def test_json_lines_have_the_documented_keys() -> None:
    r = runner.invoke(app, ["check", "idcard", "--json", "110105491231002", "44052418800101001?"])
    assert r.exit_code == 0, r.output
    first, second = _json_lines(r.output)
    assert {"input", "valid", "normalized", "reason"} <= set(first)
    assert first["valid"] is True and first["normalized"] == "11010519491231002X"
    assert second["valid"] is False and second["reason"]


def test_english_reasons() -> None:
    r = runner.invoke(app, ["check", "idcard", "--json", "--lang", "en", "14050219900230151X"])
    (v,) = _json_lines(r.output)
    assert v["valid"] is False
    assert isinstance(v["reason"], str) and "date" in v["reason"]
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in v["reason"])  # no Chinese in the English text


def test_stdin_goes_through_the_sql_form_and_agrees_with_python() -> None:
    values = [
        "11010519491231002X",
        "110105491231002",
        "14050219900307151x",
        "",
        "😀",
        "1405021990030715１X",
        "44052418800101001?",
        "x" * 2000,
    ]
    r = runner.invoke(app, ["check", "idcard", "-", "--json"], input="\n".join(values) + "\n")
    assert r.exit_code == 0, r.output
    got = _json_lines(r.output)
    assert [g["input"] for g in got] == values
    for g, v in zip(got, values, strict=True):
        py = check("idcard", v).to_dict()
        assert (g["valid"], g["normalized"], g["reason_code"]) == (
            py["valid"],
            py["normalized"],
            py["reason_code"],
        )


@pytest.mark.parametrize(
    "kind", ["idcard", "uscc", "orgcode", "division", "phone", "date", "address", "name"]
)
def test_every_kind_of_the_issue_is_available(kind: str) -> None:
    import shuzhi.standards  # noqa: F401

    assert kind in KINDS
    r = runner.invoke(app, ["check", kind, "--json", "", "not a value 😀"])
    assert r.exit_code == 0, r.output
    assert [v["valid"] for v in _json_lines(r.output)] == [False, False]


def test_fail_invalid_sets_the_exit_code() -> None:
    assert runner.invoke(app, ["check", "idcard", "--fail-invalid", "11010519491231002X"]).exit_code == 0
    assert runner.invoke(app, ["check", "idcard", "--fail-invalid", "11010519491231002"]).exit_code == 1


def test_unknown_kind_and_missing_values_are_usage_errors() -> None:
    r = runner.invoke(app, ["check", "passport", "E1234"])
    assert r.exit_code == 2 and "passport" in r.output
    assert runner.invoke(app, ["check", "idcard"]).exit_code == 2
