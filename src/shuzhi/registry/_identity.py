"""Final clusters and stable registry identifiers, in SQL on the run's DuckDB connection.

1. **Two valid, different citizen IDs are two people.** Splink's clusters are connected
   components: a record without an ID that matches both of two twins joins them into one cluster.
   Where a cluster holds several valid IDs, each ID anchors a person and every other record goes
   with the anchor it is most strongly linked to (following links through other records).
2. **Identifiers are inherited.** A new cluster takes the identifier of the previous run's person
   holding most of its records (records are recognised by resource and declared key). Clusters
   and previous persons are paired by mutual best overlap, repeatedly, so an identifier goes to
   the cluster holding most of its records; ties go to the smaller identifier and to the cluster
   whose first record (resource, key) sorts first. Then, for the clusters and identifiers left,
   the same pairing on two weaker kinds of evidence, in turn: a record of a resource without a
   key (keyed by content) that **succeeds** a vanished one of the same resource (``succ``: the
   same person's record with a value added or changed), and a record that was **absent from the
   previous run** with the retired identifier it held when last seen (``revive``: a source left
   out of a run, or loaded empty, and back). Clusters left over get new identifiers, in the order
   of their first record.
3. **Merges and splits are recorded.** Records that moved from one identifier to another are
   counted per pair of identifiers; an identifier left without a cluster was merged (all its
   records went to one person) or retired (they went to several, or none remain). An identifier
   revived, and one carried over to a successor record, is recorded too.

Records absent from a run are remembered in the run's ``departed.parquet`` (resource, key, the
identifier last held, the last run that held the record), carried from run to run, so that an
identifier can come back however many runs later its records do.
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

    from shuzhi.store import RegistryRun
    from shuzhi.workspace import Workspace

__all__ = [
    "CONTENT_KEY",
    "DEPARTED_FILE",
    "Event",
    "IdentityResult",
    "assign_identifiers",
    "content_successors",
    "split_on_different_ids",
    "write_departed",
    "write_identity",
]

#: rounds of link-following when attaching records to an ID's person (longer chains go alone)
_ATTACH_ROUNDS = 8

#: the records a run no longer holds, with the identifier they last held (in the run's folder)
DEPARTED_FILE = "departed.parquet"

#: a content key (a record of a resource without a declared key: ``h:<md5 of its values>#<n>``)
CONTENT_KEY = "^h:[0-9a-f]{32}#[0-9]+$"


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


def split_on_decisions(con: duckdb.DuckDBPyConnection, *, threshold: float) -> int:
    """Keep apart what clerks decided ``different`` (``decided``): a cluster of ``clus`` that
    still holds both records of such a decision — joined through a third record that matches
    both — is clustered again from its links, strongest first, never joining two records decided
    different (a union–find that refuses such a merge). Its parts get ``ckey/d<rid>``; returns how
    many clusters were split. The decisions already removed their own pair; this removes the
    path around it. Such clusters are few (one per contrary decision), hence Python, not SQL."""
    has = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'decided' AND temporary"
    ).fetchall()[0][0]
    if not has:
        return 0
    apart = con.execute(
        """SELECT d.rid_l, d.rid_r, l.ckey FROM decided AS d
        JOIN clus AS l ON l.rid = d.rid_l JOIN clus AS r ON r.rid = d.rid_r
        WHERE NOT d.same AND l.ckey = r.ckey"""
    ).fetchall()
    if not apart:
        return 0
    torn = sorted({str(k) for _, _, k in apart})
    con.execute("CREATE OR REPLACE TEMP TABLE torn (ckey VARCHAR)")
    con.executemany("INSERT INTO torn VALUES (?)", [(k,) for k in torn])
    members = con.execute("SELECT c.rid, c.ckey FROM clus AS c JOIN torn USING (ckey)").fetchall()
    edges = con.execute(
        f"""SELECT e.rid_l, e.rid_r, e.match_probability FROM links AS e
        JOIN clus AS a ON a.rid = e.rid_l JOIN clus AS b ON b.rid = e.rid_r
        JOIN torn AS t ON t.ckey = a.ckey
        WHERE a.ckey = b.ckey AND e.match_probability >= {threshold}
        ORDER BY e.match_probability DESC, e.rid_l, e.rid_r"""
    ).fetchall()
    parent = {int(rid): int(rid) for rid, _ in members}
    group = {int(rid): {int(rid)} for rid, _ in members}
    never: dict[int, set[int]] = {r: set() for r in parent}
    for a, b, _ in apart:
        never[int(a)].add(int(b))
        never[int(b)].add(int(a))

    def root(r: int) -> int:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    for a, b, _ in edges:
        ra, rb = root(int(a)), root(int(b))
        if ra == rb or never[ra] & group[rb]:
            continue  # one already, or the merge would join two records decided different
        if len(group[ra]) < len(group[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        group[ra] |= group.pop(rb)
        never[ra] |= never.pop(rb)
    parts = [(int(rid), f"{ckey}/d{min(group[root(int(rid))])}") for rid, ckey in members]
    con.execute("CREATE OR REPLACE TEMP TABLE torn_parts (rid BIGINT, ckey VARCHAR)")
    con.executemany("INSERT INTO torn_parts VALUES (?, ?)", parts)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE clus AS
        SELECT c.rid, coalesce(t.ckey, c.ckey) AS ckey, c.split_by_id
        FROM clus AS c LEFT JOIN torn_parts AS t USING (rid)"""
    )
    return len(torn)


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
    #: retired identifiers given back to the records that held them (see ``revive``)
    revived: list[str] = field(default_factory=list)
    #: (resource, old key, new key) of each content-keyed record that succeeds a vanished one
    successors: list[tuple[str, str, str]] = field(default_factory=list)


