"""The migration creates the message centre's tables exactly as the models declare them (no
drift between ``models.py`` and ``2026-12-08_messages_centre.py``)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from citybrain.models_registry import metadata


def _ours(diff: object) -> bool:
    text = repr(diff)
    return "message" in text


def test_the_migrated_message_tables_match_the_models(connection: Connection) -> None:
    context = MigrationContext.configure(connection)
    diffs = [d for d in compare_metadata(context, metadata) if _ours(d)]
    assert diffs == []


def test_the_comparison_sees_a_difference(connection: Connection) -> None:
    """The check can fail: a column the migration never made is reported."""
    from sqlalchemy import Column, Integer, MetaData, Table

    extra = MetaData()
    for table in metadata.tables.values():
        table.to_metadata(extra)
    Table("message_extra_probe", extra, Column("id", Integer, primary_key=True))
    diffs = compare_metadata(MigrationContext.configure(connection), extra)
    assert any("message_extra_probe" in repr(d) for d in diffs)
