"""The demo county 民乐县 (620722): real divisions and boundary, synthetic grids, demo users and
the data hub's demo departments. Idempotent: a second run changes nothing and prints no
passwords."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.config import Settings
from citybrain.iam import service as iam_service
from citybrain.iam.models import User
from citybrain.regions import service as region_service

DEMO_ROLES = {
    "demo_analyst": ("analyst", "大数据局分析员"),
    "demo_handler": ("handler", "部门办理人"),
    "demo_grid": ("gridworker", "网格员"),
    "demo_commander": ("commander", "指挥中心值班员"),
    "demo_leader": ("leader", "县领导"),
    "demo_viewer": ("viewer", "只读用户"),
    "demo_pii": ("pii_reviewer", "个人信息核查员"),
}


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    role: str
    password: str


def demo_password() -> str:
    """Random, and always inside both password profiles (≥ 12 characters, 4 classes)."""
    return f"Cb-{secrets.token_urlsafe(9)}9a"


def create_demo_users(session: Session, region_code: str) -> list[DemoAccount]:
    """One user per everyday role in the demo county; existing ones are left alone."""
    existing = set(session.execute(select(User.username)).scalars())
    created = []
    for username, (role, title) in DEMO_ROLES.items():
        if username in existing:
            continue
        password = demo_password()
        iam_service.create_user(
            session,
            username=username,
            password=password,
            region_code=region_code,
            roles=[role],
            display_name=title,
            must_change_password=False,
        )
        created.append(DemoAccount(username, role, password))
    return created


DEMO_DEPARTMENTS = {"demo_handler": "MZ"}
"""Department roles see their department's data only: the demo handler works at 民政局, whose
低保 file carries impossible dates and so has a rectification order to answer."""


def assign_demo_departments(session: Session, region_code: str) -> None:
    """Put the demo's department users into their departments (once the departments exist)."""
    for username, suffix in DEMO_DEPARTMENTS.items():
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is not None and user.department_code is None:
            iam_service.set_department(
                session, user=user, department_code=f"{region_code}-{suffix}", actor=None
            )


def demo_grid_user(session: Session) -> tuple[int, str] | None:
    """The demo 网格员 account as (id, display name), when it exists."""
    row = session.execute(
        select(User.id, User.display_name).where(User.username == "demo_grid")
    ).first()
    return None if row is None else (row[0], row[1] or "网格员")


def seed_events(session: Session, settings: Settings) -> None:
    """The event categories and, when none is active, the default classifier from the shared
    data (never downloaded)."""
    from citybrain.events.categories import seed_categories
    from citybrain.events.classify import store
    from citybrain.events.config import get_events_settings

    seed_categories(session, data_dir=settings.data_dir)
    events_settings = get_events_settings()
    store.active_classifier(
        session, data_dir=settings.data_dir, features=events_settings.classifier_features,
        threshold=events_settings.classifier_threshold, train_if_missing=True,
    )  # fmt: skip


def load_demo(session: Session, settings: Settings, *, console: Console) -> None:
    from citybrain.analytics.hub import open_hub
    from citybrain.datahub.demo import load_datahub_demo
    from citybrain.datahub.demo.activity import seed_demo_activity
    from citybrain.datahub.demo.progress import label
    from citybrain.datahub.demo.stats_load import load_stats_demo
    from citybrain.indicators.demo import seed_demo_indicators
    from citybrain.indicators.demo_open import publish_board_datasets
    from citybrain.regions.demo_members import seed_demo_grid_members

    county = settings.demo_region
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("载入行政区划", total=None)

        def report(step: str, done: int, total: int | None) -> None:
            progress.update(task, description=label(step), completed=done, total=total)

        region_service.load_divisions(session, data_dir=settings.data_dir, progress=report)
        progress.update(task, description="生成示意网格")
        region_service.create_synthetic_grids(session, county_code=county)
        accounts = create_demo_users(session, county)
        load_datahub_demo(session, settings, progress=report)
        assign_demo_departments(session, county)
        hub = open_hub(settings)
        load_stats_demo(session, settings, store=hub, progress=report)
        progress.update(task, description="演示指标 (定义、审核、发布与计算)")
        seed_demo_indicators(session, settings, hub=hub)
        publish_board_datasets(session, settings, store=hub)
        progress.update(task, description="演示网格员、共享申请与数据需求")
        seed_demo_grid_members(session, county_code=county, user=demo_grid_user(session))
        seed_demo_activity(session, county)
        progress.update(task, description="事件分类与默认分类模型 (共享数据训练)")
        seed_events(session, settings)
    if accounts:
        table = Table(title="演示账号 (密码只显示这一次)")
        for column in ("用户名", "角色", "密码"):
            table.add_column(column)
        for account in accounts:
            table.add_row(account.username, account.role, account.password)
        console.print(table)
    console.print(f"[green]演示县 {county} 已就绪[/green]")
