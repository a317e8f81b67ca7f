"""The migration creates the warning and feedback tables exactly as the models declare them."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from citybrain.models_registry import metadata


def test_the_migrated_warning_and_feedback_tables_match_the_models(
    connection: Connection,
) -> None:
    context = MigrationContext.configure(connection)
    ours = ("indicator_warning", "indicator_feedback")
    diffs = [d for d in compare_metadata(context, metadata) if any(t in repr(d) for t in ours)]
    assert diffs == []
