"""Settings of data sharing (``CITYBRAIN_SHARING_*``; the Redis URL is the shared
``CITYBRAIN_REDIS_URL``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SharingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYBRAIN_SHARING_", extra="ignore")

    redis_url: str = Field(
        "",
        validation_alias=AliasChoices("CITYBRAIN_REDIS_URL"),
        description="Redis URL for the per-grant rate-limit counters; empty means in memory.",
    )
    rate_limit_per_minute: int = Field(
        60, ge=1, le=100_000, description="Requests a grant token may make per minute."
    )
    max_period_days: int = Field(
        366, ge=1, le=3660, description="Longest period a share request may ask for."
    )
    max_page_size: int = Field(1000, ge=1, le=10_000, description="Largest page of /data.")
    max_file_rows: int = Field(
        200_000, ge=1, description="Most rows one file download (CSV/XLSX) may hold."
    )


@lru_cache(maxsize=1)
def get_sharing_settings() -> SharingSettings:
    return SharingSettings()
