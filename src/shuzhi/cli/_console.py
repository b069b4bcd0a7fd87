"""The consoles the commands print to."""

from __future__ import annotations

import os
from typing import Any

from rich.console import Console

from shuzhi._time import local_time

__all__ = ["PIPED_WIDTH", "local_time", "new_console"]

#: the width of tables written to a pipe or a file: Rich's 80 columns crush a ten-column table of
#: Chinese text into one character per line, and a file or ``less`` has room
PIPED_WIDTH = 160


def new_console(**options: Any) -> Console:
    """A Rich console on standard output; not a terminal and no ``COLUMNS`` → :data:`PIPED_WIDTH`."""
    console = Console(**options)
    if not console.is_terminal and "COLUMNS" not in os.environ and "width" not in options:
        console.width = PIPED_WIDTH
    return console
