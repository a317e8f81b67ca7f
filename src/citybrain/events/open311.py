"""Open311 GeoReport v2 (``/open311/v2``), as the spec in shared/data/open311 says.

- services are the active first-level categories (12345 and GB/T 30428), ``metadata`` false;
- ``POST requests`` needs ``api_key`` (a citybrain API key with ``events:report``): the request
  is an event of the key's region, placed by ``lat``/``long`` (WGS-84) or ``address_string`` /
  ``address_id``; the answer carries ``service_request_id``, the event's tracking code (not a
  row number, so ids are not guessable), hence no token is needed and ``tokens/{token}`` simply
  answers the same id;
- ``GET requests`` with ``api_key``: the key's region's requests of the last 90 days (or
  ``start_date``/``end_date``), at most 1,000; without a key only the requests named by
  ``service_request_id`` — the tracking code is the credential — and never the description,
  address or place, which may carry personal data (the public view of ``track``).

Errors answer the spec's ``[{"code", "description"}]`` with the HTTP status; the description
holds the Chinese message and citybrain's stable code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.clock import utcnow
from citybrain.core.context import set_actor
from citybrain.core.errors import DomainError, NotFound, PermissionDenied
from citybrain.core.scope import Scope
from citybrain.core.web import DbSession
from citybrain.events import categories, queries, service
from citybrain.events.models import Event, EventCategory
from citybrain.events.open311_format import error, render, w3
from citybrain.events.permissions import REPORT
from citybrain.events.schemas import EventChannel, EventCreate
from citybrain.events.workflow import STATUS_NAMES_ZH, EventStatus, public_status
from citybrain.iam import apikeys
from citybrain.regions.geo import Crs

PREFIX = "/open311/v2"
_BOTH: dict[str, Any] = {"content": {"application/json": {}, "text/xml": {}}}
router = APIRouter(
    prefix=PREFIX,
    tags=["open311"],
    responses={
        200: {"description": "JSON 或 XML (按后缀)", **_BOTH},
        400: {"description": "缺少参数 (Open311 错误列表)", **_BOTH},
        403: {"description": "api_key 缺失或无效", **_BOTH},
        404: {"description": "不存在", **_BOTH},
    },
)
PUBLIC_ROUTE_PATHS = frozenset(
    {
        f"{PREFIX}/services.{{fmt}}",
        f"{PREFIX}/services/{{service_code}}.{{fmt}}",
        f"{PREFIX}/requests.{{fmt}}",
        f"{PREFIX}/requests/{{request_id}}.{{fmt}}",
        f"{PREFIX}/tokens/{{token}}.{{fmt}}",
    }
)
Fmt = Annotated[str, Path(pattern="^(json|xml)$", description="json 或 xml")]
MAX_REQUESTS = 1000
WINDOW = timedelta(days=90)


def _open311_errors(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Domain errors in the spec's error format instead of citybrain's JSON."""

    @wraps(handler)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        try:
            return handler(*args, **kwargs)
        except DomainError as refused:
            return error(kwargs.get("fmt", "json"), refused.status_code,
                         f"{refused.message} ({refused.code})")  # fmt: skip

    return wrapped


def key_scope(session: Session, api_key: str | None) -> Scope:
    """The scope of an Open311 ``api_key``; PermissionDenied (403, as the spec's example) when
    it is missing, unknown, expired or without ``events:report``."""
    if not api_key or not api_key.strip():
        raise PermissionDenied("缺少 api_key", code="api_key_required")
    try:
        key = apikeys.authenticate(session, api_key.strip())
        apikeys.check_unexpired(key.expires_at)
    except DomainError:
        raise PermissionDenied("api_key 无效", code="invalid_api_key") from None
    codes = apikeys.scopes_of(key)
    if REPORT not in codes:
        raise PermissionDenied("api_key 没有 events:report 权限", code="permission_denied")
    set_actor(session, actor=f"apikey:{key.name}", role="apikey", region_code=key.region_code)
    return Scope(
        region_code=key.region_code,
        all_departments=True,
        permissions=codes,
        actor=f"apikey:{key.name}",
    )


