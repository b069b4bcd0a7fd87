"""Reading and writing the ``workspace_meta`` key/value facts."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shuzhi.store._base import utcnow
from shuzhi.store._models import WorkspaceMeta

__all__ = ["read_meta", "write_meta"]


def read_meta(session: Session) -> dict[str, str]:
    """Every ``workspace_meta`` entry as a dict."""
    return {m.key: m.value for m in session.scalars(sa.select(WorkspaceMeta))}


def write_meta(session: Session, values: Mapping[str, str]) -> None:
    """Set the entries in ``values``, inserting or updating each."""
    for key, value in values.items():
        row = session.get(WorkspaceMeta, key)
        if row is None:
            session.add(WorkspaceMeta(key=key, value=value))
        elif row.value != value:
            row.value = value
            row.updated_at = utcnow()
    session.flush()
