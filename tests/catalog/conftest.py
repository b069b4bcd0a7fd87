"""Fixtures of the catalog tests: a workspace on each store, and the small catalog beside this file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shuzhi.catalog import declare
from shuzhi.workspace import Workspace

#: 晋城市: 公安局 户籍人口库, 卫健委 居民健康档案, 民政局 低保对象
CATALOG = Path(__file__).with_name("catalog.yaml")


@pytest.fixture
def catalog_yaml() -> Path:
    """The path of the small catalog."""
    return CATALOG


@pytest.fixture
def ws(tmp_path: Path, store_url: str) -> Iterator[Workspace]:
    """An empty workspace whose store is SQLite, then PostgreSQL."""
    w = Workspace.init(
        tmp_path / "city", name="晋城市", store_url=None if store_url.startswith("sqlite") else store_url
    )
    yield w
    w.close()


@pytest.fixture
def city(ws: Workspace) -> Workspace:
    """The workspace with ``catalog.yaml`` declared by 张三."""
    declare(ws, CATALOG, by="张三")
    return ws
