"""SQL forms of the standards: DuckDB macros that can also be inlined as plain expressions.

Each standards module declares its SQL form with :func:`macro` (a scalar macro, written in
DuckDB's dialect with named parameters) and, where a check needs reference data, with
:func:`lookup_table` (rows supplied by a Python callable, created once per connection).

* :func:`install` creates every lookup table and macro on a DuckDB connection, so ad-hoc SQL
  can call ``sz_idcard_check(id)``.
* :func:`expand` inlines every ``sz_*`` macro call of an expression, recursively, giving
  plain SQL that sqlglot can transpile to another engine (Spark) where macros do not exist.

Naming: macros are ``sz_<kind>_<what>``; every checkable kind has ``sz_<kind>_check(s)``
returning ``STRUCT(valid BOOLEAN, normalized VARCHAR, reason VARCHAR, notes VARCHAR[], parts
STRUCT(...))``, the SQL twin of :class:`shuzhi.standards.Verdict`.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp

__all__ = [
    "CACHE_ENV",
    "MACROS",
    "TABLES",
    "LookupTable",
    "SqlMacro",
    "data_generation",
    "disk_cacheable",
    "expand",
    "install",
    "lookup_table",
    "macro",
    "registry_version",
]


@dataclass(frozen=True, slots=True)
class SqlMacro:
    name: str
    params: tuple[str, ...]
    body: str
    doc: str

    def create_sql(self) -> str:
        return f"CREATE OR REPLACE MACRO {self.name}({', '.join(self.params)}) AS ({self.body})"


@dataclass(frozen=True, slots=True)
class LookupTable:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, duckdb type)
    rows: Callable[[], Iterable[Sequence[Any]]]
    doc: str


MACROS: dict[str, SqlMacro] = {}
TABLES: dict[str, LookupTable] = {}
_state = {"version": 0}  # bumped on every declaration, so cached installs know they are stale


def registry_version() -> int:
    """A number that changes whenever a macro or lookup table is declared or replaced."""
    return _state["version"]


def macro(name: str, params: Sequence[str], body: str, doc: str = "", *, replace: bool = False) -> SqlMacro:
    """Declare a scalar SQL macro. ``body`` is one DuckDB expression over ``params``.

    ``replace=True`` redeclares an existing macro (e.g. after reference data was updated).
    """
    if not name.startswith("sz_"):
        raise ValueError(f"standards macros are named sz_*: {name}")
    m = SqlMacro(name, tuple(params), body.strip(), doc)
    if name in MACROS and MACROS[name] != m and not replace:
        raise ValueError(f"macro declared twice: {name}")
    if MACROS.get(name) != m:
        MACROS[name] = m
        _state["version"] += 1
    return m


def lookup_table(
    name: str, columns: Sequence[tuple[str, str]], rows: Callable[[], Iterable[Sequence[Any]]], doc: str = ""
) -> LookupTable:
    """Declare a reference table (e.g. division codes) that macros may query."""
    t = LookupTable(name, tuple(columns), rows, doc)
    TABLES[name] = t
    _state["version"] += 1
    return t


def _load_all() -> None:
    # importing the package registers every module's macros and tables
    import shuzhi.standards  # noqa: F401


def data_generation(hook: Callable[[], object]) -> None:
    """Register ``hook``: a value that changes whenever the rows of some lookup table change
    without a new declaration (e.g. :func:`shuzhi.standards.divisions.generation` after
    ``load_updates``). :func:`install` rebuilds its cached tables when any hook's value moves."""
    _generations.append(hook)


_generations: list[Callable[[], object]] = []
#: the lookup tables as Arrow tables, built once per process: (registry version, data
#: generations) -> table name -> rows. Building them from Python took about 1.5 CPU-s per
#: connection, paid by every new engine (each load, each test workspace)
_arrow_cache: dict[tuple[object, ...], dict[str, Any]] = {}
_arrow_lock = threading.Lock()


def _arrow_table(t: LookupTable) -> Any:
    key = (registry_version(), *(hook() for hook in _generations))
    with _arrow_lock:
        tables = _arrow_cache.get(key)
        if tables is None:
            _arrow_cache.clear()
            tables = _arrow_cache[key] = {}
        table = tables.get(t.name)
        if table is None:
            table = tables[t.name] = _disk_cached(t)
    return table


