"""YAML declarations (catalog entries, ingestion mappings) validated with errors that name the
file, the line and the key.

::

    spec = load_model(CatalogFile, "examples/city/catalog.yaml")
    # ValidationError: examples/city/catalog.yaml:14 resources[0].sharing.type: 应为 unconditional …

ruamel.yaml keeps the line of every key and list item; pydantic's error locations are walked
through the loaded document to find them.
"""

from __future__ import annotations

import difflib
import os
import re
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pydantic

from shuzhi import errors

__all__ = [
    "YamlDocument",
    "dump_yaml",
    "is_union_tag",
    "key_path",
    "load_model",
    "load_yaml",
    "register_choices",
    "validate_model",
    "validation_message",
]

M = TypeVar("M", bound=pydantic.BaseModel)


class YamlDocument:
    """A loaded YAML document: plain Python ``data`` plus the line of every key and item."""

    def __init__(self, data: Any, raw: Any, file: str) -> None:
        self.data, self._raw, self.file = data, raw, file

    def line(self, loc: Sequence[str | int]) -> int | None:
        """The 1-based line of the deepest part of ``loc`` found in the document."""
        node, line = self._raw, None
        for part in loc:
            lc = getattr(node, "lc", None)
            try:
                if isinstance(part, int) and isinstance(node, list):
                    pos = lc.item(part) if lc is not None else None
                    node = node[part]
                elif isinstance(node, dict) and part in node:
                    pos = lc.key(part) if lc is not None else None
                    node = node[part]
                else:
                    break
            except (KeyError, IndexError, TypeError):
                break
            if pos is not None:
                line = pos[0] + 1
        if line is None:
            lc = getattr(self._raw, "lc", None)
            line = (lc.line + 1) if lc is not None and lc.line is not None else None
        return line


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, str | int) else k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)  # ruamel's scalar string subclasses
    return node


#: what a clerk is told for the syntax errors people make (a fragment of ruamel's text → Chinese)
_SYNTAX_ZH = (
    ("found unexpected end of stream", "引号没有闭合"),
    ("expected ',' or ']'", "方括号 [ 没有闭合，或其中缺少逗号"),
    ("expected ',' or '}'", "花括号 { 没有闭合，或其中缺少逗号"),
    (
        "mapping values are not allowed here",
        "这里不能有冒号：值中含有“: ”时请给值加引号，或检查上一行是否缺少冒号",
    ),
    ("found character '\\t'", "不能用制表符（Tab）缩进，请用空格"),
    ("could not find expected ':'", "缺少冒号：每个键后应为“键: 值”"),
    ("expected <block end>", "缩进不一致：同一层的键应对齐"),
    ("expected <document start>", "缩进不一致或多了一行顶格的文字"),
    ("found undefined alias", "引用了未定义的锚点（*名称）"),
    ("found duplicate key", "键重复：同一层里同一个键写了两次"),
)


def _syntax_error(file: str, text: str, e: Any) -> dict[str, list[str]]:
    """``{file:line: [message]}`` for a YAML syntax error: the line where the problem is — where
    an unclosed quote or bracket starts when the parser only noticed at the end of the file —
    and what it is, in Chinese where it is a common slip, with ruamel's English."""
    problem, context = e.problem_mark, e.context_mark
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    mark = problem or context
    if context is not None and (mark is None or mark.line + 1 > lines):
        mark = context  # the end of the file: name where the unclosed thing starts
    line = mark.line + 1 if mark is not None else None
    english = " ".join(str(x) for x in (e.context, e.problem) if x)
    zh = next((z for fragment, z in _SYNTAX_ZH if fragment in english), "无法解析")
    related = context.line + 1 if context is not None else None
    if "found duplicate key" in english and related is not None and line is not None:
        # ruamel's context is where the mapping starts: name where the key was written first
        related = _first_key_line(text, english, related, line) or related
    if related is not None and line is not None and related != line:
        zh += f"（相关位置：第 {related} 行）"
    open_quote = _unclosed_quote_line(text, line) if "quoted scalar" not in english else None
    if open_quote is not None and open_quote != line:
        # a quote left open swallows the lines after it: the parser complains further down
        zh += f"；第 {open_quote} 行的引号可能没有闭合"
        english += f" (the quote on line {open_quote} may be unclosed)"
    return {_where(file, line, None): [f"YAML 语法错误：{zh} / YAML syntax error: {english}"]}


