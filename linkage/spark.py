"""Splink on Spark: the same settings and the same trained model, for data beyond one machine.

DuckDB stays the engine of ``c360 resolve``; this module runs the probabilistic step
(``linkage.score``) on a ``SparkSession`` instead, over the comparison frame that
``linkage.frame`` builds from normalised records. Nothing else changes: the comparisons and
blocking come from the same settings file, and a model trained on DuckDB scores on Spark
(``score_on_spark``) because ``score.linker_for`` rebuilds its SQL for Spark
(``score.for_dialect``) and keeps every m, u and term frequency. ``train_on_spark`` trains
on Spark; its model scores on DuckDB the same way round.

What differs on Spark:

- **SQL.** A stored model's levels are DuckDB SQL (double-quoted names,
  ``jaro_winkler_similarity``, ``array_length(list_intersect(..))``); Spark needs backticks,
  ``jaro_winkler``, ``size(array_intersect(..))``. The settings vocabulary writes each.
- **Functions Spark SQL does not have.** ``jaro_winkler`` (and ``damerau_levenshtein``,
  which the FEBRL settings use) are Scala UDFs in the jar Splink ships
  (``splink/internals/files/spark_jars/``, one per Spark major version). ``session`` puts it
  on ``spark.jars`` and ``SparkAPI(register_udfs_automatically=True)`` registers them; on a
  cluster, ship the same jar (``similarity_jar_location()``) with the job. ``levenshtein``,
  ``substring`` and ``array_intersect`` are built in.
- **Jaro-Winkler is not DuckDB's.** The UDF counts transpositions as half the
  out-of-order matches without rounding down, and gives no prefix bonus below a Jaro score
  of 0.7, so it is sometimes lower (never higher): on all pairs of 765 generated names,
  2.2% differ, by 0.0125-0.091, all below 0.87, so a pair can fall under the 0.80 level;
  none crossed 0.92. On blocked pairs it rarely matters: 3 of 58,763 at 10,000 people
  scored differently (by at most 1e-4 in probability), no link or review decision moved.
  ``tests/linkage/test_spark.py`` measures and bounds both.
- **Deterministic rules stay in DuckDB/Python.** ``linkage.rules`` runs DuckDB SQL over the
  frame, and clustering, guards, IDs and golden records are Python; none of it is ported
  (at 100,000 people the rules took 1.3 s of an 84 s resolution).

Needs ``pip install -e '.[spark]'`` (pyspark, pinned in ``constraints.txt``) and Java 17+
(``JAVA_HOME``, else ``java`` on the PATH).
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from pyspark.sql import SparkSession
from pyspark.sql.types import (
    ArrayType,
    DataType,
    LongType,
    StringType,
    StructField,
    StructType,
)
from splink import SparkAPI
from splink.backends.spark import similarity_jar_location

from linkage import score
from linkage.frame import COLUMNS
from linkage.settings import LinkageSettings
from ontology.errors import C360Error

VIEW = "c360_frame"  # the comparison frame as a Spark temporary view
# Errors only; the gateway's logger at the root's level, or PySpark prints how to change it.
LOG4J = """\
rootLogger.level = error
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
"""


class SparkUnavailable(C360Error):
    """No Java for Spark: install a JDK 17+ or point JAVA_HOME at one."""

    exit_code = 2


def java_home() -> Path | None:
    """``JAVA_HOME`` if it holds ``bin/java``, else the JDK of ``java`` on the PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return Path(home)
    if java := shutil.which("java"):
        probe = subprocess.run(
            [java, "-version"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            return Path(java).resolve().parent.parent
    return None


def session(
    cores: int = 2, memory: str = "1g", partitions: int | None = None
) -> SparkSession:
    """A local Spark (``local[cores]``) with small memory, quiet logs and no UI, Splink's
    UDF jar, and its scratch, warehouse and checkpoint folders in one temporary folder
    (removed at exit). Returns the running session if there is one: Spark allows one per
    process, and its settings are fixed when it starts.

    Sized for development and tests: shuffles in ``cores`` partitions and adaptive query
    execution off, because on small data each Splink step is a short job whose re-planning
    costs more than it saves (a blocked-pair query: 0.15-0.6 s off, 0.2-0.8 s on, on a
    loaded machine). On a cluster, pass your own session to ``score_on_spark`` and
    ``train_on_spark`` instead."""
    home = java_home()
    if home is None:
        raise SparkUnavailable(
            "Spark needs Java 17+: install a JDK, or set JAVA_HOME to one"
        )
    os.environ["JAVA_HOME"] = str(home)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    work = Path(tempfile.mkdtemp(prefix="c360-spark-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    log4j = work / "log4j2.properties"
    log4j.write_text(LOG4J, encoding="utf-8")
    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("customer360")
        .config("spark.driver.memory", memory)
        # C1 only: a short-lived driver spends less time compiling Catalyst's hot code
        # (measured: training 42 s against 49-77 s cold, on a loaded 2-core machine).
        .config(
            "spark.driver.extraJavaOptions",
            f"-Dlog4j2.configurationFile={log4j} -XX:TieredStopAtLevel=1",
        )
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(partitions or cores))
        .config("spark.default.parallelism", str(partitions or cores))
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.jars", similarity_jar_location())
        .config("spark.local.dir", str(work / "local"))
        .config("spark.sql.warehouse.dir", str(work / "warehouse"))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    # Where Splink writes its intermediate tables as parquet (``api(break_lineage=..)``).
    spark.sparkContext.setCheckpointDir(str(work / "checkpoints"))
    return spark


def _kind(frame: pd.DataFrame, column: str, columns: Mapping[str, str]) -> DataType:
    if column == "unique_id":
        return LongType()
    kind = columns.get(column)
    if kind is None:  # a column of another vocabulary (FEBRL): lists if it holds lists
        values = frame[column].dropna()
        first = values.iloc[0] if len(values) else None
        kind = "list" if isinstance(first, list | tuple) else "text"
    return ArrayType(StringType()) if kind == "list" else StringType()


def register(
    spark: SparkSession,
    frame: pd.DataFrame,
    columns: Mapping[str, str] = COLUMNS,
    name: str = VIEW,
) -> str:
    """``frame`` as a Spark view with an explicit schema (a column that is empty in this
    batch has no type to infer); returns the view's name for ``score.linker_for``."""
    schema = StructType(
        [
            StructField(c, _kind(frame, c, columns), c != "unique_id")
            for c in map(str, frame.columns)
        ]
    )
    data = frame.astype(object).where(frame.notna(), None)
    data["unique_id"] = frame["unique_id"].astype("int64")
    spark.createDataFrame(data, schema=schema).createOrReplaceTempView(name)
    return name


def _drop_term_frequencies(spark: SparkSession) -> None:
    """``score.linker_for`` registers a saved model's term frequencies as ``c360_tf_<col>``
    views; a Spark session outlives one linker (a DuckDB connection does not), so the
    views of an earlier model go first."""
    for table in spark.catalog.listTables():
        if table.isTemporary and table.name.startswith("c360_tf_"):
            spark.catalog.dropTempView(table.name)


def api(spark: SparkSession, break_lineage: str | None = None) -> SparkAPI:
    """Splink's Spark API over ``spark``, with the jar's similarity UDFs registered.

    ``break_lineage``: how Splink cuts the lineage of its intermediate tables; None is
    Splink's default, parquet under the session's checkpoint folder."""
    return SparkAPI(  # type: ignore[no-untyped-call]
        spark_session=spark,
        break_lineage_method=break_lineage,
        register_udfs_automatically=True,
    )


def score_on_spark(
    frame: pd.DataFrame,
    settings: LinkageSettings,
    model: dict[str, Any],
    spark: SparkSession | None = None,
    threshold: float | None = None,
) -> pd.DataFrame:
    """Score ``frame`` on Spark with a saved model (DuckDB- or Spark-trained); the same
    columns as ``score.predict``, pairs at or above ``threshold`` (default: the review
    threshold, as ``linkage.resolve`` does)."""
    spark = spark or session()
    view = register(spark, frame)
    _drop_term_frequencies(spark)
    linker = score.linker_for(view, api(spark), settings, model)
    return score.predict(linker, settings.review if threshold is None else threshold)


def train_on_spark(
    frame: pd.DataFrame,
    settings: LinkageSettings,
    spark: SparkSession | None = None,
    u_chunks: int = 1,
) -> dict[str, Any]:
    """Train the settings' model on Spark (prior, u, EM, as ``score.train``) and return it
    as ``score.model_json`` does: Splink's JSON, in Spark SQL, with term frequencies.

    u is sampled in one piece (``u_chunks``): Splink's default of ten pieces, each with a
    probe, is about a hundred Spark jobs for nine comparisons, each with up to a second of
    scheduling. Spark's seeded sample is not DuckDB's, so the parameters are not
    bit-identical to a DuckDB-trained model's (on 300 people, with four comparisons, both
    linked the same 488 pairs)."""
    spark = spark or session()
    view = register(spark, frame)
    linker = score.linker_for(view, api(spark), settings)
    score.train(linker, settings, u_chunks=u_chunks)
    return score.model_json(linker, settings)
