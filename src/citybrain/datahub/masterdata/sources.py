"""Reading the source records of the base libraries from the hub.

A source record is the current hub row of one resource: ``source_record_id`` is
``<resource code>:<hub _key>`` (the key of a sensitive key item is already its blind index, so
the id reveals nothing), which stays the same when a newer version of the row replaces it.
Person items are found by their catalog item names (docs/catalog.md); an item a resource does
not have reads as missing. Encrypted hub values (``<item>`` token + ``<item>__bidx``) are
decrypted only where the build needs the number itself: the ID number (checksum validity, birth
date and gender when the resource lacks them) and, lazily, the values the build re-encrypts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore
from citybrain.core.clock import as_utc
from citybrain.core.crypto import FieldCipher
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import queries as catalog_queries
from citybrain.datahub.ingest.pipeline import field_context
from citybrain.datahub.quality.validators import birth_date_from_id, gender_from_id, id_check_char

# The hub stores a sensitive item as its token plus ``<item>__bidx`` (analytics.hub).
BIDX_SUFFIX = "__bidx"
PERSON_ITEMS = ("name", "id_number", "gender", "birth_date", "phone", "address", "town_code")
ENCRYPTED_ITEMS = frozenset({"id_number", "phone"})
# Entity field → catalog item names that may carry it, first match wins.
ENTITY_ITEMS: dict[str, tuple[str, ...]] = {
    "uscc": ("uscc", "credit_code", "social_credit_code"),
    "name": ("enterprise_name", "entity_name", "name"),
    "legal_rep_name": ("legal_representative", "legal_rep_name"),
    "address": ("registered_address", "address"),
    "established_on": ("established_on",),
    "status": ("business_status", "status"),
}
GENDER_LABELS = {"male": "男", "female": "女"}


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """A resource read by a build; ``priority`` is its place in the caller's list (0 wins)."""

    resource_code: str
    department_code: str
    region_code: str
    priority: int


@dataclass(slots=True)
class SourceRecord:
    """One hub row with the build's view of it. ``values`` holds plain text (dates ISO);
    ``tokens``/``bidx`` the hub's ciphertext and blind index of encrypted items."""

    source_record_id: str
    source: SourceInfo
    batch_id: int
    source_row: int
    observed_at: dt.datetime
    values: dict[str, str | None]
    tokens: dict[str, str] = field(default_factory=dict)
    bidx: dict[str, str] = field(default_factory=dict)
    id_valid: bool = False


def source_info(session: Session, codes: Sequence[str]) -> list[SourceInfo]:
    """The catalog facts of each resource. NotFound ``resource_not_found`` for an unknown code."""
    infos: list[SourceInfo] = []
    for priority, code in enumerate(dict.fromkeys(codes)):
        # A build is a system job; the caller's scope was checked when it was started.
        resource = catalog_queries.get_resource(session, code, scope=Scope.system())
        infos.append(
            SourceInfo(resource.code, resource.provider_code, resource.region_code, priority)
        )
    return infos


@dataclass(frozen=True, slots=True)
class RowFilter:
    """Which hub rows of a resource to read: all, one batch's, or those with given keys."""

    batch_id: int | None = None
    keys: Collection[str] | None = None


ALL_ROWS = RowFilter()


def _hub_rows(
    hub: HubStore, source: SourceInfo, wanted: Sequence[str], rows: RowFilter = ALL_ROWS
) -> Iterator[tuple[dict[str, object], int, int, dt.datetime, str]]:
    """(item values, batch id, source row, loaded at, key) of the resource's rows that
    ``rows`` selects (a batch's rows through ``_batch_id``; given keys through a join)."""
    if rows.keys is not None and not rows.keys:
        return
    present = set(hub.columns(source.resource_code))
    if not present:
        return
    selected = [c for c in wanted if c in present]
    result = hub.read_rows(
        source.resource_code,
        [*selected, "_batch_id", "_source_row", "_loaded_at", "_key"],
        keys=rows.keys,
        batch_id=rows.batch_id,
    )
    width = len(selected)
    for r in result:
        values = dict(zip(selected, r[:width], strict=True))
        yield values, int(r[width]), int(r[width + 1]), as_utc(r[width + 2]), str(r[width + 3])


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _split(
    record: SourceRecord,
    item: str,
    raw: dict[str, object],
    cipher: FieldCipher,
) -> str | None:
    """Token and blind index of an encrypted item; returns the plain text only when the hub
    stored it unencrypted (the catalog did not mark the item sensitive)."""
    value = _text(raw.get(item))
    if value is None:
        return None
    index = _text(raw.get(item + BIDX_SUFFIX))
    if index is None:  # stored in clear: index it here, encrypt it when written
        record.bidx[item] = cipher.blind_index(value)
        return value
    record.tokens[item] = value
    record.bidx[item] = index
    return None


