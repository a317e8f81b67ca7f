"""A two-region, two-department world for the cross-scope tests (no tests here).

Built once per test module through the real services, inside an outer transaction on its own
connection (the pattern of ``tests/datahub/masterdata/masterdata_fixtures.py``); every test runs
in a savepoint of it that is rolled back, so a request that wrongly changed something cannot
hide a leak from the next test.

Regions 620722 (民乐县) and 510903 (船山区). In each: departments GA and MZ, which have users and
provide a resource of persons each (ingested, one bad row: a batch, its report, a rectification
order with quarantined rows), and SJ, a provider without users, whose two resources GA and MZ
ask to share (one request left pending, one approved into a grant). Master data (persons and
legal entities) are built from those resources. Users: an analyst (no department) of each
region, a handler of each department, a sysadmin and a secadmin of each region, each signed in
through a real session; an API key per region.

Every object carries a *marker*: a string that appears in its data (a name, a description) but
never in a URL, so a test can assert that a refused answer does not carry it.
"""

from __future__ import annotations

import csv
import itertools
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore, open_hub
from citybrain.boards.schemas import ScreenCreate
from citybrain.boards.service import create_screen as register_screen
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings
from citybrain.core.context import set_actor
from citybrain.core.db import make_session_factory
from citybrain.core.scope import Scope
from citybrain.core.security import Principal
from citybrain.datahub.catalog.schemas import ResourceCreate
from citybrain.datahub.catalog.service import register_resource
from citybrain.datahub.datasources.schemas import DatasourceCreate
from citybrain.datahub.datasources.service import create_source
from citybrain.datahub.ingest import service as ingest_service
from citybrain.datahub.ingest.resources import field_cipher
from citybrain.datahub.masterdata import persist, review
from citybrain.datahub.masterdata import service as masterdata_service
from citybrain.datahub.masterdata.build import survivors, write_touched_masters
from citybrain.datahub.masterdata.linking import BandPair
from citybrain.datahub.masterdata.models import (
    MasterdataEntity,
    MasterdataPerson,
    MasterdataReviewPair,
)
from citybrain.datahub.masterdata.persist import PERSON_TABLES
from citybrain.datahub.masterdata.sources import read_person_records, source_info
from citybrain.datahub.masterdata.writing import link_row
from citybrain.datahub.quality.validators import id_check_char
from citybrain.datahub.sharing import service as sharing_service
from citybrain.datahub.sharing.rules import china_today
from citybrain.iam import apikeys, auth, sessions
from citybrain.iam import service as iam_service
from citybrain.iam.departments import ensure_department
from citybrain.messages import admin as messages_admin
from citybrain.messages import admin_templates
from citybrain.messages import service as messages
from citybrain.messages.audience import Audience
from citybrain.messages.models import MessageOutbox
from citybrain.messages.schemas import ChannelCreate, TagCreate, TemplateCreate
from citybrain.reports import service as reports_service
from citybrain.reports.schemas import ReportCreate
from hub_testing import hub_settings

REGIONS = ("620722", "510903")
DEPARTMENTS = ("GA", "MZ")  # the two departments with users in each region
REGION_NAMES = {"620722": "民乐县", "510903": "船山区"}
# The persons' 行政区划代码 (the test database holds divisions down to the county).
TOWNS = {"620722": "620722", "510903": "510903"}
PASSWORD = "Cb-idor-2024!pass"
_serial = itertools.count(secrets.randbelow(800_000) + 100_000)
# Hub tables outlive the rolled-back catalog rows, so codes start at a random number.
_codes = itertools.count(secrets.randbelow(800_000) + 100_000)


def _code(department: str) -> str:
    return f"{department}-{next(_codes):06d}"


