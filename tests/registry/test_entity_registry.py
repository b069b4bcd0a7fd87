"""The legal-entity registry (法人库) on real DuckDB and SQLite stores.

Two set-ups, both from a small generated city (``shuzhi.demo.city.generate``):

* ``demo`` — the city's own catalog and files, declared and loaded by ingestion: the market
  registry (市场主体登记, XLSX) feeds the legal entities and the household registry the persons;
  nothing but the catalog says which field is what;
* ``hand`` — four departmental resources written here from the city's *truth*, with column names
  no generator uses (tyxydm, nsrmc, jgdm …), the noise departments make (codes in lower case,
  full width, with O for 0, mistyped or missing; 有限公司 / 有限责任公司, the city prefix written or
  not, brackets; old organisation codes; branches), and the true entity of every record kept
  beside them: the linkage's pairwise precision and recall are asserted against it.
"""

from __future__ import annotations

import csv
import itertools
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from _people import spec
from typer.testing import CliRunner, Result

from shuzhi.catalog import declare
from shuzhi.cli import app as main_app
from shuzhi.demo.city import generate
from shuzhi.ingest import ingest
from shuzhi.registry import RegistrySource, RunSummary, build, derive_roles, export, lookup, stats, update
from shuzhi.registry._spec import Role
from shuzhi.standards.uscc import ALPHABET, orgcode_check_char, uscc_check_char
from shuzhi.web import create_app
from shuzhi.web._app import API_PREFIX
from shuzhi.web._errors import ERROR_RESPONSES
from shuzhi.web.api import registry as registry_api
from shuzhi.workspace import Workspace

PEOPLE = 1200
SEED = 11


# -- the generated city ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("entity-city") / "city"
    generate(out, people=PEOPLE, seed=SEED)
    return out


def _truth(city: Path, name: str) -> list[dict[str, Any]]:
    return pq.read_table(city / "truth" / f"{name}.parquet").to_pylist()  # type: ignore[no-any-return]


def _pairs(groups: dict[str, set[Any]]) -> set[tuple[Any, Any]]:
    return {(a, b) for members in groups.values() for a, b in itertools.combinations(sorted(members), 2)}


def _pairwise(found: dict[Any, str], true: dict[Any, str]) -> tuple[float, float, int, int]:
    """Pairwise precision and recall of the clusters ``found`` against ``true`` (record -> id)."""
    f: dict[str, set[Any]] = {}
    t: dict[str, set[Any]] = {}
    for k, v in found.items():
        f.setdefault(v, set()).add(k)
    for k, v in true.items():
        t.setdefault(v, set()).add(k)
    pf, pt = _pairs(f), _pairs(t)
    both = len(pf & pt)
    return (both / len(pf) if pf else 1.0, both / len(pt) if pt else 1.0, len(pf), len(pt))


def _crosswalk(summary: RunSummary) -> dict[tuple[str, str], str]:
    rows = duckdb.sql(
        f"SELECT src, rec_key, registry_id FROM read_parquet('{summary.folder}/records.parquet')"
    ).fetchall()
    return {(str(s), str(k)): str(r) for s, k, r in rows}


def _golden(summary: RunSummary) -> dict[str, dict[str, Any]]:
    rows = pq.read_table(Path(summary.folder) / "golden.parquet").to_pylist()
    return {str(r["registry_id"]): r for r in rows}


def _conflicts(summary: RunSummary) -> list[tuple[str, str, Any]]:
    rows = pq.read_table(Path(summary.folder) / "conflicts.parquet").to_pylist()
    return [(str(r["registry_id"]), str(r["kind"]), json.loads(r["detail"])) for r in rows]


# -- set-up 1: the city's own catalog and files -----------------------------------------------------


@dataclass
class Demo:
    ws: Workspace
    city: Path
    persons: RunSummary
    entities: RunSummary


