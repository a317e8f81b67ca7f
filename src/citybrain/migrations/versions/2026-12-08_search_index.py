"""search: the index of searchable documents, with the full-text structure of each database.

SQLite: an FTS5 table ``search_fts`` over the pre-cut terms, external content on
``search_document`` kept in step by triggers (tokenizer unicode61: the terms are already words
or character pairs joined by spaces). PostgreSQL: a generated tsvector over the same terms with
the ``simple`` configuration (title weight A, text weight B) and a GIN index.

Revision ID: 20261208_search
Revises: 20261207_hardening
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261208_search"
down_revision: str | None = "20261207_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(title_terms, body_terms,"
    " content='search_document', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN"
    " INSERT INTO search_fts(rowid, title_terms, body_terms)"
    " VALUES (new.id, new.title_terms, new.body_terms); END",
    "CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN"
    " INSERT INTO search_fts(search_fts, rowid, title_terms, body_terms)"
    " VALUES ('delete', old.id, old.title_terms, old.body_terms); END",
    "CREATE TRIGGER search_document_au AFTER UPDATE ON search_document BEGIN"
    " INSERT INTO search_fts(search_fts, rowid, title_terms, body_terms)"
    " VALUES ('delete', old.id, old.title_terms, old.body_terms);"
    " INSERT INTO search_fts(rowid, title_terms, body_terms)"
    " VALUES (new.id, new.title_terms, new.body_terms); END",
)
POSTGRESQL = (
    "ALTER TABLE search_document ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, title_terms), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, body_terms), 'B')) STORED",
    "CREATE INDEX ix_search_document_search_vector ON search_document USING gin (search_vector)",
)


def upgrade() -> None:
    op.create_table(
        "search_document",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("department_code", sa.String(length=64), nullable=True),
        sa.Column("permission", sa.String(length=64), nullable=False),
        sa.Column("shared_down", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("segmenter", sa.String(length=16), nullable=False),
        sa.Column("title_terms", sa.Text(), nullable=False),
        sa.Column("body_terms", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_document")),
        sa.UniqueConstraint("kind", "key", name=op.f("uq_search_document_kind_key")),
    )
    op.create_index("ix_search_document_region_code", "search_document", ["region_code"])
    dialect = op.get_bind().dialect.name
    for statement in (
        SQLITE if dialect == "sqlite" else POSTGRESQL if dialect == "postgresql" else ()
    ):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("search_document_ai", "search_document_ad", "search_document_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_index("ix_search_document_region_code", table_name="search_document")
    op.drop_table("search_document")
