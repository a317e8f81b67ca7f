"""HTTP adapters of 专报 under ``/api/v1/reports``: parse, authorise by permission code, one
service or query call with the caller's scope, answer a schema."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Query, Response, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from citybrain.core.pagination import MAX_ID, PageParams, RowId
from citybrain.core.scope import Scope
from citybrain.core.security import Principal, require, require_any
from citybrain.core.web import AppSettings, DbSession
from citybrain.reports import queries, service
from citybrain.reports.config import get_reports_settings
from citybrain.reports.permissions import PUBLISH, READ, WRITE
from citybrain.reports.schemas import (
    AttachmentRead,
    ReportCreate,
    ReportDetail,
    ReportFilter,
    ReportPage,
    ReportUpdate,
)

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

Reader = Annotated[Principal, Depends(require_any(READ, WRITE, PUBLISH))]
Writer = Annotated[Principal, Depends(require(WRITE))]
Publisher = Annotated[Principal, Depends(require(PUBLISH))]
AttachmentId = Annotated[int, Path(ge=1, le=MAX_ID, description="附件编号")]


class WithdrawRequest(BaseModel):
    reason: str = Field("", max_length=500, description="撤回原因")


@router.get(
    "",
    response_model=ReportPage,
    summary="专报列表",
    description=(
        "本辖区及下级已发布的专报; 有撰写或发布权限者还能看到本部门的草稿。可按状态与标题筛选。"
    ),
)
def list_reports(
    session: DbSession,
    principal: Reader,
    filters: Annotated[ReportFilter, Query()],
    page: Annotated[PageParams, Query()],
) -> ReportPage:
    return queries.list_reports(session, filters=filters, page=page, scope=Scope.of(principal))


@router.post(
    "",
    response_model=ReportDetail,
    status_code=status.HTTP_201_CREATED,
    summary="新建专报草稿",
    description=(
        "正文为富文本 HTML, 保存时清洗 (去除脚本、样式、图片等)。部门用户只能为本部门撰写; "
        "区划不在本辖区 403 region_out_of_scope, 部门不存在 404 department_not_found。"
    ),
)
def create_report(session: DbSession, principal: Writer, body: ReportCreate) -> ReportDetail:
    scope = Scope.of(principal)
    report = service.create_report(session, spec=body, scope=scope)
    return queries.read_report(session, report, scope=scope)


@router.get(
    "/{report_id}",
    response_model=ReportDetail,
    summary="专报详情",
    description=(
        "一篇专报的正文与附件; 不存在或无权查看 (他辖区、他部门草稿) 时 404 report_not_found。"
    ),
)
def get_report(session: DbSession, principal: Reader, report_id: RowId) -> ReportDetail:
    return queries.get_report(session, report_id, scope=Scope.of(principal))


@router.patch(
    "/{report_id}",
    response_model=ReportDetail,
    summary="修改专报草稿",
    description="修改草稿的标题或正文; 已发布时 409 report_published (先撤回)。",
)
def update_report(
    session: DbSession, principal: Writer, report_id: RowId, body: ReportUpdate
) -> ReportDetail:
    scope = Scope.of(principal)
    report = service.update_report(session, report_id=report_id, changes=body, scope=scope)
    return queries.read_report(session, report, scope=scope)


@router.delete(
    "/{report_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="删除专报草稿",
    description="删除草稿及其附件; 已发布时 409 report_published。",
)
def delete_report(
    session: DbSession, principal: Writer, settings: AppSettings, report_id: RowId
) -> Response:
    service.delete_report(
        session, report_id=report_id, scope=Scope.of(principal), settings=settings
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{report_id}/publish",
    response_model=ReportDetail,
    summary="发布专报",
    description="发布后本辖区及下级的读者可见, 并进入全局检索; 无正文且无附件时 422 report_empty。",
)
def publish_report(session: DbSession, principal: Publisher, report_id: RowId) -> ReportDetail:
    scope = Scope.of(principal)
    report = service.publish_report(session, report_id=report_id, scope=scope)
    return queries.read_report(session, report, scope=scope)


@router.post(
    "/{report_id}/withdraw",
    response_model=ReportDetail,
    summary="撤回专报",
    description=(
        "把已发布的专报撤回为草稿, 读者不再可见, 检索不再命中; 未发布时 409 report_not_published。"
    ),
)
def withdraw_report(
    session: DbSession, principal: Publisher, report_id: RowId, body: WithdrawRequest
) -> ReportDetail:
    scope = Scope.of(principal)
    report = service.withdraw_report(session, report_id=report_id, reason=body.reason, scope=scope)
    return queries.read_report(session, report, scope=scope)


@router.post(
    "/{report_id}/attachments",
    response_model=AttachmentRead,
    status_code=status.HTTP_201_CREATED,
    summary="上传专报附件",
    description=(
        "为草稿上传附件 (pdf、ofd、docx、xlsx、pptx、png、jpg、txt、csv), 按内容核对类型; "
        "过大 413 attachment_too_large, 类型不允许或不符 422 attachment_type_not_allowed / "
        "attachment_type_mismatch。"
    ),
)
def add_attachment(
    session: DbSession,
    principal: Writer,
    settings: AppSettings,
    report_id: RowId,
    file: Annotated[UploadFile, File(description="附件文件")],
) -> AttachmentRead:
    data = file.file.read(get_reports_settings().max_attachment_bytes + 1)
    attachment = service.add_attachment(
        session, report_id=report_id, filename=file.filename or "", data=data,
        scope=Scope.of(principal), settings=settings,
    )  # fmt: skip
    return AttachmentRead(
        id=attachment.id, filename=attachment.filename, content_type=attachment.content_type,
        size=attachment.size, uploaded_by=attachment.uploaded_by, created_at=attachment.created_at,
    )  # fmt: skip


@router.get(
    "/{report_id}/attachments/{attachment_id}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
    summary="下载专报附件",
    description="以附件方式下载; 专报或附件不存在或无权查看时 404。",
)
def download_attachment(
    session: DbSession,
    principal: Reader,
    settings: AppSettings,
    report_id: RowId,
    attachment_id: AttachmentId,
) -> FileResponse:
    attachment, path = queries.attachment_file(
        session, report_id=report_id, attachment_id=attachment_id, scope=Scope.of(principal),
        settings=settings,
    )  # fmt: skip
    return FileResponse(
        path, media_type=attachment.content_type, filename=attachment.filename,
        content_disposition_type="attachment",
    )  # fmt: skip


@router.delete(
    "/{report_id}/attachments/{attachment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="删除专报附件",
    description=(
        "删除草稿的一个附件; 已发布时 409 report_published, 不存在 404 attachment_not_found。"
    ),
)
def remove_attachment(
    session: DbSession,
    principal: Writer,
    settings: AppSettings,
    report_id: RowId,
    attachment_id: AttachmentId,
) -> Response:
    service.remove_attachment(
        session, report_id=report_id, attachment_id=attachment_id, scope=Scope.of(principal),
        settings=settings,
    )  # fmt: skip
    return Response(status_code=status.HTTP_204_NO_CONTENT)
