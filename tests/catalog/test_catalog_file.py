"""Catalog YAML files: a clerk who writes one wrong gets told the file, the line and the key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuzhi._yaml import load_model
from shuzhi.catalog import CatalogFile, declare, list_departments, list_resources, load_catalog_file
from shuzhi.catalog.spec import PersonalInfo, SharingType, UpdateCycle
from shuzhi.errors import DataError, NotFound, ValidationError
from shuzhi.workspace import Workspace

GOOD = """\
departments:
  - code: JC-GA
    name: 晋城市公安局
resources:
  - code: JC-GA-HJRK
    name: 户籍人口库
    department: JC-GA
    fields:
      - name: id_number
        label: 公民身份号码
        standard: idcard
        key: true
    sharing:
      type: 无条件共享
"""


TWICE = "      - {name: id_number, label: 又一个}\n"


def write(tmp_path: Path, text: str, name: str = "catalog.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def problems(path: Path) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as info:
        load_catalog_file(path)
    return info.value.errors


def test_the_fixture_loads_with_chinese_terms_stored_as_english_values(catalog_yaml: Path) -> None:
    cat = load_catalog_file(catalog_yaml)
    assert [d.code for d in cat.departments] == ["JC", "JC-GA", "JC-WJ", "JC-MZ"]
    hj = cat.resources[0]
    assert hj.code == "JC-GA-HJRK" and hj.sharing.type is SharingType.conditional
    assert hj.update_cycle is UpdateCycle.daily and hj.security_grade.value == "important"
    idf = hj.field("id_number")
    assert (
        idf.key and idf.required and idf.standard == "idcard" and idf.personal_info is PersonalInfo.identity
    )
    jk = cat.resources[1]
    assert jk.field("chronic_disease").sensitive  # health information is sensitive by law


@pytest.mark.parametrize(
    ("text", "line", "key", "message"),
    [
        pytest.param(GOOD.replace("    department: JC-GA\n", "    department: JC-GA\n    owner: x\n"),
                     8, "resources[0].owner", "unknown key", id="unknown-key"),
        pytest.param(GOOD.replace("type: 无条件共享", "type: 随便共享"),
                     14, "resources[0].sharing.type",
                     "取值无效 '随便共享'；应为 无条件共享、有条件共享 或 不予共享", id="bad-enum"),
        pytest.param(GOOD.replace("type: 无条件共享", "type: 有条件共享"),
                     13, "resources[0].sharing.condition", "needs a condition",
                     id="conditional-without-condition"),
        pytest.param(GOOD.replace("        key: true\n", "        key: true\n" + TWICE),
                     13, "resources[0].fields[1].name", "declared twice", id="duplicate-field"),
        pytest.param(GOOD.replace("standard: idcard", "standard: passport"),
                     11, "resources[0].fields[0].standard", "unknown standard", id="unknown-standard"),
        pytest.param(GOOD.replace("  - name: id_number", "  - name: 身份证号"),
                     9, "resources[0].fields[0].name", "field name is lower-case", id="field-name-pattern"),
        pytest.param(GOOD.replace("    name: 户籍人口库\n", ""),
                     5, "resources[0].name", "required key missing", id="missing-name"),
        pytest.param(GOOD.replace("key: true", "key: 是的"),
                     12, "resources[0].fields[0].key", "应为 true 或 false，实为 '是的'", id="not-a-bool"),
        pytest.param(GOOD.replace("    sharing:\n      type: 无条件共享\n", "    sharing: 无条件共享\n"),
                     13, "resources[0].sharing", "应为键值结构（如 键: 值），实为 '无条件共享'",
                     id="not-a-mapping"),
    ],
)  # fmt: skip
def test_errors_name_file_line_and_key(tmp_path: Path, text: str, line: int, key: str, message: str) -> None:
    path = write(tmp_path, text)
    errs = problems(path)
    where = f"{path}:{line} {key}"
    assert where in errs, errs
    assert any(message in m for m in errs[where]), errs[where]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("type: 无条件共享", "type: 随便").replace("    name: 户籍人口库\n", "    x: 1\n")
    path = write(tmp_path, text)
    errs = problems(path)
    assert set(errs) == {
        f"{path}:5 resources[0].name",  # missing: reported at its resource
        f"{path}:6 resources[0].x",
        f"{path}:14 resources[0].sharing.type",
    }


def test_a_resources_problems_are_reported_together_each_at_its_key(tmp_path: Path) -> None:
    """A field declared twice was not reported beside a missing sharing condition (one was found
    per run), and was reported at the resource's line without the key."""
    text = GOOD.replace("        key: true\n", "        key: true\n" + TWICE).replace(
        "type: 无条件共享", "type: 有条件共享"
    )
    path = write(tmp_path, text)
    errs = problems(path)
    assert set(errs) == {
        f"{path}:13 resources[0].fields[1].name",
        f"{path}:14 resources[0].sharing.condition",
    }


