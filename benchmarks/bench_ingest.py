#!/usr/bin/env python3
"""Ingestion end to end: a 1M-row, 15-column GBK CSV read, cleansed and written as a new version.

Generates, inside DuckDB, N rows of a police-style population export of 晋城市 (real counties and
towns from ``shuzhi.standards.divisions``) with the messes departments write:

* 身份证号: 18-digit numbers (check characters computed here with an independent expression), 3 %
  the 15-digit form, 1.5 % a wrong check character, 1 % lower-case x, 1 % full-width digits,
  1 % spaces, 1 % junk or empty; some numbers collide (the key check quarantines repeats);
* 姓名: surname + one or two characters, 5 % in Traditional characters, 1 % with spaces, 1 % 不详;
* 性别 男/女/1/2, 民族 汉族/汉/回族/01, 婚姻状况 names and codes;
* 出生日期 in four formats (2024-03-05, 2024/3/5, 20240305, 2024年3月5日), 登记日期 ISO;
* 联系电话: mobiles, 0356 landlines, +86, 无, empty;
* 户籍地址 with and without province and city, down to town, road and number;
* plain columns: 序号, 户号, 工作单位, 月收入 (decimal), 家庭人口 (integer), 备注;

writes it as UTF-8 CSV with DuckDB's COPY and transcodes it to GBK in large chunks; writes a
catalog YAML and a mapping (standards on the ID, name, sex, ethnic group, dates, marital status,
phone and address; the ID is the key). Then, RUNS times, in a fresh workspace each time: declares
the resource and times ``shuzhi.ingest.ingest`` end to end (read, cleanse, key check, write the
version's Parquet files, commit), with the time of each phase from the progress callback, the CPU
time of the process (all threads, and the GBK transcoding worker processes it waits for; on a
shared machine the wall time says less) and the peak resident memory of the process sampled
every 20 ms during the load. Last, as a yardstick, the same file's bare copy: transcoded by the
same reader and copied to Parquet by DuckDB with nothing else done (see :func:`bare_copy`).

Run: ``.venv/bin/python benchmarks/bench_ingest.py [--rows N] [--runs 3] [--keep] [--profile]
[--timeline]``. ``--profile`` also times each standard's SQL form alone over the distinct values
of its column, to see which one dominates the cleansing phase; ``--timeline`` prints the first
load's SQL statements with their start, end and thread (the lookups run two at a time), to see
what lies on the critical path.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import re
import resource
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import psutil

from shuzhi.standards import divisions
from shuzhi.standards.idcard import WEIGHTS

CITY = "140500"
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
    "顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文牛靳原申"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌鹏辉宇浩俊峰鑫"
    "亮成龙飞东海林晨欣慧雪婷颖洁佳倩琴凤云晶月"
)
#: Simplified -> Traditional for the characters above that differ (5 % of names are written so)
T_FROM = (
    "张刘陈杨赵黄吴孙马罗梁郑谢韩冯萧曹邓许沈吕苏卢蒋贾叶阎钟汪谭邹熊陆邱顾龙万钱汤龚"
    "乔贺赖伟娜丽军艳杰娟涛刚华兰萍红国志斌鹏辉俊峰鑫亮龙飞东晨欣婷颖洁倩凤云"
)
T_TO = (
    "張劉陳楊趙黃吳孫馬羅梁鄭謝韓馮蕭曹鄧許沈呂蘇盧蔣賈葉閻鍾汪譚鄒熊陸邱顧龍萬錢湯龔"
    "喬賀賴偉娜麗軍艷傑娟濤剛華蘭萍紅國志斌鵬輝俊峰鑫亮龍飛東晨欣婷穎潔倩鳳雲"
)
ROADS = (
    "凤台东街",
    "泽州路",
    "书院街",
    "红星东街",
    "建设路",
    "文昌东街",
    "新市东街",
    "太行路",
    "中原街",
    "黄华街",
)
ESTATES = ("金鼎小区", "书院小区", "凤台小区", "泰森花园", "开元小区", "景西小区", "")
EMPLOYERS = (
    "晋城市第一人民医院",
    "城区东街街道办事处",
    "泽州县农业农村局",
    "个体经营",
    "无业",
    "退休",
    "山西某某煤业有限公司",
    "晋城市某某建材有限公司",
    "在校学生",
    "务农",
)
MOBILE = ("34", "35", "36", "37", "38", "39", "50", "51", "52", "58", "59", "83", "87")
MARITAL = ("已婚",) * 6 + ("未婚", "丧偶", "离婚", "20", "10")
HEADER = [
    "序号",
    "身份证号",
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "婚姻状况",
    "联系电话",
    "户籍地址",
    "户号",
    "工作单位",
    "月收入",
    "家庭人口",
    "登记日期",
    "备注",
]

CATALOG = """\
departments:
  - code: BENCH
    name: 基准测试部门
