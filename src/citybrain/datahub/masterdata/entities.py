"""Building 法人库: enterprise records linked deterministically, not by Splink.

A record whose unified social credit code is valid (GB 32100: format and MOD 31 check
character) joins the master with that code. A record without a valid code falls back to its
normalised name and address (blanks, full-width forms and the leading 甘肃省/张掖市/民乐县
removed): it joins a master with the same name and address whose code is missing or equal.
Otherwise it gets a new master ``E…``. Links are stable like persons'; entity masters are never
merged automatically (two masters that later prove to be one stay two until a person merges
them), which is recorded in docs/masterdata.md.
"""

from __future__ import annotations

import datetime as dt
import time
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore
from citybrain.core.clock import utcnow
from citybrain.datahub.masterdata import persist
from citybrain.datahub.masterdata.build import BuildReport
from citybrain.datahub.masterdata.models import MasterdataEntity
from citybrain.datahub.masterdata.persist import ENTITY_TABLES
from citybrain.datahub.masterdata.sources import (
    ENTITY_ITEMS,
    RowFilter,
    SourceInfo,
    SourceRecord,
    read_entity_records,
)
from citybrain.datahub.masterdata.writing import (
    link_row,
    refresh_masters,
    refreshed_link,
    write_touched_masters,
)
from citybrain.datahub.quality.validators import normalize_uscc, validate_uscc

ADDRESS_PREFIXES = ("甘肃省", "张掖市", "民乐县")


def valid_uscc(value: str | None) -> str | None:
    """The normalised code when it passes GB 32100, else None."""
    if not value:
        return None
    code = normalize_uscc(value)
    return code if validate_uscc(code) is None else None


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def match_key(name: str | None, address: str | None) -> str:
    """``name|address`` normalised; empty when either is missing (no fallback match)."""
    if not name or not address:
        return ""
    folded = _fold(address)
    for prefix in ADDRESS_PREFIXES:
        folded = folded.removeprefix(prefix)
    return f"{_fold(name)}|{folded}"[:255]


