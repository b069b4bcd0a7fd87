"""The metadata store on SQLite and PostgreSQL: migrations, departments, constraints, types."""

from __future__ import annotations

import datetime as dt
import importlib.resources
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import shuzhi.store as store
from shuzhi.errors import ConfigError, Conflict
from shuzhi.store import (
    Base,
    Department,
    DepartmentHistory,
    JSONDocument,
    UTCDateTime,
    create_store,
    current_revision,
    downgrade,
    head_revision,
    is_known_revision,
    mask_passwords,
    mask_url,
    read_meta,
    session_scope,
    upgrade,
    utcnow,
    write_meta,
)

TABLES = {
    "workspace_meta",
    "departments",
    "resources",
    "resource_fields",
    "resource_history",
    "resource_versions",
    "ingest_jobs",
    "quality_runs",
    "quality_results",
    "quality_department_scores",
    "registry_runs",
    "registry_ids",
    "registry_history",
    "registry_reviews",
}


@pytest.fixture
def engine(store_url: str) -> Iterator[sa.Engine]:
    e = create_store(store_url)
    yield e
    e.dispose()


@pytest.fixture
def migrated(engine: sa.Engine) -> sa.Engine:
    upgrade(engine)
    return engine


def test_public_api_is_pinned() -> None:
    assert store.__all__ == sorted(store.__all__)
    assert set(store.__all__) == {
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
    }


def test_migrations_ship_inside_the_package() -> None:
    root = importlib.resources.files("shuzhi.store") / "migrations"
    assert (root / "env.py").is_file()
    assert (root / "script.py.mako").is_file()
    assert any(p.name.endswith(".py") for p in (root / "versions").iterdir())


def test_upgrade_and_downgrade(engine: sa.Engine) -> None:
    assert current_revision(engine) is None
    assert upgrade(engine) == head_revision() == current_revision(engine)
    assert TABLES <= set(sa.inspect(engine).get_table_names())

    assert downgrade(engine, "base") is None
    assert not TABLES & set(sa.inspect(engine).get_table_names())

    assert upgrade(engine) == head_revision()  # and up again, from nothing
    assert upgrade(engine) == head_revision()  # idempotent


def test_departments_made_before_their_history_get_a_first_revision(engine: sa.Engine) -> None:
    assert upgrade(engine, "0005") == "0005"
    with engine.begin() as con:
        con.execute(sa.text("INSERT INTO departments (code, name) VALUES ('JC', '晋城市人民政府')"))
        con.execute(
            sa.text("INSERT INTO departments (code, name, parent_code) VALUES ('JC-GA', '公安局', 'JC')")
        )
    assert upgrade(engine) == head_revision()
    with session_scope(engine) as s:
        rows = s.scalars(sa.select(DepartmentHistory).order_by(DepartmentHistory.department_code)).all()
        made = {d.code: d.created_at for d in s.scalars(sa.select(Department))}
        got = [(h.department_code, h.revision, h.action, h.spec["parent"], h.changed_at) for h in rows]
    assert got == [("JC", 1, "created", None, made["JC"]), ("JC-GA", 1, "created", "JC", made["JC-GA"])]
    assert downgrade(engine, "0005") == "0005"
    assert "department_history" not in sa.inspect(engine).get_table_names()


def test_known_revisions() -> None:
    assert is_known_revision(head_revision())
    assert not is_known_revision("ffff")


def test_constraint_names_follow_the_convention(migrated: sa.Engine) -> None:
    insp = sa.inspect(migrated)
    assert insp.get_pk_constraint("departments")["name"] in (
        "pk_departments",
        None,
    )  # SQLite forgets PK names
    assert [u["name"] for u in insp.get_unique_constraints("departments")] == ["uq_departments_code"]
    assert [f["name"] for f in insp.get_foreign_keys("departments")] == [
        "fk_departments_parent_code_departments"
    ]
    indexes = [i["name"] for i in insp.get_indexes("departments") if not i.get("duplicates_constraint")]
    assert indexes == ["ix_departments_parent_code"]
    assert [c["name"] for c in insp.get_check_constraints("departments")] == ["ck_departments_code_not_empty"]


