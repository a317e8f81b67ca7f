"""Region scope: a caller manages its subtree and sees its subtree plus its ancestors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from citybrain.core.errors import NotFound, PermissionDenied
from citybrain.core.pagination import PageParams
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import queries, scope, service
from citybrain.datahub.catalog.models import CatalogResource
from citybrain.datahub.catalog.schemas import ResourceCreate, ResourceFilter, ResourceUpdate
from citybrain.iam.departments import ensure_department

MakeSpec = Callable[..., ResourceCreate]


@pytest.mark.parametrize(
    ("scope_code", "region", "manages", "sees"),
    [
        ("620722", "620722", True, True),
        ("620722", "620722000000", True, True),  # 12-digit spelling of the same county
        ("620722", "620722100", True, True),  # a township below
        ("6207", "620722", True, True),  # 张掖市 manages its counties
        ("620700", "620722", True, True),  # 6-digit spelling of the city
        ("620722", "6207", False, True),  # the city's resources are seen, not managed
        ("620722", "620700000000", False, True),
        ("620722", "62", False, True),
        ("620722", "620725", False, False),  # a neighbouring county
        ("620722100", "620722101", False, False),  # sibling townships
        ("", "620722", False, False),  # a principal without a region holds nothing
    ],
)
def test_scope_rules(scope_code: str, region: str, manages: bool, sees: bool) -> None:
    assert scope.within(scope_code, region) is manages
    assert scope.visible(scope_code, region) is sees
    caller = Scope(region_code=scope_code, all_departments=True)
    assert scope.covers(caller, region) is manages
    assert scope.sees(caller, region) is sees


def test_the_system_scope_covers_and_sees_everything() -> None:
    assert scope.covers(Scope.system(), "620725")
    assert scope.sees(Scope.system(), "510903")


def test_neighbouring_county_neither_sees_nor_manages(
    session: Session, demo_catalog: list[CatalogResource]
) -> None:
    page = queries.search_resources(
        session,
        filters=ResourceFilter(),
        page=PageParams(),
        scope=Scope(region_code="620725", all_departments=True),
    )
    assert page.total == 0
    with pytest.raises(NotFound):
        queries.get_resource(
            session, "620722-GA-001", scope=Scope(region_code="620725", all_departments=True)
        )
    with pytest.raises(NotFound):
        service.update_resource(
            session, code="620722-GA-001", changes=ResourceUpdate(summary="x"),
            scope=Scope(region_code="620725", all_departments=True),
        )  # fmt: skip


def test_city_manages_county_and_county_sees_city(
    session: Session, demo_catalog: list[CatalogResource], make_spec: MakeSpec
) -> None:
    resource = service.update_resource(
        session, code="620722-GA-001", changes=ResourceUpdate(summary="市级审核"),
        scope=Scope(region_code="6207", all_departments=True),
    )  # fmt: skip
    assert resource.version == 2
    ensure_department(
        session, code="620700-SJ", name="张掖市数据局", short_name="市数据局", region_code="6207"
    )
    city = service.register_resource(
        session,
        spec=make_spec(code="620700-SJ-001", provider_code="620700-SJ"),
        scope=Scope(region_code="62", all_departments=True),
    )
    assert city.region_code == "6207"
    assert (
        queries.get_resource(
            session, "620700-SJ-001", scope=Scope(region_code="620722", all_departments=True)
        ).code
        == city.code
    )
    with pytest.raises(PermissionDenied) as caught:
        service.update_resource(
            session, code="620700-SJ-001", changes=ResourceUpdate(summary="x"),
            scope=Scope(region_code="620722", all_departments=True),
        )  # fmt: skip
    assert caught.value.code == "region_out_of_scope"


def test_county_cannot_register_for_another_county(session: Session, make_spec: MakeSpec) -> None:
    with pytest.raises(PermissionDenied) as caught:
        service.register_resource(
            session, spec=make_spec(), scope=Scope(region_code="620725", all_departments=True)
        )
    assert caught.value.code == "region_out_of_scope"