resources:
  - code: BENCH-HJRK
    name: 户籍人口信息（基准测试）
    department: BENCH
    region: "140500"
    sharing: {type: 无条件共享}
    fields:
      - {name: id_number, label: 公民身份号码, standard: idcard, key: true, personal_info: identity}
      - {name: name, label: 姓名, standard: name, required: true, personal_info: identity}
      - {name: sex, label: 性别, standard: sex}
      - {name: ethnic, label: 民族, standard: ethnic}
      - {name: birth_date, label: 出生日期, type: date, standard: date}
      - {name: marital, label: 婚姻状况, standard: marital}
      - {name: phone, label: 联系电话, standard: phone, personal_info: contact}
      - {name: address, label: 户籍地址, standard: address, personal_info: contact}
      - {name: household_no, label: 户号, standard: text}
      - {name: employer, label: 工作单位, standard: text}
      - {name: income, label: 月收入, type: decimal, min: 0}
      - {name: family_size, label: 家庭人口, type: integer, min: 1, max: 20}
      - {name: registered_on, label: 登记日期, type: date, standard: date}
      - {name: remark, label: 备注}
"""
MAPPING = """\
resource: BENCH-HJRK
source: {format: csv, encoding: auto, delimiter: auto, header_row: auto, null_values: ["", "无", "不详"]}
columns:
  身份证号: id_number
  姓名: name
  性别: sex
  民族: ethnic
  出生日期: birth_date
  婚姻状况: marital
  联系电话: phone
  户籍地址: address
  户号: household_no
  工作单位: employer
  月收入: income
  家庭人口: family_size
  登记日期: registered_on
  备注: remark
extra_columns: ignore
"""


def _list(values: Any) -> str:
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"


def _check_char_sql(b17: str) -> str:
    total = " + ".join(f"(ascii(substr({b17}, {i + 1}, 1)) - 48) * {w}" for i, w in enumerate(WEIGHTS))
    return f"substr('10X98765432', (({total}) % 11)::INTEGER + 1, 1)"


def generate_sql(out: Path, rows: int) -> str:
    """One COPY statement writing ``rows`` rows as UTF-8 CSV to ``out``."""
    towns = [
        (county.code, county.name, town.name)
        for county in divisions.children(CITY)
        if county.current
        for town in divisions.children(county.code)
    ]
    codes, cnames, tnames = (_list(x) for x in zip(*towns, strict=True))
    n_towns = len(towns)
    return f"""
