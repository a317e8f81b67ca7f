"""The review queue of 人口库: uncertain pairs, the stewards' decisions, and splits.

A linkage run queues each *band* pair (match weight between the review and the link threshold)
whose two records ended in two masters. A data steward of the masters' region decides:

* **合并** (``merged``): the two masters are merged now (the smaller id survives, as in a
  build); records of one master never part again unless a steward splits it.
* **不是同一人** (``apart``): the two masters are never merged by a later run: the clustering
  refuses any join that would bring the two records' masters together.

A steward may also **split** a master: the chosen source records move to a new master, and the
split is remembered as an ``apart`` pair between the two parts. Every decision is audited.
Decisions are remembered by source record, and read as "the masters these two records are in"
at every run, so they follow the records through later merges.

Every function flushes, never commits. Scope: a pair belongs to the regions of its two
masters; a steward sees and decides it only when their region covers both.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, aliased

from citybrain.analytics.hub import HubStore
from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.context import actor_of
from citybrain.core.crypto import FieldCipher
from citybrain.core.errors import BadInput, InvalidState, NotFound
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.masterdata import persist
from citybrain.datahub.masterdata.linking import BandPair
from citybrain.datahub.masterdata.masters import MasterMerge
from citybrain.datahub.masterdata.models import (
    MasterdataPerson,
    MasterdataPersonAttribute,
    MasterdataPersonLink,
    MasterdataReviewPair,
)
from citybrain.datahub.masterdata.persist import PERSON_TABLES
from citybrain.datahub.masterdata.writing import (
    person_reader,
    person_survivors,
    refresh_masters,
)

PENDING, MERGED, APART, SUPERSEDED = "pending", "merged", "apart", "superseded"
MAX_NOTE = 500


@dataclass(frozen=True, slots=True)
class Decision:
    pair_id: int
    status: str
    surviving_master_id: str | None  # after a merge
    master_ids: tuple[str, str]  # the two masters when decided


# --- written by linkage runs --------------------------------------------------------------


def queue_pairs(
    session: Session, *, pairs: Sequence[BandPair], run_id: int | None, now: datetime
) -> int:
    """Queue the band pairs not seen before (a pair already queued or decided is left as it
    is); how many were queued."""
    fresh: dict[tuple[str, str], BandPair] = {}
    for pair in pairs:
        fresh.setdefault((pair.record_l, pair.record_r), pair)
    if not fresh:
        return 0
    review = MasterdataReviewPair
    known: set[tuple[str, str]] = set()
    lefts = sorted({left for left, _ in fresh})
    for left_part in persist.chunks(lefts, 500):
        rows = session.execute(
            select(review.record_l, review.record_r).where(
                review.domain == "person", review.record_l.in_(left_part)
            )
        )
        known.update((str(a), str(b)) for a, b in rows)
    rows_to_add = [
        {
            "domain": "person", "record_l": p.record_l, "record_r": p.record_r,
            "match_weight": p.match_weight, "match_probability": p.match_probability,
            "status": PENDING, "origin": "linkage", "run_id": run_id, "created_at": now,
            "note": "",
        }
        for key, p in sorted(fresh.items())
        if key not in known
    ]  # fmt: skip
    for part in persist.chunks(rows_to_add):
        session.execute(insert(review), list(part))
    return len(rows_to_add)


def apart_masters(
    session: Session, *, among: Collection[str] | None = None
) -> list[tuple[str, str]]:
    """The master pairs a steward kept apart (each read through the records' current links),
    limited to pairs whose masters both lie in ``among`` when given."""
    review = MasterdataReviewPair
    left, right = aliased(MasterdataPersonLink), aliased(MasterdataPersonLink)
    rows = session.execute(
        select(left.master_id, right.master_id)
        .select_from(review)
        .join(left, left.source_record_id == review.record_l)
        .join(right, right.source_record_id == review.record_r)
        .where(review.domain == "person", review.status == APART)
    )
    wanted = None if among is None else set(among)
    pairs = {
        tuple(sorted((str(a), str(b))))
        for a, b in rows
        if a != b and (wanted is None or (a in wanted and b in wanted))
    }
    return sorted((a, b) for a, b in pairs)


def supersede_linked(session: Session) -> int:
    """Close the pending pairs whose two records now share a master (merged otherwise)."""
    review = MasterdataReviewPair
    left, right = aliased(MasterdataPersonLink), aliased(MasterdataPersonLink)
    joined = (
        select(review.id)
        .join(left, left.source_record_id == review.record_l)
        .join(right, right.source_record_id == review.record_r)
        .where(review.status == PENDING, left.master_id == right.master_id)
    )
    ids = list(session.execute(joined).scalars())
    for part in persist.chunks(ids, 500):
        session.execute(update(review).where(review.id.in_(part)).values(status=SUPERSEDED))
    return len(ids)


# --- the stewards' commands -------------------------------------------------------------


def _masters_of(session: Session, records: Sequence[str]) -> dict[str, str]:
    link = MasterdataPersonLink
    rows = session.execute(
        select(link.source_record_id, link.master_id).where(link.source_record_id.in_(records))
    )
    return {str(r): str(m) for r, m in rows}


def pair_in_scope(
    session: Session, pair_id: int, *, scope: Scope
) -> tuple[MasterdataReviewPair, MasterdataPerson, MasterdataPerson]:
    """The pair and its two current masters. NotFound ``review_pair_not_found`` when absent,
    when a record is no longer linked, or when the caller's region does not cover both."""
    pair = session.get(MasterdataReviewPair, pair_id)
    masters = _masters_of(session, [pair.record_l, pair.record_r]) if pair else {}
    left = session.get(MasterdataPerson, masters.get(pair.record_l, "")) if pair else None
    right = session.get(MasterdataPerson, masters.get(pair.record_r, "")) if pair else None
    if (
        pair is None
        or left is None
        or right is None
        or not catalog_scope.covers(scope, left.region_code)
        or not catalog_scope.covers(scope, right.region_code)
    ):
        raise NotFound(
            f"疑似重复记录不存在: {pair_id}", code="review_pair_not_found", detail=pair_id
        )
    return pair, left, right


def _note(note: str) -> str:
    text = note.strip()
    if len(text) > MAX_NOTE:
        raise BadInput(f"说明最多 {MAX_NOTE} 个字", code="note_too_long")
    return text


def _decided(pair: MasterdataReviewPair, status: str, session: Session, note: str) -> None:
    if pair.status != PENDING:
        raise InvalidState(
            "该疑似重复记录已处理, 不能再次决定", code="review_already_decided", detail=pair.status
        )
    pair.status = status
    pair.decided_at = utcnow()
    pair.decided_by = actor_of(session).actor
    pair.note = note


def merge_pair(
    session: Session,
    *,
    pair_id: int,
    scope: Scope,
    hub: HubStore,
    cipher: FieldCipher,
    note: str = "",
) -> Decision:
    """合并: merge the masters of a pending pair (the smaller id survives; the other is retired
    into it with its links and attributes) and remember the decision. Audited
    ``masterdata.review.merge``. Raises NotFound ``review_pair_not_found`` (also outside the
    caller's region) and InvalidState ``review_already_decided``."""
    persist.lock_library(session)
    pair, left, right = pair_in_scope(session, pair_id, scope=scope)
    stated = _note(note)
    _decided(pair, MERGED, session, stated)
    survivor, retired = sorted((left.master_id, right.master_id))
    if survivor != retired:
        now = utcnow()
        records = persist.records_of_masters(session, PERSON_TABLES, {survivor, retired})
        assignment = dict.fromkeys(records, survivor)
        refresh_masters(
            session, tables=PERSON_TABLES, read=person_reader(hub, cipher),
            survivors_of=person_survivors(cipher), assignment=assignment, touched={survivor},
            existing={survivor}, known=(), now=now,
        )  # fmt: skip
        persist.apply_merges(session, PERSON_TABLES, [MasterMerge(retired, survivor)], now=now)
    session.flush()
    _audit(session, "masterdata.review.merge", pair, (left, right), stated,
           surviving=survivor, retired=retired if retired != survivor else None)  # fmt: skip
    return Decision(pair.id, pair.status, survivor, (left.master_id, right.master_id))


def keep_apart(session: Session, *, pair_id: int, scope: Scope, note: str = "") -> Decision:
    """不是同一人: remember that the two records' masters are two persons, so no later run merges
    them. Audited ``masterdata.review.apart``. Errors as :func:`merge_pair`."""
    pair, left, right = pair_in_scope(session, pair_id, scope=scope)
    stated = _note(note)
    _decided(pair, APART, session, stated)
    session.flush()
    _audit(session, "masterdata.review.apart", pair, (left, right), stated)
    return Decision(pair.id, pair.status, None, (left.master_id, right.master_id))


def split_master(
    session: Session,
    *,
    master_id: str,
    source_record_ids: Sequence[str],
    scope: Scope,
    hub: HubStore,
    cipher: FieldCipher,
    note: str = "",
) -> str:
    """Move ``source_record_ids`` of a live master to a new master; the new master's id.

    The split is remembered as an ``apart`` pair between the two parts (their first records),
    and ``merged`` decisions between records now in different parts are superseded. Audited
    ``masterdata.person.split``. Raises NotFound ``person_not_found`` (absent, retired or
    outside the caller's region) and BadInput ``split_records_invalid`` when the records are
    not all of this master or would leave it empty."""
    persist.lock_library(session)
    master = session.get(MasterdataPerson, master_id)
    if (
        master is None
        or master.retired_into is not None
        or not catalog_scope.covers(scope, master.region_code)
    ):
        raise NotFound(f"人口主档不存在: {master_id}", code="person_not_found", detail=master_id)
    stated = _note(note)
    records = persist.records_of_masters(session, PERSON_TABLES, {master_id})
    moving = set(source_record_ids)
    if not moving or not moving <= set(records) or moving == set(records):
        raise BadInput(
            "请选择本档案的部分来源记录 (不能是全部)", code="split_records_invalid",
            detail=sorted(moving - set(records))[:20],
        )  # fmt: skip
    now = utcnow()
    new_id = f"{PERSON_TABLES.prefix}{persist.last_issued_number(session, PERSON_TABLES) + 1:012d}"
    assignment = {srid: new_id if srid in moving else master_id for srid in records}
    refresh_masters(
        session, tables=PERSON_TABLES, read=person_reader(hub, cipher),
        survivors_of=person_survivors(cipher), assignment=assignment,
        touched={master_id, new_id}, existing={master_id}, known=(), now=now,
    )  # fmt: skip
    for model in (MasterdataPersonLink, MasterdataPersonAttribute):
        for part in persist.chunks(sorted(moving), 500):
            session.execute(
                update(model).where(model.source_record_id.in_(part)).values(master_id=new_id)
            )
    staying = sorted(set(records) - moving)
    _supersede_merged_across(session, moving, set(staying))
    first_l, first_r = sorted((min(moving), staying[0]))
    split_pair = _remember_apart(session, first_l, first_r, now=now, note=stated)
    session.flush()
    audit.record(
        session,
        action="masterdata.person.split",
        object_type="masterdata_person",
        object_id=master_id,
        region_code=master.region_code,
        detail={
            "new_master_id": new_id, "moved": len(moving), "kept": len(staying),
            "review_pair_id": split_pair.id, "note": stated,
        },
    )  # fmt: skip
    return new_id


def _remember_apart(
    session: Session, record_l: str, record_r: str, *, now: datetime, note: str
) -> MasterdataReviewPair:
    review = MasterdataReviewPair
    pair = session.execute(
        select(review).where(
            review.domain == "person", review.record_l == record_l, review.record_r == record_r
        )
    ).scalar_one_or_none()
    if pair is None:
        pair = MasterdataReviewPair(
            domain="person", record_l=record_l, record_r=record_r, match_weight=0.0,
            match_probability=0.0, origin="split", created_at=now, note="",
        )  # fmt: skip
        session.add(pair)
    pair.status, pair.decided_at = APART, now
    pair.decided_by, pair.note = actor_of(session).actor, note
    session.flush()
    return pair


def _supersede_merged_across(session: Session, one: set[str], other: set[str]) -> None:
    review = MasterdataReviewPair
    merged = session.execute(
        select(review).where(
            review.domain == "person",
            review.status == MERGED,
            review.record_l.in_(sorted(one | other)),
        )
    ).scalars()
    for pair in merged:
        if {pair.record_l, pair.record_r} & one and {pair.record_l, pair.record_r} & other:
            pair.status = SUPERSEDED


def _audit(
    session: Session,
    action: str,
    pair: MasterdataReviewPair,
    masters: tuple[MasterdataPerson, MasterdataPerson],
    note: str,
    **extra: Any,
) -> None:
    left, right = masters
    audit.record(
        session,
        action=action,
        object_type="masterdata_review_pair",
        object_id=str(pair.id),
        region_code=left.region_code,
        detail={
            "records": [pair.record_l, pair.record_r],
            "masters": [left.master_id, right.master_id],
            "match_weight": round(pair.match_weight, 2),
            "note": note,
            **{k: v for k, v in extra.items() if v is not None},
        },
    )