@pytest.fixture(scope="module")
def demo(city: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    manifest = json.loads((city / "manifest.json").read_text(encoding="utf-8"))
    ws = Workspace.init(tmp_path_factory.mktemp("entity-demo") / "ws")
    declare(ws, city / manifest["catalog"])
    wanted = {"SJ-SCZT", "GA-HJRK"}
    for d in manifest["datasets"]:
        if d["resource"] in wanted:
            ingest(ws, d["resource"], city / d["file"], mapping=city / d["mapping"])
    persons = build(ws, "person")
    entities = build(ws, "legal_entity")
    yield Demo(ws, city, persons, entities)
    ws.close()


def test_the_catalog_says_which_resources_feed_the_entity_registry(demo: Demo) -> None:
    assert demo.entities.entity == "legal_entity"
    assert set(demo.entities.resources) == {"SJ-SCZT"}
    assert demo.persons.resources.keys() == {"GA-HJRK"}  # the market registry is not about persons
    from shuzhi.catalog import get_resource

    roles = derive_roles(get_resource(demo.ws, "SJ-SCZT").spec, entity="legal_entity")
    assert roles is not None
    assert roles.roles[Role.uscc] == "uscc" and roles.roles[Role.org_name] == "name"
    assert (
        roles.roles[Role.legal_rep_id] == "legal_rep_id" and roles.roles[Role.legal_rep_name] == "legal_rep"
    )
    assert roles.roles[Role.reg_status] == "status" and roles.roles[Role.reg_date] == "established"
    assert roles.roles[Role.cancel_date] == "cancelled"


def test_every_market_entity_of_the_city_is_one_registry_entity(demo: Demo) -> None:
    truth = [r for r in _truth(demo.city, "records") if r["resource"] == "SJ-SCZT"]
    records = duckdb.sql(
        f"SELECT src_row, rec_key, registry_id FROM read_parquet('{demo.entities.folder}/records.parquet')"
    ).fetchall()
    # records are matched to the truth by their row (a mistyped code is also the record's key)
    by_key = {str(k): int(row) for row, k, _ in records}
    offsets = {by_key[t["key"]] - int(t["row"]) for t in truth if t["key"] in by_key}
    assert len(offsets) == 1
    (offset,) = offsets
    true = {int(t["row"]) + offset: str(t["entity_id"]) for t in truth}
    found = {int(row): str(rid) for row, _, rid in records}
    assert found.keys() == true.keys()
    by_entity: dict[str, set[str]] = {}
    for row, e in true.items():
        by_entity.setdefault(e, set()).add(found[row])
    assert all(len(ids) == 1 for ids in by_entity.values())  # nobody split
    assert len(set(found.values())) == len(by_entity)  # nobody merged
    assert demo.entities.clusters == len(by_entity)


def test_legal_representatives_are_linked_to_the_population_registry(demo: Demo) -> None:
    golden = _golden(demo.entities)
    people = {
        str(p["registry_id"]): p
        for p in pq.read_table(Path(demo.persons.folder) / "golden.parquet").to_pylist()
    }
    linked = [g for g in golden.values() if g["legal_rep_registry_id"]]
    assert len(linked) >= 0.95 * len(golden)
    for g in linked:
        assert g["legal_rep_link"] in ("id_number", "id_number_near", "name_and_place")
        if g["legal_rep_link"] == "id_number":
            assert people[g["legal_rep_registry_id"]]["id_number"] == g["legal_rep_id"]
    # and the person's look-up lists what they represent
    g = linked[0]
    (person,) = lookup(demo.ws, str(g["legal_rep_id"]))
    assert person.registry_id == g["legal_rep_registry_id"]
    assert g["uscc"] in {e["uscc"] for e in person.represents}


# -- set-up 2: a hand-made catalog with other column names ---------------------------------------------


def _org(body8: str) -> str:
    return body8 + orgcode_check_char(body8)


def _code(first8: str, org9: str) -> str:
    first17 = first8 + org9
    return first17 + uscc_check_char(first17)


def _typo(code: str, pos: int) -> str:
    c = ALPHABET[(ALPHABET.index(code[pos]) + 7) % 31]
    return code[:pos] + c + code[pos + 1 :]


_FULL = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})

