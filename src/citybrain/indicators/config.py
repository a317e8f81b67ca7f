"""Settings of the indicator platform (``CITYBRAIN_INDICATORS_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class IndicatorsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYBRAIN_INDICATORS_", extra="ignore")

    max_timeout_seconds: int = Field(
        600, ge=1, description="The longest time limit an indicator may declare for one run."
    )
    dry_run_timeout_seconds: int = Field(
        20, ge=1, description="Time limit of the dry run made when a definition is saved."
    )
    dry_run_rows: int = Field(50, ge=1, le=500, description="Rows of a dry run shown back.")
    spark_master: str = Field(
        "",
        description=(
            "Run hub indicators on Spark SQL instead of the hub's own engine: local[N] or a"
            " cluster URL such as spark://host:7077 (needs the spark extra and Java 17)."
        ),
    )
    spark_exchange_dir: str = Field(
        "",
        description=(
            "Where hub tables are written as Parquet for Spark; on a cluster, a path every"
            " executor can read. Empty: <home>/spark."
        ),
    )
    recent_periods: int = Field(
        2, ge=1, le=36, description="Periods a scheduled run recomputes (late data lands)."
    )


@lru_cache(maxsize=1)
def get_indicators_settings() -> IndicatorsSettings:
    return IndicatorsSettings()
