"""Pydantic shapes of the catalog, and the cross-field rules of a resource.

Field rules (code pattern, item names) are enforced when a schema is built. Cross-field rules
(a share condition for 有条件共享, a legal basis for 不予共享, unique item names, key and version
items that exist) are listed by :meth:`ResourceCreate.rule_violations`, so that the service can
answer them with stable error codes and the Excel import can report every one with its cell.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from citybrain.core.pagination import Page
from citybrain.datahub.catalog.enums import (
    DemandStatus,
    ItemType,
    MaskKind,
    OpenAttribute,
    ResourceCategory,
    ResourceStatus,
    Sensitivity,
    ShareMethod,
    ShareType,
    UpdateCycle,
)
from citybrain.datahub.catalog.models import CatalogDemand, CatalogResource

# GB/T 21063.4 style: <region code>-<provider abbreviation>-<serial>, e.g. 620722-GA-001.
RESOURCE_CODE_PATTERN = r"^[0-9]{6,12}-[A-Z][A-Z0-9]{1,9}-[0-9]{3,6}$"
# A data item's name is its column name in the hub: lower-case ASCII, digits, underscores.
ITEM_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"

ResourceCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=RESOURCE_CODE_PATTERN, max_length=64)
]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


@dataclass(frozen=True, slots=True)
class RuleViolation:
    """One broken cross-field rule: the field it sits on, a stable code, a Chinese message."""

    field: str
    code: str
    message: str
    item_index: int | None = None  # index into ``items`` when the rule is about one item


class ItemSpec(BaseModel):
    """A data item (信息项) as registered: ``name`` is the hub column, ``title`` the 中文名称."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: Annotated[str, StringConstraints(pattern=ITEM_NAME_PATTERN)]
    title: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    type: ItemType = ItemType.string
    length: Annotated[int, Field(ge=1, le=100_000)] | None = None
    description: str = ""
    sensitivity: Sensitivity = Sensitivity.internal
    mask: MaskKind = MaskKind.none


class ItemRead(ItemSpec):
    position: int


