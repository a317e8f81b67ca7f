"""Settings of the open catalog APIs (``CITYBRAIN_OPENDATA_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from citybrain.datahub.opendata.licenses import DEFAULT_LICENSE_ID, LICENSES, find_license


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

    license_id: str = Field(
        DEFAULT_LICENSE_ID,
        description="Licence of every open dataset (CKAN license_id, DCAT dct:license), one of: "
        + ", ".join(license.id for license in LICENSES)
        + ".",
    )

    @field_validator("license_id")
    @classmethod
    def _known_license(cls, value: str) -> str:
        found = find_license(value)
        if found is None:
            choices = ", ".join(license.id for license in LICENSES)
            raise ValueError(f"未知的开放数据许可协议 {value!r}, 可选: {choices}")
        return found.id


@lru_cache(maxsize=1)
def get_opendata_settings() -> OpenDataSettings:
    return OpenDataSettings()