HAND_SPECS = {
    "SCJG-DJ": spec(
        "SCJG-DJ",
        [
            {"name": "djxh", "label": "登记序号", "key": True},
            {"name": "tyxydm", "label": "统一社会信用代码", "standard": "uscc"},
            {"name": "qymc", "label": "企业名称"},
            {"name": "fddbr", "label": "法定代表人", "standard": "name"},
            {"name": "fddbrsfzh", "label": "法定代表人身份证号", "standard": "idcard"},
            {"name": "zs", "label": "住所", "standard": "address"},
            {"name": "djzt", "label": "登记状态"},
            {"name": "clrq", "label": "成立日期", "type": "date", "standard": "date"},
        ],
        kind="base",
    ),
    "SW-NSR": spec(
        "SW-NSR",
        [
            {"name": "xh", "label": "序号", "key": True},
            {"name": "nsrsbh", "label": "纳税人识别号", "standard": "uscc"},
            {"name": "nsrmc", "label": "纳税人名称"},
            {"name": "frdb", "label": "法人代表", "standard": "name"},
            {"name": "scjydz", "label": "生产经营地址", "standard": "address"},
            {"name": "nszt", "label": "登记状态"},
        ],
    ),
    "ZJ-JGDM": spec(
        "ZJ-JGDM",
        [
            {"name": "jgdm", "label": "组织机构代码", "standard": "orgcode", "key": True},
            {"name": "jgmc", "label": "机构名称"},
            {"name": "jgdz", "label": "机构地址", "standard": "address"},
        ],
    ),
    "FZ-FZJG": spec(
        "FZ-FZJG",
        [
            {"name": "fzbh", "label": "分支机构编号", "key": True},
            {"name": "fzxydm", "label": "统一社会信用代码", "standard": "uscc"},
            {"name": "fzmc", "label": "分支机构名称"},
            {"name": "fzr", "label": "负责人", "standard": "name"},
            {"name": "fzdz", "label": "营业场所", "standard": "address"},
        ],
    ),
    "GA-RK": spec(
        "GA-RK",
        [
            {"name": "sfzh", "label": "公民身份号码", "standard": "idcard", "key": True},
            {"name": "xm", "label": "姓名", "standard": "name"},
            {"name": "csrq", "label": "出生日期", "type": "date", "standard": "date"},
            {"name": "zz", "label": "住址", "standard": "address"},
        ],
        kind="base",
    ),
}


@dataclass
class Hand:
    ws: Workspace
    folder: Path
    tables: dict[str, list[dict[str, Any]]]
    truth: dict[tuple[str, str], str]
    #: special cases: name -> (resource, key)
    cases: dict[str, tuple[str, str]]
    persons: RunSummary
    entities: RunSummary

    def sources(self, tables: dict[str, list[dict[str, Any]]] | None = None) -> list[RegistrySource]:
        out = []
        for code, rows in (tables or self.tables).items():
            path = self.folder / f"{code}-{random.random():.8f}.parquet"
            pq.write_table(pa.Table.from_pylist(rows), path)
            out.append(RegistrySource(spec=HAND_SPECS[code], path=path))
        return out


