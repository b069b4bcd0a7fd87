"""The catalog's operations over a workspace: declare, read, list, search, retire, history.

Every change to an entry is a new *revision*: the entry's ``revision`` goes up by one and a
``resource_history`` row keeps the declaration as it became, what changed (``{"fields[2].required":
[old, new]}``), who and when. Declaring an unchanged entry writes nothing.

Declarations come from YAML files (errors name ``file:line key``), from a
:class:`~shuzhi.catalog.spec.CatalogFile`, or one :class:`ResourceSpec` / :class:`DepartmentSpec`
(the API and the CLI's ``catalog new``). A declaration is checked as a whole before anything is
written, and written in one transaction: all of it or nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shuzhi import errors
from shuzhi._yaml import YamlDocument, load_model, load_yaml, validate_model
from shuzhi.catalog._search import MARK, normalize_query, search_text
from shuzhi.catalog.spec import (
    STANDARDS,
    CatalogFile,
    DepartmentSpec,
    FieldSpec,
    OpenType,
    ResourceKind,
    ResourceSpec,
    SecurityGrade,
    SharingType,
    _Labelled,
    label,
)
from shuzhi.store import (
    Department,
    DepartmentHistory,
    QualityRun,
    Resource,
    ResourceField,
    ResourceHistory,
    utcnow,
)
from shuzhi.workspace import Workspace

__all__ = [
    "RESOURCE",
    "CatalogEntry",
    "DeclareReport",
    "DepartmentEntry",
    "HistoryEntry",
    "Source",
    "declare",
    "declare_text",
    "export_catalog",
    "get_resource",
    "history",
    "list_departments",
    "list_resources",
    "load_catalog_file",
    "restore",
    "retire",
    "search",
]

#: the kind named by NotFound for a missing resource
RESOURCE = "资源 / resource"
DEPARTMENT = "部门 / department"

#: what :func:`declare` accepts: a YAML file's path, a parsed file, or one spec
Source = CatalogFile | ResourceSpec | DepartmentSpec | str | os.PathLike[str]

#: most entries one search returns
MAX_LIMIT = 1000

#: the part of a field whose change alters the versions' columns
_STRUCTURAL = ("name", "type", "scale", "key")

_BY_LENGTH = 100


# -- what the operations return ------------------------------------------------------------------


def _iso(t: dt.datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


@dataclasses.dataclass(frozen=True)
class CatalogEntry:
    """A resource as the catalog holds it: its declaration and its bookkeeping."""

    spec: ResourceSpec
    revision: int
    current_version: int | None
    department_name: str
    created_at: dt.datetime
    updated_at: dt.datetime
    retired_at: dt.datetime | None = None
    updated_by: str | None = None
    created_by: str | None = None

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def retired(self) -> bool:
        return self.retired_at is not None

    def labels(self, lang: str = "zh") -> dict[str, Any]:
        """The labels of the entry's enumerated values in ``lang``."""
        s = self.spec
        return {
            "kind": label(s.kind, lang),
            "format": label(s.format, lang),
            "sharing_type": label(s.sharing.type, lang),
            "open_type": label(s.open.type, lang),
            "update_cycle": label(s.update_cycle, lang),
            "security_grade": label(s.security_grade, lang),
            "fields": [
                {"type": label(f.type, lang), "personal_info": label(f.personal_info, lang)} for f in s.fields
            ],
        }

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        """The declaration (JSON form) plus ``department_name``, ``labels`` in ``lang`` and the
        bookkeeping (revision, current version, times, who)."""
        d = self.spec.model_dump(mode="json")
        d.update(
            department_name=self.department_name,
            labels=self.labels(lang),
            revision=self.revision,
            current_version=self.current_version,
            retired=self.retired,
            created_at=_iso(self.created_at),
            updated_at=_iso(self.updated_at),
            retired_at=_iso(self.retired_at),
            created_by=self.created_by,
            updated_by=self.updated_by,
        )
        return d


#: the declaration a revision keeps: a resource's or a department's
SpecT = TypeVar("SpecT", ResourceSpec, DepartmentSpec)
_HistoryT = TypeVar("_HistoryT", ResourceHistory, DepartmentHistory)


@dataclasses.dataclass(frozen=True)
class HistoryEntry(Generic[SpecT]):
    """One revision of a catalog entry or a department: ``action`` is created | updated | retired |
    restored (a department's: created | updated); ``changes`` maps a path (``fields[2].required``,
    ``name``) to ``[old, new]``; ``spec`` is the declaration as it was after the change."""

    revision: int
    action: str
    changes: dict[str, Any]
    changed_by: str | None
    changed_at: dt.datetime
    comment: str | None
    spec: SpecT

    def to_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "action": self.action,
            "changes": self.changes,
            "changed_by": self.changed_by,
            "changed_at": _iso(self.changed_at),
            "comment": self.comment,
            "spec": self.spec.model_dump(mode="json"),
        }


