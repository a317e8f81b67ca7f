"""HTTP adapters of data quality under ``/api/v1/quality``: rules per resource and batch
reports (department scores and rectification orders share the prefix: ``rectification.router``).
Each handler parses, authorises, makes one call with the caller's region as scope, answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from citybrain.core.pagination import RowId
from citybrain.core.scope import Scope
from citybrain.core.security import Principal, require
from citybrain.core.web import DbSession
from citybrain.datahub.quality import queries, service
from citybrain.datahub.quality.schemas import ReportRead, RuleSetRead, RuleWrite

router = APIRouter(prefix="/api/v1/quality", tags=["quality"])

QualityReader = Annotated[Principal, Depends(require("quality:read"))]
QualityManager = Annotated[Principal, Depends(require("quality:manage"))]


@router.get(
    "/resources/{resource_code}/rules",
    description=(
        "资源的质量规则: 由目录派生的默认规则 (必填、类型、长度、证件号校验等) 与设置的显式规则。"
    ),
    response_model=RuleSetRead,
    summary="质量规则",
)
def get_rules(resource_code: str, session: DbSession, principal: QualityReader) -> RuleSetRead:
    return queries.rule_set(session, resource_code, scope=Scope.of(principal))


@router.put(
    "/resources/{resource_code}/rules",
    description=(
        "整体替换资源的显式质量规则, 下一批归集起生效。信息项不存在 422 unknown_item, 参数不对 "
        "bad_rule_params, 规则不适用于该项 rule_not_applicable, 重复 duplicate_rule; "
        "资源不在本辖区 403 region_out_of_scope。"
    ),
    response_model=RuleSetRead,
    summary="设置质量规则 (整体替换显式规则; 默认规则由目录派生)",
)
def put_rules(
    resource_code: str, body: list[RuleWrite], session: DbSession, principal: QualityManager
) -> RuleSetRead:
    service.set_rules(session, resource_code=resource_code, rules=body, scope=Scope.of(principal))
    return queries.rule_set(session, resource_code, scope=Scope.of(principal))


@router.get(
    "/reports/{report_id}",
    description="一个归集批次的质量报告: 各规则的通过与不通过行数及示例; 不存在或不可见时 404。",
    response_model=ReportRead,
    summary="批次质量报告",
)
def get_report(report_id: RowId, session: DbSession, principal: QualityReader) -> ReportRead:
    return queries.get_report(session, report_id, scope=Scope.of(principal))
