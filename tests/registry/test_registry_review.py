"""Clerical review: uncertain pairs are queued; decisions bind every later run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _people import City, crosswalk_of, make_city

from shuzhi.errors import NotFound, ValidationError
from shuzhi.registry import RegistrySource, build, decide, decide_pair, review_queue, update
from shuzhi.workspace import Workspace

Setup = tuple[Path, City, list[RegistrySource]]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    root = tmp_path_factory.mktemp("review")
    Workspace.init(root / "city").close()
    city = make_city(seed=13, background=25)
    yield root / "city", city, city.write(root / "data")


def _key(city: City, pid: str, resource: str) -> tuple[str, str]:
    return next(k for k, p in city.truth().items() if p == pid and k[0] == resource)


def test_decisions_bind_later_runs(setup: Setup) -> None:
    path, city, sources = setup
    with Workspace.open(path) as ws:
        first = crosswalk_of(build(ws, sources=sources))
        typo_hj, typo_sb = _key(city, "typo", "GA-HJ"), _key(city, "typo", "RS-SB")
        owner, borrower = _key(city, "id-owner", "GA-HJ"), _key(city, "id-borrower", "MZ-DB")
        assert first[typo_hj] == first[typo_sb] and first[owner] != first[borrower]
        item = decide_pair(ws, typo_sb, typo_hj, "different", by="张三", note="不是同一人")
        assert (item.left["resource"], item.left["key"]) == typo_hj  # stored in order
        assert item.status == "different" and item.decided_by == "张三" and item.left["name_raw"] == "刘建国"
        decide_pair(ws, owner, borrower, "same")
        second = build(ws, sources=sources)
        after = crosswalk_of(second)
        assert after[typo_hj] != after[typo_sb] and after[owner] == after[borrower]
        assert second.decisions == 2
        assert after[typo_hj] == first[typo_hj]  # the person keeps its identifier
        # … and an incremental update respects them too
        again = crosswalk_of(update(ws, sources=[s for s in sources if s.code == "MZ-DB"]))
        assert again == after
        assert {i.status for i in review_queue(ws, status=None)} >= {"same", "different"}


def test_uncertain_pairs_are_queued_and_can_be_decided(
    setup: Setup,
) -> None:
    path, _city, sources = setup
    strict = {"SHUZHI_REGISTRY_MATCH_THRESHOLD": "0.9999999", "SHUZHI_REGISTRY_REVIEW_THRESHOLD": "0.5"}
    with Workspace.open(path, env=strict) as ws:
        summary = build(ws, sources=sources)
        queue = review_queue(ws)
        assert summary.to_review == len(review_queue(ws, limit=1000)) > 0
        item = queue[0]
        assert item.status == "pending" and 0.5 <= (item.probability or 0) < 0.9999999
        assert item.left["registry_id"] != item.right["registry_id"]
        assert [i.probability for i in queue] == sorted((i.probability for i in queue), reverse=True)
        decided = decide(ws, item.id, "same", by="李四")
        assert decided.status == "same" and decided.decided_at is not None
        left = (item.left["resource"], item.left["key"])
        right = (item.right["resource"], item.right["key"])
        cw = crosswalk_of(build(ws, sources=sources))
        assert cw[left] == cw[right]
        assert item.id not in {i.id for i in review_queue(ws, limit=1000)}  # decided: out of the queue


def test_bad_decisions_are_refused(setup: Setup) -> None:
    path, city, _ = setup
    with Workspace.open(path) as ws:
        with pytest.raises(ValidationError, match="same or different"):
            decide(ws, 1, "maybe")
        with pytest.raises(NotFound):
            decide(ws, 999_999, "same")
        k = _key(city, "typo", "GA-HJ")
        with pytest.raises(ValidationError):
            decide_pair(ws, k, k, "same")
        with pytest.raises(ValidationError):
            review_queue(ws, status="done")


def test_an_item_a_run_no_longer_finds_is_withdrawn_and_its_number_never_reused(tmp_path: Path) -> None:
    """Pending items a run no longer found were deleted, and SQLite gave their numbers to the next
    new pairs: `decide 2 different`, noted from yesterday's list, decided another pair."""
    from shuzhi.errors import Conflict

    city = make_city(seed=13, background=25)
    sources = city.write(tmp_path / "data")
    Workspace.init(tmp_path / "city").close()
    strict = {"SHUZHI_REGISTRY_MATCH_THRESHOLD": "0.9999999", "SHUZHI_REGISTRY_REVIEW_THRESHOLD": "0.5"}
    with Workspace.open(tmp_path / "city", env=strict) as ws:
        build(ws, sources=sources)
        before = {i.id: (i.left["key"], i.right["key"]) for i in review_queue(ws, limit=1000)}
    assert before
    with Workspace.open(tmp_path / "city") as ws:  # the usual thresholds: those pairs are certain now
        build(ws, sources=sources)
        gone = {i.id: i for i in review_queue(ws, status="withdrawn", limit=1000)}
        now = {i.id: (i.left["key"], i.right["key"]) for i in review_queue(ws, status=None, limit=1000)}
        assert set(gone) <= set(before) and gone
        assert all(now[i] == before[i] for i in before if i in now)  # a number keeps its pair
        n = next(iter(gone))
        with pytest.raises(Conflict, match="已撤回"):
            decide(ws, n, "different")
    with Workspace.open(tmp_path / "city", env=strict) as ws:  # uncertain again: the same numbers
        build(ws, sources=sources)
        again = {i.id: (i.left["key"], i.right["key"]) for i in review_queue(ws, limit=1000)}
        assert again == before


