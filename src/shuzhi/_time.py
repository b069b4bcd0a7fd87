"""How times are shown to people: in the machine's time zone, named."""

from __future__ import annotations

import datetime as dt

__all__ = ["local_time"]


def local_time(when: dt.datetime, *, seconds: bool = False) -> str:
    """``when`` in the machine's time zone, named: ``2026-12-01 10:39 CST`` (a time without a zone
    is UTC, as the store keeps it). Every command shows times the same way."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    local = when.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z").strip()