def test_a_mistyped_key_is_told_the_key_it_looks_like_and_problems_come_in_file_order(
    tmp_path: Path,
) -> None:
    text = (
        GOOD.replace("    department: JC-GA\n", "    department: JC-GA\n    updte_cycle: daily\n")
        .replace("        key: true\n", "        key: true\n        requried: true\n")
        .replace("type: 无条件共享", "type: 无条件共享\n      conditon: x")
    )
    errs = problems(write(tmp_path, text))
    assert [k.split(" ", 1)[1] for k in errs] == [
        "resources[0].updte_cycle",
        "resources[0].fields[0].requried",
        "resources[0].sharing.conditon",
    ]
    cycle, required, condition = errs.values()
    assert required == ["未知的键（是不是 required？）/ unknown key (did you mean required?)"]
    assert "did you mean update_cycle?" in cycle[0] and "did you mean condition?" in condition[0]
    nothing_like = problems(
        write(tmp_path, GOOD.replace("        key: true\n", "        key: true\n        zzz: 1\n"))
    )
    assert list(nothing_like.values()) == [["未知的键 / unknown key"]]


def test_a_file_that_is_a_list_is_told_to_start_with_keys(tmp_path: Path) -> None:
    errs = problems(write(tmp_path, "- code: ZZ\n  name: x\n"))
    (messages,) = errs.values()
    assert messages[0].startswith("整个文件是列表（以 - 开头的各项）") and "[{" not in messages[0]


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    name: 户籍人口库\n", "    name: [户籍人口库\n"))
    errs = problems(path)
    (where,) = errs
    assert where.startswith(f"{path}:")
    assert "YAML" in errs[where][0]


@pytest.mark.parametrize(
    ("text", "line", "zh"),
    [
        # an unclosed quote is noticed at the end of the file: the line where it opens is named
        ('a:\n  b: 1\n  c: "x\n  d: 2\n', 3, "引号没有闭合"),
        ("a: [1, 2\nb: 3\n", 2, "方括号 [ 没有闭合"),
        ("a:\n\tb: 1\n", 2, "不能用制表符"),
        ("a: b: c\n", 1, "这里不能有冒号"),
        ("a:\n  b: 1\n c: 2\n", 3, "缩进不一致"),
        # a key written twice: where it was first written (ruamel names the mapping's start)
        (
            "r:\n  - code: A\n    name: x\n    name: y\n",
            4,
            "键重复：同一层里同一个键写了两次（相关位置：第 3 行）",
        ),
        # closed by a later quote: the parser stops further down; the open quote is pointed at
        (
            'a:\n  b: "x\n  c: 1\n  d: "y"\n',
            4,
            "缩进不一致：同一层的键应对齐（相关位置：第 2 行）；第 2 行的引号可能没有闭合",
        ),
    ],
)
def test_yaml_syntax_errors_name_the_line_and_say_what_is_wrong_in_chinese(
    tmp_path: Path, text: str, line: int, zh: str
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    errs = problems(path)
    assert list(errs) == [f"{path}:{line}"]
    (message,) = errs[f"{path}:{line}"]
    assert message.startswith(f"YAML 语法错误：{zh}") and "/ YAML syntax error: " in message


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    name: 户籍人口库\n", "    name: 户籍人口库\n    name: 人口库\n"))
    (where,) = problems(path)
    assert where.startswith(f"{path}:")
    assert problems(path)[where][0].startswith("YAML 语法错误：键重复：同一层里同一个键写了两次")


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        (
            "    sharing:\n      type: 无条件共享\n",
            "    sharing:\n",
            ":13 resources[0].sharing",
            "不能为空：应为键值结构（如 键: 值）",
        ),
        (
            GOOD[GOOD.index("      - name: id_number") : GOOD.index("    sharing:")],
            "      []\n",
            ":8 resources[0].fields",
            "至少要有 1 项",
        ),
        (
            "      - name: id_number\n",
            "      - name: 身份证号\n",
            ":9 resources[0].fields[0].name",
            "格式不符：信息项名称只用小写英文字母、数字和下划线，以字母开头",
        ),
    ],
)
def test_pydantic_wording_is_told_in_chinese(
    tmp_path: Path, old: str, new: str, where: str, message: str
) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new))
    errs = problems(path)
    assert list(errs) == [f"{path}{where}"]
    assert errs[f"{path}{where}"][0].startswith(message)
    assert "should" not in errs[f"{path}{where}"][0] and "^[a-z]" not in errs[f"{path}{where}"][0]


