"""The Spark engine (local mode): the same DuckDB SQL transpiled, and the same quality figures as
DuckDB over the same Parquet. One Spark session for the whole module (starting it is slow)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _qhelpers import DBDX_V1, HJRK_V1, write_version

from shuzhi.config import EngineSettings
from shuzhi.engine import DuckDBEngine, Engine
from shuzhi.errors import Conflict, NotFound
from shuzhi.quality import QualitySpec, evaluate
from shuzhi.workspace import Workspace

pytestmark = pytest.mark.spark


def _figures(run: Any) -> list[tuple[Any, ...]]:
    return [(r.rule_id, r.status, r.checked, r.failing, r.sample) for r in run.results]


def test_duckdb_and_spark_give_the_same_figures(
    ws: Workspace, duck: DuckDBEngine, spark_engine: Engine
) -> None:
    write_version(ws, "JC-GA-HJRK", 1, HJRK_V1, issues={6: [("mobile", "phone.length", "1381234")]})
    write_version(ws, "JC-MZ-DBDX", 1, DBDX_V1)
    extra = QualitySpec.model_validate(
        {
            "rules": [
                {"field": "remark", "pattern": "[一-龥]+"},
                {"field": "id_number", "division": "county", "level": "prefecture"},
                {"field": "birth_date", "max_days": 365 * 40},
                {"fields": ["sex", "age"]},
            ]
        }
    )
    # allowed values of a decimal field, compared as numbers (DuckDB writes a double 1e20 as text
    # 1e+20, Spark as 1.0E20)
    amounts = QualitySpec.model_validate({"rules": [{"field": "amount", "values": ["800", "650.5", "700"]}]})
    for code, quality in (("JC-GA-HJRK", extra), ("JC-MZ-DBDX", amounts)):
        on_duck = evaluate(ws, code, engine=duck, quality=quality, store=False)
        on_spark = evaluate(ws, code, engine=spark_engine, quality=quality, store=False)
        assert on_spark.engine == "spark" and on_spark.status == "ok"
        assert _figures(on_spark) == _figures(on_duck)
        assert on_spark.score == pytest.approx(on_duck.score)
        assert any(r.failing for r in on_spark.results)  # the comparison compared something


def test_spark_engine_runs_duckdb_sql(tmp_path: Path, spark_engine: Engine) -> None:
    data = tmp_path / "people.parquet"
    pq.write_table(pa.table({"id": [1, 2, 3], "name": ["张三", "不详", None]}), data)
    spark_engine.register("people", data)
    # macros inlined (regexp_full_match rewritten), lookup tables exported from DuckDB, structs as dicts
    rows = spark_engine.fetch_rows(
        "SELECT id, sz_idcard_check_char('11010519491231002') AS c, sz_code_label('sex', '1') AS sex, "
        "{'n': name} AS s FROM people ORDER BY id"
    )
    assert rows == [(1, "X", "男", {"n": "张三"}), (2, "X", "男", {"n": "不详"}), (3, "X", "男", {"n": None})]
    assert spark_engine.fetch_arrow("SELECT count(*) AS n FROM people WHERE id > ?", [1]).to_pylist() == [
        {"n": 2}
    ]

    spark_engine.register("arrow_t", pa.table({"x": [1, 2]}))
    assert spark_engine.fetch_rows("SELECT sum(x) FROM arrow_t") == [(3,)]
    spark_engine.unregister("arrow_t")
    with pytest.raises(NotFound):
        spark_engine.register("nothing", tmp_path / "missing.parquet")

    out = tmp_path / "out.parquet"
    assert spark_engine.write_parquet("SELECT id, upper(name) AS name FROM people", out) == 3
    assert out.is_file() and pq.read_table(out).num_rows == 3
    with pytest.raises(Conflict):
        spark_engine.write_parquet("SELECT 1 AS x", out)
    assert spark_engine.write_parquet("SELECT 1 AS x", out, overwrite=True) == 1
    parted = tmp_path / "parted"
    assert (
        spark_engine.write_parquet("SELECT id, id % 2 AS odd FROM people", parted, partition_by=["odd"]) == 3
    )
    assert sorted(p.name for p in parted.iterdir()) == ["odd=0", "odd=1"]
    assert not list(tmp_path.glob(".*partial*"))


def test_engine_kind_spark_is_a_setting() -> None:
    assert EngineSettings(kind="spark").kind == "spark"
