"""Final clusters and stable registry identifiers, in SQL on the run's DuckDB connection.

1. **Two valid, different citizen IDs are two people.** Splink's clusters are connected
   components: a record without an ID that matches both of two twins joins them into one cluster.
   Where a cluster holds several valid IDs, each ID anchors a person and every other record goes
   with the anchor it is most strongly linked to (following links through other records).
2. **Identifiers are inherited.** A new cluster takes the identifier of the previous run's person
   holding most of its records (records are recognised by resource and declared key). Clusters
   and previous persons are paired by mutual best overlap, repeatedly, so an identifier goes to
   the cluster holding most of its records; ties go to the smaller identifier and to the cluster
   whose first record (resource, key) sorts first. Clusters left over get new identifiers, in the
   order of their first record.
3. **Merges and splits are recorded.** Records that moved from one identifier to another are
   counted per pair of identifiers; an identifier left without a cluster was merged (all its
   records went to one person) or retired (they went to several, or none remain).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shuzhi.registry._spec import EntityKind

if TYPE_CHECKING:
    import duckdb

__all__ = ["Event", "IdentityResult", "assign_identifiers", "split_on_different_ids", "write_identity"]

#: rounds of link-following when attaching records to an ID's person (longer chains go alone)
_ATTACH_ROUNDS = 8


def split_on_different_ids(con: duckdb.DuckDBPyConnection, *, threshold: float) -> int:
    """``clus(rid, ckey)`` from ``clus0(rid, cluster_id)``, splitting clusters that hold several
    valid citizen IDs; returns how many clusters were split. Needs ``rec`` and ``links`` (the
    scored pairs that may link two records)."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE bad AS
        SELECT c.cluster_id FROM clus0 AS c JOIN rec AS r USING (rid)
        WHERE r.id_valid GROUP BY c.cluster_id HAVING count(DISTINCT r.id18) > 1"""
    )
    row = con.execute("SELECT count(*) FROM bad").fetchall()[0]
    n_bad = int(row[0]) if row else 0
    if n_bad == 0:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE clus AS "
            "SELECT rid, CAST(cluster_id AS VARCHAR) AS ckey, false AS split_by_id FROM clus0"
        )
        return 0
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE bad_edges AS
        WITH members AS (SELECT c.rid, c.cluster_id FROM clus0 AS c JOIN bad USING (cluster_id)),
        e AS (
            SELECT rid_l AS a, rid_r AS b, match_probability AS p FROM links
            WHERE match_probability >= {threshold}
            UNION ALL
            SELECT rid_r AS a, rid_l AS b, match_probability AS p FROM links
            WHERE match_probability >= {threshold}
        )
        SELECT e.a, e.b, e.p FROM e JOIN members AS ma ON ma.rid = e.a JOIN members AS mb ON mb.rid = e.b
        WHERE ma.cluster_id = mb.cluster_id"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE attach AS
        SELECT c.rid, r.id18 AS grp FROM clus0 AS c JOIN bad USING (cluster_id) JOIN rec AS r USING (rid)
        WHERE r.id_valid"""
    )
    for _ in range(_ATTACH_ROUNDS):
        added = con.execute(
            """INSERT INTO attach
            SELECT e.a AS rid, first(t.grp ORDER BY e.p DESC, t.grp) AS grp
            FROM bad_edges AS e JOIN attach AS t ON t.rid = e.b
            WHERE e.a NOT IN (SELECT rid FROM attach)
            GROUP BY e.a"""
        ).fetchall()[0]
        if not added or int(added[0]) == 0:
            break
    con.execute(
        """CREATE OR REPLACE TEMP TABLE clus AS
        SELECT c.rid,
               CASE WHEN b.cluster_id IS NULL THEN CAST(c.cluster_id AS VARCHAR)
                    ELSE CAST(c.cluster_id AS VARCHAR) || '/'
                         || coalesce(t.grp, 'r' || CAST(c.rid AS VARCHAR))
               END AS ckey,
               b.cluster_id IS NOT NULL AS split_by_id
        FROM clus0 AS c LEFT JOIN bad AS b USING (cluster_id) LEFT JOIN attach AS t USING (rid)"""
    )
    return n_bad


@dataclass
class Event:
    """A merge or split between the previous run and this one (see RegistryEvent)."""

    registry_id: str
    action: str
    related: list[str]
    reason: str
    reason_text: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class IdentityResult:
    new_ids: int
    inherited: int
    merged: list[tuple[str, str]]  # (old, into)
    retired: list[str]
    events: list[Event]


