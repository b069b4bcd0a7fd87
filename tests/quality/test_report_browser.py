"""The HTML quality report in a real browser: the sample city (examples/sample-city) is loaded as a
new user would — every file with its mapping and mode, quality evaluated by ingestion itself — and
the report is opened in headless Chromium: every chart must have drawn its canvas, no script may
have failed, and a screenshot must come out.

Needs the Debian ``chromium`` package. The tests are SKIPPED when it is missing, unless
``SHUZHI_REQUIRE_CHROMIUM=1`` (set by .ci/run, which installs it), when they FAIL.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from _qhelpers import SAMPLE_FILES, ingest_sample, sample_city

from shuzhi.quality import departments_overview, report_html
from shuzhi.workspace import Workspace

pytestmark = pytest.mark.slow

CHROMIUM_ENV = "SHUZHI_REQUIRE_CHROMIUM"
#: read at import: tests/conftest.py clears SHUZHI_* variables around each test
REQUIRED = os.environ.get(CHROMIUM_ENV) == "1"
KEEP_SCREENSHOT = os.environ.get("SHUZHI_REPORT_SCREENSHOT")


def chromium() -> str:
    """The Chromium executable, or skip (fail when ``SHUZHI_REQUIRE_CHROMIUM=1``)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    message = "Chromium is not installed (apt-get install chromium)"
    if REQUIRED:
        pytest.fail(f"{message}; required because {CHROMIUM_ENV}=1", pytrace=False)
    pytest.skip(message)


def headless(exe: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            exe,
            "--headless",
            "--no-sandbox",  # CI runs as root
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=15000",  # let the charts' scripts and animations finish
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )


def load_sample_city(root: Path) -> Workspace:
    """A fresh workspace with every sample file loaded in order (ingestion evaluates quality)."""
    ws = sample_city(root)
    for file in SAMPLE_FILES:
        result = ingest_sample(ws, file)
        assert result.quality_status == "passed", (file, result.hold_reason, result.notes)
    return ws


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    """The report of the sample city written to a file, and the number of charts it should draw."""
    chromium()  # skip before the slow loads when there is no browser
    root = tmp_path_factory.mktemp("report")
    ws = load_sample_city(root / "city")
    try:
        depts = departments_overview(ws)
        resources = sum(len(d.resources) for d in depts)
        assert resources == 4  # every sample resource has a scorecard, no rule written
        path = root / "质量报告.html"
        path.write_text(report_html(ws), encoding="utf-8")
    finally:
        ws.close()
    # the overview's department bars, a history per department and 3 charts per resource
    yield path, 1 + len(depts) + 3 * resources


def test_every_chart_draws_in_headless_chromium(report: tuple[Path, int], tmp_path: Path) -> None:
    path, charts = report
    done = headless(chromium(), tmp_path / "profile", "--dump-dom", path.as_uri())
    assert done.returncode == 0, done.stderr[-3000:]
    dom = done.stdout
    errors = re.search(r'data-js-errors="([^"]*)"', dom)
    assert errors is None, f"script errors in the report: {errors.group(1) if errors else ''}"
    rendered = re.search(r'data-charts-rendered="(\d+)"', dom)
    assert rendered is not None, "the charts' script did not finish"
    assert int(rendered.group(1)) == charts
    # ECharts' canvas renderer: one <canvas> per chart, inside the chart's container
    assert dom.count("<canvas") >= charts
    assert "暂缓发布" in dom or "未通过的规则" in dom  # the overview cards are there


def test_a_screenshot_of_the_report(report: tuple[Path, int], tmp_path: Path) -> None:
    path, _ = report
    png = tmp_path / "report.png"
    done = headless(
        chromium(), tmp_path / "profile", f"--screenshot={png}", "--window-size=1280,2400", path.as_uri()
    )
    assert done.returncode == 0, done.stderr[-3000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 50_000  # charts and tables, not a blank page
    if KEEP_SCREENSHOT:  # for a person to look at: SHUZHI_REPORT_SCREENSHOT=/tmp/report.png
        shutil.copyfile(png, KEEP_SCREENSHOT)