PERSON_ITEMS: list[dict[str, Any]] = [
    {"name": "name", "title": "姓名", "mask": "name", "sensitivity": "sensitive"},
    {"name": "id_number", "title": "公民身份号码", "mask": "id_number", "sensitivity": "core"},
    {"name": "phone", "title": "联系电话", "mask": "mobile", "sensitivity": "sensitive"},
    {"name": "address", "title": "户籍地址", "mask": "address", "length": 100},
    {"name": "town_code", "title": "行政区划代码"},
]
ENTITY_ITEMS: list[dict[str, Any]] = [
    {"name": "uscc", "title": "统一社会信用代码"},
    {"name": "enterprise_name", "title": "企业名称"},
    {"name": "registered_address", "title": "注册地址", "length": 100},
]
PERSON_HEADER = ["姓名", "公民身份号码", "联系电话", "户籍地址", "行政区划代码"]
ENTITY_HEADER = ["统一社会信用代码", "企业名称", "注册地址"]
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc(body17: str) -> str:
    """A GB 32100 code with its check character."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return body17 + USCC_ALPHABET[(31 - total % 31) % 31]


def person_id(region: str, n: int) -> str:
    body = f"{region}19850307{n % 1000:03d}"
    return body + id_check_char(body)


@dataclass
class Cell:
    """The objects of one department (region + department code)."""

    region: str
    department: str
    marker: str
    resource_code: str = ""
    batch_id: int = 0
    report_id: int = 0
    order_id: int = 0
    pending_request_id: int = 0
    approved_request_id: int = 0
    grant_id: int = 0
    handler_id: int = 0
    handler_username: str = ""
    draft_report_id: int = 0  # 专报 of this department, still a draft (its writers only)
    draft_attachment_id: int = 0
    published_report_id: int = 0  # published: every reader of the region, and search
    published_attachment_id: int = 0
    indicator_code: str = ""
    indicator_app_id: int = 0
    warning_id: int = 0  # 五色预警 of the indicator's value (red: the rule makes every value red)
    feedback_id: int = 0  # 问题反馈 the handler filed on the indicator's value
    message_id: int = 0  # a message in the handler's own inbox (消息中心)
    event_id: int = 0  # 事件 dispatched to this department


@dataclass
class RegionObjects:
    region: str
    marker: str
    person_id: str = ""
    entity_id: str = ""
    review_pair_id: int = 0  # two of the region's persons queued for the stewards' review
    api_key_id: int = 0
    datasource_id: int = 0
    screen_id: int = 0  # 屏端 of the region (its key is the screen's API key)
    sj_resources: tuple[str, str] = ("", "")
    user_ids: dict[str, int] = field(default_factory=dict)  # role → id (analyst, admins)
    # 消息中心: a message the analyst sent, a channel, a template, a push tag, a failed delivery
    sent_message_id: int = 0
    channel_id: int = 0
    template_id: int = 0
    tag_id: int = 0
    delivery_id: int = 0


@dataclass
class Actor:
    key: str
    role: str
    region: str
    department: str | None
    headers: dict[str, str]


@dataclass
class World:
    connection: Connection
    settings: Settings
    cells: dict[tuple[str, str], Cell]
    regions: dict[str, RegionObjects]
    actors: dict[str, Actor]


def _department_code(region: str, short: str) -> str:
    return f"{region}-{short}"


def _register(
    session: Session, *, code: str, provider: str, name: str, items: list[dict[str, Any]],
    key_item: str, share_type: str = "conditional",
) -> str:  # fmt: skip
    spec = ResourceCreate.model_validate(
        {
            "code": code, "name": name, "provider_code": provider, "category": "basic",
            "share_type": share_type, "share_condition": "经审批", "share_method": "api",
            "key_item": key_item, "version_item": "", "items": items,
            "summary": name,
        }
    )  # fmt: skip
    register_resource(session, spec=spec, scope=Scope.system())
    return code


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _user(
    session: Session, *, role: str, region: str, department: str | None, name: str
) -> tuple[int, dict[str, str]]:
    """A ready account (password set, TOTP confirmed for administrators) and a live session."""
    user = iam_service.create_user(
        session, username=name, password=PASSWORD, region_code=region, roles=[role],
        display_name=name, must_change_password=False, department_code=department,
    )  # fmt: skip
    if role in ("sysadmin", "secadmin"):
        secret = auth.enrol_totp(session, user=user).secret
        auth.confirm_totp(session, user=user, code=pyotp.TOTP(secret).at(utcnow()))
    _, token = sessions.start(session, user_id=user.id, source_ip="testclient")
    return user.id, {"Authorization": f"Bearer {token}"}


def _write_persons(
    session: Session, hub: HubStore, settings: Settings, codes: list[str], serial: int
) -> int:
    """Persons of ``codes`` through the build's own reading and writing of masters and links;
    the id of a review pair queued between two of them (as a linkage run queues one).

    The linkage step (Splink) needs hundreds of records to train, which a world of a few
    rows has not, so each record becomes a master of its own here; what the scope tests need
    is the stored master with the region the build gives it."""
    infos = source_info(session, codes)
    records = read_person_records(hub, infos, field_cipher(settings))
    assignment = {
        r.source_record_id: f"P{next(_codes):06d}{n:06d}" for n, r in enumerate(records, start=1)
    }
    write_touched_masters(
        session, PERSON_TABLES, records, assignment, touched=set(assignment.values()),
        existing=set(), now=utcnow(), survivors_of=lambda rs: survivors(rs, field_cipher(settings)),
    )  # fmt: skip
    now = utcnow()
    persist.write_links(
        session, PERSON_TABLES, refreshed=[],
        inserted=[link_row(r, assignment[r.source_record_id], now, None) for r in records],
    )  # fmt: skip
    left, right = sorted(assignment)[:2]
    review.queue_pairs(session, pairs=[BandPair(left, right, 1.0, 0.67)], run_id=None, now=now)
    return int(
        session.execute(
            select(MasterdataReviewPair.id).where(
                MasterdataReviewPair.record_l == left, MasterdataReviewPair.record_r == right
            )
        ).scalar_one()
    )


def _write_reports(session: Session, cell: Cell, region_marker: str, settings: Settings) -> None:
    """A draft and a published 专报 of the cell's department, each with an attachment. The
    draft carries the department's marker; the published one, seen by the whole region, the
    region's."""
    ids = []
    for what, marker in (("草稿", cell.marker), ("已发", region_marker)):
        report = reports_service.create_report(
            session,
            spec=ReportCreate(
                title=f"专报{what}{marker}", body_html=f"<p>网格员{marker}</p>",
                region_code=cell.region, department_code=cell.department,
            ),
            scope=Scope.system(),
        )  # fmt: skip
        attachment = reports_service.add_attachment(
            session, report_id=report.id, filename=f"{marker}.txt",
            data=marker.encode(), scope=Scope.system(), settings=settings,
        )  # fmt: skip
        ids.append((report.id, attachment.id))
    (cell.draft_report_id, cell.draft_attachment_id), published = ids
    cell.published_report_id, cell.published_attachment_id = published
    reports_service.publish_report(session, report_id=published[0], scope=Scope.system())


