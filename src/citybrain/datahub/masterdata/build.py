"""Building 人口库: hub person records → Splink linkage into stable masters → bulk writes.

The linkage sees blind indexes, never ID or phone numbers: exact-equality comparisons work on
them, and each record's checksum validity is computed before (from the decrypted number).
Records already linked keep their master (masters never split); a record whose hub version
changed keeps its link and gets its attributes refreshed; new records are linked into the
existing masters with the stored model, so a small batch is scored with the weights learnt on
the whole population (the first build trains and stores it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information
from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore
from citybrain.core.clock import utcnow
from citybrain.core.crypto import FieldCipher
from citybrain.core.errors import InvalidState
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.masterdata import persist
from citybrain.datahub.masterdata.linkage_model import InsufficientTrainingData, LinkageConfig
from citybrain.datahub.masterdata.masters import MasterMerge, link_into_masters
from citybrain.datahub.masterdata.persist import PERSON_TABLES
from citybrain.datahub.masterdata.sources import (
    ENCRYPTED_ITEMS,
    PERSON_ITEMS,
    SourceInfo,
    SourceRecord,
    derived_birth_date,
    derived_gender,
    plain_value,
    read_person_records,
)

MASTER_CONTEXT = "masterdata_person/{}"
ATTRIBUTE_CONTEXT = "masterdata_person_attribute/{}"


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What one build did."""

    domain: str  # person | entity
    records: int  # source records read from the hub
    new_records: int  # linked for the first time
    changed_records: int  # linked before, newer version in the hub: attributes refreshed
    new_masters: int
    linked_to_existing: int  # new records that joined a master that existed before
    merges: list[MasterMerge]
    masters: int  # live (not retired) masters after the build
    model_trained: bool
    seconds: float

    def summary(self) -> dict[str, Any]:
        """Counts for the audit record and the CLI."""
        return {
            "records": self.records,
            "new_records": self.new_records,
            "changed_records": self.changed_records,
            "new_masters": self.new_masters,
            "linked_to_existing": self.linked_to_existing,
            "merges": len(self.merges),
            "masters": self.masters,
            "model_trained": self.model_trained,
            "seconds": round(self.seconds, 2),
        }


def build_persons(
    session: Session,
    *,
    hub: HubStore,
    sources: Sequence[SourceInfo],
    cipher: FieldCipher,
    config: LinkageConfig | None = None,
    retrain: bool = False,
) -> BuildReport:
    """See :func:`citybrain.datahub.masterdata.service.rebuild_persons`."""
    started = time.perf_counter()
    now = utcnow()
    records = read_person_records(hub, sources, cipher)
    links = persist.existing_links(session, PERSON_TABLES)
    new = [r for r in records if r.source_record_id not in links]
    changed = [
        r
        for r in records
        if r.source_record_id in links and links[r.source_record_id][1] != r.batch_id
    ]
    assignment: dict[str, str] = {srid: master for srid, (master, _) in links.items()}
    merges: list[MasterMerge] = []
    linked_to_existing, trained = 0, False
    if new:
        config = config or LinkageConfig()
        model = (
            None if retrain else (config.trained_model or persist.stored_model(session, "person"))
        )
        config = dataclasses.replace(
            config, trained_model=model, identifiers_are_blind_indexes=True
        )
        result_assignment, merges, linked_to_existing, learnt = _link(
            records, links, config, number_after=persist.last_issued_number(session, PERSON_TABLES)
        )
        assignment = result_assignment
        if model is None and learnt is not None:
            persist.store_model(session, "person", learnt, records=len(records), now=now)
            trained = True
    existing_masters = {master for master, _ in links.values()}
    touched = {assignment[r.source_record_id] for r in (*new, *changed)}
    touched |= {m.surviving_master_id for m in merges}
    write_touched_masters(
        session, PERSON_TABLES, records, assignment, touched=touched,
        existing=existing_masters, now=now, survivors_of=lambda rs: survivors(rs, cipher),
    )  # fmt: skip
    persist.apply_merges(session, PERSON_TABLES, merges, now=now)
    persist.write_links(
        session,
        PERSON_TABLES,
        inserted=[_link_row(r, assignment[r.source_record_id], now) for r in new],
        refreshed=[
            {"source_record_id": r.source_record_id, "batch_id": r.batch_id,
             "source_row": r.source_row, "linked_at": now}
            for r in changed
        ],
    )  # fmt: skip
    persist.replace_attributes(
        session,
        PERSON_TABLES,
        cleared=[r.source_record_id for r in changed],
        rows=[row for r in (*new, *changed) for row in _attributes(r, assignment, cipher)],
    )
    new_masters = len({assignment[r.source_record_id] for r in new} - existing_masters)
    session.flush()
    return BuildReport(
        domain="person",
        records=len(records),
        new_records=len(new),
        changed_records=len(changed),
        new_masters=new_masters,
        linked_to_existing=linked_to_existing,
        merges=merges,
        masters=persist.live_count(session, PERSON_TABLES),
        model_trained=trained,
        seconds=time.perf_counter() - started,
    )


