"""HTTP adapters of data sources under ``/api/v1/datasources``: list, read, register, change,
delete, test a connection, and the short list the pull dialog offers. The password is accepted
and never answered. Each handler parses, authorises, makes one call, answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from citybrain.core.pagination import PageParams, RowId
from citybrain.core.security import Principal, require
from citybrain.core.web import AppSettings, DbSession
from citybrain.datahub.datasources import queries, service
from citybrain.datahub.datasources.schemas import (
    ConnectionTestResult,
    DatasourceCreate,
    DatasourceFilter,
    DatasourceOption,
    DatasourcePage,
    DatasourceRead,
    DatasourceUpdate,
)

router = APIRouter(prefix="/api/v1/datasources", tags=["datasources"])

Reader = Annotated[Principal, Depends(require("datasource:read"))]
Manager = Annotated[Principal, Depends(require("datasource:manage"))]


@router.get(
    "",
    description="分页列出本辖区登记的数据源 (部门业务库的连接信息); 口令从不返回。",
    response_model=DatasourcePage,
    summary="数据源列表",
)
def list_sources(
    session: DbSession,
    principal: Reader,
    filters: Annotated[DatasourceFilter, Query()],
    page: Annotated[PageParams, Query()],
) -> DatasourcePage:
    return queries.list_sources(
        session, filters=filters, page=page, region_code=principal.region_code
    )


@router.get(
    "/options",
    description="抽取时可选的在用数据源 (编号与名称), 供抽取表单的下拉框。",
    response_model=list[DatasourceOption],
    summary="可选数据源 (抽取时选择)",
)
def source_options(session: DbSession, principal: Reader) -> list[DatasourceOption]:
    return queries.options(session, region_code=principal.region_code)


@router.post(
    "",
    description=(
        "登记部门业务库数据源 (只允许白名单中的驱动与主机, 口令加密保存)。驱动不允许 "
        "driver_not_allowed, 字段不合规 field_not_allowed, 地址不在允许的网段 403 outbound_refused,"
        " 主机无法解析 422 host_unresolvable, 名称重复 409 datasource_name_taken。"
    ),
    response_model=DatasourceRead,
    status_code=status.HTTP_201_CREATED,
    summary="登记数据源",
)
def create_source(
    session: DbSession, principal: Manager, settings: AppSettings, body: DatasourceCreate
) -> DatasourceRead:
    source = service.create_source(
        session, spec=body, region_code=principal.region_code, settings=settings
    )
    return queries.read_many(session, [source])[0]


@router.get(
    "/{source_id}",
    description="一个数据源的登记信息 (不含口令); 不存在或不在本辖区时 404 datasource_not_found。",
    response_model=DatasourceRead,
    summary="数据源详情",
)
def get_source(source_id: RowId, session: DbSession, principal: Reader) -> DatasourceRead:
    source = queries.get_source(session, source_id=source_id, region_code=principal.region_code)
    return queries.read_many(session, [source])[0]


@router.patch(
    "/{source_id}",
    description="修改数据源的连接信息, 或停用数据源; 拒绝同登记。不存在 404 datasource_not_found。",
    response_model=DatasourceRead,
    summary="修改或停用数据源",
)
def update_source(
    source_id: RowId,
    session: DbSession,
    principal: Manager,
    settings: AppSettings,
    body: DatasourceUpdate,
) -> DatasourceRead:
    source = service.update_source(
        session,
        source_id=source_id,
        changes=body,
        region_code=principal.region_code,
        settings=settings,
    )
    return queries.read_many(session, [source])[0]


@router.delete(
    "/{source_id}",
    description=(
        "删除数据源; 仍被定时抽取使用时 409 datasource_in_use。不存在 404 datasource_not_found。"
    ),
    status_code=status.HTTP_204_NO_CONTENT,
    summary="删除数据源 (未被定时抽取使用)",
)
def delete_source(source_id: RowId, session: DbSession, principal: Manager) -> None:
    service.delete_source(session, source_id=source_id, region_code=principal.region_code)


@router.post(
    "/{source_id}/test",
    description="用登记的信息试连数据源, 返回是否成功与原因 (不返回数据); 出站地址同样受网段限制。",
    response_model=ConnectionTestResult,
    summary="测试连接",
)
def check_connection(
    source_id: RowId, session: DbSession, principal: Manager, settings: AppSettings
) -> ConnectionTestResult:
    return service.check_connection(
        session, source_id=source_id, region_code=principal.region_code, settings=settings
    )
