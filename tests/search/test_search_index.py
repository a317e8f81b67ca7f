"""The index on the real database (SQLite FTS5 or PostgreSQL full text): documents arrive by
domain event after commit, and every read is scoped by region, permission and department."""

from __future__ import annotations

import pytest
from search_fixtures import Publish, document, reader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.core import domain_events
from citybrain.core.scope import Scope
from citybrain.search import queries, service
from citybrain.search.config import SearchSettings, Segmenter
from citybrain.search.contract import REMOVED, SearchableDocument
from citybrain.search.models import SearchDocument
from citybrain.search.schemas import SearchFilter


def find(session: Session, q: str, scope: Scope, **more: object) -> list[str]:
    page = queries.search(session, filters=SearchFilter(q=q, **more), scope=scope)  # type: ignore[arg-type]
    return [hit.key for hit in page.items]


def test_a_document_of_another_region_is_never_found(session: Session, publish: Publish) -> None:
    publish(key="B-1", region_code="510903", title="船山区网格员名册")
    publish(key="A-1", region_code="620722", title="民乐县网格员名册")
    assert find(session, "网格员", reader("620722")) == ["A-1"]
    assert find(session, "网格员", reader("510903")) == ["B-1"]


def test_a_caller_sees_its_region_and_below_not_above(session: Session, publish: Publish) -> None:
    publish(key="county", region_code="620722", title="县级网格员")
    publish(key="town", region_code="620722100000", title="镇级网格员")  # 12-digit spelling
    assert sorted(find(session, "网格员", reader("620722"))) == ["county", "town"]
    assert find(session, "网格员", reader("620722100")) == ["town"]
    assert find(session, "网格员", reader("620722101")) == []


def test_a_shared_down_document_is_also_seen_from_below(session: Session, publish: Publish) -> None:
    publish(key="city", region_code="6207", title="市级网格员目录", shared_down=True)
    publish(key="city-own", region_code="6207", title="市级网格员台账")
    assert find(session, "网格员", reader("620722")) == ["city"]
    assert find(session, "网格员", reader("510903")) == []


def test_a_caller_without_the_kinds_permission_finds_nothing(
    session: Session, publish: Publish
) -> None:
    publish()
    assert find(session, "网格员", reader("620722", "catalog:read")) == []
    assert find(session, "网格员", reader("620722", "indicators:read")) == ["GDP-001"]
    assert find(session, "网格员", Scope(region_code="620722", all_departments=True)) == []


def test_a_department_document_is_seen_by_its_department_and_the_bureau(
    session: Session, publish: Publish
) -> None:
    publish(key="mz", department_code="620722-MZ", title="民政局网格员")
    publish(key="all", title="全县网格员")
    mz = reader("620722", "indicators:read", department="620722-MZ")
    ga = reader("620722", "indicators:read", department="620722-GA")
    no_department = Scope(region_code="620722", permissions=frozenset({"indicators:read"}))
    assert sorted(find(session, "网格员", mz)) == ["all", "mz"]
    assert find(session, "网格员", ga) == ["all"]
    assert find(session, "网格员", no_department) == ["all"]
    assert sorted(find(session, "网格员", reader("620722"))) == ["all", "mz"]


def test_an_empty_region_sees_nothing_and_the_system_everything(
    session: Session, publish: Publish
) -> None:
    publish()
    assert find(session, "网格员", reader("")) == []
    assert find(session, "网格员", Scope.system()) == ["GDP-001"]


def test_segmentation_finds_a_government_term_inside_running_text(
    session: Session, publish: Publish
) -> None:
    publish(key="k", title="情况通报", body="昨日南古镇网格员巡查发现三处占道经营，已劝离。")
    for q in ("网格员", "占道经营", "网格员 占道经营", "巡查"):
        assert find(session, q, reader()) == ["k"], q
    assert find(session, "网格员 违章建筑", reader()) == []


