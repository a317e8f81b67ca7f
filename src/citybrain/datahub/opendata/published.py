"""What the open APIs know of a resource: the catalog's published resources, with their
provider, stable identifiers, keywords and download addresses, in one read-only view.

Invariant: only active resources whose open attribute is 无条件开放 (``open``) or 有条件开放
(``conditional``) are ever built here; a download address exists only for ``open`` ones.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from citybrain.core.errors import NotFound
from citybrain.datahub.catalog import queries as catalog_queries
from citybrain.datahub.catalog.enums import (
    OpenAttribute,
    ResourceCategory,
    Sensitivity,
    UpdateCycle,
    label,
)
from citybrain.datahub.catalog.models import CatalogItem, CatalogResource
from citybrain.datahub.opendata.licenses import License, catalog_license
from citybrain.iam.departments import Department, get_department

# Identifiers derived from codes never change, so CKAN clients can keep them.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:citybrain:opendata")


def stable_id(kind: str, key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{key}"))


def slug(code: str) -> str:
    """A CKAN-style name: lower case, only ``a-z 0-9 _ -`` (620722-SJ-001 → 620722-sj-001)."""
    return re.sub(r"[^a-z0-9_-]+", "-", code.strip().lower()).strip("-")


def same_name(wanted: str, name: str) -> bool:
    """Whether a CKAN name asked for (a code in any letter case, or its slug) is ``name``."""
    return slug(wanted) == name


@dataclass(frozen=True, slots=True)
class Publisher:
    code: str
    name: str
    short_name: str
    created_at: datetime

    @property
    def slug(self) -> str:
        """The CKAN organization name: the department code lower-cased (CKAN names are lower
        case); :func:`same_name` matches it against a code in any case."""
        return slug(self.code)

    @property
    def id(self) -> str:
        return stable_id("organization", self.code)


@dataclass(frozen=True, slots=True)
class Group:
    category: ResourceCategory

    @property
    def slug(self) -> str:
        return self.category.value

    @property
    def id(self) -> str:
        return stable_id("group", self.category.value)

    @property
    def title(self) -> str:
        return f"{label(self.category)}信息资源"


@dataclass(frozen=True, slots=True)
class Published:
    resource: CatalogResource
    publisher: Publisher
    created_at: datetime

    @property
    def code(self) -> str:
        return self.resource.code

    @property
    def slug(self) -> str:
        return slug(self.resource.code)

    @property
    def id(self) -> str:
        return stable_id("dataset", self.resource.code)

    @property
    def is_open(self) -> bool:
        return self.resource.open_attribute == OpenAttribute.open

    @property
    def open_label(self) -> str:
        return label(OpenAttribute(self.resource.open_attribute))

    @property
    def category_label(self) -> str:
        return label(ResourceCategory(self.resource.category))

    @property
    def update_cycle(self) -> UpdateCycle:
        return UpdateCycle(self.resource.update_cycle)

    @property
    def released_on(self) -> date | None:
        return self.resource.released_on

    @property
    def modified_at(self) -> datetime:
        return self.resource.updated_at

    @property
    def license(self) -> License:
        return catalog_license()

    @property
    def group(self) -> Group:
        """The CKAN group of the dataset: its GB/T 21063 category (基础/主题/部门信息资源)."""
        return Group(ResourceCategory(self.resource.category))

    @property
    def keywords(self) -> list[str]:
        return [f"{self.category_label}信息资源", self.publisher.short_name, self.open_label]

    @property
    def published_items(self) -> list[CatalogItem]:
        """Items whose values may leave the government network (sensitivity 公开)."""
        return [i for i in self.resource.items if i.sensitivity == Sensitivity.public]

    def download_url(self, base_url: str) -> str | None:
        if not self.is_open:
            return None
        return f"{base_url}/api/v1/opendata/resources/{self.code}/download.csv"

    def landing_url(self, base_url: str) -> str:
        return f"{base_url}/api/v1/opendata/resources/{self.code}"


def published(session: Session) -> list[Published]:
    """Every published resource in code order, each with its provider."""
    publishers: dict[str, Publisher] = {}
    out: list[Published] = []
    resources = catalog_queries.published_resources(session)
    registered = catalog_queries.first_registered(session, (r.id for r in resources))
    for resource in resources:
        publisher = publishers.get(resource.provider_code)
        if publisher is None:
            publisher = _publisher(get_department(session, resource.provider_code))
            publishers[resource.provider_code] = publisher
        created = registered.get(resource.id, resource.updated_at)
        out.append(Published(resource, publisher, created))
    return out


def find(session: Session, key: str) -> Published | None:
    """The published resource whose code, slug or stable id is ``key``."""
    wanted = key.strip()
    for entry in published(session):
        if wanted in (entry.code, entry.slug, entry.id) or slug(wanted) == entry.slug:
            return entry
    return None


def get(session: Session, key: str) -> Published:
    """Like :func:`find`; NotFound ``resource_not_found`` for anything not published."""
    entry = find(session, key)
    if entry is None:
        raise NotFound(f"开放资源不存在: {key}", code="resource_not_found", detail=key)
    return entry


def _publisher(department: Department) -> Publisher:
    return Publisher(
        code=department.code,
        name=department.name,
        short_name=department.short_name or department.name,
        created_at=department.created_at,
    )
