"""Settings of ingestion (``CITYBRAIN_INGEST_*``)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class IngestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYBRAIN_INGEST_", extra="ignore")

    upload_dir: Path | None = Field(None, description="Uploaded files; default <home>/ingest.")
    max_upload_mb: int = Field(512, ge=1, description="Largest file accepted by the web upload.")
    chunk_rows: int = Field(50_000, ge=100, description="Rows staged into the hub per chunk.")
    crypto_workers: int = Field(
        default_factory=lambda: min(4, os.cpu_count() or 1),
        ge=0,
        description="Processes encrypting ID and phone numbers of batches larger than one chunk"
        " (0: in the ingesting process).",
    )


@lru_cache(maxsize=1)
def get_ingest_settings() -> IngestSettings:
    return IngestSettings()