COPY (
WITH r AS (SELECT i, hash(i) AS h, hash(i + 1000000007) AS g, hash(i * 7 + 3) AS k, hash(i + 555555) AS q
           FROM range({rows}) t(i)),
-- households of 2.5 people on average: members share the household's town, address and number
r2 AS (SELECT *, hash((h >> 5) % {max(1, rows * 2 // 5)} + 31337) AS hh FROM r),
b AS (
  SELECT i, h, g, k, q, hh, ((hh >> 3) % {n_towns})::INTEGER + 1 AS t,
         DATE '1930-01-01' + ((h >> 8) % 33600)::INTEGER AS birth,
         ((h >> 30) % 1000)::INTEGER AS seq,
         (k % 1000)::INTEGER AS m
  FROM r2),
c AS (
  SELECT *, {codes}[t] AS county, {cnames}[t] AS county_name, {tnames}[t] AS town,
         CASE WHEN {codes}[t] = '140525' AND year(birth) < 1985 AND g % 3 = 0 THEN '140503'
              ELSE {codes}[t] END || strftime(birth, '%Y%m%d') || lpad(seq::VARCHAR, 3, '0') AS b17
  FROM b),
d AS (SELECT *, b17 || {_check_char_sql("b17")} AS id18 FROM c),
e AS (
  SELECT *,
    '{SURNAMES}'[(g % {len(SURNAMES)})::INTEGER + 1]
      || '{GIVEN}'[((g >> 8) % {len(GIVEN)})::INTEGER + 1]
      || CASE WHEN (g >> 16) % 3 > 0 THEN '{GIVEN}'[((g >> 20) % {len(GIVEN)})::INTEGER + 1] ELSE '' END
      AS nm,
    {_list(ROADS)}[((hh >> 24) % {len(ROADS)})::INTEGER + 1] || ((hh >> 28) % 300 + 1)::VARCHAR || '号'
      || {_list(ESTATES)}[((hh >> 36) % {len(ESTATES)})::INTEGER + 1]
      || CASE WHEN (hh >> 40) % 3 = 0
              THEN ((hh >> 42) % 20 + 1)::VARCHAR || '号楼' || ((hh >> 48) % 6 + 1)::VARCHAR || '单元'
                   || ((hh >> 51) % 6 + 1)::VARCHAR || '0' || ((hh >> 54) % 4 + 1)::VARCHAR || '室'
              ELSE '' END
      AS street,
    '1' || {_list(MOBILE)}[((k >> 12) % {len(MOBILE)})::INTEGER + 1]
      || lpad(((k >> 20) % 100000000)::VARCHAR, 8, '0') AS mobile
  FROM d)
SELECT
  i + 1 AS "序号",
  CASE WHEN m < 880 THEN id18
       WHEN m < 890 THEN substr(id18, 1, 17) || lower(substr(id18, 18))
       WHEN m < 920 THEN substr(id18, 1, 6) || substr(id18, 9, 9)
       WHEN m < 935 THEN b17 || substr('0123456789X',
                                       ((strpos('0123456789X', substr(id18, 18)) + 3) % 11)::INTEGER + 1, 1)
       WHEN m < 945 THEN translate(id18, '0123456789', '０１２３４５６７８９')
       WHEN m < 955 THEN substr(id18, 1, 6) || ' ' || substr(id18, 7, 8) || ' ' || substr(id18, 15)
       WHEN m < 965 THEN ' ' || id18 || ' '
       WHEN m < 975 THEN nullif(substr(md5(i::VARCHAR), 1, ((h >> 50) % 20)::INTEGER), '')
       ELSE id18 END AS "身份证号",
  CASE WHEN (k >> 8) % 100 < 5 THEN translate(nm, '{T_FROM}', '{T_TO}')
       WHEN (k >> 8) % 100 < 6 THEN substr(nm, 1, 1) || ' ' || substr(nm, 2)
       WHEN (k >> 8) % 100 < 7 THEN '不详'
       ELSE nm END AS "姓名",
  CASE WHEN (k >> 14) % 10 = 0 THEN (2 - seq % 2)::VARCHAR WHEN seq % 2 = 1 THEN '男' ELSE '女' END AS "性别",
  {_list(["汉族"] * 19 + ["汉", "回族", "01", "满族"])}[((k >> 18) % 23)::INTEGER + 1] AS "民族",
  CASE (g >> 40) % 20
       WHEN 0 THEN strftime(birth, '%Y年') || month(birth)::VARCHAR || '月' || day(birth)::VARCHAR || '日'
       WHEN 1 THEN strftime(birth, '%Y年') || month(birth)::VARCHAR || '月' || day(birth)::VARCHAR || '日'
       WHEN 2 THEN strftime(birth, '%Y%m%d') WHEN 3 THEN strftime(birth, '%Y%m%d')
       WHEN 4 THEN strftime(birth, '%Y%m%d')
       WHEN 5 THEN year(birth)::VARCHAR || '/' || month(birth)::VARCHAR || '/' || day(birth)::VARCHAR
       WHEN 6 THEN year(birth)::VARCHAR || '/' || month(birth)::VARCHAR || '/' || day(birth)::VARCHAR
       WHEN 7 THEN year(birth)::VARCHAR || '/' || month(birth)::VARCHAR || '/' || day(birth)::VARCHAR
       ELSE strftime(birth, '%Y-%m-%d') END AS "出生日期",
  CASE WHEN year(birth) > 2004 THEN '未婚'
       ELSE {_list(MARITAL)}[((k >> 24) % {len(MARITAL)})::INTEGER + 1] END AS "婚姻状况",
  CASE WHEN (k >> 28) % 100 < 78 THEN mobile
       WHEN (k >> 28) % 100 < 86 THEN '0356-' || (2000000 + (k >> 36) % 7000000)::VARCHAR
       WHEN (k >> 28) % 100 < 90 THEN '+86 ' || mobile
       WHEN (k >> 28) % 100 < 93
            THEN substr(mobile, 1, 3) || ' ' || substr(mobile, 4, 4) || ' ' || substr(mobile, 8)
       WHEN (k >> 28) % 100 < 97 THEN '无'
       END AS "联系电话",
  CASE (hh >> 58) % 4
       WHEN 0 THEN '山西省晋城市' || county_name || town || street
       WHEN 1 THEN '晋城市' || county_name || town || street
       WHEN 2 THEN county_name || town || street
       ELSE town || street END AS "户籍地址",
  county || lpad(((hh >> 12) % 1000000)::VARCHAR, 6, '0') AS "户号",
  {_list(EMPLOYERS)}[((g >> 44) % {len(EMPLOYERS)})::INTEGER + 1] AS "工作单位",
  CASE WHEN q % 10 = 0 THEN NULL ELSE (1500 + (q >> 8) % 1850000 / 100.0)::DECIMAL(12, 2)::VARCHAR END
    AS "月收入",
  ((g >> 56) % 6 + 1)::VARCHAR AS "家庭人口",
  strftime(DATE '2000-01-01' + ((k >> 40) % 8800)::INTEGER, '%Y-%m-%d') AS "登记日期",
  CASE WHEN (k >> 52) % 20 = 0 THEN '户口迁入待核实' WHEN (k >> 52) % 20 = 1 THEN '已死亡未注销' END AS "备注"
FROM e ORDER BY i
) TO '{out}' (FORMAT CSV, HEADER, DELIMITER ',')
"""


def transcode_to_gbk(src: Path, dst: Path, chunk: int = 32 << 20) -> None:
    """UTF-8 to GBK in large chunks (cut at line ends): strict, so a character GBK lacks is an error."""
    with src.open("rb") as fin, dst.open("wb") as fout:
        rest = b""
        while block := fin.read(chunk):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            block, rest = block[:cut], block[cut:]
            fout.write(block.decode("utf-8").encode("gbk"))
        fout.write(rest.decode("utf-8").encode("gbk"))


class PeakRSS:
    """The largest resident set size of this process, sampled every ``every`` seconds."""

    def __init__(self, every: float = 0.02) -> None:
        self.every, self.peak = every, 0
        self._stop = threading.Event()
        self._proc = psutil.Process()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            self._stop.wait(self.every)

    def __enter__(self) -> PeakRSS:
        self.peak = self._proc.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)


class Phases:
    """The progress callback: when each phase, and each step of the cleansing, ended."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.marks: list[tuple[str, int, int | None, float]] = []  # stage, done, total, seconds

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        self.marks.append((stage, done, total, time.perf_counter() - self.t0))

    def durations(self, end: float) -> dict[str, float]:
        """Seconds per phase: a phase lasts from its first tick to the next phase's first tick."""
        firsts: list[tuple[str, float]] = []
        for stage, _, _, t in self.marks:
            if not firsts or firsts[-1][0] != stage:
                firsts.append((stage, t))
        out = {"setup": firsts[0][1] if firsts else end}
        for (stage, t), nxt in zip(firsts, [*firsts[1:], ("end", end)], strict=True):
            out[stage] = out.get(stage, 0.0) + nxt[1] - t
        return out

    def cleanse_split(self) -> tuple[float, float] | None:
        """(building the fields' lookup tables, the main query and key check): the load ticks
        ``cleanse`` 0 at the start, once per finished lookup, and ``total`` at the end."""
        ticks = [t for stage, _, _, t in self.marks if stage == "cleanse"]
        if len(ticks) < 3:
            return None
        return ticks[-2] - ticks[0], ticks[-1] - ticks[-2]


def machine() -> str:
    model = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next(
            (line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), ""
        )
    except OSError:
        pass
    mem = psutil.virtual_memory().total / 2**30
    return (
        f"{platform.machine()}, {os.cpu_count()} CPUs ({model or 'unknown model'}), {mem:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"DuckDB {duckdb.__version__}"
    )


def write_inputs(folder: Path, rows: int, *, keep_utf8: bool = False) -> Path:
    """The GBK CSV, catalog.yaml and mapping.yaml in ``folder``; returns the CSV's path. With
    ``keep_utf8`` the UTF-8 original stays beside it (``population.utf8.csv``)."""
    utf8, gbk = folder / "population.utf8.csv", folder / "population.csv"
    t = time.perf_counter()
    con = duckdb.connect()
    con.execute(generate_sql(utf8, rows))
    con.close()
    t1 = time.perf_counter()
    transcode_to_gbk(utf8, gbk)
    if not keep_utf8:
        utf8.unlink()
    t2 = time.perf_counter()
    (folder / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    (folder / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    size = gbk.stat().st_size
    print(
        f"generated {rows:,} rows × {len(HEADER)} columns in {t1 - t:.1f} s, GBK in {t2 - t1:.1f} s: "
        f"{size / 2**20:.0f} MiB"
    )
    return gbk


class Timeline:
    """The load's SQL statements with their start, end and thread (``--timeline``): wraps the
    DuckDB engine's query methods for the duration of a ``with`` block."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.events: list[tuple[float, float, str, str]] = []
        self._saved: dict[str, Any] = {}

    def __enter__(self) -> Timeline:
        from shuzhi.engine import DuckDBEngine

        for name in ("execute", "fetch_rows", "fetch_arrow"):
            original = getattr(DuckDBEngine, name)
            self._saved[name] = original
            setattr(DuckDBEngine, name, self._wrap(original))
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        from shuzhi.engine import DuckDBEngine

        for name, original in self._saved.items():
            setattr(DuckDBEngine, name, original)

    def _wrap(self, original: Any) -> Any:
        def timed(engine: Any, sql: str, *args: Any, **kw: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(engine, sql, *args, **kw)
            finally:
                label = " ".join(str(sql).split())
                m = re.search(r'"_sz_ing_\w+?_(\w+)"', label[:90])
                what = f"{label.split()[0]} {m.group(1)}" if m else label[:60]
                thread = threading.current_thread().name
                self.events.append((start - self.t0, time.perf_counter() - self.t0, thread, what))

        return timed

    def print(self, marks: list[tuple[str, int, int | None, float]], least: float = 0.02) -> None:
        print(
            f"\ntimeline of the first load (statements of {least * 1000:.0f} ms and more; s from its start):"
        )
        print("| start | end | took | thread | statement |")
        print("|---|---|---|---|---|")
        for start, end, thread, what in self.events:
            if end - start >= least:
                print(f"| {start:.2f} | {end:.2f} | {end - start:.2f} | {thread} | `{what}` |")
        first: dict[str, float] = {}
        for stage, _, _, t in marks:  # seconds from the load's start already
            first.setdefault(stage, t)
        print("phases start at: " + ", ".join(f"{stage} {t:.2f} s" for stage, t in first.items()))


def run_once(
    folder: Path, csv_path: Path, n: int, n_rows: int, timeline: Timeline | None = None
) -> dict[str, Any]:
    from shuzhi.catalog import declare
    from shuzhi.ingest import ingest
    from shuzhi.workspace import Workspace

    load_before = os.getloadavg()[0]
    ws_dir = folder / f"ws{n}"
    ws = Workspace.init(ws_dir)
    try:
        declare(ws, str(folder / "catalog.yaml"))
        phases = Phases()
        proc = psutil.Process()
        with PeakRSS() as rss, timeline or contextlib.nullcontext():
            cpu0 = sum(proc.cpu_times()[:4])  # with the transcoding worker processes
            t = time.perf_counter()
            phases.t0 = t
            result = ingest(ws, "BENCH-HJRK", csv_path, mapping=folder / "mapping.yaml", progress=phases)
            total = time.perf_counter() - t
            cpu = sum(proc.cpu_times()[:4]) - cpu0
        if timeline is not None:
            timeline.print(phases.marks)
        # the version holds the loaded rows, each once (a lookup with a repeated key would repeat them)
        files = str(ws.warehouse / "BENCH-HJRK" / f"v{result.version}" / "data" / "*.parquet")
        with duckdb.connect() as con:
            written = con.execute(
                f"SELECT count(*), count(DISTINCT _row) FROM read_parquet('{files}')"
            ).fetchone()
        if result.rows_in != n_rows or written != (result.rows_loaded, result.rows_loaded):
            raise SystemExit(
                f"wrong row counts: {result.rows_in:,} rows read of {n_rows:,}; the version has "
                f"{written} rows (distinct), {result.rows_loaded:,} loaded"
            )
    finally:
        ws.close()
    shutil.rmtree(ws_dir, ignore_errors=True)
    return {
        "total": total,
        "cpu": cpu,
        "rss": rss.peak,
        "phases": phases.durations(total),
        "split": phases.cleanse_split(),
        "result": result,
        "load": (load_before, os.getloadavg()[0]),
    }


def bare_copy(folder: Path, csv_path: Path) -> float:
    """Seconds to do only what any load of the file must: transcode it to UTF-8 with shuzhi's
    reader (same worker processes) and copy it to one Parquet file (zstd level 1) with DuckDB's
    CSV reader, every column text: no catalog, cleansing, key check, quarantine or quality."""
    from shuzhi.engine import DuckDBEngine
    from shuzhi.ingest._readers._common import Context
    from shuzhi.ingest._readers._text import prepare_text
    from shuzhi.ingest.mapping import SourceOptions

    out = folder / "bare.parquet"
    t = time.perf_counter()
    engine = DuckDBEngine(standards=False)
    ctx = Context(engine, str(csv_path), SourceOptions(), "bare", [], folder / "tmp")
    tf = prepare_text(ctx, csv_path, quote=b'"')
    try:
        engine.execute(
            f"COPY (SELECT * FROM read_csv('{tf.path}', all_varchar = true, header = true)) "
            f"TO '{out}' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)"
        )
        took = time.perf_counter() - t
    finally:
        engine.close()
        tf.discard()
        out.unlink(missing_ok=True)
    return took


PROFILE_KINDS = (
    ("身份证号", "sz_idcard_check({c})"),
    ("姓名", "sz_name_check_lean({c})"),
    ("出生日期", "sz_date_check({c})"),
    ("登记日期", "sz_date_check({c})"),
    ("联系电话", "sz_phone_check({c})"),
    ("户籍地址", "sz_address_check_ctx({c}, '140500')"),
    ("性别", "sz_code_map('sex', {c})"),
    ("民族", "sz_code_map('ethnic', {c})"),
    ("婚姻状况", "sz_code_map('marital', {c})"),
)


def profile(utf8_csv: Path) -> None:
    """Each standard's SQL form alone over the distinct values of its column (what the cleansing
    phase computes per field), timed; a fresh connection with the standards installed."""
    from shuzhi.standards import install

    con = duckdb.connect()
    install(con)
    con.execute(f"CREATE TABLE src AS SELECT * FROM read_csv('{utf8_csv}', all_varchar=true, header=true)")
    print("\nper standard, its SQL form over the distinct values of its column (best of 2; the DISTINCT")
    print("alone is timed separately and subtracted):")
    print("| column | SQL form | distinct values | DISTINCT | check | values/s |")
    print("|---|---|---|---|---|---|")

    def best_of_2(sql: str) -> float:
        times = []
        for _ in range(2):
            t = time.perf_counter()
            con.execute(sql).fetchall()
            times.append(time.perf_counter() - t)
        return min(times)

    for column, expr in PROFILE_KINDS:
        c = f'"{column}"'
        distinct = con.execute(f"SELECT count(DISTINCT {c}) FROM src").fetchone()[0]  # type: ignore[index]
        base = best_of_2(f"SELECT sum(hash(v)) FROM (SELECT DISTINCT {c} AS v FROM src)")
        full = best_of_2(f"SELECT sum(hash({expr.format(c='v')})) FROM (SELECT DISTINCT {c} AS v FROM src)")
        check = max(full - base, 1e-3)
        print(
            f"| {column} | `{expr.format(c='s')}` | {distinct:,} | {base:.2f} s | {check:.2f} s | "
            + (f"{distinct / check / 1e3:,.0f} k/s |" if distinct >= 1000 else "— |")
        )
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows to generate (default 1,000,000)")
    ap.add_argument(
        "--runs", type=int, default=3, help="loads to time, each in a fresh workspace (default 3)"
    )
    ap.add_argument("--keep", action="store_true", help="keep the generated folder (its path is printed)")
    ap.add_argument("--dir", type=Path, default=None, help="where to generate (default: a temporary folder)")
    ap.add_argument("--profile", action="store_true", help="also time each standard's SQL form alone")
    ap.add_argument(
        "--timeline",
        action="store_true",
        help="print the first load's SQL statements with their times and threads",
    )
    args = ap.parse_args()

    print(f"machine: {machine()}")
    print(f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    folder = args.dir or Path(tempfile.mkdtemp(prefix="shuzhi-bench-ingest-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        csv_path = write_inputs(folder, args.rows, keep_utf8=args.profile)
        runs = [
            run_once(folder, csv_path, n, args.rows, Timeline() if args.timeline and n == 1 else None)
            for n in range(1, args.runs + 1)
        ]
        r = runs[-1]["result"]
        print(
            f"\nloaded {r.rows_loaded:,} of {r.rows_in:,} rows, quarantined {r.rows_quarantined:,}, "
            f"flagged {r.rows_flagged:,}; encoding {r.source.encoding}"
        )
        for q in r.quarantine:  # every rule: the counts must not move between code versions
            print(f"    quarantine {q.rule:34s} {q.count:>9,}")
        for q in r.issues[:8]:
            print(f"    issue      {q.rule:34s} {q.count:>9,}")
        phases = sorted({p for run in runs for p in run["phases"]}, key=list(runs[0]["phases"]).index)
        print(
            f"\n| run | total | rows/s | CPU time | peak RSS | {' | '.join(phases)} | load avg before/after |"
        )
        print(f"|---|---|---|---|---|{'---|' * len(phases)}---|")
        for i, run in enumerate(runs, 1):
            cells = " | ".join(f"{run['phases'].get(p, 0):.1f} s" for p in phases)
            print(
                f"| {i} | {run['total']:.1f} s | {args.rows / run['total'] / 1e3:,.0f} k | "
                f"{run['cpu']:.1f} s | "
                f"{run['rss'] / 2**20:,.0f} MiB | {cells} | {run['load'][0]:.1f} / {run['load'][1]:.1f} |"
            )
        best = min(run["total"] for run in runs)
        print(
            f"\nbest {args.rows / best / 1e3:,.0f} k rows/s (target ≥ 200 k rows/s: "
            f"{'met' if args.rows / best >= 200_000 else 'NOT met'})"
        )
        bare = min(bare_copy(folder, csv_path) for _ in range(args.runs))
        print(
            f"bare copy of the same file (transcode + CSV to Parquet, nothing else), best of "
            f"{args.runs}: {bare:.1f} s = {args.rows / bare / 1e3:,.0f} k rows/s; the load takes "
            f"{best / bare:.1f} × that"
        )
        print("\ncleanse phase = the lookup tables (two at a time) + the main query and key check:")
        for i, run in enumerate(runs, 1):
            if run["split"] is not None:
                print(f"  run {i}: {run['split'][0]:.1f} s + {run['split'][1]:.1f} s")
        whole = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"process max RSS (whole run, generation included): {whole:,.0f} MiB")
        if args.profile:
            profile(folder / "population.utf8.csv")
    finally:
        if args.keep:
            print(f"kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
