"""The small tables shipped in ``data/`` (sources in ``data/SOURCES.md``) and vectorised string helpers."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["cat", "num", "read_table", "take", "words"]


@cache
def read_table(name: str) -> tuple[dict[str, str], ...]:
    """Rows of ``data/<name>.csv`` (``#`` comment lines skipped) as dictionaries."""
    text = resources.files("shuzhi.demo.city").joinpath("data", f"{name}.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return tuple(csv.DictReader(lines))


@cache
def words(kind: str) -> tuple[str, ...]:
    """The words of one kind in ``data/place_words.csv``."""
    return tuple(r["word"] for r in read_table("place_words") if r["kind"] == kind)


def take(values: list[str] | tuple[str, ...] | pa.Array, idx: np.ndarray) -> pa.Array:
    """``values[idx]`` as a string array; an index of -1 gives null."""
    arr = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    mask = idx < 0
    indices = pa.array(np.where(mask, 0, idx), pa.int64(), mask=mask if mask.any() else None)
    return arr.take(indices)


def num(values: np.ndarray, width: int = 0) -> pa.Array:
    """Integers as text, zero-padded to ``width``."""
    text = pc.cast(pa.array(values, pa.int64()), pa.string())
    return pc.utf8_lpad(text, width=width, padding="0") if width else text


def cat(*parts: Any, null_as: str | None = "") -> pa.Array:
    """Element-wise concatenation; a null part counts as ``null_as`` (None: the result is null)."""
    arrays = [p for p in parts if p is not None]
    if null_as is None:
        out = pc.binary_join_element_wise(*arrays, "", null_handling="emit_null")
    else:
        out = pc.binary_join_element_wise(*arrays, "", null_handling="replace", null_replacement=null_as)
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out
