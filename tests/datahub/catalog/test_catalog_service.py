"""Registering, changing and retiring resources: versions, snapshots, audit and the rules."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.core.errors import BadInput, Conflict, InvalidState, NotFound
from citybrain.core.pagination import PageParams
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import queries, service
from citybrain.datahub.catalog.models import CatalogItem, CatalogResource
from citybrain.datahub.catalog.schemas import (
    ItemSpec,
    ResourceCreate,
    ResourceFilter,
    ResourceUpdate,
)

MakeSpec = Callable[..., ResourceCreate]


def audit_actions(session: Session, code: str) -> list[str]:
    rows = session.execute(
        select(AuditRecord.action).where(AuditRecord.object_id == code).order_by(AuditRecord.seq)
    )
    return list(rows.scalars())


def test_register_keeps_version_one_snapshot_and_audits(
    session: Session, make_spec: MakeSpec
) -> None:
    resource = service.register_resource(session, spec=make_spec(), scope=Scope.system())

    assert resource.version == 1
    assert resource.region_code == "620722"  # taken from the provider department
    assert [i.name for i in resource.items] == ["name", "id_number", "arrived_on"]
    versions = queries.list_versions(session, "620722-GA-101", scope=Scope.system())
    assert [v.version for v in versions] == [1]
    assert versions[0].snapshot["share_type"] == "unconditional"
    assert [i["title"] for i in versions[0].snapshot["items"]] == [
        "姓名",
        "公民身份号码",
        "来县日期",
    ]
    assert audit_actions(session, "620722-GA-101") == ["catalog.resource.create"]


def test_update_bumps_version_keeps_old_snapshot_and_matches_items_by_name(
    session: Session, make_spec: MakeSpec
) -> None:
    resource = service.register_resource(session, spec=make_spec(), scope=Scope.system())
    id_item = next(i for i in resource.items if i.name == "id_number")
    new_items = [
        ItemSpec(name="id_number", title="公民身份号码", length=18, sensitivity="sensitive"),
        ItemSpec(name="phone", title="联系电话", sensitivity="sensitive", mask="mobile"),
    ]

    service.update_resource(
        session,
        code="620722-GA-101",
        changes=ResourceUpdate(summary="流动人口暂住登记", items=new_items),
        scope=Scope.system(),
    )

    assert resource.version == 2
    assert [i.name for i in resource.items] == ["id_number", "phone"]
    assert id_item in resource.items  # the kept item was updated in place, not replaced
    count = session.execute(
        select(func.count()).select_from(CatalogItem).where(CatalogItem.resource_id == resource.id)
    ).scalar_one()
    assert count == 2
    versions = queries.list_versions(session, "620722-GA-101", scope=Scope.system())
    assert [v.version for v in versions] == [2, 1]
    assert versions[0].snapshot["summary"] == "流动人口暂住登记"
    assert versions[1].snapshot["summary"] == "暂住登记"
    assert len(versions[1].snapshot["items"]) == 3
    assert audit_actions(session, "620722-GA-101") == [
        "catalog.resource.create",
        "catalog.resource.update",
    ]
    last = session.execute(
        select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1)
    ).scalar_one()
    assert json.loads(last.detail)["changed"] == ["items", "summary"]


def test_update_that_changes_nothing_is_not_a_version(
    session: Session, make_spec: MakeSpec
) -> None:
    service.register_resource(session, spec=make_spec(), scope=Scope.system())
    resource = service.update_resource(
        session,
        code="620722-GA-101",
        changes=ResourceUpdate(summary="暂住登记"),
        scope=Scope.system(),
    )
    assert resource.version == 1
    assert audit_actions(session, "620722-GA-101") == ["catalog.resource.create"]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"share_type": "conditional"}, "share_condition_required"),
        ({"share_type": "none"}, "share_basis_required"),
        ({"key_item": "passport"}, "unknown_key_item"),
        ({"version_item": "updated_at"}, "unknown_version_item"),
        ({"related_codes": ["620722-GA-999"]}, "related_resource_not_found"),
    ],
)
def test_broken_rules_are_refused_with_their_code(
    session: Session, make_spec: MakeSpec, changes: dict[str, object], code: str
) -> None:
    with pytest.raises(BadInput) as caught:
        service.register_resource(session, spec=make_spec(**changes), scope=Scope.system())
    assert caught.value.code == code
    assert service.find_resource(session, "620722-GA-101") is None


def test_share_rules_hold_on_update_too(session: Session, make_spec: MakeSpec) -> None:
    service.register_resource(session, spec=make_spec(), scope=Scope.system())
    with pytest.raises(BadInput) as caught:
        service.update_resource(
            session,
            code="620722-GA-101",
            changes=ResourceUpdate(share_type="conditional"),
            scope=Scope.system(),
        )
    assert caught.value.code == "share_condition_required"
    resource = service.update_resource(
        session,
        code="620722-GA-101",
        changes=ResourceUpdate(share_type="none", share_basis="《居住证暂行条例》第十五条"),
        scope=Scope.system(),
    )
    assert (resource.share_type, resource.version) == ("none", 2)


def test_duplicate_item_names_are_refused(session: Session, make_spec: MakeSpec) -> None:
    items = [
        {"name": "name", "title": "姓名"},
        {"name": "name", "title": "曾用名"},
    ]
    with pytest.raises(BadInput) as caught:
        service.register_resource(
            session, spec=make_spec(items=items, key_item=""), scope=Scope.system()
        )
    assert caught.value.code == "duplicate_item_name"
    assert caught.value.detail[0]["field"] == "name"


@pytest.mark.parametrize("code", ["620722-ga-001", "GA-001", "620722_GA_001", "620722-GA-1"])
def test_resource_code_format(make_spec: MakeSpec, code: str) -> None:
    with pytest.raises(ValidationError):
        make_spec(code=code)


def test_provider_must_exist_and_code_be_free(session: Session, make_spec: MakeSpec) -> None:
    with pytest.raises(NotFound) as caught:
        service.register_resource(
            session, spec=make_spec(provider_code="620722-XX"), scope=Scope.system()
        )
    assert caught.value.code == "department_not_found"
    service.register_resource(session, spec=make_spec(), scope=Scope.system())
    with pytest.raises(Conflict) as taken:
        service.register_resource(session, spec=make_spec(), scope=Scope.system())
    assert taken.value.code == "resource_code_taken"


def test_retire_hides_from_default_search_and_keeps_versions(
    session: Session, make_spec: MakeSpec
) -> None:
    service.register_resource(session, spec=make_spec(), scope=Scope.system())
    resource = service.retire_resource(
        session, code="620722-GA-101", reason="并入户籍人口", scope=Scope.system()
    )

    assert (resource.status, resource.version) == ("retired", 2)
    page = queries.search_resources(
        session, filters=ResourceFilter(), page=PageParams(), scope=Scope.system()
    )
    assert "620722-GA-101" not in [r.code for r in page.items]
    retired = queries.search_resources(
        session, filters=ResourceFilter(status="retired"), page=PageParams(), scope=Scope.system()
    )
    assert [r.code for r in retired.items] == ["620722-GA-101"]
    with pytest.raises(InvalidState):
        service.retire_resource(session, code="620722-GA-101", scope=Scope.system())
    assert audit_actions(session, "620722-GA-101")[-1] == "catalog.resource.retire"


def test_get_unknown_resource_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound) as caught:
        queries.get_resource(session, "620722-GA-404", scope=Scope.system())
    assert caught.value.code == "resource_not_found"


def test_search_by_text_in_items_and_by_attributes(
    session: Session, demo_catalog: list[CatalogResource]
) -> None:
    def codes(**filters: object) -> list[str]:
        page = queries.search_resources(
            session,
            filters=ResourceFilter.model_validate(filters),
            page=PageParams(size=50),
            scope=Scope.system(),
        )
        return [r.code for r in page.items]

    assert codes(q="统一社会信用代码") == ["620722-SJ-001"]  # an item title
    assert codes(q="低保") == ["620722-MZ-001"]  # the summary
    assert "620722-GA-001" in codes(q="户籍")
    assert codes(share_type="none") == ["620722-GA-002"]
    assert codes(open_attribute="open") == ["620722-DSJ-001", "620722-SJ-001"]
    assert codes(provider_code="620722-MZ") == ["620722-MZ-001", "620722-MZ-002"]
    assert codes(category="basic") == ["620722-GA-001", "620722-SJ-001"]
    page = queries.search_resources(
        session, filters=ResourceFilter(), page=PageParams(size=4), scope=Scope.system()
    )
    assert (page.total, len(page.items)) == (9, 4)
