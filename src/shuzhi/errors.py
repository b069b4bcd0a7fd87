"""The whole error tree of shuzhi, in one module.

::

    ShuzhiError
     ├── ConfigError            bad or missing workspace configuration
     │    └── WorkspaceNotFound
     ├── NotFound               a named thing does not exist (HTTP 404)
     ├── NotAuthorized          the caller may not do this (HTTP 403)
     ├── Conflict               the operation clashes with current state (HTTP 409)
     ├── ValidationError        a request is invalid; ``errors`` maps field -> messages (HTTP 422)
     └── DataError              a value in a file is bad; names file, row, column, value and rule

Adapters (CLI, HTTP) map these to exit codes and status codes through one table each;
domain code raises them and never prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = [
    "ConfigError",
    "Conflict",
    "DataError",
    "NotAuthorized",
    "NotFound",
    "ShuzhiError",
    "ValidationError",
    "WorkspaceNotFound",
]


class ShuzhiError(Exception):
    """Base of every error shuzhi raises on purpose."""

    status: int = 500
    code: str = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, object]:
        return {"ok": False, "error": self.message, "code": self.code, "status": self.status}


class ConfigError(ShuzhiError):
    status = 500
    code = "config"


class WorkspaceNotFound(ConfigError):
    status = 404
    code = "workspace_not_found"

    def __init__(self, path: str) -> None:
        super().__init__(
            f"不是 shuzhi 工作区：{path}（用 -w 目录 或环境变量 SHUZHI_WORKSPACE 指定工作区，或 shuzhi init "
            f"{path} 新建）/ not a shuzhi workspace: {path} (name one with -w DIR or SHUZHI_WORKSPACE, or "
            f"create it with `shuzhi init {path}`)"
        )
        self.path = path


class NotFound(ShuzhiError):
    status = 404
    code = "not_found"

    def __init__(self, kind: str, name: str) -> None:
        super().__init__(f"{kind} not found: {name}")
        self.kind = kind
        self.name = name


class NotAuthorized(ShuzhiError):
    status = 403
    code = "not_authorized"


class Conflict(ShuzhiError):
    status = 409
    code = "conflict"


class ValidationError(ShuzhiError):
    """An invalid request; every problem is collected before raising, keyed by field."""

    status = 422
    code = "validation"

    def __init__(self, errors: Mapping[str, Sequence[str]], message: str | None = None) -> None:
        self.errors = {k: list(v) for k, v in errors.items()}
        if message is None:
            message = "; ".join(f"{k}: {', '.join(v)}" for k, v in self.errors.items())
        super().__init__(message)

    def to_dict(self) -> dict[str, object]:
        d = super().to_dict()
        d["errors"] = self.errors
        return d


class DataError(ShuzhiError):
    """A bad value in input data: ``file 第 N 行 “C”列 / row N, column C: message (值 / value 'v',
    规则 / rule R)``."""

    status = 422
    code = "data"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        rule: str | None = None,
    ) -> None:
        self.file, self.row, self.column, self.value, self.rule = file, row, column, value, rule
        # people.csv 第 12 行 “身份证号”列 / row 12, column 身份证号: …
        zh, en = [], []
        if row is not None:
            zh.append(f"第 {row} 行")
            en.append(f"row {row}")
        if column is not None:
            zh.append(f"“{column}”列")
            en.append(f"column {column}")
        where = " ".join(zh) + " / " + ", ".join(en) if zh else ""
        if file is not None:
            where = f"{file} {where}" if where else str(file)
        text = f"{where}: {message}" if where else message
        extra = []
        if value is not None:
            extra.append(f"值 / value {value!r}")
        if rule is not None:
            extra.append(f"规则 / rule {rule}")
        if extra:
            text += f" ({', '.join(extra)})"
        super().__init__(text)

    def to_dict(self) -> dict[str, object]:
        d = super().to_dict()
        d.update(file=self.file, row=self.row, column=self.column, value=self.value, rule=self.rule)
        return d