def _hand_tables(
    city: Path,
) -> tuple[dict[str, list[dict[str, Any]]], dict[tuple[str, str], str], dict[str, tuple[str, str]]]:
    rnd = random.Random(3)
    ents = [e for e in _truth(city, "entities") if e["legal_rep_id"]]
    people = {p["person_id"]: p for p in _truth(city, "persons")}
    market = [e for e in ents if e["kind"] in ("enterprise", "individual", "cooperative")][:70]
    public = [e for e in ents if e["kind"] in ("institution", "organ", "social")][:12]
    companies = [e for e in market if str(e["name"]).endswith("有限公司")]
    tables: dict[str, list[dict[str, Any]]] = {c: [] for c in HAND_SPECS}
    truth: dict[tuple[str, str], str] = {}
    cases: dict[str, tuple[str, str]] = {}

    def add(code: str, key: str, row: dict[str, Any], true_id: str) -> None:
        tables[code].append(row)
        truth[(code, key)] = true_id

    # 市场监管: the market entities, codes written every way a clerk does
    for i, e in enumerate(market):
        code = str(e["uscc"])
        if i % 9 == 1:
            code = f" {code[:6].lower()} {code[6:].lower()} "
        elif i % 9 == 2:
            code = code.translate(_FULL)
        elif i % 9 == 3 and "0" in code:
            code = code.replace("0", "O", 1)
            cases.setdefault("o_for_0", ("SCJG-DJ", f"D{i:04d}"))
        elif i % 13 == 5:
            code = _typo(code, 12)
            cases.setdefault("mistyped", ("SCJG-DJ", f"D{i:04d}"))
        rep = people[e["legal_rep_id"]]
        add(
            "SCJG-DJ",
            f"D{i:04d}",
            {
                "djxh": f"D{i:04d}",
                "tyxydm": code,
                "qymc": e["name"],
                "fddbr": rep["name"],
                "fddbrsfzh": rep["id_number"],
                "zs": e["address"],
                "djzt": "存续" if e["status"] in ("存续", "在业") else e["status"],
                "clrq": e["established"],
            },
            str(e["entity_id"]),
        )
    # 税务: most entities again, names written otherwise, some codes missing or mistyped
    for i, e in enumerate(market[::2] + public):
        name = str(e["name"])
        if name.endswith("有限公司") and not name.endswith("股份有限公司") and i % 4 == 0:
            name = name[: -len("有限公司")] + "有限责任公司"
        elif name.startswith("晋城市") and i % 4 == 1:
            name = name[len("晋城市") :]
        elif i % 4 == 2:
            name = "山西省" + name
        tax_code: str | None = str(e["uscc"])
        if i % 5 == 0:
            tax_code = None
            cases.setdefault("no_code", ("SW-NSR", f"S{i:04d}"))
        elif i % 7 == 3:
            tax_code = _typo(str(e["uscc"]), 15)
        add(
            "SW-NSR",
            f"S{i:04d}",
            {
                "xh": f"S{i:04d}",
                "nsrsbh": tax_code,
                "nsrmc": name,
                "frdb": people[e["legal_rep_id"]]["name"],
                "scjydz": e["address"],
                "nszt": "正常",
            },
            str(e["entity_id"]),
        )
    # deregistered at the tax office, active in the market registry
    e = market[2]
    add(
        "SW-NSR",
        "S9001",
        {
            "xh": "S9001",
            "nsrsbh": e["uscc"],
            "nsrmc": e["name"],
            "frdb": None,
            "scjydz": None,
            "nszt": "注销",
        },
        str(e["entity_id"]),
    )
    cases["deregistered"] = ("SW-NSR", "S9001")
    # one credit code written with a clearly different name (the code is the key: same entity)
    e = market[4]
    add(
        "SW-NSR",
        "S9002",
        {
            "xh": "S9002",
            "nsrsbh": e["uscc"],
            "nsrmc": "晋城市宏远物流运输有限公司",
            "frdb": None,
            "scjydz": None,
            "nszt": "正常",
        },
        str(e["entity_id"]),
    )
    cases["other_name"] = ("SW-NSR", "S9002")
    # a name in full-width brackets with the city inside them, no code
    e = companies[5]
    bracketed = str(e["name"]).removeprefix("晋城市")
    bracketed = bracketed[: -len("有限公司")] + "（晋城）有限公司"
    add(
        "SW-NSR",
        "S9003",
        {
            "xh": "S9003",
            "nsrsbh": None,
            "nsrmc": bracketed,
            "frdb": None,
            "scjydz": e["address"],
            "nszt": "正常",
        },
        str(e["entity_id"]),
    )
    cases["brackets"] = ("SW-NSR", "S9003")
    # 组织机构代码: the old codes, embedded in the credit codes of public bodies and companies
    for e in public + companies[:10]:
        org = str(e["uscc"])[8:17]
        if orgcode_check_char(org[:8]) != org[8]:
            continue
        add(
            "ZJ-JGDM",
            f"{org[:8]}-{org[8]}",
            {"jgdm": f"{org[:8]}-{org[8]}", "jgmc": e["name"], "jgdz": e["address"]},
            str(e["entity_id"]),
        )
        cases.setdefault("org_code", ("ZJ-JGDM", f"{org[:8]}-{org[8]}"))
    # an old organisation code no credit code embeds, with the name of a company that has one:
    # another organisation (the embedded code differs), kept apart
    e = companies[7]
    other = _org(f"{rnd.randint(10_000_000, 99_999_999)}")
    add(
        "ZJ-JGDM",
        f"{other[:8]}-{other[8]}",
        {"jgdm": f"{other[:8]}-{other[8]}", "jgmc": e["name"], "jgdz": None},
        "OLD-" + other,
    )
    cases["other_org"] = ("ZJ-JGDM", f"{other[:8]}-{other[8]}")
    # 分支机构: branches with credit codes of their own, and a tax record of one by name only
    for i, e in enumerate(companies[:5]):
        head = str(e["uscc"])
        branch_code = _code("91140525", _org(f"{rnd.randint(10_000_000, 99_999_999)}"))
        branch_name = f"{e['name']}泽州分公司"
        rep = people[e["legal_rep_id"]]
        add(
            "FZ-FZJG",
            f"F{i:03d}",
            {
                "fzbh": f"F{i:03d}",
                "fzxydm": branch_code,
                "fzmc": branch_name,
                "fzr": rep["name"],
                "fzdz": None,
            },
            "BR-" + str(e["entity_id"]),
        )
        assert branch_code != head
        if i == 0:
            cases["branch"] = ("FZ-FZJG", "F000")
            cases["branch_head"] = next(k for k, v in truth.items() if v == e["entity_id"])
            add(
                "SW-NSR",
                "S9004",
                {
                    "xh": "S9004",
                    "nsrsbh": None,
                    "nsrmc": branch_name.removeprefix("晋城市"),
                    "frdb": None,
                    "scjydz": None,
                    "nszt": "正常",
                },
                "BR-" + str(e["entity_id"]),
            )
            cases["branch_by_name"] = ("SW-NSR", "S9004")
    # 公安: the representatives as persons (for the population registry)
    reps = {e["legal_rep_id"] for e in market + public}
    for pid in sorted(reps):
        p = people[pid]
        tables["GA-RK"].append(
            {"sfzh": p["id_number"], "xm": p["name"], "csrq": p["birth_date"], "zz": p["address"]}
        )
    return tables, truth, cases