def _write_event(session: Session, cell: Cell) -> None:
    """An event of the cell's region, dispatched to its department (its handlers see it)."""
    from citybrain.events import service as events_service
    from citybrain.events.schemas import EventCreate, EventTransition
    from citybrain.events.workflow import EventAction

    event = events_service.create_event(
        session, spec=EventCreate(title=f"事件{cell.marker}", description=cell.marker,
                                  region_code=cell.region, reporter_phone="13900000009"),
        scope=Scope.system(),
    )  # fmt: skip
    events_service.transition(
        session, event_id=event.id, scope=Scope.system(),
        change=EventTransition(action=EventAction.dispatch, department_code=cell.department),
    )  # fmt: skip
    cell.event_id = event.id


def _indicators(
    session: Session, hub: HubStore, settings: Settings, region: str, objects: RegionObjects,
    cells: dict[tuple[str, str], Cell], serial: int,
) -> None:  # fmt: skip
    """A published indicator (with values) and an application per department of ``region``."""
    from citybrain.analytics.hub import table_name
    from citybrain.indicators import apps, runs, service
    from citybrain.indicators.feedback import service as feedback
    from citybrain.indicators.feedback.schemas import IndicatorFeedbackCreate
    from citybrain.indicators.schemas import AppCreate, BoardCreate, IndicatorCreate, SetCreate
    from citybrain.indicators.warnings import service as warnings
    from citybrain.indicators.warnings.models import IndicatorWarning
    from citybrain.indicators.warnings.schemas import IndicatorWarningRuleSpec
    from citybrain.indicators.workflow import Action

    always_red = IndicatorWarningRuleSpec.model_validate(
        {"bands": [{"colour": "red", "upper": 1e12}, {"colour": "green", "lower": 1e12}]}
    )

    def as_(name: str) -> Scope:
        return Scope(region_code=region, all_departments=True, actor=f"{name}{serial}")

    board = service.create_board(
        session, spec=BoardCreate(code=f"idor_b{region}_{serial}", name=f"板块{objects.marker}"),
        scope=as_("a"),
    )  # fmt: skip
    item = service.create_set(
        session, spec=SetCreate(code=f"idor_s{region}_{serial}", board_code=board.code,
                                name=f"指标集{objects.marker}"), scope=as_("a"),
    )  # fmt: skip
    for short in DEPARTMENTS:
        cell = cells[(region, short)]
        code = f"idor_{short.lower()}{region}_{serial}"
        sql = (f"SELECT town_code AS region_code, 2024 AS period, count(*) AS value"
               f" FROM {table_name(cell.resource_code)} GROUP BY town_code")  # fmt: skip
        spec = IndicatorCreate(
            code=code, name=f"指标{cell.marker}", set_code=item.code, caliber=cell.marker,
            owner_department_code=cell.department, sql_text=sql, region_level="county",
            granularity="year", update_frequency="yearly",
        )  # fmt: skip
        service.create_indicator(session, spec=spec, scope=as_("a"), hub=hub, settings=settings)
        service.review(session, code=code, action=Action.submit, scope=as_("a"))
        service.review(session, code=code, action=Action.approve, scope=as_("b"))
        service.review(session, code=code, action=Action.publish, scope=as_("b"))
        warnings.save_rule(session, code=code, region_code=None, spec=always_red, scope=as_("a"))
        queued = runs.queue_runs(session, codes=[code], period_from="2024", period_to="2024",
                                 trigger="manual", scope=Scope.system())  # fmt: skip
        session.flush()
        factory = make_session_factory(session.connection())
        done = runs.execute_batch(
            factory, batch_key=queued[0].batch_key, hub=hub, settings=settings
        )
        assert [o.status.value for o in done] == ["ok"], done
        cell.indicator_code = code
        cell.warning_id = session.execute(
            select(IndicatorWarning.id).where(IndicatorWarning.region_code == region)
            .where(IndicatorWarning.department_code == cell.department)
        ).scalar_one()  # fmt: skip
        filer = Scope(region_code=region, department_code=cell.department,
                      actor=cell.handler_username)  # fmt: skip
        cell.feedback_id = feedback.file_feedback(
            session, spec=IndicatorFeedbackCreate(indicator_code=code, period="2024",
                                                  content=f"数值有误{cell.marker}"),
            scope=filer, filer_user_id=cell.handler_id,
        ).id  # fmt: skip
        app = apps.create_app(
            session, spec=AppCreate(name=f"应用{cell.marker}", app_type="大屏", requester="张三",
                                    phone="13900000001", department_code=cell.department,
                                    description=cell.marker),
            scope=Scope.system(), settings=settings,
        )  # fmt: skip
        cell.indicator_app_id = app.id


