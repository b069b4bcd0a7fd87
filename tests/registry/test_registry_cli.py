"""``shuzhi registry build|show|stats|export`` over a workspace whose catalog and loads are real:
the resources are declared in the catalog and their CSV files loaded by ingestion, so roles come
from the catalog and values arrive cleansed (IDs upgraded, names in Simplified)."""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import typer
from _people import SPECS, make_city, write_csv
from typer.testing import CliRunner, Result

from shuzhi.catalog import CatalogFile, DepartmentSpec, declare, restore, retire
from shuzhi.cli import EXIT_CODES
from shuzhi.cli import app as main_app
from shuzhi.ingest import ingest, publish_version
from shuzhi.registry import run_table
from shuzhi.registry._build import current_run
from shuzhi.workspace import Workspace

runner = CliRunner()


def _app() -> typer.Typer:
    """The ``shuzhi`` app, with the registry commands even before ``shuzhi.cli`` lists them."""
    if any(g.name == "registry" for g in main_app.registered_groups):
        return main_app
    from shuzhi.cli.registry import register

    app = typer.Typer()
    app.command("noop", hidden=True)(lambda: None)  # a group of one would be flattened
    register(app)
    return app


APP = _app()


def run(*args: str) -> Result:
    return runner.invoke(APP, list(args), env={"COLUMNS": "200"})


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def exit_code(result: Result) -> int:
    names = {c.__name__ for c in type(result.exception).__mro__}
    return next(code for name, code in EXIT_CODES if name in names)


@pytest.fixture(scope="module")
def wsdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("cli")
    city = make_city(seed=5, background=25)
    files = write_csv(city, root / "files")
    with Workspace.init(root / "city") as ws:
        departments = [DepartmentSpec(code=c, name=f"部门{c}") for c in ("GA", "MZ", "WJ", "RS")]
        declare(ws, CatalogFile(departments=departments, resources=list(SPECS.values())))
        for code, path in files.items():
            ingest(ws, code, path)
    yield str(root / "city")


