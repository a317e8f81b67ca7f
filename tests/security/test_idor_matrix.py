"""Every read, list, change and delete tried across regions and across departments.

Ten signed-in callers (an analyst, a sysadmin and a secadmin of each region, a handler of each
of the four departments) try every operation on the objects of every cell that is not theirs:
another region (all operations), or — for a caller bound to a department — another department
of their own region (the operations on department-owned data). A refused attempt answers 403
or 404 and carries none of the object's data; a list never contains a foreign object.

A new kind of object gets its operations added to ``OPERATIONS`` / ``LISTS`` the day it is
added (CONVENTIONS.md, rule 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from idor_world import DEPARTMENTS, REGIONS, World

CATALOG, INGEST, QUALITY = "/api/v1/catalog", "/api/v1/ingest", "/api/v1/quality"
SHARING, MASTERDATA, IAM = "/api/v1/sharing", "/api/v1/masterdata", "/api/v1/iam"
DATASOURCES = "/api/v1/datasources"
REPORTS, SEARCH = "/api/v1/reports", "/api/v1/search"
INDICATORS = "/api/v1/indicators"
MESSAGES = "/api/v1/messages"
CSV = ("a.csv", "姓名,公民身份号码\n某人,1\n".encode(), "text/csv")


@dataclass(frozen=True)
class Op:
    """One operation on one object. ``department_bound``: the object belongs to a department,
    so a caller of another department of the same region must be refused too. ``owner``: the
    object is one person's (an inbox, what they sent): everyone else is refused, whatever their
    region or department (the actor key, with ``{region}`` and ``{short}`` of the cell)."""

    name: str
    method: str
    path: str
    department_bound: bool
    body: Any = None
    upload: bool = False
    owner: str | None = None


HANDLER, ANALYST = "handler@{region}/{short}", "analyst@{region}"
RULE = {"bands": [{"colour": "red", "upper": 1}, {"colour": "green", "lower": 1}]}

OPERATIONS: tuple[Op, ...] = (
    # catalog resources (the catalog is a directory shared within a region: reads are regional)
    Op("resource.read", "GET", CATALOG + "/resources/{resource}", False),
    Op("resource.versions", "GET", CATALOG + "/resources/{resource}/versions", False),
    Op("resource.version", "GET", CATALOG + "/resources/{resource}/versions/1", False),
    Op("resource.update", "PATCH", CATALOG + "/resources/{resource}", True, {"summary": "改"}),
    Op("resource.retire", "POST", CATALOG + "/resources/{resource}/retire", True, {"reason": "x"}),
    Op("resource.rules", "GET", QUALITY + "/resources/{resource}/rules", False),
    Op("resource.rules.set", "PUT", QUALITY + "/resources/{resource}/rules", True, []),
    Op("resource.upload", "POST", INGEST + "/resources/{resource}/batches", True, upload=True),
    # batches and quality details
    Op("batch.read", "GET", INGEST + "/batches/{batch}", True),
    Op("batch.progress", "GET", INGEST + "/batches/{batch}/progress", True),
    Op("report.read", "GET", QUALITY + "/reports/{report}", True),
    # rectification orders and their failed (quarantined) rows
    Op("order.read", "GET", QUALITY + "/orders/{order}", True),
    Op("order.failed_rows", "GET", QUALITY + "/orders/{order}/failed-rows.xlsx", True),
    Op("order.resubmit", "POST", QUALITY + "/orders/{order}/resubmissions", True, upload=True),
    # share requests and grants
    Op("request.read", "GET", SHARING + "/requests/{request}", True),
    Op("request.read_approved", "GET", SHARING + "/requests/{approved_request}", True),
    Op("request.approve", "POST", SHARING + "/requests/{request}/approve", True, {"note": ""}),
    Op("request.reject", "POST", SHARING + "/requests/{request}/reject", True, {"note": "否"}),
    Op("grant.read", "GET", SHARING + "/grants/{grant}", True),
    Op("grant.token", "POST", SHARING + "/grants/{grant}/token", True),
    Op("grant.revoke", "POST", SHARING + "/grants/{grant}/revoke", True, {"reason": "x"}),
    # master data (regional: the bureau's base registers)
    Op("person.read", "GET", MASTERDATA + "/persons/{person}", False),
    Op("person.unmask", "POST", MASTERDATA + "/persons/{person}/unmask", False, {"reason": "核查"}),
    Op("entity.read", "GET", MASTERDATA + "/entities/{entity}", False),
    # the stewards' review queue of 人口库 and splitting a master (regional, both masters)
    Op("review.read", "GET", MASTERDATA + "/review/{review}", False),
    Op("review.merge", "POST", MASTERDATA + "/review/{review}/merge", False, {"note": "同一人"}),
    Op("review.apart", "POST", MASTERDATA + "/review/{review}/apart", False, {"note": "不是"}),
    Op("person.records", "GET", MASTERDATA + "/persons/{person}/records", False),
    Op(
        "person.split",
        "POST",
        MASTERDATA + "/persons/{person}/split",
        False,
        {"source_record_ids": ["x:y"], "note": "拆分"},
    ),
    # users and API keys
    Op("user.read", "GET", IAM + "/users/{user}", False),
    Op("user.disable", "POST", IAM + "/users/{user}/disable", False),
    Op("user.enable", "POST", IAM + "/users/{user}/enable", False),
    Op("user.password_reset", "POST", IAM + "/users/{user}/password-reset", False),
    Op("user.unlock", "POST", IAM + "/users/{user}/unlock", False),
    Op("user.totp_reset", "POST", IAM + "/users/{user}/totp-reset", False),
    Op("user.roles", "PUT", IAM + "/users/{user}/roles", False, {"roles": ["viewer"]}),
    Op(
        "user.department", "PUT", IAM + "/users/{user}/department", False, {"department_code": None}
    ),
    Op("apikey.revoke", "POST", IAM + "/apikeys/{apikey}/revoke", False),
    # registered database sources (数据源管理: regional)
    Op("datasource.read", "GET", DATASOURCES + "/{datasource}", False),
    Op("datasource.update", "PATCH", DATASOURCES + "/{datasource}", False, {"description": "改"}),
    Op("datasource.test", "POST", DATASOURCES + "/{datasource}/test", False),
    Op("datasource.delete", "DELETE", DATASOURCES + "/{datasource}", False),
    # 屏端 (regional: the command centre's walls)
    Op("screen.revoke", "POST", "/api/v1/boards/screens/{screen}/revoke", False),
    Op("board.data", "GET", "/api/v1/boards/economy-society/data?region={region}", False),
    # 专报: a draft is its department's; a published one is its region's
    Op("report.draft.read", "GET", REPORTS + "/{draft}", True),
    Op("report.draft.update", "PATCH", REPORTS + "/{draft}", True, {"title": "改"}),
    Op("report.draft.delete", "DELETE", REPORTS + "/{draft}", True),
    Op("report.draft.publish", "POST", REPORTS + "/{draft}/publish", True),
    Op("report.draft.attach", "POST", REPORTS + "/{draft}/attachments", True, upload=True),
    Op("report.draft.file", "GET", REPORTS + "/{draft}/attachments/{draft_file}", True),
    Op("report.draft.file.delete", "DELETE", REPORTS + "/{draft}/attachments/{draft_file}", True),
    Op("report.published.read", "GET", REPORTS + "/{published}", False),
    Op("report.published.withdraw", "POST", REPORTS + "/{published}/withdraw", False, {}),
    Op(
        "report.published.file", "GET", REPORTS + "/{published}/attachments/{published_file}", False
    ),
    # indicators (published ones are read across the region; definitions are the department's)
    Op("indicator.read", "GET", INDICATORS + "/{indicator}", False),
    Op("indicator.values", "GET", INDICATORS + "/{indicator}/values", False),
    Op(
        "indicator.history",
        "GET",
        INDICATORS + "/{indicator}/values/history?region={region}&period=2024",
        False,
    ),
    Op("indicator.durations", "GET", INDICATORS + "/{indicator}/durations", False),
    Op("indicator.revisions", "GET", INDICATORS + "/{indicator}/revisions", True),
    Op(
        "indicator.revise",
        "PUT",
        INDICATORS + "/{indicator}",
        True,
        {"name": "改", "set_code": "x", "owner_department_code": "x", "sql_text": "SELECT 1"},
    ),
    Op("indicator.submit", "POST", INDICATORS + "/{indicator}/submit", True, {"note": ""}),
    Op("indicator.approve", "POST", INDICATORS + "/{indicator}/approve", True, {"note": ""}),
    Op("indicator.reject", "POST", INDICATORS + "/{indicator}/reject", True, {"note": ""}),
    Op("indicator.retire", "POST", INDICATORS + "/{indicator}/retire", True, {"note": "停用"}),
    Op(
        "indicator.run",
        "POST",
        INDICATORS + "/runs",
        False,
        {"codes": ["{indicator}"], "period_from": "2024", "period_to": "2024"},
    ),
    Op("indicator_app.update", "PATCH", INDICATORS + "/apps/{indicator_app}", True, {"name": "改"}),
    # 五色预警: read across the region, handled and ruled by the owner department
    Op("warning.read", "GET", INDICATORS + "/warnings/{warning}", False),
    Op("warning.acknowledge", "POST", INDICATORS + "/warnings/{warning}/acknowledge", True),
    Op("warning.close", "POST", INDICATORS + "/warnings/{warning}/close", True, {"note": "关"}),
    Op("warning_rule.read", "GET", INDICATORS + "/warnings/rules/{indicator}", False),
    Op("warning_rule.save", "PUT", INDICATORS + "/warnings/rules/{indicator}", True, RULE),
    Op("warning_rule.delete", "DELETE", INDICATORS + "/warnings/rules/{indicator}", True),
    Op(
        "warning_rule.override",
        "PUT",
        INDICATORS + "/warnings/rules/{indicator}/regions/{region}001",
        True,
        RULE,
    ),
    # 问题反馈: the filer's and the owner department's
    Op("feedback.read", "GET", INDICATORS + "/feedback/{feedback}", True),
    Op(
        "feedback.assign",
        "POST",
        INDICATORS + "/feedback/{feedback}/assign",
        True,
        {"assignee": "某"},
    ),
    Op(
        "feedback.resolve", "POST", INDICATORS + "/feedback/{feedback}/resolve", True, {"note": "x"}
    ),
    Op("feedback.reject", "POST", INDICATORS + "/feedback/{feedback}/reject", True, {"note": "x"}),
    Op("indicator_app.delete", "DELETE", INDICATORS + "/apps/{indicator_app}", True),
    # 消息中心: one's own inbox and sent messages (personal), channels, templates, tags and
    # deliveries (regional)
    Op("inbox.read", "GET", MESSAGES + "/inbox/{message}", True, owner=HANDLER),
    Op("inbox.mark_read", "POST", MESSAGES + "/inbox/{message}/read", True, owner=HANDLER),
    Op("sent.read", "GET", MESSAGES + "/sent/{sent_message}", False, owner=ANALYST),
    Op("sent.receipts", "GET", MESSAGES + "/sent/{sent_message}/receipts", False, owner=ANALYST),
    Op("channel.read", "GET", MESSAGES + "/channels/{channel}", False),
    Op("channel.update", "PATCH", MESSAGES + "/channels/{channel}", False, {"name": "改"}),
    Op("channel.test", "POST", MESSAGES + "/channels/{channel}/test", False, {}),
    Op("channel.delete", "DELETE", MESSAGES + "/channels/{channel}", False),
    Op("template.update", "PATCH", MESSAGES + "/templates/{template}", False, {"name": "改"}),
    Op("template.delete", "DELETE", MESSAGES + "/templates/{template}", False),
    Op("tag.members", "GET", MESSAGES + "/tags/{tag}/members", False),
    Op("tag.members.set", "PUT", MESSAGES + "/tags/{tag}/members", False, {"user_ids": []}),
    Op("tag.delete", "DELETE", MESSAGES + "/tags/{tag}", False),
    Op("delivery.retry", "POST", MESSAGES + "/deliveries/{delivery}/retry", False),
)


@dataclass(frozen=True)
class ListOp:
    """A list that must not contain the foreign object named by ``field`` under ``key``."""

    name: str
    path: str
    department_bound: bool
    key: str  # the identifier to look for in the answer
    field: str  # which target value it must not equal
    owner: str | None = None  # as ``Op.owner``


LISTS: tuple[ListOp, ...] = (
    ListOp("resources", CATALOG + "/resources?size=200&status=active", False, "code", "resource"),
    ListOp("batches", INGEST + "/batches?size=200", True, "id", "batch"),
    ListOp("orders", QUALITY + "/orders?size=200", True, "id", "order"),
    ListOp(
        "scores",
        QUALITY + "/departments/scores?window_days=3650",
        True,
        "department_code",
        "department",
    ),
    ListOp(
        "scores.filtered",
        QUALITY + "/departments/scores?department_code={department}",
        True,
        "department_code",
        "department",
    ),
    ListOp("requests", SHARING + "/requests?size=200", True, "id", "request"),
    ListOp("requests.approved", SHARING + "/requests?size=200", True, "id", "approved_request"),
    ListOp("grants", SHARING + "/grants?size=200", True, "id", "grant"),
    ListOp("persons", MASTERDATA + "/persons?size=200", False, "master_id", "person"),
    ListOp("entities", MASTERDATA + "/entities?size=200", False, "master_id", "entity"),
    ListOp("review", MASTERDATA + "/review?size=200", False, "id", "review"),
    ListOp("users", IAM + "/users?size=200", False, "id", "user"),
    ListOp("apikeys", IAM + "/apikeys?size=200", False, "id", "apikey"),
    ListOp("departments", IAM + "/departments", False, "code", "department"),
    ListOp("datasources", DATASOURCES + "?size=200", False, "id", "datasource"),
    ListOp("datasources.options", DATASOURCES + "/options", False, "id", "datasource"),
    ListOp("screens", "/api/v1/boards/screens", False, "id", "screen"),
    ListOp("reports.drafts", REPORTS + "?size=200", True, "id", "draft"),
    ListOp("reports.published", REPORTS + "?size=200", False, "id", "published"),
    # search hits: catalog resources and published 专报 (the world's names share these words)
    ListOp("search.resources", SEARCH + "?q=人口资源&size=100", False, "key", "resource"),
    ListOp("search.reports", SEARCH + "?q=网格员&size=100", False, "key", "published_key"),
    ListOp("search.drafts", SEARCH + "?q=草稿&size=100", True, "key", "draft_key"),
    ListOp("indicators", INDICATORS + "?size=200", False, "code", "indicator"),
    ListOp("indicators.tree", INDICATORS + "/tree", False, "code", "indicator"),
    ListOp("indicator.runs", INDICATORS + "/runs?size=200", False, "indicator_code", "indicator"),
    ListOp(
        "indicator.revisions",
        INDICATORS + "/revisions?size=200",
        True,
        "indicator_code",
        "indicator",
    ),
    ListOp("indicator.apps", INDICATORS + "/apps?size=200", True, "id", "indicator_app"),
    ListOp("warnings", INDICATORS + "/warnings?size=200", False, "id", "warning"),
    ListOp("feedback", INDICATORS + "/feedback?size=200", True, "id", "feedback"),
    ListOp("inbox", MESSAGES + "/inbox?size=200", True, "message_id", "message", owner=HANDLER),
    ListOp("sent", MESSAGES + "/sent?size=200", False, "id", "sent_message", owner=ANALYST),
    ListOp("channels", MESSAGES + "/channels?size=200", False, "id", "channel"),
    ListOp("channels.options", MESSAGES + "/channels/options", False, "id", "channel"),
    ListOp("templates", MESSAGES + "/templates", False, "id", "template"),
    ListOp("tags", MESSAGES + "/tags", False, "id", "tag"),
    ListOp("deliveries", MESSAGES + "/deliveries?size=200", False, "id", "delivery"),
)

ACTORS: tuple[tuple[str, str, str | None], ...] = (
    *((f"{role}@{region}", region, None) for region in REGIONS
      for role in ("analyst", "sysadmin", "secadmin")),
    *((f"handler@{region}/{short}", region, short) for region in REGIONS for short in DEPARTMENTS),
)  # fmt: skip
CELLS = tuple((region, short) for region in REGIONS for short in DEPARTMENTS)


def _foreign(
    actor: str, actor_region: str, actor_dept: str | None, cell: tuple[str, str], op: Any
) -> bool:
    region, short = cell
    if op.owner is not None:
        return actor != op.owner.format(region=region, short=short)
    bound = op.department_bound
    if region != actor_region:
        return True
    return bound and actor_dept is not None and short != actor_dept


def _cases(ops: tuple[Any, ...]) -> list[Any]:
    return [
        pytest.param(key, cell, op, id=f"{key}->{cell[0]}/{cell[1]}:{op.name}")
        for key, region, dept in ACTORS
        for cell in CELLS
        for op in ops
        if _foreign(key, region, dept, cell, op)
    ]


def _targets(w: World, cell: tuple[str, str]) -> dict[str, Any]:
    c, r = w.cells[cell], w.regions[cell[0]]
    return {
        "resource": c.resource_code, "batch": c.batch_id, "report": c.report_id,
        "order": c.order_id, "request": c.pending_request_id,
        "approved_request": c.approved_request_id, "grant": c.grant_id,
        "department": c.department, "user": c.handler_id, "person": r.person_id,
        "entity": r.entity_id, "apikey": r.api_key_id, "datasource": r.datasource_id,
        "screen": r.screen_id,
        "draft": c.draft_report_id, "draft_file": c.draft_attachment_id,
        "published": c.published_report_id, "published_file": c.published_attachment_id,
        "published_key": str(c.published_report_id), "draft_key": str(c.draft_report_id),
        "indicator": c.indicator_code, "indicator_app": c.indicator_app_id, "region": cell[0],
        "warning": c.warning_id, "feedback": c.feedback_id,
        "message": c.message_id, "sent_message": r.sent_message_id, "channel": r.channel_id,
        "template": r.template_id, "tag": r.tag_id, "delivery": r.delivery_id,
        "review": r.review_pair_id,
    }  # fmt: skip


def _fill(body: Any, targets: dict[str, Any]) -> Any:
    """The body with ``{name}`` placeholders in its strings replaced by the target's values."""
    if isinstance(body, str):
        return body.format(**targets)
    if isinstance(body, list):
        return [_fill(v, targets) for v in body]
    if isinstance(body, dict):
        return {k: _fill(v, targets) for k, v in body.items()}
    return body


