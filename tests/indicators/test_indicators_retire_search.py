"""A published indicator is found by the global search with its place in the tree and a link to
its page; retiring it stops its runs, hides it from readers and the values API, takes it out of
the search, and keeps its history; a new published revision brings it back."""

from __future__ import annotations

import pytest
from indicator_fixtures import COUNTY, World, author, create, definition, publish, run
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain import domains
from citybrain.core.audit.models import AuditRecord
from citybrain.core.errors import DomainError
from citybrain.core.scope import Scope
from citybrain.indicators import queries, retirement, service
from citybrain.indicators.models import IndicatorValue
from citybrain.indicators.schemas import IndicatorDefinition
from citybrain.indicators.searchable import searchable_documents
from citybrain.indicators.workflow import Action
from citybrain.search import queries as search_queries
from citybrain.search.schemas import SearchFilter


def _reader(region: str = COUNTY) -> Scope:
    return Scope(
        region_code=region,
        all_departments=True,
        actor="viewer",
        permissions=frozenset({"indicators:read"}),
    )


def _found(session: Session, q: str, scope: Scope) -> list[tuple[str, list[str], str]]:
    page = search_queries.search(session, filters=SearchFilter(q=q, kind="indicator"), scope=scope)
    return [(hit.key, hit.path, hit.url) for hit in page.items]


def test_published_indicator_is_found_then_retired_away(session: Session, world: World) -> None:
    create(session, world, "t_srch", name="家庭医生签约户数")
    session.commit()
    assert _found(session, "家庭医生", _reader()) == []  # a draft is not searchable
    publish(session, "t_srch")
    session.commit()
    hits = _found(session, "家庭医生", _reader())
    assert [key for key, _, _ in hits] == ["t_srch"]
    assert hits[0][1][-1] == "家庭医生签约户数"
    assert len(hits[0][1]) == 3  # 板块 › 指标集 › 指标
    assert hits[0][2] == "/indicators?code=t_srch"
    town = f"{COUNTY}100"
    assert [k for k, _, _ in _found(session, "家庭医生", _reader(town))] == ["t_srch"]
    assert _found(session, "家庭医生", _reader("510903")) == []
    assert "t_srch" in {d["key"] for d in searchable_documents(session)}

    run(session, world, ["t_srch"], "2024-01", "2024-02")
    kept = session.execute(select(IndicatorValue.id)).scalars().all()
    retirement.retire_indicator(session, code="t_srch", note="口径调整", scope=author("bob"))
    session.commit()
    assert _found(session, "家庭医生", _reader()) == []
    assert "t_srch" not in {d["key"] for d in searchable_documents(session)}
    with pytest.raises(DomainError) as caught:
        queries.values(session, "t_srch", scope=_reader(), region=None, first=None, last=None)
    assert caught.value.code == "indicator_not_found"
    with pytest.raises(DomainError) as caught:
        run(session, world, ["t_srch"], "2024-01", "2024-02")
    assert caught.value.code == "indicator_not_published"
    assert session.execute(select(IndicatorValue.id)).scalars().all() == kept
    audit = session.execute(
        select(AuditRecord.action).where(AuditRecord.object_id == "t_srch")
    ).scalars()
    assert "indicator.retire" in set(audit)
    with pytest.raises(DomainError) as caught:
        retirement.retire_indicator(session, code="t_srch", note="", scope=author("bob"))
    assert caught.value.code == "indicator_not_published"

    spec = IndicatorDefinition.model_validate(
        definition(world, "t_srch", name="家庭医生签约户数", unit="户").model_dump(
            exclude={"code", "region_code"}
        )
    )
    service.revise_indicator(
        session, code="t_srch", spec=spec, scope=author("alice"), hub=world.hub,
        settings=world.settings,
    )  # fmt: skip
    for action, who in ((Action.submit, "alice"), (Action.approve, "bob"), (Action.publish, "bob")):
        service.review(session, code="t_srch", action=action, scope=author(who))
    session.commit()
    assert [k for k, _, _ in _found(session, "家庭医生", _reader())] == ["t_srch"]
    assert queries.values(session, "t_srch", scope=_reader(), region=None, first=None, last=None)


def test_only_the_owning_region_may_retire(session: Session, world: World) -> None:
    create(session, world, "t_ret2")
    publish(session, "t_ret2")
    with pytest.raises(DomainError) as caught:
        retirement.retire_indicator(
            session, code="t_ret2", note="", scope=author("eve", region=f"{COUNTY}100")
        )
    assert caught.value.code == "indicator_not_found"


def test_indicators_are_a_registered_search_provider() -> None:
    assert "indicator" in domains.search_providers()