@pytest.fixture(scope="module")
def built(wsdir: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(ok("registry", "build", "-w", wsdir, "--json"))
    return data


def test_build_reads_the_catalog_and_the_current_versions(built: dict[str, object]) -> None:
    assert built["run"] == 1 and built["entity"] == "person"
    assert set(built["resources"]) == set(SPECS)  # type: ignore[arg-type]
    assert built["conflicts"] == {"birth_date": 1, "shared_id": 2, "vital_status": 1}
    assert built["split_by_id"] == 1


def test_show_by_any_written_form_of_an_id(wsdir: str, built: dict[str, object]) -> None:
    city = make_city(seed=5, background=25)
    p = city.people["id15"]
    fifteen = p.id_number[:6] + p.id_number[8:17]
    a = json.loads(ok("registry", "show", fifteen, "-w", wsdir, "--json"))
    b = json.loads(ok("registry", "show", p.id_number.lower(), "-w", wsdir, "--json"))
    c = json.loads(ok("registry", "show", p.id_number[:6], p.id_number[6:], "-w", wsdir, "--json"))
    assert len(a) == 1 and a == b == c
    assert a[0]["golden"]["id_number"] == p.id_number and a[0]["golden"]["name"] == p.name
    assert {r["resource"] for r in a[0]["records"]} == {"GA-HJ", "WJ-YM", "RS-SB"}
    out = ok("registry", "show", a[0]["registry_id"], "-w", wsdir)
    assert a[0]["registry_id"] in out and p.name in out and "来源记录" in out
    sex = a[0]["golden"]["sex"]
    assert f"{sex}（{'男' if sex == '1' else '女'}）" in out  # the code with its meaning


def test_show_words_a_conflict_without_json(wsdir: str, built: dict[str, object]) -> None:
    p = make_city(seed=5, background=25).people["id-owner"]
    out = ok("registry", "show", p.id_number, "-w", wsdir)
    line = next(x for x in out.splitlines() if "同一身份证号属于不同的人" in x)
    assert f"id_number {p.id_number}" in line and "{" not in line and "[" not in line


def test_show_by_name_and_birth_date(wsdir: str, built: dict[str, object]) -> None:
    p = make_city(seed=5, background=25).people["homophone"]
    found = json.loads(ok("registry", "show", p.name, p.birth.isoformat(), "-w", wsdir, "--json"))
    assert [e["golden"]["name"] for e in found] == [p.name]
    homophone = json.loads(
        ok("registry", "show", "王丽", p.birth.strftime("%Y年%m月%d日"), "-w", wsdir, "--json")
    )
    assert homophone == found  # same pinyin, 同音字


def test_show_explains_what_it_could_not_find(wsdir: str, built: dict[str, object]) -> None:
    result = run("registry", "show", "P999999999999", "-w", wsdir)
    assert exit_code(result) == 4
    result = run("registry", "show", "张伟", "-w", wsdir)  # a name without a birth date
    assert exit_code(result) == 3 and "出生日期" in str(result.exception)
    # an ID number with a mistyped digit: the check character says so, not only "not found"
    result = run("registry", "show", "110105194912310020", "-w", wsdir)
    assert (
        exit_code(result) == 4
        and "该号码本身有误" in str(result.exception)
        and "校验码" in str(result.exception)
    )
    result = run("registry", "show", "11010519491231002X", "-w", wsdir)  # valid, nobody: no hint
    assert exit_code(result) == 4 and "有误" not in str(result.exception)


def test_stats(wsdir: str, built: dict[str, object]) -> None:
    data = json.loads(ok("registry", "stats", "-w", wsdir, "--json"))
    assert data["persons"] == built["clusters"]
    assert data["records"] == built["records"]
    assert {r["resource"] for r in data["resources"]} == set(SPECS)
    assert data["identifiers"]["active"] == built["clusters"]
    out = ok("registry", "stats", "-w", wsdir)
    assert "人口库" in out and "关联率" in out
    # conflicts in words, not codes
    assert "同一身份证号属于不同的人 2" in out and "shared_id" not in out
    assert "one citizen ID on records of different persons 2" in ok(
        "registry", "stats", "-w", wsdir, "--lang", "en"
    )
    assert f"标识: 有效 {built['clusters']}" in out and "active" not in out  # states in Chinese


def test_export_csv_and_parquet(wsdir: str, built: dict[str, object], tmp_path: Path) -> None:
    files = json.loads(ok("registry", "export", str(tmp_path / "csv"), "-w", wsdir, "--json"))
    with open(files["crosswalk"], encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == built["records"] and set(rows[0]) == {"resource", "record_key", "registry_id"}
    with open(files["golden"], encoding="utf-8") as fh:
        golden = list(csv.DictReader(fh))
    assert len(golden) == built["clusters"] and golden[0]["registry_id"].startswith("P")
    result = run("registry", "export", str(tmp_path / "csv"), "-w", wsdir)
    assert exit_code(result) == 6  # already there
    ok("registry", "export", str(tmp_path / "csv"), "-w", wsdir, "--overwrite")
    out = ok("registry", "export", str(tmp_path / "pq"), "--format", "parquet", "-w", wsdir)
    assert "crosswalk.parquet" in out and (tmp_path / "pq" / "golden.parquet").is_file()


def test_update_compares_only_what_changed(wsdir: str, built: dict[str, object]) -> None:
    data = json.loads(ok("registry", "update", "-r", "MZ-DB", "-w", wsdir, "--json"))
    assert data["new_ids"] == 0 and data["comparisons"] == 0
    assert data["clusters"] == built["clusters"]
    assert "0 new or changed records" in data["notes"][-1]


def test_review_and_decide(wsdir: str, built: dict[str, object]) -> None:
    out = ok("registry", "review", "-w", wsdir)
    assert "没有待复核的记录对" in out or "registry decide" in out
    queued = json.loads(ok("registry", "review", "--status", "all", "-w", wsdir, "--json"))
    assert isinstance(queued, list) and len(queued) == built["to_review"]
    assert exit_code(run("registry", "decide", "999999", "same", "-w", wsdir)) == 4
    assert exit_code(run("registry", "decide", "1", "maybe", "-w", wsdir)) == 3


def test_a_build_losing_most_persons_is_refused_and_they_come_back(
    wsdir: str, built: dict[str, object], tmp_path: Path
) -> None:
    """Three resources retired from the catalog and a one-row export of 低保 published: the build
    would retire most persons and is refused; let through, it retires them; with the data back
    (resources restored, 低保 rolled back), every record has its identifier back."""
    copy = str(tmp_path / "city")
    shutil.copytree(wsdir, copy)
    full_low = Path(wsdir).parent / "files" / "MZ-DB.csv"
    with open(full_low, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    one_row = tmp_path / "MZ-DB.csv"
    with open(one_row, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([rows[0], rows[-1]])  # the header and one record
    with Workspace.open(copy) as ws:
        before = current_run(ws)
        assert before is not None and before.path
        cw_before = _crosswalk(str(ws.warehouse / before.path))
        for code in ("GA-HJ", "WJ-YM", "RS-SB"):
            retire(ws, code, reason="测试")
        held = ingest(ws, "MZ-DB", one_row)  # held: far fewer rows than the current version
        publish_version(ws, "MZ-DB", held.version, reason="部门确认 / confirmed by the department")
    result = run("registry", "build", "-w", copy)
    assert exit_code(result) == 6
    assert "--allow-retire" in str(result.exception) and "GA-HJ 31 → 0" in str(result.exception)
    narrowed = json.loads(ok("registry", "build", "-w", copy, "--allow-retire", "--json"))
    assert narrowed["resources"] == {"MZ-DB": 1} and narrowed["retired_ids"] * 2 > len(
        set(cw_before.values())
    )
    with Workspace.open(copy) as ws:
        for code in ("GA-HJ", "WJ-YM", "RS-SB"):
            restore(ws, code)
        publish_version(ws, "MZ-DB", 1, reason="回滚 / rollback")
    back = json.loads(ok("registry", "build", "-w", copy, "--json"))
    assert back["new_ids"] == 0 and back["revived_ids"] == narrowed["retired_ids"]
    assert _crosswalk(str(back["folder"])) == cw_before


def _crosswalk(folder: str) -> dict[tuple[str, str], str]:
    rows = duckdb.sql(f"SELECT src, rec_key, registry_id FROM {run_table(folder, 'records')}").fetchall()
    return {(str(s), str(k)): str(r) for s, k, r in rows}


def test_build_prints_a_summary(wsdir: str, built: dict[str, object]) -> None:
    # last in the module: it replaces the current run (by the same persons)
    out = ok("registry", "build", "-w", wsdir, "--lang", "en", "-r", "GA-HJ", "-r", "RS-SB")
    assert "persons" in out and "identifiers" in out and "citizen ID" in out
    # -r reads those two again; the others are kept at the versions the registry read
    assert "GA-HJ 31" in out and "MZ-DB 24" in out and "WJ-YM 22" in out
    assert f"new 0, kept {built['clusters']}, merged 0, retired 0" in out
    assert "read at the versions the current registry read" in out and "MZ-DB v1, WJ-YM v1" in out
    # the uncertain pairs and the queue: said as one thing, not two figures that disagree
    m = re.search(r"between the thresholds, of which the (\d+) that ended apart are queued", out)
    assert m is not None, out
    assert f"to review {m.group(1)}" in out


def test_show_says_a_person_has_died(wsdir: str, built: dict[str, object]) -> None:
    """Only --json said so (deceased: true): the CLI showed the dead as 有效 and nothing else."""
    p = make_city(seed=5, background=25).people["dead-alive"]  # dead in 户籍, alive in 社保
    (entry,) = json.loads(ok("registry", "show", p.id_number, "-w", wsdir, "--json"))
    assert entry["golden"]["deceased"] is True
    out = ok("registry", "show", p.id_number, "-w", wsdir)
    first = out.splitlines()[0]
    assert entry["registry_id"] in first and "已故（" in first
    assert "deceased (" in ok("registry", "show", p.id_number, "-w", wsdir, "--lang", "en").splitlines()[0]


def test_pair_and_split_name_records_as_resource_and_key(wsdir: str, built: dict[str, object]) -> None:
    with Workspace.open(wsdir) as ws:
        run_ = current_run(ws)
        assert run_ is not None
        rows = duckdb.sql(
            f"SELECT src, rec_key, registry_id FROM {run_table(ws.warehouse / str(run_.path), 'records')} "
            "ORDER BY src, rec_key"
        ).fetchall()
    by_person: dict[str, list[str]] = {}
    for src, key, rid in rows:
        by_person.setdefault(str(rid), []).append(f"{src}:{key}")
    (pid, recs), (_, others) = [(p, r) for p, r in by_person.items() if len(r) >= 2][:2]
    out = json.loads(
        ok("registry", "pair", recs[0], others[0], "different", "--note", "核实", "-w", wsdir, "--json")
    )
    assert out["status"] == "different" and out["note"] == "核实"
    out = ok("registry", "pair", recs[0], others[0], "different", "-w", wsdir)
    assert "不同" in out and "下次运行" in out
    bad = run("registry", "pair", recs[0].split(":")[0], others[0], "same", "-w", wsdir)
    assert exit_code(bad) == 3 and "资源代码:记录键" in str(bad.exception)
    missing = run("registry", "pair", recs[0], "GA-HJ:no-such-key", "same", "-w", wsdir)
    assert exit_code(missing) == 4 and "GA-HJ:no-such-key" in str(missing.exception)
    assert exit_code(run("registry", "split", pid, others[0], "-w", wsdir)) == 3  # not one of pid's
    out = ok("registry", "split", pid.lower(), recs[-1], "--lang", "en", "-w", wsdir)
    assert f"taken out of {pid.lower()}" in out.replace(pid, pid.lower()) and f"{len(recs) - 1} record" in out


def test_a_share_short_of_all_is_never_shown_as_all() -> None:
    from shuzhi.cli.registry import share_text

    assert [share_text(x) for x in (0.9996, 1.0, 0.5, 0.0, 0.123)] == [
        "99.9%",
        "100.0%",
        "50.0%",
        "0.0%",
        "12.3%",
    ]
