"""Property: any table of text written as CSV comes back exactly — values and row numbers."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

Reader = Any

#: any character but surrogates and control characters other than tab, line feed, carriage return
_chars = st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\t\n\r")
_cell = st.one_of(
    st.text(_chars, max_size=8),
    st.lists(st.sampled_from([*',"\n \t\r；，“”张三李四𠀀䶮\u3000', "\r\n"]), max_size=6).map("".join),
)
_BLANK = " \t\r\n\u3000\u00a0"


@st.composite
def tables(draw: st.DrawFn) -> list[list[str]]:
    width = draw(st.integers(1, 5))
    return draw(st.lists(st.lists(_cell, min_size=width, max_size=width), min_size=1, max_size=15))


def _field(value: str) -> str:
    """CSV-quoted when it holds a delimiter, a quote or a line break (a bare CR too: Python's
    csv writer leaves that unquoted when lines end with LF, and a reader cannot tell it from a
    line end)."""
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _written(header: list[str], rows: list[list[str]], newline: str) -> tuple[str, list[int]]:
    """CSV text and the line each row starts on."""
    text = ",".join(header) + newline
    starts = []
    for row in rows:
        starts.append(text.count("\n") + 1)
        text += ",".join(_field(v) for v in row) + newline
    return text, starts


def _expected(rows: list[list[str]], starts: list[int]) -> list[tuple[Any, ...]]:
    return [
        (*[v if v != "" else None for v in row], line)
        for row, line in zip(rows, starts, strict=True)
        if any(v.strip(_BLANK) for v in row)  # blank rows are skipped
    ]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=tables(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_csv_round_trip(
    read: Reader, tmp_path: Path, rows: list[list[str]], encoding: str, newline: str
) -> None:
    header = [f"列{i}" for i in range(1, len(rows[0]) + 1)]
    text, starts = _written(header, rows, newline)
    path = tmp_path / f"{uuid.uuid4().hex}.csv"
    path.write_bytes(text.encode(encoding))
    expected = _expected(rows, starts)
    options = {"encoding": encoding} if encoding == "gb18030" else {}
    try:
        src = read(path, expected=header, delimiter=",", **options)
    except Exception as e:  # only "no data rows" is acceptable, and only when every row is blank
        assert not expected and "no data rows" in str(e), str(e)
        return
    assert src.columns == header
    assert read.rows() == expected
    assert src.encoding == ("utf-8-sig" if encoding == "utf-8-sig" else encoding)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.lists(
            st.text(st.sampled_from(list("张三李四王五赵六0123456789abc -.;|")), min_size=1, max_size=6),
            min_size=3,
            max_size=3,
        ),
        min_size=2,
        max_size=12,
    ),
    sep=st.sampled_from([",", "\t", "|", "^"]),
)
def test_delimiter_and_header_are_detected(
    read: Reader, tmp_path: Path, rows: list[list[str]], sep: str
) -> None:
    """With a title line above and no options, the delimiter, the header and the rows are found."""
    rows = [[v.replace(sep, "") or "x" for v in row] for row in rows]
    lines = ["晋城市城区低保对象名单（2024年3月）", "", sep.join(["姓名", "地址", "备注"])] + [
        sep.join(r) for r in rows
    ]
    path = tmp_path / f"{uuid.uuid4().hex}.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    src = read(path)
    assert src.delimiter == sep and src.header_row == 3 and src.columns == ["姓名", "地址", "备注"]
    expected = [(*[v for v in r], 4 + i) for i, r in enumerate(rows) if any(v.strip() for v in r)]
    assert read.rows() == expected
