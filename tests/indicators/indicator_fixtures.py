"""A small world for indicator tests, built through the real services: a catalog resource of
family-doctor signings (town, date, amount, status), ingested through the real pipeline into
the hub, a board and a set, and helpers to define, publish and run indicators.

Hub tables outlive the rolled-back catalog rows, so each world gets a fresh resource code.
"""

from __future__ import annotations

import csv
import itertools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore, open_hub, table_name
from citybrain.core.config import Settings
from citybrain.core.db import make_session_factory
from citybrain.core.scope import Scope
from citybrain.datahub.catalog.schemas import ResourceCreate
from citybrain.datahub.catalog.service import register_resource
from citybrain.datahub.ingest import service as ingest_service
from citybrain.iam.departments import ensure_department
from citybrain.indicators import runs, service
from citybrain.indicators.schemas import BoardCreate, IndicatorCreate, SetCreate
from citybrain.indicators.workflow import Action
from citybrain.regions import queries as region_queries

_serial = itertools.count(secrets.randbelow(800_000) + 100_000)
COUNTY = "620722"
ITEMS: list[dict[str, Any]] = [
    {"name": "town_code", "title": "所属乡镇"},
    {"name": "signed_on", "title": "签约日期", "type": "date"},
    {"name": "amount", "title": "金额", "type": "decimal"},
    {"name": "people", "title": "人数", "type": "integer"},
    {"name": "status", "title": "状态"},
    {"name": "id_number", "title": "公民身份号码", "mask": "id_number", "sensitivity": "core"},
]
HEADER = ["所属乡镇", "签约日期", "金额", "人数", "状态", "公民身份号码"]


def author(name: str = "alice", region: str = COUNTY, department: str | None = None) -> Scope:
    return Scope(
        region_code=region,
        department_code=department,
        all_departments=department is None,
        actor=name,
        permissions=frozenset(
            {"indicators:read", "indicators:edit", "indicators:approve", "indicators:run"}
        ),
    )


@dataclass
class World:
    resource: str
    table: str
    towns: list[str]
    board: str
    set: str
    department: str
    hub: HubStore
    settings: Settings
    rows: list[list[str]]

    def sql_count(self) -> str:
        return (
            f"SELECT town_code AS region_code, date_trunc('month', signed_on) AS period,"
            f" count(*) AS value FROM {self.table}"
            " GROUP BY town_code, date_trunc('month', signed_on)"
        )


def rows_for(towns: Sequence[str]) -> list[list[str]]:
    """Three towns × three months; the first town has no row in 2024-03."""
    rows = []
    n = 0
    for t, town in enumerate(towns[:3]):
        for month in (1, 2, 3):
            if t == 0 and month == 3:
                continue
            for k in range(t + month):
                n += 1
                rows.append(
                    [
                        town,
                        f"2024-{month:02d}-{k + 1:02d}",
                        f"{10 * (k + 1) + t}.5",
                        str(k + 1),
                        "在约" if k % 2 == 0 else "解约",
                        _person(n),
                    ]
                )
    return rows


def _person(n: int) -> str:
    from citybrain.datahub.quality.validators import id_check_char

    body = f"62072219800101{n % 1000:03d}"
    return body + id_check_char(body)


def build_world(session: Session, settings: Settings, folder: Path) -> World:
    serial = next(_serial)
    department = f"{COUNTY}-WJ"
    ensure_department(
        session, code=department, name="民乐县卫生健康局", short_name="卫健", region_code=COUNTY
    )
    code = f"{COUNTY}-WJ-{serial:06d}"
    spec = ResourceCreate.model_validate(
        {
            "code": code,
            "name": f"签约记录{serial}",
            "provider_code": department,
            "category": "department",
            "share_type": "conditional",
            "share_condition": "经审批",
            "share_method": "api",
            "key_item": "",
            "version_item": "",
            "items": ITEMS,
            "summary": "测试",
        }
    )
    register_resource(session, spec=spec, scope=Scope.system())
    towns = [r.code for r in region_queries.children(session, COUNTY)][:3]
    rows = rows_for(towns)
    path = folder / f"{serial}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    hub = open_hub(settings)
    result = ingest_service.ingest_file(
        session, resource_code=code, path=path, store=hub, settings=settings
    )
    assert result.loaded_rows == len(rows), result
    board = service.create_board(
        session, spec=BoardCreate(code=f"b{serial}", name="测试板块"), scope=author()
    )
    item = service.create_set(
        session,
        spec=SetCreate(code=f"s{serial}", board_code=board.code, name="测试指标集"),
        scope=author(),
    )
    return World(
        code, table_name(code), towns, board.code, item.code, department, hub, settings, rows
    )


def definition(world: World, code: str, **fields: Any) -> IndicatorCreate:
    data: dict[str, Any] = {
        "code": code,
        "name": f"指标{code}",
        "set_code": world.set,
        "owner_department_code": world.department,
        "sql_text": world.sql_count(),
        "region_level": "town",
        "granularity": "month",
        "unit": "件",
    }
    data.update(fields)
    return IndicatorCreate.model_validate(data)


def create(session: Session, world: World, code: str, **fields: Any) -> Any:
    return service.create_indicator(
        session,
        spec=definition(world, code, **fields),
        scope=author("alice"),
        hub=world.hub,
        settings=world.settings,
    )


def publish(session: Session, code: str) -> None:
    service.review(session, code=code, action=Action.submit, scope=author("alice"))
    service.review(session, code=code, action=Action.approve, scope=author("bob"))
    service.review(session, code=code, action=Action.publish, scope=author("bob"))


def run(
    session: Session, world: World, codes: list[str], first: str, last: str
) -> list[runs.RunOutcome]:
    """Queue and execute a batch on the test's connection (the runs' short transactions become
    savepoints of it)."""
    queued = runs.queue_runs(
        session, codes=codes, period_from=first, period_to=last, trigger="manual", scope=author()
    )
    session.flush()
    factory = make_session_factory(session.connection())
    return runs.execute_batch(
        factory, batch_key=queued[0].batch_key, hub=world.hub, settings=world.settings
    )
