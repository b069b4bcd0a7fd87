"""One build of the person registry: the clusters, golden records, conflicts and outputs."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import duckdb
import pytest
from _people import Built

from shuzhi.registry import lookup
from shuzhi.workspace import Workspace


def _pairs(groups: dict[str, set[tuple[str, str]]]) -> set[tuple[tuple[str, str], tuple[str, str]]]:
    return {(a, b) for members in groups.values() for a, b in itertools.combinations(sorted(members), 2)}


def test_clusters_are_the_true_persons(built: Built) -> None:
    truth = built.city.truth()
    found: dict[str, set[tuple[str, str]]] = {}
    true: dict[str, set[tuple[str, str]]] = {}
    for key, rid in built.crosswalk().items():
        found.setdefault(rid, set()).add(key)
        true.setdefault(truth[key], set()).add(key)
    assert len(built.crosswalk()) == len(truth)  # every record took part
    assert _pairs(found) == _pairs(true)
    assert built.summary.clusters == len(true)


@pytest.mark.parametrize(("a", "b"), [("twin-a", "twin-b"), ("twin-c", "twin-d")])
def test_twins_are_never_merged(built: Built, a: str, b: str) -> None:
    ida, idb = built.person(a), built.person(b)
    assert len(ida) == 1 and len(idb) == 1 and ida != idb


def test_a_record_without_id_linked_to_both_twins_goes_with_the_closer_one(built: Built) -> None:
    assert built.summary.split_by_id == 1
    assert built.summary.vetoed_pairs > 0  # twin pairs, scored high, kept apart by their valid IDs
    (twin_a,) = built.person("twin-a")
    no_id = [k for k, p in built.city.truth().items() if p == "twin-a" and k[0] == "WJ-YM"]
    assert {built.crosswalk()[k] for k in no_id} == {twin_a}


@pytest.mark.parametrize(
    "pid",
    ["id15", "traditional", "traditional-2", "homophone", "typo", "swapped", "minority", "two-births"],
)
def test_noisy_records_of_one_person_are_linked(built: Built, pid: str) -> None:
    assert len(built.person(pid)) == 1, pid


def test_one_id_on_two_different_people_stays_two_persons_and_is_flagged(built: Built) -> None:
    owner, borrower = built.person("id-owner"), built.person("id-borrower")
    assert len(owner) == 1 and len(borrower) == 1 and owner != borrower
    conflicts = {(r, k) for r, k in _conflicts(built)}
    assert {(next(iter(owner)), "shared_id"), (next(iter(borrower)), "shared_id")} <= conflicts


def _conflicts(built: Built) -> list[tuple[str, str]]:
    return [
        (str(r), str(k))
        for r, k in duckdb.sql(
            f"SELECT registry_id, kind FROM read_parquet('{built.summary.folder}/conflicts.parquet')"
        ).fetchall()
    ]


def test_conflicts_are_flagged(built: Built) -> None:
    conflicts = set(_conflicts(built))
    (dead,) = built.person("dead-alive")
    (births,) = built.person("two-births")
    assert (dead, "vital_status") in conflicts
    assert (births, "birth_date") in conflicts
    assert built.summary.conflicts == {"birth_date": 1, "shared_id": 2, "vital_status": 1}
    (entry,) = lookup(built.ws, dead)
    (c,) = entry.conflicts
    assert c["kind"] == "vital_status"
    assert c["detail"]["dead"] == ["GA-HJ"] and c["detail"]["alive"] == ["RS-SB"]
    assert "死亡" in c["label"] and "alive" in c["label"]


def test_golden_record_takes_identity_from_the_priority_source(built: Built) -> None:
    (rid,) = built.person("traditional")
    (entry,) = lookup(built.ws, rid)
    assert entry.golden["name"] == "张伟华"  # 户籍 (priority 10) over 社保's 張偉華
    chosen = [x for x in entry.lineage["name"] if x["chosen"]]
    assert [x["resource"] for x in chosen] == ["GA-HJ"]
    assert entry.golden["resources"] == ["GA-HJ", "RS-SB"] and entry.golden["records"] == 2


def test_golden_record_takes_phone_and_address_from_the_most_recent(built: Built) -> None:
    (rid,) = built.person("moved")
    (entry,) = lookup(built.ws, rid)
    assert entry.golden["phone"] == "18912345678"
    assert entry.golden["address"] == "山西省晋城市泽州县书香苑3号楼1单元502室"
    assert [x["resource"] for x in entry.lineage["phone"] if x["chosen"]] == ["RS-SB"]
    # the birth date still comes from 户籍
    assert [x["resource"] for x in entry.lineage["birth_date"] if x["chosen"]] == ["GA-HJ"]


def test_golden_birth_date_of_a_conflict_is_the_priority_sources(built: Built) -> None:
    (rid,) = built.person("two-births")
    (entry,) = lookup(built.ws, rid)
    assert str(entry.golden["birth_date"]) == "1980-05-06"


def test_the_run_leaves_its_outputs_and_charts(built: Built) -> None:
    folder = Path(built.summary.folder)
    for name in ("records", "pairs", "golden", "conflicts"):
        assert (folder / f"{name}.parquet").is_file()
    assert set(built.summary.charts) == {
        "charts/match_weights.html",
        "charts/m_u_parameters.html",
        "charts/waterfall.html",
    }
    for chart in built.summary.charts:
        html = (folder / chart).read_text(encoding="utf-8")
        assert "vega" in html and "cdn.jsdelivr" not in html  # self-contained, viewable offline
    model = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    assert [c["output_column_name"] for c in model["comparisons"]] == [
        "citizen_id",
        "name",
        "birth_date",
        "sex",
        "phone",
        "address",
    ]
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["run"] == built.summary.run and summary["records"] == built.summary.records


def test_blocking_rules_were_counted_before_running(built: Built) -> None:
    counts = built.summary.blocking
    assert [c.columns for c in counts][:3] == [("id18",), ("id_head",), ("name_py", "dob")]
    assert all(c.pairs >= (c.new_pairs or 0) for c in counts)
    assert counts[-1].cumulative == built.summary.comparisons
    assert built.summary.comparisons >= built.summary.candidate_pairs >= built.summary.matches


def test_a_register_where_no_pair_surely_matches_builds(tmp_path: Path) -> None:
    """Two people of one name and birth date, nobody twice: no pair matches a sure rule, Splink
    estimated the prior match probability as 0 and every later step failed on log2(0) (a
    traceback at a new user's first `shuzhi registry build`)."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq
    from _people import SPECS, id18

    from shuzhi.registry import RegistrySource, RegistrySpec, build

    people = [
        ("张伟", dt.date(1980, 1, 1), "140502"),
        ("张伟", dt.date(1985, 5, 5), "140524"),
        ("张伟", dt.date(1980, 1, 1), "140525"),  # the first one's name and birth date
        ("陈国华", dt.date(1965, 3, 15), "140502"),
        ("李娜", dt.date(1990, 2, 2), "140521"),
        ("王芳", dt.date(1975, 12, 12), "140522"),
        ("赵强", dt.date(1960, 5, 5), "140581"),
        ("欧阳明辉", dt.date(1940, 8, 8), "140524"),
    ]
    sp = SPECS["GA-HJ"]
    rows = {
        "gmsfhm": [id18(r, b, 11 + i) for i, (_, b, r) in enumerate(people)],
        "xm": [n for n, _, _ in people],
        "xb": ["1"] * len(people),
        "csrq": [b for _, b, _ in people],
        "hjdz": [None] * len(people),
        "swrq": [None] * len(people),
    }
    columns = {
        f.name: pa.array(rows[f.name], type=pa.date32() if f.type.value == "date" else pa.string())
        for f in sp.fields
    }
    columns["_row"] = pa.array(range(len(people)), type=pa.int64())
    path = tmp_path / "hj.parquet"
    pq.write_table(pa.table(columns), path)
    with Workspace.init(tmp_path / "ws") as ws:
        summary = build(ws, sources=[RegistrySource(spec=sp, path=path, version=1, registry=RegistrySpec())])
    assert summary.clusters == len(people)  # each their own person; the two 张伟 of 1980 too
