"""National standards library (国家标准库): check, explain and normalise what departments write.

Every check has a pure-Python form returning a :class:`Verdict` and a DuckDB SQL form
(``sz_<kind>_check``) returning the same fields; ``install(con)`` puts the SQL forms on a
connection and ``expand(sql)`` inlines them for other engines.
"""

from shuzhi.standards._registry import KINDS, CheckKind, check, check_many
from shuzhi.standards._sql import expand, install
from shuzhi.standards._verdict import REASONS, Verdict, reason_text

__all__ = ["CheckKind", "KINDS", "REASONS", "Verdict", "check", "check_many", "expand", "install", "reason_text"]
