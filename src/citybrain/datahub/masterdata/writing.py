"""Writing masters: surviving values, link and attribute rows, and recomputing the masters a
change touched from all their source records.

A master's values are recomputed from *every* record linked to it whenever a run, a steward's
merge or a split touches it. A batch run holds only its own records, so the other records of
the touched masters are read back from the hub by key (:func:`refresh_masters`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore
from citybrain.core.crypto import FieldCipher
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.masterdata import persist
from citybrain.datahub.masterdata.sources import (
    ENCRYPTED_ITEMS,
    PERSON_ITEMS,
    RowFilter,
    SourceInfo,
    SourceRecord,
    derived_birth_date,
    derived_gender,
    keys_by_resource,
    plain_value,
    read_person_records,
    source_info,
)

MASTER_CONTEXT = "masterdata_person/{}"
ATTRIBUTE_CONTEXT = "masterdata_person_attribute/{}"
Survivors = Callable[[Sequence[SourceRecord]], dict[str, Any]]


def link_row(
    record: SourceRecord, master_id: str, now: dt.datetime, features: Mapping[str, Any] | None
) -> dict[str, Any]:
    """A new link row (person links carry the record's linkage features)."""
    return {
        "source_record_id": record.source_record_id,
        "master_id": master_id,
        "resource_code": record.source.resource_code,
        "batch_id": record.batch_id,
        "source_row": record.source_row,
        "linked_at": now,
        **(features or {}),
    }


def refreshed_link(
    record: SourceRecord, now: dt.datetime, features: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The update of a link whose record has a newer hub version."""
    return {
        "source_record_id": record.source_record_id,
        "batch_id": record.batch_id,
        "source_row": record.source_row,
        "linked_at": now,
        **(features or {}),
    }


def person_attributes(
    record: SourceRecord, assignment: Mapping[str, str], cipher: FieldCipher
) -> list[dict[str, Any]]:
    """One row per value the record gives; ID and phone numbers encrypted."""
    rows: list[dict[str, Any]] = []
    for item in PERSON_ITEMS:
        encrypted = item in ENCRYPTED_ITEMS
        value = plain_value(record, item, cipher) if encrypted else record.values.get(item)
        if value is None:
            continue
        bidx = None
        if encrypted:
            bidx = record.bidx[item]
            value = cipher.encrypt(value, context=ATTRIBUTE_CONTEXT.format(item))
        rows.append({
            "master_id": assignment[record.source_record_id],
            "source_record_id": record.source_record_id, "attribute": item, "value": value,
            "value_bidx": bidx, "resource_code": record.source.resource_code,
            "department_code": record.source.department_code, "batch_id": record.batch_id,
            "observed_at": record.observed_at,
        })  # fmt: skip
    return rows


def write_touched_masters(
    session: Session,
    tables: persist.Tables,
    records: Sequence[SourceRecord],
    assignment: Mapping[str, str],
    *,
    touched: set[str],
    existing: set[str],
    now: dt.datetime,
    survivors_of: Survivors,
) -> None:
    """Recompute the surviving values of every touched master from all its records (persons
    and entities alike; ``survivors_of`` picks the values). ``assignment`` must hold every
    record of the touched masters (its counts are the masters' record counts)."""
    members: dict[str, list[SourceRecord]] = defaultdict(list)
    for record in records:
        master = assignment.get(record.source_record_id)
        if master in touched:
            members[master].append(record)
    counts = Counter(assignment.values())
    inserted, updated = [], []
    for master_id in sorted(touched):
        values = survivors_of(members.get(master_id, []))
        values.update(master_id=master_id, record_count=counts[master_id], updated_at=now)
        if master_id in existing:
            updated.append(values)
        else:
            inserted.append({**values, "created_at": now, "retired_into": None})
    persist.write_masters(session, tables, inserted=inserted, updated=updated)


def ordered_sources(
    session: Session, tables: persist.Tables, codes: Sequence[str]
) -> list[SourceInfo]:
    """SourceInfo of ``codes``: the registered sources of the library first, in their priority,
    then any other code (a resource dropped from the list still has linked records)."""
    registered = persist.registered_sources(session, tables.domain)
    wanted = [*registered, *sorted(set(codes) - set(registered))]
    return source_info(session, wanted)


Reader = Callable[[Sequence[SourceInfo], Mapping[str, RowFilter]], list[SourceRecord]]


def refresh_masters(
    session: Session,
    *,
    tables: persist.Tables,
    read: Reader,
    survivors_of: Survivors,
    assignment: Mapping[str, str],
    touched: set[str],
    existing: set[str],
    known: Sequence[SourceRecord],
    now: dt.datetime,
) -> None:
    """Recompute the ``touched`` masters. ``assignment`` holds every record of them (their
    links as they will be), ``known`` the records at hand; ``read`` fetches the others from
    the hub (a key filter per resource)."""
    wanted = {srid for srid, master in assignment.items() if master in touched}
    records = [r for r in known if r.source_record_id in wanted]
    missing = keys_by_resource(wanted - {r.source_record_id for r in records})
    if missing:
        records += read(ordered_sources(session, tables, sorted(missing)), missing)
    write_touched_masters(
        session, tables, records, assignment, touched=touched, existing=existing, now=now,
        survivors_of=survivors_of,
    )  # fmt: skip


def person_reader(hub: HubStore, cipher: FieldCipher) -> Reader:
    """Reads person records of the hub (for :func:`refresh_masters`)."""

    def read(sources: Sequence[SourceInfo], rows: Mapping[str, RowFilter]) -> list[SourceRecord]:
        return read_person_records(hub, sources, cipher, rows=rows)

    return read


def person_survivors(cipher: FieldCipher) -> Survivors:
    def pick(records: Sequence[SourceRecord]) -> dict[str, Any]:
        return survivors(records, cipher)

    return pick


def town_within_provider(record: SourceRecord) -> str | None:
    """The record's town code when it lies inside its providing department's region."""
    town = (record.values.get("town_code") or "").strip()
    if town and catalog_scope.within(record.source.region_code, town):
        return town
    return None


def survivors(records: Sequence[SourceRecord], cipher: FieldCipher) -> dict[str, Any]:
    """The master's values: per field, the first present value of the records ordered by
    source priority (the first resource the caller listed wins), then the newest load."""
    ordered = sorted(
        records,
        key=lambda r: (r.source.priority, -r.observed_at.timestamp(), r.source_record_id),
    )

    def first(item: str) -> SourceRecord | None:
        return next((r for r in ordered if r.values.get(item) or item in r.bidx), None)

    values: dict[str, Any] = {
        "name": next((r.values["name"] for r in ordered if r.values.get("name")), ""),
        "address": next((r.values["address"] for r in ordered if r.values.get("address")), None),
        "gender": next((g for r in ordered if (g := derived_gender(r))), None),
        "birth_on": next(
            (dt.date.fromisoformat(b) for r in ordered if (b := derived_birth_date(r))), None
        ),
        # Bounded by the providing department: a town code outside the department's region
        # is not trusted (a 船山区 department cannot place a person in 民乐县); the person then
        # keeps the department's own region. See docs/architecture.md, "Scope".
        "region_code": next(
            (town for r in ordered if (town := town_within_provider(r))),
            ordered[0].source.region_code if ordered else "",
        ),
    }
    for item, column in (("id_number", "id_number"), ("phone", "phone")):
        source = first(item)
        plain = plain_value(source, item, cipher) if source is not None else None
        values[f"{column}_enc"] = (
            cipher.encrypt(plain, context=MASTER_CONTEXT.format(item)) if plain else None
        )
        values[f"{column}_bidx"] = source.bidx.get(item) if source is not None and plain else None
    return values
