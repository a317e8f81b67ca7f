"""HTTP adapters of the catalog under ``/api/v1/catalog``: resources, versions, the Excel
workbook and the supply–demand list. Each handler parses, authorises by permission code, makes
one service or query call with the caller's region as scope, and answers a schema."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile, status

from citybrain.core.pagination import PageParams, RowId, Version
from citybrain.core.scope import Scope
from citybrain.core.security import Principal, require
from citybrain.core.web import DbSession, single_hop
from citybrain.datahub.catalog import excel, queries, service
from citybrain.datahub.catalog.schemas import (
    DemandClose,
    DemandCreate,
    DemandFilter,
    DemandMatch,
    DemandPage,
    DemandRead,
    DemandSuggestion,
    ImportResult,
    ResourceCreate,
    ResourceFilter,
    ResourcePage,
    ResourceRead,
    ResourceUpdate,
    RetireRequest,
    VersionRead,
)

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])

CatalogReader = Annotated[Principal, Depends(require("catalog:read"))]
CatalogManager = Annotated[Principal, Depends(require("catalog:manage"))]
DemandRequester = Annotated[Principal, Depends(require("sharing:request"))]


@router.get(
    "/resources",
    description=(
        "分页检索本辖区可见的政务信息资源目录 (可按关键字、提供部门、共享与开放类型、状态筛选), "
        "返回资源摘要。"
    ),
    response_model=ResourcePage,
    summary="检索信息资源",
)
@single_hop
def search_resources(
    session: DbSession,
    principal: CatalogReader,
    filters: Annotated[ResourceFilter, Query()],
    page: Annotated[PageParams, Query()],
) -> ResourcePage:
    return queries.search_resources(session, filters=filters, page=page, scope=Scope.of(principal))


@router.post(
    "/resources",
    description=(
        "登记一项信息资源及其信息项 (名称、敏感级别、脱敏方式等), 生成第 1 版。编码已被占用 409 "
        "resource_code_taken; 提供部门不存在 404 department_not_found; 不在本辖区 403 "
        "region_out_of_scope; 目录规则不满足时 422 并在 detail 列出全部问题 (如 "
        "share_condition_required、share_basis_required、duplicate_item_name)。"
    ),
    response_model=ResourceRead,
    status_code=status.HTTP_201_CREATED,
    summary="登记信息资源",
)
def register_resource(
    session: DbSession, principal: CatalogManager, body: ResourceCreate
) -> ResourceRead:
    resource = service.register_resource(session, spec=body, scope=Scope.of(principal))
    return queries.read_many(session, [resource])[0]


@router.get(
    "/resources/{code}",
    description="一项信息资源的当前内容与全部信息项; 不存在或不在本辖区时 404 resource_not_found。",
    response_model=ResourceRead,
    summary="信息资源详情",
)
def get_resource(session: DbSession, principal: CatalogReader, code: str) -> ResourceRead:
    return queries.read_resource(session, code, scope=Scope.of(principal))


@router.patch(
    "/resources/{code}",
    description=(
        "变更信息资源 (只改给出的字段), 每次变更生成新版本并记入审计。不存在 404 "
        "resource_not_found, 不在本辖区 403 region_out_of_scope, 其余拒绝同登记。"
    ),
    response_model=ResourceRead,
    summary="变更信息资源",
)
def update_resource(
    session: DbSession, principal: CatalogManager, code: str, body: ResourceUpdate
) -> ResourceRead:
    resource = service.update_resource(session, code=code, changes=body, scope=Scope.of(principal))
    return queries.read_many(session, [resource])[0]


@router.post(
    "/resources/{code}/retire",
    description="停用信息资源: 不再可申请共享或开放, 历史版本保留。已停用时 409 resource_retired。",
    response_model=ResourceRead,
    summary="停用信息资源",
)
def retire_resource(
    session: DbSession, principal: CatalogManager, code: str, body: RetireRequest
) -> ResourceRead:
    resource = service.retire_resource(
        session, code=code, reason=body.reason, scope=Scope.of(principal)
    )
    return queries.read_many(session, [resource])[0]


@router.get(
    "/resources/{code}/versions",
    description="信息资源的全部历史版本 (每次登记或变更一版), 从新到旧。",
    response_model=list[VersionRead],
    summary="信息资源版本",
)
def list_versions(session: DbSession, principal: CatalogReader, code: str) -> list[VersionRead]:
    return queries.list_versions(session, code, scope=Scope.of(principal))


@router.get(
    "/resources/{code}/versions/{version}",
    description="信息资源某一历史版本当时的完整内容; 版本不存在时 404。",
    response_model=VersionRead,
    summary="某一版本",
)
def get_version(
    session: DbSession, principal: CatalogReader, code: str, version: Version
) -> VersionRead:
    return queries.get_version(session, code, version, scope=Scope.of(principal))


@router.get(
    "/export.xlsx",
    description="把本辖区的资源目录导出为 Excel (资源与信息项两张表), 格式与导入模板相同。",
    response_class=Response,
    responses={200: {"content": {excel.XLSX_MEDIA_TYPE: {}}}},
    summary="导出目录 (Excel)",
)
def export_catalog(session: DbSession, principal: CatalogReader) -> Response:
    content = excel.export_catalog(session, scope=Scope.of(principal))
    return Response(
        content,
        media_type=excel.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="catalog.xlsx"'},
    )


@router.post(
    "/import",
    description=(
        "上传 Excel 批量登记或变更信息资源: 全部校验通过才写入, 否则 422 catalog_import_invalid, "
        "detail 按工作表、行、列列出每个问题。"
    ),
    response_model=ImportResult,
    summary="导入目录 (Excel, 全部成功或全部不导入)",
)
def import_catalog(
    session: DbSession,
    principal: CatalogManager,
    file: Annotated[UploadFile, File(description="导出格式的 xlsx 文件")],
) -> ImportResult:
    data = file.file.read(excel.MAX_IMPORT_BYTES + 1)
    return excel.import_catalog(session, data=data, scope=Scope.of(principal))


@router.get(
    "/demands",
    description="分页列出本辖区的数据需求 (供需对接清单), 可按状态与需求部门筛选。",
    response_model=DemandPage,
    summary="供需对接清单",
)
def list_demands(
    session: DbSession,
    principal: CatalogReader,
    filters: Annotated[DemandFilter, Query()],
    page: Annotated[PageParams, Query()],
) -> DemandPage:
    return queries.list_demands(session, filters=filters, page=page, scope=Scope.of(principal))


@router.post(
    "/demands",
    description=(
        "以某部门名义登记数据需求 (需要的数据项与用途), 等待与资源对接。部门不存在 404 "
        "department_not_found, 不在本辖区 403 region_out_of_scope。"
    ),
    response_model=DemandRead,
    status_code=status.HTTP_201_CREATED,
    summary="登记数据需求",
)
def register_demand(
    session: DbSession, principal: DemandRequester, body: DemandCreate
) -> DemandRead:
    demand = service.register_demand(session, spec=body, scope=Scope.of(principal))
    return queries.read_demand(session, demand)


@router.get(
    "/demands/{demand_id}",
    description="一条数据需求的详情与对接结果; 不存在或不在本辖区时 404 demand_not_found。",
    response_model=DemandRead,
    summary="需求详情",
)
def get_demand(session: DbSession, principal: CatalogReader, demand_id: RowId) -> DemandRead:
    return queries.get_demand(session, demand_id, scope=Scope.of(principal))


@router.get(
    "/demands/{demand_id}/suggestions",
    description="按与需求匹配的信息项数从多到少, 列出可满足该需求的在用资源, 供对接时选择。",
    response_model=list[DemandSuggestion],
    summary="可满足需求的资源 (按匹配信息项数)",
)
def suggest_resources(
    session: DbSession, principal: CatalogManager, demand_id: RowId
) -> list[DemandSuggestion]:
    return queries.suggest_resources(session, demand_id, scope=Scope.of(principal))


@router.post(
    "/demands/{demand_id}/match",
    description=(
        "把需求对接到一项资源。需求已关闭 409 demand_closed; 资源已停用 resource_retired "
        "或不予共享 resource_not_shareable; 不存在 404 demand_not_found / resource_not_found。"
    ),
    response_model=DemandRead,
    summary="对接需求与资源",
)
def match_demand(
    session: DbSession, principal: CatalogManager, demand_id: RowId, body: DemandMatch
) -> DemandRead:
    demand = service.match_demand(
        session, demand_id=demand_id, resource_code=body.resource_code, note=body.note,
        scope=Scope.of(principal),
    )  # fmt: skip
    return queries.read_demand(session, demand)


@router.post(
    "/demands/{demand_id}/close",
    description="在没有资源可满足时关闭需求并说明情况; 已关闭时 409 demand_closed。",
    response_model=DemandRead,
    summary="关闭需求 (无资源可供)",
)
def close_demand(
    session: DbSession, principal: CatalogManager, demand_id: RowId, body: DemandClose
) -> DemandRead:
    demand = service.close_demand(
        session, demand_id=demand_id, note=body.note, scope=Scope.of(principal)
    )
    return queries.read_demand(session, demand)
