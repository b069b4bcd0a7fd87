"""Crash safety: a load either lands whole or leaves the previous version current.

The real ``shuzhi ingest`` runs in a subprocess with ``SHUZHI_FAULT`` naming the point at which
it kills itself with SIGKILL (no cleanup, no ``finally``): while reading, while writing the
version's Parquet files, and after the version's folder is in place but before the store's
pointer is committed. After each kill the previous version is current, readable and intact, no
half version is visible, and a later load succeeds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from _ingest_fixtures import ROWS, make_workspace, new_resource, rows_of, write_csv

from shuzhi.ingest import FAULT_ENV, get_version, list_versions, verify_version
from shuzhi.store import IngestJob
from shuzhi.workspace import Workspace

#: identity numbers already in standard form (the full check is never planned: faster runs)
GOOD = [ROWS[0], ROWS[3]]
MORE = [
    "11010519491231002X,李雷,男,1949-12-31,13912345678,山西省晋城市城区凤台东街1号,100,1,",
    "110101199003074514,韩梅梅,女,1990-03-07,13812345678,山西省晋城市城区凤台东街2号,200,2,",
]

#: (fault point, mode of the crashing load, what the warehouse holds after the kill)
POINTS = [
    ("ingest.read", "full", "nothing"),
    ("ingest.write", "upsert", "partial"),  # the rows carried over are written, the new ones not
    ("ingest.write.data", "full", "partial"),  # the data is written, the quarantine not
    ("ingest.quality", "full", "orphan"),  # v2/ is in place, being evaluated; no row, no pointer
    ("ingest.commit", "full", "orphan"),  # v2/ is in place, the store's pointer not moved
]


def _cli(ws: Workspace, *args: str, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHUZHI_")}
    if fault is not None:
        env[FAULT_ENV] = fault
    return subprocess.run(
        [sys.executable, "-c", "from shuzhi.cli import main; main()", *args, "-w", str(ws.path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _intact(ws: Workspace, code: str, checksum: str) -> None:
    versions = list_versions(ws, code)
    assert [(v.number, v.current) for v in versions] == [(1, True)]
    current = verify_version(ws, code)  # every data file there, checksum as recorded
    assert current.checksum == checksum
    assert sorted(r["id_number"] for r in rows_of(ws, code)) == sorted(
        ["14050219900307151X", "140525196203053018"]
    )


@pytest.mark.slow
def test_a_killed_load_leaves_the_previous_version_current(store_url: str, tmp_path: Path) -> None:
    with make_workspace(tmp_path / "ws", store_url=store_url) as ws:
        code = new_resource(ws)
        first = _cli(ws, "ingest", code, str(write_csv(tmp_path / "v1.csv", GOOD)), "--json")
        assert first.returncode == 0, first.stderr
        checksum = json.loads(first.stdout)["checksum"]
        _intact(ws, code, checksum)
        batch = write_csv(tmp_path / "v2.csv", [GOOD[0].replace("800", "900"), *MORE])

        for point, mode, left in POINTS:
            run = _cli(ws, "ingest", code, str(batch), "--mode", mode, "--json", fault=point)
            assert run.returncode == -signal.SIGKILL, (point, run.returncode, run.stderr[-2000:])
            assert run.stdout == ""
            _intact(ws, code, checksum)  # through the store: v1 only, readable, unchanged
            folder = ws.warehouse / code
            partial = [p for p in folder.iterdir() if p.name.endswith(".partial")]
            orphan = [p for p in folder.iterdir() if p.name == "v2"]
            if left == "partial":
                assert len(partial) == 1 and not orphan, point
                assert any((partial[0] / "data").glob("*.parquet")), point  # killed mid-write
                assert not (partial[0] / "manifest.json").exists()
            elif left == "orphan":
                assert orphan and not partial and (orphan[0] / "manifest.json").exists()
            else:
                assert not partial and not orphan, point
            with ws.session() as s:
                running = s.execute(
                    sa.select(IngestJob.id).where(
                        IngestJob.resource_code == code, IngestJob.status == "running"
                    )
                ).all()
            assert len(running) == 1, point  # the dead load's job; the next load closes it

        # a later load sweeps what the crashes left and succeeds
        done = _cli(ws, "ingest", code, str(batch), "--mode", "upsert", "--json")
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert (result["version"], result["base_version"], result["rows_total"]) == (2, 1, 4)
        assert (result["rows_added"], result["rows_updated"]) == (2, 1)
        assert get_version(ws, code).number == 2
        verify_version(ws, code)
        assert sorted(p.name for p in (ws.warehouse / code).iterdir() if p.name != ".lock") == ["v1", "v2"]
        assert len(rows_of(ws, code)) == 4
        assert len(rows_of(ws, code, 1)) == 2  # v1 untouched
        with ws.session() as s:
            statuses = s.execute(
                sa.select(IngestJob.status).where(IngestJob.resource_code == code).order_by(IngestJob.id)
            ).scalars()
            assert list(statuses) == ["succeeded"] + ["abandoned"] * len(POINTS) + ["succeeded"]
