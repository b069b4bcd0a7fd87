"""``shuzhi.registry._evaluate``: pairwise and B-cubed figures of a crosswalk against a truth, on
small hand-made crosswalks whose figures are worked out by hand in the comments."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _people import Built

from shuzhi import errors
from shuzhi.registry._evaluate import evaluate, read_crosswalk

# clusters P1 = {A1, A2, B1}, P2 = {B2}, P3 = {B3}; true x = {A1, A2}, y = {B1, B2}, z = {B3}
CROSSWALK = [
    ("A", "1", "P1"),
    ("A", "2", "P1"),
    ("B", "1", "P1"),
    ("B", "2", "P2"),
    ("B", "3", "P3"),
    ("C", "9", "P9"),  # not in the truth: unlabelled
    ("A", "4", "P4"),  # in the truth without a true id: unlabelled
]
TRUTH = [
    ("A", "1", "x"),
    ("A", "2", "x"),
    ("B", "1", "y"),
    ("B", "2", "y"),
    ("B", "3", "z"),
    ("A", "3", "x"),  # never reached the registry: missing
    ("A", "4", None),
    ("Z", "1", "q"),  # a resource the crosswalk does not have: ignored
]


def test_overall_figures_by_hand() -> None:
    r = evaluate(CROSSWALK, TRUTH, twins=[("x", "y"), ("z", "y"), ("z", "z")])
    o = r.overall
    assert (o.records, o.clusters, o.entities) == (5, 3, 3)
    # predicted pairs: C(3,2) in P1 = 3; true: 1 in x + 1 in y = 2; correct: A1-A2 only
    assert (o.predicted_pairs, o.true_pairs, o.correct_pairs) == (3, 2, 1)
    assert o.precision == pytest.approx(1 / 3) and o.recall == pytest.approx(1 / 2)
    assert o.f1 == pytest.approx(0.4)
    # B-cubed precision: A1 2/3, A2 2/3, B1 1/3, B2 1, B3 1 -> 11/15; recall 1, 1, 1/2, 1/2, 1 -> 4/5
    assert o.bcubed_precision == pytest.approx(11 / 15) and o.bcubed_recall == pytest.approx(4 / 5)
    assert o.bcubed_f1 == pytest.approx(2 * (11 / 15) * (4 / 5) / (11 / 15 + 4 / 5))
    assert (o.over_merged, o.split, o.twins_merged) == (1, 1, 1)  # P1; y; x with y
    assert (r.unlabelled, r.missing) == (2, 1)


def test_per_resource_figures_by_hand() -> None:
    r = evaluate(CROSSWALK, TRUTH, twins=[("y", "x")])
    assert list(r.resources) == ["A", "B"]
    a, b = r.resources["A"], r.resources["B"]
    # pairs touching A: predicted C(3,2) - C(1,2) = 3 in P1; true 1 (A1-A2); correct 1
    assert (a.records, a.predicted_pairs, a.true_pairs, a.correct_pairs) == (2, 3, 1, 1)
    assert a.precision == pytest.approx(1 / 3) and a.recall == 1.0
    assert a.bcubed_precision == pytest.approx(2 / 3) and a.bcubed_recall == 1.0
    assert (a.clusters, a.entities, a.over_merged, a.split, a.twins_merged) == (1, 1, 1, 0, 1)
    # pairs touching B: predicted C(3,2) - C(2,2) = 2 in P1; true 1 (B1-B2); correct none
    assert (b.records, b.predicted_pairs, b.true_pairs, b.correct_pairs) == (3, 2, 1, 0)
    assert (b.precision, b.recall, b.f1) == (0.0, 0.0, 0.0)
    # B-cubed: precision (1/3 + 1 + 1) / 3, recall (1/2 + 1/2 + 1) / 3
    assert b.bcubed_precision == pytest.approx(7 / 9) and b.bcubed_recall == pytest.approx(2 / 3)
    assert (b.clusters, b.entities, b.over_merged, b.split, b.twins_merged) == (3, 2, 1, 1, 1)
    assert r.to_dict()["resources"]["B"]["f1"] == 0.0


def test_perfect_and_singleton_crosswalks() -> None:
    truth = [("S", str(i), f"t{i // 3}") for i in range(9)]
    perfect = evaluate([(s, k, f"R{t}") for s, k, t in truth], truth).overall
    assert (perfect.precision, perfect.recall, perfect.bcubed_f1) == (1.0, 1.0, 1.0)
    assert (perfect.over_merged, perfect.split, perfect.twins_merged) == (0, 0, None)
    alone = evaluate([(s, k, f"R{k}") for s, k, _ in truth], truth).overall
    # nothing predicted: precision 1 by convention, recall 0; B-cubed precision 1, recall 1/3
    assert (alone.predicted_pairs, alone.precision, alone.recall) == (0, 1.0, 0.0)
    assert alone.bcubed_recall == pytest.approx(1 / 3) and alone.split == 3
    # a record without a registry id is a cluster of its own
    none = evaluate([("S", "0", None), ("S", "1", None)], [("S", "0", "t"), ("S", "1", "t")]).overall
    assert (none.clusters, none.predicted_pairs, none.true_pairs) == (2, 0, 1)


def test_figures_agree_with_enumerated_pairs_on_random_crosswalks() -> None:
    rng = random.Random(7)
    for _ in range(20):
        n = rng.randint(1, 40)
        recs = [(rng.choice("ABC"), str(i)) for i in range(n)]
        truth = [(s, k, f"t{rng.randint(0, n // 3)}") for s, k in recs]
        cw = [(s, k, f"c{rng.randint(0, n // 2)}") for s, k in recs]
        r = evaluate(cw, truth)
        tid = {(s, k): t for s, k, t in truth}
        cid = {(s, k): c for s, k, c in cw}
        for scope, acc in [("*", r.overall), *r.resources.items()]:
            pairs = [
                (x, y) for x, y in itertools.combinations(recs, 2) if scope == "*" or scope in (x[0], y[0])
            ]
            pred = sum(cid[x] == cid[y] for x, y in pairs)
            true = sum(tid[x] == tid[y] for x, y in pairs)
            both = sum(cid[x] == cid[y] and tid[x] == tid[y] for x, y in pairs)
            assert (acc.predicted_pairs, acc.true_pairs, acc.correct_pairs) == (pred, true, both)
            mine = [x for x in recs if scope == "*" or x[0] == scope]
            bp = sum(
                sum(cid[y] == cid[x] and tid[y] == tid[x] for y in recs) / sum(cid[y] == cid[x] for y in recs)
                for x in mine
            )
            assert acc.bcubed_precision == pytest.approx(bp / len(mine))


def test_reads_files_with_the_export_and_run_column_names(tmp_path: Path) -> None:
    cw = pa.table(
        {
            "resource": [s for s, _, _ in CROSSWALK],
            "record_key": [k for _, k, _ in CROSSWALK],
            "registry_id": [c for _, _, c in CROSSWALK],
        }
    )
    pq.write_table(cw, tmp_path / "crosswalk.parquet")
    run = cw.rename_columns(["src", "rec_key", "registry_id"])
    truth = pa.table(
        {
            "resource": [s for s, _, _ in TRUTH],
            "key": [k for _, k, _ in TRUTH],
            "person_id": [t for _, _, t in TRUTH],
        }
    )
    duckdb.sql("SELECT * FROM truth").write_csv(str(tmp_path / "truth.csv"))
    pq.write_table(pa.table({"a": ["x"], "b": ["y"]}), tmp_path / "twins.parquet")
    con = duckdb.connect()
    for c in (tmp_path / "crosswalk.parquet", run):
        r = evaluate(c, tmp_path / "truth.csv", twins=tmp_path / "twins.parquet", con=con)
        assert (r.overall.correct_pairs, r.overall.twins_merged, r.unlabelled) == (1, 1, 2)
    # the connection is left as it was
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall() == [(0,)]
    other = truth.rename_columns(["dept", "id", "who"])
    r = evaluate(CROSSWALK, other, truth_columns=("dept", "id", "who"))
    assert r.overall.f1 == pytest.approx(0.4)


def test_bad_input_is_named() -> None:
    with pytest.raises(errors.DataError, match="resource 'A', key '1'"):
        evaluate([*CROSSWALK, ("A", "1", "P7")], TRUTH)
    with pytest.raises(errors.DataError, match="no column true_id or person_id or entity_id"):
        evaluate(CROSSWALK, pa.table({"resource": ["A"], "key": ["1"], "who": ["x"]}))
    with pytest.raises(errors.NotFound):
        evaluate(CROSSWALK, "/nonexistent/truth.parquet")
    with pytest.raises(errors.ValidationError, match="expected 3 values"):
        evaluate([("A", "1")], TRUTH)


def test_a_built_registry_against_its_truth(built: Built) -> None:
    cw = read_crosswalk(built.ws)
    assert cw.column_names == ["resource", "record_key", "registry_id"]
    truth = [(s, k, p) for (s, k), p in built.city.truth().items()]
    r = evaluate(cw, truth)
    assert r.unlabelled == 0 and r.missing == 0 and r.overall.records == len(truth)
    # the same figures as the pairs enumerated (a small city)
    cid = {(s, k): c for s, k, c in zip(*(cw.column(i).to_pylist() for i in range(3)), strict=True)}
    tid = built.city.truth()
    keys = sorted(tid)
    pred = sum(cid[x] == cid[y] for x, y in itertools.combinations(keys, 2))
    both = sum(cid[x] == cid[y] and tid[x] == tid[y] for x, y in itertools.combinations(keys, 2))
    assert (r.overall.predicted_pairs, r.overall.correct_pairs) == (pred, both)
    assert r.overall.f1 > 0.9
