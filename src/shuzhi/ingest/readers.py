"""Source readers: a department's file or database table becomes a DuckDB table of text.

::

    from shuzhi.ingest.readers import read_source
    src = read_source(ws.engine, "低保名单.csv", mapping.source, table="src_1",
                      expected_columns=list(mapping.columns), tmp_dir=ws.tmp)
    src.columns   # ['姓名', '身份证号', ...]; every value VARCHAR, plus BIGINT "_row"
    src.notes     # ['编码 GB18030（自动识别：第 1 行不是 UTF-8）/ encoding GB18030 (detected: ...)', ...]

What each format accepts and how detection works: docs/ingest-sources.md.
"""

from __future__ import annotations

from shuzhi.ingest._readers._common import SourceTable
from shuzhi.ingest._readers._detect import detect_format
from shuzhi.ingest._readers._source import read_source

__all__ = ["SourceTable", "detect_format", "read_source"]
