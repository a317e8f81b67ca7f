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
    max_rows: int = Field(
        1_048_576,
        ge=1,
        description="Most rows a worksheet of an uploaded XLSX may hold (Excel's own sheet"
        " limit); counted before parsing.",
    )
    max_uncompressed_mb: int = Field(
        1024, ge=1, description="Most megabytes an XLSX (a zip) may inflate to, all entries."
    )
    max_compression_ratio: int = Field(
        100,
        ge=1,
        description="Most times one zip entry over 1 MB may inflate (100 is Apache POI's"
        " zip-bomb threshold).",
    )
    max_archive_entries: int = Field(
        10_000, ge=1, description="Most entries an XLSX (a zip) may contain."
    )
    max_fail_share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="A batch stops early (rejected, hub unchanged) once more than this share"
        " of its rows failed their rules, after min_rows_for_fail_share rows.",
    )
    min_rows_for_fail_share: int = Field(
        1000, ge=1, description="Rows checked before max_fail_share can stop a batch."
    )
    max_quarantine_rows: int = Field(
        10_000,
        ge=0,
        description="Failed rows kept (encrypted) in quarantine per batch; the rest are"
        " counted (ingest_batch.quarantine_omitted_rows) and tallied in the report, not kept.",
    )
    chunk_rows: int = Field(50_000, ge=100, description="Rows staged into the hub per chunk.")
    bulk: bool = Field(
        True,
        description="Read CSV files set-based (Arrow, DuckDB, batch encryption) whenever the"
        " result is sure to equal the per-row pipeline's; off: always row by row.",
    )
    bulk_memory_mb: int = Field(
        1024,
        ge=64,
        description="Memory DuckDB may use to check one file in bulk; past it, it spills to a"
        " temporary directory.",
    )
    crypto_workers: int = Field(
        default_factory=lambda: min(4, os.cpu_count() or 1),
        ge=0,
        description="Processes encrypting ID and phone numbers of batches larger than one chunk"
        " (0: in the ingesting process).",
    )


@lru_cache(maxsize=1)
def get_ingest_settings() -> IngestSettings:
    return IngestSettings()
