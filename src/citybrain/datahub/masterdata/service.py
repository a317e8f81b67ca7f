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
from citybrain.datahub.masterdata import queries
from citybrain.datahub.masterdata.build import BuildReport, build_persons
from citybrain.datahub.masterdata.entities import build_entities
from citybrain.datahub.masterdata.linkage_model import LinkageConfig
from citybrain.datahub.masterdata.schemas import PersonPage, PersonProfile, SearchKind
from citybrain.datahub.masterdata.sources import source_info

UNMASK_PERMISSION = "pii:unmask"
MIN_REASON_CHARS = 4
_BUILD_ACTIONS = {"person": "masterdata.persons.build", "entity": "masterdata.entities.build"}


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

    Side effects: writes masters, links and attributes in bulk; one audit record
    ``masterdata.persons.build`` with the counts. Raises NotFound ``resource_not_found`` and
    InvalidState ``linkage_insufficient_data`` (too few records to train the model).
    """
    cipher = field_cipher(settings or get_settings())
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
    sources = source_info(session, resource_codes)
    report = build_entities(session, hub=hub, sources=sources)
    _audit_build(session, report, [s.resource_code for s in sources])
    return report


def _audit_build(session: Session, report: BuildReport, codes: list[str]) -> None:
    audit.record(
        session,
        action=_BUILD_ACTIONS[report.domain],
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
