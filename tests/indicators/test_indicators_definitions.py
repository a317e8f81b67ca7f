"""Saving definitions: every refusal has its code and nothing is stored; a good one is dry-run
and its source resources come from the catalog."""

from __future__ import annotations

import pytest
from indicator_fixtures import World, author, create, definition, publish
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.core.errors import DomainError
from citybrain.indicators import service
from citybrain.indicators.models import Indicator, IndicatorRevision
from citybrain.indicators.schemas import IndicatorDefinition
from citybrain.indicators.validation import validate


def _count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Indicator)).scalar_one())


def test_a_good_definition_is_dry_run_and_traced_to_the_catalog(
    session: Session, world: World
) -> None:
    spec = definition(world, "t_ok")
    body = IndicatorDefinition.model_validate(spec.model_dump(exclude={"code", "region_code"}))
    result, _ = validate(
        session, body, code="t_ok", region_code="620722", hub=world.hub, settings=world.settings
    )
    assert result.ok, result
    assert result.resources == [world.resource]
    assert result.tables == [world.table]
    assert result.row_count == 8  # 3 towns × 3 months, one missing
    assert result.columns == ["region_code", "period", "value"]
    assert result.period_type == "date"
    assert result.engine == world.hub.backend  # duckdb, or postgresql on the PostgreSQL pass
    row = create(session, world, "t_ok")
    assert row.status == "draft"
    assert row.source_resources == f'["{world.resource}"]'


def _bad(world: World) -> list[tuple[str, dict[str, object]]]:
    sql = world.sql_count()
    return [
        ("sql_parse_error", {"sql_text": "SELECT (1 + FROM x"}),
        ("function_not_allowed", {"sql_text": sql.replace("count(*)", "median(people)")}),
        ("unknown_table", {"sql_text": sql.replace(world.table, "hub_nowhere")}),
        ("unknown_column", {"sql_text": sql.replace("count(*)", "sum(nope)")}),
        ("unknown_column", {"sql_text": sql.replace("count(*)", "count(id_number)")}),  # ciphertext
        ("wrong_output_columns", {"sql_text": sql.replace(" AS value", " AS total")}),
        ("division_by_zero", {"sql_text": sql.replace("count(*)", "count(*) / 0")}),
        ("division_by_zero", {"sql_text": sql.replace("count(*)", "count(*) // 0")}),
        ("wrong_region_level", {"region_level": "village"}),
        ("rollup_mismatch", {"rollup": "ratio"}),
        ("formula_parse_error", {"kind": "derived", "formula": "a +* ("}),
        ("derived_input_missing", {"kind": "derived", "formula": "t_nowhere * 2"}),
    ]


def test_each_bad_definition_is_refused_with_its_code(session: Session, world: World) -> None:
    before = _count(session)
    for code, fields in _bad(world):
        with pytest.raises(DomainError) as caught:
            create(session, world, "t_bad", **fields)
        assert caught.value.code == code, (code, fields, caught.value.message)
        assert caught.value.message
    assert _count(session) == before  # nothing partial stored


def test_a_dry_run_past_its_time_limit_is_refused(session: Session, world: World) -> None:
    t = world.table
    slow = (
        f"SELECT a.town_code AS region_code, date_trunc('month', a.signed_on) AS period,"
        f" sum(a.people * b.people * c.people * d.people * e.people * f.people * g.people) AS value"
        f" FROM {t} a, {t} b, {t} c, {t} d, {t} e, {t} f, {t} g, {t} h"
        f" GROUP BY a.town_code, date_trunc('month', a.signed_on)"
    )
    with pytest.raises(DomainError) as caught:
        create(session, world, "t_slow", sql_text=slow, timeout_seconds=1)
    assert caught.value.code == "timeout"