_REASONS = {
    "linked": (
        "记录被判定为同一{noun}（匹配概率 {p}）",
        "records matched as one {noun_en} (match probability {p})",
    ),
    "unlinked": (
        "记录不再与其余记录匹配（低于阈值 {t}，或记录有变）",
        "records no longer match the rest (below the threshold {t}, or a record changed)",
    ),
    "different_ids": (
        "同一聚类中有不同的有效身份证号，按号码拆分",
        "one cluster held different valid citizen IDs: split by ID",
    ),
    "records_removed": (
        "该{noun}的记录已全部不在来源数据中",
        "none of this {noun_en}'s records remain in the sources",
    ),
}

#: the same reasons worded for legal entities, where they differ
_ENTITY_REASONS = {
    "linked": (
        "记录按规则判定为同一法人（{p}）",
        "records linked as one legal entity by the registry's rules ({p})",
    ),
    "unlinked": (
        "记录不再与其余记录关联（代码或名称有变）",
        "records no longer link to the rest (their code or name changed)",
    ),
}

#: kind -> (中文, English) noun for the reasons
_NOUNS = {EntityKind.person: ("人", "person"), EntityKind.legal_entity: ("法人", "legal entity")}


def _reason(code: str, kind: EntityKind = EntityKind.person, **values: object) -> str:
    zh, en = (_ENTITY_REASONS if kind is EntityKind.legal_entity else {}).get(code, _REASONS[code])
    noun, noun_en = _NOUNS[kind]
    return f"{zh.format(noun=noun, **values)} / {en.format(noun_en=noun_en, **values)}"


