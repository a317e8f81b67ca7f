"""Ingest's answer to "is this data source still used?": the pull schedules that name it,
registered with ``datasources.usage`` by :func:`install` (``citybrain.domains`` calls it)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.datahub.datasources import usage
from citybrain.datahub.ingest.models import IngestSourceSchedule


def install() -> None:
    usage.register("ingest_source_schedule", count_schedules)


def count_schedules(session: Session, source_id: int) -> int:
    """The pull schedules, enabled or not, that read the source ``source_id``."""
    return session.execute(
        select(func.count())
        .select_from(IngestSourceSchedule)
        .where(IngestSourceSchedule.source_id == source_id)
    ).scalar_one()
