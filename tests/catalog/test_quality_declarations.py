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
        f"{path}:13 resources[1]",
        f"{path}:{line_of(text, '{field: agee')} resources[1].quality.rules[3].field",
    }, errs
    assert "region 须为6位区划代码" in errs[f"{path}:13 resources[1]"][0]
