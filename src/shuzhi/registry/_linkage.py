"""Record linkage on Splink 5 (DuckDB backend), with comparisons made for Chinese data.

The model (see ``docs/registry.md`` for the procedure and why):

* **comparisons** — citizen ID (identical / the same after 15→18 upgrade or ``x``→``X`` / one
  wrong digit or two swapped digits while the embedded birth date and sex agree / different);
  name (identical / the same in Simplified without spaces or middle dots / the same pinyin,
  同音字 / one character apart in names of three or more / different); date of birth; sex
  (declared, else implied by the ID); phone; address level by level (room, building, estate or
  road and number, town, county);
* **blocking** — the rules of :data:`PREDICTION_RULES`; every rule's pairs are counted before
  anything is scored, and a run over ``[registry] max_comparisons`` is refused
  (:class:`BudgetExceeded`);
* **training**, unsupervised and reproducible: the prior match probability from deterministic
  rules (``[registry] recall``), u probabilities from random sampling with ``[registry] seed``,
  m probabilities by expectation maximisation on two blocking rules (ID, then name pinyin + birth
  date) so that every comparison is estimated once without the column it was blocked on.

Splink runs on its own DuckDB connection with the ``[registry]`` (else ``[engine]``) memory
limit and threads, spilling to ``tmp/registry/`` in the workspace. When the workspace engine is
Spark (``[engine] kind = "spark"``), :meth:`Linkage.open` gives a
:class:`~shuzhi.registry._spark.SparkLinkage` instead: the same comparisons, blocking rules and
training on Splink's ``SparkAPI``. The comparison SQL is therefore written in DuckDB's dialect
(:data:`SQL_DIALECT`) with functions both backends have, and Splink transpiles it with sqlglot.
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from shuzhi.config import RegistrySettings
from shuzhi.errors import Conflict

if TYPE_CHECKING:
    import duckdb
    from splink import Linker, SettingsCreator
    from splink.internals.comparison_creator import ComparisonCreator
    from splink.internals.splink_dataframe import SplinkDataFrame

    from shuzhi.engine import DuckDBEngine, Engine

__all__ = [
    "DETERMINISTIC_RULES",
    "DIFFERENT_VALID_IDS_GAMMA",
    "DIFFERENT_VALID_IDS_M",
    "EM_RULES",
    "PREDICTION_RULES",
    "BlockingRuleCount",
    "BudgetExceeded",
    "Linkage",
    "comparisons",
    "settings_creator",
    "splink_rule",
]

log = logging.getLogger("shuzhi.registry")

#: blocking rules that generate the pairs to score: (label, columns that must be equal, a boolean
#: column that must not be true on both sides). The two rules meant for mistyped IDs only pair
#: records of which at least one ID is invalid: a valid number has no typo to catch.
PREDICTION_RULES: tuple[tuple[str, tuple[str, ...], str | None], ...] = (
    ("身份证号 / citizen ID", ("id18",), None),
    (
        "身份证前14位（地区+出生，有无效号码）/ ID region and birth digits (an invalid ID)",
        ("id_head",),
        "id_valid",
    ),
    ("姓名拼音+出生日期 / name pinyin and birth date", ("name_py", "dob"), None),
    (
        "姓名+身份证后4位（有无效号码）/ name and the last 4 ID digits (an invalid ID)",
        ("name_norm", "id_tail"),
        "id_valid",
    ),
    ("姓名+出生年月 / name and birth month", ("name_norm", "dob_ym"), None),
    ("姓名+电话 / name and phone", ("name_norm", "phone"), None),
    ("姓名+地址 / name and address", ("name_norm", "addr_county", "addr_place"), None),
    ("出生日期+电话 / birth date and phone", ("dob", "phone"), None),
)


#: the dialect the comparisons and blocking rules are written in: DuckDB's, and nothing a Spark
#: backend cannot run once Splink has transpiled it (functions both have, ``damerau_levenshtein``
#: from Splink's jar on Spark; derived columns are computed in standardisation)
SQL_DIALECT = "duckdb"


def splink_rule(cols: Sequence[str], unless_both: str | None) -> Any:
    """The Splink blocking rule of a :data:`PREDICTION_RULES` entry."""
    from splink import block_on
    from splink.blocking_rule_library import CustomRule

    if unless_both is None:
        return block_on(*cols)
    equal = " AND ".join(f'l."{c}" = r."{c}"' for c in cols)
    # written in DuckDB's dialect; Splink transpiles it (sqlglot) for another backend
    return CustomRule(f'{equal} AND NOT (l."{unless_both}" AND r."{unless_both}")', sql_dialect=SQL_DIALECT)


#: rules taken to find (almost) only true matches, to estimate the prior match probability
DETERMINISTIC_RULES: tuple[str, ...] = (
    "l.id18 = r.id18 AND l.name_py = r.name_py",
    "l.name_norm = r.name_norm AND l.dob = r.dob AND l.phone = r.phone",
)
#: expectation maximisation, one session per rule (each trains the comparisons it does not use)
EM_RULES: tuple[tuple[str, ...], ...] = (("id18",), ("name_py", "dob"))


#: the share of true matches whose records carry two different *valid* citizen IDs: a wrong
#: number that still passes the GB 11643 check takes two mistyped digits, so this is fixed, not
#: trained (twins, who agree on everything else, would teach EM otherwise)
DIFFERENT_VALID_IDS_M = 1e-4
#: gamma value of that level in the ``citizen_id`` comparison (levels count down to ELSE = 0):
#: such pairs are vetoed before clustering, whatever their score
DIFFERENT_VALID_IDS_GAMMA = 1


#: a block at least this large has its shared value reported (a placeholder, not one family's
#: personal data)
SHOWN_BLOCK = 10


class BudgetExceeded(Conflict):
    """A registry build refused before scoring: its blocking rules make too many pairs."""

    code = "budget_exceeded"

    def __init__(self, counts: Sequence[BlockingRuleCount], budget: int, total: int) -> None:
        lines = "; ".join(c.describe() for c in counts)
        super().__init__(
            f"比对对数超出预算，已拒绝运行 / refused: the blocking rules make {total:,} record pairs, "
            "over the "
            f"budget of {budget:,} ([registry] max_comparisons). 各规则 / per rule: {lines}. "
            "请检查数据中大量重复的值（如占位的出生日期或电话），或提高预算 / check the data for values "
            "shared by many records (placeholder dates or phones), or raise the budget"
        )
        self.counts = list(counts)
        self.budget = budget
        self.total = total


@dataclass(frozen=True)
class BlockingRuleCount:
    """What one blocking rule makes, counted before the run."""

    rule: str
    columns: tuple[str, ...]
    #: pairs the rule makes on its own (exact)
    pairs: int
    #: records in its largest block, and the value they share (a placeholder, often)
    largest_block: int
    largest_key: str | None = None
    #: pairs not already made by the rules before it, and the running total (Splink's blocking
    #: analysis; estimated from a sample when ``estimated``)
    new_pairs: int | None = None
    cumulative: int | None = None
    estimated: bool = False

    def describe(self) -> str:
        text = f"{self.rule}: {self.pairs:,}"
        if self.new_pairs is not None:
            text += f" (+{self.new_pairs:,} new)"
        text += f", largest block {self.largest_block:,}"
        return text + (f" ({self.largest_key})" if self.largest_key else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "columns": list(self.columns),
            "pairs": self.pairs,
            "largest_block": self.largest_block,
            "largest_key": self.largest_key,
            "new_pairs": self.new_pairs,
            "cumulative": self.cumulative,
            "estimated": self.estimated,
        }


def _level(sql: str, label: str, m: float) -> Any:
    import splink.comparison_level_library as cll

    return cll.CustomLevel(sql, label, base_dialect_str=SQL_DIALECT).configure(m_probability=m)


def comparisons() -> list[ComparisonCreator]:
    """The comparisons of the person registry (prior m probabilities are EM's starting point and
    stay in force where training sees no example)."""
    import splink.comparison_level_library as cll
    from splink.comparison_library import CustomComparison

    def null(*cols: str) -> Any:
        sql = " OR ".join(f'"{c}_l" IS NULL OR "{c}_r" IS NULL' for c in cols)
        return cll.CustomLevel(sql, "缺失 / missing", base_dialect_str=SQL_DIALECT).configure(
            is_null_level=True
        )

    citizen_id = CustomComparison(
        [
            null("id18"),
            _level("id_sq_l = id_sq_r", "号码相同 / identical", 0.85),
            _level("id18_l = id18_r", "15↔18位或x等价 / same after 15→18 upgrade or x→X", 0.08),
            _level(
                "length(id18_l) = 18 AND length(id18_r) = 18 AND damerau_levenshtein(id18_l, id18_r) <= 1 "
                "AND id_birth_l = id_birth_r AND id_sex_l = id_sex_r",
                "一位错或两位颠倒（出生日期、性别相符）/ "
                "one wrong or two swapped digits, birth and sex agree",
                0.05,
            ),
            _level(
                "length(id18_l) = 18 AND length(id18_r) = 18 AND damerau_levenshtein(id18_l, id18_r) <= 1 "
                "AND NOT (id_valid_l AND id_valid_r)",
                "一位错或两位颠倒（在出生日期或性别位）/ "
                "one wrong or two swapped digits, in the birth or sex digits",
                0.01,
            ),
            _level(
                "id_valid_l AND id_valid_r AND id18_l <> id18_r",
                "两个不同的有效号码 / two different valid numbers",
                DIFFERENT_VALID_IDS_M,
            ).configure(fix_m_probability=True),
            cll.ElseLevel().configure(m_probability=0.02),
        ],
        output_column_name="citizen_id",
        comparison_description="公民身份号码 / citizen ID",
    )
    name = CustomComparison(
        [
            null("name_norm"),
            _level("name_raw_l = name_raw_r", "姓名相同 / identical", 0.8),
            _level(
                "name_norm_l = name_norm_r",
                "繁简、空格、间隔号外相同 / same after Traditional→Simplified, spaces, middle dots",
                0.08,
            ).configure(tf_adjustment_column="name_norm", tf_adjustment_weight=1.0),
            _level("name_py_l = name_py_r", "同音 / same pinyin (homophones)", 0.05),
            _level(
                "name_norm_l = name_alt_r OR name_alt_l = name_norm_r",
                "与曾用名相同 / the same as a former name",
                0.02,
            ),
            _level(
                "least(length(name_norm_l), length(name_norm_r)) >= 3 "
                "AND levenshtein(name_norm_l, name_norm_r) <= 1",
                "一字之差（三字以上）/ one character apart (3+ characters)",
                0.04,
            ),
            cll.ElseLevel().configure(m_probability=0.03),
        ],
        output_column_name="name",
        comparison_description="姓名 / name",
    )
    birth = CustomComparison(
        [
            null("dob"),
            _level("dob_l = dob_r", "相同 / identical", 0.9),
            _level(
                "damerau_levenshtein(dob_txt_l, dob_txt_r) <= 1 OR (year(dob_l) = year(dob_r) "
                "AND month(dob_l) = day(dob_r) AND day(dob_l) = month(dob_r))",
                "一位错、两位颠倒或月日互换 / one digit wrong, two swapped, or month and day swapped",
                0.06,
            ),
            _level(
                "dob_ym_l = dob_ym_r",
                "同年同月（如只写到月）/ same year and month (e.g. written to the month)",
                0.02,
            ),
            _level("year(dob_l) = year(dob_r)", "同年 / same year", 0.02),
            cll.ElseLevel().configure(m_probability=0.02),
        ],
        output_column_name="birth_date",
        comparison_description="出生日期 / date of birth",
    )
    sex = CustomComparison(
        [
            null("sex"),
            _level("sex_l = sex_r", "相同 / same", 0.98),
            cll.ElseLevel().configure(m_probability=0.02),
        ],
        output_column_name="sex",
        comparison_description="性别（声明的或身份证号的）/ sex (declared, else the ID's)",
    )
    phone = CustomComparison(
        [
            null("phone"),
            _level("phone_l = phone_r", "相同 / identical", 0.6),
            _level("damerau_levenshtein(phone_l, phone_r) <= 1", "一位错 / one digit apart", 0.05),
            cll.ElseLevel().configure(m_probability=0.35),
        ],
        output_column_name="phone",
        comparison_description="联系电话 / phone",
    )
    town = "(addr_town_l = addr_town_r OR addr_town_l IS NULL OR addr_town_r IS NULL)"
    place = f"addr_county_l = addr_county_r AND {town} AND addr_place_l = addr_place_r"
    address = CustomComparison(
        [
            null("addr_county"),
            _level(
                f"{place} AND addr_building_l IS NOT DISTINCT FROM addr_building_r "
                "AND addr_room_l = addr_room_r",
                "同一户（至室）/ same dwelling (to the room)",
                0.45,
            ),
            _level(f"{place} AND addr_building_l = addr_building_r", "同一楼（单元）/ same building", 0.1),
            _level(place, "同一小区或门牌 / same estate or street number", 0.15),
            _level(
                "addr_county_l = addr_county_r AND addr_town_l = addr_town_r",
                "同一乡镇街道 / same town or sub-district",
                0.1,
            ),
            _level("addr_county_l = addr_county_r", "同一区县 / same county", 0.1),
            cll.ElseLevel().configure(m_probability=0.1),
        ],
        output_column_name="address",
        comparison_description="住址（逐级）/ address, level by level",
    )
    return [citizen_id, name, birth, sex, phone, address]


def settings_creator(model: dict[str, Any] | None = None) -> SettingsCreator:
    """The Splink settings of the person registry (untrained), or of the trained ``model``."""
    from splink import SettingsCreator

    if model is not None:
        return SettingsCreator.from_path_or_dict(model)
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="rid",
        comparisons=list(comparisons()),
        blocking_rules_to_generate_predictions=[
            splink_rule(cols, unless) for _, cols, unless in PREDICTION_RULES
        ],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
        max_iterations=25,
        em_convergence=0.0001,
    )


def run_engine(
    settings: RegistrySettings, *, memory_limit: str, threads: int | None, spill: Path
) -> DuckDBEngine:
    """A DuckDB engine (with the standards macros) for one full run: the records are standardised
    into its tables and linked on its :attr:`~shuzhi.engine.DuckDBEngine.connection`, bounded
    as :func:`connect` is."""
    from shuzhi.engine import DuckDBEngine

    spill.mkdir(parents=True, exist_ok=True)
    return DuckDBEngine(
        memory_limit=settings.memory_limit or memory_limit,
        threads=settings.threads or threads,
        temp_directory=spill,
    )


def connect(
    settings: RegistrySettings, *, memory_limit: str, threads: int | None, spill: Path
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection for one linkage run, bounded in memory and spilling to ``spill``."""
    import duckdb

    spill.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {
        "memory_limit": settings.memory_limit or memory_limit,
        "temp_directory": str(spill),
        "python_enable_replacements": False,
    }
    if settings.threads or threads:
        config["threads"] = settings.threads or threads
    return duckdb.connect(":memory:", config=config)


