"""HTTP adapters of five-colour warnings under ``/api/v1/indicators/warnings``. Included before
the indicator routes so that ``/warnings`` is never read as an indicator code."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from citybrain.core.pagination import PageParams, RowId
from citybrain.core.scope import Scope
from citybrain.core.security import Principal, require
from citybrain.core.web import DbSession
from citybrain.indicators.permissions import READ, WARN
from citybrain.indicators.warnings import queries, service
from citybrain.indicators.warnings.schemas import (
    IndicatorWarningClose,
    IndicatorWarningFilter,
    IndicatorWarningPage,
    IndicatorWarningRead,
    IndicatorWarningRules,
    IndicatorWarningRuleSpec,
)

router = APIRouter(prefix="/api/v1/indicators/warnings", tags=["indicators"])

Reader = Annotated[Principal, Depends(require(READ))]
Warner = Annotated[Principal, Depends(require(WARN))]
CodePath = Annotated[str, Path(min_length=2, max_length=64, description="指标代码")]
RegionPath = Annotated[str, Path(min_length=2, max_length=15, description="区划代码")]


@router.get(
    "",
    description=(
        "分页列出本辖区的五色预警 (新的期间在前), 可按颜色 colour、状态 status、区划 region"
        " (含下级)、指标 indicator 筛选; 默认不含绿色 (正常) 记录。"
    ),
    response_model=IndicatorWarningPage,
    summary="预警列表",
)
def list_warnings(
    session: DbSession,
    principal: Reader,
    filters: Annotated[IndicatorWarningFilter, Query()],
    page: Annotated[PageParams, Query()],
) -> IndicatorWarningPage:
    return queries.list_warnings(session, scope=Scope.of(principal), filters=filters, page=page)


@router.get(
    "/rules/{code}",
    description="指标的预警规则 (默认规则与本辖区内各区划的覆盖规则)。",
    response_model=IndicatorWarningRules,
    summary="预警规则",
)
def warning_rules(code: CodePath, session: DbSession, principal: Reader) -> IndicatorWarningRules:
    return queries.rules_of(session, code, scope=Scope.of(principal))


@router.put(
    "/rules/{code}",
    description=(
        "保存指标的默认预警规则并按新规则重新评估全部当前数值; 颜色区间重叠或留有空档时"
        " 422 (warning_thresholds_overlap / warning_thresholds_gap)。仅指标责任部门。"
    ),
    response_model=IndicatorWarningRules,
    summary="保存预警规则",
)
def save_rule(
    code: CodePath, spec: IndicatorWarningRuleSpec, session: DbSession, principal: Warner
) -> IndicatorWarningRules:
    scope = Scope.of(principal)
    service.save_rule(session, code=code, region_code=None, spec=spec, scope=scope)
    return queries.rules_of(session, code, scope=scope)


@router.put(
    "/rules/{code}/regions/{region}",
    description="保存仅对某一区划生效的覆盖规则 (区划须在指标所属区划之下、本人辖区之内)。",
    response_model=IndicatorWarningRules,
    summary="保存区划覆盖规则",
)
def save_override(
    code: CodePath,
    region: RegionPath,
    spec: IndicatorWarningRuleSpec,
    session: DbSession,
    principal: Warner,
) -> IndicatorWarningRules:
    scope = Scope.of(principal)
    service.save_rule(session, code=code, region_code=region, spec=spec, scope=scope)
    return queries.rules_of(session, code, scope=scope)


@router.delete(
    "/rules/{code}",
    description="删除指标的默认预警规则。",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="删除预警规则",
)
def delete_rule(code: CodePath, session: DbSession, principal: Warner) -> None:
    service.delete_rule(session, code=code, region_code=None, scope=Scope.of(principal))


@router.delete(
    "/rules/{code}/regions/{region}",
    description="删除某一区划的覆盖规则 (该区划回到默认规则)。",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="删除区划覆盖规则",
)
def delete_override(
    code: CodePath, region: RegionPath, session: DbSession, principal: Warner
) -> None:
    service.delete_rule(session, code=code, region_code=region, scope=Scope.of(principal))


@router.get(
    "/{warning_id}",
    description="一条预警: 颜色、原因、连续红色期数与处置记录。",
    response_model=IndicatorWarningRead,
    summary="预警详情",
)
def read_warning(warning_id: RowId, session: DbSession, principal: Reader) -> IndicatorWarningRead:
    row = service.get_warning(session, warning_id, scope=Scope.of(principal))
    return queries.read_many(session, [row])[0]


@router.post(
    "/{warning_id}/acknowledge",
    description="签收一条未签收的预警 (仅指标责任部门)。",
    response_model=IndicatorWarningRead,
    summary="签收预警",
)
def acknowledge(warning_id: RowId, session: DbSession, principal: Warner) -> IndicatorWarningRead:
    row = service.acknowledge(session, warning_id=warning_id, scope=Scope.of(principal))
    return queries.read_many(session, [row])[0]


@router.post(
    "/{warning_id}/close",
    description="填写说明后关闭预警 (仅指标责任部门); 之后数值变差会重新打开。",
    response_model=IndicatorWarningRead,
    summary="关闭预警",
)
def close(
    warning_id: RowId, body: IndicatorWarningClose, session: DbSession, principal: Warner
) -> IndicatorWarningRead:
    row = service.close(session, warning_id=warning_id, note=body.note, scope=Scope.of(principal))
    return queries.read_many(session, [row])[0]
