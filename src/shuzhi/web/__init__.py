"""The HTTP interface: a FastAPI app whose routes are thin adapters over the domain packages.

``create_app(workspace)`` builds it; ``shuzhi serve`` runs it with uvicorn. Every route lives
under ``/api/v1`` in one router per domain (``shuzhi/web/api/<domain>.py``); every error answers
with one JSON shape ``{"ok": false, "error", "code", "status", "errors"?}``.
"""

from shuzhi.web._app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "create_app"]