def _first_key_line(text: str, english: str, start: int, end: int) -> int | None:
    """The first line from ``start`` to ``end`` (1-based) where the duplicate key of ruamel's
    message (``found duplicate key "name" …``) is written, or None."""
    m = re.search(r'found duplicate key "((?:[^"\\]|\\.)*)"', english)
    if m is None:
        return None
    key = re.escape(m.group(1))
    written = re.compile(rf"""^\s*(?:-\s+)?(?:{key}|"{key}"|'{key}')\s*:(?:\s|$)|[{{,]\s*{key}\s*:""")
    for n, raw in enumerate(text.splitlines()[start - 1 : end - 1], start=start):
        if written.search(raw):
            return n
    return None


def _unclosed_quote_line(text: str, upto: int | None) -> int | None:
    """The first line (1-based, up to ``upto``) with an odd number of double quotes outside a
    comment, or None."""
    for n, raw in enumerate(text.splitlines()[: upto or None], start=1):
        body = raw.replace('\\"', "")
        cut = body.find(" #")
        if cut >= 0 and body[:cut].count('"') % 2 == 0:
            body = body[:cut]
        if body.lstrip().startswith("#"):
            continue
        if body.count('"') % 2:
            return n
    return None


_CONSTRUCTOR: Any = None


def _constructor() -> Any:
    """ruamel's round-trip constructor, except that dates and times stay text: pydantic reads
    them where a date is expected, and an impossible one (2024-02-30, unquoted) is reported with
    its file, line and key like any other bad value — ruamel's own date raised a bare ValueError."""
    global _CONSTRUCTOR
    if _CONSTRUCTOR is None:
        from ruamel.yaml.constructor import RoundTripConstructor

        class _TextDates(RoundTripConstructor):
            pass

        def as_text(loader: Any, node: Any) -> str:
            return str(loader.construct_scalar(node))

        _TextDates.add_constructor("tag:yaml.org,2002:timestamp", as_text)
        _CONSTRUCTOR = _TextDates
    return _CONSTRUCTOR


def load_yaml(path: str | os.PathLike[str], *, text: str | None = None) -> YamlDocument:
    """Read a YAML file (or ``text``, reported as ``path``), refusing duplicate keys."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    file = str(path)
    if text is None:
        p = Path(path)
        if not p.is_file():
            raise errors.NotFound("文件 / file", file)
        try:
            text = p.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as e:
            raise errors.DataError(
                f"YAML 文件须为 UTF-8 编码 / YAML files must be UTF-8 ({e.reason} at byte {e.start})",
                file=file,
            ) from None
    yaml = YAML(typ="rt")
    yaml.Constructor = _constructor()
    try:
        raw = yaml.load(text)
    except MarkedYAMLError as e:
        raise errors.ValidationError(_syntax_error(file, text, e)) from None
    except YAMLError as e:
        raise errors.ValidationError({file: [f"YAML 语法错误 / YAML syntax error: {e}"]}) from None
    return YamlDocument(_plain(raw), raw, file)


def key_path(loc: Sequence[str | int]) -> str:
    """A location as the one who wrote the document reads it: ``quality.rules[1].min``."""
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


def _where(file: str, line: int | None, loc: Sequence[str | int] | None) -> str:
    key = key_path(loc or ())
    return f"{file}:{line}" + (f" {key}" if key else "") if line is not None else f"{file} {key}".strip()


def _in_document(data: Any, loc: Sequence[str | int]) -> list[str | int]:
    """The parts of a pydantic error location that the document has (dict keys, list indexes);
    union members' tags and validator names are dropped, and so is all after a missing key but
    that key itself (a required key missing is named)."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not _TAG.match(part):
            out.append(part)  # a key the document lacks (missing) or should not have
            break
        else:
            continue
        out.append(part)
    return out


#: what pydantic puts in a location besides keys: a union member's type or validator name
_TAG = re.compile(r"^(?:int|float|str|bool|none|list\[.*\]|dict\[.*\]|literal\[.*\]|[a-z-]+\[.*\]|[A-Z]\w*)$")


def is_union_tag(part: object) -> bool:
    """Whether a part of a pydantic error location is pydantic's, not the document's: a union
    member's tag or type (``Range``, ``int``, ``literal['auto']``), a validator's name, or the
    ``[key]`` of a mapping's key."""
    return isinstance(part, str) and (part == "[key]" or bool(_TAG.match(part)))


def validate_model(model: type[M], doc: YamlDocument, *, at: Sequence[str | int] = ()) -> M:
    """Validate ``doc.data`` (or the part at ``at``) as ``model``; every problem is reported as
    ``file:line key: message`` in one :class:`~shuzhi.errors.ValidationError`."""
    data = doc.data
    for part in at:
        data = data[part]
    if data is None:
        raise errors.ValidationError({doc.file: ["文件为空 / the file is empty"]})
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as e:
        found: list[tuple[int, str, str]] = []
        for err in e.errors(include_url=False):
            # pydantic adds the tag of a union member (header_row.int, header_row.literal['auto']):
            # the key is what the document has, and the members' messages are joined under it
            loc = [*at, *_in_document(data, [p for p in err["loc"] if isinstance(p, str | int)])]
            line = doc.line(loc)
            found.append((line or 0, _where(doc.file, line, loc), validation_message(err, model)))
        problems: dict[str, list[str]] = {}
        for _, where, message in sorted(found, key=lambda p: p[0]):  # as the file reads, top down
            if message not in problems.setdefault(where, []):
                problems[where].append(message)
        raise errors.ValidationError(problems) from None


