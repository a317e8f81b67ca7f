"""Public (no login) routes of the open catalog: DCAT JSON-LD, the CKAN action API under both
``/api/3/action/`` and ``/api/action/``, and a JSON list of open resources with CSV downloads.

Every path here is in ``PUBLIC_ROUTE_PATHS`` so that the route-walk test lets it go unguarded.
Only published resources (无条件开放 / 有条件开放, active) are ever answered; others are 404.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from citybrain.analytics.hub.deps import HubDep
from citybrain.core.web import DbSession
from citybrain.datahub.opendata import ckan_actions, dcat, download
from citybrain.datahub.opendata import published as pub
from citybrain.datahub.opendata.config import get_opendata_settings
from citybrain.datahub.opendata.schemas import OpenResourceRead

router = APIRouter(tags=["opendata"])

PUBLIC_ROUTE_PATHS = frozenset(
    {
        "/catalog.jsonld",
        "/api/3/action/{action}",
        "/api/action/{action}",
        "/api/v1/opendata/resources",
        "/api/v1/opendata/resources/{code}",
        "/api/v1/opendata/resources/{code}/download.csv",
    }
)
CKAN_JSON = "application/json;charset=utf-8"


def base_url(request: Request) -> str:
    """The public base URL for links: the configured site URL, else the request's own."""
    configured = get_opendata_settings().site_url
    return (configured or str(request.base_url)).rstrip("/")


@dataclass(frozen=True, slots=True)
class CkanParams:
    data: dict[str, Any]
    error: str = ""


async def ckan_params(request: Request) -> CkanParams:
    """The action's parameters as CKAN reads them: the query string of a GET; the JSON body
    (or form fields) of a POST."""
    if request.method == "GET":
        pairs = list(request.query_params.multi_items())
        return CkanParams(_mixed(pairs))
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        return CkanParams(_mixed(parse_qsl(body.decode("utf-8"), keep_blank_values=True)))
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        return CkanParams(_mixed([(k, v) for k, v in form.multi_items() if isinstance(v, str)]))
    if not body.strip():
        return CkanParams({})
    try:
        data = json.loads(body)
    except ValueError:
        return CkanParams({}, "JSON Error: Error decoding JSON data.")
    if not isinstance(data, dict):
        return CkanParams(
            {}, f"Request data JSON decoded to {data!r} but it needs to be a dictionary."
        )
    return CkanParams(data)


def _mixed(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            previous = out[key]
            out[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[key] = value
    return out


Params = Annotated[CkanParams, Depends(ckan_params)]


@router.get(
    "/catalog.jsonld",
    summary="开放目录 (DCAT JSON-LD)",
    description=(
        "无需登录。以 DCAT 词表的 JSON-LD 文档给出全部已开放 (无条件开放、有条件开放且在用) "
        "的资源目录, 供省市开放平台或搜索引擎采集。"
    ),
    response_class=Response,  # JSON-LD, not application/json: say so in the document
    responses={200: {"content": {dcat.MEDIA_TYPE: {"schema": {"type": "object"}}}}},
)
def catalog_jsonld(request: Request, session: DbSession) -> Response:
    document = dcat.catalog_document(
        session, base_url=base_url(request), title=get_opendata_settings().catalog_title
    )
    return JSONResponse(document, media_type=dcat.MEDIA_TYPE)


def ckan_action(action: str, request: Request, session: DbSession, params: Params) -> Response:
    site = ckan_actions.Site(session, base_url(request), get_opendata_settings().catalog_title)
    if params.error:
        status, body = ckan_actions.bad_request(params.error)
    else:
        status, body = ckan_actions.call(site, action, params.data)
    return Response(json.dumps(body, ensure_ascii=False), status, media_type=CKAN_JSON)


# CKAN serves its actions under both prefixes and both methods; one operation id each keeps the
# OpenAPI document (and the generated client) free of duplicates.
for _prefix, _tag in (("/api/3/action", "v3"), ("/api/action", "v1")):
    for _method in ("GET", "POST"):
        router.add_api_route(
            f"{_prefix}/{{action}}",
            ckan_action,
            methods=[_method],
            summary=f"CKAN 兼容只读接口 ({_prefix})",
            description=(
                "无需登录。按 CKAN 动作接口的约定只读访问开放目录, 供已对接 CKAN 的平台直接采集: "
                "package_list、package_show、package_search、organization_list、organization_show、"
                "group_list、tag_list、license_list、status_show、help_show; GET 取查询参数, POST "
                "取 JSON 或表单。回答为 CKAN 信封 (help、success、result 或 error); "
                "未知动作或参数无法解析时 400, 找不到 404 (只回答已开放的资源), "
                "不使用本系统的错误格式。"
            ),
            operation_id=f"ckan_action_{_tag}_{_method.lower()}",
        )


@router.get(
    "/api/v1/opendata/resources",
    response_model=list[OpenResourceRead],
    summary="开放资源列表",
    description=(
        "无需登录。全部已开放资源的名称、提供部门、开放类型、信息项与下载地址 (开放门户页面使用)。"
    ),
)
def list_open_resources(request: Request, session: DbSession) -> list[OpenResourceRead]:
    url = base_url(request)
    return [OpenResourceRead.of(entry, url) for entry in pub.published(session)]


@router.get(
    "/api/v1/opendata/resources/{code}",
    response_model=OpenResourceRead,
    summary="开放资源详情",
    description=(
        "无需登录。一项已开放资源的详情; 未开放、已停用或不存在的资源一律 404 resource_not_found。"
    ),
)
def get_open_resource(code: str, request: Request, session: DbSession) -> OpenResourceRead:
    return OpenResourceRead.of(pub.get(session, code), base_url(request))


@router.get(
    "/api/v1/opendata/resources/{code}/download.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
    summary="下载开放数据 (CSV)",
    description=(
        "无需登录。下载无条件开放资源的数据 (UTF-8 带 BOM 的 CSV, 中文表头, "
        "只含公开级信息项并按目录脱敏)。有条件开放的资源须向提供部门申请, 返回 403 "
        "open_on_application; 未开放的 404 resource_not_found。"
    ),
)
def download_csv(code: str, session: DbSession, hub: HubDep) -> Response:
    filename, content = download.open_csv(session, code, store=hub)
    return Response(
        content,
        media_type=download.CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