def assign_identifiers(
    con: duckdb.DuckDBPyConnection,
    *,
    prefix: str,
    next_number: int,
    threshold: float,
    kind: EntityKind = EntityKind.person,
) -> IdentityResult:
    """``ids(ckey, registry_id)`` and ``rec.registry_id``, from ``clus``, ``rec`` and ``prev(src,
    rec_key, registry_id)`` (the previous run's crosswalk, possibly empty), for either registry:
    ``kind`` only words the reasons (a person, a legal entity). ``links(rid_l, rid_r,
    match_probability)`` are the pairs that may link two records (a legal entity's rule links
    carry 1.0)."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE cl AS
        SELECT c.ckey, min(r.src || chr(31) || r.rec_key) AS cmin, count(*) AS n
        FROM clus AS c JOIN rec AS r USING (rid) GROUP BY c.ckey"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE ov AS
        SELECT c.ckey, p.registry_id AS old, count(*) AS n
        FROM rec AS r JOIN clus AS c USING (rid) JOIN prev AS p ON p.src = r.src AND p.rec_key = r.rec_key
        GROUP BY c.ckey, p.registry_id"""
    )
    con.execute("CREATE OR REPLACE TEMP TABLE asg (ckey VARCHAR, registry_id VARCHAR)")
    while True:
        added = con.execute(
            """INSERT INTO asg
            WITH cand AS (
                SELECT ov.ckey, ov.old, ov.n, cl.cmin FROM ov JOIN cl USING (ckey)
                WHERE ov.ckey NOT IN (SELECT ckey FROM asg) AND ov.old NOT IN (SELECT registry_id FROM asg)
            ), ranked AS (
                SELECT *, row_number() OVER (PARTITION BY ckey ORDER BY n DESC, old) AS rc,
                          row_number() OVER (PARTITION BY old ORDER BY n DESC, cmin) AS ro
                FROM cand
            )
            SELECT ckey, old FROM ranked WHERE rc = 1 AND ro = 1"""
        ).fetchall()[0]
        if not added or int(added[0]) == 0:
            break
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE ids AS
        SELECT cl.ckey, a.registry_id FROM cl JOIN asg AS a USING (ckey)
        UNION ALL
        SELECT ckey,
               {_sql_str(prefix)} || lpad(CAST({int(next_number)} - 1 + row_number() OVER (ORDER BY cmin)
                                                   AS VARCHAR), 12, '0')
        FROM cl WHERE ckey NOT IN (SELECT ckey FROM asg)"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE rec_ids AS
        SELECT c.rid, i.registry_id, c.ckey FROM clus AS c JOIN ids AS i USING (ckey)"""
    )
    counts = con.execute(
        "SELECT (SELECT count(*) FROM asg), (SELECT count(*) FROM ids) - (SELECT count(*) FROM asg)"
    ).fetchall()[0]
    assert counts is not None
    inherited, new_ids = int(counts[0]), int(counts[1])

    # records that moved between identifiers, and the strongest pair that links them to the rest
    con.execute(
        """CREATE OR REPLACE TEMP TABLE moved AS
        SELECT p.registry_id AS old, i.registry_id AS new, r.rid, i.ckey
        FROM prev AS p JOIN rec AS r ON p.src = r.src AND p.rec_key = r.rec_key
        JOIN rec_ids AS i USING (rid) WHERE p.registry_id <> i.registry_id"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE rec_prev AS
        SELECT i.rid, i.registry_id, p.registry_id AS prev_id
        FROM rec_ids AS i JOIN rec AS r USING (rid)
        LEFT JOIN prev AS p ON p.src = r.src AND p.rec_key = r.rec_key"""
    )
    moves = con.execute(
        f"""WITH e AS (
            SELECT rid_l AS a, rid_r AS b, match_probability AS p FROM links
            WHERE match_probability >= {threshold}
            UNION ALL
            SELECT rid_r AS a, rid_l AS b, match_probability AS p FROM links
            WHERE match_probability >= {threshold}
        ), strongest AS (
            SELECT m.old, m.new, max(e.p) AS p
            FROM moved AS m JOIN e ON e.a = m.rid
            JOIN rec_prev AS o ON o.rid = e.b AND o.registry_id = m.new AND o.prev_id IS DISTINCT FROM m.old
            GROUP BY m.old, m.new
        ), by_id AS (
            SELECT DISTINCT m.old, m.new FROM moved AS m JOIN clus AS c USING (rid) WHERE c.split_by_id
        )
        SELECT m.old, m.new, count(*) AS n, any_value(s.p) AS p, bool_or(d.old IS NOT NULL) AS by_id
        FROM moved AS m LEFT JOIN strongest AS s USING (old, new) LEFT JOIN by_id AS d USING (old, new)
        GROUP BY m.old, m.new ORDER BY m.old, m.new"""
    ).fetchall()
    lost = con.execute(
        """SELECT DISTINCT p.registry_id FROM prev AS p
        WHERE p.registry_id NOT IN (SELECT registry_id FROM asg) ORDER BY 1"""
    ).fetchall()
    kept_ids = {str(r[0]) for r in con.execute("SELECT registry_id FROM asg").fetchall()}

    dests: dict[str, list[tuple[str, int, float | None, bool]]] = {}
    for old, new, n, p, by_id in moves:
        dests.setdefault(str(old), []).append(
            (str(new), int(n), None if p is None else float(p), bool(by_id))
        )
    events: list[Event] = []
    merged: list[tuple[str, str]] = []
    retired: list[str] = []
    t = f"{threshold:g}"
    for (old_id,) in lost:
        old = str(old_id)
        to = dests.get(old, [])
        if len(to) == 1 and not to[0][3]:
            new, n, p, _ = to[0]
            merged.append((old, new))
            text = _reason("linked", kind, p="?" if p is None else f"{p:.4f}")
            events.append(Event(old, "merged", [new], "linked", text, {"records": n, "probability": p}))
            events.append(Event(new, "absorbed", [old], "linked", text, {"records": n, "probability": p}))
        elif not to:
            retired.append(old)
            events.append(Event(old, "retired", [], "records_removed", _reason("records_removed", kind)))
        else:
            retired.append(old)
            by_id = any(d[3] for d in to)
            code = "different_ids" if by_id else "unlinked"
            events.append(
                Event(
                    old,
                    "split",
                    [d[0] for d in to],
                    code,
                    _reason(code, kind, t=t),
                    {"records": {d[0]: d[1] for d in to}},
                )
            )
    for old, to in dests.items():
        if old not in kept_ids:
            continue
        for new, n, p, by_id in to:  # an identifier that lives on but lost records to another
            if by_id:
                code, text = "different_ids", _reason("different_ids", kind)
            elif p is not None:
                code, text = "linked", _reason("linked", kind, p=f"{p:.4f}")
            else:
                code, text = "unlinked", _reason("unlinked", kind, t=t)
            events.append(Event(old, "split", [new], code, text, {"records": n, "probability": p}))
            if code == "linked":
                events.append(Event(new, "absorbed", [old], code, text, {"records": n, "probability": p}))
    return IdentityResult(new_ids=new_ids, inherited=inherited, merged=merged, retired=retired, events=events)


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def write_identity(con: duckdb.DuckDBPyConnection, out: Path, result: IdentityResult) -> None:
    """``identity.json`` in the run folder ``out``: the identifiers the run made (from ``ids`` and
    ``asg`` of :func:`assign_identifiers`), those merged and retired, and the events."""
    new_ids = [
        str(r[0])
        for r in con.execute(
            "SELECT registry_id FROM ids WHERE ckey NOT IN (SELECT ckey FROM asg) ORDER BY registry_id"
        ).fetchall()
    ]
    (out / "identity.json").write_text(
        json.dumps(
            {
                "new": new_ids,
                "merged": result.merged,
                "retired": result.retired,
                "events": [dataclasses.asdict(e) for e in result.events],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