def build_world(session: Session, settings: Settings, folder: Path) -> World:
    hub = open_hub(settings)
    cells: dict[tuple[str, str], Cell] = {}
    regions: dict[str, RegionObjects] = {}
    actors: dict[str, Actor] = {}
    serial = next(_serial)
    for region in REGIONS:
        objects = RegionObjects(region, marker=f"区域标记{region}{serial}")
        regions[region] = objects
        sj = _department_code(region, "SJ")
        ensure_department(session, code=sj, name=f"{REGION_NAMES[region]}大数据局",
                          short_name="大数据", region_code=region)  # fmt: skip
        objects.sj_resources = (
            _register(session, code=_code(sj), provider=sj, key_item="id_number",
                      name=f"共享资源一{objects.marker}", items=PERSON_ITEMS),
            _register(session, code=_code(sj), provider=sj, key_item="id_number",
                      name=f"共享资源二{objects.marker}", items=PERSON_ITEMS),
        )  # fmt: skip
        person_codes, entity_codes = [], []
        for index, short in enumerate(DEPARTMENTS):
            department = _department_code(region, short)
            ensure_department(session, code=department, name=f"{REGION_NAMES[region]}{short}局",
                              short_name=short, region_code=region)  # fmt: skip
            cell = Cell(region, department, marker=f"部门标记{department}{serial}")
            cells[(region, short)] = cell
            cell.resource_code = _register(
                session, code=_code(department), provider=department,
                name=f"人口资源{cell.marker}", items=PERSON_ITEMS, key_item="id_number",
            )  # fmt: skip
            good = [
                [f"{cell.marker}甲", person_id(region, index * 10 + 1), "13900000001",
                 f"{cell.marker}路1号", TOWNS[region]],
                [f"{cell.marker}乙", person_id(region, index * 10 + 2), "13900000002",
                 f"{cell.marker}路2号", TOWNS[region]],
            ]  # fmt: skip
            bad = [[f"{cell.marker}坏", "12345", "13900000003",
                    f"{cell.marker}路3号", TOWNS[region]]]  # fmt: skip
            path = _write(folder / f"{department}.csv", PERSON_HEADER, good + bad)
            result = ingest_service.ingest_file(
                session, resource_code=cell.resource_code, path=path, store=hub,
                settings=settings,
            )  # fmt: skip
            assert result.order_id is not None, result
            assert result.inserted_rows == 2, result
            cell.batch_id, cell.order_id = result.batch_id, result.order_id
            cell.report_id = result.report_id or 0
            person_codes.append(cell.resource_code)
            entity_code = _register(
                session, code=_code(department), provider=department,
                name=f"法人资源{cell.marker}", items=ENTITY_ITEMS, key_item="uscc",
            )  # fmt: skip
            body = f"91{region}MA{index}{serial % 100000:05d}"[:17].ljust(17, "1")
            company = [uscc(body), f"{objects.marker}{short}公司", f"{objects.marker}大道"]
            _write(folder / f"{department}-e.csv", ENTITY_HEADER, [company])
            ingest_service.ingest_file(
                session, resource_code=entity_code, path=folder / f"{department}-e.csv",
                store=hub, settings=settings,
            )  # fmt: skip
            entity_codes.append(entity_code)
            # Sharing: this department asks for SJ's two resources; the second is approved.
            today = china_today(utcnow())
            asked = {
                "requester_code": department, "items": ["name", "address"],
                "purpose": "核查", "legal_basis": "《社会救助暂行办法》",
                "period_start": today, "period_end": today.replace(year=today.year + 1),
                "scope": Scope.system(),
            }  # fmt: skip
            pending = sharing_service.request_share(
                session, resource_code=objects.sj_resources[0], **asked
            )
            cell.pending_request_id = pending.request.id
            second = sharing_service.request_share(
                session, resource_code=objects.sj_resources[1], **asked
            )
            approved = sharing_service.approve(
                session, request_id=second.request.id, note="同意", scope=Scope.system()
            )
            assert approved.grant is not None
            cell.approved_request_id, cell.grant_id = second.request.id, approved.grant.id
            _write_reports(session, cell, objects.marker, settings)
            _write_event(session, cell)
            cell.handler_username = f"h{short.lower()}{region}{serial}"
            cell.handler_id, headers = _user(
                session, role="handler", region=region, department=department,
                name=cell.handler_username,
            )  # fmt: skip
            actors[f"handler@{region}/{short}"] = Actor(
                f"handler@{region}/{short}", "handler", region, department, headers
            )
        _indicators(session, hub, settings, region, objects, cells, serial)
        objects.review_pair_id = _write_persons(session, hub, settings, person_codes, serial)
        masterdata_service.rebuild_entities(session, hub=hub, resource_codes=entity_codes)
        objects.person_id = session.execute(
            select(MasterdataPerson.master_id).where(MasterdataPerson.region_code.startswith(region))
        ).scalars().first() or ""  # fmt: skip
        objects.entity_id = session.execute(
            select(MasterdataEntity.master_id).where(MasterdataEntity.region_code.startswith(region))
        ).scalars().first() or ""  # fmt: skip
        assert objects.person_id, "persons were not built"
        assert objects.entity_id, "entities were not built"
        for role in ("analyst", "sysadmin", "secadmin"):
            user_id, headers = _user(
                session, role=role, region=region, department=None,
                name=f"{role[:3]}{region}{serial}",
            )  # fmt: skip
            objects.user_ids[role] = user_id
            actors[f"{role}@{region}"] = Actor(f"{role}@{region}", role, region, None, headers)
        key, _ = apikeys.create_api_key(
            session, name=f"部门系统{objects.marker}", region_code=region,
            scopes=["catalog:read", "indicators:read"],
        )  # fmt: skip
        objects.api_key_id = key.id
        source = create_source(
            session,
            spec=DatasourceCreate(
                name=f"数据源{objects.marker}", driver="postgresql", host="127.0.0.1",
                database="test", username="postgres", description=objects.marker,
            ),
            region_code=region,
            settings=settings.model_copy(update={"outbound_allowed_networks": "127.0.0.1/32"}),
        )  # fmt: skip
        objects.datasource_id = source.id
        screen = register_screen(
            session,
            spec=ScreenCreate(name=f"屏端{objects.marker}", region_code=region,
                              boards=["economy-society"]),
            scope=Scope.system(),
        )  # fmt: skip
        objects.screen_id = screen.id
        _messages(session, settings, objects, [c for c in cells.values() if c.region == region])
    session.flush()
    return World(session.connection(), settings, cells, regions, actors)


