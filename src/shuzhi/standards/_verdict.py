"""The one result shape every standards check returns, and the reason texts behind it.

A check never raises on bad input: it returns a :class:`Verdict` whose ``reason`` is a stable,
language-neutral code (``"idcard.check_mismatch"``) and whose message is looked up in
:data:`REASONS` in Chinese or English. ``notes`` carry codes for accepted-but-corrected input
(a lower-case ``x``, a 15-digit ID that was upgraded, a retired division code).

The SQL form of each check returns the same fields (``valid``, ``normalized``, ``reason``,
``notes``, ``parts``) so the two forms can be compared value by value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Lang = Literal["zh", "en"]

#: reason or note code -> (Chinese template, English template). Templates use ``str.format``
#: with the verdict's ``parts`` (so the SQL form, which returns the same parts, can be rendered
#: into the same text); a missing key leaves the placeholder's name in the text.
REASONS: dict[str, tuple[str, str]] = {
    "empty": ("值为空", "value is empty"),
    "not_text": ("值不是文本", "value is not text"),
    "too_long": ("值过长（{length} 个字符）", "value is too long ({length} characters)"),
}


def register_reasons(table: Mapping[str, tuple[str, str]]) -> None:
    """Add reason texts for a module's codes (called at import time by each standards module)."""
    for code, texts in table.items():
        if code in REASONS and REASONS[code] != texts:
            raise ValueError(f"reason code registered twice with different texts: {code}")
        REASONS[code] = texts


class _Default(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def reason_text(code: str | None, lang: Lang = "zh", details: Mapping[str, Any] | None = None) -> str:
    """The human text of a reason or note code, in ``lang``; unknown codes are returned as is."""
    if code is None:
        return ""
    zh, en = REASONS.get(code, (code, code))
    template = zh if lang == "zh" else en
    return template.format_map(_Default(details or {}))


class _Ellipsis(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "…"


def reason_title(code: str, lang: Lang = "zh") -> str:
    """The text of a code without any value in it (``{x}`` shown as …), for counts and summaries."""
    zh, en = REASONS.get(code, (code, code))
    return (zh if lang == "zh" else en).format_map(_Ellipsis())


def is_missing(code: str | None) -> bool:
    """Whether a reason code means the value was missing (blank or a placeholder such as 不详)."""
    return code == "empty" or (code is not None and code.endswith(".placeholder"))


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a check says about one value.

    ``parts`` holds the parsed pieces as JSON-ready scalars (str, int, bool, None; dates as
    ISO strings), with the same keys the SQL form's ``parts`` struct has.
    """

    kind: str
    input: Any
    valid: bool
    normalized: str | None = None
    reason: str | None = None
    notes: tuple[str, ...] = ()
    parts: Mapping[str, Any] = field(default_factory=dict)

    def message(self, lang: Lang = "zh") -> str:
        """The reason (or, for a valid value, its notes) as one line of text."""
        if self.reason is not None:
            return reason_text(self.reason, lang, self.parts)
        sep = "；" if lang == "zh" else "; "
        return sep.join(reason_text(n, lang, self.parts) for n in self.notes)

    def to_dict(self, lang: Lang = "zh") -> dict[str, Any]:
        """JSON form: ``input``, ``valid``, ``normalized``, ``reason`` (text), ``reason_code``,
        ``notes`` (texts), ``note_codes``, ``parts``."""
        return {
            "kind": self.kind,
            "input": self.input
            if isinstance(self.input, str | int | float | bool | type(None))
            else repr(self.input),
            "valid": self.valid,
            "normalized": self.normalized,
            "reason": reason_text(self.reason, lang, self.parts) if self.reason else None,
            "reason_code": self.reason,
            "notes": [reason_text(n, lang, self.parts) for n in self.notes],
            "note_codes": list(self.notes),
            "parts": dict(self.parts),
        }


MAX_INPUT_LENGTH = 1000

#: characters that make a value blank when nothing else is there (the SQL form trims the same set)
BLANK_CHARS = " \t\n\r\f\v\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff"


def precheck(kind: str, value: object) -> tuple[str | None, Verdict | None]:
    """Common guard for every check: turn ``value`` into text or return the verdict that ends it.

    Returns ``(text, None)`` to go on, or ``(None, verdict)`` for None, non-text, empty or
    overlong input.
    """
    if value is None:
        return None, Verdict(kind, value, False, reason="empty")
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None, Verdict(kind, value, False, reason="not_text")
    text = str(value)
    if len(text) > MAX_INPUT_LENGTH:
        return None, Verdict(kind, text, False, reason="too_long", parts={"length": len(text)})
    if not text.strip(BLANK_CHARS):
        return None, Verdict(kind, text, False, reason="empty")
    return text, None
