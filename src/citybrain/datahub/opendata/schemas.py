"""Public shapes of the open catalog's plain JSON API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from citybrain.datahub.catalog.enums import OpenAttribute, ResourceCategory, UpdateCycle, label
from citybrain.datahub.opendata.published import Published


class OpenItemRead(BaseModel):
    name: str
    title: str
    type: str
    description: str


class OpenResourceRead(BaseModel):
    code: str
    ckan_name: str
    name: str
    summary: str
    provider_code: str
    provider_name: str
    category: ResourceCategory
    category_label: str
    open_attribute: OpenAttribute
    open_label: str
    update_cycle: UpdateCycle
    update_cycle_label: str
    released_on: date | None
    updated_at: datetime
    items: list[OpenItemRead]
    download_url: str | None
    access_note: str
    license_id: str
    license_title: str
    license_url: str

    @classmethod
    def of(cls, entry: Published, base_url: str) -> OpenResourceRead:
        resource = entry.resource
        return cls(
            code=resource.code, ckan_name=entry.slug, name=resource.name,
            summary=resource.summary, provider_code=entry.publisher.code,
            provider_name=entry.publisher.name, category=ResourceCategory(resource.category),
            category_label=entry.category_label,
            open_attribute=OpenAttribute(resource.open_attribute), open_label=entry.open_label,
            update_cycle=entry.update_cycle, update_cycle_label=label(entry.update_cycle),
            released_on=resource.released_on, updated_at=resource.updated_at,
            items=[
                OpenItemRead(name=i.name, title=i.title, type=i.type, description=i.description)
                for i in entry.published_items
            ],
            download_url=entry.download_url(base_url),
            access_note="" if entry.is_open else "有条件开放: 须向提供部门申请后获取",
            license_id=entry.license.id, license_title=entry.license.title,
            license_url=entry.license.url,
        )  # fmt: skip
