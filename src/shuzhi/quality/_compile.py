"""Row rules → one SQL statement: every rule of a resource in a single scan of its version.

::

    SELECT count(*) AS __n,
           sum(CASE WHEN __c0 THEN 1 ELSE 0 END) AS c0,          -- rows checked
           sum(CASE WHEN __f0 THEN 1 ELSE 0 END) AS f0,          -- rows failing
           min(__row, 5) FILTER (WHERE __f0) AS s0,              -- the first failing rows
           ...
    FROM (SELECT *, CASE WHEN <checked 0> THEN true ELSE false END AS __c0,
                    CASE WHEN <checked 0> AND <failing 0> THEN true ELSE false END AS __f0, ...
          FROM (SELECT d.*, <row number>, <derived values>, <joined columns>, <duplicate counts>
                FROM (<version data, missing fields as NULL>) AS d LEFT JOIN (...) AS __j0 ON ...) AS b)

The base relation adds what rules need beside the row: values several rules share, computed once
(e.g. the 17 digits of a citizen ID); a LEFT JOIN per cross-resource rule (the other resource's
distinct keys, so no row is multiplied); and for each uniqueness rule a join on the duplicated
values (a hash aggregate being cheaper than a window's sort). Samples are the first
``sample_size`` failing rows by ``_row``: the scan keeps only their row numbers (DuckDB with the
bounded ``min(__row, n)``, other engines with a sorted, sliced list), and
:meth:`ScanPlan.sample_sql` then reads those few rows' fields, masked per field sensitivity, in a
second query filtered on the row numbers. Building every failing row's values inside the scan
cost as much as all the rules together (a record-age rule can fail on a sixth of the rows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shuzhi.quality._masking import mask_kind, mask_sql
from shuzhi.quality.rules import RowRule, RuleSql, SqlContext, quote

__all__ = ["ScanPlan", "compile_scan"]


@dataclass(frozen=True)
class ScanPlan:
    """The compiled scan: ``sql`` and, per rule (in order), its SQL and the sample's fields; rule
    ``i`` answers in columns ``c{i}`` (checked), ``f{i}`` (failing), ``s{i}`` (sample)."""

    sql: str
    rules: tuple[tuple[RowRule, RuleSql, tuple[str, ...]], ...]
    missing: tuple[str, ...]  # declared fields the data lacks (read as NULL)
    source: str = ""  # the version's rows with their ``__row`` (what the samples are read from)
    spec: object = None

    def sample_sql(self, rows: Sequence[int]) -> str | None:
        """The query that reads the sampled ``rows`` (row numbers from the scan's ``s<i>``
        columns): ``__row`` and every field a sample shows, as text masked per the field's
        sensitivity. None when there is nothing to read."""
        from shuzhi.catalog.spec import ResourceSpec

        assert isinstance(self.spec, ResourceSpec)
        wanted = sorted({int(r) for r in rows})
        if not wanted:
            return None
        names = list(dict.fromkeys(n for _rule, _rs, shown in self.rules for n in shown))
        cols = "".join(
            f", {mask_sql(mask_kind(self.spec.field(n)), f'CAST({quote(n)} AS VARCHAR)')} AS {quote(n)}"
            for n in names
        )
        values = ", ".join(str(r) for r in wanted)
        return f"SELECT __row{cols} FROM ({self.source}) AS sz_rows WHERE __row IN ({values}) ORDER BY __row"


def compile_scan(
    rules: Sequence[RowRule],
    *,
    spec: object,
    data: str,
    columns: Mapping[str, str],
    today: dt.date,
    loaded_on: dt.date,
    refs: Mapping[str, str],
    sample_size: int = 5,
    dialect: str = "duckdb",
) -> ScanPlan:
    """Compile ``rules`` into one SELECT over the registered view ``data`` (whose columns and
    types are ``columns``); ``refs`` names the views of other resources' current versions."""
    from shuzhi.catalog.spec import ResourceSpec

    assert isinstance(spec, ResourceSpec)
    ctx = SqlContext(
        spec=spec,
        columns=columns,
        today=today,
        loaded_on=loaded_on,
        has_issues="_issues" in columns,
        refs=refs,
    )
    compiled: list[tuple[RowRule, RuleSql, tuple[str, ...]]] = []
    keys = tuple(f.name for f in spec.fields if f.key)
    for rule in rules:
        rs = rule.to_sql(ctx)
        shown = tuple(dict.fromkeys([*keys, *rs.fields]))
        compiled.append((rule, rs, shown))

    missing = tuple(f.name for f in spec.fields if f.name not in columns)
    inner = f"SELECT * FROM {quote(data)}"
    if missing:
        nulls = ", ".join(f"CAST(NULL AS {spec.field(n).sql_type}) AS {quote(n)}" for n in missing)
        inner = f"SELECT *, {nulls} FROM {quote(data)}"
    row = "d._row" if "_row" in columns else "row_number() OVER ()"
    source = f"SELECT d.*, {row} AS __row FROM ({inner}) AS d"
    base_cols = ["d.*", f"{row} AS __row"]
    joins: list[str] = []
    for alias, relation, on, cols in ctx.joins:
        joins.append(f"LEFT JOIN ({relation}) AS {alias} ON {on}")
        base_cols += [f"{alias}.{c} AS {alias}_{c}" for c in cols]
    rows = f"({inner}) AS d"
    if ctx.derived and (ctx.joins or ctx.windows):
        # the shared values are computed below the joins: in the same projection as the rule
        # flags, DuckDB inlines them into every rule that reads them (in CASE conditions, which
        # it does not share), e.g. the 17 digits of a citizen ID cast once per use: 2.5 -> 1.2
        # CPU-s for the scan of a million rows
        derived = ", ".join(f"{expr} AS {alias}" for expr, alias in ctx.derived.items())
        rows = f"(SELECT d.*, {derived} FROM ({inner}) AS d) AS d"
    else:
        base_cols += [f"{expr} AS {alias}" for expr, alias in ctx.derived.items()]
    for alias, parts in ctx.windows:
        # rows sharing a value: a hash aggregate joined back (cheaper than a window's sort)
        group_keys = ", ".join(f"{p} AS k{j}" for j, p in enumerate(parts))
        present = " AND ".join(f"{p} IS NOT NULL" for p in parts)
        groups = f"SELECT {group_keys}, count(*) AS n FROM ({inner}) AS g WHERE {present} "
        groups += f"GROUP BY {', '.join(parts)} HAVING count(*) > 1"
        on = " AND ".join(f"d.{p} = {alias}.k{j}" for j, p in enumerate(parts))
        joins.append(f"LEFT JOIN ({groups}) AS {alias} ON {on}")
        base_cols.append(f"{alias}.n AS {alias}")
    base = f"SELECT {', '.join(base_cols)} FROM {rows} {' '.join(joins)}".strip()

    # each rule's predicates are evaluated once per row, as CASE conditions (which DuckDB
    # short-circuits, unlike coalesce() or IS TRUE around them), into the flags __c<i> / __f<i>
    flags: list[str] = []
    aggs = ["count(*) AS __n"]
    outer = ["__n"]
    for i, (_rule, rs, _shown) in enumerate(compiled):
        outer += [f"c{i}", f"f{i}"]
        if rs.skipped is not None:
            aggs += [f"0 AS c{i}", f"0 AS f{i}"]
            outer.append(f"NULL AS s{i}")
            continue
        flags.append(f"CASE WHEN {rs.checked} THEN true ELSE false END AS __c{i}")
        flags.append(f"CASE WHEN ({rs.checked}) AND ({rs.failing}) THEN true ELSE false END AS __f{i}")
        aggs.append(f"sum(CASE WHEN __c{i} THEN 1 ELSE 0 END) AS c{i}")
        aggs.append(f"sum(CASE WHEN __f{i} THEN 1 ELSE 0 END) AS f{i}")
        if sample_size > 0:
            # only the row numbers here; their values are read by sample_sql() afterwards
            if dialect == "duckdb":
                agg = f"min(__row, {int(sample_size)}) FILTER (WHERE __f{i})"
            else:
                agg = f"array_slice(list_sort(list(__row) FILTER (WHERE __f{i})), 1, {int(sample_size)})"
            aggs.append(f"{agg} AS s{i}")
            outer.append(f"s{i}")
        else:
            outer.append(f"NULL AS s{i}")
    flagged = f"SELECT *, {', '.join(flags)} FROM ({base}) AS b" if flags else f"SELECT * FROM ({base}) AS b"
    sql = f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(aggs)} FROM ({flagged}) AS q) AS a"
    return ScanPlan(sql=sql, rules=tuple(compiled), missing=missing, source=source, spec=spec)
