"""Usage errors of the command line (unknown option, bad value, missing argument) in Chinese and
English.

Typer (Click) words them in English only ("Invalid value for '--mode': Value error, 'merge' is
not one of …"); a clerk reads 选项 --mode 取值无效 … first. The exception classes are told apart
by name, so that the Click Typer vendors and the stand-alone Click read the same.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["usage_lines", "usage_message"]

_ONE_OF = re.compile(r"^(?:Value error, )?'(?P<given>.*)' is not one of (?P<choices>.+?)\.?$")
_NO_COMMAND = re.compile(r"^No such command '(?P<name>.+?)'\.(?: Did you mean '(?P<hint>.+?)'\?)?$")
_EXTRA = re.compile(r"^Got unexpected extra argument(?:s|\(s\))? \((?P<args>.*)\)$")
_NEEDS_VALUE = re.compile(r"^Option '(?P<opt>.+?)' requires (?:an argument|\d+ arguments)\.$")


def _names(e: BaseException) -> set[str]:
    return {c.__name__ for c in type(e).__mro__}


def _where(param: Any) -> tuple[str, str]:
    """The parameter as the user wrote it: (选项 --mode, --mode) or (参数 V1, V1)."""
    if getattr(param, "param_type_name", None) == "option":
        opts = list(getattr(param, "opts", None) or [])
        name = opts[0] if opts else f"--{param.name}"
        return f"选项 {name}", name
    name = str(getattr(param, "name", "") or "").upper()
    return f"参数 {name}", name


def _bad_value(e: Any) -> str:
    """Why the value was refused: the choices, or pydantic's error in Chinese and English."""
    message = str(getattr(e, "message", "") or "")
    m = _ONE_OF.match(message)
    if m:
        choices = [c.strip().strip("'") for c in m["choices"].split(",")]
        given = m["given"]
        zh, en = "、".join(choices), ", ".join(choices)
        return f"应为 {zh} 之一，实为 {given!r} / expected one of {en}, got {given!r}"
    cause = e.__cause__
    errors = getattr(cause, "errors", None)
    if callable(errors):
        from shuzhi._yaml import validation_message

        try:
            first = errors()[0]
        except (IndexError, TypeError):
            first = None
        if first is not None:
            return validation_message(first)
    return message  # our own BadParameter texts are bilingual already


def usage_message(e: BaseException) -> str | None:
    """``中文 / English`` for a usage error of Click/Typer, or None for one it does not know."""
    names = _names(e)
    message = str(getattr(e, "message", "") or "")
    param = getattr(e, "param", None)
    if "MissingParameter" in names and param is not None:
        zh, en = _where(param)
        kind = "option" if getattr(param, "param_type_name", None) == "option" else "argument"
        return f"缺少{zh} / missing {kind} {en}"
    if "BadParameter" in names and param is not None:
        zh, en = _where(param)
        return f"{zh} 取值无效 / invalid value for {en}: {_bad_value(e)}"
    if "BadParameter" in names:  # raised by a command itself: its texts are bilingual already
        return f"取值无效 / invalid value: {message}"
    if "NoSuchOption" in names:
        opt = getattr(e, "option_name", None) or message
        text = f"没有选项 {opt} / no such option: {opt}"
        hints = list(getattr(e, "possibilities", None) or [])
        if hints:
            text += f"（是不是 {'、'.join(hints)}？ / did you mean {', '.join(hints)}?）"
        return text
    m = _NEEDS_VALUE.match(message)
    if m:
        return f"选项 {m['opt']} 后面缺少取值 / option {m['opt']} requires a value"
    m = _NO_COMMAND.match(message)
    if m:
        text = f"没有命令 {m['name']!r} / no such command {m['name']!r}"
        if m["hint"]:
            text += f"（是不是 {m['hint']}？ / did you mean {m['hint']}?）"
        return text
    m = _EXTRA.match(message)
    if m:
        return f"多余的参数：{m['args']} / unexpected extra arguments: {m['args']}"
    return None


def usage_lines(e: BaseException) -> list[str] | None:
    """The lines printed for a usage error: usage, the error, where to find help; None when
    :func:`usage_message` does not know the error (the caller shows Click's own text)."""
    if "NoArgsIsHelpError" in _names(e):
        return None
    text = usage_message(e)
    if text is None:
        return None
    ctx = getattr(e, "ctx", None)
    lines = []
    if ctx is not None:
        lines.append(f"用法 / usage: {ctx.get_usage().removeprefix('Usage: ')}")
    lines.append(f"错误 / error: {text}")
    if ctx is not None:
        lines.append(f"帮助 / help: {ctx.command_path} --help")
    return lines
