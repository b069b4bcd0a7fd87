"""Spark, for a cluster (local mode on one machine): the same DuckDB SQL, transpiled.

Every statement goes through :meth:`SparkEngine.translate`: the standards macros are inlined
(:func:`shuzhi.standards.expand`), a few DuckDB functions sqlglot does not carry over are
rewritten (``regexp_full_match``, ``list_slice``), and sqlglot writes Spark SQL. Lookup tables the
macros read (``sz_divisions`` …) are exported once from DuckDB as Parquet and registered as
temporary views when a statement first needs them.

Needs ``pyspark`` (``pip install 'shuzhi[spark]'``) and Java 17 or later (``JAVA_HOME`` or
``java`` on the path).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from shuzhi.engine._base import Engine, Params, Source, as_path
from shuzhi.engine._files import fsync, fsync_tree, move_into_place, partial_target, remove
from shuzhi.errors import ConfigError, NotFound

__all__ = ["SparkEngine"]

_COMPRESSIONS = {
    "zstd": "zstd",
    "snappy": "snappy",
    "gzip": "gzip",
    "lz4": "lz4",
    "brotli": "brotli",
    "uncompressed": "none",
}


class SparkEngine(Engine):
    """A Spark session running the DuckDB SQL of shuzhi, translated.

    * ``master``: ``local[N]`` (default: one thread per core, or ``threads``) or a cluster URL;
    * ``memory_limit``: the driver's memory (``4g``; a percentage is ignored);
    * ``temp_directory``: Spark's scratch space (``spark.local.dir``) and the lookup tables' export;
    * ``config``: any other Spark settings;
    * ``session``: an existing ``SparkSession`` to use (then :meth:`close` leaves it running).
    """

    kind: ClassVar[str] = "spark"
    dialect: ClassVar[str] = "spark"

    def __init__(
        self,
        *,
        master: str | None = None,
        memory_limit: str | None = None,
        threads: int | None = None,
        temp_directory: str | os.PathLike[str] | None = None,
        config: Mapping[str, str] | None = None,
        session: Any = None,
        app_name: str = "shuzhi",
    ) -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError:  # pragma: no cover - depends on the installation
            raise ConfigError(
                "未安装 Spark 支持 / pyspark is not installed: pip install 'shuzhi[spark]' (and Java 17+)"
            ) from None
        self._tmp = as_path(temp_directory) if temp_directory is not None else None
        if self._tmp is not None:
            self._tmp.mkdir(parents=True, exist_ok=True)
        if session is None:
            builder = (
                SparkSession.builder.appName(app_name)
                .master(master or f"local[{threads or '*'}]")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.shuffle.partitions", str(max(2, (threads or os.cpu_count() or 2) * 2)))
                .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
            )
            if memory_limit and not memory_limit.strip().endswith("%"):
                builder = builder.config(
                    "spark.driver.memory", memory_limit.strip().lower().removesuffix("b")
                )
            if self._tmp is not None:
                builder = builder.config("spark.local.dir", str(self._tmp))
            for k, v in (config or {}).items():
                builder = builder.config(k, v)
            try:
                self._spark = builder.getOrCreate()
            except Exception as e:  # no Java, bad master URL
                raise ConfigError(
                    f"无法启动 Spark / cannot start Spark: {str(e).strip().splitlines()[0]}"
                ) from e
            self._owned = True
        else:
            self._spark = session
            self._owned = False
        self._spark.sparkContext.setLogLevel("ERROR")
        self._lock = threading.Lock()
        self._lookups: set[str] = set()
        self._closed = False

    def __repr__(self) -> str:
        return f"SparkEngine(master={self._spark.sparkContext.master!r})"

    @property
    def session(self) -> Any:
        """The underlying ``SparkSession``."""
        return self._spark

    # -- translating ---------------------------------------------------------------------------

    def translate(self, sql: str) -> str:
        """The Spark SQL of the DuckDB statement ``sql`` (macros inlined)."""
        import sqlglot
        from sqlglot import exp

        from shuzhi.standards import expand

        tree = sqlglot.parse_one(expand(sql, write="duckdb"), read="duckdb")

        def fix(node: Any) -> Any:
            if isinstance(node, exp.RegexpFullMatch):
                pattern = node.expression
                if isinstance(pattern, exp.Literal) and pattern.is_string:
                    anchored = exp.Literal.string(f"^(?:{pattern.this})$")
                    return exp.RegexpLike(this=node.this, expression=anchored)
            if isinstance(node, exp.Anonymous) and str(node.this).lower() == "list_slice":
                return exp.Anonymous(this="SLICE", expressions=node.expressions)
            return node

        tree = tree.transform(fix)
        self._ensure_lookups({t.name.lower() for t in tree.find_all(exp.Table)})
        return str(tree.sql(dialect="spark"))

    def _ensure_lookups(self, names: set[str]) -> None:
        from shuzhi.standards._sql import TABLES

        wanted = sorted(n for n in names if n in TABLES and n not in self._lookups)
        if not wanted:
            return
        import duckdb

        from shuzhi.standards import install

        with self._lock:
            folder = self._scratch() / "lookups"
            folder.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect()
            try:
                install(con)
                for name in wanted:
                    path = folder / f"{name}.parquet"
                    con.execute(f"COPY {name} TO '{path}' (FORMAT parquet)")
                    self._spark.read.parquet(str(path)).createOrReplaceTempView(name)
                    self._lookups.add(name)
            finally:
                con.close()

    def _scratch(self) -> Path:
        if self._tmp is None:
            import tempfile

            self._tmp = Path(tempfile.mkdtemp(prefix="shuzhi-spark-"))
        return self._tmp

    # -- queries -------------------------------------------------------------------------------

    def _df(self, sql: str, params: Params) -> Any:
        self._check_open()
        text = self.translate(sql)
        if params is None:
            return self._spark.sql(text)
        args = dict(params) if isinstance(params, Mapping) else list(params)
        return self._spark.sql(text, args=args)

    def execute(self, sql: str, params: Params = None) -> None:
        self._df(sql, params)

    def fetch_arrow(self, sql: str, params: Params = None) -> pa.Table:
        df = self._df(sql, params)
        table: pa.Table = df.toArrow()
        return table

    def fetch_rows(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        return [tuple(_plain(v) for v in row) for row in self._df(sql, params).collect()]

    # -- views ---------------------------------------------------------------------------------

    def register(self, name: str, source: Source) -> None:
        self._check_open()
        if isinstance(source, pa.Table):
            self._spark.createDataFrame(source).createOrReplaceTempView(name)
            return
        path = as_path(source)
        text = str(path)
        if not any(ch in text for ch in "*?["):
            if path.is_dir():
                if next(path.rglob("*.parquet"), None) is None:
                    raise NotFound("parquet", f"{path}/**/*.parquet")
            elif not path.is_file():
                raise NotFound("parquet", text)
        self._spark.read.parquet(text).createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        if not self._closed:
            self._spark.catalog.dropTempView(name)

    # -- writing -------------------------------------------------------------------------------

    def write_parquet(
        self,
        sql: str,
        path: str | os.PathLike[str],
        *,
        params: Params = None,
        partition_by: Sequence[str] | None = None,
        compression: str = "zstd",
        overwrite: bool = False,
    ) -> int:
        if compression not in _COMPRESSIONS:
            raise ValueError(
                f"unknown compression {compression!r}; use one of {', '.join(sorted(_COMPRESSIONS))}"
            )
        target, tmp = partial_target(path, overwrite=overwrite)
        try:
            df = self._df(sql, params)
            if partition_by:
                writer = df.write.partitionBy(*partition_by)
            else:
                writer = df.coalesce(1).write
            writer.option("compression", _COMPRESSIONS[compression]).parquet(str(tmp))
            n = int(self._spark.read.parquet(str(tmp)).count())
            if not partition_by:  # one file, like DuckDB writes
                parts = sorted(tmp.glob("part-*.parquet"))
                single = tmp.with_name(tmp.name + ".file")
                if parts:
                    os.rename(parts[0], single)
                else:  # pragma: no cover - Spark writes one part even for no rows
                    raise RuntimeError("Spark wrote no Parquet file")
                shutil.rmtree(tmp)
                tmp = single
            else:
                for junk in tmp.rglob("*"):
                    if junk.name.startswith(("_", ".")) and junk.is_file():
                        junk.unlink()
            fsync_tree(tmp)
            move_into_place(tmp, target, overwrite=overwrite)
            fsync(target.parent)
        except BaseException:
            remove(tmp)
            remove(tmp.with_name(tmp.name + ".file"))
            raise
        return n

    # -- lifecycle -----------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this engine is closed")

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._owned:
            self._spark.stop()


def _plain(v: Any) -> Any:
    """Spark ``Row`` values as plain Python: structs as dicts, arrays as lists."""
    from pyspark.sql import Row

    if isinstance(v, Row):
        return {k: _plain(x) for k, x in v.asDict(recursive=False).items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v
