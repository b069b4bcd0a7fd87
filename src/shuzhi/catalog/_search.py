"""The text a catalog search looks in, and how a query is read.

Every saved resource gets a ``search_text``: lower-cased, Traditional characters converted to
Simplified, full-width forms to ASCII. It holds the code, the names, the summary, tags,
classification, the fields' labels and names, the department's name, and the pinyin of the
resource's name, the department's name and the tags without tones, in full and as initials
(人口库 → ``renkouku``, ``rkk``: a resource tagged 人口库 is found by ``rkk``). The pinyin of the
resource's own name is written after a marker (:data:`MARK`) so that a query can rank "the
name's pinyin starts with this" above "this occurs somewhere" with a plain ``LIKE``, which every
database has.

Pinyin follows pypinyin's default readings; phrases are read as pypinyin's phrase dictionary
reads them (重庆 → ``chongqing``) and, where that differs, character by character as well
(``zhongqing``), so either spelling finds the entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["MARK", "normalize_query", "pinyin_forms", "search_text"]

#: written before each pinyin form of a resource's name in ``search_text``; never in a query
MARK = "|"

_KEEP = re.compile(r"[a-z0-9]")


def _clean(text: str | None) -> str:
    from shuzhi.standards.text import normalize_text

    return (normalize_text(text) or "").lower()


def pinyin_forms(text: str | None) -> list[str]:
    """The toneless pinyin of ``text`` in full and as initials, by phrase and by character
    (duplicates removed; ``[]`` when ``text`` has no Chinese)."""
    from pypinyin import lazy_pinyin

    from shuzhi.standards.names import pinyin_initials, pinyin_key

    t = _clean(text)
    if not any("\u3400" <= c <= "\u9fff" or c > "\U0001ffff" for c in t):
        return []
    by_phrase = lazy_pinyin(t, errors="default")
    full = "".join(c for item in by_phrase for c in item.lower() if _KEEP.fullmatch(c))
    forms = [full, pinyin_initials(t), pinyin_key(t), pinyin_initials(t, phrases=False)]
    out: list[str] = []
    for f in forms:
        if f and f not in out:
            out.append(f)
    return out


def search_text(
    *,
    code: str,
    name: str,
    name_en: str | None,
    department_name: str,
    other: Iterable[str | None],
    keywords: Iterable[str] = (),
) -> str:
    """The ``search_text`` of a resource (see the module docstring); ``keywords`` (its tags) are
    searched by their pinyin too."""
    parts: list[str] = [code, name, name_en or ""]
    parts += [MARK + form for form in pinyin_forms(name)]
    parts.append(department_name)
    parts += pinyin_forms(department_name)
    for word in keywords:
        parts += [word, *pinyin_forms(word)]
    parts += [p for p in other if p]
    cleaned = (_clean(p.replace(MARK, " ") if not p.startswith(MARK) else p) for p in parts if p)
    return " ".join(p for p in cleaned if p)


def normalize_query(q: str) -> list[str]:
    """The words of a query, cleaned like ``search_text`` (Traditional → Simplified, lower case);
    the marker character is dropped."""
    return [w for w in _clean(q.replace(MARK, " ")).split() if w]