@pytest.fixture(scope="module")
def hand(city: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hand]:
    root = tmp_path_factory.mktemp("entity-hand")
    tables, truth, cases = _hand_tables(city)
    ws = Workspace.init(root / "ws")
    h = Hand(ws, root, tables, truth, cases, None, None)  # type: ignore[arg-type]
    srcs = h.sources()
    h.persons = build(ws, "person", sources=[s for s in srcs if s.code == "GA-RK"])
    h.entities = build(ws, "legal_entity", sources=srcs)
    yield h
    ws.close()


def test_hand_made_catalog_roles(hand: Hand) -> None:
    assert set(hand.entities.resources) == {"SCJG-DJ", "SW-NSR", "ZJ-JGDM", "FZ-FZJG"}
    zj = derive_roles(HAND_SPECS["ZJ-JGDM"], entity="legal_entity")
    assert zj is not None and zj.roles[Role.org_code] == "jgdm" and Role.uscc not in zj.roles
    fz = derive_roles(HAND_SPECS["FZ-FZJG"], entity="legal_entity")
    assert fz is not None and fz.roles[Role.legal_rep_name] == "fzr"
    assert derive_roles(HAND_SPECS["GA-RK"], entity="legal_entity") is None


def test_pairwise_accuracy_against_the_truth(hand: Hand) -> None:
    found = _crosswalk(hand.entities)
    assert found.keys() == hand.truth.keys()  # every record took part
    precision, recall, n_found, n_true = _pairwise(found, hand.truth)
    print(f"entity linkage: precision {precision:.4f}, recall {recall:.4f}, pairs {n_found}/{n_true}")
    assert n_true > 30
    assert precision >= 0.99, (precision, n_found, n_true)
    assert recall >= 0.97, (recall, n_found, n_true)
    assert hand.entities.clusters == len(set(hand.truth.values()))


@pytest.mark.parametrize("case", ["o_for_0", "mistyped", "no_code", "brackets", "org_code", "other_name"])
def test_noisy_records_join_their_entity(hand: Hand, case: str) -> None:
    found = _crosswalk(hand.entities)
    key = hand.cases[case]
    true_id = hand.truth[key]
    together = {found[k] for k, v in hand.truth.items() if v == true_id}
    assert len(together) == 1, (case, key)
    assert len([k for k, v in hand.truth.items() if v == true_id]) > 1


def test_an_organisation_code_no_credit_code_embeds_stays_apart(hand: Hand) -> None:
    found = _crosswalk(hand.entities)
    other = found[hand.cases["other_org"]]
    assert list(found.values()).count(other) == 1


