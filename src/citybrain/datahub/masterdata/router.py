"""HTTP adapters of the base libraries under ``/api/v1/masterdata``: person and entity search
and profiles (masked), the audited unmask of a person's profile, the stewards' review queue
(``/review``: uncertain pairs, 合并 / 不是同一人), splitting a master, and the linkage model
(status, retraining). Each handler parses, authorises by permission code, makes one service or
query call with the caller's region as scope, and answers a schema."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request

from citybrain.analytics.hub.deps import HubDep
from citybrain.core.config import Settings
from citybrain.core.pagination import PageParams, RowId
from citybrain.core.scope import Scope
from citybrain.core.security import Principal, require
from citybrain.core.web import DbSession, single_hop
from citybrain.datahub.masterdata import queries, review_queries, service, tasks
from citybrain.datahub.masterdata.schemas import (
    EntityPage,
    EntityProfile,
    LinkageModelStatus,
    PersonPage,
    PersonProfile,
    RetrainQueued,
    ReviewDecisionRead,
    ReviewDecisionRequest,
    ReviewPairDetail,
    ReviewPairPage,
    ReviewStatus,
    SourceRecordRead,
    SplitRead,
    SplitRequest,
    UnmaskRequest,
)

router = APIRouter(prefix="/api/v1/masterdata", tags=["masterdata"])

MasterdataReader = Annotated[Principal, Depends(require("masterdata:read"))]
Unmasker = Annotated[Principal, Depends(require("pii:unmask"))]
Steward = Annotated[Principal, Depends(require("masterdata:review"))]
ModelManager = Annotated[Principal, Depends(require("masterdata:manage"))]
SearchText = Annotated[str, Query(max_length=64, description="姓名、身份证号或手机号")]


async def _settings(request: Request) -> Settings:  # async: no hop to a worker thread
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(_settings)]


Hub = HubDep


@router.get(
    "/persons",
    description=(
        "按姓名、证件号等检索本辖区人口库 (一人一档的归并结果), 证件号、电话等个人信息脱敏显示。"
    ),
    response_model=PersonPage,
    summary="检索人口库 (脱敏)",
)
def search_persons(
    session: DbSession,
    principal: MasterdataReader,
    settings: AppSettings,
    page: Annotated[PageParams, Query()],
    q: SearchText = "",
) -> PersonPage:
    return service.search_persons(
        session, q=q, page=page, scope=Scope.of(principal), settings=settings
    )


@router.get(
    "/persons/{master_id}",
    description=(
        "一人一档 (脱敏): 归并的各来源记录与关联信息; 每次查看记入审计。不存在或不在本辖区时 404 "
        "person_not_found。"
    ),
    response_model=PersonProfile,
    summary="一人一档 (脱敏)",
)
@single_hop
def read_person(
    master_id: str, session: DbSession, principal: MasterdataReader, settings: AppSettings
) -> PersonProfile:
    return service.read_person_profile(
        session, master_id=master_id, scope=Scope.of(principal), settings=settings
    )


@router.post(
    "/persons/{master_id}/unmask",
    description=(
        "查看一人一档的个人信息原文, 须持有 pii:unmask 权限并说明理由 (少于 4 个字 422 "
        "reason_required); 理由与显示的字段记入审计。不存在 404 person_not_found。"
    ),
    response_model=PersonProfile,
    summary="查看一人一档原文 (审计)",
)
def unmask_person(
    master_id: str,
    body: UnmaskRequest,
    session: DbSession,
    principal: Unmasker,
    settings: AppSettings,
) -> PersonProfile:
    return service.unmask(
        session, master_id=master_id, reason=body.reason, principal=principal, settings=settings
    )


@router.get(
    "/entities",
    description="按名称或统一社会信用代码检索本辖区法人库 (一企一档)。",
    response_model=EntityPage,
    summary="检索法人库",
)
def search_entities(
    session: DbSession,
    principal: MasterdataReader,
    page: Annotated[PageParams, Query()],
    q: SearchText = "",
) -> EntityPage:
    return queries.search_entities(session, q=q, page=page, scope=Scope.of(principal))


@router.get(
    "/entities/{master_id}",
    description="一企一档: 法人的归并信息与各来源记录; 不存在或不在本辖区时 404。",
    response_model=EntityProfile,
    summary="一企一档",
)
def read_entity(master_id: str, session: DbSession, principal: MasterdataReader) -> EntityProfile:
    return queries.entity_profile(session, master_id=master_id, scope=Scope.of(principal))


# --- the stewards' review queue --------------------------------------------------------------


@router.get(
    "/review",
    description=(
        "本辖区人口库的疑似重复人员: 匹配权重介于自动合并阈值与人工审核阈值之间、关联后仍分属两个"
        "主档的记录对 (两个主档都须在本辖区)。待审核的按匹配权重从高到低排列; 姓名脱敏。"
    ),
    response_model=ReviewPairPage,
    summary="疑似重复人员列表",
)
def list_review_pairs(
    session: DbSession,
    principal: Steward,
    page: Annotated[PageParams, Query()],
    status: ReviewStatus | None = ReviewStatus.pending,
) -> ReviewPairPage:
    return review_queries.list_pairs(session, scope=Scope.of(principal), status=status, page=page)


@router.get(
    "/review/{pair_id}",
    description=(
        "疑似重复的两条来源记录并排显示 (个人信息脱敏) 及各自所在主档; 每次查看记入审计。"
        "不存在或不在本辖区时 404 review_pair_not_found。"
    ),
    response_model=ReviewPairDetail,
    summary="查看疑似重复人员",
)
def read_review_pair(
    pair_id: RowId, session: DbSession, principal: Steward, settings: AppSettings
) -> ReviewPairDetail:
    return service.read_review_pair(
        session, pair_id=pair_id, scope=Scope.of(principal), settings=settings
    )


@router.post(
    "/review/{pair_id}/merge",
    description=(
        "数据管家确认两条记录是同一人: 两个主档立即合并 (编号小的存续), 此后不再分开 (除非拆分)。"
        "记入审计。已处理过 409 review_already_decided; 不存在或不在本辖区 404。"
    ),
    response_model=ReviewDecisionRead,
    summary="合并疑似重复人员",
)
def merge_review_pair(
    pair_id: RowId,
    body: ReviewDecisionRequest,
    session: DbSession,
    principal: Steward,
    settings: AppSettings,
    hub: Hub,
) -> ReviewDecisionRead:
    return service.decide_review(
        session, pair_id=pair_id, merge=True, note=body.note, scope=Scope.of(principal),
        hub=hub, settings=settings,
    )  # fmt: skip


@router.post(
    "/review/{pair_id}/apart",
    description=(
        "数据管家确认两条记录不是同一人: 记住该决定, 以后的关联不会自动合并这两个主档。记入审计。"
        "已处理过 409 review_already_decided; 不存在或不在本辖区 404。"
    ),
    response_model=ReviewDecisionRead,
    summary="确认不是同一人",
)
def keep_review_pair_apart(
    pair_id: RowId,
    body: ReviewDecisionRequest,
    session: DbSession,
    principal: Steward,
    settings: AppSettings,
    hub: Hub,
) -> ReviewDecisionRead:
    return service.decide_review(
        session, pair_id=pair_id, merge=False, note=body.note, scope=Scope.of(principal),
        hub=hub, settings=settings,
    )  # fmt: skip


@router.get(
    "/persons/{master_id}/records",
    description=(
        "主档下的各部门来源记录 (个人信息脱敏), 供拆分档案时选择; 每次查看记入审计。"
        "不存在或不在本辖区时 404 person_not_found。"
    ),
    response_model=list[SourceRecordRead],
    summary="人员档案的来源记录 (脱敏)",
)
def read_person_records(
    master_id: str, session: DbSession, principal: Steward, settings: AppSettings
) -> list[SourceRecordRead]:
    return service.list_person_records(
        session, master_id=master_id, scope=Scope.of(principal), settings=settings
    )


@router.post(
    "/persons/{master_id}/split",
    description=(
        "把主档中选定的来源记录移入一个新主档 (错误合并时使用), 并记住两部分不是同一人。记入审计。"
        "所选记录须是本档案的一部分 (422 split_records_invalid); 不存在或不在本辖区 404。"
    ),
    response_model=SplitRead,
    summary="拆分人员档案",
)
def split_person(
    master_id: str,
    body: SplitRequest,
    session: DbSession,
    principal: Steward,
    settings: AppSettings,
    hub: Hub,
) -> SplitRead:
    return service.split_person(
        session, master_id=master_id, source_record_ids=body.source_record_ids,
        note=body.note, scope=Scope.of(principal), hub=hub, settings=settings,
    )  # fmt: skip


# --- the linkage model -----------------------------------------------------------------------


@router.get(
    "/model",
    description=(
        "人口库匹配模型: 训练时间与记录数、两个阈值、训练时审核区间的记录对占比 (基线) 与此后各批次"
        "的占比 (超出界限即为漂移, 将自动重训), 以及本辖区待审核的疑似重复人员数。"
    ),
    response_model=LinkageModelStatus,
    summary="人口库匹配模型状态",
)
def read_model(session: DbSession, principal: Steward) -> LinkageModelStatus:
    return review_queries.model_status(session, scope=Scope.of(principal))


@router.post(
    "/model/retrain",
    description=(
        "在后台用全部来源记录重新训练人口库匹配模型 (模型供全安装使用; 已有主档不重新关联)。"
        "申请记入审计; 返回后台任务编号, 可在任务页查看。"
    ),
    response_model=RetrainQueued,
    status_code=202,
    summary="重新训练人口库匹配模型",
)
def retrain_model(
    request: Request, background: BackgroundTasks, session: DbSession, principal: ModelManager
) -> RetrainQueued:
    service.request_retrain(session, scope=Scope.of(principal))
    # queued after the response, i.e. after the request's transaction committed (core.web)
    background.add_task(tasks.queue_retrain, request.app.state.jobs, reason="manual")
    return RetrainQueued(queued=True)
