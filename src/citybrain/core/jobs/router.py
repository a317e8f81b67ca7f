"""HTTP adapters of the job system under ``/api/v1/jobs``: runs and schedules (read only)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query

from citybrain.core.clock import utcnow
from citybrain.core.jobs import queries
from citybrain.core.jobs.config import get_jobs_settings
from citybrain.core.jobs.registry import default_registry
from citybrain.core.jobs.schemas import JobKindRead, JobRunFilter, JobRunPage, ScheduleRead
from citybrain.core.pagination import PageParams
from citybrain.core.security import Principal, require
from citybrain.core.web import DbSession

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])

JobsReader = Annotated[Principal, Depends(require("jobs:read"))]


@router.get(
    "/runs",
    description=(
        "分页列出后台任务 (归集、定时抽取、过期处理等) 的运行记录: 种类、状态、"
        "开始结束时间与错误信息。"
    ),
    response_model=JobRunPage,
    summary="任务运行记录",
)
def list_runs(
    session: DbSession,
    principal: JobsReader,
    filters: Annotated[JobRunFilter, Query()],
    page: Annotated[PageParams, Query()],
) -> JobRunPage:
    return queries.list_runs(session, filters, page, registry=default_registry)


@router.get(
    "/schedules",
    description="全部定时任务及其周期、下次与上次运行时间。",
    response_model=list[ScheduleRead],
    summary="定时任务",
)
def list_schedules(session: DbSession, principal: JobsReader) -> list[ScheduleRead]:
    tz = ZoneInfo(get_jobs_settings().timezone)
    return queries.list_schedules(session, registry=default_registry, now=utcnow(), tz=tz)


@router.get(
    "/kinds",
    description="后台任务的种类代码及中文名称, 供筛选与显示。",
    response_model=list[JobKindRead],
    summary="任务种类 (名称与中文标题)",
)
def list_kinds(principal: JobsReader) -> list[JobKindRead]:
    return queries.list_kinds(registry=default_registry)
