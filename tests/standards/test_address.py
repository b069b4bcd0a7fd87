"""Chinese addresses: splitting, filling in, keys, and the two forms of the check agreeing."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuzhi.standards import Verdict, check, check_many
from shuzhi.standards import address as ad
from shuzhi.standards import divisions as dv
from shuzhi.standards._registry import KINDS


def fields(a: ad.Address) -> dict[str, Any]:
    keys = (
        "province",
        "prefecture",
        "county",
        "town",
        "community",
        "road",
        "number",
        "estate",
        "building",
        "unit",
        "room",
        "rest",
    )
    return {k: getattr(a, k) for k in keys if getattr(a, k) is not None}


# ---------------------------------------------------------------- splitting


def test_full_urban_address() -> None:
    a = ad.parse_address("山西省晋城市城区凤台东街188号2号楼3单元401室")
    assert fields(a) == {
        "province": "山西省",
        "prefecture": "晋城市",
        "county": "城区",
        "road": "凤台东街",
        "number": "188",
        "building": "2",
        "unit": "3",
        "room": "401",
    }
    assert (a.province_code, a.prefecture_code, a.county_code) == ("140000", "140500", "140502")
    assert not a.filled and a.normalized == "山西省晋城市城区凤台东街188号2号楼3单元401室"


def test_dashed_building_unit_room_and_filled_province() -> None:
    a = ad.parse_address("晋城市城区泽州路金鼎小区3-2-401")
    assert fields(a) == {
        "province": "山西省",
        "prefecture": "晋城市",
        "county": "城区",
        "road": "泽州路",
        "estate": "金鼎小区",
        "building": "3",
        "unit": "2",
        "room": "401",
    }
    assert a.filled and a.normalized == "山西省晋城市城区泽州路金鼎小区3号楼2单元401室"


def test_county_alone_fills_city_and_province() -> None:
    a = ad.parse_address("阳城县凤城镇东关村12号")
    assert fields(a) == {
        "province": "山西省",
        "prefecture": "晋城市",
        "county": "阳城县",
        "town": "凤城镇",
        "community": "东关村",
        "number": "12",
    }
    assert a.county_code == "140522" and a.town_code == "140522100" and a.filled


def test_missing_suffixes() -> None:
    a = ad.parse_address("山西晋城城区东街街道书院街9号")
    assert (a.province, a.prefecture, a.county, a.town, a.road, a.number) == (
        "山西省",
        "晋城市",
        "城区",
        "东街街道",
        "书院街",
        "9",
    )
    assert ad.parse_address("山西晋城泽州县金村镇府城村").town_code == "140525106"
    assert ad.parse_address("晋城阳城凤城镇东关村").county_code == "140522"  # suffix-less county under a city


def test_ambiguous_county_needs_a_city() -> None:
    a = ad.parse_address("城区凤台东街12号")
    assert a.county == "城区" and a.county_code is None and a.prefecture is None and a.county_candidates == 3
    b = ad.parse_address("城区凤台东街12号", context="140500")
    assert (b.prefecture, b.county_code, b.context_used) == ("晋城市", "140502", True)
    # a town that exists in only one of the candidates settles it
    c = ad.parse_address("城区北石店镇凤台街1号")
    assert (c.county_code, c.town_code, c.filled) == ("140502", "140502100", True)
    # the context is not needed (nor marked) when the text says it all
    d = ad.parse_address("阳城县凤城镇东关村", context="140500")
    assert d.county_code == "140522" and not d.context_used


def test_context_finds_suffix_less_county_and_town() -> None:
    assert ad.parse_address("阳城凤城镇东关村").county_code is None  # 阳城 alone could be any word
    a = ad.parse_address("阳城凤城镇东关村", context="140500")
    assert a.county_code == "140522" and a.context_used
    b = ad.parse_address("北石店镇凤台街1号", context="140500")
    assert (b.county_code, b.town_code) == ("140502", "140502100")
    with pytest.raises(ValueError):
        ad.parse_address("x", context="999999")


def test_words_that_look_like_places_are_not_divisions() -> None:
    for text in ("湖南路12号", "中山路12号", "吉林大街3号"):
        a = ad.parse_address(text)
        assert a.province is None and a.prefecture is None and a.county_code is None, text
        assert a.road is not None


def test_municipality_and_same_name_city() -> None:
    a = ad.parse_address("北京朝阳区建国路88号")
    assert (a.province, a.prefecture, a.county, a.county_code) == ("北京市", None, "朝阳区", "110105")
    b = ad.parse_address("吉林省吉林市船营区解放路3号")
    assert (b.province_code, b.prefecture_code, b.county_code) == ("220000", "220200", "220204")
    c = ad.parse_address("吉林市船营区解放路3号")
    assert c.county_code == "220204" and c.province == "吉林省"


def test_former_names_are_read_as_the_current_division() -> None:
    # departments' old records: 高平县 became 高平市 in 1993, 潮阳县 潮阳市 then 潮阳区
    a = ad.parse_address("山西省晋城市高平县米山镇中街1号")
    assert fields(a) == {
        "province": "山西省",
        "prefecture": "晋城市",
        "county": "高平市",
        "town": "米山镇",
        "road": "中街",
        "number": "1",
    }
    assert (a.county_code, a.old_name, a.new_name) == ("140581", "高平县", "高平市")
    assert a.normalized == "山西省晋城市高平市米山镇中街1号" and not a.filled
    b = ad.parse_address("广东省汕头市潮阳县棉城镇中华路1号")
    # (棉城镇 is no town any more: it was split into 街道, so it stays with the road)
    assert (b.county, b.county_code) == ("潮阳区", "440513")
    assert b.normalized == "广东省汕头市潮阳区棉城镇中华路1号"
    # the same place as written today
    assert a.key == ad.address_key("高平市米山镇中街1号") and a.key is not None
    # alone (a full name needs no upper level), and at several levels
    c = ad.parse_address("高平县米山镇中街1号")
    assert (c.county_code, c.filled_in, c.old_name) == ("140581", "山西省晋城市", "高平县")
    d = ad.parse_address("山西省吕梁地区离石县凤山街道1号")
    assert (d.prefecture, d.county, d.county_code) == ("吕梁市", "离石区", "141102")
    assert (d.old_name, d.new_name) == ("吕梁地区、离石县", "吕梁市、离石区")
    # a current name keeps its meaning (淮安市 was also the county-level city that is now 淮安区)
    e = ad.parse_address("江苏省淮安市清江浦区淮海南路1号")
    assert (e.prefecture_code, e.county_code, e.old_name) == ("320800", "320812", None)
    assert ad.parse_address("山西省晋城市高平市米山镇中街1号").old_name is None


def test_courtyard_number_keeps_its_yuan() -> None:
    a = ad.parse_address("山西省晋城市城区凤台东街188号院3号楼")
    assert (a.road, a.number, a.courtyard, a.building) == ("凤台东街", "188", True, "3")
    assert a.normalized == "山西省晋城市城区凤台东街188号院3号楼"
    b = ad.parse_address("山西省晋城市城区凤台东街188号院内东侧")
    assert (b.number, b.courtyard, b.rest) == ("188", True, "内东侧")
    assert b.normalized == "山西省晋城市城区凤台东街188号院内东侧"
    c = ad.parse_address("山西省晋城市城区凤台东街188号3号楼")
    assert not c.courtyard and c.normalized == "山西省晋城市城区凤台东街188号3号楼"
    # one place: the key does not tell 188号院 from 188号
    assert a.key == c.key


def test_full_width_spaces_punctuation_and_leading_china() -> None:
    a = ad.parse_address("中国 山西省，晋城市　城区 凤台东街１８８号（２号楼）３单元４０１室")
    assert (a.county_code, a.number, a.building, a.unit, a.room) == ("140502", "188", "2", "3", "401")
    b = ad.parse_address("高平市 泉北街道 长平路 3 号")
    assert (b.county_code, b.town, b.town_code, b.road, b.number) == (
        "140581",
        "泉北街道",
        None,
        "长平路",
        "3",
    )
    c = ad.parse_address("城区凤台东街12号Ａ座１２０３", context="140500")
    assert (c.building, c.room) == ("A", "1203") and c.normalized.endswith("A号楼1203室")


def test_chinese_numerals_in_building_and_unit() -> None:
    a = ad.parse_address("沁水县龙港镇杏园小区三号楼二单元401室")
    assert (a.estate, a.building, a.unit, a.room) == ("杏园小区", "3", "2", "401")
    b = ad.parse_address("沁水县龙港镇杏园小区十二栋十单元")
    assert (b.building, b.unit) == ("12", "10")
    c = ad.parse_address("沁水县龙港镇杏园小区二十一号楼03单元")
    assert (c.building, c.unit) == ("21", "3")


def test_village_road_and_estate_village() -> None:
    assert ad.parse_address("泽州县南村镇新村路12号").road == "新村路"
    a = ad.parse_address("城区西街街道电厂新村3号楼", context="140500")
    assert (a.community, a.estate, a.building) == (None, "电厂新村", "3")
    b = ad.parse_address("城区东街街道书院社区凤台街9号", context="140500")
    assert (b.community, b.road) == ("书院社区", "凤台街")


# ---------------------------------------------------------------- normal form and key


def test_two_writings_one_key() -> None:
    same = [
        "山西省晋城市城区凤台东街188号2号楼3单元401室",
        "晋城城区凤台东街188号2-3-401",
        "中国山西晋城市城区 凤台东街 188号 2栋 3单元 401",
        "山西省晋城市城区凤台东街１８８号二号楼三单元401室",
    ]
    keys = {ad.address_key(x) for x in same}
    assert len(keys) == 1 and None not in keys
    assert ad.address_key("城区凤台东街188号2号楼3单元401室", context="140500") in keys
    assert ad.address_key("山西省晋城市城区凤台东街188号2号楼3单元402室") not in keys
    assert ad.address_key("城区凤台东街188号2号楼3单元401室") is None  # which 城区?
    assert ad.address_key("阳城县凤城镇东关村委会12号") == ad.address_key("山西晋城阳城县凤城镇东关村12号")
    assert ad.address_key("沁水县龙港镇杏园小区5栋") == ad.address_key("沁水县龙港镇杏园5号楼")


def test_normalize_address() -> None:
    assert (
        ad.normalize_address("晋城城区凤台东街188号2-3-401") == "山西省晋城市城区凤台东街188号2号楼3单元401室"
    )
    assert ad.normalize_address("阳城县凤城镇东关村12号") == "山西省晋城市阳城县凤城镇东关村12号"
    assert ad.normalize_address("随便写的") == "随便写的"
    assert ad.normalize_address(None) == ""


def test_normal_form_reads_back_the_same() -> None:
    cases = [
        # a building in the number's place: what follows is not moved in front of it
        ("中国东城区１号楼东关村府城村", ("1", None, None, "东关村府城村")),
        ("东城区建设路3号楼金鼎小区2单元", ("3", None, None, "金鼎小区2单元")),
        ("东城区建设路3号楼5栋", ("3", None, "5", "栋")),  # the second building is kept
        # a road named after a village is the road; a second road is kept
        ("东城区新村路凤台路", (None, None, None, "凤台路")),
        # 12号院 followed by 院 / 楼 keeps its 院 in the normal form
        ("东城区12号院楼苑", (None, "楼苑", None, None)),
        ("东城区12号院院苑", (None, "院苑", None, None)),
        # A号楼 is written A号楼 (a shorter A座 would bring the 苑 into the estate's reach)
        ("东城区金鼎小区A号楼" + "一" * 24 + "苑", ("A", "金鼎小区", None, "一" * 24 + "苑")),
    ]
    for text, (building, estate, room, rest) in cases:
        a = ad.parse_address(text)
        assert (a.building, a.estate, a.room, a.rest) == (building, estate, room, rest), text
        assert ad.address_key(a.normalized) == a.key and ad.normalize_address(a.normalized) == a.normalized
    # every leading 中国 goes, or the normal form would start with one and read differently
    a = ad.parse_address("中国中国阳城县凤城镇东关村")
    assert a.county_code == "140522" and a.normalized == "山西省晋城市阳城县凤城镇东关村"
    b = ad.parse_address("中国中国凤城镇东关村", context="140522")
    assert b.town_code == "140522100" and ad.address_key(b.normalized, context="140522") == b.key


# ---------------------------------------------------------------- the check (Python form)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("山西省晋城市城区凤台东街188号2号楼3单元401室", None),
        ("阳城县凤城镇东关村12号", None),
        ("高平市米山镇", "address.no_detail"),
        ("陵川县崇文镇", "address.no_detail"),
        ("城区凤台东街12号", "address.ambiguous_county"),
        ("凤台东街188号2-3-401", "address.no_division"),
        ("金鼎小区3号楼2单元401", "address.no_division"),
        ("晋城市凤台街1号", "address.no_county"),
        ("山西省", "address.no_county"),
        (None, "empty"),
        ("", "empty"),
        ("/", "empty"),
        ("，。 ", "empty"),
        ("x" * 1001, "too_long"),
        (12, "address.no_division"),
        (["list"], "not_text"),
        ("😀", "address.no_division"),
    ],
)
def test_check_address(text: object, reason: str | None) -> None:
    v = ad.check_address(text)
    assert v.reason == reason and v.valid == (reason is None)
    if reason is None:
        assert v.normalized and v.parts["key"] and v.parts["county_code"]
    else:
        assert v.normalized is None
        assert v.message("zh") and v.message("en") and "{" not in v.message("zh") + v.message("en")


def test_check_messages_and_parts() -> None:
    v = ad.check_address("城区凤台东街12号")
    assert v.message("zh") == "「城区」在 3 个城市都有，请写上所属的市（如 晋城市城区）"
    assert "3 cities" in v.message("en")
    v = ad.check_address("高平市米山镇")
    assert v.message("zh") == "只写到「山西省晋城市高平市米山镇」，缺少街道、门牌、小区等详细地址"
    v = ad.check_address("阳城县凤城镇东关村12号")
    # only the levels that were added
    assert v.valid and v.notes == ("address.filled",)
    assert v.message("zh") == "已补全上级行政区划：山西省晋城市"
    assert v.message("en") == "upper divisions filled in: 山西省晋城市"
    assert v.parts["filled_in"] == "山西省晋城市" and v.parts["region"] == "山西省晋城市阳城县凤城镇"
    assert set(v.parts) == set(ad.PART_KEYS)
    assert ad.check_address("晋城市城区凤台东街1号").message("zh") == "已补全上级行政区划：山西省"
    # 城区 was written: the town only told which one
    assert ad.check_address("城区北石店镇凤台街1号").parts["filled_in"] == "山西省晋城市"
    assert ad.check_address("凤城镇东关村", context="140522").parts["filled_in"] == "山西省晋城市阳城县"
    assert ad.check_address("山西省晋城市城区凤台东街1号").parts["filled_in"] is None
    v = ad.check_address("山西省晋城市高平县米山镇中街1号")
    assert v.valid and v.notes == ("address.old_name",)
    assert v.message("zh") == "旧称「高平县」现为「高平市」，已按现名填写"
    assert v.message("en") == "'高平县' is a former name, now '高平市'; the current name is used"
    assert ad.check_address("高平县米山镇中街1号").notes == ("address.filled", "address.old_name")
    assert check("address", "阳城县凤城镇东关村12号").valid
    assert KINDS["address"].sql_check == "sz_address_check"
    assert ad.check_address("城区凤台东街12号", context="140500").notes == (
        "address.filled",
        "address.context",
    )


# ---------------------------------------------------------------- the SQL form


def _same(py: Verdict, sql: Verdict) -> None:
    assert (py.valid, py.normalized, py.reason, py.notes) == (
        sql.valid,
        sql.normalized,
        sql.reason,
        sql.notes,
    ), (py, sql)
    if py.reason != "too_long":  # the framework's SQL precheck has no parts for it
        assert dict(py.parts) == dict(sql.parts), (py, sql)


def _sql_ctx(con: duckdb.DuckDBPyConnection, values: list[str | None], ctx: str | None) -> list[Verdict]:
    """What check_many gives, for sz_address_check_ctx(s, ctx) on an installed connection (check_many
    re-creates every macro of the library on each call, too slow for a property test)."""
    rows = con.execute(
        "SELECT sz_address_check_ctx(v, $2) "
        "FROM (SELECT unnest($1::VARCHAR[]) AS v, generate_subscripts($1, 1) i) "
        "ORDER BY i",
        [values, ctx],
    ).fetchall()
    return [
        Verdict(
            "address",
            v,
            r["valid"],
            r["normalized"],
            r["reason"],
            tuple(r["notes"] or ()),
            dict(r["parts"] or {}),
        )
        for v, (r,) in zip(values, rows, strict=True)
    ]


SAMPLES = [
    "山西省晋城市城区凤台东街188号2号楼3单元401室",
    "晋城市城区泽州路金鼎小区3-2-401",
    "阳城县凤城镇东关村12号",
    "山西晋城泽州县金村镇府城村",
    "晋城市城区西街街道书院街9号",
    "高平市米山镇",
    "陵川县崇文镇",
    "沁水县龙港镇杏园小区5栋2单元301",
    "城区北石店镇",
    "泽州县南村镇",
    "晋城市城区东街街道红星东街66号5号楼1单元102",
    "北京市朝阳区建国路88号",
    "高平市 泉北街道 长平路 3 号",
    "泽州县巴公镇",
    "城区凤台东街12号",
    "凤台东街188号2-3-401",
    "金鼎小区3号楼2单元401",
    "/",
    "",
    None,
    "😀",
    "x" * 1001,
    "中国 山西省，晋城市　城区 凤台东街１８８号（２号楼）３单元４０１室",
    "沁水县龙港镇杏园小区二十一号楼03单元",
    "阳城凤城镇东关村",
    "北石店镇凤台街1号",
    "湖南路12号",
    "吉林吉林市船营区",
    "it's 'quoted' \\ path",
    "城区东街街道书院社区凤台街9号",
    "泽州县南村镇新村路12号",
    "山西",
    "\u200b\t",
    "山西省晋城市高平县米山镇中街1号",
    "广东省汕头市潮阳县棉城镇中华路1号",
    "高平县米山镇中街1号",
    "山西吕梁地区离石县凤山街道1号",
    "潮阳县",
    "江苏省淮安市清江浦区淮海南路1号",
    "晋城市城区凤台东街188号院3号楼",
    "晋城市城区凤台东街188号院内东侧",
    "城区北石店镇凤台街1号",
    "凤城镇东关村",
]


def test_sql_agrees_on_samples(con: duckdb.DuckDBPyConnection) -> None:
    for value, sql in zip(SAMPLES, check_many("address", SAMPLES, con=con), strict=True):
        _same(ad.check_address(value), sql)
    for ctx in ("140500", "140522", "140000"):
        for value, sql in zip(SAMPLES, _sql_ctx(con, SAMPLES, ctx), strict=True):
            _same(ad.check_address(value, context=ctx), sql)


def test_sql_key_and_normal_form(con: duckdb.DuckDBPyConnection) -> None:
    texts = [x for x in SAMPLES if x is not None and len(x) < 1000]
    rows = con.execute(
        "SELECT sz_address_key(v), sz_address_normalize(v), sz_address_key_ctx(v, '140500') "
        "FROM (SELECT unnest($1::VARCHAR[]) AS v, generate_subscripts($1, 1) i) ORDER BY i",
        [texts],
    ).fetchall()
    for text, (key, norm, key_ctx) in zip(texts, rows, strict=True):
        assert key == ad.address_key(text), text
        assert norm == ad.normalize_address(text), text
        assert key_ctx == ad.address_key(text, context="140500"), text


# generated addresses: real division names (full or suffix-less, with or without the upper levels),
# real towns, random roads / villages / estates / numbers in the writings departments use, and junk

_COUNTIES = sorted(c for c, d in dv._store().divs.items() if d.current and d.level == "county")
_FORMER: dict[str, list[str]] = {}
for _old, _codes in dv.former_names().items():
    for _code in _codes:
        _FORMER.setdefault(_code, []).append(_old)
_JINCHENG = [c for c in _COUNTIES if c.startswith("1405")]
_ROADS = ["凤台", "泽州", "红星", "书院", "新村", "建设", "中原", "吉林", "湖南", "阳城"]
_CN = "〇一二两三四五六七八九十"


@st.composite
def addresses(draw: st.DrawFn) -> str:
    code = draw(st.sampled_from(_JINCHENG) if draw(st.booleans()) else st.sampled_from(_COUNTIES))
    parts: list[str] = []
    for d in dv.parent_chain(code):
        forms = [d.name, *dv.short_forms(d.name, d.level), *_FORMER.get(d.code, [])]
        if d.level == "county":
            parts.append(draw(st.sampled_from(forms)))
        elif draw(st.booleans()):
            parts.append(draw(st.sampled_from(forms)))
    if draw(st.integers(0, 9)) == 0:
        parts = parts[-1:]
    towns = dv.children(code)
    if len(towns) > 0 and draw(st.booleans()):
        parts.append(draw(st.sampled_from(towns)).name)
    num = st.integers(0, 2000).map(str)
    small = st.one_of(st.integers(1, 40).map(str), st.text(alphabet=_CN, min_size=1, max_size=3))
    pieces = [
        st.sampled_from(["东关村", "府城村", "书院社区", "王村", "新村", "东关村委会", "泉北街道"]),
        st.builds(
            lambda r, s: r + s, st.sampled_from(_ROADS), st.sampled_from(["路", "街", "东街", "大道", "巷"])
        ),
        st.builds(lambda n: n + draw(st.sampled_from(["号", "号院", "号楼", "-1号"])), num),
        st.builds(
            lambda e, s: e + s,
            st.sampled_from(["金鼎", "杏园", "电厂", "兰花"]),
            st.sampled_from(["小区", "花园", "新村", "苑", "城"]),
        ),
        st.builds(
            lambda b, s: b + s,
            st.one_of(small, st.sampled_from("ABC")),
            st.sampled_from(["号楼", "栋", "幢", "座", "号", "楼"]),
        ),
        st.builds(lambda u: u + "单元", small),
        st.builds(lambda r: r + draw(st.sampled_from(["室", "户", ""])), num),
        st.builds(lambda a, b, c: f"{a}-{b}-{c}", num, num, num),
        st.builds(lambda a, b: f"{a}-{b}", num, num),
    ]
    for piece in draw(st.lists(st.sampled_from(range(len(pieces))), max_size=6)):
        parts.append(draw(pieces[piece]))
    if draw(st.integers(0, 4)) == 0:
        parts.append(draw(junk))
    if draw(st.integers(0, 4)) == 0:  # address-like junk anywhere
        parts.insert(draw(st.integers(0, len(parts))), draw(address_junk))
    sep = draw(st.sampled_from(["", "", "", " ", "，", "\u3000"]))
    text = sep.join(parts)
    if draw(st.integers(0, 5)) == 0:
        text = text.translate(str.maketrans("0123456789ABC-", "０１２３４５６７８９ＡＢＣ－"))
    if draw(st.integers(0, 5)) == 0:
        text = "中国" + text
    return text


junk = st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)
address_junk = st.text(alphabet="中国号楼院村社区路街道镇小区苑城栋座单元室户-0123456789A一二十", max_size=8)
values = st.one_of(addresses(), addresses(), addresses(), junk, st.none())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(st.lists(values, min_size=1, max_size=60), st.sampled_from([None, "140500", "140522", "110000"]))
def test_python_and_sql_agree(
    con: duckdb.DuckDBPyConnection, batch: list[str | None], ctx: str | None
) -> None:
    for value, s in zip(batch, _sql_ctx(con, batch, ctx), strict=True):
        _same(ad.check_address(value, context=ctx), s)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(addresses())
def test_generated_addresses_never_break_and_keep_their_county(text: str) -> None:
    a = ad.parse_address(text)
    assert a.normalized  # everything is kept somewhere
    if a.county_code:
        d = dv.lookup(a.county_code)
        assert d is not None and d.current and a.county == d.name
        assert a.province == (dv.lookup(a.province_code).name if a.province_code else None)  # type: ignore[union-attr]
        # the normal form reads back to the same place
        assert ad.address_key(a.normalized) == a.key


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(addresses(), addresses(), address_junk, junk),
    st.sampled_from([None, "140500", "140522", "110000"]),
)
def test_normal_form_is_a_fixed_point(text: str, ctx: str | None) -> None:
    """Whatever the order of the parts and whatever junk: the normal form reads back to itself and to
    the same key (with or without the context that helped to read the text)."""
    a = ad.parse_address(text, context=ctx)
    b = ad.parse_address(a.normalized, context=ctx)
    assert (b.key, b.normalized) == (a.key, a.normalized)
    if a.county_code:
        assert ad.address_key(a.normalized) == a.key


@pytest.mark.parametrize(
    "bad", [None, "", " ", "😀" * 10, "x" * 5000, 12345, 3.5, b"bytes", ["a"], "\x00abc"]
)
def test_bad_input_never_raises(bad: object) -> None:
    ad.check_address(bad)
    ad.parse_address(bad)
    ad.normalize_address(bad)
    ad.address_key(bad)


def test_lean_check_is_the_check_without_the_parts_of_valid_addresses(con: duckdb.DuckDBPyConnection) -> None:
    assert KINDS["address"].sql_check_lean == "sz_address_check_lean"
    values = [
        None, "", "不详", "晋城市", "山西省", "城区", "x", "北京市朝阳区", "凤台东街1号",
        "晋城市城区凤台东街12号金鼎小区3号楼2单元301室", "泽州县南村镇建设路5号", "古郊乡红星东街111号",
    ]  # fmt: skip
    rows = con.execute(
        "SELECT sz_address_check_ctx(v, c), sz_address_check_ctx_lean(v, c), sz_address_check(v), "
        "sz_address_check_lean(v) FROM (SELECT unnest(?::VARCHAR[]) AS v) AS x_in, "
        "(VALUES ('140500'), (NULL)) AS x_ctx(c)",
        [values],
    ).fetchall()
    for full_ctx, lean_ctx, full, lean in rows:
        for f, lv in ((full_ctx, lean_ctx), (full, lean)):
            assert (lv["valid"], lv["normalized"], lv["reason"], lv["notes"]) == (
                f["valid"], f["normalized"], f["reason"], f["notes"],
            )  # fmt: skip
            assert lv["parts"] == (f["parts"] if f["reason"] is not None else None)


def _rows_and_macro(con: duckdb.DuckDBPyConnection, batch: list[str | None], ctx: str | None) -> list[Any]:
    """(row form, lean macro) verdicts of ``batch``, in order."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE addr_rows AS "
        "SELECT * FROM unnest(?::VARCHAR[]) WITH ORDINALITY AS t(v, i)",
        [batch],
    )
    rows_sql = KINDS["address"].sql_check_rows
    assert rows_sql is not None
    macro = "sz_address_check_lean(v)" if ctx is None else f"sz_address_check_ctx_lean(v, '{ctx}')"
    rows = con.execute(
        f"SELECT r.out, {macro} FROM ({rows_sql('addr_rows', 'v', ctx, 'out')}) AS r ORDER BY r.i"
    ).fetchall()
    assert len(rows) == len(batch)  # no row lost or repeated
    return rows


