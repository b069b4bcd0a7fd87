"""Quality rules in a catalog file are checked when the catalog is declared, with the file, the line
and the key: a rule that could not run is refused then, not found out at the first load."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from shuzhi.catalog import declare, get_resource, load_catalog_file
from shuzhi.errors import ValidationError
from shuzhi.workspace import Workspace

#: 户籍人口 and 低保对象, whose ``quality:`` section has one rule of each kind a clerk writes; the
#: rules are on lines 26-38 (rules[0] on line 26)
CATALOG = """\
departments:
  - {code: JC, name: 测试市人民政府}
  - {code: JC-GA, name: 测试市公安局, parent: JC}
  - {code: JC-MZ, name: 测试市民政局, parent: JC}
resources:
  - code: JC-GA-HJRK
    name: 户籍人口
    department: JC-GA
    sharing: {type: 无条件共享}
    fields:
      - {name: id_number, label: 公民身份号码, standard: idcard, key: true}
      - {name: name, label: 姓名, standard: name, required: true}
  - code: JC-MZ-DB
    name: 低保对象
    department: JC-MZ
    sharing: {type: 无条件共享}
    related: [JC-GA-HJRK]
    fields:
      - {name: id_number, label: 身份证号, standard: idcard, key: true}
      - {name: name, label: 姓名, standard: name, required: true}
      - {name: sex, label: 性别, standard: sex}
      - {name: birth_date, label: 出生日期, type: date}
      - {name: house_no, label: 门牌号}
      - {name: age, label: 年龄, type: integer}
    quality:
      rules:
        - {field: id_number, references: JC-GA-HJRK.id_number}
        - {field: name, agrees_with: JC-GA-HJRK.name, on: id_number}
        - {field: house_no, pattern: '[0-9]+号'}
        - {field: age, min: 0, max: 120}
        - {field: birth_date, min: 1900-01-01, max: today}
        - {field: sex, values: ['1', '2']}
        - {kind: not_null, field: house_no, id: house-no-present}
