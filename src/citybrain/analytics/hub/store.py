"""The hub store's interface: what ingest, quality, rectification, master data, sharing, open
data downloads, indicators and backup do with the hub, whichever database holds it.

SQL given to :meth:`HubStore.query` is the portable subset both backends read the same way:
``?`` placeholders, double-quoted identifiers, standard functions (``count``, ``coalesce``,
``extract``, ``CAST``), no DuckDB-only syntax (``QUALIFY``, ``TRY_CAST``) and no catalog
queries (ask :meth:`HubStore.columns` instead).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Literal, Protocol

from citybrain.analytics.hub.common import HubTableSpec, MergeResult

Backend = Literal["duckdb", "postgresql"]
Params = Sequence[Any] | Mapping[str, Any] | None


class Staging(Protocol):
    """Rows of one load, typed like the hub table, held apart until :meth:`merge`."""

    rows: int

    def append(self, columns: Mapping[str, Sequence[str | None]]) -> None:
        """Add rows given as text columns (item columns, ``_key``, ``_version``,
        ``_source_row``); texts already canonical for their type (ISO dates, true/false)."""

    def merge(self, *, batch_id: int) -> MergeResult:
        """In one transaction: the staged record of a new key is inserted, one of a strictly
        greater ``_version`` replaces the stored one (deleted first), all others are skipped;
        a version-less load gets the load sequence as version; the load joins ``_hub_load``."""


class HubStore(Protocol):
    """One hub: a table ``hub_<code>`` per resource, the ledgers ``_hub_table``, ``_hub_load``."""

    @property
    def backend(self) -> Backend: ...

    def describe(self) -> str:
        """Where the hub is, for logs and messages (a path, or a URL without password)."""

    def query(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Rows of one statement in the portable SQL of the module doc."""

    def table_exists(self, resource_code: str) -> bool: ...

    def count(self, resource_code: str) -> int:
        """Rows held for the resource; 0 when nothing was ever loaded."""

    def key_set(self, resource_code: str) -> set[str]:
        """All ``_key`` values of a resource; empty when no table."""

    def columns(self, resource_code: str) -> list[str]:
        """Column names of the resource's hub table in table order; empty when no table."""

    def read_rows(
        self,
        resource_code: str,
        columns: Sequence[str],
        *,
        keys: Collection[str] | None = None,
        batch_id: int | None = None,
    ) -> list[tuple[Any, ...]]:
        """``columns`` of the rows with one of ``keys`` (or of ``batch_id``, or all), in key
        order; empty when no table."""

    def staging(self, spec: HubTableSpec) -> AbstractContextManager[Staging]:
        """A staging area for one load; the hub table is created or widened first (new
        nullable columns); a changed column type raises ``hub_schema_conflict``."""

    def tables(self) -> list[str]:
        """Every base table of the hub (resource tables and ledgers), sorted."""

    def close(self) -> None:
        """Release connections (the store may be used again afterwards)."""
