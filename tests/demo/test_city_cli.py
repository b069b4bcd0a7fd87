"""``shuzhi demo generate``: the synthetic city from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from shuzhi.cli import app

runner = CliRunner(env={"COLUMNS": "200"})


def test_generate_writes_a_city_and_says_what_it_wrote(tmp_path: Path) -> None:
    out = tmp_path / "city"
    r = runner.invoke(
        app, ["demo", "generate", str(out), "--people", "500", "--seed", "3", "--noise", "id_typo=0.05"]
    )
    assert r.exit_code == 0, r.output
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["people"] == 500 and m["seed"] == 3 and m["noise"]["id_typo"] == 0.05
    for d in m["datasets"]:
        assert d["resource"] in r.output
        assert (out / d["file"]).is_file() and (out / d["mapping"]).is_file()
    assert "晋城市" in r.output and "truth/" in r.output
    en = runner.invoke(app, ["demo", "generate", str(tmp_path / "en"), "-n", "300", "--lang", "en"])
    assert en.exit_code == 0 and "Synthetic city" in en.output


def test_generate_refuses_unknown_noise_and_cities(tmp_path: Path) -> None:
    r = runner.invoke(app, ["demo", "generate", str(tmp_path), "--noise", "nope=0.1"])
    assert r.exit_code != 0
    assert "unknown noise parameter" in str(r.exception) or "unknown noise parameter" in r.output
    r = runner.invoke(app, ["demo", "generate", str(tmp_path), "--city", "999999"])
    assert r.exit_code != 0
    assert not (tmp_path / "manifest.json").exists()


def test_demo_without_a_subcommand_is_still_the_tour() -> None:
    r = runner.invoke(app, ["demo", "--help"])
    assert r.exit_code == 0 and "generate" in r.output and "--workspace" in r.output
