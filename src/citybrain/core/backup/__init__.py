"""Backup and restore of a whole installation (``citybrain backup`` / ``citybrain restore``).

One archive holds the key file, the audit checkpoint files, the operational database (SQLite
online backup or ``pg_dump`` of the installation's schema), the hub (DuckDB) and a manifest of
versions, row counts, table digests and the SHA-256 of every member. It is taken while the
installation serves; ``docs/operations.md`` explains why the parts agree with each other.
"""
