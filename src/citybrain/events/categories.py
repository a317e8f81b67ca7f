"""The editable category taxonomy: seeded from the 12345 taxonomy in the shared data (three
levels) and GB/T 30428's classes of 部件 and 事件 (the standard's major classes; the shared data
holds no GB/T 30428 table, so they are listed here). Administrators rename and switch off
categories; a seeded code never changes meaning."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.core.audit import service as audit
from citybrain.core.config import get_settings
from citybrain.core.errors import NotFound
from citybrain.events.classify.data import taxonomy
from citybrain.events.models import EventCategory
from citybrain.events.schemas import EventCategoryUpdate

SCHEME_12345, SCHEME_PART, SCHEME_EVENT = "12345", "gbt30428_part", "gbt30428_event"
# GB/T 30428.2 管理部件和事件: 部件大类 and 事件大类.
GBT30428_PARTS = ("公用设施", "道路交通", "市容环境", "园林绿化", "房屋土地", "其他设施")
GBT30428_EVENTS = ("市容环境", "宣传广告", "施工管理", "突发事件", "街面秩序", "其他事件")


def seed_categories(session: Session, *, data_dir: Path) -> int:
    """Insert the categories that are missing (idempotent; edits are kept). Returns how many
    were added. Codes: ``12345-LL[MM[NN]]`` by position in the taxonomy file, ``BJ-NN`` and
    ``SJ-NN`` for GB/T 30428."""
    existing = set(session.execute(select(EventCategory.code)).scalars())
    wanted: list[EventCategory] = []

    def add(code: str, scheme: str, name: str, parent: str | None, level: int, n: int) -> None:
        if code not in existing:
            existing.add(code)
            wanted.append(EventCategory(
                code=code, scheme=scheme, name=name, parent_code=parent, level=level,
                active=True, sort_order=n,
            ))  # fmt: skip

    try:
        rows = taxonomy(data_dir)
    except FileNotFoundError:  # an installation without the shared data: GB/T 30428 only
        rows = []
    first: dict[str, str] = {}
    second: dict[tuple[str, str], str] = {}
    third_count: dict[str, int] = {}
    for level1, level2, level3 in rows:
        if level1 not in first:
            first[level1] = f"12345-{len(first) + 1:02d}"
            add(first[level1], SCHEME_12345, level1, None, 1, len(first))
        code1 = first[level1]
        if (level1, level2) not in second:
            n = sum(1 for key in second if key[0] == level1) + 1
            second[(level1, level2)] = f"{code1}{n:02d}"
            add(second[(level1, level2)], SCHEME_12345, level2, code1, 2, n)
        code2 = second[(level1, level2)]
        if level3:
            third_count[code2] = third_count.get(code2, 0) + 1
            n = third_count[code2]
            add(f"{code2}{n:02d}", SCHEME_12345, level3, code2, 3, n)
    for prefix, scheme, names in (("BJ", SCHEME_PART, GBT30428_PARTS),
                                  ("SJ", SCHEME_EVENT, GBT30428_EVENTS)):  # fmt: skip
        for n, name in enumerate(names, start=1):
            add(f"{prefix}-{n:02d}", scheme, name, None, 1, n)
    session.add_all(wanted)
    session.flush()
    return len(wanted)


def ensure_seeded(session: Session, *, data_dir: Path) -> None:
    if not session.execute(select(func.count()).select_from(EventCategory)).scalar_one():
        seed_categories(session, data_dir=data_dir)


def list_categories(session: Session, *, scheme: str | None = None) -> list[EventCategory]:
    """Every category (seeded from the configured data directory on first use)."""
    ensure_seeded(session, data_dir=get_settings().data_dir)
    query = select(EventCategory).order_by(EventCategory.code)
    if scheme:
        query = query.where(EventCategory.scheme == scheme)
    return list(session.execute(query).scalars())


def get_category(session: Session, code: str) -> EventCategory:
    ensure_seeded(session, data_dir=get_settings().data_dir)
    category = session.get(EventCategory, code)
    if category is None:
        raise NotFound(f"事件分类不存在: {code}", code="event_category_not_found", detail=code)
    return category


def first_level_of(session: Session, code: str | None) -> str | None:
    """The first-level 12345 name above ``code`` (the classifier's label), or None."""
    while code:
        category = session.get(EventCategory, code)
        if category is None:
            return None
        if category.parent_code is None:
            return category.name if category.scheme == SCHEME_12345 else None
        code = category.parent_code
    return None


def code_of_first_level(session: Session, name: str) -> str | None:
    query = select(EventCategory.code).where(
        EventCategory.scheme == SCHEME_12345, EventCategory.level == 1, EventCategory.name == name
    )
    return session.execute(query).scalar_one_or_none()


def update_category(session: Session, *, code: str, changes: EventCategoryUpdate) -> EventCategory:
    """Rename or switch a category on or off. Audited as ``event.category.update``."""
    category = get_category(session, code)
    detail: dict[str, object] = {}
    if changes.name is not None and changes.name.strip() != category.name:
        detail["name"] = [category.name, changes.name.strip()]
        category.name = changes.name.strip()
    if changes.active is not None and changes.active != category.active:
        detail["active"] = changes.active
        category.active = changes.active
    if detail:
        session.flush()
        audit.record(
            session, action="event.category.update", object_type="event_category",
            object_id=code, detail=detail,
        )  # fmt: skip
    return category
