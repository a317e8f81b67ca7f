"""Commands of the base libraries: builds, and the reads of personal data that are audited.

Every function flushes, never commits, and writes its audit record in the caller's transaction.
Reading a person's profile is a read of personal data, so it is audited too (masked or not).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore
from citybrain.core.audit import reads as audit_reads
from citybrain.core.audit import service as audit
from citybrain.core.audit.pii import PiiAccess, record_pii_access
from citybrain.core.config import Settings, get_settings
from citybrain.core.errors import BadInput, PermissionDenied
from citybrain.core.pagination import PageParams
from citybrain.core.scope import Scope
from citybrain.core.security import Principal
from citybrain.datahub.ingest.resources import field_cipher
from citybrain.datahub.masterdata import persist, queries, review, review_queries
from citybrain.datahub.masterdata.build import BuildReport, build_persons, link_person_batch
from citybrain.datahub.masterdata.entities import build_entities
from citybrain.datahub.masterdata.linkage_model import LinkageConfig
from citybrain.datahub.masterdata.schemas import (
    PersonPage,
    PersonProfile,
    ReviewDecisionRead,
    ReviewPairDetail,
    ReviewStatus,
    SearchKind,
    SourceRecordRead,
    SplitRead,
)
from citybrain.datahub.masterdata.sources import source_info

UNMASK_PERMISSION = "pii:unmask"
MIN_REASON_CHARS = 4
_BUILD_ACTIONS = {
    ("person", "full"): "masterdata.persons.build",
    ("entity", "full"): "masterdata.entities.build",
    ("person", "batch"): "masterdata.persons.link_batch",
    ("entity", "batch"): "masterdata.entities.link_batch",
}


def rebuild_persons(
    session: Session,
    *,
    hub: HubStore,
    resource_codes: Sequence[str],
    config: LinkageConfig | None = None,
    settings: Settings | None = None,
    retrain: bool = False,
) -> BuildReport:
    """Link the person records of ``resource_codes`` (hub tables) into 人口库 masters.

    Invariants: a linked record keeps its master, and a master keeps its id, except when a new
    record proves two masters one: the larger id is then retired into the smaller
    (``retired_into``, a ``masterdata_merge`` row) with its links and attributes; ids of
    retired masters are never issued again. The order of ``resource_codes`` is the source
    priority of the surviving values (list the authoritative 户籍 resource first). The first
    build trains the linkage model on all records and stores it; later builds reuse it unless
    ``config.trained_model`` is given or ``retrain`` is set.

    The resources become the registered sources of 人口库: a batch loaded into one of them
    later is linked at once (:func:`link_batch`). Band pairs (match weight between the review
    and the link threshold) whose records end in two masters are queued for review; masters a
    steward kept apart are never merged.

    Side effects: writes masters, links (with linkage features) and attributes in bulk; a
    ``masterdata_linkage_run`` row; one audit record ``masterdata.persons.build`` with the
    counts. Raises NotFound ``resource_not_found`` and InvalidState
    ``linkage_insufficient_data`` (too few records to train the model).
    """
    cipher = field_cipher(settings or get_settings())
    persist.lock_library(session)
    sources = source_info(session, resource_codes)
    report = build_persons(
        session, hub=hub, sources=sources, cipher=cipher, config=config, retrain=retrain
    )
    _audit_build(session, report, [s.resource_code for s in sources])
    return report


def rebuild_entities(
    session: Session, *, hub: HubStore, resource_codes: Sequence[str]
) -> BuildReport:
    """Link the enterprise records of ``resource_codes`` into 法人库 masters, deterministically
    (valid credit code, else normalised name and address; see ``entities``). Same stability,
    side effects and errors as :func:`rebuild_persons`; audited ``masterdata.entities.build``."""
    persist.lock_library(session)
    sources = source_info(session, resource_codes)
    report = build_entities(session, hub=hub, sources=sources)
    _audit_build(session, report, [s.resource_code for s in sources])
    return report


def link_batch(
    session: Session,
    *,
    hub: HubStore,
    batch_id: int,
    resource_code: str,
    config: LinkageConfig | None = None,
    settings: Settings | None = None,
) -> BuildReport | None:
    """Link the rows ingest batch ``batch_id`` loaded into ``resource_code`` into the base
    library that resource feeds; None when it feeds none.

    Only the batch's new and changed records are linked (persons: scored with the stored model
    against the linked records sharing a blocking key; entities: by credit code, else name and
    address). Master ids stay stable as in a full build. Falls back to a full build of the
    registered sources when no model is stored yet or links lack their features (written
    before this version). Running it again for the same batch changes nothing. Audited
    ``masterdata.persons.link_batch`` / ``masterdata.entities.link_batch`` with the counts.
    """
    persist.lock_library(session)
    domain = persist.fed_domain(session, resource_code)
    if domain == "person":
        report = link_person_batch(
            session,
            hub=hub,
            batch_id=batch_id,
            resource_code=resource_code,
            cipher=field_cipher(settings or get_settings()),
            config=config,
        )
    elif domain == "entity":
        sources = source_info(session, [resource_code])
        report = build_entities(session, hub=hub, sources=sources, batch_id=batch_id)
    else:
        return None
    if report is not None:
        codes = (
            [resource_code]
            if report.kind == "batch"
            else persist.registered_sources(session, report.domain)
        )
        _audit_build(session, report, codes)
    return report


def _audit_build(session: Session, report: BuildReport, codes: list[str]) -> None:
    audit.record(
        session,
        action=_BUILD_ACTIONS[(report.domain, report.kind)],
        object_type=f"masterdata_{report.domain}",
        object_id="*",
        detail={
            **report.summary(),
            "resources": codes,
            "merged": [[m.retired_master_id, m.surviving_master_id] for m in report.merges][:100],
        },
    )


def search_persons(
    session: Session,
    *,
    q: str,
    page: PageParams,
    scope: Scope,
    settings: Settings | None = None,
) -> PersonPage:
    """Masked search (see ``queries.search_persons``). A search by ID or phone number is
    audited as ``masterdata.person.search`` (the kind and hit count, never the number)."""
    cipher = field_cipher(settings or get_settings())
    result = queries.search_persons(session, q=q, page=page, cipher=cipher, scope=scope)
    if result.kind in (SearchKind.id_number, SearchKind.phone):
        audit.record(
            session,
            action="masterdata.person.search",
            object_type="masterdata_person",
            object_id="*",
            detail={"kind": result.kind.value, "hits": result.total},
        )
    return result


def read_person_profile(
    session: Session,
    *,
    master_id: str,
    scope: Scope,
    settings: Settings | None = None,
) -> PersonProfile:
    """The masked 一人一档. Audited ``masterdata.person.read`` (a read of personal data):
    committed before this returns, in a short transaction of its own when ``session`` is a
    GET's (see ``core/audit/reads.py``), else in the caller's. Raises NotFound
    ``person_not_found`` (also outside the reader's region)."""
    cipher = field_cipher(settings or get_settings())
    profile = queries.person_profile(session, master_id=master_id, cipher=cipher, scope=scope)
    audit_reads.record_read(
        session,
        action="masterdata.person.read",
        object_type="masterdata_person",
        object_id=profile.master_id,
        region_code=profile.region_code,
        detail={"masked": True, "requested_id": master_id},
    )
    return profile


def unmask(
    session: Session,
    *,
    master_id: str,
    reason: str,
    principal: Principal,
    settings: Settings | None = None,
) -> PersonProfile:
    """The 一人一档 in clear, for a holder of ``pii:unmask`` who states why.

    Raises PermissionDenied ``permission_denied`` without ``pii:unmask``, BadInput
    ``reason_required`` when the reason has fewer than 4 characters, NotFound
    ``person_not_found``. Audited ``masterdata.unmask`` with the reason and the fields shown.
    """
    if not principal.has(UNMASK_PERMISSION):
        raise PermissionDenied(
            f"没有权限: {UNMASK_PERMISSION}", code="permission_denied", detail=UNMASK_PERMISSION
        )
    stated = reason.strip()
    if len(stated) < MIN_REASON_CHARS:
        raise BadInput(f"请填写查看原因（至少 {MIN_REASON_CHARS} 个字）", code="reason_required")
    cipher = field_cipher(settings or get_settings())
    profile = queries.person_profile(
        session,
        master_id=master_id,
        cipher=cipher,
        scope=Scope.of(principal),
        unmasked=True,
    )
    shown = {f for f in ("name", "id_number", "phone", "address") if getattr(profile, f)}
    fields = sorted(
        shown | {a.attribute for a in profile.attributes if a.attribute in queries.PERSON_MASKS}
    )
    record_pii_access(
        session,
        kind=PiiAccess.unmask,
        action="masterdata.unmask",
        object_type="masterdata_person",
        object_id=profile.master_id,
        region_code=profile.region_code,
        fields=fields,
        reason=stated,
        extra={"requested_id": master_id},
    )
    return profile


# --- the review queue -------------------------------------------------------------------------


def read_review_pair(
    session: Session, *, pair_id: int, scope: Scope, settings: Settings | None = None
) -> ReviewPairDetail:
    """The two records of a queued pair side by side, masked. Audited ``masterdata.review.read``
    (a read of personal data). Raises NotFound ``review_pair_not_found`` (also outside the
    reader's region)."""
    cipher = field_cipher(settings or get_settings())
    detail = review_queries.pair_detail(session, pair_id=pair_id, scope=scope, cipher=cipher)
    audit.record(
        session,
        action="masterdata.review.read",
        object_type="masterdata_review_pair",
        object_id=str(detail.id),
        region_code=detail.left.region_code,
        detail={"masked": True, "masters": [detail.left.master_id, detail.right.master_id]},
    )
    return detail


def decide_review(
    session: Session,
    *,
    pair_id: int,
    merge: bool,
    note: str,
    scope: Scope,
    hub: HubStore,
    settings: Settings | None = None,
) -> ReviewDecisionRead:
    """合并 (``merge``) or 不是同一人: see :func:`review.merge_pair` and :func:`review.keep_apart`
    (their audit records and errors)."""
    if merge:
        cipher = field_cipher(settings or get_settings())
        decision = review.merge_pair(
            session, pair_id=pair_id, scope=scope, hub=hub, cipher=cipher, note=note
        )
    else:
        decision = review.keep_apart(session, pair_id=pair_id, scope=scope, note=note)
    return ReviewDecisionRead(
        pair_id=decision.pair_id,
        status=ReviewStatus(decision.status),
        surviving_master_id=decision.surviving_master_id,
        master_ids=list(decision.master_ids),
    )


def split_person(
    session: Session,
    *,
    master_id: str,
    source_record_ids: Sequence[str],
    note: str,
    scope: Scope,
    hub: HubStore,
    settings: Settings | None = None,
) -> SplitRead:
    """Split a master: see :func:`review.split_master` (audit record and errors)."""
    new_id = review.split_master(
        session,
        master_id=master_id,
        source_record_ids=source_record_ids,
        scope=scope,
        hub=hub,
        cipher=field_cipher(settings or get_settings()),
        note=note,
    )
    return SplitRead(master_id=master_id, new_master_id=new_id)


def list_person_records(
    session: Session, *, master_id: str, scope: Scope, settings: Settings | None = None
) -> list[SourceRecordRead]:
    """The source records of a master, masked (what a steward splits). Audited
    ``masterdata.person.records``. Raises NotFound ``person_not_found``."""
    cipher = field_cipher(settings or get_settings())
    master, records = review_queries.person_records(
        session, master_id=master_id, scope=scope, cipher=cipher
    )
    audit.record(
        session,
        action="masterdata.person.records",
        object_type="masterdata_person",
        object_id=master.master_id,
        region_code=master.region_code,
        detail={"masked": True, "records": len(records)},
    )
    return records


def request_retrain(session: Session, *, scope: Scope) -> None:
    """Record that someone asked for the model to be retrained (the caller queues the job once
    this transaction commits). Audited ``masterdata.model.retrain_requested``."""
    audit.record(
        session,
        action="masterdata.model.retrain_requested",
        object_type="masterdata_linkage_model",
        object_id="person",
        detail={"requested_by_region": scope.region_code},
    )