def test_hits_carry_path_url_and_marked_snippets(session: Session, publish: Publish) -> None:
    publish()
    page = queries.search(session, filters=SearchFilter(q="网格员"), scope=reader())
    hit = page.items[0]
    assert hit.path == ["经济和社会发展", "经济运行", "地区生产总值增速"]
    assert hit.url == "/indicators/GDP-001"
    assert [p.text for p in hit.snippet if p.hit] == ["网格员"]
    assert hit.kind_title == "指标"
    title_hits = queries.search(session, filters=SearchFilter(q="生产总值"), scope=reader())
    assert [p.text for p in title_hits.items[0].title_parts if p.hit] == ["生产总值"]


def test_the_title_ranks_above_the_text(session: Session, publish: Publish) -> None:
    publish(key="in-body", title="月度通报", body="本月占道经营投诉下降。" * 3)
    publish(key="in-title", title="占道经营专项整治", body="整治情况如下。")
    assert find(session, "占道经营", reader()) == ["in-title", "in-body"]


def test_kind_filter_pages_and_counts_per_kind(session: Session, publish: Publish) -> None:
    for n in range(5):
        publish(key=f"i{n}", title=f"网格员指标{n}")
    publish(kind="report", key="r1", title="网格员专报", permission="reports:read")
    page = queries.search(session, filters=SearchFilter(q="网格员", size=2), scope=reader())
    assert page.total == 6
    assert len(page.items) == 2
    assert {(k.kind, k.total) for k in page.kinds} == {("indicator", 5), ("report", 1)}
    only = queries.search(session, filters=SearchFilter(q="网格员", kind="report"), scope=reader())
    assert [h.key for h in only.items] == ["r1"]
    assert only.total == 1
    assert len(only.kinds) == 2  # the counts ignore the kind filter
    last = queries.search(session, filters=SearchFilter(q="网格员", size=2, page=3), scope=reader())
    assert len(last.items) == 2
    seen = {
        h.key
        for p in (1, 2, 3)
        for h in queries.search(
            session, filters=SearchFilter(q="网格员", size=2, page=p), scope=reader()
        ).items
    }
    assert len(seen) == 6


def test_a_changed_event_replaces_and_a_removed_event_deletes(
    session: Session, publish: Publish
) -> None:
    publish(title="旧标题网格员")
    publish(title="新标题占道经营")
    assert session.execute(select(func.count()).select_from(SearchDocument)).scalar_one() == 1
    assert find(session, "旧标题", reader()) == []
    assert find(session, "占道经营", reader()) == ["GDP-001"]
    domain_events.publish(session, REMOVED, kind="indicator", key="GDP-001")
    session.commit()
    assert find(session, "占道经营", reader()) == []


def test_a_rolled_back_change_never_reaches_the_index(session: Session) -> None:
    domain_events.publish(session, "searchable.changed", **document())
    session.rollback()
    assert find(session, "网格员", Scope.system()) == []


@pytest.mark.parametrize(
    "q", ['"', '网格员" OR "x', "NEAR(网格 员)", "*", "'; DROP TABLE x; --", "a:b"]
)
def test_query_syntax_in_the_input_is_just_text(session: Session, publish: Publish, q: str) -> None:
    publish()
    queries.search(session, filters=SearchFilter(q=q), scope=reader())  # no error


@pytest.mark.parametrize("segmenter", list(Segmenter))
def test_both_segmenters_work_on_this_database(session: Session, segmenter: Segmenter) -> None:
    settings = SearchSettings(segmenter=segmenter)
    service.upsert_document(
        session,
        document=SearchableDocument.model_validate(document(body="外卖电动车占道经营问题")),
        settings=settings,
    )
    hits = queries.search(
        session, filters=SearchFilter(q="占道经营"), scope=reader(), settings=settings
    )
    assert [h.key for h in hits.items] == ["GDP-001"]
    # a run that is not a word of the text: found by character pairs, not by jieba's words
    across = queries.search(
        session, filters=SearchFilter(q="车占道"), scope=reader(), settings=settings
    )
    assert len(across.items) == (1 if segmenter == Segmenter.bigram else 0)