def test_branches_are_their_own_entity_with_the_head_office_as_parent(hand: Hand) -> None:
    found = _crosswalk(hand.entities)
    golden = _golden(hand.entities)
    branch, head = found[hand.cases["branch"]], found[hand.cases["branch_head"]]
    assert branch != head
    assert found[hand.cases["branch_by_name"]] == branch  # a branch's record by name goes to it
    assert golden[branch]["branch"] and golden[branch]["parent_id"] == head
    assert not golden[head]["branch"] and golden[head]["parent_id"] is None
    branches = [g for g in golden.values() if g["branch"]]
    assert len(branches) == 5 and all(g["parent_id"] for g in branches)
    (entry,) = lookup(hand.ws, head)
    assert branch in {b["registry_id"] for b in entry.branches}


def test_golden_records_take_the_registration_authority_first(hand: Hand) -> None:
    found = _crosswalk(hand.entities)
    golden = _golden(hand.entities)
    rows = duckdb.sql(
        f"SELECT DISTINCT registry_id FROM read_parquet('{hand.entities.folder}/records.parquet') "
        "WHERE uscc IS NOT NULL"
    ).fetchall()
    coded = {str(r[0]) for r in rows}
    for (src, key), rid in found.items():
        if src != "SCJG-DJ":
            continue
        row = next(r for r in hand.tables["SCJG-DJ"] if r["djxh"] == key)
        g = golden[rid]
        assert g["name"] == row["qymc"]
        assert g["legal_rep_id"] == row["fddbrsfzh"]
        # a code mistyped in the registration record, and valid nowhere else, gives no code
        assert len(g["uscc"]) == 18 if g["uscc"] else rid not in coded
    # each golden name names the record it came from; the lineage of a lookup marks it chosen
    chosen = [g["picks"]["name"] for g in golden.values()]
    assert {c["s"] for c in chosen} >= {"SCJG-DJ"} and all(c["k"] for c in chosen)
    some = next(rid for rid in golden if golden[rid]["picks"]["name"]["s"] == "SCJG-DJ")
    (entry,) = lookup(hand.ws, some)
    (picked,) = [x for x in entry.lineage["name"] if x["chosen"]]
    assert (picked["resource"], picked["key"]) == ("SCJG-DJ", golden[some]["picks"]["name"]["k"])
    assert picked["value"] == golden[some]["name"]


def test_conflicts_are_flagged(hand: Hand) -> None:
    found = _crosswalk(hand.entities)
    conflicts = {(rid, kind): detail for rid, kind, detail in _conflicts(hand.entities)}
    dereg = found[hand.cases["deregistered"]]
    assert conflicts[(dereg, "status")] == {"ended": ["SW-NSR"], "active": ["SCJG-DJ", "SW-NSR"]}
    renamed = found[hand.cases["other_name"]]
    names = {n["name"] for n in conflicts[(renamed, "names")]}
    assert "晋城市宏远物流运输有限公司" in names and len(names) == 2
    # a prefix written or not, 有限责任公司 for 有限公司: not a conflict
    assert sum(1 for _, kind in conflicts if kind == "names") == 1


def test_representatives_link_to_persons_by_id_number(hand: Hand) -> None:
    golden = _golden(hand.entities)
    people = {
        str(r["registry_id"]): r
        for r in pq.read_table(Path(hand.persons.folder) / "golden.parquet").to_pylist()
    }
    with_id = [g for g in golden.values() if g["legal_rep_id"]]
    assert with_id and all(g["legal_rep_link"] == "id_number" for g in with_id)
    assert all(people[g["legal_rep_registry_id"]]["id_number"] == g["legal_rep_id"] for g in with_id)


def test_lookup_by_any_written_form(hand: Hand) -> None:
    row = hand.tables["SCJG-DJ"][0]
    (entry,) = lookup(hand.ws, row["qymc"])  # the name …
    uscc = entry.golden["uscc"]
    assert uscc and entry.registry_id.startswith("E") and len(entry.registry_id) == 13
    for query in (
        uscc,
        uscc.lower(),
        f"{uscc[:6]} {uscc[6:]}",
        uscc.translate(_FULL),
        entry.registry_id,
        "山西省" + row["qymc"],
    ):
        assert [e.registry_id for e in lookup(hand.ws, query)] == [entry.registry_id], query
    org = entry.golden["org_code"]
    if org:
        assert [e.registry_id for e in lookup(hand.ws, f"{org[:8]}-{org[8]}")] == [entry.registry_id]
    assert {r["resource"] for r in entry.records} >= {"SCJG-DJ"}
    assert entry.lineage["name"][0]["chosen"]


