"""HTTP adapters of ingestion under ``/api/v1/ingest``: upload a file for a resource (run in
the background, progress polled), list and read batches with their quality report, pull a
registered data source incrementally. Each handler parses, authorises, makes one call, answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from fastapi import status as http_status
from starlette.concurrency import run_in_threadpool

from citybrain.core.errors import BadInput
from citybrain.core.pagination import PageParams, RowId
from citybrain.core.scope import Scope
from citybrain.core.security import Principal, ensure_allowed, require, resolve_principal
from citybrain.core.web import AppSettings, DbSession
from citybrain.datahub.ingest import pulls, queries, service, tasks, upload
from citybrain.datahub.ingest.config import get_ingest_settings
from citybrain.datahub.ingest.schemas import (
    BatchDetail,
    BatchFilter,
    BatchPage,
    BatchRead,
    ProgressRead,
    PullRequest,
)

router = APIRouter(prefix="/api/v1/ingest", tags=["ingest"])

Ingester = Annotated[Principal, Depends(require("ingest:run"))]
QualityReader = Annotated[Principal, Depends(require("quality:read"))]


def _mapping(raw: str) -> dict[str, str]:
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise BadInput("映射须为 JSON 对象 {列名: 信息项}", code="bad_mapping") from exc
    if not isinstance(value, dict):
        raise BadInput("映射须为 JSON 对象 {列名: 信息项}", code="bad_mapping")
    return {str(k): str(v) for k, v in value.items()}


def _preauthorise(request: Request) -> Principal:
    """Who uploads, checked in a short transaction of its own before the body streams: the
    request's own transaction (on SQLite, the write lock) must not stay open while a large
    file arrives over a slow line. The principal is cached on the request for the route."""
    with request.app.state.session_factory() as session, session.begin():
        principal = resolve_principal(request, session)
    return ensure_allowed(principal, "ingest:run")


async def _received(
    request: Request, settings: AppSettings
) -> AsyncIterator[upload.ReceivedUpload]:
    await run_in_threadpool(_preauthorise, request)
    async with upload.receive_upload(
        request,
        folder=service.upload_folder(settings),
        limit_mb=get_ingest_settings().max_upload_mb,
    ) as received:
        yield received


Received = Annotated[upload.ReceivedUpload, Depends(_received)]


@router.post(
    "/resources/{resource_code}/batches",
    description=(
        "上传 CSV、Excel 或压缩包归集到某一资源, 立即返回排队中的批次, 后台校验并写入中枢库 ("
        "轮询批次查看进度与质量报告)。文件过大 413 upload_too_large (压缩包另有 zip_bomb、"
        "too_many_entries 等); 格式不支持 422 unsupported_format; 资源不存在 404 "
        "resource_not_found, 不在本辖区或非本部门 403 region_out_of_scope。"
    ),
    response_model=BatchRead,
    status_code=http_status.HTTP_202_ACCEPTED,
    summary="上传文件归集到资源 (后台执行, 轮询批次查看进度)",
    openapi_extra=upload.OPENAPI_BODY,
)
def upload_file(
    resource_code: str,
    received: Received,  # first: streamed before the request's transaction opens
    request: Request,
    background: BackgroundTasks,
    session: DbSession,
    principal: Ingester,
    settings: AppSettings,
) -> BatchRead:
    batch = service.queue_upload(
        session,
        resource_code=resource_code,
        filename=received.filename,
        upload=received.path,
        mapping=_mapping(received.fields.get("mapping", "")),
        scope=Scope.of(principal),
        settings=settings,
    )
    # queued after the response, i.e. after the upload's transaction committed (core.web)
    background.add_task(tasks.queue_batch_job, request.app.state.jobs, batch.id)
    return BatchRead.model_validate(batch)


@router.get(
    "/batches",
    description="分页列出本辖区可见的归集批次 (来源、行数、状态、时间), 可按资源与状态筛选。",
    response_model=BatchPage,
    summary="归集批次列表",
)
def list_batches(
    session: DbSession,
    principal: QualityReader,
    filters: Annotated[BatchFilter, Query()],
    page: Annotated[PageParams, Query()],
) -> BatchPage:
    return queries.list_batches(session, filters, page, scope=Scope.of(principal))


@router.get(
    "/batches/{batch_id}",
    description="一个归集批次的详情、质量报告与进度; 不存在或不可见时 404 batch_not_found。",
    response_model=BatchDetail,
    summary="批次详情、质量报告与进度",
)
def get_batch(batch_id: RowId, session: DbSession, principal: QualityReader) -> BatchDetail:
    return queries.batch_detail(session, batch_id, scope=Scope.of(principal))


@router.get(
    "/batches/{batch_id}/progress",
    description="批次的处理进度 (已读行数、阶段), 供上传后轮询。",
    response_model=ProgressRead,
    summary="批次进度",
)
def get_progress(batch_id: RowId, session: DbSession, principal: QualityReader) -> ProgressRead:
    return queries.batch_progress(session, batch_id, scope=Scope.of(principal))


@router.post(
    "/resources/{resource_code}/pulls",
    description=(
        "从已登记的数据源按水位列增量抽取到资源, 或设为定时抽取; 只能选择登记的数据源, "
        "不接受连接串 (403 raw_url_refused)。数据源不存在 404 datasource_not_found; "
        "与资源不在同一辖区 403 datasource_region_mismatch; 未知选项 422 bad_option。"
    ),
    response_model=BatchRead,
    summary="从已登记的数据源增量抽取 (按水位列), 可设为定时",
)
def pull(
    resource_code: str,
    body: PullRequest,
    session: DbSession,
    principal: Ingester,
    settings: AppSettings,
) -> BatchRead:
    batch = pulls.pull_from_request(
        session,
        resource_code=resource_code,
        request=body,
        scope=Scope.of(principal),
        settings=settings,
    )
    return BatchRead.model_validate(batch)
