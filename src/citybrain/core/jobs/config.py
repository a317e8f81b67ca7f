"""Settings of the job system: ``CITYBRAIN_REDIS_URL`` and ``CITYBRAIN_JOBS_*``."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class JobsSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CITYBRAIN_JOBS_", extra="ignore", populate_by_name=True
    )

    redis_url: str = Field(
        "",
        validation_alias="CITYBRAIN_REDIS_URL",
        description="Redis URL (CITYBRAIN_REDIS_URL): jobs queue there and `citybrain worker`"
        " runs them; empty keeps the queue embedded (SQLite under home, run inside serve).",
    )
    queue: str = Field("citybrain", description="Queue name (Redis key prefix / SQLite queue).")
    workers: int = Field(2, ge=1, description="Consumer threads of serve's embedded queue.")
    immediate: bool = Field(
        False, description="Run each job at once in the enqueuing thread (tests only)."
    )
    tick_seconds: int = Field(
        10, ge=1, le=60, description="How often each consumer checks the schedules for due slots."
    )
    timezone: str = Field("Asia/Shanghai", description="Time zone of cron schedules.")
    keep_days: int = Field(30, ge=1, description="Job runs are kept this many days.")
    modules: str = Field(
        "", description="Extra modules (comma-separated) imported at start to register jobs."
    )


@lru_cache(maxsize=1)
def get_jobs_settings() -> JobsSettings:
    return JobsSettings()