def _link(
    records: Sequence[SourceRecord],
    links: dict[str, tuple[str, int]],
    config: LinkageConfig,
    *,
    number_after: int,
) -> tuple[dict[str, str], list[MasterMerge], int, dict[str, Any] | None]:
    """Run the linkage on an in-memory DuckDB; (assignment, merges, joined, trained model)."""
    con = duckdb.connect()
    try:
        con.register("records_arrow", _linkage_table(records))
        con.execute("create table records as select * from records_arrow")
        con.unregister("records_arrow")
        con.register("links_arrow", pa.table({
            "source_record_id": pa.array(list(links), pa.string()),
            "master_id": pa.array([m for m, _ in links.values()], pa.string()),
        }))  # fmt: skip
        con.execute("create table links as select * from links_arrow")
        con.unregister("links_arrow")
        con.execute(
            "create table new_records as select * from records r where not exists"
            " (select 1 from links l where l.source_record_id = r.source_record_id)"
        )
        con.execute(
            "create table existing_records as select * from records r where exists"
            " (select 1 from links l where l.source_record_id = r.source_record_id)"
        )
        try:
            result = link_into_masters(
                con,
                new_records_table="new_records",
                existing_links_table="links",
                existing_records_table="existing_records",
                assignment_table="assignment",
                config=config,
                number_after=number_after,
            )
        except InsufficientTrainingData as exc:
            raise InvalidState(
                "记录太少，无法训练人口库匹配模型：请先归集更多部门数据后再构建",
                code="linkage_insufficient_data",
            ) from exc
        assignment = {
            str(s): str(m)
            for s, m in con.execute("select source_record_id, master_id from assignment").fetchall()
        }
    finally:
        con.close()
    learnt = result.clustering.model if result.clustering is not None else None
    return assignment, list(result.merges), result.records_linked_to_existing, learnt


def _linkage_table(records: Sequence[SourceRecord]) -> Any:
    def column(values: list[str | None]) -> Any:
        return pa.array(values, pa.string())

    return pa.table({
        "source_record_id": column([r.source_record_id for r in records]),
        "source": column([r.source.resource_code for r in records]),
        "name": column([r.values.get("name") for r in records]),
        "id_number": column([r.bidx.get("id_number") for r in records]),
        "birth_date": column([derived_birth_date(r) for r in records]),
        "phone": column([r.bidx.get("phone") for r in records]),
        "address": column([r.values.get("address") for r in records]),
        "id_number_valid": pa.array([r.id_valid for r in records], pa.bool_()),
    })  # fmt: skip


def _link_row(record: SourceRecord, master_id: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "source_record_id": record.source_record_id,
        "master_id": master_id,
        "resource_code": record.source.resource_code,
        "batch_id": record.batch_id,
        "source_row": record.source_row,
        "linked_at": now,
    }


def _attributes(
    record: SourceRecord, assignment: dict[str, str], cipher: FieldCipher
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
    assignment: dict[str, str],
    *,
    touched: set[str],
    existing: set[str],
    now: dt.datetime,
    survivors_of: Callable[[Sequence[SourceRecord]], dict[str, Any]],
) -> None:
    """Recompute the surviving values of every touched master from all its records (persons
    and entities alike; ``survivors_of`` picks the values)."""
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
