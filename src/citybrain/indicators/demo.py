# ruff: noqa: S608 - indicator definitions (text checked by sqlcheck) built from constants
"""The demo's first indicators over 民乐县's hub tables (低保, 家庭医生签约, 参保, 企业登记),
defined, reviewed by a second person, published and computed for the last 24 months of the demo
data through the real services, so the indicator pages are not empty. Idempotent: indicators that
exist are left alone (the later demo of 40 indicators adds to the same boards)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore, table_name
from citybrain.core.config import Settings
from citybrain.core.db import make_session_factory
from citybrain.core.errors import BadInput, NotFound
from citybrain.core.scope import Scope
from citybrain.indicators import demo_catalog as catalog
from citybrain.indicators import runs, service
from citybrain.indicators.models import Indicator, IndicatorBoard, IndicatorSet
from citybrain.indicators.schemas import BoardCreate, IndicatorCreate, SetCreate
from citybrain.indicators.warnings import service as warning_service
from citybrain.indicators.warnings.rules import Colour
from citybrain.indicators.warnings.schemas import IndicatorWarningBand, IndicatorWarningRuleSpec
from citybrain.indicators.workflow import Action

AUTHOR, APPROVER = "demo_analyst", "demo_leader"
MISSING_DATA = frozenset({"hub_table_missing", "unknown_table", "department_not_found"})
BOARDS: tuple[tuple[str, str, str], ...] = (
    ("jjshfz", "经济和社会发展", "全县经济运行、社会保障与市场主体"),
)
SETS = (
    ("shbz", "jjshfz", "社会保障", "低保、养老、医疗与社保"),
    ("sczt", "jjshfz", "市场主体", "企业登记与经营"),
)
MONTHS = ("2022-07", "2024-06")
QUARTERS = ("2022Q3", "2024Q2")
YEARS = ("2019", "2024")


@dataclass(frozen=True)
class DemoIndicator:
    code: str
    name: str
    set_code: str
    department: str
    fields: dict[str, Any]


def _month_count(table: str, column: str, value: str = "count(*)", where: str = "") -> str:
    condition = f" WHERE {where}" if where else ""
    return (
        f"SELECT town_code AS region_code, date_trunc('month', {column}) AS period,"
        f" {value} AS value FROM {table}{condition}"
        f" GROUP BY town_code, date_trunc('month', {column})"
    )


def indicators(region: str) -> list[DemoIndicator]:
    mz, wj, rs, sj = (table_name(f"{region}-{s}") for s in ("MZ-001", "WJ-001", "RS-001", "SJ-001"))
    return [
        DemoIndicator("mz_dibao_new", "新增低保对象数", "shbz", "MZ", {
            "sql_text": _month_count(mz, "approved_on"), "unit": "人",
            "caliber": "按批准日期所在月份统计的新批准城乡最低生活保障对象人数, 按所属乡镇汇总",
        }),
        DemoIndicator("mz_dibao_allowance", "新增低保月保障金额", "shbz", "MZ", {
            "sql_text": _month_count(mz, "approved_on", "sum(allowance)"), "unit": "元",
            "caliber": "当月新批准低保对象的月保障金额合计",
        }),
        DemoIndicator("wj_signing_new", "家庭医生新增签约人数", "shbz", "WJ", {
            "sql_text": _month_count(wj, "signed_on"), "unit": "人",
            "caliber": "按签约日期所在月份统计的家庭医生新签约居民人数",
            "update_frequency": "daily",
        }),
        DemoIndicator("rs_payment_rate", "参保缴费正常率", "shbz", "RS", {
            "sql_text": (
                "SELECT town_code AS region_code, year(insured_on) AS period,"
                " sum(CASE WHEN payment_status = '正常' THEN 1 ELSE 0 END) * 100.0 / count(*)"
                " AS value, sum(CASE WHEN payment_status = '正常' THEN 1 ELSE 0 END) AS numerator,"
                f" count(*) AS denominator FROM {rs} GROUP BY town_code, year(insured_on)"
            ),
            "unit": "%", "granularity": "year", "rollup": "ratio", "ratio_scale": 100,
            "update_frequency": "yearly",
            "caliber": (
                "按参保年度, 缴费状态为正常的参保人次占全部参保人次的比例 (上级区域按分子分母汇总)"
            ),
        }),
        DemoIndicator("sj_new_enterprises", "新登记企业数", "sczt", "SJ", {
            "sql_text": (
                f"SELECT '{region}' AS region_code, date_trunc('month', established_on) AS period,"
                f" count(*) AS value FROM {sj} GROUP BY date_trunc('month', established_on)"
            ),
            "unit": "户", "region_level": "county",
            "caliber": "按成立日期所在月份统计的本县新登记企业户数 (含其后注销、吊销的企业)",
        }),
        DemoIndicator("mz_dibao_avg_allowance", "新增低保人均月保障金额", "shbz", "MZ", {
            "kind": "derived", "sql_text": "", "unit": "元",
            "formula": "round(mz_dibao_allowance / nullif(mz_dibao_new, 0), 2)",
            "caliber": "新增低保月保障金额 ÷ 新增低保对象数",
        }),
    ]  # fmt: skip


def _scope(region: str, actor: str) -> Scope:
    return Scope(region_code=region, all_departments=True, actor=actor)


def _ensure_tree(session: Session, region: str, author: Scope) -> None:
    for code, name, description in (*BOARDS, *catalog.BOARDS):
        if (
            session.execute(select(IndicatorBoard.id).where(IndicatorBoard.code == code)).first()
            is None
        ):
            spec = BoardCreate(code=code, name=name, description=description, region_code=region)
            service.create_board(session, spec=spec, scope=author)
    for code, board, name, description in (*SETS, *catalog.SETS):
        if (
            session.execute(select(IndicatorSet.id).where(IndicatorSet.code == code)).first()
            is None
        ):
            spec_set = SetCreate(code=code, board_code=board, name=name, description=description)
            service.create_set(session, spec=spec_set, scope=author)


def all_demo_indicators(region: str) -> list[DemoIndicator]:
    """The first demo indicators, then the catalog's (bases before the derived ones)."""
    listed = [
        DemoIndicator(c.code, c.name, c.set_code, c.department, c.fields)
        for c in catalog.indicators(region)
    ]
    return indicators(region) + sorted(listed, key=lambda i: i.fields.get("kind") == "derived")