class _ResourceFields(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: Text200
    provider_code: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    summary: str = ""
    category: ResourceCategory
    format: Annotated[str, StringConstraints(min_length=1, max_length=32)] = "数据库"
    share_type: ShareType
    share_condition: str = ""
    share_basis: str = ""
    share_method: ShareMethod
    open_attribute: OpenAttribute = OpenAttribute.closed
    update_cycle: UpdateCycle = UpdateCycle.monthly
    released_on: date | None = None
    related_codes: list[ResourceCode] = Field(default_factory=list)
    key_item: str = ""
    version_item: str = ""


class ResourceCreate(_ResourceFields):
    """What registering a resource needs; ``code`` identifies it for good."""

    code: ResourceCode
    items: Annotated[list[ItemSpec], Field(min_length=1)]

    def rule_violations(self) -> list[RuleViolation]:
        """Every broken cross-field rule (empty when the resource is consistent)."""
        found: list[RuleViolation] = []
        if self.share_type is ShareType.conditional and not self.share_condition:
            found.append(
                RuleViolation(
                    "share_condition", "share_condition_required", "有条件共享须填写共享条件"
                )
            )
        if self.share_type is ShareType.none and not self.share_basis:
            found.append(
                RuleViolation(
                    "share_basis", "share_basis_required", "不予共享须填写法律法规或政策依据"
                )
            )
        seen_names: set[str] = set()
        seen_titles: set[str] = set()
        for index, item in enumerate(self.items):
            if item.name in seen_names:
                found.append(
                    RuleViolation(
                        "name", "duplicate_item_name", f"信息项名称重复: {item.name}", index
                    )
                )
            if item.title in seen_titles:
                found.append(
                    RuleViolation(
                        "title", "duplicate_item_title", f"信息项中文名称重复: {item.title}", index
                    )
                )
            seen_names.add(item.name)
            seen_titles.add(item.title)
        for field in ("key_item", "version_item"):
            value = getattr(self, field)
            if value and value not in seen_names:
                found.append(
                    RuleViolation(field, f"unknown_{field}", f"{value} 不是本资源的信息项")
                )
        if self.code in self.related_codes:
            found.append(RuleViolation("related_codes", "related_self", "关联资源不能是资源本身"))
        return found


class ResourceUpdate(BaseModel):
    """A partial change; fields left out stay as they are. ``items``, when given, is the whole
    new list (items are matched by ``name``)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: Text200 | None = None
    provider_code: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    summary: str | None = None
    category: ResourceCategory | None = None
    format: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    share_type: ShareType | None = None
    share_condition: str | None = None
    share_basis: str | None = None
    share_method: ShareMethod | None = None
    open_attribute: OpenAttribute | None = None
    update_cycle: UpdateCycle | None = None
    released_on: date | None = None
    related_codes: list[ResourceCode] | None = None
    key_item: str | None = None
    version_item: str | None = None
    status: ResourceStatus | None = None
    items: Annotated[list[ItemSpec], Field(min_length=1)] | None = None


class ResourceRead(_ResourceFields):
    code: str
    provider_name: str
    region_code: str
    status: ResourceStatus
    version: int
    updated_at: datetime
    items: list[ItemRead]

    @classmethod
    def of(cls, resource: CatalogResource, provider_name: str) -> ResourceRead:
        return cls.of_row(
            {column: getattr(resource, column) for column in _STORED_FIELDS},
            [{column: getattr(item, column) for column in _ITEM_FIELDS}
             for item in resource.items],
            provider_name,
        )  # fmt: skip

    @classmethod
    def of_row(
        cls, row: Mapping[Any, Any], items: list[dict[str, Any]], provider_name: str
    ) -> ResourceRead:
        """From a ``catalog_resource`` row and its ``catalog_item`` rows (in position order),
        validated once."""
        fields = {column: row[column] for column in _STORED_FIELDS}
        fields["related_codes"] = json.loads(row["related_codes"])
        return cls.model_validate({**fields, "provider_name": provider_name, "items": items})


class ResourcePage(Page[ResourceRead]):
    pass


class ResourceFilter(BaseModel):
    q: str = Field("", description="在资源名称、摘要、信息项中文名称中检索")
    category: ResourceCategory | None = None
    provider_code: str | None = None
    share_type: ShareType | None = None
    open_attribute: OpenAttribute | None = None
    status: ResourceStatus | None = ResourceStatus.active


class VersionRead(BaseModel):
    version: int
    changed_by: str
    changed_at: datetime
    snapshot: dict[str, Any]


class RetireRequest(BaseModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class ImportResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    codes_created: list[str]
    codes_updated: list[str]


class DemandCreate(BaseModel):
    """A department's data need (供需对接清单的需求): what it needs and which items."""

    model_config = ConfigDict(str_strip_whitespace=True)

    requester_code: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    title: Text200
    description: str = ""
    wanted_items: list[Annotated[str, StringConstraints(min_length=1, max_length=128)]] = Field(
        default_factory=list, description="需要的信息项中文名称"
    )


class DemandMatch(BaseModel):
    resource_code: ResourceCode
    note: str = ""


class DemandClose(BaseModel):
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class DemandFilter(BaseModel):
    status: DemandStatus | None = None
    requester_code: str | None = None


class DemandRead(BaseModel):
    id: int
    requester_code: str
    region_code: str
    title: str
    description: str
    wanted_items: list[str]
    status: DemandStatus
    matched_resource_code: str | None
    match_note: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, demand: CatalogDemand, matched_code: str | None) -> DemandRead:
        return cls(
            id=demand.id, requester_code=demand.requester_code, region_code=demand.region_code,
            title=demand.title, description=demand.description,
            wanted_items=json.loads(demand.wanted_items), status=DemandStatus(demand.status),
            matched_resource_code=matched_code, match_note=demand.match_note,
            created_at=demand.created_at, updated_at=demand.updated_at,
        )  # fmt: skip


class DemandPage(Page[DemandRead]):
    pass


class DemandSuggestion(BaseModel):
    """A resource that could meet a demand, with the wanted item titles it holds."""

    resource_code: str
    resource_name: str
    provider_code: str
    matched_items: list[str]
    share_type: ShareType


_STORED_FIELDS = (
    "code", "name", "provider_code", "summary", "category", "format", "share_type",
    "share_condition", "share_basis", "share_method", "open_attribute", "update_cycle",
    "released_on", "related_codes", "key_item", "version_item", "region_code", "status",
    "version", "updated_at",
)  # fmt: skip
"""The columns of ``catalog_resource`` that :class:`ResourceRead` shows."""
_ITEM_FIELDS = ("position", *ItemSpec.model_fields)


def resource_fields(resource: CatalogResource) -> dict[str, Any]:
    """The registrable fields of a stored resource, as ResourceCreate takes them."""
    return {
        "code": resource.code, "name": resource.name, "provider_code": resource.provider_code,
        "summary": resource.summary, "category": resource.category, "format": resource.format,
        "share_type": resource.share_type, "share_condition": resource.share_condition,
        "share_basis": resource.share_basis, "share_method": resource.share_method,
        "open_attribute": resource.open_attribute, "update_cycle": resource.update_cycle,
        "released_on": resource.released_on, "related_codes": json.loads(resource.related_codes),
        "key_item": resource.key_item, "version_item": resource.version_item,
        "items": [
            ItemSpec.model_validate(item, from_attributes=True).model_dump()
            for item in resource.items
        ],
    }  # fmt: skip


def split_codes(text: str) -> list[str]:
    """Related codes as people type them: separated by commas, 顿号, semicolons or blanks."""
    return [part for part in re.split(r"[,，、;；\s]+", text.strip()) if part]