def _service(category: EventCategory) -> dict[str, Any]:
    group = "12345" if category.scheme == categories.SCHEME_12345 else "GB/T 30428"
    return {
        "service_code": category.code, "service_name": category.name, "description": None,
        "metadata": False, "type": "realtime", "keywords": None, "group": group,
    }  # fmt: skip


@router.get("/services.{fmt}", summary="Open311 服务列表", description="无需登录。可用的一级分类。")
@_open311_errors
def services(session: DbSession, fmt: Fmt) -> Response:
    rows = [c for c in categories.list_categories(session) if c.level == 1 and c.active]
    return render(fmt, [_service(c) for c in rows], root="services", item="service")


@router.get(
    "/services/{service_code}.{fmt}", summary="Open311 服务定义",
    description="无需登录。服务无附加属性 (attributes 为空); 不存在 404。",
)  # fmt: skip
@_open311_errors
def service_definition(
    session: DbSession, service_code: Annotated[str, Path(max_length=32)], fmt: Fmt
) -> Response:
    category = categories.get_category(session, service_code)
    return render(
        fmt, {"service_code": category.code, "attributes": []}, root="service_definition", item=""
    )


@router.post(
    "/requests.{fmt}", summary="Open311 提交服务请求",
    description=(
        "表单提交, 须 api_key (范围 events:report)。service_code 不存在 404; 缺少位置 "
        "(lat/long、address_string 或 address_id) 400。返回 service_request_id (即查询码)。"
    ),
)  # fmt: skip
@_open311_errors
def create_request(
    session: DbSession,
    fmt: Fmt,
    api_key: Annotated[str | None, Form(max_length=200)] = None,
    service_code: Annotated[str | None, Form(max_length=32)] = None,
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    long: Annotated[float | None, Form(ge=-180, le=180)] = None,
    address_string: Annotated[str | None, Form(max_length=300)] = None,
    address_id: Annotated[str | None, Form(max_length=64)] = None,
    first_name: Annotated[str | None, Form(max_length=32)] = None,
    last_name: Annotated[str | None, Form(max_length=32)] = None,
    phone: Annotated[str | None, Form(max_length=32)] = None,
    description: Annotated[str | None, Form(max_length=4000)] = None,
    email: Annotated[str | None, Form(max_length=200)] = None,
    device_id: Annotated[str | None, Form(max_length=200)] = None,
    account_id: Annotated[str | None, Form(max_length=200)] = None,
    media_url: Annotated[str | None, Form(max_length=2000)] = None,
    jurisdiction_id: Annotated[str | None, Form(max_length=100)] = None,
) -> Response:
    scope = key_scope(session, api_key)
    if not service_code:
        return error(fmt, 400, "缺少 service_code (service_code_required)")
    category = categories.get_category(session, service_code)
    has_point = lat is not None and long is not None
    if not has_point and not (address_string or "").strip() and not (address_id or "").strip():
        return error(
            fmt, 400, "缺少位置: lat/long、address_string 或 address_id (location_required)"
        )
    text = (description or "").strip()
    spec = EventCreate(
        title=(text[:40] or category.name), description=text, category_code=category.code,
        channel=EventChannel.open311, lng=long if has_point else None,
        lat=lat if has_point else None, crs=Crs.wgs84,
        address=(address_string or address_id or "").strip(),
        reporter_name=" ".join(filter(None, (last_name, first_name))).strip()[:64],
        reporter_phone=(phone or "").strip(), external_id=(address_id or "").strip()[:64],
    )  # fmt: skip
    event = service.create_event(session, spec=spec, scope=scope)
    notice = f"已受理, 查询码 {event.tracking_code}"
    return render(
        fmt, [{"service_request_id": event.tracking_code, "service_notice": notice,
               "account_id": None}],
        root="service_requests", item="request",
    )  # fmt: skip


