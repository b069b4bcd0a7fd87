"""The ``/api/v1`` routers, one per domain. A new domain adds its module here."""

from fastapi import APIRouter

from shuzhi.web.api import catalog, health, ingest, quality, registry, standards

__all__ = ["ROUTERS", "TAGS"]

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    standards.router,
    catalog.router,
    ingest.router,
    quality.router,
    registry.router,
)

#: OpenAPI tag descriptions, in both languages
TAGS: list[dict[str, str]] = [health.TAG, standards.TAG, catalog.TAG, ingest.TAG, quality.TAG, registry.TAG]
