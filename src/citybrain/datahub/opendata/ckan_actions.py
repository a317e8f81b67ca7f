"""The read-only CKAN actions and CKAN's answer envelope.

Success: HTTP 200 ``{"help": <url>, "success": true, "result": ...}``. Errors as CKAN answers
them: not found → 404 with ``error.__type`` "Not Found Error"; bad parameters → 409
"Validation Error" with the field's messages; a query we cannot run → 400 "Search Query Error";
an unknown action → 400 with the bare JSON string ``"Bad request - Action name not known: x"``
(CKAN gives no envelope there either).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from citybrain.datahub.opendata import published as pub
from citybrain.datahub.opendata.ckan import group_dict, haystack, organization_dict, package_dict
from citybrain.datahub.opendata.licenses import LICENSES
from citybrain.datahub.opendata.published import stable_id

CKAN_API_VERSION = 3
EMULATED_CKAN_VERSION = "2.10.0"  # the action API level whose shapes these answers follow


@dataclass(frozen=True, slots=True)
class Site:
    session: Session
    base_url: str
    title: str


class ActionError(Exception):
    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


def _not_found(what: str) -> ActionError:
    return ActionError(404, {"__type": "Not Found Error", "message": f"Not found: {what}"})


def _invalid(field: str, message: str) -> ActionError:
    return ActionError(409, {"__type": "Validation Error", field: [message]})


def _search_error(message: str) -> ActionError:
    return ActionError(
        400, {"__type": "Search Query Error", "message": f"Search Query is invalid: {message!r}"}
    )


def _int(params: dict[str, Any], key: str, default: int, maximum: int | None = None) -> int:
    raw = params.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise _invalid(key, "Invalid integer") from None
    if value < 0:
        raise _invalid(key, "Must be a natural number")
    return min(value, maximum) if maximum is not None else value


def _bool(params: dict[str, Any], key: str) -> bool:
    raw = params.get(key, False)
    if isinstance(raw, bool):
        return raw
    return str(raw).strip().lower() in ("true", "1", "yes", "on")


def package_list(site: Site, params: dict[str, Any]) -> list[str]:
    """Names of all published datasets, sorted. Parameters: ``limit``, ``offset``."""
    names = sorted(entry.slug for entry in pub.published(site.session))
    offset = _int(params, "offset", 0)
    limit = _int(params, "limit", len(names))
    return names[offset : offset + limit]


def package_show(site: Site, params: dict[str, Any]) -> dict[str, Any]:
    """One dataset by ``id``: its id, name (slug of the code) or resource code."""
    key = str(params.get("id") or params.get("name_or_id") or "").strip()
    if not key:
        raise _invalid("id", "Missing value")
    entry = pub.find(site.session, key)
    if entry is None:
        raise _not_found(f"数据集不存在 {key}")
    return package_dict(entry, site.base_url)


_FILTER = re.compile(r'(?:^|\s)[+]?([a-z_]+):(?:"([^"]*)"|(\S+))')
# Names (organization, group, dataset) are lower-case slugs of upper-case codes; a filter value
# is compared through pub.same_name, so ``organization:620722-SJ`` and ``620722-sj`` both match.
_FILTERS: dict[str, Callable[[pub.Published, str], bool]] = {
    "organization": lambda e, v: pub.same_name(v, e.publisher.slug),
    "owner_org": lambda e, v: e.publisher.id == v or pub.same_name(v, e.publisher.slug),
    "groups": lambda e, v: pub.same_name(v, e.group.slug),
    "name": lambda e, v: pub.same_name(v, e.slug),
    "id": lambda e, v: e.id == v,
    "tags": lambda e, v: v in e.keywords,
    "res_format": lambda e, v: v.upper() == "CSV",
    "license_id": lambda e, v: e.license.id.lower() == v.lower(),
    "isopen": lambda e, v: e.is_open == (v.lower() == "true"),
}
_SORTS: dict[str, Callable[[pub.Published], Any]] = {
    "name": lambda e: e.slug,
    "title_string": lambda e: e.resource.name,
    "metadata_modified": lambda e: e.modified_at,
    "metadata_created": lambda e: e.created_at,
}
DEFAULT_SORT = "score desc, metadata_modified desc"


def _split_query(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Field filters (``organization:x``) and the remaining free-text words of a query."""
    text = text.strip()
    if text in ("", "*:*"):
        return [], []
    filters = [(m.group(1), m.group(2) or m.group(3) or "") for m in _FILTER.finditer(text)]
    rest = _FILTER.sub(" ", text)
    words = [w for w in rest.split() if w.upper() not in ("AND", "*:*")]
    return filters, words