@dataclasses.dataclass(frozen=True)
class DepartmentEntry:
    """A department and how many (unretired) resources it provides."""

    code: str
    name: str
    name_en: str | None
    parent: str | None
    resources: int
    created_at: dt.datetime

    @property
    def spec(self) -> DepartmentSpec:
        return DepartmentSpec(code=self.code, name=self.name, name_en=self.name_en, parent=self.parent)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "name_en": self.name_en,
            "parent": self.parent,
            "resources": self.resources,
            "created_at": _iso(self.created_at),
        }


@dataclasses.dataclass
class DeclareReport:
    """What :func:`declare` did: resource codes created, updated (a new revision) and unchanged;
    department codes created and updated; the revision of every declared resource; warnings."""

    created: list[str] = dataclasses.field(default_factory=list)
    updated: list[str] = dataclasses.field(default_factory=list)
    unchanged: list[str] = dataclasses.field(default_factory=list)
    departments_created: list[str] = dataclasses.field(default_factory=list)
    departments_updated: list[str] = dataclasses.field(default_factory=list)
    revisions: dict[str, int] = dataclasses.field(default_factory=dict)
    warnings: list[str] = dataclasses.field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.departments_created or self.departments_updated)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# -- loading ------------------------------------------------------------------------------------


def load_catalog_file(path: str | os.PathLike[str]) -> CatalogFile:
    """A catalog YAML file as a validated :class:`CatalogFile`; every problem is reported at once
    as ``file:line key: message`` in a :class:`~shuzhi.errors.ValidationError`.

    Only what the file alone can tell is checked here; :func:`declare` also checks it against the
    store (unknown departments and related resources).
    """
    return load_model(CatalogFile, path)


@dataclasses.dataclass
class _Part:
    """One source of a declaration, with the document its lines come from (if a file)."""

    catalog: CatalogFile
    doc: YamlDocument | None = None
    #: declared as one spec (API, ``catalog new``): problems are keyed by the spec's own keys
    _single: bool = False

    def where(self, *loc: str | int) -> str:
        """``file:line key`` of ``loc`` in the file, or the key alone."""
        key = ""
        for part in loc:
            key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
        if self.doc is None:
            if self._single:  # one spec: its own keys
                return key.removeprefix("resources[0].").removeprefix("departments[0].")
            return key
        line = self.doc.line(loc)
        return f"{self.doc.file}:{line} {key}" if line is not None else f"{self.doc.file} {key}"


def _part(source: Source) -> _Part:
    if isinstance(source, CatalogFile):
        return _Part(source)
    if isinstance(source, ResourceSpec):
        return _Part(CatalogFile(resources=[source]), _single=True)
    if isinstance(source, DepartmentSpec):
        return _Part(CatalogFile(departments=[source]), _single=True)
    if isinstance(source, str | os.PathLike):
        doc = load_yaml(source)
        return _Part(validate_model(CatalogFile, doc), doc)
    raise TypeError(f"cannot declare {type(source).__name__}")


def _parts(source: Source | Sequence[Source]) -> list[_Part]:
    if isinstance(source, str | os.PathLike | CatalogFile | ResourceSpec | DepartmentSpec):
        return [_part(source)]
    problems: dict[str, list[str]] = {}
    parts: list[_Part] = []
    for s in source:  # every file's problems at once
        try:
            parts.append(_part(s))
        except errors.ValidationError as e:
            for k, v in e.errors.items():
                problems.setdefault(k, []).extend(v)
    if problems:
        raise errors.ValidationError(problems)
    return parts


def declare_text(
    ws: Workspace, text: str, *, name: str = "request", by: str | None = None, comment: str | None = None
) -> DeclareReport:
    """Declare the catalog YAML ``text`` (e.g. an HTTP request body); errors name ``name:line key``."""
    doc = load_yaml(name, text=text)
    part = _Part(validate_model(CatalogFile, doc), doc)
    with ws.session() as s:
        return _declare(s, [part], by=by, comment=comment)


# -- declaring ----------------------------------------------------------------------------------


