"""HTTP adapters of the indicator platform under ``/api/v1/indicators``. Each handler parses,
authorises (a permission code and the caller's scope), makes one call and answers. Published
indicators and their values are readable with an API key holding ``indicators:read``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from citybrain.analytics.hub.deps import HubDep
from citybrain.core.pagination import PageParams
from citybrain.core.scope import Scope
from citybrain.core.security import Principal
from citybrain.core.web import AppSettings, DbSession
from citybrain.indicators import queries, retirement, service
from citybrain.indicators.apps_router import apps_router
from citybrain.indicators.dependencies import (
    Approver,
    CodePath,
    Editor,
    Reader,
    Reviewer,
    drafts_visible,
)
from citybrain.indicators.runs_router import runs_router
from citybrain.indicators.schemas import (
    BoardCreate,
    IndicatorCreate,
    IndicatorDefinition,
    IndicatorFilter,
    IndicatorPage,
    IndicatorRead,
    ReviewNote,
    RevisionPage,
    RevisionRead,
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
# before the routes under /{code}, which would otherwise take /runs and /apps for a code
router.include_router(runs_router)
router.include_router(apps_router)


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
    if not drafts_visible(scope):
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
    if not drafts_visible(scope):
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
    if (found.live_revision is None or found.status == "retired") and not drafts_visible(scope):
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


@router.post(
    "/{code}/retire",
    description=(
        "停用已发布的指标: 不再运行, 不再出现在已发布列表、数值接口、大屏与检索中, 历史数值与"
        "运行日志保留; 重新发布新修订即恢复。非已发布 409 indicator_not_published。"
    ),
    response_model=IndicatorRead,
    summary="停用指标",
)
def retire(
    code: CodePath, session: DbSession, principal: Approver, body: ReviewNote
) -> IndicatorRead:
    scope = Scope.of(principal)
    retirement.retire_indicator(session, code=code, note=body.note, scope=scope)
    return queries.read_indicator(session, code, scope=scope)


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
        "每行含 region_code, region_name, period, value, colour"
        " (五色预警颜色, 未设预警规则时为空)。"
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
