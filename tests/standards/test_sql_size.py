"""The expanded SQL of the check macros stays small.

DuckDB inlines a macro at every call, and a macro body that names another macro several times
(in CASE branches, struct fields) re-expands it at each name. ``sz_idcard_check`` once grew to
622,535 characters that way (``sz_uscc_check`` 408,439) and DuckDB spent seconds planning any
query that called it. These bounds keep that from coming back unnoticed (a size, not a time:
the tests assert no timings; planning times are in docs/benchmarks.md).
"""

from __future__ import annotations

import pytest
import sqlglot

from shuzhi.standards._sql import expand

#: upper bounds on ``len(expand("SELECT <macro>(v) FROM t"))``, about twice today's sizes
BOUNDS = {
    "sz_idcard_check": 60_000,
    "sz_idcard_valid": 60_000,
    "sz_idcard_normalize": 60_000,
    "sz_idcard_birth": 60_000,
    "sz_idcard_sex": 60_000,
    "sz_uscc_check": 60_000,
    "sz_uscc_valid": 60_000,
    "sz_uscc_normalize": 60_000,
    "sz_orgcode_check": 60_000,
    "sz_address_check": 200_000,
    "sz_name_check": 30_000,
    "sz_phone_check": 35_000,
    "sz_date_check": 25_000,
}


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_expanded_macro_stays_small(name: str) -> None:
    size = len(expand(f"SELECT {name}(v) FROM t"))
    assert size < BOUNDS[name], f"{name} expands to {size:,} characters (bound {BOUNDS[name]:,})"


@pytest.mark.parametrize("name", ["sz_idcard_check", "sz_idcard_birth", "sz_uscc_check", "sz_orgcode_check"])
def test_expanded_macro_transpiles_to_spark(name: str) -> None:
    duck = expand(f"SELECT {name}(v) FROM t")
    sqlglot.transpile(duck, read="duckdb", write="spark")
    assert name not in expand(f"SELECT {name}(v) FROM t", write="spark")
