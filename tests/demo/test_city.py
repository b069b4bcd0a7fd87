"""The synthetic city: deterministic, valid where it should be, and its truth accounts for everything."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from shuzhi._yaml import load_model
from shuzhi.catalog.spec import CatalogFile
from shuzhi.demo.city import Noise, generate, parse_noise
from shuzhi.errors import ValidationError
from shuzhi.ingest.mapping import load_mapping
from shuzhi.standards.idcard import check_idcard
from shuzhi.standards.uscc import check_uscc

PEOPLE = 3000
SEED = 2026


# ---------------------------------------------------------------------------------------------
# reading a generated city back


def manifest(out: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return doc


def read_rows(out: Path, ds: dict[str, Any]) -> list[dict[str, Any]]:
    """The records of one dataset in file order, keyed by the department's column names."""
    path = out / ds["file"]
    if ds["format"] == "csv":
        text = path.read_bytes().decode(
            {"gbk": "gbk", "utf-8": "utf-8", "utf-8-sig": "utf-8-sig"}[ds["encoding"]]
        )
        delimiter = "|" if "|" in text.split("\n", 1)[0] else ","
        return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))
    if ds["format"] == "json":
        doc = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(doc, list):
            return doc
        rows: list[dict[str, Any]] = []
        for h in doc["data"]["households"]:
            parent = {f"households.{k}": v for k, v in h.items() if k != "members"}
            rows += [{**parent, **m} for m in h["members"]]
        return rows
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    header = [str(h) for h in sheet[1]]
    return [dict(zip(header, r, strict=True)) for r in sheet[2:]]


