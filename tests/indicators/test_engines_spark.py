"""The indicator definitions of the DuckDB/PostgreSQL agreement test, run on Spark SQL in local
mode over the same rows (exported from the hub as Parquet), give exactly the DuckDB values; and
the Spark engine reports time-outs and unknown tables with the engine codes.

Starting Spark costs about ten seconds, so one session serves the whole module. Skipped when
PySpark or Java is missing (``pip install 'citybrain[spark]'``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from test_engines_agree import CASES, COLUMNS, Case, T, _prepared, _rows

from citybrain.analytics.hub import DuckHubStore
from citybrain.indicators import compute
from citybrain.indicators.engines import EngineFailure, HubEngine
from citybrain.indicators.spark import SparkEngine, export_hub_tables, spark_session

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java", allow_module_level=True)


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HubEngine, SparkEngine]]:
    base = Path(tmp_path_factory.mktemp("spark"))
    store = DuckHubStore(base / "hub.duckdb")
    with duckdb.connect(str(store.path)) as con:
        con.execute(f"CREATE TABLE {T} ({', '.join(f'{c} {t}' for c, t in COLUMNS.items())})")
        con.executemany(f"INSERT INTO {T} VALUES (?, ?, ?, ?, ?, ?)", _rows())
    views = export_hub_tables(store, [T], base / "parquet")
    spark = SparkEngine(spark_session("local[1]"), views=views)
    try:
        yield HubEngine(store), spark
    finally:
        spark.close()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_spark_agrees_with_duckdb_exactly(
    case: Case, engines: tuple[HubEngine, SparkEngine]
) -> None:
    duck, spark = engines
    on_duck = compute.compute(
        None,  # type: ignore[arg-type]
        _prepared(case, duck),
        first=None,
        last=None,
        timeout_seconds=60,
    )
    on_spark = compute.compute(
        None,  # type: ignore[arg-type]
        _prepared(case, spark),  # type: ignore[arg-type]
        first=None,
        last=None,
        timeout_seconds=60,
    )
    assert on_spark.engine == "spark"
    assert len(on_duck.values) > 4
    assert sorted(on_duck.values, key=str) == sorted(on_spark.values, key=str)


def test_spark_names_a_missing_table(engines: tuple[HubEngine, SparkEngine]) -> None:
    with pytest.raises(EngineFailure) as caught:
        engines[1].execute("SELECT * FROM no_such_table", timeout_seconds=60)
    assert caught.value.code == "hub_table_missing"


def test_spark_division_by_zero_has_the_engine_code(
    engines: tuple[HubEngine, SparkEngine],
) -> None:
    with pytest.raises(EngineFailure) as caught:
        engines[1].execute(f"SELECT sum(people) / 0 AS v FROM {T}", timeout_seconds=60)
    assert caught.value.code == "division_by_zero"


def test_spark_statement_past_its_limit_is_cancelled(
    engines: tuple[HubEngine, SparkEngine],
) -> None:
    slow = f"SELECT count(*) FROM {T} a CROSS JOIN {T} b CROSS JOIN {T} c CROSS JOIN range(2000) d"
    with pytest.raises(EngineFailure) as caught:
        engines[1].execute(slow, timeout_seconds=2)
    assert caught.value.code == "timeout"


def test_missing_hub_table_refused_at_export(tmp_path: Path) -> None:
    store = DuckHubStore(tmp_path / "hub.duckdb")
    with pytest.raises(EngineFailure) as caught:
        export_hub_tables(store, ["absent_table"], tmp_path / "out")
    assert caught.value.code == "hub_table_missing"


def test_spark_master_setting_selects_spark_for_hub_indicators(
    engines: tuple[HubEngine, SparkEngine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from citybrain.core.config import Settings
    from citybrain.indicators.config import get_indicators_settings

    store = engines[0].store
    monkeypatch.setenv("CITYBRAIN_INDICATORS_SPARK_MASTER", "local[1]")
    monkeypatch.setenv("CITYBRAIN_INDICATORS_SPARK_EXCHANGE_DIR", str(tmp_path / "x"))
    get_indicators_settings.cache_clear()
    try:
        chosen = compute._hub_engine(store, [T], Settings(home=tmp_path))
    finally:
        get_indicators_settings.cache_clear()
    assert isinstance(chosen, SparkEngine)
    assert Path(chosen.views[T]).is_file()
    monkeypatch.delenv("CITYBRAIN_INDICATORS_SPARK_MASTER")
    assert isinstance(compute._hub_engine(store, [T], Settings(home=tmp_path)), HubEngine)
