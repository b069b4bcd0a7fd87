"""The demo: what shuzhi does, shown on data a new user can look at.

Until the synthetic city lands, the demo is a tour of the standards library over a small sample
of messy departmental records (``data/sample_records.csv``): every column is checked and
normalised by the SQL forms in one DuckDB pass, and the result is written as a Parquet version
into a workspace.
"""

from shuzhi.demo._tour import SAMPLE_CITY, SAMPLE_RECORDS, ColumnReport, TourResult, standards_tour
from shuzhi.demo.city import generate

__all__ = ["SAMPLE_CITY", "SAMPLE_RECORDS", "ColumnReport", "TourResult", "generate", "standards_tour"]
