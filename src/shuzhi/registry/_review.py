"""Clerical review (人工复核): pairs the model is unsure of, and the decisions people make on them.

After every run, pairs of records scored from ``[registry] review_threshold`` up to
``match_threshold`` that ended in different persons are queued (``pending``); a queued pair the
next run no longer finds uncertain leaves the queue (``withdrawn``, keeping its number, which is
never given to another pair; found uncertain again, it is ``pending`` again). A decision —
``same`` or ``different`` — is kept for good and binds every later run, full or incremental:
``same`` links the two records whatever the model says, ``different`` removes the link between
them.

The legal-entity registry (rules, not a model) queues every tied candidate of an ambiguous record:
the record and the candidate entity's first record, with no probability but the rule, tier and
evidence that proposed it (``ReviewItem.detail``). Its decisions bind the name rules (see
:mod:`._entity`): ``same`` puts the record in that entity, ``different`` keeps it out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa

from shuzhi import errors
from shuzhi.registry._parts import run_table
from shuzhi.registry._spec import EntityKind
from shuzhi.store import RegistryReview, utcnow

if TYPE_CHECKING:
    import duckdb
    from sqlalchemy.orm import Session

    from shuzhi.workspace import Workspace

__all__ = [
    "DECISIONS",
    "ReviewItem",
    "apply_decisions",
    "decide",
    "decide_pair",
    "follow_successors",
    "load_decisions",
    "rekey_decisions",
    "review_queue",
    "split_record",
    "sync_queue",
]

Decision = Literal["same", "different"]

#: the legal-entity rules that join records by their code: one code is one entity, whatever a
#: clerical decision says (decisions bind the name rules only)
CODE_RULES = frozenset({"uscc", "uscc_fixed", "org_code", "org_code_only"})
#: decision -> (中文, English)
DECISIONS: dict[str, tuple[str, str]] = {
    "same": ("同一人", "the same person"),
    "different": ("不同的人", "different persons"),
}

#: columns of a record shown beside a queued pair, per registry
_SHOWN = ("registry_id", "name_raw", "id18", "dob", "sex", "phone", "addr_text")
_ENTITY_SHOWN = (
    "registry_id",
    "name_raw",
    "uscc_written",
    "uscc",
    "org_code",
    "rep_name_raw",
    "rep_id18",
    "addr_text",
    "phone",
    "status_text",
)


@dataclass
class ReviewItem:
    """A pair of records to review, or reviewed."""

    id: int
    entity: str
    status: str
    probability: float | None
    match_weight: float | None
    #: each record: resource, key and what the current run holds of it (name, ID, birth date …)
    left: dict[str, Any] = field(default_factory=dict)
    right: dict[str, Any] = field(default_factory=dict)
    first_run: int | None = None
    last_run: int | None = None
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    note: str | None = None
    #: legal entities: which side is the record (``record``: left | right), the candidate's entity
    #: (``candidate_id``), and the rule, tier and evidence that proposed it, as last queued
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(dataclasses.asdict(self), ensure_ascii=False, default=str))  # type: ignore[no-any-return]


def _ordered(a: tuple[str, str], b: tuple[str, str]) -> tuple[tuple[str, str], tuple[str, str]]:
    return (a, b) if a <= b else (b, a)


def _stored_pair(
    s: Session, entity: EntityKind, left: tuple[str, str], right: tuple[str, str]
) -> RegistryReview | None:
    """The review row of the pair (``left`` <= ``right``, as stored), if any."""
    return s.scalars(
        sa.select(RegistryReview).where(
            RegistryReview.entity == entity.value,
            RegistryReview.src_l == left[0],
            RegistryReview.key_l == left[1],
            RegistryReview.src_r == right[0],
            RegistryReview.key_r == right[1],
        )
    ).first()


# -- during a run ---------------------------------------------------------------------------------


def load_decisions(ws: Workspace, entity: EntityKind) -> list[tuple[str, str, str, str, bool]]:
    """Every decided pair of the registry: (src_l, key_l, src_r, key_r, same)."""
    with ws.session() as s:
        rows = s.execute(
            sa.select(
                RegistryReview.src_l,
                RegistryReview.key_l,
                RegistryReview.src_r,
                RegistryReview.key_r,
                RegistryReview.status,
            ).where(RegistryReview.entity == entity.value, RegistryReview.status.in_(("same", "different")))
        ).all()
    return [(str(a), str(b), str(c), str(d), st == "same") for a, b, c, d, st in rows]


def follow_successors(
    con: duckdb.DuckDBPyConnection, decisions: Sequence[tuple[str, str, str, str, bool]]
) -> list[tuple[str, str, str, str, bool]]:
    """``decisions`` with the key of each content-keyed record that a successor replaced this run
    (``succ(src, rec_key, registry_id, old_key)``, :func:`~._identity.content_successors`) read
    as the successor's: a record whose values changed keeps the decisions made on it."""
    moves = {
        (str(src), str(old)): str(new)
        for src, new, old in con.execute("SELECT src, rec_key, old_key FROM succ").fetchall()
    }
    if not moves:
        return list(decisions)
    return [
        (sl, moves.get((sl, kl), kl), sr, moves.get((sr, kr), kr), same) for sl, kl, sr, kr, same in decisions
    ]


