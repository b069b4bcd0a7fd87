"""The ``shuzhi`` command line: a thin Typer adapter over the domain packages.

Each module here adds its commands with ``register(app)``; errors from ``shuzhi.errors`` are
turned into a message and an exit code in one place (:func:`main`).
"""

from __future__ import annotations

import importlib
import inspect
import re

import typer

__all__ = ["app", "main"]

app = typer.Typer(
    name="shuzhi",
    help="数治 shuzhi — 城市数据平台 / a city's one data platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_MODULES = ("workspace", "check", "serve", "demo", "catalog", "ingest", "quality", "registry")

for _name in _MODULES:
    try:
        _mod = importlib.import_module(f"shuzhi.cli.{_name}")
    except ModuleNotFoundError as e:  # a command module still being written
        if e.name != f"shuzhi.cli.{_name}":
            raise
        continue
    _mod.register(app)


_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
_ITEM = re.compile(r"(?:[-*•·]|\d+[.)]|\(\w\))\s")


def unwrap(text: str) -> str:
    """A docstring's paragraphs as single lines: Typer 0.29's help keeps a docstring's line breaks
    inside a paragraph, and Rich then wraps those lines again at the terminal's width, so help
    came out ragged. List items keep their own lines; lines are joined without a space between
    Chinese characters."""
    paragraphs = []
    for para in inspect.cleandoc(text).split("\n\n"):
        if para.startswith("\b"):  # Click's mark for "keep as written"
            paragraphs.append(para)
            continue
        out = ""
        for line in para.splitlines():
            line = line.strip()
            if not out:
                out = line
            elif _ITEM.match(line):
                out += "\n" + line
            elif _CJK.match(out[-1]) and _CJK.match(line[:1]):
                out += line
            else:
                out += " " + line
        paragraphs.append(out)
    return "\n\n".join(paragraphs)


def _unwrap_helps(t: typer.Typer) -> None:
    if t.info.help:
        t.info.help = unwrap(str(t.info.help))
    for command in t.registered_commands:
        doc = command.help if command.help is not None else inspect.getdoc(command.callback)
        if doc:
            command.help = unwrap(doc)
    for group in t.registered_groups:
        if group.help:
            group.help = unwrap(str(group.help))
        if group.typer_instance is not None:
            sub = group.typer_instance
            if not sub.info.help and not group.help and sub.registered_callback is not None:
                doc = inspect.getdoc(sub.registered_callback.callback)
                if doc:
                    group.help = unwrap(doc)
            _unwrap_helps(sub)


_unwrap_helps(app)

#: the ``--help`` option's line in every command's help
HELP_TEXT = "显示本帮助并退出 / show this help and exit"


def _localise_help() -> None:
    """Two things Typer (0.29) writes in every help screen, made right for our users: a flag
    (``--json``) was listed with the type ``<bool>``, as if it took a value (``--json true`` is
    an error), and ``--help`` said "Show this message and exit." in English only. Typer's internal
    classes may change: without them the help stays as Typer writes it."""
    try:
        from typer._click.core import Command
        from typer.core import TyperOption
    except ImportError:  # pragma: no cover - another Typer
        return
    show_type = TyperOption.display_type_rich
    get_help_option = Command.get_help_option

    def display_type_rich(self: TyperOption, ctx: object) -> str | None:
        if getattr(self, "is_flag", False) and self.metavar is None:
            return None
        return show_type(self, ctx)  # type: ignore[arg-type]

    def help_option(self: Command, ctx: object) -> object:
        option = get_help_option(self, ctx)  # type: ignore[arg-type]
        if option is not None and getattr(option, "help", None) == "Show this message and exit.":
            option.help = HELP_TEXT
        return option

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]
    Command.get_help_option = help_option  # type: ignore[method-assign,assignment]

    # the usage line wrote a required argument as {resource}, which reads as "type the braces";
    # the usual RESOURCE (and [TARGET] when optional) instead
    try:
        from typer.core import TyperArgument
    except ImportError:  # pragma: no cover
        return
    usage_name = getattr(TyperArgument, "_usage_display_name", None)
    if usage_name is not None:

        def usage_display_name(self: TyperArgument) -> str:
            name = usage_name(self)
            if self.metavar is None:
                name = name.replace("{", "").replace("}", "").upper()
            return str(name)

        TyperArgument._usage_display_name = usage_display_name  # type: ignore[method-assign]

    # a run of Chinese has no space to wrap at: Rich cut it with "…" in the narrow help column
    # ("跳过质量评估；有质量门槛的资源 …"); folded, it wraps at any character
    try:
        from rich.text import Text
        from typer import rich_utils
    except ImportError:  # pragma: no cover - Typer without Rich
        return
    make_text = rich_utils._make_rich_text

    def make_rich_text(*args: object, **kwargs: object) -> object:
        text = make_text(*args, **kwargs)  # type: ignore[arg-type]
        if isinstance(text, Text):
            text.overflow = "fold"
        return text

    rich_utils._make_rich_text = make_rich_text  # type: ignore[assignment]