def package_search(site: Site, params: dict[str, Any]) -> dict[str, Any]:
    """Datasets matching ``q`` (words, all must occur; or ``field:value``) and ``fq``
    (``organization:``, ``tags:``, ``name:``, ``res_format:`` …), sorted by ``sort``,
    paged by ``rows`` (default 10, at most 1000) and ``start``."""
    filters, words = _split_query(str(params.get("q") or ""))
    fq_filters, fq_words = _split_query(str(params.get("fq") or ""))
    if fq_words:
        raise _search_error(f"fq 只支持 字段:值 形式: {' '.join(fq_words)}")
    filters += fq_filters
    unknown = sorted({f for f, _ in filters if f not in _FILTERS})
    if unknown:
        raise _search_error(f"不支持的检索字段: {', '.join(unknown)}")
    rows = _int(params, "rows", 10, maximum=1000)
    start = _int(params, "start", 0)
    matches = [
        e
        for e in pub.published(site.session)
        if all(_FILTERS[f](e, v) for f, v in filters)
        and all(w.lower() in haystack(e) for w in words)
    ]
    sort = str(params.get("sort") or DEFAULT_SORT)
    for part in reversed([p.strip() for p in sort.split(",") if p.strip()]):
        field, _, direction = part.partition(" ")
        if field == "score":
            continue
        if field not in _SORTS:
            raise _search_error(f"不支持的排序字段: {field}")
        matches.sort(key=_SORTS[field], reverse=direction.strip().lower() == "desc")
    return {
        "count": len(matches),
        "results": [package_dict(e, site.base_url) for e in matches[start : start + rows]],
        "sort": sort,
        "facets": {},
        "search_facets": {},
    }


def organization_list(site: Site, params: dict[str, Any]) -> list[Any]:
    """Departments that publish at least one dataset: names, or whole dicts with
    ``all_fields``. Sorted by ``sort`` (``title`` or ``name``, default title), paged by
    ``limit`` and ``offset``; ``organizations`` keeps only the listed names."""
    counts: dict[str, int] = {}
    publishers: dict[str, pub.Publisher] = {}
    for entry in pub.published(site.session):
        counts[entry.publisher.code] = counts.get(entry.publisher.code, 0) + 1
        publishers[entry.publisher.code] = entry.publisher
    wanted = params.get("organizations")
    if isinstance(wanted, str):
        wanted = [w for w in re.split(r"[,\s]+", wanted) if w]
    chosen = [
        p for p in publishers.values()
        if not wanted or any(pub.same_name(w, p.slug) for w in wanted)
    ]  # fmt: skip
    sort = str(params.get("sort") or "title asc")
    field, _, direction = sort.strip().partition(" ")
    chosen.sort(key=lambda p: p.slug if field == "name" else p.name)
    if direction.strip().lower() == "desc":
        chosen.reverse()
    offset = _int(params, "offset", 0)
    limit = _int(params, "limit", len(chosen))
    chosen = chosen[offset : offset + limit]
    if _bool(params, "all_fields"):
        return [organization_dict(p, counts[p.code]) for p in chosen]
    return [p.slug for p in chosen]


def organization_show(site: Site, params: dict[str, Any]) -> dict[str, Any]:
    """One publishing department by ``id``: its id, name (lower-cased code) or code in any
    case. ``include_datasets`` adds its datasets (at most 10, as CKAN does)."""
    key = str(params.get("id") or "").strip()
    if not key:
        raise _invalid("id", "Missing value")
    entries = [
        e for e in pub.published(site.session)
        if key == e.publisher.id or pub.same_name(key, e.publisher.slug)
    ]  # fmt: skip
    if not entries:
        raise _not_found(f"组织不存在 {key}")
    org = organization_dict(entries[0].publisher, len(entries))
    org.update({"users": [], "extras": [], "tags": [], "groups": []})
    if _bool(params, "include_datasets"):
        org["packages"] = [package_dict(e, site.base_url) for e in entries[:10]]
    return org