def _markers(w: World, cell: tuple[str, str]) -> tuple[str, str]:
    return w.cells[cell].marker, w.regions[cell[0]].marker


def _identifiers(value: Any, key: str) -> set[Any]:
    """Every value stored under ``key`` anywhere in a JSON answer."""
    found: set[Any] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key and not isinstance(v, dict | list):
                found.add(v)
            found |= _identifiers(v, key)
    elif isinstance(value, list):
        for v in value:
            found |= _identifiers(v, key)
    return found


OBJECT_CASES = _cases(OPERATIONS)
LIST_CASES = _cases(LISTS)


def test_the_matrix_is_large_enough() -> None:
    # The brief asked for at least 740 attempts; the matrix must not shrink silently.
    assert len(OBJECT_CASES) + len(LIST_CASES) >= 740
    assert {op.path.split("/")[3] for op in OPERATIONS} >= {
        "catalog", "ingest", "quality", "sharing", "masterdata", "iam", "messages",
    }  # fmt: skip


@pytest.mark.parametrize(("actor", "cell", "op"), OBJECT_CASES)
def test_a_foreign_object_is_refused(
    world: World,
    api: TestClient,
    actor: str,
    cell: tuple[str, str],
    op: Op,
) -> None:
    url = op.path.format(**_targets(world, cell))
    kwargs: dict[str, Any] = {"headers": world.actors[actor].headers}
    if op.upload:
        kwargs["files"] = {"file": CSV}
    elif op.body is not None:
        kwargs["json"] = _fill(op.body, _targets(world, cell))
    answer = api.request(op.method, url, **kwargs)
    assert answer.status_code in (403, 404), f"{actor} {op.method} {url}: {answer.text[:300]}"
    assert answer.json()["code"]  # a stable error code, never the object
    for marker in _markers(world, cell):
        assert marker not in answer.text


