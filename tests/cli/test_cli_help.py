"""The help screens a civil servant reads: flags shown as flags, ``--help`` in Chinese too, and
Chinese help text wrapped, not cut, in an 80-column terminal."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from shuzhi.cli import HELP_TEXT, app

runner = CliRunner(env={"COLUMNS": "80"})


@pytest.mark.parametrize("command", [["ingest"], ["quality"], ["registry", "split"], ["catalog", "list"]])
def test_help_shows_flags_as_flags_and_speaks_chinese(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "<bool>" not in out  # `--json true` is an error: a flag takes no value
    assert "Show this message and exit" not in out
    assert "显示本帮助并退出" in " ".join(out.split())
    assert HELP_TEXT.startswith("显示本帮助并退出")


def test_chinese_help_text_is_wrapped_not_cut() -> None:
    out = runner.invoke(app, ["ingest", "--help"]).output
    assert "…" not in out
    flat = "".join(line.strip("│ ") for line in out.splitlines())
    assert "跳过质量评估；有质量门槛的资源则暂不发布" in flat.replace(" ", "")


def test_usage_names_arguments_as_users_type_them() -> None:
    out = runner.invoke(app, ["ingest", "--help"]).output
    assert "shuzhi ingest [OPTIONS] RESOURCE FILE" in out and "{resource}" not in out
    assert "[TARGET]" in runner.invoke(app, ["quality", "--help"]).output