_localise_help()


#: exit codes by error class (most specific first)
EXIT_CODES: tuple[tuple[str, int], ...] = (
    ("ValidationError", 3),
    ("DataError", 3),
    ("NotFound", 4),
    ("WorkspaceNotFound", 4),
    ("NotAuthorized", 5),
    ("Conflict", 6),
    ("ConfigError", 2),
    ("ShuzhiError", 1),
)


def main() -> None:
    from rich.console import Console
    from rich.markup import escape

    from shuzhi.errors import ShuzhiError

    try:
        # not standalone: usage errors come here, to be shown in Chinese and English
        rv = app(prog_name="shuzhi", standalone_mode=False)
    except ShuzhiError as e:
        console = Console(stderr=True, soft_wrap=True)
        problems = getattr(e, "errors", None)
        if isinstance(problems, dict) and len(problems) > 1:
            # several problems (a YAML file, a request): one line each, where first
            console.print(f"[bold red]错误 / error:[/] {len(problems)} 处问题 / problems", highlight=False)
            for where, messages in problems.items():
                for message in messages:
                    console.print(f"  {where}: {message}", highlight=False, markup=False)
        else:
            console.print(f"[bold red]错误 / error:[/] {escape(e.message)}", highlight=False)
        names = {c.__name__ for c in type(e).__mro__}
        raise SystemExit(next(code for name, code in EXIT_CODES if name in names)) from None
    except Exception as e:  # Click's (Typer's) own: usage errors, Ctrl-C at a prompt
        _click_error(e)
    if isinstance(rv, int) and not isinstance(rv, bool):  # typer.Exit(code), --help
        raise SystemExit(rv)


def _click_error(e: Exception) -> None:
    from rich.console import Console
    from rich.markup import escape

    from shuzhi.cli._usage import usage_lines

    names = {c.__name__ for c in type(e).__mro__}
    if "Abort" in names:
        Console(stderr=True).print("已中止 / aborted", highlight=False)
        raise SystemExit(1) from None
    if "ClickException" not in names:
        raise e
    lines = usage_lines(e)
    if lines is None:  # one we do not word (a bare command group's help): Typer shows it
        try:
            from typer import rich_utils

            rich_utils.rich_format_error(e)  # type: ignore[arg-type]
        except Exception:
            e.show()  # type: ignore[attr-defined]
    else:
        console = Console(stderr=True, soft_wrap=True)
        for i, line in enumerate(lines):
            head, sep, rest = line.partition(": ")
            style = "bold red" if line.startswith("错误") else "dim" if i else ""
            shown = f"[{style}]{escape(head + sep)}[/]" if style else escape(head + sep)
            console.print(shown, end="", highlight=False)
            console.print(rest, markup=False, highlight=False)
    raise SystemExit(getattr(e, "exit_code", 2)) from None