def test_a_wrongly_merged_record_is_split_out_and_the_history_says_so(tmp_path: Path) -> None:
    """A clerk who finds a record that is not this person takes it out (拆分) without waiting for
    the review queue; from the next run on it is a person of its own, and the identifier's history
    says a clerical decision split it."""
    from shuzhi.registry import lookup, split_record

    city = make_city(seed=13, background=25)
    sources = city.write(tmp_path / "data")
    Workspace.init(tmp_path / "city").close()
    with Workspace.open(tmp_path / "city") as ws:
        first = crosswalk_of(build(ws, sources=sources))
        typo_hj, typo_sb = _key(city, "typo", "GA-HJ"), _key(city, "typo", "RS-SB")
        pid = first[typo_hj]
        members = {k for k, v in first.items() if v == pid}
        assert typo_sb in members and len(members) >= 2
        items = split_record(ws, pid, typo_sb, by="王五", note="核实为另一人")
        assert len(items) == len(members) - 1
        for i in items:
            pair = {(i.left["resource"], i.left["key"]), (i.right["resource"], i.right["key"])}
            assert typo_sb in pair and pair <= members
            assert i.status == "different" and i.decided_by == "王五" and i.note == "核实为另一人"
        for run in (update, build):  # an incremental update and a full build alike
            after = crosswalk_of(run(ws, sources=sources))
            assert after[typo_sb] != pid and after[typo_hj] == pid
            assert {k for k, v in after.items() if v == pid} == members - {typo_sb}
        history = lookup(ws, pid)[0].history
        assert any(h["action"] == "split" and h["reason"] == "decided" for h in history), history
        assert any("人工复核裁定为不同的人" in h["reason_text"] for h in history)
        # the same decision again, without a note: who decided it and why stand
        again = decide_pair(ws, typo_sb, typo_hj, "different", by="另一人")
        assert (again.decided_by, again.note) == ("王五", "核实为另一人")
        # and the clerk takes it back: decided the same, the merge says so
        decide_pair(ws, typo_sb, typo_hj, "same", by="王五", note="复核后确认同一人")
        merged = crosswalk_of(update(ws, sources=sources))
        assert merged[typo_sb] == merged[typo_hj] == pid
        events = lookup(ws, pid)[0].history
        assert any(h["action"] == "absorbed" and h["reason"] == "decided_same" for h in events), events
        assert any("人工复核裁定为同一人，按裁定合并" in h["reason_text"] for h in events)
        # the identifier the split made is merged now: a split naming it says where it went
        with pytest.raises(NotFound, match=f"已并入 {pid}"):
            split_record(ws, after[typo_sb], typo_sb)


def test_splits_and_pair_decisions_name_what_is_wrong(tmp_path: Path) -> None:
    from shuzhi.registry import split_record

    city = make_city(seed=13, background=25)
    sources = city.write(tmp_path / "data")
    Workspace.init(tmp_path / "city").close()
    with Workspace.open(tmp_path / "city") as ws:
        typo_hj = _key(city, "typo", "GA-HJ")
        with pytest.raises(NotFound, match="尚未构建"):  # nothing built: nothing to decide on
            decide_pair(ws, typo_hj, ("RS-SB", "x"), "same")
        cw = crosswalk_of(build(ws, sources=sources))
        with pytest.raises(NotFound, match="GA-HJ:no-such-key"):  # a mistyped key binds nothing
            decide_pair(ws, typo_hj, ("GA-HJ", "no-such-key"), "different")
        with pytest.raises(NotFound, match="NOPE:1"):
            split_record(ws, cw[typo_hj], ("NOPE", "1"))
        with pytest.raises(NotFound, match="P999999999999"):
            split_record(ws, "P999999999999", typo_hj)
        other = next(k for k, v in cw.items() if v != cw[typo_hj])
        with pytest.raises(ValidationError, match="不属于"):
            split_record(ws, cw[typo_hj], other)
        counts: dict[str, int] = {}
        for v in cw.values():
            counts[v] = counts.get(v, 0) + 1
        alone = next(k for k, v in cw.items() if counts[v] == 1)
        with pytest.raises(ValidationError, match="只有这一条记录"):
            split_record(ws, cw[alone], alone)
        assert review_queue(ws, status="different") == []  # nothing was decided by the refusals


def test_a_different_decision_is_not_undone_by_a_third_record_matching_both(tmp_path: Path) -> None:
    """Two records of one cluster decided different stay apart even when a third record matches
    them both (it went on joining them: the decision removed only their own link)."""
    city = make_city(seed=13, background=25)
    sources = city.write(tmp_path / "data")
    Workspace.init(tmp_path / "city").close()
    with Workspace.open(tmp_path / "city") as ws:
        first = crosswalk_of(build(ws, sources=sources))
        by_person: dict[str, list[tuple[str, str]]] = {}
        for k, v in sorted(first.items()):
            by_person.setdefault(v, []).append(k)
        a, b, c = next(recs for recs in by_person.values() if len(recs) >= 3)[:3]
        decide_pair(ws, a, c, "different", by="王五", note="核实为两人")
        for run in (build, update):
            after = crosswalk_of(run(ws, sources=sources))
            assert after[a] != after[c], run.__name__
            assert after[b] in (after[a], after[c])  # the third goes with one of them
        from shuzhi.registry import lookup

        kept = first[a] if first[a] in (after[a], after[c]) else None
        assert kept is not None  # the identifier stays with one side
        history = lookup(ws, kept)[0].history
        assert any(h["action"] == "split" and h["reason"] == "decided" for h in history), history
