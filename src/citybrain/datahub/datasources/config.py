"""Settings of data sources (``CITYBRAIN_DATASOURCE_*``). Which private networks sources may
reach is the platform-wide ``CITYBRAIN_OUTBOUND_ALLOWED_NETWORKS`` (``core/outbound.py``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DatasourceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYBRAIN_DATASOURCE_", extra="ignore")

    connect_timeout_seconds: int = Field(10, ge=2, le=120, description="Connect time limit.")
    statement_timeout_seconds: int = Field(
        600, ge=1, description="Time limit of one statement on a source (a pull's query)."
    )
    test_timeout_seconds: int = Field(10, ge=1, description="Statement limit of a test.")


@lru_cache(maxsize=1)
def get_datasource_settings() -> DatasourceSettings:
    return DatasourceSettings()