@pytest.mark.parametrize(("actor", "cell", "listing"), LIST_CASES)
def test_a_list_holds_no_foreign_object(
    world: World,
    api: TestClient,
    actor: str,
    cell: tuple[str, str],
    listing: ListOp,
) -> None:
    targets = _targets(world, cell)
    answer = api.get(listing.path.format(**targets), headers=world.actors[actor].headers)
    assert answer.status_code in (200, 403), answer.text[:300]
    if answer.status_code == 403:
        return
    assert targets[listing.field] not in _identifiers(answer.json(), listing.key)
    if listing.name not in ("departments",):  # a department's name is no secret of its data
        assert world.cells[cell].marker not in answer.text


@pytest.mark.parametrize(("actor", "region", "dept"), ACTORS, ids=[a[0] for a in ACTORS])
def test_own_objects_are_reachable(
    world: World,
    api: TestClient,
    actor: str,
    region: str,
    dept: str | None,
) -> None:
    """The matrix can fail: the same callers do reach their own objects (so a refusal above
    is the scope at work, not a broken fixture)."""
    headers = world.actors[actor].headers
    role = actor.split("@")[0]
    own = (region, dept or DEPARTMENTS[0])
    targets = _targets(world, own)
    if role == "handler":
        assert api.get(f"{QUALITY}/orders/{targets['order']}", headers=headers).status_code == 200
        assert api.get(f"{REPORTS}/{targets['draft']}", headers=headers).status_code == 200
        hits = api.get(f"{SEARCH}?q=人口资源&size=100", headers=headers).json()
        assert targets["resource"] in _identifiers(hits, "key")
        listed = api.get(f"{SHARING}/requests?size=200", headers=headers).json()
        assert targets["request"] in _identifiers(listed, "id")
        apps = api.get(f"{INDICATORS}/apps?size=200", headers=headers).json()
        assert targets["indicator_app"] in _identifiers(apps, "id")
        revisions = api.get(f"{INDICATORS}/{targets['indicator']}/revisions", headers=headers)
        assert revisions.status_code == 200
        feedback = api.get(f"{INDICATORS}/feedback/{targets['feedback']}", headers=headers)
        assert feedback.status_code == 200, feedback.text
        acknowledged = api.post(
            f"{INDICATORS}/warnings/{targets['warning']}/acknowledge", headers=headers
        )
        assert acknowledged.status_code == 200, acknowledged.text
        inbox = api.get(f"{MESSAGES}/inbox/{targets['message']}", headers=headers)
        assert inbox.status_code == 200
        assert world.cells[own].marker in inbox.text
    elif role == "analyst":
        for short in DEPARTMENTS:  # no department: every department of the region
            other = _targets(world, (region, short))
            assert api.get(f"{INGEST}/batches/{other['batch']}", headers=headers).status_code == 200
        person = api.get(f"{MASTERDATA}/persons/{targets['person']}", headers=headers)
        assert person.status_code == 200
        pair = api.get(f"{MASTERDATA}/review/{targets['review']}", headers=headers)
        assert pair.status_code == 200, pair.text
        queue = api.get(f"{MASTERDATA}/review?size=200", headers=headers).json()
        assert targets["review"] in _identifiers(queue, "id")
        source = api.get(f"{DATASOURCES}/{targets['datasource']}", headers=headers)
        assert source.status_code == 200
        hits = api.get(f"{SEARCH}?q=网格员&size=100", headers=headers).json()
        for short in DEPARTMENTS:  # both departments' published 专报 of the region
            other = _targets(world, (region, short))
            assert other["published_key"] in _identifiers(hits, "key")
            assert api.get(f"{REPORTS}/{other['draft']}", headers=headers).status_code == 200
        values = api.get(f"{INDICATORS}/{targets['indicator']}/values", headers=headers)
        assert values.status_code == 200, values.text
        assert values.json()["items"]
        assert {r["colour"] for r in values.json()["items"]} == {"red"}
        warnings = api.get(f"{INDICATORS}/warnings?size=200", headers=headers).json()
        assert targets["warning"] in _identifiers(warnings, "id")
        sent = api.get(f"{MESSAGES}/sent/{targets['sent_message']}/receipts", headers=headers)
        assert sent.status_code == 200
        assert sent.json()["total"] == 1
    else:
        assert api.get(f"{IAM}/users/{targets['user']}", headers=headers).status_code == 200
        if role == "sysadmin":
            channel = api.get(f"{MESSAGES}/channels/{targets['channel']}", headers=headers)
            assert channel.status_code == 200
            tags = api.get(f"{MESSAGES}/tags/{targets['tag']}/members", headers=headers)
            assert tags.status_code == 200


def test_a_list_can_show_what_it_hides(world: World, api: TestClient) -> None:
    """The list check can fail: the analyst of a region sees both departments' orders."""
    headers = world.actors["analyst@620722"].headers
    listed = _identifiers(api.get(f"{QUALITY}/orders?size=200", headers=headers).json(), "id")
    assert {world.cells[("620722", s)].order_id for s in DEPARTMENTS} <= listed
