"""The base registries (基础库): one golden record per real person (人口库) and legal entity (法人库).

::

    from shuzhi.registry import build, lookup, stats, export

    summary = build(ws)                       # persons from every resource the catalog marks
    build(ws, "legal_entity")                 # legal entities (法人库), after the persons
    build_all(ws)                             # both, persons first
    lookup(ws, "110105491231002")             # a citizen ID in any written form, a registry id,
    lookup(ws, "张伟 1990-03-07")             # or a name with a date of birth
    lookup(ws, "91140500MA0L1234X5")          # a credit code, an organisation code, a name
    stats(ws)
    export(ws, "out/", format="csv")          # crosswalk + golden records

Which resources take part and which field plays which role come from the catalog
(:func:`derive_roles`, :class:`RegistrySpec`); linkage is Splink 5 with comparisons made for
Chinese data (``_linkage``); legal entities by deterministic rules on the credit code, the
organisation code and the normalised name (``_entity``); identifiers stay the same across runs
(``_identity``). The procedure is described in ``docs/registry.md``.

Importing this package is cheap: :class:`RegistrySpec` and its enumerations are loaded at once
(``shuzhi.catalog.spec`` may import them), everything else on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from shuzhi.registry._spec import EntityKind, RegistrySpec, Role

if TYPE_CHECKING:
    from shuzhi.registry._build import RetireRefused, RunSummary, build, build_all, catalog_sources, update
    from shuzhi.registry._evaluate import Accuracy, Evaluation, evaluate, read_crosswalk
    from shuzhi.registry._linkage import BlockingRuleCount, BudgetExceeded
    from shuzhi.registry._parts import run_table
    from shuzhi.registry._review import ReviewItem, decide, decide_pair, review_queue, split_record
    from shuzhi.registry._roles import SourceRoles, derive_roles
    from shuzhi.registry._service import RegistryEntry, export, lookup, parse_query, stats
    from shuzhi.registry._standardise import RegistrySource

__all__ = [
    "Accuracy",
    "BlockingRuleCount",
    "BudgetExceeded",
    "EntityKind",
    "Evaluation",
    "RegistryEntry",
    "RegistrySource",
    "RegistrySpec",
    "RetireRefused",
    "ReviewItem",
    "Role",
    "RunSummary",
    "SourceRoles",
    "build",
    "build_all",
    "catalog_sources",
    "decide",
    "decide_pair",
    "derive_roles",
    "evaluate",
    "export",
    "lookup",
    "parse_query",
    "read_crosswalk",
    "review_queue",
    "run_table",
    "split_record",
    "stats",
    "update",
]

_LAZY: dict[str, str] = {
    "Accuracy": "_evaluate",
    "Evaluation": "_evaluate",
    "evaluate": "_evaluate",
    "read_crosswalk": "_evaluate",
    "BlockingRuleCount": "_linkage",
    "BudgetExceeded": "_linkage",
    "RegistryEntry": "_service",
    "RegistrySource": "_standardise",
    "RetireRefused": "_build",
    "ReviewItem": "_review",
    "RunSummary": "_build",
    "SourceRoles": "_roles",
    "build": "_build",
    "build_all": "_build",
    "catalog_sources": "_build",
    "decide": "_review",
    "decide_pair": "_review",
    "derive_roles": "_roles",
    "export": "_service",
    "lookup": "_service",
    "parse_query": "_service",
    "review_queue": "_review",
    "run_table": "_parts",
    "split_record": "_review",
    "stats": "_service",
    "update": "_build",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'shuzhi.registry' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"shuzhi.registry.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
