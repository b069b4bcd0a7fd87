"""The demo: what shuzhi does, shown on data a new user can look at.

:func:`city_demo` (``shuzhi demo``) generates the synthetic city (:mod:`shuzhi.demo.city`) into a
workspace, declares its catalog and ingests every department's dataset. :func:`standards_tour`
(``shuzhi demo tour``) checks and normalises a small sample of messy departmental records
(``data/sample_records.csv``) with the standards library's SQL forms in one DuckDB pass.
"""

from shuzhi.demo._pipeline import CityDemoResult, DatasetRun, city_demo
from shuzhi.demo._tour import SAMPLE_CITY, SAMPLE_RECORDS, ColumnReport, TourResult, standards_tour
from shuzhi.demo.city import generate

__all__ = [
    "SAMPLE_CITY",
    "SAMPLE_RECORDS",
    "CityDemoResult",
    "ColumnReport",
    "DatasetRun",
    "TourResult",
    "city_demo",
    "generate",
    "standards_tour",
]
