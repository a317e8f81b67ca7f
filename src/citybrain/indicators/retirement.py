"""Retiring an indicator (停用): it stops running, leaves the published lists, the values API,
the boards and the search, and keeps its values and run log as history. Publishing a new
revision later brings it back."""

from __future__ import annotations

from sqlalchemy.orm import Session

from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.errors import InvalidState
from citybrain.core.scope import Scope
from citybrain.indicators.models import Indicator
from citybrain.indicators.searchable import publish_searchable
from citybrain.indicators.service import editable_indicator
from citybrain.indicators.workflow import RevisionStatus


def retire_indicator(session: Session, *, code: str, note: str, scope: Scope) -> Indicator:
    """Retire a published indicator. InvalidState ``indicator_not_published`` for any other;
    NotFound ``indicator_not_found`` outside the caller's scope. Audited
    ``indicator.retire``; the search index follows after commit."""
    row = editable_indicator(session, code, scope=scope)
    if row.status != RevisionStatus.published.value:
        raise InvalidState(
            f"指标 {code} 不是已发布状态, 不能停用", code="indicator_not_published", detail=code
        )
    row.status = RevisionStatus.retired.value
    row.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        action="indicator.retire",
        object_type="indicator",
        object_id=row.code,
        region_code=row.region_code,
        detail={"revision": row.live_revision, "note": note[:200]},
    )
    publish_searchable(session, row)
    return row