def rekey_decisions(s: Session, entity: EntityKind, successors: Sequence[Sequence[str]]) -> int:
    """Store the decisions on records a run found successors for (``[resource, old key, new
    key]``) under the new keys, so that they bind the runs after it too; returns how many moved.
    A decision already made on the new pair is kept, and the old one dropped."""
    moves = {(src, old): new for src, old, new in successors}
    if not moves:
        return 0
    rows = s.scalars(
        sa.select(RegistryReview).where(
            RegistryReview.entity == entity.value, RegistryReview.status.in_(("same", "different"))
        )
    ).all()
    moved = 0
    for row in rows:
        left = (row.src_l, moves.get((row.src_l, row.key_l), row.key_l))
        right = (row.src_r, moves.get((row.src_r, row.key_r), row.key_r))
        if (left, right) == ((row.src_l, row.key_l), (row.src_r, row.key_r)):
            continue
        (sl, kl), (sr, kr) = _ordered(left, right)
        other = _stored_pair(s, entity, (sl, kl), (sr, kr))
        if other is not None and other.status in ("same", "different"):
            s.delete(row)  # the new pair was decided itself: that decision holds
            continue
        if other is not None:  # a queued item of the new pair: the decision answers it
            s.delete(other)
            s.flush()
        row.src_l, row.key_l, row.src_r, row.key_r = sl, kl, sr, kr
        moved += 1
    s.flush()
    return moved


def apply_decisions(
    con: duckdb.DuckDBPyConnection,
    table: str,
    decisions: Sequence[tuple[str, str, str, str, bool]],
    *,
    records: str = "rec",
) -> int:
    """Create ``decided(rid_l, rid_r, same)`` from ``decisions`` and ``records`` (``rid``, ``src``,
    ``rec_key``); then, in the scored
    pairs ``table``, drop the pairs decided ``different`` and add (or raise to 1) those decided
    ``same``. Returns how many decisions apply to records of this run."""
    import pyarrow as pa

    con.execute("CREATE OR REPLACE TEMP TABLE decided (rid_l BIGINT, rid_r BIGINT, same BOOLEAN)")
    if not decisions:
        return 0
    arrow = pa.table(
        {n: [d[i] for d in decisions] for i, n in enumerate(("src_l", "key_l", "src_r", "key_r", "same"))}
    )
    con.register("_decisions_in", arrow)
    try:
        con.execute(
            f"""INSERT INTO decided
            SELECT l.rid, r.rid, d.same FROM _decisions_in AS d
            JOIN {records} AS l ON l.src = d.src_l AND l.rec_key = d.key_l
            JOIN {records} AS r ON r.src = d.src_r AND r.rec_key = d.key_r"""
        )
    finally:
        con.unregister("_decisions_in")
    con.execute(
        f"""DELETE FROM {table} AS p WHERE EXISTS (
            SELECT 1 FROM decided AS d
            WHERE (d.rid_l = p.rid_l AND d.rid_r = p.rid_r) OR (d.rid_l = p.rid_r AND d.rid_r = p.rid_l))"""
    )
    con.execute(
        f"""INSERT INTO {table} (rid_l, rid_r, match_probability, match_weight)
        SELECT least(rid_l, rid_r), greatest(rid_l, rid_r), 1.0, 99.0 FROM decided WHERE same"""
    )
    rows = con.execute("SELECT count(*) FROM decided").fetchall()
    return int(rows[0][0]) if rows else 0


