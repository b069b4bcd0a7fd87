"""A workspace: one folder holding a city's configuration, metadata store, warehouse and scratch space.

::

    my-city/
      shuzhi.toml        configuration (see shuzhi.config)
      store.sqlite       metadata store, unless [store] url points at PostgreSQL
      warehouse/         Parquet versions of every resource
      tmp/               engine spill files and half-written outputs
      logs/              server and job logs

``Workspace.init(path)`` creates it and migrates the store; ``Workspace.open(path)`` (or
``Workspace.open()``, which finds one from ``$SHUZHI_WORKSPACE`` or the current folder upwards)
opens it without touching the store until it is used.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import shuzhi
from shuzhi import config as _cfg
from shuzhi import errors
from shuzhi.config import CONFIG_FILE

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from shuzhi.engine import Engine

__all__ = ["WORKSPACE_ENV", "Workspace"]

#: environment variable naming the workspace to use when none is given
WORKSPACE_ENV = "SHUZHI_WORKSPACE"

_DIRS = ("warehouse", "tmp", "logs")


class Workspace:
    """A shuzhi workspace. Create with :meth:`init`, open with :meth:`open`; close when done
    (or use it as a context manager)."""

    def __init__(self, path: str | os.PathLike[str], config: _cfg.Config) -> None:
        """Use :meth:`open` or :meth:`init`; this does no checks."""
        self._path = Path(path).resolve()
        self._config = config
        self._lock = threading.RLock()
        self._store: sa.Engine | None = None
        self._engine: Engine | None = None
        self._schema_checked = False

    def __repr__(self) -> str:
        return f"Workspace({str(self._path)!r})"

    # -- creating and opening ------------------------------------------------------------------

    @classmethod
    def init(
        cls,
        path: str | os.PathLike[str],
        *,
        store_url: str | None = None,
        name: str | None = None,
        force: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> Workspace:
        """Create a workspace at ``path``: folders, configuration and a migrated store.

        Refuses (:class:`~shuzhi.errors.Conflict`) when ``path`` already is a workspace, or when
        the store already belongs to another workspace, unless ``force`` — which rewrites the
        configuration (keeping the settings not given here) and migrates the store, but never
        deletes data. If anything fails, what this call created is removed again.
        """
        root = Path(path).expanduser().resolve()
        config_path = root / CONFIG_FILE
        if root.exists() and not root.is_dir():
            raise errors.ConfigError(f"不是文件夹 / not a folder: {root}")
        base = _cfg.Config()
        if config_path.exists():
            if not force:
                raise errors.Conflict(
                    f"工作区已存在 / a workspace already exists at {root} (use --force to re-initialise)"
                )
            with contextlib.suppress(errors.ConfigError):
                base = _cfg.load_config(config_path, env={})
        updates: dict[str, Any] = {}
        if name is not None or base.workspace.name is None:
            updates["workspace"] = _cfg.WorkspaceSettings(name=name or root.name)
        if store_url is not None:
            try:
                updates["store"] = _cfg.StoreSettings(url=store_url)
            except ValueError as e:  # pydantic's ValidationError is a ValueError
                raise errors.ConfigError(f"无效的数据库地址 / invalid store URL {store_url!r}: {e}") from None
        file_config = base.model_copy(update=updates)
        ws = cls(root, _cfg.apply_env(file_config, os.environ if env is None else env))

        store_file = ws._sqlite_file()
        folders = [root, *(root / d for d in _DIRS)]
        if store_file is not None:
            folders.append(store_file.parent)
        created: list[Path] = []
        try:
            for p in folders:
                if not p.exists():
                    p.mkdir(parents=True)
                    created.append(p)
            if store_file is not None and not store_file.exists():
                created.append(store_file)
            ws._create_store_contents(force=force)
            _cfg.save_config(file_config, config_path)
        except BaseException:
            ws.close()
            for p in reversed(created):
                _remove(p)
                if p == store_file:
                    for extra in ("-wal", "-shm", "-journal"):
                        _remove(p.with_name(p.name + extra))
            raise
        return ws

    @classmethod
    def open(
        cls, path: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None
    ) -> Workspace:
        """Open the workspace at ``path``, or the one :meth:`discover` finds.

        Reads and validates the configuration only; the store and engine are connected on first
        use. Opening the same folder twice gives two independent handles.
        """
        environ = os.environ if env is None else env
        root = cls.discover(env=environ) if path is None else Path(path).expanduser().resolve()
        config_file = root / CONFIG_FILE
        if not config_file.is_file():
            raise errors.WorkspaceNotFound(str(root))
        return cls(root, _cfg.load_config(config_file, env=environ))

    @staticmethod
    def discover(
        start: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None
    ) -> Path:
        """The workspace folder to use: ``$SHUZHI_WORKSPACE`` if set, else ``start`` (default: the
        current folder) or the nearest parent holding a ``shuzhi.toml``."""
        environ = os.environ if env is None else env
        named = environ.get(WORKSPACE_ENV, "")
        if named:
            root = Path(named).expanduser().resolve()
            if not (root / CONFIG_FILE).is_file():
                raise errors.WorkspaceNotFound(str(root))
            return root
        here = Path(start if start is not None else Path.cwd()).expanduser().resolve()
        for folder in (here, *here.parents):
            if (folder / CONFIG_FILE).is_file():
                return folder
        raise errors.WorkspaceNotFound(str(here))

    # -- what it is ----------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The workspace folder (absolute)."""
        return self._path

    @property
    def config(self) -> _cfg.Config:
        """The configuration in force: ``shuzhi.toml`` with environment overrides applied."""
        return self._config

    @property
    def config_path(self) -> Path:
        return self._path / CONFIG_FILE

    @property
    def name(self) -> str:
        return self._config.workspace.name or self._path.name

    @property
    def warehouse(self) -> Path:
        """The folder holding the Parquet versions."""
        return self._resolve(self._config.warehouse.path)

    @property
    def tmp(self) -> Path:
        return self._path / "tmp"

    @property
    def logs(self) -> Path:
        return self._path / "logs"

    @property
    def store_url(self) -> str:
        """The store's SQLAlchemy URL, relative SQLite paths made absolute (it may hold a password:
        show :func:`shuzhi.store.mask_url` of it instead)."""
        from sqlalchemy.engine import make_url

        url = make_url(self._config.store.url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            db = Path(url.database).expanduser()
            if not db.is_absolute():
                return url.set(database=str(self._path / db)).render_as_string(hide_password=False)
        return url.render_as_string(hide_password=False)

    def _resolve(self, p: str) -> Path:
        path = Path(p).expanduser()
        return path if path.is_absolute() else self._path / path

    def _sqlite_file(self) -> Path | None:
        from sqlalchemy.engine import make_url

        url = make_url(self.store_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(str(url.database))
        return None

    # -- the metadata store --------------------------------------------------------------------

    @property
    def store(self) -> sa.Engine:
        """The metadata store's SQLAlchemy engine (connected on first use)."""
        with self._lock:
            if self._store is None:
                from shuzhi.store import create_store

                self._store = create_store(self.store_url)
            return self._store

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A store session committed at the end of the block, rolled back on error.

        The first session checks that the store's schema is the one this shuzhi expects, and says
        to run ``shuzhi migrate`` if not.
        """
        from shuzhi.store import session_scope

        if not self._schema_checked:
            self.check_schema()
        with session_scope(self.store) as s:
            yield s

    def check_schema(self) -> str:
        """The store's schema revision; :class:`ConfigError` unless it is this version's head."""
        from shuzhi.store import head_revision, is_known_revision

        current, head = self._revision(), head_revision()
        if current != head:
            if current is None:
                raise errors.ConfigError(
                    f"元数据库未初始化 / the store is empty: run `shuzhi migrate` ({self._masked_url()})"
                )
            if not is_known_revision(current):
                raise errors.ConfigError(_newer_store(current, self._masked_url()))
            raise errors.ConfigError(
                f"元数据库版本不符 / the store's schema is at {current}, this shuzhi needs {head}: "
                f"run `shuzhi migrate` ({self._masked_url()})"
            )
        self._schema_checked = True
        return current

    def store_status(self) -> dict[str, Any]:
        """A cheap probe of the store: ``reachable``, ``revision``, ``head``, ``up_to_date``,
        ``error`` (why it is unreachable). Never raises."""
        from shuzhi.store import head_revision

        status: dict[str, Any] = {
            "reachable": False,
            "revision": None,
            "head": head_revision(),
            "error": None,
        }
        try:
            status["revision"] = self._revision()
            status["reachable"] = True
        except errors.ConfigError as e:
            status["error"] = _first_line(e.__cause__) if e.__cause__ is not None else e.message
        status["up_to_date"] = status["reachable"] and status["revision"] == status["head"]
        return status

    def migrate(self) -> str:
        """Upgrade the store's schema to head and record this shuzhi's version; return the revision."""
        from shuzhi.store import is_known_revision, session_scope, upgrade, write_meta

        file = self._sqlite_file()
        current = self._revision() if file is None or file.exists() else None  # a missing file: created
        if current is not None and not is_known_revision(current):
            raise errors.ConfigError(_newer_store(current, self._masked_url()))
        revision = upgrade(self.store)
        with session_scope(self.store) as s:
            write_meta(s, {"shuzhi_version": shuzhi.__version__})
        self._schema_checked = False
        assert revision is not None
        return revision

    def _revision(self) -> str | None:
        from shuzhi.store import current_revision

        file = self._sqlite_file()
        if file is not None and not file.exists():  # connecting would create an empty one
            raise errors.ConfigError(
                f"元数据库文件不存在 / the store file is missing: {file} (`shuzhi migrate` creates one)"
            )
        try:
            return current_revision(self.store)
        except Exception as e:
            raise errors.ConfigError(
                f"无法连接元数据库 / cannot reach the store {self._masked_url()}: {_first_line(e)}"
            ) from e

    def _masked_url(self) -> str:
        from shuzhi.store import mask_url

        return mask_url(self.store_url)

    def _create_store_contents(self, *, force: bool) -> None:
        from shuzhi.store import read_meta, session_scope, utcnow, write_meta

        meta: dict[str, str] = {}
        file = self._sqlite_file()
        if (file is None or file.exists()) and self._revision() is not None:  # an existing store: whose?
            with session_scope(self.store) as s:
                meta = read_meta(s)
        if "workspace_id" in meta and not force:
            raise errors.Conflict(
                f"元数据库已属于另一个工作区 / the store already belongs to workspace {meta['workspace_id']} "
                f"({self._masked_url()}); use --force to adopt it"
            )
        self.migrate()
        if "workspace_id" not in meta:
            with session_scope(self.store) as s:
                write_meta(
                    s,
                    {"workspace_id": str(uuid.uuid4()), "created_at": utcnow().isoformat(timespec="seconds")},
                )

    # -- the compute engine --------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The compute engine (``[engine]``), created on first use with its spill folder in ``tmp/``."""
        with self._lock:
            if self._engine is None:
                from shuzhi.engine import create_engine

                self._engine = create_engine(self._config.engine, base_dir=self._path)
            return self._engine

    # -- reporting -----------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """What ``shuzhi info`` shows: paths, store (password masked), schema, engine, sizes.

        Never raises for an unreachable store: ``store.reachable`` is False and ``store.error``
        says why.
        """
        from shuzhi.store import read_meta, session_scope

        store: dict[str, Any] = {"url": self._masked_url(), "dialect": _backend(self.store_url)}
        store.update(self.store_status())
        store["size_bytes"] = None
        meta: dict[str, str] = {}
        if store["reachable"]:
            try:
                store["size_bytes"] = self._store_size()
                if store["revision"] is not None:
                    with session_scope(self.store) as s:
                        meta = read_meta(s)
            except Exception as e:
                store["error"] = _first_line(e)
        engine = self._config.engine
        env_set = sorted(v for v in _env_names() if os.environ.get(v))
        return {
            "name": self.name,
            "id": meta.get("workspace_id"),
            "created_at": meta.get("created_at"),
            "path": str(self._path),
            "config_file": str(self.config_path),
            "env_overrides": env_set,
            "shuzhi_version": shuzhi.__version__,
            "store_written_by": meta.get("shuzhi_version"),
            "store": store,
            "warehouse": {"path": str(self.warehouse), **_du(self.warehouse)},
            "tmp": {"path": str(self.tmp), **_du(self.tmp)},
            "logs": {"path": str(self.logs), **_du(self.logs)},
            "engine": {
                "kind": engine.kind,
                "memory_limit": engine.memory_limit,
                "threads": engine.threads,
                "temp_dir": str(self._resolve(engine.temp_dir)),
            },
            "server": {"host": self._config.server.host, "port": self._config.server.port},
            "language": self._config.ui.language,
        }

    def _store_size(self) -> int | None:
        import sqlalchemy as sa

        file = self._sqlite_file()
        if file is not None:
            return sum(p.stat().st_size for p in (file, file.with_name(file.name + "-wal")) if p.exists())
        if _backend(self.store_url) == "postgresql":
            with self.store.connect() as con:
                size = con.execute(sa.text("SELECT pg_database_size(current_database())")).scalar()
            return int(size) if size is not None else None
        return None

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        """Release the engine and the store's connections. The workspace may be used again
        afterwards (they are created anew)."""
        with self._lock:
            engine, self._engine = self._engine, None
            store, self._store = self._store, None
            self._schema_checked = False
        if engine is not None:
            engine.close()
        if store is not None:
            store.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _newer_store(revision: str, url: str) -> str:
    return (
        f"元数据库由更新版本的 shuzhi 创建 / the store is at schema {revision}, written by a newer shuzhi "
        f"than {shuzhi.__version__}: upgrade shuzhi ({url})"
    )


def _env_names() -> list[str]:
    from shuzhi.config import env_vars

    return list(env_vars())


def _backend(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).get_backend_name()


def _first_line(e: BaseException) -> str:
    text = str(getattr(e, "orig", None) or e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _du(path: Path) -> dict[str, int]:
    """Bytes and files under ``path`` (0 if it does not exist)."""
    size = files = 0
    seen: set[tuple[int, int]] = set()
    if path.is_dir():
        for root, _dirs, names in os.walk(path):
            for n in names:
                with contextlib.suppress(OSError):
                    st = (Path(root) / n).lstat()
                    files += 1
                    if st.st_nlink > 1:  # a file hard-linked twice (registry runs) counts once
                        if (st.st_dev, st.st_ino) in seen:
                            continue
                        seen.add((st.st_dev, st.st_ino))
                    size += st.st_size
    return {"size_bytes": size, "files": files}


def _remove(p: Path) -> None:
    if p.is_dir():
        shutil.rmtree(p, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
