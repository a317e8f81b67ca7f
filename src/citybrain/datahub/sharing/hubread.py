"""Reading granted items out of the hub store, decrypting encrypted items only so that they can
be masked or pseudonymised right after (see :mod:`citybrain.datahub.sharing.rules`).

Rows are read in ``_key`` order so pages are stable. ``_key`` itself is never delivered: for a
resource keyed by an ID number it is a blind index, the same for every consumer, and would let
two consumers join their pseudonymised data. Each row carries ``_trace`` (batch and source row).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from citybrain.analytics import hub
from citybrain.core.clock import as_utc
from citybrain.core.config import get_settings
from citybrain.core.crypto import FieldCipher
from citybrain.datahub.ingest.pipeline import BIDX_SUFFIX, field_context
from citybrain.datahub.ingest.resources import field_cipher
from citybrain.datahub.sharing.rules import Protection, protect

TRACE: Final = "_trace"
_SYSTEM = ("_batch_id", "_source_row")


@dataclass(frozen=True, slots=True)
class HubRow:
    key: str
    version: Any
    batch_id: int
    source_row: int
    loaded_at: datetime


class GrantedReader:
    """Reads the granted items of one resource and protects them for one consumer."""

    def __init__(
        self,
        resource_code: str,
        protections: Mapping[str, Protection],
        consumer_key: bytes,
        *,
        store: hub.HubStore,
    ) -> None:
        self.resource_code = resource_code
        self.items = list(protections)
        self._protections = protections
        self._key = consumer_key
        self._store = store
        self._table = hub.quote(hub.table_name(resource_code))
        self._encrypted: set[str] | None = None
        self._cipher: FieldCipher | None = None

    def total(self) -> int:
        return self._store.count(self.resource_code)

    def rows(self, *, limit: int, offset: int = 0) -> list[dict[str, Any]]:
        """Protected rows ``offset`` .. ``offset + limit`` in key order (empty when no table)."""
        return list(self._read(limit=limit, offset=offset))

    def _read(self, *, limit: int, offset: int) -> Iterator[dict[str, Any]]:
        encrypted = self._encrypted_items()
        if encrypted is None:
            return
        columns = ", ".join(hub.quote(name) for name in [*self.items, *_SYSTEM])
        sql = f"SELECT {columns} FROM {self._table} ORDER BY _key LIMIT ? OFFSET ?"  # noqa: S608 - quoted identifiers
        width = len(self.items)
        for raw in self._store.query(sql, [limit, offset]):
            row: dict[str, Any] = {}
            for name, value in zip(self.items, raw[:width], strict=True):
                if name in encrypted and value is not None:
                    value = self._decrypt(name, str(value))
                row[name] = protect(self._protections[name], value, self._key)
            row[TRACE] = {"batch_id": raw[width], "source_row": raw[width + 1]}
            yield row

    def _encrypted_items(self) -> set[str] | None:
        """Items stored as ciphertext (those with a blind-index column); None when no table."""
        if self._encrypted is None:
            names = set(self._store.columns(self.resource_code))
            if not names:
                return None
            self._encrypted = {i for i in self.items if i + BIDX_SUFFIX in names}
        return self._encrypted

    def _decrypt(self, item: str, token: str) -> str:
        if self._cipher is None:
            self._cipher = field_cipher(get_settings())
        return self._cipher.decrypt(token, context=field_context(self.resource_code, item))


def find_row(
    resource_code: str,
    *,
    key: str | None = None,
    batch_id: int | None = None,
    source_row: int | None = None,
    store: hub.HubStore,
) -> HubRow | None:
    """The current hub row with ``key``, or loaded from ``batch_id``/``source_row``."""
    if not store.table_exists(resource_code):
        return None
    table = hub.quote(hub.table_name(resource_code))
    where, params = _where(key, batch_id, source_row)
    found = store.query(
        f"SELECT _key, _version, _batch_id, _source_row, _loaded_at FROM {table}"  # noqa: S608 - quoted identifier
        f" WHERE {where} LIMIT 1",
        params,
    )
    if not found:
        return None
    k, version, batch, row, loaded = found[0]
    return HubRow(str(k), version, int(batch), int(row), as_utc(loaded))


def _where(
    key: str | None, batch_id: int | None, source_row: int | None
) -> tuple[str, Sequence[Any]]:
    if key is not None:
        return "_key = ?", [key]
    return "_batch_id = ? AND _source_row = ?", [batch_id, source_row]