def _request(event: Event, names: dict[str, str], *, full: bool) -> dict[str, Any]:
    status = EventStatus(event.status)
    return {
        "service_request_id": event.tracking_code, "status": public_status(status),
        "status_notes": STATUS_NAMES_ZH[status],
        "service_name": names.get(event.category_code or "") or None,
        "service_code": event.category_code or "", "description": event.description if full
        else None, "agency_responsible": event.department_code if full else None,
        "service_notice": None, "requested_datetime": w3(event.created_at),
        "updated_datetime": w3(event.updated_at), "expected_datetime": None,
        "address": (event.address or None) if full else None, "address_id": None,
        "zipcode": None, "lat": event.lat if full else None, "long": event.lng if full else None,
        "media_url": None,
    }  # fmt: skip


def _render_requests(session: Session, fmt: str, rows: list[Event], *, full: bool) -> Response:
    codes = {e.category_code for e in rows if e.category_code}
    names = queries.category_names(session, codes)
    return render(
        fmt, [_request(e, names, full=full) for e in rows], root="service_requests", item="request"
    )


@router.get(
    "/requests.{fmt}", summary="Open311 查询服务请求",
    description=(
        "带 api_key 时为本辖区近 90 天 (或 start_date/end_date) 的请求, 至多 1000 条; "
        "不带时只返回 service_request_id 列出的请求, 且不含描述、地址与位置。"
    ),
)  # fmt: skip
@_open311_errors
def list_requests(
    session: DbSession,
    fmt: Fmt,
    api_key: Annotated[str | None, Query(max_length=200)] = None,
    service_request_id: Annotated[str | None, Query(max_length=2000)] = None,
    service_code: Annotated[str | None, Query(max_length=32)] = None,
    start_date: Annotated[datetime | None, Query()] = None,
    end_date: Annotated[datetime | None, Query()] = None,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
    jurisdiction_id: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    ids = [i.strip().upper() for i in (service_request_id or "").split(",") if i.strip()]
    query = select(Event)
    if api_key:
        scope = key_scope(session, api_key)
        query = query.where(queries.visible_clause(scope))
    elif not ids:
        return error(fmt, 403, "未带 api_key 时须给出 service_request_id (api_key_required)")
    if ids:
        query = query.where(Event.tracking_code.in_(ids[:MAX_REQUESTS]))
    else:
        end = end_date or utcnow()
        query = query.where(Event.created_at >= (start_date or end - WINDOW))
        query = query.where(Event.created_at <= end)
    if service_code:
        query = query.where(Event.category_code == service_code)
    if status == "closed":
        query = query.where(Event.status == EventStatus.closed.value)
    elif status == "open":
        query = query.where(Event.status != EventStatus.closed.value)
    rows = list(session.execute(query.order_by(Event.id.desc()).limit(MAX_REQUESTS)).scalars())
    return _render_requests(session, fmt, rows, full=bool(api_key))


@router.get(
    "/requests/{request_id}.{fmt}", summary="Open311 查询单个服务请求",
    description="无需登录。request_id 为查询码; 不含描述、地址与位置; 不存在 404。",
)  # fmt: skip
@_open311_errors
def get_request(
    session: DbSession, request_id: Annotated[str, Path(max_length=16)], fmt: Fmt
) -> Response:
    event = service.find_by_tracking_code(session, request_id)
    return _render_requests(session, fmt, [event], full=False)


@router.get(
    "/tokens/{token}.{fmt}", summary="Open311 由 token 查询请求编号",
    description="无需登录。本服务同步受理, token 即查询码; 不存在 404。",
)  # fmt: skip
@_open311_errors
def token(session: DbSession, token: Annotated[str, Path(max_length=16)], fmt: Fmt) -> Response:
    try:
        event = service.find_by_tracking_code(session, token)
    except NotFound:
        return error(fmt, 404, "token 不存在 (token_not_found)")
    return render(
        fmt, [{"service_request_id": event.tracking_code, "token": token}],
        root="service_requests", item="request",
    )  # fmt: skip