def seed_demo_indicators(session: Session, settings: Settings, *, hub: HubStore) -> list[str]:
    """Define, publish and compute the demo indicators that do not exist yet; returns their
    codes. Side effects: boards, sets, indicators, revisions, runs and values (audited)."""
    region = settings.demo_region
    author, approver = _scope(region, AUTHOR), _scope(region, APPROVER)
    _ensure_tree(session, region, author)
    existing = set(session.execute(select(Indicator.code)).scalars())
    created = []
    for item in all_demo_indicators(region):
        if item.code in existing:
            continue
        data = {
            "code": item.code, "name": item.name, "set_code": item.set_code,
            "owner_department_code": f"{region}-{item.department}", "region_code": region,
            "region_level": "town", "granularity": "month", **item.fields,
        }  # fmt: skip
        try:
            service.create_indicator(
                session, spec=IndicatorCreate.model_validate(data), scope=author, hub=hub,
                settings=settings,
            )  # fmt: skip
        except NotFound:
            continue  # the department's data was not loaded
        except BadInput as exc:
            if exc.code not in MISSING_DATA:
                raise
            continue  # its hub table is not loaded (a demo without that department's data)
        service.review(session, code=item.code, action=Action.submit, scope=author)
        service.review(session, code=item.code, action=Action.approve, note="演示", scope=approver)
        service.review(session, code=item.code, action=Action.publish, scope=approver)
        created.append(item.code)
    if created:
        # Rules before the runs: each run colours its values in a transaction of its own. A
        # rule saved after them would colour (and escalate) inside the caller's long
        # transaction, where a nested commit delivers its pending domain events (the search
        # index) to a second connection that must wait for this transaction's write lock.
        _warning_rules(session, region, created, author)
        _compute(session, settings, hub, created)
    return created


def warning_spec(hint: catalog.Hint, direction: str) -> IndicatorWarningRuleSpec:
    """Three bands from a catalog hint: green past ``warn``, yellow between, red past
    ``alarm`` (on the indicator's bad side)."""
    good, middle, bad = Colour.green, Colour.yellow, Colour.red
    if direction == "lower":
        bands = [(good, None, hint.warn), (middle, hint.warn, hint.alarm), (bad, hint.alarm, None)]
    else:
        bands = [(bad, None, hint.alarm), (middle, hint.alarm, hint.warn), (good, hint.warn, None)]
    return IndicatorWarningRuleSpec(
        bands=[IndicatorWarningBand(colour=c, lower=lo, upper=up) for c, lo, up in bands]
    )


def _warning_rules(session: Session, region: str, codes: list[str], author: Scope) -> None:
    """The catalog's threshold hints as the new indicators' warning rules (saving one colours
    every current value; red streaks escalate to the county's leaders)."""
    hints = {c.code: c for c in catalog.indicators(region) if c.hint is not None}
    for code in codes:
        entry = hints.get(code)
        if entry is None or entry.hint is None:
            continue
        direction = str(entry.fields.get("direction", "higher"))
        spec = warning_spec(entry.hint, direction)
        warning_service.save_rule(session, code=code, region_code=None, spec=spec, scope=author)


WINDOWS = {"month": MONTHS, "quarter": QUARTERS, "year": YEARS}


def _compute(session: Session, settings: Settings, hub: HubStore, codes: list[str]) -> None:
    """Runs on the caller's connection (their short transactions become savepoints); one batch
    per granularity over the demo window, derived indicators after their inputs."""
    rows = session.execute(
        select(Indicator.code, Indicator.granularity).where(Indicator.code.in_(codes))
    )
    by_granularity: dict[str, list[str]] = {}
    for code, granularity in rows:
        by_granularity.setdefault(granularity, []).append(code)
    factory = make_session_factory(session.connection())
    for granularity, wanted in sorted(by_granularity.items()):
        first, last = WINDOWS[granularity]
        queued = runs.queue_runs(
            session, codes=wanted, period_from=first, period_to=last, trigger="demo",
            scope=Scope.system(),
        )  # fmt: skip
        session.flush()
        runs.execute_batch(factory, batch_key=queued[0].batch_key, hub=hub, settings=settings)