def group_list(site: Site, params: dict[str, Any]) -> list[Any]:
    """Groups holding at least one dataset: the GB/T 21063 categories (``basic`` 基础,
    ``theme`` 主题, ``department`` 部门信息资源). Names, or dicts with ``all_fields``; sorted by
    ``sort`` (``title`` or ``name``), paged by ``limit`` and ``offset``."""
    counts: dict[str, int] = {}
    groups: dict[str, pub.Group] = {}
    for entry in pub.published(site.session):
        counts[entry.group.slug] = counts.get(entry.group.slug, 0) + 1
        groups[entry.group.slug] = entry.group
    sort = str(params.get("sort") or "title asc")
    field, _, direction = sort.strip().partition(" ")
    chosen = sorted(groups.values(), key=lambda g: g.slug if field == "name" else g.title)
    if direction.strip().lower() == "desc":
        chosen.reverse()
    offset = _int(params, "offset", 0)
    chosen = chosen[offset : offset + _int(params, "limit", len(chosen))]
    if _bool(params, "all_fields"):
        return [group_dict(g, counts[g.slug]) for g in chosen]
    return [g.slug for g in chosen]


def tag_list(site: Site, params: dict[str, Any]) -> list[Any]:
    """Tags of the published datasets, sorted; ``query`` keeps those containing it; with
    ``all_fields`` each is ``{"id", "name", "vocabulary_id"}``. No vocabularies here: a
    ``vocabulary_id`` lists nothing."""
    if params.get("vocabulary_id"):
        return []
    names = sorted({t for e in pub.published(site.session) for t in e.keywords})
    query = str(params.get("query") or params.get("q") or "").strip().lower()
    if query:
        names = [n for n in names if query in n.lower()]
    if _bool(params, "all_fields"):
        return [{"id": stable_id("tag", n), "name": n, "vocabulary_id": None} for n in names]
    return names


def license_list(site: Site, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every licence this catalog may publish under (``CITYBRAIN_OPENDATA_LICENSE_ID`` picks
    the one its datasets carry)."""
    return [license.as_ckan() for license in LICENSES]


def status_show(site: Site, params: dict[str, Any]) -> dict[str, Any]:
    """What this site is and which CKAN API level it speaks."""
    return {
        "site_title": site.title,
        "site_description": "citybrain 政务数据开放目录 (只读 CKAN 兼容接口)",
        "site_url": site.base_url,
        "ckan_version": EMULATED_CKAN_VERSION,
        "locale_default": "zh_Hans_CN",
        "extensions": [],
    }


def help_show(site: Site, params: dict[str, Any]) -> str:
    """The documentation of the action ``name``."""
    name = str(params.get("name") or "")
    action = ACTIONS.get(name)
    if action is None:
        raise _not_found(f"接口不存在 {name}")
    return (action.__doc__ or "").strip()


ACTIONS: dict[str, Callable[[Site, dict[str, Any]], Any]] = {
    "package_list": package_list,
    "package_show": package_show,
    "package_search": package_search,
    "organization_list": organization_list,
    "organization_show": organization_show,
    "group_list": group_list,
    "tag_list": tag_list,
    "license_list": license_list,
    "status_show": status_show,
    "help_show": help_show,
}


def call(site: Site, action: str, params: dict[str, Any]) -> tuple[int, Any]:
    """Run ``action`` and answer (status, body) exactly as CKAN would."""
    function = ACTIONS.get(action)
    if function is None:
        return 400, f"Bad request - Action name not known: {action}"
    envelope: dict[str, Any] = {
        "help": f"{site.base_url}/api/{CKAN_API_VERSION}/action/help_show?name={action}"
    }
    try:
        envelope["result"] = function(site, params)
    except ActionError as exc:
        envelope["success"] = False
        envelope["error"] = exc.error
        return exc.status, envelope
    envelope["success"] = True
    return 200, envelope


def bad_request(message: str) -> tuple[int, Any]:
    """CKAN's answer to a request whose parameters cannot be read at all."""
    return 400, f"Bad request - {message}"