def declare(
    ws: Workspace,
    source: Source | Sequence[Source],
    *,
    by: str | None = None,
    comment: str | None = None,
) -> DeclareReport:
    """Create or update departments, then resources, from ``source`` (a YAML file's path, a
    :class:`CatalogFile`, one :class:`ResourceSpec` or :class:`DepartmentSpec`, or a list of these
    declared together), in one transaction.

    Refuses (:class:`~shuzhi.errors.ValidationError`, naming ``file:line key`` for files, every
    problem at once) a resource or department declared twice with different content, a
    department code that is neither declared nor in the store, a related resource that does not
    exist, a cycle of parent departments, and quality rules that could not run as meant
    (:meth:`~shuzhi.quality.QualitySpec.declaration_problems`: a pattern RE2 does not compile,
    range bounds of the wrong kind or crossed, two rules with one id, a reference to an unknown
    resource or field). An unchanged resource gets no new revision; a
    changed one gets ``revision + 1`` and a history row with its changes; a new one revision 1.
    Changing a field's name, type or key on a resource that already has versions is allowed; the
    report warns about it (and the history records it).
    """
    parts = _parts(source)
    with ws.session() as s:
        return _declare(s, parts, by=by, comment=comment)


def _declare(s: Session, parts: list[_Part], *, by: str | None, comment: str | None) -> DeclareReport:
    by = by[:_BY_LENGTH] if by else None
    problems: dict[str, list[str]] = {}

    def problem(where: str, message: str) -> None:
        problems.setdefault(where, []).append(message)

    # 1. what is declared, once each
    depts: dict[str, tuple[DepartmentSpec, _Part, int]] = {}
    for part in parts:
        for i, d in enumerate(part.catalog.departments):
            if d.code in depts and depts[d.code][0] != d:
                other = depts[d.code]
                problem(
                    part.where("departments", i, "code"),
                    f"部门重复声明且内容不同 / department {d.code} declared twice, differently "
                    f"(also at {other[1].where('departments', other[2])})",
                )
            depts.setdefault(d.code, (d, part, i))
    resources: dict[str, tuple[ResourceSpec, _Part, int]] = {}
    for part in parts:
        for i, r in enumerate(part.catalog.resources):
            if r.code in resources:
                first = resources[r.code]
                problem(
                    part.where("resources", i, "code"),
                    f"资源重复声明 / resource {r.code} declared twice "
                    f"(also at {first[1].where('resources', first[2])})",
                )
                continue
            resources[r.code] = (r, part, i)

    # 2. checked against the store
    stored_depts = {d.code: d for d in s.scalars(sa.select(Department))}
    known_depts = stored_depts.keys() | depts.keys()
    parents = {code: d.parent_code for code, d in stored_depts.items()}
    for code, (d, part, i) in depts.items():
        parents[code] = d.parent
        if d.parent is not None and d.parent not in known_depts:
            problem(part.where("departments", i, "parent"), _unknown_department(d.parent))
        elif d.parent == code:
            problem(
                part.where("departments", i, "parent"),
                "部门不能是自己的上级 / a department cannot be its own parent",
            )
    for code in depts:
        if _in_cycle(code, parents):
            d, part, i = depts[code]
            problem(
                part.where("departments", i, "parent"),
                f"上级部门循环 / parent departments form a cycle at {code}",
            )
    related_codes = {c for r, _, _ in resources.values() for c in r.related} - resources.keys()
    existing_related = (
        set(s.scalars(sa.select(Resource.code).where(Resource.code.in_(related_codes))))
        if related_codes
        else set()
    )
    for r, part, i in resources.values():
        if r.department not in known_depts:
            problem(part.where("resources", i, "department"), _unknown_department(r.department))
        for j, rel in enumerate(r.related):
            if rel not in resources and rel not in existing_related:
                problem(
                    part.where("resources", i, "related", j),
                    f"关联资源 {rel} 不存在 / related resource {rel} does not exist",
                )
    stored_fields: dict[str, list[str] | None] = {}

    def fields_of(code: str) -> list[str] | None:
        """The field names of a resource declared here or stored; None when neither."""
        if code in resources:
            return [f.name for f in resources[code][0].fields]
        if code not in stored_fields:
            spec = s.scalar(sa.select(Resource.spec).where(Resource.code == code))
            stored_fields[code] = [f["name"] for f in spec.get("fields", [])] if spec is not None else None
        return stored_fields[code]

    for r, part, i in resources.values():  # what the fields and quality rules could not check as meant
        for loc, message in r.declaration_problems():
            problem(part.where("resources", i, *loc), message)
        for loc, message in r.quality.declaration_problems(r, fields_of):
            problem(part.where("resources", i, "quality", *loc), message)
    if problems:
        raise errors.ValidationError(problems)

    report = DeclareReport()
    now = utcnow()

    # 3. departments, parents first (each flushed so the next may point at it)
    renamed: set[str] = set()
    for code in _parents_first(depts.keys(), parents):
        d = depts[code][0]
        row = stored_depts.get(code)
        new_dept = d.model_dump(mode="json")
        if row is None:
            s.add(
                Department(code=d.code, name=d.name, name_en=d.name_en, parent_code=d.parent, created_at=now)
            )
            s.add(_department_history(s, code, "created", new_dept, {}, by, now, comment))
            report.departments_created.append(code)
        elif (row.name, row.name_en, row.parent_code) != (d.name, d.name_en, d.parent):
            if row.name != d.name:
                renamed.add(code)
            old_dept = DepartmentSpec(
                code=row.code, name=row.name, name_en=row.name_en, parent=row.parent_code
            ).model_dump(mode="json")
            row.name, row.name_en, row.parent_code = d.name, d.name_en, d.parent
            s.add(
                _department_history(s, code, "updated", new_dept, _diff(old_dept, new_dept), by, now, comment)
            )
            report.departments_updated.append(code)
        s.flush()
    dept_names = {d.code: d.name for d in s.scalars(sa.select(Department))}

    # 4. resources
    stored = {r.code: r for r in s.scalars(sa.select(Resource).where(Resource.code.in_(list(resources))))}
    for code, (spec, _, _) in resources.items():
        new = spec.model_dump(mode="json")
        res = stored.get(code)
        if res is None:
            res = Resource(revision=1, created_by=by, updated_by=by, created_at=now, updated_at=now)
            _apply(res, spec, new, dept_names[spec.department])
            s.add(res)
            s.add(_history(code, 1, "created", new, {}, by, now, comment))
            report.created.append(code)
            report.revisions[code] = 1
            continue
        if res.spec == new:
            if spec.department in renamed:
                res.search_text = _search_text(spec, dept_names[spec.department])
            report.unchanged.append(code)
            report.revisions[code] = res.revision
            continue
        changes = _diff(res.spec, new)
        if res.current_version is not None:
            structural = sorted(k for k in changes if _is_structural(k))
            if structural:
                zh, en = _structural_text(structural, res.spec, new)
                report.warnings.append(
                    f"{code}: 已有数据版本（当前 v{res.current_version}），"
                    f"信息项结构变化将影响之后的加载：{zh} / "
                    f"has versions (current v{res.current_version}); changed {en}"
                )
        if res.retired_at is not None:
            report.warnings.append(f"{code}: 资源已撤销，仍保持撤销状态 / is retired and stays retired")
        old_fields = [f.name for f in res.fields]
        if old_fields != [f.name for f in spec.fields]:
            res.fields.clear()
            s.flush()  # old rows deleted before new ones with the same names arrive
        res.revision += 1
        res.updated_by = by
        res.updated_at = now
        _apply(res, spec, new, dept_names[spec.department])
        s.add(_history(code, res.revision, "updated", new, changes, by, now, comment))
        report.updated.append(code)
        report.revisions[code] = res.revision

    # 5. other resources of renamed departments search by the new name
    if renamed:
        others = s.scalars(
            sa.select(Resource).where(
                Resource.department_code.in_(renamed), Resource.code.not_in(list(resources))
            )
        )
        for res in others:
            res.search_text = _search_text(
                ResourceSpec.model_validate(res.spec), dept_names[res.department_code]
            )
    s.flush()
    return report