_REASONS = {
    "linked": (
        "记录被判定为同一{noun}（匹配概率 {p}）",
        "records matched as one {noun_en} (match probability {p})",
    ),
    "unlinked": (
        "记录不再与其余记录匹配（低于阈值 {t}，或记录有变）",
        "records no longer match the rest (below the threshold {t}, or a record changed)",
    ),
    "decided": (
        "人工复核裁定为不同的{noun}，按裁定拆分",
        "decided different {noun_en}s in clerical review: split as decided",
    ),
    "decided_same": (
        "人工复核裁定为同一{noun}，按裁定合并",
        "decided the same {noun_en} in clerical review: merged as decided",
    ),
    "different_ids": (
        "同一聚类中有不同的有效身份证号，按号码拆分",
        "one cluster held different valid citizen IDs: split by ID",
    ),
    "records_removed": (
        "该{noun}的记录已全部不在来源数据中",
        "none of this {noun_en}'s records remain in the sources",
    ),
    "content_removed": (
        "该{noun}的记录均来自无主键的来源，其内容已改变或已删除，且没有新记录可视为其后继",
        "this {noun_en}'s records all came from resources without a key; their values changed or "
        "they were removed, and no new record could be taken as their successor",
    ),
    "content_changed": (
        "无主键来源 {resource} 中的记录内容有变（{old} → {new}），沿用原标识",
        "a record of {resource}, a resource without a key, changed its values ({old} -> {new}): "
        "the identifier is kept",
    ),
    "records_returned": (
        "该{noun}的记录重新出现在来源数据中（最后见于运行 {last}），恢复原标识",
        "this {noun_en}'s records are back in the sources (last seen in run {last}): the identifier "
        "is active again",
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
    carry 1.0).

    Two optional tables bring weaker evidence, used only for the clusters and identifiers the
    previous run's crosswalk left unpaired: ``succ(src, rec_key, registry_id, old_key)``, records
    of resources without a key that succeed a vanished record (:func:`content_successors`), and
    ``revive(src, rec_key, registry_id, last_run)``, records absent from the previous run with the
    retired identifier they last held. ``decided(rid_l, rid_r, same)``, the clerical decisions on
    this run's records, words the reason of a split they made (``decided``)."""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS decided (rid_l BIGINT, rid_r BIGINT, same BOOLEAN)")
    con.execute(
        "CREATE TEMP TABLE IF NOT EXISTS succ "
        "(src VARCHAR, rec_key VARCHAR, registry_id VARCHAR, old_key VARCHAR)"
    )
    con.execute(
        "CREATE TEMP TABLE IF NOT EXISTS revive "
        "(src VARCHAR, rec_key VARCHAR, registry_id VARCHAR, last_run INTEGER)"
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE cl AS
        SELECT c.ckey, min(r.src || chr(31) || r.rec_key) AS cmin, count(*) AS n
        FROM clus AS c JOIN rec AS r USING (rid) GROUP BY c.ckey"""
    )
    con.execute("CREATE OR REPLACE TEMP TABLE asg (ckey VARCHAR, registry_id VARCHAR, stage INTEGER)")
    # the previous run's crosswalk first; then successors of changed records, then records back
    # from an absence (each only for the clusters and identifiers still unpaired)
    for stage, source in ((1, "prev"), (2, "succ"), (3, "revive")):
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE ov AS
            SELECT c.ckey, p.registry_id AS old, count(*) AS n
            FROM rec AS r JOIN clus AS c USING (rid)
            JOIN {source} AS p ON p.src = r.src AND p.rec_key = r.rec_key
            GROUP BY c.ckey, p.registry_id"""
        )
        while True:
            added = con.execute(
                f"""INSERT INTO asg
                WITH cand AS (
                    SELECT ov.ckey, ov.old, ov.n, cl.cmin FROM ov JOIN cl USING (ckey)
                    WHERE ov.ckey NOT IN (SELECT ckey FROM asg)
                      AND ov.old NOT IN (SELECT registry_id FROM asg)
                ), ranked AS (
                    SELECT *, row_number() OVER (PARTITION BY ckey ORDER BY n DESC, old) AS rc,
                              row_number() OVER (PARTITION BY old ORDER BY n DESC, cmin) AS ro
                    FROM cand
                )
                SELECT ckey, old, {stage} FROM ranked WHERE rc = 1 AND ro = 1"""
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
        "SELECT (SELECT count(*) FROM asg WHERE stage < 3), "
        "(SELECT count(*) FROM ids) - (SELECT count(*) FROM asg)"
    ).fetchall()[0]
    assert counts is not None
    inherited, new_ids = int(counts[0]), int(counts[1])

    # where each record was: the previous crosswalk, and a successor where its predecessor was
    con.execute(
        """CREATE OR REPLACE TEMP VIEW prev_x AS
        SELECT src, rec_key, registry_id FROM prev
        UNION ALL SELECT src, rec_key, registry_id FROM succ"""
    )
    # records that moved between identifiers, and the strongest pair that links them to the rest
    con.execute(
        """CREATE OR REPLACE TEMP TABLE moved AS
        SELECT p.registry_id AS old, i.registry_id AS new, r.rid, i.ckey
        FROM prev_x AS p JOIN rec AS r ON p.src = r.src AND p.rec_key = r.rec_key
        JOIN rec_ids AS i USING (rid) WHERE p.registry_id <> i.registry_id"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE rec_prev AS
        SELECT i.rid, i.registry_id, p.registry_id AS prev_id
        FROM rec_ids AS i JOIN rec AS r USING (rid)
        LEFT JOIN prev_x AS p ON p.src = r.src AND p.rec_key = r.rec_key"""
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
        ), by_decision AS (  -- a moved record decided different from a record of its old identifier
            SELECT DISTINCT m.old, m.new FROM moved AS m
            JOIN decided AS d ON NOT d.same AND m.rid IN (d.rid_l, d.rid_r)
            JOIN rec_prev AS o ON o.rid = CASE WHEN d.rid_l = m.rid THEN d.rid_r ELSE d.rid_l END
            WHERE o.prev_id = m.old
        ), by_same AS (  -- a moved record decided the same as a record of its new identifier
            SELECT DISTINCT m.old, m.new FROM moved AS m
            JOIN decided AS d ON d.same AND m.rid IN (d.rid_l, d.rid_r)
            JOIN rec_prev AS o ON o.rid = CASE WHEN d.rid_l = m.rid THEN d.rid_r ELSE d.rid_l END
            WHERE o.registry_id = m.new AND o.prev_id IS DISTINCT FROM m.old
        )
        SELECT m.old, m.new, count(*) AS n, any_value(s.p) AS p, bool_or(d.old IS NOT NULL) AS by_id,
               bool_or(x.old IS NOT NULL) AS by_decision, bool_or(y.old IS NOT NULL) AS by_same
        FROM moved AS m LEFT JOIN strongest AS s USING (old, new) LEFT JOIN by_id AS d USING (old, new)
        LEFT JOIN by_decision AS x USING (old, new) LEFT JOIN by_same AS y USING (old, new)
        GROUP BY m.old, m.new ORDER BY m.old, m.new"""
    ).fetchall()
    lost = con.execute(
        """SELECT DISTINCT p.registry_id FROM prev AS p
        WHERE p.registry_id NOT IN (SELECT registry_id FROM asg) ORDER BY 1"""
    ).fetchall()
    kept_ids = {str(r[0]) for r in con.execute("SELECT registry_id FROM asg").fetchall()}
    # identifiers whose every record was keyed by its content: "removed" may mean "changed"
    content_only = {
        str(r[0])
        for r in con.execute(
            f"""SELECT registry_id FROM prev WHERE registry_id NOT IN (SELECT registry_id FROM asg)
            GROUP BY registry_id HAVING bool_and(regexp_matches(rec_key, {_sql_str(CONTENT_KEY)}))"""
        ).fetchall()
    }

    dests: dict[str, list[tuple[str, int, float | None, bool]]] = {}
    decided_moves: set[tuple[str, str]] = set()
    same_moves: set[tuple[str, str]] = set()
    for old, new, n, p, by_id, by_decision, by_same in moves:
        dests.setdefault(str(old), []).append(
            (str(new), int(n), None if p is None else float(p), bool(by_id))
        )
        if by_decision:
            decided_moves.add((str(old), str(new)))
        if by_same:
            same_moves.add((str(old), str(new)))
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
            if (old, new) in same_moves:
                code, text = "decided_same", _reason("decided_same", kind)
            else:
                code, text = "linked", _reason("linked", kind, p="?" if p is None else f"{p:.4f}")
            events.append(Event(old, "merged", [new], code, text, {"records": n, "probability": p}))
            events.append(Event(new, "absorbed", [old], code, text, {"records": n, "probability": p}))
        elif not to:
            retired.append(old)
            code = "content_removed" if old in content_only else "records_removed"
            events.append(Event(old, "retired", [], code, _reason(code, kind)))
        else:
            retired.append(old)
            by_id = any(d[3] for d in to)
            decided = any((old, d[0]) in decided_moves for d in to)
            code = "different_ids" if by_id else "decided" if decided else "unlinked"
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
            elif (old, new) in decided_moves:
                code, text = "decided", _reason("decided", kind)
            elif (old, new) in same_moves:
                code, text = "decided_same", _reason("decided_same", kind)
            elif p is not None:
                code, text = "linked", _reason("linked", kind, p=f"{p:.4f}")
            else:
                code, text = "unlinked", _reason("unlinked", kind, t=t)
            events.append(Event(old, "split", [new], code, text, {"records": n, "probability": p}))
            if code in ("linked", "decided_same"):
                events.append(Event(new, "absorbed", [old], code, text, {"records": n, "probability": p}))
    # a changed record of a resource without a key that kept its predecessor's identifier
    for registry_id, src, old_key, new_key in con.execute(
        """SELECT s.registry_id, s.src, s.old_key, s.rec_key
        FROM succ AS s JOIN rec AS r USING (src, rec_key) JOIN rec_ids AS i USING (rid)
        WHERE i.registry_id = s.registry_id ORDER BY s.registry_id, s.src, s.old_key"""
    ).fetchall():
        text = _reason("content_changed", kind, resource=src, old=old_key, new=new_key)
        events.append(
            Event(
                str(registry_id),
                "rekeyed",
                [],
                "content_changed",
                text,
                {"resource": str(src), "old_key": str(old_key), "new_key": str(new_key)},
            )
        )
    # retired identifiers whose records came back
    revived: list[str] = []
    for registry_id, n, last in con.execute(
        """SELECT a.registry_id, count(*), max(v.last_run)
        FROM asg AS a JOIN clus AS c USING (ckey) JOIN rec AS r USING (rid)
        JOIN revive AS v ON v.src = r.src AND v.rec_key = r.rec_key AND v.registry_id = a.registry_id
        WHERE a.stage = 3 GROUP BY a.registry_id ORDER BY a.registry_id"""
    ).fetchall():
        revived.append(str(registry_id))
        text = _reason("records_returned", kind, last=last)
        events.append(
            Event(
                str(registry_id),
                "revived",
                [],
                "records_returned",
                text,
                {"records": int(n), "last_run": last},
            )
        )
    successors = [
        (str(src), str(old), str(new))
        for src, old, new in con.execute(
            "SELECT src, old_key, rec_key FROM succ ORDER BY src, old_key"
        ).fetchall()
    ]
    return IdentityResult(
        new_ids=new_ids,
        inherited=inherited,
        merged=merged,
        retired=retired,
        events=events,
        revived=revived,
        successors=successors,
    )


def content_successors(con: duckdb.DuckDBPyConnection, old: str, new: str) -> int:
    """``succ(src, rec_key, registry_id, old_key)``: records of resources without a key that
    succeed a record of the previous run; returns how many.

    A content key changes with any value of the record, so a phone added makes a "new" record and
    the old one "vanish". ``old`` is an SQL relation of the previous run's records that are gone
    (``src, rec_key, registry_id`` and the person columns ``name_norm, id18, id_valid, dob, sex,
    phone, addr_*``), ``new`` one of this run's records the previous run did not hold (the same
    columns but ``registry_id``); only content-keyed ones are considered. A new record succeeds an
    old one of the same resource with the same name when no more than one of ID, birth date, sex,
    phone and address differs (a value added or removed is no difference), at least one of them
    agrees and their valid IDs, if both have one, are the same — and when each is the other's
    only best candidate (most values agreeing, then fewest differing, then the same copy number
    ``#n`` among identical records): a tie carries nothing."""
    addr = (
        "nullif(concat_ws('|', coalesce({t}.addr_county, ''), coalesce({t}.addr_town, ''), "
        "coalesce({t}.addr_place, ''), coalesce({t}.addr_building, ''), coalesce({t}.addr_room, '')), "
        "'||||')"
    )
    pairs = [("o.id18", "n.id18"), ("o.dob", "n.dob"), ("o.sex", "n.sex"), ("o.phone", "n.phone")]
    pairs.append((addr.format(t="o"), addr.format(t="n")))
    agree = " + ".join(f"CAST(coalesce({a} = {b}, false) AS INTEGER)" for a, b in pairs)
    differ = " + ".join(f"CAST(coalesce({a} <> {b}, false) AS INTEGER)" for a, b in pairs)
    key = _sql_str(CONTENT_KEY)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE succ AS
        WITH o AS (
            SELECT * FROM ({old}) WHERE regexp_matches(rec_key, {key}) AND name_norm IS NOT NULL
        ), n AS (
            SELECT * FROM ({new}) WHERE regexp_matches(rec_key, {key}) AND name_norm IS NOT NULL
        ), cand AS (
            SELECT n.src, n.rec_key, o.rec_key AS old_key, o.registry_id,
                   {agree} AS agree, {differ} AS differ,
                   -- identical records are numbered #1, #2 …: copies changed alike pair in order
                   split_part(n.rec_key, '#', 2) = split_part(o.rec_key, '#', 2) AS same_copy
            FROM o JOIN n ON n.src = o.src AND n.name_norm = o.name_norm
            WHERE NOT coalesce(o.id_valid AND n.id_valid AND o.id18 <> n.id18, false)
        ), ranked AS (
            SELECT *,
                   rank() OVER (PARTITION BY src, rec_key ORDER BY agree DESC, differ, same_copy DESC) AS rn,
                   rank() OVER (PARTITION BY src, old_key ORDER BY agree DESC, differ, same_copy DESC) AS ro
            FROM cand WHERE differ <= 1 AND agree >= 1
        ), best AS (SELECT * FROM ranked WHERE rn = 1 AND ro = 1)
        SELECT src, rec_key, registry_id, old_key FROM best
        QUALIFY count(*) OVER (PARTITION BY src, rec_key) = 1
            AND count(*) OVER (PARTITION BY src, old_key) = 1"""
    )
    row = con.execute("SELECT count(*) FROM succ").fetchall()[0]
    return int(row[0]) if row else 0


def load_departed(
    ws: Workspace, con: duckdb.DuckDBPyConnection, entity: EntityKind, previous: RegistryRun | None
) -> int:
    """``mem(src, rec_key, registry_id, last_run)``: the records absent from the ``previous`` run,
    each with the identifier it held in the last run that held it (that run's ``departed.parquet``;
    for a run made before the file existed, read once from every earlier run's records), and
    ``revive``: those of them whose identifier is retired. Returns how many are remembered."""
    import sqlalchemy as sa

    from shuzhi.registry._parts import run_table
    from shuzhi.registry._standardise import lit
    from shuzhi.store import RegistryIdentifier, RegistryRun

    empty = (
        "SELECT CAST(NULL AS VARCHAR) AS src, CAST(NULL AS VARCHAR) AS rec_key, "
        "CAST(NULL AS VARCHAR) AS registry_id, CAST(NULL AS INTEGER) AS last_run WHERE false"
    )
    sql = empty
    if previous is not None and previous.path:
        folder = ws.warehouse / previous.path
        if (folder / DEPARTED_FILE).is_file():
            departed = lit(str(folder / DEPARTED_FILE))
            sql = f"SELECT src, rec_key, registry_id, last_run FROM read_parquet({departed})"
        else:  # made before runs remembered their departed records: look through the older runs
            with ws.session() as s:
                older = s.execute(
                    sa.select(RegistryRun.id, RegistryRun.path).where(
                        RegistryRun.entity == entity.value,
                        RegistryRun.status == "succeeded",
                        RegistryRun.id < previous.id,
                    )
                ).all()
            parts = [
                f"SELECT src, rec_key, registry_id, CAST({int(run_id)} AS INTEGER) AS last_run "
                f"FROM {run_table(ws.warehouse / path, 'records')}"
                for run_id, path in older
                if path and (ws.warehouse / path).is_dir()
            ]
            if parts:
                sql = f"""WITH seen AS ({" UNION ALL ".join(parts)}),
                last AS (
                    SELECT src, rec_key, arg_max(registry_id, last_run) AS registry_id,
                           max(last_run) AS last_run
                    FROM seen GROUP BY src, rec_key
                )
                SELECT l.* FROM last AS l
                ANTI JOIN (SELECT src, rec_key FROM {run_table(folder, "records")}) AS p
                    ON p.src = l.src AND p.rec_key = l.rec_key"""
    con.execute(f"CREATE OR REPLACE TEMP TABLE mem AS {sql}")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE revive "
        "(src VARCHAR, rec_key VARCHAR, registry_id VARCHAR, last_run INTEGER)"
    )
    row = con.execute("SELECT count(*) FROM mem").fetchall()[0]
    remembered = int(row[0]) if row else 0
    if remembered:
        import pyarrow as pa

        with ws.session() as s:
            retired = s.scalars(
                sa.select(RegistryIdentifier.registry_id).where(
                    RegistryIdentifier.entity == entity.value, RegistryIdentifier.status == "retired"
                )
            ).all()
        con.register("_retired_ids", pa.table({"registry_id": pa.array(list(retired), type=pa.string())}))
        con.execute(
            "INSERT INTO revive SELECT m.src, m.rec_key, m.registry_id, m.last_run FROM mem AS m "
            "WHERE m.registry_id IN (SELECT registry_id FROM _retired_ids)"
        )
        con.unregister("_retired_ids")
    return remembered


def write_departed(
    con: duckdb.DuckDBPyConnection, out: Path, *, current: str, previous: str, previous_run: int | None
) -> None:
    """``departed.parquet`` in the run folder ``out``: the records the previous run held
    (``previous``: ``src, rec_key, registry_id``) or remembered (``mem`` of :func:`load_departed`)
    that this run (``current``: ``src, rec_key``) does not hold, with the identifier each last
    held and the last run that held it."""
    from shuzhi.registry._standardise import lit

    con.execute(
        "CREATE TEMP TABLE IF NOT EXISTS mem "
        "(src VARCHAR, rec_key VARCHAR, registry_id VARCHAR, last_run INTEGER)"
    )
    last = "NULL" if previous_run is None else str(int(previous_run))
    con.execute(
        f"""COPY (
            WITH seen AS (
                SELECT src, rec_key, registry_id, CAST({last} AS INTEGER) AS last_run FROM ({previous})
                UNION ALL SELECT src, rec_key, registry_id, last_run FROM mem
            )
            SELECT s.* FROM seen AS s
            ANTI JOIN (SELECT src, rec_key FROM ({current})) AS c ON c.src = s.src AND c.rec_key = s.rec_key
            ORDER BY s.src, s.rec_key
        ) TO {lit(str(out / DEPARTED_FILE))} (FORMAT parquet, COMPRESSION zstd)"""
    )


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
                "revived": result.revived,
                "events": [dataclasses.asdict(e) for e in result.events],
                # content-keyed records that succeed a vanished one: review decisions follow them
                "successors": [list(t) for t in result.successors],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
