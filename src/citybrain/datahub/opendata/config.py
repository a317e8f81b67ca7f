"""Settings of the open catalog APIs (``CITYBRAIN_OPENDATA_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class OpenDataSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYBRAIN_OPENDATA_", extra="ignore")

    catalog_title: str = Field(
        "政务数据开放目录", description="Title of the DCAT catalog and the CKAN site."
    )
    site_url: str = Field(
        "",
        description="Public base URL for links in DCAT and CKAN answers (behind a proxy); "
        "empty means the URL of the request.",
    )


@lru_cache(maxsize=1)
def get_opendata_settings() -> OpenDataSettings:
    return OpenDataSettings()