def sync_queue(s: Session, entity: EntityKind, run_id: int, candidates: Path) -> int:
    """Queue this run's uncertain pairs (``candidates``, a Parquet file of src_l, key_l, src_r,
    key_r, probability, match_weight) and drop pending pairs it no longer finds uncertain; decided
    pairs are left alone. Returns the size of the queue."""
    import pyarrow.parquet as pq

    found = {
        (r["src_l"], r["key_l"], r["src_r"], r["key_r"]): r for r in pq.read_table(candidates).to_pylist()
    }
    existing = {
        (r.src_l, r.key_l, r.src_r, r.key_r): r
        for r in s.scalars(sa.select(RegistryReview).where(RegistryReview.entity == entity.value))
    }
    for k, row in existing.items():
        if row.status not in ("pending", "withdrawn"):
            continue
        if k in found:  # still (or again) uncertain: the same item, the same number
            row.status = "pending"
            row.probability = found[k]["probability"]
            row.match_weight = found[k]["match_weight"]
            row.last_run = run_id
        else:
            # withdrawn, not deleted: a deleted item's number was given to the next new pair (SQLite
            # reuses the highest ids), and `decide N` noted from an earlier list decided that pair
            row.status = "withdrawn"
    fresh = [
        {
            "entity": entity.value,
            "src_l": k[0],
            "key_l": k[1],
            "src_r": k[2],
            "key_r": k[3],
            "status": "pending",
            "probability": r["probability"],
            "match_weight": r["match_weight"],
            "first_run": run_id,
            "last_run": run_id,
        }
        for k, r in found.items()
        if k not in existing
    ]
    if fresh:
        s.execute(sa.insert(RegistryReview), fresh)
    s.flush()
    return int(
        s.scalar(
            sa.select(sa.func.count())
            .select_from(RegistryReview)
            .where(RegistryReview.entity == entity.value, RegistryReview.status == "pending")
        )
        or 0
    )


# -- for people -----------------------------------------------------------------------------------


