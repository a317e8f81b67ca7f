"""Published resources in the shapes of CKAN's action API (API version 3): a resource is a
*package* (dataset) and its provider department an *organization*.

Field names and value shapes follow what CKAN's ``package_show`` and ``organization_list``
answer, so CKAN clients read them unchanged; GB/T 21063 fields that CKAN has no slot for travel
in ``extras`` (key/value pairs), and the data items as JSON in the ``data_items`` extra.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from citybrain.datahub.catalog.enums import ShareMethod, ShareType, label
from citybrain.datahub.opendata.published import Group, Published, Publisher, stable_id


def ckan_time(value: datetime) -> str:
    """CKAN writes UTC timestamps without a zone: 2024-03-01T08:00:00.000000."""
    naive = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return naive.isoformat(timespec="microseconds")


def organization_dict(publisher: Publisher, package_count: int | None = None) -> dict[str, Any]:
    org: dict[str, Any] = {
        "id": publisher.id,
        "name": publisher.slug,
        "title": publisher.name,
        "display_name": publisher.name,
        "type": "organization",
        "description": "",
        "image_url": "",
        "image_display_url": "",
        "created": ckan_time(publisher.created_at),
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
    }
    if package_count is not None:
        org["package_count"] = package_count
        org["num_followers"] = 0
    return org


def group_dict(group: Group, package_count: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": group.id,
        "name": group.slug,
        "title": group.title,
        "display_name": group.title,
        "type": "group",
        "description": "",
        "image_url": "",
        "image_display_url": "",
        "is_organization": False,
        "approval_status": "approved",
        "state": "active",
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def package_dict(entry: Published, base_url: str) -> dict[str, Any]:
    resource = entry.resource
    created = ckan_time(entry.created_at)
    modified = ckan_time(entry.modified_at)
    tags = [
        {"id": stable_id("tag", t), "name": t, "display_name": t, "state": "active",
         "vocabulary_id": None}
        for t in entry.keywords
    ]  # fmt: skip
    download = entry.download_url(base_url)
    distribution = {
        "id": stable_id("distribution", f"{resource.code}/csv"),
        "package_id": entry.id,
        "name": f"{resource.name} (CSV)",
        "description": "" if download else "有条件开放: 须向提供部门申请后获取",
        "format": "CSV",
        "mimetype": "text/csv",
        "url": download or entry.landing_url(base_url),
        "url_type": None,
        "state": "active",
        "position": 0,
        "created": created,
        "last_modified": modified,
        "metadata_modified": modified,
        "size": None,
        "hash": "",
        "datastore_active": False,
    }
    items = [
        {"name": i.name, "title": i.title, "type": i.type, "length": i.length,
         "description": i.description}
        for i in resource.items
    ]  # fmt: skip
    extras = {
        "resource_code": resource.code,
        "category": entry.category_label,
        "share_type": label(ShareType(resource.share_type)),
        "share_condition": resource.share_condition,
        "share_method": label(ShareMethod(resource.share_method)),
        "open_attribute": entry.open_label,
        "update_cycle": label(entry.update_cycle),
        "released_on": resource.released_on.isoformat() if resource.released_on else "",
        "related_resources": ", ".join(json.loads(resource.related_codes)),
        "resource_format": resource.format,
        "data_items": json.dumps(items, ensure_ascii=False),
    }
    return {
        "id": entry.id,
        "name": entry.slug,
        "title": resource.name,
        "notes": resource.summary,
        "type": "dataset",
        "state": "active",
        "private": False,
        "isopen": entry.is_open,
        "license_id": entry.license.id,
        "license_title": entry.license.title,
        "license_url": entry.license.url,
        "url": entry.landing_url(base_url),
        "version": str(resource.version),
        "author": entry.publisher.name,
        "author_email": None,
        "maintainer": entry.publisher.name,
        "maintainer_email": None,
        "metadata_created": created,
        "metadata_modified": modified,
        "creator_user_id": None,
        "owner_org": entry.publisher.id,
        "organization": organization_dict(entry.publisher),
        "num_resources": 1,
        "resources": [distribution],
        "num_tags": len(tags),
        "tags": tags,
        "groups": [group_dict(entry.group)],
        "relationships_as_object": [],
        "relationships_as_subject": [],
        "extras": [{"key": k, "value": v} for k, v in extras.items()],
    }


def haystack(entry: Published) -> str:
    """Lower-cased text that a free-text ``q`` is looked for in."""
    resource = entry.resource
    parts = [
        resource.code, entry.slug, resource.name, resource.summary, entry.publisher.name,
        *entry.keywords, *(i.title for i in resource.items),
    ]  # fmt: skip
    return "\n".join(parts).lower()