def test_a_data_file_given_as_the_catalog_is_named_as_such_not_pasted(tmp_path: Path) -> None:
    path = write(tmp_path, "".join(f"{i},张三,13800000000\n" for i in range(3000)), "people.csv")
    ((where, (message,)),) = problems(path).items()
    assert where == str(path) and len(message) < 300
    assert message.startswith("整个文件不是键值结构（键: 值）：这像是数据文件或文本")


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    assert problems(path) == {str(path): ["文件为空 / the file is empty"]}


def test_missing_file_and_bad_encoding(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        load_catalog_file(tmp_path / "nope.yaml")
    p = tmp_path / "gbk.yaml"
    p.write_bytes(GOOD.encode("gbk"))
    with pytest.raises(DataError, match="UTF-8"):
        load_catalog_file(p)


def test_store_checks_name_the_line(tmp_path: Path, ws: Workspace) -> None:
    """Unknown departments and related resources are found when declaring, and named by line."""
    text = GOOD + (
        "  - code: JC-MZ-DBDX\n"
        "    name: 低保对象\n"
        "    department: JC-MZ\n"
        "    related: [JC-GA-HJRK, JC-XX-NONE]\n"
        "    fields: [{name: id_number, label: 公民身份号码}]\n"
        "    sharing: {type: unconditional}\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(ValidationError) as info:
        declare(ws, path)
    errs = info.value.errors
    assert set(errs) == {f"{path}:17 resources[1].department", f"{path}:18 resources[1].related[1]"}, errs
    assert "JC-MZ" in errs[f"{path}:17 resources[1].department"][0]
    assert "JC-XX-NONE" in errs[f"{path}:18 resources[1].related[1]"][0]
    # nothing of the file was written, not even its valid parts
    assert list_resources(ws) == [] and list_departments(ws) == []


def test_declared_twice_across_files(tmp_path: Path, ws: Workspace) -> None:
    a = write(tmp_path, GOOD, "a.yaml")
    b = write(tmp_path, GOOD.replace("晋城市公安局", "公安局"), "b.yaml")
    with pytest.raises(ValidationError) as info:
        declare(ws, [a, b])
    errs = info.value.errors
    assert f"{b}:2 departments[0].code" in errs and f"{b}:5 resources[0].code" in errs
    assert str(a) in errs[f"{b}:5 resources[0].code"][0]


def test_parent_cycle_is_refused(tmp_path: Path, ws: Workspace) -> None:
    path = write(
        tmp_path,
        """\
        departments:
          - {code: A, name: 甲, parent: B}
          - {code: B, name: 乙, parent: A}
        """,
    )
    with pytest.raises(ValidationError, match="cycle"):
        declare(ws, path)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abc:- \n[]{}'\"#&*!|>%@`人口\t0123")), max_size=80))
def test_any_text_is_a_catalog_or_a_validation_error(text: str) -> None:
    try:
        cat = load_model(CatalogFile, "fuzz.yaml", text=text)
    except ValidationError as e:
        assert e.errors and all(k.startswith("fuzz.yaml") for k in e.errors)
    else:
        assert isinstance(cat, CatalogFile)


@pytest.mark.parametrize("written", ["2024-02-30", "2024-13-01", "2024-02-30 08:00:00"])
def test_an_impossible_unquoted_date_is_a_bad_value_with_its_line(tmp_path: Path, written: str) -> None:
    text = GOOD.replace("    department: JC-GA\n", f"    department: JC-GA\n    release_date: {written}\n")
    path = write(tmp_path, text)
    errs = problems(path)
    where = f"{path}:8 resources[0].release_date"
    assert list(errs) == [where]
    assert errs[where][0].startswith(f"应为日期（如 2024-03-01），实为 '{written}'")


def test_a_possible_unquoted_date_is_read_as_the_date(tmp_path: Path) -> None:
    text = GOOD.replace("    department: JC-GA\n", "    department: JC-GA\n    release_date: 2024-02-29\n")
    (res,) = load_catalog_file(write(tmp_path, text)).resources
    assert str(res.release_date) == "2024-02-29"


def test_a_resource_problems_are_reported_together(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    sharing:\n",
        "      - {name: id_number, label: 又一个}\n"
        "      - {name: age, label: 年龄, type: integer, min: 10, max: 1}\n"
        "    unique_together: [[id_number, zz]]\n"
        "    sharing:\n",
    )
    errs = problems(write(tmp_path, text))
    messages = [m for ms in errs.values() for m in ms]
    joined = " | ".join(messages)
    assert "信息项 age 的最小值 10 大于最大值 1" in joined
    assert "信息项重复 / field 'id_number' declared twice" in joined
    assert "unique_together 含未声明的信息项 zz" in joined


def test_field_constraints_that_would_not_be_checked_are_refused_when_declared(
    tmp_path: Path, ws: Workspace
) -> None:
    """A min on a text field was passed over by ingestion and the scorecard alike; allowed values
    written as labels on a code-list field (it stores codes), or as 是 on a boolean, flagged every
    row. Each is refused at its key, and nothing of the file is written."""
    fields = (
        "      - {name: note, label: 备注, min: 0, max: 10}\n"
        "      - {name: reported_on, label: 报告日期, type: date, min: 0}\n"
        "      - {name: sex, label: 性别, standard: sex, values: ['1', '女']}\n"
        "      - {name: alive, label: 是否健在, type: boolean, values: ['是']}\n"
        "      - {name: grade, label: 等级, type: decimal, values: ['1', '2.5'], min: 1}\n"
    )
    text = GOOD.replace("    sharing:\n", fields + "    sharing:\n")
    path = write(tmp_path, text)
    with pytest.raises(ValidationError) as info:
        declare(ws, path)
    errs = info.value.errors
    f = f"{path}:{{}} resources[0].fields"
    assert set(errs) == {
        f.format(13) + "[1].min",
        f.format(13) + "[1].max",
        f.format(14) + "[2].min",
        f.format(15) + "[3].values[1]",
        f.format(16) + "[4].values[0]",
    }, errs
    assert errs[f.format(13) + "[1].min"] == [
        "字符型信息项 note 的 min 不会被检查：界限只适用于整数型、数值型信息项；请把它声明为 type: "
        "integer 或 decimal / the string field note: its min would not be checked, bounds apply to "
        "integer and decimal fields; declare it type: integer or decimal"
    ]
    dated = errs[f.format(14) + "[2].min"][0]
    assert "日期的界限请写成质量规则（{field: reported_on, min: 1900-01-01, max: today}）" in dated
    assert "'女' 不是其中之一（女 存为 2）" in errs[f.format(15) + "[3].values[1]"][0]
    assert errs[f.format(16) + "[4].values[0]"][0].startswith("布尔型信息项 alive 的取值须为 true 或 false")
    assert list_resources(ws) == []

    fixed = (
        text.replace(
            "{name: note, label: 备注, min: 0, max: 10}", "{name: note, label: 备注, type: integer, min: 0}"
        )
        .replace("type: date, min: 0}", "type: date}")
        .replace("['1', '女']", "['1', '2']")
        .replace("['是']", "['true']")
    )
    assert declare(ws, write(tmp_path, fixed)).created == ["JC-GA-HJRK"]
