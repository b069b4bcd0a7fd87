"""GB/T 2260 divisions: data, lookups, the division check in both forms, and updates."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuzhi.errors import ConfigError, DataError
from shuzhi.standards import Verdict, check, check_many, install
from shuzhi.standards import divisions as dv
from shuzhi.standards._registry import KINDS

JINCHENG = {
    "140502": "城区",
    "140521": "沁水县",
    "140522": "阳城县",
    "140524": "陵川县",
    "140525": "泽州县",
    "140581": "高平市",
}


@pytest.fixture
def fresh() -> Iterator[None]:
    """Give the test the shipped data and drop whatever it loaded afterwards."""
    dv._reset()
    yield
    dv._reset()


# ---------------------------------------------------------------- data and lookups (STANDARDS.md)


def test_jincheng_and_its_counties() -> None:
    city = dv.lookup("140500")
    assert city is not None and city.name == "晋城市" and city.level == "prefecture" and city.current
    assert city.parent == "140000" and city.full_name == "山西省晋城市"
    assert {d.code: d.name for d in dv.children("140500")} == JINCHENG
    assert all(d.level == "county" and d.parent == "140500" for d in dv.children("140500"))
    assert city.lon is not None and 112 < city.lon < 114 and city.lat is not None and 35 < city.lat < 36


def test_full_name_chain() -> None:
    assert dv.full_name("140502") == "山西省晋城市城区"
    assert dv.full_name("110105") == "北京市朝阳区"  # municipality district: no prefecture level
    assert [d.name for d in dv.parent_chain("140502001")] == ["山西省", "晋城市", "城区", "东街街道"]
    d = dv.lookup("140502")
    assert d is not None and (d.province, d.prefecture, d.county) == ("140000", "140500", "140502")
    bj = dv.lookup("110105")
    assert bj is not None and (bj.province, bj.prefecture, bj.parent) == ("110000", None, "110000")


def test_provinces_are_the_prefixes_in_use() -> None:
    prefixes = {int(d.code[:2]) for d in dv.provinces()}
    expected = {
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
    }
    assert prefixes == expected
    assert len(dv.provinces()) == 34


def test_towns_of_every_jincheng_county() -> None:
    for code in JINCHENG:
        towns = dv.children(code)
        assert len(towns) >= 7, code
        assert all(t.level == "town" and len(t.code) == 9 and t.code.startswith(code) for t in towns)
    names = {t.name for t in dv.children("140502")}
    assert {"东街街道", "西街街道", "南街街道", "北街街道", "北石店镇"} <= names
    assert {t.name for t in dv.children("140522")} >= {"凤城镇", "北留镇", "润城镇"}


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("140502", "140502"),
        ("140502000000", "140502"),
        ("140502000", "140502"),
        ("140502001", "140502001"),
        ("140502001000", "140502001"),
        ("１４０５０２", "140502"),
        (140502, "140502"),
    ],
)
def test_lookup_forms(code: object, key: str) -> None:
    d = dv.lookup(code)
    assert d is not None and d.code == key


@pytest.mark.parametrize("code", ["", "14050", "1405020", "abc", "140502001001", "999999", None, 1.5, True])
def test_lookup_unknown(code: object) -> None:
    assert dv.lookup(code) is None


def test_retired_codes_still_resolve() -> None:
    suburb = dv.lookup("140503")  # 晋城市郊区, merged into 泽州县 in 1996
    assert suburb is not None and suburb.name == "郊区" and not suburb.current
    assert (suburb.valid_from, suburb.valid_to) == (date(1985, 12, 31), date(1995, 12, 31))
    assert suburb.full_name == "山西省晋城市郊区"
    old_gaoping = dv.lookup("140523")  # 高平县 → 高平市 140581 in 1993
    assert (
        old_gaoping is not None
        and old_gaoping.name == "高平县"
        and old_gaoping.valid_to == date(1992, 12, 31)
    )
    # before 1985 晋城 was a county-level city of 晋东南地区
    old_city = dv.lookup("142501")
    assert old_city is not None and old_city.full_name == "山西省晋东南地区晋城市" and not old_city.current
    # the county of the STANDARDS.md ID 44052418800101001? (潮阳县, retired)
    chaoyang = dv.lookup("440524")
    assert chaoyang is not None and not chaoyang.current and chaoyang.full_name.startswith("广东省汕头市")
    assert [d.code for d in dv.children("140500", include_retired=True)] == [
        "140501",
        "140502",
        "140503",
        "140521",
        "140522",
        "140523",
        "140524",
        "140525",
        "140581",
    ]


def test_history_of_names() -> None:
    spans = dv.history("140501")
    assert [s.name for s in spans] == ["市辖区", "晋城市市辖区", "市辖区"]
    assert spans[0].valid_from == date(2002, 12, 31) and spans[-1].valid_to == date(2018, 10, 31)
    current = dv.history("140502")
    assert current[-1].name == "城区" and current[-1].valid_to is None
    assert dv.history("nonsense") == []


def test_search() -> None:
    assert [d.code for d in dv.search("晋城")] == ["140500"]
    assert [d.code for d in dv.search("晋城市")] == ["140500"]
    assert [d.code for d in dv.search("阳城")] == ["140522"]
    chengqu = dv.search("城区")
    assert len(chengqu) >= 3 and "140502" in {d.code for d in chengqu}
    assert all(d.name == "城区" and d.current for d in chengqu)
    assert [d.code for d in dv.search("晋城市城区")] == ["140502"]
    assert [d.code for d in dv.search("北石店镇")] == ["140502100"]
    assert [d.code for d in dv.search("北石店")] == ["140502100"]
    assert {d.code for d in dv.search("吉林")} == {"220000", "220200"}
    assert [d.code for d in dv.search("吉林", level="province")] == ["220000"]
    assert [d.code for d in dv.search("延边")] == ["222400"]
    assert [d.code for d in dv.search("内蒙古")] == ["150000"]
    assert dv.search("郊区", level="county")[0].current
    retired = dv.search("晋城", include_retired=True)
    assert retired[0].code == "140500" and "142501" in {d.code for d in retired}
    assert dv.search("不存在的地方") == [] and dv.search(None) == []  # type: ignore[arg-type]


def test_former_names() -> None:
    former = dv.former_names()
    # the suffix changed, with a new code (高平县 140523 → 高平市 140581, 潮阳县 → 潮阳市 → 潮阳区)
    assert former["高平县"] == ["140581"]
    assert former["潮阳县"] == former["潮阳市"] == ["440513"]
    assert former["吕梁地区"] == ["141100"] and former["离石县"] == ["141102"]
    assert former["昌平县"] == ["110114"] and former["呼伦贝尔盟"] == ["150700"]
    for name, codes in former.items():
        for code in codes:
            d = dv.lookup(code)
            assert d is not None and d.current and d.name != name and d.level != "town", name
    # a rename to another name is no suffix change; a county-level city is not the county around it
    assert "襄樊市" not in former and "承德市" not in former
    assert "高平市" not in former and "城区" not in former


def test_short_forms() -> None:
    assert dv.short_forms("晋城市", "prefecture") == ["晋城"]
    assert dv.short_forms("延边朝鲜族自治州", "prefecture") == ["延边", "延边州"]
    assert dv.short_forms("广西壮族自治区", "province") == ["广西"]
    assert dv.short_forms("内蒙古自治区", "province") == ["内蒙古"]
    assert dv.short_forms("双江拉祜族佤族布朗族傣族自治县", "county") == ["双江"]
    assert dv.short_forms("城区", "county") == []  # one character left: no short form
    assert dv.short_forms("北石店镇", "town") == ["北石店"]


# ---------------------------------------------------------------- the check (Python form)


def test_check_current_code() -> None:
    v = dv.check_division("140502")
    assert v.valid and v.normalized == "140502" and v.reason is None and v.notes == ()
    assert v.parts["full_name"] == "山西省晋城市城区"
    assert (v.parts["province"], v.parts["prefecture"], v.parts["county"]) == ("山西省", "晋城市", "城区")
    assert v.parts["level"] == "county" and v.parts["current"] is True and v.parts["valid_to"] is None
    assert check("division", "140502").valid  # reachable through the registry
    assert KINDS["division"].sql_check == "sz_division_check"


def test_check_retired_code_is_valid_with_a_note() -> None:
    v = dv.check_division("140503")
    assert v.valid and v.notes == ("division.retired",)
    assert v.parts["valid_to"] == "1995-12-31" and v.parts["current"] is False
    assert v.message("zh") == "140503（山西省晋城市郊区）已撤销，有效期 1985-12-31 至 1995-12-31"
    assert "retired" in v.message("en") and "1995-12-31" in v.message("en")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("140502001000", "140502001"),
        ("140502000000", "140502"),
        ("１４０５２１", "140521"),
        (" 140522 ", "140522"),
        ("晋城", "140500"),
        ("晋城市", "140500"),
        ("阳城县", "140522"),
        ("晋城市城区", "140502"),
        ("山西省晋城市城区", "140502"),
        ("山西 晋城市", None),
        ("襄樊市", "420600"),
        ("北石店镇", "140502100"),
        (140581, "140581"),
    ],
)
def test_check_forms(value: object, code: str | None) -> None:
    v = dv.check_division(value)
    if code is None:
        assert not v.valid
    else:
        assert v.valid and v.normalized == code, v
    if isinstance(value, str) and "１" in value:
        assert "division.full_width" in v.notes


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "empty"),
        ("", "empty"),
        ("   ", "empty"),
        ("\u3000", "empty"),
        ("\u200b", "empty"),
        ("x" * 1001, "too_long"),
        (1.5, "not_text"),
        ("1405", "division.bad_format"),
        ("1405021", "division.bad_format"),
        ("14050A", "division.bad_format"),
        ("晋城1", "division.bad_format"),
        ("140599", "division.unknown_code"),
        ("140502999", "division.unknown_code"),
        ("140502001001", "division.unknown_code"),
        ("不存在", "division.unknown_name"),
        ("😀", "division.unknown_name"),
        ("城区", "division.ambiguous"),
        ("吉林", "division.ambiguous"),
    ],
)
def test_check_explains(value: object, reason: str) -> None:
    v = dv.check_division(value)
    assert not v.valid and v.reason == reason
    zh, en = v.message("zh"), v.message("en")
    assert zh and en and zh != en and "{" not in zh and "{" not in en


def test_ambiguous_message_says_how_many() -> None:
    v = dv.check_division("城区")
    assert v.parts["candidates"] == len(dv.search("城区")) == 3
    assert "3 个" in v.message("zh") and "3 divisions" in v.message("en")


# ---------------------------------------------------------------- the SQL form


def test_sz_divisions_table_contract(con: duckdb.DuckDBPyConnection) -> None:
    cols = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'sz_divisions'"
        ).fetchall()
    )
    for name, typ in [
        ("code", "VARCHAR"),
        ("name", "VARCHAR"),
        ("level", "VARCHAR"),
        ("parent", "VARCHAR"),
        ("province", "VARCHAR"),
        ("prefecture", "VARCHAR"),
        ("current", "BOOLEAN"),
        ("valid_from", "DATE"),
        ("valid_to", "DATE"),
        ("full_name", "VARCHAR"),
    ]:
        assert cols[name] == typ
    # what the idcard check does with it
    row = con.execute(
        "SELECT EXISTS (SELECT 1 FROM sz_divisions WHERE code = substr(s, 1, 6)), "
        "(SELECT full_name FROM sz_divisions WHERE code = substr(s, 1, 6)) "
        "FROM (SELECT '14050219900307151X' AS s)"
    ).fetchone()
    assert row == (True, "山西省晋城市城区")
    assert con.execute("SELECT current, valid_to FROM sz_divisions WHERE code = '140503'").fetchone() == (
        False,
        date(1995, 12, 31),
    )
    kids = con.execute(
        "SELECT list(code ORDER BY code) FROM sz_divisions WHERE parent = '140500' AND current"
    ).fetchone()
    assert kids == (sorted(JINCHENG),)
    row = con.execute("SELECT count(*), count(*) FILTER (WHERE level = 'town') FROM sz_divisions").fetchone()
    assert row is not None
    n, towns = row
    assert n > 45_000 and towns > 38_000


def _same(py: Verdict, sql: Verdict) -> None:
    assert (py.valid, py.normalized, py.reason, py.notes) == (
        sql.valid,
        sql.normalized,
        sql.reason,
        sql.notes,
    ), (py, sql)
    if py.reason != "too_long":  # the framework's SQL precheck has no parts for it
        assert dict(py.parts) == dict(sql.parts), (py, sql)


EXAMPLES = [
    "140502",
    "140503",
    "１４０５２１",
    "140502001000",
    "140502000000",
    "140502000",
    "140599",
    "1405",
    "城区",
    "晋城",
    "晋城市城区",
    "山西省晋城市城区",
    "不存在",
    "142501",
    "吉林",
    "襄樊市",
    "abc",
    "",
    None,
    "😀",
    "\u3000",
    " 140502 ",
    "\t",
    "\u200b",
    "140502001",
    "１４０５０２Ａ",
    "x" * 1001,
    "北石店镇",
    "it's",
    "\\",
    "110105",
    "440524",
    "810000",
    "710000",
    "140502001001",
]


def test_sql_agrees_on_examples(con: duckdb.DuckDBPyConnection) -> None:
    for value, sql in zip(EXAMPLES, check_many("division", EXAMPLES, con=con), strict=True):
        _same(dv.check_division(value), sql)


def _codes() -> list[str]:
    st_ = dv._store()
    return sorted(st_.divs)


_ALL = _codes()
_NAMES = sorted(dv._store().aliases)

fullwidth = st.text(alphabet="0123456789", min_size=1, max_size=12).map(
    lambda s: s.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
)
code_like = st.sampled_from(_ALL).flatmap(
    lambda c: st.sampled_from(
        [
            c,
            c + "000" if len(c) == 9 else c + "000000",
            " " + c + " ",
            c[:-1],
            c + "1",
            c.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
        ]
    )
)
junk = st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=20)
values = st.one_of(
    code_like,
    st.sampled_from(_NAMES),
    st.text(alphabet="0123456789", max_size=14),
    fullwidth,
    junk,
    st.none(),
)


def _sql(con: duckdb.DuckDBPyConnection, values: list[Any]) -> list[Verdict]:
    """What check_many gives, on an installed connection (check_many re-creates every macro of the
    library on each call, too slow for a property test)."""
    rows = con.execute(
        "SELECT sz_division_check(v) FROM (SELECT unnest($1::VARCHAR[]) AS v, generate_subscripts($1, 1) i) "
        "ORDER BY i",
        [values],
    ).fetchall()
    return [
        Verdict(
            "division",
            v,
            r["valid"],
            r["normalized"],
            r["reason"],
            tuple(r["notes"] or ()),
            {k: (x.isoformat() if isinstance(x, date) else x) for k, x in (r["parts"] or {}).items()},
        )
        for v, (r,) in zip(values, rows, strict=True)
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(values, min_size=1, max_size=50))
def test_python_and_sql_agree(con: duckdb.DuckDBPyConnection, batch: list[Any]) -> None:
    for value, sql in zip(batch, _sql(con, batch), strict=True):
        _same(dv.check_division(value), sql)


# ---------------------------------------------------------------- updates from the ministry's list


def _current_list() -> list[tuple[str, str]]:
    return sorted((c, d.name) for c, d in dv._store().divs.items() if d.current and len(c) == 6)


def _write(path: Path, rows: list[tuple[str, ...]], header: str = "code,name,valid_from") -> Path:
    path.write_text(header + "\n" + "\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_load_updates_adds_renames_and_retires(tmp_path: Path, fresh: None) -> None:
    from shuzhi.standards.idcard import check_arrow, check_char, check_idcard

    number = "14059919900307123" + check_char("14059919900307123")
    assert check_arrow([number]).column("reason").to_pylist() == ["idcard.unknown_region"]
    rows: list[tuple[str, ...]] = [(c, n) for c, n in _current_list() if c != "140581"]
    rows = [(c, "晋城新区" if c == "140502" else n) for c, n in rows]
    rows.append(("140599", "测试区", "2026-06-30"))
    report = dv.load_updates(_write(tmp_path / "xzqh.csv", rows), as_of="2026-12-31")
    assert report.as_of == date(2026, 12, 31)
    assert report.added == ("140599",)
    assert report.renamed == (("140502", "城区", "晋城新区"),)
    assert report.retired == ("140581",)
    assert report.towns_retired == len([t for t in dv.children("140581", include_retired=True)])
    new = dv.lookup("140599")
    assert new is not None and new.current and new.parent == "140500" and new.valid_from == date(2026, 6, 30)
    assert new.full_name == "山西省晋城市测试区"
    gone = dv.lookup("140581")
    assert gone is not None and not gone.current and gone.valid_to == date(2025, 12, 31)
    assert dv.children("140581") == []
    assert [s.name for s in dv.history("140502")][-2:] == ["城区", "晋城新区"]
    assert dv.history("140502")[-2].valid_to == date(2025, 12, 31)
    v = dv.check_division("140581")
    assert v.valid and "division.retired" in v.notes and v.parts["valid_to"] == "2025-12-31"
    assert dv.check_division("测试区").normalized == "140599"
    assert dv.check_division("城区").parts["candidates"] == 2
    # the SQL form sees the update after a re-install
    c = duckdb.connect()
    install(c, replace=True)
    assert c.execute("SELECT name, current FROM sz_divisions WHERE code = '140599'").fetchone() == (
        "测试区",
        True,
    )
    assert check_many("division", ["140581"], con=c)[0].notes == ("division.retired",)
    c.close()
    # so does the identity number's vectorised check (its table of region codes is rebuilt)
    assert check_idcard(number).valid
    assert check_arrow([number]).column("valid").to_pylist() == [True]


def test_load_updates_restores_a_retired_code(tmp_path: Path, fresh: None) -> None:
    rows: list[tuple[str, ...]] = [*_current_list(), ("140503", "郊区")]
    report = dv.load_updates(_write(tmp_path / "x.csv", rows, header="行政区划代码,单位名称"))
    assert report.restored == ("140503",) and report.retired == ()
    d = dv.lookup("140503")
    assert d is not None and d.current and d.valid_to is None


def test_load_updates_tab_separated_and_12_digit(tmp_path: Path, fresh: None) -> None:
    rows = [*_current_list(), ("140598000000", "新县")]
    path = tmp_path / "tab.tsv"
    path.write_text("\n".join(f"{c}\t{n}" for c, n in rows), encoding="utf-8")
    report = dv.load_updates(path, as_of=date(2027, 1, 1))
    assert report.added == ("140598",)


def test_load_updates_refuses_a_partial_list(tmp_path: Path, fresh: None) -> None:
    path = _write(tmp_path / "partial.csv", [("140599", "测试区")])
    with pytest.raises(DataError, match="not a complete list"):
        dv.load_updates(path)
    report = dv.load_updates(path, complete=False, as_of="2026-12-31")
    assert report.added == ("140599",) and report.retired == ()
    assert dv.lookup("140581") is not None and dv.lookup("140581").current  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("14059,测试区", "6 digits"),
        ("140599,", "empty name"),
        ("140599,测试区,2026/6/30", "YYYY-MM-DD"),
        ("140599", "expected code,name"),
    ],
)
def test_load_updates_bad_rows(tmp_path: Path, fresh: None, line: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"code,name\n{line}\n", encoding="utf-8")
    with pytest.raises(DataError, match=message) as e:
        dv.load_updates(path, complete=False)
    assert e.value.row == 2


def test_updates_from_the_environment(tmp_path: Path, fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "env.csv", [*_current_list(), ("140599", "测试区", "2026-06-30")])
    monkeypatch.setenv(dv.UPDATES_ENV, str(path))
    dv._reset()
    d = dv.lookup("140599")
    assert d is not None and d.current


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The ``shuzhi`` command in a fresh interpreter (so that the package is imported anew)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SHUZHI_")}
    return subprocess.run(
        [sys.executable, "-c", "from shuzhi.cli import main; main()", *args],
        env={**clean, **env, "COLUMNS": "400"},
        capture_output=True,
        text=True,
        timeout=300,
    )


BAD_UPDATE_FILES = {
    # what the file holds (None: no file) → what the error must say
    "missing": (None, "No such file"),
    "short": ("code,name\n140000,山西省\n", "not a complete list"),
    "bad_code": (
        "code,name\n140000,山西省\n14059,测试区\n",
        "row 3, column code: division code must be 6 digits",
    ),
    "bad_date": ("code,name,valid_from\n140599,测试区,2026/6/30\n", "row 2, column valid_from"),
    "not_csv": ('code,name\n140599,"' + "x" * 200_000 + '"\n', "not a readable CSV file"),
}


@pytest.mark.parametrize("case", sorted(BAD_UPDATE_FILES))
def test_bad_update_file_in_the_environment_is_a_config_error(
    tmp_path: Path, fresh: None, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    content, says = BAD_UPDATE_FILES[case]
    good: list[tuple[str, ...]] = [*_current_list(), ("140599", "测试区")]
    path = tmp_path / f"{case}.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    monkeypatch.setenv(dv.UPDATES_ENV, str(path))
    dv._reset()  # nothing is read yet (importing shuzhi.standards reads nothing either)
    uses = (
        lambda: dv.lookup("140502"),
        lambda: check("division", "140502"),
        lambda: install(duckdb.connect()),
    )
    for use in uses:
        with pytest.raises(ConfigError, match=says) as e:
            use()
        assert str(path) in e.value.message and dv.UPDATES_ENV in e.value.message
    from shuzhi.standards import address

    with pytest.raises(ConfigError, match=says):
        address.check_address("阳城县凤城镇东关村12号")
    # a good file in its place: the data load again (with the update applied)
    _write(path, good)
    dv._reset()
    d = dv.lookup("140599")
    assert d is not None and d.current
    assert address.parse_address("测试区凤台街1号").county_code == "140599"


def test_bad_update_file_gives_the_cli_error_message(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.csv", [("140000", "山西省"), ("14059", "测试区")])
    env = {dv.UPDATES_ENV: str(bad)}
    help_ = _cli("--help", env=env)
    assert help_.returncode == 0 and "Traceback" not in help_.stderr and "check" in help_.stdout
    for args in (("check", "division", "140502"), ("check", "address", "高平市米山镇中街1号")):
        r = _cli(*args, env=env)
        assert r.returncode == 2, r.stderr  # ConfigError
        assert "Traceback" not in r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("错误 / error:"), r.stderr
        assert f"{bad} 第 3 行 “code”列 / row 3, column code: " in lines[0]
        assert "division code must be 6 digits" in lines[0]
    r = _cli("check", "division", "140502", env={dv.UPDATES_ENV: str(tmp_path / "nonexistent.csv")})
    assert r.returncode == 2 and "nonexistent.csv" in r.stderr and "Traceback" not in r.stderr


def test_address_patterns_follow_updates(tmp_path: Path, fresh: None) -> None:
    from shuzhi.standards import address

    assert address.parse_address("测试区凤台街1号").county_code is None
    dv.load_updates(_write(tmp_path / "u.csv", [("140599", "测试区")]), complete=False, as_of="2026-12-31")
    a = address.parse_address("测试区凤台街1号")
    assert a.county_code == "140599" and a.prefecture == "晋城市"
    c = duckdb.connect()
    install(c, replace=True)
    assert check_many("address", ["测试区凤台街1号"], con=c)[0].parts["county_code"] == "140599"
    c.close()