def test_row_form_keeps_every_row_and_column(con: duckdb.DuckDBPyConnection) -> None:
    rows_sql = KINDS["address"].sql_check_rows
    assert rows_sql is not None
    source = "(SELECT * FROM (VALUES (1, NULL), (2, '不详'), (3, '晋城市城区凤台东街1号')) AS t(n, a))"
    got = con.execute(f"SELECT * FROM ({rows_sql(source, 'a', '140500', 'out')}) ORDER BY n").fetchall()
    assert [r[:2] for r in got] == [(1, None), (2, "不详"), (3, "晋城市城区凤台东街1号")]
    assert got[0][2]["reason"] == "empty" and got[2][2]["valid"]


def test_row_form_agrees_with_the_lean_check_on_samples(con: duckdb.DuckDBPyConnection) -> None:
    for ctx in (None, "140500", "140522", "110000"):
        for rows, macro in _rows_and_macro(con, SAMPLES, ctx):
            assert rows == macro


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(
    st.lists(st.one_of(values, address_junk), min_size=1, max_size=60),
    st.sampled_from([None, "140500", "140522", "110000"]),
)
def test_row_form_agrees_with_the_lean_check(
    con: duckdb.DuckDBPyConnection, batch: list[str | None], ctx: str | None
) -> None:
    for rows, macro in _rows_and_macro(con, batch, ctx):
        assert rows == macro
