#!/usr/bin/env python3
"""Synthetic city generation: 1,000,000 people with every dataset, catalog, mappings and truth.

Generates the city into a temporary folder (or the one given) and prints the time of each step,
the rows of each dataset, the size of what was written and the peak memory
(``resource.getrusage``). Target (issue 5): under 2 minutes for 1M people on the 2-core machine.

Run: ``.venv/bin/python benchmarks/bench_city.py [PEOPLE] [OUT]`` (default 1,000,000, a temp folder).
"""

from __future__ import annotations

import itertools
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

from shuzhi.demo.city import generate


def main() -> None:
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tmp) / "city"
        marks: list[tuple[str, float]] = []
        start = time.perf_counter()
        m = generate(
            out, people=people, seed=20201101, progress=lambda s: marks.append((s, time.perf_counter()))
        )
        end = time.perf_counter()
        size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
        print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}")
        print(f"{people:,} people, {m.households:,} households, {m.entities:,} entities")
        steps = [*marks, ("end", end)]
        for (name, t0), (_, t1) in itertools.pairwise(steps):
            print(f"  {name:10s} {t1 - t0:6.1f} s")
        for d in m.datasets:
            print(f"  {d.resource:9s} {d.rows:>10,} rows  {d.format:5s} {d.encoding:9s} {d.file}")
        print(f"total {end - start:.1f} s; {size / 1e6:,.0f} MB written")
        print(f"peak memory (max RSS) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")


if __name__ == "__main__":
    main()