def _build_arrow(t: LookupTable) -> Any:
    import pyarrow as pa

    cols = [c for c, _ in t.columns]
    data = list(t.rows())
    arrays = [pa.array([r[i] for r in data]) if data else pa.array([], pa.string()) for i in range(len(cols))]
    return pa.Table.from_arrays(arrays, names=cols)


# -- the lookup tables cached on disk, across processes ----------------------------------------
#
# Each new process (a CLI command, a test run) used to rebuild the tables from the package data,
# OpenCC and pypinyin: about 1.5 CPU-s. They are kept as Arrow IPC files under the user cache
# (``$SHUZHI_CACHE_DIR``, else ``$XDG_CACHE_HOME/shuzhi`` or ``~/.cache/shuzhi``; set
# SHUZHI_CACHE_DIR to ``off`` to disable), in a folder named after a digest of everything the
# rows come from: the standards package's code and data files and the versions of OpenCC and
# pypinyin. Tables whose data can change at run time (division updates) are cached only while
# their module says the data are the shipped ones (:func:`disk_cacheable`).

CACHE_ENV = "SHUZHI_CACHE_DIR"
_cacheable: list[Callable[[], bool]] = []


def disk_cacheable(hook: Callable[[], bool]) -> None:
    """Register ``hook``: False while some lookup table's rows differ from what the package's own
    files give (e.g. division updates applied), so that they are not cached on disk."""
    _cacheable.append(hook)


def _cache_root() -> Any:
    import os
    from pathlib import Path

    value = os.environ.get(CACHE_ENV)
    if value is not None:
        return None if value.strip().lower() in ("", "0", "off", "no", "false") else Path(value)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "shuzhi"


