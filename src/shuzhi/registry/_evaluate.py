"""How good is a registry? Its crosswalk compared with a truth, in SQL on DuckDB.

::

    from shuzhi.registry._evaluate import evaluate, read_crosswalk

    result = evaluate(read_crosswalk(ws), truth, twins=twins)
    result.overall.f1, result.overall.bcubed_f1, result.resources["WG-RKCJ"].recall

The **crosswalk** says which registry identifier (cluster) each source record went to:
``(resource, record key, registry id)`` — as :func:`shuzhi.registry.export` writes it
(``resource, record_key, registry_id``) or as a run's records table holds it
(``src, rec_key, registry_id``; read it with :func:`shuzhi.registry.run_table` or
:func:`read_crosswalk`: an incremental update's run keeps it in parts). The **truth** says which
real person or legal entity each record is about: ``(resource, key, true id)``. Both can be a
PyArrow table, a Parquet or CSV file, or a list of tuples in that order; nothing here knows any
generator's files, so a person registry, a legal-entity registry and any city's truth are
evaluated alike.

Figures (records of the crosswalk that the truth labels; see :class:`Accuracy`):

* **pairwise** precision, recall and F1 over record pairs: a pair is *predicted* when both records
  are in one cluster, *true* when both are about one entity. Pairs are never enumerated: they are
  counted per cluster, per true entity and per (cluster, entity) intersection
  (``n·(n−1)/2`` each), so a million people cost a few ``GROUP BY``\\s;
* **B-cubed** precision and recall: per record, the share of its cluster that is its entity, and
  the share of its entity that is in its cluster, averaged over records;
* clusters against true entities, **over-merged** clusters (holding records of two or more true
  entities), **split** entities (records in two or more clusters), and, given the pairs of true
  identifiers that must never be merged (twins), how many of those pairs were merged.

**Per source resource**, the pairwise figures count the pairs with at least one record of that
resource (how well its records are linked to everyone else's), and B-cubed averages over its
records; over-merged and split count the clusters and entities its records are in.

A figure whose denominator is zero (no predicted or no true pairs) is 1.0: nothing was wrong.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shuzhi import errors

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from shuzhi.registry._spec import EntityKind
    from shuzhi.workspace import Workspace

__all__ = ["Accuracy", "Evaluation", "evaluate", "read_crosswalk"]

#: accepted column names, in order of preference: resource, record key, identifier
CROSSWALK_COLUMNS = (("resource", "src"), ("record_key", "rec_key", "key"), ("registry_id", "cluster_id"))
TRUTH_COLUMNS = (
    ("resource", "src"),
    ("key", "record_key", "rec_key"),
    ("true_id", "person_id", "entity_id"),
)


def _ratio(num: float, den: float) -> float:
    return 1.0 if den == 0 else num / den


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


@dataclass(frozen=True)
class Accuracy:
    """The figures of one scope: every labelled record (``scope == "*"``) or one resource's."""

    scope: str
    #: labelled records of the scope
    records: int
    #: clusters (registry identifiers) and true entities its records are in
    clusters: int
    entities: int
    #: record pairs: in one true entity, in one cluster, and both
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    #: sums over the scope's records of B-cubed precision and recall
    bcubed_precision_sum: float
    bcubed_recall_sum: float
    #: clusters holding records of two or more true entities
    over_merged: int
    #: true entities whose records are in two or more clusters
    split: int
    #: pairs of true identifiers that must stay apart (twins) found in one cluster; None: not given
    twins_merged: int | None = None

    @property
    def precision(self) -> float:
        return _ratio(self.correct_pairs, self.predicted_pairs)

    @property
    def recall(self) -> float:
        return _ratio(self.correct_pairs, self.true_pairs)

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)

    @property
    def bcubed_precision(self) -> float:
        return _ratio(self.bcubed_precision_sum, self.records)

    @property
    def bcubed_recall(self) -> float:
        return _ratio(self.bcubed_recall_sum, self.records)

    @property
    def bcubed_f1(self) -> float:
        return _f1(self.bcubed_precision, self.bcubed_recall)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for name in ("precision", "recall", "f1", "bcubed_precision", "bcubed_recall", "bcubed_f1"):
            d[name] = getattr(self, name)
        return d


@dataclass(frozen=True)
class Evaluation:
    """:func:`evaluate`'s result."""

    overall: Accuracy
    #: resource code -> its figures, in code order
    resources: dict[str, Accuracy] = field(default_factory=dict)
    #: crosswalk records the truth does not label (absent, or without a true identifier)
    unlabelled: int = 0
    #: truth records of the crosswalk's resources that are not in the crosswalk (e.g. never loaded)
    missing: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.to_dict(),
            "resources": {k: v.to_dict() for k, v in self.resources.items()},
            "unlabelled": self.unlabelled,
            "missing": self.missing,
        }