class Linkage:
    """One Splink model over the table ``table`` (with :data:`MODEL_COLUMNS`) on ``con``."""

    #: where Splink runs (``duckdb``: on ``con`` itself)
    backend: str = "duckdb"
    #: options of ``estimate_u_using_random_sampling`` beyond the pairs and the seed (Splink's
    #: defaults here: ten chunks, stopping once every level was seen 100 times)
    u_options: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        table: str,
        settings: RegistrySettings,
        *,
        model: dict[str, Any] | None = None,
    ) -> None:
        """``model``: a trained model (``model.json`` of an earlier run) to score with instead of
        a new, untrained one."""
        from splink import DuckDBAPI, Linker

        self.con = con
        self.table = table
        self.settings = settings
        self.db = DuckDBAPI(con)
        sdf = self.db.register(table, table_name=f"{table}_splink")
        self.linker: Linker = Linker(sdf, settings_creator(model), log_level=None)
        self.records = int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])

    @classmethod
    def open(
        cls,
        con: duckdb.DuckDBPyConnection,
        table: str,
        settings: RegistrySettings,
        *,
        engine: Engine | None = None,
        work: Path | None = None,
        model: dict[str, Any] | None = None,
    ) -> Linkage:
        """The linkage on the backend of ``engine`` (the workspace's ``[engine] kind``): Splink's
        ``SparkAPI`` on the engine's Spark session when it is a Spark engine
        (:class:`shuzhi.registry._spark.SparkLinkage`, exchanging Parquet through ``work``), else
        DuckDB on ``con``. Either way ``table`` is a table of ``con`` and the scored pairs come back
        to ``con``. Scoring with a saved ``model`` (an incremental update) runs on DuckDB: models
        are saved in DuckDB's dialect."""
        if engine is not None and engine.kind == "spark" and model is None:
            from shuzhi.registry._spark import SparkLinkage

            if work is None:
                raise ValueError("a Spark linkage needs a work folder to exchange Parquet through")
            return SparkLinkage(con, table, settings, engine=engine, work=work)
        return cls(con, table, settings, model=model)

    # -- the budget ----------------------------------------------------------------------------

    def count_pairs(self) -> list[BlockingRuleCount]:
        """Every prediction rule's pairs, counted exactly per rule in SQL (no pair is made), then
        deduplicated across rules with Splink's blocking analysis (sampled on large inputs)."""
        counts: list[BlockingRuleCount] = []
        for label, cols, unless in PREDICTION_RULES:
            keys = ", ".join(f'"{c}"' for c in cols)
            notnull = " AND ".join(f'"{c}" IS NOT NULL' for c in cols)
            shown = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in cols)
            both = f'count(*) FILTER (WHERE "{unless}")' if unless else "0"
            row = self.con.execute(
                f"SELECT coalesce(sum(n * (n - 1) // 2 - t * (t - 1) // 2), 0), coalesce(max(n), 0), "
                f"arg_max(k, n) FROM (SELECT count(*) AS n, {both} AS t, concat_ws(' + ', {shown}) AS k "
                f"FROM {self.table} WHERE {notnull} GROUP BY {keys})"
            ).fetchall()[0]
            counts.append(
                BlockingRuleCount(
                    label,
                    cols,
                    int(row[0]),
                    int(row[1]),
                    largest_key=str(row[2]) if int(row[1]) >= SHOWN_BLOCK else None,
                )
            )
        return counts

    def check_budget(self, counts: list[BlockingRuleCount]) -> list[BlockingRuleCount]:
        """Refuse (:class:`BudgetExceeded`) when the rules make more pairs than the budget;
        return ``counts`` with the new and cumulative pairs of Splink's blocking analysis."""
        budget = self.settings.max_comparisons
        worst = max((c.pairs for c in counts), default=0)
        total_upper = sum(c.pairs for c in counts)
        if worst > budget:
            raise BudgetExceeded(counts, budget, worst)
        sample = 1.0 if total_upper <= 2_000_000 else max(0.01, math.sqrt(2_000_000 / total_upper))
        with warnings.catch_warnings():
            # a sampled estimate based on few pairs warns; it is only a report here
            warnings.simplefilter("ignore", UserWarning)
            records = self.linker.blocking_analysis.count_comparisons_from_blocking_rules(
                record_sample_proportion=sample
            )
        out = [
            BlockingRuleCount(
                c.rule,
                c.columns,
                c.pairs,
                c.largest_block,
                c.largest_key,
                new_pairs=int(r["marginal_comparison_count"]),
                cumulative=int(r["cumulative_comparison_count"]),
                estimated=bool(r["is_estimate"]),
            )
            for c, r in zip(counts, records, strict=True)
        ]
        total = out[-1].cumulative if out else 0
        if total is not None and total > budget and total_upper > budget:
            raise BudgetExceeded(out, budget, total)
        return out

    # -- training ------------------------------------------------------------------------------

    def train(self) -> dict[str, Any]:
        """The documented procedure; returns what it estimated (for the run summary)."""
        from splink import block_on

        s = self.settings
        training = self.linker.training
        report: dict[str, Any] = {}
        try:
            training.estimate_probability_two_random_records_match(list(DETERMINISTIC_RULES), recall=s.recall)
        except ValueError as e:  # the rules found more matches than the recall allows
            log.warning("prior match probability left at its default: %s", e)
            report["prior_error"] = str(e)
        total_pairs = self.records * (self.records - 1) / 2
        settings = self.linker._settings_obj  # Splink keeps the prior there; no public setter
        if settings._probability_two_random_records_match <= 0:
            # no pair matched a sure rule (a register where two people share a name and a birth
            # date, nobody twice): a prior of 0 is log2(0) in every later step, so take "less than
            # one match among all pairs" — Splink's default where that is smaller
            floor = min(0.0001, 0.5 / max(total_pairs, 1.0))
            settings._probability_two_random_records_match = floor
            report["prior_floor"] = floor
        u_pairs = max(1.0, min(float(s.u_max_pairs), total_pairs))
        training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=s.seed, **self.u_options)
        sessions = []
        for cols in EM_RULES:
            rule = block_on(*cols)
            n = self._pairs(cols)
            if n == 0:
                sessions.append({"rule": list(cols), "pairs": 0, "skipped": True})
                continue
            try:
                training.estimate_parameters_using_expectation_maximisation(
                    rule,
                    estimate_without_term_frequencies=True,
                    max_pairs=float(s.em_max_pairs) if 0 < s.em_max_pairs < n else None,
                )
            except (ValueError, ZeroDivisionError) as e:
                # a handful of pairs that are all non-matches (two people of one name and birth
                # date, nothing else) drive a probability to 0 and Splink's log2 fails: that
                # session estimates nothing, the others' estimates (or the defaults) stand
                log.warning("EM session blocked on %s estimated nothing: %s", cols, e)
                sessions.append({"rule": list(cols), "pairs": n, "skipped": True, "error": str(e)})
                continue
            sessions.append(
                {
                    "rule": list(cols),
                    "pairs": n,
                    "sampled_to": s.em_max_pairs if 0 < s.em_max_pairs < n else None,
                }
            )
        report["backend"] = self.backend
        report["prior"] = self.model().get("probability_two_random_records_match")
        report["em"] = sessions
        report["u_max_pairs"] = u_pairs
        return report

    def _pairs(self, cols: Sequence[str]) -> int:
        keys = ", ".join(f'"{c}"' for c in cols)
        notnull = " AND ".join(f'"{c}" IS NOT NULL' for c in cols)
        row = self.con.execute(
            f"SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM "
            f"(SELECT count(*) AS n FROM {self.table} WHERE {notnull} GROUP BY {keys})"
        ).fetchall()[0]
        assert row is not None
        return int(row[0])

    # -- scoring and clustering ----------------------------------------------------------------

    def predict(self) -> SplinkDataFrame:
        """Every blocked pair at or above ``review_threshold``, scored (:meth:`_scores_only`)."""
        with self._scores_only():
            return self.linker.inference.predict(
                threshold_match_probability=self.settings.review_threshold, warning_mode="never"
            )

    @contextlib.contextmanager
    def _scores_only(self) -> Iterator[None]:
        """Within this block Splink's scored pairs carry the records' numbers, each comparison's
        level (``gamma_*``) and weight (``mw_*``) and the term frequencies, but not both records'
        values of every compared column (``*_l``, ``*_r``): the values are in the records table,
        and at a million people copying them into every pair took about 40 % of the scoring.

        Splink keeps the levels only together with the values (or while training), so each
        comparison of this linker is asked for its columns as in training for the time of the
        block (an instance attribute over Splink's method; Splink 5)."""
        settings = self.linker._settings_obj
        comparisons = list(settings.comparisons)
        kept = settings._retain_matching_columns
        patched = []
        for cc in comparisons:
            columns = getattr(cc, "_columns_to_select_for_predict", None)
            if columns is None:  # another Splink: keep its full output
                continue

            def with_levels(rmc: bool, ricc: bool, training_mode: bool, _columns: Any = columns) -> Any:
                return _columns(rmc, ricc, True)

            setattr(cc, "_columns_to_select_for_predict", with_levels)  # noqa: B010 (a method)
            patched.append(cc)
        if len(patched) == len(comparisons):
            settings._retain_matching_columns = False
        try:
            yield
        finally:
            settings._retain_matching_columns = kept
            for cc in patched:
                vars(cc).pop("_columns_to_select_for_predict", None)

    def predict_new(self, new: str, old: str) -> list[SplinkDataFrame]:
        """Pairs of the records of table ``new`` with those of ``old``, and among ``new`` (Splink's
        ``predict_between`` and ``predict_within``), at or above ``review_threshold``; term
        frequencies from the whole input."""
        self.linker.table_management.compute_tf_table("name_norm")
        new_sdf = self.db.register(new, table_name=f"{new}_splink")
        old_sdf = self.db.register(old, table_name=f"{old}_splink")
        inference = self.linker.inference
        t = self.settings.review_threshold
        with self._scores_only():
            between = inference.predict_between(
                new_sdf, old_sdf, threshold_match_probability=t, warning_mode="never"
            )
            within = inference.predict_within(new_sdf, threshold_match_probability=t, warning_mode="never")
        return [between, within]

    def count_new_pairs(self, new: str) -> list[BlockingRuleCount]:
        """Per prediction rule, the pairs involving a record of table ``new`` (an upper bound: a
        pair of two new records counts twice), counted exactly in SQL before anything is made."""
        counts: list[BlockingRuleCount] = []
        for label, cols, _unless in PREDICTION_RULES:
            keys = ", ".join(f'"{c}"' for c in cols)
            notnull = " AND ".join(f'"{c}" IS NOT NULL' for c in cols)
            row = self.con.execute(
                f"WITH a AS (SELECT {keys}, count(*) AS n FROM {self.table} WHERE {notnull} "
                f"GROUP BY {keys}), "
                f"b AS (SELECT {keys}, count(*) AS n FROM {new} WHERE {notnull} GROUP BY {keys}) "
                f"SELECT coalesce(sum(a.n * b.n), 0), coalesce(max(a.n), 0) FROM a JOIN b USING ({keys})"
            ).fetchall()[0]
            counts.append(BlockingRuleCount(label, cols, int(row[0]), int(row[1])))
        return counts

    def veto(self, pairs: SplinkDataFrame) -> int:
        """Drop from ``pairs`` (before clustering) those whose records carry two different valid
        citizen IDs: two people, however much else agrees (twins). Returns how many."""
        rows = self.con.execute(
            f"DELETE FROM {pairs.physical_name} WHERE gamma_citizen_id = {DIFFERENT_VALID_IDS_GAMMA}"
        ).fetchall()
        return int(rows[0][0]) if rows else 0

    def cluster(self, pairs: SplinkDataFrame) -> SplinkDataFrame:
        """Connected components of the pairs at or above ``match_threshold``."""
        return self.linker.clustering.cluster_pairwise_predictions_at_threshold(
            pairs, threshold_match_probability=self.settings.match_threshold
        )

    # -- diagnostics ---------------------------------------------------------------------------

    def model(self) -> dict[str, Any]:
        return self.linker.misc.save_model_to_json()

    def charts(self, folder: Path, pairs: SplinkDataFrame) -> list[Path]:
        """Match weights, m and u parameters, and the waterfall of the pair closest to the match
        threshold, as self-contained HTML (no network needed to view them)."""
        folder.mkdir(parents=True, exist_ok=True)
        out: list[Path] = []
        vis = self.linker.visualisations
        charts: list[tuple[str, Any]] = [
            ("match_weights.html", vis.match_weights_chart()),
            ("m_u_parameters.html", vis.m_u_parameters_chart()),
        ]
        found = self.con.execute(
            f"SELECT rid_l, rid_r FROM {pairs.physical_name} "
            f"ORDER BY abs(match_probability - {self.settings.match_threshold}), rid_l, rid_r LIMIT 1"
        ).fetchall()
        if found:
            scored = self._scored_pair(*found[0])
            charts.append(("waterfall.html", vis.waterfall_chart(scored, remove_sensitive_data=True)))
        for name, chart in charts:
            path = folder / name
            path.write_text(chart.to_html(inline=True), encoding="utf-8")
            out.append(path)
        return out

    def _scored_pair(self, rid_l: int, rid_r: int) -> list[dict[str, Any]]:
        """The pair of records ``rid_l``, ``rid_r`` of ``table`` scored with every intermediate
        column (the waterfall chart needs them; :meth:`predict` keeps only the levels and weights),
        on DuckDB with the trained model whatever the backend."""
        from splink import DuckDBAPI, Linker

        db = DuckDBAPI(self.con)
        sdf = db.register(self.table, table_name=f"{self.table}_scorer")
        scorer = Linker(sdf, settings_creator(self.model()), log_level=None)
        sides = []
        for side, rid in (("l", rid_l), ("r", rid_r)):  # tables, so that the columns keep their types
            name = f"_chart_record_{side}"
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {self.table} WHERE rid = {int(rid)}"
            )
            sides.append(db.register(name, table_name=f"{name}_splink"))
        scored = scorer.inference.score_pair(sides[0], sides[1])
        try:
            return list(scored.as_record_list())
        finally:
            scored.drop_table_from_database_and_remove_from_cache()
            for side in ("l", "r"):
                self.con.execute(f"DROP TABLE IF EXISTS _chart_record_{side}")
