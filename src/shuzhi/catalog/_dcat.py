"""The catalog as DCAT (W3C Data Catalog Vocabulary, v3) in JSON-LD.

One ``dcat:Catalog`` with a ``dcat:Dataset`` per resource. What DCAT has a term for uses it:

=========================  ====================================================================
shuzhi                     DCAT / Dublin Core
=========================  ====================================================================
code                       ``dct:identifier``
name, name_en              ``dct:title`` (``@language`` zh-Hans, en)
summary                    ``dct:description``
department                 ``dct:publisher`` (``foaf:Organization`` with identifier and name)
tags                       ``dcat:keyword``
classification             ``dcat:theme`` (a ``skos:Concept``; the full path in ``szgov:classification``)
release_date               ``dct:issued``
last change                ``dct:modified``
update_cycle               ``dct:accrualPeriodicity`` (EU frequency vocabulary: DAILY … IRREG, CONT)
sharing.type               ``dct:accessRights`` (EU access-right vocabulary: PUBLIC, RESTRICTED, NON_PUBLIC)
related                    ``dct:relation``
format                     ``dcat:distribution`` (one ``dcat:Distribution`` with ``dct:format``)
region                     ``dct:spatial`` (``szgov:divisionCode``)
=========================  ====================================================================

What DCAT lacks goes in the Chinese-government extension namespace ``szgov:``
(:data:`SZGOV`): ``sharingType``, ``sharingCondition``, ``sharingMethod``, ``openType``,
``openCondition``, ``securityGrade``, ``resourceKind``, ``updateCycle``, ``classification``,
``revision`` and ``informationItem`` (the fields, in order, each an ``szgov:InformationItem``
with ``name``, ``label``, ``labelEn``, ``dataType``, ``standard``, ``required``, ``key``,
``unique``, ``sensitive``, ``personalInfo``). Enumerated values are the English codes of
:mod:`shuzhi.catalog.spec`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from shuzhi.catalog._service import CatalogEntry, entries
from shuzhi.catalog.spec import FieldSpec, SharingType, UpdateCycle
from shuzhi.workspace import Workspace

__all__ = ["CONTEXT", "SZGOV", "export_dcat"]

#: the Chinese-government extension namespace
SZGOV = "https://shuzhi.dev/ns/gov#"

CONTEXT: dict[str, str] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "szgov": SZGOV,
}

_FREQ = "http://publications.europa.eu/resource/authority/frequency/"
FREQUENCIES: dict[UpdateCycle, str] = {
    UpdateCycle.realtime: _FREQ + "CONT",
    UpdateCycle.daily: _FREQ + "DAILY",
    UpdateCycle.weekly: _FREQ + "WEEKLY",
    UpdateCycle.monthly: _FREQ + "MONTHLY",
    UpdateCycle.quarterly: _FREQ + "QUARTERLY",
    UpdateCycle.semiannual: _FREQ + "ANNUAL_2",
    UpdateCycle.yearly: _FREQ + "ANNUAL",
    UpdateCycle.irregular: _FREQ + "IRREG",
}

_ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
ACCESS_RIGHTS: dict[SharingType, str] = {
    SharingType.unconditional: _ACCESS + "PUBLIC",
    SharingType.conditional: _ACCESS + "RESTRICTED",
    SharingType.none: _ACCESS + "NON_PUBLIC",
}

ZH = "zh-Hans"


def _text(value: str, lang: str = ZH) -> dict[str, str]:
    return {"@value": value, "@language": lang}


def _typed(value: str, type_: str) -> dict[str, str]:
    return {"@value": value, "@type": type_}


def _base(base_uri: str) -> str:
    """``base_uri`` as the prefix of IRIs: an absolute IRI (``https://…``, ``urn:…``), with ``/``
    added where it does not end in ``/``, ``#`` or ``:`` (``…/catalog`` + ``resource/X`` made
    ``…/catalogresource/X``)."""
    from shuzhi.errors import ValidationError

    b = base_uri.strip()
    if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$", b):
        raise ValidationError(
            {
                "base_uri": [
                    f"应为绝对 IRI（如 https://data.example.gov.cn/catalog/），实为 {base_uri!r} / "
                    f"expected an absolute IRI (e.g. https://data.example.gov.cn/catalog/), got {base_uri!r}"
                ]
            }
        )
    return b if b.endswith(("/", "#", ":")) else b + "/"


def export_dcat(
    ws: Workspace, codes: Sequence[str] | None = None, *, base_uri: str | None = None
) -> dict[str, Any]:
    """The catalog (every unretired entry, or the entries ``codes``) as a DCAT JSON-LD document.

    Resources, departments and the catalog get IRIs under ``base_uri`` (default
    ``urn:shuzhi:<workspace name>:``; ``/`` is added to a base that does not end in ``/``, ``#``
    or ``:``): ``<base>resource/<code>``, ``<base>department/<code>``, ``<base>catalog``. A base
    that is not an absolute IRI is a :class:`~shuzhi.errors.ValidationError`;
    :class:`~shuzhi.errors.NotFound` names any code that does not exist.
    """
    base = _base(base_uri) if base_uri is not None else f"urn:shuzhi:{quote(ws.name, safe='')}:"
    chosen = entries(ws, codes)
    datasets = [_dataset(e, base) for e in chosen]
    catalog: dict[str, Any] = {
        "@context": dict(CONTEXT),
        "@id": base + "catalog",
        "@type": "dcat:Catalog",
        "dct:title": [
            _text(f"{ws.name} 政务数据资源目录"),
            _text(f"{ws.name} government data catalog", "en"),
        ],
        "dcat:dataset": datasets,
    }
    if chosen:
        latest = max(e.updated_at for e in chosen)
        catalog["dct:modified"] = _typed(latest.isoformat(timespec="seconds"), "xsd:dateTime")
    return catalog


def _dataset(e: CatalogEntry, base: str) -> dict[str, Any]:
    s = e.spec
    d: dict[str, Any] = {
        "@id": f"{base}resource/{quote(s.code, safe='')}",
        "@type": "dcat:Dataset",
        "dct:identifier": s.code,
        "dct:title": [_text(s.name), *([_text(s.name_en, "en")] if s.name_en else [])],
        "dct:publisher": {
            "@id": f"{base}department/{quote(s.department, safe='')}",
            "@type": "foaf:Organization",
            "dct:identifier": s.department,
            "foaf:name": _text(e.department_name),
        },
        "dct:modified": _typed(e.updated_at.isoformat(timespec="seconds"), "xsd:dateTime"),
        "dct:accrualPeriodicity": {"@id": FREQUENCIES[s.update_cycle]},
        "dct:accessRights": {"@id": ACCESS_RIGHTS[s.sharing.type]},
        "dcat:distribution": [
            {
                "@type": "dcat:Distribution",
                "dct:title": _text(s.format.label_zh),
                "dct:format": s.format.value,
            }
        ],
        "szgov:sharingType": s.sharing.type.value,
        "szgov:openType": s.open.type.value,
        "szgov:securityGrade": s.security_grade.value,
        "szgov:resourceKind": s.kind.value,
        "szgov:updateCycle": s.update_cycle.value,
        "szgov:revision": e.revision,
        "szgov:informationItem": {"@list": [_item(f) for f in s.fields]},
    }
    if s.summary:
        d["dct:description"] = _text(s.summary)
    if s.tags:
        d["dcat:keyword"] = [_text(t) for t in s.tags]
    if s.classification:
        d["dcat:theme"] = {"@type": "skos:Concept", "skos:prefLabel": _text(s.classification[-1])}
        d["szgov:classification"] = {"@list": list(s.classification)}
    if s.release_date is not None:
        d["dct:issued"] = _typed(s.release_date.isoformat(), "xsd:date")
    if s.related:
        d["dct:relation"] = [{"@id": f"{base}resource/{quote(c, safe='')}"} for c in s.related]
    if s.sharing.condition:
        d["szgov:sharingCondition"] = _text(s.sharing.condition)
    if s.sharing.method:
        d["szgov:sharingMethod"] = _text(s.sharing.method)
    if s.open.condition:
        d["szgov:openCondition"] = _text(s.open.condition)
    if s.region:
        d["dct:spatial"] = {"@type": "dct:Location", "szgov:divisionCode": s.region}
    return d


def _item(f: FieldSpec) -> dict[str, Any]:
    item: dict[str, Any] = {
        "@type": "szgov:InformationItem",
        "szgov:name": f.name,
        "szgov:label": _text(f.label),
        "szgov:dataType": f.type.value,
        "szgov:required": f.required,
        "szgov:key": f.key,
        "szgov:unique": f.unique,
        "szgov:sensitive": f.sensitive,
        "szgov:personalInfo": f.personal_info.value,
    }
    if f.label_en:
        item["szgov:labelEn"] = _text(f.label_en, "en")
    if f.standard:
        item["szgov:standard"] = f.standard
    if f.scale is not None:
        item["szgov:scale"] = f.scale
    if f.description:
        item["dct:description"] = _text(f.description)
    return item