def build_entities(
    session: Session,
    *,
    hub: HubStore,
    sources: Sequence[SourceInfo],
    batch_id: int | None = None,
) -> BuildReport:
    """See :func:`citybrain.datahub.masterdata.service.rebuild_entities`. With ``batch_id``
    (one source), only the rows of that ingest batch are read and linked (a batch run); else
    every row of ``sources`` (a full build, which registers them as the sources of 法人库)."""
    started, now = time.perf_counter(), utcnow()
    if batch_id is None:
        persist.register_sources(session, "entity", [s.resource_code for s in sources], now=now)
        records = read_entity_records(hub, sources)
        links = persist.existing_links(session, ENTITY_TABLES)
    else:
        rows = {s.resource_code: RowFilter(batch_id=batch_id) for s in sources}
        records = read_entity_records(hub, sources, rows=rows)
        links = persist.links_of(session, ENTITY_TABLES, [r.source_record_id for r in records])
    new = [r for r in records if r.source_record_id not in links]
    changed = [
        r
        for r in records
        if r.source_record_id in links and links[r.source_record_id][1] != r.batch_id
    ]
    assignment = {srid: master for srid, (master, _) in links.items()}
    number = persist.last_issued_number(session, ENTITY_TABLES)
    by_uscc, by_key, code_of = _index(session)
    existing = set(assignment.values()) | set(by_uscc.values()) | set(by_key.values())
    joined = 0
    for record in sorted(new, key=lambda r: (r.source.priority, r.source_record_id)):
        code = valid_uscc(record.values.get("uscc"))
        key = match_key(record.values.get("name"), record.values.get("address"))
        master = by_uscc.get(code) if code else None
        if master is None and key and key in by_key:
            candidate = by_key[key]
            if code is None or code_of.get(candidate) in (None, code):
                master = candidate
        if master is None:
            number += 1
            master = f"{ENTITY_TABLES.prefix}{number:012d}"
        elif master in existing:
            joined += 1
        assignment[record.source_record_id] = master
        if code:
            by_uscc.setdefault(code, master)
            code_of.setdefault(master, code)
        if key:
            by_key.setdefault(key, master)
    touched = {assignment[r.source_record_id] for r in (*new, *changed)}
    if batch_id is None:
        write_touched_masters(
            session, ENTITY_TABLES, records, assignment, touched=touched, existing=existing,
            now=now, survivors_of=entity_survivors,
        )  # fmt: skip
    else:
        whole = persist.records_of_masters(session, ENTITY_TABLES, touched)
        whole.update(assignment)

        def read(chosen: Sequence[SourceInfo], rows: Mapping[str, RowFilter]) -> list[SourceRecord]:
            return read_entity_records(hub, chosen, rows=rows)

        refresh_masters(
            session, tables=ENTITY_TABLES, read=read, survivors_of=entity_survivors,
            assignment=whole, touched=touched, existing=existing, known=records, now=now,
        )  # fmt: skip
    persist.write_links(
        session,
        ENTITY_TABLES,
        inserted=[link_row(r, assignment[r.source_record_id], now, None) for r in new],
        refreshed=[refreshed_link(r, now, None) for r in changed],
    )
    persist.replace_attributes(
        session,
        ENTITY_TABLES,
        cleared=[r.source_record_id for r in changed],
        rows=[row for r in (*new, *changed) for row in _attributes(r, assignment)],
    )
    session.flush()
    return BuildReport(
        domain="entity",
        records=len(records),
        new_records=len(new),
        changed_records=len(changed),
        new_masters=len({assignment[r.source_record_id] for r in new} - existing),
        linked_to_existing=joined,
        merges=[],
        masters=persist.live_count(session, ENTITY_TABLES),
        model_trained=False,
        seconds=time.perf_counter() - started,
        kind="full" if batch_id is None else "batch",
        batch_id=batch_id,
    )


def _index(session: Session) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Live masters by code, by name-and-address key, and each master's code."""
    rows = session.execute(
        select(MasterdataEntity.master_id, MasterdataEntity.uscc, MasterdataEntity.match_key)
        .where(MasterdataEntity.retired_into.is_(None))
        .order_by(MasterdataEntity.master_id)
    )
    by_uscc: dict[str, str] = {}
    by_key: dict[str, str] = {}
    code_of: dict[str, str] = {}
    for master_id, uscc, key in rows:
        if uscc:
            by_uscc.setdefault(uscc, master_id)
            code_of[master_id] = uscc
        if key:
            by_key.setdefault(key, master_id)
    return by_uscc, by_key, code_of


def _attributes(record: SourceRecord, assignment: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"master_id": assignment[record.source_record_id],
         "source_record_id": record.source_record_id, "attribute": name, "value": value,
         "resource_code": record.source.resource_code,
         "department_code": record.source.department_code, "batch_id": record.batch_id,
         "observed_at": record.observed_at}
        for name in ENTITY_ITEMS
        if (value := record.values.get(name)) is not None
    ]  # fmt: skip


def entity_survivors(records: Sequence[SourceRecord]) -> dict[str, Any]:
    """Per field the first present value by source priority, then the newest load."""
    ordered = sorted(
        records, key=lambda r: (r.source.priority, -r.observed_at.timestamp(), r.source_record_id)
    )

    def first(name: str) -> str | None:
        return next((v for r in ordered if (v := r.values.get(name))), None)

    established = first("established_on")
    name, address = first("name") or "", first("address")
    return {
        "uscc": next((c for r in ordered if (c := valid_uscc(r.values.get("uscc")))), None),
        "name": name[:200],
        "legal_rep_name": first("legal_rep_name"),
        "address": address,
        "established_on": dt.date.fromisoformat(established[:10]) if established else None,
        "status": first("status"),
        "match_key": match_key(name, address),
        "region_code": ordered[0].source.region_code if ordered else "",
    }