def truth(out: Path, name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(out / "truth" / f"{name}.parquet").to_pylist()
    return rows


def anomalies_of(out: Path) -> list[dict[str, str]]:
    text = (out / "truth" / "anomalies.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city")
    generate(out, people=PEOPLE, seed=SEED)
    return out


@pytest.fixture(scope="module")
def datasets(city: Path) -> dict[str, dict[str, Any]]:
    return {d["resource"]: d for d in manifest(city)["datasets"]}


@pytest.fixture(scope="module")
def rows(city: Path, datasets: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    return {code: read_rows(city, ds) for code, ds in datasets.items()}


@pytest.fixture(scope="module")
def persons(city: Path) -> dict[str, dict[str, Any]]:
    return {p["person_id"]: p for p in truth(city, "persons")}


# ---------------------------------------------------------------------------------------------
# determinism


def test_same_seed_gives_the_same_bytes_and_another_seed_another_city(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, people=800, seed=7)
    generate(b, people=800, seed=7)
    generate(c, people=800, seed=8)
    da, db, dc = digest(a), digest(b), digest(c)
    assert da == db
    assert len(da) >= 20
    changed = [f for f in da if da[f] != dc[f]]
    assert all(f in changed for f in da if f.startswith(("data/", "truth/", "geo/")))


# ---------------------------------------------------------------------------------------------
# the catalog, the mappings and the manifest


def test_catalog_and_mappings_load_and_every_mapped_field_exists(city: Path) -> None:
    cat = load_model(CatalogFile, city / "catalog.yaml")
    m = manifest(city)
    assert len(m["datasets"]) >= 8
    resources = {r.code: r for r in cat.resources}
    departments = {d.code for d in cat.departments}
    assert set(resources) == {d["resource"] for d in m["datasets"]}
    for ds in m["datasets"]:
        assert (city / ds["file"]).is_file()
        r = resources[ds["resource"]]
        assert r.department in departments
        assert r.key_fields, f"{r.code} has no key"
        mapping = load_mapping(city / ds["mapping"])
        assert mapping.resource == r.code
        fields = {f.name for f in r.fields}
        assert set(mapping.fields()) == fields, r.code  # every field fed, nothing unknown
    formats = {d["format"] for d in m["datasets"]}
    encodings = {d["encoding"] for d in m["datasets"]}
    assert {"csv", "excel", "json"} <= formats and {"gbk", "utf-8"} <= encodings


def test_manifest_rows_and_mapped_columns_match_the_files(
    city: Path, datasets: dict[str, dict[str, Any]], rows: dict[str, list[dict[str, Any]]]
) -> None:
    for code, ds in datasets.items():
        got = rows[code]
        assert len(got) == ds["rows"] > 0, code
        mapping = load_mapping(city / ds["mapping"])
        assert set(mapping.columns) <= set(got[0]), code
    gbk = [d for d in datasets.values() if d["encoding"] == "gbk"]
    assert gbk and all(b"\xef\xbb\xbf" != (city / d["file"]).read_bytes()[:3] for d in gbk)
    assert (city / datasets["WJ-JKDA"]["file"]).read_bytes()[:3] == b"\xef\xbb\xbf"


# ---------------------------------------------------------------------------------------------
# the truth


def test_truth_accounts_for_every_source_record(
    city: Path, datasets: dict[str, dict[str, Any]], persons: dict[str, dict[str, Any]]
) -> None:
    records = truth(city, "records")
    entities = {e["entity_id"] for e in truth(city, "entities")}
    by: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by.setdefault(r["resource"], []).append(r)
    assert set(by) == set(datasets)
    for code, ds in datasets.items():
        recs = by[code]
        assert [r["row"] for r in recs] == list(range(1, ds["rows"] + 1)), code
        for r in recs:
            assert (r["person_id"] is None) != (r["entity_id"] is None)
            assert r["person_id"] is None or r["person_id"] in persons
            assert r["entity_id"] is None or r["entity_id"] in entities


def test_the_authority_is_exact(
    rows: dict[str, list[dict[str, Any]]], city: Path, persons: dict[str, dict[str, Any]]
) -> None:
    recs = [r for r in truth(city, "records") if r["resource"] == "GA-HJRK"]
    assert len(recs) == len(persons) == PEOPLE
    for row, rec in zip(rows["GA-HJRK"], recs, strict=True):
        p = persons[rec["person_id"]]
        assert row["公民身份号码"] == p["id_number"]
        assert row["姓名"] == p["name"]
        assert row["户籍地址"] == p["address"]
        assert row["出生日期"] == p["birth_date"].strftime("%Y%m%d")


ID_COLUMNS = {
    "GA-HJRK": "公民身份号码",
    "WJ-JKDA": "身份證號",
    "RS-YLDY": "社会保障号码",
    "MZ-DBJZ": "身份证号码",
    "MZ-GLBT": "身份证号",
    "JY-XJXX": "身份证件号",
    "JJ-JDCXX": "身份证明号码",
    "WG-RKCJ": "证件号码",
}


def test_every_id_and_credit_code_is_valid_unless_changed_on_purpose(
    city: Path, rows: dict[str, list[dict[str, Any]]], persons: dict[str, dict[str, Any]]
) -> None:
    changes = truth(city, "changes")
    changed = {(c["resource"], c["row"], c["column"]): c for c in changes}
    records = {(r["resource"], r["row"]): r for r in truth(city, "records")}
    entities = {e["entity_id"]: e for e in truth(city, "entities")}
    seen = Counter()
    for code, column in ID_COLUMNS.items():
        for i, row in enumerate(rows[code], start=1):
            written = row[column]
            rec = records[(code, i)]
            if rec["entity_id"] is not None:  # a company's car: its credit code
                assert written == entities[rec["entity_id"]]["uscc"]
                assert check_uscc(written).valid
                continue
            true_id = persons[rec["person_id"]]["id_number"]
            c = changed.get((code, i, column))
            seen[c["kind"] if c else "same"] += 1
            if c is None:
                assert written == true_id, (code, i)
                continue
            assert c["true_value"] == true_id and (c["written_value"] or "") == (
                written if written != "/" else ""
            )
            if c["kind"] == "missing":
                assert written in ("", "/")
                continue
            v = check_idcard(written)
            assert v.valid == c["still_valid"], (code, i, written, c["kind"])
            if v.valid:
                assert v.normalized == true_id
    assert seen["same"] > 0 and seen["id_typo"] > 0 and seen["legacy_15"] > 0 and seen["lowercase_x"] > 0
    # credit codes: the registry's own, corrupted only where the truth says so
    for i, row in enumerate(rows["SJ-SCZT"], start=1):
        ent = entities[records[("SJ-SCZT", i)]["entity_id"]]
        c = changed.get(("SJ-SCZT", i, "统一社会信用代码"))
        v = check_uscc(row["统一社会信用代码"])
        assert v.valid == (c is None), (i, row["统一社会信用代码"])
        assert (row["统一社会信用代码"] == ent["uscc"]) == (c is None)
        assert "uscc.orgcode_check" not in v.notes
        assert check_idcard(row["法定代表人证件号码"]).valid
    for e in entities.values():
        assert check_uscc(e["uscc"]).valid


def test_name_changes_in_the_truth_match_the_files(
    city: Path, rows: dict[str, list[dict[str, Any]]], persons: dict[str, dict[str, Any]]
) -> None:
    changes = [c for c in truth(city, "changes") if c["field"] == "name"]
    assert {"homophone", "traditional"} <= {c["kind"] for c in changes}
    records = {(r["resource"], r["row"]): r for r in truth(city, "records")}
    changed = {(c["resource"], c["row"]) for c in changes}
    for code, column in (("WJ-JKDA", "姓名"), ("RS-YLDY", "姓名"), ("WG-RKCJ", "姓名")):
        for i, row in enumerate(rows[code], start=1):
            true = persons[records[(code, i)]["person_id"]]["name"]
            assert (row[column] != true) == ((code, i) in changed), (code, i, row[column], true)


def test_every_planted_pension_after_death_is_in_the_truth(
    city: Path, rows: dict[str, list[dict[str, Any]]], persons: dict[str, dict[str, Any]]
) -> None:
    anomalies = anomalies_of(city)
    kinds = Counter(a["kind"] for a in anomalies)
    assert kinds["pension_after_death"] > 0 and kinds["subsidy_after_death"] > 0
    flagged = {int(a["row"]) for a in anomalies if a["kind"] == "pension_after_death"}
    records = [r for r in truth(city, "records") if r["resource"] == "RS-YLDY"]
    expected = set()
    for row, rec in zip(rows["RS-YLDY"], records, strict=True):
        p = persons[rec["person_id"]]
        period = date(int(row["待遇所属期"][:4]), int(row["待遇所属期"][4:]), 1)
        if p["status"] == "死亡" and period > p["status_date"]:
            expected.add(rec["row"])
    assert flagged == expected and expected
    for a in anomalies:
        assert a["person_id"] or a["entity_id"]
        assert a["resource"] in ID_COLUMNS or a["resource"] == "SJ-SCZT"


def test_a_clean_city_has_no_messes(tmp_path: Path) -> None:
    generate(tmp_path, people=600, seed=3, noise=Noise.clean())
    assert pq.read_table(tmp_path / "truth" / "changes.parquet").num_rows == 0
    anomalies = anomalies_of(tmp_path)
    assert not any(a["planted"] == "true" for a in anomalies)


# ---------------------------------------------------------------------------------------------
# the people


def _pyramid() -> list[tuple[int, int, float, float]]:
    from shuzhi.demo.city._data import read_table

    return [
        (int(r["age_from"]), int(r["age_to"]), float(r["male"]), float(r["female"]))
        for r in read_table("census2020_pyramid")
    ]


def test_age_and_sex_follow_the_census() -> None:
    from shuzhi.demo.city._people import make_people, vocabulary

    p = make_people(60_000, vocabulary(), np.random.default_rng(5))
    table = _pyramid()
    total = sum(m + f for _, _, m, f in table)
    for lo, hi, m, f in table:
        for sex, share in ((1, m / total), (2, f / total)):
            got = float(np.mean((p.sex == sex) & (p.age >= lo) & (p.age <= hi)))
            assert abs(got - share) < 0.006, (lo, sex, got, share)
    ratio = 100 * np.sum(p.sex == 1) / np.sum(p.sex == 2)
    assert 102 < ratio < 108


def test_the_city_keeps_the_structure(persons: dict[str, dict[str, Any]]) -> None:
    ages = np.array([p["age"] for p in persons.values()])
    assert 0.14 < np.mean(ages < 15) < 0.22 and 0.15 < np.mean(ages >= 60) < 0.23


def test_same_names_are_as_common_as_in_life() -> None:
    from shuzhi.demo.city._people import make_people, vocabulary

    v = vocabulary()
    p = make_people(100_000, v, np.random.default_rng(9))
    names = Counter(p.names(v).to_pylist())
    shared = sum(c for c in names.values() if c > 1) / p.n
    top_name, top = names.most_common(1)[0]
    assert 0.05 < shared < 0.5  # a namesake in a town of 100,000
    assert top / p.n < 0.002, top_name  # 张伟 is about 0.02 % of China
    surnames = Counter(v.surnames[s] for s in p.surname)
    assert {"王", "李", "张"} <= {s for s, _ in surnames.most_common(5)}
    assert 0.05 < surnames.most_common(1)[0][1] / p.n < 0.10


def test_households_share_an_address(
    city: Path, rows: dict[str, list[dict[str, Any]]], persons: dict[str, dict[str, Any]]
) -> None:
    by_hh: dict[str, set[str]] = {}
    for p in persons.values():
        by_hh.setdefault(p["household_id"], set()).add(p["address"])
    assert all(len(a) == 1 for a in by_hh.values())
    by_no: dict[str, set[str]] = {}
    for r in rows["GA-HJRK"]:
        by_no.setdefault(r["户号"], set()).add(r["户籍地址"])
    assert all(len(a) == 1 for a in by_no.values())
    assert sum(1 for r in rows["GA-HJRK"] if r["与户主关系"] == "户主") == len(by_no)


def test_life_events_are_there(
    persons: dict[str, dict[str, Any]], rows: dict[str, list[dict[str, Any]]]
) -> None:
    ps = list(persons.values())
    status = Counter(p["status"] for p in ps)
    assert status["死亡"] > 0 and status["迁出"] > 0
    twins = [p for p in ps if p["twin_of"]]
    assert twins
    for t in twins:
        o = persons[t["twin_of"]]
        assert o["twin_of"] == t["person_id"] and o["birth_date"] == t["birth_date"]
        assert o["household_id"] == t["household_id"]
        assert o["id_number"] != t["id_number"]
    assert any(p["former_name"] for p in ps)
    assert any(r["曾用名"] for r in rows["GA-HJRK"])
    assert any(p["previous_address"] for p in ps)
    assert any(p["born_elsewhere"] and not p["id_number"].startswith("1405") for p in ps)
    assert any(p["id_number"][:6] in ("140503", "140523") for p in ps)  # codes retired since
    assert any("·" in p["name"] for p in ps)  # minority names with the middle dot
    assert 0.85 < np.mean([p["ethnic"] == "01" for p in ps]) < 0.96


def test_grid_cells_cover_every_household(city: Path, persons: dict[str, dict[str, Any]]) -> None:
    doc = json.loads((city / "geo" / "grid.geojson").read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    codes = set()
    for f in doc["features"]:
        ring = f["geometry"]["coordinates"][0]
        assert f["geometry"]["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) == 5
        assert all(111.5 < x < 114.0 and 35.0 < y < 36.5 for x, y in ring)  # around 晋城, WGS-84
        codes.add(f["properties"]["grid_code"])
    assert {p["grid_code"] for p in persons.values()} <= codes


def test_noise_rates_are_parsed_and_checked() -> None:
    n = parse_noise(["id_typo=0.1", "traditional = 0"])
    assert n.id_typo == 0.1 and n.traditional == 0.0 and n.missing_phone == Noise().missing_phone
    with pytest.raises(ValidationError, match="unknown noise parameter"):
        parse_noise(["nope=0.1"])
    with pytest.raises(ValidationError, match="0–1"):
        parse_noise(["id_typo=2"])
    with pytest.raises(ValidationError, match="name=rate"):
        parse_noise(["id_typo"])


def test_record_lines_are_where_the_records_are(city: Path, datasets: dict[str, dict[str, Any]]) -> None:
    recs = {(r["resource"], r["row"]): r for r in truth(city, "records")}
    ga = datasets["GA-HJRK"]
    lines = (city / ga["file"]).read_bytes().decode("gbk").split("\n")
    for row in (1, ga["rows"]):
        r = recs[("GA-HJRK", row)]
        assert lines[r["line"] - 1].startswith(r["key"] + ",")
    assert recs[("SJ-SCZT", 1)]["line"] == 3  # a title row, the header, then the records
    assert recs[("MZ-DBJZ", 1)]["line"] == 1