def _unknown_department(code: str) -> str:
    return (
        f"部门不存在 / unknown department {code}: 请在 departments 中声明，或先创建 / "
        "declare it under departments or create it first"
    )


def _in_cycle(code: str, parents: Mapping[str, str | None]) -> bool:
    seen = {code}
    cur = parents.get(code)
    while cur is not None:
        if cur in seen:
            return cur == code
        seen.add(cur)
        cur = parents.get(cur)
    return False


def _parents_first(codes: Iterable[str], parents: Mapping[str, str | None]) -> list[str]:
    todo = list(codes)
    wanted = set(todo)
    out: list[str] = []
    done: set[str] = set()

    def visit(code: str) -> None:
        if code in done:
            return
        done.add(code)
        parent = parents.get(code)
        if parent is not None and parent in wanted:
            visit(parent)
        out.append(code)

    for code in todo:
        visit(code)
    return out


def _field_columns(f: FieldSpec) -> tuple[Any, ...]:
    return (
        f.name,
        f.label,
        f.type.value,
        f.standard,
        f.required,
        f.key,
        f.sensitive,
        f.personal_info.value,
    )


def _search_text(spec: ResourceSpec, department_name: str) -> str:
    other: list[str | None] = [spec.summary, *spec.classification]
    for f in spec.fields:
        other += [f.label, f.label_en, f.name]
    return search_text(
        code=spec.code,
        name=spec.name,
        name_en=spec.name_en,
        department_name=department_name,
        other=other,
        keywords=spec.tags,
    )


