"""The resource list (prepared statements, total on every row) answers exactly what the plain
rules say: for each scope shape and filter, against the resources read one by one."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.pagination import PageParams
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import queries, service
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.catalog.models import CatalogResource
from citybrain.datahub.catalog.schemas import ResourceCreate, ResourceFilter
from citybrain.iam.departments import ensure_department

SCOPES = [
    Scope.system(),
    Scope(region_code="620722", all_departments=True),  # the county: its own and the city's
    Scope(region_code="620722100", all_departments=True),  # a township: its ancestors only
    Scope(region_code="6207", all_departments=True),  # the city: the county below it too
    Scope(region_code="620725", all_departments=True),  # a neighbour: the city's only
    Scope(region_code="", all_departments=True),  # no region: nothing
]
MakeSpec = Callable[..., ResourceCreate]
FILTERS = [
    {},
    {"status": "retired"},
    {"status": None},
    {"share_type": "none"},
    {"open_attribute": "open", "category": "basic"},
    {"provider_code": "620700-TJ"},
    {"q": "户籍"},
    {"q": "100%_"},  # LIKE's own characters are searched for, not interpreted
]


@pytest.fixture
def catalog(session: Session, demo_catalog: list[CatalogResource], make_spec: MakeSpec) -> None:
    """The demo county's resources and one of the city (张掖市统计局, 620700)."""
    ensure_department(
        session, code="620700-TJ", name="张掖市统计局", short_name="统计", region_code="620700"
    )
    service.register_resource(
        session,
        spec=make_spec("620700-TJ-001", provider_code="620700-TJ", name="全市人口统计 100%_"),
        scope=Scope.system(),
    )
    service.retire_resource(session, code="620722-GA-002", scope=Scope.system())


def _expected(session: Session, filters: ResourceFilter, scope: Scope) -> list[str]:
    """The codes the rules allow, read one resource at a time."""
    codes = []
    for resource in session.execute(select(CatalogResource)).scalars():
        if not catalog_scope.sees(scope, resource.region_code):
            continue
        shown = queries.read_many(session, [resource])[0].model_dump(mode="json")
        wanted = filters.model_dump(mode="json", exclude={"q"})
        if any(value is not None and shown[name] != value for name, value in wanted.items()):
            continue
        text = filters.q.strip().lower()
        haystack = [resource.name, resource.summary, resource.code]
        haystack += [item.title for item in resource.items]
        if text and not any(text in value.lower() for value in haystack):
            continue
        codes.append(resource.code)
    return sorted(codes)


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: s.region_code or "none")
@pytest.mark.parametrize("raw", FILTERS, ids=str)
def test_the_list_answers_what_the_rules_allow(
    session: Session, catalog: None, scope: Scope, raw: dict[str, object]
) -> None:
    filters = ResourceFilter.model_validate(raw)
    expected = _expected(session, filters, scope)
    page = queries.search_resources(
        session, filters=filters, page=PageParams(size=500), scope=scope
    )
    assert [r.code for r in page.items] == expected
    assert page.total == len(expected)
    assert all(r == queries.read_many(session, [_row(session, r.code)])[0] for r in page.items)


def _row(session: Session, code: str) -> CatalogResource:
    return session.execute(select(CatalogResource).where(CatalogResource.code == code)).scalar_one()


def test_pages_carry_the_total_also_past_the_last(session: Session, catalog: None) -> None:
    county = Scope(region_code="620722", all_departments=True)
    pages = [
        queries.search_resources(
            session, filters=ResourceFilter(), page=PageParams(page=n, size=4), scope=county
        )
        for n in (1, 2, 3, 4)
    ]
    assert [p.total for p in pages] == [9, 9, 9, 9]  # 8 active of the county + the city's
    assert [len(p.items) for p in pages] == [4, 4, 1, 0]
    codes = [r.code for p in pages for r in p.items]
    assert codes == sorted(codes)
    assert len(set(codes)) == 9
