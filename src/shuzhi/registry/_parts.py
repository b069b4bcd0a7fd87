"""A run's tables as Parquet parts, so that an incremental update writes only what changed.

A full run writes each table once: ``records.parquet``, ``pairs.parquet``, ``golden.parquet``,
``conflicts.parquet``. An incremental update does not rewrite them: its folder
holds the previous run's parts (hard links: no copy), one new part per table with the rows of the
persons it touched, and for each earlier part a *drop* file listing the rows of that part that are
no longer current — by record number (``rid``: records; pairs, where either record is listed) or by
registry identifier (golden records, conflicts). ``parts.json`` lists them. Record numbers
stay the same along a chain of updates (new records are numbered after the largest), so the drop
lists are exact.

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


def _lit(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def table_parts(folder: Path, table: str) -> list[dict[str, Any]]:
    """The parts of ``table`` in the run ``folder``: ``[{"file": …, "drop": … or None}]``."""
    manifest = folder / PARTS_FILE
    if manifest.is_file():
        parts: list[dict[str, Any]] = json.loads(manifest.read_text(encoding="utf-8"))["tables"][table]
        return parts
    return [{"file": f"{table}.parquet", "drop": None}]


def run_table(folder: str | os.PathLike[str], table: str) -> str:
    """The SQL relation (for a ``FROM`` clause) of the current rows of ``table`` in the run folder."""
    folder = Path(folder)
    key = TABLES[table]
    selects = []
    for part in table_parts(folder, table):
        scan = f"read_parquet({_lit(folder / part['file'])})"
        if not part.get("drop"):
            selects.append(f"SELECT * FROM {scan}")
            continue
        drop = f"read_parquet({_lit(folder / part['drop'])})"
        if table == "pairs":
            selects.append(
                f"SELECT t.* FROM {scan} AS t ANTI JOIN {drop} AS d ON d.rid = t.rid_l "
                f"ANTI JOIN {drop} AS e ON e.rid = t.rid_r"
            )
        else:
            selects.append(f"SELECT t.* FROM {scan} AS t ANTI JOIN {drop} AS d ON d.{key} = t.{key}")
    if len(selects) == 1 and selects[0].startswith("SELECT * FROM read_parquet("):
        return selects[0].removeprefix("SELECT * FROM ")
    return "(" + "\nUNION ALL BY NAME\n".join(selects) + ")"


def link_or_copy(source: Path, target: Path) -> None:
    """``target`` becomes the same file as ``source`` (a hard link; a copy where links fail)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
