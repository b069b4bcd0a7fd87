"""The compute engine interface: what every bulk step (ingest, quality, registry) runs SQL through."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeAlias

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["Engine", "Params", "Source"]

#: query parameters: positional (``?``) or named (``$name``)
Params: TypeAlias = Sequence[Any] | Mapping[str, Any] | None
#: what :meth:`Engine.register` accepts: an Arrow table, or a Parquet file, folder or glob
Source: TypeAlias = "pa.Table | str | os.PathLike[str]"


class Engine(ABC):
    """Runs SQL written in :attr:`dialect` over Arrow tables and Parquet files.

    Implementations: :class:`~shuzhi.engine.DuckDBEngine` (in process, the default).

    A Spark engine plugs in here: a ``SparkEngine(Engine)`` in ``shuzhi/engine/_spark.py`` with
    ``kind = "spark"`` and ``dialect = "spark"``, which transpiles each statement with
    ``sqlglot.transpile(sql, read="duckdb", write="spark")`` after inlining the standards macros
    with :func:`shuzhi.standards.expand`, registers Parquet paths as temporary views, and writes
    Parquet to a temporary folder renamed into place. It is then added to ``EngineSettings.kind``
    and to :func:`~shuzhi.engine.create_engine`. Callers keep writing DuckDB SQL either way.

    Engines are safe to share between threads; results are materialised (Arrow or rows), never
    cursors that outlive a call.
    """

    #: the name in ``[engine] kind``
    kind: ClassVar[str]
    #: the sqlglot dialect its SQL is written in
    dialect: ClassVar[str]

    @abstractmethod
    def execute(self, sql: str, params: Params = None) -> None:
        """Run a statement (DDL, INSERT, SET...) and discard any result."""

    @abstractmethod
    def fetch_arrow(self, sql: str, params: Params = None) -> pa.Table:
        """Run a query and return its whole result as an Arrow table."""

    def fetch_batches(
        self, sql: str, params: Params = None, *, rows: int = 1 << 20
    ) -> Iterator[pa.RecordBatch]:
        """Run a query and yield its result as Arrow record batches of at most ``rows`` rows. An
        engine that can streams them (DuckDB); this default cuts :meth:`fetch_arrow`'s table.
        Run no other query on the same thread until the batches are consumed."""
        yield from self.fetch_arrow(sql, params).to_batches(max_chunksize=rows)

    @abstractmethod
    def fetch_rows(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples (for small results)."""

    @abstractmethod
    def register(self, name: str, source: Source) -> None:
        """Make ``source`` queryable as the view ``name`` (replacing any view of that name).

        ``source`` is an Arrow table, or the path of a Parquet file, a folder of Parquet files
        (read recursively, hive partitions such as ``year=2024/`` becoming columns) or a glob.
        """

    @abstractmethod
    def unregister(self, name: str) -> None:
        """Forget the view ``name`` (no error if there is none)."""

    @abstractmethod
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
        """Write the result of the query ``sql`` to ``path`` atomically; return the row count.

        The result is written to a temporary name beside ``path`` and renamed into place only
        when complete, so a failure at any point leaves no partial file (and an existing file,
        with ``overwrite=True``, intact). With ``partition_by`` the result is a folder of
        hive-partitioned files. An existing ``path`` is a :class:`~shuzhi.errors.Conflict` unless
        ``overwrite`` is set.
        """

    @abstractmethod
    def close(self) -> None:
        """Release connections and memory; further calls fail. Closing twice is harmless."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def as_path(source: str | os.PathLike[str]) -> Path:
    return Path(os.fspath(source)).expanduser()
