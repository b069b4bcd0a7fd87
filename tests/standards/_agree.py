"""Comparing the Python form's verdict with the SQL form's, field by field."""

from __future__ import annotations

from shuzhi.standards import Verdict


def same(p: Verdict, s: Verdict) -> bool:
    """Whether the Python verdict ``p`` and the SQL verdict ``s`` agree on every field."""
    pp = dict(p.parts)
    if p.reason == "too_long":  # the SQL form has no parts for input it does not look at
        pp.pop("length", None)
    return (p.input, p.valid, p.normalized, p.reason, p.notes, pp) == (
        s.input,
        s.valid,
        s.normalized,
        s.reason,
        s.notes,
        dict(s.parts),
    )
