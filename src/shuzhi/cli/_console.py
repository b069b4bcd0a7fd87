"""The consoles the commands print to."""

from __future__ import annotations

import os
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from shuzhi._time import local_time

__all__ = ["PIPED_WIDTH", "escape", "local_time", "new_console", "score_text", "styled"]

#: the width of tables written to a pipe or a file: Rich's 80 columns crush a ten-column table of
#: Chinese text into one character per line, and a file or ``less`` has room
PIPED_WIDTH = 160


def new_console(**options: Any) -> Console:
    """A Rich console on standard output; not a terminal and no ``COLUMNS`` → :data:`PIPED_WIDTH`.

    Strings are printed as written (no Rich markup): a department's value ``[/]`` or ``[n]`` was
    read as a style tag — it crashed ``shuzhi quarantine`` or vanished from a message. Our own
    styles go through :func:`styled`, with the data in them :func:`escape`-d."""
    options.setdefault("markup", False)
    console = Console(**options)
    if not console.is_terminal and "COLUMNS" not in os.environ and "width" not in options:
        console.width = PIPED_WIDTH
    return console


def styled(markup: str) -> Text:
    """Text from Rich markup written here (``[red]…[/]``); every value in it must be
    :func:`escape`-d."""
    return Text.from_markup(markup)


def score_text(score: float | None, digits: int = 1) -> str:
    """A quality score as every command shows it: the stored two-place value (91.85) rounded half
    up (91.9). Formatting the raw float instead showed one score as 91.8 after a load and as 91.9
    in ``shuzhi quality`` (91.85 is 91.8499… as a float)."""
    if score is None:
        return "—"
    return str(Decimal(f"{score:.2f}").quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
