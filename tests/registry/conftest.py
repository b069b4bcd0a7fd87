"""A person registry built once per session from a small synthetic city (read-only for tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _people import Built, make_city

from shuzhi.registry import build
from shuzhi.workspace import Workspace


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("registry")
    ws = Workspace.init(root / "city")
    city = make_city()
    sources = city.write(root / "data", priority={"GA-HJ": 10})
    summary = build(ws, sources=sources)
    yield Built(ws, city, summary)
    ws.close()