#: the Chinese labels of enumerations' values (values → label), by their set of values, so that
#: an invalid value is answered with the choices a clerk writes (see :func:`register_choices`)
_CHOICE_LABELS: dict[frozenset[str], dict[str, str]] = {}


def register_choices(labels: Mapping[str, str]) -> None:
    """Make errors about an enumeration with these values list their Chinese ``labels`` too."""
    _CHOICE_LABELS[frozenset(labels)] = dict(labels)


def _choices(expected: str) -> tuple[str, str]:
    """(Chinese, English) lists of the choices in pydantic's ``'a', 'b' or 'c'``."""
    values = re.findall(r"'((?:[^'\\]|\\.)*)'", expected)
    if not values:
        return expected, expected
    labels = _CHOICE_LABELS.get(frozenset(values), {})
    zh = [labels.get(v, v) for v in values]
    en = values
    join_zh = "、".join(zh[:-1]) + " 或 " + zh[-1] if len(zh) > 1 else zh[0]
    join_en = ", ".join(en[:-1]) + " or " + en[-1] if len(en) > 1 else en[0]
    return join_zh, join_en


#: what a pattern asks for, in words (see :func:`register_pattern`)
_PATTERN_TEXTS: dict[str, tuple[str, str]] = {}


def register_pattern(pattern: str, zh: str, en: str) -> None:
    """Make a value that does not match ``pattern`` be told what is expected in words, not the
    regular expression."""
    _PATTERN_TEXTS[pattern] = (zh, en)


#: Python's json messages, in Chinese (what a clerk reads first)
_JSON_ZH = (
    ("Expecting value", "缺少值（或多了一个逗号）"),
    ("Expecting ',' delimiter", "缺少逗号"),
    ("Expecting ':' delimiter", "缺少冒号"),
    ("Expecting property name enclosed in double quotes", "键名须用双引号括起（或多了一个逗号）"),
    ("Unterminated string", "字符串的引号没有闭合"),
    ("Invalid control character", "字符串中有换行等控制字符"),
    ("Extra data", "JSON 结束后还有多余的内容"),
    ("Invalid \\escape", "无效的转义符（\\ 后的字符）"),
    ("Invalid \\uXXXX escape", "无效的 \\u 转义"),
)


def json_message_zh(msg: str) -> str:
    """Python's ``json`` error ``msg`` in Chinese (as it is, when unknown)."""
    for en, zh in _JSON_ZH:
        if msg.startswith(en):
            return zh
    return msg