def test_stats_and_export_have_the_person_crosswalk_columns(hand: Hand, tmp_path: Path) -> None:
    s = stats(hand.ws, entity="legal_entity")
    assert s["entities"] == s["count"] == hand.entities.clusters
    assert s["branches"] == 5 and s["branches_with_parent"] == 5
    assert s["legal_reps_linked"] > 0
    e = export(hand.ws, tmp_path / "e", "csv", entity="legal_entity")
    p = export(hand.ws, tmp_path / "p", "csv", entity="person")
    with open(e["crosswalk"], encoding="utf-8") as fe, open(p["crosswalk"], encoding="utf-8") as fp:
        rows = list(csv.DictReader(fe))
        assert list(rows[0]) == list(next(csv.DictReader(fp))) == ["resource", "record_key", "registry_id"]
    assert {(r["resource"], r["record_key"]) for r in rows} == set(hand.truth)
    with open(e["golden"], encoding="utf-8") as fg:
        header = next(csv.reader(fg))
    assert {"uscc", "legal_rep_registry_id", "parent_id", "status"} <= set(header)


def test_identifiers_survive_a_new_version_of_one_source(hand: Hand) -> None:
    before = _crosswalk(hand.entities)
    tables = {k: list(v) for k, v in hand.tables.items() if k != "GA-RK"}
    dropped = tables["SW-NSR"].pop(1)  # a record gone …
    tables["SW-NSR"].append(dict(tables["SW-NSR"][0], xh="S9999"))  # … and a new one
    again = update(hand.ws, "legal_entity", sources=hand.sources(tables))
    after = _crosswalk(again)
    assert again.run > hand.entities.run
    assert any("完整构建" in n for n in again.notes)
    kept = [k for k in before if k in after]
    assert len(kept) == len(before) - 1 and ("SW-NSR", dropped["xh"]) not in after
    assert all(before[k] == after[k] for k in kept)
    assert after[("SW-NSR", "S9999")] == after[("SW-NSR", tables["SW-NSR"][0]["xh"])]
    assert again.new_ids == 0 and again.inherited_ids == again.clusters


# -- the command line and the API ---------------------------------------------------------------------


def _app() -> typer.Typer:
    if any(g.name == "registry" for g in main_app.registered_groups):
        return main_app
    from shuzhi.cli.registry import register

    app = typer.Typer()
    app.command("noop", hidden=True)(lambda: None)
    register(app)
    return app


def _run(*args: str) -> Result:
    return CliRunner().invoke(_app(), list(args), env={"COLUMNS": "200"})