def _apply(row: Resource, spec: ResourceSpec, dump: dict[str, Any], department_name: str) -> None:
    row.code = spec.code
    row.name = spec.name
    row.name_en = spec.name_en
    row.department_code = spec.department
    row.summary = spec.summary
    row.kind = spec.kind.value
    row.classification = list(spec.classification)
    row.format = spec.format.value
    row.sharing_type = spec.sharing.type.value
    row.sharing_condition = spec.sharing.condition
    row.sharing_method = spec.sharing.method
    row.open_type = spec.open.type.value
    row.update_cycle = spec.update_cycle.value
    row.security_grade = spec.security_grade.value
    row.release_date = spec.release_date
    row.region = spec.region
    row.tags = list(spec.tags)
    row.related = list(spec.related)
    row.spec = dump
    row.search_text = _search_text(spec, department_name)
    if not row.fields:
        row.fields = [_field_row(i, f) for i, f in enumerate(spec.fields)]
    else:  # same names in the same order: update in place
        for existing, f in zip(row.fields, spec.fields, strict=True):
            (
                existing.name,
                existing.label,
                existing.type,
                existing.standard,
                existing.required,
                existing.key,
                existing.sensitive,
                existing.personal_info,
            ) = _field_columns(f)


def _field_row(position: int, f: FieldSpec) -> ResourceField:
    name, label_, type_, standard, required, key, sensitive, pi = _field_columns(f)
    return ResourceField(
        position=position,
        name=name,
        label=label_,
        type=type_,
        standard=standard,
        required=required,
        key=key,
        sensitive=sensitive,
        personal_info=pi,
    )


def _history(
    code: str,
    revision: int,
    action: str,
    spec: dict[str, Any],
    changes: dict[str, Any],
    by: str | None,
    at: dt.datetime,
    comment: str | None,
) -> ResourceHistory:
    return ResourceHistory(resource_code=code, **_revision(revision, action, spec, changes, by, at, comment))


def _department_history(
    s: Session,
    code: str,
    action: str,
    spec: dict[str, Any],
    changes: dict[str, Any],
    by: str | None,
    at: dt.datetime,
    comment: str | None,
) -> DepartmentHistory:
    last = s.scalar(
        sa.select(sa.func.max(DepartmentHistory.revision)).where(DepartmentHistory.department_code == code)
    )
    revision = _revision((last or 0) + 1, action, spec, changes, by, at, comment)
    return DepartmentHistory(department_code=code, **revision)


def _revision(
    revision: int,
    action: str,
    spec: dict[str, Any],
    changes: dict[str, Any],
    by: str | None,
    at: dt.datetime,
    comment: str | None,
) -> dict[str, Any]:
    return {
        "revision": revision,
        "action": action,
        "spec": spec,
        "changes": changes,
        "changed_by": by,
        "changed_at": at,
        "comment": comment,
    }


def _diff(old: Any, new: Any, path: str = "") -> dict[str, list[Any]]:
    """``{path: [old, new]}`` of every leaf that differs; lists of objects (fields) are compared
    item by item, other lists as a whole."""
    out: dict[str, list[Any]] = {}
    if isinstance(old, dict) and isinstance(new, dict):
        keys = [*new, *(k for k in old if k not in new)]
        for k in keys:
            out.update(_diff(old.get(k), new.get(k), f"{path}.{k}" if path else str(k)))
    elif isinstance(old, list) and isinstance(new, list) and any(isinstance(x, dict) for x in [*old, *new]):
        for i in range(max(len(old), len(new))):
            a = old[i] if i < len(old) else None
            b = new[i] if i < len(new) else None
            if a is None or b is None:
                if a != b:
                    out[f"{path}[{i}]"] = [a, b]
            else:
                out.update(_diff(a, b, f"{path}[{i}]"))
    elif old != new:
        out[path] = [old, new]
    return out


_ATTR_ZH = {"name": "名称", "type": "类型", "scale": "小数位数", "key": "主键"}


def _structural_text(paths: Sequence[str], old: dict[str, Any], new: dict[str, Any]) -> tuple[str, str]:
    """``fields[3].name`` as 信息项“联系电话”的名称 / field 联系电话 (phone): name."""
    by_index: dict[int, list[str]] = {}
    for p in paths:
        i = int(p[len("fields[") : p.index("]")])
        attr = p.split("]", 1)[1].lstrip(".")
        by_index.setdefault(i, []).append(attr)
    zh, en = [], []
    for i, attrs in sorted(by_index.items()):
        fields = new.get("fields") or []
        f = fields[i] if i < len(fields) else (old.get("fields") or [])[i]
        label, name = f.get("label") or f.get("name"), f.get("name")
        if attrs == [""]:  # added or removed as a whole
            zh.append(f"信息项“{label}”增加或删除")
            en.append(f"field {label} ({name}) added or removed")
            continue
        zh.append(f"信息项“{label}”的{'、'.join(_ATTR_ZH.get(a, a) for a in attrs)}")
        en.append(f"field {label} ({name}): {', '.join(attrs)}")
    return "；".join(zh), "; ".join(en)


