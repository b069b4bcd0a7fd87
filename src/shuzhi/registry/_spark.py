"""The person registry's linkage on Spark: Splink's ``SparkAPI`` on the workspace engine's session.

Used when ``[engine] kind = "spark"`` (:meth:`shuzhi.registry._linkage.Linkage.open`). What runs
where:

* **standardisation** stays on DuckDB (the standards macros are DuckDB SQL; it is computed per
  distinct value and cheap) and hands Spark the model columns as Parquet;
* **Splink on Spark**: the blocking analysis of the pair budget, training (prior, u by sampling,
  EM) and scoring, with the same comparisons and blocking rules as on DuckDB — they are written in
  DuckDB's dialect with functions both engines have, and Splink transpiles them (sqlglot).
  ``damerau_levenshtein`` comes from the similarity jar shipped inside the Splink wheel
  (``splink/internals/files/spark_jars/``), added to the running session with ``ADD JAR`` when the
  session was not started with it: nothing is downloaded;
* the **scored pairs** (those at or above ``[registry] review_threshold``) come back as Parquet
  to the linkage's DuckDB, where review decisions, the veto, clustering (connected components, on
  far fewer rows than scoring) and everything after run exactly as on the DuckDB backend;
* the exact per-rule pair counts are a ``GROUP BY`` on the same DuckDB table.

The saved model (``model.json``) is written in DuckDB's dialect, so an incremental update, which
runs on DuckDB, can score with a model trained on Spark.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from shuzhi.config import RegistrySettings
from shuzhi.errors import ConfigError
from shuzhi.registry._linkage import Linkage, settings_creator
from shuzhi.registry._standardise import lit

if TYPE_CHECKING:
    import duckdb
    from splink.internals.splink_dataframe import SplinkDataFrame

    from shuzhi.engine import Engine

__all__ = ["SparkLinkage", "duckdb_model", "register_similarity_functions"]

log = logging.getLogger("shuzhi.registry")

#: what the comparisons need from Splink's jar (the others it ships are registered too)
NEEDED_FUNCTIONS = ("damerau_levenshtein",)


def register_similarity_functions(spark: Any) -> str:
    """Register Splink's Scala similarity functions (``damerau_levenshtein`` …) in ``spark``;
    return the jar's path. The jar is the one inside the installed Splink package: added to the
    session (``ADD JAR``) when the session was not started with it on its class path."""
    from splink.backends.spark import similarity_jar_location
    from splink.internals.spark.jar_location import get_scala_udfs

    jar = similarity_jar_location()
    if not Path(jar).is_file():  # pragma: no cover - depends on the installation
        raise ConfigError(
            f"Splink 的 Spark 相似度函数包缺失 / Splink's Spark similarity jar is missing: {jar}"
        )
    if all(spark.catalog.functionExists(f) for f in NEEDED_FUNCTIONS):
        return jar

    def register() -> None:
        for name, java_class, return_type in get_scala_udfs():  # type: ignore[no-untyped-call]
            spark.udf.registerJavaFunction(name, java_class, return_type)

    try:
        register()
    except Exception:  # the class is not on the session's class path yet
        spark.sql(f"ADD JAR {lit(jar)}")
        register()
    return jar


def duckdb_model(trained: dict[str, Any]) -> dict[str, Any]:
    """The Splink model ``trained`` on Spark, written in DuckDB's dialect: the same parameters,
    the SQL of the comparison levels and blocking rules as the DuckDB backend writes it."""
    reference = settings_creator().get_settings("duckdb").as_dict()  # type: ignore[no-untyped-call]
    out = dict(trained)
    out["sql_dialect"] = "duckdb"
    out["blocking_rules_to_generate_predictions"] = reference["blocking_rules_to_generate_predictions"]
    comparisons = []
    if len(trained["comparisons"]) != len(reference["comparisons"]):  # pragma: no cover - same source
        raise RuntimeError("the trained model does not have the registry's comparisons")
    for mine, ref in zip(trained["comparisons"], reference["comparisons"], strict=True):
        levels = []
        for lvl, ref_lvl in zip(mine["comparison_levels"], ref["comparison_levels"], strict=True):
            levels.append({**lvl, "sql_condition": ref_lvl["sql_condition"]})
        comparisons.append({**mine, "comparison_levels": levels})
    out["comparisons"] = comparisons
    return out


class SparkLinkage(Linkage):
    """:class:`Linkage` with Splink on Spark (local mode or a cluster: the session of ``engine``).

    ``table`` is a table of ``con`` (DuckDB); its rows are written to ``work`` as Parquet and read
    by Spark. ``work`` also holds Splink's intermediate Parquet (its ``break_lineage_method``)
    and the scored pairs on their way back; the registry build removes it at the end of the run.
    """

    backend = "spark"
    #: every sampled pair in one job per comparison: Spark's fixed cost per job makes Splink's
    #: ten chunks (and its probe of a hundredth first) take minutes even on small inputs
    u_options: ClassVar[dict[str, Any]] = {"num_chunks": 1}

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        table: str,
        settings: RegistrySettings,
        *,
        engine: Engine,
        work: Path,
    ) -> None:
        from splink import DuckDBAPI, Linker, SparkAPI

        from shuzhi.engine import SparkEngine

        if not isinstance(engine, SparkEngine):
            raise ValueError(f"a Spark linkage needs a Spark engine, not {engine.kind!r}")
        self.con = con
        self.table = table
        self.settings = settings
        self.db = DuckDBAPI(con)  # the pairs come back here (decisions, veto, clustering)
        self.work = Path(work) / "spark"
        self.work.mkdir(parents=True, exist_ok=True)
        spark = engine.session
        self.spark = spark
        self.jar = register_similarity_functions(spark)
        spark.sparkContext.setCheckpointDir(str(self.work / "checkpoints"))
        self.spark_db = SparkAPI(  # type: ignore[no-untyped-call]
            spark_session=spark, break_lineage_method="parquet", register_udfs_automatically=False
        )
        source = self.work / f"{table}.parquet"
        con.execute(f"COPY {table} TO {lit(str(source))} (FORMAT parquet)")
        frame = spark.read.parquet(str(source))
        sdf = self.spark_db.register(frame, table_name=f"{table}_splink")
        self.linker = Linker(sdf, settings_creator(), log_level=None)
        self.records = int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
        self._exported = 0

    def predict(self) -> SplinkDataFrame:
        """Every blocked pair at or above ``review_threshold``, scored on Spark, as a table of
        ``con``."""
        predicted = super().predict()
        return self._to_duckdb(predicted, "__splink__df_predict")

    def predict_new(self, new: str, old: str) -> list[SplinkDataFrame]:
        raise NotImplementedError(
            "增量更新在 DuckDB 上运行 / an incremental update runs on DuckDB "
            "(with the model trained on Spark)"
        )

    def cluster(self, pairs: SplinkDataFrame) -> SplinkDataFrame:
        """Connected components of the pairs at or above ``match_threshold``, on ``con`` (the pairs
        are there, after the review decisions and the veto)."""
        from splink.clustering import cluster_pairwise_predictions_at_threshold

        nodes = self.db.register(self.table, table_name=f"{self.table}_nodes")
        return cluster_pairwise_predictions_at_threshold(
            nodes,
            pairs,
            db_api=self.db,
            node_id_column_name="rid",
            edge_id_column_name_left="rid_l",
            edge_id_column_name_right="rid_r",
            threshold_match_probability=self.settings.match_threshold,
        )

    def model(self) -> dict[str, Any]:
        """The trained model, in DuckDB's dialect (see :func:`duckdb_model`)."""
        return duckdb_model(self.linker.misc.save_model_to_json())

    def _to_duckdb(self, sdf: SplinkDataFrame, templated: str) -> SplinkDataFrame:
        self._exported += 1
        folder = self.work / f"out-{self._exported}"
        sdf.as_spark_dataframe().write.mode("overwrite").parquet(str(folder))
        name = f"__shuzhi_spark_{self._exported}_{sdf.physical_name}"
        self.con.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_parquet({lit(str(folder / '*.parquet'))})"
        )
        sdf.drop_table_from_database_and_remove_from_cache()
        return self.db.table_to_splink_dataframe(templated, name)