def _records(
    ws: Workspace, entity: EntityKind, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    from shuzhi.registry._build import current_run

    run = current_run(ws, entity)
    if run is None or not run.path or not keys:
        return {}
    file = run_table(ws.warehouse / run.path, "records")
    pairs = list(keys)
    marks = ", ".join("(?, ?)" for _ in pairs)
    shown = _ENTITY_SHOWN if entity is EntityKind.legal_entity else _SHOWN
    rows = ws.engine.fetch_arrow(
        f"SELECT src, rec_key, {', '.join(shown)} FROM {file} WHERE (src, rec_key) IN ({marks})",
        [v for k in pairs for v in k],
    ).to_pylist()
    return {(str(r.pop("src")), str(r.pop("rec_key"))): r for r in rows}


def _details(
    ws: Workspace, entity: EntityKind, rows: Sequence[RegistryReview]
) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    """Legal entities: what proposed each pair, from the ``review.parquet`` of the run that last
    queued it (a pair decided without being queued has none)."""
    if entity is not EntityKind.legal_entity:
        return {}
    import pyarrow.parquet as pq

    from shuzhi.registry._entity import RULES
    from shuzhi.store import RegistryRun

    runs = {r.last_run for r in rows if r.last_run is not None}
    if not runs:
        return {}
    with ws.session() as s:
        paths = {
            int(i): str(p)
            for i, p in s.execute(
                sa.select(RegistryRun.id, RegistryRun.path).where(
                    RegistryRun.id.in_(runs), RegistryRun.path.is_not(None)
                )
            ).all()
        }
    out: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    wanted = {(r.src_l, r.key_l, r.src_r, r.key_r) for r in rows}
    for run in sorted(paths):
        file = ws.warehouse / paths[run] / "review.parquet"
        if not file.exists():
            continue
        for d in pq.read_table(file).to_pylist():
            k = (d["src_l"], d["key_l"], d["src_r"], d["key_r"])
            if k not in wanted or "rule" not in d:
                continue
            rule = str(d["rule"])
            out[k] = {
                "record": d["record_side"],
                "record_id": d["record_id"],
                "candidate_id": d["candidate_id"],
                "rule": rule,
                "rule_text": "；".join(RULES[rule]) if rule in RULES else None,
                "tier": d["tier"],
                "evidence": d["evidence"],
                "run": run,
            }
    return out


def _items(ws: Workspace, entity: EntityKind, rows: Sequence[RegistryReview]) -> list[ReviewItem]:
    keys = {(r.src_l, r.key_l) for r in rows} | {(r.src_r, r.key_r) for r in rows}
    shown = _records(ws, entity, keys)
    details = _details(ws, entity, rows)
    return [
        ReviewItem(
            id=r.id,
            entity=r.entity,
            status=r.status,
            probability=r.probability,
            match_weight=r.match_weight,
            left={"resource": r.src_l, "key": r.key_l, **shown.get((r.src_l, r.key_l), {})},
            right={"resource": r.src_r, "key": r.key_r, **shown.get((r.src_r, r.key_r), {})},
            first_run=r.first_run,
            last_run=r.last_run,
            decided_by=r.decided_by,
            decided_at=r.decided_at,
            note=r.note,
            detail=details.get((r.src_l, r.key_l, r.src_r, r.key_r), {}),
        )
        for r in rows
    ]


def review_queue(
    ws: Workspace,
    *,
    entity: EntityKind | str = EntityKind.person,
    status: str | None = "pending",
    limit: int = 50,
    offset: int = 0,
) -> list[ReviewItem]:
    """Pairs to review (``status="pending"``, the most likely matches first), or decided ones
    (``same``, ``different``; None: all), each with both records as the current run holds them."""
    entity = EntityKind(entity)
    if status not in (None, "pending", "same", "different", "withdrawn"):
        raise errors.ValidationError(
            {
                "status": [
                    "应为 pending、same、different 或 withdrawn / pending, same, different or withdrawn, "
                    f"not {status!r}"
                ]
            }
        )
    stmt = sa.select(RegistryReview).where(RegistryReview.entity == entity.value)
    if status is not None:
        stmt = stmt.where(RegistryReview.status == status)
    stmt = (
        stmt.order_by(RegistryReview.probability.desc().nulls_last(), RegistryReview.id)
        .limit(limit)
        .offset(offset)
    )
    with ws.session() as s:
        rows = list(s.scalars(stmt).all())
        for r in rows:
            s.expunge(r)
    return _items(ws, entity, rows)


def _check(decision: str, entity: EntityKind = EntityKind.person) -> Decision:
    if decision not in DECISIONS:
        noun = "法人" if entity is EntityKind.legal_entity else "人"
        raise errors.ValidationError(
            {
                "decision": [
                    f"应为 same（同一{noun}）或 different（不同的{noun}）/ same or different, "
                    f"not {decision!r}"
                ]
            }
        )
    return "same" if decision == "same" else "different"


def decide(
    ws: Workspace,
    item: int,
    decision: str,
    *,
    by: str | None = None,
    note: str | None = None,
    entity: EntityKind | str = EntityKind.person,
) -> ReviewItem:
    """Decide the queued pair ``item``: ``same`` or ``different``. Deciding again replaces the
    decision (the same decision again without a note keeps who made it, when and why). It takes
    effect from the next run (``build`` or ``update``)."""
    entity = EntityKind(entity)
    d = _check(decision, entity)
    with ws.session() as s:
        row = s.get(RegistryReview, item)
        if row is not None and row.entity != entity.value:
            other = EntityKind(row.entity)
            raise errors.NotFound(
                "复核项 / review item",
                f"{item}（属于{other.label_zh}，请加 --entity {other.value}；API：?entity={other.value}）"
                f" / {item} (an item of the {other.value} registry: add --entity {other.value}; API: "
                f"?entity={other.value})",
            )
        if row is None:
            raise errors.NotFound("复核项 / review item", str(item))
        if row.status == "withdrawn":
            raise errors.Conflict(
                f"复核项 {item} 已撤回：最近一次运行不再认为这两条记录拿不准；如仍要裁定，请按记录指定"
                f"（decide_pair）/ review item {item} was withdrawn: the latest run no longer finds the "
                "pair uncertain; to decide it all the same, name the two records (decide_pair)"
            )
        if not (row.status == d and note is None):  # the same again, no note: who and why stand
            row.status, row.decided_by, row.decided_at, row.note = d, by, utcnow(), note
        s.flush()
        s.expunge(row)
    return _items(ws, entity, [row])[0]


def _record_label(rec: tuple[str, str]) -> str:
    return f"{rec[0]}:{rec[1]}"


def _require_records(ws: Workspace, entity: EntityKind, records: Sequence[tuple[str, str]]) -> None:
    """NotFound naming the first of ``records`` (resource, key) that the registry's current run
    does not hold: a decision on a mistyped key would bind nothing, silently."""
    from shuzhi.registry._service import _require_run

    _require_run(ws, entity)
    held = _records(ws, entity, set(records))
    for rec in records:
        if rec not in held:
            raise errors.NotFound(
                "记录 / record",
                f"{_record_label(rec)}（{entity.label_zh}当前版本中没有这条记录，请用 "
                "`shuzhi registry show` 查看记录的资源和键 / the registry's current run holds no such "
                "record: `shuzhi registry show` lists each record's resource and key）",
            )


def _refuse_code_links(
    ws: Workspace, file: str, registry_id: str, records: Sequence[tuple[str, str]]
) -> None:
    """A legal entity's records joined by their credit (or organisation) code are one entity
    whatever a decision says (decisions bind the name rules only): ValidationError when every one
    of ``records`` (resource, key) is in ``registry_id`` by a code rule."""
    marks = ", ".join("(?, ?)" for _ in records)
    rows = ws.engine.fetch_rows(
        f"SELECT link_rule FROM {file} WHERE registry_id = ? AND (src, rec_key) IN ({marks})",
        [registry_id, *(v for r in records for v in r)],
    )
    if len(rows) < len(records) or not all(r[0] in CODE_RULES for r in rows):
        return
    what = "、".join(_record_label(r) for r in records)
    raise errors.ValidationError(
        {
            "record": [
                f"记录 {what} 按统一社会信用代码（或组织机构代码）归入 {registry_id}，代码相同即同一法人，"
                "不能拆分；如代码有误，请在来源资源中更正后重新加载 / the record(s) "
                f"{', '.join(_record_label(r) for r in records)} are in {registry_id} by their credit "
                "(or organisation) code, and one code is one legal entity: they cannot be split; if "
                "a code is wrong, correct it in the source resource and load it again"
            ]
        }
    )


def _decide_records(
    s: Session,
    entity: EntityKind,
    left: tuple[str, str],
    right: tuple[str, str],
    decision: Decision,
    by: str | None,
    note: str | None,
) -> RegistryReview:
    (sl, kl), (sr, kr) = _ordered(left, right)
    row = _stored_pair(s, entity, (sl, kl), (sr, kr))
    if row is None:
        row = RegistryReview(entity=entity.value, src_l=sl, key_l=kl, src_r=sr, key_r=kr, status=decision)
        s.add(row)
    elif row.status == decision and note is None:
        return row  # the same decision again, with nothing to add: who made it and why stand
    row.status, row.decided_by, row.decided_at, row.note = decision, by, utcnow(), note
    return row


def decide_pair(
    ws: Workspace,
    left: tuple[str, str],
    right: tuple[str, str],
    decision: str,
    *,
    by: str | None = None,
    note: str | None = None,
    entity: EntityKind | str = EntityKind.person,
) -> ReviewItem:
    """Decide any two records, named by (resource, key), whether queued or not: both must be
    records of the registry's current run (:class:`~shuzhi.errors.NotFound` names the one that is
    not). Deciding again replaces the decision; it binds every run from the next one."""
    entity = EntityKind(entity)
    d = _check(decision, entity)
    if left == right:
        raise errors.ValidationError({"right": ["两条记录相同 / the two records are one"]})
    _require_records(ws, entity, [left, right])
    if entity is EntityKind.legal_entity and d == "different":
        from shuzhi.registry._service import _require_run

        file = run_table(ws.warehouse / str(_require_run(ws, entity).path), "records")
        held = ws.engine.fetch_rows(
            f"SELECT DISTINCT registry_id FROM {file} WHERE (src, rec_key) IN ((?, ?), (?, ?))",
            [*left, *right],
        )
        if len(held) == 1:  # one entity now: by code, no decision can part them
            _refuse_code_links(ws, file, str(held[0][0]), [left, right])
    with ws.session() as s:
        row = _decide_records(s, entity, left, right, d, by, note)
        s.flush()
        s.expunge(row)
    return _items(ws, entity, [row])[0]


def split_record(
    ws: Workspace,
    registry_id: str,
    record: tuple[str, str],
    *,
    by: str | None = None,
    note: str | None = None,
) -> list[ReviewItem]:
    """Take ``record`` (resource, key) out of the person or legal entity ``registry_id`` (拆分):
    the record and each other record the current run gives that identifier are decided
    ``different``, so no direct link joins them from the next run on. The record must hold
    ``registry_id`` now, and the identifier must have another record. Returns the decisions."""
    from shuzhi.registry._service import _require_run

    legal = registry_id.startswith(EntityKind.legal_entity.prefix)
    entity = EntityKind.legal_entity if legal else EntityKind.person
    run = _require_run(ws, entity)
    file = run_table(ws.warehouse / str(run.path), "records")
    members = [
        (str(r["src"]), str(r["rec_key"]))
        for r in ws.engine.fetch_arrow(
            f"SELECT src, rec_key FROM {file} WHERE registry_id = ? ORDER BY src, rec_key", [registry_id]
        ).to_pylist()
    ]
    if not members:
        from shuzhi.store import RegistryIdentifier

        with ws.session() as s:
            known = s.get(RegistryIdentifier, registry_id)
            into = known.merged_into if known is not None and known.status == "merged" else None
        if into:
            raise errors.NotFound(
                "登记标识 / registry id",
                f"{registry_id} 已并入 {into}，请对 {into} 拆分 / {registry_id} was merged into {into}: "
                f"split it from {into}",
            )
        raise errors.NotFound("登记标识 / registry id", registry_id)
    if record not in members:
        _require_records(ws, entity, [record])  # not in the registry at all: NotFound
        raise errors.ValidationError(
            {
                "record": [
                    f"记录 {_record_label(record)} 不属于 {registry_id}，无需拆分 / the record "
                    f"{_record_label(record)} is not one of {registry_id}'s: nothing to split"
                ]
            }
        )
    if legal:
        _refuse_code_links(ws, file, registry_id, [record])
    others = [m for m in members if m != record]
    if not others:
        raise errors.ValidationError(
            {
                "record": [
                    f"{registry_id} 只有这一条记录，无法拆分 / {registry_id} has this record only: "
                    "nothing to split it from"
                ]
            }
        )
    with ws.session() as s:
        rows = [_decide_records(s, entity, record, o, "different", by, note) for o in others]
        s.flush()
        for row in rows:
            s.expunge(row)
    return _items(ws, entity, rows)
