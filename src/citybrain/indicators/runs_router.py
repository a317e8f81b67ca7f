"""HTTP adapters of 运维管理 under ``/api/v1/indicators/runs``: the run log, re-runs and
backfills (queued on the job system), the calendar of runs and each indicator's durations."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request, status

from citybrain.core.pagination import PageParams
from citybrain.core.scope import Scope
from citybrain.core.web import DbSession
from citybrain.indicators import run_queries, runs, tasks
from citybrain.indicators.dependencies import CodePath, Reader, Runner
from citybrain.indicators.schemas import (
    CalendarDay,
    DurationPoint,
    RunFilter,
    RunPage,
    RunQueued,
    RunRequest,
)

runs_router = APIRouter()


@runs_router.get(
    "/runs",
    description=(
        "指标运行日志: 每次运行的指标、期间、开始结束时间、行数、耗时、状态与错误; "
        "引擎原始错误与 SQL 仅对持有 indicators:run 的运维人员显示。"
    ),
    response_model=RunPage,
    summary="指标运行日志",
)
def list_runs(
    session: DbSession,
    principal: Reader,
    filters: Annotated[RunFilter, Query()],
    page: Annotated[PageParams, Query()],
) -> RunPage:
    return run_queries.list_runs(session, filters=filters, page=page, scope=Scope.of(principal))


@runs_router.get(
    "/runs/calendar",
    description=(
        "运行日历: from..to (北京时间, 含两端, 至多 400 天) 每天排队的运行数及成功、失败 (含超时)、"
        "跳过、进行中的个数; 范围不对 422 bad_calendar_range。"
    ),
    response_model=list[CalendarDay],
    summary="指标运行日历",
)
def runs_calendar(
    session: DbSession,
    principal: Reader,
    from_: Annotated[date, Query(alias="from", description="起始日期")],
    to: Annotated[date, Query(description="截止日期")],
) -> list[CalendarDay]:
    return run_queries.calendar(session, first=from_, last=to, scope=Scope.of(principal))


@runs_router.post(
    "/runs",
    description=(
        "重算或补算一批已发布指标的一段期间 (按依赖顺序排队, 由任务系统执行); 未发布 409 "
        "indicator_not_published, 期间格式不对 422 bad_period。失败或超时的运行不发布任何数值。"
    ),
    response_model=RunQueued,
    status_code=status.HTTP_202_ACCEPTED,
    summary="重算与补算指标",
)
def request_runs(
    request: Request,
    background: BackgroundTasks,
    session: DbSession,
    principal: Runner,
    body: RunRequest,
) -> RunQueued:
    scope = Scope.of(principal)
    queued = runs.queue_runs(
        session,
        codes=body.codes,
        period_from=body.period_from,
        period_to=body.period_to,
        trigger="manual",
        scope=scope,
    )
    batch = queued[0].batch_key
    # queued after the response, i.e. after the runs' transaction committed (core.web)
    background.add_task(tasks.queue_batch, request.app.state.jobs, batch)
    return RunQueued(batch_key=batch, runs=run_queries.batch_runs(session, batch, scope=scope))


@runs_router.get(
    "/{code}/durations",
    description="最近 30 次运行的耗时 (旧的在前), 供耗时趋势图。",
    response_model=list[DurationPoint],
    summary="指标运行耗时趋势",
)
def indicator_durations(
    code: CodePath, session: DbSession, principal: Reader
) -> list[DurationPoint]:
    return run_queries.durations(session, code, scope=Scope.of(principal))
