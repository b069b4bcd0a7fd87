"""The DuckDB engine, for real: queries, views, atomic Parquet writes, macros, threads."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import shuzhi.engine as engine_pkg
from shuzhi.config import EngineSettings
from shuzhi.engine import DuckDBEngine, Engine, create_engine
from shuzhi.errors import Conflict, NotFound

# a query that fails after DuckDB has produced (and started writing) well over a row group
FAILS_MIDWAY = (
    "SELECT i, CASE WHEN i < 1500000 THEN i ELSE error('boom at ' || i) END AS v FROM range(2000000) t(i)"
)


@pytest.fixture
def eng() -> Iterator[DuckDBEngine]:
    with DuckDBEngine(threads=2, memory_limit="1GB") as e:
        yield e


def test_public_api_is_pinned() -> None:
    assert engine_pkg.__all__ == [
        "DuckDBEngine",
        "Engine",
        "Params",
        "Source",
        "SparkEngine",
        "create_engine",
    ]


def test_create_engine_applies_settings(tmp_path: Path) -> None:
    settings = EngineSettings(memory_limit="512MB", threads=2, temp_dir="tmp/duckdb")
    with create_engine(settings, base_dir=tmp_path) as e:
        assert isinstance(e, Engine) and e.kind == "duckdb" and e.dialect == "duckdb"
        assert isinstance(e, DuckDBEngine)
        s = e.settings()
        assert s["threads"] == 2
        assert s["memory_limit"].endswith("MiB") and float(s["memory_limit"].split()[0]) < 512
        assert Path(s["temp_directory"]) == tmp_path / "tmp" / "duckdb"
        assert (tmp_path / "tmp" / "duckdb").is_dir()


def test_queries_with_parameters(eng: DuckDBEngine) -> None:
    eng.execute("CREATE TABLE t AS SELECT * FROM range(10) r(i)")
    assert eng.fetch_rows("SELECT count(*) FROM t WHERE i >= ?", [4]) == [(6,)]
    assert eng.fetch_rows("SELECT count(*) FROM t WHERE i < $n", {"n": 3}) == [(3,)]
    table = eng.fetch_arrow("SELECT i FROM t WHERE i % 2 = 0 ORDER BY i")
    assert isinstance(table, pa.Table) and table.column("i").to_pylist() == [0, 2, 4, 6, 8]
    with pytest.raises(duckdb.Error):
        eng.fetch_rows("SELECT no_such_column FROM t")


def test_results_streamed_in_batches(eng: DuckDBEngine) -> None:
    """fetch_batches yields the whole result, in order, in batches of at most ``rows`` rows —
    DuckDB's streamed, and the engines' default (the whole table cut in pieces) alike."""
    from shuzhi.engine import Engine

    sql = "SELECT i, i::VARCHAR AS s FROM range(10000) r(i) ORDER BY i"
    for batches in (list(eng.fetch_batches(sql, rows=4096)), list(Engine.fetch_batches(eng, sql, rows=3000))):
        assert len(batches) > 1 and all(0 < b.num_rows <= 4096 for b in batches)
        assert [v for b in batches for v in b.column("i").to_pylist()] == list(range(10000))
    assert list(eng.fetch_batches("SELECT 1 WHERE false")) in (
        [],
        [pa.record_batch({"1": pa.array([], pa.int32())})],
    )


def test_python_variables_are_not_tables(eng: DuckDBEngine) -> None:
    people = pa.table({"a": [1]})  # noqa: F841  (DuckDB would find this by name if scans were on)
    with pytest.raises(duckdb.CatalogException):
        eng.fetch_rows("SELECT * FROM people")


def test_standards_macros_are_installed(eng: DuckDBEngine) -> None:
    from shuzhi.standards import KINDS
    from shuzhi.standards._sql import MACROS

    assert eng.fetch_rows("SELECT sz_precheck(NULL), sz_precheck('  '), sz_precheck('x')") == [
        ("empty", "empty", None)
    ]
    names = {
        r[0]
        for r in eng.fetch_rows(
            "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type = 'macro'"
        )
    }
    assert set(MACROS) <= names
    assert {k.sql_check for k in KINDS.values()} <= names
    with DuckDBEngine(standards=False) as bare:
        with pytest.raises(duckdb.CatalogException):
            bare.fetch_rows("SELECT sz_precheck('x')")


def test_register_arrow_table_visible_from_every_thread(eng: DuckDBEngine) -> None:
    eng.register("people", pa.table({"name": ["张三", "李四"], "age": [30, 40]}))
    assert eng.fetch_rows("SELECT sum(age) FROM people") == [(70,)]

    seen: list[object] = []

    def worker() -> None:
        seen.append(eng.fetch_rows("SELECT count(*) FROM people")[0][0])
        eng.register("people", pa.table({"name": ["王五"], "age": [50]}))  # replace, from another thread
        seen.append(eng.fetch_rows("SELECT sum(age) FROM people")[0][0])

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen == [2, 50]
    assert eng.fetch_rows("SELECT sum(age) FROM people") == [(50,)]  # this thread sees the replacement

    eng.unregister("people")
    with pytest.raises(duckdb.CatalogException):
        eng.fetch_rows("SELECT * FROM people")
    eng.unregister("people")  # twice is fine


def test_register_parquet_file_folder_and_glob(eng: DuckDBEngine, tmp_path: Path) -> None:
    pq.write_table(pa.table({"x": [1, 2]}), tmp_path / "one.parquet")
    eng.register("one", tmp_path / "one.parquet")
    assert eng.fetch_rows("SELECT sum(x) FROM one") == [(3,)]

    eng.write_parquet("SELECT i, i % 3 AS part FROM range(9) t(i)", tmp_path / "parts", partition_by=["part"])
    eng.register("parts", tmp_path / "parts")
    assert eng.fetch_rows("SELECT part, count(*) FROM parts GROUP BY part ORDER BY part") == [
        (0, 3),
        (1, 3),
        (2, 3),
    ]

    eng.register("by_glob", str(tmp_path / "parts" / "part=1" / "*.parquet"))
    assert eng.fetch_rows("SELECT count(*) FROM by_glob") == [(3,)]

    with pytest.raises(NotFound):
        eng.register("missing", tmp_path / "nope.parquet")

    # a name moves between kinds of source cleanly
    eng.register("one", pa.table({"x": [10]}))
    assert eng.fetch_rows("SELECT sum(x) FROM one") == [(10,)]
    eng.register("one", tmp_path / "one.parquet")
    assert eng.fetch_rows("SELECT sum(x) FROM one") == [(3,)]


def test_parquet_views_are_shared_across_threads(eng: DuckDBEngine, tmp_path: Path) -> None:
    pq.write_table(pa.table({"x": [1, 2, 3]}), tmp_path / "t.parquet")
    eng.register("t", tmp_path / "t.parquet")
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(eng.fetch_rows("SELECT count(*) FROM t")[0][0]))
    t.start()
    t.join()
    assert out == [3]


def test_write_parquet(eng: DuckDBEngine, tmp_path: Path) -> None:
    target = tmp_path / "v1" / "data.parquet"
    n = eng.write_parquet("SELECT i, 'x' || i AS s FROM range(1000) t(i) WHERE i >= ?", target, params=[10])
    assert n == 990
    t = pq.read_table(target)
    assert t.num_rows == 990 and t.column_names == ["i", "s"]
    assert pq.ParquetFile(target).metadata.row_group(0).column(0).compression == "ZSTD"
    assert sorted(p.name for p in target.parent.iterdir()) == ["data.parquet"]

    with pytest.raises(Conflict, match="already exists"):
        eng.write_parquet("SELECT 1 AS i", target)
    assert eng.write_parquet("SELECT 1 AS i;", target, overwrite=True, compression="snappy") == 1
    assert pq.read_table(target).num_rows == 1
    with pytest.raises(ValueError, match="compression"):
        eng.write_parquet("SELECT 1", tmp_path / "x.parquet", compression="zip")


def test_failure_mid_write_leaves_no_partial_file(eng: DuckDBEngine, tmp_path: Path) -> None:
    target = tmp_path / "out" / "data.parquet"
    with pytest.raises(duckdb.Error, match="boom"):
        eng.write_parquet(FAILS_MIDWAY, target)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # no temporary file left behind either


def test_killed_writer_leaves_no_file_at_the_target(tmp_path: Path) -> None:
    """A process killed in the middle of a write (power cut, OOM killer) leaves the target absent:
    only a hidden ``.partial`` file, which no reader of ``data.parquet`` or the folder glob sees."""
    target = tmp_path / "data.parquet"
    code = textwrap.dedent(f"""
        from shuzhi.engine import DuckDBEngine
        e = DuckDBEngine(threads=1, standards=False)
        e.write_parquet("SELECT i, md5(i::VARCHAR) AS h FROM range(200000000) t(i)", {str(target)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            partial = [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
            if partial and partial[0].stat().st_size > 2_000_000:
                break
            assert proc.poll() is None, "the writer finished or died before it could be killed"
            time.sleep(0.05)
        else:
            pytest.fail("the writer never started writing")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert not target.exists()
    assert [p.name.startswith(".data.parquet.") for p in tmp_path.iterdir()] == [True]
    with DuckDBEngine(standards=False) as e, pytest.raises(NotFound):
        e.register("v", tmp_path)  # a folder view reads *.parquet, never the partial file


def test_failed_overwrite_keeps_the_old_file(eng: DuckDBEngine, tmp_path: Path) -> None:
    target = tmp_path / "data.parquet"
    eng.write_parquet("SELECT 42 AS answer", target)
    with pytest.raises(duckdb.Error, match="boom"):
        eng.write_parquet(FAILS_MIDWAY, target, overwrite=True)
    assert pq.read_table(target).to_pylist() == [{"answer": 42}]
    assert [p.name for p in tmp_path.iterdir()] == ["data.parquet"]


def test_partitioned_write_is_atomic_too(eng: DuckDBEngine, tmp_path: Path) -> None:
    target = tmp_path / "parts"
    with pytest.raises(duckdb.Error, match="boom"):
        eng.write_parquet(FAILS_MIDWAY.replace("AS v", "AS v, i % 4 AS p"), target, partition_by=["p"])
    assert list(tmp_path.iterdir()) == []

    eng.write_parquet("SELECT i, i % 2 AS p FROM range(10) t(i)", target, partition_by=["p"])
    eng.write_parquet("SELECT i, i % 3 AS p FROM range(6) t(i)", target, partition_by=["p"], overwrite=True)
    assert sorted(p.name for p in target.iterdir()) == ["p=0", "p=1", "p=2"]
    assert [p.name for p in tmp_path.iterdir()] == ["parts"]


def test_many_threads_at_once(eng: DuckDBEngine) -> None:
    eng.register("nums", pa.table({"n": list(range(1000))}))
    errors: list[BaseException] = []
    results: list[int] = []

    def work(k: int) -> None:
        try:
            for _ in range(20):
                results.append(eng.fetch_rows("SELECT sum(n) FROM nums WHERE n % ? = 0", [k])[0][0])
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 160


def test_close(tmp_path: Path) -> None:
    e = DuckDBEngine()
    e.fetch_rows("SELECT 1")
    e.close()
    e.close()
    with pytest.raises(RuntimeError, match="closed"):
        e.fetch_rows("SELECT 1")
