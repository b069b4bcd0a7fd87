"""Each domain package's public surface is its sorted ``__all__``; nothing else leaks (httpx habit)."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = [
    "shuzhi.catalog",
    "shuzhi.config",
    "shuzhi.demo",
    "shuzhi.demo.city",
    "shuzhi.engine",
    "shuzhi.errors",
    "shuzhi.ingest",
    "shuzhi.quality",
    "shuzhi.ingest.readers",
    "shuzhi.registry",
    "shuzhi.standards",
    "shuzhi.store",
    "shuzhi.web",
    "shuzhi.workspace",
]


def _isort_style(name: str) -> tuple[int, str]:
    """The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_complete(name: str) -> None:
    mod = importlib.import_module(name)
    exported = list(mod.__all__)
    assert exported == sorted(exported, key=_isort_style), f"{name}.__all__ is not sorted"
    for attr in exported:
        assert hasattr(mod, attr), f"{name}.__all__ names {attr}, which does not exist"
    public = {
        n
        for n, obj in vars(mod).items()
        if not n.startswith("_") and str(getattr(obj, "__module__", "")).startswith("shuzhi")
    }
    assert public <= set(exported), (
        f"{name} exposes names missing from __all__: {sorted(public - set(exported))}"
    )
