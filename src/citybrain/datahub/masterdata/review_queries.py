"""Reads of the review queue and of the linkage model, masked, within the reader's region.

A pair is visible only when the reader's region covers the current masters of both its records
(a pair that reaches into another region is that region's data too). Auditing reads of
personal data is the caller's job (:mod:`citybrain.datahub.masterdata.service`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from citybrain.core.crypto import FieldCipher
from citybrain.core.masking import mask_value
from citybrain.core.pagination import PageParams
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.masterdata import drift, persist
from citybrain.datahub.masterdata.linkage_model import LinkageConfig
from citybrain.datahub.masterdata.models import (
    MasterdataPerson,
    MasterdataPersonAttribute,
    MasterdataPersonLink,
    MasterdataReviewPair,
)
from citybrain.datahub.masterdata.queries import PERSON_MASKS, resolve_person
from citybrain.datahub.masterdata.review import pair_in_scope
from citybrain.datahub.masterdata.schemas import (
    LinkageModelStatus,
    ReviewPairDetail,
    ReviewPairPage,
    ReviewPairSummary,
    ReviewSide,
    ReviewStatus,
    SourceRecordRead,
)
from citybrain.datahub.masterdata.writing import ATTRIBUTE_CONTEXT
from citybrain.regions import queries as region_queries

_PairRow = Select[MasterdataReviewPair, MasterdataPerson, MasterdataPerson]


def _pairs_in_scope(scope: Scope) -> _PairRow:
    review = MasterdataReviewPair
    left_link, right_link = aliased(MasterdataPersonLink), aliased(MasterdataPersonLink)
    left, right = aliased(MasterdataPerson), aliased(MasterdataPerson)
    query = (
        select(review, left, right)
        .join(left_link, left_link.source_record_id == review.record_l)
        .join(right_link, right_link.source_record_id == review.record_r)
        .join(left, left.master_id == left_link.master_id)
        .join(right, right.master_id == right_link.master_id)
        .where(
            review.domain == "person",
            catalog_scope.covers_clause(scope, left.region_code),
            catalog_scope.covers_clause(scope, right.region_code),
        )
    )
    return query


def list_pairs(
    session: Session, *, scope: Scope, status: ReviewStatus | None, page: PageParams
) -> ReviewPairPage:
    """Pairs in the reader's region (both masters): pending ones by falling match weight
    (closest to the link threshold first), others newest first."""
    query = _pairs_in_scope(scope)
    review = MasterdataReviewPair
    if status is not None:
        query = query.where(review.status == status.value)
    order = (
        (review.match_weight.desc(), review.id)
        if status is ReviewStatus.pending
        else (review.id.desc(),)
    )
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(
        query.order_by(*order).limit(page.size).offset((page.page - 1) * page.size)
    ).all()
    items = [
        ReviewPairSummary(
            id=pair.id,
            status=ReviewStatus(pair.status),
            match_weight=pair.match_weight,
            match_probability=pair.match_probability,
            left_master_id=left.master_id,
            right_master_id=right.master_id,
            left_name=mask_value("name", left.name),
            right_name=mask_value("name", right.name),
            region_code=left.region_code,
            created_at=pair.created_at,
            decided_at=pair.decided_at,
            decided_by=pair.decided_by,
        )
        for pair, left, right in rows
    ]
    return ReviewPairPage(items=items, total=int(total), page=page.page, size=page.size)


def pending_count(session: Session, *, scope: Scope) -> int:
    query = _pairs_in_scope(scope).where(MasterdataReviewPair.status == ReviewStatus.pending.value)
    counted = select(func.count()).select_from(query.subquery())
    return int(session.execute(counted).scalar_one())


def source_records(
    session: Session, source_record_ids: Sequence[str], *, cipher: FieldCipher
) -> dict[str, SourceRecordRead]:
    """The masked values each source record gave, with its link (records not linked: left out)."""
    link = MasterdataPersonLink
    links = {
        row.source_record_id: row
        for row in session.execute(
            select(link).where(link.source_record_id.in_(list(source_record_ids)))
        ).scalars()
    }
    values: dict[str, dict[str, Any]] = defaultdict(dict)
    attribute = MasterdataPersonAttribute
    for given in session.execute(
        select(attribute).where(attribute.source_record_id.in_(list(links))).order_by(attribute.id)
    ).scalars():
        plain = (
            cipher.decrypt(given.value, context=ATTRIBUTE_CONTEXT.format(given.attribute))
            if given.value_bidx is not None
            else given.value
        )
        kind = PERSON_MASKS.get(given.attribute)
        shown = mask_value(kind, plain) if kind else plain
        values[given.source_record_id][given.attribute] = shown
        values[given.source_record_id]["__department"] = given.department_code
        values[given.source_record_id]["__observed_at"] = given.observed_at
    found: dict[str, SourceRecordRead] = {}
    for srid, row in links.items():
        seen = values.get(srid, {})
        found[srid] = SourceRecordRead(
            source_record_id=srid,
            master_id=row.master_id,
            resource_code=row.resource_code,
            department_code=str(seen.get("__department", "")),
            batch_id=row.batch_id,
            observed_at=seen.get("__observed_at"),
            name=seen.get("name"),
            id_number=seen.get("id_number"),
            gender=seen.get("gender"),
            birth_date=seen.get("birth_date"),
            phone=seen.get("phone"),
            address=seen.get("address"),
            town_code=seen.get("town_code"),
        )
    return found


def pair_detail(
    session: Session, *, pair_id: int, scope: Scope, cipher: FieldCipher
) -> ReviewPairDetail:
    """The two records side by side (masked), each with its master. NotFound
    ``review_pair_not_found`` when absent or outside the reader's region."""
    pair, left, right = pair_in_scope(session, pair_id, scope=scope)
    records = source_records(session, [pair.record_l, pair.record_r], cipher=cipher)
    names = region_queries.names_of(session, [left.region_code, right.region_code])

    def side(srid: str, master: MasterdataPerson) -> ReviewSide:
        return ReviewSide(
            **records[srid].model_dump(),
            master_name=mask_value("name", master.name),
            master_record_count=master.record_count,
            region_code=master.region_code,
            region_name=names.get(master.region_code, ""),
        )

    return ReviewPairDetail(
        id=pair.id,
        status=ReviewStatus(pair.status),
        origin=pair.origin,
        match_weight=pair.match_weight,
        match_probability=pair.match_probability,
        created_at=pair.created_at,
        decided_at=pair.decided_at,
        decided_by=pair.decided_by,
        note=pair.note,
        left=side(pair.record_l, left),
        right=side(pair.record_r, right),
    )


