"""A few DuckDB connections with the standards macros installed, reused by bulk checks.

Installing the lookup tables and macros costs more than checking a few hundred values, so the
connections are kept; each is used by one request at a time (DuckDB connections are not
shared between threads).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["CheckerPool"]


class CheckerPool:
    def __init__(self, size: int = 4) -> None:
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._closed = False

    @contextmanager
    def connection(self) -> Iterator[Any]:
        import duckdb

        from shuzhi.standards import install

        with self._slots:
            try:
                con = self._idle.get_nowait()
            except queue.Empty:
                con = duckdb.connect(config={"threads": 1, "python_enable_replacements": False})
                install(con)
            try:
                yield con
            except BaseException:
                con.close()  # it may hold half a request's state
                raise
            if self._closed:
                con.close()
            else:
                self._idle.put(con)

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return