def _is_structural(path: str) -> bool:
    if not path.startswith("fields["):
        return False
    rest = path.split("]", 1)[1]
    return rest == "" or rest.lstrip(".") in _STRUCTURAL


# -- reading ------------------------------------------------------------------------------------


def _entry(row: Resource, department_name: str) -> CatalogEntry:
    return CatalogEntry(
        spec=ResourceSpec.model_validate(row.spec),
        revision=row.revision,
        current_version=row.current_version,
        department_name=department_name,
        created_at=row.created_at,
        updated_at=row.updated_at,
        retired_at=row.retired_at,
        updated_by=row.updated_by,
        created_by=row.created_by,
    )


def _select() -> sa.Select[Resource, str]:
    return sa.select(Resource, Department.name).join(Department, Department.code == Resource.department_code)


def _get_row(s: Session, code: str) -> tuple[Resource, str]:
    found = s.execute(_select().where(Resource.code == code)).first()
    if found is None:
        raise errors.NotFound(RESOURCE, code)
    return found[0], found[1]


def get_resource(ws: Workspace, code: str) -> CatalogEntry:
    """The entry ``code`` (retired ones too); :class:`~shuzhi.errors.NotFound` if there is none."""
    with ws.session() as s:
        return _entry(*_get_row(s, code))


E = TypeVar("E", bound=_Labelled)


def _choice(kind: type[E], value: str | E | None, name: str, problems: dict[str, list[str]]) -> E | None:
    """``value`` as one of ``kind``; a bad one is added to ``problems`` under ``name``."""
    if value is None or value == "":
        return None
    try:
        return kind(value)
    except ValueError:
        known = ", ".join(f"{v} ({lbl})" for v, lbl in kind.choices().items())
        problems[name] = [f"取值无效 / invalid value {value!r}; 可选 / expected {known}"]
        return None


def _text_filter(words: Sequence[str]) -> list[sa.ColumnElement[bool]]:
    return [Resource.search_text.contains(w, autoescape=True) for w in words]


def list_resources(
    ws: Workspace,
    *,
    department: str | None = None,
    sharing: SharingType | str | None = None,
    open: OpenType | str | None = None,
    grade: SecurityGrade | str | None = None,
    kind: ResourceKind | str | None = None,
    standard: str | None = None,
    q: str | None = None,
    include_retired: bool = False,
) -> list[CatalogEntry]:
    """Entries matching every filter given, by code. Enumerated filters take the English value or
    the Chinese term (``有条件共享``); ``department`` is a code and includes its sub-departments;
    ``standard`` keeps resources with a field following it (``idcard``); ``q`` keeps those whose
    search text contains every word (see :func:`search` for ranking)."""
    stmt = _select()
    conditions: list[sa.ColumnElement[bool]] = []
    problems: dict[str, list[str]] = {}  # every filter's problem at once, not the first only
    sharing_ = _choice(SharingType, sharing, "sharing", problems)
    open_ = _choice(OpenType, open, "open", problems)
    grade_ = _choice(SecurityGrade, grade, "grade", problems)
    kind_ = _choice(ResourceKind, kind, "kind", problems)
    if standard and standard not in STANDARDS:  # a typo found nothing, silently
        known = ", ".join(STANDARDS)
        problems["standard"] = [f"未知的标准 / unknown standard {standard!r}; 可选 / known: {known}"]
    if sharing_ is not None:
        conditions.append(Resource.sharing_type == sharing_.value)
    if open_ is not None:
        conditions.append(Resource.open_type == open_.value)
    if grade_ is not None:
        conditions.append(Resource.security_grade == grade_.value)
    if kind_ is not None:
        conditions.append(Resource.kind == kind_.value)
    if standard:
        conditions.append(
            sa.exists().where(ResourceField.resource_id == Resource.id, ResourceField.standard == standard)
        )
    if q is not None and q.strip():
        conditions += _text_filter(normalize_query(q))
    if not include_retired:
        conditions.append(Resource.retired_at.is_(None))
    with ws.session() as s:
        if department and s.scalar(sa.select(Department.code).where(Department.code == department)) is None:
            problems["department"] = [  # not "no resources": a mistyped code found nothing, silently
                f"部门不存在 / unknown department {department!r}（部门列表 / the departments: "
                "shuzhi catalog departments, GET /api/v1/catalog/departments）"
            ]
        if problems:
            raise errors.ValidationError(problems)
        if department:
            conditions.append(Resource.department_code.in_(_with_children(s, department)))
        rows = s.execute(stmt.where(*conditions).order_by(Resource.code)).all()
        return [_entry(r, n) for r, n in rows]


