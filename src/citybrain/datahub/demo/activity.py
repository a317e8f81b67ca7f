"""A few days of everyday work in the demo county, so that the sharing and 供需对接 pages show
something: share requests in each state (approved with a grant, pending, rejected, refused by
law) and open data needs (需求), made through the real service functions (validated and audited
as if departments had made them). Idempotent: an entry whose requester already has one for the
same resource (or the same title) is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.clock import utcnow
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import service as catalog_service
from citybrain.datahub.catalog.models import CatalogDemand, CatalogResource
from citybrain.datahub.catalog.schemas import DemandCreate
from citybrain.datahub.demo.catalog import seed_demo_demands
from citybrain.datahub.sharing import rules
from citybrain.datahub.sharing import service as sharing
from citybrain.datahub.sharing.models import SharingRequest


@dataclass(frozen=True, slots=True)
class DemoShare:
    requester: str  # department suffix (MZ → 620722-MZ)
    resource: str  # resource serial (GA-001 → 620722-GA-001)
    items: tuple[str, ...]
    purpose: str
    legal_basis: str
    days: int
    decision: str = ""  # "approve" | "reject" | "" (left pending, or settled at once)
    note: str = ""


SHARES: tuple[DemoShare, ...] = (
    DemoShare(
        "MZ", "GA-001", ("name", "id_number", "gender", "address", "town_code"),
        "最低生活保障资格年审: 核对申请人及共同生活家庭成员的户籍状况",
        "《社会救助暂行办法》第五十六条; 《甘肃省最低生活保障条例》", 180,
        decision="approve", note="同意; 仅限低保年审使用, 不得转提供",
    ),
    DemoShare(
        "RS", "SJ-001", ("uscc", "enterprise_name", "registered_address", "business_status"),
        "核对参保单位的登记状态, 清理已注销企业的参保关系",
        "《社会保险法》第五十七条", 365,
    ),
    DemoShare(
        "WJ", "MZ-002", ("name", "id_number", "birth_date", "care_level", "town_code"),
        "为失能、高龄老人优先提供家庭医生上门签约服务",
        "《基本医疗卫生与健康促进法》第三十一条", 180,
    ),
    DemoShare(
        "RS", "WJ-001", ("name", "id_number", "phone", "doctor_name", "team_name",
                         "service_package", "signed_on", "expires_on", "town_code"),
        "了解参保人员家庭医生签约情况", "《社会保险法》第七十四条", 90,
        decision="reject", note="申请的信息项超出所述用途, 请只申请签约状态相关项后重新提交",
    ),
    DemoShare(
        "DSJ", "GA-002", ("name", "person_category", "town_code"),
        "城市运行态势分析", "《甘肃省数据条例》第二十条", 30,
    ),
)  # fmt: skip

DEMANDS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("WJ", "65 岁及以上老年人名单及照护等级",
     "家庭医生签约服务需按照护等级排定上门随访频次", ("公民身份号码", "出生日期", "照护等级")),
    ("DSJ", "各乡镇常住人口与流动人口",
     "城市大脑人口热力和公共服务设施规划需要常住、流动人口分乡镇统计",
     ("乡镇代码", "常住人口数", "流动人口数")),
    ("SJ", "企业用电量与纳税情况",
     "评估企业经营活跃度, 辅助识别长期停业的\"僵尸企业\"",
     ("统一社会信用代码", "月用电量", "纳税额")),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ActivityReport:
    share_requests: int
    demands: int


def seed_demo_activity(session: Session, region: str) -> ActivityReport:
    """Share requests and data needs of the demo departments of ``region`` (after the demo
    catalog is seeded). Returns how many of each were created now. Side effects: those of
    ``sharing.service`` and ``catalog.service`` (rows and their audit records)."""
    return ActivityReport(_seed_shares(session, region), _seed_demands(session, region))


def _seed_shares(session: Session, region: str) -> int:
    today = rules.china_today(utcnow())
    created = 0
    for share in SHARES:
        requester, code = f"{region}-{share.requester}", f"{region}-{share.resource}"
        resource_id = session.execute(
            select(CatalogResource.id).where(CatalogResource.code == code)
        ).scalar_one_or_none()
        if resource_id is None:
            continue
        asked = session.execute(
            select(SharingRequest.id).where(
                SharingRequest.requester_code == requester,
                SharingRequest.resource_id == resource_id,
            )
        ).first()
        if asked is not None:
            continue
        outcome = sharing.request_share(
            session, resource_code=code, requester_code=requester, items=list(share.items),
            purpose=share.purpose, legal_basis=share.legal_basis, period_start=today,
            period_end=today + timedelta(days=share.days - 1), scope=Scope.system(),
        )  # fmt: skip
        created += 1
        if outcome.grant is not None or outcome.refusal is not None:
            continue
        if share.decision == "approve":
            sharing.approve(
                session, request_id=outcome.request.id, note=share.note, scope=Scope.system()
            )
        elif share.decision == "reject":
            sharing.reject(
                session, request_id=outcome.request.id, note=share.note, scope=Scope.system()
            )
    return created


def _seed_demands(session: Session, region: str) -> int:
    seed_demo_demands(session, region)  # the catalog's own example need (idempotent)
    created = 0
    for suffix, title, description, wanted in DEMANDS:
        requester = f"{region}-{suffix}"
        exists = session.execute(
            select(CatalogDemand.id).where(
                CatalogDemand.requester_code == requester, CatalogDemand.title == title
            )
        ).first()
        if exists is not None:
            continue
        catalog_service.register_demand(
            session,
            spec=DemandCreate(
                requester_code=requester, title=title, description=description,
                wanted_items=list(wanted),
            ),
            scope=Scope.system(),  # the demo loader acts as the installation
        )  # fmt: skip
        created += 1
    return created
