"""The consoles the commands print to."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from rich.console import Console

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


def local_time(when: dt.datetime, *, seconds: bool = False) -> str:
    """``when`` in the machine's time zone, named: ``2026-12-01 10:39 CST`` (a time without a zone
    is UTC, as the store keeps it). Every command shows times the same way."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    local = when.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z").strip()