def _with_children(s: Session, code: str) -> set[str]:
    parents = {c: p for c, p in s.execute(sa.select(Department.code, Department.parent_code))}
    out = {code}
    changed = True
    while changed:
        more = {c for c, p in parents.items() if p in out and c not in out}
        out |= more
        changed = bool(more)
    return out


def search(ws: Workspace, q: str, *, limit: int = 50, include_retired: bool = False) -> list[CatalogEntry]:
    """Entries whose search text contains every word of ``q`` (Chinese, Traditional or
    Simplified, pinyin, pinyin initials, codes, field labels), best first: the exact code, then
    the name containing the query, then the name's pinyin or initials starting with it, then
    the rest; ties by code."""
    words = normalize_query(q)
    if not words:
        raise errors.ValidationError({"q": ["请输入检索词 / give a search term"]})
    if not 1 <= limit <= MAX_LIMIT:
        raise errors.ValidationError({"limit": [f"须在 1 到 {MAX_LIMIT} 之间 / must be 1 to {MAX_LIMIT}"]})
    whole = " ".join(words)
    name_match = sa.and_(
        *(
            sa.or_(
                sa.func.lower(Resource.name).contains(w, autoescape=True),
                sa.func.lower(sa.func.coalesce(Resource.name_en, "")).contains(w, autoescape=True),
            )
            for w in words
        )
    )
    pinyin_prefix = sa.and_(*(Resource.search_text.contains(MARK + w, autoescape=True) for w in words))
    rank = sa.case(
        (sa.func.lower(Resource.code) == whole, 0),
        (name_match, 1),
        (pinyin_prefix, 2),
        else_=3,
    )
    conditions = _text_filter(words)
    if not include_retired:
        conditions.append(Resource.retired_at.is_(None))
    stmt = _select().where(*conditions).order_by(rank, Resource.code).limit(limit)
    with ws.session() as s:
        return [_entry(r, n) for r, n in s.execute(stmt).all()]


def history(ws: Workspace, code: str) -> list[HistoryEntry[ResourceSpec]]:
    """Every revision of ``code``, oldest first (kept after the entry is retired)."""
    return _revisions(ws, ResourceHistory, ResourceHistory.resource_code, code, ResourceSpec, RESOURCE)


# -- retiring -----------------------------------------------------------------------------------


def retire(ws: Workspace, code: str, *, by: str | None = None, reason: str) -> CatalogEntry:
    """Withdraw (撤销) ``code``: it leaves lists and searches (``include_retired`` shows it), its
    history and versions stay. ``reason`` is required and kept in the history.
    :class:`~shuzhi.errors.Conflict` if it is already retired."""
    if not reason or not reason.strip():
        raise errors.ValidationError({"reason": ["须说明撤销原因 / give the reason for retiring"]})
    return _set_retired(ws, code, retire=True, by=by, comment=reason.strip())


def restore(ws: Workspace, code: str, *, by: str | None = None, comment: str | None = None) -> CatalogEntry:
    """Bring a retired entry back; :class:`~shuzhi.errors.Conflict` if it is not retired."""
    return _set_retired(ws, code, retire=False, by=by, comment=comment)


def _set_retired(
    ws: Workspace, code: str, *, retire: bool, by: str | None, comment: str | None
) -> CatalogEntry:
    by = by[:_BY_LENGTH] if by else None
    with ws.session() as s:
        row, dept = _get_row(s, code)
        if retire and row.retired_at is not None:
            raise errors.Conflict(
                f"资源已撤销 / resource {code} is already retired ({row.retired_at:%Y-%m-%d})"
            )
        if not retire and row.retired_at is None:
            raise errors.Conflict(f"资源未撤销 / resource {code} is not retired")
        now = utcnow()
        old = row.retired_at
        row.retired_at = now if retire else None
        row.revision += 1
        row.updated_by = by
        row.updated_at = now
        changes = {"retired_at": [_iso(old), _iso(row.retired_at)]}
        action = "retired" if retire else "restored"
        s.add(_history(code, row.revision, action, row.spec, changes, by, now, comment))
        s.flush()
        _record_quality(s, code, row.department_code)
        return _entry(row, dept)