def test_a_derived_cycle_is_refused(session: Session, world: World) -> None:
    create(session, world, "t_base")
    create(session, world, "t_d1", kind="derived", formula="t_base * 2")
    create(session, world, "t_d2", kind="derived", formula="t_d1 + 1")
    spec = definition(world, "t_d1", kind="derived", formula="t_d2 / 2")
    body = IndicatorDefinition.model_validate(spec.model_dump(exclude={"code", "region_code"}))
    with pytest.raises(DomainError) as caught:
        service.revise_indicator(
            session, code="t_d1", spec=body, scope=author(), hub=world.hub, settings=world.settings
        )
    assert caught.value.code == "derived_cycle"
    assert set(caught.value.detail["cycle"]) >= {"t_d1", "t_d2"}
    with pytest.raises(DomainError) as caught:
        create(session, world, "t_self", kind="derived", formula="t_self + 1")
    assert caught.value.code == "derived_cycle"


def test_review_needs_another_person_and_keeps_diffs(session: Session, world: World) -> None:
    from citybrain.indicators.workflow import Action

    create(session, world, "t_rev")
    service.review(session, code="t_rev", action=Action.submit, scope=author("alice"))
    with pytest.raises(DomainError) as caught:
        service.review(session, code="t_rev", action=Action.approve, scope=author("alice"))
    assert caught.value.code == "reviewer_is_author"
    with pytest.raises(DomainError) as caught:
        service.review(session, code="t_rev", action=Action.publish, scope=author("bob"))
    assert caught.value.code == "bad_review_transition"
    service.review(session, code="t_rev", action=Action.approve, scope=author("bob"))
    service.review(session, code="t_rev", action=Action.publish, scope=author("bob"))
    row = service.get_indicator(session, "t_rev", scope=author())
    assert (row.status, row.live_revision) == ("published", 1)
    # A change of a published indicator is a new draft; the live definition stays until published.
    spec = definition(world, "t_rev", name="新名称", unit="个")
    body = IndicatorDefinition.model_validate(spec.model_dump(exclude={"code", "region_code"}))
    revision = service.revise_indicator(
        session,
        code="t_rev",
        spec=body,
        scope=author("carol"),
        hub=world.hub,
        settings=world.settings,
    )
    assert revision.number == 2
    assert revision.status == "draft"
    assert '"name"' in revision.diff
    assert "新名称" in revision.diff
    assert '"unit"' in revision.diff
    assert row.name == "指标t_rev"
    assert row.status == "published"
    service.review(session, code="t_rev", action=Action.submit, scope=author("carol"))
    with pytest.raises(DomainError) as caught:
        service.revise_indicator(
            session,
            code="t_rev",
            spec=body,
            scope=author("carol"),
            hub=world.hub,
            settings=world.settings,
        )
    assert caught.value.code == "revision_pending"
    service.review(session, code="t_rev", action=Action.approve, scope=author("alice"))
    service.review(session, code="t_rev", action=Action.publish, scope=author("alice"))
    assert (row.name, row.live_revision) == ("新名称", 2)
    statuses = dict(
        session.execute(
            select(IndicatorRevision.number, IndicatorRevision.status).where(
                IndicatorRevision.indicator_id == row.id
            )
        ).all()
    )
    assert statuses == {1: "superseded", 2: "published"}


def test_a_department_author_edits_only_its_own_department(session: Session, world: World) -> None:
    create(session, world, "t_dep")
    publish(session, "t_dep")
    other = author("dave", department="620722-MZ")
    with pytest.raises(DomainError) as caught:
        service.editable_indicator(session, "t_dep", scope=other)
    assert caught.value.code == "indicator_not_found"
    assert (
        service.get_indicator(session, "t_dep", scope=other).code == "t_dep"
    )  # reads are regional
    with pytest.raises(DomainError) as caught:
        create(session, world, "t_dep2") if False else service.create_indicator(
            session,
            spec=definition(world, "t_dep2"),
            scope=other,
            hub=world.hub,
            settings=world.settings,
        )
    assert caught.value.code == "out_of_scope"
