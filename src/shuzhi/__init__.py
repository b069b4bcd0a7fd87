"""数治 shuzhi — a city's one data platform.

Domain packages (``shuzhi.standards``, ``shuzhi.catalog``, ...) each expose a small public
surface through ``__all__``; the CLI (``shuzhi.cli``) and the web app (``shuzhi.web``) are thin
adapters over them.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