def _record_quality(s: Session, code: str, department: str) -> None:
    """A retired resource leaves its department's quality aggregate (a restored one comes back):
    when it has been evaluated, the department's history records the change."""
    from shuzhi.quality._run import record_department

    if s.scalar(sa.select(QualityRun.id).where(QualityRun.resource_code == code).limit(1)) is not None:
        record_department(s, department)


# -- departments and export ---------------------------------------------------------------------


def complete_department(ws: Workspace, spec: DepartmentSpec, given: Collection[str]) -> DepartmentSpec:
    """``spec`` with the attributes not in ``given`` (``name_en``, ``parent``) taken from the
    stored department of its code: a clerk who renames a department on the command line or over
    the API keeps its parent and English name unless they give them (None in ``spec`` and the
    name in ``given`` clears one). A department not stored yet is ``spec`` as it is. A catalog
    file, by contrast, declares a department whole."""
    with ws.session() as s:
        row = s.scalar(sa.select(Department).where(Department.code == spec.code))
    if row is None:
        return spec
    kept = {"name_en": row.name_en, "parent": row.parent_code}
    return spec.model_copy(update={k: v for k, v in kept.items() if k not in given})


def list_departments(ws: Workspace) -> list[DepartmentEntry]:
    """Every department, by code, with the number of its unretired resources."""
    count = (
        sa.select(sa.func.count(Resource.id))
        .where(Resource.department_code == Department.code, Resource.retired_at.is_(None))
        .scalar_subquery()
    )
    with ws.session() as s:
        rows = s.execute(sa.select(Department, count).order_by(Department.code)).all()
        return [
            DepartmentEntry(
                code=d.code,
                name=d.name,
                name_en=d.name_en,
                parent=d.parent_code,
                resources=int(n),
                created_at=d.created_at,
            )
            for d, n in rows
        ]


def department_history(ws: Workspace, code: str) -> list[HistoryEntry[DepartmentSpec]]:
    """Every revision of the department ``code``, oldest first: created, then each change of its
    name, English name or parent, with who changed it, when and why. Departments that existed
    before this history was kept start with their state at that time (``changed_by`` empty)."""
    return _revisions(
        ws, DepartmentHistory, DepartmentHistory.department_code, code, DepartmentSpec, DEPARTMENT
    )


def _revisions(
    ws: Workspace,
    table: type[_HistoryT],
    code_column: Any,
    code: str,
    spec_type: type[SpecT],
    kind: str,
) -> list[HistoryEntry[SpecT]]:
    with ws.session() as s:
        rows = s.scalars(sa.select(table).where(code_column == code).order_by(table.revision)).all()
        if not rows:
            raise errors.NotFound(kind, code)
        return [
            HistoryEntry(
                revision=h.revision,
                action=h.action,
                changes=dict(h.changes or {}),
                changed_by=h.changed_by,
                changed_at=h.changed_at,
                comment=h.comment,
                spec=spec_type.model_validate(h.spec),
            )
            for h in rows
        ]


def entries(
    ws: Workspace, codes: Sequence[str] | None, *, include_retired: bool = False
) -> list[CatalogEntry]:
    """Not public: the entries ``codes`` in that order (NotFound for a missing one), or all."""
    if codes is None:
        return list_resources(ws, include_retired=include_retired)
    with ws.session() as s:
        rows = {r.code: (r, n) for r, n in s.execute(_select().where(Resource.code.in_(list(codes)))).all()}
    missing = [c for c in codes if c not in rows]
    if missing:
        raise errors.NotFound(RESOURCE, ", ".join(missing))
    return [_entry(*rows[c]) for c in dict.fromkeys(codes)]


def export_catalog(
    ws: Workspace, codes: Sequence[str] | None = None, *, include_retired: bool = False
) -> CatalogFile:
    """The catalog (or the entries ``codes``) as a :class:`CatalogFile` that :func:`declare`
    accepts: the resources and every department they need (with parents); all departments when
    ``codes`` is None."""
    chosen = entries(ws, codes, include_retired=include_retired)
    all_depts = {d.code: d for d in list_departments(ws)}
    if codes is None:
        wanted = list(all_depts)
    else:
        wanted_set: set[str] = set()
        for e in chosen:
            cur: str | None = e.spec.department
            while cur is not None and cur not in wanted_set:
                wanted_set.add(cur)
                cur = all_depts[cur].parent
        wanted = sorted(wanted_set)
    ordered = _parents_first(wanted, {c: d.parent for c, d in all_depts.items()})
    return CatalogFile(departments=[all_depts[c].spec for c in ordered], resources=[e.spec for e in chosen])


def dump_catalog(catalog: CatalogFile) -> dict[str, Any]:
    """Not public: ``catalog`` as plain data for YAML, values at their defaults left out."""
    return catalog.model_dump(mode="json", exclude_defaults=True)
