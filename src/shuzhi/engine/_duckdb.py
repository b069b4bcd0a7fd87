"""DuckDB, in process: the default engine, over Parquet files in the warehouse."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import duckdb
import pyarrow as pa

from shuzhi.engine._base import Engine, Params, Source, as_path
from shuzhi.engine._files import fsync, fsync_tree, move_into_place, partial_target, remove
from shuzhi.errors import NotFound

__all__ = ["DuckDBEngine"]

_COMPRESSIONS = frozenset({"zstd", "snappy", "gzip", "lz4", "brotli", "uncompressed"})


@dataclass
class _ThreadState:
    cursor: duckdb.DuckDBPyConnection
    generation: int = -1
    arrow: dict[str, int] = field(default_factory=dict)  # view name -> id() of the registered table


class DuckDBEngine(Engine):
    """A DuckDB database (in memory unless ``database`` names a file) with the standards macros.

    * ``memory_limit`` (``"4GB"``, ``"60%"``) and ``threads`` bound what DuckDB uses; beyond the
      limit it spills to ``temp_directory`` (put it inside the workspace, on a disk with room).
    * In memory, the database never checkpoints (``checkpoint_threshold``): a checkpoint there
      only reorganises tables that live for one load or one run, and DuckDB's automatic one, once
      16 MiB had been written, cost 0.5–0.7 s of one thread in the middle of a million-row load.
    * Every ``sz_*`` macro and lookup table of :mod:`shuzhi.standards` is installed, so SQL can
      call ``sz_idcard_check(id)`` directly (``standards=False`` skips this).
    * Thread safety: a DuckDB connection must not be used by two threads at once, so each thread
      gets its own cursor on the same database. Views over Parquet live in the shared catalog;
      Arrow tables are registered on each thread's cursor when that thread next runs a query.
    * Python variables are never scanned as tables (``python_enable_replacements`` is off): only
      what is registered or created is visible.
    """

    kind: ClassVar[str] = "duckdb"
    dialect: ClassVar[str] = "duckdb"

    def __init__(
        self,
        *,
        database: str | os.PathLike[str] = ":memory:",
        memory_limit: str | None = None,
        threads: int | None = None,
        temp_directory: str | os.PathLike[str] | None = None,
        standards: bool = True,
    ) -> None:
        config: dict[str, Any] = {"python_enable_replacements": False}
        if memory_limit is not None:
            config["memory_limit"] = memory_limit
        if threads is not None:
            config["threads"] = threads
        if temp_directory is not None:
            tmp = as_path(temp_directory)
            tmp.mkdir(parents=True, exist_ok=True)
            config["temp_directory"] = str(tmp)
        self.database = str(database)
        if self.database == ":memory:":
            config["checkpoint_threshold"] = "1TB"
        self._con = duckdb.connect(self.database, config=config)
        try:
            if standards:
                from shuzhi.standards import install

                install(self._con)
        except BaseException:
            self._con.close()
            raise
        self._lock = threading.Lock()
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._arrow: dict[str, pa.Table] = {}
        self._generation = 0
        self._closed = False

    def __repr__(self) -> str:
        return f"DuckDBEngine(database={self.database!r})"

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The engine's own DuckDB connection, for a library that needs one (Splink): the tables
        it creates are the engine's, and the engine's queries see them. Not thread-safe: use it
        from one thread, and close the engine, not the connection."""
        if self._closed:
            raise RuntimeError("this engine is closed")
        return self._con

    # -- connections ---------------------------------------------------------------------------

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        if self._closed:
            raise RuntimeError("this engine is closed")
        state: _ThreadState | None = getattr(self._local, "state", None)
        if state is None:
            with self._lock:
                cur = self._con.cursor()
                self._cursors.append(cur)
            state = _ThreadState(cur)
            self._local.state = state
        if state.generation != self._generation:
            self._sync(state)
        return state.cursor

    def _sync(self, state: _ThreadState) -> None:
        """Bring this thread's Arrow registrations up to date (on this thread's own cursor)."""
        with self._lock:
            wanted = dict(self._arrow)
            generation = self._generation
        for name in [n for n in state.arrow if n not in wanted]:
            state.cursor.unregister(name)
            del state.arrow[name]
        for name, table in wanted.items():
            if state.arrow.get(name) != id(table):
                state.cursor.register(name, table)
                state.arrow[name] = id(table)
        state.generation = generation

    def settings(self) -> dict[str, Any]:
        """The effective memory limit, threads and temp directory, as DuckDB reports them."""
        row = (
            self._cursor()
            .execute(
                "SELECT current_setting('memory_limit'), current_setting('threads'), "
                "current_setting('temp_directory')"
            )
            .fetchone()
        )
        assert row is not None
        return {"memory_limit": row[0], "threads": row[1], "temp_directory": row[2]}

    # -- queries -------------------------------------------------------------------------------

    def execute(self, sql: str, params: Params = None) -> None:
        self._cursor().execute(sql, params)

    def fetch_arrow(self, sql: str, params: Params = None) -> pa.Table:
        rel = self._cursor().sql(sql, params=params)
        if rel is None:  # a statement that returns nothing
            return pa.table({})
        to_table = getattr(rel, "to_arrow_table", None) or rel.arrow  # duckdb < 1.4: arrow() is a table
        table: pa.Table = to_table()
        return table

    def fetch_batches(
        self, sql: str, params: Params = None, *, rows: int = 1 << 20
    ) -> Iterator[pa.RecordBatch]:
        rel = self._cursor().sql(sql, params=params)
        if rel is None:
            return
        yield from rel.to_arrow_reader(rows)

    def fetch_rows(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        return list(self._cursor().execute(sql, params).fetchall())

    # -- views ---------------------------------------------------------------------------------

    def register(self, name: str, source: Source) -> None:
        if isinstance(source, pa.Table):
            self._drop_view(name)
            with self._lock:
                self._arrow[name] = source
                self._generation += 1
            return
        path = as_path(source)
        if any(ch in str(path) for ch in "*?["):
            pattern = str(path)
        elif path.is_dir():
            if next(path.rglob("*.parquet"), None) is None:
                raise NotFound("parquet", f"{path}/**/*.parquet")
            pattern = str(path / "**" / "*.parquet")
        elif path.is_file():
            pattern = str(path)
        else:
            raise NotFound("parquet", str(path))
        self._forget_arrow(name)
        self._cursor().execute(
            f"CREATE OR REPLACE VIEW {_ident(name)} AS "
            f"SELECT * FROM read_parquet({_literal(pattern)}, hive_partitioning = true)"
        )

    def unregister(self, name: str) -> None:
        self._forget_arrow(name)
        self._drop_view(name)

    def _forget_arrow(self, name: str) -> None:
        with self._lock:
            if self._arrow.pop(name, None) is not None:
                self._generation += 1
        self._cursor()  # unregister on this thread now; other threads do so on their next query

    def _drop_view(self, name: str) -> None:
        self._cursor().execute(f"DROP VIEW IF EXISTS {_ident(name)}")

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
        options = ["FORMAT parquet", f"COMPRESSION {compression}"]
        if partition_by:
            options.append(f"PARTITION_BY ({', '.join(_ident(c) for c in partition_by)})")
        query = sql.strip().rstrip(";")
        try:
            row = (
                self._cursor()
                .execute(f"COPY ({query}) TO {_literal(str(tmp))} ({', '.join(options)})", params)
                .fetchone()
            )
            fsync_tree(tmp)
            move_into_place(tmp, target, overwrite=overwrite)
            fsync(target.parent)
        except BaseException:
            remove(tmp)
            raise
        return int(row[0]) if row else 0

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            cursors, self._cursors = self._cursors, []
            self._arrow.clear()
        for cur in cursors:
            with contextlib.suppress(duckdb.Error):
                cur.close()
        self._con.close()


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
