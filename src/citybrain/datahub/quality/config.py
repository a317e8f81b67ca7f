"""Settings of data quality (``CITYBRAIN_QUALITY_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class QualitySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYBRAIN_QUALITY_", extra="ignore")

    rectification_days: int = Field(10, ge=1, description="整改期限: days from opening an order.")
    score_window_days: int = Field(
        90, ge=1, description="A department's running score covers its batches of these days."
    )
    examples_per_rule: int = Field(5, ge=0, le=50, description="Examples kept per failed rule.")


@lru_cache(maxsize=1)
def get_quality_settings() -> QualitySettings:
    return QualitySettings()