@functools.cache
def _source_digest() -> str:
    import hashlib
    from importlib import metadata
    from pathlib import Path

    h = hashlib.sha256()
    pkg = Path(__file__).resolve().parent
    for path in sorted(pkg.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            h.update(str(path.relative_to(pkg)).encode() + b"\0" + path.read_bytes() + b"\0")
    for dist in ("opencc", "pypinyin", "pyarrow"):
        try:
            h.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{dist}=-".encode())
    return h.hexdigest()[:24]


def _disk_cached(t: LookupTable) -> Any:
    """The table's Arrow form: read from the disk cache, or built and stored there."""
    import os

    import pyarrow as pa

    shipped = getattr(t.rows, "__module__", "") or ""
    root = _cache_root() if shipped.startswith("shuzhi.standards") else None
    if root is None or not all(hook() for hook in _cacheable):
        return _build_arrow(t)
    try:
        path = root / f"lookup-{_source_digest()}" / f"{t.name}.arrow"
    except OSError:
        return _build_arrow(t)
    columns = "|".join(f"{c} {typ}" for c, typ in t.columns)
    try:
        with pa.memory_map(str(path)) as src:
            table = pa.ipc.open_file(src).read_all()
        if (table.schema.metadata or {}).get(b"sz_columns") == columns.encode():
            return table
    except (OSError, pa.ArrowException):
        pass
    table = _build_arrow(t)
    table = table.replace_schema_metadata({"sz_columns": columns})
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return table


def install(con: Any, *, replace: bool = False) -> None:
    """Create every lookup table and macro on the DuckDB connection ``con``."""
    _load_all()
    existing = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    for t in TABLES.values():
        if t.name in existing and not replace:
            continue
        con.register("_sz_tmp_lookup", _arrow_table(t))
        select = ", ".join(f'CAST("{c}" AS {typ}) AS "{c}"' for c, typ in t.columns)
        con.execute(f"CREATE OR REPLACE TABLE {t.name} AS SELECT {select} FROM _sz_tmp_lookup")
        con.unregister("_sz_tmp_lookup")
    for m in _in_dependency_order():
        con.execute(m.create_sql())


_CALL = re.compile(r"\b(sz_[A-Za-z0-9_]+)\s*\(")


@functools.cache
def _called_functions(body: str) -> frozenset[str]:
    # every sz_*( in the body: a superset of the macros it calls (parsing the 65 bodies with
    # sqlglot took over a second), enough to order the CREATE MACRO statements
    return frozenset(name.lower() for name in _CALL.findall(body))


def _called_macros(body: str) -> set[str]:
    return {n for n in _called_functions(body) if n in MACROS}


_order_cache: dict[int, list[SqlMacro]] = {}


def _in_dependency_order() -> list[SqlMacro]:
    version = registry_version()
    if version not in _order_cache:
        _order_cache.clear()
        _order_cache[version] = _compute_order()
    return _order_cache[version]


def _compute_order() -> list[SqlMacro]:
    done: dict[str, SqlMacro] = {}

    def visit(name: str, stack: tuple[str, ...]) -> None:
        if name in done:
            return
        if name in stack:
            raise ValueError(f"macro cycle: {' -> '.join((*stack, name))}")
        for dep in sorted(_called_macros(MACROS[name].body)):
            visit(dep, (*stack, name))
        done[name] = MACROS[name]

    for name in sorted(MACROS):
        visit(name, ())
    return list(done.values())


def expand(sql: str, *, read: str = "duckdb", write: str = "duckdb") -> str:
    """Inline every ``sz_*`` macro call in the SQL expression or statement ``sql``.

    The result contains no macro calls (only lookup-table subqueries where a macro uses them),
    and is written in the ``write`` dialect through sqlglot. Inlining is textual, so a column
    passed to a macro must not share a name with an alias inside its body: that raises a
    ``ValueError`` naming the column (rename it, e.g. with a ``in_`` prefix).
    """
    _load_all()
    tree = sqlglot.parse_one(sql, read=read)
    return str(_expand_tree(tree).sql(dialect=write))


def _binding_names(body: Any) -> set[str]:
    """Names the body binds and a column could resolve to: table and column aliases, lambda
    parameters, CTE names (struct keys and field names bind nothing)."""
    names: set[str] = set()
    for node in body.find_all(exp.TableAlias):
        names.add(node.name.lower())
        names.update(c.name.lower() for c in node.columns)
    for node in body.find_all(exp.Alias):
        names.add(node.alias.lower())
    for node in body.find_all(exp.Lambda):
        names.update(e.name.lower() for e in node.expressions)
    names.discard("")
    return names


def _refuse_capture(m: SqlMacro, body: Any, args: list[Any]) -> None:
    """Inlining is textual: a column of an argument named like an alias inside the macro body
    would be bound to that alias instead of the caller's column. Say so instead of producing
    SQL that silently reads the wrong value."""
    inside = _binding_names(body) - {p.lower() for p in m.params}
    for arg in args:
        for col in arg.find_all(exp.Column):
            for name in (col.name, col.table):
                if name and name.lower() in inside:
                    raise ValueError(
                        f"cannot inline {m.name}: its argument uses the name {name!r}, which the macro "
                        f"also uses inside; rename the column first, e.g. SELECT {name} AS in_{name}"
                    )


def _expand_tree(tree: Any) -> Any:
    # sqlglot's node base class changed name across versions (Expression / Expr): keep it Any
    def replace(node: Any) -> Any:
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in MACROS:
            m = MACROS[str(node.this).lower()]
            args = [_expand_tree(a) for a in node.expressions]
            if len(args) != len(m.params):
                raise ValueError(f"{m.name} takes {len(m.params)} argument(s), got {len(args)}")
            body = _expand_tree(sqlglot.parse_one(m.body, read="duckdb"))
            mapping = dict(zip(m.params, args, strict=True))
            _refuse_capture(m, body, args)

            def bind(n: Any) -> Any:
                if isinstance(n, exp.Column) and not n.table and n.name in mapping:
                    arg = mapping[n.name].copy()
                    simple = isinstance(arg, exp.Column | exp.Literal | exp.Paren | exp.Null | exp.Boolean)
                    return arg if simple else exp.Paren(this=arg)
                return n

            return exp.Paren(this=body.transform(bind))
        return node

    return tree.transform(replace)
