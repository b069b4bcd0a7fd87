"""The metadata store: SQLAlchemy 2 models and Alembic migrations, on SQLite or PostgreSQL.

Every domain package declares its tables on :class:`Base` (whose naming convention keeps
constraint names the same on both databases) using the portable types :class:`UTCDateTime` and
:data:`JSONDocument`, and adds a migration in ``shuzhi/store/migrations/versions``.

::

    engine = create_store("sqlite:///store.sqlite")      # or postgresql+psycopg://...
    upgrade(engine)                                      # to head
    with session_scope(engine) as s:
        s.add(Department(code="JC-GA", name="晋城市公安局"))
"""

from shuzhi.store._base import Base, JSONDocument, UTCDateTime, utcnow
from shuzhi.store._catalog import Resource, ResourceField, ResourceHistory
from shuzhi.store._engine import create_store, mask_passwords, mask_url, session_scope
from shuzhi.store._meta import read_meta, write_meta
from shuzhi.store._migrate import (
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    is_known_revision,
    upgrade,
)
from shuzhi.store._models import Department, DepartmentHistory, WorkspaceMeta
from shuzhi.store._quality import QualityDepartmentScore, QualityResult, QualityRun
from shuzhi.store._registry import RegistryEvent, RegistryIdentifier, RegistryReview, RegistryRun
from shuzhi.store._versions import IngestJob, ResourceVersion

__all__ = [
    "Base",
    "Department",
    "DepartmentHistory",
    "IngestJob",
    "JSONDocument",
    "QualityDepartmentScore",
    "QualityResult",
    "QualityRun",
    "RegistryEvent",
    "RegistryIdentifier",
    "RegistryReview",
    "RegistryRun",
    "Resource",
    "ResourceField",
    "ResourceHistory",
    "ResourceVersion",
    "UTCDateTime",
    "WorkspaceMeta",
    "alembic_config",
    "create_store",
    "current_revision",
    "downgrade",
    "head_revision",
    "is_known_revision",
    "mask_passwords",
    "mask_url",
    "read_meta",
    "session_scope",
    "upgrade",
    "utcnow",
    "write_meta",
]
