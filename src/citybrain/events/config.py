"""Settings of 事件 (``CITYBRAIN_EVENTS_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EventsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYBRAIN_EVENTS_", extra="ignore")

    classifier_threshold: float = Field(
        0.7, ge=0.0, le=1.0, description="Below this confidence the classifier abstains."
    )
    classifier_features: str = Field(
        "char", pattern="^(char|jieba)$", description="Features of the default model."
    )
    department_sample_limit: int = Field(
        0, ge=0, description="Train the department model on at most this many replied messages "
        "(an even spread; 0: all). The tests set it to keep training to seconds.",
    )  # fmt: skip
    tracking_code_length: int = Field(10, ge=8, le=16, description="Characters of a code.")


@lru_cache(maxsize=1)
def get_events_settings() -> EventsSettings:
    return EventsSettings()
