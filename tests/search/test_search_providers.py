"""The owners that publish today (the catalog, 专报): what they publish is found, what they
retire or withdraw is gone, and a rebuild from their providers equals the incremental index."""

from __future__ import annotations

from typing import Any

from search_fixtures import reader
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain import domains
from citybrain.core.clock import utcnow
from citybrain.core.context import set_actor
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import service as catalog
from citybrain.datahub.catalog.schemas import ResourceUpdate
from citybrain.datahub.demo.catalog import seed_demo_catalog
from citybrain.reports import service as reports
from citybrain.reports.schemas import ReportCreate
from citybrain.search import queries, service
from citybrain.search.models import SearchDocument
from citybrain.search.schemas import SearchFilter


def find(session: Session, q: str, scope: Scope | None = None) -> list[str]:
    page = queries.search(session, filters=SearchFilter(q=q), scope=scope or reader())
    return [hit.key for hit in page.items]


def publish_report(session: Session, title: str, body: str, *, region: str = "620722") -> int:
    report = reports.create_report(
        session, spec=ReportCreate(title=title, body_html=body, region_code=region),
        scope=Scope.system(),
    )  # fmt: skip
    reports.publish_report(session, report_id=report.id, scope=Scope.system())
    return report.id


def test_a_registered_resource_is_found_with_its_catalog_path(session: Session) -> None:
    set_actor(session, actor="test")
    seed_demo_catalog(session)
    session.commit()
    page = queries.search(session, filters=SearchFilter(q="最低生活保障"), scope=reader())
    hit = page.items[0]
    assert hit.key == "620722-MZ-001"
    assert hit.path == ["数据目录", "民乐县民政局", "最低生活保障对象信息"]
    assert hit.url == "/datahub/catalog?q=620722-MZ-001"
    assert hit.kind == "catalog_resource"
    # found by an item title too, and seen from a township below (shared down the tree)
    assert "620722-GA-001" in find(session, "公民身份号码", reader("620722100"))
    assert find(session, "最低生活保障", reader("510903")) == []


def test_a_changed_resource_is_found_by_its_new_name_and_a_retired_one_not_at_all(
    session: Session,
) -> None:
    set_actor(session, actor="test")
    seed_demo_catalog(session)
    session.commit()
    catalog.update_resource(
        session, code="620722-MZ-002", changes=ResourceUpdate(name="居家养老网格员服务对象"),
        scope=Scope.system(),
    )  # fmt: skip
    session.commit()
    assert find(session, "网格员") == ["620722-MZ-002"]
    catalog.retire_resource(session, code="620722-MZ-002", scope=Scope.system())
    session.commit()
    assert find(session, "网格员") == []


def test_a_draft_report_is_not_found_and_a_published_one_is(session: Session) -> None:
    set_actor(session, actor="test")
    draft = reports.create_report(
        session, spec=ReportCreate(title="占道经营整治草稿", body_html="<p>网格员巡查</p>",
                                   region_code="620722"),
        scope=Scope.system(),
    )  # fmt: skip
    session.commit()
    assert find(session, "占道经营") == []
    assert find(session, "占道经营", Scope.system()) == []  # not even the system: not indexed
    reports.publish_report(session, report_id=draft.id, scope=Scope.system())
    session.commit()
    assert find(session, "占道经营") == [str(draft.id)]
    reports.withdraw_report(session, report_id=draft.id, reason="更正", scope=Scope.system())
    session.commit()
    assert find(session, "占道经营") == []


def _index(session: Session) -> list[tuple[Any, ...]]:
    session.expire_all()
    rows = session.execute(select(SearchDocument).order_by(SearchDocument.kind, SearchDocument.key))
    return [
        (d.kind, d.key, d.title, d.body, d.path, d.url, d.region_code, d.department_code,
         d.permission, d.shared_down, d.updated_at, d.segmenter, d.title_terms, d.body_terms)
        for d in rows.scalars()
    ]  # fmt: skip


def test_reindex_equals_the_incremental_index(session: Session) -> None:
    set_actor(session, actor="test")
    seed_demo_catalog(session)
    session.commit()
    catalog.retire_resource(session, code="620722-GA-002", scope=Scope.system())
    catalog.update_resource(
        session, code="620722-WJ-001", changes=ResourceUpdate(summary="家庭医生与网格员联动"),
        scope=Scope.system(),
    )  # fmt: skip
    kept = publish_report(session, "一网统管周报", "<p>本周<b>好差评</b>满意率上升</p>")
    gone = publish_report(session, "已撤回的专报", "<p>内容</p>", region="510903")
    reports.withdraw_report(session, report_id=gone, reason="", scope=Scope.system())
    session.commit()
    incremental = _index(session)
    assert ("report", str(kept)) in {(row[0], row[1]) for row in incremental}
    assert not any(row[1] in ("620722-GA-002", str(gone)) for row in incremental)
    counts = service.reindex(session, providers=domains.search_providers())
    session.commit()
    assert _index(session) == incremental
    assert counts == {"catalog_resource": 8, "report": 1, "indicator": 0}


def test_reindex_drops_documents_their_owner_no_longer_has(session: Session) -> None:
    set_actor(session, actor="test")
    publish_report(session, "一网统管周报", "<p>正文</p>")
    session.commit()
    session.add(
        SearchDocument(
            kind="report", key="999999", title="孤儿", body="", path="[]", url="",
            region_code="620722", department_code=None, permission="reports:read",
            shared_down=False, updated_at=None, indexed_at=utcnow(),
            segmenter="jieba", title_terms="孤儿", body_terms="",
        )
    )  # fmt: skip
    session.commit()
    assert find(session, "孤儿") == ["999999"]
    service.reindex(session, providers=domains.search_providers(), kinds=["report"])
    session.commit()
    assert find(session, "孤儿") == []
    assert find(session, "一网统管") != []