def person_records(
    session: Session, *, master_id: str, scope: Scope, cipher: FieldCipher
) -> tuple[MasterdataPerson, list[SourceRecordRead]]:
    """The live master behind ``master_id`` and its source records (masked). NotFound
    ``person_not_found`` when absent or outside the reader's region."""
    master, _ = resolve_person(session, master_id, scope=scope)
    linked = persist.records_of_masters(session, persist.PERSON_TABLES, {master.master_id})
    records = source_records(session, sorted(linked), cipher=cipher)
    return master, [records[srid] for srid in sorted(records)]


def model_status(session: Session, *, scope: Scope) -> LinkageModelStatus:
    """The 人口库 model in use, its drift over the batch runs since, and the reader's queue."""
    config = LinkageConfig()
    stored = persist.stored_model(session, "person")
    seen = drift.status(
        session,
        domain="person",
        model_id=stored.id if stored else None,
        baseline=stored.band_share if stored else None,
    )
    return LinkageModelStatus(
        model_id=stored.id if stored else None,
        trained_at=stored.trained_at if stored else None,
        trained_records=stored.trained_records if stored else 0,
        reason=stored.reason if stored else None,
        link_match_weight=config.link_match_weight,
        review_match_weight=config.review_match_weight,
        baseline_band_share=seen.baseline,
        batch_pairs_scored=seen.pairs_scored,
        batch_pairs_band=seen.pairs_band,
        batch_band_share=seen.share,
        drift=seen.drift,
        pending_reviews=pending_count(session, scope=scope),
    )