def test_models_match_migrations(migrated: sa.Engine) -> None:
    """A model changed without a migration (or the reverse) shows up here."""
    with migrated.connect() as con:
        diff = compare_metadata(MigrationContext.configure(con, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_departments_round_trip(migrated: sa.Engine) -> None:
    before = utcnow()
    with session_scope(migrated) as s:
        s.add(Department(code="JC-GA", name="晋城市公安局", name_en="Jincheng Public Security Bureau"))
        s.flush()
        s.add(Department(code="JC-GA-HZ", name="户政科", parent_code="JC-GA"))
    with session_scope(migrated) as s:
        rows = s.scalars(sa.select(Department).order_by(Department.code)).all()
    assert [(d.code, d.name, d.name_en, d.parent_code) for d in rows] == [
        ("JC-GA", "晋城市公安局", "Jincheng Public Security Bureau", None),
        ("JC-GA-HZ", "户政科", None, "JC-GA"),
    ]
    for d in rows:
        assert d.id is not None
        assert d.created_at.tzinfo is not None and d.created_at.utcoffset() == dt.timedelta(0)
        assert before - dt.timedelta(seconds=5) <= d.created_at <= utcnow() + dt.timedelta(seconds=5)


def test_server_default_timestamps_are_utc(migrated: sa.Engine) -> None:
    """Rows written by plain SQL (another tool, a migration) get a created_at too."""
    with migrated.begin() as con:
        con.execute(sa.text("INSERT INTO departments (code, name) VALUES ('JC-MZ', '民政局')"))
    with session_scope(migrated) as s:
        d = s.scalars(sa.select(Department)).one()
    assert d.created_at.utcoffset() == dt.timedelta(0)
    assert abs(d.created_at - utcnow()) < dt.timedelta(minutes=5)


def test_duplicate_code_is_a_conflict_and_nothing_is_kept(migrated: sa.Engine) -> None:
    with session_scope(migrated) as s:
        s.add(Department(code="JC-GA", name="公安局"))
    with pytest.raises(Conflict) as err, session_scope(migrated) as s:
        s.add(Department(code="JC-SJ", name="审计局"))
        s.add(Department(code="JC-GA", name="公安局（重复）"))
    text = err.value.message
    assert "conflicts with existing data" in text
    assert "uq_departments_code" in text or "departments.code" in text
    assert isinstance(err.value.__cause__, sa.exc.IntegrityError)
    with session_scope(migrated) as s:
        assert s.scalars(sa.select(Department.code)).all() == ["JC-GA"]  # JC-SJ rolled back with it


def test_unknown_parent_is_a_conflict(migrated: sa.Engine) -> None:
    """Foreign keys hold on SQLite too (the connection turns them on)."""
    with (
        pytest.raises(Conflict, match=r"fk_departments_parent_code_departments|FOREIGN KEY"),
        session_scope(migrated) as s,
    ):
        s.add(Department(code="JC-X-1", name="某科", parent_code="JC-X"))


def test_parent_cannot_be_deleted_while_it_has_children(migrated: sa.Engine) -> None:
    with session_scope(migrated) as s:
        s.add(Department(code="JC-GA", name="公安局"))
        s.flush()
        s.add(Department(code="JC-GA-1", name="一科", parent_code="JC-GA"))
    with pytest.raises(Conflict), session_scope(migrated) as s:
        s.delete(s.scalars(sa.select(Department).where(Department.code == "JC-GA")).one())


def test_empty_code_is_refused(migrated: sa.Engine) -> None:
    with pytest.raises(Conflict), session_scope(migrated) as s:
        s.add(Department(code="", name="无编码"))


def test_workspace_meta(migrated: sa.Engine) -> None:
    with session_scope(migrated) as s:
        write_meta(s, {"workspace_id": "abc", "shuzhi_version": "0.1.0"})
    with session_scope(migrated) as s:
        write_meta(s, {"shuzhi_version": "0.2.0"})
    with session_scope(migrated) as s:
        assert read_meta(s) == {"workspace_id": "abc", "shuzhi_version": "0.2.0"}


def test_portable_types(engine: sa.Engine) -> None:
    md = sa.MetaData()
    t = sa.Table(
        "portable",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime),
        sa.Column("doc", JSONDocument),
    )
    md.create_all(engine)
    beijing = dt.timezone(dt.timedelta(hours=8))
    local = dt.datetime(2024, 3, 1, 9, 30, tzinfo=beijing)
    doc = {"名称": "晋城", "codes": [140500, 140502], "nested": {"ok": True}}
    with engine.begin() as con:
        con.execute(t.insert().values(id=1, at=local, doc=doc))
        row = con.execute(sa.select(t.c.at, t.c.doc)).one()
    assert row.at == local and row.at.tzinfo == dt.UTC and row.at.hour == 1
    assert row.doc == doc
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), engine.begin() as con:
        con.execute(t.insert().values(id=2, at=dt.datetime(2024, 3, 1)))
    md.drop_all(engine)


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path: object) -> None:
    e = create_store(f"sqlite:///{tmp_path}/s.sqlite")
    with e.connect() as con:
        assert con.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert con.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    e.dispose()