def _ok(*args: str) -> str:
    result = _run(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_cli_builds_both_registries_and_shows_entities(demo: Demo) -> None:
    ws = str(demo.ws.path)
    runs = json.loads(_ok("registry", "build", "--entity", "all", "-w", ws, "--json"))
    assert [r["entity"] for r in runs] == ["person", "legal_entity"]
    assert runs[1]["new_ids"] == 0 and runs[1]["clusters"] == demo.entities.clusters
    golden = _golden(demo.entities)
    g = next(g for g in golden.values() if g["legal_rep_registry_id"])
    shown = json.loads(_ok("registry", "show", str(g["uscc"]).lower(), "-w", ws, "--json"))
    assert [e["registry_id"] for e in shown] == [g["registry_id"]]
    assert shown[0]["entity"] == "legal_entity" and shown[0]["golden"]["legal_rep_registry_id"]
    out = _ok("registry", "show", g["registry_id"], "-w", ws, "--lang", "en")
    assert g["uscc"] in out and "representative's registry id" in out  # labelled for a clerk
    person = _ok("registry", "show", g["legal_rep_registry_id"], "-w", ws)
    assert "担任法定代表人的法人" in person and g["registry_id"] in person
    business = {"active": "存续", "deregistered": "注销", "revoked": "吊销"}[str(g["status"])]
    row = next(line for line in person.splitlines() if g["registry_id"] in line)
    assert business in row and str(g["status"]) not in row  # the business status, in Chinese
    out = _ok("registry", "stats", "--entity", "entity", "-w", ws)
    assert "法人库" in out and "法定代表人关联到人口库" in out
    files = json.loads(
        _ok("registry", "export", str(demo.ws.path / "out"), "--kind", "legal_entity", "-w", ws, "--json")
    )
    assert Path(files["crosswalk"]).is_file()
    bad = _run("registry", "stats", "--entity", "company", "-w", ws)
    assert bad.exit_code != 0


@pytest.fixture
async def client(hand: Hand) -> Any:
    app = create_app(hand.ws)
    if not any(getattr(r, "path", "").startswith(f"{API_PREFIX}/registry") for r in app.routes):
        app.include_router(registry_api.router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://shuzhi.test") as c:
        yield c


@pytest.mark.anyio
async def test_api_looks_up_entities(client: httpx.AsyncClient, hand: Hand) -> None:
    row = hand.tables["SCJG-DJ"][0]
    r = await client.get(f"{API_PREFIX}/registry/lookup", params={"q": row["qymc"]})
    assert r.status_code == 200, r.text
    (entry,) = r.json()["entries"]
    rid, uscc = entry["registry_id"], entry["golden"]["uscc"]
    r = await client.get(
        f"{API_PREFIX}/registry/lookup", params={"q": uscc.lower(), "entity": "legal_entity"}
    )
    assert [e["registry_id"] for e in r.json()["entries"]] == [rid]
    r = await client.get(f"{API_PREFIX}/registry/{rid}")
    assert r.status_code == 200 and r.json()["golden"]["uscc"] == uscc
    rep = entry["golden"]["legal_rep_registry_id"]
    r = await client.get(f"{API_PREFIX}/registry/{rep}")
    assert rid in {e["registry_id"] for e in r.json()["represents"]}
    r = await client.get(f"{API_PREFIX}/registry/stats", params={"entity": "legal_entity"})
    assert r.status_code == 200 and r.json()["entities"] == hand.entities.clusters
    r = await client.get(f"{API_PREFIX}/registry/export/crosswalk", params={"entity": "legal_entity"})
    assert r.status_code == 200 and r.text.splitlines()[0] == "resource,record_key,registry_id"
    r = await client.get(f"{API_PREFIX}/registry/lookup", params={"q": uscc, "entity": "person"})
    assert r.status_code == 422


def test_entity_identifiers_and_history_on_either_database(
    city: Path, tmp_path: Path, store_url: str
) -> None:
    import sqlalchemy as sa

    from shuzhi.store import RegistryEvent, RegistryIdentifier, RegistryRun

    tables, _, cases = _hand_tables(city)
    tables = {k: v for k, v in tables.items() if k in ("SCJG-DJ", "SW-NSR")}
    ws = Workspace.init(tmp_path / "ws", store_url=None if store_url.startswith("sqlite") else store_url)
    try:
        h = Hand(ws, tmp_path, tables, {}, cases, None, None)  # type: ignore[arg-type]
        # first the market registry alone, then with the tax office's records: every entity keeps
        # its identifier, the tax office's own (public bodies) get new ones
        first = build(ws, "legal_entity", sources=h.sources({"SCJG-DJ": tables["SCJG-DJ"]}))
        second = build(ws, "legal_entity", sources=h.sources())
        before, after = _crosswalk(first), _crosswalk(second)
        assert all(after[k] == v for k, v in before.items())
        with ws.session() as s:
            ids = s.scalars(
                sa.select(RegistryIdentifier).where(RegistryIdentifier.entity == "legal_entity")
            ).all()
            runs = s.scalars(sa.select(RegistryRun).order_by(RegistryRun.id)).all()
            assert [(r.entity, r.status) for r in runs] == [("legal_entity", "succeeded")] * 2
            assert all(i.registry_id.startswith("E") and len(i.registry_id) == 13 for i in ids)
            assert {i.registry_id for i in ids} == set(after.values())
            assert s.scalars(sa.select(RegistryEvent)).all() == []  # nothing merged or split
        assert stats(ws, entity="legal_entity")["identifiers"] == {"active": second.clusters}
        assert second.inherited_ids == first.clusters and second.new_ids == second.clusters - first.clusters
    finally:
        ws.close()
