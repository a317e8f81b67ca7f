"""HTTP adapters of the indicator platform under ``/api/v1/indicators``. Each handler parses,
authorises (a permission code and the caller's scope), makes one call and answers. Published
indicators and their values are readable with an API key holding ``indicators:read``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Request, status

from citybrain.analytics.hub.deps import HubDep
from citybrain.core.pagination import PageParams, RowId
from citybrain.core.scope import Scope
from citybrain.core.security import Principal, require, require_any
from citybrain.core.web import AppSettings, DbSession
from citybrain.indicators import apps, queries, runs, service, tasks
from citybrain.indicators.permissions import APPROVE, EDIT, READ, RUN
from citybrain.indicators.schemas import (
    AppCreate,
    AppFilter,
    AppPage,
    AppRead,
    AppUpdate,
    BoardCreate,
    DurationPoint,
    IndicatorCreate,
    IndicatorDefinition,
    IndicatorFilter,
    IndicatorPage,
    IndicatorRead,
    ReviewNote,
    RevisionPage,
    RevisionRead,
    RunFilter,
    RunPage,
    RunQueued,
    RunRequest,
    SetCreate,
    TreeBoard,
    ValidationRequest,
    ValidationResult,
    ValueList,
    ValueVersion,
)
from citybrain.indicators.validation import validate
from citybrain.indicators.workflow import Action, RevisionStatus
from citybrain.regions.scope import normalise_code

router = APIRouter(prefix="/api/v1/indicators", tags=["indicators"])

Reader = Annotated[Principal, Depends(require(READ))]
Editor = Annotated[Principal, Depends(require(EDIT))]
Approver = Annotated[Principal, Depends(require(APPROVE))]
Runner = Annotated[Principal, Depends(require(RUN))]
Reviewer = Annotated[Principal, Depends(require_any(EDIT, APPROVE))]
CodePath = Annotated[str, Path(min_length=2, max_length=64, description="指标代码")]


def _drafts_visible(scope: Scope) -> bool:
    """Only authors and approvers see unpublished indicators; readers and API keys see the
    published ones."""
    return scope.has(EDIT) or scope.has(APPROVE)


@router.get(
    "",
    description=(
        "分页列出本辖区可见的指标 (items, total), 可按状态 status (published 等)、板块 board、"
        "指标集 set、文字 q 筛选; 没有编写或审核权限的调用方 (含 API 密钥) 只看到已发布的指标。"
    ),
    response_model=IndicatorPage,
    summary="指标列表",
)
def list_indicators(
    session: DbSession,
    principal: Reader,
    filters: Annotated[IndicatorFilter, Query()],
    page: Annotated[PageParams, Query()],
) -> IndicatorPage:
    scope = Scope.of(principal)
    if not _drafts_visible(scope):
        filters = filters.model_copy(update={"status": RevisionStatus.published})
    return queries.list_indicators(session, filters=filters, page=page, scope=scope)


@router.get(
    "/tree",
    description="板块 → 指标集 → 指标 的树 (本辖区可见的部分), 供指标管理页左侧导航。",
    response_model=list[TreeBoard],
    summary="指标树",
)
def indicator_tree(session: DbSession, principal: Reader) -> list[TreeBoard]:
    scope = Scope.of(principal)
    boards = queries.tree(session, scope=scope)
    if not _drafts_visible(scope):
        for board in boards:
            for item in board.sets:
                item.indicators = [i for i in item.indicators if i.status == "published"]
    return boards


@router.post(
    "/boards",
    description="新建板块 (如 经济和社会发展); 代码重复 409 indicator_board_code_taken。",
    response_model=TreeBoard,
    status_code=status.HTTP_201_CREATED,
    summary="新建板块",
)
def create_board(session: DbSession, principal: Editor, body: BoardCreate) -> TreeBoard:
    board = service.create_board(session, spec=body, scope=Scope.of(principal))
    return TreeBoard(
        code=board.code,
        name=board.name,
        region_code=board.region_code,
        description=board.description,
        sets=[],
    )


@router.post(
    "/sets",
    description="在板块下新建指标集; 板块不存在 404 indicator_board_not_found。",
    response_model=TreeBoard,
    status_code=status.HTTP_201_CREATED,
    summary="新建指标集",
)
def create_set(session: DbSession, principal: Editor, body: SetCreate) -> TreeBoard:
    scope = Scope.of(principal)
    service.create_set(session, spec=body, scope=scope)
    return next(b for b in queries.tree(session, scope=scope) if b.code == body.board_code)


@router.post(
    "/validate",
    description=(
        "校验并试运行一个指标定义 (不保存): 解析 SQL、检查函数白名单、表与列是否在目录中、"
        "输出列, 再在引擎上试运行, 返回样例行与耗时; 未通过时 ok=false 并给出错误代码与中文说明。"
    ),
    response_model=ValidationResult,
    summary="校验与试运行指标定义",
)
def validate_definition(
    session: DbSession,
    principal: Editor,
    settings: AppSettings,
    hub: HubDep,
    body: ValidationRequest,
) -> ValidationResult:
    scope = Scope.of(principal)
    region = normalise_code(body.region_code or scope.region_code)
    spec = IndicatorDefinition.model_validate(body.model_dump(exclude={"code", "region_code"}))
    result, _ = validate(
        session,
        spec,
        code=body.code,
        region_code=region,
        hub=hub,
        settings=settings,
    )
    return result


@router.post(
    "",
    description=(
        "新建指标 (草稿, 第 1 版修订)。保存前校验并试运行, 未通过时 422 并给出错误代码: "
        "sql_parse_error, function_not_allowed, unknown_table, unknown_column, "
        "wrong_output_columns, division_by_zero, timeout, derived_cycle 等, 不保存任何内容。"
    ),
    response_model=IndicatorRead,
    status_code=status.HTTP_201_CREATED,
    summary="新建指标",
)
def create_indicator(
    session: DbSession,
    principal: Editor,
    settings: AppSettings,
    hub: HubDep,
    body: IndicatorCreate,
) -> IndicatorRead:
    scope = Scope.of(principal)
    row = service.create_indicator(session, spec=body, scope=scope, hub=hub, settings=settings)
    return queries.read_indicator(session, row.code, scope=scope)


@router.get(
    "/revisions",
    description=(
        "指标修订列表 (审核队列: status=submitted 待审核, approved 待发布), 含每次修改的差异。"
    ),
    response_model=RevisionPage,
    summary="指标修订与审核队列",
)
def list_revisions(
    session: DbSession,
    principal: Reviewer,
    page: Annotated[PageParams, Query()],
    status_: Annotated[RevisionStatus | None, Query(alias="status")] = None,
    code: Annotated[str | None, Query(max_length=64)] = None,
) -> RevisionPage:
    return queries.list_revisions(
        session, scope=Scope.of(principal), page=page, status=status_, code=code
    )


@router.get(
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
    return queries.list_runs(session, filters=filters, page=page, scope=Scope.of(principal))


@router.post(
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
    return RunQueued(batch_key=batch, runs=queries.batch_runs(session, batch, scope=scope))


@router.get(
    "/apps",
    description=(
        "应用管理: 使用指标的应用 (大屏、驾驶舱、报表) 及其申请人、部门、期限; 电话脱敏显示。"
    ),
    response_model=AppPage,
    summary="指标应用列表",
)
def list_apps(
    session: DbSession,
    principal: Reader,
    filters: Annotated[AppFilter, Query()],
    page: Annotated[PageParams, Query()],
) -> AppPage:
    return apps.list_apps(session, filters=filters, page=page, scope=Scope.of(principal))


@router.post(
    "/apps",
    description="登记使用指标的应用; 引用的指标须存在 (422 indicator_not_found)。",
    response_model=AppRead,
    status_code=status.HTTP_201_CREATED,
    summary="登记指标应用",
)
def create_app(
    session: DbSession, principal: Editor, settings: AppSettings, body: AppCreate
) -> AppRead:
    row = apps.create_app(session, spec=body, scope=Scope.of(principal), settings=settings)
    return apps.read_many(session, [row])[0]


@router.patch(
    "/apps/{app_id}",
    description="修改指标应用; 不存在或不在本人辖区与部门 404 indicator_app_not_found。",
    response_model=AppRead,
    summary="修改指标应用",
)
def update_app(
    app_id: RowId, session: DbSession, principal: Editor, settings: AppSettings, body: AppUpdate
) -> AppRead:
    row = apps.update_app(
        session, app_id=app_id, changes=body, scope=Scope.of(principal), settings=settings
    )
    return apps.read_many(session, [row])[0]


@router.delete(
    "/apps/{app_id}",
    description="删除指标应用; 不存在 404 indicator_app_not_found。",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="删除指标应用",
)
def delete_app(app_id: RowId, session: DbSession, principal: Editor) -> None:
    apps.delete_app(session, app_id=app_id, scope=Scope.of(principal))


@router.get(
    "/{code}",
    description=(
        "一个指标的定义、状态与最近一次运行; 不可见或 (对只读调用方) 未发布"
        " 404 indicator_not_found。"
    ),
    response_model=IndicatorRead,
    summary="指标详情",
)
def get_indicator(code: CodePath, session: DbSession, principal: Reader) -> IndicatorRead:
    scope = Scope.of(principal)
    found = queries.read_indicator(session, code, scope=scope)
    if found.live_revision is None and not _drafts_visible(scope):
        from citybrain.core.errors import NotFound

        raise NotFound(f"指标 {code} 不存在", code="indicator_not_found", detail=code)
    return found


@router.put(
    "/{code}",
    description=(
        "修改指标定义: 保存为新的草稿修订并记录差异; 已发布的指标在新修订发布前照旧运行。"
        "有待审核的修订时 409 revision_pending; 校验错误同新建。"
    ),
    response_model=RevisionRead,
    summary="修改指标定义",
)
def revise_indicator(
    code: CodePath,
    session: DbSession,
    principal: Editor,
    settings: AppSettings,
    hub: HubDep,
    body: IndicatorDefinition,
) -> RevisionRead:
    scope = Scope.of(principal)
    revision = service.revise_indicator(
        session, code=code, spec=body, scope=scope, hub=hub, settings=settings
    )
    return queries.revision_read(revision, service.get_indicator(session, code, scope=scope))


def _review(
    session: DbSession, principal: Principal, code: str, action: Action, note: str
) -> RevisionRead:
    scope = Scope.of(principal)
    revision = service.review(session, code=code, action=action, note=note, scope=scope)
    return queries.revision_read(revision, service.get_indicator(session, code, scope=scope))


@router.post(
    "/{code}/submit",
    description="把最新修订提交审核 (草稿 → 待审核)。",
    response_model=RevisionRead,
    summary="提交指标审核",
)
def submit(code: CodePath, session: DbSession, principal: Editor, body: ReviewNote) -> RevisionRead:
    return _review(session, principal, code, Action.submit, body.note)


@router.post(
    "/{code}/approve",
    description="审核通过 (待审核 → 已审核); 审核人不能是编写人或提交人 (403 reviewer_is_author)。",
    response_model=RevisionRead,
    summary="指标审核通过",
)
def approve(
    code: CodePath, session: DbSession, principal: Approver, body: ReviewNote
) -> RevisionRead:
    return _review(session, principal, code, Action.approve, body.note)


@router.post(
    "/{code}/reject",
    description="退回待审核或已审核的修订, 附意见。",
    response_model=RevisionRead,
    summary="退回指标修订",
)
def reject(
    code: CodePath, session: DbSession, principal: Approver, body: ReviewNote
) -> RevisionRead:
    return _review(session, principal, code, Action.reject, body.note)


@router.post(
    "/{code}/publish",
    description="发布已审核的修订: 其成为运行与接口使用的定义 (发布人同样不能是编写人)。",
    response_model=RevisionRead,
    summary="发布指标",
)
def publish(
    code: CodePath, session: DbSession, principal: Approver, body: ReviewNote
) -> RevisionRead:
    return _review(session, principal, code, Action.publish, body.note)


@router.get(
    "/{code}/revisions",
    description="一个指标的全部修订 (新的在前), 含每次修改的差异与审核记录。",
    response_model=RevisionPage,
    summary="指标修订历史",
)
def indicator_revisions(
    code: CodePath, session: DbSession, principal: Reviewer, page: Annotated[PageParams, Query()]
) -> RevisionPage:
    scope = Scope.of(principal)
    service.editable_indicator(session, code, scope=scope)
    return queries.list_revisions(session, scope=scope, page=page, code=code)


@router.get(
    "/{code}/values",
    description=(
        "已发布指标在某区划 (默认本人辖区) 及其直接下级的当前数值, 可按期间 from/to 筛选; "
        "每行含 region_code, region_name, period, value, colour (尚无预警时为空)。"
        "区划不在本人辖区 403 out_of_scope。可用 API 密钥调用。"
    ),
    response_model=ValueList,
    summary="指标数值",
)
def indicator_values(
    code: CodePath,
    session: DbSession,
    principal: Reader,
    region: Annotated[str | None, Query(max_length=15, description="区划代码")] = None,
    from_: Annotated[str | None, Query(alias="from", max_length=10, description="起始期间")] = None,
    to: Annotated[str | None, Query(max_length=10, description="截止期间")] = None,
) -> ValueList:
    return queries.values(
        session, code, scope=Scope.of(principal), region=region, first=from_, last=to
    )


@router.get(
    "/{code}/values/history",
    description="一个数值的全部版本 (每次重算新增一版), 可追溯到产生它的运行; SQL 仅运维人员可见。",
    response_model=list[ValueVersion],
    summary="指标数值的版本与来源",
)
def value_history(
    code: CodePath,
    session: DbSession,
    principal: Reader,
    region: Annotated[str, Query(min_length=2, max_length=15)],
    period: Annotated[str, Query(min_length=4, max_length=10)],
) -> list[ValueVersion]:
    return queries.value_history(
        session, code, scope=Scope.of(principal), region=region, period=period
    )


@router.get(
    "/{code}/durations",
    description="最近 30 次运行的耗时 (旧的在前), 供耗时趋势图。",
    response_model=list[DurationPoint],
    summary="指标运行耗时趋势",
)
def indicator_durations(
    code: CodePath, session: DbSession, principal: Reader
) -> list[DurationPoint]:
    return queries.durations(session, code, scope=Scope.of(principal))
