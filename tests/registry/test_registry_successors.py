"""Which content-keyed record succeeds which (``content_successors``), on DuckDB, case by case."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from shuzhi.registry._identity import content_successors

COLUMNS = ("src", "rec_key", "registry_id", "name_norm", "id18", "id_valid", "dob", "sex", "phone")
ADDRESS = ("addr_county", "addr_town", "addr_place", "addr_building", "addr_room")
HOME = ("140502", "东街街道", "白马寺小区", "1-1", "203")
ID_A = "140502198001011236"
ID_B = "140524198505051338"


def key(n: int, copy: int = 1) -> str:
    return f"h:{n:032x}#{copy}"


def rec(rec_key: str, registry_id: str | None = None, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"src": "MZ", "rec_key": rec_key, "registry_id": registry_id}
    row |= {"name_norm": "张伟", "id18": None, "id_valid": False, "dob": "1980-01-01", "sex": "1"}
    row |= {"phone": None, **dict(zip(ADDRESS, HOME, strict=True))}
    return row | values


def successors(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    con = duckdb.connect()
    cols = (*COLUMNS, *ADDRESS)
    for name, rows in (("o", old), ("n", new)):
        con.execute(
            f"CREATE TABLE {name} (src VARCHAR, rec_key VARCHAR, registry_id VARCHAR, name_norm VARCHAR, "
            "id18 VARCHAR, id_valid BOOLEAN, dob DATE, sex VARCHAR, phone VARCHAR, "
            + ", ".join(f"{c} VARCHAR" for c in ADDRESS)
            + ")"
        )
        for r in rows:
            con.execute(f"INSERT INTO {name} VALUES ({', '.join('?' for _ in cols)})", [r[c] for c in cols])
    n = content_successors(con, "SELECT * FROM o", "SELECT * EXCLUDE (registry_id) FROM n")
    found = {
        (str(a), str(b), str(c))
        for a, b, c in con.execute("SELECT old_key, rec_key, registry_id FROM succ").fetchall()
    }
    assert n == len(found)
    return found


def test_a_phone_added_or_changed_is_the_same_record() -> None:
    assert successors([rec(key(1), "P1")], [rec(key(2), phone="13800000001")]) == {(key(1), key(2), "P1")}
    old = rec(key(1), "P1", phone="13800000001")
    assert successors([old], [rec(key(2), phone="13800000002")]) == {(key(1), key(2), "P1")}


def test_two_values_changed_a_name_changed_or_another_valid_id_make_no_successor() -> None:
    old = rec(key(1), "P1", phone="13800000001")
    assert successors([old], [rec(key(2), phone="13800000002", dob="1981-01-01")]) == set()
    assert successors([old], [rec(key(2), phone="13800000002", name_norm="张强")]) == set()
    a = rec(key(1), "P1", id18=ID_A, id_valid=True)
    assert successors([a], [rec(key(2), id18=ID_B, id_valid=True)]) == set()
    # a mistyped (invalid) ID corrected is one value changed
    typo = rec(key(1), "P1", id18=ID_A[:-1] + "0", id_valid=False)
    assert successors([typo], [rec(key(2), id18=ID_A, id_valid=True)]) == {(key(1), key(2), "P1")}


def test_nothing_but_the_name_agreeing_is_not_enough() -> None:
    bare = rec(key(1), "P1", dob=None, sex=None, **dict.fromkeys(ADDRESS))
    assert successors([bare], [rec(key(2), dob=None, sex=None, **dict.fromkeys(ADDRESS))]) == set()


def test_the_best_candidate_wins_and_a_tie_carries_nothing() -> None:
    old = [
        rec(key(1), "P1", phone="13800000001"),
        rec(key(3), "P3", phone="13800000003", **dict.fromkeys(ADDRESS)),
    ]
    # key 2 agrees with key 1 on birth date, sex and address, with key 3 on birth date and sex
    assert successors(old, [rec(key(2), phone="13800000009")]) == {(key(1), key(2), "P1")}
    tied = [rec(key(1), "P1", phone="13800000001"), rec(key(3), "P3", phone="13800000003")]
    assert successors(tied, [rec(key(2), phone="13800000009")]) == set()


def test_identical_records_that_changed_alike_pair_by_their_number() -> None:
    """The same person listed twice (``#1``, ``#2``), both with a phone added: each copy succeeds
    the copy of the same number (no tie)."""
    old = [rec(key(1, 1), "P1"), rec(key(1, 2), "P1")]
    new = [rec(key(2, 1), phone="13800000001"), rec(key(2, 2), phone="13800000001")]
    assert successors(old, new) == {(key(1, 1), key(2, 1), "P1"), (key(1, 2), key(2, 2), "P1")}


@pytest.mark.parametrize("declared", ["W001", "h:not-a-content-key"])
def test_only_content_keys_are_paired(declared: str) -> None:
    assert successors([rec(declared, "P1")], [rec(key(2), phone="13800000001")]) == set()