# -- inputs ---------------------------------------------------------------------------------------


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _load(
    con: duckdb.DuckDBPyConnection,
    what: str,
    data: Any,
    candidates: Sequence[Sequence[str]],
    columns: Sequence[str] | None,
) -> str:
    """Put ``data`` in the table ``what`` with VARCHAR columns ``a, b, c`` (from ``columns`` or
    the first of each ``candidates`` found); return where it came from (for messages)."""
    import pyarrow as pa

    source = what
    view = f"_in_{what}"
    if isinstance(data, pa.Table):
        con.register(view, data)
        names = list(data.column_names)
    elif isinstance(data, (str, os.PathLike)):
        path = Path(data)
        source = str(path)
        if not path.exists():
            raise errors.NotFound("文件 / file", str(path))
        lit = "'" + str(path).replace("'", "''") + "'"
        reader = (
            f"read_csv({lit}, header = true, all_varchar = true)"
            if path.suffix.lower() in (".csv", ".txt")
            else f"read_parquet({lit})"
        )
        try:
            con.execute(f"CREATE TEMP VIEW {view} AS SELECT * FROM {reader}")
        except Exception as e:  # duckdb raises its own error kinds for unreadable files
            raise errors.DataError(f"无法读取 / cannot read: {e}", file=source) from None
        names = [d[0] for d in con.execute(f"SELECT * FROM {view} LIMIT 0").description]
    else:
        rows = [tuple(r) for r in data]
        width = len(columns) if columns else 3
        bad = next((i for i, r in enumerate(rows) if len(r) != width), None)
        if bad is not None:
            raise errors.ValidationError({f"{what}[{bad}]": [f"应有 {width} 个值 / expected {width} values"]})
        names = list(columns) if columns else [c[0] for c in candidates]
        con.register(
            view,
            pa.table(
                {
                    n: pa.array([None if r[i] is None else str(r[i]) for r in rows], pa.string())
                    for i, n in enumerate(names)
                }
            ),
        )
    chosen: list[str] = []
    for i, options in enumerate(candidates):
        wanted = [columns[i]] if columns else list(options)
        found = next((c for c in wanted if c in names), None)
        if found is None:
            raise errors.DataError(
                f"缺少列 {' / '.join(wanted)} / no column {' or '.join(wanted)} "
                f"(columns: {', '.join(names)})",
                file=source,
                column=wanted[0],
            )
        chosen.append(found)
    a, b, c = (f"CAST({_q(n)} AS VARCHAR)" for n in chosen)
    con.execute(f"CREATE TEMP TABLE {what} AS SELECT {a} AS a, {b} AS b, {c} AS c FROM {view}")
    dup = con.execute(
        f"SELECT a, b, count(*) FROM {what} GROUP BY a, b HAVING count(*) > 1 ORDER BY a, b LIMIT 1"
    ).fetchall()
    if dup:
        raise errors.DataError(
            f"记录重复出现 {dup[0][2]} 次 / a record appears {dup[0][2]} times: "
            f"resource {dup[0][0]!r}, key {dup[0][1]!r}",
            file=source,
            column=chosen[1],
        )
    nulls = con.execute(f"SELECT count(*) FROM {what} WHERE a IS NULL OR b IS NULL").fetchall()[0][0]
    if nulls:
        raise errors.DataError(
            f"{nulls} 行缺少资源或记录键 / {nulls} rows without a resource or record key",
            file=source,
            column=chosen[0],
        )
    return source


def read_crosswalk(ws: Workspace, entity: EntityKind | str = "person") -> pa.Table:
    """The current run's crosswalk of the ``entity`` registry: ``resource, record_key,
    registry_id`` (what :func:`shuzhi.registry.export` writes)."""
    import duckdb

    from shuzhi.registry._build import current_run, run_folder
    from shuzhi.registry._spec import EntityKind

    kind = EntityKind(entity)
    run = current_run(ws, kind)
    if run is None:
        raise errors.NotFound(f"{kind.label_zh}的运行 / run of the {kind.value} registry", "current")
    from shuzhi.registry._parts import run_table

    records = run_table(run_folder(ws, run), "records")
    con = duckdb.connect()
    try:
        table: pa.Table = con.sql(
            f"SELECT src AS resource, rec_key AS record_key, registry_id FROM {records} ORDER BY src, rec_key"
        ).to_arrow_table()
    finally:
        con.close()
    return table


# -- the figures ----------------------------------------------------------------------------------


