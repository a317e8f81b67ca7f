"""Settings of 专报 (``CITYBRAIN_REPORTS_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ReportsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYBRAIN_REPORTS_", extra="ignore")

    max_attachment_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, description="Largest attachment accepted, in bytes."
    )
    max_attachments: int = Field(20, ge=1, le=200, description="Attachments per report.")


@lru_cache(maxsize=1)
def get_reports_settings() -> ReportsSettings:
    return ReportsSettings()