def read_person_records(
    hub: HubStore,
    sources: Sequence[SourceInfo],
    cipher: FieldCipher,
    *,
    rows: Mapping[str, RowFilter] | None = None,
) -> list[SourceRecord]:
    """The current person records of ``sources`` (all, or per resource code those ``rows``
    selects; a resource missing from ``rows`` gives none), ID numbers decrypted for their checks.

    A record's birth date and gender fall back to those in its valid ID number (the values
    the linkage compares; the attributes keep only what the source said)."""
    wanted = [*PERSON_ITEMS, *(i + BIDX_SUFFIX for i in ENCRYPTED_ITEMS)]
    records: list[SourceRecord] = []
    for source in sources:
        selected = _selected(source, rows)
        if selected is None:
            continue
        for raw, batch_id, source_row, loaded_at, key in _hub_rows(hub, source, wanted, selected):
            record = SourceRecord(
                f"{source.resource_code}:{key}", source, batch_id, source_row, loaded_at, {}
            )
            for item in PERSON_ITEMS:
                if item in ENCRYPTED_ITEMS:
                    record.values[item] = _split(record, item, raw, cipher)
                else:
                    record.values[item] = _text(raw.get(item))
            id_number = plain_value(record, "id_number", cipher)
            record.id_valid = id_number is not None and checksum_ok(id_number)
            records.append(record)
    return records


def plain_value(record: SourceRecord, item: str, cipher: FieldCipher) -> str | None:
    """The clear text of ``item`` (decrypting the hub token once, then kept on the record)."""
    value = record.values.get(item)
    if value is None and item in record.tokens:
        context = field_context(record.source.resource_code, item)
        value = cipher.decrypt(record.tokens[item], context=context)
        record.values[item] = value
    return value


def checksum_ok(id_number: str) -> bool:
    """An 18-character number whose GB 11643 check character is right."""
    body = id_number[:17]
    return (
        len(id_number) == 18
        and body.isascii()
        and body.isdigit()
        and id_check_char(body) == id_number[17].upper()
    )


def derived_birth_date(record: SourceRecord) -> str | None:
    """The record's birth date, or the one in its valid ID number."""
    value = record.values.get("birth_date")
    if value is None and record.id_valid:
        id_number = record.values.get("id_number")
        try:
            value = birth_date_from_id(id_number or "").isoformat()
        except ValueError:
            value = None
    return value


def derived_gender(record: SourceRecord) -> str | None:
    """The record's gender as 男/女 where it is recognisable, or the one in its ID number."""
    value = record.values.get("gender")
    if value is not None:
        return GENDER_LABELS.get(value.lower(), value)
    if record.id_valid:
        return GENDER_LABELS[gender_from_id(record.values.get("id_number") or "").value]
    return None


def _selected(source: SourceInfo, rows: Mapping[str, RowFilter] | None) -> RowFilter | None:
    if rows is None:
        return ALL_ROWS
    return rows.get(source.resource_code)


def keys_by_resource(source_record_ids: Iterable[str]) -> dict[str, RowFilter]:
    """``<resource code>:<key>`` ids grouped into a key filter per resource code."""
    keys: dict[str, set[str]] = {}
    for srid in source_record_ids:
        code, _, key = srid.partition(":")
        keys.setdefault(code, set()).add(key)
    return {code: RowFilter(keys=found) for code, found in keys.items()}


def read_entity_records(
    hub: HubStore,
    sources: Sequence[SourceInfo],
    *,
    rows: Mapping[str, RowFilter] | None = None,
) -> list[SourceRecord]:
    """The current entity records of ``sources`` (all, or those ``rows`` selects, as for
    persons); entity items are not encrypted."""
    wanted = sorted({name for names in ENTITY_ITEMS.values() for name in names})
    records: list[SourceRecord] = []
    for source in sources:
        selected = _selected(source, rows)
        if selected is None:
            continue
        for raw, batch_id, source_row, loaded_at, key in _hub_rows(hub, source, wanted, selected):
            values: dict[str, str | None] = {}
            for entity_field, names in ENTITY_ITEMS.items():
                found = next((raw[n] for n in names if raw.get(n) is not None), None)
                values[entity_field] = _text(found)
            records.append(
                SourceRecord(
                    f"{source.resource_code}:{key}",
                    source,
                    batch_id,
                    source_row,
                    loaded_at,
                    values,
                )
            )
    return records