def evaluate(
    crosswalk: Any,
    truth: Any,
    *,
    twins: Any = None,
    crosswalk_columns: Sequence[str] | None = None,
    truth_columns: Sequence[str] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> Evaluation:
    """Compare ``crosswalk`` (resource, record key, registry id) with ``truth`` (resource, key,
    true id); see the module's documentation for the figures.

    ``twins``: pairs of true identifiers that must never share a cluster (a table or file of two
    columns, or a list of pairs); the result counts how many did. ``*_columns`` name the three
    columns when they are not among the usual names. ``con``: a DuckDB connection to work on
    (default: a new in-memory one). A record appearing twice in either table is an error.
    """
    import duckdb

    own = con is None
    db = duckdb.connect() if con is None else con
    try:
        return _evaluate(db, crosswalk, truth, twins, crosswalk_columns, truth_columns)
    finally:
        for t in ("cw", "tr", "tw", "j", "g"):
            db.execute(f"DROP TABLE IF EXISTS {t}")
        for v in ("_in_cw", "_in_tr", "_in_tw"):
            db.unregister(v)  # a registered table (nothing happens for another name)
            db.execute(f"DROP VIEW IF EXISTS {v}")  # a view over a file
        if own:
            db.close()


def _evaluate(
    db: duckdb.DuckDBPyConnection,
    crosswalk: Any,
    truth: Any,
    twins: Any,
    crosswalk_columns: Sequence[str] | None,
    truth_columns: Sequence[str] | None,
) -> Evaluation:
    _load(db, "cw", crosswalk, CROSSWALK_COLUMNS, crosswalk_columns)
    _load(db, "tr", truth, TRUTH_COLUMNS, truth_columns)
    has_twins = twins is not None
    if has_twins:
        _load_twins(db, twins)
    # records of the crosswalk with their true identifier; a record with no registry id is a
    # cluster of its own
    db.execute(
        """CREATE TEMP TABLE j AS
        SELECT cw.a AS resource, cw.b AS rkey, coalesce(cw.c, chr(0) || cw.a || chr(31) || cw.b) AS cid,
               tr.c AS tid
        FROM cw JOIN tr ON tr.a = cw.a AND tr.b = cw.b AND tr.c IS NOT NULL"""
    )
    unlabelled = _one(db, "SELECT (SELECT count(*) FROM cw) - (SELECT count(*) FROM j)")
    missing = _one(
        db,
        "SELECT count(*) FROM tr WHERE tr.a IN (SELECT DISTINCT a FROM cw) "
        "AND NOT EXISTS (SELECT 1 FROM cw WHERE cw.a = tr.a AND cw.b = tr.b)",
    )
    # the one table every figure is counted from: records per (cluster, entity, resource), with
    # the sizes of the cluster, the entity and their intersection
    db.execute(
        """CREATE TEMP TABLE g AS
        WITH x AS (SELECT cid, tid, resource, count(*) AS n FROM j GROUP BY cid, tid, resource)
        SELECT *, sum(n) OVER (PARTITION BY cid, tid) AS n_ct, sum(n) OVER (PARTITION BY cid) AS n_c,
               sum(n) OVER (PARTITION BY tid) AS n_t
        FROM x"""
    )

    def pairs(level: str) -> tuple[int, dict[str, int]]:
        """Pairs within groups of ``level``: in all, and touching each resource."""
        total = _one(
            db,
            f"SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (SELECT sum(n) AS n FROM g GROUP BY {level})",
        )
        rows = db.execute(
            f"""WITH r AS (SELECT {level}, resource, sum(n) AS n FROM g GROUP BY {level}, resource),
                     t AS (SELECT {level}, sum(n) AS n FROM g GROUP BY {level})
            SELECT r.resource, sum(t.n * (t.n - 1) // 2 - (t.n - r.n) * (t.n - r.n - 1) // 2)
            FROM r JOIN t USING ({level}) GROUP BY r.resource"""
        ).fetchall()
        return total, {str(k): int(v) for k, v in rows}

    true_all, true_by = pairs("tid")
    pred_all, pred_by = pairs("cid")
    both_all, both_by = pairs("cid, tid")

    per: dict[str, dict[str, Any]] = {}
    for resource, records, bp, br in db.execute(
        "SELECT resource, sum(n), sum(n * n_ct / n_c), sum(n * n_ct / n_t) FROM g GROUP BY resource"
    ).fetchall():
        per[str(resource)] = {"records": int(records), "bp": float(bp), "br": float(br)}
    for resource, clusters, entities in db.execute(
        "SELECT resource, count(DISTINCT cid), count(DISTINCT tid) FROM g GROUP BY resource"
    ).fetchall():
        per[str(resource)].update(clusters=int(clusters), entities=int(entities))
    over_sql = "SELECT cid FROM g GROUP BY cid HAVING count(DISTINCT tid) > 1"
    split_sql = "SELECT tid FROM g GROUP BY tid HAVING count(DISTINCT cid) > 1"
    for name, sql, col in (("over", over_sql, "cid"), ("split", split_sql, "tid")):
        for resource, n in db.execute(
            f"SELECT resource, count(DISTINCT {col}) FROM g WHERE {col} IN ({sql}) GROUP BY resource"
        ).fetchall():
            per[str(resource)][name] = int(n)
    twins_all: int | None = None
    twins_by: dict[str, int] = {}
    if has_twins:
        merged = """
            SELECT DISTINCT tw.a, tw.b, x.resource AS ra, y.resource AS rb
            FROM tw JOIN g AS x ON x.tid = tw.a JOIN g AS y ON y.tid = tw.b AND y.cid = x.cid"""
        twins_all = _one(db, f"SELECT count(DISTINCT (a, b)) FROM ({merged})")
        twins_by = {
            str(k): int(v)
            for k, v in db.execute(
                f"SELECT r, count(DISTINCT (a, b)) FROM (SELECT a, b, ra AS r FROM ({merged}) "
                f"UNION ALL SELECT a, b, rb FROM ({merged})) GROUP BY r"
            ).fetchall()
        }

    totals = db.execute("SELECT count(*), count(DISTINCT cid), count(DISTINCT tid) FROM j").fetchall()[0]
    sums = db.execute(
        "SELECT coalesce(sum(n * n_ct / n_c), 0), coalesce(sum(n * n_ct / n_t), 0) FROM g"
    ).fetchall()[0]
    overall = Accuracy(
        scope="*",
        records=int(totals[0]),
        clusters=int(totals[1]),
        entities=int(totals[2]),
        true_pairs=true_all,
        predicted_pairs=pred_all,
        correct_pairs=both_all,
        bcubed_precision_sum=float(sums[0]),
        bcubed_recall_sum=float(sums[1]),
        over_merged=_one(db, f"SELECT count(*) FROM ({over_sql})"),
        split=_one(db, f"SELECT count(*) FROM ({split_sql})"),
        twins_merged=twins_all,
    )
    resources = {
        r: Accuracy(
            scope=r,
            records=p["records"],
            clusters=p["clusters"],
            entities=p["entities"],
            true_pairs=true_by.get(r, 0),
            predicted_pairs=pred_by.get(r, 0),
            correct_pairs=both_by.get(r, 0),
            bcubed_precision_sum=p["bp"],
            bcubed_recall_sum=p["br"],
            over_merged=p.get("over", 0),
            split=p.get("split", 0),
            twins_merged=twins_by.get(r, 0) if has_twins else None,
        )
        for r, p in sorted(per.items())
    }
    return Evaluation(overall=overall, resources=resources, unlabelled=unlabelled, missing=missing)


def _load_twins(db: duckdb.DuckDBPyConnection, twins: Any) -> None:
    import pyarrow as pa

    if isinstance(twins, pa.Table):
        if twins.num_columns < 2:
            raise errors.DataError("孪生表应有两列 / the twins table needs two columns", file="twins")
        db.register("_in_tw", twins.select([0, 1]).rename_columns(["a", "b"]))
        src = "_in_tw"
    elif isinstance(twins, (str, os.PathLike)):
        path = str(twins).replace("'", "''")
        reader = (
            f"read_csv('{path}', header = true, all_varchar = true)"
            if str(twins).lower().endswith(".csv")
            else f"read_parquet('{path}')"
        )
        db.execute(f"CREATE TEMP VIEW _in_tw AS SELECT * FROM {reader}")
        cols = [d[0] for d in db.execute("SELECT * FROM _in_tw LIMIT 0").description]
        if len(cols) < 2:
            raise errors.DataError("孪生表应有两列 / the twins table needs two columns", file=str(twins))
        a, b = _q(cols[0]), _q(cols[1])
        db.execute(f"CREATE OR REPLACE TEMP VIEW _in_tw AS SELECT {a} AS a, {b} AS b FROM {reader}")
        src = "_in_tw"
    else:
        rows = [tuple(r) for r in twins]
        db.register(
            "_in_tw",
            pa.table(
                {
                    "a": pa.array([str(r[0]) for r in rows], pa.string()),
                    "b": pa.array([str(r[1]) for r in rows], pa.string()),
                }
            ),
        )
        src = "_in_tw"
    # unordered, distinct, never a person with themselves
    db.execute(
        f"""CREATE TEMP TABLE tw AS
        SELECT DISTINCT least(CAST(a AS VARCHAR), CAST(b AS VARCHAR)) AS a,
               greatest(CAST(a AS VARCHAR), CAST(b AS VARCHAR)) AS b
        FROM {src} WHERE a IS NOT NULL AND b IS NOT NULL AND CAST(a AS VARCHAR) <> CAST(b AS VARCHAR)"""
    )


def _one(db: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = db.execute(sql).fetchall()[0]
    return int(row[0] or 0)