"""

RULES = CATALOG.index("      rules:\n") + len("      rules:\n")
FIRST_RULE_LINE = CATALOG[:RULES].count("\n") + 1


def rule(i: int) -> str:
    """The text of rules[i] in :data:`CATALOG`."""
    return CATALOG[RULES:].splitlines(keepends=True)[i]


def replaced(old: str, new: str) -> str:
    assert old in CATALOG, old
    return CATALOG.replace(old, new)


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "catalog.yaml"
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    w = Workspace.init(tmp_path / "city", name="测试市")
    yield w
    w.close()


def refused(ws: Workspace, path: Path) -> dict[str, list[str]]:
    """The problems ``catalog add`` reports for ``path``; nothing of it may have been written."""
    with pytest.raises(ValidationError) as info:
        declare(ws, path)
    with ws.session() as s:
        from shuzhi.store import Resource

        assert s.query(Resource).count() == 0
    return info.value.errors


def test_the_good_catalog_is_declared(tmp_path: Path, ws: Workspace) -> None:
    assert rule(0).strip().startswith("- {field: id_number, references")
    report = declare(ws, write(tmp_path, CATALOG))
    assert report.created == ["JC-GA-HJRK", "JC-MZ-DB"]
    assert len(get_resource(ws, "JC-MZ-DB").spec.quality.rules) == 7


# -- typos: said in both languages, at the rule's key --------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        pytest.param(
            "{field: house_no, pattern:", "{field: house_no, patern:", "rules[2]",
            "无法判断规则类型：未知的键 patern（是不是 pattern？）（说明类型的键：kind、references、",
            id="key-typo",
        ),
        pytest.param(
            "{kind: not_null,", "{kind: not_nul,", "rules[6].kind",
            "取值无效 'not_nul'（是不是 not_null？）；应为 not_null、standard、values、pattern、",
            id="kind-typo",
        ),
        pytest.param(
            "{field: age, min: 0,", "{field: age, min: zero,", "rules[3].min",
            "应为数字、日期（如 2024-03-01）或 today，实为 'zero' / expected a number, a date "
            "(2024-03-01) or today, got 'zero'",
            id="bound-not-a-number",
        ),
        pytest.param(
            "{kind: not_null, field: house_no,", "{kind: not_null, field: house_no, weight: 0,",
            "rules[6].weight", "应 > 0.0，实为 0", id="a-rule-key-not-a-made-up-one",
        ),
        pytest.param(
            "{field: age, min: 0, max: 120}", "{field: age, min: 0, max: 120, pattern: '[0-9]+'}",
            "rules[3]", "一条规则只能有一种类型：pattern、min 说明了不同的类型，请分写为 2 条规则",
            id="two-kinds-in-one-rule",
        ),
        pytest.param(
            "{field: sex, values: ['1', '2']}", "{field: sex}", "rules[5]",
            "无法判断规则类型：请写 kind 或说明类型的键（references、agrees_with、pattern、",
            id="nothing-names-the-kind",
        ),
        pytest.param(
            "        - {field: sex, values: ['1', '2']}\n", "        - values\n", "rules[5]",
            "应为键值结构（如 {field: x, pattern: …}），实为 'values'", id="not-a-mapping",
        ),
    ],
)  # fmt: skip
def test_a_mistyped_rule_is_told_in_both_languages_at_its_line(
    tmp_path: Path, old: str, new: str, key: str, message: str
) -> None:
    path = write(tmp_path, replaced(old, new))
    with pytest.raises(ValidationError) as info:
        load_catalog_file(path)
    errs = info.value.errors
    i = int(key[6 : key.index("]")])
    where = f"{path}:{FIRST_RULE_LINE + i} resources[1].quality.{key}"
    assert list(errs) == [where], errs
    (text,) = errs[where]
    assert text.startswith(message), text
    assert "/ " in text and "discriminator" not in text and "Input tag" not in text


# -- fields the rules name: at the rule's line and key, not the resource's ------------------------


def line_of(text: str, needle: str) -> int:
    assert text.count(needle) == 1, needle
    return text[: text.index(needle)].count("\n") + 1


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        pytest.param(
            "{field: age, min: 0,", "{field: agee, min: 0,", "rules[3].field",
            "规则 range:agee 引用了未声明的信息项 agee（是不是 age？） / rule range:agee: unknown field "
            "'agee' (did you mean age?)",
            id="field",
        ),
        pytest.param(
            "on: id_number}", "on: idno}", "rules[1].on",
            "规则 agrees:name=JC-GA-HJRK.name 引用了未声明的信息项 idno", id="agrees-on",
        ),
        pytest.param(
            "      rules:\n", "      must_pass: [unique:idnumber]\n      rules:\n", "must_pass[0]",
            "must_pass 中的规则 unique:idnumber 不存在（是不是 unique:id_number？）", id="must-pass",
        ),
        pytest.param(
            "      rules:\n", "      disable: [checksum:date]\n      rules:\n", "disable[0]",
            "disable 中的规则 checksum:date 不是默认规则（是不是 checksum:data？）", id="disable",
        ),
    ],
)  # fmt: skip
def test_an_unknown_field_is_named_at_the_rule(
    tmp_path: Path, old: str, new: str, key: str, message: str
) -> None:
    text = replaced(old, new)
    path = write(tmp_path, text)
    with pytest.raises(ValidationError) as info:
        load_catalog_file(path)
    errs = info.value.errors
    where = f"{path}:{line_of(text, new.strip().splitlines()[0])} resources[1].quality.{key}"
    assert list(errs) == [where], errs
    assert errs[where][0].startswith(message), errs[where]


def test_rule_problems_and_the_resource_problems_are_reported_together(tmp_path: Path) -> None:
    text = replaced("{field: age, min: 0,", "{field: agee, min: 0,").replace(
        "    related: [JC-GA-HJRK]\n", "    related: [JC-GA-HJRK]\n    region: '1405'\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(ValidationError) as info:
        load_catalog_file(path)
    errs = info.value.errors
    assert set(errs) == {
        f"{path}:18 resources[1].region",
        f"{path}:{line_of(text, '{field: agee')} resources[1].quality.rules[3].field",
    }, errs
    assert "region 须为6位区划代码" in errs[f"{path}:18 resources[1].region"][0]


# -- what the rules could not run as meant: refused when declared (catalog add, the API) ---------


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        pytest.param(
            "{field: birth_date, min: 1900-01-01,", "{field: birth_date, min: 1900,", "rules[4].min",
            "日期型信息项 birth_date 的界限须为日期（如 1900-01-01）或 today，实为 1900 / the date field "
            "birth_date is bounded by dates (1900-01-01) or today, got 1900",
            id="date-field-number-bound",
        ),
        pytest.param(
            "{field: age, min: 0, max: 120}", "{field: age, min: 0, max: today}", "rules[3].max",
            "整数型信息项 age 的界限须为数字，实为 today / the integer field age is bounded by numbers",
            id="number-field-date-bound",
        ),
        pytest.param(
            "{field: age, min: 0, max: 120}", "{field: house_no, min: 1}", "rules[3].min",
            "字符型信息项 house_no 存的是文字，不能按数字比较（界限 1）：请把它声明为整数型或数值型（type: "
            "integer 或 decimal），加载时即转换并标出不是数字的值 / the string field house_no holds text, "
            "which is not compared as numbers (bound 1): declare it type: integer or decimal",
            id="text-field-number-bound",
        ),
        pytest.param(
            "{field: age, min: 0, max: 120}", "{field: house_no, max: 2024-01-01}", "rules[3].max",
            "字符型信息项 house_no 存的是文字，不能按日期比较（界限 2024-01-01）：请把它声明为日期型（type: "
            "date），或写明 standard: date / the string field house_no holds text, which is not compared "
            "as dates",
            id="text-field-date-bound",
        ),
        pytest.param(
            "{field: age, min: 0, max: 120}", "{kind: range, field: age}", "rules[3]",
            "规则 range:age 没有界限：请写 min 或 max / rule range:age has no bounds: give min or max",
            id="range-without-bounds",
        ),
        pytest.param(
            "{field: age, min: 0, max: 120}", "{field: age, min: 120, max: 0}", "rules[3].min",
            "最小值 120 大于最大值 0 / min 120 is greater than max 0", id="min-above-max",
        ),
        pytest.param(
            "max: today}", "max: 1899-12-31}", "rules[4].min",
            "最小值 1900-01-01 大于最大值 1899-12-31", id="min-above-max-dates",
        ),
        pytest.param(
            "pattern: '[0-9]+号'", "pattern: '(?=[0-9])[0-9]+号'", "rules[2].pattern",
            "不是有效的正则表达式（DuckDB 的 RE2 语法）：invalid perl operator: (?=；RE2 不支持环视 "
            "(?=…)、(?!…)、(?<=…)、(?<!…) / not a valid regular expression in RE2 (DuckDB's syntax): "
            "invalid perl operator: (?=; RE2 has no look-arounds",
            id="look-ahead",
        ),
        pytest.param(
            "pattern: '[0-9]+号'", "pattern: '([0-9])\\1号'", "rules[2].pattern",
            "不是有效的正则表达式（DuckDB 的 RE2 语法）：invalid escape sequence: \\1；RE2 不支持反向引用",
            id="backreference",
        ),
        pytest.param(
            "references: JC-GA-HJRK.id_number}", "references: JC-GA-HJRK.idnumber}", "rules[0].references",
            "资源 JC-GA-HJRK 没有信息项 idnumber（是不是 id_number？） / resource JC-GA-HJRK has no field "
            "'idnumber' (did you mean id_number?)",
            id="references-unknown-field",
        ),
        pytest.param(
            "references: JC-GA-HJRK.id_number}", "references: JC-GA-HJRX.id_number}", "rules[0].references",
            "规则 references:id_number->JC-GA-HJRX.id_number 引用的资源 JC-GA-HJRX 不存在：请在本文件中声明，"
            "或先声明它 / rule references:id_number->JC-GA-HJRX.id_number: resource JC-GA-HJRX does not "
            "exist",
            id="references-unknown-resource",
        ),
        pytest.param(
            "agrees_with: JC-GA-HJRK.name,", "agrees_with: JC-GA-HJRK.nam,", "rules[1].agrees_with",
            "资源 JC-GA-HJRK 没有信息项 nam（是不是 name？）", id="agrees-unknown-field",
        ),
        pytest.param(
            "agrees_with: JC-GA-HJRK.name,", "agrees_with: JC-XX.name,", "rules[1].agrees_with",
            "规则 agrees:name=JC-XX.name 引用的资源 JC-XX 不存在", id="agrees-unknown-resource",
        ),
        pytest.param(
            "on: id_number}", "on: id_number, on_other: idno}", "rules[1].on_other",
            "资源 JC-GA-HJRK 没有信息项 idno", id="agrees-unknown-key-there",
        ),
    ],
)  # fmt: skip
def test_a_rule_that_could_not_run_is_refused_when_declared(
    tmp_path: Path, ws: Workspace, old: str, new: str, key: str, message: str
) -> None:
    text = replaced(old, new)
    path = write(tmp_path, text)
    errs = refused(ws, path)
    where = f"{path}:{line_of(text, new)} resources[1].quality.{key}"
    assert list(errs) == [where], errs
    (got,) = errs[where]
    assert got.startswith(message), got


def test_a_text_field_is_bounded_by_numbers_at_neither_bound(tmp_path: Path, ws: Workspace) -> None:
    """A number range on a text field was accepted, and the evaluation cast the values to numbers:
    those that were none went unchecked, without a word. Both bounds are refused, each at its key."""
    text = replaced("{field: age, min: 0, max: 120}", "{field: house_no, min: 0, max: 120}")
    path = write(tmp_path, text)
    errs = refused(ws, path)
    line = line_of(text, "{field: house_no, min: 0")
    where = f"{path}:{line} resources[1].quality.rules[3]"
    assert set(errs) == {f"{where}.min", f"{where}.max"}, errs
    assert "（界限 0）" in errs[f"{where}.min"][0] and "(bound 120)" in errs[f"{where}.max"][0]
    for (message,) in errs.values():
        assert "type: integer 或 decimal" in message and "declare it type: integer or decimal" in message


def test_a_text_field_with_the_date_standard_is_bounded_by_dates(tmp_path: Path, ws: Workspace) -> None:
    """Its values are stored as YYYY-MM-DD and compared as dates (as the default rule of a birth
    date declared so is): date bounds are accepted, number bounds refused; a boolean has none."""
    fields = "      - {name: age, label: 年龄, type: integer}\n"
    more = (
        "      - {name: reported_on, label: 报告日期, standard: date}\n"
        "      - {name: alive, label: 是否健在, type: boolean}\n"
    )
    ok = replaced(fields, fields + more).replace(
        "{field: age, min: 0, max: 120}", "{field: reported_on, min: 2020-01-01, max: today}"
    )
    declare(ws, write(tmp_path, ok))
    (r,) = [r for r in get_resource(ws, "JC-MZ-DB").spec.quality.rules if r.rule_id == "range:reported_on"]
    assert (str(r.min), r.max) == ("2020-01-01", "today")
    for rule, key, message in [
        (
            "{field: reported_on, min: 0}", "min",
            "字符型信息项 reported_on（standard: date，存为 YYYY-MM-DD）的界限须为日期（如 1900-01-01）或 "
            "today，实为 0 / the string field reported_on (standard: date, stored as YYYY-MM-DD) is bounded "
            "by dates (1900-01-01) or today, got 0",
        ),
        (
            "{field: alive, max: 1}", "max",
            "布尔型信息项 alive 只有是与否，不能设界限（实为 1）/ the boolean field alive is true or false: "
            "it cannot be bounded (got 1)",
        ),
    ]:  # fmt: skip
        bad = ok.replace("{field: reported_on, min: 2020-01-01, max: today}", rule)
        path = write(tmp_path, bad)
        with pytest.raises(ValidationError) as info:
            declare(ws, path)
        where = f"{path}:{line_of(bad, rule)} resources[1].quality.rules[3].{key}"
        assert info.value.errors == {where: [message]}


#: :data:`CATALOG` with a field of each other type on 低保对象, for rules that do not fit a type
TYPED = replaced(
    "      - {name: age, label: 年龄, type: integer}\n",
    "      - {name: age, label: 年龄, type: integer}\n"
    "      - {name: amount, label: 月保障金额, type: decimal}\n"
    "      - {name: alive, label: 是否健在, type: boolean}\n"
    "      - {name: reported_on, label: 报告日期, standard: date}\n",
)


@pytest.mark.parametrize(
    ("rule", "key", "message"),
    [
        pytest.param(
            "{field: birth_date, pattern: '[0-9]{8}'}", "pattern",
            "日期型信息项 birth_date 存的是日期，不是文字，不能检查格式（pattern）：加载时已按类型转换，"
            "并标出不合类型的值；请用 min/max 限定取值 / the date field birth_date holds dates, not text: a "
            "pattern does not apply",
            id="pattern-on-a-date",
        ),
        pytest.param(
            "{field: alive, pattern: '是|否'}", "pattern",
            "布尔型信息项 alive 存的是是与否，不是文字，不能检查格式（pattern）", id="pattern-on-a-boolean",
        ),
        pytest.param(
            "{field: amount, max_length: 8}", "max_length",
            "数值型信息项 amount 存的是数字（写成文字的形式因引擎而异：2.0、1e+20），不是文字，不能检查长度"
            "（max_length）", id="max-length-on-a-decimal",
        ),
        pytest.param(
            "{field: age, values: ['18', 'adult']}", "values[1]",
            "整数型信息项 age 的取值须为整数，实为 'adult' / the integer field age takes integers, got "
            "'adult'",
            id="values-on-an-integer",
        ),
        pytest.param(
            "{field: amount, values: ['0', 'none']}", "values[1]",
            "数值型信息项 amount 的取值须为数字，实为 'none'", id="values-on-a-decimal",
        ),
        pytest.param(
            "{field: birth_date, values: ['1990/03/07']}", "values[0]",
            "日期型信息项 birth_date 的取值须写成 YYYY-MM-DD（如 2024-03-01），实为 '1990/03/07'",
            id="values-on-a-date",
        ),
        pytest.param(
            "{field: alive, values: ['是']}", "values[0]",
            "布尔型信息项 alive 的取值须为 true 或 false，实为 '是'", id="values-on-a-boolean",
        ),
        pytest.param(
            "{field: sex, values: ['1', '女'], id: sex-written}", "values[1]",
            "性别信息项 sex 存的是 GB/T 2261.1-2003 代码（0、1、2、9），'女' 不是其中之一（女 存为 2） / "
            "the sex field sex holds GB/T 2261.1-2003 codes (0, 1, 2, 9): '女' is not one (女 is stored "
            "as 2)",
            id="values-on-a-code-list",
        ),
        pytest.param(
            "{field: house_no, max_days: 30}", "max_days",
            "字符型信息项 house_no 存的不是日期，不能按天数检查时效：请检查日期型信息项，或把它声明为日期型"
            "（type: date）或写明 standard: date", id="record-age-on-text",
        ),
        pytest.param(
            "{field: age, birth: birth_date}", "field",
            "规则 id_birth:age+birth_date 的 field 应为公民身份号码（字符型），age 是整数型 / rule "
            "id_birth:age+birth_date: field names the citizen ID, a string field; age is integer",
            id="id-birth-on-a-number",
        ),
        pytest.param(
            "{field: name, standard: nmae}", "standard",
            "未知的标准 nmae（是不是 name？）；可选 idcard、", id="unknown-standard",
        ),
        pytest.param(
            "{kind: standard, field: house_no}", "field",
            "信息项 house_no 没有声明标准：请在规则中写 standard", id="no-standard",
        ),
    ],
)  # fmt: skip
def test_a_rule_that_does_not_fit_its_field_type_is_refused(
    tmp_path: Path, ws: Workspace, rule: str, key: str, message: str
) -> None:
    """Such a rule could only pass or fail every row (a pattern reads the engine's text of a date,
    not what the department wrote), check none (record ages of text), or fail at the load (the
    citizen ID of id_birth as a number)."""
    text = TYPED + f"        - {rule}\n"
    path = write(tmp_path, text)
    errs = refused(ws, path)
    where = f"{path}:{line_of(text, rule)} resources[1].quality.rules[7].{key}"
    assert list(errs) == [where], errs
    (got,) = errs[where]
    assert got.startswith(message), got


def test_rules_that_fit_their_field_types_are_declared(tmp_path: Path, ws: Workspace) -> None:
    rules = [
        "{field: age, pattern: '[0-9]{1,3}'}",  # an integer's text is its digits on every engine
        "{field: age, values: ['18', '60']}",
        "{field: amount, values: ['0', '1.5']}",
        "{field: alive, values: ['true']}",
        "{field: birth_date, values: ['1990-03-07']}",
        "{field: sex, values: ['1', '2', '9'], id: sex-known}",
        "{field: reported_on, max_days: 30}",
        "{field: birth_date, max_days: 36500}",
        "{field: house_no, standard: address}",
    ]
    text = TYPED + "".join(f"        - {r}\n" for r in rules)
    declare(ws, write(tmp_path, text))
    assert len(get_resource(ws, "JC-MZ-DB").spec.quality.rules) == 7 + len(rules)


def test_two_rules_with_one_id_are_refused_at_both_lines(tmp_path: Path, ws: Workspace) -> None:
    """The later rule replaced the earlier one without a word; ids are what must_pass and disable
    name, so two rules may not share one."""
    text = replaced(rule(5), rule(5) + "        - {field: sex, values: ['1']}\n")
    path = write(tmp_path, text)
    errs = refused(ws, path)
    first, second = FIRST_RULE_LINE + 5, FIRST_RULE_LINE + 6
    assert set(errs) == {
        f"{path}:{first} resources[1].quality.rules[5]",
        f"{path}:{second} resources[1].quality.rules[6]",
    }, errs
    for (message,) in errs.values():
        assert message.startswith(
            "规则 values:sex 重复（rules[5] 与 rules[6]）：后一条会取代前一条，请合并或用 id 区分"
        )
    # given distinct ids, both are kept
    ok = text.replace("values: ['1']}", "values: ['1'], id: sex-male}")
    declare(ws, write(tmp_path, ok))
    rules = get_resource(ws, "JC-MZ-DB").spec.quality.rules
    assert [r.rule_id for r in rules if r.kind_name() == "values"] == ["values:sex", "sex-male"]


def test_a_rule_may_refer_to_a_resource_already_in_the_catalog(tmp_path: Path, ws: Workspace) -> None:
    hjrk = CATALOG[: CATALOG.index("  - code: JC-MZ-DB")]
    db = "resources:\n" + CATALOG[CATALOG.index("  - code: JC-MZ-DB") :]
    declare(ws, write(tmp_path, hjrk))
    bad = db.replace("JC-GA-HJRK.id_number}", "JC-GA-HJRK.idnumber}")
    path = write(tmp_path, bad)
    with pytest.raises(ValidationError) as info:
        declare(ws, path)
    where = f"{path}:{line_of(bad, 'JC-GA-HJRK.idnumber')} resources[0].quality.rules[0].references"
    assert list(info.value.errors) == [where]
    assert info.value.errors[where][0].startswith("资源 JC-GA-HJRK 没有信息项 idnumber")
    assert declare(ws, write(tmp_path, db)).created == ["JC-MZ-DB"]


def test_a_pattern_is_checked_in_the_engine_dialect(tmp_path: Path, ws: Workspace) -> None:
    r"""RE2 reads ``\p{Han}`` (Python's re does not: it was refused), not look-arounds (Python's re
    does: they were accepted)."""
    text = replaced("pattern: '[0-9]+号'", r"pattern: '\p{Han}{1,8}[0-9]+号'")
    declare(ws, write(tmp_path, text))
    (p,) = [r for r in get_resource(ws, "JC-MZ-DB").spec.quality.rules if r.kind_name() == "pattern"]
    assert p.pattern == r"\p{Han}{1,8}[0-9]+号"


def test_the_api_import_refuses_them_too(tmp_path: Path, ws: Workspace) -> None:
    from shuzhi.catalog import declare_text

    text = replaced("{field: age, min: 0, max: 120}", "{field: age, min: 120, max: 0}")
    with pytest.raises(ValidationError) as info:
        declare_text(ws, text)
    assert list(info.value.errors) == [
        f"request:{line_of(text, 'min: 120')} resources[1].quality.rules[3].min"
    ]


def test_a_declaration_stored_before_these_checks_stays_readable(tmp_path: Path, ws: Workspace) -> None:
    """The checks are made when declaring, not when a stored declaration is read: an entry (and its
    history) stored with a rule they refuse can still be shown, and fixed by declaring it again."""
    import sqlalchemy as sa

    from shuzhi.catalog import history
    from shuzhi.store import Resource, ResourceHistory

    declare(ws, write(tmp_path, CATALOG))
    with ws.session() as s:
        rows = [
            *s.scalars(sa.select(Resource).where(Resource.code == "JC-MZ-DB")),
            *s.scalars(sa.select(ResourceHistory).where(ResourceHistory.resource_code == "JC-MZ-DB")),
        ]
        for row in rows:
            spec = dict(row.spec)
            rules = [*spec["quality"]["rules"], {"kind": "range", "field": "birth_date", "min": 1900.0}]
            row.spec = {**spec, "quality": {**spec["quality"], "rules": rules}}
    assert len(get_resource(ws, "JC-MZ-DB").spec.quality.rules) == 8
    assert len(history(ws, "JC-MZ-DB")) == 1
    assert declare(ws, write(tmp_path, CATALOG)).updated == ["JC-MZ-DB"]


def test_allowed_values_finer_than_the_scale_are_refused() -> None:
    from shuzhi.catalog import ResourceSpec

    spec = ResourceSpec.model_validate(
        {
            "code": "JC-MZ-X",
            "name": "补贴",
            "department": "JC-MZ",
            "sharing": {"type": "unconditional"},
            "fields": [
                {"name": "k", "label": "编号", "key": True},
                {
                    "name": "rate",
                    "label": "标准",
                    "type": "decimal",
                    "scale": 2,
                    "values": ["7.125", "7.50", "8"],
                },
            ],
        }
    )
    problems = spec.declaration_problems()
    assert [loc for loc, _ in problems] == [("fields", 1, "values", 0)]  # 7.50 is 7.5: fits
    assert "只存 2 位小数，取值 '7.125' 永远不会出现" in problems[0][1]
