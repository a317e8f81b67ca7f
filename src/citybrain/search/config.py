"""Settings of global search (``CITYBRAIN_SEARCH_*``)."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Segmenter(StrEnum):
    """How Chinese text is cut into index terms (see docs/search.md for the measurement)."""

    jieba = "jieba"  # words, with the government-terms user dictionary (search mode)
    bigram = "bigram"  # overlapping character pairs, queried as phrases


class SearchSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYBRAIN_SEARCH_", extra="ignore")

    segmenter: Segmenter = Field(
        Segmenter.jieba,
        description="jieba or bigram; changing it needs `citybrain search reindex`.",
    )
    max_body_chars: int = Field(
        20_000, ge=1_000, le=200_000, description="Text of one document kept for the index."
    )


@lru_cache(maxsize=1)
def get_search_settings() -> SearchSettings:
    return SearchSettings()
