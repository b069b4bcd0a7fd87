"""A run's tables as Parquet parts, so that an incremental update writes only what changed.

A full run writes each table once: ``records.parquet``, ``pairs.parquet``, ``golden.parquet``,
``conflicts.parquet``. An incremental update does not rewrite them: its folder
holds the previous run's parts (hard links: no copy), one new part per table with the rows of the
persons it touched, and for each earlier part a *drop* file listing the rows of that part that are
no longer current — by record number (``rid``: records; pairs, where either record is listed) or by
registry identifier (golden records, conflicts). ``parts.json`` lists them. Record numbers
stay the same along a chain of updates (new records are numbered after the largest current one;
a number freed by a removed record may come back, which is safe: each drop list applies to its
own part only). The first part of a full run is linked under the name of that run
(``records.run-000004.parquet``), so an updated run's folder has no ``records.parquet`` that a
reader could take for the whole table.

Readers never open the files themselves: :func:`run_table` gives the SQL relation of a table's
current rows, whichever way the run was written. After :data:`MAX_PARTS` parts the update writes
every table whole again (compaction), so lookups never scan a long list of parts.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from shuzhi.registry._standardise import ident, lit

__all__ = ["MAX_PARTS", "PARTS_FILE", "TABLES", "run_table", "table_parts"]

PARTS_FILE = "parts.json"
#: table -> the key its drop files list ("rid" for pairs: either end)
TABLES: dict[str, str] = {
    "records": "rid",
    "pairs": "rid",
    "golden": "registry_id",
    "conflicts": "registry_id",
}
#: more parts than this and an update writes every table whole again
MAX_PARTS = 6


def table_parts(folder: Path, table: str) -> list[dict[str, Any]]:
    """The parts of ``table`` in the run ``folder``: ``[{"file": …, "drop": … or None}]``."""
    manifest = folder / PARTS_FILE
    if manifest.is_file():
        parts: list[dict[str, Any]] = json.loads(manifest.read_text(encoding="utf-8"))["tables"][table]
        return parts
    return [{"file": f"{table}.parquet", "drop": None}]


def run_table(folder: str | os.PathLike[str], table: str) -> str:
    """The SQL relation (for a ``FROM`` clause) of the current rows of ``table`` in the run folder.

    Plain SQL that sqlglot carries to Spark as well: the parts are combined by an explicit column
    list (a column an older part lacks is NULL there), not DuckDB's ``UNION ALL BY NAME``."""
    folder = Path(folder)
    key = TABLES[table]
    parts = table_parts(folder, table)
    if len(parts) == 1 and not parts[0].get("drop"):
        return f"read_parquet({lit(folder / parts[0]['file'])})"
    import pyarrow.parquet as pq

    schemas = [pq.read_schema(folder / part["file"]).names for part in parts]
    columns = list(dict.fromkeys(c for names in schemas for c in names))
    selects = []
    for part, names in zip(parts, schemas, strict=True):
        have = set(names)
        listed = ", ".join(f"t.{ident(c)}" if c in have else f"NULL AS {ident(c)}" for c in columns)
        scan = f"read_parquet({lit(folder / part['file'])})"
        if not part.get("drop"):
            selects.append(f"SELECT {listed} FROM {scan} AS t")
            continue
        drop = f"read_parquet({lit(folder / part['drop'])})"
        if table == "pairs":
            selects.append(
                f"SELECT {listed} FROM {scan} AS t ANTI JOIN {drop} AS d ON d.rid = t.rid_l "
                f"ANTI JOIN {drop} AS e ON e.rid = t.rid_r"
            )
        else:
            selects.append(f"SELECT {listed} FROM {scan} AS t ANTI JOIN {drop} AS d ON d.{key} = t.{key}")
    return "(" + "\nUNION ALL\n".join(selects) + ")"


def link_or_copy(source: Path, target: Path) -> None:
    """``target`` becomes the same file as ``source`` (a hard link; a copy where links fail)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
