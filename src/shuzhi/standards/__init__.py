"""National standards library (国家标准库): check, explain and normalise what departments write.

Every check has a pure-Python form returning a :class:`Verdict` and a DuckDB SQL form
(``sz_<kind>_check``) returning the same fields; ``install(con)`` puts the SQL forms on a
connection and ``expand(sql)`` inlines them for other engines. The modules (``idcard``,
``uscc``, ``divisions``, ``address``, ``codes``, ``phone``, ``dates``, ``text``, ``names``,
``coords``) hold each standard's own functions.
"""

# Importing a module registers its kinds, SQL macros and lookup tables; text comes first because
# the others build on it.
from shuzhi.standards import text  # noqa: F401, I001
from shuzhi.standards import address, codes, coords, dates, divisions, idcard, names, phone, uscc  # noqa: F401
from shuzhi.standards._registry import KINDS, CheckKind, Variant, check, check_many
from shuzhi.standards._sql import expand, install
from shuzhi.standards._verdict import REASONS, Verdict, reason_text

__all__ = [
    "KINDS",
    "REASONS",
    "CheckKind",
    "Variant",
    "Verdict",
    "check",
    "check_many",
    "expand",
    "install",
    "reason_text",
]
