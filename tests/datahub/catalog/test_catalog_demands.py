"""The supply–demand list (供需对接清单): departments register needs, the bureau matches them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.core.errors import InvalidState, NotFound, PermissionDenied
from citybrain.core.pagination import PageParams
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import queries, service
from citybrain.datahub.catalog.models import CatalogResource
from citybrain.datahub.catalog.schemas import DemandCreate, DemandFilter


def need(requester: str = "620722-MZ") -> DemandCreate:
    return DemandCreate(
        requester_code=requester,
        title="低保对象参保状态",
        description="低保年审核对参保、缴费情况",
        wanted_items=["公民身份号码", "险种", "缴费状态"],
    )


def actions(session: Session, demand_id: int) -> list[str]:
    rows = session.execute(
        select(AuditRecord.action)
        .where(AuditRecord.object_type == "catalog_demand", AuditRecord.object_id == str(demand_id))
        .order_by(AuditRecord.seq)
    )
    return list(rows.scalars())


def test_register_suggest_and_match(session: Session, demo_catalog: list[CatalogResource]) -> None:
    demand = service.register_demand(
        session, spec=need(), scope=Scope(region_code="620722", all_departments=True)
    )
    assert (demand.status, demand.region_code) == ("open", "620722")

    suggestions = queries.suggest_resources(session, demand.id, scope=Scope.system())
    assert suggestions[0].resource_code == "620722-RS-001"
    assert suggestions[0].matched_items == ["公民身份号码", "险种", "缴费状态"]
    assert "620722-GA-002" not in [s.resource_code for s in suggestions]  # 不予共享

    service.match_demand(
        session,
        demand_id=demand.id,
        resource_code="620722-RS-001",
        note="按季度推送",
        scope=Scope.system(),
    )
    read = queries.get_demand(session, demand.id, scope=Scope.system())
    assert (read.status, read.matched_resource_code, read.match_note) == (
        "matched", "620722-RS-001", "按季度推送",
    )  # fmt: skip
    assert actions(session, demand.id) == ["catalog.demand.create", "catalog.demand.match"]
    page = queries.list_demands(
        session, filters=DemandFilter(status="matched"), page=PageParams(), scope=Scope.system()
    )
    assert [d.id for d in page.items] == [demand.id]


def test_a_demand_cannot_be_met_by_an_unshared_or_missing_resource(
    session: Session, demo_catalog: list[CatalogResource]
) -> None:
    demand = service.register_demand(session, spec=need(), scope=Scope.system())
    with pytest.raises(InvalidState) as caught:
        service.match_demand(
            session, demand_id=demand.id, resource_code="620722-GA-002", scope=Scope.system()
        )
    assert caught.value.code == "resource_not_shareable"
    with pytest.raises(NotFound) as missing:
        service.match_demand(
            session, demand_id=demand.id, resource_code="620722-RS-404", scope=Scope.system()
        )
    assert missing.value.code == "resource_not_found"


def test_closed_demands_stay_closed(session: Session, demo_catalog: list[CatalogResource]) -> None:
    demand = service.register_demand(session, spec=need(), scope=Scope.system())
    service.close_demand(
        session, demand_id=demand.id, note="无对应数据, 建议人社局新建目录", scope=Scope.system()
    )
    with pytest.raises(InvalidState):
        service.match_demand(
            session, demand_id=demand.id, resource_code="620722-RS-001", scope=Scope.system()
        )
    assert actions(session, demand.id)[-1] == "catalog.demand.close"


def test_demands_are_scoped(session: Session, demo_catalog: list[CatalogResource]) -> None:
    with pytest.raises(PermissionDenied):
        service.register_demand(
            session, spec=need(), scope=Scope(region_code="620725", all_departments=True)
        )
    with pytest.raises(NotFound) as caught:
        service.register_demand(session, spec=need("620722-XX"), scope=Scope.system())
    assert caught.value.code == "department_not_found"
    demand = service.register_demand(session, spec=need(), scope=Scope.system())
    with pytest.raises(NotFound):
        service.match_demand(
            session,
            demand_id=demand.id,
            resource_code="620722-RS-001",
            scope=Scope(region_code="620725", all_departments=True),
        )
    other = queries.list_demands(
        session,
        filters=DemandFilter(),
        page=PageParams(),
        scope=Scope(region_code="620725", all_departments=True),
    )
    assert other.total == 0
