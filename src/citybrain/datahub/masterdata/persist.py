"""Bulk writes of a build, shared by persons and entities: links, attributes, masters, merges.

Rows go in as Core executemany inserts (the ORM's bulk insert would fetch generated keys row
by row) and primary-key bulk updates, in chunks, inside the caller's transaction; nothing
commits here.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from citybrain.core.crypto import sm3_hex
from citybrain.core.db import Base
from citybrain.datahub.masterdata.masters import MasterMerge
from citybrain.datahub.masterdata.models import (
    MasterdataEntity,
    MasterdataEntityAttribute,
    MasterdataEntityLink,
    MasterdataLinkageModel,
    MasterdataMerge,
    MasterdataPerson,
    MasterdataPersonAttribute,
    MasterdataPersonLink,
    MasterdataSource,
)

CHUNK = 2000
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Tables:
    """The three tables of one base library."""

    domain: str  # person | entity
    prefix: str  # P | E
    master: type[MasterdataPerson] | type[MasterdataEntity]
    link: type[MasterdataPersonLink] | type[MasterdataEntityLink]
    attribute: type[MasterdataPersonAttribute] | type[MasterdataEntityAttribute]


PERSON_TABLES = Tables(
    "person", "P", MasterdataPerson, MasterdataPersonLink, MasterdataPersonAttribute
)
ENTITY_TABLES = Tables(
    "entity", "E", MasterdataEntity, MasterdataEntityLink, MasterdataEntityAttribute
)


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def existing_links(session: Session, tables: Tables) -> dict[str, tuple[str, int]]:
    """source_record_id → (master id, batch id of the linked version)."""
    link = tables.link
    rows = session.execute(select(link.source_record_id, link.master_id, link.batch_id))
    return {str(r[0]): (str(r[1]), int(r[2])) for r in rows}


def last_issued_number(session: Session, tables: Tables) -> int:
    """The number of the largest master id ever issued, retired ones included (ids are
    zero-padded to one width, so the largest string is the largest number)."""
    largest = session.execute(select(func.max(tables.master.master_id))).scalar_one_or_none()
    if not largest:
        return 0
    digits = str(largest)[len(tables.prefix) :]
    return int(digits) if digits.isdigit() else 0


def apply_merges(
    session: Session, tables: Tables, merges: Sequence[MasterMerge], *, now: datetime
) -> None:
    """Move the links and attributes of each retired master to its survivor, mark it retired
    and record the merge."""
    for merge in merges:
        retired, survivor = merge.retired_master_id, merge.surviving_master_id
        for model in (tables.link, tables.attribute):
            session.execute(
                update(model).where(model.master_id == retired).values(master_id=survivor)
            )
        session.execute(
            update(tables.master)
            .where(tables.master.master_id == retired)
            .values(retired_into=survivor, record_count=0, updated_at=now)
        )
        # A master that had been merged into ``retired`` earlier now points at the survivor.
        session.execute(
            update(tables.master)
            .where(tables.master.retired_into == retired)
            .values(retired_into=survivor)
        )
    if merges:
        session.execute(
            insert(MasterdataMerge),
            [
                {
                    "domain": tables.domain,
                    "retired_master_id": m.retired_master_id,
                    "surviving_master_id": m.surviving_master_id,
                    "merged_at": now,
                }
                for m in merges
            ],
        )


def write_links(
    session: Session,
    tables: Tables,
    *,
    inserted: Sequence[dict[str, Any]],
    refreshed: Sequence[dict[str, Any]],
) -> None:
    """Insert new links; update batch and row of links whose record has a newer version."""
    for part in chunks(inserted):
        session.execute(insert(_table(tables.link)), list(part))
    update_by_key(session, _table(tables.link), "source_record_id", refreshed)


def replace_attributes(
    session: Session,
    tables: Tables,
    *,
    cleared: Sequence[str],
    rows: Sequence[dict[str, Any]],
) -> None:
    """Delete the attributes of the ``cleared`` source records, then insert ``rows``."""
    model = tables.attribute
    for part in chunks(cleared, 500):
        session.execute(delete(model).where(model.source_record_id.in_(part)))
    for rows_part in chunks(rows):
        session.execute(insert(_table(model)), list(rows_part))


def write_masters(
    session: Session,
    tables: Tables,
    *,
    inserted: Sequence[dict[str, Any]],
    updated: Sequence[dict[str, Any]],
) -> None:
    """Insert new masters and bulk-update others by primary key."""
    for part in chunks(inserted):
        session.execute(insert(_table(tables.master)), list(part))
    update_by_key(session, _table(tables.master), "master_id", updated)


def update_by_key(session: Session, table: Table, key: str, rows: Sequence[dict[str, Any]]) -> None:
    """Update ``rows`` (each with ``key`` and the columns to set) by primary key, as Core
    executemany batches of rows that set the same columns (the ORM's bulk update costs more in
    Python than the database spends)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(set(row) - {key})), []).append(row)
    for names, group in groups.items():
        statement = (
            update(table)
            .where(table.c[key] == bindparam("k_", type_=table.c[key].type))
            .values({name: bindparam(f"v_{name}", type_=table.c[name].type) for name in names})
        )
        for part in chunks(group):
            session.execute(
                statement, [{"k_": r[key], **{f"v_{n}": r[n] for n in names}} for r in part]
            )