def _messages(
    session: Session, settings: Settings, objects: RegionObjects, cells: list[Cell]
) -> None:
    """The message centre's objects of a region: a message in each handler's inbox, and the
    analyst's sent message with its (failed) delivery on the region's channel."""
    region, marker = objects.region, objects.marker
    opened = settings.model_copy(update={"outbound_allowed_networks": "127.0.0.1/32"})
    scope = Scope(region_code=region)
    channel = messages_admin.create_channel(
        session, scope=scope, settings=opened,
        spec=ChannelCreate(name=f"渠道{marker}", kind="webhook", url="http://127.0.0.1:9/hook"),
    )  # fmt: skip
    objects.channel_id = channel.id
    objects.template_id = admin_templates.create_template(
        session, scope=scope,
        spec=TemplateCreate(code=f"t{next(_codes)}", name=f"模板{marker}",
                            title_template=f"模板{marker}", body_template="{{ body }}"),
    ).id  # fmt: skip
    analyst = objects.user_ids["analyst"]
    objects.tag_id = admin_templates.create_tag(
        session, scope=scope, spec=TagCreate(name=f"标签{marker}", user_ids=[analyst])
    ).id
    for cell in cells:
        cell.message_id = messages.send(
            session, scope=Scope.system(), sender=None, audience=Audience(users=(cell.handler_id,)),
            title=f"待办{cell.marker}", body=cell.marker,
        ).message.id  # fmt: skip
    sender = Principal(kind="user", id=analyst, name=f"ana{region}", region_code=region)
    sent = messages.send(
        session, scope=scope, sender=sender, audience=Audience(users=(cells[0].handler_id,)),
        title=f"通知{marker}", body=marker, channels=[channel.id],
    )  # fmt: skip
    objects.sent_message_id = sent.message.id
    delivery = session.execute(
        select(MessageOutbox).where(MessageOutbox.message_id == sent.message.id)
    ).scalar_one()
    delivery.state, delivery.last_error = "failed", marker
    objects.delivery_id = delivery.id


@pytest.fixture(scope="module")
def world(
    engine: Engine, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    home = tmp_path_factory.mktemp("idor-world")
    world_settings = hub_settings(settings, home)
    conn = engine.connect()
    outer = conn.begin()
    try:
        factory = make_session_factory(conn)
        with factory() as session, session.begin():
            set_actor(session, actor="test:idor", role="cli")
            built = build_world(session, world_settings, home)
        built.connection = conn
        yield built
    finally:
        outer.rollback()
        conn.close()


@pytest.fixture(scope="module")
def api(world: World) -> Iterator[TestClient]:
    """One app for the module, on the world's connection (each test adds a savepoint)."""
    from citybrain.app import create_app

    app = create_app(world.settings, session_factory=make_session_factory(world.connection))
    with TestClient(app) as client:
        yield client


@pytest.fixture(autouse=True)
def _savepoint(world: World) -> Iterator[None]:
    savepoint = world.connection.begin_nested()
    try:
        yield
    finally:
        if savepoint.is_active:
            savepoint.rollback()


@pytest.fixture
def connection(world: World) -> Connection:
    """Tests that also want ``session`` get one on the world's connection."""
    return world.connection
