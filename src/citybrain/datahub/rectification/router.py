"""HTTP adapters of rectification, under the ``/api/v1/quality`` prefix and ``quality`` tag they
had when orders lived in ``quality`` (the API did not change with the move): rectification
orders, the failed-rows workbook and resubmission, and the department scores (quality scores
with each department's open orders). Each handler parses, authorises, makes one call with the
caller's scope, answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile

from citybrain.core.pagination import PageParams, RowId
from citybrain.core.scope import Scope
from citybrain.core.security import Principal, require
from citybrain.core.web import AppSettings, DbSession
from citybrain.datahub.ingest.config import get_ingest_settings
from citybrain.datahub.quality.schemas import DepartmentScore
from citybrain.datahub.rectification import queries, service
from citybrain.datahub.rectification.schemas import (
    OrderFilter,
    OrderPage,
    OrderRead,
    ResubmitResult,
)

router = APIRouter(prefix="/api/v1/quality", tags=["quality"])

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QualityReader = Annotated[Principal, Depends(require("quality:read"))]
Rectifier = Annotated[Principal, Depends(require("rectify:handle"))]


@router.get(
    "/departments/scores",
    description="各提供部门的数据质量得分, 用于考核排名。",
    response_model=list[DepartmentScore],
    summary="部门数据质量得分",
)
def department_scores(
    session: DbSession,
    principal: QualityReader,
    department_code: Annotated[str | None, Query()] = None,
    window_days: Annotated[int | None, Query(ge=1, le=3650)] = None,
) -> list[DepartmentScore]:
    return queries.department_scores(
        session,
        scope=Scope.of(principal),
        department_code=department_code,
        window_days=window_days,
    )


@router.get(
    "/orders",
    description="分页列出整改单 (质量检查不通过的数据交提供部门整改), 可按状态、部门、资源筛选。",
    response_model=OrderPage,
    summary="整改单列表",
)
def list_orders(
    session: DbSession,
    principal: QualityReader,
    filters: Annotated[OrderFilter, Query()],
    page: Annotated[PageParams, Query()],
) -> OrderPage:
    return queries.list_orders(session, filters, page, scope=Scope.of(principal))


@router.get(
    "/orders/{order_id}",
    description=(
        "一张整改单的详情: 来源批次、不通过的行数与规则、状态; 不存在或不可见时 404 "
        "order_not_found。"
    ),
    response_model=OrderRead,
    summary="整改单详情",
)
def get_order(order_id: RowId, session: DbSession, principal: QualityReader) -> OrderRead:
    return queries.read_order(session, order_id, scope=Scope.of(principal))


@router.get(
    "/orders/{order_id}/failed-rows.xlsx",
    description=(
        "下载整改单中不通过的原始行 (Excel, 含原行号与问题说明, 含个人信息原文); 每次下载记入审计。"
        "不存在或不可见时 404 order_not_found。"
    ),
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}},
    summary="下载待整改数据 (Excel, 含个人信息, 留痕)",
)
def download_failed_rows(
    order_id: RowId, session: DbSession, settings: AppSettings, principal: Rectifier
) -> Response:
    content = service.download_failed_rows_xlsx(
        session, order_id=order_id, scope=Scope.of(principal), settings=settings
    )
    return Response(
        content,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="order-{order_id}.xlsx"'},
    )


@router.post(
    "/orders/{order_id}/resubmissions",
    description=(
        "上传修改后的待整改 Excel 重报数据, 作为新批次归集到原资源。整改单已关闭 409 order_closed; "
        "缺少原行号列 422 missing_column; 文件格式不支持 unsupported_format。"
    ),
    response_model=ResubmitResult,
    summary="重报整改后的数据 (下载的 Excel 修改后上传)",
)
def resubmit(
    order_id: RowId,
    session: DbSession,
    settings: AppSettings,
    principal: Rectifier,
    file: Annotated[UploadFile, File(description="修改后的待整改数据 xlsx")],
) -> ResubmitResult:
    data = file.file.read(get_ingest_settings().max_upload_mb * 1024 * 1024 + 1)
    return service.resubmit(
        session,
        order_id=order_id,
        data=data,
        scope=Scope.of(principal),
        settings=settings,
    )