def live_count(session: Session, tables: Tables) -> int:
    master = tables.master
    return int(
        session.execute(
            select(func.count()).select_from(master).where(master.retired_into.is_(None))
        ).scalar_one()
    )


@dataclass(frozen=True, slots=True)
class StoredModel:
    id: int
    model: dict[str, Any]
    band_share: float | None
    trained_records: int
    trained_at: datetime
    reason: str


def stored_model(session: Session, domain: str) -> StoredModel | None:
    """The newest trained linkage model of ``domain``, if any."""
    row = session.execute(
        select(MasterdataLinkageModel)
        .where(MasterdataLinkageModel.domain == domain)
        .order_by(MasterdataLinkageModel.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if row is None:
        return None
    model: dict[str, Any] = json.loads(row.model)
    return StoredModel(
        row.id, model, row.band_share, row.trained_records, row.trained_at, row.reason
    )


def store_model(
    session: Session,
    domain: str,
    model: dict[str, Any],
    *,
    records: int,
    now: datetime,
    reason: str = "build",
    band_share: float | None = None,
) -> int:
    """Keep ``model`` as the newest of ``domain``; its id."""
    row = MasterdataLinkageModel(
        domain=domain,
        model=json.dumps(model, ensure_ascii=False, sort_keys=True),
        trained_records=records,
        trained_at=now,
        reason=reason,
        band_share=band_share,
    )
    session.add(row)
    session.flush()
    return row.id


def register_sources(session: Session, domain: str, codes: Sequence[str], *, now: datetime) -> None:
    """Record ``codes`` (in priority order) as the resources that feed ``domain``, replacing the
    earlier list."""
    session.execute(delete(MasterdataSource).where(MasterdataSource.domain == domain))
    session.execute(
        insert(MasterdataSource),
        [
            {"domain": domain, "resource_code": code, "priority": i, "registered_at": now}
            for i, code in enumerate(dict.fromkeys(codes))
        ],
    )


def registered_sources(session: Session, domain: str) -> list[str]:
    """The resource codes that feed ``domain``, authority first."""
    rows = session.execute(
        select(MasterdataSource.resource_code)
        .where(MasterdataSource.domain == domain)
        .order_by(MasterdataSource.priority)
    ).scalars()
    return list(rows)


def fed_domain(session: Session, resource_code: str) -> str | None:
    """The base library ``resource_code`` feeds (person before entity), or None."""
    domains = set(
        session.execute(
            select(MasterdataSource.domain).where(MasterdataSource.resource_code == resource_code)
        ).scalars()
    )
    return next((d for d in ("person", "entity") if d in domains), None)


def links_of(
    session: Session, tables: Tables, source_record_ids: Collection[str]
) -> dict[str, tuple[str, int]]:
    """source_record_id → (master id, batch id) of the given records that are linked."""
    link = tables.link
    found: dict[str, tuple[str, int]] = {}
    for part in chunks(sorted(source_record_ids), 500):
        rows = session.execute(
            select(link.source_record_id, link.master_id, link.batch_id).where(
                link.source_record_id.in_(part)
            )
        )
        found.update({str(r[0]): (str(r[1]), int(r[2])) for r in rows})
    return found


def records_of_masters(
    session: Session, tables: Tables, master_ids: Collection[str]
) -> dict[str, str]:
    """source_record_id → master id of every record linked to ``master_ids``."""
    link = tables.link
    found: dict[str, str] = {}
    for part in chunks(sorted(master_ids), 500):
        rows = session.execute(
            select(link.source_record_id, link.master_id).where(link.master_id.in_(part))
        )
        found.update({str(r[0]): str(r[1]) for r in rows})
    return found


def lock_library(session: Session) -> None:
    """Serialise the changes of a base library (builds, batch runs, retraining, a steward's merge
    or split) until the transaction ends, so two never mint the same master id or merge from
    stale links. SQLite needs nothing:
    a writer begins IMMEDIATE and so admits one at a time; PostgreSQL takes a transaction-scoped
    advisory lock."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int(sm3_hex(b"masterdata:linkage")[:15], 16)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
