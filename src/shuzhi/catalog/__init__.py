"""The data resource catalog (政务数据资源目录): what each resource is, who provides it, how it is
shared, what its fields are — the entry every other stage reads.

::

    from shuzhi.catalog import declare, get_resource, search, export_dcat

    report = declare(ws, "catalog.yaml", by="zhang")     # departments + resources, all or nothing
    entry = get_resource(ws, "JC-GA-HJRK")               # CatalogEntry: spec, revision, …
    search(ws, "rkk")                                    # 人口库 by its pinyin initials
    export_dcat(ws)                                      # DCAT JSON-LD

The declaration models (:class:`ResourceSpec`, :class:`FieldSpec`, the enumerations with their
Chinese labels) are in :mod:`shuzhi.catalog.spec`; the YAML format is described in
``docs/catalog.md``.
"""

from shuzhi.catalog._dcat import export_dcat
from shuzhi.catalog._service import (
    CatalogEntry,
    DeclareReport,
    DepartmentEntry,
    HistoryEntry,
    complete_department,
    declare,
    declare_text,
    department_history,
    export_catalog,
    get_resource,
    history,
    list_departments,
    list_resources,
    load_catalog_file,
    restore,
    retire,
    search,
)
from shuzhi.catalog.spec import CatalogFile, DepartmentSpec, FieldSpec, ResourceSpec

__all__ = [
    "CatalogEntry",
    "CatalogFile",
    "DeclareReport",
    "DepartmentEntry",
    "DepartmentSpec",
    "FieldSpec",
    "HistoryEntry",
    "ResourceSpec",
    "complete_department",
    "declare",
    "declare_text",
    "department_history",
    "export_catalog",
    "export_dcat",
    "get_resource",
    "history",
    "list_departments",
    "list_resources",
    "load_catalog_file",
    "restore",
    "retire",
    "search",
]