def test_sqlite_migrations_are_transactional(tmp_path: object) -> None:
    """A failing statement inside a transaction undoes the DDL before it (SQLite too)."""
    e = create_store(f"sqlite:///{tmp_path}/s.sqlite")
    with pytest.raises(sa.exc.OperationalError), e.begin() as con:
        con.exec_driver_sql("CREATE TABLE t1 (a INTEGER)")
        con.exec_driver_sql("CREATE TABLE broken (")
    assert "t1" not in sa.inspect(e).get_table_names()
    e.dispose()


def test_in_memory_sqlite_is_one_database(tmp_path: object) -> None:
    e = create_store("sqlite://")
    upgrade(e)
    with session_scope(e) as s:
        s.add(Department(code="A", name="甲"))
    with session_scope(e) as s:
        assert s.scalars(sa.select(Department.code)).all() == ["A"]
    e.dispose()


def test_create_store_urls() -> None:
    assert create_store("postgresql://u:secret@db.example/x").url.drivername == "postgresql+psycopg"
    assert create_store("postgres://u@db.example/x").url.drivername == "postgresql+psycopg"
    with pytest.raises(ConfigError, match="unsupported"):
        create_store("mysql://u@h/db")
    with pytest.raises(ConfigError, match="psycopg"):
        create_store("postgresql+psycopg2://u@h/db")
    with pytest.raises(ConfigError, match="invalid store URL"):
        create_store("not a url")


def test_mask_url() -> None:
    assert (
        mask_url("postgresql+psycopg://shuzhi:s3cret@db:5432/city")
        == "postgresql+psycopg://shuzhi:***@db:5432/city"
    )
    assert mask_url("sqlite:////tmp/x.sqlite") == "sqlite:////tmp/x.sqlite"
    # an unescaped @ in the password: SQLAlchemy's own masking left the rest of it showing
    assert mask_url("postgresql://u:sec@ret@db/city") == "postgresql://u:***@db/city"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("文件不存在: postgresql:/u:secret@db:5432/x", "文件不存在: postgresql:/u:***@db:5432/x"),  # mistyped
        (
            "mysql+pymysql://root:pw@h/db and sqlite:///a.db",
            "mysql+pymysql://root:***@h/db and sqlite:///a.db",
        ),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("no URL: a:b@c", "no URL: a:b@c"),
    ],
)
def test_mask_passwords_in_any_text(text: str, masked: str) -> None:
    assert mask_passwords(text) == masked