class _Shown:
    """A value quoted in a message: its repr cut at 60 characters (a data file given as a YAML
    file is one long text, and was pasted whole into the error)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        text = repr(self.value)
        return text if len(text) <= 60 else text[:57] + "…" + text[-1]


def _unwrap(t: Any) -> Any:
    """The type inside ``Annotated``, ``X | None`` and other unions (their first model or list)."""
    while True:
        origin = typing.get_origin(t)
        if origin is typing.Annotated:
            t = typing.get_args(t)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(t) if a is not type(None)]
            t = next((a for a in members if _is_model(a) or typing.get_origin(a) in (list, dict)), members[0])
        else:
            return t


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, pydantic.BaseModel)


def model_at(model: type[pydantic.BaseModel], loc: Sequence[Any]) -> type[pydantic.BaseModel] | None:
    """The model that validates the part of a document at ``loc`` (keys and list indexes), or
    None where that is no model."""
    t: Any = model
    for part in loc:
        t = _unwrap(t)
        if isinstance(part, int):
            args = typing.get_args(t) if typing.get_origin(t) is list else ()
            t = args[0] if args else None
        elif _is_model(t):
            fields = t.model_fields
            info = fields.get(part) or next((f for f in fields.values() if f.alias == part), None)
            t = info.annotation if info is not None else None
        elif typing.get_origin(t) is dict:
            t = typing.get_args(t)[1]
        else:
            return None
    t = _unwrap(t)
    return t if _is_model(t) else None


def _known_key_like(model: type[pydantic.BaseModel], loc: Sequence[Any]) -> str | None:
    """The key of the model at ``loc[:-1]`` that the unknown key ``loc[-1]`` most looks like."""
    if not loc or not isinstance(loc[-1], str):
        return None
    owner = model_at(model, loc[:-1])
    if owner is None:
        return None
    known = [f.alias or name for name, f in owner.model_fields.items()]
    close = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6)
    return close[0] if close else None


def validation_message(
    err: Mapping[str, Any], model: type[pydantic.BaseModel] | None = None, *, within: int = 0
) -> str:
    """One pydantic error as ``中文 / English`` (the common kinds; the rest in pydantic's English).
    With the ``model`` validated (at the error's location less its first ``within`` parts: an
    HTTP body's ``body``), an unknown key is told the known key it most looks like (``requried``
    → required)."""
    kind, msg = err["type"], str(err.get("msg", ""))
    ctx = err.get("ctx") or {}
    given = _Shown(err.get("input"))
    if kind == "extra_forbidden":
        loc = [p for p in err.get("loc", ())[within:] if isinstance(p, str | int)]
        like = _known_key_like(model, loc) if model is not None else None
        if like is not None:
            return f"未知的键（是不是 {like}？）/ unknown key (did you mean {like}?)"
        return "未知的键 / unknown key"
    if kind == "missing":
        return "缺少必填项 / required key missing"
    if kind in ("enum", "literal_error"):
        zh, en = _choices(str(ctx.get("expected", "")))
        return f"取值无效 {given!r}；应为 {zh} / invalid value {given!r}; expected {en}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        if given.value is None:
            return "不能为空：应为键值结构（如 键: 值）/ empty: expected a mapping (key: value)"
        if isinstance(given.value, bytes):  # an HTTP body that is not JSON
            return (
                "请求体应为 JSON 对象（Content-Type: application/json）/ the request body must be a JSON "
                "object (Content-Type: application/json)"
            )
        if not err.get("loc") and isinstance(given.value, list):  # items at the top, no keys
            return (
                "整个文件是列表（以 - 开头的各项），应为键值结构：顶层先写键（如 departments:、resources:），"
                "再在其下列出各项 / the whole file is a list (items starting with -), not a mapping: "
                "write the keys at the top (such as departments:, resources:) and the items under them"
            )
        if not err.get("loc") and isinstance(given.value, str):  # the whole document is one text
            return (
                "整个文件不是键值结构（键: 值）：这像是数据文件或文本，不是 YAML 声明/映射文件 / "
                "the whole file is not a mapping (key: value): it looks like a data file or text, "
                "not a YAML declaration"
            )
        return f"应为键值结构（如 键: 值），实为 {given!r} / expected a mapping (key: value), got {given!r}"
    if kind == "json_invalid":
        error = str(ctx.get("error") or msg)
        return f"JSON 格式错误：{json_message_zh(error)} / malformed JSON: {error}"
    if kind == "too_short" and ctx.get("min_length") is not None:
        n = ctx["min_length"]
        return f"至少要有 {n} 项 / at least {n} item(s) needed"
    if kind == "list_type":
        return f"应为列表，实为 {given!r} / expected a list, got {given!r}"
    if kind == "string_type":
        return f"应为文本，实为 {given!r} / expected text, got {given!r}"
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        zh = "不能为空" if n == 1 else f"至少 {n} 个字符"
        return f"{zh} / {msg}"
    if kind == "string_too_long":
        return f"最多 {ctx.get('max_length')} 个字符 / {msg}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"应为整数，实为 {given!r} / expected an integer, got {given!r}"
    if kind in ("float_parsing", "float_type", "decimal_parsing"):
        return f"应为数字，实为 {given!r} / expected a number, got {given!r}"
    if kind in ("bool_parsing", "bool_type"):
        return f"应为 true 或 false，实为 {given!r} / expected true or false, got {given!r}"
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_type"):
        return f"应为日期（如 2024-03-01），实为 {given!r} / expected a date (2024-03-01), got {given!r}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤", "less_than": "<"}[
            kind
        ]
        bound = next(iter(ctx.values()), "")
        return f"应 {sign} {bound}，实为 {given!r} / expected {sign} {bound}, got {given!r}"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern"))
        if pattern in _PATTERN_TEXTS:
            zh, en = _PATTERN_TEXTS[pattern]
            return f"格式不符：{zh}；实为 {given!r} / {en}; got {given!r}"
        return f"格式不符（应匹配 {pattern}）：{given!r} / {msg}"
    if msg.startswith("Value error, "):
        return msg[len("Value error, ") :]
    return msg


def load_model(model: type[M], path: str | os.PathLike[str], *, text: str | None = None) -> M:
    """Load and validate a YAML file as ``model`` (see :func:`validate_model`)."""
    return validate_model(model, load_yaml(path, text=text))


def dump_yaml(data: Any) -> str:
    """``data`` (plain Python) as block-style YAML text, keys in the given order, Chinese unescaped."""
    import io

    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()
